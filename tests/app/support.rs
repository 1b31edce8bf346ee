//! Helpers to act as people and systems do: sign in through the API or the pages, read CSRF
//! tokens from forms, call the JSON API with a bearer token, upload and download files, and
//! read or write the workbooks people exchange.

use crate::common::TestApp;
use domain::demo::ACCOUNTS;
use domain::entities::values::Role;
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::{Client, LocalResponse};
use serde_json::Value;

/// The list a JSON answer holds at `value` (`body["modules"]`, …).
pub fn json_array(value: &Value) -> &Vec<Value> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("a list was expected: {value}"))
}

/// The text a JSON answer holds at `value` (`problem["detail"]`, …).
pub fn json_str(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("a text was expected: {value}"))
}

/// The `items` of a paged list answer.
pub fn json_items(body: &Value) -> &Vec<Value> {
    json_array(&body["items"])
}

/// A query's answer in a test, a database error failing the test.
#[allow(async_fn_in_trait)]
pub trait Fetch: Sized {
    type Row;
    /// The one row the query finds; none fails the test.
    async fn expect_one(self, db: &sea_orm::DatabaseConnection) -> Self::Row;
    /// Every row the query finds.
    async fn fetch_all(self, db: &sea_orm::DatabaseConnection) -> Vec<Self::Row>;
    /// How many rows the query finds.
    async fn fetch_count(self, db: &sea_orm::DatabaseConnection) -> u64;
}

/// [`Fetch`] for a kind of query whose `one` and `all` give `$row`.
macro_rules! fetch {
    ($query:ty, $row:ty, [$($generics:tt)*], [$($bounds:tt)*]) => {
        impl<$($generics)*> Fetch for $query
        where
            $($bounds)*
        {
            type Row = $row;
            async fn expect_one(self, db: &sea_orm::DatabaseConnection) -> $row {
                self.one(db).await.unwrap().expect("the query finds a row")
            }
            async fn fetch_all(self, db: &sea_orm::DatabaseConnection) -> Vec<$row> {
                self.all(db).await.unwrap()
            }
            async fn fetch_count(self, db: &sea_orm::DatabaseConnection) -> u64 {
                sea_orm::PaginatorTrait::count(self, db).await.unwrap()
            }
        }
    };
}

fetch!(
    sea_orm::Select<E>,
    E::Model,
    [E],
    [E: sea_orm::EntityTrait, E::Model: Send + Sync,]
);
fetch!(
    sea_orm::Selector<S>,
    S::Item,
    [S],
    [S: sea_orm::SelectorTrait + Send + Sync, S::Item: Send + Sync,]
);

/// Email and password of the demo account with `role`.
pub fn demo_account(role: Role) -> (&'static str, &'static str) {
    let account = ACCOUNTS
        .iter()
        .find(|a| a.0 == role)
        .expect("a demo account per role");
    (account.1, account.2)
}

/// The demo's reviewer of the Gobernación del Meta (email, password); [`demo_account`] gives
/// the one of Caquetá.
pub const META_REVIEWER: (&str, &str) =
    ("revisor.meta@aulaterritorial.example", "Revisa-Meta-2026");

/// The demo's offer coordinator of the Gobernación del Caquetá (email, password): a
/// gobernación that is also a provider (issue 46's attacker).
pub const GOBERNACION_COORDINATOR: (&str, &str) = (
    "oferta.gobcaqueta@aulaterritorial.example",
    "Oferta-Caqueta-2026",
);

/// The demo's coordinator of the provider DNP (email, password): another provider's offer.
pub const DNP_COORDINATOR: (&str, &str) = (
    "coordinacion.dnp@aulaterritorial.example",
    "Coordina-DNP-2026",
);

/// A bearer token of the demo account with `role`.
pub async fn role_token(app: &TestApp, role: Role) -> String {
    let (email, password) = demo_account(role);
    token(app, email, password).await
}

