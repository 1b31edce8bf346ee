//! The knowledge bank's public resources as open data (issue 48, item 5): one row per
//! published resource marked public ([`RESOURCES`]), newest id last. Withdrawn ones, drafts and
//! resources for accounts only are left out. No personal data: no names of who uploaded,
//! reviewed or published them.

use super::{ColumnDoc, DATE, Dataset, INTEGER, LIST, LIST_SEPARATOR, TEXT};
use crate::entities::resource;
use crate::entities::values::{ResourceStatus, ResourceVisibility};
use crate::error::AppResult;
use crate::rows::Rows;
use crate::spreadsheets::{CsvField, CsvFlavour};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

/// The public resources: one row per published public resource.
pub const RESOURCES: Dataset = Dataset {
    slug: "resources",
    file_name: "aula-territorial-banco-de-conocimiento.csv",
    title: "Banco de conocimiento",
    description: "Las guías, herramientas, plantillas, grabaciones, lecciones aprendidas y \
        buenas prácticas que los oferentes publicaron como públicas, revisadas por su oferente: \
        su tipo, las capacidades municipales y la etapa del ciclo de la gestión pública que \
        atienden, de dónde vienen y cómo descargarlas. Un recurso retirado deja de publicarse. \
        No incluye datos personales (ni quién lo subió ni quién lo revisó).",
    row: "un recurso publicado",
    order: "por id_recurso",
    columns: &[
        ColumnDoc {
            name: "id_recurso",
            kind: INTEGER,
            description: "identificador del recurso (su página pública es \
                /banco-de-conocimiento/{id_recurso})",
        },
        ColumnDoc {
            name: "titulo",
            kind: TEXT,
            description: "título del recurso",
        },
        ColumnDoc {
            name: "tipo",
            kind: TEXT,
            description: "«guia», «herramienta», «plantilla», «grabacion», «leccion_aprendida» \
                o «buena_practica»",
        },
        ColumnDoc {
            name: "descripcion",
            kind: TEXT,
            description: "qué es y para qué sirve",
        },
        ColumnDoc {
            name: "oferente",
            kind: TEXT,
            description: "entidad que lo publicó",
        },
        ColumnDoc {
            name: "etapa",
            kind: TEXT,
            description: "etapa del ciclo de la gestión pública: «planeacion», \
                «programacion_presupuestal», «financiacion», «ejecucion», \
                «seguimiento_evaluacion» o «rendicion_cuentas»; vacío si no se indicó",
        },
        ColumnDoc {
            name: "codigos_capacidad",
            kind: LIST,
            description: "códigos de las capacidades municipales que fortalece (en CSV \
                separados por «;», en JSON una lista)",
        },
        ColumnDoc {
            name: "categorias_municipio",
            kind: LIST,
            description: "categorías de municipio a las que se dirige («E» especial, «1» a «6»); \
                vacío si a todas",
        },
        ColumnDoc {
            name: "enlace",
            kind: TEXT,
            description: "dirección web del recurso, o de la descarga de su archivo \
                (/api/v1/resources/{id_recurso}/file, sin autenticación)",
        },
        ColumnDoc {
            name: "nombre_archivo",
            kind: TEXT,
            description: "nombre del archivo; vacío si el recurso es un enlace",
        },
        ColumnDoc {
            name: "codigo_curso",
            kind: TEXT,
            description: "código del curso del que salió; vacío si no",
        },
        ColumnDoc {
            name: "id_asistencia",
            kind: INTEGER,
            description: "asistencia técnica de la que salió (un producto entregado en una \
                visita, por ejemplo); vacío si no",
        },
        ColumnDoc {
            name: "contexto",
            kind: TEXT,
            description: "lecciones aprendidas y buenas prácticas: el contexto",
        },
        ColumnDoc {
            name: "problema",
            kind: TEXT,
            description: "el problema que se enfrentó",
        },
        ColumnDoc {
            name: "que_se_hizo",
            kind: TEXT,
            description: "qué se hizo",
        },
        ColumnDoc {
            name: "que_funciono",
            kind: TEXT,
            description: "qué funcionó",
        },
        ColumnDoc {
            name: "evidencia",
            kind: TEXT,
            description: "la evidencia del resultado",
        },
        ColumnDoc {
            name: "fecha_publicacion",
            kind: DATE,
            description: "día de publicación (AAAA-MM-DD)",
        },
        ColumnDoc {
            name: "descargas",
            kind: INTEGER,
            description: "descargas del archivo desde su publicación",
        },
    ],
};

/// One public resource; the keys are the columns of the data dictionary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = OpenDataResourceRow)]
pub struct ResourceRow {
    #[serde(rename = "id_recurso")]
    pub id: i32,
    #[serde(rename = "titulo")]
    pub title: String,
    #[serde(rename = "tipo")]
    pub kind: String,
    #[serde(rename = "descripcion")]
    pub description: String,
    #[serde(rename = "oferente")]
    pub provider: String,
    #[serde(rename = "etapa")]
    pub stage: String,
    #[serde(rename = "codigos_capacidad")]
    pub capacity_codes: Vec<String>,
    #[serde(rename = "categorias_municipio")]
    pub categories: Vec<String>,
    #[serde(rename = "enlace")]
    pub link: String,
    #[serde(rename = "nombre_archivo")]
    pub file_name: String,
    #[serde(rename = "codigo_curso")]
    pub course_code: String,
    #[serde(rename = "id_asistencia")]
    #[schema(required = true)]
    pub assistance_id: Option<i64>,
    #[serde(rename = "contexto")]
    pub context: String,
    #[serde(rename = "problema")]
    pub problem: String,
    #[serde(rename = "que_se_hizo")]
    pub what_was_done: String,
    #[serde(rename = "que_funciono")]
    pub what_worked: String,
    #[serde(rename = "evidencia")]
    pub evidence: String,
    #[serde(rename = "fecha_publicacion")]
    pub published_on: String,
    #[serde(rename = "descargas")]
    pub downloads: i64,
}

