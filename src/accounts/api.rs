//! `/api/v1`: tokens, the caller (`/me`), users (admin).

use super::guards::{AdminUser, CurrentUser};
use crate::api::{Created, List, Paging, created, date_time};
use crate::error::AppResult;
use crate::openapi::responses::{Forbidden, NotFound, TooManyRequests, Unauthorized};
use domain::accounts::{NewUser, UserChanges, sign_in};
use domain::entities::values::Role;
use domain::error::{AppError, FieldError};
use domain::people;
use rocket::serde::json::Json;
use rocket::{Route, State, delete, get, http::Status, patch, post, routes};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn routes() -> Vec<Route> {
    routes![
        propose_liaison,
        create_token,
        revoke_current_token,
        me,
        my_data,
        list_users,
        create_user,
        update_user
    ]
}

#[derive(Deserialize, ToSchema)]
struct Credentials {
    #[schema(value_type = String, required = true, format = Email, example = "coordinacion@aulaterritorial.example")]
    email: Option<String>,
    #[schema(value_type = String, required = true, format = Password)]
    password: Option<String>,
}

/// A new bearer token, its expiry and whose it is.
#[derive(Serialize, ToSchema)]
pub struct IssuedToken {
    /// Send it as `Authorization: Bearer <token>`; shown only once.
    token: String,
    #[schema(format = DateTime)]
    expires_at: String,
    user: domain::accounts::UserView,
}

/// An account with its participant profile (`null` for accounts without one).
#[derive(Serialize, ToSchema)]
pub struct UserWithProfile {
    #[serde(flatten)]
    pub user: domain::accounts::UserView,
    #[schema(required = true)]
    pub participant: Option<people::ParticipantView>,
}

/// Sign in and get a bearer token
///
/// Public (no authentication). Exchanges e-mail and password for a bearer token (valid 30
/// days). Wrong credentials or an inactive account answer 401 with the same message;
/// repeated failures for one account from one address, or from one address, are throttled
/// (429 with `Retry-After`).
#[utoipa::path(
    tag = "auth",
    operation_id = "createToken",
    security(()),
    request_body = Credentials,
    responses(
        (status = 201, description = "Token issued.", body = IssuedToken),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyRequests),
    )
)]
#[post("/tokens", data = "<body>")]
async fn create_token(
    db: &State<DatabaseConnection>,
    body: crate::api::JsonBody<Credentials>,
    address: crate::web::ClientAddress,
) -> AppResult<Created<IssuedToken>> {
    let mut errors = Vec::new();
    if body.email.as_deref().unwrap_or("").trim().is_empty() {
        errors.push(FieldError::new("email", "Escriba el correo electrónico."));
    }
    if body.password.as_deref().unwrap_or("").is_empty() {
        errors.push(FieldError::new("password", "Escriba la contraseña."));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors).into());
    }
    let (email, password) = (
        body.email.as_deref().unwrap_or(""),
        body.password.as_deref().unwrap_or(""),
    );
    let user = sign_in::authenticate(db, email, password, address.0).await?;
    let (token, row) = sign_in::issue_token(db.inner(), user.id).await?;
    Ok(created(IssuedToken {
        token,
        expires_at: date_time(row.expires_at),
        user: domain::accounts::view(db.inner(), user).await?,
    }))
}

/// Revoke the token used for this request
///
/// Roles: any signed-in user. Later requests with the token get 401.
#[utoipa::path(
    tag = "auth",
    operation_id = "revokeCurrentToken",
    responses((status = 204, description = "Token revoked."))
)]
#[delete("/tokens/current")]
async fn revoke_current_token(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
) -> AppResult<Status> {
    let token_id = user.token_id.ok_or(AppError::Unauthorized)?;
    sign_in::revoke_token(db.inner(), token_id).await?;
    Ok(Status::NoContent)
}

/// The caller, with their participant profile if any
///
/// Roles: any signed-in user. `participant` is null for accounts without a profile.
#[utoipa::path(
    tag = "auth",
    operation_id = "getMe",
    responses((status = 200, description = "The caller.", body = UserWithProfile))
)]
#[get("/me")]
async fn me(db: &State<DatabaseConnection>, user: CurrentUser) -> AppResult<Json<UserWithProfile>> {
    let account = domain::accounts::find(db.inner(), user.id).await?;
    let participant = people::profile_of_user(db.inner(), user.id).await?;
    Ok(Json(UserWithProfile {
        user: domain::accounts::view(db.inner(), account).await?,
        participant,
    }))
}

/// Export everything the product holds about the caller
///
/// Roles: any signed-in user.
///
/// **Extension** (not in api-v1.md): personal-data export for the right to know one's data
/// under Ley 1581 de 2012 (habeas data): account, participant profile, consents, enrolments,
/// attendance marks, scores and certificates.
#[utoipa::path(
    tag = "auth",
    operation_id = "exportMyData",
    responses((status = 200, description = "The export.", body = people::profile::PersonalData))
)]
#[get("/me/data")]
async fn my_data(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
) -> AppResult<Json<people::profile::PersonalData>> {
    Ok(Json(
        people::personal_data_export(db.inner(), user.id).await?,
    ))
}

