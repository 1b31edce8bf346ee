//! The API description generated from the code (`aula_territorial::openapi::ApiDoc`) against
//! the routes the app mounts: every API route mounted under `/api/v1` is described, every
//! described operation is mounted, and the description is served, whole and public, at
//! `GET /api/v1/openapi.json`. Schemathesis (in `.ci/run`) then checks the answers against it.

use crate::common::TestApp;
use aula_territorial::openapi::{ApiDoc, OpenApi};
use rocket::http::{ContentType, Status};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use utoipa::openapi::OpenApi as Description;
use utoipa::openapi::path::{Operation, PathItem};

const API_BASE: &str = "/api/v1";

/// An operation: method in capitals and the full path, as in `GET /api/v1/cohorts/{id}`.
type Described = (String, String);

/// A Rocket route URI as an OpenAPI path: the query is dropped and every dynamic segment
/// (`<id>`, `<path..>`) becomes `{id}`, `{path}`.
fn openapi_path(uri: &str) -> String {
    let path = uri.split('?').next().unwrap_or(uri);
    path.split('/')
        .map(|segment| {
            let mut out = String::new();
            let mut rest = segment;
            while let Some(start) = rest.find('<') {
                out.push_str(&rest[..start]);
                let Some(end) = rest[start..].find('>') else {
                    break;
                };
                let name = rest[start + 1..start + end].trim_end_matches("..");
                out.push_str(&format!("{{{name}}}"));
                rest = &rest[start + end + 1..];
            }
            out.push_str(rest);
            out
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The path part of a server URL (`/api/v1`, `/`, or `https://host/api/v1`), without a
/// trailing slash, so that it can be put before a path of `paths`.
fn server_base(url: &str) -> String {
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("", |i| &rest[i..]),
        None => url,
    };
    assert!(
        path.is_empty() || path.starts_with('/'),
        "server URL {url:?} is neither absolute nor a path from the site root"
    );
    path.trim_end_matches('/').to_string()
}

fn operations(item: &PathItem) -> Vec<(&'static str, &Operation)> {
    [
        ("GET", &item.get),
        ("PUT", &item.put),
        ("POST", &item.post),
        ("DELETE", &item.delete),
        ("OPTIONS", &item.options),
        ("HEAD", &item.head),
        ("PATCH", &item.patch),
        ("TRACE", &item.trace),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.as_ref().map(|o| (method, o)))
    .collect()
}

/// Every operation of the description, with its full path. An operation's or a path's own
/// `servers` replace the document's, as OpenAPI says.
fn documented_operations(doc: &Description) -> BTreeSet<Described> {
    let first_base = |servers: &Option<Vec<utoipa::openapi::Server>>| {
        servers
            .as_ref()
            .and_then(|s| s.first())
            .map(|s| server_base(&s.url))
    };
    let root_base = first_base(&doc.servers).expect("the description names no server");
    let mut documented = BTreeSet::new();
    for (path, item) in &doc.paths.paths {
        assert!(path.starts_with('/'), "path {path:?} does not start with /");
        let path_base = first_base(&item.servers).unwrap_or_else(|| root_base.clone());
        for (method, operation) in operations(item) {
            let base = first_base(&operation.servers).unwrap_or_else(|| path_base.clone());
            documented.insert((method.to_string(), format!("{base}{path}")));
        }
    }
    documented
}

/// What is wrong between the mounted routes and the described operations, one line each.
fn mismatches(mounted: &BTreeSet<Described>, documented: &BTreeSet<Described>) -> Vec<String> {
    let mut problems = Vec::new();
    for (method, path) in mounted {
        if path.starts_with(&format!("{API_BASE}/"))
            && !documented.contains(&(method.clone(), path.clone()))
        {
            problems.push(format!("mounted but not described: {method} {path}"));
        }
    }
    for (method, path) in documented {
        if !mounted.contains(&(method.clone(), path.clone())) {
            problems.push(format!("described but not mounted: {method} {path}"));
        }
    }
    problems
}

fn mounted_operations(app: &TestApp) -> BTreeSet<Described> {
    app.client
        .rocket()
        .routes()
        .map(|r| {
            (
                r.method.as_str().to_string(),
                openapi_path(&r.uri.to_string()),
            )
        })
        .collect()
}

#[test]
fn rocket_uris_become_openapi_paths() {
    assert_eq!(openapi_path("/api/v1/cohorts"), "/api/v1/cohorts");
    assert_eq!(
        openapi_path("/api/v1/cohorts/<id>/scores/import?<dry_run>"),
        "/api/v1/cohorts/{id}/scores/import"
    );
    assert_eq!(
        openapi_path("/api/v1/certificates/<code>/pdf"),
        "/api/v1/certificates/{code}/pdf"
    );
    assert_eq!(openapi_path("/static/<file..>"), "/static/{file}");
    assert_eq!(
        openapi_path("/api/v1/sessions/<id>.xlsx"),
        "/api/v1/sessions/{id}.xlsx"
    );
}

#[test]
fn description_differences_are_reported() {
    let doc: Description = serde_json::from_value(json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/cohorts": {"get": {"responses": {}}, "post": {"responses": {}}},
            "/cohorts/{id}": {"delete": {"responses": {}}},
            "/health": {"get": {"servers": [{"url": "/"}], "responses": {}}},
            "/old": {"servers": [{"url": "https://example.org/legacy/"}], "get": {"responses": {}}},
        },
    }))
    .expect("a valid description");
    let documented = documented_operations(&doc);
    let op = |m: &str, p: &str| (m.to_string(), p.to_string());
    assert_eq!(
        documented,
        BTreeSet::from([
            op("GET", "/api/v1/cohorts"),
            op("POST", "/api/v1/cohorts"),
            op("DELETE", "/api/v1/cohorts/{id}"),
            op("GET", "/health"),
            op("GET", "/legacy/old"),
        ])
    );
    let mounted = BTreeSet::from([
        op("GET", "/api/v1/cohorts"),
        op("POST", "/api/v1/cohorts"),
        op("PATCH", "/api/v1/cohorts/{id}"),
        op("GET", "/health"),
        op("GET", "/cohortes"),
    ]);
    assert_eq!(
        mismatches(&mounted, &documented),
        vec![
            "mounted but not described: PATCH /api/v1/cohorts/{id}",
            "described but not mounted: DELETE /api/v1/cohorts/{id}",
            "described but not mounted: GET /legacy/old",
        ]
    );
}

