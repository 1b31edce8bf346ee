//! The list of assistances, and the workbooks of the list and of one assistance's record.

use super::*;

/// The list page's workbook (the same rows as the page).
#[get("/asistencias.xlsx?<estado>")]
pub(super) async fn list_download(
    db: &State<DatabaseConnection>,
    user: MunicipalityReader,
    estado: Option<&str>,
) -> AppResult<crate::spreadsheets::download::Download> {
    let filter = ListFilter {
        status: estado.and_then(AssistanceStatus::parse),
        provider: user.managed_provider(),
        ..Default::default()
    };
    crate::assistance::api::list_workbook(db.inner(), &user, &filter).await
}

/// An assistance's whole record as a workbook.
#[get("/asistencias/<id>/ficha.xlsx")]
pub(super) async fn record_download(
    db: &State<DatabaseConnection>,
    user: MunicipalityReader,
    id: i32,
) -> AppResult<crate::spreadsheets::download::Download> {
    crate::assistance::api::record_workbook(db.inner(), &user, id).await
}

pub(super) const PER_PAGE: u64 = 25;

#[derive(Serialize)]
pub(super) struct ListView {
    rows: Vec<AssistanceView>,
    total: u64,
    may_create: bool,
    /// `AAAA-MM`, the follow-up's default month.
    this_month: String,
}

#[get("/asistencias?<estado>")]
pub(super) async fn list_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: MunicipalityReader,
    estado: Option<&str>,
) -> PageResult {
    let filter = ListFilter {
        status: estado.and_then(AssistanceStatus::parse),
        // A coordinator's list is its own provider's work; the others read their territory's.
        provider: user.managed_provider(),
        ..Default::default()
    };
    let (rows, total) = assistance::list(db.inner(), &user, &filter, 1, PER_PAGE).await?;
    page.render(
        "assistances",
        "Asistencia técnica",
        ListView {
            rows,
            total,
            may_create: user.is_staff(),
            this_month: domain::time::today().format("%Y-%m").to_string(),
        },
    )
}
