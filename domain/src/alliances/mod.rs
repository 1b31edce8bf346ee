//! A gobernación's alliance (issue 48, item 2): the department's table of providers and local
//! actors that articulates the offer of technical assistance — its lead, its members (providers
//! of the product, or other organisations by name and kind), its launch and renewal
//! («refrendación»), its implementation plan — and its tables ([`meetings`]).
//!
//! Who keeps an alliance (creates and edits it): an admin, or the department's gobernación —
//! its reviewers, and the coordinators of a provider of kind gobernación of that department.
//! Who records its tables and follows their agreements: the same, and the lead provider's
//! coordinators. Who reads it: ESAP's staff (national, or the territorial direction that covers
//! the department), the department's reviewers, the coordinators of its lead and member
//! providers and of the department's gobernación; anyone else gets a 404, as if it did not
//! exist ([`AllianceScope`], applied in the query).

pub mod demo;
pub mod meetings;

use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::entities::values::{AllianceAgreementStatus, AllianceMemberKind, ProviderKind, Role};
use crate::entities::{
    alliance, alliance_agreement, alliance_meeting, alliance_member, department, provider,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::providers::{ESAP, ProviderRef};
use crate::rows::Found;
use crate::rows::Rows;
use crate::validate;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// At most this many members per alliance.
pub const MEMBERS_MAX: usize = 200;

/// A member as sent: a provider of the product by its id, or another organisation by name and
/// kind.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = AllianceMemberInput)]
pub struct MemberInput {
    /// A provider of the product (`GET /providers`); then no `name` nor `kind`.
    pub provider_id: Option<i32>,
    /// Another organisation's name (with its `kind`).
    #[schema(max_length = 160, example = "Universidad de la Amazonia")]
    pub name: Option<String>,
    #[schema(value_type = Option<AllianceMemberKind>)]
    pub kind: Option<String>,
}

/// An alliance as sent to create it (`POST /alliances`) or to change it (`PUT
/// /alliances/{id}`, the whole record: its department does not change).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct AllianceInput {
    /// DANE code of the department. Required to create; on a change, absent or the same.
    #[schema(example = "18")]
    pub department_code: Option<String>,
    #[schema(
        max_length = 160,
        example = "Alianza por la gestión pública del Caquetá"
    )]
    pub name: Option<String>,
    /// The provider that leads it; absent: the department's gobernación when it is a provider.
    pub lead_provider_id: Option<i32>,
    #[schema(value_type = Option<NaiveDate>)]
    pub launched_on: Option<String>,
    /// The renewal («refrendación»), after the launch.
    #[schema(value_type = Option<NaiveDate>)]
    pub renewed_on: Option<String>,
    #[schema(max_items = 200)]
    pub members: Option<Vec<MemberInput>>,
    #[schema(max_length = 4000)]
    pub implementation_plan: Option<String>,
}

/// A member as shown.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = AllianceMember)]
pub struct MemberView {
    /// The provider of the product, when the member is one.
    pub provider_id: Option<i32>,
    pub name: String,
    /// The organisation's kind; null for a provider of the product.
    pub kind: Option<AllianceMemberKind>,
    /// The kind in Spanish (a provider's own kind: «Entidad nacional», «Gobernación»…).
    #[schema(example = "Universidad")]
    pub kind_label: &'static str,
}

