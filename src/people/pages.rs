//! Pages: self-registration, "my profile" and the personal-data download.

use crate::accounts::guards::{self, ParticipantUser};
use crate::error::AppResult;
use crate::mail::Mailer;
use crate::web::PageResult;
use crate::web::csrf::{CsrfForm, PlainForm, csrf_protected};
use crate::web::{Choice, ClientAddress, DepartmentChoice, Failure, Page};
use domain::error::{AppError, FieldError};
use domain::people::profile::{self, ParticipantView};
use domain::people::registration::{self, ProfileInput, RegistrationInput};
use domain::people::{ENTITY_TYPES, ETHNIC_GROUPS, LEVELS, SEXES};
use domain::territory;
use rocket::form::FromForm;
use rocket::http::{ContentType, CookieJar, Header};
use rocket::response::{Flash, Redirect, Responder};
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![
        registration_page,
        registration_submit,
        confirmation_page,
        confirmation_submit,
        resend_page,
        resend_submit,
        profile_page,
        profile_submit,
        data_page,
        data_download,
        correction_page,
        correction_submit
    ]
}

/// The profile fields as an HTML form posts them.
#[derive(FromForm, Default, Clone)]
struct ProfileForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    document_type: String,
    #[field(default = String::new())]
    document_number: String,
    #[field(default = String::new())]
    first_names: String,
    #[field(default = String::new())]
    last_names: String,
    #[field(default = String::new())]
    email: String,
    #[field(default = String::new())]
    phone: String,
    #[field(default = String::new())]
    department_code: String,
    #[field(default = String::new())]
    municipality: String,
    #[field(default = String::new())]
    entity_type: String,
    #[field(default = String::new())]
    entity_name: String,
    #[field(default = String::new())]
    position: String,
    #[field(default = String::new())]
    level: String,
    #[field(default = String::new())]
    password: String,
    #[field(default = false)]
    data_consent: bool,
    #[field(default = false)]
    sensitive_data_consent: bool,
    #[field(default = String::new())]
    sex: String,
    #[field(default = String::new())]
    ethnic_group: String,
    /// "si", "no" or empty.
    #[field(default = String::new())]
    has_disability: String,
    #[field(default = String::new())]
    is_conflict_victim: String,
    /// Where to go after registering (e.g. back to the cohort being enrolled in).
    #[field(default = String::new())]
    siguiente: String,
    /// The token of the nomination link the registration started from (issue 46: confirming
    /// the account confirms that nomination when the document is the nominated one).
    #[field(default = String::new())]
    postulacion: String,
}

csrf_protected!(ProfileForm);

