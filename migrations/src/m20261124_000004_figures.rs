//! The figures model (issue 20): counts kept current on write, read by every report.
//!
//! - `cohort_figures`: per cohort × municipality of the enrolment — enrolled, waitlisted,
//!   cancelled, completed, not completed, attended marks, valid certificates, certified people
//!   still in the municipality, sessions scheduled.
//! - `capacity_people`: one row per person × capacity × municipality of the enrolment × year (trained,
//!   with whether they completed, were certified and are still there), so the distinct counts
//!   of the coverage report can be kept by adding and subtracting.
//!   One row per year the person trained in (by the cohort's start).
//! - `capacity_figures`: distinct people per municipality × capacity (all years);
//!   `capacity_year_figures`: the same per year.
//! - `differential_people`: the consenting people (active consent for sensitive data) with a
//!   counted enrolment in a department, with the four attributes of the differential approach.
//! - `figures_dirty`: cohorts whose source rows changed in the current transaction. Triggers
//!   on every source table write here, so no write path can forget; the domain's
//!   `db::commit` recomputes the cohorts named here (and empties it) just before `COMMIT`.
//!
//! The migration marks every existing cohort dirty: the first commit (or the periodic job)
//! after upgrading fills the figures.

use crate::shapes::{drop_tables_if_exist, execute_all, id, index, migration_name, pk};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

migration_name!("m20261124_000004_figures");

fn count(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).integer().not_null().default(0).take()
}

fn flag(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .boolean()
        .not_null()
        .default(false)
        .take()
}

fn text(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).string().not_null().take()
}

fn int(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).integer().not_null().take()
}

/// (table, column holding or leading to the cohort) of every source of the figures, as the
/// SQL that names the touched cohorts from a trigger's `NEW`/`OLD` row (`{row}`).
const SOURCES: &[(&str, &str)] = &[
    ("enrolments", "SELECT {row}.cohort_id AS cohort_id"),
    ("certificates", "SELECT {row}.cohort_id AS cohort_id"),
    ("cohort_sessions", "SELECT {row}.cohort_id AS cohort_id"),
    (
        "attendance_marks",
        "SELECT cohort_id AS cohort_id FROM enrolments WHERE id = {row}.enrolment_id",
    ),
    (
        "course_capacities",
        "SELECT id AS cohort_id FROM cohorts WHERE course_id = {row}.course_id",
    ),
    (
        "consents",
        "SELECT cohort_id AS cohort_id FROM enrolments WHERE participant_id = {row}.participant_id",
    ),
];

/// Sources that touch their cohorts only when some of their columns change: (table, the
/// touched cohorts, the columns). A person's municipality or an attribute of the differential
/// approach; a cohort's status (its figures say whether it is closed) — not the no-op update
/// that locks a cohort.
const UPDATES: &[(&str, &str, &str)] = &[
    (
        "participants",
        "SELECT cohort_id AS cohort_id FROM enrolments WHERE participant_id = {row}.id",
        "municipality_code, sex, ethnic_group, has_disability, is_conflict_victim",
    ),
    ("cohorts", "SELECT {row}.id AS cohort_id", "status"),
];

/// The statement a trigger runs: names the touched cohorts once (a bulk load of marks would
/// otherwise write one row per mark).
pub(crate) fn mark(select: &str, row: &str) -> String {
    format!(
        "INSERT INTO figures_dirty (cohort_id) SELECT touched.cohort_id FROM ({}) AS touched \
         WHERE NOT EXISTS (SELECT 1 FROM figures_dirty WHERE figures_dirty.cohort_id = touched.cohort_id)",
        select.replace("{row}", row)
    )
}

fn sqlite_triggers() -> Vec<String> {
    let mut out = sqlite_source_triggers(SOURCES);
    for (table, select, columns) in UPDATES {
        out.push(format!(
            "CREATE TRIGGER figures_{table}_update AFTER UPDATE OF {columns} ON {table} \
             BEGIN {}; END",
            mark(select, "NEW")
        ));
    }
    out
}

/// SQLite's triggers for `sources` (every insert, update and delete names the cohorts).
fn sqlite_source_triggers(sources: &[(&str, &str)]) -> Vec<String> {
    let mut out = Vec::new();
    for (table, select) in sources {
        for (event, row) in [("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")] {
            out.push(format!(
                "CREATE TRIGGER figures_{table}_{e} AFTER {event} ON {table} BEGIN {}; END",
                mark(select, row),
                e = event.to_lowercase(),
            ));
        }
    }
    out
}

