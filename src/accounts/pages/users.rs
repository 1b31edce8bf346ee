//! The administrators' users screen (`/admin/usuarios`): each user with their own form, the filters and the new-user form.

use super::*;
use crate::web::IdChoice;

pub(super) fn role_options(selected: Option<Role>) -> Vec<Choice<'static>> {
    [
        Role::Admin,
        Role::Coordinator,
        Role::Instructor,
        Role::Participant,
        Role::Reviewer,
        Role::Liaison,
    ]
    .into_iter()
    .map(|r| Choice {
        value: r.as_str(),
        label: r.label(),
        selected: Some(r) == selected,
    })
    .collect()
}

/// The users page: each user with their own form, the filters and the new-user form.
#[derive(Serialize)]
pub(super) struct UsersView<'a> {
    rows: Vec<UserRow<'a>>,
    roles: Vec<Choice<'static>>,
    q: &'a str,
    departments: Vec<DepartmentName<'a>>,
    pager: Pager,
    /// The new user's provider, when a coordinator.
    providers: Vec<IdChoice>,
    new: NewUserFields<'a>,
    /// The new user's role and department, as chosen.
    new_roles: Vec<Choice<'static>>,
    new_departments: Vec<DepartmentChoice<'a>>,
}

/// A user and the choices of their row's form.
#[derive(Serialize)]
pub(super) struct UserRow<'a> {
    user: UserView,
    roles: Vec<Choice<'static>>,
    departments: Vec<DepartmentChoice<'a>>,
    /// A coordinator's territorial direction to choose (none = national).
    directions: Vec<IdChoice>,
    /// A coordinator's provider to choose (ESAP first).
    providers: Vec<IdChoice>,
    is_coordinator: bool,
    active: bool,
    /// The prefix of this row's fields in the page's problems.
    form: String,
}

#[derive(Serialize)]
pub(super) struct DepartmentName<'a> {
    code: &'a str,
    name: &'a str,
}

/// What the new-user form shows again after a refusal.
#[derive(Serialize)]
pub(super) struct NewUserFields<'a> {
    email: &'a str,
    full_name: &'a str,
    role: &'a str,
    department_code: &'a str,
    municipality_code: &'a str,
    provider_id: &'a str,
}

pub(super) const NO_NEW_USER: NewUserFields<'static> = NewUserFields {
    email: "",
    full_name: "",
    role: "coordinator",
    department_code: "",
    municipality_code: "",
    provider_id: "",
};

/// The users page (a filter, a page of the list), with the new-user form as given.
pub(super) async fn users_html(
    db: &DatabaseConnection,
    page: &Page<'_>,
    (role, q, page_number): (Option<&str>, Option<&str>, Option<u64>),
    new: NewUserFields<'_>,
    typed_row: Option<(i32, &UpdateUserForm)>,
    errors: &[FieldError],
) -> PageResult {
    let role = role.and_then(Role::parse);
    let page_number = crate::api::page_number(page_number);
    let (items, total) = domain::accounts::list(db, role, q, page_number, PER_PAGE).await?;
    let departments = domain::territory::departments(db).await?;
    let directions = domain::territory::directions::list(db).await?;
    let providers = domain::providers::active(db).await?;
    let provider_choices = |selected: i32| {
        providers
            .iter()
            .map(|p| IdChoice {
                id: p.id,
                name: p.name.clone(),
                selected: p.id == selected,
            })
            .collect::<Vec<_>>()
    };
    let rows = items
        .into_iter()
        .map(|u| {
            // A refused row shows what was chosen, not what is saved.
            let typed = typed_row.filter(|(id, _)| *id == u.id).map(|(_, f)| f);
            let role = typed.and_then(|f| Role::parse(&f.role)).unwrap_or(u.role);
            let department = typed.map_or(u.department_code.as_deref(), |f| {
                Some(f.department_code.as_str())
            });
            let direction = typed.map_or(u.territorial_direction_id, |f| {
                f.territorial_direction_id
                    .as_deref()
                    .and_then(|d| d.trim().parse().ok())
            });
            let provider = typed
                .and_then(|f| f.provider_id.as_deref())
                .and_then(|p| p.trim().parse().ok())
                .or(u.provider_id)
                .unwrap_or(domain::providers::ESAP);
            UserRow {
                roles: role_options(Some(role)),
                departments: DepartmentChoice::list(&departments, department),
                directions: directions
                    .iter()
                    .map(|d| IdChoice {
                        id: d.id,
                        name: d.name.clone(),
                        selected: direction == Some(d.id),
                    })
                    .collect(),
                providers: provider_choices(provider),
                is_coordinator: u.role == Role::Coordinator,
                active: typed.map_or(u.active, |f| f.active),
                form: row_prefix(u.id),
                user: u,
            }
        })
        .collect();
    let query = format!(
        "rol={}&q={}",
        role.map(Role::as_str).unwrap_or(""),
        urlencode(q.unwrap_or(""))
    );
    let view = UsersView {
        rows,
        roles: role_options(role),
        q: q.unwrap_or(""),
        departments: departments
            .iter()
            .map(|d| DepartmentName {
                code: &d.code,
                name: &d.name,
            })
            .collect(),
        pager: Pager::new("/admin/usuarios", &query, page_number, PER_PAGE, total),
        providers: provider_choices(new.provider_id.parse().unwrap_or(domain::providers::ESAP)),
        new_roles: role_options(Role::parse(new.role)),
        new_departments: DepartmentChoice::list(&departments, Some(new.department_code)),
        new,
    };
    if errors.is_empty() {
        page.render("admin_users", "Usuarios", view)
    } else {
        page.render_refused("admin_users", "Usuarios", view, errors)
    }
}

