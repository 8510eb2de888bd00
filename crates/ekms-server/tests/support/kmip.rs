//! Test support for the whole-message KMIP transports (the binary socket and `POST /kmip`): a
//! throwaway PKI made with rcgen, the real server started with its KMIP listener, a mutual-TLS
//! client that speaks binary TTLV, and request builders in KMIP 1.x and 2.x shapes.
//!
//! Include it next to `support` with `#[path = "support/kmip.rs"] mod kmip;`.
#![allow(dead_code)]

use crate::support::Server;
use ekms_kmip::enums::{
    BatchErrorContinuationOption, CryptographicAlgorithm, NameType, ObjectType, Operation,
    ResultReason, ResultStatus,
};
use ekms_kmip::message::{
    Credential, Password, RequestBatchItem, RequestHeader, RequestMessage, ResponseBatchItem,
};
use ekms_kmip::{FromTtlv, ProtocolVersion, ResponseMessage, Tag, ToTtlv, Ttlv};
use ekms_testkit::ClientCa;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The versions the end-to-end tests run in.
pub const VERSIONS: [ProtocolVersion; 5] = [
    ProtocolVersion::V1_0,
    ProtocolVersion::V1_2,
    ProtocolVersion::V1_4,
    ProtocolVersion::V2_0,
    ProtocolVersion::V2_1,
];

/// A certificate authority for KMIP clients.
pub struct Pki {
    ca: ClientCa,
    /// The CA certificate as a PEM file (what `--kmip-client-ca` names).
    pub ca_file: PathBuf,
}

/// A client certificate and its key.
pub struct ClientIdentity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key_der: Vec<u8>,
}

impl Pki {
    /// A new CA named `name`, its certificate written to `<dir>/<name>.pem`.
    pub fn new(dir: &Path, name: &str) -> Pki {
        let ca = ClientCa::new(dir, name);
        Pki {
            ca_file: ca.ca_file.clone(),
            ca,
        }
    }

    /// A client certificate whose subject common name is `cn`.
    pub fn client(&self, cn: &str) -> ClientIdentity {
        let cert = self.ca.client(cn);
        ClientIdentity {
            chain: vec![CertificateDer::from(cert.cert_der)],
            key_der: cert.key_der,
        }
    }
}

/// A server with its KMIP socket, the PKI its clients come from, and a client of that PKI.
pub struct KmipServer {
    pub server: Server,
    pub kmip_addr: SocketAddr,
    pub pki: Pki,
    pub alice: ClientIdentity,
}

