//! The one handlebars registry: pages, emails and certificate text, all under `templates/`,
//! compiled into the binary so it runs from any folder. HTML escaping stays on.

use crate::error::AppError;
use handlebars::Handlebars;
use serde::Serialize;

/// (name, source) of every template. Partials are registered under the same names.
const TEMPLATES: &[(&str, &str)] = &[
    ("layout", include_str!("../templates/layout.html.hbs")),
    ("home", include_str!("../templates/home.html.hbs")),
    ("error", include_str!("../templates/error.html.hbs")),
];

pub struct Templates {
    registry: Handlebars<'static>,
}

impl Templates {
    pub fn load() -> Result<Self, AppError> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        for (name, source) in TEMPLATES {
            registry
                .register_template_string(name, source)
                .map_err(|e| AppError::Internal(format!("plantilla {name}: {e}")))?;
            registry
                .register_partial(name, source)
                .map_err(|e| AppError::Internal(format!("plantilla {name}: {e}")))?;
        }
        Ok(Self { registry })
    }

    pub fn render<T: Serialize>(&self, name: &str, data: &T) -> Result<String, AppError> {
        self.registry
            .render(name, data)
            .map_err(|e| AppError::Internal(format!("plantilla {name}: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn user_text_is_escaped() {
        let templates = Templates::load().unwrap();
        let html = templates
            .render(
                "error",
                &json!({"title": "x", "status": 404, "detail": "<script>alert(1)</script>", "errors": []}),
            )
            .unwrap();
        assert!(html.contains("&lt;script&gt;"));
        assert!(!html.contains("<script>alert"));
    }
}
