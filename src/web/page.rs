//! Everything a server-rendered page needs: who is signed in, the CSRF token for its forms,
//! and the template registry. Every page goes through `Page::render`, so the layout always
//! gets the same base context.

use super::csrf;
use crate::accounts::guards::{CurrentUser, MaybeUser};
use crate::error::AppResult;
use domain::entities::values::Role;
use domain::error::{AppError, FieldError};
use domain::templates::Templates;
use rocket::http::Status;
use rocket::outcome::{Outcome, try_outcome};
use rocket::request::{self, FlashMessage, FromRequest, Request};
use rocket::response::content::RawHtml;
use serde::Serialize;
use std::sync::Arc;

pub struct Page<'r> {
    pub user: Option<CurrentUser>,
    pub csrf: String,
    /// A one-time message left by the previous request (after a redirect).
    pub flash: Option<Flash>,
    templates: &'r Templates,
    /// The department-wide pages kept per scope and the versions of what they show (issue 36).
    kept: &'r KeptPages,
    /// The overlap warnings kept per cohort (issue 36), for the cohort workspace.
    warnings: &'r domain::cohorts::overlap::KeptWarnings,
    db: &'r sea_orm::DatabaseConnection,
    /// A filter form's problems (issue 45): the page is drawn with its report as far as the
    /// filters allow, the problems at the top and beside the filters, answered 422 (see
    /// [`Page::refusing`]).
    refused: Vec<FieldError>,
    /// A kept content of this page may be behind a known write (issue 61): served for an
    /// older version, or figures named and not flushed yet. The layout then says
    /// «actualizando».
    behind: std::sync::atomic::AtomicBool,
}

/// Rendered page contents kept per caller scope and [`KeptKey`] for the versions of the
/// figures, the indicators and the planning data (see `domain::cache`, [`PageVersions`]);
/// `dashboard_cache_seconds` is their time to live. At most [`KEPT_PER_PAGE`] keys of one page
/// for one scope (issue 46).
pub type KeptPages = domain::cache::Kept<PageKey, String, PageVersions>;

/// How many page contents are kept at most (each some tens of kilobytes).
pub const KEPT_PAGES: usize = 2_000;

/// How many variants of one page (its filters, the pages of its list) are kept at most for one
/// scope, in memory and on the shelf: beyond it a variant is drawn for its visitor and not kept
/// (issue 46: nobody makes the store grow by asking for new filter values).
pub const KEPT_PER_PAGE: usize = 32;

/// The store of kept pages, with `dashboard_cache_seconds` as the time to live, also kept on
/// `shelf` (the database's `kept_contents`).
pub fn kept_pages(
    ttl_seconds: u64,
    grace: std::time::Duration,
    shelf: Arc<dyn domain::cache::Shelf<PageKey, String, PageVersions>>,
) -> KeptPages {
    domain::cache::Kept::new(ttl_seconds, KEPT_PAGES)
        .per_group(KEPT_PER_PAGE, page_group)
        .recomputed_behind(grace)
        .graceful_when(only_the_figures_moved)
        .shelved(shelf)
}

/// The grace covers a content only while nothing but the figures' version moved — what the
/// figures worker moves after a cohort's desk (issue 61). A write answered with its figures
/// moves the writes' version (`domain::db::commit`), a change of plans, cohorts or costs the
/// planning version, an indicator or a survey answer theirs: a content computed before any of
/// those is never served again, so whoever wrote reads her write on her next request.
fn only_the_figures_moved(kept: &PageVersions, current: &PageVersions) -> bool {
    let (kept_cached, current_cached) = (kept.cached, current.cached);
    kept_cached.indicators == current_cached.indicators
        && kept_cached.planning == current_cached.planning
        && kept_cached.writes == current_cached.writes
        && kept.surveys == current.surveys
}

/// The key under which a content is kept: its group — the caller's scope and the page — and
/// what the page read of the request (see [`KeptKey`]). A pair whose first member is the group,
/// as `domain::cache::DbShelf` expects of a store bounded per group.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct PageKey(String, String);

fn page_group(key: &PageKey) -> &str {
    &key.0
}

