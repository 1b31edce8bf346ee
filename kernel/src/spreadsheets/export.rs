//! Excel exports: a header block, a frozen title row, an autofilter, typed columns and charts,
//! written in constant-memory mode.

use super::{TEXT_FORMAT, cell_text, looks_like_formula, sheet_name, xlsx_error};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_xlsxwriter::{
    Chart, ChartLegendPosition, ChartType, Color, DataValidation, DataValidationErrorStyle,
    DataValidationRule, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook,
    Worksheet,
};

/// Excel's last row (0-based).
const LAST_EXCEL_ROW: u32 = 1_048_575;
/// Excel's number of columns.
const MAX_COLUMNS: usize = 16_384;
/// The exports' zip compression level: Excel 365's.
const EXPORT_COMPRESSION_LEVEL: u8 = 3;
/// Rows between the tops of two charts placed beside the same table.
const CHART_ROWS: u32 = 20;

/// What a column holds, which decides how its cells are written and shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    /// Free text (names, emails, states). Always a string cell.
    Text,
    /// An identifier made of digits (DANE code, document number): always a string cell, so
    /// leading zeros stay, and Excel shows no "number stored as text" meaning.
    Code,
    /// A whole number shown with thousands separators.
    Integer,
    /// A number with this many decimal places (at most 10).
    Decimal(u8),
    /// A fraction 0..1 shown as a percentage with one decimal (`0.875` → `87,5 %`).
    Percent,
    /// A calendar date shown as `dd/mm/aaaa`.
    Date,
    /// Whole pesos shown as `$ 12.000.000` (the separators of the reader's Excel: points in
    /// Colombia).
    Pesos,
}

/// One column of an exported table.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    /// The title in the header row (Spanish).
    pub title: String,
    /// Width in Excel's character units.
    pub width: f64,
    pub kind: ColumnKind,
}

impl Column {
    pub fn new(title: impl Into<String>, width: f64, kind: ColumnKind) -> Self {
        Self {
            title: title.into(),
            width,
            kind,
        }
    }

    pub fn text(title: impl Into<String>, width: f64) -> Self {
        Self::new(title, width, ColumnKind::Text)
    }

    pub fn code(title: impl Into<String>, width: f64) -> Self {
        Self::new(title, width, ColumnKind::Code)
    }

    pub fn integer(title: impl Into<String>, width: f64) -> Self {
        Self::new(title, width, ColumnKind::Integer)
    }

    pub fn decimal(title: impl Into<String>, width: f64, places: u8) -> Self {
        Self::new(title, width, ColumnKind::Decimal(places))
    }

    pub fn percent(title: impl Into<String>, width: f64) -> Self {
        Self::new(title, width, ColumnKind::Percent)
    }

    pub fn date(title: impl Into<String>, width: f64) -> Self {
        Self::new(title, width, ColumnKind::Date)
    }

    pub fn pesos(title: impl Into<String>, width: f64) -> Self {
        Self::new(title, width, ColumnKind::Pesos)
    }
}

/// One value of a row. In `Text` and `Code` columns every value is written as text (numbers
/// without `.0`, dates as `dd/mm/aaaa`); in the other columns numbers and dates are real Excel
/// numbers and dates, and `Text` stays text (e.g. "N/D").
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Number(f64),
    Date(NaiveDate),
    Empty,
}

impl From<String> for Cell {
    fn from(value: String) -> Self {
        Cell::Text(value)
    }
}

impl From<&str> for Cell {
    fn from(value: &str) -> Self {
        Cell::Text(value.to_string())
    }
}

impl From<&String> for Cell {
    fn from(value: &String) -> Self {
        Cell::Text(value.clone())
    }
}

impl From<i64> for Cell {
    fn from(value: i64) -> Self {
        Cell::Int(value)
    }
}

impl From<i32> for Cell {
    fn from(value: i32) -> Self {
        Cell::Int(value.into())
    }
}

