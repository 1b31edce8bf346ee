//! Sessions: one by one, a recurring series, and deleting one; and the link to a virtual
//! classroom's tool sent from the sessions page's «Aula virtual» panel.

use super::*;
use crate::web::PageResult;

#[derive(FromForm, Serialize)]
pub(super) struct SessionForm {
    #[field(default = String::new())]
    #[serde(skip)]
    pub(super) csrf_token: String,
    #[field(default = String::new())]
    pub(super) date: String,
    #[field(default = String::new())]
    pub(super) start_time: String,
    #[field(default = String::new())]
    pub(super) end_time: String,
    #[field(default = String::new())]
    pub(super) topic: String,
    #[field(default = String::new())]
    pub(super) location: String,
    /// Empty: the cohort's.
    #[field(default = String::new())]
    pub(super) modality: String,
    /// A link of the cohort's virtual classroom; empty: none.
    #[field(default = String::new())]
    pub(super) lti_link_id: String,
    /// `confirmado` once the coordinator confirmed a session on a public holiday; the page
    /// sets `pendiente` when it asks (the box appears only then).
    #[field(default = String::new())]
    pub(super) festivo: String,
}
csrf_protected!(SessionForm);

/// The form's value once a session on a public holiday is confirmed.
const HOLIDAY_CONFIRMED: &str = "confirmado";

/// The form's «Modalidad» (empty: the cohort's) as the API takes it.
fn modality_of(text: &str) -> Option<Option<String>> {
    let text = text.trim();
    (!text.is_empty()).then(|| Some(text.to_string()))
}

/// The form's «Aula virtual» (a link's id; empty: none). Anything else is no link of the
/// cohort's, which the domain refuses by name.
fn link_of(text: &str) -> Option<Option<i32>> {
    let text = text.trim();
    (!text.is_empty()).then(|| Some(text.parse().unwrap_or(0)))
}

/// A local date and time typed in a form → RFC 3339 in Bogotá (what the API takes).
pub(super) fn local_date_time(date: &str, time: &str) -> Option<String> {
    let date = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").ok()?;
    let time = chrono::NaiveTime::parse_from_str(time.trim(), "%H:%M").ok()?;
    use chrono::Timelike;
    Some(crate::api::date_time(domain::time::from_local(
        date,
        time.hour(),
        time.minute(),
    )))
}

#[post("/coordinacion/cohortes/<id>/sesiones", data = "<form>")]
pub(super) async fn add_session_submit(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    page: Page<'_>,
    id: i32,
    form: CsrfForm<SessionForm>,
) -> PageResult<Flash<Redirect>> {
    let mut form = form.0;
    // A session on a public holiday is written only once confirmed (the API writes it with a
    // `festivo` warning): the form comes back asking, with the holiday named.
    let holiday = chrono::NaiveDate::parse_from_str(form.date.trim(), "%Y-%m-%d")
        .ok()
        .and_then(sessions::holiday_warning)
        .filter(|_| form.festivo != HOLIDAY_CONFIRMED);
    if holiday.is_some() {
        form.festivo = "pendiente".into();
    }
    let result = async {
        let mut errors = Vec::new();
        let starts_at = local_date_time(&form.date, &form.start_time);
        let ends_at = local_date_time(&form.date, &form.end_time);
        if starts_at.is_none() || ends_at.is_none() {
            errors.push(FieldError::new(
                "date",
                "Escriba la fecha (AAAA-MM-DD) y las horas (HH:MM) de la sesión.",
            ));
            return Err(AppError::Validation(errors));
        }
        if let Some(warning) = &holiday {
            return Err(AppError::invalid(
                "festivo",
                format!(
                    "{} Si la sesión es ese día, marque «Sí, es en festivo» y agréguela de nuevo.",
                    warning.message
                ),
            ));
        }
        let input = SessionInput {
            starts_at,
            ends_at,
            topic: Some(form.topic.clone()),
            location: Some(form.location.clone()),
            modality: modality_of(&form.modality),
            lti_link_id: link_of(&form.lti_link_id),
        };
        domain::db::write(db, async |txn| {
            let cohort = domain::cohorts::find_managed(txn, &staff, id).await?;
            let view = sessions::add(txn, staff.id, &cohort, &input).await?;
            Ok(view)
        })
        .await
    }
    .await;
    answer(
        db,
        &page,
        id,
        (Section::Sessions, Section::Sessions),
        result,
        Typed::form("sesion", &form),
        |view| {
            format!(
                "Sesión del {} agregada.",
                domain::format::date(view.local_date)
            )
        },
    )
    .await
}

