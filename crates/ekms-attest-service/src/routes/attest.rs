//! `POST /attest/SgxEnclave?api-version=…`: Microsoft Azure Attestation's SGX attestation.
//!
//! Request body (JSON): `quote` (base64url of a DCAP v3 quote, required), `runtimeData` and
//! `initTimeData` (`{"data": base64url, "dataType": "Binary" | "JSON"}`, optional), `nonce`
//! (optional, copied into the token) and `draftPolicyForAttestation` (accepted and ignored: the
//! service has one built-in policy). Base64 may be base64url or standard, padded or not.
//!
//! Steps, each failure a 400 in MAA's error shape naming the check: api-version, body, base64,
//! quote structure, signatures/chains/collateral (under the trusted roots, at the service's
//! time), policy (emulated evidence, debug enclave, TCB status), runtime data
//! (SHA-256(runtimeData.data) = report_data[0..32]), init-time data (SHA-256(initTimeData.data)
//! = config_id[0..32]). Success answers `{"token": "<JWT>"}` (claims: [`crate::claims`]).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use ekms_attest::{Quote, VerifiedQuote, VerifyError};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::claims::{self, DataType, Evidence, Issuance, SuppliedData};
use crate::collateral::Candidate;
use crate::config::TOKEN_LIFETIME;
use crate::error::ApiError;
use crate::state::AppState;

/// The api-versions of MAA whose SGX attestation request and response this route speaks.
pub const API_VERSIONS: &[&str] = &[
    "2020-10-01",
    "2022-08-01",
    "2022-09-01-preview",
    "2025-06-01",
];

/// The routes of this module.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/attest/SgxEnclave", post(attest_sgx_enclave))
}

/// `runtimeData` / `initTimeData`.
#[derive(Debug, Deserialize)]
struct DataObject {
    data: Option<String>,
    #[serde(rename = "dataType")]
    data_type: Option<String>,
}

/// The request body; unknown fields are ignored, as MAA ignores them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AttestSgxEnclaveRequest {
    quote: Option<String>,
    runtime_data: Option<DataObject>,
    init_time_data: Option<DataObject>,
    draft_policy_for_attestation: Option<String>,
    nonce: Option<String>,
}

/// Checks the `api-version` query parameter.
pub fn check_api_version(
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<(), ApiError> {
    let Query(query) =
        query.map_err(|e| ApiError::invalid_parameter(format!("malformed query string: {e}")))?;
    match query.get("api-version").map(|v| v.trim()) {
        None | Some("") => Err(ApiError::api_version(format!(
            "the api-version query parameter is required; supported versions: {}",
            API_VERSIONS.join(", ")
        ))),
        Some(v) if API_VERSIONS.contains(&v) => Ok(()),
        Some(v) => Err(ApiError::api_version(format!(
            "api-version {v:?} is not supported; supported versions: {}",
            API_VERSIONS.join(", ")
        ))),
    }
}

/// Decodes base64url (MAA's encoding) or standard base64, with or without padding.
pub fn decode_base64(field: &str, text: &str) -> Result<Vec<u8>, ApiError> {
    let trimmed = text.trim().trim_end_matches('=');
    let decoded = if trimmed.contains(['+', '/']) {
        STANDARD_NO_PAD.decode(trimmed)
    } else {
        URL_SAFE_NO_PAD.decode(trimmed)
    };
    decoded.map_err(|e| ApiError::invalid_parameter(format!("{field} is not valid base64url: {e}")))
}

fn supplied(field: &str, obj: Option<DataObject>) -> Result<Option<SuppliedData>, ApiError> {
    let Some(obj) = obj else { return Ok(None) };
    let data_type = DataType::parse(obj.data_type.as_deref(), field)?;
    let Some(data) = obj.data else {
        return Err(ApiError::invalid_parameter(format!(
            "{field}.data is required when {field} is given"
        )));
    };
    let data = decode_base64(&format!("{field}.data"), &data)?;
    Ok(Some(SuppliedData { data, data_type }))
}

fn body_error(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestTooLarge",
            format!(
                "the request body is larger than {} bytes",
                crate::config::MAX_BODY_BYTES
            ),
        )
    } else {
        ApiError::invalid_parameter(format!("cannot read the request body: {rejection}"))
    }
}

/// Maps a verification failure to MAA's error shape: policy refusals are
/// `PolicyEvaluationError`, everything else `InvalidQuote`.
fn verify_error(e: VerifyError, origin: &str, now: OffsetDateTime) -> ApiError {
    match e {
        VerifyError::EmulatedNotAllowed { .. } => ApiError::policy(format!(
            "{e}: this service does not accept emulated SGX evidence (it proves the protocol, not the hardware); start it with --allow-emulated to accept it"
        )),
        VerifyError::DebugNotAllowed => ApiError::policy(format!(
            "{e}; start the service with --allow-debug to accept debug enclaves"
        )),
        VerifyError::TcbStatusNotAccepted { .. } => {
            ApiError::policy(format!("TCB status check failed: {e}"))
        }
        VerifyError::Malformed(inner) => {
            ApiError::invalid_quote(format!("the quote is not a DCAP v3 SGX quote: {inner}"))
        }
        other => ApiError::invalid_quote(format!(
            "quote verification failed (collateral from {origin}, verified at {}): {other}",
            now.format(&Rfc3339).unwrap_or_else(|_| now.to_string())
        )),
    }
}

