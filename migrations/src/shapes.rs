//! The shapes the migrations build again and again, written once (issue 63): the `id` column,
//! timestamps, enum-like text columns, foreign keys and their names, indexes and their names,
//! and `down()`'s drops. Each builds exactly the statement the migrations used to spell out by
//! hand, so the schema (names, types, defaults, constraints) is the same on SQLite and
//! PostgreSQL as before.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

pub(crate) use ForeignKeyAction::{Cascade, Restrict, SetNull};

/// `pub struct Migration` named `$name`: the name recorded in `seaql_migrations`, which never
/// changes once a migration has been applied anywhere.
macro_rules! migration_name {
    ($name:literal) => {
        pub struct Migration;

        impl MigrationName for Migration {
            fn name(&self) -> &str {
                $name
            }
        }
    };
}
pub(crate) use migration_name;

/// `id`: an auto-incremented integer primary key.
pub(crate) fn id() -> ColumnDef {
    ColumnDef::new("id")
        .integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .take()
}

/// A moment (with time zone), required.
pub(crate) fn timestamp(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .not_null()
        .take()
}

/// A moment (with time zone), optional.
pub(crate) fn timestamp_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .null()
        .take()
}

/// A required text column holding one of `values` (a check constraint).
pub(crate) fn one_of(name: &'static str, values: &[&'static str]) -> ColumnDef {
    ColumnDef::new(name)
        .string()
        .not_null()
        .check(Expr::col(name).is_in(values.iter().copied()))
        .take()
}

/// The foreign key `fk_{table}_{column}` from `table.column` to `target.target_column`,
/// following the target's updates.
pub(crate) fn fk(
    table: &'static str,
    column: &'static str,
    target: &'static str,
    target_column: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(target, target_column)
        .on_delete(on_delete)
        .on_update(ForeignKeyAction::Cascade)
        .take()
}

/// [`fk`] to the target's `id`.
pub(crate) fn fk_id(
    table: &'static str,
    column: &'static str,
    target: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    fk(table, column, target, "id", on_delete)
}

/// Foreign keys declared while building a table, each named after the table like [`fk`]
/// (`fk_{table}_{column}`) and following the target's updates. The table's name must be set
/// (`.table(..)`) before the first of them.
pub(crate) trait References {
    /// `column` → `target.id`.
    fn refs(
        &mut self,
        column: &'static str,
        target: &'static str,
        on_delete: ForeignKeyAction,
    ) -> &mut Self;

    /// `column` → `target.target_column`.
    fn refs_col(
        &mut self,
        column: &'static str,
        target: &'static str,
        target_column: &'static str,
        on_delete: ForeignKeyAction,
    ) -> &mut Self;
}

impl References for TableCreateStatement {
    fn refs(
        &mut self,
        column: &'static str,
        target: &'static str,
        on_delete: ForeignKeyAction,
    ) -> &mut Self {
        self.refs_col(column, target, "id", on_delete)
    }

    fn refs_col(
        &mut self,
        column: &'static str,
        target: &'static str,
        target_column: &'static str,
        on_delete: ForeignKeyAction,
    ) -> &mut Self {
        let (table, name) = match self.get_table_name() {
            Some(table @ TableRef::Table(TableName(_, name), _)) => (table.clone(), name.inner()),
            _ => (TableRef::from(Alias::new("")), "".into()),
        };
        self.foreign_key(
            ForeignKey::create()
                .name(format!("fk_{name}_{column}"))
                .from(table, column)
                .to(target, target_column)
                .on_delete(on_delete)
                .on_update(ForeignKeyAction::Cascade),
        )
    }
}