#[derive(FromForm, Serialize)]
pub(super) struct GenerateForm {
    #[field(default = String::new())]
    #[serde(skip)]
    pub(super) csrf_token: String,
    #[field(default = Vec::new())]
    pub(super) weekdays: Vec<u32>,
    #[field(default = String::new())]
    pub(super) start_time: String,
    #[field(default = String::new())]
    pub(super) end_time: String,
    #[field(default = String::new())]
    pub(super) from: String,
    #[field(default = String::new())]
    pub(super) to: String,
    #[field(default = String::new())]
    pub(super) topic: String,
    #[field(default = String::new())]
    pub(super) location: String,
    #[field(default = String::new())]
    pub(super) modality: String,
    #[field(default = String::new())]
    pub(super) lti_link_id: String,
    /// `si`: the series leaves public holidays out (the box starts checked).
    #[field(default = String::new())]
    pub(super) omitir_festivos: String,
}
csrf_protected!(GenerateForm);

#[post("/coordinacion/cohortes/<id>/sesiones/generar", data = "<form>")]
pub(super) async fn generate_submit(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    page: Page<'_>,
    id: i32,
    form: CsrfForm<GenerateForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let rule = Recurrence {
        weekdays: Some(form.weekdays.clone()),
        start_time: Some(form.start_time.clone()),
        end_time: Some(form.end_time.clone()),
        from: Some(form.from.clone()),
        to: Some(form.to.clone()),
        topic: Some(form.topic.clone()),
        location: Some(form.location.clone()),
        modality: modality_of(&form.modality).flatten(),
        lti_link_id: link_of(&form.lti_link_id).flatten(),
        skip_holidays: Some(form.omitir_festivos == "si"),
    };
    let result = domain::db::write(db, async |txn| {
        let cohort = domain::cohorts::find_managed(txn, &staff, id).await?;
        let created = sessions::generate(txn, staff.id, &cohort, &rule).await?;
        Ok(created)
    })
    .await;
    answer(
        db,
        &page,
        id,
        (Section::Sessions, Section::Sessions),
        result,
        Typed::form("serie", &form),
        |created| format!("{} sesiones programadas.", created.len()),
    )
    .await
}

#[get("/coordinacion/sesiones/<id>/eliminar")]
pub(super) async fn delete_session_confirm(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    page: Page<'_>,
    id: i32,
) -> PageResult {
    let session = sessions::find(db.inner(), id).await?;
    let cohort = domain::cohorts::find_managed(db.inner(), &staff, session.cohort_id).await?;
    Confirmation::new(
        format!(
            "¿Eliminar la sesión «{}» del {}?",
            session.topic,
            domain::format::date_time(session.starts_at)
        ),
        format!("/coordinacion/sesiones/{id}/eliminar"),
        "Sí, eliminar la sesión",
        Section::Sessions.path(cohort.id),
    )
    .fact(format!(
        "La sesión sale del calendario de la cohorte «{}».",
        cohort.name
    ))
    .fact("Una sesión con asistencia registrada no se puede eliminar.")
    .render(&page, "Eliminar la sesión")
}

#[post("/coordinacion/sesiones/<id>/eliminar", data = "<_form>")]
pub(super) async fn delete_session_submit(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    page: Page<'_>,
    id: i32,
    _form: CsrfForm<PlainForm>,
) -> PageResult<Flash<Redirect>> {
    let cohort = {
        let session = sessions::find(db.inner(), id).await?;
        domain::cohorts::find_managed(db.inner(), &staff, session.cohort_id).await?
    };
    let result = domain::db::write(db, async |txn| {
        sessions::remove(txn, staff.id, &cohort, id).await?;
        Ok(())
    })
    .await;
    answer(
        db,
        &page,
        cohort.id,
        (Section::Sessions, Section::Sessions),
        result,
        Typed::default(),
        |()| "Sesión eliminada.".to_string(),
    )
    .await
}

/// Links the cohort to a tool from the sessions page's «Aula virtual» panel; refused, the
/// sessions page again with the form as typed and the problems beside their fields (422).
#[post("/coordinacion/cohortes/<id>/aula-virtual", data = "<form>")]
pub(super) async fn classroom_link_submit(
    db: &State<DatabaseConnection>,
    config: &State<domain::config::AppConfig>,
    staff: StaffUser,
    page: Page<'_>,
    id: i32,
    form: CsrfForm<crate::virtual_classroom::pages::LinkForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let input = form.input();
    let platform = crate::virtual_classroom::platform_of(config);
    let result = domain::db::write(db, async |txn| {
        domain::virtual_classroom::links::create(txn, &platform, &staff, id, &input).await
    })
    .await;
    crate::web::form::saved_or_again(
        result,
        |link| {
            Flash::success(
                Redirect::to(format!("{}#aula-virtual", Section::Sessions.path(id))),
                format!("Cohorte vinculada al aula virtual «{}».", link.title),
            )
        },
        async |errors| {
            let typed = Typed::form("aula", &form);
            section_again(db, &page, id, Section::Sessions, typed, &errors).await
        },
    )
    .await
}
