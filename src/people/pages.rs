//! Pages: self-registration, "my profile" and the personal-data download.

use super::profile::{self, ParticipantView};
use super::registration::{self, ProfileInput, RegistrationInput};
use super::{ENTITY_TYPES, ETHNIC_GROUPS, LEVELS, SEXES};
use crate::accounts::guards::{self, ParticipantUser};
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::Mailer;
use crate::territory;
use crate::web::csrf::{CsrfForm, PlainForm, csrf_protected};
use crate::web::{ClientAddress, Failure, Page};
use rocket::form::FromForm;
use rocket::http::{ContentType, CookieJar, Header, Status};
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect, Responder};
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};

pub fn routes() -> Vec<Route> {
    routes![
        registration_page,
        registration_submit,
        confirmation_page,
        confirmation_submit,
        profile_page,
        profile_submit,
        data_download
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

fn options(list: &[(&str, &str)], selected: &str) -> Value {
    list.iter()
        .map(|(value, label)| json!({"value": value, "label": label, "selected": *value == selected}))
        .collect()
}

/// Everything the profile form template needs, with the values to show and the errors.
async fn form_context(
    db: &DatabaseConnection,
    form: &ProfileForm,
    errors: &[FieldError],
) -> AppResult<Value> {
    let departments: Vec<Value> = territory::departments(db)
        .await?
        .into_iter()
        .map(
            |d| json!({"code": d.code, "name": d.name, "selected": d.code == form.department_code}),
        )
        .collect();
    let document_types = [
        ("CC", "Cédula de ciudadanía"),
        ("CE", "Cédula de extranjería"),
        ("PA", "Pasaporte"),
        ("PPT", "Permiso por protección temporal"),
    ];
    let yes_no = |selected: &str| options(&[("si", "Sí"), ("no", "No")], selected);
    let message = |field: &str| {
        errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone())
    };
    let fields = [
        "document_type",
        "document_number",
        "first_names",
        "last_names",
        "email",
        "phone",
        "municipality",
        "municipality_code",
        "entity_type",
        "entity_name",
        "position",
        "level",
        "password",
        "data_consent",
        "sensitive_data_consent",
        "sex",
        "ethnic_group",
    ];
    let mut field_errors = serde_json::Map::new();
    for field in fields {
        field_errors.insert(field.to_string(), json!(message(field)));
    }
    // A municipality code error shows next to the municipality box.
    if field_errors["municipality"].is_null() {
        field_errors.insert(
            "municipality".into(),
            field_errors["municipality_code"].clone(),
        );
    }
    Ok(json!({
        "form": {
            "document_type": form.document_type, "document_number": form.document_number,
            "first_names": form.first_names, "last_names": form.last_names, "email": form.email,
            "phone": form.phone, "municipality": form.municipality, "entity_name": form.entity_name,
            "position": form.position, "data_consent": form.data_consent, "siguiente": form.siguiente,
            "sensitive_data_consent": form.sensitive_data_consent,
        },
        "departments": departments,
        "document_types": options(&document_types, &form.document_type),
        "entity_types": options(ENTITY_TYPES, &form.entity_type),
        "levels": options(LEVELS, &form.level),
        "sexes": options(SEXES, &form.sex),
        "ethnic_groups": options(ETHNIC_GROUPS, &form.ethnic_group),
        "disability": yes_no(&form.has_disability),
        "victim": yes_no(&form.is_conflict_victim),
        "errors": errors,
        "field_errors": field_errors,
        "consent_version": super::DATA_CONSENT_VERSION,
        "locked_document": false,
    }))
}

#[get("/registro?<siguiente>")]
async fn registration_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    siguiente: Option<&str>,
) -> AppResult<RawHtml<String>> {
    let form = ProfileForm {
        siguiente: crate::accounts::safe_next(siguiente),
        ..<ProfileForm as Default>::default()
    };
    let context = form_context(db, &form, &[]).await?;
    page.render("register", "Registrarse", context)
}

