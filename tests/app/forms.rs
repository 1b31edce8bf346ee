//! One way to answer a form (issue 45), checked over every form the pages mount: an invalid
//! submission answers 422 with the same page, the problems summarised at the top («Revise
//! estos datos», each a link to its field), each problem beside its field, and every value as
//! it was typed. The table below names every page route that takes a POST (generated from the
//! routes the app mounts, not from a hand list): a new form without its row fails here.

use crate::common::TestApp;
use crate::support::{
    bearer, body_of, csrf_from_client, demo_account, form_body, sign_in_client, token,
};
use crate::world::shared_cohort;
use domain::entities::values::{CohortStatus, DemandStatus, DescriptorKind, Role};
use domain::entities::{
    assistance, assistance_milestone as milestone, certificate, cohort, cost_item, demand,
    descriptor, enrolment, participant, plan, plan_line, survey, territorial_direction, user,
};
use rocket::http::{ContentType, Status};
use rocket::local::asynchronous::Client;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::BTreeSet;

/// Who sends a form.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Who {
    Visitor,
    Participant,
    Reviewer,
    Liaison,
    Coordinator,
    Admin,
}

impl Who {
    fn account(self) -> Option<(&'static str, &'static str)> {
        let role = match self {
            Who::Visitor => return None,
            Who::Participant => Role::Participant,
            Who::Reviewer => Role::Reviewer,
            Who::Liaison => Role::Liaison,
            Who::Coordinator => Role::Coordinator,
            Who::Admin => Role::Admin,
        };
        Some(demo_account(role))
    }
}

/// One form sent with invalid input, and what its answer must hold.
struct Case {
    /// The route as mounted (`/admin/oferentes/<id>`).
    route: &'static str,
    who: Who,
    /// The path sent to.
    path: String,
    /// The page the form is on (for its CSRF token).
    from: String,
    fields: Vec<(&'static str, String)>,
    /// Values the answer must show again, as typed (HTML-escaped as the page writes them).
    typed: Vec<&'static str>,
    /// The ids of the messages beside the fields (`error-seats`) the answer must hold.
    beside: Vec<String>,
    /// Sent once first, successfully: the form is refused the second time (an endorsement,
    /// a cancellation).
    twice: bool,
}

/// The names of the self-assessment form's ten answers (issue 68).
#[rustfmt::skip]
const SELF_ASSESSMENT_FIELDS: [[&str; 3]; 10] = [
    ["answers[0].question_id", "answers[0].level", "answers[0].evidence"],
    ["answers[1].question_id", "answers[1].level", "answers[1].evidence"],
    ["answers[2].question_id", "answers[2].level", "answers[2].evidence"],
    ["answers[3].question_id", "answers[3].level", "answers[3].evidence"],
    ["answers[4].question_id", "answers[4].level", "answers[4].evidence"],
    ["answers[5].question_id", "answers[5].level", "answers[5].evidence"],
    ["answers[6].question_id", "answers[6].level", "answers[6].evidence"],
    ["answers[7].question_id", "answers[7].level", "answers[7].evidence"],
    ["answers[8].question_id", "answers[8].level", "answers[8].evidence"],
    ["answers[9].question_id", "answers[9].level", "answers[9].evidence"],
];

/// A form route without a case here, and why.
const NOT_FORMS: &[(&str, &str)] = &[
    ("/salir", "signs out: nothing to type"),
    (
        "/ingresar",
        "sign-in: tested in accounts (wrong credentials answer the form again with the email)",
    ),
    (
        "/contrasena/olvido",
        "always the same answer, whatever the address (no account enumeration)",
    ),
    (
        "/registro/reenviar",
        "always the same answer, whatever the address (no account enumeration)",
    ),
    (
        "/contrasena/restablecer/<token>",
        "an emailed link's form: tested in account_security",
    ),
    (
        "/correo/confirmar/<token>",
        "an emailed link's confirmation: nothing to type",
    ),
    (
        "/correo/deshacer/<token>",
        "an emailed link's confirmation: nothing to type (tested in trust_owner)",
    ),
    (
        "/registro/confirmar/<token>",
        "an emailed link's confirmation: nothing to type",
    ),
    (
        "/postulaciones/<token>",
        "an emailed link's confirmation: nothing to type",
    ),
    (
        "/invitaciones/<token>/aceptar",
        "an emailed link's button: nothing to type (trust_takeover)",
    ),
    (
        "/invitaciones/<token>/rechazar",
        "an emailed link's confirmation: nothing to type (trust_takeover)",
    ),
    (
        "/evaluar-asistencia/<token>",
        "an emailed link's form: tested in assistance",
    ),
    (
        "/enlace/asumir/<token>",
        "an emailed link's form: tested in handover (a weak password comes back to its page)",
    ),
    (
        "/aceptar-plan/<token>",
        "an emailed link's form: tested in agreed (refused, it comes back as typed)",
    ),
    (
        "/verificar/credencial",
        "a file checked and answered on its own page (valid or not), nothing saved",
    ),
    (
        "/admin/correos/<id>/reintentar",
        "a button: nothing to type",
    ),
    (
        "/conocimiento/<id>/eliminar",
        "a confirmation's button: nothing to type (knowledge tests the confirmation and the refusal)",
    ),
    (
        "/seguimiento/cohortes/<id>/asistencia/subir",
        "an upload: its preview answers 422 with every refused row (import_pipeline)",
    ),
    (
        "/seguimiento/cohortes/<id>/notas/subir",
        "an upload: its preview answers 422 with every refused row (import_pipeline)",
    ),
    (
        "/coordinacion/cohortes/<id>/importar",
        "an upload: its preview answers 422 with every refused row (enrolment_import)",
    ),
    (
        "/indicadores/cargar?<accion>",
        "an upload: its preview answers 422 with every refused row (indicators)",
    ),
    (
        "/costos/importar?<accion>",
        "an upload: its preview answers 422 with every refused row (costs)",
    ),
    (
        "/coordinacion/cohortes/importar?<accion>",
        "an upload: its preview answers 422 with every refused row (offer_import)",
    ),
    (
        "/asistencias/importar?<accion>",
        "an upload: its preview answers 422 with every refused row (offer_import)",
    ),
    (
        "/municipios/<code>/cargos/importar?<accion>",
        "an upload: its preview answers 422 with every refused row (positions)",
    ),
    (
        "/costos/<id>/eliminar",
        "a confirmation with nothing to type and nothing the rules refuse (costs)",
    ),
    (
        "/sesiones/<id>/registro",
        "open only while the session runs: attendance's check-in test sends a wrong code",
    ),
    (
        "/conocimiento/<id>/publicar",
        "a confirmation with nothing to type: refused (already published) on the confirmation \
         itself, with no button (knowledge)",
    ),
    (
        "/conocimiento/<id>/retirar",
        "a confirmation with nothing to type: refused (not published) on the confirmation \
         itself, with no button (knowledge)",
    ),
    (
        "/coordinacion/cohortes/<id>/reabrir",
        "a confirmation with nothing to type: refused (a certificate issued) on the confirmation \
         itself, with no button (confirmations)",
    ),
    (
        "/programas/<id>/publicar",
        "a button: nothing to type (programme_pages)",
    ),
    (
        "/programas/<id>/ediciones",
        "the edition builder needs a programme of the coordinator's: programme_pages sends it \
         refused (each problem beside its module's chooser, the choices kept, nothing written)",
    ),
    (
        "/ediciones/<id>/inscribirme",
        "a button: nothing to type (programme_pages: a repeat answers the edition's page, 422)",
    ),
    (
        "/lti/authorize",
        "the OIDC authorization endpoint a tool sends the browser to (issue 65): no person types \
         in it; its refusals are the Spanish error page (virtual_classroom)",
    ),
    (
        "/asistencia/lotes/<id>",
        "the sheet page's script sends its queue of offline marks there as JSON with the \
         X-CSRF-Token header (issue 66): answers JSON per mark (offline_attendance)",
    ),
    (
        "/sesiones/<id>/registro/sin-conexion",
        "the check-in page's script sends a check-in made without signal there as JSON with \
         the X-CSRF-Token header (issue 66): answers as the API does (offline_attendance)",
    ),
    (
        "/seguimiento/sesiones/<id>/evidencia",
        "an upload with only a file: a refused file answers 422 with the session's page and the \
         problem beside the file field (offline_attendance)",
    ),
    (
        "/lti/token",
        "OAuth 2.0's token endpoint a tool calls (issue 65): answers JSON (virtual_classroom)",
    ),
    (
        "/lti/contexts/<cohort_id>/lineitems",
        "AGS, a tool's service (issue 65): answers JSON (virtual_classroom)",
    ),
    (
        "/lti/contexts/<cohort_id>/lineitems/<id>/scores",
        "AGS, a tool's service (issue 65): answers JSON (virtual_classroom)",
    ),
    (
        "/ediciones/<id>/cancelar",
        "a confirmation with nothing to type: refused (nothing to cancel) on the confirmation \
         itself, with no button (programme_pages)",
    ),
];

fn field(name: &'static str, value: &str) -> (&'static str, String) {
    (name, value.to_string())
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| format!("id=\"error-{s}\"")).collect()
}

