//! The alliances' pages (issue 48), usable on a phone: the list of the alliances the caller
//! reads, an alliance (facts, members, implementation plan, open agreements, tables, the
//! department's offer, overlaps and unanswered demand), its create and edit forms with the
//! members as rows, «Registrar mesa» with attendees and agreements as rows, and an agreement's
//! follow-up.

use crate::accounts::guards::{CurrentUser, ReportReader};
use crate::error::AppResult;
use crate::web::csrf::{CsrfForm, csrf_protected};
use crate::web::rows::{Numbered, filled, index, numbered, row_problem};
use crate::web::{Page, PageResult};
use domain::alliances::meetings::{
    self, AgreementInput, AgreementPatch, AttendeeInput, MeetingInput, MeetingView, OpenAgreement,
};
use domain::alliances::{self, AllianceInput, AllianceView, MemberInput};
use domain::entities::values::AllianceMemberKind;
use domain::error::{AppError, FieldError};
use rocket::Either;
use rocket::form::FromForm;
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::{DatabaseConnection, Iterable};
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![
        list_page,
        new_page,
        create_submit,
        alliance_page,
        edit_page,
        edit_submit,
        meeting_submit,
        agreement_submit
    ]
}

#[derive(Serialize)]
struct ListView {
    alliances: Vec<AllianceView>,
    /// The caller may register an alliance (an admin, a gobernación).
    may_create: bool,
}

/// The alliances the caller reads.
#[get("/alianzas")]
async fn list_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: ReportReader,
) -> PageResult {
    let view = ListView {
        alliances: alliances::list(db.inner(), &user, None).await?,
        may_create: may_create(db.inner(), &user).await?,
    };
    page.render("alliances", "Alianzas y mesas departamentales", view)
}

async fn may_create(db: &DatabaseConnection, user: &CurrentUser) -> AppResult<bool> {
    Ok(alliances::keepable_departments(db, user)
        .await?
        .is_none_or(|codes| !codes.is_empty()))
}

/// A member's row of the alliance form: a provider of the product, or an organisation's name and
/// kind.
#[derive(FromForm, Serialize, Clone, Default)]
struct MemberRow {
    #[field(default = String::new())]
    provider_id: String,
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    kind: String,
}

/// The alliance form (new or edit), as typed.
#[derive(FromForm, Serialize, Clone, Default)]
struct AllianceForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = String::new())]
    department_code: String,
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    lead_provider_id: String,
    #[field(default = String::new())]
    launched_on: String,
    #[field(default = String::new())]
    renewed_on: String,
    #[field(default = String::new())]
    implementation_plan: String,
    #[field(default = Vec::new())]
    #[serde(skip)]
    members: Vec<MemberRow>,
    #[field(default = String::new())]
    #[serde(skip)]
    more: String,
}
csrf_protected!(AllianceForm);

/// Empty member rows of a new alliance.
const MEMBER_ROWS: usize = 4;

impl AllianceForm {
    fn of(alliance: &AllianceView) -> Self {
        AllianceForm {
            department_code: alliance.department_code.clone(),
            name: alliance.name.clone(),
            lead_provider_id: alliance
                .lead_provider
                .as_ref()
                .map(|p| p.id.to_string())
                .unwrap_or_default(),
            launched_on: alliance.launched_on.to_string(),
            renewed_on: alliance
                .renewed_on
                .map(|d| d.to_string())
                .unwrap_or_default(),
            implementation_plan: alliance.implementation_plan.clone(),
            members: alliance
                .members
                .iter()
                .map(|m| MemberRow {
                    provider_id: m.provider_id.map(|id| id.to_string()).unwrap_or_default(),
                    name: if m.provider_id.is_some() {
                        String::new()
                    } else {
                        m.name.clone()
                    },
                    kind: m.kind.map(|k| k.as_str().to_string()).unwrap_or_default(),
                })
                .collect(),
            ..Default::default()
        }
    }

    /// The input, and the form index of each member row sent (blank rows are left out).
    fn input(&self) -> (AllianceInput, Vec<usize>) {
        let rows = filled(&self.members, |m| {
            m.provider_id.trim().is_empty() && m.name.trim().is_empty()
        });
        let input = AllianceInput {
            department_code: Some(self.department_code.clone()),
            name: Some(self.name.clone()),
            // A number that is not one names nobody: refused as an unknown one.
            lead_provider_id: match self.lead_provider_id.trim() {
                "" => None,
                text => Some(text.parse().unwrap_or(0)),
            },
            launched_on: Some(self.launched_on.clone()),
            renewed_on: Some(self.renewed_on.clone()),
            implementation_plan: Some(self.implementation_plan.clone()),
            members: Some(
                rows.iter()
                    .map(|(_, m)| match m.provider_id.trim() {
                        "" => MemberInput {
                            provider_id: None,
                            name: Some(m.name.clone()),
                            kind: Some(m.kind.clone()),
                        },
                        // A provider chosen: the organisation's fields are not its.
                        text => MemberInput {
                            provider_id: Some(text.parse().unwrap_or(0)),
                            name: None,
                            kind: None,
                        },
                    })
                    .collect(),
            ),
        };
        (input, index(&rows))
    }
}