#[derive(rocket::FromForm, IntoParams)]
#[into_params(parameter_in = Query)]
struct UserQuery {
    #[param(value_type = Option<Role>)]
    role: Option<String>,
    /// Text contained in the e-mail or the full name.
    #[param(example = "muñoz")]
    q: Option<String>,
    /// Page number, from 1 to 1,000,000.
    #[param(minimum = 1, maximum = 1_000_000, default = 1)]
    page: Option<i64>,
    /// Items per page, 1–500.
    #[param(minimum = 1, maximum = 500, default = 50)]
    per_page: Option<i64>,
}

/// List accounts
///
/// Roles: admin. Newest first; filter by role and by text in e-mail or name.
///
/// **Extension** (not in api-v1.md): lets an administrator's tooling find accounts (e.g.
/// instructors to assign to cohorts) without the web pages.
#[utoipa::path(
    tag = "users",
    operation_id = "listUsers",
    params(UserQuery),
    responses(
        (status = 200, description = "A page of accounts.", body = List<domain::accounts::UserView>),
        (status = 403, response = Forbidden),
    )
)]
#[get("/users?<query..>")]
async fn list_users(
    db: &State<DatabaseConnection>,
    _admin: AdminUser,
    query: UserQuery,
) -> AppResult<Json<List<domain::accounts::UserView>>> {
    let (page, per_page) = Paging {
        page: query.page,
        per_page: query.per_page,
    }
    .resolve()?;
    let role = match query.role.as_deref().filter(|r| !r.is_empty()) {
        Some(text) => {
            Some(Role::parse(text).ok_or_else(|| AppError::invalid("role", "Rol desconocido."))?)
        }
        None => None,
    };
    let (items, total) =
        domain::accounts::list(db.inner(), role, query.q.as_deref(), page, per_page).await?;
    Ok(Json(List::page(items, total, page, per_page)))
}

#[derive(Deserialize, ToSchema)]
#[schema(as = NewUser)]
struct NewUserBody {
    #[schema(value_type = String, required = true, format = Email)]
    email: Option<String>,
    /// At least 10 characters, letters combined with numbers or symbols.
    #[schema(value_type = String, required = true, format = Password, min_length = 10)]
    password: Option<String>,
    #[schema(value_type = String, required = true, example = "Jorge Iván Cuéllar")]
    full_name: Option<String>,
    #[schema(value_type = Role, required = true)]
    role: Option<String>,
    /// Required for reviewers (DANE department code), refused for every other role.
    #[schema(example = "18")]
    department_code: Option<String>,
    /// Required for liaisons (DANE municipality code), refused for every other role.
    #[schema(example = "18256")]
    municipality_code: Option<String>,
    /// A coordinator's territorial direction (none: national); refused for other roles.
    territorial_direction_id: Option<i32>,
    /// A coordinator's provider (none: ESAP); refused for other roles. A coordinator of
    /// another provider has no territorial direction.
    provider_id: Option<i32>,
}

/// Create an account
///
/// Roles: admin. `department_code` is required for reviewers and refused for every other
/// role. Duplicate e-mail or weak password (at least 10 characters, letters plus numbers or
/// symbols) → 422.
#[utoipa::path(
    tag = "users",
    operation_id = "createUser",
    request_body = NewUserBody,
    responses(
        (status = 201, description = "Account created.", body = domain::accounts::UserView),
        (status = 403, response = Forbidden),
    )
)]
#[post("/users", data = "<body>")]
async fn create_user(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    body: crate::api::JsonBody<NewUserBody>,
) -> AppResult<Created<domain::accounts::UserView>> {
    let body = body.into_inner();
    let role = parse_role(body.role.as_deref())?;
    let password = body.password.unwrap_or_default();
    let new = NewUser {
        email: body.email.unwrap_or_default(),
        password: domain::accounts::passwords::NewPassword::hash(&password).await?,
        full_name: body.full_name.unwrap_or_default(),
        role,
        department_code: body.department_code.filter(|c| !c.trim().is_empty()),
        municipality_code: body.municipality_code,
        territorial_direction_id: body.territorial_direction_id,
        provider_id: body.provider_id,
    };
    let user = domain::db::write(db, async |txn| {
        domain::accounts::create_user_audited(txn, Some(admin.id), new).await
    })
    .await?;
    Ok(created(domain::accounts::view(db.inner(), user).await?))
}

fn parse_role(text: Option<&str>) -> AppResult<Role> {
    let text = text.unwrap_or("").trim();
    Role::parse(text)
        .ok_or_else(|| {
            AppError::invalid(
                "role",
                "El rol debe ser admin, coordinator, instructor, participant, reviewer o liaison.",
            )
        })
        .map_err(Into::into)
}

