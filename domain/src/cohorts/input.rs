//! What a coordinator sends to create or change a cohort, checked into a plan (every problem
//! at once, in Spanish) before anything is written.

use super::*;
use crate::entities::values::{EnrolmentStatus, Modality, Role};
use crate::entities::{cohort, cohort_session, course, department, municipality, user};
use crate::error::{AppError, AppResult, FieldError};
use crate::parse;
use crate::validate;
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use std::collections::BTreeSet;

/// The OpenAPI example of a cohort's municipalities.
fn codes_example() -> [&'static str; 2] {
    ["18094", "18256"]
}

/// What a coordinator sends to create (all required fields: `course_id`, `name`,
/// `start_date`, `end_date`, `enrolment_opens`, `enrolment_closes`, `seats`) or change (any
/// subset) a cohort. Text fields: `null` or absent keeps the value, an empty string clears
/// optional ones (`venue`, `meeting_url`). Lists replace the current ones.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct CohortInput {
    pub course_id: Option<i32>,
    #[schema(max_length = 160, example = "Plan de desarrollo – Caquetá 2027")]
    pub name: Option<String>,
    /// Defaults to the course's.
    #[schema(value_type = Option<Modality>)]
    pub modality: Option<String>,
    #[schema(value_type = Option<NaiveDate>)]
    pub start_date: Option<String>,
    #[schema(value_type = Option<NaiveDate>)]
    pub end_date: Option<String>,
    #[schema(value_type = Option<NaiveDate>)]
    pub enrolment_opens: Option<String>,
    /// Not before `enrolment_opens`, not after `end_date`.
    #[schema(value_type = Option<NaiveDate>)]
    pub enrolment_closes: Option<String>,
    #[schema(minimum = 1, maximum = 10000, example = 30)]
    pub seats: Option<i64>,
    /// Required for presencial and mixta cohorts; virtual ones need `venue` or `meeting_url`.
    #[schema(example = "Casa de la Cultura, Belén de los Andaquíes")]
    pub venue: Option<String>,
    /// Link of the virtual room (http or https).
    pub meeting_url: Option<String>,
    /// DANE codes; none and no department means the whole country.
    #[schema(max_items = 5000, example = codes_example)]
    pub municipality_codes: Option<Vec<String>>,
    #[schema(max_items = 5000)]
    pub department_codes: Option<Vec<String>>,
    /// Active users with the instructor role.
    #[schema(max_items = 5000)]
    pub instructor_ids: Option<Vec<i32>>,
    /// Defaults to the course's.
    #[schema(minimum = 0, maximum = 100, example = 80)]
    pub min_attendance_pct: Option<i64>,
    /// Defaults to the course's; Colombian 0.0–5.0 scale, one decimal.
    #[schema(minimum = 0, maximum = 5, example = 3.0)]
    pub pass_mark: Option<f64>,
    /// PATCH only: `draft → open → in_progress → closed`, or `cancelled` from draft, open or
    /// in progress.
    #[schema(value_type = Option<crate::entities::values::CohortStatus>)]
    pub status: Option<String>,
    /// Used when `status` becomes `cancelled`; told to the people enrolled.
    pub cancellation_reason: Option<String>,
    /// Open demands this cohort answers (issue 16): they become planned; demands linked
    /// before and not listed are open again. Each must be open (or already this cohort's), on
    /// one of the course's capacities and in the cohort's territory (422).
    #[schema(max_items = 5000)]
    pub demand_ids: Option<Vec<i32>>,
    /// Seats kept per municipality (issue 35): each a municipality the cohort is offered to,
    /// their sum at most `seats`; the rest is open to all. The list replaces the current one
    /// (`[]` removes them).
    #[schema(max_items = 5000)]
    pub seat_quotas: Option<Vec<super::quotas::SeatQuotaInput>>,
    /// Until this date (inclusive) quota seats go only to their municipality; after it unused
    /// quota seats join the open pool and the waiting list moves. Within the enrolment window;
    /// defaults to a week before enrolment closes.
    #[schema(value_type = Option<NaiveDate>)]
    pub quota_release_on: Option<String>,
    /// Providers that deliver it jointly with its lead provider (issue 49): each an active
    /// provider other than the lead (the course's), 422 otherwise. The list replaces the
    /// current one (`[]` removes them). Their coordinators read the cohort, never write it.
    #[schema(max_items = 5000)]
    pub co_provider_ids: Option<Vec<i32>>,
    /// The cohort trains trainers (issue 48): those who complete it may be endorsed as
    /// replicators of the course's capacities. Defaults to false.
    pub trains_trainers: Option<bool>,
}

