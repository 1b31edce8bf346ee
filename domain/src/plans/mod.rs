//! The year's plan (issue 47, first slice): a provider's plan de trabajo for a vigencia — ESAP's
//! national one or one per territorial direction, a gobernación's for its department — with
//! lines (a capacity, optionally a course of the provider, the municipalities targeted or a
//! rule, goals and a budget by source). States: draft → approved (by an act: who recorded it,
//! when, which act) → amended (every amendment a new version with its reason; what a version
//! held is never rewritten) → closed, read from the year: a plan whose year has ended is closed
//! and changes no more (no job writes it; see `docs/DECISIONS.md`).
//!
//! Who: a coordinator writes its provider's plans (a territorial direction's coordinator, its
//! direction's only); an admin any. Reading ([`scope::PlanScope`]): a draft is read by whoever
//! may write it; approved plans by every coordinator, and by a gobernación's reviewer when they
//! reach its department (its department's plans whole; of the others, the lines that reach
//! it). Liaisons, instructors and participants: 403. Out of scope: 404.

pub mod comparison;
pub mod demo;
pub mod lifecycle;
pub mod lines;
pub mod progress;
pub mod scope;
pub mod workbook;

use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::catalogue::courses::CapacityRef;
use crate::entities::values::{BudgetSource, PlanStatus, ProviderKind, Role, TargetRule};
use crate::entities::{
    capacity, course, department, municipality, plan, plan_line, plan_line_budget,
    plan_line_municipality, plan_line_version, plan_version, provider, territorial_direction,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::providers::ProviderRef;
use crate::rows::Found;
use crate::rows::Rows;
use crate::validate;
use chrono::{DateTime, Datelike, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

pub use scope::PlanScope;

/// How many lines a plan holds at most.
pub const LINES_MAX: usize = 200;

/// The largest amount of one source of one line: one billón de pesos (ESAP's whole yearly
/// budget is below it). Anything larger is a typing mistake.
pub const AMOUNT_MAX: i64 = 1_000_000_000_000;

/// A whole number as it was sent: by the API a JSON integer (anything else is refused by the
/// JSON guard, 422), by a page the text typed (`12.000.000`, `$ 12.000.000`), read by the
/// rules so every problem is answered at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Whole {
    Number(i64),
    Typed(String),
}

impl<'de> Deserialize<'de> for Whole {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        i64::deserialize(deserializer).map(Whole::Number)
    }
}

impl Whole {
    /// The text a page typed: empty is none.
    pub fn typed(text: &str) -> Option<Whole> {
        let text = text.trim();
        (!text.is_empty()).then(|| Whole::Typed(text.to_string()))
    }

    /// The number, or `Err` with what was typed when it is not a whole number (thousands
    /// points, spaces and a leading `$` are allowed in typed text).
    fn value(&self) -> Result<i64, String> {
        match self {
            Whole::Number(n) => Ok(*n),
            Whole::Typed(text) => {
                let cleaned: String = text
                    .trim()
                    .trim_start_matches('$')
                    .chars()
                    .filter(|c| !matches!(c, '.' | ' ' | '\u{a0}'))
                    .collect();
                if cleaned.is_empty()
                    || !cleaned
                        .trim_start_matches('-')
                        .chars()
                        .all(|c| c.is_ascii_digit())
                {
                    return Err(text.clone());
                }
                cleaned.parse::<i64>().map_err(|_| text.clone())
            }
        }
    }
}

/// Reads `value` as a whole number from `min` to `max`; records a problem for `field` with
/// `what` («La meta», «El monto») otherwise.
pub(crate) fn whole(
    field: &str,
    what: &str,
    value: Option<&Whole>,
    (min, max): (i64, i64),
    errors: &mut Vec<FieldError>,
) -> Option<i64> {
    let n = match value?.value() {
        Ok(n) => n,
        Err(typed) => {
            errors.push(FieldError::new(
                field,
                format!("«{typed}» no es un número entero (sin decimales)."),
            ));
            return None;
        }
    };
    if n < min {
        errors.push(FieldError::new(
            field,
            if min > 0 {
                format!("{what} debe ser mayor que cero, en pesos enteros.")
            } else {
                format!("{what} no puede ser negativa: escriba cero o más.")
            },
        ));
        return None;
    }
    if n > max {
        errors.push(FieldError::new(
            field,
            format!(
                "{what} supera el máximo admitido ({}).",
                if min > 0 {
                    crate::format::pesos(max)
                } else {
                    crate::format::thousands(max)
                }
            ),
        ));
        return None;
    }
    Some(n)
}

