//! Module by module (issue 64): where each person of an edition stands in each module —
//! pending, in progress (with her attendance on the one basis, `attendance::basis`),
//! completed, not completed, recognised — and in the programme: completed when every required
//! module is completed or recognised and enough electives are, not completed when that can no
//! longer happen, in progress otherwise. The person's «Mi programa», the coordinator's roster,
//! the gobernación's report and the programme certificate all read this one rule.

use super::editions::{self, Edition};
use super::enrolment::recognitions_of_many;
use super::{ModuleView, ProgrammeView};
use crate::accounts::actor::Actor;
use crate::attendance::basis::{Attendance, sessions_of};
use crate::entities::values::{
    CertificateStatus, CohortStatus, EnrolmentStatus, ProgrammeEnrolmentStatus, ProgrammeKind,
};
use crate::entities::{
    certificate, enrolment, municipality, participant, programme_edition, programme_enrolment,
};
use crate::error::AppResult;
use crate::people::scope::PersonScope;
use crate::rows::Rows;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModuleState {
    Pending,
    InProgress,
    Completed,
    NotCompleted,
    Recognised,
}

impl ModuleState {
    pub fn label(self) -> &'static str {
        match self {
            ModuleState::Pending => "Pendiente",
            ModuleState::InProgress => "En curso",
            ModuleState::Completed => "Aprobado",
            ModuleState::NotCompleted => "No aprobado",
            ModuleState::Recognised => "Reconocido",
        }
    }

    /// Counts towards the programme (completed or recognised).
    pub fn counts(self) -> bool {
        matches!(self, ModuleState::Completed | ModuleState::Recognised)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProgrammeState {
    InProgress,
    Completed,
    NotCompleted,
}

impl ProgrammeState {
    pub fn label(self) -> &'static str {
        match self {
            ProgrammeState::InProgress => "En curso",
            ProgrammeState::Completed => "Completado",
            ProgrammeState::NotCompleted => "No completado",
        }
    }
}

/// The programme's rule over the states of its modules: every required module completed or
/// recognised, `electives_required` electives too, and no module counted before the modules
/// it comes after; not completed once too many modules are lost to reach it.
pub fn rule(programme: &ProgrammeView, states: &HashMap<i32, ModuleState>) -> ProgrammeState {
    let state = |m: &ModuleView| states.get(&m.course_id).copied();
    let counted = |m: &ModuleView| {
        state(m).is_some_and(ModuleState::counts)
            && m.after
                .iter()
                .all(|a| states.get(a).is_some_and(|s| s.counts()))
    };
    let lost = |m: &ModuleView| state(m) == Some(ModuleState::NotCompleted);
    let required = programme.modules.iter().filter(|m| m.required);
    let electives: Vec<&ModuleView> = programme.modules.iter().filter(|m| !m.required).collect();
    let needed = programme.electives_required.max(0) as usize;
    let required_ok = required.clone().all(counted);
    let electives_ok = electives.iter().filter(|m| counted(m)).count() >= needed;
    if required_ok && electives_ok {
        return ProgrammeState::Completed;
    }
    let electives_left = electives.iter().filter(|m| !lost(m)).count();
    if required.clone().any(lost) || electives_left < needed {
        return ProgrammeState::NotCompleted;
    }
    ProgrammeState::InProgress
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ProgrammeModuleProgress)]
pub struct ModuleProgress {
    pub course_id: i32,
    pub course_name: String,
    pub required: bool,
    pub status: ModuleState,
    pub status_label: &'static str,
    /// Attendance of the sessions held so far (the one basis); null before the first one.
    #[schema(minimum = 0, maximum = 100)]
    pub attendance_pct: Option<f64>,
    /// The share with its basis: «3 de 5 sesiones realizadas (60 %) · 3 de 6 programadas».
    pub attendance_text: Option<String>,
    /// Attending every session ahead she would still miss the minimum.
    pub at_risk: bool,
    /// Final grade, 0.0–5.0.
    #[schema(minimum = 0, maximum = 5)]
    pub grade: Option<f64>,
    pub cohort_id: Option<i32>,
    /// The module's certificate (or the one a recognition rests on).
    pub certificate_code: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ProgrammeProgress)]
pub struct PersonProgress {
    pub participant_id: i32,
    pub full_name: String,
    pub municipality_code: String,
    pub municipality_name: String,
    pub programme_enrolment_id: i32,
    pub modules: Vec<ModuleProgress>,
    /// Completed or recognised.
    pub completed_modules: usize,
    /// How many complete the rule: required + electives required.
    pub required_modules: usize,
    pub status: ProgrammeState,
    pub status_label: &'static str,
    /// At risk in some module.
    pub at_risk: bool,
}

