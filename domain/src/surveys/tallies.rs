//! `survey_tallies`: per cohort × department × kind, the surveys sent and answered and the
//! answers' sums — what the reports read, so a national report adds up a few thousand rows
//! instead of scanning half a million answers. Derived, never edited by hand: [`refresh`]
//! recomputes one cohort's rows from `surveys` and `survey_responses` (called wherever a
//! cohort's surveys open or are answered, under the cohort's lock), [`rebuild`] all of them
//! (after bulk loads), with the same computation.

use super::DIMENSIONS;
use crate::entities::values::SurveyKind;
use crate::entities::{survey, survey_response, survey_tally};
use crate::error::AppResult;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect, Set,
};
use std::collections::BTreeMap;

#[derive(FromQueryResult)]
struct AnswerRow {
    cohort_id: i32,
    department_code: String,
    kind: SurveyKind,
    n: i64,
    calidad: Option<i64>,
    pertinencia: Option<i64>,
    oportunidad: Option<i64>,
    metodologia: Option<i64>,
    instructor: Option<i64>,
    logistica: Option<i64>,
    si: Option<i64>,
    parcialmente: Option<i64>,
    no: Option<i64>,
}

#[derive(FromQueryResult)]
struct InvitationRow {
    cohort_id: i32,
    department_code: String,
    kind: SurveyKind,
    invited: i64,
    responded: Option<i64>,
}

/// Recomputes one cohort's tallies.
pub async fn refresh<C: ConnectionTrait>(db: &C, cohort_id: i32) -> AppResult<()> {
    let rows = compute(db, Some(cohort_id)).await?;
    survey_tally::Entity::delete_many()
        .filter(survey_tally::Column::CohortId.eq(cohort_id))
        .exec(db)
        .await?;
    crate::bulk::insert_many(db, rows).await?;
    bump(db).await
}

/// Moves the tallies' version on, in the transaction that changed them: a reader that sees
/// the new version also sees the new tallies.
async fn bump<C: ConnectionTrait>(db: &C) -> AppResult<()> {
    db.execute_unprepared("UPDATE survey_versions SET version = version + 1 WHERE id = 1")
        .await?;
    Ok(())
}

/// The tallies' current version.
pub async fn version<C: ConnectionTrait>(db: &C) -> AppResult<i64> {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM survey_versions WHERE id = 1",
        ))
        .await?;
    Ok(match row {
        Some(row) => row.try_get_by_index(0)?,
        None => 0,
    })
}

/// Recomputes every tally; returns how many rows there are.
pub async fn rebuild<C: ConnectionTrait>(db: &C) -> AppResult<usize> {
    let rows = compute(db, None).await?;
    let count = rows.len();
    survey_tally::Entity::delete_many().exec(db).await?;
    crate::bulk::insert_many(db, rows).await?;
    bump(db).await?;
    Ok(count)
}

/// The tallies of one cohort or of all, from the source rows.
async fn compute<C: ConnectionTrait>(
    db: &C,
    cohort: Option<i32>,
) -> AppResult<Vec<survey_tally::ActiveModel>> {
    let when = |value: &'static str| {
        Expr::case(
            Expr::col(survey_response::Column::Aplicacion).eq(value),
            Expr::val(1),
        )
        .finally(Expr::val(0))
    };
    let mut answers = survey_response::Entity::find()
        .select_only()
        .column(survey_response::Column::CohortId)
        .column(survey_response::Column::DepartmentCode)
        .column(survey_response::Column::Kind)
        .column_as(Expr::col(survey_response::Column::Id).count(), "n");
    for (key, _, _) in DIMENSIONS {
        answers = answers.column_as(Expr::col(key).sum(), key);
    }
    let mut answers = answers
        .column_as(Expr::expr(when("si")).sum(), "si")
        .column_as(Expr::expr(when("parcialmente")).sum(), "parcialmente")
        .column_as(Expr::expr(when("no")).sum(), "no")
        .group_by(survey_response::Column::CohortId)
        .group_by(survey_response::Column::DepartmentCode)
        .group_by(survey_response::Column::Kind);
    let mut invitations = survey::Entity::find()
        .select_only()
        .column(survey::Column::CohortId)
        .column(survey::Column::DepartmentCode)
        .column(survey::Column::Kind)
        .column_as(Expr::col(survey::Column::Id).count(), "invited")
        .column_as(
            Expr::expr(
                Expr::case(Expr::col(survey::Column::Answered).eq(true), Expr::val(1))
                    .finally(Expr::val(0)),
            )
            .sum(),
            "responded",
        )
        .group_by(survey::Column::CohortId)
        .group_by(survey::Column::DepartmentCode)
        .group_by(survey::Column::Kind);
    if let Some(id) = cohort {
        answers = answers.filter(survey_response::Column::CohortId.eq(id));
        invitations = invitations.filter(survey::Column::CohortId.eq(id));
    }
    let mut rows: BTreeMap<(i32, String, &'static str), survey_tally::ActiveModel> =
        BTreeMap::new();
    let zero =
        |cohort_id: i32, department_code: String, kind: SurveyKind| survey_tally::ActiveModel {
            cohort_id: Set(cohort_id),
            department_code: Set(department_code),
            kind: Set(kind),
            invited: Set(0),
            responded: Set(0),
            n: Set(0),
            calidad: Set(0),
            pertinencia: Set(0),
            oportunidad: Set(0),
            metodologia: Set(0),
            instructor: Set(0),
            logistica: Set(0),
            si: Set(0),
            parcialmente: Set(0),
            no: Set(0),
        };
    for r in invitations.into_model::<InvitationRow>().all(db).await? {
        let row = rows
            .entry((r.cohort_id, r.department_code.clone(), r.kind.as_str()))
            .or_insert_with(|| zero(r.cohort_id, r.department_code, r.kind));
        row.invited = Set(r.invited);
        row.responded = Set(r.responded.unwrap_or(0));
    }
    for r in answers.into_model::<AnswerRow>().all(db).await? {
        let row = rows
            .entry((r.cohort_id, r.department_code.clone(), r.kind.as_str()))
            .or_insert_with(|| zero(r.cohort_id, r.department_code, r.kind));
        let v = |x: Option<i64>| Set(x.unwrap_or(0));
        row.n = Set(r.n);
        row.calidad = v(r.calidad);
        row.pertinencia = v(r.pertinencia);
        row.oportunidad = v(r.oportunidad);
        row.metodologia = v(r.metodologia);
        row.instructor = v(r.instructor);
        row.logistica = v(r.logistica);
        row.si = v(r.si);
        row.parcialmente = v(r.parcialmente);
        row.no = v(r.no);
    }
    Ok(rows.into_values().collect())
}
