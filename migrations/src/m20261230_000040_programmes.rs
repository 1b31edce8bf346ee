//! Issue 64: programmes (diplomados, programas de formación, rutas de aprendizaje).
//!
//! - `programmes`: a provider's programme; `kind` diplomado|programa|ruta; `hours` as stated
//!   (null: computed from the modules); `electives_required`; `recognition_years` (how old a
//!   certificate may be to recognise a module, default 5); `status` draft|published.
//! - `programme_modules`: its courses in an order, required or elective (a course once).
//! - `programme_prerequisites`: a module only after another (`after_course_id`).
//! - `programme_editions`: an edition of the programme; `programme_edition_cohorts` its one
//!   cohort per module (a cohort belongs to at most one edition).
//! - `programme_enrolments`: a person in an edition, enrolled (in every module's cohort but the
//!   recognised ones) or on the edition's waiting list; at most one current per person and
//!   edition (partial unique index, as for a cohort).
//! - `programme_recognitions`: a module recognised instead of taken, with the certificate
//!   behind it or a coordinator's reason.
//! - `programme_certificates`: the programme's certificate, a snapshot like a course's
//!   certificate, with its modules (JSON text: name, hours, status, the certificate behind
//!   each). Whether it needs review (a module's certificate behind it revoked since) is read
//!   from those certificates, never stored.

use crate::shapes::columns::{boolean, date, int, int_null, long_text, text, text_null};
use crate::shapes::{
    Cascade, Restrict, SetNull, create_indexes, drop_tables_if_exist, fk_id, id, index, timestamp,
    timestamp_null, unique,
};
use sea_orm_migration::prelude::*;

crate::shapes::migration_name!("m20261230_000040_programmes");

const TABLES: &[&str] = &[
    "programmes",
    "programme_modules",
    "programme_prerequisites",
    "programme_editions",
    "programme_edition_cohorts",
    "programme_enrolments",
    "programme_recognitions",
    "programme_certificates",
];

