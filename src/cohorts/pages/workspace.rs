//! The coordinator's cohort workspace: its sections, changes and the lifecycle.

use super::*;
use crate::web::PageResult;
use crate::web::sections::{CalendarMonth, calendar};

/// A state the cohort can move to, as a button; closing and cancelling go through their
/// confirmation page first (`confirm`, a link), and look destructive (`danger`).
#[derive(Serialize)]
pub(super) struct Transition {
    pub(super) value: &'static str,
    pub(super) label: &'static str,
    pub(super) confirm: Option<String>,
    pub(super) danger: bool,
}

/// A link of the workspace's section menu.
#[derive(Serialize)]
pub(super) struct SectionLink {
    pub(super) label: &'static str,
    pub(super) href: String,
    pub(super) current: bool,
    /// How many rows the section holds, shown beside its name.
    pub(super) count: Option<u64>,
}

/// The coordinator's cohort workspace: what every section shows (the cohort, its menu) and
/// what only its own section loads (the roster, the calendar, the certificates, the form).
#[derive(Serialize)]
pub(crate) struct DetailView {
    #[serde(flatten)]
    pub(super) form: Option<FormView>,
    pub cohort: domain::cohorts::CohortView,
    pub(super) sections: Vec<SectionLink>,
    pub(super) status_label: &'static str,
    pub(super) modality_label: &'static str,
    pub(super) places: Vec<String>,
    pub(super) instructor_names: Vec<String>,
    pub(super) calendar: Vec<CalendarMonth>,
    pub(super) session_count: usize,
    pub(super) certificate_count: u64,
    pub(super) transitions: Vec<Transition>,
    pub(super) editable: bool,
    pub(super) venue: String,
    /// The cohort's virtual-classroom links a session may open (sessions; issue 65).
    pub(super) virtual_links: Vec<domain::cohorts::sessions::LinkOption>,
    /// The sessions page's «Aula virtual» panel (links, tools, launches; issue 65).
    pub(super) virtual_classroom: Option<crate::virtual_classroom::pages::ClassroomPanel>,
    pub(super) roster: Vec<domain::enrolment::RosterRow>,
    /// The people of other departments, as a count (a territorial direction's coordinator).
    pub(super) hidden_note: Option<String>,
    pub(super) document_types: [&'static str; 4],
    pub(super) takes_enrolments: bool,
    /// The outcome of a spreadsheet upload, shown at the top of the enrolments (`None`
    /// otherwise).
    pub import: Option<super::enrolment_import::ImportOutcome>,
    pub(super) closed: bool,
    /// Closed and no certificate issued from it yet: its coordinator may reopen it.
    pub(super) reopenable: bool,
    pub(super) certificates: Vec<domain::workspace::CertificateRow>,
    /// Once closed: what its participants thought (the satisfaction report's line).
    pub(super) satisfaction: Option<crate::surveys::pages::Line>,
    /// Seats per municipality and the nominations to decide (issue 35).
    pub(super) quota_board: Vec<domain::nominations::QuotaRow>,
    pub(super) nominations: Vec<domain::nominations::NominationView>,
    /// The people named and not reached, as typed, with their counts (issue 46).
    pub(super) invitations: Vec<domain::enrolment::invitations::InvitationRow>,
    pub(super) invitation_counts: domain::enrolment::invitations::InvitationCounts,
    /// «Inscribir a una persona» as typed when it came back refused.
    pub(super) enrol_form: EnrolValues,
    /// The overlap warnings as the page shows them.
    pub(super) warnings: Vec<WarningLine>,
    /// The costs section's items, totals and form (issue 47).
    pub(super) costs: Option<crate::costs::pages::CostsPanel>,
}

/// An overlap warning: the other cohort (linked when the reader may open its page; another
/// provider's draft is named only) and what they share.
#[derive(Serialize)]
pub(super) struct WarningLine {
    pub(super) url: Option<String>,
    /// Not published yet (a draft).
    pub(super) draft: bool,
    pub(super) cohort_name: String,
    pub(super) message: String,
}

pub(crate) async fn detail_view(
    db: &DatabaseConnection,
    user: &domain::accounts::actor::Actor,
    warnings: &domain::cohorts::overlap::KeptWarnings,
    id: i32,
    section: Section,
    form: Option<&CohortForm>,
    errors: &[FieldError],
) -> AppResult<DetailView> {
    let domain::workspace::Workspace {
        cohort: view,
        sessions,
        certificate_count,
        places,
        instructor_names,
        roster,
        hidden_note,
        certificates,
        quota_board,
        nominations,
        invitations,
        warning_pages,
    } = domain::workspace::read(db, user, id, section.part(), warnings).await?;
    // Each warning links to the other cohort's page when the reader may open it (issue 45).
    let warnings = view
        .warnings
        .iter()
        .map(|w| WarningLine {
            url: warning_pages
                .contains(&w.cohort_id)
                .then(|| format!("/cohortes/{}", w.cohort_id)),
            draft: w.status == CohortStatus::Draft,
            cohort_name: w.cohort_name.clone(),
            message: w.message.clone(),
        })
        .collect();
    let editable = !view.status.is_final();
    let sections = Section::ALL
        .into_iter()
        .filter(|s| *s != Section::Edit || editable)
        .map(|s| SectionLink {
            label: s.label(),
            href: s.path(id),
            current: s == section,
            count: match s {
                Section::Enrolments => Some(view.enrolled + view.waitlisted),
                Section::Sessions => Some(sessions.len() as u64),
                Section::Certificates => Some(certificate_count),
                _ => None,
            },
        })
        .collect();
    let overview = section == Section::Overview;
    let transitions = [
        CohortStatus::Open,
        CohortStatus::InProgress,
        CohortStatus::Closed,
        CohortStatus::Cancelled,
    ]
    .into_iter()
    .filter(|to| overview && transition_allowed(view.status, *to))
    .map(|to| Transition {
        value: to.as_str(),
        label: match to {
            CohortStatus::Open => "Abrir inscripciones",
            CohortStatus::InProgress => "Iniciar la cohorte",
            CohortStatus::Closed => "Cerrar la cohorte",
            _ => "Cancelar la cohorte",
        },
        confirm: match to {
            CohortStatus::Closed => Some(format!("/coordinacion/cohortes/{id}/cerrar")),
            CohortStatus::Cancelled => Some(format!("/coordinacion/cohortes/{id}/cancelar")),
            _ => None,
        },
        danger: to == CohortStatus::Cancelled,
    })
    .collect();
    let form = if section == Section::Edit {
        let form = form.cloned().unwrap_or_else(|| form_from_view(&view));
        Some(form_view(db, user, &form, errors, Some(&view)).await?)
    } else {
        None
    };
    let satisfaction = if overview && view.status == CohortStatus::Closed {
        crate::surveys::pages::line(
            db,
            None,
            user,
            &domain::surveys::reports::SatisfactionQuery {
                cohort: Some(id),
                ..Default::default()
            },
            format!("/reportes/satisfaccion?cohorte={id}"),
        )
        .await?
    } else {
        None
    };
    let virtual_links = if section == Section::Sessions && editable {
        sessions::links(db, id).await?
    } else {
        Vec::new()
    };
    let virtual_classroom = if section == Section::Sessions && editable {
        Some(crate::virtual_classroom::pages::panel(db, id).await?)
    } else {
        None
    };
    let costs = if section == Section::Costs {
        let target = domain::costs::items::Target::Cohort(
            domain::cohorts::find_managed(db, user, id).await?,
        );
        Some(crate::costs::pages::panel(db, &target, true).await?)
    } else {
        None
    };
    Ok(DetailView {
        costs,
        warnings,
        form,
        sections,
        status_label: view.status.label(),
        modality_label: view.modality.label(),
        places,
        instructor_names,
        calendar: if section == Section::Sessions {
            calendar(&sessions)
        } else {
            Vec::new()
        },
        session_count: sessions.len(),
        certificate_count,
        transitions,
        editable,
        venue: view.venue.clone().unwrap_or_default(),
        virtual_links,
        virtual_classroom,
        roster,
        hidden_note,
        document_types: ["CC", "CE", "PA", "PPT"],
        takes_enrolments: view.status == CohortStatus::Open,
        import: None,
        closed: view.status == CohortStatus::Closed,
        reopenable: overview && view.status == CohortStatus::Closed && certificate_count == 0,
        certificates,
        satisfaction,
        quota_board,
        nominations,
        invitation_counts: domain::enrolment::invitations::InvitationCounts::of(&invitations),
        invitations,
        enrol_form: EnrolValues::default(),
        cohort: view,
    })
}

/// Renders a section of the workspace: the cohort's name as the title of its overview,
/// «Sección · cohorte» for the others.
pub(crate) fn render_section(page: &Page<'_>, section: Section, view: DetailView) -> PageResult {
    let title = section_title(section, &view);
    page.render(section.template(), &title, view)
}

fn section_title(section: Section, view: &DetailView) -> String {
    match section {
        Section::Overview => view.cohort.name.clone(),
        other => format!("{} · {}", other.label(), view.cohort.name),
    }
}

pub(super) async fn section_page(
    db: &DatabaseConnection,
    staff: &StaffUser,
    page: &Page<'_>,
    id: i32,
    section: Section,
) -> PageResult {
    // The domain's read answers 404 unless the coordinator manages the cohort; a cohort of
    // another provider that the coordinator reads in the offer opens read-only (issue 45).
    match detail_view(db, staff, page.kept_warnings(), id, section, None, &[]).await {
        Ok(view) => render_section(page, section, view),
        Err(crate::error::WebError(AppError::NotFound)) if section == Section::Overview => {
            crate::cohorts::public::managed_elsewhere(db, page, id).await
        }
        Err(other) => Err(other.into()),
    }
}

#[get("/coordinacion/cohortes/<id>")]
pub(super) async fn detail_page(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    page: Page<'_>,
    id: i32,
) -> PageResult {
    section_page(db, &staff, &page, id, Section::Overview).await
}

/// «Inscripciones», «Sesiones», «Certificados» or «Editar»; ranked after the cohort's other
/// pages (`…/cancelar`, `…/certificados.zip`…), any other last segment is a 404.
#[get("/coordinacion/cohortes/<id>/<section>", rank = 2)]
pub(super) async fn section_route(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    page: Page<'_>,
    id: i32,
    section: &str,
) -> PageResult {
    let section = Section::of_slug(section).ok_or(AppError::NotFound)?;
    section_page(db, &staff, &page, id, section).await
}

/// A section of the workspace again for a form sent from it and refused (issue 45): the
/// cohort's form as typed (the edit section), the problems summarised at the top and beside
/// their fields, 422 when answered through [`crate::web::form::saved_or_again`].
pub(crate) async fn section_again(
    db: &DatabaseConnection,
    page: &Page<'_>,
    id: i32,
    section: Section,
    typed: Typed<'_>,
    errors: &[FieldError],
) -> PageResult {
    let user = page.require_user()?;
    let mut view = detail_view(
        db,
        user,
        page.kept_warnings(),
        id,
        section,
        typed.cohort,
        errors,
    )
    .await?;
    if let Some(enrol) = typed.enrol {
        view.enrol_form = enrol;
    }
    let title = section_title(section, &view);
    let (prefix, values) = typed.values.unwrap_or(("", serde_json::Value::Null));
    let errors = crate::web::form::scoped(prefix, errors.to_vec());
    page.render_refused_typed(section.template(), &title, view, &errors, prefix, &values)
}

/// What a refused form of the workspace had typed.
#[derive(Default)]
pub(crate) struct Typed<'a> {
    /// The cohort's own form (the edit section).
    pub cohort: Option<&'a CohortForm>,
    pub enrol: Option<EnrolValues>,
    /// Any other form of the section: its prefix on the page (`sesion`) and its values.
    pub values: Option<(&'a str, serde_json::Value)>,
}

impl<'a> Typed<'a> {
    /// A form of the section whose fields are `prefix.name` on the page.
    pub(crate) fn form(prefix: &'a str, form: &impl Serialize) -> Self {
        Typed {
            values: Some((prefix, serde_json::to_value(form).unwrap_or_default())),
            ..Typed::default()
        }
    }
}

/// The «Inscribir a una persona» form of the enrolments section as typed.
#[derive(Serialize, Default)]
pub(crate) struct EnrolValues {
    pub document_type: String,
    pub document_number: String,
    pub override_eligibility: bool,
    pub override_reason: String,
}

/// How the workspace answers a change made in `section`: to `done`'s page with `success`'s
/// message; refused (invalid input or the cohort's state) on the section's page itself with
/// the form as typed; anything else as the error page.
pub(super) async fn answer<T>(
    db: &DatabaseConnection,
    page: &Page<'_>,
    id: i32,
    (section, done): (Section, Section),
    result: Result<T, AppError>,
    typed: Typed<'_>,
    success: impl FnOnce(T) -> String,
) -> PageResult<Flash<Redirect>> {
    crate::web::form::saved_or_again(
        result,
        |value| Flash::success(Redirect::to(done.path(id)), success(value)),
        async |errors| section_again(db, page, id, section, typed, &errors).await,
    )
    .await
}

#[post("/coordinacion/cohortes/<id>", data = "<form>")]
pub(super) async fn update_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    staff: StaffUser,
    page: Page<'_>,
    id: i32,
    form: CsrfForm<CohortForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let result = async {
        let input = form.input(db, &staff, Some(id)).await?;
        domain::db::write(db, async |txn| {
            domain::cohort_flow::update(txn, &notifier, &staff, id, &input).await
        })
        .await
    }
    .await;
    answer(
        db,
        &page,
        id,
        (Section::Edit, Section::Overview),
        result,
        Typed {
            cohort: Some(&form),
            ..Typed::default()
        },
        |view| format!("Cohorte «{}» guardada.", view.name),
    )
    .await
}

