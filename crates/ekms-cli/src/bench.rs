//! `ekms bench`: a KMIP load generator.
//!
//! It drives a KMIP server over one of two transports:
//!
//! - binary TTLV over mutual TLS (`--kmip HOST:PORT`, the client certificate of
//!   `--client-cert`/`--client-key`, the server trusted through `--ca`), in KMIP 1.2, 1.4 or 2.1,
//!   the group secret sent as the Password of a Username and Password credential;
//! - JSON TTLV over HTTPS (`POST /kmip/2_1` of the configured server), as every other command.
//!
//! It first creates the keys the workload needs (an AES-256 key, an ECDSA P-256 or RSA-2048 key
//! pair, an HMAC-SHA256 key), then runs `--connections` tasks, each with one persistent
//! connection sending one request at a time, for `--duration` seconds or `--count` operations
//! after `--warmup` seconds. Latencies go to an HDR histogram per task, merged at the end; the
//! report gives throughput, percentiles and the number of failed operations.

use std::net::ToSocketAddrs;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow, bail};
use clap::{Args, ValueEnum};
use ekms_client::{Client, ClientConfig, ClientIdentity, Secret};
use ekms_kmip::enums::{
    BlockCipherMode, CryptographicAlgorithm, HashingAlgorithm, ObjectType, Operation,
    PaddingMethod, ResultStatus, usage_mask,
};
use ekms_kmip::message::{Credential, Password, RequestBatchItem, RequestHeader};
use ekms_kmip::{ProtocolVersion, RequestMessage, ResponseMessage, Tag, Ttlv};
use hdrhistogram::Histogram;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
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
}

/// Limit of a run.
#[derive(Clone, Copy, Debug)]
enum Limit {
    Duration(Duration),
    Count(u64),
}

/// How connections are made.
#[derive(Clone)]
enum Target {
    Binary {
        addr: std::net::SocketAddr,
        server_name: ServerName<'static>,
        tls: Arc<rustls::ClientConfig>,
        version: ProtocolVersion,
        secret: Option<Arc<Secret>>,
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
    client_cert: Option<(std::path::PathBuf, std::path::PathBuf)>,
}

/// One persistent connection.
enum Connection {
    Binary {
        tls: Box<tokio_rustls::client::TlsStream<TcpStream>>,
        version: ProtocolVersion,
        secret: Option<Arc<Secret>>,
    },
    Json(Client),
}

impl Target {
    fn version(&self) -> ProtocolVersion {
        match self {
            Target::Binary { version, .. } => *version,
            Target::Json { .. } => ProtocolVersion::V2_1,
        }
    }

    async fn connect(&self) -> Result<Connection> {
        match self {
            Target::Binary {
                addr,
                server_name,
                tls,
                version,
                secret,
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
                    version: *version,
                    secret: secret.clone(),
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
                        .with_client_identity(identity),
                )?;
                Ok(Connection::Json(client))
            }
        }
    }
}

impl Connection {
    /// Sends one operation; returns its response payload, or the failure.
    async fn call(&mut self, operation: Operation, payload: Vec<Ttlv>) -> Result<Ttlv> {
        match self {
            Connection::Json(client) => {
                let request = Ttlv::structure(Tag::operation_request(operation.as_u32()), payload);
                let response = client.kmip_2_1(&request).await?;
                if response.tag != Tag::operation_response(operation.as_u32()) {
                    bail!("the answer to {operation:?} is not its response");
                }
                Ok(response)
            }
            Connection::Binary {
                tls,
                version,
                secret,
            } => {
                let mut header = RequestHeader::new(*version);
                if let Some(secret) = secret {
                    header.credentials = vec![Credential::username_and_password(
                        "ekms-bench",
                        Some(Password::from(secret.expose())),
                    )];
                }
                let message =
                    RequestMessage::new(header, vec![RequestBatchItem::new(operation, payload)]);
                let bytes = ekms_kmip::binary::try_to_vec(&message.to_ttlv())
                    .map_err(|e| anyhow!("cannot encode the request: {e}"))?;
                tls.write_all(&bytes).await?;
                tls.flush().await?;
                let mut head = [0u8; 8];
                tls.read_exact(&mut head).await?;
                let total = ekms_kmip::binary::message_length(&head)
                    .map_err(|e| anyhow!("the answer is not TTLV: {e}"))?;
                let mut buf = head.to_vec();
                buf.resize(total.max(8), 0);
                tls.read_exact(&mut buf[8..]).await?;
                let ttlv = ekms_kmip::binary::decode(&buf)
                    .map_err(|e| anyhow!("the answer does not decode: {e}"))?;
                let response = ResponseMessage::from_ttlv_owned(ttlv)
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
                Ok(item.payload.unwrap_or_else(|| {
                    Ttlv::structure(Tag::operation_response(operation.as_u32()), vec![])
                }))
            }
        }
    }

