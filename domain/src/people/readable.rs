//! The personal-data export as people read it (issue 18): the same records as the API's
//! [`PersonalData`](super::profile::PersonalData), with names instead of ids, labels instead of
//! codes and Colombian dates, in Spanish. The «Mis datos» page shows it; the file people
//! download is it, as JSON with Spanish keys.

use super::profile::PersonalData;
use crate::entities::{assessment, cohort, cohort_session, municipality};
use crate::error::AppResult;
use crate::rows::Rows;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use std::collections::HashMap;

/// One part of the export: a table.
#[derive(Debug, Serialize)]
pub struct Section {
    #[serde(rename = "titulo")]
    pub title: &'static str,
    #[serde(rename = "columnas")]
    pub columns: Vec<&'static str>,
    #[serde(rename = "filas")]
    pub rows: Vec<Vec<String>>,
}

/// The whole readable export.
#[derive(Debug, Serialize)]
pub struct ReadableData {
    #[serde(rename = "generado")]
    pub generated: String,
    #[serde(rename = "titular")]
    pub holder: String,
    #[serde(rename = "secciones")]
    pub sections: Vec<Section>,
}

fn yes_no(value: Option<bool>) -> String {
    match value {
        Some(true) => "Sí".into(),
        Some(false) => "No".into(),
        None => "Sin responder".into(),
    }
}

fn instant(text: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|at| crate::format::date_time(at.to_utc()))
        .unwrap_or_else(|_| text.to_string())
}

/// The Bogotá day of an RFC 3339 instant, as the page writes days («28 nov. 2026»).
fn day(text: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|at| crate::format::date(crate::time::local(at.to_utc()).date_naive()))
        .unwrap_or_else(|_| text.to_string())
}

fn consent_label(kind: crate::entities::values::ConsentKind) -> &'static str {
    match kind {
        crate::entities::values::ConsentKind::DataProcessing => "Tratamiento de datos personales",
        crate::entities::values::ConsentKind::SensitiveData => {
            "Datos sensibles (enfoque diferencial)"
        }
    }
}

/// The readable form of `export`: cohorts, sessions, assessments and municipalities by name.
pub async fn readable<C: ConnectionTrait>(
    db: &C,
    export: &PersonalData,
) -> AppResult<ReadableData> {
    let names = Names::of(db, export).await?;
    let Names {
        cohorts,
        sessions,
        assessments,
        places,
        ..
    } = &names;
    let cohort_name = |enrolment_id: i32| names.cohort_name(enrolment_id);
    let account = &export.account;
    let mut sections = profile_sections(export);
    sections.push(Section {
        title: "Autorizaciones",
        columns: vec![
            "Autorización",
            "Versión del texto",
            "Otorgada",
            "Retirada",
            "De dónde viene",
        ],
        rows: export
            .consents
            .iter()
            .map(|c| {
                vec![
                    consent_label(c.kind).into(),
                    c.text_version.clone(),
                    instant(&c.granted_at),
                    c.withdrawn_at
                        .as_deref()
                        .map(instant)
                        .unwrap_or_else(|| "—".into()),
                    crate::habeas::declared::origin(
                        c.source.as_deref(),
                        c.source_detail.as_deref(),
                        c.declared_by_name.as_deref(),
                        &day(&c.granted_at),
                    ),
                ]
            })
            .collect(),
    });
    sections.push(Section {
        title: "Inscripciones",
        columns: vec![
            "Cohorte",
            "Estado",
            "Municipio",
            "Inscripción",
            "Cancelación",
            "Motivo",
        ],
        rows: export
            .enrolments
            .iter()
            .map(|e| {
                vec![
                    cohorts.get(&e.cohort_id).cloned().unwrap_or_default(),
                    e.status.label().into(),
                    places
                        .get(&e.municipality_code)
                        .cloned()
                        .unwrap_or_else(|| e.municipality_code.clone()),
                    instant(&e.created_at),
                    e.cancelled_at
                        .as_deref()
                        .map(instant)
                        .unwrap_or_else(|| "—".into()),
                    e.cancellation_reason.clone().unwrap_or_else(|| "—".into()),
                ]
            })
            .collect(),
    });
    sections.push(Section {
        title: "Asistencia",
        columns: vec!["Cohorte", "Sesión", "Registro", "Nota", "Registrada"],
        rows: export
            .attendance
            .iter()
            .map(|a| {
                vec![
                    cohort_name(a.enrolment_id),
                    sessions.get(&a.session_id).cloned().unwrap_or_default(),
                    a.status.label().into(),
                    a.note.clone().unwrap_or_else(|| "—".into()),
                    instant(&a.recorded_at),
                ]
            })
            .collect(),
    });
    sections.push(Section {
        title: "Calificaciones",
        columns: vec!["Cohorte", "Evaluación", "Nota"],
        rows: export
            .scores
            .iter()
            .map(|s| {
                vec![
                    cohort_name(s.enrolment_id),
                    assessments
                        .get(&s.assessment_id)
                        .cloned()
                        .unwrap_or_default(),
                    crate::format::decimal(s.score, 1),
                ]
            })
            .collect(),
    });
    sections.push(Section {
        title: "Certificados",
        columns: vec!["Código", "Estado", "Curso", "Expedido"],
        rows: export
            .certificates
            .iter()
            .map(|c| {
                vec![
                    c.code.clone(),
                    c.status.label().into(),
                    c.course.clone(),
                    instant(&c.issued_at),
                ]
            })
            .collect(),
    });
    Ok(ReadableData {
        generated: instant(&export.generated_at),
        holder: account.full_name.clone(),
        sections,
    })
}