#[derive(FromForm, Serialize)]
pub(super) struct StatusForm {
    #[field(default = String::new())]
    #[serde(skip)]
    pub(super) csrf_token: String,
    #[field(default = String::new())]
    pub(super) status: String,
    #[field(default = String::new())]
    pub(super) reason: String,
    /// Sent by the confirmation page: closing and cancelling act only with it.
    #[field(default = false)]
    pub(super) confirmed: bool,
}
csrf_protected!(StatusForm);

#[post("/coordinacion/cohortes/<id>/estado", data = "<form>")]
pub(super) async fn status_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    staff: StaffUser,
    page: Page<'_>,
    id: i32,
    form: CsrfForm<StatusForm>,
) -> PageResult<Either<Flash<Redirect>, RawHtml<String>>> {
    let form = form.0;
    // Closing and cancelling say what they will do first: without the confirmation, the
    // confirmation page, and nothing changes.
    if !form.confirmed {
        match CohortStatus::parse(form.status.trim()) {
            Some(CohortStatus::Closed) => {
                return Ok(Either::Right(
                    close_confirmation(db, &staff, &page, id).await?,
                ));
            }
            Some(CohortStatus::Cancelled) => {
                return Ok(Either::Right(
                    cancel_confirmation(db, &staff, &page, id, &form.reason).await?,
                ));
            }
            _ => {}
        }
    }
    let input = CohortInput {
        status: Some(form.status.clone()),
        cancellation_reason: Some(form.reason.clone()),
        ..Default::default()
    };
    let result = domain::db::write(db, async |txn| {
        domain::cohort_flow::update(txn, &notifier, &staff, id, &input).await
    })
    .await;
    answer(
        db,
        &page,
        id,
        (Section::Overview, Section::Overview),
        result,
        Typed::form("estado", &form),
        |view| format!("La cohorte quedó en estado «{}».", view.status.label()),
    )
    .await
    .map(Either::Left)
}

