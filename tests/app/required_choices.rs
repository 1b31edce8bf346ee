//! Issue 67: every required choice starts empty. A required `<select>` whose first option is a
//! real value sends that value when a hurried person does not choose («Agricultura», «Albania»,
//! «Amazonas»); with an empty first option («Elija…») the browser asks her to choose, and a
//! form sent without a choice anyway (no browser check, an old browser) comes back 422 with a
//! Spanish message beside the field and nothing written. The W3C Nu HTML Checker holds the
//! same rule over the pages the browser journeys visit (`.ci/browser`).

use crate::common::TestApp;
use crate::support::{Fetch, csrf_from_client, demo_account, form_body, sign_in_client};
use crate::world::demo_cohort;
use domain::entities::values::{CohortStatus, Role};
use domain::entities::{replica, user};
use rocket::http::{ContentType, Status};
use rocket::local::asynchronous::Client;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// A required single choice of a page: its `id` and the opening tag of its first option.
struct RequiredSelect {
    id: String,
    first_option: String,
}

/// The value of attribute `name` in an opening tag, if it has it.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let needle = format!(" {name}=\"");
    let at = tag.find(&needle)? + needle.len();
    let rest = &tag[at..];
    Some(&rest[..rest.find('"')?])
}

/// Whether an opening tag carries the boolean attribute `name` (`required`, `multiple`).
fn has_flag(tag: &str, name: &str) -> bool {
    tag.trim_end_matches('>')
        .split(|c: char| c.is_whitespace() || c == '"')
        .any(|word| word == name)
}

/// Every `<select required>` of a page that is a single choice (no `multiple`, no `size` over
/// 1), with the opening tag of its first option.
fn required_selects(html: &str) -> Vec<RequiredSelect> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("<select") {
        rest = &rest[at..];
        let end = rest.find('>').expect("a select's tag ends") + 1;
        let tag = &rest[..end];
        let sized = attribute(tag, "size").and_then(|s| s.parse::<u32>().ok()) > Some(1);
        if has_flag(tag, "required") && !has_flag(tag, "multiple") && !sized {
            let body = &rest[end..rest.find("</select>").expect("a select closes")];
            let first_option = body
                .find("<option")
                .map(|o| body[o..o + body[o..].find('>').unwrap() + 1].to_string())
                .unwrap_or_default();
            found.push(RequiredSelect {
                id: attribute(tag, "id").unwrap_or("?").to_string(),
                first_option,
            });
        }
        rest = &rest[end..];
    }
    found
}

async fn page(client: &Client, path: &str) -> String {
    let response = client.get(path.to_string()).dispatch().await;
    assert_eq!(response.status(), Status::Ok, "{path}");
    response.into_string().await.unwrap()
}

/// The page's required choices (at least `expected`, by id) each start with an empty option.
fn assert_choices_start_empty(path: &str, html: &str, expected: &[&str]) {
    let selects = required_selects(html);
    for id in expected {
        assert!(
            selects.iter().any(|s| s.id == *id),
            "{path}: no required select #{id} (found {:?})",
            selects.iter().map(|s| &s.id).collect::<Vec<_>>()
        );
    }
    for select in &selects {
        assert_eq!(
            attribute(&select.first_option, "value"),
            Some(""),
            "{path}: the required select #{} starts with a real value: {}",
            select.id,
            select.first_option
        );
    }
}

async fn signed_in(app: &TestApp, account: (&str, &str)) -> Client {
    let client = app.another_instance(&[]).await;
    sign_in_client(&client, account.0, account.1).await;
    client
}