/// The versions a kept content was drawn for: those of `cache_versions` and, for a content
/// that shows the satisfaction line (the home dashboards), the survey tallies' (issue 46: an
/// answer shows at once, as on the satisfaction report).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PageVersions {
    /// Written as `Versions` alone when there is no tallies' version (on the shelf too).
    #[serde(flatten)]
    pub cached: domain::instances::Versions,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surveys: Option<i64>,
}

/// What a kept content depends on besides the caller's scope (issue 46): the page — its route
/// with the path parameters as the handler read them (`/cohortes/7`, whatever spelling of 7
/// was asked for) — and each query parameter the handler reads, as it uses it. The handler
/// normalises the values before using them (trimmed text, empty as absent, a default the same
/// as absent: `pagina` 1 is no `pagina`) and names them here; absent ones are left out and the
/// rest are in a canonical order. Nothing else of the URI makes a key: an unknown parameter
/// (`?v=<random>`) is the page without it.
#[derive(Clone, Debug)]
pub struct KeptKey {
    page: String,
    params: std::collections::BTreeMap<&'static str, String>,
    /// The content shows the satisfaction line: kept for the survey tallies' version too.
    surveys: bool,
}

impl KeptKey {
    /// The page `page` without parameters.
    pub fn page(page: impl Into<String>) -> Self {
        KeptKey {
            page: page.into(),
            params: std::collections::BTreeMap::new(),
            surveys: false,
        }
    }

    /// The parameter `name` as the page uses it (left out when `None`).
    pub fn with(mut self, name: &'static str, value: Option<impl std::fmt::Display>) -> Self {
        if let Some(value) = value {
            self.params.insert(name, value.to_string());
        }
        self
    }

    /// The content shows the satisfaction line (the survey tallies).
    pub fn showing_satisfaction(mut self) -> Self {
        self.surveys = true;
        self
    }

    /// The store's key for `user`'s scope: what a visitor of that scope is served under
    /// (issue 69: the warmed home pages are computed under it).
    pub fn for_user(&self, user: &CurrentUser) -> PageKey {
        self.for_scope(&scope_key(user))
    }

    /// The versions a content under this key is kept for now (one or two primary-key reads).
    pub async fn versions(&self, db: &sea_orm::DatabaseConnection) -> AppResult<PageVersions> {
        Ok(PageVersions {
            cached: domain::instances::Versions::read(db).await?,
            surveys: if self.surveys {
                Some(domain::surveys::tallies::version(db).await?)
            } else {
                None
            },
        })
    }

    /// The store's key for a caller of `scope`.
    fn for_scope(&self, scope: &str) -> PageKey {
        let detail = self
            .params
            .iter()
            .map(|(name, value)| format!("{name}={}", domain::text::urlencode(value)))
            .collect::<Vec<_>>()
            .join("&");
        PageKey(format!("{scope}|{}", self.page), detail)
    }
}

/// A one-time message after a redirect: `kind` is Rocket's flash kind (`success`, `error`),
/// which the layout uses as a CSS class.
#[derive(Serialize)]
pub struct Flash {
    pub kind: String,
    pub message: String,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Page<'r> {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let MaybeUser(user) = try_outcome!(request.guard::<MaybeUser>().await);
        let (Some(templates), Some(kept), Some(warnings), Some(db)) = (
            request.rocket().state::<Templates>(),
            request.rocket().state::<KeptPages>(),
            request
                .rocket()
                .state::<domain::cohorts::overlap::KeptWarnings>(),
            request.rocket().state::<sea_orm::DatabaseConnection>(),
        ) else {
            return Outcome::Error((Status::InternalServerError, ()));
        };
        let flash = request
            .guard::<Option<FlashMessage<'_>>>()
            .await
            .succeeded()
            .flatten()
            .map(|f| Flash {
                kind: f.kind().to_string(),
                message: f.message().to_string(),
            });
        Outcome::Success(Page {
            user,
            csrf: csrf::token(request),
            flash,
            templates,
            kept,
            warnings,
            db,
            refused: Vec::new(),
            behind: Default::default(),
        })
    }
}

