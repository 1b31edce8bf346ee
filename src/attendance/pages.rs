//! Pages: a cohort's follow-up ("Asistencia y notas": sessions, a chart, results,
//! assessments, sheets), taking a session's attendance (keyboard-friendly radio groups, "mark
//! everyone present" pre-fills the form), the check-in code with its QR, the printable sign-in
//! sheet, uploading the offline sheet with a preview, and for participants the check-in page and
//! "Mi progreso". Instructors see only their cohorts (404 otherwise), reviewers read their
//! department's, participants only their own marks.

use super::checkin::{self, Outcome};
use super::sheet::{self, RawRow, SheetImport, SheetOf, UploadSummary};
use super::{Access, MARKS, MarkInput, cohort_access, session_access};
use crate::accounts::guards::{CurrentUser, ParticipantUser, StaffOrInstructor};
use crate::cohorts;
use crate::cohorts::sessions::SessionView;
use crate::config::AppConfig;
use crate::entities::values::{CohortStatus, MarkSource};
use crate::entities::{attendance_mark, cohort, cohort_session};
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::Mailer;
use crate::results;
use crate::spreadsheets::Download;
use crate::web::CohortRef;
use crate::web::csrf::{CsrfForm, csrf_protected};
use crate::web::import::{self, ConfirmForm, ImportPage, UploadForm};
use crate::web::{Page, failure};
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::Serialize;
use std::collections::HashMap;

pub fn routes() -> Vec<Route> {
    routes![
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
        progress_page
    ]
}

/// Seconds between reloads of the code page (codes change every 60 s; two are accepted).
const CODE_REFRESH_SECONDS: u32 = 20;

pub fn followup_url(cohort_id: i32) -> String {
    format!("/seguimiento/cohortes/{cohort_id}")
}

pub fn session_url(session_id: i32) -> String {
    format!("/seguimiento/sesiones/{session_id}")
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
            pass_mark_text: crate::format::grade_tenths(cohort.pass_mark_tenths),
            closed: cohort.status == CohortStatus::Closed,
            editable: editable(cohort),
        }
    }
}

async fn course_name<C: ConnectionTrait>(db: &C, cohort: &cohort::Model) -> AppResult<String> {
    Ok(
        crate::entities::course::Entity::find_by_id(cohort.course_id)
            .one(db)
            .await?
            .map(|c| c.name)
            .unwrap_or_default(),
    )
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
        let now = crate::time::now();
        let view = SessionView::from(session.clone());
        SessionInfo {
            id: session.id,
            date: view.local_date.to_string(),
            weekday: view.weekday,
            start: view.local_start,
            end: view.local_end,
            topic: view.topic,
            location: view.location,
            started: session.starts_at <= now,
            in_window: checkin::in_window(session, now),
        }
    }
}

/// An SVG bar chart of attendance per session held: bars as rectangles with a `<title>`
/// each (no script, no style attribute).
#[derive(Serialize)]
struct ChartBar {
    x: String,
    y: String,
    width: String,
    height: String,
    label_x: String,
    label: String,
    title: String,
}

#[derive(Serialize)]
struct AttendanceChart {
    width: f64,
    height: f64,
    axis_y: f64,
    top: f64,
    mid: f64,
    label_y: f64,
    bars: Vec<ChartBar>,
}

