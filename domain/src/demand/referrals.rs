//! Referrals (issue 32): a gobernación's reviewer, or a coordinator, points an open demand to
//! the provider (oferente) that can answer it, with a note. Once per demand and provider (the
//! unique index `ux_demand_referrals_demand_provider` is the last guard); the provider's
//! active coordinators who can see the demand are emailed through the outbox in the same
//! transaction, once each. Audited as `demand.referred`.

use super::{DemandScope, DemandView, find_in_scope};
use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::entities::values::{DemandStatus, Role};
use crate::entities::{capacity, demand, demand_referral, territorial_direction_department, user};
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::{self, Email, Notifier};
use crate::providers::{ESAP, ProviderRef};
use crate::rows::Rows;
use crate::validate;
use chrono::{DateTime, FixedOffset};
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What a caller sends to point a demand to a provider.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ReferralInput {
    /// An active provider's id.
    #[schema(example = 3)]
    pub provider_id: Option<i32>,
    /// Why this provider can answer it; the provider's coordinators read it.
    #[schema(
        max_length = 500,
        example = "Función Pública acompaña el MIPG en el departamento."
    )]
    pub note: Option<String>,
}

/// A demand pointed to a provider.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = DemandReferral)]
pub struct ReferralView {
    pub id: i32,
    pub demand_id: i32,
    pub provider: ProviderRef,
    pub note: String,
    /// The id of who pointed it (none once that account is gone).
    pub referred_by: Option<i32>,
    /// **Extension.** Their name.
    pub referred_by_name: Option<String>,
    pub created_at: DateTime<FixedOffset>,
}

/// The demands pointed to `provider_id`, as a condition on `demands`.
pub fn pointed_to(provider_id: i32) -> Condition {
    Condition::all().add(
        demand::Column::Id.in_subquery(
            Query::select()
                .column(demand_referral::Column::DemandId)
                .from(demand_referral::Entity)
                .and_where(demand_referral::Column::ProviderId.eq(provider_id))
                .to_owned(),
        ),
    )
}

/// The views of referral rows, with the providers' and referrers' names.
async fn views<C: ConnectionTrait>(
    db: &C,
    rows: Vec<demand_referral::Model>,
) -> AppResult<Vec<ReferralView>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let providers = crate::providers::names(db).await?;
    let names = crate::accounts::names(db, rows.iter().filter_map(|r| r.referred_by)).await?;
    Ok(rows
        .into_iter()
        .map(|r| ReferralView {
            id: r.id,
            demand_id: r.demand_id,
            provider: providers
                .get(&r.provider_id)
                .cloned()
                .unwrap_or_else(|| ProviderRef {
                    id: r.provider_id,
                    name: format!("Oferente {}", r.provider_id),
                }),
            note: r.note,
            referred_by: r.referred_by,
            referred_by_name: r.referred_by.and_then(|id| names.get(&id).cloned()),
            created_at: crate::time::local(r.created_at).fixed_offset(),
        })
        .collect())
}

/// The referrals of these demands, per demand, oldest first.
pub async fn of_demands<C: ConnectionTrait>(
    db: &C,
    demand_ids: &[i32],
) -> AppResult<HashMap<i32, Vec<ReferralView>>> {
    if demand_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = demand_referral::Entity::find()
        .filter(demand_referral::Column::DemandId.is_in(demand_ids.to_vec()))
        .order_by_asc(demand_referral::Column::CreatedAt)
        .order_by_asc(demand_referral::Column::Id)
        .all(db)
        .await?;
    let mut out: HashMap<i32, Vec<ReferralView>> = HashMap::new();
    for view in views(db, rows).await? {
        out.entry(view.demand_id).or_default().push(view);
    }
    Ok(out)
}

/// The checked input: an active provider and a note.
async fn check<C: ConnectionTrait>(
    db: &C,
    input: &ReferralInput,
) -> AppResult<(crate::providers::ProviderView, String)> {
    let mut errors = Vec::new();
    let provider = match input.provider_id {
        Some(id) => match crate::providers::require_active(db, "provider_id", id).await {
            Ok(provider) => Some(provider),
            Err(AppError::Validation(mut problems)) => {
                errors.append(&mut problems);
                None
            }
            Err(other) => return Err(other),
        },
        None => {
            errors.push(FieldError::new(
                "provider_id",
                "Elija el oferente al que remite la demanda.",
            ));
            None
        }
    };
    let note = validate::required(
        "note",
        validate::multi_line(
            "note",
            input.note.as_deref().unwrap_or_default(),
            validate::REASON_MAX,
        ),
        "Escriba una nota para el oferente: por qué puede atender esta demanda.",
        &mut errors,
    );
    match (provider, note) {
        (Some(provider), Some(note)) if errors.is_empty() => Ok((provider, note)),
        _ => Err(AppError::Validation(errors)),
    }
}

