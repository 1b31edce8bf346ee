//! The one spreadsheet helper: every Excel export, every upload of a spreadsheet and every
//! import template goes through here, so the safety rules live in one place.
//!
//! # Export ([`ExportBook`], [`SheetWriter`])
//!
//! ```text
//! ExportBook::new(title: &str, filters: &[(String, String)], generated_by: &str) -> ExportBook
//! ExportBook::sheet(&mut self, name: &str, columns: &[Column]) -> AppResult<SheetWriter<'_>>
//! ExportBook::sheet_with_notes(&mut self, name: &str, notes: &[String], columns: &[Column])
//!     -> AppResult<SheetWriter<'_>>
//! ExportBook::save_to_buffer(self) -> AppResult<Vec<u8>>
//! SheetWriter::row(&mut self, cells: &[Cell]) -> AppResult<()>
//! SheetWriter::rows_written(&self) -> usize
//! SheetWriter::add_chart(&mut self, kind: ChartKind, title: &str, category_col: usize,
//!     value_cols: &[usize]) -> AppResult<()>
//! Column::new(title, width: f64, kind: ColumnKind) / Column::text / Column::code / …
//! enum ColumnKind { Text, Code, Integer, Decimal(u8), Percent, Date }
//! enum Cell { Text(String), Int(i64), Number(f64), Date(NaiveDate), Empty }  (+ From impls)
//! enum ChartKind { Column, Bar }
//! ```
//!
//! Every sheet starts with a header block (title; what was filtered; who generated it and when,
//! in Colombian time), then a blank row, then the column titles. The block and the title row are
//! frozen, an autofilter covers the table, and every sheet is written in rust_xlsxwriter's
//! *constant memory* mode (rows go straight to a temporary file, so a 100,000-row report costs
//! no more memory than a 10-row one; rows can only be appended, which is all `row` does).
//! Text is always written as a string cell, never as a formula; text that starts with `=`, `+`,
//! `-` or `@` also gets Excel's quote prefix so that editing the cell does not turn it into a
//! formula either. `Code` columns (DANE codes, document numbers) are always text: `"05001"`
//! keeps its zero.
//!
//! # Import ([`read_upload`], [`read_upload_requiring`])
//!
//! ```text
//! read_upload(bytes: &[u8], filename: &str) -> AppResult<ImportTable>
//! read_upload_requiring(bytes: &[u8], filename: &str, required: &[&str]) -> AppResult<ImportTable>
//! ImportTable { headers: Vec<String>, rows: Vec<ImportRow> } ; ImportTable::has(&self, header)
//! ImportRow { number: usize, cells: HashMap<String, String> } ; ImportRow::get(&self, header) -> &str
//! normalize_header(text: &str) -> String
//! parse_upload(bytes: Vec<u8>, filename: String, required: Vec<String>) -> AppResult<ImportTable>  (async, blocking thread)
//! MAX_UPLOAD_BYTES = 5 MiB ; MAX_IMPORT_ROWS = 5,000 ; MAX_IMPORT_CELLS = 250,000 ;
//! MAX_IMPORT_COLUMNS = 200 ; MAX_IMPORT_CELL_CHARS = 2,000
//! ```
//!
//! `.xlsx` (first visible worksheet) is read with calamine, `.csv` with the csv crate. Every
//! value comes back as trimmed text: numbers typed as numbers lose Excel's `.0`
//! (`1234567.0` → `"1234567"`), dates become `YYYY-MM-DD` (or `YYYY-MM-DD HH:MM`), and
//! padding codes with zeros is the caller's rule. Headers are normalized with
//! [`normalize_header`] (`" Número de Documento "` → `"numero_de_documento"`). Empty rows are
//! skipped, wherever they are; row numbers are the spreadsheet's own (header row = 1 when the
//! header is the first row), for error messages. Anything that is not a spreadsheet is refused
//! with a Spanish message (`AppError::Validation` on field `"file"`, 422); more than
//! [`MAX_UPLOAD_BYTES`] is `AppError::TooLarge` (413); more rows, cells, columns or longer
//! cells than the bounds above are a 422 on `"file"` that says the limit (the reader stops as
//! soon as it knows). Parse with [`parse_upload`] *before* opening a write transaction.
//!
//! # The import pipeline ([`pipeline`]: [`Import`], [`pipeline::run`])
//!
//! ```text
//! trait Import { type Row; type Plan; type Summary; const HEADERS;
//!     lock, rows, plan, preview, save }                       (a value of it: opened)
//! pipeline::run(db, &import, Source<Row>, Mode) -> AppResult<Summary>
//! enum Source<Row> { File { bytes, name }, Rows(Vec<Row>) } ; enum Mode { Preview, Save }
//! ImportSummary<Change> { dry_run, changes, unchanged } ; ::preview(planned, change) ; .saved()
//! all_or_nothing(errors, planned, nothing: &str) -> AppResult<Vec<Planned>>
//! ```
//!
//! Every import (enrolments, attendance, scores) is one [`Import`]: its own rows, checks and
//! writes; the pipeline does the rest the same way for all: an import is opened (who may
//! import into what) before its file is read, the file is parsed with the bounds above before
//! any transaction, a preview only reads, and a save runs in one write transaction, all or
//! nothing.
//!
//! # Templates ([`template`])
//!
//! ```text
//! template(sheet_name: &str, columns: &[(&str, Option<&[&str]>)], example: &[&str]) -> AppResult<Vec<u8>>
//! ```
//!
//! One sheet: bold frozen headers in row 1, an example row in row 2 (it is data: the person
//! overwrites it), every column formatted as text (so `05001` typed by hand keeps its zero), and
//! a drop-down list for each column that has allowed values.
//!
//! # CSV files to publish ([`CsvFile`], [`CsvField`])
//!
//! ```text
//! CsvFile::new(header: &[&str]) -> CsvFile ; CsvFile::row(&mut self, fields: &[CsvField])
//! CsvFile::with_flavour(header: &[&str], flavour: CsvFlavour) -> CsvFile
//! CsvFile::into_bytes(self) -> Vec<u8>
//! enum CsvField { Text(String), Number(Option<i64>) }  (+ From impls)
//! enum CsvFlavour { Standard, ExcelColombia }  .delimiter() .decimal_separator() .suffix()
//! ```
//!
//! The open data sets' files (`crate::open_data`): UTF-8 with BOM, comma (`;` in the Excel
//! flavour), CRLF, text always quoted (codes keep their zeros), formula-looking text defused,
//! an absent number empty; see `csv_export.rs`.
//!
//! # Downloads
//!
//! Sending a file is the web layer's business: `spreadsheets::Download` in the app crate (a
//! Rocket responder with the content type, `Content-Disposition` and `Cache-Control: no-store`).

