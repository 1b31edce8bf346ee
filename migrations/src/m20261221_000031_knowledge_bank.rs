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

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261221_000031_knowledge_bank"
    }
}

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

fn one_of(name: &'static str, values: &[&'static str]) -> ColumnDef {
    ColumnDef::new(name)
        .string()
        .not_null()
        .check(Expr::col(name).is_in(values.iter().copied()))
        .take()
}

fn fk(
    table: &'static str,
    column: &'static str,
    target: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(target, "id")
        .on_delete(on_delete)
        .on_update(ForeignKeyAction::Cascade)
        .take()
}

fn index(table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index
        .name(format!("idx_{table}_{}", columns.join("_")))
        .table(table);
    for column in columns {
        index.col(*column);
    }
    index.take()
}

fn text(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().null().take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("resources")
                    .col(
                        ColumnDef::new("id")
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
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
                    .col(
                        ColumnDef::new("created_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new("updated_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new("published_at")
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new("published_by").integer().null())
                    .col(
                        ColumnDef::new("unpublished_at")
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(&mut fk(
                        "resources",
                        "provider_id",
                        "providers",
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "resources",
                        "course_id",
                        "courses",
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "resources",
                        "cohort_id",
                        "cohorts",
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "resources",
                        "assistance_id",
                        "assistances",
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "resources",
                        "visit_id",
                        "assistance_visits",
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "resources",
                        "visit_product_id",
                        "visit_products",
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "resources",
                        "created_by",
                        "users",
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "resources",
                        "published_by",
                        "users",
                        ForeignKeyAction::SetNull,
                    ))
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
            manager.create_index(index("resources", columns)).await?;
        }
        // A visit's product is at most one resource (several NULLs are allowed on both engines).
        manager
            .create_index(index("resources", &["visit_product_id"]).unique().take())
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
                    .foreign_key(&mut fk(
                        "resource_files",
                        "resource_id",
                        "resources",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("resource_capacities")
                    .col(ColumnDef::new("resource_id").integer().not_null())
                    .col(ColumnDef::new("capacity_id").integer().not_null())
                    .primary_key(Index::create().col("resource_id").col("capacity_id"))
                    .foreign_key(&mut fk(
                        "resource_capacities",
                        "resource_id",
                        "resources",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "resource_capacities",
                        "capacity_id",
                        "capacities",
                        ForeignKeyAction::Restrict,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("resource_capacities", &["capacity_id"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("resource_categories")
                    .col(ColumnDef::new("resource_id").integer().not_null())
                    .col(one_of("category", CATEGORIES))
                    .primary_key(Index::create().col("resource_id").col("category"))
                    .foreign_key(&mut fk(
                        "resource_categories",
                        "resource_id",
                        "resources",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "resource_categories",
            "resource_capacities",
            "resource_files",
            "resources",
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}
