//! The differential approach (enfoque diferencial) of a report: how many women, people of each
//! ethnic group, people with disability and victims of the armed conflict were reached. These
//! are sensitive data (Ley 1581 de 2012): only people with an active `sensitive_data` consent
//! are counted, each person once, and every count below [`SMALL_CELL`] is suppressed (shown as
//! "<5", `null` with `suppressed: true` in JSON) so that nobody can be singled out.

use super::{Filters, scoped};
use crate::entities::values::ConsentKind;
use crate::entities::{consent, enrolment, participant};
use crate::error::AppResult;
use sea_orm::sea_query::{Expr, Func, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter, QuerySelect,
    RelationTrait,
};
use serde::Serialize;
use std::collections::HashMap;

/// Counts below this are never shown.
pub const SMALL_CELL: i64 = 5;

/// A count that may be suppressed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Category {
    pub value: String,
    pub label: String,
    #[serde(flatten)]
    pub count: SafeCount,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Differential {
    /// People with an active consent for sensitive data (the base of every other count).
    pub consenting: SafeCount,
    pub sex: Vec<Category>,
    pub ethnic_group: Vec<Category>,
    pub disability: SafeCount,
    pub victims: SafeCount,
}

#[derive(FromQueryResult)]
struct Group {
    value: Option<String>,
    n: i64,
}

#[derive(FromQueryResult)]
struct Flag {
    value: Option<bool>,
    n: i64,
}

/// Distinct consenting people of the report's enrolments, grouped by one participant column.
fn grouped(filters: &Filters, column: participant::Column) -> sea_orm::Select<enrolment::Entity> {
    scoped(
        enrolment::Entity::find()
            .select_only()
            .column_as(Expr::col((participant::Entity, column)), "value")
            .column_as(
                Expr::expr(Func::count_distinct(Expr::col((
                    enrolment::Entity,
                    enrolment::Column::ParticipantId,
                )))),
                "n",
            )
            .join(JoinType::InnerJoin, enrolment::Relation::Participant.def())
            .filter(
                enrolment::Column::ParticipantId.in_subquery(
                    Query::select()
                        .column(consent::Column::ParticipantId)
                        .from(consent::Entity)
                        .and_where(consent::Column::Kind.eq(ConsentKind::SensitiveData))
                        .and_where(consent::Column::WithdrawnAt.is_null())
                        .to_owned(),
                ),
            ),
        filters,
    )
    .group_by(Expr::col((participant::Entity, column)))
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
    let mut consenting = 0;
    let mut sex = HashMap::new();
    for g in grouped(filters, participant::Column::Sex)
        .into_model::<Group>()
        .all(db)
        .await?
    {
        consenting += g.n;
        if let Some(v) = g.value {
            sex.insert(v, g.n);
        }
    }
    let ethnic: HashMap<String, i64> = grouped(filters, participant::Column::EthnicGroup)
        .into_model::<Group>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|g| g.value.map(|v| (v, g.n)))
        .collect();
    let flag = |rows: Vec<Flag>| {
        rows.into_iter()
            .filter(|f| f.value == Some(true))
            .map(|f| f.n)
            .sum::<i64>()
    };
    let disability = flag(
        grouped(filters, participant::Column::HasDisability)
            .into_model::<Flag>()
            .all(db)
            .await?,
    );
    let victims = flag(
        grouped(filters, participant::Column::IsConflictVictim)
            .into_model::<Flag>()
            .all(db)
            .await?,
    );
    Ok(Differential {
        consenting: SafeCount::of(consenting),
        sex: categories(crate::people::SEXES, &sex),
        ethnic_group: categories(crate::people::ETHNIC_GROUPS, &ethnic),
        disability: SafeCount::of(disability),
        victims: SafeCount::of(victims),
    })
}