/// The address printed on the server's `kmip listening on <addr>` line.
pub fn kmip_address(server: &Server) -> SocketAddr {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(addr) = server.log().lines().find_map(|l| {
            l.strip_prefix("kmip listening on ")
                .and_then(|a| a.trim().parse().ok())
        }) {
            return addr;
        }
        assert!(
            Instant::now() < deadline,
            "no `kmip listening on` line; log:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl KmipServer {
    /// Starts the server under `root` with a KMIP listener on an ephemeral port.
    pub fn start(root: &Path, extra: &[&str]) -> KmipServer {
        let pki = Pki::new(root, "kmip-clients");
        let ca = pki.ca_file.to_str().unwrap().to_string();
        let mut args = vec!["--kmip-client-ca", &ca, "--kmip-listen", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        let server = Server::start_in(root, &args);
        let kmip_addr = kmip_address(&server);
        let alice = pki.client("alice");
        KmipServer {
            server,
            kmip_addr,
            pki,
            alice,
        }
    }

    /// The server's certificate (PEM), which clients trust.
    pub fn server_cert(&self) -> Vec<u8> {
        std::fs::read(self.server.data_dir.join("certificate.pem")).unwrap()
    }

    /// A connection as alice.
    pub async fn connect(&self) -> KmipClient {
        KmipClient::connect(self.kmip_addr, &self.server_cert(), Some(&self.alice), None)
            .await
            .unwrap()
    }
}

/// A binary KMIP client over mutual TLS.
pub struct KmipClient {
    pub tls: tokio_rustls::client::TlsStream<TcpStream>,
}

impl KmipClient {
    /// Connects and completes the TLS handshake. `tls12` forces TLS 1.2 (`Some(true)`) or 1.3
    /// (`Some(false)`).
    pub async fn connect(
        addr: SocketAddr,
        server_cert_pem: &[u8],
        identity: Option<&ClientIdentity>,
        tls12: Option<bool>,
    ) -> std::io::Result<KmipClient> {
        let config = Self::config(server_cert_pem, identity, tls12);
        Self::connect_with(addr, config).await
    }

    /// The client's TLS configuration (see [`Self::connect`]); connections made with one
    /// configuration share its store of sessions to resume.
    pub fn config(
        server_cert_pem: &[u8],
        identity: Option<&ClientIdentity>,
        tls12: Option<bool>,
    ) -> Arc<rustls::ClientConfig> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        for c in rustls_pemfile::certs(&mut &server_cert_pem[..]) {
            roots.add(c.unwrap()).unwrap();
        }
        let versions: &[&'static rustls::SupportedProtocolVersion] = match tls12 {
            Some(true) => &[&rustls::version::TLS12],
            Some(false) => &[&rustls::version::TLS13],
            None => &[&rustls::version::TLS13, &rustls::version::TLS12],
        };
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .unwrap()
            .with_root_certificates(roots);
        Arc::new(match identity {
            Some(id) => builder
                .with_client_auth_cert(
                    id.chain.clone(),
                    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(id.key_der.clone())),
                )
                .unwrap(),
            None => builder.with_no_client_auth(),
        })
    }

    /// Connects with `config` (from [`Self::config`]) and completes the TLS handshake.
    pub async fn connect_with(
        addr: SocketAddr,
        config: Arc<rustls::ClientConfig>,
    ) -> std::io::Result<KmipClient> {
        let connector = tokio_rustls::TlsConnector::from(config);
        let tcp = TcpStream::connect(addr).await?;
        let tls = connector
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await?;
        Ok(KmipClient { tls })
    }

    /// Writes raw bytes.
    pub async fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.tls.write_all(bytes).await?;
        self.tls.flush().await
    }

    /// Reads one framed TTLV message (within 10 seconds).
    pub async fn read_message(&mut self) -> std::io::Result<Vec<u8>> {
        let read = async {
            let mut header = [0u8; 8];
            self.tls.read_exact(&mut header).await?;
            let total = ekms_kmip::binary::message_length(&header)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
            let mut buf = header.to_vec();
            buf.resize(total, 0);
            self.tls.read_exact(&mut buf[8..]).await?;
            Ok(buf)
        };
        tokio::time::timeout(Duration::from_secs(10), read)
            .await
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))?
    }

    /// Reads one Response Message.
    pub async fn read_response(&mut self) -> ResponseMessage {
        let bytes = self.read_message().await.unwrap();
        decode_response(&bytes)
    }

    /// Whether a Locate by this Name finds an object in the group of `secret`.
    pub async fn finds_name(&mut self, v: ProtocolVersion, secret: &str, name: &str) -> bool {
        let r = self
            .call(&request(v, Some(secret), vec![locate_by_name(v, name)]))
            .await;
        ok_payload(&r.items[0])
            .iter()
            .any(|t| t.tag == Tag::UNIQUE_IDENTIFIER)
    }

    /// Sends a request and reads its response.
    pub async fn call(&mut self, request: &RequestMessage) -> ResponseMessage {
        self.write(&ekms_kmip::binary::to_vec(&request.to_ttlv()))
            .await
            .unwrap();
        self.read_response().await
    }

    /// True when the server has closed the connection (end of stream or an error) within
    /// 10 seconds, with nothing more to read.
    pub async fn is_closed(&mut self) -> bool {
        let mut byte = [0u8; 1];
        match tokio::time::timeout(Duration::from_secs(10), self.tls.read(&mut byte)).await {
            Ok(Ok(0)) | Ok(Err(_)) => true,
            Ok(Ok(_)) | Err(_) => false,
        }
    }
}

