//! Data Integrity proofs (W3C "Data Integrity EdDSA Cryptosuites v1.0"), Ed25519, the
//! signature multibase base58btc in `proofValue`. Every document is signed twice, a proof set
//! of two independent proofs over the same document (Data Integrity §2.1.1):
//!
//! - `eddsa-jcs-2022` (§3.3): the document and the proof's options canonicalized with JCS
//!   (RFC 8785), each hashed with SHA-256, the two hashes (options first) signed. JCS works on
//!   the JSON itself, so no JSON-LD processing is needed; the contexts are still checked
//!   (`contexts::check`) before a credential is trusted.
//! - `eddsa-rdfc-2022` (§3.4): the same, over the RDFC-1.0 canonical N-Quads of the JSON-LD
//!   document under the embedded contexts ([`super::rdfc`]) — the proof the Digital
//!   Credentials Consortium's verifier and `openbadgeslib` check.
//!
//! A verifier picks the proof it knows and ignores the other (both do); ours checks every
//! proof the document carries (see [`verify`]).

use super::keys::{self, PublicKey};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

pub const PROOF_TYPE: &str = "DataIntegrityProof";
pub const CRYPTOSUITE: &str = "eddsa-jcs-2022";
pub const CRYPTOSUITE_RDFC: &str = "eddsa-rdfc-2022";
pub const ASSERTION: &str = "assertionMethod";

/// Why a proof does not hold, in Spanish for the verification page and API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProofError {
    Missing,
    Unsupported(String),
    Malformed(String),
    UnknownKey(String),
    Mismatch,
    /// The document cannot be canonicalized (`eddsa-rdfc-2022`): unknown context, JSON-LD
    /// that does not process, or past the bounds of `rdfc::screen`.
    Unreadable(String),
}

impl std::fmt::Display for ProofError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProofError::Missing => write!(f, "La credencial no tiene firma (falta «proof»)."),
            ProofError::Unsupported(what) => {
                write!(f, "La firma no es de un tipo admitido: {what}.")
            }
            ProofError::Malformed(what) => write!(f, "La firma está mal formada: {what}."),
            ProofError::Unreadable(what) => write!(
                f,
                "La credencial no se puede verificar como JSON-LD: {what}."
            ),
            ProofError::UnknownKey(method) => write!(
                f,
                "La firma se hizo con una clave que la ESAP no publica ({method})."
            ),
            ProofError::Mismatch => write!(
                f,
                "La firma no corresponde al contenido: la credencial fue modificada después de \
                 firmada o no la firmó esta clave."
            ),
        }
    }
}

/// The proof's options: when and with which key.
pub struct Options<'a> {
    pub created: &'a str,
    pub verification_method: &'a str,
}

/// A cryptosuite this module signs and verifies with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Suite {
    /// `eddsa-jcs-2022`.
    Jcs,
    /// `eddsa-rdfc-2022`.
    Rdfc,
}

impl Suite {
    pub fn name(self) -> &'static str {
        match self {
            Suite::Jcs => CRYPTOSUITE,
            Suite::Rdfc => CRYPTOSUITE_RDFC,
        }
    }

    fn of(name: &str) -> Option<Suite> {
        [Suite::Jcs, Suite::Rdfc]
            .into_iter()
            .find(|suite| suite.name() == name)
    }
}

/// The suites every document is signed with, in the order of its proof set.
pub const SUITES: [Suite; 2] = [Suite::Jcs, Suite::Rdfc];

/// Proofs a document may carry before the verifier refuses to check them all.
const MAX_PROOFS: usize = 4;

/// The proof's configuration (§3.3.1, §3.4.1): the proof without its value, under the
/// document's contexts.
#[derive(Serialize)]
struct ProofConfig<'a> {
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none")]
    context: Option<&'a Value>,
    #[serde(rename = "type")]
    kind: &'static str,
    cryptosuite: &'static str,
    created: &'a str,
    #[serde(rename = "verificationMethod")]
    verification_method: &'a str,
    #[serde(rename = "proofPurpose")]
    proof_purpose: &'static str,
}

