//! The authorization an importer declares for the people a file creates (Ley 1581 de 2012,
//! art. 9: the entity must be able to show where each authorization comes from; issue 67).
//!
//! A person the product creates from a row of a file did not accept the data-treatment text
//! here herself: whoever imports declares that she authorized it elsewhere and where (a signed
//! paper form, an attendance list with the authorization clause…). Each person the import
//! creates gets a `consents` row with `source = "import"`, that source in `source_detail`,
//! the importing account in `declared_by` and the data-policy version in force. The page asks
//! for the declaration (a checkbox and the source; 422 without them); the API keeps its
//! contract: calling the import is the integrator's declaration, with an optional
//! `authorization_source` ([`API_WITHOUT_SOURCE`] when absent).

use crate::entities::values::ConsentKind;
use crate::entities::{consent, user};
use crate::error::{AppError, AppResult, FieldError};
use crate::rows::Rows;
use crate::time::now;
use sea_orm::{ConnectionTrait, EntityTrait, Set};

/// `consents.source` of an authorization declared by an importer.
pub const IMPORT: &str = "import";

/// The source recorded when an API import names none.
pub const API_WITHOUT_SOURCE: &str =
    "Declarada por el integrador al importar por API (sin fuente indicada)";

/// Longest source text kept.
pub const MAX_SOURCE: usize = 300;

/// The page's checkbox and source field (the names the errors carry).
pub const DECLARATION_FIELD: &str = "declaracion";
pub const SOURCE_FIELD: &str = "fuente_autorizacion";

/// What the importer declared: the source of the authorization of every person the file
/// creates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Declared {
    pub source_detail: String,
}

impl Declared {
    /// From the import page: the box ticked and the source written, or 422 with both
    /// problems in Spanish.
    pub fn from_page(declared: bool, source: &str) -> AppResult<Self> {
        let mut errors = Vec::new();
        if !declared {
            errors.push(FieldError::new(
                DECLARATION_FIELD,
                "Para importar, declare que cada persona del archivo autorizó el tratamiento de \
                 sus datos (Ley 1581 de 2012).",
            ));
        }
        match crate::validate::single_line(SOURCE_FIELD, source, MAX_SOURCE) {
            Ok(Some(text)) => {
                if errors.is_empty() {
                    return Ok(Declared {
                        source_detail: text,
                    });
                }
            }
            Ok(None) => errors.push(FieldError::new(
                SOURCE_FIELD,
                "Escriba de dónde consta la autorización, por ejemplo «Formato físico de \
                 inscripción firmado el 12/11/2026».",
            )),
            Err(error) => errors.push(error),
        }
        Err(AppError::Validation(errors))
    }

    /// From the API: calling the import is the integrator's declaration; its
    /// `authorization_source` when given (422 when it is not one line of at most 300
    /// characters), [`API_WITHOUT_SOURCE`] otherwise.
    pub fn from_api(source: Option<&str>) -> AppResult<Self> {
        let text = crate::validate::single_line(
            "authorization_source",
            source.unwrap_or_default(),
            MAX_SOURCE,
        )
        .map_err(|e| AppError::Validation(vec![e]))?;
        Ok(Declared {
            source_detail: text.unwrap_or_else(|| API_WITHOUT_SOURCE.to_string()),
        })
    }

    /// The data-treatment authorization of the person `participant_id` an import by
    /// `declared_by` just created, with this source, under the policy version in force.
    pub async fn record<C: ConnectionTrait>(
        &self,
        db: &C,
        participant_id: i32,
        declared_by: i32,
    ) -> AppResult<()> {
        consent::Entity::insert(consent::ActiveModel {
            participant_id: Set(participant_id),
            kind: Set(ConsentKind::DataProcessing),
            text_version: Set(crate::people::DATA_CONSENT_VERSION.to_string()),
            granted_at: Set(now()),
            withdrawn_at: Set(None),
            source: Set(Some(IMPORT.to_string())),
            source_detail: Set(Some(self.source_detail.clone())),
            declared_by: Set(Some(declared_by)),
            ..Default::default()
        })
        .exec_without_returning(db)
        .await?;
        Ok(())
    }
}

/// Where an authorization comes from, as the person reads it in «Mis datos»: given by her on
/// `granted` (the day as the page writes it), or declared by the importer (by name, when known) on import that
/// day, with the source declared.
pub fn origin(
    source: Option<&str>,
    detail: Option<&str>,
    declared_by: Option<&str>,
    granted: &str,
) -> String {
    match source {
        Some(IMPORT) => {
            let who = declared_by.map_or_else(
                || "el oferente que la inscribió".to_string(),
                |name| name.to_string(),
            );
            let detail = detail.unwrap_or("sin fuente indicada");
            format!(
                "Declarada por {who} al importarla desde una planilla el {granted}. Fuente: \
                 {detail}."
            )
        }
        _ => format!("Otorgada por usted en Aula Territorial el {granted}."),
    }
}

/// The names of the accounts that declared authorizations, by id.
pub async fn declarers<C: ConnectionTrait>(
    db: &C,
    ids: impl IntoIterator<Item = i32>,
) -> AppResult<std::collections::HashMap<i32, String>> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let ids: Vec<i32> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all_mapped(db, |u| (u.id, u.full_name))
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_needs_the_box_and_the_source() {
        let Err(AppError::Validation(errors)) = Declared::from_page(false, " ") else {
            panic!("refused");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, [DECLARATION_FIELD, SOURCE_FIELD]);
        assert!(Declared::from_page(true, "").is_err());
        assert!(Declared::from_page(false, "Formato físico").is_err());
        assert_eq!(
            Declared::from_page(true, " Formato físico ").unwrap(),
            Declared {
                source_detail: "Formato físico".into()
            }
        );
    }

    #[test]
    fn the_api_declares_with_or_without_a_source() {
        assert_eq!(
            Declared::from_api(None).unwrap().source_detail,
            API_WITHOUT_SOURCE
        );
        assert_eq!(
            Declared::from_api(Some("  ")).unwrap().source_detail,
            API_WITHOUT_SOURCE
        );
        assert_eq!(
            Declared::from_api(Some("Acta 12")).unwrap().source_detail,
            "Acta 12"
        );
        assert!(Declared::from_api(Some("dos\nlíneas")).is_err());
    }

    #[test]
    fn the_origin_says_who_and_where_from() {
        assert_eq!(
            origin(None, None, None, "12/11/2026"),
            "Otorgada por usted en Aula Territorial el 12/11/2026."
        );
        assert_eq!(
            origin(Some(IMPORT), Some("Acta 12"), Some("Julián"), "12/11/2026"),
            "Declarada por Julián al importarla desde una planilla el 12/11/2026. Fuente: \
             Acta 12."
        );
    }
}
