//! Issue 30, throttling that fits real places: guessing one account from many addresses is
//! slowed while its owner signs in from where they usually do; IPv6 counts by /64; a flood of
//! registrations cannot bomb a mailbox, while a room of 60 registers through one connection;
//! reset requests are limited per address and reset links are single-use as a set.

use crate::account_security::registration;
use crate::common::TestApp;
use crate::support::{Fetch, csrf_from_client, demo_account};
use domain::entities::outbox;
use domain::entities::values::Role;
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::Client;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use std::net::SocketAddr;

const PROXY: &str = "10.0.0.5:40000";

fn socket(ip: &str) -> SocketAddr {
    if ip.contains(':') {
        format!("[{ip}]:40000").parse().unwrap()
    } else {
        format!("{ip}:40000").parse().unwrap()
    }
}

/// `POST /api/v1/tokens` as `client` behind the trusted proxy (or from the socket `client`
/// when `proxied` is false).
async fn sign_in(
    app: &TestApp,
    client: &str,
    proxied: bool,
    email: &str,
    password: &str,
) -> Status {
    let mut request = app
        .client
        .post("/api/v1/tokens")
        .header(ContentType::JSON)
        .body(json!({"email": email, "password": password}).to_string());
    request = if proxied {
        request
            .remote(PROXY.parse().unwrap())
            .header(Header::new("X-Forwarded-For", client.to_string()))
    } else {
        request.remote(socket(client))
    };
    request.dispatch().await.status()
}

async fn register(app: &TestApp, client: &str, proxied: bool, body: serde_json::Value) -> Status {
    let mut request = app
        .client
        .post("/api/v1/registrations")
        .header(ContentType::JSON)
        .body(body.to_string());
    request = if proxied {
        request
            .remote(PROXY.parse().unwrap())
            .header(Header::new("X-Forwarded-For", client.to_string()))
    } else {
        request.remote(socket(client))
    };
    request.dispatch().await.status()
}

async fn trusted_app() -> TestApp {
    TestApp::with_config(&[
        ("demo_data", json!(true)),
        ("trusted_proxies", json!(["10.0.0.0/8"])),
    ])
    .await
}

/// Guessing an account's password from 40 addresses is slowed after ten; the owner, from the
/// address they signed in from before, still signs in at once.
#[rocket::async_test]
async fn guessing_one_account_from_many_addresses_is_slowed_but_its_owner_gets_in() {
    let app = trusted_app().await;
    let (email, password) = demo_account(Role::Admin);
    // The owner's usual address.
    assert_eq!(
        sign_in(&app, "192.0.2.10", true, email, password).await,
        Status::Created
    );
    let mut refused = 0;
    for n in 1..=40 {
        let status = sign_in(&app, &format!("198.51.100.{n}"), true, email, "equivocada").await;
        assert!(
            matches!(status, Status::Unauthorized | Status::TooManyRequests),
            "{n}: {status}"
        );
        if status == Status::TooManyRequests {
            refused += 1;
        }
    }
    assert!(
        refused >= 29,
        "after ten failures every new address waits: {refused}"
    );
    // A new address with the right password waits too (the guesser cannot tell)...
    assert_eq!(
        sign_in(&app, "203.0.113.77", true, email, password).await,
        Status::TooManyRequests
    );
    // ...while the owner, from their usual address, is not kept out.
    assert_eq!(
        sign_in(&app, "192.0.2.10", true, email, password).await,
        Status::Created
    );
}

/// Two addresses of one IPv6 /64 are one client for the throttle.
#[rocket::async_test]
async fn ipv6_addresses_of_one_64_network_share_their_limit() {
    let app = TestApp::with_demo().await;
    for n in 0..20 {
        let status = sign_in(
            &app,
            &format!("2001:db8:1:2::{:x}", n + 1),
            false,
            &format!("nadie{n}@example.org"),
            "equivocada",
        )
        .await;
        assert_eq!(status, Status::Unauthorized, "{n}");
    }
    assert_eq!(
        sign_in(&app, "2001:db8:1:2:ffff::9", false, "otra@example.org", "x").await,
        Status::TooManyRequests,
        "the same /64"
    );
    assert_eq!(
        sign_in(&app, "2001:db8:1:3::1", false, "otra@example.org", "x").await,
        Status::Unauthorized,
        "another /64"
    );
}

