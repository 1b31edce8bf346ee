//! The comparison of territorial directions and providers on one year (issue 47, item 4):
//! per territorial direction and per provider with approved plans that year, the goals met,
//! timeliness (cohorts started on their planned date, assistances' milestones done by their
//! date), quality (satisfaction, completion) and the cost per person certified — each figure
//! with the `n` behind it, and a small-group flag where `n` is below [`MIN_GROUP`]: such a
//! figure is shown, never compared. Rows are listed by name: the comparison ranks nobody.
//!
//! Groups: a direction is ESAP's plans for it (approved, amended or closed; drafts are not
//! plans yet) and ESAP's delivery in its departments; a provider is all its plans of the year
//! (ESAP: its national plan and every direction's) and all its delivery.
//!
//! Sources, all maintained or small: the plans' progress year to date (`progress`, from the
//! delivery facts and cost items); completion from `cohort_figures` of closed cohorts;
//! satisfaction from `survey_tallies` (only cells of at least five answers count, as in the
//! satisfaction report, so no figure here isolates fewer than five answers); timeliness from
//! each cohort's first session (one grouped row per cohort) and from the assistances'
//! milestones. A cohort «of the year» starts in it; a cancelled or draft cohort is none.
//!
//! Who reads what (see `docs/DECISIONS.md`): admins and ESAP's national coordinators, every
//! row; a territorial direction's coordinator, its direction's row; another provider's
//! coordinator, its provider's row; a gobernación's reviewer, the row of the provider of its
//! department (the gobernación). Liaisons, instructors and participants: 403 (the guard).

