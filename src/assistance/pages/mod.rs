//! Technical assistance pages (issue 33), usable on a phone in the field, one file per screen:
//! the list and the workbooks (`list`), a new assistance (`new`), its workspace and the
//! printable closing summary (`show`), and the workspace's forms: milestones (`milestones`),
//! visits and their agreements (`visit`), the diagnosis and work plan (`work_plan`), the
//! entity's acceptance and contact (`acceptance`), the state (`status`) and the entity's
//! evaluation, also through the emailed link (`evaluation`).

use crate::accounts::guards::{CurrentUser, MunicipalityReader, StaffUser};
use crate::error::AppResult;
use crate::web::confirm::Confirmation;
use crate::web::csrf::{CsrfForm, csrf_protected};
use crate::web::{Choice, Page, PageResult};
use domain::assistance::agreed::{
    self, AcceptanceInput, Acceptor, ActivityInput, DiagnosisInput, WorkPlanInput, WorkPlanView,
};
use domain::assistance::agreements::{self, AgreementItem, AgreementPatch};
use domain::assistance::visits::{self, AgreementInput, AttendeeInput, ProductInput, VisitInput};
use domain::assistance::{
    self, AssistanceInput, AssistanceView, EvaluationInput, Evaluator, ListFilter, MilestoneInput,
    StatusInput,
};
use domain::entities::values::{AssistanceStatus, AssistedEntity, Role};
use domain::error::{AppError, FieldError};
use rocket::Either;
use rocket::form::FromForm;
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::{DatabaseConnection, Iterable};
use serde::Serialize;

mod acceptance;
mod evaluation;
mod list;
mod milestones;
mod new;
mod show;
mod status;
mod visit;
mod work_plan;

use crate::web::rows::{Numbered, filled, index, numbered, row_problem};
use acceptance::*;
use evaluation::*;
use list::*;
use milestones::*;
pub(crate) use new::entity_choices;
use new::*;
pub(crate) use show::back;
use show::*;
use status::*;
use visit::*;
use work_plan::*;

pub fn routes() -> Vec<Route> {
    routes![
        list_page,
        new_page,
        create_submit,
        workspace,
        closing_summary,
        milestone_submit,
        milestone_done_submit,
        visit_submit,
        agreement_submit,
        diagnosis_submit,
        plan_submit,
        liaison_acceptance_submit,
        contact_confirmation_submit,
        link_acceptance_page,
        link_acceptance_submit,
        status_submit,
        liaison_evaluation_submit,
        link_evaluation_page,
        link_evaluation_submit,
        list_download,
        record_download
    ]
}
