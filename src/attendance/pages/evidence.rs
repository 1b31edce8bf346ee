//! A session's evidence on its attendance page (issue 66): the photos and scans of the signed
//! sheet listed for those who may read them, uploaded by the session's instructors and staff
//! in scope, downloaded with the session cookie.

use super::*;
use crate::knowledge::api::{ResourceDownload, read_upload};
use crate::web::PageResult;
use domain::attendance::evidence;
use domain::knowledge::storage::Storage;
use rocket::fs::TempFile;

/// `view` with the session's evidence when `user` may read it (the offline copy keeps none).
pub(super) async fn with_evidence(
    db: &DatabaseConnection,
    user: &CurrentUser,
    mut view: SessionFormView,
) -> AppResult<SessionFormView> {
    if view.offline_copy {
        return Ok(view);
    }
    match evidence::list(db, user, view.session.id).await {
        Ok(items) => {
            view.evidence = items;
            view.evidence_shown = true;
        }
        // Participants and liaisons do not read it: the page shows no section.
        Err(AppError::Forbidden) => {}
        Err(error) => return Err(error.into()),
    }
    Ok(view)
}

#[derive(FromForm)]
pub(super) struct EvidenceUpload<'r> {
    #[field(default = String::new())]
    pub(super) csrf_token: String,
    pub(super) file: Option<TempFile<'r>>,
}

impl crate::web::csrf::CsrfProtected for EvidenceUpload<'_> {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// «Subir la evidencia»: kept like the API's (`POST /api/v1/sessions/{id}/evidence`), then
/// back to the session's page with a message; refused → the page again (422) with the
/// problem beside the file field.
#[post("/seguimiento/sesiones/<id>/evidencia", data = "<form>")]
pub(super) async fn evidence_submit(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    page: Page<'_>,
    user: CurrentUser,
    id: i32,
    form: CsrfForm<EvidenceUpload<'_>>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let storage = Storage::of(config);
    let result = async {
        // Who may not attach evidence hears so before any word about the file.
        let (_, _, access) = session_access(db.inner(), &user, id).await?;
        access.require_manage()?;
        let upload = read_upload(form.file.as_ref())
            .await?
            .ok_or_else(|| AppError::invalid("file", "Elija el archivo de la planilla firmada."))?;
        domain::db::write(db.inner(), async |txn| {
            evidence::upload(txn, &user, id, upload, &storage).await
        })
        .await
    }
    .await;
    crate::web::form::saved_or_again(
        result,
        |view| {
            Flash::success(
                Redirect::to(format!("{}#evidencia", session_url(id))),
                format!("Evidencia guardada: «{}».", view.file_name),
            )
        },
        async |errors| {
            let (session, cohort, access) = session_access(db.inner(), &user, id).await?;
            let context = session_context(
                db.inner(),
                &session,
                &cohort,
                &access,
                None,
                None,
                &[],
                false,
            )
            .await?;
            let context = with_evidence(db.inner(), &user, context).await?;
            page.render_refused(
                "attendance_session",
                &format!("Asistencia · {}", session.topic),
                context,
                &errors,
            )
        },
    )
    .await
}

/// One evidence file, for the same readers as the API's
/// (`GET /api/v1/sessions/{id}/evidence/{evidence_id}`), with the session cookie.
#[get("/seguimiento/sesiones/<id>/evidencia/<evidence_id>")]
pub(super) async fn evidence_download(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    user: CurrentUser,
    id: i32,
    evidence_id: i32,
) -> AppResult<ResourceDownload> {
    let download =
        evidence::download(db.inner(), &user, id, evidence_id, &Storage::of(config)).await?;
    Ok(ResourceDownload::open(download).await?)
}
