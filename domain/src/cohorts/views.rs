//! Cohorts as the API and the pages show them, and the filtered list.

use super::scope::CohortScope;
use super::*;
use crate::catalogue::courses::CapacityRef;
use crate::entities::values::{CohortStatus, EnrolmentStatus, Modality};
use crate::entities::{cohort, course, enrolment};
use crate::error::{AppError, AppResult};
use crate::parse;
use crate::providers::ProviderRef;
use chrono::NaiveDate;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CourseRef {
    pub id: i32,
    pub code: String,
    pub name: String,
    pub hours: i32,
}

/// A cohort: a course scheduled for some municipalities or departments (none: the whole
/// country), with its seats and completion rule.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Cohort)]
pub struct CohortView {
    pub id: i32,
    pub course_id: i32,
    pub course: CourseRef,
    /// The provider that offers it (its course's).
    pub provider: ProviderRef,
    /// The providers that deliver it jointly with `provider` (issue 49), by name.
    pub co_providers: Vec<ProviderRef>,
    /// The capacities the course strengthens.
    pub capacities: Vec<CapacityRef>,
    pub name: String,
    pub modality: Modality,
    pub status: CohortStatus,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub enrolment_opens: NaiveDate,
    pub enrolment_closes: NaiveDate,
    pub seats: i32,
    pub enrolled: u64,
    pub waitlisted: u64,
    pub seats_available: u64,
    pub venue: Option<String>,
    /// Link of the virtual room.
    pub meeting_url: Option<String>,
    /// DANE codes of the municipalities it is offered to.
    pub municipality_codes: Vec<String>,
    /// DANE codes of the departments it is offered to (all their municipalities).
    pub department_codes: Vec<String>,
    pub instructor_ids: Vec<i32>,
    #[schema(minimum = 0, maximum = 100)]
    pub min_attendance_pct: i32,
    #[schema(minimum = 0, maximum = 5)]
    pub pass_mark: f64,
    /// Why it was cancelled, told to the people enrolled.
    pub cancellation_reason: Option<String>,
    /// Seats kept per municipality until `quota_release_on`, each with its use (issue 35).
    pub seat_quotas: Vec<super::quotas::SeatQuota>,
    /// Until this date quota seats go only to their municipality; then they join the open
    /// pool. Null without quotas.
    pub quota_release_on: Option<NaiveDate>,
    /// The cohort trains trainers (issue 48): shown as «Formación de formadores».
    pub trains_trainers: bool,
    /// **Extension** (issue 62): the counts of people (`enrolled`, `waitlisted`,
    /// `seats_available` and the quotas') are floored to a multiple of 5 for this reader — a
    /// participant or a liaison, who have no staff scope — so that no count, nor the difference
    /// of two, isolates a group of 1 to 4 that the open data suppresses; `seats_available` then
    /// reads «at least».
    pub counts_rounded: bool,
    /// Overlaps with other cohorts (a warning, not an error). Always empty in lists.
    pub warnings: Vec<overlap::Warning>,
}

impl CohortView {
    /// The view as `role` reads it through the API: exact for the staff, reviewers and
    /// instructors (whose scope reaches people); for a participant or a liaison every count of
    /// people floored to a multiple of 5 (issue 62, item 4; see `counts_rounded`).
    pub fn as_read_by(mut self, role: crate::entities::values::Role) -> Self {
        use crate::entities::values::Role;
        if !matches!(role, Role::Participant | Role::Liaison) {
            return self;
        }
        let floor = |n: u64| n - n % 5;
        self.enrolled = floor(self.enrolled);
        self.waitlisted = floor(self.waitlisted);
        self.seats_available = floor(self.seats_available);
        for quota in &mut self.seat_quotas {
            quota.enrolled = floor(quota.enrolled);
            quota.waitlisted = floor(quota.waitlisted);
        }
        self.counts_rounded = true;
        self
    }
}

