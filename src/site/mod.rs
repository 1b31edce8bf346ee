//! The pages a Colombian public entity's site must have (issue 67; Resolución MinTIC 1519 de
//! 2020 and its annexes): the accessibility statement (`/accesibilidad`, Anexo 1),
//! «Transparencia y acceso a la información pública» (`/transparencia`, Ley 1712 de 2014) and
//! the data-treatment policy (`/politica-de-datos`, Ley 1581 de 2012) that the registration
//! notice's version points to. Public: no authentication. The GOV.CO top bar and the
//! institutional footer are the layout's (`templates/govco_bar`, `templates/site_footer`),
//! with the entity the settings name (`entity` in `Rocket.toml`).

pub mod pages;