impl From<u32> for Cell {
    fn from(value: u32) -> Self {
        Cell::Int(value.into())
    }
}

impl From<f64> for Cell {
    fn from(value: f64) -> Self {
        Cell::Number(value)
    }
}

impl From<NaiveDate> for Cell {
    fn from(value: NaiveDate) -> Self {
        Cell::Date(value)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(value: Option<T>) -> Self {
        value.map_or(Cell::Empty, Into::into)
    }
}

/// The kind of chart [`SheetWriter::add_chart`] draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChartKind {
    /// Vertical bars.
    Column,
    /// Horizontal bars (better for long category names such as municipalities).
    Bar,
}

/// Formats shared by every sheet of a book.
struct Styles {
    title: Format,
    title_quoted: Format,
    meta: Format,
    meta_quoted: Format,
    header: Format,
    text: Format,
    text_quoted: Format,
    date: Format,
    general_number: Format,
}

impl Styles {
    fn new() -> Self {
        let title = Format::new().set_bold().set_font_size(14);
        let meta = Format::new().set_font_color(Color::RGB(0x40_40_40));
        let text = Format::new().set_num_format_index(TEXT_FORMAT);
        Self {
            title_quoted: title.clone().set_quote_prefix(),
            title,
            meta_quoted: meta.clone().set_quote_prefix(),
            meta,
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::VerticalCenter)
                .set_background_color(Color::RGB(0xD9_E2_F3))
                .set_border(FormatBorder::Thin),
            text_quoted: text.clone().set_quote_prefix(),
            text,
            date: Format::new().set_num_format("dd/mm/yyyy"),
            general_number: Format::new(),
        }
    }
}

/// The number format of a column's numbers (text columns never use it).
fn number_format(kind: ColumnKind) -> Format {
    match kind {
        ColumnKind::Integer => Format::new().set_num_format("#,##0"),
        ColumnKind::Decimal(0) => Format::new().set_num_format("#,##0"),
        ColumnKind::Decimal(places) => Format::new()
            .set_num_format(format!("#,##0.{}", "0".repeat(usize::from(places.min(10))))),
        ColumnKind::Percent => Format::new().set_num_format("0.0%"),
        ColumnKind::Pesos => Format::new().set_num_format("\"$ \"#,##0"),
        ColumnKind::Text | ColumnKind::Code | ColumnKind::Date => Format::new(),
    }
}

struct ChartSpec {
    kind: ChartKind,
    title: String,
    category_col: u16,
    value_cols: Vec<u16>,
}

/// What the book remembers of each sheet until it is saved (autofilter and charts need the
/// last row).
struct SheetState {
    index: usize,
    name: String,
    header_row: u32,
    /// The row the next `row()` writes.
    next_row: u32,
    columns: Vec<Column>,
    charts: Vec<ChartSpec>,
    validations: Vec<(u16, Validation)>,
}

/// What a column's cells may hold, checked by Excel as people type (see
/// [`SheetWriter::add_list_validation`]).
#[derive(Clone, Debug, PartialEq)]
enum Validation {
    List(Vec<String>),
    Decimal { min: f64, max: f64 },
}

/// An Excel workbook being exported. Every sheet repeats the book's header block.
pub struct ExportBook {
    workbook: Workbook,
    styles: Styles,
    title: String,
    filters_line: String,
    generated_line: String,
    sheets: Vec<SheetState>,
}

impl ExportBook {
    /// A new export. `filters` are (what, value) pairs as the person chose them, e.g.
    /// `("Departamento", "Caquetá")`; `generated_by` is who asked for it (name or email).
    /// The time is now, in Colombia.
    pub fn new(title: &str, filters: &[(String, String)], generated_by: &str) -> Self {
        Self::new_at(title, filters, generated_by, crate::time::now())
    }

