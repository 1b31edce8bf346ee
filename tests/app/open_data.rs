//! Open data (issue 32): `/open-data/offer.{csv,json}` and `/open-data/coverage.{csv,json}`
//! answer anyone, without authentication; the CSV is real CSV (read here by a small RFC 4180
//! reader and by the uploads' reader, the csv crate) with its header row, DIVIPOLA codes keep
//! their leading zeros, no person of the database appears in any file, counts from 1 to 4 are
//! suppressed, drafts and cancelled cohorts are not in the offer and every provider's cohorts
//! are, with the provider's name. `/datos-abiertos` lists the data sets with their dictionary.
//! Issue 67: each CSV also comes for Colombian Excel (`.excel.csv`, split on `;`, the same
//! columns and rows), and `/open-data/datapackage.json` describes every CSV with the fields
//! of its header.

use crate::common::TestApp;
use crate::support::{Fetch, json_array, json_str};
use crate::world::{World, days};
use chrono::{Datelike, Duration};
use domain::entities::values::{CohortStatus, Mark, Role};
use domain::entities::{cohort, participant, provider, user};
use domain::open_data::{COVERAGE, DATASETS, OFFER};
use domain::spreadsheets::CsvFlavour;
use rocket::http::{ContentType, Status};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;
use std::collections::BTreeSet;

const FILES: [&str; 7] = [
    "/open-data/offer.csv",
    "/open-data/offer.json",
    "/open-data/coverage.csv",
    "/open-data/coverage.json",
    "/open-data/offer.excel.csv",
    "/open-data/coverage.excel.csv",
    "/open-data/datapackage.json",
];

const BOM: &str = "\u{FEFF}";

/// A file as anyone gets it (no cookie, no token): status, content type, disposition, body.
async fn get(app: &TestApp, path: &str) -> (Status, String, Option<String>, String) {
    let response = app.client.get(path.to_string()).dispatch().await;
    let status = response.status();
    let kind = response
        .content_type()
        .map(|c| c.to_string())
        .unwrap_or_default();
    let disposition = response
        .headers()
        .get_one("Content-Disposition")
        .map(str::to_string);
    let body = response.into_string().await.unwrap_or_default();
    (status, kind, disposition, body)
}

/// A small RFC 4180 reader: fields split on commas outside quotes, `""` inside quotes is a
/// quote, records end with CRLF outside quotes. Also says which fields were quoted.
fn read_csv(text: &str) -> Vec<Vec<(String, bool)>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' => {
                assert!(field.is_empty(), "a quote inside a bare field: {field:?}");
                in_quotes = true;
                quoted = true;
            }
            ',' => record.push((std::mem::take(&mut field), std::mem::take(&mut quoted))),
            '\r' => {
                assert_eq!(chars.next(), Some('\n'), "records end with CRLF");
                record.push((std::mem::take(&mut field), std::mem::take(&mut quoted)));
                records.push(std::mem::take(&mut record));
            }
            '\n' => panic!("a bare LF ends a record"),
            _ => field.push(c),
        }
    }
    assert!(!in_quotes, "an unclosed quote");
    assert!(
        field.is_empty() && record.is_empty(),
        "the last record ends with CRLF"
    );
    records
}

/// A CSV body read into its header and rows of text (asserting the BOM and that every row is
/// as wide as the header).
fn table(body: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let text = body.strip_prefix(BOM).expect("UTF-8 with a BOM");
    let mut records = read_csv(text).into_iter();
    let header: Vec<String> = records
        .next()
        .expect("a header row")
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    let rows: Vec<Vec<String>> = records
        .map(|r| {
            assert_eq!(r.len(), header.len(), "{r:?}");
            r.into_iter().map(|(value, _)| value).collect()
        })
        .collect();
    (header, rows)
}

fn column(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("column {name}"))
}

