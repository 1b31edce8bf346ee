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
    let code = codigo.map(checkin::normalize).unwrap_or_default();
    check_in_html(db.inner(), &me, &page, id, code, &[]).await
}

/// The check-in page showing `code`, refused with `errors` when there are any.
async fn check_in_html(
    db: &DatabaseConnection,
    me: &ParticipantUser,
    page: &Page<'_>,
    id: i32,
    code: String,
    errors: &[FieldError],
) -> PageResult {
    let (session, cohort, access) = session_access(db, me, id).await?;
    let Access::Own(enrolment_id) = access else {
        return Err(AppError::Forbidden.into());
    };
    let mark =
        domain::attendance::session_marks(db, &session, &access.people(), Some(&[enrolment_id]))
            .await?
            .pop();
    let (opens, closes) = checkin::window(&session);
    let local = |t| domain::time::local(t).format("%H:%M").to_string();
    page.render_form(
        "check_in",
        "Registrar mi asistencia",
        CheckInView {
            session: SessionInfo::of(&session),
            cohort: CohortRef::of(&cohort),
            code,
            opens: local(opens),
            closes: local(closes),
            mark,
        },
        errors,
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
    page: Page<'_>,
    me: ParticipantUser,
    id: i32,
    form: CsrfForm<CodeForm>,
) -> PageResult<Flash<Redirect>> {
    let here = Redirect::to(format!("/sesiones/{id}/registro"));
    let code = form.0.codigo;
    let outcome = crate::attendance::check_in(db, &notifier, &me, id, &code).await;
    let result = match outcome {
        Ok(Outcome::Marked(mark)) => Ok(mark),
        // The failed attempt counts towards the limit: kept (committed).
        Ok(Outcome::WrongCode) => Err(AppError::invalid("codigo", checkin::WRONG_CODE)),
        Err(error) => Err(error),
    };
    crate::web::form::saved_or_again(
        result,
        |mark| {
            Flash::success(
                here,
                format!(
                    "¡Listo! Su asistencia quedó registrada: {}.",
                    mark.status_label.to_lowercase()
                ),
            )
        },
        async |errors| check_in_html(db.inner(), &me, &page, id, code.clone(), &errors).await,
    )
    .await
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
