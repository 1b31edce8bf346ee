//! For participants: checking in with the session's code, and «Mi progreso».

use super::*;
use crate::web::PageResult;

/// The participant's page to check in (the QR code's link lands here, code filled in).
#[get("/sesiones/<id>/registro?<codigo>")]
pub(super) async fn check_in_page(
    db: &State<DatabaseConnection>,
    me: ParticipantUser,
    page: Page<'_>,
    id: i32,
    codigo: Option<&str>,
) -> PageResult {
    let (session, cohort, access) = session_access(db.inner(), &me, id).await?;
    let Access::Own(enrolment_id) = access else {
        return Err(AppError::Forbidden.into());
    };
    let mark = domain::attendance::session_marks(
        db.inner(),
        &session,
        &access.people(),
        Some(&[enrolment_id]),
    )
    .await?
    .pop();
    let (opens, closes) = checkin::window(&session);
    let local = |t| domain::time::local(t).format("%H:%M").to_string();
    page.render(
        "check_in",
        "Registrar mi asistencia",
        CheckInView {
            session: SessionInfo::of(&session),
            cohort: CohortRef::of(&cohort),
            code: codigo.map(checkin::normalize).unwrap_or_default(),
            opens: local(opens),
            closes: local(closes),
            mark,
        },
    )
}

#[derive(FromForm)]
pub(super) struct CodeForm {
    #[field(default = String::new())]
    pub(super) csrf_token: String,
    #[field(default = String::new())]
    pub(super) codigo: String,
}

csrf_protected!(CodeForm);

#[post("/sesiones/<id>/registro", data = "<form>")]
pub(super) async fn check_in_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    me: ParticipantUser,
    id: i32,
    form: CsrfForm<CodeForm>,
) -> PageResult<Flash<Redirect>> {
    let txn = domain::db::begin(db).await?;
    let (session, cohort, access) = session_access(&txn, &me, id).await?;
    let Access::Own(enrolment_id) = access else {
        return Err(AppError::Forbidden.into());
    };
    let here = Redirect::to(format!("/sesiones/{id}/registro"));
    let outcome = checkin::check_in(
        &txn,
        &notifier,
        me.id,
        enrolment_id,
        &cohort,
        &session,
        &form.0.codigo,
    )
    .await;
    match outcome {
        Ok(Outcome::Marked(mark)) => {
            domain::db::commit(txn).await?;
            Ok(Flash::success(
                here,
                format!(
                    "¡Listo! Su asistencia quedó registrada: {}.",
                    mark.status_label.to_lowercase()
                ),
            ))
        }
        Ok(Outcome::WrongCode) => {
            domain::db::commit(txn).await?;
            Ok(Flash::error(here, checkin::WRONG_CODE))
        }
        Err(AppError::Validation(errors)) => Ok(Flash::error(
            here,
            errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        )),
        Err(error @ (AppError::Conflict(_) | AppError::Throttled(_))) => {
            Ok(Flash::error(here, error.to_string()))
        }
        Err(other) => Err(other.into()),
    }
}

#[get("/mi-progreso")]
pub(super) async fn progress_page(
    db: &State<DatabaseConnection>,
    me: ParticipantUser,
    page: Page<'_>,
) -> PageResult {
    let progress = match domain::people::profile::participant_of_user(db.inner(), me.id).await? {
        Some(person) => {
            domain::attendance::progress::for_participant(db.inner(), person.id).await?
        }
        None => Vec::new(),
    };
    #[derive(Serialize)]
    struct ProgressView {
        progress: Vec<domain::attendance::progress::Progress>,
    }
    page.render("my_progress", "Mi progreso", ProgressView { progress })
}

/// The participant's check-in page.
#[derive(Serialize)]
pub(super) struct CheckInView<'a> {
    pub(super) session: SessionInfo,
    pub(super) cohort: CohortRef<'a>,
    pub(super) code: String,
    pub(super) opens: String,
    pub(super) closes: String,
    pub(super) mark: Option<domain::attendance::MarkView>,
}
