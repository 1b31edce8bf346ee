//! What the screens and the panels they show share (issue 63): the sections of the
//! coordinator's cohort workspace (where a panel's form comes back to) and a cohort's sessions
//! as a calendar by month. Nothing here imports a screen or a panel, so a panel (costs, the
//! virtual classroom) names its screen's pages without importing the screen back.

use domain::cohorts::sessions::SessionView;
use serde::Serialize;

/// One month of the cohort's calendar.
#[derive(Serialize)]
pub struct CalendarMonth {
    pub title: String,
    pub sessions: Vec<SessionView>,
}

/// Sessions grouped by month, as the cohort's calendar.
pub fn calendar(sessions: &[SessionView]) -> Vec<CalendarMonth> {
    let mut months: Vec<CalendarMonth> = Vec::new();
    for session in sessions {
        use chrono::Datelike;
        let title = format!(
            "{} de {}",
            domain::format::month_name(session.local_date),
            session.local_date.year()
        );
        match months.last_mut() {
            Some(month) if month.title == title => month.sessions.push(session.clone()),
            _ => months.push(CalendarMonth {
                title,
                sessions: vec![session.clone()],
            }),
        }
    }
    months
}

/// The parts of the coordinator's cohort workspace, each a page of its own (issue 18: the one
/// page had grown to a 4,300 px scroll): the overview with the cohort's state, its enrolments
/// (roster, enrol one person, import), its sessions, its certificates and the edit form.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Section {
    Overview,
    Enrolments,
    Sessions,
    Certificates,
    Costs,
    Edit,
}

impl Section {
    /// What the domain reads for this section.
    pub(crate) fn part(self) -> domain::workspace::Part {
        use domain::workspace::Part;
        match self {
            Section::Overview => Part::Overview,
            Section::Enrolments => Part::Enrolments,
            Section::Sessions => Part::Sessions,
            Section::Certificates => Part::Certificates,
            // The costs load on their own (the costs panel).
            Section::Costs => Part::Costs,
            Section::Edit => Part::Edit,
        }
    }

    pub(crate) const ALL: [Section; 6] = [
        Section::Overview,
        Section::Enrolments,
        Section::Sessions,
        Section::Certificates,
        Section::Costs,
        Section::Edit,
    ];

    /// The last segment of the section's page (none for the overview).
    pub(crate) fn slug(self) -> &'static str {
        match self {
            Section::Overview => "",
            Section::Enrolments => "inscripciones",
            Section::Sessions => "sesiones",
            Section::Certificates => "certificados",
            Section::Costs => "costos",
            Section::Edit => "editar",
        }
    }

    /// The section whose page ends in `slug` (the overview has none).
    pub(crate) fn of_slug(slug: &str) -> Option<Section> {
        Section::ALL
            .into_iter()
            .find(|s| *s != Section::Overview && s.slug() == slug)
    }

    /// The section's page.
    pub(crate) fn path(self, id: i32) -> String {
        match self {
            Section::Overview => format!("/coordinacion/cohortes/{id}"),
            other => format!("/coordinacion/cohortes/{id}/{}", other.slug()),
        }
    }

    pub(crate) fn template(self) -> &'static str {
        match self {
            Section::Overview => "cohort_detail",
            Section::Enrolments => "cohort_enrolments",
            Section::Sessions => "cohort_sessions",
            Section::Certificates => "cohort_certificates",
            Section::Costs => "cohort_costs",
            Section::Edit => "cohort_edit",
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            Section::Overview => "Resumen",
            Section::Enrolments => "Inscripciones",
            Section::Sessions => "Sesiones",
            Section::Certificates => "Certificados",
            Section::Costs => "Costos",
            Section::Edit => "Editar",
        }
    }
}
