//! The emulated PCCS: Intel's PCS/PCCS v4 collateral routes, answered with collateral the
//! emulated platform's generator makes for the service's time. Served only with
//! `--allow-emulated`; everything here chains to the published emulated root (EMULATED, NOT
//! INTEL) and verifies emulated quotes only.
//!
//! | route | body | issuer chain header |
//! |---|---|---|
//! | `GET /sgx/certification/v4/tcb?fmspc=<12 hex>` | `{"tcbInfo":…,"signature":"<hex>"}` | `TCB-Info-Issuer-Chain` and `SGX-TCB-Info-Issuer-Chain` |
//! | `GET /sgx/certification/v4/qe/identity` | `{"enclaveIdentity":…,"signature":"<hex>"}` | `SGX-Enclave-Identity-Issuer-Chain` |
//! | `GET /sgx/certification/v4/pckcrl?ca=platform[&encoding=pem\|der]` | the PCK CRL, PEM (default) or DER | `SGX-PCK-CRL-Issuer-Chain` |
//! | `GET /sgx/certification/v4/rootcacrl[?encoding=hex\|der\|pem]` | the root CA CRL, hex of the DER by default (as Intel's PCCS answers) | — |
//!
//! Issuer chains are URL-encoded PEM, leaf first. The `tcbInfo` and `enclaveIdentity` objects
//! are the exact signed bytes. `update=early|standard` is accepted; `tcbEvaluationDataNumber`
//! must be the emulated collateral's number (and not be combined with `update`). The emulated
//! PKI has a Platform CA only, so `ca=processor` is 404.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use ekms_attest::emulated::PccsCollateral;
use ekms_attest::emulated::collateral::EMULATED_TCB_EVALUATION_DATA_NUMBER;

use crate::error::ApiError;
use crate::state::AppState;

// Header names are case-insensitive; `http` keeps them lower-case.
const TCB_INFO_ISSUER_CHAIN: &str = "tcb-info-issuer-chain";
const SGX_TCB_INFO_ISSUER_CHAIN: &str = "sgx-tcb-info-issuer-chain";
const ENCLAVE_IDENTITY_ISSUER_CHAIN: &str = "sgx-enclave-identity-issuer-chain";
const PCK_CRL_ISSUER_CHAIN: &str = "sgx-pck-crl-issuer-chain";

/// The routes of this module.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/sgx/certification/v4/tcb", get(tcb_info))
        .route("/sgx/certification/v4/qe/identity", get(qe_identity))
        .route("/sgx/certification/v4/pckcrl", get(pck_crl))
        .route("/sgx/certification/v4/rootcacrl", get(root_ca_crl))
}

type QueryResult = Result<Query<HashMap<String, String>>, QueryRejection>;

fn query(q: QueryResult) -> Result<HashMap<String, String>, ApiError> {
    q.map(|Query(q)| q)
        .map_err(|e| ApiError::invalid_parameter(format!("malformed query string: {e}")))
}

/// Percent-encodes everything but RFC 3986's unreserved characters, as PCS encodes its
/// issuer chain headers.
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3 / 2);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn header(name: &'static str, value: &str) -> Result<(HeaderName, HeaderValue), ApiError> {
    let value = HeaderValue::from_str(&url_encode(value))
        .map_err(|_| ApiError::internal(format!("cannot encode the {name} header")))?;
    Ok((HeaderName::from_static(name), value))
}

/// Checks PCS's evaluation-data selectors: `update` and `tcbEvaluationDataNumber`.
fn check_selectors(q: &HashMap<String, String>) -> Result<(), ApiError> {
    let update = q.get("update");
    let number = q.get("tcbEvaluationDataNumber");
    if update.is_some() && number.is_some() {
        return Err(ApiError::invalid_parameter(
            "update and tcbEvaluationDataNumber cannot be used together",
        ));
    }
    if let Some(u) = update
        && u != "early"
        && u != "standard"
    {
        return Err(ApiError::invalid_parameter(format!(
            "update {u:?} is neither \"early\" nor \"standard\""
        )));
    }
    if let Some(n) = number {
        let n: u32 = n.parse().map_err(|_| {
            ApiError::invalid_parameter(format!("tcbEvaluationDataNumber {n:?} is not a number"))
        })?;
        if n != EMULATED_TCB_EVALUATION_DATA_NUMBER {
            return Err(ApiError::not_found(format!(
                "the emulated PCCS has TCB evaluation data number {EMULATED_TCB_EVALUATION_DATA_NUMBER} only, not {n}"
            )));
        }
    }
    Ok(())
}

fn parse_fmspc(q: &HashMap<String, String>) -> Result<[u8; 6], ApiError> {
    let text = q
        .get("fmspc")
        .ok_or_else(|| ApiError::invalid_parameter("the fmspc query parameter is required"))?;
    let bytes = hex::decode(text)
        .ok()
        .and_then(|b| <[u8; 6]>::try_from(b).ok())
        .ok_or_else(|| {
            ApiError::invalid_parameter(format!("fmspc {text:?} is not 12 hexadecimal digits"))
        })?;
    Ok(bytes)
}

/// The collateral for `fmspc` at the service's time (the FMSPC does not change the CRLs,
/// chains or QE identity).
fn pieces(state: &AppState, fmspc: [u8; 6]) -> Result<PccsCollateral, ApiError> {
    PccsCollateral::for_fmspc(fmspc, state.now())
        .map_err(|e| ApiError::internal(format!("cannot make emulated collateral: {e}")))
}

