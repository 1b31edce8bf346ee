//! The one mail path of the product: the email outbox.
//!
//! Code that causes an email calls [`enqueue`] inside the transaction of the change, so the
//! email exists exactly when the change does. The background loop [`deliver_until`] (or a
//! direct [`deliver_due`] call) sends due rows through lettre — SMTP when `smtp_url` is set, `.eml`
//! files under `mail_dir` otherwise — retrying with exponential backoff. All state lives in the
//! `outbox` table, so a mail server that is down delays mail without losing any, also across
//! restarts and with several app instances on one database.
//!
//! Templates come in pairs under `templates/email/`: `NAME.html.hbs` (usually wrapped in
//! `{{#> email/layout}}…{{/email/layout}}`) and `NAME.txt.hbs` (plain text, `{{{…}}}`).

mod worker;

pub use worker::{deliver_due, deliver_until};

use crate::config::AppConfig;
use crate::entities::outbox;
use crate::entities::values::OutboxStatus;
use crate::error::{AppError, AppResult};
use crate::templates::Templates;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What code that sends email needs besides the database: the templates and the settings.
/// Handlers receive it from the web layer's request guard; nobody assembles one by hand.
#[derive(Clone, Copy)]
pub struct Notifier<'a> {
    pub templates: &'a Templates,
    pub config: &'a AppConfig,
}

/// Name of the product as emails show it (`{{product}}` in every email template).
pub const PRODUCT: &str = "Aula Territorial";

/// A file sent with an email (e.g. an `.ics` calendar invitation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// An email to write to the outbox.
#[derive(Clone, Debug)]
pub struct Email {
    pub to: String,
    pub subject: String,
    /// `"welcome"` renders `email/welcome` (HTML) and `email/welcome.txt` (text).
    pub template: &'static str,
    /// Template data, merged over `{"public_url": …, "product": "Aula Territorial"}`.
    pub data: Value,
    pub attachments: Vec<Attachment>,
    /// Unique: a second enqueue with the same key is skipped (send-once emails).
    pub dedupe_key: Option<String>,
}

/// One kind of email: the template pair it renders and its data as a typed struct, so what a
/// template reads is declared once, next to the code that sends it.
pub trait Message: Serialize {
    /// `"welcome"` renders `email/welcome` (HTML) and `email/welcome.txt` (text).
    const TEMPLATE: &'static str;
    /// The subject line, in Spanish.
    fn subject(&self) -> String;
}

impl Email {
    /// The email of `message` to `to`, without attachments and not deduplicated.
    pub fn of<M: Message>(to: impl Into<String>, message: &M) -> AppResult<Email> {
        let data = serde_json::to_value(message)
            .map_err(|e| AppError::Internal(format!("datos del correo {}: {e}", M::TEMPLATE)))?;
        Ok(Email {
            to: to.into(),
            subject: message.subject(),
            template: M::TEMPLATE,
            data,
            attachments: Vec::new(),
            dedupe_key: None,
        })
    }

    /// Sent once: a second enqueue with the same key is skipped.
    pub fn once(mut self, key: String) -> Email {
        self.dedupe_key = Some(key);
        self
    }

    pub fn attach(mut self, attachment: Attachment) -> Email {
        self.attachments.push(attachment);
        self
    }
}

/// How an attachment is stored in `outbox.attachments_json`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoredAttachment {
    pub filename: String,
    pub content_type: String,
    pub content_base64: String,
}

impl StoredAttachment {
    pub(crate) fn decode(&self) -> Result<(Vec<u8>, ContentType), String> {
        let content = BASE64
            .decode(&self.content_base64)
            .map_err(|e| format!("adjunto {}: {e}", self.filename))?;
        let content_type = ContentType::parse(&self.content_type)
            .map_err(|e| format!("adjunto {}: {e}", self.filename))?;
        Ok((content, content_type))
    }
}

/// Renders and writes one outbox row on `db` (pass the caller's transaction). Returns false
/// when `dedupe_key` was already used (nothing written).
///
/// An email that cannot be built — a recipient that is not an address, a subject with line
/// breaks or control characters, a template that does not render, an unusable attachment —
/// never fails the change that caused it: the row is written as `failed`, with the reason in
/// `last_error`, for an administrator to see on the outbox page (`/admin/correos`). Only
/// database errors are errors here.
pub async fn enqueue<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    email: Email,
) -> AppResult<bool> {
    Ok(enqueue_many(db, notifier, vec![email]).await? > 0)
}

