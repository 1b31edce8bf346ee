//! What a participant sees of their own courses: the mark of every session, their scores and
//! whether they are on track (can still reach the minimum attendance, partial grade at or above
//! the pass mark), or their final result once the cohort is closed.

use super::basis::Attendance;
use crate::entities::values::{CohortStatus, EnrolmentStatus, Mark};
use crate::entities::{attendance_mark, cohort, cohort_session, course, enrolment};
use crate::error::AppResult;
use crate::results::{self, ResultRow};
use crate::rows::Rows;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use std::collections::HashMap;

/// One session of the cohort and the participant's mark in it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SessionMark {
    pub session_id: i32,
    /// The session's local (Bogotá) date.
    #[schema(format = Date)]
    pub date: String,
    /// Its local start time, HH:MM.
    #[schema(example = "14:00")]
    pub time: String,
    pub topic: String,
    /// The session has started.
    pub started: bool,
    pub status: Option<Mark>,
    /// The mark in Spanish; «Sin registrar» or «Próxima» without one.
    pub status_label: &'static str,
    pub note: Option<String>,
}

/// One assessment item of the cohort and the participant's score in it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ScoreLine {
    pub assessment_id: i32,
    pub name: String,
    pub weight: i32,
    #[schema(minimum = 0, maximum = 5)]
    pub score: Option<f64>,
    pub score_text: Option<String>,
}

/// A participant's progress in one of their cohorts.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Progress {
    pub enrolment_id: i32,
    pub cohort_id: i32,
    /// The cohort's name.
    pub cohort: String,
    /// The course's name.
    pub course: String,
    pub cohort_closed: bool,
    pub enrolment_status: EnrolmentStatus,
    pub sessions: Vec<SessionMark>,
    pub scores: Vec<ScoreLine>,
    /// Sessions scheduled in the cohort.
    pub sessions_total: i32,
    /// Sessions held so far (all of them once closed).
    pub sessions_held: i32,
    pub sessions_attended: i32,
    pub sessions_missed: i32,
    /// `100 × attended / held`: the share of the sessions held so far (`null` before the
    /// first), the same number as the roster and the reports.
    #[schema(minimum = 0, maximum = 100)]
    pub attendance_pct: Option<f64>,
    /// The share as people read it («60 %», «Sin iniciar»).
    pub attendance_text: String,
    /// The share with its basis.
    pub attendance: super::basis::Attendance,
    pub min_attendance_pct: i32,
    pub pass_mark: f64,
    pub pass_mark_text: String,
    /// Weighted average of the scores recorded so far (thousandths).
    pub partial_grade_milli: Option<i32>,
    pub partial_grade_text: Option<String>,
    pub final_grade_text: Option<String>,
    /// The same flag as the cohort's results: the minimum attendance is out of reach, or the
    /// partial grade is below the pass mark.
    pub at_risk: bool,
    /// Why, in Spanish, when at risk.
    pub at_risk_reason: Option<String>,
    pub absences_left: i32,
    pub on_track: bool,
    /// One Spanish sentence: how it is going.
    pub summary: String,
    /// The result as it stands (frozen once the cohort is closed).
    pub result: Option<ResultRow>,
}

fn plural(n: i32, one: &str, many: &str) -> String {
    crate::format::plural(n.into(), one, many)
}

