//! Pages of trainers who train others (issue 48): «Mis réplicas» for a replicator (their
//! certification and a form to record a replica, usable on a phone), and «Replicadores» for
//! coordinators (who may be endorsed, with a confirmation, and the replicators of their scope)
//! and reviewers (their department's replicators).

use crate::accounts::guards::{ParticipantUser, ReportReader, StaffUser};
use crate::error::AppResult;
use crate::web::confirm::Confirmation;
use crate::web::csrf::{CsrfForm, csrf_protected};
use crate::web::rows::{Numbered, filled, index, numbered, row_problem};
use crate::web::{OwnedChoice, Page, PageResult};
use domain::entities::values::{ReplicaAudience, ReplicaReview};
use domain::error::FieldError;
use domain::trainers::review::{Bounds, ReviewInput};
use domain::trainers::{
    self, AttendeeInput, Candidate, EndorsementInput, ReplicaFilter, ReplicaInput, ReplicaView,
    ReplicatorView,
};
use rocket::Either;
use rocket::form::FromForm;
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::{DatabaseConnection, Iterable};
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![
        mine,
        replica_submit,
        replicators_page,
        endorse_submit,
        review_submit
    ]
}

/// Empty attendee rows of a new replica form.
const ATTENDEE_ROWS: usize = 2;

/// How many replicas and replicators the pages list.
const LISTED: u64 = 100;

/// An attendee's row of the replica form.
#[derive(FromForm, Serialize, Clone, Default)]
struct AttendeeRow {
    #[field(default = String::new())]
    full_name: String,
    #[field(default = String::new())]
    position: String,
}

/// The replica form. «Agregar otra fila» (`more`) draws it again as typed with one more
/// attendee row; nothing is saved.
#[derive(FromForm, Serialize)]
struct ReplicaForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = String::new())]
    replicator_id: String,
    #[field(default = String::new())]
    date: String,
    #[field(default = String::new())]
    municipality_code: String,
    #[field(default = String::new())]
    capacity_id: String,
    #[field(default = String::new())]
    audience: String,
    #[field(default = String::new())]
    attendee_count: String,
    #[field(default = Vec::new())]
    #[serde(skip)]
    attendees: Vec<AttendeeRow>,
    #[field(default = String::new())]
    #[serde(skip)]
    more: String,
}
csrf_protected!(ReplicaForm);

impl ReplicaForm {
    /// The input, and the form index of each attendee row sent (blank rows are left out).
    fn input(&self) -> (ReplicaInput, Vec<usize>) {
        let sent = index(&filled(&self.attendees, |a| {
            a.full_name.trim().is_empty() && a.position.trim().is_empty()
        }));
        let number = |text: &str| -> Option<i64> {
            match text.trim() {
                "" => None,
                // A number that is not one is refused as out of range, never ignored.
                t => Some(t.parse().unwrap_or(0)),
            }
        };
        let input = ReplicaInput {
            replicator_id: self.replicator_id.trim().parse().ok(),
            date: Some(self.date.clone()),
            municipality_code: Some(self.municipality_code.clone()),
            capacity_id: self.capacity_id.trim().parse().ok(),
            audience: Some(self.audience.clone()),
            attendees: Some(
                sent.iter()
                    .map(|&i| AttendeeInput::Person {
                        full_name: self.attendees[i].full_name.trim().to_string(),
                        position: Some(self.attendees[i].position.trim().to_string())
                            .filter(|p| !p.is_empty()),
                    })
                    .collect(),
            ),
            attendee_count: number(&self.attendee_count),
        };
        (input, sent)
    }
}

#[derive(Serialize)]
struct MineView {
    certifications: Vec<ReplicatorView>,
    /// Some certification is in force today: the form is offered.
    certified: bool,
    /// More than one certification: the form asks which.
    several: bool,
    replicator_choices: Vec<OwnedChoice>,
    municipalities: Vec<OwnedChoice>,
    capacities: Vec<OwnedChoice>,
    audiences: Vec<OwnedChoice>,
    attendee_rows: Vec<Numbered<AttendeeRow>>,
    replicas: Vec<ReplicaView>,
    today: String,
}

