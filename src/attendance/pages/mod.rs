//! Pages, one file per screen: a cohort's follow-up ("Asistencia y notas": sessions, a chart, results,
//! assessments, sheets), taking a session's attendance (keyboard-friendly radio groups, "mark
//! everyone present" pre-fills the form), the check-in code with its QR, the printable sign-in
//! sheet, uploading the offline sheet with a preview, and for participants the check-in page and
//! "Mi progreso". Instructors see only their cohorts (404 otherwise), reviewers read their
//! department's, participants only their own marks.

use crate::accounts::guards::{CurrentUser, ParticipantUser, StaffOrInstructor};
use crate::error::AppResult;
use crate::mail::Mailer;
use crate::spreadsheets::download::Download;
use crate::web::CohortRef;
use crate::web::Page;
use crate::web::csrf::{CsrfForm, csrf_protected};
use crate::web::import::{self, ConfirmForm, ImportPage, UploadForm};
use domain::attendance::checkin::{self, Outcome};
use domain::attendance::sheet::{self, RawRow, SheetImport, SheetOf, UploadSummary};
use domain::attendance::{Access, MARKS, MarkInput, cohort_access, session_access};
use domain::cohorts;
use domain::config::AppConfig;
use domain::entities::values::{CohortStatus, MarkSource};
use domain::entities::{cohort, cohort_session};
use domain::error::{AppError, FieldError};
use domain::results;
use rocket::form::FromForm;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde::Serialize;
use std::collections::HashMap;

mod check_in;
mod code;
mod evidence;
mod followup;
mod session;

use check_in::*;
use code::*;
use evidence::*;
pub(crate) use followup::followup_again;
use followup::*;
use session::*;

pub fn routes() -> Vec<Route> {
    let mut routes = routes![
        followup_page,
        session_page,
        session_submit,
        code_page,
        sign_in_sheet,
        session_xlsx,
        cohort_xlsx,
        upload_preview,
        upload_confirm,
        check_in_page,
        check_in_submit,
        progress_page,
        evidence_submit,
        evidence_download
    ];
    // Issue 66: the page script's queue of offline marks (`/asistencia/lotes/{id}`).
    routes.extend(super::offline::page_routes());
    routes
}

/// Seconds between reloads of the code page (codes change every 60 s; two are accepted).
const CODE_REFRESH_SECONDS: u32 = 20;

pub fn followup_url(cohort_id: i32) -> String {
    format!("/seguimiento/cohortes/{cohort_id}")
}

pub fn session_url(session_id: i32) -> String {
    domain::attendance::sheet_path(session_id)
}

fn editable(cohort: &cohort::Model) -> bool {
    !cohort.status.is_final()
}

/// The cohort as the follow-up pages show it.
#[derive(Serialize)]
struct CohortInfo {
    id: i32,
    name: String,
    course: String,
    status_label: &'static str,
    start_date: String,
    end_date: String,
    min_attendance_pct: i32,
    pass_mark_text: String,
    closed: bool,
    editable: bool,
}

impl CohortInfo {
    fn of(cohort: &cohort::Model, course: String) -> Self {
        CohortInfo {
            id: cohort.id,
            name: cohort.name.clone(),
            course,
            status_label: cohort.status.label(),
            start_date: cohort.start_date.to_string(),
            end_date: cohort.end_date.to_string(),
            min_attendance_pct: cohort.min_attendance_pct,
            pass_mark_text: domain::format::grade_tenths(cohort.pass_mark_tenths),
            closed: cohort.status == CohortStatus::Closed,
            editable: editable(cohort),
        }
    }
}

async fn course_name<C: ConnectionTrait>(db: &C, cohort: &cohort::Model) -> AppResult<String> {
    Ok(domain::catalogue::courses::name_of(db, cohort.course_id)
        .await?
        .unwrap_or_default())
}

/// A session as the follow-up pages show it.
#[derive(Serialize)]
struct SessionInfo {
    id: i32,
    date: String,
    weekday: &'static str,
    start: String,
    end: String,
    topic: String,
    location: Option<String>,
    started: bool,
    in_window: bool,
}

impl SessionInfo {
    fn of(session: &cohort_session::Model) -> Self {
        let now = domain::time::now();
        let view = domain::cohorts::sessions::local_times(session);
        SessionInfo {
            id: session.id,
            date: view.local_date.to_string(),
            weekday: view.weekday,
            start: view.local_start,
            end: view.local_end,
            topic: session.topic.clone(),
            location: session.location.clone(),
            started: session.starts_at <= now,
            in_window: checkin::in_window(session, now),
        }
    }
}
