//! The coordinators' workspace for cohorts: list with filters, create and edit, sessions
//! (one by one or recurring), the lifecycle, and the overlap warnings.

use super::scope::CohortScope;
use super::sessions::{self, Recurrence, SessionInput, SessionView};
use super::{CohortInput, ListFilter, transition_allowed};
use crate::accounts::guards::StaffUser;
use crate::catalogue::pages::{decimal_field, number_field};
use crate::entities::values::{CohortStatus, Modality, Role};
use crate::entities::{capacity, course, user};
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::Mailer;
use crate::web::csrf::{CsrfForm, PlainForm, csrf_protected};
use crate::web::{Choice, Page, Pager, failure};
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![
        list_page,
        new_page,
        create_submit,
        detail_page,
        section_route,
        update_submit,
        status_submit,
        add_session_submit,
        generate_submit,
        delete_session_submit,
        delete_session_confirm,
        cancel_confirm
    ]
}

const PER_PAGE: u64 = 25;

#[derive(Serialize)]
struct CourseChoice {
    id: i32,
    name: String,
    retired: bool,
    selected: bool,
}

#[derive(Serialize)]
struct CapacityChoice {
    id: i32,
    name: String,
}

#[derive(Serialize)]
struct DepartmentChoice {
    code: String,
    name: String,
    selected: bool,
}

#[derive(Serialize)]
struct InstructorChoice {
    id: i32,
    name: String,
    selected: bool,
}

/// The rows of the status/capacity/course selects of filters and forms; with a form, what it
/// has chosen is marked `selected`.
#[derive(Serialize)]
struct Choices {
    courses: Vec<CourseChoice>,
    capacities: Vec<CapacityChoice>,
    departments: Vec<DepartmentChoice>,
    instructors: Vec<InstructorChoice>,
    statuses: Vec<Choice<'static>>,
    modalities: Vec<Choice<'static>>,
}

async fn choices(db: &DatabaseConnection, form: Option<&CohortForm>) -> AppResult<Choices> {
    let courses = course::Entity::find()
        .order_by_asc(course::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|c| CourseChoice {
            selected: form.is_some_and(|f| f.course_id == Some(c.id)),
            id: c.id,
            name: c.name,
            retired: c.retired_at.is_some(),
        })
        .collect();
    let capacities = capacity::Entity::find()
        .order_by_asc(capacity::Column::SortOrder)
        .all(db)
        .await?
        .into_iter()
        .map(|c| CapacityChoice {
            id: c.id,
            name: c.name,
        })
        .collect();
    let departments = crate::territory::departments(db)
        .await?
        .into_iter()
        .map(|d| DepartmentChoice {
            selected: form.is_some_and(|f| f.department_codes.contains(&d.code)),
            code: d.code,
            name: d.name,
        })
        .collect();
    let instructors = user::Entity::find()
        .filter(user::Column::Role.eq(Role::Instructor))
        .filter(user::Column::Active.eq(true))
        .order_by_asc(user::Column::FullName)
        .all(db)
        .await?
        .into_iter()
        .map(|u| InstructorChoice {
            selected: form.is_some_and(|f| f.instructor_ids.contains(&u.id)),
            id: u.id,
            name: u.full_name,
        })
        .collect();
    let statuses = [
        CohortStatus::Draft,
        CohortStatus::Open,
        CohortStatus::InProgress,
        CohortStatus::Closed,
        CohortStatus::Cancelled,
    ]
    .into_iter()
    .map(|s| Choice {
        value: s.as_str(),
        label: s.label(),
        selected: false,
    })
    .collect();
    let modalities = [Modality::Presencial, Modality::Virtual, Modality::Mixta]
        .into_iter()
        .map(|m| Choice {
            value: m.as_str(),
            label: m.label(),
            selected: form.is_some_and(|f| f.modality == m.as_str()),
        })
        .collect();
    Ok(Choices {
        courses,
        capacities,
        departments,
        instructors,
        statuses,
        modalities,
    })
}

#[derive(Serialize)]
struct CohortRow<'a> {
    id: i32,
    name: &'a str,
    course: &'a str,
    status_label: &'static str,
    start_date: String,
    end_date: String,
    seats: i32,
    enrolled: u64,
    waitlisted: u64,
}

/// The list's filters as typed, to show them again.
#[derive(Serialize)]
struct ListFilterView<'a> {
    estado: &'a str,
    departamento: &'a str,
    municipio: &'a str,
    capacidad: Option<i32>,
    curso: Option<i32>,
    desde: &'a str,
    hasta: &'a str,
    q: &'a str,
}

#[derive(Serialize)]
struct ListView<'a> {
    #[serde(flatten)]
    choices: Choices,
    rows: Vec<CohortRow<'a>>,
    errors: Vec<FieldError>,
    filter: ListFilterView<'a>,
    pager: Pager,
}

