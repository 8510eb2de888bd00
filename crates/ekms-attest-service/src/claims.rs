//! The claims of an attestation token, named as Microsoft Azure Attestation names them for
//! SGX, and the checks that bind the client's runtime and init-time data to the quote.
//!
//! [`Evidence`] is what the attest route established (the verified quote, its bytes, the
//! collateral used, the decoded request data); [`build`] turns it into the claim set:
//!
//! * JWT: `iss`, `iat`, `nbf`, `exp`, `jti`, and `nonce` when the request had one;
//! * MAA common: `x-ms-ver` (`"1.0"`), `x-ms-attestation-type` (`"sgx"`), `x-ms-policy-hash`,
//!   `x-ms-runtime` / `x-ms-inittime` (runtime / init-time data of type `JSON`);
//! * MAA SGX: `x-ms-sgx-is-debuggable`, `x-ms-sgx-product-id`, `x-ms-sgx-mrenclave`,
//!   `x-ms-sgx-mrsigner`, `x-ms-sgx-svn`, `x-ms-sgx-ehd` (Binary runtime data, base64url; JSON
//!   runtime data is stated as `x-ms-runtime` only, as MAA does), `x-ms-sgx-collateral` (SHA-256
//!   of the quote — `quotehash` — and of each collateral piece), and, for enclaves with Key
//!   Separation and Sharing,
//!   `x-ms-sgx-config-id`, `x-ms-sgx-config-svn`, `x-ms-sgx-isv-extended-product-id`,
//!   `x-ms-sgx-isv-family-id`;
//! * MAA's deprecated duplicates, which MAA still issues and older clients read:
//!   `is-debuggable`, `product-id`, `sgx-mrenclave`, `sgx-mrsigner`, `svn`, `tee`, `maa-ehd`,
//!   `aas-ehd`, `maa-attestationcollateral`;
//! * ekms's own (MAA has no SGX TCB claims and states no report data): `x-ekms-emulated`,
//!   `x-ekms-sgx-tcb-status`, `x-ekms-sgx-advisory-ids`, `x-ekms-sgx-fmspc`, `x-ekms-sgx-root`,
//!   `x-ekms-collateral-expiration`, `x-ekms-sgx-report-data`.
//!
//! Every name outside the `x-ekms-` prefix is one a real Azure Attestation token carries, with
//! the same shape (`tests/emulated.rs` compares with a recorded one), so a client checked
//! against this service checks Azure's tokens the same way.

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ekms_attest::report::FLAG_KSS;
use ekms_attest::{Collateral, TcbPolicy, VerifiedQuote};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::error::ApiError;

/// How the `data` of a runtime or init-time data object is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    /// Opaque bytes.
    Binary,
    /// UTF-8 JSON text, surfaced as a claim (`x-ms-runtime` / `x-ms-inittime`).
    Json,
}

impl DataType {
    /// MAA's names, compared without regard to ASCII case; absent means `Binary`.
    pub fn parse(name: Option<&str>, field: &str) -> Result<Self, ApiError> {
        match name {
            None => Ok(Self::Binary),
            Some(n) if n.eq_ignore_ascii_case("Binary") => Ok(Self::Binary),
            Some(n) if n.eq_ignore_ascii_case("JSON") => Ok(Self::Json),
            Some(other) => Err(ApiError::invalid_parameter(format!(
                "{field}.dataType {other:?} is neither \"Binary\" nor \"JSON\""
            ))),
        }
    }
}

/// Decoded runtime or init-time data from the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppliedData {
    /// The decoded bytes.
    pub data: Vec<u8>,
    /// How to read them.
    pub data_type: DataType,
}

impl SuppliedData {
    /// The JSON value of `JSON` data (which must be an object), or `None` for binary data.
    fn json_claim(&self, field: &str) -> Result<Option<Value>, ApiError> {
        if self.data_type != DataType::Json {
            return Ok(None);
        }
        let value: Value = serde_json::from_slice(&self.data).map_err(|e| {
            ApiError::invalid_parameter(format!(
                "{field}.data has dataType JSON but is not UTF-8 JSON: {e}"
            ))
        })?;
        if !value.is_object() {
            return Err(ApiError::invalid_parameter(format!(
                "{field}.data has dataType JSON but is not a JSON object"
            )));
        }
        Ok(Some(value))
    }
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, bytes).as_ref());
    out
}

