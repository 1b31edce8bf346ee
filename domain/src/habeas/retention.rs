//! The retention term (issue 67; Ley 1581 de 2012, art. 4, principle of limited retention):
//! a person with no activity for `retention_years` (no enrolment created or changed, no
//! attendance or score recorded, no certificate issued, no sign-in and no change to her record
//! or account) is anonymised as an accepted supresión does ([`super::anonymise`]). Only
//! participants' records: a staff account is never touched. At most [`BATCH`] people a pass;
//! the next pass takes the rest.

use crate::entities::values::Role;
use crate::entities::{attendance_mark, certificate, enrolment, participant, score, user};
use crate::error::AppResult;
use crate::habeas::anonymise::{self, Why};
use chrono::{DateTime, Months, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

/// People anonymised per pass at most.
pub const BATCH: u64 = 500;

/// The instant before which no activity counts: `years` before `now`.
pub fn cutoff(now: DateTime<Utc>, years: u32) -> DateTime<Utc> {
    now.checked_sub_months(Months::new(years.saturating_mul(12)))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The people without activity since `years` before `now`, not yet anonymised (at most
/// [`BATCH`]).
pub async fn inactive(
    db: &DatabaseConnection,
    years: u32,
    now: DateTime<Utc>,
) -> AppResult<Vec<i32>> {
    let since = cutoff(now, years);
    let recent_enrolments = Query::select()
        .column(enrolment::Column::ParticipantId)
        .from(enrolment::Entity)
        .cond_where(
            Condition::any()
                .add(enrolment::Column::UpdatedAt.gte(since))
                .add(enrolment::Column::CreatedAt.gte(since)),
        )
        .take();
    let recent_marks = Query::select()
        .column((enrolment::Entity, enrolment::Column::ParticipantId))
        .from(attendance_mark::Entity)
        .inner_join(
            enrolment::Entity,
            Expr::col((enrolment::Entity, enrolment::Column::Id)).equals((
                attendance_mark::Entity,
                attendance_mark::Column::EnrolmentId,
            )),
        )
        .and_where(
            Expr::col((attendance_mark::Entity, attendance_mark::Column::RecordedAt)).gte(since),
        )
        .take();
    let recent_scores = Query::select()
        .column((enrolment::Entity, enrolment::Column::ParticipantId))
        .from(score::Entity)
        .inner_join(
            enrolment::Entity,
            Expr::col((enrolment::Entity, enrolment::Column::Id))
                .equals((score::Entity, score::Column::EnrolmentId)),
        )
        .and_where(Expr::col((score::Entity, score::Column::RecordedAt)).gte(since))
        .take();
    let recent_certificates = Query::select()
        .column(certificate::Column::ParticipantId)
        .from(certificate::Entity)
        .and_where(Expr::col(certificate::Column::IssuedAt).gte(since))
        .take();
    // Accounts that signed in or changed since, and every staff account.
    let active_accounts = Query::select()
        .column(user::Column::Id)
        .from(user::Entity)
        .cond_where(
            Condition::any()
                .add(user::Column::LastLoginAt.gte(since))
                .add(user::Column::UpdatedAt.gte(since))
                .add(user::Column::Role.ne(Role::Participant)),
        )
        .take();
    let ids = participant::Entity::find()
        .select_only()
        .column(participant::Column::Id)
        .filter(participant::Column::AnonymisedAt.is_null())
        .filter(participant::Column::UpdatedAt.lt(since))
        .filter(participant::Column::CreatedAt.lt(since))
        .filter(participant::Column::Id.not_in_subquery(recent_enrolments))
        .filter(participant::Column::Id.not_in_subquery(recent_marks))
        .filter(participant::Column::Id.not_in_subquery(recent_scores))
        .filter(participant::Column::Id.not_in_subquery(recent_certificates))
        .filter(
            Condition::any()
                .add(participant::Column::UserId.is_null())
                .add(participant::Column::UserId.not_in_subquery(active_accounts)),
        )
        .limit(BATCH)
        .into_tuple::<i32>()
        .all(db)
        .await?;
    Ok(ids)
}

/// One pass of the retention job: anonymises the people inactive for `years` (0: none), each
/// in its own transaction; how many.
pub async fn run(db: &DatabaseConnection, years: u32, now: DateTime<Utc>) -> AppResult<usize> {
    if years == 0 {
        return Ok(0);
    }
    let mut done = 0;
    for id in inactive(db, years, now).await? {
        let anonymised = crate::db::write(db, async |txn| {
            anonymise::anonymise(txn, None, id, Why::Retention(years)).await
        })
        .await?;
        if anonymised {
            done += 1;
        }
    }
    Ok(done)
}
