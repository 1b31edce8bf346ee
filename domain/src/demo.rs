//! Demo data for the debug profile (`demo_data = true`) and `seed --demo`: one account per
//! role, participants of the seven pilot municipalities (Caquetá and Meta, PDET), cohorts in
//! every stage with sessions, attendance and scores. Dates are relative to today so the demo
//! always looks current. Idempotent: skipped when the demo coordinator exists.
//!
//! Each area loads its own part (`<area>/demo.rs`); this file calls them in order, the
//! accounts named by what each person does ([`Accounts`]). The order is part of the data: the
//! route matrix and the scope tests read the ids it gives.

use crate::accounts::demo::{Accounts, COORDINATOR_EMAIL};
use crate::cohorts::demo::DemoCohort;
use crate::entities::user;
use crate::entities::values::EnrolmentStatus;
use crate::error::AppResult;
use crate::people::demo::People;
use crate::time::{from_local, today};
use crate::{
    accounts, alliances, assistance, catalogue, certificates, costs, demand, descriptors,
    enrolment, handover, joint, knowledge, nominations, people, plans, programmes, providers,
    surveys, territory, trainers,
};
use chrono::Duration;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};

pub use crate::accounts::demo::ACCOUNTS;
pub use crate::territory::demo::PILOT_MUNICIPALITIES;

pub async fn ensure_loaded(db: &DatabaseConnection) -> AppResult<bool> {
    if user::Entity::find()
        .filter(user::Column::Email.eq(COORDINATOR_EMAIL))
        .one(db)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    // The accounts' passwords are hashed before the transaction opens (argon2 is CPU work).
    let mut passwords = Vec::with_capacity(ACCOUNTS.len());
    for (_, _, password, _, _) in ACCOUNTS {
        passwords.push(accounts::passwords::NewPassword::hash(password).await?);
    }
    // One transaction (issue 46): a start that fails half-way leaves no demo data, and the
    // next start loads it whole (the check above would otherwise skip what is missing).
    crate::db::write(db, async |txn| {
        load(txn, passwords).await?;
        // Indicator years after the real ones for the pilots, from the figures of what was just
        // loaded (brought up to date here, as the commit would): marked synthetic wherever they
        // are shown.
        if crate::figures::flush(txn).await? {
            crate::instances::bump(txn, crate::instances::Cached::Figures).await?;
        }
        let last_year = chrono::Datelike::year(&today()) - 1;
        let pilots: Vec<String> = PILOT_MUNICIPALITIES.iter().map(|c| c.to_string()).collect();
        crate::indicators::synthetic::add_years(txn, 2024..=last_year, Some(&pilots), 2026).await
    })
    .await?;
    tracing::info!("demo data loaded (accounts in README.md)");
    Ok(true)
}

/// The cohorts in every stage that later steps read.
struct Cohorts {
    /// Gestión Presupuestal for the Meta pilots, closed.
    budget_meta: i32,
    /// Rendición de Cuentas for Caquetá and Meta, open.
    accountability: i32,
    /// Gestión Tributaria for the Caquetá pilots, closed two years ago.
    earlier_taxes: i32,
    /// Planeación Territorial for the Meta pilots, closed with certificates.
    planning_meta: i32,
}

async fn load<C: ConnectionTrait>(
    db: &C,
    passwords: Vec<accounts::passwords::NewPassword>,
) -> AppResult<()> {
    let accounts = accounts::demo::create(db, passwords).await?;
    let people = people::demo::register(db, &accounts).await?;
    let cohorts = cohorts_in_every_stage(db, &accounts, &people).await?;
    let the_participant = people.the_participant();
    surveys::demo::load(
        db,
        cohorts.budget_meta,
        cohorts.earlier_taxes,
        the_participant,
    )
    .await?;
    territory::demo::meta_direction(db, accounts.coordinator_meta).await?;
    demand::demo::load(db, &accounts, cohorts.accountability, cohorts.earlier_taxes).await?;
    // Issue 46: the Meta direction's coordinator named, by document, a Caquetá official it
    // does not reach: invited, not enrolled (no account: nothing was emailed).
    enrolment::demo::invitation(
        db,
        cohorts.accountability,
        accounts.coordinator_meta,
        people.at(People::JOSE_ANGEL),
    )
    .await?;
    other_providers(db, &accounts, &people).await?;
    people::demo::pending_name_change(db, &people).await?;
    // Issue 67: a supresión asked four days ago, waiting in the administrator's queue.
    crate::habeas::demo::load(db, &people).await?;
    assistance::demo::load(db, &accounts).await?;
    joint::demo::load(db, cohorts.accountability).await?;
    plans::demo::load(db, &accounts).await?;
    costs::demo::load(db, &accounts, cohorts.budget_meta, cohorts.planning_meta).await?;
    // Issue 48: the Caquetá and Meta alliances, kept by each department's reviewer.
    alliances::demo::load(db, accounts.reviewer_caqueta, accounts.reviewer_meta).await?;
    handover::demo::load(db, the_participant).await?;
    // Issue 68: El Paujíl's self-assessments, one validated and the next waiting.
    crate::self_assessment::demo::load(db, accounts.liaison_el_paujil, accounts.reviewer_caqueta)
        .await?;
    trainers::demo::load(db, &accounts, &people).await?;
    descriptors::demo::load(db).await?;
    knowledge::demo::load(db, &accounts).await?;
    // Issue 64: the diplomado of the four courses, an edition in progress in the Caquetá
    // pilots and a finished one, after the cohorts and certificates it reads.
    programmes::demo::load(db, &accounts, &people).await?;
    // Issue 65: ESAP's campus as the virtual classroom of the Caquetá planning cohort.
    crate::virtual_classroom::demo::load(db, &accounts).await?;
    // Issue 68: Puerto Rico's key positions, its certified treasurer gone.
    crate::positions::demo::load(db, &people, accounts.reviewer_caqueta, accounts.coordinator)
        .await?;
    Ok(())
}

