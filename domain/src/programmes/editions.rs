//! An edition (promoción) of a programme: one cohort per module, each a cohort of that
//! module's course that the coordinator manages, a module's cohort starting no earlier than
//! the end of the cohorts of the modules it comes after. Its territory and seats follow its
//! cohorts (seats: the smallest); its status, theirs.

use super::ProgrammeView;
use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::entities::values::{CohortStatus, EnrolmentStatus, ProgrammeEnrolmentStatus};
use crate::entities::{
    cohort, enrolment, programme, programme_edition, programme_edition_cohort, programme_enrolment,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::rows::Found;
use crate::rows::Rows;
use crate::validate;
use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// What a coordinator sends to build an edition.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct EditionInput {
    #[schema(example = "Diplomado en Gestión Pública Territorial · Caquetá 2027-I")]
    pub name: String,
    /// One cohort per module.
    #[schema(max_items = 30)]
    pub cohort_ids: Vec<i32>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = EditionCohort)]
pub struct EditionCohortView {
    pub cohort_id: i32,
    pub course_id: i32,
    pub cohort_name: String,
    pub course_name: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub status: CohortStatus,
    pub seats: i32,
    /// People enrolled in the module's cohort.
    pub enrolled: u64,
}

/// Where an edition stands, from its cohorts: `draft` (a cohort not yet open), `open` (all
/// open), `in_progress` (one has started), `closed` (all closed), `cancelled` (one cancelled).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EditionStatus {
    Draft,
    Open,
    InProgress,
    Closed,
    Cancelled,
}

impl EditionStatus {
    pub fn of(statuses: &[CohortStatus]) -> Self {
        use CohortStatus as S;
        if statuses.contains(&S::Cancelled) {
            EditionStatus::Cancelled
        } else if !statuses.is_empty() && statuses.iter().all(|s| *s == S::Closed) {
            EditionStatus::Closed
        } else if statuses
            .iter()
            .any(|s| matches!(s, S::InProgress | S::Closed))
        {
            EditionStatus::InProgress
        } else if !statuses.is_empty() && statuses.iter().all(|s| *s == S::Open) {
            EditionStatus::Open
        } else {
            EditionStatus::Draft
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EditionStatus::Draft => "En preparación",
            EditionStatus::Open => "Inscripciones abiertas",
            EditionStatus::InProgress => "En curso",
            EditionStatus::Closed => "Terminada",
            EditionStatus::Cancelled => "Cancelada",
        }
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ProgrammeEdition)]
pub struct EditionView {
    pub id: i32,
    pub programme_id: i32,
    pub programme_name: String,
    pub name: String,
    pub status: EditionStatus,
    pub status_label: &'static str,
    /// The smallest of its cohorts' seats.
    pub seats: i32,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    /// People enrolled in the edition.
    pub enrolled: u64,
    /// People on the edition's waiting list.
    pub waitlisted: u64,
    pub cohorts: Vec<EditionCohortView>,
}

/// An edition with what its rules read: the programme, its cohorts by module.
pub struct Edition {
    pub row: programme_edition::Model,
    pub programme: ProgrammeView,
    /// The cohort of each module, by course.
    pub cohorts: HashMap<i32, cohort::Model>,
}

impl Edition {
    /// Its cohorts in the programme's order of modules.
    pub fn ordered_cohorts(&self) -> Vec<&cohort::Model> {
        self.programme
            .modules
            .iter()
            .filter_map(|m| self.cohorts.get(&m.course_id))
            .collect()
    }

    pub fn cohort_ids(&self) -> Vec<i32> {
        let mut ids: Vec<i32> = self.cohorts.values().map(|c| c.id).collect();
        ids.sort_unstable();
        ids
    }

    /// A module without its cohort yet keeps the edition in preparation.
    pub fn status(&self) -> EditionStatus {
        let statuses: Vec<CohortStatus> = self.cohorts.values().map(|c| c.status).collect();
        match EditionStatus::of(&statuses) {
            EditionStatus::Open if !self.missing().is_empty() => EditionStatus::Draft,
            status => status,
        }
    }

