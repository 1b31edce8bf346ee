//! What people read instead of the codes the product stores (issue 61): the Spanish label of
//! every stored value that has one, and the audit log's actions, subjects and changes in words.
//!
//! [`labelled_values`] is also the list the tests walk the pages with: a page shows a value's
//! label, never the value itself.

use crate::entities::values::*;
use sea_orm::Iterable;
use serde_json::Value;

/// One stored value with its label: its type (`CohortStatus`), the value as stored
/// (`in_progress`) and what people read («En curso»).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Labelled {
    pub kind: &'static str,
    pub value: &'static str,
    pub label: &'static str,
}

macro_rules! labelled {
    ($($kind:ident),+ $(,)?) => {{
        let mut all = Vec::new();
        $(
            for v in $kind::iter() {
                all.push(Labelled { kind: stringify!($kind), value: v.as_str(), label: v.label() });
            }
        )+
        all
    }};
}

/// Every stored value that has a Spanish label, from the types themselves.
pub fn labelled_values() -> Vec<Labelled> {
    labelled!(
        Role,
        ProviderKind,
        AllianceMemberKind,
        AllianceAgreementStatus,
        AssistanceStatus,
        AssistedEntity,
        ProductKind,
        AgreementStatus,
        AcceptanceVia,
        ReplicaAudience,
        ReplicaReview,
        PlanStatus,
        TargetRule,
        BudgetSource,
        CostKind,
        CostBasis,
        CostStage,
        Modality,
        CohortStatus,
        EnrolmentStatus,
        NominationStatus,
        InvitationStatus,
        DemandStatus,
        DemandPriority,
        SurveyKind,
        Application,
    )
}

/// The label of `value` as a field named `key` of a record of `subject` holds it: the status
/// of a cohort is a `CohortStatus`, of a demand a `DemandStatus`; any other field takes the
/// first type that has the value.
fn label_of(subject: &str, key: &str, value: &str) -> Option<&'static str> {
    let all = labelled_values();
    let kind = match (subject, key) {
        ("cohort", "status") => Some("CohortStatus"),
        ("enrolment", "status") => Some("EnrolmentStatus"),
        ("demand", "status") => Some("DemandStatus"),
        ("assistance", "status") => Some("AssistanceStatus"),
        ("visit_agreement", "status") | ("assistance", "agreement_status") => {
            Some("AgreementStatus")
        }
        ("alliance_agreement", "status") => Some("AllianceAgreementStatus"),
        ("plan", "status") => Some("PlanStatus"),
        ("nomination", "status") => Some("NominationStatus"),
        ("enrolment_invitation", "status") => Some("InvitationStatus"),
        ("replica", "status" | "review") => Some("ReplicaReview"),
        (_, "role") => Some("Role"),
        (_, "modality") => Some("Modality"),
        _ => None,
    };
    kind.and_then(|k| all.iter().find(|l| l.kind == k && l.value == value))
        .or_else(|| all.iter().find(|l| l.value == value))
        .map(|l| l.label)
}

/// What a record is, in words: `cohort` → «Cohorte».
pub fn subject_label(subject: &str) -> String {
    let label = match subject {
        "alliance" => "Alianza",
        "alliance_agreement" => "Acuerdo de alianza",
        "assessment" => "Evaluación",
        "assistance" => "Asistencia técnica",
        "capacity" => "Capacidad",
        "certificate" => "Certificado",
        "cohort" => "Cohorte",
        "cost_item" => "Costo",
        "course" => "Curso",
        "demand" => "Demanda",
        "descriptor" => "Descriptor",
        "enrolment" => "Inscripción",
        "enrolment_invitation" => "Invitación a inscribirse",
        "indicator" => "Indicador",
        "nomination" => "Postulación",
        "outbox" => "Correo",
        "participant" => "Persona",
        "plan" => "Plan",
        "provider" => "Oferente",
        "replica" => "Réplica",
        "replicator" => "Replicador",
        "resource" => "Recurso del banco",
        "session" => "Sesión",
        "territorial_direction" => "Dirección territorial",
        "user" => "Usuario",
        "visit_agreement" => "Compromiso de visita",
        other => return words_of(other),
    };
    label.to_string()
}

