//! The checks of an attestation token (the service's appraisal): its signature by a key the
//! service publishes, its issuer, its dates, and its statements about the quote returned (the
//! quote's hash, mr_enclave, mr_signer, the report data).
//!
//! The claims read are the ones Azure Attestation issues for SGX (ekms-attest issues the same):
//! the `x-ms-sgx-*` names first, and the older unprefixed names (`sgx-mrenclave`, `tee`,
//! `maa-ehd`, `maa-attestationcollateral`, …) only when the prefixed one is absent, since
//! isolated-mode instances may leave the old names out and no instance states them alone.

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::genuine::Verdict;
use super::{Check, CheckId, Outcome, sha256};
use crate::evidence::TokenAppraisal;
use crate::jwt::{DEFAULT_MIN_RSA_BITS, VerifiedToken};

/// The reason of the checks that read a claim when the token is not verified.
pub(super) const UNTRUSTED_TOKEN: &str = "not checked: no verified token (see token signature)";

pub(super) fn token_claims(
    t: &TokenAppraisal,
    min_rsa_bits: usize,
) -> Result<VerifiedToken, String> {
    let token = t
        .token
        .as_ref()
        .map_err(|r| format!("no token: the attestation service refused the quote: {r}"))?;
    let jwks = t
        .jwks
        .as_ref()
        .map_err(|e| format!("the service's key set is unusable: {e}"))?;
    crate::jwt::verify(token, jwks, min_rsa_bits)
}

/// The `token signature` line: the key that signed is named, and a key under the default floor
/// says that the user's floor admitted it.
pub(super) fn signature_check(
    verified: &Result<VerifiedToken, String>,
    min_rsa_bits: usize,
) -> Check {
    Check {
        id: CheckId::TokenSignature,
        outcome: match verified {
            Ok(t) if t.key_bits < DEFAULT_MIN_RSA_BITS => Outcome::Ok(Some(format!(
                "RS256, RSA-{} key {}, accepted by --min-token-rsa-bits {min_rsa_bits}",
                t.key_bits, t.kid
            ))),
            Ok(t) => Outcome::Ok(Some(format!("RS256, RSA-{} key {}", t.key_bits, t.kid))),
            Err(e) => Outcome::Ko(e.clone()),
        },
    }
}

fn trim_url(url: &str) -> &str {
    url.trim().trim_end_matches('/')
}

