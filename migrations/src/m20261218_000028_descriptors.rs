//! Issue 49, item 5: CONPES's sectoral and population descriptors (CONPES 4100, §5.3.1), beside
//! the functional ones (the capacities).
//!
//! - `descriptors`: the editable reference lists, one `kind` per list (`sector`: the sectors
//!   of the national budget; `population_group`: the policy's population groups), each with a
//!   `code` unique in its list, a `name`, an order and `active` (inactive ones cannot be
//!   chosen). Seeded by the reference-data loader (`seed/sectors.csv`,
//!   `seed/population_groups.csv`) when a list is empty.
//! - `descriptor_links`: which descriptors a course, an assistance or a demand carries
//!   (`subject_type`, `subject_id`, as `delivery_facts` names its source). A descriptor in use
//!   is never deleted (`Restrict`): it is deactivated.
//! - Writes to both move the planning version on (migration 16's triggers): the kept offer and
//!   demand views filter by sector.

use crate::m20261206_000016_planning_version::{bump_triggers, drop_bump_triggers};
use crate::schema::{Cascade, Restrict, drop_tables, index, one_of};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261218_000028_descriptors"
    }
}

const KINDS: &[&str] = &["sector", "population_group"];
const SUBJECTS: &[&str] = &["course", "assistance", "demand"];
const PLANNING: &[&str] = &["descriptors", "descriptor_links"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("descriptors")
                    .col(
                        ColumnDef::new("id")
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(one_of("kind", KINDS))
                    .col(ColumnDef::new("code").string().not_null())
                    .col(ColumnDef::new("name").string().not_null())
                    .col(ColumnDef::new("sort_order").integer().not_null())
                    .col(ColumnDef::new("active").boolean().not_null().default(true))
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
                    .take(),
            )
            .await?;
        manager
            .create_index(index("descriptors", &["kind", "code"]).unique().take())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("descriptor_links")
                    .col(one_of("subject_type", SUBJECTS))
                    .col(ColumnDef::new("subject_id").integer().not_null())
                    .col(ColumnDef::new("descriptor_id").integer().not_null())
                    .primary_key(
                        Index::create()
                            .col("subject_type")
                            .col("subject_id")
                            .col("descriptor_id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_descriptor_links_descriptor_id")
                            .from("descriptor_links", "descriptor_id")
                            .to("descriptors", "id")
                            .on_delete(Restrict)
                            .on_update(Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "descriptor_links",
                &["descriptor_id", "subject_type"],
            ))
            .await?;
        let db = manager.get_connection();
        for statement in bump_triggers(db.get_database_backend(), PLANNING) {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for statement in drop_bump_triggers(db.get_database_backend(), PLANNING) {
            db.execute_unprepared(&statement).await?;
        }
        drop_tables(manager, &["descriptor_links", "descriptors"]).await
    }
}