fn attendance_chart(bars: &[(String, i32, i32)]) -> Option<AttendanceChart> {
    if bars.is_empty() {
        return None;
    }
    let (width, height, top, bottom) = (640.0_f64, 220.0_f64, 10.0_f64, 30.0_f64);
    let plot = height - top - bottom;
    let slot = (width - 40.0) / bars.len() as f64;
    let bar_width = (slot * 0.7).min(60.0);
    let items = bars
        .iter()
        .enumerate()
        .map(|(n, (label, attended, enrolled))| {
            let share = if *enrolled > 0 {
                f64::from(*attended) / f64::from(*enrolled)
            } else {
                0.0
            };
            let h = (plot * share).max(if *attended > 0 { 1.0 } else { 0.0 });
            let x = 40.0 + slot * n as f64 + (slot - bar_width) / 2.0;
            ChartBar {
                x: format!("{x:.1}"),
                y: format!("{:.1}", top + plot - h),
                width: format!("{bar_width:.1}"),
                height: format!("{h:.1}"),
                label_x: format!("{:.1}", x + bar_width / 2.0),
                label: label.clone(),
                title: format!(
                    "{label}: {attended} de {enrolled} ({})",
                    crate::format::percent(i64::from(*attended), i64::from(*enrolled))
                ),
            }
        })
        .collect();
    Some(AttendanceChart {
        width,
        height,
        axis_y: top + plot,
        top,
        mid: top + plot / 2.0,
        label_y: height - 10.0,
        bars: items,
    })
}

/// A session's line in the follow-up page: the session and its marks.
#[derive(Serialize)]
struct SessionRow {
    #[serde(flatten)]
    session: SessionInfo,
    marked: i32,
    attended: i32,
    enrolled: i32,
    attended_text: String,
}

/// A person's line in the follow-up page: their result so far.
#[derive(Serialize)]
struct ResultLine {
    enrolment_id: i32,
    full_name: String,
    attended: i32,
    total: i32,
    pct_text: String,
    grade_text: Option<String>,
    completed: bool,
    reasons: String,
    at_risk: bool,
}

/// The cohort's follow-up page: attendance per session, results, assessments.
#[derive(Serialize)]
pub struct FollowupView {
    cohort: CohortInfo,
    manage: bool,
    can_edit: bool,
    enrolled: i32,
    hidden_note: Option<String>,
    sessions: Vec<SessionRow>,
    chart: Option<AttendanceChart>,
    results: Vec<ResultLine>,
    items: Vec<crate::assessment::AssessmentView>,
    weights_total: i32,
    weights_ok: bool,
    errors: Vec<FieldError>,
}

/// The cohort's follow-up page data.
pub async fn followup_context<C: ConnectionTrait>(
    db: &C,
    cohort: &cohort::Model,
    access: &Access,
) -> AppResult<FollowupView> {
    #[derive(sea_orm::FromQueryResult)]
    struct Count {
        session_id: i32,
        status: crate::entities::values::Mark,
        n: i64,
    }
    use sea_orm::QuerySelect;
    let course = course_name(db, cohort).await?;
    let sessions = cohorts::sessions::list(db, cohort.id).await?;
    let people = access.people();
    let roster = super::enrolled(db, cohort.id, &people).await?;
    let hidden = crate::people::scope::hidden_in_cohort(db, &people, cohort.id).await?;
    let enrolled = roster.len() as i32;
    let counts = attendance_mark::Entity::find()
        .select_only()
        .column(attendance_mark::Column::SessionId)
        .column(attendance_mark::Column::Status)
        .column_as(attendance_mark::Column::Id.count(), "n")
        .filter(attendance_mark::Column::SessionId.is_in(sessions.iter().map(|s| s.id)))
        .filter(people.enrolments_of(attendance_mark::Column::EnrolmentId, cohort.id))
        .group_by(attendance_mark::Column::SessionId)
        .group_by(attendance_mark::Column::Status)
        .into_model::<Count>()
        .all(db)
        .await?;
    let mut per_session: HashMap<i32, (i32, i32)> = HashMap::new();
    for c in counts {
        let entry = per_session.entry(c.session_id).or_default();
        entry.0 += c.n as i32;
        if c.status.counts_as_attended() {
            entry.1 += c.n as i32;
        }
    }
    let manage = access.can_manage();
    let now = crate::time::now();
    let mut bars = Vec::new();
    let session_rows: Vec<SessionRow> = sessions
        .iter()
        .map(|s| {
            let (marked, attended) = per_session.get(&s.id).copied().unwrap_or((0, 0));
            let row = SessionRow {
                session: SessionInfo::of(s),
                marked,
                attended,
                enrolled,
                attended_text: crate::format::percent(i64::from(attended), i64::from(enrolled)),
            };
            if s.starts_at <= now {
                bars.push((
                    crate::time::local(s.starts_at).format("%d/%m").to_string(),
                    attended,
                    enrolled,
                ));
            }
            row
        })
        .collect();
    let results = results::compute(db, cohort, &people, None).await?;
    let missed = results::mark_counts(db, cohort.id, None).await?;
    let total = sessions.len() as i32;
    let result_rows: Vec<ResultLine> = results
        .iter()
        .map(|r| {
            let m = missed.get(&r.enrolment_id).map_or(0, |c| c.missed);
            ResultLine {
                enrolment_id: r.enrolment_id,
                full_name: r.full_name.clone(),
                attended: r.sessions_attended,
                total: r.sessions_total,
                pct_text: crate::format::percent(
                    i64::from(r.sessions_attended),
                    i64::from(r.sessions_total),
                ),
                grade_text: r.final_grade_milli.map(crate::format::grade),
                completed: r.completed,
                reasons: r.reasons.join("; "),
                at_risk: cohort.status != CohortStatus::Closed
                    && super::risk::at_risk(total, m, cohort.min_attendance_pct),
            }
        })
        .collect();
    let items = crate::assessment::list(db, cohort.id).await?;
    let weights_total: i32 = items.iter().map(|i| i.weight).sum();
    Ok(FollowupView {
        cohort: CohortInfo::of(cohort, course),
        manage,
        can_edit: manage && editable(cohort),
        enrolled,
        hidden_note: people.hidden_note(hidden),
        sessions: session_rows,
        chart: attendance_chart(&bars),
        results: result_rows,
        weights_ok: items.is_empty() || weights_total == 100,
        items,
        weights_total,
        errors: Vec::new(),
    })
}

