//! A cohort's links to the virtual classroom: a tool's resource (a Moodle course published as
//! a tool) that the cohort's people open from its page.

use super::{Platform, tools};
use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::entities::{lti_link, lti_tool};
use crate::error::{AppError, AppResult, FieldError};
use crate::rows::Found;
use crate::rows::Rows;
use crate::validate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// At most this many custom parameters per link.
pub const CUSTOM_MAX: usize = 20;

/// What the coordinator sends to link a cohort to a tool.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = LtiLinkInput)]
pub struct LinkInput {
    #[schema(value_type = i32)]
    pub tool_id: Option<i32>,
    #[schema(example = "Aula virtual del curso", max_length = 160)]
    pub title: Option<String>,
    /// Custom parameters the tool receives with each launch (text values).
    #[schema(value_type = Option<Object>)]
    pub custom: Option<BTreeMap<String, String>>,
}

/// A cohort's link.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = LtiLink)]
pub struct LinkView {
    pub id: i32,
    pub cohort_id: i32,
    pub tool_id: i32,
    pub tool_name: String,
    pub title: String,
    /// Opaque and stable: what the tool knows the link by.
    pub resource_link_id: String,
    /// The page that launches it for the signed-in person.
    pub launch_url: String,
    #[schema(value_type = Object)]
    pub custom: BTreeMap<String, String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

fn view_of(platform: &Platform, row: &lti_link::Model, tool_name: &str) -> LinkView {
    LinkView {
        id: row.id,
        cohort_id: row.cohort_id,
        tool_id: row.tool_id,
        tool_name: tool_name.to_string(),
        title: row.title.clone(),
        resource_link_id: row.resource_link_id.clone(),
        launch_url: platform.launch_page(row.cohort_id, row.id),
        custom: row
            .custom
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default(),
        created_at: crate::time::date_time(row.created_at),
    }
}

/// A cohort linked to a tool (`lti_link.created`).
#[derive(Serialize)]
struct Created<'a> {
    link_id: i32,
    tool_id: i32,
    title: &'a str,
}

/// Links the cohort `actor` manages to a tool. Audited.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    platform: &Platform,
    actor: &Actor,
    cohort_id: i32,
    input: &LinkInput,
) -> AppResult<LinkView> {
    let cohort = crate::cohorts::find_managed(db, actor, cohort_id).await?;
    if cohort.status.is_final() {
        return Err(AppError::Conflict(format!(
            "La cohorte está {}: ya no se vincula a un aula virtual.",
            cohort.status.label().to_lowercase()
        )));
    }
    let mut errors = Vec::new();
    let title = validate::line(
        "title",
        input.title.as_deref(),
        validate::TITLE_MAX,
        &mut errors,
    );
    if title.is_none() && !errors.iter().any(|e| e.field == "title") {
        errors.push(FieldError::new(
            "title",
            "Escriba el título del aula virtual.",
        ));
    }
    let tool = match input.tool_id {
        None => {
            errors.push(FieldError::new(
                "tool_id",
                "Elija el aula virtual (tool_id).",
            ));
            None
        }
        Some(id) => match lti_tool::Entity::find_by_id(id).one(db).await? {
            Some(tool) => Some(tool),
            None => {
                errors.push(FieldError::new(
                    "tool_id",
                    format!("No hay un aula virtual registrada con el número {id}."),
                ));
                None
            }
        },
    };
    let custom = input.custom.clone().unwrap_or_default();
    if custom.len() > CUSTOM_MAX {
        errors.push(FieldError::new(
            "custom",
            format!("Indique como máximo {CUSTOM_MAX} parámetros."),
        ));
    }
    for (key, value) in &custom {
        let ok_key = !key.is_empty()
            && key.len() <= 60
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok_key {
            errors.push(FieldError::new(
                "custom",
                format!("«{key}» no es un nombre de parámetro válido (letras, números y _)."),
            ));
        }
        if let Err(e) =
            validate::single_line(&format!("custom.{key}"), value, validate::SHORT_TEXT_MAX)
        {
            errors.push(e);
        }
    }
    let (Some(title), Some(tool)) = (title, tool) else {
        return Err(AppError::Validation(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let row = lti_link::ActiveModel {
        cohort_id: Set(cohort.id),
        tool_id: Set(tool.id),
        resource_link_id: Set(crate::accounts::secrets::random_hex()),
        title: Set(title),
        custom: Set(
            (!custom.is_empty()).then(|| serde_json::to_string(&custom).unwrap_or_default())
        ),
        created_by: Set(Some(actor.id)),
        created_at: Set(crate::time::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let view = view_of(platform, &row, &tool.name);
    audit::record(
        db,
        Change {
            actor: Some(actor.id),
            action: "lti_link.created",
            subject_type: "cohort",
            subject_id: cohort.id.to_string(),
            before: None,
            after: serde_json::to_value(Created {
                link_id: view.id,
                tool_id: view.tool_id,
                title: &view.title,
            })
            .ok(),
        },
    )
    .await?;
    Ok(view)
}

/// The cohort's links, oldest first (the caller has checked who may see the cohort).
pub async fn of_cohort<C: ConnectionTrait>(
    db: &C,
    platform: &Platform,
    cohort_id: i32,
) -> AppResult<Vec<LinkView>> {
    let rows = lti_link::Entity::find()
        .filter(lti_link::Column::CohortId.eq(cohort_id))
        .order_by_asc(lti_link::Column::Id)
        .all(db)
        .await?;
    let names: HashMap<i32, String> = lti_tool::Entity::find()
        .filter(lti_tool::Column::Id.is_in(rows.iter().map(|r| r.tool_id)))
        .all_mapped(db, |t| (t.id, t.name))
        .await?;
    Ok(rows
        .iter()
        .map(|row| view_of(platform, row, names.get(&row.tool_id).map_or("", |n| n)))
        .collect())
}

/// The link `link_id` of the cohort (404 for another cohort's), with its tool.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    link_id: i32,
) -> AppResult<(lti_link::Model, lti_tool::Model)> {
    let link = lti_link::Entity::find_by_id(link_id)
        .filter(lti_link::Column::CohortId.eq(cohort_id))
        .found(db)
        .await?;
    let tool = tools::find(db, link.tool_id).await?;
    Ok((link, tool))
}
