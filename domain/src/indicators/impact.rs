//! Whether training moved a municipality's capacity (issue 15), always as an association:
//!
//! - [`municipality`]: for each capacity, the people of the municipality trained, completed,
//!   certified and still in the entity, per year, beside each linked indicator's series, with
//!   «before» (the last observation before the year of the first completion in that capacity)
//!   and «after» (the latest observation after that year). Years are vigencias and a cohort's
//!   year is the year it started, so the year of the first completion itself is neither before
//!   nor after: its vigencia mixes months before and after the training.
//! - [`compare`]: ESAP's comparison, for a capacity, an indicator, two years, a threshold and a
//!   unit (completions of training, closed technical assistances — the unit of ESAP's own
//!   study, "5 asistencias técnicas o más" — or both): municipalities with at least
//!   `threshold` of them in the capacity before `to_year`, with 1 to `threshold − 1` and with
//!   none — count, median and mean change — overall and within strata of the same category
//!   and PDET status. The capacity may be «any» (issue 49): every capacity's counts summed per
//!   municipality, as ESAP's study counts assistances across topics. Two [`Preset`]s name the
//!   usual choices (ESAP's own study; training in one capacity); explicit parameters override
//!   a preset's.

use crate::accounts::actor::Actor;
use crate::entities::{
    assistance_figure, capacity, capacity_figure, capacity_year_figure, indicator,
    indicator_observation, municipality,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::reports::place::{self, Place};
use crate::rows::Rows;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// A capacity, as impact figures name it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CapacityRef {
    pub id: i32,
    pub code: String,
    pub name: String,
}

/// People of the municipality in a capacity in a year (the year the cohort started), and the
/// technical assistances on it that started that year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct YearFigures {
    pub year: i32,
    pub trained: i64,
    pub completed: i64,
    pub certified: i64,
    /// Technical assistances (every provider's, not cancelled).
    pub assistances: i64,
    /// Of them, the closed ones.
    pub assistances_closed: i64,
    /// Second-generation reach (issue 48): people reached that year by replicas of certified
    /// replicators; never part of `trained`.
    pub people_reached_by_replicas: i64,
}

/// One observation of an indicator.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Point {
    pub year: i32,
    pub value: f64,
    /// Made up by the national generator: not real data.
    pub synthetic: bool,
    /// The value as people read it («49,4», «E»).
    pub display: String,
}

/// An indicator of a capacity over the years, with «before» and «after» the training.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct IndicatorSeries {
    pub id: i32,
    pub code: String,
    pub name: String,
    pub unit: String,
    pub higher_is_better: bool,
    pub note: String,
    /// Oldest first.
    pub observations: Vec<Point>,
    pub before: Option<Point>,
    pub after: Option<Point>,
    /// `after − before`, when both exist.
    pub change: Option<f64>,
}

/// A capacity of the municipality: its training and its indicators.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CapacityImpact {
    pub capacity: CapacityRef,
    /// Distinct people over all years.
    pub trained: i64,
    pub completed: i64,
    pub certified: i64,
    pub still_in_entity: i64,
    /// Technical assistances on the capacity (every provider's, not cancelled, any year).
    pub assistances: i64,
    /// Of them, the closed ones.
    pub assistances_closed: i64,
    /// Second-generation reach (issue 48): people reached by replicas, any year; shown beside
    /// direct training, never summed into it.
    pub people_reached_by_replicas: i64,
    /// Oldest first.
    pub by_year: Vec<YearFigures>,
    /// The year of the first completion in this capacity; none when nobody completed yet.
    pub first_completion_year: Option<i32>,
    pub indicators: Vec<IndicatorSeries>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = MunicipalityImpact)]
pub struct MunicipalityImpact {
    #[schema(value_type = Object)]
    pub municipality: Place,
    pub capacities: Vec<CapacityImpact>,
}

/// «Before» and «after» a first completion in `first_year` on a series sorted by year.
pub fn before_after(series: &[Point], first_year: Option<i32>) -> (Option<Point>, Option<Point>) {
    let Some(first) = first_year else {
        return (None, None);
    };
    let before = series.iter().rfind(|p| p.year < first).cloned();
    let after = series.iter().rfind(|p| p.year > first).cloned();
    (before, after)
}

