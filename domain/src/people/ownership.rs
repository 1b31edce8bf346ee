//! Whose records of a person a coordinator may change (issue 46: «a provider corrects only what
//! is its own»).
//!
//! A person is one participant row shared by every provider she trains with; her enrolments and
//! certificates belong to the cohort's provider. A coordinator's *own* records of her are the
//! enrolments (and their certificates) in the cohorts it manages (`CohortScope::of`: its
//! provider's, within its direction's departments when it has one), within its person scope. An
//! admin owns them all. ESAP's coordinators are one provider like any other here.
//!
//! What lives on the shared row (names, document, contact email, municipality of residence) is
//! changed by a coordinator only when everything she holds is its own; otherwise only she (her
//! name, through review) or an admin changes it, and each provider changes its own enrolments.

use crate::accounts::actor::Actor;
use crate::cohorts::scope::CohortScope;
use crate::entities::values::Role;
use crate::entities::{cohort, enrolment};
use crate::error::AppResult;
use crate::people::scope::PersonScope;
use crate::rows::Rows;
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::BTreeSet;

/// The enrolments `actor` owns, as a condition on the `enrolments` table (see the module).
pub fn own_enrolments(actor: &Actor) -> Condition {
    if actor.role == Role::Admin {
        return Condition::all();
    }
    if actor.role != Role::Coordinator {
        // Nothing: no other role owns a provider's records.
        return Condition::all().add(enrolment::Column::Id.eq(-1));
    }
    Condition::all()
        .add(
            enrolment::Column::CohortId.in_subquery(
                Query::select()
                    .column(cohort::Column::Id)
                    .from(cohort::Entity)
                    .cond_where(CohortScope::of(Some(actor)).condition())
                    .to_owned(),
            ),
        )
        .add(PersonScope::of(actor).condition())
}

/// A person's enrolments split by whose they are for `actor`.
#[derive(Clone, Debug, Default)]
pub struct Holdings {
    /// Enrolments (any state) in cohorts `actor` manages, within its person scope.
    pub own: Vec<enrolment::Model>,
    /// The providers of every other enrolment («ESAP», «DNP»), by name; empty when everything
    /// she holds is `actor`'s (or `actor` is an admin).
    pub others: Vec<String>,
}

impl Holdings {
    /// Whether `actor` may change what lives on her shared row.
    pub fn all_own(&self) -> bool {
        self.others.is_empty()
    }

    /// «ESAP y DNP».
    pub fn others_named(&self) -> String {
        match self.others.split_last() {
            None => String::new(),
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} y {last}", rest.join(", ")),
        }
    }
}

/// Whose are the enrolments of `participant_id` for `actor` (see [`Holdings`]).
pub async fn holdings<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    participant_id: i32,
) -> AppResult<Holdings> {
    let all = enrolment::Entity::find()
        .filter(enrolment::Column::ParticipantId.eq(participant_id))
        .order_by_asc(enrolment::Column::Id)
        .all(db)
        .await?;
    let own_ids: BTreeSet<i32> = enrolment::Entity::find()
        .filter(enrolment::Column::ParticipantId.eq(participant_id))
        .filter(own_enrolments(actor))
        .all_mapped(db, |e| e.id)
        .await?;
    let (own, foreign): (Vec<_>, Vec<_>) = all.into_iter().partition(|e| own_ids.contains(&e.id));
    let cohort_ids: Vec<i32> = foreign.iter().map(|e| e.cohort_id).collect();
    let mut others = Vec::new();
    if !cohort_ids.is_empty() {
        let providers: BTreeSet<i32> = cohort::Entity::find()
            .filter(cohort::Column::Id.is_in(cohort_ids))
            .all_mapped(db, |c| c.provider_id)
            .await?;
        for id in providers {
            let provider = crate::providers::get(db, id).await?;
            let name = crate::providers::short_name(&provider.name).to_string();
            if !others.contains(&name) {
                others.push(name);
            }
        }
    }
    Ok(Holdings { own, others })
}
