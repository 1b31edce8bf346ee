//! A person's attendance in a cohort, with its basis: the one value every page, report,
//! workbook and API answer shows (issue 45, «one number for one fact»).
//!
//! - **The share** is of the sessions **held** (already started): `attended / held`. Before
//!   the first session there is none. Once the cohort is closed every scheduled session
//!   counts as held (the frozen figures).
//! - **The basis** is always shown beside it: «3 de 5 sesiones realizadas (60 %) · 3 de 6
//!   programadas».
//! - **The completion rule and the risk** are over the sessions **scheduled**: someone is at
//!   risk when, attending every session still ahead (and every held one not yet marked), they
//!   would stay below the minimum — [`Attendance::at_risk`], which reads the same value.
//!
//! A share is written like [`crate::format::percent_against`] against the cohort's minimum,
//! so it never reads as reaching the minimum when it does not.

use crate::entities::cohort_session;
use crate::entities::values::CohortStatus;
use crate::error::AppResult;
use crate::format::plural;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;
use std::collections::HashMap;

/// What pages and workbooks say for the share before a cohort's first session.
pub const NOT_STARTED: &str = "Sin iniciar";

/// Whether the minimum attendance can no longer be reached.
pub fn at_risk(total: i32, missed: i32, min_pct: i32) -> bool {
    total > 0 && (total - missed) * 100 < min_pct * total
}

/// How many more sessions someone may miss and still reach the minimum (negative when at
/// risk).
pub fn absences_left(total: i32, missed: i32, min_pct: i32) -> i32 {
    // The fewest sessions that reach the minimum: ceil(min × total / 100).
    let needed = (min_pct * total + 99) / 100;
    total - needed - missed
}

/// Attendance with its basis. Built only by [`Attendance::new`] (or [`Attendance::frozen`]),
/// so its share and text always agree with its counts.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = AttendanceBasis)]
pub struct Attendance {
    /// Sessions attended (marked presente or tarde).
    attended: i32,
    /// Sessions already held (started); every scheduled one once the cohort is closed.
    held: i32,
    /// Sessions scheduled in the cohort.
    scheduled: i32,
    /// The cohort's minimum attendance (% of the scheduled sessions) to complete.
    min_pct: i32,
    /// `100 × attended / held`; `null` before the first session.
    #[schema(minimum = 0, maximum = 100)]
    pct: Option<f64>,
    /// The share as people read it («60 %»), «Sin iniciar» before the first session.
    #[schema(example = "60 %")]
    pct_text: String,
    /// The share with its basis.
    #[schema(example = "3 de 5 sesiones realizadas (60 %) · 3 de 6 programadas")]
    text: String,
}

impl Attendance {
    /// `attended` of `held` sessions held so far, of `scheduled`; in a closed cohort every
    /// scheduled session counts as held.
    pub fn new(
        status: CohortStatus,
        attended: i32,
        held: i32,
        scheduled: i32,
        min_pct: i32,
    ) -> Self {
        let held = if status == CohortStatus::Closed {
            scheduled
        } else {
            std::cmp::min(held, scheduled)
        };
        Self::build(attended, held, scheduled, min_pct)
    }

    /// The figures frozen on an enrolment at closing: `attended` of `total`.
    pub fn frozen(attended: i32, total: i32, min_pct: i32) -> Self {
        Self::build(attended, total, total, min_pct)
    }

    fn build(attended: i32, held: i32, scheduled: i32, min_pct: i32) -> Self {
        let pct = (held > 0).then(|| f64::from(attended) * 100.0 / f64::from(held));
        let pct_text = if held > 0 {
            crate::format::percent_against(attended.into(), held.into(), min_pct.into())
        } else {
            NOT_STARTED.to_string()
        };
        let text = if held == 0 {
            format!(
                "Ninguna sesión realizada todavía · {}",
                plural(scheduled.into(), "programada", "programadas")
            )
        } else {
            let realized = format!(
                "{attended} de {} ({pct_text})",
                plural(held.into(), "sesión realizada", "sesiones realizadas")
            );
            if held == scheduled {
                realized
            } else {
                format!("{realized} · {attended} de {scheduled} programadas")
            }
        };
        Attendance {
            attended,
            held,
            scheduled,
            min_pct,
            pct,
            pct_text,
            text,
        }
    }

    pub fn attended(&self) -> i32 {
        self.attended
    }
    pub fn held(&self) -> i32 {
        self.held
    }
    pub fn scheduled(&self) -> i32 {
        self.scheduled
    }
    /// `100 × attended / held`; `None` before the first session.
    pub fn pct(&self) -> Option<f64> {
        self.pct
    }
    /// «60 %», or «Sin iniciar».
    pub fn pct_text(&self) -> &str {
        &self.pct_text
    }
    /// «3 de 5 sesiones realizadas (60 %) · 3 de 6 programadas».
    pub fn text(&self) -> &str {
        &self.text
    }