/// Points an open demand to a provider: a reviewer of the demand's department, or a
/// coordinator or admin who sees it (out of scope 404, other roles 403). Planned, met and
/// declined demands 409; an unknown or inactive provider, or no note, 422; the same provider
/// twice 409 (and no second email). The provider's coordinators are emailed; audited.
pub async fn refer<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    user: &Actor,
    demand_id: i32,
    input: &ReferralInput,
) -> AppResult<ReferralView> {
    let current = find_in_scope(db, user, demand_id).await?;
    if !matches!(user.role, Role::Reviewer | Role::Coordinator | Role::Admin) {
        return Err(AppError::Forbidden);
    }
    if current.status != DemandStatus::Open {
        return Err(AppError::Conflict(format!(
            "La demanda está {}: solo se remite a un oferente una demanda abierta.",
            current.status.label().to_lowercase()
        )));
    }
    let (provider, note) = check(db, input).await?;
    let already = || {
        AppError::Conflict(format!(
            "Esta demanda ya se remitió a ese oferente ({}).",
            provider.name
        ))
    };
    // Checked first (on PostgreSQL a failed statement aborts the whole transaction); the
    // unique index settles a race between two requests.
    let exists = demand_referral::Entity::find()
        .filter(demand_referral::Column::DemandId.eq(current.id))
        .filter(demand_referral::Column::ProviderId.eq(provider.id))
        .one(db)
        .await?
        .is_some();
    if exists {
        return Err(already());
    }
    let at = crate::time::now();
    let inserted = demand_referral::Entity::insert(demand_referral::ActiveModel {
        demand_id: Set(current.id),
        provider_id: Set(provider.id),
        note: Set(note),
        referred_by: Set(Some(user.id)),
        created_at: Set(at),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            demand_referral::Column::DemandId,
            demand_referral::Column::ProviderId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec(db)
    .await;
    let id = match inserted {
        Ok(result) => result.last_insert_id,
        Err(DbErr::RecordNotInserted) => return Err(already()),
        Err(e) => {
            return Err(match e.sql_err() {
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => already(),
                _ => AppError::from(e),
            });
        }
    };
    let row = demand_referral::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal("remisión sin fila".into()))?;
    let view = views(db, vec![row])
        .await?
        .pop()
        .ok_or_else(|| AppError::Internal("remisión sin vista".into()))?;
    audit::record(
        db,
        Change {
            actor: Some(user.id),
            action: "demand.referred",
            subject_type: "demand",
            subject_id: current.id.to_string(),
            before: None,
            after: serde_json::to_value(&view).ok(),
        },
    )
    .await?;
    tell_provider(db, notifier, user, &current, &view).await?;
    Ok(view)
}

/// Who is told of a referral: the provider's active coordinators (ESAP's: those without a
/// provider) who can see the demand — a territorial direction's coordinator only when the
/// direction covers the demand's department.
async fn recipients<C: ConnectionTrait>(
    db: &C,
    provider_id: i32,
    department_code: &str,
) -> AppResult<Vec<user::Model>> {
    let provider = if provider_id == ESAP {
        Condition::any()
            .add(user::Column::ProviderId.is_null())
            .add(user::Column::ProviderId.eq(ESAP))
    } else {
        Condition::all().add(user::Column::ProviderId.eq(provider_id))
    };
    let coordinators = user::Entity::find()
        .filter(user::Column::Role.eq(Role::Coordinator))
        .filter(user::Column::Active.eq(true))
        .filter(provider)
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?;
    let directions: Vec<i32> = territorial_direction_department::Entity::find()
        .filter(territorial_direction_department::Column::DepartmentCode.eq(department_code))
        .all_mapped(db, |d| d.direction_id)
        .await?;
    Ok(coordinators
        .into_iter()
        .filter(|u| {
            u.territorial_direction_id
                .is_none_or(|direction| directions.contains(&direction))
        })
        .collect())
}

/// The email a provider's coordinator gets when a demand is pointed to their provider.
#[derive(Serialize)]
struct ReferralNotice<'a> {
    full_name: &'a str,
    provider: &'a str,
    topic: &'a str,
    description: &'a str,
    municipality: &'a str,
    department: &'a str,
    capacity: &'a str,
    people: String,
    /// When it was raised, e.g. «22 nov. 2026».
    raised_on: String,
    /// Who pointed it, and on whose behalf.
    referred_by: String,
    note: &'a str,
    demand_id: i32,
}