/// What the progress of an edition reads, once for all its people.
struct Facts {
    /// Enrolment rows in the edition's cohorts, by (cohort, person).
    rows: HashMap<(i32, i32), enrolment::Model>,
    /// Marks per enrolment.
    marks: HashMap<i32, crate::results::MarkCounts>,
    /// (held, scheduled) per cohort.
    sessions: HashMap<i32, (i64, i64)>,
    /// Valid certificate code per enrolment.
    certificates: HashMap<i32, String>,
}

async fn facts<C: ConnectionTrait>(db: &C, edition: &Edition, people: &[i32]) -> AppResult<Facts> {
    let ids = edition.cohort_ids();
    let mut rows = HashMap::new();
    for row in enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.is_in(ids.clone()))
        .filter(enrolment::Column::ParticipantId.is_in(people.to_vec()))
        .filter(enrolment::Column::Status.ne(EnrolmentStatus::Cancelled))
        .all(db)
        .await?
    {
        rows.insert((row.cohort_id, row.participant_id), row);
    }
    let mut marks = HashMap::new();
    for id in &ids {
        marks.extend(crate::results::mark_counts(db, *id, None).await?);
    }
    let enrolment_ids: Vec<i32> = rows.values().map(|r| r.id).collect();
    let certificates = certificate::Entity::find()
        .filter(certificate::Column::EnrolmentId.is_in(enrolment_ids))
        .filter(certificate::Column::Status.eq(CertificateStatus::Valid))
        .all_mapped(db, |c| (c.enrolment_id, c.code))
        .await?;
    Ok(Facts {
        rows,
        marks,
        sessions: sessions_of(db, &ids).await?,
        certificates,
    })
}

/// One person's progress in the edition, from the facts read.
fn person_progress(
    edition: &Edition,
    facts: &Facts,
    row: &programme_enrolment::Model,
    person: &participant::Model,
    municipality_name: String,
    recognised: &HashMap<i32, Option<String>>,
) -> PersonProgress {
    let today = crate::time::today();
    let mut states = HashMap::new();
    let mut modules = Vec::with_capacity(edition.programme.modules.len());
    for module in &edition.programme.modules {
        let cohort = edition.cohorts.get(&module.course_id);
        let held = cohort.and_then(|c| facts.rows.get(&(c.id, person.id)));
        let mut progress = ModuleProgress {
            course_id: module.course_id,
            course_name: module.course_name.clone(),
            required: module.required,
            status: ModuleState::Pending,
            status_label: "",
            attendance_pct: None,
            attendance_text: None,
            at_risk: false,
            grade: None,
            cohort_id: cohort.map(|c| c.id),
            certificate_code: None,
        };
        if let Some(code) = recognised.get(&module.course_id) {
            progress.status = ModuleState::Recognised;
            progress.certificate_code = code.clone();
        } else if let (Some(cohort), Some(held)) = (cohort, held) {
            let counts = facts.marks.get(&held.id);
            let (attended, missed) = counts.map_or((0, 0), |c| (c.attended, c.missed));
            let (sessions_held, scheduled) =
                facts.sessions.get(&cohort.id).copied().unwrap_or((0, 0));
            let attendance = Attendance::new(
                cohort.status,
                attended,
                i32::try_from(sessions_held).unwrap_or(i32::MAX),
                i32::try_from(scheduled).unwrap_or(i32::MAX),
                cohort.min_attendance_pct,
            );
            progress.grade = held.final_grade_milli.map(|g| f64::from(g) / 1000.0);
            progress.certificate_code = facts.certificates.get(&held.id).cloned();
            progress.status = match held.status {
                EnrolmentStatus::Completed => ModuleState::Completed,
                EnrolmentStatus::NotCompleted => ModuleState::NotCompleted,
                _ if cohort.status == CohortStatus::Closed => ModuleState::NotCompleted,
                _ if cohort.start_date > today && attendance.held() == 0 => ModuleState::Pending,
                _ => ModuleState::InProgress,
            };
            if progress.status == ModuleState::InProgress {
                progress.at_risk = attendance.at_risk(missed);
            }
            if attendance.held() > 0 {
                progress.attendance_pct = attendance.pct();
                progress.attendance_text = Some(attendance.text().to_string());
            }
        }
        progress.status_label = progress.status.label();
        states.insert(module.course_id, progress.status);
        modules.push(progress);
    }
    let status = rule(&edition.programme, &states);
    PersonProgress {
        participant_id: person.id,
        full_name: person.full_name(),
        municipality_code: row.municipality_code.clone(),
        municipality_name,
        programme_enrolment_id: row.id,
        completed_modules: modules.iter().filter(|m| m.status.counts()).count(),
        required_modules: edition.programme.modules_needed(),
        at_risk: modules.iter().any(|m| m.at_risk),
        modules,
        status,
        status_label: status.label(),
    }
}

