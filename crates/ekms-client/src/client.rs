//! The HTTPS client: connection setup, the group secret header, and error mapping.
//!
//! [`Client`] talks to one ekms server. It builds a reqwest client over a rustls configuration
//! whose certificate verifier follows the [`Trust`] choice, sends the group secret in the
//! `KmsDatabaseSecret` header on routes that touch keys, and turns every failure into an
//! [`Error`] that tells a refused certificate from a refused secret or an unreachable server.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::group_state::{HEADER as STATE_HEADER, Memory, TokenKey};
use crate::secret::Secret;
use crate::trust::{self, ClientIdentity, Trust, VerifyLog};

/// The server URL used when none is given.
pub const DEFAULT_SERVER_URL: &str = "https://127.0.0.1:9998";

/// The header carrying the group secret.
pub const SECRET_HEADER: &str = "KmsDatabaseSecret";

/// How to reach and trust a server.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Base URL, `https://host:port` (a path prefix is allowed).
    pub server_url: String,
    /// How to trust the server certificate.
    pub trust: Trust,
    /// The group secret, needed by every route that touches keys.
    pub secret: Option<Secret>,
    /// Time limit of one request (connection included).
    pub timeout: Duration,
    /// An OpenID Connect bearer token, sent as `Authorization: Bearer` on every request.
    pub bearer_token: Option<Secret>,
    /// A TLS client certificate and its key, presented to servers that ask for one.
    pub client_identity: Option<ClientIdentity>,
    /// Offer HTTP/1.1 only (ALPN), where by default HTTP/2 is offered first.
    pub http1_only: bool,
    /// Where the group states seen are remembered ([`crate::group_state`]); `None`: nowhere,
    /// and no answer is checked.
    pub group_state_dir: Option<std::path::PathBuf>,
}

impl ClientConfig {
    /// A configuration with the default time limit (5 minutes) and no secret.
    pub fn new(server_url: impl Into<String>, trust: Trust) -> Self {
        ClientConfig {
            server_url: server_url.into(),
            trust,
            secret: None,
            timeout: Duration::from_secs(300),
            bearer_token: None,
            client_identity: None,
            http1_only: false,
            group_state_dir: crate::group_state::default_dir(),
        }
    }

    /// Sets where the group states seen are remembered (`None`: nowhere, nothing checked).
    pub fn with_group_state_dir(mut self, dir: Option<std::path::PathBuf>) -> Self {
        self.group_state_dir = dir;
        self
    }

    /// Offers HTTP/1.1 only: one request at a time per connection, without HTTP/2's framing,
    /// which costs the server and the client more per small request.
    pub fn with_http1_only(mut self, http1_only: bool) -> Self {
        self.http1_only = http1_only;
        self
    }

    /// Sets the bearer token (an empty token is never sent).
    pub fn with_bearer_token(mut self, token: Option<Secret>) -> Self {
        self.bearer_token = token.filter(|t| !t.is_empty());
        self
    }

    /// Sets the TLS client certificate.
    pub fn with_client_identity(mut self, identity: Option<ClientIdentity>) -> Self {
        self.client_identity = identity;
        self
    }

    /// Sets the group secret.
    pub fn with_secret(mut self, secret: Option<Secret>) -> Self {
        self.secret = secret;
        self
    }
}

/// The answer of `POST /register`.
#[derive(Debug, Deserialize)]
pub struct Registration {
    /// The new group's id (a UUID).
    pub group_id: String,
    /// The group secret: shown once, keep it.
    pub secret: Secret,
}

/// The answer of `GET /version`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ServerVersion {
    /// Server version.
    #[serde(default)]
    pub version: Option<String>,
    /// Git commit the server was built from.
    #[serde(default)]
    pub git_commit: Option<String>,
    /// The enclave measurement (mr_enclave) or its emulation.
    #[serde(default)]
    pub measurement: Option<String>,
    /// `sgx` or `emulated`.
    #[serde(default)]
    pub mode: Option<String>,
    /// How the server identifies callers (`bearer_token`, `client_certificate`); empty when
    /// authentication is off, `None` from a server that does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<Vec<String>>,
    /// Any other field the server sends.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// Adds `secret` as the group secret header (marked sensitive) to `request`.
fn with_this_secret(
    request: reqwest::RequestBuilder,
    secret: &Secret,
) -> Result<reqwest::RequestBuilder> {
    let mut value = HeaderValue::from_str(secret.expose()).map_err(|_| {
        Error::Invalid("the group secret contains characters not allowed in a header".into())
    })?;
    value.set_sensitive(true);
    Ok(request.header(SECRET_HEADER, value))
}

