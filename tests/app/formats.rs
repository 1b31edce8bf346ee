//! Colombian formats on the pages people read (issue 18): dates as `22 nov. 2026`, times as
//! `2:00 p. m.`, grades and percentages with a decimal comma; never an ISO date or a decimal
//! point in the text of a page.

use crate::common::TestApp;
use crate::support::*;
use crate::world::demo_cohort;
use domain::entities::values::{CohortStatus, Role};
use rocket::http::Status;

/// The text of a page: what lies between tags (attributes such as `value` or `href` keep
/// their machine form).
fn text_nodes(html: &str) -> Vec<String> {
    let body = html.split("<body").nth(1).unwrap_or(html);
    body.split('<')
        .filter_map(|chunk| {
            chunk
                .split_once('>')
                .map(|(_, text)| text.trim().to_string())
        })
        .filter(|text| !text.is_empty())
        .collect()
}

fn iso_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.windows(10).any(|w| {
        w[..4].iter().all(u8::is_ascii_digit)
            && w[4] == b'-'
            && w[5..7].iter().all(u8::is_ascii_digit)
            && w[7] == b'-'
            && w[8..].iter().all(u8::is_ascii_digit)
    })
}

/// A 24-hour time such as `14:00` not followed by `a. m.`/`p. m.`/`m.`.
fn bare_24h_time(text: &str) -> bool {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(4)).any(|i| {
        let w = &bytes[i..i + 5];
        let before_ok = i == 0 || !bytes[i - 1].is_ascii_digit();
        before_ok
            && w[0].is_ascii_digit()
            && w[1].is_ascii_digit()
            && w[2] == b':'
            && w[3].is_ascii_digit()
            && w[4].is_ascii_digit()
            && !text[i + 5..].trim_start().starts_with(['a', 'p', 'm'])
    })
}

async fn check(app: &TestApp, path: &str) -> String {
    let response = app.client.get(path.to_string()).dispatch().await;
    assert_eq!(response.status(), Status::Ok, "{path}");
    let html = response.into_string().await.unwrap();
    for text in text_nodes(&html) {
        assert!(!iso_date(&text), "{path}: ISO date in «{text}»");
        assert!(!bare_24h_time(&text), "{path}: 24-hour time in «{text}»");
        for point in ["/ 5.0", "menos 3.0", "mínimo 3.0", "mínima 3.0"] {
            assert!(!text.contains(point), "{path}: decimal point in «{text}»");
        }
    }
    html
}

#[test]
fn the_checks_catch_what_they_look_for() {
    assert!(iso_date("Del 2026-12-22 al"));
    assert!(!iso_date("Del 22 dic. 2026 al"));
    assert!(bare_24h_time("de 14:00 a 16:00"));
    assert!(!bare_24h_time("de 2:00 p. m. a 4:00 p. m."));
    assert!(!bare_24h_time("12:00 m."));
    assert_eq!(
        text_nodes("<body><p>Hola <b>mundo</b></p>"),
        ["Hola", "mundo"]
    );
}

#[rocket::async_test]
async fn pages_write_dates_times_and_numbers_the_colombian_way() {
    let app = TestApp::with_demo().await;
    let open = demo_cohort(app.db(), CohortStatus::Open).await;
    let running = demo_cohort(app.db(), CohortStatus::InProgress).await;
    let closed = demo_cohort(app.db(), CohortStatus::Closed).await;

    // Public pages.
    let html = check(&app, &format!("/cohortes/{}", open.id)).await;
    assert!(
        html.contains(&domain::format::date(open.start_date)),
        "{html}"
    );
    check(&app, "/cohortes").await;

    // A certificate's public page: grade and attendance with a decimal comma.
    let staff = role_token(&app, Role::Coordinator).await;
    let (_, issued) = api(
        &app,
        "POST",
        &format!("/api/v1/cohorts/{}/certificates", closed.id),
        Some(&staff),
        None,
    )
    .await;
    let code = json_str(&issued["issued"][0]["code"]);
    let html = check(&app, &format!("/verificar/{code}")).await;
    assert!(html.contains(" / 5,0"), "{html}");
    assert!(
        html.contains(" p. m.") || html.contains(" a. m."),
        "issue time on the 12-hour clock"
    );

    // The coordinator's and the instructor's working pages.
    let (email, password) = demo_account(Role::Coordinator);
    sign_in_page(&app, email, password).await;
    for path in [
        "/".to_string(),
        format!("/coordinacion/cohortes/{}", running.id),
        format!("/coordinacion/cohortes/{}/inscripciones", running.id),
        format!("/coordinacion/cohortes/{}/sesiones", running.id),
        format!("/coordinacion/cohortes/{}/certificados", running.id),
        format!("/coordinacion/cohortes/{}/editar", running.id),
        format!("/seguimiento/cohortes/{}", running.id),
    ] {
        check(&app, &path).await;
    }
}
