//! The milestones of an assistance: adding one, marking one done.

use super::*;

#[derive(FromForm, Serialize)]
pub(super) struct MilestoneForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = String::new())]
    title: String,
    #[field(default = String::new())]
    due_on: String,
}
csrf_protected!(MilestoneForm);

#[post("/asistencias/<id>/hitos", data = "<form>")]
pub(super) async fn milestone_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    id: i32,
    form: CsrfForm<MilestoneForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let input = MilestoneInput {
        title: Some(form.title.clone()),
        due_on: Some(form.due_on.clone()),
    };
    let result = domain::db::write(db, async |txn| {
        assistance::add_milestone(txn, &staff, id, &input).await
    })
    .await;
    back(db, &page, id, result, "Hito agregado.", ("hito", &form)).await
}

#[derive(FromForm, Serialize)]
pub(super) struct DoneForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = String::new())]
    done_on: String,
    #[field(default = 0)]
    assistance_id: i32,
}
csrf_protected!(DoneForm);

#[post("/hitos/<milestone>", data = "<form>")]
pub(super) async fn milestone_done_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    milestone: i32,
    form: CsrfForm<DoneForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let done = Some(form.done_on.trim()).filter(|d| !d.is_empty());
    let result = domain::db::write(db, async |txn| {
        assistance::mark_milestone(txn, &staff, milestone, Some(done)).await
    })
    .await;
    let prefix = format!("hito-{milestone}");
    back(
        db,
        &page,
        form.assistance_id,
        result,
        "Hito actualizado.",
        (&prefix, &form),
    )
    .await
}