fn yes_no(text: &str) -> Option<bool> {
    match text {
        "si" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

fn some(text: &str) -> Option<String> {
    Some(text.to_string())
}

impl ProfileForm {
    /// Resolves the typed municipality and builds the shared input; a municipality that
    /// cannot be resolved becomes a field error.
    async fn to_input(
        &self,
        db: &DatabaseConnection,
    ) -> AppResult<(ProfileInput, Vec<FieldError>)> {
        let mut errors = Vec::new();
        let municipality_code =
            match territory::resolve_municipality(db, &self.department_code, &self.municipality)
                .await?
            {
                Ok(code) => Some(code),
                Err(message) => {
                    errors.push(FieldError::new("municipality", message));
                    None
                }
            };
        let input = ProfileInput {
            document_type: some(&self.document_type),
            document_number: some(&self.document_number),
            first_names: some(&self.first_names),
            last_names: some(&self.last_names),
            email: some(&self.email),
            phone: some(&self.phone),
            municipality_code,
            entity_type: some(&self.entity_type),
            entity_name: some(&self.entity_name),
            position: some(&self.position),
            level: some(&self.level),
            sensitive_data_consent: Some(self.sensitive_data_consent),
            sex: some(&self.sex).filter(|s| !s.is_empty()),
            ethnic_group: some(&self.ethnic_group).filter(|s| !s.is_empty()),
            has_disability: yes_no(&self.has_disability),
            is_conflict_victim: yes_no(&self.is_conflict_victim),
        };
        Ok((input, errors))
    }

    fn from_view(view: &ParticipantView) -> Self {
        let flag = |v: Option<bool>| match v {
            Some(true) => "si".to_string(),
            Some(false) => "no".to_string(),
            None => String::new(),
        };
        ProfileForm {
            document_type: view.document_type.clone(),
            document_number: view.document_number.clone(),
            first_names: view.first_names.clone(),
            last_names: view.last_names.clone(),
            email: view.email.clone().unwrap_or_default(),
            phone: view.phone.clone().unwrap_or_default(),
            department_code: view.department_code.clone().unwrap_or_default(),
            municipality: view.municipality_name.clone().unwrap_or_default(),
            entity_type: view.entity_type.clone(),
            entity_name: view.entity_name.clone().unwrap_or_default(),
            position: view.position.clone().unwrap_or_default(),
            level: view.level.clone(),
            sensitive_data_consent: view.sensitive_data_consent,
            sex: view.sex.clone().unwrap_or_default(),
            ethnic_group: view.ethnic_group.clone().unwrap_or_default(),
            has_disability: flag(view.has_disability),
            is_conflict_victim: flag(view.is_conflict_victim),
            ..<ProfileForm as Default>::default()
        }
    }
}

/// The profile form (registration and "my profile"): the values to show, the choices of
/// each select and the errors, next to their fields.
#[derive(Serialize)]
struct ProfileFormView<'a> {
    form: FormValues<'a>,
    departments: Vec<DepartmentChoice<'a>>,
    document_types: Vec<Choice<'a>>,
    entity_types: Vec<Choice<'a>>,
    levels: Vec<Choice<'a>>,
    sexes: Vec<Choice<'a>>,
    ethnic_groups: Vec<Choice<'a>>,
    disability: Vec<Choice<'a>>,
    victim: Vec<Choice<'a>>,
    consent_version: &'static str,
    locked_document: bool,
    /// The participant's current data, on "my profile".
    #[serde(skip_serializing_if = "Option::is_none")]
    profile: Option<&'a ParticipantView>,
    /// Her own changes still waiting, on "my profile" (issue 46): a name in review, a new
    /// email to confirm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pending: Option<PendingView>,
    /// The cohort a nominee was proposed for, when the form starts from the nomination.
    #[serde(skip_serializing_if = "Option::is_none")]
    nomination_cohort: Option<String>,
}

/// The text fields and ticks of the form as they are shown again.
#[derive(Serialize)]
struct FormValues<'a> {
    document_type: &'a str,
    document_number: &'a str,
    first_names: &'a str,
    last_names: &'a str,
    email: &'a str,
    phone: &'a str,
    municipality: &'a str,
    entity_name: &'a str,
    position: &'a str,
    data_consent: bool,
    siguiente: &'a str,
    postulacion: &'a str,
    sensitive_data_consent: bool,
}

const DOCUMENT_TYPES: &[(&str, &str)] = &[
    ("CC", "Cédula de ciudadanía"),
    ("CE", "Cédula de extranjería"),
    ("PA", "Pasaporte"),
    ("PPT", "Permiso por protección temporal"),
];

const YES_NO: &[(&str, &str)] = &[("si", "Sí"), ("no", "No")];

impl<'a> ProfileFormView<'a> {
    /// The form showing `form` over the list of `departments`.
    fn new(
        departments: &'a [domain::entities::department::Model],
        form: &'a ProfileForm,
        profile: Option<&'a ParticipantView>,
    ) -> Self {
        ProfileFormView {
            form: FormValues {
                document_type: &form.document_type,
                document_number: &form.document_number,
                first_names: &form.first_names,
                last_names: &form.last_names,
                email: &form.email,
                phone: &form.phone,
                municipality: &form.municipality,
                entity_name: &form.entity_name,
                position: &form.position,
                data_consent: form.data_consent,
                siguiente: &form.siguiente,
                postulacion: &form.postulacion,
                sensitive_data_consent: form.sensitive_data_consent,
            },
            departments: DepartmentChoice::list(departments, Some(&form.department_code)),
            document_types: Choice::list(DOCUMENT_TYPES, &form.document_type),
            entity_types: Choice::list(ENTITY_TYPES, &form.entity_type),
            levels: Choice::list(LEVELS, &form.level),
            sexes: Choice::list(SEXES, &form.sex),
            ethnic_groups: Choice::list(ETHNIC_GROUPS, &form.ethnic_group),
            disability: Choice::list(YES_NO, &form.has_disability),
            victim: Choice::list(YES_NO, &form.is_conflict_victim),
            consent_version: domain::people::DATA_CONSENT_VERSION,
            locked_document: false,
            profile,
            pending: None,
            nomination_cohort: None,
        }
    }
}

