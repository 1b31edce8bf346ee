//! Results and completion of a cohort: per participant, the sessions scheduled and attended,
//! the attendance percentage, the final grade (weighted average) and whether they completed,
//! with the reasons in Spanish when not. Closing a cohort freezes these values on each
//! enrolment ([`freeze`]); afterwards [`for_cohort`] reads the frozen values.
//!
//! Everything is exact integer arithmetic: the completion rule's attendance is `attended /
//! total` with `total` the sessions **scheduled** in the cohort (not those held so far); what
//! people read as attendance is [`crate::attendance::basis::Attendance`] (the share of the
//! sessions held, with its basis), carried on each row; scores are tenths, weights are
//! percentages summing 100, so `Σ score_tenths × weight` is the final grade in thousandths
//! (`30/30/40` with `3.0, 2.5, 4.0` → `3250` → "3.25"). Percentages and grades are only
//! turned into text or `f64` at the edges, and text truncates (never rounds up), so a value
//! shown to people never looks like a pass when it is not.
//!
//! One verdict (issue 61): while a cohort runs nobody is judged. [`ResultRow`] then carries the
//! attendance people read (over the sessions held), `completed: None` («Se decide al cierre»,
//! [`Verdict`]) and whether the person is at risk, with why ([`risk`]). The completion rule over
//! the sessions scheduled is applied only by closing ([`at_closing`], which [`freeze`] and the
//! closing's preview read); once closed, every row reads the frozen verdict.
//!
//! Certificates (issue 7) use [`for_cohort`] and [`ResultRow::eligible_for_certificate`].

use crate::attendance::basis::Attendance;
use crate::audit::{self, Change};
use crate::enrolment::status::StatusAudit;
use crate::entities::values::{EnrolmentStatus, Mark};
use crate::entities::{
    assessment, attendance_mark, cohort, cohort_session, enrolment, participant, score,
};
use crate::error::{AppError, AppResult};
use crate::people::scope::PersonScope;
use crate::rows::Found;
use crate::rows::Rows;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};
use serde::Serialize;
use std::collections::HashMap;

/// One participant's results in a cohort, as every page, workbook and API answer reads them.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ResultRow {
    pub enrolment_id: i32,
    pub participant_id: i32,
    pub full_name: String,
    /// Sessions scheduled in the cohort.
    pub sessions_total: i32,
    /// Sessions marked presente or tarde.
    pub sessions_attended: i32,
    /// `100 × attended / held`: while the cohort runs, over the sessions already held (the same
    /// number as the participant's page, the roster, the reports and the workbooks); once
    /// closed, over the sessions scheduled (frozen). `null` before the first session.
    #[schema(minimum = 0, maximum = 100)]
    pub attendance_pct: Option<f64>,
    /// Sessions held so far (all of them once closed). Extension.
    pub sessions_held: i32,
    /// Attendance with its basis (`pct` is `attendance_pct`). Extension.
    pub attendance: crate::attendance::basis::Attendance,
    /// Σ score-tenths × weight-%: the final grade in thousandths. `None` when the cohort has
    /// no assessments, a score is missing or the weights do not sum 100.
    pub final_grade_milli: Option<i32>,
    /// `final_grade_milli / 1000` (e.g. 3.25).
    #[schema(minimum = 0, maximum = 5)]
    pub final_grade: Option<f64>,
    /// The verdict frozen at closing; `null` while the cohort runs (decided at closing).
    pub completed: Option<bool>,
    /// Completed (`completed` is true): the cohort is closed and the person met the rule.
    pub eligible_for_certificate: bool,
    /// Once closed, why the person did not complete, in Spanish ("asistencia 70 % < 80 %",
    /// "nota 2,8 < 3,0", "falta la calificación de «Taller»"); empty when completed and while
    /// the cohort runs (see `at_risk_reason`).
    pub reasons: Vec<String>,
    /// While the cohort runs: the minimum attendance is out of reach with the absences
    /// recorded, or the partial grade is below the pass mark. Always false once closed.
    pub at_risk: bool,
    /// Why, in Spanish, when `at_risk`.
    pub at_risk_reason: Option<String>,
}

