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
use crate::shapes::{
    References, Restrict, drop_tables, execute_all, id, index, migration_name, one_of, pk,
    timestamp,
};
use sea_orm_migration::prelude::*;

migration_name!("m20261218_000028_descriptors");

const KINDS: &[&str] = &["sector", "population_group"];
const SUBJECTS: &[&str] = &["course", "assistance", "demand"];
const PLANNING: &[&str] = &["descriptors", "descriptor_links"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("descriptors")
                    .col(id())
                    .col(one_of("kind", KINDS))
                    .col(ColumnDef::new("code").string().not_null())
                    .col(ColumnDef::new("name").string().not_null())
                    .col(ColumnDef::new("sort_order").integer().not_null())
                    .col(ColumnDef::new("active").boolean().not_null().default(true))
                    .col(timestamp("created_at"))
                    .col(timestamp("updated_at"))
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
                    .primary_key(&mut pk(&["subject_type", "subject_id", "descriptor_id"]))
                    .refs("descriptor_id", "descriptors", Restrict)
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
        execute_all(db, bump_triggers(db.get_database_backend(), PLANNING)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        execute_all(db, drop_bump_triggers(db.get_database_backend(), PLANNING)).await?;
        drop_tables(manager, &["descriptor_links", "descriptors"]).await
    }
}