#[get(
    "/coordinacion/cohortes?<estado>&<departamento>&<municipio>&<capacidad>&<curso>&<desde>&<hasta>&<q>&<pagina>"
)]
#[allow(clippy::too_many_arguments)]
async fn list_page(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    page: Page<'_>,
    estado: Option<&str>,
    departamento: Option<&str>,
    municipio: Option<&str>,
    capacidad: Option<i32>,
    curso: Option<i32>,
    desde: Option<&str>,
    hasta: Option<&str>,
    q: Option<&str>,
    pagina: Option<u64>,
) -> AppResult<RawHtml<String>> {
    let mut errors = Vec::new();
    let municipality = match crate::parse::text(municipio) {
        None => None,
        Some(text) => match crate::territory::resolve_municipality_list(db.inner(), &text).await? {
            Ok(codes) => codes.into_iter().next(),
            Err(problems) => {
                errors.extend(
                    problems
                        .into_iter()
                        .map(|p| FieldError::new("municipio", p)),
                );
                None
            }
        },
    };
    let filter = ListFilter {
        status: estado.and_then(CohortStatus::parse),
        department: crate::parse::text(departamento),
        municipality,
        capacity_id: capacidad,
        course_id: curso,
        modality: None,
        from: crate::parse::date("desde", desde, false, &mut errors),
        to: crate::parse::date("hasta", hasta, false, &mut errors),
        text: crate::parse::text(q),
    };
    let page_number = crate::api::page_number(pagina);
    let (items, total) = super::list(
        db.inner(),
        &CohortScope::of(Some(&staff)),
        &filter,
        page_number,
        PER_PAGE,
    )
    .await?;
    let rows = items
        .iter()
        .map(|c| CohortRow {
            id: c.id,
            name: &c.name,
            course: &c.course.name,
            status_label: c.status.label(),
            start_date: c.start_date.to_string(),
            end_date: c.end_date.to_string(),
            seats: c.seats,
            enrolled: c.enrolled,
            waitlisted: c.waitlisted,
        })
        .collect();
    let query = format!(
        "estado={}&departamento={}&municipio={}&capacidad={}&curso={}&desde={}&hasta={}&q={}",
        estado.unwrap_or(""),
        departamento.unwrap_or(""),
        crate::text::urlencode(municipio.unwrap_or("")),
        capacidad.map(|c| c.to_string()).unwrap_or_default(),
        curso.map(|c| c.to_string()).unwrap_or_default(),
        desde.unwrap_or(""),
        hasta.unwrap_or(""),
        crate::text::urlencode(q.unwrap_or("")),
    );
    let view = ListView {
        choices: choices(db, None).await?,
        rows,
        errors,
        filter: ListFilterView {
            estado: estado.unwrap_or(""),
            departamento: departamento.unwrap_or(""),
            municipio: municipio.unwrap_or(""),
            capacidad,
            curso,
            desde: desde.unwrap_or(""),
            hasta: hasta.unwrap_or(""),
            q: q.unwrap_or(""),
        },
        pager: Pager::new(
            "/coordinacion/cohortes",
            &query,
            page_number,
            PER_PAGE,
            total,
        ),
    };
    page.render("cohorts", "Cohortes", view)
}

#[derive(FromForm, Default, Clone)]
pub(crate) struct CohortForm {
    #[field(default = String::new())]
    csrf_token: String,
    course_id: Option<i32>,
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    modality: String,
    #[field(default = String::new())]
    start_date: String,
    #[field(default = String::new())]
    end_date: String,
    #[field(default = String::new())]
    enrolment_opens: String,
    #[field(default = String::new())]
    enrolment_closes: String,
    #[field(default = String::new())]
    seats: String,
    #[field(default = String::new())]
    venue: String,
    #[field(default = String::new())]
    meeting_url: String,
    /// DANE codes or names, separated by commas or new lines.
    #[field(default = String::new())]
    municipalities: String,
    #[field(default = Vec::new())]
    department_codes: Vec<String>,
    #[field(default = Vec::new())]
    instructor_ids: Vec<i32>,
    #[field(default = String::new())]
    min_attendance_pct: String,
    #[field(default = String::new())]
    pass_mark: String,
    /// The form listed demands to answer (so an empty `demand_ids` means «none», not «not
    /// shown»).
    #[field(default = false)]
    demands_listed: bool,
    #[field(default = Vec::new())]
    demand_ids: Vec<i32>,
}
csrf_protected!(CohortForm);

