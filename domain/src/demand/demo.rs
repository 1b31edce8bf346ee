//! The demo's demand (issue 16): the pilots' demands — open ones (one endorsed by the
//! gobernación), one planned in the open Rendición de Cuentas cohort, one met by the closed
//! Gestión Tributaria cohort, one declined — and the sectoral ones of issue 49; and the open
//! demand on the plan indicativo pointed to Función Pública (issue 32).

use crate::accounts::demo::Accounts;
use crate::descriptors::demo::{DEMO_FARMING_TOPIC, DEMO_WATER_TOPIC};
use crate::entities::values::{
    AssistedEntity, DemandPriority, DemandStatus, EnrolmentStatus, Modality,
};
use crate::entities::{capacity, demand, demand_referral, enrolment};
use crate::error::{AppError, AppResult};
use crate::time::{now, today};
use chrono::Duration;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

/// Who raised or endorsed a demo demand.
#[derive(Clone, Copy)]
enum By {
    Coordinator,
    ReviewerCaqueta,
    ReviewerMeta,
    Liaison,
}

impl By {
    fn id(self, accounts: &Accounts) -> i32 {
        match self {
            By::Coordinator => accounts.coordinator,
            By::ReviewerCaqueta => accounts.reviewer_caqueta,
            By::ReviewerMeta => accounts.reviewer_meta,
            By::Liaison => accounts.liaison_el_paujil,
        }
    }
}

/// The cohort a demo demand was planned in.
#[derive(Clone, Copy)]
enum PlannedIn {
    /// The open Rendición de Cuentas for Caquetá and Meta.
    Accountability,
    /// The Gestión Tributaria for the Caquetá pilots, closed two years ago.
    EarlierTaxes,
}

/// One demo demand.
struct DemoDemand {
    /// A municipality's DANE code (its alcaldía) or a department's (its gobernación); `None`:
    /// where the earlier Gestión Tributaria cohort's people completed it.
    place: Option<&'static str>,
    capacity: &'static str,
    topic: &'static str,
    description: &'static str,
    people: i32,
    modality: Modality,
    priority: DemandPriority,
    status: DemandStatus,
    author: By,
    endorsed_by: Option<By>,
    cohort: Option<PlannedIn>,
    decline_reason: Option<&'static str>,
    age_days: i64,
}

const DEMANDS: [DemoDemand; 8] = [
    DemoDemand {
        place: Some("18256"),
        capacity: "gobierno_abierto_transparencia",
        topic: "Audiencia pública de rendición de cuentas del plan de desarrollo",
        description: "El equipo de la alcaldía prepara su primera audiencia pública con las juntas de acción comunal y necesita método para el informe de gestión y el diálogo con la ciudadanía.",
        people: 15,
        modality: Modality::Presencial,
        priority: DemandPriority::Alta,
        status: DemandStatus::Planned,
        author: By::Liaison,
        endorsed_by: Some(By::ReviewerCaqueta),
        cohort: Some(PlannedIn::Accountability),
        decline_reason: None,
        age_days: 20,
    },
    DemoDemand {
        place: Some("18256"),
        capacity: "planeacion_territorial",
        topic: "Seguimiento al plan de desarrollo con el plan indicativo",
        description: "Las secretarías no reportan el avance de las metas a tiempo; se necesita formar a los enlaces de planeación en el plan indicativo y los planes de acción.",
        people: 10,
        modality: Modality::Mixta,
        priority: DemandPriority::Media,
        status: DemandStatus::Open,
        author: By::Liaison,
        endorsed_by: None,
        cohort: None,
        decline_reason: None,
        age_days: 6,
    },
    DemoDemand {
        place: None,
        capacity: "movilizacion_recursos",
        topic: "Actualización del estatuto de rentas y fiscalización del predial",
        description: "La gobernación pide fortalecer el recaudo propio: el estatuto de rentas no se actualiza desde 2012 y la cartera del predial crece cada año.",
        people: 12,
        modality: Modality::Mixta,
        priority: DemandPriority::Alta,
        status: DemandStatus::Met,
        author: By::ReviewerCaqueta,
        endorsed_by: Some(By::ReviewerCaqueta),
        cohort: Some(PlannedIn::EarlierTaxes),
        decline_reason: None,
        age_days: 800,
    },
    DemoDemand {
        place: Some("50325"),
        capacity: "ejecucion_recursos",
        topic: "Formulación de proyectos de inversión en la MGA",
        description: "Los proyectos del municipio se devuelven por errores de formulación; se pide formar al banco de proyectos en la Metodología General Ajustada.",
        people: 8,
        modality: Modality::Virtual,
        priority: DemandPriority::Media,
        status: DemandStatus::Open,
        author: By::ReviewerMeta,
        endorsed_by: Some(By::ReviewerMeta),
        cohort: None,
        decline_reason: None,
        // Open 75 days with nothing planned: stale (issue 32), on the Meta reviewer's home.
        age_days: 75,
    },
    // Issue 49: sectoral help, what municipalities ask for most (DNP's 2021 surveys).
    DemoDemand {
        place: Some("50350"),
        capacity: "ejecucion_recursos",
        topic: DEMO_WATER_TOPIC,
        description: "El acueducto veredal no cumple con la calidad del agua y el plan de saneamiento no tiene proyectos formulados; se pide formar a la secretaría de obras y a la empresa de servicios públicos para formular los proyectos del plan departamental de agua.",
        people: 8,
        modality: Modality::Presencial,
        priority: DemandPriority::Alta,
        status: DemandStatus::Open,
        author: By::ReviewerMeta,
        endorsed_by: Some(By::ReviewerMeta),
        cohort: None,
        decline_reason: None,
        age_days: 12,
    },
    DemoDemand {
        place: Some("50325"),
        capacity: "planeacion_territorial",
        topic: DEMO_FARMING_TOPIC,
        description: "La UMATA necesita planear la asistencia técnica agropecuaria con las asociaciones de mujeres campesinas y articularla con el plan de desarrollo.",
        people: 10,
        modality: Modality::Mixta,
        priority: DemandPriority::Media,
        status: DemandStatus::Open,
        author: By::ReviewerMeta,
        endorsed_by: Some(By::ReviewerMeta),
        cohort: None,
        decline_reason: None,
        age_days: 9,
    },
    DemoDemand {
        place: Some("18094"),
        capacity: "ordenamiento_territorial",
        topic: "Revisión del esquema de ordenamiento territorial",
        description: "El esquema de ordenamiento está vencido y el concejo pide apoyo para su revisión.",
        people: 6,
        modality: Modality::Presencial,
        priority: DemandPriority::Baja,
        status: DemandStatus::Declined,
        author: By::Coordinator,
        endorsed_by: None,
        cohort: None,
        decline_reason: Some(
            "La revisión del EOT es asistencia técnica del Ministerio de Vivienda, no un curso de ESAP; se remitió la solicitud.",
        ),
        age_days: 120,
    },
    // Issue 49: the Gobernación del Caquetá's own demand (a department's DANE code: no
    // municipality), raised by its reviewer.
    DemoDemand {
        place: Some("18"),
        capacity: "planeacion_territorial",
        topic: "Asistencia a los municipios en el seguimiento de sus planes de desarrollo",
        description: "La Secretaría de Planeación departamental pide formar a su equipo para acompañar a los municipios en el reporte de avance de sus planes de desarrollo.",
        people: 15,
        modality: Modality::Presencial,
        priority: DemandPriority::Alta,
        status: DemandStatus::Open,
        author: By::ReviewerCaqueta,
        endorsed_by: Some(By::ReviewerCaqueta),
        cohort: None,
        decline_reason: None,
        age_days: 12,
    },
];

