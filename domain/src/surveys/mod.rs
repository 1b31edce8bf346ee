//! Satisfaction and follow-up (issue 17): what participants thought of a cohort, whether they
//! applied it, and whether they are still in the entity.
//!
//! - When a cohort closes, everyone counted in it (enrolled, completed, not completed) gets a
//!   **satisfaction** survey, open [`WINDOW_DAYS`] days: an email through the outbox and a
//!   line on their home page. Ninety days after closing the periodic job opens the
//!   **follow-up** survey the same way. Seven days before a survey closes, one reminder.
//! - **Confidentiality by construction.** The invitation (`surveys`) is the only link between a
//!   person and a survey and records only *that* it was answered. The answer
//!   (`survey_responses`) carries the cohort, the department of the enrolment's municipality
//!   and the kind under a random key — no person, enrolment, user or time — so neither a row
//!   nor its position leads back to anyone. Reports ([`reports`]) show aggregates only, with
//!   small groups suppressed.
//! - The follow-up's «¿Sigue en la misma entidad?» is, by the design, *not*
//!   confidential: it updates the person's record (`entity_departures`), which the figures read
//!   for "still in the entity". The page says so beside the question, and that answer is not
//!   kept in the anonymous response (where, linked to the departure, it would identify it).

pub mod demo;
pub mod reports;
pub mod tallies;
pub mod workbook;

use crate::accounts::actor::Actor;
use crate::entities::values::{Application, CohortStatus, SurveyKind};
use crate::entities::{cohort, enrolment, participant, survey, survey_response};
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::{self, Email, Notifier};
use crate::rows::Found;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// Days a survey stays open.
pub const WINDOW_DAYS: i64 = 30;
/// Days after closing when the follow-up opens.
pub const FOLLOW_UP_AFTER_DAYS: i64 = 90;
/// The one reminder goes this many days before a survey closes.
pub const REMIND_DAYS_BEFORE: i64 = 7;
/// Longest comment kept.
pub const COMMENT_MAX: usize = 2_000;

/// The satisfaction survey's six dimensions: (key in the API, Spanish label, the question).
pub const DIMENSIONS: [(&str, &str, &str); 6] = [
    (
        "calidad",
        "Calidad",
        "¿Qué tan buena fue la calidad general del curso?",
    ),
    (
        "pertinencia",
        "Pertinencia",
        "¿Qué tan útil es lo aprendido para su trabajo en la entidad?",
    ),
    (
        "oportunidad",
        "Oportunidad",
        "¿Llegó el curso en el momento en que su entidad lo necesitaba?",
    ),
    (
        "metodologia",
        "Metodología",
        "¿Qué tan adecuada fue la forma de enseñar (materiales, ejercicios, ritmo)?",
    ),
    (
        "instructor",
        "Instructor",
        "¿Cómo califica el trabajo de quienes dictaron el curso?",
    ),
    (
        "logistica",
        "Logística y conectividad",
        "¿Cómo funcionaron el lugar, los horarios y la conexión?",
    ),
];

/// A pending survey, as its person sees it (`GET /me/surveys`).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = PendingSurvey)]
pub struct PendingSurvey {
    pub id: i32,
    pub kind: SurveyKind,
    /// «Encuesta de satisfacción» or «Encuesta de seguimiento».
    pub kind_label: &'static str,
    /// The cohort's name.
    pub cohort: String,
    pub cohort_id: i32,
    pub closes_at: DateTime<Utc>,
    /// `closes_at` as people read it («22 dic. 2026»).
    pub closes_on: String,
}

/// An answer as a client sends it. Satisfaction: `answers` holds the six dimensions, each a
/// whole number 1–5. Follow-up: `aplicacion` (`si`, `parcialmente`, `no`) and
/// `sigue_en_entidad` (true/false). `comment` is optional in both.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = SurveyResponseInput)]
pub struct ResponseInput {
    #[serde(default)]
    #[schema(value_type = Object, example = json!({"calidad": 5, "pertinencia": 4, "oportunidad": 4, "metodologia": 5, "instructor": 5, "logistica": 3}))]
    pub answers: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub comment: Option<String>,
}