/// The registration page showing `form` and `errors`.
async fn registration_html(
    db: &DatabaseConnection,
    page: &Page<'_>,
    form: &ProfileForm,
    errors: &[FieldError],
) -> PageResult {
    let departments = territory::departments(db).await?;
    let view = ProfileFormView::new(&departments, form, None);
    page.render_form(
        "register",
        "Registrarse",
        view,
        &beside_municipality(errors),
    )
}

/// What of her own changes «Mi perfil» says is still waiting.
#[derive(Serialize)]
struct PendingView {
    /// The name she asked for, in review.
    name: Option<String>,
    /// Her approved name, which her record and certificates keep meanwhile.
    approved_name: String,
    /// The new sign-in email waiting for its confirmation.
    email: Option<String>,
}

/// "My profile" of `profile`, showing `form` and `errors`.
async fn profile_html(
    db: &DatabaseConnection,
    page: &Page<'_>,
    user_id: i32,
    profile: &ParticipantView,
    form: &ProfileForm,
    errors: &[FieldError],
) -> PageResult {
    let departments = territory::departments(db).await?;
    let pending = profile::own_pending(db, user_id).await?;
    let mut view = ProfileFormView::new(&departments, form, Some(profile));
    view.pending = Some(PendingView {
        name: pending.name(),
        approved_name: format!("{} {}", profile.first_names, profile.last_names),
        email: pending.email,
    });
    page.render_form("profile", "Mi perfil", view, &beside_municipality(errors))
}

/// The profile's problems as the form shows them: the municipality's code is typed in the
/// municipality box.
fn beside_municipality(errors: &[FieldError]) -> Vec<FieldError> {
    errors
        .iter()
        .cloned()
        .map(|mut e| {
            if e.field == "municipality_code" {
                e.field = "municipality".into();
            }
            e
        })
        .collect()
}

/// "Check your email", after registering.
#[derive(Serialize)]
struct RegisterSentView {
    email: String,
    valid_hours: i64,
}

/// The confirmation page of a registration link (`usable`: the link still works).
#[derive(Serialize)]
struct ConfirmView<'a> {
    token: &'a str,
    usable: bool,
}

/// The registration form; `postulacion`, the token of a nomination's emailed link, starts it
/// with what the liaison gave (name, document, email, municipality).
#[get("/registro?<siguiente>&<postulacion>")]
async fn registration_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    siguiente: Option<&str>,
    postulacion: Option<&str>,
) -> PageResult {
    let mut form = ProfileForm {
        siguiente: domain::accounts::safe_next(siguiente),
        ..<ProfileForm as Default>::default()
    };
    let prefill = match postulacion {
        Some(token) => domain::nominations::registration_prefill(db.inner(), token).await?,
        None => None,
    };
    let Some(prefill) = prefill else {
        return registration_html(db, &page, &form, &[]).await;
    };
    form.document_type = prefill.document_type;
    form.document_number = prefill.document_number;
    form.first_names = prefill.first_names;
    form.last_names = prefill.last_names;
    form.email = prefill.email;
    form.department_code = prefill.department_code;
    form.municipality = prefill.municipality_name;
    form.postulacion = postulacion.unwrap_or_default().to_string();
    if siguiente.is_none() {
        form.siguiente = format!("/cohortes/{}", prefill.cohort_id);
    }
    let departments = territory::departments(db.inner()).await?;
    let mut view = ProfileFormView::new(&departments, &form, None);
    view.nomination_cohort = Some(prefill.cohort_name);
    page.render("register", "Registrarse", view)
}

#[post("/registro", data = "<form>")]
async fn registration_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    address: ClientAddress,
    page: Page<'_>,
    form: CsrfForm<ProfileForm>,
) -> PageResult {
    let form = form.0;
    let result = async {
        let (profile, mut errors) = form.to_input(db).await?;
        if !errors.is_empty() {
            // The municipality could not be resolved: report it with every other problem,
            // without registering anything.
            let input = RegistrationInput {
                profile,
                password: some(&form.password),
                data_consent: Some(form.data_consent),
                nomination_token: None,
            };
            if let Err(AppError::Validation(more)) = registration::check(db.inner(), &input).await {
                errors.extend(more.into_iter().filter(|e| e.field != "municipality_code"));
            }
            return Err(AppError::Validation(errors));
        }
        let input = RegistrationInput {
            profile,
            password: some(&form.password),
            data_consent: Some(form.data_consent),
            nomination_token: Some(form.postulacion.clone()).filter(|t| !t.is_empty()),
        };
        registration::register(db, &notifier, &input, address.0, &form.siguiente).await
    }
    .await;
    match result {
        Ok(received) => page.render(
            "register_sent",
            "Revise su correo",
            RegisterSentView {
                email: received.email,
                valid_hours: registration::CONFIRMATION_HOURS,
            },
        ),
        Err(error) => {
            let errors = crate::web::form::problems(error)?;
            let mut form = form;
            form.password.clear();
            Err(Failure::form_again(
                registration_html(db, &page, &form, &errors).await,
            ))
        }
    }
}