    pub(crate) fn new_at(
        title: &str,
        filters: &[(String, String)],
        generated_by: &str,
        at: DateTime<Utc>,
    ) -> Self {
        let mut workbook = Workbook::new();
        // Excel's own level (rust_xlsxwriter's default is 6): a department's workbook is built
        // about a quarter faster for a file 17 % larger (issue 36, DECISIONS).
        workbook.set_zip_compression_level(EXPORT_COMPRESSION_LEVEL);
        workbook.set_properties(
            &DocProperties::new()
                .set_title(title)
                .set_author(generated_by)
                .set_company("ESAP — Aula Territorial"),
        );
        let filters_line = if filters.is_empty() {
            "Filtros: ninguno (todos los registros a los que tiene acceso)".to_string()
        } else {
            let parts: Vec<String> = filters
                .iter()
                .map(|(what, value)| format!("{what}: {value}"))
                .collect();
            format!("Filtros: {}", parts.join(" · "))
        };
        let local = crate::time::local(at);
        let generated_line = format!(
            "Generado por {generated_by} el {} a las {} (hora de Colombia)",
            crate::format::date(local.date_naive()),
            crate::format::time(local.time())
        );
        Self {
            workbook,
            styles: Styles::new(),
            title: title.to_string(),
            filters_line,
            generated_line,
            sheets: Vec::new(),
        }
    }

    /// Adds a sheet with the book's header block and these columns.
    pub fn sheet(&mut self, name: &str, columns: &[Column]) -> AppResult<SheetWriter<'_>> {
        self.sheet_with_notes(name, &[], columns)
    }

    /// Adds a sheet whose header block also carries these lines (e.g. the cohort and its
    /// dates), written below the book's lines.
    pub fn sheet_with_notes(
        &mut self,
        name: &str,
        notes: &[String],
        columns: &[Column],
    ) -> AppResult<SheetWriter<'_>> {
        if columns.is_empty() || columns.len() > MAX_COLUMNS {
            return Err(AppError::Internal(format!(
                "export sheet with {} columns",
                columns.len()
            )));
        }
        let ExportBook {
            workbook,
            styles,
            title,
            filters_line,
            generated_line,
            sheets,
        } = self;
        let taken: Vec<String> = sheets.iter().map(|sheet| sheet.name.clone()).collect();
        let name = sheet_name(name, &taken);
        let index = sheets.len();
        let worksheet = workbook
            .add_worksheet_with_constant_memory()
            .map_err(xlsx_error)?;
        worksheet.set_name(&name).map_err(xlsx_error)?;

        // Column settings first: they are not cells, so constant memory allows them anytime.
        let number_formats: Vec<Format> = columns.iter().map(|c| number_format(c.kind)).collect();
        for ((col, column), number) in (0u16..).zip(columns).zip(&number_formats) {
            let width = if column.width.is_finite() && column.width > 0.0 {
                column.width.min(255.0)
            } else {
                12.0
            };
            worksheet.set_column_width(col, width).map_err(xlsx_error)?;
            // The format most of the column's cells have: they are written without one and
            // take the column's (rust_xlsxwriter hashes a cell's format on every write).
            let own = match column.kind {
                ColumnKind::Text | ColumnKind::Code => &styles.text,
                ColumnKind::Date => &styles.date,
                ColumnKind::Integer
                | ColumnKind::Decimal(_)
                | ColumnKind::Percent
                | ColumnKind::Pesos => number,
            };
            worksheet.set_column_format(col, own).map_err(xlsx_error)?;
        }

        // The header block, strictly top to bottom (constant memory: rows only move forward).
        let mut row = 0u32;
        write_text(
            worksheet,
            row,
            0,
            title,
            Some(&styles.title),
            &styles.title_quoted,
        )?;
        row += 1;
        for line in [filters_line.as_str(), generated_line.as_str()]
            .into_iter()
            .chain(notes.iter().map(String::as_str))
        {
            write_text(
                worksheet,
                row,
                0,
                line,
                Some(&styles.meta),
                &styles.meta_quoted,
            )?;
            row += 1;
        }
        let header_row = row + 1; // one blank row between the block and the table
        for (col, column) in (0u16..).zip(columns) {
            worksheet
                .write_string_with_format(header_row, col, cell_text(&column.title), &styles.header)
                .map_err(xlsx_error)?;
        }
        worksheet
            .set_freeze_panes(header_row + 1, 0)
            .map_err(xlsx_error)?;

        sheets.push(SheetState {
            index,
            name,
            header_row,
            next_row: header_row + 1,
            columns: columns.to_vec(),
            charts: Vec::new(),
            validations: Vec::new(),
        });
        let state = sheets
            .last_mut()
            .ok_or_else(|| AppError::Internal("export sheet state missing".into()))?;
        Ok(SheetWriter {
            worksheet,
            state,
            styles,
        })
    }

    /// The finished `.xlsx` file. Applies every sheet's autofilter (over the title row and
    /// all rows written) and charts.
    pub fn save_to_buffer(mut self) -> AppResult<Vec<u8>> {
        if self.sheets.is_empty() {
            return Err(AppError::Internal("export without sheets".into()));
        }
        for state in &self.sheets {
            let worksheet = self
                .workbook
                .worksheet_from_index(state.index)
                .map_err(xlsx_error)?;
            let last_col = u16::try_from(state.columns.len() - 1)
                .map_err(|_| AppError::Internal("too many columns".into()))?;
            let last_row = state.next_row - 1;
            worksheet
                .autofilter(state.header_row, 0, last_row, last_col)
                .map_err(xlsx_error)?;
            for (col, validation) in &state.validations {
                // Sheets meant to be filled offline: every written row, at least one.
                let last = last_row.max(state.header_row + 1);
                worksheet
                    .add_data_validation(
                        state.header_row + 1,
                        *col,
                        last,
                        *col,
                        &data_validation(validation)?,
                    )
                    .map_err(xlsx_error)?;
            }
            if last_row > state.header_row {
                for (n, spec) in (0u32..).zip(&state.charts) {
                    let chart = build_chart(state, spec, last_row);
                    worksheet
                        .insert_chart(state.header_row + n * CHART_ROWS, last_col + 2, &chart)
                        .map_err(xlsx_error)?;
                }
            }
        }
        self.workbook.save_to_buffer().map_err(xlsx_error)
    }
}