/// What closing the cohort will do, with its facts (domain::cohorts::closing::facts): the
/// sessions still ahead, the assessments without scores, who will be recorded as not
/// completing. Refused (no button) when closing would be.
async fn close_confirmation(
    db: &DatabaseConnection,
    staff: &StaffUser,
    page: &Page<'_>,
    id: i32,
) -> PageResult {
    let cohort = domain::cohorts::find_managed(db, staff, id).await?;
    let facts = domain::cohorts::closing::facts(db, staff, id).await?;
    let mut confirmation = Confirmation::new(
        format!("¿Cerrar la cohorte «{}»?", cohort.name),
        format!("/coordinacion/cohortes/{id}/estado"),
        "Sí, cerrar la cohorte",
        Section::Overview.path(id),
    )
    .hidden("status", CohortStatus::Closed.as_str())
    .refused(facts.refused.clone());
    if !facts.sessions_ahead.is_empty() {
        confirmation = confirmation.list(
            match facts.sessions_ahead.len() {
                1 => "Queda 1 sesión por realizar: se cuenta como no asistida.".to_string(),
                n => format!("Quedan {n} sesiones por realizar: se cuentan como no asistidas."),
            },
            facts
                .sessions_ahead
                .iter()
                .map(|s| format!("{} · {}", domain::format::date_time(s.starts_at), s.topic))
                .collect(),
        );
    }
    if !facts.unscored.is_empty() {
        confirmation = confirmation.list(
            "Hay evaluaciones sin calificar: a quien le falte una nota no aprueba.",
            facts
                .unscored
                .iter()
                .map(|u| match u.missing {
                    1 => format!("«{}»: falta la nota de 1 persona", u.name),
                    n => format!(
                        "«{}»: falta la nota de {} personas",
                        u.name,
                        domain::format::thousands(n as i64)
                    ),
                })
                .collect(),
        );
    }
    let not_completing = facts.not_completing.len() as u64 + facts.not_completing_hidden;
    if not_completing > 0 {
        let mut names: Vec<String> = facts
            .not_completing
            .iter()
            .map(|p| format!("{}: {}", p.full_name, p.reasons.join("; ")))
            .collect();
        match facts.not_completing_hidden {
            0 => {}
            1 => names.push("y 1 persona de otro departamento".into()),
            n => names.push(format!(
                "y {} personas de otros departamentos",
                domain::format::thousands(n as i64)
            )),
        }
        confirmation = confirmation.list(
            match not_completing {
                1 => "1 persona quedará registrada como «No aprobado»:".to_string(),
                n => format!(
                    "{} personas quedarán registradas como «No aprobado»:",
                    domain::format::thousands(n as i64)
                ),
            },
            names,
        );
    }
    confirmation = confirmation.fact(match facts.completing {
        0 => "Nadie queda registrado como «Aprobado».".to_string(),
        1 => {
            "1 persona queda registrada como «Aprobado» y podrá recibir su certificado.".to_string()
        }
        n => format!(
            "{} personas quedan registradas como «Aprobado» y podrán recibir su certificado.",
            domain::format::thousands(n as i64)
        ),
    });
    confirmation
        .fact(
            "Los resultados quedan fijos, no se registra más asistencia ni notas, cada persona \
             recibe la encuesta de satisfacción y las demandas que atiende se dan por atendidas \
             donde alguien aprobó.",
        )
        .fact("Mientras no se expida ningún certificado, la coordinación puede reabrirla.")
        .render(page, "Cerrar la cohorte")
}

