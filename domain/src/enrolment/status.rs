//! An enrolment's status as its audit rows store it: what the enrolment area and the areas
//! that change enrolments for their own reasons (a cohort closed or cancelled, results frozen)
//! write, below all of them.

use crate::entities::values::EnrolmentStatus;
use serde::Serialize;

/// An enrolment's status before or after a change, as its audit rows store it.
#[derive(Serialize)]
pub struct StatusAudit {
    pub status: EnrolmentStatus,
}

impl StatusAudit {
    pub fn of(status: EnrolmentStatus) -> Self {
        Self { status }
    }
}

/// An enrolment cancelled, and why (`enrolment.cancelled`).
#[derive(Serialize)]
pub struct Cancelled<'a> {
    pub status: EnrolmentStatus,
    pub reason: &'a str,
}

impl<'a> Cancelled<'a> {
    pub fn because(reason: &'a str) -> Self {
        Self {
            status: EnrolmentStatus::Cancelled,
            reason,
        }
    }
}