#[get("/registro/confirmar/<token>")]
async fn confirmation_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    token: &str,
) -> PageResult {
    let usable = registration::confirmation_usable(db, token).await?;
    page.render(
        "register_confirm",
        "Confirmar registro",
        ConfirmView { token, usable },
    )
}

/// Following the link creates the account and signs the person in.
#[post("/registro/confirmar/<token>", data = "<_form>")]
async fn confirmation_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    rocket_config: &rocket::Config,
    cookies: &CookieJar<'_>,
    token: &str,
    _form: CsrfForm<PlainForm>,
) -> PageResult<Flash<Redirect>> {
    let (user, next) = registration::confirm(db, &notifier, token).await?;
    guards::start_session(
        db.inner(),
        cookies,
        user.id,
        crate::web::csrf::secure_cookies(rocket_config),
    )
    .await?;
    Ok(Flash::success(
        Redirect::to(domain::accounts::safe_next(Some(&next))),
        "Le damos la bienvenida: su cuenta quedó activa y le enviamos un correo.",
    ))
}

/// «Enviar de nuevo el enlace de registro»: the address typed (or carried from the sign-in
/// page) and, once sent, the answer every address gets.
#[derive(Serialize)]
struct ResendView<'a> {
    email: &'a str,
    sent: Option<&'static str>,
}

#[get("/registro/reenviar")]
fn resend_page(page: Page<'_>) -> PageResult {
    page.render(
        "register_resend",
        "Enviar de nuevo el enlace",
        ResendView {
            email: "",
            sent: None,
        },
    )
}

#[derive(FromForm)]
struct ResendForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    email: String,
}
csrf_protected!(ResendForm);

/// Sends a registration's link again; the same answer whatever the address.
#[post("/registro/reenviar", data = "<form>")]
async fn resend_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    address: ClientAddress,
    page: Page<'_>,
    form: CsrfForm<ResendForm>,
) -> PageResult {
    let form = form.0;
    registration::resend(db, &notifier, &form.email, address.0).await?;
    page.render(
        "register_resend",
        "Enviar de nuevo el enlace",
        ResendView {
            email: &form.email,
            sent: Some(registration::RESENT),
        },
    )
}

#[get("/perfil")]
async fn profile_page(
    db: &State<DatabaseConnection>,
    me: ParticipantUser,
    page: Page<'_>,
) -> PageResult {
    let view = profile::profile_of_user(db.inner(), me.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut form = ProfileForm::from_view(&view);
    // The form shows the name she asked for while it is in review: sending it again keeps the
    // request, her approved name withdraws it.
    let pending = profile::own_pending(db.inner(), me.id).await?;
    if let (Some(first), Some(last)) = (pending.first_names, pending.last_names) {
        form.first_names = first;
        form.last_names = last;
    }
    profile_html(db, &page, me.id, &view, &form, &[]).await
}

#[post("/perfil", data = "<form>")]
async fn profile_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    me: ParticipantUser,
    page: Page<'_>,
    form: CsrfForm<ProfileForm>,
) -> PageResult<Flash<Redirect>> {
    let mut form = form.0;
    // Unticking the consent means "erase those data", whatever the selects still show.
    if !form.sensitive_data_consent {
        form.sex.clear();
        form.ethnic_group.clear();
        form.has_disability.clear();
        form.is_conflict_victim.clear();
    }
    let result = async {
        let (input, mut errors) = form.to_input(db).await?;
        if !errors.is_empty() {
            // The municipality could not be resolved: report it with every other problem
            // (the document is not the person's to change here), without saving anything.
            if let Err(AppError::Validation(more)) =
                registration::validate(db.inner(), &input).await
            {
                errors.extend(more.into_iter().filter(|e| {
                    !matches!(
                        e.field.as_str(),
                        "municipality_code" | "document_type" | "document_number"
                    )
                }));
            }
            return Err(AppError::Validation(errors));
        }
        profile::update_own(db, &notifier, me.id, &input).await
    }
    .await;
    crate::web::form::saved_or_again(
        result,
        |update| {
            let mut message = String::from("Sus datos quedaron actualizados.");
            if update.name_pending {
                message.push_str(
                    " Su cambio de nombre queda en revisión: la coordinación de su curso lo \
                     compara con su documento antes de que llegue a sus certificados, y le \
                     avisamos por correo.",
                );
            }
            if let Some(email) = &update.email_pending {
                message.push_str(&format!(
                    " Le enviamos un enlace a {email}: su correo de ingreso cambia cuando lo \
                     abra desde esa dirección. Mientras tanto sigue ingresando con el actual, al \
                     que también le avisamos."
                ));
            }
            Flash::success(Redirect::to("/perfil"), message)
        },
        async |errors| {
            let view = profile::profile_of_user(db.inner(), me.id)
                .await?
                .ok_or(AppError::NotFound)?;
            let mut shown = form.clone();
            shown.document_type = view.document_type.clone();
            shown.document_number = view.document_number.clone();
            profile_html(db, &page, me.id, &view, &shown, &errors).await
        },
    )
    .await
}

