//! Reading uploaded spreadsheets (`.xlsx` with calamine, `.csv` with the csv crate) into rows of
//! trimmed text keyed by normalized header.

use super::{
    MAX_IMPORT_CELL_CHARS, MAX_IMPORT_CELLS, MAX_IMPORT_COLUMNS, MAX_IMPORT_ROWS, MAX_UPLOAD_BYTES,
    normalize_header,
};
use crate::error::{AppError, AppResult};
use calamine::{DataRef, ExcelDateTime, Reader, SheetType, SheetVisible, Xlsx};
use encoding_rs::{UTF_16BE, UTF_16LE, WINDOWS_1252};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Cursor;

/// What an `.xlsx` may unpack to (the sum of its parts' declared sizes, which the zip reader
/// enforces). Real 5 MiB workbooks unpack to a few tens of MiB; zip bombs are refused.
const MAX_UNPACKED_BYTES: u64 = 64 * 1024 * 1024;
/// Parts of a real workbook: a dozen or two.
const MAX_ZIP_ENTRIES: usize = 10_000;
/// How many non-empty rows [`read_upload_requiring`] looks through for the header row.
const HEADER_SEARCH_ROWS: usize = 30;
/// The start of every OLE2 compound file: Excel 97–2003 `.xls` and password-protected `.xlsx`.
const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

const EMPTY_FILE: &str = "El archivo está vacío.";
const NOT_A_SPREADSHEET: &str = "El archivo no es una hoja de cálculo. Suba un libro de Excel \
     (.xlsx) o un archivo de texto separado por comas o por punto y coma (.csv).";
const BAD_XLSX: &str = "No pudimos leer el libro de Excel: el archivo está dañado o no es un \
     .xlsx. Ábralo en Excel y guárdelo de nuevo como «Libro de Excel (.xlsx)».";
const OLD_OR_PROTECTED: &str = "El archivo está en el formato antiguo de Excel (.xls) o \
     protegido con contraseña. Ábralo en Excel, quite la contraseña si la tiene y guárdelo como \
     «Libro de Excel (.xlsx)».";
const NO_HEADER: &str = "El archivo no tiene datos: no encontramos la fila de encabezados.";

/// One data row of an upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportRow {
    /// The row number as the spreadsheet shows it (1-based; the header row is 1 when it is the
    /// first row), for error messages.
    pub number: usize,
    /// Normalized header → trimmed text; every header of the table is present (`""` when the
    /// cell is empty).
    pub cells: HashMap<String, String>,
}

impl ImportRow {
    /// The trimmed text under this normalized header, `""` when absent.
    pub fn get(&self, header: &str) -> &str {
        self.cells.get(header).map_or("", String::as_str)
    }
}

/// An uploaded table: its normalized headers, in file order, and its non-empty rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportTable {
    pub headers: Vec<String>,
    pub rows: Vec<ImportRow>,
}

impl ImportTable {
    /// Whether the table has this (normalized) header.
    pub fn has(&self, header: &str) -> bool {
        self.headers.iter().any(|h| h == header)
    }
}

/// Reads an upload whose first non-empty row holds the headers. A file with no data rows is
/// an empty table (the caller says whether that is acceptable).
pub fn read_upload(bytes: &[u8], filename: &str) -> AppResult<ImportTable> {
    read_upload_requiring(bytes, filename, &[])
}

/// Like [`read_upload`], but the header row is the first row (among the first 30 non-empty
/// rows) that has all the `required` headers, so files with a title above the table work; when
/// no row has them all, the error names the columns that are expected. Rows above the header
/// row are ignored.
pub fn read_upload_requiring(
    bytes: &[u8],
    filename: &str,
    required: &[&str],
) -> AppResult<ImportTable> {
    let rows = read_rows(bytes, filename)?;
    build_table(rows, required)
}

/// [`read_upload_requiring`] on a blocking thread ([`crate::blocking::run`]): parsing a 5 MiB
/// workbook is CPU work that must neither stall the async executor nor run while a write
/// transaction holds the database. Callers parse first and open their transaction afterwards.
pub async fn parse_upload(
    bytes: Vec<u8>,
    filename: String,
    required: Vec<String>,
) -> AppResult<ImportTable> {
    crate::blocking::run(move || {
        let required: Vec<&str> = required.iter().map(String::as_str).collect();
        read_upload_requiring(&bytes, &filename, &required)
    })
    .await
}

fn too_many_rows() -> AppError {
    invalid(format!(
        "El archivo tiene más de {} filas de datos: divídalo en archivos de {} filas como \
         máximo y súbalos uno por uno.",
        thousands(MAX_IMPORT_ROWS),
        thousands(MAX_IMPORT_ROWS)
    ))
}

