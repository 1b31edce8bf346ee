//! `/reportes`: the attendance report for people (reviewers see their department), with an
//! inline SVG chart of attendance and completion by municipality (no JavaScript) and links to
//! the Excel files. The downloads here use the browser session (the API takes only tokens).

use super::coverage::CoverageQuery;
use super::params::{CoverageParams, ReportParams};
use super::{ReportQuery, by_municipality, page_of};
use crate::accounts::guards::ReportReader;
use crate::api::Paging;
use crate::spreadsheets::Download;
use crate::text::urlencode;
use crate::web::{Page, pager};
use rocket::http::Status;
use rocket::response::content::RawHtml;
use rocket::{Route, State, get, routes};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};

pub fn routes() -> Vec<Route> {
    routes![
        report_page,
        participants_page,
        attendance_download,
        coverage_download,
        coverage_grid,
        municipality_page
    ]
}

/// Pixels per percentage point in the chart.
const SCALE: f64 = 3.0;
const ROW: usize = 34;

/// Rows per page of the tables of people and of municipality × cohort.
const PER_PAGE: u64 = 50;

/// The report's filters as `key=value&…` (URL-encoded), for links that keep them.
fn query_pairs(query: &ReportQuery) -> String {
    let mut parts = Vec::new();
    let mut push = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.trim().is_empty()) {
            parts.push(format!("{k}={}", urlencode(v.trim())));
        }
    };
    push("department", query.department.clone());
    push("municipality", query.municipality.clone());
    push("cohort", query.cohort.map(|c| c.to_string()));
    push("course", query.course.map(|c| c.to_string()));
    push("capacity", query.capacity.map(|c| c.to_string()));
    push("from", query.from.clone());
    push("to", query.to.clone());
    parts.join("&")
}

/// The report's filters as a query string (`?…`, or nothing without filters).
fn query_string(query: &ReportQuery) -> String {
    let pairs = query_pairs(query);
    if pairs.is_empty() {
        pairs
    } else {
        format!("?{pairs}")
    }
}

/// The participants of one municipality and cohort, keeping the other filters.
fn participants_link(query: &ReportQuery, municipality: &str, cohort: i32) -> String {
    let narrowed = ReportQuery {
        municipality: Some(municipality.to_string()),
        cohort: Some(cohort),
        ..query.clone()
    };
    format!("/reportes/participantes{}", query_string(&narrowed))
}

/// A page number from the query string as the list convention takes it (≥ 1).
fn paging(pagina: Option<u64>) -> Paging {
    Paging {
        page: Some(crate::api::page_number(pagina) as i64),
        per_page: Some(PER_PAGE as i64),
    }
}

/// The inline-SVG bar chart of attendance and completion by municipality (the partial
/// `attendance_chart` draws it): on the reports page and on the dashboards.
pub fn chart(summary: &[super::MunicipalitySummary]) -> Value {
    let bars: Vec<Value> = summary
        .iter()
        .enumerate()
        .map(|(n, s)| {
            let y = n * ROW;
            json!({
                "name": s.municipality_name,
                "code": s.municipality_code,
                "text_y": y + 16,
                "attendance_y": y + 4,
                "completion_y": y + 17,
                "attendance_w": format!("{:.1}", s.attendance_pct.clamp(0.0, 100.0) * SCALE),
                "completion_w": format!("{:.1}", s.completion_pct.clamp(0.0, 100.0) * SCALE),
                "attendance": crate::format::percent_one_decimal(s.attendance_pct),
                "completion": crate::format::percent_one_decimal(s.completion_pct),
            })
        })
        .collect();
    json!({"bars": bars, "chart_height": summary.len() * ROW + 10})
}

