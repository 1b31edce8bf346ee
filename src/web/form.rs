//! The one way a page answers a form (issue 45). After success: a redirect with a one-time
//! message (`Flash::success`), so a reload never sends the form twice. When the rules refuse
//! it: the same page again, 422, with every value as it was typed, the problems summarised at
//! the top and each beside its field ([`super::Page::render_refused`]), and nothing written.
//! There is no redirect with an error message: it threw away what was typed and showed the
//! problem far from its field (clippy's `disallowed-methods` refuses `Flash::error`).

use super::{Failure, PageResult};
use domain::error::{AppError, FieldError};
use rocket::response::{Flash, Redirect};

/// The problems a form shows on its page for `error`: every field's for invalid input, one for
/// the whole form when the state forbids the change (a conflict); any other error (not found,
/// forbidden, too many attempts, the database) is not the form's and answers the error page
/// with its own status (404, 403, 429 with `Retry-After`…).
pub fn problems(error: AppError) -> Result<Vec<FieldError>, AppError> {
    match error {
        AppError::Validation(errors) => Ok(errors),
        error @ (AppError::Conflict(_) | AppError::BadRequest(_)) => Ok(vec![FieldError {
            row: None,
            field: String::new(),
            message: error.to_string(),
        }]),
        other => Err(other),
    }
}

/// The answer to a form: `saved` (a redirect with its message) when `result` is a success, or
/// the page `again` draws for the problems, answered 422.
pub async fn saved_or_again<T>(
    result: Result<T, AppError>,
    saved: impl FnOnce(T) -> Flash<Redirect>,
    again: impl AsyncFnOnce(Vec<FieldError>) -> PageResult,
) -> PageResult<Flash<Redirect>> {
    match result {
        Ok(value) => Ok(saved(value)),
        Err(error) => {
            let errors = problems(error)?;
            Err(Failure::form_again(again(errors).await))
        }
    }
}

/// `errors` with each field under the form `form` (`reason` → `decline.reason`), for a page
/// that holds two forms with a field of the same name.
pub fn scoped(form: &str, errors: Vec<FieldError>) -> Vec<FieldError> {
    if form.is_empty() {
        return errors;
    }
    errors
        .into_iter()
        .map(|mut e| {
            if !e.field.is_empty() {
                e.field = format!("{form}.{}", e.field);
            }
            e
        })
        .collect()
}

/// Numbers typed in a form; a wrong one is a field error, not a crash.
pub fn number_field(field: &str, text: &str, errors: &mut Vec<FieldError>) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match text.parse() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push(FieldError::new(
                field,
                format!("«{text}» no es un número entero."),
            ));
            None
        }
    }
}

/// A decimal typed in a form (a comma or a point); a wrong one is a field error.
pub fn decimal_field(field: &str, text: &str, errors: &mut Vec<FieldError>) -> Option<f64> {
    let text = text.trim().replace(',', ".");
    if text.is_empty() {
        return None;
    }
    match text.parse() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push(FieldError::new(field, format!("«{text}» no es un número.")));
            None
        }
    }
}