#[get("/seguimiento/cohortes/<id>")]
async fn followup_page(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    page: Page<'_>,
    id: i32,
) -> AppResult<RawHtml<String>> {
    let (cohort, access) = cohort_access(db.inner(), &user, id).await?;
    if let Access::Own(_) = access {
        return Err(AppError::Forbidden.into());
    }
    let context = followup_context(db.inner(), &cohort, &access).await?;
    page.render(
        "followup",
        &format!("Asistencia y notas · {}", cohort.name),
        context,
    )
}

/// One option of a person's mark.
#[derive(Serialize)]
struct MarkOption {
    value: &'static str,
    label: &'static str,
    checked: bool,
}

/// A person's line in a session's attendance form.
#[derive(Serialize)]
struct MarkRow {
    enrolment_id: i32,
    full_name: String,
    document: String,
    current: Option<&'static str>,
    source: Option<&'static str>,
    recorded: Option<String>,
    note: String,
    options: Vec<MarkOption>,
    invalid: bool,
}

#[derive(Serialize)]
struct SessionFormView {
    session: SessionInfo,
    cohort: CohortInfo,
    manage: bool,
    can_take: bool,
    rows: Vec<MarkRow>,
    prefilled: bool,
    errors: Vec<FieldError>,
}

/// The attendance form of a session. `chosen` keeps what was typed when saving failed;
/// `prefill` selects a mark for everyone without one ("mark everyone present").
async fn session_context<C: ConnectionTrait>(
    db: &C,
    session: &cohort_session::Model,
    cohort: &cohort::Model,
    access: &Access,
    chosen: Option<&SessionForm>,
    prefill: Option<&str>,
    errors: &[FieldError],
) -> AppResult<SessionFormView> {
    let course = course_name(db, cohort).await?;
    let marks = super::marks_by_enrolment(db, session.id).await?;
    let roster = super::enrolled(db, cohort.id, &access.people()).await?;
    let recorders =
        super::user_names(db, marks.values().filter_map(|m| m.recorded_by).collect()).await?;
    let started = session.starts_at <= crate::time::now();
    let can_take = access.can_manage() && started && editable(cohort);
    let rows: Vec<MarkRow> = roster
        .iter()
        .map(|r| {
            let mark = marks.get(&r.enrolment_id);
            let selected = chosen
                .and_then(|f| f.estado.get(&r.enrolment_id).cloned())
                .or_else(|| mark.map(|m| m.status.as_str().to_string()))
                .or_else(|| prefill.map(str::to_string))
                .unwrap_or_default();
            let note = chosen
                .and_then(|f| f.nota.get(&r.enrolment_id).cloned())
                .or_else(|| mark.and_then(|m| m.note.clone()))
                .unwrap_or_default();
            let options = MARKS
                .iter()
                .map(|m| MarkOption {
                    value: m.as_str(),
                    label: m.label(),
                    checked: selected == m.as_str(),
                })
                .collect();
            MarkRow {
                enrolment_id: r.enrolment_id,
                full_name: r.full_name.clone(),
                document: format!("{} {}", r.document_type, r.document_number),
                current: mark.map(|m| m.status.label()),
                source: mark.map(|m| match m.source {
                    MarkSource::Manual => "a mano",
                    MarkSource::CheckIn => "con código",
                    MarkSource::Sheet => "por planilla",
                }),
                recorded: mark.map(|m| {
                    format!(
                        "{}{}",
                        crate::format::date_time(m.recorded_at),
                        m.recorded_by
                            .and_then(|id| recorders.get(&id))
                            .map(|n| format!(" · {n}"))
                            .unwrap_or_default()
                    )
                }),
                note,
                options,
                invalid: errors
                    .iter()
                    .any(|e| e.field.contains(&format!("[{}]", r.enrolment_id))),
            }
        })
        .collect();
    Ok(SessionFormView {
        session: SessionInfo::of(session),
        cohort: CohortInfo::of(cohort, course),
        manage: access.can_manage(),
        can_take,
        rows,
        prefilled: prefill.is_some(),
        errors: errors.to_vec(),
    })
}

