//! The test world: the one place that builds what tests need — people, courses, cohorts (their
//! targets, seats, dates, sessions and status), enrolments, attendance marks and scores — the
//! way users build them: through the JSON API, signed in as the demo's staff. (People in bulk
//! go through the domain's own functions instead of registration: hashing a password per
//! person is deliberately slow, and the tests need many people.)
//!
//! Every builder has sensible defaults, so a test names only what matters to it, and every
//! step asserts that it worked, so a broken fixture fails where it breaks:
//!
//! ```text
//! let world = World::new(&app).await;
//! let cohort = world.cohort().seats(2).sessions_from_now(&[Duration::hours(-2)], 60).create().await;
//! let crowd = world.people("marca").count(3).create().await;
//! let first = world.enrol(cohort.id, crowd[0].id).await;
//! world.take_attendance(&cohort.sessions, &[(first.id, &[Mark::Presente])]).await;
//! ```
//!
//! Also here: what several capabilities look at in the demo data (its cohort in each status,
//! its running cohort shared with Meta) and the hand-built closed cohort of the reports.

use crate::common::TestApp;
use crate::support::{
    ExpectStatus, api, api_patch, api_post, api_put, demo_account, json_array, json_str,
    role_token, token,
};
use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use domain::accounts::sign_in;
use domain::entities::values::{
    CohortStatus, DocumentType, EnrolmentStatus, Mark, MarkSource, Role,
};
use domain::entities::{
    assessment, attendance_mark, cohort, cohort_department, cohort_session, course, enrolment,
    participant, score, user,
};
use rocket::http::Status;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::{Value, json};

/// The date `n` days from today in Colombia (negative: ago).
pub fn days(n: i64) -> NaiveDate {
    domain::time::today() + Duration::days(n)
}

/// A date written `YYYY-MM-DD`.
pub fn date(text: &str) -> NaiveDate {
    text.parse().expect("a YYYY-MM-DD date")
}

/// The id of the demo account with `role`.
async fn demo_user_id(db: &DatabaseConnection, role: Role) -> i32 {
    let (email, _) = demo_account(role);
    user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("the demo account {email}"))
        .id
}

/// The demo's staff, signed in through the API, and the builders of everything else.
pub struct World<'a> {
    app: &'a TestApp,
    /// The demo coordinator, who schedules the cohorts built here and enrols people in them.
    pub staff: String,
    pub staff_id: i32,
    /// The demo instructor, who teaches the cohorts built here and takes their attendance.
    pub instructor: String,
    pub instructor_id: i32,
    pub admin: String,
}

impl<'a> World<'a> {
    /// Signs in the demo's coordinator, instructor and admin (the app needs the demo data).
    pub async fn new(app: &'a TestApp) -> World<'a> {
        World {
            app,
            staff: role_token(app, Role::Coordinator).await,
            staff_id: demo_user_id(app.db(), Role::Coordinator).await,
            instructor: role_token(app, Role::Instructor).await,
            instructor_id: demo_user_id(app.db(), Role::Instructor).await,
            admin: role_token(app, Role::Admin).await,
        }
    }

    // ---- People --------------------------------------------------------------------------

    /// Participants tagged `tag`: `{tag}0@example.org`, «Persona {tag} 0», …; by default one,
    /// of Puerto Rico (Caquetá).
    pub fn people(&self, tag: &str) -> PeopleBuilder<'_> {
        PeopleBuilder {
            db: self.app.db(),
            tag: tag.to_string(),
            count: 1,
            municipality: "18592",
        }
    }

    /// A second instructor, of no cohort: their token.
    pub async fn other_instructor(&self) -> String {
        api_post(
            self.app,
            "/api/v1/users",
            Some(&self.admin),
            json!({"email": "otra.instructora@example.org", "password": "Instruye-Otra-2026",
                        "full_name": "Otra Instructora", "role": "instructor"}),
        )
        .await
        .expect_status(Status::Created);
        token(
            self.app,
            "otra.instructora@example.org",
            "Instruye-Otra-2026",
        )
        .await
    }

    // ---- Courses and cohorts -------------------------------------------------------------

