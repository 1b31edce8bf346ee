//! The knowledge bank's pages (issue 48): the search for anyone signed in (`/conocimiento`),
//! a resource's page with its lesson as sections and its download, the form that adds one
//! (provider staff; multipart), the provider's review list with «Publicar» and «Retirar»
//! (each through a confirmation), «Eliminar» (issue 62: its file goes, its page says
//! «retirado»; through a confirmation), the storage in use against the quota, and the public
//! page of the public resources (`/banco-de-conocimiento`).

use crate::accounts::guards::{CurrentUser, StaffUser};
use crate::error::AppResult;
use crate::knowledge::api::{Downloader, ResourceDownload, read_upload};
use crate::web::confirm::Confirmation;
use crate::web::csrf::{CsrfForm, CsrfProtected};
use crate::web::{OwnedChoice, Page, PageResult, Pager};
use domain::config::AppConfig;
use domain::entities::values::{ResourceKind, ResourceStage, ResourceStatus};
use domain::error::{AppError, FieldError};
use domain::knowledge::storage::{ProviderUse, Storage};
use domain::knowledge::{self, Filter, ResourceInput, ResourceView};
use rocket::Either;
use rocket::form::FromForm;
use rocket::fs::TempFile;
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::{DatabaseConnection, Iterable};
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![
        search_page,
        public_page,
        resource_page,
        public_resource_page,
        download,
        new_page,
        new_submit,
        review_page,
        publish_submit,
        withdraw_submit,
        delete_submit
    ]
}

const PER_PAGE: u64 = 20;

/// The review page, where publishing, withdrawing and rejecting come back to.
const REVIEW: &str = "/conocimiento/revision";

/// The search's filters as the address carries them (Spanish names).
#[derive(FromForm, Default)]
struct SearchQuery {
    q: Option<String>,
    capacidad: Option<String>,
    tipo: Option<String>,
    etapa: Option<String>,
    categoria: Option<String>,
    pagina: Option<u64>,
}

impl SearchQuery {
    fn query_string(&self) -> String {
        let mut parts = Vec::new();
        for (name, value) in [
            ("q", &self.q),
            ("capacidad", &self.capacidad),
            ("tipo", &self.tipo),
            ("etapa", &self.etapa),
            ("categoria", &self.categoria),
        ] {
            if let Some(value) = value.as_deref().filter(|v| !v.trim().is_empty()) {
                parts.push(format!("{name}={}", domain::text::urlencode(value)));
            }
        }
        parts.join("&")
    }
}

#[derive(Serialize)]
struct Filters {
    q: String,
    capacities: Vec<OwnedChoice>,
    kinds: Vec<OwnedChoice>,
    stages: Vec<OwnedChoice>,
    categories: Vec<OwnedChoice>,
}

fn kind_choices(selected: &str) -> Vec<OwnedChoice> {
    ResourceKind::iter()
        .map(|k| OwnedChoice {
            value: k.as_str().to_string(),
            label: k.label().to_string(),
            selected: k.as_str() == selected,
        })
        .collect()
}

fn stage_choices(selected: &str) -> Vec<OwnedChoice> {
    ResourceStage::iter()
        .map(|s| OwnedChoice {
            value: s.as_str().to_string(),
            label: s.label().to_string(),
            selected: s.as_str() == selected,
        })
        .collect()
}

fn category_choices(selected: &[String]) -> Vec<OwnedChoice> {
    knowledge::CATEGORIES
        .iter()
        .map(|c| OwnedChoice {
            value: c.to_string(),
            label: knowledge::category_label(c),
            selected: selected.iter().any(|s| s == c),
        })
        .collect()
}

async fn capacity_checks(
    db: &DatabaseConnection,
    chosen: &[String],
) -> AppResult<Vec<OwnedChoice>> {
    Ok(crate::web::capacity_choices(db, None)
        .await?
        .into_iter()
        .map(|mut c| {
            c.selected = chosen.contains(&c.value);
            c
        })
        .collect())
}

#[derive(Serialize)]
struct SearchView {
    filters: Filters,
    items: Vec<ResourceView>,
    total: u64,
    pager: Pager,
    may_add: bool,
    may_review: bool,
    /// The public page (anonymous visitors) or the search of accounts.
    public: bool,
}