mod csv_export;
pub mod drafts;
mod export;
mod import;
pub mod pipeline;
mod template;

#[cfg(test)]
mod tests;

pub use csv_export::{BOM, CsvField, CsvFile, CsvFlavour};
pub use export::{Cell, ChartKind, Column, ColumnKind, ExportBook, SheetWriter};
pub use import::{ImportRow, ImportTable, parse_upload, read_upload, read_upload_requiring};
pub use pipeline::{Import, Mode, Source};
pub use template::template;

use crate::error::{AppError, AppResult, FieldError};
use serde::Serialize;

/// What an import of a sheet would change (dry run, the preview) or changed: the changed rows,
/// and how many rows matched what is recorded. The attendance and scores imports answer it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ImportSummary<Change> {
    /// Whether nothing was written.
    pub dry_run: bool,
    /// The rows (or cells) that change what is recorded.
    pub changes: Vec<Change>,
    /// Rows identical to what is recorded.
    pub unchanged: usize,
}

impl<Change> ImportSummary<Change> {
    /// What a plan would change: each planned row's change, or `None` when the row equals
    /// what is recorded (counted as unchanged).
    pub fn preview<Planned>(
        planned: Vec<Planned>,
        mut change: impl FnMut(Planned) -> Option<Change>,
    ) -> Self {
        let mut changes = Vec::new();
        let mut unchanged = 0;
        for row in planned {
            match change(row) {
                Some(found) => changes.push(found),
                None => unchanged += 1,
            }
        }
        ImportSummary {
            dry_run: true,
            changes,
            unchanged,
        }
    }

