//! Issue 62, item 3: acceptance of a work plan by the entity, for real.
//!
//! - `assistances.contact_confirmed_by`, `contact_confirmed_at`, `contact_confirmed_email`:
//!   who of the territory (the municipality's liaison or the department's reviewer) confirmed
//!   the entity's contact address, when, and which address. The contact counts as confirmed
//!   only while `contact_confirmed_email` is the assistance's `contact_email`; changing the
//!   contact clears the three.
//! - `work_plan_acceptance_links`: every link emailed to accept a plan version — the hash of
//!   its secret, the address it went to and when, and when and why it was voided
//!   (`plan_changed`: a new version was written while it waited; `contact_changed`: the contact
//!   changed after it was sent; `unconfirmed_contact`: sent before this rule to an address
//!   nobody of the territory confirmed). A voided link answers 410. The secrets kept until now
//!   on `assistance_work_plans.acceptance_token_hash` move here, voided (they went to addresses
//!   the provider alone typed), and that column is left empty.
//! - `assistance_work_plans.accepted_via` admits `reviewer`: the department's reviewer accepts
//!   signed in, as the municipality's liaison does.
//!
//! PostgreSQL references the confirming user (`ON DELETE SET NULL`: an account removed no
//! longer confirms anything); SQLite could then never drop the column again, so there the
//! domain alone guards it. The check of `accepted_via` is rewritten: PostgreSQL drops the
//! constraint that names `before_rule` and adds it again; SQLite gets the `writable_schema`
//! edit of migration 6 (loosening: no stored row can break it).

use crate::m20261126_000006_demand::rewrite_sqlite_table;
use crate::shapes::{
    Cascade, add_column, drop_column, id, index, migration_name, timestamp, timestamp_null,
};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

migration_name!("m20261228_000038_confirmed_contacts");

const LINKS: &str = "work_plan_acceptance_links";
const PLANS: &str = "assistance_work_plans";
const OLD_VIAS: &str = "'before_rule')";
const NEW_VIAS: &str = "'before_rule', 'reviewer')";
const REASONS: &[&str] = &["plan_changed", "contact_changed", "unconfirmed_contact"];

async fn vias(db: &SchemaManagerConnection<'_>, from: &str, to: &str) -> Result<(), DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            // The column's check, whatever name PostgreSQL gave it.
            db.execute_unprepared(
                "DO $vias$ DECLARE c record; BEGIN \
                 FOR c IN SELECT conname FROM pg_constraint \
                 WHERE conrelid = 'assistance_work_plans'::regclass AND contype = 'c' \
                 AND pg_get_constraintdef(oid) LIKE '%before_rule%' LOOP \
                 EXECUTE format('ALTER TABLE assistance_work_plans DROP CONSTRAINT %I', c.conname); \
                 END LOOP; END $vias$",
            )
            .await?;
            let list = to.trim_end_matches(')');
            db.execute_unprepared(&format!(
                "ALTER TABLE assistance_work_plans ADD CONSTRAINT \
                 assistance_work_plans_accepted_via_check \
                 CHECK (accepted_via IN ('liaison', 'link', {list}))"
            ))
            .await?;
        }
        _ => rewrite_sqlite_table(db, PLANS, from, to).await?,
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = db.get_database_backend() == DbBackend::Postgres;
        let reference = if postgres {
            " REFERENCES users (id) ON DELETE SET NULL"
        } else {
            ""
        };
        db.execute_unprepared(&format!(
            "ALTER TABLE assistances ADD COLUMN contact_confirmed_by INTEGER NULL{reference}"
        ))
        .await?;
        add_column(
            manager,
            "assistances",
            timestamp_null("contact_confirmed_at"),
        )
        .await?;
        add_column(
            manager,
            "assistances",
            ColumnDef::new("contact_confirmed_email").string().null(),
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(LINKS)
                    .col(id())
                    .col(ColumnDef::new("work_plan_id").integer().not_null())
                    .col(
                        ColumnDef::new("token_hash")
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new("sent_to").string().not_null())
                    .col(timestamp("sent_at"))
                    .col(timestamp_null("voided_at"))
                    .col(
                        ColumnDef::new("void_reason")
                            .string()
                            .null()
                            .check(Expr::col("void_reason").is_in(REASONS.iter().copied())),
                    )
                    .check(
                        Expr::col("voided_at")
                            .is_null()
                            .eq(Expr::col("void_reason").is_null()),
                    )
                    .foreign_key(
                        &mut ForeignKey::create()
                            .name(format!("fk_{LINKS}_work_plan_id"))
                            .from(LINKS, "work_plan_id")
                            .to(PLANS, "id")
                            .on_delete(Cascade)
                            .on_update(Cascade)
                            .take(),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(index(LINKS, &["work_plan_id"]))
            .await?;
        // The links already sent went to addresses the provider alone typed: kept, voided.
        db.execute_unprepared(
            "INSERT INTO work_plan_acceptance_links \
             (work_plan_id, token_hash, sent_to, sent_at, voided_at, void_reason) \
             SELECT p.id, p.acceptance_token_hash, COALESCE(a.contact_email, ''), p.written_at, \
             CURRENT_TIMESTAMP, 'unconfirmed_contact' \
             FROM assistance_work_plans p JOIN assistances a ON a.id = p.assistance_id \
             WHERE p.acceptance_token_hash IS NOT NULL",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE assistance_work_plans SET acceptance_token_hash = NULL \
             WHERE acceptance_token_hash IS NOT NULL",
        )
        .await?;
        vias(db, OLD_VIAS, NEW_VIAS).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // Before the rule the reviewer did not accept: their acceptances read as the liaison's.
        db.execute_unprepared(
            "UPDATE assistance_work_plans SET accepted_via = 'liaison' \
             WHERE accepted_via = 'reviewer'",
        )
        .await?;
        vias(db, NEW_VIAS, OLD_VIAS).await?;
        manager
            .drop_table(Table::drop().table(LINKS).to_owned())
            .await?;
        for column in [
            "contact_confirmed_email",
            "contact_confirmed_at",
            "contact_confirmed_by",
        ] {
            drop_column(manager, "assistances", column).await?;
        }
        Ok(())
    }
}
