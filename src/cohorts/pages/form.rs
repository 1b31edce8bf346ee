//! The cohort form (new and edit): its fields, the choices it offers and the demands it can answer.

use super::*;
use crate::web::PageResult;

#[derive(Serialize)]
pub(super) struct CourseChoice {
    pub(super) id: i32,
    pub(super) name: String,
    pub(super) retired: bool,
    pub(super) selected: bool,
}

#[derive(Serialize)]
pub(super) struct CapacityChoice {
    pub(super) id: i32,
    pub(super) name: String,
}

#[derive(Serialize)]
pub(super) struct DepartmentChoice {
    pub(super) code: String,
    pub(super) name: String,
    pub(super) selected: bool,
}

#[derive(Serialize)]
pub(super) struct InstructorChoice {
    pub(super) id: i32,
    pub(super) name: String,
    pub(super) selected: bool,
}

/// The rows of the status/capacity/course selects of filters and forms; with a form, what it
/// has chosen is marked `selected`.
#[derive(Serialize)]
pub(super) struct Choices {
    pub(super) courses: Vec<CourseChoice>,
    pub(super) capacities: Vec<CapacityChoice>,
    pub(super) departments: Vec<DepartmentChoice>,
    pub(super) instructors: Vec<InstructorChoice>,
    pub(super) statuses: Vec<Choice<'static>>,
    pub(super) modalities: Vec<Choice<'static>>,
}

