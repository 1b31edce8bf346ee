//! Providers (oferentes, issue 32): the organisations whose training and assistance make up the
//! whole offer a municipality receives. ESAP is one of them (id 1, created by the migration and
//! owning everything recorded before providers existed); admins add and change the others.
//! Every signed-in person reads the list: seeing each other is the point.

pub mod demo;

use crate::audit::{self, Change};
use crate::entities::provider;
use crate::entities::values::ProviderKind;
use crate::error::{AppError, AppResult, FieldError};
use crate::rows::Found;
use crate::rows::Rows;
use crate::validate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};

/// ESAP's id: the migration inserts it first, into an empty table, on every engine.
pub const ESAP: i32 = 1;

/// How many providers a list holds at most (they are organisations, not people).
const LIST_MAX: u64 = 1_000;

/// A provider as the API and pages show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = Provider)]
pub struct ProviderView {
    pub id: i32,
    #[schema(example = "Departamento Nacional de Planeación (DNP)")]
    pub name: String,
    pub kind: ProviderKind,
    /// Spanish name of the kind.
    #[schema(example = "Entidad nacional")]
    pub kind_label: String,
    #[schema(example = "899999011-0")]
    pub nit: Option<String>,
    /// A gobernación's or a university's department (DANE code).
    #[schema(example = "18")]
    pub department_code: Option<String>,
    pub active: bool,
}

impl From<provider::Model> for ProviderView {
    fn from(row: provider::Model) -> Self {
        ProviderView {
            id: row.id,
            kind_label: row.kind.label().to_string(),
            name: row.name,
            kind: row.kind,
            nit: row.nit,
            department_code: row.department_code,
            active: row.active,
        }
    }
}

/// The provider a course, cohort or certificate names: `{"id", "name"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = ProviderRef)]
pub struct ProviderRef {
    pub id: i32,
    #[schema(example = "Escuela Superior de Administración Pública (ESAP)")]
    pub name: String,
}

impl ProviderRef {
    pub fn is_esap(&self) -> bool {
        self.id == ESAP
    }
}

/// What an admin sends to create (name and kind required) or change a provider.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ProviderInput {
    #[schema(max_length = 160)]
    pub name: Option<String>,
    /// `nacional`, `gobernacion`, `universidad`, `cooperacion`, `gremio` or `otra`.
    pub kind: Option<String>,
    /// `NNNNNNNNN-D`, with DIAN's check digit; empty to remove it.
    pub nit: Option<String>,
    /// DANE code of the department (a gobernación's is required); empty to remove it.
    pub department_code: Option<String>,
    pub active: Option<bool>,
}

/// Every provider, ESAP first, then by name.
pub async fn list<C: ConnectionTrait>(db: &C) -> AppResult<Vec<ProviderView>> {
    use sea_orm::QuerySelect;
    let mut rows: Vec<ProviderView> = provider::Entity::find()
        .order_by_asc(provider::Column::Name)
        .limit(LIST_MAX)
        .all_mapped(db, ProviderView::from)
        .await?;
    rows.sort_by_key(|p| p.id != ESAP);
    Ok(rows)
}

/// The active ones (what a coordinator can be assigned to, a demand pointed to).
pub async fn active<C: ConnectionTrait>(db: &C) -> AppResult<Vec<ProviderView>> {
    Ok(list(db).await?.into_iter().filter(|p| p.active).collect())
}

pub async fn get<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<ProviderView> {
    provider::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(ProviderView::from)
        .ok_or(AppError::NotFound)
}

/// A provider's name as people say it: the initials its name closes with in parentheses
/// («Departamento Nacional de Planeación (DNP)» → «DNP»), else the whole name.
pub fn short_name(name: &str) -> &str {
    let name = name.trim();
    name.strip_suffix(')')
        .and_then(|open| open.rfind('(').map(|at| open[at + 1..].trim()))
        .filter(|short| !short.is_empty())
        .unwrap_or(name)
}

