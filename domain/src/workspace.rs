//! What the coordinator's cohort workspace reads (issue 31 moved these reads out of the web
//! layer): the cohort, its sessions and counts always; its places and instructors on the
//! overview; its people on «Inscripciones»; its certificates on «Certificados». The people and
//! certificates are those of the caller's person scope (a territorial direction's coordinator:
//! its departments' people only). The web layer adds the menu, the forms and the satisfaction
//! line, and renders.

use crate::accounts::actor::Actor;
use crate::certificates::issue::Verification;
use crate::cohorts::sessions::{self, SessionView};
use crate::cohorts::{self, CohortView, Targets};
use crate::enrolment::RosterRow;
use crate::entities::values::CertificateStatus;
use crate::entities::{certificate, user};
use crate::error::AppResult;
use crate::people::scope::PersonScope;
use crate::rows::Rows;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde::Serialize;

/// Which part of the workspace is shown (each loads only what it shows).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Overview,
    Enrolments,
    Sessions,
    Certificates,
    /// The cost items (read by `costs::items`: nothing more here).
    Costs,
    Edit,
}

/// A certificate of the cohort as its table shows it.
#[derive(Serialize)]
pub struct CertificateRow {
    #[serde(flatten)]
    pub verification: Verification,
    pub valid: bool,
    pub participant_id: i32,
}

/// What the workspace shows of one cohort.
pub struct Workspace {
    pub cohort: CohortView,
    pub sessions: Vec<SessionView>,
    pub certificate_count: u64,
    /// The places it is offered to, by name (overview).
    pub places: Vec<String>,
    /// Its instructors' names (overview).
    pub instructor_names: Vec<String>,
    /// Its people in the caller's scope (enrolments).
    pub roster: Vec<RosterRow>,
    /// How many people of the cohort the caller's scope hides, said in Spanish (enrolments).
    pub hidden_note: Option<String>,
    /// Its certificates in the caller's scope, by name (certificates).
    pub certificates: Vec<CertificateRow>,
    /// Seats per municipality with their nominations and enrolments (enrolments, issue 35).
    pub quota_board: Vec<crate::nominations::QuotaRow>,
    /// Its nominations in the caller's scope, newest first (enrolments).
    pub nominations: Vec<crate::nominations::NominationView>,
    /// The people its coordinators named and did not reach, as typed, newest first
    /// (enrolments, issue 46).
    pub invitations: Vec<crate::enrolment::invitations::InvitationRow>,
    /// The cohorts of its overlap warnings whose page the caller may open (issue 45).
    pub warning_pages: std::collections::BTreeSet<i32>,
}

/// Reads what `part` of cohort `id`'s workspace shows to `user`: 404 unless `user` manages it
/// (`cohorts::find_managed`, the same read that gives the cohort).
pub async fn read(
    db: &sea_orm::DatabaseConnection,
    user: &Actor,
    id: i32,
    part: Part,
    warnings: &cohorts::overlap::KeptWarnings,
) -> AppResult<Workspace> {
    let overview = part == Part::Overview;
    let model = cohorts::find_managed(db, user, id).await?;
    // The overlap warnings show on the overview only.
    let found = if overview {
        cohorts::overlap::kept_warnings(db, warnings, &model).await?
    } else {
        Vec::new()
    };
    let sessions: Vec<SessionView> = sessions::list(db, id)
        .await?
        .into_iter()
        .map(|s| SessionView::of(&model, s))
        .collect();
    let mut cohort = cohorts::views(db, vec![model], false)
        .await?
        .pop()
        .ok_or(crate::error::AppError::NotFound)?;
    // The warned-of cohorts whose page the reader may open (issue 45): another provider's
    // draft is named, not linked.
    let warning_pages = cohorts::overlap::readable(
        db,
        user,
        crate::joint::OfferKind::Cohort,
        found.iter().map(|w| w.cohort_id).collect(),
    )
    .await?;
    cohort.warnings = found;
    let certificate_count = certificate::Entity::find()
        .filter(certificate::Column::CohortId.eq(id))
        .count(db)
        .await?;
    let places = if overview {
        cohorts::place_names(
            db,
            &Targets {
                municipalities: cohort.municipality_codes.clone(),
                departments: cohort.department_codes.clone(),
                instructors: vec![],
            },
        )
        .await?
    } else {
        Vec::new()
    };
    let instructor_names = if overview {
        user::Entity::find()
            .filter(user::Column::Id.is_in(cohort.instructor_ids.clone()))
            .all_mapped(db, |u| u.full_name)
            .await?
    } else {
        Vec::new()
    };
    // A territorial direction's coordinator sees its departments' people only.
    let people = PersonScope::of(user);
    let mut certificates = Vec::new();
    if part == Part::Certificates {
        let rows = certificate::Entity::find()
            .filter(certificate::Column::CohortId.eq(id))
            .filter(people.enrolments_of(certificate::Column::EnrolmentId, id))
            .order_by_asc(certificate::Column::Id)
            .all(db)
            .await?;
        let views = crate::certificates::issue::verifications(db, rows.clone()).await?;
        for (cert, verification) in rows.iter().zip(views) {
            certificates.push(CertificateRow {
                verification,
                valid: cert.status == CertificateStatus::Valid,
                participant_id: cert.participant_id,
            });
        }
        certificates.sort_by(|a, b| {
            crate::text::by_name(&a.verification.full_name, &b.verification.full_name)
        });
    }
    let (roster, hidden_note) = if part == Part::Enrolments {
        let hidden = crate::people::scope::hidden_in_cohort(db, &people, id).await?;
        (
            crate::enrolment::roster(db, id, &people).await?,
            people.hidden_note(hidden),
        )
    } else {
        (Vec::new(), None)
    };
    let (quota_board, nominations, invitations) = if part == Part::Enrolments {
        (
            crate::nominations::quota_board(db, user, id).await?,
            crate::nominations::for_cohort(db, user, id).await?,
            crate::enrolment::invitations::for_cohort(db, user, id).await?,
        )
    } else {
        (Vec::new(), Vec::new(), Vec::new())
    };
    Ok(Workspace {
        cohort,
        sessions,
        certificate_count,
        places,
        instructor_names,
        roster,
        hidden_note,
        certificates,
        quota_board,
        nominations,
        invitations,
        warning_pages,
    })
}
