//! The `eddsa-jcs-2022` Data Integrity cryptosuite (W3C "Data Integrity EdDSA Cryptosuites
//! v1.0", §3.3): the document and the proof's options are canonicalized with JCS (RFC 8785),
//! each hashed with SHA-256, and the two hashes (options first) signed with Ed25519. The
//! signature is the proof's `proofValue`, multibase base58btc.
//!
//! JCS works on the JSON itself, so no JSON-LD processing (and no context) is needed to sign
//! or verify; the contexts are still checked (`contexts::check`) before a credential is
//! trusted.

use super::keys::{self, PublicKey};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

pub const PROOF_TYPE: &str = "DataIntegrityProof";
pub const CRYPTOSUITE: &str = "eddsa-jcs-2022";
pub const ASSERTION: &str = "assertionMethod";

/// Why a proof does not hold, in Spanish for the verification page and API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProofError {
    Missing,
    Unsupported(String),
    Malformed(String),
    UnknownKey(String),
    Mismatch,
}

impl std::fmt::Display for ProofError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProofError::Missing => write!(f, "La credencial no tiene firma (falta «proof»)."),
            ProofError::Unsupported(what) => {
                write!(f, "La firma no es de un tipo admitido: {what}.")
            }
            ProofError::Malformed(what) => write!(f, "La firma está mal formada: {what}."),
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

/// The proof's configuration (§3.3.1): the proof without its value, under the document's
/// contexts.
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

/// `SHA-256(JCS(proof config)) ‖ SHA-256(JCS(document))`: what the key signs.
fn hash_data(document: &Map<String, Value>, config: &Map<String, Value>) -> Vec<u8> {
    let canonical = |value: &Map<String, Value>| {
        // A serde_json map of JSON values always canonicalizes (no non-finite numbers).
        serde_json_canonicalizer::to_vec(value).unwrap_or_default()
    };
    let mut data = Sha256::digest(canonical(config)).to_vec();
    data.extend_from_slice(&Sha256::digest(canonical(document)));
    data
}

/// Signs `document` (which must carry no proof): the returned document carries `proof`.
/// `sign` is the key (Ed25519 over the bytes given).
pub fn add_proof(
    mut document: Map<String, Value>,
    options: &Options<'_>,
    sign: impl FnOnce(&[u8]) -> Vec<u8>,
) -> Map<String, Value> {
    document.remove("proof");
    let config = ProofConfig {
        context: document.get("@context"),
        kind: PROOF_TYPE,
        cryptosuite: CRYPTOSUITE,
        created: options.created,
        verification_method: options.verification_method,
        proof_purpose: ASSERTION,
    };
    let Ok(Value::Object(mut config)) = serde_json::to_value(config) else {
        return document;
    };
    let signature = sign(&hash_data(&document, &config));
    config.insert(
        "proofValue".into(),
        Value::String(keys::multibase(&signature)),
    );
    document.insert("proof".into(), Value::Object(config));
    document
}

fn text<'a>(proof: &'a Map<String, Value>, field: &str) -> Result<&'a str, ProofError> {
    proof
        .get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| ProofError::Malformed(format!("falta «{field}»")))
}

/// Checks the proof of `secured` (§3.3.2 Verify Proof): `resolve` gives the public key a
/// verification method names, or `None` when it is not one the verifier trusts. Returns the
/// verification method that signed.
pub fn verify(
    secured: &Map<String, Value>,
    resolve: impl Fn(&str) -> Option<PublicKey>,
) -> Result<String, ProofError> {
    let proof = match secured.get("proof") {
        None => return Err(ProofError::Missing),
        Some(Value::Object(proof)) => proof,
        Some(Value::Array(_)) => {
            return Err(ProofError::Unsupported(
                "varias firmas en una credencial".into(),
            ));
        }
        Some(_) => return Err(ProofError::Malformed("«proof» no es un objeto".into())),
    };
    let proof_type = text(proof, "type")?;
    let suite = text(proof, "cryptosuite")?;
    if proof_type != PROOF_TYPE || suite != CRYPTOSUITE {
        return Err(ProofError::Unsupported(format!("{proof_type} / {suite}")));
    }
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
    let mut unsecured = secured.clone();
    unsecured.remove("proof");
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
    let key = resolve(method).ok_or_else(|| ProofError::UnknownKey(method.to_string()))?;
    if keys::signature_holds(&key, &hash_data(&unsecured, &config), &signature) {
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
        add_proof(
            spec_document(),
            &Options {
                created: "2023-02-24T23:36:38Z",
                verification_method: SPEC_METHOD,
            },
            |data| pair.sign(data).as_ref().to_vec(),
        )
    }

    #[test]
    fn signing_the_specifications_vector_gives_its_proof_value() {
        let secured = signed();
        assert_eq!(secured["proof"]["proofValue"], SPEC_PROOF_VALUE);
        let mut config = secured["proof"].as_object().unwrap().clone();
        config.remove("proofValue");
        let combined: String = hash_data(&spec_document(), &config)
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
        other["proof"]["cryptosuite"] = json!("eddsa-rdfc-2022");
        assert!(matches!(
            verify(&other, resolve),
            Err(ProofError::Unsupported(_))
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

        let mut other = signed();
        other["proof"] = json!([other["proof"].clone()]);
        assert!(matches!(
            verify(&other, resolve),
            Err(ProofError::Unsupported(_))
        ));
        for error in [
            ProofError::Missing,
            ProofError::Mismatch,
            ProofError::UnknownKey("x".into()),
        ] {
            assert!(!error.to_string().is_empty());
        }
    }
}
