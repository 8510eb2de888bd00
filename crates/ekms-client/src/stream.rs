//! The streaming routes `POST /v1/encrypt/{uid}` and `POST /v1/decrypt/{uid}`
//! (docs/stream-format.md): the request body is sent as it is read and the answer is handed back
//! as a stream of byte chunks, so no payload is ever held whole in memory.
//!
//! The server ends an answer early (an HTTP/1.1 connection closed without its final chunk, an
//! HTTP/2 stream reset) when the payload passes its size limit or a chunk fails to
//! authenticate; the returned stream then yields an error as its last item. A caller must treat
//! every byte it received as void unless the stream ended without an error.

use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use reqwest::{StatusCode, Url};
use tokio::io::AsyncRead;
use tokio_util::io::ReaderStream;

use crate::client::{Client, api_error};
use crate::error::{Error, Result};

/// An answer body: byte chunks, then the end or one error.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes>> + Send + 'static>>;

/// The time limit of one streaming request, body included: a 10 GiB payload must fit.
const STREAM_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// The size of the pieces a reader is cut into for the request body: the server accepts HTTP/2
/// frames this large, so each piece goes out as one frame (64 KiB pieces took four).
const READ_CHUNK: usize = 256 * 1024;

/// Which streaming route.
#[derive(Clone, Copy, Debug)]
enum Direction {
    Encrypt,
    Decrypt,
}

impl Direction {
    fn segment(self) -> &'static str {
        match self {
            Direction::Encrypt => "encrypt",
            Direction::Decrypt => "decrypt",
        }
    }
}

impl Client {
    // jscpd:ignore-start (encrypt and decrypt mirror each other: see docs/design.md)
    /// `POST /v1/encrypt/{uid}`: encrypts `input` (a stream of plaintext pieces) under the
    /// data key of a new stream wrapped by key `uid`; the answer is the whole stream (header,
    /// then chunks). `content_length`, when known, lets the server refuse an oversized payload
    /// before reading it.
    pub async fn encrypt_stream<S>(
        &self,
        uid: &str,
        input: S,
        content_length: Option<u64>,
    ) -> Result<ByteStream>
    where
        S: Stream<Item = std::io::Result<Bytes>> + Send + 'static,
    {
        self.stream(Direction::Encrypt, uid, input, content_length)
            .await
    }

    /// `POST /v1/decrypt/{uid}`: decrypts a stream made by [`Client::encrypt_stream`] or by
    /// client-side encryption in the same format; the answer is the plaintext.
    pub async fn decrypt_stream<S>(
        &self,
        uid: &str,
        input: S,
        content_length: Option<u64>,
    ) -> Result<ByteStream>
    where
        S: Stream<Item = std::io::Result<Bytes>> + Send + 'static,
    {
        self.stream(Direction::Decrypt, uid, input, content_length)
            .await
    }

    /// [`Client::encrypt_stream`] reading its input from an [`AsyncRead`].
    pub async fn encrypt_reader<R>(
        &self,
        uid: &str,
        input: R,
        content_length: Option<u64>,
    ) -> Result<ByteStream>
    where
        R: AsyncRead + Send + 'static,
    {
        let body = ReaderStream::with_capacity(input, READ_CHUNK);
        self.encrypt_stream(uid, body, content_length).await
    }

    /// [`Client::decrypt_stream`] reading its input from an [`AsyncRead`].
    pub async fn decrypt_reader<R>(
        &self,
        uid: &str,
        input: R,
        content_length: Option<u64>,
    ) -> Result<ByteStream>
    where
        R: AsyncRead + Send + 'static,
    {
        let body = ReaderStream::with_capacity(input, READ_CHUNK);
        self.decrypt_stream(uid, body, content_length).await
    }
    // jscpd:ignore-end

    async fn stream<S>(
        &self,
        direction: Direction,
        uid: &str,
        input: S,
        content_length: Option<u64>,
    ) -> Result<ByteStream>
    where
        S: Stream<Item = std::io::Result<Bytes>> + Send + 'static,
    {
        let (http, base) = self.http_parts();
        let url = stream_url(base, direction, uid)?;
        let mut request = http
            .post(url)
            .timeout(STREAM_TIMEOUT)
            .header(
                CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            )
            .body(reqwest::Body::wrap_stream(input));
        if let Some(n) = content_length {
            request = request.header(CONTENT_LENGTH, n);
        }
        let request = self.with_secret(request)?;
        let watch = self.secret_ref().and_then(|s| self.watch(s));
        self.clear_trust_failure();
        let response = request
            .send()
            .await
            .map_err(|e| self.map_transport_error(e))?;
        self.check_state(watch.as_ref(), response.headers())?;
        let status = response.status();
        if status != StatusCode::OK {
            // Error answers are small JSON documents; a body that cannot be read still yields
            // the status.
            let body = response.bytes().await.unwrap_or_default();
            return Err(api_error(status, &body));
        }
        let url = base.to_string();
        let body = response.bytes_stream().map_err(move |e| Error::Http {
            url: url.clone(),
            reason: format!(
                "the server ended the answer early: {}",
                crate::client::error_chain(&e)
            ),
        });
        Ok(body.boxed())
    }
}

/// `{base}/v1/{encrypt|decrypt}/{uid}`, the uid percent-encoded as one path segment.
fn stream_url(base: &str, direction: Direction, uid: &str) -> Result<Url> {
    if uid.is_empty() {
        return Err(Error::Invalid("an empty key identifier".into()));
    }
    let mut url = Url::parse(base).map_err(|e| Error::InvalidUrl {
        url: base.to_string(),
        reason: e.to_string(),
    })?;
    url.path_segments_mut()
        .map_err(|()| Error::InvalidUrl {
            url: base.to_string(),
            reason: "the URL cannot have a path".into(),
        })?
        .pop_if_empty()
        .extend(["v1", direction.segment(), uid]);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_escape_the_uid() {
        let url = stream_url("https://127.0.0.1:9998", Direction::Encrypt, "a/b c").unwrap();
        assert_eq!(url.as_str(), "https://127.0.0.1:9998/v1/encrypt/a%2Fb%20c");
        let url = stream_url("https://h:1/", Direction::Decrypt, "k").unwrap();
        assert_eq!(url.as_str(), "https://h:1/v1/decrypt/k");
        assert!(stream_url("https://h:1", Direction::Decrypt, "").is_err());
    }
}