impl CohortForm {
    async fn input(&self, db: &DatabaseConnection) -> AppResult<CohortInput> {
        let mut errors = Vec::new();
        let municipality_codes =
            match crate::territory::resolve_municipality_list(db, &self.municipalities).await? {
                Ok(codes) => codes,
                Err(problems) => {
                    errors.extend(
                        problems
                            .into_iter()
                            .map(|p| FieldError::new("municipality_codes", p)),
                    );
                    Vec::new()
                }
            };
        let input = CohortInput {
            course_id: self.course_id,
            name: Some(self.name.clone()),
            modality: Some(self.modality.clone()),
            start_date: Some(self.start_date.clone()),
            end_date: Some(self.end_date.clone()),
            enrolment_opens: Some(self.enrolment_opens.clone()),
            enrolment_closes: Some(self.enrolment_closes.clone()),
            seats: number_field("seats", &self.seats, &mut errors),
            venue: Some(self.venue.clone()),
            meeting_url: Some(self.meeting_url.clone()),
            municipality_codes: Some(municipality_codes),
            department_codes: Some(self.department_codes.clone()),
            instructor_ids: Some(self.instructor_ids.clone()),
            min_attendance_pct: number_field(
                "min_attendance_pct",
                &self.min_attendance_pct,
                &mut errors,
            ),
            pass_mark: decimal_field("pass_mark", &self.pass_mark, &mut errors),
            status: None,
            cancellation_reason: None,
            demand_ids: self.demands_listed.then(|| self.demand_ids.clone()),
        };
        if input.seats.is_none() && !errors.iter().any(|e| e.field == "seats") {
            errors.push(FieldError::new(
                "seats",
                "Escriba cuántos cupos tiene la cohorte.",
            ));
        }
        if errors.is_empty() {
            Ok(input)
        } else {
            Err(AppError::Validation(errors).into())
        }
    }
}

/// The form's values as typed, to show them again.
#[derive(Serialize)]
struct FormValues {
    name: String,
    start_date: String,
    end_date: String,
    enrolment_opens: String,
    enrolment_closes: String,
    seats: String,
    venue: String,
    meeting_url: String,
    municipalities: String,
    min_attendance_pct: String,
    pass_mark: String,
}

impl From<&CohortForm> for FormValues {
    fn from(form: &CohortForm) -> Self {
        FormValues {
            name: form.name.clone(),
            start_date: form.start_date.clone(),
            end_date: form.end_date.clone(),
            enrolment_opens: form.enrolment_opens.clone(),
            enrolment_closes: form.enrolment_closes.clone(),
            seats: form.seats.clone(),
            venue: form.venue.clone(),
            meeting_url: form.meeting_url.clone(),
            municipalities: form.municipalities.clone(),
            min_attendance_pct: form.min_attendance_pct.clone(),
            pass_mark: form.pass_mark.clone(),
        }
    }
}

/// The cohort form: its values and errors on top of the select choices.
#[derive(Serialize)]
struct FormView {
    #[serde(flatten)]
    choices: Choices,
    form: FormValues,
    errors: Vec<FieldError>,
    /// Open demands the cohort may answer (issue 16), ticked when it does.
    demands: Vec<DemandChoice>,
}

#[derive(Serialize)]
struct DemandChoice {
    id: i32,
    label: String,
    checked: bool,
}

/// The demands the form lists: for a cohort, the open ones of its capacities and territory in
/// the caller's scope (and those it already answers); for a new one, the open ones of the
/// municipalities typed (all in scope when none), oldest first. A coordinator may still tick
/// one that does not fit: the domain answers 422.
async fn demand_choices(
    db: &DatabaseConnection,
    user: &crate::accounts::actor::Actor,
    form: &CohortForm,
    cohort: Option<&super::CohortView>,
) -> crate::error::DomainResult<Vec<DemandChoice>> {
    let rows = match cohort {
        Some(c) => {
            let targets = super::Targets {
                municipalities: c.municipality_codes.clone(),
                departments: c.department_codes.clone(),
                instructors: Vec::new(),
            };
            crate::demand::planning::matching(db, user, c.course_id, &targets, Some(c.id)).await?
        }
        None => {
            let typed = crate::territory::resolve_municipality_list(db, &form.municipalities)
                .await?
                .unwrap_or_default();
            let filter = crate::demand::DemandFilter {
                status: Some(crate::entities::values::DemandStatus::Open),
                ..Default::default()
            };
            let (mut rows, _) = crate::demand::list(db, user, &filter, 1, 100).await?;
            rows.retain(|d| typed.is_empty() || typed.contains(&d.municipality_code));
            rows.reverse();
            rows
        }
    };
    Ok(rows
        .into_iter()
        .map(|d| DemandChoice {
            checked: if form.demands_listed {
                form.demand_ids.contains(&d.id)
            } else {
                d.status == crate::entities::values::DemandStatus::Planned
            },
            label: format!(
                "{} · {} ({}) · {} · {} persona(s){}",
                d.topic,
                d.municipality_name,
                d.department_name,
                d.capacity_name,
                d.people_estimate,
                if d.endorsed {
                    " · respaldada por la gobernación"
                } else {
                    ""
                }
            ),
            id: d.id,
        })
        .collect())
}

