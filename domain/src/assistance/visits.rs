//! The visits (or remote sessions) of an assistance: date, modality, hours, topics, who
//! attended (registered participants or officials named there), the agreements made
//! (compromisos, with their owner and due date) and the products handed over.

use super::find_managed;
use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::entities::values::{AgreementStatus, AssistanceStatus, Modality, ProductKind};
use crate::entities::{
    assistance_visit, participant, visit_agreement, visit_attendee, visit_product,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::validate;
use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// At most this many attendees, agreements or products per visit.
const PER_VISIT_MAX: usize = 200;

/// Someone who attended: a registered participant (`participant_id`), or an official named
/// there (`full_name`, `position`, optionally `document_number`).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct AttendeeInput {
    pub participant_id: Option<i32>,
    #[schema(max_length = 160)]
    pub full_name: Option<String>,
    #[schema(max_length = 160)]
    pub position: Option<String>,
    pub document_number: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct AgreementInput {
    #[schema(max_length = 500)]
    pub text: Option<String>,
    #[schema(max_length = 160)]
    pub owner: Option<String>,
    #[schema(value_type = Option<NaiveDate>)]
    pub due_on: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ProductInput {
    #[schema(max_length = 160)]
    pub title: Option<String>,
    /// `herramienta`, `documento`, `plantilla` or `otro`.
    #[schema(value_type = Option<ProductKind>)]
    pub kind: Option<String>,
}

/// A visit to record.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct VisitInput {
    #[schema(value_type = Option<NaiveDate>)]
    pub date: Option<String>,
    #[schema(value_type = Option<Modality>)]
    pub modality: Option<String>,
    /// Hours spent, e.g. 3 or 2.5 (0.1 to 24).
    #[schema(minimum = 0.1, maximum = 24)]
    pub hours: Option<f64>,
    #[schema(max_length = 4000)]
    pub topics: Option<String>,
    #[schema(max_items = 200)]
    pub attendees: Option<Vec<AttendeeInput>>,
    #[schema(max_items = 200)]
    pub agreements: Option<Vec<AgreementInput>>,
    #[schema(max_items = 200)]
    pub products: Option<Vec<ProductInput>>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AttendeeView {
    pub participant_id: Option<i32>,
    pub full_name: String,
    pub position: Option<String>,
}

/// An agreement and its state (issue 49): `pending`; `done` on `done_on`, with an optional
/// `note`; `dropped` with its `reason`. `overdue`: pending past its due date.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = VisitAgreement)]
pub struct AgreementView {
    pub id: i32,
    pub text: String,
    pub owner: String,
    pub due_on: NaiveDate,
    pub status: AgreementStatus,
    /// «Pendiente», «Cumplido» or «Descartado».
    pub status_label: &'static str,
    pub done_on: Option<NaiveDate>,
    pub note: Option<String>,
    pub reason: Option<String>,
    pub overdue: bool,
}

impl AgreementView {
    pub fn of(a: visit_agreement::Model, today: NaiveDate) -> Self {
        AgreementView {
            overdue: a.status == AgreementStatus::Pending && a.due_on < today,
            status_label: a.status.label(),
            id: a.id,
            text: a.text,
            owner: a.owner,
            due_on: a.due_on,
            status: a.status,
            done_on: a.done_on,
            note: a.note,
            reason: a.reason,
        }
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProductView {
    /// The product's id (a resource of the knowledge bank may be this product:
    /// `visit_product_id`, issue 48).
    pub id: i32,
    pub title: String,
    pub kind: ProductKind,
    pub kind_label: &'static str,
}

/// A visit as the API and the pages show it (document numbers are never shown).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = AssistanceVisit)]
pub struct VisitView {
    pub id: i32,
    pub date: NaiveDate,
    pub modality: Modality,
    pub hours: f64,
    pub topics: String,
    pub attendees: Vec<AttendeeView>,
    pub agreements: Vec<AgreementView>,
    pub products: Vec<ProductView>,
}

fn required_line(
    field: &str,
    value: Option<&str>,
    max: usize,
    missing: &str,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let checked = validate::single_line(field, value.unwrap_or(""), max);
    validate::required(field, checked, missing, errors)
}

/// Records a visit of an assistance the caller manages, with every problem at once: a date
/// within the assistance's span (422), an assistance not closed or cancelled (409), hours from
/// 0.1 to 24, topics, and each attendee, agreement and product complete. Audited.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    assistance_id: i32,
    input: &VisitInput,
) -> AppResult<VisitView> {
    let assistance = find_managed(db, user, assistance_id).await?;
    if assistance.status.is_final() {
        return Err(AppError::Conflict(format!(
            "La asistencia está {}: no se registran más visitas.",
            assistance.status.label().to_lowercase()
        )));
    }
    let checked = check(db, user, &Span::of(&assistance), input).await?;
    write(db, user, &assistance, checked).await
}

/// The dates and modality of an assistance that a visit is checked against (one recorded, or
/// one an import is about to create).
#[derive(Clone, Copy, Debug)]
pub struct Span {
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub modality: Modality,
}

impl Span {
    pub fn of(assistance: &crate::entities::assistance::Model) -> Self {
        Span {
            starts_on: assistance.starts_on,
            ends_on: assistance.ends_on,
            modality: assistance.modality,
        }
    }
}

/// An attendee checked: the participant (when named by id), name, position, document.
type Attendee = (Option<i32>, String, Option<String>, Option<String>);

/// A visit checked, ready to write.
pub struct CheckedVisit {
    pub date: NaiveDate,
    modality: Modality,
    hours_tenths: i32,
    topics: String,
    attendees: Vec<Attendee>,
    agreements: Vec<(String, String, NaiveDate)>,
    products: Vec<(String, ProductKind)>,
}

/// Checks a visit of an assistance spanning `assistance` by the rules of [`record`], writing
/// nothing: every problem at once (422). The import of assistances checks its rows with it.
pub async fn check<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    assistance: &Span,
    input: &VisitInput,
) -> AppResult<CheckedVisit> {
    check_list_sizes(input)?;
    let mut errors = Vec::new();
    let date = check_date(input, assistance, &mut errors);
    let modality = match input.modality.as_deref().map(str::trim) {
        None | Some("") => assistance.modality,
        Some(text) => Modality::parse(text).unwrap_or_else(|| {
            errors.push(FieldError::new(
                "modality",
                "La modalidad debe ser presencial, virtual o mixta.",
            ));
            assistance.modality
        }),
    };
    let hours_tenths = match input.hours {
        Some(h) if h.is_finite() && (0.1..=24.0).contains(&h) => Some((h * 10.0).round() as i32),
        _ => {
            errors.push(FieldError::new(
                "hours",
                "Indique las horas de la visita, de 0,1 a 24.",
            ));
            None
        }
    };
    let topics = match validate::multi_line(
        "topics",
        input.topics.as_deref().unwrap_or(""),
        validate::DESCRIPTION_MAX,
    ) {
        Ok(Some(t)) => Some(t),
        Ok(None) => {
            errors.push(FieldError::new("topics", "Escriba los temas tratados."));
            None
        }
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let attendees = check_attendees(db, user, input, &mut errors).await?;
    let agreements = check_agreements(input, &mut errors);
    let products = check_products(input, &mut errors);
    let (Some(date), Some(hours_tenths), Some(topics), true) =
        (date, hours_tenths, topics, errors.is_empty())
    else {
        return Err(AppError::Validation(errors));
    };
    Ok(CheckedVisit {
        date,
        modality,
        hours_tenths,
        topics,
        attendees,
        agreements,
        products,
    })
}

/// Lists of at most [`PER_VISIT_MAX`] items (422 before anything else is read).
fn check_list_sizes(input: &VisitInput) -> AppResult<()> {
    let mut errors = Vec::new();
    for (field, len) in [
        ("attendees", input.attendees.as_ref().map_or(0, Vec::len)),
        ("agreements", input.agreements.as_ref().map_or(0, Vec::len)),
        ("products", input.products.as_ref().map_or(0, Vec::len)),
    ] {
        if len > PER_VISIT_MAX {
            errors.push(FieldError::new(
                field,
                format!("Una visita tiene máximo {PER_VISIT_MAX} elementos en esta lista."),
            ));
        }
    }
    match errors.is_empty() {
        true => Ok(()),
        false => Err(AppError::Validation(errors)),
    }
}

/// The visit's date: within the assistance's span, not in the future.
fn check_date(
    input: &VisitInput,
    assistance: &Span,
    errors: &mut Vec<FieldError>,
) -> Option<NaiveDate> {
    let date = crate::parse::date("date", input.date.as_deref(), true, errors);
    if let Some(d) = date
        && (d < assistance.starts_on || d > assistance.ends_on)
    {
        errors.push(FieldError::new(
            "date",
            format!(
                "La visita debe caer entre el {} y el {}, las fechas de la asistencia.",
                crate::format::date(assistance.starts_on),
                crate::format::date(assistance.ends_on)
            ),
        ));
    }
    if date.is_some_and(|d| d > crate::time::today()) {
        errors.push(FieldError::new(
            "date",
            "Una visita se registra cuando ya ocurrió: la fecha no puede ser futura.",
        ));
    }
    date
}

/// The attendees. A registered person is named by id only when the caller reaches her
/// (`people::scope::reaches`, issue 46): her name and position are copied into the visit,
/// which every reader of the assistance sees. Anyone else, known or not, gets the same
/// refusal, which names nobody.
async fn check_attendees<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    input: &VisitInput,
    errors: &mut Vec<FieldError>,
) -> AppResult<Vec<Attendee>> {
    let mut reached: HashMap<i32, Option<participant::Model>> = HashMap::new();
    for id in input
        .attendees
        .iter()
        .flatten()
        .filter_map(|a| a.participant_id)
    {
        if reached.contains_key(&id) {
            continue;
        }
        let person = match crate::people::scope::reaches(db, user, id).await? {
            true => participant::Entity::find_by_id(id).one(db).await?,
            false => None,
        };
        reached.insert(id, person);
    }
    let attendees = check_each(&input.attendees, "attendees", |field, a| {
        let Some(id) = a.participant_id else {
            return typed_attendee(a, field, errors);
        };
        match reached.get(&id).and_then(Option::as_ref) {
            Some(p) => Some((Some(id), p.full_name(), p.position.clone(), None)),
            None => {
                errors.push(FieldError::new(
                    format!("{field}.participant_id"),
                    "No puede nombrar a esta persona por su número de participante: solo a \
                     personas de su alcance. Escriba su nombre y cargo.",
                ));
                None
            }
        }
    });
    Ok(attendees)
}

/// An attendee typed by name (at `field`): the name, a position, a document without dots.
fn typed_attendee(
    a: &AttendeeInput,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Attendee> {
    let name = required_line(
        field,
        a.full_name.as_deref(),
        validate::FULL_NAME_MAX,
        "Escriba el nombre de quien asistió.",
        errors,
    );
    let position = match validate::single_line(
        field,
        a.position.as_deref().unwrap_or(""),
        validate::TITLE_MAX,
    ) {
        Ok(p) => p,
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let document = match a.document_number.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) if text.len() <= 20 && text.chars().all(|c| c.is_ascii_alphanumeric()) => {
            Some(text.to_string())
        }
        Some(_) => {
            errors.push(FieldError::new(
                field,
                "El documento va sin puntos ni espacios (máximo 20 letras o dígitos).",
            ));
            None
        }
    };
    name.map(|name| (None, name, position, document))
}

/// The agreements: each with its text, who is responsible and a due date.
fn check_agreements(
    input: &VisitInput,
    errors: &mut Vec<FieldError>,
) -> Vec<(String, String, NaiveDate)> {
    check_each(&input.agreements, "agreements", |field, a| {
        let text = required_line(
            field,
            a.text.as_deref(),
            validate::REASON_MAX,
            "Escriba el compromiso.",
            errors,
        );
        let owner = required_line(
            field,
            a.owner.as_deref(),
            validate::TITLE_MAX,
            "Indique quién es responsable del compromiso.",
            errors,
        );
        let due = crate::parse::date(field, a.due_on.as_deref(), true, errors);
        Some((text?, owner?, due?))
    })
}

/// The products handed over: each with its title and kind (otro when not said).
fn check_products(input: &VisitInput, errors: &mut Vec<FieldError>) -> Vec<(String, ProductKind)> {
    check_each(&input.products, "products", |field, p| {
        let title = required_line(
            field,
            p.title.as_deref(),
            validate::TITLE_MAX,
            "Escriba el nombre del producto entregado.",
            errors,
        );
        let kind = match p.kind.as_deref().map(str::trim) {
            None | Some("") => ProductKind::Otro,
            Some(text) => ProductKind::parse(text).unwrap_or_else(|| {
                errors.push(FieldError::new(
                    field,
                    "El tipo debe ser herramienta, documento, plantilla u otro.",
                ));
                ProductKind::Otro
            }),
        };
        Some((title?, kind))
    })
}

/// Each item of a list checked by `check`, which gets the item's field name (`name[n]`) and
/// records its problems; the items that pass, in their order.
fn check_each<T, R>(
    items: &Option<Vec<T>>,
    name: &str,
    mut check: impl FnMut(&str, &T) -> Option<R>,
) -> Vec<R> {
    items
        .iter()
        .flatten()
        .enumerate()
        .filter_map(|(n, item)| check(&format!("{name}[{n}]"), item))
        .collect()
}

/// Writes a checked visit of `assistance` (which it starts when planned), audited.
async fn write<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    assistance: &crate::entities::assistance::Model,
    checked: CheckedVisit,
) -> AppResult<VisitView> {
    let assistance_id = assistance.id;
    let CheckedVisit {
        date,
        modality,
        hours_tenths,
        topics,
        attendees,
        agreements,
        products,
    } = checked;
    let saved = assistance_visit::ActiveModel {
        assistance_id: Set(assistance_id),
        date: Set(date),
        modality: Set(modality),
        hours_tenths: Set(hours_tenths),
        topics: Set(topics),
        created_by: Set(Some(user.id)),
        created_at: Set(crate::time::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    for (participant_id, full_name, position, document_number) in attendees {
        visit_attendee::ActiveModel {
            visit_id: Set(saved.id),
            participant_id: Set(participant_id),
            full_name: Set(full_name),
            position: Set(position),
            document_number: Set(document_number),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    for (text, owner, due_on) in agreements {
        visit_agreement::ActiveModel {
            visit_id: Set(saved.id),
            text: Set(text),
            owner: Set(owner),
            due_on: Set(due_on),
            done_on: Set(None),
            status: Set(AgreementStatus::Pending),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    for (title, kind) in products {
        visit_product::ActiveModel {
            visit_id: Set(saved.id),
            title: Set(title),
            kind: Set(kind),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    crate::figures::assistance::refresh(db, crate::figures::assistance::place_of(assistance))
        .await?;
    // The first visit starts a planned assistance whose work plan the entity accepted (issue
    // 49); before that a visit (the diagnosis's, say) leaves it planned.
    if assistance.status == AssistanceStatus::Planned
        && super::agreed::agreed(db, assistance.id).await?
    {
        let mut model: crate::entities::assistance::ActiveModel = assistance.clone().into();
        model.status = Set(AssistanceStatus::InProgress);
        model.updated_at = Set(crate::time::now());
        model.update(db).await?;
    }
    let view = list(db, assistance_id)
        .await?
        .into_iter()
        .find(|v| v.id == saved.id)
        .ok_or(AppError::NotFound)?;
    audit::record(
        db,
        Change {
            actor: Some(user.id),
            action: "assistance.visit_recorded",
            subject_type: "assistance",
            subject_id: assistance_id.to_string(),
            before: None,
            after: serde_json::to_value(&view).ok(),
        },
    )
    .await?;
    Ok(view)
}

/// The visits of an assistance, newest first.
pub async fn list<C: ConnectionTrait>(db: &C, assistance_id: i32) -> AppResult<Vec<VisitView>> {
    let visits = assistance_visit::Entity::find()
        .filter(assistance_visit::Column::AssistanceId.eq(assistance_id))
        .order_by_desc(assistance_visit::Column::Date)
        .order_by_desc(assistance_visit::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i32> = visits.iter().map(|v| v.id).collect();
    let mut attendees: HashMap<i32, Vec<AttendeeView>> = HashMap::new();
    for a in visit_attendee::Entity::find()
        .filter(visit_attendee::Column::VisitId.is_in(ids.clone()))
        .order_by_asc(visit_attendee::Column::Id)
        .all(db)
        .await?
    {
        attendees.entry(a.visit_id).or_default().push(AttendeeView {
            participant_id: a.participant_id,
            full_name: a.full_name,
            position: a.position,
        });
    }
    let mut agreements: HashMap<i32, Vec<AgreementView>> = HashMap::new();
    let today = crate::time::today();
    for a in visit_agreement::Entity::find()
        .filter(visit_agreement::Column::VisitId.is_in(ids.clone()))
        .order_by_asc(visit_agreement::Column::Id)
        .all(db)
        .await?
    {
        agreements
            .entry(a.visit_id)
            .or_default()
            .push(AgreementView::of(a, today));
    }
    let mut products: HashMap<i32, Vec<ProductView>> = HashMap::new();
    for p in visit_product::Entity::find()
        .filter(visit_product::Column::VisitId.is_in(ids))
        .order_by_asc(visit_product::Column::Id)
        .all(db)
        .await?
    {
        products.entry(p.visit_id).or_default().push(ProductView {
            id: p.id,
            kind_label: p.kind.label(),
            title: p.title,
            kind: p.kind,
        });
    }
    Ok(visits
        .into_iter()
        .map(|v| VisitView {
            attendees: attendees.remove(&v.id).unwrap_or_default(),
            agreements: agreements.remove(&v.id).unwrap_or_default(),
            products: products.remove(&v.id).unwrap_or_default(),
            id: v.id,
            date: v.date,
            modality: v.modality,
            hours: f64::from(v.hours_tenths) / 10.0,
            topics: v.topics,
        })
        .collect())
}