/// The names the readable form shows for the ids of an export.
struct Names {
    /// Cohorts by id.
    cohorts: HashMap<i32, String>,
    /// Each enrolment's cohort.
    cohort_of: HashMap<i32, i32>,
    /// Sessions by id: when and the topic.
    sessions: HashMap<i32, String>,
    assessments: HashMap<i32, String>,
    /// Municipalities by code.
    places: HashMap<String, String>,
}

impl Names {
    async fn of<C: ConnectionTrait>(db: &C, export: &PersonalData) -> AppResult<Names> {
        let cohort_ids: Vec<i32> = export.enrolments.iter().map(|e| e.cohort_id).collect();
        let cohorts: HashMap<i32, String> = cohort::Entity::find()
            .filter(cohort::Column::Id.is_in(cohort_ids))
            .all_mapped(db, |c| (c.id, c.name))
            .await?;
        let cohort_of: HashMap<i32, i32> = export
            .enrolments
            .iter()
            .map(|e| (e.id, e.cohort_id))
            .collect();
        let sessions: HashMap<i32, String> = cohort_session::Entity::find()
            .filter(
                cohort_session::Column::Id.is_in(
                    export
                        .attendance
                        .iter()
                        .map(|a| a.session_id)
                        .collect::<Vec<_>>(),
                ),
            )
            .all(db)
            .await?
            .into_iter()
            .map(|s| {
                let when = crate::format::date_time(s.starts_at);
                (s.id, format!("{when} · {}", s.topic))
            })
            .collect();
        let assessments: HashMap<i32, String> = assessment::Entity::find()
            .filter(
                assessment::Column::Id.is_in(
                    export
                        .scores
                        .iter()
                        .map(|s| s.assessment_id)
                        .collect::<Vec<_>>(),
                ),
            )
            .all_mapped(db, |a| (a.id, a.name))
            .await?;
        let places: HashMap<String, String> = municipality::Entity::find()
            .filter(
                municipality::Column::Code.is_in(
                    export
                        .enrolments
                        .iter()
                        .map(|e| e.municipality_code.clone())
                        .collect::<Vec<_>>(),
                ),
            )
            .all_mapped(db, |m| (m.code, m.name))
            .await?;
        Ok(Names {
            cohorts,
            cohort_of,
            sessions,
            assessments,
            places,
        })
    }

    /// The name of an enrolment's cohort.
    fn cohort_name(&self, enrolment_id: i32) -> String {
        self.cohort_of
            .get(&enrolment_id)
            .and_then(|c| self.cohorts.get(c))
            .cloned()
            .unwrap_or_default()
    }
}

/// The account's section and, for a participant, her personal data.
fn profile_sections(export: &PersonalData) -> Vec<Section> {
    let account = &export.account;
    let mut sections = vec![Section {
        title: "Cuenta",
        columns: vec!["Dato", "Valor"],
        rows: vec![
            vec!["Correo".into(), account.email.clone()],
            vec!["Nombre".into(), account.full_name.clone()],
            vec!["Rol".into(), account.role.label().into()],
            vec!["Activa".into(), yes_no(Some(account.active))],
            vec!["Creada".into(), instant(&account.created_at)],
            vec![
                "Último ingreso".into(),
                account
                    .last_login_at
                    .as_deref()
                    .map(instant)
                    .unwrap_or_else(|| "—".into()),
            ],
        ],
    }];
    if let Some(p) = &export.participant {
        let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
        sections.push(Section {
            title: "Datos personales",
            columns: vec!["Dato", "Valor"],
            rows: vec![
                vec![
                    "Documento".into(),
                    format!("{} {}", p.document_type, p.document_number),
                ],
                vec!["Nombres".into(), p.first_names.clone()],
                vec!["Apellidos".into(), p.last_names.clone()],
                vec!["Correo".into(), text(&p.email)],
                vec!["Teléfono".into(), text(&p.phone)],
                vec![
                    "Municipio".into(),
                    p.municipality_name
                        .clone()
                        .unwrap_or_else(|| p.municipality_code.clone()),
                ],
                vec!["Tipo de entidad".into(), p.entity_type.clone()],
                vec!["Entidad".into(), text(&p.entity_name)],
                vec!["Cargo".into(), text(&p.position)],
                vec!["Nivel".into(), p.level.clone()],
                vec!["Sexo".into(), text(&p.sex)],
                vec!["Pertenencia étnica".into(), text(&p.ethnic_group)],
                vec!["Discapacidad".into(), yes_no(p.has_disability)],
                vec!["Víctima del conflicto".into(), yes_no(p.is_conflict_victim)],
            ],
        });
    }
    sections
}
