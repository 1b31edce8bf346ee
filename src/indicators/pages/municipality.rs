//! A municipality's page (`/municipios/<code>`): its training beside its indicators, its assistances and demands.

use super::*;

#[derive(Serialize)]
pub(super) struct SeriesView<'a> {
    series: &'a IndicatorSeries,
    /// The chart's inline SVG (`SeriesChart::svg`), already escaped.
    chart: Option<String>,
    /// «+3,2» / «-1,0», with the reading of the direction.
    change: Option<String>,
    rows: Vec<SeriesRow>,
}

#[derive(Serialize)]
pub(super) struct SeriesRow {
    year: i32,
    value: String,
    synthetic: bool,
    completed: i64,
}

#[derive(Serialize)]
pub(super) struct CapacityView<'a> {
    impact: &'a CapacityImpact,
    indicators: Vec<SeriesView<'a>>,
}

#[derive(Serialize)]
pub(super) struct MunicipalityView<'a> {
    /// The technical assistances it receives (issue 33), newest first.
    assistances: Vec<domain::assistance::AssistanceView>,
    municipality: &'a domain::reports::place::Place,
    capacities: Vec<CapacityView<'a>>,
    trained_any: bool,
    is_staff: bool,
    is_liaison: bool,
    /// Issue 48: a link to its handover, for those who read it (not another provider's
    /// coordinator).
    handover: bool,
    /// The municipality's demands in the caller's scope (issue 16), newest first.
    demands: Vec<DemandLine>,
    /// Issue 64: «Programas completados», its people with a valid programme certificate per
    /// programme (the modules stay counted as courses, in the capacities).
    programme_completions: Vec<domain::programmes::completions::ProgrammeCompletions>,
    /// Issue 68: its self-assessments over time (autorreportado), oldest first.
    self_assessment: SelfAssessmentSeries,
}

/// A municipality's self-assessments as a series: one row per self-assessment, one column per
/// capacity (its level, or none when not rated).
#[derive(Serialize)]
pub(super) struct SelfAssessmentSeries {
    capacities: Vec<String>,
    rows: Vec<SelfAssessmentRow>,
}

#[derive(Serialize)]
pub(super) struct SelfAssessmentRow {
    id: i32,
    period: String,
    entity_label: String,
    status_label: String,
    validated: bool,
    levels: Vec<Option<i32>>,
}

impl SelfAssessmentSeries {
    fn of(
        capacities: &[(i32, String)],
        items: Vec<domain::self_assessment::assessments::SelfAssessmentView>,
    ) -> Self {
        let mut rows: Vec<SelfAssessmentRow> = items
            .into_iter()
            .map(|a| SelfAssessmentRow {
                levels: capacities
                    .iter()
                    .map(|(id, _)| {
                        a.levels
                            .iter()
                            .find(|l| l.capacity_id == *id)
                            .map(|l| l.level)
                    })
                    .collect(),
                validated: a.status == domain::self_assessment::assessments::VALIDATED,
                id: a.id,
                period: a.period,
                entity_label: a.entity_label,
                status_label: a.status_label,
            })
            .collect();
        rows.reverse();
        SelfAssessmentSeries {
            capacities: capacities.iter().map(|(_, name)| name.clone()).collect(),
            rows,
        }
    }
}

#[derive(Serialize)]
pub(super) struct DemandLine {
    id: i32,
    topic: String,
    capacity_name: String,
    people_estimate: i32,
    status_label: &'static str,
    endorsed: bool,
}

/// A municipality's page: what it is, and per capacity its training by year beside each linked
/// indicator's series, before and after the first completion (`indicators::impact`).
#[get("/municipios/<code>")]
pub(super) async fn municipality_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: MunicipalityReader,
    code: &str,
) -> PageResult {
    // The municipality in the caller's territory (404 otherwise) names the page; its content is
    // kept per scope for the figures', indicators' and planning versions (issue 36).
    let place = domain::reports::place::find(db.inner(), &user, code).await?;
    let key = KeptKey::page(format!("/municipios/{}", place.code));
    page.render_kept(&place.name, key, {
        let (db, drawer, code) = (db.inner().clone(), page.drawer(), code.to_string());
        move || async move {
            let impact = domain::indicators::impact::municipality(&db, &user, &code).await?;
            let capacities = impact
                .capacities
                .iter()
                .map(|c| CapacityView {
                    impact: c,
                    indicators: c
                        .indicators
                        .iter()
                        .map(|s| SeriesView {
                            series: s,
                            chart: series_chart(s, &c.by_year)
                                .map(|chart| chart.svg(&format!("{}-{}", c.capacity.code, s.code))),
                            change: s.change.map(|v| signed(v, 1)),
                            rows: s
                                .observations
                                .iter()
                                .map(|o| SeriesRow {
                                    year: o.year,
                                    value: o.display.clone(),
                                    synthetic: o.synthetic,
                                    completed: c
                                        .by_year
                                        .iter()
                                        .find(|y| y.year == o.year)
                                        .map_or(0, |y| y.completed),
                                })
                                .collect(),
                        })
                        .collect(),
                })
                .collect();
            // Issue 33: the technical assistance it receives, beside its training.
            let (assistances, _) = domain::assistance::list(
                &db,
                &user,
                &domain::assistance::ListFilter {
                    municipality: Some(impact.municipality.code.clone()),
                    ..Default::default()
                },
                1,
                50,
            )
            .await?;
            // Issue 68: its self-assessments, newest first from the domain, shown oldest first.
            let self_assessment = SelfAssessmentSeries::of(
                &impact
                    .capacities
                    .iter()
                    .map(|c| (c.capacity.id, c.capacity.name.clone()))
                    .collect::<Vec<_>>(),
                domain::self_assessment::assessments::of_municipality(
                    &db,
                    &user,
                    &impact.municipality.code,
                )
                .await?,
            );
            let view = MunicipalityView {
                self_assessment,
                assistances,
                municipality: &impact.municipality,
                trained_any: impact.capacities.iter().any(|c| c.trained > 0),
                capacities,
                is_staff: user.is_staff(),
                handover: !user.is_other_provider(),
                is_liaison: user.role == domain::entities::values::Role::Liaison,
                programme_completions: domain::programmes::completions::of_municipality(
                    &db,
                    &impact.municipality.code,
                )
                .await?,
                demands: domain::demand::of_municipality(&db, &user, &impact.municipality.code)
                    .await?
                    .into_iter()
                    .map(|d| DemandLine {
                        capacity_name: impact
                            .capacities
                            .iter()
                            .find(|c| c.capacity.id == d.capacity_id)
                            .map(|c| c.capacity.name.clone())
                            .unwrap_or_default(),
                        id: d.id,
                        topic: d.topic,
                        people_estimate: d.people_estimate,
                        status_label: d.status.label(),
                        endorsed: d.endorsed_by.is_some(),
                    })
                    .collect(),
            };
            drawer.content("municipality", &impact.municipality.name, view)
        }
    })
    .await
}