async fn form_view(
    db: &DatabaseConnection,
    user: &crate::accounts::actor::Actor,
    form: &CohortForm,
    errors: &[FieldError],
    cohort: Option<&super::CohortView>,
) -> AppResult<FormView> {
    Ok(FormView {
        choices: choices(db, Some(form)).await?,
        form: FormValues::from(form),
        errors: errors.to_vec(),
        demands: demand_choices(db, user, form, cohort).await?,
    })
}

/// The new-cohort form; `?municipios=18256&municipios=18592` (from «¿Dónde formar?») fills in
/// the municipalities it is offered to.
#[get("/coordinacion/cohortes/nueva?<municipios>")]
async fn new_page(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    page: Page<'_>,
    municipios: Vec<String>,
) -> AppResult<RawHtml<String>> {
    let form = CohortForm {
        modality: "mixta".into(),
        municipalities: municipios
            .iter()
            .map(|m| m.trim())
            .filter(|m| !m.is_empty())
            .take(200)
            .collect::<Vec<_>>()
            .join(", "),
        ..Default::default()
    };
    let view = form_view(db, &staff, &form, &[], None).await?;
    page.render("cohort_new", "Nueva cohorte", view)
}

#[post("/coordinacion/cohortes", data = "<form>")]
async fn create_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    staff: StaffUser,
    page: Page<'_>,
    form: CsrfForm<CohortForm>,
) -> Result<Flash<Redirect>, (Status, RawHtml<String>)> {
    let form = form.0;
    let result = async {
        let input = form.input(db).await?;
        let txn = crate::db::begin(db).await?;
        let view = crate::cohort_flow::create(&txn, &notifier, &staff, &input).await?;
        crate::db::commit(txn).await?;
        Ok::<_, AppError>(view)
    }
    .await;
    match result {
        Ok(view) => {
            let message = if view.warnings.is_empty() {
                format!(
                    "Cohorte «{}» creada como borrador. Programe sus sesiones y abra las inscripciones.",
                    view.name
                )
            } else {
                format!(
                    "Cohorte «{}» creada. Atención: se cruza con {} cohorte(s); revise los avisos.",
                    view.name,
                    view.warnings.len()
                )
            };
            Ok(Flash::success(
                Redirect::to(format!("/coordinacion/cohortes/{}", view.id)),
                message,
            ))
        }
        Err(AppError::Validation(errors)) => {
            match form_view(db, &staff, &form, &errors, None)
                .await
                .and_then(|c| page.render("cohort_new", "Nueva cohorte", c))
            {
                Ok(html) => Err((Status::UnprocessableEntity, html)),
                Err(e) => Err(failure(&page, e.into())),
            }
        }
        Err(other) => Err(failure(&page, other)),
    }
}

fn form_from_view(view: &super::CohortView) -> CohortForm {
    CohortForm {
        course_id: Some(view.course_id),
        name: view.name.clone(),
        modality: view.modality.as_str().to_string(),
        start_date: view.start_date.to_string(),
        end_date: view.end_date.to_string(),
        enrolment_opens: view.enrolment_opens.to_string(),
        enrolment_closes: view.enrolment_closes.to_string(),
        seats: view.seats.to_string(),
        venue: view.venue.clone().unwrap_or_default(),
        meeting_url: view.meeting_url.clone().unwrap_or_default(),
        municipalities: view.municipality_codes.join(", "),
        department_codes: view.department_codes.clone(),
        instructor_ids: view.instructor_ids.clone(),
        min_attendance_pct: view.min_attendance_pct.to_string(),
        pass_mark: format!("{:.1}", view.pass_mark),
        ..Default::default()
    }
}

/// One month of the cohort's calendar.
#[derive(Serialize)]
pub struct CalendarMonth {
    title: String,
    sessions: Vec<SessionView>,
}

/// Sessions grouped by month, as the cohort's calendar.
pub fn calendar(sessions: &[SessionView]) -> Vec<CalendarMonth> {
    let mut months: Vec<CalendarMonth> = Vec::new();
    for session in sessions {
        use chrono::Datelike;
        let title = format!(
            "{} de {}",
            crate::format::month_name(session.local_date),
            session.local_date.year()
        );
        match months.last_mut() {
            Some(month) if month.title == title => month.sessions.push(session.clone()),
            _ => months.push(CalendarMonth {
                title,
                sessions: vec![session.clone()],
            }),
        }
    }
    months
}

/// A state the cohort can move to, as a button.
#[derive(Serialize)]
struct Transition {
    value: &'static str,
    label: &'static str,
    cancel: bool,
}

/// A certificate of the cohort as its table shows it.
#[derive(Serialize)]
struct CertificateRow {
    #[serde(flatten)]
    verification: crate::certificates::issue::Verification,
    valid: bool,
    participant_id: i32,
}