/// The «Mis réplicas» page's view, with the form as typed (`form`) or empty.
async fn mine_view(
    db: &DatabaseConnection,
    user: &ParticipantUser,
    form: Option<&ReplicaForm>,
) -> AppResult<MineView> {
    let certifications = trainers::own(db, user).await?;
    let mut departments: Vec<&str> = certifications
        .iter()
        .filter(|c| c.certified)
        .map(|c| c.department_code.as_str())
        .collect();
    departments.sort_unstable();
    departments.dedup();
    let mut municipalities = Vec::new();
    for code in departments {
        municipalities.extend(trainers::municipalities_of(db, code).await?);
    }
    let typed =
        |value: &str, f: fn(&ReplicaForm) -> &str| form.is_some_and(|form| f(form) == value);
    let mut capacities: Vec<(i32, String)> = certifications
        .iter()
        .filter(|c| c.certified)
        .flat_map(|c| c.capacities.iter().map(|k| (k.id, k.name.clone())))
        .collect();
    capacities.sort();
    capacities.dedup();
    let (replicas, _) = trainers::replicas(db, user, &ReplicaFilter::default(), 1, LISTED).await?;
    Ok(MineView {
        certified: certifications.iter().any(|c| c.certified),
        several: certifications.iter().filter(|c| c.certified).count() > 1,
        replicator_choices: certifications
            .iter()
            .filter(|c| c.certified)
            .map(|c| OwnedChoice {
                value: c.id.to_string(),
                label: format!("{} · {}", c.cohort_name, c.department_name),
                selected: typed(&c.id.to_string(), |f| &f.replicator_id),
            })
            .collect(),
        municipalities: municipalities
            .into_iter()
            .map(|(code, name)| OwnedChoice {
                selected: typed(&code, |f| &f.municipality_code),
                value: code,
                label: name,
            })
            .collect(),
        capacities: capacities
            .into_iter()
            .map(|(id, name)| OwnedChoice {
                selected: typed(&id.to_string(), |f| &f.capacity_id),
                value: id.to_string(),
                label: name,
            })
            .collect(),
        audiences: ReplicaAudience::iter()
            .map(|a| OwnedChoice {
                value: a.as_str().to_string(),
                label: a.label().to_string(),
                selected: typed(a.as_str(), |f| &f.audience),
            })
            .collect(),
        attendee_rows: match form {
            Some(form) => numbered(&form.attendees, ATTENDEE_ROWS, !form.more.is_empty()),
            None => numbered(&[], ATTENDEE_ROWS, false),
        },
        certifications,
        replicas,
        today: domain::time::today().to_string(),
    })
}

/// «Mis réplicas»: the participant's certification as a replicator and their replicas.
#[get("/mis-replicas")]
async fn mine(db: &State<DatabaseConnection>, page: Page<'_>, user: ParticipantUser) -> PageResult {
    let view = mine_view(db.inner(), &user, None).await?;
    page.render("my_replicas", "Mis réplicas", view)
}

#[post("/mis-replicas", data = "<form>")]
async fn replica_submit(
    db: &State<DatabaseConnection>,
    config: &State<domain::config::AppConfig>,
    page: Page<'_>,
    user: ParticipantUser,
    form: CsrfForm<ReplicaForm>,
) -> PageResult<Either<Flash<Redirect>, RawHtml<String>>> {
    let form = form.0;
    if !form.more.is_empty() {
        let view = mine_view(db.inner(), &user, Some(&form)).await?;
        return page
            .render_refused_typed("my_replicas", "Mis réplicas", view, &[], "replica", &form)
            .map(Either::Right);
    }
    let (input, sent) = form.input();
    let result = domain::db::write(db, async |txn| {
        trainers::record_replica(txn, &user, &input, Bounds::of(config)).await
    })
    .await;
    crate::web::form::saved_or_again(
        result,
        |saved| {
            Flash::success(
                Redirect::to("/mis-replicas"),
                format!(
                    "Réplica registrada: {} en {}.{}",
                    domain::format::plural(
                        i64::from(saved.people_reached),
                        "persona alcanzada",
                        "personas alcanzadas"
                    ),
                    saved.municipality_name,
                    if saved.review == ReplicaReview::Pending {
                        " Por su tamaño, queda en revisión de la coordinación: se cuenta en las \
                         cifras cuando la aprueben."
                    } else {
                        ""
                    }
                ),
            )
        },
        async |errors| {
            let view = mine_view(db.inner(), &user, Some(&form)).await?;
            let errors: Vec<FieldError> = errors
                .into_iter()
                .map(|e| row_problem(e, &[("attendees", &sent)]))
                .collect();
            let errors = crate::web::form::scoped("replica", errors);
            page.render_refused_typed(
                "my_replicas",
                "Mis réplicas",
                view,
                &errors,
                "replica",
                &form,
            )
        },
    )
    .await
    .map(Either::Left)
}

#[derive(Serialize)]
struct ReplicatorsView {
    /// Staff: may endorse (the candidates are listed).
    endorses: bool,
    candidates: Vec<Candidate>,
    replicators: Vec<ReplicatorView>,
    replicas: Vec<ReplicaView>,
    /// Replicas beyond the bounds that wait for this coordinator's review (issue 62).
    pending: Vec<ReplicaView>,
    pending_total: u64,
}

async fn replicators_view(
    db: &DatabaseConnection,
    user: &domain::accounts::actor::Actor,
) -> AppResult<ReplicatorsView> {
    let (replicas, _) = trainers::replicas(db, user, &ReplicaFilter::default(), 1, LISTED).await?;
    let (pending, pending_total) = trainers::review::pending(db, user, 1, LISTED).await?;
    Ok(ReplicatorsView {
        pending,
        pending_total,
        endorses: user.is_staff(),
        candidates: trainers::candidates(db, user).await?,
        replicators: trainers::views(db, user, LISTED).await?,
        replicas,
    })
}

