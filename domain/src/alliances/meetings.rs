//! An alliance's tables (mesas de diálogo y coordinación, issue 48): date, modality and place,
//! agenda, who attended (by name and organisation) and what was agreed — each agreement with
//! its owner and due date — and the agreements' follow-up: open, or done on a date with a note;
//! an open one past its due date is overdue.
//!
//! Read by whoever reads the alliance ([`super::find_visible`], 404 otherwise); recorded and
//! followed up by whoever keeps it and by its lead provider's coordinators
//! ([`super::records_meetings`], 403 for the other readers).

use super::{find_visible, records_meetings};
use crate::accounts::actor::Actor;
use crate::assistance::agreements::AgreementWords;
use crate::audit::{self, Change};
use crate::entities::values::{AllianceAgreementStatus, Modality};
use crate::entities::{alliance_agreement, alliance_meeting, alliance_meeting_attendee};
use crate::error::{AppError, AppResult, FieldError};
use crate::rows::Found;
use crate::validate;
use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// At most this many attendees or agreements per table.
pub const PER_MEETING_MAX: usize = 200;

/// Someone who attended a table.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = AllianceMeetingAttendeeInput)]
pub struct AttendeeInput {
    #[schema(max_length = 160, example = "Marta Lucía Rincón")]
    pub name: Option<String>,
    #[schema(max_length = 160, example = "Universidad de la Amazonia")]
    pub organisation: Option<String>,
}

/// What a table agreed.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = AllianceAgreementInput)]
pub struct AgreementInput {
    #[schema(max_length = 500)]
    pub text: Option<String>,
    /// Who answers for it (an organisation, a unit, a role), as typed.
    #[schema(max_length = 160)]
    pub owner: Option<String>,
    /// On or after the table's date.
    #[schema(value_type = Option<NaiveDate>)]
    pub due_on: Option<String>,
}

/// A table to record.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = AllianceMeetingInput)]
pub struct MeetingInput {
    /// The day it was held (not in the future).
    #[schema(value_type = Option<NaiveDate>)]
    pub date: Option<String>,
    /// `presencial` (the default), `virtual` or `mixta`.
    #[schema(value_type = Option<Modality>)]
    pub modality: Option<String>,
    /// Where it was held (or the link's platform).
    #[schema(max_length = 160)]
    pub place: Option<String>,
    #[schema(max_length = 4000)]
    pub agenda: Option<String>,
    /// At least one.
    #[schema(max_items = 200)]
    pub attendees: Option<Vec<AttendeeInput>>,
    #[schema(max_items = 200)]
    pub agreements: Option<Vec<AgreementInput>>,
}

/// A table's agreements: «acuerdos» made at «la mesa».
const TABLE_WORDS: AgreementWords = AgreementWords {
    noun: "acuerdo",
    made_at: "la mesa",
};

/// A change of an agreement's follow-up.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = AllianceAgreementPatch)]
pub struct AgreementPatch {
    /// `open` or `done`. Required.
    #[schema(value_type = Option<AllianceAgreementStatus>)]
    pub status: Option<String>,
    /// When `done`: the day (not in the future, not before its table); today when absent.
    #[schema(value_type = Option<NaiveDate>)]
    pub done_on: Option<String>,
    /// When `done`: what was done (optional).
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = AllianceMeetingAttendee)]
pub struct AttendeeView {
    pub name: String,
    pub organisation: String,
}

/// An agreement and its follow-up. `overdue`: open past its due date.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = AllianceAgreement)]
pub struct AgreementView {
    pub id: i32,
    pub meeting_id: i32,
    pub text: String,
    pub owner: String,
    pub due_on: NaiveDate,
    pub status: AllianceAgreementStatus,
    /// «Abierto» or «Cumplido».
    pub status_label: &'static str,
    pub done_on: Option<NaiveDate>,
    pub note: Option<String>,
    pub overdue: bool,
}

impl AgreementView {
    fn of(a: alliance_agreement::Model, today: NaiveDate) -> Self {
        AgreementView {
            overdue: a.status == AllianceAgreementStatus::Open && a.due_on < today,
            status_label: a.status.label(),
            id: a.id,
            meeting_id: a.meeting_id,
            text: a.text,
            owner: a.owner,
            due_on: a.due_on,
            status: a.status,
            done_on: a.done_on,
            note: a.note,
        }
    }
}