/// The CSRF token embedded in the forms of the page at `path`.
pub async fn csrf_from(app: &TestApp, path: &str) -> String {
    csrf_from_client(&app.client, path).await
}

/// The CSRF token of the forms of the page at `path`, in one browser (client).
pub async fn csrf_from_client(client: &Client, path: &str) -> String {
    let html = client
        .get(path.to_string())
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap_or_default();
    let marker = "name=\"csrf_token\" value=\"";
    let start = html
        .find(marker)
        .expect("the page has a form with a CSRF token")
        + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

/// Posts an URL-encoded form.
pub async fn post_form<'c>(
    app: &'c TestApp,
    path: &str,
    fields: &[(&str, &str)],
) -> LocalResponse<'c> {
    app.client
        .post(path.to_string())
        .header(ContentType::Form)
        .body(form_body(fields))
        .dispatch()
        .await
}

/// Posts `fields` and the CSRF token `csrf` as an URL-encoded form to `path` from `client` (a
/// browser of its own).
pub async fn post_csrf<'c>(
    client: &'c Client,
    path: &str,
    csrf: &str,
    fields: &[(&str, &str)],
) -> LocalResponse<'c> {
    let mut all = vec![("csrf_token", csrf)];
    all.extend_from_slice(fields);
    client
        .post(path.to_string())
        .header(ContentType::Form)
        .body(form_body(&all))
        .dispatch()
        .await
}

/// [`post_csrf`], and the answer's status and body.
pub async fn submit(
    client: &Client,
    path: &str,
    csrf: &str,
    fields: &[(&str, &str)],
) -> (Status, String) {
    let response = post_csrf(client, path, csrf, fields).await;
    let status = response.status();
    (status, response.into_string().await.unwrap_or_default())
}

/// The status and body of the page at `path` as `client` gets it.
pub async fn page_on(client: &Client, path: &str) -> (Status, String) {
    let response = client.get(path.to_string()).dispatch().await;
    let status = response.status();
    (status, response.into_string().await.unwrap_or_default())
}

pub fn form_body(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                domain::text::urlencode(k),
                domain::text::urlencode(v)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Signs in through the page (session cookie kept by the client).
pub async fn sign_in_page(app: &TestApp, email: &str, password: &str) -> Status {
    sign_in_form(&app.client, email, password).await
}

/// Signs in through the page in another browser (client), which must succeed.
pub async fn sign_in_client(client: &Client, email: &str, password: &str) {
    let status = sign_in_form(client, email, password).await;
    assert_eq!(status, Status::SeeOther, "signed in as {email}");
}

async fn sign_in_form(client: &Client, email: &str, password: &str) -> Status {
    let csrf = csrf_from_client(client, "/ingresar").await;
    client
        .post("/ingresar")
        .header(ContentType::Form)
        .body(form_body(&[
            ("csrf_token", &csrf),
            ("email", email),
            ("password", password),
        ]))
        .dispatch()
        .await
        .status()
}

/// A bearer token for the account.
pub async fn token(app: &TestApp, email: &str, password: &str) -> String {
    let response = app
        .client
        .post("/api/v1/tokens")
        .header(ContentType::JSON)
        .body(serde_json::json!({"email": email, "password": password}).to_string())
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Created, "token for {email}");
    let body: Value = response.into_json().await.unwrap();
    body["token"].as_str().unwrap().to_string()
}

pub fn bearer(token: &str) -> Header<'static> {
    Header::new("Authorization", format!("Bearer {token}"))
}

