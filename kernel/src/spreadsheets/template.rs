//! Import templates: the headers an import expects, an example row, text-formatted columns and
//! drop-down lists.

use super::{TEXT_FORMAT, cell_text, looks_like_formula, sheet_name, xlsx_error};
use crate::error::{AppError, AppResult};
use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, Format, FormatBorder, Formula, Workbook,
    column_number_to_name,
};

/// Rows (after the header) that the drop-down lists cover.
const VALIDATED_ROWS: u32 = 10_000;
/// Excel's limit for a list written inside the validation itself (values and commas).
const MAX_INLINE_LIST_CHARS: usize = 255;

/// An import template with one sheet named `sheet_name`: the headers in row 1 (bold, frozen),
/// `example` in row 2 (it is data: the person replaces it), all columns formatted as text (so
/// codes typed by hand keep their leading zeros), and a drop-down list for every column that has
/// allowed values. Short lists live inside the validation; long ones (or values with commas) in
/// a hidden sheet «Listas».
pub fn template(
    sheet_name_wanted: &str,
    columns: &[(&str, Option<&[&str]>)],
    example: &[&str],
) -> AppResult<Vec<u8>> {
    if columns.is_empty() || example.len() > columns.len() {
        return Err(AppError::Internal(format!(
            "template with {} columns and {} example values",
            columns.len(),
            example.len()
        )));
    }
    let mut workbook = Workbook::new();
    let main_name = sheet_name(sheet_name_wanted, &[]);
    let lists_name = sheet_name("Listas", std::slice::from_ref(&main_name));

    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_background_color(Color::RGB(0xD9_E2_F3))
        .set_border(FormatBorder::Thin);
    let text = Format::new().set_num_format_index(TEXT_FORMAT);
    let text_quoted = text.clone().set_quote_prefix();

    // Lists too long for the validation itself go to the hidden sheet, one column each.
    let mut sheet_lists: Vec<&[&str]> = Vec::new();

    let worksheet = workbook.add_worksheet();
    worksheet.set_name(&main_name).map_err(xlsx_error)?;
    for (col, (title, allowed)) in (0u16..).zip(columns) {
        let longest = allowed
            .iter()
            .flat_map(|values| values.iter())
            .chain(example.get(usize::from(col)))
            .chain(std::iter::once(title))
            .map(|value| value.chars().count())
            .max()
            .unwrap_or(10);
        let width = (longest as f64 + 3.0).clamp(12.0, 50.0);
        worksheet.set_column_width(col, width).map_err(xlsx_error)?;
        worksheet
            .set_column_format(col, &text)
            .map_err(xlsx_error)?;
        worksheet
            .write_string_with_format(0, col, cell_text(title), &header)
            .map_err(xlsx_error)?;
        if let Some(value) = example.get(usize::from(col)) {
            let format = if looks_like_formula(value) {
                &text_quoted
            } else {
                &text
            };
            worksheet
                .write_string_with_format(1, col, cell_text(value), format)
                .map_err(xlsx_error)?;
        }
        let Some(values) = allowed.filter(|values| !values.is_empty()) else {
            continue;
        };
        let inline_chars = values
            .iter()
            .map(|v| v.replace('"', "\"\""))
            .collect::<Vec<_>>()
            .join(",")
            .encode_utf16()
            .count();
        let validation =
            if inline_chars <= MAX_INLINE_LIST_CHARS && !values.iter().any(|v| v.contains(',')) {
                DataValidation::new()
                    .allow_list_strings(values)
                    .map_err(xlsx_error)?
            } else {
                let list_col = u16::try_from(sheet_lists.len())
                    .map_err(|_| AppError::Internal("too many lists".into()))?;
                sheet_lists.push(values);
                DataValidation::new().allow_list_formula(Formula::new(format!(
                    "='{}'!${}$1:${}${}",
                    lists_name.replace('\'', "''"),
                    column_number_to_name(list_col),
                    column_number_to_name(list_col),
                    values.len()
                )))
            };
        let validation = validation
            .set_error_style(DataValidationErrorStyle::Stop)
            .set_error_title("Valor no válido")
            .and_then(|v| v.set_error_message("Elija un valor de la lista desplegable."))
            .map_err(xlsx_error)?;
        worksheet
            .add_data_validation(1, col, VALIDATED_ROWS, col, &validation)
            .map_err(xlsx_error)?;
    }
    worksheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;

    if !sheet_lists.is_empty() {
        let lists = workbook.add_worksheet();
        lists.set_name(&lists_name).map_err(xlsx_error)?;
        for (col, values) in (0u16..).zip(&sheet_lists) {
            for (row, value) in (0u32..).zip(values.iter()) {
                lists
                    .write_string(row, col, cell_text(value))
                    .map_err(xlsx_error)?;
            }
        }
        lists.set_hidden(true);
    }
    workbook.save_to_buffer().map_err(xlsx_error)
}
