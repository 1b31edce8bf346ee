//! Seats per municipality and nominations (issue 35).
//!
//! - `cohort_seat_quotas`: the seats a cohort reserves for one municipality (their sum never
//!   above the cohort's seats; the rest is open to all);
//! - `cohorts.quota_release_on`: the date after which unused quota seats join the open pool;
//!   `cohorts.quotas_released_at` marks that the waiting list was moved at the release, and
//!   `cohorts.quota_reminded_at` that liaisons with unfilled quota were reminded (a week
//!   before), so several instances do each once;
//! - `nominations`: a liaison proposes a person (registered or not) for a cohort under their
//!   municipality's quota; the person confirms by email; the cohort's coordinator accepts
//!   (the person is enrolled or waitlisted) or declines with a reason. At most one live
//!   nomination per cohort and document (a partial unique index: pending, confirmed or
//!   accepted).

use crate::shapes::{
    Cascade, References, Restrict, SetNull, add_column, create_indexes, drop_column, id, index,
    migration_name, pk, timestamp, timestamp_null,
};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

migration_name!("m20261205_000015_seat_quotas");

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for column in [
            ColumnDef::new("quota_release_on").date().null().take(),
            timestamp_null("quotas_released_at"),
            timestamp_null("quota_reminded_at"),
        ] {
            add_column(manager, "cohorts", column).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("cohort_seat_quotas")
                    .col(ColumnDef::new("cohort_id").integer().not_null())
                    .col(ColumnDef::new("municipality_code").string_len(5).not_null())
                    .col(
                        ColumnDef::new("seats")
                            .integer()
                            .not_null()
                            .check(Expr::col("seats").gt(0)),
                    )
                    .primary_key(&mut pk(&["cohort_id", "municipality_code"]))
                    .refs("cohort_id", "cohorts", Cascade)
                    .refs_col("municipality_code", "municipalities", "code", Restrict)
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("nominations")
                    .col(id())
                    .col(ColumnDef::new("cohort_id").integer().not_null())
                    .col(ColumnDef::new("municipality_code").string_len(5).not_null())
                    .col(ColumnDef::new("participant_id").integer().null())
                    .col(
                        ColumnDef::new("document_type")
                            .string()
                            .not_null()
                            .check(Expr::col("document_type").is_in(["CC", "CE", "PA", "PPT"])),
                    )
                    .col(ColumnDef::new("document_number").string().not_null())
                    .col(ColumnDef::new("first_names").string().not_null())
                    .col(ColumnDef::new("last_names").string().not_null())
                    .col(ColumnDef::new("email").string().not_null())
                    .col(ColumnDef::new("status").string().not_null().check(
                        Expr::col("status").is_in(["pending", "confirmed", "accepted", "declined"]),
                    ))
                    .col(ColumnDef::new("confirm_token_hash").string().null())
                    .col(timestamp_null("confirmed_at"))
                    .col(ColumnDef::new("decision_reason").text().null())
                    .col(ColumnDef::new("decided_by").integer().null())
                    .col(timestamp_null("decided_at"))
                    .col(ColumnDef::new("enrolment_id").integer().null())
                    .col(ColumnDef::new("nominated_by").integer().null())
                    .col(timestamp("created_at"))
                    .col(timestamp("updated_at"))
                    .refs("cohort_id", "cohorts", Cascade)
                    .refs_col("municipality_code", "municipalities", "code", Restrict)
                    .refs("participant_id", "participants", SetNull)
                    .refs("enrolment_id", "enrolments", SetNull)
                    .refs("nominated_by", "users", SetNull)
                    .refs("decided_by", "users", SetNull)
                    .take(),
            )
            .await?;
        create_indexes(
            manager,
            [
                index("nominations", &["cohort_id", "municipality_code"]),
                index("nominations", &["municipality_code"]),
                index("nominations", &["confirm_token_hash"]),
            ],
        )
        .await?;
        // One live nomination per cohort and document (same SQL on SQLite and PostgreSQL).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_nominations_live ON nominations \
                 (cohort_id, document_type, document_number) \
                 WHERE status IN ('pending', 'confirmed', 'accepted')",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("nominations").take())
            .await?;
        manager
            .drop_table(Table::drop().table("cohort_seat_quotas").take())
            .await?;
        for column in [
            "quota_reminded_at",
            "quotas_released_at",
            "quota_release_on",
        ] {
            drop_column(manager, "cohorts", column).await?;
        }
        Ok(())
    }
}
