//! Kept pages warmed ahead of their readers (issue 69): the first visitors after a start or
//! after a figures flush find the homes' dashboards and «¿Dónde formar?»'s rankings computed
//! instead of waiting for one computation each.
//!
//! A round computes, one after the other (one connection, at most one core), under the same
//! keys and versions as the visitors ([`crate::web::KeptKey::for_user`]):
//!
//! * the dashboard section of the home of each scope with an active reviewer or coordinator
//!   account — each department with a gobernación's reviewer, each territorial direction, the
//!   nation for each provider with a coordinator — at most [`WARM_SCOPES`] of them (the
//!   reviewers first); the scopes' pictures (`reports::dashboard`) come with it;
//! * the national rankings of «¿Dónde formar?» (every capacity, and all of them:
//!   `indicators::priorities::warm`).
//!
//! Before the first round every connection of a SQLite pool is opened (`db::open_pool`). A round
//! runs when the app starts and after the figures worker announces a flush
//! (`figures::worker::flushes`: the areas announce, this layer listens), [`AFTER_FLUSH`] later
//! so a burst's flushes make one round, and at most one round every [`BETWEEN_ROUNDS`]. Nothing
//! runs when nothing is kept (`dashboard_cache_seconds = 0`, the tests' default).

use crate::accounts::guards::CurrentUser;
use crate::home::pages::{HomeKept, kept_key, kept_section, kept_template};
use crate::web::{Drawer, KeptPages};
use domain::accounts::actor::Actor;
use domain::entities::user;
use domain::entities::values::Role;
use rocket::fairing::{Fairing, Info, Kind};
use rocket::tokio;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashSet;
use std::time::Duration;

/// The most home scopes a round warms.
pub const WARM_SCOPES: usize = 64;

/// How long after a flush's announcement a round starts (the rest of a burst's flushes join
/// it).
pub const AFTER_FLUSH: Duration = Duration::from_secs(1);

/// The least time from one round's start to the next one's.
pub const BETWEEN_ROUNDS: Duration = Duration::from_secs(5);

/// How many accounts a round reads to find its scopes (several accounts share a scope).
const ACCOUNTS_READ: u64 = 2_000;

/// How many rounds have finished: what a test waits for (Rocket state).
#[derive(Clone)]
pub struct Warmed(tokio::sync::watch::Sender<u64>);

impl Default for Warmed {
    fn default() -> Self {
        Warmed(tokio::sync::watch::channel(0).0)
    }
}

impl Warmed {
    /// The count of finished rounds, watched.
    pub fn rounds(&self) -> tokio::sync::watch::Receiver<u64> {
        self.0.subscribe()
    }
}

/// The fairing that starts the warming when the app lifts off.
pub struct Warming;

#[rocket::async_trait]
impl Fairing for Warming {
    fn info(&self) -> Info {
        Info {
            name: "kept pages warmed at start and after a figures flush",
            kind: Kind::Liftoff,
        }
    }

    async fn on_liftoff(&self, rocket: &rocket::Rocket<rocket::Orbit>) {
        let state = (
            rocket.state::<DatabaseConnection>(),
            rocket.state::<domain::config::AppConfig>(),
            rocket.state::<KeptPages>(),
            rocket.state::<domain::reports::dashboard::Dashboards>(),
            rocket.state::<domain::plans::progress::KeptBehind>(),
            rocket.state::<domain::surveys::reports::Cache>(),
            rocket.state::<domain::indicators::priorities::Cache>(),
            rocket.state::<domain::templates::Templates>(),
            rocket.state::<Warmed>(),
        );
        let (
            Some(db),
            Some(config),
            Some(kept),
            Some(dashboards),
            Some(behind),
            Some(surveys),
            Some(rankings),
            Some(templates),
            Some(warmed),
        ) = state
        else {
            tracing::error!("precálculo de páginas: falta el estado de la aplicación");
            return;
        };
        if config.dashboard_cache_seconds == 0 {
            return;
        }
        let warmer = Warmer {
            db: db.clone(),
            kept: kept.clone(),
            home: HomeKept {
                dashboards: dashboards.clone(),
                behind: behind.clone(),
                surveys: surveys.clone(),
            },
            rankings: rankings.clone(),
            drawer: Drawer::new(templates.clone()),
            warmed: warmed.clone(),
        };
        tokio::spawn(warmer.run(rocket.shutdown()));
    }
}

