//! Technical assistance (issue 33): a provider's accompaniment of one entity of a municipality
//! (an alcaldía by default) on one or more capacities — a plan with an objective, a span and
//! milestones, visits with attendees, agreements and products, and a closing evaluation by the
//! entity. States: planned → in progress → closed, or cancelled with a reason; every change is
//! audited. The demands it answers become planned, and met when it closes with its objective
//! reached (open again if cancelled or closed without reaching it).
//!
//! Who: a provider's coordinators manage their provider's assistances (an admin, any; a
//! territorial direction's coordinator, ESAP's in its departments); reading follows the
//! reports: staff everything, a gobernación its department, a liaison its municipality.

pub mod agreed;
pub mod agreements;
pub mod demo;
pub mod follow_up;
pub mod visits;
pub mod workbook;

use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::catalogue::courses::CapacityRef;
use crate::demand::planning;
use crate::entities::values::{
    AssistanceStatus, AssistedEntity, DemandStatus, DescriptorSubject, Modality, Role,
};
use crate::entities::{
    assistance, assistance_capacity, assistance_demand, assistance_milestone, assistance_staff,
    assistance_visit, capacity, demand, municipality, user,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::joint::OfferKind;
use crate::providers::ProviderRef;
use crate::rows::Found;
use crate::rows::Rows;
use crate::validate;
use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

/// The longest an assistance may span (three years).
const MAX_SPAN_DAYS: i64 = 3 * 366;

/// What a coordinator sends to create an assistance (`municipality_code`, `capacity_ids`,
/// `objective`, `starts_on`, `ends_on` and `modality` required) or change one (any field).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct AssistanceInput {
    /// The municipality (DANE code) of every entity but a gobernación; an association
    /// (`esquema_asociativo`) by the municipality that leads it.
    #[schema(example = "18256")]
    pub municipality_code: Option<String>,
    /// A gobernación's department (DANE code), instead of `municipality_code`.
    #[schema(example = "18")]
    pub department_code: Option<String>,
    /// `alcaldia` (default), `concejo`, `personeria`, `consejo_territorial_planeacion`,
    /// `gobernacion`, `esquema_asociativo` or `organizacion_comunitaria`.
    #[schema(value_type = Option<AssistedEntity>)]
    pub entity_type: Option<String>,
    #[schema(max_items = 50)]
    pub capacity_ids: Option<Vec<i32>>,
    #[schema(max_length = 4000)]
    pub objective: Option<String>,
    #[schema(value_type = Option<NaiveDate>)]
    pub starts_on: Option<String>,
    #[schema(value_type = Option<NaiveDate>)]
    pub ends_on: Option<String>,
    #[schema(value_type = Option<Modality>)]
    pub modality: Option<String>,
    /// The provider's people assigned: its coordinators, or instructors.
    #[schema(max_items = 50)]
    pub staff_user_ids: Option<Vec<i32>>,
    /// Open demands of the municipality on one of its capacities: they become planned.
    #[schema(max_items = 50)]
    pub demand_ids: Option<Vec<i32>>,
    /// **Extension.** Who at the entity answers the closing evaluation (emailed a link).
    #[schema(format = Email)]
    pub contact_email: Option<String>,
    /// Active sectors (`GET /sectors`); on PATCH replaces them. Issue 49.
    #[schema(max_items = 5000)]
    pub sector_ids: Option<Vec<i32>>,
    /// Active population groups (`GET /population-groups`); on PATCH replaces them.
    #[schema(max_items = 5000)]
    pub population_group_ids: Option<Vec<i32>>,
    /// Providers that deliver it jointly with its lead provider (issue 49): each an active
    /// provider other than the lead, 422 otherwise; the list replaces the current one (`[]`
    /// removes them). Their coordinators read it, never write it.
    #[schema(max_items = 50)]
    pub co_provider_ids: Option<Vec<i32>>,
}

impl AssistanceInput {
    fn descriptors(&self) -> crate::descriptors::Chosen<'_> {
        crate::descriptors::Chosen {
            sector_ids: self.sector_ids.as_deref(),
            population_group_ids: self.population_group_ids.as_deref(),
        }
    }
}

/// A change of state: `in_progress`, `closed` (with `objective_reached` and `summary`) or
/// `cancelled` (with `reason`).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct StatusInput {
    #[schema(value_type = AssistanceStatus)]
    pub status: Option<String>,
    /// Required to cancel: told to the entity's contact.
    pub reason: Option<String>,
    /// **Extension.** Required to close: whether the objective was reached (its demands are
    /// met only then).
    pub objective_reached: Option<bool>,
    /// **Extension.** Required to close: what was done and what remains, for the closing
    /// summary the entity prints.
    pub summary: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct StaffRef {
    pub id: i32,
    pub full_name: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = AssistanceMilestone)]
pub struct MilestoneView {
    pub id: i32,
    pub title: String,
    pub due_on: NaiveDate,
    pub done_on: Option<NaiveDate>,
    /// Not done and past its due date.
    pub overdue: bool,
}

/// The entity's evaluation at closing.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = AssistanceEvaluation)]
pub struct EvaluationView {
    #[schema(minimum = 1, maximum = 5)]
    pub usefulness: i32,
    pub comment: Option<String>,
    pub evaluated_at: chrono::DateTime<chrono::Utc>,
}

/// An assistance as the API and the pages show it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Assistance)]
pub struct AssistanceView {
    pub id: i32,
    pub provider: ProviderRef,
    /// The providers that deliver it jointly with `provider` (issue 49), by name.
    pub co_providers: Vec<ProviderRef>,
    /// None for a gobernación's.
    #[schema(example = "18256")]
    pub municipality_code: Option<String>,
    pub municipality_name: Option<String>,
    pub department_code: String,
    pub department_name: String,
    /// Where it is, as people read it («Gobernación de Caquetá», «Alcaldía de Florencia»): the
    /// municipality's name, or the department's for a gobernación.
    pub place_name: String,
    pub entity_type: AssistedEntity,
    pub entity_label: &'static str,
    pub capacities: Vec<CapacityRef>,
    pub objective: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub modality: Modality,
    pub status: AssistanceStatus,
    pub status_label: &'static str,
    pub cancellation_reason: Option<String>,
    pub objective_reached: Option<bool>,
    pub closing_summary: Option<String>,
    pub contact_email: Option<String>,
    /// **Extension** (issue 62): whether someone of the territory confirmed `contact_email`;
    /// only a confirmed contact receives the link to accept the work plan.
    pub contact_confirmed: bool,
    /// Who confirmed it (the municipality's liaison or the department's reviewer), while it
    /// is the contact.
    pub contact_confirmed_by: Option<StaffRef>,
    pub contact_confirmed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub staff: Vec<StaffRef>,
    pub demand_ids: Vec<i32>,
    /// CONPES's sectoral descriptors.
    pub sectors: Vec<crate::descriptors::DescriptorRef>,
    /// CONPES's population descriptors.
    pub population_groups: Vec<crate::descriptors::DescriptorRef>,
    pub milestones: Vec<MilestoneView>,
    pub visits: u64,
    pub evaluation: Option<EvaluationView>,
    /// **Extension** (issue 49): what the diagnosis found, with its evidence.
    pub diagnosis: Option<agreed::DiagnosisView>,
    /// **Extension** (issue 49): the work plan's current version and its acceptance by the
    /// entity.
    pub work_plan: Option<agreed::WorkPlanView>,
}

/// Whose assistances a caller reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssistanceScope {
    All,
    Departments(Vec<String>),
    Department(String),
    Municipality(String),
}

