//! Sending the outbox: claim a due row, send it, record the outcome.
//!
//! * **Claiming.** Several app instances may share the database, so a worker first moves the
//!   row's `next_attempt_at` forward by a lease (`UPDATE … WHERE id = ? AND status = 'pending'
//!   AND next_attempt_at = <value read>`) and only sends when that update changed one row.
//!   A worker that dies mid-send leaves the row due again when the lease ends (at least once).
//! * **Retries.** A failed attempt counts in `attempts`, keeps the message in `last_error` and
//!   waits 30 s × 2^(attempts − 1), at most one hour. Transient problems retry forever; only
//!   a permanent SMTP rejection of the message (5xx, except authentication codes, which are
//!   configuration problems) marks the row `failed` for an administrator.
//! * **Unreachable server.** When the server cannot be reached at all, the pass stops after
//!   recording that one attempt: the other rows wait for the next pass instead of each paying
//!   a connection timeout.

use super::StoredAttachment;
use crate::config::AppConfig;
use crate::entities::outbox;
use crate::entities::values::OutboxStatus;
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Duration, Utc};
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// Rows read per query; a pass keeps reading until no due row is left.
const BATCH: u64 = 50;
/// How long a claimed row stays reserved for the worker sending it (longer than lettre's
/// 60-second SMTP timeout per command).
const LEASE_SECONDS: i64 = 10 * 60;
const BACKOFF_BASE_SECONDS: i64 = 30;
const BACKOFF_CAP_SECONDS: i64 = 60 * 60;
/// `last_error` is for people: long enough for any server reply, never a novel.
const MAX_ERROR_CHARS: usize = 1000;
/// SMTP replies about our credentials (not about the message): a configuration problem to
/// fix, after which the same message must still go out.
const AUTH_CODES: &[&str] = &["530", "534", "535", "538"];

/// Wait before the next attempt after `attempts` failed ones: 30 s, 1 min, 2 min, … ≤ 1 h.
pub(crate) fn backoff(attempts: i32) -> Duration {
    let exponent = attempts.saturating_sub(1).clamp(0, 16) as u32;
    Duration::seconds((BACKOFF_BASE_SECONDS << exponent).min(BACKOFF_CAP_SECONDS))
}

/// One pass: sends every due pending row; returns how many were sent.
///
/// A delivery failure is recorded on its row (and logged); it is not an error of the pass.
/// Errors are for the database and for invalid settings (`mail_from`, `smtp_url`,
/// an unwritable `mail_dir`), which leave every row as it was.
pub async fn deliver_due(db: &DatabaseConnection, config: &AppConfig) -> AppResult<usize> {
    let from: Mailbox = config
        .mail_from
        .parse()
        .map_err(|e| AppError::Internal(format!("mail_from inválido: {e}")))?;
    let mut transport: Option<Transport> = None;
    let mut sent = 0;
    let mut cursor = 0_i64;
    loop {
        let due = outbox::Entity::find()
            .filter(outbox::Column::Status.eq(OutboxStatus::Pending))
            .filter(outbox::Column::NextAttemptAt.lte(crate::time::now()))
            .filter(outbox::Column::Id.gt(cursor))
            .order_by_asc(outbox::Column::Id)
            .limit(BATCH)
            .all(db)
            .await?;
        if due.is_empty() {
            return Ok(sent);
        }
        let transport = match transport {
            Some(ref open) => open,
            None => transport.insert(Transport::open(config).await?),
        };
        for row in due {
            cursor = row.id;
            if !claim(db, &row).await? {
                continue;
            }
            let outcome = match build_message(&from, &row) {
                Ok(message) => transport.send(message).await,
                Err(reason) => Err(Failure::Permanent(reason)),
            };
            match outcome {
                Ok(()) => {
                    mark_sent(db, &row).await?;
                    tracing::info!(
                        outbox_id = row.id,
                        attempt = row.attempts + 1,
                        "correo enviado"
                    );
                    sent += 1;
                }
                Err(failure) => {
                    record_failure(db, &row, &failure).await?;
                    if matches!(failure, Failure::Unreachable(_)) {
                        return Ok(sent);
                    }
                }
            }
        }
    }
}

/// Reserves `row` for this worker; false when another worker got it first.
async fn claim(db: &DatabaseConnection, row: &outbox::Model) -> AppResult<bool> {
    let lease_until = crate::time::now() + Duration::seconds(LEASE_SECONDS);
    let result = outbox::Entity::update_many()
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(lease_until))
        .filter(outbox::Column::Id.eq(row.id))
        .filter(outbox::Column::Status.eq(OutboxStatus::Pending))
        .filter(outbox::Column::NextAttemptAt.eq(row.next_attempt_at))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

async fn mark_sent(db: &DatabaseConnection, row: &outbox::Model) -> AppResult<()> {
    let now = crate::time::now();
    outbox::Entity::update_many()
        .col_expr(
            outbox::Column::Status,
            Expr::value(OutboxStatus::Sent.as_str()),
        )
        .col_expr(outbox::Column::Attempts, Expr::value(row.attempts + 1))
        .col_expr(outbox::Column::SentAt, Expr::value(Some(now)))
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(now))
        .filter(outbox::Column::Id.eq(row.id))
        .exec(db)
        .await?;
    Ok(())
}