/// A municipality's impact page and API (404 outside the caller's territory).
pub async fn municipality<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    code: &str,
) -> AppResult<MunicipalityImpact> {
    let place = place::find(db, user, code).await?;
    let capacities = capacity::Entity::find()
        .order_by_asc(capacity::Column::SortOrder)
        .order_by_asc(capacity::Column::Id)
        .all(db)
        .await?;
    let totals: HashMap<i32, capacity_figure::Model> = capacity_figure::Entity::find()
        .filter(capacity_figure::Column::MunicipalityCode.eq(code))
        .all_mapped(db, |f| (f.capacity_id, f))
        .await?;
    let mut years = years_of(db, code).await?;
    let mut series: HashMap<i32, Vec<Point>> = HashMap::new();
    let indicators = super::list(db).await?;
    let units: HashMap<i32, &str> = indicators.iter().map(|i| (i.id, i.unit.as_str())).collect();
    for o in indicator_observation::Entity::find()
        .filter(indicator_observation::Column::MunicipalityCode.eq(code))
        .order_by_asc(indicator_observation::Column::Year)
        .all(db)
        .await?
    {
        let unit = units.get(&o.indicator_id).copied().unwrap_or_default();
        series.entry(o.indicator_id).or_default().push(Point {
            year: o.year,
            value: o.value,
            synthetic: o.synthetic,
            display: super::display(unit, o.value),
        });
    }
    let out = capacities
        .into_iter()
        .map(|c| {
            let by_year = years.remove(&c.id).unwrap_or_default();
            let first_completion_year = by_year.iter().find(|y| y.completed > 0).map(|y| y.year);
            let total = totals.get(&c.id);
            let indicators = indicators
                .iter()
                .filter(|i| i.capacity_ids.contains(&c.id))
                .map(|i| {
                    let observations = series.get(&i.id).cloned().unwrap_or_default();
                    let (before, after) = before_after(&observations, first_completion_year);
                    let change = before
                        .as_ref()
                        .zip(after.as_ref())
                        .map(|(b, a)| a.value - b.value);
                    IndicatorSeries {
                        id: i.id,
                        code: i.code.clone(),
                        name: i.name.clone(),
                        unit: i.unit.clone(),
                        higher_is_better: i.higher_is_better,
                        note: i.note.clone(),
                        observations,
                        before,
                        after,
                        change,
                    }
                })
                .collect();
            CapacityImpact {
                capacity: CapacityRef {
                    id: c.id,
                    code: c.code,
                    name: c.name,
                },
                trained: total.map_or(0, |t| t.trained.into()),
                completed: total.map_or(0, |t| t.completed.into()),
                certified: total.map_or(0, |t| t.certified.into()),
                still_in_entity: total.map_or(0, |t| t.still_in_entity.into()),
                assistances: by_year.iter().map(|y| y.assistances).sum(),
                assistances_closed: by_year.iter().map(|y| y.assistances_closed).sum(),
                people_reached_by_replicas: by_year
                    .iter()
                    .map(|y| y.people_reached_by_replicas)
                    .sum(),
                by_year,
                first_completion_year,
                indicators,
            }
        })
        .collect();
    Ok(MunicipalityImpact {
        municipality: place,
        capacities: out,
    })
}

/// A municipality's figures per capacity and year, in order of year: training, technical
/// assistance and the people its trainers' replicas reached.
async fn years_of<C: ConnectionTrait>(
    db: &C,
    code: &str,
) -> AppResult<HashMap<i32, Vec<YearFigures>>> {
    let mut years: HashMap<i32, Vec<YearFigures>> = HashMap::new();
    for f in capacity_year_figure::Entity::find()
        .filter(capacity_year_figure::Column::MunicipalityCode.eq(code))
        .order_by_asc(capacity_year_figure::Column::Year)
        .all(db)
        .await?
    {
        years.entry(f.capacity_id).or_default().push(YearFigures {
            year: f.year,
            trained: f.trained.into(),
            completed: f.completed.into(),
            certified: f.certified.into(),
            assistances: 0,
            assistances_closed: 0,
            people_reached_by_replicas: 0,
        });
    }
    for f in assistance_figure::Entity::find()
        .filter(assistance_figure::Column::MunicipalityCode.eq(code))
        .all(db)
        .await?
    {
        let list = years.entry(f.capacity_id).or_default();
        let at = match list.iter().position(|y| y.year == f.year) {
            Some(at) => at,
            None => {
                list.push(YearFigures {
                    year: f.year,
                    trained: 0,
                    completed: 0,
                    certified: 0,
                    assistances: 0,
                    assistances_closed: 0,
                    people_reached_by_replicas: 0,
                });
                list.len() - 1
            }
        };
        list[at].assistances += i64::from(f.assistances);
        list[at].assistances_closed += i64::from(f.closed);
    }
    for f in crate::entities::replica_figure::Entity::find()
        .filter(crate::entities::replica_figure::Column::MunicipalityCode.eq(code))
        .all(db)
        .await?
    {
        let list = years.entry(f.capacity_id).or_default();
        let at = match list.iter().position(|y| y.year == f.year) {
            Some(at) => at,
            None => {
                list.push(YearFigures {
                    year: f.year,
                    trained: 0,
                    completed: 0,
                    certified: 0,
                    assistances: 0,
                    assistances_closed: 0,
                    people_reached_by_replicas: 0,
                });
                list.len() - 1
            }
        };
        list[at].people_reached_by_replicas += i64::from(f.people_reached);
    }
    for list in years.values_mut() {
        list.sort_by_key(|y| y.year);
    }
    Ok(years)
}

// ---- ESAP's comparison -------------------------------------------------------------------

/// The comparison's parameters as they arrive.
#[derive(Clone, Debug, Default)]
pub struct ComparisonQuery {
    /// A capacity's id, or `any` (every capacity summed), as it arrives.
    pub capacity: Option<String>,
    pub indicator: Option<i32>,
    pub from_year: Option<i32>,
    pub to_year: Option<i32>,
    pub threshold: Option<i64>,
    pub department: Option<String>,
    /// `training` (default), `assistance` or `both`, as it arrives.
    pub unit: Option<String>,
    /// `estudio_esap` or `formacion_capacidad`, as it arrives: the choices a parameter left
    /// out takes.
    pub preset: Option<String>,
}

