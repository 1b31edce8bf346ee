//! The demo's cohorts: [`DemoCohort`] creates one with its weekly sessions, instructor,
//! territory and assessments; the cohorts in every stage the demo shows are named here.

use crate::entities::values::{CohortStatus, Modality};
use crate::entities::{
    assessment, cohort, cohort_department, cohort_instructor, cohort_municipality, cohort_session,
    course,
};
use crate::error::{AppError, AppResult};
use crate::territory::demo::PILOT_MUNICIPALITIES;
use crate::time::{from_local, now};
use chrono::{Duration, NaiveDate};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

/// A demo cohort: its course, stage, dates, seats, territory and assessments.
pub struct DemoCohort {
    pub course_code: &'static str,
    pub name: &'static str,
    pub modality: Modality,
    pub status: CohortStatus,
    pub start: NaiveDate,
    pub sessions: i64,
    pub seats: i32,
    pub venue: &'static str,
    pub municipalities: &'static [&'static str],
    pub departments: &'static [&'static str],
    pub assessments: &'static [(&'static str, i32)],
}

impl DemoCohort {
    /// Weekly sessions, 14:00–17:00 Bogotá, from the start date.
    pub async fn create<C: ConnectionTrait>(
        &self,
        db: &C,
        coordinator: i32,
        instructor: i32,
    ) -> AppResult<i32> {
        let course = course::Entity::find()
            .filter(course::Column::Code.eq(self.course_code))
            .one(db)
            .await?
            .ok_or_else(|| {
                AppError::Internal(format!("demo: falta el curso {}", self.course_code))
            })?;
        let end = self.start + Duration::days(7 * (self.sessions - 1));
        let at = now();
        let cohort_id = cohort::Entity::insert(cohort::ActiveModel {
            course_id: Set(course.id),
            provider_id: Set(course.provider_id),
            name: Set(self.name.to_string()),
            modality: Set(self.modality),
            status: Set(self.status),
            start_date: Set(self.start),
            end_date: Set(end),
            enrolment_opens: Set(self.start - Duration::days(35)),
            enrolment_closes: Set(self.start - Duration::days(2)),
            seats: Set(self.seats),
            venue: Set(Some(self.venue.to_string())),
            meeting_url: Set(None),
            min_attendance_pct: Set(course.min_attendance_pct),
            pass_mark_tenths: Set(course.pass_mark_tenths),
            cancellation_reason: Set(None),
            created_by: Set(Some(coordinator)),
            created_at: Set(at),
            updated_at: Set(at),
            closed_at: Set((self.status == CohortStatus::Closed).then_some(at)),
            ..Default::default()
        })
        .exec(db)
        .await?
        .last_insert_id;
        for code in self.municipalities {
            cohort_municipality::Entity::insert(cohort_municipality::ActiveModel {
                cohort_id: Set(cohort_id),
                municipality_code: Set(code.to_string()),
            })
            .exec_without_returning(db)
            .await?;
        }
        for code in self.departments {
            cohort_department::Entity::insert(cohort_department::ActiveModel {
                cohort_id: Set(cohort_id),
                department_code: Set(code.to_string()),
            })
            .exec_without_returning(db)
            .await?;
        }
        cohort_instructor::Entity::insert(cohort_instructor::ActiveModel {
            cohort_id: Set(cohort_id),
            user_id: Set(instructor),
        })
        .exec_without_returning(db)
        .await?;
        for n in 0..self.sessions {
            let date = self.start + Duration::days(7 * n);
            cohort_session::Entity::insert(cohort_session::ActiveModel {
                cohort_id: Set(cohort_id),
                starts_at: Set(from_local(date, 14, 0)),
                ends_at: Set(from_local(date, 17, 0)),
                topic: Set(format!("Sesión {}: {}", n + 1, self.course_code_topic(n))),
                location: Set(Some(self.venue.to_string())),
                check_in_secret: Set(crate::accounts::secrets::random_hex()),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            })
            .exec_without_returning(db)
            .await?;
        }
        for (position, (name, weight)) in self.assessments.iter().enumerate() {
            assessment::Entity::insert(assessment::ActiveModel {
                cohort_id: Set(cohort_id),
                name: Set(name.to_string()),
                weight: Set(*weight),
                position: Set(position as i32 + 1),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            })
            .exec_without_returning(db)
            .await?;
        }
        Ok(cohort_id)
    }

    fn course_code_topic(&self, n: i64) -> &'static str {
        const TOPICS: &[&str] = &[
            "marco normativo y conceptos",
            "diagnóstico territorial",
            "instrumentos y herramientas",
            "taller práctico",
            "seguimiento y evaluación",
            "socialización de resultados",
        ];
        TOPICS[n as usize % TOPICS.len()]
    }
}

