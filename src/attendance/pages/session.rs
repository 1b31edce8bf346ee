//! Taking a session's attendance (keyboard-friendly radio groups; «mark everyone present»
//! pre-fills the form) and its workbook.

use super::*;
use crate::web::PageResult;

/// One option of a person's mark.
#[derive(Serialize)]
pub(super) struct MarkOption {
    pub(super) value: &'static str,
    pub(super) label: &'static str,
    pub(super) checked: bool,
}

/// A person's line in a session's attendance form.
#[derive(Serialize)]
pub(super) struct MarkRow {
    pub(super) enrolment_id: i32,
    pub(super) full_name: String,
    /// Empty in the offline copy (issue 66: names and municipality only).
    pub(super) document: String,
    pub(super) municipality: String,
    pub(super) current: Option<&'static str>,
    pub(super) source: Option<&'static str>,
    pub(super) recorded: Option<String>,
    pub(super) note: String,
    pub(super) options: Vec<MarkOption>,
    pub(super) invalid: bool,
}

#[derive(Serialize)]
pub(super) struct SessionFormView {
    pub(super) session: SessionInfo,
    pub(super) cohort: CohortInfo,
    pub(super) manage: bool,
    pub(super) can_take: bool,
    pub(super) rows: Vec<MarkRow>,
    pub(super) prefilled: bool,
    pub(super) errors: Vec<FieldError>,
    /// Drawn for the service worker to keep on the instructor's phone (issue 66): no
    /// documents, and the marks open even before the session starts (the page's script keeps
    /// them closed until its start, `starts_at`).
    pub(super) offline_copy: bool,
    pub(super) starts_at: String,
    /// The session's evidence files (issue 66), for those who may read them
    /// ([`super::evidence::with_evidence`]).
    pub(super) evidence: Vec<domain::attendance::evidence::EvidenceView>,
    pub(super) evidence_shown: bool,
}

/// The attendance form of a session. `chosen` keeps what was typed when saving failed;
/// `prefill` selects a mark for everyone without one ("mark everyone present"); `offline_copy`
/// draws the copy the service worker keeps (see [`SessionFormView::offline_copy`]).
#[allow(clippy::too_many_arguments)]
pub(super) async fn session_context<C: ConnectionTrait>(
    db: &C,
    session: &cohort_session::Model,
    cohort: &cohort::Model,
    access: &Access,
    chosen: Option<&SessionForm>,
    prefill: Option<&str>,
    errors: &[FieldError],
    offline_copy: bool,
) -> AppResult<SessionFormView> {
    let course = course_name(db, cohort).await?;
    let marks = domain::attendance::marks_by_enrolment(db, session.id).await?;
    let roster = domain::attendance::enrolled(db, cohort.id, &access.people()).await?;
    let recorders =
        domain::attendance::user_names(db, marks.values().filter_map(|m| m.recorded_by).collect())
            .await?;
    let started = session.starts_at <= domain::time::now();
    let can_take = access.can_manage() && (started || offline_copy) && editable(cohort);
    let mut municipalities: HashMap<String, String> = HashMap::new();
    for entry in &roster {
        if !municipalities.contains_key(&entry.municipality_code) {
            let name = domain::territory::municipality_name(db, &entry.municipality_code).await?;
            municipalities.insert(entry.municipality_code.clone(), name);
        }
    }
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
                document: if offline_copy {
                    String::new()
                } else {
                    format!("{} {}", r.document_type, r.document_number)
                },
                municipality: municipalities
                    .get(&r.municipality_code)
                    .cloned()
                    .unwrap_or_default(),
                current: mark.map(|m| m.status.label()),
                source: mark.map(|m| match m.source {
                    MarkSource::Manual => "a mano",
                    MarkSource::CheckIn => "con código",
                    MarkSource::Sheet => "por planilla",
                }),
                recorded: mark.map(|m| {
                    format!(
                        "{}{}",
                        domain::format::date_time(m.recorded_at),
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
        offline_copy,
        starts_at: session.starts_at.to_rfc3339(),
        evidence: Vec::new(),
        evidence_shown: false,
    })
}

#[get("/seguimiento/sesiones/<id>?<prellenar>")]
pub(super) async fn session_page(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    page: Page<'_>,
    copy: crate::web::offline::OfflineCopy,
    id: i32,
    prellenar: Option<&str>,
) -> PageResult {
    let (session, cohort, access) = session_access(db.inner(), &user, id).await?;
    let prefill = prellenar
        .and_then(domain::attendance::parse_mark)
        .map(|m| m.as_str());
    let context = session_context(
        db.inner(),
        &session,
        &cohort,
        &access,
        None,
        prefill,
        &[],
        copy.0,
    )
    .await?;
    let context = super::evidence::with_evidence(db.inner(), &user, context).await?;
    page.render(
        "attendance_session",
        &format!("Asistencia · {}", session.topic),
        context,
    )
}

#[derive(FromForm)]
pub(super) struct SessionForm {
    #[field(default = String::new())]
    pub(super) csrf_token: String,
    /// enrolment id → mark
    #[field(default = HashMap::new())]
    pub(super) estado: HashMap<i32, String>,
    /// enrolment id → note
    #[field(default = HashMap::new())]
    pub(super) nota: HashMap<i32, String>,
}

csrf_protected!(SessionForm);

#[post("/seguimiento/sesiones/<id>", data = "<form>")]
pub(super) async fn session_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    user: StaffOrInstructor,
    page: Page<'_>,
    id: i32,
    form: CsrfForm<SessionForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let back = Redirect::to(session_url(id));
    let result = domain::db::write(db, async |txn| {
        let (session, cohort, access) = session_access(txn, &user, id).await?;
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
        let planned = domain::attendance::plan_session_marks(
            txn,
            &access.people(),
            &cohort,
            &session,
            &inputs,
        )
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
        let saved = domain::attendance::save_marks(
            txn,
            &notifier,
            user.id,
            &cohort,
            &planned,
            MarkSource::Manual,
        )
        .await?;
        Ok(saved)
    })
    .await;
    crate::web::form::saved_or_again(
        result,
        |saved| {
            Flash::success(
                back,
                match saved.changed {
                    0 => "No había cambios que guardar.".to_string(),
                    1 => "Asistencia guardada: 1 marca nueva o cambiada.".to_string(),
                    n => format!("Asistencia guardada: {n} marcas nuevas o cambiadas."),
                },
            )
        },
        async |errors| {
            let (session, cohort, access) = session_access(db.inner(), &user, id).await?;
            let context = session_context(
                db.inner(),
                &session,
                &cohort,
                &access,
                Some(&form),
                None,
                &errors,
                false,
            )
            .await?;
            page.render_refused(
                "attendance_session",
                &format!("Asistencia · {}", session.topic),
                context,
                &errors,
            )
        },
    )
    .await
}

#[get("/seguimiento/sesiones/<id>/asistencia.xlsx")]
pub(super) async fn session_xlsx(
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
