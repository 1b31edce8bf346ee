//! The self-assessment instrument: its versions and questions. Version 1 is seeded with the
//! reference data from the five capacities of the brief (two questions each); an
//! administrator's edit of a question writes a whole new version (every question copied, the
//! edited one changed), so a self-assessment keeps the questions it answered.

use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::entities::values::Role;
use crate::entities::{
    capacity, self_assessment_instrument as instrument, self_assessment_question as question,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::rows::Found;
use crate::rows::Rows;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The seed questions by capacity code: the question, then the descriptors of levels 1 to 4.
const SEED: &[(&str, &str, [&str; 4])] = &[
    (
        "planeacion_territorial",
        "¿Cómo formula y hace seguimiento la entidad a su plan de desarrollo?",
        [
            "El plan se formuló sin diagnóstico propio y no tiene seguimiento.",
            "Hay plan indicativo, pero el seguimiento es ocasional y no se reporta.",
            "Hay plan indicativo y planes de acción con seguimiento semestral reportado.",
            "El seguimiento es trimestral, se publica y sus resultados ajustan los planes.",
        ],
    ),
    (
        "planeacion_territorial",
        "¿Cómo participa la comunidad en la planeación?",
        [
            "No participa, o solo se informa el plan ya formulado.",
            "Se convoca al consejo territorial de planeación sin que emita concepto.",
            "El consejo territorial emite concepto y la entidad lo responde.",
            "La participación se sostiene en el seguimiento y cambia decisiones del plan.",
        ],
    ),
    (
        "movilizacion_recursos",
        "¿Cómo gestiona la entidad el recaudo del impuesto predial?",
        [
            "No hay base de contribuyentes actualizada ni cobro de cartera.",
            "Hay base de contribuyentes, pero el cobro de la cartera es esporádico.",
            "Hay cobro persuasivo y coactivo con metas anuales de recaudo.",
            "El recaudo se mide mes a mes y la cartera vencida disminuye año tras año.",
        ],
    ),
    (
        "movilizacion_recursos",
        "¿Está actualizado el estatuto tributario municipal?",
        [
            "No hay estatuto, o es anterior a la normativa vigente.",
            "Hay estatuto, pero no se aplica en su totalidad.",
            "El estatuto está actualizado y se aplica.",
            "El estatuto se revisa periódicamente con análisis del recaudo.",
        ],
    ),
    (
        "ejecucion_recursos",
        "¿Cómo programa y ejecuta la entidad su presupuesto?",
        [
            "El presupuesto se programa sin relación con el plan y se ejecuta a destiempo.",
            "Hay plan de acción y plan de compras, pero la ejecución se concentra al final del año.",
            "La ejecución sigue un cronograma y se revisa mensualmente.",
            "La ejecución supera el 90 % y las reservas y vigencias futuras se controlan.",
        ],
    ),
    (
        "ejecucion_recursos",
        "¿Cómo formula la entidad sus proyectos de inversión?",
        [
            "Los proyectos no se formulan en la metodología oficial.",
            "Se formulan en la metodología, con ayuda externa en la mayoría de los casos.",
            "El equipo propio formula y registra los proyectos en el banco.",
            "Los proyectos se formulan, ejecutan y evalúan con indicadores de resultado.",
        ],
    ),
    (
        "gobierno_abierto_transparencia",
        "¿Cómo rinde cuentas la entidad a la ciudadanía?",
        [
            "No hay rendición de cuentas, o es un evento informativo sin diálogo.",
            "Se hace una audiencia al año con información incompleta.",
            "Hay estrategia de rendición de cuentas con diálogo y respuesta a la ciudadanía.",
            "La rendición es permanente y sus compromisos tienen seguimiento público.",
        ],
    ),
    (
        "gobierno_abierto_transparencia",
        "¿Cómo publica la entidad su información (Ley 1712 de 2014)?",
        [
            "El sitio web no publica la información mínima obligatoria.",
            "Publica parte de la información mínima, sin actualizarla.",
            "Publica la información mínima actualizada y responde las solicitudes a tiempo.",
            "Publica datos abiertos y mide el uso de la información publicada.",
        ],
    ),
    (
        "ordenamiento_territorial",
        "¿En qué estado está el instrumento de ordenamiento territorial?",
        [
            "El POT, PBOT o EOT venció y no se ha iniciado su revisión.",
            "La revisión está iniciada, sin expediente municipal completo.",
            "El instrumento está vigente o en revisión con expediente completo.",
            "El instrumento está vigente y su ejecución tiene seguimiento.",
        ],
    ),
    (
        "ordenamiento_territorial",
        "¿Cómo usa la entidad la información catastral?",
        [
            "El catastro está desactualizado y no se usa para decidir.",
            "Se conoce el atraso catastral, sin plan para actualizarlo.",
            "Hay un plan de actualización catastral en marcha.",
            "El catastro está actualizado y se usa en el recaudo y el ordenamiento.",
        ],
    ),
];

/// Creates version 1 of the instrument when there is none (after the capacities): the
/// questions of [`SEED`] whose capacity exists.
pub async fn load_reference<C: ConnectionTrait>(db: &C) -> AppResult<()> {
    if instrument::Entity::find().one(db).await?.is_some() {
        return Ok(());
    }
    let capacities = crate::capacities::ids_by_code(db).await?;
    let version = instrument::ActiveModel {
        version: Set(1),
        note: Set(Some(
            "Versión inicial, a partir de las capacidades del producto.".into(),
        )),
        created_by: Set(None),
        created_at: Set(crate::time::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let rows: Vec<question::ActiveModel> = SEED
        .iter()
        .enumerate()
        .filter_map(|(i, (code, text, levels))| {
            let capacity_id = *capacities.get(*code)?;
            Some(question::ActiveModel {
                instrument_id: Set(version.id),
                capacity_id: Set(capacity_id),
                sort_order: Set(i as i32 + 1),
                text: Set(text.to_string()),
                level_1: Set(levels[0].to_string()),
                level_2: Set(levels[1].to_string()),
                level_3: Set(levels[2].to_string()),
                level_4: Set(levels[3].to_string()),
                ..Default::default()
            })
        })
        .collect();
    if !rows.is_empty() {
        question::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// A level of a question with its descriptor.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LevelView {
    /// 1 to 4.
    pub level: i32,
    pub descriptor: String,
}

/// A question of the instrument.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QuestionView {
    pub id: i32,
    pub capacity_id: i32,
    pub text: String,
    /// Levels 1 to 4, in order.
    pub levels: Vec<LevelView>,
}

/// A capacity of the instrument with its questions.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InstrumentCapacity {
    pub capacity_id: i32,
    pub code: String,
    pub name: String,
    pub description: String,
    pub questions: Vec<QuestionView>,
}

/// A version of the instrument: its capacities and questions.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InstrumentView {
    pub id: i32,
    pub version: i32,
    #[schema(format = DateTime)]
    pub created_at: String,
    pub note: Option<String>,
    pub capacities: Vec<InstrumentCapacity>,
}

impl InstrumentView {
    /// Every question, in the instrument's order.
    pub fn questions(&self) -> impl Iterator<Item = &QuestionView> {
        self.capacities.iter().flat_map(|c| c.questions.iter())
    }
}

/// The current version's row (the highest).
pub async fn current_row<C: ConnectionTrait>(db: &C) -> AppResult<instrument::Model> {
    instrument::Entity::find()
        .order_by_desc(instrument::Column::Version)
        .found(db)
        .await
}

/// The current version of the instrument.
pub async fn current<C: ConnectionTrait>(db: &C) -> AppResult<InstrumentView> {
    let row = current_row(db).await?;
    view(db, row).await
}

/// The version `id` of the instrument.
pub async fn version<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<InstrumentView> {
    let row = instrument::Entity::find_by_id(id).found(db).await?;
    view(db, row).await
}

async fn view<C: ConnectionTrait>(db: &C, row: instrument::Model) -> AppResult<InstrumentView> {
    let questions = question::Entity::find()
        .filter(question::Column::InstrumentId.eq(row.id))
        .order_by_asc(question::Column::SortOrder)
        .order_by_asc(question::Column::Id)
        .all(db)
        .await?;
    let capacities: HashMap<i32, capacity::Model> = capacity::Entity::find()
        .all_mapped(db, |c| (c.id, c))
        .await?;
    let mut grouped: Vec<InstrumentCapacity> = Vec::new();
    for q in questions {
        let Some(c) = capacities.get(&q.capacity_id) else {
            continue;
        };
        let view = QuestionView {
            id: q.id,
            capacity_id: q.capacity_id,
            levels: q
                .descriptors()
                .iter()
                .enumerate()
                .map(|(i, d)| LevelView {
                    level: i as i32 + 1,
                    descriptor: d.to_string(),
                })
                .collect(),
            text: q.text,
        };
        match grouped.iter_mut().find(|g| g.capacity_id == c.id) {
            Some(group) => group.questions.push(view),
            None => grouped.push(InstrumentCapacity {
                capacity_id: c.id,
                code: c.code.clone(),
                name: c.name.clone(),
                description: c.description.clone(),
                questions: vec![view],
            }),
        }
    }
    grouped.sort_by_key(|g| {
        capacities
            .get(&g.capacity_id)
            .map_or(i32::MAX, |c| c.sort_order)
    });
    Ok(InstrumentView {
        id: row.id,
        version: row.version,
        created_at: crate::time::date_time(row.created_at),
        note: row.note,
        capacities: grouped,
    })
}

/// An administrator's edit of one question of the current version.
#[derive(Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct QuestionEdit {
    pub text: Option<String>,
    /// The descriptors of levels 1 to 4.
    pub level_1: Option<String>,
    pub level_2: Option<String>,
    pub level_3: Option<String>,
    pub level_4: Option<String>,
}