/// What a coordinator sends to create a plan (`year` and `name` required).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct PlanInput {
    /// The provider whose plan it is: an admin's choice (ESAP when absent); a coordinator's is
    /// its own provider.
    pub provider_id: Option<i32>,
    /// ESAP only: the territorial direction whose plan it is (none: ESAP's national plan). A
    /// territorial direction's coordinator writes its direction's plan only.
    pub territorial_direction_id: Option<i32>,
    /// A gobernación's plan names its department (its own; filled in when absent).
    #[schema(example = "18")]
    pub department_code: Option<String>,
    /// The vigencia: this year or the next.
    #[schema(example = 2026)]
    pub year: Option<i32>,
    #[schema(
        max_length = 160,
        example = "Plan de formación y asistencia técnica 2026"
    )]
    pub name: Option<String>,
}

/// `{"id", "name"}` of a territorial direction.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = PlanDirection)]
pub struct DirectionRef {
    pub id: i32,
    #[schema(example = "Dirección Territorial Meta")]
    pub name: String,
}

/// `{"id", "full_name"}` of the person who recorded something.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = PlanPerson)]
pub struct PersonRef {
    pub id: i32,
    pub full_name: String,
}

/// The approval: by which act, who recorded it and when.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = PlanApproval)]
pub struct ApprovalView {
    #[schema(example = "Resolución 0123 del 30 de enero de 2026")]
    pub act: String,
    pub approved_by: Option<PersonRef>,
    pub approved_at: DateTime<Utc>,
}

/// One version of a plan: 1 as approved, then one per amendment with its reason.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = PlanVersion)]
pub struct VersionView {
    pub number: i32,
    /// Why the amendment was made (none for version 1).
    pub reason: Option<String>,
    pub created_by: Option<PersonRef>,
    pub created_at: DateTime<Utc>,
}

/// The goals' names as people read them, in the order of [`Goals`].
pub const GOAL_LABELS: [&str; 5] = [
    "Cohortes",
    "Personas formadas",
    "Personas certificadas",
    "Asistencias técnicas cerradas con su objetivo",
    "Municipios alcanzados",
];

/// The goals of a line (each optional).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = PlanGoals)]
pub struct Goals {
    pub cohorts: Option<i32>,
    pub people_trained: Option<i32>,
    pub people_certified: Option<i32>,
    /// Assistances closed with their objective reached.
    pub assistances_closed: Option<i32>,
    pub municipalities_reached: Option<i32>,
}

impl Goals {
    /// The goals a line version holds.
    pub(crate) fn of(f: &plan_line_version::Model) -> Goals {
        Goals {
            cohorts: f.goal_cohorts,
            people_trained: f.goal_people_trained,
            people_certified: f.goal_people_certified,
            assistances_closed: f.goal_assistances_closed,
            municipalities_reached: f.goal_municipalities_reached,
        }
    }

    fn any(&self) -> bool {
        [
            self.cohorts,
            self.people_trained,
            self.people_certified,
            self.assistances_closed,
            self.municipalities_reached,
        ]
        .iter()
        .any(Option::is_some)
    }
}

/// The OpenAPI example of a plan's municipalities.
fn codes_example() -> [&'static str; 2] {
    ["50325", "50450"]
}

/// A line's targets: the municipalities it lists, or a rule; neither is the plan's whole
/// territory.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = PlanTargets)]
pub struct TargetsView {
    #[schema(example = codes_example)]
    pub municipality_codes: Vec<String>,
    pub rule: Option<TargetRule>,
}

/// A municipality named by a line.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = PlanMunicipality)]
pub struct MunicipalityRef {
    #[schema(example = "50325")]
    pub code: String,
    #[schema(example = "Mapiripán")]
    pub name: String,
}

/// A line's budget from one source, in whole pesos.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = PlanBudgetItem)]
pub struct BudgetItem {
    pub source: BudgetSource,
    #[schema(example = "Inversión")]
    pub source_label: &'static str,
    #[schema(example = 12_000_000)]
    pub amount: i64,
}

/// `{"id", "code", "name"}` of a course.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = PlanCourse)]
pub struct CourseRef {
    pub id: i32,
    pub code: String,
    pub name: String,
}