/// The personal-data file, as a download.
pub struct JsonDownload(String, &'static str);

impl<'r> Responder<'r, 'static> for JsonDownload {
    fn respond_to(self, request: &'r rocket::Request<'_>) -> rocket::response::Result<'static> {
        rocket::Response::build_from(self.0.respond_to(request)?)
            .header(ContentType::JSON)
            .header(Header::new(
                "Content-Disposition",
                format!("attachment; filename=\"{}\"", self.1),
            ))
            .ok()
    }
}

/// «Mis datos»: everything the product keeps about the person, as tables in Spanish, with her
/// habeas-data requests and who opened her record (`crate::habeas::pages`).
#[get("/perfil/datos")]
async fn data_page(
    db: &State<DatabaseConnection>,
    me: ParticipantUser,
    page: crate::web::Page<'_>,
) -> PageResult {
    crate::habeas::pages::my_data_html(
        db.inner(),
        &page,
        me.id,
        &[],
        &crate::habeas::pages::RequestForm::fresh(),
    )
    .await
}

/// The same, as a file to keep: JSON with Spanish keys, names instead of ids. (The API's
/// `GET /me/data` keeps the machine form.)
#[get("/perfil/datos.json")]
async fn data_download(
    db: &State<DatabaseConnection>,
    me: ParticipantUser,
) -> AppResult<JsonDownload> {
    let export = profile::personal_data_export(db.inner(), me.id).await?;
    let data = domain::people::readable::readable(db.inner(), &export).await?;
    let text =
        serde_json::to_string_pretty(&data).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(JsonDownload(text, "mis-datos-aula-territorial.json"))
}

/// A coordinator's correction of a person's names, document, email or municipality (issue 18;
/// the rules are in `people::correction`). A field the page does not offer (the sign-in email
/// of an account; the shared identity of a person another provider also trains, issue 46) is
/// not sent, and stays as it is.
#[derive(FromForm, Default, Clone, Serialize)]
struct CorrectionForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    first_names: Option<String>,
    last_names: Option<String>,
    document_type: Option<String>,
    document_number: Option<String>,
    email: Option<String>,
    #[field(default = String::new())]
    municipality_code: String,
    #[field(default = String::new())]
    reason: String,
    /// The page to go back to (a coordinator's page only).
    #[field(default = String::new())]
    back: String,
}
csrf_protected!(CorrectionForm);

impl CorrectionForm {
    fn of(person: &domain::entities::participant::Model, back: &str) -> Self {
        CorrectionForm {
            first_names: Some(person.first_names.clone()),
            last_names: Some(person.last_names.clone()),
            document_type: Some(person.document_type.as_str().to_string()),
            document_number: Some(person.document_number.clone()),
            email: Some(person.email.clone().unwrap_or_default()),
            municipality_code: person.municipality_code.clone(),
            back: back.to_string(),
            ..Default::default()
        }
    }

    fn input(&self) -> domain::people::correction::CorrectionInput {
        domain::people::correction::CorrectionInput {
            first_names: self.first_names.clone(),
            last_names: self.last_names.clone(),
            document_type: self.document_type.clone(),
            document_number: self.document_number.clone(),
            email: self.email.clone(),
            municipality_code: Some(self.municipality_code.clone()),
            reason: Some(self.reason.clone()),
        }
    }
}