async fn cases(app: &TestApp) -> Vec<Case> {
    let db = app.db();
    // Issue 48: the demo's trainers cohort and someone who did not complete it.
    let trainers = {
        let trainers_cohort = cohort::Entity::find()
            .filter(cohort::Column::TrainsTrainers.eq(true))
            .one(db)
            .await
            .unwrap()
            .expect("the demo's trainers cohort");
        let not_completed = enrolment::Entity::find()
            .filter(enrolment::Column::CohortId.eq(trainers_cohort.id))
            .filter(
                enrolment::Column::Status
                    .eq(domain::entities::values::EnrolmentStatus::NotCompleted),
            )
            .one(db)
            .await
            .unwrap()
            .expect("someone who did not complete it");
        (trainers_cohort.id, not_completed.participant_id)
    };
    let shared = shared_cohort(db).await;
    let c = shared.cohort_id;
    let pending_replica = domain::entities::replica::Entity::find()
        .filter(
            domain::entities::replica::Column::Review
                .eq(domain::entities::values::ReplicaReview::Pending),
        )
        .one(db)
        .await
        .unwrap()
        .expect("the demo's replica waiting for review")
        .id;
    let open = cohort::Entity::find()
        .filter(cohort::Column::Status.eq(CohortStatus::Open))
        .order_by_asc(cohort::Column::Id)
        .one(db)
        .await
        .unwrap()
        .expect("the demo's open cohort");
    let group = descriptor::Entity::find()
        .filter(descriptor::Column::Kind.eq(DescriptorKind::PopulationGroup))
        .one(db)
        .await
        .unwrap()
        .expect("a population group");
    let direction = territorial_direction::Entity::find()
        .one(db)
        .await
        .unwrap()
        .expect("a direction");
    let someone = user::Entity::find()
        .filter(user::Column::Email.eq(demo_account(Role::Coordinator).0))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let (liaison_email, _) = demo_account(Role::Liaison);
    let liaison = user::Entity::find()
        .filter(user::Column::Email.eq(liaison_email))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let own_demand = demand::Entity::find()
        .filter(demand::Column::CreatedBy.eq(liaison.id))
        .filter(demand::Column::Status.eq(DemandStatus::Open))
        .one(db)
        .await
        .unwrap()
        .expect("an open demand of the liaison's");
    let caqueta_demand = demand::Entity::find()
        .filter(demand::Column::Status.eq(DemandStatus::Open))
        .filter(demand::Column::MunicipalityCode.starts_with("18"))
        .filter(demand::Column::EndorsedBy.is_null())
        .one(db)
        .await
        .unwrap()
        .expect("an open demand in Caquetá the gobernación has not endorsed");
    let (participant_email, _) = demo_account(Role::Participant);
    let me = participant::Entity::find()
        .filter(participant::Column::Email.eq(participant_email))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let pending = survey::Entity::find()
        .inner_join(enrolment::Entity)
        .filter(enrolment::Column::ParticipantId.eq(me.id))
        .filter(survey::Column::Answered.eq(false))
        .one(db)
        .await
        .unwrap()
        .expect("the demo participant's pending survey");
    let assistance = assistance::Entity::find()
        .order_by_asc(assistance::Column::Id)
        .one(db)
        .await
        .unwrap()
        .expect("a demo assistance");
    let milestone = milestone::Entity::find()
        .filter(milestone::Column::AssistanceId.eq(assistance.id))
        .filter(milestone::Column::DoneOn.is_null())
        .one(db)
        .await
        .unwrap()
        .expect("a pending milestone");
    let a = assistance.id;
    // An agreement of one of its visits (issue 49).
    let visit_ids: Vec<i32> = domain::entities::assistance_visit::Entity::find()
        .filter(domain::entities::assistance_visit::Column::AssistanceId.eq(a))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.id)
        .collect();
    let agreement = domain::entities::visit_agreement::Entity::find()
        .filter(domain::entities::visit_agreement::Column::VisitId.is_in(visit_ids))
        .order_by_asc(domain::entities::visit_agreement::Column::Id)
        .one(db)
        .await
        .unwrap()
        .expect("an agreement of the demo assistance");
    // Issue 48: the demo's Caquetá alliance (its reviewer keeps it) and an open agreement of
    // its table.
    let alliance = domain::entities::alliance::Entity::find()
        .filter(domain::entities::alliance::Column::DepartmentCode.eq("18"))
        .one(db)
        .await
        .unwrap()
        .expect("the demo's Caquetá alliance");
    let al = alliance.id;
    let alliance_meeting_ids: Vec<i32> = domain::entities::alliance_meeting::Entity::find()
        .filter(domain::entities::alliance_meeting::Column::AllianceId.eq(al))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    let alliance_agreement = domain::entities::alliance_agreement::Entity::find()
        .filter(domain::entities::alliance_agreement::Column::MeetingId.is_in(alliance_meeting_ids))
        .filter(
            domain::entities::alliance_agreement::Column::Status
                .eq(domain::entities::values::AllianceAgreementStatus::Open),
        )
        .order_by_asc(domain::entities::alliance_agreement::Column::Id)
        .one(db)
        .await
        .unwrap()
        .expect("an open agreement of the demo's Caquetá table");
    // A cost item of the demo's Caquetá cohort (ESAP's: the demo coordinator manages it).
    let cost = cost_item::Entity::find()
        .filter(cost_item::Column::CohortId.is_not_null())
        .filter(cost_item::Column::ProviderId.eq(domain::providers::ESAP))
        .order_by_asc(cost_item::Column::Id)
        .one(db)
        .await
        .unwrap()
        .expect("a demo cost item");
    let person = enrolment::Entity::find_by_id(shared.meta_enrolment_id)
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .participant_id;
    // A certificate: the closed demo cohort's, issued through the API.
    let (coordinator_email, coordinator_password) = demo_account(Role::Coordinator);
    let coordinator = token(app, coordinator_email, coordinator_password).await;
    let closed = cohort::Entity::find()
        .filter(cohort::Column::Name.contains("Macarena"))
        .one(db)
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
    let code = certificate::Entity::find()
        .order_by_asc(certificate::Column::Id)
        .one(db)
        .await
        .unwrap()
        .expect("a certificate")
        .code;

    // Issue 47: ESAP's approved plan for the Dirección Territorial Meta (its coordinator's
    // provider's: the national coordinator amends it) and DNP's draft (an admin's to change).
    let meta_plan = plan::Entity::find()
        .filter(plan::Column::ProviderId.eq(1))
        .one(db)
        .await
        .unwrap()
        .expect("the demo's ESAP plan");
    let meta_line = plan_line::Entity::find()
        .filter(plan_line::Column::PlanId.eq(meta_plan.id))
        .order_by_asc(plan_line::Column::Position)
        .one(db)
        .await
        .unwrap()
        .expect("its first line");
    let dnp_plan = plan::Entity::find()
        .filter(plan::Column::ProviderId.ne(1))
        .one(db)
        .await
        .unwrap()
        .expect("the demo's DNP draft");
    let dnp_line = plan_line::Entity::find()
        .filter(plan_line::Column::PlanId.eq(dnp_plan.id))
        .one(db)
        .await
        .unwrap()
        .expect("its line");
    let (mp, dp) = (meta_plan.id, dnp_plan.id);
    let year = chrono::Datelike::year(&domain::time::today());

    let coordinator_cohort = format!("/coordinacion/cohortes/{c}");
    // Issue 67: the demo's pending data request (a supresión).
    let data_request = domain::entities::data_request::Entity::find()
        .filter(domain::entities::data_request::Column::Status.eq("pending"))
        .one(db)
        .await
        .unwrap()
        .expect("the demo's pending data request")
        .id;
    // Issue 68: the current instrument's questions, and the demo's self-assessment waiting.
    let instrument = domain::self_assessment::instrument::current(db)
        .await
        .unwrap();
    let questions: Vec<i32> = instrument.questions().map(|q| q.id).collect();
    let waiting = domain::entities::self_assessment::Entity::find()
        .filter(domain::entities::self_assessment::Column::Status.eq("submitted"))
        .one(db)
        .await
        .unwrap()
        .expect("the demo's self-assessment waiting for validation")
        .id;
    let mut self_assessment = vec![];
    for (i, names) in SELF_ASSESSMENT_FIELDS.iter().enumerate() {
        self_assessment.push((names[0], questions[i].to_string()));
        self_assessment.push((names[1], "3".to_string()));
        let evidence = if i == 0 {
            String::new()
        } else {
            format!("Informe {i}")
        };
        self_assessment.push((names[2], evidence));
    }
    vec![
        // Issue 68: a self-assessment whose first answer has no evidence.
        Case {
            route: "/municipios/<code>/autodiagnostico",
            who: Who::Liaison,
            path: "/municipios/18256/autodiagnostico".into(),
            from: "/municipios/18256/autodiagnostico/nuevo".into(),
            fields: self_assessment,
            typed: vec![">Informe 2</textarea>", "value=\"3\" checked"],
            twice: false,
            beside: ids(&[&format!("evidencia-{}", questions[0])]),
        },
        // Issue 68: returning a self-assessment without the note the liaison would read.
        Case {
            route: "/autodiagnosticos/<id>/validacion",
            who: Who::Reviewer,
            path: format!("/autodiagnosticos/{waiting}/validacion"),
            from: format!("/autodiagnosticos/{waiting}"),
            fields: vec![field("accepted", "false"), field("note", "")],
            typed: vec![],
            twice: false,
            beside: ids(&["note"]),
        },
        // Issue 68: a question of the instrument with its fourth level left undescribed.
        Case {
            route: "/admin/autodiagnostico/preguntas/<id>",
            who: Who::Admin,
            path: format!("/admin/autodiagnostico/preguntas/{}", questions[0]),
            from: "/admin/autodiagnostico".into(),
            fields: vec![
                field("text", "¿Hay plan con seguimiento?"),
                field("level_1", "No hay plan."),
                field("level_2", "Hay plan."),
                field("level_3", "Hay seguimiento."),
                field("level_4", ""),
            ],
            typed: vec!["value=\"¿Hay plan con seguimiento?\""],
            twice: false,
            beside: ids(&[&format!("pregunta-{}-level_4", questions[0])]),
        },
        // Issue 67: rejecting a data request without the note she would receive.
        Case {
            route: "/admin/solicitudes-de-datos/<id>",
            who: Who::Admin,
            path: format!("/admin/solicitudes-de-datos/{data_request}"),
            from: format!("/admin/solicitudes-de-datos/{data_request}"),
            fields: vec![field("decision", "rejected"), field("note", "")],
            typed: vec![],
            twice: false,
            beside: ids(&["note"]),
        },
        Case {
            route: "/planes",
            who: Who::Coordinator,
            path: "/planes".into(),
            from: "/planes/nuevo".into(),
            fields: vec![
                field("name", "Plan nacional escrito"),
                field("year", &(year - 3).to_string()),
            ],
            typed: vec!["value=\"Plan nacional escrito\""],
            twice: false,
            beside: ids(&["year"]),
        },
        Case {
            route: "/planes/<id>/lineas",
            who: Who::Admin,
            path: format!("/planes/{dp}/lineas"),
            from: format!("/planes/{dp}/lineas/nueva"),
            fields: vec![
                field("line.capacity_id", ""),
                field("line.municipality_codes", "18256, 99999"),
                field("line.goal_cohorts", "dos"),
                field("line.budget_inversion", "-5"),
            ],
            typed: vec![">18256, 99999</textarea>", "value=\"dos\"", "value=\"-5\""],
            twice: false,
            beside: ids(&[
                "capacity_id",
                "municipality_codes",
                "goal_cohorts",
                "budget_inversion",
            ]),
        },
        Case {
            route: "/planes/<id>/lineas/<line>",
            who: Who::Admin,
            path: format!("/planes/{dp}/lineas/{}", dnp_line.id),
            from: format!("/planes/{dp}/lineas/{}/editar", dnp_line.id),
            fields: vec![
                field("line.goal_people_trained", "10"),
                field("line.goal_people_certified", "20"),
            ],
            typed: vec!["value=\"10\"", "value=\"20\""],
            twice: false,
            beside: ids(&["goal_people_certified"]),
        },
        Case {
            route: "/planes/<id>/aprobacion",
            who: Who::Admin,
            // Refused on its confirmation, beside the act.
            path: format!("/planes/{dp}/aprobacion"),
            from: format!("/planes/{dp}/aprobar"),
            fields: vec![field("act", ""), field("confirmed", "true")],
            typed: vec![],
            twice: false,
            beside: ids(&["act"]),
        },
        Case {
            route: "/planes/<id>/modificaciones",
            who: Who::Coordinator,
            path: format!("/planes/{mp}/modificaciones"),
            from: format!("/planes/{mp}/modificar"),
            fields: vec![
                field("reason", ""),
                field("lines[0].line_id", &meta_line.id.to_string()),
                field("lines[0].capacity_id", "1"),
                field("lines[0].goal_cohorts", "-1"),
            ],
            typed: vec!["value=\"-1\""],
            twice: false,
            beside: vec![
                "id=\"error-reason\"".to_string(),
                format!("id=\"error-l{}-goal_cohorts\"", meta_line.id),
            ],
        },
        // Issue 65: no name, a tool's address over plain http.
        Case {
            route: "/admin/aula-virtual",
            who: Who::Admin,
            path: "/admin/aula-virtual".into(),
            from: "/admin/aula-virtual".into(),
            fields: vec![
                field("name", ""),
                field("login_url", "http://campus.example/ingreso"),
                field("target_link_uri", "https://campus.example/lanzar"),
                field("redirect_uris", "https://campus.example/lanzar"),
                field("jwks_url", "https://campus.example/claves"),
            ],
            typed: vec!["value=\"http://campus.example/ingreso\""],
            twice: false,
            beside: ids(&["nuevo-name", "nuevo-login_url"]),
        },
        Case {
            route: "/admin/oferentes",
            who: Who::Admin,
            path: "/admin/oferentes".into(),
            from: "/admin/oferentes".into(),
            fields: vec![
                field("name", ""),
                field("kind", "nacional"),
                field("nit", "abc-9"),
            ],
            typed: vec!["value=\"abc-9\""],
            twice: false,
            beside: ids(&["nuevo-name"]),
        },
        Case {
            route: "/admin/oferentes/<id>",
            who: Who::Admin,
            path: "/admin/oferentes/2".into(),
            from: "/admin/oferentes".into(),
            fields: vec![
                field("name", ""),
                field("kind", "nacional"),
                field("nit", "12-x"),
            ],
            typed: vec!["value=\"12-x\""],
            twice: false,
            beside: ids(&["oferente-2-name"]),
        },
        Case {
            route: "/admin/direcciones",
            who: Who::Admin,
            path: "/admin/direcciones".into(),
            from: "/admin/direcciones".into(),
            fields: vec![field("name", "")],
            typed: vec![],
            twice: false,
            beside: ids(&["nueva-name"]),
        },
        Case {
            route: "/admin/direcciones/<id>",
            who: Who::Admin,
            path: format!("/admin/direcciones/{}", direction.id),
            from: "/admin/direcciones".into(),
            fields: vec![field("name", "")],
            typed: vec![],
            twice: false,
            beside: vec![format!("id=\"error-direccion-{}-name\"", direction.id)],
        },
        Case {
            route: "/conocimiento/nuevo",
            who: Who::Coordinator,
            path: "/conocimiento/nuevo".into(),
            from: "/conocimiento/nuevo".into(),
            fields: vec![
                field("title", ""),
                field("description", "Cómo recaudaron el predial en Belén"),
                field("kind", "buena_practica"),
                field("url", "https://example.org/practica"),
                field("context", "Municipio PDET de categoría 6"),
            ],
            typed: vec![
                "Cómo recaudaron el predial en Belén</textarea>",
                "value=\"https://example.org/practica\"",
                "Municipio PDET de categoría 6</textarea>",
            ],
            twice: false,
            beside: ids(&["title", "capacity_ids", "problem", "evidence"]),
        },
        Case {
            route: "/admin/descriptores/<list>",
            who: Who::Admin,
            path: "/admin/descriptores/sectores".into(),
            from: "/admin/descriptores".into(),
            fields: vec![
                field("code", "Gestión-Riesgo"),
                field("name", "Gestión del riesgo"),
            ],
            typed: vec!["value=\"Gestión-Riesgo\"", "value=\"Gestión del riesgo\""],
            twice: false,
            beside: ids(&["sectores-nuevo-code"]),
        },
        Case {
            route: "/admin/descriptores/<list>/<id>",
            who: Who::Admin,
            path: format!("/admin/descriptores/grupos-poblacionales/{}", group.id),
            from: "/admin/descriptores".into(),
            fields: vec![field("name", ""), field("active", "true")],
            typed: vec![],
            twice: false,
            beside: vec![format!(
                "id=\"error-grupos-poblacionales-{}-name\"",
                group.id
            )],
        },
        Case {
            route: "/indicadores/<id>",
            who: Who::Admin,
            path: "/indicadores/7".into(),
            from: "/indicadores".into(),
            fields: vec![
                field("name", ""),
                field("source", "Fuente escrita"),
                field("unit", "puntos"),
            ],
            typed: vec!["value=\"Fuente escrita\""],
            twice: false,
            beside: ids(&["indicador-7-name"]),
        },
        Case {
            route: "/admin/usuarios",
            who: Who::Admin,
            path: "/admin/usuarios".into(),
            from: "/admin/usuarios".into(),
            fields: vec![
                field("email", "no-es-un-correo"),
                field("full_name", "Ana Escrita"),
                field("password", "Una-Clave-Larga-2026"),
                field("role", "reviewer"),
                field("department_code", "18"),
            ],
            typed: vec!["value=\"Ana Escrita\"", "value=\"no-es-un-correo\""],
            twice: false,
            beside: ids(&["nuevo-email"]),
        },
        Case {
            route: "/municipios/<code>/empalme/enlace",
            who: Who::Admin,
            path: "/municipios/18256/empalme/enlace".into(),
            from: "/municipios/18256/empalme".into(),
            fields: vec![
                field("full_name", "Nueva Enlace Escrita"),
                field("email", "no-es-un-correo"),
            ],
            typed: vec![
                "value=\"Nueva Enlace Escrita\"",
                "value=\"no-es-un-correo\"",
            ],
            twice: false,
            beside: ids(&["enlace-email"]),
        },
        Case {
            route: "/admin/usuarios/<id>",
            who: Who::Admin,
            path: format!("/admin/usuarios/{}", someone.id),
            from: "/admin/usuarios".into(),
            fields: vec![field("role", "ninguno"), field("active", "true")],
            typed: vec![],
            twice: false,
            beside: vec![format!("id=\"error-usuario-{}-role\"", someone.id)],
        },
        Case {
            route: "/demandas",
            who: Who::Liaison,
            path: "/demandas".into(),
            from: "/demandas/nueva".into(),
            fields: vec![
                field("municipality_code", "18256"),
                field("topic", ""),
                field("description", "Primera línea\nSegunda línea"),
                field("people_estimate", "muchas"),
                field("modality", "virtual"),
                field("priority", "alta"),
            ],
            typed: vec![
                "value=\"muchas\"",
                "Primera línea\nSegunda línea</textarea>",
            ],
            twice: false,
            // Every problem at once: the unreadable number and the empty topic.
            beside: ids(&["people_estimate", "topic"]),
        },
        Case {
            route: "/demandas/<id>",
            who: Who::Liaison,
            path: format!("/demandas/{}", own_demand.id),
            from: format!("/demandas/{}", own_demand.id),
            fields: vec![
                field(
                    "municipality_code",
                    own_demand.municipality_code.as_deref().unwrap_or_default(),
                ),
                field("topic", ""),
                field("description", "Descripción escrita"),
                field("people_estimate", "20"),
                field("modality", "virtual"),
                field("priority", "alta"),
            ],
            typed: vec![">Descripción escrita</textarea>"],
            twice: false,
            beside: ids(&["topic"]),
        },
        Case {
            route: "/demandas/<id>/declinar",
            who: Who::Coordinator,
            path: format!("/demandas/{}/declinar", caqueta_demand.id),
            from: format!("/demandas/{}", caqueta_demand.id),
            fields: vec![field("reason", "")],
            typed: vec![],
            twice: false,
            beside: ids(&["declinar-reason"]),
        },
        Case {
            route: "/demandas/<id>/respaldar",
            who: Who::Reviewer,
            path: format!("/demandas/{}/respaldar", caqueta_demand.id),
            from: format!("/demandas/{}", caqueta_demand.id),
            // Endorsed twice: the second is refused with the reason.
            fields: vec![],
            typed: vec![],
            twice: true,
            beside: vec![],
        },
        Case {
            route: "/demandas/<id>/remitir",
            who: Who::Coordinator,
            path: format!("/demandas/{}/remitir", caqueta_demand.id),
            from: format!("/demandas/{}", caqueta_demand.id),
            fields: vec![field("provider_id", "abc"), field("note", "Nota escrita")],
            typed: vec![">Nota escrita</textarea>"],
            twice: false,
            beside: ids(&["remitir-provider_id"]),
        },
        Case {
            route: "/enlaces/proponer",
            who: Who::Reviewer,
            path: "/enlaces/proponer".into(),
            from: "/demandas".into(),
            fields: vec![
                field("email", "correo-malo"),
                field("full_name", "Persona Propuesta"),
                field("municipality_code", "18256"),
            ],
            typed: vec!["value=\"Persona Propuesta\""],
            twice: false,
            beside: ids(&["enlace-email"]),
        },
        Case {
            route: "/cohortes/<id>/postulaciones",
            who: Who::Liaison,
            path: format!("/cohortes/{}/postulaciones", open.id),
            from: format!("/cohortes/{}", open.id),
            fields: vec![
                field("document_type", "CE"),
                field("document_number", "12ab"),
                field("first_names", "Nombre Escrito"),
                field("last_names", "Apellido Escrito"),
                field("email", "no-es-correo"),
            ],
            typed: vec!["value=\"Nombre Escrito\"", "value=\"12ab\""],
            twice: false,
            beside: ids(&["document_number"]),
        },
        Case {
            route: "/coordinacion/postulaciones/<id>",
            who: Who::Coordinator,
            path: "/coordinacion/postulaciones/1".into(),
            from: format!("/coordinacion/cohortes/{}/inscripciones", open.id),
            fields: vec![
                field("decision", "rechazar"),
                field("reason", ""),
                field("cohort_id", &open.id.to_string()),
                field("confirmed", "true"),
            ],
            typed: vec![],
            twice: false,
            // Declining is refused on its confirmation, beside its reason.
            beside: ids(&["reason"]),
        },
        Case {
            route: "/cohortes/<id>/inscribirme",
            who: Who::Participant,
            // The running cohort takes no enrolments: refused with the reason.
            path: format!("/cohortes/{c}/inscribirme"),
            from: format!("/cohortes/{}", open.id),
            fields: vec![],
            typed: vec![],
            twice: false,
            beside: vec![],
        },
        Case {
            route: "/inscripciones/<id>/cancelar",
            who: Who::Coordinator,
            // An enrolment cancelled already is not cancelled again: refused with the reason.
            path: format!("/inscripciones/{}/cancelar", shared.meta_enrolment_id),
            from: format!("{coordinator_cohort}/inscripciones"),
            fields: vec![
                field("reason", "Motivo escrito"),
                field("back", &format!("{coordinator_cohort}/inscripciones")),
                field("confirmed", "true"),
            ],
            typed: vec![],
            twice: true,
            beside: vec![],
        },
        Case {
            route: "/coordinacion/cohortes/<id>/inscripciones",
            who: Who::Coordinator,
            path: format!("/coordinacion/cohortes/{}/inscripciones", open.id),
            from: format!("/coordinacion/cohortes/{}/inscripciones", open.id),
            fields: vec![
                field("document_type", "PA"),
                field("document_number", "0000777"),
                field("override_reason", "Motivo escrito"),
            ],
            typed: vec!["value=\"0000777\"", "value=\"Motivo escrito\""],
            twice: false,
            beside: ids(&["document_number"]),
        },
        Case {
            route: "/coordinacion/inscripciones/<id>/admitir",
            who: Who::Coordinator,
            // Admitting someone who is not waiting: refused with the reason.
            path: format!(
                "/coordinacion/inscripciones/{}/admitir",
                shared.meta_enrolment_id
            ),
            from: format!("{coordinator_cohort}/inscripciones"),
            fields: vec![],
            typed: vec![],
            twice: false,
            beside: vec![],
        },
        Case {
            route: "/coordinacion/cohortes",
            who: Who::Coordinator,
            path: "/coordinacion/cohortes".into(),
            from: "/coordinacion/cohortes/nueva".into(),
            fields: vec![
                field("name", "Cohorte escrita"),
                field("modality", "virtual"),
                field("seats", "muchos"),
                // An unknown municipality (issue 61) does not hide the other problems.
                field("municipalities", "El Paujíl, Atlántida"),
                // Delivered together with DNP (issue 49): the tick is kept.
                field("co_provider_ids", "2"),
            ],
            typed: vec![
                "value=\"Cohorte escrita\"",
                ">El Paujíl, Atlántida</textarea>",
                "name=\"co_provider_ids\" value=\"2\" checked",
                "<option value=\"virtual\" selected>",
            ],
            twice: false,
            beside: ids(&[
                "seats",
                "municipality_codes",
                "course_id",
                "start_date",
                "meeting_url",
            ]),
        },
        Case {
            route: "/coordinacion/cohortes/<id>",
            who: Who::Coordinator,
            path: format!("/coordinacion/cohortes/{}", open.id),
            from: format!("/coordinacion/cohortes/{}/editar", open.id),
            fields: vec![
                field("course_id", &open.course_id.to_string()),
                field("name", "Nombre editado"),
                field("modality", "virtual"),
                field("start_date", &open.start_date.to_string()),
                field("end_date", &open.end_date.to_string()),
                field("enrolment_opens", &open.enrolment_opens.to_string()),
                field("enrolment_closes", &open.enrolment_closes.to_string()),
                field("seats", "-3"),
                field("municipalities", "Atlántida"),
            ],
            typed: vec![
                "value=\"Nombre editado\"",
                "value=\"-3\"",
                ">Atlántida</textarea>",
            ],
            twice: false,
            beside: ids(&["seats", "municipality_codes"]),
        },
        Case {
            route: "/coordinacion/cohortes/<id>/estado",
            who: Who::Coordinator,
            path: format!("{coordinator_cohort}/estado"),
            from: coordinator_cohort.clone(),
            fields: vec![field("status", "volando")],
            typed: vec![],
            twice: false,
            beside: vec![],
        },
        Case {
            route: "/coordinacion/cohortes/<id>/sesiones",
            who: Who::Coordinator,
            path: format!("{coordinator_cohort}/sesiones"),
            from: format!("{coordinator_cohort}/sesiones"),
            fields: vec![
                field("date", "2001-02-03"),
                field("start_time", "10:00"),
                field("end_time", "09:00"),
                field("topic", "Tema de la sesión escrito"),
                field("location", "Salón escrito"),
            ],
            typed: vec![
                "value=\"2001-02-03\"",
                "value=\"Tema de la sesión escrito\"",
                "value=\"Salón escrito\"",
            ],
            twice: false,
            beside: ids(&["sesion-ends_at", "sesion-starts_at"]),
        },
        // Issue 68: a key position without its title or capacity, and a holder without
        // appointment or possession day.
        Case {
            route: "/municipios/<code>/cargos",
            who: Who::Reviewer,
            path: "/municipios/18592/cargos".into(),
            from: "/municipios/18592/cargos".into(),
            fields: vec![
                field("title", ""),
                field("capacity_id", ""),
                field("holder_participant_id", ""),
                field("holder_name", "Titular Escrito"),
                field("appointment", ""),
                field("since", ""),
            ],
            typed: vec!["value=\"Titular Escrito\""],
            twice: false,
            beside: ids(&[
                "nuevo-title",
                "nuevo-capacity_id",
                "nuevo-appointment",
                "nuevo-since",
            ]),
        },
        // Issue 68: a position changed without its title and with a possession day ahead.
        Case {
            route: "/cargos/<id>",
            who: Who::Reviewer,
            path: "/cargos/1".into(),
            from: "/cargos/1".into(),
            fields: vec![
                field("title", ""),
                field("capacity_id", "1"),
                field("holder_participant_id", ""),
                field("holder_name", "Otro Titular Escrito"),
                field("appointment", "provisional"),
                field("since", "2999-01-01"),
            ],
            typed: vec!["value=\"Otro Titular Escrito\""],
            twice: false,
            beside: ids(&["cargo-title", "cargo-since"]),
        },
        // Issue 68: a departure dated ahead.
        Case {
            route: "/cargos/<id>/salida",
            who: Who::Reviewer,
            path: "/cargos/1/salida".into(),
            from: "/cargos/1".into(),
            fields: vec![field("on", "2999-01-01"), field("reason", "Motivo escrito")],
            typed: vec!["value=\"Motivo escrito\""],
            twice: false,
            beside: ids(&["salida-on"]),
        },
        // Issue 67: a data request without its kind.
        Case {
            route: "/perfil/datos/solicitudes",
            who: Who::Participant,
            path: "/perfil/datos/solicitudes".into(),
            from: "/perfil/datos".into(),
            fields: vec![field("kind", ""), field("reason", "Motivo escrito")],
            typed: vec!["Motivo escrito"],
            twice: false,
            beside: ids(&["solicitud-kind"]),
        },
        // Issue 65: a tool that does not exist and no title.
        Case {
            route: "/coordinacion/cohortes/<id>/aula-virtual",
            who: Who::Coordinator,
            path: format!("{coordinator_cohort}/aula-virtual"),
            from: format!("{coordinator_cohort}/sesiones"),
            fields: vec![
                field("tool_id", "999999"),
                field("title", ""),
                field("moodle_id", "12"),
            ],
            typed: vec!["value=\"12\""],
            twice: false,
            beside: ids(&["aula-tool_id", "aula-title"]),
        },
        Case {
            route: "/coordinacion/cohortes/<id>/sesiones/generar",
            who: Who::Coordinator,
            path: format!("{coordinator_cohort}/sesiones/generar"),
            from: format!("{coordinator_cohort}/sesiones"),
            fields: vec![
                field("start_time", "15:00"),
                field("end_time", "14:00"),
                field("from", "2001-02-03"),
                field("to", "2001-02-04"),
                field("topic", "Serie escrita"),
            ],
            typed: vec!["value=\"Serie escrita\"", "value=\"15:00\""],
            twice: false,
            beside: ids(&["serie-weekdays", "serie-end_time"]),
        },
        Case {
            route: "/coordinacion/sesiones/<id>/eliminar",
            who: Who::Coordinator,
            // A session with attendance recorded is not deleted: refused with the reason.
            path: format!("/coordinacion/sesiones/{}/eliminar", shared.session_id),
            from: format!("/coordinacion/sesiones/{}/eliminar", shared.session_id),
            fields: vec![],
            typed: vec![],
            twice: false,
            beside: vec![],
        },
        Case {
            route: "/coordinacion/cohortes/<id>/certificados",
            who: Who::Coordinator,
            // A running cohort issues no certificates: refused with the reason.
            path: format!("{coordinator_cohort}/certificados"),
            from: format!("{coordinator_cohort}/certificados"),
            fields: vec![],
            typed: vec![],
            twice: false,
            beside: vec![],
        },
        Case {
            route: "/coordinacion/certificados/<code>/revocar",
            who: Who::Coordinator,
            path: format!("/coordinacion/certificados/{code}/revocar"),
            from: "/coordinacion/cohortes".into(),
            fields: vec![field("reason", ""), field("confirmed", "true")],
            typed: vec![],
            twice: false,
            beside: ids(&["reason"]),
        },
        Case {
            route: "/coordinacion/certificados/<code>/reexpedir",
            who: Who::Coordinator,
            // A certificate replaced already is not re-issued again: refused with the reason.
            path: format!("/coordinacion/certificados/{code}/reexpedir"),
            from: "/coordinacion/cohortes".into(),
            fields: vec![field("confirmed", "true")],
            typed: vec![],
            twice: true,
            beside: vec![],
        },
        Case {
            route: "/coordinacion/cursos",
            who: Who::Coordinator,
            path: "/coordinacion/cursos".into(),
            from: "/coordinacion/cursos".into(),
            fields: vec![
                field("code", ""),
                field("name", "Curso escrito"),
                field("description", "Descripción del curso\nen dos líneas"),
                field("hours", "muchas"),
            ],
            typed: vec![
                "value=\"Curso escrito\"",
                ">Descripción del curso\nen dos líneas</textarea>",
            ],
            twice: false,
            beside: ids(&["hours"]),
        },
        Case {
            route: "/coordinacion/programas",
            who: Who::Coordinator,
            path: "/coordinacion/programas".into(),
            from: "/coordinacion/programas/nuevo".into(),
            fields: vec![
                field("code", "DGPT-F"),
                field("name", "Diplomado escrito"),
                field("kind", "diplomado"),
                field("description", "Descripción del diplomado\nen dos líneas"),
                field("hours", "muchas"),
            ],
            typed: vec![
                "value=\"Diplomado escrito\"",
                ">Descripción del diplomado\nen dos líneas</textarea>",
            ],
            twice: false,
            beside: ids(&["hours"]),
        },
        Case {
            route: "/coordinacion/cursos/<id>",
            who: Who::Coordinator,
            path: format!("/coordinacion/cursos/{}", open.course_id),
            from: format!("/coordinacion/cursos/{}", open.course_id),
            fields: vec![
                field("code", "XX-1"),
                field("name", ""),
                field("description", "Descripción editada"),
                field("hours", "20"),
            ],
            typed: vec![">Descripción editada</textarea>"],
            twice: false,
            beside: ids(&["name"]),
        },
        Case {
            route: "/seguimiento/cohortes/<id>/evaluaciones",
            who: Who::Coordinator,
            path: format!("/seguimiento/cohortes/{c}/evaluaciones"),
            from: format!("/seguimiento/cohortes/{c}"),
            fields: vec![field("name", "Taller escrito"), field("weight", "muchos")],
            typed: vec!["value=\"Taller escrito\"", "value=\"muchos\""],
            twice: false,
            beside: ids(&["evaluacion-weight"]),
        },
        Case {
            route: "/seguimiento/evaluaciones/<id>",
            who: Who::Coordinator,
            path: format!("/seguimiento/evaluaciones/{}", shared.assessment_id),
            from: format!("/seguimiento/cohortes/{c}"),
            fields: vec![field("name", "Renombrada a mano"), field("weight", "abc")],
            typed: vec!["value=\"Renombrada a mano\""],
            twice: false,
            beside: vec![format!(
                "id=\"error-evaluacion-{}-weight\"",
                shared.assessment_id
            )],
        },
        Case {
            route: "/seguimiento/evaluaciones/<id>/eliminar",
            who: Who::Coordinator,
            // An assessment with scores is not removed: refused with the reason.
            path: format!(
                "/seguimiento/evaluaciones/{}/eliminar",
                shared.assessment_id
            ),
            from: format!("/seguimiento/cohortes/{c}"),
            fields: vec![],
            typed: vec![],
            twice: false,
            beside: vec![],
        },
        Case {
            route: "/seguimiento/cohortes/<id>/notas",
            who: Who::Coordinator,
            path: format!("/seguimiento/cohortes/{c}/notas"),
            from: format!("/seguimiento/cohortes/{c}/notas"),
            fields: vec![("nota[zz]", "4.0".to_string())],
            typed: vec![],
            twice: false,
            beside: ids(&["nota"]),
        },
        Case {
            route: "/seguimiento/cohortes/<id>/asistencia/confirmar",
            who: Who::Coordinator,
            path: format!("/seguimiento/cohortes/{c}/asistencia/confirmar"),
            from: format!("/seguimiento/cohortes/{c}"),
            fields: vec![field("filas", "{roto")],
            typed: vec![],
            twice: false,
            beside: vec![],
        },
        Case {
            route: "/seguimiento/cohortes/<id>/notas/confirmar",
            who: Who::Coordinator,
            path: format!("/seguimiento/cohortes/{c}/notas/confirmar"),
            from: format!("/seguimiento/cohortes/{c}"),
            fields: vec![field("filas", "{roto")],
            typed: vec![],
            twice: false,
            beside: vec![],
        },
        Case {
            route: "/seguimiento/sesiones/<id>",
            who: Who::Coordinator,
            path: format!("/seguimiento/sesiones/{}", shared.session_id),
            from: format!("/seguimiento/sesiones/{}", shared.session_id),
            fields: vec![("estado[999999]", "presente".to_string())],
            typed: vec![],
            twice: false,
            beside: vec![],
        },
        Case {
            route: "/asistencias",
            who: Who::Coordinator,
            path: "/asistencias".to_string(),
            from: "/asistencias/nueva".to_string(),
            fields: vec![
                field("municipality_code", "18256"),
                field("entity_type", "concejo"),
                field("objective", "Acompañar el plan\nde desarrollo"),
                field("starts_on", "mañana"),
                field("ends_on", "2026-12-31"),
                field("modality", "mixta"),
                field("contact_email", "concejo@example.org"),
                field("co_provider_ids", "2"),
            ],
            typed: vec![
                "name=\"co_provider_ids\" value=\"2\" checked",
                "value=\"18256\"",
                "Acompañar el plan\nde desarrollo</textarea>",
                "value=\"mañana\"",
                "value=\"concejo@example.org\"",
                "value=\"concejo\" selected",
            ],
            twice: false,
            beside: ids(&["capacity_ids", "starts_on"]),
        },
        Case {
            route: "/coordinacion/cohortes/<id>/costos",
            who: Who::Coordinator,
            path: format!("{coordinator_cohort}/costos"),
            from: format!("{coordinator_cohort}/costos"),
            fields: vec![
                field("kind", "viajes"),
                field("basis", "por_participante"),
                field("amount", "0"),
                field("stage", "comprometido"),
                field("incurred_on", "ayer"),
                field("description", "Pasajes escritos"),
            ],
            typed: vec![
                "value=\"Pasajes escritos\"",
                "value=\"ayer\"",
                "value=\"viajes\" selected",
                "value=\"comprometido\" selected",
            ],
            twice: false,
            beside: ids(&["costo-amount", "costo-incurred_on"]),
        },
        Case {
            route: "/asistencias/<id>/costos",
            who: Who::Coordinator,
            path: format!("/asistencias/{a}/costos"),
            from: format!("/asistencias/{a}"),
            fields: vec![
                field("kind", "sede"),
                field("basis", "fijo"),
                field("amount", "mil pesos"),
                field("stage", "planeado"),
                field("description", "Salón escrito"),
            ],
            typed: vec!["value=\"Salón escrito\"", "value=\"mil pesos\""],
            twice: false,
            beside: ids(&["costo-amount"]),
        },
        Case {
            route: "/costos/<id>/etapa",
            who: Who::Coordinator,
            path: format!("/costos/{}/etapa", cost.id),
            from: format!("/coordinacion/cohortes/{}/costos", cost.cohort_id.unwrap()),
            fields: vec![field("stage", "pagado")],
            typed: vec![],
            twice: false,
            beside: vec![format!("id=\"error-costo-{}-stage\"", cost.id)],
        },
        Case {
            route: "/asistencias/<id>/hitos",
            who: Who::Coordinator,
            path: format!("/asistencias/{a}/hitos"),
            from: format!("/asistencias/{a}"),
            fields: vec![field("title", "Hito escrito"), field("due_on", "mañana")],
            typed: vec!["value=\"Hito escrito\"", "value=\"mañana\""],
            twice: false,
            beside: ids(&["hito-due_on"]),
        },
        Case {
            route: "/hitos/<milestone>",
            who: Who::Coordinator,
            path: format!("/hitos/{}", milestone.id),
            from: format!("/asistencias/{a}"),
            fields: vec![
                field("done_on", "ayer"),
                field("assistance_id", &a.to_string()),
            ],
            typed: vec!["value=\"ayer\""],
            twice: false,
            beside: vec![format!("id=\"error-hito-{}-done_on\"", milestone.id)],
        },
        Case {
            route: "/asistencias/<id>/visitas",
            who: Who::Coordinator,
            path: format!("/asistencias/{a}/visitas"),
            from: format!("/asistencias/{a}"),
            fields: vec![
                field("date", ""),
                field("modality", "virtual"),
                field("hours", "3,5"),
                field("topics", "Plan de desarrollo\nSeguimiento de metas"),
                field("attendees[0].full_name", "Ana Pérez"),
                field("attendees[0].position", "secretaria de planeación"),
                field("agreements[0].text", "Enviar el informe"),
                field("agreements[0].owner", ""),
                field("agreements[0].due_on", "pronto"),
            ],
            typed: vec![
                ">Plan de desarrollo\nSeguimiento de metas</textarea>",
                "value=\"Ana Pérez\"",
                "value=\"secretaria de planeación\"",
                "value=\"Enviar el informe\"",
                "value=\"pronto\"",
                "value=\"3,5\"",
                "<option value=\"virtual\" selected>",
            ],
            twice: false,
            beside: ids(&["visita-date", "visita-agreements-0"]),
        },
        Case {
            route: "/compromisos/<agreement>",
            who: Who::Coordinator,
            path: format!("/compromisos/{}", agreement.id),
            from: format!("/asistencias/{a}"),
            fields: vec![
                field("status", "dropped"),
                field("reason", ""),
                field("note", "Nota escrita"),
            ],
            // The chosen state is kept (issue 61).
            typed: vec!["value=\"Nota escrita\"", "value=\"dropped\" checked"],
            twice: false,
            beside: vec![format!("id=\"error-compromiso-{}-reason\"", agreement.id)],
        },
        Case {
            route: "/asistencias/<id>/diagnostico",
            who: Who::Coordinator,
            path: format!("/asistencias/{a}/diagnostico"),
            from: format!("/asistencias/{a}"),
            fields: vec![field("findings", " "), field("evidence", "Acta escrita")],
            typed: vec![">Acta escrita</textarea>"],
            twice: false,
            beside: ids(&["diagnostico-findings"]),
        },
        Case {
            route: "/asistencias/<id>/plan-de-trabajo",
            who: Who::Coordinator,
            path: format!("/asistencias/{a}/plan-de-trabajo"),
            from: format!("/asistencias/{a}"),
            fields: vec![
                field("activities[0].text", "Taller escrito"),
                field("activities[0].due_on", "pronto"),
                field("products[0].title", ""),
            ],
            typed: vec!["value=\"Taller escrito\"", "value=\"pronto\""],
            twice: false,
            beside: ids(&["plan-activities-0", "plan-products"]),
        },
        Case {
            route: "/asistencias/<id>/plan-de-trabajo/aceptacion",
            who: Who::Liaison,
            // The demo's El Paujíl assistance: its plan's version 2 waits for the entity.
            path: format!("/asistencias/{a}/plan-de-trabajo/aceptacion"),
            from: format!("/asistencias/{a}"),
            fields: vec![
                field("accepted_by", ""),
                field("position", "Alcalde escrito"),
            ],
            typed: vec!["value=\"Alcalde escrito\""],
            twice: false,
            beside: ids(&["aceptacion-accepted_by"]),
        },
        Case {
            route: "/asistencias/<id>/contacto/confirmacion",
            who: Who::Liaison,
            // Issue 62: the demo's El Paujíl assistance, its contact not confirmed; the address
            // sent is not its contact (the page changed since): refused, the page again.
            path: format!("/asistencias/{a}/contacto/confirmacion"),
            from: format!("/asistencias/{a}"),
            fields: vec![field("contact_email", "otro@elpaujil.example")],
            typed: vec![],
            twice: false,
            beside: vec![],
        },
        Case {
            route: "/replicadores/replicas/<id>/revision",
            who: Who::Coordinator,
            // Rejecting needs a reason: refused beside it, nothing decided.
            path: format!("/replicadores/replicas/{pending_replica}/revision"),
            from: "/replicadores".into(),
            fields: vec![field("decision", "reject"), field("note", "")],
            typed: vec![],
            twice: false,
            beside: ids(&["note"]),
        },
        Case {
            route: "/asistencias/<id>/estado",
            who: Who::Coordinator,
            path: format!("/asistencias/{a}/estado"),
            from: format!("/asistencias/{a}"),
            fields: vec![field("status", "cancelled"), field("reason", "")],
            typed: vec![],
            twice: false,
            beside: ids(&["cancelacion-reason"]),
        },
        Case {
            route: "/asistencias/<id>/evaluacion",
            who: Who::Liaison,
            // An assistance in progress is not evaluated yet: refused with the reason.
            path: format!("/asistencias/{a}/evaluacion"),
            from: format!("/asistencias/{a}"),
            fields: vec![
                field("usefulness", "9"),
                field("comment", "Comentario escrito"),
            ],
            typed: vec![],
            twice: false,
            beside: vec![],
        },
        Case {
            route: "/encuestas/<id>",
            who: Who::Participant,
            path: format!("/encuestas/{}", pending.id),
            from: format!("/encuestas/{}", pending.id),
            fields: vec![],
            typed: vec![],
            twice: false,
            beside: vec![],
        },
        Case {
            route: "/perfil",
            who: Who::Participant,
            path: "/perfil".into(),
            from: "/perfil".into(),
            fields: vec![
                field("first_names", ""),
                field("last_names", "Apellido Escrito"),
                field("email", participant_email),
                field("phone", "no-es-un-numero"),
            ],
            typed: vec!["value=\"Apellido Escrito\"", "value=\"no-es-un-numero\""],
            twice: false,
            beside: ids(&["first_names"]),
        },
        Case {
            route: "/registro",
            who: Who::Visitor,
            path: "/registro".into(),
            from: "/registro".into(),
            fields: vec![
                field("document_type", "CC"),
                field("document_number", "12ab"),
                field("first_names", "Nombre Escrito"),
                field("email", "no-es-correo"),
            ],
            typed: vec!["value=\"Nombre Escrito\"", "value=\"12ab\""],
            twice: false,
            beside: ids(&["document_number", "email"]),
        },
        Case {
            route: "/coordinacion/personas/<id>/corregir",
            who: Who::Coordinator,
            path: format!("/coordinacion/personas/{person}/corregir"),
            from: format!("/coordinacion/personas/{person}/corregir"),
            fields: vec![
                field("document_type", "CC"),
                field("document_number", "12ab"),
                field("first_names", "Nombre Corregido"),
                field("last_names", "Apellido"),
                field("reason", ""),
            ],
            typed: vec!["value=\"Nombre Corregido\""],
            twice: false,
            beside: ids(&["document_number"]),
        },
        Case {
            route: "/coordinacion/cambios-de-nombre/<id>",
            who: Who::Coordinator,
            // The demo's pending change of name (the demo participant's).
            path: "/coordinacion/cambios-de-nombre/1".into(),
            from: "/coordinacion/cambios-de-nombre/1/rechazar".into(),
            fields: vec![
                field("decision", "rechazar"),
                field("reason", ""),
                field("confirmed", "true"),
            ],
            typed: vec![],
            twice: false,
            // Rejecting is refused on its confirmation, beside its reason.
            beside: ids(&["reason"]),
        },
        Case {
            route: "/alianzas",
            who: Who::Reviewer,
            path: "/alianzas".into(),
            from: "/alianzas/nueva".into(),
            fields: vec![
                field("department_code", "18"),
                field("name", "Alianza escrita"),
                field("launched_on", "2026-01-10"),
                field("renewed_on", "2025-01-10"),
                field("implementation_plan", "Plan escrito"),
            ],
            typed: vec!["value=\"Alianza escrita\"", ">Plan escrito</textarea>"],
            twice: false,
            beside: ids(&["renewed_on", "members"]),
        },
        Case {
            route: "/alianzas/<id>",
            who: Who::Reviewer,
            path: format!("/alianzas/{al}"),
            from: format!("/alianzas/{al}/editar"),
            fields: vec![
                field("name", " "),
                field("launched_on", "2024-05-02"),
                field("implementation_plan", "Plan cambiado"),
                field("members[0].name", "Universidad escrita"),
                field("members[0].kind", ""),
            ],
            typed: vec![">Plan cambiado</textarea>", "value=\"Universidad escrita\""],
            twice: false,
            beside: ids(&["name", "members-0"]),
        },
        Case {
            route: "/alianzas/<id>/mesas",
            who: Who::Reviewer,
            path: format!("/alianzas/{al}/mesas"),
            from: format!("/alianzas/{al}"),
            fields: vec![
                field("date", ""),
                field("modality", "virtual"),
                field("agenda", "Agenda escrita\nSegundo punto"),
                field("attendees[0].name", "Ana Pérez"),
                field("attendees[0].organisation", ""),
                field("agreements[0].text", "Acuerdo escrito"),
                field("agreements[0].owner", "La gobernación"),
                field("agreements[0].due_on", "pronto"),
            ],
            typed: vec![
                ">Agenda escrita\nSegundo punto</textarea>",
                "value=\"Ana Pérez\"",
                "value=\"Acuerdo escrito\"",
                "value=\"pronto\"",
                "<option value=\"virtual\" selected>",
            ],
            twice: false,
            beside: ids(&["mesa-date", "mesa-attendees-0", "mesa-agreements-0"]),
        },
        Case {
            route: "/alianzas/<id>/acuerdos/<agreement>",
            who: Who::Reviewer,
            path: format!("/alianzas/{al}/acuerdos/{}", alliance_agreement.id),
            from: format!("/alianzas/{al}"),
            fields: vec![
                field("status", "done"),
                field("done_on", "ayer"),
                field("note", "Nota escrita"),
            ],
            typed: vec!["value=\"Nota escrita\"", "value=\"ayer\""],
            twice: false,
            beside: vec![format!(
                "id=\"error-acuerdo-{}-done_on\"",
                alliance_agreement.id
            )],
        },
        Case {
            route: "/mis-replicas",
            who: Who::Participant,
            // The demo participant is a replicator in Caquetá: Villavicencio is not hers.
            path: "/mis-replicas".into(),
            from: "/mis-replicas".into(),
            fields: vec![
                field("date", "ayer"),
                field("municipality_code", "50001"),
                field("audience", "jovenes"),
                field("attendees[0].full_name", "Ana Rojas"),
                field("attendees[0].position", "Concejala"),
                field("attendee_count", "7"),
            ],
            typed: vec![
                "value=\"Ana Rojas\"",
                "value=\"Concejala\"",
                "value=\"7\"",
                "<option value=\"jovenes\" selected>",
            ],
            twice: false,
            beside: ids(&[
                "replica-date",
                "replica-municipality_code",
                "replica-capacity_id",
                "replica-attendee_count",
            ]),
        },
        Case {
            route: "/replicadores/aval",
            who: Who::Coordinator,
            // The demo's trainers cohort: this person did not complete it.
            path: "/replicadores/aval".into(),
            from: "/replicadores".into(),
            fields: vec![
                field("cohort_id", &trainers.0.to_string()),
                field("participant_id", &trainers.1.to_string()),
            ],
            typed: vec![],
            twice: false,
            beside: ids(&["participant_id"]),
        },
    ]
}

