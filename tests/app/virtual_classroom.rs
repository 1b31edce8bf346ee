//! The virtual classroom (issue 65): Aula Territorial as an LTI 1.3 platform. A launch from
//! the cohort's page (third-party initiated login, the OIDC authorization, a signed
//! `id_token`), the refusals that write nothing (a replayed nonce, a spent login, a redirect
//! URI not registered, a waitlisted person), the token endpoint's checks of the tool's
//! assertion, NRPS and AGS reaching only the tool's own cohorts and enrolled people, scores
//! that land as the assessment's (the latest timestamp wins, a closed cohort refuses), and
//! keys that rotate without breaking a launch in flight. CI's `.ci/lti` drives the same round
//! trip with an independent tool (pylti1p3).

use crate::common::TestApp;
use crate::support::*;
use crate::world::{Person, Session, World};
use chrono::Duration;
use domain::entities::values::CohortStatus;
use domain::entities::{
    attendance_mark, audit_log, cohort, lti_access_token, lti_launch, lti_result, score,
};
use domain::virtual_classroom::keys::KeyPair;
use domain::virtual_classroom::{ROLE_INSTRUCTOR, ROLE_LEARNER, SCOPE_MEMBERSHIPS, SCOPES};
use rocket::http::{ContentType, Header, Status};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};
use std::collections::HashMap;

const TOOL: &str = "https://herramienta.example";

/// A registered tool and the key it signs with.
struct Tool {
    key: KeyPair,
    client_id: String,
    deployment_id: String,
    token_endpoint: String,
}

/// Registers a tool (as the admin) whose public key is given once.
async fn register(app: &TestApp, world: &World<'_>, name: &str) -> Tool {
    let key = KeyPair::generate().unwrap();
    let body = api_post(
        app,
        "/api/v1/lti/tools",
        Some(&world.admin),
        json!({
            "name": name,
            "login_url": format!("{TOOL}/login"),
            "target_link_uri": format!("{TOOL}/launch"),
            "redirect_uris": [format!("{TOOL}/launch")],
            "public_jwk": key.public_jwk,
            "share_name": false,
            "share_email": false,
        }),
    )
    .await
    .expect_status(Status::Created);
    assert_eq!(
        body["authorization_endpoint"],
        format!("{}/lti/authorize", json_str(&body["issuer"]))
    );
    Tool {
        key,
        client_id: json_str(&body["client_id"]).to_string(),
        deployment_id: json_str(&body["deployment_id"]).to_string(),
        token_endpoint: json_str(&body["token_endpoint"]).to_string(),
    }
}

/// A virtual cohort with a session under way, linked to `tool`: its id, its session, the link.
async fn linked_cohort(
    app: &TestApp,
    world: &World<'_>,
    tool: &Tool,
    name: &str,
    seats: i64,
) -> (i64, i64, i64) {
    let cohort = world
        .cohort()
        .name(name)
        .online("https://sala.example/encuentro")
        .seats(seats)
        .session(Session::from_now(-Duration::minutes(10), 120))
        .create()
        .await;
    let tools = api_get(app, "/api/v1/lti/tools", Some(&world.staff))
        .await
        .1;
    let tool_id = json_items(&tools)
        .iter()
        .find(|t| t["client_id"] == tool.client_id.as_str())
        .unwrap()["id"]
        .clone();
    let link = api_post(
        app,
        &format!("/api/v1/cohorts/{}/lti-links", cohort.id),
        Some(&world.staff),
        json!({"tool_id": tool_id, "title": "Foros y lecturas", "custom": {"id": "7"}}),
    )
    .await
    .expect_status(Status::Created);
    assert!(json_str(&link["launch_url"]).ends_with(&format!(
        "/cohortes/{}/aula-virtual/{}",
        cohort.id, link["id"]
    )));
    (cohort.id, cohort.sessions[0], link["id"].as_i64().unwrap())
}

/// `%XX` and `+` decoded.
fn decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() + 1 => {
                out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

fn query_of(url: &str) -> HashMap<String, String> {
    url.split_once('?')
        .map(|(_, q)| q)
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_string(), decoded(v)))
        .collect()
}

fn encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Opens the launch page in the signed-in browser: the tool's login initiation parameters.
async fn begin(app: &TestApp, cohort: i64, link: i64) -> HashMap<String, String> {
    let response = app
        .client
        .get(format!("/cohortes/{cohort}/aula-virtual/{link}"))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::SeeOther);
    let location = response.headers().get_one("Location").unwrap().to_string();
    assert!(
        location.starts_with(&format!("{TOOL}/login?")),
        "{location}"
    );
    query_of(&location)
}

