//! The emails of an edition enrolment that no module's cohort sends: a place on the edition's
//! waiting list. (A place in the modules is told by each module's own enrolment notice, with
//! its calendar.)

use super::editions::Edition;
use crate::entities::{participant, programme_enrolment};
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

/// Tells `person` (when she has an address) her place `position` on the edition's waiting
/// list.
pub async fn waitlisted<C: sea_orm::ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    edition: &Edition,
    person: &participant::Model,
    row: &programme_enrolment::Model,
    position: u64,
) -> AppResult<()> {
    let Some(to) = person.email.clone() else {
        return Ok(());
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
    let email = Email::of(to, &message)?.once(format!("programme-waitlisted-{}", row.id));
    mail::enqueue(db, notifier, email).await?;
    Ok(())
}