#[derive(Serialize)]
struct Opt {
    value: String,
    label: String,
}

/// The alliance form's page.
#[derive(Serialize)]
struct FormView {
    /// Editing an alliance (its id), or registering one.
    alliance_id: Option<i32>,
    form: AllianceForm,
    rows: Vec<Numbered<MemberRow>>,
    /// The departments the caller may choose (none when editing: it does not change).
    departments: Vec<Opt>,
    department_name: String,
    providers: Vec<Opt>,
    kinds: Vec<Opt>,
}

async fn form_view(
    db: &DatabaseConnection,
    user: &CurrentUser,
    alliance_id: Option<i32>,
    form: AllianceForm,
) -> AppResult<FormView> {
    let all = domain::territory::departments(db).await?;
    let department_name = all
        .iter()
        .find(|d| d.code == form.department_code)
        .map(|d| d.name.clone())
        .unwrap_or_default();
    let departments = match (
        alliance_id,
        alliances::keepable_departments(db, user).await?,
    ) {
        (Some(_), _) => Vec::new(),
        (None, None) => all
            .iter()
            .map(|d| Opt {
                value: d.code.clone(),
                label: d.name.clone(),
            })
            .collect(),
        (None, Some(codes)) => all
            .iter()
            .filter(|d| codes.contains(&d.code))
            .map(|d| Opt {
                value: d.code.clone(),
                label: d.name.clone(),
            })
            .collect(),
    };
    let providers = domain::providers::list(db)
        .await?
        .into_iter()
        .filter(|p| p.active)
        .map(|p| Opt {
            value: p.id.to_string(),
            label: p.name,
        })
        .collect();
    let kinds = AllianceMemberKind::iter()
        .map(|k| Opt {
            value: k.as_str().to_string(),
            label: k.label().to_string(),
        })
        .collect();
    let extra = form.more == "members";
    Ok(FormView {
        alliance_id,
        rows: numbered(&form.members, MEMBER_ROWS, extra),
        form,
        departments,
        department_name,
        providers,
        kinds,
    })
}

/// «Registrar una alianza»: an admin (any department) or a gobernación (its own).
#[get("/alianzas/nueva")]
async fn new_page(db: &State<DatabaseConnection>, page: Page<'_>, user: CurrentUser) -> PageResult {
    if !may_create(db.inner(), &user).await? {
        return Err(AppError::Forbidden.into());
    }
    let mut form = <AllianceForm as Default>::default();
    if let Some(Some(code)) = alliances::keepable_departments(db.inner(), &user)
        .await?
        .map(|codes| codes.first().cloned())
    {
        form.department_code = code;
    }
    let view = form_view(db.inner(), &user, None, form).await?;
    page.render("alliance_form", "Registrar una alianza", view)
}

#[post("/alianzas", data = "<form>")]
async fn create_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: CurrentUser,
    form: CsrfForm<AllianceForm>,
) -> PageResult<Either<Flash<Redirect>, RawHtml<String>>> {
    let form = form.0;
    let title = "Registrar una alianza";
    if !form.more.is_empty() {
        let view = form_view(db.inner(), &user, None, form).await?;
        return page.render("alliance_form", title, view).map(Either::Right);
    }
    let (input, sent) = form.input();
    let result =
        domain::db::write(db, async |txn| alliances::create(txn, &user, &input).await).await;
    crate::web::form::saved_or_again(
        result,
        |view| {
            Flash::success(
                Redirect::to(format!("/alianzas/{}", view.id)),
                "Alianza registrada.",
            )
        },
        async |errors| {
            let errors = member_problems(errors, &sent);
            let view = form_view(db.inner(), &user, None, form).await?;
            page.render_refused("alliance_form", title, view, &errors)
        },
    )
    .await
    .map(Either::Left)
}

/// The domain's `members[1].name` as the page names it: `members-3`, the row group that held
/// the second member sent.
fn member_problems(errors: Vec<FieldError>, sent: &[usize]) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|e| row_problem(e, &[("members", sent)]))
        .collect()
}

/// An attendee's row of «Registrar mesa».
#[derive(FromForm, Serialize, Clone, Default)]
struct AttendeeRow {
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    organisation: String,
}