/// A plan line as it stands in one version.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = PlanLine)]
pub struct LineView {
    /// The line's id: the same in every version of the plan.
    pub id: i32,
    pub position: i32,
    pub capacity: CapacityRef,
    pub course: Option<CourseRef>,
    pub targets: TargetsView,
    /// The targets in words: «Municipios PDET», «Mapiripán, Puerto Gaitán y Vista Hermosa»,
    /// «Todo el país».
    pub targets_label: String,
    pub municipalities: Vec<MunicipalityRef>,
    pub goals: Goals,
    pub budget: Vec<BudgetItem>,
    pub budget_total: i64,
    /// The version from which these figures hold (the line's last change).
    pub since_version: i32,
    /// The version that added the line.
    pub added_in_version: i32,
}

/// A plan's budget: total and per source, over the lines shown.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = PlanBudget)]
pub struct BudgetView {
    pub total: i64,
    pub by_source: Vec<BudgetItem>,
}

/// A plan as the API and its page show it, in one version.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Plan)]
pub struct PlanView {
    pub id: i32,
    pub provider: ProviderRef,
    #[schema(example = 2026)]
    pub year: i32,
    pub territorial_direction: Option<DirectionRef>,
    #[schema(example = "18")]
    pub department_code: Option<String>,
    /// Where the plan applies: «Nacional», the direction's name, the department's name.
    pub territory_label: String,
    pub name: String,
    /// `closed` once its year has ended (a draft stays a draft).
    pub status: PlanStatus,
    pub status_label: &'static str,
    /// The version shown (`?version=N`; the current one by default).
    pub version: i32,
    pub current_version: i32,
    pub approval: Option<ApprovalView>,
    /// Every version, oldest first.
    pub versions: Vec<VersionView>,
    pub lines: Vec<LineView>,
    /// Only the lines that reach the caller's department are listed (a gobernación reading
    /// another territory's plan); totals are over them.
    pub lines_partial: bool,
    pub budget: BudgetView,
}

/// A plan in a list: its current version's figures.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = PlanSummary)]
pub struct PlanSummary {
    pub id: i32,
    pub provider: ProviderRef,
    pub year: i32,
    pub territorial_direction: Option<DirectionRef>,
    pub department_code: Option<String>,
    pub territory_label: String,
    pub name: String,
    pub status: PlanStatus,
    pub status_label: &'static str,
    pub version: i32,
    pub approval: Option<ApprovalView>,
    /// Lines of the current version (those that reach the caller, for a gobernación).
    pub lines: usize,
    pub budget_total: i64,
}

/// What a plan list is filtered by.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub year: Option<i32>,
    pub provider: Option<i32>,
}

/// The status people read: a plan of a year that has ended is closed (a draft stays a draft).
pub fn status_of(row: &plan::Model) -> PlanStatus {
    if has_ended(row) && row.status != PlanStatus::Draft {
        PlanStatus::Closed
    } else {
        row.status
    }
}

/// Whether the plan's year is over (in Colombia).
pub fn has_ended(row: &plan::Model) -> bool {
    row.year < crate::time::today().year()
}

/// Refuses a change to a plan whose year has ended (409).
pub fn ensure_open(row: &plan::Model) -> AppResult<()> {
    if !has_ended(row) {
        return Ok(());
    }
    Err(AppError::Conflict(if row.status == PlanStatus::Draft {
        format!(
            "La vigencia {} terminó sin que el plan se aprobara: el borrador ya no cambia.",
            row.year
        )
    } else {
        format!(
            "La vigencia {} terminó: el plan quedó cerrado y ya no cambia.",
            row.year
        )
    }))
}

/// The plan if `user` reads it; 404 otherwise (403 for roles that read no plans).
pub async fn find_visible<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    id: i32,
) -> AppResult<(plan::Model, PlanScope)> {
    let scope = PlanScope::of(db, user).await?;
    let row = plan::Entity::find_by_id(id)
        .filter(scope.condition())
        .found(db)
        .await?;
    Ok((row, scope))
}

/// The plan if `user` writes it: an admin any; a coordinator its provider's (a territorial
/// direction's coordinator, its direction's). 404 otherwise, as if it did not exist; 403 for
/// roles that write no plans.
pub async fn find_managed<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    id: i32,
) -> AppResult<plan::Model> {
    if !user.is_staff() {
        return Err(AppError::Forbidden);
    }
    let (row, scope) = find_visible(db, user, id).await?;
    if !scope.manages(&row) {
        return Err(AppError::NotFound);
    }
    Ok(row)
}

