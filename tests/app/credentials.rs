//! Verifiable credentials: a certificate's Open Badges 3.0 credential carries an
//! `eddsa-jcs-2022` and an `eddsa-rdfc-2022` proof and verifies, under the key the DID document
//! publishes, with both or either alone; its results are numbers; a changed name, hours, date
//! or result fails; revoking or re-issuing
//! sets the bit in the status list and in `/credentials/verify`; the pages (download,
//! upload, paste) say so in Spanish.

use crate::common::TestApp;
use crate::support::*;
use crate::world::demo_cohort;
use domain::credentials::{keys, proof, status};
use domain::entities::values::{CohortStatus, Role};
use rocket::http::{ContentType, Status};
use serde_json::{Value, json};

/// Issues the demo's closed cohort's certificates; returns a coordinator's token and the codes.
pub(crate) async fn issued(app: &TestApp) -> (String, Vec<String>) {
    let staff = role_token(app, Role::Coordinator).await;
    let closed = demo_cohort(app.db(), CohortStatus::Closed).await;
    let body = api(
        app,
        "POST",
        &format!("/api/v1/cohorts/{}/certificates", closed.id),
        Some(&staff),
        None,
    )
    .await
    .expect_status(Status::Ok);
    let codes: Vec<String> = json_array(&body["issued"])
        .iter()
        .map(|c| json_str(&c["code"]).to_string())
        .collect();
    assert!(codes.len() >= 2, "the demo's closed cohort has completers");
    (staff, codes)
}

pub(crate) async fn credential(app: &TestApp, code: &str) -> Value {
    let response = app
        .client
        .get(format!("/api/v1/certificates/{code}/credential"))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(
        response.content_type(),
        Some(ContentType::new("application", "ld+json"))
    );
    serde_json::from_str(&response.into_string().await.unwrap()).unwrap()
}

async fn verify(app: &TestApp, sent: &Value) -> Value {
    api_post(app, "/api/v1/credentials/verify", None, sent.clone())
        .await
        .expect_status(Status::Ok)
}

/// The cryptosuites of a document's proof set, in order.
fn suites_of(document: &Value) -> Vec<String> {
    document["proof"]
        .as_array()
        .expect("a proof set")
        .iter()
        .map(|p| json_str(&p["cryptosuite"]).to_string())
        .collect()
}

/// The bit of a credential in its published status list, read as any verifier would.
async fn published_bit(app: &TestApp, credential: &Value) -> bool {
    let entry = &credential["credentialStatus"];
    let url = json_str(&entry["statusListCredential"]);
    let path = url
        .split_once("/api/v1/")
        .map(|(_, p)| format!("/api/v1/{p}"))
        .unwrap();
    let list = api_get(app, &path, None).await.expect_status(Status::Ok);
    assert_eq!(
        list["type"],
        json!(["VerifiableCredential", "BitstringStatusListCredential"])
    );
    assert_eq!(list["credentialSubject"]["statusPurpose"], "revocation");
    assert_eq!(
        verify(app, &list).await["status"],
        "valid",
        "the list itself is signed"
    );
    // The list carries both proofs too, and its rdfc proof alone holds.
    assert_eq!(suites_of(&list), ["eddsa-jcs-2022", "eddsa-rdfc-2022"]);
    let mut rdfc_only = list.clone();
    rdfc_only["proof"] = list["proof"][1].clone();
    assert_eq!(verify(app, &rdfc_only).await["status"], "valid");
    let bits = status::decode(json_str(&list["credentialSubject"]["encodedList"])).unwrap();
    assert_eq!(bits.len() * 8, status::LIST_SIZE as usize);
    let index: i32 = json_str(&entry["statusListIndex"]).parse().unwrap();
    status::is_set(&bits, index)
}

