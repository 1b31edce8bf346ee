//! The instructor's check-in code screen with its QR, and the printable sign-in sheet.

use super::*;
use crate::web::PageResult;

#[get("/seguimiento/sesiones/<id>/codigo")]
pub(super) async fn code_page(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    user: StaffOrInstructor,
    page: Page<'_>,
    id: i32,
) -> PageResult {
    let (session, cohort, access) = session_access(db.inner(), &user, id).await?;
    access.require_manage()?;
    let code = checkin::current_code(&session, &config.public_url, domain::time::now());
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
pub(super) async fn sign_in_sheet(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    page: Page<'_>,
    id: i32,
) -> PageResult {
    let (session, cohort, access) = session_access(db.inner(), &user, id).await?;
    if let Access::Own(_) = access {
        return Err(AppError::Forbidden.into());
    }
    let course = course_name(db.inner(), &cohort).await?;
    let rows = domain::attendance::enrolled(db.inner(), cohort.id, &access.people())
        .await?
        .into_iter()
        .enumerate()
        .map(|(n, r)| SignatureLine {
            n: n + 1,
            code: domain::attendance::offline::person_code(r.enrolment_id),
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

/// The instructor's screen with the session's check-in code and QR.
#[derive(Serialize)]
pub(super) struct CodeView<'a> {
    pub(super) session: SessionInfo,
    pub(super) cohort: CohortRef<'a>,
    pub(super) code: String,
    pub(super) open: bool,
    pub(super) opens: String,
    pub(super) closes: String,
    pub(super) url: &'a str,
    pub(super) qr_svg: String,
    pub(super) refresh_seconds: u32,
    pub(super) opens_before: i64,
    pub(super) grace: i64,
}

/// A line of the printed sign-in sheet.
#[derive(Serialize)]
pub(super) struct SignatureLine {
    pub(super) n: usize,
    /// The person's short code (issue 66): names the enrolment on the paper and its photo.
    pub(super) code: String,
    pub(super) full_name: String,
    pub(super) document: String,
}

#[derive(Serialize)]
pub(super) struct SignInSheetView {
    pub(super) session: SessionInfo,
    pub(super) cohort: CohortInfo,
    pub(super) rows: Vec<SignatureLine>,
}