#[post("/registro", data = "<form>")]
async fn registration_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    address: ClientAddress,
    page: Page<'_>,
    form: CsrfForm<ProfileForm>,
) -> Result<RawHtml<String>, Failure> {
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
        };
        registration::register(db, &notifier, &input, address.0, &form.siguiente).await
    }
    .await;
    match result {
        Ok(received) => page
            .render(
                "register_sent",
                "Revise su correo",
                json!({"email": received.email, "valid_hours": registration::CONFIRMATION_HOURS}),
            )
            .map_err(|e| Failure::of(&page, e.into())),
        Err(AppError::Validation(errors)) => {
            let mut form = form;
            form.password.clear();
            match form_context(db, &form, &errors)
                .await
                .and_then(|c| page.render("register", "Registrarse", c))
            {
                Ok(html) => Err((Status::UnprocessableEntity, html).into()),
                Err(e) => Err(Failure::of(&page, e.into())),
            }
        }
        Err(other) => Err(Failure::of(&page, other)),
    }
}

#[get("/registro/confirmar/<token>")]
async fn confirmation_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    token: &str,
) -> AppResult<RawHtml<String>> {
    let usable = registration::confirmation_usable(db, token).await?;
    page.render(
        "register_confirm",
        "Confirmar registro",
        json!({"token": token, "usable": usable}),
    )
}

/// Following the link creates the account and signs the person in.
#[post("/registro/confirmar/<token>", data = "<_form>")]
async fn confirmation_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    rocket_config: &rocket::Config,
    cookies: &CookieJar<'_>,
    page: Page<'_>,
    token: &str,
    _form: CsrfForm<PlainForm>,
) -> Result<Flash<Redirect>, Failure> {
    let (user, next) = registration::confirm(db, &notifier, token)
        .await
        .map_err(|e| Failure::of(&page, e))?;
    guards::start_session(
        db.inner(),
        cookies,
        user.id,
        crate::web::csrf::secure_cookies(rocket_config),
    )
    .await
    .map_err(|e| Failure::of(&page, e.into()))?;
    Ok(Flash::success(
        Redirect::to(crate::accounts::safe_next(Some(&next))),
        "¡Bienvenido! Su cuenta quedó activa y le enviamos un correo de bienvenida.",
    ))
}

#[get("/perfil")]
async fn profile_page(
    db: &State<DatabaseConnection>,
    me: ParticipantUser,
    page: Page<'_>,
) -> AppResult<RawHtml<String>> {
    let view = profile::profile_of_user(db.inner(), me.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut context = form_context(db, &ProfileForm::from_view(&view), &[]).await?;
    context["profile"] = serde_json::to_value(&view).unwrap_or_default();
    page.render("profile", "Mi perfil", context)
}

#[post("/perfil", data = "<form>")]
async fn profile_submit(
    db: &State<DatabaseConnection>,
    me: ParticipantUser,
    page: Page<'_>,
    form: CsrfForm<ProfileForm>,
) -> Result<Flash<Redirect>, (Status, RawHtml<String>)> {
    let mut form = form.0;
    // Unticking the consent means "erase those data", whatever the selects still show.
    if !form.sensitive_data_consent {
        form.sex.clear();
        form.ethnic_group.clear();
        form.has_disability.clear();
        form.is_conflict_victim.clear();
    }
    let result = async {
        let (input, errors) = form.to_input(db).await?;
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        profile::update_own(db, me.id, &input).await
    }
    .await;
    match result {
        Ok(_) => Ok(Flash::success(
            Redirect::to("/perfil"),
            "Sus datos quedaron actualizados.",
        )),
        Err(AppError::Validation(errors)) => {
            let render = async {
                let view = profile::profile_of_user(db.inner(), me.id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                let mut shown = form.clone();
                shown.document_type = view.document_type.clone();
                shown.document_number = view.document_number.clone();
                let mut context = form_context(db, &shown, &errors).await?;
                context["profile"] = serde_json::to_value(&view).unwrap_or_default();
                page.render("profile", "Mi perfil", context)
            };
            match render.await {
                Ok(html) => Err((Status::UnprocessableEntity, html)),
                Err(e) => Err(crate::web::failure(&page, e.into())),
            }
        }
        Err(other) => Err(crate::web::failure(&page, other)),
    }
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

#[get("/perfil/datos.json")]
async fn data_download(
    db: &State<DatabaseConnection>,
    me: ParticipantUser,
) -> AppResult<JsonDownload> {
    let export = profile::personal_data_export(db.inner(), me.id).await?;
    let text =
        serde_json::to_string_pretty(&export).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(JsonDownload(text, "mis-datos-aula-territorial.json"))
}
