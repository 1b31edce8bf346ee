//! The home page: what the product is for visitors, and for each signed-in role what that
//! person can do next. The reads are `domain::home`'s; this adds the charts, the
//! satisfaction line and the links, and hands the page its view.

use crate::accounts::guards::CurrentUser;
use crate::error::AppResult;
use crate::web::{KeptKey, Page, PageResult};
use domain::entities::values::Role;
use domain::home::{self, CohortLine};
use domain::reports::MunicipalitySummary;
use domain::reports::dashboard::{self, Dashboards, Picture, Totals, TrendChart};
use domain::territory::Summary;
use rocket::{Route, State, get, routes};
use sea_orm::DatabaseConnection;
use serde::{Serialize, Serializer};

pub fn routes() -> Vec<Route> {
    routes![home_page]
}

/// `/`: what the product is, and the signed-in person's part.
#[get("/")]
async fn home_page(
    db: &State<DatabaseConnection>,
    dashboards: &State<domain::reports::dashboard::Dashboards>,
    behind: &State<domain::plans::progress::KeptBehind>,
    surveys: &State<domain::surveys::reports::Cache>,
    page: Page<'_>,
) -> PageResult {
    let territory = domain::territory::summary(db.inner()).await?;
    let kept = HomeKept {
        dashboards: dashboards.inner().clone(),
        behind: behind.inner().clone(),
        surveys: surveys.inner().clone(),
    };
    let (role, kept_section) = match &page.user {
        // The department's or the nation's dashboard is the same for everyone of the scope:
        // kept per scope and versions (issue 36). The admin's also counts the outbox: live.
        Some(user) if matches!(user.role, Role::Reviewer | Role::Coordinator) => {
            let template = kept_template(user.role);
            let section = page
                .kept_piece(kept_key(template), {
                    let (db, drawer, kept, user) = (
                        db.inner().clone(),
                        page.drawer(),
                        kept.clone(),
                        user.clone(),
                    );
                    move || async move { kept_section(&db, &kept, &drawer, &user).await }
                })
                .await?;
            (None, Some(section.as_ref().clone()))
        }
        Some(user) => {
            let role = for_user(db.inner(), &kept, user).await?;
            // The admin sees the coordinator's dashboard too, drawn on each visit.
            let section = match role.staff_home {
                Some(_) => Some(page.drawer().content("home_staff", "Inicio", &role)?),
                None => None,
            };
            (Some(role), section)
        }
        None => (None, None),
    };
    // Live, outside the kept section: the changes of name waiting for this coordinator.
    let name_changes = match &page.user {
        Some(user) => domain::people::name_change::reviewable_count(db.inner(), user).await?,
        None => 0,
    };
    // Live too (issue 68): key positions a certified holder left and nobody holds again.
    let vacated_positions = match &page.user {
        Some(user) => domain::home::vacated_positions(db.inner(), user).await?,
        None => Vec::new(),
    };
    page.render(
        "home",
        "Inicio",
        HomeView {
            territory,
            role,
            kept_section,
            name_changes,
            vacated_positions,
        },
    )
}

/// The template of the kept dashboard section of a reviewer's or coordinator's home.
pub fn kept_template(role: Role) -> &'static str {
    if role == Role::Reviewer {
        "home_reviewer"
    } else {
        "home_staff"
    }
}

/// The key the dashboard section drawn with `template` is kept under (for the caller's scope).
pub fn kept_key(template: &str) -> KeptKey {
    KeptKey::page(template).showing_satisfaction()
}

/// The dashboard section of a reviewer's or coordinator's home, drawn: what is kept per scope
/// and versions, computed by its first visitor or warmed ahead of them (`super::warm`).
pub async fn kept_section(
    db: &DatabaseConnection,
    kept: &HomeKept,
    drawer: &crate::web::Drawer,
    user: &CurrentUser,
) -> domain::error::AppResult<String> {
    let template = kept_template(user.role);
    let role = for_user(db, kept, user).await?;
    drawer.content(template, "Inicio", role)
}

/// A participant's home again for a form sent from it and refused (issue 45: «Cancelar» of one
/// of their cohorts), the problems summarised at the top. Only a participant's home holds a
/// form; anyone else gets the problem as the error page.
pub async fn home_again(
    db: &DatabaseConnection,
    page: &Page<'_>,
    errors: &[domain::error::FieldError],
) -> PageResult {
    let user = page.require_user()?;
    if user.role != Role::Participant {
        let message = errors
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        return Err(domain::error::AppError::Conflict(message).into());
    }
    let view = HomeView {
        territory: domain::territory::summary(db).await?,
        role: Some(RoleHome {
            participant_home: Some(home::participant(db, user).await?),
            ..RoleHome::default()
        }),
        kept_section: None,
        name_changes: 0,
        vacated_positions: Vec::new(),
    };
    page.render_refused("home", "Inicio", view, errors)
}

