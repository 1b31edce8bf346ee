//! A query's rows turned into what the caller keeps, in one step: `.all_mapped(db, f)` for the
//! `.all(db).await?.into_iter().map(f).collect()` every area wrote (names by id, ids of a
//! set, views of rows), and `.found(db)` for the row a caller names, or a 404.

use crate::error::{AppError, AppResult};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Select, SelectTwo, Selector, SelectorTrait};

/// The row a caller names: none is [`AppError::NotFound`] (a 404).
#[allow(async_fn_in_trait)]
pub trait Found: Sized {
    type Row;
    /// The query's row, or [`AppError::NotFound`].
    async fn found<C: ConnectionTrait>(self, db: &C) -> AppResult<Self::Row>;
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

/// Both traits for a kind of query whose `one` and `all` give `$row`.
macro_rules! queries {
    ($query:ty, $row:ty, [$($generics:tt)*], [$($bounds:tt)*]) => {
        impl<$($generics)*> Found for $query
        where
            $($bounds)*
        {
            type Row = $row;
            async fn found<C: ConnectionTrait>(self, db: &C) -> AppResult<$row> {
                self.one(db).await?.ok_or(AppError::NotFound)
            }
        }

        impl<$($generics)*> Rows for $query
        where
            $($bounds)*
        {
            type Row = $row;
            async fn all_mapped<C, T, B>(self, db: &C, f: impl FnMut($row) -> T) -> Result<B, DbErr>
            where
                C: ConnectionTrait,
                B: FromIterator<T>,
            {
                Ok(self.all(db).await?.into_iter().map(f).collect())
            }
        }
    };
}

queries!(Select<E>, E::Model, [E], [E: EntityTrait, E::Model: Send + Sync,]);
queries!(Selector<S>, S::Item, [S], [S: SelectorTrait,]);
queries!(
    SelectTwo<E, F>,
    (E::Model, Option<F::Model>),
    [E, F],
    [E: EntityTrait, F: EntityTrait, E::Model: Send + Sync, F::Model: Send + Sync,]
);
