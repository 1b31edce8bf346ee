//! CSRF protection for every state-changing form: a random token kept in a private cookie and
//! repeated in a hidden field; `CsrfForm<T>` refuses (403) a post whose field does not match.

use domain::accounts::secrets;
use rocket::data::{self, Data, FromData};
use rocket::form::{Form, FromForm};
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest, Request};

pub const CSRF_COOKIE: &str = "aula_csrf";
pub const CSRF_FIELD: &str = "csrf_token";

/// The token to put in this page's forms (created on first use).
pub struct CsrfToken(pub String);

/// Whether cookies carry `Secure`: in the release profile (served over https), as the session
/// cookie does.
pub fn secure_cookies(config: &rocket::Config) -> bool {
    config.profile == rocket::Config::RELEASE_PROFILE
}

pub fn token(request: &Request<'_>) -> String {
    let cookies: &CookieJar<'_> = request.cookies();
    if let Some(cookie) = cookies.get_private(CSRF_COOKIE) {
        return cookie.value().to_string();
    }
    let value = secrets::random_token();
    let cookie = Cookie::build((CSRF_COOKIE, value.clone()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure_cookies(request.rocket().config()))
        .path("/");
    cookies.add_private(cookie);
    value
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CsrfToken {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> request::Outcome<Self, ()> {
        Outcome::Success(CsrfToken(token(request)))
    }
}

/// A form that carries the CSRF token.
pub trait CsrfProtected {
    fn csrf_token(&self) -> &str;
}

/// Implements [`CsrfProtected`] for a form struct with a `csrf_token: String` field.
macro_rules! csrf_protected {
    ($($name:ident),+ $(,)?) => {
        $(impl $crate::web::csrf::CsrfProtected for $name {
            fn csrf_token(&self) -> &str {
                &self.csrf_token
            }
        })+
    };
}
pub(crate) use csrf_protected;

/// A form with nothing but its CSRF token (buttons that act without further input).
#[derive(rocket::FromForm)]
pub struct PlainForm {
    #[field(default = String::new())]
    pub csrf_token: String,
}
csrf_protected!(PlainForm);

/// Marks the request so the error page can say the form expired rather than "forbidden".
pub struct CsrfRejected(pub bool);

/// A parsed form whose CSRF token matched.
pub struct CsrfForm<T>(pub T);

#[rocket::async_trait]
impl<'r, T: FromForm<'r> + CsrfProtected + Send> FromData<'r> for CsrfForm<T> {
    type Error = String;

    async fn from_data(request: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        match Form::<T>::from_data(request, data).await {
            Outcome::Success(form) => {
                let expected = request.cookies().get_private(CSRF_COOKIE);
                let matches = expected.is_some_and(|cookie| {
                    secrets::constant_time_eq(cookie.value(), form.csrf_token())
                });
                if matches {
                    Outcome::Success(CsrfForm(form.into_inner()))
                } else {
                    request.local_cache(|| CsrfRejected(true));
                    Outcome::Error((Status::Forbidden, "token CSRF inválido".into()))
                }
            }
            Outcome::Error((status, errors)) => {
                // An oversized upload also misses its fields: say 413, not 422.
                let too_large = errors.iter().any(|e| e.status() == Status::PayloadTooLarge);
                let status = if too_large {
                    Status::PayloadTooLarge
                } else {
                    status
                };
                Outcome::Error((status, errors.to_string()))
            }
            Outcome::Forward(f) => Outcome::Forward(f),
        }
    }
}