#[rocket::async_test]
async fn a_certificates_credential_verifies_under_the_published_key() {
    let app = TestApp::with_demo().await;
    let (_, codes) = issued(&app).await;
    let code = &codes[0];
    let (_, record) = api_get(&app, &format!("/api/v1/certificates/{code}"), None).await;
    let vc = credential(&app, code).await;

    // Open Badges 3.0 on VC 2.0, with the certificate's facts.
    assert_eq!(
        vc["@context"],
        json!([
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
        ])
    );
    assert_eq!(
        vc["type"],
        json!(["VerifiableCredential", "OpenBadgeCredential"])
    );
    assert_eq!(vc["issuer"]["id"], "did:web:127.0.0.1%3A8000");
    assert_eq!(vc["credentialSubject"]["name"], record["full_name"]);
    assert_eq!(
        vc["credentialSubject"]["achievement"]["name"],
        record["course"]
    );
    assert_eq!(
        vc["credentialSubject"]["achievement"]["creditsAvailable"],
        record["hours"]
    );
    assert!(
        json_str(&vc["credentialSubject"]["achievement"]["criteria"]["narrative"])
            .starts_with("Asistir al menos al ")
    );
    assert_eq!(
        vc["evidence"][0]["id"],
        format!("http://127.0.0.1:8000/verificar/{code}")
    );
    assert_eq!(vc["credentialStatus"]["type"], "BitstringStatusListEntry");
    assert_eq!(suites_of(&vc), ["eddsa-jcs-2022", "eddsa-rdfc-2022"]);
    assert_eq!(vc["proof"][1]["type"], "DataIntegrityProof");
    assert_eq!(vc["proof"][1]["proofPurpose"], "assertionMethod");
    // Results are numbers written with a dot, on the scales their descriptions give; the
    // wording for people is in the description.
    let results = json_array(&vc["credentialSubject"]["result"]);
    let attendance: f64 = json_str(&results[0]["value"]).parse().unwrap();
    assert!((0.0..=100.0).contains(&attendance), "{attendance}");
    let pct = record["attendance_pct"].as_f64().unwrap();
    assert!((pct - attendance).abs() < 0.051, "{pct} vs {attendance}");
    let grade: f64 = json_str(&results[1]["value"]).parse().unwrap();
    assert_eq!(record["final_grade"].as_f64(), Some(grade));
    let descriptions = &vc["credentialSubject"]["achievement"]["resultDescription"];
    assert_eq!(descriptions[0]["resultType"], "Percent");
    assert_eq!(descriptions[1]["resultType"], "ScaledScore");
    assert!(
        json_str(&vc["description"]).contains("Asistencia: "),
        "{}",
        vc["description"]
    );
    // Stable: the same certificate gives the same bytes.
    assert_eq!(credential(&app, code).await, vc);

    let verdict = verify(&app, &vc).await;
    assert_eq!(verdict["verified"], true, "{verdict}");
    assert_eq!(verdict["status"], "valid");
    assert_eq!(verdict["errors"], json!([]));
    assert_eq!(verdict["code"], json!(code));
    assert!(!published_bit(&app, &vc).await);

    // The DID document's key verifies the proof, without the server's verifier.
    let response = app.client.get("/.well-known/did.json").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    let did: Value = serde_json::from_str(&response.into_string().await.unwrap()).unwrap();
    assert_eq!(did["id"], vc["issuer"]["id"]);
    let method = json_str(&vc["proof"][0]["verificationMethod"]);
    assert_eq!(vc["proof"][1]["verificationMethod"], json!(method));
    assert!(json_array(&did["assertionMethod"]).contains(&json!(method)));
    let published = json_array(&did["verificationMethod"])
        .iter()
        .find(|m| m["id"] == method)
        .expect("the signing key is published");
    assert_eq!(published["type"], "Multikey");
    let key = keys::parse_public_multikey(json_str(&published["publicKeyMultibase"])).unwrap();
    let document = vc.as_object().unwrap();
    assert_eq!(
        proof::verify(document, |m| (m == method).then_some(key)),
        Ok(method.to_string())
    );
    assert!(
        proof::verify(document, |_| Some([9u8; 32])).is_err(),
        "another key fails"
    );

    // Either proof alone holds (a verifier may read only the one it knows).
    for kept in 0..2 {
        let mut one = vc.clone();
        one["proof"] = vc["proof"][kept].clone();
        let verdict = verify(&app, &one).await;
        assert_eq!(verdict["status"], "valid", "{kept}: {verdict}");
    }
}