/// The capacity value that means every capacity, summed per municipality.
pub const ANY_CAPACITY: &str = "any";

/// A named set of the comparison's choices (capacity, unit, threshold); an explicit parameter
/// overrides the preset's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// ESAP's own study: closed technical assistances, any capacity, five or more.
    EstudioEsap,
    /// Training in one capacity: people who completed it, five or more (the page's default).
    FormacionCapacidad,
}

impl Preset {
    pub const ALL: [Preset; 2] = [Preset::EstudioEsap, Preset::FormacionCapacidad];

    pub fn code(self) -> &'static str {
        match self {
            Preset::EstudioEsap => "estudio_esap",
            Preset::FormacionCapacidad => "formacion_capacidad",
        }
    }

    pub fn parse(code: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.code() == code)
    }

    /// Its name on the page.
    pub fn label(self) -> &'static str {
        match self {
            Preset::EstudioEsap => "Estudio de ESAP",
            Preset::FormacionCapacidad => "Formación en la capacidad",
        }
    }

    /// What it counts and why, in Spanish.
    pub fn explanation(self) -> &'static str {
        match self {
            Preset::EstudioEsap => {
                "Cuenta las asistencias técnicas cerradas en cualquier capacidad (las de todas \
                 las capacidades, sumadas por municipio) y separa los municipios con 5 o más, \
                 como el estudio de ESAP, que compara los municipios con «5 asistencias \
                 técnicas o más» sin distinguir el tema. Una asistencia técnica sobre dos \
                 capacidades cuenta en cada una."
            }
            Preset::FormacionCapacidad => {
                "Cuenta las personas del municipio que aprobaron formación en la capacidad \
                 elegida y separa los municipios con 5 o más aprobaciones: mide la formación \
                 en el tema que el indicador refleja."
            }
        }
    }

    /// It counts every capacity (otherwise the caller chooses one).
    fn any_capacity(self) -> bool {
        self == Preset::EstudioEsap
    }

    fn unit(self) -> Unit {
        match self {
            Preset::EstudioEsap => Unit::Assistance,
            Preset::FormacionCapacidad => Unit::Training,
        }
    }

    fn threshold(self) -> i64 {
        DEFAULT_THRESHOLD
    }

    /// The preset whose choices these are.
    pub fn matching(any_capacity: bool, unit: Unit, threshold: i64) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| {
            p.any_capacity() == any_capacity && p.unit() == unit && p.threshold() == threshold
        })
    }
}

/// The preset asked for (if any, as it arrives) counts every capacity: a page leaves the
/// capacity unchosen for it instead of falling back to the first one.
pub fn preset_counts_any_capacity(preset: Option<&str>) -> bool {
    preset
        .and_then(Preset::parse)
        .is_some_and(Preset::any_capacity)
}

/// What the comparison counts per municipality.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// People of the municipality who completed training in the capacity.
    #[default]
    Training,
    /// Technical assistances on the capacity closed (ESAP's study counts these).
    Assistance,
    /// Both added: completions and closed assistances.
    Both,
}

impl Unit {
    pub const ALL: [Unit; 3] = [Unit::Training, Unit::Assistance, Unit::Both];

    pub fn code(self) -> &'static str {
        match self {
            Unit::Training => "training",
            Unit::Assistance => "assistance",
            Unit::Both => "both",
        }
    }

    pub fn parse(code: &str) -> Option<Unit> {
        Unit::ALL.into_iter().find(|u| u.code() == code)
    }

    /// (one, many) in Spanish: «aprobación», «aprobaciones».
    pub fn nouns(self) -> (&'static str, &'static str) {
        match self {
            Unit::Training => ("aprobación", "aprobaciones"),
            Unit::Assistance => (
                "asistencia técnica cerrada",
                "asistencias técnicas cerradas",
            ),
            Unit::Both => (
                "acción (aprobación o asistencia técnica)",
                "acciones (aprobaciones y asistencias técnicas)",
            ),
        }
    }

    /// The counted value's name in the groups' rules.
    fn variable(self) -> &'static str {
        match self {
            Unit::Training => "completed",
            Unit::Assistance => "assistances",
            Unit::Both => "actions",
        }
    }

    /// The count of one municipality in this unit.
    pub fn count(self, completed: i64, assistances: i64) -> i64 {
        match self {
            Unit::Training => completed,
            Unit::Assistance => assistances,
            Unit::Both => completed + assistances,
        }
    }
}