/// The cohorts in every stage, dated from `day` (today).
impl DemoCohort {
    /// In progress: Planeación Territorial for the four Caquetá pilots.
    pub fn planning_caqueta(day: NaiveDate) -> Self {
        DemoCohort {
            course_code: "PT",
            name: "Planeación Territorial · Caquetá PDET 2026-II",
            modality: Modality::Mixta,
            status: CohortStatus::InProgress,
            start: day - Duration::days(28),
            sessions: 6,
            seats: 30,
            venue: "Casa de la Cultura, Florencia (Caquetá) y sala virtual ESAP",
            municipalities: &PILOT_MUNICIPALITIES[..4],
            departments: &[],
            assessments: &[
                ("Diagnóstico del plan de desarrollo", 40),
                ("Plan indicativo", 60),
            ],
        }
    }

    /// Closed: Gestión Presupuestal for the three Meta pilots, with results frozen.
    pub fn budget_meta(day: NaiveDate) -> Self {
        DemoCohort {
            course_code: "GPR",
            name: "Gestión Presupuestal · Macarena–Guaviare 2026-I",
            modality: Modality::Virtual,
            status: CohortStatus::Closed,
            start: day - Duration::days(90),
            sessions: 5,
            seats: 25,
            venue: "Sala virtual ESAP",
            municipalities: &PILOT_MUNICIPALITIES[4..],
            departments: &[],
            assessments: &[("Taller de POAI", 50), ("Evaluación final", 50)],
        }
    }

    /// Open for enrolment: Rendición de Cuentas for Caquetá and Meta.
    pub fn accountability(day: NaiveDate) -> Self {
        DemoCohort {
            course_code: "RPC",
            name: "Rendición Pública de Cuentas · Caquetá y Meta 2027-I",
            modality: Modality::Presencial,
            status: CohortStatus::Open,
            start: day + Duration::days(30),
            sessions: 4,
            seats: 25,
            venue: "Auditorio de la Gobernación del Caquetá, Florencia",
            municipalities: &[],
            departments: &["18", "50"],
            assessments: &[],
        }
    }

    /// Draft: Gestión Tributaria, virtual, for the whole country.
    pub fn taxes_national(day: NaiveDate) -> Self {
        DemoCohort {
            course_code: "GT",
            name: "Gestión Tributaria · virtual nacional 2027-I",
            modality: Modality::Virtual,
            status: CohortStatus::Draft,
            start: day + Duration::days(60),
            sessions: 4,
            seats: 200,
            venue: "Sala virtual ESAP",
            municipalities: &[],
            departments: &[],
            assessments: &[],
        }
    }

    /// Closed two years ago: Gestión Tributaria for the Caquetá pilots, so their pages show
    /// indicators before and after training (the later years are synthetic, and say so).
    pub fn taxes_caqueta_earlier(day: NaiveDate) -> Self {
        DemoCohort {
            course_code: "GT",
            name: "Gestión Tributaria · Caquetá PDET, primera cohorte",
            modality: Modality::Mixta,
            status: CohortStatus::Closed,
            start: day - Duration::days(730),
            sessions: 5,
            seats: 30,
            venue: "Casa de la Cultura, Florencia (Caquetá) y sala virtual ESAP",
            municipalities: &PILOT_MUNICIPALITIES[..4],
            departments: &[],
            assessments: &[
                ("Estatuto tributario municipal", 50),
                ("Plan de fiscalización", 50),
            ],
        }
    }

    /// Issue 47: closed in the first half of the year, Planeación Territorial for the Meta
    /// pilots (PDET), certificates issued: what the Meta direction's plan reads as its line
    /// ahead of the year's pace.
    pub fn planning_meta(day: NaiveDate) -> Self {
        DemoCohort {
            course_code: "PT",
            name: "Planeación Territorial · Meta PDET 2026-I",
            modality: Modality::Mixta,
            status: CohortStatus::Closed,
            start: day - Duration::days(200),
            sessions: 5,
            seats: 25,
            venue: "Auditorio de la ESAP, Villavicencio (Meta) y sala virtual ESAP",
            municipalities: &PILOT_MUNICIPALITIES[4..],
            departments: &[],
            assessments: &[("Diagnóstico territorial", 50), ("Plan indicativo", 50)],
        }
    }

    /// Issue 32: DNP's workshop in El Paujíl, while ESAP's Planeación Territorial runs there
    /// (the overlap report pairs them).
    pub fn workshop_el_paujil(day: NaiveDate) -> Self {
        DemoCohort {
            course_code: "DNP-KPT",
            name: "Taller KPT · El Paujíl 2026",
            modality: Modality::Presencial,
            status: CohortStatus::InProgress,
            start: day - Duration::days(7),
            sessions: 3,
            seats: 20,
            venue: "Alcaldía de El Paujíl, salón del concejo",
            municipalities: &["18256"],
            departments: &[],
            assessments: &[],
        }
    }
}
