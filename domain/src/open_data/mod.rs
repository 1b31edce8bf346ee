//! Open data (issue 32): the offer and the coverage are public information in Colombia (Ley
//! 1712 de 2014, transparencia y acceso a la información pública), published without
//! authentication as CSV and JSON in the shape datos.gov.co takes, with their data dictionary
//! ([`DATASETS`], shown at `/datos-abiertos`) and no personal data.
//!
//! - [`offer`]: every published cohort of every provider (open, in progress, closed; never
//!   drafts nor cancelled ones, which may never have been published): four set-based queries
//!   whatever the size of the offer.
//! - [`coverage`]: per municipality × capacity × year, the people trained, completed and
//!   certified, read from the figures model (`capacity_year_figures`, one query); counts from
//!   1 to 4 are suppressed ([`suppressed`]).
//!
//! Both files have one row type: its `serde` names are the JSON keys and the CSV header, both
//! equal to the dictionary's column names (the tests hold them together). In JSON a file is an
//! array of objects (what datos.gov.co's SODA API answers), a list column a JSON list and a
//! suppressed count `null`; in CSV a list is joined with `;` and a suppressed count is empty.
//! Each CSV comes in two flavours written by the same code (`spreadsheets::CsvFlavour`): the
//! standard one (comma) and the one Colombian Excel splits into columns (`;`), at
//! `/open-data/{slug}.excel.csv` (issue 67). [`package`] describes every file as a Frictionless
//! Data Package, derived from the same dictionary.

pub mod coverage;
pub mod offer;
pub mod package;
pub mod plans;
pub mod resources;

pub use resources::RESOURCES;

use crate::spreadsheets::{CsvField, CsvFile, CsvFlavour};
use serde::Serialize;

/// The smallest count published: 1 to 4 people could be recognised, so they are suppressed.
pub const MIN_PUBLISHED: i64 = 5;

/// A count as published: `None` (suppressed) from 1 to [`MIN_PUBLISHED`] − 1, the count
/// otherwise (0 included: a row exists only where someone was trained, and "nobody of them"
/// identifies no one).
pub fn suppressed(count: i64) -> Option<i64> {
    if (1..MIN_PUBLISHED).contains(&count) {
        None
    } else {
        Some(count)
    }
}

/// Complementary suppression (issue 62, item 4): no published pair of counts whose difference
/// isolates a group of 1 to 4 people. `cells` are counts as published (`None`: suppressed);
/// `related(a, b)` says whether one of the two counts people the other also counts (a line of
/// El Paujíl + Puerto Rico and one of Puerto Rico; a row's trained and certified), so that
/// subtracting them names a group. Of every such pair of published counts whose difference is
/// 1 to 4, the smaller is suppressed too. One pass is enough: a count only ever goes from
/// published to suppressed, so a pair checked stays safe. Sums of three or more counts are not
/// searched (see DECISIONS).
pub fn suppress_differences(cells: &mut [Option<i64>], related: impl Fn(usize, usize) -> bool) {
    for a in 0..cells.len() {
        for b in a + 1..cells.len() {
            let (Some(x), Some(y)) = (cells[a], cells[b]) else {
                continue;
            };
            if !(1..MIN_PUBLISHED).contains(&(x - y).abs()) || !related(a, b) {
                continue;
            }
            if x < y {
                cells[a] = None;
            } else {
                cells[b] = None;
            }
        }
    }
}

/// A count of free places (seats, a municipality's quota) as shown to someone without staff
/// scope (issue 62, item 4): exact unless the places taken are 1 to 4 — what the open data
/// suppresses —, then the band they fall in, «entre 26 y 29». `taken` is `total − free`.
pub fn free_places_label(total: i64, free: i64) -> String {
    let taken = total - free;
    if (1..MIN_PUBLISHED).contains(&taken) {
        let low = (total - (MIN_PUBLISHED - 1)).max(0);
        format!("entre {low} y {}", (total - 1).max(0))
    } else {
        free.max(0).to_string()
    }
}

/// A count of people (enrolled, waiting) as shown to someone without staff scope: exact from
/// 5 (or 0), «menos de 5» from 1 to 4.
pub fn people_label(count: i64) -> String {
    match suppressed(count) {
        Some(n) => n.to_string(),
        None => format!("menos de {MIN_PUBLISHED}"),
    }
}