/// Full views (with warnings) of cohorts, in the given order.
pub async fn views<C: ConnectionTrait>(
    db: &C,
    cohorts: Vec<cohort::Model>,
    with_warnings: bool,
) -> AppResult<Vec<CohortView>> {
    let ids: Vec<i32> = cohorts.iter().map(|c| c.id).collect();
    let course_ids: Vec<i32> = cohorts.iter().map(|c| c.course_id).collect();
    let courses = course_facts(db, &course_ids).await?;
    let mut targets = targets_of(db, &ids).await?;
    let counts = enrolment_counts(db, &ids).await?;
    let mut quotas = super::quotas::views(db, &cohorts.iter().collect::<Vec<_>>()).await?;
    let mut co_providers = crate::joint::of(db, crate::joint::OfferKind::Cohort, &ids).await?;
    let mut out = Vec::with_capacity(cohorts.len());
    for c in cohorts {
        let facts = courses.get(&c.course_id).ok_or(AppError::NotFound)?;
        let t = targets.remove(&c.id).unwrap_or_default();
        let (enrolled, waitlisted) = counts.get(&c.id).copied().unwrap_or((0, 0));
        let warnings = if with_warnings {
            overlap::warnings_for(db, &c).await?
        } else {
            Vec::new()
        };
        out.push(CohortView {
            id: c.id,
            course_id: c.course_id,
            course: facts.course.clone(),
            capacities: facts.capacities.clone(),
            provider: facts.provider.clone(),
            co_providers: co_providers.remove(&c.id).unwrap_or_default(),
            name: c.name,
            modality: c.modality,
            status: c.status,
            start_date: c.start_date,
            end_date: c.end_date,
            enrolment_opens: c.enrolment_opens,
            enrolment_closes: c.enrolment_closes,
            seats: c.seats,
            enrolled,
            waitlisted,
            seats_available: (c.seats as u64).saturating_sub(enrolled),
            venue: c.venue,
            meeting_url: c.meeting_url,
            municipality_codes: t.municipalities,
            department_codes: t.departments,
            instructor_ids: t.instructors,
            min_attendance_pct: c.min_attendance_pct,
            pass_mark: parse::grade_value(c.pass_mark_tenths),
            cancellation_reason: c.cancellation_reason,
            seat_quotas: quotas.remove(&c.id).unwrap_or_default(),
            quota_release_on: c.quota_release_on,
            trains_trainers: c.trains_trainers,
            counts_rounded: false,
            warnings,
        });
    }
    Ok(out)
}

pub async fn view<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<CohortView> {
    let model = find(db, id).await?;
    views(db, vec![model], true)
        .await?
        .pop()
        .ok_or(AppError::NotFound)
}

/// What a cohort view shows of its course: the course, its provider and the capacities it
/// strengthens.
struct CourseFacts {
    course: CourseRef,
    provider: ProviderRef,
    capacities: Vec<CapacityRef>,
}

