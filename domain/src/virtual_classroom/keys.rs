//! The platform's signing keys: RSA 2048, RS256, as LTI 1.3 requires. The newest key not
//! retired signs launches; every key stays in `/lti/jwks`, so a launch signed a moment before a
//! rotation still verifies at the tool. The private key (PKCS#1 DER, base64) lives in the
//! database like the credentials' key, so every instance signs with the same one; it is drawn
//! on the first launch, never logged. Tools' keys (their JWK or JWK Set) are read here too.

use crate::entities::lti_platform_key;
use crate::error::{AppError, AppResult};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An RSA key pair drawn here: its id, its private key (PKCS#1 DER) and its public JWK.
pub struct KeyPair {
    pub kid: String,
    pub private_der: Vec<u8>,
    pub public_jwk: PublicJwk,
}

/// A platform key's public half as a JWK (RFC 7517; fields in the order of their names, as
/// they are stored).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PublicJwk {
    pub alg: String,
    pub e: String,
    pub kid: String,
    pub kty: String,
    pub n: String,
    #[serde(rename = "use")]
    pub usage: String,
}

/// The JWK Set of `/lti/jwks`.
#[derive(Clone, Debug, Serialize)]
pub struct KeySet {
    pub keys: Vec<PublicJwk>,
}

impl KeyPair {
    /// Draws a new 2048-bit key (CPU-bound: run it off the async threads).
    pub fn generate() -> AppResult<KeyPair> {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        use rsa::traits::PublicKeyParts;
        let mut rng = rsa::rand_core::OsRng;
        let key = rsa::RsaPrivateKey::new(&mut rng, 2048)
            .map_err(|e| AppError::Internal(format!("clave RSA: {e}")))?;
        let der = key
            .to_pkcs1_der()
            .map_err(|e| AppError::Internal(format!("clave RSA: {e}")))?;
        let kid = crate::accounts::secrets::random_hex();
        let public_jwk = PublicJwk {
            alg: "RS256".into(),
            e: URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
            kid: kid.clone(),
            kty: "RSA".into(),
            n: URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
            usage: "sig".into(),
        };
        Ok(KeyPair {
            kid,
            private_der: der.as_bytes().to_vec(),
            public_jwk,
        })
    }

    /// `claims` signed with this key (RS256, compact JWS with `kid`).
    pub fn sign<T: Serialize>(&self, claims: &T) -> AppResult<String> {
        sign_with(&self.kid, &self.private_der, claims)
    }
}

fn sign_with<T: Serialize>(kid: &str, der: &[u8], claims: &T) -> AppResult<String> {
    let header = Header {
        alg: Algorithm::RS256,
        kid: Some(kid.to_string()),
        typ: Some("JWT".into()),
        ..Default::default()
    };
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_rsa_der(der))
        .map_err(|e| AppError::Internal(format!("firma RS256: {e}")))
}

/// The key that signs now.
pub struct Signer {
    kid: String,
    der: Vec<u8>,
}

impl Signer {
    pub fn sign<T: Serialize>(&self, claims: &T) -> AppResult<String> {
        sign_with(&self.kid, &self.der, claims)
    }
    pub fn kid(&self) -> &str {
        &self.kid
    }
}

async fn draw<C: ConnectionTrait>(db: &C) -> AppResult<lti_platform_key::Model> {
    let pair = crate::blocking::run(KeyPair::generate).await?;
    Ok(lti_platform_key::ActiveModel {
        kid: Set(pair.kid),
        private_key: Set(STANDARD.encode(&pair.private_der)),
        public_jwk: Set(serde_json::to_string(&pair.public_jwk).unwrap_or_default()),
        created_at: Set(crate::time::now()),
        retired_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// The current signer: the newest key not retired, drawn on first use.
pub async fn current<C: ConnectionTrait>(db: &C) -> AppResult<Signer> {
    let row = match lti_platform_key::Entity::find()
        .filter(lti_platform_key::Column::RetiredAt.is_null())
        .order_by_desc(lti_platform_key::Column::Id)
        .one(db)
        .await?
    {
        Some(row) => row,
        None => draw(db).await?,
    };
    let der = STANDARD
        .decode(row.private_key.as_bytes())
        .map_err(|_| AppError::Internal("clave LTI ilegible".into()))?;
    Ok(Signer { kid: row.kid, der })
}

/// Retires the signing key and draws the next; the retired one stays published. Returns the
/// new key's id.
pub async fn rotate<C: ConnectionTrait>(db: &C) -> AppResult<String> {
    lti_platform_key::Entity::update_many()
        .col_expr(
            lti_platform_key::Column::RetiredAt,
            sea_orm::sea_query::Expr::value(crate::time::now()),
        )
        .filter(lti_platform_key::Column::RetiredAt.is_null())
        .exec(db)
        .await?;
    Ok(draw(db).await?.kid)
}

/// The JWK Set of `/lti/jwks`: every key, current first.
pub async fn jwks<C: ConnectionTrait>(db: &C) -> AppResult<KeySet> {
    let keys: Vec<PublicJwk> = lti_platform_key::Entity::find()
        .order_by_desc(lti_platform_key::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|row| serde_json::from_str(&row.public_jwk).ok())
        .collect();
    Ok(KeySet { keys })
}

/// The keys of a JWK or a JWK Set (RSA keys for RS256 only).
pub fn key_set(value: &Value) -> Option<Vec<Jwk>> {
    let keys: Vec<Jwk> = if value.get("keys").is_some() {
        serde_json::from_value::<JwkSet>(value.clone()).ok()?.keys
    } else {
        vec![serde_json::from_value::<Jwk>(value.clone()).ok()?]
    };
    let rsa: Vec<Jwk> = keys
        .into_iter()
        .filter(|k| matches!(k.algorithm, jsonwebtoken::jwk::AlgorithmParameters::RSA(_)))
        .collect();
    (!rsa.is_empty()).then_some(rsa)
}

/// The key of `set` that `kid` names (or its only key when the token names none).
pub fn decoding_key(set: &[Jwk], kid: Option<&str>) -> Option<DecodingKey> {
    let key = match kid {
        Some(kid) => set
            .iter()
            .find(|k| k.common.key_id.as_deref() == Some(kid))
            .or_else(|| (set.len() == 1 && set[0].common.key_id.is_none()).then(|| &set[0]))?,
        None if set.len() == 1 => &set[0],
        None => return None,
    };
    DecodingKey::from_jwk(key).ok()
}
