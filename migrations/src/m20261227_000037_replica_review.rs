//! Issue 62, item 2: figures that need a second person. A replica beyond the bounds (the
//! `replica_review_attendees` and `replica_review_monthly` settings) waits for a coordinator's
//! review before it counts anywhere.
//!
//! - `replicas.review`: `counted` (within the bounds: counts at once), `pending` (waits),
//!   `approved` (counts), `rejected` (never counts); every replica before this migration is
//!   `counted`, except those of more than 60 people (the default bound per replica), which are
//!   `pending`: nobody reviewed them.
//! - `replicas.reviewed_by`, `reviewed_at`, `review_note`: who decided, when and why.
//! - `replica_figures` are computed again from the replicas that count.

use crate::shapes::{add_column, drop_column, migration_name, timestamp_null};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

migration_name!("m20261227_000037_replica_review");

/// The states of a replica's review.
pub const REVIEWS: [&str; 4] = ["counted", "pending", "approved", "rejected"];

/// The default bound per replica when this migration runs (`replica_review_attendees`).
const PER_REPLICA: i64 = 60;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            "replicas",
            ColumnDef::new("review")
                .string()
                .not_null()
                .default("counted")
                .check(Expr::col("review").is_in(REVIEWS)),
        )
        .await?;
        let db = manager.get_connection();
        let postgres = db.get_database_backend() == DbBackend::Postgres;
        let reference = if postgres {
            " REFERENCES users (id) ON DELETE SET NULL"
        } else {
            ""
        };
        db.execute_unprepared(&format!(
            "ALTER TABLE replicas ADD COLUMN reviewed_by INTEGER NULL{reference}"
        ))
        .await?;
        for column in [
            timestamp_null("reviewed_at"),
            ColumnDef::new("review_note").text().null().take(),
        ] {
            add_column(manager, "replicas", column).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_replicas_review")
                    .table("replicas")
                    .col("review")
                    .take(),
            )
            .await?;
        db.execute_unprepared(&format!(
            "UPDATE replicas SET review = 'pending' WHERE people_reached > {PER_REPLICA}"
        ))
        .await?;
        let year = if postgres {
            "CAST(EXTRACT(YEAR FROM \"date\") AS INTEGER)"
        } else {
            "CAST(strftime('%Y', \"date\") AS INTEGER)"
        };
        db.execute_unprepared("DELETE FROM replica_figures").await?;
        db.execute_unprepared(&format!(
            "INSERT INTO replica_figures \
             (municipality_code, capacity_id, year, department_code, replicas, people_reached) \
             SELECT municipality_code, capacity_id, {year}, MIN(department_code), COUNT(*), \
             SUM(people_reached) FROM replicas WHERE review IN ('counted', 'approved') \
             GROUP BY municipality_code, capacity_id, {year}"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_replicas_review")
                    .table("replicas")
                    .to_owned(),
            )
            .await?;
        for column in ["review_note", "reviewed_at", "reviewed_by", "review"] {
            drop_column(manager, "replicas", column).await?;
        }
        Ok(())
    }
}