#[get("/coordinacion/cohortes/<id>/cerrar")]
pub(super) async fn close_confirm(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    page: Page<'_>,
    id: i32,
) -> PageResult {
    close_confirmation(db, &staff, &page, id).await
}

/// What cancelling the cohort will do: every enrolment cancelled, each person emailed the
/// reason (asked here).
async fn cancel_confirmation(
    db: &DatabaseConnection,
    staff: &StaffUser,
    page: &Page<'_>,
    id: i32,
    typed_reason: &str,
) -> PageResult {
    let cohort = domain::cohorts::find_managed(db, staff, id).await?;
    let view = domain::cohorts::view(db, id).await?;
    let people = view.enrolled + view.waitlisted;
    Confirmation::new(
        format!("¿Cancelar la cohorte «{}»?", cohort.name),
        format!("/coordinacion/cohortes/{id}/estado"),
        "Sí, cancelar la cohorte",
        Section::Overview.path(id),
    )
    .hidden("status", CohortStatus::Cancelled.as_str())
    .reason(
        "Motivo de la cancelación (lo reciben las personas inscritas)",
        true,
        typed_reason,
    )
    .fact(match people {
        0 => "No hay personas inscritas ni en lista de espera.".to_string(),
        1 => "Se cancela la inscripción de 1 persona, que recibe un correo con el motivo."
            .to_string(),
        n => format!(
            "Se cancelan las inscripciones de {} personas ({} inscritas y {} en lista de \
             espera) y cada una recibe un correo con el motivo.",
            domain::format::thousands(n as i64),
            domain::format::thousands(view.enrolled as i64),
            domain::format::thousands(view.waitlisted as i64)
        ),
    })
    .fact("Las demandas que atiende vuelven a quedar abiertas.")
    .fact("No se puede deshacer.")
    .render(page, "Cancelar la cohorte")
}