impl ResultRow {
    /// The verdict as people read it.
    pub fn verdict(&self) -> Verdict {
        Verdict::from_completed(self.completed)
    }

    /// What a «Motivos» column says: once closed, why not completed; while the cohort runs,
    /// «En riesgo: …» when at risk; empty otherwise.
    pub fn motives(&self) -> String {
        match &self.at_risk_reason {
            Some(why) if self.completed.is_none() => format!("En riesgo: {why}"),
            _ => self.reasons.join("; "),
        }
    }
}

/// What pages, workbooks and PDFs say for a verdict before the cohort closes.
pub const NOT_CLOSED: &str = "Se decide al cierre";

/// The verdict on one enrolment: decided at closing, never before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The cohort has not closed: «Se decide al cierre».
    Pending,
    Completed,
    NotCompleted,
}

impl Verdict {
    /// The verdict an enrolment's status holds (frozen at closing).
    pub fn of(status: EnrolmentStatus) -> Verdict {
        match status {
            EnrolmentStatus::Completed => Verdict::Completed,
            EnrolmentStatus::NotCompleted => Verdict::NotCompleted,
            _ => Verdict::Pending,
        }
    }

    pub fn from_completed(completed: Option<bool>) -> Verdict {
        match completed {
            Some(true) => Verdict::Completed,
            Some(false) => Verdict::NotCompleted,
            None => Verdict::Pending,
        }
    }

    /// `Some(true|false)` once decided, `None` before.
    pub fn completed(self) -> Option<bool> {
        match self {
            Verdict::Completed => Some(true),
            Verdict::NotCompleted => Some(false),
            Verdict::Pending => None,
        }
    }

    /// The answer in an «Aprueba» column: «Sí», «No» or «Se decide al cierre».
    pub fn answer(self) -> &'static str {
        match self {
            Verdict::Completed => "Sí",
            Verdict::NotCompleted => "No",
            Verdict::Pending => NOT_CLOSED,
        }
    }

    /// In a sentence: «aprobó», «no aprobó» or «se decide al cierre».
    pub fn said(self) -> &'static str {
        match self {
            Verdict::Completed => "aprobó",
            Verdict::NotCompleted => "no aprobó",
            Verdict::Pending => "se decide al cierre",
        }
    }
}

/// What closing decides for one enrolment: the completion rule over the sessions scheduled
/// (or the verdict already frozen). [`freeze`] stores it; the closing's preview lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct Closing {
    pub enrolment_id: i32,
    pub full_name: String,
    pub sessions_total: i32,
    pub sessions_attended: i32,
    pub final_grade_milli: Option<i32>,
    pub completed: bool,
    /// Why not, in Spanish; empty when completed.
    pub reasons: Vec<String>,
}

/// A cohort's completion rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    pub min_attendance_pct: i32,
    pub pass_mark_tenths: i32,
}

impl Rule {
    pub fn of(cohort: &cohort::Model) -> Self {
        Rule {
            min_attendance_pct: cohort.min_attendance_pct,
            pass_mark_tenths: cohort.pass_mark_tenths,
        }
    }
}

/// An assessment item as the rule needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub id: i32,
    pub name: String,
    pub weight: i32,
}

/// `100 × attended / total` as a number (0 without sessions). One division, so 7/8 is 87.5
/// exactly.
pub fn attendance_pct(attended: i32, total: i32) -> f64 {
    if total <= 0 {
        return 0.0;
    }
    f64::from(attended * 100) / f64::from(total)
}

/// Whether attendance meets the minimum: `attended / total ≥ min %`, in integers.
pub fn attendance_met(attended: i32, total: i32, min_pct: i32) -> bool {
    total > 0 && attended * 100 >= min_pct * total
}

