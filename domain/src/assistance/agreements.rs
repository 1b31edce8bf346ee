//! A visit's agreements (compromisos) followed (issue 49): each is pending until the
//! assistance's provider marks it done (on a day, with an optional note) or dropped (with the
//! reason), or back to pending. Every change is audited with who and when. The overdue ones
//! (pending past their due date) are listed on the homes: the provider coordinator's (its
//! provider's), the reviewer's (their department's) and the liaison's (their municipality's).

use super::{AssistanceScope, AssistanceView, find_managed, find_visible};
use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::entities::values::AgreementStatus;
use crate::entities::{assistance, assistance_visit, visit_agreement};
use crate::error::{AppError, AppResult, FieldError};
use crate::rows::Found;
use crate::rows::Rows;
use crate::validate;
use chrono::NaiveDate;
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub use super::visits::AgreementView;

/// A change of an agreement's state.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct AgreementPatch {
    /// `pending`, `done` or `dropped`. Required.
    #[schema(value_type = Option<AgreementStatus>)]
    pub status: Option<String>,
    /// When `done`: the day it was done (`YYYY-MM-DD`, not in the future, not before its
    /// visit); today when absent.
    #[schema(value_type = Option<NaiveDate>)]
    pub done_on: Option<String>,
    /// When `done`: what was done (optional).
    #[schema(max_length = 500)]
    pub note: Option<String>,
    /// When `dropped`: why (required).
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// An agreement with the visit it was made at.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AgreementItem {
    pub visit_id: i32,
    pub visit_date: NaiveDate,
    #[serde(flatten)]
    pub agreement: AgreementView,
}

/// The agreement `id` and its visit, if `user` manages the visit's assistance (404 otherwise).
async fn find_managed_agreement<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    id: i32,
) -> AppResult<(visit_agreement::Model, assistance_visit::Model)> {
    let (row, visit) = agreement_and_visit(db, id).await?;
    find_managed(db, user, visit.assistance_id).await?;
    Ok((row, visit))
}

/// The agreement `id` and the visit it was made in (404 if either is missing).
async fn agreement_and_visit<C: ConnectionTrait>(
    db: &C,
    id: i32,
) -> AppResult<(visit_agreement::Model, assistance_visit::Model)> {
    let row = visit_agreement::Entity::find_by_id(id).found(db).await?;
    let visit = assistance_visit::Entity::find_by_id(row.visit_id)
        .found(db)
        .await?;
    Ok((row, visit))
}

/// The assistance agreement `id` belongs to, if `user` reads it (404 otherwise): where its
/// page's forms go back to.
pub async fn assistance_of<C: ConnectionTrait>(db: &C, user: &Actor, id: i32) -> AppResult<i32> {
    let (_, visit) = agreement_and_visit(db, id).await?;
    Ok(find_visible(db, user, visit.assistance_id).await?.id)
}

/// The words an agreement's follow-up uses: a visit's «compromiso», an alliance table's
/// «acuerdo» (both masculine), and where it was made.
pub struct AgreementWords {
    pub noun: &'static str,
    /// «la visita», «la mesa».
    pub made_at: &'static str,
}

/// A visit's agreements: «compromisos».
pub const VISIT_WORDS: AgreementWords = AgreementWords {
    noun: "compromiso",
    made_at: "la visita",
};

/// Marking an agreement done, the one rule for a visit's and an alliance table's (issue 63):
/// the day typed (`YYYY-MM-DD`) or today when left empty, neither in the future nor before
/// the day it was made (`made_on`), and an optional note. Problems go to `errors`, on
/// `done_on` and `note`; returns the day and the note.
pub fn done(
    done_on: Option<&str>,
    note: Option<&str>,
    made_on: NaiveDate,
    today: NaiveDate,
    words: &AgreementWords,
    errors: &mut Vec<FieldError>,
) -> (Option<NaiveDate>, Option<String>) {
    let typed = done_on.map(str::trim).unwrap_or("");
    let day = if typed.is_empty() {
        Some(today)
    } else {
        crate::parse::date("done_on", Some(typed), false, errors)
    };
    if let Some(d) = day {
        if d > today {
            errors.push(FieldError::new(
                "done_on",
                format!(
                    "Un {} no se marca cumplido en una fecha futura.",
                    words.noun
                ),
            ));
        } else if d < made_on {
            errors.push(FieldError::new(
                "done_on",
                format!(
                    "El {} se hizo en {} del {}: no se cumplió antes.",
                    words.noun,
                    words.made_at,
                    crate::format::date(made_on)
                ),
            ));
        }
    }
    (day, optional_line("note", note, errors))
}

