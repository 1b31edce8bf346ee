//! The year's plans as open data (issue 47): one row per line of every approved plan (its
//! current version; drafts are not public), with its provider and territory, its goals, its
//! budget by source and what was achieved to date ([`super::PLANS`]). Read through the plans'
//! own view and progress (the maintained figures). No personal data: no names of who approved
//! or amended; counts of people from 1 to 4 are suppressed ([`super::suppressed`]), and so is
//! any count that differs by 1 to 4 from a related one ([`complementary`], issue 62).

use super::{LIST_SEPARATOR, PLANS, suppressed};
use crate::entities::plan;
use crate::entities::values::{BudgetSource, PlanStatus};
use crate::error::AppResult;
use crate::plans::PlanScope;
use crate::plans::progress::{self, LineProgress};
use crate::spreadsheets::{CsvField, CsvFlavour};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

/// One line of an approved plan; the keys are the columns of the data dictionary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = OpenDataPlanRow)]
pub struct PlanRow {
    #[serde(rename = "id_plan")]
    pub plan_id: i32,
    #[serde(rename = "vigencia")]
    #[schema(example = 2026)]
    pub year: i32,
    #[serde(rename = "oferente")]
    pub provider: String,
    /// ESAP's territorial direction, if the plan is one's.
    #[serde(rename = "direccion_territorial")]
    pub direction: String,
    /// A gobernación's plan: its department (DIVIPOLA, 2 digits).
    #[serde(rename = "codigo_departamento")]
    pub department_code: String,
    #[serde(rename = "territorio")]
    pub territory: String,
    #[serde(rename = "nombre_plan")]
    pub plan_name: String,
    /// `aprobado`, `modificado` or `cerrado`.
    #[serde(rename = "estado")]
    pub status: String,
    #[serde(rename = "version")]
    pub version: i32,
    #[serde(rename = "acto_aprobacion")]
    pub act: String,
    #[serde(rename = "numero_linea")]
    pub position: i32,
    #[serde(rename = "codigo_capacidad")]
    pub capacity_code: String,
    #[serde(rename = "nombre_capacidad")]
    pub capacity_name: String,
    #[serde(rename = "codigo_curso")]
    pub course_code: String,
    #[serde(rename = "codigos_municipio")]
    pub municipality_codes: Vec<String>,
    #[serde(rename = "regla_objetivo")]
    pub rule: String,
    #[serde(rename = "meta_cohortes")]
    #[schema(required = true)]
    pub goal_cohorts: Option<i64>,
    #[serde(rename = "meta_personas_formadas")]
    #[schema(required = true)]
    pub goal_trained: Option<i64>,
    #[serde(rename = "meta_personas_certificadas")]
    #[schema(required = true)]
    pub goal_certified: Option<i64>,
    #[serde(rename = "meta_asistencias_cerradas")]
    #[schema(required = true)]
    pub goal_assistances: Option<i64>,
    #[serde(rename = "meta_municipios_alcanzados")]
    #[schema(required = true)]
    pub goal_municipalities: Option<i64>,
    #[serde(rename = "presupuesto_inversion")]
    pub budget_inversion: i64,
    #[serde(rename = "presupuesto_funcionamiento")]
    pub budget_funcionamiento: i64,
    #[serde(rename = "presupuesto_cooperacion")]
    pub budget_cooperacion: i64,
    #[serde(rename = "presupuesto_sgr")]
    pub budget_sgr: i64,
    #[serde(rename = "presupuesto_propios")]
    pub budget_propios: i64,
    #[serde(rename = "logrado_cohortes")]
    #[schema(required = true)]
    pub achieved_cohorts: Option<i64>,
    #[serde(rename = "logrado_personas_formadas")]
    #[schema(required = true)]
    pub achieved_trained: Option<i64>,
    #[serde(rename = "logrado_personas_certificadas")]
    #[schema(required = true)]
    pub achieved_certified: Option<i64>,
    #[serde(rename = "logrado_asistencias_cerradas")]
    #[schema(required = true)]
    pub achieved_assistances: Option<i64>,
    #[serde(rename = "logrado_municipios_alcanzados")]
    #[schema(required = true)]
    pub achieved_municipalities: Option<i64>,
    #[serde(rename = "costo_comprometido")]
    pub committed: i64,
    #[serde(rename = "costo_ejecutado")]
    pub executed: i64,
    /// The date the achieved figures run to (AAAA-MM-DD).
    #[serde(rename = "fecha_corte")]
    pub until: String,
}