/// The final grade in thousandths, or the reasons there is none yet.
pub fn final_grade(items: &[Item], scores: &HashMap<i32, i32>) -> Result<i32, Vec<String>> {
    let weights: i32 = items.iter().map(|i| i.weight).sum();
    let mut reasons = Vec::new();
    if weights != 100 {
        reasons.push(format!(
            "los pesos de las evaluaciones suman {weights} %, no 100 %"
        ));
    }
    for item in items {
        if !scores.contains_key(&item.id) {
            reasons.push(format!("falta la calificación de «{}»", item.name));
        }
    }
    if !reasons.is_empty() {
        return Err(reasons);
    }
    Ok(items
        .iter()
        .map(|i| scores.get(&i.id).copied().unwrap_or(0) * i.weight)
        .sum())
}

/// The completion rule over one participant's numbers: (final grade, reasons). Completed when
/// there are no reasons.
pub fn evaluate(
    rule: Rule,
    total: i32,
    attended: i32,
    items: &[Item],
    scores: &HashMap<i32, i32>,
) -> (Option<i32>, Vec<String>) {
    let mut reasons = Vec::new();
    if total <= 0 {
        reasons.push("la cohorte no tiene sesiones programadas".to_string());
    } else if !attendance_met(attended, total, rule.min_attendance_pct) {
        reasons.push(format!(
            "asistencia {} < {} %",
            crate::format::percent_against(
                attended.into(),
                total.into(),
                rule.min_attendance_pct.into()
            ),
            rule.min_attendance_pct
        ));
    }
    if items.is_empty() {
        return (None, reasons);
    }
    match final_grade(items, scores) {
        Ok(grade) => {
            if grade < rule.pass_mark_tenths * 100 {
                reasons.push(format!(
                    "nota {} < {}",
                    crate::format::grade(grade),
                    crate::format::grade_tenths(rule.pass_mark_tenths)
                ));
            }
            (Some(grade), reasons)
        }
        Err(missing) => {
            reasons.extend(missing);
            (None, reasons)
        }
    }
}

/// The weighted average of the scores recorded so far, in thousandths (`None` without any).
pub fn partial_grade(items: &[Item], scores: &HashMap<i32, i32>) -> Option<i32> {
    let scored: Vec<(i32, i32)> = items
        .iter()
        .filter_map(|i| scores.get(&i.id).map(|t| (*t, i.weight)))
        .collect();
    let weight: i32 = scored.iter().map(|(_, w)| w).sum();
    (weight > 0).then(|| scored.iter().map(|(t, w)| t * w).sum::<i32>() * 100 / weight)
}

/// Why someone in a running cohort is at risk, in Spanish (empty when she is not): the
/// minimum attendance is out of reach with `missed` absences recorded, even attending every
/// session still ahead; or her partial grade is below the pass mark. The one rule every page,
/// workbook and API answer reads.
pub fn risk(
    rule: Rule,
    attendance: &Attendance,
    missed: i32,
    items: &[Item],
    scores: &HashMap<i32, i32>,
) -> Vec<String> {
    let mut reasons = Vec::new();
    if attendance.at_risk(missed) {
        reasons.push(format!(
            "con {}, aunque asista a todas las sesiones que faltan llegaría a {}, menos del {} % \
             de asistencia que se exige para aprobar",
            crate::format::plural(
                missed.into(),
                "ausencia registrada",
                "ausencias registradas"
            ),
            attendance.best_reachable_text(missed),
            rule.min_attendance_pct
        ));
    }
    if let Some(g) = partial_grade(items, scores)
        && g < rule.pass_mark_tenths * 100
    {
        reasons.push(format!(
            "su nota parcial ({}) está por debajo de {}, la nota mínima para aprobar",
            crate::format::grade(g),
            crate::format::grade_tenths(rule.pass_mark_tenths)
        ));
    }
    reasons
}

/// Attendance marks of one enrolment in a cohort, counted by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MarkCounts {
    /// presente + tarde
    pub attended: i32,
    /// ausente + excusado
    pub missed: i32,
}