/// Calls the API: method, path, optional token, optional JSON body → (status, JSON body or Null).
pub async fn api(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (Status, Value) {
    let mut request = match method {
        "GET" => app.client.get(path.to_string()),
        "POST" => app.client.post(path.to_string()),
        "PATCH" => app.client.patch(path.to_string()),
        "PUT" => app.client.put(path.to_string()),
        "DELETE" => app.client.delete(path.to_string()),
        other => panic!("method {other}"),
    };
    if let Some(token) = token {
        request = request.header(bearer(token));
    }
    if let Some(body) = body {
        request = request.header(ContentType::JSON).body(body.to_string());
    }
    let response = request.dispatch().await;
    let status = response.status();
    let text = response.into_string().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// An API answer whose status the test expects: `api_get(…).await.expect_status(Status::Ok)`
/// asserts the status (printing the body when it differs) and gives the body.
pub trait ExpectStatus {
    fn expect_status(self, expected: Status) -> Value;
}

impl ExpectStatus for (Status, Value) {
    #[track_caller]
    fn expect_status(self, expected: Status) -> Value {
        let (status, body) = self;
        assert_eq!(status, expected, "{body}");
        body
    }
}

/// `GET` from the API (see [`api`]).
pub async fn api_get(app: &TestApp, path: &str, token: Option<&str>) -> (Status, Value) {
    api(app, "GET", path, token, None).await
}

/// `DELETE` on the API (see [`api`]).
pub async fn api_delete(app: &TestApp, path: &str, token: Option<&str>) -> (Status, Value) {
    api(app, "DELETE", path, token, None).await
}

/// `POST` a JSON body to the API (see [`api`]).
pub async fn api_post(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> (Status, Value) {
    api(app, "POST", path, token, Some(body)).await
}

/// `PATCH` with a JSON body (see [`api`]).
pub async fn api_patch(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> (Status, Value) {
    api(app, "PATCH", path, token, Some(body)).await
}

/// `PUT` a JSON body (see [`api`]).
pub async fn api_put(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> (Status, Value) {
    api(app, "PUT", path, token, Some(body)).await
}

/// The `field`s named in a problem+json `errors` list.
pub fn error_fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Posts `bytes` as the multipart field `file` (what browsers send for an upload form).
pub async fn upload(
    app: &TestApp,
    path: &str,
    token: &str,
    filename: &str,
    bytes: &[u8],
) -> (Status, Value) {
    const BOUNDARY: &str = "----aula-territorial-prueba";
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let response = app
        .client
        .post(path.to_string())
        .header(bearer(token))
        .header(ContentType::new("multipart", "form-data").with_params(("boundary", BOUNDARY)))
        .body(body)
        .dispatch()
        .await;
    let status = response.status();
    let text = response.into_string().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// GET of a file with a token: (status, content type, bytes).
pub async fn download(app: &TestApp, path: &str, token: &str) -> (Status, Option<String>, Vec<u8>) {
    let response = app
        .client
        .get(path.to_string())
        .header(bearer(token))
        .dispatch()
        .await;
    let status = response.status();
    let kind = response.content_type().map(|c| c.to_string());
    (
        status,
        kind,
        response.into_bytes().await.unwrap_or_default(),
    )
}

/// A sheet of a workbook as rows of text (calamine), from the header row that has
/// `first_header` in column A.
pub fn read_table(bytes: &[u8], sheet: &str, first_header: &str) -> Vec<Vec<String>> {
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range(sheet).unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    let start = rows
        .iter()
        .position(|r| r.first().is_some_and(|c| c == first_header))
        .expect("header row");
    rows[start..].to_vec()
}

/// A workbook written with rust_xlsxwriter from rows of text (header first).
pub fn write_table(rows: &[Vec<String>]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, value) in row.iter().enumerate() {
            if !value.is_empty() {
                sheet.write_string(r as u32, c as u16, value).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

/// A page's status and HTML, in the browser's session.
pub async fn page(app: &TestApp, path: &str) -> (Status, String) {
    page_on(&app.client, path).await
}

/// The body of the page at `uri` as `client` gets it, whatever its status (see [`page`]).
pub async fn body_of<'c, 'u: 'c, U>(client: &'c Client, uri: U) -> String
where
    U: TryInto<rocket::http::uri::Origin<'u>> + std::fmt::Display,
{
    client
        .get(uri)
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap()
}

/// The hidden inputs of a page's forms: (name, value), HTML entities of values decoded.
pub fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for piece in html.split("<input type=\"hidden\" ").skip(1) {
        let attr = |name: &str| {
            let marker = format!("{name}=\"");
            piece.find(&marker).map(|start| {
                let rest = &piece[start + marker.len()..];
                rest[..rest.find('"').unwrap()]
                    .replace("&quot;", "\"")
                    .replace("&#x27;", "'")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&amp;", "&")
            })
        };
        if let (Some(name), Some(value)) = (attr("name"), attr("value")) {
            out.push((name, value));
        }
    }
    out
}

/// Posts a multipart form with a CSRF token and a file, as the browser does.
pub async fn post_file(
    app: &TestApp,
    path: &str,
    csrf: &str,
    filename: &str,
    bytes: &[u8],
) -> (Status, String) {
    let boundary = "----aula-formulario";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let response = app
        .client
        .post(path.to_string())
        .header(ContentType::new("multipart", "form-data").with_params(("boundary", boundary)))
        .body(body)
        .dispatch()
        .await;
    let status = response.status();
    (status, response.into_string().await.unwrap_or_default())
}

/// Uploads a spreadsheet from a page's form and expects its preview to refuse it: 422, the
/// page says nothing was saved and shows the problem at spreadsheet `row` under `column`.
pub async fn upload_refused(
    app: &TestApp,
    path: &str,
    csrf: &str,
    file: &[u8],
    row: usize,
    column: &str,
) {
    let (status, errors) = post_file(app, path, csrf, "planilla.xlsx", file).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(
        errors.contains("no se guardó nada")
            && errors.contains(&format!("<td>{row}</td><td>{column}</td>")),
        "{errors}"
    );
}

/// The demo's coordinator of the Dirección Territorial Meta (email, password).
pub const META_COORDINATOR: (&str, &str) = (
    "coordinacion.meta@aulaterritorial.example",
    "Coordina-Meta-2026",
);

/// Asserts that `rows` is not empty and that every row satisfies `in_scope` (issue 46: a scope
/// check must not pass on an empty answer). `what` names the answer in the failure message.
#[track_caller]
pub fn every_row<T: std::fmt::Debug>(rows: &[T], what: &str, in_scope: impl Fn(&T) -> bool) {
    assert!(
        !rows.is_empty(),
        "{what}: the answer has no rows, so the scope check would prove nothing"
    );
    if let Some(outside) = rows.iter().find(|row| !in_scope(row)) {
        panic!("{what}: a row outside the scope: {outside:?}");
    }
}

/// The secret of the newest work plan acceptance link emailed to `contact` (issue 49).
pub async fn acceptance_link(app: &TestApp, contact: &str) -> Option<String> {
    use domain::entities::outbox;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq(contact))
        .filter(outbox::Column::BodyText.contains("/aceptar-plan/"))
        .order_by_desc(outbox::Column::Id)
        .one(app.db())
        .await
        .unwrap()
        .and_then(|mail| {
            mail.body_text
                .split("/aceptar-plan/")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .map(str::to_string)
        })
}

/// Issue 49: planned assistance `id` agreed with its entity so that it can start — a work plan
/// written by `staff` (one activity on its first day) and accepted through the link emailed to
/// its contact (one is given when it has none), the contact recorded as confirmed by the
/// territory beforehand (issue 62: only a confirmed contact receives the link; the
/// confirmation itself is tested in `agreed.rs`).
pub async fn agree_plan(app: &TestApp, id: i64, staff: &str) {
    let (status, current) = api(
        app,
        "GET",
        &format!("/api/v1/assistances/{id}"),
        Some(staff),
        None,
    )
    .await;
    assert_eq!(status, Status::Ok, "{current}");
    let contact = match current["contact_email"].as_str() {
        Some(contact) => contact.to_string(),
        None => {
            let contact = format!("contacto.asistencia{id}@entidad.example");
            let (status, body) = api(
                app,
                "PATCH",
                &format!("/api/v1/assistances/{id}"),
                Some(staff),
                Some(serde_json::json!({"contact_email": contact})),
            )
            .await;
            assert_eq!(status, Status::Ok, "{body}");
            contact
        }
    };
    {
        use domain::entities::{assistance, user};
        use sea_orm::{ActiveModelTrait, EntityTrait, Set};
        let confirmer = user::Entity::find().one(app.db()).await.unwrap().unwrap();
        let row = assistance::Entity::find_by_id(id as i32)
            .one(app.db())
            .await
            .unwrap()
            .unwrap();
        let mut row: assistance::ActiveModel = row.into();
        row.contact_confirmed_by = Set(Some(confirmer.id));
        row.contact_confirmed_at = Set(Some(domain::time::now()));
        row.contact_confirmed_email = Set(Some(contact.clone()));
        row.update(app.db()).await.unwrap();
    }
    let (status, plan) = api(
        app,
        "PUT",
        &format!("/api/v1/assistances/{id}/work-plan"),
        Some(staff),
        Some(serde_json::json!({
            "activities": [{"text": "Taller de arranque con el equipo de la entidad",
                            "due_on": current["starts_on"]}],
            "products_expected": ["Plan de acción de la entidad"],
        })),
    )
    .await;
    assert_eq!(status, Status::Ok, "{plan}");
    let token = acceptance_link(app, &contact).await.expect("the link");
    let (status, accepted) = api(
        app,
        "POST",
        &format!("/api/v1/work-plan-acceptances/{token}"),
        None,
        Some(
            serde_json::json!({"accepted_by": "Ana Lucía Torres", "position": "Alcaldesa",
                                "version": plan["version"], "content_hash": plan["content_hash"]}),
        ),
    )
    .await;
    assert_eq!(status, Status::Created, "{accepted}");
}

/// A runtime with four worker threads, for the tests whose requests must really run at once
/// (bursts, races between instances): `rocket::async_test` polls everything on one thread.
pub fn threaded() -> rocket::tokio::runtime::Runtime {
    rocket::tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap()
}

/// What a client reads in an answer's bytes, decoded as the file it is: a gzip'ed body
/// unpacked; a workbook (`.xlsx`) as the text of every cell of every sheet (calamine); any
/// other zip as each entry's name and its content, decoded the same way (the certificates'
/// `.zip` holds PDFs); a PDF as the text of every page (lopdf); anything else as text. A leak
/// looked for in the raw bytes of a compressed file can never be found: look for it here.
/// A file that claims a format and cannot be read in it panics (a client could not open it).
pub fn decoded_text(bytes: &[u8]) -> String {
    use std::io::Read;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .expect("a gzip body");
        return decoded_text(&out);
    }
    if bytes.starts_with(b"%PDF-") {
        return pdf_text(bytes);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        let mut archive =
            zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip a client can open");
        if archive.index_for_name("xl/workbook.xml").is_some() {
            return workbook_text(bytes);
        }
        let mut out = String::new();
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).expect("a zip entry");
            let mut content = Vec::new();
            entry
                .read_to_end(&mut content)
                .expect("a zip entry's bytes");
            out.push_str(&entry.name().expect("a zip entry's name"));
            out.push('\n');
            out.push_str(&decoded_text(&content));
            out.push('\n');
        }
        return out;
    }
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every cell of every sheet of a workbook, as text (a tab between cells, a line per row).
pub fn workbook_text(bytes: &[u8]) -> String {
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> =
        Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("a workbook a client can open");
    let mut out = String::new();
    for name in book.sheet_names() {
        out.push_str(&name);
        out.push('\n');
        let range = book.worksheet_range(&name).expect("a sheet");
        for row in range.rows() {
            for cell in row {
                out.push_str(&cell.to_string());
                out.push('\t');
            }
            out.push('\n');
        }
    }
    out
}

/// The text of every page of a PDF, white space collapsed to single spaces.
pub fn pdf_text(bytes: &[u8]) -> String {
    let document = lopdf::Document::load_mem(bytes).expect("a PDF a client can open");
    let pages: Vec<u32> = document.get_pages().keys().copied().collect();
    document
        .extract_text(&pages)
        .expect("a PDF's text")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The ways a document number reaches a reader: as stored, and with thousands dots (how a
/// certificate prints a CC or CE, "1.117.543.210").
pub fn document_forms(document: &str) -> Vec<String> {
    let mut forms = vec![document.to_string()];
    if document.len() > 3 && document.bytes().all(|b| b.is_ascii_digit()) {
        let digits: Vec<char> = document.chars().collect();
        let mut dotted = String::new();
        for (i, c) in digits.iter().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                dotted.push('.');
            }
            dotted.push(*c);
        }
        forms.push(dotted);
    }
    forms
}

/// The leak checker of the route matrix and the scope tests: which of `documents` a client
/// reads in an answer's bytes ([`decoded_text`]), in any of their [`document_forms`].
pub fn leaked<'d>(bytes: &[u8], documents: &'d [String]) -> Vec<&'d str> {
    if documents.is_empty() {
        return Vec::new();
    }
    leaked_in(&decoded_text(bytes), documents)
}

/// [`leaked`] on text already decoded.
pub fn leaked_in<'d>(text: &str, documents: &'d [String]) -> Vec<&'d str> {
    documents
        .iter()
        .filter(|d| !d.is_empty() && document_forms(d).iter().any(|f| text.contains(f.as_str())))
        .map(|d| d.as_str())
        .collect()
}

