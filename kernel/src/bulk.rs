//! Bulk inserts: many rows of one table in a few statements (the figures, the survey
//! tallies, indicator observations).

/// Rows per multi-row INSERT of [`insert_many`]: with up to 16 values a row, far below
/// SQLite's and PostgreSQL's limits of bound values.
pub const INSERT_CHUNK: usize = 1_000;

/// Inserts rows of one table, [`INSERT_CHUNK`] per statement (the one bulk insert: figures,
/// indicator observations).
pub async fn insert_many<C, A>(db: &C, rows: Vec<A>) -> crate::error::AppResult<()>
where
    C: sea_orm::ConnectionTrait,
    A: sea_orm::ActiveModelTrait,
{
    for chunk in rows.chunks(INSERT_CHUNK) {
        <A::Entity as sea_orm::EntityTrait>::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}
