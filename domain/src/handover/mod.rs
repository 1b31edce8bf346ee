//! The handover (empalme, issue 48 item 4): for one municipality, one assembled record a new
//! administration and its liaison can use — who was trained and certified and whether they are
//! still in the entity, the technical assistance received with its open agreements and pending
//! milestones, the products handed over, the demands still open and the indicators before and
//! after. [`assemble`] builds it (the page, its PDF and the API read the same value); the
//! liaison's first sign-in of a new administration lands on it ([`landing`]); the liaison role
//! passes to the next official in [`passing`].
//!
//! Who reads it: the municipality's liaison, the department's reviewer, the administrators and
//! ESAP's coordinators (a territorial direction's, in its departments). It names the people
//! trained for the municipality, so a coordinator of another provider (who sees only the
//! people of its own cohorts) gets 404, as does anyone outside that scope.

pub mod demo;
pub mod passing;
pub mod pdf;

use crate::accounts::actor::Actor;
use crate::assistance::agreements::{self, PlacedAgreement};
use crate::assistance::{self, AssistanceView};
use crate::entities::values::EnrolmentStatus;
use crate::entities::values::{
    AgreementStatus, AssistanceStatus, AssistedEntity, CertificateStatus, DemandStatus, Role,
};
use crate::entities::{
    assistance_visit, capacity_person, certificate, entity_departure, indicator,
    indicator_observation, participant, user, visit_product,
};
use crate::entities::{cohort, course_capacity, enrolment};
use crate::error::{AppError, AppResult};
use crate::reports::place::{self, Place};
use crate::results::Verdict;
use crate::rows::Rows;
use chrono::{Datelike, NaiveDate};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use sea_orm::{JoinType, QuerySelect, RelationTrait};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// The first year of a municipal administration: 2020, then every four years (2024, 2028…).
/// Municipal administrations take office on 1 January of these years (Colombia's local
/// elections are held every four years, in October of the year before).
pub const FIRST_ADMINISTRATION: i32 = 2020;

/// The start year of the administration period that `date` falls in: 2024 for any day of
/// 2024–2027, 2028 from 1 January 2028. The one place the four-year rule lives.
pub fn administration_start(date: NaiveDate) -> i32 {
    let year = date.year();
    year - (year - FIRST_ADMINISTRATION).rem_euclid(4)
}

/// Where a liaison who just signed in on `today` should land: their municipality's handover
/// page the first time they sign in during the current administration period (recorded in
/// `users.handover_seen_for`, so it happens once per period), nothing otherwise. Recorded with
/// a conditional update, so two sign-ins at the same moment redirect only once.
pub async fn landing<C: ConnectionTrait>(
    db: &C,
    account: &user::Model,
    today: NaiveDate,
) -> AppResult<Option<String>> {
    let (Role::Liaison, Some(code)) = (account.role, account.municipality_code.as_deref()) else {
        return Ok(None);
    };
    let period = administration_start(today);
    if account.handover_seen_for == Some(period) {
        return Ok(None);
    }
    let recorded = user::Entity::update_many()
        .col_expr(user::Column::HandoverSeenFor, Expr::value(period))
        .filter(user::Column::Id.eq(account.id))
        .filter(
            sea_orm::Condition::any()
                .add(user::Column::HandoverSeenFor.is_null())
                .add(user::Column::HandoverSeenFor.ne(period)),
        )
        .exec(db)
        .await?;
    Ok((recorded.rows_affected == 1).then(|| page_path(code)))
}

/// The handover page of a municipality.
pub fn page_path(code: &str) -> String {
    format!("/municipios/{code}/empalme")
}

/// Whether `user` may read the handover of a municipality of `department_code`: the
/// municipality's liaison, the department's reviewer, the administrators and ESAP's
/// coordinators (a territorial direction's, in its departments).
fn may_read(user: &Actor, place: &Place) -> bool {
    if let Some(codes) = user.direction_departments() {
        return codes.contains(&place.department_code);
    }
    match user.role {
        Role::Admin => true,
        Role::Coordinator => !user.is_other_provider(),
        Role::Reviewer | Role::Liaison => {
            user.covers_municipality(&place.code, &place.department_code)
        }
        Role::Instructor | Role::Participant => false,
    }
}

