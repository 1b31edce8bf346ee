//! The demo's people: 21 officials and community members of the seven pilot municipalities
//! (twelve of Caquetá, then nine of Meta), each with the data consent; the first is the demo
//! participant's account. [`People`] names the ones the demo picks by what happens to them.

use crate::accounts::demo::{Accounts, PARTICIPANT_EMAIL};
use crate::entities::values::{ConsentKind, DocumentType};
use crate::entities::{consent, participant};
use crate::error::{AppError, AppResult};
use crate::time::now;
use sea_orm::{ConnectionTrait, EntityTrait, Set};
use std::ops::Range;

/// (first names, last names, document number, municipality, entity type, position, level).
const PEOPLE: &[(&str, &str, &str, &str, &str, &str, &str)] = &[
    (
        "María Fernanda",
        "Muñoz Peña",
        "1117512345",
        "18592",
        "alcaldia",
        "Secretaria de Planeación",
        "directivo",
    ),
    (
        "José Ángel",
        "Quintero Díaz",
        "1117523456",
        "18592",
        "alcaldia",
        "Profesional universitario de Hacienda",
        "profesional",
    ),
    (
        "Nubia Esperanza",
        "Galíndez Ruiz",
        "40781234",
        "18592",
        "concejo",
        "Concejala",
        "elegido",
    ),
    (
        "Héctor Fabián",
        "Ordóñez Castaño",
        "1116234567",
        "18256",
        "alcaldia",
        "Tesorero municipal",
        "profesional",
    ),
    (
        "Yurany",
        "Bermúdez Ñáñez",
        "1116245678",
        "18256",
        "personeria",
        "Personera municipal",
        "directivo",
    ),
    (
        "Ramiro",
        "Peña Cuéllar",
        "17654321",
        "18256",
        "junta_accion_comunal",
        "Presidente de JAC vereda La Esperanza",
        "comunidad",
    ),
    (
        "Sandra Milena",
        "Vargas Tovar",
        "1118456789",
        "18610",
        "alcaldia",
        "Técnica administrativa",
        "tecnico",
    ),
    (
        "Luis Eduardo",
        "Chávarro Muñoz",
        "1118467890",
        "18610",
        "alcaldia",
        "Contratista de la oficina de proyectos",
        "contratista",
    ),
    (
        "Ana Lucía",
        "Perdomo Ramírez",
        "1118478901",
        "18610",
        "consejo_territorial_planeacion",
        "Consejera territorial",
        "comunidad",
    ),
    (
        "Édgar",
        "Losada Gutiérrez",
        "1119589012",
        "18094",
        "alcaldia",
        "Secretario de Gobierno",
        "directivo",
    ),
    (
        "Diana Patricia",
        "Rojas Cabrera",
        "1119590123",
        "18094",
        "alcaldia",
        "Auxiliar administrativa",
        "asistencial",
    ),
    (
        "Wilson",
        "Ibáñez Polanía",
        "1119501234",
        "18094",
        "veeduria",
        "Veedor ciudadano",
        "comunidad",
    ),
    (
        "Leidy Johana",
        "Sánchez Arévalo",
        "1121612345",
        "50325",
        "alcaldia",
        "Secretaria de Hacienda",
        "directivo",
    ),
    (
        "Fredy Alonso",
        "Güiza Moreno",
        "1121623456",
        "50325",
        "alcaldia",
        "Profesional de presupuesto",
        "profesional",
    ),
    (
        "Marleny",
        "Castro Umaña",
        "1121634567",
        "50325",
        "concejo",
        "Secretaria del concejo",
        "asistencial",
    ),
    (
        "Jhon Jairo",
        "Álvarez Torres",
        "1122745678",
        "50450",
        "alcaldia",
        "Asesor de despacho",
        "asesor",
    ),
    (
        "Luz Dary",
        "Méndez Ocampo",
        "1122756789",
        "50450",
        "alcaldia",
        "Técnica de tesorería",
        "tecnico",
    ),
    (
        "Camilo Andrés",
        "Núñez Beltrán",
        "1122767890",
        "50450",
        "personeria",
        "Auxiliar de personería",
        "asistencial",
    ),
    (
        "Gloria Inés",
        "Parrado Velásquez",
        "1123878901",
        "50577",
        "alcaldia",
        "Jefa de control interno",
        "directivo",
    ),
    (
        "Orlando",
        "Acuña Herrera",
        "1123889012",
        "50577",
        "alcaldia",
        "Contratista de rendición de cuentas",
        "contratista",
    ),
    (
        "Yeimy Carolina",
        "Ríos Bohórquez",
        "1123890123",
        "50577",
        "junta_accion_comunal",
        "Tesorera de JAC",
        "comunidad",
    ),
];

/// One of the demo's people, as an enrolment copies them.
#[derive(Clone, Debug)]
pub struct Person {
    /// The participant's id.
    pub id: i32,
    /// The DANE code of the municipality they work in.
    pub municipality: String,
    /// The type of entity they work in.
    pub entity_type: String,
}

