//! `ekms bench`: a KMIP load generator.
//!
//! It drives a KMIP server over one of two transports:
//!
//! - binary TTLV over mutual TLS (`--kmip HOST:PORT`, the client certificate of
//!   `--client-cert`/`--client-key`, the server trusted through `--ca`), in KMIP 1.2, 1.4 or 2.1,
//!   the group secret sent as the Password of a Username and Password credential;
//! - JSON TTLV over HTTPS (`POST /kmip/2_1` of the configured server), through the same
//!   [`ekms_client::Client`] as every other command.
//!
//! It first makes what the workload needs (an active AES-256 key, an active ECDSA P-256 or
//! RSA-2048 private key, a registered HMAC-SHA256 key, a named key to locate), then runs
//! `--connections` tasks, each with one persistent connection sending one request at a time,
//! for `--duration` seconds or `--count` operations after `--warmup` seconds. Latencies go to an
//! HDR histogram per task, merged at the end; the report gives throughput, percentiles, the
//! number of failed operations and the CPU time the tool itself used per operation.
//!
//! The workloads use only what KMIP 1.x servers commonly implement, so that the same requests
//! measure ekms and other servers (PyKMIP's included): keys are created without an Activation
//! Date and activated with Activate, key pairs name their usage masks, the HMAC key is
//! registered (PyKMIP creates no HMAC key), cipher and signature parameters name the algorithm
//! and the GCM tag length.
//!
//! The generator shares the machine with the server it measures, so its own cost per operation
//! is kept small: the requests of a run are identical, so the request is encoded once and the
//! same bytes are sent every time; a binary answer is read into a buffer reused by the
//! connection and its Result Status is read in place, without building the message (a failed
//! answer is decoded in full, for its error message); a JSON answer is only checked to be the
//! operation's response (HTTP 200 with the `<Operation>Response` tag; ekms answers every failed
//! operation with another status). Every answer is still checked: an operation whose answer is
//! not a success counts as an error.
//!
//! With `--static-answer`, the JSON requests go to a server that answers every POST with a
//! fixed body (nginx, say): any HTTP 200 is a success and nothing is made first (the requests
//! name a placeholder key of the length of ekms's identifiers), so the same client, TLS stack,
//! HTTP version, headers and request bodies measure the machine's HTTPS ceiling. `--http1`
//! offers HTTP/1.1 only (HTTP/2 is offered first otherwise); the report gives the HTTP version
//! the answers came in.

use std::borrow::Cow;
use std::net::ToSocketAddrs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow, bail};
use clap::{Args, ValueEnum};
use ekms_client::{Client, ClientConfig, ClientIdentity, Secret};
use ekms_kmip::enums::{
    BlockCipherMode, CryptographicAlgorithm, HashingAlgorithm, KeyFormatType, NameType, ObjectType,
    Operation, PaddingMethod, ResultStatus, usage_mask,
};
use ekms_kmip::message::{Credential, Password, RequestBatchItem, RequestHeader};
use ekms_kmip::{FromTtlv, ProtocolVersion, RequestMessage, ResponseMessage, Tag, ToTtlv, Ttlv};
use hdrhistogram::Histogram;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use serde::Deserialize;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::context::{Context, TrustChoice};

/// KMIP versions of the binary transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum KmipVersion {
    #[value(name = "1.2")]
    V1_2,
    #[value(name = "1.4")]
    V1_4,
    #[value(name = "2.1")]
    V2_1,
}

impl KmipVersion {
    fn protocol(self) -> ProtocolVersion {
        match self {
            KmipVersion::V1_2 => ProtocolVersion::V1_2,
            KmipVersion::V1_4 => ProtocolVersion::V1_4,
            KmipVersion::V2_1 => ProtocolVersion::V2_1,
        }
    }

    fn label(self) -> &'static str {
        match self {
            KmipVersion::V1_2 => "1.2",
            KmipVersion::V1_4 => "1.4",
            KmipVersion::V2_1 => "2.1",
        }
    }
}

/// The workloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BenchOp {
    /// AES-256-GCM Encrypt of --payload-size bytes
    Encrypt,
    /// AES-256-GCM Decrypt of --payload-size bytes
    Decrypt,
    /// Create of an AES-256 key
    Create,
    /// Get of an AES-256 key
    Get,
    /// Locate of an AES-256 key by its Name (one match)
    Locate,
    /// ECDSA P-256 (SHA-256) Sign of --payload-size bytes
    SignEcdsa,
    /// RSA-2048 PKCS#1 v1.5 (SHA-256) Sign of --payload-size bytes
    SignRsa,
    /// HMAC-SHA256 MAC of --payload-size bytes
    Hmac,
}

impl BenchOp {
    fn label(self) -> &'static str {
        match self {
            BenchOp::Encrypt => "encrypt",
            BenchOp::Decrypt => "decrypt",
            BenchOp::Create => "create",
            BenchOp::Get => "get",
            BenchOp::Locate => "locate",
            BenchOp::SignEcdsa => "sign-ecdsa",
            BenchOp::SignRsa => "sign-rsa",
            BenchOp::Hmac => "hmac",
        }
    }
}

