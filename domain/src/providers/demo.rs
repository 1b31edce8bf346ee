//! The demo's other providers (issue 32): DNP, Función Pública and the Gobernación del
//! Caquetá, each with its coordinator.

use crate::entities::values::ProviderKind;
use crate::entities::{provider, user};
use crate::error::{AppError, AppResult};
use crate::time::now;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

/// Issue 32: the other providers of the demo, (name, kind, NIT, department), in the order of
/// their coordinators given to [`load`].
const PROVIDERS: &[(&str, ProviderKind, Option<&str>, Option<&str>)] = &[
    (
        "Departamento Nacional de Planeación (DNP)",
        ProviderKind::Nacional,
        Some("899999011-0"),
        None,
    ),
    (
        "Departamento Administrativo de la Función Pública",
        ProviderKind::Nacional,
        None,
        None,
    ),
    (
        "Gobernación del Caquetá",
        ProviderKind::Gobernacion,
        None,
        Some("18"),
    ),
];

/// The demo's other providers' ids.
pub struct Providers {
    /// Departamento Nacional de Planeación (DNP).
    pub dnp: i32,
    /// Departamento Administrativo de la Función Pública.
    pub function_public: i32,
    /// Gobernación del Caquetá.
    pub gob_caqueta: i32,
}

/// Creates [`PROVIDERS`], each the provider of its coordinator in `coordinators` (DNP's,
/// Función Pública's, the Gobernación del Caquetá's).
pub async fn load<C: ConnectionTrait>(db: &C, coordinators: [i32; 3]) -> AppResult<Providers> {
    let at = now();
    let mut ids = Vec::new();
    for ((name, kind, nit, department), coordinator) in PROVIDERS.iter().zip(coordinators) {
        let saved = provider::ActiveModel {
            name: Set(name.to_string()),
            kind: Set(*kind),
            nit: Set(nit.map(str::to_string)),
            department_code: Set(department.map(str::to_string)),
            active: Set(true),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        }
        .insert(db)
        .await?;
        let mut account: user::ActiveModel = user::Entity::find_by_id(coordinator)
            .one(db)
            .await?
            .ok_or_else(|| AppError::Internal("demo: falta un coordinador de oferente".into()))?
            .into();
        account.provider_id = Set(Some(saved.id));
        account.update(db).await?;
        ids.push(saved.id);
    }
    let [dnp, function_public, gob_caqueta] = ids[..] else {
        return Err(AppError::Internal("demo: faltan oferentes".into()));
    };
    Ok(Providers {
        dnp,
        function_public,
        gob_caqueta,
    })
}
