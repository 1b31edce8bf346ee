//! The API description, generated from the code that serves the API: every handler under
//! `/api/v1` carries a `#[utoipa::path]` (its method, path and path and query parameters come
//! from its Rocket attribute through utoipa's `rocket_extras`), every type it reads or answers
//! derives `ToSchema`, and [`ApiDoc`] assembles them here, in one place, with the conventions
//! every operation shares ([`Conventions`]: the bearer scheme and the problem+json answers).
//! Served as JSON at `GET /api/v1/openapi.json`.

pub mod responses;

use rocket::serde::json::Json;
use rocket::{Route, get, routes};
use std::sync::LazyLock;
pub use utoipa::OpenApi;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{Modify, ToResponse};

/// The description of `/api/v1`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Aula Territorial API",
        version = "1",
        description = include_str!("description.md"),
    ),
    servers((url = "/api/v1")),
    security(("bearerAuth" = [])),
    tags(
        (name = "auth", description = "Tokens and the caller."),
        (name = "users", description = "Accounts (admin)."),
        (name = "people", description = "Participant self-registration, and the changes of name participants ask for, reviewed by their cohorts' coordination."),
        (name = "habeas-data", description = "Habeas data (Ley 1581 de 2012): a person's requests to consult, revoke or delete her data, their resolution by an administrator, and who opened her record."),
        (name = "reference", description = "Departments, municipalities, capacities, sectors and population groups."),
        (name = "courses", description = "The catalogue."),
        (name = "programmes", description = "**Issue 64.** Programmes (diplomados, programas de formación, rutas de aprendizaje) made of courses of the catalogue, their editions (one cohort per module), enrolment once in the edition (every module or the edition's waiting list; modules recognised from earlier certificates), progress module by module and the programme's certificate."),
        (name = "cohorts", description = "Courses scheduled for a territory."),
        (name = "virtual classroom", description = "**Issue 65.** Aula Territorial is an LTI 1.3 platform (LTI Advantage: NRPS and AGS): the admin registers tools (ESAP's Moodle published with `enrol_lti`, or any LTI 1.3 tool), a cohort's coordinator links the cohort to a tool, its people open it from the cohort's page, who launched is recorded (a launch in a virtual session's window is a check-in), and scores the tool posts become the assessments' scores. The platform's own endpoints (`/lti/jwks`, `/lti/authorize`, `/lti/token`, `/lti/contexts/{cohort_id}/memberships` and `…/lineitems`) are where tools expect them, outside `/api/v1`; see docs/api-v1.md, «Virtual classroom (LTI 1.3)»."),
        (name = "sessions", description = "The sessions of a cohort."),
        (name = "enrolments", description = "Enrolling, the waiting list, rosters, imports."),
        (name = "attendance", description = "Marks, check-in, offline sheets, the participant's progress."),
        (name = "assessments", description = "Assessment items, scores and results."),
        (name = "certificates", description = "Issuing, verifying, revoking."),
        (name = "credentials", description = "Certificates as Open Badges 3.0 verifiable credentials: the credential, revocation status lists, verification."),
        (name = "reports", description = "Reports for ESAP and the gobernaciones."),
        (name = "indicators", description = "Indicators of municipal capacities, impact and where to train next."),
        (name = "self-assessment", description = "**Issue 68.** The self-assessment of capacities (autodiagnóstico): the versioned instrument (questions per capacity, levels 1–4 with descriptors), a municipal entity's self-assessment with evidence per answer submitted by the municipality's liaison once per quarter, validated by the department's reviewer; self-reported, so labelled «autorreportado» wherever shown."),
        (name = "assistance", description = "Technical assistance: accompaniments with plans, milestones, visits, agreements, products and the entity's evaluation."),
        (name = "trainers", description = "**Issue 48.** Trainers who train others (formación de formadores): a cohort may train trainers; who completes it and is endorsed by a coordinator of its provider becomes a replicator of the course's capacities in their department for a period, and records the replicas they deliver. People reached by replicas are second-generation reach, counted per municipality × capacity beside direct training, never summed into it."),
        (name = "nominations", description = "Seats per municipality and nominations: a liaison proposes people of their municipality for a cohort, the person confirms, the coordinator accepts (enrolled under the quota) or declines with a reason."),
        (name = "plans", description = "The year's plan: a provider's plan de trabajo for a vigencia (ESAP's national one or a territorial direction's, a gobernación's for its department) with lines by capacity, their targets, goals and budget by source; approved by an act and then changed only by amendments, each a new version with its reason."),
        (name = "costs", description = "Cost items of cohorts and assistances — kind, basis (fixed, per participant, per session or visit), amount in whole pesos, stage (planned, committed, executed) and the plan line they answer — and the import of executed costs. The plan's progress counts their value (amount × units)."),
        (name = "imports", description = "Cohorts (with their sessions) and assistances (with milestones and visits) brought in from the spreadsheets providers keep, keyed by the provider's own reference: a template, a preview, all or nothing, and the same file twice changes nothing."),
        (name = "providers", description = "Every provider of training and technical assistance (oferentes)."),
        (name = "alliances", description = "A gobernación's alliance of providers and local actors for its department (lead, members, launch and renewal, implementation plan) and its tables (mesas de diálogo y coordinación) with attendees, agenda and agreements followed up."),
        (name = "demand", description = "Municipal demand for training, and the territorial directions."),
        (name = "surveys", description = "Satisfaction and follow-up surveys, and their report."),
        (name = "knowledge", description = "The knowledge bank: guides, tools, templates, recordings, lessons learned and good practices of every provider, with a file or a link, reviewed by their provider before they are published; the public ones are open data."),
        (name = "open-data", description = "**Extension.** The open data sets (Ley 1712 de 2014): the offer and the coverage per municipality × capacity × year, as CSV and JSON, public, at the site root (`/open-data/…`); their dictionary is the page `/datos-abiertos`. No personal data; counts from 1 to 4 are suppressed."),
        (name = "handover", description = "A municipality's handover (empalme) to a new administration: who was trained and is still in the entity, the technical assistance received with its open agreements and pending milestones, the products handed over, the demands still open and the indicators before and after."),
        (name = "positions", description = "**Issue 68.** A municipality's key positions (cargos clave): the alcaldía's posts that hold a capacity, who holds each, their appointment and possession day, how many are held by people certified in the matching capacity, the departures (a certified holder's tells the department's reviewer and the municipality's liaison) and the spreadsheet import."),
        (name = "operations", description = "This description, the health check and the readiness check."),
    ),
    paths(
        crate::accounts::api::create_token,
        crate::accounts::api::revoke_current_token,
        crate::accounts::api::me,
        crate::accounts::api::my_data,
        crate::enrolment::api::mine,
        crate::attendance::api::my_progress,
        crate::certificates::api::mine,
        crate::accounts::api::list_users,
        crate::accounts::api::create_user,
        crate::accounts::api::update_user,
        crate::accounts::api::propose_liaison,
        crate::people::api::register,
        crate::people::api::confirm,
        crate::territory::api::departments,
        crate::territory::api::municipalities,
        crate::capacities::api::list,
        crate::capacities::api::create,
        crate::capacities::api::update,
        crate::descriptors::api::list_sectors,
        crate::descriptors::api::create_sector,
        crate::descriptors::api::update_sector,
        crate::descriptors::api::delete_sector,
        crate::descriptors::api::list_population_groups,
        crate::descriptors::api::create_population_group,
        crate::descriptors::api::update_population_group,
        crate::descriptors::api::delete_population_group,
        crate::catalogue::api::list,
        crate::catalogue::api::create,
        crate::catalogue::api::show,
        crate::catalogue::api::update,
        crate::programmes::api::create,
        crate::programmes::api::publish,
        crate::programmes::api::list,
        crate::programmes::api::show,
        crate::programmes::api::create_edition,
        crate::programmes::api::edition,
        crate::programmes::api::edition_calendar,
        crate::programmes::api::enrol,
        crate::programmes::api::cancel,
        crate::programmes::api::recognise,
        crate::programmes::api::edition_progress,
        crate::programmes::api::mine,
        crate::programmes::certificates::issue,
        crate::programmes::reports::progress_xlsx,
        crate::virtual_classroom::api::register_tool,
        crate::virtual_classroom::api::list_tools,
        crate::virtual_classroom::api::create_link,
        crate::virtual_classroom::api::list_links,
        crate::virtual_classroom::api::list_launches,
        crate::virtual_classroom::api::list_line_items,
        crate::virtual_classroom::api::map_line_item,
        crate::cohorts::api::list,
        crate::cohorts::api::create,
        crate::cohorts::api::show,
        crate::cohorts::api::update,
        crate::cohorts::api::closing,
        crate::cohorts::api::reopen,
        crate::cohorts::api::list_sessions,
        crate::cohorts::api::add_session,
        crate::cohorts::api::generate_sessions,
        crate::cohorts::api::update_session,
        crate::cohorts::api::delete_session,
        crate::costs::api::list_cohort_costs,
        crate::costs::api::add_cohort_cost,
        crate::costs::api::list_assistance_costs,
        crate::costs::api::add_assistance_cost,
        crate::costs::api::update_cost,
        crate::costs::api::delete_cost,
        crate::costs::api::import_costs,
        crate::costs::api::import_template,
        crate::enrolment::api::enrol,
        crate::enrolment::api::roster,
        crate::enrolment::api::import,
        crate::enrolment::api::import_template,
        crate::enrolment::api::cancel,
        crate::enrolment::api::admit,
        crate::enrolment::api::cohort_invitations,
        crate::enrolment::api::invitation,
        crate::enrolment::api::accept_invitation,
        crate::enrolment::api::decline_invitation,
        crate::attendance::api::put_attendance,
        crate::attendance::api::get_attendance,
        crate::attendance::api::check_in,
        crate::attendance::api::check_in_code,
        crate::attendance::api::session_sheet,
        crate::attendance::api::session_import,
        crate::attendance::api::cohort_sheet,
        crate::attendance::api::cohort_import,
        crate::attendance::offline::post_batch,
        crate::attendance::offline::offline_check_in,
        crate::attendance::offline::post_evidence,
        crate::attendance::offline::list_evidence,
        crate::attendance::offline::evidence_file,
        crate::assessment::api::create,
        crate::assessment::api::list,
        crate::assessment::api::update,
        crate::assessment::api::remove,
        crate::assessment::api::put_scores,
        crate::assessment::api::get_scores,
        crate::assessment::api::scores_sheet,
        crate::assessment::api::scores_import,
        crate::assessment::api::results,
        crate::certificates::api::issue_for_cohort,
        crate::certificates::api::verify,
        crate::certificates::api::pdf,
        crate::certificates::api::revoke,
        crate::certificates::api::reissue,
        crate::credentials::api::credential,
        crate::credentials::api::status_list,
        crate::credentials::api::verify,
        crate::reports::api::attendance,
        crate::reports::api::attendance_xlsx,
        crate::reports::api::participants,
        crate::reports::api::coverage,
        crate::reports::api::coverage_xlsx,
        crate::indicators::api::list,
        crate::indicators::api::create,
        crate::indicators::api::update,
        crate::indicators::api::observations,
        crate::indicators::api::import,
        crate::indicators::api::municipality_impact,
        crate::indicators::api::comparison,
        crate::indicators::api::comparison_xlsx,
        crate::indicators::api::priorities,
        crate::handover::api::handover,
        crate::positions::api::list,
        crate::positions::api::create,
        crate::positions::api::update,
        crate::positions::api::departure,
        crate::positions::api::import,
        crate::positions::api::template,
        crate::demand::api::list,
        crate::demand::api::create,
        crate::demand::api::show,
        crate::demand::api::update,
        crate::demand::api::endorse,
        crate::demand::api::refer,
        crate::demand::api::demand_report,
        crate::demand::api::demand_report_xlsx,
        crate::demand::api::overlaps,
        crate::demand::api::overlaps_xlsx,
        crate::surveys::api::mine,
        crate::surveys::api::respond,
        crate::surveys::api::report,
        crate::surveys::api::report_xlsx,
        crate::territory::api::directions,
        crate::territory::api::holidays,
        crate::territory::api::create_direction,
        crate::territory::api::update_direction,
        crate::providers::api::list,
        crate::providers::api::create,
        crate::providers::api::update,
        crate::offer::api::offer,
        crate::offer::api::offer_xlsx,
        crate::nominations::api::nominate,
        crate::nominations::api::list,
        crate::nominations::api::decide,
        crate::people::api::name_changes,
        crate::people::api::decide_name_change,
        crate::habeas::api::create,
        crate::habeas::api::mine,
        crate::habeas::api::data_access,
        crate::habeas::api::list,
        crate::habeas::api::resolve,
        crate::self_assessment::api::current_instrument,
        crate::self_assessment::api::submit,
        crate::self_assessment::api::list,
        crate::self_assessment::api::validate,
        crate::nominations::api::confirm,
        crate::nominations::api::seat_quotas,
        crate::alliances::api::list,
        crate::alliances::api::create,
        crate::alliances::api::show,
        crate::alliances::api::update,
        crate::alliances::api::add_meeting,
        crate::alliances::api::list_meetings,
        crate::alliances::api::change_agreement,
        crate::assistance::api::list,
        crate::assistance::api::create,
        crate::assistance::api::show,
        crate::assistance::api::update,
        crate::assistance::api::change_status,
        crate::assistance::api::add_milestone,
        crate::assistance::api::mark_milestone,
        crate::assistance::api::list_agreements,
        crate::assistance::api::record_diagnosis,
        crate::assistance::api::write_work_plan,
        crate::assistance::api::accept_work_plan,
        crate::assistance::api::accept_work_plan_by_link,
        crate::assistance::api::confirm_contact,
        crate::assistance::api::agreements_list,
        crate::assistance::api::change_agreement,
        crate::assistance::api::add_visit,
        crate::assistance::api::list_visits,
        crate::assistance::api::evaluate_as_liaison,
        crate::assistance::api::evaluate_by_link,
        crate::assistance::api::list_xlsx,
        crate::assistance::api::record_xlsx,
        crate::trainers::api::list_replicators,
        crate::trainers::api::endorse,
        crate::trainers::api::show_replicator,
        crate::trainers::api::change_until,
        crate::trainers::api::list_replicas,
        crate::trainers::api::record_replica,
        crate::trainers::api::pending_replicas,
        crate::trainers::api::review_replica,
        crate::offer_import::api::import_cohorts,
        crate::offer_import::api::cohorts_template,
        crate::offer_import::api::import_assistances,
        crate::offer_import::api::assistances_template,
        crate::offer_import::api::follow_up_xlsx,
        crate::plans::api::list,
        crate::plans::api::create,
        crate::plans::api::show,
        crate::plans::api::progress,
        crate::plans::api::progress_xlsx,
        crate::plans::api::comparison,
        crate::plans::api::add_line,
        crate::plans::api::change_line,
        crate::plans::api::approve,
        crate::plans::api::amend,
        crate::open_data::api::offer_csv,
        crate::open_data::api::offer_json,
        crate::open_data::api::coverage_csv,
        crate::open_data::api::coverage_json,
        crate::open_data::api::plans_csv,
        crate::open_data::api::plans_json,
        crate::open_data::api::resources_csv,
        crate::open_data::api::resources_json,
        crate::knowledge::api::list,
        crate::knowledge::api::create,
        crate::knowledge::api::show,
        crate::knowledge::api::file,
        crate::knowledge::api::publish,
        crate::knowledge::api::unpublish,
        crate::knowledge::api::remove,
        description,
        crate::web::health,
        crate::web::ops::ready,
    ),
    components(schemas(crate::web::problem::Problem, domain::parse::QueryBool)),
    modifiers(&Conventions),
)]
pub struct ApiDoc;