/// `ekms bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Binary TTLV over mutual TLS to this KMIP socket (with --client-cert, --client-key and
    /// --ca); without it, JSON TTLV over HTTPS to the configured server's /kmip/2_1
    #[arg(long, value_name = "HOST:PORT")]
    pub kmip: Option<String>,

    /// KMIP version of the binary transport
    #[arg(long, value_enum, default_value = "2.1", value_name = "VERSION")]
    pub kmip_version: KmipVersion,

    /// Name checked in the KMIP server's certificate [default: the host of --kmip]
    #[arg(long, value_name = "NAME")]
    pub tls_server_name: Option<String>,

    /// Group secret [default: the config file's]
    #[arg(
        long,
        env = "EKMS_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub secret: Option<String>,

    /// The operation measured
    #[arg(long, value_enum, default_value = "encrypt")]
    pub op: BenchOp,

    /// Bytes of data per Encrypt, Decrypt, Sign or MAC
    #[arg(long, default_value_t = 1024, value_name = "BYTES")]
    pub payload_size: usize,

    /// Concurrent connections (one task each, one request at a time)
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub connections: usize,

    /// Seconds of measurement [default: 10 unless --count]
    #[arg(long, value_name = "SECS", conflicts_with = "count")]
    pub duration: Option<f64>,

    /// Operations measured, over all connections
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,

    /// Seconds of unmeasured load before the measurement
    #[arg(long, default_value_t = 0.0, value_name = "SECS")]
    pub warmup: f64,

    /// Threads running the connections, each an event loop of its own with its share of the
    /// connections [default: one per core, at most --connections]
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// Do not read the answer as KMIP: any HTTP 200 is a success. For measuring the HTTPS
    /// ceiling of the machine against a static server (e.g. nginx answering every POST with a
    /// fixed body) with the very requests, client and TLS stack used against ekms; nothing is
    /// created first, the requests name a placeholder key of the length of ekms's identifiers
    #[arg(long, conflicts_with = "kmip")]
    pub static_answer: bool,

    /// Over HTTPS, offer HTTP/1.1 only (one request at a time per connection, as wrk and most
    /// load tools do); without it HTTP/2 is offered first, as every ekms client does
    #[arg(long, conflicts_with = "kmip")]
    pub http1: bool,

    /// Write the body of one successful answer to FILE before the run (e.g. for a static
    /// server to send the same answer)
    #[arg(long, value_name = "FILE")]
    pub save_answer: Option<PathBuf>,
}

/// Limit of a run.
#[derive(Clone, Copy, Debug)]
enum Limit {
    Duration(Duration),
    Count(u64),
}

/// How a request becomes bytes.
#[derive(Clone)]
enum Encoding {
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
    fn version(&self) -> ProtocolVersion {
        match self {
            Encoding::Binary { version, .. } => *version,
            Encoding::Json => ProtocolVersion::V2_1,
        }
    }

