//! Issue 69: a cheap cold path. Each role's home and «¿Dónde formar?» computed with nothing
//! kept cost a bounded number of statements, the same however many cohorts, people and
//! municipalities there are; the homes people read are warmed at start and after a figures
//! flush.

use crate::common::TestApp;
use crate::world::World;
use aula_territorial::accounts::guards::CurrentUser;
use aula_territorial::home::pages::{HomeKept, for_user, kept_key, kept_template};
use aula_territorial::home::warm::Warmed;
use aula_territorial::web::KeptPages;
use domain::accounts::actor::Actor;
use domain::entities::{kept_content, user};
use domain::indicators::priorities::{self, PriorityQuery};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

/// The accounts whose homes are counted: each role, and a territorial direction's and another
/// provider's coordinator.
const HOMES: [(&str, &str); 9] = [
    ("admin", "admin@aulaterritorial.example"),
    (
        "coordinator (ESAP, national)",
        "coordinacion@aulaterritorial.example",
    ),
    (
        "coordinator (Dirección Territorial Meta)",
        "coordinacion.meta@aulaterritorial.example",
    ),
    (
        "coordinator (DNP)",
        "coordinacion.dnp@aulaterritorial.example",
    ),
    (
        "reviewer (Caquetá)",
        "revisor.caqueta@aulaterritorial.example",
    ),
    (
        "liaison (El Paujíl)",
        "enlace.elpaujil@aulaterritorial.example",
    ),
    ("instructor", "instructor@aulaterritorial.example"),
    ("participant", "participante@aulaterritorial.example"),
    (
        "«¿Dónde formar?» (national, movilización; ranking computed)",
        "coordinacion@aulaterritorial.example",
    ),
];

/// The most statements each may cost (DECISIONS, «A cheap cold path»: what each costs on the
/// demo data). The participant's is the same however many her enrolments (her progress and
/// results are read for all of them at once); the lists of the others are bounded by what
/// they show (10 or 20 items).
const BOUNDS: [u64; 9] = [54, 62, 58, 51, 64, 62, 4, 14, 14];

async fn signed_in(db: &DatabaseConnection, email: &str) -> CurrentUser {
    let model = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{email}: a demo account"));
    CurrentUser(Actor::load(db, model, None).await.unwrap())
}

/// What each home (and the ranking) costs with nothing kept: in memory (fresh stores whose
/// time to live is zero) or on the shelf (emptied).
async fn costs(db: &DatabaseConnection) -> Vec<u64> {
    kept_content::Entity::delete_many().exec(db).await.unwrap();
    let mut out = Vec::new();
    for (what, email) in HOMES {
        let user = signed_in(db, email).await;
        let (done, statements) = if what.starts_with("«¿Dónde formar?»") {
            let cache = priorities::Cache::new(db, priorities::DEFAULT_ASSISTANCE_WEIGHT);
            let (ranked, n) = domain::db::count_queries(priorities::rank(
                db,
                &cache,
                &user,
                &PriorityQuery {
                    capacity: Some(2),
                    department: None,
                    limit: Some(100),
                },
            ))
            .await;
            (ranked.map(|_| ()).map_err(|e| e.to_string()), n)
        } else {
            let kept = HomeKept {
                dashboards: domain::reports::dashboard::Dashboards::new(0),
                behind: domain::plans::progress::KeptBehind::new(0),
                surveys: domain::surveys::reports::Cache::new(db, 0),
            };
            let (home, n) = domain::db::count_queries(for_user(db, &kept, &user)).await;
            (home.map(|_| ()).map_err(|e| format!("{e:?}")), n)
        };
        done.unwrap_or_else(|e| panic!("{what}: {e}"));
        eprintln!("{what}: {statements} statements");
        out.push(statements);
    }
    // The rankings' shelving runs behind: let it land before the next count empties the shelf.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    out
}