/// The courses `ids` with their providers and capacities, in one statement (issue 36: every
/// cohort view reads them, and each round trip costs on PostgreSQL). A cohort's provider is its
/// course's (set from it when the cohort is created; a course never changes provider).
async fn course_facts<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
) -> AppResult<HashMap<i32, CourseFacts>> {
    use crate::entities::{capacity, course_capacity, provider};
    use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
    use sea_orm::{FromQueryResult, JoinType};
    #[derive(FromQueryResult)]
    struct Row {
        id: i32,
        code: String,
        name: String,
        hours: i32,
        provider_id: i32,
        provider_name: String,
        capacity_id: Option<i32>,
        capacity_code: Option<String>,
        capacity_name: Option<String>,
    }
    let mut out: HashMap<i32, CourseFacts> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let query = Query::select()
        .column((course::Entity, course::Column::Id))
        .column((course::Entity, course::Column::Code))
        .column((course::Entity, course::Column::Name))
        .column((course::Entity, course::Column::Hours))
        .expr_as(
            Expr::col((provider::Entity, provider::Column::Id)),
            "provider_id",
        )
        .expr_as(
            Expr::col((provider::Entity, provider::Column::Name)),
            "provider_name",
        )
        .expr_as(
            Expr::col((capacity::Entity, capacity::Column::Id)),
            "capacity_id",
        )
        .expr_as(
            Expr::col((capacity::Entity, capacity::Column::Code)),
            "capacity_code",
        )
        .expr_as(
            Expr::col((capacity::Entity, capacity::Column::Name)),
            "capacity_name",
        )
        .from(course::Entity)
        .join(
            JoinType::InnerJoin,
            provider::Entity,
            Expr::col((provider::Entity, provider::Column::Id))
                .equals((course::Entity, course::Column::ProviderId)),
        )
        .join(
            JoinType::LeftJoin,
            course_capacity::Entity,
            Expr::col((course_capacity::Entity, course_capacity::Column::CourseId))
                .equals((course::Entity, course::Column::Id)),
        )
        .join(
            JoinType::LeftJoin,
            capacity::Entity,
            Expr::col((capacity::Entity, capacity::Column::Id))
                .equals((course_capacity::Entity, course_capacity::Column::CapacityId)),
        )
        .and_where(Expr::col((course::Entity, course::Column::Id)).is_in(ids.iter().copied()))
        .order_by((course::Entity, course::Column::Id), Order::Asc)
        .order_by((capacity::Entity, capacity::Column::Id), Order::Asc)
        .to_owned();
    let statement = db.get_database_backend().build(&query);
    for row in Row::find_by_statement(statement).all(db).await? {
        let facts = out.entry(row.id).or_insert_with(|| CourseFacts {
            course: CourseRef {
                id: row.id,
                code: row.code,
                name: row.name,
                hours: row.hours,
            },
            provider: ProviderRef {
                id: row.provider_id,
                name: row.provider_name,
            },
            capacities: Vec::new(),
        });
        if let (Some(id), Some(code), Some(name)) =
            (row.capacity_id, row.capacity_code, row.capacity_name)
        {
            facts.capacities.push(CapacityRef { id, code, name });
        }
    }
    Ok(out)
}

/// (enrolled, waitlisted) per cohort. Everyone who holds a seat counts as enrolled: after
/// closing that is whoever completed or not (a closed cohort still shows the people it trained,
/// never «0 inscritos»).
async fn enrolment_counts<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
) -> AppResult<HashMap<i32, (u64, u64)>> {
    use sea_orm::{FromQueryResult, QuerySelect};
    #[derive(FromQueryResult)]
    struct Count {
        cohort_id: i32,
        status: EnrolmentStatus,
        n: i64,
    }
    let rows = enrolment::Entity::find()
        .select_only()
        .column(enrolment::Column::CohortId)
        .column(enrolment::Column::Status)
        .column_as(enrolment::Column::Id.count(), "n")
        .filter(enrolment::Column::CohortId.is_in(ids.to_vec()))
        .filter(enrolment::Column::Status.is_in([
            EnrolmentStatus::Enrolled,
            EnrolmentStatus::Completed,
            EnrolmentStatus::NotCompleted,
            EnrolmentStatus::Waitlisted,
        ]))
        .group_by(enrolment::Column::CohortId)
        .group_by(enrolment::Column::Status)
        .into_model::<Count>()
        .all(db)
        .await?;
    let mut map: HashMap<i32, (u64, u64)> = HashMap::new();
    for row in rows {
        let entry = map.entry(row.cohort_id).or_default();
        match row.status {
            EnrolmentStatus::Waitlisted => entry.1 += row.n as u64,
            _ => entry.0 += row.n as u64,
        }
    }
    Ok(map)
}

/// Filters of the coordinators' list (and the API).
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub status: Option<CohortStatus>,
    pub department: Option<String>,
    pub municipality: Option<String>,
    pub capacity_id: Option<i32>,
    pub course_id: Option<i32>,
    pub provider_id: Option<i32>,
    pub modality: Option<Modality>,
    /// Cohorts running at some point between these dates.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub text: Option<String>,
}

