//! Launching the virtual classroom, as LTI 1.3 asks: the cohort's page starts a third-party
//! initiated login at the tool ([`begin`]); the tool answers with an OIDC authentication
//! request to `/lti/authorize` ([`authorize`]), which checks everything and hands the browser
//! a signed `id_token` to post to the tool's registered redirect URI.
//!
//! Who may launch: a person enrolled in the cohort (Learner), its instructors and the staff
//! who manage it (Instructor), while the cohort is not closed or cancelled and from a week
//! before its start until two weeks after its end. A launch during a virtual or mixed
//! session's window records the person as connected: a check-in mark (presente or tarde, as a
//! code check-in earns), which the instructor confirms or corrects on the attendance sheet.

use super::{
    Platform, ROLE_INSTRUCTOR, ROLE_LEARNER, SCOPE_LINEITEM, SCOPE_MEMBERSHIPS, links, list_of,
};
use crate::accounts::actor::Actor;
use crate::attendance::{self, Planned, checkin};
use crate::entities::values::{EnrolmentStatus, MarkSource, Modality, Role};
use crate::entities::{
    attendance_mark, cohort, cohort_instructor, cohort_session, course, enrolment, lti_launch,
    lti_link, lti_login, lti_tool, participant,
};
use crate::error::{AppError, AppResult};
use crate::mail::Notifier;
use crate::rows::Found;
use crate::rows::Rows;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A started login is good for this long.
pub const LOGIN_MINUTES: i64 = 10;
/// An `id_token` is good for this long.
pub const ID_TOKEN_SECONDS: i64 = 300;
/// The classroom opens this many days before the cohort's start…
pub const OPENS_DAYS_BEFORE: i64 = 7;
/// …and stays open this many days after its end (pending activities and grades).
pub const CLOSES_DAYS_AFTER: i64 = 14;

/// Why a launch is refused, in Spanish, with the status the page answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub message: String,
}

fn refuse<T>(status: u16, message: impl Into<String>) -> AppResult<Result<T, Refusal>> {
    Ok(Err(Refusal {
        status,
        message: message.into(),
    }))
}

/// Who launches, and as what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Launcher {
    pub user_id: i32,
    pub participant: Option<participant::Model>,
    /// The enrolment a learner launches under.
    pub enrolment: Option<enrolment::Model>,
    pub instructor: bool,
}

impl Launcher {
    pub fn role(&self) -> &'static str {
        if self.instructor {
            ROLE_INSTRUCTOR
        } else {
            ROLE_LEARNER
        }
    }
    /// The LTI user id (`sub`).
    pub fn sub(&self) -> String {
        super::user_id(self.participant.as_ref().map(|p| p.id), self.user_id)
    }
}