impl Page<'_> {
    /// This page drawn for a filter form that did not pass (a report's dates): its content
    /// shows `errors` beside the filters and the summary at the top, it is not kept, and
    /// [`Page::render_kept`] answers it 422. Nothing changes when `errors` is empty.
    pub fn refusing(mut self, errors: Vec<FieldError>) -> Self {
        self.refused = errors;
        self
    }

    /// Renders `template` with the page's view (a `#[derive(Serialize)]` struct of what the
    /// template reads) beside the layout's fields (`user`, `csrf`, `title`, `flash`). The
    /// registry is strict: a field the template reads and the view lacks fails the render
    /// (and the tests that visit the page).
    pub fn render<V: Serialize>(&self, template: &str, title: &str, view: V) -> super::PageResult {
        let mut layout = Layout::new(self.user.as_ref(), &self.csrf, title, self.flash.as_ref());
        layout.updating = self.is_behind();
        Ok(RawHtml(render(self.templates, template, layout, view)?))
    }

    /// Whether a kept content this page read may be behind a known write (issue 61).
    pub fn is_behind(&self) -> bool {
        self.behind.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The page of a refused form (issue 45): like [`Page::render`] with `view` holding every
    /// value as it was typed, the problems summarised at the top by the layout (each a link to
    /// its field) and beside their fields (`{{field_error "…"}}`, `{{invalid "…"}}`). Answered
    /// 422 by [`super::form::saved_or_again`].
    pub fn render_refused<V: Serialize>(
        &self,
        template: &str,
        title: &str,
        view: V,
        errors: &[FieldError],
    ) -> super::PageResult {
        self.render_refused_typed(template, title, view, errors, "", &())
    }

    /// A page with a form, as it is (no `errors`) or refused ([`Page::render_refused`]).
    pub fn render_form<V: Serialize>(
        &self,
        template: &str,
        title: &str,
        view: V,
        errors: &[FieldError],
    ) -> super::PageResult {
        if errors.is_empty() {
            self.render(template, title, view)
        } else {
            self.render_refused(template, title, view, errors)
        }
    }

    /// Like [`Page::render_refused`] for a form whose fields are empty until refused (a new
    /// visit, a new milestone): `typed`'s fields (a `#[derive(Serialize)]` form) under
    /// `prefix` (`visita` → `visita.date`) are what `{{typed_value "visita.date"}}` writes back.
    pub fn render_refused_typed<V: Serialize, T: Serialize>(
        &self,
        template: &str,
        title: &str,
        view: V,
        errors: &[FieldError],
        prefix: &str,
        typed: &T,
    ) -> super::PageResult {
        let mut layout = Layout::new(self.user.as_ref(), &self.csrf, title, None);
        layout.form_errors = errors.iter().map(SummaryItem::of).collect();
        if let serde_json::Value::Object(fields) = serde_json::to_value(typed)
            .map_err(|e| AppError::Internal(format!("plantilla {template}: {e}")))?
        {
            layout.form_values = fields
                .into_iter()
                .map(|(name, value)| match prefix {
                    "" => (name, value),
                    prefix => (format!("{prefix}.{name}"), value),
                })
                .collect();
        }
        Ok(RawHtml(render(self.templates, template, layout, view)?))
    }

    /// Like [`Page::render`] for a page whose content depends only on what the caller's scope
    /// may see, what `key` names and the figures (not on the person, the CSRF token or a
    /// flash): the content `content` renders (with [`Drawer::content`]) is kept for the versions
    /// of what it shows and served to the next callers of the same scope; it is computed again
    /// only when missing or stale (issue 36). `key` names everything the content reads of the
    /// request (issue 46).
    pub async fn render_kept<F, Fut>(
        &self,
        title: &str,
        key: KeptKey,
        content: F,
    ) -> super::PageResult
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = domain::error::AppResult<String>> + Send + 'static,
    {
        if !self.refused.is_empty() {
            // A refused filter: drawn for this answer only, 422.
            let content = content().await?;
            let mut layout = Layout::new(self.user.as_ref(), &self.csrf, title, None);
            layout.form_errors = self.refused.iter().map(SummaryItem::of).collect();
            let html = RawHtml(frame(self.templates, layout, &content)?);
            return Err(super::Failure::form_again(Ok::<_, super::Failure>(html)));
        }
        let content = self.kept_piece(key, content).await?;
        let mut layout = Layout::new(self.user.as_ref(), &self.csrf, title, self.flash.as_ref());
        layout.updating = self.is_behind();
        Ok(RawHtml(frame(self.templates, layout, &content)?))
    }

    /// A piece of a page kept like [`Page::render_kept`]'s content, under `key` (a page, or
    /// the name of a section) for the caller's scope: for a page whose greeting or forms are
    /// the person's but whose department-wide part is the scope's (the home dashboards).
    pub async fn kept_piece<F, Fut>(&self, key: KeptKey, piece: F) -> AppResult<Arc<String>>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = domain::error::AppResult<String>> + Send + 'static,
    {
        let scope = self.user.as_ref().map(scope_key).unwrap_or_default();
        let (content, behind) = keep(self.kept, self.db, &key, &scope, piece).await?;
        if behind {
            self.behind
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(content)
    }

    /// A value a page shows beside the person's own parts (forms, buttons), kept like
    /// [`Page::kept_piece`] — as its JSON — under `key` for the caller's scope: for a figure
    /// that costs more to compute than a page may (a plan's progress), read back here.
    pub async fn kept_value<V, F, Fut>(&self, key: KeptKey, compute: F) -> AppResult<V>
    where
        V: Serialize + serde::de::DeserializeOwned,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = domain::error::AppResult<V>> + Send + 'static,
    {
        let json = self
            .kept_piece(key, move || async move {
                serde_json::to_string(&compute().await?)
                    .map_err(|e| AppError::Internal(format!("valor guardado: {e}")))
            })
            .await?;
        serde_json::from_str(&json)
            .map_err(|e| AppError::Internal(format!("valor guardado: {e}")).into())
    }

    /// What draws this page's contents ([`Drawer::content`]), owned: a kept content's
    /// computation may draw it after its visitor has her answer (issue 50).
    pub fn drawer(&self) -> Drawer {
        Drawer {
            templates: self.templates.clone(),
            refused: self.refused.clone(),
        }
    }

    /// The overlap warnings kept per cohort (the cohort workspace reads them through it).
    pub fn kept_warnings(&self) -> &domain::cohorts::overlap::KeptWarnings {
        self.warnings
    }

    pub fn require_user(&self) -> AppResult<&CurrentUser> {
        self.user.as_ref().ok_or(AppError::Unauthorized.into())
    }
}

/// Draws a page's content without the page: what a kept content's computation takes with it.
#[derive(Clone)]
pub struct Drawer {
    templates: Templates,
    refused: Vec<FieldError>,
}

impl Drawer {
    /// A drawer of `templates` for work done outside a request (issue 69: the home pages
    /// warmed in the background).
    pub fn new(templates: Templates) -> Self {
        Drawer {
            templates,
            refused: Vec::new(),
        }
    }

    /// The content of `template` for `view`, without the layout and without anything of the
    /// person (no user, no CSRF token, no flash): what [`Page::render_kept`] keeps.
    pub fn content<V: Serialize>(
        &self,
        template: &str,
        title: &str,
        view: V,
    ) -> domain::error::AppResult<String> {
        let mut layout = Layout::new(None, "", title, None);
        layout.form_errors = self.refused.iter().map(SummaryItem::of).collect();
        let data = serde_json::to_value(Rendered { layout, view })
            .map_err(|e| AppError::Internal(format!("plantilla {template}: {e}")))?;
        self.templates.render_value(template, data)
    }
}

/// An API answer kept like a page's content (issue 36): for the department-wide reports whose
/// reading and serialising cost more than a request may at 32 clients. Kept per caller scope
/// and [`KeptKey`] for the versions of what they show, in the same store as the pages (keys
/// apart: an API path is not a page's), with the same rules: single flight, stale served while
/// one caller recomputes, time to live `dashboard_cache_seconds`, a bound per path and scope.
pub struct KeptJson<'r> {
    kept: &'r KeptPages,
    db: &'r sea_orm::DatabaseConnection,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for KeptJson<'r> {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let (Some(kept), Some(db)) = (
            request.rocket().state::<KeptPages>(),
            request.rocket().state::<sea_orm::DatabaseConnection>(),
        ) else {
            return Outcome::Error((Status::InternalServerError, ()));
        };
        Outcome::Success(KeptJson { kept, db })
    }
}