impl AssistanceScope {
    /// Staff read every assistance (a direction's coordinator, its departments'); a reviewer
    /// its department's; a liaison its municipality's; nobody else (403).
    pub fn of(user: &Actor) -> AppResult<Self> {
        if let Some(codes) = user.direction_departments() {
            return Ok(AssistanceScope::Departments(codes.to_vec()));
        }
        match user.role {
            Role::Admin | Role::Coordinator => Ok(AssistanceScope::All),
            Role::Reviewer => Ok(AssistanceScope::Department(
                user.department_code.clone().unwrap_or_default(),
            )),
            Role::Liaison => Ok(AssistanceScope::Municipality(
                user.municipality_code.clone().unwrap_or_default(),
            )),
            Role::Instructor | Role::Participant => Err(AppError::Forbidden),
        }
    }

    /// A department reads its municipalities' assistances and its gobernación's; a
    /// municipality only its own (never its department's gobernación's).
    pub fn condition(&self) -> Condition {
        let department = assistance::Column::DepartmentCode;
        match self {
            AssistanceScope::All => Condition::all(),
            AssistanceScope::Departments(codes) => {
                Condition::all().add(department.is_in(codes.iter().map(String::as_str)))
            }
            AssistanceScope::Department(d) => Condition::all().add(department.eq(d.as_str())),
            AssistanceScope::Municipality(m) => {
                Condition::all().add(assistance::Column::MunicipalityCode.eq(m.as_str()))
            }
        }
    }
}

/// The assistance if `user` reads it; 404 otherwise.
pub async fn find_visible<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    id: i32,
) -> AppResult<assistance::Model> {
    assistance::Entity::find_by_id(id)
        .filter(AssistanceScope::of(user)?.condition())
        .found(db)
        .await
}

/// The assistance if `user` manages it: an admin any; a coordinator its provider's (within its
/// direction's departments when it has one). 404 otherwise, as if it did not exist.
pub async fn find_managed<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    id: i32,
) -> AppResult<assistance::Model> {
    if !user.is_staff() {
        return Err(AppError::Forbidden);
    }
    let row = find_visible(db, user, id).await?;
    match user.managed_provider() {
        Some(provider) if provider != row.provider_id => Err(AppError::NotFound),
        _ => Ok(row),
    }
}

/// The checked fields of an input merged over the current assistance.
struct Plan {
    provider_id: i32,
    /// None for a gobernación.
    municipality: Option<municipality::Model>,
    department_code: String,
    entity_type: AssistedEntity,
    capacity_ids: Vec<i32>,
    objective: String,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    modality: Modality,
    staff: Vec<i32>,
    demand_ids: Vec<i32>,
    contact_email: Option<String>,
    /// The co-providers (issue 49), as asked or as they are.
    co_providers: Vec<i32>,
}

impl Plan {
    fn place_code(&self) -> Option<String> {
        self.municipality.as_ref().map(|m| m.code.clone())
    }
}

fn clean_ids(ids: &[i32]) -> Vec<i32> {
    let set: BTreeSet<i32> = ids.iter().copied().collect();
    set.into_iter().collect()
}

/// Where the assistance is ([`crate::territory::entity_place`]), in the manager's territory.
async fn place<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    input: &AssistanceInput,
    current: Option<&assistance::Model>,
    entity_type: AssistedEntity,
    errors: &mut Vec<FieldError>,
) -> AppResult<(Option<municipality::Model>, Option<String>)> {
    let Some((municipality, department)) = crate::territory::entity_place(
        db,
        entity_type,
        input.municipality_code.as_deref(),
        input.department_code.as_deref(),
        current.map(|c| (c.municipality_code.as_deref(), c.department_code.as_str())),
        errors,
    )
    .await?
    else {
        return Ok((None, None));
    };
    let outside = user
        .direction_departments()
        .is_some_and(|codes| !codes.contains(&department));
    if outside {
        errors.push(match municipality {
            Some(_) => FieldError::new(
                "municipality_code",
                "El municipio no es de un departamento de su dirección territorial.",
            ),
            None => FieldError::new(
                "department_code",
                "El departamento no es de su dirección territorial.",
            ),
        });
    }
    Ok((municipality, Some(department)))
}

/// Every rule at once (422 with every problem): a municipality in the manager's territory,
/// active capacities, an objective, a span of at most three years that contains the visits
/// already recorded, staff of the provider, open demands of the municipality on one of the
/// capacities.
async fn plan<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    provider_id: i32,
    input: &AssistanceInput,
    current: Option<&assistance::Model>,
) -> AppResult<Plan> {
    check_list_sizes(input)?;
    let mut errors = Vec::new();
    let entity_type = crate::territory::entity_kind(
        input.entity_type.as_deref(),
        current.map(|c| c.entity_type),
        &mut errors,
    );
    let (municipality, department_code) =
        place(db, user, input, current, entity_type, &mut errors).await?;
    let capacity_ids = plan_capacities(db, input, current, &mut errors).await?;
    let objective = plan_objective(input, current, &mut errors);
    let (starts_on, ends_on) = plan_span(db, input, current, &mut errors).await?;
    let modality = plan_modality(input, current, &mut errors);
    let staff = plan_staff(db, user, provider_id, input, current, &mut errors).await?;
    let answered = Answered {
        entity_type,
        municipality: municipality.as_ref(),
        department_code: department_code.as_deref(),
        capacity_ids: &capacity_ids,
    };
    let demand_ids = plan_demands(db, user, input, current, &answered, &mut errors).await?;
    let contact_email = plan_contact(input, current, &mut errors);
    let carried = match current {
        Some(c) => crate::descriptors::current(db, DescriptorSubject::Assistance, c.id).await?,
        None => Vec::new(),
    };
    crate::descriptors::check(db, input.descriptors(), &carried, &mut errors).await?;
    let co_providers = plan_co_providers(db, provider_id, input, current, &mut errors).await?;
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let (Some(department_code), Some(objective), Some(starts_on), Some(ends_on)) =
        (department_code, objective, starts_on, ends_on)
    else {
        return Err(AppError::Validation(errors));
    };
    Ok(Plan {
        provider_id,
        municipality,
        department_code,
        entity_type,
        capacity_ids,
        objective,
        starts_on,
        ends_on,
        modality,
        staff,
        demand_ids,
        contact_email,
        co_providers,
    })
}

/// Lists of at most 50 ids (422 before anything else is read).
fn check_list_sizes(input: &AssistanceInput) -> AppResult<()> {
    let mut errors = Vec::new();
    for (field, list) in [
        ("capacity_ids", input.capacity_ids.as_deref()),
        ("staff_user_ids", input.staff_user_ids.as_deref()),
        ("demand_ids", input.demand_ids.as_deref()),
        (crate::joint::FIELD, input.co_provider_ids.as_deref()),
    ] {
        if list.is_some_and(|l| l.len() > 50) {
            errors.push(FieldError::new(
                field,
                "La lista puede tener máximo 50 elementos.",
            ));
        }
    }
    match errors.is_empty() {
        true => Ok(()),
        false => Err(AppError::Validation(errors)),
    }
}

/// The capacities it strengthens: at least one, each active (left out: its own).
async fn plan_capacities<C: ConnectionTrait>(
    db: &C,
    input: &AssistanceInput,
    current: Option<&assistance::Model>,
    errors: &mut Vec<FieldError>,
) -> AppResult<Vec<i32>> {
    let capacity_ids = match &input.capacity_ids {
        Some(ids) => clean_ids(ids),
        None => match current {
            Some(c) => {
                assistance_capacity::Entity::find()
                    .filter(assistance_capacity::Column::AssistanceId.eq(c.id))
                    .all_mapped(db, |l| l.capacity_id)
                    .await?
            }
            None => Vec::new(),
        },
    };
    if capacity_ids.is_empty() {
        errors.push(FieldError::new(
            "capacity_ids",
            "Elija al menos una capacidad que la asistencia fortalece.",
        ));
    } else {
        let known = capacity::Entity::find()
            .filter(capacity::Column::Id.is_in(capacity_ids.clone()))
            .filter(capacity::Column::Active.eq(true))
            .count(db)
            .await?;
        if known as usize != capacity_ids.len() {
            errors.push(FieldError::new(
                "capacity_ids",
                "Alguna capacidad elegida no existe o está inactiva.",
            ));
        }
    }
    Ok(capacity_ids)
}