fn too_many_cells() -> AppError {
    invalid(format!(
        "El archivo tiene demasiadas celdas con datos (máximo {} columnas y {} celdas): deje \
         solo la tabla que se importa.",
        MAX_IMPORT_COLUMNS,
        thousands(MAX_IMPORT_CELLS)
    ))
}

fn cell_too_long(row: usize) -> AppError {
    AppError::Validation(vec![crate::error::FieldError {
        row: Some(row),
        field: "file".into(),
        message: format!(
            "Una celda de la fila {row} tiene más de {} caracteres.",
            thousands(MAX_IMPORT_CELL_CHARS)
        ),
    }])
}

/// `5000` → `5.000`, as Colombia writes it.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// Counts what is read, so a huge file is refused as soon as it is known to be too big
/// (never held whole in memory): non-empty rows (with room for a title above the header),
/// cells, columns and the length of each cell.
struct Bounds {
    rows: usize,
    cells: usize,
}

impl Bounds {
    fn new() -> Self {
        Bounds { rows: 0, cells: 0 }
    }

    fn row(&mut self) -> AppResult<()> {
        self.rows += 1;
        if self.rows > MAX_IMPORT_ROWS + HEADER_SEARCH_ROWS {
            return Err(too_many_rows());
        }
        Ok(())
    }

    fn cell(&mut self, row: usize, col: usize, text: &str) -> AppResult<()> {
        self.cells += 1;
        if self.cells > MAX_IMPORT_CELLS || col >= MAX_IMPORT_COLUMNS {
            return Err(too_many_cells());
        }
        if text.len() > MAX_IMPORT_CELL_CHARS && text.chars().count() > MAX_IMPORT_CELL_CHARS {
            return Err(cell_too_long(row));
        }
        Ok(())
    }
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::invalid("file", message)
}

/// A row as read: its spreadsheet number and its non-empty cells (0-based column, trimmed text).
type RawRow = (usize, Vec<(usize, String)>);

fn read_rows(bytes: &[u8], filename: &str) -> AppResult<Vec<RawRow>> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(AppError::TooLarge);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid(EMPTY_FILE));
    }
    // Content decides over the name: a renamed workbook is still a workbook.
    if bytes.starts_with(b"PK\x03\x04") {
        return read_xlsx(bytes);
    }
    if bytes.starts_with(OLE_MAGIC) {
        return Err(invalid(OLD_OR_PROTECTED));
    }
    match extension(filename).as_str() {
        "csv" | "txt" | "" => read_csv(bytes),
        "xlsx" | "xlsm" => Err(invalid(BAD_XLSX)),
        // Some systems save HTML or text with an .xls name.
        "xls" => Err(invalid(OLD_OR_PROTECTED)),
        _ => Err(invalid(NOT_A_SPREADSHEET)),
    }
}

fn extension(filename: &str) -> String {
    let name = filename.rsplit(['/', '\\']).next().unwrap_or(filename);
    match name.rsplit_once('.') {
        Some((_, extension)) => extension.trim().to_lowercase(),
        None => String::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// .xlsx

fn read_xlsx(bytes: &[u8]) -> AppResult<Vec<RawRow>> {
    check_unpacked_size(bytes)?;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|_| invalid(BAD_XLSX))?;
    let sheets = book.sheets_metadata();
    let name = sheets
        .iter()
        .find(|s| s.typ == SheetType::WorkSheet && s.visible == SheetVisible::Visible)
        .or_else(|| sheets.iter().find(|s| s.typ == SheetType::WorkSheet))
        .map(|s| s.name.clone())
        .ok_or_else(|| invalid(NO_HEADER))?;
    // The streaming reader keeps only the cells that exist: a sheet with one cell at A1 and
    // one at XFD1048576 does not allocate the rectangle between them.
    let mut reader = book
        .worksheet_cells_reader(&name)
        .map_err(|_| invalid(BAD_XLSX))?;
    let mut rows: BTreeMap<u32, Vec<(usize, String)>> = BTreeMap::new();
    let mut bounds = Bounds::new();
    while let Some(cell) = reader.next_cell().map_err(|_| invalid(BAD_XLSX))? {
        let text = data_text(cell.get_value());
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let (row, col) = cell.get_position();
        bounds.cell(row as usize + 1, col as usize, text)?;
        let cells = rows.entry(row).or_default();
        if cells.is_empty() {
            bounds.row()?;
        }
        cells.push((col as usize, text.to_string()));
    }
    Ok(rows
        .into_iter()
        .map(|(row, cells)| (row as usize + 1, cells))
        .collect())
}

/// Refuses zip bombs before calamine unpacks anything.
fn check_unpacked_size(bytes: &[u8]) -> AppResult<()> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| invalid(BAD_XLSX))?;
    if archive.len() > MAX_ZIP_ENTRIES {
        return Err(invalid(BAD_XLSX));
    }
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        let entry = archive.by_index_raw(index).map_err(|_| invalid(BAD_XLSX))?;
        total = total.saturating_add(entry.size());
    }
    if total > MAX_UNPACKED_BYTES {
        return Err(AppError::TooLarge);
    }
    Ok(())
}