#[get("/reportes?<pagina>&<params..>")]
async fn report_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: ReportReader,
    params: ReportParams,
    pagina: Option<u64>,
) -> Result<RawHtml<String>, (Status, RawHtml<String>)> {
    let query = ReportQuery::from(params);
    let result = async {
        let filters = query.resolve(&user)?;
        let (rows, differential) =
            super::attendance_with_differential(db.inner(), &filters).await?;
        let summary = by_municipality(&rows);
        let chart = chart(&summary);
        let table: Vec<Value> = summary
            .iter()
            .map(|s| {
                json!({
                    "code": s.municipality_code,
                    "name": s.municipality_name,
                    "cohorts": s.cohorts,
                    "enrolled": s.enrolled,
                    "attendance": crate::format::percent_one_decimal(s.attendance_pct),
                    "completed": s.completed,
                    "completion": crate::format::percent_one_decimal(s.completion_pct),
                    "certified": s.certified,
                })
            })
            .collect();
        // The summary covers every municipality; the municipality × cohort table is paged.
        let (rows, total, page_number, _) = page_of(rows, &paging(pagina))?;
        let detail: Vec<Value> = rows
            .iter()
            .map(|r| {
                json!({
                    "code": r.municipality_code,
                    "name": r.municipality_name,
                    "cohort_id": r.cohort_id,
                    "cohort": r.cohort_name,
                    "enrolled": r.enrolled,
                    "sessions": r.sessions,
                    "attendance": crate::format::percent_one_decimal(r.attendance_pct),
                    "completed": r.completed,
                    "certified": r.certified,
                    "participants": participants_link(&query, &r.municipality_code, r.cohort_id),
                })
            })
            .collect();
        let mut groups = vec![json!({"label": "Personas con consentimiento", "count": differential.consenting.text()})];
        for c in differential.sex.iter().chain(&differential.ethnic_group) {
            groups.push(json!({"label": c.label, "count": c.count.text()}));
        }
        groups.push(json!({"label": "Con discapacidad", "count": differential.disability.text()}));
        groups.push(json!({"label": "Víctimas del conflicto", "count": differential.victims.text()}));
        let qs = query_string(&query);
        let department = filters.department.clone().unwrap_or_default();
        page.render(
            "reports",
            "Informes",
            json!({
                "is_reviewer": user.department_scope().is_some(),
                "department": department,
                "filter": {
                    "department": query.department.clone().unwrap_or_default(),
                    "municipality": query.municipality.clone().unwrap_or_default(),
                    "from": query.from.clone().unwrap_or_default(),
                    "to": query.to.clone().unwrap_or_default(),
                },
                "bars": chart["bars"],
                "chart_height": chart["chart_height"],
                "table": table,
                "detail": detail,
                "pager": pager("/reportes", &query_pairs(&query), page_number, PER_PAGE, total as u64),
                "participants": format!("/reportes/participantes{qs}"),
                "groups": groups,
                "attendance_xlsx": format!("/reportes/asistencia.xlsx{qs}"),
                "coverage_xlsx": format!(
                    "/reportes/cobertura.xlsx{}",
                    filters
                        .department
                        .as_deref()
                        .map(|d| format!("?department={}", urlencode(d)))
                        .unwrap_or_default()
                ),
            }),
        )
    }
    .await;
    result.map_err(|e| crate::web::failure(&page, e.into()))
}

/// The participant-level detail: one row per enrolment in scope, 50 per page.
#[get("/reportes/participantes?<pagina>&<params..>")]
async fn participants_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: ReportReader,
    params: ReportParams,
    pagina: Option<u64>,
) -> Result<RawHtml<String>, (Status, RawHtml<String>)> {
    let query = ReportQuery::from(params);
    let result = async {
        let filters = query.resolve(&user)?;
        let (page_number, per_page) = paging(pagina).resolve()?;
        let (rows, total) =
            super::participants_page(db.inner(), &filters, page_number, per_page).await?;
        let rows: Vec<Value> = rows
            .iter()
            .map(|p| {
                json!({
                    "municipality_code": p.municipality_code,
                    "municipality_name": p.municipality_name,
                    "cohort_name": p.cohort_name,
                    "document_type": p.document_type.as_str(),
                    "document_number": p.document_number,
                    "full_name": p.full_name,
                    "status": p.status_label,
                    "attended": p.sessions_attended,
                    "scheduled": p.sessions_scheduled,
                    "attendance": crate::format::percent_one_decimal(p.attendance_pct),
                    "completed": if p.completed { "Sí" } else { "No" },
                    "certificate": p.certificate_code,
                })
            })
            .collect();
        let qs = query_string(&query);
        let filters_shown: Vec<Value> = filters
            .describe()
            .into_iter()
            .map(|(what, value)| json!({"what": what, "value": value}))
            .collect();
        page.render(
            "report_participants",
            "Participantes del informe",
            json!({
                "is_reviewer": user.department_scope().is_some(),
                "department": filters.department.clone().unwrap_or_default(),
                "filters": filters_shown,
                "rows": rows,
                "total": total,
                "pager": pager("/reportes/participantes", &query_pairs(&query), page_number, per_page, total),
                "back": format!("/reportes{qs}"),
                "attendance_xlsx": format!("/reportes/asistencia.xlsx{qs}"),
            }),
        )
    }
    .await;
    result.map_err(|e| crate::web::failure(&page, e.into()))
}

#[get("/reportes/asistencia.xlsx?<params..>")]
async fn attendance_download(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    params: ReportParams,
) -> crate::error::AppResult<Download> {
    let query = ReportQuery::from(params);
    let filters = query.resolve(&user)?;
    let bytes = super::workbook::attendance_for(db.inner(), &filters, &user.full_name).await?;
    Ok(Download::xlsx(super::workbook::ATTENDANCE_FILE, bytes))
}

