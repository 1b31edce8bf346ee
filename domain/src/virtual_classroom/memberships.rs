//! Names and Role Provisioning Services (NRPS 2.0): the cohort's people as the tool sees them.
//! Enrolled people (also those whose result is already decided) as Learner, the cohort's
//! instructors as Instructor; never a waitlisted or cancelled person. Names and email only as
//! the tool's sharing settings allow. Paged with `limit` and a `Link: rel="next"`.

use super::services::{self, ToolAccess};
use super::{Platform, ROLE_INSTRUCTOR, ROLE_LEARNER, SCOPE_MEMBERSHIPS};
use crate::entities::values::EnrolmentStatus;
use crate::entities::{cohort_instructor, course, enrolment, participant, user};
use crate::error::{AppError, AppResult};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

/// Members per page unless the tool asks for fewer.
pub const PAGE_MAX: usize = 500;

pub const MEDIA_TYPE: &str = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json";

/// One page of the membership container, and the next page's URL.
pub struct Page {
    pub container: Value,
    pub next: Option<String>,
}

/// `role` as the tool may write it: the full URI or its short name.
fn role_of(text: &str) -> AppResult<&'static str> {
    let short = text.rsplit(['#', '/']).next().unwrap_or(text);
    match short {
        "Learner" => Ok(ROLE_LEARNER),
        "Instructor" => Ok(ROLE_INSTRUCTOR),
        _ => Err(AppError::invalid(
            "role",
            format!("«{text}» no es un rol de la cohorte (Learner o Instructor)."),
        )),
    }
}

/// The cohort's members for the tool.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    platform: &Platform,
    access: &ToolAccess,
    cohort_id: i32,
    role: Option<&str>,
    limit: Option<usize>,
    offset: Option<usize>,
) -> AppResult<Page> {
    let cohort = services::context(db, access, cohort_id, &[SCOPE_MEMBERSHIPS]).await?;
    let role = role.map(role_of).transpose()?;
    let limit = limit.unwrap_or(PAGE_MAX).clamp(1, PAGE_MAX);
    let offset = offset.unwrap_or(0);
    let tool = &access.tool;
    // Ordered: learners by enrolment, then instructors by account (stable across pages).
    let mut members: BTreeMap<(u8, i32), Value> = BTreeMap::new();
    if role.is_none_or(|r| r == ROLE_LEARNER) {
        let rows = enrolment::Entity::find()
            .filter(enrolment::Column::CohortId.eq(cohort.id))
            .filter(enrolment::Column::Status.is_in([
                EnrolmentStatus::Enrolled,
                EnrolmentStatus::Completed,
                EnrolmentStatus::NotCompleted,
            ]))
            .find_also_related(participant::Entity)
            .all(db)
            .await?;
        for (e, p) in rows {
            let Some(p) = p else { continue };
            let mut member = json!({
                "status": "Active",
                "user_id": super::user_id(Some(p.id), 0),
                "roles": [ROLE_LEARNER],
            });
            if tool.share_name {
                member["name"] = json!(p.full_name());
                member["given_name"] = json!(p.first_names);
                member["family_name"] = json!(p.last_names);
            }
            if tool.share_email
                && let Some(email) = &p.email
            {
                member["email"] = json!(email);
            }
            members.insert((0, e.id), member);
        }
    }
    if role.is_none_or(|r| r == ROLE_INSTRUCTOR) {
        let ids: Vec<i32> = cohort_instructor::Entity::find()
            .filter(cohort_instructor::Column::CohortId.eq(cohort.id))
            .all(db)
            .await?
            .into_iter()
            .map(|i| i.user_id)
            .collect();
        let accounts = user::Entity::find()
            .filter(user::Column::Id.is_in(ids.clone()))
            .all(db)
            .await?;
        let records: HashMap<i32, participant::Model> = participant::Entity::find()
            .filter(participant::Column::UserId.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .filter_map(|p| p.user_id.map(|u| (u, p)))
            .collect();
        for account in accounts {
            let mut member = json!({
                "status": "Active",
                "user_id": super::user_id(records.get(&account.id).map(|p| p.id), account.id),
                "roles": [ROLE_INSTRUCTOR],
            });
            if tool.share_name {
                member["name"] = json!(account.full_name);
            }
            if tool.share_email {
                member["email"] = json!(account.email);
            }
            members.insert((1, account.id), member);
        }
    }
    let total = members.len();
    let chosen: Vec<Value> = members.into_values().skip(offset).take(limit).collect();
    let course = course::Entity::find_by_id(cohort.course_id).one(db).await?;
    let base = platform.memberships_url(cohort.id);
    let next = (offset + limit < total).then(|| {
        let mut url = format!("{base}?limit={limit}&offset={}", offset + limit);
        if let Some(r) = role {
            url.push_str(&format!(
                "&role={}",
                percent_encoding::utf8_percent_encode(r, percent_encoding::NON_ALPHANUMERIC)
            ));
        }
        url
    });
    Ok(Page {
        container: json!({
            "id": base,
            "context": {
                "id": cohort.id.to_string(),
                "label": course.map_or_else(|| cohort.name.clone(), |c| c.code),
                "title": cohort.name,
            },
            "members": chosen,
        }),
        next,
    })
}