/// How a list column is joined in CSV.
pub const LIST_SEPARATOR: &str = ";";

/// A data set as the dictionary describes it.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Dataset {
    /// The file name in the URL: `/open-data/{slug}.csv` and `.json`.
    pub slug: &'static str,
    /// The downloaded CSV's file name.
    pub file_name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    /// What one row is.
    pub row: &'static str,
    /// In what order the rows come.
    pub order: &'static str,
    pub columns: &'static [ColumnDoc],
}

/// A column of a data set: its name (CSV header and JSON key), type and meaning.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct ColumnDoc {
    pub name: &'static str,
    pub kind: ColumnKind,
    pub description: &'static str,
}

/// A column's type, as the dictionary page names it and as the Data Package's Table Schema
/// describes it. Serialised (for the page) as its label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ColumnKind {
    /// `texto`, `entero`, `fecha`, `lista de texto`…
    pub label: &'static str,
    /// The Table Schema type: `string`, `integer` or `date`. A list is a `string` (joined
    /// with [`LIST_SEPARATOR`] in CSV).
    pub table_type: &'static str,
    /// The Table Schema `pattern` (an XML Schema regular expression: the whole value must
    /// match), for codes.
    pub pattern: Option<&'static str>,
}

impl Serialize for ColumnKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.label)
    }
}

impl Dataset {
    /// The column names, in file order (the CSV header).
    pub fn header(&self) -> Vec<&'static str> {
        self.columns.iter().map(|c| c.name).collect()
    }

    /// The CSV's path on the site, in `flavour`: `/open-data/offer.csv`,
    /// `/open-data/offer.excel.csv`.
    pub fn csv_path(&self, flavour: CsvFlavour) -> String {
        format!("/open-data/{}{}.csv", self.slug, flavour.suffix())
    }

    /// The JSON's path on the site.
    pub fn json_path(&self) -> String {
        format!("/open-data/{}.json", self.slug)
    }

    /// The downloaded CSV's file name in `flavour`: `aula-territorial-oferta.csv`,
    /// `aula-territorial-oferta.excel.csv`.
    pub fn csv_file_name(&self, flavour: CsvFlavour) -> String {
        let stem = self.file_name.trim_end_matches(".csv");
        format!("{stem}{}.csv", flavour.suffix())
    }

    /// A CSV file of this data set in `flavour` with these rows (each row's fields in the
    /// dictionary's order): the one writer of every open data CSV.
    pub fn csv(
        &self,
        flavour: CsvFlavour,
        rows: impl IntoIterator<Item = Vec<CsvField>>,
    ) -> Vec<u8> {
        let mut file = CsvFile::with_flavour(&self.header(), flavour);
        for row in rows {
            file.row(&row);
        }
        file.into_bytes()
    }
}

const fn kind(label: &'static str, table_type: &'static str) -> ColumnKind {
    ColumnKind {
        label,
        table_type,
        pattern: None,
    }
}

pub const TEXT: ColumnKind = kind("texto", "string");
pub const INTEGER: ColumnKind = kind("entero", "integer");
pub const DATE: ColumnKind = kind("fecha", "date");
pub const LIST: ColumnKind = kind("lista de texto", "string");
/// A municipality's DIVIPOLA code: five digits, leading zero kept (Medellín «05001»).
pub const MUNICIPALITY_CODE: ColumnKind = ColumnKind {
    label: "texto: código DIVIPOLA de 5 dígitos",
    table_type: "string",
    pattern: Some("[0-9]{5}"),
};
/// A department's DIVIPOLA code: two digits (Antioquia «05», Atlántico «08»).
pub const DEPARTMENT_CODE: ColumnKind = ColumnKind {
    label: "texto: código DIVIPOLA de 2 dígitos",
    table_type: "string",
    pattern: Some("[0-9]{2}"),
};
/// A list of municipality codes joined with [`LIST_SEPARATOR`].
pub const MUNICIPALITY_CODES: ColumnKind = ColumnKind {
    label: "lista de códigos DIVIPOLA de 5 dígitos",
    table_type: "string",
    pattern: Some("[0-9]{5}(;[0-9]{5})*"),
};
/// A list of department codes joined with [`LIST_SEPARATOR`].
pub const DEPARTMENT_CODES: ColumnKind = ColumnKind {
    label: "lista de códigos DIVIPOLA de 2 dígitos",
    table_type: "string",
    pattern: Some("[0-9]{2}(;[0-9]{2})*"),
};