/// Marks per enrolment of a cohort (optionally only these enrolments): one grouped query.
pub async fn mark_counts<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    enrolment_ids: Option<&[i32]>,
) -> AppResult<HashMap<i32, MarkCounts>> {
    #[derive(FromQueryResult)]
    struct Count {
        enrolment_id: i32,
        status: Mark,
        n: i64,
    }
    let mut query = attendance_mark::Entity::find()
        .select_only()
        .column(attendance_mark::Column::EnrolmentId)
        .column(attendance_mark::Column::Status)
        .column_as(attendance_mark::Column::Id.count(), "n")
        .join(
            JoinType::InnerJoin,
            attendance_mark::Relation::Session.def(),
        )
        .filter(cohort_session::Column::CohortId.eq(cohort_id))
        .group_by(attendance_mark::Column::EnrolmentId)
        .group_by(attendance_mark::Column::Status);
    if let Some(ids) = enrolment_ids {
        query = query.filter(attendance_mark::Column::EnrolmentId.is_in(ids.to_vec()));
    }
    let mut counts: HashMap<i32, MarkCounts> = HashMap::new();
    for row in query.into_model::<Count>().all(db).await? {
        let entry = counts.entry(row.enrolment_id).or_default();
        let n = i32::try_from(row.n).unwrap_or(i32::MAX);
        if row.status.counts_as_attended() {
            entry.attended += n;
        } else {
            entry.missed += n;
        }
    }
    Ok(counts)
}

/// Sessions scheduled in a cohort.
pub async fn sessions_total<C: ConnectionTrait>(db: &C, cohort_id: i32) -> AppResult<i32> {
    let n = cohort_session::Entity::find()
        .filter(cohort_session::Column::CohortId.eq(cohort_id))
        .count(db)
        .await?;
    Ok(i32::try_from(n).unwrap_or(i32::MAX))
}

/// The cohort's assessment items, in order.
pub async fn items<C: ConnectionTrait>(db: &C, cohort_id: i32) -> AppResult<Vec<Item>> {
    Ok(items_of(db, &[cohort_id])
        .await?
        .remove(&cohort_id)
        .unwrap_or_default())
}

/// Every score of a cohort: enrolment → (assessment → tenths). One query.
pub async fn scores_by_enrolment<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
) -> AppResult<HashMap<i32, HashMap<i32, i32>>> {
    let rows = score::Entity::find()
        .filter(
            score::Column::AssessmentId.in_subquery(
                Query::select()
                    .column(assessment::Column::Id)
                    .from(assessment::Entity)
                    .and_where(assessment::Column::CohortId.eq(cohort_id))
                    .to_owned(),
            ),
        )
        .all(db)
        .await?;
    let mut map: HashMap<i32, HashMap<i32, i32>> = HashMap::new();
    for row in rows {
        map.entry(row.enrolment_id)
            .or_default()
            .insert(row.assessment_id, row.score_tenths);
    }
    Ok(map)
}

/// Results of every enrolled/completed/not_completed enrolment of a cohort that `people`
/// covers (frozen values once closed), by name. A constant number of queries whatever the
/// cohort's size.
pub async fn for_cohort<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    people: &PersonScope,
) -> AppResult<Vec<ResultRow>> {
    let cohort = cohort::Entity::find_by_id(cohort_id).found(db).await?;
    compute(db, &cohort, people, None).await
}

/// Results of the enrolments of a cohort that `people` covers (only some when `only` is set),
/// as people read them: nobody judged before closing.
pub async fn compute<C: ConnectionTrait>(
    db: &C,
    cohort: &cohort::Model,
    people: &PersonScope,
    only: Option<&[i32]>,
) -> AppResult<Vec<ResultRow>> {
    Ok(assemble(db, cohort, people, only)
        .await?
        .into_iter()
        .map(|(row, _)| row)
        .collect())
}