#[get("/seguimiento/sesiones/<id>?<prellenar>")]
async fn session_page(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    page: Page<'_>,
    id: i32,
    prellenar: Option<&str>,
) -> AppResult<RawHtml<String>> {
    let (session, cohort, access) = session_access(db.inner(), &user, id).await?;
    let prefill = prellenar.and_then(super::parse_mark).map(|m| m.as_str());
    let context =
        session_context(db.inner(), &session, &cohort, &access, None, prefill, &[]).await?;
    page.render(
        "attendance_session",
        &format!("Asistencia · {}", session.topic),
        context,
    )
}

#[derive(FromForm)]
struct SessionForm {
    #[field(default = String::new())]
    csrf_token: String,
    /// enrolment id → mark
    #[field(default = HashMap::new())]
    estado: HashMap<i32, String>,
    /// enrolment id → note
    #[field(default = HashMap::new())]
    nota: HashMap<i32, String>,
}

csrf_protected!(SessionForm);

#[post("/seguimiento/sesiones/<id>", data = "<form>")]
async fn session_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    user: StaffOrInstructor,
    page: Page<'_>,
    id: i32,
    form: CsrfForm<SessionForm>,
) -> Result<Flash<Redirect>, (Status, RawHtml<String>)> {
    let form = form.0;
    let back = Redirect::to(session_url(id));
    let result = async {
        let txn = crate::db::begin(db).await?;
        let (session, cohort, access) = session_access(&txn, &user, id).await?;
        access.require_manage()?;
        let mut ids: Vec<i32> = form.estado.keys().copied().collect();
        ids.sort_unstable();
        let inputs: Vec<MarkInput> = ids
            .iter()
            .map(|eid| MarkInput {
                enrolment_id: Some(*eid),
                status: form.estado.get(eid).cloned(),
                note: form.nota.get(eid).cloned(),
            })
            .collect();
        if inputs.is_empty() {
            return Err(AppError::invalid(
                "estado",
                "Marque la asistencia de al menos una persona.",
            ));
        }
        let planned = super::plan_session_marks(&txn, &access.people(), &cohort, &session, &inputs)
            .await
            .map_err(|e| match e {
                // Name the person's row in the message: the JSON index means nothing here.
                AppError::Validation(errors) => AppError::Validation(
                    errors
                        .into_iter()
                        .map(|mut err| {
                            if let Some(n) = err
                                .field
                                .strip_prefix('[')
                                .and_then(|rest| rest.split(']').next())
                                .and_then(|n| n.parse::<usize>().ok())
                                && let Some(eid) = ids.get(n)
                            {
                                err.field = format!("estado[{eid}]");
                            }
                            err
                        })
                        .collect(),
                ),
                other => other,
            })?;
        let saved = super::save_marks(
            &txn,
            &notifier,
            user.id,
            &cohort,
            &planned,
            MarkSource::Manual,
        )
        .await?;
        crate::db::commit(txn).await?;
        Ok::<_, AppError>(saved)
    }
    .await;
    match result {
        Ok(saved) => Ok(Flash::success(
            back,
            match saved.changed {
                0 => "No había cambios que guardar.".to_string(),
                1 => "Asistencia guardada: 1 marca nueva o cambiada.".to_string(),
                n => format!("Asistencia guardada: {n} marcas nuevas o cambiadas."),
            },
        )),
        Err(AppError::Conflict(message)) => Ok(Flash::error(back, message)),
        Err(AppError::Validation(errors)) => {
            let rendered = async {
                let (session, cohort, access) = session_access(db.inner(), &user, id).await?;
                let context = session_context(
                    db.inner(),
                    &session,
                    &cohort,
                    &access,
                    Some(&form),
                    None,
                    &errors,
                )
                .await?;
                page.render(
                    "attendance_session",
                    &format!("Asistencia · {}", session.topic),
                    context,
                )
            }
            .await;
            match rendered {
                Ok(html) => Err((Status::UnprocessableEntity, html)),
                Err(e) => Err(failure(&page, e.into())),
            }
        }
        Err(other) => Err(failure(&page, other)),
    }
}