/// How the groups' cost is counted, in Spanish (the page and the workbook say it).
pub const COST_METHOD: &str = "Costo: se suman solo los costos ejecutados (nunca los planeados ni \
     los comprometidos) con fecha entre el 1 de enero del año inicial y el 31 de diciembre del \
     año final, de las cohortes cuyo curso desarrolla la capacidad y de las asistencias técnicas \
     en ella (con cualquier capacidad, todos), y solo los que usted puede consultar. El costo de \
     una cohorte se reparte entre los municipios de sus personas formadas, en proporción a \
     cuántas personas formó de cada uno (si no formó a nadie, por partes iguales entre los \
     municipios a los que se ofreció); el de una asistencia técnica va a su municipio. Las \
     cohortes de formación de formadores cuentan como réplicas. El costo por municipio divide \
     el costo ejecutado entre los municipios del grupo con algún costo: los que no tienen \
     ninguno se nombran y se excluyen. El costo por persona certificada lo divide entre las \
     personas del grupo certificadas en cohortes que empezaron en esos años. El costo por punto \
     de cambio lo divide entre lo que la mediana del cambio del grupo supera a la del grupo \
     sin ninguna acción (en la dirección en que el indicador mejora); no se calcula si no la \
     supera o si el grupo tiene menos de 5 municipios. Todo en pesos enteros, redondeados al \
     peso más cercano.";

pub const DEFAULT_THRESHOLD: i64 = 5;
pub use super::SMALL_GROUP;

/// One group of municipalities by the count of the unit.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Group {
    /// «5 o más aprobaciones», «De 1 a 4 asistencias técnicas cerradas», «Ninguna acción …».
    pub label: String,
    /// The rule in symbols: `completed >= 5`, `1 <= assistances <= 4`, `actions = 0`.
    pub rule: String,
    pub municipalities: usize,
    pub median_change: Option<f64>,
    pub mean_change: Option<f64>,
    /// Fewer than 5 municipalities: read with care.
    pub small: bool,
    /// What the group's municipalities received in the window, and at what cost per point of
    /// change (issue 68; see `cost`).
    pub cost: super::cost::GroupCost,
}

/// The groups within one stratum: the same category and PDET status.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Stratum {
    /// «E», «1» … «6»; none when the municipality has no category.
    pub category: Option<String>,
    pub pdet: bool,
    pub municipalities: usize,
    pub groups: Vec<Group>,
}

/// One municipality in the comparison.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ComparisonRow {
    pub municipality_code: String,
    pub municipality_name: String,
    pub department_name: String,
    pub category: Option<String>,
    pub pdet: bool,
    /// Completions in the capacity (in every capacity, summed, for any capacity) before
    /// `to_year`.
    pub completed: i64,
    /// Technical assistances on the capacity (on every capacity, summed, for any capacity)
    /// closed, started before `to_year`.
    pub assistances: i64,
    /// What the unit counts: `completed`, `assistances` or their sum.
    pub actions: i64,
    pub from_value: f64,
    pub to_value: f64,
    pub change: f64,
    /// One of the two values was made up by the national generator.
    pub synthetic: bool,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ImpactComparison)]
pub struct Comparison {
    /// None: any capacity (every capacity's counts summed per municipality).
    pub capacity: Option<CapacityRef>,
    pub indicator_id: i32,
    pub indicator_name: String,
    pub indicator_unit: String,
    pub higher_is_better: bool,
    pub from_year: i32,
    pub to_year: i32,
    pub threshold: i64,
    pub unit: Unit,
    /// The preset whose choices (capacity, unit, threshold) these are, asked for or not.
    pub preset: Option<Preset>,
    pub groups: Vec<Group>,
    pub strata: Vec<Stratum>,
    /// By department, then municipality.
    pub rows: Vec<ComparisonRow>,
    /// Rows with a synthetic value (demo and benchmark databases only).
    pub synthetic_rows: usize,
    pub caveat: String,
    /// How the groups' `cost` is counted, in Spanish.
    pub cost_method: String,
}

/// The comparison's capacity as people read it: its name, or «Cualquier capacidad (todas
/// sumadas)».
pub fn capacity_label(c: &Comparison) -> String {
    c.capacity.as_ref().map_or_else(
        || "Cualquier capacidad (todas sumadas)".to_string(),
        |c| c.name.clone(),
    )
}

/// The median of some values (the mean of the two middle ones for an even count).
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// The middle group's name: «De 1 a 4 acciones», «1 acción»; with a threshold of 1 there is
/// none between (never «De 1 a 0 acciones»).
fn middle_label(threshold: i64, one: &str, many: &str) -> String {
    match threshold - 1 {
        below if below >= 2 => format!("De 1 a {below} {many}"),
        1 => format!("1 {one}"),
        _ => format!(
            "Sin grupo intermedio (el umbral es {})",
            crate::format::plural(threshold, one, many)
        ),
    }
}

/// The three groups of `rows` by the unit's count (`actions`) against `threshold`.
pub fn groups(rows: &[&ComparisonRow], threshold: i64, unit: Unit) -> Vec<Group> {
    let below = threshold - 1;
    let (one, many) = unit.nouns();
    let variable = unit.variable();
    type Test = Box<dyn Fn(i64) -> bool>;
    let kinds: [(String, String, Test); 3] = [
        (
            format!("{threshold} o más {many}"),
            format!("{variable} >= {threshold}"),
            Box::new(move |c| c >= threshold),
        ),
        (
            middle_label(threshold, one, many),
            format!("1 <= {variable} <= {below}"),
            Box::new(move |c| c >= 1 && c <= below),
        ),
        (
            format!("Ninguna {one}"),
            format!("{variable} = 0"),
            Box::new(|c| c == 0),
        ),
    ];
    kinds
        .into_iter()
        .map(|(label, rule, test)| {
            let mut changes: Vec<f64> = rows
                .iter()
                .filter(|r| test(r.actions))
                .map(|r| r.change)
                .collect();
            Group {
                label,
                rule,
                municipalities: changes.len(),
                mean_change: mean(&changes),
                median_change: median(&mut changes),
                small: changes.len() < SMALL_GROUP,
                cost: super::cost::GroupCost {
                    small_group: changes.len() < SMALL_GROUP,
                    ..Default::default()
                },
            }
        })
        .collect()
}