/// The handover record of one municipality.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Handover)]
pub struct Handover {
    pub municipality: Place,
    /// The day it was assembled (Colombia).
    pub issued_on: NaiveDate,
    /// The people trained for the municipality (distinct, by name), each with their training by
    /// capacity, their certificates and whether they are still in the entity.
    pub trained: Vec<TrainedPerson>,
    /// How many of `trained` are still in the entity.
    pub still_in_entity: usize,
    /// How many of `trained` said they left the entity (follow-up survey).
    pub left: usize,
    /// Per capacity: people trained, certified, and still in the entity.
    pub capacities: Vec<CapacitySummary>,
    /// Every technical assistance of the municipality's entities (alcaldía, concejo,
    /// personería…), newest first.
    pub assistances: Vec<AssistanceItem>,
    /// The visits' agreements still pending, the oldest due first.
    pub open_agreements: Vec<OpenAgreement>,
    /// The milestones not reached of the assistances not cancelled, the oldest due first.
    pub pending_milestones: Vec<PendingMilestone>,
    /// What the municipality was handed: the knowledge bank's published resources tied to it
    /// and the visits' products not in the bank, newest first.
    pub resources: Vec<ResourceItem>,
    /// The demands not yet met nor declined (open or planned), oldest first.
    pub open_demands: Vec<OpenDemand>,
    /// Each indicator observed for the municipality: its earliest and latest year, and the
    /// change between them.
    pub indicators: Vec<IndicatorChange>,
    /// Second-generation reach (issue 48, item 3): people reached by the replicas of certified
    /// replicators in the municipality, per capacity and year — never summed into `trained`.
    pub replicas: Vec<crate::trainers::ReplicaReach>,
    /// The alcaldía's key positions (issue 68) not held by someone certified in their
    /// capacity: vacant (with who left last) or held by someone who is not.
    pub uncovered_positions: Vec<crate::positions::PositionView>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HandoverPerson)]
pub struct TrainedPerson {
    pub participant_id: i32,
    pub full_name: String,
    pub position: Option<String>,
    pub entity_type: String,
    pub still_in_entity: bool,
    /// The day they reported leaving the entity, when they did.
    pub left_on: Option<NaiveDate>,
    pub capacities: Vec<PersonCapacity>,
    pub certificates: Vec<CertificateItem>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HandoverPersonCapacity)]
pub struct PersonCapacity {
    pub capacity_id: i32,
    pub capacity_name: String,
    pub year: i32,
    /// The verdict frozen at closing (true when any of the person's cohorts in the capacity
    /// that year completed); `null` while one of them still runs (decided at closing).
    pub completed: Option<bool>,
    pub certified: bool,
    /// As people read it: «con certificado», «aprobó», «no aprobó» or «se decide al cierre».
    pub state: &'static str,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HandoverCertificate)]
pub struct CertificateItem {
    pub code: String,
    pub course_name: String,
    pub hours: i32,
    pub issued_on: NaiveDate,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HandoverCapacity)]
pub struct CapacitySummary {
    pub capacity_id: i32,
    pub capacity_name: String,
    pub trained: usize,
    pub certified: usize,
    pub still_in_entity: usize,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HandoverAssistance)]
pub struct AssistanceItem {
    pub id: i32,
    pub entity_type: AssistedEntity,
    pub entity_label: &'static str,
    pub provider_name: String,
    pub capacity_names: Vec<String>,
    pub objective: String,
    pub status: AssistanceStatus,
    pub status_label: &'static str,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub objective_reached: Option<bool>,
    pub open_agreements: usize,
    pub pending_milestones: usize,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HandoverAgreement)]
pub struct OpenAgreement {
    pub id: i32,
    pub assistance_id: i32,
    pub visit_id: i32,
    pub entity_label: &'static str,
    pub provider_name: String,
    pub text: String,
    pub owner: String,
    pub due_on: NaiveDate,
    pub overdue: bool,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HandoverMilestone)]
pub struct PendingMilestone {
    pub id: i32,
    pub assistance_id: i32,
    pub entity_label: &'static str,
    pub provider_name: String,
    pub title: String,
    pub due_on: NaiveDate,
    pub overdue: bool,
}

/// What the municipality was handed: a published resource of the knowledge bank tied to its
/// assistances or cohorts (issue 48, item 1), or a product handed over at a visit that is not
/// in the bank (a product in the bank is listed once, as its resource: not a copy).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HandoverResource)]
pub struct ResourceItem {
    /// `knowledge_bank` for a resource of the bank; `visit_product` for a visit's product that
    /// is not in it.
    pub source: &'static str,
    /// The resource's id, or the visit product's.
    pub id: i32,
    pub title: String,
    pub kind: String,
    pub kind_label: String,
    pub assistance_id: Option<i32>,
    pub visit_id: Option<i32>,
    /// The day it was handed over: the visit's, or the resource's publication.
    pub date: NaiveDate,
    pub provider_name: String,
    /// The resource's page in the bank, for a resource.
    pub page_url: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HandoverDemand)]