/// What closing the cohort now decides for the enrolments `people` covers (only some when
/// `only` is set): the rule over the sessions scheduled, or the verdict already frozen.
pub async fn at_closing<C: ConnectionTrait>(
    db: &C,
    cohort: &cohort::Model,
    people: &PersonScope,
    only: Option<&[i32]>,
) -> AppResult<Vec<Closing>> {
    Ok(assemble(db, cohort, people, only)
        .await?
        .into_iter()
        .map(|(_, closing)| closing)
        .collect())
}

/// Both readings of each enrolment, from one set of queries.
async fn assemble<C: ConnectionTrait>(
    db: &C,
    cohort: &cohort::Model,
    people: &PersonScope,
    only: Option<&[i32]>,
) -> AppResult<Vec<(ResultRow, Closing)>> {
    let mut query = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(cohort.id))
        .filter(people.condition())
        .filter(enrolment::Column::Status.is_in([
            EnrolmentStatus::Enrolled,
            EnrolmentStatus::Completed,
            EnrolmentStatus::NotCompleted,
        ]));
    if let Some(ids) = only {
        query = query.filter(enrolment::Column::Id.is_in(ids.to_vec()));
    }
    let enrolments = query.find_also_related(participant::Entity).all(db).await?;
    let (held, total) = crate::attendance::basis::sessions_of_cohort(db, cohort.id).await?;
    let counts = mark_counts(db, cohort.id, only).await?;
    let items = items(db, cohort.id).await?;
    let scores = if items.is_empty() {
        HashMap::new()
    } else {
        scores_by_enrolment(db, cohort.id).await?
    };
    let no_scores = HashMap::new();
    let mut rows: Vec<(ResultRow, Closing)> = enrolments
        .into_iter()
        .filter_map(|(e, p)| p.map(|p| (e, p)))
        .map(|(e, person)| {
            let theirs = scores.get(&e.id).unwrap_or(&no_scores);
            let marks = counts.get(&e.id).copied().unwrap_or_default();
            judge(cohort, &e, &person, (held, total), marks, &items, theirs)
        })
        .collect();
    rows.sort_by(|(a, _), (b, _)| {
        crate::text::by_name(&a.full_name, &b.full_name).then(a.enrolment_id.cmp(&b.enrolment_id))
    });
    Ok(rows)
}

/// The rule's inputs for some enrolments of some cohorts, read once for all of them
/// ([`for_enrolments`]).
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    /// Cohort → (sessions held so far, scheduled).
    pub sessions: HashMap<i32, (i32, i32)>,
    /// Enrolment → its marks in its cohort's sessions.
    pub marks: HashMap<i32, MarkCounts>,
    /// Cohort → its assessment items, in order.
    pub items: HashMap<i32, Vec<Item>>,
    /// Enrolment → (assessment → tenths).
    pub scores: HashMap<i32, HashMap<i32, i32>>,
}

/// The assessment items of each of these cohorts, in order: one query.
pub async fn items_of<C: ConnectionTrait>(
    db: &C,
    cohort_ids: &[i32],
) -> AppResult<HashMap<i32, Vec<Item>>> {
    let mut out: HashMap<i32, Vec<Item>> = HashMap::new();
    if cohort_ids.is_empty() {
        return Ok(out);
    }
    let rows = assessment::Entity::find()
        .filter(assessment::Column::CohortId.is_in(cohort_ids.to_vec()))
        .order_by_asc(assessment::Column::Position)
        .order_by_asc(assessment::Column::Id)
        .all(db)
        .await?;
    for a in rows {
        out.entry(a.cohort_id).or_default().push(Item {
            id: a.id,
            name: a.name,
            weight: a.weight,
        });
    }
    Ok(out)
}