/// The capacities a new assistance chooses from: the active ones, in their order (as
/// [`plan_capacities`] requires), each as (id, name).
pub async fn capacity_choices<C: ConnectionTrait>(db: &C) -> AppResult<Vec<(i32, String)>> {
    Ok(capacity::Entity::find()
        .filter(capacity::Column::Active.eq(true))
        .order_by_asc(capacity::Column::SortOrder)
        .all_mapped(db, |c| (c.id, c.name))
        .await?)
}

/// Its objective, required.
fn plan_objective(
    input: &AssistanceInput,
    current: Option<&assistance::Model>,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let objective = match &input.objective {
        Some(text) => match validate::multi_line("objective", text, validate::DESCRIPTION_MAX) {
            Ok(Some(text)) => Some(text),
            Ok(None) => None,
            Err(e) => {
                errors.push(e);
                Some(String::new())
            }
        },
        None => current.map(|c| c.objective.clone()),
    };
    if objective.is_none() {
        errors.push(FieldError::new(
            "objective",
            "Escriba el objetivo de la asistencia.",
        ));
    }
    objective
}

/// Its span: both dates for a new one, the end not before the start, at most three years,
/// containing the visits already recorded.
async fn plan_span<C: ConnectionTrait>(
    db: &C,
    input: &AssistanceInput,
    current: Option<&assistance::Model>,
    errors: &mut Vec<FieldError>,
) -> AppResult<(Option<NaiveDate>, Option<NaiveDate>)> {
    let starts_on = match input.starts_on.as_deref() {
        Some(text) => crate::parse::date("starts_on", Some(text), true, errors),
        None => current.map(|c| c.starts_on),
    };
    let ends_on = match input.ends_on.as_deref() {
        Some(text) => crate::parse::date("ends_on", Some(text), true, errors),
        None => current.map(|c| c.ends_on),
    };
    if current.is_none() {
        if input.starts_on.is_none() {
            errors.push(FieldError::new(
                "starts_on",
                "Escriba la fecha de inicio (AAAA-MM-DD).",
            ));
        }
        if input.ends_on.is_none() {
            errors.push(FieldError::new(
                "ends_on",
                "Escriba la fecha de fin (AAAA-MM-DD).",
            ));
        }
    }
    let (Some(start), Some(end)) = (starts_on, ends_on) else {
        return Ok((starts_on, ends_on));
    };
    if end < start {
        errors.push(FieldError::new(
            "ends_on",
            "La fecha de fin no puede ser anterior a la de inicio.",
        ));
    } else if (end - start).num_days() > MAX_SPAN_DAYS {
        errors.push(FieldError::new(
            "ends_on",
            "Una asistencia dura máximo tres años.",
        ));
    }
    if let Some(c) = current {
        let outside = assistance_visit::Entity::find()
            .filter(assistance_visit::Column::AssistanceId.eq(c.id))
            .filter(
                Condition::any()
                    .add(assistance_visit::Column::Date.lt(start))
                    .add(assistance_visit::Column::Date.gt(end)),
            )
            .count(db)
            .await?;
        if outside > 0 {
            errors.push(FieldError::new(
                "starts_on",
                format!(
                    "Hay {} fuera de esas fechas: la asistencia debe contenerlas.",
                    crate::format::plural(
                        outside as i64,
                        "visita registrada",
                        "visitas registradas"
                    )
                ),
            ));
        }
    }
    Ok((starts_on, ends_on))
}

/// Its modality: presencial, virtual or mixta, required for a new one.
fn plan_modality(
    input: &AssistanceInput,
    current: Option<&assistance::Model>,
    errors: &mut Vec<FieldError>,
) -> Modality {
    match input.modality.as_deref().map(str::trim) {
        Some(text) => Modality::parse(text).unwrap_or_else(|| {
            errors.push(FieldError::new(
                "modality",
                "La modalidad debe ser presencial, virtual o mixta.",
            ));
            Modality::Presencial
        }),
        None => match current {
            Some(c) => c.modality,
            None => {
                errors.push(FieldError::new(
                    "modality",
                    "Elija la modalidad: presencial, virtual o mixta.",
                ));
                Modality::Presencial
            }
        },
    }
}

/// Its staff: active coordinators of the provider, or instructors (a new one's: its author).
async fn plan_staff<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    provider_id: i32,
    input: &AssistanceInput,
    current: Option<&assistance::Model>,
    errors: &mut Vec<FieldError>,
) -> AppResult<Vec<i32>> {
    let Some(ids) = &input.staff_user_ids else {
        return Ok(match current {
            Some(c) => {
                assistance_staff::Entity::find()
                    .filter(assistance_staff::Column::AssistanceId.eq(c.id))
                    .all_mapped(db, |s| s.user_id)
                    .await?
            }
            None => vec![user.id],
        });
    };
    let ids = clean_ids(ids);
    let people = user::Entity::find()
        .filter(user::Column::Id.is_in(ids.clone()))
        .filter(user::Column::Active.eq(true))
        .all(db)
        .await?;
    for id in &ids {
        let fits = people.iter().find(|u| u.id == *id).is_some_and(|u| {
            u.role == Role::Instructor
                || (u.role == Role::Coordinator
                    && u.provider_id.unwrap_or(crate::providers::ESAP) == provider_id)
        });
        if !fits {
            errors.push(FieldError::new(
                "staff_user_ids",
                format!("La persona {id} no es un coordinador del oferente ni un formador activo."),
            ));
        }
    }
    Ok(ids)
}

/// What the demands an assistance answers must share with it.
struct Answered<'a> {
    entity_type: AssistedEntity,
    municipality: Option<&'a municipality::Model>,
    department_code: Option<&'a str>,
    capacity_ids: &'a [i32],
}

/// The demands it answers: in the caller's scope, open (or already this assistance's), of its
/// entity and place, on one of its capacities.
async fn plan_demands<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    input: &AssistanceInput,
    current: Option<&assistance::Model>,
    answered: &Answered<'_>,
    errors: &mut Vec<FieldError>,
) -> AppResult<Vec<i32>> {
    let Some(ids) = &input.demand_ids else {
        return Ok(match current {
            Some(c) => linked_demands(db, c.id).await?,
            None => Vec::new(),
        });
    };
    let ids = clean_ids(ids);
    let mine: Vec<i32> = match current {
        Some(c) => linked_demands(db, c.id).await?,
        None => Vec::new(),
    };
    // In the caller's demand scope, like a cohort's (`demand::planning::link`): a demand out
    // of it does not exist for them.
    let rows = demand::Entity::find()
        .filter(demand::Column::Id.is_in(ids.clone()))
        .filter(crate::demand::DemandScope::of(user)?.condition())
        .all(db)
        .await?;
    for id in &ids {
        let Some(row) = rows.iter().find(|d| d.id == *id) else {
            errors.push(FieldError::new(
                "demand_ids",
                format!("La demanda {id} no existe."),
            ));
            continue;
        };
        demand_problems(row, mine.contains(id), answered, errors);
    }
    Ok(ids)
}