/// Progress in every cohort where the participant is enrolled (or was: completed, not
/// completed), newest first. A fixed number of statements however many enrolments (issue 69):
/// her enrolments with their cohorts, their courses, the cohorts' sessions, her marks, the
/// cohorts' assessment items, her scores and her person, each one read for all of them.
pub async fn for_participant<C: ConnectionTrait>(
    db: &C,
    participant_id: i32,
) -> AppResult<Vec<Progress>> {
    let rows: Vec<(enrolment::Model, cohort::Model)> = enrolment::Entity::find()
        .filter(enrolment::Column::ParticipantId.eq(participant_id))
        .filter(enrolment::Column::Status.is_in([
            EnrolmentStatus::Enrolled,
            EnrolmentStatus::Completed,
            EnrolmentStatus::NotCompleted,
        ]))
        .order_by_desc(enrolment::Column::CreatedAt)
        .find_also_related(cohort::Entity)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(e, c)| c.map(|c| (e, c)))
        .collect();
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let now = crate::time::now();
    let mut cohort_ids: Vec<i32> = rows.iter().map(|(_, c)| c.id).collect();
    cohort_ids.sort_unstable();
    cohort_ids.dedup();
    let enrolment_ids: Vec<i32> = rows.iter().map(|(e, _)| e.id).collect();
    let mut course_ids: Vec<i32> = rows.iter().map(|(_, c)| c.course_id).collect();
    course_ids.sort_unstable();
    course_ids.dedup();
    let courses: HashMap<i32, String> = course::Entity::find()
        .filter(course::Column::Id.is_in(course_ids))
        .all_mapped(db, |c| (c.id, c.name))
        .await?;
    let mut sessions: HashMap<i32, Vec<cohort_session::Model>> = HashMap::new();
    for s in cohort_session::Entity::find()
        .filter(cohort_session::Column::CohortId.is_in(cohort_ids.clone()))
        .order_by_asc(cohort_session::Column::StartsAt)
        .all(db)
        .await?
    {
        sessions.entry(s.cohort_id).or_default().push(s);
    }
    let mut marks: HashMap<i32, HashMap<i32, attendance_mark::Model>> = HashMap::new();
    for m in attendance_mark::Entity::find()
        .filter(attendance_mark::Column::EnrolmentId.is_in(enrolment_ids.clone()))
        .all(db)
        .await?
    {
        marks
            .entry(m.enrolment_id)
            .or_default()
            .insert(m.session_id, m);
    }
    // What the results' rule reads, from the same rows: the sessions held and scheduled of
    // each cohort, and each enrolment's marks in its cohort's sessions.
    let mut inputs = results::Inputs {
        items: results::items_of(db, &cohort_ids).await?,
        scores: results::scores_of(db, &enrolment_ids).await?,
        ..Default::default()
    };
    for (cohort_id, list) in &sessions {
        let held = list.iter().filter(|s| s.starts_at <= now).count();
        inputs.sessions.insert(
            *cohort_id,
            (
                i32::try_from(held).unwrap_or(i32::MAX),
                i32::try_from(list.len()).unwrap_or(i32::MAX),
            ),
        );
    }
    for (row, cohort) in &rows {
        let Some(theirs) = marks.get(&row.id) else {
            continue;
        };
        let counts = inputs.marks.entry(row.id).or_default();
        for s in sessions.get(&cohort.id).into_iter().flatten() {
            match theirs.get(&s.id) {
                Some(m) if m.status.counts_as_attended() => counts.attended += 1,
                Some(_) => counts.missed += 1,
                None => {}
            }
        }
    }
    let pairs: Vec<(&enrolment::Model, &cohort::Model)> =
        rows.iter().map(|(e, c)| (e, c)).collect();
    let mut judged = results::for_enrolments(db, &pairs, &inputs).await?;
    let (no_sessions, no_marks, no_items, no_scores) =
        (Vec::new(), HashMap::new(), Vec::new(), HashMap::new());
    Ok(rows
        .iter()
        .map(|(row, cohort)| {
            progress_of(
                row,
                cohort,
                Of {
                    course: courses.get(&cohort.course_id).cloned().unwrap_or_default(),
                    sessions: sessions.get(&cohort.id).unwrap_or(&no_sessions),
                    marks: marks.get(&row.id).unwrap_or(&no_marks),
                    items: inputs.items.get(&cohort.id).unwrap_or(&no_items),
                    scores: inputs.scores.get(&row.id).unwrap_or(&no_scores),
                    result: judged.remove(&row.id),
                },
                now,
            )
        })
        .collect())
}

