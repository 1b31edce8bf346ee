//! The web side of `domain::self_assessment` (autodiagnóstico, issue 68): the instrument and
//! the municipality's self-assessments by API (`/api/v1/self-assessment/instrument`,
//! `/api/v1/municipalities/{code}/self-assessments`, `/api/v1/self-assessments/{id}/validation`),
//! the liaison's form, the reviewer's validation and the administrator's instrument editor.

pub mod api;
pub mod pages;