/// MAA's rule for runtime data: SHA-256 of the data must be the first 32 bytes of the quote's
/// report data.
pub fn check_runtime_data(report_data: &[u8; 64], runtime: &[u8]) -> Result<(), ApiError> {
    let expected = report_data.get(..32).unwrap_or_default();
    let actual = sha256(runtime);
    if actual.as_slice() != expected {
        return Err(ApiError::data_mismatch(
            "RuntimeDataMismatch",
            format!(
                "runtime data check failed: SHA-256(runtimeData.data) = {} but the quote's report_data[0..32] = {}",
                hex::encode(actual),
                hex::encode(expected)
            ),
        ));
    }
    Ok(())
}

/// MAA's rule for init-time data on SGX: SHA-256 of the data must be the first 32 bytes of the
/// enclave's CONFIGID.
pub fn check_init_time_data(config_id: &[u8; 64], init: &[u8]) -> Result<(), ApiError> {
    let expected = config_id.get(..32).unwrap_or_default();
    let actual = sha256(init);
    if actual.as_slice() != expected {
        return Err(ApiError::data_mismatch(
            "InitTimeDataMismatch",
            format!(
                "init-time data check failed: SHA-256(initTimeData.data) = {} but the enclave's config_id[0..32] = {}",
                hex::encode(actual),
                hex::encode(expected)
            ),
        ));
    }
    Ok(())
}

/// The text of the service's fixed policy. The service has no policy management; this text
/// describes what it enforces and is what `x-ms-policy-hash` hashes.
pub fn policy_text(policy: &TcbPolicy, allow_debug: bool, allow_emulated: bool) -> String {
    format!(
        "ekms-attest built-in policy v1\naccepted-tcb-statuses={policy}\nallow-debug={allow_debug}\nallow-emulated={allow_emulated}\n"
    )
}

/// MAA's policy hash: BASE64URL(SHA256(UTF8(BASE64URL(UTF8(policy text))))).
pub fn policy_hash(text: &str) -> String {
    let inner = URL_SAFE_NO_PAD.encode(text.as_bytes());
    URL_SAFE_NO_PAD.encode(sha256(inner.as_bytes()))
}

/// Everything a token states.
pub struct Evidence<'a> {
    /// The verified quote.
    pub verified: &'a VerifiedQuote,
    /// The quote bytes as received.
    pub quote: &'a [u8],
    /// The collateral it was verified with.
    pub collateral: &'a Collateral,
    /// Runtime data, already checked against the report data.
    pub runtime: Option<&'a SuppliedData>,
    /// Init-time data, already checked against CONFIGID.
    pub init_time: Option<&'a SuppliedData>,
    /// The request's nonce.
    pub nonce: Option<&'a str>,
}

/// What the service adds to every token.
pub struct Issuance<'a> {
    /// `iss`: the service's base URL.
    pub issuer: &'a str,
    /// `iat` and `nbf`.
    pub now: OffsetDateTime,
    /// `exp` - `iat`.
    pub lifetime: time::Duration,
    /// `x-ms-policy-hash`.
    pub policy_hash: &'a str,
    /// `jti`.
    pub jti: &'a str,
}

fn hash_hex(bytes: &[u8]) -> String {
    hex::encode(sha256(bytes))
}