fn tables() -> Vec<TableCreateStatement> {
    vec![
        Table::create()
            .table("programmes")
            .col(id())
            .col(int("provider_id"))
            .col(ColumnDef::new("code").string().not_null().unique_key())
            .col(text("name"))
            .col(text("kind"))
            .col(long_text("description"))
            .col(int_null("hours"))
            .col(int("electives_required"))
            .col(int("recognition_years"))
            .col(text("status"))
            .col(int_null("created_by"))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .col(timestamp_null("published_at"))
            .foreign_key(&mut fk_id(
                "programmes",
                "provider_id",
                "providers",
                Restrict,
            ))
            .foreign_key(&mut fk_id("programmes", "created_by", "users", SetNull))
            .take(),
        Table::create()
            .table("programme_modules")
            .col(id())
            .col(int("programme_id"))
            .col(int("course_id"))
            .col(int("position"))
            .col(boolean("required"))
            .foreign_key(&mut fk_id(
                "programme_modules",
                "programme_id",
                "programmes",
                Cascade,
            ))
            .foreign_key(&mut fk_id(
                "programme_modules",
                "course_id",
                "courses",
                Restrict,
            ))
            .take(),
        Table::create()
            .table("programme_prerequisites")
            .col(id())
            .col(int("programme_id"))
            .col(int("course_id"))
            .col(int("after_course_id"))
            .foreign_key(&mut fk_id(
                "programme_prerequisites",
                "programme_id",
                "programmes",
                Cascade,
            ))
            .take(),
        Table::create()
            .table("programme_editions")
            .col(id())
            .col(int("programme_id"))
            .col(text("name"))
            .col(int_null("created_by"))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .foreign_key(&mut fk_id(
                "programme_editions",
                "programme_id",
                "programmes",
                Restrict,
            ))
            .foreign_key(&mut fk_id(
                "programme_editions",
                "created_by",
                "users",
                SetNull,
            ))
            .take(),
        Table::create()
            .table("programme_edition_cohorts")
            .col(id())
            .col(int("edition_id"))
            .col(int("course_id"))
            .col(int("cohort_id"))
            .foreign_key(&mut fk_id(
                "programme_edition_cohorts",
                "edition_id",
                "programme_editions",
                Cascade,
            ))
            .foreign_key(&mut fk_id(
                "programme_edition_cohorts",
                "cohort_id",
                "cohorts",
                Restrict,
            ))
            .take(),
        Table::create()
            .table("programme_enrolments")
            .col(id())
            .col(int("edition_id"))
            .col(int("participant_id"))
            .col(text("status"))
            .col(int_null("waitlist_seq"))
            .col(text("municipality_code"))
            .col(boolean("eligibility_override"))
            .col(text_null("override_reason"))
            .col(int_null("created_by"))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .col(timestamp_null("cancelled_at"))
            .col(text_null("cancellation_reason"))
            .foreign_key(&mut fk_id(
                "programme_enrolments",
                "edition_id",
                "programme_editions",
                Restrict,
            ))
            .foreign_key(&mut fk_id(
                "programme_enrolments",
                "participant_id",
                "participants",
                Cascade,
            ))
            .foreign_key(&mut fk_id(
                "programme_enrolments",
                "created_by",
                "users",
                SetNull,
            ))
            .take(),
        Table::create()
            .table("programme_recognitions")
            .col(id())
            .col(int("programme_enrolment_id"))
            .col(int("course_id"))
            .col(int_null("certificate_id"))
            .col(text_null("reason"))
            .col(int_null("recognised_by"))
            .col(timestamp("created_at"))
            .foreign_key(&mut fk_id(
                "programme_recognitions",
                "programme_enrolment_id",
                "programme_enrolments",
                Cascade,
            ))
            .foreign_key(&mut fk_id(
                "programme_recognitions",
                "certificate_id",
                "certificates",
                SetNull,
            ))
            .foreign_key(&mut fk_id(
                "programme_recognitions",
                "recognised_by",
                "users",
                SetNull,
            ))
            .take(),
        Table::create()
            .table("programme_certificates")
            .col(id())
            .col(ColumnDef::new("code").string().not_null().unique_key())
            .col(int("programme_enrolment_id"))
            .col(int("edition_id"))
            .col(int("programme_id"))
            .col(int("participant_id"))
            .col(text("status"))
            .col(text("full_name"))
            .col(text("document_type"))
            .col(text("document_number"))
            .col(text("programme_code"))
            .col(text("programme_name"))
            .col(text("programme_kind"))
            .col(int("hours"))
            .col(date("start_date"))
            .col(date("end_date"))
            .col(text("municipality_code"))
            .col(text("municipality_name"))
            .col(text("department_name"))
            .col(long_text("modules"))
            .col(text("issuer"))
            .col(timestamp("issued_at"))
            .col(int_null("issued_by"))
            .col(timestamp_null("revoked_at"))
            .col(int_null("revoked_by"))
            .col(text_null("revocation_reason"))
            .foreign_key(&mut fk_id(
                "programme_certificates",
                "programme_enrolment_id",
                "programme_enrolments",
                Restrict,
            ))
            .foreign_key(&mut fk_id(
                "programme_certificates",
                "participant_id",
                "participants",
                Cascade,
            ))
            .take(),
    ]
}

fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        index("programmes", &["provider_id"]),
        unique("programme_modules", &["programme_id", "course_id"]),
        unique(
            "programme_prerequisites",
            &["programme_id", "course_id", "after_course_id"],
        ),
        index("programme_editions", &["programme_id"]),
        unique("programme_edition_cohorts", &["cohort_id"]),
        unique("programme_edition_cohorts", &["edition_id", "course_id"]),
        unique("programme_enrolments", &["edition_id", "waitlist_seq"]),
        index("programme_enrolments", &["participant_id"]),
        unique(
            "programme_recognitions",
            &["programme_enrolment_id", "course_id"],
        ),
        index("programme_certificates", &["programme_enrolment_id"]),
        index("programme_certificates", &["participant_id"]),
    ]
}

/// A person holds at most one current (non-cancelled) enrolment per edition, as per cohort.
const ONE_CURRENT_PER_EDITION: &str = "CREATE UNIQUE INDEX uq_programme_enrolments_current \
     ON programme_enrolments (edition_id, participant_id) WHERE status <> 'cancelled'";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager.create_table(table).await?;
        }
        create_indexes(manager, indexes()).await?;
        manager
            .get_connection()
            .execute_unprepared(ONE_CURRENT_PER_EDITION)
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let dependents_first: Vec<&'static str> = TABLES.iter().rev().copied().collect();
        drop_tables_if_exist(manager, &dependents_first).await
    }
}
