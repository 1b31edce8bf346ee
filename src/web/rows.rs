//! Forms with row groups (a visit's attendees, agreements and products; a table's members and
//! its meetings' rows; a replica's attendees): the rows as the template draws them, the rows
//! sent, and a problem of the domain's `list[n]` put beside the row group that held it. One
//! piece for every such form (issue 63).

use domain::error::FieldError;
use serde::Serialize;

/// At most this many row groups of one list on a page (the API takes more).
pub const ROWS_MAX: usize = 60;

/// A row group as the template draws it: its index in the form (`i`, for the field names and
/// their problems), its number for people (`n`) and what it holds.
#[derive(Serialize)]
pub struct Numbered<T> {
    i: usize,
    n: usize,
    #[serde(flatten)]
    row: T,
}

/// `rows` as drawn: at least `at_least` (empty ones added), one more when `extra` («Agregar
/// otra fila»), never more than [`ROWS_MAX`].
pub fn numbered<T: Clone + Default>(rows: &[T], at_least: usize, extra: bool) -> Vec<Numbered<T>> {
    let mut rows = rows.to_vec();
    rows.truncate(ROWS_MAX);
    let wanted = if extra {
        (rows.len() + 1).min(ROWS_MAX)
    } else {
        rows.len().max(at_least)
    };
    rows.resize(wanted.max(rows.len()), T::default());
    rows.into_iter()
        .enumerate()
        .map(|(i, row)| Numbered { i, n: i + 1, row })
        .collect()
}

/// The rows of `rows` that hold something, with their index in the form.
pub fn filled<T>(rows: &[T], blank: impl Fn(&T) -> bool) -> Vec<(usize, &T)> {
    rows.iter().enumerate().filter(|(_, r)| !blank(r)).collect()
}

/// The form indexes of rows picked by [`filled`].
pub fn index<T>(rows: &[(usize, &T)]) -> Vec<usize> {
    rows.iter().map(|(i, _)| *i).collect()
}

/// A problem of the domain's `agreements[1].due_on` as the page names it: `agreements-3`, the
/// row group that held the second agreement sent (the form's fourth, when one was left blank).
/// `sent`: each list's name and the form index of each row sent.
pub fn row_problem(mut error: FieldError, sent: &[(&str, &[usize])]) -> FieldError {
    for (list, rows) in sent {
        let Some(rest) = error.field.strip_prefix(&format!("{list}[")) else {
            continue;
        };
        let n: Option<usize> = rest.split(']').next().and_then(|n| n.parse().ok());
        if let Some(i) = n.and_then(|n| rows.get(n)) {
            error.field = format!("{list}-{i}");
        }
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_goes_beside_the_row_group_that_held_it() {
        let problem = FieldError::new("agreements[1].due_on", "Fecha inválida.");
        let moved = row_problem(problem, &[("attendees", &[0]), ("agreements", &[0, 3])]);
        assert_eq!(moved.field, "agreements-3");
        let other = row_problem(FieldError::new("title", "Falta."), &[("agreements", &[0])]);
        assert_eq!(other.field, "title");
    }

    #[test]
    fn rows_are_drawn_with_blanks_and_one_more_when_asked() {
        let rows = vec![String::from("a")];
        assert_eq!(numbered(&rows, 3, false).len(), 3);
        assert_eq!(numbered(&rows, 1, true).len(), 2);
        assert_eq!(numbered(&vec![String::new(); 80], 1, true).len(), ROWS_MAX);
    }
}
