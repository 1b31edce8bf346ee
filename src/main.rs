//! `aula-territorial [serve|migrate|seed [--demo]|create-user ...|openapi|rebuild-figures|rotate-lti-key|
//! backup --to FILE|restore --from FILE]`

use domain::accounts::{self, NewUser};
use domain::config::AppConfig;
use domain::entities::values::Role;
use domain::error::AppError;
use domain::{db, demo, reference_data};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "Uso:
  aula-territorial [serve]            inicia el servidor (por defecto)
  aula-territorial migrate            aplica las migraciones
  aula-territorial seed [--demo]      carga los datos de referencia (y los de demostración)
  aula-territorial seed --synthetic national [--scale 0.01] [--seed 2026]
                                      genera datos sintéticos de tamaño nacional (reproducibles)
  aula-territorial seed --synthetic accounts --departments N --per-department M --out ARCHIVO
                                      da cuenta y token de API a personas sintéticas (pruebas de
                                      carga); escribe token, persona, municipio y departamento
  aula-territorial create-user --role ROL --email CORREO --password CLAVE
                   [--full-name NOMBRE] [--department CODIGO_DANE] [--municipality CODIGO_DANE]
      ROL: admin, coordinator, instructor, participant, reviewer (exige --department),
           liaison (enlace municipal: exige --municipality)
  aula-territorial openapi            escribe la descripción OpenAPI de /api/v1 (JSON)
  aula-territorial rebuild-figures    recalcula las cifras de los informes desde los datos
  aula-territorial rotate-lti-key     retira la clave que firma el aula virtual y crea la siguiente
                                      (las retiradas siguen publicadas en /lti/jwks)
  aula-territorial backup --to ARCHIVO
                                      copia la base de datos en funcionamiento (SQLite: VACUUM INTO;
                                      PostgreSQL: pg_dump), con las claves de firma que guarda
  aula-territorial restore --from ARCHIVO
                                      restaura esa copia y aplica las migraciones
                                      (detenga antes todas las instancias)

La configuración se lee de Rocket.toml y de variables ROCKET_* (p. ej. ROCKET_DATABASE_URL).";

enum Command {
    Serve,
    Migrate,
    Seed {
        demo: bool,
    },
    Synthetic {
        scale: f64,
        seed: u64,
    },
    SyntheticAccounts {
        departments: usize,
        per_department: usize,
        out: PathBuf,
    },
    RebuildFigures,
    /// Issue 65: the virtual classroom's signing key retired and the next drawn.
    RotateLtiKey,
    CreateUser(UserFlags),
    OpenApi,
    Backup {
        to: PathBuf,
    },
    Restore {
        from: PathBuf,
    },
    Help,
}

/// `create-user`'s flags; the password is hashed when the command runs.
struct UserFlags {
    email: String,
    password: String,
    full_name: String,
    role: Role,
    department_code: Option<String>,
    municipality_code: Option<String>,
}

fn parse(args: &[String]) -> Result<Command, String> {
    let Some((name, rest)) = args.split_first() else {
        return Ok(Command::Serve);
    };
    let flags = Flags::parse(rest)?;
    let command = match name.as_str() {
        "serve" => Command::Serve,
        "migrate" => Command::Migrate,
        "seed" => match flags.optional("--synthetic") {
            Some("national") => Command::Synthetic {
                scale: match flags.optional("--scale") {
                    Some(v) => v.parse().map_err(|_| format!("escala no válida: {v}"))?,
                    None => 1.0,
                },
                seed: match flags.optional("--seed") {
                    Some(v) => v.parse().map_err(|_| format!("semilla no válida: {v}"))?,
                    None => 2026,
                },
            },
            Some("accounts") => {
                let count = |name: &str| -> Result<usize, String> {
                    let v = flags.value(name)?;
                    v.parse()
                        .map_err(|_| format!("número no válido en {name}: {v}"))
                };
                Command::SyntheticAccounts {
                    departments: count("--departments")?,
                    per_department: count("--per-department")?,
                    out: flags.value("--out")?.into(),
                }
            }
            Some(other) => return Err(format!("conjunto sintético desconocido: {other}")),
            None => Command::Seed {
                demo: flags.switch("--demo"),
            },
        },
        "create-user" => {
            let role = flags.value("--role")?;
            let role = Role::parse(role).ok_or_else(|| format!("rol desconocido: {role}"))?;
            let email = flags.value("--email")?.to_string();
            Command::CreateUser(UserFlags {
                full_name: flags.optional("--full-name").unwrap_or(&email).to_string(),
                email,
                password: flags.value("--password")?.to_string(),
                role,
                department_code: flags.optional("--department").map(str::to_string),
                municipality_code: flags.optional("--municipality").map(str::to_string),
            })
        }
        "openapi" => Command::OpenApi,
        "rebuild-figures" => Command::RebuildFigures,
        "rotate-lti-key" => Command::RotateLtiKey,
        "backup" => Command::Backup {
            to: flags.value("--to")?.into(),
        },
        "restore" => Command::Restore {
            from: flags.value("--from")?.into(),
        },
        "help" | "--help" | "-h" => Command::Help,
        other => return Err(format!("orden desconocida: {other}")),
    };
    flags.finish()?;
    Ok(command)
}

