//! The self-assessment of capacities (autodiagnóstico; issue 68, item 2): the liaison submits
//! it with evidence for every answer, once per quarter; only the department's reviewer
//! validates it (another department's reviewer gets 404, staff and liaisons 403); its levels
//! appear over time on the municipality page and, once validated, as the self-assessed
//! indicator (labelled «autorreportado») the impact comparison can choose; the maintained
//! observations equal a rebuild; the administrator's edit makes a new version while answers
//! keep theirs.

use crate::common::TestApp;
use crate::support::*;
use domain::entities::values::Role;
use domain::entities::{
    indicator, indicator_observation, self_assessment, self_assessment_answer,
    self_assessment_level,
};
use rocket::http::Status;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

const EL_PAUJIL: &str = "18256";

/// The current instrument's questions: (id, capacity id).
async fn questions(app: &TestApp, token: &str) -> Vec<(i64, i64)> {
    let (status, instrument) =
        api_get(app, "/api/v1/self-assessment/instrument", Some(token)).await;
    assert_eq!(status, Status::Ok, "{instrument}");
    json_array(&instrument["capacities"])
        .iter()
        .flat_map(|c| json_array(&c["questions"]).clone())
        .map(|q| {
            (
                q["id"].as_i64().unwrap(),
                q["capacity_id"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// Answers to every question: the level `level(i)` of the i-th, with evidence.
fn answers(questions: &[(i64, i64)], level: impl Fn(usize) -> i64) -> Vec<Value> {
    questions
        .iter()
        .enumerate()
        .map(|(i, (id, _))| {
            json!({"question_id": id, "level": level(i), "evidence": format!("Acta {i} del comité")})
        })
        .collect()
}

async fn submit(app: &TestApp, liaison: &str, answers: Vec<Value>) -> (Status, Value) {
    api_post(
        app,
        &format!("/api/v1/municipalities/{EL_PAUJIL}/self-assessments"),
        Some(liaison),
        json!({"answers": answers}),
    )
    .await
}

#[rocket::async_test]
async fn a_self_assessment_needs_its_evidence_and_one_per_quarter() {
    let app = TestApp::with_demo().await;
    let liaison = role_token(&app, Role::Liaison).await;
    let questions = questions(&app, &liaison).await;
    assert_eq!(
        questions.len(),
        10,
        "two questions for each of the five capacities"
    );
    let before = self_assessment::Entity::find().fetch_count(app.db()).await;
    let answers_before = self_assessment_answer::Entity::find()
        .fetch_count(app.db())
        .await;

    // The third answer without evidence (blank is none): 422 in Spanish, nothing written.
    let mut missing = answers(&questions, |_| 3);
    missing[2]["evidence"] = json!("   ");
    let (status, body) = submit(&app, &liaison, missing).await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    assert_eq!(error_fields(&body), vec!["answers[2].evidence".to_string()]);
    assert!(
        json_str(&body["errors"][0]["message"]).starts_with("Escriba la evidencia"),
        "{body}"
    );
    // A level out of 1–4 and a question left out are refused too, all at once.
    let mut wrong = answers(&questions, |_| 2);
    wrong[0]["level"] = json!(5);
    wrong.pop();
    let (status, body) = submit(&app, &liaison, wrong).await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    assert_eq!(
        error_fields(&body),
        vec!["answers[0].level".to_string(), "answers".to_string()]
    );
    assert_eq!(
        self_assessment::Entity::find().fetch_count(app.db()).await,
        before
    );
    assert_eq!(
        self_assessment_answer::Entity::find()
            .fetch_count(app.db())
            .await,
        answers_before
    );

    // Complete: submitted, a level per capacity (the mean of its two answers, rounded down).
    let levels = [2, 3, 4, 4, 1, 2, 3, 3, 1, 1];
    let (status, created) = submit(&app, &liaison, answers(&questions, |i| levels[i])).await;
    assert_eq!(status, Status::Created, "{created}");
    assert_eq!(created["status"], "submitted");
    assert_eq!(created["self_reported"], true);
    let got: Vec<(i64, i64)> = json_array(&created["levels"])
        .iter()
        .map(|l| {
            (
                l["capacity_id"].as_i64().unwrap(),
                l["level"].as_i64().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(i64, i64)> = questions
        .chunks(2)
        .zip(levels.chunks(2))
        .map(|(q, l)| (q[0].1, (l[0] + l[1]) / 2))
        .collect();
    assert_eq!(got, expected, "2,3→2 · 4,4→4 · 1,2→1 · 3,3→3 · 1,1→1");

    // A second one in the same quarter: 409, saying when the next one may be sent.
    let (status, again) = submit(&app, &liaison, answers(&questions, |_| 4)).await;
    assert_eq!(status, Status::Conflict, "{again}");
    assert!(
        again["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("una vez por trimestre"),
        "{again}"
    );
    // Returned by the reviewer, the quarter is free again.
    let reviewer = role_token(&app, Role::Reviewer).await;
    let returned = api_post(
        &app,
        &format!("/api/v1/self-assessments/{}/validation", created["id"]),
        Some(&reviewer),
        json!({"accepted": false, "note": "Falta el acta del comité de planeación."}),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(returned["status"], "rejected");
    let (status, body) = submit(&app, &liaison, answers(&questions, |_| 2)).await;
    assert_eq!(status, Status::Created, "{body}");
}

#[rocket::async_test]
async fn only_the_departments_reviewer_validates() {
    let app = TestApp::with_demo().await;
    let liaison = role_token(&app, Role::Liaison).await;
    let questions = questions(&app, &liaison).await;
    let (status, created) = submit(&app, &liaison, answers(&questions, |_| 3)).await;
    assert_eq!(status, Status::Created, "{created}");
    let validation = format!("/api/v1/self-assessments/{}/validation", created["id"]);
    let list = format!("/api/v1/municipalities/{EL_PAUJIL}/self-assessments");
    let accept = json!({"accepted": true, "note": ""});

    // Another department's reviewer: 404 on the list and on the validation.
    let meta = token(&app, META_REVIEWER.0, META_REVIEWER.1).await;
    api_get(&app, &list, Some(&meta))
        .await
        .expect_status(Status::NotFound);
    api_post(&app, &validation, Some(&meta), accept.clone())
        .await
        .expect_status(Status::NotFound);
    // Staff and the liaison read it but cannot validate it; a participant cannot even read.
    for role in [Role::Coordinator, Role::Admin, Role::Liaison] {
        let caller = role_token(&app, role).await;
        let (status, items) = api_get(&app, &list, Some(&caller)).await;
        assert_eq!(status, Status::Ok, "{role:?} reads: {items}");
        let (status, _) = api_post(&app, &validation, Some(&caller), accept.clone()).await;
        assert_eq!(status, Status::Forbidden, "{role:?} cannot validate");
    }
    let participant = role_token(&app, Role::Participant).await;
    api_get(&app, &list, Some(&participant))
        .await
        .expect_status(Status::Forbidden);
    // Nobody but the liaison submits.
    let reviewer = role_token(&app, Role::Reviewer).await;
    let (status, _) = submit(&app, &reviewer, answers(&questions, |_| 3)).await;
    assert_eq!(status, Status::Forbidden);
    let stored = self_assessment::Entity::find_by_id(created["id"].as_i64().unwrap() as i32)
        .expect_one(app.db())
        .await;
    assert_eq!(stored.status, "submitted", "nobody above changed it");

    // Returning it needs a note.
    let body = api_post(
        &app,
        &validation,
        Some(&reviewer),
        json!({"accepted": false}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert_eq!(error_fields(&body), vec!["note".to_string()]);
    // Caquetá's reviewer validates it, once.
    let done = api_post(&app, &validation, Some(&reviewer), accept.clone())
        .await
        .expect_status(Status::Ok);
    assert_eq!(done["status"], "validated");
    assert!(done["reviewed_by"].as_str().is_some());
    api_post(&app, &validation, Some(&reviewer), accept)
        .await
        .expect_status(Status::Conflict);
}

/// The observations of the self-assessed indicators, sorted.
async fn self_assessed_values(app: &TestApp) -> Vec<(i32, String, i32, String)> {
    let ids: Vec<i32> = indicator::Entity::find()
        .filter(indicator::Column::Code.starts_with("autodiagnostico_"))
        .fetch_all(app.db())
        .await
        .into_iter()
        .map(|i| i.id)
        .collect();
    let mut values: Vec<(i32, String, i32, String)> = indicator_observation::Entity::find()
        .filter(indicator_observation::Column::IndicatorId.is_in(ids))
        .fetch_all(app.db())
        .await
        .into_iter()
        .map(|o| {
            (
                o.indicator_id,
                o.municipality_code,
                o.year,
                format!("{:.4}", o.value),
            )
        })
        .collect();
    values.sort();
    values
}

#[rocket::async_test]
async fn the_series_shows_on_the_municipality_page_and_validated_levels_are_a_self_reported_indicator()
 {
    let app = TestApp::with_demo().await;
    let liaison = role_token(&app, Role::Liaison).await;
    let reviewer = role_token(&app, Role::Reviewer).await;

    // The demo: El Paujíl rated itself two quarters ago (validated) and last quarter (waiting).
    let items = api_get(
        &app,
        &format!("/api/v1/municipalities/{EL_PAUJIL}/self-assessments"),
        Some(&reviewer),
    )
    .await
    .expect_status(Status::Ok);
    let items = json_items(&items).clone();
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items[0]["status"], "submitted", "the newest waits");
    assert_eq!(items[1]["status"], "validated");
    let (newest, oldest) = (
        json_str(&items[0]["period"]).to_string(),
        json_str(&items[1]["period"]).to_string(),
    );
    assert_ne!(newest, oldest, "a quarter apart");

    // This quarter's, submitted by the liaison, joins the series on the page.
    let questions = questions(&app, &liaison).await;
    let (status, created) = submit(
        &app,
        &liaison,
        answers(&questions, |i| if i < 2 { 4 } else { 2 }),
    )
    .await;
    assert_eq!(status, Status::Created, "{created}");
    let (email, password) = demo_account(Role::Reviewer);
    sign_in_page(&app, email, password).await;
    let (status, html) = page(&app, &format!("/municipios/{EL_PAUJIL}")).await;
    assert_eq!(status, Status::Ok);
    assert!(
        html.contains("Autodiagnóstico de capacidades (autorreportado)"),
        "{html}"
    );
    let series = &html[html.find("id=\"autodiagnostico\"").unwrap()..];
    let series = &series[..series.find("</section>").unwrap()];
    let (at_oldest, at_newest, at_this) = (
        series.find(&oldest).expect("the first rating"),
        series.find(&newest).expect("the second rating"),
        series
            .find(json_str(&created["period"]))
            .expect("this quarter's"),
    );
    assert!(
        at_oldest < at_newest && at_newest < at_this,
        "oldest first: {series}"
    );
    assert!(
        series.contains("<td>4</td>"),
        "this quarter's planning level: {series}"
    );
    assert!(series.contains("Validado por la gobernación"), "{series}");
    assert!(
        series.contains("<th scope=\"col\" data-key>Trimestre</th>"),
        "its key column marked for the phone's sideways table"
    );

    // The demo's validated one is the self-assessed indicator's observation of its year.
    let planning = indicator::Entity::find()
        .filter(indicator::Column::Code.eq("autodiagnostico_planeacion_territorial"))
        .one(app.db())
        .await
        .unwrap()
        .expect("made by the first validation");
    assert!(
        planning.name.contains("autorreportado"),
        "{}",
        planning.name
    );
    let kept = self_assessed_values(&app).await;
    assert!(
        kept.iter()
            .any(|(id, code, _, _)| *id == planning.id && code == EL_PAUJIL),
        "{kept:?}"
    );

    // Two years of validated levels for six Caquetá municipalities (written as the rules keep
    // them, then rebuilt): the comparison takes the self-assessed level as its indicator.
    let year = chrono::Datelike::year(&domain::time::today());
    let capacity = questions[0].1 as i32;
    let codes = ["18001", "18029", "18094", "18150", "18205", "18247"];
    for (n, code) in codes.iter().enumerate() {
        for (y, level) in [(year - 2, 1), (year - 1, 1 + (n as i32 % 3))] {
            let department = &code[..2];
            let row = self_assessment::ActiveModel {
                municipality_code: Set(code.to_string()),
                department_code: Set(department.to_string()),
                entity_type: Set("alcaldia".into()),
                instrument_id: Set(self_assessment::Entity::find()
                    .expect_one(app.db())
                    .await
                    .instrument_id),
                year: Set(y),
                quarter: Set(2),
                status: Set("validated".into()),
                submitted_by: Set(None),
                submitted_at: Set(domain::time::now()),
                submitted_on: Set(chrono::NaiveDate::from_ymd_opt(y, 5, 2).unwrap()),
                ..Default::default()
            }
            .insert(app.db())
            .await
            .unwrap();
            self_assessment_level::ActiveModel {
                self_assessment_id: Set(row.id),
                capacity_id: Set(capacity),
                level: Set(level),
            }
            .insert(app.db())
            .await
            .unwrap();
        }
    }
    domain::db::write(app.db(), async |txn| {
        domain::self_assessment::indicator::rebuild(txn).await
    })
    .await
    .unwrap();
    let coordinator = role_token(&app, Role::Coordinator).await;
    let comparison = api_get(&app, &format!(
            "/api/v1/reports/impact?capacity={capacity}&indicator={}&from_year={}&to_year={}&department=18",
            planning.id,
            year - 2,
            year - 1
        ), Some(&coordinator)).await.expect_status(Status::Ok);
    assert!(
        json_str(&comparison["indicator_name"]).contains("autorreportado"),
        "{comparison}"
    );
    assert!(json_str(&comparison["indicator_unit"]).contains("autorreportado"));
    let rows = json_array(&comparison["rows"]);
    assert_eq!(rows.len(), codes.len(), "{rows:?}");
    let changes: Vec<f64> = rows.iter().map(|r| r["change"].as_f64().unwrap()).collect();
    assert_eq!(changes.iter().sum::<f64>(), 6.0, "0+1+2 twice: {changes:?}");
}

#[rocket::async_test]
async fn maintained_self_assessed_levels_equal_a_rebuild() {
    let app = TestApp::with_demo().await;
    let liaison = role_token(&app, Role::Liaison).await;
    let reviewer = role_token(&app, Role::Reviewer).await;
    // The demo's waiting one validated, then this quarter's: each validation keeps its year.
    let (_, items) = api_get(
        &app,
        &format!("/api/v1/municipalities/{EL_PAUJIL}/self-assessments"),
        Some(&reviewer),
    )
    .await;
    let waiting = items["items"][0]["id"].as_i64().unwrap();
    api_post(
        &app,
        &format!("/api/v1/self-assessments/{waiting}/validation"),
        Some(&reviewer),
        json!({"accepted": true}),
    )
    .await
    .expect_status(Status::Ok);
    let questions = questions(&app, &liaison).await;
    let (_, created) = submit(&app, &liaison, answers(&questions, |_| 4)).await;
    api_post(
        &app,
        &format!("/api/v1/self-assessments/{}/validation", created["id"]),
        Some(&reviewer),
        json!({"accepted": true}),
    )
    .await
    .expect_status(Status::Ok);
    let kept = self_assessed_values(&app).await;
    let this_year = chrono::Datelike::year(&domain::time::today());
    assert!(
        kept.iter().any(|(_, code, year, value)| code == EL_PAUJIL
            && *year == this_year
            && value == "4.0000"),
        "the latest validated of the year wins: {kept:?}"
    );
    domain::db::write(app.db(), async |txn| {
        domain::self_assessment::indicator::rebuild(txn).await
    })
    .await
    .unwrap();
    assert_eq!(self_assessed_values(&app).await, kept);
}

#[rocket::async_test]
async fn the_liaison_fills_the_form_and_the_reviewer_validates_it_on_the_pages() {
    let app = TestApp::with_demo().await;
    let (email, password) = demo_account(Role::Liaison);
    sign_in_page(&app, email, password).await;
    let path = format!("/municipios/{EL_PAUJIL}/autodiagnostico/nuevo");
    let (status, html) = page(&app, &path).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(
        html.matches("type=\"radio\"").count(),
        40,
        "ten questions × four levels"
    );
    assert!(
        html.contains("<strong>Nivel 4</strong>:"),
        "levels with descriptors"
    );
    let ids: Vec<String> = hidden_inputs(&html)
        .into_iter()
        .filter(|(name, _)| name.ends_with(".question_id"))
        .map(|(_, value)| value)
        .collect();
    assert_eq!(ids.len(), 10);
    let csrf = csrf_from(&app, &path).await;
    let mut fields: Vec<(String, String)> = vec![("csrf_token".into(), csrf)];
    for (i, id) in ids.iter().enumerate() {
        fields.push((format!("answers[{i}].question_id"), id.clone()));
        fields.push((format!("answers[{i}].level"), "3".into()));
        let evidence = if i == 4 {
            String::new()
        } else {
            format!("Informe {i}")
        };
        fields.push((format!("answers[{i}].evidence"), evidence));
    }
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let target = format!("/municipios/{EL_PAUJIL}/autodiagnostico");
    let refused = post_form(&app, &target, &borrowed).await;
    assert_eq!(refused.status(), Status::UnprocessableEntity);
    let html = refused.into_string().await.unwrap();
    assert!(
        html.contains(&format!("id=\"error-evidencia-{}\"", ids[4])),
        "beside its field"
    );
    assert!(html.contains(">Informe 3</textarea>"), "as typed");
    assert!(html.contains(" checked"), "levels kept");
    fields[1 + 4 * 3 + 2].1 = "Acta del comité".into();
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let saved = post_form(&app, &target, &borrowed).await;
    assert_eq!(saved.status(), Status::SeeOther);
    let location = saved.headers().get_one("Location").unwrap().to_string();
    let id: i32 = location.rsplit('/').next().unwrap().parse().unwrap();

    // The reviewer's page: its answers with their evidence, and the validation.
    let (email, password) = demo_account(Role::Reviewer);
    sign_in_page(&app, email, password).await;
    let (status, html) = page(&app, "/autodiagnosticos").await;
    assert_eq!(status, Status::Ok);
    assert!(
        html.contains(&format!("/autodiagnosticos/{id}\"")),
        "waiting for her"
    );
    let detail = format!("/autodiagnosticos/{id}");
    let (status, html) = page(&app, &detail).await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Acta del comité"), "the evidence");
    let csrf = csrf_from(&app, &detail).await;
    let validation = format!("/autodiagnosticos/{id}/validacion");
    let refused = post_form(
        &app,
        &validation,
        &[("csrf_token", &csrf), ("accepted", "false")],
    )
    .await;
    assert_eq!(
        refused.status(),
        Status::UnprocessableEntity,
        "returning needs a note"
    );
    let done = post_form(
        &app,
        &validation,
        &[("csrf_token", &csrf), ("accepted", "true")],
    )
    .await;
    assert_eq!(done.status(), Status::SeeOther);
    let stored = self_assessment::Entity::find_by_id(id)
        .expect_one(app.db())
        .await;
    assert_eq!(stored.status, "validated");
}

#[rocket::async_test]
async fn an_edit_of_the_instrument_is_a_new_version_and_answers_keep_theirs() {
    let app = TestApp::with_demo().await;
    let liaison = role_token(&app, Role::Liaison).await;
    let before = questions(&app, &liaison).await;
    let (email, password) = demo_account(Role::Admin);
    sign_in_page(&app, email, password).await;
    let (status, html) = page(&app, "/admin/autodiagnostico").await;
    assert_eq!(status, Status::Ok, "{html}");
    assert!(
        html.contains("Versión vigente: <strong>1</strong>"),
        "{html}"
    );
    let csrf = csrf_from(&app, "/admin/autodiagnostico").await;
    let edited = post_form(
        &app,
        &format!("/admin/autodiagnostico/preguntas/{}", before[0].0),
        &[
            ("csrf_token", &csrf),
            (
                "text",
                "¿Tiene la entidad un plan de desarrollo con seguimiento?",
            ),
            ("level_1", "No hay plan."),
            ("level_2", "Hay plan sin seguimiento."),
            ("level_3", "Hay seguimiento semestral."),
            ("level_4", ""),
        ],
    )
    .await;
    let status = edited.status();
    let body = edited.into_string().await.unwrap_or_default();
    assert_eq!(
        status,
        Status::UnprocessableEntity,
        "every level described: {body}"
    );
    assert!(body.contains("Describa el nivel 4."), "{body}");
    let edited = post_form(
        &app,
        &format!("/admin/autodiagnostico/preguntas/{}", before[0].0),
        &[
            ("csrf_token", &csrf),
            (
                "text",
                "¿Tiene la entidad un plan de desarrollo con seguimiento?",
            ),
            ("level_1", "No hay plan."),
            ("level_2", "Hay plan sin seguimiento."),
            ("level_3", "Hay seguimiento semestral."),
            ("level_4", "Hay seguimiento trimestral publicado."),
        ],
    )
    .await;
    assert_eq!(edited.status(), Status::SeeOther);
    let (_, instrument) = api_get(&app, "/api/v1/self-assessment/instrument", Some(&liaison)).await;
    assert_eq!(instrument["version"], 2);
    let first = &instrument["capacities"][0]["questions"][0];
    assert_eq!(
        first["text"],
        "¿Tiene la entidad un plan de desarrollo con seguimiento?"
    );
    assert_eq!(
        first["levels"][3]["descriptor"],
        "Hay seguimiento trimestral publicado."
    );
    let after = questions(&app, &liaison).await;
    assert_eq!(after.len(), before.len());
    assert!(
        after.iter().all(|q| !before.contains(q)),
        "every question copied"
    );
    // An answer to the old version is refused; the demo's keep version 1 and its question.
    let (status, body) = submit(&app, &liaison, answers(&before, |_| 2)).await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    let reviewer = role_token(&app, Role::Reviewer).await;
    let (_, items) = api_get(
        &app,
        &format!("/api/v1/municipalities/{EL_PAUJIL}/self-assessments"),
        Some(&reviewer),
    )
    .await;
    assert_eq!(items["items"][1]["instrument_version"], 1);
    let (status, _) = submit(&app, &liaison, answers(&after, |_| 2)).await;
    assert_eq!(status, Status::Created);
    // A liaison or a reviewer does not edit it.
    let (email, password) = demo_account(Role::Reviewer);
    sign_in_page(&app, email, password).await;
    let (status, _) = page(&app, "/admin/autodiagnostico").await;
    assert_eq!(status, Status::Forbidden);
}

#[rocket::async_test]
async fn an_assistance_starts_from_the_latest_self_assessment_and_its_closing_asks_for_a_new_one() {
    use domain::entities::assistance;
    use domain::entities::values::{AssistanceStatus, AssistedEntity};
    let app = TestApp::with_demo().await;
    let of = |entity: AssistedEntity, status: AssistanceStatus| {
        assistance::Entity::find()
            .filter(assistance::Column::MunicipalityCode.eq(EL_PAUJIL))
            .filter(assistance::Column::EntityType.eq(entity))
            .filter(assistance::Column::Status.eq(status))
            .one(app.db())
    };
    let in_progress = of(AssistedEntity::Alcaldia, AssistanceStatus::InProgress)
        .await
        .unwrap()
        .expect("the demo's assistance to El Paujíl's alcaldía");
    let closed = of(AssistedEntity::Concejo, AssistanceStatus::Closed)
        .await
        .unwrap()
        .expect("the demo's closed assistance to El Paujíl's concejo");
    let liaison = role_token(&app, Role::Liaison).await;
    let (_, items) = api_get(
        &app,
        &format!("/api/v1/municipalities/{EL_PAUJIL}/self-assessments"),
        Some(&liaison),
    )
    .await;
    let validated = json_str(&items["items"][1]["period"]).to_string();

    let (email, password) = demo_account(Role::Liaison);
    sign_in_page(&app, email, password).await;
    // The diagnosis starts from the alcaldía's latest validated self-assessment.
    let (status, html) = page(&app, &format!("/asistencias/{}", in_progress.id)).await;
    assert_eq!(status, Status::Ok);
    assert!(
        html.contains(&format!(
            "Punto de partida: el autodiagnóstico de la entidad de {validated} (Validado por la gobernación; autorreportado)"
        )),
        "{html}"
    );
    assert!(!html.contains("nuevo autodiagnóstico de capacidades ahora que"));
    // Closed, the concejo is asked for a new one, until it rates itself this quarter.
    let (_, html) = page(&app, &format!("/asistencias/{}", closed.id)).await;
    assert!(
        html.contains(
            "la entidad hace un nuevo autodiagnóstico de capacidades ahora que la asistencia cerró"
        ),
        "{html}"
    );
    assert!(html.contains(&format!("/municipios/{EL_PAUJIL}/autodiagnostico/nuevo")));
    let questions = questions(&app, &liaison).await;
    let body = api_post(
        &app,
        &format!("/api/v1/municipalities/{EL_PAUJIL}/self-assessments"),
        Some(&liaison),
        json!({"entity_type": "concejo", "answers": answers(&questions, |_| 2)}),
    )
    .await
    .expect_status(Status::Created);
    assert_eq!(body["entity_type"], "concejo");
    let (_, html) = page(&app, &format!("/asistencias/{}", closed.id)).await;
    assert!(
        !html.contains("ahora que la asistencia cerró"),
        "asked no more"
    );
    assert!(html.contains("Punto de partida: el autodiagnóstico de la entidad de"));
}
