//! Whose personal data a caller may see: the one person-level scope rule.
//!
//! A cohort can be offered to municipalities of several departments, so seeing a cohort
//! (`cohorts::scope::CohortScope`) does not mean seeing everybody in it. A gobernación
//! reviewer sees the people whose enrolment belongs to a municipality of their department;
//! a participant sees only themselves. Every surface that lists people of a cohort (rosters,
//! results, attendance marks, sheets, workbooks, pages) filters its enrolments with
//! [`PersonScope::condition`] in SQL, and shows the others at most as a count.

use crate::accounts::actor::Actor;
use crate::entities::values::{EnrolmentStatus, Role};
use crate::entities::{cohort, enrolment, municipality, participant};
use crate::error::AppResult;
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PersonScope {
    /// National coordinators, admins and instructors (an instructor reaches only the cohorts
    /// they teach through the cohort scope, and sees everyone in them).
    All,
    /// A territorial direction's coordinator: people enrolled for a municipality of one of the
    /// direction's departments (in a cohort shared with other departments, the others are a
    /// count only, as for a gobernación).
    Departments(Vec<String>),
    /// A coordinator of a provider other than ESAP (issue 32): the people enrolled in its
    /// provider's cohorts (it reads the whole offer, not the people in the others').
    Provider(i32),
    /// A gobernación reviewer: people enrolled for a municipality of the department.
    Department(String),
    /// A liaison (enlace municipal): people enrolled for their municipality.
    Municipality(String),
    /// A participant: only the enrolments of their own participant record.
    Account(i32),
    /// One enrolment (a participant looking at their own place in a cohort).
    Enrolment(i32),
}

impl PersonScope {
    pub fn of(user: &Actor) -> Self {
        // A direction's coordinator: its departments only (a direction without departments
        // sees nobody, never everybody).
        if let Some(codes) = user.direction_departments() {
            return PersonScope::Departments(codes.to_vec());
        }
        if user.is_other_provider() {
            return PersonScope::Provider(user.provider_id);
        }
        match user.role {
            Role::Admin | Role::Coordinator | Role::Instructor => PersonScope::All,
            // A reviewer without a department sees nobody (never everybody).
            Role::Reviewer => {
                PersonScope::Department(user.department_code.clone().unwrap_or_default())
            }
            Role::Liaison => {
                PersonScope::Municipality(user.municipality_code.clone().unwrap_or_default())
            }
            Role::Participant => PersonScope::Account(user.id),
        }
    }

    /// Whether the person enrolled for `municipality_code` is within this scope (for one row
    /// already read; lists filter with [`PersonScope::condition`] in SQL).
    pub fn covers_municipality(&self, municipality_code: &str) -> bool {
        match self {
            // Decided by the cohort's provider (the cohort is checked before the row).
            PersonScope::All | PersonScope::Provider(_) => true,
            PersonScope::Department(code) => municipality_code.get(..2) == Some(code.as_str()),
            PersonScope::Departments(codes) => codes
                .iter()
                .any(|code| municipality_code.get(..2) == Some(code.as_str())),
            PersonScope::Municipality(code) => municipality_code == code,
            // Decided by the enrolment or the account, not by a place.
            PersonScope::Account(_) | PersonScope::Enrolment(_) => false,
        }
    }

    /// Whether some people may be hidden from this caller.
    pub fn is_restricted(&self) -> bool {
        *self != PersonScope::All
    }

    /// The enrolments this caller may see, as a condition on the `enrolments` table.
    pub fn condition(&self) -> Condition {
        match self {
            PersonScope::All => Condition::all(),
            PersonScope::Department(code) => Condition::all().add(
                enrolment::Column::MunicipalityCode.in_subquery(
                    Query::select()
                        .column(municipality::Column::Code)
                        .from(municipality::Entity)
                        .and_where(municipality::Column::DepartmentCode.eq(code.as_str()))
                        .to_owned(),
                ),
            ),
            PersonScope::Departments(codes) => Condition::all().add(
                enrolment::Column::MunicipalityCode.in_subquery(
                    Query::select()
                        .column(municipality::Column::Code)
                        .from(municipality::Entity)
                        .and_where(municipality::Column::DepartmentCode.is_in(codes.clone()))
                        .to_owned(),
                ),
            ),
            PersonScope::Account(user_id) => Condition::all().add(
                enrolment::Column::ParticipantId.in_subquery(
                    Query::select()
                        .column(participant::Column::Id)
                        .from(participant::Entity)
                        .and_where(participant::Column::UserId.eq(*user_id))
                        .to_owned(),
                ),
            ),
            PersonScope::Municipality(code) => {
                Condition::all().add(enrolment::Column::MunicipalityCode.eq(code.as_str()))
            }
            PersonScope::Provider(provider_id) => Condition::all().add(
                enrolment::Column::CohortId.in_subquery(
                    Query::select()
                        .column(cohort::Column::Id)
                        .from(cohort::Entity)
                        .and_where(cohort::Column::ProviderId.eq(*provider_id))
                        .to_owned(),
                ),
            ),
            PersonScope::Enrolment(id) => Condition::all().add(enrolment::Column::Id.eq(*id)),
        }
    }