impl ResourceRow {
    /// The row's CSV fields, in the dictionary's order.
    pub fn fields(&self) -> Vec<CsvField> {
        vec![
            self.id.into(),
            self.title.as_str().into(),
            self.kind.as_str().into(),
            self.description.as_str().into(),
            self.provider.as_str().into(),
            self.stage.as_str().into(),
            CsvField::Text(self.capacity_codes.join(LIST_SEPARATOR)),
            CsvField::Text(self.categories.join(LIST_SEPARATOR)),
            self.link.as_str().into(),
            self.file_name.as_str().into(),
            self.course_code.as_str().into(),
            CsvField::Number(self.assistance_id),
            self.context.as_str().into(),
            self.problem.as_str().into(),
            self.what_was_done.as_str().into(),
            self.what_worked.as_str().into(),
            self.evidence.as_str().into(),
            self.published_on.as_str().into(),
            CsvField::Number(Some(self.downloads)),
        ]
    }
}

/// Every published public resource, by id.
pub async fn rows<C: ConnectionTrait>(db: &C) -> AppResult<Vec<ResourceRow>> {
    let models = resource::Entity::find()
        .filter(resource::Column::Status.eq(ResourceStatus::Published))
        .filter(resource::Column::Visibility.eq(ResourceVisibility::Publico))
        .order_by_asc(resource::Column::Id)
        .all(db)
        .await?;
    let views = crate::knowledge::views(db, models).await?;
    let course_ids: Vec<i32> = views
        .iter()
        .filter_map(|v| v.origin.course.as_ref().map(|c| c.id))
        .collect();
    let codes: std::collections::HashMap<i32, String> = crate::entities::course::Entity::find()
        .filter(crate::entities::course::Column::Id.is_in(course_ids))
        .all_mapped(db, |c| (c.id, c.code))
        .await?;
    Ok(views
        .into_iter()
        .map(|view| {
            let lesson = view.lesson.clone();
            let part = |pick: fn(&crate::knowledge::Lesson) -> &String| {
                lesson.as_ref().map(|l| pick(l).clone()).unwrap_or_default()
            };
            ResourceRow {
                id: view.id,
                title: view.title.clone(),
                kind: view.kind.as_str().to_string(),
                description: view.description.clone(),
                provider: view.provider.name.clone(),
                stage: view
                    .stage
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                capacity_codes: view.capacities.iter().map(|c| c.code.clone()).collect(),
                categories: view.municipality_categories.clone(),
                link: match (&view.url, &view.file) {
                    (Some(url), _) => url.clone(),
                    (None, Some(file)) => file.download_url.clone(),
                    _ => String::new(),
                },
                file_name: view
                    .file
                    .as_ref()
                    .map(|f| f.name.clone())
                    .unwrap_or_default(),
                course_code: view
                    .origin
                    .course
                    .as_ref()
                    .and_then(|c| codes.get(&c.id).cloned())
                    .unwrap_or_default(),
                assistance_id: view.origin.assistance.as_ref().map(|a| i64::from(a.id)),
                context: part(|l| &l.context),
                problem: part(|l| &l.problem),
                what_was_done: part(|l| &l.what_was_done),
                what_worked: part(|l| &l.what_worked),
                evidence: part(|l| &l.evidence),
                published_on: view
                    .published_at
                    .as_deref()
                    .map(|at| at.chars().take(10).collect())
                    .unwrap_or_default(),
                downloads: view.downloads,
            }
        })
        .collect())
}

/// The rows as the CSV file in `flavour` ([`super::Dataset::csv`]).
pub fn csv(rows: &[ResourceRow], flavour: CsvFlavour) -> Vec<u8> {
    RESOURCES.csv(flavour, rows.iter().map(ResourceRow::fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_follows_the_dictionary() {
        let row = ResourceRow {
            id: 3,
            title: "Guía de rendición de cuentas".into(),
            kind: "guia".into(),
            description: "Paso a paso".into(),
            provider: "ESAP".into(),
            stage: "rendicion_cuentas".into(),
            capacity_codes: vec!["gobierno_abierto".into()],
            categories: vec!["6".into()],
            link: "/api/v1/resources/3/file".into(),
            file_name: "guia.pdf".into(),
            course_code: String::new(),
            assistance_id: Some(1),
            context: String::new(),
            problem: String::new(),
            what_was_done: String::new(),
            what_worked: String::new(),
            evidence: String::new(),
            published_on: "2026-11-20".into(),
            downloads: 4,
        };
        let fields = row.fields().len();
        super::super::assert_follows_dictionary(&RESOURCES, &row, fields);
    }
}