pub struct OpenDemand {
    pub id: i32,
    pub topic: String,
    pub capacity_id: i32,
    pub capacity_name: String,
    pub entity_label: &'static str,
    pub people_estimate: i32,
    pub status: DemandStatus,
    pub status_label: &'static str,
    pub created_on: NaiveDate,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HandoverIndicator)]
pub struct IndicatorChange {
    pub indicator_id: i32,
    pub code: String,
    pub name: String,
    pub unit: String,
    pub higher_is_better: bool,
    pub first_year: i32,
    pub first_value: f64,
    pub first_display: String,
    pub last_year: i32,
    pub last_value: f64,
    pub last_display: String,
    /// `last_value - first_value`; 0 with a single year.
    pub change: f64,
    /// «+3,2», «-1,0», «0,0».
    pub change_display: String,
    /// Whether the change goes the indicator's good way; none without change or a second year.
    pub improved: Option<bool>,
    /// Either value was made up by the synthetic generator (never real data).
    pub synthetic: bool,
}

/// The handover of municipality `code` as `user` may read it (404 for an unknown code or one
/// outside the caller's scope), assembled on `today`. The one function the page, the PDF and
/// the API share: a new section (the knowledge bank's resources, say) is added here.
pub async fn assemble<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    code: &str,
    today: NaiveDate,
) -> AppResult<Handover> {
    let municipality = place::find(db, user, code).await?;
    if !may_read(user, &municipality) {
        return Err(AppError::NotFound);
    }
    let code = municipality.code.clone();
    let capacity_names = crate::capacities::names_by_id(db).await?;
    let (trained, capacities) = people(db, &code, &capacity_names).await?;
    let (views, _) = assistance::list(
        db,
        user,
        &assistance::ListFilter {
            municipality: Some(code.clone()),
            ..Default::default()
        },
        1,
        10_000,
    )
    .await?;
    let (agreements, _) = agreements::list(
        db,
        user,
        &agreements::ListFilter {
            municipality: Some(code.clone()),
            status: Some(AgreementStatus::Pending),
            ..Default::default()
        },
        1,
        100_000,
    )
    .await?;
    let open_agreements: Vec<OpenAgreement> = agreements.into_iter().map(open_agreement).collect();
    let pending_milestones = pending_milestones(&views, today);
    let resources = resources(db, &code, &views).await?;
    let assistances = views
        .iter()
        .map(|v| AssistanceItem {
            id: v.id,
            entity_type: v.entity_type,
            entity_label: v.entity_label,
            provider_name: v.provider.name.clone(),
            capacity_names: v.capacities.iter().map(|c| c.name.clone()).collect(),
            objective: v.objective.clone(),
            status: v.status,
            status_label: v.status_label,
            starts_on: v.starts_on,
            ends_on: v.ends_on,
            objective_reached: v.objective_reached,
            open_agreements: open_agreements
                .iter()
                .filter(|a| a.assistance_id == v.id)
                .count(),
            pending_milestones: pending_milestones
                .iter()
                .filter(|m| m.assistance_id == v.id)
                .count(),
        })
        .collect();
    let open_demands = crate::demand::of_municipality(db, user, &code)
        .await?
        .into_iter()
        .filter(|d| matches!(d.status, DemandStatus::Open | DemandStatus::Planned))
        .rev()
        .map(|d| OpenDemand {
            capacity_name: capacity_names
                .get(&d.capacity_id)
                .cloned()
                .unwrap_or_default(),
            id: d.id,
            topic: d.topic,
            capacity_id: d.capacity_id,
            entity_label: d.entity_type.label(),
            people_estimate: d.people_estimate,
            status: d.status,
            status_label: d.status.label(),
            created_on: crate::time::local(d.created_at).date_naive(),
        })
        .collect();
    let indicators = indicators(db, &code).await?;
    let replicas = crate::trainers::municipality_reach(db, &code).await?;
    let uncovered_positions = crate::positions::uncovered(db, &code).await?;
    let still_in_entity = trained.iter().filter(|p| p.still_in_entity).count();
    Ok(Handover {
        left: trained.len() - still_in_entity,
        still_in_entity,
        municipality,
        issued_on: today,
        trained,
        capacities,
        assistances,
        open_agreements,
        pending_milestones,
        resources,
        open_demands,
        indicators,
        replicas,
        uncovered_positions,
    })
}