/// The largest HTTP/2 frame this client accepts (see [`Client::new`]).
const MAX_FRAME_SIZE: u32 = 256 * 1024;

/// A client of one ekms server.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    secret: Option<Secret>,
    log: VerifyLog,
    /// The HTTP version of the last answer (0: none yet, 1: HTTP/1.x, 2: HTTP/2).
    http_version: std::sync::atomic::AtomicU8,
    /// The group states seen, checked on every answer to a request carrying a secret.
    states: Option<Memory>,
    /// The configured secret's group and state key, decoded once (with `states` only).
    own_token: Option<Arc<TokenKey>>,
    /// `{base}/kmip/2_1`, parsed once: the load generator's and scripts' hot route, where
    /// parsing the URL again was a few percent of the client's CPU per request.
    kmip_2_1: reqwest::Url,
}

impl Client {
    /// Builds a client. Checks the URL and the trust options; does not connect yet.
    pub fn new(config: ClientConfig) -> Result<Self> {
        let base = normalize_url(&config.server_url)?;
        let log = VerifyLog::default();
        let mut tls = trust::client_config_with_identity(
            &config.trust,
            log.clone(),
            config.client_identity.as_ref(),
        )?;
        if config.http1_only {
            tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        }
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(token) = &config.bearer_token {
            let mut value =
                HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
                    Error::Invalid(
                        "the bearer token contains characters not allowed in a header".into(),
                    )
                })?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        // Frames of up to 256 KiB from the server (the protocol's default is 16 KiB): a streamed
        // answer then comes in one frame per chunk, fewer socket writes and reads on each side.
        let mut builder = reqwest::Client::builder().http2_max_frame_size(MAX_FRAME_SIZE);
        if config.http1_only {
            builder = builder.http1_only();
        }
        let http = builder
            .use_preconfigured_tls(tls)
            .default_headers(headers)
            .connect_timeout(Duration::from_secs(15))
            .timeout(config.timeout)
            .user_agent(concat!("ekms-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Trust(format!("cannot build the HTTP client: {e}")))?;
        let secret = config.secret.filter(|s| !s.is_empty());
        let states = config.group_state_dir.map(Memory::new);
        let own_token = states.as_ref().and(secret.as_ref()).and_then(TokenKey::of);
        let kmip_2_1 = reqwest::Url::parse(&format!("{base}/kmip/2_1"))
            .map_err(|e| Error::Invalid(format!("invalid server URL {base}: {e}")))?;
        Ok(Client {
            http,
            base,
            secret,
            log,
            http_version: std::sync::atomic::AtomicU8::new(0),
            states,
            own_token,
            kmip_2_1,
        })
    }

    /// The HTTP version the last answer came in (`"HTTP/1.1"` or `"HTTP/2"`), if any came.
    pub fn last_http_version(&self) -> Option<&'static str> {
        match self.http_version.load(std::sync::atomic::Ordering::Relaxed) {
            1 => Some("HTTP/1.1"),
            2 => Some("HTTP/2"),
            _ => None,
        }
    }

    /// The server base URL (normalized, without a trailing slash).
    pub fn server_url(&self) -> &str {
        &self.base
    }

    /// SHA-256 of the certificate the server presented on the last connection, if any.
    pub fn server_certificate_sha256(&self) -> Option<[u8; 32]> {
        self.log.last_seen()
    }

    /// Every distinct certificate (DER) the server presented in the TLS handshakes of this
    /// client so far, in the order first seen. `ekms trust` compares them with the certificate
    /// the enclave bound into its quote.
    pub fn presented_certificates(&self) -> Vec<Vec<u8>> {
        self.log.presented()
    }

    /// Whether a group secret is configured.
    pub fn has_secret(&self) -> bool {
        self.secret.is_some()
    }

    /// `POST /register`: creates a group; the answer holds the group secret (shown once).
    pub async fn register(&self) -> Result<Registration> {
        let body = self
            .send(
                Method::POST,
                "register",
                None,
                false,
                &[StatusCode::CREATED, StatusCode::OK],
            )
            .await?;
        serde_json::from_slice(&body)
            .map_err(|e| Error::Protocol(format!("register answer is not the expected JSON: {e}")))
    }

    /// `GET /health`: the server's health answer (JSON, or the text wrapped as a JSON string).
    pub async fn health(&self) -> Result<serde_json::Value> {
        let body = self
            .send(Method::GET, "health", None, false, &[StatusCode::OK])
            .await?;
        Ok(serde_json::from_slice(&body).unwrap_or_else(|_| {
            serde_json::Value::String(String::from_utf8_lossy(&body).trim().to_string())
        }))
    }

