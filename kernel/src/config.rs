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
    /// Years without any activity (no enrolment, attendance, sign-in, certificate, change)
    /// after which the periodic jobs anonymise a person, as an accepted supresión does
    /// (habeas data, issue 67; Ley 1581 de 2012, principle of limited retention). 0 turns
    /// the retention job off.
    #[serde(default = "default_retention_years")]
    pub retention_years: u32,
    /// Milliseconds the figures worker waits after a write before it recomputes the figures
    /// of every write made meanwhile (issue 50: the figures off the write path; a report shows
    /// a write within the bound DECISIONS states). 0: no worker, every writing transaction
    /// recomputes its own figures before it commits (the command line always does).
    #[serde(default = "default_figures_delay_ms")]
    pub figures_delay_ms: u64,
    /// Seconds the dashboards' figures are kept before being recomputed in the background;
    /// 0 computes them on every visit.
    #[serde(default = "default_dashboard_cache_seconds")]
    pub dashboard_cache_seconds: u64,
    /// Milliseconds during which a kept page computed for an older version is still served,
    /// even to the visitor who finds it so (issue 50: under a burst of writes nobody waits for
    /// a page's computation): as it is for half of them, then while one background task
    /// recomputes it. A page older than this is recomputed by its visitor. 0: every visitor who
    /// finds a stale page and nobody recomputing it waits for the new one. Only a move of the
    /// figures alone (the figures worker's, after a cohort's desk) gets it (issue 61).
    #[serde(default = "default_kept_grace_ms")]
    pub kept_grace_ms: u64,
    /// Reverse proxies / load balancers (IPs or CIDR networks) whose `X-Forwarded-For`,
    /// `Forwarded` and `X-Real-IP` headers are believed (`network::client_address`); empty: the
    /// client address is the socket's peer.
    #[serde(default)]
    pub trusted_proxies: Vec<crate::network::Network>,
    /// Seconds a request waits for a database lock (SQLite's busy timeout, PostgreSQL's
    /// `lock_timeout`) before it is answered 503 with `Retry-After`.
    #[serde(default = "default_database_busy_seconds")]
    pub database_busy_seconds: u64,
    /// The most database connections this instance opens (at least 2); unset: 8 on SQLite, 24
    /// on PostgreSQL. On PostgreSQL every instance's pool counts against the server's
    /// `max_connections` (100 by default) with the backups and the operators' tools.
    #[serde(default)]
    pub database_connections: Option<u32>,
    /// A file holding an Ed25519 key (a secret Multikey, `z3u2…`) to import into a database
    /// that holds no signing key yet; the key that signs lives in `credentials_keys` (see
    /// `credentials::keys::ensure_stored`).
    #[serde(default = "default_credentials_key_file")]
    pub credentials_key_file: PathBuf,
    /// Public keys (`z6Mk…`) of earlier signing keys, still published in the DID document so
    /// credentials signed with them keep verifying after a rotation.
    #[serde(default)]
    pub credentials_previous_keys: Vec<String>,
    /// Networks from which `/metrics` answers (the client address as `trusted_proxies` tells
    /// it); anywhere else it is a 404.
    #[serde(default = "default_metrics_allowed")]
    pub metrics_allowed: Vec<crate::network::Network>,
    /// `text` (one readable line per event) or `json` (one JSON object per line, for a log
    /// collector). `RUST_LOG` filters either.
    #[serde(default)]
    pub log_format: LogFormat,
    /// How many people trained one technical assistance counts as in «¿Dónde formar?»'s
    /// «little received» (issue 49), 1 to 100; default 5 (used by `indicators::priorities`).
    #[serde(default = "default_priority_assistance_weight")]
    pub priority_assistance_weight: i64,
    /// Issue 62, item 2: a replica of more people than this waits for a coordinator's review
    /// before it counts (1 to 500; default 60, used by `trainers::review`).
    #[serde(default = "default_replica_review_attendees")]
    pub replica_review_attendees: i64,
    /// Issue 62, item 2: a replica that takes a replicator's people of the last 30 days beyond
    /// this waits for a coordinator's review before it counts (1 to 100,000; default 150).
    #[serde(default = "default_replica_review_monthly")]
    pub replica_review_monthly: i64,
    /// The knowledge bank's storage per provider, in MiB (issue 62): files beyond it are
    /// refused 413 naming the quota.
    #[serde(default = "default_bank_quota_mib")]
    pub bank_quota_mib: u64,
    /// Files one account may add to the knowledge bank in an hour (issue 62); beyond, 429.
    #[serde(default = "default_bank_uploads_per_hour")]
    pub bank_uploads_per_hour: u64,
    /// Where the knowledge bank keeps new files (issue 62): unset, in the database (every
    /// instance reads them); set, under this folder, which every instance must share.
    #[serde(default)]
    pub files_dir: Option<PathBuf>,
    /// Who signs ESAP's certificates (issue 61): the name printed under the signature rule;
    /// empty (the default) prints the position alone. Another provider's certificates are
    /// signed «Coordinación de formación» of that provider (`certificates::issue::signer`).
    #[serde(default)]
    pub certificate_signer_name: String,
    /// The signer's position, printed under the name; default «Director(a) Nacional».
    #[serde(default = "default_certificate_signer_position")]
    pub certificate_signer_position: String,
    /// The entity that runs this installation, as every page's institutional footer and the
    /// site pages (`/accesibilidad`, `/transparencia`, `/politica-de-datos`) name it (issue
    /// 67, Resolución MinTIC 1519 de 2020, Anexo 2): `[default.entity]` in `Rocket.toml`, or
    /// `ROCKET_ENTITY={name="…",…}`. Every field left out keeps ESAP's value.
    #[serde(default)]
    pub entity: Entity,
}