/// The tool's authentication request back to the platform: (status, page, CSP).
async fn authorize(
    app: &TestApp,
    login: &HashMap<String, String>,
    redirect_uri: &str,
    nonce: &str,
) -> (Status, String, String) {
    let query = [
        ("scope", "openid"),
        ("response_type", "id_token"),
        ("response_mode", "form_post"),
        ("prompt", "none"),
        ("client_id", login["client_id"].as_str()),
        ("redirect_uri", redirect_uri),
        ("login_hint", login["login_hint"].as_str()),
        ("lti_message_hint", login["lti_message_hint"].as_str()),
        ("state", "estado-1"),
        ("nonce", nonce),
    ]
    .iter()
    .map(|(k, v)| format!("{k}={}", encoded(v)))
    .collect::<Vec<_>>()
    .join("&");
    let response = app
        .client
        .get(format!("/lti/authorize?{query}"))
        .dispatch()
        .await;
    let status = response.status();
    let csp = response
        .headers()
        .get_one("Content-Security-Policy")
        .unwrap_or_default()
        .to_string();
    (
        status,
        response.into_string().await.unwrap_or_default(),
        csp,
    )
}

fn hidden(html: &str, name: &str) -> Option<String> {
    hidden_inputs(html)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
}

/// The claims of an `id_token`, checked against the platform's published keys.
async fn verified(app: &TestApp, token: &str, audience: &str) -> Value {
    let jwks: jsonwebtoken::jwk::JwkSet =
        serde_json::from_value(api_get(app, "/lti/jwks", None).await.1).unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    let kid = header.kid.expect("the token names its key");
    let jwk = jwks.find(&kid).expect("the key is published");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[audience]);
    jsonwebtoken::decode::<Value>(
        token,
        &jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap(),
        &validation,
    )
    .unwrap()
    .claims
}

/// The cohort's launches recorded.
async fn launches(app: &TestApp, cohort: i64) -> u64 {
    lti_launch::Entity::find()
        .filter(lti_launch::Column::CohortId.eq(cohort as i32))
        .fetch_count(app.db())
        .await
}

async fn person(world: &World<'_>, tag: &str) -> Person {
    world.people(tag).create().await.pop().unwrap()
}

const LTI: &str = "https://purl.imsglobal.org/spec/lti/claim/";

