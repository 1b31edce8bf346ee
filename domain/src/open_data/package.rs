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
use serde_json::{Value, json};

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
    let resources: Vec<Value> = DATASETS
        .iter()
        .flat_map(|dataset| {
            CsvFlavour::ALL
                .into_iter()
                .map(move |flavour| resource(base, dataset, flavour))
        })
        .collect();
    json!({
        "profile": "tabular-data-package",
        "name": NAME,
        "title": "Aula Territorial: datos abiertos",
        "description": "La oferta de formación, la cobertura por municipio y capacidad, los \
            planes de trabajo con su ejecución y el banco de conocimiento público de Aula \
            Territorial (ESAP), sin datos personales; un conteo de 1 a 4 personas no se publica \
            (queda vacío). Cada archivo está en dos versiones con las mismas columnas: separada \
            por comas (para programas) y separada por punto y coma (para Excel en Colombia).",
        "homepage": format!("{base}/datos-abiertos"),
        "language": "es-CO",
        "licenses": [license()],
        "sources": [{
            "title": "Escuela Superior de Administración Pública (ESAP), Aula Territorial",
            "path": base,
        }],
        "resources": resources,
    })
}

fn license() -> Value {
    json!({"name": LICENSE_NAME, "path": LICENSE_PATH, "title": LICENSE_TITLE})
}

fn resource(base: &str, dataset: &Dataset, flavour: CsvFlavour) -> Value {
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
    json!({
        "profile": "tabular-data-resource",
        "name": resource_name(dataset, flavour),
        "title": title,
        "description": format!(
            "{} Cada fila es {}; ordenadas {}. {for_whom}",
            dataset.description, dataset.row, dataset.order
        ),
        "path": format!("{base}{}", dataset.csv_path(flavour)),
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "licenses": [license()],
        "dialect": {
            "delimiter": flavour.delimiter().to_string(),
            "lineTerminator": "\r\n",
            "quoteChar": "\"",
            "doubleQuote": true,
            "header": true,
        },
        "schema": schema(dataset),
    })
}

/// The Table Schema of `dataset`: one field per column, in file order.
pub fn schema(dataset: &Dataset) -> Value {
    let fields: Vec<Value> = dataset
        .columns
        .iter()
        .map(|column| {
            let mut field = json!({
                "name": column.name,
                "type": column.kind.table_type,
                "description": column.description,
            });
            if let Some(pattern) = column.kind.pattern {
                field["constraints"] = json!({"pattern": pattern});
            }
            field
        })
        .collect();
    json!({"fields": fields, "missingValues": [""]})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::open_data::{COVERAGE, OFFER};

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