/// Whether `actor` may open the cohort's virtual classroom now, and as what; otherwise why not.
pub async fn launcher<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    cohort: &cohort::Model,
) -> AppResult<Result<Launcher, Refusal>> {
    if cohort.status.is_final() {
        return refuse(
            403,
            format!(
                "La cohorte «{}» está {}: su aula virtual ya no se abre desde Aula Territorial.",
                cohort.name,
                cohort.status.label().to_lowercase()
            ),
        );
    }
    let today = crate::time::today();
    let opens = cohort.start_date - Duration::days(OPENS_DAYS_BEFORE);
    let closes = cohort.end_date + Duration::days(CLOSES_DAYS_AFTER);
    if today < opens || today > closes {
        let f = crate::format::date;
        return refuse(
            403,
            format!(
                "El aula virtual de «{}» se abre del {} al {}.",
                cohort.name,
                f(opens),
                f(closes)
            ),
        );
    }
    let participant = participant::Entity::find()
        .filter(participant::Column::UserId.eq(actor.id))
        .one(db)
        .await?;
    let instructor = match actor.role {
        Role::Instructor => cohort_instructor::Entity::find_by_id((cohort.id, actor.id))
            .one(db)
            .await?
            .is_some(),
        // Out of the staff member's scope is a «no»; any other failure is the database's.
        Role::Admin | Role::Coordinator => {
            match crate::cohorts::find_managed(db, actor, cohort.id).await {
                Ok(_) => true,
                Err(AppError::NotFound) => false,
                Err(other) => return Err(other),
            }
        }
        _ => false,
    };
    if instructor {
        return Ok(Ok(Launcher {
            user_id: actor.id,
            participant,
            enrolment: None,
            instructor: true,
        }));
    }
    let Some(person) = participant else {
        return refuse(
            403,
            "El aula virtual es para las personas inscritas en la cohorte, sus instructores y su coordinación.",
        );
    };
    let rows = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(cohort.id))
        .filter(enrolment::Column::ParticipantId.eq(person.id))
        .order_by_desc(enrolment::Column::Id)
        .all(db)
        .await?;
    let current = rows
        .iter()
        .find(|e| e.status != EnrolmentStatus::Cancelled)
        .or(rows.first());
    match current.map(|e| e.status) {
        Some(
            EnrolmentStatus::Enrolled | EnrolmentStatus::Completed | EnrolmentStatus::NotCompleted,
        ) => Ok(Ok(Launcher {
            user_id: actor.id,
            participant: Some(person),
            enrolment: current.cloned(),
            instructor: false,
        })),
        Some(EnrolmentStatus::Waitlisted) => refuse(
            403,
            "Usted está en la lista de espera de esta cohorte: el aula virtual se abre a las personas inscritas.",
        ),
        Some(EnrolmentStatus::Cancelled) => refuse(
            403,
            "Su inscripción en esta cohorte fue cancelada: el aula virtual ya no se abre para usted.",
        ),
        None => refuse(
            403,
            "Usted no está inscrita en esta cohorte: inscríbase para entrar a su aula virtual.",
        ),
    }
}

/// A virtual classroom the signed-in person may open now, as the cohort's page lists it.
#[derive(Clone, Debug, Serialize)]
pub struct Door {
    pub title: String,
    pub tool_name: String,
    /// The launch page (a path of this site).
    pub url: String,
}

/// The cohort's links `actor` may launch now (none when she may not).
pub async fn doors<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    cohort: &cohort::Model,
) -> AppResult<Vec<Door>> {
    let rows = lti_link::Entity::find()
        .filter(lti_link::Column::CohortId.eq(cohort.id))
        .order_by_asc(lti_link::Column::Id)
        .all(db)
        .await?;
    if rows.is_empty() || launcher(db, actor, cohort).await?.is_err() {
        return Ok(Vec::new());
    }
    let names: std::collections::HashMap<i32, String> = lti_tool::Entity::find()
        .filter(lti_tool::Column::Id.is_in(rows.iter().map(|r| r.tool_id)))
        .all_mapped(db, |t| (t.id, t.name))
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Door {
            url: super::launch_path(r.cohort_id, r.id),
            tool_name: names.get(&r.tool_id).cloned().unwrap_or_default(),
            title: r.title,
        })
        .collect())
}

/// The tool's login initiation: where the browser goes and with what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginStart {
    pub login_url: String,
    pub params: Vec<(&'static str, String)>,
}

impl LoginStart {
    /// The login URL with its parameters in the query.
    pub fn url(&self) -> String {
        let query: Vec<String> = self
            .params
            .iter()
            .map(|(k, v)| {
                format!(
                    "{k}={}",
                    percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
                )
            })
            .collect();
        let joiner = if self.login_url.contains('?') {
            '&'
        } else {
            '?'
        };
        format!("{}{joiner}{}", self.login_url, query.join("&"))
    }
}