/// A composite primary key over `columns`, in order.
pub(crate) fn pk(columns: &[&'static str]) -> IndexCreateStatement {
    let mut key = Index::create();
    for column in columns {
        key.col(*column);
    }
    key
}

/// The index `{prefix}_{table}_{columns}` over `columns`, in order.
pub(crate) fn named_index(
    prefix: &str,
    table: &'static str,
    columns: &[&'static str],
) -> IndexCreateStatement {
    let mut statement = Index::create()
        .name(format!("{prefix}_{table}_{}", columns.join("_")))
        .table(table)
        .take();
    for column in columns {
        statement.col(*column);
    }
    statement
}

/// The plain index `ix_{table}_{columns}`.
pub(crate) fn index(table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    named_index("ix", table, columns)
}

/// The unique index `uq_{table}_{columns}`.
pub(crate) fn unique(table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    named_index("uq", table, columns).unique().take()
}

/// Creates every index of `indexes`, in order.
pub(crate) async fn create_indexes(
    manager: &SchemaManager<'_>,
    indexes: impl IntoIterator<Item = IndexCreateStatement>,
) -> Result<(), DbErr> {
    for statement in indexes {
        manager.create_index(statement).await?;
    }
    Ok(())
}

/// Adds `column` to `table`.
pub(crate) async fn add_column(
    manager: &SchemaManager<'_>,
    table: &'static str,
    column: impl IntoColumnDef,
) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).add_column(column).take())
        .await
}

/// Drops `column` from `table`.
pub(crate) async fn drop_column(
    manager: &SchemaManager<'_>,
    table: &'static str,
    column: &'static str,
) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).drop_column(column).take())
        .await
}

/// Drops every table of `tables`, in order (dependents first).
pub(crate) async fn drop_tables(
    manager: &SchemaManager<'_>,
    tables: &[&'static str],
) -> Result<(), DbErr> {
    for table in tables {
        manager
            .drop_table(Table::drop().table(*table).take())
            .await?;
    }
    Ok(())
}

/// [`drop_tables`], each only if it exists (`DROP TABLE IF EXISTS`).
pub(crate) async fn drop_tables_if_exist(
    manager: &SchemaManager<'_>,
    tables: &[&'static str],
) -> Result<(), DbErr> {
    for table in tables {
        manager
            .drop_table(Table::drop().table(*table).if_exists().take())
            .await?;
    }
    Ok(())
}

/// Runs every raw SQL statement of `statements`, in order (a backend's triggers, data moves).
pub(crate) async fn execute_all(
    db: &SchemaManagerConnection<'_>,
    statements: impl IntoIterator<Item = impl AsRef<str>>,
) -> Result<(), DbErr> {
    for statement in statements {
        db.execute_unprepared(statement.as_ref()).await?;
    }
    Ok(())
}

/// Column shapes by what they hold (`text`: a required string, `long_text`: a required text,
/// `real`: a required double, … `_null`: the optional one): one definition for every migration.
pub(crate) mod columns {
    use sea_orm_migration::prelude::*;

    pub(crate) fn text(name: &'static str) -> ColumnDef {
        ColumnDef::new(name).string().not_null().take()
    }
    pub(crate) fn text_null(name: &'static str) -> ColumnDef {
        ColumnDef::new(name).string().null().take()
    }
    pub(crate) fn long_text(name: &'static str) -> ColumnDef {
        ColumnDef::new(name).text().not_null().take()
    }
    pub(crate) fn long_text_null(name: &'static str) -> ColumnDef {
        ColumnDef::new(name).text().null().take()
    }
    pub(crate) fn int(name: &'static str) -> ColumnDef {
        ColumnDef::new(name).integer().not_null().take()
    }
    pub(crate) fn int_null(name: &'static str) -> ColumnDef {
        ColumnDef::new(name).integer().null().take()
    }
    pub(crate) fn boolean(name: &'static str) -> ColumnDef {
        ColumnDef::new(name).boolean().not_null().take()
    }
    pub(crate) fn date(name: &'static str) -> ColumnDef {
        ColumnDef::new(name).date().not_null().take()
    }
    pub(crate) fn real(name: &'static str) -> ColumnDef {
        ColumnDef::new(name).double().not_null().take()
    }
    pub(crate) fn real_null(name: &'static str) -> ColumnDef {
        ColumnDef::new(name).double().null().take()
    }
}