/// What `POST /surveys/{id}/responses` answers: that it was recorded (never the answer).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = SurveyResponseRecorded)]
pub struct Recorded {
    pub survey_id: i32,
    pub kind: SurveyKind,
    pub recorded: bool,
}

/// A validated answer.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Answer {
    Satisfaction {
        scores: [i16; 6],
    },
    FollowUp {
        aplicacion: Application,
        still_in_entity: bool,
    },
}

/// Checks an answer against its survey's kind: every question answered, nothing else.
fn validate(kind: SurveyKind, input: &ResponseInput) -> AppResult<(Answer, Option<String>)> {
    let mut errors = Vec::new();
    let known: &[&str] = match kind {
        SurveyKind::Satisfaction => &[
            "calidad",
            "pertinencia",
            "oportunidad",
            "metodologia",
            "instructor",
            "logistica",
        ],
        SurveyKind::FollowUp => &["aplicacion", "sigue_en_entidad"],
    };
    for key in input.answers.keys() {
        if !known.contains(&key.as_str()) {
            errors.push(FieldError::new(
                format!("answers.{key}"),
                format!("«{key}» no es una pregunta de esta encuesta."),
            ));
        }
    }
    let answer = match kind {
        SurveyKind::Satisfaction => {
            let mut scores = [0i16; 6];
            for (i, (key, label, _)) in DIMENSIONS.iter().enumerate() {
                match input.answers.get(*key).and_then(serde_json::Value::as_i64) {
                    Some(v @ 1..=5) => scores[i] = v as i16,
                    _ => errors.push(FieldError::new(
                        format!("answers.{key}"),
                        format!("Califique «{label}» de 1 a 5."),
                    )),
                }
            }
            Answer::Satisfaction { scores }
        }
        SurveyKind::FollowUp => {
            let aplicacion = input
                .answers
                .get("aplicacion")
                .and_then(serde_json::Value::as_str)
                .and_then(Application::parse);
            let still = input
                .answers
                .get("sigue_en_entidad")
                .and_then(serde_json::Value::as_bool);
            if aplicacion.is_none() {
                errors.push(FieldError::new(
                    "answers.aplicacion",
                    "Diga si ha aplicado lo aprendido: sí, parcialmente o no.",
                ));
            }
            if still.is_none() {
                errors.push(FieldError::new(
                    "answers.sigue_en_entidad",
                    "Diga si sigue en la misma entidad.",
                ));
            }
            Answer::FollowUp {
                aplicacion: aplicacion.unwrap_or(Application::No),
                still_in_entity: still.unwrap_or(true),
            }
        }
    };
    // Read by the coordination in the reports: the rules of every text people read.
    let comment = match crate::validate::multi_line(
        "comment",
        input.comment.as_deref().unwrap_or(""),
        usize::MAX,
    ) {
        Ok(comment) => comment,
        Err(error) => {
            errors.push(error);
            None
        }
    };
    if comment
        .as_ref()
        .is_some_and(|c| c.chars().count() > COMMENT_MAX)
    {
        errors.push(FieldError::new(
            "comment",
            format!(
                "El comentario admite hasta {} caracteres.",
                crate::format::thousands(COMMENT_MAX as i64)
            ),
        ));
    }
    if errors.is_empty() {
        Ok((answer, comment))
    } else {
        Err(AppError::Validation(errors))
    }
}

/// Opens the satisfaction survey of a cohort that is closing, in the closing transaction.
pub(crate) async fn on_closed<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    cohort: &cohort::Model,
) -> AppResult<usize> {
    open(
        db,
        notifier,
        cohort,
        SurveyKind::Satisfaction,
        crate::time::now(),
    )
    .await
}