/// Where a correction goes back to: the coordinator's page it came from (a path of this site,
/// `accounts::is_local_path`), else the cohorts.
fn correction_back(typed: Option<&str>) -> String {
    match typed {
        Some(path)
            if path.starts_with("/coordinacion/") && domain::accounts::is_local_path(path) =>
        {
            path.into()
        }
        _ => "/coordinacion/cohortes".into(),
    }
}

#[derive(Serialize)]
struct CorrectionView {
    participant_id: i32,
    full_name: String,
    municipality: String,
    form: CorrectionForm,
    document_types: Vec<Choice<'static>>,
    /// The valid certificates the correction will re-issue.
    certificates: Vec<domain::certificates::issue::Verification>,
    /// She signs in with her email: shown, not offered (only she changes it).
    sign_in_email: Option<String>,
    /// The document as shown when it is not offered.
    document: String,
    /// The other providers she is enrolled with («ESAP y DNP»): her names, document and email
    /// are not offered, and only the caller's own enrolments move.
    shared_with: Option<String>,
}

async fn correction_html(
    db: &DatabaseConnection,
    page: &Page<'_>,
    actor: &domain::accounts::actor::Actor,
    person: &domain::entities::participant::Model,
    form: CorrectionForm,
    errors: &[FieldError],
) -> PageResult {
    use domain::entities::values::DocumentType;
    let facts = domain::people::correction::facts(db, actor, person.id).await?;
    let document_types = [
        DocumentType::Cc,
        DocumentType::Ce,
        DocumentType::Pa,
        DocumentType::Ppt,
    ]
    .into_iter()
    .map(|d| Choice {
        value: d.as_str(),
        label: d.as_str(),
        selected: form.document_type.as_deref() == Some(d.as_str()),
    })
    .collect();
    page.render_form(
        "person_correct",
        "Corregir los datos de una persona",
        CorrectionView {
            participant_id: person.id,
            full_name: person.full_name(),
            municipality: domain::people::correction::place_name(db, &person.municipality_code)
                .await?,
            form,
            document_types,
            certificates: facts.certificates,
            sign_in_email: person.user_id.and(person.email.clone()),
            document: format!(
                "{} {}",
                person.document_type.as_str(),
                person.document_number
            ),
            shared_with: facts.shared_with,
        },
        errors,
    )
}

#[get("/coordinacion/personas/<id>/corregir?<volver>")]
async fn correction_page(
    db: &State<DatabaseConnection>,
    staff: guards::StaffUser,
    page: Page<'_>,
    id: i32,
    volver: Option<&str>,
) -> PageResult {
    let person = domain::people::correction::find_correctable(db.inner(), &staff, id).await?;
    // The person sees who opened her record, and when (habeas data, issue 67).
    domain::habeas::access::record_view(
        db.inner(),
        &staff,
        person.id,
        "Datos personales (corrección)",
    )
    .await?;
    let form = CorrectionForm::of(&person, &correction_back(volver));
    correction_html(db, &page, &staff, &person, form, &[]).await
}

#[post("/coordinacion/personas/<id>/corregir", data = "<form>")]
async fn correction_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    staff: guards::StaffUser,
    page: Page<'_>,
    id: i32,
    form: CsrfForm<CorrectionForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let back = correction_back(Some(&form.back));
    match domain::people::correction::correct(db, &notifier, &staff, id, &form.input()).await {
        Ok(outcome) => {
            let changed: Vec<&str> = outcome.changes.iter().map(|c| c.label).collect();
            let mut message = if changed.is_empty() {
                format!("Datos de {}:", outcome.full_name)
            } else {
                format!(
                    "Datos de {} corregidos ({}); {}",
                    outcome.full_name,
                    changed.join(", ").to_lowercase(),
                    if outcome.notified {
                        "le enviamos un correo con lo que cambió."
                    } else {
                        "no tiene correo registrado: avísele por otro medio."
                    }
                )
            };
            if let Some(note) = &outcome.note {
                message.push(' ');
                message.push_str(note);
            }
            if !outcome.reissued.is_empty() {
                message.push_str(&format!(
                    " Certificados reexpedidos: {}.",
                    outcome
                        .reissued
                        .iter()
                        .map(|r| r.new_code.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            Ok(Flash::success(Redirect::to(back), message))
        }
        Err(error) => {
            let errors = crate::web::form::problems(error)?;
            let render = async {
                let person =
                    domain::people::correction::find_correctable(db.inner(), &staff, id).await?;
                correction_html(db, &page, &staff, &person, form.clone(), &errors).await
            };
            Err(Failure::form_again(render.await))
        }
    }
}
