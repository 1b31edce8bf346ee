//! `/api/v1/resources`: the knowledge bank (issue 48). A provider's coordinators add their
//! provider's resources (multipart: a file or a link) as drafts and publish or withdraw them;
//! anyone signed in searches the published ones, anonymous callers the public ones.

use crate::accounts::guards::{MaybeUser, StaffUser};
use crate::api::{Created, List, Paging, created};
use crate::error::{AppResult, DomainResult};
use crate::openapi::responses::{
    Conflict, Forbidden, Gone, NotFound, PayloadTooLarge, TooManyRequests, ValidationFailed,
};
use crate::web::client::ClientAddress;
use domain::config::AppConfig;
use domain::error::AppError;
use domain::knowledge::downloads::Visitor;
use domain::knowledge::files::Upload;
use domain::knowledge::storage::Storage;
use domain::knowledge::{self, Filter, ResourceInput, ResourceView};
use rocket::form::{Errors, Form};
use rocket::fs::TempFile;
use rocket::http::{ContentType, Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{self, Responder, Response};
use rocket::serde::json::Json;
use rocket::{FromForm, Route, State, delete, get, post, routes};
use sea_orm::DatabaseConnection;
use std::io::Cursor;
use std::net::IpAddr;

pub fn routes() -> Vec<Route> {
    routes![list, create, show, file, publish, unpublish, remove]
}

/// The multipart body of a new resource: `file` or `url`, and the fields of
/// [`ResourceInput`]. Lists (`capacity_ids`, `municipality_categories`) repeat their field.
#[derive(FromForm, utoipa::ToSchema)]
#[schema(as = ResourceUpload)]
pub struct ResourceForm<'r> {
    /// The file (at most 10 MiB): PDF, DOCX, XLSX, PPTX, ODT, ODS, PNG, JPEG, CSV, TXT, MP4 or
    /// MP3, checked by extension and content. A name with a folder or `..` is refused.
    #[schema(value_type = Option<String>, format = Binary)]
    pub file: Option<TempFile<'r>>,
    #[field(default = String::new())]
    pub title: String,
    #[field(default = String::new())]
    pub description: String,
    #[field(default = String::new())]
    #[schema(value_type = domain::entities::values::ResourceKind)]
    pub kind: String,
    pub url: Option<String>,
    #[schema(value_type = Vec<i32>)]
    pub capacity_ids: Vec<String>,
    #[schema(value_type = Option<domain::entities::values::ResourceStage>)]
    pub stage: Option<String>,
    /// `E`, `1`…`6`.
    pub municipality_categories: Vec<String>,
    #[schema(value_type = Option<domain::entities::values::ResourceVisibility>)]
    pub visibility: Option<String>,
    pub context: Option<String>,
    pub problem: Option<String>,
    pub what_was_done: Option<String>,
    pub what_worked: Option<String>,
    pub evidence: Option<String>,
    #[schema(value_type = Option<i32>)]
    pub course_id: Option<String>,
    #[schema(value_type = Option<i32>)]
    pub cohort_id: Option<String>,
    #[schema(value_type = Option<i32>)]
    pub assistance_id: Option<String>,
    #[schema(value_type = Option<i32>)]
    pub visit_id: Option<String>,
    #[schema(value_type = Option<i32>)]
    pub visit_product_id: Option<String>,
}

impl ResourceForm<'_> {
    /// The text fields as the domain takes them.
    pub fn input(&self) -> ResourceInput {
        ResourceInput {
            title: self.title.clone(),
            description: self.description.clone(),
            kind: self.kind.clone(),
            url: self.url.clone(),
            capacity_ids: self.capacity_ids.clone(),
            stage: self.stage.clone(),
            municipality_categories: self.municipality_categories.clone(),
            visibility: self.visibility.clone(),
            context: self.context.clone(),
            problem: self.problem.clone(),
            what_was_done: self.what_was_done.clone(),
            what_worked: self.what_worked.clone(),
            evidence: self.evidence.clone(),
            course_id: self.course_id.clone(),
            cohort_id: self.cohort_id.clone(),
            assistance_id: self.assistance_id.clone(),
            visit_id: self.visit_id.clone(),
            visit_product_id: self.visit_product_id.clone(),
        }
    }
}