/// The parts of the coordinator's cohort workspace, each a page of its own (issue 18: the one
/// page had grown to a 4,300 px scroll): the overview with the cohort's state, its enrolments
/// (roster, enrol one person, import), its sessions, its certificates and the edit form.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Section {
    Overview,
    Enrolments,
    Sessions,
    Certificates,
    Edit,
}

impl Section {
    const ALL: [Section; 5] = [
        Section::Overview,
        Section::Enrolments,
        Section::Sessions,
        Section::Certificates,
        Section::Edit,
    ];

    /// The last segment of the section's page (none for the overview).
    fn slug(self) -> &'static str {
        match self {
            Section::Overview => "",
            Section::Enrolments => "inscripciones",
            Section::Sessions => "sesiones",
            Section::Certificates => "certificados",
            Section::Edit => "editar",
        }
    }

    /// The section whose page ends in `slug` (the overview has none).
    fn of_slug(slug: &str) -> Option<Section> {
        Section::ALL
            .into_iter()
            .find(|s| *s != Section::Overview && s.slug() == slug)
    }

    /// The section's page.
    pub(crate) fn path(self, id: i32) -> String {
        match self {
            Section::Overview => format!("/coordinacion/cohortes/{id}"),
            other => format!("/coordinacion/cohortes/{id}/{}", other.slug()),
        }
    }

    fn template(self) -> &'static str {
        match self {
            Section::Overview => "cohort_detail",
            Section::Enrolments => "cohort_enrolments",
            Section::Sessions => "cohort_sessions",
            Section::Certificates => "cohort_certificates",
            Section::Edit => "cohort_edit",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Section::Overview => "Resumen",
            Section::Enrolments => "Inscripciones",
            Section::Sessions => "Sesiones",
            Section::Certificates => "Certificados",
            Section::Edit => "Editar",
        }
    }
}

/// A link of the workspace's section menu.
#[derive(Serialize)]
struct SectionLink {
    label: &'static str,
    href: String,
    current: bool,
    /// How many rows the section holds, shown beside its name.
    count: Option<u64>,
}

