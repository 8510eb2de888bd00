//! The HTTP routes (docs/server.md), one module per family.

mod access;
mod attestation;
mod audit;
mod body;
mod entry;
mod group;
mod group_state;
mod kmip;
mod ops;
mod register;
mod status;
mod stream;
mod ui;

use crate::error::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use std::sync::Arc;

pub use ops::serve as serve_metrics;

/// The application router.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/register", post(register::register))
        .route("/group/rotate-secret", post(group::rotate_secret))
        .route(
            "/group/rotate-secret/confirm",
            post(group::confirm_rotation),
        )
        .route("/group", delete(group::delete))
        .route("/kmip/2_1", post(kmip::kmip_2_1))
        .route("/kmip", post(kmip::kmip_message))
        .route("/quote", get(attestation::quote))
        .route("/certificates", get(attestation::certificates))
        .route("/manifest", get(attestation::manifest))
        .route("/v1/encrypt/{uid}", post(stream::encrypt))
        .route("/v1/decrypt/{uid}", post(stream::decrypt))
        .route("/access/grant", post(access::grant))
        .route("/access/revoke", post(access::revoke))
        .route("/access/owned", get(access::owned))
        .route("/access/obtained", get(access::obtained))
        .route("/access/{uid}", get(access::list))
        .route("/audit", get(audit::audit))
        .route("/audit/retention", get(audit::retention))
        .route("/audit/retention", put(audit::set_retention))
        .route("/audit/export", get(audit::export))
        .route("/audit/prune", post(audit::prune))
        .route("/health", get(status::health))
        .route("/health/live", get(status::live))
        .route("/health/ready", get(status::ready))
        .route("/version", get(status::version))
        .route("/ui", get(ui::redirect))
        .route("/ui/", get(ui::index))
        .route("/ui/{asset}", get(ui::asset))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route") })
        .layer(axum::middleware::from_fn(group_state::stamp))
        .layer(axum::middleware::from_fn(ops::observe))
        .with_state(state)
}
