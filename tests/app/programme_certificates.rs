//! A programme certified as a whole (issue 64, item 5): the certificate is issued only to who
//! met the programme's rule (required modules, electives, prerequisites), once; it is verified
//! at the certificates' own URL with its programme and modules, is marked for review once a
//! module's certificate behind it is revoked, prints its modules in its PDF and is an Open
//! Badges 3.0 credential whose achievement is a `LearningProgram`.

use crate::common::TestApp;
use crate::support::*;
use crate::world::{Session, World, catalogue_course, days};
use chrono::{Duration, Timelike};
use domain::accounts::actor::Actor;
use domain::config::AppConfig;
use domain::entities::values::{Mark, Role};
use domain::entities::{cohort, cohort_session, enrolment, outbox, participant, user};
use domain::programmes::editions::{self, EditionInput};
use domain::programmes::{self, ModuleInput, ProgrammeInput};
use domain::templates::Templates;
use rocket::http::Status;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

/// The diplomado of the tests: Planeación Territorial and Gestión Presupuestal required,
/// Gestión Tributaria and Rendición de Cuentas elective (one completes it), Rendición de
/// Cuentas only after Gestión Tributaria; its edition, closed, with the course certificates
/// of its modules issued.
struct Diplomado {
    edition_id: i32,
    name: String,
    /// The course names: PT, GP, GT, RPC.
    modules: [String; 4],
    /// The people: all four modules' marks in the order PT, GP, GT, RPC.
    people: Vec<i32>,
    /// The course certificate code of each (person, module) that got one.
    codes: Vec<(i32, String, String)>,
    staff: String,
}

async fn staff_actor(app: &TestApp) -> Actor {
    let (email, _) = demo_account(Role::Coordinator);
    let model = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .expect_one(app.db())
        .await;
    Actor::load(app.db(), model, None).await.unwrap()
}

