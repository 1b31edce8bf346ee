//! «Mi programa» (`/mi-programa`): the participant's programmes, each module's state with its
//! attendance on the one basis, what is left for the rule and the certificate once issued
//! (`progress::of_participant`). Written for a phone: one card per programme, one line per
//! module.

use crate::accounts::guards::ParticipantUser;
use crate::web::{Page, PageResult};
use domain::entities::values::ProgrammeEnrolmentStatus;
use domain::programmes::progress::{self, MyProgramme};
use rocket::{Route, State, get, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

pub(super) fn routes() -> Vec<Route> {
    routes![my_programmes]
}

#[derive(Serialize)]
struct Card {
    #[serde(flatten)]
    programme: MyProgramme,
    kind_label: &'static str,
    waitlisted: bool,
    /// The edition still takes cancellations (not finished).
    cancellable: bool,
}

#[derive(Serialize)]
struct MineView {
    programmes: Vec<Card>,
}

#[get("/mi-programa")]
async fn my_programmes(
    db: &State<DatabaseConnection>,
    me: ParticipantUser,
    page: Page<'_>,
) -> PageResult {
    let found = match domain::people::profile::participant_of_user(db.inner(), me.id).await? {
        Some(person) => progress::of_participant(db.inner(), person.id).await?,
        None => Vec::new(),
    };
    let mut programmes = Vec::with_capacity(found.len());
    for programme in found {
        let edition = domain::programmes::editions::load(db.inner(), programme.edition_id).await?;
        programmes.push(Card {
            kind_label: programme.programme.kind.label(),
            waitlisted: programme.enrolment_status == ProgrammeEnrolmentStatus::Waitlisted,
            cancellable: edition.status() != domain::programmes::editions::EditionStatus::Closed,
            programme,
        });
    }
    page.render("my_programmes", "Mi programa", MineView { programmes })
}