/// Issue 69: the first computation of each role's home (and of «¿Dónde formar?»'s ranking)
/// costs a bounded number of statements, and the same number with more cohorts, people and
/// municipalities: nothing loops over cohorts or municipalities issuing statements.
#[rocket::async_test]
async fn a_home_computed_cold_costs_a_bounded_number_of_statements() {
    let app = TestApp::with_demo().await;
    let before = costs(app.db()).await;
    // Twelve more cohorts (the instructor's), open to Caquetá and Meta, each with people of
    // other municipalities: more cohorts, municipalities and enrolments in every picture.
    let world = World::new(&app).await;
    let places = ["18001", "18150", "18247", "18410", "50001", "50006"];
    for (n, place) in places.iter().cycle().take(12).enumerate() {
        let cohort = world
            .cohort()
            .seats(10)
            .targets(&[], &["18", "50"])
            .create()
            .await
            .id;
        for person in world
            .people(&format!("frio{n}"))
            .count(2)
            .of(place)
            .create()
            .await
        {
            world.enrol(cohort, person.id).await;
        }
    }
    let after = costs(app.db()).await;
    for (n, (what, _)) in HOMES.iter().enumerate() {
        assert_eq!(
            before[n], after[n],
            "{what}: the statements do not follow the data"
        );
        assert!(
            after[n] <= BOUNDS[n],
            "{what}: {} statements, at most {}",
            after[n],
            BOUNDS[n]
        );
    }
}

/// What one account's home section costs with nothing kept.
async fn home_cost(db: &DatabaseConnection, email: &str) -> u64 {
    let user = signed_in(db, email).await;
    let kept = HomeKept {
        dashboards: domain::reports::dashboard::Dashboards::new(0),
        behind: domain::plans::progress::KeptBehind::new(0),
        surveys: domain::surveys::reports::Cache::new(db, 0),
    };
    let (home, n) = domain::db::count_queries(for_user(db, &kept, &user)).await;
    home.unwrap_or_else(|e| panic!("{email}: {e:?}"));
    n
}

/// Issue 69: a participant's home (her progress and result in each of her cohorts) costs the
/// same statements with one enrolment as with six, each with sessions held, marks and a score:
/// everything is read for all her enrolments at once.
#[rocket::async_test]
async fn a_participants_home_costs_the_same_however_many_her_enrolments() {
    use domain::entities::values::Mark::{Ausente, Presente};
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let her = world
        .people("frecuente")
        .of("18001")
        .create()
        .await
        .remove(0);
    let email = "frecuente0@example.org";
    let mut counts = Vec::new();
    for n in 0..6 {
        let cohort = world
            .cohort()
            .seats(10)
            .sessions_from_now(
                &[
                    chrono::Duration::days(-3),
                    chrono::Duration::days(-1),
                    chrono::Duration::days(2),
                ],
                60,
            )
            .create()
            .await;
        let enrolment = world.enrol(cohort.id, her.id).await.id;
        world.move_cohort(cohort.id, "in_progress").await;
        world
            .take_attendance(&cohort.sessions, &[(enrolment, &[Presente, Ausente])])
            .await;
        let item = world.assessment(cohort.id, "Taller", 100).await;
        world
            .scores(item, &[(enrolment, 2.5 + f64::from(n) * 0.4)])
            .await;
        if n == 0 || n == 5 {
            counts.push(home_cost(app.db(), email).await);
        }
    }
    eprintln!("participant, 1 and 6 enrolments: {counts:?} statements");
    assert_eq!(
        counts[0], counts[1],
        "the participant's home does not follow her enrolments"
    );
    assert!(counts[1] <= BOUNDS[7], "{} statements", counts[1]);
}

/// Waits until the warmer has finished `rounds` rounds (a minute at most).
async fn warmed(rounds: &mut tokio::sync::watch::Receiver<u64>, wanted: u64) {
    tokio::time::timeout(
        std::time::Duration::from_secs(60),
        rounds.wait_for(|done| *done >= wanted),
    )
    .await
    .unwrap_or_else(|_| panic!("no warming round {wanted} within a minute"))
    .unwrap();
}

