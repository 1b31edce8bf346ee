//! `/api/v1`: enrolling (self or by a coordinator), rosters, my enrolments, cancelling.

use crate::accounts::guards::{CurrentUser, ParticipantUser, StaffUser};
use crate::api::{Created, List, created};
use crate::error::AppResult;
use crate::mail::Mailer;
use crate::openapi::responses::{Conflict, Forbidden, NotFound, PayloadTooLarge};
use crate::parse::QueryFlag;
use crate::web::import::upload_error;
use domain::cohorts;
use domain::cohorts::scope::CohortScope;
use domain::enrolment::import::EnrolmentImport;
use domain::enrolment::invitations::{self, InvitationRow, InvitationView, Named, StaffEnrolment};
use domain::enrolment::{EnrolmentView, RosterRow};
use domain::entities::values::{DocumentType, EnrolmentStatus, Role};
use domain::error::AppError;
use domain::habeas::declared::Declared;
use domain::people::scope::PersonScope;
use rocket::Either;
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{Route, State, delete, get, post, routes};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};

pub fn routes() -> Vec<Route> {
    routes![
        enrol,
        roster,
        mine,
        cancel,
        admit,
        import,
        import_template,
        cohort_invitations,
        invitation,
        accept_invitation,
        decline_invitation
    ]
}

/// Participants send no body. Staff name the person by `participant_id`, or by
/// `document_type` + `document_number`.
#[derive(Default, Deserialize, utoipa::ToSchema)]
#[schema(as = EnrolRequest)]
struct EnrolBody {
    participant_id: Option<i32>,
    #[schema(value_type = Option<DocumentType>)]
    document_type: Option<String>,
    #[schema(example = "1098765432")]
    document_number: Option<String>,
    /// Staff only. Skip the territory and enrolment-window checks; requires `override_reason`.
    override_eligibility: Option<bool>,
    /// Required (non-empty) with `override_eligibility`; audited.
    #[schema(example = "Única funcionaria de planeación del municipio.")]
    override_reason: Option<String>,
}

/// The answer to a coordinator who named a person it does not reach (issue 46): nothing about
/// her, whether she exists, has an account or was already invited.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = EnrolmentInvited)]
struct Invited {
    /// Always `invited`.
    #[schema(example = "invited")]
    status: &'static str,
}