/// An alliance as the API and the pages show it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Alliance)]
pub struct AllianceView {
    pub id: i32,
    #[schema(example = "18")]
    pub department_code: String,
    #[schema(example = "Caquetá")]
    pub department_name: String,
    pub name: String,
    pub lead_provider: Option<ProviderRef>,
    pub launched_on: NaiveDate,
    pub renewed_on: Option<NaiveDate>,
    pub members: Vec<MemberView>,
    pub implementation_plan: String,
    /// Tables held.
    pub meetings: u64,
    /// Agreements still open, and of them the ones past their due date.
    pub open_agreements: u64,
    pub overdue_agreements: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Which alliances a caller reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllianceScope {
    /// Admins and ESAP's national coordinators.
    All,
    /// An ESAP territorial direction's coordinator (its departments), a reviewer (its one).
    Departments(Vec<String>),
    /// Another provider's coordinator: the alliances it leads or is a member of, and its
    /// department's when the provider is that department's gobernación.
    Provider {
        provider_id: i32,
        gobernacion_of: Option<String>,
    },
    /// Liaisons, instructors, participants.
    Nothing,
}

/// The department whose gobernación `user` speaks for as a provider's coordinator: its
/// provider is of kind gobernación (and active) with that department.
pub async fn gobernacion_of<C: ConnectionTrait>(db: &C, user: &Actor) -> AppResult<Option<String>> {
    if user.role != Role::Coordinator {
        return Ok(None);
    }
    Ok(provider::Entity::find_by_id(user.provider_id)
        .one(db)
        .await?
        .filter(|p| p.kind == ProviderKind::Gobernacion && p.active)
        .and_then(|p| p.department_code))
}

impl AllianceScope {
    pub async fn of<C: ConnectionTrait>(db: &C, user: &Actor) -> AppResult<Self> {
        Ok(match user.role {
            Role::Admin => AllianceScope::All,
            Role::Coordinator if user.provider_id == ESAP => match user.direction_departments() {
                Some(codes) => AllianceScope::Departments(codes.to_vec()),
                None => AllianceScope::All,
            },
            Role::Coordinator => AllianceScope::Provider {
                provider_id: user.provider_id,
                gobernacion_of: gobernacion_of(db, user).await?,
            },
            // Without a department, nothing (never everything).
            Role::Reviewer => match &user.department_code {
                Some(code) => AllianceScope::Departments(vec![code.clone()]),
                None => AllianceScope::Nothing,
            },
            Role::Liaison | Role::Instructor | Role::Participant => AllianceScope::Nothing,
        })
    }

    /// The alliances in scope, as a condition on `alliances`.
    pub fn condition(&self) -> Condition {
        match self {
            AllianceScope::All => Condition::all(),
            AllianceScope::Departments(codes) => {
                Condition::all().add(alliance::Column::DepartmentCode.is_in(codes.clone()))
            }
            AllianceScope::Provider {
                provider_id,
                gobernacion_of,
            } => {
                let member_of = Query::select()
                    .column(alliance_member::Column::AllianceId)
                    .from(alliance_member::Entity)
                    .and_where(alliance_member::Column::ProviderId.eq(*provider_id))
                    .to_owned();
                let mut any = Condition::any()
                    .add(alliance::Column::LeadProviderId.eq(*provider_id))
                    .add(alliance::Column::Id.in_subquery(member_of));
                if let Some(code) = gobernacion_of {
                    any = any.add(alliance::Column::DepartmentCode.eq(code.as_str()));
                }
                any
            }
            AllianceScope::Nothing => Condition::all().add(alliance::Column::Id.is_null()),
        }
    }
}

/// Whether `user` keeps (creates and edits) the alliances of department `code`: an admin; the
/// department's reviewer; a coordinator of the department's gobernación as a provider.
pub async fn keeps<C: ConnectionTrait>(db: &C, user: &Actor, code: &str) -> AppResult<bool> {
    Ok(match user.role {
        Role::Admin => true,
        Role::Reviewer => user.department_code.as_deref() == Some(code),
        Role::Coordinator => gobernacion_of(db, user).await?.as_deref() == Some(code),
        _ => false,
    })
}

/// Whether `user` records the tables of `row` and follows their agreements: whoever keeps it,
/// and the lead provider's coordinators.
pub async fn records_meetings<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    row: &alliance::Model,
) -> AppResult<bool> {
    if user.role == Role::Coordinator && row.lead_provider_id == Some(user.provider_id) {
        return Ok(true);
    }
    keeps(db, user, &row.department_code).await
}

/// The alliance `id` if `user` reads it; 404 otherwise, as if it did not exist.
pub async fn find_visible<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    id: i32,
) -> AppResult<alliance::Model> {
    alliance::Entity::find_by_id(id)
        .filter(AllianceScope::of(db, user).await?.condition())
        .found(db)
        .await
}

/// The alliances `user` reads, of one department when `department` says so, by department and
/// launch.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    department: Option<&str>,
) -> AppResult<Vec<AllianceView>> {
    let mut select =
        alliance::Entity::find().filter(AllianceScope::of(db, user).await?.condition());
    if let Some(code) = department.map(str::trim).filter(|c| !c.is_empty()) {
        select = select.filter(alliance::Column::DepartmentCode.eq(code));
    }
    let rows = select
        .order_by_asc(alliance::Column::DepartmentCode)
        .order_by_asc(alliance::Column::LaunchedOn)
        .order_by_asc(alliance::Column::Id)
        .all(db)
        .await?;
    views(db, rows).await
}