/// The uploaded file, if one was chosen (a page's empty file field is none), within the bank's
/// limit (413 beyond it). Rocket streamed the multipart file to a temporary file: the upload
/// points at it (checked and kept from there, never read whole here); only a file sent as a
/// plain form value is in memory.
pub async fn read_upload(file: Option<&TempFile<'_>>) -> DomainResult<Option<Upload>> {
    let Some(file) = file else { return Ok(None) };
    let name = crate::web::import::file_name(file);
    if file.len() == 0 && name.is_empty() {
        return Ok(None);
    }
    if file.len() as usize > knowledge::files::MAX_FILE_BYTES {
        return Err(AppError::TooLarge);
    }
    if let Some(path) = file.path() {
        return Ok(Some(Upload::on_disk(name, path.to_path_buf(), file.len())));
    }
    let bytes = crate::web::import::file_bytes(file).await?;
    Ok(Some(Upload::in_memory(name, bytes)))
}

/// A multipart body Rocket could not read: too large (413), or not a form (422).
fn form_error(errors: Errors<'_>) -> AppError {
    if errors.iter().any(|e| e.status() == Status::PayloadTooLarge) {
        AppError::TooLarge
    } else {
        AppError::invalid(
            "body",
            "Envíe el recurso como multipart/form-data con sus campos (title, kind, file o url…).",
        )
    }
}

#[derive(rocket::FromForm, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResourceQuery {
    /// Words to find in the title, description and lesson fields (accents and case ignored).
    q: Option<String>,
    /// Capacity id.
    capacity: Option<String>,
    #[param(inline, value_type = Option<domain::entities::values::ResourceKind>)]
    kind: Option<String>,
    #[param(inline, value_type = Option<domain::entities::values::ResourceStage>)]
    stage: Option<String>,
    /// Municipal category: `E`, `1`…`6`.
    category: Option<String>,
    /// **Extension.** Staff: `draft` or `unpublished` lists their provider's (an admin's: all).
    #[param(inline, value_type = Option<domain::entities::values::ResourceStatus>)]
    status: Option<String>,
    /// Page number, from 1 to 1,000,000.
    #[param(minimum = 1, maximum = 1_000_000, default = 1)]
    page: Option<i64>,
    /// Items per page, 1–500.
    #[param(minimum = 1, maximum = 500, default = 50)]
    per_page: Option<i64>,
}

impl ResourceQuery {
    fn filter(&self) -> AppResult<Filter> {
        Ok(Filter::parse(
            self.q.as_deref(),
            self.capacity.as_deref(),
            self.kind.as_deref(),
            self.stage.as_deref(),
            self.category.as_deref(),
            self.status.as_deref(),
        )?)
    }
}

/// Search the knowledge bank
///
/// Published resources, newest first: anyone signed in finds them all, an anonymous caller
/// the public ones (`visibility: publico`). `q` matches every word in the title, description
/// and the lesson's fields. With `status=draft|unpublished` (staff only, 403 otherwise), the
/// caller's provider's drafts or withdrawn resources (the review list).
#[utoipa::path(
    tag = "knowledge",
    operation_id = "listResources",
    security((), ("bearerAuth" = [])),
    params(ResourceQuery),
    responses(
        (status = 200, description = "A page of resources.", body = List<ResourceView>),
        (status = 403, response = Forbidden),
    )
)]
#[get("/resources?<query..>")]
pub async fn list(
    db: &State<DatabaseConnection>,
    user: MaybeUser,
    query: ResourceQuery,
) -> AppResult<Json<List<ResourceView>>> {
    let (page, per_page) = Paging {
        page: query.page,
        per_page: query.per_page,
    }
    .resolve()?;
    let filter = query.filter()?;
    let (items, total) =
        knowledge::search(db.inner(), user.0.as_deref(), &filter, page, per_page).await?;
    Ok(Json(List::page(items, total, page, per_page)))
}

