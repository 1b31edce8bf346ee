//! Issue 48, item 2: a gobernación's alliance and its tables (mesas de diálogo y coordinación).
//!
//! - `alliances`: one department's alliance — its name, the provider that leads it (usually the
//!   gobernación, when it is a provider of the product), launch and renewal («refrendación»)
//!   dates and the implementation plan. The renewal, when there is one, comes after the launch
//!   (a check, so no bug can store it otherwise).
//! - `alliance_members`: its members in order, each a provider of the product (`provider_id`,
//!   restrict: a member provider is never deleted under the alliance) or another organisation by
//!   `name` and `kind` (universidad, cámara de comercio…) — exactly one of the two.
//! - `alliance_meetings`: its tables — date, modality and place, agenda, who recorded it.
//! - `alliance_meeting_attendees`: who attended, by name and organisation as typed (no
//!   registered person is named).
//! - `alliance_agreements`: what a table agreed, its owner and due date, and its follow-up: `open`,
//!   or `done` on a date with a note; who changed it last and when.

use crate::shapes::{
    Cascade, References, Restrict, SetNull, create_indexes, id, index, migration_name, one_of,
    timestamp, timestamp_null,
};
use sea_orm_migration::prelude::*;

migration_name!("m20261222_000032_alliances");

/// The kinds of organisation a member that is not a provider of the product may be.
pub const MEMBER_KINDS: &[&str] = &[
    "universidad",
    "camara_comercio",
    "asociacion_entidades_territoriales",
    "entidad_nacional",
    "cooperacion",
    "sociedad_civil",
    "otra",
];

const MODALITIES: &[&str] = &["presencial", "virtual", "mixta"];
const STATUSES: &[&str] = &["open", "done"];

/// The tables, children first (the order to drop them in).
const TABLES: &[&str] = &[
    "alliance_agreements",
    "alliance_meeting_attendees",
    "alliance_meetings",
    "alliance_members",
    "alliances",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("alliances")
                    .col(id())
                    .col(ColumnDef::new("department_code").string_len(2).not_null())
                    .col(ColumnDef::new("name").string().not_null())
                    .col(ColumnDef::new("lead_provider_id").integer().null())
                    .col(ColumnDef::new("launched_on").date().not_null())
                    .col(ColumnDef::new("renewed_on").date().null())
                    .col(ColumnDef::new("implementation_plan").text().not_null())
                    .col(ColumnDef::new("created_by").integer().null())
                    .col(timestamp("created_at"))
                    .col(timestamp("updated_at"))
                    .check(
                        Expr::col("renewed_on")
                            .is_null()
                            .or(Expr::col("renewed_on").gt(Expr::col("launched_on"))),
                    )
                    .refs_col("department_code", "departments", "code", Restrict)
                    .refs("lead_provider_id", "providers", Restrict)
                    .refs("created_by", "users", SetNull)
                    .take(),
            )
            .await?;
        create_indexes(
            manager,
            [
                index("alliances", &["department_code"]),
                index("alliances", &["lead_provider_id"]),
            ],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("alliance_members")
                    .col(id())
                    .col(ColumnDef::new("alliance_id").integer().not_null())
                    .col(ColumnDef::new("position").integer().not_null())
                    .col(ColumnDef::new("provider_id").integer().null())
                    .col(ColumnDef::new("name").string().null())
                    .col(
                        ColumnDef::new("kind")
                            .string()
                            .null()
                            .check(Expr::col("kind").is_in(MEMBER_KINDS.iter().copied())),
                    )
                    // A provider, or an organisation by name and kind: exactly one.
                    .check(
                        Expr::col("provider_id")
                            .is_not_null()
                            .and(Expr::col("name").is_null())
                            .and(Expr::col("kind").is_null())
                            .or(Expr::col("provider_id")
                                .is_null()
                                .and(Expr::col("name").is_not_null())
                                .and(Expr::col("kind").is_not_null())),
                    )
                    .refs("alliance_id", "alliances", Cascade)
                    .refs("provider_id", "providers", Restrict)
                    .take(),
            )
            .await?;
        create_indexes(
            manager,
            [
                index("alliance_members", &["alliance_id"]),
                index("alliance_members", &["provider_id"]),
            ],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("alliance_meetings")
                    .col(id())
                    .col(ColumnDef::new("alliance_id").integer().not_null())
                    .col(ColumnDef::new("date").date().not_null())
                    .col(one_of("modality", MODALITIES))
                    .col(ColumnDef::new("place").string().null())
                    .col(ColumnDef::new("agenda").text().not_null())
                    .col(ColumnDef::new("created_by").integer().null())
                    .col(timestamp("created_at"))
                    .refs("alliance_id", "alliances", Cascade)
                    .refs("created_by", "users", SetNull)
                    .take(),
            )
            .await?;
        manager
            .create_index(index("alliance_meetings", &["alliance_id", "date"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("alliance_meeting_attendees")
                    .col(id())
                    .col(ColumnDef::new("meeting_id").integer().not_null())
                    .col(ColumnDef::new("full_name").string().not_null())
                    .col(ColumnDef::new("organisation").string().not_null())
                    .refs("meeting_id", "alliance_meetings", Cascade)
                    .take(),
            )
            .await?;
        manager
            .create_index(index("alliance_meeting_attendees", &["meeting_id"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("alliance_agreements")
                    .col(id())
                    .col(ColumnDef::new("meeting_id").integer().not_null())
                    .col(ColumnDef::new("text").text().not_null())
                    .col(ColumnDef::new("owner").string().not_null())
                    .col(ColumnDef::new("due_on").date().not_null())
                    .col(
                        ColumnDef::new("status")
                            .string()
                            .not_null()
                            .default("open")
                            .check(Expr::col("status").is_in(STATUSES.iter().copied())),
                    )
                    .col(ColumnDef::new("done_on").date().null())
                    .col(ColumnDef::new("note").string().null())
                    .col(ColumnDef::new("status_changed_by").integer().null())
                    .col(timestamp_null("status_changed_at"))
                    // Done exactly when it has the day it was done.
                    .check(
                        Expr::col("status")
                            .eq("done")
                            .and(Expr::col("done_on").is_not_null())
                            .or(Expr::col("status")
                                .eq("open")
                                .and(Expr::col("done_on").is_null())),
                    )
                    .refs("meeting_id", "alliance_meetings", Cascade)
                    .refs("status_changed_by", "users", SetNull)
                    .take(),
            )
            .await?;
        create_indexes(
            manager,
            [
                index("alliance_agreements", &["meeting_id"]),
                index("alliance_agreements", &["status", "due_on"]),
            ],
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager
                .drop_table(Table::drop().table(*table).take())
                .await?;
        }
        Ok(())
    }
}
