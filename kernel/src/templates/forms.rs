//! The house's one way to show a refused form (issue 45): the page comes back with the
//! problems in `form_errors` at its root (the layout draws the summary at the top, each item a
//! link to its field), and each field names its own problem beside it:
//!
//! ```handlebars
//! <label for="k-seats">Cupos</label>
//! {{field_error "seats"}}
//! <input id="k-seats" name="seats"{{invalid "seats"}} value="{{form.seats}}">
//! ```
//!
//! `{{field_error "seats"}}` writes `<p class="field-error" id="error-seats">…</p>` (nothing
//! when the field has no problem); `{{invalid "seats"}}` writes
//! ` aria-invalid="true" aria-describedby="error-seats"` on the field. Both read the page's
//! root, so they work inside `{{#each}}` and partials alike. A field's name may carry the
//! form's prefix (`reason` of the form `decline` is `decline.reason`) when a page holds two
//! forms with a field of the same name.

use handlebars::{
    Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderErrorReason,
};
use serde_json::Value;

/// The key of the page's root under which the refused form's problems travel.
pub const FORM_ERRORS: &str = "form_errors";

/// The key of the page's root under which a refused form's values travel, as typed, by field
/// name (with its form's prefix): what `{{typed_value "visita.date"}}` writes back into the field and
/// `(typed_is "visita.modality" "virtual")` tests.
pub const FORM_VALUES: &str = "form_values";

pub(super) fn register(registry: &mut Handlebars<'static>) {
    registry.register_helper("field_error", Box::new(field_error));
    registry.register_helper("invalid", Box::new(invalid));
    registry.register_helper("typed_value", Box::new(typed));
    registry.register_helper("typed_is", Box::new(Test(typed_is)));
    registry.register_helper("form_refused", Box::new(Test(form_refused)));
}

/// The field an error belongs to on the page: `agreements[1].due_on` is shown beside
/// `agreements` (one box for all the lines).
pub fn base_field(field: &str) -> &str {
    field.split('[').next().unwrap_or(field)
}

/// A helper that answers yes or no, for `{{#if (…)}}`: reads the page's root.
struct Test(fn(&Helper<'_>, &Context) -> Result<bool, RenderErrorReason>);

impl handlebars::HelperDef for Test {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<handlebars::ScopedJson<'rc>, handlebars::RenderError> {
        Ok(handlebars::ScopedJson::Derived(Value::Bool((self.0)(
            h, ctx,
        )?)))
    }
}

/// `(form_refused "visita")`: whether the page is the form `visita` sent back refused (its box
/// opens).
fn form_refused(h: &Helper<'_>, ctx: &Context) -> Result<bool, RenderErrorReason> {
    let form = field_name(h, "form_refused")?;
    let prefix = format!("{form}.");
    let in_form = |name: &str| name == form || name.starts_with(&prefix);
    let typed = ctx
        .data()
        .get(FORM_VALUES)
        .and_then(Value::as_object)
        .is_some_and(|values| values.keys().any(|k| in_form(k)));
    let errors = ctx
        .data()
        .get(FORM_ERRORS)
        .and_then(Value::as_array)
        .is_some_and(|errors| {
            errors
                .iter()
                .filter_map(|e| e.get("field").and_then(Value::as_str))
                .any(in_form)
        });
    Ok(typed || errors)
}

/// The value typed in `field` of the refused form (none when the page is not a refused form).
fn typed_value<'a>(ctx: &'a Context, field: &str) -> Option<&'a Value> {
    ctx.data().get(FORM_VALUES)?.get(field)
}

fn typed(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    ctx: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    let field = field_name(h, "typed_value")?;
    // `or="14:00"`: what the field holds when the page is not that form sent back.
    let default = || match h.hash_get("or").map(|v| v.value()) {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    let text = match typed_value(ctx, &field) {
        None => default(),
        Some(Value::String(text)) => text.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .or_else(|| v.as_i64().map(|n| n.to_string()))
            })
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    };
    out.write(&handlebars::html_escape(&text))?;
    Ok(())
}

/// `(typed_is "visita.modality" "virtual")`: whether the refused form had that value in that
/// field (or among its values, for a list of checkboxes). The last parameter is the value;
/// those before it are joined into the field's name, as the other helpers join theirs
/// (`(typed_is "compromiso-" id ".status" "done")`).
fn typed_is(h: &Helper<'_>, ctx: &Context) -> Result<bool, RenderErrorReason> {
    let text = |p: &handlebars::PathAndJson<'_>| match p.value() {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    let params = h.params();
    let Some((last, name)) = params.split_last().filter(|(_, name)| !name.is_empty()) else {
        return Err(RenderErrorReason::ParamNotFoundForIndex(
            "typed_is",
            params.len(),
        ));
    };
    let field: String = name.iter().map(text).collect();
    let wanted = text(last);
    let matches = |v: &Value| match v {
        Value::String(text) => *text == wanted,
        Value::Number(n) => wanted.parse::<i64>().ok() == n.as_i64(),
        Value::Bool(b) => wanted == if *b { "true" } else { "false" },
        _ => false,
    };
    let found = match typed_value(ctx, &field) {
        Some(Value::Array(items)) => items.iter().any(matches),
        Some(value) => matches(value),
        None => false,
    };
    Ok(found)
}

/// The id of the message beside `field` (what the summary links to and the field's
/// `aria-describedby` names): `error-` and the field's name with anything but letters, digits,
/// `-` and `_` as `-`.
pub fn error_id(field: &str) -> String {
    let mut id = String::with_capacity(field.len() + 6);
    id.push_str("error-");
    id.extend(field.chars().map(|c| {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            c
        } else {
            '-'
        }
    }));
    id
}