    /// A cohort «Cohorte de prueba» of Planeación Territorial, in person, offered to Caquetá,
    /// taught by the demo instructor, with 30 seats, running from 30 days ago to 30 days ahead,
    /// taking enrolments today, and open (with a session tomorrow unless given others).
    pub fn cohort(&self) -> CohortBuilder<'_, 'a> {
        CohortBuilder {
            world: self,
            course: "PT".into(),
            name: "Cohorte de prueba".into(),
            place: Place::Venue("Casa de la Cultura, Puerto Rico".into()),
            start_date: days(-30),
            end_date: days(30),
            enrolment_opens: days(-40),
            enrolment_closes: days(5),
            seats: 30,
            municipalities: Vec::new(),
            departments: vec!["18".into()],
            taught: true,
            min_attendance_pct: None,
            sessions: Vec::new(),
            open: true,
            trains_trainers: false,
        }
    }

    /// Schedules `session` in `cohort`; its id.
    pub async fn add_session(&self, cohort: i64, session: &Session) -> i64 {
        let created = api_post(
            self.app,
            &format!("/api/v1/cohorts/{cohort}/sessions"),
            Some(&self.staff),
            session.body(),
        )
        .await
        .expect_status(Status::Created);
        created["id"].as_i64().unwrap()
    }

    /// Moves `cohort` to `status`, which must be allowed.
    pub async fn move_cohort(&self, cohort: i64, status: &str) {
        let (code, body) = set_status(self.app, &self.staff, cohort, status).await;
        assert_eq!(code, Status::Ok, "to {status}: {body}");
    }

    // ---- Enrolments, marks and scores ----------------------------------------------------

    /// Enrols `person` in `cohort`, as the coordinator does.
    pub async fn enrol(&self, cohort: i64, person: i32) -> Enrolment {
        let body = api_post(
            self.app,
            &format!("/api/v1/cohorts/{cohort}/enrolments"),
            Some(&self.staff),
            json!({"participant_id": person}),
        )
        .await
        .expect_status(Status::Created);
        Enrolment {
            id: body["id"].as_i64().unwrap(),
            status: json_str(&body["status"]).to_string(),
        }
    }

    /// `person` enrols herself in `cohort` (as anyone may in an open cohort for her
    /// municipality; a coordinator enrols directly only people it already reaches, issue 46).
    pub async fn enrols_herself(&self, cohort: i64, person: &Person) -> Enrolment {
        let body = api(
            self.app,
            "POST",
            &format!("/api/v1/cohorts/{cohort}/enrolments"),
            Some(&person.token),
            None,
        )
        .await
        .expect_status(Status::Created);
        Enrolment {
            id: body["id"].as_i64().unwrap(),
            status: json_str(&body["status"]).to_string(),
        }
    }

    /// The instructor takes attendance, session after session: `pattern` holds each
    /// enrolment's marks in the order of `sessions` (a shorter list leaves the later sessions
    /// unmarked).
    pub async fn take_attendance(&self, sessions: &[i64], pattern: &[(i64, &[Mark])]) {
        for (n, session) in sessions.iter().enumerate() {
            let marks: Vec<Value> = pattern
                .iter()
                .filter_map(|(enrolment, marks)| {
                    marks
                        .get(n)
                        .map(|m| json!({"enrolment_id": enrolment, "status": m.as_str()}))
                })
                .collect();
            if marks.is_empty() {
                continue;
            }
            let (status, body) =
                put_marks(self.app, &self.instructor, *session, Value::Array(marks)).await;
            assert_eq!(status, Status::Ok, "{body}");
        }
    }

    /// An assessment item of `cohort` weighing `weight` %; its id.
    pub async fn assessment(&self, cohort: i64, name: &str, weight: i64) -> i64 {
        let (status, item) =
            add_assessment(self.app, &self.staff, cohort, name, json!(weight)).await;
        assert_eq!(status, Status::Created, "{item}");
        item["id"].as_i64().unwrap()
    }

    /// Scores of the assessment `item`: (enrolment, score from 0.0 to 5.0).
    pub async fn scores(&self, item: i64, scores: &[(i64, f64)]) {
        let scores: Vec<Value> = scores
            .iter()
            .map(|(enrolment, score)| json!({"enrolment_id": enrolment, "score": score}))
            .collect();
        let (status, body) = put_scores(self.app, &self.staff, item, Value::Array(scores)).await;
        assert_eq!(status, Status::Ok, "{body}");
    }

    // ---- The reports' case ---------------------------------------------------------------