/// One alliance `user` reads (404 otherwise).
pub async fn get<C: ConnectionTrait>(db: &C, user: &Actor, id: i32) -> AppResult<AllianceView> {
    let row = find_visible(db, user, id).await?;
    Ok(views(db, vec![row]).await?.remove(0))
}

/// The views of `rows`, in their order.
pub async fn views<C: ConnectionTrait>(
    db: &C,
    rows: Vec<alliance::Model>,
) -> AppResult<Vec<AllianceView>> {
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let members = alliance_member::Entity::find()
        .filter(alliance_member::Column::AllianceId.is_in(ids.clone()))
        .order_by_asc(alliance_member::Column::Position)
        .order_by_asc(alliance_member::Column::Id)
        .all(db)
        .await?;
    let provider_ids: HashSet<i32> = members
        .iter()
        .filter_map(|m| m.provider_id)
        .chain(rows.iter().filter_map(|r| r.lead_provider_id))
        .collect();
    let providers: HashMap<i32, provider::Model> = provider::Entity::find()
        .filter(provider::Column::Id.is_in(provider_ids))
        .all_mapped(db, |p| (p.id, p))
        .await?;
    let mut members_of: HashMap<i32, Vec<MemberView>> = HashMap::new();
    for m in members {
        let view = match (m.provider_id, m.kind) {
            (Some(id), _) => providers.get(&id).map(|p| MemberView {
                provider_id: Some(id),
                name: p.name.clone(),
                kind: None,
                kind_label: p.kind.label(),
            }),
            (None, Some(kind)) => Some(MemberView {
                provider_id: None,
                name: m.name.clone().unwrap_or_default(),
                kind: Some(kind),
                kind_label: kind.label(),
            }),
            (None, None) => None,
        };
        if let Some(view) = view {
            members_of.entry(m.alliance_id).or_default().push(view);
        }
    }
    let meetings = alliance_meeting::Entity::find()
        .filter(alliance_meeting::Column::AllianceId.is_in(ids))
        .all(db)
        .await?;
    let alliance_of: HashMap<i32, i32> = meetings.iter().map(|m| (m.id, m.alliance_id)).collect();
    let mut meeting_count: HashMap<i32, u64> = HashMap::new();
    for m in &meetings {
        *meeting_count.entry(m.alliance_id).or_default() += 1;
    }
    let today = crate::time::today();
    let mut open: HashMap<i32, (u64, u64)> = HashMap::new();
    for a in alliance_agreement::Entity::find()
        .filter(alliance_agreement::Column::MeetingId.is_in(alliance_of.keys().copied()))
        .filter(alliance_agreement::Column::Status.eq(AllianceAgreementStatus::Open))
        .all(db)
        .await?
    {
        if let Some(alliance_id) = alliance_of.get(&a.meeting_id) {
            let entry = open.entry(*alliance_id).or_default();
            entry.0 += 1;
            if a.due_on < today {
                entry.1 += 1;
            }
        }
    }
    let names = crate::territory::department_names(db).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let (open_agreements, overdue_agreements) =
                open.get(&r.id).copied().unwrap_or_default();
            AllianceView {
                department_name: names
                    .get(&r.department_code)
                    .cloned()
                    .unwrap_or_else(|| r.department_code.clone()),
                lead_provider: r
                    .lead_provider_id
                    .and_then(|id| providers.get(&id))
                    .map(|p| ProviderRef {
                        id: p.id,
                        name: p.name.clone(),
                    }),
                members: members_of.remove(&r.id).unwrap_or_default(),
                meetings: meeting_count.get(&r.id).copied().unwrap_or_default(),
                open_agreements,
                overdue_agreements,
                id: r.id,
                department_code: r.department_code,
                name: r.name,
                launched_on: r.launched_on,
                renewed_on: r.renewed_on,
                implementation_plan: r.implementation_plan,
                created_at: r.created_at,
                updated_at: r.updated_at,
            }
        })
        .collect())
}

/// A member checked: a provider, or an organisation's name and kind.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Member {
    Provider(i32),
    Organisation(String, AllianceMemberKind),
}

/// An alliance checked, ready to write.
struct Checked {
    department_code: String,
    name: String,
    lead_provider_id: Option<i32>,
    launched_on: NaiveDate,
    renewed_on: Option<NaiveDate>,
    members: Vec<Member>,
    implementation_plan: String,
}

