use super::values::{CertificateStatus, DocumentType, ProgrammeKind};
use sea_orm::entity::prelude::*;

/// A programme's certificate (certificado del diplomado): a snapshot of the person, the
/// programme and its modules (`modules`, JSON text: name, hours, status, certificate code) at
/// issue.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "programme_certificates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub code: String,
    pub programme_enrolment_id: i32,
    pub edition_id: i32,
    pub programme_id: i32,
    pub participant_id: i32,
    pub status: CertificateStatus,
    pub full_name: String,
    pub document_type: DocumentType,
    pub document_number: String,
    pub programme_code: String,
    pub programme_name: String,
    pub programme_kind: ProgrammeKind,
    pub hours: i32,
    pub start_date: Date,
    pub end_date: Date,
    pub municipality_code: String,
    pub municipality_name: String,
    pub department_name: String,
    pub modules: String,
    pub issuer: String,
    pub issued_at: DateTimeUtc,
    pub issued_by: Option<i32>,
    pub revoked_at: Option<DateTimeUtc>,
    pub revoked_by: Option<i32>,
    pub revocation_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
