//! The cohort import's `edicion` column (issue 64): a cohort of the file attached to an
//! existing edition of a programme of its provider, as the module of its course. Checked with
//! the file (all or nothing): the edition known (by id or name), the cohort's course a module
//! of its programme, that module without a cohort (in the edition or earlier in the file), the
//! cohort without direct enrolments and in no other edition, and in time with the modules it
//! comes after and before, the edition without people yet (they are in every module or in
//! none). Attached in the import's transaction, audited.

use crate::audit::{self, Change};
use crate::entities::values::{EnrolmentStatus, ProgrammeEnrolmentStatus};
use crate::entities::{
    enrolment, programme, programme_edition, programme_edition_cohort, programme_enrolment,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::programmes::editions::{self, Edition};
use crate::rows::Rows;
use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

pub const COL_EDITION: &str = "edicion";

/// The module a cohort of the file becomes: its edition and course.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attachment {
    pub edition_id: i32,
    pub course_id: i32,
}

/// What the check of a file remembers between its rows: the editions read (by provider) and
/// the modules earlier rows already take.
#[derive(Default)]
pub struct Editions {
    /// The editions of each provider's programmes.
    of_provider: HashMap<i32, Vec<programme_edition::Model>>,
    loaded: HashMap<i32, Edition>,
    taken: HashSet<(i32, i32)>,
}

/// The cohort a row describes, as far as the edition's rules read it.
pub struct Row<'a> {
    pub row: usize,
    /// The cell's text (an edition's id or name).
    pub named: &'a str,
    pub provider_id: i32,
    pub course_id: i32,
    pub cohort_name: &'a str,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    /// The cohort already recorded for the reference, when it exists.
    pub existing: Option<i32>,
}

impl Editions {
    /// The edition of `provider` that `named` names: its id, or its name (accents and case
    /// aside).
    async fn find<C: ConnectionTrait>(
        &mut self,
        db: &C,
        provider: i32,
        named: &str,
    ) -> AppResult<Option<i32>> {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.of_provider.entry(provider) {
            let programmes: Vec<i32> = programme::Entity::find()
                .filter(programme::Column::ProviderId.eq(provider))
                .all_mapped(db, |p| p.id)
                .await?;
            let found = programme_edition::Entity::find()
                .filter(programme_edition::Column::ProgrammeId.is_in(programmes))
                .all(db)
                .await?;
            slot.insert(found);
        }
        let wanted = crate::text::fold(named.trim());
        let by_id = named.trim().parse::<i32>().ok();
        Ok(self.of_provider[&provider]
            .iter()
            .find(|e| Some(e.id) == by_id || crate::text::fold(e.name.trim()) == wanted)
            .map(|e| e.id))
    }

