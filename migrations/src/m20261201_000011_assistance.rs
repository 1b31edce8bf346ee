//! Technical assistance (issue 33): the other half of the offer.
//!
//! - `assistances`: a provider's accompaniment of one entity of a municipality (alcaldía by
//!   default), with its objective, span, modality and state (planned → in_progress → closed, or
//!   cancelled with a reason), the closing summary and the entity's evaluation;
//! - `assistance_capacities`, `assistance_staff`, `assistance_demands`: the capacities it
//!   strengthens, the provider's people assigned, the demands it answers;
//! - `assistance_milestones`: the plan's milestones (hitos) with due dates;
//! - `assistance_visits` with their `visit_attendees`, `visit_agreements` (compromisos) and
//!   `visit_products` (herramientas, documentos, plantillas);
//! - `assistance_figures`: per municipality × capacity × provider, the assistances, closed,
//!   closed with the objective reached, and visits, kept in the writing transaction.

use crate::shapes::{
    Cascade, References, Restrict, SetNull, drop_tables_if_exist, id, index, migration_name,
    one_of, pk, timestamp, timestamp_null,
};
use sea_orm_migration::prelude::*;

migration_name!("m20261201_000011_assistance");

const MODALITIES: &[&str] = &["presencial", "virtual", "mixta"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("assistances")
                    .col(id())
                    .col(ColumnDef::new("provider_id").integer().not_null())
                    .col(ColumnDef::new("municipality_code").string_len(5).not_null())
                    .col(one_of(
                        "entity_type",
                        &[
                            "alcaldia",
                            "concejo",
                            "personeria",
                            "consejo_territorial_planeacion",
                        ],
                    ))
                    .col(ColumnDef::new("objective").text().not_null())
                    .col(ColumnDef::new("starts_on").date().not_null())
                    .col(ColumnDef::new("ends_on").date().not_null())
                    .col(one_of("modality", MODALITIES))
                    .col(one_of(
                        "status",
                        &["planned", "in_progress", "closed", "cancelled"],
                    ))
                    .col(ColumnDef::new("cancellation_reason").text().null())
                    // Set at closing: whether the objective was reached, and what was done.
                    .col(ColumnDef::new("objective_reached").boolean().null())
                    .col(ColumnDef::new("closing_summary").text().null())
                    // Who at the entity answers the evaluation when it closes.
                    .col(ColumnDef::new("contact_email").string().null())
                    .col(ColumnDef::new("evaluation_token_hash").string().null())
                    .col(
                        ColumnDef::new("evaluation_usefulness")
                            .integer()
                            .null()
                            .check(Expr::col("evaluation_usefulness").between(1, 5)),
                    )
                    .col(ColumnDef::new("evaluation_comment").text().null())
                    .col(timestamp_null("evaluated_at"))
                    .col(ColumnDef::new("created_by").integer().null())
                    .col(timestamp("created_at"))
                    .col(timestamp("updated_at"))
                    .col(timestamp_null("closed_at"))
                    .refs("provider_id", "providers", Restrict)
                    .refs_col("municipality_code", "municipalities", "code", Restrict)
                    .refs("created_by", "users", SetNull)
                    .take(),
            )
            .await?;
        for (table, other, target) in [
            ("assistance_capacities", "capacity_id", "capacities"),
            ("assistance_staff", "user_id", "users"),
            ("assistance_demands", "demand_id", "demands"),
        ] {
            manager
                .create_table(
                    Table::create()
                        .table(table)
                        .col(ColumnDef::new("assistance_id").integer().not_null())
                        .col(ColumnDef::new(other).integer().not_null())
                        .primary_key(Index::create().col("assistance_id").col(other))
                        .refs("assistance_id", "assistances", Cascade)
                        .refs(other, target, Cascade)
                        .take(),
                )
                .await?;
            manager.create_index(index(table, &[other])).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("assistance_milestones")
                    .col(id())
                    .col(ColumnDef::new("assistance_id").integer().not_null())
                    .col(ColumnDef::new("title").string().not_null())
                    .col(ColumnDef::new("due_on").date().not_null())
                    .col(ColumnDef::new("done_on").date().null())
                    .col(timestamp("created_at"))
                    .refs("assistance_id", "assistances", Cascade)
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("assistance_visits")
                    .col(id())
                    .col(ColumnDef::new("assistance_id").integer().not_null())
                    .col(ColumnDef::new("date").date().not_null())
                    .col(one_of("modality", MODALITIES))
                    // Tenths of an hour (1 to 240: 0.1 h to a 24-hour day).
                    .col(
                        ColumnDef::new("hours_tenths")
                            .integer()
                            .not_null()
                            .check(Expr::col("hours_tenths").between(1, 240)),
                    )
                    .col(ColumnDef::new("topics").text().not_null())
                    .col(ColumnDef::new("created_by").integer().null())
                    .col(timestamp("created_at"))
                    .refs("assistance_id", "assistances", Cascade)
                    .refs("created_by", "users", SetNull)
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("visit_attendees")
                    .col(id())
                    .col(ColumnDef::new("visit_id").integer().not_null())
                    .col(ColumnDef::new("participant_id").integer().null())
                    .col(ColumnDef::new("full_name").string().not_null())
                    .col(ColumnDef::new("position").string().null())
                    .col(ColumnDef::new("document_number").string().null())
                    .refs("visit_id", "assistance_visits", Cascade)
                    .refs("participant_id", "participants", SetNull)
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("visit_agreements")
                    .col(id())
                    .col(ColumnDef::new("visit_id").integer().not_null())
                    .col(ColumnDef::new("text").text().not_null())
                    .col(ColumnDef::new("owner").string().not_null())
                    .col(ColumnDef::new("due_on").date().not_null())
                    .col(ColumnDef::new("done_on").date().null())
                    .refs("visit_id", "assistance_visits", Cascade)
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("visit_products")
                    .col(id())
                    .col(ColumnDef::new("visit_id").integer().not_null())
                    .col(ColumnDef::new("title").string().not_null())
                    .col(one_of(
                        "kind",
                        &["herramienta", "documento", "plantilla", "otro"],
                    ))
                    .refs("visit_id", "assistance_visits", Cascade)
                    .take(),
            )
            .await?;
        // The figures every view of what a municipality received reads (kept by the domain in
        // the writing transaction; never recomputed on a request).
        manager
            .create_table(
                Table::create()
                    .table("assistance_figures")
                    .col(ColumnDef::new("municipality_code").string_len(5).not_null())
                    .col(ColumnDef::new("capacity_id").integer().not_null())
                    .col(ColumnDef::new("provider_id").integer().not_null())
                    .col(ColumnDef::new("department_code").string_len(2).not_null())
                    // Not cancelled; closed; closed with the objective reached; visits.
                    .col(ColumnDef::new("assistances").integer().not_null())
                    .col(ColumnDef::new("closed").integer().not_null())
                    .col(ColumnDef::new("reached").integer().not_null())
                    .col(ColumnDef::new("visits").integer().not_null())
                    .primary_key(&mut pk(&[
                        "municipality_code",
                        "capacity_id",
                        "provider_id",
                    ]))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("assistance_figures", &["department_code"]))
            .await?;
        for (table, columns) in [
            ("assistances", &["municipality_code", "status"][..]),
            ("assistances", &["provider_id"][..]),
            ("assistance_milestones", &["assistance_id"][..]),
            ("assistance_visits", &["assistance_id", "date"][..]),
            ("visit_attendees", &["visit_id"][..]),
            ("visit_agreements", &["visit_id"][..]),
            ("visit_products", &["visit_id"][..]),
        ] {
            manager.create_index(index(table, columns)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables_if_exist(
            manager,
            &[
                "assistance_figures",
                "visit_products",
                "visit_agreements",
                "visit_attendees",
                "assistance_visits",
                "assistance_milestones",
                "assistance_demands",
                "assistance_staff",
                "assistance_capacities",
                "assistances",
            ],
        )
        .await
    }
}