#[rocket::async_test]
async fn a_launch_is_signed_for_the_enrolled_person_and_a_replay_writes_nothing() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let tool = register(&app, &world, "Campus de prueba").await;
    let (cohort, session, link) = linked_cohort(&app, &world, &tool, "Cohorte virtual", 1).await;
    let ana = person(&world, "lti-ana").await;
    let beto = person(&world, "lti-beto").await;
    let enrolment = world.enrols_herself(cohort, &ana).await;
    assert_eq!(
        world.enrols_herself(cohort, &beto).await.status,
        "waitlisted"
    );

    // The waitlisted person (in her own browser) sees no classroom and is told why.
    let browser = app.another_instance(&[]).await;
    sign_in_client(&browser, "lti-beto0@example.org", "Clave-segura-2026").await;
    let page_html = body_of(&browser, format!("/cohortes/{cohort}")).await;
    assert!(!page_html.contains("Aula virtual: Foros y lecturas"));
    let refused = browser
        .get(format!("/cohortes/{cohort}/aula-virtual/{link}"))
        .dispatch()
        .await;
    assert_eq!(refused.status(), Status::Forbidden);
    assert!(
        refused
            .into_string()
            .await
            .unwrap()
            .contains("lista de espera")
    );

    // The enrolled person sees it and launches.
    sign_in_client(&app.client, "lti-ana0@example.org", "Clave-segura-2026").await;
    let (_, page_html) = page(&app, &format!("/cohortes/{cohort}")).await;
    assert!(
        page_html.contains(&format!("/cohortes/{cohort}/aula-virtual/{link}")),
        "the cohort's page offers it"
    );
    assert!(page_html.contains("Aula virtual: Foros y lecturas"));
    let login = begin(&app, cohort, link).await;
    assert_eq!(login["client_id"], tool.client_id);
    assert_eq!(login["lti_deployment_id"], tool.deployment_id);
    assert_eq!(login["target_link_uri"], format!("{TOOL}/launch"));
    assert_eq!(login["login_hint"], format!("p{}", ana.id));

    // A redirect URI the tool did not register: refused, nothing written.
    let (status, html, _) = authorize(&app, &login, "https://otra.example/launch", "n-1").await;
    assert_eq!(status, Status::BadRequest, "{html}");
    assert!(html.contains("no está registrada"));
    assert!(hidden(&html, "id_token").is_none());
    assert_eq!(launches(&app, cohort).await, 0);

    let (status, html, csp) = authorize(&app, &login, &format!("{TOOL}/launch"), "n-1").await;
    assert_eq!(status, Status::Ok, "{html}");
    assert!(
        html.contains(&format!("action=\"{TOOL}/launch\"")),
        "{html}"
    );
    assert!(csp.contains(&format!("form-action {TOOL}")), "{csp}");
    assert_eq!(hidden(&html, "state").as_deref(), Some("estado-1"));
    let claims = verified(&app, &hidden(&html, "id_token").unwrap(), &tool.client_id).await;
    assert_eq!(claims["nonce"], "n-1");
    assert_eq!(claims["sub"], format!("p{}", ana.id));
    assert_eq!(
        claims[format!("{LTI}message_type")],
        "LtiResourceLinkRequest"
    );
    assert_eq!(claims[format!("{LTI}version")], "1.3.0");
    assert_eq!(claims[format!("{LTI}deployment_id")], tool.deployment_id);
    assert_eq!(claims[format!("{LTI}context")]["id"], cohort.to_string());
    assert_eq!(claims[format!("{LTI}roles")], json!([ROLE_LEARNER]));
    assert_eq!(claims[format!("{LTI}custom")], json!({"id": "7"}));
    assert!(
        claims.get("name").is_none() && claims.get("email").is_none(),
        "the tool may not learn names or emails: {claims}"
    );
    assert!(
        claims["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"]["context_memberships_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/lti/contexts/{cohort}/memberships"))
    );
    assert!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap() <= 300,
        "short lived"
    );

    // Recorded, in the session's window: a check-in the instructor can correct.
    assert_eq!(launches(&app, cohort).await, 1);
    let (_, listed) = api_get(
        &app,
        &format!("/api/v1/cohorts/{cohort}/lti-launches"),
        Some(&world.staff),
    )
    .await;
    assert_eq!(listed["items"][0]["session_id"], session, "{listed}");
    assert_eq!(listed["items"][0]["role"], "Learner");
    let mark = attendance_mark::Entity::find()
        .filter(attendance_mark::Column::SessionId.eq(session as i32))
        .filter(attendance_mark::Column::EnrolmentId.eq(enrolment.id as i32))
        .one(app.db())
        .await
        .unwrap()
        .expect("marked as connected");
    assert_eq!(mark.source.as_str(), "check_in");
    let (_, sheet) = api_get(
        &app,
        &format!("/api/v1/sessions/{session}/attendance"),
        Some(&world.instructor),
    )
    .await;
    assert!(sheet["items"][0]["connected_at"].is_string(), "{sheet}");

    // The same login again, or a new login with the nonce already used: refused, nothing written.
    let (status, html, _) = authorize(&app, &login, &format!("{TOOL}/launch"), "n-2").await;
    assert_eq!(status, Status::BadRequest, "{html}");
    assert!(html.contains("ya se usó"));
    let again = begin(&app, cohort, link).await;
    let (status, html, _) = authorize(&app, &again, &format!("{TOOL}/launch"), "n-1").await;
    assert_eq!(status, Status::BadRequest, "{html}");
    assert!(html.contains("nonce"));
    assert!(hidden(&html, "id_token").is_none());
    assert_eq!(launches(&app, cohort).await, 1);
    // That login is still good with a fresh nonce.
    let (status, _, _) = authorize(&app, &again, &format!("{TOOL}/launch"), "n-3").await;
    assert_eq!(status, Status::Ok);

    // A closed cohort opens no more.
    cohort::ActiveModel {
        id: Set(cohort as i32),
        status: Set(CohortStatus::Closed),
        ..Default::default()
    }
    .update(app.db())
    .await
    .unwrap();
    let closed = app
        .client
        .get(format!("/cohortes/{cohort}/aula-virtual/{link}"))
        .dispatch()
        .await;
    assert_eq!(closed.status(), Status::Forbidden);
    assert!(closed.into_string().await.unwrap().contains("cerrada"));
}

