//! The figures behind the home dashboards: the national picture for coordinators and a
//! department's for its reviewers — attendance and completion per municipality, PDET
//! municipalities reached and the trends by quarter. A coordinator's home reads two pictures
//! (issue 45, «whose it is»): its provider's cohorts, and the territory's (every provider's),
//! each a [`Scope`] of its own.
//!
//! At national size these figures sum hundreds of thousands of enrolments, too much to recompute
//! on every visit to a home page. They are kept per scope (the nation or one department) for
//! `dashboard_cache_seconds`: a visit within that time reads the kept figures; the first visit
//! after it still gets them at once while one background task recomputes them
//! (stale-while-revalidate), so no visitor waits for the sum but the very first. The page says
//! when the figures were computed. With 0 seconds every visit computes them (tests).

use super::{AttendanceRow, Filters, MunicipalitySummary, pct};
use crate::entities::values::CohortStatus;
use crate::entities::{municipality, participant, place_figure, provider_person, trend_figure};
use crate::error::AppResult;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QuerySelect,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One point of the trends: the closed cohorts that started in a quarter.
#[derive(Clone, Debug, PartialEq)]
pub struct TrendPoint {
    /// «2025 T3».
    pub label: String,
    pub cohorts: usize,
    pub enrolled: i64,
    pub attendance_pct: f64,
    pub completion_pct: f64,
}

/// The figures of one scope, as computed at `computed_at`.
#[derive(Clone, Debug)]
pub struct Picture {
    pub summary: Vec<MunicipalitySummary>,
    pub trends: Vec<TrendPoint>,
    /// Municipalities of the scope with someone in training that are PDET.
    pub pdet_reached: usize,
    /// People of the scope: registered in its territory (by their current municipality); for a
    /// provider's scope, the distinct people enrolled in its cohorts (a counted enrolment).
    pub participants: u64,
    pub computed_at: DateTime<Utc>,
}

/// Sums over the municipalities of a picture.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Totals {
    /// Municipalities with someone in training.
    pub municipalities: usize,
    pub enrolled: i64,
    pub completed: i64,
    pub certified: i64,
}

impl Picture {
    /// Sums of enrolled, completed and certified over the municipalities.
    pub fn totals(&self) -> Totals {
        Totals {
            municipalities: self.summary.len(),
            enrolled: self.summary.iter().map(|s| s.enrolled).sum(),
            completed: self.summary.iter().map(|s| s.completed).sum(),
            certified: self.summary.iter().map(|s| s.certified).sum(),
        }
    }
}

/// Whose figures a picture sums: a territory (the nation, one department, or a territorial
/// direction's departments) and, for a provider's own figures, only that provider's cohorts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Scope {
    /// One department (a gobernación's).
    pub department: Option<String>,
    /// A territorial direction's departments.
    pub within: Option<Vec<String>>,
    /// Only this provider's cohorts; `None`: every provider's.
    pub provider: Option<i32>,
}

impl Scope {
    /// The nation (`None`) or one department, every provider.
    pub fn department(code: Option<&str>) -> Self {
        Scope {
            department: code.map(str::to_string),
            ..Scope::default()
        }
    }

    /// The same territory, only `provider`'s cohorts.
    pub fn of_provider(&self, provider: i32) -> Self {
        Scope {
            provider: Some(provider),
            ..self.clone()
        }
    }

    /// The report's filters of the same scope.
    pub fn filters(&self) -> Filters {
        Filters {
            department: self.department.clone(),
            within: self.within.clone(),
            provider: self.provider,
            ..Filters::default()
        }
    }

    /// The scope on a maintained table (`figures::scope`): its territory on the department
    /// code, and its provider (when it has one) on the provider.
    fn kept<D: ColumnTrait, P: ColumnTrait>(&self, department: D, provider: P) -> Condition {
        let mut c = Condition::all();
        if let Some(code) = &self.department {
            c = c.add(department.eq(code.as_str()));
        }
        if let Some(codes) = &self.within {
            // No department: nothing (never everything).
            c = c.add(department.is_in(codes.iter().map(String::as_str)));
        }
        if let Some(id) = self.provider {
            c = c.add(provider.eq(id));
        }
        c
    }