#[rocket::async_test]
async fn the_description_matches_the_mounted_routes() {
    let app = TestApp::new().await;
    let mounted = mounted_operations(&app);
    assert!(
        mounted.iter().any(|(_, p)| p.starts_with(API_BASE)),
        "no route is mounted under {API_BASE}"
    );
    let problems = mismatches(&mounted, &documented_operations(&ApiDoc::openapi()));
    assert!(
        problems.is_empty(),
        "the API description (src/openapi) does not match the mounted routes:\n{}",
        problems.join("\n")
    );
}

/// Every `$ref` of `value`, with where it was found.
fn references(value: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                match (key.as_str(), item) {
                    ("$ref", Value::String(target)) => out.push((at.to_string(), target.clone())),
                    _ => references(item, &format!("{at}/{key}"), out),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                references(item, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[rocket::async_test]
async fn the_description_is_served_public_and_whole() {
    let app = TestApp::new().await;
    let response = app.client.get("/api/v1/openapi.json").dispatch().await;
    assert_eq!(response.status(), Status::Ok, "no token is needed");
    assert_eq!(response.content_type(), Some(ContentType::JSON));
    let served: Value =
        serde_json::from_str(&response.into_string().await.expect("a body")).expect("JSON");
    let generated = serde_json::to_value(ApiDoc::openapi()).expect("serializable");
    assert_eq!(served, generated);

    assert_eq!(served["servers"], json!([{"url": "/api/v1"}]));
    assert_eq!(
        served["components"]["securitySchemes"]["bearerAuth"],
        json!({
            "type": "http",
            "scheme": "bearer",
            "description": "Opaque token from `POST /tokens`, valid 30 days unless revoked or the account is deactivated."
        })
    );
    assert_eq!(served["security"], json!([{"bearerAuth": []}]));

    // Every reference points at something the document holds.
    let mut found = Vec::new();
    references(&served, "#", &mut found);
    assert!(found.len() > 100, "only {} references", found.len());
    let unresolved: Vec<String> = found
        .iter()
        .filter(|(_, target)| {
            let pointer = target.trim_start_matches('#');
            !target.starts_with("#/") || served.pointer(pointer).is_none()
        })
        .map(|(at, target)| format!("{at} → {target}"))
        .collect();
    assert!(unresolved.is_empty(), "unresolved: {unresolved:#?}");

    // Operations: unique ids, a tag, a summary, a success answer, and the problem answers of
    // the conventions.
    let mut ids = BTreeSet::new();
    let mut public = BTreeSet::new();
    for (path, item) in served["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let name = format!("{} {path}", method.to_uppercase());
            let id = operation["operationId"].as_str().expect("operationId");
            assert!(ids.insert(id), "{id} is used twice");
            assert!(operation["tags"][0].is_string(), "{name} has no tag");
            assert!(operation["summary"].is_string(), "{name} has no summary");
            let responses = operation["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|status| status.starts_with('2')),
                "{name} has no success answer"
            );
            assert!(responses.contains_key("503"), "{name}: 503");
            if path != "/health" && path != "/ready" {
                assert_eq!(
                    responses["503"]["$ref"], "#/components/responses/ServiceUnavailable",
                    "{name}"
                );
            }
            // No token needed: no requirement at all is one of the choices (a bearer token
            // may still be optional, as for `confirmNomination`).
            if operation["security"]
                .as_array()
                .is_some_and(|choices| choices.contains(&json!({})))
            {
                public.insert(id);
            } else {
                assert!(
                    responses.contains_key("401"),
                    "{name} needs a token and does not list 401"
                );
            }
            if operation["requestBody"]["content"]["application/json"].is_object() {
                for status in ["400", "413", "415", "422"] {
                    assert!(
                        responses.contains_key(status),
                        "{name} takes JSON and does not list {status}"
                    );
                }
            }
            let path_parameter = operation["parameters"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["in"] == "path"));
            assert!(
                !path_parameter || responses.contains_key("404"),
                "{name} has a path parameter and does not list 404"
            );
        }
    }
    assert_eq!(
        public,
        BTreeSet::from([
            "acceptAssistanceWorkPlanByLink",
            "confirmNomination",
            "confirmRegistration",
            "createToken",
            "downloadResourceFile",
            "evaluateAssistanceByLink",
            "getCertificateCredential",
            "getOpenApi",
            "getResource",
            "getStatusList",
            "health",
            "listHolidays",
            "listResources",
            "openDataCoverageCsv",
            "openDataCoverageJson",
            "openDataOfferCsv",
            "openDataOfferJson",
            "openDataPlansCsv",
            "openDataPlansJson",
            "openDataResourcesCsv",
            "openDataResourcesJson",
            "ready",
            "register",
            "verifyCertificate",
            "verifyCredential",
        ]),
        "the operations that need no token"
    );
}

#[rocket::async_test]
async fn problem_answers_are_described_as_they_are_sent() {
    let app = TestApp::new().await;
    let text = app
        .client
        .get("/api/v1/openapi.json")
        .dispatch()
        .await
        .into_string()
        .await
        .expect("a body");
    let served: Value = serde_json::from_str(&text).expect("JSON");
    let problem = &served["components"]["schemas"]["Problem"];
    assert_eq!(
        problem["required"],
        json!(["type", "title", "status", "detail", "errors"])
    );
    // A real 404 and a real 401 carry the described fields and content type.
    for (uri, status) in [
        ("/api/v1/cohorts/999999", Status::Unauthorized),
        (
            "/api/v1/certificates/ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ",
            Status::NotFound,
        ),
    ] {
        let response = app.client.get(uri).dispatch().await;
        assert_eq!(response.status(), status, "{uri}");
        assert_eq!(
            response.content_type(),
            Some(ContentType::new("application", "problem+json"))
        );
        let body: Value = serde_json::from_str(&response.into_string().await.expect("a body"))
            .expect("problem JSON");
        let keys: BTreeSet<&str> = body
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        let described: BTreeSet<&str> = problem["properties"]
            .as_object()
            .expect("properties")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, described, "{uri}");
        let example_status = served["components"]["responses"][if status == Status::NotFound {
            "NotFound"
        } else {
            "Unauthorized"
        }]["content"]["application/problem+json"]["example"]["status"]
            .clone();
        assert_eq!(example_status, json!(status.code));
        assert_eq!(body["status"], json!(status.code));
    }
}
