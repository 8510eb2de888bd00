//! The HTTP routes of `ekms-attest`, one module per route family:
//!
//! * [`attest`]: `POST /attest/SgxEnclave?api-version=…` (Microsoft Azure Attestation's SGX
//!   attestation);
//! * [`certs`]: `GET /certs` (token signing keys) and `GET /.well-known/openid-configuration`;
//! * [`pccs`]: the emulated PCCS (`/sgx/certification/v4/…`), only with `--allow-emulated`.
//!
//! Unknown routes and methods answer in MAA's error shape; request bodies are limited to
//! [`crate::config::MAX_BODY_BYTES`].

pub mod attest;
pub mod certs;
pub mod pccs;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, StatusCode, Uri};

use crate::config::MAX_BODY_BYTES;
use crate::error::ApiError;
use crate::state::AppState;

/// The service's router.
pub fn router(state: Arc<AppState>) -> Router {
    let mut app = Router::new().merge(attest::routes()).merge(certs::routes());
    if state.allow_emulated {
        app = app.merge(pccs::routes());
    }
    app.fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::not_found(format!("no route {}", uri.path()))
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        format!("{method} is not allowed on {}", uri.path()),
    )
}
