//! The differential approach (enfoque diferencial) of a report: how many women, people of each
//! ethnic group, people with disability and victims of the armed conflict were reached. These
//! are sensitive data (Ley 1581 de 2012): only people with an active `sensitive_data` consent
//! are counted, each person once, and every count below [`SMALL_CELL`] is suppressed (shown as
//! "<5", `null` with `suppressed: true` in JSON) so that nobody can be singled out.

use super::{Filters, scoped};
use crate::entities::{differential_person, enrolment, participant};
use crate::error::AppResult;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter, QuerySelect,
    RelationTrait,
};
use serde::Serialize;
use std::collections::HashMap;

/// Counts below this are never shown.
pub const SMALL_CELL: i64 = 5;

/// A count that may be suppressed: below 5 it is `null` with `suppressed: true`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SafeCount {
    pub count: Option<i64>,
    pub suppressed: bool,
}

impl SafeCount {
    pub fn of(n: i64) -> Self {
        if n < SMALL_CELL {
            SafeCount {
                count: None,
                suppressed: true,
            }
        } else {
            SafeCount {
                count: Some(n),
                suppressed: false,
            }
        }
    }

    /// For people: the number, or "<5".
    pub fn text(&self) -> String {
        match self.count {
            Some(n) => n.to_string(),
            None => format!("<{SMALL_CELL}"),
        }
    }
}

/// People of one value of a differential-approach attribute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = DifferentialCategory)]
pub struct Category {
    pub value: String,
    /// The value in Spanish.
    pub label: String,
    #[serde(flatten)]
    pub count: SafeCount,
}

/// The differential approach of a report: counts of consenting people only, never below 5.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Differential {
    /// People with an active consent for sensitive data (the base of every other count).
    pub consenting: SafeCount,
    pub sex: Vec<Category>,
    pub ethnic_group: Vec<Category>,
    pub disability: SafeCount,
    pub victims: SafeCount,
}

/// Distinct consenting people with one combination of the four attributes. Each person has
/// exactly one combination, so the groups partition the people and summing them per
/// dimension counts everybody once.
#[derive(FromQueryResult)]
struct Combination {
    sex: Option<String>,
    ethnic_group: Option<String>,
    has_disability: Option<bool>,
    is_conflict_victim: Option<bool>,
    n: i64,
}

/// One grouped query over the enrolments in scope of consenting people.
fn combinations(filters: &Filters) -> sea_orm::Select<enrolment::Entity> {
    let attributes = [
        participant::Column::Sex,
        participant::Column::EthnicGroup,
        participant::Column::HasDisability,
        participant::Column::IsConflictVictim,
    ];
    let mut select = enrolment::Entity::find().select_only();
    for column in attributes {
        select = select.column(column);
    }
    let mut select = scoped(
        select
            .column_as(
                Expr::expr(Func::count_distinct(Expr::col((
                    enrolment::Entity,
                    enrolment::Column::ParticipantId,
                )))),
                "n",
            )
            .join(JoinType::InnerJoin, enrolment::Relation::Participant.def())
            // Probes the consents of each person in scope (indexed), so the cost follows the
            // report, not every consent in the country.
            .filter(crate::figures::sensitive_data_consented()),
        filters,
    );
    for column in attributes {
        select = select.group_by(column);
    }
    select
}

/// The same combinations for a whole department (or the nation) from the figures model
/// (`differential_people`): one grouped query over that territory's consenting people.
async fn kept_combinations<C: ConnectionTrait>(
    db: &C,
    department: Option<&str>,
) -> AppResult<Vec<Combination>> {
    let mut select = differential_person::Entity::find()
        .select_only()
        .column(differential_person::Column::Sex)
        .column(differential_person::Column::EthnicGroup)
        .column(differential_person::Column::HasDisability)
        .column(differential_person::Column::IsConflictVictim)
        // One row per person and department: within a department a plain count is the
        // number of people; across departments a person counts once.
        .column_as(
            match department {
                Some(_) => Expr::cust("COUNT(*)"),
                None => Expr::expr(Func::count_distinct(Expr::col(
                    differential_person::Column::ParticipantId,
                ))),
            },
            "n",
        )
        .group_by(differential_person::Column::Sex)
        .group_by(differential_person::Column::EthnicGroup)
        .group_by(differential_person::Column::HasDisability)
        .group_by(differential_person::Column::IsConflictVictim);
    if let Some(code) = department {
        select = select.filter(differential_person::Column::DepartmentCode.eq(code));
    }
    Ok(select.into_model().all(db).await?)
}

fn categories(list: &[(&str, &str)], counts: &HashMap<String, i64>) -> Vec<Category> {
    list.iter()
        .map(|(value, label)| Category {
            value: value.to_string(),
            label: label.to_string(),
            count: SafeCount::of(counts.get(*value).copied().unwrap_or(0)),
        })
        .collect()
}

/// Four grouped queries whatever the size of the report.
pub async fn differential<C: ConnectionTrait>(
    db: &C,
    filters: &Filters,
) -> AppResult<Differential> {
    if filters.nothing {
        let none = HashMap::new();
        return Ok(Differential {
            consenting: SafeCount::of(0),
            sex: categories(crate::people::SEXES, &none),
            ethnic_group: categories(crate::people::ETHNIC_GROUPS, &none),
            disability: SafeCount::of(0),
            victims: SafeCount::of(0),
        });
    }
    let (mut consenting, mut disability, mut victims) = (0, 0, 0);
    let mut sex: HashMap<String, i64> = HashMap::new();
    let mut ethnic: HashMap<String, i64> = HashMap::new();
    let found = if filters.whole_territory() {
        kept_combinations(db, filters.department.as_deref()).await?
    } else {
        combinations(filters)
            .into_model::<Combination>()
            .all(db)
            .await?
    };
    for c in found {
        consenting += c.n;
        if let Some(v) = c.sex {
            *sex.entry(v).or_default() += c.n;
        }
        if let Some(v) = c.ethnic_group {
            *ethnic.entry(v).or_default() += c.n;
        }
        if c.has_disability == Some(true) {
            disability += c.n;
        }
        if c.is_conflict_victim == Some(true) {
            victims += c.n;
        }
    }
    Ok(Differential {
        consenting: SafeCount::of(consenting),
        sex: categories(crate::people::SEXES, &sex),
        ethnic_group: categories(crate::people::ETHNIC_GROUPS, &ethnic),
        disability: SafeCount::of(disability),
        victims: SafeCount::of(victims),
    })
}
