//! Everything a server-rendered page needs: who is signed in, the CSRF token for its forms,
//! and the template registry. Every page goes through `Page::render`, so the layout always
//! gets the same base context.

use super::csrf;
use crate::accounts::guards::{CurrentUser, MaybeUser};
use crate::error::{AppError, AppResult};
use crate::templates::Templates;
use rocket::http::Status;
use rocket::outcome::{Outcome, try_outcome};
use rocket::request::{self, FlashMessage, FromRequest, Request};
use rocket::response::content::RawHtml;
use serde_json::{Value, json};

pub struct Page<'r> {
    pub user: Option<CurrentUser>,
    pub csrf: String,
    /// A one-time message left by the previous request (after a redirect).
    pub flash: Value,
    templates: &'r Templates,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Page<'r> {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let MaybeUser(user) = try_outcome!(request.guard::<MaybeUser>().await);
        let Some(templates) = request.rocket().state::<Templates>() else {
            return Outcome::Error((Status::InternalServerError, ()));
        };
        let flash = request
            .guard::<Option<FlashMessage<'_>>>()
            .await
            .succeeded()
            .flatten()
            .map_or(
                Value::Null,
                |f| json!({"kind": f.kind(), "message": f.message()}),
            );
        Outcome::Success(Page {
            user,
            csrf: csrf::token(request),
            flash,
            templates,
        })
    }
}

impl Page<'_> {
    /// Renders `template` with `data` plus the base context (`user`, `csrf`, `title`).
    pub fn render(&self, template: &str, title: &str, data: Value) -> AppResult<RawHtml<String>> {
        let mut context = base_context(self.user.as_ref(), &self.csrf, title);
        context["flash"] = self.flash.clone();
        if let (Value::Object(base), Value::Object(extra)) = (&mut context, data) {
            base.extend(extra);
        }
        Ok(RawHtml(self.templates.render(template, &context)?))
    }

    pub fn require_user(&self) -> AppResult<&CurrentUser> {
        self.user.as_ref().ok_or(AppError::Unauthorized.into())
    }
}

/// The fields the layout reads; error pages use it too.
pub fn base_context(user: Option<&CurrentUser>, csrf: &str, title: &str) -> Value {
    let user = user.map(|u| {
        json!({
            "id": u.id,
            "full_name": u.full_name,
            "role": u.role,
            "role_label": u.role.label(),
            "is_admin": u.role == crate::entities::values::Role::Admin,
            "is_staff": u.is_staff(),
            "is_participant": u.role == crate::entities::values::Role::Participant,
        })
    });
    json!({"user": user, "csrf": csrf, "title": title, "flash": null})
}