/// The scores of each of these enrolments: enrolment → (assessment → tenths). One query.
pub async fn scores_of<C: ConnectionTrait>(
    db: &C,
    enrolment_ids: &[i32],
) -> AppResult<HashMap<i32, HashMap<i32, i32>>> {
    let mut map: HashMap<i32, HashMap<i32, i32>> = HashMap::new();
    if enrolment_ids.is_empty() {
        return Ok(map);
    }
    let rows = score::Entity::find()
        .filter(score::Column::EnrolmentId.is_in(enrolment_ids.to_vec()))
        .all(db)
        .await?;
    for row in rows {
        map.entry(row.enrolment_id)
            .or_default()
            .insert(row.assessment_id, row.score_tenths);
    }
    Ok(map)
}

/// The results of these enrolments, each in its cohort, as people read them (the same rows
/// [`compute`] gives, by enrolment), from `inputs` and one read of their people: a fixed
/// number of statements however many cohorts. Enrolments neither enrolled, completed nor
/// not completed have none.
pub async fn for_enrolments<C: ConnectionTrait>(
    db: &C,
    enrolments: &[(&enrolment::Model, &cohort::Model)],
    inputs: &Inputs,
) -> AppResult<HashMap<i32, ResultRow>> {
    let judged: Vec<&(&enrolment::Model, &cohort::Model)> = enrolments
        .iter()
        .filter(|(e, c)| {
            e.cohort_id == c.id
                && matches!(
                    e.status,
                    EnrolmentStatus::Enrolled
                        | EnrolmentStatus::Completed
                        | EnrolmentStatus::NotCompleted
                )
        })
        .collect();
    if judged.is_empty() {
        return Ok(HashMap::new());
    }
    let mut ids: Vec<i32> = judged.iter().map(|(e, _)| e.participant_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let people: HashMap<i32, participant::Model> = participant::Entity::find()
        .filter(participant::Column::Id.is_in(ids))
        .all_mapped(db, |p| (p.id, p))
        .await?;
    let (no_items, no_scores) = (Vec::new(), HashMap::new());
    Ok(judged
        .into_iter()
        .filter_map(|(e, cohort)| {
            let person = people.get(&e.participant_id)?;
            let (row, _) = judge(
                cohort,
                e,
                person,
                inputs.sessions.get(&cohort.id).copied().unwrap_or((0, 0)),
                inputs.marks.get(&e.id).copied().unwrap_or_default(),
                inputs.items.get(&cohort.id).unwrap_or(&no_items),
                inputs.scores.get(&e.id).unwrap_or(&no_scores),
            );
            Some((e.id, row))
        })
        .collect())
}

/// Both readings of one enrolment from its cohort's numbers: the one rule [`assemble`] and
/// [`for_enrolments`] apply. `sessions` is the cohort's (held so far, scheduled).
fn judge(
    cohort: &cohort::Model,
    e: &enrolment::Model,
    person: &participant::Model,
    sessions: (i32, i32),
    marks: MarkCounts,
    items: &[Item],
    theirs: &HashMap<i32, i32>,
) -> (ResultRow, Closing) {
    let rule = Rule::of(cohort);
    let (held, total) = sessions;
    let verdict = Verdict::of(e.status);
    let frozen = verdict != Verdict::Pending;
    let (total, attended, attendance) = match (frozen, e.sessions_total, e.sessions_attended) {
        (true, Some(t), Some(a)) => (t, a, Attendance::frozen(a, t, rule.min_attendance_pct)),
        _ => (
            total,
            marks.attended,
            Attendance::new(
                cohort.status,
                marks.attended,
                held,
                total,
                rule.min_attendance_pct,
            ),
        ),
    };
    // The rule closing applies, over the sessions scheduled.
    let (mut grade, mut reasons) = evaluate(rule, total, attended, items, theirs);
    let completed = if frozen {
        if e.sessions_total.is_some() {
            grade = e.final_grade_milli;
            // Re-judge the frozen grade (the frozen value is what was certified).
            reasons.retain(|r| !r.starts_with("nota "));
            if let Some(g) = grade
                && g < rule.pass_mark_tenths * 100
            {
                reasons.push(format!(
                    "nota {} < {}",
                    crate::format::grade(g),
                    crate::format::grade_tenths(rule.pass_mark_tenths)
                ));
            }
        }
        let completed = verdict == Verdict::Completed;
        if completed {
            reasons.clear();
        } else if reasons.is_empty() {
            reasons.push("no cumplió la regla de aprobación al cierre".to_string());
        }
        completed
    } else {
        reasons.is_empty()
    };
    let closing = Closing {
        enrolment_id: e.id,
        full_name: person.full_name(),
        sessions_total: total,
        sessions_attended: attended,
        final_grade_milli: grade,
        completed,
        reasons: reasons.clone(),
    };
    let at_risk = if frozen || cohort.status.is_final() {
        Vec::new()
    } else {
        risk(rule, &attendance, marks.missed, items, theirs)
    };
    let row = ResultRow {
        enrolment_id: e.id,
        participant_id: person.id,
        full_name: closing.full_name.clone(),
        sessions_total: total,
        sessions_attended: attended,
        attendance_pct: attendance.pct(),
        sessions_held: attendance.held(),
        attendance,
        final_grade_milli: grade,
        final_grade: grade.map(|g| f64::from(g) / 1000.0),
        completed: verdict.completed(),
        eligible_for_certificate: verdict == Verdict::Completed,
        reasons: if frozen { reasons } else { Vec::new() },
        at_risk: !at_risk.is_empty(),
        at_risk_reason: (!at_risk.is_empty()).then(|| at_risk.join("; ")),
    };
    (row, closing)
}

/// Refuses (409) to close a cohort whose assessment weights do not sum 100.
pub async fn check_closable<C: ConnectionTrait>(db: &C, cohort_id: i32) -> AppResult<()> {
    let items = items(db, cohort_id).await?;
    let weights: i32 = items.iter().map(|i| i.weight).sum();
    if !items.is_empty() && weights != 100 {
        return Err(AppError::Conflict(format!(
            "Los pesos de las evaluaciones suman {weights} %: deben sumar 100 % antes de cerrar la cohorte."
        )));
    }
    Ok(())
}

/// An enrolment's verdict frozen at closing (`enrolment.completed`, `….not_completed`).
#[derive(Serialize)]
struct Frozen<'a> {
    status: EnrolmentStatus,
    sessions_total: i32,
    sessions_attended: i32,
    final_grade_milli: Option<i32>,
    reasons: &'a [String],
}

