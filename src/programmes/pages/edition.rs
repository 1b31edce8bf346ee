//! An edition's page: the whole edition as one calendar (every module cohort's sessions, by
//! module, in date order), its iCalendar feed, and the participant's «Inscribirme» and
//! «Cancelar mi inscripción» (with its confirmation).

use super::{enrolled_message, person_of, takes_enrolments};
use crate::accounts::guards::{CurrentUser, ParticipantUser};
use crate::error::AppResult;
use crate::mail::Mailer;
use crate::web::confirm::Confirmation;
use crate::web::csrf::{CsrfForm, PlainForm, csrf_protected};
use crate::web::{Page, PageResult};
use domain::enrolment::Requester;
use domain::entities::values::{CohortStatus, ProgrammeEnrolmentStatus, ProgrammeStatus, Role};
use domain::error::AppError;
use domain::programmes::calendar::{self, ModuleSessions};
use domain::programmes::editions::{self, Edition, EditionView};
use domain::programmes::enrolment::{self, PlaceStatus};
use rocket::Either;
use rocket::form::FromForm;
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

pub(super) fn routes() -> Vec<Route> {
    routes![
        edition_page,
        calendar_feed,
        enrol_submit,
        cancel_confirm,
        cancel_submit
    ]
}

/// The edition the caller reads: whoever reads its programme (anyone once published).
async fn readable(db: &DatabaseConnection, page: &Page<'_>, id: i32) -> AppResult<Edition> {
    let edition = editions::load(db, id).await?;
    domain::programmes::find(db, page.user.as_deref(), edition.row.programme_id).await?;
    Ok(edition)
}

/// One module of the calendar as the page draws it.
#[derive(Serialize)]
struct ModuleCalendar {
    #[serde(flatten)]
    module: ModuleSessions,
    /// The module's cohort is still a draft: its sessions are not public yet.
    unpublished: bool,
}

/// The participant's place in the edition.
#[derive(Serialize)]
struct Mine {
    waitlisted: bool,
    position: Option<u64>,
    /// The modules recognised from her certificates, by name.
    recognised: Vec<String>,
}

#[derive(Serialize)]
struct EditionPage {
    edition: EditionView,
    kind_label: &'static str,
    modules: Vec<ModuleCalendar>,
    session_count: usize,
    module_count: usize,
    /// The modules without a cohort yet, by name (no enrolment until each has one).
    missing: Vec<String>,
    /// May take the iCalendar feed (its people and the staff who manage it).
    feed: bool,
    mine: Option<Mine>,
    can_enrol: bool,
    /// Staff who manage it or a reviewer: «Avance de las personas».
    reads_progress: bool,
    anonymous: bool,
    participant: bool,
}

async fn edition_html(
    db: &DatabaseConnection,
    page: &Page<'_>,
    id: i32,
    errors: &[domain::error::FieldError],
) -> PageResult {
    let edition = readable(db, page, id).await?;
    let actor = page.user.as_deref();
    let staff = actor.is_some_and(|a| a.is_staff());
    let modules: Vec<ModuleCalendar> = calendar::by_module(db, &edition)
        .await?
        .into_iter()
        .map(|module| {
            let unpublished = !staff
                && edition
                    .cohorts
                    .get(&module.course_id)
                    .is_some_and(|c| c.status == CohortStatus::Draft);
            ModuleCalendar {
                module: if unpublished {
                    ModuleSessions {
                        sessions: Vec::new(),
                        ..module
                    }
                } else {
                    module
                },
                unpublished,
            }
        })
        .collect();
    let feed = match actor {
        Some(a) => calendar::readable(db, a, id).await.is_ok(),
        None => false,
    };
    let person = person_of(db, page.user.as_ref()).await?;
    let mine = match &person {
        Some(person) => match enrolment::current(db, id, person.id).await? {
            Some(row) => {
                let placed = enrolment::view(db, &edition, &row).await?;
                Some(Mine {
                    waitlisted: row.status == ProgrammeEnrolmentStatus::Waitlisted,
                    position: placed.waitlist_position,
                    recognised: placed
                        .modules
                        .iter()
                        .filter(|m| m.status == PlaceStatus::Recognised)
                        .map(|m| m.course_name.clone())
                        .collect(),
                })
            }
            None => None,
        },
        None => None,
    };
    let reads_progress = match actor {
        Some(a) if a.role == Role::Reviewer => true,
        Some(a) if a.is_staff() => editions::find_managed(db, a, id).await.is_ok(),
        _ => false,
    };
    let view = editions::view(db, &edition).await?;
    let data = EditionPage {
        kind_label: edition.programme.kind_label,
        session_count: modules.iter().map(|m| m.module.sessions.len()).sum(),
        module_count: modules.len(),
        missing: edition
            .missing()
            .iter()
            .map(|m| m.course_name.clone())
            .collect(),
        can_enrol: person.is_some()
            && mine.is_none()
            && edition.programme.status == ProgrammeStatus::Published
            && takes_enrolments(view.status),
        modules,
        feed,
        mine,
        reads_progress,
        anonymous: page.user.is_none(),
        participant: person.is_some(),
        edition: view,
    };
    let title = data.edition.name.clone();
    page.render_form("edition", &title, data, errors)
}

#[get("/ediciones/<id>")]
async fn edition_page(db: &State<DatabaseConnection>, page: Page<'_>, id: i32) -> PageResult {
    edition_html(db, &page, id, &[]).await
}

/// The whole edition as one iCalendar file, for its people and the staff who manage it.
#[get("/ediciones/<id>/calendario.ics")]
async fn calendar_feed(
    db: &State<DatabaseConnection>,
    config: &State<domain::config::AppConfig>,
    user: CurrentUser,
    id: i32,
) -> AppResult<crate::spreadsheets::download::Download> {
    let edition = calendar::readable(db.inner(), &user, id).await?;
    let body = calendar::edition_calendar(db.inner(), &edition, &config.public_url).await?;
    Ok(crate::spreadsheets::download::Download::calendar(
        &format!("edicion-{id}.ics"),
        body,
    ))
}