/// `SHA-256(canonical(proof config)) ‖ SHA-256(canonical(document))`: what the key signs.
fn hash_data(
    suite: Suite,
    document: &Map<String, Value>,
    config: &Map<String, Value>,
) -> Result<Vec<u8>, ProofError> {
    let canonical = |value: &Map<String, Value>| match suite {
        // A serde_json map of JSON values always canonicalizes (no non-finite numbers).
        Suite::Jcs => Ok(serde_json_canonicalizer::to_vec(value).unwrap_or_default()),
        Suite::Rdfc => super::rdfc::canonical_nquads(value)
            .map(String::into_bytes)
            .map_err(ProofError::Unreadable),
    };
    let mut data = Sha256::digest(canonical(config)?).to_vec();
    data.extend_from_slice(&Sha256::digest(canonical(document)?));
    Ok(data)
}

/// One proof of `suite` over `document` (which carries no proof).
fn proof_of(
    suite: Suite,
    document: &Map<String, Value>,
    options: &Options<'_>,
    sign: &impl Fn(&[u8]) -> Vec<u8>,
) -> Result<Map<String, Value>, ProofError> {
    let config = ProofConfig {
        context: document.get("@context"),
        kind: PROOF_TYPE,
        cryptosuite: suite.name(),
        created: options.created,
        verification_method: options.verification_method,
        proof_purpose: ASSERTION,
    };
    let Ok(Value::Object(mut config)) = serde_json::to_value(config) else {
        return Err(ProofError::Malformed("configuración".into()));
    };
    let signature = sign(&hash_data(suite, document, &config)?);
    if suite == Suite::Rdfc {
        // The embedded proof takes the document's contexts (as Digital Bazaar's and the DCC's
        // libraries write it); the JCS proof keeps them, as it always has.
        config.remove("@context");
    }
    config.insert(
        "proofValue".into(),
        Value::String(keys::multibase(&signature)),
    );
    Ok(config)
}

/// Signs `document` with every suite of [`SUITES`]: the returned document carries `proof`, an
/// array of one proof each (any earlier proof replaced). `sign` is the key (Ed25519 over the
/// bytes given).
pub fn add_proof(
    document: Map<String, Value>,
    options: &Options<'_>,
    sign: impl Fn(&[u8]) -> Vec<u8>,
) -> Map<String, Value> {
    add_proofs(document, options, &SUITES, sign)
}

/// Signs `document` with `suites`: `proof` is one object for one suite, an array (a proof
/// set) for several. A suite whose canonical form cannot be computed is left out and logged
/// (the product's own documents always canonicalize; the tests check both proofs).
pub fn add_proofs(
    mut document: Map<String, Value>,
    options: &Options<'_>,
    suites: &[Suite],
    sign: impl Fn(&[u8]) -> Vec<u8>,
) -> Map<String, Value> {
    document.remove("proof");
    let mut proofs: Vec<Value> = Vec::new();
    for &suite in suites {
        match proof_of(suite, &document, options, &sign) {
            Ok(proof) => proofs.push(Value::Object(proof)),
            Err(error) => {
                tracing::error!(cryptosuite = suite.name(), %error, "a document could not be signed");
            }
        }
    }
    let proof = match proofs.len() {
        0 => return document,
        1 => proofs.remove(0),
        _ => Value::Array(proofs),
    };
    document.insert("proof".into(), proof);
    document
}

fn text<'a>(proof: &'a Map<String, Value>, field: &str) -> Result<&'a str, ProofError> {
    proof
        .get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| ProofError::Malformed(format!("falta «{field}»")))
}

/// Checks the proofs of `secured` (§3.3.2, §3.4.2 Verify Proof): a single proof or a proof
/// set, every proof of a supported suite and holding (one that does not makes the document
/// fail, whatever the others say). `resolve` gives the public key a verification method names,
/// or `None` when it is not one the verifier trusts. Returns the verification method that
/// signed (the first proof's).
pub fn verify(
    secured: &Map<String, Value>,
    resolve: impl Fn(&str) -> Option<PublicKey>,
) -> Result<String, ProofError> {
    let proofs: Vec<&Map<String, Value>> = match secured.get("proof") {
        None => return Err(ProofError::Missing),
        Some(Value::Object(proof)) => vec![proof],
        Some(Value::Array(items)) if items.is_empty() => return Err(ProofError::Missing),
        Some(Value::Array(items)) if items.len() > MAX_PROOFS => {
            return Err(ProofError::Malformed(format!(
                "más de {MAX_PROOFS} firmas en una credencial"
            )));
        }
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_object()
                    .ok_or_else(|| ProofError::Malformed("una firma no es un objeto".into()))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(ProofError::Malformed("«proof» no es un objeto".into())),
    };
    let mut unsecured = secured.clone();
    unsecured.remove("proof");
    let mut signer = None;
    for proof in proofs {
        let method = verify_one(&unsecured, proof, &resolve)?;
        signer.get_or_insert(method);
    }
    signer.ok_or(ProofError::Missing)
}