pub fn decode_response(bytes: &[u8]) -> ResponseMessage {
    let t = ekms_kmip::binary::decode(bytes).unwrap();
    ResponseMessage::from_ttlv(t).unwrap()
}

// ---------------------------------------------------------------------------------------------
// requests

/// A request header in `version`, with the group secret as the Password of a Username and
/// Password credential (as PyKMIP sends it).
pub fn header(version: ProtocolVersion, secret: Option<&str>) -> RequestHeader {
    let mut h = RequestHeader::new(version);
    if let Some(s) = secret {
        h.credentials = vec![Credential::username_and_password(
            "alice",
            Some(Password::from(s)),
        )];
    }
    h
}

pub fn request(
    version: ProtocolVersion,
    secret: Option<&str>,
    items: Vec<RequestBatchItem>,
) -> RequestMessage {
    RequestMessage::new(header(version, secret), items)
}

pub fn batch(
    version: ProtocolVersion,
    secret: Option<&str>,
    option: Option<BatchErrorContinuationOption>,
    items: Vec<RequestBatchItem>,
) -> RequestMessage {
    let mut m = request(version, secret, items);
    m.header.batch_error_continuation_option = option;
    for (i, item) in m.items.iter_mut().enumerate() {
        item.unique_batch_item_id = Some(vec![i as u8 + 1]);
    }
    m
}

/// A KMIP 1.x Attribute (text name, value).
pub fn attribute_v1(name: &str, mut value: Ttlv) -> Ttlv {
    value.tag = Tag::ATTRIBUTE_VALUE;
    Ttlv::structure(
        Tag::ATTRIBUTE,
        vec![Ttlv::text(Tag::ATTRIBUTE_NAME, name), value],
    )
}

fn name_value(tag: Tag, name: &str) -> Ttlv {
    Ttlv::structure(
        tag,
        vec![
            Ttlv::text(Tag::NAME_VALUE, name),
            Ttlv::enumeration(Tag::NAME_TYPE, NameType::UninterpretedTextString.as_u32()),
        ],
    )
}

/// Create of an AES key of `bits` named `name`: a TemplateAttribute in KMIP 1.x, an
/// Attributes structure in 2.x.
pub fn create_aes(version: ProtocolVersion, bits: i32, name: &str) -> RequestBatchItem {
    let alg = CryptographicAlgorithm::Aes.as_u32();
    let usage = 0x0000_000C; // Encrypt | Decrypt
    let attributes = if version.is_v1() {
        Ttlv::structure(
            Tag::TEMPLATE_ATTRIBUTE,
            vec![
                attribute_v1(
                    "Cryptographic Algorithm",
                    Ttlv::enumeration(Tag::ATTRIBUTE_VALUE, alg),
                ),
                attribute_v1(
                    "Cryptographic Length",
                    Ttlv::integer(Tag::ATTRIBUTE_VALUE, bits),
                ),
                attribute_v1(
                    "Cryptographic Usage Mask",
                    Ttlv::integer(Tag::ATTRIBUTE_VALUE, usage),
                ),
                attribute_v1("Name", name_value(Tag::ATTRIBUTE_VALUE, name)),
            ],
        )
    } else {
        Ttlv::structure(
            Tag::ATTRIBUTES,
            vec![
                Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, alg),
                Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, bits),
                Ttlv::integer(Tag::CRYPTOGRAPHIC_USAGE_MASK, usage),
                name_value(Tag::NAME, name),
            ],
        )
    };
    RequestBatchItem::new(
        Operation::Create,
        vec![
            Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SymmetricKey.as_u32()),
            attributes,
        ],
    )
}

