//! Who may take a seat of a cohort now: the hard seat limit and, until the cohort's
//! `quota_release_on`, the seats kept per municipality (issue 35). A person of a municipality
//! with quota left always fits while the cohort has seats; anyone else fits only in a seat no
//! municipality's unfilled quota is holding. After the release date every free seat is open.
//!
//! Read it under the cohort's lock (`cohorts::lock`): the counts it starts from are then the
//! counts the transaction writes against.

use crate::cohorts::quotas;
use crate::entities::cohort;
use crate::entities::values::EnrolmentStatus;
use crate::error::AppResult;
use sea_orm::ConnectionTrait;
use std::collections::HashMap;

pub struct SeatBook {
    seats: u64,
    enrolled: u64,
    /// Quotas still kept (empty once released).
    quotas: HashMap<String, u64>,
    enrolled_in: HashMap<String, u64>,
}

impl SeatBook {
    pub async fn load<C: ConnectionTrait>(db: &C, cohort: &cohort::Model) -> AppResult<Self> {
        let enrolled =
            crate::cohorts::count_enrolments(db, cohort.id, EnrolmentStatus::Enrolled).await?;
        Self::with_enrolled(db, cohort, enrolled).await
    }

    /// [`SeatBook::load`] when the people enrolled are counted already (one read of the
    /// cohort's enrolments answers an enrolment's questions, issue 50): reads only the quotas,
    /// and only while they are kept.
    pub async fn with_enrolled<C: ConnectionTrait>(
        db: &C,
        cohort: &cohort::Model,
        enrolled: u64,
    ) -> AppResult<Self> {
        let kept = cohort
            .quota_release_on
            .is_some_and(|release| crate::time::today() <= release);
        let quotas: HashMap<String, u64> = if kept {
            quotas::of(db, &[cohort.id])
                .await?
                .remove(&cohort.id)
                .unwrap_or_default()
                .into_iter()
                .map(|(code, seats)| (code, seats.max(0) as u64))
                .collect()
        } else {
            HashMap::new()
        };
        let enrolled_in = if quotas.is_empty() {
            HashMap::new()
        } else {
            quotas::usage(db, &[cohort.id])
                .await?
                .into_iter()
                .map(|((_, code), (enrolled, _))| (code, enrolled))
                .collect()
        };
        Ok(SeatBook {
            seats: cohort.seats.max(0) as u64,
            enrolled,
            quotas,
            enrolled_in,
        })
    }

    /// Whether a person enrolling from `municipality_code` gets a seat now.
    pub fn fits(&self, municipality_code: &str) -> bool {
        if self.enrolled >= self.seats {
            return false;
        }
        let free = self.seats - self.enrolled;
        let held_for_others: u64 = self
            .quotas
            .iter()
            .filter(|(code, _)| code.as_str() != municipality_code)
            .map(|(code, seats)| {
                seats.saturating_sub(self.enrolled_in.get(code).copied().unwrap_or(0))
            })
            .sum();
        free > held_for_others
    }

    /// Whether any seat is free at all (quota or open).
    pub fn any_free(&self) -> bool {
        self.enrolled < self.seats
    }

    /// Counts a seat given to a person of `municipality_code`.
    pub fn take(&mut self, municipality_code: &str) {
        self.enrolled += 1;
        if !self.quotas.is_empty() {
            *self
                .enrolled_in
                .entry(municipality_code.to_string())
                .or_default() += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book(
        seats: u64,
        quotas: &[(&str, u64)],
        enrolled_in: &[(&str, u64)],
        open: u64,
    ) -> SeatBook {
        let enrolled_in: HashMap<String, u64> = enrolled_in
            .iter()
            .map(|(c, n)| (c.to_string(), *n))
            .collect();
        SeatBook {
            seats,
            enrolled: enrolled_in.values().sum::<u64>() + open,
            quotas: quotas.iter().map(|(c, n)| (c.to_string(), *n)).collect(),
            enrolled_in,
        }
    }

    #[test]
    fn a_quota_seat_goes_only_to_its_municipality_until_released() {
        // 10 seats: 3 for El Paujíl, 3 for Mapiripán, 4 open.
        let quotas = [("18256", 3), ("50325", 3)];
        let mut b = book(10, &quotas, &[], 0);
        // Florencia fills the 4 open seats, then waits.
        for _ in 0..4 {
            assert!(b.fits("18001"));
            b.take("18001");
        }
        assert!(!b.fits("18001"));
        assert!(b.any_free());
        // The quota municipalities still get theirs.
        for _ in 0..3 {
            assert!(b.fits("18256"));
            b.take("18256");
        }
        // Beyond its quota, El Paujíl competes for open seats: none left, Mapiripán's 3 held.
        assert!(!b.fits("18256"));
        assert!(b.fits("50325"));
        // Released (no quotas kept): every free seat is open.
        let released = book(10, &[], &[("18001", 4), ("18256", 3)], 0);
        assert!(released.fits("18001"));
    }

    #[test]
    fn people_enrolled_beyond_their_quota_do_not_hold_others_seats() {
        // 6 seats, 2 for El Paujíl; 4 open taken by El Paujíl (quota filled by 2 of its 6).
        let b = book(6, &[("18256", 2)], &[("18256", 4)], 0);
        assert!(b.fits("18001"));
        assert!(b.fits("18256"));
        let full = book(6, &[("18256", 2)], &[("18256", 6)], 0);
        assert!(!full.fits("18256"));
        assert!(!full.any_free());
    }
}
