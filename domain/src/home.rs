//! The signed-in home page of each role: what that person can do next, read from real data.
//! The web layer adds the charts and the satisfaction line, and renders (issue 31 moved these
//! reads out of it).

use crate::accounts::actor::Actor;
use crate::certificates::issue::Verification;
use crate::cohorts::scope::CohortScope;
use crate::entities::values::{CohortStatus, DemandStatus, EnrolmentStatus, OutboxStatus, Role};
use crate::entities::{
    cohort, cohort_instructor, cohort_session, course, department, enrolment, municipality, outbox,
    participant, user,
};
use crate::error::AppResult;
use crate::reports::MunicipalitySummary;
use crate::reports::dashboard::{self, Dashboards, Picture};
use crate::rows::Rows;
use crate::time::{local, now};
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// A liaison's (enlace municipal) home: their municipality's demands and its training per
/// capacity.
#[derive(Serialize)]
pub struct LiaisonHome {
    pub municipality: crate::reports::place::Place,
    pub demands: Vec<crate::demand::DemandView>,
    pub open_demands: usize,
    pub capacities: Vec<LiaisonCapacity>,
    /// The technical assistance the municipality receives (issue 33), newest first.
    pub assistances: Vec<crate::assistance::AssistanceView>,
    /// The people the liaison nominated (issue 35), newest first, with their state.
    pub nominations: Vec<crate::nominations::NominationView>,
    /// The municipality's agreements past their due date and still pending (issue 49).
    pub overdue_agreements: crate::assistance::agreements::Overdue,
}

#[derive(Serialize)]
pub struct LiaisonCapacity {
    pub name: String,
    pub trained: i64,
    pub completed: i64,
    pub certified: i64,
}

/// A cohort as the home pages list it.
#[derive(Serialize)]
pub struct CohortLine {
    pub id: i32,
    pub name: String,
    pub course: Option<String>,
    pub status_label: &'static str,
    pub start_date: String,
    pub end_date: String,
    pub seats: i32,
    pub next_session: Option<String>,
}

/// A session of the participant's whose check-in is open now.
#[derive(Serialize)]
pub struct CheckInLine {
    pub session_id: i32,
    pub cohort: String,
    pub topic: String,
    /// When the window closes (the session's end), e.g. «4:00 p. m.».
    pub until: String,
}

#[derive(Serialize)]
pub struct ParticipantHome {
    /// Sessions running now, where the person can check in by typing the code.
    pub check_ins: Vec<CheckInLine>,
    /// Surveys open and not answered yet.
    pub surveys: Vec<crate::surveys::PendingSurvey>,
    pub enrolments: Vec<EnrolmentRow>,
    pub has_profile: bool,
    pub certificates: Vec<Verification>,
}

/// One of the participant's enrolments.
#[derive(Serialize)]
pub struct EnrolmentRow {
    pub id: i32,
    pub cohort_id: i32,
    pub cancellable: bool,
    pub cohort: String,
    /// The provider that offers it.
    pub provider: String,
    pub status_label: &'static str,
    pub dates: String,
    pub next_session: Option<String>,
    pub progress: Option<String>,
    pub at_risk: bool,
}

pub struct InstructorHome {
    pub cohorts: Vec<CohortLine>,
    pub today: Vec<TodaySession>,
}

/// One of the instructor's sessions of today.
#[derive(Serialize)]
pub struct TodaySession {
    pub id: i32,
    pub cohort_id: i32,
    pub cohort: Option<String>,
    pub topic: String,
    pub starts: String,
    pub ends: String,
    pub location: Option<String>,
    pub started: bool,
    pub in_window: bool,
}

