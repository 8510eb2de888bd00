//! What operators' tools read: the metrics port (`GET /metrics` and the health checks, plain
//! HTTP on `--metrics-listen`) and the middleware that counts every HTTPS request by its route
//! template ([`crate::metrics`]).

use crate::metrics;
use crate::state::AppState;
use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;
use std::time::Instant;
use tokio::net::TcpListener;

/// Counts the request under its route template (never its path, which may hold a key id),
/// status class and time to the response head.
pub async fn observe(req: Request, next: Next) -> Response {
    let start = Instant::now();
    // The template is an Arc inside the request: keeping a clone costs no allocation.
    let route = req.extensions().get::<MatchedPath>().cloned();
    let response = next.run(req).await;
    metrics::get().http_request(
        route.as_ref().map(MatchedPath::as_str),
        response.status().as_u16(),
        start.elapsed(),
    );
    response
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