impl CohortInput {
    /// Every list within `validate::LIST_MAX` items (422 naming each list that is not), checked
    /// before anything is looked up or written.
    pub fn check_lists(&self) -> AppResult<()> {
        let mut errors = Vec::new();
        validate::list(
            "municipality_codes",
            self.municipality_codes.as_deref(),
            &mut errors,
        );
        validate::list(
            "department_codes",
            self.department_codes.as_deref(),
            &mut errors,
        );
        validate::list(
            "instructor_ids",
            self.instructor_ids.as_deref(),
            &mut errors,
        );
        validate::list("demand_ids", self.demand_ids.as_deref(), &mut errors);
        validate::list("seat_quotas", self.seat_quotas.as_deref(), &mut errors);
        validate::list(
            crate::joint::FIELD,
            self.co_provider_ids.as_deref(),
            &mut errors,
        );
        if errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(errors))
        }
    }
}

/// The resolved, validated values of a cohort about to be written.
pub(super) struct Plan {
    pub(super) course: course::Model,
    pub(super) name: String,
    pub(super) modality: Modality,
    pub(super) start_date: NaiveDate,
    pub(super) end_date: NaiveDate,
    pub(super) enrolment_opens: NaiveDate,
    pub(super) enrolment_closes: NaiveDate,
    pub(super) seats: i32,
    pub(super) venue: Option<String>,
    pub(super) meeting_url: Option<String>,
    pub(super) targets: Targets,
    pub(super) min_attendance_pct: i32,
    pub(super) pass_mark_tenths: i32,
    pub(super) quotas: super::quotas::Quotas,
    pub(super) quota_release_on: Option<NaiveDate>,
    /// The co-providers (issue 49), as asked or as they are.
    pub(super) co_providers: Vec<i32>,
    /// Trains trainers (issue 48), as asked or as it is.
    pub(super) trains_trainers: bool,
}

fn normalize_codes(codes: &[String], normalize: fn(&str) -> String) -> Vec<String> {
    codes
        .iter()
        .map(|c| normalize(c.trim()))
        .filter(|c| !c.is_empty())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Merges `input` over `current` (None when creating) and checks every rule at once.
///
/// `territory`: a direction's departments, where its coordinator may offer cohorts (none =
/// anywhere); `provider`: the provider whose courses a coordinator schedules (none = an admin,
/// any provider's: the cohort is its course's provider's).
pub(super) async fn plan<C: ConnectionTrait>(
    db: &C,
    input: &CohortInput,
    current: Option<(&cohort::Model, &Targets, &super::quotas::Quotas)>,
    territory: Option<&[String]>,
    provider: Option<i32>,
) -> AppResult<Plan> {
    input.check_lists()?;
    let mut errors = Vec::new();
    let course = course_of(db, input, current, provider, &mut errors).await?;
    let name = name_of(input, current, &mut errors);
    let modality = modality_of(input, current, course.as_ref(), &mut errors);
    let Dates {
        start_date,
        end_date,
        enrolment_opens,
        enrolment_closes,
    } = dates_of(input, current, &mut errors);
    let seats = seats_of(input, current, &mut errors);
    let (venue, meeting_url) = place_of(input, current, modality, &mut errors);
    let targets = targets_of(db, input, current, territory, &mut errors).await?;
    let min_attendance_pct = match input.min_attendance_pct {
        Some(p) => parse::percent("min_attendance_pct", p, &mut errors),
        None => current
            .map(|(c, _, _)| c.min_attendance_pct)
            .or(course.as_ref().map(|c| c.min_attendance_pct)),
    };
    let pass_mark_tenths = match input.pass_mark {
        Some(m) => parse::grade_tenths("pass_mark", m, &mut errors),
        None => current
            .map(|(c, _, _)| c.pass_mark_tenths)
            .or(course.as_ref().map(|c| c.pass_mark_tenths)),
    };

    if let Some((cohort, _, _)) = current {
        // Dates may not leave sessions stranded, nor seats drop below those already taken.
        check_against(db, cohort, (start_date, end_date), seats, &mut errors).await?;
    }

    let (quotas, quota_release_on) = super::quotas::check(
        db,
        input.seat_quotas.as_deref(),
        input.quota_release_on.as_deref(),
        current.map(|(c, _, q)| (q, c.quota_release_on)),
        &targets,
        seats,
        (enrolment_opens, enrolment_closes),
        &mut errors,
    )
    .await?;

    let co_providers = co_providers_of(db, input, current, course.as_ref(), &mut errors).await?;

    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let missing = || AppError::Internal("cohorte incompleta tras validar".into());
    Ok(Plan {
        course: course.ok_or_else(missing)?,
        name: name.ok_or_else(missing)?,
        modality: modality.ok_or_else(missing)?,
        start_date: start_date.ok_or_else(missing)?,
        end_date: end_date.ok_or_else(missing)?,
        enrolment_opens: enrolment_opens.ok_or_else(missing)?,
        enrolment_closes: enrolment_closes.ok_or_else(missing)?,
        seats: seats.ok_or_else(missing)?,
        venue,
        meeting_url,
        targets,
        min_attendance_pct: min_attendance_pct.ok_or_else(missing)?,
        pass_mark_tenths: pass_mark_tenths.ok_or_else(missing)?,
        quotas,
        quota_release_on,
        co_providers,
        trains_trainers: input
            .trains_trainers
            .or(current.map(|(c, _, _)| c.trains_trainers))
            .unwrap_or(false),
    })
}

/// What a cohort is now, when it is being changed: its row, targets and seat quotas.
type Current<'a> = Option<(&'a cohort::Model, &'a Targets, &'a super::quotas::Quotas)>;