/// The groups over all `rows` and within each stratum (category order E, 1…6, none; non-PDET
/// before PDET).
pub fn summarize(rows: &[ComparisonRow], threshold: i64, unit: Unit) -> (Vec<Group>, Vec<Stratum>) {
    let all: Vec<&ComparisonRow> = rows.iter().collect();
    let overall = groups(&all, threshold, unit);
    let mut by_stratum: BTreeMap<(usize, bool), Vec<&ComparisonRow>> = BTreeMap::new();
    for row in rows {
        by_stratum
            .entry((category_order(&row.category), row.pdet))
            .or_default()
            .push(row);
    }
    let strata = by_stratum
        .into_values()
        .map(|members| Stratum {
            category: members[0].category.clone(),
            pdet: members[0].pdet,
            municipalities: members.len(),
            groups: groups(&members, threshold, unit),
        })
        .collect();
    (overall, strata)
}

/// `rows` in the three groups' order (≥ threshold, 1 to threshold − 1, none), as [`groups`]
/// puts them.
fn members<'a>(rows: &[&'a ComparisonRow], threshold: i64) -> Vec<Vec<&'a ComparisonRow>> {
    let mut out = vec![Vec::new(), Vec::new(), Vec::new()];
    for row in rows {
        match row.actions {
            c if c >= threshold => out[0].push(*row),
            c if c >= 1 => out[1].push(*row),
            0 => out[2].push(*row),
            _ => {}
        }
    }
    out
}

/// Puts each group's cost (overall and within each stratum, against the stratum's own
/// comparison group) from the municipalities' costs.
fn attach_costs(
    rows: &[ComparisonRow],
    threshold: i64,
    groups: &mut [Group],
    strata: &mut [Stratum],
    costs: &HashMap<String, super::cost::MunicipalityCost>,
    higher_is_better: bool,
) {
    let all: Vec<&ComparisonRow> = rows.iter().collect();
    attach(groups, &members(&all, threshold), costs, higher_is_better);
    let mut by_stratum: BTreeMap<(usize, bool), Vec<&ComparisonRow>> = BTreeMap::new();
    for row in rows {
        by_stratum
            .entry((category_order(&row.category), row.pdet))
            .or_default()
            .push(row);
    }
    for (stratum, rows) in strata.iter_mut().zip(by_stratum.into_values()) {
        attach(
            &mut stratum.groups,
            &members(&rows, threshold),
            costs,
            higher_is_better,
        );
    }
}

/// The cost of each of `groups` (in their order, the last one the comparison group) over the
/// `rows` they were made from: which rows fall in which group is `members[i]`.
fn attach(
    groups: &mut [Group],
    members: &[Vec<&ComparisonRow>],
    costs: &HashMap<String, super::cost::MunicipalityCost>,
    higher_is_better: bool,
) {
    let baseline = groups.last().and_then(|g| g.median_change);
    let last = groups.len().saturating_sub(1);
    for (i, (group, rows)) in groups.iter_mut().zip(members).enumerate() {
        let beyond = if i == last {
            None
        } else {
            super::cost::points_beyond(group.median_change, baseline, higher_is_better)
        };
        group.cost = super::cost::group_cost(
            rows.iter().map(|r| r.municipality_code.as_str()),
            costs,
            beyond,
        );
    }
}

fn category_order(category: &Option<String>) -> usize {
    category
        .as_deref()
        .and_then(|c| crate::territory::CATEGORIES.iter().position(|k| *k == c))
        .unwrap_or(crate::territory::CATEGORIES.len())
}

