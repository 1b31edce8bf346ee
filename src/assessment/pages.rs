//! Pages: add, change and remove a cohort's assessment items (from the follow-up page), the
//! scores grid (one form for every person and item), and the scores sheet (download, upload
//! with a preview, confirm).

use crate::accounts::guards::{CurrentUser, StaffOrInstructor};
use crate::attendance::pages::followup_url;
use crate::error::AppResult;
use crate::spreadsheets::download::Download;
use crate::web::Page;
use crate::web::PageResult;
use crate::web::csrf::{CsrfForm, PlainForm, csrf_protected};
use crate::web::form::decimal_field;
use crate::web::import::{self, ConfirmForm, ImportPage, UploadForm};
use domain::assessment::sheet::{self, RawScore, ScoreUploadSummary, ScoresImport};
use domain::assessment::{AssessmentInput, GridCell};
use domain::attendance::{Access, cohort_access};
use domain::entities::cohort;
use domain::error::{AppError, FieldError};
use domain::results;
use rocket::form::FromForm;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde::Serialize;
use std::collections::HashMap;

pub fn routes() -> Vec<Route> {
    routes![
        add_item,
        update_item,
        delete_item,
        grid_page,
        grid_submit,
        scores_xlsx,
        scores_preview,
        scores_confirm
    ]
}

fn grid_url(cohort_id: i32) -> String {
    format!("/seguimiento/cohortes/{cohort_id}/notas")
}

/// Runs a change and comes back to the cohort's follow-up with its outcome as a message; when
/// refused, the follow-up again with the form (its fields under `form`) as typed.
async fn outcome<T>(
    db: &DatabaseConnection,
    page: &Page<'_>,
    cohort_id: i32,
    form: (&str, &impl Serialize),
    result: crate::error::DomainResult<T>,
    success: impl FnOnce(T) -> String,
) -> PageResult<Flash<Redirect>> {
    crate::web::form::saved_or_again(
        result,
        |value| Flash::success(Redirect::to(followup_url(cohort_id)), success(value)),
        async |errors| {
            crate::attendance::pages::followup_again(db, page, cohort_id, form, errors).await
        },
    )
    .await
}

#[derive(FromForm, Serialize)]
struct ItemForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    weight: String,
}

csrf_protected!(ItemForm);

impl ItemForm {
    fn input(&self) -> AppResult<AssessmentInput> {
        let mut errors = Vec::new();
        let weight = decimal_field("weight", &self.weight, &mut errors);
        if !errors.is_empty() {
            return Err(AppError::Validation(errors).into());
        }
        Ok(AssessmentInput {
            name: Some(self.name.clone()),
            weight,
        })
    }
}

#[post("/seguimiento/cohortes/<id>/evaluaciones", data = "<form>")]
async fn add_item(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: StaffOrInstructor,
    id: i32,
    form: CsrfForm<ItemForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let result = async {
        let input = form.input()?;
        domain::db::write(db, async |txn| {
            let (cohort, access) = cohort_access(txn, &user, id).await?;
            access.require_manage()?;
            domain::assessment::create(txn, user.id, &cohort, &input).await
        })
        .await
    }
    .await;
    outcome(db, &page, id, ("evaluacion", &form), result, |v| {
        format!("Evaluación «{}» agregada con peso {} %.", v.name, v.weight)
    })
    .await
}

#[post("/seguimiento/evaluaciones/<id>", data = "<form>")]
async fn update_item(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: StaffOrInstructor,
    id: i32,
    form: CsrfForm<ItemForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let item = domain::assessment::find(db.inner(), id).await?;
    let cohort_id = item.cohort_id;
    let result = async {
        let input = form.input()?;
        domain::db::write(db, async |txn| {
            let (cohort, access) = cohort_access(txn, &user, cohort_id).await?;
            access.require_manage()?;
            domain::assessment::update(txn, user.id, &cohort, item, &input).await
        })
        .await
    }
    .await;
    let prefix = format!("evaluacion-{id}");
    outcome(db, &page, cohort_id, (&prefix, &form), result, |v| {
        format!("Evaluación «{}» guardada ({} %).", v.name, v.weight)
    })
    .await
}

