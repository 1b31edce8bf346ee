//! The demo's virtual classroom (issue 65): ESAP's campus (Moodle) registered as a tool, the
//! Caquetá planning cohort in progress linked to it, its next session held there, and who
//! entered during the last session.

use crate::accounts::demo::Accounts;
use crate::entities::values::{EnrolmentStatus, Modality};
use crate::entities::{
    cohort, cohort_session, enrolment, lti_launch, lti_link, lti_tool, participant,
};
use crate::error::{AppError, AppResult};
use chrono::Duration;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

/// The cohort the demo links (in progress, mixed).
const COHORT: &str = "Planeación Territorial · Caquetá PDET 2026-II";
const CAMPUS: &str = "https://campusvirtual.esap.edu.co";

pub async fn load<C: ConnectionTrait>(db: &C, accounts: &Accounts) -> AppResult<()> {
    let at = crate::time::now();
    let cohort = cohort::Entity::find()
        .filter(cohort::Column::Name.eq(COHORT))
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal(format!("demo: no cohort «{COHORT}»")))?;
    let tool = lti_tool::ActiveModel {
        name: Set("Campus virtual ESAP (Moodle)".into()),
        client_id: Set("demo-campus-esap".into()),
        deployment_id: Set("demo-1".into()),
        login_url: Set(format!("{CAMPUS}/enrol/lti/login.php?id=4f3b")),
        target_link_uri: Set(format!("{CAMPUS}/enrol/lti/launch.php")),
        redirect_uris: Set(serde_json::to_string(&[
            format!("{CAMPUS}/enrol/lti/launch.php"),
            format!("{CAMPUS}/enrol/lti/launch_deeplink.php"),
        ])
        .unwrap_or_default()),
        jwks_url: Set(Some(format!("{CAMPUS}/enrol/lti/jwks.php"))),
        public_jwk: Set(None),
        deep_link_url: Set(Some(format!("{CAMPUS}/enrol/lti/launch_deeplink.php"))),
        share_name: Set(true),
        share_email: Set(false),
        scopes: Set(serde_json::to_string(&super::SCOPES).unwrap_or_default()),
        created_by: Set(Some(accounts.admin)),
        created_at: Set(at - Duration::days(30)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let link = lti_link::ActiveModel {
        cohort_id: Set(cohort.id),
        tool_id: Set(tool.id),
        resource_link_id: Set("demo-planeacion-caqueta".into()),
        title: Set("Foros, lecturas y tareas en el campus virtual".into()),
        custom: Set(Some(r#"{"id":"12"}"#.into())),
        created_by: Set(Some(accounts.coordinator)),
        created_at: Set(at - Duration::days(29)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let sessions = cohort_session::Entity::find()
        .filter(cohort_session::Column::CohortId.eq(cohort.id))
        .order_by_asc(cohort_session::Column::StartsAt)
        .all(db)
        .await?;
    // The next session after today meets in the campus; the last one before today had
    // people entering during it.
    if let Some(next) = sessions
        .iter()
        .find(|s| s.starts_at > at + Duration::days(1))
    {
        let mut row: cohort_session::ActiveModel = next.clone().into();
        row.modality = Set(Some(Modality::Virtual));
        row.lti_link_id = Set(Some(link.id));
        row.update(db).await?;
    }
    let Some(last) = sessions
        .iter()
        .rev()
        .find(|s| s.ends_at < at - Duration::hours(12))
    else {
        return Ok(());
    };
    let people = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(cohort.id))
        .filter(enrolment::Column::Status.eq(EnrolmentStatus::Enrolled))
        .find_also_related(participant::Entity)
        .order_by_asc(enrolment::Column::Id)
        .all(db)
        .await?;
    let mut launches: Vec<lti_launch::ActiveModel> = people
        .iter()
        .take(4)
        .enumerate()
        .filter_map(|(n, (e, p))| {
            let p = p.as_ref()?;
            Some(lti_launch::ActiveModel {
                link_id: Set(link.id),
                cohort_id: Set(cohort.id),
                user_id: Set(p.user_id?),
                participant_id: Set(Some(p.id)),
                enrolment_id: Set(Some(e.id)),
                role: Set("Learner".into()),
                session_id: Set(Some(last.id)),
                launched_at: Set(last.starts_at + Duration::minutes(3 + 4 * n as i64)),
                ..Default::default()
            })
        })
        .collect();
    launches.push(lti_launch::ActiveModel {
        link_id: Set(link.id),
        cohort_id: Set(cohort.id),
        user_id: Set(accounts.instructor),
        participant_id: Set(None),
        enrolment_id: Set(None),
        role: Set("Instructor".into()),
        session_id: Set(Some(last.id)),
        launched_at: Set(last.starts_at - Duration::minutes(10)),
        ..Default::default()
    });
    lti_launch::Entity::insert_many(launches)
        .exec_without_returning(db)
        .await?;
    Ok(())
}
