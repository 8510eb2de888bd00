//! `POST /register`: creates a group and returns its secret, once.

use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::json;
use std::sync::Arc;

pub async fn register(
    State(state): State<Arc<AppState>>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let st = state.clone();
    let token = tokio::task::spawn_blocking(move || st.groups.register())
        .await
        .map_err(|_| ApiError::internal())??;
    tracing::info!(group = %token.group_id, "group registered");
    let secret = token.encode();
    Ok((
        StatusCode::CREATED,
        Json(json!({"group_id": token.group_id.to_string(), "secret": secret.as_str()})),
    ))
}