use super::progress;
use crate::accounts::actor::Actor;
use crate::entities::values::{AssistanceStatus, CohortStatus, PlanStatus, Role, SurveyKind};
use crate::entities::{
    assistance, assistance_milestone, cohort, cohort_department, cohort_figure,
    cohort_municipality, cohort_session, indicator, indicator_observation, municipality, plan,
    provider, survey_tally, territorial_direction, territorial_direction_department,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::indicators::cost::{self, GroupCost, Summed};
use crate::rows::Rows;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Below this many cases a figure is flagged «grupo pequeño» and not compared (the same floor
/// as the satisfaction report's).
pub const MIN_GROUP: i64 = crate::surveys::reports::MIN_GROUP;

/// A count out of `n`.
#[derive(Clone, Debug, Serialize, PartialEq, utoipa::ToSchema)]
#[schema(as = ComparisonShare)]
pub struct Share {
    pub count: i64,
    pub n: i64,
    /// `count / n` as a percentage with one decimal; `null` when `n` is 0.
    pub percent: Option<f64>,
    /// `n` below 5: shown, not compared.
    pub small_group: bool,
}

impl Share {
    fn of(count: i64, n: i64) -> Share {
        Share {
            count,
            n,
            percent: (n > 0).then(|| (count as f64 * 1000.0 / n as f64).round() / 10.0),
            small_group: n < MIN_GROUP,
        }
    }
}

/// The satisfaction survey's mean of its six dimensions (1–5).
#[derive(Clone, Debug, Serialize, PartialEq, utoipa::ToSchema)]
#[schema(as = ComparisonSatisfaction)]
pub struct Satisfaction {
    /// Two decimals; `null` with fewer than 5 answers.
    pub mean: Option<f64>,
    /// Answers counted.
    pub n: i64,
    pub small_group: bool,
}

/// The executed cost over the people certified.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = ComparisonCost)]
pub struct CostPerPerson {
    /// Whole pesos; `null` with nobody certified or nothing executed.
    pub value: Option<i64>,
    /// Executed cost of the plans' lines, in whole pesos.
    pub executed: i64,
    /// People certified on the plans' lines.
    pub n: i64,
    pub small_group: bool,
}

/// The indicator whose change the cost per point of change reads, and the change's years:
/// from the year before the vigencia to the vigencia.
#[derive(Clone, Debug, Serialize, PartialEq, utoipa::ToSchema)]
#[schema(as = ComparisonIndicator)]
pub struct IndicatorWindow {
    pub id: i32,
    #[schema(example = "idf_puntaje")]
    pub code: String,
    pub name: String,
    pub higher_is_better: bool,
    /// The year before the vigencia.
    pub from_year: i32,
    /// The vigencia.
    pub to_year: i32,
}

/// What a direction or a provider spent in the vigencia on the municipalities it reached, and
/// what a point of change of the indicator cost (issue 68): its reached municipalities
/// against the others of the same departments.
#[derive(Clone, Debug, Default, Serialize, PartialEq, utoipa::ToSchema)]
#[schema(as = ComparisonPointOfChange)]
pub struct PointOfChange {
    /// Executed cost items incurred in the vigencia, split among municipalities as in the
    /// impact comparison (whole pesos), whether the indicator measured them or not.
    pub executed: i64,
    /// Municipalities reached in the vigencia: people trained in its cohorts that started in
    /// it, its technical assistances that started in it, or some of its executed cost.
    pub reached: usize,
    /// Of them, measured by the indicator in both years: the group `cost` is about.
    pub measured: usize,
    /// The comparison group: the other municipalities of the same departments (a direction's;
    /// a provider's: those it reached some municipality in), measured in both years.
    pub compared: usize,
    /// Median change of the measured reached municipalities.
    pub median_change: Option<f64>,
    /// Median change of the comparison group.
    pub comparison_median_change: Option<f64>,
    /// The measured group's cost by the impact comparison's rule: `per_point_of_change` is
    /// its `executed` ÷ (`median_change` − `comparison_median_change`, in the direction of
    /// improvement), null where that is ≤ 0, under 5 measured municipalities or nothing
    /// executed.
    pub cost: GroupCost,
}

/// One direction or provider.
#[derive(Clone, Debug, Serialize, PartialEq, utoipa::ToSchema)]
#[schema(as = ComparisonRow)]
pub struct Row {
    /// `direction` or `provider`.
    #[schema(example = "direction")]
    pub kind: &'static str,
    /// The direction's or the provider's id.
    pub id: i32,
    #[schema(example = "Dirección Territorial Meta")]
    pub name: String,
    /// Plans of the year counted (approved, amended or closed).
    pub plans: i64,
    /// Goals at or above what a straight line through the year expects by today, out of the
    /// goals of which something is expected already.
    pub goals_met: Share,
    /// Cohorts of the year started by today whose first session was on their start date.
    pub timeliness: Share,
    /// Assistances' milestones of the year due by today (or done) done by their date.
    pub milestones_on_time: Share,
    pub satisfaction: Satisfaction,
    /// People who completed, out of those who finished closed cohorts of the year.
    pub completion: Share,
    pub cost_per_person_certified: CostPerPerson,
    /// The executed cost on the municipalities reached and the cost per point of change of
    /// the comparison's indicator.
    pub point_of_change: PointOfChange,
    /// Some figure of the row rests on fewer than 5 cases.
    pub small_group: bool,
}

/// The comparison of a year.
#[derive(Clone, Debug, Serialize, PartialEq, utoipa::ToSchema)]
#[schema(as = PlanComparison)]
pub struct Comparison {
    pub year: i32,
    /// Below this `n` a figure is a small group (5).
    pub min_group: i64,
    /// By name.
    pub directions: Vec<Row>,
    /// By name.
    pub providers: Vec<Row>,
    /// The indicator of the cost per point of change (none when there is no indicator).
    pub indicator: Option<IndicatorWindow>,
    /// How the executed cost and the cost per point of change are counted, in Spanish.
    pub cost_method: String,
}

/// The indicator the comparison reads when none is asked for: the IDF, measured every year.
pub const DEFAULT_INDICATOR: &str = "idf_puntaje";

/// How the rows' executed cost and cost per point of change are counted, in Spanish.
pub const COST_METHOD: &str = "Costo ejecutado y costo por punto de cambio: se suman solo los \
     costos ejecutados (nunca los planeados ni los comprometidos) con fecha en la vigencia, del \
     oferente (de una dirección territorial, los de ESAP en sus departamentos) y que usted puede \
     consultar, repartidos entre municipios como en la comparación de impacto: el de una cohorte \
     en proporción a las personas formadas de cada municipio, el de una asistencia técnica a su \
     municipio. Municipios alcanzados: los que tienen personas formadas en sus cohortes de la \
     vigencia, asistencias técnicas suyas que empezaron en ella o algún costo ejecutado suyo. El \
     costo por punto de cambio divide el costo de los alcanzados que el indicador midió en el año \
     anterior y en la vigencia entre lo que la mediana de su cambio supera a la de los municipios \
     no alcanzados de los mismos departamentos (en la dirección en que el indicador mejora); no \
     se calcula si no la supera, si hay menos de 5 alcanzados medidos o si el indicador aún no \
     tiene la medición de la vigencia. Es una asociación: no prueba que el cambio se deba a lo \
     que se gastó.";

/// The indicator asked for (422 when it does not exist), or [`DEFAULT_INDICATOR`], or the
/// first by name; none when there is no indicator.
pub async fn indicator_of<C: ConnectionTrait>(
    db: &C,
    id: Option<i32>,
) -> AppResult<Option<indicator::Model>> {
    if let Some(id) = id {
        return match indicator::Entity::find_by_id(id).one(db).await? {
            Some(found) => Ok(Some(found)),
            None => Err(AppError::Validation(vec![FieldError::new(
                "indicator",
                "El indicador no existe.",
            )])),
        };
    }
    if let Some(found) = indicator::Entity::find()
        .filter(indicator::Column::Code.eq(DEFAULT_INDICATOR))
        .one(db)
        .await?
    {
        return Ok(Some(found));
    }
    Ok(indicator::Entity::find()
        .order_by_asc(indicator::Column::Name)
        .one(db)
        .await?)
}

/// `year` as the API and the page take it: empty is this year; otherwise a year from 2000 to
/// 2100 (422 in Spanish).
pub fn year_of(text: Option<&str>) -> AppResult<i32> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(crate::time::today().year());
    };
    match text.parse::<i32>() {
        Ok(year) if text.len() == 4 && (2000..=2100).contains(&year) => Ok(year),
        _ => Err(AppError::Validation(vec![FieldError::new(
            "year",
            format!(
                "«{}» no es una vigencia: escriba el año con cuatro cifras, por ejemplo {}.",
                text.chars().take(20).collect::<String>(),
                crate::time::today().year()
            ),
        )])),
    }
}