/// A gobernación's home: its department's kept figures, places and cohorts.
pub struct ReviewerHome {
    pub picture: std::sync::Arc<Picture>,
    pub department: Option<String>,
    pub municipalities: u64,
    pub pdet: u64,
    pub cohorts: Vec<CohortLine>,
    /// Open municipal demands of the department.
    pub open_demands: u64,
    /// The department's stale demands (`demand::is_stale`): how many, and the oldest.
    pub stale_demands: usize,
    pub stale: Vec<crate::demand::DemandView>,
    /// The department's technical assistances under way (every provider's): how many, and the
    /// latest started.
    pub assistances_in_progress: u64,
    pub assistances: Vec<crate::assistance::AssistanceView>,
    /// The department's agreements past their due date and still pending (issue 49).
    pub overdue_agreements: crate::assistance::agreements::Overdue,
}

/// How many overdue agreements a home lists (the count says how many).
pub const OVERDUE_LISTED: u64 = 10;

/// How many assistances under way a reviewer's home lists (the count says how many).
const ASSISTANCES_LISTED: u64 = 10;

/// A coordinator's (or admin's) home, each figure over a stated scope (issue 45, «whose it
/// is»): what the coordinator's provider offers (`own`, `by_status`, `fill_rate`, `cohorts`,
/// `referred`) and what the territory holds from every provider (`picture`, `top`, the
/// demands). An admin manages every provider's cohorts: all of it is the territory's.
pub struct StaffHome {
    /// The territory's picture: every provider's cohorts in the nation, or in the coordinator's
    /// territorial direction's departments.
    pub picture: std::sync::Arc<Picture>,
    /// A coordinator's: its provider's cohorts over the same territory; `None` for an admin.
    pub own: Option<std::sync::Arc<Picture>>,
    /// The name of the coordinator's provider.
    pub provider: Option<String>,
    /// A territorial direction's name, when the territory is its departments.
    pub direction: Option<String>,
    /// The municipalities of the territory with most people in training (at most 12).
    pub top: Vec<MunicipalitySummary>,
    pub fill_rate: String,
    pub by_status: Vec<StatusCount>,
    pub cohorts: Vec<CohortLine>,
    /// Open municipal demands in the coordinator's scope.
    pub open_demands: u64,
    /// How many of them are stale (`demand::is_stale`).
    pub stale_demands: usize,
    /// A coordinator's: the open demands pointed to their provider (ESAP's coordinators:
    /// to ESAP), latest referral first; `None` for an admin.
    pub referred: Option<Vec<crate::demand::referrals::ReferredDemand>>,
    pub admin: Option<AdminHome>,
}

/// How many stale demands a home page lists (the count says how many there are).
const STALE_LISTED: usize = 20;

/// How many referred demands a coordinator's home lists.
const REFERRED_LISTED: u64 = 50;

/// How many cohorts are in a state.
#[derive(Serialize)]
pub struct StatusCount {
    /// What is counted, in singular or plural as the count says («cohortes cerradas»).
    pub label: &'static str,
    pub count: u64,
}

#[derive(Serialize)]
pub struct AdminHome {
    pub users: u64,
    pub outbox_pending: u64,
    pub outbox_failed: u64,
}

/// A date and time as people read it.
pub fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    crate::format::date_time(at)
}

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

/// The cohorts as the home pages list them, each with its course and next session.
async fn cohort_lines<C: ConnectionTrait>(
    db: &C,
    cohorts: Vec<cohort::Model>,
) -> AppResult<Vec<CohortLine>> {
    let ids: Vec<i32> = cohorts.iter().map(|c| c.id).collect();
    let next = first_per_cohort(&upcoming_sessions(db, &ids).await?);
    let courses: HashMap<i32, String> = course::Entity::find()
        .filter(course::Column::Id.is_in(cohorts.iter().map(|c| c.course_id).collect::<Vec<_>>()))
        .all_mapped(db, |c| (c.id, c.name))
        .await?;
    Ok(cohorts
        .into_iter()
        .map(|c| CohortLine {
            id: c.id,
            course: courses.get(&c.course_id).cloned(),
            status_label: c.status.label(),
            start_date: c.start_date.to_string(),
            end_date: c.end_date.to_string(),
            seats: c.seats,
            next_session: next.get(&c.id).cloned(),
            name: c.name,
        })
        .collect())
}

