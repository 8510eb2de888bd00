//! `GET /health`, `GET /health/live`, `GET /health/ready` (also on the metrics port) and
//! `GET /version`.

use crate::routes::entry::cosmian_dialect;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

pub async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// How long readiness waits for the store before calling it unreachable: less than a load
/// balancer's usual check timeout.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /health/live`: the process answers. A load balancer or orchestrator restarts a server
/// that fails it; nothing else is checked, so a database outage does not restart every node.
pub async fn live() -> Json<Value> {
    Json(json!({"status": "live"}))
}

/// `GET /health/ready`: 200 when this node can serve (not draining, its store reachable), else
/// 503 saying which: a load balancer sends it no new request meanwhile.
pub async fn ready(State(state): State<Arc<AppState>>) -> (StatusCode, Json<Value>) {
    let unready = |reason: &str| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "not ready", "reason": reason})),
        )
    };
    if state.connections.is_draining() {
        return unready("draining");
    }
    let st = state.clone();
    let check = tokio::task::spawn_blocking(move || st.groups.reachable());
    match tokio::time::timeout(READY_TIMEOUT, check).await {
        Ok(Ok(Ok(()))) => (StatusCode::OK, Json(json!({"status": "ready"}))),
        Ok(Ok(Err(e))) => {
            tracing::warn!("not ready: the store is unreachable: {e}");
            unready("store unreachable")
        }
        Ok(Err(_)) => unready("store check failed"),
        Err(_) => unready("store unreachable"),
    }
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