/// `{"id", "name"}` of every provider, for naming them beside courses and cohorts.
pub async fn names<C: ConnectionTrait>(
    db: &C,
) -> AppResult<std::collections::HashMap<i32, ProviderRef>> {
    Ok(list(db)
        .await?
        .into_iter()
        .map(|p| {
            (
                p.id,
                ProviderRef {
                    id: p.id,
                    name: p.name,
                },
            )
        })
        .collect())
}

/// One provider's `{"id", "name"}`.
pub async fn reference<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<ProviderRef> {
    let p = get(db, id).await?;
    Ok(ProviderRef {
        id: p.id,
        name: p.name,
    })
}

/// Whether `text` is a NIT with its DIAN check digit (`899999054-7`).
pub fn nit_is_valid(text: &str) -> bool {
    let Some((number, check)) = text.split_once('-') else {
        return false;
    };
    if number.len() != 9
        || check.len() != 1
        || !number.bytes().all(|b| b.is_ascii_digit())
        || !check.bytes().all(|b| b.is_ascii_digit())
    {
        return false;
    }
    const WEIGHTS: [u32; 15] = [3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71];
    let sum: u32 = number
        .bytes()
        .rev()
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    let rest = sum % 11;
    let expected = if rest >= 2 { 11 - rest } else { rest };
    check.parse::<u32>().ok() == Some(expected)
}

/// The checked values of an input; `None` = not sent; `Some(None)` = removed.
struct Checked {
    name: Option<String>,
    kind: Option<ProviderKind>,
    nit: Option<Option<String>>,
    department_code: Option<Option<String>>,
}