/// A liaison's home.
pub async fn liaison(db: &DatabaseConnection, user: &Actor) -> AppResult<LiaisonHome> {
    let code = user.municipality_code.clone().unwrap_or_default();
    let impact = crate::indicators::impact::municipality(db, user, &code).await?;
    let (demands, _) =
        crate::demand::list(db, user, &crate::demand::DemandFilter::default(), 1, 20).await?;
    let (assistances, _) =
        crate::assistance::list(db, user, &crate::assistance::ListFilter::default(), 1, 20).await?;
    let nominations = crate::nominations::of_liaison(db, user, 20).await?;
    Ok(LiaisonHome {
        overdue_agreements: crate::assistance::agreements::overdue(db, user, OVERDUE_LISTED)
            .await?,
        assistances,
        nominations,
        open_demands: demands
            .iter()
            .filter(|d| d.status == DemandStatus::Open)
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
    })
}

/// A participant's home: check-ins open now, pending surveys, enrolments with progress, and
/// certificates.
pub async fn participant<C: ConnectionTrait>(db: &C, user: &Actor) -> AppResult<ParticipantHome> {
    let Some(person) = participant::Entity::find()
        .filter(participant::Column::UserId.eq(user.id))
        .one(db)
        .await?
    else {
        return Ok(ParticipantHome {
            check_ins: Vec::new(),
            surveys: Vec::new(),
            enrolments: Vec::new(),
            has_profile: false,
            certificates: Vec::new(),
        });
    };
    let mut enrolments = enrolment::Entity::find()
        .filter(enrolment::Column::ParticipantId.eq(person.id))
        .order_by_desc(enrolment::Column::CreatedAt)
        .order_by_desc(enrolment::Column::Id)
        .find_also_related(cohort::Entity)
        .all(db)
        .await?;
    // One line per cohort, its newest enrolment: a person who cancelled and enrolled again
    // has two rows for it (issue 45: the cohort showed twice).
    let mut seen = HashSet::new();
    enrolments.retain(|(e, _)| seen.insert(e.cohort_id));
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
    let providers = crate::providers::names(db).await?;
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
            provider: providers
                .get(&c.provider_id)
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            cohort: c.name,
        })
        .collect();
    let certificates = crate::certificates::issue::of_participant(db, person.id).await?;
    Ok(ParticipantHome {
        check_ins,
        surveys: crate::surveys::pending(db, user, crate::time::now()).await?,
        enrolments: rows,
        has_profile: true,
        certificates,
    })
}

/// An instructor's home: the cohorts they teach and today's sessions.
pub async fn instructor<C: ConnectionTrait>(db: &C, user: &Actor) -> AppResult<InstructorHome> {
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
    Ok(InstructorHome {
        cohorts: cohort_lines(db, cohorts).await?,
        today: today_sessions,
    })
}

/// The cohort states a coordinator's home counts, in the order it lists them.
const COUNTED_STATES: [CohortStatus; 4] = [
    CohortStatus::Draft,
    CohortStatus::Open,
    CohortStatus::InProgress,
    CohortStatus::Closed,
];

/// A department's name, its municipalities and its PDET municipalities, in one statement.
async fn department_counts<C: ConnectionTrait>(
    db: &C,
    code: &str,
) -> AppResult<(Option<String>, u64, u64)> {
    let found: Option<(String, i64, i64)> = department::Entity::find_by_id(code.to_string())
        .left_join(municipality::Entity)
        .select_only()
        .column(department::Column::Name)
        .column_as(municipality::Column::Code.count(), "municipalities")
        .column_as(municipality::Column::PdetSubregionId.count(), "pdet")
        .group_by(department::Column::Code)
        .group_by(department::Column::Name)
        .into_tuple()
        .one(db)
        .await?;
    Ok(match found {
        Some((name, municipalities, pdet)) => (Some(name), municipalities as u64, pdet as u64),
        None => (None, 0, 0),
    })
}