    fn encode(&self, operation: Operation, payload: Vec<Ttlv>) -> Result<Vec<u8>> {
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
enum Target {
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
struct JsonConfig {
    server_url: String,
    ctx_trust: TrustChoice,
    secret: Option<Secret>,
    bearer_token: Option<Secret>,
    client_cert: Option<(PathBuf, PathBuf)>,
    http1_only: bool,
}

/// One persistent connection, with the last answer received on it.
enum Connection {
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
    async fn connect(&self) -> Result<Connection> {
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
    async fn exchange(&mut self, request: &[u8]) -> Result<&[u8]> {
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
    async fn call(
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
    fn is_binary(&self) -> bool {
        matches!(self, Connection::Binary { .. })
    }
}

// --- checking answers ---------------------------------------------------------------------------

/// What makes an answer a success.
enum Check {
    /// A binary Response Message whose batch item is a Success (of this operation when it
    /// names one).
    Binary(Operation),
    /// A JSON TTLV operation response with this top-level tag (HTTP 200 is checked already).
    Json(String),
    /// Any HTTP 200 (`--static-answer`).
    Status,
}

impl Check {
    fn new(encoding: &Encoding, static_answer: bool, operation: Operation) -> Self {
        match encoding {
            _ if static_answer => Check::Status,
            Encoding::Binary { .. } => Check::Binary(operation),
            Encoding::Json => Check::Json(format!("{}Response", operation.name())),
        }
    }

    fn verify(&self, answer: &[u8]) -> Result<()> {
        match self {
            Check::Status => Ok(()),
            Check::Binary(operation) => match binary_outcome(answer) {
                Some((status, op))
                    if status == ResultStatus::Success.as_u32()
                        && op.is_none_or(|o| o == operation.as_u32()) =>
                {
                    Ok(())
                }
                // Not the expected success: the full decode says what it is instead.
                _ => binary_payload(answer, *operation).and_then(|_| {
                    Err(anyhow!(
                        "the answer to {operation:?} is not its successful response"
                    ))
                }),
            },
            Check::Json(expected) => {
                /// The top-level tag; the rest of the answer is parsed (it must be JSON) but
                /// not kept.
                #[derive(Deserialize)]
                struct Answer<'a> {
                    #[serde(borrow)]
                    tag: Cow<'a, str>,
                }
                let answer: Answer<'_> = serde_json::from_slice(answer)
                    .map_err(|e| anyhow!("the KMIP answer is not JSON TTLV: {e}"))?;
                if answer.tag != expected.as_str() {
                    bail!("the answer is {}, not {expected}", answer.tag);
                }
                Ok(())
            }
        }
    }
}

/// Item types of binary TTLV that the answer scan reads.
const TTLV_STRUCTURE: u8 = 0x01;
const TTLV_ENUMERATION: u8 = 0x05;

/// The items of a binary TTLV structure's value, as (tag, type, value); ends early at an item
/// that does not fit.
fn ttlv_items(mut rest: &[u8]) -> impl Iterator<Item = (u32, u8, &[u8])> {
    std::iter::from_fn(move || {
        let header = rest.get(..8)?;
        let tag = u32::from_be_bytes([0, header[0], header[1], header[2]]);
        let item_type = header[3];
        let length = usize::try_from(u32::from_be_bytes([
            header[4], header[5], header[6], header[7],
        ]))
        .ok()?;
        let value = rest.get(8..8usize.checked_add(length)?)?;
        // Every item is padded to 8 bytes (a structure's length is a multiple of 8 already).
        let padded = length.checked_add(7)? & !7;
        rest = rest.get(8 + padded..).unwrap_or_default();
        Some((tag, item_type, value))
    })
}

/// The Result Status of the first Batch Item of a binary Response Message, and its Operation
/// when given, read in place; None when the bytes are not shaped so.
fn binary_outcome(message: &[u8]) -> Option<(u32, Option<u32>)> {
    let (tag, item_type, body) = ttlv_items(message).next()?;
    if tag != Tag::RESPONSE_MESSAGE.0 || item_type != TTLV_STRUCTURE {
        return None;
    }
    let (_, _, item) = ttlv_items(body)
        .find(|(tag, item_type, _)| *tag == Tag::BATCH_ITEM.0 && *item_type == TTLV_STRUCTURE)?;
    let mut status = None;
    let mut operation = None;
    for (tag, item_type, value) in ttlv_items(item) {
        if item_type != TTLV_ENUMERATION {
            continue;
        }
        let value = u32::from_be_bytes(value.try_into().ok()?);
        if tag == Tag::RESULT_STATUS.0 {
            status = Some(value);
        } else if tag == Tag::OPERATION.0 {
            operation = Some(value);
        }
    }
    Some((status?, operation))
}

/// Decodes a binary Response Message in full: the payload of its successful batch item, or
/// the failure it reports.
fn binary_payload(message: &[u8], operation: Operation) -> Result<Ttlv> {
    let ttlv = ekms_kmip::binary::decode(message)
        .map_err(|e| anyhow!("the answer does not decode: {e}"))?;
    let response = ResponseMessage::from_ttlv(ttlv)
        .map_err(|e| anyhow!("the answer is not a Response Message: {e}"))?;
    let item = response
        .items
        .into_iter()
        .next()
        .ok_or_else(|| anyhow!("the Response Message has no batch item"))?;
    if item.result_status != ResultStatus::Success {
        bail!(
            "{operation:?} failed: {:?}: {}",
            item.result_reason,
            item.result_message.unwrap_or_default()
        );
    }
    Ok(item
        .payload
        .unwrap_or_else(|| Ttlv::structure(Tag::operation_response(operation.as_u32()), vec![])))
}

// --- request payloads ---------------------------------------------------------------------------

/// Attributes in the version's shape: a `v1` Template-Attribute of named attributes, or a 2.x
/// structure `v2` of tagged ones. Each attribute is (its 1.x name, its 2.x item).
fn attributes(version: ProtocolVersion, v1: Tag, v2: Tag, items: Vec<(&str, Ttlv)>) -> Ttlv {
    Ttlv::structure(
        if version.is_v1() { v1 } else { v2 },
        attribute_items(version, items),
    )
}

/// Attributes as 1.x `Attribute` structures (name and value) or as 2.x tagged items.
fn attribute_items(version: ProtocolVersion, items: Vec<(&str, Ttlv)>) -> Vec<Ttlv> {
    if version.is_v1() {
        items
            .into_iter()
            .map(|(name, mut value)| {
                value.tag = Tag::ATTRIBUTE_VALUE;
                Ttlv::structure(
                    Tag::ATTRIBUTE,
                    vec![Ttlv::text(Tag::ATTRIBUTE_NAME, name), value],
                )
            })
            .collect()
    } else {
        items.into_iter().map(|(_, v)| v).collect()
    }
}

fn mask(value: u32) -> Result<i32> {
    i32::try_from(value).map_err(|_| anyhow!("usage mask out of range"))
}

fn usage(value: u32) -> Result<(&'static str, Ttlv)> {
    Ok((
        "Cryptographic Usage Mask",
        Ttlv::integer(Tag::CRYPTOGRAPHIC_USAGE_MASK, mask(value)?),
    ))
}

fn algorithm(algorithm: CryptographicAlgorithm) -> (&'static str, Ttlv) {
    (
        "Cryptographic Algorithm",
        Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, algorithm.as_u32()),
    )
}

fn length(bits: i32) -> (&'static str, Ttlv) {
    (
        "Cryptographic Length",
        Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, bits),
    )
}

fn name(value: &str) -> (&'static str, Ttlv) {
    (
        "Name",
        Ttlv::structure(
            Tag::NAME,
            vec![
                Ttlv::text(Tag::NAME_VALUE, value),
                Ttlv::enumeration(Tag::NAME_TYPE, NameType::UninterpretedTextString.as_u32()),
            ],
        ),
    )
}

fn uid(u: &str) -> Ttlv {
    Ttlv::text(Tag::UNIQUE_IDENTIFIER, u)
}

/// Create of an AES-256 key for Encrypt and Decrypt, named `name` if given. Without an
/// Activation Date (PyKMIP refuses the attribute), so it is pre-active until activated.
fn create_aes(version: ProtocolVersion, key_name: Option<&str>) -> Result<(Operation, Vec<Ttlv>)> {
    let mut items = vec![
        algorithm(CryptographicAlgorithm::Aes),
        length(256),
        usage(usage_mask::ENCRYPT | usage_mask::DECRYPT)?,
    ];
    items.extend(key_name.map(name));
    Ok((
        Operation::Create,
        vec![
            Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SymmetricKey.as_u32()),
            attributes(version, Tag::TEMPLATE_ATTRIBUTE, Tag::ATTRIBUTES, items),
        ],
    ))
}

/// CreateKeyPair: a private key for Sign, a public key for Verify.
fn create_pair(
    version: ProtocolVersion,
    pair_algorithm: CryptographicAlgorithm,
    bits: i32,
) -> Result<(Operation, Vec<Ttlv>)> {
    let (common, private, public) = if version.is_v1() {
        (
            Tag::COMMON_TEMPLATE_ATTRIBUTE,
            Tag::PRIVATE_KEY_TEMPLATE_ATTRIBUTE,
            Tag::PUBLIC_KEY_TEMPLATE_ATTRIBUTE,
        )
    } else {
        (
            Tag::COMMON_ATTRIBUTES,
            Tag::PRIVATE_KEY_ATTRIBUTES,
            Tag::PUBLIC_KEY_ATTRIBUTES,
        )
    };
    Ok((
        Operation::CreateKeyPair,
        vec![
            Ttlv::structure(
                common,
                attribute_items(version, vec![algorithm(pair_algorithm), length(bits)]),
            ),
            Ttlv::structure(
                private,
                attribute_items(version, vec![usage(usage_mask::SIGN)?]),
            ),
            Ttlv::structure(
                public,
                attribute_items(version, vec![usage(usage_mask::VERIFY)?]),
            ),
        ],
    ))
}

/// Register of a 256-bit HMAC-SHA256 key (raw bytes) for MAC.
fn register_hmac(version: ProtocolVersion, key: Vec<u8>) -> Result<(Operation, Vec<Ttlv>)> {
    let bits = i32::try_from(key.len() * 8).map_err(|_| anyhow!("HMAC key too long"))?;
    Ok((
        Operation::Register,
        vec![
            Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SymmetricKey.as_u32()),
            attributes(
                version,
                Tag::TEMPLATE_ATTRIBUTE,
                Tag::ATTRIBUTES,
                vec![usage(usage_mask::MAC_GENERATE | usage_mask::MAC_VERIFY)?],
            ),
            Ttlv::structure(
                Tag::SYMMETRIC_KEY,
                vec![Ttlv::structure(
                    Tag::KEY_BLOCK,
                    vec![
                        Ttlv::enumeration(Tag::KEY_FORMAT_TYPE, KeyFormatType::Raw.as_u32()),
                        Ttlv::structure(Tag::KEY_VALUE, vec![Ttlv::bytes(Tag::KEY_MATERIAL, key)]),
                        Ttlv::enumeration(
                            Tag::CRYPTOGRAPHIC_ALGORITHM,
                            CryptographicAlgorithm::HmacSha256.as_u32(),
                        ),
                        Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, bits),
                    ],
                )],
            ),
        ],
    ))
}

