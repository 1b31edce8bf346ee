//! The home page: what the product is for visitors, and for each signed-in role what that
//! person can do next, from real data.

use crate::accounts::guards::CurrentUser;
use crate::certificates::issue::Verification;
use crate::entities::values::{CohortStatus, EnrolmentStatus, OutboxStatus, Role};
use crate::entities::{
    cohort, cohort_instructor, cohort_session, course, department, enrolment, municipality, outbox,
    participant, user,
};
use crate::error::AppResult;
use crate::reports::MunicipalitySummary;
use crate::reports::dashboard::{self, Dashboards, Picture, Totals, TrendChart};
use crate::territory::Summary;
use crate::time::{local, now};
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::{Serialize, Serializer};
use std::collections::HashMap;

/// What the home page reads: the territory's figures for everyone and, for a signed-in
/// person, their role's part.
#[derive(Serialize)]
pub struct HomeView {
    #[serde(flatten)]
    pub territory: Summary,
    #[serde(flatten)]
    pub role: Option<RoleHome>,
}

/// The part of the home page of each role; only the signed-in person's are present.
#[derive(Default, Serialize)]
pub struct RoleHome {
    #[serde(skip_serializing_if = "Option::is_none")]
    participant_home: Option<ParticipantHome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    instructor_home: Option<InstructorHome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reviewer_home: Option<ReviewerHome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    staff_home: Option<StaffHome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    admin_home: Option<AdminHome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    liaison_home: Option<LiaisonHome>,
}

/// A liaison's (enlace municipal) home: their municipality's demands and its training per
/// capacity.
#[derive(Serialize)]
struct LiaisonHome {
    municipality: crate::reports::place::Place,
    demands: Vec<crate::demand::DemandView>,
    open_demands: usize,
    capacities: Vec<LiaisonCapacity>,
}

#[derive(Serialize)]
struct LiaisonCapacity {
    name: String,
    trained: i64,
    completed: i64,
    certified: i64,
}

/// A cohort as the `cohort_table` partial shows it.
#[derive(Serialize)]
struct CohortRow {
    id: i32,
    name: String,
    course: Option<String>,
    status_label: &'static str,
    start_date: String,
    end_date: String,
    seats: i32,
    next_session: Option<String>,
    followup_url: String,
}

/// A session of the participant's whose check-in is open now.
#[derive(Serialize)]
struct CheckInLine {
    session_id: i32,
    cohort: String,
    topic: String,
    /// When the window closes (the session's end), e.g. «4:00 p. m.».
    until: String,
}

#[derive(Serialize)]
struct ParticipantHome {
    /// Sessions running now, where the person can check in by typing the code.
    check_ins: Vec<CheckInLine>,
    /// Surveys open and not answered yet.
    surveys: Vec<crate::surveys::PendingSurvey>,
    enrolments: Vec<EnrolmentRow>,
    has_profile: bool,
    certificates: Vec<Verification>,
}

/// One of the participant's enrolments.
#[derive(Serialize)]
struct EnrolmentRow {
    id: i32,
    cohort_id: i32,
    cancellable: bool,
    cohort: String,
    status_label: &'static str,
    dates: String,
    next_session: Option<String>,
    progress: Option<String>,
    at_risk: bool,
}

#[derive(Serialize)]
struct InstructorHome {
    cohorts: Vec<CohortRow>,
    today: Vec<TodaySession>,
}

/// One of the instructor's sessions of today.
#[derive(Serialize)]
struct TodaySession {
    id: i32,
    cohort_id: i32,
    cohort: Option<String>,
    topic: String,
    starts: String,
    ends: String,
    location: Option<String>,
    started: bool,
    in_window: bool,
}

/// The kept figures of a scope as the dashboards show them.
#[derive(Serialize)]
struct Figures {
    /// The municipalities whose bars the chart draws.
    #[serde(serialize_with = "bar_chart")]
    chart: Vec<MunicipalitySummary>,
    trends: TrendChart,
    computed_at: String,
    totals: Totals,
}

