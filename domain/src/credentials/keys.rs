//! The issuer's identity: `did:web` of `public_url`'s host, its Ed25519 signing key (kept in
//! the database's `credentials_keys`, so every app instance signs with it; generated on first
//! start, or imported once from `credentials_key_file`) and the DID document that publishes
//! the public keys.
//!
//! Keys are written as multibase (base58btc, `z…`) multicodec values, the form DID documents
//! and the Data Integrity specifications use: `ed25519-pub` (`0xed 0x01`) for public keys
//! (`z6Mk…`), `ed25519-priv` (`0x80 0x26`) for the 32-byte secret seed (`z3u2…`).
//!
//! Rotation: the current row is marked retired and every instance restarted: a new key is
//! drawn and the retired one stays published, so credentials downloaded before keep
//! verifying; a compromised key's row is deleted instead (see DECISIONS.md).

use crate::entities::credentials_key;
use crate::error::{AppError, AppResult};
use rand::Rng;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder, Set};
use serde::Serialize;
use serde_json::Value;
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
    /// The issuer of a deployment, the same on every app instance: the current key of
    /// `credentials_keys` signs (see [`ensure_stored`]); the retired ones and `previous` (public
    /// keys of the settings) stay published.
    pub async fn from_database(
        db: &DatabaseConnection,
        public_url: &str,
        previous: &[String],
    ) -> AppResult<Issuer> {
        let rows = credentials_key::Entity::find()
            .order_by_desc(credentials_key::Column::Id)
            .all(db)
            .await?;
        let current = rows
            .iter()
            .find(|row| row.retired_at.is_none())
            .ok_or_else(|| {
                AppError::Internal(
                    "credentials_keys: no hay una clave de firma vigente (se crea al iniciar)"
                        .into(),
                )
            })?;
        let key = parse_secret_multikey(&current.secret_key).ok_or_else(|| {
            AppError::Internal(format!(
                "credentials_keys {}: no contiene una clave Ed25519 válida",
                current.id
            ))
        })?;
        let mut published: Vec<PublicKey> = Vec::new();
        for row in rows.iter().filter(|row| row.retired_at.is_some()) {
            let key = parse_public_multikey(&row.public_key).ok_or_else(|| {
                AppError::Internal(format!(
                    "credentials_keys {}: «{}» no es una clave pública Ed25519 (z6Mk…)",
                    row.id, row.public_key
                ))
            })?;
            published.push(key);
        }
        for text in previous {
            let key = parse_public_multikey(text).ok_or_else(|| {
                AppError::Internal(format!(
                    "credentials_previous_keys: «{text}» no es una clave pública Ed25519 (z6Mk…)"
                ))
            })?;
            published.push(key);
        }
        let mut issuer = Issuer::new(public_url, key, Vec::new());
        let current_public = issuer.public;
        for key in published {
            if key != current_public && !issuer.previous.contains(&key) {
                issuer.previous.push(key);
            }
        }
        Ok(issuer)
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
        let methods = keys
            .iter()
            .map(|key| Multikey {
                id: self.method_of(key),
                kind: "Multikey",
                controller: &self.did,
                public_key_multibase: public_multikey(key),
            })
            .collect();
        let ids: Vec<String> = keys.iter().map(|key| self.method_of(key)).collect();
        serde_json::to_value(DidDocument {
            context: [
                "https://www.w3.org/ns/did/v1",
                "https://w3id.org/security/multikey/v1",
            ],
            id: &self.did,
            verification_method: methods,
            assertion_method: ids,
        })
        .unwrap_or_default()
    }
}

/// The issuer's DID document (W3C DID Core): its identifier and the keys it asserts with.
#[derive(Serialize)]
struct DidDocument<'a> {
    #[serde(rename = "@context")]
    context: [&'static str; 2],
    id: &'a str,
    #[serde(rename = "verificationMethod")]
    verification_method: Vec<Multikey<'a>>,
    #[serde(rename = "assertionMethod")]
    assertion_method: Vec<String>,
}

