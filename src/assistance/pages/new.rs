//! A new assistance: the form (the entity, its place, capacities, descriptors, the demands it
//! answers, the providers it is delivered with) and its answer.

use super::*;

#[derive(Serialize)]
pub(super) struct CapacityBox {
    id: i32,
    name: String,
    checked: bool,
}

#[derive(Serialize, Default)]
pub(super) struct NewFields {
    municipality_code: String,
    department_code: String,
    objective: String,
    starts_on: String,
    ends_on: String,
    modality: String,
    entity_type: String,
    contact_email: String,
}

#[derive(Serialize)]
pub(super) struct NewView<'a> {
    /// The entities that may be assisted (issue 49: a gobernación, by its department).
    entities: Vec<Choice<'static>>,
    departments: Vec<Choice<'a>>,
    capacities: Vec<CapacityBox>,
    /// CONPES's sectors and population groups, ticked when chosen (issue 49).
    descriptors: crate::descriptors::pages::Checks,
    form: NewFields,
    /// The municipality's open demands the assistance may answer (issue 45: a demand referred
    /// to the coordinator's provider among them), ticked when chosen.
    demands: Vec<DemandBox>,
    /// The providers it may be delivered together with (issue 49), ticked when chosen.
    co_providers: Vec<crate::web::OwnedChoice>,
}

#[derive(Serialize)]
pub(super) struct DemandBox {
    id: i32,
    label: String,
    checked: bool,
}

/// The open demands of `municipality_code` in the caller's scope (none until a municipality is
/// typed), oldest first; `chosen` ticked.
pub(super) async fn demand_boxes(
    db: &DatabaseConnection,
    user: &CurrentUser,
    municipality_code: &str,
    chosen: &[i32],
) -> crate::error::DomainResult<Vec<DemandBox>> {
    let code = domain::territory::normalize_municipality_code(municipality_code);
    if code.is_empty() {
        return Ok(Vec::new());
    }
    let filter = domain::demand::DemandFilter {
        municipality: Some(code),
        status: Some(domain::entities::values::DemandStatus::Open),
        ..Default::default()
    };
    let (mut rows, _) = domain::demand::list(db, user, &filter, 1, 50).await?;
    rows.reverse();
    Ok(rows
        .into_iter()
        .map(|d| DemandBox {
            checked: chosen.contains(&d.id),
            label: format!(
                "{} · {} · {}{}",
                d.topic,
                d.capacity_name,
                domain::format::plural(d.people_estimate.into(), "persona", "personas"),
                match d.referrals.is_empty() {
                    true => String::new(),
                    false => format!(
                        " · remitida a {}",
                        d.referrals
                            .iter()
                            .map(|r| domain::providers::short_name(&r.provider.name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }
            ),
            id: d.id,
        })
        .collect())
}

/// The new-assistance page: as it opens (no `errors`) or refused, the values as typed.
pub(super) async fn new_html(
    db: &DatabaseConnection,
    page: &Page<'_>,
    user: &CurrentUser,
    form: NewFields,
    chosen: (&[i32], &[i32], &[i32]),
    tags: (&[i32], &[i32]),
    errors: &[FieldError],
) -> PageResult {
    let (chosen_capacities, chosen_demands, chosen_co_providers) = chosen;
    let descriptors = crate::descriptors::pages::Checks::of(db, tags.0, tags.1).await?;
    let capacities = assistance::capacity_choices(db)
        .await?
        .into_iter()
        .map(|(id, name)| CapacityBox {
            checked: chosen_capacities.contains(&id),
            id,
            name,
        })
        .collect();
    let demands = demand_boxes(db, user, &form.municipality_code, chosen_demands).await?;
    let entities = entity_choices(&form.entity_type);
    let all_departments = domain::territory::departments(db).await?;
    let departments = all_departments
        .iter()
        .map(|d| Choice {
            value: &d.code,
            label: &d.name,
            selected: d.code == form.department_code,
        })
        .collect();
    // The lead is the coordinator's provider (an admin's: ESAP, as `assistance::create`).
    let lead = user.managed_provider().unwrap_or(domain::providers::ESAP);
    let co_providers =
        crate::web::OwnedChoice::co_providers(db, Some(lead), chosen_co_providers).await?;
    page.render_form(
        "assistance_new",
        "Nueva asistencia técnica",
        NewView {
            entities,
            departments,
            capacities,
            descriptors,
            form,
            demands,
            co_providers,
        },
        errors,
    )
}

/// The entities an assistance accompanies or a demand is raised for (issue 49), in Spanish;
/// `typed` chosen (empty: the alcaldía).
pub(crate) fn entity_choices(typed: &str) -> Vec<Choice<'static>> {
    let chosen = match typed {
        "" => AssistedEntity::Alcaldia.as_str(),
        typed => typed,
    };
    AssistedEntity::iter()
        .map(|e| Choice {
            value: e.as_str(),
            label: e.label(),
            selected: e.as_str() == chosen,
        })
        .collect()
}

/// The new-assistance form; `?demanda=<id>` (from the demand's page, «Atender esta demanda»)
/// fills in its municipality and capacity and ticks it.
#[get("/asistencias/nueva?<demanda>")]
pub(super) async fn new_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    demanda: Option<i32>,
) -> PageResult {
    let mut form = NewFields::default();
    let (mut capacities, mut demands) = (Vec::new(), Vec::new());
    let mut tags = domain::descriptors::Tags::default();
    if let Some(id) = demanda {
        let wanted = domain::demand::find_in_scope(db.inner(), &staff, id).await?;
        tags = domain::descriptors::of_one(
            db.inner(),
            domain::entities::values::DescriptorSubject::Demand,
            wanted.id,
        )
        .await?;
        form.entity_type = wanted.entity_type.as_str().to_string();
        form.municipality_code = wanted.municipality_code.unwrap_or_default();
        if wanted.entity_type.is_departmental() {
            form.department_code = wanted.department_code;
        }
        capacities.push(wanted.capacity_id);
        demands.push(wanted.id);
    }
    let sectors = crate::descriptors::pages::ids(&tags.sectors);
    let groups = crate::descriptors::pages::ids(&tags.population_groups);
    new_html(
        db,
        &page,
        &staff,
        form,
        (&capacities, &demands, &[]),
        (&sectors, &groups),
        &[],
    )
    .await
}

#[derive(FromForm)]
pub(super) struct NewForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    municipality_code: String,
    /// A gobernación's department (issue 49).
    #[field(default = String::new())]
    department_code: String,
    #[field(default = String::new())]
    entity_type: String,
    #[field(default = Vec::new())]
    capacity_ids: Vec<i32>,
    #[field(default = String::new())]
    objective: String,
    #[field(default = String::new())]
    starts_on: String,
    #[field(default = String::new())]
    ends_on: String,
    #[field(default = String::new())]
    modality: String,
    #[field(default = String::new())]
    contact_email: String,
    /// The demands it answers (issue 45).
    #[field(default = Vec::new())]
    demand_ids: Vec<i32>,
    #[field(default = Vec::new())]
    sector_ids: Vec<i32>,
    #[field(default = Vec::new())]
    population_group_ids: Vec<i32>,
    /// The providers it is delivered together with (issue 49).
    #[field(default = Vec::new())]
    co_provider_ids: Vec<i32>,
}
csrf_protected!(NewForm);

