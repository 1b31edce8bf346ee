//! Operations (issue 34): `/ready` for load balancers, `/metrics` for Prometheus, and what they
//! read — the requests counted per route by the [`Metrics`] fairing, the instance's name and
//! whether it is shutting down.

use super::ClientAddress;
use domain::config::AppConfig;
use domain::metrics::{Histogram, label, line};
use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{ContentType, Status};
use rocket::serde::json::Json;
use rocket::{Request, Response, State, get};
use sea_orm::{DatabaseConnection, DbBackend};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// This app instance: its name (in `job_leases`, `/metrics` and the logs) and whether a
/// shutdown has begun (then `/ready` answers 503 so a balancer sends no new work).
pub struct Instance {
    pub id: String,
    draining: AtomicBool,
}

impl Instance {
    pub fn new(id: String) -> Self {
        Instance {
            id,
            draining: AtomicBool::new(false),
        }
    }

    pub fn drain(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    pub fn draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }
}

/// Requests answered per route (the mounted route's pattern, so `/cohortes/<id>` counts once
/// whatever the id): counts per status and a latency histogram.
#[derive(Default)]
pub struct RouteMetrics {
    routes: Mutex<HashMap<(String, String), RouteStats>>,
}

#[derive(Default)]
struct RouteStats {
    statuses: BTreeMap<u16, u64>,
    latency: Histogram,
}

impl RouteMetrics {
    fn record(&self, method: &str, route: &str, status: u16, elapsed: std::time::Duration) {
        let mut routes = self
            .routes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let stats = routes
            .entry((method.to_string(), route.to_string()))
            .or_default();
        *stats.statuses.entry(status).or_default() += 1;
        stats.latency.observe(elapsed);
    }

    fn write(&self, out: &mut String) {
        let routes = self
            .routes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut keys: Vec<&(String, String)> = routes.keys().collect();
        keys.sort();
        out.push_str(
            "# HELP aula_http_requests_total Solicitudes respondidas, por método, ruta y estado.\n\
             # TYPE aula_http_requests_total counter\n",
        );
        for key in &keys {
            let (method, route) = key;
            for (status, count) in &routes[*key].statuses {
                line(
                    out,
                    format_args!(
                        "aula_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {count}",
                        label(route)
                    ),
                );
            }
        }
        out.push_str(
            "# HELP aula_http_request_duration_seconds Tiempo de respuesta, por método y ruta.\n\
             # TYPE aula_http_request_duration_seconds histogram\n",
        );
        for key in &keys {
            let (method, route) = key;
            routes[*key].latency.write(
                out,
                "aula_http_request_duration_seconds",
                &format!("method=\"{method}\",route=\"{}\"", label(route)),
            );
        }
    }
}

/// Counts every answer in [`RouteMetrics`] (its time measured from the request's arrival, as
/// the request log does).
pub struct Metrics;

#[rocket::async_trait]
impl Fairing for Metrics {
    fn info(&self) -> Info {
        Info {
            name: "request metrics",
            kind: Kind::Request | Kind::Response,
        }
    }

    async fn on_request(&self, request: &mut Request<'_>, _: &mut rocket::Data<'_>) {
        request.local_cache(|| super::request::Started(std::time::Instant::now()));
    }

    async fn on_response<'r>(&self, request: &'r Request<'_>, response: &mut Response<'r>) {
        let started = request.local_cache(|| super::request::Started(std::time::Instant::now()));
        let Some(metrics) = request.rocket().state::<RouteMetrics>() else {
            return;
        };
        let route = request
            .route()
            .map_or_else(|| "unmatched".to_string(), |r| r.uri.to_string());
        metrics.record(
            request.method().as_str(),
            &route,
            response.status().code,
            started.0.elapsed(),
        );
    }
}

/// What the readiness check answers.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Ready {
    /// `ok` or `error`.
    #[schema(example = "ok")]
    status: &'static str,
    /// `ok`, or a Spanish note when the database does not answer.
    #[schema(example = "ok")]
    database: String,
    /// `ok`, or a Spanish note when the schema is not this version's.
    #[schema(example = "ok")]
    migrations: String,
}