/// ESAP's comparison for the caller's territory (a reviewer: their department, silently).
pub async fn compare<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    query: &ComparisonQuery,
) -> AppResult<Comparison> {
    let Asked {
        capacity,
        indicator,
        unit,
        threshold,
        from_year,
        to_year,
    } = asked(db, query).await?;
    let mut department = crate::reports::non_empty(&query.department);
    let nothing = crate::reports::limit_to_scope(user, &mut department, None);
    let mut places = municipality::Entity::find();
    if let Some(d) = &department {
        places = places.filter(municipality::Column::DepartmentCode.eq(d.as_str()));
    }
    let places: HashMap<String, municipality::Model> = if nothing {
        HashMap::new()
    } else {
        places.all_mapped(db, |m| (m.code.clone(), m)).await?
    };
    let departments = crate::territory::department_names(db).await?;
    let values = |year: i32| {
        indicator_observation::Entity::find()
            .filter(indicator_observation::Column::IndicatorId.eq(indicator.id))
            .filter(indicator_observation::Column::Year.eq(year))
            .all(db)
    };
    let from_values: HashMap<String, (f64, bool)> = values(from_year)
        .await?
        .into_iter()
        .map(|o| (o.municipality_code, (o.value, o.synthetic)))
        .collect();
    let (completed, assistances) =
        actions_before(db, to_year, capacity.as_ref(), department.as_deref()).await?;
    let mut rows: Vec<ComparisonRow> = values(to_year)
        .await?
        .into_iter()
        .filter_map(|to| {
            let place = places.get(&to.municipality_code)?;
            let (from_value, from_synthetic) = *from_values.get(&to.municipality_code)?;
            let completed = completed.get(&place.code).copied().unwrap_or(0);
            let assistances = assistances.get(&place.code).copied().unwrap_or(0);
            Some(ComparisonRow {
                municipality_code: place.code.clone(),
                municipality_name: place.name.clone(),
                department_name: departments
                    .get(&place.department_code)
                    .cloned()
                    .unwrap_or_default(),
                category: place.category.clone(),
                pdet: place.pdet_subregion_id.is_some(),
                completed,
                assistances,
                actions: unit.count(completed, assistances),
                from_value,
                to_value: to.value,
                change: to.value - from_value,
                synthetic: from_synthetic || to.synthetic,
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        (
            &a.department_name,
            crate::text::fold(&a.municipality_name),
            &a.municipality_code,
        )
            .cmp(&(
                &b.department_name,
                crate::text::fold(&b.municipality_name),
                &b.municipality_code,
            ))
    });
    let (mut groups, mut strata) = summarize(&rows, threshold, unit);
    let codes: std::collections::HashSet<String> =
        rows.iter().map(|r| r.municipality_code.clone()).collect();
    let costs = super::cost::by_municipality(
        db,
        &super::cost::Summed::reader(user),
        capacity.as_ref().map(|c| c.id),
        from_year,
        to_year,
        &codes,
    )
    .await?;
    attach_costs(
        &rows,
        threshold,
        &mut groups,
        &mut strata,
        &costs,
        indicator.higher_is_better,
    );
    let synthetic_rows = rows.iter().filter(|r| r.synthetic).count();
    let caveat = caveat(indicator.higher_is_better, synthetic_rows);
    Ok(Comparison {
        preset: Preset::matching(capacity.is_none(), unit, threshold),
        capacity: capacity.map(|c| CapacityRef {
            id: c.id,
            code: c.code,
            name: c.name,
        }),
        indicator_id: indicator.id,
        indicator_name: indicator.name,
        indicator_unit: indicator.unit,
        higher_is_better: indicator.higher_is_better,
        from_year,
        to_year,
        threshold,
        unit,
        groups,
        strata,
        rows,
        synthetic_rows,
        caveat,
        cost_method: COST_METHOD.to_string(),
    })
}

/// A comparison's choices, checked: `None` capacity is any capacity.
struct Asked {
    capacity: Option<capacity::Model>,
    indicator: indicator::Model,
    unit: Unit,
    threshold: i64,
    from_year: i32,
    to_year: i32,
}

/// Checks the comparison asked for (every problem at once), with the preset's values where
/// the query leaves one out and the indicator's observed years where it names none.
async fn asked<C: ConnectionTrait>(db: &C, query: &ComparisonQuery) -> AppResult<Asked> {
    let mut errors = Vec::new();
    let preset = match crate::reports::non_empty(&query.preset) {
        None => None,
        Some(code) => {
            let found = Preset::parse(&code);
            if found.is_none() {
                errors.push(FieldError::new(
                    "preset",
                    "El ajuste debe ser estudio_esap (el estudio de ESAP) o formacion_capacidad \
                     (formación en la capacidad).",
                ));
            }
            found
        }
    };
    // `Some(None)`: any capacity.
    let capacity: Option<Option<capacity::Model>> = match crate::reports::non_empty(&query.capacity)
    {
        None if preset.is_some_and(Preset::any_capacity) => Some(None),
        None => {
            errors.push(FieldError::new("capacity", "Elija la capacidad."));
            None
        }
        Some(text) if text == ANY_CAPACITY => Some(None),
        Some(text) => match text.parse::<i32>() {
            Err(_) => {
                errors.push(FieldError::new(
                    "capacity",
                    "La capacidad debe ser el número de una capacidad o «any» (cualquier \
                     capacidad).",
                ));
                None
            }
            Ok(id) => {
                let found = capacity::Entity::find_by_id(id).one(db).await?;
                if found.is_none() {
                    errors.push(FieldError::new("capacity", "La capacidad no existe."));
                }
                found.map(Some)
            }
        },
    };
    let indicator = match query.indicator {
        None => {
            errors.push(FieldError::new("indicator", "Elija el indicador."));
            None
        }
        Some(id) => {
            let found = indicator::Entity::find_by_id(id).one(db).await?;
            if found.is_none() {
                errors.push(FieldError::new("indicator", "El indicador no existe."));
            }
            found
        }
    };
    let unit = match crate::reports::non_empty(&query.unit) {
        None => preset.map(Preset::unit).unwrap_or_default(),
        Some(code) => Unit::parse(&code).unwrap_or_else(|| {
            errors.push(FieldError::new(
                "unit",
                "La unidad debe ser formación (training), asistencia técnica (assistance) o ambas (both).",
            ));
            Unit::default()
        }),
    };
    let threshold = query
        .threshold
        .or(preset.map(Preset::threshold))
        .unwrap_or(DEFAULT_THRESHOLD);
    if !(1..=1000).contains(&threshold) {
        errors.push(FieldError::new(
            "threshold",
            "El umbral debe ser un número entre 1 y 1.000.",
        ));
    }
    let (Some(capacity), Some(indicator)) = (capacity, indicator) else {
        return Err(AppError::Validation(errors));
    };
    let observed_years = super::observed_years(db, indicator.id).await?;
    let to_year = query.to_year.or(observed_years.last().copied());
    let from_year = query.from_year.or(observed_years.first().copied());
    let (Some(from_year), Some(to_year)) = (from_year, to_year) else {
        errors.push(FieldError::new(
            "indicator",
            "El indicador aún no tiene observaciones.",
        ));
        return Err(AppError::Validation(errors));
    };
    if from_year >= to_year {
        errors.push(FieldError::new(
            "to_year",
            "El año final debe ser posterior al inicial.",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok(Asked {
        capacity,
        indicator,
        unit,
        threshold,
        from_year,
        to_year,
    })
}

/// Per municipality, before `to_year`: people who completed training in `capacity` (any
/// capacity: `None`), and the technical assistances on it that closed.
async fn actions_before<C: ConnectionTrait>(
    db: &C,
    to_year: i32,
    capacity: Option<&capacity::Model>,
    department: Option<&str>,
) -> AppResult<(HashMap<String, i64>, HashMap<String, i64>)> {
    let mut completed: HashMap<String, i64> = HashMap::new();
    let mut condition = Condition::all().add(capacity_year_figure::Column::Year.lt(to_year));
    if let Some(c) = capacity {
        condition = condition.add(capacity_year_figure::Column::CapacityId.eq(c.id));
    }
    if let Some(d) = department {
        condition = condition.add(capacity_year_figure::Column::DepartmentCode.eq(d));
    }
    for f in capacity_year_figure::Entity::find()
        .filter(condition)
        .all(db)
        .await?
    {
        *completed.entry(f.municipality_code).or_default() += i64::from(f.completed);
    }
    let mut assistances: HashMap<String, i64> = HashMap::new();
    let mut condition = Condition::all().add(assistance_figure::Column::Year.lt(to_year));
    if let Some(c) = capacity {
        condition = condition.add(assistance_figure::Column::CapacityId.eq(c.id));
    }
    if let Some(d) = department {
        condition = condition.add(assistance_figure::Column::DepartmentCode.eq(d));
    }
    for f in assistance_figure::Entity::find()
        .filter(condition)
        .all(db)
        .await?
    {
        *assistances.entry(f.municipality_code).or_default() += i64::from(f.closed);
    }
    Ok((completed, assistances))
}

/// What the comparison can and cannot say, with the direction of the indicator and how many
/// rows carry synthetic values.
fn caveat(higher_is_better: bool, synthetic_rows: usize) -> String {
    let mut caveat = format!(
        "Esta comparación muestra una asociación, no una causa: los municipios que se forman \
         pueden diferir de los demás en otras cosas que también mueven el indicador. Cada cifra \
         dice cuántos municipios la respaldan; los grupos de menos de {SMALL_GROUP} municipios \
         se señalan porque su mediana dice poco. Compare dentro de cada estrato (misma \
         categoría y condición PDET) para no comparar municipios muy distintos."
    );
    if !higher_is_better {
        caveat.push_str(
            " En este indicador un valor menor es mejor: un cambio negativo es una mejora.",
        );
    }
    if synthetic_rows > 0 {
        caveat.push_str(&format!(
            " {} valores sintéticos del generador de datos de prueba: no son datos reales.",
            crate::format::plural(
                synthetic_rows as i64,
                "municipio tiene",
                "municipios tienen"
            )
        ));
    }
    caveat
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_middle_group_is_named_without_an_empty_range() {
        assert_eq!(middle_label(5, "acción", "acciones"), "De 1 a 4 acciones");
        assert_eq!(middle_label(2, "acción", "acciones"), "1 acción");
        assert_eq!(
            middle_label(1, "acción", "acciones"),
            "Sin grupo intermedio (el umbral es 1 acción)"
        );
    }

    fn point(year: i32, value: f64) -> Point {
        Point {
            year,
            value,
            synthetic: false,
            display: String::new(),
        }
    }

    #[test]
    fn before_is_the_last_value_before_the_first_completion_and_after_the_latest_after_it() {
        let series = vec![
            point(2019, 40.0),
            point(2020, 42.0),
            point(2022, 45.0),
            point(2023, 47.0),
            point(2025, 50.0),
        ];
        let (before, after) = before_after(&series, Some(2022));
        assert_eq!(before.map(|p| p.year), Some(2020), "2022 itself is neither");
        assert_eq!(after.map(|p| p.year), Some(2025));
        let (before, after) = before_after(&series, Some(2025));
        assert_eq!(before.map(|p| p.year), Some(2023));
        assert_eq!(after, None, "nothing measured after 2025 yet");
        let (before, after) = before_after(&series, Some(2019));
        assert_eq!(before, None);
        assert_eq!(after.map(|p| p.value), Some(50.0));
        assert_eq!(
            before_after(&series, None),
            (None, None),
            "nobody completed"
        );
    }

    fn row(
        code: &str,
        category: Option<&str>,
        pdet: bool,
        completed: i64,
        change: f64,
    ) -> ComparisonRow {
        ComparisonRow {
            municipality_code: code.into(),
            municipality_name: code.into(),
            department_name: String::new(),
            category: category.map(str::to_string),
            pdet,
            completed,
            assistances: 0,
            actions: completed,
            from_value: 50.0,
            to_value: 50.0 + change,
            change,
            synthetic: false,
        }
    }

    #[test]
    fn groups_and_strata_have_exact_medians_means_and_counts() {
        let rows = vec![
            row("a", Some("6"), true, 7, 4.0),
            row("b", Some("6"), true, 5, 2.0),
            row("c", Some("6"), true, 0, -1.0),
            row("d", Some("6"), false, 2, 1.0),
            row("e", Some("6"), false, 0, 0.5),
            row("f", Some("E"), false, 12, 3.0),
            row("g", Some("E"), false, 0, 1.0),
            row("h", None, false, 1, -2.0),
        ];
        let (groups, strata) = summarize(&rows, 5, Unit::Training);
        let trained = &groups[0];
        assert_eq!(trained.rule, "completed >= 5");
        assert_eq!(trained.municipalities, 3);
        assert_eq!(trained.median_change, Some(3.0));
        assert_eq!(trained.mean_change, Some(3.0));
        assert!(trained.small);
        let some = &groups[1];
        assert_eq!((some.municipalities, some.median_change), (2, Some(-0.5)));
        assert_eq!(some.mean_change, Some(-0.5));
        let none = &groups[2];
        assert_eq!(none.municipalities, 3);
        assert_eq!(none.median_change, Some(0.5));
        assert_eq!(none.mean_change, Some(0.5 / 3.0));
        // Strata: E non-PDET, 6 non-PDET, 6 PDET, no category.
        let keys: Vec<(Option<&str>, bool, usize)> = strata
            .iter()
            .map(|s| (s.category.as_deref(), s.pdet, s.municipalities))
            .collect();
        assert_eq!(
            keys,
            vec![
                (Some("E"), false, 2),
                (Some("6"), false, 2),
                (Some("6"), true, 3),
                (None, false, 1)
            ]
        );
        let six_pdet = &strata[2].groups;
        assert_eq!(six_pdet[0].median_change, Some(3.0));
        assert_eq!(six_pdet[1].municipalities, 0);
        assert_eq!(six_pdet[1].median_change, None);
        assert_eq!(six_pdet[2].mean_change, Some(-1.0));
        // A threshold of 1 leaves the middle group empty by definition.
        let (groups, _) = summarize(&rows, 1, Unit::Training);
        assert_eq!(groups[0].municipalities, 5);
        assert_eq!(groups[1].municipalities, 0);
    }

    #[test]
    fn presets_are_named_by_their_choices() {
        assert_eq!(Preset::parse("estudio_esap"), Some(Preset::EstudioEsap));
        assert_eq!(Preset::parse("estudio"), None);
        assert_eq!(
            Preset::matching(true, Unit::Assistance, 5),
            Some(Preset::EstudioEsap)
        );
        assert_eq!(
            Preset::matching(false, Unit::Training, 5),
            Some(Preset::FormacionCapacidad)
        );
        assert_eq!(Preset::matching(false, Unit::Assistance, 5), None);
        assert_eq!(Preset::matching(true, Unit::Assistance, 4), None);
        assert!(preset_counts_any_capacity(Some("estudio_esap")));
        assert!(!preset_counts_any_capacity(Some("formacion_capacidad")));
        assert!(!preset_counts_any_capacity(None));
    }

    #[test]
    fn units_name_their_groups_and_count_assistances_beside_completions() {
        assert_eq!(Unit::parse("assistance"), Some(Unit::Assistance));
        assert_eq!(Unit::parse("asistencia"), None);
        assert_eq!(Unit::Training.count(3, 2), 3);
        assert_eq!(Unit::Assistance.count(3, 2), 2);
        assert_eq!(Unit::Both.count(3, 2), 5);
        let mut a = row("a", Some("6"), true, 0, 2.0);
        a.assistances = 5;
        a.actions = Unit::Assistance.count(a.completed, a.assistances);
        let b = row("b", Some("6"), true, 0, 1.0);
        let (groups, _) = summarize(&[a, b], 5, Unit::Assistance);
        assert_eq!(groups[0].label, "5 o más asistencias técnicas cerradas");
        assert_eq!(groups[0].rule, "assistances >= 5");
        assert_eq!(groups[0].municipalities, 1);
        assert_eq!(groups[2].label, "Ninguna asistencia técnica cerrada");
        assert_eq!(groups[2].municipalities, 1);
    }
}
