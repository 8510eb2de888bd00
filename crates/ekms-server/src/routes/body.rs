//! Reading request bodies under a limit, with the API's JSON errors, and draining the body of
//! a refused request.

use crate::error::ApiError;
use axum::body::Body;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_LENGTH;
use futures_util::StreamExt;
use std::time::Duration;
use zeroize::Zeroizing;

/// The most reserved at once for a body from its declared length: a client that declares a
/// large body and sends it slowly holds no more than this until its bytes arrive.
const RESERVE_AHEAD: usize = 1 << 20;

/// The declared Content-Length, if any and readable.
pub fn declared_len(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// Reads the whole body if it is at most `limit` bytes, into one buffer that is wiped when
/// dropped (a KMIP message may carry key material). A declared Content-Length over the limit
/// is refused before any byte is read; a body that passes the limit while arriving is refused
/// as soon as it does. The buffer grows with the bytes received, to the declared length at
/// most, so that a body costs about its size once, not a list of frames plus a copy.
pub async fn read_limited(
    headers: &HeaderMap,
    body: Body,
    limit: u64,
) -> Result<Zeroizing<Vec<u8>>, ApiError> {
    let declared = declared_len(headers);
    if declared.is_some_and(|len| len > limit) {
        return Err(ApiError::too_large(limit));
    }
    let limit_usize = usize::try_from(limit).unwrap_or(usize::MAX);
    let expected = declared
        .and_then(|d| usize::try_from(d).ok())
        .unwrap_or(limit_usize);
    let mut buf = Zeroizing::new(Vec::with_capacity(expected.min(RESERVE_AHEAD)));
    let mut frames = body.into_data_stream();
    while let Some(frame) = frames.next().await {
        let frame = frame
            .map_err(|e| ApiError::bad_request(format!("cannot read the request body: {e}")))?;
        let total = buf.len().saturating_add(frame.len());
        if total > limit_usize {
            return Err(ApiError::too_large(limit));
        }
        if total > buf.capacity() {
            // Double, but never past the declared length (or the limit): the last growth
            // lands on the body's size.
            let target = buf
                .capacity()
                .saturating_mul(2)
                .max(total)
                .min(expected.max(total));
            let len = buf.len();
            buf.reserve_exact(target - len);
        }
        buf.extend_from_slice(&frame);
    }
    Ok(buf)
}

/// How much of a refused request's body is read before answering, so that HTTP/2 clients see
/// a clean end of stream rather than a reset for the common small request.
const DRAIN_LIMIT: usize = 64 * 1024;

/// How long a refusal waits for the small body it drains.
const DRAIN_TIMEOUT: Duration = Duration::from_millis(500);

/// Reads and discards a small body the server refuses (up to [`DRAIN_LIMIT`] bytes, for at
/// most [`DRAIN_TIMEOUT`]). A body declared larger is not read at all: the refusal is sent at
/// once and the connection closed, which is the point of refusing before reading.
pub async fn drain(body: Body) {
    let small = axum::body::HttpBody::size_hint(&body)
        .upper()
        .is_none_or(|n| n <= DRAIN_LIMIT as u64);
    if small {
        let _ = tokio::time::timeout(DRAIN_TIMEOUT, axum::body::to_bytes(body, DRAIN_LIMIT)).await;
    }
}
