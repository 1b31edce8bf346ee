//! A new plan: the form (year, provider, direction) and its answer.

use super::*;

#[derive(Serialize, Default)]
pub(super) struct NewPlanFields {
    name: String,
}

#[derive(Serialize)]
pub(super) struct NewPlanView {
    form: NewPlanFields,
    years: Vec<OwnedChoice>,
    /// An admin chooses the provider.
    providers: Option<Vec<OwnedChoice>>,
    provider_name: String,
    /// An admin or ESAP's national coordinator chooses the direction.
    directions: Option<Vec<OwnedChoice>>,
    /// A territorial direction's coordinator writes its direction's plan.
    own_direction: Option<String>,
    department_note: Option<String>,
}

#[derive(FromForm, Default)]
pub(super) struct NewPlanForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    year: String,
    #[field(default = String::new())]
    provider_id: String,
    #[field(default = String::new())]
    territorial_direction_id: String,
}
csrf_protected!(NewPlanForm);

/// The new-plan page, as it opens or refused with what was typed.
pub(super) async fn new_html(
    db: &DatabaseConnection,
    page: &Page<'_>,
    user: &CurrentUser,
    form: &NewPlanForm,
    errors: &[FieldError],
) -> PageResult {
    let provider = domain::providers::get(db, user.provider_id).await?;
    let chosen_year = form.year.trim().parse::<i32>().ok();
    let years = plans::open_years()
        .into_iter()
        .map(|y| (y, y.to_string()))
        .collect();
    let years = OwnedChoice::of_rows(years, chosen_year.or(Some(plans::open_years()[0])));
    let admin = user.role == Role::Admin;
    let providers = if admin {
        let rows = domain::providers::active(db)
            .await?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect();
        Some(OwnedChoice::of_rows(
            rows,
            form.provider_id
                .trim()
                .parse()
                .ok()
                .or(Some(domain::providers::ESAP)),
        ))
    } else {
        None
    };
    let own_direction = user
        .direction_departments()
        .and(user.direction.as_ref())
        .map(|d| d.name.clone());
    let directions = if admin || (own_direction.is_none() && !user.is_other_provider()) {
        let chosen = form.territorial_direction_id.trim().parse::<i32>().ok();
        let mut choices = vec![OwnedChoice {
            value: String::new(),
            label: "Plan nacional de la ESAP (sin dirección)".into(),
            selected: chosen.is_none(),
        }];
        choices.extend(OwnedChoice::of_rows(
            domain::territory::directions::list(db)
                .await?
                .into_iter()
                .map(|d| (d.id, d.name))
                .collect(),
            chosen,
        ));
        Some(choices)
    } else {
        None
    };
    let department_note = (!admin && provider.kind == ProviderKind::Gobernacion).then(|| {
        "El plan de una gobernación es el de su departamento: sus líneas llegan a sus \
         municipios."
            .to_string()
    });
    page.render_form(
        "plan_new",
        "Nuevo plan de trabajo",
        NewPlanView {
            form: NewPlanFields {
                name: form.name.clone(),
            },
            years,
            providers,
            provider_name: provider.name,
            directions,
            own_direction,
            department_note,
        },
        errors,
    )
}

#[get("/planes/nuevo")]
pub(super) async fn new_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
) -> PageResult {
    new_html(db, &page, &staff, &<NewPlanForm as Default>::default(), &[]).await
}

pub(super) fn optional_id(text: &str) -> Option<i32> {
    text.trim().parse().ok()
}

#[post("/planes", data = "<form>")]
pub(super) async fn create_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    form: CsrfForm<NewPlanForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let input = PlanInput {
        provider_id: optional_id(&form.provider_id),
        territorial_direction_id: optional_id(&form.territorial_direction_id),
        department_code: None,
        year: form.year.trim().parse().ok(),
        name: Some(form.name.clone()),
    };
    let result = domain::db::write(db, async |txn| plans::create(txn, &staff, &input).await).await;
    crate::web::form::saved_or_again(
        result,
        |view| {
            Flash::success(
                Redirect::to(format!("/planes/{}", view.id)),
                "Plan creado como borrador: agregue sus líneas.",
            )
        },
        async |errors| new_html(db, &page, &staff, &form, &errors).await,
    )
    .await
}
