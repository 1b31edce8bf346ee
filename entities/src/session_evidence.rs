use sea_orm::entity::prelude::*;

/// A photo or scan of a session's signed sheet (issue 66): kept like the knowledge bank's
/// files, under `files_dir` (`file_path`) or in `session_evidence_files`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "session_evidence")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub session_id: i32,
    pub file_name: String,
    pub content_type: String,
    pub file_size: i64,
    pub file_path: Option<String>,
    pub uploaded_by: Option<i32>,
    pub uploaded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::cohort_session::Entity",
        from = "Column::SessionId",
        to = "super::cohort_session::Column::Id"
    )]
    Session,
}

impl ActiveModelBehavior for ActiveModel {}
