//! The place an assistance's figures are kept at (issue 49): its municipality's DANE code, or
//! for a gobernación's assistance its department's two-digit code. Read by the assistance
//! figures and the delivery facts alike.

use crate::entities::{assistance, assistance_figure};
use sea_orm::{ColumnTrait, Condition};

/// The place an assistance's figures are kept at: its municipality's code, or its
/// department's when it has no municipality (a gobernación's).
pub fn place_of(row: &assistance::Model) -> &str {
    row.municipality_code
        .as_deref()
        .unwrap_or(&row.department_code)
}

/// Whether a figure row is a gobernación's (kept at its department, see [`place_of`]).
pub fn is_departmental(row: &assistance_figure::Model) -> bool {
    row.municipality_code == row.department_code
}

/// The assistances kept at a place (see [`place_of`]): a municipality's, or a department's
/// own (those with no municipality). A municipality's code never equals a department's.
pub fn at_place(place: &str) -> Condition {
    Condition::any()
        .add(assistance::Column::MunicipalityCode.eq(place))
        .add(
            Condition::all()
                .add(assistance::Column::MunicipalityCode.is_null())
                .add(assistance::Column::DepartmentCode.eq(place)),
        )
}
