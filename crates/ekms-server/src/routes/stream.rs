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
use std::collections::VecDeque;
use std::sync::Arc;

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

fn streaming_response(body: impl futures_util::Stream<Item = Item> + Send + 'static) -> Response {
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

    let seal = move |mut chunk: Vec<u8>, last: bool| {
        cipher
            .seal(&mut chunk, last)
            .map_err(|_| "encryption failed")?;
        Ok(Bytes::from(chunk))
    };
    let pump = Pump {
        frames: body.into_data_stream(),
        total: 0,
        limit,
        over_limit: "the payload passed the size limit",
        stream: Stream::Encrypt,
    };
    let first = Bytes::from(header_bytes);
    Ok(streaming_response(pump.run(
        Some(first),
        Bytes::new(),
        Framer::new(DEFAULT_CHUNK_SIZE as usize),
        seal,
    )))
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

    let chunk_len = header.chunk_size as usize + TAG_LEN;
    let mut cipher = cipher;
    let mut plaintext: u64 = 0;
    let open = move |mut chunk: Vec<u8>, last: bool| {
        let n = cipher.open(&mut chunk, last).map_err(
            |_| "a chunk failed to authenticate: the stream was altered, truncated or reordered",
        )?;
        plaintext = plaintext.saturating_add(n as u64);
        if plaintext > limit {
            return Err("the payload passed the size limit");
        }
        chunk.truncate(n);
        Ok(Bytes::from(chunk))
    };
    let pump = Pump {
        frames,
        total: (used + rest.len()) as u64,
        limit: body_limit,
        over_limit: "the stream passed the size limit",
        stream: Stream::Decrypt,
    };
    Ok(streaming_response(pump.run(
        None,
        Bytes::from(rest),
        Framer::new(chunk_len),
        open,
    )))
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

/// A stream in progress: the body it reads, the framer and the cipher step, and the chunks
/// processed but not yet handed to hyper.
struct Run<P> {
    pump: Pump,
    framer: Option<Framer>,
    process: P,
    out: VecDeque<Bytes>,
    /// Bytes read before the body was handed over, cut into chunks first.
    initial: Option<Bytes>,
}

impl Pump {
    /// The response body: `first` (the header, when encrypting), then `initial` (bytes
    /// already read) and the rest of the body cut into chunks, each run through `process`
    /// (seal or open). The work runs inside the response body's own poll, read by read, so a
    /// chunk costs no task hand-off and no channel; hyper's flow control bounds what is read
    /// ahead. Any error ends the answer with an error item (what was processed in the same
    /// step is dropped), so the client never takes a cut answer for a whole one.
    fn run(
        self,
        first: Option<Bytes>,
        initial: Bytes,
        framer: Framer,
        process: impl FnMut(Vec<u8>, bool) -> Result<Bytes, &'static str> + Send + 'static,
    ) -> impl futures_util::Stream<Item = Item> + Send + 'static {
        // What the route read before handing the body over.
        let read = usize::try_from(self.total).unwrap_or(usize::MAX);
        metrics::get().stream_bytes(self.stream, Direction::In, read);
        let run = Run {
            pump: self,
            framer: Some(framer),
            process,
            out: first.into_iter().collect(),
            initial: Some(initial),
        };
        futures_util::stream::unfold(run, |mut run| async move {
            let item = run.next().await?;
            Some((item, run))
        })
    }
}

impl<P: FnMut(Vec<u8>, bool) -> Result<Bytes, &'static str>> Run<P> {
    /// The next piece of the answer; `None` once it is complete or has ended with an error.
    async fn next(&mut self) -> Option<Item> {
        loop {
            if let Some(chunk) = self.out.pop_front() {
                metrics::get().stream_bytes(self.pump.stream, Direction::Out, chunk.len());
                return Some(Ok(chunk));
            }
            // No framer: the input ended (or failed) and everything was handed out.
            self.framer.as_ref()?;
            // Bytes read by the route are already counted in `total`; the body's are counted here.
            let data = match self.initial.take() {
                Some(d) => d,
                None => match self.pump.frames.next().await {
                    Some(Ok(d)) => {
                        let pump = &mut self.pump;
                        metrics::get().stream_bytes(pump.stream, Direction::In, d.len());
                        pump.total = pump.total.saturating_add(d.len() as u64);
                        if pump.total > pump.limit {
                            return self.fail(self.pump.over_limit);
                        }
                        d
                    }
                    Some(Err(_)) => return self.fail("the request body broke off"),
                    None => {
                        let framer = self.framer.take()?;
                        let (process, out) = (&mut self.process, &mut self.out);
                        let finished = framer.finish(&mut |chunk, last| {
                            out.push_back(process(chunk, last)?);
                            Ok(())
                        });
                        if let Err(e) = finished {
                            return self.fail(e);
                        }
                        continue;
                    }
                },
            };
            let (framer, process, out) = (&mut self.framer, &mut self.process, &mut self.out);
            let framer = framer.as_mut()?;
            let pushed = framer.push(&data, &mut |chunk, last| {
                out.push_back(process(chunk, last)?);
                Ok(())
            });
            if let Err(e) = pushed {
                return self.fail(e);
            }
        }
    }

    /// Ends the answer with `message`: nothing more is read or sent after it.
    fn fail(&mut self, message: &'static str) -> Option<Item> {
        self.framer = None;
        self.out.clear();
        Some(abort(message))
    }
}
