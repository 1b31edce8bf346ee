//! The demo's accounts: one per role and a few more ([`ACCOUNTS`], printed in the README),
//! and [`Accounts`], their ids by what each person does, so the rest of the demo says who
//! does what (`accounts.reviewer_caqueta`, not the fifth id).

use super::passwords::NewPassword;
use super::{NewUser, create_user};
use crate::entities::values::Role;
use crate::error::{AppError, AppResult};
use sea_orm::ConnectionTrait;

/// ESAP's national coordination: its account's existence says the demo is loaded.
pub const COORDINATOR_EMAIL: &str = "coordinacion@aulaterritorial.example";
/// The demo participant's account (María Fernanda Muñoz Peña, the first of the demo's people).
pub const PARTICIPANT_EMAIL: &str = "participante@aulaterritorial.example";

/// Demo accounts: (role, email, password, full name, department). Printed in the README.
pub const ACCOUNTS: &[(Role, &str, &str, &str, Option<&str>)] = &[
    (
        Role::Admin,
        "admin@aulaterritorial.example",
        "Admin-Aula-2026",
        "Adriana Salazar Ortiz",
        None,
    ),
    (
        Role::Coordinator,
        COORDINATOR_EMAIL,
        "Coordina-Aula-2026",
        "Julián Andrés Rincón",
        None,
    ),
    (
        Role::Instructor,
        "instructor@aulaterritorial.example",
        "Instruye-Aula-2026",
        "Luz Marina Cárdenas",
        None,
    ),
    (
        Role::Participant,
        PARTICIPANT_EMAIL,
        "Participa-Aula-2026",
        "María Fernanda Muñoz Peña",
        None,
    ),
    (
        Role::Reviewer,
        "revisor.caqueta@aulaterritorial.example",
        "Revisa-Aula-2026",
        "Óscar Iván Betancourt",
        Some("18"),
    ),
    // A second gobernación, so the cohort shared by Caquetá and Meta shows each reviewer only
    // the people of their own department.
    (
        Role::Reviewer,
        "revisor.meta@aulaterritorial.example",
        "Revisa-Meta-2026",
        "Diana Carolina Rojas",
        Some("50"),
    ),
    // The liaison (enlace municipal) of El Paujíl, who raises the municipality's demands.
    (
        Role::Liaison,
        "enlace.elpaujil@aulaterritorial.example",
        "Enlace-Paujil-2026",
        "Yurany Andrea Cuéllar",
        Some("18256"),
    ),
    // A coordinator of a territorial direction (its departments are set when the demo loads).
    (
        Role::Coordinator,
        "coordinacion.meta@aulaterritorial.example",
        "Coordina-Meta-2026",
        "Hernán Darío Quintero",
        None,
    ),
    // Issue 32: a coordinator of each other provider (see `PROVIDERS`, same order).
    (
        Role::Coordinator,
        "coordinacion.dnp@aulaterritorial.example",
        "Coordina-DNP-2026",
        "Camilo Esteban Pardo",
        None,
    ),
    (
        Role::Coordinator,
        "coordinacion.funcionpublica@aulaterritorial.example",
        "Coordina-DAFP-2026",
        "Sandra Milena Ocampo",
        None,
    ),
    (
        Role::Coordinator,
        "oferta.gobcaqueta@aulaterritorial.example",
        "Oferta-Caqueta-2026",
        "Wilson Javier Trujillo",
        None,
    ),
];

/// The demo accounts' ids by what each person does (the order of [`ACCOUNTS`]).
#[derive(Clone, Debug)]
pub struct Accounts {
    /// Adriana Salazar Ortiz, the administrator.
    pub admin: i32,
    /// Julián Andrés Rincón, ESAP's national coordination.
    pub coordinator: i32,
    /// Luz Marina Cárdenas, the instructor of every demo cohort and assistance.
    pub instructor: i32,
    /// María Fernanda Muñoz Peña's account, the demo participant.
    pub participant: i32,
    /// Óscar Iván Betancourt, the Gobernación del Caquetá's reviewer.
    pub reviewer_caqueta: i32,
    /// Diana Carolina Rojas, the Gobernación del Meta's reviewer.
    pub reviewer_meta: i32,
    /// Yurany Andrea Cuéllar, El Paujíl's liaison.
    pub liaison_el_paujil: i32,
    /// Hernán Darío Quintero, ESAP's Dirección Territorial Meta.
    pub coordinator_meta: i32,
    /// Camilo Esteban Pardo, DNP's coordinator.
    pub coordinator_dnp: i32,
    /// Sandra Milena Ocampo, Función Pública's coordinator.
    pub coordinator_function_public: i32,
    /// Wilson Javier Trujillo, the Gobernación del Caquetá's offer.
    pub coordinator_gob_caqueta: i32,
    /// Every id, in the order of [`ACCOUNTS`].
    ids: Vec<i32>,
}

impl Accounts {
    /// The account that confirms an entity's contact in its territory: the first of
    /// [`ACCOUNTS`] that is the department's reviewer or the municipality's liaison.
    pub fn confirmer_in(&self, department: &str, municipality: Option<&str>) -> Option<i32> {
        ACCOUNTS
            .iter()
            .position(|account| match account.0 {
                Role::Reviewer => account.4 == Some(department),
                Role::Liaison => municipality == account.4,
                _ => false,
            })
            .map(|i| self.ids[i])
    }
}

/// Creates [`ACCOUNTS`] with their `passwords` (hashed before the transaction opened).
pub async fn create<C: ConnectionTrait>(
    db: &C,
    passwords: Vec<NewPassword>,
) -> AppResult<Accounts> {
    let mut ids = Vec::with_capacity(ACCOUNTS.len());
    for ((role, email, _, full_name, department), password) in ACCOUNTS.iter().zip(passwords) {
        let created = create_user(
            db,
            NewUser {
                email: email.to_string(),
                password,
                full_name: full_name.to_string(),
                role: *role,
                // The fifth field is a reviewer's department or a liaison's municipality.
                department_code: department
                    .filter(|_| *role == Role::Reviewer)
                    .map(str::to_string),
                municipality_code: department
                    .filter(|_| *role == Role::Liaison)
                    .map(str::to_string),
                territorial_direction_id: None,
                provider_id: None,
            },
        )
        .await?;
        ids.push(created.id);
    }
    let [
        admin,
        coordinator,
        instructor,
        participant,
        reviewer_caqueta,
        reviewer_meta,
        liaison_el_paujil,
        coordinator_meta,
        coordinator_dnp,
        coordinator_function_public,
        coordinator_gob_caqueta,
    ] = ids[..]
    else {
        return Err(AppError::Internal("demo: faltan cuentas".into()));
    };
    Ok(Accounts {
        admin,
        coordinator,
        instructor,
        participant,
        reviewer_caqueta,
        reviewer_meta,
        liaison_el_paujil,
        coordinator_meta,
        coordinator_dnp,
        coordinator_function_public,
        coordinator_gob_caqueta,
        ids,
    })
}
