//! `docs/openapi.yaml` against the routes the app mounts (until the description is generated
//! from code): every API route mounted under `/api/v1` has an operation in the description,
//! every operation there is mounted, and no mounted operation is still marked
//! `x-status: planned`. Operations the contract promises but that are not built are not kept
//! in the description: it says what the app does.

use crate::common::TestApp;
use serde_yaml_ng::Value;
use std::collections::{BTreeMap, BTreeSet};

const DESCRIPTION: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.yaml");
const API_BASE: &str = "/api/v1";
const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// An operation: method in capitals and the full path, as in `GET /api/v1/cohorts/{id}`.
type Operation = (String, String);

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

/// The path part of a `servers` entry's URL (`/api/v1`, `/`, or `https://host/api/v1`),
/// without a trailing slash, so that it can be put before a path of `paths:`.
fn server_base(servers: &Value, context: &str) -> Option<String> {
    let url = servers.as_sequence()?.first()?.get("url")?.as_str()?;
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("", |i| &rest[i..]),
        None => url,
    };
    assert!(
        path.is_empty() || path.starts_with('/'),
        "{context}: server URL {url:?} is neither absolute nor a path from the site root"
    );
    Some(path.trim_end_matches('/').to_string())
}

/// Every operation of the description, with whether it says `x-status: planned`. A path's or
/// an operation's own `servers` replace the document's, as OpenAPI says.
fn documented_operations(text: &str) -> BTreeMap<Operation, bool> {
    let doc: Value = serde_yaml_ng::from_str(text).expect("docs/openapi.yaml is not valid YAML");
    let root_base = doc
        .get("servers")
        .and_then(|s| server_base(s, "servers"))
        .expect("docs/openapi.yaml has no `servers:` URL");
    let paths = doc
        .get("paths")
        .and_then(Value::as_mapping)
        .expect("docs/openapi.yaml has no `paths:`");
    let mut operations = BTreeMap::new();
    for (path, item) in paths {
        let path = path.as_str().expect("a key of `paths:` is not a string");
        assert!(path.starts_with('/'), "path {path:?} does not start with /");
        let path_base = item
            .get("servers")
            .and_then(|s| server_base(s, path))
            .unwrap_or_else(|| root_base.clone());
        let item = item
            .as_mapping()
            .unwrap_or_else(|| panic!("{path} is not a mapping"));
        for (key, operation) in item {
            let Some(method) = key.as_str().filter(|k| METHODS.contains(k)) else {
                continue;
            };
            let base = operation
                .get("servers")
                .and_then(|s| server_base(s, path))
                .unwrap_or_else(|| path_base.clone());
            let planned = operation.get("x-status").and_then(Value::as_str) == Some("planned");
            let key = (method.to_uppercase(), format!("{base}{path}"));
            assert!(
                operations.insert(key.clone(), planned).is_none(),
                "{} {} is described twice",
                key.0,
                key.1
            );
        }
    }
    operations
}

/// What is wrong between the mounted routes and the described operations, one line each.
fn mismatches(
    mounted: &BTreeSet<Operation>,
    documented: &BTreeMap<Operation, bool>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (method, path) in mounted {
        if !path.starts_with(&format!("{API_BASE}/")) {
            continue;
        }
        match documented.get(&(method.clone(), path.clone())) {
            None => problems.push(format!("mounted but not described: {method} {path}")),
            Some(true) => problems.push(format!(
                "mounted but described as `x-status: planned`: {method} {path}"
            )),
            Some(false) => {}
        }
    }
    for (method, path) in documented.keys() {
        if !mounted.contains(&(method.clone(), path.clone())) {
            problems.push(format!("described but not mounted: {method} {path}"));
        }
    }
    problems
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
    let text = r#"
servers:
  - url: /api/v1
paths:
  /cohorts:
    get: {}
    post:
      x-status: planned
  /cohorts/{id}:
    delete: {}
    parameters: []
  /health:
    servers:
      - url: /
    get: {}
"#;
    let documented = documented_operations(text);
    let op = |m: &str, p: &str| (m.to_string(), p.to_string());
    assert_eq!(
        documented,
        BTreeMap::from([
            (op("GET", "/api/v1/cohorts"), false),
            (op("POST", "/api/v1/cohorts"), true),
            (op("DELETE", "/api/v1/cohorts/{id}"), false),
            (op("GET", "/health"), false),
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
            "mounted but described as `x-status: planned`: POST /api/v1/cohorts",
            "described but not mounted: DELETE /api/v1/cohorts/{id}",
        ]
    );
}

#[rocket::async_test]
async fn openapi_description_matches_the_mounted_routes() {
    let app = TestApp::new().await;
    let mounted: BTreeSet<Operation> = app
        .client
        .rocket()
        .routes()
        .map(|r| {
            (
                r.method.as_str().to_string(),
                openapi_path(&r.uri.to_string()),
            )
        })
        .collect();
    assert!(
        mounted.iter().any(|(_, p)| p.starts_with(API_BASE)),
        "no route is mounted under {API_BASE}"
    );
    let text = std::fs::read_to_string(DESCRIPTION).expect("read docs/openapi.yaml");
    let problems = mismatches(&mounted, &documented_operations(&text));
    assert!(
        problems.is_empty(),
        "docs/openapi.yaml does not match the mounted routes:\n{}",
        problems.join("\n")
    );
}