/// The handover as a printable PDF (drawn off the async threads).
pub async fn render_pdf(handover: Handover) -> AppResult<Vec<u8>> {
    crate::blocking::run(move || pdf::render(&handover)).await
}

fn open_agreement(a: PlacedAgreement) -> OpenAgreement {
    OpenAgreement {
        id: a.agreement.id,
        assistance_id: a.assistance_id,
        visit_id: a.visit_id,
        entity_label: a.entity_label,
        provider_name: a.provider_name,
        text: a.agreement.text,
        owner: a.agreement.owner,
        due_on: a.agreement.due_on,
        overdue: a.agreement.overdue,
    }
}

/// The milestones not reached of the assistances not cancelled (a cancelled assistance's plan
/// is no longer anyone's commitment), the oldest due first.
fn pending_milestones(views: &[AssistanceView], today: NaiveDate) -> Vec<PendingMilestone> {
    let mut out: Vec<PendingMilestone> = views
        .iter()
        .filter(|v| v.status != AssistanceStatus::Cancelled)
        .flat_map(|v| {
            v.milestones
                .iter()
                .filter(|m| m.done_on.is_none())
                .map(move |m| PendingMilestone {
                    id: m.id,
                    assistance_id: v.id,
                    entity_label: v.entity_label,
                    provider_name: v.provider.name.clone(),
                    title: m.title.clone(),
                    due_on: m.due_on,
                    overdue: m.due_on < today,
                })
        })
        .collect();
    out.sort_by_key(|m| (m.due_on, m.id));
    out
}