/// What `GET /api/v1/openapi.json` answers: built once.
static DESCRIPTION: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(ApiDoc::openapi);

pub fn routes() -> Vec<Route> {
    routes![description]
}

/// This description
///
/// Public (no authentication). The OpenAPI description of this API, generated from the code
/// that serves it.
#[utoipa::path(
    tag = "operations",
    operation_id = "getOpenApi",
    security(()),
    responses((status = 200, description = "The OpenAPI description, as JSON.", body = Object))
)]
#[get("/openapi.json")]
fn description() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(&DESCRIPTION)
}

/// The conventions every operation of a kind shares, added to each operation so that the
/// handlers list only what their own rules answer: the bearer scheme, 401 for operations that
/// need a token (the guards), 400/413/415/422 for a JSON body (`api::JsonBody`), 413/415/422
/// for a spreadsheet upload, 404 and 422 for a path parameter (unknown or out of scope; not an
/// id at all, which Rocket refuses before the handler), 422 for query parameters, and 503 (a
/// busy database) for all; a body that is a list gets `maxItems` (`validate::LIST_MAX`).
pub struct Conventions;

impl Modify for Conventions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearerAuth",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "Opaque token from `POST /tokens`, valid 30 days unless revoked or the \
                         account is deactivated.",
                    ))
                    .build(),
            ),
        );
        for (name, response) in responses::all() {
            components.responses.insert(name.to_string(), response);
        }
        for item in openapi.paths.paths.values_mut() {
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                add_conventional_responses(operation);
            }
        }
    }
}