pub(super) async fn choices(
    db: &DatabaseConnection,
    form: Option<&CohortForm>,
) -> AppResult<Choices> {
    let courses = domain::catalogue::courses::all_by_name(db)
        .await?
        .into_iter()
        .map(|c| CourseChoice {
            selected: form.is_some_and(|f| f.course_id == Some(c.id)),
            id: c.id,
            name: c.name,
            retired: c.retired_at.is_some(),
        })
        .collect();
    let capacities = domain::capacities::in_order(db)
        .await?
        .into_iter()
        .map(|c| CapacityChoice {
            id: c.id,
            name: c.name,
        })
        .collect();
    let departments = domain::territory::departments(db)
        .await?
        .into_iter()
        .map(|d| DepartmentChoice {
            selected: form.is_some_and(|f| f.department_codes.contains(&d.code)),
            code: d.code,
            name: d.name,
        })
        .collect();
    let instructors = domain::accounts::active_instructors(db)
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

#[derive(FromForm, Default, Clone)]
pub(crate) struct CohortForm {
    #[field(default = String::new())]
    pub(super) csrf_token: String,
    pub(super) course_id: Option<i32>,
    #[field(default = String::new())]
    pub(super) name: String,
    #[field(default = String::new())]
    pub(super) modality: String,
    #[field(default = String::new())]
    pub(super) start_date: String,
    #[field(default = String::new())]
    pub(super) end_date: String,
    #[field(default = String::new())]
    pub(super) enrolment_opens: String,
    #[field(default = String::new())]
    pub(super) enrolment_closes: String,
    #[field(default = String::new())]
    pub(super) seats: String,
    #[field(default = String::new())]
    pub(super) venue: String,
    #[field(default = String::new())]
    pub(super) meeting_url: String,
    /// DANE codes or names, separated by commas or new lines.
    #[field(default = String::new())]
    pub(super) municipalities: String,
    #[field(default = Vec::new())]
    pub(super) department_codes: Vec<String>,
    #[field(default = Vec::new())]
    pub(super) instructor_ids: Vec<i32>,
    #[field(default = String::new())]
    pub(super) min_attendance_pct: String,
    #[field(default = String::new())]
    pub(super) pass_mark: String,
    /// The form listed demands to answer (so an empty `demand_ids` means «none», not «not
    /// shown»).
    #[field(default = false)]
    pub(super) demands_listed: bool,
    #[field(default = Vec::new())]
    pub(super) demand_ids: Vec<i32>,
    /// Seats per municipality, one per line: «código o nombre: cupos» (issue 35).
    #[field(default = String::new())]
    pub(super) seat_quotas: String,
    #[field(default = String::new())]
    pub(super) quota_release_on: String,
    /// The providers it is delivered together with (issue 49).
    #[field(default = Vec::new())]
    pub(super) co_provider_ids: Vec<i32>,
    /// The cohort trains trainers (issue 48): a box, absent when not ticked.
    #[field(default = false)]
    pub(super) trains_trainers: bool,
}
csrf_protected!(CohortForm);

/// «El Paujíl: 5» lines as quotas (each municipality resolved as the targets are), or one
/// Spanish message per line that is not one.
async fn quota_lines(
    db: &DatabaseConnection,
    typed: &str,
    errors: &mut Vec<FieldError>,
) -> AppResult<Vec<domain::cohorts::quotas::SeatQuotaInput>> {
    let lines: Vec<&str> = typed
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if let Err(error) = domain::validate::list_length("seat_quotas", lines.len()) {
        errors.push(error);
        return Ok(Vec::new());
    }
    let mut quotas = Vec::new();
    for line in lines {
        let Some((place, seats)) = line.rsplit_once([':', '=']) else {
            errors.push(FieldError::new(
                "seat_quotas",
                format!("«{line}»: escriba el municipio, dos puntos y los cupos («El Paujíl: 5»)."),
            ));
            continue;
        };
        let Ok(seats) = seats.trim().parse::<i64>() else {
            errors.push(FieldError::new(
                "seat_quotas",
                format!("«{line}»: los cupos deben ser un número entero."),
            ));
            continue;
        };
        match domain::territory::resolve_municipality_list(db, place.trim()).await? {
            Ok(codes) if codes.len() == 1 => quotas.push(domain::cohorts::quotas::SeatQuotaInput {
                municipality_code: codes[0].clone(),
                seats,
            }),
            Ok(_) => errors.push(FieldError::new(
                "seat_quotas",
                format!("«{line}»: escriba un solo municipio por línea."),
            )),
            Err(problems) => errors.extend(
                problems
                    .into_iter()
                    .map(|p| FieldError::new("seat_quotas", p)),
            ),
        }
    }
    Ok(quotas)
}

impl CohortForm {
    /// The domain's input for what was typed. When the form itself cannot read a field (a
    /// municipality's name it does not know, cupos in words), the domain's rules still run on
    /// the rest (against `current`, the cohort being edited) so every problem is said at once
    /// (issue 61).
    pub(super) async fn input(
        &self,
        db: &DatabaseConnection,
        user: &domain::accounts::actor::Actor,
        current: Option<i32>,
    ) -> AppResult<CohortInput> {
        let mut errors = Vec::new();
        let municipality_codes =
            match domain::territory::resolve_municipality_list(db, &self.municipalities).await? {
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
            seat_quotas: Some(quota_lines(db, &self.seat_quotas, &mut errors).await?),
            quota_release_on: Some(self.quota_release_on.clone()),
            co_provider_ids: Some(self.co_provider_ids.clone()),
            trains_trainers: Some(self.trains_trainers),
        };
        if input.seats.is_none() && !errors.iter().any(|e| e.field == "seats") {
            errors.push(FieldError::new(
                "seats",
                "Escriba cuántos cupos tiene la cohorte.",
            ));
        }
        if errors.is_empty() {
            return Ok(input);
        }
        // The fields the form already refused are not the domain's to judge again (it would
        // read them as left empty).
        let refused: Vec<String> = errors.iter().map(|e| e.field.clone()).collect();
        let current = match current {
            Some(id) => Some(domain::cohorts::find_managed(db, user, id).await?),
            None => None,
        };
        match domain::cohorts::check(db, user, &input, current.as_ref()).await {
            Ok(_) => {}
            Err(AppError::Validation(more)) => errors.extend(more.into_iter().filter(|e| {
                !refused
                    .iter()
                    .any(|f| domain::templates::base_field(&e.field) == f.as_str())
            })),
            Err(other) => return Err(other.into()),
        }
        Err(AppError::Validation(errors).into())
    }
}

/// The form's values as typed, to show them again.
#[derive(Serialize)]
pub(super) struct FormValues {
    pub(super) name: String,
    pub(super) start_date: String,
    pub(super) end_date: String,
    pub(super) enrolment_opens: String,
    pub(super) enrolment_closes: String,
    pub(super) seats: String,
    pub(super) venue: String,
    pub(super) meeting_url: String,
    pub(super) municipalities: String,
    pub(super) min_attendance_pct: String,
    pub(super) pass_mark: String,
    pub(super) seat_quotas: String,
    pub(super) quota_release_on: String,
    pub(super) trains_trainers: bool,
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
            seat_quotas: form.seat_quotas.clone(),
            quota_release_on: form.quota_release_on.clone(),
            trains_trainers: form.trains_trainers,
        }
    }
}

/// The cohort form: its values and errors on top of the select choices.
#[derive(Serialize)]
pub(super) struct FormView {
    #[serde(flatten)]
    pub(super) choices: Choices,
    pub(super) form: FormValues,
    pub(super) errors: Vec<FieldError>,
    /// Open demands the cohort may answer (issue 16), ticked when it does.
    pub(super) demands: Vec<DemandChoice>,
    /// The providers it may be delivered together with (issue 49), ticked when chosen.
    pub(super) co_providers: Vec<crate::web::OwnedChoice>,
}