/// A room of 60 registers through one address, behind a proxy and from one socket; the 61st
/// from that socket waits.
#[rocket::async_test]
async fn a_room_of_sixty_registers_through_one_address() {
    let app = trusted_app().await;
    for n in 0..60 {
        let status = register(
            &app,
            "190.25.1.7",
            true,
            registration(&format!("7021{n:04}"), &format!("sala{n}@example.org")),
        )
        .await;
        assert_eq!(status, Status::Created, "through the proxy, {n}");
    }
    for n in 0..60 {
        let status = register(
            &app,
            "190.25.1.8",
            false,
            registration(&format!("7022{n:04}"), &format!("salon{n}@example.org")),
        )
        .await;
        assert_eq!(status, Status::Created, "from one socket, {n}");
    }
    let status = register(
        &app,
        "190.25.1.8",
        false,
        registration("70239999", "uno.mas@example.org"),
    )
    .await;
    assert_eq!(status, Status::TooManyRequests);
}

/// Forty registrations naming a victim's email from four addresses: the victim gets at most
/// three emails.
#[rocket::async_test]
async fn a_registration_flood_cannot_bomb_a_mailbox() {
    let app = TestApp::with_demo().await;
    let (victim, _) = demo_account(Role::Participant);
    for n in 0..40 {
        let status = register(
            &app,
            &format!("203.0.113.{}", 100 + n % 4),
            false,
            registration(&format!("7031{n:04}"), victim),
        )
        .await;
        assert_eq!(status, Status::Created, "the answer never changes: {n}");
    }
    let to_victim = outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq(victim))
        .fetch_count(app.db())
        .await;
    assert!(to_victim <= 3, "{to_victim} emails");
    assert!(to_victim >= 1, "the owner is told");
}

async fn ask_reset(client: &Client, email: &str) -> Status {
    let csrf = csrf_from_client(client, "/contrasena/olvido").await;
    client
        .post("/contrasena/olvido")
        .remote(socket("203.0.113.150"))
        .header(ContentType::Form)
        .body(format!(
            "csrf_token={csrf}&email={}",
            domain::text::urlencode(email)
        ))
        .dispatch()
        .await
        .status()
}

/// Reset requests from one address are limited whatever the email.
#[rocket::async_test]
async fn reset_requests_are_limited_per_address() {
    let app = TestApp::with_demo().await;
    let browser = app.another_instance(&[]).await;
    for n in 0..10 {
        let status = ask_reset(&browser, &format!("quien{n}@example.org")).await;
        assert_eq!(status, Status::Ok, "{n}");
    }
    assert_eq!(
        ask_reset(&browser, "otra.persona@example.org").await,
        Status::TooManyRequests
    );
}

/// The link of the newest reset email.
async fn newest_link(app: &TestApp, to: &str) -> String {
    let mail = outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq(to))
        .order_by_desc(outbox::Column::Id)
        .expect_one(app.db())
        .await;
    let start = mail.body_text.find("/contrasena/restablecer/").unwrap();
    mail.body_text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

async fn use_link(client: &Client, link: &str, password: &str) -> Status {
    let csrf = csrf_from_client(client, "/contrasena/olvido").await;
    client
        .post(link.to_string())
        .header(ContentType::Form)
        .body(format!(
            "csrf_token={csrf}&password={password}&password_confirmation={password}"
        ))
        .dispatch()
        .await
        .status()
}

/// An older reset link no longer works once a newer one was used.
#[rocket::async_test]
async fn reset_links_are_single_use_as_a_set() {
    let app = TestApp::with_demo().await;
    let (email, _) = demo_account(Role::Participant);
    let browser = app.another_instance(&[]).await;
    assert_eq!(ask_reset(&browser, email).await, Status::Ok);
    let older = newest_link(&app, email).await;
    assert_eq!(ask_reset(&browser, email).await, Status::Ok);
    let newer = newest_link(&app, email).await;
    assert_ne!(older, newer);
    assert_eq!(
        use_link(&browser, &newer, "Nueva-clave-2026").await,
        Status::SeeOther
    );
    let status = use_link(&browser, &older, "Otra-clave-2026").await;
    assert_eq!(status, Status::Conflict, "the older link is spent");
    let page = browser.get(older).dispatch().await;
    assert!(
        page.into_string()
            .await
            .unwrap()
            .contains("no es válido, ya fue usado o expiró")
    );
}