async fn search_view(
    db: &DatabaseConnection,
    reader: Option<&domain::accounts::actor::Actor>,
    query: &SearchQuery,
    path: &str,
) -> Result<SearchView, AppError> {
    let filter = Filter::parse(
        query.q.as_deref(),
        query.capacidad.as_deref(),
        query.tipo.as_deref(),
        query.etapa.as_deref(),
        query.categoria.as_deref(),
        None,
    )?;
    let page_number = domain::paging::page_number(query.pagina);
    let (items, total) = knowledge::search(db, reader, &filter, page_number, PER_PAGE).await?;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    Ok(SearchView {
        filters: Filters {
            q: text(&query.q),
            capacities: crate::web::capacity_choices(db, filter.capacity).await?,
            kinds: kind_choices(&text(&query.tipo)),
            stages: stage_choices(&text(&query.etapa)),
            categories: category_choices(&[text(&query.categoria)]),
        },
        items,
        total,
        pager: Pager::new(path, &query.query_string(), page_number, PER_PAGE, total),
        may_add: reader.is_some_and(|r| r.is_staff()),
        may_review: reader.is_some_and(|r| r.is_staff()),
        public: reader.is_none(),
    })
}

/// `/conocimiento`: the published resources for anyone signed in.
#[get("/conocimiento?<query..>")]
async fn search_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: CurrentUser,
    query: SearchQuery,
) -> PageResult {
    let view = search_view(db.inner(), Some(&user), &query, "/conocimiento").await?;
    page.render("knowledge_search", "Banco de conocimiento", view)
}

/// `/banco-de-conocimiento`: the public resources, for anyone (no account).
#[get("/banco-de-conocimiento?<query..>")]
async fn public_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    query: SearchQuery,
) -> PageResult {
    let view = search_view(db.inner(), None, &query, "/banco-de-conocimiento").await?;
    page.render("knowledge_search", "Banco de conocimiento público", view)
}

#[derive(Serialize)]
struct ResourceViewPage {
    resource: ResourceView,
    /// The page's own download (the session reads it; the API's needs a token).
    download: String,
    manages: bool,
    draft: bool,
    published: bool,
    withdrawn: bool,
    /// Deleted (issue 62): the page says «retirado» and offers nothing.
    retired: bool,
    size: String,
    categories: Vec<String>,
}

fn size_label(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!(
            "{} MB",
            domain::format::decimal(bytes as f64 / (1024.0 * 1024.0), 1)
        )
    } else {
        format!("{} KB", (bytes / 1024).max(1))
    }
}

async fn resource_html(
    db: &DatabaseConnection,
    page: &Page<'_>,
    reader: Option<&domain::accounts::actor::Actor>,
    id: i32,
) -> PageResult {
    let resource = knowledge::get_for_page(db, reader, id).await?;
    let retired = resource.deleted_at.is_some();
    let manages = !retired && reader.is_some_and(|r| knowledge::manages(r, resource.provider.id));
    let title = resource.title.clone();
    let html = page.render(
        "knowledge_resource",
        &title,
        ResourceViewPage {
            download: format!("/conocimiento/{id}/archivo"),
            manages,
            retired,
            draft: !retired && resource.status == ResourceStatus::Draft,
            published: !retired && resource.status == ResourceStatus::Published,
            withdrawn: !retired && resource.status == ResourceStatus::Unpublished,
            size: resource
                .file
                .as_ref()
                .map(|f| size_label(f.size))
                .unwrap_or_default(),
            categories: resource
                .municipality_categories
                .iter()
                .map(|c| knowledge::category_label(c))
                .collect(),
            resource,
        },
    )?;
    // A deleted resource's page answers 410: it was here and is gone for good.
    if retired {
        crate::web::Failure::unless_ok(rocket::http::Status::Gone, html)
    } else {
        Ok(html)
    }
}

#[get("/conocimiento/<id>", rank = 2)]
async fn resource_page(db: &State<DatabaseConnection>, page: Page<'_>, id: i32) -> PageResult {
    let reader = page.user.clone();
    resource_html(db.inner(), &page, reader.as_deref(), id).await
}