/// What was done, in words: `cohort.status_changed` → «Cambio de estado».
pub fn action_label(action: &str) -> String {
    let verb = action.rsplit('.').next().unwrap_or(action);
    let label = match verb {
        "created" => "Creación",
        "updated" | "changed" => "Cambio",
        "deleted" => "Eliminación",
        "status_changed" => "Cambio de estado",
        "agreement_status_changed" => "Cambio de estado de un compromiso",
        "agreement_changed" => "Cambio de un acuerdo",
        "meeting_recorded" => "Mesa registrada",
        "contact_confirmed" => "Contacto confirmado",
        "diagnosis_recorded" => "Diagnóstico registrado",
        "evaluated" => "Evaluación de la entidad",
        "milestone_added" => "Hito agregado",
        "milestone_marked" => "Hito marcado",
        "visit_recorded" => "Visita registrada",
        "work_plan_accepted" => "Plan de trabajo aceptado",
        "work_plan_written" => "Plan de trabajo escrito",
        "marked" => "Asistencia marcada",
        "issued" => "Expedición",
        "reissued" => "Nueva expedición",
        "revoked" => "Revocación",
        "reopened" => "Reapertura",
        "imported" => "Importación",
        "retired" => "Retiro",
        "declined" => "Rechazo",
        "endorsed" => "Respaldo",
        "met" => "Atendida",
        "planned" => "Planeada",
        "referred" => "Remitida",
        "replanned" => "Planeada de nuevo",
        "admitted_from_waitlist" => "Admitida desde la lista de espera",
        "at_risk" => "En riesgo",
        "cancelled" => "Cancelación",
        "completed" => "Completó",
        "created_with_override" => "Inscripción con excepción",
        "not_completed" => "No completó",
        "promoted" => "Pasó de la lista de espera",
        "accepted" => "Aceptación",
        "confirmed" => "Confirmación",
        "named" => "Designación",
        "retried" => "Reintento",
        "corrected" => "Corrección",
        "name_change_approved" => "Cambio de nombre aprobado",
        "name_change_rejected" => "Cambio de nombre rechazado",
        "name_change_requested" => "Cambio de nombre pedido",
        "profile_updated" => "Perfil actualizado",
        "registered" => "Registro",
        "amended" => "Modificación",
        "approved" => "Aprobación",
        "line_added" => "Línea agregada",
        "line_changed" => "Línea cambiada",
        "recorded" => "Registro",
        "rejected" => "Rechazo",
        "until_changed" => "Cambio de vigencia",
        "published" => "Publicación",
        "unpublished" => "Retiro de la publicación",
        "generated" => "Generación",
        "activated" => "Activación",
        "deactivated" => "Desactivación",
        "email_change_requested" => "Cambio de correo pedido",
        "email_change_undone" => "Cambio de correo deshecho",
        "email_changed" => "Cambio de correo",
        "liaison_proposed" | "liaison_proposed_existing" => "Enlace propuesto",
        "password_reset" => "Contraseña restablecida",
        "role_changed" => "Cambio de rol",
        other => return words_of(other),
    };
    label.to_string()
}

