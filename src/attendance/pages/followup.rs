//! A cohort's follow-up («Asistencia y notas»): sessions, the chart, results, its workbook
//! and the offline sheet's upload.

use super::*;
use crate::web::PageResult;

/// An SVG bar chart of attendance per session held: bars as rectangles with a `<title>`
/// each (no script, no style attribute).
#[derive(Serialize)]
pub(super) struct ChartBar {
    pub(super) x: String,
    pub(super) y: String,
    pub(super) width: String,
    pub(super) height: String,
    pub(super) label_x: String,
    pub(super) label: String,
    /// Only every n-th date when there are many sessions, so the labels never overlap.
    pub(super) show_label: bool,
    pub(super) title: String,
}

#[derive(Serialize)]
pub(super) struct AttendanceChart {
    pub(super) width: f64,
    pub(super) height: f64,
    pub(super) axis_y: f64,
    pub(super) top: f64,
    pub(super) mid: f64,
    pub(super) label_y: f64,
    pub(super) bars: Vec<ChartBar>,
}

pub(super) fn attendance_chart(bars: &[(String, i32, i32)]) -> Option<AttendanceChart> {
    if bars.is_empty() {
        return None;
    }
    // Drawn for a phone (issue 45): 360 units wide, so its 13-unit text (the stylesheet's
    // `.chart text`) reads at 12 px or more on a 390 px screen.
    let (width, height, top, bottom) = (360.0_f64, 200.0_f64, 10.0_f64, 30.0_f64);
    let plot = height - top - bottom;
    let slot = (width - 48.0) / bars.len() as f64;
    // «12/11» at 13 units is about 35 wide.
    let every = (42.0 / slot).ceil().max(1.0) as usize;
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
            let x = 44.0 + slot * n as f64 + (slot - bar_width) / 2.0;
            ChartBar {
                x: format!("{x:.1}"),
                y: format!("{:.1}", top + plot - h),
                width: format!("{bar_width:.1}"),
                height: format!("{h:.1}"),
                label_x: format!("{:.1}", x + bar_width / 2.0),
                label: label.clone(),
                show_label: n % every == 0,
                title: format!(
                    "{label}: {attended} de {enrolled} ({})",
                    domain::format::percent(i64::from(*attended), i64::from(*enrolled))
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
pub(super) struct SessionRow {
    #[serde(flatten)]
    pub(super) session: SessionInfo,
    pub(super) marked: i32,
    pub(super) attended: i32,
    pub(super) enrolled: i32,
    pub(super) attended_text: String,
}

/// A person's line in the follow-up page: their result so far.
#[derive(Serialize)]
pub(super) struct ResultLine {
    pub(super) enrolment_id: i32,
    pub(super) full_name: String,
    /// Attendance with its basis (the same value as everywhere).
    pub(super) attendance: String,
    pub(super) grade_text: Option<String>,
    pub(super) completed: bool,
    /// «Sí», «No» or «Se decide al cierre» (domain::results::Verdict).
    pub(super) verdict: &'static str,
    pub(super) reasons: String,
    pub(super) at_risk: bool,
}

/// The cohort's follow-up page: attendance per session, results, assessments.
#[derive(Serialize)]
pub struct FollowupView {
    pub(super) cohort: CohortInfo,
    pub(super) manage: bool,
    pub(super) can_edit: bool,
    pub(super) enrolled: i32,
    pub(super) hidden_note: Option<String>,
    pub(super) sessions: Vec<SessionRow>,
    pub(super) chart: Option<AttendanceChart>,
    pub(super) results: Vec<ResultLine>,
    pub(super) items: Vec<domain::assessment::AssessmentView>,
    pub(super) weights_total: i32,
    pub(super) weights_ok: bool,
    pub(super) errors: Vec<FieldError>,
}

/// The cohort's follow-up page data.
pub async fn followup_context<C: ConnectionTrait>(
    db: &C,
    cohort: &cohort::Model,
    access: &Access,
) -> AppResult<FollowupView> {
    let course = course_name(db, cohort).await?;
    let sessions = cohorts::sessions::list(db, cohort.id).await?;
    let people = access.people();
    let roster = domain::attendance::enrolled(db, cohort.id, &people).await?;
    let hidden = domain::people::scope::hidden_in_cohort(db, &people, cohort.id).await?;
    let enrolled = roster.len() as i32;
    let session_ids: Vec<i32> = sessions.iter().map(|s| s.id).collect();
    let per_session =
        domain::attendance::marks_per_session(db, cohort.id, &session_ids, &people).await?;
    let manage = access.can_manage();
    let now = domain::time::now();
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
                attended_text: domain::format::percent(i64::from(attended), i64::from(enrolled)),
            };
            if s.starts_at <= now {
                bars.push((
                    domain::time::local(s.starts_at).format("%d/%m").to_string(),
                    attended,
                    enrolled,
                ));
            }
            row
        })
        .collect();
    let results = results::compute(db, cohort, &people, None).await?;
    let result_rows: Vec<ResultLine> = results
        .iter()
        .map(|r| ResultLine {
            enrolment_id: r.enrolment_id,
            full_name: r.full_name.clone(),
            attendance: r.attendance.text().to_string(),
            grade_text: r.final_grade_milli.map(domain::format::grade),
            completed: r.completed == Some(true),
            verdict: r.verdict().answer(),
            reasons: r.motives(),
            at_risk: r.at_risk,
        })
        .collect();
    let items = domain::assessment::list(db, cohort.id).await?;
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

/// A cohort's follow-up again for a form sent from it and refused (issue 45: an assessment
/// added, renamed or removed): `typed` under `prefix` as typed, the problems at the top and
/// beside their fields.
pub(crate) async fn followup_again(
    db: &DatabaseConnection,
    page: &Page<'_>,
    id: i32,
    (prefix, typed): (&str, &impl Serialize),
    errors: Vec<FieldError>,
) -> PageResult {
    let user = page.require_user()?;
    let (cohort, access) = cohort_access(db, user, id).await?;
    let context = followup_context(db, &cohort, &access).await?;
    let errors = crate::web::form::scoped(prefix, errors);
    page.render_refused_typed(
        "followup",
        &format!("Asistencia y notas · {}", cohort.name),
        context,
        &errors,
        prefix,
        typed,
    )
}

#[get("/seguimiento/cohortes/<id>")]
pub(super) async fn followup_page(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    page: Page<'_>,
    id: i32,
) -> PageResult {
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

#[get("/seguimiento/cohortes/<id>/asistencia.xlsx")]
pub(super) async fn cohort_xlsx(
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
    const SAVED: (&'static str, &'static str, &'static str) = (
        "Planilla guardada",
        "marca nueva o cambiada",
        "marcas nuevas o cambiadas",
    );

    fn cohort(&self) -> &cohort::Model {
        self.cohort()
    }

    fn confirmation(summary: &UploadSummary) -> Vec<RawRow> {
        summary.changes.iter().map(RawRow::from).collect()
    }
}

#[post("/seguimiento/cohortes/<id>/asistencia/subir", data = "<form>")]
pub(super) async fn upload_preview(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    user: StaffOrInstructor,
    page: Page<'_>,
    id: i32,
    form: CsrfForm<UploadForm<'_>>,
) -> PageResult {
    let sheet = SheetImport::open(db.inner(), &user, &notifier, SheetOf::Cohort(id));
    import::preview(&page, db, sheet, &form.0.file).await
}

#[post("/seguimiento/cohortes/<id>/asistencia/confirmar", data = "<form>")]
pub(super) async fn upload_confirm(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    user: StaffOrInstructor,
    page: Page<'_>,
    id: i32,
    form: CsrfForm<ConfirmForm>,
) -> PageResult<Flash<Redirect>> {
    let sheet = SheetImport::open(db.inner(), &user, &notifier, SheetOf::Cohort(id));
    import::confirm(&page, db, sheet, form.0).await
}
