//! Issue 67, item 4: a Colombian public entity's site (Resolución MinTIC 1519 de 2020). Every
//! page has the GOV.CO top bar linking https://www.gov.co and the institutional footer with
//! the entity's contact data and the links to `/accesibilidad`, `/transparencia` and
//! `/politica-de-datos`; those three pages answer without signing in; the registration notice
//! links the policy of the version the consents record; another installation names its own
//! entity through the settings.

use crate::common::TestApp;
use crate::support::{demo_account, page, sign_in_client};
use domain::entities::values::Role;
use rocket::http::Status;
use rocket::local::asynchronous::Client;

/// What every page's top bar and footer must carry (ESAP's defaults).
fn assert_site_frame(path: &str, html: &str) {
    for text in [
        "<div class=\"govco noprint\"><a href=\"https://www.gov.co\"",
        "<footer class=\"foot\">",
        "Escuela Superior de Administración Pública – ESAP",
        "Calle 44 # 53-37, Centro Administrativo Nacional (CAN)",
        "Bogotá, D. C., Colombia",
        "Horario de atención:",
        "Conmutador: (601) 220 2790",
        "mailto:notificacionesjudiciales@esap.edu.co",
        "(PQRSD)</a>",
        "href=\"/accesibilidad\"",
        "href=\"/transparencia\"",
        "href=\"/politica-de-datos\"",
        "href=\"/datos-abiertos\"",
    ] {
        assert!(html.contains(text), "{path} has «{text}»");
    }
    // The bar comes first, right after the skip link, before the product's header.
    let bar = html.find("class=\"govco").unwrap();
    assert!(
        bar < html.find("<header").unwrap_or(usize::MAX),
        "{path}: the GOV.CO bar tops the page"
    );
    assert!(
        html.find("<footer").unwrap() > html.find("</main>").unwrap(),
        "{path}: the footer closes the page"
    );
}

async fn get(client: &Client, path: &str) -> (Status, String) {
    let response = client.get(path.to_string()).dispatch().await;
    let status = response.status();
    (status, response.into_string().await.unwrap_or_default())
}

#[rocket::async_test]
async fn the_three_site_pages_answer_without_signing_in_with_what_the_law_asks() {
    let app = TestApp::new().await;

    let (status, html) = page(&app, "/accesibilidad").await;
    assert_eq!(status, Status::Ok);
    assert_site_frame("/accesibilidad", &html);
    for text in [
        "<h1>Declaración de accesibilidad</h1>",
        "WCAG) 2.1",
        "<strong>AA</strong>",
        "axe-core",
        "390 px",
        "1366 px",
        "Nu HTML Checker",
        "teclado",
        "Limitaciones conocidas",
        "Cómo reportar una barrera",
        "href=\"https://www.centroderelevo.gov.co\"",
        "Fecha de esta declaración: 28 nov. 2026",
    ] {
        assert!(html.contains(text), "/accesibilidad says «{text}»");
    }

    let (status, html) = page(&app, "/transparencia").await;
    assert_eq!(status, Status::Ok);
    assert_site_frame("/transparencia", &html);
    for text in [
        "<h1>Transparencia y acceso a la información pública</h1>",
        "Ley 1712 de 2014",
        "href=\"/datos-abiertos\"",
        "href=\"/politica-de-datos\"",
        "href=\"/api/v1/openapi.json\"",
        "href=\"https://www.esap.edu.co/transparencia\"",
        domain::people::DATA_CONSENT_VERSION,
    ] {
        assert!(html.contains(text), "/transparencia says «{text}»");
    }

    let (status, html) = page(&app, "/politica-de-datos").await;
    assert_eq!(status, Status::Ok);
    assert_site_frame("/politica-de-datos", &html);
    for text in [
        "<h1>Política de tratamiento de datos personales</h1>",
        "Ley 1581 de 2012",
        "Decreto 1377 de 2013",
        "Responsable del tratamiento",
        "Gestionar su formación: inscripciones, asistencia, evaluaciones y certificados",
        "Informar a las gobernaciones",
        "<strong>Conocer</strong>",
        "<strong>actualizar</strong>",
        "<strong>rectificar</strong>",
        "<strong>revocar</strong>",
        "<strong>supresión</strong>",
        "<strong>10 días hábiles</strong>",
        "<strong>15 días hábiles</strong>",
        "Datos sensibles",
        "Cuánto tiempo se conservan",
        "href=\"/perfil/datos\"",
        domain::people::DATA_CONSENT_VERSION,
        domain::people::SENSITIVE_CONSENT_VERSION,
    ] {
        assert!(html.contains(text), "/politica-de-datos says «{text}»");
    }

    // The registration notice points to the policy, of the version the consent records.
    let (status, html) = page(&app, "/registro").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("href=\"/politica-de-datos\""));
    assert!(html.contains(&format!(
        "versión del aviso: {}",
        domain::people::DATA_CONSENT_VERSION
    )));
}