/// Add a resource to the knowledge bank
///
/// Roles: staff; the resource is the coordinator's provider's (an admin's: the origin's
/// provider, or ESAP's). Storage is bounded: a file that would take the provider beyond its
/// quota (setting `bank_quota_mib`, 500 MiB by default) → 413 naming the quota; more files in
/// an hour than the account's rate (`bank_uploads_per_hour`, 20 by default) → 429 with
/// `Retry-After`. Multipart: `file` (at most 10 MiB, 413 beyond; its type checked by
/// extension and content, 422 otherwise; a name with a folder, `..`, a leading dot or control
/// characters, 422) **or** `url`; `title`, `description`, `kind`, `capacity_ids` (at least
/// one), optional `stage`, `municipality_categories`, `visibility` (default `cuentas`); for
/// `leccion_aprendida` and `buena_practica` `context`, `problem`, `what_was_done`,
/// `what_worked` and `evidence` are required. Optional origin: `course_id`, `cohort_id`,
/// `assistance_id`, **extension** `visit_id` and `visit_product_id` (a product handed over at
/// a visit becomes this resource; each product at most once), all of the resource's own
/// provider. It starts as a `draft`. Every problem at once (422), nothing stored. Audited.
#[utoipa::path(
    tag = "knowledge",
    operation_id = "createResource",
    request_body(content = ResourceForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "The resource, a draft.", body = ResourceView),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = ValidationFailed),
        (status = 429, response = TooManyRequests),
    )
)]
#[post("/resources", data = "<form>")]
pub async fn create(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    staff: StaffUser,
    form: Result<Form<ResourceForm<'_>>, Errors<'_>>,
) -> AppResult<Created<ResourceView>> {
    let form = form.map_err(form_error)?;
    let upload = read_upload(form.file.as_ref()).await?;
    let storage = Storage::of(config);
    let view = domain::db::write(db, async |txn| {
        knowledge::create_stored(txn, &staff, &form.input(), upload, &storage).await
    })
    .await?;
    Ok(created(view))
}

/// One resource
///
/// A published public resource: anyone; a published one for accounts: anyone signed in; a
/// draft or a withdrawn one: its provider's coordinators and admins. Otherwise 404. A deleted
/// resource → 410 for whoever read it.
#[utoipa::path(
    tag = "knowledge",
    operation_id = "getResource",
    security((), ("bearerAuth" = [])),
    params(("id" = i32, Path, description = "Resource id.", example = 1)),
    responses(
        (status = 200, description = "The resource.", body = ResourceView),
        (status = 404, response = NotFound),
        (status = 410, response = Gone),
    )
)]
#[get("/resources/<id>")]
pub async fn show(
    db: &State<DatabaseConnection>,
    user: MaybeUser,
    id: i32,
) -> AppResult<Json<ResourceView>> {
    Ok(Json(
        knowledge::get(db.inner(), user.0.as_deref(), id).await?,
    ))
}

/// A resource's file as it is downloaded: an attachment with a safe name, its checked type
/// and `nosniff`, never cached by shared caches. A file under `files_dir` is streamed.
pub struct ResourceDownload {
    name: String,
    content_type: String,
    body: DownloadBody,
}

enum DownloadBody {
    Bytes(Vec<u8>),
    File(rocket::tokio::fs::File),
}

impl ResourceDownload {
    /// The download, its file opened when it lies under `files_dir`.
    pub async fn open(download: knowledge::Download) -> DomainResult<Self> {
        let body = match download.body {
            knowledge::Body::Bytes(bytes) => DownloadBody::Bytes(bytes),
            knowledge::Body::File(path) => {
                DownloadBody::File(rocket::tokio::fs::File::open(&path).await.map_err(|e| {
                    AppError::Internal(format!(
                        "el archivo {} del banco no se pudo abrir: {e}",
                        path.display()
                    ))
                })?)
            }
        };
        Ok(ResourceDownload {
            name: download.name,
            content_type: download.content_type,
            body,
        })
    }
}

impl<'r> Responder<'r, 'static> for ResourceDownload {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let content_type =
            ContentType::parse_flexible(&self.content_type).unwrap_or(ContentType::Binary);
        let mut response = Response::build();
        response
            .header(content_type)
            .header(Header::new(
                "Content-Disposition",
                crate::spreadsheets::download::content_disposition(&self.name),
            ))
            .header(Header::new("X-Content-Type-Options", "nosniff"))
            .header(Header::new("Cache-Control", "private, no-store"));
        match self.body {
            DownloadBody::Bytes(bytes) => response.sized_body(bytes.len(), Cursor::new(bytes)),
            DownloadBody::File(file) => response.sized_body(None, file),
        };
        response.ok()
    }
}

/// Who is downloading, as the download counter tells visitors apart (issue 62): the client
/// address by the trusted-proxy rule ([`ClientAddress`]) and the `User-Agent`; the account,
/// when signed in, is added by [`Downloader::visitor`].
pub struct Downloader {
    address: Option<IpAddr>,
    user_agent: Option<String>,
}