/// Whether the home section of `email`'s scope is kept fresh for the current versions.
async fn home_held(app: &TestApp, email: &str) -> bool {
    let db = app.db();
    let user = signed_in(db, email).await;
    let key = kept_key(kept_template(user.role));
    let version = key.versions(db).await.unwrap();
    let kept = app.client.rocket().state::<KeptPages>().unwrap();
    kept.holds(&key.for_user(&user), &version)
}

/// Issue 69: the kept homes of the scopes with a reviewer or coordinator account are computed
/// when the app starts, before anyone visits, and again after the figures worker's flush.
#[rocket::async_test]
async fn the_homes_people_read_are_warmed_at_start_and_after_a_figures_flush() {
    let app = TestApp::with_config(&[
        ("demo_data", json!(true)),
        ("dashboard_cache_seconds", json!(3600)),
        ("figures_delay_ms", json!(250)),
    ])
    .await;
    let mut rounds = app.client.rocket().state::<Warmed>().unwrap().rounds();
    warmed(&mut rounds, 1).await;
    let warmed_homes = [
        "revisor.caqueta@aulaterritorial.example",
        "revisor.meta@aulaterritorial.example",
        "coordinacion@aulaterritorial.example",
        "coordinacion.meta@aulaterritorial.example",
    ];
    for email in warmed_homes {
        assert!(home_held(&app, email).await, "{email}: warmed at start");
    }

    // Someone enrols herself: a cohort's desk leaves the figures to the worker, whose flush
    // moves the figures' version; the homes are warmed again for it.
    let world = World::new(&app).await;
    let cohort = world
        .cohort()
        .seats(10)
        .targets(&[], &["18"])
        .create()
        .await
        .id;
    let person = world.people("tibia").of("18256").create().await;
    let figures = domain::instances::Versions::read(app.db())
        .await
        .unwrap()
        .figures;
    let done = *rounds.borrow();
    world.enrols_herself(cohort, &person[0]).await;
    warmed(&mut rounds, done + 1).await;
    let moved = domain::instances::Versions::read(app.db())
        .await
        .unwrap()
        .figures;
    assert_ne!(moved, figures, "the worker flushed");
    for email in warmed_homes {
        assert!(
            home_held(&app, email).await,
            "{email}: warmed after the flush"
        );
    }
}

/// The national coordinator on an empty shelf, and a satisfaction store as the app makes it.
async fn satisfaction_store(app: &TestApp) -> (CurrentUser, domain::surveys::reports::Cache) {
    let db = app.db();
    kept_content::Entity::delete_many().exec(db).await.unwrap();
    let user = signed_in(db, "coordinacion@aulaterritorial.example").await;
    let cache = domain::surveys::reports::Cache::new(db, domain::surveys::reports::KEEP_SECONDS);
    (user, cache)
}