/// Checks the input, every problem at once: a unique name, a known kind, a NIT with its check
/// digit that no other provider has, an existing department (required for a gobernación).
async fn check<C: ConnectionTrait>(
    db: &C,
    input: &ProviderInput,
    current: Option<&provider::Model>,
) -> AppResult<Checked> {
    let mut errors = Vec::new();
    let current_id = current.map(|c| c.id);
    let name = match input.name.as_deref() {
        Some(text) => match validate::single_line("name", text, validate::TITLE_MAX) {
            Ok(Some(name)) => {
                let taken = provider::Entity::find()
                    .filter(provider::Column::Name.eq(name.as_str()))
                    .one(db)
                    .await?
                    .is_some_and(|p| Some(p.id) != current_id);
                if taken {
                    errors.push(FieldError::new(
                        "name",
                        "Ya existe un oferente con ese nombre.",
                    ));
                }
                Some(name)
            }
            Ok(None) => {
                errors.push(FieldError::new("name", "Escriba el nombre del oferente."));
                None
            }
            Err(e) => {
                errors.push(e);
                None
            }
        },
        None if current.is_none() => {
            errors.push(FieldError::new("name", "Escriba el nombre del oferente."));
            None
        }
        None => None,
    };
    let kind = match input.kind.as_deref().map(str::trim) {
        Some(text) => match ProviderKind::parse(text) {
            Some(kind) => Some(kind),
            None => {
                errors.push(FieldError::new(
                    "kind",
                    "El tipo debe ser nacional, gobernacion, universidad, cooperacion, gremio u otra.",
                ));
                None
            }
        },
        None if current.is_none() => {
            errors.push(FieldError::new("kind", "Elija el tipo de oferente."));
            None
        }
        None => None,
    };
    let nit = match input.nit.as_deref().map(str::trim) {
        Some("") => Some(None),
        Some(text) if !nit_is_valid(text) => {
            errors.push(FieldError::new(
                "nit",
                "El NIT va con su dígito de verificación, así: 899999054-7.",
            ));
            None
        }
        Some(text) => {
            let taken = provider::Entity::find()
                .filter(provider::Column::Nit.eq(text))
                .one(db)
                .await?
                .is_some_and(|p| Some(p.id) != current_id);
            if taken {
                errors.push(FieldError::new("nit", "Otro oferente ya tiene ese NIT."));
            }
            Some(Some(text.to_string()))
        }
        None => None,
    };
    let department_code = match input.department_code.as_deref().map(str::trim) {
        Some("") => Some(None),
        Some(code) => {
            if crate::territory::department_exists(db, code).await? {
                Some(Some(code.to_string()))
            } else {
                errors.push(FieldError::new(
                    "department_code",
                    format!("No existe un departamento con el código DANE «{code}»."),
                ));
                None
            }
        }
        None => None,
    };
    let final_kind = kind.or(current.map(|c| c.kind));
    let final_department = match &department_code {
        Some(value) => value.clone(),
        None => current.and_then(|c| c.department_code.clone()),
    };
    if final_kind == Some(ProviderKind::Gobernacion) && final_department.is_none() {
        errors.push(FieldError::new(
            "department_code",
            "Una gobernación indica su departamento.",
        ));
    }
    if current_id == Some(ESAP) && input.active == Some(false) {
        errors.push(FieldError::new(
            "active",
            "La ESAP no se puede desactivar: es dueña de la oferta registrada antes de los oferentes.",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok(Checked {
        name,
        kind,
        nit,
        department_code,
    })
}

/// Creates a provider (admins), audited.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    actor: i32,
    input: &ProviderInput,
) -> AppResult<ProviderView> {
    let checked = check(db, input, None).await?;
    let at = crate::time::now();
    let saved = provider::ActiveModel {
        name: Set(checked.name.unwrap_or_default()),
        kind: Set(checked.kind.unwrap_or(ProviderKind::Otra)),
        nit: Set(checked.nit.flatten()),
        department_code: Set(checked.department_code.flatten()),
        active: Set(input.active.unwrap_or(true)),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let view = ProviderView::from(saved);
    audit::record(
        db,
        Change {
            actor: Some(actor),
            action: "provider.created",
            subject_type: "provider",
            subject_id: view.id.to_string(),
            before: None,
            after: serde_json::to_value(&view).ok(),
        },
    )
    .await?;
    Ok(view)
}

/// Changes a provider (admins), audited. ESAP cannot be deactivated.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    actor: i32,
    id: i32,
    input: &ProviderInput,
) -> AppResult<ProviderView> {
    let current = provider::Entity::find_by_id(id).found(db).await?;
    let checked = check(db, input, Some(&current)).await?;
    let before = ProviderView::from(current.clone());
    let mut row: provider::ActiveModel = current.into();
    if let Some(name) = checked.name {
        row.name = Set(name);
    }
    if let Some(kind) = checked.kind {
        row.kind = Set(kind);
    }
    if let Some(nit) = checked.nit {
        row.nit = Set(nit);
    }
    if let Some(code) = checked.department_code {
        row.department_code = Set(code);
    }
    if let Some(active) = input.active {
        row.active = Set(active);
    }
    row.updated_at = Set(crate::time::now());
    let view = ProviderView::from(row.update(db).await?);
    audit::record(
        db,
        Change {
            actor: Some(actor),
            action: "provider.updated",
            subject_type: "provider",
            subject_id: id.to_string(),
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&view).ok(),
        },
    )
    .await?;
    Ok(view)
}

/// Checks a provider a coordinator is assigned to, or a demand is pointed to: it exists and
/// is active (422 otherwise, on `field`).
pub async fn require_active<C: ConnectionTrait>(
    db: &C,
    field: &str,
    id: i32,
) -> AppResult<ProviderView> {
    match provider::Entity::find_by_id(id).one(db).await? {
        Some(row) if row.active => Ok(row.into()),
        _ => Err(AppError::Validation(vec![FieldError::new(
            field,
            "No existe un oferente activo con ese número.",
        )])),
    }
}

#[cfg(test)]
mod tests {
    use super::nit_is_valid;

    #[test]
    fn a_nit_carries_dian_check_digit() {
        assert!(nit_is_valid("899999054-7"));
        assert!(nit_is_valid("899999011-0"));
        assert!(!nit_is_valid("899999054-6"));
        assert!(!nit_is_valid("899999054"));
        assert!(!nit_is_valid("89999905-47"));
        assert!(!nit_is_valid("89999905a-7"));
    }
}
