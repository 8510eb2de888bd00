//! `GET /health` and `GET /version`.

use crate::routes::entry::cosmian_dialect;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{Value, json};
use std::sync::Arc;

pub async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// `GET /version`: the build identity and how callers are identified, as a JSON object. A request naming the group secret with
/// Cosmian's spelling (`DatabaseSecret`, as `ckms` sends it on every request) gets the shape
/// Cosmian's server answers, one JSON string, which is all `ckms server version` can parse;
/// ekms's own client never sends that header, so its answer is unchanged.
pub async fn version(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Json<Value> {
    if cosmian_dialect(&headers) {
        return Json(json!(format!(
            "ekms {} ({})",
            env!("CARGO_PKG_VERSION"),
            env!("EKMS_GIT_COMMIT")
        )));
    }
    Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "git_commit": env!("EKMS_GIT_COMMIT"),
        "measurement": hex::encode(state.enclave.mr_enclave),
        "mr_signer": hex::encode(state.enclave.mr_signer),
        "mode": state.enclave.mode,
        // Clients warn before granting rights to a user such a server can never identify.
        "authentication": state.auth.methods(),
    }))
}
