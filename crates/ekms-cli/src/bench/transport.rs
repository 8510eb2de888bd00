//! How the load generator reaches a server: the encoding of a request (a binary Request
//! Message with the group secret as its credential, or the JSON TTLV body of `POST
//! /kmip/2_1`), the connections (mutual TLS to a KMIP socket, or an [`ekms_client::Client`]
//! over HTTPS) and the exchange of one request for its answer on them.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Result, anyhow, bail};
use ekms_client::{Client, ClientConfig, ClientIdentity, Secret};
use ekms_kmip::enums::Operation;
use ekms_kmip::message::{Credential, Password, RequestBatchItem, RequestHeader};
use ekms_kmip::{ProtocolVersion, RequestMessage, Tag, ToTtlv, Ttlv};
use tokio::net::TcpStream;

use super::check::binary_payload;
use crate::cli::bench::BenchArgs;
use crate::context::{Context, TrustChoice};
use crate::kmip_socket::{SocketTarget, exchange, https_trust, mutual_tls};

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
    Binary(SocketTarget),
    Json { config: Arc<JsonConfig> },
}

/// What a JSON client is built from.
pub(super) struct JsonConfig {
    pub(super) server_url: String,
    pub(super) ctx_trust: TrustChoice,
    pub(super) secret: Option<Secret>,
    /// `--no-secret`: the requests carry no secret header at all.
    pub(super) no_secret: bool,
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
        no_secret: bool,
    },
}

impl Target {
    pub(super) async fn connect(&self) -> Result<Connection> {
        match self {
            Target::Binary(socket) => Ok(Connection::Binary {
                tls: Box::new(socket.connect().await?),
                answer: Vec::new(),
            }),
            Target::Json { config } => {
                let trust = https_trust(&config.ctx_trust)?;
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
                    no_secret: config.no_secret,
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
                exchange(tls, request, answer).await?;
                Ok(answer)
            }
            Connection::Json {
                client,
                answer,
                no_secret,
            } => {
                *answer = if *no_secret {
                    client.kmip_2_1_raw_without_secret(request.to_vec()).await?
                } else {
                    client.kmip_2_1_raw(request.to_vec()).await?
                };
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
    let target = Target::Binary(mutual_tls(ctx, address, args.tls_server_name.as_deref())?);
    let secret = group_secret(ctx, args)
        .filter(|s| !s.is_empty())
        .map(Arc::new);
    Ok((
        target,
        Encoding::Binary {
            version: args.kmip_version.protocol(),
            secret,
        },
    ))
}

/// The group secret the requests carry: `--secret`, else the config file's; none with
/// `--no-secret`.
pub(super) fn group_secret(ctx: &Context, args: &BenchArgs) -> Option<Secret> {
    if args.no_secret {
        return None;
    }
    args.secret
        .clone()
        .map(Secret::new)
        .or_else(|| ctx.config.secret.clone())
}