/// Starts a launch of the cohort's link for `actor` (third-party initiated login): a login
/// row, single use, for ten minutes.
pub async fn begin<C: ConnectionTrait>(
    db: &C,
    platform: &Platform,
    actor: &Actor,
    cohort_id: i32,
    link_id: i32,
) -> AppResult<Result<LoginStart, Refusal>> {
    let cohort = crate::cohorts::find(db, cohort_id).await?;
    let (link, tool) = links::find(db, cohort.id, link_id).await?;
    let launcher = match launcher(db, actor, &cohort).await? {
        Ok(l) => l,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let hint = crate::accounts::secrets::random_token();
    let at = crate::time::now();
    lti_login::ActiveModel {
        hint_hash: Set(crate::accounts::secrets::token_hash(&hint)),
        tool_id: Set(tool.id),
        link_id: Set(link.id),
        user_id: Set(actor.id),
        role: Set(launcher.role().to_string()),
        nonce: Set(None),
        created_at: Set(at),
        expires_at: Set(at + Duration::minutes(LOGIN_MINUTES)),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    // Logins nobody finished are of no use after they expire.
    lti_login::Entity::delete_many()
        .filter(lti_login::Column::ExpiresAt.lt(at - Duration::days(1)))
        .exec(db)
        .await?;
    Ok(Ok(LoginStart {
        login_url: tool.login_url.clone(),
        params: vec![
            ("iss", platform.issuer.clone()),
            ("login_hint", launcher.sub()),
            ("target_link_uri", tool.target_link_uri.clone()),
            ("lti_message_hint", hint),
            ("client_id", tool.client_id.clone()),
            ("lti_deployment_id", tool.deployment_id.clone()),
        ],
    }))
}

/// The OIDC authentication request the tool sends back (query or form).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AuthRequest {
    pub scope: Option<String>,
    pub response_type: Option<String>,
    pub response_mode: Option<String>,
    pub prompt: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub login_hint: Option<String>,
    pub lti_message_hint: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
}

/// What the browser posts to the tool.
#[derive(Clone, Debug, Serialize)]
pub struct LaunchForm {
    /// The registered redirect URI the form posts to.
    pub action: String,
    pub id_token: String,
    pub state: Option<String>,
    pub tool_name: String,
}

/// What a returning person is told to do when her launch is refused.
const RESTART: &str = "Vuelva a la página de la cohorte y abra el aula virtual de nuevo.";

/// Answers the tool's authentication request for the signed-in `actor` (none: not signed in).
/// Every check before anything is written: the tool and its redirect URI, the login (this
/// person's, unused, not expired), a nonce never seen, the person still allowed. Then the
/// login is spent, the launch recorded (and the session's attendance marked), the token signed.
pub async fn authorize<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    platform: &Platform,
    actor: Option<&Actor>,
    request: &AuthRequest,
) -> AppResult<Result<LaunchForm, Refusal>> {
    let (tool, redirect_uri, nonce) = match checked_request(db, request).await? {
        Ok(checked) => checked,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let Some(actor) = actor else {
        return refuse(
            401,
            format!(
                "Inicie sesión en Aula Territorial y {}",
                RESTART.to_lowercase()
            ),
        );
    };
    let now = crate::time::now();
    let login = match pending_login(db, &tool, actor, request, nonce, now).await? {
        Ok(login) => login,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let link = lti_link::Entity::find_by_id(login.link_id)
        .found(db)
        .await?;
    let cohort = crate::cohorts::find(db, link.cohort_id).await?;
    let launcher = match launcher(db, actor, &cohort).await? {
        Ok(l) => l,
        Err(refusal) => return Ok(Err(refusal)),
    };
    if request.login_hint.as_deref() != Some(launcher.sub().as_str()) {
        return refuse(
            400,
            format!("La solicitud no corresponde a su cuenta. {RESTART}"),
        );
    }
    if let Err(refusal) = spend(db, &login, nonce, now).await? {
        return Ok(Err(refusal));
    }
    let session = session_now(db, &cohort, &link, now).await?;
    record(
        db,
        notifier,
        &cohort,
        &link,
        &launcher,
        session.as_ref(),
        now,
    )
    .await?;
    let course = course::Entity::find_by_id(cohort.course_id).one(db).await?;
    let claims = claims(
        platform,
        &tool,
        &link,
        &cohort,
        course.as_ref(),
        &launcher,
        actor,
        nonce,
        now,
    );
    let id_token = super::keys::current(db).await?.sign(&claims)?;
    Ok(Ok(LaunchForm {
        action: redirect_uri,
        id_token,
        state: request.state.clone(),
        tool_name: tool.name,
    }))
}

/// The first checks of an authentication request, before anyone is known: the tool, its
/// redirect URI, an LTI 1.3 sign-in, a nonce. Answers the tool, the redirect URI and the nonce.
async fn checked_request<'r, C: ConnectionTrait>(
    db: &C,
    request: &'r AuthRequest,
) -> AppResult<Result<(lti_tool::Model, String, &'r str), Refusal>> {
    let Some(tool) = (match request.client_id.as_deref() {
        Some(id) => {
            lti_tool::Entity::find()
                .filter(lti_tool::Column::ClientId.eq(id))
                .one(db)
                .await?
        }
        None => None,
    }) else {
        return refuse(
            400,
            "La herramienta que pide el acceso no está registrada en Aula Territorial.",
        );
    };
    let redirect_uri = request.redirect_uri.clone().unwrap_or_default();
    if !list_of(&tool.redirect_uris).contains(&redirect_uri) {
        return refuse(
            400,
            format!(
                "La dirección de regreso que envió «{}» no está registrada para ella: no se envía el acceso.",
                tool.name
            ),
        );
    }
    if request.response_type.as_deref() != Some("id_token")
        || !request
            .scope
            .as_deref()
            .is_some_and(|s| s.split_whitespace().any(|w| w == "openid"))
        || request
            .response_mode
            .as_deref()
            .is_some_and(|m| m != "form_post")
    {
        return refuse(
            400,
            format!(
                "La solicitud de «{}» no es un inicio de sesión LTI 1.3 válido.",
                tool.name
            ),
        );
    }
    let Some(nonce) = request
        .nonce
        .as_deref()
        .filter(|n| !n.is_empty() && n.len() <= 255)
    else {
        return refuse(
            400,
            format!("La solicitud de «{}» no trae un nonce.", tool.name),
        );
    };
    Ok(Ok((tool, redirect_uri, nonce)))
}

/// The login the request's hint names: started here for this tool by this person, unused,
/// not expired, and its nonce never seen before for the tool.
async fn pending_login<C: ConnectionTrait>(
    db: &C,
    tool: &lti_tool::Model,
    actor: &Actor,
    request: &AuthRequest,
    nonce: &str,
    now: DateTime<Utc>,
) -> AppResult<Result<lti_login::Model, Refusal>> {
    let hint = request.lti_message_hint.as_deref().unwrap_or_default();
    let login = lti_login::Entity::find()
        .filter(lti_login::Column::HintHash.eq(crate::accounts::secrets::token_hash(hint)))
        .one(db)
        .await?;
    let Some(login) = login.filter(|l| l.tool_id == tool.id) else {
        return refuse(
            400,
            format!("Este acceso al aula virtual no se inició aquí. {RESTART}"),
        );
    };
    if login.user_id != actor.id {
        return refuse(
            403,
            format!("Este acceso al aula virtual lo inició otra cuenta. {RESTART}"),
        );
    }
    if login.used_at.is_some() {
        return refuse(
            400,
            format!("Este acceso al aula virtual ya se usó. {RESTART}"),
        );
    }
    if login.expires_at < now {
        return refuse(
            400,
            format!("Este acceso al aula virtual venció. {RESTART}"),
        );
    }
    let replayed = lti_login::Entity::find()
        .filter(lti_login::Column::ToolId.eq(tool.id))
        .filter(lti_login::Column::Nonce.eq(nonce))
        .one(db)
        .await?
        .is_some();
    if replayed {
        return refuse(
            400,
            format!("La solicitud se repitió (su nonce ya se usó). {RESTART}"),
        );
    }
    Ok(Ok(login))
}

/// Spends the login: only one request can, and the nonce is unique per tool.
async fn spend<C: ConnectionTrait>(
    db: &C,
    login: &lti_login::Model,
    nonce: &str,
    now: DateTime<Utc>,
) -> AppResult<Result<(), Refusal>> {
    let spent = lti_login::Entity::update_many()
        .col_expr(lti_login::Column::UsedAt, Expr::value(now))
        .col_expr(lti_login::Column::Nonce, Expr::value(nonce))
        .filter(lti_login::Column::Id.eq(login.id))
        .filter(lti_login::Column::UsedAt.is_null())
        .exec(db)
        .await;
    match spent {
        Ok(r) if r.rows_affected == 1 => Ok(Ok(())),
        Ok(_) => refuse(
            400,
            format!("Este acceso al aula virtual ya se usó. {RESTART}"),
        ),
        Err(e) => match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => refuse(
                400,
                format!("La solicitud se repitió (su nonce ya se usó). {RESTART}"),
            ),
            _ => Err(e.into()),
        },
    }
}