    /// The modules that have no cohort in the edition yet (an edition may be built from the
    /// cohorts there are and completed later, e.g. by the cohort import's edition column; it
    /// takes no enrolment until every module has its cohort).
    pub fn missing(&self) -> Vec<&super::ModuleView> {
        self.programme
            .modules
            .iter()
            .filter(|m| !self.cohorts.contains_key(&m.course_id))
            .collect()
    }

    pub fn seats(&self) -> i32 {
        self.cohorts.values().map(|c| c.seats).min().unwrap_or(0)
    }
}

/// Loads an edition with its programme and cohorts (no scope: callers check it).
pub async fn load<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<Edition> {
    let row = programme_edition::Entity::find_by_id(id).found(db).await?;
    let found = programme::Entity::find_by_id(row.programme_id)
        .found(db)
        .await?;
    let programme = super::view_of(db, found).await?;
    let links = programme_edition_cohort::Entity::find()
        .filter(programme_edition_cohort::Column::EditionId.eq(id))
        .all(db)
        .await?;
    let by_id: HashMap<i32, cohort::Model> = cohort::Entity::find()
        .filter(cohort::Column::Id.is_in(links.iter().map(|l| l.cohort_id)))
        .all_mapped(db, |c| (c.id, c))
        .await?;
    let cohorts = links
        .into_iter()
        .filter_map(|l| Some((l.course_id, by_id.get(&l.cohort_id)?.clone())))
        .collect();
    Ok(Edition {
        row,
        programme,
        cohorts,
    })
}

/// The edition as `actor` reads it: staff who manage its programme, anyone signed in once
/// the programme is published (404 otherwise).
pub async fn find<C: ConnectionTrait>(db: &C, actor: &Actor, id: i32) -> AppResult<Edition> {
    let edition = load(db, id).await?;
    let found = programme::Entity::find_by_id(edition.row.programme_id)
        .found(db)
        .await?;
    if super::may_read(Some(actor), &found) {
        Ok(edition)
    } else {
        Err(AppError::NotFound)
    }
}

/// The edition `actor` manages: the programme's provider's staff, and a territorial
/// direction's coordinator only when every cohort of it is its own (404 otherwise).
pub async fn find_managed<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i32,
) -> AppResult<Edition> {
    let edition = load(db, id).await?;
    super::find_managed(db, actor, edition.row.programme_id).await?;
    for cohort in edition.cohorts.values() {
        crate::cohorts::find_managed(db, actor, cohort.id).await?;
    }
    Ok(edition)
}