/// A gobernación reviewer's home.
pub async fn reviewer(
    db: &DatabaseConnection,
    dashboards: &Dashboards,
    user: &Actor,
) -> AppResult<ReviewerHome> {
    let code = user.department_scope().unwrap_or_default();
    // The department's name and how many of its municipalities there are, PDET ones among
    // them: one statement (issue 69; it was three).
    let (department, municipalities, pdet) = department_counts(db, code).await?;
    let (stale_demands, stale) = crate::demand::stale(db, user, now(), STALE_LISTED).await?;
    let (assistances, assistances_in_progress) = crate::assistance::list(
        db,
        user,
        &crate::assistance::ListFilter {
            department: Some(code.to_string()),
            status: Some(crate::entities::values::AssistanceStatus::InProgress),
            ..Default::default()
        },
        1,
        ASSISTANCES_LISTED,
    )
    .await?;
    let cohorts = cohort::Entity::find()
        .filter(CohortScope::Department(code.to_string()).condition())
        .order_by_desc(cohort::Column::StartDate)
        .limit(20)
        .all(db)
        .await?;
    Ok(ReviewerHome {
        picture: dashboards.picture(db, Some(code)).await?,
        department,
        municipalities,
        pdet,
        cohorts: cohort_lines(db, cohorts).await?,
        open_demands: crate::demand::open_count(db, user).await?,
        stale_demands,
        stale,
        assistances_in_progress,
        assistances,
        overdue_agreements: crate::assistance::agreements::overdue(db, user, OVERDUE_LISTED)
            .await?,
    })
}