/// The tool's signed assertion for the token endpoint.
fn assertion(key: &KeyPair, tool: &Tool, audience: &str, expires_in: i64, jti: &str) -> String {
    let now = domain::time::now().timestamp();
    key.sign(&json!({
        "iss": tool.client_id, "sub": tool.client_id, "aud": audience,
        "iat": now, "exp": now + expires_in, "jti": jti,
    }))
    .unwrap()
}

async fn ask_token(app: &TestApp, assertion: &str, scope: &str) -> (Status, Value) {
    let body = form_body(&[
        ("grant_type", "client_credentials"),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", assertion),
        ("scope", scope),
    ]);
    let response = app
        .client
        .post("/lti/token")
        .header(ContentType::Form)
        .body(body)
        .dispatch()
        .await;
    let status = response.status();
    (
        status,
        serde_json::from_str(&response.into_string().await.unwrap_or_default())
            .unwrap_or(Value::Null),
    )
}

async fn service(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    body: Option<(&str, Value)>,
) -> (Status, Value, Option<String>) {
    let mut request = match method {
        "GET" => app.client.get(path.to_string()),
        _ => app.client.post(path.to_string()),
    };
    request = request.header(Header::new("Authorization", format!("Bearer {token}")));
    if let Some((media, body)) = body {
        request = request
            .header(ContentType::parse_flexible(media).unwrap())
            .body(body.to_string());
    }
    let response = request.dispatch().await;
    let status = response.status();
    let link = response.headers().get_one("Link").map(str::to_string);
    (
        status,
        serde_json::from_str(&response.into_string().await.unwrap_or_default())
            .unwrap_or(Value::Null),
        link,
    )
}

#[rocket::async_test]
async fn the_token_endpoint_takes_only_a_fresh_assertion_the_tool_signed() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let tool = register(&app, &world, "Campus de prueba").await;
    let all = SCOPES.join(" ");
    let tokens = || async { lti_access_token::Entity::find().fetch_count(app.db()).await };

    // Expired.
    let (status, body) = ask_token(
        &app,
        &assertion(&tool.key, &tool, &tool.token_endpoint, -120, "j-1"),
        &all,
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (Status::Unauthorized, Some("invalid_client")),
        "{body}"
    );
    assert!(json_str(&body["error_description"]).contains("venció"));
    // Signed by another key under the tool's key id.
    let mut impostor = KeyPair::generate().unwrap();
    impostor.kid = tool.key.kid.clone();
    let (status, body) = ask_token(
        &app,
        &assertion(&impostor, &tool, &tool.token_endpoint, 60, "j-2"),
        &all,
    )
    .await;
    assert_eq!(status, Status::Unauthorized, "{body}");
    assert!(
        json_str(&body["error_description"]).contains("firma"),
        "{body}"
    );
    // For another audience.
    let (status, body) = ask_token(
        &app,
        &assertion(&tool.key, &tool, "https://otra.example/token", 60, "j-3"),
        &all,
    )
    .await;
    assert_eq!(status, Status::Unauthorized, "{body}");
    // Asking for nothing it was granted.
    let (status, body) = ask_token(
        &app,
        &assertion(&tool.key, &tool, &tool.token_endpoint, 60, "j-4"),
        "https://example.org/otro",
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (Status::BadRequest, Some("invalid_scope")),
        "{body}"
    );
    assert_eq!(tokens().await, 0, "no token for a refused request");

    let fresh = assertion(&tool.key, &tool, &tool.token_endpoint, 60, "j-5");
    let (status, body) = ask_token(
        &app,
        &fresh,
        &format!("{SCOPE_MEMBERSHIPS} https://example.org/otro"),
    )
    .await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(
        body["scope"], SCOPE_MEMBERSHIPS,
        "only what was asked and granted"
    );
    // The same assertion (its jti) again.
    let (status, body) = ask_token(&app, &fresh, &all).await;
    assert_eq!(status, Status::Unauthorized, "{body}");
    assert!(json_str(&body["error_description"]).contains("jti"));
    assert_eq!(tokens().await, 1);

    // A token limited to NRPS reads no line items; no token, no service.
    let (cohort, _, _) = linked_cohort(&app, &world, &tool, "Cohorte con aula", 30).await;
    let token = body_token(&app, &tool, SCOPE_MEMBERSHIPS, "j-6").await;
    let (status, _, _) = service(
        &app,
        "GET",
        &format!("/lti/contexts/{cohort}/lineitems"),
        &token,
        None,
    )
    .await;
    assert_eq!(status, Status::Forbidden);
    let (status, _, _) = service(
        &app,
        "GET",
        &format!("/lti/contexts/{cohort}/memberships"),
        &token,
        None,
    )
    .await;
    assert_eq!(status, Status::Ok);
    let response = app
        .client
        .get(format!("/lti/contexts/{cohort}/memberships"))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Unauthorized);
    assert!(
        response
            .content_type()
            .is_some_and(|c| c.sub() == "problem+json")
    );
}