#[get("/reportes/cobertura.xlsx?<params..>")]
async fn coverage_download(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    params: CoverageParams,
) -> crate::error::AppResult<Download> {
    let query = CoverageQuery::from(params);
    let filters = query.resolve(&user)?;
    let rows = super::coverage::coverage(db.inner(), &filters).await?;
    let bytes = super::workbook::coverage(&rows, &filters.describe(), &user.full_name)?;
    Ok(Download::xlsx("cobertura-capacidades.xlsx", bytes))
}

/// How strongly a capacity was strengthened in a municipality, for the grid's colour.
fn level(certified: i64, trained: i64) -> &'static str {
    match (certified, trained) {
        (_, 0) => "none",
        (0, _) => "trained",
        (c, _) if c < 5 => "some",
        _ => "strong",
    }
}

/// The municipality × capacity grid: every municipality of the chosen (or the reviewer's)
/// department — those without any training too, which are the gaps a gobernación looks for —
/// against every active capacity, each cell with people certified / trained.
#[get("/reportes/capacidades?<params..>")]
async fn coverage_grid(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: ReportReader,
    params: CoverageParams,
) -> Result<RawHtml<String>, (Status, RawHtml<String>)> {
    let query = CoverageQuery::from(params);
    use crate::entities::{capacity, municipality};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let result = async {
        let filters = query.resolve(&user)?;
        let rows = super::coverage::coverage(db.inner(), &filters).await?;
        let capacities = capacity::Entity::find()
            .filter(capacity::Column::Active.eq(true))
            .order_by_asc(capacity::Column::SortOrder)
            .all(db.inner())
            .await?;
        let cells: std::collections::HashMap<(String, i32), (i64, i64)> = rows
            .iter()
            .map(|r| ((r.municipality_code.clone(), r.capacity_id), (r.certified, r.participants_trained)))
            .collect();
        // With a department: all its municipalities (gaps included). Nationally: those with data.
        let mut places: Vec<(String, String, bool)> = match (&filters.department, filters.nothing) {
            (_, true) => Vec::new(),
            (Some(department), false) => {
                let mut find = municipality::Entity::find().filter(municipality::Column::DepartmentCode.eq(department.as_str()));
                if filters.pdet == Some(true) {
                    find = find.filter(municipality::Column::PdetSubregionId.is_not_null());
                }
                if let Some(category) = &filters.category {
                    find = find.filter(municipality::Column::Category.eq(category.as_str()));
                }
                find.order_by_asc(municipality::Column::Name)
                    .all(db.inner())
                    .await?
                    .into_iter()
                    .map(|m| (m.code, m.name, m.pdet_subregion_id.is_some()))
                    .collect()
            }
            (None, false) => {
                let mut seen = std::collections::BTreeMap::new();
                for r in &rows {
                    seen.insert((r.municipality_name.clone(), r.municipality_code.clone()), r.pdet);
                }
                seen.into_iter().map(|((name, code), pdet)| (code, name, pdet)).collect()
            }
        };
        places.dedup();
        let grid: Vec<Value> = places
            .iter()
            .map(|(code, name, pdet)| {
                let cells: Vec<Value> = capacities
                    .iter()
                    .map(|c| {
                        let (certified, trained) = cells.get(&(code.clone(), c.id)).copied().unwrap_or((0, 0));
                        json!({"certified": certified, "trained": trained, "level": level(certified, trained),
                               "label": format!("{name}, {}: {certified} certificadas de {trained} formadas", c.name)})
                    })
                    .collect();
                let gaps = cells.iter().filter(|c| c["trained"] == 0).count();
                json!({"code": code, "name": name, "pdet": pdet, "cells": cells, "gaps": gaps})
            })
            .collect();
        page.render(
            "coverage_grid",
            "Capacidades por municipio",
            json!({
                "capacities": capacities.iter().map(|c| json!({"id": c.id, "name": c.name})).collect::<Vec<_>>(),
                "grid": grid,
                "department": filters.department.clone().unwrap_or_default(),
                "is_reviewer": user.department_scope().is_some(),
                "departments": crate::territory::departments(db.inner()).await?.into_iter()
                    .map(|d| json!({"code": d.code, "name": d.name, "selected": Some(&d.code) == filters.department.as_ref()}))
                    .collect::<Vec<_>>(),
            }),
        )
    }
    .await;
    result.map_err(|e| crate::web::failure(&page, e.into()))
}

