//! The canonical form `eddsa-rdfc-2022` signs (W3C "Data Integrity EdDSA Cryptosuites v1.0",
//! §3.4): the JSON-LD document turned into an RDF dataset (JSON-LD 1.1 toRdf, `oxjsonld`) with
//! the embedded contexts only ([`super::contexts::load`]; nothing is fetched), canonicalized
//! with RDF Dataset Canonicalization 1.0 (`oxrdf`'s RDFC-1.0, SHA-256) and written as sorted
//! canonical N-Quads.
//!
//! Canonicalization is exponential in the worst case (W3C RDFC-1.0 §"Dataset poisoning"):
//! many blank nodes that look alike force it through every permutation of them. A credential
//! sent to the verifier is therefore screened first ([`screen`]): a bounded number of JSON
//! objects (each becomes at most one blank node), at most [`MAX_ARRAY_OBJECTS`] objects in one
//! array (the permutations are of sibling nodes), no nested `@context` and no other JSON-LD
//! keyword than the top-level `@context` (what the product's credentials use, and what a
//! verifier reading the JSON needs to trust that it reads what was signed).

use super::contexts;
use oxjsonld::{JsonLdParser, JsonLdRemoteDocument};
use oxrdf::Dataset;
use oxrdf::dataset::{CanonicalizationAlgorithm, CanonicalizationHashAlgorithm};
use serde_json::{Map, Value};

/// JSON objects a screened document may hold (a course credential has 13, a programme's one
/// more per module).
pub const MAX_OBJECTS: usize = 80;
/// Objects one JSON array may hold.
pub const MAX_ARRAY_OBJECTS: usize = 24;
/// Quads the dataset of a screened document may have.
const MAX_QUADS: usize = 2_000;

/// Checks that canonicalizing `document` is bounded (see the module's notes). Returns why
/// not, in Spanish.
pub fn screen(document: &Map<String, Value>) -> Result<(), String> {
    fn walk(value: &Value, objects: &mut usize, top: bool) -> Result<(), String> {
        match value {
            Value::Object(map) => {
                *objects += 1;
                if *objects > MAX_OBJECTS {
                    return Err(format!("tiene más de {MAX_OBJECTS} objetos"));
                }
                for (key, inner) in map {
                    if key.starts_with('@') && !(top && key == "@context") {
                        return Err(format!("usa la palabra clave «{key}» de JSON-LD"));
                    }
                    if !(top && key == "@context") {
                        walk(inner, objects, false)?;
                    }
                }
                Ok(())
            }
            Value::Array(items) => {
                if items.iter().filter(|i| i.is_object()).count() > MAX_ARRAY_OBJECTS {
                    return Err(format!(
                        "tiene una lista con más de {MAX_ARRAY_OBJECTS} objetos"
                    ));
                }
                items.iter().try_for_each(|i| walk(i, objects, false))
            }
            _ => Ok(()),
        }
    }
    let mut objects = 0;
    walk(&Value::Object(document.clone()), &mut objects, true)
}

/// The RDFC-1.0 canonical N-Quads of a JSON-LD document, or why it cannot be read (in
/// Spanish): an unknown context, JSON-LD that does not process, a dataset too large.
pub fn canonical_nquads(document: &Map<String, Value>) -> Result<String, String> {
    let bytes = serde_json::to_vec(document).map_err(|e| e.to_string())?;
    let mut dataset = Dataset::new();
    let parser = JsonLdParser::new()
        .for_slice(&bytes)
        .with_load_document_callback(|url, _options| {
            contexts::load(url)
                .map(|text| JsonLdRemoteDocument {
                    document: text.as_bytes().to_vec(),
                    document_url: url.to_string(),
                })
                .ok_or_else(|| format!("contexto desconocido: {url}").into())
        });
    for quad in parser {
        let quad = quad.map_err(|e| format!("no se puede leer como JSON-LD ({e})"))?;
        dataset.insert(&quad);
        if dataset.len() > MAX_QUADS {
            return Err(format!("tiene más de {MAX_QUADS} enunciados RDF"));
        }
    }
    dataset.canonicalize(CanonicalizationAlgorithm::Rdfc10 {
        hash_algorithm: CanonicalizationHashAlgorithm::Sha256,
    });
    let mut lines: Vec<String> = dataset.iter().map(|quad| format!("{quad} .\n")).collect();
    lines.sort_unstable();
    Ok(lines.concat())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn a_credential_becomes_sorted_canonical_nquads() {
        let document = map(json!({
            "@context": [contexts::CREDENTIALS_V2, contexts::OPEN_BADGES_V3],
            "id": "https://aula.example/api/v1/certificates/X/credential",
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "name": "Gestión Presupuestal",
            "validFrom": "2026-11-02T20:04:05Z",
            "credentialSubject": {
                "type": ["AchievementSubject"],
                "result": [
                    {"type": ["Result"], "value": "87.5"},
                    {"type": ["Result"], "value": "4.25"}
                ]
            }
        }));
        let nquads = canonical_nquads(&document).unwrap();
        let lines: Vec<&str> = nquads.lines().collect();
        let mut sorted = lines.clone();
        sorted.sort_unstable();
        assert_eq!(lines, sorted);
        assert!(nquads.ends_with(" .\n"));
        assert!(nquads.contains(
            "<https://aula.example/api/v1/certificates/X/credential> <https://schema.org/name> \"Gestión Presupuestal\" .\n"
        ));
        assert!(
            nquads
                .contains("\"2026-11-02T20:04:05Z\"^^<http://www.w3.org/2001/XMLSchema#dateTime>")
        );
        // Blank nodes are named canonically, whatever the order of the JSON.
        assert!(nquads.contains("_:c14n0 "));
        let mut reordered = document.clone();
        reordered["credentialSubject"]["result"] = json!([
            {"type": ["Result"], "value": "4.25"},
            {"type": ["Result"], "value": "87.5"}
        ]);
        assert_eq!(canonical_nquads(&reordered).unwrap(), nquads);
        // A changed value changes the canonical form.
        let mut changed = document.clone();
        changed["credentialSubject"]["result"][1]["value"] = json!("4.75");
        assert_ne!(canonical_nquads(&changed).unwrap(), nquads);
    }

    #[test]
    fn unknown_contexts_and_unbounded_documents_are_refused() {
        let remote = map(json!({
            "@context": [contexts::CREDENTIALS_V2, "https://evil.example/ctx"],
            "name": "x"
        }));
        assert!(
            canonical_nquads(&remote)
                .unwrap_err()
                .contains("evil.example")
        );

        let siblings: Vec<Value> = (0..=MAX_ARRAY_OBJECTS)
            .map(|_| json!({"type": ["Result"]}))
            .collect();
        assert!(screen(&map(json!({"result": siblings}))).is_err());
        let nested = map(json!({"credentialSubject": {"@context": {"name": "urn:x"}}}));
        assert!(screen(&nested).unwrap_err().contains("@context"));
        assert!(screen(&map(json!({"@included": []}))).is_err());
        let mut deep = json!({"v": 1});
        for _ in 0..MAX_OBJECTS {
            deep = json!({"n": deep});
        }
        assert!(screen(deep.as_object().unwrap()).is_err());
        assert!(
            screen(&map(
                json!({"@context": [contexts::CREDENTIALS_V2], "a": {"b": [{}, {}]}})
            ))
            .is_ok()
        );
    }
}