    /// The hand-built case of the reports: one cohort with four past sessions, three people
    /// of Florencia (18001) and two of Puerto Rico (18592), minimum attendance 75 %, closed,
    /// certificates issued and one revoked. The third person of Florencia has a
    /// formula-looking first name and the first of Puerto Rico the document number
    /// [`LEADING_ZERO_DOCUMENT`]. Returns the cohort id.
    pub async fn hand_built_cohort(&self) -> i64 {
        let days_ago: Vec<Duration> = [20i64, 10, 5, 2]
            .iter()
            .map(|d| Duration::days(-d))
            .collect();
        let cohort = self
            .cohort()
            .seats(10)
            .min_attendance(75)
            .sessions_from_now(&days_ago, 60)
            .create()
            .await;
        let florencia = self.people("florencia").count(3).of("18001").create().await;
        let puerto = self.people("puerto").count(2).create().await;
        let mut enrolments = Vec::new();
        for person in florencia.iter().chain(puerto.iter()) {
            enrolments.push(self.enrol(cohort.id, person.id).await.id);
        }
        // A formula-looking name stays a name.
        let person = participant::Entity::find_by_id(florencia[2].id)
            .one(self.app.db())
            .await
            .unwrap()
            .unwrap();
        let mut person: participant::ActiveModel = person.into();
        person.first_names = Set("=HYPERLINK(\"x\")".into());
        person.update(self.app.db()).await.unwrap();
        // A document number whose leading zero must survive every export.
        let person = participant::Entity::find_by_id(puerto[0].id)
            .one(self.app.db())
            .await
            .unwrap()
            .unwrap();
        let mut person: participant::ActiveModel = person.into();
        person.document_number = Set(LEADING_ZERO_DOCUMENT.into());
        person.update(self.app.db()).await.unwrap();

        self.move_cohort(cohort.id, "in_progress").await;
        use Mark::*;
        self.take_attendance(
            &cohort.sessions,
            &[
                (enrolments[0], &[Presente, Presente, Presente, Presente]),
                (enrolments[1], &[Presente, Tarde, Ausente, Presente]),
                (enrolments[2], &[Ausente, Ausente, Excusado, Ausente]),
                (enrolments[3], &[Presente, Presente, Presente, Ausente]),
                (enrolments[4], &[Presente, Presente, Presente, Presente]),
            ],
        )
        .await;
        self.move_cohort(cohort.id, "closed").await;
        let issued = api(
            self.app,
            "POST",
            &format!("/api/v1/cohorts/{}/certificates", cohort.id),
            Some(&self.staff),
            None,
        )
        .await
        .expect_status(Status::Ok);
        let issued = json_array(&issued["issued"]).clone();
        assert_eq!(issued.len(), 4, "{issued:?}");
        let revoked = issued
            .iter()
            .find(|c| c["full_name"] == "Persona florencia 1")
            .unwrap();
        api_post(
            self.app,
            &format!("/api/v1/certificates/{}/revoke", json_str(&revoked["code"])),
            Some(&self.staff),
            json!({"reason": "Error en el documento"}),
        )
        .await
        .expect_status(Status::Ok);
        cohort.id
    }
}

/// The document number of the first person of Puerto Rico in the hand-built cohort.
pub const LEADING_ZERO_DOCUMENT: &str = "0012345678";

// ---- People ----------------------------------------------------------------------------------

/// A participant built by [`World::people`].
pub struct Person {
    pub id: i32,
    /// Their API token.
    pub token: String,
}

pub struct PeopleBuilder<'w> {
    db: &'w DatabaseConnection,
    tag: String,
    count: usize,
    municipality: &'static str,
}

impl PeopleBuilder<'_> {
    pub fn count(mut self, count: usize) -> Self {
        self.count = count;
        self
    }

    /// Of the municipality with this DANE code.
    pub fn of(mut self, municipality: &'static str) -> Self {
        self.municipality = municipality;
        self
    }

    /// Each with an account and an API token; the accounts share one password hash.
    pub async fn create(self) -> Vec<Person> {
        let PeopleBuilder {
            db,
            tag,
            count,
            municipality,
        } = self;
        let hash = domain::accounts::passwords::hash("Clave-segura-2026")
            .await
            .unwrap();
        let at = domain::time::now();
        let mut out = Vec::with_capacity(count);
        for n in 0..count {
            let email = format!("{tag}{n}@example.org");
            let account = user::ActiveModel {
                email: Set(email.clone()),
                password_hash: Set(hash.clone()),
                full_name: Set(format!("Persona {tag} {n}")),
                role: Set(Role::Participant),
                department_code: Set(None),
                active: Set(true),
                created_at: Set(at),
                updated_at: Set(at),
                last_login_at: Set(None),
                ..Default::default()
            }
            .insert(db)
            .await
            .unwrap();
            let person = participant::ActiveModel {
                user_id: Set(Some(account.id)),
                document_type: Set(DocumentType::Cc),
                document_number: Set(format!(
                    "{}{:04}",
                    1000 + tag.bytes().map(u32::from).sum::<u32>(),
                    n
                )),
                first_names: Set("Persona".into()),
                last_names: Set(format!("{tag} {n}")),
                email: Set(Some(email)),
                municipality_code: Set(municipality.into()),
                entity_type: Set("alcaldia".into()),
                level: Set("tecnico".into()),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            }
            .insert(db)
            .await
            .unwrap();
            let (token, _) = sign_in::issue_token(db, account.id).await.unwrap();
            out.push(Person {
                id: person.id,
                token,
            });
        }
        out
    }
}