#[get("/seguimiento/sesiones/<id>/codigo")]
async fn code_page(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    user: StaffOrInstructor,
    page: Page<'_>,
    id: i32,
) -> AppResult<RawHtml<String>> {
    let (session, cohort, access) = session_access(db.inner(), &user, id).await?;
    access.require_manage()?;
    let code = checkin::current_code(&session, &config.public_url, crate::time::now());
    let local = |text: &str| {
        chrono::DateTime::parse_from_rfc3339(text)
            .map(|t| t.format("%H:%M").to_string())
            .unwrap_or_default()
    };
    let spaced = format!("{} {}", &code.code[..3], &code.code[3..]);
    let qr = checkin::qr_svg(
        &code.url,
        "Código QR con el enlace para registrar la asistencia",
    )?;
    page.render(
        "attendance_code",
        &format!("Código de asistencia · {}", session.topic),
        CodeView {
            session: SessionInfo::of(&session),
            cohort: CohortRef::of(&cohort),
            code: spaced,
            open: code.open,
            opens: local(&code.window_opens),
            closes: local(&code.window_closes),
            url: &code.url,
            qr_svg: qr,
            refresh_seconds: CODE_REFRESH_SECONDS,
            opens_before: checkin::OPENS_BEFORE_MINUTES,
            grace: checkin::GRACE_MINUTES,
        },
    )
}

