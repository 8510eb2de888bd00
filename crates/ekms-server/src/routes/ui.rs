//! `GET /ui/…`: the web console's static assets (docs/console.md). They are compiled into the
//! binary (`include_bytes!` of `crates/ekms-server/ui/`), so they are part of what mr_enclave
//! measures and no file on the host can change what the page runs. Every answer carries the
//! console's security headers; the assets only call the server's other routes from the page.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

/// The console's Content-Security-Policy, word for word as docs/console.md states it: the page
/// loads and calls nothing but its own origin, runs no inline script or style, and cannot be
/// framed or submit a form elsewhere.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; \
frame-ancestors 'none'";

/// The assets, by the name the page asks for, with their media type.
pub const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "index.html",
        "text/html; charset=utf-8",
        include_bytes!("../../ui/index.html"),
    ),
    (
        "console.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../ui/console.js"),
    ),
    (
        "console.css",
        "text/css; charset=utf-8",
        include_bytes!("../../ui/console.css"),
    ),
];

/// `GET /ui`: the console lives under `/ui/` (its assets are named relative to it).
pub async fn redirect() -> Redirect {
    Redirect::permanent("/ui/")
}

/// `GET /ui/`: the page.
pub async fn index() -> Response {
    asset_named("index.html")
}

/// `GET /ui/{asset}`: one of [`ASSETS`], else 404 with the same headers.
pub async fn asset(Path(name): Path<String>) -> Response {
    asset_named(&name)
}

fn asset_named(name: &str) -> Response {
    let mut response = match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, media_type, body)) => {
            ([(header::CONTENT_TYPE, *media_type)], *body).into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such console asset").into_response(),
    };
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        // The assets change with the binary, and the binary with mr_enclave: a browser must
        // not run an old page against a new server, so it revalidates every time.
        (header::CACHE_CONTROL, "no-cache"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}