/// AES-GCM with a 16-byte tag (PyKMIP requires the Tag Length in GCM mode).
fn gcm_parameters() -> Ttlv {
    Ttlv::structure(
        Tag::CRYPTOGRAPHIC_PARAMETERS,
        vec![
            Ttlv::enumeration(Tag::BLOCK_CIPHER_MODE, BlockCipherMode::Gcm.as_u32()),
            Ttlv::enumeration(
                Tag::CRYPTOGRAPHIC_ALGORITHM,
                CryptographicAlgorithm::Aes.as_u32(),
            ),
            Ttlv::integer(Tag::TAG_LENGTH, 16),
        ],
    )
}

/// The signature parameters of a sign workload, and the key pair it needs.
fn signature(op: BenchOp) -> (CryptographicAlgorithm, i32, Ttlv) {
    let (alg, bits, mut items) = if op == BenchOp::SignEcdsa {
        (CryptographicAlgorithm::Ecdsa, 256, vec![])
    } else {
        (
            CryptographicAlgorithm::Rsa,
            2048,
            vec![Ttlv::enumeration(
                Tag::PADDING_METHOD,
                PaddingMethod::Pkcs1V1_5.as_u32(),
            )],
        )
    };
    items.push(Ttlv::enumeration(
        Tag::HASHING_ALGORITHM,
        HashingAlgorithm::Sha256.as_u32(),
    ));
    items.push(Ttlv::enumeration(
        Tag::CRYPTOGRAPHIC_ALGORITHM,
        alg.as_u32(),
    ));
    (
        alg,
        bits,
        Ttlv::structure(Tag::CRYPTOGRAPHIC_PARAMETERS, items),
    )
}

fn encrypt(u: &str, data: Vec<u8>) -> (Operation, Vec<Ttlv>) {
    (
        Operation::Encrypt,
        vec![uid(u), gcm_parameters(), Ttlv::bytes(Tag::DATA, data)],
    )
}