/// A Secret Data object of type Seed holding `bytes` in an Opaque key block (how clients
/// register a password or a key encryption key).
pub fn seed_secret_data(bytes: Vec<u8>) -> Ttlv {
    use ekms_kmip::enums::{KeyFormatType, SecretDataType};
    Ttlv::structure(
        Tag::SECRET_DATA,
        vec![
            Ttlv::enumeration(Tag::SECRET_DATA_TYPE, SecretDataType::Seed.as_u32()),
            Ttlv::structure(
                Tag::KEY_BLOCK,
                vec![
                    Ttlv::enumeration(Tag::KEY_FORMAT_TYPE, KeyFormatType::Opaque.as_u32()),
                    Ttlv::structure(Tag::KEY_VALUE, vec![Ttlv::bytes(Tag::KEY_MATERIAL, bytes)]),
                ],
            ),
        ],
    )
}

/// An operation whose payload is just a UniqueIdentifier (Get, Destroy, Activate, …).
pub fn uid_item(op: Operation, uid: &str) -> RequestBatchItem {
    RequestBatchItem::new(op, vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, uid)])
}

/// Locate by Name, in the version's shape.
pub fn locate_by_name(version: ProtocolVersion, name: &str) -> RequestBatchItem {
    let filter = if version.is_v1() {
        attribute_v1("Name", name_value(Tag::ATTRIBUTE_VALUE, name))
    } else {
        Ttlv::structure(Tag::ATTRIBUTES, vec![name_value(Tag::NAME, name)])
    };
    RequestBatchItem::new(Operation::Locate, vec![filter])
}

// ---------------------------------------------------------------------------------------------
// responses

/// The item's payload fields; panics (with the failure) unless it succeeded.
pub fn ok_payload(item: &ResponseBatchItem) -> &[Ttlv] {
    assert_eq!(
        item.result_status,
        ResultStatus::Success,
        "{:?}: {:?}",
        item.result_reason,
        item.result_message
    );
    item.payload.as_ref().map(|p| p.items()).unwrap_or(&[])
}

pub fn uid_in(item: &ResponseBatchItem) -> String {
    ok_payload(item)
        .iter()
        .find(|t| t.tag == Tag::UNIQUE_IDENTIFIER)
        .and_then(|t| t.as_text())
        .expect("a UniqueIdentifier")
        .to_string()
}

/// The reason of a failed item.
pub fn failure_of(item: &ResponseBatchItem) -> ResultReason {
    assert_eq!(
        item.result_status,
        ResultStatus::OperationFailed,
        "{item:?}"
    );
    item.result_reason
        .expect("a failed item has a ResultReason")
}

/// The raw key bytes of a Get response (Raw or TransparentSymmetricKey).
pub fn key_bytes(item: &ResponseBatchItem) -> Vec<u8> {
    let key = ok_payload(item)
        .iter()
        .find(|t| t.tag == Tag::SYMMETRIC_KEY)
        .expect("a SymmetricKey");
    let material = key
        .child(Tag::KEY_BLOCK)
        .and_then(|b| b.child(Tag::KEY_VALUE))
        .and_then(|v| v.child(Tag::KEY_MATERIAL))
        .expect("KeyBlock/KeyValue/KeyMaterial");
    material
        .as_bytes()
        .or_else(|| material.child(Tag::KEY).and_then(|k| k.as_bytes()))
        .expect("key bytes")
        .to_vec()
}

/// True if `reason` exists in `version` (KMIP 1.0 defined 0x01–0x12 and 0x100; 1.1 added
/// 0x13; 1.2 0x14–0x15; 1.4 0x16–0x18).
pub fn reason_known_in(reason: ResultReason, version: ProtocolVersion) -> bool {
    let v = reason.as_u32();
    if version.is_v2() || v == 0x100 {
        return true;
    }
    let max = match version.minor {
        0 => 0x12,
        1 => 0x13,
        2 | 3 => 0x15,
        _ => 0x18,
    };
    v <= max
}

/// The reason a client of `v` gets for an unknown object: Object Not Found from KMIP 2.0 on,
/// Item Not Found before (1.x has no Object Not Found).
pub fn not_found_in(v: ProtocolVersion) -> ResultReason {
    if v.is_v2() {
        ResultReason::ObjectNotFound
    } else {
        ResultReason::ItemNotFound
    }
}