/// What the home page reads: the territory's figures for everyone and, for a signed-in
/// person, their role's part.
#[derive(Serialize)]
pub struct HomeView {
    #[serde(flatten)]
    pub territory: Summary,
    #[serde(flatten)]
    pub role: Option<RoleHome>,
    /// The reviewer's or coordinator's dashboard, already drawn (`home_reviewer`,
    /// `home_staff`).
    pub kept_section: Option<String>,
    /// Changes of name waiting for this coordinator's review (issue 46).
    pub name_changes: u64,
    /// A reviewer's or liaison's key positions left by a certified holder and vacant (issue 68).
    pub vacated_positions: Vec<domain::positions::VacatedPosition>,
}

/// The part of the home page of each role; only the signed-in person's are present.
#[derive(Default, Serialize)]
pub struct RoleHome {
    #[serde(skip_serializing_if = "Option::is_none")]
    participant_home: Option<home::ParticipantHome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    instructor_home: Option<InstructorHome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reviewer_home: Option<ReviewerHome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    staff_home: Option<StaffHome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    admin_home: Option<home::AdminHome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    liaison_home: Option<home::LiaisonHome>,
}

/// A cohort as the `cohort_table` partial shows it: the line and its follow-up link.
#[derive(Serialize)]
struct CohortRow {
    #[serde(flatten)]
    line: CohortLine,
    followup_url: String,
}

fn rows(lines: Vec<CohortLine>) -> Vec<CohortRow> {
    lines
        .into_iter()
        .map(|line| CohortRow {
            followup_url: crate::attendance::pages::followup_url(line.id),
            line,
        })
        .collect()
}

#[derive(Serialize)]
struct InstructorHome {
    cohorts: Vec<CohortRow>,
    today: Vec<home::TodaySession>,
}

/// The kept figures of a scope as the dashboards show them.
#[derive(Serialize)]
struct Figures {
    /// The municipalities whose bars the chart draws.
    #[serde(serialize_with = "bar_chart")]
    chart: Vec<MunicipalitySummary>,
    trends: TrendChart,
    computed_at: String,
    totals: Totals,
}

impl Figures {
    fn of(picture: &Picture, chart: Vec<MunicipalitySummary>) -> Self {
        Figures {
            chart,
            trends: dashboard::trend_chart(&picture.trends),
            computed_at: home::when(picture.computed_at),
            totals: picture.totals(),
        }
    }
}

/// The bar chart of the reports page (`attendance_chart` partial), drawn from the figures
/// when the page is rendered.
fn bar_chart<S: Serializer>(summary: &[MunicipalitySummary], out: S) -> Result<S::Ok, S::Error> {
    crate::reports::pages::chart(summary).serialize(out)
}

#[derive(Serialize)]
struct ReviewerHome {
    #[serde(flatten)]
    figures: Figures,
    department: Option<String>,
    municipalities: u64,
    pdet: u64,
    cohorts: Vec<CohortRow>,
    /// Open municipal demands of the department.
    open_demands: u64,
    /// Its stale demands: how many, and the oldest.
    stale_demands: usize,
    stale: Vec<domain::demand::DemandView>,
    /// The department's technical assistances under way: how many, and the latest.
    assistances_in_progress: u64,
    assistances: Vec<domain::assistance::AssistanceView>,
    /// The department's agreements past their due date and still pending (issue 49).
    overdue_agreements: domain::assistance::agreements::Overdue,
    satisfaction: Option<crate::surveys::pages::Line>,
    /// Lines of this year's plans that reach the department and are behind.
    plans_behind: Vec<domain::plans::progress::BehindLine>,
}

/// A coordinator's (or admin's) dashboard, each figure under whose it is (issue 45): «Su
/// oferta» — the provider's cohorts, their people and certificates — and «El territorio» —
/// every provider's, the people registered, the demands, satisfaction, trends and chart.
#[derive(Serialize)]
struct StaffHome {
    /// The territory's kept figures (every provider).
    #[serde(flatten)]
    figures: Figures,
    /// The territory's PDET municipalities with someone in training, and its people registered.
    pdet_reached: usize,
    participants: u64,
    /// «Todo el país», or the territorial direction's name.
    territory: String,
    /// A coordinator's own figures (its provider's cohorts); `None` for an admin, whose cohorts
    /// are the territory's.
    own: Option<OwnFigures>,
    /// The cohorts the caller manages (a coordinator: its provider's): by state, the seats taken
    /// in the open ones, the open and running ones.
    fill_rate: String,
    by_status: Vec<home::StatusCount>,
    cohorts: Vec<CohortRow>,
    /// Open municipal demands in the coordinator's scope.
    open_demands: u64,
    /// How many of them are stale.
    stale_demands: usize,
    /// A coordinator's: the open demands pointed to their provider.
    referred: Option<Vec<domain::demand::referrals::ReferredDemand>>,
    /// Lines of this year's plans the coordinator answers for that are behind.
    plans_behind: Vec<domain::plans::progress::BehindLine>,
    /// The name of that provider.
    provider_name: Option<String>,
    /// The agreements past their due date and still pending of the assistances the caller
    /// manages (a coordinator: its provider's) (issue 49).
    overdue_agreements: domain::assistance::agreements::Overdue,
    satisfaction: Option<crate::surveys::pages::Line>,
}

