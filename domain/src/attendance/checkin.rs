//! Self check-in: during a session's window the instructor shows a six-digit code (and a QR
//! code with a link that carries it) that changes every minute; a participant signed in on a
//! phone types or scans it and is marked presente, or tarde after the grace period.
//!
//! - Code: HMAC-SHA256 keyed by the session's `check_in_secret` over the time step
//!   (`unix seconds / 60`, 8 bytes big-endian), dynamically truncated as in RFC 4226 (HOTP) to
//!   six digits. The current and the previous step are accepted, so a code read at the end of
//!   its minute still works; a code is valid for at most two minutes.
//! - Window: from [`OPENS_BEFORE_MINUTES`] before the start to the end of the session; outside
//!   it a check-in is refused with 409 whatever the code.
//! - Grace: up to [`GRACE_MINUTES`] after the start the mark is presente, later tarde.
//! - Wrong codes are throttled per session and person (10 in 15 minutes, then 429), so six
//!   digits cannot be guessed by trying them all.

use super::{MarkView, Planned, check_cohort_open};
use crate::entities::values::{EnrolmentStatus, Mark, MarkSource};
use crate::entities::{attendance_mark, cohort, cohort_session, enrolment};
use crate::error::{AppError, AppResult};
use crate::mail::Notifier;
use crate::people::scope::PersonScope;
use crate::rows::Found;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use sha2::Sha256;

/// Seconds per code.
pub const STEP_SECONDS: i64 = 60;
/// The window opens this long before the session starts.
pub const OPENS_BEFORE_MINUTES: i64 = 15;
/// Checking in up to this long after the start is presente; later, tarde.
pub const GRACE_MINUTES: i64 = 15;
/// Wrong codes allowed per session and person in the throttle window.
pub const MAX_WRONG_CODES: crate::accounts::throttle::Limit =
    crate::accounts::throttle::Limit::fixed(10, 15);

/// The time step of an instant.
pub fn step_of(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(STEP_SECONDS)
}

/// The six-digit code of a step.
#[allow(clippy::expect_used, reason = "HMAC-SHA256 takes keys of any length")]
pub fn code_at(secret: &str, step: i64) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let value = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    format!("{:06}", value % 1_000_000)
}

/// Digits only: people type "123 456" or "123-456".
pub fn normalize(code: &str) -> String {
    code.chars().filter(char::is_ascii_digit).collect()
}

/// Whether `code` is the code of the current or the previous step at `at`.
pub fn verify(secret: &str, code: &str, at: DateTime<Utc>) -> bool {
    let typed = normalize(code);
    if typed.len() != 6 {
        return false;
    }
    let step = step_of(at);
    [step, step - 1]
        .iter()
        .any(|s| crate::accounts::secrets::constant_time_eq(&code_at(secret, *s), &typed))
}

/// (opens, closes) of a session's check-in window.
pub fn window(session: &cohort_session::Model) -> (DateTime<Utc>, DateTime<Utc>) {
    (
        session.starts_at - Duration::minutes(OPENS_BEFORE_MINUTES),
        session.ends_at,
    )
}

pub fn in_window(session: &cohort_session::Model, at: DateTime<Utc>) -> bool {
    let (opens, closes) = window(session);
    at >= opens && at <= closes
}

/// The mark a check-in at `at` earns.
pub fn mark_at(session: &cohort_session::Model, at: DateTime<Utc>) -> Mark {
    if at <= session.starts_at + Duration::minutes(GRACE_MINUTES) {
        Mark::Presente
    } else {
        Mark::Tarde
    }
}

/// What the instructor shows.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = CheckInCode)]
pub struct CodeView {
    /// Six digits.
    #[schema(example = "482913")]
    pub code: String,
    /// The last instant the code is accepted (end of the next step).
    #[schema(format = DateTime)]
    pub valid_until: String,
    /// When the screen shows the next code.
    #[schema(format = DateTime)]
    pub rotates_at: String,
    /// Check-in opens 15 minutes before the start…
    #[schema(format = DateTime)]
    pub window_opens: String,
    /// …and closes at the end of the session.
    #[schema(format = DateTime)]
    pub window_closes: String,
    /// Whether check-in is open now.
    pub open: bool,
    /// The link the QR code carries (the check-in page with the code).
    pub url: String,
}

pub fn current_code(
    session: &cohort_session::Model,
    public_url: &str,
    at: DateTime<Utc>,
) -> CodeView {
    let step = step_of(at);
    let code = code_at(&session.check_in_secret, step);
    let from_step = |s: i64| DateTime::<Utc>::from_timestamp(s * STEP_SECONDS, 0).unwrap_or(at);
    let (opens, closes) = window(session);
    CodeView {
        url: check_in_url(public_url, session.id, &code),
        code,
        valid_until: crate::time::date_time(from_step(step + 2) - Duration::seconds(1)),
        rotates_at: crate::time::date_time(from_step(step + 1)),
        window_opens: crate::time::date_time(opens),
        window_closes: crate::time::date_time(closes),
        open: in_window(session, at),
    }
}

/// The page a participant lands on from the QR code.
pub fn check_in_url(public_url: &str, session_id: i32, code: &str) -> String {
    format!(
        "{}/sesiones/{session_id}/registro?codigo={code}",
        public_url.trim_end_matches('/')
    )
}