/// Readiness check for load balancers
///
/// Public. 200 when the database answers and every migration of this version is applied;
/// 503 with `Retry-After` otherwise, and while the instance shuts down (requests in flight
/// still finish). `/health` only says the process runs. Mounted at `/ready`, outside
/// `/api/v1`.
///
/// **Extension** (not in api-v1.md's list of resources; its Operations section): operational
/// endpoint for load balancers and deployments.
#[utoipa::path(
    tag = "operations",
    operation_id = "ready",
    security(()),
    servers((url = "/", description = "Served at the site root, not under /api/v1.")),
    responses(
        (status = 200, description = "Ready to serve.", body = Ready),
        (status = 503, description = "Not ready: the database does not answer, migrations are pending, or the instance shuts down. `Retry-After` says when to ask again.",
            body = Ready,
            headers(("Retry-After" = u64, description = "Seconds to wait before asking again.")),
            example = json!({"status": "error", "database": "ok", "migrations": "faltan 1 migraciones por aplicar"})),
    )
)]
#[get("/ready")]
pub async fn ready(
    db: &State<DatabaseConnection>,
    instance: &State<Instance>,
) -> (Status, Json<Ready>) {
    let not_ready = |database: &str, migrations: &str| {
        (
            Status::ServiceUnavailable,
            Json(Ready {
                status: "error",
                database: database.to_string(),
                migrations: migrations.to_string(),
            }),
        )
    };
    if let Err(e) = db.ping().await {
        tracing::error!(error = %e, "readiness: database unreachable");
        return not_ready("no responde", "sin verificar");
    }
    match domain::db::pending_migrations(db).await {
        Ok(0) => {}
        Ok(n) => return not_ready("ok", &format!("faltan {n} migraciones por aplicar")),
        Err(e) => {
            tracing::error!(error = %e, "readiness: migrations not readable");
            return not_ready("ok", "no se pudieron leer o no son de esta versión");
        }
    }
    if instance.draining() {
        return (
            Status::ServiceUnavailable,
            Json(Ready {
                status: "error",
                database: "ok".into(),
                migrations: "ok (la instancia se está deteniendo)".into(),
            }),
        );
    }
    (
        Status::Ok,
        Json(Ready {
            status: "ok",
            database: "ok".into(),
            migrations: "ok".into(),
        }),
    )
}

/// `GET /metrics`: Prometheus text format, only to clients in `metrics_allowed` (404
/// elsewhere, as if there were no such page).
#[get("/metrics")]
pub async fn metrics(
    client: ClientAddress,
    config: &State<AppConfig>,
    db: &State<DatabaseConnection>,
    routes: &State<RouteMetrics>,
    instance: &State<Instance>,
) -> Result<(ContentType, String), Status> {
    let allowed = client
        .0
        .is_some_and(|ip| config.metrics_allowed.iter().any(|net| net.contains(ip)));
    if !allowed {
        return Err(Status::NotFound);
    }
    let mut out = String::with_capacity(16 * 1024);
    line(
        &mut out,
        format_args!(
            "# HELP aula_instance_info Esta instancia de la aplicación.\n\
         # TYPE aula_instance_info gauge\n\
         aula_instance_info{{instance=\"{}\",version=\"{}\"}} 1",
            label(&instance.id),
            env!("CARGO_PKG_VERSION")
        ),
    );
    routes.write(&mut out);
    outbox_lines(db, &mut out).await;
    bank_lines(db, config, &mut out).await;
    out.push_str(
        "# HELP aula_figures_flush_seconds Tiempo de poner al día las cifras en cada transacción que las cambió.\n\
         # TYPE aula_figures_flush_seconds histogram\n",
    );
    domain::metrics::FIGURES_FLUSH.write(&mut out, "aula_figures_flush_seconds", "");
    line(
        &mut out,
        format_args!(
            "# HELP aula_sqlite_group_commits_total Confirmaciones (COMMIT) de grupos de escrituras en SQLite.\n\
         # TYPE aula_sqlite_group_commits_total counter\n\
         aula_sqlite_group_commits_total {}\n\
         # HELP aula_sqlite_group_writes_total Transacciones de escritura confirmadas dentro de esos grupos.\n\
         # TYPE aula_sqlite_group_writes_total counter\n\
         aula_sqlite_group_writes_total {}",
            domain::metrics::GROUP_COMMITS.load(std::sync::atomic::Ordering::Relaxed),
            domain::metrics::GROUP_MEMBERS.load(std::sync::atomic::Ordering::Relaxed)
        ),
    );
    pool_lines(db, &mut out);
    let held = domain::instances::lease_holder(db, domain::jobs::LEASE)
        .await
        .ok()
        .flatten()
        .is_some_and(|holder| holder == instance.id);
    line(
        &mut out,
        format_args!(
            "# HELP aula_job_lease_held 1 si esta instancia ejecuta el trabajo periódico.\n\
         # TYPE aula_job_lease_held gauge\n\
         aula_job_lease_held{{job=\"{}\"}} {}",
            domain::jobs::LEASE,
            u8::from(held)
        ),
    );
    Ok((
        ContentType::new("text", "plain").with_params([("version", "0.0.4"), ("charset", "utf-8")]),
        out,
    ))
}