    /// The territory, as a condition on a municipality code (DANE codes start with their
    /// department's).
    fn places<C: ColumnTrait>(&self, column: C) -> Condition {
        let mut c = Condition::all();
        if let Some(code) = &self.department {
            c = c.add(column.starts_with(code.as_str()));
        }
        if let Some(codes) = &self.within {
            c = c.add(codes.iter().fold(
                // No department: nothing (never everything).
                Condition::any().add(Expr::val(false)),
                |any, d| any.add(column.starts_with(d.as_str())),
            ));
        }
        c
    }
}

/// Computes the picture of the nation or of one department (every provider).
pub async fn compute<C: ConnectionTrait>(db: &C, department: Option<&str>) -> AppResult<Picture> {
    compute_scope(db, &Scope::department(department)).await
}

/// Computes a scope's picture from the figures model: the municipalities' sums, the closed
/// cohorts' sums (for the trends) and the PDET flags; its people from the participants (a
/// territory) or the provider's enrolments.
pub async fn compute_scope<C: ConnectionTrait>(db: &C, scope: &Scope) -> AppResult<Picture> {
    let filters = scope.filters();
    let summary = summaries(db, scope, &filters).await?;
    let pdet: HashSet<String> = municipality::Entity::find()
        .select_only()
        .column(municipality::Column::Code)
        .filter(municipality::Column::PdetSubregionId.is_not_null())
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let pdet_reached = summary
        .iter()
        .filter(|s| pdet.contains(&s.municipality_code))
        .count();
    let trends = trends(db, scope).await?;
    Ok(Picture {
        summary,
        trends,
        pdet_reached,
        participants: people(db, scope).await?,
        computed_at: crate::time::now(),
    })
}

/// The people of a scope: for a provider, the distinct people with a counted enrolment in its
/// cohorts (enrolled in a municipality of the territory), counted from the maintained
/// `provider_people` (`figures::scope`: a person once per provider and department); otherwise
/// the people registered in the territory (by their current municipality).
async fn people<C: ConnectionTrait>(db: &C, scope: &Scope) -> AppResult<u64> {
    match scope.provider {
        Some(_) => Ok(provider_person::Entity::find()
            .filter(scope.kept(
                provider_person::Column::DepartmentCode,
                provider_person::Column::ProviderId,
            ))
            .select_only()
            .column(provider_person::Column::ParticipantId)
            .distinct()
            .count(db)
            .await?),
        None => Ok(participant::Entity::find()
            .filter(scope.places(participant::Column::MunicipalityCode))
            .count(db)
            .await?),
    }
}

/// A scope's summary per municipality: the maintained place sums (`figures::scope`: a row per
/// provider and municipality) summed per municipality in one statement, the cohorts not closed
/// yet read row by row as the report reads them (`reports::finish_summaries`). The same
/// figures as `reports::summaries` over the same filters (tested).
async fn summaries<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    filters: &Filters,
) -> AppResult<Vec<MunicipalitySummary>> {
    use place_figure::Column as P;
    let sum = |column: &str, alias: &str| {
        (
            Expr::cust(format!("CAST(SUM(place_figures.{column}) AS BIGINT)")),
            alias.to_string(),
        )
    };
    let mut select = place_figure::Entity::find()
        .select_only()
        .column(P::MunicipalityCode)
        .column(P::DepartmentCode)
        .filter(scope.kept(P::DepartmentCode, P::ProviderId));
    for (expr, alias) in [
        sum("cohorts", "cohorts"),
        sum("enrolled", "enrolled"),
        sum("certified", "certified"),
        sum("closed_completed", "completed"),
        sum("closed_enrolled", "closed_enrolled"),
        sum("closed_attended", "closed_attended"),
        sum("closed_expected", "closed_expected"),
    ] {
        select = select.column_as(expr, alias);
    }
    let totals: Vec<super::SummaryTotals> = select
        .group_by(P::MunicipalityCode)
        .group_by(P::DepartmentCode)
        .into_model()
        .all(db)
        .await?;
    super::finish_summaries(db, filters, totals).await
}