async fn body_token(app: &TestApp, tool: &Tool, scope: &str, jti: &str) -> String {
    let (status, body) = ask_token(
        app,
        &assertion(&tool.key, tool, &tool.token_endpoint, 60, jti),
        scope,
    )
    .await;
    assert_eq!(status, Status::Ok, "{body}");
    json_str(&body["access_token"]).to_string()
}

#[rocket::async_test]
async fn services_reach_only_the_tools_cohorts_and_their_enrolled_people() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let moodle = register(&app, &world, "Campus A").await;
    let other = register(&app, &world, "Campus B").await;
    let (cohort, _, _) = linked_cohort(&app, &world, &moodle, "Cohorte del campus A", 2).await;
    let (elsewhere, _, _) = linked_cohort(&app, &world, &other, "Cohorte del campus B", 30).await;
    let people = world.people("lti-nrps").count(4).create().await;
    let enrolled: Vec<i64> = {
        let mut ids = Vec::new();
        for p in &people[..2] {
            ids.push(world.enrols_herself(cohort, p).await.id);
        }
        ids
    };
    assert_eq!(
        world.enrols_herself(cohort, &people[2]).await.status,
        "waitlisted"
    );
    // The third person cancels: she is promoted then gone from the roster… keep it simple:
    // the fourth enrols and cancels in the other cohort, so she never shows here.
    let gone = world.enrols_herself(elsewhere, &people[3]).await;
    let (status, _) = api_delete(
        &app,
        &format!("/api/v1/enrolments/{}", gone.id),
        Some(&people[3].token),
    )
    .await;
    assert!(status.code < 300, "cancelled: {status}");

    let token = body_token(&app, &moodle, &SCOPES.join(" "), "m-1").await;
    let (status, roster, _) = service(
        &app,
        "GET",
        &format!("/lti/contexts/{cohort}/memberships"),
        &token,
        None,
    )
    .await;
    assert_eq!(status, Status::Ok, "{roster}");
    let mut learners: Vec<String> = json_array(&roster["members"])
        .iter()
        .filter(|m| m["roles"][0] == ROLE_LEARNER)
        .map(|m| json_str(&m["user_id"]).to_string())
        .collect();
    learners.sort();
    let mut expected = vec![format!("p{}", people[0].id), format!("p{}", people[1].id)];
    expected.sort();
    assert_eq!(
        learners, expected,
        "exactly the enrolled people, never the waiting list: {roster}"
    );
    assert!(
        json_array(&roster["members"])
            .iter()
            .any(|m| m["roles"][0] == ROLE_INSTRUCTOR),
        "the instructor: {roster}"
    );
    assert!(
        roster["members"][0].get("name").is_none(),
        "no names unless shared"
    );
    let (_, page1, next) = service(
        &app,
        "GET",
        &format!("/lti/contexts/{cohort}/memberships?role=Learner&limit=1"),
        &token,
        None,
    )
    .await;
    assert_eq!(json_array(&page1["members"]).len(), 1);
    let next = next.expect("a next page");
    assert!(next.contains("offset=1"), "{next}");
    // Another deployment's cohort is not this tool's context.
    let (status, body, _) = service(
        &app,
        "GET",
        &format!("/lti/contexts/{elsewhere}/memberships"),
        &token,
        None,
    )
    .await;
    assert_eq!(status, Status::NotFound, "{body}");

    // Line items: the cohort's assessment is one.
    let item = world.assessment(cohort, "Foro de la semana 1", 30).await;
    let (status, items, _) = service(
        &app,
        "GET",
        &format!("/lti/contexts/{cohort}/lineitems"),
        &token,
        None,
    )
    .await;
    assert_eq!(status, Status::Ok, "{items}");
    let line = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "Foro de la semana 1")
        .expect("the assessment's line item")
        .clone();
    assert_eq!(line["scoreMaximum"], 5.0);
    let scores_url = format!("{}/scores", json_str(&line["id"]));
    let scores_path = scores_url
        .split_once("/lti/")
        .map(|(_, p)| format!("/lti/{p}"))
        .unwrap();
    let post = |user: String, given: f64, stamp: &str, grading: &str| {
        json!({"userId": user, "scoreGiven": given, "scoreMaximum": 10.0,
               "activityProgress": "Completed", "gradingProgress": grading, "timestamp": stamp})
    };
    let score_media = "application/vnd.ims.lis.v1.score+json";
    let recorded = || async {
        score::Entity::find()
            .filter(score::Column::AssessmentId.eq(item as i32))
            .fetch_all(app.db())
            .await
    };

    let first = format!("p{}", people[0].id);
    let (status, body, _) = service(
        &app,
        "POST",
        &scores_path,
        &token,
        Some((
            score_media,
            post(
                first.clone(),
                8.0,
                "2026-11-28T10:00:00-05:00",
                "FullyGraded",
            ),
        )),
    )
    .await;
    assert_eq!(status, Status::Ok, "{body}");
    let now = recorded().await;
    assert_eq!(now.len(), 1);
    assert_eq!(
        (
            now[0].enrolment_id as i64,
            now[0].score_tenths,
            now[0].recorded_by
        ),
        (enrolled[0], 40, None)
    );
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("score.recorded"))
        .filter(audit_log::Column::SubjectId.eq(enrolled[0].to_string()))
        .expect_one(app.db())
        .await;
    assert!(
        audited.after_json.unwrap_or_default().contains("Campus A"),
        "audited as written by the tool"
    );

    // An older score never overwrites a newer one; a pending one changes no grade.
    let (_, body, _) = service(
        &app,
        "POST",
        &scores_path,
        &token,
        Some((
            score_media,
            post(
                first.clone(),
                2.0,
                "2026-11-28T09:00:00-05:00",
                "FullyGraded",
            ),
        )),
    )
    .await;
    assert_eq!(body["kept"], false);
    let (_, body, _) = service(
        &app,
        "POST",
        &scores_path,
        &token,
        Some((
            score_media,
            post(first.clone(), 3.0, "2026-11-28T11:00:00-05:00", "Pending"),
        )),
    )
    .await;
    assert_eq!(body["kept"], true);
    assert_eq!(recorded().await[0].score_tenths, 40);

    // Someone not enrolled (waitlisted, or unknown): 422, nothing written.
    let results_before = lti_result::Entity::find().fetch_count(app.db()).await;
    for user in [
        format!("p{}", people[2].id),
        "p999999".to_string(),
        "u1".to_string(),
    ] {
        let (status, body, _) = service(
            &app,
            "POST",
            &scores_path,
            &token,
            Some((
                score_media,
                post(user, 9.0, "2026-11-28T12:00:00-05:00", "FullyGraded"),
            )),
        )
        .await;
        assert_eq!(status, Status::UnprocessableEntity, "{body}");
    }
    assert_eq!(
        lti_result::Entity::find().fetch_count(app.db()).await,
        results_before
    );
    // Another tool's token for this cohort's line item: not its context.
    let other_token = body_token(&app, &other, &SCOPES.join(" "), "o-1").await;
    let (status, _, _) = service(
        &app,
        "POST",
        &scores_path,
        &other_token,
        Some((
            score_media,
            post(
                first.clone(),
                9.0,
                "2026-11-28T12:00:00-05:00",
                "FullyGraded",
            ),
        )),
    )
    .await;
    assert_eq!(status, Status::NotFound);

    // The tool's own line item, mapped by the coordinator, brings its scores along.
    let (status, created, _) = service(
        &app,
        "POST",
        &format!("/lti/contexts/{cohort}/lineitems"),
        &token,
        Some((
            "application/vnd.ims.lis.v2.lineitem+json",
            json!({"label": "Cuestionario", "scoreMaximum": 20, "tag": "quiz"}),
        )),
    )
    .await;
    assert_eq!(status, Status::Created, "{created}");
    let quiz_path = json_str(&created["id"])
        .split_once("/lti/")
        .map(|(_, p)| format!("/lti/{p}"))
        .unwrap();
    let second = format!("p{}", people[1].id);
    let (status, _, _) = service(&app, "POST", &format!("{quiz_path}/scores"), &token, Some((score_media, json!({"userId": second, "scoreGiven": 15, "scoreMaximum": 20, "activityProgress": "Completed", "gradingProgress": "FullyGraded", "timestamp": "2026-11-28T10:00:00Z"})))).await;
    assert_eq!(status, Status::Ok);
    let quiz = world.assessment(cohort, "Cuestionario", 20).await;
    let quiz_id: i64 = quiz_path.rsplit('/').next().unwrap().parse().unwrap();
    api_patch(
        &app,
        &format!("/api/v1/cohorts/{cohort}/lti-line-items/{quiz_id}"),
        Some(&world.staff),
        json!({"assessment_id": quiz}),
    )
    .await
    .expect_status(Status::Ok);
    let quiz_scores = score::Entity::find()
        .filter(score::Column::AssessmentId.eq(quiz as i32))
        .fetch_all(app.db())
        .await;
    assert_eq!(quiz_scores.len(), 1);
    assert_eq!(
        (
            quiz_scores[0].enrolment_id as i64,
            quiz_scores[0].score_tenths
        ),
        (enrolled[1], 38)
    );
    let (_, results, _) = service(&app, "GET", &format!("{quiz_path}/results"), &token, None).await;
    assert_eq!(results[0]["userId"], second, "{results}");

    // A closed cohort takes no score: 409, nothing written.
    cohort::ActiveModel {
        id: Set(cohort as i32),
        status: Set(CohortStatus::Closed),
        ..Default::default()
    }
    .update(app.db())
    .await
    .unwrap();
    let (status, body, _) = service(
        &app,
        "POST",
        &scores_path,
        &token,
        Some((
            score_media,
            post(first, 10.0, "2026-11-28T13:00:00-05:00", "FullyGraded"),
        )),
    )
    .await;
    assert_eq!(status, Status::Conflict, "{body}");
    assert_eq!(recorded().await[0].score_tenths, 40);
    // Nor a result that feeds no grade (a pending one): the cohort's results are final.
    let results_before = lti_result::Entity::find().fetch_count(app.db()).await;
    let (status, body, _) = service(
        &app,
        "POST",
        &format!("{quiz_path}/scores"),
        &token,
        Some((
            score_media,
            json!({"userId": format!("p{}", people[1].id), "scoreGiven": 1, "scoreMaximum": 20,
                   "activityProgress": "Submitted", "gradingProgress": "Pending",
                   "timestamp": "2026-11-28T14:00:00Z"}),
        )),
    )
    .await;
    assert_eq!(status, Status::Conflict, "{body}");
    assert_eq!(
        lti_result::Entity::find().fetch_count(app.db()).await,
        results_before
    );
}