/// Why demand `row` cannot be answered by the assistance (`mine`: it answers it already).
fn demand_problems(
    row: &demand::Model,
    mine: bool,
    answered: &Answered<'_>,
    errors: &mut Vec<FieldError>,
) {
    let id = row.id;
    if row.status != DemandStatus::Open && !mine {
        errors.push(FieldError::new(
            "demand_ids",
            format!(
                "La demanda {id} está {}: solo se atiende una demanda abierta.",
                row.status.label().to_lowercase()
            ),
        ));
    }
    // A gobernación's assistance answers its own gobernación's demands; a municipality's, its
    // municipality's.
    let other = match (
        answered.entity_type.is_departmental(),
        row.entity_type.is_departmental(),
    ) {
        (true, false) => Some(format!(
            "La demanda {id} es de un municipio: la asistencia a una gobernación no la atiende."
        )),
        (false, true) => Some(format!(
            "La demanda {id} es de una gobernación: la atiende una asistencia a esa gobernación."
        )),
        (true, true) => (answered.department_code != Some(row.department_code.as_str()))
            .then(|| format!("La demanda {id} es de otra gobernación.")),
        (false, false) => answered
            .municipality
            .is_some_and(|m| row.municipality_code.as_deref() != Some(m.code.as_str()))
            .then(|| format!("La demanda {id} es de otro municipio.")),
    };
    if let Some(message) = other {
        errors.push(FieldError::new("demand_ids", message));
    }
    if !answered.capacity_ids.contains(&row.capacity_id) {
        errors.push(FieldError::new(
            "demand_ids",
            format!("La demanda {id} pide una capacidad que la asistencia no fortalece."),
        ));
    }
}

/// The entity's contact email, if any.
fn plan_contact(
    input: &AssistanceInput,
    current: Option<&assistance::Model>,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    match input.contact_email.as_deref().map(str::trim) {
        Some("") => None,
        Some(text) => {
            let email = crate::accounts::normalize_email(text);
            if !crate::validate::is_email(&email) {
                errors.push(FieldError::new(
                    "contact_email",
                    "Escriba un correo electrónico válido del contacto de la entidad.",
                ));
            }
            Some(email)
        }
        None => current.and_then(|c| c.contact_email.clone()),
    }
}

/// The providers it is delivered together with (issue 49), checked against the lead provider.
async fn plan_co_providers<C: ConnectionTrait>(
    db: &C,
    provider_id: i32,
    input: &AssistanceInput,
    current: Option<&assistance::Model>,
    errors: &mut Vec<FieldError>,
) -> AppResult<Vec<i32>> {
    let current_co_providers = match current {
        Some(c) => crate::joint::ids_of(db, OfferKind::Assistance, &[c.id])
            .await?
            .remove(&c.id)
            .unwrap_or_default(),
        None => Vec::new(),
    };
    crate::joint::check(
        db,
        provider_id,
        input
            .co_provider_ids
            .as_deref()
            .unwrap_or(&current_co_providers),
        &current_co_providers,
        errors,
    )
    .await
}

async fn linked_demands<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<Vec<i32>> {
    Ok(assistance_demand::Entity::find()
        .filter(assistance_demand::Column::AssistanceId.eq(id))
        .all_mapped(db, |l| l.demand_id)
        .await?)
}

/// Replaces the capacities, staff, co-providers and demands of an assistance; demands linked
/// now become planned, those no longer linked open again.
async fn write_links<C: ConnectionTrait>(
    db: &C,
    notifier: &crate::mail::Notifier<'_>,
    actor: i32,
    id: i32,
    plan: &Plan,
) -> AppResult<()> {
    assistance_capacity::Entity::delete_many()
        .filter(assistance_capacity::Column::AssistanceId.eq(id))
        .exec(db)
        .await?;
    for capacity_id in &plan.capacity_ids {
        assistance_capacity::ActiveModel {
            assistance_id: Set(id),
            capacity_id: Set(*capacity_id),
        }
        .insert(db)
        .await?;
    }
    assistance_staff::Entity::delete_many()
        .filter(assistance_staff::Column::AssistanceId.eq(id))
        .exec(db)
        .await?;
    for user_id in &plan.staff {
        assistance_staff::ActiveModel {
            assistance_id: Set(id),
            user_id: Set(*user_id),
        }
        .insert(db)
        .await?;
    }
    crate::joint::write(db, OfferKind::Assistance, id, &plan.co_providers).await?;
    let before = linked_demands(db, id).await?;
    for gone in before.iter().filter(|d| !plan.demand_ids.contains(d)) {
        set_demand(db, actor, *gone, DemandStatus::Open, "assistance_unlinked").await?;
    }
    assistance_demand::Entity::delete_many()
        .filter(assistance_demand::Column::AssistanceId.eq(id))
        .exec(db)
        .await?;
    for demand_id in &plan.demand_ids {
        assistance_demand::ActiveModel {
            assistance_id: Set(id),
            demand_id: Set(*demand_id),
        }
        .insert(db)
        .await?;
        if !before.contains(demand_id)
            && let Some(planned) =
                set_demand(db, actor, *demand_id, DemandStatus::Planned, "assistance").await?
        {
            let provider = crate::providers::get(db, plan.provider_id).await?.name;
            crate::demand::tell_author(
                db,
                notifier,
                &planned,
                crate::demand::Outcome::PlannedByAssistance {
                    assistance_id: id,
                    provider: &provider,
                    starts_on: plan.starts_on,
                },
            )
            .await?;
        }
    }
    Ok(())
}

/// Moves a demand answered by an assistance (planned, met, or open again), audited.
async fn set_demand<C: ConnectionTrait>(
    db: &C,
    actor: i32,
    id: i32,
    status: DemandStatus,
    why: &str,
) -> AppResult<Option<demand::Model>> {
    let Some(row) = demand::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let at = crate::time::now();
    let mut model: demand::ActiveModel = row.clone().into();
    model.status = Set(status);
    model.updated_at = Set(at);
    match status {
        DemandStatus::Planned => model.planned_at = Set(Some(at)),
        DemandStatus::Met => model.met_at = Set(Some(at)),
        _ => model.planned_at = Set(None),
    }
    let saved = model.update(db).await?;
    audit::record(
        db,
        Change {
            actor: Some(actor),
            action: match status {
                DemandStatus::Planned => "demand.planned",
                DemandStatus::Met => "demand.met",
                _ => "demand.reopened",
            },
            subject_type: "demand",
            subject_id: id.to_string(),
            before: serde_json::to_value(planning::StatusAudit { status: row.status }).ok(),
            after: serde_json::to_value(planning::Moved { status, why }).ok(),
        },
    )
    .await?;
    Ok(Some(saved))
}

/// What [`check`] found: the assistance as it would be saved, and whether that changes it.
#[derive(Clone, Debug)]
pub struct CheckedInput {
    pub provider_id: i32,
    /// None for a gobernación.
    pub municipality_name: Option<String>,
    pub span: visits::Span,
    /// Creating, or changing a field of `current`.
    pub changes: bool,
}

/// Checks `input` by the rules of [`create`] (`current` none) or [`update`], writing nothing:
/// every problem at once (422). The import of assistances checks its rows with it.
pub async fn check<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    input: &AssistanceInput,
    current: Option<&assistance::Model>,
) -> AppResult<CheckedInput> {
    if !user.is_staff() {
        return Err(AppError::Forbidden);
    }
    let provider_id = current.map_or(
        user.managed_provider().unwrap_or(crate::providers::ESAP),
        |c| c.provider_id,
    );
    let plan = plan(db, user, provider_id, input, current).await?;
    let changes = match current {
        None => true,
        Some(c) => {
            c.municipality_code != plan.place_code()
                || c.department_code != plan.department_code
                || c.entity_type != plan.entity_type
                || c.objective != plan.objective
                || c.starts_on != plan.starts_on
                || c.ends_on != plan.ends_on
                || c.modality != plan.modality
                || c.contact_email != plan.contact_email
                || {
                    let mut now: Vec<i32> = assistance_capacity::Entity::find()
                        .filter(assistance_capacity::Column::AssistanceId.eq(c.id))
                        .all_mapped(db, |l| l.capacity_id)
                        .await?;
                    now.sort_unstable();
                    now != plan.capacity_ids
                }
        }
    };
    Ok(CheckedInput {
        provider_id,
        municipality_name: plan.municipality.as_ref().map(|m| m.name.clone()),
        span: visits::Span {
            starts_on: plan.starts_on,
            ends_on: plan.ends_on,
            modality: plan.modality,
        },
        changes,
    })
}

