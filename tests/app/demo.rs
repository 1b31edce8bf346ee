//! Demo data: one account per role, the pilot municipalities, cohorts in every stage.

use crate::common::TestApp;
use domain::accounts::passwords;
use domain::demo::{self, ACCOUNTS, PILOT_MUNICIPALITIES};
use domain::entities::values::{CohortStatus, EnrolmentStatus, Role};
use domain::entities::{
    attendance_mark, cohort, cohort_session, enrolment, participant, score, user,
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

#[rocket::async_test]
async fn demo_accounts_sign_in_with_the_readme_passwords() {
    let app = TestApp::with_demo().await;
    let db = app.db();
    for (role, email, password, _, department) in ACCOUNTS {
        let account = user::Entity::find()
            .filter(user::Column::Email.eq(*email))
            .one(db)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{email} missing"));
        assert_eq!(account.role, *role);
        // The fifth field: a reviewer's department or a liaison's municipality.
        match role {
            Role::Liaison => assert_eq!(account.municipality_code.as_deref(), *department),
            _ => assert_eq!(account.department_code.as_deref(), *department),
        }
        assert!(
            passwords::verify(password, &account.password_hash)
                .await
                .unwrap(),
            "{email}"
        );
    }
    let readme = include_str!("../../README.md");
    for (_, email, password, _, _) in ACCOUNTS {
        assert!(
            readme.contains(email) && readme.contains(password),
            "README lists {email}"
        );
    }
    let roles: Vec<Role> = ACCOUNTS.iter().map(|a| a.0).collect();
    for role in [
        Role::Admin,
        Role::Coordinator,
        Role::Instructor,
        Role::Participant,
        Role::Reviewer,
        Role::Liaison,
    ] {
        assert!(roles.contains(&role), "a demo account for {role}");
    }
}

#[rocket::async_test]
async fn demo_cohorts_cover_every_stage_with_real_history() {
    let app = TestApp::with_demo().await;
    let db = app.db();

    let people = participant::Entity::find().all(db).await.unwrap();
    assert_eq!(people.len(), 21);
    for code in PILOT_MUNICIPALITIES {
        assert!(
            people.iter().any(|p| p.municipality_code == *code),
            "someone from {code}"
        );
    }

    let cohorts = cohort::Entity::find().all(db).await.unwrap();
    for status in [
        CohortStatus::Draft,
        CohortStatus::Open,
        CohortStatus::InProgress,
        CohortStatus::Closed,
    ] {
        assert!(
            cohorts.iter().any(|c| c.status == status),
            "a {status} cohort"
        );
    }

    // No mark for a session that has not started.
    let now = domain::time::now();
    for session in cohort_session::Entity::find().all(db).await.unwrap() {
        let marks = attendance_mark::Entity::find()
            .filter(attendance_mark::Column::SessionId.eq(session.id))
            .count(db)
            .await
            .unwrap();
        if session.starts_at > now {
            assert_eq!(marks, 0, "session {} is in the future", session.id);
        }
    }
    assert!(attendance_mark::Entity::find().count(db).await.unwrap() > 50);
    assert!(score::Entity::find().count(db).await.unwrap() > 20);

    let closed = cohorts
        .iter()
        .find(|c| c.status == CohortStatus::Closed)
        .unwrap();
    let results = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(closed.id))
        .all(db)
        .await
        .unwrap();
    assert!(!results.is_empty());
    for e in &results {
        assert!(matches!(
            e.status,
            EnrolmentStatus::Completed | EnrolmentStatus::NotCompleted
        ));
        let (total, attended, grade) = (
            e.sessions_total.unwrap(),
            e.sessions_attended.unwrap(),
            e.final_grade_milli.unwrap(),
        );
        let meets = attended * 100 >= closed.min_attendance_pct * total
            && grade >= closed.pass_mark_tenths * 100;
        assert_eq!(
            e.status == EnrolmentStatus::Completed,
            meets,
            "enrolment {}",
            e.id
        );
    }
    assert!(
        results
            .iter()
            .any(|e| e.status == EnrolmentStatus::Completed)
    );
}

#[rocket::async_test]
async fn loading_demo_data_twice_changes_nothing() {
    let app = TestApp::with_demo().await;
    let db = app.db();
    assert!(!demo::ensure_loaded(db).await.unwrap());
    assert_eq!(
        user::Entity::find().count(db).await.unwrap(),
        ACCOUNTS.len() as u64
    );
    // Seven of ESAP (the Meta planning cohort of issue 47 and the trainers' cohort of issue 48
    // among them), and DNP's workshop (issue 32); ESAP, the three other providers and the
    // Gobernación del Meta (issue 48, leading the Meta alliance). Issue 64: the diplomado's two
    // editions of four module cohorts each, and the earlier Gestión Presupuestal cohort whose
    // certificate recognises a module.
    assert_eq!(
        cohort::Entity::find().count(db).await.unwrap(),
        8 + 4 + 4 + 1
    );
    assert_eq!(
        domain::entities::provider::Entity::find()
            .count(db)
            .await
            .unwrap(),
        5
    );
    assert_eq!(
        domain::entities::alliance::Entity::find()
            .count(db)
            .await
            .unwrap(),
        2,
        "the Caquetá and Meta alliances, once"
    );
}