/// A provider's own kept figures on its coordinator's home.
#[derive(Serialize)]
struct OwnFigures {
    /// The provider's short name («DNP»).
    short_name: String,
    totals: Totals,
    /// Distinct people with a counted enrolment in its cohorts.
    participants: u64,
    pdet_reached: usize,
    computed_at: String,
}

impl OwnFigures {
    fn of(picture: &Picture, provider: &str) -> Self {
        OwnFigures {
            short_name: domain::providers::short_name(provider).to_string(),
            totals: picture.totals(),
            participants: picture.participants,
            pdet_reached: picture.pdet_reached,
            computed_at: home::when(picture.computed_at),
        }
    }
}

/// What the home page shows to `user`.
/// What the homes read kept, besides the database: the figures of each scope, the plans' lines
/// behind and the satisfaction tallies.
#[derive(Clone)]
pub struct HomeKept {
    pub dashboards: Dashboards,
    pub behind: domain::plans::progress::KeptBehind,
    pub surveys: domain::surveys::reports::Cache,
}

pub async fn for_user(
    db: &DatabaseConnection,
    kept: &HomeKept,
    user: &CurrentUser,
) -> AppResult<RoleHome> {
    let HomeKept {
        dashboards,
        behind,
        surveys,
    } = kept;
    Ok(match user.role {
        Role::Participant => RoleHome {
            participant_home: Some(home::participant(db, user).await?),
            ..RoleHome::default()
        },
        Role::Instructor => {
            let home = home::instructor(db, user).await?;
            RoleHome {
                instructor_home: Some(InstructorHome {
                    cohorts: rows(home.cohorts),
                    today: home.today,
                }),
                ..RoleHome::default()
            }
        }
        Role::Reviewer => {
            let home = home::reviewer(db, dashboards, user).await?;
            RoleHome {
                reviewer_home: Some(ReviewerHome {
                    figures: Figures::of(&home.picture, home.picture.summary.clone()),
                    department: home.department,
                    municipalities: home.municipalities,
                    pdet: home.pdet,
                    cohorts: rows(home.cohorts),
                    open_demands: home.open_demands,
                    stale_demands: home.stale_demands,
                    stale: home.stale,
                    assistances_in_progress: home.assistances_in_progress,
                    assistances: home.assistances,
                    overdue_agreements: home.overdue_agreements,
                    satisfaction: satisfaction(db, surveys, user).await?,
                    plans_behind: behind.behind(db, user).await?,
                }),
                ..RoleHome::default()
            }
        }
        Role::Coordinator | Role::Admin => {
            let home = home::staff(db, dashboards, user).await?;
            RoleHome {
                staff_home: Some(StaffHome {
                    figures: Figures::of(&home.picture, home.top),
                    pdet_reached: home.picture.pdet_reached,
                    participants: home.picture.participants,
                    territory: home
                        .direction
                        .clone()
                        .unwrap_or_else(|| "Todo el país".to_string()),
                    own: match (&home.own, &home.provider) {
                        (Some(own), Some(provider)) => Some(OwnFigures::of(own, provider)),
                        _ => None,
                    },
                    fill_rate: home.fill_rate,
                    by_status: home.by_status,
                    cohorts: rows(home.cohorts),
                    open_demands: home.open_demands,
                    stale_demands: home.stale_demands,
                    provider_name: home.provider,
                    referred: home.referred,
                    overdue_agreements: domain::assistance::agreements::overdue(
                        db,
                        user,
                        home::OVERDUE_LISTED,
                    )
                    .await?,
                    satisfaction: satisfaction(db, surveys, user).await?,
                    plans_behind: behind.behind(db, user).await?,
                }),
                admin_home: home.admin,
                ..RoleHome::default()
            }
        }
        Role::Liaison => RoleHome {
            liaison_home: Some(home::liaison(db, user).await?),
            ..RoleHome::default()
        },
    })
}

/// The satisfaction line over the caller's scope, by quarter.
async fn satisfaction(
    db: &DatabaseConnection,
    satisfaction: &domain::surveys::reports::Cache,
    user: &CurrentUser,
) -> AppResult<Option<crate::surveys::pages::Line>> {
    crate::surveys::pages::line(
        db,
        Some(satisfaction),
        user,
        &domain::surveys::reports::SatisfactionQuery {
            by: domain::surveys::reports::By::Quarter,
            ..Default::default()
        },
        "/reportes/satisfaccion?por=quarter".into(),
    )
    .await
}