/// `--name value` pairs and bare `--switch`es; every one must be used.
struct Flags {
    pairs: Vec<(String, Option<String>)>,
    used: std::cell::RefCell<Vec<String>>,
}

impl Flags {
    fn parse(args: &[String]) -> Result<Self, String> {
        let mut pairs = Vec::new();
        let mut iter = args.iter().peekable();
        while let Some(arg) = iter.next() {
            if !arg.starts_with("--") {
                return Err(format!("argumento inesperado: {arg}"));
            }
            let value = match iter.peek() {
                Some(next) if !next.starts_with("--") => iter.next().cloned(),
                _ => None,
            };
            pairs.push((arg.clone(), value));
        }
        Ok(Self {
            pairs,
            used: Default::default(),
        })
    }
    fn optional(&self, name: &str) -> Option<&str> {
        self.used.borrow_mut().push(name.to_string());
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_deref())
    }
    fn value(&self, name: &str) -> Result<&str, String> {
        self.optional(name)
            .ok_or_else(|| format!("falta {name} VALOR"))
    }
    fn switch(&self, name: &str) -> bool {
        self.used.borrow_mut().push(name.to_string());
        self.pairs.iter().any(|(n, _)| n == name)
    }
    fn finish(&self) -> Result<(), String> {
        let used = self.used.borrow();
        match self.pairs.iter().find(|(n, _)| !used.contains(n)) {
            Some((name, _)) => Err(format!("opción desconocida: {name}")),
            None => Ok(()),
        }
    }
}

/// Log lines as `log_format` asks (`text`, or `json`: one object per line for a log
/// collector), filtered by `RUST_LOG` either way.
fn init_logging(format: domain::config::LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    match format {
        domain::config::LogFormat::Text => builder.init(),
        domain::config::LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .init(),
    }
}