/// The progress of the edition's enrolled people that `scope` covers (a reviewer: her
/// department's; a direction's coordinator: its departments'), by name.
pub async fn of_edition<C: ConnectionTrait>(
    db: &C,
    edition: &Edition,
    scope: &PersonScope,
) -> AppResult<Vec<PersonProgress>> {
    let rows: Vec<programme_enrolment::Model> = programme_enrolment::Entity::find()
        .filter(programme_enrolment::Column::EditionId.eq(edition.row.id))
        .filter(programme_enrolment::Column::Status.eq(ProgrammeEnrolmentStatus::Enrolled))
        .all(db)
        .await?
        .into_iter()
        .filter(|r| scope.covers_municipality(&r.municipality_code))
        .collect();
    progress_of_rows(db, edition, rows).await
}

async fn progress_of_rows<C: ConnectionTrait>(
    db: &C,
    edition: &Edition,
    rows: Vec<programme_enrolment::Model>,
) -> AppResult<Vec<PersonProgress>> {
    let people_ids: Vec<i32> = rows.iter().map(|r| r.participant_id).collect();
    let people: HashMap<i32, participant::Model> = participant::Entity::find()
        .filter(participant::Column::Id.is_in(people_ids.clone()))
        .all_mapped(db, |p| (p.id, p))
        .await?;
    let places: HashMap<String, String> = municipality::Entity::find()
        .filter(municipality::Column::Code.is_in(rows.iter().map(|r| r.municipality_code.clone())))
        .all_mapped(db, |m| (m.code, m.name))
        .await?;
    let facts = facts(db, edition, &people_ids).await?;
    let row_ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let mut recognitions = recognitions_of_many(db, &row_ids).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let Some(person) = people.get(&row.participant_id) else {
            continue;
        };
        let recognised: HashMap<i32, Option<String>> = recognitions
            .remove(&row.id)
            .unwrap_or_default()
            .into_iter()
            .map(|(course, (_, code))| (course, code))
            .collect();
        out.push(person_progress(
            edition,
            &facts,
            row,
            person,
            places
                .get(&row.municipality_code)
                .cloned()
                .unwrap_or_else(|| row.municipality_code.clone()),
            &recognised,
        ));
    }
    out.sort_by(|a, b| a.full_name.cmp(&b.full_name));
    Ok(out)
}

/// The progress of the edition as `actor` reads it: staff who manage the edition (their
/// people), a reviewer her department's people once the programme is published.
pub async fn for_actor<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    edition_id: i32,
) -> AppResult<(Edition, Vec<PersonProgress>)> {
    let edition = if actor.role == crate::entities::values::Role::Reviewer {
        editions::find(db, actor, edition_id).await?
    } else {
        editions::find_managed(db, actor, edition_id).await?
    };
    let progress = of_edition(db, &edition, &PersonScope::of(actor)).await?;
    Ok((edition, progress))
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProgrammeRef {
    pub id: i32,
    pub name: String,
    pub kind: ProgrammeKind,
}

/// One of a participant's programmes («Mi programa»).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = MyProgramme)]
pub struct MyProgramme {
    pub edition_id: i32,
    pub edition_name: String,
    pub programme: ProgrammeRef,
    pub enrolment_id: i32,
    pub enrolment_status: ProgrammeEnrolmentStatus,
    /// 1-based place on the edition's waiting list.
    pub waitlist_position: Option<u64>,
    pub modules: Vec<ModuleProgress>,
    pub completed_modules: usize,
    pub required_modules: usize,
    pub status: ProgrammeState,
    pub status_label: &'static str,
    /// Modules still to complete for the rule.
    pub left: usize,
    /// The programme's certificate, once issued.
    pub certificate_code: Option<String>,
}

/// A participant's current edition enrolments, newest first, each with its progress.
pub async fn of_participant<C: ConnectionTrait>(
    db: &C,
    participant_id: i32,
) -> AppResult<Vec<MyProgramme>> {
    let rows = programme_enrolment::Entity::find()
        .filter(programme_enrolment::Column::ParticipantId.eq(participant_id))
        .filter(programme_enrolment::Column::Status.ne(ProgrammeEnrolmentStatus::Cancelled))
        .order_by_desc(programme_enrolment::Column::Id)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let edition = editions::load(db, row.edition_id).await?;
        let position = super::enrolment::view(db, &edition, &row)
            .await?
            .waitlist_position;
        let Some(progress) = progress_of_rows(db, &edition, vec![row.clone()])
            .await?
            .pop()
        else {
            continue;
        };
        let certificate_code = crate::entities::programme_certificate::Entity::find()
            .filter(crate::entities::programme_certificate::Column::ProgrammeEnrolmentId.eq(row.id))
            .filter(
                crate::entities::programme_certificate::Column::Status.eq(CertificateStatus::Valid),
            )
            .one(db)
            .await?
            .map(|c| c.code);
        out.push(MyProgramme {
            edition_id: edition.row.id,
            edition_name: edition.row.name.clone(),
            programme: ProgrammeRef {
                id: edition.programme.id,
                name: edition.programme.name.clone(),
                kind: edition.programme.kind,
            },
            enrolment_id: row.id,
            enrolment_status: row.status,
            waitlist_position: position,
            left: progress
                .required_modules
                .saturating_sub(progress.completed_modules),
            completed_modules: progress.completed_modules,
            required_modules: progress.required_modules,
            status: progress.status,
            status_label: progress.status_label,
            modules: progress.modules,
            certificate_code,
        });
    }
    Ok(out)
}

