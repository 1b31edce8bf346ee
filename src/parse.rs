//! Reading what clients send: the query-string forms Rocket reads the domain's parsers
//! (`domain::parse`) through.

use domain::parse::QueryBool;

/// A boolean query parameter as Rocket reads it: never fails to parse, so the domain's
/// [`QueryBool`] can answer a 422 in Spanish naming the parameter (`dry_run.value("dry_run")`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryFlag(pub QueryBool);

impl std::ops::Deref for QueryFlag {
    type Target = QueryBool;

    fn deref(&self) -> &QueryBool {
        &self.0
    }
}

#[rocket::async_trait]
impl<'v> rocket::form::FromFormField<'v> for QueryFlag {
    fn default() -> Option<Self> {
        Some(QueryFlag(QueryBool::Absent))
    }

    fn from_value(field: rocket::form::ValueField<'v>) -> rocket::form::Result<'v, Self> {
        Ok(QueryFlag(QueryBool::parse(field.value)))
    }
}