/// Whether `user` writes the plan (for the pages' buttons).
pub async fn manages<C: ConnectionTrait>(db: &C, user: &Actor, row: &plan::Model) -> bool {
    user.is_staff()
        && PlanScope::of(db, user)
            .await
            .is_ok_and(|scope| scope.manages(row))
}

/// The years a plan may be created for, counted from today in Colombia: this one and the next.
pub fn open_years() -> [i32; 2] {
    let year = crate::time::today().year();
    [year, year + 1]
}

/// The checked fields of a new plan.
struct NewPlan {
    provider: provider::Model,
    direction: Option<territorial_direction::Model>,
    department_code: Option<String>,
    year: i32,
    name: String,
}

/// Every rule at once (422 with every problem): the provider (a coordinator's own), a
/// direction only for ESAP (a direction's coordinator, its own), a gobernación's department,
/// this year or the next, a name.
async fn check_new<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    input: &PlanInput,
) -> AppResult<NewPlan> {
    let mut errors = Vec::new();
    let provider_id = match (user.role, input.provider_id) {
        (Role::Admin, Some(id)) => id,
        (Role::Admin, None) => crate::providers::ESAP,
        (_, Some(id)) if id != user.provider_id => {
            errors.push(FieldError::new(
                "provider_id",
                "Solo puede crear planes de su propio oferente.",
            ));
            user.provider_id
        }
        _ => user.provider_id,
    };
    let provider = provider::Entity::find_by_id(provider_id).one(db).await?;
    match &provider {
        None => errors.push(FieldError::new(
            "provider_id",
            format!("No existe un oferente con el id {provider_id}."),
        )),
        Some(p) if !p.active => errors.push(FieldError::new(
            "provider_id",
            format!("El oferente {} está inactivo.", p.name),
        )),
        Some(_) => {}
    }
    let esap = provider_id == crate::providers::ESAP;
    // The direction: ESAP's only; a direction's coordinator writes its own.
    let own_direction = user.direction_departments().and(user.direction.as_ref());
    let direction_id = match (input.territorial_direction_id, own_direction) {
        (Some(id), Some(own)) if id != own.id => {
            errors.push(FieldError::new(
                "territorial_direction_id",
                format!(
                    "Usted coordina la {}: su plan es el de esa dirección.",
                    own.name
                ),
            ));
            None
        }
        (None, Some(own)) => Some(own.id),
        (chosen, _) => chosen,
    };
    let direction = match direction_id {
        None => None,
        Some(_) if !esap => {
            errors.push(FieldError::new(
                "territorial_direction_id",
                "Las direcciones territoriales son de la ESAP: el plan de otro oferente no \
                 lleva dirección.",
            ));
            None
        }
        Some(id) => {
            let found = territorial_direction::Entity::find_by_id(id)
                .one(db)
                .await?;
            if found.is_none() {
                errors.push(FieldError::new(
                    "territorial_direction_id",
                    format!("No existe una dirección territorial con el id {id}."),
                ));
            }
            found
        }
    };
    // A gobernación's department.
    let typed_department = input
        .department_code
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty());
    let department_code = match &provider {
        Some(p) if p.kind == ProviderKind::Gobernacion => {
            let own = p.department_code.clone();
            if let (Some(typed), Some(own)) = (typed_department, own.as_deref())
                && typed != own
            {
                errors.push(FieldError::new(
                    "department_code",
                    format!(
                        "El plan de {} es el de su departamento (código {own}).",
                        p.name
                    ),
                ));
            }
            own
        }
        _ => {
            if typed_department.is_some() {
                errors.push(FieldError::new(
                    "department_code",
                    "Solo el plan de una gobernación nombra un departamento.",
                ));
            }
            None
        }
    };
    let years = open_years();
    let year = match input.year {
        None => {
            errors.push(FieldError::new("year", "Indique la vigencia (el año)."));
            None
        }
        Some(y) if !years.contains(&y) => {
            errors.push(FieldError::new(
                "year",
                format!(
                    "La vigencia debe ser {} o {}: un plan se formula para el año en curso o \
                     el siguiente.",
                    years[0], years[1]
                ),
            ));
            None
        }
        Some(y) => Some(y),
    };
    let name = validate::required(
        "name",
        validate::single_line(
            "name",
            input.name.as_deref().unwrap_or_default(),
            validate::TITLE_MAX,
        ),
        "Escriba el nombre del plan.",
        &mut errors,
    );
    match (provider, year, name) {
        (Some(provider), Some(year), Some(name)) if errors.is_empty() => Ok(NewPlan {
            provider,
            direction,
            department_code,
            year,
            name,
        }),
        _ => Err(AppError::Validation(errors)),
    }
}

