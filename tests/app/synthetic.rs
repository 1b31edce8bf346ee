//! The synthetic national generator: counts at a small scale, reproducibility, refusal to run
//! twice on the same database.

use crate::common::TestApp;
use crate::support::{Fetch, bearer};
use domain::entities::values::EnrolmentStatus;
use domain::entities::{
    attendance_mark, certificate, cohort, cohort_session, enrolment, participant, user,
};
use domain::synthetic::{PREFIX, accounts, generate};
use rocket::http::Status;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

async fn fingerprint(app: &TestApp) -> Vec<(String, String, String)> {
    participant::Entity::find()
        .filter(participant::Column::DocumentNumber.starts_with(PREFIX))
        .order_by_asc(participant::Column::DocumentNumber)
        .fetch_all(app.db())
        .await
        .into_iter()
        .map(|p| {
            (
                p.document_number.clone(),
                p.municipality_code.clone(),
                p.full_name(),
            )
        })
        .collect()
}

#[rocket::async_test]
async fn the_synthetic_generator_writes_the_scaled_counts_reproducibly() {
    let app = TestApp::new().await;
    let summary = generate(app.db(), 0.002, 7).await.unwrap();
    assert_eq!(summary.participants, 500);
    assert_eq!(summary.cohorts, 10);
    assert_eq!(summary.sessions, 100);
    assert!(summary.enrolments > 0 && summary.enrolments <= 1000);
    assert_eq!(summary.marks, summary.enrolments * 10);
    let db = app.db();
    assert_eq!(
        participant::Entity::find().count(db).await.unwrap() as usize,
        500
    );
    assert_eq!(cohort::Entity::find().count(db).await.unwrap() as usize, 10);
    assert_eq!(
        cohort_session::Entity::find().count(db).await.unwrap() as usize,
        100
    );
    assert_eq!(
        enrolment::Entity::find().count(db).await.unwrap() as usize,
        summary.enrolments
    );
    assert_eq!(
        attendance_mark::Entity::find().count(db).await.unwrap() as usize,
        summary.marks
    );
    let completed = enrolment::Entity::find()
        .filter(enrolment::Column::Status.eq(EnrolmentStatus::Completed))
        .count(db)
        .await
        .unwrap() as usize;
    assert_eq!(completed, summary.certificates);
    assert_eq!(
        certificate::Entity::find().count(db).await.unwrap() as usize,
        summary.certificates
    );
    assert!(summary.certificates > 0 && summary.certificates < summary.enrolments);
    // The figures it leaves are the figures a rebuild computes (written in bulk on SQLite, the
    // assistances' delivery facts were once left out).
    let maintained = domain::figures::snapshot(db).await.unwrap();
    let txn = domain::db::begin(db).await.unwrap();
    domain::figures::rebuild(&txn).await.unwrap();
    let rebuilt = domain::figures::snapshot(&txn).await.unwrap();
    txn.rollback().await.unwrap();
    assert!(
        maintained == rebuilt,
        "the synthetic country's figures differ from a rebuild"
    );

    // Not twice on the same database.
    assert!(generate(app.db(), 0.002, 7).await.is_err());

    // The same seed on another database gives the same data.
    let other = TestApp::new().await;
    let again = generate(other.db(), 0.002, 7).await.unwrap();
    assert_eq!(again, summary);
    assert_eq!(fingerprint(&app).await, fingerprint(&other).await);
}

/// Accounts for load tests: the departments with the most people, the same number from each,
/// each token acting as its own participant; people are not given two accounts, and asking
/// for more than there are changes nothing.
#[rocket::async_test]
async fn synthetic_accounts_act_as_their_own_people() {
    let app = TestApp::new().await;
    generate(app.db(), 0.002, 7).await.unwrap();
    let first = accounts::create(app.db(), 2, 3).await.unwrap();
    assert_eq!(first.len(), 6);
    let departments: std::collections::BTreeSet<&str> =
        first.iter().map(|a| a.department_code.as_str()).collect();
    assert_eq!(departments.len(), 2);
    for account in &first {
        assert!(
            account
                .municipality_code
                .starts_with(&account.department_code)
        );
        let response = app
            .client
            .get("/api/v1/me")
            .header(bearer(&account.token))
            .dispatch()
            .await;
        assert_eq!(response.status(), Status::Ok);
        let me: serde_json::Value = response.into_json().await.unwrap();
        assert_eq!(me["role"], "participant");
        assert_eq!(me["participant"]["id"], account.participant_id);
    }
    let second = accounts::create(app.db(), 2, 3).await.unwrap();
    let mut people: Vec<i32> = first
        .iter()
        .chain(&second)
        .map(|a| a.participant_id)
        .collect();
    people.sort_unstable();
    people.dedup();
    assert_eq!(people.len(), 12, "nobody gets two accounts");

    let users = user::Entity::find().fetch_count(app.db()).await;
    assert!(accounts::create(app.db(), 40, 1_000).await.is_err());
    assert!(accounts::create(app.db(), 0, 3).await.is_err());
    assert_eq!(user::Entity::find().fetch_count(app.db()).await, users);
}