/// Creates a planned assistance of the coordinator's provider (an admin's: ESAP's), audited.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    notifier: &crate::mail::Notifier<'_>,
    user: &Actor,
    input: &AssistanceInput,
) -> AppResult<AssistanceView> {
    if !user.is_staff() {
        return Err(AppError::Forbidden);
    }
    let provider_id = user.managed_provider().unwrap_or(crate::providers::ESAP);
    let plan = plan(db, user, provider_id, input, None).await?;
    let at = crate::time::now();
    let saved = assistance::ActiveModel {
        provider_id: Set(provider_id),
        municipality_code: Set(plan.place_code()),
        department_code: Set(plan.department_code.clone()),
        entity_type: Set(plan.entity_type),
        objective: Set(plan.objective.clone()),
        starts_on: Set(plan.starts_on),
        ends_on: Set(plan.ends_on),
        modality: Set(plan.modality),
        status: Set(AssistanceStatus::Planned),
        contact_email: Set(plan.contact_email.clone()),
        created_by: Set(Some(user.id)),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    write_links(db, notifier, user.id, saved.id, &plan).await?;
    crate::descriptors::set(
        db,
        DescriptorSubject::Assistance,
        saved.id,
        input.descriptors(),
    )
    .await?;
    crate::figures::assistance::refresh(db, crate::figures::assistance::place_of(&saved)).await?;
    let view = view(db, saved.id).await?;
    audit::record(
        db,
        Change {
            actor: Some(user.id),
            action: "assistance.created",
            subject_type: "assistance",
            subject_id: saved.id.to_string(),
            before: None,
            after: serde_json::to_value(&view).ok(),
        },
    )
    .await?;
    Ok(view)
}

/// Changes an assistance's plan (404 outside what `user` manages; 409 once closed or
/// cancelled), audited.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    notifier: &crate::mail::Notifier<'_>,
    user: &Actor,
    id: i32,
    input: &AssistanceInput,
) -> AppResult<AssistanceView> {
    let current = find_managed(db, user, id).await?;
    if current.status.is_final() {
        return Err(AppError::Conflict(format!(
            "La asistencia está {}: ya no se puede modificar.",
            current.status.label().to_lowercase()
        )));
    }
    let before = view(db, id).await?;
    let plan = plan(db, user, current.provider_id, input, Some(&current)).await?;
    let previous_place = crate::figures::assistance::place_of(&current).to_string();
    // Issue 62: another contact, or another place, is no longer the one the territory
    // confirmed: the confirmation goes and the links pending no longer accept.
    let contact_changed = current.contact_email != plan.contact_email
        || current.municipality_code != plan.place_code()
        || current.department_code != plan.department_code;
    let mut model: assistance::ActiveModel = current.into();
    if contact_changed {
        agreed::unconfirmed(&mut model);
        agreed::void_links(
            db,
            id,
            crate::entities::values::LinkVoidReason::ContactChanged,
        )
        .await?;
    }
    model.municipality_code = Set(plan.place_code());
    model.department_code = Set(plan.department_code.clone());
    model.entity_type = Set(plan.entity_type);
    model.objective = Set(plan.objective.clone());
    model.starts_on = Set(plan.starts_on);
    model.ends_on = Set(plan.ends_on);
    model.modality = Set(plan.modality);
    model.contact_email = Set(plan.contact_email.clone());
    model.updated_at = Set(crate::time::now());
    let saved = model.update(db).await?;
    write_links(db, notifier, user.id, id, &plan).await?;
    crate::descriptors::set(db, DescriptorSubject::Assistance, id, input.descriptors()).await?;
    let place = crate::figures::assistance::place_of(&saved);
    crate::figures::assistance::refresh(db, place).await?;
    if previous_place != place {
        crate::figures::assistance::refresh(db, &previous_place).await?;
    }
    let after = view(db, id).await?;
    audit::record(
        db,
        Change {
            actor: Some(user.id),
            action: "assistance.updated",
            subject_type: "assistance",
            subject_id: id.to_string(),
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&after).ok(),
        },
    )
    .await?;
    Ok(after)
}

/// Whether an assistance may go from `from` to `to`.
pub fn transition_allowed(from: AssistanceStatus, to: AssistanceStatus) -> bool {
    use AssistanceStatus::*;
    matches!(
        (from, to),
        (Planned, InProgress) | (InProgress, Closed) | (Planned | InProgress, Cancelled)
    )
}

/// «Evalúe la asistencia técnica»: the link to the entity's closing evaluation.
#[derive(Serialize)]
struct EvaluationRequest<'a> {
    entity: &'static str,
    municipality: &'a str,
    provider: &'a str,
    objective: &'a str,
    token: &'a str,
}

impl crate::mail::Message for EvaluationRequest<'_> {
    const TEMPLATE: &'static str = "assistance_evaluation";
    fn subject(&self) -> String {
        format!("Evalúe la asistencia técnica de {}", self.provider)
    }
}

/// A change of state that passed the rules: the state, the reason (cancelling) and the
/// closing summary (closing).
struct Checked {
    to: AssistanceStatus,
    reason: Option<String>,
    summary: Option<String>,
}

/// The rules of a change of state of `current`: a move the lifecycle allows (409), a reason to
/// cancel, whether the objective was reached and a summary to close (422, all at once).
fn checked(current: &assistance::Model, input: &StatusInput) -> AppResult<Checked> {
    let Some(to) = input
        .status
        .as_deref()
        .map(str::trim)
        .and_then(AssistanceStatus::parse)
    else {
        return Err(AppError::invalid(
            "status",
            "El estado debe ser in_progress, closed o cancelled.",
        ));
    };
    if !transition_allowed(current.status, to) {
        return Err(AppError::Conflict(format!(
            "Una asistencia {} no pasa a «{}».",
            current.status.label().to_lowercase(),
            to.label().to_lowercase()
        )));
    }
    let mut errors = Vec::new();
    let reason = match to {
        AssistanceStatus::Cancelled => {
            let checked =
                validate::single_line("reason", input.reason.as_deref().unwrap_or(""), 500);
            let missing = "Escriba por qué se cancela la asistencia.";
            validate::required("reason", checked, missing, &mut errors)
        }
        _ => None,
    };
    let summary = match to {
        AssistanceStatus::Closed => {
            if input.objective_reached.is_none() {
                errors.push(FieldError::new(
                    "objective_reached",
                    "Indique si se alcanzó el objetivo de la asistencia.",
                ));
            }
            let checked = validate::multi_line(
                "summary",
                input.summary.as_deref().unwrap_or(""),
                validate::DESCRIPTION_MAX,
            );
            let missing = "Escriba el resumen de cierre: lo que se hizo y lo que queda.";
            validate::required("summary", checked, missing, &mut errors)
        }
        _ => None,
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok(Checked {
        to,
        reason,
        summary,
    })
}

/// What closing or cancelling an assistance would do (issue 45: the confirmation says it
/// first), for a change that passes the same rules as [`change_status`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusChangeFacts {
    pub to: AssistanceStatus,
    /// The demands it answers, and what they become (met only when closed with the objective
    /// reached; open again otherwise).
    pub demands: u64,
    pub demands_become: DemandStatus,
    /// Where the entity is sent the link to evaluate it (closing), if it has a contact the
    /// territory confirmed (issue 62).
    pub evaluation_to: Option<String>,
    /// Its visits and milestones, kept as history.
    pub visits: u64,
}