/// The course asked for (or the current one): one of `provider`'s, and not retired unless the
/// cohort already gives it.
async fn course_of<C: ConnectionTrait>(
    db: &C,
    input: &CohortInput,
    current: Current<'_>,
    provider: Option<i32>,
    errors: &mut Vec<FieldError>,
) -> AppResult<Option<course::Model>> {
    let course_id = input.course_id.or(current.map(|(c, _, _)| c.course_id));
    let course = match course_id {
        None => {
            errors.push(FieldError::new(
                "course_id",
                "Elija el curso de la cohorte.",
            ));
            None
        }
        Some(id) => match course::Entity::find_by_id(id)
            .one(db)
            .await?
            .filter(|c| provider.is_none_or(|p| p == c.provider_id))
        {
            // Another provider's course is, to this coordinator, one that does not exist.
            None => {
                errors.push(FieldError::new("course_id", "El curso elegido no existe."));
                None
            }
            Some(c)
                if c.retired_at.is_some()
                    && current.is_none_or(|(m, _, _)| m.course_id != c.id) =>
            {
                errors.push(FieldError::new(
                    "course_id",
                    "El curso está retirado: no admite cohortes nuevas.",
                ));
                None
            }
            Some(c) => Some(c),
        },
    };
    Ok(course)
}

fn name_of(
    input: &CohortInput,
    current: Current<'_>,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    match &input.name {
        Some(text) => match validate::single_line("name", text, validate::TITLE_MAX) {
            Ok(Some(name)) => Some(name),
            Ok(None) => {
                errors.push(FieldError::new("name", "Escriba el nombre de la cohorte."));
                None
            }
            Err(error) => {
                errors.push(error);
                None
            }
        },
        None => match current {
            Some((c, _, _)) => Some(c.name.clone()),
            None => {
                errors.push(FieldError::new("name", "Escriba el nombre de la cohorte."));
                None
            }
        },
    }
}

/// The modality asked for, or the current one, or the course's.
fn modality_of(
    input: &CohortInput,
    current: Current<'_>,
    course: Option<&course::Model>,
    errors: &mut Vec<FieldError>,
) -> Option<Modality> {
    match input
        .modality
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        Some(text) => {
            let parsed = Modality::parse(text);
            if parsed.is_none() {
                errors.push(FieldError::new(
                    "modality",
                    "La modalidad debe ser presencial, virtual o mixta.",
                ));
            }
            parsed
        }
        None => current
            .map(|(c, _, _)| c.modality)
            .or(course.map(|c| c.default_modality)),
    }
}

/// A cohort's four dates, as asked or as they are.
struct Dates {
    start_date: Option<NaiveDate>,
    end_date: Option<NaiveDate>,
    enrolment_opens: Option<NaiveDate>,
    enrolment_closes: Option<NaiveDate>,
}

