use super::values::{ProgrammeKind, ProgrammeStatus};
use sea_orm::entity::prelude::*;

/// A provider's programme (issue 64): a diplomado, programa de formación or ruta de
/// aprendizaje made of courses of the catalogue (`programme_module`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "programmes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub provider_id: i32,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    pub kind: ProgrammeKind,
    pub description: String,
    /// Hours as stated by the provider; `None`: computed from the modules.
    pub hours: Option<i32>,
    /// How many elective modules complete the programme.
    pub electives_required: i32,
    /// How old (in years) a certificate may be to recognise a module.
    pub recognition_years: i32,
    pub status: ProgrammeStatus,
    pub created_by: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub published_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
