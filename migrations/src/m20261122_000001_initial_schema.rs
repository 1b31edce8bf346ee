//! The whole domain: territory, capacities and their indicators, people and accounts,
//! catalogue and cohorts, enrolment, attendance, assessment, certificates, outbox and audit.
//!
//! Invariants users rely on live here too (unique documents, one active enrolment per person
//! and cohort, one mark per session and enrolment, one score per assessment and enrolment,
//! value ranges), so a bug in the application cannot store what the rules forbid.

use crate::shapes::{
    Cascade, References, Restrict, SetNull, id, index, one_of, pk, timestamp, timestamp_null,
    unique,
};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Tables in creation order; dropped in reverse.
const TABLES: &[&str] = &[
    "departments",
    "pdet_subregions",
    "municipalities",
    "capacities",
    "capacity_indicators",
    "indicator_observations",
    "users",
    "participants",
    "consents",
    "api_tokens",
    "password_resets",
    "login_throttle",
    "courses",
    "course_capacities",
    "cohorts",
    "cohort_municipalities",
    "cohort_departments",
    "cohort_instructors",
    "cohort_sessions",
    "enrolments",
    "attendance_marks",
    "assessments",
    "scores",
    "certificates",
    "outbox",
    "audit_log",
    "settings",
];

fn col(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
}
fn big_id() -> ColumnDef {
    col("id")
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .take()
}
fn text(name: &'static str) -> ColumnDef {
    col(name).string().not_null().take()
}
fn text_null(name: &'static str) -> ColumnDef {
    col(name).string().null().take()
}
fn long_text(name: &'static str) -> ColumnDef {
    col(name).text().not_null().take()
}
fn long_text_null(name: &'static str) -> ColumnDef {
    col(name).text().null().take()
}
fn int(name: &'static str) -> ColumnDef {
    col(name).integer().not_null().take()
}
fn int_null(name: &'static str) -> ColumnDef {
    col(name).integer().null().take()
}
fn boolean(name: &'static str, default: bool) -> ColumnDef {
    col(name).boolean().not_null().default(default).take()
}
fn bool_null(name: &'static str) -> ColumnDef {
    col(name).boolean().null().take()
}
fn date(name: &'static str) -> ColumnDef {
    col(name).date().not_null().take()
}
fn double(name: &'static str) -> ColumnDef {
    col(name).double().not_null().take()
}
fn between(mut column: ColumnDef, name: &'static str, low: i32, high: i32) -> ColumnDef {
    column.check(Expr::col(name).between(low, high)).take()
}

const ROLES: &[&str] = &[
    "admin",
    "coordinator",
    "instructor",
    "participant",
    "reviewer",
];
const DOCUMENT_TYPES: &[&str] = &["CC", "CE", "PA", "PPT"];
const MODALITIES: &[&str] = &["presencial", "virtual", "mixta"];
const COHORT_STATUSES: &[&str] = &["draft", "open", "in_progress", "closed", "cancelled"];
const ENROLMENT_STATUSES: &[&str] = &[
    "enrolled",
    "waitlisted",
    "cancelled",
    "completed",
    "not_completed",
];
const MARKS: &[&str] = &["presente", "tarde", "excusado", "ausente"];
const CERTIFICATE_STATUSES: &[&str] = &["valid", "revoked", "superseded"];
const OUTBOX_STATUSES: &[&str] = &["pending", "sent", "failed"];
const CONSENT_KINDS: &[&str] = &["data_processing", "sensitive_data"];

