//! Technical assistance by year (issue 33, second part): `assistance_figures` gains the year
//! the assistance started (as a cohort's year is the year it started), so the impact
//! comparison ("five or more assistances before the year"), «¿Dónde formar?» ("little received
//! recently") and a municipality's figures by year read them like the training figures.
//!
//! The table is derived (kept by the domain in the writing transaction), so it is recreated
//! with the year in its key and refilled from the assistances with one portable statement.

use crate::shapes::{index, migration_name};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

migration_name!("m20261203_000013_assistance_years");

fn table(with_year: bool) -> TableCreateStatement {
    let mut key = Index::create();
    key.col("municipality_code")
        .col("capacity_id")
        .col("provider_id");
    let mut statement = Table::create();
    statement
        .table("assistance_figures")
        .col(ColumnDef::new("municipality_code").string_len(5).not_null())
        .col(ColumnDef::new("capacity_id").integer().not_null())
        .col(ColumnDef::new("provider_id").integer().not_null());
    if with_year {
        statement.col(ColumnDef::new("year").integer().not_null());
        key.col("year");
    }
    statement
        .col(ColumnDef::new("department_code").string_len(2).not_null())
        .col(ColumnDef::new("assistances").integer().not_null())
        .col(ColumnDef::new("closed").integer().not_null())
        .col(ColumnDef::new("reached").integer().not_null())
        .col(ColumnDef::new("visits").integer().not_null())
        .primary_key(&mut key);
    statement.take()
}

/// Refills the table from the assistances (not cancelled), per municipality × capacity ×
/// provider (× year of the start).
fn refill(backend: DbBackend, with_year: bool) -> String {
    let year = match backend {
        DbBackend::Postgres => "CAST(EXTRACT(YEAR FROM a.starts_on) AS INTEGER)",
        _ => "CAST(strftime('%Y', a.starts_on) AS INTEGER)",
    };
    let (year_column, year_value, year_group) = if with_year {
        ("year, ", format!("{year}, "), format!(", {year}"))
    } else {
        ("", String::new(), String::new())
    };
    format!(
        "INSERT INTO assistance_figures (municipality_code, capacity_id, provider_id, {year_column}\
         department_code, assistances, closed, reached, visits) \
         SELECT a.municipality_code, ac.capacity_id, a.provider_id, {year_value}m.department_code, \
         COUNT(*), \
         SUM(CASE WHEN a.status = 'closed' THEN 1 ELSE 0 END), \
         SUM(CASE WHEN a.status = 'closed' AND a.objective_reached = TRUE THEN 1 ELSE 0 END), \
         SUM((SELECT COUNT(*) FROM assistance_visits v WHERE v.assistance_id = a.id)) \
         FROM assistances a \
         JOIN assistance_capacities ac ON ac.assistance_id = a.id \
         JOIN municipalities m ON m.code = a.municipality_code \
         WHERE a.status <> 'cancelled' \
         GROUP BY a.municipality_code, ac.capacity_id, a.provider_id, m.department_code{year_group}"
    )
}

async fn recreate(manager: &SchemaManager<'_>, with_year: bool) -> Result<(), DbErr> {
    let department = index("assistance_figures", &["department_code"]);
    manager
        .drop_index(
            Index::drop()
                .name("ix_assistance_figures_department_code")
                .table("assistance_figures")
                .if_exists()
                .to_owned(),
        )
        .await?;
    manager
        .drop_table(Table::drop().table("assistance_figures").take())
        .await?;
    manager.create_table(table(with_year)).await?;
    manager.create_index(department).await?;
    let db = manager.get_connection();
    db.execute_unprepared(&refill(db.get_database_backend(), with_year))
        .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One connection, one transaction: on SQLite the pool's other connections would otherwise
    /// see the index and the table at different moments.
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        recreate(manager, true).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        recreate(manager, false).await
    }
}
