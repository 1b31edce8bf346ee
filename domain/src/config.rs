//! Settings of the product, read from `Rocket.toml` and `ROCKET_*` variables through Rocket's
//! own figment (the one configuration system; the web layer's `config::figment` gives it).

use figment::Figment;
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Clone, Debug, Deserialize)]
pub struct AppConfig {
    pub database_url: String,
    #[serde(default)]
    pub demo_data: bool,
    #[serde(default = "default_public_url")]
    pub public_url: String,
    #[serde(default = "default_mail_from")]
    pub mail_from: String,
    #[serde(default)]
    pub smtp_url: String,
    #[serde(default = "default_mail_dir")]
    pub mail_dir: PathBuf,
    /// Seconds between two passes of the outbox worker.
    #[serde(default = "default_mail_poll_seconds")]
    pub mail_poll_seconds: u64,
    /// Seconds between runs of the periodic jobs (session reminders); 0 turns them off.
    #[serde(default = "default_jobs_poll_seconds")]
    pub jobs_poll_seconds: u64,
    /// Seconds the dashboards' figures are kept before being recomputed in the background;
    /// 0 computes them on every visit.
    #[serde(default = "default_dashboard_cache_seconds")]
    pub dashboard_cache_seconds: u64,
    /// Reverse proxies / load balancers (IPs or CIDR networks) whose `X-Forwarded-For` and
    /// `X-Real-IP` headers are believed; empty: the client address is the socket's peer.
    #[serde(default)]
    pub trusted_proxies: Vec<crate::network::Network>,
    /// Seconds a request waits for a database lock (SQLite's busy timeout, PostgreSQL's
    /// `lock_timeout`) before it is answered 503 with `Retry-After`.
    #[serde(default = "default_database_busy_seconds")]
    pub database_busy_seconds: u64,
    /// The Ed25519 key that signs verifiable credentials (a secret Multikey, `z3u2…`):
    /// generated here on first start, readable by its owner only. Back it up with the
    /// database.
    #[serde(default = "default_credentials_key_file")]
    pub credentials_key_file: PathBuf,
    /// Public keys (`z6Mk…`) of earlier signing keys, still published in the DID document so
    /// credentials signed with them keep verifying after a rotation.
    #[serde(default)]
    pub credentials_previous_keys: Vec<String>,
}

fn default_credentials_key_file() -> PathBuf {
    PathBuf::from("data/credentials-key")
}

fn default_database_busy_seconds() -> u64 {
    crate::db::DEFAULT_BUSY_SECONDS
}

fn default_dashboard_cache_seconds() -> u64 {
    300
}

fn default_jobs_poll_seconds() -> u64 {
    600
}

fn default_mail_poll_seconds() -> u64 {
    5
}

fn default_public_url() -> String {
    "http://127.0.0.1:8000".into()
}
fn default_mail_from() -> String {
    "Aula Territorial ESAP <no-responder@aulaterritorial.example>".into()
}
fn default_mail_dir() -> PathBuf {
    PathBuf::from("data/mail")
}

impl AppConfig {
    pub fn from_figment(figment: &Figment) -> Result<Self, crate::error::AppError> {
        figment
            .extract()
            .map_err(|e| crate::error::AppError::Internal(format!("configuración inválida: {e}")))
    }
}