/// A plan created (`plan.created`).
#[derive(Serialize)]
struct Created<'a> {
    provider_id: i32,
    year: i32,
    territorial_direction_id: Option<i32>,
    department_code: Option<&'a str>,
    name: &'a str,
}

/// Creates a draft plan (version 1, no lines). One plan per provider, year and direction or
/// department: a second is refused (409) naming the first. Audited.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    input: &PlanInput,
) -> AppResult<PlanView> {
    if !user.is_staff() {
        return Err(AppError::Forbidden);
    }
    let checked = check_new(db, user, input).await?;
    let direction_id = checked.direction.as_ref().map(|d| d.id);
    let existing = plan::Entity::find()
        .filter(plan::Column::ProviderId.eq(checked.provider.id))
        .filter(plan::Column::Year.eq(checked.year))
        .filter(match direction_id {
            Some(id) => plan::Column::TerritorialDirectionId.eq(id),
            None => plan::Column::TerritorialDirectionId.is_null(),
        })
        .filter(match &checked.department_code {
            Some(code) => plan::Column::DepartmentCode.eq(code.as_str()),
            None => plan::Column::DepartmentCode.is_null(),
        })
        .one(db)
        .await?;
    if let Some(existing) = existing {
        let whose = match &checked.direction {
            Some(d) => format!("la {}", d.name),
            None => checked.provider.name.clone(),
        };
        return Err(AppError::Conflict(format!(
            "Ya existe el plan {} de {whose} para {} («{}»): ábralo y complételo en lugar de \
             crear otro.",
            existing.id, checked.year, existing.name
        )));
    }
    let at = crate::time::now();
    let row = plan::ActiveModel {
        provider_id: Set(checked.provider.id),
        year: Set(checked.year),
        territorial_direction_id: Set(direction_id),
        department_code: Set(checked.department_code.clone()),
        name: Set(checked.name.clone()),
        status: Set(PlanStatus::Draft),
        version: Set(1),
        approval_act: Set(None),
        approved_by: Set(None),
        approved_at: Set(None),
        created_by: Set(Some(user.id)),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| match e.sql_err() {
        // The same plan created by another request meanwhile.
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => AppError::Conflict(format!(
            "Ya existe un plan de {} para {} en ese territorio: ábralo y complételo en lugar de \
             crear otro.",
            checked.provider.name, checked.year
        )),
        _ => AppError::from(e),
    })?;
    plan_version::Entity::insert(plan_version::ActiveModel {
        plan_id: Set(row.id),
        number: Set(1),
        reason: Set(None),
        created_by: Set(Some(user.id)),
        created_at: Set(at),
    })
    .exec_without_returning(db)
    .await?;
    audit::record(
        db,
        Change {
            actor: Some(user.id),
            action: "plan.created",
            subject_type: "plan",
            subject_id: row.id.to_string(),
            before: None,
            after: serde_json::to_value(Created {
                provider_id: row.provider_id,
                year: row.year,
                territorial_direction_id: row.territorial_direction_id,
                department_code: row.department_code.as_deref(),
                name: &row.name,
            })
            .ok(),
        },
    )
    .await?;
    let scope = PlanScope::of(db, user).await?;
    view(db, &scope, &row, None).await
}

/// A line version's rows: the line, its figures, municipalities and budget.
#[derive(Clone, Debug)]
pub(crate) struct LineRows {
    pub line: plan_line::Model,
    pub figures: plan_line_version::Model,
    pub municipalities: Vec<String>,
    pub budget: Vec<(BudgetSource, i64)>,
}

