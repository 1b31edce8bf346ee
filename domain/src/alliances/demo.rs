//! Issue 48's demo: the Caquetá and Meta alliances, each led by its gobernación (the
//! Gobernación del Meta joins the providers for it, without a coordinator: the Meta reviewer
//! keeps the alliance), with their members, launch and renewal, implementation plan and one
//! table each with its attendees and agreements — one of each past its due date and still
//! open, Caquetá's with one already done. Recorded through the domain's own rules, by each
//! department's reviewer.

use super::meetings::{self, AgreementInput, AgreementPatch, AttendeeInput, MeetingInput};
use super::{AllianceInput, MemberInput};
use crate::accounts::actor::Actor;
use crate::entities::values::ProviderKind;
use crate::entities::{provider, user};
use crate::error::{AppError, AppResult};
use crate::time::{now, today};
use chrono::{Duration, NaiveDate};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

fn date(day: NaiveDate) -> Option<String> {
    Some(day.to_string())
}

fn organisation(name: &str, kind: &str) -> MemberInput {
    MemberInput {
        provider_id: None,
        name: Some(name.into()),
        kind: Some(kind.into()),
    }
}

fn provider_member(id: i32) -> MemberInput {
    MemberInput {
        provider_id: Some(id),
        ..Default::default()
    }
}

fn attendee(name: &str, organisation: &str) -> AttendeeInput {
    AttendeeInput {
        name: Some(name.into()),
        organisation: Some(organisation.into()),
    }
}

fn agreement(text: &str, owner: &str, due: NaiveDate) -> AgreementInput {
    AgreementInput {
        text: Some(text.into()),
        owner: Some(owner.into()),
        due_on: date(due),
    }
}

async fn provider_named<C: ConnectionTrait>(db: &C, name: &str) -> AppResult<i32> {
    provider::Entity::find()
        .filter(provider::Column::Name.eq(name))
        .one(db)
        .await?
        .map(|p| p.id)
        .ok_or_else(|| AppError::Internal(format!("demo: falta el oferente {name}")))
}

async fn actor<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<Actor> {
    let model = user::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal("demo: falta una cuenta".into()))?;
    Actor::load(db, model, None).await
}