    /// `GET /version`: build identity of the server.
    pub async fn version(&self) -> Result<ServerVersion> {
        let body = self
            .send(Method::GET, "version", None, false, &[StatusCode::OK])
            .await?;
        serde_json::from_slice(&body)
            .map_err(|e| Error::Protocol(format!("version answer is not the expected JSON: {e}")))
    }

    /// `GET /quote?nonce=<nonce>`: the raw SGX quote whose report data binds the server's TLS
    /// certificate and the bytes of `nonce` (the body is standard base64).
    pub async fn quote(&self, nonce: &[u8]) -> Result<Vec<u8>> {
        let url = format!("{}/quote?nonce={}", self.base, quote_nonce(nonce));
        let request = self.http.get(&url);
        let body = self.execute(request, &[StatusCode::OK], None).await?;
        let text = std::str::from_utf8(&body)
            .map_err(|_| Error::Protocol("the /quote answer is not text".to_string()))?;
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, text.trim())
            .map_err(|e| Error::Protocol(format!("the /quote answer is not base64: {e}")))
    }

    /// `GET /certificates`: the TLS certificate and the enclave (signer) public key, as PEM.
    pub async fn certificates(&self) -> Result<crate::evidence::ServerCertificates> {
        let body = self
            .send(Method::GET, "certificates", None, false, &[StatusCode::OK])
            .await?;
        serde_json::from_slice(&body).map_err(|e| {
            Error::Protocol(format!(
                "the /certificates answer is not the expected JSON: {e}"
            ))
        })
    }

    /// `GET /manifest`: the enclave manifest, byte for byte as served.
    pub async fn manifest(&self) -> Result<Vec<u8>> {
        self.send(Method::GET, "manifest", None, false, &[StatusCode::OK])
            .await
    }

    /// `POST /kmip/2_1` with a JSON TTLV body already serialized; returns the answer's bytes.
    pub async fn kmip_2_1_raw(&self, json_ttlv: Vec<u8>) -> Result<Vec<u8>> {
        self.post_kmip_2_1(json_ttlv, true).await
    }

    /// As [`Client::kmip_2_1_raw`], without the group secret header: for a KMIP server that
    /// has no groups (another vendor's, measured by `ekms bench --no-secret`).
    pub async fn kmip_2_1_raw_without_secret(&self, json_ttlv: Vec<u8>) -> Result<Vec<u8>> {
        self.post_kmip_2_1(json_ttlv, false).await
    }

    async fn post_kmip_2_1(&self, json_ttlv: Vec<u8>, with_secret: bool) -> Result<Vec<u8>> {
        self.send_to(
            Method::POST,
            self.kmip_2_1.clone(),
            Some(json_ttlv),
            with_secret,
            &[StatusCode::OK],
        )
        .await
    }

    /// `POST /kmip` with a whole Request Message already encoded as `content_type` says
    /// (binary TTLV, JSON TTLV or KMIP XML); returns the answer's bytes. The message carries
    /// its own credential: no secret header is sent.
    pub async fn kmip_message_raw(
        &self,
        body: Vec<u8>,
        content_type: &'static str,
    ) -> Result<Vec<u8>> {
        let request = self
            .http
            .post(format!("{}/kmip", self.base))
            .header(CONTENT_TYPE, HeaderValue::from_static(content_type))
            .body(body);
        self.execute(request, &[StatusCode::OK], None).await
    }

    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        json_body: Option<Vec<u8>>,
        with_secret: bool,
        accepted: &[StatusCode],
    ) -> Result<Vec<u8>> {
        let url = format!("{}/{}", self.base, path);
        self.send_to(method, url, json_body, with_secret, accepted)
            .await
    }

    /// As [`Client::send`], to a whole URL.
    async fn send_to(
        &self,
        method: Method,
        url: impl reqwest::IntoUrl,
        json_body: Option<Vec<u8>>,
        with_secret: bool,
        accepted: &[StatusCode],
    ) -> Result<Vec<u8>> {
        let mut request = self.http.request(method, url);
        let mut secret = None;
        if with_secret {
            request = self.with_secret(request)?;
            secret = self.secret.as_ref();
        }
        if let Some(body) = json_body {
            request = request
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body);
        }
        self.execute(request, accepted, secret).await
    }

    /// Adds the group secret header (marked sensitive) to `request`.
    pub(crate) fn with_secret(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::RequestBuilder> {
        let secret = self.secret.as_ref().ok_or(Error::NoSecret)?;
        with_this_secret(request, secret)
    }

    /// A bodiless request to `path` carrying `secret` instead of the configured one (the new
    /// secret of a rotation, before it is saved anywhere else).
    pub(crate) async fn send_with(
        &self,
        method: Method,
        path: &str,
        secret: &Secret,
        accepted: &[StatusCode],
    ) -> Result<Vec<u8>> {
        let url = format!("{}/{}", self.base, path);
        let request = with_this_secret(self.http.request(method, &url), secret)?;
        self.execute(request, accepted, Some(secret)).await
    }

    /// Checks the group state an answer states against what its request knew (`watch`, taken
    /// before it was sent) and remembers it. An answer without the header passes: the server
    /// states the group only once it has opened it.
    pub(crate) fn check_state(
        &self,
        watch: Option<&crate::group_state::Watch>,
        headers: &reqwest::header::HeaderMap,
    ) -> Result<()> {
        let (Some(memory), Some(watch)) = (self.states.as_ref(), watch) else {
            return Ok(());
        };
        match headers.get(STATE_HEADER).map(HeaderValue::to_str) {
            None => Ok(()),
            Some(Ok(value)) => memory.check(watch, value).map(|_| ()),
            Some(Err(_)) => Err(Error::Protocol(format!(
                "the server's {STATE_HEADER} header is not text"
            ))),
        }
    }

    /// The configured group secret.
    pub(crate) fn secret_ref(&self) -> Option<&Secret> {
        self.secret.as_ref()
    }

    /// What a request carrying `secret` knows of its group before it is sent.
    pub(crate) fn watch(&self, secret: &Secret) -> Option<crate::group_state::Watch> {
        let memory = self.states.as_ref()?;
        match &self.own_token {
            // The configured secret itself (not an equal one: no comparison of secrets).
            Some(token)
                if self
                    .secret
                    .as_ref()
                    .is_some_and(|s| std::ptr::eq(s, secret)) =>
            {
                Some(memory.watch_token(Arc::clone(token)))
            }
            _ => memory.watch(secret),
        }
    }

    /// The underlying HTTP client and base URL, for the streaming routes.
    pub(crate) fn http_parts(&self) -> (&reqwest::Client, &str) {
        (&self.http, &self.base)
    }

    /// Forgets a certificate failure recorded by an earlier request.
    pub(crate) fn clear_trust_failure(&self) {
        self.log.clear_failure();
    }

    /// Sends `request` (carrying `secret`, if any) and returns its body if its status is one
    /// of `accepted`. An answer stating the secret's group is checked against the group state
    /// known before sending ([`crate::group_state`]) first, whatever its status.
    async fn execute(
        &self,
        request: reqwest::RequestBuilder,
        accepted: &[StatusCode],
        secret: Option<&Secret>,
    ) -> Result<Vec<u8>> {
        self.log.clear_failure();
        let watch = secret.and_then(|s| self.watch(s));
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => return Err(self.map_transport_error(e)),
        };
        self.check_state(watch.as_ref(), response.headers())?;
        let status = response.status();
        let version = match response.version() {
            reqwest::Version::HTTP_2 => 2,
            _ => 1,
        };
        self.http_version
            .store(version, std::sync::atomic::Ordering::Relaxed);
        let body = response
            .bytes()
            .await
            .map_err(|e| self.map_transport_error(e))?;
        if accepted.contains(&status) {
            return Ok(body.to_vec());
        }
        Err(api_error(status, &body))
    }

    pub(crate) fn map_transport_error(&self, e: reqwest::Error) -> Error {
        if let Some(failure) = self.log.take_failure() {
            return Error::Untrusted(failure);
        }
        if e.is_timeout() {
            return Error::Timeout {
                url: self.base.clone(),
            };
        }
        let reason = error_chain(&e);
        if e.is_connect() {
            return Error::Connect {
                url: self.base.clone(),
                reason,
            };
        }
        Error::Http {
            url: self.base.clone(),
            reason,
        }
    }
}

