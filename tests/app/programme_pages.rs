//! The pages of programmes (issue 64): the public catalogue and a programme's page, the
//! coordinator's «Nuevo programa», «Publicar» and «Nueva edición» (refused with Spanish
//! messages beside their fields, nothing written), the edition's one calendar and its feed,
//! the participant's enrolment and cancellation with their confirmation, «Mi programa», and
//! the edition's roster — each for the roles it is for, 403 or 404 for the others.

use crate::common::TestApp;
use crate::support::*;
use crate::world::{Session, World, catalogue_course, days};
use domain::entities::values::{ProgrammeEnrolmentStatus, Role};
use domain::entities::{programme, programme_edition, programme_enrolment};
use rocket::http::Status;
use rocket::local::asynchronous::Client;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

/// The four courses of the diplomado: planeación, presupuestal, tributaria, rendición.
const MODULES: [&str; 4] = ["PT", "GPR", "GT", "RPC"];
const PASSWORD: &str = "Clave-segura-2026";

/// A browser of its own, signed in as `email`.
async fn browser(app: &TestApp, email: &str, password: &str) -> Client {
    let client = app.another_instance(&[]).await;
    sign_in_client(&client, email, password).await;
    client
}

async fn anonymous(app: &TestApp) -> Client {
    app.another_instance(&[]).await
}

/// Posts `fields` (the CSRF token of `from` first) and answers the status, where it
/// redirects and the page.
async fn post(
    client: &Client,
    from: &str,
    to: &str,
    fields: &[(&str, &str)],
) -> (Status, Option<String>, String) {
    let csrf = csrf_from_client(client, from).await;
    let response = post_csrf(client, to, &csrf, fields).await;
    let status = response.status();
    let location = response.headers().get_one("Location").map(str::to_string);
    (
        status,
        location,
        response.into_string().await.unwrap_or_default(),
    )
}

async fn get(client: &Client, path: &str) -> (Status, String) {
    let response = client.get(path.to_string()).dispatch().await;
    let status = response.status();
    (status, response.into_string().await.unwrap_or_default())
}

/// The page's text with its tags taken out and its entities decoded, on one line.
fn text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn programmes(db: &DatabaseConnection) -> u64 {
    programme::Entity::find().count(db).await.unwrap()
}

async fn editions(db: &DatabaseConnection) -> u64 {
    programme_edition::Entity::find().count(db).await.unwrap()
}

/// Four open cohorts of the demo coordinator, one per module, with a session each;
/// rendición starts after planeación ends.
async fn module_cohorts(world: &World<'_>, tag: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    for code in MODULES {
        let mut builder = world
            .cohort()
            .course(code)
            .name(&format!("Módulo {code} · {tag}"))
            .national()
            .seats(10);
        builder = match code {
            "PT" => builder
                .dates(days(-5), days(10))
                .session(Session::on(days(1), (9, 0), (12, 0)).topic("Diagnóstico territorial")),
            "RPC" => builder
                .dates(days(11), days(40))
                .session(Session::on(days(12), (9, 0), (12, 0)).topic("Audiencia pública")),
            _ => builder.session(Session::on(days(2), (9, 0), (12, 0)).topic("Taller")),
        };
        ids.push(builder.create().await.id);
    }
    ids
}