fn add_conventional_responses(operation: &mut Operation) {
    use responses::*;
    let public = operation
        .security
        .as_ref()
        .is_some_and(|requirements| requirements.contains(&SecurityRequirement::default()));
    let body_types: Vec<&str> = operation
        .request_body
        .iter()
        .flat_map(|body| body.content.keys().map(String::as_str))
        .collect();
    let json_body = body_types.contains(&"application/json");
    let upload = body_types.contains(&"multipart/form-data");
    let parameters_in = |place: ParameterIn| {
        operation
            .parameters
            .iter()
            .flatten()
            .any(|parameter| parameter.parameter_in == place)
    };
    let (path_parameters, query_parameters) = (
        parameters_in(ParameterIn::Path),
        parameters_in(ParameterIn::Query),
    );
    let mut add = |status: &str, name: &str, applies: bool| {
        if applies {
            operation
                .responses
                .responses
                .entry(status.to_string())
                .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
        }
    };
    add("400", BadRequest::response().0, json_body);
    add("401", Unauthorized::response().0, !public);
    add("404", NotFound::response().0, path_parameters);
    add("413", PayloadTooLarge::response().0, json_body || upload);
    add(
        "415",
        UnsupportedMediaType::response().0,
        json_body || upload,
    );
    add(
        "422",
        ValidationFailed::response().0,
        json_body || upload || query_parameters || path_parameters,
    );
    add("503", ServiceUnavailable::response().0, true);
    // A body that is a list (attendance marks, scores) holds at most `LIST_MAX` items, as
    // every list in a body (the fields say it with their own `maxItems`).
    if let Some(body) = operation.request_body.as_mut() {
        for content in body.content.values_mut() {
            if let Some(RefOr::T(utoipa::openapi::schema::Schema::Array(list))) =
                content.schema.as_mut()
            {
                list.max_items = Some(domain::validate::LIST_MAX);
            }
        }
    }
}
