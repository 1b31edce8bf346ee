use super::values::DeliverySource;
use sea_orm::entity::prelude::*;

/// The provider's own key of a cohort or an assistance brought in from a spreadsheet (issue
/// 49): the same file sent again finds it and changes nothing; a corrected file updates it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "imported_records")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub provider_id: i32,
    /// A cohort or an assistance (the column of the same name is set, the other is null).
    pub kind: DeliverySource,
    /// Unique per provider and kind.
    pub reference: String,
    pub cohort_id: Option<i32>,
    pub assistance_id: Option<i32>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
