//! The list of cohorts with its filters.

use super::*;
use crate::web::PageResult;

pub(super) const PER_PAGE: u64 = 25;

#[derive(Serialize)]
pub(super) struct CohortRow<'a> {
    pub(super) id: i32,
    pub(super) name: &'a str,
    pub(super) course: &'a str,
    pub(super) provider: &'a str,
    pub(super) status_label: &'static str,
    pub(super) start_date: String,
    pub(super) end_date: String,
    pub(super) seats: i32,
    pub(super) enrolled: u64,
    pub(super) waitlisted: u64,
}

/// The list's filters as typed, to show them again.
#[derive(Serialize)]
pub(super) struct ListFilterView<'a> {
    pub(super) estado: &'a str,
    pub(super) departamento: &'a str,
    pub(super) municipio: &'a str,
    pub(super) capacidad: Option<i32>,
    pub(super) curso: Option<i32>,
    pub(super) desde: &'a str,
    pub(super) hasta: &'a str,
    pub(super) q: &'a str,
}

#[derive(Serialize)]
pub(super) struct ListView<'a> {
    #[serde(flatten)]
    pub(super) choices: Choices,
    pub(super) rows: Vec<CohortRow<'a>>,
    pub(super) errors: Vec<FieldError>,
    pub(super) filter: ListFilterView<'a>,
    pub(super) pager: Pager,
}

/// The list's filters as the query string carries them (each may be absent).
#[derive(FromForm, Default)]
pub(super) struct ListQuery<'r> {
    estado: Option<&'r str>,
    departamento: Option<&'r str>,
    municipio: Option<&'r str>,
    capacidad: Option<i32>,
    curso: Option<i32>,
    desde: Option<&'r str>,
    hasta: Option<&'r str>,
    q: Option<&'r str>,
    pagina: Option<u64>,
}

#[get("/coordinacion/cohortes?<query..>")]
pub(super) async fn list_page(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    page: Page<'_>,
    query: ListQuery<'_>,
) -> PageResult {
    let ListQuery {
        estado,
        departamento,
        municipio,
        capacidad,
        curso,
        desde,
        hasta,
        q,
        pagina,
    } = query;
    let mut errors = Vec::new();
    let municipality = match domain::parse::text(municipio) {
        None => None,
        Some(text) => {
            match domain::territory::resolve_municipality_list(db.inner(), &text).await? {
                Ok(codes) => codes.into_iter().next(),
                Err(problems) => {
                    errors.extend(
                        problems
                            .into_iter()
                            .map(|p| FieldError::new("municipio", p)),
                    );
                    None
                }
            }
        }
    };
    let filter = ListFilter {
        status: estado.and_then(CohortStatus::parse),
        department: domain::parse::text(departamento),
        municipality,
        capacity_id: capacidad,
        course_id: curso,
        // A coordinator's list is its own provider's offer (an admin's, every provider's).
        provider_id: None,
        modality: None,
        from: domain::parse::date("desde", desde, false, &mut errors),
        to: domain::parse::date("hasta", hasta, false, &mut errors),
        text: domain::parse::search("q", q, &mut errors),
    };
    let page_number = crate::api::page_number(pagina);
    let (items, total) = domain::cohorts::list(
        db.inner(),
        &CohortScope::of(Some(&staff)),
        &filter,
        page_number,
        PER_PAGE,
    )
    .await?;
    let rows = items
        .iter()
        .map(|c| CohortRow {
            id: c.id,
            name: &c.name,
            course: &c.course.name,
            provider: &c.provider.name,
            status_label: c.status.label(),
            start_date: c.start_date.to_string(),
            end_date: c.end_date.to_string(),
            seats: c.seats,
            enrolled: c.enrolled,
            waitlisted: c.waitlisted,
        })
        .collect();
    let query = format!(
        "estado={}&departamento={}&municipio={}&capacidad={}&curso={}&desde={}&hasta={}&q={}",
        estado.unwrap_or(""),
        departamento.unwrap_or(""),
        domain::text::urlencode(municipio.unwrap_or("")),
        capacidad.map(|c| c.to_string()).unwrap_or_default(),
        curso.map(|c| c.to_string()).unwrap_or_default(),
        desde.unwrap_or(""),
        hasta.unwrap_or(""),
        domain::text::urlencode(q.unwrap_or("")),
    );
    let view = ListView {
        choices: choices(db, None).await?,
        rows,
        errors,
        filter: ListFilterView {
            estado: estado.unwrap_or(""),
            departamento: departamento.unwrap_or(""),
            municipio: municipio.unwrap_or(""),
            capacidad,
            curso,
            desde: desde.unwrap_or(""),
            hasta: hasta.unwrap_or(""),
            q: q.unwrap_or(""),
        },
        pager: Pager::new(
            "/coordinacion/cohortes",
            &query,
            page_number,
            PER_PAGE,
            total,
        ),
    };
    // The filters are a form: refused, the list says why beside them (422).
    let errors = view.errors.clone();
    let html = page.render_form("cohorts", "Cohortes", view, &errors);
    if errors.is_empty() {
        html
    } else {
        Err(crate::web::Failure::form_again(html))
    }
}
