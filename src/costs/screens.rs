//! The cost forms sent from a screen and answered on it (issue 63): a cost added from a
//! cohort's workspace or from an assistance's page, and a cost's stage changed on its card.
//! The «Costos» panel (`super::pages`) is shown by those screens and imports neither; this
//! file, which no screen imports, answers on both.

use super::pages::{CostForm, StageForm, added};
use crate::accounts::guards::StaffUser;
use crate::cohorts::pages::{Section, Typed, section_again};
use crate::web::csrf::CsrfForm;
use crate::web::{Page, PageResult};
use domain::costs::items::{self, CostInput, CostView, Target};
use domain::error::AppResult;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, post, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![
        add_cohort_cost_submit,
        add_assistance_cost_submit,
        stage_submit
    ]
}

/// The screen a cost's form was sent from.
#[derive(Clone, Copy)]
enum Screen {
    /// The «Costos» section of cohort `id`'s workspace.
    Cohort(i32),
    /// Assistance `id`'s page.
    Assistance(i32),
}

impl Screen {
    fn of(target: &Target) -> Screen {
        match target {
            Target::Cohort(c) => Screen::Cohort(c.id),
            Target::Assistance(a) => Screen::Assistance(a.id),
        }
    }
}

/// Back to `screen` with `success`'s message; refused, the screen again with the form (its
/// fields under `prefix`) as typed and each problem beside its field (422).
async fn answer<F: Serialize>(
    db: &DatabaseConnection,
    page: &Page<'_>,
    screen: Screen,
    result: AppResult<CostView>,
    success: impl Fn(&CostView) -> String,
    (prefix, form): (&str, &F),
) -> PageResult<Flash<Redirect>> {
    match screen {
        Screen::Cohort(id) => {
            crate::web::form::saved_or_again(
                result,
                |view| Flash::success(Redirect::to(Section::Costs.path(id)), success(&view)),
                async |errors| {
                    let typed = Typed::form(prefix, form);
                    section_again(db, page, id, Section::Costs, typed, &errors).await
                },
            )
            .await
        }
        Screen::Assistance(id) => {
            let done = result.as_ref().map(success).unwrap_or_default();
            crate::assistance::pages::back(db, page, id, result, &done, (prefix, form)).await
        }
    }
}

#[post("/coordinacion/cohortes/<id>/costos", data = "<form>")]
async fn add_cohort_cost_submit(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    page: Page<'_>,
    id: i32,
    form: CsrfForm<CostForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let input = form.input();
    let result = domain::db::write(db, async |txn| {
        let target = items::cohort_managed(txn, &staff, id).await?;
        items::add(txn, staff.id, &target, &input).await
    })
    .await;
    let screen = Screen::Cohort(id);
    answer(db, &page, screen, result, added, ("costo", &form)).await
}

#[post("/asistencias/<id>/costos", data = "<form>")]
async fn add_assistance_cost_submit(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    page: Page<'_>,
    id: i32,
    form: CsrfForm<CostForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let input = form.input();
    let result = domain::db::write(db, async |txn| {
        let target = items::assistance_managed(txn, &staff, id).await?;
        items::add(txn, staff.id, &target, &input).await
    })
    .await;
    let screen = Screen::Assistance(id);
    answer(db, &page, screen, result, added, ("costo", &form)).await
}

#[post("/costos/<id>/etapa", data = "<form>")]
async fn stage_submit(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    page: Page<'_>,
    id: i32,
    form: CsrfForm<StageForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let (item, target) = items::find_managed(db.inner(), &staff, id).await?;
    let input = CostInput {
        stage: Some(form.stage.clone()),
        ..CostInput::default()
    };
    let result = domain::db::write(db, async |txn| {
        items::update(txn, staff.id, &target, item, &input).await
    })
    .await;
    let staged = |view: &CostView| {
        format!(
            "Costo de {} ahora {}.",
            view.kind_label.to_lowercase(),
            view.stage_label.to_lowercase()
        )
    };
    let prefix = format!("costo-{id}");
    let screen = Screen::of(&target);
    answer(db, &page, screen, result, staged, (&prefix, &form)).await
}
