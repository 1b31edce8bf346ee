//! A line's fields as typed and drawn, shared by the line forms of a draft and the amendment:
//! the form, the domain's input and problems, and what a line chooses from.

use super::*;

/// One line as typed in a form (a new line, a draft's line, or a line of an amendment).
#[derive(FromForm, Default, Clone)]
pub(super) struct LineForm {
    /// In an amendment: the line changed (empty for a new one).
    #[field(default = String::new())]
    pub(super) line_id: String,
    /// In an amendment: take the line out.
    #[field(default = false)]
    pub(super) removed: bool,
    #[field(default = String::new())]
    capacity_id: String,
    #[field(default = String::new())]
    course_id: String,
    #[field(default = String::new())]
    rule: String,
    #[field(default = String::new())]
    municipality_codes: String,
    #[field(default = String::new())]
    goal_cohorts: String,
    #[field(default = String::new())]
    goal_people_trained: String,
    #[field(default = String::new())]
    goal_people_certified: String,
    #[field(default = String::new())]
    goal_assistances_closed: String,
    #[field(default = String::new())]
    goal_municipalities_reached: String,
    #[field(default = String::new())]
    budget_inversion: String,
    #[field(default = String::new())]
    budget_funcionamiento: String,
    #[field(default = String::new())]
    budget_cooperacion: String,
    #[field(default = String::new())]
    budget_sgr: String,
    #[field(default = String::new())]
    budget_propios: String,
}

pub(super) const GOAL_FIELDS: [&str; 5] = [
    "goal_cohorts",
    "goal_people_trained",
    "goal_people_certified",
    "goal_assistances_closed",
    "goal_municipalities_reached",
];

impl LineForm {
    fn goals(&self) -> [&String; 5] {
        [
            &self.goal_cohorts,
            &self.goal_people_trained,
            &self.goal_people_certified,
            &self.goal_assistances_closed,
            &self.goal_municipalities_reached,
        ]
    }

    fn amount(&self, source: BudgetSource) -> &String {
        match source {
            BudgetSource::Inversion => &self.budget_inversion,
            BudgetSource::Funcionamiento => &self.budget_funcionamiento,
            BudgetSource::Cooperacion => &self.budget_cooperacion,
            BudgetSource::Sgr => &self.budget_sgr,
            BudgetSource::Propios => &self.budget_propios,
        }
    }

    fn amount_mut(&mut self, source: BudgetSource) -> &mut String {
        match source {
            BudgetSource::Inversion => &mut self.budget_inversion,
            BudgetSource::Funcionamiento => &mut self.budget_funcionamiento,
            BudgetSource::Cooperacion => &mut self.budget_cooperacion,
            BudgetSource::Sgr => &mut self.budget_sgr,
            BudgetSource::Propios => &mut self.budget_propios,
        }
    }

    /// Nothing typed (the amendment's empty «new line»).
    pub(super) fn is_blank(&self) -> bool {
        [
            &self.capacity_id,
            &self.course_id,
            &self.rule,
            &self.municipality_codes,
        ]
        .into_iter()
        .chain(self.goals())
        .chain(BudgetSource::ALL.into_iter().map(|s| self.amount(s)))
        .all(|text| text.trim().is_empty())
    }

    /// The line as it stands, for a form that changes it.
    pub(super) fn of(line: &LineView) -> Self {
        let number = |n: Option<i32>| {
            n.map(|n| domain::format::thousands(n.into()))
                .unwrap_or_default()
        };
        let [c, t, ce, a, m] = goal_values(line);
        let mut form = LineForm {
            line_id: line.id.to_string(),
            capacity_id: line.capacity.id.to_string(),
            course_id: line
                .course
                .as_ref()
                .map(|c| c.id.to_string())
                .unwrap_or_default(),
            rule: line
                .targets
                .rule
                .map(|r| r.as_str().to_string())
                .unwrap_or_default(),
            municipality_codes: line.targets.municipality_codes.join(", "),
            goal_cohorts: number(c),
            goal_people_trained: number(t),
            goal_people_certified: number(ce),
            goal_assistances_closed: number(a),
            goal_municipalities_reached: number(m),
            ..Default::default()
        };
        for item in &line.budget {
            *form.amount_mut(item.source) = domain::format::thousands(item.amount);
        }
        form
    }

