//! Request guards: who is calling, with which role and department scope. A handler states its
//! requirement in its signature (`StaffUser`, `AdminUser`, ...), so none can forget the check.
//!
//! Pages authenticate with the private session cookie, which names a row of `sessions` (see
//! `accounts::sessions`); the JSON API only with bearer tokens
//! (a cookie never authorises an API call, so cross-site forms cannot forge one).

use crate::error::AppResult;
use domain::accounts::actor::Actor;
use domain::accounts::{sessions, sign_in};
use domain::entities::values::Role;
use domain::error::AppError;
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest, Request};
use sea_orm::{ConnectionTrait, DatabaseConnection};

pub const SESSION_COOKIE: &str = "aula_sesion";

/// Who is calling, as the request guards establish it: the [`Actor`] the domain works with
/// (a handler passes `&user` wherever a domain function takes `&Actor`).
#[derive(Clone, Debug)]
pub struct CurrentUser(pub Actor);

impl std::ops::Deref for CurrentUser {
    type Target = Actor;

    fn deref(&self) -> &Actor {
        &self.0
    }
}

/// Starts a browser session: a row in `sessions` and its secret in the private cookie.
pub async fn start_session<C: ConnectionTrait>(
    db: &C,
    cookies: &CookieJar<'_>,
    user_id: i32,
    secure: bool,
) -> AppResult<()> {
    let secret = sessions::start(db, user_id).await?;
    let cookie = Cookie::build((SESSION_COOKIE, secret))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .path("/")
        .max_age(rocket::time::Duration::hours(sessions::SESSION_HOURS));
    cookies.add_private(cookie);
    Ok(())
}

/// Ends this browser's session, on the server (the row) and in the browser (the cookie).
pub async fn end_session<C: ConnectionTrait>(db: &C, cookies: &CookieJar<'_>) -> AppResult<()> {
    if let Some(cookie) = cookies.get_private(SESSION_COOKIE) {
        sessions::end(db, cookie.value()).await?;
    }
    cookies.remove_private(Cookie::build(SESSION_COOKIE).path("/"));
    Ok(())
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
    /// The lookup failed: 503 when the database is busy or out of reach (the client may try
    /// again), 500 otherwise.
    Failed(Status),
}

impl Identity {
    fn failed(error: AppError) -> Identity {
        Identity::Failed(match error {
            AppError::Busy => Status::ServiceUnavailable,
            _ => Status::InternalServerError,
        })
    }
}

async fn identify(request: &Request<'_>) -> Identity {
    let Some(db) = request.rocket().state::<DatabaseConnection>() else {
        return Identity::Failed(Status::InternalServerError);
    };
    if crate::web::request::is_api(request) {
        let Some(token) = bearer(request) else {
            return if request.headers().contains("Authorization") {
                Identity::BadCredentials
            } else {
                Identity::Anonymous
            };
        };
        return match sign_in::user_for_token(db, &token).await {
            Ok(Some((model, token_id))) => match Actor::load(db, model, Some(token_id)).await {
                Ok(actor) => Identity::User(CurrentUser(actor)),
                Err(e) => Identity::failed(e),
            },
            Ok(None) => Identity::BadCredentials,
            Err(e) => Identity::failed(e),
        };
    }
    let Some(cookie) = request.cookies().get_private(SESSION_COOKIE) else {
        return Identity::Anonymous;
    };
    match sessions::user_for_session(db, cookie.value()).await {
        Ok(Some(model)) => match Actor::load(db, model, None).await {
            Ok(actor) => Identity::User(CurrentUser(actor)),
            Err(e) => Identity::failed(e),
        },
        Ok(None) => {
            // Ended, expired, or its account deactivated: the cookie is worth nothing.
            request
                .cookies()
                .remove_private(Cookie::build(SESSION_COOKIE).path("/"));
            Identity::Anonymous
        }
        Err(e) => Identity::failed(e),
    }
}

async fn identity<'r>(request: &'r Request<'_>) -> &'r Identity {
    request.local_cache_async(identify_in_turn(request)).await
}

/// [`identify`]; a writing request (anything but `GET` and `HEAD`) first takes its place among
/// the writers reading before their transaction (`domain::db::writer_lookup_place`), so the
/// sign-in lookups of a burst's writers leave the pool's other connections to readers.
async fn identify_in_turn(request: &Request<'_>) -> Identity {
    if !crate::web::request::writes(request) {
        return identify(request).await;
    }
    let Some(db) = request.rocket().state::<DatabaseConnection>() else {
        return Identity::Failed(Status::InternalServerError);
    };
    match domain::db::writer_lookup_place(db).await {
        Ok(_place) => identify(request).await,
        Err(e) => Identity::failed(e),
    }
}

/// Who is signed in, as far as this request has already established it (no database query):
/// for error pages, which render after the guards ran (or after [`establish`]).
pub fn known_user(request: &Request<'_>) -> Option<CurrentUser> {
    match request.local_cache(|| Identity::Anonymous) {
        Identity::User(user) => Some(user.clone()),
        _ => None,
    }
}

/// Looks up who is signed in (once per request), so that [`known_user`] knows.
pub async fn establish(request: &Request<'_>) {
    identity(request).await;
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
            Identity::Failed(status) => Outcome::Error((*status, ())),
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
            Identity::Failed(status) => Outcome::Error((*status, ())),
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
    /// Who writes attendance and grades: staff and instructors (an instructor only in the
    /// cohorts they teach, which the cohort scope decides).
    StaffOrInstructor: Admin | Coordinator | Instructor
);
role_guard!(
    /// Public servants and community members taking courses.
    ParticipantUser: Participant
);
role_guard!(
    /// Who may read reports: staff nationally, reviewers within their department.
    ReportReader: Admin | Coordinator | Reviewer
);
role_guard!(
    /// Who may read a municipality's page and impact: report readers, and a liaison for their
    /// own municipality (the domain's territory check answers 404 for any other).
    MunicipalityReader: Admin | Coordinator | Reviewer | Liaison
);
