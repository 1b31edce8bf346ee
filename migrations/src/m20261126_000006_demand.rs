//! Municipal demand and territorial roles (issue 16).
//!
//! - `territorial_directions` and `territorial_direction_departments`: ESAP's direcciones
//!   territoriales, each a group of departments (a department belongs to one direction at most);
//! - `users.territorial_direction_id`: a coordinator's direction (none = national);
//! - `users.municipality_code`: a liaison's (enlace municipal) municipality, and the role
//!   `liaison` admitted by the role's check;
//! - `demands`: what a municipality asks for, with its state (open → planned → met, or
//!   declined with a reason), the cohort that answers it and who endorsed it.
//!
//! The role's check is widened in place: PostgreSQL drops and adds the constraint; SQLite,
//! which cannot alter a constraint, gets the documented `writable_schema` edit of the table's
//! definition (a looser check: no stored row can break it), never a copy of `users` (dropping
//! it would cascade to everything that references people).

use crate::shapes::{
    Cascade, References, Restrict, SetNull, id, migration_name, one_of, pk, timestamp,
    timestamp_null,
};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

migration_name!("m20261126_000006_demand");

const OLD_ROLES: &str = "'admin', 'coordinator', 'instructor', 'participant', 'reviewer'";
const NEW_ROLES: &str =
    "'admin', 'coordinator', 'instructor', 'participant', 'reviewer', 'liaison'";

/// Rewrites the role's check of `users` from `from` to `to`. The migration's transaction
/// (every migration has one, see `Atomic`) keeps these statements on one pooled connection,
/// which the `writable_schema` edit needs (a pragma holds per connection).
async fn role_check(db: &SchemaManagerConnection<'_>, from: &str, to: &str) -> Result<(), DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            db.execute_unprepared("ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_check")
                .await?;
            db.execute_unprepared(&format!(
                "ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ({to}))"
            ))
            .await?;
        }
        _ => rewrite_sqlite_table(db, "users", from, to).await?,
    }
    Ok(())
}