    /// Checks the row's `edicion`; the module it attaches, or its problems in `errors`.
    pub async fn check<C: ConnectionTrait>(
        &mut self,
        db: &C,
        row: &Row<'_>,
        errors: &mut Vec<FieldError>,
    ) -> AppResult<Option<Attachment>> {
        let problem = |message: String| FieldError::in_row(row.row, COL_EDITION, message);
        let Some(edition_id) = self.find(db, row.provider_id, row.named).await? else {
            errors.push(problem(format!(
                "No existe la edición «{}» en los programas de su oferente (escriba su número o su nombre).",
                row.named
            )));
            return Ok(None);
        };
        if let std::collections::hash_map::Entry::Vacant(slot) = self.loaded.entry(edition_id) {
            slot.insert(editions::load(db, edition_id).await?);
        }
        let edition = &self.loaded[&edition_id];
        let Some(module) = edition.programme.module(row.course_id) else {
            errors.push(problem(format!(
                "El curso de «{}» no es módulo de «{}»: la cohorte no puede ser parte de la edición «{}».",
                row.cohort_name, edition.programme.name, edition.row.name
            )));
            return Ok(None);
        };
        let mut problems = Vec::new();
        match edition.cohorts.get(&row.course_id) {
            Some(held) if Some(held.id) == row.existing => return Ok(None),
            Some(held) => problems.push(problem(format!(
                "El módulo «{}» de la edición «{}» ya tiene cohorte («{}»).",
                module.course_name, edition.row.name, held.name
            ))),
            None if self.taken.contains(&(edition_id, row.course_id)) => {
                problems.push(problem(format!(
                    "El módulo «{}» de la edición «{}» ya tiene cohorte en una fila anterior del archivo.",
                    module.course_name, edition.row.name
                )))
            }
            None => {}
        }
        let people = programme_enrolment::Entity::find()
            .filter(programme_enrolment::Column::EditionId.eq(edition_id))
            .filter(programme_enrolment::Column::Status.ne(ProgrammeEnrolmentStatus::Cancelled))
            .count(db)
            .await?;
        if people > 0 {
            // Its people are in every module or in none: a module added now would leave them
            // out of it.
            problems.push(problem(format!(
                "La edición «{}» ya tiene {people} persona(s) inscrita(s) o en espera: un módulo se le agrega antes de abrir inscripciones.",
                edition.row.name
            )));
        }
        if let Some(id) = row.existing {
            if let Some(other) = editions::of_cohort(db, id).await? {
                problems.push(problem(format!(
                    "La cohorte «{}» ya es módulo de la edición «{}».",
                    row.cohort_name, other.name
                )));
            }
            let direct = enrolment::Entity::find()
                .filter(enrolment::Column::CohortId.eq(id))
                .filter(enrolment::Column::Status.ne(EnrolmentStatus::Cancelled))
                .count(db)
                .await?;
            if direct > 0 {
                problems.push(problem(format!(
                    "La cohorte «{}» ya tiene {direct} inscripción(es) directa(s): una edición se arma con cohortes sin inscritos.",
                    row.cohort_name
                )));
            }
        }
        for other in &edition.programme.modules {
            let Some(cohort) = edition.cohorts.get(&other.course_id) else {
                continue;
            };
            if module.after.contains(&other.course_id) && row.start_date < cohort.end_date {
                problems.push(problem(format!(
                    "«{}» empieza el {}, antes de que termine «{}» ({}), que es su prerrequisito.",
                    row.cohort_name,
                    crate::format::date(row.start_date),
                    cohort.name,
                    crate::format::date(cohort.end_date)
                )));
            }
            if other.after.contains(&row.course_id) && cohort.start_date < row.end_date {
                problems.push(problem(format!(
                    "«{}» termina el {}, después de que empiece «{}» ({}), que va después de este módulo.",
                    row.cohort_name,
                    crate::format::date(row.end_date),
                    cohort.name,
                    crate::format::date(cohort.start_date)
                )));
            }
        }
        if !problems.is_empty() {
            errors.extend(problems);
            return Ok(None);
        }
        self.taken.insert((edition_id, row.course_id));
        Ok(Some(Attachment {
            edition_id,
            course_id: row.course_id,
        }))
    }
}

#[derive(Serialize)]
struct Attached {
    edition_id: i32,
    course_id: i32,
    cohort_id: i32,
}

/// Attaches `cohort_id` to the edition as the module of its course (the import's save).
pub async fn attach<C: ConnectionTrait>(
    db: &C,
    actor: i32,
    attachment: Attachment,
    cohort_id: i32,
) -> AppResult<()> {
    programme_edition_cohort::ActiveModel {
        edition_id: Set(attachment.edition_id),
        course_id: Set(attachment.course_id),
        cohort_id: Set(cohort_id),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => AppError::Conflict(
            "El módulo ya tiene cohorte en la edición, o la cohorte ya es de otra edición.".into(),
        ),
        _ => AppError::from(e),
    })?;
    audit::record(
        db,
        Change {
            actor: Some(actor),
            action: "programme_edition.module_imported",
            subject_type: "programme_edition",
            subject_id: attachment.edition_id.to_string(),
            before: None,
            after: serde_json::to_value(Attached {
                edition_id: attachment.edition_id,
                course_id: attachment.course_id,
                cohort_id,
            })
            .ok(),
        },
    )
    .await
}