fn decrypt(u: &str, ct: Vec<u8>, iv: Vec<u8>, tag: Vec<u8>) -> (Operation, Vec<Ttlv>) {
    (
        Operation::Decrypt,
        vec![
            uid(u),
            gcm_parameters(),
            Ttlv::bytes(Tag::DATA, ct),
            Ttlv::bytes(Tag::IV_COUNTER_NONCE, iv),
            Ttlv::bytes(Tag::AUTHENTICATED_ENCRYPTION_TAG, tag),
        ],
    )
}

/// Locate by Name: 1.x `Attribute`s in the payload, or a 2.x `Attributes` structure.
fn locate(version: ProtocolVersion, key_name: &str) -> (Operation, Vec<Ttlv>) {
    let filter = attribute_items(version, vec![name(key_name)]);
    let payload = if version.is_v1() {
        filter
    } else {
        vec![Ttlv::structure(Tag::ATTRIBUTES, filter)]
    };
    (Operation::Locate, payload)
}

fn sign(u: &str, params: Ttlv, data: Vec<u8>) -> (Operation, Vec<Ttlv>) {
    (
        Operation::Sign,
        vec![uid(u), params, Ttlv::bytes(Tag::DATA, data)],
    )
}

fn mac(u: &str, data: Vec<u8>) -> (Operation, Vec<Ttlv>) {
    (Operation::Mac, vec![uid(u), Ttlv::bytes(Tag::DATA, data)])
}

fn text_of(payload: &Ttlv, tag: Tag) -> Result<String> {
    payload
        .child(tag)
        .and_then(Ttlv::as_text)
        .map(str::to_string)
        .ok_or_else(|| anyhow!("the response has no {}", tag.name().unwrap_or("field")))
}

fn bytes_of(payload: &Ttlv, tag: Tag) -> Result<Vec<u8>> {
    payload
        .child(tag)
        .and_then(Ttlv::as_bytes)
        .map(<[u8]>::to_vec)
        .ok_or_else(|| anyhow!("the response has no {}", tag.name().unwrap_or("field")))
}

/// A key identifier of ekms's length (a UUID), for requests that no server reads as KMIP.
const PLACEHOLDER_UID: &str = "00000000-0000-4000-8000-000000000000";
/// Sizes of the AES-GCM nonce and tag ekms answers, for a placeholder Decrypt.
const GCM_IV_BYTES: usize = 12;
const GCM_TAG_BYTES: usize = 16;

/// A Name of fixed length, unique enough for a run: the key a Locate finds, and only it.
fn run_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default();
    format!("ekms-bench-{:016x}", nanos ^ u64::from(std::process::id()))
}

/// Creates a key (or a pair, or registers one) and activates it; returns its identifier (the
/// private key's for a pair).
async fn active_key(
    conn: &mut Connection,
    encoding: &Encoding,
    (op, payload): (Operation, Vec<Ttlv>),
    uid_tag: Tag,
    what: &str,
) -> Result<String> {
    let r = conn
        .call(encoding, op, payload)
        .await
        .with_context(|| format!("creating the {what}"))?;
    let u = text_of(&r, uid_tag)?;
    conn.call(encoding, Operation::Activate, vec![uid(&u)])
        .await
        .with_context(|| format!("activating the {what}"))?;
    Ok(u)
}

/// An active AES-256 key for Encrypt and Decrypt.
async fn active_aes(conn: &mut Connection, encoding: &Encoding) -> Result<String> {
    let request = create_aes(encoding.version(), None)?;
    active_key(conn, encoding, request, Tag::UNIQUE_IDENTIFIER, "AES key").await
}

/// Makes what the workload needs on the server; returns the request the run repeats.
async fn prepare(
    conn: &mut Connection,
    encoding: &Encoding,
    args: &BenchArgs,
    data: Vec<u8>,
) -> Result<(Operation, Vec<Ttlv>)> {
    let version = encoding.version();
    Ok(match args.op {
        BenchOp::Encrypt => encrypt(&active_aes(conn, encoding).await?, data),
        BenchOp::Decrypt => {
            let u = active_aes(conn, encoding).await?;
            let (op, payload) = encrypt(&u, data);
            let r = conn
                .call(encoding, op, payload)
                .await
                .context("making the ciphertext to decrypt")?;
            decrypt(
                &u,
                bytes_of(&r, Tag::DATA)?,
                bytes_of(&r, Tag::IV_COUNTER_NONCE)?,
                bytes_of(&r, Tag::AUTHENTICATED_ENCRYPTION_TAG)?,
            )
        }
        BenchOp::Create => create_aes(version, None)?,
        BenchOp::Get => (
            Operation::Get,
            vec![uid(&active_aes(conn, encoding).await?)],
        ),
        BenchOp::Locate => {
            let key_name = run_name();
            let (op, payload) = create_aes(version, Some(&key_name))?;
            let r = conn
                .call(encoding, op, payload)
                .await
                .context("creating the AES key to locate")?;
            let u = text_of(&r, Tag::UNIQUE_IDENTIFIER)?;
            // The run measures a Locate that finds the key: check it does once.
            let (op, payload) = locate(version, &key_name);
            let r = conn
                .call(encoding, op, payload.clone())
                .await
                .context("locating the key by its name")?;
            let found: Vec<&str> = r
                .children(Tag::UNIQUE_IDENTIFIER)
                .filter_map(Ttlv::as_text)
                .collect();
            if found != [u.as_str()] {
                bail!("Locate by the Name {key_name} found {found:?}, not the key {u} alone");
            }
            (op, payload)
        }
        BenchOp::SignEcdsa | BenchOp::SignRsa => {
            let (alg, bits, params) = signature(args.op);
            let u = active_key(
                conn,
                encoding,
                create_pair(version, alg, bits)?,
                Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER,
                "key pair",
            )
            .await?;
            sign(&u, params, data)
        }
        BenchOp::Hmac => {
            let key = ekms_crypto::rand::random_bytes(32)
                .map_err(|e| anyhow!("no random bytes for the HMAC key: {e}"))?;
            let u = active_key(
                conn,
                encoding,
                register_hmac(version, key)?,
                Tag::UNIQUE_IDENTIFIER,
                "HMAC key",
            )
            .await?;
            mac(&u, data)
        }
    })
}

