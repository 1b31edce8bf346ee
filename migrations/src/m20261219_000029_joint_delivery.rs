//! Issue 49, item 4: joint delivery. A cohort or a technical assistance may be delivered with
//! other providers besides its lead one (`cohorts.provider_id`, `assistances.provider_id`):
//!
//! - `cohort_co_providers (cohort_id, provider_id)` and `assistance_co_providers
//!   (assistance_id, provider_id)`: the co-providers, both keys cascading with the cohort or
//!   assistance; a provider that co-delivers cannot be deleted (restrict), as a lead cannot.
//! - `provider_id` indexed: a co-provider's coordinators read what they co-deliver.
//! - Writes move the planning version on (migration 16's triggers): the kept overlap
//!   warnings and the offer pages follow a co-provider added or removed on every instance.
//!   The figures do not: a joint action counts once, for its lead provider.

use crate::m20261206_000016_planning_version::{bump_triggers, drop_bump_triggers};
use crate::shapes::{Cascade, Restrict, execute_all, fk_id, index, migration_name};
use sea_orm_migration::prelude::*;

migration_name!("m20261219_000029_joint_delivery");

/// Each table with the column that names its action and the action's table.
const TABLES: &[(&str, &str, &str)] = &[
    ("cohort_co_providers", "cohort_id", "cohorts"),
    ("assistance_co_providers", "assistance_id", "assistances"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, action, target) in TABLES {
            manager
                .create_table(
                    Table::create()
                        .table(*table)
                        .col(ColumnDef::new(*action).integer().not_null())
                        .col(ColumnDef::new("provider_id").integer().not_null())
                        .primary_key(Index::create().col(*action).col("provider_id"))
                        .foreign_key(&mut fk_id(table, action, target, Cascade))
                        .foreign_key(&mut fk_id(table, "provider_id", "providers", Restrict))
                        .take(),
                )
                .await?;
            manager.create_index(index(table, &["provider_id"])).await?;
        }
        let db = manager.get_connection();
        let tables: Vec<&str> = TABLES.iter().map(|(t, _, _)| *t).collect();
        execute_all(db, bump_triggers(db.get_database_backend(), &tables)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let tables: Vec<&str> = TABLES.iter().map(|(t, _, _)| *t).collect();
        execute_all(db, drop_bump_triggers(db.get_database_backend(), &tables)).await?;
        for table in tables.iter().rev() {
            manager
                .drop_table(Table::drop().table(*table).take())
                .await?;
        }
        Ok(())
    }
}