/// The edition a cohort belongs to, if any: its id and name.
pub async fn of_cohort<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
) -> AppResult<Option<programme_edition::Model>> {
    let Some(link) = programme_edition_cohort::Entity::find()
        .filter(programme_edition_cohort::Column::CohortId.eq(cohort_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(programme_edition::Entity::find_by_id(link.edition_id)
        .one(db)
        .await?)
}

pub async fn view<C: ConnectionTrait>(db: &C, edition: &Edition) -> AppResult<EditionView> {
    let ids = edition.cohort_ids();
    let mut enrolled_in: HashMap<i32, u64> = HashMap::new();
    for id in &ids {
        let count = enrolment::Entity::find()
            .filter(enrolment::Column::CohortId.eq(*id))
            .filter(enrolment::Column::Status.is_in([
                EnrolmentStatus::Enrolled,
                EnrolmentStatus::Completed,
                EnrolmentStatus::NotCompleted,
            ]))
            .count(db)
            .await?;
        enrolled_in.insert(*id, count);
    }
    let count_of = |status: ProgrammeEnrolmentStatus| {
        programme_enrolment::Entity::find()
            .filter(programme_enrolment::Column::EditionId.eq(edition.row.id))
            .filter(programme_enrolment::Column::Status.eq(status))
            .count(db)
    };
    let enrolled = count_of(ProgrammeEnrolmentStatus::Enrolled).await?;
    let waitlisted = count_of(ProgrammeEnrolmentStatus::Waitlisted).await?;
    let cohorts: Vec<EditionCohortView> = edition
        .programme
        .modules
        .iter()
        .filter_map(|m| {
            let c = edition.cohorts.get(&m.course_id)?;
            Some(EditionCohortView {
                cohort_id: c.id,
                course_id: m.course_id,
                cohort_name: c.name.clone(),
                course_name: m.course_name.clone(),
                start_date: c.start_date,
                end_date: c.end_date,
                status: c.status,
                seats: c.seats,
                enrolled: enrolled_in.get(&c.id).copied().unwrap_or(0),
            })
        })
        .collect();
    let status = edition.status();
    Ok(EditionView {
        id: edition.row.id,
        programme_id: edition.programme.id,
        programme_name: edition.programme.name.clone(),
        name: edition.row.name.clone(),
        status,
        status_label: status.label(),
        seats: edition.seats(),
        start_date: cohorts.iter().map(|c| c.start_date).min(),
        end_date: cohorts.iter().map(|c| c.end_date).max(),
        enrolled,
        waitlisted,
        cohorts,
    })
}

/// The editions of a programme, newest first.
pub async fn of_programme<C: ConnectionTrait>(
    db: &C,
    programme_id: i32,
) -> AppResult<Vec<EditionView>> {
    let rows = programme_edition::Entity::find()
        .filter(programme_edition::Column::ProgrammeId.eq(programme_id))
        .order_by_desc(programme_edition::Column::Id)
        .all(db)
        .await?;
    let mut views = Vec::with_capacity(rows.len());
    for row in rows {
        views.push(view(db, &load(db, row.id).await?).await?);
    }
    Ok(views)
}

/// Every edition `actor` reads, newest first (bounded: the programmes it reads).
pub async fn list<C: ConnectionTrait>(db: &C, actor: &Actor) -> AppResult<Vec<EditionView>> {
    let mut views = Vec::new();
    for found in super::list(db, Some(actor)).await? {
        views.extend(of_programme(db, found.id).await?);
    }
    views.sort_by_key(|v| std::cmp::Reverse(v.id));
    Ok(views)
}

/// The audit row of an edition built.
#[derive(Serialize)]
struct Built<'a> {
    programme_id: i32,
    name: &'a str,
    cohort_ids: &'a [i32],
}

/// Builds an edition of a programme `actor` manages from `input.cohort_ids`, one per module.
/// Checked whole before anything is written.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    programme_id: i32,
    input: &EditionInput,
) -> AppResult<EditionView> {
    let found = super::find_managed(db, actor, programme_id).await?;
    let programme = super::view_of(db, found).await?;
    let mut errors = Vec::new();
    let name = match validate::single_line("name", &input.name, validate::TITLE_MAX) {
        Ok(Some(name)) => name,
        Ok(None) => {
            errors.push(FieldError::new("name", "Escriba el nombre de la edición."));
            String::new()
        }
        Err(error) => {
            errors.push(error);
            String::new()
        }
    };
    let by_course = check_cohorts(db, actor, &programme, &input.cohort_ids, &mut errors).await?;
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let at = crate::time::now();
    let saved = programme_edition::ActiveModel {
        programme_id: Set(programme.id),
        name: Set(name),
        created_by: Set(Some(actor.id)),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let links: Vec<programme_edition_cohort::ActiveModel> = by_course
        .iter()
        .map(|(course_id, c)| programme_edition_cohort::ActiveModel {
            edition_id: Set(saved.id),
            course_id: Set(*course_id),
            cohort_id: Set(c.id),
            ..Default::default()
        })
        .collect();
    programme_edition_cohort::Entity::insert_many(links)
        .exec(db)
        .await
        .map_err(|e| match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
                AppError::Conflict("Una de las cohortes ya pertenece a otra edición.".into())
            }
            _ => AppError::from(e),
        })?;
    audit::record(
        db,
        Change {
            actor: Some(actor.id),
            action: "programme_edition.created",
            subject_type: "programme_edition",
            subject_id: saved.id.to_string(),
            before: None,
            after: serde_json::to_value(Built {
                programme_id: programme.id,
                name: &saved.name,
                cohort_ids: &input.cohort_ids,
            })
            .ok(),
        },
    )
    .await?;
    view(db, &load(db, saved.id).await?).await
}

