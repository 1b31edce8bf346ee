//! The role matrix, generated from the routes the app mounts (not from a hand list): every API
//! route and page, called by every role on the demo data plus a cohort shared by Caquetá and
//! Meta. Rules checked on every answer:
//! - never a 5xx;
//! - reviewers and liaisons write nothing: with the matrix's empty forms no write of theirs
//!   succeeds. A page answers a form one way (issue 45): a redirect only after success, the
//!   page again (422) or the error page when refused, so a page's 303 to a signed-in caller
//!   counts as a write that succeeded;
//! - no answer to a reviewer holds a person of the other department, and no answer to the
//!   participant holds anybody else;
//! - each (route, role) answer equals the recorded matrix in `route_matrix.txt`, so a route
//!   added or a gate changed shows up here. After an intended change, regenerate it with
//!   `UPDATE_ROUTE_MATRIX=1 cargo test --test app route_matrix` and review the diff.

use crate::common::TestApp;
use crate::support::{
    DNP_COORDINATOR, GOBERNACION_COORDINATOR, META_COORDINATOR, META_REVIEWER, bearer,
    demo_account, leaked, sign_in_client, token,
};
use crate::world::{SharedCohort, shared_cohort};
use domain::entities::values::{DescriptorKind, Role};
use domain::entities::{certificate, cohort, descriptor, enrolment, participant, survey, user};
use rocket::http::{ContentType, Method, Status};
use rocket::local::asynchronous::Client;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::BTreeMap;

