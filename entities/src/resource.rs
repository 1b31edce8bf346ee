use super::values::{ResourceKind, ResourceStage, ResourceStatus, ResourceVisibility};
use sea_orm::entity::prelude::*;

/// A resource of the knowledge bank (issue 48): a provider's guide, tool, template, recording,
/// lesson learned or good practice, with a file (`resource_files`) or a link.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "resources")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub provider_id: i32,
    pub kind: ResourceKind,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub url: Option<String>,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub file_size: Option<i64>,
    pub stage: Option<ResourceStage>,
    #[sea_orm(column_type = "Text", nullable)]
    pub context: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub problem: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub what_was_done: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub what_worked: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub evidence: Option<String>,
    pub visibility: ResourceVisibility,
    pub status: ResourceStatus,
    pub course_id: Option<i32>,
    pub cohort_id: Option<i32>,
    pub assistance_id: Option<i32>,
    pub visit_id: Option<i32>,
    pub visit_product_id: Option<i32>,
    /// Title, description and lesson fields, folded and in lower case (the search's `LIKE`).
    #[sea_orm(column_type = "Text")]
    pub search_text: String,
    pub downloads: i64,
    pub created_by: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub published_at: Option<DateTimeUtc>,
    pub published_by: Option<i32>,
    pub unpublished_at: Option<DateTimeUtc>,
    /// Where the file lies under the `files_dir` setting (issue 62), when it is not in
    /// `resource_files`.
    pub file_path: Option<String>,
    /// When its provider's coordinator or an admin deleted it: its bytes are gone, its page
    /// says «retirado».
    pub deleted_at: Option<DateTimeUtc>,
    pub deleted_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