/// The cohorts' part of [`create`]: at most one per module (the others may come later), each
/// managed by `actor`, of the module's
/// course, in no other edition, with no direct enrolment, not closed or cancelled, and
/// starting no earlier than the end of the modules it comes after. The cohorts by course.
async fn check_cohorts<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    programme: &ProgrammeView,
    cohort_ids: &[i32],
    errors: &mut Vec<FieldError>,
) -> AppResult<HashMap<i32, cohort::Model>> {
    let mut by_course: HashMap<i32, cohort::Model> = HashMap::new();
    if cohort_ids.len() > super::MODULES_MAX {
        errors.push(FieldError::new(
            "cohort_ids",
            "Una edición tiene una cohorte por módulo.",
        ));
        return Ok(by_course);
    }
    let mut seen = HashSet::new();
    for (i, id) in cohort_ids.iter().enumerate() {
        let field = format!("cohort_ids[{i}]");
        if !seen.insert(*id) {
            errors.push(FieldError::new(field, "Esta cohorte está dos veces."));
            continue;
        }
        let cohort = match crate::cohorts::find_managed(db, actor, *id).await {
            Ok(cohort) => cohort,
            Err(AppError::NotFound) => {
                errors.push(FieldError::new(
                    field,
                    format!("No existe la cohorte {id} entre las que usted gestiona."),
                ));
                continue;
            }
            Err(other) => return Err(other),
        };
        let Some(module) = programme.module(cohort.course_id) else {
            errors.push(FieldError::new(
                field.clone(),
                format!(
                    "La cohorte «{}» es de un curso que no es módulo de «{}».",
                    cohort.name, programme.name
                ),
            ));
            continue;
        };
        if cohort.status.is_final() {
            errors.push(FieldError::new(
                field.clone(),
                format!(
                    "La cohorte «{}» está {}.",
                    cohort.name,
                    cohort.status.label().to_lowercase()
                ),
            ));
        }
        if let Some(other) = of_cohort(db, cohort.id).await? {
            errors.push(FieldError::new(
                field.clone(),
                format!(
                    "La cohorte «{}» ya es módulo de la edición «{}».",
                    cohort.name, other.name
                ),
            ));
        }
        let direct = enrolment::Entity::find()
            .filter(enrolment::Column::CohortId.eq(cohort.id))
            .filter(enrolment::Column::Status.ne(EnrolmentStatus::Cancelled))
            .count(db)
            .await?;
        if direct > 0 {
            errors.push(FieldError::new(
                field.clone(),
                format!(
                    "La cohorte «{}» ya tiene {direct} inscripción(es) directa(s): una edición se arma con cohortes sin inscritos.",
                    cohort.name
                ),
            ));
        }
        if by_course.contains_key(&module.course_id) {
            errors.push(FieldError::new(
                field,
                format!("El módulo «{}» ya tiene cohorte.", module.course_name),
            ));
            continue;
        }
        by_course.insert(module.course_id, cohort);
    }
    if cohort_ids.is_empty() {
        errors.push(FieldError::new(
            "cohort_ids",
            "Elija al menos la cohorte de un módulo.",
        ));
    }
    for module in &programme.modules {
        let Some(cohort) = by_course.get(&module.course_id) else {
            continue;
        };
        for after in &module.after {
            if let Some(before) = by_course.get(after)
                && cohort.start_date < before.end_date
            {
                errors.push(FieldError::new(
                    "cohort_ids",
                    format!(
                        "«{}» empieza el {}, antes de que termine «{}» ({}), que es su prerrequisito.",
                        cohort.name,
                        crate::format::date(cohort.start_date),
                        before.name,
                        crate::format::date(before.end_date)
                    ),
                ));
            }
        }
    }
    Ok(by_course)
}

#[cfg(test)]
mod tests {
    use super::*;
    use CohortStatus as S;

    #[test]
    fn an_edition_stands_where_its_cohorts_stand() {
        assert_eq!(EditionStatus::of(&[S::Open, S::Open]), EditionStatus::Open);
        assert_eq!(
            EditionStatus::of(&[S::Open, S::Draft]),
            EditionStatus::Draft
        );
        assert_eq!(
            EditionStatus::of(&[S::Closed, S::Open]),
            EditionStatus::InProgress
        );
        assert_eq!(
            EditionStatus::of(&[S::Closed, S::Closed]),
            EditionStatus::Closed
        );
        assert_eq!(
            EditionStatus::of(&[S::Closed, S::Cancelled]),
            EditionStatus::Cancelled
        );
    }
}
