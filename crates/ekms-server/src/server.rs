//! The HTTPS listener: rustls (aws-lc-rs provider) in front of the axum router, HTTP/1.1 and
//! HTTP/2 negotiated by ALPN.
//!
//! With `--client-ca`, clients may present a certificate (optional client authentication): one
//! that the CA did not sign fails the handshake; a verified one is handed to the handlers with
//! the client's address, as an [`auth::Connection`] extension of every request.

use crate::auth;
use crate::tls::TlsIdentity;
use anyhow::Context;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// How long a client may take to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

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
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
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

/// Serves `app` on `listener` until the process ends.
pub async fn serve(listener: TcpListener, tls: rustls::ServerConfig, app: Router) {
    let acceptor = TlsAcceptor::from(Arc::new(tls));
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of file descriptors and the like: wait a moment rather than spin.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    tracing::debug!(%peer, "TLS handshake failed: {e}");
                    return;
                }
                Err(_) => return,
            };
            let connection = auth::Connection {
                peer_addr: peer,
                peer_cert: tls
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|chain| chain.first())
                    .map(|c| c.clone().into_owned()),
            };
            let app = app.map_request(move |mut req: axum::extract::Request<Incoming>| {
                req.extensions_mut().insert(connection.clone());
                req
            });
            let service = TowerToHyperService::new(app);
            if let Err(e) = Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(tls), service)
                .await
            {
                tracing::debug!(%peer, "connection ended: {e}");
            }
        });
    }
}