/// The rows a caller reads.
enum Reads {
    Everything,
    Direction(i32),
    Provider(i32),
    Department(String),
}

impl Reads {
    fn of(user: &Actor) -> AppResult<Reads> {
        match user.role {
            Role::Admin => Ok(Reads::Everything),
            Role::Coordinator => Ok(match (user.direction_departments(), &user.direction) {
                (Some(_), Some(direction)) => Reads::Direction(direction.id),
                _ if user.is_other_provider() => Reads::Provider(user.provider_id),
                _ => Reads::Everything,
            }),
            Role::Reviewer => Ok(Reads::Department(
                user.department_code.clone().unwrap_or_default(),
            )),
            Role::Liaison | Role::Instructor | Role::Participant => Err(AppError::Forbidden),
        }
    }
}

/// A direction or a provider and its plans.
struct Group {
    kind: &'static str,
    id: i32,
    name: String,
    provider_id: i32,
    /// A direction's departments (none: the provider's whole delivery).
    departments: Option<Vec<String>>,
    plans: Vec<i32>,
}

/// What one plan adds to its groups.
#[derive(Clone, Copy, Default)]
struct PlanFigures {
    goals_met: i64,
    goals: i64,
    executed: i64,
    certified: i64,
}

/// The comparison of `year` as `user` reads it; the cost per point of change of `indicator`
/// (see [`indicator_of`]).
pub async fn comparison<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    year: i32,
    indicator: Option<i32>,
) -> AppResult<Comparison> {
    let reads = Reads::of(user)?;
    let indicator = indicator_of(db, indicator).await?;
    let plans = plan::Entity::find()
        .filter(plan::Column::Year.eq(year))
        .filter(plan::Column::Status.ne(PlanStatus::Draft.as_str()))
        .order_by_asc(plan::Column::Id)
        .all(db)
        .await?;
    let groups = groups_of(db, &reads, &plans).await?;
    let figures = figures_of(db, &plans, &groups).await?;
    let changes = match &indicator {
        Some(i) => changes(db, i.id, year - 1, year).await?,
        None => HashMap::new(),
    };
    let department_of = cost::departments_of(db).await?;
    let reader = Summed::reader(user);
    let higher_is_better = indicator.as_ref().is_none_or(|i| i.higher_is_better);
    let mut out = Comparison {
        year,
        min_group: MIN_GROUP,
        directions: Vec::new(),
        providers: Vec::new(),
        indicator: indicator.map(|i| IndicatorWindow {
            id: i.id,
            code: i.code,
            name: i.name,
            higher_is_better: i.higher_is_better,
            from_year: year - 1,
            to_year: year,
        }),
        cost_method: COST_METHOD.to_string(),
    };
    for group in &groups {
        let mut row = row_of(db, group, year, &figures).await?;
        let within = Within {
            year,
            reader: &reader,
            changes: &changes,
            department_of: &department_of,
            higher_is_better,
        };
        row.point_of_change = point_of_change(db, group, &within).await?;
        if group.kind == "direction" {
            out.directions.push(row);
        } else {
            out.providers.push(row);
        }
    }
    let by_name = |a: &Row, b: &Row| crate::text::by_name(&a.name, &b.name);
    out.directions.sort_by(by_name);
    out.providers.sort_by(by_name);
    Ok(out)
}