#[rocket::async_test]
async fn a_changed_name_hours_date_or_byte_fails() {
    let app = TestApp::with_demo().await;
    let (_, codes) = issued(&app).await;
    let vc = credential(&app, &codes[0]).await;

    let mut name = vc.clone();
    name["credentialSubject"]["name"] = json!("Otra Persona");
    let mut hours = vc.clone();
    hours["credentialSubject"]["achievement"]["creditsAvailable"] = json!(400);
    let mut date = vc.clone();
    date["validFrom"] = json!("2020-01-01T00:00:00Z");
    let mut unsigned = vc.clone();
    unsigned.as_object_mut().unwrap().remove("proof");
    let mut foreign = vc.clone();
    foreign["issuer"]["id"] = json!("did:web:falso.example");
    let flip = |proof: &mut Value| {
        let value = json_str(&proof["proofValue"]).to_string();
        let flipped = if value.ends_with('2') { "3" } else { "2" };
        proof["proofValue"] = json!(format!("{}{flipped}", &value[..value.len() - 1]));
    };
    let mut signature = vc.clone();
    flip(&mut signature["proof"][0]);
    let mut rdfc_signature = vc.clone();
    flip(&mut rdfc_signature["proof"][1]);
    // Only the rdfc proof left, over a changed result or name.
    let mut rdfc_result = vc.clone();
    rdfc_result["proof"] = vc["proof"][1].clone();
    rdfc_result["credentialSubject"]["result"][0]["value"] = json!("100");
    let mut rdfc_name = vc.clone();
    rdfc_name["proof"] = vc["proof"][1].clone();
    rdfc_name["credentialSubject"]["name"] = json!("Otra Persona");
    let mut context = vc.clone();
    context["@context"][1] = json!("https://evil.example/ob.json");

    for (what, changed) in [
        ("name", &name),
        ("hours", &hours),
        ("date", &date),
        ("no proof", &unsigned),
        ("issuer", &foreign),
        ("signature", &signature),
        ("rdfc signature", &rdfc_signature),
        ("rdfc alone, result", &rdfc_result),
        ("rdfc alone, name", &rdfc_name),
        ("context", &context),
    ] {
        let verdict = verify(&app, changed).await;
        assert_eq!(verdict["verified"], false, "{what}: {verdict}");
        assert_eq!(verdict["status"], "invalid", "{what}");
        assert!(!json_array(&verdict["errors"]).is_empty(), "{what}");
        assert_eq!(
            verdict["holder"],
            Value::Null,
            "{what}: an invalid credential's claims are not repeated"
        );
    }
    for changed in [&name, &rdfc_result] {
        let verdict = verify(&app, changed).await;
        assert!(
            json_array(&verdict["errors"])
                .iter()
                .any(|e| e.as_str().unwrap().contains("fue modificada")),
            "{verdict}"
        );
    }
    let verdict = verify(&app, &name).await;
    assert!(
        json_array(&verdict["errors"])
            .iter()
            .any(|e| e.as_str().unwrap().contains("fue modificada")),
        "{verdict}"
    );

    // A changed byte in the file as sent (not just the parsed JSON) fails too.
    let text = serde_json::to_string(&vc).unwrap();
    let one_byte = text.replacen("horas", "horaz", 1);
    assert_ne!(one_byte, text);
    let verdict = verify(&app, &serde_json::from_str(&one_byte).unwrap()).await;
    assert_eq!(verdict["status"], "invalid");

    // Not a credential at all: a verdict, not an error; not JSON: 400.
    assert_eq!(verify(&app, &json!([1, 2])).await["status"], "invalid");
    assert_eq!(verify(&app, &json!({"a": 1})).await["status"], "invalid");
    let response = app
        .client
        .post("/api/v1/credentials/verify")
        .header(ContentType::JSON)
        .body("{no es json")
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::BadRequest);

    // Unknown codes and lists.
    for path in [
        "/api/v1/certificates/ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ/credential",
        "/api/v1/credentials/status/0",
        "/api/v1/credentials/status/2",
    ] {
        assert_eq!(
            api_get(&app, path, None).await.0,
            Status::NotFound,
            "{path}"
        );
    }
}