#[post("/seguimiento/evaluaciones/<id>/eliminar", data = "<_form>")]
async fn delete_item(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: StaffOrInstructor,
    id: i32,
    _form: CsrfForm<PlainForm>,
) -> PageResult<Flash<Redirect>> {
    let item = domain::assessment::find(db.inner(), id).await?;
    let (cohort_id, name) = (item.cohort_id, item.name.clone());
    let result = domain::db::write(db, async |txn| {
        let (cohort, access) = cohort_access(txn, &user, cohort_id).await?;
        access.require_manage()?;
        domain::assessment::remove(txn, user.id, &cohort, item).await?;
        Ok(())
    })
    .await;
    let prefix = format!("evaluacion-{id}");
    outcome(db, &page, cohort_id, (&prefix, &()), result, |_| {
        format!("Evaluación «{name}» eliminada.")
    })
    .await
}

/// One score cell of the grid.
#[derive(Serialize)]
struct ScoreCell {
    key: String,
    value: String,
    label: String,
    invalid: bool,
}

/// A person's row of the grid.
#[derive(Serialize)]
struct ScoreRow {
    enrolment_id: i32,
    full_name: String,
    document: String,
    cells: Vec<ScoreCell>,
    #[serde(rename = "final")]
    final_grade: Option<String>,
    completed: bool,
}

#[derive(Serialize)]
struct GridCohort<'a> {
    id: i32,
    name: &'a str,
    pass_mark_text: String,
}

#[derive(Serialize)]
struct GridItem {
    id: i32,
    name: String,
    weight: i32,
}

#[derive(Serialize)]
struct GridView<'a> {
    cohort: GridCohort<'a>,
    items: Vec<GridItem>,
    rows: Vec<ScoreRow>,
    can_edit: bool,
    weights_total: i32,
    weights_ok: bool,
    errors: Vec<FieldError>,
}

/// The grid: a row per enrolled person, a cell per item. `typed` keeps what was typed when
/// saving failed.
async fn grid_context<'a, C: ConnectionTrait>(
    db: &C,
    cohort: &'a cohort::Model,
    access: &Access,
    typed: Option<&HashMap<String, String>>,
    errors: &[FieldError],
) -> AppResult<GridView<'a>> {
    let items = results::items(db, cohort.id).await?;
    let people = access.people();
    let roster = domain::attendance::enrolled(db, cohort.id, &people).await?;
    let scores = results::scores_by_enrolment(db, cohort.id).await?;
    let finals: HashMap<i32, results::ResultRow> = results::compute(db, cohort, &people, None)
        .await?
        .into_iter()
        .map(|r| (r.enrolment_id, r))
        .collect();
    let can_edit = access.can_manage() && !cohort.status.is_final();
    let none = HashMap::new();
    let rows = roster
        .iter()
        .map(|r| {
            let theirs = scores.get(&r.enrolment_id).unwrap_or(&none);
            let cells = items
                .iter()
                .map(|i| {
                    let key = format!("{}-{}", r.enrolment_id, i.id);
                    let value = typed
                        .and_then(|t| t.get(&key).cloned())
                        .or_else(|| theirs.get(&i.id).map(|t| domain::format::grade_tenths(*t)))
                        .unwrap_or_default();
                    let field = format!("nota[{key}]");
                    ScoreCell {
                        label: format!("{} de {}", i.name, r.full_name),
                        invalid: errors.iter().any(|e| e.field == field),
                        key,
                        value,
                    }
                })
                .collect();
            let result = finals.get(&r.enrolment_id);
            ScoreRow {
                enrolment_id: r.enrolment_id,
                full_name: r.full_name.clone(),
                document: format!("{} {}", r.document_type, r.document_number),
                cells,
                final_grade: result
                    .and_then(|f| f.final_grade_milli)
                    .map(domain::format::grade),
                completed: result.is_some_and(|f| f.completed == Some(true)),
            }
        })
        .collect();
    let weights: i32 = items.iter().map(|i| i.weight).sum();
    Ok(GridView {
        cohort: GridCohort {
            id: cohort.id,
            name: &cohort.name,
            pass_mark_text: domain::format::grade_tenths(cohort.pass_mark_tenths),
        },
        items: items
            .iter()
            .map(|i| GridItem {
                id: i.id,
                name: i.name.clone(),
                weight: i.weight,
            })
            .collect(),
        rows,
        can_edit,
        weights_total: weights,
        weights_ok: weights == 100,
        errors: errors.to_vec(),
    })
}

#[get("/seguimiento/cohortes/<id>/notas")]
async fn grid_page(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    page: Page<'_>,
    id: i32,
) -> PageResult {
    let (cohort, access) = cohort_access(db.inner(), &user, id).await?;
    if let Access::Own(_) = access {
        return Err(AppError::Forbidden.into());
    }
    let context = grid_context(db.inner(), &cohort, &access, None, &[]).await?;
    page.render("scores_grid", &format!("Notas · {}", cohort.name), context)
}