/// The lines of each `(plan, version)`, in their order.
pub(crate) async fn load_lines<C: ConnectionTrait>(
    db: &C,
    wanted: &[(i32, i32)],
) -> AppResult<HashMap<i32, Vec<LineRows>>> {
    let mut out: HashMap<i32, Vec<LineRows>> = HashMap::new();
    if wanted.is_empty() {
        return Ok(out);
    }
    let versions: HashMap<i32, i32> = wanted.iter().copied().collect();
    let plan_ids: Vec<i32> = versions.keys().copied().collect();
    let figures: Vec<plan_line_version::Model> = plan_line_version::Entity::find()
        .filter(plan_line_version::Column::PlanId.is_in(plan_ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .filter(|f| versions.get(&f.plan_id) == Some(&f.version))
        .collect();
    let figure_ids: Vec<i32> = figures.iter().map(|f| f.id).collect();
    let lines: HashMap<i32, plan_line::Model> = plan_line::Entity::find()
        .filter(plan_line::Column::PlanId.is_in(plan_ids))
        .all_mapped(db, |l| (l.id, l))
        .await?;
    let mut municipalities: HashMap<i32, Vec<String>> = HashMap::new();
    let mut budgets: HashMap<i32, Vec<(BudgetSource, i64)>> = HashMap::new();
    for chunk in figure_ids.chunks(1_000) {
        for m in plan_line_municipality::Entity::find()
            .filter(plan_line_municipality::Column::LineVersionId.is_in(chunk.to_vec()))
            .order_by_asc(plan_line_municipality::Column::MunicipalityCode)
            .all(db)
            .await?
        {
            municipalities
                .entry(m.line_version_id)
                .or_default()
                .push(m.municipality_code);
        }
        for b in plan_line_budget::Entity::find()
            .filter(plan_line_budget::Column::LineVersionId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            budgets
                .entry(b.line_version_id)
                .or_default()
                .push((b.source, b.amount));
        }
    }
    for f in figures {
        let Some(line) = lines.get(&f.line_id) else {
            continue;
        };
        let mut budget = budgets.remove(&f.id).unwrap_or_default();
        budget.sort_by_key(|(s, _)| source_rank(*s));
        out.entry(f.plan_id).or_default().push(LineRows {
            line: line.clone(),
            municipalities: municipalities.remove(&f.id).unwrap_or_default(),
            budget,
            figures: f,
        });
    }
    for rows in out.values_mut() {
        rows.sort_by_key(|r| (r.line.position, r.line.id));
    }
    Ok(out)
}

/// A source's place in the order people read them.
pub(crate) fn source_rank(source: BudgetSource) -> usize {
    BudgetSource::ALL
        .iter()
        .position(|s| *s == source)
        .unwrap_or(BudgetSource::ALL.len())
}

/// Names the views need, looked up once.
struct Names {
    providers: HashMap<i32, ProviderRef>,
    directions: HashMap<i32, String>,
    departments: HashMap<String, String>,
}

impl Names {
    async fn load<C: ConnectionTrait>(db: &C) -> AppResult<Self> {
        Ok(Names {
            providers: crate::providers::names(db).await?,
            directions: territorial_direction::Entity::find()
                .all_mapped(db, |d| (d.id, d.name))
                .await?,
            departments: department::Entity::find()
                .all_mapped(db, |d| (d.code, d.name))
                .await?,
        })
    }

    fn provider(&self, id: i32) -> ProviderRef {
        self.providers.get(&id).cloned().unwrap_or(ProviderRef {
            id,
            name: String::new(),
        })
    }

    fn direction(&self, row: &plan::Model) -> Option<DirectionRef> {
        row.territorial_direction_id.map(|id| DirectionRef {
            id,
            name: self.directions.get(&id).cloned().unwrap_or_default(),
        })
    }

    fn territory(&self, row: &plan::Model) -> String {
        if let Some(direction) = self.direction(row) {
            return direction.name;
        }
        match &row.department_code {
            Some(code) => self
                .departments
                .get(code)
                .cloned()
                .unwrap_or_else(|| code.clone()),
            None => "Nacional".to_string(),
        }
    }

    /// Where a rule applies: «todo el país», the direction's name, the department's name.
    fn scope(&self, row: &plan::Model) -> String {
        match (row.territorial_direction_id, &row.department_code) {
            (None, None) => "todo el país".to_string(),
            _ => self.territory(row),
        }
    }

    /// The whole territory of a plan in words, for a line without targets.
    fn whole_territory(&self, row: &plan::Model) -> String {
        if let Some(direction) = self.direction(row) {
            return format!("Todos los municipios de la {}", direction.name);
        }
        match &row.department_code {
            Some(code) => format!(
                "Todos los municipios de {}",
                self.departments
                    .get(code)
                    .map_or(code.as_str(), String::as_str)
            ),
            None => "Todo el país".to_string(),
        }
    }
}

fn person(names: &HashMap<i32, String>, id: Option<i32>) -> Option<PersonRef> {
    id.map(|id| PersonRef {
        id,
        full_name: names.get(&id).cloned().unwrap_or_default(),
    })
}

fn approval(row: &plan::Model, names: &HashMap<i32, String>) -> Option<ApprovalView> {
    match (&row.approval_act, row.approved_at) {
        (Some(act), Some(at)) => Some(ApprovalView {
            act: act.clone(),
            approved_by: person(names, row.approved_by),
            approved_at: at,
        }),
        _ => None,
    }
}

/// The lines of `rows` as shown, with the catalogue's names.
async fn line_views<C: ConnectionTrait>(
    db: &C,
    row: &plan::Model,
    names: &Names,
    rows: Vec<LineRows>,
) -> AppResult<Vec<LineView>> {
    let capacity_ids: Vec<i32> = rows.iter().map(|r| r.figures.capacity_id).collect();
    let course_ids: Vec<i32> = rows.iter().filter_map(|r| r.figures.course_id).collect();
    let codes: Vec<String> = rows
        .iter()
        .flat_map(|r| r.municipalities.iter().cloned())
        .collect();
    let capacities: HashMap<i32, capacity::Model> = capacity::Entity::find()
        .filter(capacity::Column::Id.is_in(capacity_ids))
        .all_mapped(db, |c| (c.id, c))
        .await?;
    let courses: HashMap<i32, course::Model> = if course_ids.is_empty() {
        HashMap::new()
    } else {
        course::Entity::find()
            .filter(course::Column::Id.is_in(course_ids))
            .all_mapped(db, |c| (c.id, c))
            .await?
    };
    let mut municipality_names: HashMap<String, String> = HashMap::new();
    for chunk in codes.chunks(1_000) {
        for m in municipality::Entity::find()
            .filter(municipality::Column::Code.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            municipality_names.insert(m.code, m.name);
        }
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let f = &r.figures;
            let capacity = capacities.get(&f.capacity_id);
            let municipalities: Vec<MunicipalityRef> = r
                .municipalities
                .iter()
                .map(|code| MunicipalityRef {
                    name: municipality_names.get(code).cloned().unwrap_or_default(),
                    code: code.clone(),
                })
                .collect();
            let targets_label = match (f.target_rule, municipalities.len()) {
                (Some(rule), _) => format!("{} ({})", rule.label(), names.scope(row)),
                (None, 0) => names.whole_territory(row),
                (None, n) if n <= 4 => join_names(municipalities.iter().map(|m| m.name.as_str())),
                (None, n) => format!(
                    "{} y {} más",
                    municipalities
                        .iter()
                        .take(3)
                        .map(|m| m.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    n - 3
                ),
            };
            let budget: Vec<BudgetItem> = r
                .budget
                .iter()
                .map(|(source, amount)| BudgetItem {
                    source: *source,
                    source_label: source.label(),
                    amount: *amount,
                })
                .collect();
            LineView {
                id: r.line.id,
                position: r.line.position,
                capacity: CapacityRef {
                    id: f.capacity_id,
                    code: capacity.map(|c| c.code.clone()).unwrap_or_default(),
                    name: capacity.map(|c| c.name.clone()).unwrap_or_default(),
                },
                course: f.course_id.map(|id| CourseRef {
                    id,
                    code: courses.get(&id).map(|c| c.code.clone()).unwrap_or_default(),
                    name: courses.get(&id).map(|c| c.name.clone()).unwrap_or_default(),
                }),
                targets: TargetsView {
                    municipality_codes: r.municipalities.clone(),
                    rule: f.target_rule,
                },
                targets_label,
                municipalities,
                goals: Goals::of(f),
                budget_total: budget.iter().map(|b| b.amount).sum(),
                budget,
                since_version: f.since_version,
                added_in_version: r.line.added_in_version,
            }
        })
        .collect())
}

/// «A», «A y B», «A, B y C».
fn join_names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} y {last}", rest.join(", ")),
    }
}