#[derive(FromQueryResult)]
struct ClosedCohort {
    cohort_id: i32,
    start_date: NaiveDate,
    enrolled: i64,
    completed: i64,
    attended: i64,
    /// MAX of an INTEGER column: i32 on PostgreSQL.
    sessions_scheduled: i32,
}

/// Attendance and completion of closed cohorts by the quarter they started in (the last 16
/// quarters with any), re-weighted from counts: one grouped query over the maintained trend
/// rows (`figures::scope`: a row per closed cohort and department).
async fn trends<C: ConnectionTrait>(db: &C, scope: &Scope) -> AppResult<Vec<TrendPoint>> {
    use trend_figure::Column as T;
    let closed: Vec<ClosedCohort> = trend_figure::Entity::find()
        .select_only()
        .column(T::CohortId)
        .column(T::StartDate)
        .column_as(T::Enrolled.sum(), "enrolled")
        .column_as(T::Completed.sum(), "completed")
        .column_as(T::Attended.sum(), "attended")
        .column_as(T::SessionsScheduled.max(), "sessions_scheduled")
        .filter(scope.kept(T::DepartmentCode, T::ProviderId))
        .group_by(T::CohortId)
        .group_by(T::StartDate)
        .into_model()
        .all(db)
        .await?;
    let starts: HashMap<i32, NaiveDate> =
        closed.iter().map(|c| (c.cohort_id, c.start_date)).collect();
    // One row per cohort (its municipalities summed): the same sessions on each of them.
    let rows: Vec<AttendanceRow> = closed
        .into_iter()
        .map(|c| AttendanceRow {
            municipality_code: String::new(),
            municipality_name: String::new(),
            department_code: String::new(),
            department_name: String::new(),
            cohort_id: c.cohort_id,
            cohort_name: String::new(),
            status: CohortStatus::Closed,
            enrolled: c.enrolled,
            sessions_held: i64::from(c.sessions_scheduled),
            sessions: i64::from(c.sessions_scheduled),
            sessions_scheduled: i64::from(c.sessions_scheduled),
            attended: c.attended,
            attendance_pct: None,
            completed: Some(c.completed),
            certified: 0,
        })
        .collect();
    Ok(trend_points(&rows, &starts))
}

/// The trends from the report's rows and the start dates of the closed cohorts among them
/// (rows of other cohorts are left out: their completion is not decided yet).
pub fn trend_points(rows: &[AttendanceRow], starts: &HashMap<i32, NaiveDate>) -> Vec<TrendPoint> {
    #[derive(Default)]
    struct Quarter {
        cohorts: HashSet<i32>,
        enrolled: i64,
        completed: i64,
        attended: i64,
        expected: i64,
    }
    let mut quarters: BTreeMap<(i32, u32), Quarter> = BTreeMap::new();
    for row in rows {
        let Some(start) = starts.get(&row.cohort_id) else {
            continue;
        };
        let q = quarters
            .entry((start.year(), start.month0() / 3 + 1))
            .or_default();
        q.cohorts.insert(row.cohort_id);
        q.enrolled += row.enrolled;
        q.completed += row.completed.unwrap_or(0);
        q.attended += row.attended;
        q.expected += row.enrolled * row.sessions_scheduled;
    }
    let skip = quarters.len().saturating_sub(16);
    quarters
        .into_iter()
        .skip(skip)
        .map(|((year, quarter), q)| TrendPoint {
            label: format!("{year} T{quarter}"),
            cohorts: q.cohorts.len(),
            enrolled: q.enrolled,
            attendance_pct: pct(q.attended, q.expected),
            completion_pct: pct(q.completed, q.enrolled),
        })
        .collect()
}