#[get("/seguimiento/sesiones/<id>/planilla")]
async fn sign_in_sheet(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    page: Page<'_>,
    id: i32,
) -> AppResult<RawHtml<String>> {
    let (session, cohort, access) = session_access(db.inner(), &user, id).await?;
    if let Access::Own(_) = access {
        return Err(AppError::Forbidden.into());
    }
    let course = course_name(db.inner(), &cohort).await?;
    let rows = super::enrolled(db.inner(), cohort.id, &access.people())
        .await?
        .into_iter()
        .enumerate()
        .map(|(n, r)| SignatureLine {
            n: n + 1,
            document: format!("{} {}", r.document_type, r.document_number),
            full_name: r.full_name,
        })
        .collect();
    page.render(
        "attendance_sign_in",
        &format!("Planilla de firmas · {}", session.topic),
        SignInSheetView {
            session: SessionInfo::of(&session),
            cohort: CohortInfo::of(&cohort, course),
            rows,
        },
    )
}

#[get("/seguimiento/sesiones/<id>/asistencia.xlsx")]
async fn session_xlsx(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Download> {
    let (session, cohort, access) = session_access(db.inner(), &user, id).await?;
    if let Access::Own(_) = access {
        return Err(AppError::Forbidden.into());
    }
    let bytes = sheet::workbook(
        db.inner(),
        &cohort,
        Some(&session),
        &access.people(),
        &user.full_name,
    )
    .await?;
    Ok(Download::xlsx(
        &format!("asistencia-{}-sesion-{}.xlsx", cohort.id, session.id),
        bytes,
    ))
}

#[get("/seguimiento/cohortes/<id>/asistencia.xlsx")]
async fn cohort_xlsx(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Download> {
    let (cohort, access) = cohort_access(db.inner(), &user, id).await?;
    if let Access::Own(_) = access {
        return Err(AppError::Forbidden.into());
    }
    let bytes =
        sheet::workbook(db.inner(), &cohort, None, &access.people(), &user.full_name).await?;
    Ok(Download::xlsx(
        &format!("asistencia-{}.xlsx", cohort.id),
        bytes,
    ))
}

/// The offline sheet of a cohort on pages: upload → preview → confirm.
impl ImportPage for SheetImport<'_> {
    const TEMPLATE: &'static str = "attendance_preview";
    const TITLE: &'static str = "Revisar la planilla de asistencia";
    const CHANGED_MEANWHILE: &'static str =
        "La asistencia cambió mientras revisaba la planilla; súbala de nuevo. ";
    const BACK: fn(i32) -> String = followup_url;
    const SAVED: fn(usize) -> String =
        |n| format!("Planilla guardada: {n} marca(s) nueva(s) o cambiada(s).");

    fn cohort(&self) -> &cohort::Model {
        self.cohort()
    }

    fn confirmation(summary: &UploadSummary) -> Vec<RawRow> {
        summary.changes.iter().map(RawRow::from).collect()
    }
}

#[post("/seguimiento/cohortes/<id>/asistencia/subir", data = "<form>")]
async fn upload_preview(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    user: StaffOrInstructor,
    page: Page<'_>,
    id: i32,
    form: CsrfForm<UploadForm<'_>>,
) -> Result<RawHtml<String>, (Status, RawHtml<String>)> {
    let sheet = SheetImport::open(db.inner(), &user, &notifier, SheetOf::Cohort(id));
    import::preview(&page, db, sheet, &form.0.file).await
}

#[post("/seguimiento/cohortes/<id>/asistencia/confirmar", data = "<form>")]
async fn upload_confirm(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    user: StaffOrInstructor,
    id: i32,
    form: CsrfForm<ConfirmForm>,
) -> AppResult<Flash<Redirect>> {
    let sheet = SheetImport::open(db.inner(), &user, &notifier, SheetOf::Cohort(id));
    import::confirm(db, sheet, form.0).await
}

/// The participant's page to check in (the QR code's link lands here, code filled in).
#[get("/sesiones/<id>/registro?<codigo>")]
async fn check_in_page(
    db: &State<DatabaseConnection>,
    me: ParticipantUser,
    page: Page<'_>,
    id: i32,
    codigo: Option<&str>,
) -> AppResult<RawHtml<String>> {
    let (session, cohort, access) = session_access(db.inner(), &me, id).await?;
    let Access::Own(enrolment_id) = access else {
        return Err(AppError::Forbidden.into());
    };
    let mark = super::session_marks(
        db.inner(),
        &session,
        &access.people(),
        Some(&[enrolment_id]),
    )
    .await?
    .pop();
    let (opens, closes) = checkin::window(&session);
    let local = |t| crate::time::local(t).format("%H:%M").to_string();
    page.render(
        "check_in",
        "Registrar mi asistencia",
        CheckInView {
            session: SessionInfo::of(&session),
            cohort: CohortRef::of(&cohort),
            code: codigo.map(checkin::normalize).unwrap_or_default(),
            opens: local(opens),
            closes: local(closes),
            mark,
        },
    )
}

#[derive(FromForm)]
struct CodeForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    codigo: String,
}

