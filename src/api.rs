//! Conventions shared by every JSON route of `/api/v1` (see the API contract): pagination,
//! list envelopes, created responses, date-time formatting.

use domain::error::FieldError;
use rocket::http::Status;
use rocket::serde::json::Json;
use serde::Serialize;

pub use domain::paging::{DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE, Paging, page_number};
pub use domain::parse::double_option;
pub use domain::time::date_time;

/// The envelope of every list. Short lists (sessions, rosters, the caller's enrolments and
/// certificates) are returned whole in it, with `page: 1` and `per_page` the number of items
/// (at least 1).
#[derive(Serialize, utoipa::ToSchema)]
pub struct List<T> {
    pub items: Vec<T>,
    /// Items matching, over all pages.
    pub total: u64,
    #[schema(minimum = 1)]
    pub page: u64,
    #[schema(minimum = 1)]
    pub per_page: u64,
}

impl<T> List<T> {
    /// A short list returned whole, as one page.
    pub fn whole(items: Vec<T>) -> Self {
        let total = items.len() as u64;
        List {
            items,
            total,
            page: 1,
            per_page: total.max(1),
        }
    }

    /// One page of a longer list: its items, how many match over all pages, and which page
    /// of what size it is.
    pub fn page(items: Vec<T>, total: u64, page: u64, per_page: u64) -> Self {
        List {
            items,
            total,
            page,
            per_page,
        }
    }
}

pub type Created<T> = (Status, Json<T>);

pub fn created<T>(value: T) -> Created<T> {
    (Status::Created, Json(value))
}

/// Why a JSON body was refused, kept for the catcher so the problem+json says it in Spanish
/// with the field (Rocket's catchers do not receive the guard's error).
#[derive(Clone, Debug, Default)]
pub struct BodyRejection(pub Option<(String, Vec<FieldError>)>);

/// The one JSON data guard of the API: `Content-Type: application/json` (or `…+json`) is
/// required (415 otherwise), the body is bounded by the `json` limit (413), an object may not
/// hold a key twice (`domain::strict_json`; 422 naming the key's path), no array may hold more
/// than `validate::LIST_MAX` items (422 naming the field), every string in it is normalised to
/// NFC and may not hold control characters other than line breaks and tabs (422, naming the
/// field), and a value of the wrong shape — including an unknown enum value — is a 422 in
/// Spanish, never silently ignored. Single-line and length rules per field are the domain's
/// (see `domain::validate`).
pub struct JsonBody<T>(pub T);

impl<T> JsonBody<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for JsonBody<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// A JSON body that may be absent (an empty body is `None`). A present one goes through the
/// same checks as [`JsonBody`]: 415 without a JSON content type, 400 for broken JSON, 422 for
/// JSON of the wrong shape — unlike `Option<Json<T>>`, which would silently ignore it.
pub struct OptionalJson<T>(pub Option<T>);

fn is_json(content_type: Option<&rocket::http::ContentType>) -> bool {
    content_type.is_some_and(|ct| {
        ct.top() == "application" && (ct.sub() == "json" || ct.sub().as_str().ends_with("+json"))
    })
}

type Refusal = (Status, String, Vec<FieldError>);

/// Reads the body as text within the `json` limit.
async fn read_body(
    request: &rocket::Request<'_>,
    data: rocket::Data<'_>,
) -> Result<String, Refusal> {
    use rocket::data::ToByteUnit;
    let limit = request.limits().get("json").unwrap_or(1.mebibytes());
    match data.open(limit).into_string().await {
        Ok(text) if text.is_complete() => Ok(text.into_inner()),
        Ok(_) => Err((
            Status::PayloadTooLarge,
            "El contenido enviado supera el tamaño máximo permitido.".into(),
            Vec::new(),
        )),
        Err(_) => Err((
            Status::BadRequest,
            "El cuerpo de la solicitud no es texto UTF-8 válido.".into(),
            Vec::new(),
        )),
    }
}

fn unsupported() -> Refusal {
    (
        Status::UnsupportedMediaType,
        "Envíe el cuerpo como JSON, con el encabezado Content-Type: application/json.".into(),
        Vec::new(),
    )
}

/// NFC-normalises every string of `value` (keys too) and lists the fields whose strings hold
/// control characters other than line breaks and tabs, the arrays longer than
/// `validate::LIST_MAX` (their items are not looked at), and the keys that NFC makes equal to
/// another key of the same object (a repeated key in disguise).
fn clean_strings(value: &mut serde_json::Value, path: &str, errors: &mut Vec<FieldError>) {
    use serde_json::Value;
    let field = |path: &str| {
        if path.is_empty() {
            "body".to_string()
        } else {
            path.to_string()
        }
    };
    match value {
        Value::String(text) => {
            if text
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            {
                errors.push(FieldError::new(
                    field(path),
                    "El texto tiene caracteres de control que no se permiten.",
                ));
            }
            *text = domain::validate::nfc(text);
        }
        Value::Array(items) => {
            if let Err(error) = domain::validate::list_length(&field(path), items.len()) {
                errors.push(error);
                return;
            }
            for (index, item) in items.iter_mut().enumerate() {
                let path = if path.is_empty() {
                    format!("[{index}]")
                } else {
                    format!("{path}[{index}]")
                };
                clean_strings(item, &path, errors);
            }
        }
        Value::Object(map) => {
            let entries = std::mem::take(map);
            for (key, mut item) in entries {
                if key.chars().any(char::is_control) {
                    errors.push(FieldError::new(
                        field(path),
                        "Un nombre de campo tiene caracteres de control.",
                    ));
                }
                let key = domain::validate::nfc(&key);
                let path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                clean_strings(&mut item, &path, errors);
                if map.contains_key(&key) {
                    errors.push(FieldError::new(
                        path.clone(),
                        domain::strict_json::duplicate_message(&path),
                    ));
                }
                map.insert(key, item);
            }
        }
        _ => {}
    }
}