/// The groups the reader compares, from the year's `plans`: ESAP's territorial directions
/// (each with its departments) and the providers, each with its plans.
async fn groups_of<C: ConnectionTrait>(
    db: &C,
    reads: &Reads,
    plans: &[plan::Model],
) -> AppResult<Vec<Group>> {
    let providers: HashMap<i32, provider::Model> = provider::Entity::find()
        .all_mapped(db, |p| (p.id, p))
        .await?;
    let directions: HashMap<i32, String> = territorial_direction::Entity::find()
        .all_mapped(db, |d| (d.id, d.name))
        .await?;
    let (by_direction, by_provider) = plans_by_group(reads, plans, &providers);
    let mut departments: HashMap<i32, Vec<String>> = HashMap::new();
    if !by_direction.is_empty() {
        for link in territorial_direction_department::Entity::find()
            .filter(
                territorial_direction_department::Column::DirectionId
                    .is_in(by_direction.keys().copied()),
            )
            .all(db)
            .await?
        {
            departments
                .entry(link.direction_id)
                .or_default()
                .push(link.department_code);
        }
    }
    let mut groups: Vec<Group> = by_direction
        .into_iter()
        .map(|(id, plans)| Group {
            kind: "direction",
            id,
            name: directions.get(&id).cloned().unwrap_or_default(),
            provider_id: crate::providers::ESAP,
            departments: Some(departments.remove(&id).unwrap_or_default()),
            plans,
        })
        .collect();
    groups.extend(by_provider.into_iter().map(|(id, plans)| {
        Group {
            kind: "provider",
            id,
            name: providers
                .get(&id)
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            provider_id: id,
            departments: None,
            plans,
        }
    }));
    Ok(groups)
}

/// The plans' ids by ESAP's territorial direction and by provider, kept to what `reads`
/// covers: everything; its own direction; its own provider; or the providers of its
/// department.
fn plans_by_group(
    reads: &Reads,
    plans: &[plan::Model],
    providers: &HashMap<i32, provider::Model>,
) -> (BTreeMap<i32, Vec<i32>>, BTreeMap<i32, Vec<i32>>) {
    let mut by_direction: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
    let mut by_provider: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
    for row in plans {
        if row.provider_id == crate::providers::ESAP
            && let Some(d) = row.territorial_direction_id
        {
            by_direction.entry(d).or_default().push(row.id);
        }
        by_provider.entry(row.provider_id).or_default().push(row.id);
    }
    by_direction.retain(|d, _| match reads {
        Reads::Everything => true,
        Reads::Direction(own) => d == own,
        Reads::Provider(_) | Reads::Department(_) => false,
    });
    by_provider.retain(|p, _| match reads {
        Reads::Everything => true,
        Reads::Provider(own) => p == own,
        Reads::Department(code) => providers.get(p).is_some_and(|p| {
            !code.is_empty() && p.department_code.as_deref() == Some(code.as_str())
        }),
        Reads::Direction(_) => false,
    });
    (by_direction, by_provider)
}