    /// The same changes, saved.
    pub fn saved(self) -> Self {
        ImportSummary {
            dry_run: false,
            ..self
        }
    }
}

/// The end of a sheet's checks, all or nothing: every problem found at once (422), or the
/// planned rows; a file that plans nothing is refused with `nothing` (on the field `file`).
pub fn all_or_nothing<Planned>(
    errors: Vec<FieldError>,
    planned: Vec<Planned>,
    nothing: &str,
) -> AppResult<Vec<Planned>> {
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    if planned.is_empty() {
        return Err(AppError::invalid("file", nothing));
    }
    Ok(planned)
}

/// The largest upload [`read_upload`] accepts.
pub const MAX_UPLOAD_BYTES: usize = 5 * 1024 * 1024;

/// Data rows one import may hold (enrolments, attendance, scores): a cohort's worth many times
/// over, and small enough that checking and writing them keeps the database free for others.
pub const MAX_IMPORT_ROWS: usize = 5_000;
/// Non-empty cells one upload may hold.
pub const MAX_IMPORT_CELLS: usize = 250_000;
/// Columns (the last one a cell may be in).
pub const MAX_IMPORT_COLUMNS: usize = 200;
/// Characters of one cell.
pub const MAX_IMPORT_CELL_CHARS: usize = 2_000;

/// Excel's longest sheet name.
const MAX_SHEET_NAME_CHARS: usize = 31;

/// A header as imports compare it: lower case, no Spanish accents, words joined by `_`
/// (`" Correo  Electrónico "` → `"correo_electronico"`).
pub fn normalize_header(text: &str) -> String {
    crate::text::fold(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("_")
}

/// rust_xlsxwriter failures are programming or environment errors (bad ranges, an unwritable
/// temporary folder), never the person's fault.
fn xlsx_error(error: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::Internal(format!("xlsx: {error}"))
}

/// A name Excel accepts for a sheet, distinct (case-insensitively) from `taken`: forbidden
/// characters become `-`, at most 31 characters, and a ` (2)`-style suffix for repeats.
fn sheet_name(wanted: &str, taken: &[String]) -> String {
    let cleaned: String = wanted
        .trim()
        .chars()
        .map(|c| match c {
            '[' | ']' | ':' | '*' | '?' | '/' | '\\' => '-',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let cleaned = cleaned.trim().trim_matches('\'').trim();
    let base = if cleaned.is_empty() { "Hoja" } else { cleaned };
    let is_taken = |name: &str| {
        taken
            .iter()
            .any(|other| other.to_lowercase() == name.to_lowercase())
    };
    let first: String = base.chars().take(MAX_SHEET_NAME_CHARS).collect();
    if !is_taken(&first) {
        return first;
    }
    let mut n = 2;
    loop {
        let suffix = format!(" ({n})");
        let room = MAX_SHEET_NAME_CHARS - suffix.chars().count();
        let candidate = format!(
            "{}{suffix}",
            base.chars().take(room).collect::<String>().trim_end()
        );
        if !is_taken(&candidate) {
            return candidate;
        }
        n += 1;
    }
}

/// Whether Excel would read this text as the start of a formula when someone edits the cell.
fn looks_like_formula(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@'])
}

/// Excel's built-in number format 49, `@` (Text): what is typed in the cell stays text.
const TEXT_FORMAT: u8 = 49;

/// Excel's limit for the text of one cell.
const MAX_CELL_CHARS: usize = 32_767;

/// Text cut to what one cell can hold.
fn cell_text(text: &str) -> &str {
    match text.char_indices().nth(MAX_CELL_CHARS) {
        Some((cut, _)) => &text[..cut],
        None => text,
    }
}