#[derive(Serialize)]
pub(super) struct DemandChoice {
    pub(super) id: i32,
    pub(super) label: String,
    pub(super) checked: bool,
}

/// The demands the form lists: for a cohort, the open ones of its capacities and territory in
/// the caller's scope (and those it already answers); for a new one, the open ones of the
/// municipalities typed (all in scope when none), oldest first. A coordinator may still tick
/// one that does not fit: the domain answers 422.
pub(super) async fn demand_choices(
    db: &DatabaseConnection,
    user: &domain::accounts::actor::Actor,
    form: &CohortForm,
    cohort: Option<&domain::cohorts::CohortView>,
) -> crate::error::DomainResult<Vec<DemandChoice>> {
    let rows = match cohort {
        Some(c) => {
            let targets = domain::cohorts::Targets {
                municipalities: c.municipality_codes.clone(),
                departments: c.department_codes.clone(),
                instructors: Vec::new(),
            };
            domain::demand::planning::matching(db, user, c.course_id, &targets, Some(c.id)).await?
        }
        None => {
            let typed = domain::territory::resolve_municipality_list(db, &form.municipalities)
                .await?
                .unwrap_or_default();
            let filter = domain::demand::DemandFilter {
                status: Some(domain::entities::values::DemandStatus::Open),
                ..Default::default()
            };
            let (mut rows, _) = domain::demand::list(db, user, &filter, 1, 100).await?;
            rows.retain(|d| {
                typed.is_empty()
                    || d.municipality_code
                        .as_ref()
                        .is_some_and(|c| typed.contains(c))
            });
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
                d.status == domain::entities::values::DemandStatus::Planned
            },
            label: format!(
                "{} · {} ({}) · {} · {}{}",
                d.topic,
                d.place_name,
                d.department_name,
                d.capacity_name,
                domain::format::plural(d.people_estimate.into(), "persona", "personas"),
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

pub(super) async fn form_view(
    db: &DatabaseConnection,
    user: &domain::accounts::actor::Actor,
    form: &CohortForm,
    errors: &[FieldError],
    cohort: Option<&domain::cohorts::CohortView>,
) -> AppResult<FormView> {
    Ok(FormView {
        choices: choices(db, Some(form)).await?,
        form: FormValues::from(form),
        errors: errors.to_vec(),
        demands: demand_choices(db, user, form, cohort).await?,
        co_providers: crate::web::OwnedChoice::co_providers(
            db,
            cohort.map(|c| c.provider.id).or(user.managed_provider()),
            &form.co_provider_ids,
        )
        .await?,
    })
}

/// The new-cohort form; `?municipios=18256&municipios=18592` (from «¿Dónde formar?») fills in
/// the municipalities it is offered to.
#[get("/coordinacion/cohortes/nueva?<municipios>")]
pub(super) async fn new_page(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    page: Page<'_>,
    municipios: Vec<String>,
) -> PageResult {
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
pub(super) async fn create_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    staff: StaffUser,
    page: Page<'_>,
    form: CsrfForm<CohortForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let result = match form.input(db, &staff, None).await {
        Ok(input) => {
            domain::db::write(db, async |txn| {
                domain::cohort_flow::create(txn, &notifier, &staff, &input).await
            })
            .await
        }
        Err(error) => Err(error.into()),
    };
    crate::web::form::saved_or_again(
        result,
        |view| {
            let message = if view.warnings.is_empty() {
                format!(
                    "Cohorte «{}» creada como borrador. Programe sus sesiones y abra las inscripciones.",
                    view.name
                )
            } else {
                format!(
                    "Cohorte «{}» creada. Atención: se cruza con {}; revise los avisos.",
                    view.name,
                    domain::format::plural(view.warnings.len() as i64, "cohorte", "cohortes")
                )
            };
            Flash::success(Redirect::to(format!("/coordinacion/cohortes/{}", view.id)), message)
        },
        async |errors| {
            let content = form_view(db, &staff, &form, &errors, None).await?;
            page.render_refused("cohort_new", "Nueva cohorte", content, &errors)
        },
    )
    .await
}

pub(super) fn form_from_view(view: &domain::cohorts::CohortView) -> CohortForm {
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
        seat_quotas: view
            .seat_quotas
            .iter()
            .map(|q| format!("{}: {}", q.municipality_code, q.seats))
            .collect::<Vec<_>>()
            .join("\n"),
        quota_release_on: view
            .quota_release_on
            .map(|d| d.to_string())
            .unwrap_or_default(),
        co_provider_ids: view.co_providers.iter().map(|p| p.id).collect(),
        trains_trainers: view.trains_trainers,
        ..Default::default()
    }
}