pub async fn status_change_facts<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    id: i32,
    input: &StatusInput,
) -> AppResult<StatusChangeFacts> {
    let current = find_managed(db, user, id).await?;
    let Checked { to, .. } = checked(&current, input)?;
    let visits = assistance_visit::Entity::find()
        .filter(assistance_visit::Column::AssistanceId.eq(id))
        .count(db)
        .await?;
    Ok(StatusChangeFacts {
        to,
        demands: linked_demands(db, id).await?.len() as u64,
        demands_become: if to == AssistanceStatus::Closed && input.objective_reached == Some(true) {
            DemandStatus::Met
        } else {
            DemandStatus::Open
        },
        evaluation_to: match to {
            AssistanceStatus::Closed => current
                .contact_email
                .clone()
                .filter(|_| agreed::contact_confirmed(&current)),
            _ => None,
        },
        visits,
    })
}

/// An assistance's status before a change (`assistance.status_changed`).
#[derive(Serialize)]
struct StatusWas {
    status: AssistanceStatus,
}

/// An assistance's new status, with the reason and whether its objective was reached as sent.
#[derive(Serialize)]
struct StatusChanged<'a> {
    status: AssistanceStatus,
    reason: Option<&'a str>,
    objective_reached: Option<bool>,
}

/// Moves an assistance along its states (409 when the move is not allowed), audited. Closing
/// needs whether the objective was reached and a summary; its demands are met when it was,
/// open again otherwise; cancelling needs a reason and opens its demands again.
pub async fn change_status<C: ConnectionTrait>(
    db: &C,
    notifier: &crate::mail::Notifier<'_>,
    user: &Actor,
    id: i32,
    input: &StatusInput,
) -> AppResult<AssistanceView> {
    let current = find_managed(db, user, id).await?;
    let Checked {
        to,
        reason,
        summary,
    } = checked(&current, input)?;
    if to == AssistanceStatus::InProgress {
        agreed::ensure_agreed(db, id).await?;
    }
    let before = current.status;
    let at = crate::time::now();
    let mut evaluation_token = None;
    let mut model: assistance::ActiveModel = current.clone().into();
    model.status = Set(to);
    model.updated_at = Set(at);
    match to {
        AssistanceStatus::Cancelled => model.cancellation_reason = Set(reason),
        AssistanceStatus::Closed => {
            model.objective_reached = Set(input.objective_reached);
            model.closing_summary = Set(summary);
            model.closed_at = Set(Some(at));
            // Issue 62: the entity's evaluation, like its acceptance, goes by link only to a
            // contact the territory confirmed; otherwise its liaison evaluates signed in.
            if current.contact_email.is_some() && agreed::contact_confirmed(&current) {
                let token = crate::accounts::secrets::random_token();
                model.evaluation_token_hash =
                    Set(Some(crate::accounts::secrets::token_hash(&token)));
                evaluation_token = Some(token);
            }
        }
        _ => {}
    }
    model.update(db).await?;
    crate::figures::assistance::refresh(db, crate::figures::assistance::place_of(&current)).await?;
    if let (Some(token), Some(contact)) = (&evaluation_token, &current.contact_email) {
        let view = view(db, id).await?;
        let message = EvaluationRequest {
            entity: view.entity_label,
            municipality: &view.place_name,
            provider: &view.provider.name,
            objective: &view.objective,
            token,
        };
        let email = crate::mail::Email::of(contact.clone(), &message)?
            .once(format!("assistance_evaluation:{id}"));
        crate::mail::enqueue(db, notifier, email).await?;
    }
    let outcome = match to {
        AssistanceStatus::Closed if input.objective_reached == Some(true) => {
            Some((DemandStatus::Met, "assistance_closed"))
        }
        AssistanceStatus::Closed => Some((DemandStatus::Open, "assistance_closed_unmet")),
        AssistanceStatus::Cancelled => Some((DemandStatus::Open, "assistance_cancelled")),
        _ => None,
    };
    if let Some((status, why)) = outcome {
        let provider = crate::providers::get(db, current.provider_id).await?.name;
        for demand_id in linked_demands(db, id).await? {
            let moved = set_demand(db, user.id, demand_id, status, why).await?;
            if let (DemandStatus::Met, Some(met)) = (status, moved) {
                crate::demand::tell_author(
                    db,
                    notifier,
                    &met,
                    crate::demand::Outcome::MetByAssistance {
                        assistance_id: id,
                        provider: &provider,
                    },
                )
                .await?;
            }
        }
    }
    audit::record(
        db,
        Change {
            actor: Some(user.id),
            action: "assistance.status_changed",
            subject_type: "assistance",
            subject_id: id.to_string(),
            before: serde_json::to_value(StatusWas { status: before }).ok(),
            after: serde_json::to_value(StatusChanged {
                status: to,
                reason: input.reason.as_deref(),
                objective_reached: input.objective_reached,
            })
            .ok(),
        },
    )
    .await?;
    view(db, id).await
}

/// Filters of the list.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub department: Option<String>,
    pub municipality: Option<String>,
    pub capacity: Option<i32>,
    pub provider: Option<i32>,
    pub status: Option<AssistanceStatus>,
    /// A sector id (issue 49).
    pub sector: Option<i32>,
}

/// A page of the assistances `user` reads, newest start first.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    filter: &ListFilter,
    page: u64,
    per_page: u64,
) -> AppResult<(Vec<AssistanceView>, u64)> {
    let mut select = assistance::Entity::find().filter(AssistanceScope::of(user)?.condition());
    if let Some(d) = &filter.department {
        select = select.filter(assistance::Column::DepartmentCode.eq(d.as_str()));
    }
    if let Some(m) = &filter.municipality {
        select = select.filter(assistance::Column::MunicipalityCode.eq(m.as_str()));
    }
    if let Some(p) = filter.provider {
        select = select.filter(assistance::Column::ProviderId.eq(p));
    }
    if let Some(s) = filter.status {
        select = select.filter(assistance::Column::Status.eq(s));
    }
    if let Some(sector) = filter.sector {
        select = select.filter(crate::descriptors::tagged(
            assistance::Column::Id,
            DescriptorSubject::Assistance,
            sector,
        ));
    }
    if let Some(c) = filter.capacity {
        select = select.filter(
            assistance::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(assistance_capacity::Column::AssistanceId)
                    .from(assistance_capacity::Entity)
                    .and_where(assistance_capacity::Column::CapacityId.eq(c))
                    .to_owned(),
            ),
        );
    }
    let paginator = select
        .order_by_desc(assistance::Column::StartsOn)
        .order_by_desc(assistance::Column::Id)
        .paginate(db, per_page);
    let total = paginator.num_items().await?;
    let rows = paginator.fetch_page(page.saturating_sub(1)).await?;
    Ok((views(db, rows).await?, total))
}

/// One assistance's view.
pub async fn view<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<AssistanceView> {
    let row = assistance::Entity::find_by_id(id).found(db).await?;
    views(db, vec![row]).await?.pop().ok_or(AppError::NotFound)
}