fn budget_of(lines: &[LineView]) -> BudgetView {
    let mut by_source: BTreeMap<usize, (BudgetSource, i64)> = BTreeMap::new();
    for item in lines.iter().flat_map(|l| &l.budget) {
        by_source
            .entry(source_rank(item.source))
            .or_insert((item.source, 0))
            .1 += item.amount;
    }
    BudgetView {
        total: lines.iter().map(|l| l.budget_total).sum(),
        by_source: by_source
            .into_values()
            .map(|(source, amount)| BudgetItem {
                source,
                source_label: source.label(),
                amount,
            })
            .collect(),
    }
}

/// Plan `row` in `version` (its current one by default) as `scope` reads it: 404 for a version
/// it does not have.
pub async fn view<C: ConnectionTrait>(
    db: &C,
    scope: &PlanScope,
    row: &plan::Model,
    version: Option<i32>,
) -> AppResult<PlanView> {
    let version = version.unwrap_or(row.version);
    if version < 1 || version > row.version {
        return Err(AppError::NotFound);
    }
    let names = Names::load(db).await?;
    let versions = plan_version::Entity::find()
        .filter(plan_version::Column::PlanId.eq(row.id))
        .order_by_asc(plan_version::Column::Number)
        .all(db)
        .await?;
    let people = crate::accounts::names(
        db,
        versions
            .iter()
            .filter_map(|v| v.created_by)
            .chain(row.approved_by),
    )
    .await?;
    let all = load_lines(db, &[(row.id, version)])
        .await?
        .remove(&row.id)
        .unwrap_or_default();
    let count = all.len();
    let shown: Vec<LineRows> = all
        .into_iter()
        .filter(|l| scope.reaches_line(row, l))
        .collect();
    let lines_partial = shown.len() < count;
    let lines = line_views(db, row, &names, shown).await?;
    let status = status_of(row);
    Ok(PlanView {
        id: row.id,
        provider: names.provider(row.provider_id),
        year: row.year,
        territorial_direction: names.direction(row),
        department_code: row.department_code.clone(),
        territory_label: names.territory(row),
        name: row.name.clone(),
        status,
        status_label: status.label(),
        version,
        current_version: row.version,
        approval: approval(row, &people),
        versions: versions
            .into_iter()
            .map(|v| VersionView {
                number: v.number,
                reason: v.reason,
                created_by: person(&people, v.created_by),
                created_at: v.created_at,
            })
            .collect(),
        budget: budget_of(&lines),
        lines,
        lines_partial,
    })
}

