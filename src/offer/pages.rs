//! `/reportes/oferta`: the alliance's view for a gobernación (its department) and for staff
//! (a department they choose), usable on a phone.

use super::api::OfferParams;
use crate::accounts::guards::ReportReader;
use crate::error::AppResult;
use crate::spreadsheets::download::Download;
use crate::web::{DepartmentChoice, IdChoice as Choice, KeptKey, Page, PageResult, Pager};
use domain::entities::values::Role;
use domain::offer::{Gap, OfferQuery, OfferReport};
use rocket::{FromForm, Route, State, get, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![offer_page, offer_download]
}

/// The page's filters, in Spanish as the form sends them.
#[derive(FromForm, Default)]
struct OfferForm {
    departamento: Option<String>,
    capacidad: Option<i32>,
    /// A sector id (issue 49).
    sector: Option<i32>,
    oferente: Option<i32>,
    desde: Option<String>,
    hasta: Option<String>,
    /// The page of the offer table (the page only; the workbook has every row).
    pagina: Option<u64>,
}

/// Rows of the offer table per page: a department of 125 municipalities has some 3,000
/// (municipality × capacity × provider), over a megabyte of HTML at once.
const PER_PAGE: usize = 100;

impl OfferForm {
    /// The filters as the page uses them (issue 46): text trimmed, empty as absent, the page
    /// from 1.
    fn normalised(self) -> Self {
        let text = |value: Option<String>| domain::parse::text(value.as_deref());
        OfferForm {
            departamento: text(self.departamento),
            desde: text(self.desde),
            hasta: text(self.hasta),
            pagina: Some(domain::paging::page_number(self.pagina)),
            ..self
        }
    }

    /// The key of the page's kept content: every filter it reads.
    fn kept_key(&self) -> KeptKey {
        KeptKey::page("/reportes/oferta")
            .with("departamento", self.departamento.as_deref())
            .with("capacidad", self.capacidad)
            .with("sector", self.sector)
            .with("oferente", self.oferente)
            .with("desde", self.desde.as_deref())
            .with("hasta", self.hasta.as_deref())
            .with("pagina", self.pagina)
    }

    fn params(&self) -> OfferParams {
        OfferParams {
            department: self.departamento.clone(),
            capacity: self.capacidad,
            provider: self.oferente,
            from: self.desde.clone(),
            to: self.hasta.clone(),
            sector: self.sector,
        }
    }

    fn query_string(&self) -> String {
        format!(
            "departamento={}&capacidad={}&sector={}&oferente={}&desde={}&hasta={}",
            domain::text::urlencode(self.departamento.as_deref().unwrap_or_default()),
            self.capacidad.map(|c| c.to_string()).unwrap_or_default(),
            self.sector.map(|c| c.to_string()).unwrap_or_default(),
            self.oferente.map(|c| c.to_string()).unwrap_or_default(),
            domain::text::urlencode(self.desde.as_deref().unwrap_or_default()),
            domain::text::urlencode(self.hasta.as_deref().unwrap_or_default()),
        )
    }
}

/// One capacity and the municipalities that received nothing on it.
#[derive(Serialize)]
struct GapGroup {
    capacity_name: String,
    municipalities: Vec<String>,
    count: usize,
}

#[derive(Serialize)]
struct OfferView<'a> {
    report: Option<OfferReport>,
    gaps: Vec<GapGroup>,
    departments: Vec<DepartmentChoice<'a>>,
    capacities: Vec<Choice>,
    sectors: Vec<crate::web::OwnedChoice>,
    providers: Vec<Choice>,
    is_reviewer: bool,
    desde: String,
    hasta: String,
    xlsx: String,
    pager: Option<Pager>,
    /// The seats total, each cohort once, and why the column is not summed.
    seats_note: Option<String>,
}

fn grouped(gaps: &[Gap]) -> Vec<GapGroup> {
    let mut out: Vec<GapGroup> = Vec::new();
    for gap in gaps {
        match out.last_mut() {
            Some(group) if group.capacity_name == gap.capacity_name => {
                group.municipalities.push(gap.municipality_name.clone());
                group.count += 1;
            }
            _ => out.push(GapGroup {
                capacity_name: gap.capacity_name.clone(),
                municipalities: vec![gap.municipality_name.clone()],
                count: 1,
            }),
        }
    }
    out
}

/// The view of one department: a reviewer's own, or the one a coordinator chose (none chosen:
/// the form alone, since the whole country is the workbook's and the API's).
#[get("/reportes/oferta?<form..>")]
async fn offer_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: ReportReader,
    form: OfferForm,
) -> PageResult {
    let form = form.normalised();
    let filters = OfferQuery::from(form.params()).resolve(&user)?;
    // Kept per scope and figures' version: folding a department's figures per municipality ×
    // capacity × provider is the cost (issue 36).
    let title = "La oferta en el territorio";
    page.render_kept(title, form.kept_key(), {
        let (db, drawer) = (db.inner().clone(), page.drawer());
        move || async move {
            let mut report = match filters.department {
                Some(_) => Some(domain::offer::report(&db, &filters).await?),
                None => None,
            };
            // The table one page at a time; the gaps, cross-overs and demands whole.
            let pager = report.as_mut().map(|r| {
                let total = r.items.len();
                let pages = total.div_ceil(PER_PAGE).max(1);
                let page = (form.pagina.unwrap_or(1) as usize).clamp(1, pages);
                let start = (page - 1) * PER_PAGE;
                r.items = r.items.drain(start..total.min(start + PER_PAGE)).collect();
                Pager::new(
                    "/reportes/oferta",
                    &form.query_string(),
                    page as u64,
                    PER_PAGE as u64,
                    total as u64,
                )
            });
            let departments = domain::territory::departments(&db).await?;
            let capacities = domain::capacities::active_in_order(&db)
                .await?
                .into_iter()
                .map(|c| Choice {
                    selected: Some(c.id) == form.capacidad,
                    id: c.id,
                    name: c.name,
                })
                .collect();
            let providers = domain::providers::list(&db)
                .await?
                .into_iter()
                .map(|p| Choice {
                    selected: Some(p.id) == form.oferente,
                    id: p.id,
                    name: p.name,
                })
                .collect();
            let view = OfferView {
                seats_note: report
                    .as_ref()
                    .map(|r| domain::offer::seats_note(r.seats_total)),
                gaps: report
                    .as_ref()
                    .map(|r| grouped(&r.without_offer))
                    .unwrap_or_default(),
                report,
                departments: DepartmentChoice::list(&departments, filters.department.as_deref()),
                capacities,
                sectors: crate::descriptors::pages::sector_choices(&db, form.sector).await?,
                providers,
                is_reviewer: user.role == Role::Reviewer,
                desde: form.desde.clone().unwrap_or_default(),
                hasta: form.hasta.clone().unwrap_or_default(),
                xlsx: format!("/reportes/oferta.xlsx?{}", form.query_string()),
                pager,
            };
            drawer.content("offer", title, view)
        }
    })
    .await
}

/// The view's workbook, from the page.
#[get("/reportes/oferta.xlsx?<form..>")]
async fn offer_download(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    form: OfferForm,
) -> AppResult<Download> {
    super::api::workbook(db.inner(), &user, form.params()).await
}