/// The token claims for `evidence`.
pub fn build(
    evidence: &Evidence<'_>,
    issuance: &Issuance<'_>,
) -> Result<Map<String, Value>, ApiError> {
    let v = evidence.verified;
    let report = &v.report;
    let mut c = Map::new();
    let iat = issuance.now.unix_timestamp();
    let exp = (issuance.now + issuance.lifetime).unix_timestamp();
    c.insert("iss".into(), json!(issuance.issuer));
    c.insert("iat".into(), json!(iat));
    c.insert("nbf".into(), json!(iat));
    c.insert("exp".into(), json!(exp));
    c.insert("jti".into(), json!(issuance.jti));
    if let Some(nonce) = evidence.nonce {
        c.insert("nonce".into(), json!(nonce));
    }

    c.insert("x-ms-ver".into(), json!("1.0"));
    c.insert("x-ms-attestation-type".into(), json!("sgx"));
    c.insert("x-ms-policy-hash".into(), json!(issuance.policy_hash));

    let debuggable = report.is_debug();
    let mrenclave = hex::encode(report.mr_enclave);
    let mrsigner = hex::encode(report.mr_signer);
    c.insert("x-ms-sgx-is-debuggable".into(), json!(debuggable));
    c.insert("x-ms-sgx-product-id".into(), json!(report.isv_prod_id));
    c.insert("x-ms-sgx-mrenclave".into(), json!(mrenclave));
    c.insert("x-ms-sgx-mrsigner".into(), json!(mrsigner));
    c.insert("x-ms-sgx-svn".into(), json!(report.isv_svn));
    if let Some(runtime) = evidence.runtime {
        // MAA states Binary runtime data as bytes (`*-ehd`) and JSON runtime data only as the
        // parsed object.
        match runtime.json_claim("runtimeData")? {
            Some(value) => {
                c.insert("x-ms-runtime".into(), value);
            }
            None => {
                let ehd = URL_SAFE_NO_PAD.encode(&runtime.data);
                c.insert("x-ms-sgx-ehd".into(), json!(ehd));
                c.insert("maa-ehd".into(), json!(ehd));
                c.insert("aas-ehd".into(), json!(ehd));
            }
        }
    }
    if let Some(init) = evidence.init_time
        && let Some(value) = init.json_claim("initTimeData")?
    {
        c.insert("x-ms-inittime".into(), value);
    }
    if report.attributes.flags & FLAG_KSS != 0 {
        c.insert(
            "x-ms-sgx-config-id".into(),
            json!(hex::encode(report.config_id)),
        );
        c.insert("x-ms-sgx-config-svn".into(), json!(report.config_svn));
        c.insert(
            "x-ms-sgx-isv-extended-product-id".into(),
            json!(hex::encode(report.isv_ext_prod_id)),
        );
        c.insert(
            "x-ms-sgx-isv-family-id".into(),
            json!(hex::encode(report.isv_family_id)),
        );
    }

    let col = evidence.collateral;
    let quote_hash = hash_hex(evidence.quote);
    let qeid_certs = hash_hex(col.qe_identity_issuer_chain.as_bytes());
    let root_crl = hash_hex(&col.root_ca_crl);
    let qeid = hash_hex(col.qe_identity.as_bytes());
    let tcb_certs = hash_hex(col.tcb_info_issuer_chain.as_bytes());
    let tcb = hash_hex(col.tcb_info.as_bytes());
    let collateral = json!({
        "qeidcertshash": qeid_certs,
        "qeidcrlhash": root_crl,
        "qeidhash": qeid,
        "quotehash": quote_hash,
        "tcbinfocertshash": tcb_certs,
        "tcbinfocrlhash": root_crl,
        "tcbinfohash": tcb,
    });
    c.insert("x-ms-sgx-collateral".into(), collateral.clone());

    // MAA's deprecated names, still issued by MAA.
    c.insert("is-debuggable".into(), json!(debuggable));
    c.insert("product-id".into(), json!(report.isv_prod_id));
    c.insert("sgx-mrenclave".into(), json!(mrenclave));
    c.insert("sgx-mrsigner".into(), json!(mrsigner));
    c.insert("svn".into(), json!(report.isv_svn));
    c.insert("tee".into(), json!("sgx"));
    // The same object under MAA's old name.
    c.insert("maa-attestationcollateral".into(), collateral);

    // ekms's own: what MAA leaves out and an ekms client must see.
    c.insert("x-ekms-emulated".into(), json!(v.emulated));
    c.insert("x-ekms-sgx-tcb-status".into(), json!(v.tcb_status.as_str()));
    c.insert("x-ekms-sgx-advisory-ids".into(), json!(v.advisory_ids));
    c.insert("x-ekms-sgx-fmspc".into(), json!(hex::encode(v.fmspc)));
    c.insert("x-ekms-sgx-root".into(), json!(v.root));
    c.insert(
        "x-ekms-collateral-expiration".into(),
        json!(v.collateral_expires_at.unix_timestamp()),
    );
    c.insert(
        "x-ekms-sgx-report-data".into(),
        json!(hex::encode(report.report_data)),
    );
    Ok(c)
}

