use super::values::{CertificateStatus, DocumentType};
use sea_orm::entity::prelude::*;

/// A certificate is a snapshot: what it states is copied here at issue and never recomputed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certificates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub code: String,
    pub enrolment_id: i32,
    pub cohort_id: i32,
    pub participant_id: i32,
    pub status: CertificateStatus,
    pub full_name: String,
    pub document_type: DocumentType,
    pub document_number: String,
    pub course_code: String,
    pub course_name: String,
    pub capacity_names: String,
    pub hours: i32,
    pub start_date: Date,
    pub end_date: Date,
    pub municipality_code: String,
    pub municipality_name: String,
    pub department_name: String,
    pub final_grade_milli: Option<i32>,
    pub sessions_attended: i32,
    pub sessions_total: i32,
    pub issuer: String,
    pub issued_at: DateTimeUtc,
    pub issued_by: Option<i32>,
    pub revoked_at: Option<DateTimeUtc>,
    pub revoked_by: Option<i32>,
    pub revocation_reason: Option<String>,
    pub superseded_by_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
