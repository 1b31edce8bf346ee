//! `POST /api/v1/programme-editions/{id}/certificates` (issue 64, item 5): the coordinator
//! issues the programme's certificate to every person of the edition who met its rule. The
//! certificates are verified, downloaded and served as credentials at the certificates' own
//! URLs (`certificates::api`, `credentials::api`).

use crate::accounts::guards::StaffUser;
use crate::api::{Created, created};
use crate::error::AppResult;
use crate::mail::Mailer;
use crate::openapi::responses::{Forbidden, NotFound};
use domain::programmes::certificates::{self, EditionOutcome};
use rocket::{Route, State, post, routes};
use sea_orm::DatabaseConnection;

pub fn routes() -> Vec<Route> {
    routes![issue]
}

/// Issue the programme certificates of an edition
///
/// Roles: staff who manage the edition (404 otherwise). Issues the programme's certificate to
/// every person enrolled in the edition (within the caller's scope) who met the programme's
/// rule — every required module completed or recognised, the electives required, each module
/// after its prerequisites — and holds no valid certificate of the programme yet; the others
/// are listed in `skipped` with the reason (the modules still missing). Issuing again issues
/// nothing new. Each certificate is a snapshot listing the modules that counted, their hours
/// and each module's certificate code; it is verified at `GET /certificates/{code}` and its
/// PDF and credential are served like a course certificate's. Each person is e-mailed the
/// PDF. Audited.
#[utoipa::path(
    tag = "programmes",
    operation_id = "issueProgrammeCertificates",
    params(("id" = i32, Path, description = "Edition id.", example = 1)),
    responses(
        (status = 201, description = "Issued and skipped.", body = EditionOutcome),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = crate::openapi::responses::ValidationFailed),
    )
)]
#[post("/programme-editions/<id>/certificates")]
pub async fn issue(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    staff: StaffUser,
    id: i32,
) -> AppResult<Created<EditionOutcome>> {
    let outcome = certificates::issue_for_edition(db, &notifier, &staff, id).await?;
    Ok(created(outcome))
}