/// A public resource's page, for anyone (the address open data names).
#[get("/banco-de-conocimiento/<id>")]
async fn public_resource_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    id: i32,
) -> PageResult {
    let reader = page.user.clone();
    resource_html(db.inner(), &page, reader.as_deref(), id).await
}

/// The file, for whoever reads the resource with this browser's session (or anyone, for a
/// public one); counted like the API's download (once per account or address per day, robots
/// not).
#[get("/conocimiento/<id>/archivo")]
async fn download(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    page: Page<'_>,
    downloader: Downloader,
    id: i32,
) -> AppResult<ResourceDownload> {
    let reader = page.user.as_deref();
    let visitor = downloader.visitor(reader.map(|r| r.id));
    let download =
        knowledge::download(db.inner(), reader, id, &visitor, &Storage::of(config)).await?;
    Ok(ResourceDownload::open(download).await?)
}

// ---------------------------------------------------------------------------------------------
// Adding a resource

/// Where the form was opened from: a product of a visit, an assistance, a course or a cohort.
#[derive(FromForm, Default)]
struct Origin {
    producto: Option<i32>,
    visita: Option<i32>,
    asistencia: Option<i32>,
    curso: Option<i32>,
    cohorte: Option<i32>,
}

/// The form's text fields, as typed (a refused form shows them again; the file must be
/// chosen again).
#[derive(Serialize, Default)]
struct Typed {
    title: String,
    description: String,
    kind: String,
    url: String,
    stage: String,
    visibility: String,
    context: String,
    problem: String,
    what_was_done: String,
    what_worked: String,
    evidence: String,
    course_id: String,
    cohort_id: String,
    assistance_id: String,
    visit_id: String,
    visit_product_id: String,
}

#[derive(Serialize)]
struct NewView {
    typed: Typed,
    kinds: Vec<OwnedChoice>,
    stages: Vec<OwnedChoice>,
    capacities: Vec<OwnedChoice>,
    categories: Vec<OwnedChoice>,
    publico: bool,
    /// What the resource comes from, as people read it.
    origin: Option<String>,
    accept: String,
    max_mb: usize,
    accepted: &'static str,
    refused: bool,
}

async fn new_html(
    db: &DatabaseConnection,
    page: &Page<'_>,
    typed: Typed,
    capacity_ids: &[String],
    categories: &[String],
    errors: &[FieldError],
) -> PageResult {
    let origin = match page.user.as_deref() {
        Some(actor) => knowledge::origin_label(db, actor, origin_ids(&typed)).await?,
        None => None,
    };
    let view = NewView {
        kinds: kind_choices(&typed.kind),
        stages: stage_choices(&typed.stage),
        capacities: capacity_checks(db, capacity_ids).await?,
        categories: category_choices(categories),
        publico: typed.visibility == "publico",
        origin,
        accept: knowledge::files::accept_attribute(),
        max_mb: knowledge::files::MAX_FILE_BYTES / (1024 * 1024),
        accepted: knowledge::files::ACCEPTED,
        refused: !errors.is_empty(),
        typed,
    };
    page.render_form("knowledge_new", "Agregar un recurso al banco", view, errors)
}

/// The records the form names as the resource's origin.
fn origin_ids(typed: &Typed) -> knowledge::OriginIds {
    let id = |t: &str| t.trim().parse::<i32>().ok();
    knowledge::OriginIds {
        visit_product_id: id(&typed.visit_product_id),
        assistance_id: id(&typed.assistance_id),
        cohort_id: id(&typed.cohort_id),
        course_id: id(&typed.course_id),
    }
}

