//! Participants: the public servants and community members who take the courses.

/// Kinds of entity a participant serves in (value, Spanish label).
pub const ENTITY_TYPES: &[(&str, &str)] = &[
    ("alcaldia", "Alcaldía"),
    ("gobernacion", "Gobernación"),
    ("concejo", "Concejo municipal"),
    ("personeria", "Personería"),
    (
        "consejo_territorial_planeacion",
        "Consejo territorial de planeación",
    ),
    ("junta_accion_comunal", "Junta de acción comunal"),
    ("veeduria", "Veeduría ciudadana"),
    ("otra", "Otra entidad"),
];

/// Nivel jerárquico, plus contractors and elected officials (value, Spanish label).
pub const LEVELS: &[(&str, &str)] = &[
    ("directivo", "Directivo"),
    ("asesor", "Asesor"),
    ("profesional", "Profesional"),
    ("tecnico", "Técnico"),
    ("asistencial", "Asistencial"),
    ("contratista", "Contratista"),
    ("elegido", "Cargo de elección popular"),
    ("comunidad", "Sociedad civil"),
];

/// Version of the data-processing notice (Ley 1581 de 2012) a consent refers to.
pub const DATA_CONSENT_VERSION: &str = "tratamiento-datos-v1-2026-11";
/// Version of the notice for the optional sensitive (differential-approach) data.
pub const SENSITIVE_CONSENT_VERSION: &str = "datos-sensibles-v1-2026-11";

/// Optional differential-approach vocabulary (value, Spanish label).
pub const SEXES: &[(&str, &str)] = &[
    ("mujer", "Mujer"),
    ("hombre", "Hombre"),
    ("intersexual", "Intersexual"),
];

pub const ETHNIC_GROUPS: &[(&str, &str)] = &[
    ("indigena", "Indígena"),
    ("afrocolombiano", "Afrocolombiano o negro"),
    ("raizal", "Raizal"),
    ("palenquero", "Palenquero"),
    ("rrom", "Rrom"),
    ("ninguno", "Ninguno"),
];

/// The value sets above as string enums of the API description.
macro_rules! value_set_schema {
    ($name:ident, $list:expr, $doc:literal) => {
        #[doc = $doc]
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some($list.iter().map(|(value, _)| *value)))
                    .description(Some($doc))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

value_set_schema!(
    EntityType,
    ENTITY_TYPES,
    "Kind of entity the participant serves in."
);
value_set_schema!(
    Level,
    LEVELS,
    "Nivel jerárquico, or contractor, elected official or civil society."
);
value_set_schema!(Sex, SEXES, "Optional differential-approach datum.");
value_set_schema!(
    EthnicGroup,
    ETHNIC_GROUPS,
    "Optional differential-approach datum."
);

pub mod correction;
pub mod demo;
pub mod departures;
pub mod name_change;
pub mod ownership;
pub mod profile;
pub mod readable;
pub mod registration;
pub mod scope;

pub use profile::{ParticipantView, personal_data_export, profile_of_user};

pub fn label(list: &[(&'static str, &'static str)], value: &str) -> &'static str {
    list.iter()
        .find(|(v, _)| *v == value)
        .map_or("", |(_, l)| l)
}