/// The offer: one row per published cohort and per technical assistance not cancelled.
pub const OFFER: Dataset = Dataset {
    slug: "offer",
    file_name: "aula-territorial-oferta.csv",
    title: "Oferta de formación",
    description: "Todas las cohortes publicadas de todos los oferentes (la ESAP, el DNP, \
        Función Pública, las gobernaciones y los demás): el curso, las capacidades municipales \
        que fortalece, dónde se ofrece, las fechas, la modalidad y los cupos. Se publican las \
        cohortes con inscripciones abiertas, en curso y cerradas; no se publican los borradores \
        ni las cohortes canceladas (una cohorte se puede cancelar antes de publicarse). También \
        las asistencias técnicas de todos los oferentes (planeadas, en curso y cerradas; no las \
        canceladas): a qué entidad, dónde, en qué capacidades, las fechas y la modalidad; la \
        columna tipo dice si la fila es una cohorte o una asistencia técnica.",
    row: "una cohorte o una asistencia técnica",
    order: "primero las cohortes por id_cohorte, luego las asistencias técnicas por \
        id_asistencia",
    columns: &[
        ColumnDoc {
            name: "id_cohorte",
            kind: INTEGER,
            description: "identificador de la cohorte en Aula Territorial (su página pública es \
                /cohortes/{id_cohorte}); vacío en una asistencia técnica",
        },
        ColumnDoc {
            name: "nombre_cohorte",
            kind: TEXT,
            description: "nombre de la cohorte; en una asistencia técnica, «Asistencia técnica \
                a» y la entidad que acompaña (alcaldía, concejo municipal…)",
        },
        ColumnDoc {
            name: "oferente",
            kind: TEXT,
            description: "entidad que ofrece la cohorte o presta la asistencia técnica",
        },
        ColumnDoc {
            name: "nit_oferente",
            kind: TEXT,
            description: "NIT del oferente con dígito de verificación (NNNNNNNNN-D); vacío si no \
                está registrado",
        },
        ColumnDoc {
            name: "codigo_curso",
            kind: TEXT,
            description: "código del curso en el catálogo; vacío en una asistencia técnica",
        },
        ColumnDoc {
            name: "nombre_curso",
            kind: TEXT,
            description: "nombre del curso; vacío en una asistencia técnica",
        },
        ColumnDoc {
            name: "intensidad_horaria",
            kind: INTEGER,
            description: "horas del curso; vacío en una asistencia técnica",
        },
        ColumnDoc {
            name: "codigos_capacidad",
            kind: LIST,
            description: "códigos de las capacidades municipales que fortalece el curso o la \
                asistencia técnica (en CSV separados por «;», en JSON una lista)",
        },
        ColumnDoc {
            name: "capacidades",
            kind: LIST,
            description: "nombres de esas capacidades, en el mismo orden",
        },
        ColumnDoc {
            name: "alcance",
            kind: TEXT,
            description: "dónde se ofrece: «nacional» (todo el país, sin códigos), \
                «departamental» (solo departamentos), «municipal» (solo municipios) o «mixto» \
                (departamentos y municipios)",
        },
        ColumnDoc {
            name: "codigos_departamento",
            kind: DEPARTMENT_CODES,
            description: "códigos DIVIPOLA de 2 dígitos de los departamentos a los que se ofrece \
                (todos sus municipios); vacío si no hay",
        },
        ColumnDoc {
            name: "codigos_municipio",
            kind: MUNICIPALITY_CODES,
            description: "códigos DIVIPOLA de 5 dígitos de los municipios a los que se ofrece; \
                vacío si no hay",
        },
        ColumnDoc {
            name: "fecha_inicio",
            kind: DATE,
            description: "fecha de inicio (AAAA-MM-DD)",
        },
        ColumnDoc {
            name: "fecha_fin",
            kind: DATE,
            description: "fecha de finalización (AAAA-MM-DD)",
        },
        ColumnDoc {
            name: "modalidad",
            kind: TEXT,
            description: "«presencial», «virtual» o «mixta»",
        },
        ColumnDoc {
            name: "cupos",
            kind: INTEGER,
            description: "cupos de la cohorte; vacío en una asistencia técnica",
        },
        ColumnDoc {
            name: "estado",
            kind: TEXT,
            description: "una cohorte: «abierta» (inscripciones abiertas), «en_curso» o \
                «cerrada»; una asistencia técnica: «planeada», «en_curso» o «cerrada»",
        },
        ColumnDoc {
            name: "codigos_sector",
            kind: LIST,
            description: "códigos de los sectores (del Presupuesto General de la Nación) que \
                atiende el curso, descriptores sectoriales del CONPES 4100; con \
                ?sector=código el archivo trae solo la oferta de ese sector",
        },
        ColumnDoc {
            name: "sectores",
            kind: LIST,
            description: "nombres de esos sectores, en el mismo orden",
        },
        ColumnDoc {
            name: "codigos_grupo_poblacional",
            kind: LIST,
            description: "códigos de los grupos poblacionales a los que se dirige el curso \
                (descriptores poblacionales del CONPES 4100); vacío si no hay",
        },
        ColumnDoc {
            name: "grupos_poblacionales",
            kind: LIST,
            description: "nombres de esos grupos poblacionales, en el mismo orden",
        },
        ColumnDoc {
            name: "tipo",
            kind: TEXT,
            description: "«cohorte» o «asistencia_tecnica» (una asistencia técnica no tiene \
                curso, cupos ni sectores; con ?sector=código no se incluyen)",
        },
        ColumnDoc {
            name: "id_asistencia",
            kind: INTEGER,
            description: "identificador de la asistencia técnica en Aula Territorial; vacío en \
                una cohorte",
        },
    ],
};