/// The coordinator's «Nuevo programa», sent with the diplomado's four modules (rendición
/// after planeación): the programme's id.
async fn create_through_the_form(app: &TestApp, coordinator: &Client, code: &str) -> i32 {
    let mut ids = Vec::new();
    for c in MODULES {
        ids.push(catalogue_course(app.db(), c).await.id.to_string());
    }
    let from = "/coordinacion/programas/nuevo";
    let (status, location, page) = post(
        coordinator,
        from,
        "/coordinacion/programas",
        &[
            ("code", code),
            ("name", "Diplomado en Gestión Pública Territorial"),
            ("kind", "diplomado"),
            (
                "description",
                "Cuatro módulos para el equipo de la alcaldía.",
            ),
            ("hours", ""),
            ("electives_required", "0"),
            ("recognition_years", "5"),
            ("modules[0].course_id", &ids[0]),
            ("modules[0].order", "1"),
            ("modules[0].kind", "obligatorio"),
            ("modules[1].course_id", &ids[1]),
            ("modules[1].order", "2"),
            ("modules[1].kind", "obligatorio"),
            ("modules[2].course_id", &ids[2]),
            ("modules[2].order", "3"),
            ("modules[2].kind", "obligatorio"),
            ("modules[3].course_id", &ids[3]),
            ("modules[3].order", "4"),
            ("modules[3].kind", "obligatorio"),
            ("modules[3].after", "1"),
        ],
    )
    .await;
    assert_eq!(status, Status::SeeOther, "{}", text(&page));
    let location = location.unwrap();
    location
        .strip_prefix("/programas/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("to the programme's page: {location}"))
}

/// A published diplomado with an edition of four fresh cohorts, built through the pages: the
/// programme's and the edition's ids.
async fn diplomado_with_edition(
    app: &TestApp,
    world: &World<'_>,
    coordinator: &Client,
    code: &str,
) -> (i32, i32) {
    let id = create_through_the_form(app, coordinator, code).await;
    let page = format!("/programas/{id}");
    let (status, _, _) = post(coordinator, &page, &format!("{page}/publicar"), &[]).await;
    assert_eq!(status, Status::SeeOther);
    let cohorts: Vec<String> = module_cohorts(world, code)
        .await
        .iter()
        .map(i64::to_string)
        .collect();
    let (status, location, body) = post(
        coordinator,
        &page,
        &format!("{page}/ediciones"),
        &[
            ("name", "Diplomado · Caquetá 2027-I"),
            ("cohorts", &cohorts[0]),
            ("cohorts", &cohorts[1]),
            ("cohorts", &cohorts[2]),
            ("cohorts", &cohorts[3]),
        ],
    )
    .await;
    assert_eq!(status, Status::SeeOther, "{}", text(&body));
    let edition = location
        .unwrap()
        .strip_prefix("/ediciones/")
        .and_then(|id| id.parse().ok())
        .expect("to the edition's page");
    (id, edition)
}

#[rocket::async_test]
async fn a_coordinator_creates_publishes_and_builds_an_edition_and_bad_input_writes_nothing() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let (email, password) = demo_account(Role::Coordinator);
    let coordinator = browser(&app, email, password).await;
    let visitor = anonymous(&app).await;

    // «Agregar otra fila de módulo»: the form again, one more row, nothing saved.
    let before = programmes(app.db()).await;
    let (status, _, page) = post(
        &coordinator,
        "/coordinacion/programas/nuevo",
        "/coordinacion/programas",
        // A browser sends the four rows drawn, blank ones too.
        &[
            ("code", "DGPT-P1"),
            ("modules[0].course_id", ""),
            ("modules[1].course_id", ""),
            ("modules[2].course_id", ""),
            ("modules[3].course_id", ""),
            ("more", "modules"),
        ],
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert!(page.contains("modules[4].course_id"), "a fifth row");
    assert!(page.contains("value=\"DGPT-P1\""), "the code as typed");

    // Refused whole: every problem in Spanish beside its field, values as typed, nothing written.
    let pt = catalogue_course(app.db(), "PT").await.id.to_string();
    let (status, _, page) = post(
        &coordinator,
        "/coordinacion/programas/nuevo",
        "/coordinacion/programas",
        &[
            ("code", "dg pt"),
            ("name", "Diplomado a medias"),
            ("kind", "diplomado"),
            ("electives_required", "2"),
            ("modules[0].course_id", &pt),
            ("modules[0].kind", "obligatorio"),
            ("modules[1].course_id", &pt),
            ("modules[1].kind", "obligatorio"),
        ],
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    let read = text(&page);
    assert!(read.contains("Revise estos datos"), "{read}");
    assert!(page.contains("id=\"error-code\""), "beside the code");
    assert!(
        page.contains("id=\"error-modules-1\""),
        "beside the second row"
    );
    assert!(page.contains("id=\"error-electives_required\""));
    assert!(read.contains("está dos veces en el programa"), "{read}");
    assert!(read.contains("no puede exigir 2"), "{read}");
    assert!(
        page.contains("value=\"Diplomado a medias\""),
        "the name as typed"
    );
    assert_eq!(programmes(app.db()).await, before, "nothing written");

    // Created as a draft: the public does not see it; its coordinator does.
    let id = create_through_the_form(&app, &coordinator, "DGPT-P1").await;
    let page_path = format!("/programas/{id}");
    let (status, _) = get(&visitor, &page_path).await;
    assert_eq!(status, Status::NotFound);
    let (_, list) = get(&visitor, "/programas").await;
    assert!(
        !list.contains(&page_path),
        "a draft is not in the catalogue"
    );
    let (status, page) = get(&coordinator, &page_path).await;
    assert_eq!(status, Status::Ok);
    assert!(text(&page).contains("Borrador"));

    // Published: in the catalogue with its kind, hours, modules and capacities.
    let (status, location, _) = post(
        &coordinator,
        &page_path,
        &format!("{page_path}/publicar"),
        &[],
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(location.as_deref(), Some(page_path.as_str()));
    let (status, list) = get(&visitor, "/programas").await;
    assert_eq!(status, Status::Ok);
    assert!(list.contains(&page_path));
    let read = text(&list);
    assert!(read.contains("Diplomado en Gestión Pública Territorial"));
    assert!(read.contains("4 módulos"), "{read}");
    let (status, page) = get(&visitor, &page_path).await;
    assert_eq!(status, Status::Ok);
    let read = text(&page);
    let planeacion = catalogue_course(app.db(), "PT").await.name;
    assert!(
        read.contains(&format!("Después de: {planeacion}")),
        "{read}"
    );
    assert!(read.contains("Fortalece:"), "{read}");
    assert!(read.contains("Se completa aprobando 4 módulos"), "{read}");

    // «Nueva edición» refused: no name, rendición before planeación ends — each problem beside
    // its field, the choices kept, nothing written (a module left without its cohort is not a
    // problem: the edition waits in preparation until it has one).
    let cohorts = module_cohorts(&world, "P1").await;
    let early_rpc = world
        .cohort()
        .course("RPC")
        .name("Rendición adelantada · P1")
        .national()
        .dates(days(3), days(30))
        .session(Session::on(days(4), (9, 0), (12, 0)))
        .create()
        .await
        .id;
    let (c0, c1, early) = (
        cohorts[0].to_string(),
        cohorts[1].to_string(),
        early_rpc.to_string(),
    );
    let before = editions(app.db()).await;
    let (status, _, page) = post(
        &coordinator,
        &page_path,
        &format!("{page_path}/ediciones"),
        &[
            ("name", ""),
            ("cohorts", &c0),
            ("cohorts", &c1),
            ("cohorts", ""),
            ("cohorts", &early),
        ],
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    let read = text(&page);
    assert!(page.contains("id=\"error-edicion-name\""), "{read}");
    assert!(read.contains("Escriba el nombre de la edición."), "{read}");
    assert!(
        page.contains("id=\"error-edicion-cohort_ids\""),
        "the prerequisite's problem beside the choosers: {read}"
    );
    assert!(read.contains("que es su prerrequisito"), "{read}");
    assert!(
        page.contains(&format!("<option value=\"{c1}\" selected>")),
        "the choices as made"
    );
    assert_eq!(editions(app.db()).await, before, "nothing written");

    // Another provider's coordinator cannot build an edition of it.
    let dnp = browser(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let (status, _, _) = post(
        &dnp,
        "/programas",
        &format!("{page_path}/ediciones"),
        &[("name", "Ajena"), ("cohorts", &c0)],
    )
    .await;
    assert_eq!(status, Status::NotFound);
    let (_, page) = get(&dnp, &page_path).await;
    assert!(
        !page.contains("Nueva edición"),
        "no builder for another provider"
    );

    // Built: to the edition's page, the whole edition as one calendar, by module.
    let all: Vec<String> = cohorts.iter().map(i64::to_string).collect();
    let (status, location, _) = post(
        &coordinator,
        &page_path,
        &format!("{page_path}/ediciones"),
        &[
            ("name", "Diplomado · Caquetá 2027-I"),
            ("cohorts", &all[0]),
            ("cohorts", &all[1]),
            ("cohorts", &all[2]),
            ("cohorts", &all[3]),
        ],
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    let edition_path = location.unwrap();
    assert!(edition_path.starts_with("/ediciones/"));
    let (status, page) = get(&coordinator, &edition_path).await;
    assert_eq!(status, Status::Ok);
    let read = text(&page);
    assert!(read.contains("4 sesiones en 4 módulos"), "{read}");
    let first = read
        .find("Diagnóstico territorial")
        .expect("planeación's session");
    let last = read.find("Audiencia pública").expect("rendición's session");
    assert!(first < last, "modules in the programme's order");
    assert!(page.contains(&format!("{edition_path}/avance")));
    // Its cohorts are no longer offered to another edition.
    let (_, page) = get(&coordinator, &page_path).await;
    assert!(!page.contains(&format!("<option value=\"{}\"", all[0])));
}

#[rocket::async_test]
async fn a_participant_enrols_once_follows_her_programme_and_cancels_with_the_facts_first() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let (email, password) = demo_account(Role::Coordinator);
    let coordinator = browser(&app, email, password).await;
    let (programme_id, edition) =
        diplomado_with_edition(&app, &world, &coordinator, "DGPT-P2").await;
    let people = world.people("mipro").count(2).create().await;
    let me = browser(&app, "mipro0@example.org", PASSWORD).await;
    let other = browser(&app, "mipro1@example.org", PASSWORD).await;
    let edition_path = format!("/ediciones/{edition}");

    // Nothing yet: «Mi programa» says so and where to look.
    let (status, page) = get(&me, "/mi-programa").await;
    assert_eq!(status, Status::Ok);
    assert!(text(&page).contains("Aún no está inscrito en ningún programa"));
    assert!(page.contains("href=\"/mi-programa\""), "in her menu");

    // «Inscribirme» on the programme's page: in every module, the result on the next page.
    let programme_path = format!("/programas/{programme_id}");
    let (_, page) = get(&me, &programme_path).await;
    assert!(page.contains(&format!("{edition_path}/inscribirme")));
    let (status, location, _) = post(
        &me,
        &programme_path,
        &format!("{edition_path}/inscribirme"),
        &[],
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(location.as_deref(), Some("/mi-programa"));
    let (status, page) = get(&me, "/mi-programa").await;
    assert_eq!(status, Status::Ok);
    let read = text(&page);
    assert!(
        read.contains("confirmada en todos los módulos"),
        "the flash: {read}"
    );
    assert!(read.contains("Diplomado en Gestión Pública Territorial"));
    assert!(read.contains("0 de 4 módulos completos"), "{read}");
    assert!(read.contains("le faltan 4"), "{read}");
    for code in MODULES {
        let name = catalogue_course(app.db(), code).await.name;
        assert!(read.contains(&name), "{name} in «Mi programa»");
    }
    // Once more: refused on the edition's page, 422, in Spanish.
    let (status, _, page) = post(
        &me,
        &edition_path,
        &format!("{edition_path}/inscribirme"),
        &[],
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(text(&page).contains("ya tiene una inscripción vigente"));

    // The feed: the whole edition for her, the staff who manage it; nobody else.
    let response = me
        .get(format!("{edition_path}/calendario.ics"))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    assert!(
        response
            .headers()
            .get_one("Content-Type")
            .is_some_and(|t| t.starts_with("text/calendar")),
        "an iCalendar file"
    );
    let feed = response.into_string().await.unwrap();
    assert_eq!(feed.matches("BEGIN:VEVENT").count(), 4, "{feed}");
    assert!(
        feed.contains("X-WR-CALNAME:Diplomado · Caquetá 2027-I"),
        "{feed}"
    );
    let (_, page) = get(&me, &edition_path).await;
    assert!(page.contains(&format!("{edition_path}/calendario.ics")));
    let (status, _) = get(&other, &format!("{edition_path}/calendario.ics")).await;
    assert_eq!(status, Status::NotFound, "not hers");
    let (_, page) = get(&other, &edition_path).await;
    assert!(
        !page.contains("calendario.ics"),
        "no link she could not follow"
    );
    let (status, _) = get(&coordinator, &format!("{edition_path}/calendario.ics")).await;
    assert_eq!(status, Status::Ok);

    // Cancelling: the facts first (every module by name), a post without the confirmation
    // answers them again; confirmed, she leaves every module.
    let (status, page) = get(&me, &format!("{edition_path}/cancelar")).await;
    assert_eq!(status, Status::Ok);
    let read = text(&page);
    assert!(read.contains("Sale de todos los módulos"), "{read}");
    assert!(read.contains("Módulo GT · DGPT-P2"), "{read}");
    let (status, _, page) = post(
        &me,
        &format!("{edition_path}/cancelar"),
        &format!("{edition_path}/cancelar"),
        &[],
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert!(text(&page).contains("Sí, cancelar mi inscripción"));
    let (status, location, _) = post(
        &me,
        &format!("{edition_path}/cancelar"),
        &format!("{edition_path}/cancelar"),
        &[("confirmed", "true")],
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(location.as_deref(), Some("/mi-programa"));
    let row = programme_enrolment::Entity::find()
        .filter(programme_enrolment::Column::ParticipantId.eq(people[0].id))
        .expect_one(app.db())
        .await;
    assert_eq!(row.status, ProgrammeEnrolmentStatus::Cancelled);
    let (_, page) = get(&me, "/mi-programa").await;
    assert!(text(&page).contains("salió de todos sus módulos"));
    // Nothing left to cancel: the confirmation says why, with no button.
    let (_, page) = get(&me, &format!("{edition_path}/cancelar")).await;
    assert!(text(&page).contains("no tiene una inscripción vigente"));
    assert!(!page.contains("name=\"confirmed\""));
}

#[rocket::async_test]
async fn each_page_answers_its_roles_and_refuses_the_others() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let (email, password) = demo_account(Role::Coordinator);
    let coordinator = browser(&app, email, password).await;
    let (programme_id, edition) =
        diplomado_with_edition(&app, &world, &coordinator, "DGPT-P3").await;
    world.people("rol").create().await;
    let participant = browser(&app, "rol0@example.org", PASSWORD).await;
    let (reviewer_email, reviewer_password) = demo_account(Role::Reviewer);
    let reviewer = browser(&app, reviewer_email, reviewer_password).await;
    let (liaison_email, liaison_password) = demo_account(Role::Liaison);
    let liaison = browser(&app, liaison_email, liaison_password).await;
    let dnp = browser(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let visitor = anonymous(&app).await;

    let roster = format!("/ediciones/{edition}/avance");
    let feed = format!("/ediciones/{edition}/calendario.ics");
    let cases: Vec<(&str, &Client, &str, Status)> = vec![
        ("/programas", &visitor, "visitor", Status::Ok),
        ("/mi-programa", &participant, "participant", Status::Ok),
        (
            "/mi-programa",
            &coordinator,
            "coordinator",
            Status::Forbidden,
        ),
        ("/mi-programa", &reviewer, "reviewer", Status::Forbidden),
        ("/mi-programa", &visitor, "visitor", Status::SeeOther),
        (&roster, &coordinator, "coordinator", Status::Ok),
        (&roster, &reviewer, "reviewer", Status::Ok),
        (&roster, &participant, "participant", Status::Forbidden),
        (&roster, &liaison, "liaison", Status::Forbidden),
        (&roster, &dnp, "another provider", Status::NotFound),
        (&roster, &visitor, "visitor", Status::SeeOther),
        (
            &feed,
            &participant,
            "a participant not enrolled",
            Status::NotFound,
        ),
        (&feed, &dnp, "another provider", Status::NotFound),
        (
            "/coordinacion/programas/nuevo",
            &coordinator,
            "coordinator",
            Status::Ok,
        ),
        (
            "/coordinacion/programas/nuevo",
            &participant,
            "participant",
            Status::Forbidden,
        ),
        (
            "/coordinacion/programas/nuevo",
            &reviewer,
            "reviewer",
            Status::Forbidden,
        ),
    ];
    for (path, client, who, expected) in cases {
        let (status, _) = get(client, path).await;
        assert_eq!(status, expected, "{path} for {who}");
    }
    for client in [&visitor, &participant, &reviewer, &liaison, &dnp] {
        let (status, _) = get(client, &format!("/programas/{programme_id}")).await;
        assert_eq!(status, Status::Ok, "a published programme is public");
        let (status, _) = get(client, &format!("/ediciones/{edition}")).await;
        assert_eq!(status, Status::Ok, "so is its edition");
    }
    // The roster: one row per person, each module's state; the participant enrolled.
    let (status, _, _) = post(
        &participant,
        &format!("/ediciones/{edition}"),
        &format!("/ediciones/{edition}/inscribirme"),
        &[],
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    let (_, page) = get(&coordinator, &roster).await;
    let read = text(&page);
    assert!(read.contains("Persona rol 0"), "{read}");
    assert!(read.contains("0 de 4"), "{read}");
    // Only staff write: a reviewer's and a participant's posts are refused.
    let (status, _, _) = post(
        &reviewer,
        "/programas",
        &format!("/programas/{programme_id}/publicar"),
        &[],
    )
    .await;
    assert_eq!(status, Status::Forbidden);
    let (status, _, _) = post(
        &participant,
        "/programas",
        "/coordinacion/programas",
        &[("code", "X")],
    )
    .await;
    assert_eq!(status, Status::Forbidden);
    // A coordinator does not enrol herself.
    let (status, _, _) = post(
        &coordinator,
        "/programas",
        &format!("/ediciones/{edition}/inscribirme"),
        &[],
    )
    .await;
    assert_eq!(status, Status::Forbidden);
}
