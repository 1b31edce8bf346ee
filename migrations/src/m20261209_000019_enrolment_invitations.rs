//! Issue 46: a coordinator cannot widen its person scope by enrolling someone.
//!
//! `enrolment_invitations`: what a coordinator asked for when it named, by participant id or by
//! document, a person it does not reach (`people::scope::reaches`). The person enrols only by
//! accepting, signed in as herself. One row per request as typed (`named`: `id:17` or
//! `CC:1117512345`), whether or not the person exists or has an account, so what the
//! coordinator sees of its invitations says nothing of who exists:
//!
//! - `participant_id`: the person named, when there is one (never shown to the coordinator);
//! - `invited_by`, `override_reason` (the eligibility override, kept with its reason: it
//!   applies when the person accepts, and only because the inviter had it);
//! - `token_hash`: the SHA-256 of the emailed link's token; null when nothing was emailed
//!   (unknown person, no account, or an invitation already pending for her);
//! - `status`: pending, accepted, declined or expired; `expires_at` is the end of the cohort's
//!   enrolment (of its last day, for an invitation with an override);
//! - `enrolment_id`: the enrolment made when she accepted.
//!
//! At most one pending row per cohort and typed request (a partial unique index).

use crate::shapes::{
    Cascade, References, SetNull, create_indexes, id, index, migration_name, timestamp,
    timestamp_null,
};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

migration_name!("m20261209_000019_enrolment_invitations");

const TABLE: &str = "enrolment_invitations";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TABLE)
                    .col(id())
                    .col(ColumnDef::new("cohort_id").integer().not_null())
                    .col(ColumnDef::new("named").string().not_null())
                    .col(ColumnDef::new("participant_id").integer().null())
                    .col(ColumnDef::new("invited_by").integer().null())
                    .col(ColumnDef::new("override_reason").text().null())
                    .col(ColumnDef::new("token_hash").string().null().unique_key())
                    .col(ColumnDef::new("status").string().not_null().check(
                        Expr::col("status").is_in(["pending", "accepted", "declined", "expired"]),
                    ))
                    .col(ColumnDef::new("enrolment_id").integer().null())
                    .col(timestamp("created_at"))
                    .col(timestamp("expires_at"))
                    .col(timestamp_null("decided_at"))
                    .refs("cohort_id", "cohorts", Cascade)
                    .refs("participant_id", "participants", SetNull)
                    .refs("invited_by", "users", SetNull)
                    .refs("enrolment_id", "enrolments", SetNull)
                    .take(),
            )
            .await?;
        create_indexes(
            manager,
            [
                index(TABLE, &["cohort_id", "status"]),
                index(TABLE, &["participant_id"]),
            ],
        )
        .await?;
        // One pending invitation per cohort and request as typed (same SQL on both engines).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_enrolment_invitations_pending ON enrolment_invitations \
                 (cohort_id, named) WHERE status = 'pending'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(TABLE).take()).await
    }
}