impl Figures {
    fn of(picture: &Picture, chart: Vec<MunicipalitySummary>) -> Self {
        Figures {
            chart,
            trends: dashboard::trend_chart(&picture.trends),
            computed_at: when(picture.computed_at),
            totals: picture.totals(),
        }
    }
}

/// The bar chart of the reports page (`attendance_chart` partial), drawn from the figures
/// when the page is rendered.
fn bar_chart<S: Serializer>(summary: &[MunicipalitySummary], out: S) -> Result<S::Ok, S::Error> {
    crate::reports::pages::chart(summary).serialize(out)
}

#[derive(Serialize)]
struct ReviewerHome {
    #[serde(flatten)]
    figures: Figures,
    department: Option<String>,
    municipalities: u64,
    pdet: u64,
    cohorts: Vec<CohortRow>,
    /// Open municipal demands of the department.
    open_demands: u64,
    satisfaction: Option<crate::surveys::pages::Line>,
}

#[derive(Serialize)]
struct StaffHome {
    #[serde(flatten)]
    figures: Figures,
    pdet_reached: usize,
    fill_rate: String,
    by_status: Vec<StatusCount>,
    participants: u64,
    cohorts: Vec<CohortRow>,
    /// Open municipal demands in the coordinator's scope.
    open_demands: u64,
    satisfaction: Option<crate::surveys::pages::Line>,
}

/// How many cohorts are in a state.
#[derive(Serialize)]
struct StatusCount {
    label: &'static str,
    count: u64,
}

#[derive(Serialize)]
struct AdminHome {
    users: u64,
    outbox_pending: u64,
    outbox_failed: u64,
}

fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    crate::format::date_time(at)
}

/// The next session of each cohort (from now on).
/// The sessions of these cohorts that have not ended, earliest first.
async fn upcoming_sessions<C: ConnectionTrait>(
    db: &C,
    cohort_ids: &[i32],
) -> AppResult<Vec<cohort_session::Model>> {
    Ok(cohort_session::Entity::find()
        .filter(cohort_session::Column::CohortId.is_in(cohort_ids.to_vec()))
        .filter(cohort_session::Column::EndsAt.gt(now()))
        .order_by_asc(cohort_session::Column::StartsAt)
        .all(db)
        .await?)
}

/// Each cohort's next session, as people read it.
fn first_per_cohort(sessions: &[cohort_session::Model]) -> HashMap<i32, String> {
    let mut next = HashMap::new();
    for session in sessions {
        next.entry(session.cohort_id)
            .or_insert_with(|| when(session.starts_at));
    }
    next
}

async fn next_sessions<C: ConnectionTrait>(
    db: &C,
    cohort_ids: &[i32],
) -> AppResult<HashMap<i32, String>> {
    Ok(first_per_cohort(&upcoming_sessions(db, cohort_ids).await?))
}