/// [`enqueue`] for several emails in one statement (the enrolments a cohort's desk decides
/// together, issue 50). Returns how many rows were written (those whose `dedupe_key` was used
/// before are skipped).
pub async fn enqueue_many<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    emails: Vec<Email>,
) -> AppResult<u64> {
    if emails.is_empty() {
        return Ok(0);
    }
    let rows: Vec<outbox::ActiveModel> = emails
        .into_iter()
        .map(|email| outbox_row(notifier, email))
        .collect();
    let mut written = 0;
    // Bounded statements: an outbox row binds 11 values.
    for chunk in rows.chunks(OUTBOX_ROWS) {
        // ON CONFLICT DO NOTHING rather than catching the unique violation: on PostgreSQL a
        // failed statement would abort the caller's whole transaction.
        let inserted = outbox::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::column(outbox::Column::DedupeKey)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await;
        match inserted {
            Ok(rows) => written += rows,
            Err(sea_orm::DbErr::RecordNotInserted) => {}
            Err(e) => return Err(e.into()),
        }
    }
    tracing::debug!(written, "correos en la bandeja de salida");
    Ok(written)
}

/// Outbox rows per statement.
const OUTBOX_ROWS: usize = 500;

/// The outbox row of `email`: ready to send, or `failed` with the reason it cannot be built.
fn outbox_row(notifier: &Notifier<'_>, email: Email) -> outbox::ActiveModel {
    let (templates, config) = (notifier.templates, notifier.config);
    let template = email.template;
    let dedupe_key = email.dedupe_key.clone();
    let recipient: String = email.to.trim().chars().take(320).collect();
    let subject: String = email.subject.trim().chars().take(300).collect();
    let now = crate::time::now();
    match prepare(templates, config, email) {
        Ok(prepared) => outbox::ActiveModel {
            recipient: Set(recipient),
            subject: Set(prepared.subject),
            body_text: Set(prepared.body_text),
            body_html: Set(prepared.body_html),
            attachments_json: Set(prepared.attachments_json),
            dedupe_key: Set(dedupe_key),
            status: Set(OutboxStatus::Pending),
            attempts: Set(0),
            next_attempt_at: Set(now),
            last_error: Set(None),
            created_at: Set(now),
            sent_at: Set(None),
            ..Default::default()
        },
        Err(reason) => {
            tracing::error!(template, %reason, "correo imposible de preparar; queda como fallido");
            outbox::ActiveModel {
                recipient: Set(recipient),
                subject: Set(subject),
                body_text: Set(String::new()),
                body_html: Set(String::new()),
                attachments_json: Set(None),
                dedupe_key: Set(dedupe_key),
                status: Set(OutboxStatus::Failed),
                attempts: Set(0),
                next_attempt_at: Set(now),
                last_error: Set(Some(reason)),
                created_at: Set(now),
                sent_at: Set(None),
                ..Default::default()
            }
        }
    }
}

/// What an outbox row needs besides its recipient and bookkeeping.
struct Prepared {
    subject: String,
    body_text: String,
    body_html: String,
    attachments_json: Option<String>,
}

/// Checks and renders an email; the error is the Spanish reason kept in `last_error`.
fn prepare(templates: &Templates, config: &AppConfig, email: Email) -> Result<Prepared, String> {
    let recipient = email.to.trim();
    if recipient.parse::<Mailbox>().is_err() {
        return Err(format!(
            "La dirección del destinatario «{recipient}» no es válida."
        ));
    }
    let subject = email.subject.trim().to_string();
    if subject.is_empty() {
        return Err("El asunto del correo está vacío.".into());
    }
    if subject.chars().any(char::is_control) {
        return Err(
            "El asunto del correo tiene saltos de línea o caracteres de control (revise el \
             nombre de la cohorte o del curso)."
                .into(),
        );
    }
    let data = template_data(config, email.data).map_err(|e| e.to_string())?;
    let body_html = templates
        .render(&format!("email/{}", email.template), &data)
        .map_err(|e| format!("No se pudo componer el correo ({}): {e}", email.template))?;
    let body_text = templates
        .render(&format!("email/{}.txt", email.template), &data)
        .map_err(|e| format!("No se pudo componer el correo ({}): {e}", email.template))?;

    let attachments_json = if email.attachments.is_empty() {
        None
    } else {
        let mut stored = Vec::with_capacity(email.attachments.len());
        for attachment in email.attachments {
            if ContentType::parse(&attachment.content_type).is_err()
                || attachment.filename.trim().is_empty()
            {
                return Err(format!(
                    "Adjunto inválido {:?} ({}).",
                    attachment.filename, attachment.content_type
                ));
            }
            stored.push(StoredAttachment {
                filename: attachment.filename,
                content_type: attachment.content_type,
                content_base64: BASE64.encode(&attachment.content),
            });
        }
        Some(serde_json::to_string(&stored).map_err(|e| format!("Adjuntos: {e}"))?)
    };
    Ok(Prepared {
        subject,
        body_text,
        body_html,
        attachments_json,
    })
}