/// The demo's people in the order of `PEOPLE` (an index is also the seed of a person's
/// attendance and scores in the demo's history).
pub struct People(Vec<Person>);

impl People {
    /// María Fernanda Muñoz Peña (Puerto Rico): the demo participant's account.
    pub const MARIA_FERNANDA: usize = 0;
    /// José Ángel Quintero Díaz (Puerto Rico): invited by the Meta direction's coordinator.
    pub const JOSE_ANGEL: usize = 1;
    /// Héctor Fabián Ordóñez Castaño (El Paujíl): a replicator.
    pub const HECTOR_FABIAN: usize = 3;
    /// Yurany Bermúdez Ñáñez (El Paujíl): enrolled in the open cohort.
    pub const YURANY: usize = 4;
    /// Sandra Milena Vargas Tovar (San José del Fragua): a trainer waiting for endorsement.
    pub const SANDRA_MILENA: usize = 6;
    /// Édgar Losada Gutiérrez (Belén de los Andaquíes): did not complete the trainers' cohort.
    pub const EDGAR: usize = 9;
    /// Fredy Alonso Güiza Moreno (Mapiripán): enrolled in the open cohort.
    pub const FREDY_ALONSO: usize = 13;
    /// The people of the four Caquetá pilots.
    pub const CAQUETA: Range<usize> = 0..12;
    /// The people of the three Meta pilots.
    pub const META: Range<usize> = 12..21;

    /// The person at `index` of `PEOPLE`.
    pub fn at(&self, index: usize) -> &Person {
        &self.0[index]
    }

    /// Everyone, in the order of `PEOPLE`.
    pub fn all(&self) -> &[Person] {
        &self.0
    }

    /// The demo participant's participant id (María Fernanda's).
    pub fn the_participant(&self) -> i32 {
        self.0[Self::MARIA_FERNANDA].id
    }
}

/// Where the demo's imported people's authorization comes from (issue 67).
pub const DEMO_IMPORT_SOURCE: &str =
    "Formato físico de inscripción firmado en la jornada de socialización del pilotaje";

/// Registers `PEOPLE` with their data consent; the first is `accounts.participant`'s person.
pub async fn register<C: ConnectionTrait>(db: &C, accounts: &Accounts) -> AppResult<People> {
    let at = now();
    let mut people = Vec::new();
    for (i, (first, last, document, municipality, entity, position, level)) in
        PEOPLE.iter().enumerate()
    {
        let model = participant::ActiveModel {
            // The first person is the demo participant account.
            user_id: Set((i == People::MARIA_FERNANDA).then_some(accounts.participant)),
            document_type: Set(DocumentType::Cc),
            document_number: Set(document.to_string()),
            first_names: Set(first.to_string()),
            last_names: Set(last.to_string()),
            email: Set(Some(if i == People::MARIA_FERNANDA {
                PARTICIPANT_EMAIL.to_string()
            } else {
                format!("participante{}@aulaterritorial.example", i + 1)
            })),
            phone: Set(Some(format!("3{:09}", 101_000_000 + i * 7_919))),
            municipality_code: Set(municipality.to_string()),
            entity_type: Set(entity.to_string()),
            entity_name: Set(None),
            position: Set(Some(position.to_string())),
            level: Set(level.to_string()),
            sex: Set(None),
            ethnic_group: Set(None),
            has_disability: Set(None),
            is_conflict_victim: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        };
        let id = participant::Entity::insert(model)
            .exec(db)
            .await?
            .last_insert_id;
        // Issue 67: only the demo participant registered herself; the others came from the
        // pilots' enrolment sheets, their authorization declared by the national coordination
        // from the paper forms they signed.
        let imported = i != People::MARIA_FERNANDA;
        consent::Entity::insert(consent::ActiveModel {
            participant_id: Set(id),
            kind: Set(ConsentKind::DataProcessing),
            text_version: Set(super::DATA_CONSENT_VERSION.to_string()),
            granted_at: Set(at),
            withdrawn_at: Set(None),
            source: Set(imported.then(|| crate::habeas::declared::IMPORT.to_string())),
            source_detail: Set(imported.then(|| DEMO_IMPORT_SOURCE.to_string())),
            declared_by: Set(imported.then_some(accounts.coordinator)),
            ..Default::default()
        })
        .exec_without_returning(db)
        .await?;
        people.push(Person {
            id,
            municipality: municipality.to_string(),
            entity_type: entity.to_string(),
        });
    }
    Ok(People(people))
}

/// Issue 46's demo: the demo participant asked on «Mi perfil» for her surnames as her cédula
/// writes them; the change waits for the coordination of her cohorts («Cambios de nombre»).
pub async fn pending_name_change<C: ConnectionTrait>(db: &C, people: &People) -> AppResult<()> {
    let person = participant::Entity::find_by_id(people.the_participant())
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal("demo: falta la participante".into()))?;
    super::name_change::request_own(db, &person, &person.first_names, "Muñoz de la Peña").await?;
    Ok(())
}