/// Each plan's progress to date, once, whichever groups it counts in (plans in no group are
/// not read): its goals due so far and met, its executed budget, its people certified.
async fn figures_of<C: ConnectionTrait>(
    db: &C,
    plans: &[plan::Model],
    groups: &[Group],
) -> AppResult<HashMap<i32, PlanFigures>> {
    let mut figures: HashMap<i32, PlanFigures> = HashMap::new();
    for row in plans {
        if !groups.iter().any(|g| g.plans.contains(&row.id)) {
            continue;
        }
        let (progress, certified) = progress::year_to_date(db, row).await?;
        let mut f = PlanFigures {
            executed: progress.total.budget.executed,
            certified,
            ..PlanFigures::default()
        };
        for goal in progress.lines.iter().flat_map(|l| &l.goals) {
            if goal.expected_to_date > 0 {
                f.goals += 1;
                if goal.achieved >= goal.expected_to_date {
                    f.goals_met += 1;
                }
            }
        }
        figures.insert(row.id, f);
    }
    Ok(figures)
}

/// The first and last days of `year`.
fn bounds(year: i32) -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN),
        NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX),
    )
}

/// The municipalities of `departments`, as a subquery.
fn municipalities_of(departments: &[String]) -> SelectStatement {
    Query::select()
        .column(municipality::Column::Code)
        .from(municipality::Entity)
        .and_where(municipality::Column::DepartmentCode.is_in(departments.to_vec()))
        .to_owned()
}

/// The group's provider's cohorts of `year` (starting in it; not drafts, not cancelled), as a
/// subquery of ids; `offered_in`: only those offered in these departments (or in one of their
/// municipalities).
fn cohorts_of(provider_id: i32, year: i32, offered_in: Option<&[String]>) -> SelectStatement {
    let (first, last) = bounds(year);
    let mut query = Query::select()
        .column(cohort::Column::Id)
        .from(cohort::Entity)
        .and_where(cohort::Column::ProviderId.eq(provider_id))
        .and_where(cohort::Column::StartDate.gte(first))
        .and_where(cohort::Column::StartDate.lte(last))
        .and_where(cohort::Column::Status.is_not_in([
            CohortStatus::Draft.as_str(),
            CohortStatus::Cancelled.as_str(),
        ]))
        .to_owned();
    if let Some(departments) = offered_in {
        query.cond_where(
            Condition::any()
                .add(
                    cohort::Column::Id.in_subquery(
                        Query::select()
                            .column(cohort_department::Column::CohortId)
                            .from(cohort_department::Entity)
                            .and_where(
                                cohort_department::Column::DepartmentCode
                                    .is_in(departments.to_vec()),
                            )
                            .to_owned(),
                    ),
                )
                .add(
                    cohort::Column::Id.in_subquery(
                        Query::select()
                            .column(cohort_municipality::Column::CohortId)
                            .from(cohort_municipality::Entity)
                            .and_where(
                                cohort_municipality::Column::MunicipalityCode
                                    .in_subquery(municipalities_of(departments)),
                            )
                            .to_owned(),
                    ),
                ),
        );
    }
    query
}