impl PlanRow {
    /// The row's CSV fields, in the dictionary's order.
    pub fn fields(&self) -> Vec<CsvField> {
        vec![
            self.plan_id.into(),
            self.year.into(),
            self.provider.as_str().into(),
            self.direction.as_str().into(),
            self.department_code.as_str().into(),
            self.territory.as_str().into(),
            self.plan_name.as_str().into(),
            self.status.as_str().into(),
            self.version.into(),
            self.act.as_str().into(),
            self.position.into(),
            self.capacity_code.as_str().into(),
            self.capacity_name.as_str().into(),
            self.course_code.as_str().into(),
            CsvField::Text(self.municipality_codes.join(LIST_SEPARATOR)),
            self.rule.as_str().into(),
            self.goal_cohorts.into(),
            self.goal_trained.into(),
            self.goal_certified.into(),
            self.goal_assistances.into(),
            self.goal_municipalities.into(),
            self.budget_inversion.into(),
            self.budget_funcionamiento.into(),
            self.budget_cooperacion.into(),
            self.budget_sgr.into(),
            self.budget_propios.into(),
            self.achieved_cohorts.into(),
            self.achieved_trained.into(),
            self.achieved_certified.into(),
            self.achieved_assistances.into(),
            self.achieved_municipalities.into(),
            self.committed.into(),
            self.executed.into(),
            self.until.as_str().into(),
        ]
    }
}

/// What a line achieved on one goal (none when the line sets no such goal).
fn achieved(line: Option<&LineProgress>, key: &str) -> Option<i64> {
    line?
        .goals
        .iter()
        .find(|g| g.goal == key)
        .map(|g| g.achieved)
}

/// Every line of every approved plan, by year, plan and line.
pub async fn rows<C: ConnectionTrait>(db: &C) -> AppResult<Vec<PlanRow>> {
    let plans = plan::Entity::find()
        .filter(plan::Column::Status.ne(PlanStatus::Draft.as_str()))
        .order_by_asc(plan::Column::Year)
        .order_by_asc(plan::Column::Id)
        .all(db)
        .await?;
    let mut out = Vec::new();
    for row in &plans {
        let view = crate::plans::view(db, &PlanScope::All, row, None).await?;
        let progress = progress::progress(db, &PlanScope::All, row, None).await?;
        let status = match crate::plans::status_of(row) {
            PlanStatus::Closed => "cerrado",
            PlanStatus::Amended => "modificado",
            _ => "aprobado",
        };
        for line in &view.lines {
            let reached = progress.lines.iter().find(|l| l.line_id == Some(line.id));
            let budget = |source: BudgetSource| {
                line.budget
                    .iter()
                    .filter(|b| b.source == source)
                    .map(|b| b.amount)
                    .sum::<i64>()
            };
            let people = |key: &str| achieved(reached, key).and_then(suppressed);
            out.push(PlanRow {
                plan_id: row.id,
                year: row.year,
                provider: view.provider.name.clone(),
                direction: view
                    .territorial_direction
                    .as_ref()
                    .map(|d| d.name.clone())
                    .unwrap_or_default(),
                department_code: row.department_code.clone().unwrap_or_default(),
                territory: view.territory_label.clone(),
                plan_name: row.name.clone(),
                status: status.to_string(),
                version: row.version,
                act: row.approval_act.clone().unwrap_or_default(),
                position: line.position,
                capacity_code: line.capacity.code.clone(),
                capacity_name: line.capacity.name.clone(),
                course_code: line
                    .course
                    .as_ref()
                    .map(|c| c.code.clone())
                    .unwrap_or_default(),
                municipality_codes: line.targets.municipality_codes.clone(),
                rule: line
                    .targets
                    .rule
                    .map(|r| r.as_str().to_string())
                    .unwrap_or_default(),
                goal_cohorts: line.goals.cohorts.map(i64::from),
                goal_trained: line.goals.people_trained.map(i64::from),
                goal_certified: line.goals.people_certified.map(i64::from),
                goal_assistances: line.goals.assistances_closed.map(i64::from),
                goal_municipalities: line.goals.municipalities_reached.map(i64::from),
                budget_inversion: budget(BudgetSource::Inversion),
                budget_funcionamiento: budget(BudgetSource::Funcionamiento),
                budget_cooperacion: budget(BudgetSource::Cooperacion),
                budget_sgr: budget(BudgetSource::Sgr),
                budget_propios: budget(BudgetSource::Propios),
                achieved_cohorts: achieved(reached, "cohorts"),
                achieved_trained: people("people_trained"),
                achieved_certified: people("people_certified"),
                achieved_assistances: achieved(reached, "assistances_closed"),
                achieved_municipalities: achieved(reached, "municipalities_reached"),
                committed: reached.map_or(0, |l| l.budget.committed),
                executed: reached.map_or(0, |l| l.budget.executed),
                until: progress.until.to_string(),
            });
        }
    }
    complementary(&mut out);
    Ok(out)
}

