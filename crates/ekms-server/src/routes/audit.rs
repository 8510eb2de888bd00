//! The group's audit trail:
//!
//! - `GET /audit`: the trail, newest first, for the administrator or a user granted `audit`.
//!   Filters: `user`, `operation`, `object`, `since` (unix seconds), `limit` (default 1000,
//!   lowered to `--max-audit-rows`).
//! - `GET /audit/retention` (administrator or `audit`): the group's retention policy and its
//!   rows, `{"max_age_days", "max_rows", "rows"}`; `PUT /audit/retention` (administrator
//!   only) with `{"max_age_days", "max_rows"}` sets it (a null or absent field: no bound).
//!   Rows older than `max_age_days` are pruned by the server's periodic sweep; at `max_rows`
//!   the group refuses audited work (507) until rows are exported and pruned. The server's
//!   `--audit-retention-max-rows` and `--audit-retention-max-age-days` bound a group that sets
//!   none, and a larger bound is refused (400); both routes answer the bounds in force.
//! - `GET /audit/export?after=SEQ&before=TIME&limit=N` (administrator or `audit`): the oldest
//!   rows after sequence number `after` (default 0) written before `before` (unix seconds),
//!   shaped as `GET /audit` shapes them, oldest first, and `last`, the sequence number of the
//!   last one (null when none): what an export writes before a prune.
//! - `POST /audit/prune?through=SEQ` (administrator only): deletes the rows through that
//!   sequence number; answers `{"pruned", "rows"}`.

use crate::access;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::groups::{GroupStore, GroupToken};
use crate::routes::access::in_group;
use crate::routes::entry::with_token;
use crate::routes::group::require_admin;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use ekms_store::retention::{MAX_AGE_META_KEY, MAX_ROWS_META_KEY};
use ekms_store::{AuditFilter, ObjectStore, ObjectStoreExt};
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

/// `limit`, or the default page, never more than `--max-audit-rows`.
fn page(state: &AppState, limit: Option<usize>) -> usize {
    let max = usize::try_from(state.config.max_audit_rows).unwrap_or(usize::MAX);
    limit.unwrap_or(DEFAULT_PAGE).min(max)
}

pub async fn audit(
    State(state): State<Arc<AppState>>,
    Caller(user): Caller,
    headers: HeaderMap,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Value>, ApiError> {
    let filter = AuditFilter {
        user: q.user,
        operation: q.operation,
        object: q.object,
        since: q.since,
        limit: Some(page(&state, q.limit)),
    };
    let out = in_group(&state, &headers, move |tx| {
        access::require(tx, &user, "GET /audit", "*")?;
        Ok(json!(tx.audit_list(&filter)?))
    })
    .await?;
    Ok(Json(out))
}

/// The policy of `GET` and `PUT /audit/retention`.
#[derive(Deserialize)]
pub struct Retention {
    pub max_age_days: Option<u64>,
    pub max_rows: Option<u64>,
}

/// The answer of the retention routes: the policy as the store holds it, and its rows.
fn retention_answer(store: &dyn ObjectStore) -> Value {
    match store.audit_count() {
        Some(c) => json!({
            "max_age_days": c.max_age_days(),
            "max_rows": c.cap(),
            "rows": c.rows(),
        }),
        None => json!({"max_age_days": null, "max_rows": null, "rows": null}),
    }
}

/// `GET /audit/retention`.
pub async fn retention(
    State(state): State<Arc<AppState>>,
    Caller(user): Caller,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let out = crate::routes::entry::with_group(&state, &headers, move |_, store| {
        store.transact(|tx| access::require(tx, &user, "GET /audit/retention", "*"))?;
        Ok(retention_answer(&*store))
    })
    .await?;
    Ok(Json(out))
}

/// Runs `f` on the group of the request's secret for its administrator only (403 for anyone
/// else). Blocking code, off the async runtime.
async fn as_administrator<R: Send + 'static>(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    user: String,
    f: impl FnOnce(&GroupToken, Arc<dyn GroupStore>) -> Result<R, ApiError> + Send + 'static,
) -> Result<R, ApiError> {
    with_token(state, headers, move |st, token| {
        require_admin(st, token, &user)?;
        f(token, st.groups.open(token)?)
    })
    .await
}