/// Loads the alliances; `caqueta_reviewer` and `meta_reviewer` are the demo's reviewers.
pub async fn load<C: ConnectionTrait>(
    db: &C,
    caqueta_reviewer: i32,
    meta_reviewer: i32,
) -> AppResult<()> {
    let at = now();
    let meta_gobernacion = provider::ActiveModel {
        name: Set("Gobernación del Meta".into()),
        kind: Set(ProviderKind::Gobernacion),
        nit: Set(None),
        department_code: Set(Some("50".into())),
        active: Set(true),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?
    .id;
    let dnp = provider_named(db, "Departamento Nacional de Planeación (DNP)").await?;
    let caqueta_gobernacion = provider_named(db, "Gobernación del Caquetá").await?;
    caqueta(db, caqueta_reviewer, caqueta_gobernacion, dnp).await?;
    meta(db, meta_reviewer, meta_gobernacion, dnp).await
}

/// Caquetá's alliance, led by its gobernación (`caqueta_gobernacion`), kept by its reviewer
/// (`reviewer_id`): its table 45 days ago, one agreement overdue and one done.
async fn caqueta<C: ConnectionTrait>(
    db: &C,
    reviewer_id: i32,
    caqueta_gobernacion: i32,
    dnp: i32,
) -> AppResult<()> {
    let day = today();
    let esap = crate::providers::ESAP;
    let reviewer = actor(db, reviewer_id).await?;
    let caqueta = super::create(
        db,
        &reviewer,
        &AllianceInput {
            department_code: Some("18".into()),
            name: Some("Alianza por la gestión pública territorial del Caquetá".into()),
            lead_provider_id: None,
            launched_on: date(day - Duration::days(420)),
            renewed_on: date(day - Duration::days(60)),
            members: Some(vec![
                provider_member(caqueta_gobernacion),
                provider_member(esap),
                provider_member(dnp),
                organisation("Universidad de la Amazonia", "universidad"),
                organisation(
                    "Cámara de Comercio de Florencia para el Caquetá",
                    "camara_comercio",
                ),
                organisation(
                    "Federación Colombiana de Municipios",
                    "asociacion_entidades_territoriales",
                ),
                organisation(
                    "Programa de las Naciones Unidas para el Desarrollo (PNUD)",
                    "cooperacion",
                ),
                organisation(
                    "Consejo Departamental de Planeación del Caquetá",
                    "sociedad_civil",
                ),
            ]),
            implementation_plan: Some(
                "1. Articular la oferta de asistencia técnica de los miembros en los 16 \
                 municipios, empezando por los pilotos PDET (Puerto Rico, El Paujíl, San José \
                 del Fragua y Belén de los Andaquíes).\n\
                 2. Revisar cada trimestre en la mesa los traslapes entre oferentes y la demanda \
                 sin respuesta, y remitir cada demanda a quien pueda atenderla.\n\
                 3. Formar replicadores en gestión pública en el departamento con la Universidad \
                 de la Amazonia.\n\
                 4. Acompañar el empalme de las administraciones municipales."
                    .into(),
            ),
        },
    )
    .await?;
    let met_on = day - Duration::days(45);
    let table = meetings::record(
        db,
        &reviewer,
        caqueta.id,
        &MeetingInput {
            date: date(met_on),
            modality: Some("presencial".into()),
            place: Some("Salón de la Gobernación del Caquetá, Florencia".into()),
            agenda: Some(
                "1. Balance de la oferta del semestre en el departamento.\n\
                 2. Traslape de ESAP y el DNP en planeación territorial en El Paujíl.\n\
                 3. Demanda sin respuesta de los municipios pilotos.\n\
                 4. Ruta para la refrendación de la alianza."
                    .into(),
            ),
            attendees: Some(vec![
                attendee("Diana Patricia Cuéllar", "Gobernación del Caquetá"),
                attendee("Julián Andrés Rincón", "ESAP"),
                attendee("Camilo Ernesto Vargas", "DNP"),
                attendee("Marta Lucía Rincón", "Universidad de la Amazonia"),
                attendee(
                    "Óscar Iván Perdomo",
                    "Cámara de Comercio de Florencia para el Caquetá",
                ),
            ]),
            agreements: Some(vec![
                agreement(
                    "Unificar en una sola jornada los talleres de planeación de ESAP y el DNP en \
                     El Paujíl",
                    "ESAP y DNP",
                    day - Duration::days(10),
                ),
                agreement(
                    "Presentar a la mesa la oferta de la Universidad de la Amazonia para formar \
                     replicadores",
                    "Universidad de la Amazonia",
                    day + Duration::days(30),
                ),
                agreement(
                    "Enviar a los miembros el informe de demanda sin respuesta del departamento",
                    "Secretaría de Planeación de la Gobernación",
                    met_on + Duration::days(15),
                ),
            ]),
        },
    )
    .await?;
    if let Some(sent) = table.agreements.get(2) {
        meetings::change_agreement(
            db,
            &reviewer,
            caqueta.id,
            table.id,
            sent.id,
            &AgreementPatch {
                status: Some("done".into()),
                done_on: date(met_on + Duration::days(12)),
                note: Some("Enviado por correo a los ocho miembros.".into()),
            },
        )
        .await?;
    }
    Ok(())
}

/// Meta's alliance, led by its gobernación (`meta_gobernacion`), kept by its reviewer
/// (`reviewer_id`): its table 20 days ago, one agreement overdue.
async fn meta<C: ConnectionTrait>(
    db: &C,
    reviewer_id: i32,
    meta_gobernacion: i32,
    dnp: i32,
) -> AppResult<()> {
    let day = today();
    let esap = crate::providers::ESAP;
    let reviewer = actor(db, reviewer_id).await?;
    let meta = super::create(
        db,
        &reviewer,
        &AllianceInput {
            department_code: Some("50".into()),
            name: Some("Alianza Meta por el buen gobierno territorial".into()),
            lead_provider_id: Some(meta_gobernacion),
            launched_on: date(day - Duration::days(380)),
            renewed_on: date(day - Duration::days(30)),
            members: Some(vec![
                provider_member(meta_gobernacion),
                provider_member(esap),
                provider_member(dnp),
                organisation("Universidad de los Llanos", "universidad"),
                organisation("Cámara de Comercio de Villavicencio", "camara_comercio"),
                organisation(
                    "Agencia Presidencial de Cooperación Internacional (APC-Colombia)",
                    "entidad_nacional",
                ),
                organisation("Cooperación Alemana (GIZ)", "cooperacion"),
            ]),
            implementation_plan: Some(
                "1. Llevar la oferta de los miembros a los municipios PDET de Macarena–Guaviare \
                 (Mapiripán, Puerto Concordia y Puerto Lleras), sin duplicar acciones.\n\
                 2. Atender en la mesa la demanda de formulación de proyectos que sigue sin \
                 respuesta.\n\
                 3. Rendir cuentas de la alianza una vez al año."
                    .into(),
            ),
        },
    )
    .await?;
    let met_on = day - Duration::days(20);
    meetings::record(
        db,
        &reviewer,
        meta.id,
        &MeetingInput {
            date: date(met_on),
            modality: Some("virtual".into()),
            place: Some("Sala virtual de la Gobernación del Meta".into()),
            agenda: Some(
                "1. Refrendación de la alianza.\n\
                 2. Demanda de formulación de proyectos de Mapiripán.\n\
                 3. Calendario de mesas del año."
                    .into(),
            ),
            attendees: Some(vec![
                attendee("Sandra Milena Rojas", "Gobernación del Meta"),
                attendee(
                    "Carlos Alberto Beltrán",
                    "ESAP · Dirección Territorial Meta",
                ),
                attendee("Ana María Gutiérrez", "Universidad de los Llanos"),
                attendee("Jorge Enrique Parra", "Cooperación Alemana (GIZ)"),
            ]),
            agreements: Some(vec![
                agreement(
                    "Proponer un taller de formulación de proyectos para Mapiripán",
                    "ESAP · Dirección Territorial Meta",
                    day - Duration::days(5),
                ),
                agreement(
                    "Publicar el calendario de mesas del año",
                    "Gobernación del Meta",
                    day + Duration::days(40),
                ),
            ]),
        },
    )
    .await?;
    Ok(())
}