/// Checks one proof over the document without its proofs.
fn verify_one(
    unsecured: &Map<String, Value>,
    proof: &Map<String, Value>,
    resolve: &impl Fn(&str) -> Option<PublicKey>,
) -> Result<String, ProofError> {
    let proof_type = text(proof, "type")?;
    let suite_name = text(proof, "cryptosuite")?;
    let suite = Suite::of(suite_name)
        .filter(|_| proof_type == PROOF_TYPE)
        .ok_or_else(|| ProofError::Unsupported(format!("{proof_type} / {suite_name}")))?;
    if text(proof, "proofPurpose")? != ASSERTION {
        return Err(ProofError::Unsupported(format!(
            "propósito «{}»",
            text(proof, "proofPurpose")?
        )));
    }
    let method = text(proof, "verificationMethod")?;
    let signature = keys::from_multibase(text(proof, "proofValue")?)
        .filter(|bytes| bytes.len() == 64)
        .ok_or_else(|| ProofError::Malformed("«proofValue» no es una firma Ed25519".into()))?;
    if let Some(created) = proof.get("created") {
        let valid = created
            .as_str()
            .is_some_and(|c| chrono::DateTime::parse_from_rfc3339(c).is_ok());
        if !valid {
            return Err(ProofError::Malformed(
                "«created» no es una fecha y hora".into(),
            ));
        }
    }
    let mut unsecured = unsecured.clone();
    let mut config = proof.clone();
    config.remove("proofValue");
    if let Some(Value::Array(proof_context)) = config.get("@context") {
        // The document's contexts must begin with the proof's, in the same order.
        let document_context: Vec<Value> = match unsecured.get("@context") {
            Some(Value::Array(items)) => items.clone(),
            Some(one) => vec![one.clone()],
            None => Vec::new(),
        };
        if !document_context.starts_with(proof_context) {
            return Err(ProofError::Mismatch);
        }
        unsecured.insert("@context".into(), Value::Array(proof_context.clone()));
    }
    if suite == Suite::Rdfc {
        // The proof's options are read under the document's contexts (§3.4.5), and the
        // document is bounded before it is canonicalized.
        if !config.contains_key("@context")
            && let Some(context) = unsecured.get("@context")
        {
            config.insert("@context".into(), context.clone());
        }
        super::rdfc::screen(&unsecured).map_err(ProofError::Unreadable)?;
        super::rdfc::screen(&config).map_err(ProofError::Unreadable)?;
    }
    let key = resolve(method).ok_or_else(|| ProofError::UnknownKey(method.to_string()))?;
    if keys::signature_holds(&key, &hash_data(suite, &unsecured, &config)?, &signature) {
        Ok(method.to_string())
    } else {
        Err(ProofError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    //! An independent check: the test vectors published with the cryptosuite's specification
    //! (W3C vc-di-eddsa, `TestVectors/eddsa-jcs-2022/`), computed by its editors with another
    //! implementation. Ed25519 is deterministic, so signing their document with their key must
    //! give their exact `proofValue`, and our hashes their intermediate values.
    use super::*;
    use serde_json::json;

    const SPEC_SECRET: &str = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq";
    const SPEC_METHOD: &str = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";
    const SPEC_PROOF_VALUE: &str =
        "z2HnFSSPPBzR36zdDgK8PbEHeXbR56YF24jwMpt3R1eHXQzJDMWS93FCzpvJpwTWd3GAVFuUfjoJdcnTMuVor51aX";
    const SPEC_COMBINED_HASH: &str = "66ab154f5c2890a140cb8388a22a160454f80575f6eae09e5a097cabe539a1db59b7cb6251b8991add1ce0bc83107e3db9dbbab5bd2c28f687db1a03abc92f19";

    fn spec_document() -> Map<String, Value> {
        let value = json!({
            "@context": [
                "https://www.w3.org/ns/credentials/v2",
                "https://www.w3.org/ns/credentials/examples/v2"
            ],
            "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
            "type": ["VerifiableCredential", "AlumniCredential"],
            "name": "Alumni Credential",
            "description": "A minimum viable example of an Alumni Credential.",
            "issuer": "https://vc.example/issuers/5678",
            "validFrom": "2023-01-01T00:00:00Z",
            "credentialSubject": {
                "id": "did:example:abcdefgh",
                "alumniOf": "The School of Examples"
            }
        });
        value.as_object().unwrap().clone()
    }

    fn spec_key() -> PublicKey {
        keys::parse_public_multikey("z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2").unwrap()
    }

    fn signed() -> Map<String, Value> {
        let pair = keys::parse_secret_multikey(SPEC_SECRET).unwrap();
        // The vector's document names the examples context, which is not embedded: JCS only.
        add_proofs(
            spec_document(),
            &Options {
                created: "2023-02-24T23:36:38Z",
                verification_method: SPEC_METHOD,
            },
            &[Suite::Jcs],
            |data| pair.sign(data).as_ref().to_vec(),
        )
    }

    #[test]
    fn signing_the_specifications_vector_gives_its_proof_value() {
        let secured = signed();
        assert_eq!(secured["proof"]["proofValue"], SPEC_PROOF_VALUE);
        let mut config = secured["proof"].as_object().unwrap().clone();
        config.remove("proofValue");
        let combined: String = hash_data(Suite::Jcs, &spec_document(), &config)
            .unwrap()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(combined, SPEC_COMBINED_HASH);
        assert_eq!(
            serde_json_canonicalizer::to_string(&config).unwrap(),
            r#"{"@context":["https://www.w3.org/ns/credentials/v2","https://www.w3.org/ns/credentials/examples/v2"],"created":"2023-02-24T23:36:38Z","cryptosuite":"eddsa-jcs-2022","proofPurpose":"assertionMethod","type":"DataIntegrityProof","verificationMethod":"did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"}"#
        );
    }

    #[test]
    fn the_specifications_signed_vector_verifies_and_a_changed_byte_does_not() {
        let resolve = |method: &str| (method == SPEC_METHOD).then(spec_key);
        assert_eq!(verify(&signed(), resolve).unwrap(), SPEC_METHOD);

        let mut changed = signed();
        changed.insert("name".into(), json!("Alumni Credentiam"));
        assert_eq!(verify(&changed, resolve), Err(ProofError::Mismatch));

        let mut changed = signed();
        changed["credentialSubject"]["alumniOf"] = json!("The School of Examplez");
        assert_eq!(verify(&changed, resolve), Err(ProofError::Mismatch));

        let mut changed = signed();
        changed["proof"]["created"] = json!("2023-02-24T23:36:39Z");
        assert_eq!(verify(&changed, resolve), Err(ProofError::Mismatch));

        let mut changed = signed();
        changed.insert(
            "@context".into(),
            json!(["https://www.w3.org/ns/credentials/v2"]),
        );
        assert_eq!(verify(&changed, resolve), Err(ProofError::Mismatch));
    }

    #[test]
    fn proofs_that_cannot_be_checked_say_why() {
        let resolve = |method: &str| (method == SPEC_METHOD).then(spec_key);
        assert_eq!(verify(&spec_document(), resolve), Err(ProofError::Missing));

        assert!(matches!(
            verify(&signed(), |_| None),
            Err(ProofError::UnknownKey(_))
        ));

        let mut other = signed();
        other["proof"]["cryptosuite"] = json!("ecdsa-rdfc-2019");
        assert!(matches!(
            verify(&other, resolve),
            Err(ProofError::Unsupported(_))
        ));

        // An rdfc proof over a document whose context is not embedded cannot be checked.
        let mut other = signed();
        other["proof"]["cryptosuite"] = json!("eddsa-rdfc-2022");
        assert!(matches!(
            verify(&other, resolve),
            Err(ProofError::Unreadable(message)) if message.contains("examples")
        ));

        let mut other = signed();
        other["proof"]["proofPurpose"] = json!("authentication");
        assert!(matches!(
            verify(&other, resolve),
            Err(ProofError::Unsupported(_))
        ));

        let mut other = signed();
        other["proof"]["proofValue"] = json!("zabc");
        assert!(matches!(
            verify(&other, resolve),
            Err(ProofError::Malformed(_))
        ));

        let mut other = signed();
        other["proof"]["created"] = json!("ayer");
        assert!(matches!(
            verify(&other, resolve),
            Err(ProofError::Malformed(_))
        ));

        // A proof set of one holds; an empty one is no proof; a set holds only when every
        // proof in it does.
        let mut other = signed();
        other["proof"] = json!([other["proof"].clone()]);
        assert_eq!(verify(&other, resolve).unwrap(), SPEC_METHOD);
        other["proof"] = json!([]);
        assert_eq!(verify(&other, resolve), Err(ProofError::Missing));
        let mut other = signed();
        let mut unknown = other["proof"].clone();
        unknown["cryptosuite"] = json!("bbs-2023");
        other["proof"] = json!([other["proof"].clone(), unknown]);
        assert!(matches!(
            verify(&other, resolve),
            Err(ProofError::Unsupported(_))
        ));
        let mut other = signed();
        other["proof"] = json!([other["proof"].clone(), "firma"]);
        assert!(matches!(
            verify(&other, resolve),
            Err(ProofError::Malformed(_))
        ));
        for error in [
            ProofError::Missing,
            ProofError::Mismatch,
            ProofError::UnknownKey("x".into()),
            ProofError::Unreadable("x".into()),
        ] {
            assert!(!error.to_string().is_empty());
        }
    }

    /// A document under the embedded contexts, as the product signs it: a proof set of both
    /// suites, each checked.
    fn credential() -> Map<String, Value> {
        json!({
            "@context": [
                "https://www.w3.org/ns/credentials/v2",
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
            ],
            "id": "https://aula.example/api/v1/certificates/X/credential",
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "name": "Gestión Presupuestal",
            "issuer": {"id": "did:web:aula.example", "type": ["Profile"], "name": "ESAP"},
            "validFrom": "2026-11-02T20:04:05Z",
            "credentialSubject": {
                "type": ["AchievementSubject"],
                "name": "María Fernanda Muñoz Peña",
                "result": [{"type": ["Result"], "value": "87.5"}]
            }
        })
        .as_object()
        .unwrap()
        .clone()
    }

    fn signed_both() -> Map<String, Value> {
        let pair = keys::parse_secret_multikey(SPEC_SECRET).unwrap();
        add_proof(
            credential(),
            &Options {
                created: "2026-11-02T20:04:05Z",
                verification_method: SPEC_METHOD,
            },
            |data| pair.sign(data).as_ref().to_vec(),
        )
    }

    #[test]
    fn documents_carry_a_jcs_and_an_rdfc_proof_and_both_are_checked() {
        let resolve = |method: &str| (method == SPEC_METHOD).then(spec_key);
        let secured = signed_both();
        let proofs = secured["proof"].as_array().unwrap();
        assert_eq!(proofs.len(), 2);
        assert_eq!(proofs[0]["cryptosuite"], CRYPTOSUITE);
        assert_eq!(proofs[1]["cryptosuite"], CRYPTOSUITE_RDFC);
        assert_eq!(proofs[1]["type"], PROOF_TYPE);
        assert_eq!(proofs[1]["proofPurpose"], ASSERTION);
        assert!(proofs[1].get("@context").is_none());
        assert_eq!(verify(&secured, resolve).unwrap(), SPEC_METHOD);
        // Signing is deterministic (Ed25519, canonical forms).
        assert_eq!(secured, signed_both());

        // Each proof alone holds, so a verifier that reads only one is satisfied.
        for kept in proofs {
            let mut one = secured.clone();
            one["proof"] = kept.clone();
            assert_eq!(verify(&one, resolve).unwrap(), SPEC_METHOD, "{kept}");
        }

        // A changed value fails the rdfc proof alone too.
        let mut changed = secured.clone();
        changed["credentialSubject"]["result"][0]["value"] = json!("97.5");
        assert_eq!(verify(&changed, resolve), Err(ProofError::Mismatch));
        changed["proof"] = proofs[1].clone();
        assert_eq!(verify(&changed, resolve), Err(ProofError::Mismatch));

        // A broken rdfc proof beside a good JCS one fails the set.
        let mut broken = secured.clone();
        broken["proof"][1]["created"] = json!("2026-11-02T20:04:06Z");
        assert_eq!(verify(&broken, resolve), Err(ProofError::Mismatch));

        // JSON-LD tricks the screen refuses before canonicalizing.
        let mut aliased = secured.clone();
        aliased["credentialSubject"]["@context"] = json!({"nombre": "https://schema.org/name"});
        aliased["proof"] = proofs[1].clone();
        assert!(matches!(
            verify(&aliased, resolve),
            Err(ProofError::Unreadable(_))
        ));
    }
}