/// The claim names tokens may carry (the `claims_supported` of the OpenID metadata).
pub const CLAIMS_SUPPORTED: &[&str] = &[
    "iss",
    "iat",
    "nbf",
    "exp",
    "jti",
    "nonce",
    "x-ms-ver",
    "x-ms-attestation-type",
    "x-ms-policy-hash",
    "x-ms-runtime",
    "x-ms-inittime",
    "x-ms-sgx-is-debuggable",
    "x-ms-sgx-product-id",
    "x-ms-sgx-mrenclave",
    "x-ms-sgx-mrsigner",
    "x-ms-sgx-svn",
    "x-ms-sgx-ehd",
    "x-ms-sgx-collateral",
    "x-ms-sgx-config-id",
    "x-ms-sgx-config-svn",
    "x-ms-sgx-isv-extended-product-id",
    "x-ms-sgx-isv-family-id",
    "is-debuggable",
    "product-id",
    "sgx-mrenclave",
    "sgx-mrsigner",
    "svn",
    "tee",
    "maa-ehd",
    "aas-ehd",
    "maa-attestationcollateral",
    "x-ekms-emulated",
    "x-ekms-sgx-tcb-status",
    "x-ekms-sgx-advisory-ids",
    "x-ekms-sgx-fmspc",
    "x-ekms-sgx-root",
    "x-ekms-collateral-expiration",
    "x-ekms-sgx-report-data",
];

#[cfg(test)]
mod tests {
    use super::*;
    use ekms_attest::quote::INTEL_QE_VENDOR_ID;
    use ekms_attest::{QuoteHeader, ReportBody, TcbStatus};