/// The satisfaction reports on the shelf once `at_least` of them are there (they are written
/// behind the answers), waiting a little more for any beyond.
async fn satisfaction_shelved(db: &DatabaseConnection, at_least: u64) -> u64 {
    let shelved = || {
        kept_content::Entity::find()
            .filter(kept_content::Column::Key.starts_with("satisfaction|"))
            .count(db)
    };
    for _ in 0..250 {
        if shelved().await.unwrap() >= at_least {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    shelved().await.unwrap()
}

/// Issue 69: a satisfaction report is kept on the database's shelf, so the first visitors after
/// a start (a new store on the same database) read it back — the tallies' version and the shelf,
/// two statements — instead of computing it (that a new answer is never hidden by what was
/// kept: `surveys::closing_invites_once_and_each_survey_is_answered_once_while_open`).
#[rocket::async_test]
async fn a_satisfaction_report_is_found_on_the_shelf_after_a_start() {
    use domain::surveys::reports::{Cache, KEEP_SECONDS, SatisfactionQuery, cached};
    let app = TestApp::with_demo().await;
    let db = app.db();
    let (user, cache) = satisfaction_store(&app).await;
    let query = SatisfactionQuery::default();
    let (report, computed) = domain::db::count_queries(cached(db, &cache, &user, &query)).await;
    let report = report.unwrap();
    assert_eq!(
        satisfaction_shelved(db, 1).await,
        1,
        "the report is on the shelf"
    );

    let restarted = Cache::new(db, KEEP_SECONDS);
    let (again, read) = domain::db::count_queries(cached(db, &restarted, &user, &query)).await;
    let again = again.unwrap();
    assert_eq!(
        read, 2,
        "the version and the shelf (computing it took {computed})"
    );
    assert!(
        computed > read + 2,
        "computing it took {computed} statements"
    );
    assert_eq!(json!(*again), json!(*report));
}

/// The filters of a satisfaction report are the caller's to choose: one reach keeps at most 32
/// of them, in memory and on the shelf, however many it asks for.
#[rocket::async_test]
async fn one_reach_keeps_a_bounded_number_of_satisfaction_reports() {
    use domain::surveys::reports::{SatisfactionQuery, cached};
    let app = TestApp::with_demo().await;
    let (user, cache) = satisfaction_store(&app).await;
    for cohort in 1..=40 {
        let query = SatisfactionQuery {
            cohort: Some(cohort),
            ..SatisfactionQuery::default()
        };
        cached(app.db(), &cache, &user, &query).await.unwrap();
    }
    assert_eq!(satisfaction_shelved(app.db(), 32).await, 32);
}

/// Issue 69: a home's lines behind are read in one statement for every line of the scope's
/// plans, year to date only. They are the lines the plans' own progress (each line read with
/// its period, baseline and budget) says are behind, with the same goals in words, for every
/// staff home and the reviewer's.
#[rocket::async_test]
async fn the_homes_lines_behind_are_those_of_the_plans_progress() {
    use chrono::Datelike;
    use domain::entities::plan;
    use domain::entities::values::PlanStatus;
    use domain::plans::PlanScope;
    use domain::plans::progress::{KeptBehind, progress};
    use sea_orm::QueryOrder;

    let app = TestApp::with_demo().await;
    let db = app.db();
    let year = domain::time::today().year();
    let (mut behind_seen, mut on_track_seen) = (0, 0);
    for (what, email) in HOMES.iter().take(5) {
        let user = signed_in(db, email).await;
        let scope = PlanScope::of(db, &user).await.unwrap();
        let mut expected = Vec::new();
        let rows = plan::Entity::find()
            .filter(scope.condition())
            .filter(plan::Column::Year.eq(year))
            .filter(plan::Column::Status.ne(PlanStatus::Draft.as_str()))
            .order_by_asc(plan::Column::Id)
            .all(db)
            .await
            .unwrap();
        for row in rows {
            if matches!(scope, PlanScope::Staff { .. }) && !scope.manages(&row) {
                continue;
            }
            let read = progress(db, &scope, &row, None).await.unwrap();
            for line in read.lines {
                if !line.behind {
                    on_track_seen += 1;
                    continue;
                }
                behind_seen += 1;
                let goals = line.behind_in_words();
                expected.push((row.id, line.position.unwrap(), line.title, goals));
            }
        }
        let shown: Vec<(i32, i32, String, Vec<String>)> = KeptBehind::new(0)
            .behind(db, &user)
            .await
            .unwrap()
            .into_iter()
            .map(|l| (l.plan_id, l.position, l.title, l.goals))
            .collect();
        let mut shown = shown;
        shown.sort_by_key(|l| (l.0, l.1));
        expected.sort_by_key(|l| (l.0, l.1));
        assert_eq!(shown, expected, "{what}: the lines behind");
    }
    assert!(
        behind_seen > 0 && on_track_seen > 0,
        "the demo's plans have lines behind ({behind_seen}) and on track ({on_track_seen})"
    );
}
