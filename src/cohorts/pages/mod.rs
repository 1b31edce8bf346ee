//! The coordinators' pages for cohorts, one file per screen: the list with its filters
//! (`index`), the form to create and edit (`form`), the workspace with its sections and the
//! lifecycle (`workspace`), the sessions (`schedule`) and the enrolment file uploaded
//! from the workspace (`enrolment_import`); confirmation pages here.

use crate::accounts::guards::StaffUser;
use crate::error::AppResult;
use crate::mail::Mailer;
use crate::web::confirm::Confirmation;
use crate::web::csrf::{CsrfForm, PlainForm, csrf_protected};
use crate::web::form::{decimal_field, number_field};
use crate::web::{Choice, Page, Pager};
use domain::cohorts::scope::CohortScope;
use domain::cohorts::sessions::{self, Recurrence, SessionInput};
use domain::cohorts::{CohortInput, ListFilter, transition_allowed};
use domain::entities::values::{CohortStatus, Modality};
use domain::error::{AppError, FieldError};
use rocket::Either;
use rocket::form::FromForm;
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

mod enrolment_import;
mod form;
mod index;
mod schedule;
mod workspace;

pub(crate) use crate::web::sections::Section;
use enrolment_import::*;
pub(crate) use form::CohortForm;
use form::*;
use index::*;
use schedule::*;
use workspace::*;
pub(crate) use workspace::{EnrolValues, Typed, detail_view, render_section, section_again};

pub fn routes() -> Vec<Route> {
    routes![
        list_page,
        new_page,
        create_submit,
        detail_page,
        section_route,
        update_submit,
        status_submit,
        add_session_submit,
        generate_submit,
        delete_session_submit,
        delete_session_confirm,
        cancel_confirm,
        close_confirm,
        reopen_confirm,
        reopen_submit,
        import_submit,
        classroom_link_submit
    ]
}