/// The knowledge bank's storage (issue 62): bytes of files in use per provider, their total
/// and the quota per provider.
async fn bank_lines(db: &DatabaseConnection, config: &AppConfig, out: &mut String) {
    let storage = domain::knowledge::storage::Storage::of(config);
    let usage = match domain::knowledge::storage::usage(db, &storage, None).await {
        Ok(usage) => usage,
        Err(e) => {
            tracing::warn!(error = %e, "metrics: bank storage not measured");
            return;
        }
    };
    out.push_str(
        "# HELP aula_bank_bytes Bytes de los archivos del banco de conocimiento, por oferente.\n\
         # TYPE aula_bank_bytes gauge\n",
    );
    for provider in &usage {
        line(
            out,
            format_args!(
                "aula_bank_bytes{{provider_id=\"{}\"}} {}",
                provider.provider_id, provider.bytes
            ),
        );
    }
    line(
        out,
        format_args!(
            "# HELP aula_bank_bytes_total Bytes de todos los archivos del banco de conocimiento.\n\
             # TYPE aula_bank_bytes_total gauge\n\
             aula_bank_bytes_total {}\n\
             # HELP aula_bank_quota_bytes Cuota de almacenamiento del banco por oferente.\n\
             # TYPE aula_bank_quota_bytes gauge\n\
             aula_bank_quota_bytes {}",
            usage.iter().map(|u| u.bytes).sum::<i64>(),
            storage.quota_bytes
        ),
    );
}

/// Emails waiting and failed in the outbox (of the whole deployment: the outbox is shared).
async fn outbox_lines(db: &DatabaseConnection, out: &mut String) {
    use domain::entities::values::OutboxStatus;
    out.push_str(
        "# HELP aula_outbox_emails Correos de la bandeja de salida, por estado.\n\
         # TYPE aula_outbox_emails gauge\n",
    );
    for (status, name) in [
        (OutboxStatus::Pending, "pending"),
        (OutboxStatus::Failed, "failed"),
    ] {
        match domain::accounts::outbox::count(db, status).await {
            Ok(n) => {
                line(
                    out,
                    format_args!("aula_outbox_emails{{status=\"{name}\"}} {n}"),
                );
            }
            Err(e) => tracing::warn!(error = %e, "metrics: outbox not counted"),
        }
    }
}

/// The connection pool: connections open, in use and the most it opens.
fn pool_lines(db: &DatabaseConnection, out: &mut String) {
    let (size, idle, max) = match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            )
        }
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            )
        }
        _ => return,
    };
    let idle = u32::try_from(idle).unwrap_or(size).min(size);
    line(
        out,
        format_args!(
            "# HELP aula_db_pool_connections Conexiones a la base de datos de esta instancia.\n\
         # TYPE aula_db_pool_connections gauge\n\
         aula_db_pool_connections{{state=\"in_use\"}} {}\n\
         aula_db_pool_connections{{state=\"idle\"}} {idle}\n\
         # HELP aula_db_pool_max_connections Conexiones que la instancia abre como máximo.\n\
         # TYPE aula_db_pool_max_connections gauge\n\
         aula_db_pool_max_connections {max}",
            size - idle
        ),
    );
}