fn optional_line(field: &str, value: Option<&str>, errors: &mut Vec<FieldError>) -> Option<String> {
    match validate::single_line(field, value.unwrap_or(""), validate::REASON_MAX) {
        Ok(text) => text,
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

/// A visit's agreement around a status change, with its assistance
/// (`assistance.agreement_status_changed`).
#[derive(Serialize)]
struct AgreementAudit<'a> {
    assistance: i32,
    agreement: &'a AgreementView,
}

/// Changes agreement `id`'s state, with every problem at once: an unknown `status`, a dropped
/// one without its reason, a done one on a day that is not a date, in the future or before
/// its visit (422). Only its assistance's provider (404 for another provider; 403 for those
/// who only read). Audited with its state before and after.
pub async fn change_status<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    id: i32,
    input: &AgreementPatch,
) -> AppResult<AgreementView> {
    let (row, visit) = find_managed_agreement(db, user, id).await?;
    let mut errors = Vec::new();
    let status = match input.status.as_deref().map(str::trim) {
        None | Some("") => {
            errors.push(FieldError::new(
                "status",
                "Elija el estado del compromiso: cumplido, descartado o pendiente.",
            ));
            None
        }
        Some(text) => AgreementStatus::parse(text).or_else(|| {
            errors.push(FieldError::new(
                "status",
                "El estado del compromiso debe ser cumplido, descartado o pendiente.",
            ));
            None
        }),
    };
    let today = crate::time::today();
    let mut done_on = None;
    let mut note = None;
    let mut reason = None;
    match status {
        Some(AgreementStatus::Done) => {
            (done_on, note) = done(
                input.done_on.as_deref(),
                input.note.as_deref(),
                visit.date,
                today,
                &VISIT_WORDS,
                &mut errors,
            );
        }
        Some(AgreementStatus::Dropped) => {
            reason = optional_line("reason", input.reason.as_deref(), &mut errors);
            if reason.is_none() && !errors.iter().any(|e| e.field == "reason") {
                errors.push(FieldError::new(
                    "reason",
                    "Escriba por qué se descarta el compromiso.",
                ));
            }
        }
        Some(AgreementStatus::Pending) | None => {}
    }
    let Some(status) = status.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let before = AgreementView::of(row.clone(), today);
    let mut model: visit_agreement::ActiveModel = row.into();
    model.status = Set(status);
    model.done_on = Set(done_on);
    model.note = Set(note);
    model.reason = Set(reason);
    model.status_changed_by = Set(Some(user.id));
    model.status_changed_at = Set(Some(crate::time::now()));
    let saved = AgreementView::of(model.update(db).await?, today);
    audit::record(
        db,
        Change {
            actor: Some(user.id),
            action: "assistance.agreement_status_changed",
            subject_type: "visit_agreement",
            subject_id: id.to_string(),
            before: serde_json::to_value(AgreementAudit {
                assistance: visit.assistance_id,
                agreement: &before,
            })
            .ok(),
            after: serde_json::to_value(AgreementAudit {
                assistance: visit.assistance_id,
                agreement: &saved,
            })
            .ok(),
        },
    )
    .await?;
    Ok(saved)
}

/// The agreements of assistance `assistance_id` that `user` reads (404 otherwise), by visit
/// (newest first) and in the order they were agreed.
pub async fn of_assistance<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    assistance_id: i32,
) -> AppResult<Vec<AgreementItem>> {
    find_visible(db, user, assistance_id).await?;
    let visits: HashMap<i32, NaiveDate> = assistance_visit::Entity::find()
        .filter(assistance_visit::Column::AssistanceId.eq(assistance_id))
        .all_mapped(db, |v| (v.id, v.date))
        .await?;
    let today = crate::time::today();
    let mut items: Vec<AgreementItem> = visit_agreement::Entity::find()
        .filter(visit_agreement::Column::VisitId.is_in(visits.keys().copied()))
        .order_by_asc(visit_agreement::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|a| AgreementItem {
            visit_id: a.visit_id,
            visit_date: visits.get(&a.visit_id).copied().unwrap_or(a.due_on),
            agreement: AgreementView::of(a, today),
        })
        .collect();
    items.sort_by(|a, b| {
        b.visit_date
            .cmp(&a.visit_date)
            .then(b.visit_id.cmp(&a.visit_id))
    });
    Ok(items)
}

