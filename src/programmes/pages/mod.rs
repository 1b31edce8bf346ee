//! The pages of programmes (issue 64), one file per screen: the public catalogue of
//! programmes and a programme's page with the coordinator's forms (`catalogue`), an edition's
//! page with its one calendar, its feed, enrolling and cancelling (`edition`), the edition's
//! roster module by module (`roster`) and the participant's «Mi programa» (`mine`). Handlers
//! stay thin: every rule is `domain::programmes`'.

use crate::accounts::guards::CurrentUser;
use domain::entities::participant;
use domain::entities::values::Role;
use domain::error::AppResult;
use rocket::Route;
use sea_orm::DatabaseConnection;

mod catalogue;
mod edition;
mod mine;
mod roster;

pub fn routes() -> Vec<Route> {
    let mut routes = catalogue::routes();
    routes.extend(edition::routes());
    routes.extend(roster::routes());
    routes.extend(mine::routes());
    routes
}

/// The signed-in participant's person, if the caller is one.
async fn person_of(
    db: &DatabaseConnection,
    user: Option<&CurrentUser>,
) -> AppResult<Option<participant::Model>> {
    match user {
        Some(user) if user.role == Role::Participant => {
            domain::people::profile::participant_of_user(db, user.id).await
        }
        _ => Ok(None),
    }
}

/// «Inscripciones abiertas» as the edition's status says it, or not.
fn takes_enrolments(status: domain::programmes::editions::EditionStatus) -> bool {
    status == domain::programmes::editions::EditionStatus::Open
}

/// What the participant is told after enrolling in an edition.
fn enrolled_message(view: &domain::programmes::enrolment::ProgrammeEnrolmentView) -> String {
    use domain::programmes::enrolment::PlaceStatus;
    let recognised = view
        .modules
        .iter()
        .filter(|m| m.status == PlaceStatus::Recognised)
        .count();
    let recognised = match recognised {
        0 => String::new(),
        1 => " Un módulo quedó reconocido por un certificado que usted ya tiene.".to_string(),
        n => format!(" {n} módulos quedaron reconocidos por certificados que usted ya tiene."),
    };
    match view.waitlist_position {
        Some(position) => format!(
            "Los cupos están completos: quedó en la lista de espera de la edición, en el puesto \
             {position}, sin cupo en ningún módulo todavía. Le avisaremos por correo.{recognised}"
        ),
        None => format!(
            "¡Listo! Su inscripción quedó confirmada en todos los módulos de la edición; le \
             enviamos los detalles por correo.{recognised}"
        ),
    }
}