/// The in-page links of `html` (`href="#…"`) that land on no element: a summary's link to a
/// field whose message is not drawn beside it (issue 61) is one.
pub(crate) fn broken_anchors(html: &str) -> Vec<String> {
    let mut broken = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("href=\"#") {
        rest = &rest[at + 7..];
        let Some(end) = rest.find('"') else { break };
        let target = &rest[..end];
        if !html.contains(&format!("id=\"{target}\"")) && !broken.iter().any(|b| b == target) {
            broken.push(target.to_string());
        }
    }
    broken
}

/// The first date written as stored (`2026-11-22`) in `text`.
fn iso_date(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(9)).find_map(|i| {
        let candidate = &bytes[i..i + 10];
        let digits = |r: std::ops::Range<usize>| candidate[r].iter().all(u8::is_ascii_digit);
        (digits(0..4)
            && candidate[4] == b'-'
            && digits(5..7)
            && candidate[7] == b'-'
            && digits(8..10))
        .then(|| &text[i..i + 10])
    })
}

/// Every page route that takes a POST, as mounted.
fn form_routes(app: &TestApp) -> BTreeSet<String> {
    app.client
        .rocket()
        .routes()
        .filter(|r| r.method == rocket::http::Method::Post)
        .map(|r| r.uri.to_string())
        .filter(|uri| !uri.starts_with("/api/"))
        .collect()
}

