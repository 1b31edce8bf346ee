//! `/datos-abiertos`: the open data sets, their dictionary and conventions, and their files.
//! Public, like the files.

use crate::web::{Page, PageResult};
use domain::descriptors::{self, DescriptorView};
use domain::entities::values::DescriptorKind;
use domain::open_data::{DATASETS, Dataset, LIST_SEPARATOR, MIN_PUBLISHED};
use domain::spreadsheets::CsvFlavour;
use rocket::{Route, State, get, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![open_data_page]
}

#[derive(Serialize)]
struct OpenDataView {
    datasets: Vec<DatasetView>,
    min_published: i64,
    largest_suppressed: i64,
    list_separator: &'static str,
    /// The sectors (code and name), to download the offer of one (issue 49).
    sectors: Vec<DescriptorView>,
}

#[derive(Serialize)]
struct DatasetView {
    #[serde(flatten)]
    dataset: &'static Dataset,
    csv: String,
    /// The same CSV for Colombian Excel (`;`).
    excel_csv: String,
    json: String,
}

#[get("/datos-abiertos")]
async fn open_data_page(db: &State<DatabaseConnection>, page: Page<'_>) -> PageResult {
    let datasets = DATASETS
        .iter()
        .map(|&dataset| DatasetView {
            dataset,
            csv: dataset.csv_path(CsvFlavour::Standard),
            excel_csv: dataset.csv_path(CsvFlavour::ExcelColombia),
            json: dataset.json_path(),
        })
        .collect();
    page.render(
        "open_data",
        "Datos abiertos",
        OpenDataView {
            datasets,
            min_published: MIN_PUBLISHED,
            largest_suppressed: MIN_PUBLISHED - 1,
            list_separator: LIST_SEPARATOR,
            sectors: descriptors::all(db.inner(), DescriptorKind::Sector, true).await?,
        },
    )
}