/// The editions a programme has had, each with its name (for reports' choosers).
pub async fn edition_names<C: ConnectionTrait>(
    db: &C,
    programme_id: i32,
) -> AppResult<Vec<(i32, String)>> {
    Ok(programme_edition::Entity::find()
        .filter(programme_edition::Column::ProgrammeId.eq(programme_id))
        .order_by_desc(programme_edition::Column::Id)
        .all_mapped(db, |e| (e.id, e.name))
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ModuleState as M;

    fn module(course_id: i32, required: bool, after: &[i32]) -> ModuleView {
        ModuleView {
            course_id,
            course_name: String::new(),
            course_code: String::new(),
            order: course_id,
            required,
            after: after.to_vec(),
            hours: 10,
            provider_id: 1,
        }
    }

    fn programme(modules: Vec<ModuleView>, electives_required: i32) -> ProgrammeView {
        ProgrammeView {
            id: 1,
            code: "P".into(),
            name: "P".into(),
            kind: ProgrammeKind::Diplomado,
            kind_label: "Diplomado",
            description: String::new(),
            status: crate::entities::values::ProgrammeStatus::Published,
            provider: crate::providers::ProviderRef {
                id: 1,
                name: "ESAP".into(),
            },
            modules,
            electives_required,
            hours: 0,
            capacity_ids: Vec::new(),
            recognition_years: 5,
        }
    }

    fn states(pairs: &[(i32, ModuleState)]) -> HashMap<i32, ModuleState> {
        pairs.iter().copied().collect()
    }

    #[test]
    fn the_rule_asks_every_required_module_the_electives_and_the_prerequisites() {
        let p = programme(
            vec![
                module(1, true, &[]),
                module(2, true, &[1]),
                module(3, false, &[]),
                module(4, false, &[]),
            ],
            1,
        );
        let all = states(&[
            (1, M::Completed),
            (2, M::Recognised),
            (3, M::Completed),
            (4, M::Pending),
        ]);
        assert_eq!(rule(&p, &all), ProgrammeState::Completed);
        // No elective yet: still in progress.
        let no_elective = states(&[
            (1, M::Completed),
            (2, M::Completed),
            (3, M::InProgress),
            (4, M::Pending),
        ]);
        assert_eq!(rule(&p, &no_elective), ProgrammeState::InProgress);
        // A required module lost: never completed.
        let lost = states(&[(1, M::NotCompleted), (2, M::Completed), (3, M::Completed)]);
        assert_eq!(rule(&p, &lost), ProgrammeState::NotCompleted);
        // Both electives lost with one required: not completed.
        let electives_lost = states(&[
            (1, M::Completed),
            (2, M::Completed),
            (3, M::NotCompleted),
            (4, M::NotCompleted),
        ]);
        assert_eq!(rule(&p, &electives_lost), ProgrammeState::NotCompleted);
        // Module 2 counted without its prerequisite 1: not yet.
        let without_prerequisite =
            states(&[(1, M::InProgress), (2, M::Completed), (3, M::Completed)]);
        assert_eq!(rule(&p, &without_prerequisite), ProgrammeState::InProgress);
    }
}
