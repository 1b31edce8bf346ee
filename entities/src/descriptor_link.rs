use super::values::DescriptorSubject;
use sea_orm::entity::prelude::*;

/// A descriptor carried by a course, an assistance or a demand.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "descriptor_links")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub subject_type: DescriptorSubject,
    #[sea_orm(primary_key, auto_increment = false)]
    pub subject_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub descriptor_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::descriptor::Entity",
        from = "Column::DescriptorId",
        to = "super::descriptor::Column::Id"
    )]
    Descriptor,
}

impl Related<super::descriptor::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Descriptor.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