#[get("/conocimiento/nuevo?<origin..>", rank = 1)]
async fn new_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    origin: Origin,
) -> PageResult {
    let as_text = |v: Option<i32>| v.map(|v| v.to_string()).unwrap_or_default();
    let mut typed = Typed {
        visit_product_id: as_text(origin.producto),
        visit_id: as_text(origin.visita),
        assistance_id: as_text(origin.asistencia),
        course_id: as_text(origin.curso),
        cohort_id: as_text(origin.cohorte),
        kind: "guia".into(),
        visibility: "cuentas".into(),
        ..Typed::default()
    };
    if let Some(p) = origin.producto
        && let Some(product) = knowledge::product_in_scope(db.inner(), &staff, p).await?
    {
        typed.title = product.title;
        typed.kind = match product.kind {
            domain::entities::values::ProductKind::Plantilla => "plantilla",
            domain::entities::values::ProductKind::Herramienta => "herramienta",
            _ => "guia",
        }
        .into();
    }
    new_html(db.inner(), &page, typed, &[], &[], &[]).await
}

/// The page's multipart form.
#[derive(FromForm)]
struct NewForm<'r> {
    #[field(default = String::new())]
    csrf_token: String,
    file: Option<TempFile<'r>>,
    #[field(default = String::new())]
    title: String,
    #[field(default = String::new())]
    description: String,
    #[field(default = String::new())]
    kind: String,
    #[field(default = String::new())]
    url: String,
    capacity_ids: Vec<String>,
    #[field(default = String::new())]
    stage: String,
    municipality_categories: Vec<String>,
    #[field(default = String::new())]
    visibility: String,
    #[field(default = String::new())]
    context: String,
    #[field(default = String::new())]
    problem: String,
    #[field(default = String::new())]
    what_was_done: String,
    #[field(default = String::new())]
    what_worked: String,
    #[field(default = String::new())]
    evidence: String,
    #[field(default = String::new())]
    course_id: String,
    #[field(default = String::new())]
    cohort_id: String,
    #[field(default = String::new())]
    assistance_id: String,
    #[field(default = String::new())]
    visit_id: String,
    #[field(default = String::new())]
    visit_product_id: String,
}

impl CsrfProtected for NewForm<'_> {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

fn some(text: &str) -> Option<String> {
    (!text.trim().is_empty()).then(|| text.to_string())
}