/// Builds the diplomado and its edition, enrols `marks.len()` people, marks each module's one
/// session as `marks` say (PT, GP, GT, RPC), closes every module and issues its certificates.
async fn diplomado(app: &TestApp, marks: &[[Mark; 4]]) -> Diplomado {
    let world = World::new(app).await;
    let actor = staff_actor(app).await;
    let mut courses = Vec::new();
    for code in ["PT", "GP", "GT", "RPC"] {
        courses.push(catalogue_course(app.db(), code).await);
    }
    let programme = programmes::create(
        app.db(),
        &actor,
        &ProgrammeInput {
            code: "DGPT-CERT".into(),
            name: "Diplomado en Gestión Pública Territorial".into(),
            kind: "diplomado".into(),
            description: "Cuatro módulos para los equipos de las alcaldías.".into(),
            hours: None,
            modules: vec![
                ModuleInput {
                    course_id: courses[0].id,
                    order: 1,
                    required: true,
                    after: Vec::new(),
                },
                ModuleInput {
                    course_id: courses[1].id,
                    order: 2,
                    required: true,
                    after: Vec::new(),
                },
                ModuleInput {
                    course_id: courses[2].id,
                    order: 3,
                    required: false,
                    after: Vec::new(),
                },
                ModuleInput {
                    course_id: courses[3].id,
                    order: 4,
                    required: false,
                    after: vec![courses[2].id],
                },
            ],
            electives_required: Some(1),
            recognition_years: None,
        },
    )
    .await
    .unwrap();
    programmes::publish(app.db(), &actor, programme.id)
        .await
        .unwrap();

    // One cohort per module; Rendición de Cuentas starts when Gestión Tributaria ends.
    let mut cohorts = Vec::new();
    for (n, code) in ["PT", "GP", "GT", "RPC"].iter().enumerate() {
        let builder = world.cohort().course(code).name(&format!("Módulo {code}"));
        let built = match n {
            2 => builder
                .dates(days(-30), days(2))
                .enrolment(days(-40), days(2))
                .session(Session::on(days(1), (9, 0), (12, 0))),
            3 => builder
                .dates(days(2), days(30))
                .enrolment(days(-40), days(2))
                .session(Session::on(days(3), (9, 0), (12, 0))),
            _ => builder.session(Session::on(days(1), (9, 0), (12, 0))),
        }
        .create()
        .await;
        cohorts.push(i32::try_from(built.id).unwrap());
    }
    let edition = editions::create(
        app.db(),
        &actor,
        programme.id,
        &EditionInput {
            name: "Diplomado en Gestión Pública Territorial · Caquetá".into(),
            cohort_ids: cohorts.clone(),
        },
    )
    .await
    .unwrap();

    let people = world.people("diplo").count(marks.len()).create().await;
    let (templates, config) = (
        app.client.rocket().state::<Templates>().unwrap(),
        app.client.rocket().state::<AppConfig>().unwrap(),
    );
    let notifier = domain::mail::Notifier { templates, config };
    for person in &people {
        let person = participant::Entity::find_by_id(person.id)
            .expect_one(app.db())
            .await;
        let requester = domain::enrolment::Requester::Staff {
            user: &actor,
            override_reason: None,
        };
        let enrolled = domain::db::write(app.db(), async |txn| {
            domain::programmes::enrolment::enrol(txn, &notifier, edition.id, &person, &requester)
                .await
        })
        .await
        .unwrap();
        assert_eq!(enrolled.status.as_str(), "enrolled");
    }

    // The modules are taught: their one session moved to yesterday, its marks, closed.
    let yesterday = (domain::time::now() - Duration::days(1))
        .with_nanosecond(0)
        .unwrap();
    for (n, cohort_id) in cohorts.iter().enumerate() {
        let row = cohort::Entity::find_by_id(*cohort_id)
            .expect_one(app.db())
            .await;
        let mut row: cohort::ActiveModel = row.into();
        row.start_date = Set(days(-30));
        row.update(app.db()).await.unwrap();
        let sessions = cohort_session::Entity::find()
            .filter(cohort_session::Column::CohortId.eq(*cohort_id))
            .fetch_all(app.db())
            .await;
        let mut ids = Vec::new();
        for session in sessions {
            ids.push(i64::from(session.id));
            let mut session: cohort_session::ActiveModel = session.into();
            session.starts_at = Set(yesterday);
            session.ends_at = Set(yesterday + Duration::hours(1));
            session.update(app.db()).await.unwrap();
        }
        world
            .move_cohort(i64::from(*cohort_id), "in_progress")
            .await;
        let mut pattern = Vec::new();
        for (person, marks) in people.iter().zip(marks) {
            let row = enrolment::Entity::find()
                .filter(enrolment::Column::CohortId.eq(*cohort_id))
                .filter(enrolment::Column::ParticipantId.eq(person.id))
                .one(app.db())
                .await
                .unwrap()
                .expect("enrolled in every module");
            pattern.push((i64::from(row.id), [marks[n]]));
        }
        let pattern: Vec<(i64, &[Mark])> = pattern.iter().map(|(e, m)| (*e, &m[..])).collect();
        world.take_attendance(&ids, &pattern).await;
        world.move_cohort(i64::from(*cohort_id), "closed").await;
        api(
            app,
            "POST",
            &format!("/api/v1/cohorts/{cohort_id}/certificates"),
            Some(&world.staff),
            None,
        )
        .await
        .expect_status(Status::Ok);
    }
    let mut codes = Vec::new();
    for cert in domain::entities::certificate::Entity::find()
        .filter(domain::entities::certificate::Column::CohortId.is_in(cohorts.clone()))
        .fetch_all(app.db())
        .await
    {
        codes.push((cert.participant_id, cert.course_name, cert.code));
    }
    Diplomado {
        edition_id: edition.id,
        name: programme.name,
        modules: [
            courses[0].name.clone(),
            courses[1].name.clone(),
            courses[2].name.clone(),
            courses[3].name.clone(),
        ],
        people: people.iter().map(|p| p.id).collect(),
        codes,
        staff: world.staff.clone(),
    }
}