#[derive(FromForm)]
struct GridForm {
    #[field(default = String::new())]
    csrf_token: String,
    /// "enrolment-assessment" → the score typed.
    #[field(default = HashMap::new())]
    nota: HashMap<String, String>,
}

csrf_protected!(GridForm);

#[post("/seguimiento/cohortes/<id>/notas", data = "<form>")]
async fn grid_submit(
    db: &State<DatabaseConnection>,
    user: StaffOrInstructor,
    page: Page<'_>,
    id: i32,
    form: CsrfForm<GridForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let result = async {
        let mut cells: Vec<GridCell> = Vec::new();
        let mut errors = Vec::new();
        for (key, value) in &form.nota {
            let parsed = key
                .split_once('-')
                .and_then(|(e, i)| Some((e.parse::<i32>().ok()?, i.parse::<i32>().ok()?)));
            match parsed {
                Some((e, i)) => cells.push((e, i, value.clone())),
                None => errors.push(FieldError::new(
                    format!("nota[{key}]"),
                    "Celda desconocida.",
                )),
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        cells.sort();
        domain::db::write(db, async |txn| {
            let (cohort, access) = cohort_access(txn, &user, id).await?;
            access.require_manage()?;
            let planned =
                domain::assessment::plan_grid(txn, &access.people(), &cohort, &cells).await?;
            domain::assessment::save_scores(txn, user.id, &cohort, &planned).await
        })
        .await
    }
    .await;
    crate::web::form::saved_or_again(
        result,
        |changed| {
            Flash::success(
                Redirect::to(grid_url(id)),
                match changed {
                    0 => "No había cambios que guardar.".to_string(),
                    1 => "Notas guardadas: 1 cambio.".to_string(),
                    n => format!("Notas guardadas: {n} cambios."),
                },
            )
        },
        async |errors| {
            let (cohort, access) = cohort_access(db.inner(), &user, id).await?;
            let context =
                grid_context(db.inner(), &cohort, &access, Some(&form.nota), &errors).await?;
            page.render_refused(
                "scores_grid",
                &format!("Notas · {}", cohort.name),
                context,
                &errors,
            )
        },
    )
    .await
}

#[get("/seguimiento/cohortes/<id>/notas.xlsx")]
async fn scores_xlsx(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Download> {
    let (cohort, access) = cohort_access(db.inner(), &user, id).await?;
    if let Access::Own(_) = access {
        return Err(AppError::Forbidden.into());
    }
    let bytes = sheet::workbook(db.inner(), &cohort, &access.people(), &user.full_name).await?;
    Ok(Download::xlsx(
        &format!("calificaciones-{}.xlsx", cohort.id),
        bytes,
    ))
}

/// The scores grid on pages: upload → preview → confirm.
impl ImportPage for ScoresImport<'_> {
    const TEMPLATE: &'static str = "scores_preview";
    const TITLE: &'static str = "Revisar la planilla de notas";
    const CHANGED_MEANWHILE: &'static str = "";
    const BACK: fn(i32) -> String = grid_url;
    const SAVED: (&'static str, &'static str, &'static str) = (
        "Planilla de notas guardada",
        "nota nueva o cambiada",
        "notas nuevas o cambiadas",
    );

    fn cohort(&self) -> &cohort::Model {
        self.cohort()
    }

    fn confirmation(summary: &ScoreUploadSummary) -> Vec<RawScore> {
        summary.changes.iter().map(RawScore::from).collect()
    }
}

#[post("/seguimiento/cohortes/<id>/notas/subir", data = "<form>")]
async fn scores_preview(
    db: &State<DatabaseConnection>,
    user: StaffOrInstructor,
    page: Page<'_>,
    id: i32,
    form: CsrfForm<UploadForm<'_>>,
) -> PageResult {
    let scores = ScoresImport::open(db.inner(), &user, id);
    import::preview(&page, db, scores, &form.0.file).await
}

#[post("/seguimiento/cohortes/<id>/notas/confirmar", data = "<form>")]
async fn scores_confirm(
    db: &State<DatabaseConnection>,
    user: StaffOrInstructor,
    page: Page<'_>,
    id: i32,
    form: CsrfForm<ConfirmForm>,
) -> PageResult<Flash<Redirect>> {
    let scores = ScoresImport::open(db.inner(), &user, id);
    import::confirm(&page, db, scores, form.0).await
}