/// A municipality's page: what it is (category, PDET, MDM indicators of its capacities) and its
/// training history by year and capacity — people trained, completed and certified.
#[get("/municipios/<code>")]
async fn municipality_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: ReportReader,
    code: &str,
) -> Result<RawHtml<String>, (Status, RawHtml<String>)> {
    use crate::entities::values::{CertificateStatus, EnrolmentStatus};
    use crate::entities::{
        capacity, capacity_indicator, certificate, cohort, course_capacity, enrolment,
        indicator_observation, municipality, pdet_subregion,
    };
    use chrono::Datelike;
    use sea_orm::{
        ColumnTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
    };
    use std::collections::{BTreeMap, HashMap, HashSet};
    let result = async {
        let (place, region) = municipality::Entity::find_by_id(code.to_string())
            .find_also_related(pdet_subregion::Entity)
            .one(db.inner())
            .await?
            .ok_or(crate::error::AppError::NotFound)?;
        // A reviewer sees only the municipalities of their department.
        if user.department_scope().is_some_and(|d| d != place.department_code) {
            return Err(crate::error::AppError::NotFound);
        }
        let capacities: HashMap<i32, String> =
            capacity::Entity::find().all(db.inner()).await?.into_iter().map(|c| (c.id, c.name)).collect();
        let mut by_course: HashMap<i32, Vec<i32>> = HashMap::new();
        for link in course_capacity::Entity::find().all(db.inner()).await? {
            by_course.entry(link.course_id).or_default().push(link.capacity_id);
        }
        // Only the columns the history needs: a capital has thousands of enrolments.
        let enrolments: Vec<(i32, i32, EnrolmentStatus, chrono::NaiveDate, i32)> = enrolment::Entity::find()
            .select_only()
            .column(enrolment::Column::Id)
            .column(enrolment::Column::ParticipantId)
            .column(enrolment::Column::Status)
            .column(cohort::Column::StartDate)
            .column(cohort::Column::CourseId)
            .join(JoinType::InnerJoin, enrolment::Relation::Cohort.def())
            .filter(enrolment::Column::MunicipalityCode.eq(place.code.as_str()))
            .filter(enrolment::Column::Status.is_in([
                EnrolmentStatus::Enrolled,
                EnrolmentStatus::Completed,
                EnrolmentStatus::NotCompleted,
            ]))
            .into_tuple()
            .all(db.inner())
            .await?;
        let certified: HashSet<i32> = certificate::Entity::find()
            .select_only()
            .column(certificate::Column::EnrolmentId)
            .filter(certificate::Column::MunicipalityCode.eq(place.code.as_str()))
            .filter(certificate::Column::Status.eq(CertificateStatus::Valid))
            .into_tuple()
            .all(db.inner())
            .await?
            .into_iter()
            .collect();
        // (year, capacity) → (trained, completed, certified) distinct people.
        let mut history: BTreeMap<(i32, &str), [HashSet<i32>; 3]> = BTreeMap::new();
        for (id, person, status, start, course_id) in &enrolments {
            for capacity_id in by_course.get(course_id).into_iter().flatten() {
                let name = capacities.get(capacity_id).map(String::as_str).unwrap_or_default();
                let entry = history.entry((start.year(), name)).or_default();
                entry[0].insert(*person);
                if *status == EnrolmentStatus::Completed {
                    entry[1].insert(*person);
                }
                if certified.contains(id) {
                    entry[2].insert(*person);
                }
            }
        }
        let history: Vec<Value> = history
            .into_iter()
            .rev()
            .map(|((year, capacity), sets)| {
                json!({"year": year, "capacity": capacity, "trained": sets[0].len(), "completed": sets[1].len(), "certified": sets[2].len()})
            })
            .collect();
        let indicators: HashMap<i32, (String, i32)> = capacity_indicator::Entity::find()
            .all(db.inner())
            .await?
            .into_iter()
            .map(|i| (i.id, (i.name, i.capacity_id)))
            .collect();
        let observations: Vec<Value> = indicator_observation::Entity::find()
            .filter(indicator_observation::Column::MunicipalityCode.eq(place.code.as_str()))
            .order_by_asc(indicator_observation::Column::IndicatorId)
            .all(db.inner())
            .await?
            .into_iter()
            .filter_map(|o| {
                indicators.get(&o.indicator_id).map(|(name, capacity_id)| {
                    json!({"indicator": name, "capacity": capacities.get(capacity_id), "year": o.year, "value": format!("{:.1}", o.value)})
                })
            })
            .collect();
        (page.render(
            "municipality",
            &place.name,
            json!({
                "municipality": {"code": place.code, "name": place.name, "department_code": place.department_code,
                                 "category": place.category, "pdet": region.map(|r| r.name)},
                "history": history,
                "observations": observations,
            }),
        )).map_err(Into::into)
    }
    .await;
    result.map_err(|e| crate::web::failure(&page, e))
}
