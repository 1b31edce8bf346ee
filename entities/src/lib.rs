//! SeaORM entities: one module per table of the initial migration.
//!
//! Value sets stored as text (roles, statuses, marks) are typed enums here, so the code
//! cannot write a value the database's CHECK constraints would refuse.

pub mod api_token;
pub mod assessment;
pub mod attendance_mark;
pub mod audit_log;
pub mod capacity;
pub mod capacity_figure;
pub mod capacity_person;
pub mod capacity_year_figure;
pub mod certificate;
pub mod cohort;
pub mod cohort_department;
pub mod cohort_figure;
pub mod cohort_instructor;
pub mod cohort_municipality;
pub mod cohort_session;
pub mod consent;
pub mod course;
pub mod course_capacity;
pub mod demand;
pub mod demand_referral;
pub mod department;
pub mod differential_person;
pub mod email_change;
pub mod enrolment;
pub mod entity_departure;
pub mod figures_dirty;
pub mod indicator;
pub mod indicator_capacity;
pub mod indicator_observation;
pub mod login_throttle;
pub mod municipality;
pub mod outbox;
pub mod participant;
pub mod password_reset;
pub mod pdet_subregion;
pub mod provider;
pub mod registration_confirmation;
pub mod score;
pub mod session;
pub mod setting;
pub mod survey;
pub mod survey_response;
pub mod survey_tally;
pub mod territorial_direction;
pub mod territorial_direction_department;
pub mod user;
pub mod values;