/// Absent fields are kept.
#[derive(Deserialize, ToSchema)]
struct UserPatch {
    full_name: Option<String>,
    #[schema(value_type = Option<Role>)]
    role: Option<String>,
    /// `null` clears it; absent leaves it (but leaving the reviewer role clears it).
    #[serde(default, deserialize_with = "crate::api::double_option")]
    #[schema(value_type = Option<String>)]
    department_code: Option<Option<String>>,
    /// A liaison's municipality; `null` clears it (leaving the liaison role clears it).
    #[serde(default, deserialize_with = "crate::api::double_option")]
    #[schema(value_type = Option<String>)]
    municipality_code: Option<Option<String>>,
    /// A coordinator's direction; `null` makes the coordinator national.
    #[serde(default, deserialize_with = "crate::api::double_option")]
    #[schema(value_type = Option<i32>)]
    territorial_direction_id: Option<Option<i32>>,
    /// A coordinator's provider; `null` makes it ESAP's.
    #[serde(default, deserialize_with = "crate::api::double_option")]
    #[schema(value_type = Option<i32>)]
    provider_id: Option<Option<i32>>,
    /// `false` deactivates the account and revokes its tokens.
    active: Option<bool>,
}

/// Change an account's name, role, department or active flag
///
/// Roles: admin. Absent fields are kept; `department_code: null` clears it. Leaving the
/// reviewer role drops the department. Deactivating revokes the user's tokens. An admin
/// cannot demote or deactivate themself (422).
///
/// **Extension** (not in api-v1.md): account maintenance (role changes, deactivation when a
/// public servant leaves) is needed to operate the product without the web pages.
#[utoipa::path(
    tag = "users",
    operation_id = "updateUser",
    params(("id" = i32, Path, description = "User id.", example = 1)),
    request_body = UserPatch,
    responses(
        (status = 200, description = "The updated account.", body = domain::accounts::UserView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[patch("/users/<id>", data = "<body>")]
async fn update_user(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    id: i32,
    body: crate::api::JsonBody<UserPatch>,
) -> AppResult<Json<domain::accounts::UserView>> {
    let body = body.into_inner();
    let changes = UserChanges {
        full_name: body.full_name,
        role: body
            .role
            .as_deref()
            .map(|r| parse_role(Some(r)))
            .transpose()?,
        department_code: body.department_code,
        municipality_code: body.municipality_code,
        territorial_direction_id: body.territorial_direction_id,
        provider_id: body.provider_id,
        active: body.active,
    };
    let user = domain::db::write(db, async |txn| {
        domain::accounts::update_user(txn, admin.id, id, changes).await
    })
    .await?;
    Ok(Json(domain::accounts::view(db.inner(), user).await?))
}

/// What a gobernación reviewer sends to propose a liaison.
#[derive(Deserialize, ToSchema)]
struct LiaisonProposal {
    #[schema(format = Email, example = "enlace.puertorico@example.org")]
    email: Option<String>,
    #[schema(example = "Yesica Paola Trujillo")]
    full_name: Option<String>,
    /// A municipality of the reviewer's department.
    #[schema(example = "18592")]
    municipality_code: Option<String>,
}

/// Propose a liaison (enlace municipal)
///
/// Roles: reviewer, for a municipality of their department (another: 422); others 403. The
/// proposal is checked first (422 with every problem: municipality, e-mail, name; nothing
/// written). **Changed (issue 30)**: then always **201** with the same body, whether or not
/// the e-mail already has an account, so a proposal cannot tell who has one. A new e-mail gets
/// an account created **inactive**, with no password anyone knows; an administrator activates
/// it (`PATCH /users/{id}` with `"active": true`) and the liaison then sets a password through
/// the password-reset page. For an e-mail that already has an account nothing is created, and
/// the administrators are told so by e-mail (with the account's name, role and state). Every
/// active administrator is emailed either way. Audited.
#[utoipa::path(
    tag = "users",
    operation_id = "proposeLiaison",
    request_body = LiaisonProposal,
    responses(
        (status = 201, description = "Received; the administrators were e-mailed. Same body whether or not the e-mail has an account.", body = domain::accounts::LiaisonProposal),
        (status = 403, response = Forbidden),
        (status = 422, response = crate::openapi::responses::ValidationFailed),
    )
)]
#[post("/liaison-proposals", data = "<body>")]
async fn propose_liaison(
    db: &State<DatabaseConnection>,
    notifier: crate::mail::Mailer<'_>,
    user: CurrentUser,
    body: crate::api::JsonBody<LiaisonProposal>,
) -> AppResult<Created<domain::accounts::LiaisonProposal>> {
    let body = body.into_inner();
    let password =
        domain::accounts::passwords::NewPassword::hash(&domain::accounts::secrets::random_hex())
            .await?;
    Ok(domain::db::write(db, async |txn| {
        let proposal = domain::accounts::propose_liaison(
            txn,
            &notifier,
            &user,
            body.email.as_deref().unwrap_or_default(),
            body.full_name.as_deref().unwrap_or_default(),
            body.municipality_code.as_deref().unwrap_or_default(),
            password,
        )
        .await?;
        Ok(created(proposal))
    })
    .await?)
}