#[rocket::async_test]
async fn keys_rotate_without_breaking_a_launch_in_flight() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let tool = register(&app, &world, "Campus de prueba").await;
    let (cohort, _, link) = linked_cohort(&app, &world, &tool, "Cohorte virtual", 30).await;
    let ana = person(&world, "lti-rota").await;
    world.enrols_herself(cohort, &ana).await;
    sign_in_client(&app.client, "lti-rota0@example.org", "Clave-segura-2026").await;
    let login = begin(&app, cohort, link).await;
    let (_, html, _) = authorize(&app, &login, &format!("{TOOL}/launch"), "r-1").await;
    let before = hidden(&html, "id_token").unwrap();
    let new_kid = domain::virtual_classroom::keys::rotate(app.db())
        .await
        .unwrap();
    // Signed before the rotation: still verifies with the published keys.
    verified(&app, &before, &tool.client_id).await;
    let login = begin(&app, cohort, link).await;
    let (_, html, _) = authorize(&app, &login, &format!("{TOOL}/launch"), "r-2").await;
    let after = hidden(&html, "id_token").unwrap();
    assert_eq!(
        jsonwebtoken::decode_header(&after).unwrap().kid.as_deref(),
        Some(new_kid.as_str())
    );
    verified(&app, &after, &tool.client_id).await;
    let (_, jwks) = api_get(&app, "/lti/jwks", None).await;
    assert_eq!(json_array(&jwks["keys"]).len(), 2, "{jwks}");
}