/// The dates asked for (or the current ones), in their order: the cohort ends after it
/// starts, enrolment closes after it opens and before the cohort ends.
fn dates_of(input: &CohortInput, current: Current<'_>, errors: &mut Vec<FieldError>) -> Dates {
    let date_or = |field: &str,
                   text: &Option<String>,
                   fallback: Option<NaiveDate>,
                   errors: &mut Vec<FieldError>| match text {
        Some(t) => parse::date(field, Some(t), true, errors),
        None if fallback.is_some() => fallback,
        None => parse::date(field, None, true, errors),
    };
    let start_date = date_or(
        "start_date",
        &input.start_date,
        current.map(|(c, _, _)| c.start_date),
        errors,
    );
    let end_date = date_or(
        "end_date",
        &input.end_date,
        current.map(|(c, _, _)| c.end_date),
        errors,
    );
    let enrolment_opens = date_or(
        "enrolment_opens",
        &input.enrolment_opens,
        current.map(|(c, _, _)| c.enrolment_opens),
        errors,
    );
    let enrolment_closes = date_or(
        "enrolment_closes",
        &input.enrolment_closes,
        current.map(|(c, _, _)| c.enrolment_closes),
        errors,
    );
    if let (Some(start), Some(end)) = (start_date, end_date)
        && end < start
    {
        errors.push(FieldError::new(
            "end_date",
            "La fecha de fin no puede ser anterior a la de inicio.",
        ));
    }
    if let (Some(opens), Some(closes)) = (enrolment_opens, enrolment_closes)
        && closes < opens
    {
        errors.push(FieldError::new(
            "enrolment_closes",
            "Las inscripciones no pueden cerrar antes de abrir.",
        ));
    }
    if let (Some(closes), Some(end)) = (enrolment_closes, end_date)
        && closes > end
    {
        errors.push(FieldError::new(
            "enrolment_closes",
            "Las inscripciones deben cerrar antes de que termine la cohorte.",
        ));
    }
    Dates {
        start_date,
        end_date,
        enrolment_opens,
        enrolment_closes,
    }
}

fn seats_of(
    input: &CohortInput,
    current: Current<'_>,
    errors: &mut Vec<FieldError>,
) -> Option<i32> {
    match input.seats {
        Some(s) if !(1..=10_000).contains(&s) => {
            errors.push(FieldError::new(
                "seats",
                "Los cupos deben ser un número entre 1 y 10000.",
            ));
            None
        }
        Some(s) => Some(s as i32),
        None => {
            let seats = current.map(|(c, _, _)| c.seats);
            if seats.is_none() {
                errors.push(FieldError::new(
                    "seats",
                    "Escriba cuántos cupos tiene la cohorte.",
                ));
            }
            seats
        }
    }
}

/// The venue and the meeting link, as asked or as they are, and what the modality needs of
/// them.
fn place_of(
    input: &CohortInput,
    current: Current<'_>,
    modality: Option<Modality>,
    errors: &mut Vec<FieldError>,
) -> (Option<String>, Option<String>) {
    let venue = match &input.venue {
        Some(text) => validate::line("venue", Some(text), validate::SHORT_TEXT_MAX, errors),
        None => current.and_then(|(c, _, _)| c.venue.clone()),
    };
    let meeting_url = match &input.meeting_url {
        Some(text) => validate::line("meeting_url", Some(text), validate::URL_MAX, errors),
        None => current.and_then(|(c, _, _)| c.meeting_url.clone()),
    };

    if let Some(url) = &meeting_url
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        errors.push(FieldError::new(
            "meeting_url",
            "El enlace de la sala virtual debe empezar por https://.",
        ));
    }
    match modality {
        Some(Modality::Presencial | Modality::Mixta) if venue.is_none() => errors.push(
            FieldError::new("venue", "Escriba el lugar donde se reúne la cohorte."),
        ),
        Some(Modality::Virtual) if venue.is_none() && meeting_url.is_none() => {
            errors.push(FieldError::new(
                "meeting_url",
                "Escriba el enlace de la sala virtual o el lugar.",
            ))
        }
        _ => {}
    }
    (venue, meeting_url)
}

