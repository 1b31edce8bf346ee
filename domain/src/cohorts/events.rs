//! What happened to a cohort, announced to the areas above it (issue 31).
//!
//! The cohorts area changes cohorts and says what it did; it never calls up into demand,
//! surveys or enrolment. The one place above the areas that reacts is
//! [`crate::cohort_flow`], in the same transaction as the change.

/// One thing that happened to a cohort, in the order it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CohortEvent {
    /// The demands the cohort answers were chosen (on creation, or `demand_ids` on a change):
    /// each must fit the cohort, or the whole change is refused.
    DemandsChosen(Vec<i32>),
    /// Its course or territory changed: the demands it answers must still fit.
    Reshaped,
    /// It closed: results are frozen; demands may be met and people are surveyed.
    Closed,
    /// It was reopened (closed by mistake, no certificate issued): the demands its closing met
    /// (or gave back for want of completers) at `closed_at` are planned again.
    Reopened {
        closed_at: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// It was cancelled: its people were told; the demands it answered open again.
    Cancelled,
    /// It has more seats while it takes people: the waiting list moves up.
    SeatsAdded,
}