/// The entity's public contact data (issue 67): what the footer of every page shows and the
/// site pages cite. Defaults: ESAP's headquarters in Bogotá (see docs/DECISIONS.md, «A GOV.CO
/// site»: the values to confirm before a production installation).
#[derive(Clone, Debug, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(default)]
pub struct Entity {
    /// The entity's full name, as the footer and the data-treatment policy name the
    /// responsible party.
    pub name: String,
    /// Its NIT (the policy names the responsible party with it); empty leaves it out.
    pub nit: String,
    /// The headquarters' street address.
    pub address: String,
    /// Municipality and department of the address.
    pub city: String,
    /// Opening hours of the service to citizens.
    pub hours: String,
    /// The switchboard (conmutador).
    pub phone: String,
    /// The free national line; empty leaves it out (the footer then names the switchboard
    /// alone).
    pub toll_free: String,
    /// The mailbox for judicial notifications and for data requests (Ley 1581).
    pub email: String,
    /// Where PQRSD (peticiones, quejas, reclamos, sugerencias y denuncias) are filed.
    pub pqrsd_url: String,
    /// The entity's website.
    pub website: String,
    /// The entity's own «Transparencia y acceso a la información pública» section.
    pub transparency_url: String,
}

impl Default for Entity {
    fn default() -> Self {
        Entity {
            name: "Escuela Superior de Administración Pública – ESAP".into(),
            nit: String::new(),
            address: "Calle 44 # 53-37, Centro Administrativo Nacional (CAN)".into(),
            city: "Bogotá, D. C., Colombia".into(),
            hours: "Lunes a viernes, de 8:00 a. m. a 5:00 p. m.".into(),
            phone: "(601) 220 2790".into(),
            toll_free: String::new(),
            email: "notificacionesjudiciales@esap.edu.co".into(),
            pqrsd_url: "https://www.esap.edu.co/esap/organigrama/subdireccion-nacional-de-gestion-corporativa/direccion-de-atencion-al-ciudadano/pqrsd".into(),
            website: "https://www.esap.edu.co".into(),
            transparency_url: "https://www.esap.edu.co/transparencia".into(),
        }
    }
}

fn default_certificate_signer_position() -> String {
    "Director(a) Nacional".into()
}

fn default_bank_quota_mib() -> u64 {
    DEFAULT_BANK_QUOTA_MIB
}

fn default_bank_uploads_per_hour() -> u64 {
    DEFAULT_BANK_UPLOADS_PER_HOUR
}

fn default_replica_review_attendees() -> i64 {
    ReplicaReviewBounds::DEFAULT.per_replica
}

fn default_replica_review_monthly() -> i64 {
    ReplicaReviewBounds::DEFAULT.per_month
}

fn default_priority_assistance_weight() -> i64 {
    DEFAULT_PRIORITY_ASSISTANCE_WEIGHT
}

/// The knowledge bank's default quota per provider, MiB (`bank_quota_mib`).
pub const DEFAULT_BANK_QUOTA_MIB: u64 = 500;
/// The default number of files one account adds to the bank in an hour.
pub const DEFAULT_BANK_UPLOADS_PER_HOUR: u64 = 20;
/// How many people trained one technical assistance counts as in «¿Dónde formar?», by default.
pub const DEFAULT_PRIORITY_ASSISTANCE_WEIGHT: i64 = 5;
/// The bounds of `priority_assistance_weight`.
pub const PRIORITY_ASSISTANCE_WEIGHTS: std::ops::RangeInclusive<i64> = 1..=100;
/// The most people a replica reaches (a count, or named attendees): also the most
/// `replica_review_attendees` can say.
pub const REPLICA_MAX_ATTENDEES: i64 = 500;

/// The bounds within which a replica counts without review.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplicaReviewBounds {
    /// People in one replica.
    pub per_replica: i64,
    /// People of one replicator's replicas recorded in 30 days (`trainers::review::WINDOW_DAYS`).
    pub per_month: i64,
}

impl Default for ReplicaReviewBounds {
    fn default() -> Self {
        ReplicaReviewBounds::DEFAULT
    }
}

impl ReplicaReviewBounds {
    /// The defaults: 60 people per replica, 150 per replicator in 30 days.
    pub const DEFAULT: ReplicaReviewBounds = ReplicaReviewBounds {
        per_replica: 60,
        per_month: 150,
    };