fn tables() -> Vec<TableCreateStatement> {
    let t = |name: &'static str| Table::create().table(name).take();
    vec![
        // ---- Territory -------------------------------------------------------------------
        t("departments")
            .col(col("code").string_len(2).not_null().primary_key())
            .col(text("name"))
            .take(),
        t("pdet_subregions")
            .col(id())
            .col(text("name").unique_key().take())
            .take(),
        t("municipalities")
            .col(col("code").string_len(5).not_null().primary_key())
            .col(col("department_code").string_len(2).not_null())
            .col(text("name"))
            // Lower case without accents, for accent-insensitive search on both backends.
            .col(text("search_name"))
            .col(one_of(
                "kind",
                &["municipio", "distrito", "area_no_municipalizada"],
            ))
            .col(double("latitude"))
            .col(double("longitude"))
            .col(text_null("category"))
            .col(text_null("dnp_capacity_group"))
            .col(boolean("is_department_capital", false))
            .col(int_null("pdet_subregion_id"))
            .refs_col("department_code", "departments", "code", Restrict)
            .refs("pdet_subregion_id", "pdet_subregions", SetNull)
            .take(),
        // ---- Capacities and their indicators ----------------------------------------------
        t("capacities")
            .col(id())
            .col(text("code").unique_key().take())
            .col(text("name"))
            .col(long_text("description"))
            .col(int("sort_order"))
            .col(boolean("active", true))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .take(),
        t("capacity_indicators")
            .col(id())
            .col(text("code").unique_key().take())
            .col(int("capacity_id"))
            .col(text("name"))
            .col(text("source"))
            .col(text("scale"))
            .refs("capacity_id", "capacities", Restrict)
            .take(),
        t("indicator_observations")
            .col(id())
            .col(int("indicator_id"))
            .col(col("municipality_code").string_len(5).not_null())
            .col(int("year"))
            .col(double("value"))
            .refs("indicator_id", "capacity_indicators", Cascade)
            .refs_col("municipality_code", "municipalities", "code", Restrict)
            .take(),
        // ---- People and accounts -----------------------------------------------------------
        t("users")
            .col(id())
            // Stored lower-cased; the application normalises before every lookup.
            .col(text("email").unique_key().take())
            .col(text("password_hash"))
            .col(text("full_name"))
            .col(one_of("role", ROLES))
            .col(col("department_code").string_len(2).null())
            .col(boolean("active", true))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .col(timestamp_null("last_login_at"))
            .refs_col("department_code", "departments", "code", Restrict)
            .take(),
        t("participants")
            .col(id())
            // A participant may exist without an account (imported from a spreadsheet).
            .col(int_null("user_id").unique_key().take())
            .col(one_of("document_type", DOCUMENT_TYPES))
            .col(text("document_number"))
            .col(text("first_names"))
            .col(text("last_names"))
            .col(text_null("email"))
            .col(text_null("phone"))
            .col(col("municipality_code").string_len(5).not_null())
            .col(text("entity_type"))
            .col(text_null("entity_name"))
            .col(text_null("position"))
            .col(text("level"))
            // Differential approach (sensitive data, Ley 1581): only with a sensitive_data consent.
            .col(text_null("sex"))
            .col(text_null("ethnic_group"))
            .col(bool_null("has_disability"))
            .col(bool_null("is_conflict_victim"))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .refs("user_id", "users", SetNull)
            .refs_col("municipality_code", "municipalities", "code", Restrict)
            .take(),
        t("consents")
            .col(id())
            .col(int("participant_id"))
            .col(one_of("kind", CONSENT_KINDS))
            .col(text("text_version"))
            .col(timestamp("granted_at"))
            .col(timestamp_null("withdrawn_at"))
            .refs("participant_id", "participants", Cascade)
            .take(),
        t("api_tokens")
            .col(id())
            .col(int("user_id"))
            .col(text("token_hash").unique_key().take())
            .col(timestamp("created_at"))
            .col(timestamp("expires_at"))
            .col(timestamp_null("revoked_at"))
            .col(timestamp_null("last_used_at"))
            .refs("user_id", "users", Cascade)
            .take(),
        t("password_resets")
            .col(id())
            .col(int("user_id"))
            .col(text("token_hash").unique_key().take())
            .col(timestamp("created_at"))
            .col(timestamp("expires_at"))
            .col(timestamp_null("used_at"))
            .refs("user_id", "users", Cascade)
            .take(),
        // Shared by every app instance, so throttling holds behind a load balancer.
        t("login_throttle")
            .col(text("key").primary_key().take())
            .col(int("failures"))
            .col(timestamp("window_started_at"))
            .col(timestamp_null("locked_until"))
            .take(),
        // ---- Catalogue and cohorts -----------------------------------------------------------
        t("courses")
            .col(id())
            .col(text("code").unique_key().take())
            .col(text("name"))
            .col(long_text("description"))
            .col(int("hours").check(Expr::col("hours").gt(0)).take())
            .col(one_of("default_modality", MODALITIES))
            .col(text_null("management_stage"))
            .col(between(
                int("min_attendance_pct"),
                "min_attendance_pct",
                0,
                100,
            ))
            // Grades are kept in tenths (3.0 → 30) so they are exact on every backend.
            .col(between(int("pass_mark_tenths"), "pass_mark_tenths", 0, 50))
            .col(timestamp_null("retired_at"))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .take(),
        t("course_capacities")
            .col(int("course_id"))
            .col(int("capacity_id"))
            .primary_key(&mut pk(&["course_id", "capacity_id"]))
            .refs("course_id", "courses", Cascade)
            .refs("capacity_id", "capacities", Restrict)
            .take(),
        t("cohorts")
            .col(id())
            .col(int("course_id"))
            .col(text("name"))
            .col(one_of("modality", MODALITIES))
            .col(one_of("status", COHORT_STATUSES))
            .col(date("start_date"))
            .col(date("end_date"))
            .col(date("enrolment_opens"))
            .col(date("enrolment_closes"))
            .col(int("seats").check(Expr::col("seats").gt(0)).take())
            .col(text_null("venue"))
            .col(text_null("meeting_url"))
            .col(between(
                int("min_attendance_pct"),
                "min_attendance_pct",
                0,
                100,
            ))
            .col(between(int("pass_mark_tenths"), "pass_mark_tenths", 0, 50))
            .col(text_null("cancellation_reason"))
            .col(int_null("created_by"))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .col(timestamp_null("closed_at"))
            .check(Expr::col("end_date").gte(Expr::col("start_date")))
            .refs("course_id", "courses", Restrict)
            .refs("created_by", "users", SetNull)
            .take(),
        t("cohort_municipalities")
            .col(int("cohort_id"))
            .col(col("municipality_code").string_len(5).not_null())
            .primary_key(&mut pk(&["cohort_id", "municipality_code"]))
            .refs("cohort_id", "cohorts", Cascade)
            .refs_col("municipality_code", "municipalities", "code", Restrict)
            .take(),
        t("cohort_departments")
            .col(int("cohort_id"))
            .col(col("department_code").string_len(2).not_null())
            .primary_key(&mut pk(&["cohort_id", "department_code"]))
            .refs("cohort_id", "cohorts", Cascade)
            .refs_col("department_code", "departments", "code", Restrict)
            .take(),
        t("cohort_instructors")
            .col(int("cohort_id"))
            .col(int("user_id"))
            .primary_key(&mut pk(&["cohort_id", "user_id"]))
            .refs("cohort_id", "cohorts", Cascade)
            .refs("user_id", "users", Restrict)
            .take(),
        t("cohort_sessions")
            .col(id())
            .col(int("cohort_id"))
            .col(timestamp("starts_at"))
            .col(timestamp("ends_at"))
            .col(text("topic"))
            .col(text_null("location"))
            // Seed of the rotating self check-in code (never shown as is).
            .col(text("check_in_secret"))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .check(Expr::col("ends_at").gt(Expr::col("starts_at")))
            .refs("cohort_id", "cohorts", Cascade)
            .take(),
        // ---- Enrolment, attendance, assessment --------------------------------------------
        t("enrolments")
            .col(id())
            .col(int("cohort_id"))
            .col(int("participant_id"))
            .col(one_of("status", ENROLMENT_STATUSES))
            // Ticket in the cohort's waiting list: positions are derived from it (FIFO).
            .col(int_null("waitlist_seq"))
            // Where the person served when enrolling: the history stays with the entity.
            .col(col("municipality_code").string_len(5).not_null())
            .col(text("entity_type"))
            .col(boolean("eligibility_override", false))
            .col(text_null("override_reason"))
            .col(int_null("created_by"))
            .col(timestamp_null("cancelled_at"))
            .col(text_null("cancellation_reason"))
            // Results frozen when the cohort closes.
            .col(int_null("sessions_total"))
            .col(int_null("sessions_attended"))
            .col(int_null("final_grade_milli"))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .refs("cohort_id", "cohorts", Restrict)
            .refs("participant_id", "participants", Restrict)
            .refs_col("municipality_code", "municipalities", "code", Restrict)
            .refs("created_by", "users", SetNull)
            .take(),
        t("attendance_marks")
            .col(id())
            .col(int("session_id"))
            .col(int("enrolment_id"))
            .col(one_of("status", MARKS))
            .col(text_null("note"))
            .col(one_of("source", &["manual", "check_in", "sheet"]))
            .col(int_null("recorded_by"))
            .col(timestamp("recorded_at"))
            .refs("session_id", "cohort_sessions", Restrict)
            .refs("enrolment_id", "enrolments", Restrict)
            .refs("recorded_by", "users", SetNull)
            .take(),
        t("assessments")
            .col(id())
            .col(int("cohort_id"))
            .col(text("name"))
            .col(between(int("weight"), "weight", 1, 100))
            .col(int("position"))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .refs("cohort_id", "cohorts", Cascade)
            .take(),
        t("scores")
            .col(id())
            .col(int("assessment_id"))
            .col(int("enrolment_id"))
            .col(between(int("score_tenths"), "score_tenths", 0, 50))
            .col(int_null("recorded_by"))
            .col(timestamp("recorded_at"))
            .refs("assessment_id", "assessments", Restrict)
            .refs("enrolment_id", "enrolments", Restrict)
            .refs("recorded_by", "users", SetNull)
            .take(),
        // ---- Certificates: a snapshot of what they state ------------------------------------
        t("certificates")
            .col(id())
            .col(text("code").unique_key().take())
            .col(int("enrolment_id"))
            .col(int("cohort_id"))
            .col(int("participant_id"))
            .col(one_of("status", CERTIFICATE_STATUSES))
            .col(text("full_name"))
            .col(one_of("document_type", DOCUMENT_TYPES))
            .col(text("document_number"))
            .col(text("course_code"))
            .col(text("course_name"))
            .col(long_text("capacity_names"))
            .col(int("hours"))
            .col(date("start_date"))
            .col(date("end_date"))
            .col(col("municipality_code").string_len(5).not_null())
            .col(text("municipality_name"))
            .col(text("department_name"))
            .col(int_null("final_grade_milli"))
            .col(int("sessions_attended"))
            .col(int("sessions_total"))
            .col(text("issuer"))
            .col(timestamp("issued_at"))
            .col(int_null("issued_by"))
            .col(timestamp_null("revoked_at"))
            .col(int_null("revoked_by"))
            .col(text_null("revocation_reason"))
            .col(int_null("superseded_by_id"))
            .refs("enrolment_id", "enrolments", Restrict)
            .refs("cohort_id", "cohorts", Restrict)
            .refs("participant_id", "participants", Restrict)
            .refs("issued_by", "users", SetNull)
            .refs("revoked_by", "users", SetNull)
            .refs("superseded_by_id", "certificates", Restrict)
            .take(),
        // ---- Email outbox and audit ----------------------------------------------------------
        t("outbox")
            .col(big_id())
            .col(text("recipient"))
            .col(text("subject"))
            .col(long_text("body_text"))
            .col(long_text("body_html"))
            // JSON array of {filename, content_type, content_base64}.
            .col(long_text_null("attachments_json"))
            // Makes "send once" messages (reminders, warnings) idempotent across restarts.
            .col(text_null("dedupe_key").unique_key().take())
            .col(one_of("status", OUTBOX_STATUSES))
            .col(int("attempts"))
            .col(timestamp("next_attempt_at"))
            .col(long_text_null("last_error"))
            .col(timestamp("created_at"))
            .col(timestamp_null("sent_at"))
            .take(),
        t("audit_log")
            .col(big_id())
            .col(int_null("actor_user_id"))
            .col(text("action"))
            .col(text("subject_type"))
            .col(text("subject_id"))
            .col(long_text_null("before_json"))
            .col(long_text_null("after_json"))
            .col(timestamp("occurred_at"))
            .refs("actor_user_id", "users", SetNull)
            .take(),
        t("settings")
            .col(text("key").primary_key().take())
            .col(long_text("value"))
            .col(timestamp("updated_at"))
            .take(),
    ]
}

fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        index("municipalities", &["department_code"]),
        index("municipalities", &["pdet_subregion_id"]),
        index("municipalities", &["category"]),
        unique(
            "indicator_observations",
            &["indicator_id", "municipality_code", "year"],
        ),
        index("indicator_observations", &["municipality_code"]),
        index("users", &["role"]),
        index("users", &["department_code"]),
        unique("participants", &["document_type", "document_number"]),
        index("participants", &["municipality_code"]),
        index("participants", &["email"]),
        index("consents", &["participant_id"]),
        index("api_tokens", &["user_id"]),
        index("password_resets", &["user_id"]),
        index("course_capacities", &["capacity_id"]),
        index("cohorts", &["course_id"]),
        index("cohorts", &["status", "start_date"]),
        index("cohorts", &["start_date", "end_date"]),
        index("cohort_municipalities", &["municipality_code"]),
        index("cohort_departments", &["department_code"]),
        index("cohort_instructors", &["user_id"]),
        index("cohort_sessions", &["cohort_id", "starts_at"]),
        index("cohort_sessions", &["starts_at"]),
        index("enrolments", &["cohort_id", "status"]),
        index("enrolments", &["participant_id"]),
        index("enrolments", &["municipality_code"]),
        unique("enrolments", &["cohort_id", "waitlist_seq"]),
        unique("attendance_marks", &["session_id", "enrolment_id"]),
        index("attendance_marks", &["enrolment_id"]),
        index("assessments", &["cohort_id"]),
        unique("scores", &["assessment_id", "enrolment_id"]),
        index("scores", &["enrolment_id"]),
        index("certificates", &["cohort_id"]),
        index("certificates", &["participant_id"]),
        index("certificates", &["enrolment_id"]),
        index("certificates", &["municipality_code"]),
        index("certificates", &["issued_at"]),
        index("outbox", &["status", "next_attempt_at"]),
        index("audit_log", &["subject_type", "subject_id"]),
        index("audit_log", &["actor_user_id"]),
        index("audit_log", &["occurred_at"]),
    ]
}

/// Partial unique index: a person holds at most one non-cancelled enrolment per cohort.
/// Same SQL on SQLite and PostgreSQL.
const ONE_ACTIVE_ENROLMENT: &str = "CREATE UNIQUE INDEX uq_enrolments_active \
     ON enrolments (cohort_id, participant_id) WHERE status <> 'cancelled'";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager.create_table(table).await?;
        }
        for index in indexes() {
            manager.create_index(index).await?;
        }
        manager
            .get_connection()
            .execute_unprepared(ONE_ACTIVE_ENROLMENT)
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES.iter().rev() {
            manager
                .drop_table(Table::drop().table(*table).if_exists().take())
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_created_table_is_dropped() {
        let created = tables();
        assert_eq!(created.len(), TABLES.len());
        for (statement, name) in created.iter().zip(TABLES) {
            let sql = statement.to_string(SqliteQueryBuilder);
            assert!(
                sql.starts_with(&format!("CREATE TABLE \"{name}\" (")),
                "{sql}"
            );
        }
    }
}