/// The municipality's published resources of the knowledge bank
/// ([`crate::knowledge::handed_to_municipality`]) and the products handed over at the visits of
/// `views` that are not in the bank, newest first.
async fn resources<C: ConnectionTrait>(
    db: &C,
    code: &str,
    views: &[AssistanceView],
) -> AppResult<Vec<ResourceItem>> {
    let banked = crate::knowledge::handed_to_municipality(db, code).await?;
    let in_bank: HashSet<i32> = banked.iter().filter_map(|r| r.visit_product_id).collect();
    let visits: HashMap<i32, assistance_visit::Model> = assistance_visit::Entity::find()
        .filter(assistance_visit::Column::AssistanceId.is_in(views.iter().map(|v| v.id)))
        .all_mapped(db, |v| (v.id, v))
        .await?;
    let providers: HashMap<i32, &str> = views
        .iter()
        .map(|v| (v.id, v.provider.name.as_str()))
        .collect();
    let mut out: Vec<ResourceItem> = banked
        .into_iter()
        .map(|r| ResourceItem {
            source: "knowledge_bank",
            id: r.id,
            title: r.title,
            kind: r.kind.to_string(),
            kind_label: r.kind_label.to_string(),
            assistance_id: r.assistance_id,
            visit_id: None,
            date: r.date,
            provider_name: r.provider_name,
            page_url: Some(r.page_url),
        })
        .collect();
    out.extend(
        visit_product::Entity::find()
            .filter(visit_product::Column::VisitId.is_in(visits.keys().copied()))
            .order_by_asc(visit_product::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .filter(|p| !in_bank.contains(&p.id))
            .filter_map(|p| {
                let visit = visits.get(&p.visit_id)?;
                Some(ResourceItem {
                    source: "visit_product",
                    id: p.id,
                    title: p.title,
                    kind: p.kind.to_string(),
                    kind_label: p.kind.label().to_string(),
                    assistance_id: Some(visit.assistance_id),
                    visit_id: Some(visit.id),
                    date: visit.date,
                    provider_name: providers
                        .get(&visit.assistance_id)
                        .map(|n| (*n).to_string())
                        .unwrap_or_default(),
                    page_url: None,
                })
            }),
    );
    out.sort_by(|a, b| b.date.cmp(&a.date).then(a.title.cmp(&b.title)));
    Ok(out)
}

/// The people trained for the municipality (`capacity_people`: the distinct people behind its
/// coverage figures), by name, with their certificates for it and whether they left the
/// entity (`entity_departures`); and the same counted per capacity.
async fn people<C: ConnectionTrait>(
    db: &C,
    code: &str,
    capacity_names: &HashMap<i32, String>,
) -> AppResult<(Vec<TrainedPerson>, Vec<CapacitySummary>)> {
    let rows = capacity_person::Entity::find()
        .filter(capacity_person::Column::MunicipalityCode.eq(code))
        .order_by_asc(capacity_person::Column::Year)
        .order_by_asc(capacity_person::Column::CapacityId)
        .all(db)
        .await?;
    let ids: Vec<i32> = {
        let mut ids: Vec<i32> = rows.iter().map(|r| r.participant_id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let mut persons: HashMap<i32, participant::Model> = HashMap::new();
    let mut departures: HashMap<i32, NaiveDate> = HashMap::new();
    let mut certificates: HashMap<i32, Vec<CertificateItem>> = HashMap::new();
    for chunk in ids.chunks(500) {
        for p in participant::Entity::find()
            .filter(participant::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            persons.insert(p.id, p);
        }
        for d in entity_departure::Entity::find()
            .filter(entity_departure::Column::MunicipalityCode.eq(code))
            .filter(entity_departure::Column::ParticipantId.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            departures.insert(
                d.participant_id,
                crate::time::local(d.reported_at).date_naive(),
            );
        }
        for c in certificate::Entity::find()
            .filter(certificate::Column::MunicipalityCode.eq(code))
            .filter(certificate::Column::ParticipantId.is_in(chunk.iter().copied()))
            .filter(certificate::Column::Status.eq(CertificateStatus::Valid))
            .order_by_asc(certificate::Column::IssuedAt)
            .all(db)
            .await?
        {
            certificates
                .entry(c.participant_id)
                .or_default()
                .push(CertificateItem {
                    code: c.code,
                    course_name: c.course_name,
                    hours: c.hours,
                    issued_on: crate::time::local(c.issued_at).date_naive(),
                });
        }
    }
    let verdicts = verdicts(db, code).await?;
    let mut by_person: BTreeMap<i32, Vec<PersonCapacity>> = BTreeMap::new();
    // capacity → (trained, certified, still in the entity) people.
    let mut by_capacity: BTreeMap<i32, [std::collections::BTreeSet<i32>; 3]> = BTreeMap::new();
    for r in &rows {
        let verdict = verdicts
            .get(&(r.participant_id, r.capacity_id, r.year))
            .copied()
            .unwrap_or(if r.completed {
                Verdict::Completed
            } else {
                Verdict::Pending
            });
        by_person
            .entry(r.participant_id)
            .or_default()
            .push(PersonCapacity {
                capacity_id: r.capacity_id,
                capacity_name: capacity_names
                    .get(&r.capacity_id)
                    .cloned()
                    .unwrap_or_default(),
                year: r.year,
                completed: verdict.completed(),
                certified: r.certified,
                state: if r.certified {
                    "con certificado"
                } else {
                    verdict.said()
                },
            });
        let sets = by_capacity.entry(r.capacity_id).or_default();
        sets[0].insert(r.participant_id);
        if r.certified {
            sets[1].insert(r.participant_id);
        }
        if !departures.contains_key(&r.participant_id) {
            sets[2].insert(r.participant_id);
        }
    }
    let mut trained: Vec<TrainedPerson> = by_person
        .into_iter()
        .filter_map(|(id, capacities)| {
            let person = persons.get(&id)?;
            Some(TrainedPerson {
                participant_id: id,
                full_name: person.full_name(),
                position: person.position.clone(),
                entity_type: person.entity_type.clone(),
                still_in_entity: !departures.contains_key(&id),
                left_on: departures.get(&id).copied(),
                capacities,
                certificates: certificates.remove(&id).unwrap_or_default(),
            })
        })
        .collect();
    trained.sort_by(|a, b| {
        crate::text::sort_key(&a.full_name)
            .cmp(&crate::text::sort_key(&b.full_name))
            .then(a.participant_id.cmp(&b.participant_id))
    });
    let mut summaries: Vec<CapacitySummary> = by_capacity
        .into_iter()
        .map(|(id, [all, certified, still])| CapacitySummary {
            capacity_id: id,
            capacity_name: capacity_names.get(&id).cloned().unwrap_or_default(),
            trained: all.len(),
            certified: certified.len(),
            still_in_entity: still.len(),
        })
        .collect();
    summaries.sort_by(|a, b| a.capacity_name.cmp(&b.capacity_name));
    Ok((trained, summaries))
}

/// The verdict on each (person, capacity, cohort start year) trained for the municipality,
/// read from the enrolments as every page reads it ([`Verdict`]): completed when one of them
/// completed, pending while one still runs, not completed otherwise.
async fn verdicts<C: ConnectionTrait>(
    db: &C,
    code: &str,
) -> AppResult<HashMap<(i32, i32, i32), Verdict>> {
    let rows: Vec<(i32, i32, NaiveDate, EnrolmentStatus)> = enrolment::Entity::find()
        .join(JoinType::InnerJoin, enrolment::Relation::Cohort.def())
        .join_rev(
            JoinType::InnerJoin,
            course_capacity::Entity::belongs_to(cohort::Entity)
                .from(course_capacity::Column::CourseId)
                .to(cohort::Column::CourseId)
                .into(),
        )
        .select_only()
        .column(enrolment::Column::ParticipantId)
        .column(course_capacity::Column::CapacityId)
        .column(cohort::Column::StartDate)
        .column(enrolment::Column::Status)
        .filter(enrolment::Column::MunicipalityCode.eq(code))
        .filter(enrolment::Column::Status.is_in(crate::figures::COUNTED))
        .filter(cohort::Column::Status.is_in(crate::figures::STARTED))
        .into_tuple()
        .all(db)
        .await?;
    let mut out: HashMap<(i32, i32, i32), Verdict> = HashMap::new();
    for (person, capacity, start, status) in rows {
        let found = Verdict::of(status);
        let verdict = out.entry((person, capacity, start.year())).or_insert(found);
        *verdict = match (*verdict, found) {
            (Verdict::Completed, _) | (_, Verdict::Completed) => Verdict::Completed,
            (Verdict::Pending, _) | (_, Verdict::Pending) => Verdict::Pending,
            _ => Verdict::NotCompleted,
        };
    }
    Ok(out)
}

/// Each indicator observed for the municipality, its earliest year against its latest.
async fn indicators<C: ConnectionTrait>(db: &C, code: &str) -> AppResult<Vec<IndicatorChange>> {
    let observations = indicator_observation::Entity::find()
        .filter(indicator_observation::Column::MunicipalityCode.eq(code))
        .order_by_asc(indicator_observation::Column::Year)
        .all(db)
        .await?;
    let mut first_last: BTreeMap<
        i32,
        (indicator_observation::Model, indicator_observation::Model),
    > = BTreeMap::new();
    for o in observations {
        match first_last.entry(o.indicator_id) {
            std::collections::btree_map::Entry::Occupied(mut seen) => seen.get_mut().1 = o,
            std::collections::btree_map::Entry::Vacant(new) => {
                new.insert((o.clone(), o));
            }
        }
    }
    let indicators: HashMap<i32, indicator::Model> = indicator::Entity::find()
        .filter(indicator::Column::Id.is_in(first_last.keys().copied()))
        .all_mapped(db, |i| (i.id, i))
        .await?;
    let mut out: Vec<IndicatorChange> = first_last
        .into_iter()
        .filter_map(|(id, (first, last))| {
            let indicator = indicators.get(&id)?;
            let change = last.value - first.value;
            let rounded = (change * 10.0).round() / 10.0;
            let improved = (last.year > first.year && rounded != 0.0)
                .then_some((rounded > 0.0) == indicator.higher_is_better);
            Some(IndicatorChange {
                indicator_id: id,
                code: indicator.code.clone(),
                name: indicator.name.clone(),
                unit: indicator.unit.clone(),
                higher_is_better: indicator.higher_is_better,
                first_year: first.year,
                first_value: first.value,
                first_display: crate::indicators::display(&indicator.unit, first.value),
                last_year: last.year,
                last_value: last.value,
                last_display: crate::indicators::display(&indicator.unit, last.value),
                change,
                change_display: signed(change),
                improved,
                synthetic: first.synthetic || last.synthetic,
            })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn signed(change: f64) -> String {
    let text = crate::format::decimal(change, 1);
    if change > 0.0 && text != crate::format::decimal(0.0, 1) && !text.starts_with('-') {
        format!("+{text}")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn administrations_start_every_four_years_on_the_first_of_january() {
        assert_eq!(administration_start(day(2020, 1, 1)), 2020);
        assert_eq!(administration_start(day(2023, 12, 31)), 2020);
        assert_eq!(administration_start(day(2024, 1, 1)), 2024);
        assert_eq!(administration_start(day(2026, 11, 27)), 2024);
        assert_eq!(administration_start(day(2027, 12, 31)), 2024);
        assert_eq!(administration_start(day(2028, 1, 1)), 2028);
        assert_eq!(administration_start(day(2019, 6, 1)), 2016);
    }
}
