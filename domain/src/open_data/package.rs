//! The open data as a Frictionless Data Package (v1: <https://specs.frictionlessdata.io/>),
//! served at `/open-data/datapackage.json` (issue 67): one tabular resource per CSV the site
//! publishes — every data set of [`DATASETS`], in both flavours ([`CsvFlavour::ALL`]) —, each
//! with its dialect and its Table Schema derived from the same dictionary that writes the
//! CSV's header ([`Dataset::columns`]): the names, the types (`string`, `integer`, `date`),
//! the DIVIPOLA codes' patterns, the descriptions (in Spanish, with their units), and the
//! empty field as the missing value (a suppressed count, a goal not set).
//!
//! Paths are absolute URLs on the installation's `public_url`, so that the file also works
//! once downloaded or harvested by a portal (datos.gov.co, CKAN); `frictionless validate` of
//! the live file fetches them (`.ci/opendata`).

use super::{DATASETS, Dataset};
use crate::spreadsheets::CsvFlavour;
use serde::Serialize;
use serde_json::Value;

/// The licence the open data page states: CC BY 4.0.
pub const LICENSE_NAME: &str = "CC-BY-4.0";
pub const LICENSE_PATH: &str = "https://creativecommons.org/licenses/by/4.0/";
pub const LICENSE_TITLE: &str = "Creative Commons Atribución 4.0 Internacional";

/// The package's `name` (lowercase, `-`).
pub const NAME: &str = "aula-territorial-datos-abiertos";

/// The resource's `name` for `dataset` in `flavour`: `offer`, `offer-excel`.
pub fn resource_name(dataset: &Dataset, flavour: CsvFlavour) -> String {
    match flavour {
        CsvFlavour::Standard => dataset.slug.to_string(),
        CsvFlavour::ExcelColombia => format!("{}-excel", dataset.slug),
    }
}

/// The Data Package of this installation, whose site is at `public_url`.
pub fn datapackage(public_url: &str) -> Value {
    let base = public_url.trim_end_matches('/');
    let resources: Vec<Resource> = DATASETS
        .iter()
        .flat_map(|dataset| {
            CsvFlavour::ALL
                .into_iter()
                .map(move |flavour| resource(base, dataset, flavour))
        })
        .collect();
    serde_json::to_value(Package {
        profile: "tabular-data-package",
        name: NAME,
        title: "Aula Territorial: datos abiertos",
        description: "La oferta de formación, la cobertura por municipio y capacidad, los \
            planes de trabajo con su ejecución y el banco de conocimiento público de Aula \
            Territorial (ESAP), sin datos personales; un conteo de 1 a 4 personas no se publica \
            (queda vacío). Cada archivo está en dos versiones con las mismas columnas: separada \
            por comas (para programas) y separada por punto y coma (para Excel en Colombia).",
        homepage: format!("{base}/datos-abiertos"),
        language: "es-CO",
        licenses: [LICENSE],
        sources: [Source {
            title: "Escuela Superior de Administración Pública (ESAP), Aula Territorial",
            path: base,
        }],
        resources,
    })
    .unwrap_or_default()
}

/// The Data Package (Frictionless v1).
#[derive(Serialize)]
struct Package<'a> {
    profile: &'static str,
    name: &'static str,
    title: &'static str,
    description: &'static str,
    homepage: String,
    language: &'static str,
    licenses: [License; 1],
    sources: [Source<'a>; 1],
    resources: Vec<Resource>,
}

/// A licence of the package or of one resource.
#[derive(Clone, Copy, Serialize)]
struct License {
    name: &'static str,
    path: &'static str,
    title: &'static str,
}

const LICENSE: License = License {
    name: LICENSE_NAME,
    path: LICENSE_PATH,
    title: LICENSE_TITLE,
};

/// Where the data come from: this installation.
#[derive(Serialize)]
struct Source<'a> {
    title: &'static str,
    path: &'a str,
}

/// One CSV file: a tabular data resource.
#[derive(Serialize)]
struct Resource {
    profile: &'static str,
    name: String,
    title: String,
    description: String,
    path: String,
    format: &'static str,
    mediatype: &'static str,
    encoding: &'static str,
    licenses: [License; 1],
    dialect: Dialect,
    schema: TableSchema,
}