/// Puts a `failed` email back in the queue, due now (for an administrator, after fixing the
/// cause). Returns false when there is no failed email with that id, or when it failed before
/// it could be composed.
pub async fn retry<C: ConnectionTrait>(db: &C, id: i64) -> AppResult<bool> {
    let result = outbox::Entity::update_many()
        .col_expr(
            outbox::Column::Status,
            sea_orm::sea_query::Expr::value(OutboxStatus::Pending.as_str()),
        )
        .col_expr(
            outbox::Column::NextAttemptAt,
            sea_orm::sea_query::Expr::value(crate::time::now()),
        )
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::Status.eq(OutboxStatus::Failed))
        // An email that could never be composed has no body to send again.
        .filter(outbox::Column::BodyText.ne(""))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The caller's data over the values every email template may use.
fn template_data(config: &AppConfig, data: Value) -> AppResult<Value> {
    let mut merged = serde_json::Map::new();
    merged.insert(
        "public_url".into(),
        Value::String(config.public_url.trim_end_matches('/').to_string()),
    );
    merged.insert("product".into(), Value::String(PRODUCT.into()));
    match data {
        Value::Object(fields) => merged.extend(fields),
        Value::Null => {}
        other => {
            return Err(AppError::Internal(format!(
                "datos de correo: se esperaba un objeto, no {other}"
            )));
        }
    }
    Ok(Value::Object(merged))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config() -> AppConfig {
        serde_json::from_value(json!({
            "database_url": "sqlite::memory:",
            "public_url": "https://aula.example/",
        }))
        .unwrap()
    }

    /// The shape of the welcome email (`people::registration::Welcome`, an area above).
    #[derive(serde::Serialize)]
    struct Welcome<'a> {
        full_name: &'a str,
        email: &'a str,
    }

    impl Message for Welcome<'_> {
        const TEMPLATE: &'static str = "welcome";
        fn subject(&self) -> String {
            "Le damos la bienvenida a Aula Territorial".into()
        }
    }

    #[test]
    fn both_emails_render_in_spanish_with_links() {
        let templates = Templates::load().unwrap();
        let welcome = Welcome {
            full_name: "Ana <Pérez>",
            email: "ana@example.org",
        };
        let email = Email::of("ana@example.org", &welcome).unwrap();
        assert_eq!(email.template, "welcome");
        let data = template_data(&config(), email.data).unwrap();
        let html = templates.render("email/welcome", &data).unwrap();
        let text = templates.render("email/welcome.txt", &data).unwrap();
        assert!(html.contains("Ana &lt;Pérez&gt;"), "{html}");
        assert!(html.contains("https://aula.example/ingresar"));
        assert!(html.contains("Aula Territorial · ESAP"));
        assert!(text.contains("Ana <Pérez>"), "{text}");
        assert!(text.contains("https://aula.example/ingresar"));

        // What `accounts::password_reset` sends.
        #[derive(Serialize)]
        struct ResetLink {
            full_name: &'static str,
            reset_url: &'static str,
            valid_minutes: i64,
        }
        let reset = ResetLink {
            full_name: "Ana",
            reset_url: "https://aula.example/clave/abc?x=1&y=2",
            valid_minutes: 60,
        };
        let data = template_data(&config(), serde_json::to_value(reset).unwrap()).unwrap();
        let html = templates.render("email/password_reset", &data).unwrap();
        let text = templates.render("email/password_reset.txt", &data).unwrap();
        // handlebars escapes `=` too; browsers read `&#x3D;` as `=`.
        assert!(html.contains(r#"href="https://aula.example/clave/abc?x&#x3D;1&amp;y&#x3D;2""#));
        assert!(html.contains("60 minutos"));
        assert!(text.contains("https://aula.example/clave/abc?x=1&y=2"));
        assert!(text.contains("60 minutos"));
    }

    #[test]
    fn caller_data_must_be_an_object() {
        assert!(template_data(&config(), json!([1, 2])).is_err());
        assert_eq!(
            template_data(&config(), Value::Null).unwrap()["product"],
            PRODUCT
        );
    }
}
