//! The one import pipeline: a spreadsheet (or the rows a preview sent back) is read, checked
//! into a plan and either previewed or saved, with the same steps, bounds and guarantees for
//! every import (enrolments, attendance, scores, and any added later). Nothing here knows HTTP:
//! the web layer turns a request into an opened [`Import`], a [`Source`] and a [`Mode`], and
//! the summary into JSON or a page.

use super::{ImportTable, normalize_header, parse_upload};
use crate::error::AppResult;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde::Serialize;
use std::future::Future;

/// One kind of import, opened: a value of it exists once the caller was found allowed to
/// import into its target (the cohort), which it carries with who imports. Each import's own
/// constructor opens it (404, 403, or 409 when the target takes no imports), before any file
/// is read. Then [`run`] calls the steps in this order:
///
/// 1. the file is parsed (bounded, on a blocking thread, before any transaction), the header
///    row being the first with all the [`HEADERS`](Import::HEADERS);
/// 2. when saving, a write transaction opens and [`lock`](Import::lock) locks the target and
///    reads it again (saves into one target run one after the other);
/// 3. [`rows`](Import::rows) takes the import's rows out of the table (rows sent back by a
///    preview skip this step);
/// 4. [`plan`](Import::plan) checks every row against what is recorded: the plan, or every
///    problem at once (`AppError::Validation` with row, column and a Spanish message);
/// 5. [`preview`](Import::preview) says what saving would change (a preview writes nothing and
///    takes no write lock), or [`save`](Import::save) writes the plan and the transaction
///    commits: all or nothing.
pub trait Import: Sized + Sync {
    /// A row as read from the file, or as a preview's confirmation sends it back.
    type Row: Send + Sync;
    /// Checked rows, ready to show or save.
    type Plan: Send;
    /// What an import would change (preview) or changed (save).
    type Summary: Serialize + Send;

    /// Column titles the header row must have (compared normalized, so a title row above the
    /// table is skipped); none: the first non-empty row is the header row.
    const HEADERS: &'static [&'static str];

    /// The same import with its target locked, as the write transaction `db` sees it.
    fn lock(&self, db: &impl ConnectionTrait) -> impl Future<Output = AppResult<Self>> + Send;

    /// The import's rows in an uploaded table (a missing column is a 422 here).
    fn rows(
        &self,
        db: &impl ConnectionTrait,
        table: ImportTable,
    ) -> impl Future<Output = AppResult<Vec<Self::Row>>> + Send;

    /// Every row checked against what is recorded: the plan or every problem found.
    fn plan(
        &self,
        db: &impl ConnectionTrait,
        rows: Vec<Self::Row>,
    ) -> impl Future<Output = AppResult<Self::Plan>> + Send;

    /// What saving the plan would change.
    fn preview(&self, plan: Self::Plan) -> Self::Summary;

    /// Writes the plan inside the write transaction `db`; what changed.
    fn save(
        &self,
        db: &impl ConnectionTrait,
        plan: Self::Plan,
    ) -> impl Future<Output = AppResult<Self::Summary>> + Send;
}

/// Where an import's rows come from.
pub enum Source<Row> {
    /// An uploaded file: its bytes and the name the person's computer gave it.
    File { bytes: Vec<u8>, name: String },
    /// The rows a preview showed, sent back to be saved (checked again: things may have
    /// changed meanwhile).
    Rows(Vec<Row>),
}

/// A dry run (what would change; nothing written) or the real import.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Preview,
    Save,
}

impl Mode {
    /// `?dry_run=true` previews.
    pub fn dry_run(dry_run: bool) -> Self {
        if dry_run { Mode::Preview } else { Mode::Save }
    }
}

/// Steps 1 to 5 of [`Import`] for an opened import.
pub async fn run<I: Import>(
    db: &DatabaseConnection,
    import: &I,
    source: Source<I::Row>,
    mode: Mode,
) -> AppResult<I::Summary> {
    // Parsed before any transaction: the database stays free meanwhile.
    let read = match source {
        Source::File { bytes, name } => {
            let headers = I::HEADERS.iter().map(|h| normalize_header(h)).collect();
            Read::Table(parse_upload(bytes, name, headers).await?)
        }
        Source::Rows(rows) => Read::Rows(rows),
    };
    match mode {
        Mode::Preview => {
            let plan = check(db, import, read).await?;
            Ok(import.preview(plan))
        }
        Mode::Save => {
            crate::db::write(db, async |txn| {
                let import = import.lock(txn).await?;
                let plan = check(txn, &import, read).await?;
                import.save(txn, plan).await
            })
            .await
        }
    }
}

/// Rows as they reach the checks.
enum Read<Row> {
    Table(ImportTable),
    Rows(Vec<Row>),
}

async fn check<I: Import, C: ConnectionTrait>(
    db: &C,
    import: &I,
    read: Read<I::Row>,
) -> AppResult<I::Plan> {
    let rows = match read {
        Read::Table(table) => import.rows(db, table).await?,
        Read::Rows(rows) => rows,
    };
    import.plan(db, rows).await
}