/// Invites everyone counted in `cohort` to a survey of `kind` that opens `at` (those already
/// invited to it are left alone), by email through the outbox, keyed so it goes once. Returns
/// how many were invited now.
async fn open<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    cohort: &cohort::Model,
    kind: SurveyKind,
    at: DateTime<Utc>,
) -> AppResult<usize> {
    let invited: HashSet<i32> = survey::Entity::find()
        .select_only()
        .column(survey::Column::EnrolmentId)
        .filter(survey::Column::CohortId.eq(cohort.id))
        .filter(survey::Column::Kind.eq(kind))
        .into_tuple::<i32>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let people = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(cohort.id))
        .filter(enrolment::Column::Status.is_in(crate::figures::COUNTED))
        .find_also_related(participant::Entity)
        .all(db)
        .await?;
    let departments = crate::territory::departments_of(
        db,
        people
            .iter()
            .map(|(e, _)| e.municipality_code.clone())
            .collect(),
    )
    .await?;
    let closes_at = at + Duration::days(WINDOW_DAYS);
    let mut count = 0;
    for (row, person) in people {
        if invited.contains(&row.id) {
            continue;
        }
        let department_code = departments
            .get(&row.municipality_code)
            .cloned()
            .unwrap_or_else(|| row.municipality_code.chars().take(2).collect());
        let saved = survey::Entity::insert(survey::ActiveModel {
            enrolment_id: Set(row.id),
            cohort_id: Set(cohort.id),
            department_code: Set(department_code),
            kind: Set(kind),
            opens_at: Set(at),
            closes_at: Set(closes_at),
            answered: Set(false),
            reminded_at: Set(None),
            ..Default::default()
        })
        .exec(db)
        .await?;
        count += 1;
        if let Some(person) = person {
            invite(
                db,
                notifier,
                &person,
                cohort,
                saved.last_insert_id,
                kind,
                closes_at,
                false,
            )
            .await?;
        }
    }
    if count > 0 {
        tallies::refresh(db, cohort.id).await?;
    }
    Ok(count)
}

/// The invitation or the reminder (once each per survey), when the person has an email.
#[allow(clippy::too_many_arguments)]
async fn invite<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    person: &participant::Model,
    cohort: &cohort::Model,
    survey_id: i32,
    kind: SurveyKind,
    closes_at: DateTime<Utc>,
    reminder: bool,
) -> AppResult<()> {
    let Some(to) = person.email.clone() else {
        return Ok(());
    };
    let message = SurveyInvitation {
        full_name: person.full_name(),
        cohort: cohort.name.clone(),
        kind_label: kind.label(),
        follow_up: kind == SurveyKind::FollowUp,
        closes_on: crate::format::date(crate::time::local(closes_at).date_naive()),
        survey_url: format!(
            "{}/encuestas/{survey_id}",
            notifier.config.public_url.trim_end_matches('/')
        ),
        reminder,
        has_account: person.user_id.is_some(),
    };
    let key = if reminder {
        format!("survey_reminder:{survey_id}")
    } else {
        format!("survey_invitation:{survey_id}")
    };
    mail::enqueue(db, notifier, Email::of(to, &message)?.once(key)).await?;
    Ok(())
}

/// The invitation to a survey, or its reminder.
#[derive(Serialize)]
struct SurveyInvitation {
    full_name: String,
    cohort: String,
    kind_label: &'static str,
    follow_up: bool,
    closes_on: String,
    survey_url: String,
    reminder: bool,
    /// People enrolled by a coordinator may have no account yet: they are told how to get one.
    has_account: bool,
}

impl mail::Message for SurveyInvitation {
    const TEMPLATE: &'static str = "survey_invitation";
    fn subject(&self) -> String {
        if self.reminder {
            format!("Recordatorio: {} · {}", self.kind_label, self.cohort)
        } else {
            format!("{}: {}", self.kind_label, self.cohort)
        }
    }
}

/// The periodic job: opens the follow-ups that are due and sends the reminders that are due.
/// Idempotent: a cohort's follow-up opens once (under the cohort's lock), a reminder is marked
/// and queued in one transaction, and outbox keys make every email go once.
pub async fn run_due(
    db: &DatabaseConnection,
    notifier: &Notifier<'_>,
    now: DateTime<Utc>,
) -> AppResult<(usize, usize)> {
    Ok((
        open_follow_ups(db, notifier, now).await?,
        remind(db, notifier, now).await?,
    ))
}