fn data_validation(validation: &Validation) -> AppResult<DataValidation> {
    let rule = match validation {
        Validation::List(values) => DataValidation::new()
            .allow_list_strings(values)
            .map_err(xlsx_error)?
            .set_error_message("Elija un valor de la lista desplegable."),
        Validation::Decimal { min, max } => DataValidation::new()
            .allow_decimal_number(DataValidationRule::Between(*min, *max))
            .set_error_message(format!(
                "Escriba un número entre {} y {}.",
                number_as_text(*min).replace('.', ","),
                number_as_text(*max).replace('.', ",")
            )),
    };
    rule.map_err(xlsx_error)?
        .set_error_title("Valor no válido")
        .map(|v| v.set_error_style(DataValidationErrorStyle::Stop))
        .map_err(xlsx_error)
}

fn build_chart(state: &SheetState, spec: &ChartSpec, last_row: u32) -> Chart {
    let mut chart = Chart::new(match spec.kind {
        ChartKind::Column => ChartType::Column,
        ChartKind::Bar => ChartType::Bar,
    });
    let name = state.name.as_str();
    let first_row = state.header_row + 1;
    for &col in &spec.value_cols {
        chart
            .add_series()
            .set_name((name, state.header_row, col))
            .set_categories((
                name,
                first_row,
                spec.category_col,
                last_row,
                spec.category_col,
            ))
            .set_values((name, first_row, col, last_row, col));
    }
    // The value axis shows numbers the way the first value column does.
    let first_kind = spec
        .value_cols
        .first()
        .and_then(|&col| state.columns.get(usize::from(col)))
        .map(|column| column.kind);
    let axis_format = match first_kind {
        Some(ColumnKind::Percent) => Some("0%"),
        Some(ColumnKind::Integer | ColumnKind::Decimal(0)) => Some("#,##0"),
        _ => None,
    };
    if let Some(format) = axis_format {
        let value_axis = match spec.kind {
            ChartKind::Column => chart.y_axis(),
            // Bar charts swap the axes: values run along the x axis.
            ChartKind::Bar => chart.x_axis(),
        };
        value_axis.set_num_format(format);
    }
    // A title starting with `=` would be read as a cell reference.
    chart.title().set_name(spec.title.trim_start_matches('='));
    chart.legend().set_position(ChartLegendPosition::Bottom);
    if spec.value_cols.len() == 1 {
        chart.legend().set_hidden();
    }
    chart.set_width(640).set_height(360);
    chart
}

