//! The public catalogue: open cohorts anyone can browse (no account), filtered by
//! department, municipality, capacity and modality, and each cohort's public page.

use crate::accounts::guards::CurrentUser;
use crate::error::AppResult;
use crate::web::PageResult;
use crate::web::{Choice, DepartmentChoice, IdChoice, KeptKey, Page, Pager};
use domain::cohorts::scope::CohortScope;
use domain::cohorts::sessions::{self, SessionView};
use domain::cohorts::{CohortView, ListFilter};
use domain::entities::values::{CohortStatus, Modality};
use domain::error::{AppError, FieldError};
use rocket::{Route, State, get, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![catalogue, cohort_page, cohort_calendar, session_calendar]
}

const PER_PAGE: u64 = 20;

/// The public catalogue: a page of open cohorts and the filters as chosen.
#[derive(Serialize)]
struct CatalogueView<'a> {
    rows: Vec<CatalogueRow<'a>>,
    departments: Vec<DepartmentChoice<'a>>,
    capacities: Vec<IdChoice>,
    providers: Vec<IdChoice>,
    modalities: Vec<Choice<'static>>,
    municipio: &'a str,
    /// The search box as typed.
    q: &'a str,
    pager: Pager,
}

/// An open cohort as a card of the catalogue.
#[derive(Serialize)]
struct CatalogueRow<'a> {
    id: i32,
    name: &'a str,
    course: &'a str,
    provider: &'a str,
    hours: i32,
    capacities: Vec<&'a str>,
    modality: &'static str,
    start_date: String,
    end_date: String,
    enrolment_closes: String,
    /// Free seats as anyone reads them: banded when 1 to 4 are taken (issue 62).
    seats_free: String,
}

impl<'a> From<&'a CohortView> for CatalogueRow<'a> {
    fn from(c: &'a CohortView) -> Self {
        CatalogueRow {
            id: c.id,
            name: &c.name,
            course: &c.course.name,
            provider: &c.provider.name,
            hours: c.course.hours,
            capacities: c.capacities.iter().map(|k| k.name.as_str()).collect(),
            modality: c.modality.label(),
            start_date: c.start_date.to_string(),
            end_date: c.end_date.to_string(),
            enrolment_closes: c.enrolment_closes.to_string(),
            seats_free: domain::open_data::free_places_label(
                i64::from(c.seats),
                i64::try_from(c.seats_available).unwrap_or(i64::MAX),
            ),
        }
    }
}

/// The catalogue's filters as the query string carries them.
#[derive(rocket::FromForm, Default)]
struct CatalogueQuery<'r> {
    departamento: Option<&'r str>,
    municipio: Option<&'r str>,
    capacidad: Option<i32>,
    modalidad: Option<&'r str>,
    oferente: Option<i32>,
    /// Words of the cohort's or the course's name (or the course's code).
    q: Option<&'r str>,
    pagina: Option<u64>,
}