/// `iss` is the attestation service the user chose (the one called, or `--issuer`).
pub(super) fn issuer(claims: &Map<String, Value>, chosen: Option<&str>) -> Result<(), String> {
    let iss = claims
        .get("iss")
        .and_then(Value::as_str)
        .ok_or("the token has no iss claim")?;
    let Some(chosen) = chosen else {
        return Err(format!(
            "no expected issuer given: pass --issuer URL, the attestation service you trust (this token names {iss})"
        ));
    };
    if trim_url(iss) == trim_url(chosen) {
        Ok(())
    } else {
        Err(format!(
            "the token was issued by {iss}, not by the attestation service chosen ({chosen})"
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

/// The token's verdict: the service issued it for an SGX quote (`x-ms-attestation-type`, else
/// the older `tee`, is `sgx`), whether the evidence is emulated (ekms-attest's
/// `x-ekms-emulated`), and the TCB status and advisories when the service states them
/// (ekms-attest's `x-ekms-sgx-*`; Azure Attestation states none).
pub(super) fn token_verdict(claims: &Map<String, Value>) -> Verdict {
    let mut problems = Vec::new();
    match find_claim(claims, &["x-ms-attestation-type", "tee"]).and_then(Value::as_str) {
        Some("sgx") => {}
        Some(other) => problems.push(format!(
            "the token is about a {other:?} attestation, not an SGX enclave (x-ms-attestation-type)"
        )),
        None => problems.push(
            "the token states no attestation type (x-ms-attestation-type): it is not an SGX enclave attestation".to_string(),
        ),
    }
    Verdict {
        problems,
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

/// The `report data in token = quote` rule: `x-ms-sgx-report-data` when the token states it;
/// else the runtime data it states, whose SHA-256 must be report_data[0..32] with
/// report_data[32..64] zero: as bytes (`x-ms-sgx-ehd`, base64url; Binary runtime data), or as
/// the parsed object `x-ms-runtime` (JSON runtime data), whose bytes cannot be rebuilt from the
/// object, so the runtime data given (`runtime`) must parse to it.
pub(super) fn report_data_claim(
    claims: &Map<String, Value>,
    quoted: &[u8; 64],
    runtime: Option<&[u8]>,
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
    let stated_bytes;
    let (data, what): (&[u8], &str) = if let Some(ehd) =
        find_claim(claims, &["x-ms-sgx-ehd", "maa-ehd", "aas-ehd"])
    {
        let ehd = ehd
            .as_str()
            .ok_or("the token's runtime data (x-ms-sgx-ehd) is not a string")?;
        stated_bytes = base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            ehd.trim_end_matches('='),
        )
        .map_err(|_| "the token's runtime data (x-ms-sgx-ehd) is not base64url".to_string())?;
        (&stated_bytes, "the token's runtime data (x-ms-sgx-ehd)")
    } else if let Some(object) = claims.get("x-ms-runtime") {
        let given = runtime.ok_or(
                "the token states the runtime data only as a JSON object (x-ms-runtime), whose bytes cannot be rebuilt from it: give the runtime data sent (--runtime-data FILE)",
            )?;
        let parsed: Value = serde_json::from_slice(given).map_err(|_| {
                "the token states JSON runtime data (x-ms-runtime) but the runtime data given is not JSON".to_string()
            })?;
        if &parsed != object {
            return Err(
                "the runtime data given is not the JSON object the token states (x-ms-runtime)"
                    .to_string(),
            );
        }
        (
            given,
            "the runtime data given, which the token states as x-ms-runtime,",
        )
    } else {
        return Err(
                "the token states neither the report data (x-ms-sgx-report-data) nor the runtime data (x-ms-sgx-ehd, x-ms-runtime)".to_string(),
            );
    };
    let hash = sha256(data);
    if quoted.get(..32) != Some(hash.as_slice()) {
        return Err(format!(
            "SHA-256 of {what} is {}, the quote's report_data[0..32] is {}",
            hex::encode(hash),
            hex::encode(quoted.get(..32).unwrap_or_default())
        ));
    }
    if quoted
        .get(32..)
        .is_some_and(|rest| rest.iter().any(|b| *b != 0))
    {
        return Err("the quote's report_data[32..64] is not zero".to_string());
    }
    Ok(())
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

    fn claims(pairs: Value) -> Map<String, Value> {
        pairs.as_object().unwrap().clone()
    }

    const A: [u8; 32] = [0xaa; 32];
    const B: [u8; 32] = [0xbb; 32];
    const NAMES: [&str; 2] = ["x-ms-sgx-mrenclave", "sgx-mrenclave"];

    #[test]
    fn identity_claims_prefixed_first_legacy_only_when_absent() {
        let (a, b) = (hex::encode(A), hex::encode(B));
        // Both present (Azure's shared instances): the prefixed name decides.
        let both = claims(serde_json::json!({"x-ms-sgx-mrenclave": a, "sgx-mrenclave": b}));
        assert!(claim_equals(&both, &NAMES, &A, "mr_enclave").is_ok());
        assert!(claim_equals(&both, &NAMES, &B, "mr_enclave").is_err());
        // Legacy only (an older token).
        let legacy = claims(serde_json::json!({"sgx-mrenclave": a}));
        assert!(claim_equals(&legacy, &NAMES, &A, "mr_enclave").is_ok());
        // Isolated mode: prefixed only, with the policy signer.
        let isolated = claims(
            serde_json::json!({"x-ms-sgx-mrenclave": a, "x-ms-policy-signer": {"kty": "RSA"}}),
        );
        assert!(claim_equals(&isolated, &NAMES, &A, "mr_enclave").is_ok());
        // Absent, or not hex.
        let e = claim_equals(&Map::new(), &NAMES, &A, "mr_enclave").unwrap_err();
        assert!(e.contains("x-ms-sgx-mrenclave or sgx-mrenclave"), "{e}");
        let bad = claims(serde_json::json!({"x-ms-sgx-mrenclave": "zz"}));
        assert!(claim_equals(&bad, &NAMES, &A, "mr_enclave").is_err());
    }

    #[test]
    fn attestation_type_and_tcb_status_claims() {
        let v = token_verdict(&claims(serde_json::json!({"x-ms-attestation-type": "sgx"})));
        assert!(v.problems.is_empty() && v.tcb_status.is_none() && !v.emulated);
        let legacy = token_verdict(&claims(serde_json::json!({"tee": "sgx"})));
        assert!(legacy.problems.is_empty());
        let prefixed_wins = token_verdict(&claims(
            serde_json::json!({"x-ms-attestation-type": "sevsnpvm", "tee": "sgx"}),
        ));
        assert!(prefixed_wins.problems[0].contains("sevsnpvm"));
        assert!(!token_verdict(&Map::new()).problems.is_empty());
        let ekms = token_verdict(&claims(serde_json::json!({
            "x-ms-attestation-type": "sgx", "x-ekms-emulated": true,
            "x-ekms-sgx-tcb-status": "OutOfDate", "x-ekms-sgx-advisory-ids": ["INTEL-SA-1"]})));
        assert_eq!(ekms.tcb_status.as_deref(), Some("OutOfDate"));
        assert!(ekms.emulated && ekms.advisory_ids == ["INTEL-SA-1"]);
    }

    #[test]
    fn quote_hash_claims() {
        let quote = b"the quote";
        let h = hex::encode(sha256(quote));
        let current = claims(serde_json::json!({"x-ms-sgx-collateral": {"quotehash": h}}));
        assert!(quote_hash(&current, quote).is_ok());
        assert!(quote_hash(&current, b"another quote").is_err());
        let legacy = claims(serde_json::json!({"maa-attestationcollateral": {"quotehash": h}}));
        assert!(quote_hash(&legacy, quote).is_ok());
        // The prefixed claim decides when both are there.
        let both = claims(serde_json::json!({
            "x-ms-sgx-collateral": {"quotehash": hex::encode([0u8; 32])},
            "maa-attestationcollateral": {"quotehash": h}}));
        assert!(quote_hash(&both, quote).is_err());
        assert!(
            quote_hash(&Map::new(), quote)
                .unwrap_err()
                .contains("quotehash")
        );
    }

    fn report_data_of(runtime: &[u8]) -> [u8; 64] {
        let mut rd = [0u8; 64];
        rd[..32].copy_from_slice(&sha256(runtime));
        rd
    }

    #[test]
    fn report_data_claims() {
        use base64::Engine as _;
        let runtime = br#"{"jwk": {"kty": "EC"}}"#;
        let rd = report_data_of(runtime);
        // Stated as report data (x-ms-sgx-report-data), compared whole.
        let stated = claims(serde_json::json!({"x-ms-sgx-report-data": hex::encode(rd)}));
        assert!(report_data_claim(&stated, &rd, None).is_ok());
        assert!(report_data_claim(&stated, &[0; 64], None).is_err());
        // Stated as Binary runtime data (x-ms-sgx-ehd, or the legacy maa-ehd alone).
        let ehd = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(runtime);
        for name in ["x-ms-sgx-ehd", "maa-ehd"] {
            let c = claims(serde_json::json!({ name: ehd }));
            assert!(report_data_claim(&c, &rd, None).is_ok(), "{name}");
            let mut tail = rd;
            tail[40] = 1;
            assert!(
                report_data_claim(&c, &tail, None)
                    .unwrap_err()
                    .contains("[32..64]")
            );
            assert!(report_data_claim(&c, &report_data_of(b"other"), None).is_err());
        }
        // Stated as JSON runtime data (x-ms-runtime): the runtime data given must parse to it.
        let json_claim = claims(serde_json::json!({"x-ms-runtime": {"jwk": {"kty": "EC"}}}));
        assert!(report_data_claim(&json_claim, &rd, Some(runtime)).is_ok());
        assert!(
            report_data_claim(&json_claim, &rd, None)
                .unwrap_err()
                .contains("--runtime-data")
        );
        let other = br#"{"jwk": {"kty": "RSA"}}"#;
        assert!(report_data_claim(&json_claim, &report_data_of(other), Some(other)).is_err());
        assert!(report_data_claim(&json_claim, &rd, Some(b"not json")).is_err());
        // Neither.
        assert!(report_data_claim(&Map::new(), &rd, Some(runtime)).is_err());
    }

    /// The decoded claims of the recorded Azure tokens (`testdata/maa`), against the recorded
    /// quote and runtime data.
    #[test]
    fn recorded_azure_claims_pass_every_claim_rule() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/maa");
        for exchange in ["shared-wus", "shared-wus-json"] {
            let read = |name: &str| std::fs::read(format!("{dir}/{exchange}/{name}")).unwrap();
            let c: Map<String, Value> = serde_json::from_slice(&read("claims.json")).unwrap();
            let quote_bytes = read("quote.bin");
            let quote = ekms_attest::Quote::parse(&quote_bytes).unwrap();
            let body = &quote.report_body;
            let runtime = read("runtime-data.bin");
            assert!(token_verdict(&c).problems.is_empty(), "{exchange}");
            assert!(
                token_verdict(&c).tcb_status.is_none(),
                "{exchange}: Azure states no TCB status"
            );
            assert!(quote_hash(&c, &quote_bytes).is_ok(), "{exchange}");
            assert!(claim_equals(&c, &NAMES, &body.mr_enclave, "mr_enclave").is_ok());
            let signer = ["x-ms-sgx-mrsigner", "sgx-mrsigner"];
            assert!(claim_equals(&c, &signer, &body.mr_signer, "mr_signer").is_ok());
            assert!(
                report_data_claim(&c, &body.report_data, Some(&runtime)).is_ok(),
                "{exchange}"
            );
            assert!(issuer(&c, Some("https://sharedwus.wus.attest.azure.net/")).is_ok());
            assert!(issuer(&c, Some("https://sharedeus.eus.attest.azure.net")).is_err());
            assert!(issuer(&c, None).unwrap_err().contains("--issuer"));
        }
    }
}