/// One group's row.
async fn row_of<C: ConnectionTrait>(
    db: &C,
    group: &Group,
    year: i32,
    figures: &HashMap<i32, PlanFigures>,
) -> AppResult<Row> {
    let plans =
        group
            .plans
            .iter()
            .filter_map(|id| figures.get(id))
            .fold(PlanFigures::default(), |a, f| PlanFigures {
                goals_met: a.goals_met + f.goals_met,
                goals: a.goals + f.goals,
                executed: a.executed + f.executed,
                certified: a.certified + f.certified,
            });

    let timeliness = timeliness(db, group, year).await?;
    let milestones_on_time = milestones_on_time(db, group, year).await?;
    let completion = completion(db, group, year).await?;
    let satisfaction = satisfaction(db, group, year).await?;

    let cost = CostPerPerson {
        value: (plans.certified > 0 && plans.executed > 0)
            .then(|| plans.executed / plans.certified),
        executed: plans.executed,
        n: plans.certified,
        small_group: plans.certified < MIN_GROUP,
    };
    let goals_met = Share::of(plans.goals_met, plans.goals);
    let small_group = goals_met.small_group
        || timeliness.small_group
        || completion.small_group
        || satisfaction.small_group
        || cost.small_group;
    Ok(Row {
        kind: group.kind,
        id: group.id,
        name: group.name.clone(),
        plans: group.plans.len() as i64,
        goals_met,
        timeliness,
        milestones_on_time,
        satisfaction,
        completion,
        cost_per_person_certified: cost,
        point_of_change: PointOfChange::default(),
        small_group,
    })
}

/// Per municipality measured by `indicator` in both `from` and `to`: `to − from`.
async fn changes<C: ConnectionTrait>(
    db: &C,
    indicator: i32,
    from: i32,
    to: i32,
) -> AppResult<HashMap<String, f64>> {
    let rows: Vec<(String, i32, f64)> = indicator_observation::Entity::find()
        .select_only()
        .column(indicator_observation::Column::MunicipalityCode)
        .column(indicator_observation::Column::Year)
        .column(indicator_observation::Column::Value)
        .filter(indicator_observation::Column::IndicatorId.eq(indicator))
        .filter(indicator_observation::Column::Year.is_in([from, to]))
        .into_tuple()
        .all(db)
        .await?;
    let before: HashMap<&str, f64> = rows
        .iter()
        .filter(|(_, year, _)| *year == from)
        .map(|(code, _, value)| (code.as_str(), *value))
        .collect();
    Ok(rows
        .iter()
        .filter(|(_, year, _)| *year == to)
        .filter_map(|(code, _, value)| before.get(code.as_str()).map(|b| (code.clone(), value - b)))
        .collect())
}

/// What every group's cost per point of change reads.
struct Within<'a> {
    year: i32,
    /// The cost items the caller may see.
    reader: &'a Summed,
    /// The indicator's change per municipality measured in both years.
    changes: &'a HashMap<String, f64>,
    department_of: &'a HashMap<String, String>,
    higher_is_better: bool,
}

