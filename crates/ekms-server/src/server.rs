//! The HTTPS listener: rustls (aws-lc-rs provider) in front of the axum router, HTTP/1.1 and
//! HTTP/2 negotiated by ALPN.
//!
//! With `--client-ca`, clients may present a certificate (optional client authentication): one
//! that the CA did not sign fails the handshake; a verified one is handed to the handlers with
//! the client's address, as an [`auth::Connection`] extension of every request.
//!
//! Connections are admitted, capped and timed out by [`crate::connections`]; a response body
//! keeps its request counted as under way until it is sent. When the server drains, each
//! connection finishes the requests under way and closes.

use crate::auth;
use crate::connections::{Admit, AfterHandshake, End, RequestGuard, Tracked, Tracker};
use crate::tls::TlsIdentity;
use anyhow::Context;
use axum::Router;
use ekms_listen::Handshake;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// The largest HTTP/2 frame a client may send (hyper's default: 16 KiB, the protocol's least).
/// A large body then comes in frames of up to a stream chunk and more, each a single read and
/// wake-up where 16 KiB frames took four or more.
const H2_MAX_FRAME_SIZE: u32 = 256 * 1024;
/// How much of one request body a client may send ahead of what the server has read, and of
/// all bodies on one connection (hyper's defaults: 1 MiB each). Larger windows mean fewer
/// WINDOW_UPDATE frames, each a write and a wake-up of the sender; what a connection can make
/// the server hold stays bounded by the connection window.
const H2_STREAM_WINDOW: u32 = 2 * 1024 * 1024;
const H2_CONNECTION_WINDOW: u32 = 4 * 1024 * 1024;

/// The rustls configuration of the HTTPS port; with `client_ca`, client certificates signed by
/// it are asked for (and verified when presented) but not required.
pub fn server_config(
    id: &TlsIdentity,
    client_ca: Option<&Path>,
) -> anyhow::Result<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?;
    let builder = match client_ca {
        Some(path) => {
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(client_roots(path)?),
                provider,
            )
            .allow_unauthenticated()
            .build()
            .context("cannot build the client certificate verifier")?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(id.chain.clone(), id.private_key())
        .context("the TLS certificate and key do not match")?;
    // HTTP/2 first. The order only decides for clients that offer both (ekms's own client
    // library and CLI, browsers on the console, curl): load tools and most HTTP/1.1 libraries
    // offer http/1.1 alone and get it either way. Measured on the same server (BENCHMARKS.md,
    // "ALPN order"), HTTP/1.1 costs less per request when each connection carries one request at
    // a time (15,200 against 12,600 Encrypts/s quiet; 6,000-7,000 against 4,100-4,800 on a busy
    // machine, 16 connections): hyper runs every HTTP/2 stream as a task of its own. The clients
    // that offer both are the ones that send requests concurrently from one process, which
    // HTTP/2 carries on one connection and one handshake where HTTP/1.1 opens one connection per
    // request in flight. `ekms bench` without `--http1`, `bench/smoke.sh` (which checks that
    // nginx and ekms negotiate the same protocol) and the HTTP/2 run of the stream tests reach
    // HTTP/2 through this order: putting http/1.1 first would need each of them to offer h2
    // alone.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    crate::tls::offer_resumption(&mut config)?;
    Ok(config)
}

/// The CA certificates of the PEM file `path`.
fn client_roots(path: &Path) -> anyhow::Result<rustls::RootCertStore> {
    let pem = std::fs::read(path)
        .with_context(|| format!("cannot read --client-ca {}", path.display()))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
        let cert = cert.with_context(|| format!("{}: invalid PEM", path.display()))?;
        roots
            .add(cert)
            .with_context(|| format!("{}: not a usable CA certificate", path.display()))?;
    }
    if roots.is_empty() {
        anyhow::bail!("--client-ca {} holds no PEM certificate", path.display());
    }
    Ok(roots)
}

