//! The canonical form `eddsa-rdfc-2022` signs (W3C "Data Integrity EdDSA Cryptosuites v1.0",
//! §3.4): the JSON-LD document turned into an RDF dataset (JSON-LD 1.1 toRdf, `oxjsonld`) with
//! the embedded contexts only ([`super::contexts::load`]; nothing is fetched), canonicalized
//! with RDF Dataset Canonicalization 1.0 (`oxrdf`'s RDFC-1.0, SHA-256) and written as sorted
//! canonical N-Quads.
//!
//! Canonicalization is exponential in the worst case (W3C RDFC-1.0 §"Dataset poisoning"):
//! blank nodes that look alike (the same first-degree hash) force it through every
//! permutation of them, and a few kilobytes of JSON (two equal objects with 24 equal members
//! each) keep it busy for minutes. A credential sent to the verifier is therefore bounded
//! before and while it is read: [`screen`] on the JSON (a bounded number of objects, no blank
//! node identifiers, so the blank nodes form trees; no nested `@context` and no other JSON-LD
//! keyword than the top-level `@context`, what the product's credentials use and what a
//! verifier reading the JSON needs to trust that it reads what was signed), then, on the
//! dataset, at most [`MAX_LOOK_ALIKE`] blank nodes that share their first-degree description
//! with another (the product's credentials have none: each blank node has its own values).

use super::contexts;
use oxjsonld::{JsonLdParser, JsonLdRemoteDocument};
use oxrdf::Dataset;
use oxrdf::dataset::{CanonicalizationAlgorithm, CanonicalizationHashAlgorithm};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, OnceLock, PoisonError};

