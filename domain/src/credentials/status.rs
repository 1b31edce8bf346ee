//! Revocation through W3C Bitstring Status Lists: each certificate has one bit, set when the
//! certificate is revoked or superseded by a re-issue (its data no longer holds). The lists
//! are computed from the certificates' own status at each request, so a revocation shows at
//! once and there is nothing else to keep in step.
//!
//! Position: certificate `id` n is bit `(n − 1) mod 131 072` of list `⌊(n − 1) / 131 072⌋ + 1`.
//! 131 072 bits (16 KiB) is the specification's minimum size, which gives holders herd
//! privacy: fetching a list says nothing of which of its certificates is being checked.

use super::contexts::CREDENTIALS_V2;
use super::keys::Issuer;
use crate::entities::certificate;
use crate::entities::values::CertificateStatus;
use crate::error::{AppError, AppResult};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;
use serde_json::{Map, Value};
use std::io::{Read, Write};

/// Bits in one list.
pub const LIST_SIZE: i32 = 131_072;
pub const PURPOSE: &str = "revocation";

/// The list and the index of a certificate.
pub fn position(certificate_id: i32) -> (i32, i32) {
    let n = certificate_id.max(1) - 1;
    (n / LIST_SIZE + 1, n % LIST_SIZE)
}

/// The certificate at a list's index, the inverse of [`position`].
pub fn certificate_at(list: i32, index: i32) -> Option<i32> {
    if list < 1 || !(0..LIST_SIZE).contains(&index) {
        return None;
    }
    (list - 1).checked_mul(LIST_SIZE)?.checked_add(index + 1)
}

pub fn list_url(issuer: &Issuer, list: i32) -> String {
    format!("{}/api/v1/credentials/status/{list}", issuer.base_url)
}

/// The list number of a status list URL of this issuer.
pub fn list_of_url(issuer: &Issuer, url: &str) -> Option<i32> {
    let prefix = format!("{}/api/v1/credentials/status/", issuer.base_url);
    url.strip_prefix(&prefix)?.parse().ok().filter(|n| *n >= 1)
}

/// The indexes set in a list: its certificates that are no longer valid. A list past the
/// last certificate is unknown (404).
pub async fn set_indexes<C: ConnectionTrait>(db: &C, list: i32) -> AppResult<Vec<i32>> {
    let (Some(first), Some(last)) = (certificate_at(list, 0), certificate_at(list, LIST_SIZE - 1))
    else {
        return Err(AppError::NotFound);
    };
    let exists = certificate::Entity::find()
        .select_only()
        .column(certificate::Column::Id)
        .filter(certificate::Column::Id.gte(first))
        .into_tuple::<i32>()
        .one(db)
        .await?;
    if exists.is_none() {
        return Err(AppError::NotFound);
    }
    let ids: Vec<i32> = certificate::Entity::find()
        .select_only()
        .column(certificate::Column::Id)
        .filter(certificate::Column::Id.between(first, last))
        .filter(
            certificate::Column::Status
                .is_in([CertificateStatus::Revoked, CertificateStatus::Superseded]),
        )
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.into_iter().map(|id| position(id).1).collect())
}

/// `u` + base64url(gzip(bits)), index 0 the most significant bit of the first byte.
pub fn encode(set: &[i32]) -> String {
    let mut bits = vec![0u8; (LIST_SIZE / 8) as usize];
    for &index in set {
        if (0..LIST_SIZE).contains(&index) {
            bits[(index / 8) as usize] |= 0x80 >> (index % 8);
        }
    }
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let compressed = gzip
        .write_all(&bits)
        .and_then(|()| gzip.finish())
        .unwrap_or_default();
    format!("u{}", URL_SAFE_NO_PAD.encode(compressed))
}