    /// True when an error means the connection is unusable (binary transport).
    fn is_binary(&self) -> bool {
        matches!(self, Connection::Binary { .. })
    }
}

// --- request payloads ---------------------------------------------------------------------------

/// Attributes in the version's shape: a `v1` Template-Attribute of named attributes, or a 2.x
/// structure `v2` of tagged ones. Each attribute is (its 1.x name, its 2.x item).
fn attributes(version: ProtocolVersion, v1: Tag, v2: Tag, items: Vec<(&str, Ttlv)>) -> Ttlv {
    if version.is_v1() {
        let attributes = items
            .into_iter()
            .map(|(name, mut value)| {
                value.tag = Tag::ATTRIBUTE_VALUE;
                Ttlv::structure(
                    Tag::ATTRIBUTE,
                    vec![Ttlv::text(Tag::ATTRIBUTE_NAME, name), value],
                )
            })
            .collect();
        Ttlv::structure(v1, attributes)
    } else {
        Ttlv::structure(v2, items.into_iter().map(|(_, v)| v).collect())
    }
}

fn activation_now() -> (&'static str, Ttlv) {
    let now = time::OffsetDateTime::now_utc().unix_timestamp() - 1;
    ("Activation Date", Ttlv::datetime(Tag::ACTIVATION_DATE, now))
}

fn mask(value: u32) -> Result<i32> {
    i32::try_from(value).map_err(|_| anyhow!("usage mask out of range"))
}

/// Create of an active symmetric key.
fn create_symmetric(
    version: ProtocolVersion,
    algorithm: CryptographicAlgorithm,
    bits: i32,
    usage: u32,
) -> Result<(Operation, Vec<Ttlv>)> {
    let attrs = attributes(
        version,
        Tag::TEMPLATE_ATTRIBUTE,
        Tag::ATTRIBUTES,
        vec![
            (
                "Cryptographic Algorithm",
                Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, algorithm.as_u32()),
            ),
            (
                "Cryptographic Length",
                Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, bits),
            ),
            (
                "Cryptographic Usage Mask",
                Ttlv::integer(Tag::CRYPTOGRAPHIC_USAGE_MASK, mask(usage)?),
            ),
            activation_now(),
        ],
    );
    Ok((
        Operation::Create,
        vec![
            Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SymmetricKey.as_u32()),
            attrs,
        ],
    ))
}

/// CreateKeyPair of an active pair.
fn create_pair(
    version: ProtocolVersion,
    algorithm: CryptographicAlgorithm,
    bits: i32,
) -> (Operation, Vec<Ttlv>) {
    let common = attributes(
        version,
        Tag::COMMON_TEMPLATE_ATTRIBUTE,
        Tag::COMMON_ATTRIBUTES,
        vec![
            (
                "Cryptographic Algorithm",
                Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, algorithm.as_u32()),
            ),
            (
                "Cryptographic Length",
                Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, bits),
            ),
            activation_now(),
        ],
    );
    let (private, public) = if version.is_v1() {
        (
            Tag::PRIVATE_KEY_TEMPLATE_ATTRIBUTE,
            Tag::PUBLIC_KEY_TEMPLATE_ATTRIBUTE,
        )
    } else {
        (Tag::PRIVATE_KEY_ATTRIBUTES, Tag::PUBLIC_KEY_ATTRIBUTES)
    };
    (
        Operation::CreateKeyPair,
        vec![
            common,
            Ttlv::structure(private, vec![]),
            Ttlv::structure(public, vec![]),
        ],
    )
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

fn gcm_parameters() -> Ttlv {
    Ttlv::structure(
        Tag::CRYPTOGRAPHIC_PARAMETERS,
        vec![
            Ttlv::enumeration(Tag::BLOCK_CIPHER_MODE, BlockCipherMode::Gcm.as_u32()),
            Ttlv::enumeration(
                Tag::CRYPTOGRAPHIC_ALGORITHM,
                CryptographicAlgorithm::Aes.as_u32(),
            ),
        ],
    )
}

/// Creates an active AES-256 key; returns its identifier.
async fn create_aes(conn: &mut Connection, version: ProtocolVersion) -> Result<String> {
    let (op, payload) = create_symmetric(
        version,
        CryptographicAlgorithm::Aes,
        256,
        usage_mask::ENCRYPT | usage_mask::DECRYPT,
    )?;
    let r = conn
        .call(op, payload)
        .await
        .context("creating the AES key")?;
    text_of(&r, Tag::UNIQUE_IDENTIFIER)
}

/// The request a workload repeats, prepared once (keys created, ciphertext made).
struct Workload {
    version: ProtocolVersion,
    kind: Prepared,
}