#[rocket::async_test]
async fn the_files_and_the_page_answer_anyone_without_signing_in() {
    let app = TestApp::with_demo().await;
    for (path, dataset) in [
        ("/open-data/offer.csv", &OFFER),
        ("/open-data/coverage.csv", &COVERAGE),
    ] {
        let (status, kind, disposition, body) = get(&app, path).await;
        assert_eq!(status, Status::Ok, "{path}");
        assert_eq!(kind, "text/csv; charset=utf-8", "{path}");
        let disposition = disposition.expect("an attachment");
        assert!(
            disposition.starts_with("attachment; ")
                && disposition.contains(&format!("filename=\"{}\"", dataset.file_name)),
            "{disposition}"
        );
        let (header, rows) = table(&body);
        assert_eq!(header, dataset.header(), "{path}: the dictionary's columns");
        assert!(!rows.is_empty(), "{path}: the demo has rows");
        // The uploads' reader (the csv crate) reads the same table.
        let read = domain::spreadsheets::read_upload(body.as_bytes(), "datos.csv").unwrap();
        assert_eq!(read.headers, dataset.header(), "{path}");
        assert_eq!(read.rows.len(), rows.len(), "{path}");
    }
    for (path, dataset) in [
        ("/open-data/offer.json", &OFFER),
        ("/open-data/coverage.json", &COVERAGE),
    ] {
        let (status, kind, _, body) = get(&app, path).await;
        assert_eq!(status, Status::Ok, "{path}");
        assert_eq!(kind, ContentType::JSON.to_string(), "{path}");
        let items: Vec<Value> = serde_json::from_str(&body).expect("a JSON array");
        assert!(!items.is_empty(), "{path}");
        let mut header = dataset.header();
        header.sort_unstable();
        for item in &items {
            let keys: Vec<&str> = item
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(keys, header, "{path}: the same keys as the CSV");
        }
    }
    // The CSV and the JSON hold the same rows.
    let (_, _, _, csv) = get(&app, "/open-data/coverage.csv").await;
    let (_, _, _, json) = get(&app, "/open-data/coverage.json").await;
    let (header, rows) = table(&csv);
    let items: Vec<Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(rows.len(), items.len());
    for (row, item) in rows.iter().zip(&items) {
        for (name, cell) in header.iter().zip(row) {
            let expected = match &item[name] {
                Value::Null => String::new(),
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            assert_eq!(cell, &expected, "{name}");
        }
    }

    // An unknown file is a problem+json 404, as the API's.
    let response = app.client.get("/open-data/nada.json").dispatch().await;
    assert_eq!(response.status(), Status::NotFound);
    assert_eq!(
        response.content_type(),
        Some(ContentType::new("application", "problem+json"))
    );

    // The page: every data set, its files and its dictionary, the law, the suppression.
    let response = app.client.get("/datos-abiertos").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    let html = response.into_string().await.unwrap();
    for text in [
        "Ley 1712 de 2014",
        "Reserva estadística",
        "un conteo de 1 a 4 personas no se publica",
        "UTF-8 con marca de orden de bytes (BOM)",
        "href=\"/open-data/offer.csv\"",
        "href=\"/open-data/offer.json\"",
        "href=\"/open-data/coverage.csv\"",
        "href=\"/open-data/coverage.json\"",
        "código DIVIPOLA de 5 dígitos",
        "asistencias técnicas",
    ] {
        assert!(html.contains(text), "the page says «{text}»");
    }
    for dataset in DATASETS {
        assert!(html.contains(dataset.title));
        for column in dataset.columns {
            assert!(
                html.contains(&format!("<code>{}</code>", column.name)),
                "{}",
                column.name
            );
        }
    }
    // Every page links to it from its footer.
    let (_, home) = crate::support::page(&app, "/").await;
    assert!(home.contains("href=\"/datos-abiertos\""));
}

#[rocket::async_test]
async fn the_offer_holds_every_providers_published_cohorts_and_no_draft_or_cancelled_one() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let draft = world
        .cohort()
        .name("Borrador de prueba")
        .draft()
        .create()
        .await;
    let cancelled = world.cohort().name("Cancelada de prueba").create().await;
    world.move_cohort(cancelled.id, "cancelled").await;
    let national = world
        .cohort()
        .name("Nacional de prueba")
        .national()
        .create()
        .await;
    let antioquia = world
        .cohort()
        .name("Antioquia de prueba")
        .targets(&["05001"], &["05"])
        .create()
        .await;

    let (_, _, _, json) = get(&app, "/open-data/offer.json").await;
    let all: Vec<Value> = serde_json::from_str(&json).unwrap();
    let items: Vec<Value> = all
        .iter()
        .filter(|i| i["tipo"] == "cohorte")
        .cloned()
        .collect();
    let ids: Vec<i64> = items
        .iter()
        .map(|i| i["id_cohorte"].as_i64().unwrap())
        .collect();
    assert!(ids.is_sorted(), "ordered by cohort id");
    assert_eq!(
        all[..items.len()],
        items[..],
        "the cohorts first, then the assistances"
    );
    assert!(items.iter().all(|i| i["id_asistencia"].is_null()));
    let published: BTreeSet<i64> = cohort::Entity::find()
        .filter(cohort::Column::Status.is_in([
            CohortStatus::Open,
            CohortStatus::InProgress,
            CohortStatus::Closed,
        ]))
        .fetch_all(app.db())
        .await
        .into_iter()
        .map(|c| i64::from(c.id))
        .collect();
    assert_eq!(ids.iter().copied().collect::<BTreeSet<_>>(), published);
    assert!(!ids.contains(&draft.id) && !ids.contains(&cancelled.id));
    let demo_draft = crate::world::demo_cohort(app.db(), CohortStatus::Draft).await;
    assert!(!ids.contains(&i64::from(demo_draft.id)));
    assert!(!json.contains(&demo_draft.name));

    // DNP's workshop in El Paujíl, beside ESAP's cohorts.
    let find = |name: &str| {
        items
            .iter()
            .find(|i| i["nombre_cohorte"] == name)
            .unwrap_or_else(|| panic!("{name} in the offer"))
            .clone()
    };
    let kpt = find("Taller KPT · El Paujíl 2026");
    assert_eq!(kpt["oferente"], "Departamento Nacional de Planeación (DNP)");
    assert_eq!(kpt["nit_oferente"], "899999011-0");
    assert_eq!(kpt["codigo_curso"], "DNP-KPT");
    assert_eq!(kpt["alcance"], "municipal");
    assert_eq!(kpt["codigos_municipio"], serde_json::json!(["18256"]));
    assert_eq!(kpt["codigos_departamento"], serde_json::json!([]));
    assert_eq!(kpt["estado"], "en_curso");
    assert_eq!(kpt["modalidad"], "presencial");
    assert!(
        json_str(&kpt["fecha_inicio"])
            .parse::<chrono::NaiveDate>()
            .is_ok()
    );
    let providers: BTreeSet<&str> = items.iter().map(|i| json_str(&i["oferente"])).collect();
    assert!(providers.contains("Escuela Superior de Administración Pública (ESAP)"));
    // Every provider with a published cohort, by name.
    let with_cohorts: BTreeSet<i32> = cohort::Entity::find()
        .filter(cohort::Column::Id.is_in(published.iter().map(|&id| id as i32)))
        .fetch_all(app.db())
        .await
        .into_iter()
        .map(|c| c.provider_id)
        .collect();
    let names: BTreeSet<String> = provider::Entity::find()
        .filter(provider::Column::Id.is_in(with_cohorts))
        .fetch_all(app.db())
        .await
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(
        providers,
        names.iter().map(String::as_str).collect::<BTreeSet<_>>()
    );

    let ours = find("Nacional de prueba");
    assert_eq!(ours["alcance"], "nacional");
    assert_eq!(ours["codigos_municipio"], serde_json::json!([]));
    assert_eq!(ours["estado"], "abierta");
    assert_eq!(
        ours["codigos_capacidad"],
        serde_json::json!(["planeacion_territorial", "ordenamiento_territorial"])
    );
    assert_eq!(ours["fecha_inicio"], days(-30).to_string());
    let mixed = find("Antioquia de prueba");
    assert_eq!(mixed["alcance"], "mixto");
    assert_eq!(mixed["id_cohorte"], antioquia.id);

    // The CSV: the same cohorts; lists joined with «;», codes quoted with their zeros.
    let (_, _, _, csv) = get(&app, "/open-data/offer.csv").await;
    let (header, rows) = table(&csv);
    let csv_ids: Vec<i64> = rows
        .iter()
        .filter(|r| r[column(&header, "tipo")] == "cohorte")
        .map(|r| r[column(&header, "id_cohorte")].parse().unwrap())
        .collect();
    assert_eq!(csv_ids, ids);
    let row = rows
        .iter()
        .find(|r| r[column(&header, "id_cohorte")] == antioquia.id.to_string())
        .unwrap();
    assert_eq!(row[column(&header, "codigos_municipio")], "05001");
    assert_eq!(row[column(&header, "codigos_departamento")], "05");
    assert_eq!(
        row[column(&header, "capacidades")],
        "Planeación territorial;Ordenamiento territorial"
    );
    assert!(csv.contains(",\"05\",\"05001\","), "codes quoted");
    assert!(national.id > 0);
}