/// JSON objects a screened document may hold (a course credential has 13, a programme's one
/// more per module).
pub const MAX_OBJECTS: usize = 80;
/// Objects one JSON array may hold.
pub const MAX_ARRAY_OBJECTS: usize = 24;
/// Quads the dataset of a screened document may have.
const MAX_QUADS: usize = 2_000;
/// Blank nodes whose first-degree description another blank node shares.
pub const MAX_LOOK_ALIKE: usize = 12;

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
            Value::String(text) if text.starts_with("_:") => {
                Err("nombra nodos en blanco («_:»)".into())
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

/// Canonical forms already computed, by the SHA-256 of the document's JSON, at most
/// [`MEMO_MAX`] (then forgotten all at once). RDFC-1.0 over the embedded contexts is a pure
/// function of the document, and its JSON-LD context processing costs about ten milliseconds
/// a document (issue 69: a credential served or verified again, a status list read again, paid
/// it every time, 20× slower than the JCS proof alone). The cell makes the first visitors of a
/// document at once wait on one computation instead of each doing it.
type Memo = HashMap<[u8; 32], Arc<OnceLock<Result<String, String>>>>;
static MEMO: LazyLock<Mutex<Memo>> = LazyLock::new(Mutex::default);
/// Documents remembered (a credential's canonical form is 3–6 KB).
const MEMO_MAX: usize = 2_048;

/// The RDFC-1.0 canonical N-Quads of a JSON-LD document, or why it cannot be read (in
/// Spanish): an unknown context, JSON-LD that does not process, a dataset too large.
pub fn canonical_nquads(document: &Map<String, Value>) -> Result<String, String> {
    let bytes = serde_json::to_vec(document).map_err(|e| e.to_string())?;
    let key: [u8; 32] = Sha256::digest(&bytes).into();
    let cell = {
        let mut memo = MEMO.lock().unwrap_or_else(PoisonError::into_inner);
        if memo.len() >= MEMO_MAX && !memo.contains_key(&key) {
            memo.clear();
        }
        memo.entry(key).or_default().clone()
    };
    cell.get_or_init(|| canonicalize(&bytes)).clone()
}

/// [`canonical_nquads`] computed: the JSON `bytes` read as JSON-LD, canonicalized, sorted.
fn canonicalize(bytes: &[u8]) -> Result<String, String> {
    let mut dataset = Dataset::new();
    let parser = JsonLdParser::new()
        .for_slice(bytes)
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
    let look_alike = look_alike_blank_nodes(&dataset);
    if look_alike > MAX_LOOK_ALIKE {
        return Err(format!(
            "tiene {look_alike} nodos en blanco indistinguibles a primera vista (el máximo es \
             {MAX_LOOK_ALIKE})"
        ));
    }
    dataset.canonicalize(CanonicalizationAlgorithm::Rdfc10 {
        hash_algorithm: CanonicalizationHashAlgorithm::Sha256,
    });
    let mut lines: Vec<String> = dataset.iter().map(|quad| format!("{quad} .\n")).collect();
    lines.sort_unstable();
    Ok(lines.concat())
}

/// How many blank nodes share their first-degree description (RDFC-1.0 §4.6: the quads that
/// mention the node, itself written `_:a` and any other blank node `_:z`) with another: the
/// ones canonicalization must tell apart by permutations.
fn look_alike_blank_nodes(dataset: &Dataset) -> usize {
    use oxrdf::{BlankNodeRef, GraphNameRef, NamedOrBlankNodeRef, TermRef};
    use std::collections::HashMap;
    let mut described: HashMap<BlankNodeRef<'_>, Vec<String>> = HashMap::new();
    for quad in dataset.iter() {
        let subject = match quad.subject {
            NamedOrBlankNodeRef::BlankNode(b) => Some(b),
            NamedOrBlankNodeRef::NamedNode(_) => None,
        };
        let object = match quad.object {
            TermRef::BlankNode(b) => Some(b),
            _ => None,
        };
        let graph = match quad.graph_name {
            GraphNameRef::BlankNode(b) => Some(b),
            _ => None,
        };
        for node in [subject, object, graph].into_iter().flatten() {
            let name = |other: Option<BlankNodeRef<'_>>| match other {
                Some(b) if b == node => "_:a",
                _ => "_:z",
            };
            let line = format!(
                "{} {} {} {}",
                subject.map_or_else(|| quad.subject.to_string(), |b| name(Some(b)).into()),
                quad.predicate,
                object.map_or_else(|| quad.object.to_string(), |b| name(Some(b)).into()),
                graph.map_or_else(|| quad.graph_name.to_string(), |b| name(Some(b)).into()),
            );
            described.entry(node).or_default().push(line);
        }
    }
    let mut descriptions: HashMap<Vec<String>, usize> = HashMap::new();
    for (_, mut lines) in described {
        lines.sort_unstable();
        *descriptions.entry(lines).or_default() += 1;
    }
    descriptions.values().filter(|n| **n > 1).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn a_document_read_again_gives_its_own_canonical_form_from_the_memo() {
        let named = |name: &str| {
            map(json!({
                "@context": [contexts::CREDENTIALS_V2, contexts::OPEN_BADGES_V3],
                "id": "https://aula.example/api/v1/certificates/M/credential",
                "type": ["VerifiableCredential", "OpenBadgeCredential"],
                "name": name,
            }))
        };
        let first = canonical_nquads(&named("Primera")).unwrap();
        let second = canonical_nquads(&named("Segunda")).unwrap();
        assert_ne!(first, second);
        assert!(second.contains("\"Segunda\""));
        assert_eq!(canonical_nquads(&named("Primera")).unwrap(), first);
        assert_eq!(
            canonicalize(&serde_json::to_vec(&named("Primera")).unwrap()).unwrap(),
            first
        );
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
        assert!(screen(&map(json!({"a": {"id": "_:b0"}}))).is_err());
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

    /// Two equal subjects with equal results pass the JSON screen but would keep RDFC-1.0
    /// busy for minutes: refused at once, while the product's own shapes have no look-alikes.
    #[test]
    fn look_alike_blank_nodes_are_refused_before_canonicalizing() {
        let results: Vec<Value> = (0..MAX_ARRAY_OBJECTS)
            .map(|_| json!({"type": ["Result"], "value": "1"}))
            .collect();
        let subject = json!({"type": ["AchievementSubject"], "result": results});
        let poisoned = map(json!({
            "@context": [contexts::CREDENTIALS_V2, contexts::OPEN_BADGES_V3],
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "credentialSubject": [subject.clone(), subject]
        }));
        assert!(screen(&poisoned).is_ok());
        let started = std::time::Instant::now();
        let refused = canonical_nquads(&poisoned).unwrap_err();
        assert!(refused.contains("indistinguibles"), "{refused}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));

        let distinct: Vec<Value> = (0..MAX_ARRAY_OBJECTS)
            .map(|i| json!({"type": ["Result"], "value": i.to_string()}))
            .collect();
        let fine = map(json!({
            "@context": [contexts::CREDENTIALS_V2, contexts::OPEN_BADGES_V3],
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "credentialSubject": {"type": ["AchievementSubject"], "result": distinct}
        }));
        assert!(canonical_nquads(&fine).is_ok());
    }
}
