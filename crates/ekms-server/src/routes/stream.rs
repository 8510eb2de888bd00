//! `POST /v1/encrypt/{uid}` and `POST /v1/decrypt/{uid}`: payloads up to
//! `--max-payload-bytes` (10 GiB by default) streamed from request body to response body in
//! constant memory, in the stream format of docs/stream-format.md.
//!
//! A declared Content-Length over the limit is answered 413 before any byte is read. A body
//! that passes the limit while streaming, or a chunk that fails to authenticate, ends the
//! response with an error: hyper then closes an HTTP/1.1 connection without the final chunk and
//! resets an HTTP/2 stream, so a client can never mistake a cut answer for a whole one.

use crate::auth::Caller;
use crate::error::ApiError;
use crate::operations::Context;
use crate::operations::stream_key::{self, StreamKey};
use crate::routes::body::drain;
use crate::routes::kmip::group_token;
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ekms_crypto::stream::{
    self, ChunkCipher, DEFAULT_CHUNK_SIZE, Framer, HeaderParse, MAX_HEADER_LEN, MIN_CHUNK_SIZE,
    StreamHeader, TAG_LEN,
};
use ekms_kmip::message::ProtocolVersion;
use futures_util::StreamExt;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Chunks in flight between the worker and the response body: bounds memory per stream.
const IN_FLIGHT: usize = 4;

type Item = Result<Bytes, std::io::Error>;

/// The most a stream of `plaintext` bytes can take in the stream format, whatever the chunk
/// size a client chose: the decrypt route's body limit.
pub fn max_stream_len(plaintext: u64) -> u64 {
    let chunks = plaintext / u64::from(MIN_CHUNK_SIZE) + 1;
    plaintext
        .saturating_add(MAX_HEADER_LEN as u64)
        .saturating_add(chunks.saturating_mul(TAG_LEN as u64))
}