/// An agreement's row of «Registrar mesa».
#[derive(FromForm, Serialize, Clone, Default)]
struct AgreementRow {
    #[field(default = String::new())]
    text: String,
    #[field(default = String::new())]
    owner: String,
    #[field(default = String::new())]
    due_on: String,
}

/// «Registrar mesa»: its fields, and attendees and agreements as groups of rows.
#[derive(FromForm, Serialize)]
struct MeetingForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = String::new())]
    date: String,
    #[field(default = String::new())]
    modality: String,
    #[field(default = String::new())]
    place: String,
    #[field(default = String::new())]
    agenda: String,
    #[field(default = Vec::new())]
    #[serde(skip)]
    attendees: Vec<AttendeeRow>,
    #[field(default = Vec::new())]
    #[serde(skip)]
    agreements: Vec<AgreementRow>,
    #[field(default = String::new())]
    #[serde(skip)]
    more: String,
}
csrf_protected!(MeetingForm);

/// Empty row groups of a new table: attendees, agreements.
const MEETING_ROWS: (usize, usize) = (3, 2);

#[derive(Serialize)]
struct MeetingRows {
    attendees: Vec<Numbered<AttendeeRow>>,
    agreements: Vec<Numbered<AgreementRow>>,
}

impl MeetingRows {
    fn of(attendees: &[AttendeeRow], agreements: &[AgreementRow], more: &str) -> Self {
        MeetingRows {
            attendees: numbered(attendees, MEETING_ROWS.0, more == "attendees"),
            agreements: numbered(agreements, MEETING_ROWS.1, more == "agreements"),
        }
    }
}

impl MeetingForm {
    fn rows(&self) -> MeetingRows {
        MeetingRows::of(&self.attendees, &self.agreements, &self.more)
    }

    fn input(&self) -> (MeetingInput, [Vec<usize>; 2]) {
        let attendees = filled(&self.attendees, |a| {
            a.name.trim().is_empty() && a.organisation.trim().is_empty()
        });
        let agreements = filled(&self.agreements, |a| {
            a.text.trim().is_empty() && a.owner.trim().is_empty() && a.due_on.trim().is_empty()
        });
        let input = MeetingInput {
            date: Some(self.date.clone()),
            modality: Some(self.modality.clone()),
            place: Some(self.place.clone()),
            agenda: Some(self.agenda.clone()),
            attendees: Some(
                attendees
                    .iter()
                    .map(|(_, a)| AttendeeInput {
                        name: Some(a.name.clone()),
                        organisation: Some(a.organisation.clone()),
                    })
                    .collect(),
            ),
            agreements: Some(
                agreements
                    .iter()
                    .map(|(_, a)| AgreementInput {
                        text: Some(a.text.clone()),
                        owner: Some(a.owner.clone()),
                        due_on: Some(a.due_on.clone()),
                    })
                    .collect(),
            ),
        };
        (input, [index(&attendees), index(&agreements)])
    }
}

/// An alliance's page.
#[derive(Serialize)]
struct AlliancePage {
    alliance: AllianceView,
    meetings: Vec<MeetingView>,
    open_agreements: Vec<OpenAgreement>,
    /// The caller keeps the alliance (edits it).
    keeps: bool,
    /// The caller records its tables and follows their agreements.
    records: bool,
    meeting_rows: MeetingRows,
}

async fn alliance_view(
    db: &DatabaseConnection,
    user: &CurrentUser,
    id: i32,
) -> AppResult<(String, AlliancePage)> {
    let alliance = alliances::get(db, user, id).await?;
    let row = alliances::find_visible(db, user, id).await?;
    let meetings = meetings::list(db, user, id).await?;
    let view = AlliancePage {
        keeps: alliances::keeps(db, user, &alliance.department_code).await?,
        records: alliances::records_meetings(db, user, &row).await?,
        open_agreements: meetings::open_agreements(&meetings),
        meetings,
        meeting_rows: MeetingRows::of(&[], &[], ""),
        alliance,
    };
    Ok((view.alliance.name.clone(), view))
}

#[get("/alianzas/<id>")]
async fn alliance_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: CurrentUser,
    id: i32,
) -> PageResult {
    let (title, view) = alliance_view(db.inner(), &user, id).await?;
    page.render("alliance", &title, view)
}

/// The alliance `id` as its edit form starts: 404 when the caller does not read it, 403 when it
/// reads it only.
async fn kept_by(db: &DatabaseConnection, user: &CurrentUser, id: i32) -> AppResult<AllianceView> {
    let alliance = alliances::get(db, user, id).await?;
    if !alliances::keeps(db, user, &alliance.department_code).await? {
        return Err(AppError::Forbidden.into());
    }
    Ok(alliance)
}