#[get("/coordinacion/cohortes/<id>/cancelar")]
pub(super) async fn cancel_confirm(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    page: Page<'_>,
    id: i32,
) -> PageResult {
    cancel_confirmation(db, &staff, &page, id, "").await
}

/// What reopening a closed cohort will do (while no certificate has been issued from it).
async fn reopen_confirmation(
    db: &DatabaseConnection,
    staff: &StaffUser,
    page: &Page<'_>,
    id: i32,
) -> PageResult {
    let cohort = domain::cohorts::find_managed(db, staff, id).await?;
    let refused = domain::cohorts::closing::check_reopenable(db, &cohort)
        .await
        .err()
        .map(|e| e.to_string());
    Confirmation::new(
        format!("¿Reabrir la cohorte «{}»?", cohort.name),
        format!("/coordinacion/cohortes/{id}/reabrir"),
        "Sí, reabrir la cohorte",
        Section::Overview.path(id),
    )
    .refused(refused)
    .restoring()
    .fact(
        "Vuelve a quedar «En curso»: sus resultados dejan de ser definitivos y cada persona \
         vuelve a figurar como inscrita, con la asistencia y las notas registradas.",
    )
    .fact(
        "Las demandas que su cierre dio por atendidas (o devolvió por no haber aprobado nadie \
         de su municipio) vuelven a quedar planeadas con esta cohorte.",
    )
    .fact("No se expiden certificados hasta que se cierre de nuevo. Queda registrado en la auditoría.")
    .render(page, "Reabrir la cohorte")
}

