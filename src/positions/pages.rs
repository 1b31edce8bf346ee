//! «Cargos clave» (`/municipios/<code>/cargos`): a municipality's key positions with the
//! headline «3 de 5», the form that adds one, the spreadsheet import; each position's page
//! (`/cargos/<id>`) changes it and records its holder's departure.

use crate::accounts::guards::MunicipalityReader;
use crate::mail::Mailer;
use crate::web::csrf::{CsrfForm, csrf_protected};
use crate::web::import::DraftUploadForm;
use crate::web::{Failure, Page, PageResult};
use domain::accounts::actor::Actor;
use domain::entities::participant;
use domain::error::{AppResult, FieldError};
use domain::positions::import::{PositionImport, PositionImportSummary};
use domain::positions::{
    self, DepartureInput, HolderInput, PositionInput, PositionView, Positions,
};
use domain::reports::place::Place;
use rocket::form::FromForm;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![
        positions_page,
        create_submit,
        position_page,
        update_submit,
        departure_submit,
        import_submit,
        import_template
    ]
}

/// One option of a choice.
#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// A position's fields as the forms hold them (typed, or the position's).
#[derive(FromForm, Default, Clone, Serialize)]
pub struct PositionForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = String::new())]
    title: String,
    #[field(default = String::new())]
    capacity_id: String,
    #[field(default = String::new())]
    holder_participant_id: String,
    #[field(default = String::new())]
    holder_name: String,
    #[field(default = String::new())]
    appointment: String,
    #[field(default = String::new())]
    since: String,
}
csrf_protected!(PositionForm);

impl PositionForm {
    fn of(p: &PositionView) -> Self {
        let holder = p.holder.as_ref();
        PositionForm {
            csrf_token: String::new(),
            title: p.title.clone(),
            capacity_id: p.capacity_id.to_string(),
            holder_participant_id: holder
                .and_then(|h| h.participant_id)
                .map(|id| id.to_string())
                .unwrap_or_default(),
            holder_name: holder
                .filter(|h| h.participant_id.is_none())
                .map(|h| h.full_name.clone())
                .unwrap_or_default(),
            appointment: p.appointment.clone().unwrap_or_default(),
            since: p.since.map(|d| d.to_string()).unwrap_or_default(),
        }
    }

    /// What the domain takes; a holder only when one is chosen or named. A number that is not
    /// one is the domain's missing value (its message beside the field).
    fn input(&self) -> PositionInput {
        let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let person = self.holder_participant_id.trim().parse::<i32>().ok();
        let name = text(&self.holder_name);
        let holder = match (person, name) {
            (None, None) => None,
            (person, name) => Some(HolderInput {
                participant_id: person,
                full_name: name,
            }),
        };
        PositionInput {
            title: Some(self.title.clone()),
            capacity_id: Some(self.capacity_id.trim().parse::<i32>().unwrap_or(0)),
            holder,
            appointment: text(&self.appointment),
            since: text(&self.since),
        }
    }
}

/// The departure form.
#[derive(FromForm, Default, Clone, Serialize)]
pub struct DepartureForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = String::new())]
    on: String,
    #[field(default = String::new())]
    reason: String,
}
csrf_protected!(DepartureForm);

/// The domain's field names as the forms name them, under the form's prefix.
fn form_errors(prefix: &str, errors: Vec<FieldError>) -> Vec<FieldError> {
    let renamed = errors
        .into_iter()
        .map(|mut e| {
            e.field = match e.field.as_str() {
                "holder.participant_id" => "holder_participant_id".into(),
                "holder.full_name" | "holder" => "holder_name".into(),
                _ => e.field,
            };
            e
        })
        .collect();
    crate::web::form::scoped(prefix, renamed)
}

/// The choices of the forms: capacities, people of the municipality, appointment types.
struct Choices {
    capacities: Vec<(i32, String)>,
    people: Vec<(i32, String)>,
}

