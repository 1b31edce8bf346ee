//! A query's rows turned into what the caller keeps, in one step: `.all_mapped(db, f)` for the
//! `.all(db).await?.into_iter().map(f).collect()` every area wrote (names by id, ids of a
//! set, views of rows), and `.found(db)` for the row a caller names, or a 404.

use crate::error::{AppError, AppResult};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Select, Selector, SelectorTrait};

/// The row a caller names: none is [`AppError::NotFound`] (a 404).
#[allow(async_fn_in_trait)]
pub trait Found: Sized {
    type Row;
    /// The query's row, or [`AppError::NotFound`].
    async fn found<C: ConnectionTrait>(self, db: &C) -> AppResult<Self::Row>;
}

impl<E> Found for Select<E>
where
    E: EntityTrait,
    E::Model: Send + Sync,
{
    type Row = E::Model;
    async fn found<C: ConnectionTrait>(self, db: &C) -> AppResult<E::Model> {
        self.one(db).await?.ok_or(AppError::NotFound)
    }
}

/// A query whose rows are mapped and collected as they come back.
#[allow(async_fn_in_trait)]
pub trait Rows: Sized {
    type Row;
    /// Every row of the query, each through `f`, collected into `B` (a `Vec`, a `HashMap`, a
    /// `HashSet`…).
    async fn all_mapped<C, T, B>(self, db: &C, f: impl FnMut(Self::Row) -> T) -> Result<B, DbErr>
    where
        C: ConnectionTrait,
        B: FromIterator<T>;
}

impl<E> Rows for Select<E>
where
    E: EntityTrait,
    E::Model: Send + Sync,
{
    type Row = E::Model;
    async fn all_mapped<C, T, B>(self, db: &C, f: impl FnMut(E::Model) -> T) -> Result<B, DbErr>
    where
        C: ConnectionTrait,
        B: FromIterator<T>,
    {
        Ok(self.all(db).await?.into_iter().map(f).collect())
    }
}

impl<S> Rows for Selector<S>
where
    S: SelectorTrait,
{
    type Row = S::Item;
    async fn all_mapped<C, T, B>(self, db: &C, f: impl FnMut(S::Item) -> T) -> Result<B, DbErr>
    where
        C: ConnectionTrait,
        B: FromIterator<T>,
    {
        Ok(self.all(db).await?.into_iter().map(f).collect())
    }
}

impl<E, F> Rows for sea_orm::SelectTwo<E, F>
where
    E: EntityTrait,
    F: EntityTrait,
    E::Model: Send + Sync,
    F::Model: Send + Sync,
{
    type Row = (E::Model, Option<F::Model>);
    async fn all_mapped<C, T, B>(self, db: &C, f: impl FnMut(Self::Row) -> T) -> Result<B, DbErr>
    where
        C: ConnectionTrait,
        B: FromIterator<T>,
    {
        Ok(self.all(db).await?.into_iter().map(f).collect())
    }
}

impl<E, F> Found for sea_orm::SelectTwo<E, F>
where
    E: EntityTrait,
    F: EntityTrait,
    E::Model: Send + Sync,
    F::Model: Send + Sync,
{
    type Row = (E::Model, Option<F::Model>);
    async fn found<C: ConnectionTrait>(self, db: &C) -> AppResult<Self::Row> {
        self.one(db).await?.ok_or(AppError::NotFound)
    }
}