/// Refuses a policy above the server's limits (400), naming the limit and its setting. No
/// bound (null) is no refusal: the server's limit then holds.
fn refuse_above_limits(
    policy: &Retention,
    limits: &ekms_store::retention::Limits,
) -> Result<(), ApiError> {
    let checks = [
        (
            policy.max_rows,
            limits.max_rows,
            "max_rows",
            "--audit-retention-max-rows",
        ),
        (
            policy.max_age_days,
            limits.max_age_days,
            "max_age_days",
            "--audit-retention-max-age-days",
        ),
    ];
    for (asked, limit, field, flag) in checks {
        if let (Some(asked), Some(limit)) = (asked, limit)
            && asked > limit
        {
            return Err(ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "above_server_limit",
                format!(
                    "{field} {asked} is above this server's limit of {limit} ({flag}): ask for {limit} or less, or for none to take the server's"
                ),
            ));
        }
    }
    Ok(())
}

/// `PUT /audit/retention`.
pub async fn set_retention(
    State(state): State<Arc<AppState>>,
    Caller(user): Caller,
    headers: HeaderMap,
    Json(policy): Json<Retention>,
) -> Result<Json<Value>, ApiError> {
    let who = user.clone();
    let limits = state.config.audit_limits();
    let out = as_administrator(&state, &headers, user, move |token, store| {
        refuse_above_limits(&policy, &limits)?;
        // An empty value is no bound (metadata entries are not removed).
        let text = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_default();
        let (rows, age) = (text(policy.max_rows), text(policy.max_age_days));
        for (key, value) in [(MAX_ROWS_META_KEY, &rows), (MAX_AGE_META_KEY, &age)] {
            store.set_meta(key, value).map_err(|e| {
                tracing::error!(group = %token.group_id, "cannot set the audit retention: {e}");
                ApiError::internal()
            })?;
        }
        // The store takes the policy in now (PostgreSQL also from the record it committed).
        if let Some(count) = store.audit_count() {
            count.set_policy(Some(&rows), Some(&age));
        }
        tracing::info!(group = %token.group_id, user = who, max_rows = ?policy.max_rows, max_age_days = ?policy.max_age_days, "audit retention set");
        Ok(retention_answer(&*store))
    })
    .await?;
    Ok(Json(out))
}

/// The query string of `GET /audit/export`.
#[derive(Deserialize)]
pub struct ExportQuery {
    pub after: Option<i64>,
    pub before: Option<i64>,
    pub limit: Option<usize>,
}

/// `GET /audit/export`.
pub async fn export(
    State(state): State<Arc<AppState>>,
    Caller(user): Caller,
    headers: HeaderMap,
    Query(q): Query<ExportQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = page(&state, q.limit);
    let out = in_group(&state, &headers, move |tx| {
        access::require(tx, &user, "GET /audit/export", "*")?;
        let rows = tx.audit_oldest(q.after.unwrap_or(0), q.before, limit)?;
        let last = rows.last().map(|(seq, _)| *seq);
        let rows: Vec<_> = rows.into_iter().map(|(_, r)| r).collect();
        Ok(json!({"rows": rows, "last": last}))
    })
    .await?;
    Ok(Json(out))
}

/// The query string of `POST /audit/prune`.
#[derive(Deserialize)]
pub struct PruneQuery {
    pub through: i64,
}

/// `POST /audit/prune`.
pub async fn prune(
    State(state): State<Arc<AppState>>,
    Caller(user): Caller,
    headers: HeaderMap,
    Query(q): Query<PruneQuery>,
) -> Result<Json<Value>, ApiError> {
    let who = user.clone();
    let out = as_administrator(&state, &headers, user, move |token, store| {
        let pruned = store.prune_audit(q.through).map_err(|e| {
            tracing::error!(group = %token.group_id, "cannot prune the audit trail: {e}");
            ApiError::internal()
        })?;
        // The count, never the rows' content.
        tracing::info!(group = %token.group_id, user = who, through = q.through, pruned, "audit rows pruned");
        let rows = store.audit_count().map(|c| c.rows());
        Ok(json!({"pruned": pruned, "rows": rows}))
    })
    .await?;
    Ok(Json(out))
}