// Drawn for a phone (issue 45): about 350 units wide, so its 13-unit text reads at 12 px or
// more on a 390 px screen (`crate::indicators::chart::FONT`).
const TREND_WIDTH: f64 = 276.0;
const TREND_HEIGHT: f64 = 160.0;
const TREND_LEFT: f64 = 48.0;
const TREND_TOP: f64 = 10.0;
/// The least room between two quarter labels («2025 T1» at 13 units is about 50 wide).
const TREND_LABEL_ROOM: f64 = 58.0;

/// The inline-SVG line chart of the trends (the partial `trend_chart` reads it as `trends`)
/// and the same figures as a table. Coordinates are text with one decimal.
#[derive(Clone, Debug, Serialize)]
pub struct TrendChart {
    pub points: Vec<TrendMark>,
    /// The polyline's points, `x,y x,y …`.
    pub attendance_line: String,
    pub completion_line: String,
    pub grid: Vec<GridLine>,
    pub axis_x: f64,
    pub axis_end: f64,
    pub width: f64,
    pub height: f64,
}

/// One quarter on the chart and in its table.
#[derive(Clone, Debug, Serialize)]
pub struct TrendMark {
    pub x: String,
    pub attendance_y: String,
    pub completion_y: String,
    pub label_y: String,
    /// Only every n-th label when there are many quarters, so they never overlap.
    pub show_label: bool,
    pub label: String,
    pub cohorts: usize,
    pub enrolled: i64,
    /// «66,7 %».
    pub attendance: String,
    pub completion: String,
}

/// A horizontal line of the grid, with its percentage.
#[derive(Clone, Debug, Serialize)]
pub struct GridLine {
    pub y: String,
    pub label: String,
}