impl mail::Message for ReferralNotice<'_> {
    const TEMPLATE: &'static str = "demand_referred";

    fn subject(&self) -> String {
        format!(
            "Una demanda de formación de {} remitida a {}: {}",
            self.municipality, self.provider, self.topic
        )
    }
}

/// Emails the provider's coordinators (through the outbox, once per demand, provider and
/// person).
async fn tell_provider<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    user: &Actor,
    demand: &demand::Model,
    referral: &ReferralView,
) -> AppResult<()> {
    let place = super::place_label(db, demand).await?;
    let department_code = demand.department_code.clone();
    let department = crate::territory::department_name(db, &department_code).await?;
    let capacity = capacity::Entity::find_by_id(demand.capacity_id)
        .one(db)
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    let on_behalf = match user.role {
        Role::Reviewer => format!("gobernación, {department}"),
        Role::Coordinator => {
            crate::providers::reference(db, user.provider_id)
                .await?
                .name
        }
        _ => "administración de Aula Territorial".to_string(),
    };
    let referred_by = format!("{} ({on_behalf})", user.full_name);
    for person in recipients(db, referral.provider.id, &department_code).await? {
        let notice = ReferralNotice {
            full_name: &person.full_name,
            provider: &referral.provider.name,
            topic: &demand.topic,
            description: &demand.description,
            municipality: &place,
            department: &department,
            capacity: &capacity,
            people: crate::format::thousands(i64::from(demand.people_estimate)),
            raised_on: crate::format::date(crate::time::local(demand.created_at).date_naive()),
            referred_by: referred_by.clone(),
            note: &referral.note,
            demand_id: demand.id,
        };
        let key = format!(
            "demand_referred:{}:{}:{}",
            demand.id, referral.provider.id, person.id
        );
        mail::enqueue(
            db,
            notifier,
            Email::of(person.email.clone(), &notice)?.once(key),
        )
        .await?;
    }
    Ok(())
}

/// An open demand pointed to the caller's provider, as their home page lists it.
#[derive(Clone, Debug, Serialize)]
pub struct ReferredDemand {
    pub demand: DemandView,
    /// The referral to the caller's provider (when, by whom, the note).
    pub referral: ReferralView,
}

/// The open demands pointed to `provider_id` that the caller sees, latest referral first (at
/// most `limit`), each with its stale flag.
pub async fn open_referred_to<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    provider_id: i32,
    limit: u64,
) -> AppResult<Vec<ReferredDemand>> {
    use sea_orm::QuerySelect;
    let scope = DemandScope::of(user)?;
    let referrals = demand_referral::Entity::find()
        .filter(demand_referral::Column::ProviderId.eq(provider_id))
        .filter(
            demand_referral::Column::DemandId.in_subquery(
                Query::select()
                    .column(demand::Column::Id)
                    .from(demand::Entity)
                    .cond_where(
                        scope
                            .condition()
                            .add(demand::Column::Status.eq(DemandStatus::Open)),
                    )
                    .to_owned(),
            ),
        )
        .order_by_desc(demand_referral::Column::CreatedAt)
        .order_by_desc(demand_referral::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let rows = demand::Entity::find()
        .filter(demand::Column::Id.is_in(referrals.iter().map(|r| r.demand_id)))
        .all(db)
        .await?;
    let mut demands: HashMap<i32, DemandView> = super::views(db, rows)
        .await?
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
    Ok(views(db, referrals)
        .await?
        .into_iter()
        .filter_map(|referral| {
            demands
                .remove(&referral.demand_id)
                .map(|demand| ReferredDemand { demand, referral })
        })
        .collect())
}