/// Closing: every enrolled person becomes completed or not completed, with the sessions
/// scheduled and attended and the final grade stored on the enrolment (audited). Run inside
/// the transaction that closes the cohort.
pub async fn freeze<C: ConnectionTrait>(
    db: &C,
    actor: i32,
    cohort: &cohort::Model,
) -> AppResult<Vec<Closing>> {
    let enrolled: Vec<i32> = enrolment::Entity::find()
        .select_only()
        .column(enrolment::Column::Id)
        .filter(enrolment::Column::CohortId.eq(cohort.id))
        .filter(enrolment::Column::Status.eq(EnrolmentStatus::Enrolled))
        .into_tuple()
        .all(db)
        .await?;
    if enrolled.is_empty() {
        return Ok(Vec::new());
    }
    let rows = at_closing(db, cohort, &PersonScope::All, Some(&enrolled)).await?;
    let at = crate::time::now();
    let mut changes = Vec::with_capacity(rows.len());
    for row in &rows {
        let status = if row.completed {
            EnrolmentStatus::Completed
        } else {
            EnrolmentStatus::NotCompleted
        };
        enrolment::Entity::update_many()
            .col_expr(enrolment::Column::Status, Expr::value(status.as_str()))
            .col_expr(
                enrolment::Column::SessionsTotal,
                Expr::value(row.sessions_total),
            )
            .col_expr(
                enrolment::Column::SessionsAttended,
                Expr::value(row.sessions_attended),
            )
            .col_expr(
                enrolment::Column::FinalGradeMilli,
                Expr::value(row.final_grade_milli),
            )
            .col_expr(enrolment::Column::UpdatedAt, Expr::value(at))
            .filter(enrolment::Column::Id.eq(row.enrolment_id))
            .filter(enrolment::Column::Status.eq(EnrolmentStatus::Enrolled))
            .exec(db)
            .await?;
        changes.push(Change {
            actor: Some(actor),
            action: if row.completed {
                "enrolment.completed"
            } else {
                "enrolment.not_completed"
            },
            subject_type: "enrolment",
            subject_id: row.enrolment_id.to_string(),
            before: serde_json::to_value(StatusAudit::of(EnrolmentStatus::Enrolled)).ok(),
            after: serde_json::to_value(Frozen {
                status,
                sessions_total: row.sessions_total,
                sessions_attended: row.sessions_attended,
                final_grade_milli: row.final_grade_milli,
                reasons: &row.reasons,
            })
            .ok(),
        });
    }
    audit::record_many(db, changes).await?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(weights: &[i32]) -> Vec<Item> {
        weights
            .iter()
            .enumerate()
            .map(|(n, w)| Item {
                id: n as i32 + 1,
                name: format!("Evaluación {}", n + 1),
                weight: *w,
            })
            .collect()
    }

    const RULE: Rule = Rule {
        min_attendance_pct: 80,
        pass_mark_tenths: 30,
    };

    #[test]
    fn percentages_are_exact_and_the_rule_is_not_rounded() {
        assert_eq!(attendance_pct(8, 10), 80.0);
        assert_eq!(attendance_pct(7, 8), 87.5);
        assert!(attendance_met(8, 10, 80));
        assert!(!attendance_met(7, 10, 80));
        // The rule compares integers: 79.96 % does not meet 80 %, whatever the text shows.
        assert!(!attendance_met(1999, 2500, 80));
        // Shown rounded half up, but never as reaching the minimum (format::percent_against).
        assert_eq!(
            evaluate(
                Rule {
                    min_attendance_pct: 61,
                    pass_mark_tenths: 30
                },
                41,
                25,
                &[],
                &HashMap::new()
            )
            .1[0],
            "asistencia 60,97 % < 61 %"
        );
    }

    #[test]
    fn the_final_grade_is_the_weighted_average_in_thousandths() {
        let items = items(&[30, 30, 40]);
        let scores = HashMap::from([(1, 30), (2, 25), (3, 40)]);
        assert_eq!(final_grade(&items, &scores), Ok(3250));
        assert_eq!(crate::format::grade(3250), "3,25");
        let (grade, reasons) = evaluate(RULE, 10, 8, &items, &scores);
        assert_eq!(grade, Some(3250));
        assert!(reasons.is_empty(), "{reasons:?}");
    }

    #[test]
    fn every_reason_is_given_in_spanish() {
        let items = items(&[50, 50]);
        let (grade, reasons) = evaluate(RULE, 10, 7, &items, &HashMap::from([(1, 28), (2, 28)]));
        assert_eq!(grade, Some(2800));
        assert_eq!(reasons, ["asistencia 70 % < 80 %", "nota 2,8 < 3,0"]);
        let (grade, reasons) = evaluate(RULE, 10, 9, &items, &HashMap::from([(1, 40)]));
        assert_eq!(grade, None);
        assert_eq!(reasons, ["falta la calificación de «Evaluación 2»"]);
        let (_, reasons) = evaluate(RULE, 10, 9, &self::items(&[30, 40]), &HashMap::new());
        assert_eq!(
            reasons[0],
            "los pesos de las evaluaciones suman 70 %, no 100 %"
        );
        // Without assessments, attendance alone decides.
        let (grade, reasons) = evaluate(RULE, 10, 8, &[], &HashMap::new());
        assert_eq!((grade, reasons.len()), (None, 0));
        let (_, reasons) = evaluate(RULE, 0, 0, &[], &HashMap::new());
        assert_eq!(reasons, ["la cohorte no tiene sesiones programadas"]);
    }
}