async fn choices(db: &DatabaseConnection, code: &str) -> AppResult<Choices> {
    let capacities = domain::capacities::in_order(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let mut people: Vec<(i32, String)> = participant::Entity::find()
        .filter(participant::Column::MunicipalityCode.eq(code))
        .filter(participant::Column::AnonymisedAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|p| {
            let label = match p.position.as_deref().filter(|s| !s.is_empty()) {
                Some(position) => format!("{} — {position}", p.full_name()),
                None => p.full_name(),
            };
            (p.id, label)
        })
        .collect();
    people.sort_by(|a, b| domain::text::by_name(&a.1, &b.1));
    Ok(Choices { capacities, people })
}

fn options(items: &[(i32, String)], chosen: &str) -> Vec<Choice> {
    items
        .iter()
        .map(|(id, label)| Choice {
            value: id.to_string(),
            label: label.clone(),
            selected: chosen.trim() == id.to_string(),
        })
        .collect()
}

fn appointments(chosen: &str) -> Vec<Choice> {
    positions::APPOINTMENTS
        .iter()
        .map(|(value, label)| Choice {
            value: (*value).to_string(),
            label: (*label).to_string(),
            selected: chosen == *value,
        })
        .collect()
}

/// The form's choices and values.
#[derive(Serialize)]
struct FormView {
    values: PositionForm,
    capacities: Vec<Choice>,
    people: Vec<Choice>,
    appointments: Vec<Choice>,
}

impl FormView {
    fn new(choices: &Choices, values: PositionForm) -> Self {
        FormView {
            capacities: options(&choices.capacities, &values.capacity_id),
            people: options(&choices.people, &values.holder_participant_id),
            appointments: appointments(&values.appointment),
            values,
        }
    }
}

#[derive(Serialize)]
struct ImportView {
    summary: Option<PositionImportSummary>,
    errors: Vec<FieldError>,
    draft: Option<String>,
}

#[derive(Serialize)]
struct PositionsPageView {
    positions: Positions,
    /// «Cargos clave de Puerto Rico: 3 de 5 con titular certificado».
    headline: String,
    form: FormView,
    suggested: Vec<&'static str>,
    import: ImportView,
}

fn headline(p: &Positions) -> String {
    format!(
        "{} de {} cargos clave con titular certificado en su capacidad",
        p.held_by_certified, p.total
    )
}

async fn positions_html(
    db: &DatabaseConnection,
    page: &Page<'_>,
    user: &Actor,
    code: &str,
    values: PositionForm,
    errors: &[FieldError],
    import: ImportView,
) -> PageResult {
    let positions = positions::list(db, user, code).await?;
    let choices = choices(db, &positions.municipality.code).await?;
    let title = format!("Cargos clave de {}", positions.municipality.name);
    let view = PositionsPageView {
        headline: headline(&positions),
        positions,
        form: FormView::new(&choices, values),
        suggested: positions::SUGGESTED.iter().map(|(t, _)| *t).collect(),
        import,
    };
    page.render_form("positions", &title, view, errors)
}

/// A municipality's key positions (404 outside the caller's scope).
#[get("/municipios/<code>/cargos")]
async fn positions_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: MunicipalityReader,
    code: &str,
) -> PageResult {
    positions_html(
        db.inner(),
        &page,
        &user,
        code,
        <PositionForm as Default>::default(),
        &[],
        ImportView {
            summary: None,
            errors: Vec::new(),
            draft: None,
        },
    )
    .await
}

/// Adds a position from the page.
#[post("/municipios/<code>/cargos", data = "<form>")]
async fn create_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: MunicipalityReader,
    code: &str,
    form: CsrfForm<PositionForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let result = positions::create(db.inner(), &user, code, &form.input()).await;
    crate::web::form::saved_or_again(
        result,
        |view| {
            Flash::success(
                Redirect::to(positions::page_path(&view.municipality_code)),
                format!("Cargo agregado: {}.", view.title),
            )
        },
        async |errors| {
            let errors = form_errors("nuevo", errors);
            let import = ImportView {
                summary: None,
                errors: Vec::new(),
                draft: None,
            };
            positions_html(
                db.inner(),
                &page,
                &user,
                code,
                form.clone(),
                &errors,
                import,
            )
            .await
        },
    )
    .await
}

#[derive(Serialize)]
struct PositionPageView {
    municipality: Place,
    position: PositionView,
    form: FormView,
    departure: DepartureForm,
    today: String,
    back: String,
}

