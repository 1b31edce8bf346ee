//! «Mis datos» (the person's requests and who opened her record, on `/perfil/datos`) and the
//! administrator's «Solicitudes de datos» (`/admin/solicitudes-de-datos`).

use crate::accounts::guards::{AdminUser, ParticipantUser};
use crate::mail::Mailer;
use crate::web::csrf::{CsrfForm, csrf_protected};
use crate::web::{Page, PageResult};
use domain::error::FieldError;
use domain::habeas::access;
use domain::habeas::requests::{self, DataRequestView, NewDataRequest, Resolution};
use rocket::form::FromForm;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![request_submit, admin_list, admin_request, admin_resolve]
}

const MY_DATA: &str = "/perfil/datos";
const ADMIN_LIST: &str = "/admin/solicitudes-de-datos";

#[derive(Serialize)]
struct Kind {
    value: &'static str,
    label: &'static str,
}

#[derive(Serialize)]
struct MyDataView {
    #[serde(flatten)]
    data: domain::people::readable::ReadableData,
    requests: Vec<DataRequestView>,
    access: Vec<access::AccessView>,
    kinds: Vec<Kind>,
}

/// «Mis datos» for the person whose account is `user_id`, with the request form refused by
/// `errors` (as typed in `typed`) or fresh.
pub async fn my_data_html(
    db: &DatabaseConnection,
    page: &Page<'_>,
    user_id: i32,
    errors: &[FieldError],
    typed: &RequestForm,
) -> PageResult {
    let export = domain::people::profile::personal_data_export(db, user_id).await?;
    let data = domain::people::readable::readable(db, &export).await?;
    let view = MyDataView {
        data,
        requests: requests::mine(db, user_id).await?,
        access: access::of_user(db, user_id).await?,
        kinds: requests::KINDS
            .iter()
            .map(|(value, label)| Kind { value, label })
            .collect(),
    };
    if errors.is_empty() {
        page.render("my_data", "Mis datos", view)
    } else {
        page.render_refused_typed("my_data", "Mis datos", view, errors, "solicitud", typed)
    }
}

/// What the person asks, from «Mis datos».
#[derive(FromForm, Default, Clone, Serialize)]
pub struct RequestForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = String::new())]
    kind: String,
    #[field(default = String::new())]
    reason: String,
}
csrf_protected!(RequestForm);

impl RequestForm {
    /// The form before anything was typed.
    pub fn fresh() -> Self {
        <RequestForm as Default>::default()
    }
}

#[post("/perfil/datos/solicitudes", data = "<form>")]
async fn request_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    page: Page<'_>,
    me: ParticipantUser,
    form: CsrfForm<RequestForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let input = NewDataRequest {
        kind: Some(form.kind.clone()),
        reason: Some(form.reason.clone()),
    };
    let result = requests::create(db.inner(), &notifier, me.id, &input).await;
    crate::web::form::saved_or_again(
        result,
        |view| {
            Flash::success(
                Redirect::to(MY_DATA),
                format!(
                    "Recibimos su solicitud ({}): le responderemos a más tardar el {}.",
                    view.kind_label.to_lowercase(),
                    view.due_on
                        .parse()
                        .map_or_else(|_| view.due_on.clone(), domain::format::date)
                ),
            )
        },
        async |errors| {
            let errors = crate::web::form::scoped("solicitud", errors);
            my_data_html(db.inner(), &page, me.id, &errors, &form).await
        },
    )
    .await
}

#[derive(Serialize)]
struct AdminListView {
    requests: Vec<DataRequestView>,
}

/// Every request, pending first by due date, flagged «vencida» or «vence pronto».
#[get("/admin/solicitudes-de-datos")]
async fn admin_list(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    admin: AdminUser,
) -> PageResult {
    let rows = requests::list(db.inner(), &admin, None).await?;
    page.render(
        "data_requests",
        "Solicitudes de datos personales",
        AdminListView { requests: rows },
    )
}

#[derive(Serialize)]
struct AdminRequestView {
    request: DataRequestView,
    supresion: bool,
    revocacion: bool,
    consulta: bool,
}

async fn admin_request_html(
    db: &DatabaseConnection,
    page: &Page<'_>,
    admin: &AdminUser,
    id: i32,
    errors: &[FieldError],
    typed: &ResolutionForm,
) -> PageResult {
    let request = requests::find(db, admin, id).await?;
    let view = AdminRequestView {
        supresion: request.kind == "supresion",
        revocacion: request.kind == "revocacion",
        consulta: request.kind == "consulta",
        request,
    };
    if errors.is_empty() {
        page.render("data_request", "Solicitud de datos personales", view)
    } else {
        page.render_refused_typed(
            "data_request",
            "Solicitud de datos personales",
            view,
            errors,
            "",
            typed,
        )
    }
}

/// One request: what accepting it will do, with this case's facts, and the two answers.
#[get("/admin/solicitudes-de-datos/<id>")]
async fn admin_request(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    admin: AdminUser,
    id: i32,
) -> PageResult {
    admin_request_html(
        db.inner(),
        &page,
        &admin,
        id,
        &[],
        &<ResolutionForm as Default>::default(),
    )
    .await
}

#[derive(FromForm, Default, Clone, Serialize)]
struct ResolutionForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = String::new())]
    decision: String,
    #[field(default = String::new())]
    note: String,
}
csrf_protected!(ResolutionForm);

#[post("/admin/solicitudes-de-datos/<id>", data = "<form>")]
async fn admin_resolve(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    page: Page<'_>,
    admin: AdminUser,
    id: i32,
    form: CsrfForm<ResolutionForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let input = Resolution {
        decision: Some(form.decision.clone()),
        note: Some(form.note.clone()),
    };
    let result = requests::resolve(db.inner(), &notifier, &admin, id, &input).await;
    crate::web::form::saved_or_again(
        result,
        |view| {
            Flash::success(
                Redirect::to(ADMIN_LIST),
                format!(
                    "Solicitud n.º {} («{}»): {}. Le enviamos la respuesta por correo.",
                    view.id,
                    view.kind_label,
                    view.status_label.to_lowercase()
                ),
            )
        },
        async |errors| admin_request_html(db.inner(), &page, &admin, id, &errors, &form).await,
    )
    .await
}
