//! Names and Role Provisioning Services (NRPS 2.0): the cohort's people as the tool sees them.
//! Enrolled people (also those whose result is already decided) as Learner, the cohort's
//! instructors as Instructor; never a waitlisted or cancelled person. Names and email only as
//! the tool's sharing settings allow. Paged with `limit` and a `Link: rel="next"`.

use super::services::{self, ToolAccess};
use super::{Platform, ROLE_INSTRUCTOR, ROLE_LEARNER, SCOPE_MEMBERSHIPS};
use crate::entities::values::EnrolmentStatus;
use crate::entities::{cohort_instructor, course, enrolment, participant, user};
use crate::error::{AppError, AppResult};
use crate::rows::Rows;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Members per page unless the tool asks for fewer.
pub const PAGE_MAX: usize = 500;

pub const MEDIA_TYPE: &str = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json";

/// One page of the membership container, and the next page's URL.
pub struct Page {
    pub container: Container,
    pub next: Option<String>,
}

/// The membership container (NRPS 2.0): the cohort as context, and its members.
#[derive(Clone, Debug, Serialize)]
pub struct Container {
    pub context: Context,
    pub id: String,
    pub members: Vec<Member>,
}

/// The cohort as the tool's context.
#[derive(Clone, Debug, Serialize)]
pub struct Context {
    pub id: String,
    pub label: String,
    pub title: String,
}

/// One member; names and email only as the tool's sharing settings allow (fields in the order
/// of their names).
#[derive(Clone, Debug, Serialize)]
pub struct Member {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub roles: [&'static str; 1],
    pub status: &'static str,
    pub user_id: String,
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
    let mut members: BTreeMap<(u8, i32), Member> = BTreeMap::new();
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
            let named = tool.share_name;
            let member = Member {
                email: p.email.clone().filter(|_| tool.share_email),
                family_name: named.then(|| p.last_names.clone()),
                given_name: named.then(|| p.first_names.clone()),
                name: named.then(|| p.full_name()),
                roles: [ROLE_LEARNER],
                status: "Active",
                user_id: super::user_id(Some(p.id), 0),
            };
            members.insert((0, e.id), member);
        }
    }
    if role.is_none_or(|r| r == ROLE_INSTRUCTOR) {
        let ids: Vec<i32> = cohort_instructor::Entity::find()
            .filter(cohort_instructor::Column::CohortId.eq(cohort.id))
            .all_mapped(db, |i| i.user_id)
            .await?;
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
            let member = Member {
                email: tool.share_email.then(|| account.email.clone()),
                family_name: None,
                given_name: None,
                name: tool.share_name.then(|| account.full_name.clone()),
                roles: [ROLE_INSTRUCTOR],
                status: "Active",
                user_id: super::user_id(records.get(&account.id).map(|p| p.id), account.id),
            };
            members.insert((1, account.id), member);
        }
    }
    let total = members.len();
    let chosen: Vec<Member> = members.into_values().skip(offset).take(limit).collect();
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
        container: Container {
            context: Context {
                id: cohort.id.to_string(),
                label: course.map_or_else(|| cohort.name.clone(), |c| c.code),
                title: cohort.name,
            },
            id: base,
            members: chosen,
        },
        next,
    })
}
