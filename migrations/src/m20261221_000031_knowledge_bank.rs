//! Issue 48, item 1: the knowledge bank (banco de conocimiento).
//!
//! - `resources`: a guide, a tool, a template, a recording, a lesson learned or a good
//!   practice of one provider, with a file or a link, its tags (management-cycle `stage`), the
//!   lesson's structure (`context`, `problem`, `what_was_done`, `what_worked`, `evidence`),
//!   `visibility` (`cuentas`: anyone signed in; `publico`: anyone), `status` (`draft` →
//!   `published` → `unpublished`), a download counter and where it came from: a course, a
//!   cohort, an assistance, one of its visits or one of the visit's products
//!   (`visit_product_id`, unique: a product is at most one resource — the resource carries
//!   the product's file, it is not a copy of it). `search_text` is the folded, lower-case text
//!   the search matches with `LIKE` (portable across both engines).
//! - `resource_files`: the bytes of a resource's file, in the database so every instance
//!   reads them (the deployment guides say so); one row per resource, deleted with it.
//! - `resource_capacities`, `resource_categories`: the capacities and the municipal
//!   categories («E», «1»…«6») a resource is tagged with.

use crate::shapes::{
    Cascade, References, Restrict, SetNull, drop_tables, id, migration_name, named_index, one_of,
    pk, timestamp, timestamp_null,
};
use sea_orm_migration::prelude::*;

migration_name!("m20261221_000031_knowledge_bank");

const KINDS: &[&str] = &[
    "guia",
    "herramienta",
    "plantilla",
    "grabacion",
    "leccion_aprendida",
    "buena_practica",
];
const STAGES: &[&str] = &[
    "planeacion",
    "programacion_presupuestal",
    "financiacion",
    "ejecucion",
    "seguimiento_evaluacion",
    "rendicion_cuentas",
];
const VISIBILITIES: &[&str] = &["cuentas", "publico"];
const STATUSES: &[&str] = &["draft", "published", "unpublished"];
const CATEGORIES: &[&str] = &["E", "1", "2", "3", "4", "5", "6"];

fn text(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().null().take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("resources")
                    .col(id())
                    .col(ColumnDef::new("provider_id").integer().not_null())
                    .col(one_of("kind", KINDS))
                    .col(ColumnDef::new("title").string().not_null())
                    .col(ColumnDef::new("description").text().not_null())
                    .col(ColumnDef::new("url").string().null())
                    .col(ColumnDef::new("file_name").string().null())
                    .col(ColumnDef::new("content_type").string().null())
                    .col(ColumnDef::new("file_size").big_integer().null())
                    .col(
                        ColumnDef::new("stage")
                            .string()
                            .null()
                            .check(Expr::col("stage").is_in(STAGES.iter().copied()))
                            .take(),
                    )
                    .col(text("context"))
                    .col(text("problem"))
                    .col(text("what_was_done"))
                    .col(text("what_worked"))
                    .col(text("evidence"))
                    .col(one_of("visibility", VISIBILITIES))
                    .col(one_of("status", STATUSES))
                    .col(ColumnDef::new("course_id").integer().null())
                    .col(ColumnDef::new("cohort_id").integer().null())
                    .col(ColumnDef::new("assistance_id").integer().null())
                    .col(ColumnDef::new("visit_id").integer().null())
                    .col(ColumnDef::new("visit_product_id").integer().null())
                    .col(ColumnDef::new("search_text").text().not_null())
                    .col(
                        ColumnDef::new("downloads")
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ColumnDef::new("created_by").integer().null())
                    .col(timestamp("created_at"))
                    .col(timestamp("updated_at"))
                    .col(timestamp_null("published_at"))
                    .col(ColumnDef::new("published_by").integer().null())
                    .col(timestamp_null("unpublished_at"))
                    .refs("provider_id", "providers", Restrict)
                    .refs("course_id", "courses", SetNull)
                    .refs("cohort_id", "cohorts", SetNull)
                    .refs("assistance_id", "assistances", SetNull)
                    .refs("visit_id", "assistance_visits", SetNull)
                    .refs("visit_product_id", "visit_products", SetNull)
                    .refs("created_by", "users", SetNull)
                    .refs("published_by", "users", SetNull)
                    .take(),
            )
            .await?;
        for columns in [
            &["status", "visibility"][..],
            &["provider_id", "status"],
            &["course_id"],
            &["cohort_id"],
            &["assistance_id"],
        ] {
            manager
                .create_index(named_index("idx", "resources", columns))
                .await?;
        }
        // A visit's product is at most one resource (several NULLs are allowed on both engines).
        manager
            .create_index(
                named_index("idx", "resources", &["visit_product_id"])
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("resource_files")
                    .col(
                        ColumnDef::new("resource_id")
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new("content").blob().not_null())
                    .refs("resource_id", "resources", Cascade)
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("resource_capacities")
                    .col(ColumnDef::new("resource_id").integer().not_null())
                    .col(ColumnDef::new("capacity_id").integer().not_null())
                    .primary_key(&mut pk(&["resource_id", "capacity_id"]))
                    .refs("resource_id", "resources", Cascade)
                    .refs("capacity_id", "capacities", Restrict)
                    .take(),
            )
            .await?;
        manager
            .create_index(named_index("idx", "resource_capacities", &["capacity_id"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("resource_categories")
                    .col(ColumnDef::new("resource_id").integer().not_null())
                    .col(one_of("category", CATEGORIES))
                    .primary_key(&mut pk(&["resource_id", "category"]))
                    .refs("resource_id", "resources", Cascade)
                    .take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &[
                "resource_categories",
                "resource_capacities",
                "resource_files",
                "resources",
            ],
        )
        .await
    }
}