/// Issue 67: the offer also lists every technical assistance not cancelled, of every
/// provider (`tipo: asistencia_tecnica`), with its provider, capacities, place, dates and
/// modality, and nothing of its objective, contact or people; with `?sector=` only cohorts.
#[rocket::async_test]
async fn the_offer_lists_the_assistances_too_without_anything_personal() {
    use domain::entities::assistance;
    use domain::entities::values::AssistanceStatus;
    let app = TestApp::with_demo().await;
    let published: Vec<assistance::Model> = assistance::Entity::find()
        .filter(assistance::Column::Status.ne(AssistanceStatus::Cancelled))
        .fetch_all(app.db())
        .await;
    assert!(!published.is_empty(), "the demo has assistances");
    let (_, _, _, json) = get(&app, "/open-data/offer.json").await;
    let items: Vec<Value> = serde_json::from_str(&json).unwrap();
    let assistances: Vec<&Value> = items
        .iter()
        .filter(|i| i["tipo"] == "asistencia_tecnica")
        .collect();
    let ids: Vec<i64> = assistances
        .iter()
        .map(|i| i["id_asistencia"].as_i64().unwrap())
        .collect();
    let mut expected: Vec<i64> = published.iter().map(|a| i64::from(a.id)).collect();
    expected.sort();
    assert_eq!(ids, expected, "every assistance not cancelled, by id");
    let first = &published.iter().min_by_key(|a| a.id).unwrap();
    let row = assistances[0];
    assert!(row["id_cohorte"].is_null() && row["cupos"].is_null());
    assert!(row["intensidad_horaria"].is_null());
    assert_eq!(row["codigo_curso"], "");
    assert!(!json_str(&row["oferente"]).is_empty());
    assert_eq!(row["fecha_inicio"], first.starts_on.to_string());
    match &first.municipality_code {
        Some(code) => {
            assert_eq!(row["codigos_municipio"], serde_json::json!([code]));
            assert_eq!(row["alcance"], "municipal");
        }
        None => assert_eq!(row["alcance"], "departamental"),
    }
    assert!(
        row["codigos_capacidad"]
            .as_array()
            .is_some_and(|c| !c.is_empty()),
        "{row}"
    );
    assert!(
        ["planeada", "en_curso", "cerrada"].contains(&json_str(&row["estado"])),
        "{row}"
    );
    for a in &published {
        assert!(!json.contains(a.objective.as_str()), "no objective");
        if let Some(email) = &a.contact_email {
            assert!(!json.contains(email.as_str()), "no contact");
        }
    }

    // The CSV and its Excel flavour: the same rows, the kind column filled.
    for path in ["/open-data/offer.csv", "/open-data/offer.excel.csv"] {
        let (_, _, _, body) = get(&app, path).await;
        let delimiter = if path.contains("excel") { b';' } else { b',' };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .from_reader(body.trim_start_matches(BOM).as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(header, OFFER.header(), "{path}");
        let kind = header.iter().position(|h| h == "tipo").unwrap();
        let assisted = reader
            .records()
            .map(|r| r.unwrap())
            .filter(|r| &r[kind] == "asistencia_tecnica")
            .count();
        assert_eq!(assisted, published.len(), "{path}");
    }

    // A sector names courses: no assistance there.
    let (_, _, _, json) = get(&app, "/open-data/offer.json?sector=vivienda_agua").await;
    assert!(!json.contains("asistencia_tecnica"));
}

#[rocket::async_test]
async fn coverage_suppresses_counts_under_five_and_keeps_leading_zeros() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let cohort = world
        .cohort()
        .name("Antioquia cerrada")
        .targets(&[], &["05"])
        .sessions_from_now(&[Duration::days(-2)], 60)
        .create()
        .await;
    // Medellín: 3 people, all completing; Abejorral: 6 people, 5 completing.
    let medellin = world.people("medellin").count(3).of("05001").create().await;
    let abejorral = world
        .people("abejorral")
        .count(6)
        .of("05002")
        .create()
        .await;
    let mut marks = Vec::new();
    for (n, person) in medellin.iter().chain(&abejorral).enumerate() {
        let enrolment = world.enrol(cohort.id, person.id).await;
        let mark: &[Mark] = if n == 8 {
            &[Mark::Ausente]
        } else {
            &[Mark::Presente]
        };
        marks.push((enrolment.id, mark));
    }
    world.move_cohort(cohort.id, "in_progress").await;
    world.take_attendance(&cohort.sessions, &marks).await;
    world.move_cohort(cohort.id, "closed").await;
    let (status, issued) = crate::support::api(
        &app,
        "POST",
        &format!("/api/v1/cohorts/{}/certificates", cohort.id),
        Some(&world.staff),
        None,
    )
    .await;
    assert_eq!(status, Status::Ok, "{issued}");
    let year = i64::from(days(-30).year());

    let (_, _, _, json) = get(&app, "/open-data/coverage.json").await;
    let items: Vec<Value> = serde_json::from_str(&json).unwrap();
    let of = |code: &str| -> Vec<&Value> {
        items
            .iter()
            .filter(|i| i["codigo_municipio"] == code && i["anio"] == year)
            .collect()
    };
    let small = of("05001");
    assert_eq!(
        small.len(),
        2,
        "one row per capacity of the course: {small:?}"
    );
    for row in &small {
        assert_eq!(row["nombre_municipio"], "Medellín");
        assert_eq!(row["codigo_departamento"], "05");
        assert_eq!(row["nombre_departamento"], "Antioquia");
        for count in [
            "personas_formadas",
            "personas_aprobadas",
            "personas_certificadas",
        ] {
            assert_eq!(row[count], Value::Null, "{count} of 3 is suppressed");
        }
    }
    let large = of("05002");
    assert_eq!(large.len(), 2);
    for row in &large {
        assert_eq!(row["personas_formadas"], 6);
        // Issue 62: 6 trained and 5 completed would name the one who did not complete, so the
        // completed and the certified (5, one fewer than the trained) are suppressed too.
        assert_eq!(row["personas_aprobadas"], Value::Null);
        assert_eq!(row["personas_certificadas"], Value::Null);
    }
    // No count from 1 to 4 anywhere.
    for item in &items {
        for count in [
            "personas_formadas",
            "personas_aprobadas",
            "personas_certificadas",
        ] {
            let n = &item[count];
            assert!(
                n.is_null() || n.as_i64().is_some_and(|n| n == 0 || n >= 5),
                "{count} = {n} in {item}"
            );
        }
    }
    // Ordered by municipality code, then capacity, then year.
    let keys: Vec<String> = items
        .iter()
        .map(|i| json_str(&i["codigo_municipio"]).to_string())
        .collect();
    assert!(keys.is_sorted());

    // The CSV: "05001" with its zero, quoted; suppressed counts empty, the others written.
    let (_, _, _, csv) = get(&app, "/open-data/coverage.csv").await;
    let (header, rows) = table(&csv);
    let at = |name: &str| column(&header, name);
    let medellin_rows: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| r[at("codigo_municipio")] == "05001")
        .collect();
    assert_eq!(medellin_rows.len(), 2);
    for row in &medellin_rows {
        assert_eq!(row[at("codigo_departamento")], "05");
        assert_eq!(row[at("anio")], year.to_string());
        assert_eq!(row[at("personas_formadas")], "");
        assert_eq!(row[at("personas_aprobadas")], "");
        assert_eq!(row[at("personas_certificadas")], "");
    }
    assert!(csv.contains("\r\n\"05001\",\"Medellín\",\"05\",\"Antioquia\","));
    let abejorral_rows: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| r[at("codigo_municipio")] == "05002")
        .collect();
    assert_eq!(abejorral_rows.len(), 2);
    for row in &abejorral_rows {
        assert_eq!(row[at("personas_formadas")], "6");
        // One fewer than the trained: suppressed too (issue 62).
        assert_eq!(row[at("personas_aprobadas")], "");
        assert_eq!(row[at("personas_certificadas")], "");
    }
    for row in &rows {
        for name in [
            "personas_formadas",
            "personas_aprobadas",
            "personas_certificadas",
        ] {
            let cell = &row[at(name)];
            assert!(
                cell.is_empty() || cell.parse::<i64>().is_ok_and(|n| n == 0 || n >= 5),
                "{name} = {cell:?}"
            );
        }
    }
}