/// The virtual or mixed session of the cohort whose check-in window holds `at` (and that opens
/// this link, when it names one).
async fn session_now<C: ConnectionTrait>(
    db: &C,
    cohort: &cohort::Model,
    link: &lti_link::Model,
    at: DateTime<Utc>,
) -> AppResult<Option<cohort_session::Model>> {
    let sessions = cohort_session::Entity::find()
        .filter(cohort_session::Column::CohortId.eq(cohort.id))
        .filter(cohort_session::Column::StartsAt.lte(at + Duration::hours(1)))
        .filter(cohort_session::Column::EndsAt.gte(at))
        .order_by_asc(cohort_session::Column::StartsAt)
        .all(db)
        .await?;
    Ok(sessions.into_iter().find(|s| {
        let modality = s.modality.unwrap_or(cohort.modality);
        modality != Modality::Presencial
            && s.lti_link_id.is_none_or(|l| l == link.id)
            && checkin::in_window(s, at)
    }))
}

/// Records the launch and, for a learner in a session's window, her attendance.
async fn record<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    cohort: &cohort::Model,
    link: &lti_link::Model,
    launcher: &Launcher,
    session: Option<&cohort_session::Model>,
    at: DateTime<Utc>,
) -> AppResult<()> {
    lti_launch::ActiveModel {
        link_id: Set(link.id),
        cohort_id: Set(cohort.id),
        user_id: Set(launcher.user_id),
        participant_id: Set(launcher.participant.as_ref().map(|p| p.id)),
        enrolment_id: Set(launcher.enrolment.as_ref().map(|e| e.id)),
        role: Set(if launcher.instructor {
            "Instructor"
        } else {
            "Learner"
        }
        .to_string()),
        session_id: Set(session.map(|s| s.id)),
        launched_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let (Some(session), Some(enrolment)) = (session, launcher.enrolment.as_ref()) else {
        return Ok(());
    };
    if launcher.instructor || enrolment.status != EnrolmentStatus::Enrolled {
        return Ok(());
    }
    let existing = attendance_mark::Entity::find()
        .filter(attendance_mark::Column::SessionId.eq(session.id))
        .filter(attendance_mark::Column::EnrolmentId.eq(enrolment.id))
        .one(db)
        .await?;
    // Already counted as attending (or corrected by the instructor): a launch changes nothing.
    if existing.is_some() {
        return Ok(());
    }
    let planned = Planned {
        session_id: session.id,
        enrolment_id: enrolment.id,
        status: checkin::mark_at(session, at),
        note: Some("Conectado al aula virtual".into()),
    };
    attendance::save_marks(
        db,
        notifier,
        launcher.user_id,
        cohort,
        &[planned],
        MarkSource::CheckIn,
    )
    .await?;
    Ok(())
}

/// The id token of a resource link launch (LTI 1.3 core, names and roles, grades). Its
/// fields are declared in the order of their names, the order they were always signed in.
#[derive(Serialize)]
struct LaunchClaims<'a> {
    aud: &'a str,
    azp: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    exp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    family_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    given_name: Option<&'a str>,
    #[serde(
        rename = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint",
        skip_serializing_if = "Option::is_none"
    )]
    grades: Option<GradesEndpoint>,
    #[serde(
        rename = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice",
        skip_serializing_if = "Option::is_none"
    )]
    names_roles: Option<NamesRoles>,
    #[serde(rename = "https://purl.imsglobal.org/spec/lti/claim/context")]
    context: Context<'a>,
    #[serde(
        rename = "https://purl.imsglobal.org/spec/lti/claim/custom",
        skip_serializing_if = "Option::is_none"
    )]
    custom: Option<Value>,
    #[serde(rename = "https://purl.imsglobal.org/spec/lti/claim/deployment_id")]
    deployment_id: &'a str,
    #[serde(rename = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation")]
    launch_presentation: LaunchPresentation,
    #[serde(rename = "https://purl.imsglobal.org/spec/lti/claim/message_type")]
    message_type: &'static str,
    #[serde(rename = "https://purl.imsglobal.org/spec/lti/claim/resource_link")]
    resource_link: ResourceLink<'a>,
    #[serde(rename = "https://purl.imsglobal.org/spec/lti/claim/roles")]
    roles: [&'static str; 1],
    #[serde(rename = "https://purl.imsglobal.org/spec/lti/claim/target_link_uri")]
    target_link_uri: &'a str,
    #[serde(rename = "https://purl.imsglobal.org/spec/lti/claim/tool_platform")]
    tool_platform: ToolPlatform<'a>,
    #[serde(rename = "https://purl.imsglobal.org/spec/lti/claim/version")]
    version: &'static str,
    iat: i64,
    iss: &'a str,
    locale: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    nonce: &'a str,
    sub: String,
}

