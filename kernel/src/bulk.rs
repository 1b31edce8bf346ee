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

/// Inserts `rows` in one statement and reads back `columns` of every inserted row, in that
/// order (the rows of one batch of enrolments, each with its new id); a unique index refusing
/// a row is answered with `duplicate`, and nothing is written.
pub async fn insert_returning<C, A, const N: usize>(
    db: &C,
    rows: Vec<A>,
    columns: [<A::Entity as sea_orm::EntityTrait>::Column; N],
    duplicate: impl FnOnce() -> crate::error::AppError,
) -> crate::error::AppResult<Vec<[i32; N]>>
where
    C: sea_orm::ConnectionTrait,
    A: sea_orm::ActiveModelTrait,
{
    use sea_orm::QueryTrait;
    use sea_orm::sea_query::Query;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut insert = <A::Entity as sea_orm::EntityTrait>::insert_many(rows).into_query();
    insert.returning(Query::returning().columns(columns));
    let inserted = db
        .query_all_raw(db.get_database_backend().build(&insert))
        .await
        .map_err(|e| match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => duplicate(),
            _ => crate::error::AppError::from(e),
        })?;
    inserted
        .iter()
        .map(|row| {
            let mut values = [0; N];
            for (index, value) in values.iter_mut().enumerate() {
                *value = row.try_get_by_index::<i32>(index)?;
            }
            Ok(values)
        })
        .collect()
}