fn respond(
    content_type: &'static str,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Vec<u8>,
) -> Response {
    let mut resp = (StatusCode::OK, body).into_response();
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    for (name, value) in headers {
        h.insert(name, value);
    }
    resp
}

async fn tcb_info(
    State(state): State<Arc<AppState>>,
    q: QueryResult,
) -> Result<Response, ApiError> {
    let q = query(q)?;
    check_selectors(&q)?;
    let fmspc = parse_fmspc(&q)?;
    let c = pieces(&state, fmspc)?;
    Ok(respond(
        "application/json",
        vec![
            header(TCB_INFO_ISSUER_CHAIN, &c.tcb_info_issuer_chain)?,
            header(SGX_TCB_INFO_ISSUER_CHAIN, &c.tcb_info_issuer_chain)?,
        ],
        c.tcb_info_response().into_bytes(),
    ))
}

async fn qe_identity(
    State(state): State<Arc<AppState>>,
    q: QueryResult,
) -> Result<Response, ApiError> {
    let q = query(q)?;
    check_selectors(&q)?;
    let c = pieces(&state, ekms_attest::emulated::platform::EMULATED_FMSPC)?;
    Ok(respond(
        "application/json",
        vec![header(
            ENCLAVE_IDENTITY_ISSUER_CHAIN,
            &c.qe_identity_issuer_chain,
        )?],
        c.qe_identity_response().into_bytes(),
    ))
}

/// PEM of a DER CRL.
fn crl_pem(der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN X509 CRL-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END X509 CRL-----\n");
    out
}

async fn pck_crl(State(state): State<Arc<AppState>>, q: QueryResult) -> Result<Response, ApiError> {
    let q = query(q)?;
    match q.get("ca").map(String::as_str) {
        Some("platform") => {}
        Some("processor") => {
            return Err(ApiError::not_found(
                "the emulated PKI has no Processor CA; emulated PCK certificates are issued by its Platform CA (ca=platform)",
            ));
        }
        Some(other) => {
            return Err(ApiError::invalid_parameter(format!(
                "ca {other:?} is neither \"processor\" nor \"platform\""
            )));
        }
        None => {
            return Err(ApiError::invalid_parameter(
                "the ca query parameter is required",
            ));
        }
    }
    let c = pieces(&state, ekms_attest::emulated::platform::EMULATED_FMSPC)?;
    let chain = vec![header(PCK_CRL_ISSUER_CHAIN, &c.pck_crl_issuer_chain)?];
    match q.get("encoding").map(String::as_str) {
        None | Some("pem") => Ok(respond(
            "application/x-pem-file",
            chain,
            crl_pem(&c.pck_crl).into_bytes(),
        )),
        Some("der") => Ok(respond("application/pkix-crl", chain, c.pck_crl)),
        Some(other) => Err(ApiError::invalid_parameter(format!(
            "encoding {other:?} is neither \"pem\" nor \"der\""
        ))),
    }
}

async fn root_ca_crl(
    State(state): State<Arc<AppState>>,
    q: QueryResult,
) -> Result<Response, ApiError> {
    let q = query(q)?;
    let c = pieces(&state, ekms_attest::emulated::platform::EMULATED_FMSPC)?;
    match q.get("encoding").map(String::as_str) {
        None | Some("hex") => Ok(respond(
            "text/plain",
            Vec::new(),
            hex::encode(&c.root_ca_crl).into_bytes(),
        )),
        Some("der") => Ok(respond("application/pkix-crl", Vec::new(), c.root_ca_crl)),
        Some("pem") => Ok(respond(
            "application/x-pem-file",
            Vec::new(),
            crl_pem(&c.root_ca_crl).into_bytes(),
        )),
        Some(other) => Err(ApiError::invalid_parameter(format!(
            "encoding {other:?} is none of \"hex\", \"der\", \"pem\""
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoding_of_pem() {
        assert_eq!(
            url_encode("-----BEGIN CERTIFICATE-----\nMII+/=\n"),
            "-----BEGIN%20CERTIFICATE-----%0AMII%2B%2F%3D%0A"
        );
    }

    #[test]
    fn selectors() {
        let q = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert!(check_selectors(&q(&[])).is_ok());
        assert!(check_selectors(&q(&[("update", "early")])).is_ok());
        assert!(check_selectors(&q(&[("update", "late")])).is_err());
        let n = EMULATED_TCB_EVALUATION_DATA_NUMBER.to_string();
        assert!(check_selectors(&q(&[("tcbEvaluationDataNumber", &n)])).is_ok());
        assert_eq!(
            check_selectors(&q(&[("tcbEvaluationDataNumber", "1")]))
                .unwrap_err()
                .status,
            StatusCode::NOT_FOUND
        );
        assert!(
            check_selectors(&q(&[("update", "early"), ("tcbEvaluationDataNumber", &n)])).is_err()
        );
        assert!(parse_fmspc(&q(&[("fmspc", "00A067110000")])).is_ok());
        assert!(parse_fmspc(&q(&[("fmspc", "00A0671100")])).is_err());
        assert!(parse_fmspc(&q(&[])).is_err());
    }

    #[test]
    fn crl_pem_lines() {
        let pem = crl_pem(&[0u8; 100]);
        assert!(pem.starts_with("-----BEGIN X509 CRL-----\n"));
        assert!(pem.lines().all(|l| l.len() <= 64));
    }
}
