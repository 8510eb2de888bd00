//! What operators' tools read: the metrics port (`GET /metrics` and the health checks, plain
//! HTTP on `--metrics-listen`), and the middleware that gives every HTTPS request its id
//! (`X-Request-Id`), its log line and its counts ([`crate::metrics`]).

use crate::metrics::{self, Route};
use crate::request_id;
use crate::state::AppState;
use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use tokio::net::TcpListener;
use tracing::Instrument;

/// The response header that carries the request's id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Request ids drawn from the random generator at once, per thread. The generator's cost is
/// mostly per call (a prediction-resistance draw, locks): drawing 8 bytes for each request was
/// about 1% of the server's CPU per HTTPS request (BENCHMARKS.md, "What an HTTPS request costs
/// around its operation"). An id is no secret, and each is still handed out once.
const IDS_PER_DRAW: usize = 32;

std::thread_local! {
    /// Random bytes for the next ids of this thread, and how many ids were taken from them.
    static ID_POOL: RefCell<([u8; 8 * IDS_PER_DRAW], usize)> =
        const { RefCell::new(([0; 8 * IDS_PER_DRAW], IDS_PER_DRAW)) };
}

/// Eight random bytes for a request id, from this thread's pool ([`IDS_PER_DRAW`]).
fn random_id() -> Option<[u8; 8]> {
    ID_POOL.with_borrow_mut(|(bytes, taken)| {
        if *taken >= IDS_PER_DRAW {
            ekms_crypto::rand::fill(bytes).ok()?;
            *taken = 0;
        }
        let id = bytes.get(*taken * 8..*taken * 8 + 8)?.try_into().ok()?;
        *taken += 1;
        Some(id)
    })
}

/// A fresh request id: 16 hex digits of randomness. The server always makes its own rather
/// than taking a client's `X-Request-Id`, so that no client can make its requests' log lines
/// look like another's.
fn new_request_id() -> String {
    static FALLBACK: AtomicU64 = AtomicU64::new(0);
    // Without randomness, a counter still tells the requests of this process apart.
    let bytes =
        random_id().unwrap_or_else(|| FALLBACK.fetch_add(1, Ordering::Relaxed).to_be_bytes());
    hex::encode(bytes)
}

/// Gives the request its id and span (request id, route template; the KMIP operation and its
/// result are recorded into it by `protocol::dispatch_rerun`), answers the id in
/// `X-Request-Id`, writes the request's log line (with its HTTP version) and counts it under
/// its route template (never its path, which may hold a key id).
pub async fn observe(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = Route::of(
        req.method().as_str(),
        req.extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str),
    );
    let version = req.version();
    let id = new_request_id();
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        route = route.name(),
        operation = tracing::field::Empty,
        result = tracing::field::Empty,
    );
    let mut response = request_id::scope(Arc::from(id.as_str()), next.run(req))
        .instrument(span.clone())
        .await;
    let took = start.elapsed();
    let status = response.status().as_u16();
    metrics::get().http_request(route, status, took);
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    unindexed(response.headers_mut());
    span.in_scope(|| {
        tracing::info!(
            status,
            duration_ms = took.as_secs_f64() * 1000.0,
            http = ?version,
            "request answered"
        );
    });
    response
}

/// The response headers whose value is new in every answer: the request id, and the group's
/// state (its version moves with each operation). Marked so that HTTP/2's header compression
/// (HPACK) sends them as literals "never indexed" instead of adding each to the connection's
/// table, where it would never be matched again: adding them cost the server a search of
/// that table per answer (0.6% of its CPU on HTTP/2, BENCHMARKS.md "What an HTTPS request costs
/// around its operation") and pushed out the entries that are reused. HTTP/1.1 ignores the
/// mark.
const UNIQUE_PER_ANSWER: [&str; 2] = [REQUEST_ID_HEADER, ekms_crypto::group_state::HEADER];

fn unindexed(headers: &mut HeaderMap) {
    for name in UNIQUE_PER_ANSWER {
        if let Some(value) = headers.get_mut(name) {
            value.set_sensitive(true);
        }
    }
}

/// `GET /metrics`.
async fn page() -> impl IntoResponse {
    (
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        metrics::get().render(),
    )
}

/// The router of the metrics port.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/metrics", get(page))
        .route("/health/live", get(super::status::live))
        .route("/health/ready", get(super::status::ready))
        .with_state(state)
}

/// Serves the metrics port on `listener` until the process ends.
pub async fn serve(listener: TcpListener, state: Arc<AppState>) {
    if let Err(e) = axum::serve(listener, router(state)).await {
        tracing::error!("the metrics port stopped: {e}");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use axum::body::Body;
    use tower::ServiceExt;

    #[test]
    fn request_ids_are_random_and_never_repeat_across_draws() {
        // Three draws' worth on one thread: each id 16 hex digits, none twice, and not a
        // counter (the fallback's).
        let ids: Vec<String> = (0..3 * IDS_PER_DRAW).map(|_| new_request_id()).collect();
        assert!(
            ids.iter()
                .all(|id| id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()))
        );
        let distinct: std::collections::HashSet<&String> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len());
        let zeros = ids.iter().filter(|id| id.starts_with("00000000")).count();
        assert!(zeros < 2, "ids look like a counter: {ids:?}");
    }

    #[tokio::test]
    async fn the_headers_new_in_every_answer_are_not_indexed_by_http2() {
        // A route that states a group, as `group_state::stamp` does, under `observe`.
        let app = Router::new()
            .route(
                "/t",
                get(|| async {
                    (
                        [
                            (ekms_crypto::group_state::HEADER, "1;abc;def"),
                            ("content-type", "application/json"),
                        ],
                        "{}",
                    )
                }),
            )
            .layer(axum::middleware::from_fn(observe));
        let r = app
            .oneshot(Request::get("/t").body(Body::empty()).unwrap())
            .await
            .unwrap();
        let h = r.headers();
        assert!(h[REQUEST_ID_HEADER].is_sensitive());
        assert!(h[ekms_crypto::group_state::HEADER].is_sensitive());
        // The others stay indexable: a content type repeats in every answer.
        assert!(!h[CONTENT_TYPE].is_sensitive());
    }
}
