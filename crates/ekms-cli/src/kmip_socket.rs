//! What the handlers that talk KMIP themselves share (`ekms bench`, `ekms conformance`): the
//! mutual-TLS KMIP socket (the client certificate of `--client-cert`/`--client-key`, the
//! server trusted through `--ca`), the exchange of one binary message for its answer on it,
//! and the trust of an HTTPS client as the global options chose it.

use std::net::ToSocketAddrs;
use std::sync::Arc;

use anyhow::{Context as _, Result, anyhow, bail};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::context::{Context, TrustChoice};
use crate::output::read_file;

/// A TLS connection to the KMIP socket.
pub type TlsStream = tokio_rustls::client::TlsStream<TcpStream>;

/// Where and how to connect to the KMIP socket.
#[derive(Clone)]
pub struct SocketTarget {
    addr: std::net::SocketAddr,
    server_name: ServerName<'static>,
    tls: Arc<rustls::ClientConfig>,
}

impl SocketTarget {
    /// A new connection (TCP without Nagle's delay, then the TLS handshake).
    pub async fn connect(&self) -> Result<TlsStream> {
        let tcp = TcpStream::connect(self.addr)
            .await
            .with_context(|| format!("cannot connect to {}", self.addr))?;
        tcp.set_nodelay(true)?;
        tokio_rustls::TlsConnector::from(self.tls.clone())
            .connect(self.server_name.clone(), tcp)
            .await
            .with_context(|| format!("TLS handshake with {} failed", self.addr))
    }
}

/// Sends one encoded message on `tls` and reads the whole answer (framed by its TTLV header)
/// into `answer`, whose allocation is reused.
pub async fn exchange(tls: &mut TlsStream, request: &[u8], answer: &mut Vec<u8>) -> Result<()> {
    tls.write_all(request)
        .await
        .context("cannot send the request")?;
    tls.flush().await.context("cannot send the request")?;
    let mut head = [0u8; ekms_kmip::binary::HEADER_LEN];
    tls.read_exact(&mut head)
        .await
        .context("the connection ended before the answer")?;
    let total = ekms_kmip::binary::message_length(&head)
        .map_err(|e| anyhow!("the answer is not TTLV: {e}"))?;
    answer.clear();
    answer.extend_from_slice(&head);
    answer.resize(total.max(head.len()), 0);
    tls.read_exact(&mut answer[head.len()..])
        .await
        .context("the connection ended inside the answer")?;
    Ok(())
}

/// The trust of an HTTPS client, as the global options chose it.
pub fn https_trust(choice: &TrustChoice) -> Result<ekms_client::Trust> {
    Ok(match choice {
        TrustChoice::Ca(path) => ekms_client::Trust::from_ca_file(path)?,
        TrustChoice::Pin(pin) => ekms_client::Trust::from_pin_hex(pin)?,
        TrustChoice::Insecure => ekms_client::Trust::Insecure,
        TrustChoice::None => ekms_client::Trust::None,
    })
}

/// Connections to the KMIP socket at `address` (`HOST:PORT`): mutual TLS with the client
/// certificate of `--client-cert`/`--client-key`, the server trusted through `--ca` and named
/// `tls_server_name` (default: the host of `address`).
pub fn mutual_tls(
    ctx: &Context,
    address: &str,
    tls_server_name: Option<&str>,
) -> Result<SocketTarget> {
    let addr = address
        .to_socket_addrs()
        .with_context(|| format!("--kmip {address}: not a HOST:PORT"))?
        .next()
        .ok_or_else(|| anyhow!("--kmip {address}: no address"))?;
    let host = address
        .rsplit_once(':')
        .map(|(h, _)| h.trim_start_matches('[').trim_end_matches(']'))
        .unwrap_or(address);
    let name = tls_server_name.unwrap_or(host).to_string();
    let server_name = ServerName::try_from(name.clone())
        .map_err(|_| anyhow!("{name}: not a valid TLS server name"))?;
    let ca = match &ctx.trust {
        TrustChoice::Ca(path) => path.clone(),
        _ => bail!("the binary transport needs --ca FILE (the KMIP server's CA or certificate)"),
    };
    let (cert, key) = ctx
        .client_cert
        .clone()
        .ok_or_else(|| anyhow!("the binary transport needs --client-cert and --client-key"))?;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_pemfile::certs(&mut read_file(&ca)?.as_slice()) {
        roots
            .add(c.with_context(|| format!("{}: bad PEM", ca.display()))?)
            .with_context(|| format!("{}: not a certificate", ca.display()))?;
    }
    let chain: Vec<CertificateDer<'static>> =
        rustls_pemfile::certs(&mut read_file(&cert)?.as_slice())
            .collect::<std::result::Result<_, _>>()
            .with_context(|| format!("{}: bad PEM", cert.display()))?;
    if chain.is_empty() {
        bail!("{}: no certificate", cert.display());
    }
    let key_der: PrivateKeyDer<'static> =
        rustls_pemfile::private_key(&mut read_file(&key)?.as_slice())
            .with_context(|| format!("{}: bad PEM", key.display()))?
            .ok_or_else(|| anyhow!("{}: no private key", key.display()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key_der)
        .context("the client certificate and key do not go together")?;
    Ok(SocketTarget {
        addr,
        server_name,
        tls: Arc::new(tls),
    })
}
