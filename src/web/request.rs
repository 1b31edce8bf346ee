//! What a request is, read from the request alone: below the shell's fairings, its error
//! rendering and the sign-in guards, which all ask.

use rocket::Request;
use std::time::Instant;

/// When the request arrived (kept in the request's local cache).
pub struct Started(pub Instant);

/// Whether the request is the JSON API's (`/api/…`).
pub fn is_api(request: &Request<'_>) -> bool {
    request.uri().path().as_str().starts_with("/api/")
}

/// Whether `request` may write: anything but `GET` and `HEAD` (what the shell's `Admission`
/// orders, and what takes a place among the writers' sign-in lookups).
pub fn writes(request: &Request<'_>) -> bool {
    !matches!(
        request.method(),
        rocket::http::Method::Get | rocket::http::Method::Head
    )
}
