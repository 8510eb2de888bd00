//! Reading request bodies under a limit, with the API's JSON errors.

use crate::error::ApiError;
use axum::body::{Body, Bytes};
use axum::http::HeaderMap;
use axum::http::header::CONTENT_LENGTH;

/// Reads the whole body if it is at most `limit` bytes; a declared Content-Length over the
/// limit is refused before any byte is read.
pub async fn read_limited(headers: &HeaderMap, body: Body, limit: u64) -> Result<Bytes, ApiError> {
    if let Some(len) = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > limit
    {
        return Err(ApiError::too_large(limit));
    }
    let limit_usize = usize::try_from(limit).unwrap_or(usize::MAX);
    axum::body::to_bytes(body, limit_usize).await.map_err(|e| {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(s) = source {
            if s.is::<http_body_util::LengthLimitError>() {
                return ApiError::too_large(limit);
            }
            source = s.source();
        }
        ApiError::bad_request(format!("cannot read the request body: {e}"))
    })
}

/// How much of a refused request's body is read before answering, so that HTTP/2 clients see
/// a clean end of stream rather than a reset for the common small request.
const DRAIN_LIMIT: usize = 64 * 1024;

/// Reads and discards up to [`DRAIN_LIMIT`] bytes of a body the server refuses.
pub async fn drain(body: Body) {
    let _ = axum::body::to_bytes(body, DRAIN_LIMIT).await;
}
