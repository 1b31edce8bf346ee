//! Pages for municipal demand (issue 16), one file per screen: the list (`list`: `/demandas`,
//! scoped like the API), raising one (`form`: `/demandas/nueva`), one demand (`show`:
//! `/demandas/<id>`) with what the caller may do to it (its author edits it while open, a
//! coordinator declines it with a reason, a gobernación reviewer endorses it), and the demand
//! map and overlap reports (`reports`); the choices the screens share here.

use crate::accounts::guards::CurrentUser;
use crate::error::{AppResult, DomainResult};
use crate::mail::Mailer;
use crate::web::PageResult;
use crate::web::csrf::{CsrfForm, csrf_protected};
use crate::web::{KeptKey, OwnedChoice as Choice, Page, capacity_choices};
use domain::demand::{DemandFilter, DemandInput, DemandView};
use domain::entities::values::{DemandPriority, DemandStatus, Modality, Role};
use domain::error::{AppError, FieldError};
use rocket::form::FromForm;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use std::collections::BTreeSet;

mod form;
mod list;
mod reports;
mod show;

use form::*;
use list::*;
use reports::*;
use show::*;

pub fn routes() -> Vec<Route> {
    routes![
        list_page,
        new_page,
        create_submit,
        show_page,
        edit_submit,
        decline_submit,
        endorse_submit,
        refer_submit,
        report_page,
        report_download,
        overlaps_page,
        overlaps_download,
        propose_liaison_submit
    ]
}

const PER_PAGE: u64 = 50;

fn choices<T: Copy + PartialEq>(
    all: &[T],
    selected: Option<T>,
    value: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<Choice> {
    all.iter()
        .map(|v| Choice {
            value: value(*v).to_string(),
            label: label(*v).to_string(),
            selected: Some(*v) == selected,
        })
        .collect()
}

const STATUSES: [DemandStatus; 4] = [
    DemandStatus::Open,
    DemandStatus::Planned,
    DemandStatus::Met,
    DemandStatus::Declined,
];
const PRIORITIES: [DemandPriority; 3] = [
    DemandPriority::Alta,
    DemandPriority::Media,
    DemandPriority::Baja,
];
const MODALITIES: [Modality; 3] = [Modality::Presencial, Modality::Virtual, Modality::Mixta];

/// Whether the caller may raise demands (and see the link to do it).
fn may_raise(user: &CurrentUser) -> bool {
    matches!(
        user.role,
        Role::Admin | Role::Coordinator | Role::Reviewer | Role::Liaison
    )
}

/// The providers for a select, by name (ESAP first); `active` only the active ones.
async fn provider_choices(
    db: &DatabaseConnection,
    selected: Option<i32>,
    active: bool,
) -> DomainResult<Vec<Choice>> {
    let rows = if active {
        domain::providers::active(db).await?
    } else {
        domain::providers::list(db).await?
    };
    Ok(Choice::of_rows(
        rows.into_iter().map(|p| (p.id, p.name)).collect(),
        selected,
    ))
}

/// The municipalities in the caller's territory, by name (a direction: its departments').
async fn municipality_choices(
    db: &DatabaseConnection,
    user: &CurrentUser,
    selected: &str,
) -> DomainResult<Vec<Choice>> {
    let departments = domain::territory::department_names(db).await?;
    Ok(domain::demand::municipalities_in_scope(db, user)
        .await?
        .into_iter()
        .map(|m| Choice {
            selected: m.code == selected,
            label: format!(
                "{} ({})",
                m.name,
                departments
                    .get(&m.department_code)
                    .cloned()
                    .unwrap_or_default()
            ),
            value: m.code,
        })
        .collect())
}
