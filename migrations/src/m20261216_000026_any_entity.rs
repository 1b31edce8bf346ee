//! Issue 49, item 3: any entity assisted. An assistance accompanies, besides the alcaldía's
//! bodies, a gobernación (`gobernacion`), an association of territorial entities
//! (`esquema_asociativo`, recorded with the municipality that leads it) or a community
//! organisation of a municipality (`organizacion_comunitaria`):
//!
//! - `assistances.department_code`: the department of every assistance (of its municipality
//!   for the municipal ones, carried over from `municipalities`), indexed with the state: the
//!   department's reviewer reads it and the figures count it there;
//! - `assistances.municipality_code` admits NULL: a gobernación's assistance has no
//!   municipality (the domain requires one exactly when the entity is not a gobernación);
//! - the check of `entity_type` admits the three new kinds.
//!
//! PostgreSQL alters the column and the constraint; SQLite gets the `writable_schema` edit of
//! migration 6 (both edits loosen: no stored row can break them).

use crate::m20261126_000006_demand::rewrite_sqlite_table;
use crate::shapes::{add_column, drop_column, index, migration_name};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

migration_name!("m20261216_000026_any_entity");

const TABLE: &str = "assistances";
const OLD_KINDS: &str = "'alcaldia', 'concejo', 'personeria', 'consejo_territorial_planeacion'";
const NEW_KINDS: &str = "'alcaldia', 'concejo', 'personeria', 'consejo_territorial_planeacion', \
     'gobernacion', 'esquema_asociativo', 'organizacion_comunitaria'";
const NOT_NULL_PLACE: &str = "\"municipality_code\" varchar(5) NOT NULL";
const NULL_PLACE: &str = "\"municipality_code\" varchar(5) NULL";

/// `table.department_code`: the department of every row (of its municipality, carried over
/// from `municipalities`), indexed with the state. Also the demands' (migration 30).
pub(crate) async fn add_department(
    manager: &SchemaManager<'_>,
    table: &'static str,
) -> Result<(), DbErr> {
    let department = ColumnDef::new("department_code")
        .string_len(2)
        .not_null()
        .default("")
        .take();
    add_column(manager, table, department).await?;
    manager
        .get_connection()
        .execute_unprepared(&format!(
            "UPDATE {table} SET department_code = (SELECT m.department_code \
             FROM municipalities m WHERE m.code = {table}.municipality_code)"
        ))
        .await?;
    manager
        .create_index(index(table, &["department_code", "status"]))
        .await
}

/// Undoes [`add_department`]'s index (the column goes with the caller's other columns).
pub(crate) async fn drop_department_index(
    manager: &SchemaManager<'_>,
    table: &'static str,
) -> Result<(), DbErr> {
    manager
        .drop_index(
            Index::drop()
                .name(format!("ix_{table}_department_code_status"))
                .table(table)
                .to_owned(),
        )
        .await
}

/// `table.municipality_code` admits NULL (`optional`) or is required again: PostgreSQL alters
/// the column, SQLite gets the `writable_schema` edit of migration 6.
pub(crate) async fn municipality_optional(
    db: &SchemaManagerConnection<'_>,
    table: &'static str,
    optional: bool,
) -> Result<(), DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let change = if optional { "DROP" } else { "SET" };
            db.execute_unprepared(&format!(
                "ALTER TABLE {table} ALTER COLUMN municipality_code {change} NOT NULL"
            ))
            .await?;
        }
        _ if optional => rewrite_sqlite_table(db, table, NOT_NULL_PLACE, NULL_PLACE).await?,
        _ => rewrite_sqlite_table(db, table, NULL_PLACE, NOT_NULL_PLACE).await?,
    }
    Ok(())
}

async fn kinds(db: &SchemaManagerConnection<'_>, from: &str, to: &str) -> Result<(), DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            db.execute_unprepared(
                "ALTER TABLE assistances DROP CONSTRAINT IF EXISTS assistances_entity_type_check",
            )
            .await?;
            db.execute_unprepared(&format!(
                "ALTER TABLE assistances ADD CONSTRAINT assistances_entity_type_check \
                 CHECK (entity_type IN ({to}))"
            ))
            .await?;
        }
        _ => rewrite_sqlite_table(db, TABLE, from, to).await?,
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        add_department(manager, TABLE).await?;
        kinds(db, OLD_KINDS, NEW_KINDS).await?;
        municipality_optional(db, TABLE, true).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // The department-level assistances and the new kinds have no place before this.
        db.execute_unprepared(
            "DELETE FROM assistances WHERE municipality_code IS NULL OR entity_type IN \
             ('gobernacion', 'esquema_asociativo', 'organizacion_comunitaria')",
        )
        .await?;
        municipality_optional(db, TABLE, false).await?;
        kinds(db, NEW_KINDS, OLD_KINDS).await?;
        drop_department_index(manager, TABLE).await?;
        drop_column(manager, TABLE, "department_code").await
    }
}