/// Writes one sheet's rows, in order. Obtained from [`ExportBook::sheet`].
pub struct SheetWriter<'a> {
    worksheet: &'a mut Worksheet,
    state: &'a mut SheetState,
    styles: &'a Styles,
}

impl SheetWriter<'_> {
    /// Appends a row. Fewer cells than columns leaves the rest empty; more is a programming
    /// error. A report longer than Excel allows asks the person to filter more.
    pub fn row(&mut self, cells: &[Cell]) -> AppResult<()> {
        if cells.len() > self.state.columns.len() {
            return Err(AppError::Internal(format!(
                "row with {} cells for {} columns",
                cells.len(),
                self.state.columns.len()
            )));
        }
        let row = self.state.next_row;
        if row > LAST_EXCEL_ROW {
            return Err(AppError::BadRequest(
                "El resultado tiene más filas de las que admite Excel (1.048.576). \
                 Aplique más filtros y vuelva a exportar."
                    .into(),
            ));
        }
        for (col, (cell, column)) in (0u16..).zip(cells.iter().zip(&self.state.columns)) {
            let styles = self.styles;
            let worksheet = &mut *self.worksheet;
            let as_text = matches!(column.kind, ColumnKind::Text | ColumnKind::Code);
            // `None`: the column's own format (see `sheet_with_notes`).
            let text = if as_text { None } else { Some(&styles.text) };
            let number = if column.kind == ColumnKind::Date {
                Some(&styles.general_number)
            } else {
                None
            };
            match cell {
                Cell::Empty => {}
                Cell::Text(value) => {
                    write_text(worksheet, row, col, value, text, &styles.text_quoted)?
                }
                Cell::Int(value) if as_text => write_text(
                    worksheet,
                    row,
                    col,
                    &value.to_string(),
                    text,
                    &styles.text_quoted,
                )?,
                Cell::Number(value) if as_text => write_text(
                    worksheet,
                    row,
                    col,
                    &number_as_text(*value),
                    text,
                    &styles.text_quoted,
                )?,
                Cell::Date(date) if as_text => write_text(
                    worksheet,
                    row,
                    col,
                    &date.format("%d/%m/%Y").to_string(),
                    text,
                    &styles.text_quoted,
                )?,
                // Excel keeps 15 significant digits; larger integers lose precision there too.
                Cell::Int(value) => write_number(worksheet, row, col, *value as f64, number)?,
                Cell::Number(value) => write_number(worksheet, row, col, *value, number)?,
                Cell::Date(date) => match excel_date(*date) {
                    Some(excel) => {
                        worksheet
                            .write_date_with_format(row, col, excel, &styles.date)
                            .map_err(xlsx_error)?;
                    }
                    // Excel has no dates before 1900 or after 9999.
                    None => write_text(
                        worksheet,
                        row,
                        col,
                        &date.format("%d/%m/%Y").to_string(),
                        text,
                        &styles.text_quoted,
                    )?,
                },
            }
        }
        self.state.next_row += 1;
        Ok(())
    }

    /// How many data rows were written so far.
    pub fn rows_written(&self) -> usize {
        (self.state.next_row - self.state.header_row - 1) as usize
    }

    /// Restricts a column to a drop-down list of values (short, without commas) on every row
    /// written, for sheets filled offline and uploaded back. Applied when the book is saved.
    pub fn add_list_validation(&mut self, col: usize, values: &[&str]) -> AppResult<()> {
        let col = self.validation_column(col)?;
        self.state.validations.push((
            col,
            Validation::List(values.iter().map(|v| v.to_string()).collect()),
        ));
        Ok(())
    }

    /// Restricts a column to numbers between `min` and `max` on every row written.
    pub fn add_decimal_validation(&mut self, col: usize, min: f64, max: f64) -> AppResult<()> {
        let col = self.validation_column(col)?;
        self.state
            .validations
            .push((col, Validation::Decimal { min, max }));
        Ok(())
    }

    fn validation_column(&self, col: usize) -> AppResult<u16> {
        if col >= self.state.columns.len() {
            return Err(AppError::Internal(format!(
                "validation on column {col} of {}",
                self.state.columns.len()
            )));
        }
        u16::try_from(col).map_err(|_| AppError::Internal("validation column".into()))
    }

    /// Adds a chart beside the table (to the right of the last column, one below the other
    /// when there are several): categories from `category_col`, one series per `value_cols`
    /// entry named after its column title (columns are 0-based). The data ranges are fixed
    /// when the book is saved, so this may be called before or after the rows; a sheet with
    /// no rows gets no chart.
    pub fn add_chart(
        &mut self,
        kind: ChartKind,
        title: &str,
        category_col: usize,
        value_cols: &[usize],
    ) -> AppResult<()> {
        let columns = self.state.columns.len();
        if value_cols.is_empty()
            || category_col >= columns
            || value_cols.iter().any(|&col| col >= columns)
        {
            return Err(AppError::Internal(format!(
                "chart over columns {category_col} / {value_cols:?} of {columns}"
            )));
        }
        let to_col =
            |col: usize| u16::try_from(col).map_err(|_| AppError::Internal("chart column".into()));
        self.state.charts.push(ChartSpec {
            kind,
            title: title.to_string(),
            category_col: to_col(category_col)?,
            value_cols: value_cols
                .iter()
                .map(|&col| to_col(col))
                .collect::<AppResult<_>>()?,
        });
        Ok(())
    }
}