    /// The bounds the settings give.
    pub fn of(config: &AppConfig) -> Self {
        ReplicaReviewBounds {
            per_replica: config.replica_review_attendees,
            per_month: config.replica_review_monthly,
        }
    }

    /// Whether the settings are usable: per replica 1 to 500 (a replica's most), per month 1
    /// to 100,000.
    pub fn check(&self) -> Result<(), String> {
        if !(1..=REPLICA_MAX_ATTENDEES).contains(&self.per_replica) {
            return Err(format!(
                "replica_review_attendees debe estar entre 1 y {} (es {})",
                REPLICA_MAX_ATTENDEES, self.per_replica
            ));
        }
        if !(1..=100_000).contains(&self.per_month) {
            return Err(format!(
                "replica_review_monthly debe estar entre 1 y 100000 (es {})",
                self.per_month
            ));
        }
        Ok(())
    }
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

fn default_metrics_allowed() -> Vec<crate::network::Network> {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    vec![
        crate::network::Network::host(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        crate::network::Network::host(IpAddr::V6(Ipv6Addr::LOCALHOST)),
    ]
}

fn default_credentials_key_file() -> PathBuf {
    PathBuf::from("data/credentials-key")
}

fn default_database_busy_seconds() -> u64 {
    crate::db::DEFAULT_BUSY_SECONDS
}

fn default_figures_delay_ms() -> u64 {
    500
}

fn default_kept_grace_ms() -> u64 {
    // Issue 61: others read a write within about 2 s (the worker's window and flush, then
    // half the grace); only the figures worker's moves get it (`web::page`).
    2_000
}

fn default_dashboard_cache_seconds() -> u64 {
    300
}

fn default_retention_years() -> u32 {
    5
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

/// Why `public_url` cannot be where this server is reached, when that can be told: it names
/// this machine (loopback) on another port than the one the server listens on, so QR codes
/// and emails would point at the wrong place. A public host (behind a proxy) cannot be
/// checked from here and gives `None`.
pub fn public_url_mismatch(public_url: &str, address: &str, port: u16) -> Option<String> {
    let (scheme, rest) = public_url.split_once("://")?;
    let authority = rest.split('/').next().unwrap_or("");
    // `[::1]:8000` (IPv6 in brackets) or `host:8000`.
    let (host, port_text) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (host, after) = v6.split_once(']').unwrap_or((v6, ""));
            (host, after.strip_prefix(':'))
        }
        None => match authority.split_once(':') {
            Some((host, p)) => (host, Some(p)),
            None => (authority, None),
        },
    };
    let given_port = port_text.and_then(|p| p.parse::<u16>().ok());
    let loopback = matches!(host, "127.0.0.1" | "localhost" | "::1" | "0.0.0.0");
    if !loopback {
        return None;
    }
    let url_port = given_port.unwrap_or(if scheme == "https" { 443 } else { 80 });
    (url_port != port).then(|| {
        format!(
            "public_url ({public_url}) apunta al puerto {url_port} de esta máquina, pero el \
             servidor escucha en {address}:{port}: los códigos QR, los correos y las credenciales \
             apuntarán a otro lugar. Ajuste public_url (ROCKET_PUBLIC_URL)."
        )
    })
}

impl AppConfig {
    pub fn from_figment(figment: &Figment) -> Result<Self, crate::error::AppError> {
        let config: AppConfig = figment.extract().map_err(|e| {
            crate::error::AppError::Internal(format!("configuración inválida: {e}"))
        })?;
        let weights = PRIORITY_ASSISTANCE_WEIGHTS;
        if !weights.contains(&config.priority_assistance_weight) {
            return Err(crate::error::AppError::Internal(format!(
                "configuración inválida: priority_assistance_weight debe estar entre {} y {} \
                 (es {})",
                weights.start(),
                weights.end(),
                config.priority_assistance_weight
            )));
        }
        ReplicaReviewBounds::of(&config).check().map_err(|e| {
            crate::error::AppError::Internal(format!("configuración inválida: {e}"))
        })?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::public_url_mismatch;

    #[test]
    fn a_public_url_on_another_local_port_is_told() {
        assert!(public_url_mismatch("http://127.0.0.1:8000", "127.0.0.1", 8765).is_some());
        assert!(public_url_mismatch("http://localhost:8000/", "0.0.0.0", 8000).is_none());
        assert!(public_url_mismatch("http://127.0.0.1", "127.0.0.1", 8000).is_some());
        assert!(public_url_mismatch("http://127.0.0.1", "127.0.0.1", 80).is_none());
        assert!(public_url_mismatch("https://aula.esap.edu.co", "127.0.0.1", 8000).is_none());
        assert!(public_url_mismatch("sin esquema", "127.0.0.1", 8000).is_none());
        assert!(public_url_mismatch("http://[::1]:8000", "::1", 8001).is_some());
        assert!(public_url_mismatch("http://[::1]:8000", "::1", 8000).is_none());
        let message = public_url_mismatch("http://127.0.0.1:8000", "127.0.0.1", 9000).unwrap();
        assert!(
            message.contains("8000") && message.contains("9000"),
            "{message}"
        );
    }
}