/// The coverage: one row per municipality × capacity × year with someone trained.
pub const COVERAGE: Dataset = Dataset {
    slug: "coverage",
    file_name: "aula-territorial-cobertura.csv",
    title: "Cobertura por municipio, capacidad y año",
    description: "Cuántas personas distintas de cada municipio se formaron en cada capacidad \
        municipal, por año, con todos los oferentes: cuántas aprobaron y cuántas recibieron \
        certificado; y cuántas asistencias técnicas recibió el municipio en la capacidad. Hay \
        una fila solo donde alguien se formó, hubo asistencia técnica o réplicas.",
    row: "un municipio, una capacidad y un año",
    order: "por codigo_municipio, luego por capacidad (en el orden del catálogo de \
        capacidades) y por anio",
    columns: &[
        ColumnDoc {
            name: "codigo_municipio",
            kind: MUNICIPALITY_CODE,
            description: "código DIVIPOLA de 5 dígitos del municipio de la inscripción (la \
                entidad por la que la persona se formó)",
        },
        ColumnDoc {
            name: "nombre_municipio",
            kind: TEXT,
            description: "nombre del municipio (DANE)",
        },
        ColumnDoc {
            name: "codigo_departamento",
            kind: DEPARTMENT_CODE,
            description: "código DIVIPOLA de 2 dígitos del departamento",
        },
        ColumnDoc {
            name: "nombre_departamento",
            kind: TEXT,
            description: "nombre del departamento (DANE)",
        },
        ColumnDoc {
            name: "codigo_capacidad",
            kind: TEXT,
            description: "código de la capacidad municipal",
        },
        ColumnDoc {
            name: "nombre_capacidad",
            kind: TEXT,
            description: "nombre de la capacidad municipal",
        },
        ColumnDoc {
            name: "anio",
            kind: INTEGER,
            description: "año de inicio de la cohorte (o de la asistencia técnica)",
        },
        ColumnDoc {
            name: "personas_formadas",
            kind: INTEGER,
            description: "personas distintas inscritas en una cohorte de un curso que fortalece \
                la capacidad (inscritas, aprobadas o no aprobadas; no cuentan la lista de \
                espera ni las inscripciones canceladas); vacío (null en JSON) si son de 1 a 4",
        },
        ColumnDoc {
            name: "personas_aprobadas",
            kind: INTEGER,
            description: "de ellas, las que aprobaron; vacío (null en JSON) si son de 1 a 4",
        },
        ColumnDoc {
            name: "personas_certificadas",
            kind: INTEGER,
            description: "de ellas, las que tienen un certificado vigente; vacío (null en JSON) \
                si son de 1 a 4",
        },
        ColumnDoc {
            name: "asistencias_tecnicas",
            kind: INTEGER,
            description: "asistencias técnicas de cualquier oferente (planeadas, en curso o \
                cerradas; no cuentan las canceladas) a una entidad del municipio en la \
                capacidad, que empezaron en el año; no se suprimen (no son personas)",
        },
        ColumnDoc {
            name: "asistencias_tecnicas_cerradas",
            kind: INTEGER,
            description: "de ellas, las cerradas",
        },
        ColumnDoc {
            name: "personas_alcanzadas_replicas",
            kind: INTEGER,
            description: "alcance de segunda generación: personas que asistieron en el año a \
                réplicas de la capacidad dictadas en el municipio por replicadores certificados \
                (formación de formadores); no se suman a personas_formadas; vacío (null en \
                JSON) si son de 1 a 4",
        },
    ],
};