/// The settings of the instance that stands for each caller's browser (its own cookies): one
/// request at a time, so a few connections each (a dozen of them share the PostgreSQL server
/// with another test).
fn browser_settings() -> [(&'static str, serde_json::Value); 1] {
    [("database_connections", serde_json::json!(3))]
}

const MATRIX_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/app/route_matrix.txt");

/// The callers, least privileged first (writes of the powerful ones come last).
const ROLES: &[&str] = &[
    "anonimo",
    "participante",
    "revisor18",
    "revisor50",
    "enlace",
    "instructor",
    "coordinador",
    "admin",
    // The Dirección Territorial Meta's coordinator: last, so its writes come after everybody
    // else's (the other columns keep their answers); it manages the shared cohort and must
    // never see its Caquetá person.
    "coordmeta",
    // DNP's coordinator (issue 32): another provider's, so the shared ESAP cohort is one it
    // reads in the offer but never changes, and whose people it never sees.
    "coorddnp",
    // The Gobernación del Caquetá's offer coordinator (issue 46): a provider of its own, so it
    // never sees the people of ESAP's shared cohort either.
    "coordgob",
];

struct Caller {
    name: &'static str,
    token: Option<String>,
    /// A browser of its own (cookie jar) for the pages, and its forms' CSRF token.
    browser: Option<Client>,
    csrf: String,
    /// Document numbers that must never reach this caller.
    forbidden: Vec<String>,
    read_only: bool,
}

/// The value of each route parameter, by the path segment in front of it and the parameter
/// (`certificados/<file>` is a PDF's name, `certificados/<code>` a code), else by the segment
/// alone; `own`, the caller's own target of a route that uses it up (see [`own_targets`]).
fn fill(path: &str, values: &BTreeMap<&str, String>, own: Option<&String>) -> String {
    let segments: Vec<&str> = path.split('/').collect();
    let mut out = Vec::with_capacity(segments.len());
    for (i, segment) in segments.iter().enumerate() {
        if segment.starts_with('<') {
            let before = if i > 0 { segments[i - 1] } else { "" };
            let value = own
                .or_else(|| values.get(format!("{before}/{segment}").as_str()))
                .or_else(|| values.get(before))
                .cloned()
                .unwrap_or_else(|| {
                    panic!("no test value for a parameter after «{before}» in {path}")
                });
            out.push(value);
        } else {
            out.push(segment.to_string());
        }
    }
    out.join("/")
}

async fn call(app: &TestApp, caller: &Caller, method: Method, path: &str) -> (Status, Vec<u8>) {
    let api = path.starts_with("/api/");
    let client = match (&caller.browser, api) {
        (Some(browser), false) => browser,
        _ => &app.client,
    };
    let mut request = client.req(method, path.to_string());
    if api && let Some(token) = &caller.token {
        request = request.header(bearer(token));
    }
    if method != Method::Get {
        request = if api {
            request.header(ContentType::JSON).body("{}")
        } else {
            // A page's form with its valid CSRF token and nothing else: the role gates and
            // the validation behind the CSRF check answer.
            request.header(ContentType::Form).body(format!(
                "csrf_token={}",
                domain::text::urlencode(&caller.csrf)
            ))
        };
    }
    let response = request.dispatch().await;
    let status = response.status();
    (status, response.into_bytes().await.unwrap_or_default())
}

async fn values(app: &TestApp, shared: &SharedCohort) -> BTreeMap<&'static str, String> {
    let db = app.db();
    let cohort = cohort::Entity::find_by_id(shared.cohort_id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let code = certificate::Entity::find()
        .order_by_asc(certificate::Column::Id)
        .one(db)
        .await
        .unwrap()
        .expect("a certificate (issued for the closed demo cohort)")
        .code;
    let admin = user::Entity::find()
        .filter(user::Column::Role.eq(Role::Admin))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let mut v = BTreeMap::new();
    for key in ["cohorts", "cohortes"] {
        v.insert(key, shared.cohort_id.to_string());
    }
    for key in ["sessions", "sesiones"] {
        v.insert(key, shared.session_id.to_string());
    }
    for key in ["assessments", "evaluaciones"] {
        v.insert(key, shared.assessment_id.to_string());
    }
    for key in ["enrolments", "inscripciones"] {
        v.insert(key, shared.meta_enrolment_id.to_string());
    }
    for key in ["courses", "cursos"] {
        v.insert(key, cohort.course_id.to_string());
    }
    // `/certificados/<file>` is the PDF (`<code>.pdf`); `/coordinacion/certificados/<code>/…`
    // the code itself (a `.pdf` there would answer 404 to everyone, whatever the gate).
    for key in ["certificates", "verificar", "certificados"] {
        v.insert(key, code.clone());
    }
    v.insert("certificados/<file>", format!("{code}.pdf"));
    v.insert("credenciales", format!("{code}.json"));
    // Issue 66: the stylesheet under its content-hashed name.
    v.insert(
        "static",
        aula_territorial::web::offline::ASSETS
            .css
            .trim_start_matches("/static/")
            .to_string(),
    );
    v.insert("status", "1".into());
    // Issue 67: the demo's pending data request (a supresión).
    let data_request = domain::entities::data_request::Entity::find()
        .one(db)
        .await
        .unwrap()
        .expect("the demo's data request")
        .id;
    for key in ["data-requests", "solicitudes-de-datos"] {
        v.insert(key, data_request.to_string());
    }
    for key in ["users", "usuarios"] {
        v.insert(key, admin.id.to_string());
    }
    // Issue 68: the demo's self-assessment waiting for validation (El Paujíl's), and the
    // instrument's first question.
    let waiting = domain::entities::self_assessment::Entity::find()
        .filter(domain::entities::self_assessment::Column::Status.eq("submitted"))
        .one(db)
        .await
        .unwrap()
        .expect("the demo's self-assessment waiting")
        .id;
    for key in ["self-assessments", "autodiagnosticos"] {
        v.insert(key, waiting.to_string());
    }
    let question = domain::self_assessment::instrument::current(db)
        .await
        .unwrap()
        .questions()
        .next()
        .expect("the instrument's first question")
        .id;
    v.insert("preguntas", question.to_string());
    let person = domain::entities::enrolment::Entity::find_by_id(shared.meta_enrolment_id)
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .participant_id;
    v.insert("personas", person.to_string());
    // The cohort workspace's section after its id (`/coordinacion/cohortes/<id>/<section>`).
    v.insert("<id>", "inscripciones".into());
    v.insert("capacities", "1".into());
    // Issue 66: a session's evidence file (the demo has none: 404 to whoever may read) and
    // the session of the page script's offline queue.
    v.insert("evidence", "1".into());
    v.insert("evidencia", "1".into());
    v.insert("lotes", shared.session_id.to_string());
    // Issue 65: the virtual classroom's link, context and line item (the demo's link is of
    // another cohort: the shared one has none, so launching it answers 404 to everyone).
    v.insert("aula-virtual", "1".into());
    v.insert("contexts", shared.cohort_id.to_string());
    v.insert("lineitems", "1".into());
    v.insert("lti-line-items", "1".into());
    // Issue 48: the demo's first replicator (the demo participant).
    let first_replicator = domain::entities::replicator::Entity::find()
        .order_by_asc(domain::entities::replicator::Column::Id)
        .one(db)
        .await
        .unwrap()
        .expect("the demo's replicators");
    v.insert("replicators", first_replicator.id.to_string());
    // Issue 62: the demo's first replica (counted: a review of it is refused).
    let first_replica = domain::entities::replica::Entity::find()
        .order_by_asc(domain::entities::replica::Column::Id)
        .one(db)
        .await
        .unwrap()
        .expect("the demo's replicas");
    v.insert("replicas", first_replica.id.to_string());
    // Issue 49: a sector and a population group the demo's records carry (a DELETE is a 409);
    // the admin page's list, then its row.
    for (key, kind, code) in [
        ("sectors", DescriptorKind::Sector, "agricultura"),
        ("<list>", DescriptorKind::Sector, "agricultura"),
        (
            "population-groups",
            DescriptorKind::PopulationGroup,
            "campesinos",
        ),
    ] {
        let found = descriptor::Entity::find()
            .filter(descriptor::Column::Kind.eq(kind))
            .filter(descriptor::Column::Code.eq(code))
            .one(db)
            .await
            .unwrap()
            .expect("a seeded descriptor");
        v.insert(key, found.id.to_string());
    }
    v.insert("descriptores", "sectores".into());
    // Issue 48: the demo's draft resource of the knowledge bank (ESAP's template, with a file).
    let draft = domain::entities::resource::Entity::find()
        .filter(
            domain::entities::resource::Column::Status
                .eq(domain::entities::values::ResourceStatus::Draft),
        )
        .one(db)
        .await
        .unwrap()
        .expect("the demo's draft resource");
    for key in ["resources", "conocimiento", "banco-de-conocimiento"] {
        v.insert(key, draft.id.to_string());
    }
    v.insert("correos", "1".into());
    for key in ["municipios", "municipalities"] {
        v.insert(key, "18592".into());
    }
    // Issue 68: Puerto Rico's first key position (its Secretaría de Planeación, held).
    for key in ["positions", "cargos"] {
        v.insert(key, "1".into());
    }
    for key in [
        "demands",
        "demandas",
        "territorial-directions",
        "direcciones",
    ] {
        v.insert(key, "1".into());
    }
    // The demo's first technical assistance (ESAP's, in Puerto Rico) and its first milestone.
    for key in ["assistances", "milestones", "asistencias", "hitos"] {
        v.insert(key, "1".into());
    }
    // The demo's first agreement of a visit (issue 49).
    for key in ["agreements", "compromisos"] {
        v.insert(key, "1".into());
    }
    // Issue 48: the demo's Caquetá alliance (the first), its table and its first agreement
    // (open; `agreements` above names it too).
    for key in ["alliances", "alianzas", "meetings", "acuerdos"] {
        v.insert(key, "1".into());
    }
    for key in [
        "assistance-evaluations",
        "evaluar-asistencia",
        "work-plan-acceptances",
        "aceptar-plan",
    ] {
        v.insert(key, "enlace-que-no-existe".into());
    }
    // The demo's first nomination (El Paujíl's, confirmed); its emailed link is nobody's.
    // `postulaciones` serves both the link (`/postulaciones/<token>`, 404) and the
    // coordinator's decision (`/coordinacion/postulaciones/<id>`).
    for key in ["nominations", "postulaciones"] {
        v.insert(key, "1".into());
    }
    v.insert("nomination-confirmations", "enlace-que-no-existe".into());
    // An invitation's emailed link (issue 46): nobody's.
    for key in ["invitations", "invitaciones"] {
        v.insert(key, "enlace-que-no-existe".into());
    }
    // The demo's first plan (ESAP's Dirección Territorial Meta's, approved and amended) and
    // its first line.
    for key in ["plans", "planes", "lines", "lineas"] {
        v.insert(key, "1".into());
    }
    // The demo's first cost item (ESAP's, of the Meta planning cohort).
    for key in ["costs", "costos"] {
        v.insert(key, "1".into());
    }
    // DNP, the demo's second provider.
    for key in ["providers", "oferentes"] {
        v.insert(key, "2".into());
    }
    for key in ["indicators", "indicadores"] {
        v.insert(key, "7".into());
    }
    // The demo participant's pending follow-up survey: theirs answers, anyone else's is a 404.
    let (email, _) = demo_account(Role::Participant);
    let person = participant::Entity::find()
        .filter(participant::Column::Email.eq(email))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let pending = survey::Entity::find()
        .inner_join(enrolment::Entity)
        .filter(enrolment::Column::ParticipantId.eq(person.id))
        .filter(survey::Column::Answered.eq(false))
        .filter(survey::Column::ClosesAt.gt(domain::time::now()))
        .one(db)
        .await
        .unwrap()
        .expect("the demo participant's pending survey");
    for key in ["surveys", "encuestas"] {
        v.insert(key, pending.id.to_string());
    }
    for key in ["restablecer", "confirmar", "deshacer", "asumir"] {
        v.insert(key, "enlace-que-no-existe".into());
    }
    // Issue 64: the demo's diplomado and its edition in progress (the demo participant in it).
    let diplomado = domain::entities::programme::Entity::find()
        .filter(domain::entities::programme::Column::Code.eq(domain::programmes::demo::CODE))
        .one(db)
        .await
        .unwrap()
        .expect("the demo's diplomado");
    for key in ["programmes", "programas"] {
        v.insert(key, diplomado.id.to_string());
    }
    let running = domain::entities::programme_edition::Entity::find()
        .filter(
            domain::entities::programme_edition::Column::Name
                .eq(domain::programmes::demo::RUNNING_EDITION),
        )
        .one(db)
        .await
        .unwrap()
        .expect("the demo's edition in progress");
    for key in ["programme-editions", "ediciones"] {
        v.insert(key, running.id.to_string());
    }
    // The demo's pending change of name (the demo participant's, in ESAP's Caquetá cohorts).
    for key in ["name-changes", "cambios-de-nombre"] {
        v.insert(key, "1".into());
    }
    v
}

/// Routes that use up their target: the first caller whose gate lets them through deletes,
/// withdraws, publishes, revokes or re-issues it, and every later caller would meet a 404, 409
/// or 410 instead of its own gate. Each (route, caller) gets a fresh row of its own, made here
/// as a copy of the matrix's shared target (same provider, cohort and scope, so the same gate
/// answers): the target's kind and whether a resource copy is published.
const USED_UP: &[(&str, Target)] = &[
    ("DELETE /api/v1/costs/<id>", Target::Cost),
    ("POST /costos/<id>/eliminar", Target::Cost),
    ("DELETE /api/v1/enrolments/<id>", Target::Enrolment),
    ("POST /inscripciones/<id>/cancelar", Target::Enrolment),
    (
        "DELETE /api/v1/resources/<id>",
        Target::Resource { published: false },
    ),
    (
        "POST /api/v1/resources/<id>/publication",
        Target::Resource { published: false },
    ),
    (
        "DELETE /api/v1/resources/<id>/publication",
        Target::Resource { published: true },
    ),
    (
        "POST /conocimiento/<id>/eliminar",
        Target::Resource { published: false },
    ),
    (
        "POST /conocimiento/<id>/publicar",
        Target::Resource { published: false },
    ),
    (
        "POST /conocimiento/<id>/retirar",
        Target::Resource { published: true },
    ),
    (
        "POST /api/v1/certificates/<code>/reissue",
        Target::Certificate,
    ),
    (
        "POST /api/v1/certificates/<code>/revoke",
        Target::Certificate,
    ),
    (
        "POST /coordinacion/certificados/<code>/reexpedir",
        Target::Certificate,
    ),
    (
        "POST /coordinacion/certificados/<code>/revocar",
        Target::Certificate,
    ),
];

#[derive(Clone, Copy)]
enum Target {
    Cost,
    Enrolment,
    Resource { published: bool },
    Certificate,
}

/// The own targets of [`USED_UP`]: (route, caller) → the parameter's value.
async fn own_targets(
    app: &TestApp,
    shared: &SharedCohort,
    values: &BTreeMap<&'static str, String>,
) -> BTreeMap<(String, &'static str), String> {
    use domain::entities::{
        cost_item, resource, resource_capacity, resource_category, resource_file,
    };
    use sea_orm::{ActiveModelTrait, ActiveValue::NotSet, Set};
    let db = app.db();
    let cost = cost_item::Entity::find_by_id(values["costs"].parse::<i32>().unwrap())
        .one(db)
        .await
        .unwrap()
        .expect("the demo's first cost item");
    let enrolled = enrolment::Entity::find_by_id(shared.meta_enrolment_id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let person = participant::Entity::find_by_id(enrolled.participant_id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let draft = resource::Entity::find_by_id(values["resources"].parse::<i32>().unwrap())
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let file = resource_file::Entity::find_by_id(draft.id)
        .one(db)
        .await
        .unwrap();
    let capacities = resource_capacity::Entity::find()
        .filter(resource_capacity::Column::ResourceId.eq(draft.id))
        .all(db)
        .await
        .unwrap();
    let categories = resource_category::Entity::find()
        .filter(resource_category::Column::ResourceId.eq(draft.id))
        .all(db)
        .await
        .unwrap();
    let issued = certificate::Entity::find()
        .filter(certificate::Column::Code.eq(values["certificates"].as_str()))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let mut own = BTreeMap::new();
    let mut n = 0;
    for (route, target) in USED_UP {
        for role in ROLES {
            n += 1;
            let value = match target {
                Target::Cost => {
                    let mut row: cost_item::ActiveModel = cost.clone().into();
                    row = row.reset_all();
                    row.id = NotSet;
                    // Answering no plan line: the copies leave the plans' figures alone.
                    row.plan_line_id = Set(None);
                    row.insert(db).await.unwrap().id.to_string()
                }
                Target::Enrolment => {
                    let mut someone: participant::ActiveModel = person.clone().into();
                    someone = someone.reset_all();
                    someone.id = NotSet;
                    someone.user_id = Set(None);
                    someone.email = Set(None);
                    someone.document_number = Set(format!("7710{n:04}"));
                    let someone = someone.insert(db).await.unwrap();
                    let mut row: enrolment::ActiveModel = enrolled.clone().into();
                    row = row.reset_all();
                    row.id = NotSet;
                    row.participant_id = Set(someone.id);
                    row.insert(db).await.unwrap().id.to_string()
                }
                Target::Resource { published } => {
                    let mut row: resource::ActiveModel = draft.clone().into();
                    row = row.reset_all();
                    row.id = NotSet;
                    row.title = Set(format!("{} ({route}, {role})", draft.title));
                    if *published {
                        row.status = Set(domain::entities::values::ResourceStatus::Published);
                        row.published_at = Set(Some(domain::time::now()));
                        row.published_by = Set(draft.created_by);
                    }
                    let copy = row.insert(db).await.unwrap();
                    if let Some(file) = &file {
                        let mut bytes: resource_file::ActiveModel = file.clone().into();
                        bytes = bytes.reset_all();
                        bytes.resource_id = Set(copy.id);
                        bytes.insert(db).await.unwrap();
                    }
                    for capacity in &capacities {
                        resource_capacity::ActiveModel {
                            resource_id: Set(copy.id),
                            capacity_id: Set(capacity.capacity_id),
                        }
                        .insert(db)
                        .await
                        .unwrap();
                    }
                    for category in &categories {
                        resource_category::ActiveModel {
                            resource_id: Set(copy.id),
                            category: Set(category.category.clone()),
                        }
                        .insert(db)
                        .await
                        .unwrap();
                    }
                    copy.id.to_string()
                }
                Target::Certificate => {
                    let mut row: certificate::ActiveModel = issued.clone().into();
                    row = row.reset_all();
                    row.id = NotSet;
                    row.code = Set(domain::certificates::code::generate());
                    row.insert(db).await.unwrap().code
                }
            };
            own.insert((route.to_string(), *role), value);
        }
    }
    own
}

#[rocket::async_test]
async fn every_route_answers_every_role_as_recorded_without_5xx_or_leaks() {
    let app = TestApp::with_demo().await;
    let shared = shared_cohort(app.db()).await;
    let (coordinator_email, coordinator_password) = demo_account(Role::Coordinator);
    let coordinator = token(&app, coordinator_email, coordinator_password).await;
    let closed = cohort::Entity::find()
        .filter(cohort::Column::Name.contains("Macarena"))
        .one(app.db())
        .await
        .unwrap()
        .expect("the closed demo cohort");
    let issued = app
        .client
        .post(format!("/api/v1/cohorts/{}/certificates", closed.id))
        .header(bearer(&coordinator))
        .dispatch()
        .await;
    assert_eq!(issued.status(), Status::Ok, "certificates issued");
    let values = values(&app, &shared).await;
    let own = own_targets(&app, &shared, &values).await;

    // The participant demo account's own document may reach them; nobody else's.
    let (participant_email, participant_password) = demo_account(Role::Participant);
    let own_document = participant::Entity::find()
        .filter(participant::Column::Email.eq(participant_email))
        .one(app.db())
        .await
        .unwrap()
        .map(|p| p.document_number)
        .unwrap_or_default();
    let mut callers = Vec::new();
    for name in ROLES {
        let (email, password, forbidden, read_only): (&str, &str, Vec<String>, bool) = match *name {
            "anonimo" => (
                "",
                "",
                vec![
                    shared.meta_document.clone(),
                    shared.caqueta_document.clone(),
                ],
                true,
            ),
            "participante" => (
                participant_email,
                participant_password,
                [&shared.meta_document, &shared.caqueta_document]
                    .into_iter()
                    .filter(|d| **d != own_document)
                    .cloned()
                    .collect(),
                false,
            ),
            "revisor18" => {
                let (e, p) = demo_account(Role::Reviewer);
                (e, p, vec![shared.meta_document.clone()], true)
            }
            "revisor50" => (
                META_REVIEWER.0,
                META_REVIEWER.1,
                vec![shared.caqueta_document.clone()],
                true,
            ),
            // El Paujíl's liaison: nobody of Meta. Their writes (demands, nominations, the
            // entity's evaluation) all take fields: with an empty form, none succeeds.
            "enlace" => {
                let (e, p) = demo_account(Role::Liaison);
                (e, p, vec![shared.meta_document.clone()], true)
            }
            "instructor" => {
                let (e, p) = demo_account(Role::Instructor);
                (e, p, vec![], false)
            }
            "coordinador" => (coordinator_email, coordinator_password, vec![], false),
            "coordmeta" => (
                META_COORDINATOR.0,
                META_COORDINATOR.1,
                vec![shared.caqueta_document.clone()],
                false,
            ),
            "coorddnp" | "coordgob" => {
                let (e, p) = if *name == "coorddnp" {
                    DNP_COORDINATOR
                } else {
                    GOBERNACION_COORDINATOR
                };
                let forbidden = vec![
                    shared.meta_document.clone(),
                    shared.caqueta_document.clone(),
                ];
                (e, p, forbidden, false)
            }
            _ => {
                let (e, p) = demo_account(Role::Admin);
                (e, p, vec![], false)
            }
        };
        let (token, browser) = if email.is_empty() {
            (None, Some(app.another_instance(&browser_settings()).await))
        } else {
            let browser = app.another_instance(&browser_settings()).await;
            sign_in_client(&browser, email, password).await;
            (Some(token(&app, email, password).await), Some(browser))
        };
        let csrf = crate::support::csrf_from_client(
            browser.as_ref().expect("a browser per caller"),
            "/contrasena/olvido",
        )
        .await;
        callers.push(Caller {
            name,
            token,
            browser,
            csrf,
            forbidden,
            read_only,
        });
    }

    let mut routes: Vec<(Method, String)> = app
        .client
        .rocket()
        .routes()
        .map(|r| {
            let uri = r.uri.to_string();
            let path = uri.split('?').next().unwrap_or(&uri).to_string();
            (r.method, path)
        })
        .filter(|(_, path)| !path.contains(".."))
        .collect();
    routes.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.as_str().cmp(b.0.as_str())));
    routes.dedup();
    // Reads first, then writes, deletions (API or page) after them (a deleted row would answer 404 to every
    // later write on it, hiding who may change it), signing out last (it ends the caller's
    // session or token).
    let (reads, mut writes): (Vec<_>, Vec<_>) =
        routes.into_iter().partition(|(m, _)| *m == Method::Get);
    let signs_out = |path: &str| path == "/salir" || path == "/api/v1/tokens/current";
    let deletes =
        |method: Method, path: &str| method == Method::Delete || path.ends_with("/eliminar");
    writes.sort_by_key(|(method, path)| (signs_out(path), deletes(*method, path)));

    let mut lines: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut problems = Vec::new();
    for (method, pattern) in reads.iter().chain(&writes) {
        let path = fill(pattern, &values, None);
        let mut answers = Vec::new();
        for caller in &callers {
            let own = own.get(&(format!("{method} {pattern}"), caller.name));
            let path = match own {
                Some(_) => fill(pattern, &values, own),
                None => path.clone(),
            };
            let (status, body) = call(&app, caller, *method, &path).await;
            if status.code >= 500 {
                problems.push(format!("{method} {path} as {}: {status}", caller.name));
            }
            // A page's redirect to a signed-in caller is a saved form (a refusal is the page
            // again or the error page); to a visitor it is the way to the sign-in page.
            let saved = status.class().is_success()
                || (status == Status::SeeOther
                    && caller.token.is_some()
                    && !path.starts_with("/api/"));
            if *method != Method::Get
                && caller.read_only
                && saved
                && ![
                    "/api/v1/tokens",
                    "/api/v1/tokens/current",
                    "/ingresar",
                    "/salir",
                    "/registro",
                    "/registro/reenviar",
                    "/api/v1/registrations",
                    "/contrasena/olvido",
                    "/contrasena/restablecer/<token>",
                    // Checks a credential: a POST that reads only.
                    "/api/v1/credentials/verify",
                    "/verificar/credencial",
                ]
                .contains(&pattern.as_str())
            {
                problems.push(format!(
                    "{method} {path} as {}: a read-only caller changed something ({status})",
                    caller.name
                ));
            }
            // Read as the client reads it: a workbook's cells, a zip's files, a PDF's pages.
            let found = leaked(&body, &caller.forbidden);
            if !found.is_empty() {
                problems.push(format!(
                    "{method} {path} as {}: shows a person outside their scope ({found:?})",
                    caller.name
                ));
            }
            answers.push(format!("{}={}", caller.name, status.code));
        }
        lines.insert(format!("{method} {pattern}"), answers);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    for (route, _) in USED_UP {
        assert!(lines.contains_key(*route), "{route} is no longer mounted");
    }

    let mut text = String::from(
        "# Generated by tests/app/route_matrix.rs: every mounted route × every role (status codes).\n",
    );
    for (route, answers) in &lines {
        text.push_str(&format!("{route:<70} {}\n", answers.join(" ")));
    }
    if std::env::var("UPDATE_ROUTE_MATRIX").is_ok_and(|v| v == "1") {
        std::fs::write(MATRIX_FILE, &text).expect("write the matrix");
        return;
    }
    let recorded = std::fs::read_to_string(MATRIX_FILE).unwrap_or_default();
    let differences: Vec<String> = text
        .lines()
        .filter(|l| !recorded.lines().any(|r| r == *l))
        .map(|l| format!("now:      {l}"))
        .chain(
            recorded
                .lines()
                .filter(|r| !text.lines().any(|l| l == *r))
                .map(|r| format!("recorded: {r}")),
        )
        .collect();
    assert!(
        differences.is_empty(),
        "the role matrix changed (UPDATE_ROUTE_MATRIX=1 to record an intended change):\n{}",
        differences.join("\n")
    );
}

/// The matrix's leak checker ([`leaked`]) reads files as a client does. Each of a real
/// workbook, zip and PDF export holds a document number that is not in its raw bytes (they are
/// compressed), so a search of the body as text could never find it; the checker finds it in
/// each. Had a gate let these files reach a caller whose forbidden list names that person, the
/// matrix would have reported it.
#[rocket::async_test]
async fn the_leak_checker_reads_workbooks_zips_and_pdfs_as_a_client_would() {
    let app = TestApp::with_demo().await;
    let shared = shared_cohort(app.db()).await;
    let (email, password) = demo_account(Role::Coordinator);
    let coordinator = token(&app, email, password).await;
    let closed = cohort::Entity::find()
        .filter(cohort::Column::Name.contains("Macarena"))
        .one(app.db())
        .await
        .unwrap()
        .expect("the closed demo cohort");
    let issued = app
        .client
        .post(format!("/api/v1/cohorts/{}/certificates", closed.id))
        .header(bearer(&coordinator))
        .dispatch()
        .await;
    assert_eq!(issued.status(), Status::Ok);
    let certified = certificate::Entity::find()
        .filter(certificate::Column::CohortId.eq(closed.id))
        .order_by_asc(certificate::Column::Id)
        .one(app.db())
        .await
        .unwrap()
        .expect("a certificate of the closed cohort");
    let browser = app.another_instance(&browser_settings()).await;
    sign_in_client(&browser, email, password).await;

    let workbook = app
        .client
        .get(format!(
            "/api/v1/cohorts/{}/attendance.xlsx",
            shared.cohort_id
        ))
        .header(bearer(&coordinator))
        .dispatch()
        .await;
    assert_eq!(workbook.status(), Status::Ok);
    let workbook = workbook.into_bytes().await.unwrap();
    let pdf = app
        .client
        .get(format!("/api/v1/certificates/{}/pdf", certified.code))
        .header(bearer(&coordinator))
        .dispatch()
        .await;
    assert_eq!(pdf.status(), Status::Ok);
    let pdf = pdf.into_bytes().await.unwrap();
    let zip = browser
        .get(format!(
            "/coordinacion/cohortes/{}/certificados.zip",
            closed.id
        ))
        .dispatch()
        .await;
    assert_eq!(zip.status(), Status::Ok);
    let zip = zip.into_bytes().await.unwrap();

    for (what, bytes, document) in [
        ("the attendance workbook", &workbook, &shared.meta_document),
        ("the certificate's PDF", &pdf, &certified.document_number),
        ("the certificates' zip", &zip, &certified.document_number),
    ] {
        let planted = std::slice::from_ref(document);
        assert!(
            !String::from_utf8_lossy(bytes).contains(document.as_str()),
            "{what}: the raw bytes already show it (the old check would have found it)"
        );
        assert_eq!(
            leaked(bytes, planted),
            vec![document.as_str()],
            "{what}: the checker misses a document a client reads in it"
        );
        assert!(
            leaked(bytes, &["99887766554".to_string()]).is_empty(),
            "{what}: a document nobody has is not found"
        );
    }
    drop(browser);
}
