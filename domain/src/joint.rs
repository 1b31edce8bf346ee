//! Joint delivery (issue 49, item 4): a cohort or a technical assistance delivered by its lead
//! provider together with co-providers (ESAP and Función Pública «de manera conjunta»).
//!
//! - Who sets them: whoever manages the action (its lead provider's coordinators, an admin);
//!   the list travels in the cohort's or assistance's input and replaces the current one.
//! - Who reads: each co-provider's coordinators read the action (its detail, its API) as they
//!   read their own offer — drafts too — but never write it (every write starts from
//!   `find_managed`, which knows the lead provider only), and they do not see its people
//!   (rosters, certificates stay with the lead, whose coordinators enrolled them).
//! - Figures count a joint action once, for its lead provider; the offer view shows it to each
//!   co-provider marked «en conjunto con …»; the overlap report does not pair it with an action
//!   of a provider it is delivered with.

pub mod demo;

use crate::entities::{assistance, assistance_co_provider, cohort, cohort_co_provider, provider};
use crate::error::{AppResult, FieldError};
use crate::providers::ProviderRef;
use crate::rows::Rows;
use sea_orm::sea_query::{Query, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// A cohort or a technical assistance: the two kinds of action delivered jointly, and what an
/// overlap pair holds (issue 33).
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OfferKind {
    Cohort,
    Assistance,
}

/// The field the API and the forms name.
pub const FIELD: &str = "co_provider_ids";

/// Checks the co-providers asked for an action led by `lead` (every problem pushed to
/// `errors`, in Spanish): each an existing provider, active unless it already co-delivers
/// (`current`), never the lead itself. The ids, without repeats, in order.
pub async fn check<C: ConnectionTrait>(
    db: &C,
    lead: i32,
    ids: &[i32],
    current: &[i32],
    errors: &mut Vec<FieldError>,
) -> AppResult<Vec<i32>> {
    let wanted: BTreeSet<i32> = ids.iter().copied().collect();
    if wanted.contains(&lead) {
        errors.push(FieldError::new(
            FIELD,
            "El oferente líder no puede estar también entre los que la entregan en conjunto: quítelo de la lista.",
        ));
    }
    let found: HashMap<i32, provider::Model> = provider::Entity::find()
        .filter(provider::Column::Id.is_in(wanted.iter().copied()))
        .all_mapped(db, |p| (p.id, p))
        .await?;
    for id in &wanted {
        match found.get(id) {
            None => errors.push(FieldError::new(
                FIELD,
                format!("No existe un oferente con el número {id}."),
            )),
            Some(p) if !p.active && !current.contains(id) => errors.push(FieldError::new(
                FIELD,
                format!("El oferente «{}» está inactivo: no puede sumarse.", p.name),
            )),
            Some(_) => {}
        }
    }
    Ok(wanted.into_iter().filter(|id| *id != lead).collect())
}

/// Replaces the co-providers of a cohort or an assistance.
pub async fn write<C: ConnectionTrait>(
    db: &C,
    kind: OfferKind,
    id: i32,
    providers: &[i32],
) -> AppResult<()> {
    match kind {
        OfferKind::Cohort => {
            cohort_co_provider::Entity::delete_many()
                .filter(cohort_co_provider::Column::CohortId.eq(id))
                .exec(db)
                .await?;
            if !providers.is_empty() {
                cohort_co_provider::Entity::insert_many(providers.iter().map(|p| {
                    cohort_co_provider::ActiveModel {
                        cohort_id: Set(id),
                        provider_id: Set(*p),
                    }
                }))
                .exec(db)
                .await?;
            }
        }
        OfferKind::Assistance => {
            assistance_co_provider::Entity::delete_many()
                .filter(assistance_co_provider::Column::AssistanceId.eq(id))
                .exec(db)
                .await?;
            if !providers.is_empty() {
                assistance_co_provider::Entity::insert_many(providers.iter().map(|p| {
                    assistance_co_provider::ActiveModel {
                        assistance_id: Set(id),
                        provider_id: Set(*p),
                    }
                }))
                .exec(db)
                .await?;
            }
        }
    }
    Ok(())
}

/// The co-providers' ids of each of these cohorts or assistances (absent: none).
pub async fn ids_of<C: ConnectionTrait>(
    db: &C,
    kind: OfferKind,
    ids: &[i32],
) -> AppResult<HashMap<i32, Vec<i32>>> {
    let mut out: HashMap<i32, Vec<i32>> = HashMap::new();
    for chunk in ids.chunks(1_000) {
        let rows: Vec<(i32, i32)> = match kind {
            OfferKind::Cohort => {
                cohort_co_provider::Entity::find()
                    .filter(cohort_co_provider::Column::CohortId.is_in(chunk.to_vec()))
                    .all_mapped(db, |r| (r.cohort_id, r.provider_id))
                    .await?
            }
            OfferKind::Assistance => {
                assistance_co_provider::Entity::find()
                    .filter(assistance_co_provider::Column::AssistanceId.is_in(chunk.to_vec()))
                    .all_mapped(db, |r| (r.assistance_id, r.provider_id))
                    .await?
            }
        };
        for (action, provider) in rows {
            out.entry(action).or_default().push(provider);
        }
    }
    for list in out.values_mut() {
        list.sort_unstable();
    }
    Ok(out)
}

/// The co-providers `{"id", "name"}` of each of these cohorts or assistances, by name.
pub async fn of<C: ConnectionTrait>(
    db: &C,
    kind: OfferKind,
    ids: &[i32],
) -> AppResult<HashMap<i32, Vec<ProviderRef>>> {
    let found = ids_of(db, kind, ids).await?;
    if found.is_empty() {
        return Ok(HashMap::new());
    }
    let names = crate::providers::names(db).await?;
    Ok(found
        .into_iter()
        .map(|(action, providers)| {
            let mut refs: Vec<ProviderRef> = providers
                .iter()
                .filter_map(|p| names.get(p).cloned())
                .collect();
            refs.sort_by(|a, b| crate::text::by_name(&a.name, &b.name));
            (action, refs)
        })
        .collect())
}

/// «en conjunto con A y B» (the providers' short names), for the offer view and the pages.
pub fn together_with(providers: &[ProviderRef]) -> Option<String> {
    let names: Vec<&str> = providers
        .iter()
        .map(|p| crate::providers::short_name(&p.name))
        .collect();
    match names.as_slice() {
        [] => None,
        [one] => Some(format!("en conjunto con {one}")),
        [rest @ .., last] => Some(format!("en conjunto con {} y {last}", rest.join(", "))),
    }
}

/// The cohorts (or assistances) `provider` co-delivers: a condition on their id column.
pub fn co_delivered_by(kind: OfferKind, provider: i32) -> SimpleExpr {
    match kind {
        OfferKind::Cohort => cohort::Column::Id.in_subquery(
            Query::select()
                .column(cohort_co_provider::Column::CohortId)
                .from(cohort_co_provider::Entity)
                .and_where(cohort_co_provider::Column::ProviderId.eq(provider))
                .to_owned(),
        ),
        OfferKind::Assistance => assistance::Column::Id.in_subquery(
            Query::select()
                .column(assistance_co_provider::Column::AssistanceId)
                .from(assistance_co_provider::Entity)
                .and_where(assistance_co_provider::Column::ProviderId.eq(provider))
                .to_owned(),
        ),
    }
}

/// The co-providers of `id` in a map read by [`ids_of`] (none when absent).
pub fn among(partners: &HashMap<i32, Vec<i32>>, id: i32) -> &[i32] {
    partners.get(&id).map_or(&[], Vec::as_slice)
}

/// Whether two actions are delivered together: one's lead provider co-delivers the other
/// (the same joint work recorded by each of its providers), so the overlap report does not
/// pair them. `(lead, co-providers)` of each.
pub fn delivered_together(a: (i32, &[i32]), b: (i32, &[i32])) -> bool {
    a.1.contains(&b.0) || b.1.contains(&a.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joint_actions_meet_through_either_lead() {
        assert!(delivered_together((1, &[4]), (4, &[])));
        assert!(delivered_together((4, &[]), (1, &[4])));
        assert!(!delivered_together((1, &[4]), (2, &[4])));
        assert!(!delivered_together((1, &[]), (1, &[])));
    }

    #[test]
    fn together_names_short_names() {
        let p = |id, name: &str| ProviderRef {
            id,
            name: name.to_string(),
        };
        assert_eq!(together_with(&[]), None);
        assert_eq!(
            together_with(&[p(
                2,
                "Departamento Administrativo de la Función Pública (DAFP)"
            )])
            .as_deref(),
            Some("en conjunto con DAFP")
        );
        assert_eq!(
            together_with(&[p(2, "A (X)"), p(3, "B"), p(4, "C (Z)")]).as_deref(),
            Some("en conjunto con X, B y Z")
        );
    }
}