/// The coordinator's cohort workspace: what every section shows (the cohort, its menu) and
/// what only its own section loads (the roster, the calendar, the certificates, the form).
#[derive(Serialize)]
pub(crate) struct DetailView {
    #[serde(flatten)]
    form: Option<FormView>,
    pub cohort: super::CohortView,
    sections: Vec<SectionLink>,
    status_label: &'static str,
    modality_label: &'static str,
    places: Vec<String>,
    instructor_names: Vec<String>,
    calendar: Vec<CalendarMonth>,
    session_count: usize,
    certificate_count: u64,
    transitions: Vec<Transition>,
    editable: bool,
    venue: String,
    roster: Vec<crate::enrolment::RosterRow>,
    document_types: [&'static str; 4],
    takes_enrolments: bool,
    /// The outcome of a spreadsheet upload, shown at the top of the enrolments (`None`
    /// otherwise).
    pub import: Option<crate::enrolment::pages::ImportOutcome>,
    closed: bool,
    certificates: Vec<CertificateRow>,
    /// Once closed: what its participants thought (the satisfaction report's line).
    satisfaction: Option<crate::surveys::pages::Line>,
}

pub(crate) async fn detail_view(
    db: &DatabaseConnection,
    user: &crate::accounts::actor::Actor,
    id: i32,
    section: Section,
    form: Option<&CohortForm>,
    errors: &[FieldError],
) -> AppResult<DetailView> {
    use crate::entities::certificate;
    use sea_orm::PaginatorTrait;
    let view = super::view(db, id).await?;
    let sessions: Vec<SessionView> = sessions::list(db, id)
        .await?
        .into_iter()
        .map(SessionView::from)
        .collect();
    let certificate_count = certificate::Entity::find()
        .filter(certificate::Column::CohortId.eq(id))
        .count(db)
        .await?;
    let editable = !view.status.is_final();
    let sections = Section::ALL
        .into_iter()
        .filter(|s| *s != Section::Edit || editable)
        .map(|s| SectionLink {
            label: s.label(),
            href: s.path(id),
            current: s == section,
            count: match s {
                Section::Enrolments => Some(view.enrolled + view.waitlisted),
                Section::Sessions => Some(sessions.len() as u64),
                Section::Certificates => Some(certificate_count),
                _ => None,
            },
        })
        .collect();
    let overview = section == Section::Overview;
    let places = if overview {
        super::place_names(
            db,
            &super::Targets {
                municipalities: view.municipality_codes.clone(),
                departments: view.department_codes.clone(),
                instructors: vec![],
            },
        )
        .await?
    } else {
        Vec::new()
    };
    let instructor_names: Vec<String> = if overview {
        user::Entity::find()
            .filter(user::Column::Id.is_in(view.instructor_ids.clone()))
            .all(db)
            .await?
            .into_iter()
            .map(|u| u.full_name)
            .collect()
    } else {
        Vec::new()
    };
    let transitions = [
        CohortStatus::Open,
        CohortStatus::InProgress,
        CohortStatus::Closed,
        CohortStatus::Cancelled,
    ]
    .into_iter()
    .filter(|to| overview && transition_allowed(view.status, *to))
    .map(|to| Transition {
        value: to.as_str(),
        label: match to {
            CohortStatus::Open => "Abrir inscripciones",
            CohortStatus::InProgress => "Iniciar la cohorte",
            CohortStatus::Closed => "Cerrar la cohorte",
            _ => "Cancelar la cohorte",
        },
        cancel: to == CohortStatus::Cancelled,
    })
    .collect();
    let form = if section == Section::Edit {
        let form = form.cloned().unwrap_or_else(|| form_from_view(&view));
        Some(form_view(db, user, &form, errors, Some(&view)).await?)
    } else {
        None
    };
    // A territorial direction's coordinator sees its departments' people only.
    let people = crate::people::scope::PersonScope::of(user);
    let mut certificates = Vec::new();
    if section == Section::Certificates {
        let rows = certificate::Entity::find()
            .filter(certificate::Column::CohortId.eq(id))
            .filter(people.enrolments_of(certificate::Column::EnrolmentId, id))
            .order_by_asc(certificate::Column::Id)
            .all(db)
            .await?;
        let views = crate::certificates::issue::verifications(db, rows.clone()).await?;
        for (cert, verification) in rows.iter().zip(views) {
            certificates.push(CertificateRow {
                verification,
                valid: cert.status == crate::entities::values::CertificateStatus::Valid,
                participant_id: cert.participant_id,
            });
        }
        certificates.sort_by(|a, b| {
            crate::text::by_name(&a.verification.full_name, &b.verification.full_name)
        });
    }
    let roster = if section == Section::Enrolments {
        crate::enrolment::roster(db, id, &people).await?
    } else {
        Vec::new()
    };
    let satisfaction = if overview && view.status == CohortStatus::Closed {
        crate::surveys::pages::line(
            db,
            None,
            user,
            &crate::surveys::reports::SatisfactionQuery {
                cohort: Some(id),
                ..Default::default()
            },
            format!("/reportes/satisfaccion?cohorte={id}"),
        )
        .await?
    } else {
        None
    };
    Ok(DetailView {
        form,
        sections,
        status_label: view.status.label(),
        modality_label: view.modality.label(),
        places,
        instructor_names,
        calendar: if section == Section::Sessions {
            calendar(&sessions)
        } else {
            Vec::new()
        },
        session_count: sessions.len(),
        certificate_count,
        transitions,
        editable,
        venue: view.venue.clone().unwrap_or_default(),
        roster,
        document_types: ["CC", "CE", "PA", "PPT"],
        takes_enrolments: view.status == CohortStatus::Open,
        import: None,
        closed: view.status == CohortStatus::Closed,
        certificates,
        satisfaction,
        cohort: view,
    })
}

/// Renders a section of the workspace: the cohort's name as the title of its overview,
/// «Sección · cohorte» for the others.
pub(crate) fn render_section(
    page: &Page<'_>,
    section: Section,
    view: DetailView,
) -> AppResult<RawHtml<String>> {
    let title = match section {
        Section::Overview => view.cohort.name.clone(),
        other => format!("{} · {}", other.label(), view.cohort.name),
    };
    page.render(section.template(), &title, view)
}

async fn section_page(
    db: &DatabaseConnection,
    staff: &StaffUser,
    page: &Page<'_>,
    id: i32,
    section: Section,
) -> AppResult<RawHtml<String>> {
    super::find_managed(db, staff, id).await?;
    let view = detail_view(db, staff, id, section, None, &[]).await?;
    render_section(page, section, view)
}

#[get("/coordinacion/cohortes/<id>")]
async fn detail_page(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    page: Page<'_>,
    id: i32,
) -> AppResult<RawHtml<String>> {
    section_page(db, &staff, &page, id, Section::Overview).await
}

/// «Inscripciones», «Sesiones», «Certificados» or «Editar»; ranked after the cohort's other
/// pages (`…/cancelar`, `…/certificados.zip`…), any other last segment is a 404.
#[get("/coordinacion/cohortes/<id>/<section>", rank = 2)]
async fn section_route(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    page: Page<'_>,
    id: i32,
    section: &str,
) -> AppResult<RawHtml<String>> {
    let section = Section::of_slug(section).ok_or(AppError::NotFound)?;
    section_page(db, &staff, &page, id, section).await
}

async fn detail_with_errors(
    db: &DatabaseConnection,
    page: &Page<'_>,
    id: i32,
    section: Section,
    form: Option<&CohortForm>,
    error: AppError,
) -> (Status, RawHtml<String>) {
    let AppError::Validation(errors) = error else {
        return failure(page, error);
    };
    let Some(user) = page.user.as_ref() else {
        return failure(page, AppError::Unauthorized);
    };
    match detail_view(db, user, id, section, form, &errors).await {
        Ok(view) => match render_section(page, section, view) {
            Ok(html) => (Status::UnprocessableEntity, html),
            Err(e) => failure(page, e.into()),
        },
        Err(e) => failure(page, e.into()),
    }
}

/// How the workspace answers a change made in `section`: to `done`'s page with `success`'s
/// message; a conflict with the cohort's state as a message on the section's page; validation
/// errors on the section's page itself with the form as typed; anything else as the error
/// page.
async fn answer<T>(
    db: &DatabaseConnection,
    page: &Page<'_>,
    id: i32,
    (section, done): (Section, Section),
    result: Result<T, AppError>,
    form: Option<&CohortForm>,
    success: impl FnOnce(T) -> String,
) -> Result<Flash<Redirect>, (Status, RawHtml<String>)> {
    match result {
        Ok(value) => Ok(Flash::success(Redirect::to(done.path(id)), success(value))),
        Err(AppError::Conflict(message)) => {
            Ok(Flash::error(Redirect::to(section.path(id)), message))
        }
        Err(error) => Err(detail_with_errors(db, page, id, section, form, error).await),
    }
}

#[post("/coordinacion/cohortes/<id>", data = "<form>")]
async fn update_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    staff: StaffUser,
    page: Page<'_>,
    id: i32,
    form: CsrfForm<CohortForm>,
) -> Result<Flash<Redirect>, (Status, RawHtml<String>)> {
    let form = form.0;
    let result = async {
        let input = form.input(db).await?;
        let txn = crate::db::begin(db).await?;
        let view = crate::cohort_flow::update(&txn, &notifier, &staff, id, &input).await?;
        crate::db::commit(txn).await?;
        Ok::<_, AppError>(view)
    }
    .await;
    answer(
        db,
        &page,
        id,
        (Section::Edit, Section::Overview),
        result,
        Some(&form),
        |view| format!("Cohorte «{}» guardada.", view.name),
    )
    .await
}

