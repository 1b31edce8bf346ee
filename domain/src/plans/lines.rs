//! A plan's lines: what a line says (a capacity, optionally a course of the plan's provider, its
//! targets, goals and budget), the rules it must meet, and adding or changing one while the
//! plan is a draft. After approval a line changes only through an amendment
//! (`super::lifecycle::amend`), which checks it with the same rules.

use super::{Goals, LineRows, LineView, PlanScope, Whole, whole};
use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::entities::values::{BudgetSource, PlanStatus, TargetRule};
use crate::entities::{
    capacity, course, course_capacity, municipality, plan, plan_line, plan_line_budget,
    plan_line_municipality, plan_line_version, territorial_direction_department,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::rows::Rows;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeSet;

/// The largest goals a line may set: anything larger is a typing mistake.
pub const COHORTS_MAX: i64 = 10_000;
pub const PEOPLE_MAX: i64 = 1_000_000;
pub const ASSISTANCES_MAX: i64 = 100_000;

/// How many municipalities a line may list (the country has 1,122 municipalities and areas).
pub const MUNICIPALITIES_MAX: usize = 1_200;

/// The OpenAPI example of a plan's municipalities.
fn codes_example() -> [&'static str; 2] {
    ["50325", "50450"]
}

/// A line's targets: a list of municipalities (DANE codes) or a rule; neither is the plan's
/// whole territory (the country, the direction's departments, the gobernación's department).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = PlanTargetsInput)]
pub struct TargetsInput {
    /// Municipalities of the plan's territory.
    #[schema(max_items = 1200, example = codes_example)]
    pub municipality_codes: Option<Vec<String>>,
    /// `pdet`, `categories_5_6` or `priorities` (the «¿Dónde formar?» selection of the day),
    /// within the plan's territory. Not together with `municipality_codes`.
    #[schema(value_type = Option<TargetRule>)]
    pub rule: Option<String>,
    /// Keys this object does not have (refused, each by its name).
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Unknown,
}

/// A line's goals: each optional, a whole number from zero; at least one. Only the goals
/// named change: a goal left out keeps its value, one sent as `null` is removed.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = PlanGoalsInput)]
pub struct GoalsInput {
    #[serde(default, deserialize_with = "crate::parse::double_option")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 10_000)]
    pub cohorts: Option<Option<Whole>>,
    #[serde(default, deserialize_with = "crate::parse::double_option")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 1_000_000)]
    pub people_trained: Option<Option<Whole>>,
    /// Not more than `people_trained` when both are set.
    #[serde(default, deserialize_with = "crate::parse::double_option")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 1_000_000)]
    pub people_certified: Option<Option<Whole>>,
    /// Assistances closed with their objective reached.
    #[serde(default, deserialize_with = "crate::parse::double_option")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 100_000)]
    pub assistances_closed: Option<Option<Whole>>,
    /// Not more than the municipalities the line lists (or its territory holds).
    #[serde(default, deserialize_with = "crate::parse::double_option")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 1_122)]
    pub municipalities_reached: Option<Option<Whole>>,
    /// Keys this object does not have (refused, each by its name).
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Unknown,
}

/// The keys of a JSON object its type does not have: refused with their names
/// ([`refuse_unknown`]), never read as something else.
pub type Unknown = std::collections::BTreeMap<String, serde_json::Value>;

/// One 422 per key of `unknown`, at `{prefix}{key}`, naming the keys the object has.
pub(crate) fn refuse_unknown(
    prefix: &str,
    unknown: &Unknown,
    known: &[&str],
    errors: &mut Vec<FieldError>,
) {
    for key in unknown.keys() {
        errors.push(FieldError::new(
            format!("{prefix}{key}"),
            format!(
                "El campo «{key}» no existe aquí: los campos admitidos son {}.",
                known
                    .iter()
                    .map(|k| format!("«{k}»"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
}

/// A line's budget from one source (each source once per line). Only the sources named
/// change: a source left out keeps its amount.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = PlanBudgetInput)]
pub struct BudgetInput {
    /// `inversion`, `funcionamiento`, `cooperacion`, `sgr` or `propios`.
    #[schema(value_type = Option<BudgetSource>)]
    pub source: Option<String>,
    /// Whole pesos, more than zero, at most one billón (10^12).
    /// `null` takes the source out of the line's budget.
    #[serde(default, deserialize_with = "crate::parse::double_option")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 1_000_000_000_000_i64, example = 12_000_000)]
    pub amount: Option<Option<Whole>>,
    /// Keys this object does not have (refused, each by its name).
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Unknown,
}

/// What a coordinator sends to add a line (`capacity_id` and a goal required) or change one: a
/// field left out keeps its value. `targets` sent replaces the targets whole; `goals` and
/// `budget` change only the goals and the sources they name (a goal or an amount sent as
/// `null` is removed). Unknown keys are refused by name (422).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = PlanLineInput)]
pub struct LineInput {
    pub capacity_id: Option<i32>,
    /// A course of the plan's provider that develops the capacity; `null` removes it.
    #[serde(default, deserialize_with = "crate::parse::double_option")]
    #[schema(value_type = Option<i32>)]
    pub course_id: Option<Option<i32>>,
    pub targets: Option<TargetsInput>,
    pub goals: Option<GoalsInput>,
    #[schema(max_items = 5)]
    pub budget: Option<Vec<BudgetInput>>,
    /// Keys this object does not have (refused, each by its name).
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Unknown,
}

/// The keys of a line.
pub(crate) const LINE_KEYS: [&str; 5] = ["capacity_id", "course_id", "targets", "goals", "budget"];

/// A line's checked figures in one version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Figures {
    pub capacity_id: i32,
    pub course_id: Option<i32>,
    pub rule: Option<TargetRule>,
    pub municipalities: Vec<String>,
    pub goals: Goals,
    pub budget: Vec<(BudgetSource, i64)>,
}

impl Figures {
    pub(crate) fn of(rows: &LineRows) -> Self {
        let f = &rows.figures;
        Figures {
            capacity_id: f.capacity_id,
            course_id: f.course_id,
            rule: f.target_rule,
            municipalities: rows.municipalities.clone(),
            goals: Goals::of(f),
            budget: rows.budget.clone(),
        }
    }
}

/// One line in a plan's audit rows: its figures, or that an amendment removed it
/// (`plan.line_added`, `plan.line_changed`, `plan.amended`).
#[derive(Serialize)]
#[serde(untagged)]
pub(crate) enum LineAudit<'a> {
    Figures {
        line_id: i32,
        figures: Cow<'a, Figures>,
    },
    Removed {
        line_id: i32,
        removed: bool,
    },
}

impl<'a> LineAudit<'a> {
    pub(crate) fn figures(line_id: i32, figures: &'a Figures) -> Self {
        Self::Figures {
            line_id,
            figures: Cow::Borrowed(figures),
        }
    }

    pub(crate) fn owned(line_id: i32, figures: Figures) -> Self {
        Self::Figures {
            line_id,
            figures: Cow::Owned(figures),
        }
    }
}

/// The departments a plan's lines may target (`None`: the whole country).
pub(crate) async fn territory<C: ConnectionTrait>(
    db: &C,
    row: &plan::Model,
) -> AppResult<Option<Vec<String>>> {
    if let Some(code) = &row.department_code {
        return Ok(Some(vec![code.clone()]));
    }
    match row.territorial_direction_id {
        None => Ok(None),
        Some(id) => Ok(Some(
            territorial_direction_department::Entity::find()
                .filter(territorial_direction_department::Column::DirectionId.eq(id))
                .all_mapped(db, |l| l.department_code)
                .await?,
        )),
    }
}

/// What a line of a plan chooses from, each as (id, what people read).
pub struct LineChoices {
    /// Every capacity, in their order ([`check`] refuses an inactive one a line does not
    /// have already).
    pub capacities: Vec<(i32, String)>,
    /// The courses of the plan's provider still offered, by name: «name (code)».
    pub courses: Vec<(i32, String)>,
}

/// What a line of plan `row` chooses from.
pub async fn choices<C: ConnectionTrait>(db: &C, row: &plan::Model) -> AppResult<LineChoices> {
    let capacities = capacity::Entity::find()
        .order_by_asc(capacity::Column::SortOrder)
        .all_mapped(db, |c| (c.id, c.name))
        .await?;
    let courses = course::Entity::find()
        .filter(course::Column::ProviderId.eq(row.provider_id))
        .filter(course::Column::RetiredAt.is_null())
        .order_by_asc(course::Column::Name)
        .all_mapped(db, |c| (c.id, format!("{} ({})", c.name, c.code)))
        .await?;
    Ok(LineChoices {
        capacities,
        courses,
    })
}

/// Checks a line of plan `row` (every problem into `errors`, each field after `prefix`:
/// `lines[2].` in an amendment), `input` over `current` (a line being changed). `None` when
/// something was refused.
pub(crate) async fn check<C: ConnectionTrait>(
    db: &C,
    row: &plan::Model,
    input: &LineInput,
    current: Option<&Figures>,
    prefix: &str,
    errors: &mut Vec<FieldError>,
) -> AppResult<Option<Figures>> {
    let before = errors.len();
    refuse_unknown(prefix, &input.unknown, &LINE_KEYS, errors);
    let capacity_id = check_capacity(db, input, current, prefix, errors).await?;
    let course_id = check_course(db, row, input, current, capacity_id, prefix, errors).await?;
    let departments = territory(db, row).await?;
    let (rule, municipalities) =
        check_targets(db, input, current, departments.as_deref(), prefix, errors).await?;
    let territory_size = territory_size(db, departments.as_deref()).await?;
    let reach_max = if municipalities.is_empty() {
        territory_size
    } else {
        municipalities.len() as i64
    };
    let goals = check_goals(input, current, reach_max, prefix, before, errors);
    let budget = check_budget(input, current, prefix, errors);
    if errors.len() > before {
        return Ok(None);
    }
    Ok(capacity_id.map(|capacity_id| Figures {
        capacity_id,
        course_id,
        rule,
        municipalities,
        goals,
        budget,
    }))
}

/// The line's capacity: required, and active unless the line already has it.
async fn check_capacity<C: ConnectionTrait>(
    db: &C,
    input: &LineInput,
    current: Option<&Figures>,
    prefix: &str,
    errors: &mut Vec<FieldError>,
) -> AppResult<Option<i32>> {
    let field = format!("{prefix}capacity_id");
    let capacity_id = input.capacity_id.or(current.map(|c| c.capacity_id));
    match capacity_id {
        None => errors.push(FieldError::new(
            field,
            "Elija la capacidad que la línea fortalece.",
        )),
        Some(id) => {
            let active = capacity::Entity::find_by_id(id)
                .one(db)
                .await?
                .is_some_and(|c| c.active);
            if !active && current.is_none_or(|c| c.capacity_id != id) {
                errors.push(FieldError::new(
                    field,
                    "La capacidad elegida no existe o está inactiva.",
                ));
            }
        }
    }
    Ok(capacity_id)
}

/// The line's course, if any: the plan's provider's, developing the capacity.
async fn check_course<C: ConnectionTrait>(
    db: &C,
    row: &plan::Model,
    input: &LineInput,
    current: Option<&Figures>,
    capacity_id: Option<i32>,
    prefix: &str,
    errors: &mut Vec<FieldError>,
) -> AppResult<Option<i32>> {
    let field = format!("{prefix}course_id");
    let course_id = match input.course_id {
        Some(chosen) => chosen,
        None => current.and_then(|c| c.course_id),
    };
    let Some(id) = course_id else {
        return Ok(None);
    };
    match course::Entity::find_by_id(id).one(db).await? {
        None => errors.push(FieldError::new(
            field,
            format!("No existe un curso con el id {id}."),
        )),
        Some(c) if c.provider_id != row.provider_id => errors.push(FieldError::new(
            field,
            format!(
                "El curso «{}» no es de la oferta del oferente del plan.",
                c.name
            ),
        )),
        Some(c) => {
            if let Some(capacity) = capacity_id {
                let develops = course_capacity::Entity::find()
                    .filter(course_capacity::Column::CourseId.eq(id))
                    .filter(course_capacity::Column::CapacityId.eq(capacity))
                    .count(db)
                    .await?
                    > 0;
                if !develops {
                    errors.push(FieldError::new(
                        field,
                        format!("El curso «{}» no desarrolla la capacidad elegida.", c.name),
                    ));
                }
            }
        }
    }
    Ok(course_id)
}

/// The line's targets, within the plan's territory (`departments`; `None`: the country): a
/// rule or municipalities, not both. Left out, the line's own.
async fn check_targets<C: ConnectionTrait>(
    db: &C,
    input: &LineInput,
    current: Option<&Figures>,
    departments: Option<&[String]>,
    prefix: &str,
    errors: &mut Vec<FieldError>,
) -> AppResult<(Option<TargetRule>, Vec<String>)> {
    let field = |name: &str| format!("{prefix}{name}");
    let Some(targets) = &input.targets else {
        return Ok(current.map_or((None, Vec::new()), |c| (c.rule, c.municipalities.clone())));
    };
    refuse_unknown(
        &field("targets."),
        &targets.unknown,
        &["municipality_codes", "rule"],
        errors,
    );
    let rule = match targets.rule.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => {
            let parsed = TargetRule::parse(text);
            if parsed.is_none() {
                errors.push(FieldError::new(
                    field("targets.rule"),
                    "La regla debe ser pdet, categories_5_6 o priorities.",
                ));
            }
            parsed
        }
    };
    let codes: BTreeSet<String> = targets
        .municipality_codes
        .iter()
        .flatten()
        .map(|c| crate::territory::normalize_municipality_code(c))
        .filter(|c| !c.is_empty())
        .collect();
    if codes.len() > MUNICIPALITIES_MAX {
        errors.push(FieldError::new(
            field("targets.municipality_codes"),
            format!(
                "Una línea lista máximo {} municipios: para más, use una regla o todo el \
                 territorio del plan.",
                crate::format::thousands(MUNICIPALITIES_MAX as i64)
            ),
        ));
    } else if !codes.is_empty() {
        check_municipalities(
            db,
            &codes,
            departments,
            &field("targets.municipality_codes"),
            errors,
        )
        .await?;
    }
    if rule.is_some() && !codes.is_empty() {
        errors.push(FieldError::new(
            field("targets"),
            "Indique los municipios o una regla, no ambos.",
        ));
    }
    Ok((rule, codes.into_iter().collect()))
}

/// The first five of `codes`, quoted: «a», «b».
fn quoted_five(codes: &[&String]) -> String {
    codes
        .iter()
        .take(5)
        .map(|c| format!("«{c}»"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Municipalities a line lists: each one that exists, within the plan's territory.
async fn check_municipalities<C: ConnectionTrait>(
    db: &C,
    codes: &BTreeSet<String>,
    departments: Option<&[String]>,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> AppResult<()> {
    let codes_list: Vec<String> = codes.iter().cloned().collect();
    let known: Vec<(String, String)> = municipality::Entity::find()
        .select_only()
        .column(municipality::Column::Code)
        .column(municipality::Column::DepartmentCode)
        .filter(municipality::Column::Code.is_in(codes_list))
        .into_tuple()
        .all(db)
        .await?;
    let unknown: Vec<&String> = codes
        .iter()
        .filter(|c| !known.iter().any(|(k, _)| k == *c))
        .collect();
    if !unknown.is_empty() {
        errors.push(FieldError::new(
            field,
            format!(
                "No existen municipios con {} {}.",
                if unknown.len() == 1 {
                    "el código DANE"
                } else {
                    "los códigos DANE"
                },
                quoted_five(&unknown)
            ),
        ));
    }
    if let Some(departments) = departments {
        let outside: Vec<&String> = known
            .iter()
            .filter(|(_, d)| !departments.contains(d))
            .map(|(c, _)| c)
            .collect();
        if !outside.is_empty() {
            errors.push(FieldError::new(
                field,
                format!(
                    "{} fuera del territorio del plan: {}.",
                    if outside.len() == 1 {
                        "Este municipio queda"
                    } else {
                        "Estos municipios quedan"
                    },
                    quoted_five(&outside)
                ),
            ));
        }
    }
    Ok(())
}

/// How many municipalities the plan's territory holds (`departments`; `None`: the country).
async fn territory_size<C: ConnectionTrait>(
    db: &C,
    departments: Option<&[String]>,
) -> AppResult<i64> {
    let mut query = municipality::Entity::find();
    if let Some(departments) = departments {
        query = query.filter(municipality::Column::DepartmentCode.is_in(departments.to_vec()));
    }
    Ok(query.count(db).await? as i64)
}

/// The line's goals: only those named change (the others keep the line's value), each a whole
/// number up to its largest (`reach_max` for the municipalities reached), no more certified
/// than trained, and at least one goal (unless a goal was refused since `before`).
fn check_goals(
    input: &LineInput,
    current: Option<&Figures>,
    reach_max: i64,
    prefix: &str,
    before: usize,
    errors: &mut Vec<FieldError>,
) -> Goals {
    let field = |name: &str| format!("{prefix}{name}");
    let goals = match &input.goals {
        None => current.map(|c| c.goals).unwrap_or_default(),
        Some(g) => named_goals(g, current, reach_max, prefix, errors),
    };
    let goals_refused = errors
        .iter()
        .skip(before)
        .any(|e| e.field.starts_with(&field("goals")));
    if !goals.any() && !goals_refused {
        errors.push(FieldError::new(
            field("goals"),
            "Fije al menos una meta de la línea: cohortes, personas formadas o certificadas, \
             asistencias cerradas o municipios alcanzados.",
        ));
    }
    goals
}

/// The goals sent (`g`) over the line's.
fn named_goals(
    g: &GoalsInput,
    current: Option<&Figures>,
    reach_max: i64,
    prefix: &str,
    errors: &mut Vec<FieldError>,
) -> Goals {
    let field = |name: &str| format!("{prefix}{name}");
    refuse_unknown(
        &field("goals."),
        &g.unknown,
        &[
            "cohorts",
            "people_trained",
            "people_certified",
            "assistances_closed",
            "municipalities_reached",
        ],
        errors,
    );
    // Only the goals named change; the others keep the line's value.
    let kept = current.map(|c| c.goals).unwrap_or_default();
    let goal = |name: &str,
                value: &Option<Option<Whole>>,
                kept: Option<i32>,
                max: i64,
                errors: &mut Vec<FieldError>| match value {
        None => kept,
        Some(value) => whole(
            &field(&format!("goals.{name}")),
            "La meta",
            value.as_ref(),
            (0, max),
            errors,
        )
        .map(|n| n as i32),
    };
    let goals = Goals {
        cohorts: goal("cohorts", &g.cohorts, kept.cohorts, COHORTS_MAX, errors),
        people_trained: goal(
            "people_trained",
            &g.people_trained,
            kept.people_trained,
            PEOPLE_MAX,
            errors,
        ),
        people_certified: goal(
            "people_certified",
            &g.people_certified,
            kept.people_certified,
            PEOPLE_MAX,
            errors,
        ),
        assistances_closed: goal(
            "assistances_closed",
            &g.assistances_closed,
            kept.assistances_closed,
            ASSISTANCES_MAX,
            errors,
        ),
        municipalities_reached: goal(
            "municipalities_reached",
            &g.municipalities_reached,
            kept.municipalities_reached,
            reach_max.max(0),
            errors,
        ),
    };
    if let (Some(trained), Some(certified)) = (goals.people_trained, goals.people_certified)
        && certified > trained
    {
        errors.push(FieldError::new(
            field("goals.people_certified"),
            format!(
                "Las personas certificadas ({}) no pueden ser más que las formadas ({}).",
                crate::format::thousands(certified.into()),
                crate::format::thousands(trained.into())
            ),
        ));
    }
    goals
}

/// The line's budget: each source once, whole pesos above zero. Only the sources named change
/// (an amount sent as `null` takes the source out); the others keep their amount.
fn check_budget(
    input: &LineInput,
    current: Option<&Figures>,
    prefix: &str,
    errors: &mut Vec<FieldError>,
) -> Vec<(BudgetSource, i64)> {
    let mut budget: Vec<(BudgetSource, i64)> =
        current.map(|c| c.budget.clone()).unwrap_or_default();
    let Some(items) = &input.budget else {
        return budget;
    };
    if items.len() > BudgetSource::ALL.len() {
        errors.push(FieldError::new(
            format!("{prefix}budget"),
            "El presupuesto de una línea tiene a lo sumo un monto por fuente (cinco).",
        ));
    } else {
        let mut named: Vec<BudgetSource> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let at = format!("{prefix}budget[{i}].");
            let Some((source, amount)) = budget_item(item, &at, errors) else {
                continue;
            };
            if named.contains(&source) {
                errors.push(FieldError::new(
                    format!("{at}source"),
                    format!(
                        "La fuente {} aparece dos veces: escriba su monto una vez.",
                        source.label()
                    ),
                ));
            } else if let Some(amount) = amount {
                named.push(source);
                budget.retain(|(s, _)| *s != source);
                if let Some(amount) = amount {
                    budget.push((source, amount));
                }
            }
        }
    }
    budget.sort_by_key(|(s, _)| super::source_rank(*s));
    budget
}

/// One budget item sent (its fields after `at`): its source, if it names one, and its amount
/// (`Some(None)`: the source leaves the budget; `None`: refused).
fn budget_item(
    item: &BudgetInput,
    at: &str,
    errors: &mut Vec<FieldError>,
) -> Option<(BudgetSource, Option<Option<i64>>)> {
    refuse_unknown(at, &item.unknown, &["source", "amount"], errors);
    let source = match item.source.as_deref().map(str::trim) {
        None | Some("") => {
            errors.push(FieldError::new(format!("{at}source"), "Indique la fuente."));
            None
        }
        Some(text) => {
            let parsed = BudgetSource::parse(text);
            if parsed.is_none() {
                errors.push(FieldError::new(
                    format!("{at}source"),
                    "La fuente debe ser inversion, funcionamiento, cooperacion, sgr o propios.",
                ));
            }
            parsed
        }
    };
    let amount = match &item.amount {
        None => {
            errors.push(FieldError::new(
                format!("{at}amount"),
                "Escriba el monto en pesos.",
            ));
            None
        }
        // `null`: the source leaves the budget.
        Some(None) => Some(None),
        Some(Some(value)) => whole(
            &format!("{at}amount"),
            "El monto",
            Some(value),
            (1, super::AMOUNT_MAX),
            errors,
        )
        .map(Some),
    };
    source.map(|source| (source, amount))
}

/// Writes a line's figures in one version.
pub(crate) async fn insert_version<C: ConnectionTrait>(
    db: &C,
    line: &plan_line::Model,
    version: i32,
    since_version: i32,
    figures: &Figures,
) -> AppResult<()> {
    let row = plan_line_version::ActiveModel {
        line_id: Set(line.id),
        plan_id: Set(line.plan_id),
        version: Set(version),
        since_version: Set(since_version),
        capacity_id: Set(figures.capacity_id),
        course_id: Set(figures.course_id),
        target_rule: Set(figures.rule),
        goal_cohorts: Set(figures.goals.cohorts),
        goal_people_trained: Set(figures.goals.people_trained),
        goal_people_certified: Set(figures.goals.people_certified),
        goal_assistances_closed: Set(figures.goals.assistances_closed),
        goal_municipalities_reached: Set(figures.goals.municipalities_reached),
        ..Default::default()
    }
    .insert(db)
    .await?;
    write_children(db, row.id, figures).await
}

async fn write_children<C: ConnectionTrait>(
    db: &C,
    line_version_id: i32,
    figures: &Figures,
) -> AppResult<()> {
    if !figures.municipalities.is_empty() {
        plan_line_municipality::Entity::insert_many(figures.municipalities.iter().map(|code| {
            plan_line_municipality::ActiveModel {
                line_version_id: Set(line_version_id),
                municipality_code: Set(code.clone()),
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    if !figures.budget.is_empty() {
        plan_line_budget::Entity::insert_many(figures.budget.iter().map(|(source, amount)| {
            plan_line_budget::ActiveModel {
                line_version_id: Set(line_version_id),
                source: Set(*source),
                amount: Set(*amount),
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

fn approved() -> AppError {
    AppError::Conflict(
        "El plan está aprobado: sus cifras ya no se editan. Cámbielas con una modificación \
         que diga su motivo; queda como una nueva versión y la aprobada se conserva."
            .into(),
    )
}

/// Refuses a change of a plan's lines unless it is an open draft (409), and holds the plan's
/// row while the change is written: the draft is marked changed only if it is still a draft,
/// so an approval written meanwhile (by another request) waits for this change or refuses it.
async fn hold_draft<C: ConnectionTrait>(db: &C, row: &plan::Model) -> AppResult<()> {
    super::ensure_open(row)?;
    if row.status != PlanStatus::Draft {
        return Err(approved());
    }
    let held = plan::Entity::update_many()
        .col_expr(
            plan::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(crate::time::now()),
        )
        .filter(plan::Column::Id.eq(row.id))
        .filter(plan::Column::Status.eq(PlanStatus::Draft.as_str()))
        .exec(db)
        .await?;
    if held.rows_affected == 0 {
        return Err(approved());
    }
    Ok(())
}

/// The next free position in a plan.
pub(crate) async fn next_position<C: ConnectionTrait>(db: &C, plan_id: i32) -> AppResult<i32> {
    let last = plan_line::Entity::find()
        .filter(plan_line::Column::PlanId.eq(plan_id))
        .order_by_desc(plan_line::Column::Position)
        .one(db)
        .await?;
    Ok(last.map_or(1, |l| l.position + 1))
}

/// Adds a line to a draft plan (409 once approved). Every problem at once (422). Audited.
pub async fn add<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    plan_id: i32,
    input: &LineInput,
) -> AppResult<LineView> {
    let row = super::find_managed(db, user, plan_id).await?;
    hold_draft(db, &row).await?;
    let count = plan_line::Entity::find()
        .filter(plan_line::Column::PlanId.eq(row.id))
        .count(db)
        .await?;
    if count as usize >= super::LINES_MAX {
        return Err(AppError::Conflict(format!(
            "El plan ya tiene {} líneas, el máximo.",
            super::LINES_MAX
        )));
    }
    let mut errors = Vec::new();
    let figures = check(db, &row, input, None, "", &mut errors).await?;
    let Some(figures) = figures.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let at = crate::time::now();
    let line = plan_line::ActiveModel {
        plan_id: Set(row.id),
        position: Set(next_position(db, row.id).await?),
        added_in_version: Set(1),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    insert_version(db, &line, 1, 1, &figures).await?;
    audit::record(
        db,
        Change {
            actor: Some(user.id),
            action: "plan.line_added",
            subject_type: "plan",
            subject_id: row.id.to_string(),
            before: None,
            after: serde_json::to_value(LineAudit::figures(line.id, &figures)).ok(),
        },
    )
    .await?;
    line_view(db, user, &row, line.id).await
}

/// Changes a line of a draft plan (409 once approved): fields left out keep their value.
/// Audited with the figures before and after.
pub async fn edit<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    plan_id: i32,
    line_id: i32,
    input: &LineInput,
) -> AppResult<LineView> {
    let row = super::find_managed(db, user, plan_id).await?;
    let current = current_line(db, &row, line_id).await?;
    hold_draft(db, &row).await?;
    let before = Figures::of(&current);
    let mut errors = Vec::new();
    let figures = check(db, &row, input, Some(&before), "", &mut errors).await?;
    let Some(figures) = figures.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    if figures != before {
        let id = current.figures.id;
        plan_line_municipality::Entity::delete_many()
            .filter(plan_line_municipality::Column::LineVersionId.eq(id))
            .exec(db)
            .await?;
        plan_line_budget::Entity::delete_many()
            .filter(plan_line_budget::Column::LineVersionId.eq(id))
            .exec(db)
            .await?;
        let mut model: plan_line_version::ActiveModel = current.figures.clone().into();
        model.capacity_id = Set(figures.capacity_id);
        model.course_id = Set(figures.course_id);
        model.target_rule = Set(figures.rule);
        model.goal_cohorts = Set(figures.goals.cohorts);
        model.goal_people_trained = Set(figures.goals.people_trained);
        model.goal_people_certified = Set(figures.goals.people_certified);
        model.goal_assistances_closed = Set(figures.goals.assistances_closed);
        model.goal_municipalities_reached = Set(figures.goals.municipalities_reached);
        model.update(db).await?;
        write_children(db, id, &figures).await?;
        audit::record(
            db,
            Change {
                actor: Some(user.id),
                action: "plan.line_changed",
                subject_type: "plan",
                subject_id: row.id.to_string(),
                before: serde_json::to_value(LineAudit::figures(line_id, &before)).ok(),
                after: serde_json::to_value(LineAudit::figures(line_id, &figures)).ok(),
            },
        )
        .await?;
    }
    line_view(db, user, &row, line_id).await
}

/// A line of plan `row` in its current version; 404 when the plan has no such line now.
pub(crate) async fn current_line<C: ConnectionTrait>(
    db: &C,
    row: &plan::Model,
    line_id: i32,
) -> AppResult<LineRows> {
    super::load_lines(db, &[(row.id, row.version)])
        .await?
        .remove(&row.id)
        .unwrap_or_default()
        .into_iter()
        .find(|l| l.line.id == line_id)
        .ok_or(AppError::NotFound)
}

/// One line of plan `row` in its current version, as `user` reads it.
pub async fn line_view<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    row: &plan::Model,
    line_id: i32,
) -> AppResult<LineView> {
    let scope = PlanScope::of(db, user).await?;
    super::view(db, &scope, row, None)
        .await?
        .lines
        .into_iter()
        .find(|l| l.id == line_id)
        .ok_or(AppError::NotFound)
}

/// The line as `user` reads it, if they read its plan: for the page that edits it.
pub async fn find_line<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    plan_id: i32,
    line_id: i32,
) -> AppResult<(plan::Model, LineView)> {
    let (row, _) = super::find_visible(db, user, plan_id).await?;
    let line = line_view(db, user, &row, line_id).await?;
    Ok((row, line))
}