#[rocket::async_test]
async fn no_file_holds_anything_of_a_person() {
    let app = TestApp::with_demo().await;
    // Certificates of the closed Meta cohort too, so that every kind of record exists.
    let closed = cohort::Entity::find()
        .filter(cohort::Column::Name.contains("Macarena"))
        .one(app.db())
        .await
        .unwrap()
        .expect("the closed demo cohort");
    let coordinator = crate::support::role_token(&app, Role::Coordinator).await;
    let (status, issued) = crate::support::api(
        &app,
        "POST",
        &format!("/api/v1/cohorts/{}/certificates", closed.id),
        Some(&coordinator),
        None,
    )
    .await;
    assert_eq!(status, Status::Ok, "{issued}");

    let mut bodies = Vec::new();
    for path in FILES {
        let (status, _, _, body) = get(&app, path).await;
        assert_eq!(status, Status::Ok, "{path}");
        bodies.push((path, body));
    }
    let people = participant::Entity::find().fetch_all(app.db()).await;
    assert!(people.len() >= 21, "the demo's participants");
    for person in &people {
        let mut traces = vec![
            format!("{} {}", person.first_names, person.last_names),
            person.document_number.clone(),
        ];
        traces.extend(person.email.clone());
        for (path, body) in &bodies {
            for trace in &traces {
                assert!(!body.contains(trace.as_str()), "{path} holds «{trace}»");
            }
        }
    }
    // Nor any account: instructors, coordinators, reviewers.
    for account in user::Entity::find().fetch_all(app.db()).await {
        for (path, body) in &bodies {
            assert!(
                !body.contains(&account.email),
                "{path} holds {}",
                account.email
            );
            assert!(
                !body.contains(&account.full_name),
                "{path} holds «{}»",
                account.full_name
            );
        }
    }
}

