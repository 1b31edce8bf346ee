//! The home page: what the product is for visitors, and for each signed-in role what that
//! person can do next, from real data.

use crate::accounts::guards::CurrentUser;
use crate::entities::values::{CohortStatus, EnrolmentStatus, OutboxStatus, Role};
use crate::entities::{
    cohort, cohort_instructor, cohort_session, course, department, enrolment, municipality, outbox,
    participant, user,
};
use crate::error::AppResult;
use crate::reports::dashboard::{self, Dashboards};
use crate::time::{local, now};
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::{Value, json};
use std::collections::HashMap;

fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    local(at).format("%Y-%m-%d %H:%M").to_string()
}

/// The next session of each cohort (from now on).
async fn next_sessions<C: ConnectionTrait>(
    db: &C,
    cohort_ids: &[i32],
) -> AppResult<HashMap<i32, String>> {
    let mut next = HashMap::new();
    let sessions = cohort_session::Entity::find()
        .filter(cohort_session::Column::CohortId.is_in(cohort_ids.to_vec()))
        .filter(cohort_session::Column::EndsAt.gt(now()))
        .order_by_asc(cohort_session::Column::StartsAt)
        .all(db)
        .await?;
    for session in sessions {
        next.entry(session.cohort_id)
            .or_insert_with(|| when(session.starts_at));
    }
    Ok(next)
}

async fn cohort_rows<C: ConnectionTrait>(
    db: &C,
    cohorts: Vec<cohort::Model>,
) -> AppResult<Vec<Value>> {
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
        .map(|c| {
            json!({
                "id": c.id,
                "name": c.name,
                "course": courses.get(&c.course_id),
                "status_label": c.status.label(),
                "start_date": c.start_date.to_string(),
                "end_date": c.end_date.to_string(),
                "seats": c.seats,
                "next_session": next.get(&c.id),
                "followup_url": crate::attendance::pages::followup_url(c.id),
            })
        })
        .collect())
}

/// What the home page shows to `user`.
pub async fn for_user(
    db: &DatabaseConnection,
    dashboards: &Dashboards,
    user: &CurrentUser,
) -> AppResult<Value> {
    match user.role {
        Role::Participant => participant_home(db, user).await,
        Role::Instructor => instructor_home(db, user).await,
        Role::Reviewer => reviewer_home(db, dashboards, user).await,
        Role::Coordinator | Role::Admin => staff_home(db, dashboards, user).await,
    }
}

async fn participant_home<C: ConnectionTrait>(db: &C, user: &CurrentUser) -> AppResult<Value> {
    let Some(person) = participant::Entity::find()
        .filter(participant::Column::UserId.eq(user.id))
        .one(db)
        .await?
    else {
        return Ok(
            json!({"participant_home": {"enrolments": [], "has_profile": false, "certificates": []}}),
        );
    };
    let enrolments = enrolment::Entity::find()
        .filter(enrolment::Column::ParticipantId.eq(person.id))
        .order_by_desc(enrolment::Column::CreatedAt)
        .find_also_related(cohort::Entity)
        .all(db)
        .await?;
    let ids: Vec<i32> = enrolments.iter().map(|(e, _)| e.cohort_id).collect();
    let next = next_sessions(db, &ids).await?;
    let progress: HashMap<i32, (String, bool)> =
        crate::attendance::progress::for_participant(db, person.id)
            .await?
            .into_iter()
            .map(|p| (p.enrolment_id, (p.summary, p.at_risk)))
            .collect();
    let rows: Vec<Value> = enrolments
        .into_iter()
        .filter_map(|(e, c)| c.map(|c| (e, c)))
        .map(|(e, c)| {
            json!({
                "id": e.id,
                "cohort_id": c.id,
                "cancellable": matches!(e.status, EnrolmentStatus::Enrolled | EnrolmentStatus::Waitlisted)
                    && matches!(c.status, CohortStatus::Open | CohortStatus::InProgress | CohortStatus::Draft),
                "cohort": c.name,
                "status_label": e.status.label(),
                "dates": format!("{} a {}", c.start_date, c.end_date),
                "next_session": if e.status == EnrolmentStatus::Enrolled { next.get(&c.id).cloned() } else { None },
                "progress": progress.get(&e.id).map(|p| p.0.clone()),
                "at_risk": progress.get(&e.id).is_some_and(|p| p.1),
            })
        })
        .collect();
    let certificates = crate::certificates::issue::of_participant(db, person.id).await?;
    Ok(
        json!({"participant_home": {"enrolments": rows, "has_profile": true, "certificates": certificates}}),
    )
}

async fn instructor_home<C: ConnectionTrait>(db: &C, user: &CurrentUser) -> AppResult<Value> {
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
    let today_sessions: Vec<Value> = cohort_session::Entity::find()
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
        .map(|s| {
            json!({
                "id": s.id,
                "cohort_id": s.cohort_id,
                "cohort": names.get(&s.cohort_id),
                "topic": s.topic,
                "starts": local(s.starts_at).format("%H:%M").to_string(),
                "ends": local(s.ends_at).format("%H:%M").to_string(),
                "location": s.location,
                "started": s.starts_at <= at,
                "in_window": crate::attendance::checkin::in_window(&s, at),
            })
        })
        .collect();
    Ok(
        json!({"instructor_home": {"cohorts": cohort_rows(db, cohorts).await?, "today": today_sessions}}),
    )
}

async fn reviewer_home(
    db: &DatabaseConnection,
    dashboards: &Dashboards,
    user: &CurrentUser,
) -> AppResult<Value> {
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
    Ok(json!({"reviewer_home": {
        "chart": crate::reports::pages::chart(&picture.summary),
        "trends": dashboard::trend_chart(&picture.trends),
        "computed_at": when(picture.computed_at),
        "totals": picture.totals(),
        "department": department.map(|d| d.name),
        "municipalities": municipalities,
        "pdet": pdet,
        "cohorts": cohort_rows(db, cohorts).await?,
    }}))
}

async fn staff_home(
    db: &DatabaseConnection,
    dashboards: &Dashboards,
    user: &CurrentUser,
) -> AppResult<Value> {
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
        by_status.push(json!({"label": status.label(), "count": count}));
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
    let mut home = json!({"staff_home": {
        "chart": crate::reports::pages::chart(&top),
        "trends": dashboard::trend_chart(&picture.trends),
        "computed_at": when(picture.computed_at),
        "totals": picture.totals(),
        "pdet_reached": picture.pdet_reached,
        "fill_rate": if seats == 0 { "—".to_string() } else { format!("{} %", taken * 100 / seats) },
        "by_status": by_status,
        "participants": picture.participants,
        "cohorts": cohort_rows(db, recent).await?,
    }});
    if user.role == Role::Admin {
        home["admin_home"] = json!({
            "users": user::Entity::find().count(db).await?,
            "outbox_pending": outbox::Entity::find().filter(outbox::Column::Status.eq(OutboxStatus::Pending)).count(db).await?,
            "outbox_failed": outbox::Entity::find().filter(outbox::Column::Status.eq(OutboxStatus::Failed)).count(db).await?,
        });
    }
    Ok(home)
}