/// The request of a workload for `--static-answer`: the shape and sizes of the real one, with
/// a placeholder key.
fn placeholder(
    encoding: &Encoding,
    args: &BenchArgs,
    data: Vec<u8>,
) -> Result<(Operation, Vec<Ttlv>)> {
    let u = PLACEHOLDER_UID;
    let version = encoding.version();
    Ok(match args.op {
        BenchOp::Encrypt => encrypt(u, data),
        BenchOp::Decrypt => decrypt(u, data, vec![0; GCM_IV_BYTES], vec![0; GCM_TAG_BYTES]),
        BenchOp::Create => create_aes(version, None)?,
        BenchOp::Get => (Operation::Get, vec![uid(u)]),
        BenchOp::Locate => locate(version, &run_name()),
        BenchOp::SignEcdsa | BenchOp::SignRsa => sign(u, signature(args.op).2, data),
        BenchOp::Hmac => mac(u, data),
    })
}

// --- the run ------------------------------------------------------------------------------------

/// The request every task sends, encoded once, and how its answer is judged.
struct Request {
    bytes: Vec<u8>,
    check: Check,
}

/// What one connection measured.
struct TaskResult {
    histogram: Histogram<u64>,
    errors: u64,
    first_error: Option<String>,
    last_done: Option<Instant>,
    /// Size of the last successful answer.
    answer_bytes: Option<usize>,
    /// The HTTP version the answers came in (HTTPS transport).
    http_version: Option<&'static str>,
}

fn new_histogram() -> Result<Histogram<u64>> {
    // Microseconds, from 1 µs to 10 minutes, 3 significant figures.
    Histogram::new_with_bounds(1, 600_000_000, 3).map_err(|e| anyhow!("histogram: {e}"))
}

async fn worker(
    target: Target,
    request: Arc<Request>,
    measure_from: Instant,
    limit: Limit,
    issued: Arc<AtomicU64>,
) -> Result<TaskResult> {
    let mut result = TaskResult {
        histogram: new_histogram()?,
        errors: 0,
        first_error: None,
        last_done: None,
        answer_bytes: None,
        http_version: None,
    };
    let mut conn = target.connect().await?;
    // One clock reading per operation: the end of one is the start of the next.
    let mut start = Instant::now();
    loop {
        let measured = start >= measure_from;
        if measured {
            match limit {
                Limit::Duration(d) => {
                    if start >= measure_from + d {
                        break;
                    }
                }
                Limit::Count(n) => {
                    if issued.fetch_add(1, Ordering::Relaxed) >= n {
                        break;
                    }
                }
            }
        }
        let outcome = match conn.exchange(&request.bytes).await {
            Ok(answer) => request.check.verify(answer).map(|()| answer.len()),
            Err(e) => Err(e),
        };
        let done = Instant::now();
        let failed = outcome.is_err();
        if measured {
            result.last_done = Some(done);
            match outcome {
                Ok(size) => {
                    let micros = u64::try_from(done.duration_since(start).as_micros())
                        .unwrap_or(u64::MAX)
                        .max(1);
                    result.histogram.saturating_record(micros);
                    result.answer_bytes = Some(size);
                }
                Err(e) => {
                    result.errors += 1;
                    if result.first_error.is_none() {
                        result.first_error = Some(format!("{e:#}"));
                    }
                }
            }
        }
        if let Connection::Json { client, .. } = &conn {
            result.http_version = client.last_http_version();
        }
        if failed && conn.is_binary() {
            // The stream may be out of step: start a new connection.
            conn = target.connect().await?;
            start = Instant::now();
        } else {
            start = done;
        }
    }
    Ok(result)
}

/// CPU time (user and system) this process has used, in seconds; None off Linux.
fn process_cpu_seconds() -> Option<f64> {
    // proc(5): utime and stime are fields 14 and 15 of /proc/self/stat, in clock ticks of
    // USER_HZ, which Linux fixes at 100 for user space on the architectures we build for.
    // Fields are counted after the command name, which is in parentheses and may hold spaces.
    const TICKS_PER_SECOND: f64 = 100.0;
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let (_, after_name) = stat.rsplit_once(')')?;
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / TICKS_PER_SECOND)
}