#[rocket::async_test]
async fn only_the_admin_registers_tools_and_a_registration_is_checked_whole() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let (_, before) = api_get(&app, "/api/v1/lti/tools", Some(&world.staff)).await;
    let body = json!({"name": "Campus", "login_url": "http://campus.example/login", "target_link_uri": "https://campus.example/launch",
                      "redirect_uris": [], "scopes": ["https://example.org/todo"]});
    api_post(&app, "/api/v1/lti/tools", Some(&world.staff), body.clone())
        .await
        .expect_status(Status::Forbidden);
    let refused = api_post(&app, "/api/v1/lti/tools", Some(&world.admin), body)
        .await
        .expect_status(Status::UnprocessableEntity);
    let fields = error_fields(&refused);
    for field in ["login_url", "redirect_uris", "jwks_url", "scopes[0]"] {
        assert!(fields.contains(&field.to_string()), "{field}: {refused}");
    }
    let (_, tools) = api_get(&app, "/api/v1/lti/tools", Some(&world.staff)).await;
    assert_eq!(tools["total"], before["total"], "nothing written");
}

#[test]
fn scores_scale_to_the_colombian_five() {
    use domain::virtual_classroom::grades::tenths_of;
    assert_eq!(tenths_of(8.0, 10.0), 40);
    assert_eq!(tenths_of(15.0, 20.0), 38);
    assert_eq!(tenths_of(1.0, 1.0), 50);
    assert_eq!(tenths_of(12.0, 10.0), 50, "extra credit stops at 5,0");
    assert_eq!(tenths_of(0.0, 100.0), 0);
}