impl KeptJson<'_> {
    /// The JSON of what `compute` gives for `user`'s scope and `key` (the API path and the
    /// parameters it reads): kept, or computed.
    pub async fn answer<V, F, Fut>(
        &self,
        user: &CurrentUser,
        key: KeptKey,
        compute: F,
    ) -> AppResult<rocket::response::content::RawJson<String>>
    where
        V: Serialize,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = domain::error::AppResult<V>> + Send + 'static,
    {
        let (body, _) = keep(
            self.kept,
            self.db,
            &key,
            &scope_key(user),
            move || async move {
                let value = compute().await?;
                serde_json::to_string(&value)
                    .map_err(|e| AppError::Internal(format!("respuesta JSON: {e}")))
            },
        )
        .await?;
        Ok(rocket::response::content::RawJson(body.as_ref().clone()))
    }
}

/// The value kept under `key` for a caller of `scope` and the current versions every instance
/// shares (issue 34: one primary-key read; one more for the survey tallies of a content that
/// shows them), or computed: the one lookup of pages, pieces and API answers. With it, whether
/// it may be behind a known write (issue 61): served for an older version (within the grace
/// the figures worker's moves get), or figures named by a cohort's desk and not flushed yet
/// (one more read, of the few rows of `figures_dirty`).
async fn keep<F, Fut>(
    kept: &KeptPages,
    db: &sea_orm::DatabaseConnection,
    key: &KeptKey,
    scope: &str,
    compute: F,
) -> AppResult<(Arc<String>, bool)>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = domain::error::AppResult<String>> + Send + 'static,
{
    let version = key.versions(db).await?;
    let (value, old) = kept
        .get_marked(key.for_scope(scope), version, compute)
        .await?;
    if old {
        return Ok((value, true));
    }
    Ok((value, domain::figures::worker::waiting(db).await?))
}