/// The prefix of a user's row form on the users page (`usuario-7.role`).
pub(super) fn row_prefix(id: i32) -> String {
    format!("usuario-{id}")
}

#[get("/admin/usuarios?<rol>&<q>&<pagina>")]
pub(super) async fn users_page(
    db: &State<DatabaseConnection>,
    _admin: AdminUser,
    page: Page<'_>,
    rol: Option<&str>,
    q: Option<&str>,
    pagina: Option<u64>,
) -> PageResult {
    users_html(db, &page, (rol, q, pagina), NO_NEW_USER, None, &[]).await
}

#[derive(FromForm)]
pub(super) struct NewUserForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    email: String,
    #[field(default = String::new())]
    full_name: String,
    #[field(default = String::new())]
    password: String,
    #[field(default = String::new())]
    role: String,
    #[field(default = String::new())]
    department_code: String,
    #[field(default = String::new())]
    municipality_code: String,
    /// A coordinator's provider (empty or ESAP's = ESAP).
    #[field(default = String::new())]
    provider_id: String,
}
csrf_protected!(NewUserForm);

#[post("/admin/usuarios", data = "<form>")]
pub(super) async fn create_user_submit(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    page: Page<'_>,
    form: CsrfForm<NewUserForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let result = async {
        let role =
            Role::parse(&form.role).ok_or_else(|| AppError::invalid("role", "Elija un rol."))?;
        let password = domain::accounts::passwords::NewPassword::hash(&form.password).await?;
        domain::db::write(db, async |txn| {
            let user = domain::accounts::create_user_audited(
                txn,
                Some(admin.id),
                NewUser {
                    email: form.email.clone(),
                    password,
                    full_name: form.full_name.clone(),
                    role,
                    department_code: Some(form.department_code.trim().to_string())
                        .filter(|c| !c.is_empty()),
                    municipality_code: Some(form.municipality_code.trim().to_string())
                        .filter(|c| !c.is_empty()),
                    territorial_direction_id: None,
                    provider_id: form
                        .provider_id
                        .trim()
                        .parse::<i32>()
                        .ok()
                        .filter(|_| role == Role::Coordinator),
                },
            )
            .await?;
            Ok(user)
        })
        .await
    }
    .await;
    crate::web::form::saved_or_again(
        result,
        |user| {
            Flash::success(
                Redirect::to("/admin/usuarios"),
                format!("Usuario {} creado.", user.email),
            )
        },
        async |errors| {
            let new = NewUserFields {
                email: &form.email,
                full_name: &form.full_name,
                role: &form.role,
                department_code: &form.department_code,
                municipality_code: &form.municipality_code,
                provider_id: &form.provider_id,
            };
            let errors = crate::web::form::scoped("nuevo", errors);
            users_html(db, &page, (None, None, None), new, None, &errors).await
        },
    )
    .await
}

#[derive(FromForm)]
pub(super) struct UpdateUserForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    role: String,
    #[field(default = String::new())]
    department_code: String,
    /// Only in a coordinator's row: a direction's id, or empty for national.
    territorial_direction_id: Option<String>,
    /// Only in a coordinator's row: its provider's id.
    provider_id: Option<String>,
    #[field(default = false)]
    active: bool,
}
csrf_protected!(UpdateUserForm);

#[post("/admin/usuarios/<id>", data = "<form>")]
pub(super) async fn update_user_submit(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    page: Page<'_>,
    id: i32,
    form: CsrfForm<UpdateUserForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let result = async {
        let role =
            Role::parse(&form.role).ok_or_else(|| AppError::invalid("role", "Elija un rol."))?;
        domain::db::write(db, async |txn| {
            let user = domain::accounts::update_user(
                txn,
                admin.id,
                id,
                UserChanges {
                    full_name: None,
                    role: Some(role),
                    department_code: Some(
                        Some(form.department_code.trim().to_string()).filter(|c| !c.is_empty()),
                    ),
                    municipality_code: None,
                    territorial_direction_id: form
                        .territorial_direction_id
                        .as_deref()
                        .map(|id| id.trim().parse::<i32>().ok()),
                    provider_id: form
                        .provider_id
                        .as_deref()
                        .map(|id| id.trim().parse::<i32>().ok()),
                    active: Some(form.active),
                },
            )
            .await?;
            Ok(user)
        })
        .await
    }
    .await;
    crate::web::form::saved_or_again(
        result,
        |user| {
            Flash::success(
                Redirect::to("/admin/usuarios"),
                format!("Usuario {} actualizado.", user.email),
            )
        },
        async |errors| {
            let errors = crate::web::form::scoped(&row_prefix(id), errors);
            users_html(
                db,
                &page,
                (None, None, None),
                NO_NEW_USER,
                Some((id, &form)),
                &errors,
            )
            .await
        },
    )
    .await
}