impl Downloader {
    pub fn visitor(&self, account: Option<i32>) -> Visitor {
        Visitor::new(account, self.address, self.user_agent.as_deref())
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Downloader {
    type Error = std::convert::Infallible;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let address = match request.guard::<ClientAddress>().await {
            Outcome::Success(ClientAddress(address)) => address,
            _ => None,
        };
        Outcome::Success(Downloader {
            address,
            user_agent: request.headers().get_one("User-Agent").map(str::to_string),
        })
    }
}

/// Download a resource's file
///
/// Who reads the resource downloads it (as `GET /resources/{id}`); a resource with a link and
/// no file → 404; a deleted one → 410. An attachment with the file's safe name and
/// `X-Content-Type-Options: nosniff`. A download of a published resource adds one to its
/// `downloads` once per account (signed in) or client address (anonymous; behind a trusted
/// proxy, the address it names) per Colombian day; robots (a `User-Agent` naming a bot,
/// crawler, spider, scraper, link preview or bare HTTP library, or none) are not counted.
#[utoipa::path(
    tag = "knowledge",
    operation_id = "downloadResourceFile",
    security((), ("bearerAuth" = [])),
    params(("id" = i32, Path, description = "Resource id.", example = 1)),
    responses(
        (status = 200, description = "The file, with the type its content was checked to be.", content(
            (Vec<u8> = "application/pdf"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
            (Vec<u8> = "application/vnd.oasis.opendocument.text"),
            (Vec<u8> = "application/vnd.oasis.opendocument.spreadsheet"),
            (Vec<u8> = "image/png"),
            (Vec<u8> = "image/jpeg"),
            (Vec<u8> = "text/csv"),
            (Vec<u8> = "text/plain"),
            (Vec<u8> = "video/mp4"),
            (Vec<u8> = "audio/mpeg"),
        )),
        (status = 404, response = NotFound),
        (status = 410, response = Gone),
    )
)]
#[get("/resources/<id>/file")]
pub async fn file(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    user: MaybeUser,
    downloader: Downloader,
    id: i32,
) -> AppResult<ResourceDownload> {
    let reader = user.0.as_deref();
    let visitor = downloader.visitor(reader.map(|r| r.id));
    let download =
        knowledge::download(db.inner(), reader, id, &visitor, &Storage::of(config)).await?;
    Ok(ResourceDownload::open(download).await?)
}

/// Delete a resource
///
/// **Issue 62.** Roles: its provider's coordinators and admins (another provider's → 404; other
/// roles 403). Its file's bytes are removed (from the database or `files_dir`) and no longer
/// count against the provider's quota; it leaves the search, the review list and open data;
/// afterwards `GET /resources/{id}` and `GET /resources/{id}/file` answer 410, and its page
/// says «retirado» (to anyone for a public resource deleted while published). The record
/// stays, with its downloads. Already deleted → 410. Audited (`resource.deleted`).
#[utoipa::path(
    tag = "knowledge",
    operation_id = "deleteResource",
    params(("id" = i32, Path, description = "Resource id.", example = 1)),
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 410, response = Gone),
    )
)]
#[delete("/resources/<id>")]
pub async fn remove(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    staff: StaffUser,
    id: i32,
) -> AppResult<Status> {
    let deleted =
        domain::db::write(db, async |txn| knowledge::delete(txn, &staff, id).await).await?;
    if let Some(place) = deleted.file_place {
        domain::knowledge::storage::discard(&Storage::of(config), &place).await;
    }
    Ok(Status::NoContent)
}

/// Publish a resource
///
/// Roles: its provider's coordinators and admins (another provider's → 404; other roles 403).
/// A draft or a withdrawn resource becomes `published`; already published → 409; deleted
/// (issue 62) → 410. Audited.
#[utoipa::path(
    tag = "knowledge",
    operation_id = "publishResource",
    params(("id" = i32, Path, description = "Resource id.", example = 1)),
    responses(
        (status = 200, description = "The resource, published.", body = ResourceView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 410, response = Gone),
    )
)]
#[post("/resources/<id>/publication")]
pub async fn publish(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
) -> AppResult<Json<ResourceView>> {
    let view = domain::db::write(db, async |txn| knowledge::publish(txn, &staff, id).await).await?;
    Ok(Json(view))
}

/// Withdraw a resource
///
/// **Extension.** Roles: as publishing. A published resource becomes `unpublished`: it leaves
/// the search, the public page and open data (its provider still reads it and may publish it
/// again); not published → 409; deleted → 410. Audited.
#[utoipa::path(
    tag = "knowledge",
    operation_id = "unpublishResource",
    params(("id" = i32, Path, description = "Resource id.", example = 1)),
    responses(
        (status = 200, description = "The resource, withdrawn.", body = ResourceView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 410, response = Gone),
    )
)]
#[delete("/resources/<id>/publication")]
pub async fn unpublish(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
) -> AppResult<Json<ResourceView>> {
    let view =
        domain::db::write(db, async |txn| knowledge::unpublish(txn, &staff, id).await).await?;
    Ok(Json(view))
}