/// A code without a label here, as words («some_field» → «some field»): never the bare code.
fn words_of(code: &str) -> String {
    let text = code.replace(['_', '.'], " ");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A field's name in words.
fn key_label(key: &str) -> String {
    let label = match key {
        "status" => "estado",
        "name" => "nombre",
        "full_name" => "nombre",
        "email" => "correo",
        "role" => "rol",
        "active" => "activo",
        "seats" => "cupos",
        "modality" => "modalidad",
        "start_date" => "inicio",
        "end_date" => "fin",
        "enrolment_opens" => "inscripciones desde",
        "enrolment_closes" => "inscripciones hasta",
        "venue" => "lugar",
        "meeting_url" => "enlace de la sala",
        "location" => "lugar o enlace",
        "place" => "lugar",
        "own_modality" => "modalidad propia",
        "lti_link_id" => "aula virtual",
        "launch_url" => "página del aula virtual",
        "reason" => "motivo",
        "note" => "nota",
        "done_on" => "cumplido el",
        "due_on" => "fecha límite",
        "date" => "fecha",
        "amount" => "valor",
        "kind" => "tipo",
        "basis" => "base",
        "stage" => "etapa",
        "title" => "título",
        "topic" => "tema",
        "score" => "nota",
        "mark" => "marca",
        "code" => "código",
        "municipality_code" => "municipio",
        "department_code" => "departamento",
        "course_id" => "curso",
        "cohort_id" => "cohorte",
        "cohort_ids" => "cohortes",
        "participant_id" => "persona",
        "programme_id" => "programa",
        "programme_enrolment_id" => "inscripción en la edición",
        "edition_id" => "edición",
        "recognised" => "módulos reconocidos",
        "modules" => "módulos",
        "electives_required" => "electivos exigidos",
        "provider_id" => "oferente",
        "capacity_id" => "capacidad",
        "min_attendance_pct" => "asistencia mínima (%)",
        "pass_mark" => "nota mínima",
        "document_type" => "tipo de documento",
        "document_number" => "documento",
        "priority" => "prioridad",
        "description" => "descripción",
        "people_estimate" => "personas estimadas",
        "trains_trainers" => "forma formadores",
        "co_provider_ids" => "oferentes asociados",
        "municipality_codes" => "municipios",
        "department_codes" => "departamentos",
        "instructor_ids" => "instructores",
        "demand_ids" => "demandas",
        "quota_release_on" => "cupos por municipio hasta",
        "cancellation_reason" => "motivo de la cancelación",
        "objective_reached" => "objetivo alcanzado",
        "final_grade" => "nota final",
        "attendance_pct" => "asistencia (%)",
        "created_at" => "creado",
        "updated_at" => "cambiado",
        "territorial_direction_id" => "dirección territorial",
        "municipality_name" => "municipio",
        "department_name" => "departamento",
        "email_confirmed" => "correo confirmado",
        "open_agreements" => "acuerdos abiertos",
        "overdue_agreements" => "acuerdos vencidos",
        other => return other.replace('_', " "),
    };
    label.to_string()
}

/// A value in words: a stored code by its label, true and false as «sí» and «no», nothing as
/// «vacío», a list joined with commas.
fn value_text(subject: &str, key: &str, value: &Value) -> String {
    match value {
        Value::Null => "vacío".into(),
        Value::Bool(true) => "sí".into(),
        Value::Bool(false) => "no".into(),
        Value::Number(n) => n.to_string(),
        Value::String(text) => label_of(subject, key, text)
            .map(str::to_string)
            .unwrap_or_else(|| text.clone()),
        Value::Array(items) => {
            if items.is_empty() {
                "ninguno".into()
            } else {
                items
                    .iter()
                    .map(|v| value_text(subject, key, v))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        }
        Value::Object(_) => change_text(subject, value),
    }
}

/// A change recorded in the audit log (JSON, as it was stored) in words: «estado: Abierta ·
/// cupos: 30». What is not JSON is shown as it is.
pub fn change_text(subject: &str, value: &Value) -> String {
    match value {
        Value::Object(fields) => fields
            .iter()
            // A stored value's label travels beside it (`status_label`): the value is said by
            // its label already.
            .filter(|(key, _)| !key.ends_with("_label"))
            .map(|(key, v)| format!("{}: {}", key_label(key), value_text(subject, key, v)))
            .collect::<Vec<_>>()
            .join(" · "),
        other => value_text(subject, "", other),
    }
}

/// [`change_text`] of a stored text (the audit log keeps JSON as text).
pub fn stored_change_text(subject: &str, stored: &str) -> String {
    match serde_json::from_str::<Value>(stored) {
        Ok(value) => change_text(subject, &value),
        Err(_) => stored.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_reads_in_words() {
        let text = stored_change_text(
            "cohort",
            r#"{"status":"in_progress","seats":30,"trains_trainers":false,"venue":null}"#,
        );
        assert_eq!(
            text,
            "cupos: 30 · estado: En curso · forma formadores: no · lugar: vacío"
        );
        assert_eq!(action_label("cohort.status_changed"), "Cambio de estado");
        assert_eq!(action_label("thing.brand_new_verb"), "Brand new verb");
        assert_eq!(subject_label("visit_agreement"), "Compromiso de visita");
        assert!(labelled_values().iter().any(|l| l.value == "in_progress"));
    }
}