/// Enrol in a cohort (self or, for staff, someone else)
///
/// Roles: participant (no body: enrols themself; a participant account without a profile →
/// 403) or staff (body names the person by `participant_id` or by `document_type` +
/// `document_number`). Instructors and reviewers → 403. The cohort must be visible to the
/// caller (otherwise 404; drafts are invisible to participants; staff: the cohorts they
/// manage).
///
/// Enrolled while seats last, then waitlisted (first come, first served). Cohort not `open`,
/// or today outside the enrolment window → 409; already enrolled or waitlisted → 409; the
/// person's municipality not targeted → 422 (`municipality_code`). Staff may send
/// `override_eligibility: true` **with** an `override_reason` (required, 422 otherwise) to
/// skip the territory and window checks (not the cohort status). The person is e-mailed.
///
/// **Issue 46, staff naming someone else**: the person is enrolled directly (201) only when
/// the caller already reaches her — ESAP's national coordinators and admins everybody (an
/// unknown person is a 422 for them); a territorial direction's coordinator people of its
/// departments (registered there or enrolled for one of their municipalities, and enrolled
/// here for one of them); another provider's coordinator people enrolled in one of its
/// provider's cohorts. The override never widens this. Anyone else, an unknown id or document
/// included, answers **202** `{"status": "invited"}` with nothing about the person: if she has
/// an account she is emailed an invitation (who asks, the course and cohort) and is enrolled
/// only if she accepts it (`POST /invitations/{token}/acceptance`), with the override if one
/// was sent. The same request while its invitation is pending answers the same and sends
/// nothing. A cohort holds at most twice its seats (at least 10) pending invitations: beyond,
/// 422 on the field that named the person.
#[utoipa::path(
    tag = "enrolments",
    operation_id = "enrol",
    params(("id" = i32, Path, description = "Cohort id.", example = 1)),
    request_body = Option<EnrolBody>,
    responses(
        (status = 201, description = "Enrolment created.", body = EnrolmentView),
        (status = 202, description = "Staff named a person they do not reach: invited (or nobody), nothing said of her.", body = Invited),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[post("/cohorts/<id>/enrolments", data = "<body>")]
async fn enrol(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    user: CurrentUser,
    id: i32,
    body: crate::api::OptionalJson<EnrolBody>,
) -> AppResult<Either<Created<EnrolmentView>, (Status, Json<Invited>)>> {
    let body = body.0.unwrap_or_default();
    if user.role == Role::Participant {
        // Decided at the cohort's desk, together with whoever enrols at the same moment.
        let view = domain::enrolment::desk::enrol_self(db, &notifier, id, &user).await?;
        return Ok(Either::Left(created(view)));
    }
    let outcome = domain::db::write(db, async |txn| match user.role {
        Role::Admin | Role::Coordinator => {
            // The cohort first (404 beyond the coordinator's), then what was asked.
            cohorts::find_in_scope(txn, &CohortScope::of(Some(&user)), id).await?;
            let named = Named::parse(
                body.participant_id,
                body.document_type.as_deref(),
                body.document_number.as_deref(),
            )?;
            let override_reason = match body.override_eligibility {
                Some(true) => Some(body.override_reason.clone().unwrap_or_default()),
                _ => None,
            };
            invitations::enrol_named(txn, &notifier, &user, id, &named, override_reason).await
        }
        _ => {
            // Others see the cohort (or not: 404) but do not enrol.
            cohorts::find_in_scope(txn, &CohortScope::of(Some(&user)), id).await?;
            Err(AppError::Forbidden)
        }
    })
    .await?;
    Ok(match outcome {
        StaffEnrolment::Enrolled { view, .. } => Either::Left(created(view)),
        StaffEnrolment::Invited => {
            Either::Right((Status::Accepted, Json(Invited { status: "invited" })))
        }
    })
}

/// The roster of a cohort
///
/// Roles: staff, the cohort's instructors, reviewers in scope (the people of their
/// department; participants → 403; other cohorts → 404). Enrolled people first (by name),
/// then the waiting list in order, then cancelled. Returned whole (not paginated).
#[utoipa::path(
    tag = "enrolments",
    operation_id = "listCohortEnrolments",
    params(("id" = i32, Path, description = "Cohort id.", example = 1)),
    responses(
        (status = 200, description = "The roster.", body = List<RosterRow>),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
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
    let items = domain::enrolment::roster(db.inner(), id, &PersonScope::of(&user)).await?;
    let total = items.len() as u64;
    Ok(Json(List {
        items,
        total,
        page: 1,
        per_page: total.max(1),
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
struct MyEnrolment {
    id: i32,
    cohort_id: i32,
    cohort_name: String,
    status: EnrolmentStatus,
    #[schema(minimum = 1)]
    waitlist_position: Option<u64>,
    start_date: chrono::NaiveDate,
    end_date: chrono::NaiveDate,
}

/// The caller's enrolments
///
/// Roles: participant. Newest first; returned whole (empty when the caller has no
/// participant profile).
#[utoipa::path(
    tag = "enrolments",
    operation_id = "listMyEnrolments",
    responses(
        (status = 200, description = "The caller's enrolments.", body = List<MyEnrolment>),
        (status = 403, response = Forbidden),
    )
)]
#[get("/me/enrolments")]
async fn mine(
    db: &State<DatabaseConnection>,
    me: ParticipantUser,
) -> AppResult<Json<List<MyEnrolment>>> {
    let Some(person) = domain::people::profile::participant_of_user(db.inner(), me.id).await?
    else {
        return Ok(Json(List {
            items: vec![],
            total: 0,
            page: 1,
            per_page: 1,
        }));
    };
    let rows = domain::enrolment::of_participant_with_cohorts(db.inner(), person.id).await?;
    let mut items = Vec::with_capacity(rows.len());
    for (row, cohort) in rows {
        items.push(MyEnrolment {
            id: row.id,
            cohort_id: cohort.id,
            cohort_name: cohort.name.clone(),
            status: row.status,
            waitlist_position: domain::enrolment::waitlist_position(db.inner(), &row).await?,
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

#[derive(Default, Deserialize, utoipa::ToSchema)]
#[schema(as = CancelEnrolmentRequest)]
struct CancelBody {
    /// Why (optional); kept with the enrolment.
    #[schema(max_length = 500)]
    reason: Option<String>,
}

/// Cancel an enrolment
///
/// Roles: the participant themself (their own enrolments; others → 404) or staff.
/// Instructors and reviewers → 403. An optional JSON body may give a `reason`. Answers 200
/// with the new status. Frees the seat and promotes the first waitlisted person, who is
/// e-mailed. Already cancelled or finished, or cohort closed or cancelled → 409.
#[utoipa::path(
    tag = "enrolments",
    operation_id = "cancelEnrolment",
    params(("id" = i32, Path, description = "Enrolment id.", example = 1)),
    request_body = Option<CancelBody>,
    responses(
        (status = 200, description = "The cancelled enrolment.", body = EnrolmentView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
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
    let view = domain::db::write(db, async |txn| {
        domain::enrolment::cancel(txn, &notifier, &user, id, reason.as_deref()).await
    })
    .await?;
    Ok(Json(view))
}

/// Admit a waitlisted person now
///
/// Roles: staff. The cohort gets one more seat for this person (seats stay a hard limit);
/// the person is e-mailed. Not waitlisted → 409. Audited.
///
/// **Extension** (not in api-v1.md): coordinators sometimes must admit a specific person
/// (e.g. the only official of a municipality) ahead of the waiting list.
#[utoipa::path(
    tag = "enrolments",
    operation_id = "admitFromWaitlist",
    params(("id" = i32, Path, description = "Enrolment id.", example = 1)),
    responses(
        (status = 200, description = "The enrolment, now `enrolled`.", body = EnrolmentView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[post("/enrolments/<id>/admit")]
async fn admit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    staff: StaffUser,
    id: i32,
) -> AppResult<Json<EnrolmentView>> {
    let view = domain::db::write(db, async |txn| {
        domain::enrolment::admit_from_waitlist(txn, &notifier, &staff, id).await
    })
    .await?;
    Ok(Json(view))
}

/// Enrol people from a spreadsheet (.xlsx or .csv)
///
/// Roles: staff. One row per person with the participant fields (see the template); people
/// are matched by document or created, then enrolled or waitlisted. **All or nothing**: any
/// bad row → 422 with `errors: [{row, field, message}]` (row 1 is the header) and nothing
/// written. `dry_run=true` validates and reports per row what would happen without writing.
/// Cohort not `open` → 409. File above 5 MiB → 413; file missing or unreadable → 422
/// (`field: file`); more than 5,000 data rows, 250,000 cells, 200 columns or a cell over
/// 2,000 characters → 422 on `file` saying the limit. The file is parsed before the write
/// transaction opens.
///
/// **Extension** (issue 67, Ley 1581 de 2012): calling the import is the integrator's
/// declaration that every person of the file authorized the treatment of her data. Each person
/// the import creates gets that authorization recorded (`source: import`, the calling account
/// as declarer), with the optional multipart field `authorization_source` as its source (e.g.
/// «Formato físico de inscripción firmado el 12/11/2026»; one line, ≤ 300 characters, 422
/// otherwise); without it the source reads «Declarada por el integrador al importar por API
/// (sin fuente indicada)». She sees where it comes from in «Mis datos».
#[utoipa::path(
    tag = "enrolments",
    operation_id = "importEnrolments",
    params(
        ("id" = i32, Path, description = "Cohort id.", example = 1),
        ("dry_run" = Option<domain::parse::QueryBool>, Query, description = "`true`: validate and preview without writing (default `false`)."),
    ),
    request_body(content = EnrolmentUpload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "What was (or, in a dry run, would be) done.", body = domain::enrolment::import::ImportSummary),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
    )
)]
#[post("/cohorts/<id>/enrolments/import?<dry_run>", data = "<upload>")]
async fn import(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    staff: StaffUser,
    id: i32,
    dry_run: QueryFlag,
    upload: Result<rocket::form::Form<EnrolmentUpload<'_>>, rocket::form::Errors<'_>>,
) -> AppResult<Json<domain::enrolment::import::ImportSummary>> {
    let dry_run = dry_run.or("dry_run", false)?;
    let upload = upload.map_err(upload_error)?;
    let declared = Declared::from_api(upload.authorization_source.as_deref())?;
    let opening = EnrolmentImport::open(db.inner(), &staff, &notifier, id, Some(&declared));
    crate::web::import::answer(db, opening, &upload.file, dry_run).await
}

/// The enrolment import's multipart body: the file and, optionally, where the people's
/// authorization to treat their data comes from (issue 67).
#[derive(rocket::FromForm, utoipa::ToSchema)]
pub struct EnrolmentUpload<'r> {
    /// The `.xlsx` or `.csv` file, at most 5 MiB.
    #[schema(value_type = String, format = Binary)]
    pub file: rocket::fs::TempFile<'r>,
    /// Where the authorization of the people the file creates comes from (Ley 1581 de 2012),
    /// e.g. «Formato físico de inscripción firmado el 12/11/2026»; one line, ≤ 300 characters.
    /// Calling the import declares it; absent, the record says it was declared without a
    /// source.
    #[schema(example = "Formato físico de inscripción firmado el 12/11/2026")]
    pub authorization_source: Option<String>,
}

/// The import template
///
/// Roles: staff. One sheet with Spanish headers, an example row and drop-down lists; every
/// column in Text format (`plantilla-inscripciones.xlsx`).
#[utoipa::path(
    tag = "enrolments",
    operation_id = "downloadImportTemplate",
    params(("id" = i32, Path, description = "Cohort id.", example = 1)),
    responses(
        (status = 200, response = crate::openapi::responses::Workbook),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[get("/cohorts/<id>/enrolments/import-template.xlsx")]
async fn import_template(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
) -> AppResult<crate::spreadsheets::download::Download> {
    template_download(db, &staff, id).await
}

/// The import template of a cohort the caller manages (the API's and the cohort page's link).
pub async fn template_download(
    db: &DatabaseConnection,
    staff: &StaffUser,
    id: i32,
) -> AppResult<crate::spreadsheets::download::Download> {
    cohorts::find_managed(db, staff, id).await?;
    Ok(crate::spreadsheets::download::Download::xlsx(
        "plantilla-inscripciones.xlsx",
        domain::enrolment::import::template().await?,
    ))
}

/// A cohort's invitations
///
/// Roles: staff who manage the cohort (others → 404). **Extension** (issue 46): the people a
/// coordinator named and did not reach, as typed — «Participante n.º 17», a document by its
/// last four digits, «CC terminado en 2345» — never a name or a full document; with each
/// one's state (`pending`, `accepted`, `declined`, `expired`: past the cohort's enrolment, or
/// the cohort no longer open) and, once accepted, the enrolment. Newest first, returned whole
/// (a cohort holds at most twice its seats pending).
#[utoipa::path(
    tag = "enrolments",
    operation_id = "listCohortInvitations",
    params(("id" = i32, Path, description = "Cohort id.", example = 1)),
    responses(
        (status = 200, description = "The invitations.", body = List<InvitationRow>),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[get("/cohorts/<id>/invitations")]
async fn cohort_invitations(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
) -> AppResult<Json<List<InvitationRow>>> {
    let items = invitations::for_cohort(db.inner(), &staff, id).await?;
    Ok(Json(List::whole(items)))
}

/// An invitation to enrol, by its emailed token
///
/// Roles: the person it names, signed in as herself; anyone else, an unknown token included →
/// 404. **Extension** (issue 46): who asks (name and organisation), the course and cohort
/// (dates, modality, venue), its state and until when it may be answered.
#[utoipa::path(
    tag = "enrolments",
    operation_id = "getInvitation",
    params(("token" = String, Path, description = "The token of the emailed link.")),
    responses(
        (status = 200, description = "The invitation.", body = InvitationView),
        (status = 404, response = NotFound),
    )
)]
#[get("/invitations/<token>")]
async fn invitation(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    token: &str,
) -> AppResult<Json<InvitationView>> {
    Ok(Json(invitations::by_link(db.inner(), &user, token).await?))
}

/// Accept an invitation to enrol
///
/// Roles: the person it names (anyone else → 404). **Extension** (issue 46): runs her
/// enrolment as if she enrolled herself — seats, quotas, waiting list, eligibility — with the
/// inviter's override if it sent one (then skipping the territory and the window). Answers 201
/// with the enrolment (`enrolled` or `waitlisted`); the invitation is answered (no longer
/// pending, expired, or the cohort closed) → 409; not eligible → 422. Audited.
#[utoipa::path(
    tag = "enrolments",
    operation_id = "acceptInvitation",
    params(("token" = String, Path, description = "The token of the emailed link.")),
    responses(
        (status = 201, description = "Enrolled (or waitlisted).", body = EnrolmentView),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[post("/invitations/<token>/acceptance")]
async fn accept_invitation(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    user: CurrentUser,
    token: &str,
) -> AppResult<Created<EnrolmentView>> {
    let view = domain::db::write(db, async |txn| {
        invitations::accept(txn, &notifier, &user, token).await
    })
    .await?;
    Ok(created(view))
}

/// Decline an invitation to enrol
///
/// Roles: the person it names (anyone else → 404). **Extension** (issue 46): the invitation
/// is answered and she is not enrolled; no longer pending → 409. Audited.
#[utoipa::path(
    tag = "enrolments",
    operation_id = "declineInvitation",
    params(("token" = String, Path, description = "The token of the emailed link.")),
    responses(
        (status = 200, description = "The invitation, declined.", body = InvitationView),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[post("/invitations/<token>/decline")]
async fn decline_invitation(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    token: &str,
) -> AppResult<Json<InvitationView>> {
    let view = domain::db::write(db, async |txn| {
        invitations::decline(txn, &user, token).await
    })
    .await?;
    Ok(Json(view))
}