/// The QR code of `text` as inline SVG (no script, no style attribute; dark modules merged in
/// horizontal runs, 4-module quiet zone).
pub fn qr_svg(text: &str, label: &str) -> AppResult<String> {
    let qr = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| AppError::Internal(format!("código QR: {e}")))?;
    let n = qr.width();
    let colors = qr.to_colors();
    let size = n + 8;
    let mut path = String::new();
    for row in 0..n {
        let mut col = 0;
        while col < n {
            if colors[row * n + col] != qrcode::Color::Dark {
                col += 1;
                continue;
            }
            let start = col;
            while col < n && colors[row * n + col] == qrcode::Color::Dark {
                col += 1;
            }
            path.push_str(&format!(
                "M{} {}h{}v1h-{}z",
                start + 4,
                row + 4,
                col - start,
                col - start
            ));
        }
    }
    let label = label
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" role=\"img\" aria-label=\"{label}\" shape-rendering=\"crispEdges\" class=\"qr\"><rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/><path fill=\"#000\" d=\"{path}\"/></svg>"
    ))
}

pub(crate) fn throttle_key(session_id: i32, user_id: i32) -> String {
    format!("registro:{session_id}:{user_id}")
}

/// The outcome of a check-in attempt. A wrong code must still be committed (it counts
/// against the throttle), so it is a value, not an error.
pub enum Outcome {
    Marked(MarkView),
    WrongCode,
}

pub const WRONG_CODE: &str =
    "El código no es correcto o ya venció. Escriba el código que muestra el instructor ahora.";

/// A participant checks in with a code. Run inside a transaction; commit it also on
/// `Outcome::WrongCode`.
pub async fn check_in<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    user_id: i32,
    enrolment_id: i32,
    cohort: &cohort::Model,
    session: &cohort_session::Model,
    code: &str,
) -> AppResult<Outcome> {
    let key = throttle_key(session.id, user_id);
    crate::accounts::throttle::check(db, &[&key]).await?;
    check_cohort_open(cohort)?;
    // Serialise with other saves of this cohort (a double tap checks in once).
    crate::cohorts::lock(db, cohort.id).await?;
    let at = crate::time::now();
    if !in_window(session, at) {
        let (opens, closes) = window(session);
        let local = crate::format::date_time;
        return Err(AppError::Conflict(format!(
            "El registro de asistencia de esta sesión está abierto del {} al {} (hora de Colombia).",
            local(opens),
            local(closes)
        )));
    }
    let row = enrolment::Entity::find_by_id(enrolment_id)
        .found(db)
        .await?;
    if row.status != EnrolmentStatus::Enrolled {
        return Err(AppError::invalid(
            "enrolment",
            match row.status {
                EnrolmentStatus::Waitlisted => {
                    "Usted está en la lista de espera de esta cohorte: la asistencia se registra solo a personas inscritas."
                }
                _ => "Su inscripción en esta cohorte no está vigente.",
            },
        ));
    }
    if !verify(&session.check_in_secret, code, at) {
        crate::accounts::throttle::record_failure(db, &key, MAX_WRONG_CODES).await?;
        return Ok(Outcome::WrongCode);
    }
    let existing = attendance_mark::Entity::find()
        .filter(attendance_mark::Column::SessionId.eq(session.id))
        .filter(attendance_mark::Column::EnrolmentId.eq(row.id))
        .one(db)
        .await?;
    // Already counted as attending: checking in again changes nothing.
    if existing
        .as_ref()
        .is_none_or(|m| !m.status.counts_as_attended())
    {
        let planned = Planned {
            session_id: session.id,
            enrolment_id: row.id,
            status: mark_at(session, at),
            note: existing.as_ref().and_then(|m| m.note.clone()),
        };
        super::save_marks(
            db,
            notifier,
            user_id,
            cohort,
            &[planned],
            MarkSource::CheckIn,
        )
        .await?;
    }
    let mark = super::session_marks(db, session, &PersonScope::Enrolment(row.id), None)
        .await?
        .pop()
        .ok_or_else(|| AppError::Internal("marca recién guardada no encontrada".into()))?;
    Ok(Outcome::Marked(mark))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_rotate_each_minute_and_last_two_steps() {
        let secret = "0123456789abcdef0123456789abcdef";
        let at = DateTime::<Utc>::from_timestamp(1_780_000_020, 0).unwrap();
        let step = step_of(at);
        let code = code_at(secret, step);
        assert_eq!(code.len(), 6);
        assert!(code.chars().all(|c| c.is_ascii_digit()));
        assert_eq!(code, code_at(secret, step), "deterministic");
        assert_ne!(code, code_at("another secret", step), "per session");
        // Accepted now and during the next minute, not after.
        assert!(verify(secret, &code, at));
        assert!(verify(
            secret,
            &format!("{} {}", &code[..3], &code[3..]),
            at
        ));
        assert!(verify(secret, &code, at + Duration::seconds(60)));
        let later = at + Duration::seconds(180);
        assert_ne!(code_at(secret, step_of(later)), code);
        assert!(!verify(secret, &code, later) || code_at(secret, step_of(later) - 1) == code);
        assert!(!verify(secret, "12345", at));
    }

    #[test]
    fn the_qr_code_is_plain_inline_svg() {
        let svg = qr_svg(
            "https://aula.example/sesiones/1/registro?codigo=123456",
            "Código <QR>",
        )
        .unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("aria-label=\"Código &lt;QR&gt;\""));
        assert!(!svg.contains("style=") && !svg.contains("<script"));
    }
}