enum Prepared {
    Encrypt {
        uid: String,
        data: Vec<u8>,
    },
    Decrypt {
        uid: String,
        ct: Vec<u8>,
        iv: Vec<u8>,
        tag: Vec<u8>,
    },
    Create,
    Get {
        uid: String,
    },
    Sign {
        uid: String,
        params: Ttlv,
        data: Vec<u8>,
    },
    Mac {
        uid: String,
        data: Vec<u8>,
    },
}

impl Workload {
    async fn prepare(
        conn: &mut Connection,
        version: ProtocolVersion,
        args: &BenchArgs,
    ) -> Result<Self> {
        let data: Vec<u8> = (0..args.payload_size).map(|i| (i % 251) as u8).collect();
        let kind = match args.op {
            BenchOp::Encrypt => Prepared::Encrypt {
                uid: create_aes(conn, version).await?,
                data,
            },
            BenchOp::Decrypt => {
                let uid = create_aes(conn, version).await?;
                let r = conn
                    .call(
                        Operation::Encrypt,
                        vec![
                            Ttlv::text(Tag::UNIQUE_IDENTIFIER, &uid),
                            gcm_parameters(),
                            Ttlv::bytes(Tag::DATA, data),
                        ],
                    )
                    .await
                    .context("making the ciphertext to decrypt")?;
                Prepared::Decrypt {
                    ct: bytes_of(&r, Tag::DATA)?,
                    iv: bytes_of(&r, Tag::IV_COUNTER_NONCE)?,
                    tag: bytes_of(&r, Tag::AUTHENTICATED_ENCRYPTION_TAG)?,
                    uid,
                }
            }
            BenchOp::Create => Prepared::Create,
            BenchOp::Get => Prepared::Get {
                uid: create_aes(conn, version).await?,
            },
            BenchOp::SignEcdsa | BenchOp::SignRsa => {
                let (algorithm, bits, params) = if args.op == BenchOp::SignEcdsa {
                    (
                        CryptographicAlgorithm::Ecdsa,
                        256,
                        vec![Ttlv::enumeration(
                            Tag::HASHING_ALGORITHM,
                            HashingAlgorithm::Sha256.as_u32(),
                        )],
                    )
                } else {
                    (
                        CryptographicAlgorithm::Rsa,
                        2048,
                        vec![
                            Ttlv::enumeration(
                                Tag::PADDING_METHOD,
                                PaddingMethod::Pkcs1V1_5.as_u32(),
                            ),
                            Ttlv::enumeration(
                                Tag::HASHING_ALGORITHM,
                                HashingAlgorithm::Sha256.as_u32(),
                            ),
                        ],
                    )
                };
                let (op, payload) = create_pair(version, algorithm, bits);
                let r = conn
                    .call(op, payload)
                    .await
                    .context("creating the key pair")?;
                Prepared::Sign {
                    uid: text_of(&r, Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER)?,
                    params: Ttlv::structure(Tag::CRYPTOGRAPHIC_PARAMETERS, params),
                    data,
                }
            }
            BenchOp::Hmac => {
                let (op, payload) = create_symmetric(
                    version,
                    CryptographicAlgorithm::HmacSha256,
                    256,
                    usage_mask::MAC_GENERATE | usage_mask::MAC_VERIFY,
                )?;
                let r = conn
                    .call(op, payload)
                    .await
                    .context("creating the HMAC key")?;
                Prepared::Mac {
                    uid: text_of(&r, Tag::UNIQUE_IDENTIFIER)?,
                    data,
                }
            }
        };
        Ok(Workload { version, kind })
    }

    /// The next request.
    fn request(&self) -> Result<(Operation, Vec<Ttlv>)> {
        let uid = |u: &str| Ttlv::text(Tag::UNIQUE_IDENTIFIER, u);
        Ok(match &self.kind {
            Prepared::Encrypt { uid: u, data } => (
                Operation::Encrypt,
                vec![
                    uid(u),
                    gcm_parameters(),
                    Ttlv::bytes(Tag::DATA, data.clone()),
                ],
            ),
            Prepared::Decrypt {
                uid: u,
                ct,
                iv,
                tag,
            } => (
                Operation::Decrypt,
                vec![
                    uid(u),
                    gcm_parameters(),
                    Ttlv::bytes(Tag::DATA, ct.clone()),
                    Ttlv::bytes(Tag::IV_COUNTER_NONCE, iv.clone()),
                    Ttlv::bytes(Tag::AUTHENTICATED_ENCRYPTION_TAG, tag.clone()),
                ],
            ),
            Prepared::Create => create_symmetric(
                self.version,
                CryptographicAlgorithm::Aes,
                256,
                usage_mask::ENCRYPT | usage_mask::DECRYPT,
            )?,
            Prepared::Get { uid: u } => (Operation::Get, vec![uid(u)]),
            Prepared::Sign {
                uid: u,
                params,
                data,
            } => (
                Operation::Sign,
                vec![uid(u), params.clone(), Ttlv::bytes(Tag::DATA, data.clone())],
            ),
            Prepared::Mac { uid: u, data } => (
                Operation::Mac,
                vec![uid(u), Ttlv::bytes(Tag::DATA, data.clone())],
            ),
        })
    }
}