    /// The domain's input (every field: a form states the whole line — every goal and every
    /// source named, an empty box as `null`), and the sources of its budget items in the order
    /// sent (to put a problem of `budget[i]` beside its field).
    pub(super) fn input(&self) -> (LineInput, Vec<BudgetSource>) {
        let sources: Vec<BudgetSource> = BudgetSource::ALL.into_iter().collect();
        let input = LineInput {
            capacity_id: self.capacity_id.trim().parse().ok(),
            course_id: Some(self.course_id.trim().parse().ok()),
            targets: Some(TargetsInput {
                municipality_codes: Some(
                    self.municipality_codes
                        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
                        .map(str::trim)
                        .filter(|c| !c.is_empty())
                        .map(str::to_string)
                        .collect(),
                ),
                rule: Some(self.rule.clone()),
                ..Default::default()
            }),
            goals: Some(GoalsInput {
                cohorts: Some(Whole::typed(&self.goal_cohorts)),
                people_trained: Some(Whole::typed(&self.goal_people_trained)),
                people_certified: Some(Whole::typed(&self.goal_people_certified)),
                assistances_closed: Some(Whole::typed(&self.goal_assistances_closed)),
                municipalities_reached: Some(Whole::typed(&self.goal_municipalities_reached)),
                ..Default::default()
            }),
            budget: Some(
                sources
                    .iter()
                    .map(|s| BudgetInput {
                        source: Some(s.as_str().to_string()),
                        amount: Some(Whole::typed(self.amount(*s))),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        };
        (input, sources)
    }
}

/// A domain field of a line (`goals.cohorts`, `budget[1].amount`, `targets.rule`) as the
/// page's field (`goal_cohorts`, `budget_cooperacion`, `rule`).
pub(super) fn page_field(field: &str, sources: &[BudgetSource]) -> String {
    if let Some(goal) = field.strip_prefix("goals.") {
        return format!("goal_{goal}");
    }
    if let Some(rest) = field.strip_prefix("budget[")
        && let Some((index, _)) = rest.split_once(']')
    {
        return match index.parse::<usize>().ok().and_then(|i| sources.get(i)) {
            Some(source) => format!("budget_{}", source.as_str()),
            None => "budget".to_string(),
        };
    }
    match field {
        "targets.rule" => "rule".into(),
        "targets.municipality_codes" | "targets" => "municipality_codes".into(),
        other => other.to_string(),
    }
}

#[derive(Serialize)]
pub(super) struct NamedValue {
    name: String,
    label: &'static str,
    value: String,
}

/// The fields of one line for the `plan_line_fields` partial.
#[derive(Serialize)]
pub(super) struct LineFields {
    prefix: String,
    input_prefix: String,
    key: String,
    capacities: Vec<OwnedChoice>,
    courses: Vec<OwnedChoice>,
    rules: Vec<OwnedChoice>,
    municipality_codes: String,
    goals: Vec<NamedValue>,
    budget: Vec<NamedValue>,
}

/// What the line forms choose from (`plans::lines::choices`).
pub(super) struct Catalogue(lines::LineChoices);

impl Catalogue {
    pub(super) async fn load(db: &DatabaseConnection, row: &plan::Model) -> AppResult<Self> {
        Ok(Catalogue(lines::choices(db, row).await?))
    }

    /// The fields of `form`, its problems named after `prefix`, its inputs after
    /// `input_prefix`.
    pub(super) fn fields(&self, form: &LineForm, prefix: &str, input_prefix: &str) -> LineFields {
        let with_empty = |label: &str, rows: &[(i32, String)], chosen: &str| {
            let chosen = chosen.trim().parse::<i32>().ok();
            let mut choices = vec![OwnedChoice {
                value: String::new(),
                label: label.to_string(),
                selected: chosen.is_none(),
            }];
            choices.extend(OwnedChoice::of_rows(rows.to_vec(), chosen));
            choices
        };
        let mut rules = vec![OwnedChoice {
            value: String::new(),
            label: "Ninguna: los municipios que escriba abajo".into(),
            selected: form.rule.trim().is_empty(),
        }];
        rules.extend(
            [
                TargetRule::Pdet,
                TargetRule::Categories56,
                TargetRule::Priorities,
            ]
            .into_iter()
            .map(|r| OwnedChoice {
                value: r.as_str().to_string(),
                label: match r {
                    TargetRule::Pdet => "Los municipios PDET del territorio del plan",
                    TargetRule::Categories56 => {
                        "Los municipios de categorías 5 y 6 del territorio del plan"
                    }
                    TargetRule::Priorities => {
                        "La selección de «¿Dónde formar?» del día, en el territorio del plan"
                    }
                }
                .to_string(),
                selected: form.rule.trim() == r.as_str(),
            }),
        );
        let key = match prefix {
            "" => "l-".to_string(),
            prefix => prefix.replace(['.', '[', ']'], "-"),
        };
        LineFields {
            prefix: prefix.to_string(),
            input_prefix: input_prefix.to_string(),
            key,
            capacities: with_empty("Elija una capacidad", &self.0.capacities, &form.capacity_id),
            courses: with_empty("Sin curso", &self.0.courses, &form.course_id),
            rules,
            municipality_codes: form.municipality_codes.clone(),
            goals: GOAL_FIELDS
                .iter()
                .zip(GOAL_LABELS)
                .zip(form.goals())
                .map(|((name, label), value)| NamedValue {
                    name: name.to_string(),
                    label,
                    value: value.clone(),
                })
                .collect(),
            budget: BudgetSource::ALL
                .into_iter()
                .map(|s| NamedValue {
                    name: format!("budget_{}", s.as_str()),
                    label: s.label(),
                    value: form.amount(s).clone(),
                })
                .collect(),
        }
    }
}
