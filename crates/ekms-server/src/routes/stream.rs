//! `POST /v1/encrypt/{uid}` and `POST /v1/decrypt/{uid}`: payloads up to
//! `--max-payload-bytes` (10 GiB by default) streamed from request body to response body in
//! constant memory, in the stream format of docs/stream-format.md.
//!
//! A declared Content-Length over the limit is answered 413, and a wrong or unknown group secret
//! 401, before any byte is read. A body
//! that passes the limit while streaming, or a chunk that fails to authenticate, ends the
//! response with an error: hyper then closes an HTTP/1.1 connection without the final chunk and
//! resets an HTTP/2 stream, so a client can never mistake a cut answer for a whole one.

use crate::auth::Caller;
use crate::error::ApiError;
use crate::groups::GroupStore;
use crate::metrics::{self, Direction, Stream};
use crate::objects::stream_key::{self, StreamKey};
use crate::operations::Context;
use crate::routes::body::{declared_len, drain};
use crate::routes::entry::{open_before_body, with_store};
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
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

fn abort(message: &str) -> Item {
    Err(std::io::Error::other(message.to_string()))
}

/// Loads the stream key from the group the route opened, off the async runtime.
async fn load_key(
    state: &Arc<AppState>,
    store: Arc<dyn GroupStore>,
    user: String,
    uid: String,
    encrypt: bool,
) -> Result<StreamKey, ApiError> {
    with_store(state, store, move |st, store| {
        let ctx = Context {
            store: store.as_ref(),
            user: &user,
            version: ProtocolVersion::V2_1,
            access: Default::default(),
            limits: crate::operations::Limits::from_config(&st.config),
            batch: None,
            locked: Default::default(),
        };
        let load = || {
            if encrypt {
                stream_key::for_encrypt(&ctx, &uid)
            } else {
                stream_key::for_decrypt(&ctx, &uid)
            }
        };
        // Before any byte of the stream, so safe to run again: should the group change under
        // the read (another node's write, on PostgreSQL), it runs once more with the group
        // locked first, which cannot fail that way (as KMIP operations, protocol::dispatch_rerun).
        let key = match load() {
            Err(e) if e.changed => {
                ctx.locked.set(true);
                load()?
            }
            other => other?,
        };
        Ok(key)
    })
    .await
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

// jscpd:ignore-start (axum handler signature: see docs/design.md)
pub async fn encrypt(
    State(state): State<Arc<AppState>>,
    Caller(user): Caller,
    Path(uid): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    // jscpd:ignore-end
    tracing::Span::current().record("operation", "Encrypt");
    let limit = state.config.max_payload_bytes;
    if declared_len(&headers).is_some_and(|n| n > limit) {
        return Err(ApiError::too_large(limit));
    }
    // The group secret before any byte of the body: a wrong one costs no body.
    let (store, body) = open_before_body(&state, &headers, body).await?;
    let key = match load_key(&state, store, user, uid.clone(), true).await {
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
        metrics::get().stream_bytes(Stream::Encrypt, Direction::Out, header_bytes.len());
        if tx.send(Ok(Bytes::from(header_bytes))).await.is_err() {
            return;
        }
        let seal = move |mut chunk: Vec<u8>, last: bool| {
            cipher
                .seal(&mut chunk, last)
                .map_err(|_| "encryption failed")?;
            Ok(Bytes::from(chunk))
        };
        let body = Pump {
            frames: body.into_data_stream(),
            total: 0,
            limit,
            over_limit: "the payload passed the size limit",
            stream: Stream::Encrypt,
        };
        body.run(
            Vec::new(),
            Framer::new(DEFAULT_CHUNK_SIZE as usize),
            seal,
            tx,
        )
        .await;
    });
    Ok(streaming_response(rx))
}

