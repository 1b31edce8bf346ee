//! Issue 49, item 3: any entity, for demands as for assistances (migration 26). A demand is
//! raised for an entity (`entity_type`, the kinds of `assistances.entity_type`; `alcaldia`
//! for every demand raised before):
//!
//! - `demands.department_code`: the department of every demand (of its municipality for the
//!   municipal ones, carried over from `municipalities`), indexed with the state: the
//!   department's reviewer reads it and the demand map counts it there;
//! - `demands.municipality_code` admits NULL: a gobernación's demand has no municipality
//!   (the domain requires one exactly when the entity is not a gobernación).
//!
//! PostgreSQL alters the column; SQLite gets the `writable_schema` edit of migration 6 (it
//! loosens: no stored row can break it).

use crate::m20261216_000026_any_entity::{
    add_department, drop_department_index, municipality_optional,
};
use crate::shapes::{drop_column, migration_name};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

migration_name!("m20261220_000030_demand_entity");

const TABLE: &str = "demands";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // Both engines take a column check in ADD COLUMN.
        db.execute_unprepared(
            "ALTER TABLE demands ADD COLUMN entity_type varchar(40) NOT NULL DEFAULT 'alcaldia' \
             CHECK (entity_type IN ('alcaldia', 'concejo', 'personeria', \
             'consejo_territorial_planeacion', 'gobernacion', 'esquema_asociativo', \
             'organizacion_comunitaria'))",
        )
        .await?;
        add_department(manager, TABLE).await?;
        municipality_optional(db, TABLE, true).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // The gobernaciones' demands have no place before this.
        db.execute_unprepared("DELETE FROM demands WHERE municipality_code IS NULL")
            .await?;
        municipality_optional(db, TABLE, false).await?;
        drop_department_index(manager, TABLE).await?;
        for column in ["department_code", "entity_type"] {
            drop_column(manager, TABLE, column).await?;
        }
        Ok(())
    }
}