/// A cell as the text the person sees (without thousands separators).
fn data_text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::Int(value) => value.to_string(),
        DataRef::Float(value) => number_text(*value),
        DataRef::String(text) => text.clone(),
        DataRef::SharedString(text) => (*text).to_string(),
        DataRef::Bool(true) => "VERDADERO".into(),
        DataRef::Bool(false) => "FALSO".into(),
        DataRef::DateTime(at) => datetime_text(at),
        DataRef::DateTimeIso(text) | DataRef::DurationIso(text) => text.clone(),
        DataRef::Error(error) => error.to_string(),
        DataRef::Empty => String::new(),
    }
}

/// Dates as `YYYY-MM-DD`, date-times as `YYYY-MM-DD HH:MM[:SS]`, times of day as `HH:MM[:SS]`,
/// durations as `H:MM:SS`.
fn datetime_text(at: &ExcelDateTime) -> String {
    let serial = at.as_f64();
    if at.is_duration() {
        let seconds = (serial * 86_400.0).round() as i64;
        return format!(
            "{}:{:02}:{:02}",
            seconds / 3600,
            (seconds % 3600) / 60,
            seconds % 60
        );
    }
    let (year, month, day, hour, minute, second, _) = at.to_ymd_hms_milli();
    let time = if second == 0 {
        format!("{hour:02}:{minute:02}")
    } else {
        format!("{hour:02}:{minute:02}:{second:02}")
    };
    if (0.0..1.0).contains(&serial) {
        time
    } else if hour == 0 && minute == 0 && second == 0 {
        format!("{year:04}-{month:02}-{day:02}")
    } else {
        format!("{year:04}-{month:02}-{day:02} {time}")
    }
}

/// A number as Excel shows it in a General cell: at most 15 significant digits and no `.0`
/// (`1234567.0` → `"1234567"`, `0.1 + 0.2` → `"0.3"`); `.` is the decimal separator.
pub(super) fn number_text(value: f64) -> String {
    if !value.is_finite() {
        return String::new();
    }
    let rounded: f64 = format!("{value:.14e}").parse().unwrap_or(value);
    if rounded.fract() == 0.0 && rounded.abs() < 1e15 {
        let whole = rounded as i64;
        whole.to_string()
    } else {
        rounded.to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// .csv

fn read_csv(bytes: &[u8]) -> AppResult<Vec<RawRow>> {
    let text = decode_text(bytes);
    // Text files have no control characters but tabs and line breaks; binary files do.
    if text
        .chars()
        .any(|c| c < ' ' && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(invalid(NOT_A_SPREADSHEET));
    }
    let (delimiter, body) = delimiter_and_body(&text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(body.as_bytes());
    let mut lines = LineCounter::new(body.as_bytes());
    let mut rows = Vec::new();
    let mut bounds = Bounds::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                // The line where the record starts: the spreadsheet row unless a quoted value
                // spans several lines.
                let number = record
                    .position()
                    .map_or(rows.len() + 1, |position| lines.line_at(position.byte()));
                let mut cells = Vec::new();
                for (col, value) in record.iter().enumerate() {
                    let value = value.trim();
                    if !value.is_empty() {
                        bounds.cell(number, col, value)?;
                        cells.push((col, value.to_string()));
                    }
                }
                if !cells.is_empty() {
                    bounds.row()?;
                }
                rows.push((number, cells));
            }
            Err(error) => {
                let line = error
                    .position()
                    .map_or(rows.len() + 1, |position| lines.line_at(position.byte()));
                return Err(invalid(format!(
                    "No pudimos leer la línea {line} del archivo CSV: revise las comillas."
                )));
            }
        }
    }
    Ok(rows)
}

/// Line numbers of byte offsets, counted forward once. The csv crate's own line count lags
/// behind with CRLF endings (it reports where the previous record's reading stopped), so the
/// offset where a record's reading starts is moved past line breaks (the previous record's end
/// and blank lines, which the csv crate skips) and the breaks before it are counted: `\r\n`,
/// `\n` and a lone `\r` (old Mac files) are one line each.
struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a [u8]) -> Self {
        Self {
            text,
            offset: 0,
            line: 1,
        }
    }

    fn line_at(&mut self, byte: u64) -> usize {
        let mut start = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        while matches!(self.text.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        while self.offset < start {
            match self.text.get(self.offset) {
                Some(b'\n') => self.line += 1,
                Some(b'\r') if self.text.get(self.offset + 1) != Some(&b'\n') => self.line += 1,
                _ => {}
            }
            self.offset += 1;
        }
        self.line
    }
}

