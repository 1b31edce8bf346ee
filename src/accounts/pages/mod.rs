//! Pages, one file per screen: sign in and out and the password reset (`access`), confirming
//! or undoing a new email (`new_email`), and the admin screens for users (`users`), the audit
//! log (`audit_log`) and the email outbox (`emails`).

use super::guards::{self, AdminUser};
use crate::error::AppResult;
use crate::mail::Mailer;
use crate::web::PageResult;
use crate::web::csrf::{CsrfForm, PlainForm, csrf_protected};
use crate::web::{Choice, DepartmentChoice, Failure, Page, Pager};
use domain::accounts::{NewUser, UserChanges, UserView, password_reset, safe_next, sign_in};
use domain::audit::{self, EntryView};
use domain::entities::values::{OutboxStatus, Role};
use domain::error::{AppError, FieldError};
use domain::text::urlencode;
use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

mod access;
mod audit_log;
mod emails;
mod new_email;
mod users;

use access::*;
use audit_log::*;
use emails::*;
use new_email::*;
use users::*;

pub fn routes() -> Vec<Route> {
    routes![
        sign_in_page,
        sign_in_submit,
        sign_out,
        forgot_page,
        forgot_submit,
        reset_page,
        reset_submit,
        email_confirm_page,
        email_confirm_submit,
        email_undo_page,
        email_undo_submit,
        users_page,
        create_user_submit,
        update_user_submit,
        audit_page,
        outbox_page,
        outbox_retry,
    ]
}

const PER_PAGE: u64 = 50;