    /// For a table that points at enrolments (marks, scores): the rows of a cohort whose
    /// enrolment this caller may see, through `column`. No condition at all for `All`.
    pub fn enrolments_of<Col: ColumnTrait>(&self, column: Col, cohort_id: i32) -> Condition {
        if !self.is_restricted() {
            return Condition::all();
        }
        Condition::all().add(
            column.in_subquery(
                Query::select()
                    .column(enrolment::Column::Id)
                    .from(enrolment::Entity)
                    .and_where(enrolment::Column::CohortId.eq(cohort_id))
                    .cond_where(self.condition())
                    .to_owned(),
            ),
        )
    }

    /// Spanish sentence about the people this caller cannot see, for pages.
    pub fn hidden_note(&self, hidden: u64) -> Option<String> {
        if hidden == 0 {
            return None;
        }
        let whom = match self {
            PersonScope::Department(_) => "de municipios de otros departamentos",
            PersonScope::Departments(_) => "de departamentos fuera de su dirección territorial",
            PersonScope::Municipality(_) => "de otros municipios",
            PersonScope::Provider(_) => "de la oferta de otros oferentes",
            _ => "fuera de su alcance",
        };
        Some(if hidden == 1 {
            format!("Hay 1 persona {whom} en esta cohorte; sus datos no se muestran.")
        } else {
            format!("Hay {hidden} personas {whom} en esta cohorte; sus datos no se muestran.")
        })
    }
}

/// How many people of a cohort (any enrolment state) the caller's scope hides: the aggregate
/// pages may show in place of the people themselves.
pub async fn hidden_in_cohort<C: ConnectionTrait>(
    db: &C,
    scope: &PersonScope,
    cohort_id: i32,
) -> AppResult<u64> {
    if !scope.is_restricted() {
        return Ok(0);
    }
    Ok(enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(cohort_id))
        .filter(scope.condition().not())
        .filter(enrolment::Column::Status.ne(EnrolmentStatus::Cancelled))
        .count(db)
        .await?)
}

/// Whether `actor` may reach the registered person `participant_id` by id or document (issue
/// 46): enrol her, nominate her, name her as a visit's attendee, correct her, read her on any
/// path that takes a person's id. A caller can never widen this scope by what it does (open a
/// national cohort, override eligibility): it follows from records that already exist.
///
/// * everybody for ESAP's national coordinators and admins (and instructors, who reach people
///   only through the cohorts they teach);
/// * a territorial direction's coordinator, a gobernación reviewer, a liaison: people whose own
///   municipality, or an enrolment's municipality, is in their territory;
/// * another provider's coordinator: people enrolled (in any state) in one of its provider's
///   cohorts;
/// * a participant: herself.
///
/// Anyone else is invited and acts only by accepting. Unknown ids are not reached.
pub async fn reaches<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    participant_id: i32,
) -> AppResult<bool> {
    let Some(person) = participant::Entity::find_by_id(participant_id)
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    let scope = PersonScope::of(actor);
    let enrolled_within = async |scope: &PersonScope| -> AppResult<bool> {
        Ok(enrolment::Entity::find()
            .filter(enrolment::Column::ParticipantId.eq(participant_id))
            .filter(scope.condition())
            .count(db)
            .await?
            > 0)
    };
    Ok(match &scope {
        PersonScope::All => true,
        PersonScope::Account(user_id) => person.user_id == Some(*user_id),
        PersonScope::Enrolment(_) => false,
        PersonScope::Provider(_) => enrolled_within(&scope).await?,
        PersonScope::Department(_) | PersonScope::Departments(_) | PersonScope::Municipality(_) => {
            scope.covers_municipality(&person.municipality_code) || enrolled_within(&scope).await?
        }
    })
}
