//! The emails of an edition enrolment that no module's cohort sends: a place on the edition's
//! waiting list. (A place in the modules is told by each module's own enrolment notice, with
//! its calendar.)

use super::editions::Edition;
use crate::entities::participant;
use crate::error::AppResult;
use crate::mail::{self, Email, Notifier};
use serde::Serialize;

#[derive(Serialize)]
struct EditionWaitlisted<'a> {
    full_name: String,
    programme: &'a str,
    edition: &'a str,
    position: u64,
    modules: Vec<&'a str>,
    programmes_url: String,
}

impl mail::Message for EditionWaitlisted<'_> {
    const TEMPLATE: &'static str = "programme_waitlisted";
    fn subject(&self) -> String {
        format!(
            "Lista de espera (puesto {}): {}",
            self.position, self.edition
        )
    }
}

/// The email telling `person` her place `position` on the edition's waiting list (none when
/// she has no address), keyed to her edition enrolment `programme_enrolment_id`: queued with
/// the other emails of the people decided with her (`mail::enqueue_many`).
pub fn waitlisted(
    notifier: &Notifier<'_>,
    edition: &Edition,
    person: &participant::Model,
    programme_enrolment_id: i32,
    position: u64,
) -> AppResult<Option<Email>> {
    let Some(to) = person.email.clone() else {
        return Ok(None);
    };
    let public_url = notifier.config.public_url.trim_end_matches('/');
    let message = EditionWaitlisted {
        full_name: person.full_name(),
        programme: &edition.programme.name,
        edition: &edition.row.name,
        position,
        modules: edition
            .programme
            .modules
            .iter()
            .map(|m| m.course_name.as_str())
            .collect(),
        programmes_url: format!("{public_url}/mi-programa"),
    };
    Ok(Some(Email::of(to, &message)?.once(format!(
        "programme-waitlisted-{programme_enrolment_id}"
    ))))
}