/// Maps an error status and body to [`Error::Api`].
pub(crate) fn api_error(status: StatusCode, body: &[u8]) -> Error {
    let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
    let (code, message) = match parsed {
        Some(ErrorBody { error, message }) => (
            error.unwrap_or_else(|| status_code_name(status)),
            message.unwrap_or_default(),
        ),
        None => {
            let text = String::from_utf8_lossy(body);
            let mut text = text.trim().to_string();
            if text.len() > 300 {
                let mut cut = 300;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                text.truncate(cut);
                text.push('…');
            }
            (status_code_name(status), text)
        }
    };
    Error::Api {
        status: status.as_u16(),
        code,
        message,
    }
}

fn status_code_name(status: StatusCode) -> String {
    status
        .canonical_reason()
        .map(|r| r.replace(' ', ""))
        .unwrap_or_else(|| format!("Http{}", status.as_u16()))
}

/// The messages of an error and its sources, without repeats.
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = current {
        let text = err.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = err.source();
    }
    parts.join(": ")
}

/// A nonce as the `/quote` query parameter: every byte but ASCII letters and digits
/// percent-encoded, so the server decodes exactly these bytes (a nonce is bytes, not text).
pub fn quote_nonce(nonce: &[u8]) -> String {
    percent_encoding::percent_encode(nonce, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Checks and normalizes the server URL: `https` only, no trailing slash.
pub(crate) fn normalize_url(url: &str) -> Result<String> {
    let trimmed = url.trim();
    let parsed = reqwest::Url::parse(trimmed).map_err(|e| Error::InvalidUrl {
        url: url.to_string(),
        reason: e.to_string(),
    })?;
    if parsed.scheme() != "https" {
        return Err(Error::InvalidUrl {
            url: url.to_string(),
            reason: "the server speaks HTTPS only: use an https:// URL".to_string(),
        });
    }
    if parsed.host_str().is_none() {
        return Err(Error::InvalidUrl {
            url: url.to_string(),
            reason: "no host".to_string(),
        });
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::InvalidUrl {
            url: url.to_string(),
            reason: "a query or fragment is not allowed".to_string(),
        });
    }
    Ok(parsed.as_str().trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_secret_is_watched_under_its_own_group() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (
            "0b6f3c1e-0000-4000-8000-00000000000a",
            "0b6f3c1e-0000-4000-8000-00000000000b",
        );
        let secret_of = crate::group_state::tests::secret_of;
        let client = Client::new(
            ClientConfig::new("https://127.0.0.1:1".to_string(), Trust::Insecure)
                .with_secret(Some(secret_of(a, [1; 32])))
                .with_group_state_dir(Some(dir.path().to_path_buf())),
        )
        .unwrap();
        // The configured secret uses the token decoded once; any other secret (a rotation's
        // new one, an equal copy) is decoded for itself.
        let own = client.secret_ref().unwrap();
        assert_eq!(client.watch(own).unwrap().group_id(), a);
        assert_eq!(client.watch(&secret_of(b, [2; 32])).unwrap().group_id(), b);
        assert_eq!(client.watch(&secret_of(a, [1; 32])).unwrap().group_id(), a);
        assert!(client.watch(&Secret::new("not a token".into())).is_none());
        // Without a memory, nothing is watched.
        let forgetful = Client::new(
            ClientConfig::new("https://127.0.0.1:1".to_string(), Trust::Insecure)
                .with_secret(Some(secret_of(a, [1; 32])))
                .with_group_state_dir(None),
        )
        .unwrap();
        assert!(forgetful.watch(forgetful.secret_ref().unwrap()).is_none());
    }

    #[test]
    fn nonce_bytes_round_trip_through_the_query() {
        // Every byte value, and bytes that are not UTF-8: the URL carries them exactly, and
        // decoding as the server does gives them back.
        let all: Vec<u8> = (0..=255u8).rev().collect();
        for nonce in [&all[..], &[0xff], &[0x80], b"a b+c&nonce=x%"] {
            let encoded = quote_nonce(nonce);
            assert!(
                encoded
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'%')
            );
            let url = reqwest::Url::parse(&format!("https://h/quote?nonce={encoded}")).unwrap();
            let query = url.query().unwrap().strip_prefix("nonce=").unwrap();
            let decoded: Vec<u8> = percent_encoding::percent_decode_str(query).collect();
            assert_eq!(decoded, nonce);
        }
        assert_ne!(quote_nonce(&[0xff]), quote_nonce(&[0x80]));
    }

    #[test]
    fn urls() {
        assert_eq!(
            normalize_url("https://127.0.0.1:9998/").ok().as_deref(),
            Some("https://127.0.0.1:9998")
        );
        assert_eq!(
            normalize_url("https://kms.example/prefix/").ok().as_deref(),
            Some("https://kms.example/prefix")
        );
        assert!(normalize_url("http://127.0.0.1:9998").is_err());
        assert!(normalize_url("not a url").is_err());
    }

    #[test]
    fn api_errors() {
        let e = api_error(
            StatusCode::NOT_FOUND,
            br#"{"error":"ItemNotFound","message":"no object abc"}"#,
        );
        assert_eq!(e.status(), Some(404));
        assert_eq!(e.code(), Some("ItemNotFound"));
        let e = api_error(StatusCode::UNAUTHORIZED, b"plain text");
        assert!(e.is_unauthorized());
        assert_eq!(e.code(), Some("Unauthorized"));
    }
}
