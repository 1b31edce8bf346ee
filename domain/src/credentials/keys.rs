//! The issuer's identity: `did:web` of `public_url`'s host, its Ed25519 signing key (kept in a
//! file, generated on first start) and the DID document that publishes the public keys.
//!
//! Keys are written as multibase (base58btc, `z…`) multicodec values, the form DID documents
//! and the Data Integrity specifications use: `ed25519-pub` (`0xed 0x01`) for public keys
//! (`z6Mk…`), `ed25519-priv` (`0x80 0x26`) for the 32-byte secret seed (`z3u2…`).
//!
//! Rotation: the old key's public half stays in `credentials_previous_keys`, so credentials
//! downloaded before keep verifying; a compromised key is simply left out (see DECISIONS.md).

use crate::error::{AppError, AppResult};
use rand::Rng;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;

const ED25519_PUB: [u8; 2] = [0xed, 0x01];
const ED25519_PRIV: [u8; 2] = [0x80, 0x26];

/// A 32-byte Ed25519 public key.
pub type PublicKey = [u8; 32];

/// `bytes` as multibase base58btc.
pub fn multibase(bytes: &[u8]) -> String {
    format!("z{}", bs58::encode(bytes).into_string())
}

/// The bytes of a multibase base58btc value (`None` for any other base or bad symbols).
pub fn from_multibase(text: &str) -> Option<Vec<u8>> {
    bs58::decode(text.strip_prefix('z')?).into_vec().ok()
}

/// A public key as a Multikey value (`z6Mk…`).
pub fn public_multikey(key: &PublicKey) -> String {
    let mut bytes = ED25519_PUB.to_vec();
    bytes.extend_from_slice(key);
    multibase(&bytes)
}

/// The public key of a Multikey value, when it is an Ed25519 one.
pub fn parse_public_multikey(text: &str) -> Option<PublicKey> {
    let bytes = from_multibase(text.trim())?;
    bytes.strip_prefix(&ED25519_PUB)?.try_into().ok()
}

fn secret_multikey(seed: &[u8; 32]) -> String {
    let mut bytes = ED25519_PRIV.to_vec();
    bytes.extend_from_slice(seed);
    multibase(&bytes)
}

/// The key pair of a secret Multikey value (`z3u2…`).
pub fn parse_secret_multikey(text: &str) -> Option<Ed25519KeyPair> {
    let bytes = from_multibase(text.trim())?;
    let seed = bytes.strip_prefix(&ED25519_PRIV)?;
    if seed.len() != 32 {
        return None;
    }
    Ed25519KeyPair::from_seed_unchecked(seed).ok()
}

/// Whether `signature` is `key`'s Ed25519 signature of `message`.
pub fn signature_holds(key: &PublicKey, message: &[u8], signature: &[u8]) -> bool {
    UnparsedPublicKey::new(&ED25519, key)
        .verify(message, signature)
        .is_ok()
}

/// `did:web` of a URL: its host, a port encoded as `%3A`, each path segment after a `:`
/// (`https://aula.esap.edu.co` → `did:web:aula.esap.edu.co`,
/// `http://127.0.0.1:8000` → `did:web:127.0.0.1%3A8000`).
pub fn did_web(public_url: &str) -> String {
    let without_scheme = public_url
        .split_once("://")
        .map_or(public_url, |(_, rest)| rest)
        .trim_end_matches('/');
    let mut parts = without_scheme.split('/');
    let host = parts.next().unwrap_or_default().replace(':', "%3A");
    let mut did = format!("did:web:{host}");
    for segment in parts.filter(|s| !s.is_empty()) {
        did.push(':');
        did.push_str(segment);
    }
    did
}

/// The one who signs: ESAP under its DID, with the current key and the earlier ones still
/// published.
pub struct Issuer {
    pub did: String,
    /// `public_url` without a trailing slash: the base of every URL a credential names.
    pub base_url: String,
    key: Ed25519KeyPair,
    public: PublicKey,
    previous: Vec<PublicKey>,
}