#[rocket::async_test]
async fn every_page_has_the_govco_bar_and_the_institutional_footer() {
    let app = TestApp::with_demo().await;
    // Signed out: the public pages, an error page and the offline page.
    for path in [
        "/",
        "/ingresar",
        "/registro",
        "/datos-abiertos",
        "/cohortes",
    ] {
        let (status, html) = page(&app, path).await;
        assert_eq!(status, Status::Ok, "{path}");
        assert_site_frame(path, &html);
    }
    let (status, html) = page(&app, "/no-existe").await;
    assert_eq!(status, Status::NotFound);
    assert_site_frame("/no-existe", &html);
    let (status, html) = page(&app, "/sin-conexion").await;
    assert_eq!(status, Status::Ok);
    assert_site_frame("/sin-conexion", &html);
    assert!(!html.contains("__GOVCO__") && !html.contains("__FOOTER__"));

    // Signed in, each role's own pages.
    for (role, paths) in [
        (Role::Participant, &["/", "/mi-progreso", "/perfil"][..]),
        (Role::Coordinator, &["/", "/cohortes", "/demandas"][..]),
        (Role::Reviewer, &["/", "/reportes"][..]),
        (Role::Admin, &["/admin/usuarios"][..]),
    ] {
        let client = app.another_instance(&[]).await;
        let (email, password) = demo_account(role);
        sign_in_client(&client, email, password).await;
        for path in paths {
            let (status, html) = get(&client, path).await;
            assert_eq!(status, Status::Ok, "{role:?} {path}");
            assert_site_frame(path, &html);
        }
    }
}

#[rocket::async_test]
async fn another_installation_names_its_own_entity_in_the_footer() {
    let app = TestApp::new().await;
    let other = app
        .another_instance(&[(
            "entity",
            serde_json::json!({
                "name": "Gobernación de Prueba",
                "phone": "(608) 000 0000",
                "toll_free": "01 8000 000 000",
                "email": "datos@gobernacion.example",
            }),
        )])
        .await;
    for path in ["/", "/politica-de-datos", "/sin-conexion"] {
        let (status, html) = get(&other, path).await;
        assert_eq!(status, Status::Ok, "{path}");
        for text in [
            "Gobernación de Prueba",
            "Conmutador: (608) 000 0000 · Línea gratuita: 01 8000 000 000",
            "mailto:datos@gobernacion.example",
            // What the settings leave out keeps ESAP's value.
            "Calle 44 # 53-37",
        ] {
            assert!(html.contains(text), "{path} says «{text}»");
        }
        assert!(
            !html.contains("notificacionesjudiciales@esap.edu.co"),
            "{path}"
        );
    }
    // The policy names the configured entity as the responsible party.
    let (_, policy) = get(&other, "/politica-de-datos").await;
    assert!(policy.contains("<p>Gobernación de Prueba"));
}