/// SQLite cannot alter a column or a constraint: replaces `from` with `to` in `table`'s stored
/// definition through the documented `writable_schema` edit (only loosening edits: no stored
/// row can break the new definition), never a copy of the table (dropping it would cascade to
/// everything that references it). Fails unless `from` is found exactly once.
pub(crate) async fn rewrite_sqlite_table(
    db: &SchemaManagerConnection<'_>,
    table: &str,
    from: &str,
    to: &str,
) -> Result<(), DbErr> {
    let version: i64 = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA schema_version",
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("no schema version".into()))?
        .try_get_by_index(0)?;
    db.execute_unprepared("PRAGMA writable_schema = ON").await?;
    let changed = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "UPDATE sqlite_schema SET sql = replace(sql, ?, ?) \
             WHERE type = 'table' AND name = ? AND instr(sql, ?) > 0 \
             AND instr(substr(sql, instr(sql, ?) + length(?)), ?) = 0",
            [
                from.into(),
                to.into(),
                table.into(),
                from.into(),
                from.into(),
                from.into(),
                from.into(),
            ],
        ))
        .await?
        .rows_affected();
    db.execute_unprepared(&format!("PRAGMA schema_version = {}", version + 1))
        .await?;
    db.execute_unprepared("PRAGMA writable_schema = OFF")
        .await?;
    if changed != 1 {
        return Err(DbErr::Custom(format!(
            "the definition of {table} did not hold «{from}» exactly once"
        )));
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        manager
            .create_table(
                Table::create()
                    .table("territorial_directions")
                    .col(id())
                    .col(ColumnDef::new("name").string().not_null().unique_key())
                    .col(timestamp("created_at"))
                    .col(timestamp("updated_at"))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("territorial_direction_departments")
                    .col(ColumnDef::new("direction_id").integer().not_null())
                    // A department belongs to one direction at most.
                    .col(
                        ColumnDef::new("department_code")
                            .string_len(2)
                            .not_null()
                            .unique_key(),
                    )
                    .primary_key(&mut pk(&["direction_id", "department_code"]))
                    .refs("direction_id", "territorial_directions", Cascade)
                    .refs_col("department_code", "departments", "code", Restrict)
                    .take(),
            )
            .await?;
        // PostgreSQL references the targets; SQLite could then never drop the columns again
        // (`down`), so there the domain's validation alone guards them.
        let postgres = db.get_database_backend() == DbBackend::Postgres;
        for (column, kind, target) in [
            (
                "territorial_direction_id",
                "INTEGER",
                "territorial_directions (id)",
            ),
            ("municipality_code", "VARCHAR(5)", "municipalities (code)"),
        ] {
            let reference = if postgres {
                format!(" REFERENCES {target}")
            } else {
                String::new()
            };
            db.execute_unprepared(&format!(
                "ALTER TABLE users ADD COLUMN {column} {kind} NULL{reference}"
            ))
            .await?;
        }
        role_check(db, OLD_ROLES, NEW_ROLES).await?;
        manager
            .create_table(
                Table::create()
                    .table("demands")
                    .col(id())
                    .col(ColumnDef::new("municipality_code").string_len(5).not_null())
                    .col(ColumnDef::new("capacity_id").integer().not_null())
                    .col(ColumnDef::new("topic").string().not_null())
                    .col(ColumnDef::new("description").text().not_null())
                    .col(
                        ColumnDef::new("people_estimate")
                            .integer()
                            .not_null()
                            .check(Expr::col("people_estimate").between(1, 10_000)),
                    )
                    .col(one_of("modality", &["presencial", "virtual", "mixta"]))
                    .col(ColumnDef::new("wanted_from").date().not_null())
                    .col(ColumnDef::new("wanted_to").date().not_null())
                    .col(one_of("priority", &["alta", "media", "baja"]))
                    .col(one_of("status", &["open", "planned", "met", "declined"]))
                    .col(ColumnDef::new("decline_reason").text().null())
                    .col(ColumnDef::new("cohort_id").integer().null())
                    .col(ColumnDef::new("created_by").integer().not_null())
                    .col(ColumnDef::new("endorsed_by").integer().null())
                    .col(timestamp_null("endorsed_at"))
                    .col(timestamp("created_at"))
                    .col(timestamp("updated_at"))
                    .col(timestamp_null("planned_at"))
                    .col(timestamp_null("met_at"))
                    .refs_col("municipality_code", "municipalities", "code", Restrict)
                    .refs("capacity_id", "capacities", Restrict)
                    .refs("cohort_id", "cohorts", SetNull)
                    .refs("created_by", "users", Restrict)
                    .refs("endorsed_by", "users", SetNull)
                    .take(),
            )
            .await?;
        for (name, table, columns) in [
            (
                "ix_demands_municipality_code",
                "demands",
                &["municipality_code", "capacity_id", "status"][..],
            ),
            (
                "ix_demands_status",
                "demands",
                &["status", "created_at"][..],
            ),
            ("ix_demands_cohort_id", "demands", &["cohort_id"][..]),
            (
                "ix_users_territorial_direction_id",
                "users",
                &["territorial_direction_id"][..],
            ),
            (
                "ix_users_municipality_code",
                "users",
                &["municipality_code"][..],
            ),
        ] {
            let mut index = Index::create().name(name).table(table).take();
            for column in columns {
                index.col(*column);
            }
            manager.create_index(index).await?;
        }
        Ok(())
    }

    /// Drops demand and directions; liaisons become inactive participants first (the narrower
    /// check could not hold them).
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "UPDATE users SET role = 'participant', active = FALSE WHERE role = 'liaison'",
        )
        .await?;
        role_check(db, NEW_ROLES, OLD_ROLES).await?;
        manager
            .drop_table(Table::drop().table("demands").take())
            .await?;
        for index in [
            "ix_users_territorial_direction_id",
            "ix_users_municipality_code",
        ] {
            manager
                .drop_index(Index::drop().name(index).table("users").to_owned())
                .await?;
        }
        for column in ["territorial_direction_id", "municipality_code"] {
            db.execute_unprepared(&format!("ALTER TABLE users DROP COLUMN {column}"))
                .await?;
        }
        manager
            .drop_table(
                Table::drop()
                    .table("territorial_direction_departments")
                    .take(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table("territorial_directions").take())
            .await?;
        Ok(())
    }
}