#[get("/cohortes?<query..>")]
async fn catalogue(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    query: CatalogueQuery<'_>,
) -> PageResult {
    let CatalogueQuery {
        departamento,
        municipio,
        capacidad,
        modalidad,
        oferente,
        q,
        pagina,
    } = query;
    let department = domain::parse::text(departamento);
    let mut errors: Vec<FieldError> = Vec::new();
    let text = domain::parse::search("q", q, &mut errors);
    let municipality = match domain::parse::text(municipio) {
        None => None,
        Some(text) => match domain::territory::resolve_municipality(
            db.inner(),
            department.as_deref().unwrap_or(""),
            &text,
        )
        .await?
        {
            Ok(code) => Some(code),
            Err(message) => {
                errors.push(FieldError::new("municipio", message));
                None
            }
        },
    };
    let filter = ListFilter {
        status: Some(CohortStatus::Open),
        // A municipality is found through its own targets, its department's or national ones.
        department: if municipality.is_some() {
            None
        } else {
            department.clone()
        },
        municipality,
        capacity_id: capacidad,
        provider_id: oferente,
        modality: modalidad.and_then(Modality::parse),
        text,
        ..Default::default()
    };
    let page_number = crate::api::page_number(pagina);
    let (items, total) = domain::cohorts::list(
        db.inner(),
        &CohortScope::Published,
        &filter,
        page_number,
        PER_PAGE,
    )
    .await?;
    let departments = domain::territory::departments(db.inner()).await?;
    let capacities = domain::capacities::active_in_order(db.inner())
        .await?
        .into_iter()
        .map(|c| IdChoice {
            selected: Some(c.id) == capacidad,
            id: c.id,
            name: c.name,
        })
        .collect();
    let providers = domain::providers::list(db.inner())
        .await?
        .into_iter()
        .map(|p| IdChoice {
            selected: Some(p.id) == oferente,
            id: p.id,
            name: p.name,
        })
        .collect();
    let modalities = [Modality::Presencial, Modality::Virtual, Modality::Mixta]
        .into_iter()
        .map(|m| Choice {
            value: m.as_str(),
            label: m.label(),
            selected: Some(m.as_str()) == modalidad,
        })
        .collect();
    let query = format!(
        "q={}&departamento={}&municipio={}&capacidad={}&modalidad={}&oferente={}",
        domain::text::urlencode(q.unwrap_or("")),
        departamento.unwrap_or(""),
        domain::text::urlencode(municipio.unwrap_or("")),
        capacidad.map(|c| c.to_string()).unwrap_or_default(),
        domain::text::urlencode(modalidad.unwrap_or("")),
        oferente.map(|c| c.to_string()).unwrap_or_default(),
    );
    let view = CatalogueView {
        rows: items.iter().map(CatalogueRow::from).collect(),
        departments: DepartmentChoice::list(&departments, department.as_deref()),
        capacities,
        providers,
        modalities,
        municipio: municipio.unwrap_or(""),
        q: q.unwrap_or(""),
        pager: Pager::new("/cohortes", &query, page_number, PER_PAGE, total),
    };
    // A filter that does not pass is a form's problem: the list without it, the problem
    // beside its box, 422 (issue 45).
    if errors.is_empty() {
        page.render("catalogue", "Cohortes abiertas", view)
    } else {
        Err(crate::web::Failure::form_again(page.render_refused(
            "catalogue",
            "Cohortes abiertas",
            view,
            &errors,
        )))
    }
}

/// A cohort's public page.
#[derive(Serialize)]
struct CohortPublicView<'a> {
    cohort: &'a CohortView,
    description: String,
    status_label: &'static str,
    modality_label: &'static str,
    places: Vec<String>,
    /// The sessions by month, for the `session_calendar` partial.
    calendar: Vec<crate::web::sections::CalendarMonth>,
    session_count: usize,
    enrolment_open: bool,
    /// The signed-in participant's enrolment here.
    mine: Option<MyEnrolment>,
    can_enrol: bool,
    anonymous: bool,
    /// A liaison of a municipality the cohort is offered to: their nominations here (issue 35).
    nominating: Option<Nominating>,
    /// The nomination form's values: empty, or as typed when it came back refused.
    nomination_form: NominationValues,
    /// Opened from the coordination by a coordinator of another provider: whose it is.
    managed_by: Option<String>,
    /// «Cupos libres» as the caller reads it: exact for the staff; for anyone else banded
    /// when 1 to 4 seats are taken, the group the open data suppresses (issue 62, item 4).
    seats_free: String,
    /// The waiting list's length as the caller reads it («menos de 5» from 1 to 4 for anyone
    /// but the staff); none when empty.
    waitlisted: Option<String>,
    /// The virtual classrooms the signed-in person may open now (issue 65).
    virtual_classroom: Vec<domain::virtual_classroom::launch::Door>,
}

/// The nomination form of a cohort's page as typed.
#[derive(Serialize, Default)]
pub(crate) struct NominationValues {
    pub document_type: String,
    pub document_number: String,
    pub first_names: String,
    pub last_names: String,
    pub email: String,
    /// Whether it came back refused (its box shows open).
    pub refused: bool,
}