/// The assignment and grade services claim: where the tool reads and writes line items.
#[derive(Serialize)]
struct GradesEndpoint {
    lineitems: String,
    scope: Vec<String>,
}

/// The names and roles provisioning service claim.
#[derive(Serialize)]
struct NamesRoles {
    context_memberships_url: String,
    service_versions: [&'static str; 1],
}

/// The context claim: the cohort, as a course offering.
#[derive(Serialize)]
struct Context<'a> {
    id: String,
    label: String,
    title: &'a str,
    #[serde(rename = "type")]
    kind: [&'static str; 1],
}

/// Where the tool sends the person back.
#[derive(Serialize)]
struct LaunchPresentation {
    document_target: &'static str,
    locale: &'static str,
    return_url: String,
}

/// The link launched.
#[derive(Serialize)]
struct ResourceLink<'a> {
    id: &'a str,
    title: &'a str,
}

/// The platform claim: Aula Territorial.
#[derive(Serialize)]
struct ToolPlatform<'a> {
    guid: &'a str,
    name: &'static str,
    product_family_code: &'static str,
}

#[allow(clippy::too_many_arguments)]
fn claims<'a>(
    platform: &'a Platform,
    tool: &'a lti_tool::Model,
    link: &'a lti_link::Model,
    cohort: &'a cohort::Model,
    course: Option<&course::Model>,
    launcher: &'a Launcher,
    actor: &Actor,
    nonce: &'a str,
    now: DateTime<Utc>,
) -> LaunchClaims<'a> {
    let participant = launcher.participant.as_ref().filter(|_| tool.share_name);
    let name = tool.share_name.then(|| match participant {
        Some(p) => p.full_name(),
        None => actor.full_name.clone(),
    });
    let email = tool.share_email.then(|| {
        launcher
            .participant
            .as_ref()
            .and_then(|p| p.email.clone())
            .unwrap_or_else(|| actor.email.clone())
    });
    let granted = list_of(&tool.scopes);
    let names_roles = granted
        .iter()
        .any(|s| s == SCOPE_MEMBERSHIPS)
        .then(|| NamesRoles {
            context_memberships_url: platform.memberships_url(cohort.id),
            service_versions: ["2.0"],
        });
    let mut scope: Vec<String> = granted
        .iter()
        .filter(|s| s.contains("/lti-ags/"))
        .cloned()
        .collect();
    let grades = (!scope.is_empty()).then(|| {
        if granted.iter().any(|s| s == SCOPE_LINEITEM) {
            scope.push(super::SCOPE_LINEITEM_READ.to_string());
        }
        GradesEndpoint {
            lineitems: platform.line_items_url(cohort.id),
            scope,
        }
    });
    LaunchClaims {
        aud: &tool.client_id,
        azp: &tool.client_id,
        email,
        exp: now.timestamp() + ID_TOKEN_SECONDS,
        family_name: participant.map(|p| p.last_names.as_str()),
        given_name: participant.map(|p| p.first_names.as_str()),
        grades,
        names_roles,
        context: Context {
            id: cohort.id.to_string(),
            label: course.map_or_else(|| cohort.name.clone(), |c| c.code.clone()),
            title: &cohort.name,
            kind: ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
        },
        custom: link
            .custom
            .as_deref()
            .and_then(|t| serde_json::from_str::<Value>(t).ok()),
        deployment_id: &tool.deployment_id,
        launch_presentation: LaunchPresentation {
            document_target: "window",
            locale: "es-CO",
            return_url: format!("{}/cohortes/{}", platform.issuer, cohort.id),
        },
        message_type: "LtiResourceLinkRequest",
        resource_link: ResourceLink {
            id: &link.resource_link_id,
            title: &link.title,
        },
        roles: [launcher.role()],
        target_link_uri: &tool.target_link_uri,
        tool_platform: ToolPlatform {
            guid: &platform.issuer,
            name: "Aula Territorial",
            product_family_code: "aula-territorial",
        },
        version: "1.3.0",
        iat: now.timestamp(),
        iss: &platform.issuer,
        locale: "es-CO",
        name,
        nonce,
        sub: launcher.sub(),
    }
}