fn binary_target(ctx: &Context, args: &BenchArgs, address: &str) -> Result<(Target, Encoding)> {
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
    for c in rustls_pemfile::certs(&mut read(&ca)?.as_slice()) {
        roots
            .add(c.with_context(|| format!("{}: bad PEM", ca.display()))?)
            .with_context(|| format!("{}: not a certificate", ca.display()))?;
    }
    let chain: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut read(&cert)?.as_slice())
        .collect::<std::result::Result<_, _>>()
        .with_context(|| format!("{}: bad PEM", cert.display()))?;
    if chain.is_empty() {
        bail!("{}: no certificate", cert.display());
    }
    let key_der: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut read(&key)?.as_slice())
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

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// `ekms bench`.
pub async fn bench(ctx: &Context, args: &BenchArgs) -> Result<()> {
    if args.connections == 0 {
        bail!("--connections must be at least 1");
    }
    if args.threads == Some(0) {
        bail!("--threads must be at least 1");
    }
    if !(args.warmup.is_finite() && args.warmup >= 0.0) {
        bail!("--warmup must be a number of seconds, 0 or more");
    }
    let limit = match (args.duration, args.count) {
        (_, Some(0)) => bail!("--count must be at least 1"),
        (_, Some(n)) => Limit::Count(n),
        (Some(d), None) if d.is_finite() && d > 0.0 => Limit::Duration(Duration::from_secs_f64(d)),
        (Some(_), None) => bail!("--duration must be a positive number of seconds"),
        (None, None) => Limit::Duration(Duration::from_secs(10)),
    };
    let (target, encoding, transport) = match &args.kmip {
        Some(address) => {
            let (target, encoding) = binary_target(ctx, args, address)?;
            (target, encoding, "binary-ttlv")
        }
        None => (
            Target::Json {
                config: Arc::new(JsonConfig {
                    server_url: ctx.server_url.clone(),
                    ctx_trust: ctx.trust.clone(),
                    secret: args
                        .secret
                        .clone()
                        .map(Secret::new)
                        .or_else(|| ctx.config.secret.clone()),
                    bearer_token: ctx.bearer_token.clone(),
                    client_cert: ctx.client_cert.clone(),
                    http1_only: args.http1,
                }),
            },
            Encoding::Json,
            "https-json",
        ),
    };
    if matches!(ctx.trust, TrustChoice::Insecure) {
        eprintln!("warning: --insecure: the server certificate is not checked");
    }
    let data: Vec<u8> = (0..args.payload_size).map(|i| (i % 251) as u8).collect();
    let mut setup = target.connect().await?;
    let (operation, payload) = if args.static_answer {
        placeholder(&encoding, args, data)?
    } else {
        prepare(&mut setup, &encoding, args, data).await?
    };
    let request = Arc::new(Request {
        bytes: encoding.encode(operation, payload)?,
        check: Check::new(&encoding, args.static_answer, operation),
    });
    if let Some(path) = &args.save_answer {
        let answer = setup
            .exchange(&request.bytes)
            .await
            .context("sending the request whose answer --save-answer keeps")?;
        request.check.verify(answer)?;
        std::fs::write(path, answer).with_context(|| format!("cannot write {}", path.display()))?;
    }
    drop(setup);

    let issued = Arc::new(AtomicU64::new(0));
    let measure_from = Instant::now() + Duration::from_secs_f64(args.warmup);
    // The CPU time used before the measurement starts (set-up, connections, warm-up) is not
    // the measurement's: read the counter when it starts.
    let cpu_at_start = tokio::spawn(async move {
        tokio::time::sleep_until(measure_from.into()).await;
        process_cpu_seconds()
    });
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .clamp(1, args.connections);
    let mut loops = Vec::with_capacity(threads);
    for index in 0..threads {
        // The connections, spread evenly over the threads.
        let connections =
            args.connections / threads + usize::from(index < args.connections % threads);
        let (target, request, issued) = (target.clone(), request.clone(), issued.clone());
        let run = move || -> Result<Vec<TaskResult>> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("cannot start an event loop")?;
            runtime.block_on(async move {
                let tasks: Vec<_> = (0..connections)
                    .map(|_| {
                        tokio::spawn(worker(
                            target.clone(),
                            request.clone(),
                            measure_from,
                            limit,
                            issued.clone(),
                        ))
                    })
                    .collect();
                let mut results = Vec::with_capacity(tasks.len());
                for task in tasks {
                    results.push(
                        task.await
                            .map_err(|e| anyhow!("a connection task failed: {e}"))??,
                    );
                }
                Ok(results)
            })
        };
        loops.push(
            std::thread::Builder::new()
                .name(format!("ekms-bench-{index}"))
                .spawn(run)
                .context("cannot start a thread")?,
        );
    }
    let results = tokio::task::spawn_blocking(move || {
        loops
            .into_iter()
            .map(|thread| {
                thread
                    .join()
                    .map_err(|_| anyhow!("a bench thread panicked"))?
            })
            .collect::<Result<Vec<Vec<TaskResult>>>>()
    })
    .await
    .map_err(|e| anyhow!("the bench threads could not be joined: {e}"))??;
    let mut histogram = new_histogram()?;
    let mut errors = 0u64;
    let mut first_error = None;
    let mut last_done: Option<Instant> = None;
    let mut answer_bytes = None;
    let mut http_versions: Vec<&str> = Vec::new();
    for r in results.into_iter().flatten() {
        if let Some(v) = r.http_version
            && !http_versions.contains(&v)
        {
            http_versions.push(v);
        }
        histogram
            .add(&r.histogram)
            .map_err(|e| anyhow!("histogram: {e}"))?;
        errors += r.errors;
        if first_error.is_none() {
            first_error = r.first_error;
        }
        last_done = match (last_done, r.last_done) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        answer_bytes = answer_bytes.max(r.answer_bytes);
    }
    let cpu_seconds = match (cpu_at_start.await.ok().flatten(), process_cpu_seconds()) {
        (Some(a), Some(b)) => Some((b - a).max(0.0)),
        _ => None,
    };
    let elapsed = last_done
        .map(|t| t.saturating_duration_since(measure_from).as_secs_f64())
        .unwrap_or(0.0);
    let ops = histogram.len();
    let rate = if elapsed > 0.0 {
        ops as f64 / elapsed
    } else {
        0.0
    };
    let attempted = ops + errors;
    // The counter ticks every 10 ms: below half a second of CPU, a figure per operation would
    // be mostly rounding.
    let cpu_per_op = cpu_seconds
        .filter(|s| attempted > 0 && *s >= 0.5)
        .map(|s| s * 1e6 / attempted as f64);
    let p = |q: f64| histogram.value_at_quantile(q);
    let report = json!({
        "transport": transport,
        "kmip_version": match &args.kmip {
            Some(_) => args.kmip_version.label(),
            None => "2.1",
        },
        "op": args.op.label(),
        "static_answer": args.static_answer,
        // As the answers came (one entry unless connections negotiated differently).
        "http_version": http_versions.join(", "),
        "payload_size": args.payload_size,
        "request_bytes": request.bytes.len(),
        "answer_bytes": answer_bytes,
        "connections": args.connections,
        "warmup_seconds": args.warmup,
        "elapsed_seconds": elapsed,
        "ops": ops,
        "errors": errors,
        "ops_per_second": rate,
        "latency_us": {
            "min": histogram.min(),
            "mean": histogram.mean(),
            "p50": p(0.5),
            "p90": p(0.9),
            "p99": p(0.99),
            "p99_9": p(0.999),
            "max": histogram.max(),
        },
        "client_cpu_seconds": cpu_seconds,
        "client_cpu_us_per_op": cpu_per_op,
        "first_error": first_error,
    });
    if ctx.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let ms = |v: u64| v as f64 / 1000.0;
        println!(
            "{} over {transport} (KMIP {}), {} connections{}",
            args.op.label(),
            report["kmip_version"].as_str().unwrap_or("?"),
            args.connections,
            if args.static_answer {
                ", static answers (any HTTP 200 is a success)"
            } else {
                ""
            }
        );
        println!("ops:        {ops} in {elapsed:.2} s");
        println!("throughput: {rate:.0} ops/s");
        println!(
            "latency:    p50 {:.3} ms  p90 {:.3} ms  p99 {:.3} ms  p99.9 {:.3} ms  max {:.3} ms",
            ms(p(0.5)),
            ms(p(0.9)),
            ms(p(0.99)),
            ms(p(0.999)),
            ms(histogram.max())
        );
        println!("errors:     {errors}");
        if let Some(us) = cpu_per_op {
            println!("bench CPU:  {us:.1} µs per operation (this process)");
        }
        if let Some(e) = &first_error {
            println!("first error: {e}");
        }
    }
    if ops == 0 && errors > 0 {
        bail!(
            "every operation failed: {}",
            first_error.unwrap_or_default()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ekms_kmip::message::{ResponseBatchItem, ResponseHeader};

    fn response(status: ResultStatus, operation: Operation) -> Vec<u8> {
        let request = RequestBatchItem::new(operation, vec![]);
        let mut item = ResponseBatchItem::success(&request, vec![]);
        item.result_status = status;
        let message = ResponseMessage::new(
            ResponseHeader::new(ProtocolVersion::V1_4, 1_700_000_000),
            vec![item],
        );
        ekms_kmip::binary::to_vec(&message.to_ttlv())
    }

    #[test]
    fn binary_answers_are_read_in_place() {
        let ok = response(ResultStatus::Success, Operation::Encrypt);
        assert_eq!(
            binary_outcome(&ok),
            Some((
                ResultStatus::Success.as_u32(),
                Some(Operation::Encrypt.as_u32())
            ))
        );
        assert!(Check::Binary(Operation::Encrypt).verify(&ok).is_ok());
        // Another operation's success is not this one's.
        assert!(Check::Binary(Operation::Get).verify(&ok).is_err());
        let failed = response(ResultStatus::OperationFailed, Operation::Encrypt);
        assert!(Check::Binary(Operation::Encrypt).verify(&failed).is_err());
        // Truncated or foreign bytes are not a success.
        assert!(
            Check::Binary(Operation::Encrypt)
                .verify(&ok[..ok.len() - 8])
                .is_err()
        );
        assert!(
            Check::Binary(Operation::Encrypt)
                .verify(b"HTTP/1.1 200 OK\r\n")
                .is_err()
        );
    }

    #[test]
    fn json_answers_must_be_the_operation_response() {
        let check = Check::Json("EncryptResponse".into());
        assert!(
            check
                .verify(br#"{"tag":"EncryptResponse","type":"Structure","value":[]}"#)
                .is_ok()
        );
        assert!(
            check
                .verify(br#"{"type":"Structure","value":[],"tag":"EncryptResponse"}"#)
                .is_ok()
        );
        assert!(
            check
                .verify(br#"{"tag":"DecryptResponse","type":"Structure","value":[]}"#)
                .is_err()
        );
        assert!(check.verify(br#"{"tag":"EncryptResponse""#).is_err());
        assert!(check.verify(b"<html>ok</html>").is_err());
        assert!(Check::Status.verify(b"<html>ok</html>").is_ok());
    }

    #[test]
    fn cpu_time_is_read() {
        if cfg!(target_os = "linux") {
            assert!(process_cpu_seconds().is_some());
        }
    }
}