/// The messages of `field` among the root's `form_errors`.
fn messages<'a>(ctx: &'a Context, field: &str) -> Vec<&'a str> {
    ctx.data()
        .get(FORM_ERRORS)
        .and_then(Value::as_array)
        .map(|errors| {
            errors
                .iter()
                .filter(|e| e.get("field").and_then(Value::as_str).map(base_field) == Some(field))
                .filter_map(|e| e.get("message").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default()
}

/// The field's name: its parameters joined (`{{field_error form ".name"}}` inside a row whose
/// `form` is `oferente-3` names `oferente-3.name`).
fn field_name(h: &Helper<'_>, helper: &'static str) -> Result<String, RenderErrorReason> {
    let mut name = String::new();
    for param in h.params() {
        match param.value() {
            Value::String(text) => name.push_str(text),
            Value::Number(n) => name.push_str(&n.to_string()),
            _ => {
                return Err(RenderErrorReason::ParamNotFoundForName(
                    helper,
                    "field".into(),
                ));
            }
        }
    }
    if name.is_empty() {
        return Err(RenderErrorReason::ParamNotFoundForName(
            helper,
            "field".into(),
        ));
    }
    Ok(name)
}

fn field_error(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    ctx: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    let field = field_name(h, "field_error")?;
    let messages = messages(ctx, &field);
    if messages.is_empty() {
        return Ok(());
    }
    out.write(&format!(
        "<p class=\"field-error\" id=\"{}\"><span class=\"visually-hidden\">Error: </span>{}</p>",
        error_id(&field),
        handlebars::html_escape(&messages.join(" "))
    ))?;
    Ok(())
}

fn invalid(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    ctx: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    let field = field_name(h, "invalid")?;
    if !messages(ctx, &field).is_empty() {
        out.write(&format!(
            " aria-invalid=\"true\" aria-describedby=\"{}\"",
            error_id(&field)
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> Handlebars<'static> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        register(&mut registry);
        registry
    }

    #[test]
    fn a_field_names_its_own_problem_and_only_its_own() {
        let registry = registry();
        let data = serde_json::json!({
            "form_errors": [
                {"field": "seats", "message": "Escriba los cupos <1>."},
                {"field": "decline.reason", "message": "Escriba el motivo."},
            ],
            "rows": [1],
            "form": "decline",
        });
        let html = registry
            .render_template(
                "{{#each rows}}{{field_error \"seats\"}}<input{{invalid \"seats\"}}>{{/each}}\
                 {{field_error \"name\"}}<input{{invalid \"name\"}}>{{field_error form \".reason\"}}",
                &data,
            )
            .unwrap();
        assert_eq!(
            html,
            "<p class=\"field-error\" id=\"error-seats\"><span class=\"visually-hidden\">Error: </span>Escriba los cupos &lt;1&gt;.</p>\
             <input aria-invalid=\"true\" aria-describedby=\"error-seats\">\
             <input>\
             <p class=\"field-error\" id=\"error-decline-reason\"><span class=\"visually-hidden\">Error: </span>Escriba el motivo.</p>"
        );
    }

    #[test]
    fn a_refused_form_gets_back_what_was_typed() {
        let registry = registry();
        let data = serde_json::json!({
            "form_values": {
                "visita.topics": "Plan <de> desarrollo\nSeguimiento",
                "visita.modality": "virtual",
                "visita.capacity_ids": ["2", "3"],
            },
        });
        let html = registry
            .render_template(
                "<textarea>{{typed_value \"visita.topics\"}}</textarea>{{typed_value \"visita.date\"}}|\
                 {{#if (typed_is \"visita.modality\" \"virtual\")}}v{{/if}}\
                 {{#if (typed_is \"visita.modality\" \"mixta\")}}m{{/if}}\
                 {{#if (typed_is \"visita.capacity_ids\" \"3\")}}3{{/if}}\
                 {{#if (typed_is \"visita.\" \"modality\" \"virtual\")}}V{{/if}}\
                 {{#if (typed_is \"visita.\" \"modality\" \"mixta\")}}M{{/if}}\
                 {{typed_value \"visita.modality\" or=\"presencial\"}}{{typed_value \"visita.hours\" or=\"3\"}}",
                &data,
            )
            .unwrap();
        assert_eq!(
            html,
            "<textarea>Plan &lt;de&gt; desarrollo\nSeguimiento</textarea>|v3Vvirtual3"
        );
        // A page that is not a refused form: empty fields, nothing chosen.
        let html = registry
            .render_template(
                "{{typed_value \"visita.date\"}}{{#if (typed_is \"visita.modality\" \"virtual\")}}v{{/if}}",
                &serde_json::json!({}),
            )
            .unwrap();
        assert_eq!(html, "");
    }

    /// A template's own value named like one of these helpers (`{{refused}}`, `{{typed}}`)
    /// would be taken for the helper and fail the page: none is written bare.
    #[test]
    fn no_template_writes_a_form_helper_bare() {
        let names = [
            "field_error",
            "invalid",
            "typed_value",
            "typed_is",
            "form_refused",
        ];
        for (template, source) in super::super::TEMPLATES {
            for name in names {
                assert!(
                    !source.contains(&format!("{{{{{name}}}}}")),
                    "{template} writes {{{{{name}}}}} bare"
                );
            }
        }
    }

    #[test]
    fn a_page_without_problems_draws_nothing() {
        let registry = registry();
        let html = registry
            .render_template(
                "{{field_error \"seats\"}}<input{{invalid \"seats\"}}>",
                &serde_json::json!({}),
            )
            .unwrap();
        assert_eq!(html, "<input>");
    }
}
