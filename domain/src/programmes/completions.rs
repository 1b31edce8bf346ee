//! Programme completions of a municipality (issue 64): the people of the municipality with a
//! valid programme certificate, per programme — read from `programme_certificates` (no figure
//! table of its own). A person counts once per programme, whatever her modules; the modules
//! stay counted as the courses they are, in the course figures, never added to these.

use crate::entities::programme_certificate;
use crate::entities::values::{CertificateStatus, ProgrammeKind};
use crate::error::AppResult;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ProgrammeCompletions {
    pub programme_id: i32,
    pub programme_name: String,
    pub kind: ProgrammeKind,
    pub kind_label: &'static str,
    /// Distinct people of the municipality holding a valid certificate of the programme.
    pub people: i64,
}

/// The programmes people of municipality `code` completed (a valid programme certificate,
/// the municipality as the certificate records it), by name.
pub async fn of_municipality<C: ConnectionTrait>(
    db: &C,
    code: &str,
) -> AppResult<Vec<ProgrammeCompletions>> {
    let rows: Vec<(i32, String, ProgrammeKind, i64)> = programme_certificate::Entity::find()
        .select_only()
        .column(programme_certificate::Column::ProgrammeId)
        .column_as(
            programme_certificate::Column::ProgrammeName.max(),
            "programme_name",
        )
        .column_as(
            programme_certificate::Column::ProgrammeKind.max(),
            "programme_kind",
        )
        .column_as(
            Expr::expr(Func::count_distinct(Expr::col(
                programme_certificate::Column::ParticipantId,
            ))),
            "people",
        )
        .filter(programme_certificate::Column::MunicipalityCode.eq(code))
        .filter(programme_certificate::Column::Status.eq(CertificateStatus::Valid))
        .group_by(programme_certificate::Column::ProgrammeId)
        .order_by_asc(programme_certificate::Column::ProgrammeId)
        .into_tuple()
        .all(db)
        .await?;
    let mut out: Vec<ProgrammeCompletions> = rows
        .into_iter()
        .map(
            |(programme_id, programme_name, kind, people)| ProgrammeCompletions {
                programme_id,
                programme_name,
                kind,
                kind_label: kind.label(),
                people,
            },
        )
        .collect();
    out.sort_by(|a, b| a.programme_name.cmp(&b.programme_name));
    Ok(out)
}