/// A coordinator's or admin's home: the cohorts they manage by state (a territorial
/// direction's coordinator: its cohorts), the national picture, the seats taken in open
/// cohorts; an admin also sees accounts and the outbox.
pub async fn staff(
    db: &DatabaseConnection,
    dashboards: &Dashboards,
    user: &Actor,
) -> AppResult<StaffHome> {
    let managed = CohortScope::of(Some(user)).condition();
    // The managed cohorts by state and the seats of the open ones: one grouped statement
    // (issue 69; it was four counts and a read of every open cohort).
    let counted: Vec<(CohortStatus, i64, Option<i64>)> = cohort::Entity::find()
        .filter(cohort::Column::Status.is_in(COUNTED_STATES))
        .filter(managed.clone())
        .select_only()
        .column(cohort::Column::Status)
        .column_as(cohort::Column::Id.count(), "cohorts")
        .column_as(cohort::Column::Seats.sum(), "seats")
        .group_by(cohort::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let of_state = |status: CohortStatus| {
        counted
            .iter()
            .find(|(s, _, _)| *s == status)
            .map_or((0, 0), |(_, n, seats)| (*n as u64, seats.unwrap_or(0)))
    };
    let by_status: Vec<StatusCount> = COUNTED_STATES
        .into_iter()
        .map(|status| {
            let (count, _) = of_state(status);
            let (one, many) = match status {
                CohortStatus::Draft => ("cohorte en borrador", "cohortes en borrador"),
                CohortStatus::Open => (
                    "cohorte con inscripciones abiertas",
                    "cohortes con inscripciones abiertas",
                ),
                CohortStatus::InProgress => ("cohorte en curso", "cohortes en curso"),
                _ => ("cohorte cerrada", "cohortes cerradas"),
            };
            StatusCount {
                label: if count == 1 { one } else { many },
                count,
            }
        })
        .collect();
    let recent = cohort::Entity::find()
        .filter(cohort::Column::Status.is_in([CohortStatus::Open, CohortStatus::InProgress]))
        .filter(managed.clone())
        .order_by_asc(cohort::Column::StartDate)
        .limit(10)
        .all(db)
        .await?;
    // The territory's picture and the provider's own (kept for a while, see
    // `reports::dashboard`): the municipalities with most people in training, PDET coverage and
    // the trends.
    let territory = dashboard::Scope {
        within: user.direction_departments().map(<[String]>::to_vec),
        ..dashboard::Scope::default()
    };
    let picture = dashboards.picture_of(db, &territory).await?;
    let own = match user.managed_provider() {
        Some(provider) => Some(
            dashboards
                .picture_of(db, &territory.of_provider(provider))
                .await?,
        ),
        None => None,
    };
    let mut top = picture.summary.clone();
    top.sort_by(|a, b| {
        b.enrolled
            .cmp(&a.enrolled)
            .then(a.municipality_name.cmp(&b.municipality_name))
    });
    top.truncate(12);
    let seats = of_state(CohortStatus::Open).1;
    // The seats taken in the open cohorts: counted under the same scope, in one statement.
    let taken = enrolment::Entity::find()
        .filter(
            enrolment::Column::CohortId.in_subquery(
                Query::select()
                    .column(cohort::Column::Id)
                    .from(cohort::Entity)
                    .cond_where(
                        Condition::all()
                            .add(cohort::Column::Status.eq(CohortStatus::Open))
                            .add(managed),
                    )
                    .to_owned(),
            ),
        )
        .filter(enrolment::Column::Status.eq(EnrolmentStatus::Enrolled))
        .count(db)
        .await? as i64;
    let admin = if user.role == Role::Admin {
        // The outbox by state in one grouped statement (it was two counts).
        let outbox: Vec<(OutboxStatus, i64)> = outbox::Entity::find()
            .filter(outbox::Column::Status.is_in([OutboxStatus::Pending, OutboxStatus::Failed]))
            .select_only()
            .column(outbox::Column::Status)
            .column_as(outbox::Column::Id.count(), "messages")
            .group_by(outbox::Column::Status)
            .into_tuple()
            .all(db)
            .await?;
        let outbox_count = |status: OutboxStatus| {
            outbox
                .iter()
                .find(|(s, _)| *s == status)
                .map_or(0, |(_, n)| *n as u64)
        };
        Some(AdminHome {
            users: user::Entity::find().count(db).await?,
            outbox_pending: outbox_count(OutboxStatus::Pending),
            outbox_failed: outbox_count(OutboxStatus::Failed),
        })
    } else {
        None
    };
    Ok(StaffHome {
        picture,
        own,
        provider: match user.managed_provider() {
            Some(id) => Some(crate::providers::reference(db, id).await?.name),
            None => None,
        },
        direction: user.direction.as_ref().map(|d| d.name.clone()),
        top,
        fill_rate: if seats == 0 {
            "—".to_string()
        } else {
            format!("{} %", taken * 100 / seats)
        },
        by_status,
        cohorts: cohort_lines(db, recent).await?,
        open_demands: crate::demand::open_count(db, user).await?,
        stale_demands: crate::demand::stale(db, user, now(), 0).await?.0,
        referred: match user.managed_provider() {
            Some(provider) => Some(
                crate::demand::referrals::open_referred_to(db, user, provider, REFERRED_LISTED)
                    .await?,
            ),
            None => None,
        },
        admin,
    })
}

/// Key positions a holder certified in their capacity left and nobody holds again (issue 68):
/// of the reviewer's department, or of the liaison's municipality; none for other roles.
pub async fn vacated_positions<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
) -> AppResult<Vec<crate::positions::VacatedPosition>> {
    match (
        user.role,
        user.department_code.as_deref(),
        user.municipality_code.as_deref(),
    ) {
        (Role::Reviewer, Some(department), _) => {
            crate::positions::vacated_certified(db, Some(department), None).await
        }
        (Role::Liaison, _, Some(code)) => {
            crate::positions::vacated_certified(db, None, Some(code)).await
        }
        _ => Ok(Vec::new()),
    }
}