async fn cohort_rows<C: ConnectionTrait>(
    db: &C,
    cohorts: Vec<cohort::Model>,
) -> AppResult<Vec<CohortRow>> {
    let ids: Vec<i32> = cohorts.iter().map(|c| c.id).collect();
    let next = next_sessions(db, &ids).await?;
    let courses: HashMap<i32, String> = course::Entity::find()
        .filter(course::Column::Id.is_in(cohorts.iter().map(|c| c.course_id).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    Ok(cohorts
        .into_iter()
        .map(|c| CohortRow {
            id: c.id,
            course: courses.get(&c.course_id).cloned(),
            status_label: c.status.label(),
            start_date: c.start_date.to_string(),
            end_date: c.end_date.to_string(),
            seats: c.seats,
            next_session: next.get(&c.id).cloned(),
            followup_url: crate::attendance::pages::followup_url(c.id),
            name: c.name,
        })
        .collect())
}

/// What the home page shows to `user`.
pub async fn for_user(
    db: &DatabaseConnection,
    dashboards: &Dashboards,
    surveys: &crate::surveys::reports::Cache,
    user: &CurrentUser,
) -> AppResult<RoleHome> {
    match user.role {
        Role::Participant => participant_home(db, user).await,
        Role::Instructor => instructor_home(db, user).await,
        Role::Reviewer => reviewer_home(db, dashboards, surveys, user).await,
        Role::Coordinator | Role::Admin => staff_home(db, dashboards, surveys, user).await,
        Role::Liaison => liaison_home(db, user).await,
    }
}

async fn liaison_home(db: &DatabaseConnection, user: &CurrentUser) -> AppResult<RoleHome> {
    let code = user.municipality_code.clone().unwrap_or_default();
    let impact = crate::indicators::impact::municipality(db, user, &code).await?;
    let (demands, _) =
        crate::demand::list(db, user, &crate::demand::DemandFilter::default(), 1, 20).await?;
    Ok(RoleHome {
        liaison_home: Some(LiaisonHome {
            open_demands: demands
                .iter()
                .filter(|d| d.status == crate::entities::values::DemandStatus::Open)
                .count(),
            capacities: impact
                .capacities
                .iter()
                .map(|c| LiaisonCapacity {
                    name: c.capacity.name.clone(),
                    trained: c.trained,
                    completed: c.completed,
                    certified: c.certified,
                })
                .collect(),
            demands,
            municipality: impact.municipality,
        }),
        ..RoleHome::default()
    })
}

async fn participant_home<C: ConnectionTrait>(db: &C, user: &CurrentUser) -> AppResult<RoleHome> {
    let Some(person) = participant::Entity::find()
        .filter(participant::Column::UserId.eq(user.id))
        .one(db)
        .await?
    else {
        return Ok(RoleHome {
            participant_home: Some(ParticipantHome {
                check_ins: Vec::new(),
                surveys: Vec::new(),
                enrolments: Vec::new(),
                has_profile: false,
                certificates: Vec::new(),
            }),
            ..RoleHome::default()
        });
    };
    let enrolments = enrolment::Entity::find()
        .filter(enrolment::Column::ParticipantId.eq(person.id))
        .order_by_desc(enrolment::Column::CreatedAt)
        .find_also_related(cohort::Entity)
        .all(db)
        .await?;
    let ids: Vec<i32> = enrolments.iter().map(|(e, _)| e.cohort_id).collect();
    let upcoming = upcoming_sessions(db, &ids).await?;
    let next = first_per_cohort(&upcoming);
    // Sessions of the cohorts the person is enrolled in whose check-in window is open now:
    // «Registrar asistencia» without the QR code.
    let at = now();
    let check_ins: Vec<CheckInLine> = upcoming
        .iter()
        .filter(|s| crate::attendance::checkin::in_window(s, at))
        .filter_map(|s| {
            let (_, c) = enrolments.iter().find(|(e, c)| {
                e.cohort_id == s.cohort_id
                    && e.status == EnrolmentStatus::Enrolled
                    && c.as_ref().is_some_and(|c| {
                        !matches!(c.status, CohortStatus::Cancelled | CohortStatus::Closed)
                    })
            })?;
            Some(CheckInLine {
                session_id: s.id,
                cohort: c.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
                topic: s.topic.clone(),
                until: crate::format::time(crate::time::local(s.ends_at).time()),
            })
        })
        .collect();
    let progress: HashMap<i32, (String, bool)> =
        crate::attendance::progress::for_participant(db, person.id)
            .await?
            .into_iter()
            .map(|p| (p.enrolment_id, (p.summary, p.at_risk)))
            .collect();
    let rows: Vec<EnrolmentRow> = enrolments
        .into_iter()
        .filter_map(|(e, c)| c.map(|c| (e, c)))
        .map(|(e, c)| EnrolmentRow {
            id: e.id,
            cohort_id: c.id,
            cancellable: matches!(
                e.status,
                EnrolmentStatus::Enrolled | EnrolmentStatus::Waitlisted
            ) && matches!(
                c.status,
                CohortStatus::Open | CohortStatus::InProgress | CohortStatus::Draft
            ),
            status_label: e.status.label(),
            dates: format!(
                "{} a {}",
                crate::format::date(c.start_date),
                crate::format::date(c.end_date)
            ),
            next_session: if e.status == EnrolmentStatus::Enrolled {
                next.get(&c.id).cloned()
            } else {
                None
            },
            progress: progress.get(&e.id).map(|p| p.0.clone()),
            at_risk: progress.get(&e.id).is_some_and(|p| p.1),
            cohort: c.name,
        })
        .collect();
    let certificates = crate::certificates::issue::of_participant(db, person.id).await?;
    Ok(RoleHome {
        participant_home: Some(ParticipantHome {
            check_ins,
            surveys: crate::surveys::pending(db, user, crate::time::now()).await?,
            enrolments: rows,
            has_profile: true,
            certificates,
        }),
        ..RoleHome::default()
    })
}

async fn instructor_home<C: ConnectionTrait>(db: &C, user: &CurrentUser) -> AppResult<RoleHome> {
    let cohorts = cohort::Entity::find()
        .filter(
            cohort::Column::Id.in_subquery(
                Query::select()
                    .column(cohort_instructor::Column::CohortId)
                    .from(cohort_instructor::Entity)
                    .and_where(cohort_instructor::Column::UserId.eq(user.id))
                    .to_owned(),
            ),
        )
        .filter(cohort::Column::Status.is_not_in([CohortStatus::Cancelled]))
        .order_by_desc(cohort::Column::StartDate)
        .all(db)
        .await?;
    let today = crate::time::today();
    let ids: Vec<i32> = cohorts.iter().map(|c| c.id).collect();
    let names: HashMap<i32, String> = cohorts.iter().map(|c| (c.id, c.name.clone())).collect();
    let at = now();
    let today_sessions: Vec<TodaySession> = cohort_session::Entity::find()
        .filter(cohort_session::Column::CohortId.is_in(ids))
        .filter(cohort_session::Column::StartsAt.gte(crate::time::from_local(today, 0, 0)))
        .filter(cohort_session::Column::StartsAt.lt(crate::time::from_local(
            today + chrono::Duration::days(1),
            0,
            0,
        )))
        .order_by_asc(cohort_session::Column::StartsAt)
        .all(db)
        .await?
        .into_iter()
        .map(|s| TodaySession {
            id: s.id,
            cohort_id: s.cohort_id,
            cohort: names.get(&s.cohort_id).cloned(),
            starts: local(s.starts_at).format("%H:%M").to_string(),
            ends: local(s.ends_at).format("%H:%M").to_string(),
            started: s.starts_at <= at,
            in_window: crate::attendance::checkin::in_window(&s, at),
            topic: s.topic,
            location: s.location,
        })
        .collect();
    Ok(RoleHome {
        instructor_home: Some(InstructorHome {
            cohorts: cohort_rows(db, cohorts).await?,
            today: today_sessions,
        }),
        ..RoleHome::default()
    })
}

async fn reviewer_home(
    db: &DatabaseConnection,
    dashboards: &Dashboards,
    surveys: &crate::surveys::reports::Cache,
    user: &CurrentUser,
) -> AppResult<RoleHome> {
    let code = user.department_scope().unwrap_or_default();
    let department = department::Entity::find_by_id(code.to_string())
        .one(db)
        .await?;
    let municipalities = municipality::Entity::find()
        .filter(municipality::Column::DepartmentCode.eq(code))
        .count(db)
        .await?;
    let pdet = municipality::Entity::find()
        .filter(municipality::Column::DepartmentCode.eq(code))
        .filter(municipality::Column::PdetSubregionId.is_not_null())
        .count(db)
        .await?;
    let cohorts = cohort::Entity::find()
        .filter(crate::cohorts::scope::CohortScope::Department(code.to_string()).condition())
        .order_by_desc(cohort::Column::StartDate)
        .limit(20)
        .all(db)
        .await?;
    let picture = dashboards.picture(db, Some(code)).await?;
    Ok(RoleHome {
        reviewer_home: Some(ReviewerHome {
            figures: Figures::of(&picture, picture.summary.clone()),
            department: department.map(|d| d.name),
            municipalities,
            pdet,
            cohorts: cohort_rows(db, cohorts).await?,
            open_demands: crate::demand::open_count(db, user).await?,
            satisfaction: satisfaction(db, surveys, user).await?,
        }),
        ..RoleHome::default()
    })
}

/// The satisfaction line over the caller's scope, by quarter.
async fn satisfaction(
    db: &DatabaseConnection,
    satisfaction: &crate::surveys::reports::Cache,
    user: &CurrentUser,
) -> AppResult<Option<crate::surveys::pages::Line>> {
    crate::surveys::pages::line(
        db,
        Some(satisfaction),
        user,
        &crate::surveys::reports::SatisfactionQuery {
            by: crate::surveys::reports::By::Quarter,
            ..Default::default()
        },
        "/reportes/satisfaccion?por=quarter".into(),
    )
    .await
}

async fn staff_home(
    db: &DatabaseConnection,
    dashboards: &Dashboards,
    surveys: &crate::surveys::reports::Cache,
    user: &CurrentUser,
) -> AppResult<RoleHome> {
    let mut by_status = Vec::new();
    for status in [
        CohortStatus::Draft,
        CohortStatus::Open,
        CohortStatus::InProgress,
        CohortStatus::Closed,
    ] {
        let count = cohort::Entity::find()
            .filter(cohort::Column::Status.eq(status))
            .count(db)
            .await?;
        by_status.push(StatusCount {
            label: status.label(),
            count,
        });
    }
    let recent = cohort::Entity::find()
        .filter(cohort::Column::Status.is_in([CohortStatus::Open, CohortStatus::InProgress]))
        .order_by_asc(cohort::Column::StartDate)
        .limit(10)
        .all(db)
        .await?;
    // The national picture (kept for a while, see `reports::dashboard`): the municipalities
    // with most people in training, PDET coverage and the trends.
    let picture = dashboards.picture(db, None).await?;
    let mut top = picture.summary.clone();
    top.sort_by(|a, b| {
        b.enrolled
            .cmp(&a.enrolled)
            .then(a.municipality_name.cmp(&b.municipality_name))
    });
    top.truncate(12);
    let open = cohort::Entity::find()
        .filter(cohort::Column::Status.eq(CohortStatus::Open))
        .all(db)
        .await?;
    let seats: i64 = open.iter().map(|c| i64::from(c.seats)).sum();
    let taken = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.is_in(open.iter().map(|c| c.id).collect::<Vec<_>>()))
        .filter(enrolment::Column::Status.eq(EnrolmentStatus::Enrolled))
        .count(db)
        .await? as i64;
    let mut home = RoleHome {
        staff_home: Some(StaffHome {
            figures: Figures::of(&picture, top),
            pdet_reached: picture.pdet_reached,
            fill_rate: if seats == 0 {
                "—".to_string()
            } else {
                format!("{} %", taken * 100 / seats)
            },
            by_status,
            participants: picture.participants,
            cohorts: cohort_rows(db, recent).await?,
            open_demands: crate::demand::open_count(db, user).await?,
            satisfaction: satisfaction(db, surveys, user).await?,
        }),
        ..RoleHome::default()
    };
    if user.role == Role::Admin {
        let outbox_count = |status: OutboxStatus| {
            outbox::Entity::find()
                .filter(outbox::Column::Status.eq(status))
                .count(db)
        };
        home.admin_home = Some(AdminHome {
            users: user::Entity::find().count(db).await?,
            outbox_pending: outbox_count(OutboxStatus::Pending).await?,
            outbox_failed: outbox_count(OutboxStatus::Failed).await?,
        });
    }
    Ok(home)
}
