//! Habeas data (Ley 1581 de 2012, Decreto 1377 de 2013; issue 67): what a person may ask about
//! her personal data and how the product answers.
//!
//! - [`requests`]: she asks, from «Mis datos», to consult her data (`consulta`), to revoke her
//!   authorization (`revocacion`) or to have her data deleted (`supresion`); an administrator
//!   resolves it within 15 business days (holidays skipped, [`crate::holidays`]). Emails and
//!   audit rows on request and on resolution.
//! - [`anonymise`]: what an accepted supresión (and the retention term) does to her record:
//!   names, document, contacts and sensitive data replaced or erased, her account disabled;
//!   consents, enrolments and counts kept; certificates already issued keep the name they
//!   carry (a certificate is a snapshot) and stay verifiable.
//! - [`retention`]: the periodic job that anonymises people without any activity for
//!   `retention_years`.
//! - [`access`]: every time staff open a person's record, a row she can read.
//! - [`declared`]: the authorization an importer declares (with its source) for each person
//!   an import creates, and how «Mis datos» says where her authorization comes from.

pub mod access;
pub mod anonymise;
pub mod declared;
pub mod demo;
pub mod requests;
pub mod retention;