fn declared_len(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

fn abort(message: &str) -> Item {
    Err(std::io::Error::other(message.to_string()))
}

/// Loads the stream key off the async runtime.
async fn load_key(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    user: String,
    uid: String,
    encrypt: bool,
) -> Result<StreamKey, ApiError> {
    let token = group_token(headers)?;
    let st = state.clone();
    tokio::task::spawn_blocking(move || -> Result<StreamKey, ApiError> {
        let store = st.groups.open(&token)?;
        let ctx = Context {
            store: store.as_ref(),
            user: &user,
            version: ProtocolVersion::V2_1,
            access: Default::default(),
        };
        let key = if encrypt {
            stream_key::for_encrypt(&ctx, &uid)?
        } else {
            stream_key::for_decrypt(&ctx, &uid)?
        };
        Ok(key)
    })
    .await
    .map_err(|_| ApiError::internal())?
}

fn streaming_response(rx: mpsc::Receiver<Item>) -> Response {
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    (
        StatusCode::OK,
        [(CONTENT_TYPE, "application/octet-stream")],
        Body::from_stream(body),
    )
        .into_response()
}

pub async fn encrypt(
    State(state): State<Arc<AppState>>,
    Caller(user): Caller,
    Path(uid): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let limit = state.config.max_payload_bytes;
    if declared_len(&headers).is_some_and(|n| n > limit) {
        return Err(ApiError::too_large(limit));
    }
    let key = match load_key(&state, &headers, user, uid.clone(), true).await {
        Ok(k) => k,
        Err(e) => {
            drain(body).await;
            return Err(e);
        }
    };
    let (data_key, wrapped) =
        stream::new_data_key(key.algorithm, &key.key, &uid).map_err(|_| ApiError::internal())?;
    drop(key);
    let header = StreamHeader::new(DEFAULT_CHUNK_SIZE, &uid, wrapped)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let header_bytes = header.encode();
    let mut cipher =
        ChunkCipher::new(&header, &header_bytes, &data_key).map_err(|_| ApiError::internal())?;
    drop(data_key);

    let (tx, rx) = mpsc::channel::<Item>(IN_FLIGHT);
    tokio::spawn(async move {
        if tx.send(Ok(Bytes::from(header_bytes))).await.is_err() {
            return;
        }
        let mut framer = Framer::new(DEFAULT_CHUNK_SIZE as usize);
        let mut sealed: Vec<Bytes> = Vec::new();
        let mut total: u64 = 0;
        let mut frames = body.into_data_stream();
        while let Some(frame) = frames.next().await {
            let data = match frame {
                Ok(d) => d,
                Err(_) => return,
            };
            total = total.saturating_add(data.len() as u64);
            if total > limit {
                let _ = tx.send(abort("the payload passed the size limit")).await;
                return;
            }
            if framer
                .push(&data, &mut |c, last| {
                    seal_chunk(&mut cipher, &mut sealed, c, last)
                })
                .is_err()
            {
                let _ = tx.send(abort("encryption failed")).await;
                return;
            }
            for chunk in sealed.drain(..) {
                if tx.send(Ok(chunk)).await.is_err() {
                    return;
                }
            }
        }
        if framer
            .finish(&mut |c, last| seal_chunk(&mut cipher, &mut sealed, c, last))
            .is_err()
        {
            let _ = tx.send(abort("encryption failed")).await;
            return;
        }
        for chunk in sealed.drain(..) {
            if tx.send(Ok(chunk)).await.is_err() {
                return;
            }
        }
    });
    Ok(streaming_response(rx))
}

pub async fn decrypt(
    State(state): State<Arc<AppState>>,
    Caller(user): Caller,
    Path(uid): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let limit = state.config.max_payload_bytes;
    let body_limit = max_stream_len(limit);
    if declared_len(&headers).is_some_and(|n| n > body_limit) {
        return Err(ApiError::too_large(body_limit));
    }
    if let Err(e) = group_token(&headers) {
        drain(body).await;
        return Err(e);
    }
    // The header first: it names the key and carries the wrapped data key.
    let mut frames = body.into_data_stream();
    let mut pending: Vec<u8> = Vec::new();
    let (header, used) = loop {
        match StreamHeader::parse(&pending) {
            Ok(HeaderParse::Complete(h, used)) => break (h, used),
            Ok(HeaderParse::Incomplete) => {}
            Err(e) => {
                return Err(ApiError::bad_request(format!(
                    "not a valid ekms stream: {e}"
                )));
            }
        }
        match frames.next().await {
            Some(Ok(data)) => pending.extend_from_slice(&data),
            Some(Err(_)) => return Err(ApiError::bad_request("the request body broke off")),
            None => return Err(ApiError::bad_request("the stream ends inside its header")),
        }
    };
    if header.key_uid != uid {
        drain_frames(&mut frames).await;
        return Err(ApiError::bad_request(format!(
            "this stream was encrypted with key {}, not {uid}",
            header.key_uid
        )));
    }
    let key = match load_key(&state, &headers, user, uid.clone(), false).await {
        Ok(k) => k,
        Err(e) => {
            drain_frames(&mut frames).await;
            return Err(e);
        }
    };
    let data_key = match stream::unwrap_data_key(key.algorithm, &key.key, &uid, &header.wrapped_key)
    {
        Ok(k) => k,
        Err(_) => {
            drain_frames(&mut frames).await;
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "CryptographicFailure",
                "the stream's data key does not unwrap under this key: the header was altered or the key is not the one that encrypted it",
            ));
        }
    };
    drop(key);
    let header_bytes = pending[..used].to_vec();
    let cipher =
        ChunkCipher::new(&header, &header_bytes, &data_key).map_err(|_| ApiError::internal())?;
    drop(data_key);
    let rest = pending.split_off(used);

    let (tx, rx) = mpsc::channel::<Item>(IN_FLIGHT);
    let chunk_len = header.chunk_size as usize + TAG_LEN;
    tokio::spawn(async move {
        let mut framer = Framer::new(chunk_len);
        let mut opener = Opener {
            cipher,
            opened: Vec::new(),
            plaintext: 0,
            limit,
        };
        let mut total = (used + rest.len()) as u64;
        if let Err(e) = framer.push(&rest, &mut |c, last| opener.open(c, last)) {
            let _ = tx.send(abort(e)).await;
            return;
        }
        for chunk in opener.opened.drain(..) {
            if tx.send(Ok(chunk)).await.is_err() {
                return;
            }
        }
        while let Some(frame) = frames.next().await {
            let data = match frame {
                Ok(d) => d,
                Err(_) => return,
            };
            total = total.saturating_add(data.len() as u64);
            if total > body_limit {
                let _ = tx.send(abort("the stream passed the size limit")).await;
                return;
            }
            if let Err(e) = framer.push(&data, &mut |c, last| opener.open(c, last)) {
                let _ = tx.send(abort(e)).await;
                return;
            }
            for chunk in opener.opened.drain(..) {
                if tx.send(Ok(chunk)).await.is_err() {
                    return;
                }
            }
        }
        if let Err(e) = framer.finish(&mut |c, last| opener.open(c, last)) {
            let _ = tx.send(abort(e)).await;
            return;
        }
        for chunk in opener.opened.drain(..) {
            if tx.send(Ok(chunk)).await.is_err() {
                return;
            }
        }
    });
    Ok(streaming_response(rx))
}

/// How much of a refused stream is read before answering, so that a client still sending a
/// small body sees the answer rather than a reset; larger bodies are cut off.
const DRAIN_LIMIT: usize = 1 << 20;

async fn drain_frames(frames: &mut axum::body::BodyDataStream) {
    let mut seen = 0usize;
    while seen < DRAIN_LIMIT {
        match frames.next().await {
            Some(Ok(d)) => seen += d.len(),
            _ => break,
        }
    }
}

fn seal_chunk(
    cipher: &mut ChunkCipher,
    out: &mut Vec<Bytes>,
    mut chunk: Vec<u8>,
    last: bool,
) -> Result<(), ()> {
    cipher.seal(&mut chunk, last).map_err(|_| ())?;
    out.push(Bytes::from(chunk));
    Ok(())
}

/// Opens chunks, counting the plaintext against the limit; authentic chunks wait in `opened`.
struct Opener {
    cipher: ChunkCipher,
    opened: Vec<Bytes>,
    plaintext: u64,
    limit: u64,
}

impl Opener {
    fn open(&mut self, mut chunk: Vec<u8>, last: bool) -> Result<(), &'static str> {
        let n = self.cipher.open(&mut chunk, last).map_err(
            |_| "a chunk failed to authenticate: the stream was altered, truncated or reordered",
        )?;
        self.plaintext = self.plaintext.saturating_add(n as u64);
        if self.plaintext > self.limit {
            return Err("the payload passed the size limit");
        }
        chunk.truncate(n);
        self.opened.push(Bytes::from(chunk));
        Ok(())
    }
}