/// Opens the follow-up of every cohort closed between 90 and 120 days ago whose participants
/// were surveyed at closing and that has no follow-up yet. (A cohort closed before surveys
/// existed, or whose follow-up window passed while no instance ran, gets none.)
async fn open_follow_ups(
    db: &DatabaseConnection,
    notifier: &Notifier<'_>,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let due = cohort::Entity::find()
        .filter(cohort::Column::Status.eq(CohortStatus::Closed))
        .filter(cohort::Column::ClosedAt.lte(now - Duration::days(FOLLOW_UP_AFTER_DAYS)))
        .filter(
            cohort::Column::ClosedAt.gt(now - Duration::days(FOLLOW_UP_AFTER_DAYS + WINDOW_DAYS)),
        )
        .filter(cohort::Column::Id.in_subquery(cohorts_with(SurveyKind::Satisfaction)))
        .filter(cohort::Column::Id.not_in_subquery(cohorts_with(SurveyKind::FollowUp)))
        .all(db)
        .await?;
    let mut opened = 0;
    for c in due {
        opened += crate::db::write(db, async |txn| {
            let current = crate::cohorts::lock(txn, c.id).await?;
            open(txn, notifier, &current, SurveyKind::FollowUp, now).await
        })
        .await?;
    }
    Ok(opened)
}

/// The cohorts that have a survey of `kind` (a subquery).
fn cohorts_with(kind: SurveyKind) -> sea_orm::sea_query::SelectStatement {
    sea_orm::sea_query::Query::select()
        .column(survey::Column::CohortId)
        .from(survey::Entity)
        .and_where(survey::Column::Kind.eq(kind))
        .take()
}

/// One reminder per unanswered survey, [`REMIND_DAYS_BEFORE`] days before it closes.
async fn remind(
    db: &DatabaseConnection,
    notifier: &Notifier<'_>,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let due = survey::Entity::find()
        .filter(survey::Column::Answered.eq(false))
        .filter(survey::Column::RemindedAt.is_null())
        .filter(survey::Column::ClosesAt.gt(now))
        .filter(survey::Column::ClosesAt.lte(now + Duration::days(REMIND_DAYS_BEFORE)))
        .filter(survey::Column::OpensAt.lte(now))
        .order_by_asc(survey::Column::Id)
        .all(db)
        .await?;
    let mut sent = 0;
    for s in due {
        let reminded = crate::db::write(db, async |txn| {
            let marked = survey::Entity::update_many()
                .col_expr(survey::Column::RemindedAt, Expr::value(now))
                .filter(survey::Column::Id.eq(s.id))
                .filter(survey::Column::RemindedAt.is_null())
                .exec(txn)
                .await?
                .rows_affected;
            if marked == 1 {
                let found = enrolment::Entity::find_by_id(s.enrolment_id)
                    .find_also_related(participant::Entity)
                    .one(txn)
                    .await?;
                let cohort = cohort::Entity::find_by_id(s.cohort_id).one(txn).await?;
                if let (Some((_, Some(person))), Some(cohort)) = (found, cohort) {
                    invite(
                        txn,
                        notifier,
                        &person,
                        &cohort,
                        s.id,
                        s.kind,
                        s.closes_at,
                        true,
                    )
                    .await?;
                }
            }
            Ok(marked == 1)
        })
        .await?;
        sent += usize::from(reminded);
    }
    Ok(sent)
}

/// The participant behind `user`, if any.
async fn person_of<C: ConnectionTrait>(db: &C, user: &Actor) -> AppResult<Option<i32>> {
    Ok(crate::people::profile::participant_of_user(db, user.id)
        .await?
        .map(|p| p.id))
}