/// Raises [`DEMANDS`]; `accountability` and `earlier_taxes` are the cohorts two of them were
/// planned in.
pub async fn load<C: ConnectionTrait>(
    db: &C,
    accounts: &Accounts,
    accountability: i32,
    earlier_taxes: i32,
) -> AppResult<()> {
    let at = now();
    let day = today();
    // Puerto Rico's people completed the closed Gestión Tributaria cohort (the demo's
    // history makes most of the Caquetá pilots' people complete it).
    let met_place = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(earlier_taxes))
        .filter(enrolment::Column::Status.eq(EnrolmentStatus::Completed))
        .order_by_asc(enrolment::Column::MunicipalityCode)
        .one(db)
        .await?
        .map(|e| e.municipality_code)
        .unwrap_or_else(|| "18592".into());
    for row in DEMANDS {
        let capacity_id = capacity::Entity::find()
            .filter(capacity::Column::Code.eq(row.capacity))
            .one(db)
            .await?
            .map(|c| c.id)
            .ok_or_else(|| {
                AppError::Internal(format!("demo: falta la capacidad {}", row.capacity))
            })?;
        let place = row.place.unwrap_or(met_place.as_str());
        let cohort_id = row.cohort.map(|planned| match planned {
            PlannedIn::Accountability => accountability,
            PlannedIn::EarlierTaxes => earlier_taxes,
        });
        let endorsed_by = row.endorsed_by.map(|by| by.id(accounts));
        let created = at - Duration::days(row.age_days);
        // A municipality's code (its alcaldía) or a department's (its gobernación).
        let governorate = place.len() == 2;
        demand::ActiveModel {
            municipality_code: Set((!governorate).then(|| place.to_string())),
            department_code: Set(place[..2].to_string()),
            entity_type: Set(if governorate {
                AssistedEntity::Gobernacion
            } else {
                AssistedEntity::Alcaldia
            }),
            capacity_id: Set(capacity_id),
            topic: Set(row.topic.into()),
            description: Set(row.description.into()),
            people_estimate: Set(row.people),
            modality: Set(row.modality),
            wanted_from: Set(day + Duration::days(30)),
            wanted_to: Set(day + Duration::days(150)),
            priority: Set(row.priority),
            status: Set(row.status),
            decline_reason: Set(row.decline_reason.map(str::to_string)),
            cohort_id: Set(cohort_id),
            created_by: Set(row.author.id(accounts)),
            endorsed_by: Set(endorsed_by),
            endorsed_at: Set(endorsed_by.map(|_| created + Duration::days(2))),
            created_at: Set(created),
            updated_at: Set(created),
            planned_at: Set(cohort_id.map(|_| created + Duration::days(3))),
            met_at: Set((row.status == DemandStatus::Met).then_some(created + Duration::days(60))),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Issue 32: El Paujíl's open demand on the plan indicativo, pointed by the Gobernación del
/// Caquetá's reviewer to Función Pública (`function_public`, the provider).
pub async fn referral<C: ConnectionTrait>(
    db: &C,
    accounts: &Accounts,
    function_public: i32,
) -> AppResult<()> {
    if let Some(open) = demand::Entity::find()
        .filter(demand::Column::MunicipalityCode.eq("18256"))
        .filter(demand::Column::Status.eq(DemandStatus::Open))
        .one(db)
        .await?
    {
        demand_referral::ActiveModel {
            demand_id: Set(open.id),
            provider_id: Set(function_public),
            note: Set("Función Pública acompaña el MIPG en las alcaldías del Caquetá: puede atender el seguimiento al plan indicativo.".into()),
            referred_by: Set(Some(accounts.reviewer_caqueta)),
            created_at: Set(now() - Duration::days(2)),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}