/// A CSV body read with the csv crate, split on `delimiter`: its header and rows (the BOM
/// asserted and dropped).
fn read_with(body: &str, delimiter: u8) -> (Vec<String>, Vec<Vec<String>>) {
    let text = body.strip_prefix(BOM).expect("UTF-8 with a BOM");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// Issue 67: the Excel flavour of every data set, read as Colombian Excel reads it (split on
/// `;`), has the standard CSV's header and rows, field for field: its columns split, DIVIPOLA
/// codes of Antioquia («05») and Atlántico («08001») with their leading zero, whole numbers
/// as they are (no data set holds a decimal, so there is no decimal point to turn into a
/// comma). The datapackage lists every CSV of both flavours, each resource's fields are its
/// file's header, and each resource's path answers.
#[rocket::async_test]
async fn the_excel_flavour_splits_on_semicolons_and_the_datapackage_describes_every_file() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let cohort = world
        .cohort()
        .name("Antioquia y Barranquilla")
        .targets(&["08001"], &["05"])
        .sessions_from_now(&[Duration::days(-2)], 60)
        .create()
        .await;
    let mut marks = Vec::new();
    for person in world
        .people("barranquilla")
        .count(5)
        .of("08001")
        .create()
        .await
    {
        let enrolment = world.enrol(cohort.id, person.id).await;
        marks.push((enrolment.id, &[Mark::Presente][..]));
    }
    world.move_cohort(cohort.id, "in_progress").await;
    world.take_attendance(&cohort.sessions, &marks).await;

    for dataset in DATASETS {
        let standard = dataset.csv_path(CsvFlavour::Standard);
        let excel = dataset.csv_path(CsvFlavour::ExcelColombia);
        assert_eq!(excel, format!("/open-data/{}.excel.csv", dataset.slug));
        let (status, kind, disposition, excel_body) = get(&app, &excel).await;
        assert_eq!(status, Status::Ok, "{excel}");
        assert_eq!(kind, "text/csv; charset=utf-8", "{excel}");
        let disposition = disposition.expect("an attachment");
        assert!(
            disposition.contains(&format!(
                "filename=\"{}\"",
                dataset.csv_file_name(CsvFlavour::ExcelColombia)
            )),
            "{disposition}"
        );
        assert!(excel_body.starts_with(BOM), "{excel}: UTF-8 with a BOM");
        assert!(
            excel_body.ends_with("\r\n") && !excel_body.replace("\r\n", "").contains('\n'),
            "{excel}: CRLF"
        );
        let (_, _, _, standard_body) = get(&app, &standard).await;
        let (excel_header, excel_rows) = read_with(&excel_body, b';');
        let (standard_header, standard_rows) = read_with(&standard_body, b',');
        assert_eq!(excel_header, dataset.header(), "{excel}: its columns split");
        assert_eq!(excel_header, standard_header, "{excel}");
        assert_eq!(excel_rows, standard_rows, "{excel}: the same rows");
        for row in &excel_rows {
            assert_eq!(row.len(), dataset.columns.len(), "{excel}: {row:?}");
            for (column, cell) in dataset.columns.iter().zip(row) {
                if column.kind.table_type == "integer" && !cell.is_empty() {
                    assert!(
                        cell.parse::<i64>().is_ok(),
                        "{excel}: {} = {cell}",
                        column.name
                    );
                }
            }
        }
    }

    // The offer: Antioquia («05») and Barranquilla («08001») with their zeros, in their columns.
    let (_, _, _, body) = get(&app, "/open-data/offer.excel.csv").await;
    let (header, rows) = read_with(&body, b';');
    let ours = rows
        .iter()
        .find(|r| r[column(&header, "id_cohorte")] == cohort.id.to_string())
        .expect("the new cohort in the offer");
    assert_eq!(ours[column(&header, "codigos_departamento")], "05");
    assert_eq!(ours[column(&header, "codigos_municipio")], "08001");
    assert!(
        body.contains(";\"05\";\"08001\";"),
        "quoted codes between semicolons"
    );
    // The sector filter works on the Excel flavour as on the standard one.
    let (status, _, _, filtered) = get(&app, "/open-data/offer.excel.csv?sector=no-existe").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(read_with(&filtered, b';').1.len(), 0);

    // The coverage: Barranquilla's row, «08001» and «08», with its zeros.
    let (_, _, _, body) = get(&app, "/open-data/coverage.excel.csv").await;
    let (header, rows) = read_with(&body, b';');
    let barranquilla = rows
        .iter()
        .find(|r| r[column(&header, "codigo_municipio")] == "08001")
        .expect("Barranquilla's coverage");
    assert_eq!(barranquilla[column(&header, "codigo_departamento")], "08");
    assert_eq!(
        barranquilla[column(&header, "nombre_departamento")],
        "Atlántico"
    );

    // The datapackage: every data set in both flavours, fields = the file's header.
    let (status, kind, _, body) = get(&app, "/open-data/datapackage.json").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(kind, ContentType::JSON.to_string());
    let package: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(package["profile"], "tabular-data-package");
    assert_eq!(package["licenses"][0]["name"], "CC-BY-4.0");
    let resources = json_array(&package["resources"]);
    assert_eq!(resources.len(), DATASETS.len() * 2);
    let mut described = BTreeSet::new();
    for resource in resources {
        let url = json_str(&resource["path"]);
        let path = &url[url.find("/open-data/").expect("a path on the site")..];
        assert!(url.starts_with("http"), "{url}: absolute");
        assert!(described.insert(path.to_string()), "{path} twice");
        let (status, _, _, csv) = get(&app, path).await;
        assert_eq!(status, Status::Ok, "{path}");
        let delimiter = json_str(&resource["dialect"]["delimiter"]);
        let (header, _) = read_with(&csv, delimiter.as_bytes()[0]);
        let fields: Vec<&str> = json_array(&resource["schema"]["fields"])
            .iter()
            .map(|f| json_str(&f["name"]))
            .collect();
        assert_eq!(fields, header, "{path}: the schema's fields are the header");
        assert_eq!(resource["encoding"], "utf-8");
        assert_eq!(resource["format"], "csv");
    }
    let expected: BTreeSet<String> = DATASETS
        .iter()
        .flat_map(|d| CsvFlavour::ALL.map(|f| d.csv_path(f)))
        .collect();
    assert_eq!(described, expected, "every CSV the site publishes");
    let municipality = json_array(&resources[1]["schema"]["fields"])
        .iter()
        .find(|f| f["name"] == "codigos_municipio")
        .unwrap();
    assert_eq!(municipality["type"], "string");
    assert_eq!(
        municipality["constraints"]["pattern"],
        "[0-9]{5}(;[0-9]{5})*"
    );

    // The page links the datapackage and both flavours, and says which to use.
    let (_, html) = crate::support::page(&app, "/datos-abiertos").await;
    for text in [
        "href=\"/open-data/datapackage.json\"",
        "href=\"/open-data/offer.excel.csv\"",
        "href=\"/open-data/coverage.excel.csv\"",
        "href=\"/open-data/plans.excel.csv\"",
        "href=\"/open-data/resources.excel.csv\"",
        "formaction=\"/open-data/offer.excel.csv\"",
        "Para abrirlo con Excel en Colombia",
        "Para programas",
    ] {
        assert!(html.contains(text), "the page says «{text}»");
    }
    assert!(
        !html.contains("se agregarán a estos archivos"),
        "the outdated note is gone"
    );
}
