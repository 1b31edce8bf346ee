use sea_orm::entity::prelude::*;

/// A module recognised instead of taken (homologación de saberes previos): by a valid
/// certificate of its course (`certificate_id`) or by a coordinator with a `reason`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "programme_recognitions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub programme_enrolment_id: i32,
    pub course_id: i32,
    pub certificate_id: Option<i32>,
    pub reason: Option<String>,
    pub recognised_by: Option<i32>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::certificate::Entity",
        from = "Column::CertificateId",
        to = "super::certificate::Column::Id"
    )]
    Certificate,
}

impl Related<super::certificate::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Certificate.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