/// A table as the API and the pages show it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = AllianceMeeting)]
pub struct MeetingView {
    pub id: i32,
    pub alliance_id: i32,
    pub date: NaiveDate,
    pub modality: Modality,
    /// «Presencial», «Virtual», «Mixta».
    pub modality_label: &'static str,
    pub place: Option<String>,
    pub agenda: String,
    pub attendees: Vec<AttendeeView>,
    pub agreements: Vec<AgreementView>,
}

/// An open agreement with the day of its table: what the alliance's page lists first.
#[derive(Clone, Debug, Serialize)]
pub struct OpenAgreement {
    pub meeting_date: NaiveDate,
    #[serde(flatten)]
    pub agreement: AgreementView,
}

fn required_line(
    field: &str,
    value: Option<&str>,
    missing: &str,
    max: usize,
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

/// A table checked, ready to write.
struct Checked {
    date: NaiveDate,
    modality: Modality,
    place: Option<String>,
    agenda: String,
    attendees: Vec<(String, String)>,
    agreements: Vec<(String, String, NaiveDate)>,
}

fn check(input: &MeetingInput) -> AppResult<Checked> {
    let mut errors = Vec::new();
    let attendees_sent = input.attendees.as_deref().unwrap_or_default();
    let agreements_sent = input.agreements.as_deref().unwrap_or_default();
    for (field, len) in [
        ("attendees", attendees_sent.len()),
        ("agreements", agreements_sent.len()),
    ] {
        if len > PER_MEETING_MAX {
            errors.push(FieldError::new(
                field,
                format!("Una mesa tiene máximo {PER_MEETING_MAX} elementos en esta lista."),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let date = crate::parse::date("date", input.date.as_deref(), true, &mut errors);
    if date.is_some_and(|d| d > crate::time::today()) {
        errors.push(FieldError::new(
            "date",
            "Una mesa se registra cuando ya se realizó: la fecha no puede ser futura.",
        ));
    }
    let modality = match input.modality.as_deref().map(str::trim) {
        None | Some("") => Modality::Presencial,
        Some(text) => Modality::parse(text).unwrap_or_else(|| {
            errors.push(FieldError::new(
                "modality",
                "La modalidad debe ser presencial, virtual o mixta.",
            ));
            Modality::Presencial
        }),
    };
    let place = match validate::single_line(
        "place",
        input.place.as_deref().unwrap_or(""),
        validate::TITLE_MAX,
    ) {
        Ok(place) => place,
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let agenda = match validate::multi_line(
        "agenda",
        input.agenda.as_deref().unwrap_or(""),
        validate::DESCRIPTION_MAX,
    ) {
        Ok(Some(text)) => Some(text),
        Ok(None) => {
            errors.push(FieldError::new("agenda", "Escriba la agenda de la mesa."));
            None
        }
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let mut attendees = Vec::new();
    if attendees_sent.is_empty() {
        errors.push(FieldError::new(
            "attendees",
            "Registre al menos un asistente de la mesa, con su organización.",
        ));
    }
    for (n, a) in attendees_sent.iter().enumerate() {
        let name = required_line(
            &format!("attendees[{n}].name"),
            a.name.as_deref(),
            "Escriba el nombre de quien asistió.",
            validate::FULL_NAME_MAX,
            &mut errors,
        );
        let organisation = required_line(
            &format!("attendees[{n}].organisation"),
            a.organisation.as_deref(),
            "Escriba la organización de quien asistió.",
            validate::TITLE_MAX,
            &mut errors,
        );
        if let (Some(name), Some(organisation)) = (name, organisation) {
            attendees.push((name, organisation));
        }
    }
    let mut agreements = Vec::new();
    for (n, a) in agreements_sent.iter().enumerate() {
        let text = required_line(
            &format!("agreements[{n}].text"),
            a.text.as_deref(),
            "Escriba el acuerdo.",
            validate::REASON_MAX,
            &mut errors,
        );
        let owner = required_line(
            &format!("agreements[{n}].owner"),
            a.owner.as_deref(),
            "Indique quién es responsable del acuerdo.",
            validate::TITLE_MAX,
            &mut errors,
        );
        let field = format!("agreements[{n}].due_on");
        let due = crate::parse::date(&field, a.due_on.as_deref(), true, &mut errors);
        if a.due_on.as_deref().map(str::trim).is_none_or(str::is_empty)
            && let Some(e) = errors.iter_mut().find(|e| e.field == field)
        {
            e.message = "Indique la fecha límite del acuerdo (AAAA-MM-DD).".into();
        }
        if let (Some(due), Some(date)) = (due, date)
            && due < date
        {
            errors.push(FieldError::new(
                &field,
                format!(
                    "La fecha límite no puede ser anterior a la mesa ({}).",
                    crate::format::date(date)
                ),
            ));
            continue;
        }
        if let (Some(text), Some(owner), Some(due)) = (text, owner, due) {
            agreements.push((text, owner, due));
        }
    }
    let (Some(date), Some(agenda), true) = (date, agenda, errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    Ok(Checked {
        date,
        modality,
        place,
        agenda,
        attendees,
        agreements,
    })
}

/// Records a table of alliance `alliance_id`, every problem at once (422): a date not in the
/// future, the agenda, at least one attendee with name and organisation, each agreement with
/// its text, owner and a due date on or after the table. 404 when the caller does not read
/// the alliance; 403 when it reads it only. Audited.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    alliance_id: i32,
    input: &MeetingInput,
) -> AppResult<MeetingView> {
    let alliance = find_visible(db, user, alliance_id).await?;
    if !records_meetings(db, user, &alliance).await? {
        return Err(AppError::Forbidden);
    }
    let checked = check(input)?;
    let saved = alliance_meeting::ActiveModel {
        alliance_id: Set(alliance_id),
        date: Set(checked.date),
        modality: Set(checked.modality),
        place: Set(checked.place),
        agenda: Set(checked.agenda),
        created_by: Set(Some(user.id)),
        created_at: Set(crate::time::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    for (full_name, organisation) in checked.attendees {
        alliance_meeting_attendee::ActiveModel {
            meeting_id: Set(saved.id),
            full_name: Set(full_name),
            organisation: Set(organisation),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    for (text, owner, due_on) in checked.agreements {
        alliance_agreement::ActiveModel {
            meeting_id: Set(saved.id),
            text: Set(text),
            owner: Set(owner),
            due_on: Set(due_on),
            status: Set(AllianceAgreementStatus::Open),
            done_on: Set(None),
            note: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    let view = views(db, vec![saved]).await?.remove(0);
    audit::record(
        db,
        Change {
            actor: Some(user.id),
            action: "alliance.meeting_recorded",
            subject_type: "alliance",
            subject_id: alliance_id.to_string(),
            before: None,
            after: serde_json::to_value(&view).ok(),
        },
    )
    .await?;
    Ok(view)
}

/// The tables of alliance `alliance_id` (404 when the caller does not read it), newest first.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    alliance_id: i32,
) -> AppResult<Vec<MeetingView>> {
    find_visible(db, user, alliance_id).await?;
    let rows = alliance_meeting::Entity::find()
        .filter(alliance_meeting::Column::AllianceId.eq(alliance_id))
        .order_by_desc(alliance_meeting::Column::Date)
        .order_by_desc(alliance_meeting::Column::Id)
        .all(db)
        .await?;
    views(db, rows).await
}

async fn views<C: ConnectionTrait>(
    db: &C,
    rows: Vec<alliance_meeting::Model>,
) -> AppResult<Vec<MeetingView>> {
    let ids: Vec<i32> = rows.iter().map(|m| m.id).collect();
    let mut attendees: HashMap<i32, Vec<AttendeeView>> = HashMap::new();
    for a in alliance_meeting_attendee::Entity::find()
        .filter(alliance_meeting_attendee::Column::MeetingId.is_in(ids.clone()))
        .order_by_asc(alliance_meeting_attendee::Column::Id)
        .all(db)
        .await?
    {
        attendees
            .entry(a.meeting_id)
            .or_default()
            .push(AttendeeView {
                name: a.full_name,
                organisation: a.organisation,
            });
    }
    let today = crate::time::today();
    let mut agreements: HashMap<i32, Vec<AgreementView>> = HashMap::new();
    for a in alliance_agreement::Entity::find()
        .filter(alliance_agreement::Column::MeetingId.is_in(ids))
        .order_by_asc(alliance_agreement::Column::Id)
        .all(db)
        .await?
    {
        agreements
            .entry(a.meeting_id)
            .or_default()
            .push(AgreementView::of(a, today));
    }
    Ok(rows
        .into_iter()
        .map(|m| MeetingView {
            attendees: attendees.remove(&m.id).unwrap_or_default(),
            agreements: agreements.remove(&m.id).unwrap_or_default(),
            id: m.id,
            alliance_id: m.alliance_id,
            date: m.date,
            modality: m.modality,
            modality_label: m.modality.label(),
            place: m.place,
            agenda: m.agenda,
        })
        .collect())
}

/// The open agreements of `meetings` (as [`list`] gave them), the soonest due first.
pub fn open_agreements(meetings: &[MeetingView]) -> Vec<OpenAgreement> {
    let mut open: Vec<OpenAgreement> = meetings
        .iter()
        .flat_map(|m| {
            m.agreements
                .iter()
                .filter(|a| a.status == AllianceAgreementStatus::Open)
                .map(|a| OpenAgreement {
                    meeting_date: m.date,
                    agreement: a.clone(),
                })
        })
        .collect();
    open.sort_by(|a, b| {
        a.agreement
            .due_on
            .cmp(&b.agreement.due_on)
            .then(a.agreement.id.cmp(&b.agreement.id))
    });
    open
}

/// A table's agreement around a change, with its alliance (`alliance.agreement_changed`).
#[derive(Serialize)]
struct AgreementAudit<'a> {
    alliance: i32,
    agreement: &'a AgreementView,
}

/// Changes the follow-up of agreement `agreement_id` of table `meeting_id` of alliance
/// `alliance_id`: `done` on a day (today when absent; not in the future, not before its table)
/// with an optional note, or `open` again. 404 when the caller does not read the alliance or the
/// agreement is not of that table; 403 when it reads it only; 422 with every problem. Audited
/// with its state before and after.
pub async fn change_agreement<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    alliance_id: i32,
    meeting_id: i32,
    agreement_id: i32,
    input: &AgreementPatch,
) -> AppResult<AgreementView> {
    let alliance = find_visible(db, user, alliance_id).await?;
    let meeting = alliance_meeting::Entity::find_by_id(meeting_id)
        .filter(alliance_meeting::Column::AllianceId.eq(alliance_id))
        .found(db)
        .await?;
    let row = alliance_agreement::Entity::find_by_id(agreement_id)
        .filter(alliance_agreement::Column::MeetingId.eq(meeting_id))
        .found(db)
        .await?;
    if !records_meetings(db, user, &alliance).await? {
        return Err(AppError::Forbidden);
    }
    let mut errors = Vec::new();
    let status = match input.status.as_deref().map(str::trim) {
        None | Some("") => {
            errors.push(FieldError::new(
                "status",
                "Elija el estado del acuerdo: abierto o cumplido.",
            ));
            None
        }
        Some(text) => AllianceAgreementStatus::parse(text).or_else(|| {
            errors.push(FieldError::new(
                "status",
                "El estado del acuerdo debe ser abierto o cumplido.",
            ));
            None
        }),
    };
    let today = crate::time::today();
    let mut done_on = None;
    let mut note = None;
    if status == Some(AllianceAgreementStatus::Done) {
        // The visits' rule, in the tables' words (issue 63).
        (done_on, note) = crate::assistance::agreements::done(
            input.done_on.as_deref(),
            input.note.as_deref(),
            meeting.date,
            today,
            &TABLE_WORDS,
            &mut errors,
        );
    }
    let Some(status) = status.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let before = AgreementView::of(row.clone(), today);
    let mut model: alliance_agreement::ActiveModel = row.into();
    model.status = Set(status);
    model.done_on = Set(done_on);
    model.note = Set(note);
    model.status_changed_by = Set(Some(user.id));
    model.status_changed_at = Set(Some(crate::time::now()));
    let saved = AgreementView::of(model.update(db).await?, today);
    audit::record(
        db,
        Change {
            actor: Some(user.id),
            action: "alliance.agreement_changed",
            subject_type: "alliance_agreement",
            subject_id: agreement_id.to_string(),
            before: serde_json::to_value(AgreementAudit {
                alliance: alliance_id,
                agreement: &before,
            })
            .ok(),
            after: serde_json::to_value(AgreementAudit {
                alliance: alliance_id,
                agreement: &saved,
            })
            .ok(),
        },
    )
    .await?;
    Ok(saved)
}

/// The table and alliance agreement `agreement_id` belongs to, if `user` reads the alliance
/// (404 otherwise): where the page's follow-up form goes back to.
pub async fn place_of<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    agreement_id: i32,
) -> AppResult<(i32, i32)> {
    let row = alliance_agreement::Entity::find_by_id(agreement_id)
        .found(db)
        .await?;
    let meeting = alliance_meeting::Entity::find_by_id(row.meeting_id)
        .found(db)
        .await?;
    find_visible(db, user, meeting.alliance_id).await?;
    Ok((meeting.alliance_id, meeting.id))
}