/// Each session with the participant's mark (or «Sin registrar» / «Próxima»).
fn session_marks(
    sessions: &[crate::entities::cohort_session::Model],
    marks: &HashMap<i32, attendance_mark::Model>,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<SessionMark> {
    sessions
        .iter()
        .map(|s| {
            let mark = marks.get(&s.id);
            let local = crate::time::local(s.starts_at);
            let started = s.starts_at <= now;
            SessionMark {
                session_id: s.id,
                date: local.format("%Y-%m-%d").to_string(),
                time: local.format("%H:%M").to_string(),
                topic: s.topic.clone(),
                started,
                status: mark.map(|m| m.status),
                status_label: match (mark, started) {
                    (Some(m), _) => m.status.label(),
                    (None, true) => "Sin registrar",
                    (None, false) => "Próxima",
                },
                note: mark.and_then(|m| m.note.clone()),
            }
        })
        .collect()
}

/// Each assessment with the participant's score, if any.
fn score_lines(items: &[results::Item], scores: &HashMap<i32, i32>) -> Vec<ScoreLine> {
    items
        .iter()
        .map(|i| {
            let tenths = scores.get(&i.id).copied();
            ScoreLine {
                assessment_id: i.id,
                name: i.name.clone(),
                weight: i.weight,
                score: tenths.map(crate::parse::grade_value),
                score_text: tenths.map(crate::format::grade_tenths),
            }
        })
        .collect()
}

/// The sentence that sums the progress up: the outcome once closed, cancelled, at risk, or
/// how many absences are left.
fn summary_of(
    closed: bool,
    result: Option<&ResultRow>,
    status: CohortStatus,
    risk: Option<&str>,
    left: i32,
    min: i32,
) -> String {
    if closed {
        match result {
            Some(r) if r.completed == Some(true) => "Aprobó el curso.".to_string(),
            Some(r) if !r.reasons.is_empty() => {
                format!("No aprobó: {}.", r.reasons.join("; "))
            }
            _ => "La cohorte está cerrada.".to_string(),
        }
    } else if status == CohortStatus::Cancelled {
        "La cohorte fue cancelada.".to_string()
    } else if let Some(why) = risk {
        format!("En riesgo: {why}.")
    } else if left > 0 {
        format!(
            "Va bien: puede faltar a {} más y aún alcanzar el {min} % de asistencia.",
            plural(left, "sesión", "sesiones")
        )
    } else {
        format!(
            "Va bien, pero debe asistir a todas las sesiones que faltan para alcanzar el {min} %."
        )
    }
}

/// What one enrolment's progress is made of, read for all of them by [`for_participant`].
struct Of<'a> {
    course: String,
    sessions: &'a [cohort_session::Model],
    /// Session → her mark.
    marks: &'a HashMap<i32, attendance_mark::Model>,
    items: &'a [results::Item],
    /// Assessment → her score in tenths.
    scores: &'a HashMap<i32, i32>,
    /// Her result in the cohort, as [`results::compute`] gives it.
    result: Option<ResultRow>,
}

/// One enrolment's progress.
fn progress_of(
    row: &enrolment::Model,
    cohort: &cohort::Model,
    of: Of<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> Progress {
    let Of {
        course: course_name,
        sessions,
        marks,
        items,
        scores,
        result,
    } = of;
    let session_lines = session_marks(sessions, marks, now);
    let score_lines = score_lines(items, scores);
    let total = i32::try_from(sessions.len()).unwrap_or(i32::MAX);
    let held =
        i32::try_from(sessions.iter().filter(|s| s.starts_at <= now).count()).unwrap_or(i32::MAX);
    let attended = marks
        .values()
        .filter(|m| m.status.counts_as_attended())
        .count() as i32;
    let missed = marks.len() as i32 - attended;
    let min = cohort.min_attendance_pct;
    let partial = results::partial_grade(items, scores);
    let pass_text = crate::format::grade_tenths(cohort.pass_mark_tenths);
    let closed = matches!(cohort.status, CohortStatus::Closed)
        || matches!(
            row.status,
            EnrolmentStatus::Completed | EnrolmentStatus::NotCompleted
        );
    // The one value of attendance (frozen once closed) and the one risk, read from the result
    // every page and report reads.
    let attendance = result.as_ref().map_or_else(
        || Attendance::new(cohort.status, attended, held, total, min),
        |r| r.attendance.clone(),
    );
    let risk = match &result {
        Some(r) => r.at_risk_reason.clone(),
        None if closed || cohort.status.is_final() => None,
        None => {
            let reasons = results::risk(
                results::Rule::of(cohort),
                &attendance,
                missed,
                items,
                scores,
            );
            (!reasons.is_empty()).then(|| reasons.join("; "))
        }
    };
    let left = attendance.absences_left(missed);
    let summary = summary_of(
        closed,
        result.as_ref(),
        cohort.status,
        risk.as_deref(),
        left,
        min,
    );
    Progress {
        enrolment_id: row.id,
        cohort_id: cohort.id,
        cohort: cohort.name.clone(),
        course: course_name,
        cohort_closed: closed,
        enrolment_status: row.status,
        sessions: session_lines,
        scores: score_lines,
        sessions_total: attendance.scheduled(),
        sessions_held: attendance.held(),
        sessions_attended: attendance.attended(),
        sessions_missed: missed,
        attendance_pct: attendance.pct(),
        attendance_text: attendance.pct_text().to_string(),
        attendance,
        min_attendance_pct: min,
        pass_mark: crate::parse::grade_value(cohort.pass_mark_tenths),
        pass_mark_text: pass_text,
        partial_grade_milli: partial,
        partial_grade_text: partial.map(crate::format::grade),
        final_grade_text: result
            .as_ref()
            .and_then(|r| r.final_grade_milli)
            .map(crate::format::grade),
        at_risk: risk.is_some() && !closed,
        on_track: !closed && risk.is_none(),
        at_risk_reason: risk.filter(|_| !closed),
        absences_left: left,
        summary,
        result,
    }
}