/// Where the cohort is offered and who teaches it, as asked or as they are: places that
/// exist (within `territory`, a direction's departments) and active instructors.
async fn targets_of<C: ConnectionTrait>(
    db: &C,
    input: &CohortInput,
    current: Current<'_>,
    territory: Option<&[String]>,
    errors: &mut Vec<FieldError>,
) -> AppResult<Targets> {
    let mut targets = current.map(|(_, t, _)| t.clone()).unwrap_or_default();
    if let Some(codes) = &input.municipality_codes {
        targets.municipalities =
            normalize_codes(codes, crate::territory::normalize_municipality_code);
        let found = municipality::Entity::find()
            .filter(municipality::Column::Code.is_in(targets.municipalities.clone()))
            .all(db)
            .await?;
        for code in &targets.municipalities {
            if !found.iter().any(|m| &m.code == code) {
                errors.push(FieldError::new(
                    "municipality_codes",
                    format!("No existe un municipio con código DANE «{code}»."),
                ));
            }
        }
    }
    if let Some(codes) = &input.department_codes {
        targets.departments = normalize_codes(codes, |c| {
            if c.len() == 1 {
                format!("0{c}")
            } else {
                c.to_string()
            }
        });
        let found = department::Entity::find()
            .filter(department::Column::Code.is_in(targets.departments.clone()))
            .all(db)
            .await?;
        for code in &targets.departments {
            if !found.iter().any(|d| &d.code == code) {
                errors.push(FieldError::new(
                    "department_codes",
                    format!("No existe un departamento con código DANE «{code}»."),
                ));
            }
        }
    }
    if let Some(allowed) = territory {
        if targets.municipalities.is_empty() && targets.departments.is_empty() {
            errors.push(FieldError::new(
                "municipality_codes",
                "Su dirección territorial programa cohortes solo para sus departamentos: elija \
                 municipios o departamentos de ella.",
            ));
        }
        for code in &targets.departments {
            if !allowed.contains(code) {
                errors.push(FieldError::new(
                    "department_codes",
                    format!("El departamento {code} no pertenece a su dirección territorial."),
                ));
            }
        }
        for code in &targets.municipalities {
            if !allowed.iter().any(|d| code.starts_with(d.as_str())) {
                errors.push(FieldError::new(
                    "municipality_codes",
                    format!("El municipio {code} no pertenece a su dirección territorial."),
                ));
            }
        }
    }
    if let Some(ids) = &input.instructor_ids {
        let mut ids = ids.clone();
        ids.sort_unstable();
        ids.dedup();
        let found = user::Entity::find()
            .filter(user::Column::Id.is_in(ids.clone()))
            .all(db)
            .await?;
        for id in &ids {
            match found.iter().find(|u| u.id == *id) {
                None => errors.push(FieldError::new(
                    "instructor_ids",
                    format!("No existe el usuario {id}."),
                )),
                Some(u) if u.role != Role::Instructor || !u.active => errors.push(FieldError::new(
                    "instructor_ids",
                    format!("{} no tiene el rol de instructor activo.", u.full_name),
                )),
                _ => {}
            }
        }
        targets.instructors = ids;
    }
    Ok(targets)
}

/// A change to `cohort` may not leave sessions outside its dates, nor seats below those
/// already taken.
async fn check_against<C: ConnectionTrait>(
    db: &C,
    cohort: &cohort::Model,
    (start_date, end_date): (Option<NaiveDate>, Option<NaiveDate>),
    seats: Option<i32>,
    errors: &mut Vec<FieldError>,
) -> AppResult<()> {
    if let (Some(start), Some(end)) = (start_date, end_date) {
        let stranded = cohort_session::Entity::find()
            .filter(cohort_session::Column::CohortId.eq(cohort.id))
            .all(db)
            .await?
            .into_iter()
            .filter(|s| !sessions::within(s.starts_at, s.ends_at, start, end))
            .count();
        if stranded > 0 {
            errors.push(FieldError::new(
                "start_date",
                if stranded == 1 {
                    "1 sesión quedaría fuera de las nuevas fechas: muévala o elimínela primero.".to_string()
                } else {
                    format!("{stranded} sesiones quedarían fuera de las nuevas fechas: muévalas o elimínelas primero.")
                },
            ));
        }
    }
    if let Some(seats) = seats {
        let taken = count_enrolments(db, cohort.id, EnrolmentStatus::Enrolled).await?;
        if (seats as u64) < taken {
            errors.push(FieldError::new(
                "seats",
                format!("Ya hay {taken} personas inscritas: los cupos no pueden ser menos."),
            ));
        }
    }
    Ok(())
}

/// Joint delivery (issue 49): the co-providers asked for (or the current ones, when the
/// course changes) checked against the lead provider, the course's.
async fn co_providers_of<C: ConnectionTrait>(
    db: &C,
    input: &CohortInput,
    current: Current<'_>,
    course: Option<&course::Model>,
    errors: &mut Vec<FieldError>,
) -> AppResult<Vec<i32>> {
    let current_co_providers = match current {
        Some((c, _, _)) => crate::joint::ids_of(db, crate::joint::OfferKind::Cohort, &[c.id])
            .await?
            .remove(&c.id)
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let co_providers = match course {
        Some(c) => {
            crate::joint::check(
                db,
                c.provider_id,
                input
                    .co_provider_ids
                    .as_deref()
                    .unwrap_or(&current_co_providers),
                &current_co_providers,
                errors,
            )
            .await?
        }
        None => Vec::new(),
    };
    Ok(co_providers)
}