/// Complementary suppression over the lines (issue 62, item 4): the run subtracted the line
/// of Puerto Rico (5) from the line of El Paujíl + Puerto Rico (8) to get El Paujíl's
/// suppressed 3. Two lines of a year are related when one's municipalities hold the other's
/// (or either names none: a rule or the whole territory, which may hold anything); a line's
/// trained and certified are related too (the certified are among the trained). Of every
/// related pair of published counts that differs by 1 to 4 the smaller is suppressed.
fn complementary(rows: &mut [PlanRow]) {
    use std::collections::BTreeSet;
    // Two cells per line: trained, certified.
    let mut cells: Vec<Option<i64>> = rows
        .iter()
        .flat_map(|r| [r.achieved_trained, r.achieved_certified])
        .collect();
    let places: Vec<BTreeSet<&str>> = rows
        .iter()
        .map(|r| r.municipality_codes.iter().map(String::as_str).collect())
        .collect();
    let related = |a: usize, b: usize| {
        let (i, j) = (a / 2, b / 2);
        if i == j {
            return true;
        }
        if rows[i].year != rows[j].year {
            return false;
        }
        let (x, y) = (&places[i], &places[j]);
        x.is_empty() || y.is_empty() || x.is_subset(y) || y.is_subset(x)
    };
    super::suppress_differences(&mut cells, related);
    for (row, pair) in rows.iter_mut().zip(cells.chunks(2)) {
        row.achieved_trained = pair[0];
        row.achieved_certified = pair[1];
    }
}

/// The rows as the CSV file in `flavour` ([`super::Dataset::csv`]).
pub fn csv(rows: &[PlanRow], flavour: CsvFlavour) -> Vec<u8> {
    PLANS.csv(flavour, rows.iter().map(PlanRow::fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> PlanRow {
        PlanRow {
            plan_id: 7,
            year: 2026,
            provider: "Escuela Superior de Administración Pública (ESAP)".into(),
            direction: "Dirección Territorial Meta".into(),
            department_code: String::new(),
            territory: "Dirección Territorial Meta".into(),
            plan_name: "Plan 2026".into(),
            status: "modificado".into(),
            version: 2,
            act: "Resolución 0123".into(),
            position: 1,
            capacity_code: "planeacion_territorial".into(),
            capacity_name: "Planeación territorial".into(),
            course_code: "PT".into(),
            municipality_codes: vec!["50325".into(), "50450".into()],
            rule: String::new(),
            goal_cohorts: Some(2),
            goal_trained: Some(40),
            goal_certified: None,
            goal_assistances: None,
            goal_municipalities: Some(2),
            budget_inversion: 12_000_000,
            budget_funcionamiento: 0,
            budget_cooperacion: 0,
            budget_sgr: 0,
            budget_propios: 0,
            achieved_cohorts: Some(1),
            achieved_trained: None,
            achieved_certified: None,
            achieved_assistances: None,
            achieved_municipalities: Some(1),
            committed: 4_000_000,
            executed: 3_000_000,
            until: "2026-11-26".into(),
        }
    }

    /// Issue 62, item 4: the run's difference yields nothing.
    #[test]
    fn the_difference_of_two_nested_lines_yields_nothing() {
        let line = |codes: &[&str], trained: i64| PlanRow {
            municipality_codes: codes.iter().map(|c| c.to_string()).collect(),
            achieved_trained: suppressed(trained),
            achieved_certified: None,
            ..row()
        };
        // El Paujíl + Puerto Rico (8), Puerto Rico (5), El Paujíl (3, suppressed), and a line
        // of another municipality that differs by 3 but holds none of them.
        let mut rows = vec![
            line(&["18256", "18592"], 8),
            line(&["18592"], 5),
            line(&["18256"], 3),
            line(&["50001"], 11),
        ];
        complementary(&mut rows);
        let published: Vec<Option<i64>> = rows.iter().map(|r| r.achieved_trained).collect();
        assert_eq!(published, [Some(8), None, None, Some(11)]);
        for a in &rows {
            for b in &rows {
                if let (Some(x), Some(y)) = (a.achieved_trained, b.achieved_trained) {
                    let nested = a
                        .municipality_codes
                        .iter()
                        .all(|c| b.municipality_codes.contains(c));
                    assert!(!(nested && (1..5).contains(&(y - x))), "{x} and {y}");
                }
            }
        }
    }

    #[test]
    fn json_keys_and_csv_fields_follow_the_dictionary() {
        let json =
            crate::open_data::assert_follows_dictionary(&PLANS, &row(), row().fields().len());
        assert_eq!(json["logrado_personas_formadas"], serde_json::Value::Null);
        assert_eq!(
            json["codigos_municipio"],
            serde_json::json!(["50325", "50450"])
        );
    }

    #[test]
    fn the_csv_joins_lists_and_leaves_unset_or_suppressed_counts_empty() {
        let text = String::from_utf8(csv(&[row()], CsvFlavour::Standard)).unwrap();
        let line = text.lines().nth(1).unwrap();
        assert!(line.contains("\"50325;50450\""), "{line}");
        assert!(
            line.contains(",2,40,,,2,12000000,0,0,0,0,1,,,,1,4000000,3000000,"),
            "{line}"
        );
    }
}