/// The instrument before and after a question is edited (`self_assessment_instrument.edited`):
/// the version and the question edited, then the new version and the question's text.
#[derive(Serialize)]
struct Edited<'a> {
    version: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    question_id: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
}

/// Edits question `question_id` of the current version (admin only): writes a new version with
/// every question copied and this one changed; the answers already given keep the old one.
/// Returns the new version.
pub async fn edit_question(
    db: &DatabaseConnection,
    actor: &Actor,
    question_id: i32,
    edit: &QuestionEdit,
) -> AppResult<InstrumentView> {
    if actor.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    let mut errors = Vec::new();
    let mut field = |name: &str, value: &Option<String>, missing: &str| -> String {
        match crate::validate::single_line(name, value.as_deref().unwrap_or(""), 300) {
            Ok(Some(text)) => text,
            Ok(None) => {
                errors.push(FieldError::new(name, missing));
                String::new()
            }
            Err(error) => {
                errors.push(error);
                String::new()
            }
        }
    };
    let text = field("text", &edit.text, "Escriba la pregunta.");
    let levels = [
        field("level_1", &edit.level_1, "Describa el nivel 1."),
        field("level_2", &edit.level_2, "Describa el nivel 2."),
        field("level_3", &edit.level_3, "Describa el nivel 3."),
        field("level_4", &edit.level_4, "Describa el nivel 4."),
    ];
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let id = crate::db::write(db, async |txn| {
        let current = current_row(txn).await?;
        let questions = question::Entity::find()
            .filter(question::Column::InstrumentId.eq(current.id))
            .order_by_asc(question::Column::SortOrder)
            .all(txn)
            .await?;
        let Some(edited) = questions.iter().find(|q| q.id == question_id) else {
            return Err(AppError::NotFound);
        };
        let next = instrument::ActiveModel {
            version: Set(current.version + 1),
            note: Set(Some(format!("Pregunta editada: «{}».", edited.text))),
            created_by: Set(Some(actor.id)),
            created_at: Set(crate::time::now()),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        let rows: Vec<question::ActiveModel> = questions
            .iter()
            .map(|q| {
                let mine = q.id == question_id;
                let pick = |new: &str, old: &str| {
                    if mine {
                        new.to_string()
                    } else {
                        old.to_string()
                    }
                };
                question::ActiveModel {
                    instrument_id: Set(next.id),
                    capacity_id: Set(q.capacity_id),
                    sort_order: Set(q.sort_order),
                    text: Set(pick(&text, &q.text)),
                    level_1: Set(pick(&levels[0], &q.level_1)),
                    level_2: Set(pick(&levels[1], &q.level_2)),
                    level_3: Set(pick(&levels[2], &q.level_3)),
                    level_4: Set(pick(&levels[3], &q.level_4)),
                    ..Default::default()
                }
            })
            .collect();
        question::Entity::insert_many(rows)
            .exec_without_returning(txn)
            .await?;
        audit::record(
            txn,
            Change {
                actor: Some(actor.id),
                action: "self_assessment_instrument.edited",
                subject_type: "self_assessment_instrument",
                subject_id: next.id.to_string(),
                before: serde_json::to_value(Edited {
                    version: current.version,
                    question_id: Some(question_id),
                    text: None,
                })
                .ok(),
                after: serde_json::to_value(Edited {
                    version: next.version,
                    question_id: None,
                    text: Some(&text),
                })
                .ok(),
            },
        )
        .await?;
        Ok(next.id)
    })
    .await?;
    version(db, id).await
}
