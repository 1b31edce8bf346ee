//! Request guards: who is calling, with which role and department scope. A handler states its
//! requirement in its signature (`StaffUser`, `AdminUser`, ...), so none can forget the check.
//!
//! Pages authenticate with the private session cookie; the JSON API only with bearer tokens
//! (a cookie never authorises an API call, so cross-site forms cannot forge one).

use super::sign_in;
use crate::entities::user;
use crate::entities::values::Role;
use chrono::{DateTime, Duration, Utc};
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest, Request};
use sea_orm::{DatabaseConnection, EntityTrait};
use serde::Serialize;

pub const SESSION_COOKIE: &str = "aula_sesion";
/// A browser session lasts a working day.
pub const SESSION_HOURS: i64 = 12;

#[derive(Clone, Debug, Serialize)]
pub struct CurrentUser {
    pub id: i32,
    pub email: String,
    pub full_name: String,
    pub role: Role,
    pub department_code: Option<String>,
    /// The API token used for this request, if it came with one.
    #[serde(skip)]
    pub token_id: Option<i32>,
}

impl CurrentUser {
    fn from_model(model: user::Model, token_id: Option<i32>) -> Self {
        CurrentUser {
            id: model.id,
            email: model.email,
            full_name: model.full_name,
            role: model.role,
            department_code: model.department_code,
            token_id,
        }
    }

    /// The one department a reviewer may see; `None` means no department restriction
    /// (every other role has its own rules, applied by the domain functions).
    pub fn department_scope(&self) -> Option<&str> {
        match self.role {
            Role::Reviewer => self.department_code.as_deref(),
            _ => None,
        }
    }

    /// Admin can do what a coordinator can.
    pub fn is_staff(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Coordinator)
    }
}

/// Starts a browser session.
pub fn start_session(cookies: &CookieJar<'_>, user_id: i32, secure: bool) {
    let value = format!("{user_id}:{}", Utc::now().timestamp());
    let cookie = Cookie::build((SESSION_COOKIE, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .path("/")
        .max_age(rocket::time::Duration::hours(SESSION_HOURS));
    cookies.add_private(cookie);
}

pub fn end_session(cookies: &CookieJar<'_>) {
    cookies.remove_private(Cookie::build(SESSION_COOKIE).path("/"));
}

fn session_user_id(cookies: &CookieJar<'_>) -> Option<i32> {
    let cookie = cookies.get_private(SESSION_COOKIE)?;
    let (id, issued) = cookie.value().split_once(':')?;
    let issued = DateTime::<Utc>::from_timestamp(issued.parse().ok()?, 0)?;
    (issued + Duration::hours(SESSION_HOURS) > Utc::now()).then(|| id.parse().ok())?
}

fn bearer(request: &Request<'_>) -> Option<String> {
    let header = request.headers().get_one("Authorization")?;
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// Outcome of identifying the caller, computed once per request.
#[derive(Clone)]
enum Identity {
    Anonymous,
    BadCredentials,
    User(CurrentUser),
    Failed,
}

async fn identify(request: &Request<'_>) -> Identity {
    let Some(db) = request.rocket().state::<DatabaseConnection>() else {
        return Identity::Failed;
    };
    if crate::error::is_api(request) {
        let Some(token) = bearer(request) else {
            return if request.headers().contains("Authorization") {
                Identity::BadCredentials
            } else {
                Identity::Anonymous
            };
        };
        return match sign_in::user_for_token(db, &token).await {
            Ok(Some((model, token_id))) => {
                Identity::User(CurrentUser::from_model(model, Some(token_id)))
            }
            Ok(None) => Identity::BadCredentials,
            Err(_) => Identity::Failed,
        };
    }
    let Some(user_id) = session_user_id(request.cookies()) else {
        return Identity::Anonymous;
    };
    match user::Entity::find_by_id(user_id).one(db).await {
        Ok(Some(model)) if model.active => Identity::User(CurrentUser::from_model(model, None)),
        Ok(_) => {
            end_session(request.cookies());
            Identity::Anonymous
        }
        Err(_) => Identity::Failed,
    }
}

async fn identity<'r>(request: &'r Request<'_>) -> &'r Identity {
    request.local_cache_async(identify(request)).await
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CurrentUser {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> request::Outcome<Self, ()> {
        match identity(request).await {
            Identity::User(user) => Outcome::Success(user.clone()),
            Identity::Anonymous | Identity::BadCredentials => {
                Outcome::Error((Status::Unauthorized, ()))
            }
            Identity::Failed => Outcome::Error((Status::InternalServerError, ())),
        }
    }
}

/// Signed in or not; a bad bearer token is still refused (401) rather than treated as anonymous.
pub struct MaybeUser(pub Option<CurrentUser>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for MaybeUser {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> request::Outcome<Self, ()> {
        match identity(request).await {
            Identity::User(user) => Outcome::Success(MaybeUser(Some(user.clone()))),
            Identity::Anonymous => Outcome::Success(MaybeUser(None)),
            Identity::BadCredentials => Outcome::Error((Status::Unauthorized, ())),
            Identity::Failed => Outcome::Error((Status::InternalServerError, ())),
        }
    }
}

/// Guards that admit only some roles: 401 when nobody is signed in, 403 for other roles.
macro_rules! role_guard {
    ($(#[$meta:meta])* $name:ident: $($role:ident)|+) => {
        $(#[$meta])*
        pub struct $name(pub CurrentUser);

        impl std::ops::Deref for $name {
            type Target = CurrentUser;
            fn deref(&self) -> &CurrentUser {
                &self.0
            }
        }

        #[rocket::async_trait]
        impl<'r> FromRequest<'r> for $name {
            type Error = ();

            async fn from_request(request: &'r Request<'_>) -> request::Outcome<Self, ()> {
                match CurrentUser::from_request(request).await {
                    Outcome::Success(user) if matches!(user.role, $(Role::$role)|+) => Outcome::Success($name(user)),
                    Outcome::Success(_) => Outcome::Error((Status::Forbidden, ())),
                    Outcome::Error(e) => Outcome::Error(e),
                    Outcome::Forward(f) => Outcome::Forward(f),
                }
            }
        }
    };
}

role_guard!(
    /// System administrators.
    AdminUser: Admin
);
role_guard!(
    /// ESAP coordinators (and admins, who can do what a coordinator can).
    StaffUser: Admin | Coordinator
);
role_guard!(
    /// Public servants and community members taking courses.
    ParticipantUser: Participant
);
role_guard!(
    /// Who may read reports: staff nationally, reviewers within their department.
    ReportReader: Admin | Coordinator | Reviewer
);