// ---- Cohorts and sessions --------------------------------------------------------------------

/// A session to schedule.
#[derive(Clone)]
pub struct Session {
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    topic: String,
}

impl Session {
    /// Starting `offset` from now (whole seconds), lasting `minutes`.
    pub fn from_now(offset: Duration, minutes: i64) -> Session {
        let starts_at = (domain::time::now() + offset).with_nanosecond(0).unwrap();
        Session {
            starts_at,
            ends_at: starts_at + Duration::minutes(minutes),
            topic: "Sesión".into(),
        }
    }

    /// On `day`, from `from` to `to` (hour, minute) in Bogotá.
    pub fn on(day: NaiveDate, from: (u32, u32), to: (u32, u32)) -> Session {
        Session {
            starts_at: domain::time::from_local(day, from.0, from.1),
            ends_at: domain::time::from_local(day, to.0, to.1),
            topic: "Sesión".into(),
        }
    }

    pub fn topic(mut self, topic: &str) -> Session {
        self.topic = topic.to_string();
        self
    }

    /// As the API takes it: RFC 3339 times in Bogotá.
    fn body(&self) -> Value {
        json!({
            "starts_at": aula_territorial::api::date_time(self.starts_at),
            "ends_at": aula_territorial::api::date_time(self.ends_at),
            "topic": self.topic,
        })
    }
}

enum Place {
    Venue(String),
    Online(String),
}

/// A cohort being described; see [`World::cohort`] for the defaults.
pub struct CohortBuilder<'w, 'a> {
    world: &'w World<'a>,
    course: String,
    name: String,
    place: Place,
    start_date: NaiveDate,
    end_date: NaiveDate,
    enrolment_opens: NaiveDate,
    enrolment_closes: NaiveDate,
    seats: i64,
    municipalities: Vec<String>,
    departments: Vec<String>,
    taught: bool,
    min_attendance_pct: Option<i64>,
    sessions: Vec<Session>,
    open: bool,
    /// Trains trainers (issue 48).
    trains_trainers: bool,
}

/// A cohort built by [`CohortBuilder::create`]: its id and its sessions' ids, in the order given.
pub struct Cohort {
    pub id: i64,
    pub sessions: Vec<i64>,
}

impl CohortBuilder<'_, '_> {
    /// Of the catalogue's course `code`.
    pub fn course(mut self, code: &str) -> Self {
        self.course = code.to_string();
        self
    }

    pub fn name(mut self, name: &str) -> Self {
        self.name = name.to_string();
        self
    }

    /// Virtual, meeting at `url`.
    pub fn online(mut self, url: &str) -> Self {
        self.place = Place::Online(url.to_string());
        self
    }

    /// Running from `start` to `end`.
    pub fn dates(mut self, start: NaiveDate, end: NaiveDate) -> Self {
        self.start_date = start;
        self.end_date = end;
        self
    }

    /// Taking enrolments from `opens` to `closes`.
    pub fn enrolment(mut self, opens: NaiveDate, closes: NaiveDate) -> Self {
        self.enrolment_opens = opens;
        self.enrolment_closes = closes;
        self
    }

    pub fn seats(mut self, seats: i64) -> Self {
        self.seats = seats;
        self
    }

    /// Offered to these municipalities and departments (DANE codes) instead of Caquetá.
    pub fn targets(mut self, municipalities: &[&str], departments: &[&str]) -> Self {
        self.municipalities = municipalities.iter().map(|c| c.to_string()).collect();
        self.departments = departments.iter().map(|c| c.to_string()).collect();
        self
    }

    /// Offered to the whole country.
    pub fn national(self) -> Self {
        self.targets(&[], &[])
    }

    /// With no instructor.
    pub fn untaught(mut self) -> Self {
        self.taught = false;
        self
    }

