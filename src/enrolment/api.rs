//! `/api/v1`: enrolling (self or by a coordinator), rosters, my enrolments, cancelling.

use super::import::EnrolmentImport;
use super::{EnrolmentView, Requester, RosterRow};
use crate::accounts::guards::{CurrentUser, ParticipantUser, StaffUser};
use crate::api::{Created, List, created};
use crate::cohorts;
use crate::cohorts::scope::CohortScope;
use crate::entities::values::{DocumentType, EnrolmentStatus, Role};
use crate::entities::{cohort, enrolment, participant};
use crate::error::{AppError, AppResult};
use crate::mail::Mailer;
use crate::parse::QueryFlag;
use crate::people::scope::PersonScope;
use crate::web::import::{Upload, upload_error};
use rocket::serde::json::Json;
use rocket::{Route, State, delete, get, post, routes};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};

pub fn routes() -> Vec<Route> {
    routes![enrol, roster, mine, cancel, admit, import, import_template]
}

#[derive(Default, Deserialize)]
struct EnrolBody {
    participant_id: Option<i32>,
    document_type: Option<String>,
    document_number: Option<String>,
    override_eligibility: Option<bool>,
    override_reason: Option<String>,
}

/// The participant a coordinator names, by id or by document.
pub async fn participant_for(
    db: &impl sea_orm::ConnectionTrait,
    id: Option<i32>,
    document_type: Option<&str>,
    document_number: Option<&str>,
) -> AppResult<participant::Model> {
    if let Some(id) = id {
        return participant::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or_else(|| AppError::invalid("participant_id", "No existe ese participante."))
            .map_err(Into::into);
    }
    let kind = document_type
        .and_then(|t| DocumentType::parse(t.trim().to_uppercase().as_str()))
        .ok_or_else(|| {
            AppError::invalid(
                "document_type",
                "Indique el participante (participant_id) o su tipo y número de documento.",
            )
        })?;
    let number =
        crate::people::registration::normalize_document(kind, document_number.unwrap_or(""))
            .map_err(|m| AppError::invalid("document_number", m))?;
    participant::Entity::find()
        .filter(participant::Column::DocumentType.eq(kind))
        .filter(participant::Column::DocumentNumber.eq(number.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| {
            AppError::invalid(
                "document_number",
                format!(
                    "No hay ninguna persona registrada con {} {number}.",
                    kind.as_str()
                ),
            )
        })
        .map_err(Into::into)
}

#[post("/cohorts/<id>/enrolments", data = "<body>")]
async fn enrol(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    user: CurrentUser,
    id: i32,
    body: crate::api::OptionalJson<EnrolBody>,
) -> AppResult<Created<EnrolmentView>> {
    let body = body.0.unwrap_or_default();
    let txn = crate::db::begin(db).await?;
    cohorts::find_in_scope(&txn, &CohortScope::of(Some(&user)), id).await?;
    let view = match user.role {
        Role::Participant => {
            let me = crate::people::profile::participant_of_user(&txn, user.id)
                .await?
                .ok_or(AppError::Forbidden)?;
            super::enrol(&txn, &notifier, id, me.id, &Requester::Participant(&user)).await?
        }
        Role::Admin | Role::Coordinator => {
            let person = participant_for(
                &txn,
                body.participant_id,
                body.document_type.as_deref(),
                body.document_number.as_deref(),
            )
            .await?;
            let override_reason = match body.override_eligibility {
                Some(true) => Some(body.override_reason.clone().unwrap_or_default()),
                _ => None,
            };
            super::enrol(
                &txn,
                &notifier,
                id,
                person.id,
                &Requester::Staff {
                    user: &user,
                    override_reason,
                },
            )
            .await?
        }
        _ => return Err(AppError::Forbidden.into()),
    };
    txn.commit().await?;
    Ok(created(view))
}

#[get("/cohorts/<id>/enrolments")]
async fn roster(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Json<List<RosterRow>>> {
    if user.role == Role::Participant {
        return Err(AppError::Forbidden.into());
    }
    cohorts::find_in_scope(db.inner(), &CohortScope::of(Some(&user)), id).await?;
    let items = super::roster(db.inner(), id, &PersonScope::of(&user)).await?;
    let total = items.len() as u64;
    Ok(Json(List {
        items,
        total,
        page: 1,
        per_page: total.max(1),
    }))
}

#[derive(Serialize)]
struct MyEnrolment {
    id: i32,
    cohort_id: i32,
    cohort_name: String,
    status: EnrolmentStatus,
    waitlist_position: Option<u64>,
    start_date: chrono::NaiveDate,
    end_date: chrono::NaiveDate,
}

#[get("/me/enrolments")]
async fn mine(
    db: &State<DatabaseConnection>,
    me: ParticipantUser,
) -> AppResult<Json<List<MyEnrolment>>> {
    let Some(person) = crate::people::profile::participant_of_user(db.inner(), me.id).await? else {
        return Ok(Json(List {
            items: vec![],
            total: 0,
            page: 1,
            per_page: 1,
        }));
    };
    let rows = enrolment::Entity::find()
        .filter(enrolment::Column::ParticipantId.eq(person.id))
        .order_by_desc(enrolment::Column::Id)
        .find_also_related(cohort::Entity)
        .all(db.inner())
        .await?;
    let mut items = Vec::with_capacity(rows.len());
    for (row, cohort) in rows {
        let Some(cohort) = cohort else { continue };
        items.push(MyEnrolment {
            id: row.id,
            cohort_id: cohort.id,
            cohort_name: cohort.name.clone(),
            status: row.status,
            waitlist_position: super::waitlist_position(db.inner(), &row).await?,
            start_date: cohort.start_date,
            end_date: cohort.end_date,
        });
    }
    let total = items.len() as u64;
    Ok(Json(List {
        items,
        total,
        page: 1,
        per_page: total.max(1),
    }))
}

#[derive(Default, Deserialize)]
struct CancelBody {
    reason: Option<String>,
}

#[delete("/enrolments/<id>", data = "<body>")]
async fn cancel(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    user: CurrentUser,
    id: i32,
    body: crate::api::OptionalJson<CancelBody>,
) -> AppResult<Json<EnrolmentView>> {
    if !matches!(
        user.role,
        Role::Participant | Role::Admin | Role::Coordinator
    ) {
        return Err(AppError::Forbidden.into());
    }
    let reason = body.0.and_then(|b| b.reason);
    let txn = crate::db::begin(db).await?;
    let view = super::cancel(&txn, &notifier, &user, id, reason.as_deref()).await?;
    txn.commit().await?;
    Ok(Json(view))
}

#[post("/enrolments/<id>/admit")]
async fn admit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    staff: StaffUser,
    id: i32,
) -> AppResult<Json<EnrolmentView>> {
    let txn = crate::db::begin(db).await?;
    let view = super::admit_from_waitlist(&txn, &notifier, &staff, id).await?;
    txn.commit().await?;
    Ok(Json(view))
}

#[post("/cohorts/<id>/enrolments/import?<dry_run>", data = "<upload>")]
async fn import(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    staff: StaffUser,
    id: i32,
    dry_run: QueryFlag,
    upload: Result<rocket::form::Form<Upload<'_>>, rocket::form::Errors<'_>>,
) -> AppResult<Json<super::import::ImportSummary>> {
    let dry_run = dry_run.or("dry_run", false)?;
    let upload = upload.map_err(upload_error)?;
    let opening = EnrolmentImport::open(db.inner(), &staff, &notifier, id);
    crate::web::import::answer(db, opening, &upload.file, dry_run).await
}

#[get("/cohorts/<id>/enrolments/import-template.xlsx")]
async fn import_template(
    db: &State<DatabaseConnection>,
    _staff: StaffUser,
    id: i32,
) -> AppResult<crate::spreadsheets::Download> {
    cohorts::find(db.inner(), id).await?;
    Ok(crate::spreadsheets::Download::xlsx(
        "plantilla-inscripciones.xlsx",
        super::import::template()?,
    ))
}