#[rocket::async_test]
async fn revoking_or_reissuing_sets_the_bit_and_the_verdict() {
    let app = TestApp::with_demo().await;
    let (staff, codes) = issued(&app).await;
    let (revoked, superseded, untouched) = (&codes[0], &codes[1], codes.get(2));
    let before = credential(&app, revoked).await;
    let old = credential(&app, superseded).await;
    assert!(!published_bit(&app, &before).await);

    api_post(
        &app,
        &format!("/api/v1/certificates/{revoked}/revoke"),
        Some(&staff),
        json!({"reason": "Expedido por error"}),
    )
    .await
    .expect_status(Status::Ok);
    assert!(
        published_bit(&app, &before).await,
        "the list shows the revocation at once"
    );
    let verdict = verify(&app, &before).await;
    assert_eq!(verdict["verified"], false);
    assert_eq!(verdict["status"], "revoked");
    assert!(
        json_str(&verdict["errors"][0]).contains("Expedido por error"),
        "{verdict}"
    );
    // The credential is still served, and says the same.
    assert_eq!(credential(&app, revoked).await, before);

    let new = api(
        &app,
        "POST",
        &format!("/api/v1/certificates/{superseded}/reissue"),
        Some(&staff),
        None,
    )
    .await
    .expect_status(Status::Ok);
    let new_code = json_str(&new["code"]);
    assert!(published_bit(&app, &old).await);
    let verdict = verify(&app, &old).await;
    assert_eq!(verdict["status"], "revoked");
    assert!(
        json_str(&verdict["errors"][0]).contains(new_code),
        "{verdict}"
    );
    let replacement = credential(&app, new_code).await;
    assert_eq!(verify(&app, &replacement).await["status"], "valid");
    assert!(!published_bit(&app, &replacement).await);

    if let Some(code) = untouched {
        let other = credential(&app, code).await;
        assert!(
            !published_bit(&app, &other).await,
            "only the revoked bits are set"
        );
    }
}

/// A multipart post of the public check form: a file, or pasted text.
pub(crate) async fn check_page(
    app: &TestApp,
    file: Option<&str>,
    pasted: &str,
) -> (Status, String) {
    let boundary = "----aula-credencial";
    let mut body = String::new();
    if let Some(file) = file {
        body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"archivo\"; filename=\"credencial.json\"\r\nContent-Type: application/json\r\n\r\n{file}\r\n"));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"texto\"\r\n\r\n{pasted}\r\n--{boundary}--\r\n"
    ));
    let response = app
        .client
        .post("/verificar/credencial")
        .header(ContentType::new("multipart", "form-data").with_params(("boundary", boundary)))
        .body(body)
        .dispatch()
        .await;
    let status = response.status();
    (status, response.into_string().await.unwrap_or_default())
}

#[rocket::async_test]
async fn people_download_and_check_credentials_on_the_pages() {
    let app = TestApp::with_demo().await;
    let (staff, codes) = issued(&app).await;
    let code = &codes[0];

    // The download is the API's credential, offered as a file.
    let response = app
        .client
        .get(format!("/credenciales/{code}.json"))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(
        response.headers().get_one("Content-Disposition"),
        Some(format!("attachment; filename=\"credencial-{code}.json\"").as_str())
    );
    let file = response.into_string().await.unwrap();
    let downloaded: Value = serde_json::from_str(&file).unwrap();
    assert_eq!(downloaded, credential(&app, code).await);

    // The verification page links to it and offers the check.
    let (status, html) = page(&app, &format!("/verificar/{code}")).await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains(&format!("/credenciales/{code}.json")));
    assert!(html.contains("Descargar credencial verificable"));
    assert!(html.contains("action=\"/verificar/credencial\""));

    let (status, html) = check_page(&app, Some(&file), "").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Credencial válida"), "{html}");
    assert!(html.contains(&format!("/verificar/{code}")));

    let changed = file.replacen(
        &json_str(&downloaded["credentialSubject"]["name"]).to_string(),
        "Otra Persona",
        1,
    );
    let (status, html) = check_page(&app, None, &changed).await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Credencial no válida"), "{html}");
    assert!(html.contains("fue modificada"));
    assert!(
        !html.contains("Otra Persona</dd>"),
        "a forged holder is not shown as a fact"
    );

    api_post(
        &app,
        &format!("/api/v1/certificates/{code}/revoke"),
        Some(&staff),
        json!({"reason": "Datos errados"}),
    )
    .await;
    let (_, html) = check_page(&app, None, &file).await;
    assert!(html.contains("Credencial revocada"), "{html}");
    assert!(html.contains("Datos errados"));

    let (status, html) = check_page(&app, None, "   ").await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(html.contains("Elija el archivo de la credencial"));
    let (status, html) = check_page(&app, None, "esto no es json").await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(html.contains("no es JSON"));
    assert!(
        html.contains("esto no es json"),
        "the pasted text comes back"
    );
}