/// «Inscribirme»: in every module at once, or on the edition's waiting list.
#[post("/ediciones/<id>/inscribirme", data = "<_form>")]
async fn enrol_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    page: Page<'_>,
    me: ParticipantUser,
    id: i32,
    _form: CsrfForm<PlainForm>,
) -> PageResult<Flash<Redirect>> {
    // An account without its person: the page does not exist for it.
    let person = domain::people::profile::participant_of_user(db.inner(), me.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let result = domain::db::write(db, async |txn| {
        enrolment::enrol(txn, &notifier, id, &person, &Requester::Participant(&me)).await
    })
    .await;
    crate::web::form::saved_or_again(
        result,
        |view| Flash::success(Redirect::to("/mi-programa"), enrolled_message(&view)),
        async |errors| edition_html(db, &page, id, &errors).await,
    )
    .await
}

#[derive(FromForm)]
struct CancelForm {
    #[field(default = String::new())]
    csrf_token: String,
    /// Sent by the confirmation page: the enrolment is cancelled only with it.
    #[field(default = false)]
    confirmed: bool,
}
csrf_protected!(CancelForm);

/// What leaving the edition does, said before: every module she leaves (by name, with its
/// dates), the place that goes to the first person waiting, the attendance that stays on
/// record, and that coming back means enrolling again. Refused (no button) when she holds no
/// place or the edition has finished.
async fn cancel_confirmation(
    db: &DatabaseConnection,
    page: &Page<'_>,
    me: &CurrentUser,
    id: i32,
) -> PageResult {
    let edition = readable(db, page, id).await?;
    let person = domain::people::profile::participant_of_user(db, me.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let row = enrolment::current(db, id, person.id).await?;
    let back = format!("/ediciones/{id}");
    let refused = match &row {
        None => Some("Usted no tiene una inscripción vigente en esta edición.".to_string()),
        Some(_) if edition.status() == editions::EditionStatus::Closed => {
            Some("La edición ya terminó: su inscripción no se puede cancelar.".to_string())
        }
        Some(_) => None,
    };
    let mut confirmation = Confirmation::new(
        format!("¿Cancelar su inscripción en «{}»?", edition.row.name),
        format!("/ediciones/{id}/cancelar"),
        "Sí, cancelar mi inscripción",
        back,
    )
    .refused(refused);
    if let Some(row) = row {
        let placed = enrolment::view(db, &edition, &row).await?;
        if row.status == ProgrammeEnrolmentStatus::Waitlisted {
            confirmation = confirmation.fact("Sale de la lista de espera de la edición.");
        } else {
            let leaving: Vec<String> = edition
                .ordered_cohorts()
                .into_iter()
                .filter(|c| !c.status.is_final())
                .filter(|c| {
                    placed
                        .modules
                        .iter()
                        .any(|m| m.cohort_id == Some(c.id) && m.status == PlaceStatus::Enrolled)
                })
                .map(|c| {
                    format!(
                        "{} (del {} al {})",
                        c.name,
                        domain::format::date(c.start_date),
                        domain::format::date(c.end_date)
                    )
                })
                .collect();
            confirmation = confirmation
                .list("Sale de todos los módulos que siguen abiertos:", leaving)
                .fact(
                    "Su cupo en cada módulo pasa a la primera persona de la lista de espera de \
                     la edición, si la hay (se le avisa por correo).",
                )
                .fact(
                    "La asistencia ya registrada queda en el historial, pero deja de contar \
                     para el programa.",
                );
        }
        let recognised: Vec<String> = placed
            .modules
            .iter()
            .filter(|m| m.status == PlaceStatus::Recognised)
            .map(|m| m.course_name.clone())
            .collect();
        if !recognised.is_empty() {
            confirmation = confirmation.list(
                "Los módulos reconocidos dejan de contar en esta edición (su certificado sigue \
                 siendo suyo):",
                recognised,
            );
        }
    }
    confirmation
        .fact("Le enviamos un correo de confirmación por cada módulo que deja.")
        .fact("Para volver a la edición hay que inscribirse de nuevo, si quedan cupos.")
        .render(page, "Cancelar la inscripción en la edición")
}

#[get("/ediciones/<id>/cancelar")]
async fn cancel_confirm(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    me: ParticipantUser,
    id: i32,
) -> PageResult {
    cancel_confirmation(db, &page, &me, id).await
}

#[post("/ediciones/<id>/cancelar", data = "<form>")]
async fn cancel_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    page: Page<'_>,
    me: ParticipantUser,
    id: i32,
    form: CsrfForm<CancelForm>,
) -> PageResult<Either<Flash<Redirect>, RawHtml<String>>> {
    if !form.0.confirmed {
        return Ok(Either::Right(
            cancel_confirmation(db, &page, &me, id).await?,
        ));
    }
    let person = domain::people::profile::participant_of_user(db.inner(), me.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let row = enrolment::current(db.inner(), id, person.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let result = domain::db::write(db, async |txn| {
        enrolment::cancel(txn, &notifier, &me, id, row.id, None).await
    })
    .await;
    crate::web::form::saved_or_again(
        result,
        |_| {
            Flash::success(
                Redirect::to("/mi-programa"),
                "Su inscripción en la edición quedó cancelada: salió de todos sus módulos.",
            )
        },
        // Refused once confirmed (the edition finished meanwhile): its page, saying why.
        async |errors| edition_html(db, &page, id, &errors).await,
    )
    .await
    .map(Either::Left)
}
