//! The year's plan pages (issue 47), phone-first, one file per screen: the plans of a year
//! (`list`), a new plan (`new`), the plan with its lines, goals, budget, progress, state, act and
//! versions (`detail`), adding or changing a line of a draft (`draft_lines`, its fields in
//! `line_fields`), approving it with the act typed (`approval`), amending it with the reason and
//! the lines that change (`amendments`), and directions and providers compared (`comparison`).

use crate::accounts::guards::{CurrentUser, ReportReader, StaffUser};
use crate::error::AppResult;
use crate::web::confirm::Confirmation;
use crate::web::csrf::{CsrfForm, csrf_protected};
use crate::web::{KeptKey, OwnedChoice, Page, PageResult};
use chrono::Datelike;
use domain::entities::plan;
use domain::entities::values::{BudgetSource, PlanStatus, ProviderKind, Role, TargetRule};
use domain::error::{AppError, FieldError};
use domain::plans::comparison as plan_comparison;
use domain::plans::lifecycle::{self, AmendedLineInput, AmendmentInput, ApprovalInput};
use domain::plans::lines::{self, BudgetInput, GoalsInput, LineInput, TargetsInput};
use domain::plans::progress::{self as plan_progress, LineProgress, Period, Progress};
use domain::plans::{
    self, GOAL_LABELS, LineView, ListFilter, PlanInput, PlanSummary, PlanView, Whole,
};
use rocket::Either;
use rocket::form::FromForm;
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

mod amendments;
mod approval;
mod comparison;
mod detail;
mod draft_lines;
mod line_fields;
mod list;
mod new;

use amendments::*;
use approval::*;
use comparison::*;
use detail::*;
use draft_lines::*;
use line_fields::*;
use list::*;
use new::*;

pub fn routes() -> Vec<Route> {
    routes![
        list_page,
        new_page,
        create_submit,
        plan_page,
        new_line_page,
        add_line_submit,
        edit_line_page,
        edit_line_submit,
        approval_page,
        approve_submit,
        amend_page,
        amend_submit,
        comparison_page,
        workbook_download
    ]
}
