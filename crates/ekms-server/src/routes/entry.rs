//! The one way a route enters a group: the `KmsDatabaseSecret` header (or its alias
//! `DatabaseSecret`, the name Cosmian's `ckms` sends; see [`header_secret`]) read by
//! [`GroupToken::presented`] (as the KMIP transports read their credential), and the group
//! opened, or changed, off the async runtime. A group's failure ([`crate::groups::GroupError`])
//! becomes its HTTP answer through `From<GroupError> for ApiError`: 401 for every bad secret,
//! 503 `server_busy` with `Retry-After` when every open-group place is in use.
//!
//! A route that takes a body enters the group before reading it ([`open_before_body`]): a wrong
//! or unknown secret costs the server no body.

use crate::error::ApiError;
use crate::groups::GroupStore;
use crate::groups::{GroupToken, SECRET_HEADER, SECRET_HEADER_ALIAS};
use crate::routes::body::drain;
use crate::routes::group_state;
use crate::state::AppState;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use ekms_crypto::hash;
use std::sync::Arc;

/// The refusal of a request whose two secret headers differ: which one was meant is not
/// guessed.
pub const CONFLICTING_HEADERS: &str = "the KmsDatabaseSecret and DatabaseSecret headers differ: send the group secret in one of them (or the same secret in both)";

/// Whether the request carries a group secret header, in either spelling.
pub fn has_header_secret(headers: &HeaderMap) -> bool {
    headers.contains_key(SECRET_HEADER) || headers.contains_key(SECRET_HEADER_ALIAS)
}

/// Whether the request is in Cosmian's dialect: it names the group secret with Cosmian's
/// spelling, `DatabaseSecret`, which `ckms` sends on every request and ekms's own client never
/// does. Such a request is answered in the shapes Cosmian's clients parse (docs/kmip.md,
/// "Cosmian's `ckms` and its vendor fields"); any other in ekms's own.
pub fn cosmian_dialect(headers: &HeaderMap) -> bool {
    headers.contains_key(SECRET_HEADER_ALIAS)
}

/// The group secret header as text: `KmsDatabaseSecret` or its alias `DatabaseSecret`, treated
/// alike. A value that is not text counts as absent (a secret is always text, so it is refused
/// all the same). Both sent: the same value (compared in constant time, as every secret) is
/// that value; different values are refused with 400 [`CONFLICTING_HEADERS`].
fn header_secret(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let (main, alias) = (headers.get(SECRET_HEADER), headers.get(SECRET_HEADER_ALIAS));
    if let (Some(a), Some(b)) = (main, alias)
        && !hash::ct_eq(a.as_bytes(), b.as_bytes())
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "conflicting_secret_headers",
            CONFLICTING_HEADERS,
        ));
    }
    Ok(main.or(alias).and_then(|v| v.to_str().ok()))
}

/// Runs `f` with the header's token off the async runtime (group calls are blocking). The
/// header is read first: a missing or malformed secret is refused without a blocking task.
pub async fn with_token<R: Send + 'static>(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    f: impl FnOnce(&AppState, &GroupToken) -> Result<R, ApiError> + Send + 'static,
) -> Result<R, ApiError> {
    let token = GroupToken::presented(None, header_secret(headers)?)?;
    let st = state.clone();
    group_state::spawn_blocking(move || f(&st, &token))
        .await
        .map_err(|_| ApiError::internal())?
}

/// Notes `store`, opened with `token`, as the request's group: its answer states the group
/// ([`group_state`]). Blocking code run by [`with_token`] (the group routes) calls it once the
/// group is open.
pub fn note_opened(store: &Arc<dyn GroupStore>, token: &GroupToken) {
    match token.state_key() {
        Ok(key) => group_state::opened(store.clone(), key),
        Err(_) => tracing::warn!(group = %token.group_id, "no state key for the group's header"),
    }
}

/// `spawn_blocking` keeping the request's log span and id, so that what the blocking work logs
/// carries the request's id (and the KMIP operation it runs is recorded into that span).
pub fn in_span<R: Send + 'static>(
    f: impl FnOnce() -> R + Send + 'static,
) -> tokio::task::JoinHandle<R> {
    tokio::task::spawn_blocking(spanned(f))
}

/// [`in_span`] in `lane` if given, else on the blocking pool ([`crate::protocol::off_worker`]);
/// `None` if `f` panicked or never ran.
pub async fn in_span_on<R: Send + 'static>(
    lane: Option<Arc<ekms_store::lane::Lane>>,
    f: impl FnOnce() -> R + Send + 'static,
) -> Option<R> {
    crate::protocol::off_worker(lane, spanned(f)).await
}

/// `f` run in the request's log span, with its request id.
fn spanned<R: 'static>(
    f: impl FnOnce() -> R + Send + 'static,
) -> impl FnOnce() -> R + Send + 'static {
    let span = tracing::Span::current();
    let f = crate::request_id::carry(f);
    move || span.in_scope(f)
}

/// Runs `f` with the open store of the header's group, off the async runtime. Once the group
/// is open, the request's answer carries its state, whatever `f` returns
/// ([`super::group_state`]).
pub async fn with_group<R: Send + 'static>(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    f: impl FnOnce(&AppState, Arc<dyn GroupStore>) -> Result<R, ApiError> + Send + 'static,
) -> Result<R, ApiError> {
    with_token(state, headers, move |st, token| {
        let store = st.groups.open(token)?;
        note_opened(&store, token);
        f(st, store)
    })
    .await
}

/// Runs `f` with a store the route has already opened (see [`open_before_body`]), off the async
/// runtime: the group is not opened, nor its secret checked, a second time.
pub async fn with_store<R: Send + 'static>(
    state: &Arc<AppState>,
    store: Arc<dyn GroupStore>,
    f: impl FnOnce(&AppState, Arc<dyn GroupStore>) -> Result<R, ApiError> + Send + 'static,
) -> Result<R, ApiError> {
    let st = state.clone();
    in_span(move || f(&st, store))
        .await
        .map_err(|_| ApiError::internal())?
}

/// The open store of the header's group: on this worker when the group is open already and
/// the secret needs nothing written (checking it is a few microseconds of CPU), on the blocking
/// pool otherwise ([`crate::groups::Groups::open`] says which).
pub async fn open_group(
    state: &Arc<AppState>,
    headers: &HeaderMap,
) -> Result<Arc<dyn GroupStore>, ApiError> {
    let token = GroupToken::presented(None, header_secret(headers)?)?;
    if let Some(opened) = ekms_store::ticket::without_blocking(|| state.groups.open(&token)) {
        let store = opened?;
        note_opened(&store, &token);
        return Ok(store);
    }
    with_group(state, headers, |_, store| Ok(store)).await
}

/// The open store of the header's group, opened before any byte of `body` is read; on a
/// refusal the small body is drained ([`drain`]) and the refusal returned.
pub async fn open_before_body(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Arc<dyn GroupStore>, Body), ApiError> {
    match open_group(state, headers).await {
        Ok(store) => Ok((store, body)),
        Err(e) => {
            drain(body).await;
            Err(e)
        }
    }
}