#[rocket::async_test]
async fn every_required_choice_of_the_key_forms_starts_with_an_empty_option() {
    let app = TestApp::with_demo().await;
    // Anyone: registration (document type, entity type, level) and the open data page (a
    // sector's offer).
    for (path, ids) in [
        ("/registro", &["document_type", "entity_type", "level"][..]),
        ("/datos-abiertos", &["od-sector"][..]),
    ] {
        assert_choices_start_empty(path, &page(&app.client, path).await, ids);
    }
    // A replicator's replica: municipality, capacity, audience.
    let participant = signed_in(&app, demo_account(Role::Participant)).await;
    let path = "/mis-replicas";
    let html = page(&participant, path).await;
    assert_choices_start_empty(path, &html, &["r-mun", "r-cap", "r-aud"]);
    // The gobernación's reviewer: the liaison proposal's municipality.
    let reviewer = signed_in(&app, demo_account(Role::Reviewer)).await;
    assert_choices_start_empty("/demandas", &page(&reviewer, "/demandas").await, &["l-mun"]);
    // The administrator: a new alliance's department.
    let admin = signed_in(&app, demo_account(Role::Admin)).await;
    let path = "/alianzas/nueva";
    assert_choices_start_empty(path, &page(&admin, path).await, &["al-dep"]);
    // The coordinator: a new cohort's course, a cohort's virtual classroom tool.
    let coordinator = signed_in(&app, demo_account(Role::Coordinator)).await;
    let path = "/coordinacion/cohortes/nueva";
    assert_choices_start_empty(path, &page(&coordinator, path).await, &["k-course"]);
    let cohort = demo_cohort(app.db(), CohortStatus::Open).await;
    let path = format!("/coordinacion/cohortes/{}/sesiones", cohort.id);
    assert_choices_start_empty(&path, &page(&coordinator, &path).await, &["v-tool"]);
}

/// The field's message beside it, as the page shows it.
fn field_message(html: &str, field: &str) -> String {
    let at = html
        .find(&format!("id=\"error-{field}\""))
        .unwrap_or_else(|| panic!("no message beside {field}:\n{html}"));
    let rest = &html[at..];
    let text = &rest[rest.find('>').unwrap() + 1..rest.find("</p>").unwrap()];
    // After the «Error: » that only a screen reader says.
    text.rsplit("</span>").next().unwrap().trim().to_string()
}

#[rocket::async_test]
async fn a_form_sent_without_choosing_comes_back_with_a_spanish_message_and_nothing_written() {
    let app = TestApp::with_demo().await;
    // A replica with the capacity and the audience left on «Elija…».
    let participant = signed_in(&app, demo_account(Role::Participant)).await;
    let csrf = csrf_from_client(&participant, "/mis-replicas").await;
    let replicas = replica::Entity::find().fetch_count(app.db()).await;
    let today = crate::world::days(0).to_string();
    let refused = participant
        .post("/mis-replicas")
        .header(ContentType::Form)
        .body(form_body(&[
            ("csrf_token", csrf.as_str()),
            ("date", today.as_str()),
            ("municipality_code", "18256"),
            ("capacity_id", ""),
            ("audience", ""),
            ("attendees[0].full_name", "Ana Rojas"),
        ]))
        .dispatch()
        .await;
    assert_eq!(refused.status(), Status::UnprocessableEntity);
    let html = refused.into_string().await.unwrap();
    assert_eq!(
        field_message(&html, "replica-capacity_id"),
        "Elija la capacidad."
    );
    assert_eq!(
        field_message(&html, "replica-audience"),
        "Elija a quién dictó la réplica."
    );
    // The form again as typed, the choices still empty.
    assert!(html.contains("value=\"Ana Rojas\""), "{html}");
    assert_choices_start_empty("/mis-replicas (refused)", &html, &["r-cap", "r-aud"]);
    assert_eq!(
        replica::Entity::find().fetch_count(app.db()).await,
        replicas
    );

    // A liaison proposed with the municipality left on «Elija el municipio».
    let reviewer = signed_in(&app, demo_account(Role::Reviewer)).await;
    let csrf = csrf_from_client(&reviewer, "/demandas").await;
    let email = "enlace.sin.municipio@example.org";
    let refused = reviewer
        .post("/enlaces/proponer")
        .header(ContentType::Form)
        .body(form_body(&[
            ("csrf_token", csrf.as_str()),
            ("full_name", "Marta Lucía Díaz"),
            ("email", email),
            ("municipality_code", ""),
        ]))
        .dispatch()
        .await;
    assert_eq!(refused.status(), Status::UnprocessableEntity);
    let html = refused.into_string().await.unwrap();
    assert_eq!(
        field_message(&html, "enlace-municipality_code"),
        "Elija el municipio del enlace."
    );
    assert!(html.contains("value=\"Marta Lucía Díaz\""), "{html}");
    let accounts = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .fetch_count(app.db())
        .await;
    assert_eq!(accounts, 0, "no account written for the refused proposal");
}