/// The caller's surveys open now and not yet answered, soonest to close first.
pub async fn pending<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    now: DateTime<Utc>,
) -> AppResult<Vec<PendingSurvey>> {
    let Some(person) = person_of(db, user).await? else {
        return Ok(vec![]);
    };
    let rows = survey::Entity::find()
        .inner_join(enrolment::Entity)
        .filter(enrolment::Column::ParticipantId.eq(person))
        .filter(survey::Column::Answered.eq(false))
        .filter(survey::Column::OpensAt.lte(now))
        .filter(survey::Column::ClosesAt.gt(now))
        .order_by_asc(survey::Column::ClosesAt)
        .find_also_related(cohort::Entity)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(s, c)| c.map(|c| pending_view(s, c)))
        .collect())
}

fn pending_view(s: survey::Model, c: cohort::Model) -> PendingSurvey {
    PendingSurvey {
        id: s.id,
        kind: s.kind,
        kind_label: s.kind.label(),
        cohort: c.name,
        cohort_id: c.id,
        closes_at: s.closes_at,
        closes_on: crate::format::date(crate::time::local(s.closes_at).date_naive()),
    }
}

/// One of the caller's surveys (another person's is a 404), with its cohort and the
/// enrolment's municipality.
pub struct OwnSurvey {
    pub survey: survey::Model,
    pub cohort: cohort::Model,
    pub enrolment: enrolment::Model,
}

impl OwnSurvey {
    /// As the answer page shows it.
    pub fn view(&self) -> PendingSurvey {
        pending_view(self.survey.clone(), self.cohort.clone())
    }

    /// Why it cannot be answered now, if so (the same message the API's 409 gives).
    pub fn closed_reason(&self, now: DateTime<Utc>) -> Option<String> {
        if self.survey.answered {
            return Some("Usted ya respondió esta encuesta. ¡Gracias!".into());
        }
        if now < self.survey.opens_at {
            return Some(format!(
                "La encuesta abre el {}.",
                crate::format::date(crate::time::local(self.survey.opens_at).date_naive())
            ));
        }
        if now >= self.survey.closes_at {
            return Some(format!(
                "La encuesta cerró el {}; ya no recibe respuestas.",
                crate::format::date(crate::time::local(self.survey.closes_at).date_naive())
            ));
        }
        None
    }
}

pub async fn find_own<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    survey_id: i32,
) -> AppResult<OwnSurvey> {
    let person = person_of(db, user).await?.ok_or(AppError::NotFound)?;
    let (survey, enrolment) = survey::Entity::find_by_id(survey_id)
        .find_also_related(enrolment::Entity)
        .found(db)
        .await?;
    let enrolment = enrolment
        .filter(|e| e.participant_id == person)
        .ok_or(AppError::NotFound)?;
    let cohort = cohort::Entity::find_by_id(survey.cohort_id)
        .found(db)
        .await?;
    Ok(OwnSurvey {
        survey,
        cohort,
        enrolment,
    })
}

/// Records the caller's answer to one of their surveys: 404 for another person's, 422 for an
/// incomplete or wrong answer, 409 when already answered or outside its window. The survey is
/// marked answered by a conditional update, so two concurrent answers record one. In a
/// follow-up, «¿Sigue en la misma entidad?» updates the person's record (audited).
pub async fn answer<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    survey_id: i32,
    input: &ResponseInput,
    now: DateTime<Utc>,
) -> AppResult<Recorded> {
    let own = find_own(db, user, survey_id).await?;
    // The cohort's lock: its tallies are recomputed below, one answer at a time.
    crate::cohorts::lock(db, own.survey.cohort_id).await?;
    if let Some(reason) = own.closed_reason(now) {
        return Err(AppError::Conflict(reason));
    }
    let (answer, comment) = validate(own.survey.kind, input)?;
    let marked = survey::Entity::update_many()
        .col_expr(survey::Column::Answered, Expr::value(true))
        .filter(survey::Column::Id.eq(survey_id))
        .filter(survey::Column::Answered.eq(false))
        .exec(db)
        .await?
        .rows_affected;
    if marked != 1 {
        return Err(AppError::Conflict(
            "Usted ya respondió esta encuesta. ¡Gracias!".into(),
        ));
    }
    if let Answer::FollowUp {
        still_in_entity, ..
    } = answer
    {
        crate::people::departures::record(
            db,
            own.enrolment.participant_id,
            &own.enrolment.municipality_code,
            still_in_entity,
            own.survey.opens_at,
        )
        .await?;
    }
    let row = response_row(
        own.survey.cohort_id,
        &own.survey.department_code,
        &answer,
        comment,
    );
    survey_response::Entity::insert(row).exec(db).await?;
    tallies::refresh(db, own.survey.cohort_id).await?;
    Ok(Recorded {
        survey_id,
        kind: own.survey.kind,
        recorded: true,
    })
}