/// The statements that make writes to `sources` (table, the SQL naming the touched cohorts
/// from `{row}`) mark their cohorts dirty, for the database's backend: for a later
/// migration's new source table.
pub(crate) fn source_triggers(backend: DbBackend, sources: &[(&str, &str)]) -> Vec<String> {
    match backend {
        DbBackend::Postgres => {
            let mut out: Vec<String> = sources
                .iter()
                .map(|(table, select)| postgres_function(table, select))
                .collect();
            for (table, _) in sources {
                out.push(format!(
                    "CREATE TRIGGER figures_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} \
                     FOR EACH ROW EXECUTE FUNCTION figures_touch_{table}()"
                ));
            }
            out
        }
        _ => sqlite_source_triggers(sources),
    }
}

/// The statements that undo [`source_triggers`].
pub(crate) fn drop_source_triggers(backend: DbBackend, tables: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for table in tables {
        if backend == DbBackend::Postgres {
            out.push(format!("DROP TRIGGER IF EXISTS figures_{table} ON {table}"));
            out.push(format!("DROP FUNCTION IF EXISTS figures_touch_{table}()"));
        } else {
            for event in ["insert", "update", "delete"] {
                out.push(format!("DROP TRIGGER IF EXISTS figures_{table}_{event}"));
            }
        }
    }
    out
}

/// The PostgreSQL function a trigger of `table` runs.
fn postgres_function(name: &str, select: &str) -> String {
    postgres_function_marking(name, select, mark)
}

/// The PostgreSQL function a trigger of `table` runs, `mark` making the statement that names
/// what the row (before and after, as it exists) touched.
pub(crate) fn postgres_function_marking(
    name: &str,
    select: &str,
    mark: fn(&str, &str) -> String,
) -> String {
    format!(
        "CREATE FUNCTION figures_touch_{name}() RETURNS trigger AS $$ BEGIN \
         IF TG_OP <> 'INSERT' THEN {old}; END IF; \
         IF TG_OP <> 'DELETE' THEN {new}; END IF; \
         RETURN NULL; END $$ LANGUAGE plpgsql",
        old = mark(select, "OLD"),
        new = mark(select, "NEW"),
    )
}

