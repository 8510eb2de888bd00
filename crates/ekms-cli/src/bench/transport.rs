//! How the load generator reaches a server: the encoding of a request (a binary Request
//! Message with the group secret as its credential, or the JSON TTLV body of `POST
//! /kmip/2_1`), the connections (mutual TLS to a KMIP socket, or an [`ekms_client::Client`]
//! over HTTPS) and the exchange of one request for its answer on them.

use std::net::ToSocketAddrs;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, Result, anyhow, bail};
use ekms_client::{Client, ClientConfig, ClientIdentity, Secret};
use ekms_kmip::enums::Operation;
use ekms_kmip::message::{Credential, Password, RequestBatchItem, RequestHeader};
use ekms_kmip::{ProtocolVersion, RequestMessage, Tag, ToTtlv, Ttlv};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::check::binary_payload;
use crate::cli::bench::BenchArgs;
use crate::context::{Context, TrustChoice};
use crate::output::read_file;

/// How a request becomes bytes.
#[derive(Clone)]
pub(super) enum Encoding {
    /// A whole binary Request Message of `version`, the group secret as its credential.
    Binary {
        version: ProtocolVersion,
        secret: Option<Arc<Secret>>,
    },
    /// The JSON TTLV body of `POST /kmip/2_1`: the operation's request payload, tagged with the
    /// operation's name.
    Json,
}

impl Encoding {
    pub(super) fn version(&self) -> ProtocolVersion {
        match self {
            Encoding::Binary { version, .. } => *version,
            Encoding::Json => ProtocolVersion::V2_1,
        }
    }

    pub(super) fn encode(&self, operation: Operation, payload: Vec<Ttlv>) -> Result<Vec<u8>> {
        match self {
            Encoding::Binary { version, secret } => {
                let mut header = RequestHeader::new(*version);
                if let Some(secret) = secret {
                    header.credentials = vec![Credential::username_and_password(
                        "ekms-bench",
                        Some(Password::from(secret.expose())),
                    )];
                }
                let message =
                    RequestMessage::new(header, vec![RequestBatchItem::new(operation, payload)]);
                ekms_kmip::binary::try_to_vec(&message.to_ttlv())
                    .map_err(|e| anyhow!("cannot encode the {operation:?} request: {e}"))
            }
            Encoding::Json => Ok(ekms_kmip::json::to_vec(&Ttlv::structure(
                Tag::operation_request(operation.as_u32()),
                payload,
            ))),
        }
    }
}

/// How connections are made.
#[derive(Clone)]
pub(super) enum Target {
    Binary {
        addr: std::net::SocketAddr,
        server_name: ServerName<'static>,
        tls: Arc<rustls::ClientConfig>,
    },
    Json {
        config: Arc<JsonConfig>,
    },
}

/// What a JSON client is built from.
pub(super) struct JsonConfig {
    pub(super) server_url: String,
    pub(super) ctx_trust: TrustChoice,
    pub(super) secret: Option<Secret>,
    pub(super) bearer_token: Option<Secret>,
    pub(super) client_cert: Option<(PathBuf, PathBuf)>,
    pub(super) http1_only: bool,
}

/// One persistent connection, with the last answer received on it.
pub(super) enum Connection {
    Binary {
        tls: Box<tokio_rustls::client::TlsStream<TcpStream>>,
        /// The last answer; its allocation is reused by the next one.
        answer: Vec<u8>,
    },
    Json {
        client: Box<Client>,
        answer: Vec<u8>,
    },
}