#[get("/coordinacion/cohortes/<id>/reabrir")]
pub(super) async fn reopen_confirm(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    page: Page<'_>,
    id: i32,
) -> PageResult {
    reopen_confirmation(db, &staff, &page, id).await
}

#[derive(FromForm)]
pub(super) struct ConfirmedForm {
    #[field(default = String::new())]
    pub(super) csrf_token: String,
    #[field(default = false)]
    pub(super) confirmed: bool,
}
csrf_protected!(ConfirmedForm);

#[post("/coordinacion/cohortes/<id>/reabrir", data = "<form>")]
pub(super) async fn reopen_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    staff: StaffUser,
    page: Page<'_>,
    id: i32,
    form: CsrfForm<ConfirmedForm>,
) -> PageResult<Either<Flash<Redirect>, RawHtml<String>>> {
    if !form.0.confirmed {
        return Ok(Either::Right(
            reopen_confirmation(db, &staff, &page, id).await?,
        ));
    }
    let result = domain::db::write(db, async |txn| {
        domain::cohort_flow::reopen(txn, &notifier, &staff, id).await
    })
    .await;
    answer(
        db,
        &page,
        id,
        (Section::Overview, Section::Overview),
        result,
        Typed::default(),
        |view| format!("La cohorte «{}» quedó reabierta, en curso.", view.name),
    )
    .await
    .map(Either::Left)
}