/// A group's executed cost in the vigencia on the municipalities it reached, and the cost per
/// point of change of those measured against the other municipalities of the same
/// departments (`indicators::cost`'s rule, the impact comparison's).
async fn point_of_change<C: ConnectionTrait>(
    db: &C,
    group: &Group,
    within: &Within<'_>,
) -> AppResult<PointOfChange> {
    let summed = within
        .reader
        .within(group.provider_id, group.departments.as_deref());
    let in_scope = |code: &str| {
        summed.departments.as_ref().is_none_or(|list| {
            within
                .department_of
                .get(code)
                .is_some_and(|d| list.contains(d))
        })
    };
    let codes: HashSet<String> = within
        .department_of
        .keys()
        .filter(|c| in_scope(c))
        .cloned()
        .collect();
    let (year, (first, last)) = (within.year, bounds(within.year));
    let costs = cost::by_municipality(db, &summed, None, year, year, &codes).await?;
    let mut reached: BTreeSet<String> = costs
        .iter()
        .filter(|(_, c)| c.executed() > 0)
        .map(|(code, _)| code.clone())
        .collect();
    let trained: Vec<String> = cohort_figure::Entity::find()
        .select_only()
        .column(cohort_figure::Column::MunicipalityCode)
        .filter(cohort_figure::Column::CohortId.in_subquery(cohorts_of(
            group.provider_id,
            year,
            None,
        )))
        .filter(cohort_figure::Column::Enrolled.gt(0))
        .into_tuple()
        .all(db)
        .await?;
    let assisted: Vec<Option<String>> = assistance::Entity::find()
        .select_only()
        .column(assistance::Column::MunicipalityCode)
        .filter(assistance::Column::ProviderId.eq(group.provider_id))
        .filter(assistance::Column::Status.ne(AssistanceStatus::Cancelled.as_str()))
        .filter(assistance::Column::StartsOn.gte(first))
        .filter(assistance::Column::StartsOn.lte(last))
        .into_tuple()
        .all(db)
        .await?;
    reached.extend(
        trained
            .into_iter()
            .chain(assisted.into_iter().flatten())
            .filter(|code| in_scope(code)),
    );
    // The same departments: a direction's (within the caller's), a provider's where it reached.
    let departments: HashSet<&str> = match &summed.departments {
        Some(list) if group.departments.is_some() => list.iter().map(String::as_str).collect(),
        _ => reached
            .iter()
            .filter_map(|code| within.department_of.get(code).map(String::as_str))
            .collect(),
    };
    let (measured, mut mine): (Vec<&str>, Vec<f64>) = reached
        .iter()
        .filter_map(|code| within.changes.get(code).map(|c| (code.as_str(), *c)))
        .unzip();
    let mut others: Vec<f64> = within
        .changes
        .iter()
        .filter(|(code, _)| {
            !reached.contains(*code)
                && within
                    .department_of
                    .get(*code)
                    .is_some_and(|d| departments.contains(d.as_str()))
        })
        .map(|(_, change)| *change)
        .collect();
    let compared = others.len();
    let median_change = crate::indicators::impact::median(&mut mine);
    let comparison_median_change = crate::indicators::impact::median(&mut others);
    let beyond = cost::points_beyond(
        median_change,
        comparison_median_change,
        within.higher_is_better,
    );
    Ok(PointOfChange {
        executed: costs.values().map(cost::MunicipalityCost::executed).sum(),
        reached: reached.len(),
        measured: measured.len(),
        compared,
        median_change,
        comparison_median_change,
        cost: cost::group_cost(measured.iter().copied(), &costs, beyond),
    })
}

/// Timeliness: each started cohort's first session, on its start date or later.
async fn timeliness<C: ConnectionTrait>(db: &C, group: &Group, year: i32) -> AppResult<Share> {
    let departments = group.departments.as_deref();
    let today = crate::time::today();
    let starts: Vec<(i32, NaiveDate)> = cohort::Entity::find()
        .select_only()
        .column(cohort::Column::Id)
        .column(cohort::Column::StartDate)
        .filter(cohort::Column::Id.in_subquery(cohorts_of(group.provider_id, year, departments)))
        .filter(cohort::Column::StartDate.lte(today))
        .into_tuple()
        .all(db)
        .await?;
    let firsts: HashMap<i32, DateTime<Utc>> = if starts.is_empty() {
        HashMap::new()
    } else {
        cohort_session::Entity::find()
            .select_only()
            .column(cohort_session::Column::CohortId)
            .column_as(cohort_session::Column::StartsAt.min(), "first")
            .filter(cohort_session::Column::CohortId.is_in(starts.iter().map(|(id, _)| *id)))
            .group_by(cohort_session::Column::CohortId)
            .into_tuple::<(i32, DateTime<Utc>)>()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };
    let on_time = starts
        .iter()
        .filter(|(id, start)| {
            firsts
                .get(id)
                .is_some_and(|at| crate::time::local(*at).date_naive() <= *start)
        })
        .count() as i64;
    let timeliness = Share::of(on_time, starts.len() as i64);
    Ok(timeliness)
}