async fn position_html(
    db: &DatabaseConnection,
    page: &Page<'_>,
    user: &Actor,
    id: i32,
    values: Option<PositionForm>,
    departure: DepartureForm,
    errors: &[FieldError],
) -> PageResult {
    let (municipality, position) = positions::get(db, user, id).await?;
    let choices = choices(db, &municipality.code).await?;
    let values = values.unwrap_or_else(|| PositionForm::of(&position));
    let title = format!("{} · {}", position.title, municipality.name);
    let view = PositionPageView {
        back: positions::page_path(&municipality.code),
        today: domain::time::today().to_string(),
        form: FormView::new(&choices, values),
        municipality,
        position,
        departure,
    };
    page.render_form("position", &title, view, errors)
}

/// One position: its form and, while held, the departure form (404 outside the scope).
#[get("/cargos/<id>")]
async fn position_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: MunicipalityReader,
    id: i32,
) -> PageResult {
    position_html(
        db.inner(),
        &page,
        &user,
        id,
        None,
        <DepartureForm as Default>::default(),
        &[],
    )
    .await
}

/// Changes a position from its page.
#[post("/cargos/<id>", data = "<form>")]
async fn update_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    page: Page<'_>,
    user: MunicipalityReader,
    id: i32,
    form: CsrfForm<PositionForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let result = positions::update(db.inner(), &notifier, &user, id, &form.input()).await;
    crate::web::form::saved_or_again(
        result,
        |view| {
            Flash::success(
                Redirect::to(positions::page_path(&view.municipality_code)),
                format!("Cargo guardado: {}.", view.title),
            )
        },
        async |errors| {
            let errors = form_errors("cargo", errors);
            position_html(
                db.inner(),
                &page,
                &user,
                id,
                Some(form.clone()),
                <DepartureForm as Default>::default(),
                &errors,
            )
            .await
        },
    )
    .await
}

/// Records the holder's departure from the position's page.
#[post("/cargos/<id>/salida", data = "<form>")]
async fn departure_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    page: Page<'_>,
    user: MunicipalityReader,
    id: i32,
    form: CsrfForm<DepartureForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let input = DepartureInput {
        on: Some(form.on.clone()),
        reason: Some(form.reason.clone()),
    };
    let result = positions::depart(db.inner(), &notifier, &user, id, &input).await;
    crate::web::form::saved_or_again(
        result,
        |view| {
            let told = view.last_departure.as_ref().is_some_and(|d| d.certified);
            Flash::success(
                Redirect::to(positions::page_path(&view.municipality_code)),
                if told {
                    format!(
                        "Salida registrada: el cargo de {} queda vacante. Avisamos a la \
                         gobernación y al enlace municipal: quien salió estaba certificado en \
                         {}.",
                        view.title,
                        view.capacity_name.to_lowercase()
                    )
                } else {
                    format!(
                        "Salida registrada: el cargo de {} queda vacante.",
                        view.title
                    )
                },
            )
        },
        async |errors| {
            let errors = form_errors("salida", errors);
            position_html(db.inner(), &page, &user, id, None, form.clone(), &errors).await
        },
    )
    .await
}

/// A file of positions from the page: «Revisar sin guardar» previews, «Importar» saves; every
/// problem with its row (422), nothing saved.
#[post("/municipios/<code>/cargos/importar?<accion>", data = "<form>")]
async fn import_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: MunicipalityReader,
    code: &str,
    accion: Option<String>,
    form: CsrfForm<DraftUploadForm<'_>>,
) -> PageResult {
    let kind = format!("positions-{code}");
    let outcome = form
        .0
        .kept(
            db.inner(),
            PositionImport::open(db.inner(), &user, code),
            user.id,
            &kind,
            (accion.as_deref(), "importar"),
        )
        .await?;
    let import = ImportView {
        summary: outcome.summary,
        errors: outcome.errors,
        draft: outcome.draft,
    };
    let rendered = positions_html(
        db.inner(),
        &page,
        &user,
        code,
        <PositionForm as Default>::default(),
        &[],
        import,
    )
    .await?;
    Failure::unless_ok(outcome.status, rendered)
}

/// The import's template.
#[get("/municipios/<code>/cargos/plantilla.xlsx")]
async fn import_template(
    db: &State<DatabaseConnection>,
    user: MunicipalityReader,
    code: &str,
) -> PageResult<crate::spreadsheets::download::Download> {
    positions::scoped(db.inner(), &user, code).await?;
    Ok(crate::positions::api::template_download(db.inner()).await?)
}