    /// With its own minimum attendance instead of the course's (80 %).
    pub fn min_attendance(mut self, pct: i64) -> Self {
        self.min_attendance_pct = Some(pct);
        self
    }

    pub fn session(mut self, session: Session) -> Self {
        self.sessions.push(session);
        self
    }

    /// Sessions starting at these offsets from now, each lasting `minutes`, on «Tema 1»,
    /// «Tema 2»…
    pub fn sessions_from_now(mut self, starts: &[Duration], minutes: i64) -> Self {
        for (n, offset) in starts.iter().enumerate() {
            let session = Session::from_now(*offset, minutes).topic(&format!("Tema {}", n + 1));
            self.sessions.push(session);
        }
        self
    }

    /// Left a draft.
    pub fn draft(mut self) -> Self {
        self.open = false;
        self
    }

    /// A cohort that trains trainers (issue 48).
    pub fn trains_trainers(mut self) -> Self {
        self.trains_trainers = true;
        self
    }

    /// What the API is sent to create the cohort (without its sessions).
    pub async fn body(&self) -> Value {
        let course = catalogue_course(self.world.app.db(), &self.course).await;
        let instructors = if self.taught {
            vec![self.world.instructor_id]
        } else {
            Vec::new()
        };
        let mut body = json!({
            "course_id": course.id,
            "name": self.name,
            "start_date": self.start_date.to_string(),
            "end_date": self.end_date.to_string(),
            "enrolment_opens": self.enrolment_opens.to_string(),
            "enrolment_closes": self.enrolment_closes.to_string(),
            "seats": self.seats,
            "municipality_codes": self.municipalities,
            "department_codes": self.departments,
            "instructor_ids": instructors,
        });
        match &self.place {
            Place::Venue(venue) => {
                body["modality"] = json!("presencial");
                body["venue"] = json!(venue);
            }
            Place::Online(url) => {
                body["modality"] = json!("virtual");
                body["meeting_url"] = json!(url);
            }
        }
        if let Some(pct) = self.min_attendance_pct {
            body["min_attendance_pct"] = json!(pct);
        }
        if self.trains_trainers {
            body["trains_trainers"] = json!(true);
        }
        body
    }

    /// Creates the cohort, schedules its sessions and opens it (unless a draft). Opening needs
    /// a session: without one given, an open cohort gets one tomorrow from 9:00 to 12:00.
    pub async fn create(self) -> Cohort {
        let world = self.world;
        let created = api_post(
            world.app,
            "/api/v1/cohorts",
            Some(&world.staff),
            self.body().await,
        )
        .await
        .expect_status(Status::Created);
        let id = created["id"].as_i64().unwrap();
        let mut planned = self.sessions;
        if planned.is_empty() && self.open {
            planned.push(Session::on(days(1), (9, 0), (12, 0)).topic("Apertura"));
        }
        let mut sessions = Vec::with_capacity(planned.len());
        for session in &planned {
            sessions.push(world.add_session(id, session).await);
        }
        if self.open {
            world.move_cohort(id, "open").await;
        }
        Cohort { id, sessions }
    }
}

/// An enrolment made by [`World::enrol`].
pub struct Enrolment {
    pub id: i64,
    /// `enrolled`, or `waitlisted` when the seats are taken.
    pub status: String,
}

// ---- Requests whose answer a test checks -----------------------------------------------------

/// Asks to move `cohort` to `status` (`open`, `in_progress`, `closed`, `cancelled`…), as `token`.
pub async fn set_status(app: &TestApp, token: &str, cohort: i64, status: &str) -> (Status, Value) {
    api_patch(
        app,
        &format!("/api/v1/cohorts/{cohort}"),
        Some(token),
        json!({"status": status}),
    )
    .await
}

/// Sends one session's attendance marks, as `token`.
pub async fn put_marks(app: &TestApp, token: &str, session: i64, marks: Value) -> (Status, Value) {
    api_put(
        app,
        &format!("/api/v1/sessions/{session}/attendance"),
        Some(token),
        marks,
    )
    .await
}

/// Asks to add an assessment item to `cohort`, as `token`.
pub async fn add_assessment(
    app: &TestApp,
    token: &str,
    cohort: i64,
    name: &str,
    weight: Value,
) -> (Status, Value) {
    api_post(
        app,
        &format!("/api/v1/cohorts/{cohort}/assessments"),
        Some(token),
        json!({"name": name, "weight": weight}),
    )
    .await
}