async fn record_failure(
    db: &DatabaseConnection,
    row: &outbox::Model,
    failure: &Failure,
) -> AppResult<()> {
    let attempts = row.attempts + 1;
    let now = crate::time::now();
    let (status, next_attempt_at, reason) = match failure {
        Failure::Permanent(reason) => {
            tracing::error!(
                outbox_id = row.id,
                attempts,
                error = %reason,
                "correo rechazado de forma permanente; queda como fallido"
            );
            (OutboxStatus::Failed, now, reason)
        }
        Failure::Transient(reason) | Failure::Unreachable(reason) => {
            let wait = backoff(attempts);
            tracing::warn!(
                outbox_id = row.id,
                attempts,
                retry_in_seconds = wait.num_seconds(),
                error = %reason,
                "no se pudo enviar el correo; se reintentará"
            );
            (OutboxStatus::Pending, now + wait, reason)
        }
    };
    let reason: String = reason.chars().take(MAX_ERROR_CHARS).collect();
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(status.as_str()))
        .col_expr(outbox::Column::Attempts, Expr::value(attempts))
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(next_attempt_at))
        .col_expr(outbox::Column::LastError, Expr::value(Some(reason)))
        .filter(outbox::Column::Id.eq(row.id))
        .exec(db)
        .await?;
    Ok(())
}

/// Why an attempt failed, and so what happens next.
enum Failure {
    /// The server refused this message for now (4xx): retry later, go on with the others.
    Transient(String),
    /// No answer (connection, TLS, timeout, file system) or a configuration problem: retry
    /// later and end this pass.
    Unreachable(String),
    /// The server refused this message for good (5xx), or it cannot be built: `failed`.
    Permanent(String),
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>),
}

impl Transport {
    async fn open(config: &AppConfig) -> AppResult<Self> {
        let url = config.smtp_url.trim();
        if url.is_empty() {
            tokio::fs::create_dir_all(&config.mail_dir)
                .await
                .map_err(|e| {
                    AppError::Internal(format!(
                        "mail_dir {}: no se pudo crear: {e}",
                        config.mail_dir.display()
                    ))
                })?;
            return Ok(Transport::Files(AsyncFileTransport::new(&config.mail_dir)));
        }
        // The URL may hold a password: it never goes into an error or a log line.
        let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| AppError::Internal(format!("smtp_url inválida: {e}")))?;
        Ok(Transport::Smtp(builder.build()))
    }

    async fn send(&self, message: Message) -> Result<(), Failure> {
        match self {
            Transport::Smtp(smtp) => smtp.send(message).await.map(drop).map_err(|e| {
                let reason = describe(&e);
                let auth = e
                    .status()
                    .is_some_and(|code| AUTH_CODES.contains(&code.to_string().as_str()));
                if e.is_permanent() && !auth {
                    Failure::Permanent(reason)
                } else if e.is_transient() {
                    Failure::Transient(reason)
                } else {
                    Failure::Unreachable(reason)
                }
            }),
            Transport::Files(files) => files
                .send(message)
                .await
                .map(drop)
                .map_err(|e| Failure::Unreachable(describe(&e))),
        }
    }
}

/// An error and its causes on one line.
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// The MIME message of a row: text and HTML as alternatives, attachments after them.
fn build_message(from: &Mailbox, row: &outbox::Model) -> Result<Message, String> {
    let to: Mailbox = row
        .recipient
        .parse()
        .map_err(|e| format!("destinatario inválido: {e}"))?;
    let body = MultiPart::alternative_plain_html(row.body_text.clone(), row.body_html.clone());
    let builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(row.subject.clone())
        .message_id(Some(message_id(from, row.id, row.created_at)));
    let attachments: Vec<StoredAttachment> = match &row.attachments_json {
        Some(json) => serde_json::from_str(json).map_err(|e| format!("adjuntos: {e}"))?,
        None => Vec::new(),
    };
    let message = if attachments.is_empty() {
        builder.multipart(body)
    } else {
        let mut mixed = MultiPart::mixed().multipart(body);
        for stored in &attachments {
            let (content, content_type) = stored.decode()?;
            mixed = mixed
                .singlepart(Attachment::new(stored.filename.clone()).body(content, content_type));
        }
        builder.multipart(mixed)
    };
    message.map_err(|e| format!("mensaje inválido: {e}"))
}

/// Stable per row, so a message sent twice (a worker died between sending and recording)
/// carries the same Message-ID and mail clients show it once.
fn message_id(from: &Mailbox, id: i64, created_at: DateTime<Utc>) -> String {
    format!(
        "<outbox.{id}.{}@{}>",
        created_at.timestamp_micros(),
        from.email.domain()
    )
}

/// Calls [`deliver_due`] every `mail_poll_seconds` until `stop` completes (the web layer
/// passes Rocket's shutdown). With `mail_poll_seconds = 0` it returns at once.
pub async fn deliver_until(
    db: DatabaseConnection,
    config: AppConfig,
    stop: impl std::future::Future<Output = ()> + Send,
) {
    if config.mail_poll_seconds == 0 {
        tracing::info!("correo saliente desactivado (mail_poll_seconds = 0)");
        return;
    }
    let period = std::time::Duration::from_secs(config.mail_poll_seconds);
    tokio::pin!(stop);
    loop {
        match deliver_due(&db, &config).await {
            Ok(0) => {}
            Ok(sent) => tracing::info!(sent, "correos enviados"),
            Err(e) => tracing::error!(error = %e, "correo saliente: la pasada falló"),
        }
        tokio::select! {
            _ = &mut stop => return,
            _ = tokio::time::sleep(period) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_thirty_seconds_up_to_an_hour() {
        let seconds: Vec<i64> = (0..=10).map(|n| backoff(n).num_seconds()).collect();
        assert_eq!(
            seconds,
            [30, 30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]
        );
        assert_eq!(backoff(i32::MAX).num_seconds(), 3600);
    }
}