csrf_protected!(CodeForm);

#[post("/sesiones/<id>/registro", data = "<form>")]
async fn check_in_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    me: ParticipantUser,
    id: i32,
    form: CsrfForm<CodeForm>,
) -> AppResult<Flash<Redirect>> {
    let txn = crate::db::begin(db).await?;
    let (session, cohort, access) = session_access(&txn, &me, id).await?;
    let Access::Own(enrolment_id) = access else {
        return Err(AppError::Forbidden.into());
    };
    let here = Redirect::to(format!("/sesiones/{id}/registro"));
    let outcome = checkin::check_in(
        &txn,
        &notifier,
        me.id,
        enrolment_id,
        &cohort,
        &session,
        &form.0.codigo,
    )
    .await;
    match outcome {
        Ok(Outcome::Marked(mark)) => {
            crate::db::commit(txn).await?;
            Ok(Flash::success(
                here,
                format!(
                    "¡Listo! Su asistencia quedó registrada: {}.",
                    mark.status_label.to_lowercase()
                ),
            ))
        }
        Ok(Outcome::WrongCode) => {
            crate::db::commit(txn).await?;
            Ok(Flash::error(here, checkin::WRONG_CODE))
        }
        Err(AppError::Validation(errors)) => Ok(Flash::error(
            here,
            errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        )),
        Err(error @ (AppError::Conflict(_) | AppError::Throttled(_))) => {
            Ok(Flash::error(here, error.to_string()))
        }
        Err(other) => Err(other.into()),
    }
}

#[get("/mi-progreso")]
async fn progress_page(
    db: &State<DatabaseConnection>,
    me: ParticipantUser,
    page: Page<'_>,
) -> AppResult<RawHtml<String>> {
    let progress = match crate::people::profile::participant_of_user(db.inner(), me.id).await? {
        Some(person) => super::progress::for_participant(db.inner(), person.id).await?,
        None => Vec::new(),
    };
    #[derive(Serialize)]
    struct ProgressView {
        progress: Vec<super::progress::Progress>,
    }
    page.render("my_progress", "Mi progreso", ProgressView { progress })
}

/// The instructor's screen with the session's check-in code and QR.
#[derive(Serialize)]
struct CodeView<'a> {
    session: SessionInfo,
    cohort: CohortRef<'a>,
    code: String,
    open: bool,
    opens: String,
    closes: String,
    url: &'a str,
    qr_svg: String,
    refresh_seconds: u32,
    opens_before: i64,
    grace: i64,
}

/// A line of the printed sign-in sheet.
#[derive(Serialize)]
struct SignatureLine {
    n: usize,
    full_name: String,
    document: String,
}

#[derive(Serialize)]
struct SignInSheetView {
    session: SessionInfo,
    cohort: CohortInfo,
    rows: Vec<SignatureLine>,
}

/// The participant's check-in page.
#[derive(Serialize)]
struct CheckInView<'a> {
    session: SessionInfo,
    cohort: CohortRef<'a>,
    code: String,
    opens: String,
    closes: String,
    mark: Option<super::MarkView>,
}
