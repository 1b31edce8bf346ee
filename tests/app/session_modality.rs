//! A session's modality as people run it (issue 65, item 5): a session follows its cohort's
//! modality unless it has its own; a virtual or mixta session opens one of its cohort's links
//! to the virtual classroom, and its place — on the pages, in the reminder, in the calendar —
//! is that link's launch page. A link of another cohort is refused, writing nothing.

use crate::common::TestApp;
use crate::support::*;
use crate::world::{Session, World, days};
use domain::config::AppConfig;
use domain::entities::values::Role;
use domain::entities::{audit_log, cohort_session, lti_link, lti_tool, outbox};
use domain::templates::Templates;
use rocket::http::Status;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

/// A tool and a link of `cohort` to it, written directly (the links' API is the lead's).
async fn link_of(app: &TestApp, cohort: i64, title: &str) -> i32 {
    let at = domain::time::now();
    let tag = format!("{cohort}-{}", title.len());
    let tool = lti_tool::ActiveModel {
        name: Set(format!("Moodle {tag}")),
        client_id: Set(format!("cliente-{tag}")),
        deployment_id: Set(format!("despliegue-{tag}")),
        login_url: Set("https://campus.example.org/enrol/lti/login.php".into()),
        target_link_uri: Set("https://campus.example.org/enrol/lti/launch.php".into()),
        redirect_uris: Set(r#"["https://campus.example.org/enrol/lti/launch.php"]"#.into()),
        jwks_url: Set(Some("https://campus.example.org/enrol/lti/jwks.php".into())),
        public_jwk: Set(None),
        deep_link_url: Set(None),
        share_name: Set(true),
        share_email: Set(true),
        scopes: Set("[]".into()),
        created_by: Set(None),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(app.db())
    .await
    .unwrap();
    lti_link::ActiveModel {
        cohort_id: Set(cohort as i32),
        tool_id: Set(tool.id),
        resource_link_id: Set(format!("recurso-{tag}")),
        title: Set(title.into()),
        custom: Set(None),
        created_by: Set(None),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(app.db())
    .await
    .unwrap()
    .id
}

/// A session tomorrow, as the API takes it, with `extra` fields.
fn tomorrow(topic: &str, extra: Value) -> Value {
    let day = days(1);
    let mut body = json!({
        "starts_at": format!("{day}T14:00:00-05:00"),
        "ends_at": format!("{day}T16:00:00-05:00"),
        "topic": topic,
    });
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    body
}

async fn sessions_of(app: &TestApp, token: &str, cohort: i64) -> Vec<Value> {
    let body = api_get(
        app,
        &format!("/api/v1/cohorts/{cohort}/sessions"),
        Some(token),
    )
    .await
    .expect_status(Status::Ok);
    json_items(&body).clone()
}

/// Unfolds RFC 5545 lines.
fn unfold(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for line in text.split("\r\n") {
        if let Some(rest) = line.strip_prefix(' ') {
            if let Some(last) = lines.last_mut() {
                last.push_str(rest);
            }
        } else if !line.is_empty() {
            lines.push(line.to_string());
        }
    }
    lines
}

#[rocket::async_test]
async fn a_session_follows_its_cohorts_modality_unless_it_has_its_own() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let staff = &world.staff;
    let cohort = world.cohort().national().create().await.id;
    let link = link_of(&app, cohort, "Curso en el campus virtual").await;

    // The opening session follows the cohort: in person, at its venue.
    let first = &sessions_of(&app, staff, cohort).await[0];
    assert_eq!(first["modality"], "presencial");
    assert_eq!(first["own_modality"], false);
    assert_eq!(first["place"], "Casa de la Cultura, Puerto Rico");
    assert_eq!(first["launch_url"], Value::Null);
    assert_eq!(first["lti_link_id"], Value::Null);

    // A virtual session opening the cohort's link: its place is the launch page.
    let path = format!("/api/v1/cohorts/{cohort}/sessions");
    let virtual_one = api_post(
        &app,
        &path,
        Some(staff),
        tomorrow(
            "En el campus",
            json!({"modality": "virtual", "lti_link_id": link}),
        ),
    )
    .await
    .expect_status(Status::Created);
    let launch = format!("/cohortes/{cohort}/aula-virtual/{link}");
    assert_eq!(virtual_one["modality"], "virtual");
    assert_eq!(virtual_one["own_modality"], true);
    assert_eq!(virtual_one["lti_link_id"], link);
    assert_eq!(virtual_one["launch_url"], launch.as_str());
    assert_eq!(virtual_one["place"], Value::Null);
    // Mixta: the venue and the launch page.
    let mixed = api_post(
        &app,
        &path,
        Some(staff),
        tomorrow(
            "En la alcaldía y en el campus",
            json!({"modality": "mixta", "lti_link_id": link}),
        ),
    )
    .await
    .expect_status(Status::Created);
    assert_eq!(mixed["place"], "Casa de la Cultura, Puerto Rico");
    assert_eq!(mixed["launch_url"], launch.as_str());

    // Back to the cohort's modality, without the link.
    let back = api_patch(
        &app,
        &format!("/api/v1/sessions/{}", virtual_one["id"]),
        Some(staff),
        json!({"modality": null, "lti_link_id": null}),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(back["modality"], "presencial");
    assert_eq!(back["own_modality"], false);
    assert_eq!(back["launch_url"], Value::Null);
    let row = cohort_session::Entity::find_by_id(back["id"].as_i64().unwrap() as i32)
        .expect_one(app.db())
        .await;
    assert_eq!((row.modality, row.lti_link_id), (None, None));

    // A virtual session with nowhere to connect, a presencial one opening the classroom and
    // a modality that is none of the three are refused by name.
    for (extra, field) in [
        (json!({"modality": "virtual"}), "lti_link_id"),
        (
            json!({"modality": "presencial", "lti_link_id": link}),
            "lti_link_id",
        ),
        (json!({"modality": "hibrida"}), "modality"),
    ] {
        let (status, problem) = api_post(
            &app,
            &path,
            Some(staff),
            tomorrow("Rechazada", extra.clone()),
        )
        .await;
        assert_eq!(status, Status::UnprocessableEntity, "{extra}: {problem}");
        assert_eq!(error_fields(&problem), [field], "{extra}: {problem}");
    }
    // A room typed as the location is where a virtual session connects.
    let room = api_post(
        &app,
        &path,
        Some(staff),
        tomorrow(
            "En la sala",
            json!({"modality": "virtual", "location": "https://meet.example.org/abc"}),
        ),
    )
    .await
    .expect_status(Status::Created);
    assert_eq!(room["meeting_url"], "https://meet.example.org/abc");

    // A virtual cohort's sessions follow it: its room.
    let online = world
        .cohort()
        .name("Cohorte en línea")
        .online("https://sala.example.org/en-linea")
        .national()
        .create()
        .await
        .id;
    let first = &sessions_of(&app, staff, online).await[0];
    assert_eq!(first["modality"], "virtual");
    assert_eq!(first["meeting_url"], "https://sala.example.org/en-linea");
    assert_eq!(first["place"], Value::Null);
}

#[rocket::async_test]
async fn a_link_of_another_cohort_is_refused_and_nothing_is_written() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let staff = &world.staff;
    let mine = world.cohort().national().create().await;
    let other = world
        .cohort()
        .name("Otra cohorte")
        .national()
        .create()
        .await
        .id;
    let theirs = link_of(&app, other, "Aula de la otra cohorte").await;
    let sessions_before = cohort_session::Entity::find().fetch_count(app.db()).await;
    let audit_before = audit_log::Entity::find().fetch_count(app.db()).await;

    for link in [json!(theirs), json!(987_654)] {
        let problem = api_post(
            &app,
            &format!("/api/v1/cohorts/{}/sessions", mine.id),
            Some(staff),
            tomorrow(
                "Con aula ajena",
                json!({"modality": "virtual", "lti_link_id": link}),
            ),
        )
        .await
        .expect_status(Status::UnprocessableEntity);
        assert_eq!(error_fields(&problem), ["lti_link_id"], "{problem}");
        assert!(
            problem.to_string().contains("no es de esta cohorte"),
            "{problem}"
        );
    }
    let problem = api_patch(
        &app,
        &format!("/api/v1/sessions/{}", mine.sessions[0]),
        Some(staff),
        json!({"modality": "virtual", "lti_link_id": theirs, "topic": "Cambiada"}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert_eq!(error_fields(&problem), ["lti_link_id"], "{problem}");
    // The recurrence is refused the same way.
    let problem = api_post(
        &app,
        &format!("/api/v1/cohorts/{}/sessions/generate", mine.id),
        Some(staff),
        json!({"weekdays": [1, 2, 3, 4, 5], "start_time": "14:00", "end_time": "16:00",
                    "from": days(2).to_string(), "to": days(20).to_string(),
                    "modality": "virtual", "lti_link_id": theirs}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert_eq!(error_fields(&problem), ["lti_link_id"], "{problem}");

    assert_eq!(
        cohort_session::Entity::find().fetch_count(app.db()).await,
        sessions_before
    );
    assert_eq!(
        audit_log::Entity::find().fetch_count(app.db()).await,
        audit_before
    );
    let untouched = cohort_session::Entity::find_by_id(mine.sessions[0] as i32)
        .expect_one(app.db())
        .await;
    assert_eq!(untouched.topic, "Apertura");
    assert_eq!((untouched.modality, untouched.lti_link_id), (None, None));
}

#[rocket::async_test]
async fn the_reminder_and_the_calendar_of_a_virtual_session_carry_its_launch_page() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let staff = &world.staff;
    let cohort = world
        .cohort()
        .national()
        .session(Session::on(days(1), (9, 0), (12, 0)).topic("En el campus"))
        .session(Session::on(days(2), (9, 0), (12, 0)).topic("Mixta"))
        .create()
        .await;
    let link = link_of(&app, cohort.id, "Campus virtual ESAP").await;
    for (session, modality) in [
        (cohort.sessions[0], "virtual"),
        (cohort.sessions[1], "mixta"),
    ] {
        api_patch(
            &app,
            &format!("/api/v1/sessions/{session}"),
            Some(staff),
            json!({"modality": modality, "lti_link_id": link}),
        )
        .await
        .expect_status(Status::Ok);
    }
    let person = world.people("aulavirtual").create().await.remove(0);
    world.enrol(cohort.id, person.id).await;

    let config = app.client.rocket().state::<AppConfig>().unwrap();
    let public_url = config.public_url.trim_end_matches('/').to_string();
    let launch = format!("{public_url}/cohortes/{}/aula-virtual/{link}", cohort.id);

    // The reminder names the launch page, and no place in person.
    let notifier = domain::mail::Notifier {
        templates: app.client.rocket().state::<Templates>().unwrap(),
        config,
    };
    domain::enrolment::reminders::queue_due(app.db(), &notifier, domain::time::now())
        .await
        .unwrap();
    let reminder = outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq("aulavirtual0@example.org"))
        .filter(outbox::Column::Subject.starts_with("Mañana:"))
        .one(app.db())
        .await
        .unwrap()
        .expect("the reminder of tomorrow's session");
    assert!(
        reminder
            .body_text
            .contains(&format!("Aula virtual: {launch}")),
        "{}",
        reminder.body_text
    );
    assert!(
        !reminder.body_text.contains("Lugar:"),
        "{}",
        reminder.body_text
    );
    assert!(
        reminder.body_html.contains(&format!("href=\"{launch}\"")),
        "{}",
        reminder.body_html
    );

    // The session's calendar: the launch page is its LOCATION and its URL.
    let one = app
        .client
        .get(format!("/sesiones/{}/calendario.ics", cohort.sessions[0]))
        .dispatch()
        .await;
    assert_eq!(one.status(), Status::Ok);
    let lines = unfold(&one.into_string().await.unwrap());
    assert!(lines.contains(&format!("LOCATION:{launch}")), "{lines:?}");
    assert!(lines.contains(&format!("URL:{launch}")), "{lines:?}");
    // The cohort's: the mixta session meets at the venue and connects at the launch page.
    let all = body_of(
        &app.client,
        format!("/cohortes/{}/calendario.ics", cohort.id),
    )
    .await;
    let lines = unfold(&all);
    assert!(
        lines.contains(&"LOCATION:Casa de la Cultura\\, Puerto Rico".to_string()),
        "{lines:?}"
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| **l == format!("URL:{launch}"))
            .count(),
        2,
        "{lines:?}"
    );
}

#[rocket::async_test]
async fn the_sessions_page_offers_the_modality_and_the_cohorts_virtual_classroom() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let cohort = world.cohort().national().create().await.id;
    let link = link_of(&app, cohort, "Campus virtual ESAP").await;
    let (email, password) = demo_account(Role::Coordinator);
    assert_eq!(sign_in_page(&app, email, password).await, Status::SeeOther);
    let path = format!("/coordinacion/cohortes/{cohort}/sesiones");
    let (status, html) = page(&app, &path).await;
    assert_eq!(status, Status::Ok);
    assert!(
        html.contains("<label for=\"s-modality\">Modalidad</label>"),
        "{html}"
    );
    assert!(html.contains("Como la cohorte (Presencial)"), "{html}");
    assert!(
        html.contains("<label for=\"s-link\">Aula virtual</label>"),
        "{html}"
    );
    assert!(
        html.contains(&format!(
            "<option value=\"{link}\">Campus virtual ESAP</option>"
        )),
        "{html}"
    );

    let csrf = csrf_from(&app, &path).await;
    let day = days(1).to_string();
    let link_text = link.to_string();
    let response = post_form(
        &app,
        &path,
        &[
            ("csrf_token", &csrf),
            ("date", &day),
            ("start_time", "14:00"),
            ("end_time", "16:00"),
            ("topic", "Taller en el campus"),
            ("location", ""),
            ("modality", "virtual"),
            ("lti_link_id", &link_text),
        ],
    )
    .await;
    assert_eq!(response.status(), Status::SeeOther);
    let saved = cohort_session::Entity::find()
        .filter(cohort_session::Column::Topic.eq("Taller en el campus"))
        .one(app.db())
        .await
        .unwrap()
        .expect("the session is saved");
    assert_eq!(saved.lti_link_id, Some(link));
    assert_eq!(saved.modality.map(|m| m.as_str()), Some("virtual"));

    // The lists show the modality and the way in.
    let (_, html) = page(&app, &path).await;
    let launch = format!("/cohortes/{cohort}/aula-virtual/{link}");
    assert!(
        html.contains(&format!("<a href=\"{launch}\">Entrar al aula virtual")),
        "{html}"
    );
    assert!(
        html.contains("<td data-label=\"Modalidad\">Virtual</td>"),
        "{html}"
    );
    let (_, public) = page(&app, &format!("/cohortes/{cohort}")).await;
    assert!(
        public.contains(&format!("<a href=\"{launch}\">Entrar al aula virtual")),
        "{public}"
    );
}
