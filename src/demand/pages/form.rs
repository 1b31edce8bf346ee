//! The demand form: raising a demand (`/demandas/nueva`) and the fields its author edits.

use super::*;

/// The demand form's fields as the page sends them.
#[derive(Clone, Debug, Default, FromForm, Serialize)]
pub(super) struct DemandForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    /// Which entity asks (issue 49); empty is the alcaldía.
    #[field(default = String::new())]
    entity_type: String,
    #[field(default = String::new())]
    municipality_code: String,
    /// A gobernación's department.
    #[field(default = String::new())]
    department_code: String,
    capacity_id: Option<i32>,
    #[field(default = String::new())]
    topic: String,
    #[field(default = String::new())]
    description: String,
    #[field(default = String::new())]
    people_estimate: String,
    #[field(default = String::new())]
    modality: String,
    #[field(default = String::new())]
    wanted_from: String,
    #[field(default = String::new())]
    wanted_to: String,
    #[field(default = String::new())]
    priority: String,
    #[field(default = Vec::new())]
    sector_ids: Vec<i32>,
    #[field(default = Vec::new())]
    population_group_ids: Vec<i32>,
}
csrf_protected!(DemandForm);

impl DemandForm {
    /// The domain's input and, when a field could not be read (a number typed in words), its
    /// problem: the domain's rules still run over the rest (`input`), so every problem shows
    /// at once.
    pub(super) async fn input(
        &self,
        db: &DatabaseConnection,
        user: &CurrentUser,
    ) -> AppResult<DemandInput> {
        let people = self.people_estimate.trim();
        let (people_estimate, unreadable) = if people.is_empty() {
            (None, None)
        } else {
            match people.replace('.', "").parse::<i64>() {
                Ok(n) => (Some(n), None),
                Err(_) => (
                    None,
                    Some(FieldError::new(
                        "people_estimate",
                        "Escriba cuántas personas se formarían, en números.",
                    )),
                ),
            }
        };
        let text = |v: &str| Some(v.to_string());
        let input = DemandInput {
            entity_type: text(&self.entity_type),
            municipality_code: text(&self.municipality_code),
            department_code: text(&self.department_code),
            capacity_id: self.capacity_id,
            topic: text(&self.topic),
            description: text(&self.description),
            people_estimate,
            modality: text(&self.modality),
            wanted_from: text(&self.wanted_from),
            wanted_to: text(&self.wanted_to),
            priority: text(&self.priority),
            status: None,
            reason: None,
            sector_ids: Some(self.sector_ids.clone()),
            population_group_ids: Some(self.population_group_ids.clone()),
        };
        match unreadable {
            None => Ok(input),
            Some(problem) => {
                let mut errors = vec![problem];
                errors.extend(
                    domain::demand::problems_of(db, user, &input)
                        .await?
                        .into_iter()
                        .filter(|e| e.field != "people_estimate"),
                );
                Err(AppError::Validation(errors).into())
            }
        }
    }

    pub(super) fn of(view: &DemandView) -> Self {
        DemandForm {
            entity_type: view.entity_type.as_str().to_string(),
            municipality_code: view.municipality_code.clone().unwrap_or_default(),
            department_code: if view.entity_type.is_departmental() {
                view.department_code.clone()
            } else {
                String::new()
            },
            capacity_id: Some(view.capacity_id),
            topic: view.topic.clone(),
            description: view.description.clone(),
            people_estimate: view.people_estimate.to_string(),
            modality: view.modality.as_str().to_string(),
            wanted_from: view.wanted_from.to_string(),
            wanted_to: view.wanted_to.to_string(),
            priority: view.priority.as_str().to_string(),
            sector_ids: crate::descriptors::pages::ids(&view.sectors),
            population_group_ids: crate::descriptors::pages::ids(&view.population_groups),
            ..Default::default()
        }
    }
}

#[derive(Serialize)]
pub(super) struct FormView {
    form: DemandForm,
    /// The entities that may ask (issue 49), in Spanish.
    entities: Vec<Choice>,
    /// The municipalities the caller may choose (a liaison: theirs only).
    municipalities: Vec<Choice>,
    /// The departments whose gobernación the caller may choose (a reviewer: theirs only; a
    /// liaison: none).
    departments: Vec<Choice>,
    capacities: Vec<Choice>,
    modalities: Vec<Choice>,
    priorities: Vec<Choice>,
    /// CONPES's sectors and population groups, ticked as chosen (issue 49).
    descriptors: crate::descriptors::pages::Checks,
}

pub(super) async fn form_view(
    db: &DatabaseConnection,
    user: &CurrentUser,
    form: DemandForm,
) -> DomainResult<FormView> {
    Ok(FormView {
        descriptors: crate::descriptors::pages::Checks::of(
            db,
            &form.sector_ids,
            &form.population_group_ids,
        )
        .await?,
        entities: crate::assistance::pages::entity_choices(&form.entity_type)
            .into_iter()
            .map(|c| Choice {
                value: c.value.to_string(),
                label: c.label.to_string(),
                selected: c.selected,
            })
            .collect(),
        municipalities: municipality_choices(db, user, &form.municipality_code).await?,
        departments: {
            let scope = domain::demand::DemandScope::of(user)?;
            domain::territory::departments(db)
                .await?
                .into_iter()
                .filter(|d| scope.covers(None, &d.code))
                .map(|d| Choice {
                    selected: d.code == form.department_code,
                    value: d.code,
                    label: d.name,
                })
                .collect()
        },
        capacities: capacity_choices(db, form.capacity_id).await?,
        modalities: choices(
            &MODALITIES,
            Modality::parse(&form.modality),
            Modality::as_str,
            Modality::label,
        ),
        priorities: choices(
            &PRIORITIES,
            DemandPriority::parse(&form.priority).or(Some(DemandPriority::Media)),
            DemandPriority::as_str,
            DemandPriority::label,
        ),
        form,
    })
}

/// The form to raise a demand.
#[get("/demandas/nueva")]
pub(super) async fn new_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: CurrentUser,
) -> PageResult {
    if !may_raise(&user) {
        return Err(AppError::Forbidden.into());
    }
    let form = DemandForm {
        municipality_code: user.municipality_code.clone().unwrap_or_default(),
        ..Default::default()
    };
    let view = form_view(db.inner(), &user, form).await?;
    page.render("demand_new", "Registrar una demanda de formación", view)
}

#[post("/demandas", data = "<form>")]
pub(super) async fn create_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: CurrentUser,
    form: CsrfForm<DemandForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let result = async {
        let input = form.input(db, &user).await.map_err(|e| e.0)?;
        domain::db::write(db, async |txn| {
            domain::demand::create(txn, &user, &input).await
        })
        .await
    }
    .await;
    crate::web::form::saved_or_again(
        result,
        |view| {
            Flash::success(
                Redirect::to(format!("/demandas/{}", view.id)),
                "Demanda registrada. La coordinación de ESAP la verá al planear sus cohortes.",
            )
        },
        async |errors| {
            let view = form_view(db.inner(), &user, form).await?;
            page.render_refused(
                "demand_new",
                "Registrar una demanda de formación",
                view,
                &errors,
            )
        },
    )
    .await
}