/// What decides what a caller may see: two callers with the same key see the same pages.
fn scope_key(user: &CurrentUser) -> String {
    format!(
        "{}|{}|{}|{}|{}",
        user.role.as_str(),
        user.department_code.as_deref().unwrap_or(""),
        user.municipality_code.as_deref().unwrap_or(""),
        user.direction_departments()
            .map(|d| d.join(","))
            .unwrap_or_default(),
        user.provider_id
    )
}

/// What every page's layout reads.
#[derive(Serialize)]
pub struct Layout<'a> {
    pub user: Option<LayoutUser<'a>>,
    pub csrf: &'a str,
    pub title: &'a str,
    pub flash: Option<&'a Flash>,
    /// A refused form's problems (issue 45): the summary at the top of the page, and what
    /// `{{field_error}}` / `{{invalid}}` read beside each field.
    pub form_errors: Vec<SummaryItem<'a>>,
    /// A refused form's values as typed, by field (see `domain::templates::FORM_VALUES`).
    pub form_values: serde_json::Map<String, serde_json::Value>,
    /// A kept part of the page may be behind a known write (issue 61): the layout says
    /// «actualizando».
    pub updating: bool,
    /// The stylesheet's and scripts' content-hashed URLs (issue 66).
    pub assets: &'static super::offline::Assets,
}

/// One problem of a refused form as the page shows it: its field, its message and the id of
/// the message beside the field (what the summary links to; none for a problem of the whole
/// form).
#[derive(Serialize)]
pub struct SummaryItem<'a> {
    pub field: &'a str,
    pub message: &'a str,
    pub anchor: Option<String>,
}

impl<'a> SummaryItem<'a> {
    fn of(error: &'a FieldError) -> Self {
        SummaryItem {
            field: &error.field,
            message: &error.message,
            anchor: (!error.field.is_empty())
                .then(|| domain::templates::error_id(domain::templates::base_field(&error.field))),
        }
    }
}