#[rocket::async_test]
async fn every_form_refused_comes_back_with_what_was_typed_and_each_problem_beside_its_field() {
    let app = TestApp::with_demo().await;
    let cases = cases(&app).await;

    // Every form route has its row: a case, or a reason it is not a form.
    let covered: BTreeSet<String> = cases
        .iter()
        .map(|c| c.route.to_string())
        .chain(NOT_FORMS.iter().map(|(r, _)| r.to_string()))
        .collect();
    let mounted = form_routes(&app);
    let missing: Vec<&String> = mounted.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "form routes without a case in tests/app/forms.rs: {missing:?}"
    );
    let gone: Vec<&String> = covered.difference(&mounted).collect();
    assert!(
        gone.is_empty(),
        "cases for routes no longer mounted: {gone:?}"
    );

    let mut browsers: Vec<(Who, Client)> = Vec::new();
    let mut failures = Vec::new();
    for case in &cases {
        if !browsers.iter().any(|(w, _)| *w == case.who) {
            let browser = app.another_instance(&[]).await;
            if let Some((email, password)) = case.who.account() {
                sign_in_client(&browser, email, password).await;
            }
            browsers.push((case.who, browser));
        }
        let browser = &browsers.iter().find(|(w, _)| *w == case.who).unwrap().1;
        if case.twice {
            let csrf = csrf_from_client(browser, &case.from).await;
            let mut fields: Vec<(&str, &str)> = vec![("csrf_token", &csrf)];
            fields.extend(case.fields.iter().map(|(k, v)| (*k, v.as_str())));
            let first = browser
                .post(case.path.clone())
                .header(ContentType::Form)
                .body(form_body(&fields))
                .dispatch()
                .await;
            assert_eq!(
                first.status(),
                Status::SeeOther,
                "{} the first time",
                case.route
            );
        }
        let csrf = csrf_from_client(browser, &case.from).await;
        let mut fields: Vec<(&str, &str)> = vec![("csrf_token", &csrf)];
        fields.extend(case.fields.iter().map(|(k, v)| (*k, v.as_str())));
        let response = browser
            .post(case.path.clone())
            .header(ContentType::Form)
            .body(form_body(&fields))
            .dispatch()
            .await;
        let status = response.status();
        let html = response.into_string().await.unwrap_or_default();
        let mut wrong = Vec::new();
        if status != Status::UnprocessableEntity {
            wrong.push(format!("status {status}"));
        }
        if !html.contains("<div class=\"error-summary\"") || !html.contains("Revise estos datos") {
            wrong.push("no error summary".into());
        }
        for target in broken_anchors(&html) {
            wrong.push(format!("a link to #{target}, which is on no element"));
        }
        // The messages speak in words (issue 61): labels, not stored codes; dates as people
        // read them.
        let summary = html
            .split("<div class=\"error-summary\"")
            .nth(1)
            .and_then(|rest| rest.split("</div>").next())
            .unwrap_or_default();
        for code in crate::words::codes_shown(summary) {
            wrong.push(format!("the summary says the code «{code}»"));
        }
        if let Some(date) = iso_date(summary) {
            wrong.push(format!("the summary prints the date {date} as stored"));
        }
        for value in &case.typed {
            if !html.contains(value) {
                wrong.push(format!("typed value {value:?} not shown again"));
            }
        }
        for id in &case.beside {
            if !html.contains(id.as_str()) {
                wrong.push(format!("no message beside its field ({id})"));
            }
            // The summary links to it.
            let anchor = id.replace("id=\"", "href=\"#");
            if !html.contains(&anchor) {
                wrong.push(format!("the summary does not link to {id}"));
            }
        }
        if !wrong.is_empty() {
            let summary = html
                .find("error-summary")
                .map(|at| html[at..].chars().take(600).collect::<String>())
                .unwrap_or_default();
            failures.push(format!(
                "{} {} as {:?}: {}\n    {summary}",
                case.route,
                case.path,
                case.who,
                wrong.join("; ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} forms do not answer the house's way:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// A report's filters are a form too (issue 45): dates that do not pass show the report
/// without them, the filters as typed and the problem beside the date, 422 — not a bare «Datos
/// inválidos» page.
#[rocket::async_test]
async fn a_bad_report_filter_shows_the_report_with_the_problem_beside_the_filter() {
    let app = TestApp::with_demo().await;
    let browser = app.another_instance(&[]).await;
    let (email, password) = demo_account(Role::Reviewer);
    sign_in_client(&browser, email, password).await;
    for path in [
        "/reportes?from=2026-12-31&to=2026-01-01",
        "/reportes/participantes?from=2026-12-31&to=2026-01-01",
    ] {
        let response = browser.get(path).dispatch().await;
        assert_eq!(response.status(), Status::UnprocessableEntity, "{path}");
        let html = response.into_string().await.unwrap();
        assert!(
            html.contains("La fecha final no puede ser anterior a la inicial.")
                && html.contains("href=\"#error-to\""),
            "{path}: {html}"
        );
        // The report is there, as far as the filters allow.
        assert!(html.contains("<table"), "{path}: the report is shown");
        assert_eq!(broken_anchors(&html), Vec::<String>::new(), "{path}");
    }
    // A municipality that does not exist is said, not read as a filter that matches nothing
    // (issue 61); a name that does is taken as its code.
    for path in [
        "/reportes?department=18&municipality=Atl%C3%A1ntida",
        "/reportes?municipality=Atl%C3%A1ntida",
        "/reportes/participantes?municipality=Atl%C3%A1ntida",
    ] {
        let response = browser.get(path).dispatch().await;
        assert_eq!(response.status(), Status::UnprocessableEntity, "{path}");
        let html = response.into_string().await.unwrap();
        assert!(
            html.contains("Atlántida") && html.contains("href=\"#error-municipality\""),
            "{path}: {html}"
        );
        assert_eq!(broken_anchors(&html), Vec::<String>::new(), "{path}");
    }
    let by_name = browser
        .get("/reportes?department=18&municipality=El%20Pauj%C3%ADl")
        .dispatch()
        .await;
    assert_eq!(by_name.status(), Status::Ok);
    assert!(
        by_name
            .into_string()
            .await
            .unwrap()
            .contains("<option value=\"18256\" selected>"),
        "a municipality named is chosen by its code"
    );
    let html = body_of(&browser, "/reportes?from=2026-12-31&to=2026-01-01").await;
    assert!(
        html.contains("id=\"error-to\"")
            && html.contains("value=\"2026-12-31\"")
            && html.contains("value=\"2026-01-01\""),
        "the filters as typed, the problem beside the date: {html}"
    );
    // The same report with good dates answers 200, and a refused one was not kept for it.
    let fine = browser
        .get("/reportes?from=2026-01-01&to=2026-12-31")
        .dispatch()
        .await;
    assert_eq!(fine.status(), Status::Ok);
    assert!(!fine.into_string().await.unwrap().contains("error-summary"));
}

/// `/verificar/credencial` sent what is not JSON (issue 61): the page again, 422, with the
/// summary at the top linking to the problem beside the box, and the text as pasted.
#[rocket::async_test]
async fn a_credential_that_is_not_json_answers_with_the_summary_and_the_text_kept() {
    let app = TestApp::with_demo().await;
    let (status, html) =
        crate::credentials::check_page(&app, None, "{esto no es una credencial").await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(
        html.contains("<div class=\"error-summary\"")
            && html.contains("href=\"#error-texto\"")
            && html.contains("id=\"error-texto\"")
            && html.contains("aria-invalid=\"true\" aria-describedby=\"error-texto\"")
            && html.contains(">{esto no es una credencial</textarea>"),
        "{html}"
    );
    assert_eq!(broken_anchors(&html), Vec::<String>::new());
}