/// UTF-8 (with or without BOM), UTF-16 with BOM (Excel's «Texto Unicode»), and anything else
/// as Windows-1252, the superset of Latin-1 that Excel in Spanish writes: a file that is not
/// valid UTF-8 is almost certainly that.
fn decode_text(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return decode_8bit(rest);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return UTF_16LE.decode_without_bom_handling(rest).0.into_owned();
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return UTF_16BE.decode_without_bom_handling(rest).0.into_owned();
    }
    decode_8bit(bytes)
}

fn decode_8bit(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

/// The delimiter and the text to parse. Excel's `sep=;` first line names it (and is not a row
/// of the sheet); otherwise the first line (of the first ten non-empty ones) that has any of
/// `;`, `,` or tab decides by count outside quotes, `;` winning ties (Excel in Colombia writes
/// `;` and uses `,` for decimals). A single-column file is read with `,`.
fn delimiter_and_body(text: &str) -> (u8, &str) {
    let (first_line, rest) = text.split_once('\n').unwrap_or((text, ""));
    let hint = first_line.trim_end_matches('\r');
    if hint.len() == 5
        && hint
            .get(..4)
            .is_some_and(|sep| sep.eq_ignore_ascii_case("sep="))
        && let Some(&delimiter) = hint.as_bytes().get(4)
        && (delimiter.is_ascii_punctuation() || delimiter == b'\t')
    {
        return (delimiter, rest);
    }
    let candidates = [b';', b',', b'\t'];
    for line in text.lines().filter(|l| !l.trim().is_empty()).take(10) {
        let mut counts = [0usize; 3];
        let mut in_quotes = false;
        for byte in line.bytes() {
            if byte == b'"' {
                in_quotes = !in_quotes;
            } else if !in_quotes {
                for (count, candidate) in counts.iter_mut().zip(candidates) {
                    if byte == candidate {
                        *count += 1;
                    }
                }
            }
        }
        let mut best = 0;
        for index in 1..candidates.len() {
            if counts[index] > counts[best] {
                best = index;
            }
        }
        if counts[best] > 0 {
            return (candidates[best], text);
        }
    }
    (b',', text)
}

// ---------------------------------------------------------------------------------------------
// Rows → table

fn build_table(rows: Vec<RawRow>, required: &[&str]) -> AppResult<ImportTable> {
    let rows: Vec<RawRow> = rows
        .into_iter()
        .filter(|(_, cells)| !cells.is_empty())
        .collect();
    if rows.is_empty() {
        return Err(invalid(NO_HEADER));
    }
    let wanted: Vec<String> = required.iter().map(|h| normalize_header(h)).collect();
    let header_index = if wanted.is_empty() {
        0
    } else {
        rows.iter()
            .take(HEADER_SEARCH_ROWS)
            .position(|(_, cells)| {
                let names: HashSet<String> = cells
                    .iter()
                    .map(|(_, text)| normalize_header(text))
                    .collect();
                wanted.iter().all(|header| names.contains(header))
            })
            .ok_or_else(|| {
                invalid(format!(
                    "No encontramos la fila de encabezados: el archivo debe tener las columnas \
                     {}.",
                    required
                        .iter()
                        .map(|h| format!("«{h}»"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?
    };

    let mut rows = rows.into_iter().skip(header_index);
    let Some((header_number, header_cells)) = rows.next() else {
        return Err(invalid(NO_HEADER));
    };
    let mut headers: Vec<String> = Vec::with_capacity(header_cells.len());
    let mut columns: Vec<(usize, String)> = Vec::with_capacity(header_cells.len());
    for (col, title) in header_cells {
        let header = normalize_header(&title);
        if header.is_empty() {
            continue;
        }
        if headers.contains(&header) {
            return Err(invalid(format!(
                "La columna «{title}» aparece dos veces en la fila de encabezados (fila \
                 {header_number})."
            )));
        }
        headers.push(header.clone());
        columns.push((col, header));
    }

    let mut table_rows = Vec::new();
    for (number, cells) in rows {
        let mut values: HashMap<usize, String> = cells.into_iter().collect();
        let mut row_cells = HashMap::with_capacity(columns.len());
        let mut any = false;
        for (col, header) in &columns {
            let value = values.remove(col).unwrap_or_default();
            any |= !value.is_empty();
            row_cells.insert(header.clone(), value);
        }
        // A row with values only under untitled columns is as good as empty.
        if any {
            table_rows.push(ImportRow {
                number,
                cells: row_cells,
            });
        }
    }
    if table_rows.len() > MAX_IMPORT_ROWS {
        return Err(too_many_rows());
    }
    Ok(ImportTable {
        headers,
        rows: table_rows,
    })
}