/// Verifies the quote with each candidate collateral in turn; the first that verifies wins.
fn verify(
    state: &AppState,
    quote: &[u8],
    candidates: &[Candidate],
) -> Result<(VerifiedQuote, Candidate), ApiError> {
    let now = state.now();
    let mut last = None;
    for candidate in candidates {
        match state.verifier.evaluate(quote, &candidate.collateral, now) {
            Ok(verified) => {
                state
                    .verifier
                    .check_policy(&verified)
                    .map_err(|e| verify_error(e, &candidate.origin, now))?;
                return Ok((verified, candidate.clone()));
            }
            Err(e) => last = Some(verify_error(e, &candidate.origin, now)),
        }
    }
    Err(last.unwrap_or_else(|| ApiError::invalid_quote("no collateral for this quote")))
}

async fn attest_sgx_enclave(
    State(state): State<Arc<AppState>>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    check_api_version(query)?;
    let body = body.map_err(body_error)?;
    let request: AttestSgxEnclaveRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid_parameter(format!("the request body is not valid: {e}")))?;
    let Some(quote_b64) = request.quote.as_deref() else {
        return Err(ApiError::invalid_parameter("the quote field is required"));
    };
    let quote = decode_base64("quote", quote_b64)?;
    let runtime = supplied("runtimeData", request.runtime_data)?;
    let init_time = supplied("initTimeData", request.init_time_data)?;
    if request.draft_policy_for_attestation.is_some() {
        tracing::debug!("draftPolicyForAttestation ignored: the service has a built-in policy");
    }
    let parsed = Quote::parse(&quote).map_err(|e| {
        ApiError::invalid_quote(format!("the quote is not a DCAP v3 SGX quote: {e}"))
    })?;
    let task_state = state.clone();
    let (verified, quote) = tokio::task::spawn_blocking(move || {
        let candidates = task_state
            .collateral
            .candidates(&parsed, task_state.now())?;
        verify(&task_state, &quote, &candidates).map(|v| (v, quote))
    })
    .await
    .map_err(|_| ApiError::internal("the verification task failed"))??;
    let (verified, candidate) = verified;

    if let Some(runtime) = &runtime {
        claims::check_runtime_data(&verified.report.report_data, &runtime.data)?;
    }
    if let Some(init) = &init_time {
        claims::check_init_time_data(&verified.report.config_id, &init.data)?;
    }

    let evidence = Evidence {
        verified: &verified,
        quote: &quote,
        collateral: &candidate.collateral,
        runtime: runtime.as_ref(),
        init_time: init_time.as_ref(),
        nonce: request.nonce.as_deref(),
    };
    let jti = random_jti()?;
    let issuance = Issuance {
        issuer: &state.issuer,
        now: state.now(),
        lifetime: TOKEN_LIFETIME,
        policy_hash: &state.policy_hash,
        jti: &jti,
    };
    let claims = claims::build(&evidence, &issuance)?;
    let token = state
        .signer
        .sign(&claims)
        .map_err(|e| ApiError::internal(format!("{e:#}")))?;
    tracing::info!(
        mr_enclave = %hex::encode(verified.report.mr_enclave),
        tcb_status = %verified.tcb_status,
        emulated = verified.emulated,
        "token issued"
    );
    Ok(Json(json!({ "token": token })))
}

fn random_jti() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| ApiError::internal("no randomness"))?;
    Ok(hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> Result<Query<HashMap<String, String>>, QueryRejection> {
        Ok(Query(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ))
    }

    #[test]
    fn api_versions() {
        assert!(check_api_version(query(&[("api-version", "2020-10-01")])).is_ok());
        assert!(check_api_version(query(&[("api-version", "2022-08-01")])).is_ok());
        let e = check_api_version(query(&[])).unwrap_err();
        assert_eq!(e.code, "UnsupportedApiVersion");
        let e = check_api_version(query(&[("api-version", "1999-01-01")])).unwrap_err();
        assert!(e.message.contains("1999-01-01") && e.message.contains("2022-08-01"));
    }

    #[test]
    fn base64_variants() {
        let bytes = [0xfbu8, 0xff, 0xfe, 0x01];
        for text in ["-__-AQ", "-__-AQ==", "+//+AQ==", "+//+AQ"] {
            assert_eq!(decode_base64("x", text).unwrap(), bytes, "{text}");
        }
        let e = decode_base64("quote", "not base64!").unwrap_err();
        assert_eq!(e.code, "InvalidParameter");
        assert!(e.message.contains("quote"));
    }

    #[test]
    fn data_objects() {
        let none = supplied("runtimeData", None).unwrap();
        assert!(none.is_none());
        let d = supplied(
            "runtimeData",
            Some(DataObject {
                data: Some("aGk".into()),
                data_type: Some("json".into()),
            }),
        )
        .unwrap()
        .unwrap();
        assert_eq!(d.data, b"hi");
        assert_eq!(d.data_type, DataType::Json);
        assert!(
            supplied(
                "runtimeData",
                Some(DataObject {
                    data: None,
                    data_type: None
                })
            )
            .is_err()
        );
        assert!(
            supplied(
                "runtimeData",
                Some(DataObject {
                    data: Some("aGk".into()),
                    data_type: Some("Text".into())
                })
            )
            .is_err()
        );
    }
}