/// A launch as staff read it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = LtiLaunch)]
pub struct LaunchView {
    pub user_id: i32,
    pub participant_id: Option<i32>,
    pub full_name: String,
    /// `Learner` or `Instructor`.
    pub role: String,
    pub link_id: i32,
    pub session_id: Option<i32>,
    #[schema(format = DateTime)]
    pub launched_at: String,
}

/// The most launches a cohort's list shows (newest first).
pub const LAUNCHES_MAX: u64 = 1_000;

/// The cohort's launches, newest first (the caller manages the cohort).
pub async fn of_cohort<C: ConnectionTrait>(db: &C, cohort_id: i32) -> AppResult<Vec<LaunchView>> {
    use sea_orm::QuerySelect;
    let rows = lti_launch::Entity::find()
        .filter(lti_launch::Column::CohortId.eq(cohort_id))
        .order_by_desc(lti_launch::Column::LaunchedAt)
        .order_by_desc(lti_launch::Column::Id)
        .limit(LAUNCHES_MAX)
        .all(db)
        .await?;
    let people: std::collections::HashMap<i32, String> = participant::Entity::find()
        .filter(participant::Column::Id.is_in(rows.iter().filter_map(|r| r.participant_id)))
        .all_mapped(db, |p| (p.id, p.full_name()))
        .await?;
    let users: std::collections::HashMap<i32, String> = crate::entities::user::Entity::find()
        .filter(crate::entities::user::Column::Id.is_in(rows.iter().map(|r| r.user_id)))
        .all_mapped(db, |u| (u.id, u.full_name))
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| LaunchView {
            user_id: r.user_id,
            participant_id: r.participant_id,
            full_name: r
                .participant_id
                .and_then(|p| people.get(&p).cloned())
                .or_else(|| users.get(&r.user_id).cloned())
                .unwrap_or_default(),
            role: r.role,
            link_id: r.link_id,
            session_id: r.session_id,
            launched_at: crate::time::date_time(r.launched_at),
        })
        .collect())
}