// --- the run ------------------------------------------------------------------------------------

/// What one connection measured.
struct TaskResult {
    histogram: Histogram<u64>,
    errors: u64,
    first_error: Option<String>,
    last_done: Option<Instant>,
}

fn new_histogram() -> Result<Histogram<u64>> {
    // Microseconds, from 1 µs to 10 minutes, 3 significant figures.
    Histogram::new_with_bounds(1, 600_000_000, 3).map_err(|e| anyhow!("histogram: {e}"))
}

async fn worker(
    target: Target,
    workload: Arc<Workload>,
    measure_from: Instant,
    limit: Limit,
    issued: Arc<AtomicU64>,
) -> Result<TaskResult> {
    let mut result = TaskResult {
        histogram: new_histogram()?,
        errors: 0,
        first_error: None,
        last_done: None,
    };
    let mut conn = target.connect().await?;
    loop {
        let now = Instant::now();
        let measured = now >= measure_from;
        if measured {
            match limit {
                Limit::Duration(d) => {
                    if now >= measure_from + d {
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
        let (op, payload) = workload.request()?;
        let start = Instant::now();
        let outcome = conn.call(op, payload).await;
        let done = Instant::now();
        if !measured {
            if outcome.is_err() && conn.is_binary() {
                conn = target.connect().await?;
            }
            continue;
        }
        result.last_done = Some(done);
        match outcome {
            Ok(_) => {
                let micros = u64::try_from(done.duration_since(start).as_micros())
                    .unwrap_or(u64::MAX)
                    .max(1);
                result.histogram.saturating_record(micros);
            }
            Err(e) => {
                result.errors += 1;
                if result.first_error.is_none() {
                    result.first_error = Some(format!("{e:#}"));
                }
                if conn.is_binary() {
                    // The stream may be out of step: start a new connection.
                    conn = target.connect().await?;
                }
            }
        }
    }
    Ok(result)
}

fn binary_target(ctx: &Context, args: &BenchArgs, address: &str) -> Result<Target> {
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
    Ok(Target::Binary {
        addr,
        server_name,
        tls: Arc::new(tls),
        version: args.kmip_version.protocol(),
        secret,
    })
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// `ekms bench`.
pub async fn bench(ctx: &Context, args: &BenchArgs) -> Result<()> {
    if args.connections == 0 {
        bail!("--connections must be at least 1");
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
    let (target, transport) = match &args.kmip {
        Some(address) => (binary_target(ctx, args, address)?, "binary-ttlv"),
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
                }),
            },
            "https-json",
        ),
    };
    if matches!(ctx.trust, TrustChoice::Insecure) {
        eprintln!("warning: --insecure: the server certificate is not checked");
    }
    let version = target.version();
    let mut setup = target.connect().await?;
    let workload = Arc::new(Workload::prepare(&mut setup, version, args).await?);
    drop(setup);

    let issued = Arc::new(AtomicU64::new(0));
    let measure_from = Instant::now() + Duration::from_secs_f64(args.warmup);
    let mut tasks = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        tasks.push(tokio::spawn(worker(
            target.clone(),
            workload.clone(),
            measure_from,
            limit,
            issued.clone(),
        )));
    }
    let mut histogram = new_histogram()?;
    let mut errors = 0u64;
    let mut first_error = None;
    let mut last_done: Option<Instant> = None;
    for task in tasks {
        let r = task
            .await
            .map_err(|e| anyhow!("a connection task failed: {e}"))??;
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
    }
    let elapsed = last_done
        .map(|t| t.saturating_duration_since(measure_from).as_secs_f64())
        .unwrap_or(0.0);
    let ops = histogram.len();
    let rate = if elapsed > 0.0 {
        ops as f64 / elapsed
    } else {
        0.0
    };
    let p = |q: f64| histogram.value_at_quantile(q);
    let report = json!({
        "transport": transport,
        "kmip_version": match &args.kmip {
            Some(_) => args.kmip_version.label(),
            None => "2.1",
        },
        "op": args.op.label(),
        "payload_size": args.payload_size,
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
        "first_error": first_error,
    });
    if ctx.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let ms = |v: u64| v as f64 / 1000.0;
        println!(
            "{} over {transport} (KMIP {}), {} connections",
            args.op.label(),
            report["kmip_version"].as_str().unwrap_or("?"),
            args.connections
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