/// Serves `app` on `listener` until the process ends; `tracker` admits and times out the
/// connections (see [`crate::connections`]).
pub async fn serve(
    listener: TcpListener,
    tls: rustls::ServerConfig,
    app: Router,
    tracker: Arc<Tracker>,
) {
    let acceptor = TlsAcceptor::from(Arc::new(tls));
    let admit = Admit::new(tracker, "accept failed");
    ekms_listen::serve(listener, admit, move |tcp, peer, tracked| {
        let acceptor = acceptor.clone();
        let app = app.clone();
        async move {
            let _open = crate::metrics::get().connection(crate::metrics::Listener::Https);
            if let Some(end) = connection(acceptor, tcp, peer, &tracked, app).await {
                tracing::debug!(%peer, "connection closed: {end}");
            }
        }
    })
    .await
}

/// Serves one connection; says why when the tracker ended it.
async fn connection(
    acceptor: TlsAcceptor,
    tcp: TcpStream,
    peer: SocketAddr,
    tracked: &Tracked,
    app: Router,
) -> Option<End> {
    // Below TLS, reads and writes gathered into calls of up to 256 KiB: rustls alone reads 4 KiB
    // per system call and writes each HTTP/2 frame in one, which cost a stream more than its
    // cipher (BENCHMARKS.md, "Streams toward 500 MB/s").
    let io = ekms_listen::Batched::new(tracked.io(tcp));
    let tls = match ekms_listen::handshake(&acceptor, io, tracked.ended()).await {
        Handshake::Done(s) => s,
        Handshake::Failed(e) => {
            tracing::debug!(%peer, "TLS handshake failed: {e}");
            return None;
        }
        Handshake::Ended(end) => return Some(end),
    };
    let session = tls.get_ref().1;
    tracked.handshake_done(if session.alpn_protocol() == Some(b"h2") {
        AfterHandshake::Http2
    } else {
        AfterHandshake::Http1
    });
    let connection = auth::Connection {
        peer_addr: peer,
        peer_cert: session
            .peer_certificates()
            .and_then(|chain| chain.first())
            .map(|c| c.clone().into_owned()),
    };
    let requests = tracked.requests();
    let service = tower::service_fn(move |mut req: axum::extract::Request<Incoming>| {
        req.extensions_mut().insert(connection.clone());
        // Under way until the response body is sent (or dropped), so that a long stream is
        // neither idle nor evictable.
        let guard = requests.start();
        let app = app.clone();
        async move {
            let response = app.oneshot(req).await?;
            Ok::<_, Infallible>(response.map(|body| {
                axum::body::Body::new(Guarded {
                    body,
                    _guard: guard,
                })
            }))
        }
    });
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http2()
        .max_frame_size(H2_MAX_FRAME_SIZE)
        .initial_stream_window_size(H2_STREAM_WINDOW)
        .initial_connection_window_size(H2_CONNECTION_WINDOW);
    let conn = builder.serve_connection(TokioIo::new(tls), TowerToHyperService::new(service));
    tokio::pin!(conn);
    tokio::select! {
        r = conn.as_mut() => {
            if let Err(e) = r {
                tracing::debug!(%peer, "connection ended: {e}");
            }
            None
        }
        end = tracked.ended() => {
            if end == End::Idle {
                // No request under way: HTTP/2 says GOAWAY, HTTP/1.1 just closes.
                conn.as_mut().graceful_shutdown();
                let limit = tracked.limits().header_timeout;
                let _ = tokio::time::timeout(limit, conn).await;
            }
            Some(end)
        }
        () = tracked.draining() => {
            // SIGTERM: finish the requests under way (a stream to its last byte), take no new
            // one, close; `main.rs` bounds the wait with --shutdown-grace-seconds.
            conn.as_mut().graceful_shutdown();
            if let Err(e) = conn.await {
                tracing::debug!(%peer, "connection ended while draining: {e}");
            }
            None
        }
    }
}

/// A response body that keeps its request counted as under way until it is dropped.
struct Guarded {
    body: axum::body::Body,
    _guard: RequestGuard,
}

impl hyper::body::Body for Guarded {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}