/// «Replicadores»: who may be endorsed (staff), the replicators of the caller's scope and
/// their latest replicas.
#[get("/replicadores")]
async fn replicators_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: ReportReader,
) -> PageResult {
    let view = replicators_view(db.inner(), &user).await?;
    page.render("replicators", "Replicadores", view)
}

#[derive(FromForm, Serialize)]
struct EndorseForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = 0)]
    cohort_id: i32,
    #[field(default = 0)]
    participant_id: i32,
    #[field(default = false)]
    #[serde(skip)]
    confirmed: bool,
}
csrf_protected!(EndorseForm);

/// «Avalar como replicador»: first the confirmation with this person's facts (the capacities,
/// the department, until when), then the endorsement.
#[post("/replicadores/aval", data = "<form>")]
async fn endorse_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    form: CsrfForm<EndorseForm>,
) -> PageResult<Either<Flash<Redirect>, RawHtml<String>>> {
    let form = form.0;
    let input = EndorsementInput {
        cohort_id: Some(form.cohort_id),
        participant_id: Some(form.participant_id),
        since: None,
        until: None,
    };
    if !form.confirmed {
        let candidates = trainers::candidates(db.inner(), &staff).await?;
        let Some(candidate) = candidates
            .iter()
            .find(|c| c.cohort_id == form.cohort_id && c.participant_id == form.participant_id)
        else {
            // Not someone this coordinator may endorse now: the domain says why.
            let result =
                domain::db::write(db, async |txn| trainers::endorse(txn, &staff, &input).await)
                    .await;
            return endorsed(db.inner(), &page, &staff, result)
                .await
                .map(Either::Left);
        };
        let today = domain::time::today();
        let course = trainers::course_capacities(db.inner(), candidate.cohort_id).await?;
        return Confirmation::new(
            format!("¿Avalar a {} como replicador?", candidate.full_name),
            "/replicadores/aval",
            "Sí, avalar como replicador",
            "/replicadores",
        )
        .hidden("cohort_id", candidate.cohort_id.to_string())
        .hidden("participant_id", candidate.participant_id.to_string())
        .fact(format!(
            "Completó la cohorte «{}», de formación de formadores.",
            candidate.cohort_name
        ))
        .list("Queda certificado para dictar réplicas de:", course)
        .fact(format!(
            "Solo en municipios de {}, el departamento de su municipio ({}).",
            candidate.department_name, candidate.municipality_name
        ))
        .fact(format!(
            "Desde hoy, {}, hasta el {}; la coordinación puede terminar o extender la \
             certificación después.",
            domain::format::date(today),
            domain::format::date(trainers::default_until(today))
        ))
        .restoring()
        .render(&page, "Avalar como replicador")
        .map(Either::Right);
    }
    let result =
        domain::db::write(db, async |txn| trainers::endorse(txn, &staff, &input).await).await;
    endorsed(db.inner(), &page, &staff, result)
        .await
        .map(Either::Left)
}

async fn endorsed(
    db: &DatabaseConnection,
    page: &Page<'_>,
    reader: &domain::accounts::actor::Actor,
    result: domain::error::AppResult<domain::trainers::ReplicatorItem>,
) -> PageResult<Flash<Redirect>> {
    crate::web::form::saved_or_again(
        result,
        |item| {
            Flash::success(
                Redirect::to("/replicadores"),
                format!(
                    "{} es replicador hasta el {}.",
                    item.full_name,
                    domain::format::date(item.until)
                ),
            )
        },
        async |errors| {
            let view = replicators_view(db, reader).await?;
            page.render_refused("replicators", "Replicadores", view, &errors)
        },
    )
    .await
}

#[derive(FromForm)]
struct ReviewForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    decision: String,
    #[field(default = String::new())]
    note: String,
}
csrf_protected!(ReviewForm);

/// A coordinator approves or rejects a replica that waits for review (issue 62).
#[post("/replicadores/replicas/<id>/revision", data = "<form>")]
async fn review_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    id: i32,
    form: CsrfForm<ReviewForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let input = ReviewInput {
        decision: Some(form.decision.clone()),
        note: Some(form.note.clone()),
    };
    let result = domain::db::write(db, async |txn| {
        trainers::review::decide(txn, &staff, id, &input).await
    })
    .await;
    crate::web::form::saved_or_again(
        result,
        |view| {
            Flash::success(
                Redirect::to("/replicadores"),
                format!(
                    "Réplica de {} en {}: {}.",
                    view.replicator_name,
                    view.municipality_name,
                    view.review_label.to_lowercase()
                ),
            )
        },
        async |errors| {
            let view = replicators_view(db.inner(), &staff).await?;
            page.render_refused("replicators", "Replicadores", view, &errors)
        },
    )
    .await
}