/// The trend chart of `points`.
pub fn trend_chart(points: &[TrendPoint]) -> TrendChart {
    let step = if points.len() > 1 {
        TREND_WIDTH / (points.len() - 1) as f64
    } else {
        0.0
    };
    let x = |n: usize| TREND_LEFT + step * n as f64;
    let y = |value: f64| TREND_TOP + TREND_HEIGHT * (1.0 - value.clamp(0.0, 100.0) / 100.0);
    let line = |value: fn(&TrendPoint) -> f64| -> String {
        points
            .iter()
            .enumerate()
            .map(|(n, p)| format!("{:.1},{:.1}", x(n), y(value(p))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let grid = [0, 25, 50, 75, 100]
        .iter()
        .map(|v| GridLine {
            y: format!("{:.1}", y(f64::from(*v))),
            label: format!("{v} %"),
        })
        .collect();
    let every = if step > 0.0 {
        (TREND_LABEL_ROOM / step).ceil().max(1.0) as usize
    } else {
        1
    };
    let marks = points
        .iter()
        .enumerate()
        .map(|(n, p)| TrendMark {
            x: format!("{:.1}", x(n)),
            attendance_y: format!("{:.1}", y(p.attendance_pct)),
            completion_y: format!("{:.1}", y(p.completion_pct)),
            label_y: format!("{:.1}", TREND_TOP + TREND_HEIGHT + 16.0),
            show_label: n % every == 0,
            label: p.label.clone(),
            cohorts: p.cohorts,
            enrolled: p.enrolled,
            attendance: crate::format::percent_value(p.attendance_pct),
            completion: crate::format::percent_value(p.completion_pct),
        })
        .collect();
    TrendChart {
        points: marks,
        attendance_line: line(|p| p.attendance_pct),
        completion_line: line(|p| p.completion_pct),
        grid,
        axis_x: TREND_LEFT,
        axis_end: TREND_LEFT + TREND_WIDTH,
        width: TREND_LEFT + TREND_WIDTH + 28.0,
        height: TREND_TOP + TREND_HEIGHT + 26.0,
    }
}

struct Kept {
    picture: Arc<Picture>,
    at: Instant,
    refreshing: bool,
    /// Stale whatever its age ([`Dashboards::expire`]).
    expired: bool,
}

/// The kept pictures per scope, shared by every request (Rocket state; a clone shares them).
#[derive(Clone)]
pub struct Dashboards {
    ttl: Duration,
    kept: Arc<Mutex<HashMap<Scope, Kept>>>,
    /// One first computation at a time, so a burst of first visits computes once.
    first: Arc<tokio::sync::Mutex<()>>,
    /// Signalled when a background recomputation has stored its figures.
    refreshed: Arc<tokio::sync::Notify>,
}

impl Dashboards {
    pub fn new(ttl_seconds: u64) -> Self {
        Dashboards {
            ttl: Duration::from_secs(ttl_seconds),
            kept: Arc::new(Mutex::new(HashMap::new())),
            first: Arc::new(tokio::sync::Mutex::new(())),
            refreshed: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// Makes every kept picture stale: the next visit of each scope still gets it at once and
    /// starts its recomputation.
    pub fn expire(&self) {
        for entry in self.lock().values_mut() {
            entry.expired = true;
        }
    }

    /// Waits until a background recomputation has stored its figures (one that finished
    /// before the call counts too).
    pub async fn refreshed(&self) {
        self.refreshed.notified().await;
    }

    /// The picture of a scope: kept, or computed now (first visit), or kept while a background
    /// task recomputes it (stale).
    pub async fn picture(
        &self,
        db: &DatabaseConnection,
        department: Option<&str>,
    ) -> AppResult<Arc<Picture>> {
        self.picture_of(db, &Scope::department(department)).await
    }

    /// The picture of any scope (a provider's own figures too), kept the same way.
    pub async fn picture_of(
        &self,
        db: &DatabaseConnection,
        scope: &Scope,
    ) -> AppResult<Arc<Picture>> {
        if self.ttl.is_zero() {
            return Ok(Arc::new(compute_scope(db, scope).await?));
        }
        let key = scope.clone();
        if let Some(kept) = self.kept_or_refresh(db, &key) {
            return Ok(kept);
        }
        let _first = self.first.lock().await;
        if let Some(kept) = self.kept_or_refresh(db, &key) {
            return Ok(kept);
        }
        let picture = Arc::new(compute_scope(db, scope).await?);
        self.lock().insert(
            key,
            Kept {
                picture: picture.clone(),
                at: Instant::now(),
                refreshing: false,
                expired: false,
            },
        );
        Ok(picture)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Scope, Kept>> {
        // A panic while holding the lock leaves the map consistent (plain inserts).
        self.kept
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The kept picture, starting a background recomputation when it is stale.
    fn kept_or_refresh(&self, db: &DatabaseConnection, key: &Scope) -> Option<Arc<Picture>> {
        let mut kept = self.lock();
        let entry = kept.get_mut(key)?;
        if (entry.expired || entry.at.elapsed() >= self.ttl) && !entry.refreshing {
            entry.refreshing = true;
            let (db, key, map) = (db.clone(), key.clone(), self.kept.clone());
            let refreshed = self.refreshed.clone();
            tokio::spawn(async move {
                let fresh = compute_scope(&db, &key).await;
                let mut kept = map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                match fresh {
                    Ok(picture) => {
                        kept.insert(
                            key,
                            Kept {
                                picture: Arc::new(picture),
                                at: Instant::now(),
                                refreshing: false,
                                expired: false,
                            },
                        );
                        drop(kept);
                        refreshed.notify_one();
                    }
                    Err(e) => {
                        // Keep serving the last figures; the next visit tries again.
                        tracing::error!("no se pudieron recalcular las cifras del tablero: {e}");
                        if let Some(entry) = kept.get_mut(&key) {
                            entry.refreshing = false;
                        }
                    }
                }
            });
        }
        Some(entry.picture.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        cohort_id: i32,
        enrolled: i64,
        scheduled: i64,
        attended: i64,
        completed: i64,
    ) -> AttendanceRow {
        AttendanceRow {
            municipality_code: "18001".into(),
            municipality_name: "Florencia".into(),
            department_code: "18".into(),
            department_name: "Caquetá".into(),
            cohort_id,
            cohort_name: format!("Cohorte {cohort_id}"),
            status: CohortStatus::Closed,
            enrolled,
            sessions_held: scheduled,
            sessions: scheduled,
            sessions_scheduled: scheduled,
            attended,
            attendance_pct: Some(pct(attended, enrolled * scheduled)),
            completed: Some(completed),
            certified: completed,
        }
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn trends_reweight_closed_cohorts_by_the_quarter_they_started() {
        let rows = vec![
            // Two rows of cohort 1 (two municipalities), 2025 T1.
            row(1, 4, 10, 30, 2),
            row(1, 1, 10, 10, 1),
            // Cohort 2, 2025 T1 too: 5 people, 4 sessions, 20 marks, 5 completed.
            row(2, 5, 4, 20, 5),
            // Cohort 3, 2025 T4.
            row(3, 10, 5, 25, 3),
            // Cohort 4 is running (no closed start date): left out.
            row(4, 50, 10, 0, 0),
        ];
        let starts = HashMap::from([
            (1, day(2025, 1, 15)),
            (2, day(2025, 3, 31)),
            (3, day(2025, 10, 1)),
        ]);
        let points = trend_points(&rows, &starts);
        assert_eq!(points.len(), 2);
        assert_eq!(points[0].label, "2025 T1");
        assert_eq!(points[0].cohorts, 2);
        assert_eq!(points[0].enrolled, 10);
        // (30 + 10 + 20) / (40 + 10 + 20) = 60 / 70, not the mean of the rows' percentages.
        assert!((points[0].attendance_pct - 6000.0 / 70.0).abs() < 1e-9);
        assert!((points[0].completion_pct - 80.0).abs() < 1e-9);
        assert_eq!(points[1].label, "2025 T4");
        assert!((points[1].attendance_pct - 50.0).abs() < 1e-9);
        assert!((points[1].completion_pct - 30.0).abs() < 1e-9);
    }

    #[test]
    fn trends_keep_the_last_sixteen_quarters() {
        let rows: Vec<AttendanceRow> = (0..20).map(|n| row(n, 1, 1, 1, 1)).collect();
        let starts: HashMap<i32, NaiveDate> = (0..20)
            .map(|n| (n, day(2020 + n / 4, (n % 4) as u32 * 3 + 1, 1)))
            .collect();
        let points = trend_points(&rows, &starts);
        assert_eq!(points.len(), 16);
        assert_eq!(points[0].label, "2021 T1");
        assert_eq!(points[15].label, "2024 T4");
    }

    #[test]
    fn the_trend_chart_draws_both_lines_within_the_frame() {
        let points = vec![
            TrendPoint {
                label: "2025 T1".into(),
                cohorts: 1,
                enrolled: 10,
                attendance_pct: 100.0,
                completion_pct: 0.0,
            },
            TrendPoint {
                label: "2025 T2".into(),
                cohorts: 1,
                enrolled: 10,
                attendance_pct: 50.0,
                completion_pct: 25.0,
            },
        ];
        let chart = trend_chart(&points);
        // 100 % at the top of the frame, 0 % at its bottom, first and last quarter at its ends.
        assert_eq!(chart.attendance_line, "48.0,10.0 324.0,90.0");
        assert_eq!(chart.completion_line, "48.0,170.0 324.0,130.0");
        assert_eq!(chart.points[1].attendance, "50 %");
    }
}