fn postgres_triggers() -> Vec<String> {
    let mut out = Vec::new();
    for (table, select) in SOURCES {
        out.push(postgres_function(table, select));
    }
    for (table, select, _) in UPDATES {
        out.push(postgres_function(table, select));
    }
    for (table, _) in SOURCES {
        out.push(format!(
            "CREATE TRIGGER figures_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} \
             FOR EACH ROW EXECUTE FUNCTION figures_touch_{table}()"
        ));
    }
    for (table, _, columns) in UPDATES {
        out.push(format!(
            "CREATE TRIGGER figures_{table} AFTER UPDATE OF {columns} ON {table} \
             FOR EACH ROW EXECUTE FUNCTION figures_touch_{table}()"
        ));
    }
    out
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("cohort_figures")
                    .col(int("cohort_id"))
                    .col(text("municipality_code"))
                    .col(text("department_code"))
                    // The municipality's name folded (no accents, lower case): the reports'
                    // order, so a page of rows is cut in SQL.
                    .col(text("municipality_sort"))
                    // The cohort is closed (its figures are frozen).
                    .col(flag("closed"))
                    .col(count("enrolled"))
                    .col(count("waitlisted"))
                    .col(count("cancelled"))
                    .col(count("completed"))
                    .col(count("not_completed"))
                    .col(count("attended"))
                    .col(count("certified"))
                    .col(count("still_in_entity"))
                    .col(count("sessions_scheduled"))
                    .primary_key(&mut pk(&["cohort_id", "municipality_code"]))
                    .take(),
            )
            .await?;
        // The reports' order, within a department and nationally.
        for (name, columns) in [
            (
                "ix_cohort_figures_department_order",
                &[
                    "department_code",
                    "municipality_sort",
                    "municipality_code",
                    "cohort_id",
                    // Covering for a department's count of rows with someone enrolled.
                    "enrolled",
                ][..],
            ),
            // Covering for a department's sums per municipality and for the window that places
            // the participant detail's groups: read from the index alone, in its order.
            (
                "ix_cohort_figures_department_sums",
                &[
                    "department_code",
                    "municipality_code",
                    "cohort_id",
                    "enrolled",
                    "closed",
                    "completed",
                    "attended",
                    "certified",
                    "sessions_scheduled",
                ][..],
            ),
            // The few rows of cohorts not closed yet, per department.
            ("ix_cohort_figures_open", &["closed", "department_code"][..]),
            (
                "ix_cohort_figures_order",
                &["municipality_sort", "municipality_code", "cohort_id"][..],
            ),
            (
                "ix_cohort_figures_municipality_code",
                &["municipality_code"][..],
            ),
        ] {
            let mut index = Index::create().name(name).table("cohort_figures").take();
            for column in columns {
                index.col(*column);
            }
            manager.create_index(index).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("capacity_people")
                    .col(int("participant_id"))
                    .col(int("capacity_id"))
                    .col(text("municipality_code"))
                    // The year the cohort started.
                    .col(int("year"))
                    .col(text("department_code"))
                    .col(flag("completed"))
                    .col(flag("certified"))
                    .col(flag("still_in_entity"))
                    .primary_key(&mut pk(&[
                        "participant_id",
                        "capacity_id",
                        "municipality_code",
                        "year",
                    ]))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("capacity_figures")
                    .col(text("municipality_code"))
                    .col(int("capacity_id"))
                    .col(text("department_code"))
                    .col(count("trained"))
                    .col(count("completed"))
                    .col(count("certified"))
                    .col(count("still_in_entity"))
                    .primary_key(&mut pk(&["municipality_code", "capacity_id"]))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("capacity_year_figures")
                    .col(text("municipality_code"))
                    .col(int("capacity_id"))
                    .col(int("year"))
                    .col(text("department_code"))
                    .col(count("trained"))
                    .col(count("completed"))
                    .col(count("certified"))
                    .col(count("still_in_entity"))
                    .primary_key(&mut pk(&["municipality_code", "capacity_id", "year"]))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("capacity_figures", &["department_code"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("differential_people")
                    .col(int("participant_id"))
                    .col(text("department_code"))
                    .col(ColumnDef::new("sex").string().null())
                    .col(ColumnDef::new("ethnic_group").string().null())
                    .col(ColumnDef::new("has_disability").boolean().null())
                    .col(ColumnDef::new("is_conflict_victim").boolean().null())
                    .primary_key(&mut pk(&["participant_id", "department_code"]))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                // Covering: a department's counts are read from the index alone.
                Index::create()
                    .name("ix_differential_people_department")
                    .table("differential_people")
                    .col("department_code")
                    .col("sex")
                    .col("ethnic_group")
                    .col("has_disability")
                    .col("is_conflict_victim")
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("figures_dirty")
                    .col(id())
                    .col(int("cohort_id"))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("figures_dirty", &["cohort_id"]))
            .await?;
        let db = manager.get_connection();
        let triggers = match db.get_database_backend() {
            DbBackend::Postgres => postgres_triggers(),
            _ => sqlite_triggers(),
        };
        execute_all(db, triggers).await?;
        db.execute_unprepared("INSERT INTO figures_dirty (cohort_id) SELECT id FROM cohorts")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = db.get_database_backend() == DbBackend::Postgres;
        let tables = SOURCES
            .iter()
            .map(|(table, _)| *table)
            .chain(UPDATES.iter().map(|(table, _, _)| *table));
        for table in tables {
            // SQLite names one trigger per event (`UPDATES` have only `_update`).
            let statements = if postgres {
                vec![
                    format!("DROP TRIGGER IF EXISTS figures_{table} ON {table}"),
                    format!("DROP FUNCTION IF EXISTS figures_touch_{table}()"),
                ]
            } else {
                ["insert", "update", "delete"]
                    .map(|event| format!("DROP TRIGGER IF EXISTS figures_{table}_{event}"))
                    .to_vec()
            };
            execute_all(db, statements).await?;
        }
        drop_tables_if_exist(
            manager,
            &[
                "figures_dirty",
                "differential_people",
                "capacity_year_figures",
                "capacity_figures",
                "capacity_people",
                "cohort_figures",
            ],
        )
        .await
    }
}