/// Another provider's cohort opened from the coordination (issue 45): its page read-only,
/// saying whose it is, instead of a 404 (the coordinator reads the whole offer).
pub(crate) async fn managed_elsewhere(
    db: &DatabaseConnection,
    page: &Page<'_>,
    id: i32,
) -> PageResult {
    visible_cohort(db, page, id).await?;
    let (title, mut view) = public_view(db, page.user.as_ref(), id).await?;
    let provider = view["cohort"]["provider"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if let Some(object) = view.as_object_mut() {
        object.insert(
            "managed_by".to_string(),
            serde_json::Value::String(provider),
        );
    }
    page.render("cohort_public", &title, view)
}

/// A cohort's page again for a form sent from it and refused (issue 45): the nomination's
/// values as typed (when it was the nomination), the problems summarised at the top and
/// beside their fields.
pub(crate) async fn page_again(
    db: &DatabaseConnection,
    page: &Page<'_>,
    id: i32,
    nomination: Option<NominationValues>,
    errors: &[domain::error::FieldError],
) -> PageResult {
    visible_cohort(db, page, id).await?;
    let (title, mut view) = public_view(db, page.user.as_ref(), id).await?;
    if let (Some(values), Some(object)) = (nomination, view.as_object_mut()) {
        let values = serde_json::to_value(values)
            .map_err(|e| AppError::Internal(format!("plantilla cohort_public: {e}")))?;
        object.insert("nomination_form".to_string(), values);
    }
    page.render_refused("cohort_public", &title, view, errors)
}

#[derive(Serialize)]
struct Nominating {
    municipality_name: String,
    quota: Option<domain::cohorts::quotas::SeatQuota>,
    /// The quota's people enrolled, as a liaison reads it («menos de 5» from 1 to 4).
    quota_enrolled: String,
    rows: Vec<domain::nominations::NominationView>,
    /// Open and enrolment not closed yet: the form is shown.
    open: bool,
}

#[derive(Serialize)]
struct MyEnrolment {
    id: i32,
    status_label: &'static str,
    /// Place on the waiting list.
    position: Option<u64>,
}

#[get("/cohortes/<id>")]
async fn cohort_page(db: &State<DatabaseConnection>, page: Page<'_>, id: i32) -> PageResult {
    let cohort = visible_cohort(db.inner(), &page, id).await?;
    if page.user.is_none() {
        // What a visitor sees (no form, nothing of a person) is the same for every visitor:
        // kept for the versions, so the page holds when a cohort opens to the whole country
        // (issue 36). Seats taken move the figures' version; dates pass within the time to live.
        return page
            .render_kept(&cohort.name, KeptKey::page(format!("/cohortes/{id}")), {
                let (db, drawer) = (db.inner().clone(), page.drawer());
                move || async move {
                    let (title, view) = public_view(&db, None, id).await?;
                    drawer.content("cohort_public", &title, view)
                }
            })
            .await;
    }
    let (title, view) = public_view(db.inner(), page.user.as_ref(), id).await?;
    page.render("cohort_public", &title, view)
}

/// The public page's view of a cohort the caller may see, for the caller, and its title.
async fn public_view(
    db: &DatabaseConnection,
    user: Option<&CurrentUser>,
    id: i32,
) -> domain::error::AppResult<(String, serde_json::Value)> {
    let view = domain::cohorts::view(db, id).await?;
    let description = domain::catalogue::courses::find(db, view.course_id)
        .await?
        .description;
    let model = domain::cohorts::find(db, id).await?;
    let sessions: Vec<SessionView> = sessions::list(db, id)
        .await?
        .into_iter()
        .map(|s| SessionView::of(&model, s))
        .collect();
    let places = domain::cohorts::place_names(
        db,
        &domain::cohorts::Targets {
            municipalities: view.municipality_codes.clone(),
            departments: view.department_codes.clone(),
            instructors: vec![],
        },
    )
    .await?;
    let today = domain::time::today();
    let enrolment_open = view.status == CohortStatus::Open
        && view.enrolment_opens <= today
        && today <= view.enrolment_closes;
    // What the signed-in participant can do here.
    let mut mine = None;
    let is_participant =
        user.is_some_and(|u| u.role == domain::entities::values::Role::Participant);
    if let Some(user) = user.filter(|_| is_participant)
        && let Some(person) = domain::people::profile::participant_of_user(db, user.id).await?
        && let Some(row) = domain::enrolment::current_of(db, id, person.id).await?
    {
        mine = Some(MyEnrolment {
            id: row.id,
            status_label: row.status.label(),
            position: domain::enrolment::waitlist_position(db, &row).await?,
        });
    }
    let nominating = match user {
        Some(user)
            if user.role == domain::entities::values::Role::Liaison
                && view.status != CohortStatus::Draft =>
        {
            match domain::nominations::for_cohort(db, user, id).await {
                Ok(rows) => {
                    let code = user.municipality_code.clone().unwrap_or_default();
                    let quota = view
                        .seat_quotas
                        .iter()
                        .find(|q| q.municipality_code == code)
                        .cloned();
                    Some(Nominating {
                        quota_enrolled: quota.as_ref().map_or_else(String::new, |q| {
                            domain::open_data::people_label(
                                i64::try_from(q.enrolled).unwrap_or(i64::MAX),
                            )
                        }),
                        municipality_name: domain::territory::municipality_name(db, &code).await?,
                        quota,
                        rows,
                        open: view.status == CohortStatus::Open && today <= view.enrolment_closes,
                    })
                }
                // Not offered to the liaison's municipality: nothing to nominate.
                Err(AppError::Validation(_)) => None,
                Err(other) => return Err(other),
            }
        }
        _ => None,
    };
    let staff = user.is_some_and(|u| u.is_staff());
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let (seats_free, waitlisted) = if staff {
        (
            view.seats_available.to_string(),
            (view.waitlisted > 0).then(|| view.waitlisted.to_string()),
        )
    } else {
        (
            domain::open_data::free_places_label(
                i64::from(view.seats),
                count(view.seats_available),
            ),
            (view.waitlisted > 0).then(|| domain::open_data::people_label(count(view.waitlisted))),
        )
    };
    let virtual_classroom = match user {
        Some(user) => domain::virtual_classroom::launch::doors(db, user, &model).await?,
        None => Vec::new(),
    };
    let data = serde_json::to_value(CohortPublicView {
        virtual_classroom,
        seats_free,
        waitlisted,
        cohort: &view,
        description,
        status_label: view.status.label(),
        modality_label: view.modality.label(),
        places,
        calendar: crate::web::sections::calendar(&sessions),
        session_count: sessions.len(),
        enrolment_open,
        can_enrol: enrolment_open && is_participant && mine.is_none(),
        mine,
        anonymous: user.is_none(),
        nominating,
        nomination_form: NominationValues::default(),
        managed_by: None,
    })
    .map_err(|e| AppError::Internal(format!("plantilla cohort_public: {e}")))?;
    Ok((view.name.clone(), data))
}

/// Whoever may see the cohort's public page may take its calendar.
async fn visible_cohort(
    db: &DatabaseConnection,
    page: &Page<'_>,
    id: i32,
) -> AppResult<domain::entities::cohort::Model> {
    let scope = CohortScope::public(page.user.as_deref());
    (domain::cohorts::find_in_scope(db, &scope, id).await).map_err(Into::into)
}

/// The whole cohort as an iCalendar file.
#[get("/cohortes/<id>/calendario.ics")]
async fn cohort_calendar(
    db: &State<DatabaseConnection>,
    config: &State<domain::config::AppConfig>,
    page: Page<'_>,
    id: i32,
) -> AppResult<crate::spreadsheets::download::Download> {
    let cohort = visible_cohort(db.inner(), &page, id).await?;
    let file = domain::enrolment::notices::cohort_calendar(db.inner(), &cohort, &config.public_url)
        .await?;
    let body = String::from_utf8(file.content).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(crate::spreadsheets::download::Download::calendar(
        &format!("cohorte-{id}.ics"),
        body,
    ))
}

/// One session as an iCalendar file.
#[get("/sesiones/<id>/calendario.ics")]
async fn session_calendar(
    db: &State<DatabaseConnection>,
    config: &State<domain::config::AppConfig>,
    page: Page<'_>,
    id: i32,
) -> AppResult<crate::spreadsheets::download::Download> {
    let session = sessions::find(db.inner(), id).await?;
    let cohort = visible_cohort(db.inner(), &page, session.cohort_id).await?;
    let event = domain::enrolment::notices::session_event(&cohort, &session, &config.public_url);
    let body = domain::calendar::calendar(&cohort.name, &[event]);
    Ok(crate::spreadsheets::download::Download::calendar(
        &format!("sesion-{id}.ics"),
        body,
    ))
}
