//! `POST /register`: creates a group and returns its secret, once.
//!
//! Refused with 403 when `--registration closed`; with 429 (and `Retry-After`) beyond
//! `--register-rate-per-minute` registrations from one network prefix (IPv4 /24, IPv6 /64) or
//! `--register-rate-per-hour` in all ([`crate::auth::rate`]); with 503 (and `Retry-After`) when
//! `--max-groups` or `--max-data-bytes` is reached ([`crate::capacity`]), or when every open
//! group slot is in use; and with 401 when authentication is configured and the caller is not
//! authenticated. The caller becomes the group's administrator (stored in the group's
//! database as the `admin` metadata entry).

use crate::auth::rate::Refusal;
use crate::auth::{Caller, Connection};
use crate::config::Registration;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::json;
use std::sync::Arc;

pub async fn register(
    State(state): State<Arc<AppState>>,
    connection: Option<Extension<Connection>>,
    Caller(user): Caller,
) -> Result<Response, ApiError> {
    if state.config.registration == Registration::Closed {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "registration_closed",
            "this server does not register new groups (--registration closed)",
        ));
    }
    if let Some(Extension(c)) = connection
        && let Err(refusal) = state.register_limiter.check(c.peer_addr.ip())
    {
        tracing::info!(client = %c.peer_addr.ip(), ?refusal, "registration rate limit reached");
        let message = match refusal {
            Refusal::Prefix(_) => format!(
                "too many registrations from this network: at most {} per minute",
                state.config.register_rate_per_minute
            ),
            Refusal::Total(_) => format!(
                "too many registrations on this server: at most {} per hour",
                state.config.register_rate_per_hour
            ),
        };
        return Err(ApiError::too_many(message, refusal.retry_after()));
    }
    let st = state.clone();
    let admin = user.clone();
    let token = tokio::task::spawn_blocking(move || {
        let token = st
            .capacity
            .register(|| st.groups.register().map_err(ApiError::from))?;
        let store = st.groups.open(&token)?;
        crate::access::record_administrator(&*store, &admin).map_err(|e| {
            tracing::error!("cannot record the administrator of a new group: {e}");
            ApiError::internal()
        })?;
        Ok::<_, ApiError>(token)
    })
    .await
    .map_err(|_| ApiError::internal())??;
    tracing::info!(group = %token.group_id, admin = %user, "group registered");
    let secret = token.encode();
    Ok((
        StatusCode::CREATED,
        Json(json!({"group_id": token.group_id.to_string(), "secret": secret.as_str()})),
    )
        .into_response())
}