#[derive(FromForm)]
struct StatusForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    status: String,
    #[field(default = String::new())]
    reason: String,
}
csrf_protected!(StatusForm);

#[post("/coordinacion/cohortes/<id>/estado", data = "<form>")]
async fn status_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    staff: StaffUser,
    page: Page<'_>,
    id: i32,
    form: CsrfForm<StatusForm>,
) -> Result<Flash<Redirect>, (Status, RawHtml<String>)> {
    let form = form.0;
    let input = CohortInput {
        status: Some(form.status.clone()),
        cancellation_reason: Some(form.reason.clone()),
        ..Default::default()
    };
    let result = async {
        let txn = crate::db::begin(db).await?;
        let view = crate::cohort_flow::update(&txn, &notifier, &staff, id, &input).await?;
        crate::db::commit(txn).await?;
        Ok::<_, AppError>(view)
    }
    .await;
    answer(
        db,
        &page,
        id,
        (Section::Overview, Section::Overview),
        result,
        None,
        |view| format!("La cohorte quedó en estado «{}».", view.status.label()),
    )
    .await
}

#[derive(FromForm)]
struct SessionForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    date: String,
    #[field(default = String::new())]
    start_time: String,
    #[field(default = String::new())]
    end_time: String,
    #[field(default = String::new())]
    topic: String,
    #[field(default = String::new())]
    location: String,
}
csrf_protected!(SessionForm);

/// A local date and time typed in a form → RFC 3339 in Bogotá (what the API takes).
fn local_date_time(date: &str, time: &str) -> Option<String> {
    let date = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").ok()?;
    let time = chrono::NaiveTime::parse_from_str(time.trim(), "%H:%M").ok()?;
    use chrono::Timelike;
    Some(crate::api::date_time(crate::time::from_local(
        date,
        time.hour(),
        time.minute(),
    )))
}

#[post("/coordinacion/cohortes/<id>/sesiones", data = "<form>")]
async fn add_session_submit(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    page: Page<'_>,
    id: i32,
    form: CsrfForm<SessionForm>,
) -> Result<Flash<Redirect>, (Status, RawHtml<String>)> {
    let form = form.0;
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
        let input = SessionInput {
            starts_at,
            ends_at,
            topic: Some(form.topic.clone()),
            location: Some(form.location.clone()),
        };
        let txn = crate::db::begin(db).await?;
        let cohort = super::find_managed(&txn, &staff, id).await?;
        let view = sessions::add(&txn, staff.id, &cohort, &input).await?;
        crate::db::commit(txn).await?;
        Ok(view)
    }
    .await;
    answer(
        db,
        &page,
        id,
        (Section::Sessions, Section::Sessions),
        result,
        None,
        |view| {
            format!(
                "Sesión del {} agregada.",
                crate::format::date(view.local_date)
            )
        },
    )
    .await
}