impl NewForm<'_> {
    fn input(&self) -> ResourceInput {
        ResourceInput {
            title: self.title.clone(),
            description: self.description.clone(),
            kind: self.kind.clone(),
            url: some(&self.url),
            capacity_ids: self.capacity_ids.clone(),
            stage: some(&self.stage),
            municipality_categories: self.municipality_categories.clone(),
            visibility: some(&self.visibility),
            context: some(&self.context),
            problem: some(&self.problem),
            what_was_done: some(&self.what_was_done),
            what_worked: some(&self.what_worked),
            evidence: some(&self.evidence),
            course_id: some(&self.course_id),
            cohort_id: some(&self.cohort_id),
            assistance_id: some(&self.assistance_id),
            visit_id: some(&self.visit_id),
            visit_product_id: some(&self.visit_product_id),
        }
    }

    fn typed(&self) -> Typed {
        Typed {
            title: self.title.clone(),
            description: self.description.clone(),
            kind: self.kind.clone(),
            url: self.url.clone(),
            stage: self.stage.clone(),
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

#[post("/conocimiento/nuevo", data = "<form>")]
async fn new_submit(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    page: Page<'_>,
    staff: StaffUser,
    form: CsrfForm<NewForm<'_>>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let storage = Storage::of(config);
    let result = async {
        let upload = read_upload(form.file.as_ref()).await?;
        domain::db::write(db, async |txn| {
            knowledge::create_stored(txn, &staff, &form.input(), upload, &storage).await
        })
        .await
    }
    .await;
    crate::web::form::saved_or_again(
        result,
        |view| {
            Flash::success(
                Redirect::to(format!("/conocimiento/{}", view.id)),
                "Recurso guardado como borrador: la coordinación de su oferente lo revisa y lo \
                 publica en «Revisar recursos».",
            )
        },
        async |errors| {
            new_html(
                db,
                &page,
                form.typed(),
                &form.capacity_ids,
                &form.municipality_categories,
                &errors,
            )
            .await
        },
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// The provider's review

#[derive(Serialize)]
struct ReviewView {
    drafts: Vec<ResourceView>,
    published: Vec<ResourceView>,
    withdrawn: Vec<ResourceView>,
    /// The storage in use per provider (an admin's: every provider's; a coordinator's: its
    /// own), against the quota.
    usage: Vec<ProviderUse>,
    /// The bank's total (an admin's page).
    total: Option<String>,
    quota: String,
    admin: bool,
}

/// `/conocimiento/revision`: the caller's provider's drafts («Publicar»), published resources
/// («Retirar») and withdrawn ones («Publicar de nuevo»); an admin's, every provider's.
#[get("/conocimiento/revision", rank = 1)]
async fn review_page(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    page: Page<'_>,
    staff: StaffUser,
) -> PageResult {
    let list = async |status| -> AppResult<Vec<ResourceView>> {
        let filter = Filter {
            status: Some(status),
            ..Filter::default()
        };
        let reader = Some(&**staff);
        let (mut items, _) = knowledge::search(db.inner(), reader, &filter, 1, 200).await?;
        items.retain(|r| knowledge::manages(&staff, r.provider.id));
        Ok(items)
    };
    let storage = Storage::of(config);
    let own = staff.managed_provider();
    let mut usage = domain::knowledge::storage::usage(db.inner(), &storage, own).await?;
    if let Some(own) = own
        && usage.is_empty()
    {
        usage.push(ProviderUse {
            provider_id: own,
            provider_name: match domain::providers::get(db.inner(), own).await {
                Ok(provider) => provider.name,
                Err(AppError::NotFound) => String::new(),
                Err(error) => return Err(error.into()),
            },
            files: 0,
            bytes: 0,
            used_label: domain::knowledge::storage::mib_label(0),
            percent: 0,
        });
    }
    let total = own
        .is_none()
        .then(|| domain::knowledge::storage::mib_label(usage.iter().map(|u| u.bytes).sum::<i64>()));
    let view = ReviewView {
        drafts: list(ResourceStatus::Draft).await?,
        published: list(ResourceStatus::Published).await?,
        withdrawn: list(ResourceStatus::Unpublished).await?,
        usage,
        total,
        quota: domain::knowledge::storage::mib_label(storage.quota_bytes),
        admin: own.is_none(),
    };
    page.render("knowledge_review", "Revisar recursos del banco", view)
}

#[derive(FromForm)]
struct ConfirmForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = false)]
    confirmed: bool,
}
crate::web::csrf::csrf_protected!(ConfirmForm);

/// Why the domain's rule refuses an action now (409 or 410), for the confirmation to say it
/// instead of its button; any other error goes on.
fn refusal(rule: Result<(), AppError>) -> AppResult<Option<String>> {
    match rule {
        Ok(()) => Ok(None),
        Err(AppError::Conflict(why) | AppError::Gone(why)) => Ok(Some(why)),
        Err(error) => Err(error.into()),
    }
}

#[post("/conocimiento/<id>/publicar", data = "<form>")]
async fn publish_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    id: i32,
    form: CsrfForm<ConfirmForm>,
) -> PageResult<Either<Flash<Redirect>, RawHtml<String>>> {
    if !form.0.confirmed {
        let row = knowledge::find_managed(db.inner(), &staff, id).await?;
        let mut confirmation = Confirmation::new(
            format!("¿Publicar «{}»?", row.title),
            format!("/conocimiento/{id}/publicar"),
            "Sí, publicar",
            REVIEW,
        )
        .restoring();
        if let Some(why) = refusal(knowledge::may_publish(&row))? {
            confirmation = confirmation.refused(Some(why));
        } else {
            confirmation = confirmation
                .fact(match row.visibility {
                    domain::entities::values::ResourceVisibility::Publico => {
                        "Lo encuentra cualquier persona, sin cuenta, en el banco de conocimiento \
                         público y en los datos abiertos."
                    }
                    domain::entities::values::ResourceVisibility::Cuentas => {
                        "Lo encuentra en el banco de conocimiento cualquier persona con cuenta \
                         (no es público ni va a los datos abiertos)."
                    }
                })
                .fact("Puede retirarlo después: deja de aparecer en la búsqueda.");
        }
        return confirmation
            .render(&page, "Publicar un recurso")
            .map(Either::Right);
    }
    let view = domain::db::write(db, async |txn| knowledge::publish(txn, &staff, id).await).await?;
    let done = format!("«{}» quedó publicado.", view.title);
    Ok(Either::Left(Flash::success(Redirect::to(REVIEW), done)))
}