// jscpd:ignore-start (axum handler signature: see docs/design.md)
pub async fn decrypt(
    State(state): State<Arc<AppState>>,
    Caller(user): Caller,
    Path(uid): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    // jscpd:ignore-end
    tracing::Span::current().record("operation", "Decrypt");
    let limit = state.config.max_payload_bytes;
    let body_limit = max_stream_len(limit);
    if declared_len(&headers).is_some_and(|n| n > body_limit) {
        return Err(ApiError::too_large(body_limit));
    }
    // The group secret before any byte of the body: a wrong one costs no body.
    let (store, body) = open_before_body(&state, &headers, body).await?;
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
    let key = match load_key(&state, store, user, uid.clone(), false).await {
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
        let mut cipher = cipher;
        let mut plaintext: u64 = 0;
        let open = move |mut chunk: Vec<u8>, last: bool| {
            let n = cipher.open(&mut chunk, last).map_err(|_| {
                "a chunk failed to authenticate: the stream was altered, truncated or reordered"
            })?;
            plaintext = plaintext.saturating_add(n as u64);
            if plaintext > limit {
                return Err("the payload passed the size limit");
            }
            chunk.truncate(n);
            Ok(Bytes::from(chunk))
        };
        let body = Pump {
            frames,
            total: (used + rest.len()) as u64,
            limit: body_limit,
            over_limit: "the stream passed the size limit",
            stream: Stream::Decrypt,
        };
        body.run(rest, Framer::new(chunk_len), open, tx).await;
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

/// A request body on its way through the stream cipher: its frames, the bytes counted so
/// far against `limit`, and what to say when it passes the limit.
struct Pump {
    frames: axum::body::BodyDataStream,
    total: u64,
    limit: u64,
    over_limit: &'static str,
    /// Which route, for the byte counts ([`crate::metrics`]).
    stream: Stream,
}

impl Pump {
    /// Cuts `initial` (bytes already read) and then the rest of the body into chunks, runs
    /// each through `process` (seal or open) and sends the results; any error ends the answer
    /// with an error item, so the client never takes a cut answer for a whole one.
    async fn run(
        mut self,
        initial: Vec<u8>,
        mut framer: Framer,
        mut process: impl FnMut(Vec<u8>, bool) -> Result<Bytes, &'static str>,
        tx: mpsc::Sender<Item>,
    ) {
        let mut out: Vec<Bytes> = Vec::new();
        let counts = metrics::get();
        // What the route read before handing the body over.
        let read = usize::try_from(self.total).unwrap_or(usize::MAX);
        counts.stream_bytes(self.stream, Direction::In, read);
        let mut data = Bytes::from(initial);
        loop {
            let pushed = framer.push(&data, &mut |chunk, last| {
                out.push(process(chunk, last)?);
                Ok(())
            });
            if !forward(&tx, pushed, &mut out, self.stream).await {
                return;
            }
            data = match self.frames.next().await {
                Some(Ok(d)) => d,
                Some(Err(_)) => return,
                None => break,
            };
            counts.stream_bytes(self.stream, Direction::In, data.len());
            self.total = self.total.saturating_add(data.len() as u64);
            if self.total > self.limit {
                let _ = tx.send(abort(self.over_limit)).await;
                return;
            }
        }
        let finished = framer.finish(&mut |chunk, last| {
            out.push(process(chunk, last)?);
            Ok(())
        });
        forward(&tx, finished, &mut out, self.stream).await;
    }
}

/// Sends the chunks ready in `out`, or, if processing failed, only the error (what was
/// processed in the same step is dropped); false when the stream must end (an error was
/// sent, or the client went away).
async fn forward(
    tx: &mpsc::Sender<Item>,
    result: Result<(), &'static str>,
    out: &mut Vec<Bytes>,
    stream: Stream,
) -> bool {
    if let Err(e) = result {
        let _ = tx.send(abort(e)).await;
        return false;
    }
    for chunk in out.drain(..) {
        metrics::get().stream_bytes(stream, Direction::Out, chunk.len());
        if tx.send(Ok(chunk)).await.is_err() {
            return false;
        }
    }
    true
}