/// Milestones of the year due by today (or done already), done by their date.
async fn milestones_on_time<C: ConnectionTrait>(
    db: &C,
    group: &Group,
    year: i32,
) -> AppResult<Share> {
    let departments = group.departments.as_deref();
    let today = crate::time::today();
    let (first, last) = bounds(year);
    let mut assistances = Query::select()
        .column(assistance::Column::Id)
        .from(assistance::Entity)
        .and_where(assistance::Column::ProviderId.eq(group.provider_id))
        .and_where(assistance::Column::Status.ne(AssistanceStatus::Cancelled.as_str()))
        .to_owned();
    if let Some(departments) = departments {
        assistances
            .and_where(assistance::Column::DepartmentCode.is_in(departments.iter().cloned()));
    }
    let milestones: Option<(Option<i64>, Option<i64>)> = assistance_milestone::Entity::find()
        .select_only()
        .column_as(Expr::cust("COUNT(*)"), "n")
        .column_as(
            Expr::cust(
                "SUM(CASE WHEN done_on IS NOT NULL AND done_on <= due_on THEN 1 ELSE 0 END)",
            ),
            "on_time",
        )
        .filter(assistance_milestone::Column::AssistanceId.in_subquery(assistances))
        .filter(assistance_milestone::Column::DueOn.gte(first))
        .filter(assistance_milestone::Column::DueOn.lte(last))
        .filter(
            Condition::any()
                .add(assistance_milestone::Column::DueOn.lt(today))
                .add(assistance_milestone::Column::DoneOn.is_not_null()),
        )
        .into_tuple()
        .one(db)
        .await?;
    let (n, done) = milestones.unwrap_or_default();
    let milestones_on_time = Share::of(done.unwrap_or(0), n.unwrap_or(0));
    Ok(milestones_on_time)
}

/// Completion: the people of closed cohorts of the year (of the direction's departments).
async fn completion<C: ConnectionTrait>(db: &C, group: &Group, year: i32) -> AppResult<Share> {
    let departments = group.departments.as_deref();
    let mut completion = cohort_figure::Entity::find()
        .select_only()
        .column_as(Expr::cust("CAST(SUM(completed) AS BIGINT)"), "completed")
        .column_as(
            Expr::cust("CAST(SUM(completed + not_completed) AS BIGINT)"),
            "finished",
        )
        .filter(cohort_figure::Column::Closed.eq(true))
        .filter(cohort_figure::Column::CohortId.in_subquery(cohorts_of(
            group.provider_id,
            year,
            None,
        )));
    if let Some(departments) = departments {
        completion =
            completion.filter(cohort_figure::Column::DepartmentCode.is_in(departments.to_vec()));
    }
    let (completed, finished): (Option<i64>, Option<i64>) =
        completion.into_tuple().one(db).await?.unwrap_or_default();
    let completion = Share::of(completed.unwrap_or(0), finished.unwrap_or(0));
    Ok(completion)
}

/// Satisfaction: cells of at least five answers (the satisfaction report's rule).
async fn satisfaction<C: ConnectionTrait>(
    db: &C,
    group: &Group,
    year: i32,
) -> AppResult<Satisfaction> {
    let departments = group.departments.as_deref();
    let mut answers = survey_tally::Entity::find()
        .select_only()
        .column_as(Expr::cust("CAST(SUM(n) AS BIGINT)"), "n")
        .column_as(
            Expr::cust(
                "CAST(SUM(calidad + pertinencia + oportunidad + metodologia + instructor + \
                 logistica) AS BIGINT)",
            ),
            "sum",
        )
        .filter(survey_tally::Column::Kind.eq(SurveyKind::Satisfaction.as_str()))
        .filter(survey_tally::Column::N.gte(MIN_GROUP))
        .filter(survey_tally::Column::CohortId.in_subquery(cohorts_of(
            group.provider_id,
            year,
            None,
        )));
    if let Some(departments) = departments {
        answers = answers.filter(survey_tally::Column::DepartmentCode.is_in(departments.to_vec()));
    }
    let (answered, sum): (Option<i64>, Option<i64>) =
        answers.into_tuple().one(db).await?.unwrap_or_default();
    let answered = answered.unwrap_or(0);
    let satisfaction = Satisfaction {
        mean: (answered >= MIN_GROUP)
            .then(|| (sum.unwrap_or(0) as f64 * 100.0 / (6 * answered) as f64).round() / 100.0),
        n: answered,
        small_group: answered < MIN_GROUP,
    };
    Ok(satisfaction)
}