/// An agreement with its assistance's place and provider: as the homes list the overdue ones,
/// and as `GET /agreements` lists them.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = PlacedAgreement)]
pub struct PlacedAgreement {
    pub assistance_id: i32,
    pub visit_id: i32,
    /// None for a gobernación's.
    #[schema(example = "18256")]
    pub municipality_code: Option<String>,
    pub municipality_name: Option<String>,
    #[schema(example = "18")]
    pub department_code: String,
    /// The municipality's name, or the department's for a gobernación.
    pub place_name: String,
    pub entity_label: &'static str,
    pub provider_id: i32,
    pub provider_name: String,
    #[serde(flatten)]
    pub agreement: AgreementView,
}

/// The overdue agreements a home shows: how many, and the `limit` oldest due.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Overdue {
    pub total: u64,
    pub items: Vec<PlacedAgreement>,
}

/// Which agreements a list takes.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    /// Of this municipality's assistances (DANE code).
    pub municipality: Option<String>,
    pub status: Option<AgreementStatus>,
    /// Only the pending ones past their due date.
    pub overdue: bool,
    /// Only this provider's assistances.
    pub provider: Option<i32>,
}

/// A page of the agreements of the assistances `user` reads (a liaison: its municipality's; a
/// reviewer: its department's; a territorial direction's coordinator: its departments'; a
/// coordinator of a provider other than ESAP: its provider's; ESAP's staff: all) that pass `filter`, the oldest due first, and how many there are in all.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    filter: &ListFilter,
    page: u64,
    per_page: u64,
) -> AppResult<(Vec<PlacedAgreement>, u64)> {
    let mut assistances = Query::select()
        .column(assistance::Column::Id)
        .from(assistance::Entity)
        .cond_where(AssistanceScope::of(user)?.condition())
        .to_owned();
    // A provider other than ESAP reads its own assistances' agreements only.
    if user.is_other_provider() {
        assistances.and_where(assistance::Column::ProviderId.eq(user.provider_id));
    }
    if let Some(provider) = filter.provider {
        assistances.and_where(assistance::Column::ProviderId.eq(provider));
    }
    if let Some(code) = &filter.municipality {
        assistances.and_where(assistance::Column::MunicipalityCode.eq(code.as_str()));
    }
    let visits = Query::select()
        .column(assistance_visit::Column::Id)
        .from(assistance_visit::Entity)
        .and_where(assistance_visit::Column::AssistanceId.in_subquery(assistances))
        .to_owned();
    let today = crate::time::today();
    let mut select = visit_agreement::Entity::find()
        .filter(visit_agreement::Column::VisitId.in_subquery(visits));
    if let Some(status) = filter.status {
        select = select.filter(visit_agreement::Column::Status.eq(status));
    }
    if filter.overdue {
        select = select
            .filter(visit_agreement::Column::Status.eq(AgreementStatus::Pending))
            .filter(visit_agreement::Column::DueOn.lt(today));
    }
    let total = select.clone().count(db).await?;
    let rows = select
        .order_by_asc(visit_agreement::Column::DueOn)
        .order_by_asc(visit_agreement::Column::Id)
        .offset(page.saturating_sub(1) * per_page)
        .limit(per_page)
        .all(db)
        .await?;
    let visit_of: HashMap<i32, i32> = assistance_visit::Entity::find()
        .filter(assistance_visit::Column::Id.is_in(rows.iter().map(|r| r.visit_id)))
        .all_mapped(db, |v| (v.id, v.assistance_id))
        .await?;
    let parents = assistance::Entity::find()
        .filter(assistance::Column::Id.is_in(visit_of.values().copied()))
        .all(db)
        .await?;
    let views: HashMap<i32, AssistanceView> = super::views(db, parents)
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    let items = rows
        .into_iter()
        .filter_map(|a| {
            let view = views.get(visit_of.get(&a.visit_id)?)?;
            Some(PlacedAgreement {
                assistance_id: view.id,
                visit_id: a.visit_id,
                municipality_code: view.municipality_code.clone(),
                municipality_name: view.municipality_name.clone(),
                department_code: view.department_code.clone(),
                place_name: view.place_name.clone(),
                entity_label: view.entity_label,
                provider_id: view.provider.id,
                provider_name: view.provider.name.clone(),
                agreement: AgreementView::of(a, today),
            })
        })
        .collect();
    Ok((items, total))
}

/// The pending agreements past their due date of the assistances `user` reads (a liaison: its
/// municipality's; a reviewer: its department's; a provider's coordinator: its provider's, in
/// its direction's departments), oldest due first.
pub async fn overdue<C: ConnectionTrait>(db: &C, user: &Actor, limit: u64) -> AppResult<Overdue> {
    let filter = ListFilter {
        overdue: true,
        provider: user.managed_provider(),
        ..Default::default()
    };
    let (items, total) = list(db, user, &filter, 1, limit).await?;
    Ok(Overdue { total, items })
}