fn required_line(
    field: &str,
    value: Option<&str>,
    max: usize,
    missing: &str,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    match validate::single_line(field, value.unwrap_or(""), max) {
        Ok(Some(text)) => Some(text),
        Ok(None) => {
            errors.push(FieldError::new(field, missing));
            None
        }
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

/// The kinds of organisation as a sentence of codes, for the messages.
fn kinds_sentence() -> String {
    use sea_orm::Iterable;
    let codes: Vec<&str> = AllianceMemberKind::iter().map(|k| k.as_str()).collect();
    codes.join(", ")
}

/// Checks `input` by the rules, every problem at once (422): the department exists (and, when
/// `current` is the alliance being changed, stays its own); name; a lead provider that exists
/// and is active; launch, and a renewal after it; at least one member, each a provider of the
/// product that exists or an organisation with its name and kind, none twice; the plan.
async fn check<C: ConnectionTrait>(
    db: &C,
    input: &AllianceInput,
    current: Option<&alliance::Model>,
) -> AppResult<Checked> {
    let mut errors = Vec::new();
    let department_code = department_of(db, input, current, &mut errors).await?;
    let name = required_line(
        "name",
        input.name.as_deref(),
        validate::TITLE_MAX,
        "Escriba el nombre de la alianza.",
        &mut errors,
    );
    let launched_on = crate::parse::date(
        "launched_on",
        input.launched_on.as_deref(),
        true,
        &mut errors,
    );
    if input
        .launched_on
        .as_deref()
        .map(str::trim)
        .is_none_or(str::is_empty)
        && let Some(e) = errors.iter_mut().find(|e| e.field == "launched_on")
    {
        e.message = "Escriba la fecha de lanzamiento de la alianza (AAAA-MM-DD).".into();
    }
    let renewed_on = crate::parse::date(
        "renewed_on",
        input.renewed_on.as_deref(),
        false,
        &mut errors,
    );
    if let (Some(launch), Some(renewal)) = (launched_on, renewed_on)
        && renewal <= launch
    {
        errors.push(FieldError::new(
            "renewed_on",
            format!(
                "La refrendación debe ser posterior al lanzamiento ({}).",
                crate::format::date(launch)
            ),
        ));
    }
    // The lead: the one sent, or the department's gobernación when it is a provider.
    let lead_provider_id = match input.lead_provider_id {
        Some(id) => match provider::Entity::find_by_id(id).one(db).await? {
            Some(p) if p.active || current.and_then(|c| c.lead_provider_id) == Some(id) => Some(id),
            Some(_) => {
                errors.push(FieldError::new(
                    "lead_provider_id",
                    "Ese oferente está inactivo: no puede liderar una alianza.",
                ));
                None
            }
            None => {
                errors.push(FieldError::new(
                    "lead_provider_id",
                    "No existe ese oferente.",
                ));
                None
            }
        },
        None => match &department_code {
            Some(code) => provider::Entity::find()
                .filter(provider::Column::Kind.eq(ProviderKind::Gobernacion))
                .filter(provider::Column::DepartmentCode.eq(code.as_str()))
                .filter(provider::Column::Active.eq(true))
                .order_by_asc(provider::Column::Id)
                .one(db)
                .await?
                .map(|p| p.id),
            None => None,
        },
    };
    let members = members_of(
        db,
        input.members.as_deref().unwrap_or_default(),
        &mut errors,
    )
    .await?;
    let implementation_plan = match validate::multi_line(
        "implementation_plan",
        input.implementation_plan.as_deref().unwrap_or(""),
        validate::DESCRIPTION_MAX,
    ) {
        Ok(Some(text)) => Some(text),
        Ok(None) => {
            errors.push(FieldError::new(
                "implementation_plan",
                "Escriba el plan de implementación de la alianza.",
            ));
            None
        }
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let (Some(department_code), Some(name), Some(launched_on), Some(implementation_plan), true) = (
        department_code,
        name,
        launched_on,
        implementation_plan,
        errors.is_empty(),
    ) else {
        return Err(AppError::Validation(errors));
    };
    Ok(Checked {
        department_code,
        name,
        lead_provider_id,
        launched_on,
        renewed_on,
        members,
        implementation_plan,
    })
}

/// The alliance's department: the one sent (it must exist), or its own when it is being
/// changed (it does not change).
async fn department_of<C: ConnectionTrait>(
    db: &C,
    input: &AllianceInput,
    current: Option<&alliance::Model>,
    errors: &mut Vec<FieldError>,
) -> AppResult<Option<String>> {
    let sent_department = input
        .department_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let department_code = match (current, sent_department) {
        (Some(row), None) => Some(row.department_code.clone()),
        (Some(row), Some(code)) if code == row.department_code => Some(code.to_string()),
        (Some(_), Some(_)) => {
            errors.push(FieldError::new(
                "department_code",
                "El departamento de una alianza no cambia: registre otra alianza.",
            ));
            None
        }
        (None, None) => {
            errors.push(FieldError::new(
                "department_code",
                "Indique el departamento de la alianza (código DANE, p. ej. 18).",
            ));
            None
        }
        (None, Some(code)) => {
            if department::Entity::find_by_id(code.to_string())
                .one(db)
                .await?
                .is_some()
            {
                Some(code.to_string())
            } else {
                errors.push(FieldError::new(
                    "department_code",
                    format!("No existe un departamento con el código «{code}»."),
                ));
                None
            }
        }
    };
    Ok(department_code)
}

/// The members sent: at least one, each a provider of the product that exists or an
/// organisation with its name and kind, none twice.
async fn members_of<C: ConnectionTrait>(
    db: &C,
    sent: &[MemberInput],
    errors: &mut Vec<FieldError>,
) -> AppResult<Vec<Member>> {
    let mut members = Vec::new();
    if sent.len() > MEMBERS_MAX {
        errors.push(FieldError::new(
            "members",
            format!("Una alianza tiene máximo {MEMBERS_MAX} miembros."),
        ));
    } else if sent.is_empty() {
        errors.push(FieldError::new(
            "members",
            "Registre al menos un miembro de la alianza: un oferente o una organización con su \
             nombre y tipo.",
        ));
    } else {
        let provider_ids: Vec<i32> = sent.iter().filter_map(|m| m.provider_id).collect();
        let known: HashSet<i32> = provider::Entity::find()
            .filter(provider::Column::Id.is_in(provider_ids))
            .all_mapped(db, |p| p.id)
            .await?;
        let mut seen_providers = HashSet::new();
        let mut seen_names = HashSet::new();
        for (n, m) in sent.iter().enumerate() {
            let field = format!("members[{n}]");
            let name_sent = m
                .name
                .as_deref()
                .map(str::trim)
                .is_some_and(|t| !t.is_empty());
            let kind_sent = m
                .kind
                .as_deref()
                .map(str::trim)
                .is_some_and(|t| !t.is_empty());
            if let Some(id) = m.provider_id {
                if name_sent || kind_sent {
                    errors.push(FieldError::new(
                        format!("{field}.provider_id"),
                        "Un miembro es un oferente o una organización con nombre y tipo, no \
                         ambos.",
                    ));
                } else if !known.contains(&id) {
                    errors.push(FieldError::new(
                        format!("{field}.provider_id"),
                        "No existe ese oferente.",
                    ));
                } else if !seen_providers.insert(id) {
                    errors.push(FieldError::new(
                        format!("{field}.provider_id"),
                        "Ese oferente ya está en la lista de miembros.",
                    ));
                } else {
                    members.push(Member::Provider(id));
                }
                continue;
            }
            let name = required_line(
                &format!("{field}.name"),
                m.name.as_deref(),
                validate::TITLE_MAX,
                "Escriba el nombre de la organización, o elija un oferente.",
                errors,
            );
            let kind = match m.kind.as_deref().map(str::trim) {
                None | Some("") => {
                    errors.push(FieldError::new(
                        format!("{field}.kind"),
                        "Indique el tipo de organización.",
                    ));
                    None
                }
                Some(text) => AllianceMemberKind::parse(text).or_else(|| {
                    errors.push(FieldError::new(
                        format!("{field}.kind"),
                        format!(
                            "El tipo de organización debe ser uno de: {}.",
                            kinds_sentence()
                        ),
                    ));
                    None
                }),
            };
            if let (Some(name), Some(kind)) = (name, kind) {
                if !seen_names.insert(name.to_lowercase()) {
                    errors.push(FieldError::new(
                        format!("{field}.name"),
                        "Esa organización ya está en la lista de miembros.",
                    ));
                } else {
                    members.push(Member::Organisation(name, kind));
                }
            }
        }
    }
    Ok(members)
}

/// Whether `user` may keep some alliance: 403 for the roles that never do (ESAP's staff,
/// another provider's coordinators, liaisons, instructors, participants).
async fn may_keep_some<C: ConnectionTrait>(db: &C, user: &Actor) -> AppResult<()> {
    let some = match user.role {
        Role::Admin => true,
        Role::Reviewer => user.department_code.is_some(),
        Role::Coordinator => gobernacion_of(db, user).await?.is_some(),
        _ => false,
    };
    if some {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

async fn write_members<C: ConnectionTrait>(
    db: &C,
    alliance_id: i32,
    members: Vec<Member>,
) -> AppResult<()> {
    alliance_member::Entity::delete_many()
        .filter(alliance_member::Column::AllianceId.eq(alliance_id))
        .exec(db)
        .await?;
    for (position, member) in members.into_iter().enumerate() {
        let (provider_id, name, kind) = match member {
            Member::Provider(id) => (Some(id), None, None),
            Member::Organisation(name, kind) => (None, Some(name), Some(kind)),
        };
        alliance_member::ActiveModel {
            alliance_id: Set(alliance_id),
            position: Set(position as i32),
            provider_id: Set(provider_id),
            name: Set(name),
            kind: Set(kind),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Creates an alliance: an admin any department's; a department's gobernación (its reviewers,
/// its coordinators as a provider) its own — another department's is refused on
/// `department_code` (422); the roles that keep no alliance 403. Every problem at once (422).
/// Audited.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    input: &AllianceInput,
) -> AppResult<AllianceView> {
    may_keep_some(db, user).await?;
    let checked = match check(db, input, None).await {
        Ok(checked) => checked,
        Err(AppError::Validation(mut errors)) => {
            // Another department's, said beside the other problems.
            if let Some(code) = input.department_code.as_deref().map(str::trim)
                && !code.is_empty()
                && !errors.iter().any(|e| e.field == "department_code")
                && !keeps(db, user, code).await?
            {
                errors.push(not_yours());
            }
            return Err(AppError::Validation(errors));
        }
        Err(other) => return Err(other),
    };
    if !keeps(db, user, &checked.department_code).await? {
        return Err(AppError::Validation(vec![not_yours()]));
    }
    let now = crate::time::now();
    let saved = alliance::ActiveModel {
        department_code: Set(checked.department_code),
        name: Set(checked.name),
        lead_provider_id: Set(checked.lead_provider_id),
        launched_on: Set(checked.launched_on),
        renewed_on: Set(checked.renewed_on),
        implementation_plan: Set(checked.implementation_plan),
        created_by: Set(Some(user.id)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    write_members(db, saved.id, checked.members).await?;
    let view = views(db, vec![saved]).await?.remove(0);
    audit::record(
        db,
        Change {
            actor: Some(user.id),
            action: "alliance.created",
            subject_type: "alliance",
            subject_id: view.id.to_string(),
            before: None,
            after: serde_json::to_value(&view).ok(),
        },
    )
    .await?;
    Ok(view)
}

fn not_yours() -> FieldError {
    FieldError::new(
        "department_code",
        "Solo puede registrar la alianza del departamento de su gobernación.",
    )
}

/// Changes alliance `id` as a whole (name, lead, launch, renewal, members, plan): whoever keeps
/// it (404 when the caller does not read it; 403 when it reads it only). Every problem at once
/// (422), nothing written. Audited with the alliance before and after.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    id: i32,
    input: &AllianceInput,
) -> AppResult<AllianceView> {
    let row = find_visible(db, user, id).await?;
    if !keeps(db, user, &row.department_code).await? {
        return Err(AppError::Forbidden);
    }
    let checked = check(db, input, Some(&row)).await?;
    let before = views(db, vec![row.clone()]).await?.remove(0);
    let mut model: alliance::ActiveModel = row.into();
    model.name = Set(checked.name);
    model.lead_provider_id = Set(checked.lead_provider_id);
    model.launched_on = Set(checked.launched_on);
    model.renewed_on = Set(checked.renewed_on);
    model.implementation_plan = Set(checked.implementation_plan);
    model.updated_at = Set(crate::time::now());
    let saved = model.update(db).await?;
    write_members(db, id, checked.members).await?;
    let view = views(db, vec![saved]).await?.remove(0);
    audit::record(
        db,
        Change {
            actor: Some(user.id),
            action: "alliance.changed",
            subject_type: "alliance",
            subject_id: id.to_string(),
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&view).ok(),
        },
    )
    .await?;
    Ok(view)
}

/// The departments whose alliances `user` may create (for the form's choices): every one for an
/// admin, its own for a gobernación; none for anyone else.
pub async fn keepable_departments<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
) -> AppResult<Option<Vec<String>>> {
    Ok(match user.role {
        Role::Admin => None,
        Role::Reviewer => Some(user.department_code.iter().cloned().collect()),
        Role::Coordinator => Some(gobernacion_of(db, user).await?.into_iter().collect()),
        _ => Some(Vec::new()),
    })
}
