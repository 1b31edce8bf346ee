//! The plans of a year, with the years to choose from.

use super::*;

#[derive(Serialize)]
pub(super) struct YearLink {
    year: i32,
    current: bool,
}

#[derive(Serialize)]
pub(super) struct ListView {
    year: i32,
    years: Vec<YearLink>,
    rows: Vec<PlanSummary>,
    may_create: bool,
}

#[get("/planes?<vigencia>")]
pub(super) async fn list_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: ReportReader,
    vigencia: Option<i32>,
) -> PageResult {
    let this_year = domain::time::today().year();
    let year = vigencia
        .filter(|y| (domain::parse::MIN_YEAR..=domain::parse::MAX_YEAR).contains(y))
        .unwrap_or(this_year);
    let mut years = plans::years(db.inner(), &user).await?;
    years.extend(plans::open_years());
    years.push(year);
    years.sort_unstable_by(|a, b| b.cmp(a));
    years.dedup();
    let filter = ListFilter {
        year: Some(year),
        provider: None,
    };
    let (rows, _) =
        plans::list(db.inner(), &user, &filter, 1, domain::paging::MAX_PER_PAGE).await?;
    page.render(
        "plans",
        &format!("Planes de trabajo {year}"),
        ListView {
            year,
            years: years
                .into_iter()
                .map(|y| YearLink {
                    year: y,
                    current: y == year,
                })
                .collect(),
            rows,
            may_create: user.is_staff(),
        },
    )
}
