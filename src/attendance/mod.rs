//! The web side of `domain::attendance`: its JSON routes and pages.

pub mod api;
pub mod offline;
pub mod pages;

use crate::accounts::guards::ParticipantUser;
use crate::error::DomainResult;
use domain::attendance::Access;
use domain::attendance::checkin::{self, Outcome};
use domain::error::AppError;
use domain::mail::Notifier;
use sea_orm::DatabaseConnection;

/// A participant checks in to the session `id` with `code` (the API's and the page's): only
/// to a session of a cohort they are enrolled in (403 otherwise). A wrong code is committed
/// too: it counts against the throttle.
async fn check_in(
    db: &DatabaseConnection,
    notifier: &Notifier<'_>,
    me: &ParticipantUser,
    id: i32,
    code: &str,
) -> DomainResult<Outcome> {
    domain::db::write(db, async |txn| {
        let (session, cohort, access) = domain::attendance::session_access(txn, me, id).await?;
        let Access::Own(enrolment_id) = access else {
            return Err(AppError::Forbidden);
        };
        checkin::check_in(txn, notifier, me.id, enrolment_id, &cohort, &session, code).await
    })
    .await
}