/// The plans: one row per line of every approved plan.
pub const PLANS: Dataset = Dataset {
    slug: "plans",
    file_name: "aula-territorial-planes.csv",
    title: "Planes de trabajo: metas, presupuesto y ejecución",
    description: "Los planes de trabajo aprobados de cada oferente por vigencia (el nacional \
        de la ESAP y los de sus direcciones territoriales, los de otras entidades y los de las \
        gobernaciones): cada línea con su capacidad, sus municipios objetivo, sus metas, su \
        presupuesto por fuente y lo logrado a la fecha, con los costos comprometidos y \
        ejecutados. Sin datos personales: no se publica quién aprobó ni quién modificó, y las \
        cuentas de personas de 1 a 4 se suprimen.",
    row: "una línea de un plan aprobado (en su versión vigente)",
    order: "por vigencia, id_plan y numero_linea",
    columns: &[
        ColumnDoc {
            name: "id_plan",
            kind: INTEGER,
            description: "identificador del plan en Aula Territorial",
        },
        ColumnDoc {
            name: "vigencia",
            kind: INTEGER,
            description: "año (vigencia fiscal, del 1 de enero al 31 de diciembre) del plan",
        },
        ColumnDoc {
            name: "oferente",
            kind: TEXT,
            description: "entidad dueña del plan (la ESAP, el DNP, una gobernación…)",
        },
        ColumnDoc {
            name: "direccion_territorial",
            kind: TEXT,
            description: "dirección territorial de la ESAP cuyo plan es; vacío si no es de una dirección",
        },
        ColumnDoc {
            name: "codigo_departamento",
            kind: DEPARTMENT_CODE,
            description: "código DIVIPOLA de 2 dígitos del departamento, en el plan de una gobernación; vacío si no",
        },
        ColumnDoc {
            name: "territorio",
            kind: TEXT,
            description: "dónde aplica el plan: «Nacional», el nombre de la dirección territorial o del departamento",
        },
        ColumnDoc {
            name: "nombre_plan",
            kind: TEXT,
            description: "nombre del plan",
        },
        ColumnDoc {
            name: "estado",
            kind: TEXT,
            description: "«aprobado», «modificado» (aprobado y con al menos una modificación) o «cerrado» (terminó su vigencia); los borradores no se publican",
        },
        ColumnDoc {
            name: "version",
            kind: INTEGER,
            description: "versión vigente del plan (1 al aprobarse; una más por cada modificación)",
        },
        ColumnDoc {
            name: "acto_aprobacion",
            kind: TEXT,
            description: "acto con el que se aprobó (resolución o acta del comité)",
        },
        ColumnDoc {
            name: "numero_linea",
            kind: INTEGER,
            description: "número de la línea dentro del plan",
        },
        ColumnDoc {
            name: "codigo_capacidad",
            kind: TEXT,
            description: "código de la capacidad municipal de la línea",
        },
        ColumnDoc {
            name: "nombre_capacidad",
            kind: TEXT,
            description: "nombre de esa capacidad",
        },
        ColumnDoc {
            name: "codigo_curso",
            kind: TEXT,
            description: "código del curso que nombra la línea; vacío si no nombra uno",
        },
        ColumnDoc {
            name: "codigos_municipio",
            kind: MUNICIPALITY_CODES,
            description: "códigos DIVIPOLA de 5 dígitos de los municipios que la línea lista (en CSV separados por «;», en JSON una lista); vacío si usa una regla o todo el territorio del plan",
        },
        ColumnDoc {
            name: "regla_objetivo",
            kind: TEXT,
            description: "regla de los municipios objetivo: «pdet», «categories_5_6» o «priorities» (la selección de «¿Dónde formar?»); vacío si lista municipios o cubre todo el territorio del plan",
        },
        ColumnDoc {
            name: "meta_cohortes",
            kind: INTEGER,
            description: "meta del año: cohortes realizadas; vacío (null en JSON) si la línea no la fija",
        },
        ColumnDoc {
            name: "meta_personas_formadas",
            kind: INTEGER,
            description: "meta del año: personas formadas; vacío si la línea no la fija",
        },
        ColumnDoc {
            name: "meta_personas_certificadas",
            kind: INTEGER,
            description: "meta del año: personas certificadas; vacío si la línea no la fija",
        },
        ColumnDoc {
            name: "meta_asistencias_cerradas",
            kind: INTEGER,
            description: "meta del año: asistencias técnicas cerradas con su objetivo alcanzado; vacío si la línea no la fija",
        },
        ColumnDoc {
            name: "meta_municipios_alcanzados",
            kind: INTEGER,
            description: "meta del año: municipios alcanzados; vacío si la línea no la fija",
        },
        ColumnDoc {
            name: "presupuesto_inversion",
            kind: INTEGER,
            description: "presupuesto de la línea con fuente inversión, en pesos",
        },
        ColumnDoc {
            name: "presupuesto_funcionamiento",
            kind: INTEGER,
            description: "presupuesto con fuente funcionamiento, en pesos",
        },
        ColumnDoc {
            name: "presupuesto_cooperacion",
            kind: INTEGER,
            description: "presupuesto con fuente cooperación, en pesos",
        },
        ColumnDoc {
            name: "presupuesto_sgr",
            kind: INTEGER,
            description: "presupuesto con fuente Sistema General de Regalías, en pesos",
        },
        ColumnDoc {
            name: "presupuesto_propios",
            kind: INTEGER,
            description: "presupuesto con fuente recursos propios, en pesos",
        },
        ColumnDoc {
            name: "logrado_cohortes",
            kind: INTEGER,
            description: "cohortes con personas formadas desde el 1 de enero hasta fecha_corte; vacío si la línea no fija esa meta",
        },
        ColumnDoc {
            name: "logrado_personas_formadas",
            kind: INTEGER,
            description: "personas formadas hasta fecha_corte; vacío si la línea no fija esa meta o si son de 1 a 4",
        },
        ColumnDoc {
            name: "logrado_personas_certificadas",
            kind: INTEGER,
            description: "personas certificadas hasta fecha_corte; vacío si la línea no fija esa meta o si son de 1 a 4",
        },
        ColumnDoc {
            name: "logrado_asistencias_cerradas",
            kind: INTEGER,
            description: "asistencias técnicas cerradas con su objetivo hasta fecha_corte; vacío si la línea no fija esa meta",
        },
        ColumnDoc {
            name: "logrado_municipios_alcanzados",
            kind: INTEGER,
            description: "municipios distintos alcanzados hasta fecha_corte; vacío si la línea no fija esa meta",
        },
        ColumnDoc {
            name: "costo_comprometido",
            kind: INTEGER,
            description: "costos de la línea comprometidos o ejecutados hasta fecha_corte, en pesos",
        },
        ColumnDoc {
            name: "costo_ejecutado",
            kind: INTEGER,
            description: "costos de la línea ejecutados (pagados) hasta fecha_corte, en pesos",
        },
        ColumnDoc {
            name: "fecha_corte",
            kind: DATE,
            description: "fecha hasta la que se cuenta lo logrado (hoy, o el 31 de diciembre de una vigencia terminada; AAAA-MM-DD)",
        },
    ],
};

