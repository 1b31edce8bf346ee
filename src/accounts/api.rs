//! `/api/v1`: tokens, the caller (`/me`), users (admin).

use super::guards::{AdminUser, CurrentUser};
use super::{NewUser, UserChanges, sign_in};
use crate::api::{Created, List, Paging, created, date_time};
use crate::entities::values::Role;
use crate::error::{AppError, AppResult, FieldError};
use crate::people;
use rocket::serde::json::Json;
use rocket::{Route, State, delete, get, http::Status, patch, post, routes};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};

pub fn routes() -> Vec<Route> {
    routes![
        create_token,
        revoke_current_token,
        me,
        my_data,
        list_users,
        create_user,
        update_user
    ]
}

#[derive(Deserialize)]
struct Credentials {
    email: Option<String>,
    password: Option<String>,
}

/// A new bearer token, its expiry and whose it is.
#[derive(Serialize)]
struct IssuedToken {
    token: String,
    expires_at: String,
    user: super::UserView,
}

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
    let txn = crate::db::begin(db).await?;
    let result = sign_in::authenticate(&txn, email, password, address.0).await;
    // Failures are counted (committed) even though the request fails.
    let user = match result {
        Ok(user) => user,
        Err(error) => {
            txn.commit().await?;
            return Err(error.into());
        }
    };
    let (token, row) = sign_in::issue_token(&txn, user.id).await?;
    txn.commit().await?;
    Ok(created(IssuedToken {
        token,
        expires_at: date_time(row.expires_at),
        user: super::UserView::from(user),
    }))
}

#[delete("/tokens/current")]
async fn revoke_current_token(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
) -> AppResult<Status> {
    let token_id = user.token_id.ok_or(AppError::Unauthorized)?;
    sign_in::revoke_token(db.inner(), token_id).await?;
    Ok(Status::NoContent)
}

/// The caller's account and, for a participant, their profile.
#[derive(Serialize)]
struct Me {
    #[serde(flatten)]
    user: super::UserView,
    participant: Option<people::ParticipantView>,
}

#[get("/me")]
async fn me(db: &State<DatabaseConnection>, user: CurrentUser) -> AppResult<Json<Me>> {
    let account = super::find(db.inner(), user.id).await?;
    let participant = people::profile_of_user(db.inner(), user.id).await?;
    Ok(Json(Me {
        user: super::UserView::from(account),
        participant,
    }))
}

/// Everything the product holds about the caller (Ley 1581: right to know).
#[get("/me/data")]
async fn my_data(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
) -> AppResult<Json<people::profile::PersonalData>> {
    Ok(Json(
        people::personal_data_export(db.inner(), user.id).await?,
    ))
}

#[derive(rocket::FromForm)]
struct UserQuery {
    role: Option<String>,
    q: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

#[get("/users?<query..>")]
async fn list_users(
    db: &State<DatabaseConnection>,
    _admin: AdminUser,
    query: UserQuery,
) -> AppResult<Json<List<super::UserView>>> {
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
    let (items, total) = super::list(db.inner(), role, query.q.as_deref(), page, per_page).await?;
    Ok(Json(List {
        items,
        total,
        page,
        per_page,
    }))
}

#[derive(Deserialize)]
struct NewUserBody {
    email: Option<String>,
    password: Option<String>,
    full_name: Option<String>,
    role: Option<String>,
    department_code: Option<String>,
}

#[post("/users", data = "<body>")]
async fn create_user(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    body: crate::api::JsonBody<NewUserBody>,
) -> AppResult<Created<super::UserView>> {
    let body = body.into_inner();
    let role = parse_role(body.role.as_deref())?;
    let new = NewUser {
        email: body.email.unwrap_or_default(),
        password: body.password.unwrap_or_default(),
        full_name: body.full_name.unwrap_or_default(),
        role,
        department_code: body.department_code.filter(|c| !c.trim().is_empty()),
    };
    let txn = crate::db::begin(db).await?;
    let user = super::create_user_audited(&txn, Some(admin.id), new).await?;
    txn.commit().await?;
    Ok(created(user.into()))
}

fn parse_role(text: Option<&str>) -> AppResult<Role> {
    let text = text.unwrap_or("").trim();
    Role::parse(text)
        .ok_or_else(|| {
            AppError::invalid(
                "role",
                "El rol debe ser admin, coordinator, instructor, participant o reviewer.",
            )
        })
        .map_err(Into::into)
}

#[derive(Deserialize)]
struct UserPatch {
    full_name: Option<String>,
    role: Option<String>,
    /// `null` clears it; absent leaves it.
    #[serde(default, deserialize_with = "crate::api::double_option")]
    department_code: Option<Option<String>>,
    active: Option<bool>,
}

#[patch("/users/<id>", data = "<body>")]
async fn update_user(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    id: i32,
    body: crate::api::JsonBody<UserPatch>,
) -> AppResult<Json<super::UserView>> {
    let body = body.into_inner();
    let changes = UserChanges {
        full_name: body.full_name,
        role: body
            .role
            .as_deref()
            .map(|r| parse_role(Some(r)))
            .transpose()?,
        department_code: body.department_code,
        active: body.active,
    };
    let txn = crate::db::begin(db).await?;
    let user = super::update_user(&txn, admin.id, id, changes).await?;
    txn.commit().await?;
    Ok(Json(user.into()))
}