pub async fn list<C: ConnectionTrait>(
    db: &C,
    scope: &CohortScope,
    filter: &ListFilter,
    page: u64,
    per_page: u64,
) -> AppResult<(Vec<CohortView>, u64)> {
    let mut condition = Condition::all().add(scope.condition());
    if let Some(status) = filter.status {
        condition = condition.add(cohort::Column::Status.eq(status));
    }
    if let Some(code) = &filter.department {
        condition = condition.add(scope::in_department(code));
    }
    if let Some(code) = &filter.municipality {
        condition = condition.add(scope::offered_to_municipality(code));
    }
    if let Some(capacity_id) = filter.capacity_id {
        condition = condition.add(
            cohort::Column::CourseId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(crate::entities::course_capacity::Column::CourseId)
                    .from(crate::entities::course_capacity::Entity)
                    .and_where(crate::entities::course_capacity::Column::CapacityId.eq(capacity_id))
                    .to_owned(),
            ),
        );
    }
    if let Some(course_id) = filter.course_id {
        condition = condition.add(cohort::Column::CourseId.eq(course_id));
    }
    if let Some(provider_id) = filter.provider_id {
        condition = condition.add(cohort::Column::ProviderId.eq(provider_id));
    }
    if let Some(modality) = filter.modality {
        condition = condition.add(cohort::Column::Modality.eq(modality));
    }
    if let Some(from) = filter.from {
        condition = condition.add(cohort::Column::EndDate.gte(from));
    }
    if let Some(to) = filter.to {
        condition = condition.add(cohort::Column::StartDate.lte(to));
    }
    let text = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        // Bounded: the pages and the API refuse longer ones (`parse::search`).
        .map(|t| t.chars().take(parse::SEARCH_MAX).collect::<String>());
    if let Some(text) = text {
        return searched(db, condition, &text, page, per_page).await;
    }
    let paginator = cohort::Entity::find()
        .filter(condition)
        .order_by_desc(cohort::Column::StartDate)
        .order_by_desc(cohort::Column::Id)
        .paginate(db, per_page);
    let total = paginator.num_items().await?;
    let rows = paginator.fetch_page(page.saturating_sub(1)).await?;
    Ok((views(db, rows, false).await?, total))
}

/// The cohorts of `condition` whose name, course name or course code hold every word of
/// `text`, whatever the case and accents («planeacion» finds «Planeación Territorial»; SQL's
/// `LIKE` is neither accent- nor, in PostgreSQL, case-insensitive). Only the ids, names and
/// courses of the rows the other filters leave are read and matched here; the page's rows are
/// then read whole.
async fn searched<C: ConnectionTrait>(
    db: &C,
    condition: Condition,
    text: &str,
    page: u64,
    per_page: u64,
) -> AppResult<(Vec<CohortView>, u64)> {
    use sea_orm::QuerySelect;
    let needle = crate::text::fold(text);
    let candidates: Vec<(i32, String, i32)> = cohort::Entity::find()
        .select_only()
        .column(cohort::Column::Id)
        .column(cohort::Column::Name)
        .column(cohort::Column::CourseId)
        .filter(condition)
        .order_by_desc(cohort::Column::StartDate)
        .order_by_desc(cohort::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut course_ids: Vec<i32> = candidates.iter().map(|c| c.2).collect();
    course_ids.sort_unstable();
    course_ids.dedup();
    let mut courses: HashMap<i32, String> = HashMap::new();
    for chunk in course_ids.chunks(500) {
        let rows: Vec<(i32, String, String)> = course::Entity::find()
            .select_only()
            .column(course::Column::Id)
            .column(course::Column::Name)
            .column(course::Column::Code)
            .filter(course::Column::Id.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        courses.extend(
            rows.into_iter()
                .map(|(id, name, code)| (id, format!("{name} {code}"))),
        );
    }
    let matched: Vec<i32> = candidates
        .into_iter()
        .filter(|(_, name, course_id)| {
            let course = courses.get(course_id).map(String::as_str).unwrap_or("");
            parse::holds_words(&format!("{name} {course}"), &needle)
        })
        .map(|(id, _, _)| id)
        .collect();
    let total = matched.len() as u64;
    let start =
        usize::try_from(page.saturating_sub(1).saturating_mul(per_page)).unwrap_or(usize::MAX);
    let shown: Vec<i32> = matched
        .into_iter()
        .skip(start)
        .take(usize::try_from(per_page).unwrap_or(usize::MAX))
        .collect();
    if shown.is_empty() {
        return Ok((Vec::new(), total));
    }
    let rows = cohort::Entity::find()
        .filter(cohort::Column::Id.is_in(shown))
        .order_by_desc(cohort::Column::StartDate)
        .order_by_desc(cohort::Column::Id)
        .all(db)
        .await?;
    Ok((views(db, rows, false).await?, total))
}