/// The migrations' bookkeeping table: not the product's data.
pub const MIGRATIONS_TABLE: &str = "seaql_migrations";

/// Every table of the database, read from its catalogue (`sqlite_master` on SQLite,
/// `information_schema.tables` on PostgreSQL), sorted, without [`MIGRATIONS_TABLE`].
pub async fn catalogue_tables(db: &impl sea_orm::ConnectionTrait) -> Vec<String> {
    use sea_orm::{DbBackend, Statement};
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Sqlite => {
            "SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        _ => {
            "SELECT table_name::text AS t FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        }
    };
    let mut tables: Vec<String> = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .expect("read the catalogue")
        .iter()
        .map(|row| row.try_get::<String>("", "t").expect("a table name"))
        .filter(|t| t != MIGRATIONS_TABLE)
        .collect();
    tables.sort();
    tables
}

/// Every row of `table`, each as one line of text (SQLite: its columns `quote`d; PostgreSQL:
/// `row_to_json`), sorted: equal when nothing in the table changed.
pub async fn table_rows(db: &impl sea_orm::ConnectionTrait, table: &str) -> Vec<String> {
    use sea_orm::{DbBackend, Statement};
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Sqlite => {
            let columns: Vec<String> = db
                .query_all_raw(Statement::from_string(
                    backend,
                    format!("SELECT name AS c FROM pragma_table_info('{table}') ORDER BY cid"),
                ))
                .await
                .expect("read a table's columns")
                .iter()
                .map(|row| row.try_get::<String>("", "c").expect("a column name"))
                .map(|c| format!("quote(\"{c}\")"))
                .collect();
            format!(
                "SELECT {} AS r FROM \"{table}\"",
                columns.join(" || '|' || ")
            )
        }
        _ => format!("SELECT row_to_json(t)::text AS r FROM \"{table}\" t"),
    };
    let mut rows: Vec<String> = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap_or_else(|e| panic!("read {table}: {e}"))
        .iter()
        .map(|row| row.try_get::<String>("", "r").expect("a row as text"))
        .collect();
    rows.sort();
    rows
}