#[post("/asistencias", data = "<form>")]
pub(super) async fn create_submit(
    db: &State<DatabaseConnection>,
    notifier: crate::mail::Mailer<'_>,
    page: Page<'_>,
    staff: StaffUser,
    form: CsrfForm<NewForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let input = AssistanceInput {
        municipality_code: Some(form.municipality_code.clone()),
        department_code: Some(form.department_code.clone()),
        entity_type: Some(form.entity_type.clone()),
        capacity_ids: Some(form.capacity_ids.clone()),
        objective: Some(form.objective.clone()),
        starts_on: Some(form.starts_on.clone()),
        ends_on: Some(form.ends_on.clone()),
        modality: Some(form.modality.clone()),
        contact_email: Some(form.contact_email.clone()),
        demand_ids: Some(form.demand_ids.clone()),
        sector_ids: Some(form.sector_ids.clone()),
        population_group_ids: Some(form.population_group_ids.clone()),
        co_provider_ids: Some(form.co_provider_ids.clone()),
        ..Default::default()
    };
    let result = domain::db::write(db, async |txn| {
        assistance::create(txn, &notifier, &staff, &input).await
    })
    .await;
    crate::web::form::saved_or_again(
        result,
        |view| {
            Flash::success(
                Redirect::to(format!("/asistencias/{}", view.id)),
                "Asistencia técnica creada: agregue sus hitos y registre las visitas.",
            )
        },
        async |errors| {
            let again = NewFields {
                municipality_code: form.municipality_code,
                department_code: form.department_code,
                objective: form.objective,
                starts_on: form.starts_on,
                ends_on: form.ends_on,
                modality: form.modality,
                entity_type: form.entity_type,
                contact_email: form.contact_email,
            };
            new_html(
                db,
                &page,
                &staff,
                again,
                (&form.capacity_ids, &form.demand_ids, &form.co_provider_ids),
                (&form.sector_ids, &form.population_group_ids),
                &errors,
            )
            .await
        },
    )
    .await
}