impl Issuer {
    /// The issuer of a deployment: its key read from `key_file`, or generated there (mode
    /// 0600) when the file does not exist yet. Two instances starting together on one disk
    /// agree: the file is created exclusively, and the one that loses reads the winner's.
    pub fn load_or_create(
        public_url: &str,
        key_file: &Path,
        previous: &[String],
    ) -> AppResult<Issuer> {
        let key = match std::fs::read_to_string(key_file) {
            Ok(text) => parse_secret_multikey(&text).ok_or_else(|| {
                AppError::Internal(format!(
                    "credentials_key_file {}: no contiene una clave Ed25519 válida",
                    key_file.display()
                ))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_key(key_file)?,
            Err(e) => {
                return Err(AppError::Internal(format!(
                    "credentials_key_file {}: no se pudo leer: {e}",
                    key_file.display()
                )));
            }
        };
        let previous = previous
            .iter()
            .map(|text| {
                parse_public_multikey(text).ok_or_else(|| {
                    AppError::Internal(format!(
                        "credentials_previous_keys: «{text}» no es una clave pública Ed25519 (z6Mk…)"
                    ))
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        Ok(Issuer::new(public_url, key, previous))
    }

    /// An issuer with a given key (tests, and the specification's vectors).
    pub fn new(public_url: &str, key: Ed25519KeyPair, previous: Vec<PublicKey>) -> Issuer {
        let mut public = [0u8; 32];
        public.copy_from_slice(key.public_key().as_ref());
        Issuer {
            did: did_web(public_url),
            base_url: public_url.trim_end_matches('/').to_string(),
            key,
            public,
            previous,
        }
    }

    /// The id of the current key: the DID with the key's Multikey as fragment, so every key
    /// has its own id and a rotated one never shadows an old one.
    pub fn verification_method(&self) -> String {
        self.method_of(&self.public)
    }

    fn method_of(&self, key: &PublicKey) -> String {
        format!("{}#{}", self.did, public_multikey(key))
    }

    pub fn public_key(&self) -> PublicKey {
        self.public
    }

    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.key.sign(message).as_ref().to_vec()
    }

    /// The published key a verification method names (current or earlier), if any.
    pub fn resolve(&self, method: &str) -> Option<PublicKey> {
        std::iter::once(&self.public)
            .chain(&self.previous)
            .find(|key| self.method_of(key) == method)
            .copied()
    }

    /// `GET /.well-known/did.json`: the DID document, every published key usable for
    /// assertions.
    pub fn did_document(&self) -> Value {
        let keys: Vec<&PublicKey> = std::iter::once(&self.public)
            .chain(&self.previous)
            .collect();
        let methods: Vec<Value> = keys
            .iter()
            .map(|key| {
                json!({
                    "id": self.method_of(key),
                    "type": "Multikey",
                    "controller": self.did,
                    "publicKeyMultibase": public_multikey(key),
                })
            })
            .collect();
        let ids: Vec<String> = keys.iter().map(|key| self.method_of(key)).collect();
        json!({
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": self.did,
            "verificationMethod": methods,
            "assertionMethod": ids,
        })
    }
}

/// Draws a new key and writes it to `path` (created exclusively, readable by its owner
/// only); when another process wrote it first, reads that one.
fn create_key(path: &Path) -> AppResult<Ed25519KeyPair> {
    let seed: [u8; 32] = rand::rng().random();
    let text = secret_multikey(&seed);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            AppError::Internal(format!("credentials_key_file {}: {e}", path.display()))
        })?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(format!("{text}\n").as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|e| {
                    AppError::Internal(format!("credentials_key_file {}: {e}", path.display()))
                })?;
            tracing::info!(
                "Clave de firma de credenciales creada en {} (guárdela con las copias de seguridad)",
                path.display()
            );
            Ed25519KeyPair::from_seed_unchecked(&seed)
                .map_err(|_| AppError::Internal("clave Ed25519 rechazada".into()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let written = std::fs::read_to_string(path).map_err(|e| {
                AppError::Internal(format!("credentials_key_file {}: {e}", path.display()))
            })?;
            parse_secret_multikey(&written).ok_or_else(|| {
                AppError::Internal(format!(
                    "credentials_key_file {}: no contiene una clave Ed25519 válida",
                    path.display()
                ))
            })
        }
        Err(e) => Err(AppError::Internal(format!(
            "credentials_key_file {}: no se pudo crear: {e}",
            path.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The key pair of the test vectors in the W3C Data Integrity EdDSA Cryptosuites v1.0
    /// specification (`TestVectors/keyPair.json`).
    pub const SPEC_PUBLIC: &str = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";
    pub const SPEC_SECRET: &str = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq";

    #[test]
    fn the_specifications_secret_key_gives_its_public_key() {
        let pair = parse_secret_multikey(SPEC_SECRET).unwrap();
        let public: PublicKey = pair.public_key().as_ref().try_into().unwrap();
        assert_eq!(public_multikey(&public), SPEC_PUBLIC);
        assert_eq!(parse_public_multikey(SPEC_PUBLIC), Some(public));
        assert_eq!(
            parse_public_multikey("z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"),
            None
        );
        assert_eq!(parse_public_multikey("u6MkrJVn"), None);
    }

    #[test]
    fn did_web_follows_the_method() {
        assert_eq!(
            did_web("https://aula.esap.edu.co"),
            "did:web:aula.esap.edu.co"
        );
        assert_eq!(
            did_web("https://aula.esap.edu.co/"),
            "did:web:aula.esap.edu.co"
        );
        assert_eq!(did_web("http://127.0.0.1:8000"), "did:web:127.0.0.1%3A8000");
        assert_eq!(
            did_web("https://esap.edu.co/aula"),
            "did:web:esap.edu.co:aula"
        );
    }

    #[test]
    fn the_key_file_is_created_once_private_and_read_back() {
        let dir = std::env::temp_dir().join(format!("aula-keys-{}", rand::rng().random::<u64>()));
        let path = dir.join("issuer.key");
        let first = Issuer::load_or_create("https://aula.example", &path, &[]).unwrap();
        let again = Issuer::load_or_create("https://aula.example", &path, &[]).unwrap();
        assert_eq!(first.public_key(), again.public_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "no es una clave").unwrap();
        assert!(Issuer::load_or_create("https://aula.example", &path, &[]).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn earlier_keys_stay_published_and_resolvable() {
        let old = parse_public_multikey(SPEC_PUBLIC).unwrap();
        let issuer = Issuer::new(
            "https://aula.example",
            parse_secret_multikey(SPEC_SECRET).unwrap(),
            vec![[7u8; 32]],
        );
        assert_eq!(issuer.resolve(&issuer.verification_method()), Some(old));
        let seven = format!("did:web:aula.example#{}", public_multikey(&[7u8; 32]));
        assert_eq!(issuer.resolve(&seven), Some([7u8; 32]));
        assert_eq!(issuer.resolve("did:web:otro.example#z6Mk"), None);
        let doc = issuer.did_document();
        assert_eq!(doc["assertionMethod"].as_array().unwrap().len(), 2);
        assert_eq!(
            doc["verificationMethod"][0]["publicKeyMultibase"],
            SPEC_PUBLIC
        );
    }
}