/// How the CSV is written (CSV Dialect).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Dialect {
    delimiter: String,
    line_terminator: &'static str,
    quote_char: &'static str,
    double_quote: bool,
    header: bool,
}

/// A Table Schema: the fields in file order, and the empty field as the missing value.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TableSchema {
    fields: Vec<Field>,
    missing_values: [&'static str; 1],
}

/// One column of a Table Schema.
#[derive(Serialize)]
struct Field {
    name: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    description: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    constraints: Option<Constraints>,
}

/// A column's constraint: its values' pattern.
#[derive(Serialize)]
struct Constraints {
    pattern: &'static str,
}

fn resource(base: &str, dataset: &Dataset, flavour: CsvFlavour) -> Resource {
    let (title, for_whom) = match flavour {
        CsvFlavour::Standard => (
            dataset.title.to_string(),
            "Separado por comas, para programas.",
        ),
        CsvFlavour::ExcelColombia => (
            format!("{} (para Excel en Colombia)", dataset.title),
            "Separado por punto y coma, para abrirlo con Excel en Colombia; las mismas columnas.",
        ),
    };
    Resource {
        profile: "tabular-data-resource",
        name: resource_name(dataset, flavour),
        title,
        description: format!(
            "{} Cada fila es {}; ordenadas {}. {for_whom}",
            dataset.description, dataset.row, dataset.order
        ),
        path: format!("{base}{}", dataset.csv_path(flavour)),
        format: "csv",
        mediatype: "text/csv",
        encoding: "utf-8",
        licenses: [LICENSE],
        dialect: Dialect {
            delimiter: flavour.delimiter().to_string(),
            line_terminator: "\r\n",
            quote_char: "\"",
            double_quote: true,
            header: true,
        },
        schema: table_schema(dataset),
    }
}

/// The Table Schema of `dataset`: one field per column, in file order.
pub fn schema(dataset: &Dataset) -> Value {
    serde_json::to_value(table_schema(dataset)).unwrap_or_default()
}

fn table_schema(dataset: &Dataset) -> TableSchema {
    TableSchema {
        fields: dataset
            .columns
            .iter()
            .map(|column| Field {
                name: column.name,
                kind: column.kind.table_type,
                description: column.description,
                constraints: column.kind.pattern.map(|pattern| Constraints { pattern }),
            })
            .collect(),
        missing_values: [""],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::open_data::{COVERAGE, OFFER};
    use serde_json::json;

    #[test]
    fn every_data_set_in_both_flavours_with_the_dictionary_as_schema() {
        let package = datapackage("https://aula.example.gov.co/");
        let resources = package["resources"].as_array().unwrap();
        assert_eq!(resources.len(), DATASETS.len() * 2);
        for dataset in DATASETS {
            for flavour in CsvFlavour::ALL {
                let name = resource_name(dataset, flavour);
                let resource = resources
                    .iter()
                    .find(|r| r["name"] == name.as_str())
                    .unwrap_or_else(|| panic!("{name}"));
                assert_eq!(
                    resource["path"],
                    format!("https://aula.example.gov.co{}", dataset.csv_path(flavour))
                );
                assert_eq!(
                    resource["dialect"]["delimiter"],
                    flavour.delimiter().to_string()
                );
                let names: Vec<&str> = resource["schema"]["fields"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f["name"].as_str().unwrap())
                    .collect();
                assert_eq!(names, dataset.header());
            }
        }
        assert_eq!(package["licenses"][0]["name"], "CC-BY-4.0");
    }

    #[test]
    fn codes_are_patterned_strings_counts_integers_and_dates_dates() {
        let schema = schema(&COVERAGE);
        let field = |name: &str| {
            schema["fields"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["name"] == name)
                .unwrap()
                .clone()
        };
        assert_eq!(
            field("codigo_municipio"),
            json!({"name": "codigo_municipio", "type": "string",
                   "description": COVERAGE.columns[0].description,
                   "constraints": {"pattern": "[0-9]{5}"}})
        );
        assert_eq!(
            field("codigo_departamento")["constraints"]["pattern"],
            "[0-9]{2}"
        );
        assert_eq!(field("personas_formadas")["type"], "integer");
        assert_eq!(schema["missingValues"], json!([""]));
        let offer = self::schema(&OFFER);
        let start = offer["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == "fecha_inicio")
            .unwrap();
        assert_eq!(start["type"], "date");
    }
}