    fn verified(kss: bool) -> VerifiedQuote {
        let mut report = ReportBody {
            mr_enclave: [1; 32],
            mr_signer: [2; 32],
            isv_prod_id: 3,
            isv_svn: 4,
            config_id: [5; 64],
            config_svn: 6,
            ..ReportBody::default()
        };
        report.report_data[..32].copy_from_slice(&sha256(b"rt"));
        if kss {
            report.attributes.flags |= FLAG_KSS;
        }
        VerifiedQuote {
            header: QuoteHeader {
                version: 3,
                attestation_key_type: 2,
                tee_type: 0,
                qe_svn: 0,
                pce_svn: 0,
                qe_vendor_id: INTEL_QE_VENDOR_ID,
                user_data: [0; 20],
            },
            report,
            tcb_status: TcbStatus::SWHardeningNeeded,
            advisory_ids: vec!["INTEL-SA-00334".into()],
            emulated: true,
            root: "EMULATED SGX Root CA - NOT INTEL".into(),
            fmspc: [0xee, 0x4b, 0x4d, 0x53, 0, 0],
            collateral_expires_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn collateral() -> Collateral {
        Collateral {
            pck_crl_issuer_chain: "pck chain".into(),
            root_ca_crl: b"root crl".to_vec(),
            pck_crl: b"pck crl".to_vec(),
            tcb_info_issuer_chain: "tcb chain".into(),
            tcb_info: "{\"tcb\":1}".into(),
            tcb_info_signature: vec![0; 64],
            qe_identity_issuer_chain: "qe chain".into(),
            qe_identity: "{\"qe\":1}".into(),
            qe_identity_signature: vec![0; 64],
            pck_certificate_chain: None,
        }
    }

    fn claims_for(v: &VerifiedQuote, runtime: Option<&SuppliedData>) -> Map<String, Value> {
        let col = collateral();
        let evidence = Evidence {
            verified: v,
            quote: b"quote bytes",
            collateral: &col,
            runtime,
            init_time: None,
            nonce: None,
        };
        let issuance = Issuance {
            issuer: "https://iss",
            now: OffsetDateTime::from_unix_timestamp(1_000_000).unwrap(),
            lifetime: time::Duration::hours(8),
            policy_hash: "ph",
            jti: "j",
        };
        build(&evidence, &issuance).unwrap()
    }

    #[test]
    fn claims_state_the_quote() {
        let rt = SuppliedData {
            data: br#"{"a":[1]}"#.to_vec(),
            data_type: DataType::Json,
        };
        let c = claims_for(&verified(false), Some(&rt));
        assert_eq!(c["iat"], 1_000_000);
        assert_eq!(c["exp"], 1_000_000 + 8 * 3600);
        assert_eq!(c["x-ms-sgx-mrenclave"], hex::encode([1u8; 32]));
        assert_eq!(c["x-ms-sgx-mrsigner"], hex::encode([2u8; 32]));
        assert_eq!(c["x-ms-sgx-product-id"], 3);
        assert_eq!(c["x-ms-sgx-svn"], 4);
        // JSON runtime data: the parsed object only, as MAA states it.
        assert!(c.get("x-ms-sgx-ehd").is_none());
        assert_eq!(c["x-ms-runtime"], json!({"a": [1]}));
        assert_eq!(
            c["x-ms-sgx-collateral"]["quotehash"],
            hex::encode(sha256(b"quote bytes"))
        );
        assert_eq!(
            c["x-ms-sgx-collateral"]["tcbinfohash"],
            hex::encode(sha256(b"{\"tcb\":1}"))
        );
        assert_eq!(c["x-ekms-emulated"], true);
        assert_eq!(c["x-ekms-sgx-tcb-status"], "SWHardeningNeeded");
        assert_eq!(c["x-ekms-sgx-advisory-ids"], json!(["INTEL-SA-00334"]));
        assert_eq!(c["x-ekms-sgx-fmspc"], "ee4b4d530000");
        // Without Key Separation and Sharing, MAA leaves the KSS claims out.
        assert!(c.get("x-ms-sgx-config-id").is_none());
        for name in c.keys() {
            assert!(
                CLAIMS_SUPPORTED.contains(&name.as_str()),
                "{name} is not listed"
            );
        }
    }

    #[test]
    fn kss_enclaves_get_the_config_claims() {
        let c = claims_for(&verified(true), None);
        assert_eq!(c["x-ms-sgx-config-id"], hex::encode([5u8; 64]));
        assert_eq!(c["x-ms-sgx-config-svn"], 6);
        assert!(c.get("x-ms-sgx-isv-family-id").is_some());
        assert!(c.get("x-ms-sgx-ehd").is_none());
    }

    #[test]
    fn json_runtime_data_must_be_an_object() {
        for data in [&b"[1]"[..], b"not json"] {
            let rt = SuppliedData {
                data: data.to_vec(),
                data_type: DataType::Json,
            };
            let v = verified(false);
            let col = collateral();
            let evidence = Evidence {
                verified: &v,
                quote: b"q",
                collateral: &col,
                runtime: Some(&rt),
                init_time: None,
                nonce: None,
            };
            let issuance = Issuance {
                issuer: "i",
                now: OffsetDateTime::UNIX_EPOCH,
                lifetime: time::Duration::hours(1),
                policy_hash: "p",
                jti: "j",
            };
            let e = build(&evidence, &issuance).unwrap_err();
            assert_eq!(e.code, "InvalidParameter");
        }
    }

    #[test]
    fn data_checks() {
        let v = verified(false);
        assert!(check_runtime_data(&v.report.report_data, b"rt").is_ok());
        let e = check_runtime_data(&v.report.report_data, b"other").unwrap_err();
        assert_eq!(e.code, "RuntimeDataMismatch");
        let mut config_id = [0u8; 64];
        config_id[..32].copy_from_slice(&sha256(b"init"));
        assert!(check_init_time_data(&config_id, b"init").is_ok());
        assert_eq!(
            check_init_time_data(&config_id, b"x").unwrap_err().code,
            "InitTimeDataMismatch"
        );
    }

    #[test]
    fn policy_hash_is_maa_formula() {
        let text = policy_text(&TcbPolicy::default(), false, true);
        assert!(text.contains("accepted-tcb-statuses=UpToDate"));
        assert!(text.contains("allow-emulated=true"));
        // BASE64URL(SHA256(BASE64URL(text))), recomputed by hand.
        let inner = URL_SAFE_NO_PAD.encode(text.as_bytes());
        let expected = URL_SAFE_NO_PAD.encode(digest(&SHA256, inner.as_bytes()).as_ref());
        assert_eq!(policy_hash(&text), expected);
        assert_eq!(policy_hash(&text).len(), 43);
        assert_ne!(
            policy_hash(&text),
            policy_hash(&policy_text(&TcbPolicy::default(), false, false))
        );
    }
}