/// ESAP's cohorts in every stage, taught by the instructor, with their people's history: in
/// progress in Caquetá, closed in Meta, open for both (with seats kept per municipality), a
/// national draft, closed two years ago in Caquetá, and closed in Meta with certificates.
async fn cohorts_in_every_stage<C: ConnectionTrait>(
    db: &C,
    accounts: &Accounts,
    people: &People,
) -> AppResult<Cohorts> {
    let day = today();
    let (coordinator, instructor) = (accounts.coordinator, accounts.instructor);
    let planning_caqueta = DemoCohort::planning_caqueta(day)
        .create(db, coordinator, instructor)
        .await?;
    enrolment::demo::with_history(
        db,
        planning_caqueta,
        people,
        People::CAQUETA,
        instructor,
        false,
    )
    .await?;
    let budget_meta = DemoCohort::budget_meta(day)
        .create(db, coordinator, instructor)
        .await?;
    enrolment::demo::with_history(db, budget_meta, people, People::META, instructor, true).await?;
    let accountability = DemoCohort::accountability(day)
        .create(db, coordinator, instructor)
        .await?;
    let enrolled = [People::MARIA_FERNANDA, People::YURANY, People::FREDY_ALONSO];
    for person in enrolled {
        enrolment::demo::enrol(
            db,
            accountability,
            people.at(person),
            EnrolmentStatus::Enrolled,
        )
        .await?;
    }
    nominations::demo::seat_quotas(
        db,
        accountability,
        accounts.liaison_el_paujil,
        people,
        &enrolled,
    )
    .await?;
    DemoCohort::taxes_national(day)
        .create(db, coordinator, instructor)
        .await?;
    let earlier_taxes = DemoCohort::taxes_caqueta_earlier(day)
        .create(db, coordinator, instructor)
        .await?;
    enrolment::demo::with_history(db, earlier_taxes, people, People::CAQUETA, instructor, true)
        .await?;
    let meta = DemoCohort::planning_meta(day);
    let planning_meta = meta.create(db, coordinator, instructor).await?;
    enrolment::demo::with_history(db, planning_meta, people, People::META, instructor, true)
        .await?;
    let issued = from_local(meta.start + Duration::days(7 * 5), 10, 0);
    certificates::demo::issue(db, planning_meta, coordinator, issued).await?;
    Ok(Cohorts {
        budget_meta,
        accountability,
        earlier_taxes,
        planning_meta,
    })
}

/// Issue 32: DNP, Función Pública and the Gobernación del Caquetá as providers with a
/// coordinator each and their courses; DNP's workshop in El Paujíl while ESAP's Planeación
/// Territorial runs there (El Paujíl's people take both); the open demand on the plan
/// indicativo pointed to Función Pública.
async fn other_providers<C: ConnectionTrait>(
    db: &C,
    accounts: &Accounts,
    people: &People,
) -> AppResult<()> {
    let providers = providers::demo::load(
        db,
        [
            accounts.coordinator_dnp,
            accounts.coordinator_function_public,
            accounts.coordinator_gob_caqueta,
        ],
    )
    .await?;
    catalogue::demo::courses(db, providers.dnp, providers.function_public).await?;
    let workshop = DemoCohort::workshop_el_paujil(today())
        .create(db, accounts.coordinator_dnp, accounts.instructor)
        .await?;
    for person in people.all().iter().filter(|p| p.municipality == "18256") {
        enrolment::demo::enrol(db, workshop, person, EnrolmentStatus::Enrolled).await?;
    }
    demand::demo::referral(db, accounts, providers.function_public).await
}