/// The plans `user` reads, filtered, newest year first (then ESAP first, then by provider and
/// territory), one page at a time.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    filter: &ListFilter,
    page: u64,
    per_page: u64,
) -> AppResult<(Vec<PlanSummary>, u64)> {
    let scope = PlanScope::of(db, user).await?;
    let mut query = plan::Entity::find().filter(scope.condition());
    if let Some(year) = filter.year {
        query = query.filter(plan::Column::Year.eq(year));
    }
    if let Some(provider) = filter.provider {
        query = query.filter(plan::Column::ProviderId.eq(provider));
    }
    let paginator = query
        .order_by_desc(plan::Column::Year)
        .order_by_asc(plan::Column::ProviderId)
        .order_by_asc(plan::Column::TerritorialDirectionId)
        .order_by_asc(plan::Column::Id)
        .paginate(db, per_page);
    let total = paginator.num_items().await?;
    let rows = paginator.fetch_page(page.saturating_sub(1)).await?;
    let names = Names::load(db).await?;
    let people = crate::accounts::names(db, rows.iter().filter_map(|r| r.approved_by)).await?;
    let wanted: Vec<(i32, i32)> = rows.iter().map(|r| (r.id, r.version)).collect();
    let mut lines = load_lines(db, &wanted).await?;
    let items = rows
        .iter()
        .map(|row| {
            let shown: Vec<LineRows> = lines
                .remove(&row.id)
                .unwrap_or_default()
                .into_iter()
                .filter(|l| scope.reaches_line(row, l))
                .collect();
            let status = status_of(row);
            PlanSummary {
                id: row.id,
                provider: names.provider(row.provider_id),
                year: row.year,
                territorial_direction: names.direction(row),
                department_code: row.department_code.clone(),
                territory_label: names.territory(row),
                name: row.name.clone(),
                status,
                status_label: status.label(),
                version: row.version,
                approval: approval(row, &people),
                lines: shown.len(),
                budget_total: shown
                    .iter()
                    .flat_map(|l| l.budget.iter().map(|(_, a)| *a))
                    .sum(),
            }
        })
        .collect();
    Ok((items, total))
}

/// The years that have plans `user` reads, newest first.
pub async fn years<C: ConnectionTrait>(db: &C, user: &Actor) -> AppResult<Vec<i32>> {
    use sea_orm::QuerySelect;
    let scope = PlanScope::of(db, user).await?;
    let years: Vec<i32> = plan::Entity::find()
        .select_only()
        .column(plan::Column::Year)
        .distinct()
        .filter(scope.condition())
        .order_by_desc(plan::Column::Year)
        .into_tuple()
        .all(db)
        .await?;
    Ok(years)
}