/// The signed-in person as the layout shows them (menu by role).
#[derive(Serialize)]
pub struct LayoutUser<'a> {
    pub id: i32,
    pub full_name: &'a str,
    pub role: Role,
    pub role_label: &'a str,
    pub is_admin: bool,
    pub is_staff: bool,
    pub is_participant: bool,
}

impl<'a> Layout<'a> {
    pub fn new(
        user: Option<&'a CurrentUser>,
        csrf: &'a str,
        title: &'a str,
        flash: Option<&'a Flash>,
    ) -> Self {
        Layout {
            user: user.map(|u| LayoutUser {
                id: u.id,
                full_name: &u.full_name,
                role: u.role,
                role_label: &u.role_label,
                is_admin: u.role == Role::Admin,
                is_staff: u.is_staff(),
                is_participant: u.role == Role::Participant,
            }),
            csrf,
            title,
            flash,
            form_errors: Vec::new(),
            form_values: serde_json::Map::new(),
            updating: false,
            assets: &super::offline::ASSETS,
        }
    }
}

/// A page's view flattened beside the layout's fields: one object for the template.
#[derive(Serialize)]
struct Rendered<'a, V> {
    #[serde(flatten)]
    layout: Layout<'a>,
    #[serde(flatten)]
    view: V,
}

/// What the layout reads of a page's data besides its rendered content.
const LAYOUT_FIELDS: [&str; 8] = [
    "title",
    "assets",
    "updating",
    "refresh_seconds",
    "user",
    "csrf",
    "flash",
    domain::templates::FORM_ERRORS,
];

/// Renders `template` with `view` beside `layout`, then frames it in the layout; error pages,
/// which may have no `Page`, use it directly.
///
/// Two passes rather than a `{{#> layout}}` block: handlebars deep-copies the whole context
/// into every partial it enters (and then every `{{#each}}` item inside it), which made a
/// page's rendering cost grow with its data several times over.
pub fn render<V: Serialize>(
    templates: &Templates,
    template: &str,
    layout: Layout<'_>,
    view: V,
) -> crate::error::DomainResult<String> {
    let data = serde_json::to_value(Rendered { layout, view })
        .map_err(|e| domain::error::AppError::Internal(format!("plantilla {template}: {e}")))?;
    let mut frame = serde_json::Map::new();
    for field in LAYOUT_FIELDS {
        if let Some(value) = data.get(field) {
            frame.insert(field.to_string(), value.clone());
        }
    }
    let content = templates.render_value(template, data)?;
    frame.insert("content".to_string(), serde_json::Value::String(content));
    frame.insert(SITE.to_string(), templates.site().clone());
    templates.render_value("layout", serde_json::Value::Object(frame))
}

/// Where the layout reads the entity that runs the installation (issue 67: the GOV.CO top
/// bar's page and the institutional footer), from the settings' `entity`.
const SITE: &str = "site";

/// Stands for the content while the layout is drawn (a control character no page contains).
const CONTENT_MARK: &str = "\u{1}contenido\u{1}";

/// Frames already rendered `content` in the layout of `layout`: the layout is drawn around a
/// mark and the content put in its place, so a large kept content is copied once rather than
/// passed through the template engine.
fn frame(
    templates: &Templates,
    layout: Layout<'_>,
    content: &str,
) -> crate::error::DomainResult<String> {
    let mut data = serde_json::to_value(layout)
        .map_err(|e| domain::error::AppError::Internal(format!("plantilla layout: {e}")))?;
    if let Some(object) = data.as_object_mut() {
        object.insert(
            "content".to_string(),
            serde_json::Value::String(CONTENT_MARK.to_string()),
        );
        object.insert(SITE.to_string(), templates.site().clone());
    }
    let shell = templates.render_value("layout", data)?;
    let (before, after) = shell.split_once(CONTENT_MARK).ok_or_else(|| {
        domain::error::AppError::Internal("plantilla layout: sin lugar para el contenido".into())
    })?;
    let mut page = String::with_capacity(before.len() + content.len() + after.len());
    page.push_str(before);
    page.push_str(content);
    page.push_str(after);
    Ok(page)
}