/// The bits of an `encodedList` (`None` when it is not one).
pub fn decode(encoded: &str) -> Option<Vec<u8>> {
    let compressed = URL_SAFE_NO_PAD.decode(encoded.strip_prefix('u')?).ok()?;
    let mut bits = Vec::new();
    flate2::read::GzDecoder::new(compressed.as_slice())
        .take(u64::from(LIST_SIZE.unsigned_abs()) * 8)
        .read_to_end(&mut bits)
        .ok()?;
    Some(bits)
}

/// Whether bit `index` is set in decoded bits.
pub fn is_set(bits: &[u8], index: i32) -> bool {
    usize::try_from(index / 8)
        .ok()
        .and_then(|byte| bits.get(byte))
        .is_some_and(|byte| byte & (0x80 >> (index % 8)) != 0)
}

/// A `BitstringStatusListCredential` before its proof (W3C Bitstring Status List v1.0).
#[derive(Serialize)]
struct ListCredential<'a> {
    #[serde(rename = "@context")]
    context: [&'static str; 1],
    id: &'a str,
    #[serde(rename = "type")]
    kind: [&'static str; 2],
    issuer: &'a str,
    #[serde(rename = "validFrom")]
    valid_from: &'a str,
    #[serde(rename = "credentialSubject")]
    credential_subject: StatusList,
}

/// The list itself: its purpose and its bits, compressed and encoded.
#[derive(Serialize)]
struct StatusList {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "statusPurpose")]
    status_purpose: &'static str,
    #[serde(rename = "encodedList")]
    encoded_list: String,
}

/// `GET /credentials/status/{list}`: the signed `BitstringStatusListCredential`, valid from
/// now (it is computed now).
pub async fn list_credential<C: ConnectionTrait>(
    db: &C,
    issuer: &Issuer,
    list: i32,
) -> AppResult<Map<String, Value>> {
    let set = set_indexes(db, list).await?;
    let url = list_url(issuer, list);
    let now = crate::time::instant(crate::time::now());
    let credential = ListCredential {
        context: [CREDENTIALS_V2],
        id: &url,
        kind: ["VerifiableCredential", "BitstringStatusListCredential"],
        issuer: &issuer.did,
        valid_from: &now,
        credential_subject: StatusList {
            id: format!("{url}#list"),
            kind: "BitstringStatusList",
            status_purpose: PURPOSE,
            encoded_list: encode(&set),
        },
    };
    let Ok(Value::Object(map)) = serde_json::to_value(credential) else {
        return Err(AppError::Internal("lista de estado".into()));
    };
    Ok(super::sign(issuer, map, &now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_cover_every_certificate_once() {
        assert_eq!(position(1), (1, 0));
        assert_eq!(position(131_072), (1, 131_071));
        assert_eq!(position(131_073), (2, 0));
        for id in [1, 2, 500, 131_072, 131_073, 999_999] {
            let (list, index) = position(id);
            assert_eq!(certificate_at(list, index), Some(id));
        }
        assert_eq!(certificate_at(0, 0), None);
        assert_eq!(certificate_at(1, LIST_SIZE), None);
        assert_eq!(certificate_at(1, -1), None);
        assert_eq!(certificate_at(i32::MAX, 5), None);
    }

    #[test]
    fn the_list_round_trips_with_the_first_index_leftmost() {
        let encoded = encode(&[0, 9, 131_071]);
        assert!(encoded.starts_with('u'));
        let bits = decode(&encoded).unwrap();
        assert_eq!(bits.len(), 16_384);
        assert_eq!(bits[0], 0x80);
        assert_eq!(bits[1], 0x40);
        assert_eq!(bits[16_383], 0x01);
        assert!(is_set(&bits, 0) && is_set(&bits, 9) && is_set(&bits, 131_071));
        assert!(!is_set(&bits, 1) && !is_set(&bits, 8) && !is_set(&bits, 200_000));
        // An empty 16 KiB list compresses to a few dozen bytes.
        assert!(encode(&[]).len() < 100);
        assert_eq!(decode("zabc"), None);
        assert_eq!(decode("u!!"), None);
    }
}