/// Broken JSON → 400; a repeated key, an overlong array, strings with control characters or
/// the wrong shape → 422.
fn decode<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, Refusal> {
    use domain::strict_json::Error;
    let mut value = domain::strict_json::parse(text).map_err(|error| match error {
        Error::Syntax { line, column } => (
            Status::BadRequest,
            format!("El cuerpo no es JSON válido (línea {line}, columna {column})."),
            Vec::new(),
        ),
        Error::DuplicateKey(path) => (
            Status::UnprocessableEntity,
            "Los datos enviados tienen errores.".into(),
            vec![FieldError::new(
                path.clone(),
                domain::strict_json::duplicate_message(&path),
            )],
        ),
    })?;
    let mut errors = Vec::new();
    clean_strings(&mut value, "", &mut errors);
    if !errors.is_empty() {
        return Err((
            Status::UnprocessableEntity,
            "Los datos enviados tienen errores.".into(),
            errors,
        ));
    }
    serde_json::from_value(value).map_err(|e| {
        (
            Status::UnprocessableEntity,
            shape_message(&e.to_string()),
            Vec::new(),
        )
    })
}

/// serde's English explanation of a wrong shape, said in Spanish.
fn shape_message(serde_message: &str) -> String {
    let quoted = |text: &str| -> Option<String> {
        let start = text.find('`')? + 1;
        let end = start + text[start..].find('`')?;
        Some(text[start..end].to_string())
    };
    if serde_message.starts_with("unknown variant") {
        let value = quoted(serde_message).unwrap_or_default();
        let allowed: Vec<String> = serde_message
            .split_once("expected ")
            .map(|(_, rest)| rest.trim_start_matches("one of "))
            .unwrap_or("")
            .split(", ")
            .map(|v| v.trim().trim_matches('`'))
            .filter(|v| !v.is_empty())
            .map(|v| format!("«{v}»"))
            .collect();
        return format!(
            "El valor «{value}» no es uno de los admitidos: {}.",
            allowed.join(", ")
        );
    }
    if serde_message.starts_with("invalid type") {
        return "Un campo tiene un tipo de dato distinto del esperado (por ejemplo, texto donde \
                va un número)."
            .into();
    }
    if serde_message.starts_with("missing field") {
        let field = quoted(serde_message).unwrap_or_default();
        return format!("Falta el campo «{field}».");
    }
    "Los datos enviados no tienen la forma esperada.".into()
}

fn refuse<'r, T>(
    request: &'r rocket::Request<'_>,
    (status, detail, errors): Refusal,
) -> rocket::data::Outcome<'r, T, String> {
    request.local_cache(|| BodyRejection(Some((detail.clone(), errors))));
    rocket::outcome::Outcome::Error((status, detail))
}

#[rocket::async_trait]
impl<'r, T: serde::de::DeserializeOwned> rocket::data::FromData<'r> for JsonBody<T> {
    type Error = String;

    async fn from_data(
        request: &'r rocket::Request<'_>,
        data: rocket::Data<'r>,
    ) -> rocket::data::Outcome<'r, Self> {
        use rocket::outcome::Outcome;
        if !is_json(request.content_type()) {
            return refuse(request, unsupported());
        }
        let text = match read_body(request, data).await {
            Ok(text) => text,
            Err(refusal) => return refuse(request, refusal),
        };
        match decode(&text) {
            Ok(value) => Outcome::Success(JsonBody(value)),
            Err(refusal) => refuse(request, refusal),
        }
    }
}

#[rocket::async_trait]
impl<'r, T: serde::de::DeserializeOwned> rocket::data::FromData<'r> for OptionalJson<T> {
    type Error = String;

    async fn from_data(
        request: &'r rocket::Request<'_>,
        data: rocket::Data<'r>,
    ) -> rocket::data::Outcome<'r, Self> {
        use rocket::outcome::Outcome;
        let text = match read_body(request, data).await {
            Ok(text) => text,
            Err(refusal) => return refuse(request, refusal),
        };
        if text.trim().is_empty() {
            return Outcome::Success(OptionalJson(None));
        }
        if !is_json(request.content_type()) {
            return refuse(request, unsupported());
        }
        match decode(&text) {
            Ok(value) => Outcome::Success(OptionalJson(Some(value))),
            Err(refusal) => refuse(request, refusal),
        }
    }
}