impl Diplomado {
    async fn issue(&self, app: &TestApp, token: &str) -> (Status, Value) {
        api(
            app,
            "POST",
            &format!(
                "/api/v1/programme-editions/{}/certificates",
                self.edition_id
            ),
            Some(token),
            None,
        )
        .await
    }

    fn code_of(&self, person: i32, module: usize) -> String {
        self.codes
            .iter()
            .find(|(p, name, _)| *p == person && *name == self.modules[module])
            .map(|(_, _, code)| code.clone())
            .expect("the module's certificate")
    }
}

fn skipped_reason(outcome: &Value, person: i32) -> String {
    json_array(&outcome["skipped"])
        .iter()
        .find(|s| s["participant_id"] == person)
        .unwrap_or_else(|| panic!("{person} skipped in {outcome}"))["reason"]
        .as_str()
        .unwrap()
        .to_string()
}

#[rocket::async_test]
async fn issued_only_when_the_rule_is_met_and_only_once() {
    use Mark::{Ausente as A, Presente as P};
    let app = TestApp::with_demo().await;
    let d = diplomado(
        &app,
        &[
            // Both required modules and one elective: certified.
            [P, P, P, A],
            // No elective.
            [P, P, A, A],
            // The elective passed comes only after the one not passed.
            [P, P, A, P],
            // A required module not passed.
            [A, P, P, A],
        ],
    )
    .await;

    // Only coordinators issue.
    let (email, password) = demo_account(Role::Participant);
    let participant = token(&app, email, password).await;
    assert_eq!(d.issue(&app, &participant).await.0, Status::Forbidden);

    let (status, first) = d.issue(&app, &d.staff).await;
    assert_eq!(status, Status::Created, "{first}");
    let issued = json_array(&first["issued"]);
    assert_eq!(issued.len(), 1, "{first}");
    assert_eq!(issued[0]["participant_id"], d.people[0]);
    assert_eq!(json_str(&issued[0]["code"]).len(), 24);
    assert_eq!(json_array(&first["skipped"]).len(), 3, "{first}");

    let no_elective = skipped_reason(&first, d.people[1]);
    assert!(
        no_elective.contains("falta 1 módulo electivo"),
        "{no_elective}"
    );
    let prerequisite = skipped_reason(&first, d.people[2]);
    assert!(
        prerequisite.contains(&format!(
            "«{}» cuenta solo después de «{}»",
            d.modules[3], d.modules[2]
        )),
        "{prerequisite}"
    );
    let required = skipped_reason(&first, d.people[3]);
    assert!(
        required.contains(&format!("falta el módulo obligatorio «{}»", d.modules[0])),
        "{required}"
    );

    // The holder was emailed the PDF.
    let mails = outbox::Entity::find()
        .filter(outbox::Column::Subject.eq(format!("Certificado: {}", d.name)))
        .fetch_all(app.db())
        .await;
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0]
            .attachments_json
            .as_deref()
            .unwrap_or("")
            .contains("application/pdf")
    );
    assert!(mails[0].body_text.contains(json_str(&issued[0]["code"])));

    // Again: nothing new, the holder skipped as already certified.
    let (status, second) = d.issue(&app, &d.staff).await;
    assert_eq!(status, Status::Created, "{second}");
    assert!(json_array(&second["issued"]).is_empty(), "{second}");
    assert_eq!(
        skipped_reason(&second, d.people[0]),
        "Ya tiene un certificado vigente de este programa."
    );
}