    /// With `missed` absences recorded (ausente or excusado), the minimum is out of reach
    /// even attending every other scheduled session.
    pub fn at_risk(&self, missed: i32) -> bool {
        at_risk(self.scheduled, missed, self.min_pct)
    }

    /// How many more sessions may be missed and still reach the minimum (negative when at
    /// risk).
    pub fn absences_left(&self, missed: i32) -> i32 {
        absences_left(self.scheduled, missed, self.min_pct)
    }

    /// The most that can still be reached with `missed` absences recorded: «4 de 6
    /// programadas (66,7 %)».
    pub fn best_reachable_text(&self, missed: i32) -> String {
        let best = std::cmp::max(self.scheduled - missed, 0);
        format!(
            "{best} de {} programadas ({})",
            self.scheduled,
            crate::format::percent_against(best.into(), self.scheduled.into(), self.min_pct.into())
        )
    }
}

/// Sessions of each of these cohorts: (held so far, scheduled). One grouped query per 5,000
/// cohorts. «Held» is a session that has started.
pub async fn sessions_of<C: ConnectionTrait>(
    db: &C,
    cohort_ids: &[i32],
) -> AppResult<HashMap<i32, (i64, i64)>> {
    let now = crate::time::now();
    let mut out = HashMap::new();
    for chunk in cohort_ids.chunks(5_000) {
        let held = Expr::case(
            Expr::col((cohort_session::Entity, cohort_session::Column::StartsAt)).lte(now),
            Expr::val(1),
        )
        .finally(Expr::val(0));
        let found: Vec<(i32, i64, i64)> = cohort_session::Entity::find()
            .select_only()
            .column(cohort_session::Column::CohortId)
            .column_as(Expr::expr(held).sum(), "held")
            .column_as(cohort_session::Column::Id.count(), "scheduled")
            .filter(cohort_session::Column::CohortId.is_in(chunk.to_vec()))
            .group_by(cohort_session::Column::CohortId)
            .into_tuple()
            .all(db)
            .await?;
        out.extend(found.into_iter().map(|(id, h, s)| (id, (h, s))));
    }
    Ok(out)
}

/// One cohort's sessions: (held so far, scheduled).
pub async fn sessions_of_cohort<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
) -> AppResult<(i32, i32)> {
    let (held, scheduled) = sessions_of(db, &[cohort_id])
        .await?
        .remove(&cohort_id)
        .unwrap_or((0, 0));
    Ok((
        i32::try_from(held).unwrap_or(i32::MAX),
        i32::try_from(scheduled).unwrap_or(i32::MAX),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_share_is_of_the_sessions_held_and_the_basis_is_written_out() {
        let a = Attendance::new(CohortStatus::InProgress, 3, 5, 6, 80);
        assert_eq!(a.pct(), Some(60.0));
        assert_eq!(a.pct_text(), "60 %");
        assert_eq!(
            a.text(),
            "3 de 5 sesiones realizadas (60 %) · 3 de 6 programadas"
        );
        // All held: no second basis.
        let all = Attendance::new(CohortStatus::InProgress, 5, 6, 6, 80);
        assert_eq!(all.text(), "5 de 6 sesiones realizadas (83,3 %)");
        // One held: singular.
        let one = Attendance::new(CohortStatus::InProgress, 1, 1, 6, 80);
        assert_eq!(
            one.text(),
            "1 de 1 sesión realizada (100 %) · 1 de 6 programadas"
        );
        // Before the first session: no share.
        let none = Attendance::new(CohortStatus::Open, 0, 0, 6, 80);
        assert_eq!(none.pct(), None);
        assert_eq!(none.pct_text(), "Sin iniciar");
        assert_eq!(
            none.text(),
            "Ninguna sesión realizada todavía · 6 programadas"
        );
        // Closed: every scheduled session counts as held.
        let closed = Attendance::new(CohortStatus::Closed, 3, 5, 6, 80);
        assert_eq!(closed.pct(), Some(50.0));
        assert_eq!(closed.text(), "3 de 6 sesiones realizadas (50 %)");
        assert_eq!(Attendance::frozen(3, 6, 80), closed);
    }

    #[test]
    fn a_share_below_the_minimum_never_reads_as_reaching_it() {
        let a = Attendance::frozen(25, 41, 61);
        assert_eq!(a.pct_text(), "60,97 %");
    }

    #[test]
    fn the_risk_reads_the_same_value() {
        // 3 of 5 held attended, 2 absences recorded, 6 scheduled, minimum 80 %: at most 4 of
        // 6 (66,7 %) can be reached.
        let a = Attendance::new(CohortStatus::InProgress, 3, 5, 6, 80);
        assert!(a.at_risk(2));
        assert_eq!(a.best_reachable_text(2), "4 de 6 programadas (66,7 %)");
        assert!(!a.at_risk(1));
        assert_eq!(a.absences_left(0), 1);
    }
}
