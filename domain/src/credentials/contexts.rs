//! The JSON-LD contexts the product's credentials use, compiled in: nothing is fetched at run
//! time, and a credential naming any other context is not trusted (see `contexts/README.md`).

use serde_json::Value;

pub const CREDENTIALS_V2: &str = "https://www.w3.org/ns/credentials/v2";
pub const OPEN_BADGES_V3: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";

const EMBEDDED: [(&str, &str); 2] = [
    (
        CREDENTIALS_V2,
        include_str!("contexts/credentials-v2.jsonld"),
    ),
    (
        OPEN_BADGES_V3,
        include_str!("contexts/ob-v3p0-context-3.0.3.json"),
    ),
];

/// The context document of a URL, from the embedded copies (`None`: not one we know).
pub fn load(url: &str) -> Option<&'static str> {
    EMBEDDED
        .iter()
        .find(|(known, _)| *known == url)
        .map(|(_, text)| *text)
}

/// Checks a credential's `@context`: a list that begins with the VC 2.0 context and holds
/// only contexts kept here. Returns why not, in Spanish.
pub fn check(document: &Value) -> Result<(), String> {
    let Some(list) = document.get("@context").and_then(Value::as_array) else {
        return Err("Falta «@context» o no es una lista.".into());
    };
    if list.first().and_then(Value::as_str) != Some(CREDENTIALS_V2) {
        return Err(format!(
            "El primer contexto debe ser {CREDENTIALS_V2} (Verifiable Credentials 2.0)."
        ));
    }
    for item in list {
        match item.as_str() {
            Some(url) if load(url).is_some() => {}
            Some(url) => return Err(format!("Contexto desconocido: {url}.")),
            None => return Err("Los contextos deben ser direcciones, no objetos.".into()),
        }
    }
    Ok(())
}

/// Every term the embedded contexts define, at the top or inside a type's scoped context.
#[cfg(test)]
pub fn defined_terms() -> std::collections::BTreeSet<String> {
    fn collect(
        context: &serde_json::Map<String, Value>,
        into: &mut std::collections::BTreeSet<String>,
    ) {
        for (term, definition) in context {
            into.insert(term.clone());
            if let Some(Value::Object(scoped)) = definition.get("@context") {
                collect(scoped, into);
            }
        }
    }
    let mut terms = std::collections::BTreeSet::new();
    for (_, text) in EMBEDDED {
        let document: Value = serde_json::from_str(text).unwrap_or_default();
        if let Some(Value::Object(context)) = document.get("@context") {
            collect(context, &mut terms);
        }
    }
    terms
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_contexts_load_offline_and_parse() {
        for url in [CREDENTIALS_V2, OPEN_BADGES_V3] {
            let text = load(url).expect("embedded");
            let document: Value = serde_json::from_str(text).expect("valid JSON");
            assert!(document["@context"].is_object(), "{url}");
        }
        let terms = defined_terms();
        for term in [
            "OpenBadgeCredential",
            "AchievementSubject",
            "Achievement",
            "BitstringStatusListCredential",
            "BitstringStatusListEntry",
            "DataIntegrityProof",
            "criteria",
            "statusListIndex",
        ] {
            assert!(terms.contains(term), "{term}");
        }
        assert_eq!(load("https://example.org/otro"), None);
    }

    #[test]
    fn only_known_contexts_are_trusted() {
        assert!(check(&json!({"@context": [CREDENTIALS_V2, OPEN_BADGES_V3]})).is_ok());
        assert!(check(&json!({"@context": [OPEN_BADGES_V3]})).is_err());
        assert!(check(&json!({"@context": CREDENTIALS_V2})).is_err());
        assert!(check(&json!({"@context": [CREDENTIALS_V2, "https://evil.example/ctx"]})).is_err());
        assert!(check(&json!({"@context": [CREDENTIALS_V2, {"name": "http://x"}]})).is_err());
        assert!(check(&json!({})).is_err());
    }
}