#[rocket::async_test]
async fn the_instructor_launches_as_instructor_and_names_travel_only_when_shared() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let tool = register(&app, &world, "Campus de prueba").await;
    let (cohort, _, link) = linked_cohort(&app, &world, &tool, "Cohorte virtual", 30).await;
    // The instructor who teaches it: Instructor, under her account's id; no name (not shared).
    let (email, password) = demo_account(domain::entities::values::Role::Instructor);
    sign_in_client(&app.client, email, password).await;
    let login = begin(&app, cohort, link).await;
    let (status, html, _) = authorize(&app, &login, &format!("{TOOL}/launch"), "i-1").await;
    assert_eq!(status, Status::Ok, "{html}");
    let claims = verified(&app, &hidden(&html, "id_token").unwrap(), &tool.client_id).await;
    assert_eq!(claims[format!("{LTI}roles")], json!([ROLE_INSTRUCTOR]));
    assert_eq!(claims["sub"], format!("u{}", world.instructor_id));
    assert!(claims.get("name").is_none(), "{claims}");
    // Another provider's coordinator manages nothing here: refused, nothing recorded.
    let dnp = app.another_instance(&[]).await;
    sign_in_client(&dnp, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let before = launches(&app, cohort).await;
    let refused = dnp
        .get(format!("/cohortes/{cohort}/aula-virtual/{link}"))
        .dispatch()
        .await;
    assert!(
        matches!(refused.status(), Status::Forbidden | Status::NotFound),
        "{}",
        refused.status()
    );
    assert_eq!(launches(&app, cohort).await, before);

    // A tool the admin lets know names: the launch carries the learner's name, never her email.
    let shared = KeyPair::generate().unwrap();
    let body = api_post(&app, "/api/v1/lti/tools", Some(&world.admin), json!({
            "name": "Campus con nombres", "login_url": format!("{TOOL}/login"),
            "target_link_uri": format!("{TOOL}/launch"), "redirect_uris": [format!("{TOOL}/launch")],
            "public_jwk": shared.public_jwk, "share_name": true, "share_email": false,
        })).await.expect_status(Status::Created);
    let named = api_post(
        &app,
        &format!("/api/v1/cohorts/{cohort}/lti-links"),
        Some(&world.staff),
        json!({"tool_id": body["id"], "title": "Con nombres"}),
    )
    .await
    .expect_status(Status::Created);
    let ana = person(&world, "lti-nombre").await;
    world.enrols_herself(cohort, &ana).await;
    let browser = app.another_instance(&[]).await;
    sign_in_client(&browser, "lti-nombre0@example.org", "Clave-segura-2026").await;
    let response = browser
        .get(format!("/cohortes/{cohort}/aula-virtual/{}", named["id"]))
        .dispatch()
        .await;
    let login = query_of(response.headers().get_one("Location").unwrap());
    let query = [
        ("scope", "openid"),
        ("response_type", "id_token"),
        ("response_mode", "form_post"),
        ("client_id", login["client_id"].as_str()),
        ("redirect_uri", &format!("{TOOL}/launch")),
        ("login_hint", login["login_hint"].as_str()),
        ("lti_message_hint", login["lti_message_hint"].as_str()),
        ("nonce", "n-nombre"),
    ]
    .iter()
    .map(|(k, v)| format!("{k}={}", encoded(v)))
    .collect::<Vec<_>>()
    .join("&");
    let html = body_of(&browser, format!("/lti/authorize?{query}")).await;
    let claims = verified(
        &app,
        &hidden(&html, "id_token").unwrap(),
        json_str(&body["client_id"]),
    )
    .await;
    assert_eq!(claims["name"], "Persona lti-nombre 0", "{claims}");
    assert!(claims.get("email").is_none(), "{claims}");
}