#[get("/alianzas/<id>/editar")]
async fn edit_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: CurrentUser,
    id: i32,
) -> PageResult {
    let alliance = kept_by(db.inner(), &user, id).await?;
    let view = form_view(db.inner(), &user, Some(id), AllianceForm::of(&alliance)).await?;
    page.render("alliance_form", &format!("Cambiar {}", alliance.name), view)
}

#[post("/alianzas/<id>", data = "<form>")]
async fn edit_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: CurrentUser,
    id: i32,
    form: CsrfForm<AllianceForm>,
) -> PageResult<Either<Flash<Redirect>, RawHtml<String>>> {
    let mut form = form.0;
    let alliance = kept_by(db.inner(), &user, id).await?;
    // The department does not change: the form carries the alliance's own.
    form.department_code = alliance.department_code.clone();
    let title = format!("Cambiar {}", alliance.name);
    if !form.more.is_empty() {
        let view = form_view(db.inner(), &user, Some(id), form).await?;
        return page
            .render("alliance_form", &title, view)
            .map(Either::Right);
    }
    let (input, sent) = form.input();
    let result = domain::db::write(db, async |txn| {
        alliances::update(txn, &user, id, &input).await
    })
    .await;
    crate::web::form::saved_or_again(
        result,
        |_| {
            Flash::success(
                Redirect::to(format!("/alianzas/{id}")),
                "Alianza actualizada.",
            )
        },
        async |errors| {
            let errors = member_problems(errors, &sent);
            let view = form_view(db.inner(), &user, Some(id), form).await?;
            page.render_refused("alliance_form", &title, view, &errors)
        },
    )
    .await
    .map(Either::Left)
}

#[post("/alianzas/<id>/mesas", data = "<form>")]
async fn meeting_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: CurrentUser,
    id: i32,
    form: CsrfForm<MeetingForm>,
) -> PageResult<Either<Flash<Redirect>, RawHtml<String>>> {
    let form = form.0;
    // «Agregar otra fila»: the form again as typed, with one more row; nothing is saved.
    if !form.more.is_empty() {
        let (title, mut view) = alliance_view(db.inner(), &user, id).await?;
        if !view.records {
            return Err(AppError::Forbidden.into());
        }
        view.meeting_rows = form.rows();
        return page
            .render_refused_typed("alliance", &title, view, &[], "mesa", &form)
            .map(Either::Right);
    }
    let (input, sent) = form.input();
    let result = domain::db::write(db, async |txn| {
        meetings::record(txn, &user, id, &input).await
    })
    .await;
    crate::web::form::saved_or_again(
        result,
        |_| Flash::success(Redirect::to(format!("/alianzas/{id}")), "Mesa registrada."),
        async |errors| {
            let (title, mut view) = alliance_view(db.inner(), &user, id).await?;
            view.meeting_rows = form.rows();
            let lists = [("attendees", &sent[0][..]), ("agreements", &sent[1][..])];
            let errors: Vec<FieldError> =
                errors.into_iter().map(|e| row_problem(e, &lists)).collect();
            let errors = crate::web::form::scoped("mesa", errors);
            page.render_refused_typed("alliance", &title, view, &errors, "mesa", &form)
        },
    )
    .await
    .map(Either::Left)
}

#[derive(FromForm, Serialize)]
struct FollowUpForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = String::new())]
    status: String,
    #[field(default = String::new())]
    done_on: String,
    #[field(default = String::new())]
    note: String,
}
csrf_protected!(FollowUpForm);

/// An agreement marked done (or open again) from its alliance's page: a simple change of state,
/// undone the same way, so a plain form.
#[post("/alianzas/<id>/acuerdos/<agreement>", data = "<form>")]
async fn agreement_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: CurrentUser,
    id: i32,
    agreement: i32,
    form: CsrfForm<FollowUpForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let (alliance_id, meeting_id) = meetings::place_of(db.inner(), &user, agreement).await?;
    if alliance_id != id {
        return Err(AppError::NotFound.into());
    }
    let input = AgreementPatch {
        status: Some(form.status.clone()),
        done_on: Some(form.done_on.clone()),
        note: Some(form.note.clone()),
    };
    let result = domain::db::write(db, async |txn| {
        meetings::change_agreement(txn, &user, id, meeting_id, agreement, &input).await
    })
    .await;
    let done = match form.status.as_str() {
        "done" => "Acuerdo marcado como cumplido.",
        _ => "El acuerdo vuelve a estar abierto.",
    };
    let prefix = format!("acuerdo-{agreement}");
    crate::web::form::saved_or_again(
        result,
        |_| Flash::success(Redirect::to(format!("/alianzas/{id}")), done),
        async |errors| {
            let (title, view) = alliance_view(db.inner(), &user, id).await?;
            let errors = crate::web::form::scoped(&prefix, errors);
            page.render_refused_typed("alliance", &title, view, &errors, &prefix, &form)
        },
    )
    .await
}