#[rocket::main]
async fn main() -> ExitCode {
    domain::blocking::tune_allocator();
    // Read before anything logs; an unreadable value is reported by the command itself.
    let log_format = aula_territorial::config::figment()
        .extract_inner::<domain::config::LogFormat>("log_format")
        .unwrap_or_default();
    init_logging(log_format);
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match parse(&args) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("{message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(AppError::Validation(errors)) => {
            for error in errors {
                eprintln!("{}: {}", error.field, error.message);
            }
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("Error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<(), AppError> {
    match command {
        Command::Help => {
            println!("{USAGE}");
            return Ok(());
        }
        Command::OpenApi => {
            use aula_territorial::openapi::{ApiDoc, OpenApi};
            let json = ApiDoc::openapi()
                .to_pretty_json()
                .map_err(|e| AppError::Internal(e.to_string()))?;
            println!("{json}");
            return Ok(());
        }
        _ => {}
    }
    let figment = aula_territorial::config::figment();
    let config = AppConfig::from_figment(&figment)?;
    match command {
        Command::Help | Command::OpenApi => {}
        Command::Serve => {
            let rocket = aula_territorial::build(figment).await?;
            rocket
                .launch()
                .await
                .map_err(|e| AppError::Internal(format!("el servidor se detuvo: {e}")))?;
        }
        Command::Migrate => {
            let db = db::connect(&config.database_url).await?;
            domain::under_startup_lock(&db, &config.database_url, async || db::migrate(&db).await)
                .await?;
            println!("Migraciones aplicadas.");
        }
        Command::Seed { demo } => {
            seed(&config, demo).await?;
        }
        Command::Synthetic { scale, seed } => {
            synthetic(&config, scale, seed).await?;
        }
        Command::SyntheticAccounts {
            departments,
            per_department,
            out,
        } => {
            synthetic_accounts(&config, departments, per_department, &out).await?;
        }
        Command::RotateLtiKey => {
            let db = db::connect(&config.database_url).await?;
            db::migrate(&db).await?;
            let kid = db::write(&db, async |txn| {
                domain::virtual_classroom::keys::rotate(txn).await
            })
            .await?;
            println!(
                "Clave del aula virtual rotada: firma ahora la clave {kid}; las anteriores siguen publicadas en /lti/jwks."
            );
        }
        Command::RebuildFigures => {
            let db = db::connect(&config.database_url).await?;
            db::migrate(&db).await?;
            let started = std::time::Instant::now();
            let (cohorts, people) = db::write(&db, async |txn| {
                let rebuilt = domain::figures::rebuild(txn).await?;
                // Running instances recompute what they cached from the figures.
                domain::instances::bump(txn, domain::instances::Cached::Figures).await?;
                Ok(rebuilt)
            })
            .await?;
            println!(
                "Cifras recalculadas en {:.1} s: {cohorts} filas de cohorte × municipio, {people} filas de persona × capacidad × año.",
                started.elapsed().as_secs_f64()
            );
        }
        Command::Backup { to } => {
            let started = std::time::Instant::now();
            let backup = domain::backup::backup(&config, &to).await?;
            println!(
                "Copia escrita en {} ({} bytes, {:.1} s).",
                backup.file.display(),
                backup.bytes,
                started.elapsed().as_secs_f64()
            );
            println!(
                "La copia lleva las claves de firma de credenciales (están en la base de datos): guárdela protegida, firma en nombre de la ESAP."
            );
        }
        Command::Restore { from } => {
            domain::backup::restore(&config, &from).await?;
            println!(
                "Copia {} restaurada y migraciones aplicadas.",
                from.display()
            );
        }
        Command::CreateUser(flags) => {
            create_user(&config, flags).await?;
        }
    }
    Ok(())
}

async fn seed(config: &AppConfig, demo: bool) -> Result<(), AppError> {
    let db = db::connect(&config.database_url).await?;
    let loaded = domain::under_startup_lock(&db, &config.database_url, async || {
        db::migrate(&db).await?;
        reference_data::ensure_loaded(&db).await?;
        if demo {
            demo::ensure_loaded(&db).await.map(Some)
        } else {
            Ok(None)
        }
    })
    .await?;
    println!("Datos de referencia cargados.");
    if let Some(loaded) = loaded {
        println!(
            "{}",
            if loaded {
                "Datos de demostración cargados."
            } else {
                "Los datos de demostración ya estaban cargados."
            }
        );
    }
    Ok(())
}

async fn synthetic(config: &AppConfig, scale: f64, seed: u64) -> Result<(), AppError> {
    let db = db::connect(&config.database_url).await?;
    db::migrate(&db).await?;
    reference_data::ensure_loaded(&db).await?;
    let started = std::time::Instant::now();
    let s = domain::synthetic::generate(&db, scale, seed).await?;
    println!(
        "Datos sintéticos (escala {scale}, semilla {seed}) en {:.1} s: {} participantes, {} cohortes, {} sesiones, {} inscripciones, {} asistencias, {} certificados, {} valores sintéticos de indicadores, {} encuestas enviadas y {} respondidas, {} asistencias técnicas con {} visitas.",
        started.elapsed().as_secs_f64(),
        s.participants,
        s.cohorts,
        s.sessions,
        s.enrolments,
        s.marks,
        s.certificates,
        s.indicator_values,
        s.surveys,
        s.responses,
        s.assistances,
        s.visits
    );
    Ok(())
}

async fn synthetic_accounts(
    config: &AppConfig,
    departments: usize,
    per_department: usize,
    out: &std::path::Path,
) -> Result<(), AppError> {
    let db = db::connect(&config.database_url).await?;
    db::migrate(&db).await?;
    let accounts = domain::synthetic::accounts::create(&db, departments, per_department).await?;
    let lines: String = accounts
        .iter()
        .map(|a| {
            format!(
                "{}\t{}\t{}\t{}\n",
                a.token, a.participant_id, a.municipality_code, a.department_code
            )
        })
        .collect();
    std::fs::write(out, lines)
        .map_err(|e| AppError::Internal(format!("no se pudo escribir {}: {e}", out.display())))?;
    println!(
        "{} cuentas sintéticas con token en {}.",
        accounts.len(),
        out.display()
    );
    Ok(())
}

async fn create_user(config: &AppConfig, flags: UserFlags) -> Result<(), AppError> {
    let db = db::connect(&config.database_url).await?;
    db::migrate(&db).await?;
    reference_data::ensure_loaded(&db).await?;
    let new_user = NewUser {
        password: accounts::passwords::NewPassword::hash(&flags.password).await?,
        email: flags.email,
        full_name: flags.full_name,
        role: flags.role,
        department_code: flags.department_code,
        municipality_code: flags.municipality_code,
        territorial_direction_id: None,
        provider_id: None,
    };
    let user = accounts::create_user(&db, new_user).await?;
    println!(
        "Usuario creado: {} ({}), id {}",
        user.email,
        user.role.label(),
        user.id
    );
    Ok(())
}
