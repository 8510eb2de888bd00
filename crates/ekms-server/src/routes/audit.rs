//! `GET /audit`: the group's audit trail, newest first, for the administrator or a user
//! granted `audit`. Filters: `user`, `operation`, `object`, `since` (unix seconds), `limit`
//! (default 1000, lowered to `--max-audit-rows`).

use crate::access;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::routes::access::in_group;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use ekms_store::AuditFilter;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// Rows answered when the query gives no `limit` (never more than `--max-audit-rows`).
const DEFAULT_PAGE: usize = 1000;

/// The query string of `GET /audit`.
#[derive(Deserialize)]
pub struct AuditQuery {
    pub user: Option<String>,
    pub operation: Option<String>,
    pub object: Option<String>,
    pub since: Option<i64>,
    pub limit: Option<usize>,
}

pub async fn audit(
    State(state): State<Arc<AppState>>,
    Caller(user): Caller,
    headers: HeaderMap,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Value>, ApiError> {
    let max = usize::try_from(state.config.max_audit_rows).unwrap_or(usize::MAX);
    let filter = AuditFilter {
        user: q.user,
        operation: q.operation,
        object: q.object,
        since: q.since,
        limit: Some(q.limit.unwrap_or(DEFAULT_PAGE).min(max)),
    };
    let out = in_group(&state, &headers, move |tx| {
        access::require(tx, &user, "GET /audit", "*")?;
        Ok(json!(tx.audit_list(&filter)?))
    })
    .await?;
    Ok(Json(out))
}