/// The anonymous row of an answer (the one place it is built: answers and seeded data).
fn response_row(
    cohort_id: i32,
    department_code: &str,
    answer: &Answer,
    comment: Option<String>,
) -> survey_response::ActiveModel {
    let (kind, scores, aplicacion) = match answer {
        Answer::Satisfaction { scores } => (SurveyKind::Satisfaction, scores.map(Some), None),
        Answer::FollowUp { aplicacion, .. } => (SurveyKind::FollowUp, [None; 6], Some(*aplicacion)),
    };
    let [
        calidad,
        pertinencia,
        oportunidad,
        metodologia,
        instructor,
        logistica,
    ] = scores;
    survey_response::ActiveModel {
        id: Set(response_key()),
        cohort_id: Set(cohort_id),
        department_code: Set(department_code.to_string()),
        kind: Set(kind),
        calidad: Set(calidad),
        pertinencia: Set(pertinencia),
        oportunidad: Set(oportunidad),
        metodologia: Set(metodologia),
        instructor: Set(instructor),
        logistica: Set(logistica),
        aplicacion: Set(aplicacion),
        comment: Set(comment),
        // The entity answer is never kept here (see the module's comment).
    }
}

/// A random key for an anonymous response (128 bits, hex): unlike a sequence, it says nothing
/// of the order in which answers came.
fn response_key() -> String {
    crate::accounts::secrets::random_hex()
}

/// One enrolment's survey as the demo and the synthetic data write it: the invitation, and
/// when `answered` a plausible answer chosen by `n` (the same `n` gives the same answer), and
/// whether that answer says the person left the entity.
pub struct Seeded {
    pub survey: survey::ActiveModel,
    pub response: Option<survey_response::ActiveModel>,
    pub left_entity: bool,
}

/// Comments the seeded answers leave now and then.
const SEEDED_COMMENTS: [&str; 8] = [
    "Muy útil para formular el plan indicativo de la alcaldía.",
    "La conexión en el municipio falló varias veces; sería bueno tener material descargable.",
    "El instructor explicó con ejemplos de municipios como el nuestro.",
    "Faltó tiempo para los ejercicios prácticos.",
    "Aplicamos el estatuto tributario actualizado en el concejo.",
    "Ojalá repitan el curso para los nuevos funcionarios.",
    "Los horarios coincidieron con el cierre presupuestal; fue difícil asistir.",
    "Buen material, pero las sesiones virtuales fueron muy largas.",
];