#[derive(FromForm)]
struct GenerateForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = Vec::new())]
    weekdays: Vec<u32>,
    #[field(default = String::new())]
    start_time: String,
    #[field(default = String::new())]
    end_time: String,
    #[field(default = String::new())]
    from: String,
    #[field(default = String::new())]
    to: String,
    #[field(default = String::new())]
    topic: String,
    #[field(default = String::new())]
    location: String,
}
csrf_protected!(GenerateForm);

#[post("/coordinacion/cohortes/<id>/sesiones/generar", data = "<form>")]
async fn generate_submit(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    page: Page<'_>,
    id: i32,
    form: CsrfForm<GenerateForm>,
) -> Result<Flash<Redirect>, (Status, RawHtml<String>)> {
    let form = form.0;
    let rule = Recurrence {
        weekdays: Some(form.weekdays.clone()),
        start_time: Some(form.start_time.clone()),
        end_time: Some(form.end_time.clone()),
        from: Some(form.from.clone()),
        to: Some(form.to.clone()),
        topic: Some(form.topic.clone()),
        location: Some(form.location.clone()),
    };
    let result = async {
        let txn = crate::db::begin(db).await?;
        let cohort = super::find_managed(&txn, &staff, id).await?;
        let created = sessions::generate(&txn, staff.id, &cohort, &rule).await?;
        crate::db::commit(txn).await?;
        Ok::<_, AppError>(created)
    }
    .await;
    answer(
        db,
        &page,
        id,
        (Section::Sessions, Section::Sessions),
        result,
        None,
        |created| format!("{} sesiones programadas.", created.len()),
    )
    .await
}

/// A confirmation page before something that cannot be undone (issue 18): what will happen,
/// the button that does it, and the way back.
#[derive(Serialize)]
struct ConfirmView {
    question: String,
    detail: String,
    action: String,
    button: &'static str,
    back: String,
    /// A cohort's cancellation also asks for the reason (sent as `reason` with
    /// `status=cancelled`).
    cancel_cohort: bool,
}

#[get("/coordinacion/sesiones/<id>/eliminar")]
async fn delete_session_confirm(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    page: Page<'_>,
    id: i32,
) -> Result<RawHtml<String>, (Status, RawHtml<String>)> {
    let result = async {
        let session = sessions::find(db.inner(), id).await?;
        let cohort = super::find_managed(db.inner(), &staff, session.cohort_id).await?;
        page.render(
            "confirm",
            "Eliminar la sesión",
            ConfirmView {
                question: format!(
                    "¿Eliminar la sesión «{}» del {}?",
                    session.topic,
                    crate::format::date_time(session.starts_at)
                ),
                detail: format!(
                    "La sesión sale del calendario de la cohorte «{}». Una sesión con asistencia \
                     registrada no se puede eliminar.",
                    cohort.name
                ),
                action: format!("/coordinacion/sesiones/{id}/eliminar"),
                button: "Sí, eliminar la sesión",
                back: Section::Sessions.path(cohort.id),
                cancel_cohort: false,
            },
        )
    }
    .await;
    result.map_err(|e| crate::web::failure(&page, e.into()))
}

#[get("/coordinacion/cohortes/<id>/cancelar")]
async fn cancel_confirm(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    page: Page<'_>,
    id: i32,
) -> Result<RawHtml<String>, (Status, RawHtml<String>)> {
    let result = async {
        let cohort = super::find_managed(db.inner(), &staff, id).await?;
        page.render(
            "confirm",
            "Cancelar la cohorte",
            ConfirmView {
                question: format!("¿Cancelar la cohorte «{}»?", cohort.name),
                detail: "Se cancelan todas sus inscripciones y cada persona recibe un correo con \
                         el motivo. No se puede deshacer."
                    .into(),
                action: format!("/coordinacion/cohortes/{id}/estado"),
                button: "Sí, cancelar la cohorte",
                back: format!("/coordinacion/cohortes/{id}"),
                cancel_cohort: true,
            },
        )
    }
    .await;
    result.map_err(|e| crate::web::failure(&page, e.into()))
}

#[post("/coordinacion/sesiones/<id>/eliminar", data = "<_form>")]
async fn delete_session_submit(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
    _form: CsrfForm<PlainForm>,
) -> AppResult<Flash<Redirect>> {
    let txn = crate::db::begin(db).await?;
    let session = sessions::find(&txn, id).await?;
    let cohort = super::find_managed(&txn, &staff, session.cohort_id).await?;
    let outcome = sessions::remove(&txn, staff.id, &cohort, id).await;
    let target = Redirect::to(Section::Sessions.path(cohort.id));
    match outcome {
        Ok(()) => {
            crate::db::commit(txn).await?;
            Ok(Flash::success(target, "Sesión eliminada.".to_string()))
        }
        Err(AppError::Conflict(message)) => Ok(Flash::error(target, message)),
        Err(other) => Err(other.into()),
    }
}
