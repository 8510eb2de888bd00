//! Group life, for the group's administrator only (the user who registered it):
//!
//! - `POST /group/rotate-secret`: starts a two-phase rotation (see [`crate::groups`]): a new
//!   secret is returned once, 200 `{"group_id", "secret"}`; the old one keeps working until
//!   the new one is used or confirmed, so a lost answer loses nothing.
//! - `POST /group/rotate-secret/confirm` with the new secret (any authenticated user of the
//!   group): confirms, 200 `{"group_id", "confirmed": true}`; the old secret is refused from
//!   then on. With the old secret while a rotation is pending: 409. Any other request with the
//!   new secret confirms as well.
//! - `DELETE /group`: closes the group database and removes its file (with `-wal` and `-shm`);
//!   the secret is refused from then on. 204.
//!
//! All take the group secret (`KmsDatabaseSecret`) and an authenticated caller; a caller who
//! is not the administrator gets 403. Each answer given once the group is open, a 403
//! included, carries the `Ekms-Group-State` header (`routes::group_state`).

use crate::access;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::groups::{Confirmation, GroupToken};
use crate::routes::entry::{note_opened, with_token};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::json;
use std::sync::Arc;

/// 403 unless [`access::is_group_administrator`] lets `user` run the token's group's life.
/// Blocking.
pub(crate) fn require_admin(
    state: &AppState,
    token: &GroupToken,
    user: &str,
) -> Result<(), ApiError> {
    let store = state.groups.open(token)?;
    // Open: the answer states the group, a refusal included.
    note_opened(&store, token);
    let allowed = access::is_group_administrator(&*store, user).map_err(|e| {
        tracing::error!(
            "cannot read the administrator of group {}: {e}",
            token.group_id
        );
        ApiError::internal()
    })?;
    if !allowed {
        tracing::info!(group = %token.group_id, user, "group administration refused: not the administrator");
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "only the group's administrator (the user who registered it) may do this",
        ));
    }
    Ok(())
}

/// `POST /group/rotate-secret`.
pub async fn rotate_secret(
    State(state): State<Arc<AppState>>,
    Caller(user): Caller,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    let fresh = with_token(&state, &headers, move |st, token| {
        require_admin(st, token, &user)?;
        let fresh = st.groups.rotate(token)?;
        tracing::info!(group = %token.group_id, user, "group secret rotation started: both secrets open the group until the new one is used");
        Ok(fresh)
    })
    .await?;
    let secret = fresh.encode();
    Ok(Json(
        json!({"group_id": fresh.group_id.to_string(), "secret": secret.as_str()}),
    ))
}

/// `POST /group/rotate-secret/confirm`.
pub async fn confirm_rotation(
    State(state): State<Arc<AppState>>,
    Caller(user): Caller,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (group_id, done) = with_token(&state, &headers, |st, token| {
        let done = st.groups.confirm(token)?;
        // The group as the confirmation left it (opening with the new secret once confirmed,
        // or with the old one still valid, changes nothing): the answer states it.
        note_opened(&st.groups.open(token)?, token);
        Ok((token.group_id, done))
    })
    .await?;
    match done {
        Confirmation::Confirmed => {
            tracing::info!(group = %group_id, user, "group secret rotation confirmed");
            Ok(Json(
                json!({"group_id": group_id.to_string(), "confirmed": true}),
            ))
        }
        Confirmation::OldSecret => Err(ApiError::new(
            StatusCode::CONFLICT,
            "rotation_pending",
            "this is the secret being replaced: confirm with the new secret",
        )),
    }
}

/// `DELETE /group`.
pub async fn delete(
    State(state): State<Arc<AppState>>,
    Caller(user): Caller,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    with_token(&state, &headers, move |st, token| {
        require_admin(st, token, &user)?;
        st.groups.delete(token)?;
        // Its place counts again for --max-groups and --max-data-bytes.
        st.capacity.scan();
        tracing::info!(group = %token.group_id, user, "group deleted");
        Ok(())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