/// Writes user text as a string cell in `plain` (`None`: the column's format); text that
/// Excel would take for a formula when edited gets the quote prefix.
fn write_text(
    worksheet: &mut Worksheet,
    row: u32,
    col: u16,
    text: &str,
    plain: Option<&Format>,
    quoted: &Format,
) -> AppResult<()> {
    let text = cell_text(text);
    match plain {
        _ if looks_like_formula(text) => worksheet.write_string_with_format(row, col, text, quoted),
        Some(format) => worksheet.write_string_with_format(row, col, text, format),
        None => worksheet.write_string(row, col, text),
    }
    .map_err(xlsx_error)?;
    Ok(())
}

/// Writes a number in `format` (`None`: the column's format).
fn write_number(
    worksheet: &mut Worksheet,
    row: u32,
    col: u16,
    value: f64,
    format: Option<&Format>,
) -> AppResult<()> {
    // NaN and infinities have no Excel representation: leave the cell empty.
    if value.is_finite() {
        match format {
            Some(format) => worksheet.write_number_with_format(row, col, value, format),
            None => worksheet.write_number(row, col, value),
        }
        .map_err(xlsx_error)?;
    }
    Ok(())
}

fn excel_date(date: NaiveDate) -> Option<ExcelDateTime> {
    let year = u16::try_from(date.year()).ok()?;
    let month = u8::try_from(date.month()).ok()?;
    let day = u8::try_from(date.day()).ok()?;
    ExcelDateTime::from_ymd(year, month, day).ok()
}

/// A number as a code: `1234567.0` → `"1234567"`.
fn number_as_text(value: f64) -> String {
    super::import::number_text(value)
}