/// One public key of a DID document, as a `Multikey`.
#[derive(Serialize)]
struct Multikey<'a> {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    controller: &'a str,
    #[serde(rename = "publicKeyMultibase")]
    public_key_multibase: String,
}

/// Makes sure `credentials_keys` holds a current signing key; run under the startup lock
/// (`instances::StartupLock`), so instances started together end with one key. An empty table
/// takes the key of `key_file` when that file exists (a deployment from before keys lived in
/// the database keeps its identity); otherwise a new key is drawn. Once the database holds
/// keys the file is never read as a key source again (a different key there is only reported).
pub async fn ensure_stored(db: &DatabaseConnection, key_file: &Path) -> AppResult<()> {
    let rows = credentials_key::Entity::find().all(db).await?;
    if let Some(current) = rows.iter().find(|row| row.retired_at.is_none()) {
        let other = match read_key_file(key_file) {
            Ok(Some((_, file_key))) => public_multikey(&public_of(&file_key)) != current.public_key,
            Ok(None) => false,
            Err(_) => true,
        };
        if other {
            tracing::warn!(
                "credentials_key_file {} no guarda la clave vigente de la base de datos; se firma \
                 con la de la base de datos (el archivo solo se importa a una base sin claves)",
                key_file.display()
            );
        }
        return Ok(());
    }
    // Only an empty table imports the file (a retired key is never brought back).
    let from_file = if rows.is_empty() {
        read_key_file(key_file)?
    } else {
        None
    };
    let (secret, key, origin) = match from_file {
        Some((secret, key)) => (secret, key, "imported"),
        None => {
            let seed: [u8; 32] = rand::rng().random();
            let key = Ed25519KeyPair::from_seed_unchecked(&seed)
                .map_err(|_| AppError::Internal("clave Ed25519 rechazada".into()))?;
            (secret_multikey(&seed), key, "generated")
        }
    };
    credentials_key::Entity::insert(credentials_key::ActiveModel {
        secret_key: Set(secret),
        public_key: Set(public_multikey(&public_of(&key))),
        origin: Set(origin.to_string()),
        created_at: Set(crate::time::now()),
        retired_at: Set(None),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    if origin == "imported" {
        tracing::info!(
            "Clave de firma de credenciales importada de {} a la base de datos",
            key_file.display()
        );
    } else {
        tracing::info!(
            "Clave de firma de credenciales creada en la base de datos (tabla credentials_keys)"
        );
    }
    Ok(())
}

fn public_of(key: &Ed25519KeyPair) -> PublicKey {
    let mut public = [0u8; 32];
    public.copy_from_slice(key.public_key().as_ref());
    public
}

/// The key in `path` (its secret Multikey text and the pair), `None` when there is no such
/// file; a file that does not hold a key is an error (never a silent new key).
pub fn read_key_file(path: &Path) -> AppResult<Option<(String, Ed25519KeyPair)>> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let secret = text.trim().to_string();
            parse_secret_multikey(&secret)
                .map(|key| Some((secret, key)))
                .ok_or_else(|| {
                    AppError::Internal(format!(
                        "credentials_key_file {}: no contiene una clave Ed25519 válida",
                        path.display()
                    ))
                })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(AppError::Internal(format!(
            "credentials_key_file {}: no se pudo leer: {e}",
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
    fn a_key_file_is_read_when_present_and_refused_when_it_holds_no_key() {
        let dir = std::env::temp_dir().join(format!("aula-keys-{}", rand::rng().random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("issuer.key");
        assert!(read_key_file(&path).unwrap().is_none());
        std::fs::write(&path, format!("{SPEC_SECRET}\n")).unwrap();
        let (secret, pair) = read_key_file(&path).unwrap().unwrap();
        assert_eq!(secret, SPEC_SECRET);
        assert_eq!(public_multikey(&public_of(&pair)), SPEC_PUBLIC);
        std::fs::write(&path, "no es una clave").unwrap();
        assert!(read_key_file(&path).is_err());
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
