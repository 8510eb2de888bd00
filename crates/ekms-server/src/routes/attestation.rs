//! The trust routes: `GET /quote`, `GET /certificates`, `GET /manifest` (DESIGN.md section 6).
//!
//! A quote's report_data binds the TLS certificate to the client's nonce:
//! `report_data = SHA-256(certificate PEM bytes || nonce bytes) || 32 zero bytes`.

use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use base64::Engine;
use std::collections::HashMap;
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

pub async fn quote(
    State(state): State<Arc<AppState>>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<impl IntoResponse, ApiError> {
    let nonce = query
        .get("nonce")
        .ok_or_else(|| ApiError::bad_request("the query parameter `nonce` is missing"))?;
    if nonce.is_empty() {
        return Err(ApiError::bad_request("the nonce is empty"));
    }
    if nonce.len() > MAX_NONCE_LEN {
        return Err(ApiError::bad_request(format!(
            "the nonce is over {MAX_NONCE_LEN} bytes"
        )));
    }
    let rd = report_data(&state.enclave.cert_pem, nonce.as_bytes());
    let st = state.clone();
    let quote = tokio::task::spawn_blocking(move || st.enclave.source.quote(&rd))
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
