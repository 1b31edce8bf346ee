//! Pages: the participant's download of a certificate's credential, and the public check of a
//! credential file (uploaded or pasted) under `/verificar`.

use super::api::CredentialFile;
use crate::error::AppResult;
use crate::web::Page;
use crate::web::PageResult;
use domain::credentials::Report;
use domain::credentials::keys::Issuer;
use domain::error::AppError;
use rocket::form::{Form, FromForm};
use rocket::fs::TempFile;
use rocket::http::Status;
use rocket::response::content::RawHtml;
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![download, verify_submit]
}

/// «Descargar credencial verificable» (`/credenciales/{code}.json`): the same credential as
/// the API's, as a file to keep in a wallet or send to an employer.
#[get("/credenciales/<file>")]
async fn download(
    db: &State<DatabaseConnection>,
    issuer: &State<Issuer>,
    file: &str,
    address: crate::web::ClientAddress,
) -> AppResult<CredentialFile> {
    let code = file.strip_suffix(".json").ok_or(AppError::NotFound)?;
    let (body, code) = super::api::credential_of(db, issuer, code, address.0).await?;
    Ok(CredentialFile {
        body,
        download_as: Some(format!("credencial-{code}.json")),
    })
}

/// The largest credential the page reads (ours are a few KiB).
const MAX_CREDENTIAL_BYTES: u64 = 1024 * 1024;

/// A credential to check: a file, or its text pasted.
#[derive(FromForm)]
struct CredentialForm<'r> {
    archivo: Option<TempFile<'r>>,
    #[field(default = String::new())]
    texto: String,
}

/// The check page: the form, and the verdict once something was sent.
#[derive(Serialize)]
struct CheckView<'a> {
    report: Option<Report>,
    /// Authentic but revoked (the heading says so).
    revoked: bool,
    /// What was pasted, shown again in the box.
    pasted: &'a str,
}

/// What was sent: the file when one was chosen, else the pasted text.
async fn sent_text(form: &CredentialForm<'_>) -> Result<String, String> {
    if let Some(file) = form.archivo.as_ref().filter(|f| f.len() > 0) {
        if file.len() > MAX_CREDENTIAL_BYTES {
            return Err(
                "El archivo es demasiado grande para ser una credencial (máximo 1 MiB).".into(),
            );
        }
        let bytes = crate::web::import::file_bytes(file)
            .await
            .map_err(|_| "No se pudo leer el archivo.".to_string())?;
        return String::from_utf8(bytes).map_err(|_| {
            "El archivo no es texto UTF-8: elija el archivo .json de la credencial.".into()
        });
    }
    let text = form.texto.trim();
    if text.is_empty() {
        return Err("Elija el archivo de la credencial (.json) o pegue su contenido.".into());
    }
    if text.len() as u64 > MAX_CREDENTIAL_BYTES {
        return Err("El texto es demasiado largo para ser una credencial (máximo 1 MiB).".into());
    }
    Ok(text.to_string())
}

/// Why a text sent as a credential cannot be checked, for people.
fn unreadable(error: &domain::strict_json::Error) -> String {
    match error {
        domain::strict_json::Error::Syntax { .. } => {
            "El contenido no es JSON: una credencial verificable es un archivo .json.".into()
        }
        domain::strict_json::Error::DuplicateKey(path) => format!(
            "La credencial tiene el campo «{path}» repetido. Un documento con campos repetidos \
             se lee de dos maneras (cada programa toma un valor distinto), así que no se puede \
             verificar: no confíe en su contenido."
        ),
    }
}

/// `/verificar/credencial`: checks what was sent and shows the verdict (200 whatever it is;
/// 422 when nothing checkable was sent). Public, and it changes nothing, so it needs no
/// session or CSRF token.
#[post("/verificar/credencial", data = "<form>")]
async fn verify_submit(
    db: &State<DatabaseConnection>,
    issuer: &State<Issuer>,
    page: Page<'_>,
    form: Form<CredentialForm<'_>>,
) -> PageResult<(Status, RawHtml<String>)> {
    let file_sent = form.archivo.as_ref().is_some_and(|f| f.len() > 0);
    let pasted = if file_sent { "" } else { form.texto.as_str() };
    // Strictly: a key written twice would be verified with one value and read with another.
    let sent = sent_text(&form)
        .await
        .and_then(|text| domain::strict_json::parse(&text).map_err(|error| unreadable(&error)));
    match sent {
        Ok(value) => {
            let report = domain::credentials::verify(db.inner(), issuer, &value).await?;
            let view = CheckView {
                revoked: report.status == domain::credentials::Outcome::Revoked,
                report: Some(report),
                pasted,
            };
            page.render("credential_verify", "Verificación de credencial", view)
                .map(|html| (Status::Ok, html))
        }
        // Nothing checkable: the form again with the problem summarised and beside what was
        // sent (issue 61), the text as pasted.
        Err(problem) => {
            let field = if file_sent { "archivo" } else { "texto" };
            let errors = [domain::error::FieldError::new(field, problem)];
            let view = CheckView {
                report: None,
                revoked: false,
                pasted,
            };
            page.render_refused(
                "credential_verify",
                "Verificación de credencial",
                view,
                &errors,
            )
            .map(|html| (Status::UnprocessableEntity, html))
        }
    }
}