/// Sends scores of the assessment `item`, as `token`.
pub async fn put_scores(app: &TestApp, token: &str, item: i64, scores: Value) -> (Status, Value) {
    api_put(
        app,
        &format!("/api/v1/assessments/{item}/scores"),
        Some(token),
        scores,
    )
    .await
}

// ---- The catalogue and the demo data ---------------------------------------------------------------------------

/// The catalogue's course `code` (the course lines are PT, GP, GPR, GT and RPC).
pub async fn catalogue_course(db: &DatabaseConnection, code: &str) -> course::Model {
    course::Entity::find()
        .filter(course::Column::Code.eq(code))
        .one(db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("the course {code}"))
}

/// The demo's first cohort in `status`: it has one draft, one open, one in progress and two
/// closed (Meta's this year first, then Caquetá's of two years ago).
pub async fn demo_cohort(db: &DatabaseConnection, status: CohortStatus) -> cohort::Model {
    cohort::Entity::find()
        .filter(cohort::Column::Status.eq(status))
        .order_by_asc(cohort::Column::Id)
        .one(db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("the demo's {} cohort", status.as_str()))
}

/// The demo's running cohort (Caquetá), also offered to Meta, with one Meta participant
/// enrolled, marked present in a past session and scored.
pub struct SharedCohort {
    pub cohort_id: i32,
    pub session_id: i32,
    pub assessment_id: i32,
    pub meta_enrolment_id: i32,
    /// What must never reach the Caquetá reviewer.
    pub meta_document: String,
    pub meta_last_names: String,
    /// What must never reach the Meta reviewer.
    pub caqueta_document: String,
    pub caqueta_last_names: String,
}

/// Builds [`SharedCohort`] on the demo data, writing the rows directly (an enrolment from
/// outside the cohort's department, as an eligibility override would).
pub async fn shared_cohort(db: &DatabaseConnection) -> SharedCohort {
    let running = cohort::Entity::find()
        .filter(cohort::Column::Name.contains("Caquetá PDET"))
        .one(db)
        .await
        .unwrap()
        .expect("the demo's running cohort");
    cohort_department::Entity::insert(cohort_department::ActiveModel {
        cohort_id: Set(running.id),
        department_code: Set("50".into()),
    })
    .exec_without_returning(db)
    .await
    .unwrap();
    let meta_person = participant::Entity::find()
        .filter(participant::Column::MunicipalityCode.starts_with("50"))
        .order_by_asc(participant::Column::Id)
        .one(db)
        .await
        .unwrap()
        .expect("a Meta participant");
    let now = Utc::now();
    let row = enrolment::ActiveModel {
        cohort_id: Set(running.id),
        participant_id: Set(meta_person.id),
        status: Set(EnrolmentStatus::Enrolled),
        municipality_code: Set(meta_person.municipality_code.clone()),
        entity_type: Set(meta_person.entity_type.clone()),
        eligibility_override: Set(true),
        override_reason: Set(Some("Invitada por la coordinación".into())),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    let session = cohort_session::Entity::find()
        .filter(cohort_session::Column::CohortId.eq(running.id))
        .filter(cohort_session::Column::StartsAt.lt(now))
        .order_by_asc(cohort_session::Column::StartsAt)
        .one(db)
        .await
        .unwrap()
        .expect("a past session");
    attendance_mark::ActiveModel {
        session_id: Set(session.id),
        enrolment_id: Set(row.id),
        status: Set(Mark::Presente),
        note: Set(Some("Llegó desde Mapiripán".into())),
        source: Set(MarkSource::Manual),
        recorded_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    let item = assessment::Entity::find()
        .filter(assessment::Column::CohortId.eq(running.id))
        .order_by_asc(assessment::Column::Id)
        .one(db)
        .await
        .unwrap()
        .expect("an assessment");
    score::ActiveModel {
        assessment_id: Set(item.id),
        enrolment_id: Set(row.id),
        score_tenths: Set(47),
        recorded_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    let caqueta_person = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(running.id))
        .filter(enrolment::Column::MunicipalityCode.starts_with("18"))
        .find_also_related(participant::Entity)
        .one(db)
        .await
        .unwrap()
        .and_then(|(_, p)| p)
        .expect("a Caquetá participant");
    SharedCohort {
        cohort_id: running.id,
        session_id: session.id,
        assessment_id: item.id,
        meta_enrolment_id: row.id,
        meta_document: meta_person.document_number,
        meta_last_names: meta_person.last_names,
        caqueta_document: caqueta_person.document_number,
        caqueta_last_names: caqueta_person.last_names,
    }
}