impl Target {
    pub(super) async fn connect(&self) -> Result<Connection> {
        match self {
            Target::Binary {
                addr,
                server_name,
                tls,
            } => {
                let tcp = TcpStream::connect(addr)
                    .await
                    .with_context(|| format!("cannot connect to {addr}"))?;
                tcp.set_nodelay(true)?;
                let stream = tokio_rustls::TlsConnector::from(tls.clone())
                    .connect(server_name.clone(), tcp)
                    .await
                    .with_context(|| format!("TLS handshake with {addr} failed"))?;
                Ok(Connection::Binary {
                    tls: Box::new(stream),
                    answer: Vec::new(),
                })
            }
            Target::Json { config } => {
                let trust = match &config.ctx_trust {
                    TrustChoice::Ca(path) => ekms_client::Trust::from_ca_file(path)?,
                    TrustChoice::Pin(pin) => ekms_client::Trust::from_pin_hex(pin)?,
                    TrustChoice::Insecure => ekms_client::Trust::Insecure,
                    TrustChoice::None => ekms_client::Trust::None,
                };
                let identity = match &config.client_cert {
                    Some((cert, key)) => Some(ClientIdentity::from_pem_files(cert, key)?),
                    None => None,
                };
                let client = Client::new(
                    ClientConfig::new(config.server_url.clone(), trust)
                        .with_secret(config.secret.clone())
                        .with_bearer_token(config.bearer_token.clone())
                        .with_client_identity(identity)
                        .with_http1_only(config.http1_only),
                )?;
                Ok(Connection::Json {
                    client: Box::new(client),
                    answer: Vec::new(),
                })
            }
        }
    }
}

impl Connection {
    /// Sends one encoded request and receives its answer: the whole binary Response Message,
    /// or the body of an HTTP 200 (another status is an error).
    pub(super) async fn exchange(&mut self, request: &[u8]) -> Result<&[u8]> {
        match self {
            Connection::Binary { tls, answer } => {
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
                Ok(answer)
            }
            Connection::Json { client, answer } => {
                *answer = client.kmip_2_1_raw(request.to_vec()).await?;
                Ok(answer)
            }
        }
    }

    /// Sends one operation and decodes its answer in full (for the set-up, not the run);
    /// returns the response payload, or the failure.
    pub(super) async fn call(
        &mut self,
        encoding: &Encoding,
        operation: Operation,
        payload: Vec<Ttlv>,
    ) -> Result<Ttlv> {
        let request = encoding.encode(operation, payload)?;
        let answer = self.exchange(&request).await?;
        match encoding {
            Encoding::Binary { .. } => binary_payload(answer, operation),
            Encoding::Json => {
                let response = ekms_kmip::json::from_slice(answer)
                    .map_err(|e| anyhow!("the KMIP answer is not JSON TTLV: {e}"))?;
                if response.tag != Tag::operation_response(operation.as_u32()) {
                    bail!("the answer to {operation:?} is not its response");
                }
                Ok(response)
            }
        }
    }

    /// True when an error means the connection is unusable (binary transport).
    pub(super) fn is_binary(&self) -> bool {
        matches!(self, Connection::Binary { .. })
    }
}

/// The binary transport to `address`: mutual TLS with the client certificate, the server
/// trusted through `--ca`.
pub(super) fn binary_target(
    ctx: &Context,
    args: &BenchArgs,
    address: &str,
) -> Result<(Target, Encoding)> {
    let addr = address
        .to_socket_addrs()
        .with_context(|| format!("--kmip {address}: not a HOST:PORT"))?
        .next()
        .ok_or_else(|| anyhow!("--kmip {address}: no address"))?;
    let host = address
        .rsplit_once(':')
        .map(|(h, _)| h.trim_start_matches('[').trim_end_matches(']'))
        .unwrap_or(address);
    let name = args.tls_server_name.as_deref().unwrap_or(host).to_string();
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
    let secret = args
        .secret
        .clone()
        .map(Secret::new)
        .or_else(|| ctx.config.secret.clone())
        .filter(|s| !s.is_empty())
        .map(Arc::new);
    Ok((
        Target::Binary {
            addr,
            server_name,
            tls: Arc::new(tls),
        },
        Encoding::Binary {
            version: args.kmip_version.protocol(),
            secret,
        },
    ))
}
