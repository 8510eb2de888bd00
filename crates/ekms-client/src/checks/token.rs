//! The checks of an attestation token (the service's appraisal): its signature by a key the
//! service publishes, its issuer, its dates, and its statements about the quote returned (the
//! quote's hash, mr_enclave, mr_signer, the report data).

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::genuine::Verdict;
use super::sha256;
use crate::evidence::TokenAppraisal;

/// The reason of the checks that read a claim when the token is not verified.
pub(super) const UNTRUSTED_TOKEN: &str = "not checked: no verified token (see token signature)";

pub(super) fn token_claims(t: &TokenAppraisal) -> Result<Map<String, Value>, String> {
    let token = t
        .token
        .as_ref()
        .map_err(|r| format!("no token: the attestation service refused the quote: {r}"))?;
    let jwks = t
        .jwks
        .as_ref()
        .map_err(|e| format!("the service's key set is unusable: {e}"))?;
    crate::jwt::verify(token, jwks)
}

fn trim_url(url: &str) -> &str {
    url.trim().trim_end_matches('/')
}

pub(super) fn issuer(claims: &Map<String, Value>, service_url: &str) -> Result<(), String> {
    let iss = claims
        .get("iss")
        .and_then(Value::as_str)
        .ok_or("the token has no iss claim")?;
    if trim_url(iss) == trim_url(service_url) {
        Ok(())
    } else {
        Err(format!(
            "the token was issued by {iss}, not by the attestation service called ({service_url})"
        ))
    }
}

fn time_claim(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, String> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_f64().map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| format!("the {name} claim is not a number")),
    }
}

fn show_time(secs: i64) -> String {
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| secs.to_string())
}

pub(super) fn in_date(
    claims: &Map<String, Value>,
    now: OffsetDateTime,
    skew: time::Duration,
) -> Result<(), String> {
    let now_s = now.unix_timestamp();
    let skew = skew.whole_seconds();
    let iat = time_claim(claims, "iat")?.ok_or("the token has no iat claim")?;
    let exp = time_claim(claims, "exp")?.ok_or("the token has no exp claim")?;
    if iat.saturating_sub(skew) > now_s {
        return Err(format!(
            "issued in the future ({}; now is {})",
            show_time(iat),
            show_time(now_s)
        ));
    }
    if let Some(nbf) = time_claim(claims, "nbf")?
        && nbf.saturating_sub(skew) > now_s
    {
        return Err(format!(
            "not valid before {} (now is {})",
            show_time(nbf),
            show_time(now_s)
        ));
    }
    if now_s > exp.saturating_add(skew) {
        return Err(format!(
            "expired at {} (now is {})",
            show_time(exp),
            show_time(now_s)
        ));
    }
    Ok(())
}

pub(super) fn token_verdict(claims: &Map<String, Value>) -> Verdict {
    Verdict {
        emulated: claims.get("x-ekms-emulated").and_then(Value::as_bool) == Some(true),
        tcb_status: claims
            .get("x-ekms-sgx-tcb-status")
            .and_then(Value::as_str)
            .map(str::to_string),
        advisory_ids: claims
            .get("x-ekms-sgx-advisory-ids")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn find_claim<'a>(claims: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|n| claims.get(*n))
}

fn hex_claim(value: &Value, what: &str) -> Result<Vec<u8>, String> {
    let text = value
        .as_str()
        .ok_or_else(|| format!("the token's {what} is not a string"))?;
    hex::decode(text.trim()).map_err(|_| format!("the token's {what} is not hex"))
}

pub(super) fn quote_hash(claims: &Map<String, Value>, quote: &[u8]) -> Result<(), String> {
    let stated = claims
        .get("x-ms-sgx-collateral")
        .and_then(|c| c.get("quotehash"))
        .or_else(|| {
            claims
                .get("maa-attestationcollateral")
                .and_then(|c| c.get("maa-quotehash").or_else(|| c.get("quotehash")))
        })
        .ok_or("the token states no quote hash (x-ms-sgx-collateral.quotehash)")?;
    let stated = hex_claim(stated, "quote hash")?;
    let actual = sha256(quote);
    if stated.as_slice() == actual.as_slice() {
        Ok(())
    } else {
        Err(format!(
            "the token vouches for the quote with SHA-256 {}, the quote returned has {}",
            hex::encode(&stated),
            hex::encode(actual)
        ))
    }
}

pub(super) fn claim_equals(
    claims: &Map<String, Value>,
    names: &[&str],
    quoted: &[u8; 32],
    what: &str,
) -> Result<(), String> {
    let value = find_claim(claims, names)
        .ok_or_else(|| format!("the token states no {what} ({})", names.join(" or ")))?;
    let stated = hex_claim(value, what)?;
    if stated.as_slice() == quoted.as_slice() {
        Ok(())
    } else {
        Err(format!(
            "the token's {what} is {}, the quote's is {}",
            hex::encode(&stated),
            hex::encode(quoted)
        ))
    }
}

pub(super) fn report_data_claim(
    claims: &Map<String, Value>,
    quoted: &[u8; 64],
) -> Result<(), String> {
    if let Some(value) = claims.get("x-ms-sgx-report-data") {
        let stated = hex_claim(value, "report data")?;
        return if stated.as_slice() == quoted.as_slice() {
            Ok(())
        } else {
            Err(format!(
                "the token's report data is {}, the quote's is {}",
                hex::encode(&stated),
                hex::encode(quoted)
            ))
        };
    }
    // Azure Attestation states the runtime data (enclave held data), whose SHA-256 it checked
    // against the first half of the report data.
    let ehd = find_claim(claims, &["x-ms-sgx-ehd", "maa-ehd", "aas-ehd"])
        .and_then(Value::as_str)
        .ok_or("the token states neither the report data nor the runtime data")?;
    let ehd = base64::Engine::decode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ehd.trim_end_matches('='),
    )
    .map_err(|_| "the token's runtime data is not base64url".to_string())?;
    let mut stated = [0u8; 64];
    for (dst, src) in stated.iter_mut().zip(sha256(&ehd)) {
        *dst = src;
    }
    if &stated == quoted {
        Ok(())
    } else {
        Err("SHA-256 of the token's runtime data is not the quote's report data".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::DEFAULT_CLOCK_SKEW;

    #[test]
    fn token_times() {
        let now = OffsetDateTime::from_unix_timestamp(1_000_000).unwrap();
        let skew = DEFAULT_CLOCK_SKEW;
        let claims = |iat: i64, exp: i64| -> Map<String, Value> {
            let mut m = Map::new();
            m.insert("iat".into(), Value::from(iat));
            m.insert("exp".into(), Value::from(exp));
            m
        };
        assert!(in_date(&claims(999_000, 1_001_000), now, skew).is_ok());
        assert!(
            in_date(&claims(1_000_030, 1_001_000), now, skew).is_ok(),
            "within the skew"
        );
        assert!(
            in_date(&claims(1_000_100, 1_001_000), now, skew)
                .unwrap_err()
                .contains("future")
        );
        assert!(
            in_date(&claims(990_000, 999_000), now, skew)
                .unwrap_err()
                .contains("expired")
        );
        assert!(in_date(&Map::new(), now, skew).is_err());
        let mut nbf = claims(999_000, 1_001_000);
        nbf.insert("nbf".into(), Value::from(1_000_500));
        assert!(
            in_date(&nbf, now, skew)
                .unwrap_err()
                .contains("not valid before")
        );
    }
}