/// A 64-bit mix of `n` (SplitMix64's finaliser): cheap, deterministic, well spread.
fn mix(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[allow(clippy::too_many_arguments)]
pub fn seeded(
    kind: SurveyKind,
    enrolment_id: i32,
    cohort_id: i32,
    department_code: &str,
    opens_at: DateTime<Utc>,
    answered: bool,
    n: u64,
) -> Seeded {
    let h = mix(n);
    let survey = survey::ActiveModel {
        enrolment_id: Set(enrolment_id),
        cohort_id: Set(cohort_id),
        department_code: Set(department_code.to_string()),
        kind: Set(kind),
        opens_at: Set(opens_at),
        closes_at: Set(opens_at + Duration::days(WINDOW_DAYS)),
        answered: Set(answered),
        reminded_at: Set(None),
        ..Default::default()
    };
    if !answered {
        return Seeded {
            survey,
            response: None,
            left_entity: false,
        };
    }
    let score = |dimension: u64| -> i16 {
        let v = match (h >> (dimension * 8)) % 20 {
            0 => 2,
            1..=4 => 3,
            5..=11 => 4,
            _ => 5,
        };
        // Logistics and connectivity fare worse in remote municipalities.
        if dimension == 5 && (h >> 58).is_multiple_of(3) {
            v - 1
        } else {
            v
        }
    };
    let comment = (h >> 40)
        .is_multiple_of(5)
        .then(|| SEEDED_COMMENTS[((h >> 44) % SEEDED_COMMENTS.len() as u64) as usize].to_string());
    let answer = match kind {
        SurveyKind::Satisfaction => Answer::Satisfaction {
            scores: [0, 1, 2, 3, 4, 5].map(score),
        },
        SurveyKind::FollowUp => Answer::FollowUp {
            aplicacion: match h % 10 {
                0..=4 => Application::Si,
                5..=7 => Application::Parcialmente,
                _ => Application::No,
            },
            still_in_entity: !(h >> 20).is_multiple_of(7),
        },
    };
    let left_entity = matches!(
        answer,
        Answer::FollowUp {
            still_in_entity: false,
            ..
        }
    );
    let response = response_row(cohort_id, department_code, &answer, comment);
    Seeded {
        survey,
        response: Some(response),
        left_entity,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(pairs: &[(&str, serde_json::Value)]) -> ResponseInput {
        ResponseInput {
            answers: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            comment: None,
        }
    }

    #[test]
    fn satisfaction_needs_all_six_in_range() {
        let mut pairs: Vec<(&str, serde_json::Value)> =
            DIMENSIONS.iter().map(|(k, _, _)| (*k, json!(4))).collect();
        assert!(validate(SurveyKind::Satisfaction, &input(&pairs)).is_ok());
        pairs[0].1 = json!(6);
        let err = validate(SurveyKind::Satisfaction, &input(&pairs)).unwrap_err();
        assert_eq!(err.field_errors()[0].field, "answers.calidad");
        pairs[0].1 = json!(0);
        assert!(validate(SurveyKind::Satisfaction, &input(&pairs)).is_err());
        pairs[0].1 = json!(3);
        pairs.pop();
        let err = validate(SurveyKind::Satisfaction, &input(&pairs)).unwrap_err();
        assert_eq!(err.field_errors()[0].field, "answers.logistica");
        pairs.push(("logistica", json!(2)));
        pairs.push(("aplicacion", json!("si")));
        assert!(validate(SurveyKind::Satisfaction, &input(&pairs)).is_err());
    }

    #[test]
    fn follow_up_needs_application_and_entity() {
        let ok = input(&[
            ("aplicacion", json!("parcialmente")),
            ("sigue_en_entidad", json!(false)),
        ]);
        assert_eq!(
            validate(SurveyKind::FollowUp, &ok).unwrap().0,
            Answer::FollowUp {
                aplicacion: Application::Parcialmente,
                still_in_entity: false
            }
        );
        let bad = input(&[("aplicacion", json!("tal vez"))]);
        let err = validate(SurveyKind::FollowUp, &bad).unwrap_err();
        assert_eq!(err.field_errors().len(), 2);
    }

    #[test]
    fn long_comments_are_refused_and_blank_ones_dropped() {
        let mut ok = input(&[
            ("aplicacion", json!("si")),
            ("sigue_en_entidad", json!(true)),
        ]);
        ok.comment = Some("   ".into());
        assert_eq!(validate(SurveyKind::FollowUp, &ok).unwrap().1, None);
        ok.comment = Some("x".repeat(COMMENT_MAX + 1));
        assert!(validate(SurveyKind::FollowUp, &ok).is_err());
    }

    #[test]
    fn response_keys_are_random_hex() {
        let (a, b) = (response_key(), response_key());
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
