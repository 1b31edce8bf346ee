//! The offline client's server side (issue 66): the manifest, the service worker, the
//! stylesheet and script under content-hashed names cached a year, the pages the worker keeps
//! for each person (an instructor's sheets of the next days, a participant's own pages, nobody
//! else's), the sheet's offline copy without documents, and the sign-out's Clear-Site-Data.

use crate::common::TestApp;
use crate::support::*;
use rocket::http::{ContentType, Header, Status};
use sea_orm::EntityTrait;
use serde_json::Value;

const INSTRUCTOR: (&str, &str) = ("instructor@aulaterritorial.example", "Instruye-Aula-2026");
const PARTICIPANT: (&str, &str) = (
    "participante@aulaterritorial.example",
    "Participa-Aula-2026",
);
const COORDINATOR: (&str, &str) = ("coordinacion@aulaterritorial.example", "Coordina-Aula-2026");

async fn kept(app: &TestApp) -> Value {
    let response = app.client.get("/sin-conexion/paginas").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    serde_json::from_str(&response.into_string().await.unwrap()).unwrap()
}

fn pages(list: &Value) -> Vec<String> {
    json_array(&list["pages"])
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect()
}

async fn sign_out(app: &TestApp) -> rocket::local::asynchronous::LocalResponse<'_> {
    let csrf = csrf_from_client(&app.client, "/").await;
    app.client
        .post("/salir")
        .header(ContentType::Form)
        .body(form_body(&[("csrf_token", &csrf)]))
        .dispatch()
        .await
}

#[rocket::async_test]
async fn the_manifest_the_worker_and_the_hashed_files() {
    let app = TestApp::with_demo().await;
    let manifest = app.client.get("/manifest.webmanifest").dispatch().await;
    assert_eq!(manifest.status(), Status::Ok);
    assert_eq!(
        manifest.content_type(),
        Some(ContentType::new("application", "manifest+json"))
    );
    let body: Value = serde_json::from_str(&manifest.into_string().await.unwrap()).unwrap();
    assert_eq!(body["start_url"], "/");
    assert_eq!(body["lang"], "es-CO");

    let worker = app.client.get("/sw.js").dispatch().await;
    assert_eq!(worker.status(), Status::Ok);
    assert_eq!(worker.content_type(), Some(ContentType::JavaScript));
    assert_eq!(
        worker.headers().get_one("Service-Worker-Allowed"),
        Some("/")
    );
    // A new worker is never kept by a cache on the way.
    assert_eq!(worker.headers().get_one("Cache-Control"), Some("no-store"));
    let source = worker.into_string().await.unwrap();
    let assets = &aula_territorial::web::offline::ASSETS;
    assert!(source.contains(&assets.css) && source.contains(&assets.queue));
    assert!(!source.contains("__VERSION__") && !source.contains("__SHELL__"));

    // The layout names the hashed files; they are cached a year and compressed.
    let home = body_of(&app.client, "/").await;
    assert!(home.contains(&format!("href=\"{}\"", assets.css)));
    assert!(home.contains(&format!("src=\"{}\"", assets.js)));
    assert!(home.contains("rel=\"manifest\" href=\"/manifest.webmanifest\""));
    for url in [&assets.css, &assets.js, &assets.queue, &assets.icon] {
        let response = app
            .client
            .get(url.clone())
            .header(Header::new("Accept-Encoding", "gzip"))
            .dispatch()
            .await;
        assert_eq!(response.status(), Status::Ok, "{url}");
        assert_eq!(
            response.headers().get_one("Cache-Control"),
            Some("public, max-age=31536000, immutable"),
            "{url}"
        );
        if url.ends_with(".css") || url.ends_with(".js") {
            assert_eq!(response.headers().get_one("Content-Encoding"), Some("gzip"));
        }
    }
    // Another hash is no file.
    let stale = app
        .client
        .get("/static/app.000000000000.css")
        .dispatch()
        .await;
    assert_eq!(stale.status(), Status::NotFound);
    let offline = app.client.get("/sin-conexion").dispatch().await;
    assert_eq!(offline.status(), Status::Ok);
    assert!(
        offline
            .into_string()
            .await
            .unwrap()
            .contains("Sin conexión")
    );
}

#[rocket::async_test]
async fn the_worker_keeps_each_persons_own_pages_and_nobody_elses() {
    let app = TestApp::with_demo().await;
    // Nobody signed in: nothing.
    let list = kept(&app).await;
    assert!(list["owner"].is_null());
    assert!(pages(&list).is_empty());

    // The instructor: her home and her sheets from today on (the demo has sessions today at
    // 14:00 in two of her cohorts), never a past session's.
    assert_eq!(
        sign_in_page(&app, INSTRUCTOR.0, INSTRUCTOR.1).await,
        Status::SeeOther
    );
    let list = kept(&app).await;
    let sheets: Vec<String> = pages(&list)
        .into_iter()
        .filter(|p| p.starts_with("/seguimiento/sesiones/"))
        .collect();
    assert!(pages(&list).contains(&"/".to_string()));
    assert!(sheets.len() >= 2, "today's sheets: {sheets:?}");
    let today = domain::time::from_local(domain::time::today(), 0, 0);
    for sheet in &sheets {
        let id: i32 = sheet.rsplit('/').next().unwrap().parse().unwrap();
        let session = domain::entities::cohort_session::Entity::find_by_id(id)
            .expect_one(app.db())
            .await;
        assert!(session.starts_at >= today, "{sheet} is a past session");
    }

    // The sheet's offline copy: names and municipality, never documents; the marks open so
    // the page's script can take them from the session's start.
    let sheet = &sheets[0];
    let online = body_of(&app.client, sheet.clone()).await;
    let copy = app
        .client
        .get(sheet.clone())
        .header(Header::new("X-Aula-Copia", "1"))
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(online.contains("CC "), "the sheet online shows documents");
    assert!(!copy.contains("CC "), "the offline copy shows no document");
    assert!(
        copy.contains("data-inscripcion="),
        "the copy carries the marks"
    );
    assert!(copy.contains("data-lote=\"/asistencia/lotes/"));
    assert!(
        copy.contains("<br><small>") && !copy.contains("<br><small></small>"),
        "each person's municipality under her name"
    );

    // The participant: her own pages and cohorts, nothing of the follow-up or reports.
    let signed_out = sign_out(&app).await;
    assert_eq!(
        signed_out.headers().get_one("Clear-Site-Data"),
        Some("\"cache\", \"storage\"")
    );
    assert_eq!(
        sign_in_page(&app, PARTICIPANT.0, PARTICIPANT.1).await,
        Status::SeeOther
    );
    let mine = pages(&kept(&app).await);
    for page in ["/", "/mi-progreso", "/mis-certificados"] {
        assert!(mine.contains(&page.to_string()), "{page} in {mine:?}");
    }
    assert!(mine.iter().any(|p| p.starts_with("/cohortes/")));
    assert!(
        !mine
            .iter()
            .any(|p| p.starts_with("/seguimiento/") || p.starts_with("/reportes")),
        "{mine:?}"
    );

    // Staff: nothing (their pages are other people's data).
    sign_out(&app).await;
    assert_eq!(
        sign_in_page(&app, COORDINATOR.0, COORDINATOR.1).await,
        Status::SeeOther
    );
    assert!(pages(&kept(&app).await).is_empty());
}