/// What a round reads and where it keeps what it computes: the app's own stores.
struct Warmer {
    db: DatabaseConnection,
    kept: KeptPages,
    home: HomeKept,
    rankings: domain::indicators::priorities::Cache,
    drawer: Drawer,
    warmed: Warmed,
}

impl Warmer {
    /// A round now, then one after each announced flush (see the module's comment), until
    /// `stop`.
    async fn run(self, stop: impl std::future::Future<Output = ()> + Send) {
        let mut flushes = domain::figures::worker::flushes(&domain::db::database_key(&self.db));
        flushes.borrow_and_update();
        tokio::pin!(stop);
        domain::db::open_pool(&self.db).await;
        loop {
            let started = tokio::time::Instant::now();
            self.round().await;
            self.warmed.0.send_modify(|n| *n += 1);
            tokio::select! {
                _ = &mut stop => break,
                changed = flushes.changed() => if changed.is_err() { break },
            }
            let pause = AFTER_FLUSH.max(BETWEEN_ROUNDS.saturating_sub(started.elapsed()));
            tokio::select! {
                _ = &mut stop => break,
                _ = tokio::time::sleep(pause) => {}
            }
            // The flushes announced meanwhile are this round's.
            flushes.borrow_and_update();
        }
    }

    /// One round: each scope's home section, then the rankings. A failure is logged and the
    /// rest goes on (a visitor then computes what was not warmed).
    async fn round(&self) {
        let started = std::time::Instant::now();
        let scopes = match scopes(&self.db).await {
            Ok(scopes) => scopes,
            Err(error) => {
                tracing::warn!(%error, "precálculo de páginas: no se leyeron los alcances");
                Vec::new()
            }
        };
        let mut computed = 0;
        for user in &scopes {
            match self.home_section(user).await {
                Ok(true) => computed += 1,
                Ok(false) => {}
                Err(error) => tracing::warn!(%error, user = user.id, "precálculo del inicio"),
            }
        }
        if let Err(error) = domain::indicators::priorities::warm(&self.db, &self.rankings).await {
            tracing::warn!(%error, "precálculo de «¿Dónde formar?»");
        }
        tracing::info!(
            scopes = scopes.len(),
            computed,
            ms = started.elapsed().as_millis() as u64,
            "páginas precalculadas"
        );
    }

    /// Warms `user`'s scope's home section; says whether it computed it.
    async fn home_section(&self, user: &CurrentUser) -> crate::error::AppResult<bool> {
        let key = kept_key(kept_template(user.role));
        let version = key.versions(&self.db).await?;
        Ok(self
            .kept
            .warm(key.for_user(user), version, || {
                kept_section(&self.db, &self.home, &self.drawer, user)
            })
            .await?)
    }
}

/// One account of each scope whose home is kept (reviewers' departments, coordinators'
/// directions and providers), reviewers first, at most [`WARM_SCOPES`].
pub async fn scopes(db: &DatabaseConnection) -> crate::error::AppResult<Vec<CurrentUser>> {
    let accounts = user::Entity::find()
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::Role.is_in([Role::Reviewer, Role::Coordinator]))
        .order_by_desc(user::Column::Role.eq(Role::Reviewer))
        .order_by_asc(user::Column::Id)
        .limit(ACCOUNTS_READ)
        .all(db)
        .await?;
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for account in accounts {
        let scope = match account.role {
            Role::Reviewer => (account.role, account.department_code.clone(), None, None),
            _ => (
                account.role,
                None,
                account.territorial_direction_id,
                Some(account.provider_id.unwrap_or(domain::providers::ESAP)),
            ),
        };
        if account.role == Role::Reviewer && account.department_code.is_none() {
            continue;
        }
        if !seen.insert(scope) {
            continue;
        }
        out.push(CurrentUser(Actor::load(db, account, None).await?));
        if out.len() == WARM_SCOPES {
            break;
        }
    }
    Ok(out)
}