/// Views of these assistances, in their order.
pub async fn views<C: ConnectionTrait>(
    db: &C,
    rows: Vec<assistance::Model>,
) -> AppResult<Vec<AssistanceView>> {
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let providers = crate::providers::names(db).await?;
    let mut co_providers = crate::joint::of(db, OfferKind::Assistance, &ids).await?;
    let mut capacity_links = capacities_of(db, &ids).await?;
    let (mut staff, people) = staff_of(db, &ids, &rows).await?;
    let mut demands = demands_of(db, &ids).await?;
    let mut milestones = milestones_of(db, &ids).await?;
    let visits = visits_of(db, &ids).await?;
    let (mut diagnoses, mut plans) = agreed::of_assistances(db, &ids).await?;
    let mut tags = crate::descriptors::of(db, DescriptorSubject::Assistance, &ids).await?;
    let places = place_names(db, &rows).await?;
    let departments = crate::territory::department_names(db).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let municipality_name = r
                .municipality_code
                .as_ref()
                .map(|code| places.get(code).cloned().unwrap_or_default());
            let department_name = departments
                .get(&r.department_code)
                .cloned()
                .unwrap_or_else(|| r.department_code.clone());
            let tags = tags.remove(&r.id).unwrap_or_default();
            let contact_confirmed = agreed::contact_confirmed(&r);
            let evaluation = evaluation_of(&r);
            AssistanceView {
                sectors: tags.sectors,
                population_groups: tags.population_groups,
                provider: providers
                    .get(&r.provider_id)
                    .cloned()
                    .unwrap_or_else(|| ProviderRef {
                        id: r.provider_id,
                        name: String::new(),
                    }),
                place_name: municipality_name
                    .clone()
                    .unwrap_or_else(|| department_name.clone()),
                municipality_name,
                department_name,
                department_code: r.department_code,
                co_providers: co_providers.remove(&r.id).unwrap_or_default(),
                entity_label: r.entity_type.label(),
                capacities: capacity_links.remove(&r.id).unwrap_or_default(),
                status_label: r.status.label(),
                staff: staff.remove(&r.id).unwrap_or_default(),
                demand_ids: demands.remove(&r.id).unwrap_or_default(),
                milestones: milestones.remove(&r.id).unwrap_or_default(),
                visits: visits.get(&r.id).copied().unwrap_or_default(),
                diagnosis: diagnoses.remove(&r.id),
                work_plan: plans.remove(&r.id),
                evaluation,
                id: r.id,
                municipality_code: r.municipality_code,
                entity_type: r.entity_type,
                objective: r.objective,
                starts_on: r.starts_on,
                ends_on: r.ends_on,
                modality: r.modality,
                status: r.status,
                cancellation_reason: r.cancellation_reason,
                objective_reached: r.objective_reached,
                closing_summary: r.closing_summary,
                contact_confirmed,
                contact_confirmed_by: r.contact_confirmed_by.filter(|_| contact_confirmed).map(
                    |id| StaffRef {
                        id,
                        full_name: people.get(&id).cloned().unwrap_or_default(),
                    },
                ),
                contact_confirmed_at: r.contact_confirmed_at.filter(|_| contact_confirmed),
                contact_email: r.contact_email,
            }
        })
        .collect())
}

/// The capacities each of these assistances develops, by capacity.
async fn capacities_of<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
) -> AppResult<HashMap<i32, Vec<CapacityRef>>> {
    let capacities: HashMap<i32, capacity::Model> = capacity::Entity::find()
        .all_mapped(db, |c| (c.id, c))
        .await?;
    let mut capacity_links: HashMap<i32, Vec<CapacityRef>> = HashMap::new();
    for link in assistance_capacity::Entity::find()
        .filter(assistance_capacity::Column::AssistanceId.is_in(ids.to_vec()))
        .order_by_asc(assistance_capacity::Column::CapacityId)
        .all(db)
        .await?
    {
        if let Some(c) = capacities.get(&link.capacity_id) {
            capacity_links
                .entry(link.assistance_id)
                .or_default()
                .push(CapacityRef {
                    id: c.id,
                    code: c.code.clone(),
                    name: c.name.clone(),
                });
        }
    }
    Ok(capacity_links)
}

/// The staff of each of these assistances, and the names of the people involved (its staff
/// and whoever confirmed a contact).
async fn staff_of<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
    rows: &[assistance::Model],
) -> AppResult<(HashMap<i32, Vec<StaffRef>>, HashMap<i32, String>)> {
    let staff_links = assistance_staff::Entity::find()
        .filter(assistance_staff::Column::AssistanceId.is_in(ids.to_vec()))
        .all(db)
        .await?;
    let people = crate::accounts::names(
        db,
        staff_links
            .iter()
            .map(|s| s.user_id)
            .chain(rows.iter().filter_map(|r| r.contact_confirmed_by)),
    )
    .await?;
    let mut staff: HashMap<i32, Vec<StaffRef>> = HashMap::new();
    for link in staff_links {
        staff.entry(link.assistance_id).or_default().push(StaffRef {
            id: link.user_id,
            full_name: people.get(&link.user_id).cloned().unwrap_or_default(),
        });
    }
    Ok((staff, people))
}

/// The demands each of these assistances answers, by demand.
async fn demands_of<C: ConnectionTrait>(db: &C, ids: &[i32]) -> AppResult<HashMap<i32, Vec<i32>>> {
    let mut demands: HashMap<i32, Vec<i32>> = HashMap::new();
    for link in assistance_demand::Entity::find()
        .filter(assistance_demand::Column::AssistanceId.is_in(ids.to_vec()))
        .order_by_asc(assistance_demand::Column::DemandId)
        .all(db)
        .await?
    {
        demands
            .entry(link.assistance_id)
            .or_default()
            .push(link.demand_id);
    }
    Ok(demands)
}

/// The milestones of each of these assistances, by due date, each overdue or not today.
async fn milestones_of<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
) -> AppResult<HashMap<i32, Vec<MilestoneView>>> {
    let today = crate::time::today();
    let mut milestones: HashMap<i32, Vec<MilestoneView>> = HashMap::new();
    for m in assistance_milestone::Entity::find()
        .filter(assistance_milestone::Column::AssistanceId.is_in(ids.to_vec()))
        .order_by_asc(assistance_milestone::Column::DueOn)
        .order_by_asc(assistance_milestone::Column::Id)
        .all(db)
        .await?
    {
        milestones
            .entry(m.assistance_id)
            .or_default()
            .push(MilestoneView {
                overdue: m.done_on.is_none() && m.due_on < today,
                id: m.id,
                title: m.title,
                due_on: m.due_on,
                done_on: m.done_on,
            });
    }
    Ok(milestones)
}

/// How many visits each of these assistances has.
async fn visits_of<C: ConnectionTrait>(db: &C, ids: &[i32]) -> AppResult<HashMap<i32, u64>> {
    let mut visits: HashMap<i32, u64> = HashMap::new();
    for v in assistance_visit::Entity::find()
        .filter(assistance_visit::Column::AssistanceId.is_in(ids.to_vec()))
        .all(db)
        .await?
    {
        *visits.entry(v.assistance_id).or_default() += 1;
    }
    Ok(visits)
}

/// The names of these assistances' municipalities, by code.
async fn place_names<C: ConnectionTrait>(
    db: &C,
    rows: &[assistance::Model],
) -> AppResult<HashMap<String, String>> {
    Ok(municipality::Entity::find()
        .filter(
            municipality::Column::Code
                .is_in(rows.iter().filter_map(|r| r.municipality_code.clone())),
        )
        .all_mapped(db, |m| (m.code, m.name))
        .await?)
}

/// An assistance's evaluation, once it has one.
fn evaluation_of(r: &assistance::Model) -> Option<EvaluationView> {
    match (r.evaluation_usefulness, r.evaluated_at) {
        (Some(usefulness), Some(evaluated_at)) => Some(EvaluationView {
            usefulness,
            comment: r.evaluation_comment.clone(),
            evaluated_at,
        }),
        _ => None,
    }
}

/// A milestone to add.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct MilestoneInput {
    #[schema(max_length = 160)]
    pub title: Option<String>,
    #[schema(value_type = Option<NaiveDate>)]
    pub due_on: Option<String>,
}