#[post("/conocimiento/<id>/retirar", data = "<form>")]
async fn withdraw_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    id: i32,
    form: CsrfForm<ConfirmForm>,
) -> PageResult<Either<Flash<Redirect>, RawHtml<String>>> {
    if !form.0.confirmed {
        let row = knowledge::find_managed(db.inner(), &staff, id).await?;
        let mut confirmation = Confirmation::new(
            format!("¿Retirar «{}»?", row.title),
            format!("/conocimiento/{id}/retirar"),
            "Sí, retirar",
            REVIEW,
        );
        if let Some(why) = refusal(knowledge::may_withdraw(&row))? {
            confirmation = confirmation.refused(Some(why));
        } else {
            confirmation = confirmation
                .fact("Deja de aparecer en la búsqueda, en el banco público y en los datos abiertos.")
                .fact(format!(
                    "Sus {} {} quedan registradas; su oferente lo sigue viendo y puede publicarlo de nuevo.",
                    row.downloads,
                    if row.downloads == 1 { "descarga" } else { "descargas" }
                ));
        }
        return confirmation
            .render(&page, "Retirar un recurso")
            .map(Either::Right);
    }
    let view =
        domain::db::write(db, async |txn| knowledge::unpublish(txn, &staff, id).await).await?;
    let done = format!("«{}» fue retirado del banco.", view.title);
    Ok(Either::Left(Flash::success(Redirect::to(REVIEW), done)))
}

/// «Eliminar» (issue 62): the confirmation says what goes (the file, its downloads stay
/// recorded, the page says «retirado»), then the resource is deleted and its file removed.
#[post("/conocimiento/<id>/eliminar", data = "<form>")]
async fn delete_submit(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    page: Page<'_>,
    staff: StaffUser,
    id: i32,
    form: CsrfForm<ConfirmForm>,
) -> PageResult<Either<Flash<Redirect>, RawHtml<String>>> {
    if !form.0.confirmed {
        let row = knowledge::find_managed(db.inner(), &staff, id).await?;
        let mut confirmation = Confirmation::new(
            format!("¿Eliminar «{}»?", row.title),
            format!("/conocimiento/{id}/eliminar"),
            "Sí, eliminar",
            format!("/conocimiento/{id}"),
        );
        if let Some(why) = refusal(knowledge::may_delete(&row))? {
            confirmation = confirmation.refused(Some(why));
        } else {
            confirmation = confirmation
                .fact(match (&row.file_name, row.file_size) {
                    (Some(name), Some(size)) => format!(
                        "Su archivo «{name}» ({}) se borra y no se puede recuperar; deja de \
                         contar en el almacenamiento de su oferente.",
                        size_label(size)
                    ),
                    _ => "Su enlace deja de mostrarse.".to_string(),
                })
                .fact(if row.status == ResourceStatus::Published {
                    "Sale de la búsqueda, del banco público y de los datos abiertos; quien abra \
                     su página verá que fue retirado."
                } else {
                    "No estaba publicado: nadie fuera de su oferente lo veía."
                })
                .fact(format!(
                    "Sus {} {} quedan registradas. No se puede publicar de nuevo: para volver \
                     a ofrecerlo, agréguelo otra vez.",
                    row.downloads,
                    if row.downloads == 1 {
                        "descarga"
                    } else {
                        "descargas"
                    }
                ));
        }
        return confirmation
            .render(&page, "Eliminar un recurso")
            .map(Either::Right);
    }
    let deleted =
        domain::db::write(db, async |txn| knowledge::delete(txn, &staff, id).await).await?;
    if let Some(place) = &deleted.file_place {
        domain::knowledge::storage::discard(&Storage::of(config), place).await;
    }
    Ok(Either::Left(Flash::success(
        Redirect::to(REVIEW),
        format!(
            "«{}» fue eliminado: su archivo se borró y su página dice que fue retirado.",
            deleted.view.title
        ),
    )))
}
