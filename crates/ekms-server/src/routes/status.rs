//! `GET /health` and `GET /version`.

use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use std::sync::Arc;

pub async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

pub async fn version(State(state): State<Arc<AppState>>) -> Json<Value> {
    Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "git_commit": env!("EKMS_GIT_COMMIT"),
        "measurement": hex::encode(state.enclave.mr_enclave),
        "mr_signer": hex::encode(state.enclave.mr_signer),
        "mode": state.enclave.mode,
    }))
}