#[rocket::async_test]
async fn verified_with_its_modules_marked_for_review_when_a_module_is_revoked_and_a_credential() {
    use Mark::{Ausente as A, Presente as P};
    let app = TestApp::with_demo().await;
    let d = diplomado(&app, &[[P, P, P, A], [P, P, A, A]]).await;
    let (_, outcome) = d.issue(&app, &d.staff).await;
    let code = json_str(&outcome["issued"][0]["code"]).to_string();

    // The public record: the programme, the modules that counted with their certificates.
    let record = api_get(&app, &format!("/api/v1/certificates/{code}"), None)
        .await
        .expect_status(Status::Ok);
    assert_eq!(record["status"], "valid");
    assert_eq!(record["programme"]["name"], d.name.as_str());
    assert_eq!(record["programme"]["kind"], "diplomado");
    assert_eq!(record["review_needed"], false);
    let modules = json_array(&record["modules"]);
    let names: Vec<&str> = modules
        .iter()
        .map(|m| json_str(&m["course_name"]))
        .collect();
    assert_eq!(names, [&d.modules[0], &d.modules[1], &d.modules[2]]);
    assert!(modules.iter().all(|m| m["status"] == "completed"));
    let gt = d.code_of(d.people[0], 2);
    assert_eq!(modules[2]["certificate_code"], gt.as_str());
    assert!(modules[0]["hours"].as_i64().unwrap() > 0);

    // A course certificate answers as it always did: no programme fields.
    let (_, course) = api_get(&app, &format!("/api/v1/certificates/{gt}"), None).await;
    assert_eq!(course["course"], d.modules[2].as_str());
    for field in ["programme", "modules", "review_needed"] {
        assert!(course.get(field).is_none(), "{field} in {course}");
    }

    // The PDF lists the modules with their certificates; its holder's and staff's only.
    let (status, _, pdf) =
        download(&app, &format!("/api/v1/certificates/{code}/pdf"), &d.staff).await;
    assert_eq!(status, Status::Ok);
    let text = pdf_text(&pdf);
    assert!(text.contains(&gt), "{text}");
    for name in &d.modules[..3] {
        assert!(text.contains(name.as_str()), "{name} in {text}");
    }
    assert!(
        text.contains("culminó satisfactoriamente el diplomado"),
        "{text}"
    );
    let (email, password) = demo_account(Role::Participant);
    let stranger = token(&app, email, password).await;
    let (status, _, _) =
        download(&app, &format!("/api/v1/certificates/{code}/pdf"), &stranger).await;
    assert_eq!(status, Status::NotFound);

    // The credential: a LearningProgram naming its modules, signed and verifiable.
    let credential = crate::credentials::credential(&app, &code).await;
    let achievement = &credential["credentialSubject"]["achievement"];
    assert_eq!(achievement["achievementType"], "LearningProgram");
    assert_eq!(achievement["name"], d.name.as_str());
    let aligned: Vec<&str> = json_array(&achievement["alignment"])
        .iter()
        .map(|a| json_str(&a["targetName"]))
        .collect();
    assert_eq!(aligned, names);
    assert!(json_str(&achievement["criteria"]["narrative"]).contains(&d.modules[2]));
    domain::credentials::contexts::check(&credential).unwrap();
    let (status, report) =
        api_post(&app, "/api/v1/credentials/verify", None, credential.clone()).await;
    assert_eq!(status, Status::Ok, "{report}");
    assert_eq!(report["verified"], true, "{report}");
    assert_eq!(report["code"], code.as_str());
    // Changed, it no longer verifies.
    let mut changed = credential.clone();
    changed["credentialSubject"]["achievement"]["alignment"][0]["targetName"] = json!("Otro");
    let (_, report) = api_post(&app, "/api/v1/credentials/verify", None, changed).await;
    assert_eq!(report["verified"], false, "{report}");

    // Revoking a module's certificate marks the programme's for review, here and on the page.
    api_post(
        &app,
        &format!("/api/v1/certificates/{gt}/revoke"),
        Some(&d.staff),
        json!({"reason": "Se comprobó suplantación en la asistencia."}),
    )
    .await
    .expect_status(Status::Ok);
    let (_, record) = api_get(&app, &format!("/api/v1/certificates/{code}"), None).await;
    assert_eq!(record["review_needed"], true, "{record}");
    assert_eq!(record["status"], "valid");
    let (status, html) = page(&app, &format!("/verificar/{code}")).await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Requiere revisión"), "{html}");
    assert!(html.contains(&d.modules[1]));
}
