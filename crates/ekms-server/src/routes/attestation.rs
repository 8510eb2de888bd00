//! The trust routes: `GET /quote`, `GET /certificates`, `GET /manifest` (docs/trust.md).
//!
//! A quote's report_data binds the TLS certificate to the client's nonce:
//! `report_data = SHA-256(certificate PEM bytes || nonce bytes) || 32 zero bytes`, where the
//! nonce bytes are the query parameter's exact bytes after percent-decoding (`%ff` is the byte
//! 0xff, not text): any byte string is a nonce, and two different ones never share a quote.

use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use base64::Engine;
use std::sync::Arc;

/// The longest nonce accepted, in bytes.
pub const MAX_NONCE_LEN: usize = 1024;

/// The report data of a quote for `nonce` under the certificate `cert_pem`.
pub fn report_data(cert_pem: &str, nonce: &[u8]) -> [u8; 64] {
    let digest = ekms_crypto::hash::sha256_parts(&[cert_pem.as_bytes(), nonce]);
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&digest);
    out
}

/// Decodes one query component as `application/x-www-form-urlencoded` does, but to bytes:
/// `+` is a space, `%XY` is the byte 0xXY, anything else stands for itself. Nothing is
/// reinterpreted as UTF-8, so no two different byte strings decode alike.
fn form_decode(component: &str) -> Vec<u8> {
    let plus_as_space: Vec<u8> = component
        .bytes()
        .map(|b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_encoding::percent_decode(&plus_as_space).collect()
}

/// The nonce of a `/quote` query string: the bytes of its only `nonce` parameter.
pub fn nonce_from_query(query: &str) -> Result<Vec<u8>, ApiError> {
    let mut nonces = query
        .split('&')
        .filter_map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(name) == b"nonce").then(|| form_decode(value))
        })
        .take(2);
    let nonce = nonces
        .next()
        .ok_or_else(|| ApiError::bad_request("the query parameter `nonce` is missing"))?;
    if nonces.next().is_some() {
        return Err(ApiError::bad_request(
            "the query parameter `nonce` is given more than once",
        ));
    }
    if nonce.is_empty() {
        return Err(ApiError::bad_request("the nonce is empty"));
    }
    if nonce.len() > MAX_NONCE_LEN {
        return Err(ApiError::bad_request(format!(
            "the nonce is over {MAX_NONCE_LEN} bytes"
        )));
    }
    Ok(nonce)
}

pub async fn quote(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
) -> Result<impl IntoResponse, ApiError> {
    let nonce = nonce_from_query(query.as_deref().unwrap_or(""))?;
    let rd = report_data(&state.enclave.cert_pem, &nonce);
    let st = state.clone();
    let quote = tokio::task::spawn_blocking(move || {
        let start = std::time::Instant::now();
        let quote = st.enclave.source.quote(&rd);
        crate::metrics::get().quote(start.elapsed());
        quote
    })
    .await
    .map_err(|_| ApiError::internal())?
    .map_err(|e| {
        tracing::error!("the quote source failed: {e}");
        ApiError::internal()
    })?;
    let body = base64::engine::general_purpose::STANDARD.encode(quote);
    Ok(([(CONTENT_TYPE, "text/plain; charset=utf-8")], body))
}

pub async fn certificates(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "ssl_certificate": state.enclave.cert_pem,
        "enclave_public_key": state.enclave.signer_public_key_pem,
    }))
}

pub async fn manifest(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "application/toml; charset=utf-8")],
        state.enclave.manifest.text.clone(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_bytes_after_percent_decoding() {
        let n = |q: &str| nonce_from_query(q).ok();
        assert_eq!(n("nonce=%ff"), Some(vec![0xff]));
        assert_eq!(n("nonce=%80"), Some(vec![0x80]));
        assert_eq!(n("nonce=%FF%00a"), Some(vec![0xff, 0, b'a']));
        assert_eq!(n("x=1&nonce=a+b%2B&y"), Some(b"a b+".to_vec()));
        assert_eq!(
            n("n%6Fnce=z"),
            Some(b"z".to_vec()),
            "the name is decoded too"
        );
        assert_eq!(
            n("nonce=%zz%4"),
            Some(b"%zz%4".to_vec()),
            "a bad escape stands for itself"
        );
        for bad in [
            "",
            "nonce",
            "nonce=",
            "other=1",
            "nonce=a&nonce=b",
            "nonce=a&nonce",
        ] {
            assert_eq!(n(bad), None, "{bad}");
        }
        assert_eq!(
            n(&format!("nonce={}", "%01".repeat(MAX_NONCE_LEN))).map(|v| v.len()),
            Some(MAX_NONCE_LEN)
        );
        assert_eq!(
            n(&format!("nonce={}", "%01".repeat(MAX_NONCE_LEN + 1))),
            None
        );
    }
}