/// Every data set, in the order the page lists them.
pub const DATASETS: [&Dataset; 4] = [&OFFER, &COVERAGE, &PLANS, &RESOURCES];

/// Checks that a row of `dataset` as JSON has exactly the dictionary's names, in its order,
/// and as many CSV fields (`fields`) as the dictionary has columns; the JSON, for the caller's
/// own checks.
#[cfg(test)]
pub(crate) fn assert_follows_dictionary(
    dataset: &Dataset,
    row: &impl serde::Serialize,
    fields: usize,
) -> serde_json::Value {
    let json = serde_json::to_value(row).unwrap();
    // The same names, and in the same order in the text (a `Value` sorts its keys).
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut header = dataset.header();
    header.sort_unstable();
    assert_eq!(keys, header);
    let text = serde_json::to_string(row).unwrap();
    let at: Vec<usize> = dataset
        .header()
        .iter()
        .map(|name| text.find(&format!("\"{name}\":")).unwrap())
        .collect();
    assert!(at.is_sorted(), "{text}");
    assert_eq!(fields, dataset.columns.len());
    json
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_one_to_four_are_suppressed_and_the_rest_published() {
        assert_eq!(suppressed(0), Some(0));
        for n in 1..=4 {
            assert_eq!(suppressed(n), None, "{n}");
        }
        assert_eq!(suppressed(5), Some(5));
        assert_eq!(suppressed(1234), Some(1234));
    }

    #[test]
    fn a_difference_of_one_to_four_between_related_counts_is_suppressed() {
        // The run's plan lines: El Paujíl + Puerto Rico (8), Puerto Rico (5), El Paujíl (3).
        let mut cells = [Some(8), Some(5), suppressed(3)];
        suppress_differences(&mut cells, |_, _| true);
        assert_eq!(cells, [Some(8), None, None]);
        // Unrelated counts keep their values; a difference of 5 or 0 isolates nobody.
        let mut cells = [Some(8), Some(5), Some(13), Some(13)];
        suppress_differences(&mut cells, |a, b| (a, b) != (0, 1));
        assert_eq!(cells, [Some(8), Some(5), Some(13), Some(13)]);
        // Chains: 10, 8 and 6 related to each other keep only 10.
        let mut cells = [Some(10), Some(8), Some(6)];
        suppress_differences(&mut cells, |_, _| true);
        assert_eq!(cells, [Some(10), None, None]);
    }

    #[test]
    fn free_places_are_banded_when_one_to_four_are_taken() {
        assert_eq!(free_places_label(30, 30), "30");
        assert_eq!(free_places_label(30, 27), "entre 26 y 29");
        assert_eq!(free_places_label(30, 26), "entre 26 y 29");
        assert_eq!(free_places_label(30, 25), "25");
        assert_eq!(free_places_label(3, 2), "entre 0 y 2");
        assert_eq!(people_label(3), "menos de 5");
        assert_eq!(people_label(0), "0");
        assert_eq!(people_label(7), "7");
    }

    #[test]
    fn column_names_are_ascii_snake_case_and_unique() {
        for dataset in DATASETS {
            let mut seen = std::collections::HashSet::new();
            for column in dataset.columns {
                assert!(
                    column
                        .name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '_'),
                    "{}",
                    column.name
                );
                assert!(seen.insert(column.name), "{} twice", column.name);
                assert!(
                    [
                        TEXT,
                        INTEGER,
                        DATE,
                        LIST,
                        MUNICIPALITY_CODE,
                        DEPARTMENT_CODE,
                        MUNICIPALITY_CODES,
                        DEPARTMENT_CODES
                    ]
                    .contains(&column.kind),
                    "{}",
                    column.name
                );
            }
        }
    }

    /// Every DIVIPOLA column carries its pattern (what keeps tools from reading «05001» as
    /// the number 5001), and the list patterns use the separator the files join lists with.
    #[test]
    fn divipola_columns_are_text_with_their_pattern() {
        let mut seen = 0;
        for dataset in DATASETS {
            for column in dataset.columns {
                let expected = match column.name {
                    "codigo_municipio" => MUNICIPALITY_CODE,
                    "codigo_departamento" => DEPARTMENT_CODE,
                    "codigos_municipio" => MUNICIPALITY_CODES,
                    "codigos_departamento" => DEPARTMENT_CODES,
                    _ => continue,
                };
                assert_eq!(column.kind, expected, "{}.{}", dataset.slug, column.name);
                seen += 1;
            }
        }
        assert_eq!(seen, 6);
        for list in [MUNICIPALITY_CODES, DEPARTMENT_CODES] {
            assert!(
                list.pattern
                    .unwrap()
                    .contains(&format!("({LIST_SEPARATOR}"))
            );
        }
        assert_eq!(
            OFFER.csv_file_name(CsvFlavour::ExcelColombia),
            "aula-territorial-oferta.excel.csv"
        );
        assert_eq!(
            OFFER.csv_path(CsvFlavour::ExcelColombia),
            "/open-data/offer.excel.csv"
        );
    }
}