/// A milestone's title and due date, checked by the rules of [`add_milestone`] (every problem
/// at once, 422); the import of assistances checks its rows with it.
pub fn check_milestone(input: &MilestoneInput) -> AppResult<(String, NaiveDate)> {
    let mut errors = Vec::new();
    let title = validate::required(
        "title",
        validate::single_line(
            "title",
            input.title.as_deref().unwrap_or(""),
            validate::TITLE_MAX,
        ),
        "Escriba el hito.",
        &mut errors,
    );
    let due_on = crate::parse::date("due_on", input.due_on.as_deref(), true, &mut errors);
    let (Some(title), Some(due_on), true) = (title, due_on, errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    Ok((title, due_on))
}

/// The day a milestone was done (`None`: not done), checked by the rules of
/// [`mark_milestone`]: a date, never a future one (422).
pub fn check_done_on(done_on: Option<&str>) -> AppResult<Option<NaiveDate>> {
    let mut errors = Vec::new();
    let done = crate::parse::date("done_on", done_on, false, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    if done.is_some_and(|d| d > crate::time::today()) {
        return Err(AppError::invalid(
            "done_on",
            "Un hito no se marca cumplido en una fecha futura.",
        ));
    }
    Ok(done)
}

/// A milestone added to an assistance (`assistance.milestone_added`).
#[derive(Serialize)]
struct MilestoneAdded<'a> {
    milestone: i32,
    title: &'a str,
    due_on: NaiveDate,
}

/// A milestone's done date around a mark (`assistance.milestone_marked`).
#[derive(Serialize)]
struct MilestoneDone {
    milestone: i32,
    done_on: Option<NaiveDate>,
}

impl MilestoneDone {
    fn of(row: &assistance_milestone::Model) -> Self {
        MilestoneDone {
            milestone: row.id,
            done_on: row.done_on,
        }
    }
}

/// Adds a milestone to the plan (409 once the assistance is closed or cancelled), audited.
pub async fn add_milestone<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    id: i32,
    input: &MilestoneInput,
) -> AppResult<MilestoneView> {
    let current = find_managed(db, user, id).await?;
    if current.status.is_final() {
        return Err(AppError::Conflict(
            "La asistencia ya terminó: su plan no cambia.".into(),
        ));
    }
    let (title, due_on) = check_milestone(input)?;
    let saved = assistance_milestone::ActiveModel {
        assistance_id: Set(id),
        title: Set(title),
        due_on: Set(due_on),
        done_on: Set(None),
        created_at: Set(crate::time::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    audit::record(
        db,
        Change {
            actor: Some(user.id),
            action: "assistance.milestone_added",
            subject_type: "assistance",
            subject_id: id.to_string(),
            before: None,
            after: serde_json::to_value(MilestoneAdded {
                milestone: saved.id,
                title: &saved.title,
                due_on: saved.due_on,
            })
            .ok(),
        },
    )
    .await?;
    Ok(MilestoneView {
        overdue: saved.due_on < crate::time::today(),
        id: saved.id,
        title: saved.title,
        due_on: saved.due_on,
        done_on: None,
    })
}

/// Marks a milestone done on a date (`Some(Some(date))`) or not done (`Some(None)`); absent
/// (`None`) is a 422. Audited.
pub async fn mark_milestone<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    milestone_id: i32,
    done_on: Option<Option<&str>>,
) -> AppResult<MilestoneView> {
    let row = assistance_milestone::Entity::find_by_id(milestone_id)
        .found(db)
        .await?;
    let parent = find_managed(db, user, row.assistance_id).await?;
    if parent.status == AssistanceStatus::Cancelled {
        return Err(AppError::Conflict(
            "La asistencia está cancelada: su plan no cambia.".into(),
        ));
    }
    let Some(done_on) = done_on else {
        return Err(AppError::invalid(
            "done_on",
            "Indique la fecha en que se cumplió el hito (o null si no se ha cumplido).",
        ));
    };
    let done = check_done_on(done_on)?;
    let mut model: assistance_milestone::ActiveModel = row.clone().into();
    model.done_on = Set(done);
    let saved = model.update(db).await?;
    audit::record(
        db,
        Change {
            actor: Some(user.id),
            action: "assistance.milestone_marked",
            subject_type: "assistance",
            subject_id: row.assistance_id.to_string(),
            before: serde_json::to_value(MilestoneDone::of(&row)).ok(),
            after: serde_json::to_value(MilestoneDone::of(&saved)).ok(),
        },
    )
    .await?;
    Ok(MilestoneView {
        overdue: saved.done_on.is_none() && saved.due_on < crate::time::today(),
        id: saved.id,
        title: saved.title,
        due_on: saved.due_on,
        done_on: saved.done_on,
    })
}

/// The entity's evaluation, as sent through the emailed link or by the liaison.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct EvaluationInput {
    #[schema(minimum = 1, maximum = 5)]
    pub usefulness: Option<i64>,
    #[schema(max_length = 4000)]
    pub comment: Option<String>,
}

/// The entity's evaluation of a closed assistance (`assistance.evaluated`).
#[derive(Serialize)]
struct Evaluated {
    usefulness: Option<i32>,
}

/// Records the entity's evaluation of a closed assistance once: through the emailed link
/// (`token`) or by the municipality's liaison (`user`). 409 if already evaluated or not
/// closed; 404 for a link that is not one.
pub async fn evaluate<C: ConnectionTrait>(
    db: &C,
    who: Evaluator<'_>,
    input: &EvaluationInput,
) -> AppResult<AssistanceView> {
    let row = match who {
        Evaluator::Link(token) => {
            assistance::Entity::find()
                .filter(
                    assistance::Column::EvaluationTokenHash
                        .eq(crate::accounts::secrets::token_hash(token)),
                )
                .found(db)
                .await?
        }
        Evaluator::Liaison(user, id) => {
            if user.role != Role::Liaison {
                return Err(AppError::Forbidden);
            }
            find_visible(db, user, id).await?
        }
    };
    if row.status != AssistanceStatus::Closed {
        return Err(AppError::Conflict(
            "La asistencia se evalúa cuando se cierra.".into(),
        ));
    }
    if row.evaluated_at.is_some() {
        return Err(AppError::Conflict(
            "La entidad ya evaluó esta asistencia.".into(),
        ));
    }
    let mut errors = Vec::new();
    let usefulness = match input.usefulness {
        Some(n @ 1..=5) => Some(n as i32),
        _ => {
            errors.push(FieldError::new(
                "usefulness",
                "Califique la utilidad de 1 (nada útil) a 5 (muy útil).",
            ));
            None
        }
    };
    let comment = match validate::multi_line(
        "comment",
        input.comment.as_deref().unwrap_or(""),
        validate::DESCRIPTION_MAX,
    ) {
        Ok(c) => c,
        Err(e) => {
            errors.push(e);
            None
        }
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let at = crate::time::now();
    let mut model: assistance::ActiveModel = row.clone().into();
    model.evaluation_usefulness = Set(usefulness);
    model.evaluation_comment = Set(comment);
    model.evaluated_at = Set(Some(at));
    model.evaluation_token_hash = Set(None);
    model.update(db).await?;
    audit::record(
        db,
        Change {
            actor: match who {
                Evaluator::Liaison(user, _) => Some(user.id),
                Evaluator::Link(_) => None,
            },
            action: "assistance.evaluated",
            subject_type: "assistance",
            subject_id: row.id.to_string(),
            before: None,
            after: serde_json::to_value(Evaluated { usefulness }).ok(),
        },
    )
    .await?;
    view(db, row.id).await
}

/// The closed assistance a still-unused evaluation link points to (404 otherwise).
pub async fn by_evaluation_link<C: ConnectionTrait>(
    db: &C,
    token: &str,
) -> AppResult<AssistanceView> {
    let row = assistance::Entity::find()
        .filter(
            assistance::Column::EvaluationTokenHash.eq(crate::accounts::secrets::token_hash(token)),
        )
        .found(db)
        .await?;
    view(db, row.id).await
}

/// Who evaluates an assistance for its entity.
#[derive(Clone, Copy)]
pub enum Evaluator<'a> {
    /// Whoever holds the link emailed to the entity's contact.
    Link(&'a str),
    /// The municipality's liaison, signed in, for assistance `id`.
    Liaison(&'a Actor, i32),
}
