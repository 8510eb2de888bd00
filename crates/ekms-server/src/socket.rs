//! The binary KMIP listener: TTLV over mutually authenticated TLS (`--kmip-listen`, port 5696
//! by default), started only when `--kmip-client-ca` is set.
//!
//! This module owns the transport: the TLS configuration (TLS 1.2 and 1.3, the same identity as
//! HTTPS, a client certificate required and verified against the `--kmip-client-ca` CA,
//! sessions resumed by ticket as [`crate::tls::offer_resumption`] says), the
//! user (the client certificate's subject common name), the framing (the 8-byte TTLV header
//! gives the message length; a message over `--max-kmip-message-bytes` is answered with a KMIP
//! error and the connection closed before its body is read), several messages per connection
//! answered in order and timeouts. The cap on open connections, the handshake and idle
//! timeouts (`--header-timeout-seconds`, `--idle-timeout-seconds`) and accept errors are
//! [`crate::connections`]', shared with HTTPS. What a message means is [`crate::protocol`]'s.

use crate::connections::{self, Admit, AfterHandshake, TrackedIo, Tracker};
use crate::groups::{GroupStore, GroupToken};
use crate::protocol::{self, OnWorker, Peer};
use crate::state::AppState;
use crate::tls::TlsIdentity;
use anyhow::{Context, bail};
use ekms_kmip::binary::{self, HEADER_LEN};
use ekms_kmip::enums::ResultReason;
use ekms_kmip::{ResponseMessage, ToTtlv};
use ekms_listen::Handshake;
use rustls::RootCertStore;
use rustls::server::WebPkiClientVerifier;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use zeroize::Zeroizing;

/// How long the rest of a message may take once its header has arrived.
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long writing a response may take.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// After an error answer, how long and how much of what the client still sends is discarded
/// before closing: closing a socket with unread input makes the kernel send a reset, which can
/// destroy the answer before the client reads it.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(1);
const DRAIN_LIMIT: usize = 1 << 20;
/// Buffer reserved up front for a message body; larger bodies grow the buffer as bytes arrive
/// (to the message's size and no further), so a declared length alone never allocates.
const INITIAL_BODY_CAPACITY: usize = 64 * 1024;

/// The bound, not yet serving, KMIP listener.
pub struct KmipListener {
    listener: TcpListener,
    acceptor: TlsAcceptor,
}

/// Binds `--kmip-listen` with a TLS configuration that requires client certificates signed by
/// the CA in `client_ca`.
pub async fn bind(
    addr: &str,
    client_ca: &Path,
    identity: &TlsIdentity,
) -> anyhow::Result<KmipListener> {
    let tls = tls_config(client_ca, identity)?;
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on --kmip-listen {addr}"))?;
    Ok(KmipListener {
        listener,
        acceptor: TlsAcceptor::from(Arc::new(tls)),
    })
}

/// TLS 1.3 and 1.2 with the aws-lc-rs suites. Its TLS 1.2 suites are ECDHE with AES-GCM or
/// ChaCha20-Poly1305, which OpenSSL-based clients such as PyKMIP offer by default; the server
/// certificate is ECDSA P-256 unless the operator provides another.
fn tls_config(client_ca: &Path, identity: &TlsIdentity) -> anyhow::Result<rustls::ServerConfig> {
    let pem = std::fs::read(client_ca)
        .with_context(|| format!("cannot read --kmip-client-ca {}", client_ca.display()))?;
    let mut roots = RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
        let cert = cert.with_context(|| format!("{}: invalid PEM", client_ca.display()))?;
        roots
            .add(cert)
            .with_context(|| format!("{}: not a usable CA certificate", client_ca.display()))?;
    }
    if roots.is_empty() {
        bail!(
            "--kmip-client-ca {} holds no PEM certificate",
            client_ca.display()
        );
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .context("cannot build the KMIP client certificate verifier")?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .context("TLS protocol versions")?
        .with_client_cert_verifier(verifier)
        .with_single_cert(identity.chain.clone(), identity.private_key())
        .context("the TLS certificate and key do not match")?;
    crate::tls::offer_resumption(&mut config)?;
    Ok(config)
}

impl KmipListener {
    /// The bound address (the real port when `--kmip-listen` asked for port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Accepts and serves connections until the process ends; `tracker` (shared with HTTPS)
    /// admits them and ends the ones that wait too long or must make room.
    pub async fn serve(self, state: Arc<AppState>, tracker: Arc<Tracker>) {
        let admit = Admit::new(tracker, "KMIP accept failed");
        let acceptor = self.acceptor;
        ekms_listen::serve(self.listener, admit, move |tcp, peer, tracked| {
            let acceptor = acceptor.clone();
            let state = state.clone();
            async move {
                let _open = crate::metrics::get().connection(crate::metrics::Listener::Kmip);
                let idle = tracked.limits().idle_timeout;
                let serve = async {
                    let tls = match ekms_listen::handshake(
                        &acceptor,
                        tracked.io(tcp),
                        tracked.ended(),
                    )
                    .await
                    {
                        Handshake::Done(s) => s,
                        Handshake::Failed(e) => {
                            tracing::info!(%peer, "KMIP TLS handshake refused: {e}");
                            return;
                        }
                        Handshake::Ended(end) => {
                            tracing::debug!(%peer, "KMIP connection closed: {end}");
                            return;
                        }
                    };
                    tracked.handshake_done(AfterHandshake::Kmip);
                    connection(tls, peer, state, idle, tracked.requests()).await;
                };
                tokio::select! {
                    _ = serve => {}
                    end = tracked.ended() => tracing::debug!(%peer, "KMIP connection closed: {end}"),
                }
            }
        })
        .await
    }
}

/// The TLS stream of one KMIP connection.
type Stream = TlsStream<TrackedIo<TcpStream>>;

/// The subject common name of the client's certificate (verified by then).
fn certificate_user(tls: &Stream) -> Option<String> {
    let cert = tls.get_ref().1.peer_certificates()?.first()?;
    let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref()).ok()?;
    let cn = parsed.subject().iter_common_name().next()?.as_str().ok()?;
    let cn = cn.trim();
    (!cn.is_empty()).then(|| cn.to_string())
}

/// How one message read ended.
enum Read {
    /// A whole message.
    Message(Zeroizing<Vec<u8>>),
    /// The client closed the connection, went idle, or broke the stream: nothing to answer.
    Closed,
    /// Something to answer with an error, after which the connection is closed.
    Refused(String),
}

async fn connection(
    mut tls: Stream,
    peer: SocketAddr,
    state: Arc<AppState>,
    idle: Duration,
    requests: connections::Requests,
) {
    let Some(user) = certificate_user(&tls) else {
        tracing::warn!(%peer, "KMIP client certificate has no subject common name: closing");
        let _ = tls.shutdown().await;
        return;
    };
    tracing::debug!(%peer, user, "KMIP connection");
    let limit = state.config.max_kmip_message_bytes;
    // The lane of the group this connection's last message opened: its next message in a
    // lane operation goes there ([`protocol::lane_candidate`]). A hint only: the message still
    // opens whatever group its own credential names.
    let lane = Arc::new(LaneHint::default());
    let note_lane = {
        let lane = lane.clone();
        move |s: &Arc<dyn GroupStore>, t: &GroupToken| lane.note(s, t)
    };
    loop {
        let bytes = match read_message(&mut tls, limit, idle).await {
            Read::Message(b) => b,
            Read::Closed => break,
            Read::Refused(why) => {
                tracing::info!(%peer, user, "KMIP message refused: {why}");
                let answer = ResponseMessage::error(
                    None,
                    crate::objects::now(),
                    ResultReason::InvalidMessage,
                    why,
                );
                let _ = write_response(&mut tls, &answer).await;
                close_after_error(tls).await;
                return;
            }
        };
        // Decoded on the worker, as `POST /kmip` does (see there why).
        let request = match binary::decode(&bytes) {
            Ok(t) => t,
            Err(e) => {
                tracing::info!(%peer, user, "KMIP message is not valid TTLV: {e}");
                let answer = ResponseMessage::invalid_message(
                    None,
                    crate::objects::now(),
                    format!("the message is not valid TTLV: {e}"),
                );
                let _ = write_response(&mut tls, &answer).await;
                close_after_error(tls).await;
                return;
            }
        };
        // Under way until answered: neither idle nor evictable meanwhile.
        let _request = requests.start();
        // A read of a cached key (or a small Locate) is answered here, on the worker; anything
        // else, or a read that turns out to need the database, on the blocking pool.
        let tried = protocol::process_on_worker(
            &state,
            request,
            &bytes,
            |b| binary::decode(b).ok(),
            &socket_peer(&user, &note_lane),
        );
        let size = bytes.len();
        // Gone before the blocking pool runs the message (the memory bound).
        drop(bytes);
        let response = match tried {
            OnWorker::Answered(response, tickets) => protocol::after_audit(response, tickets).await,
            OnWorker::Blocking(request, mut tickets) => {
                let in_lane = protocol::lane_candidate(&request, size)
                    .then(|| lane.get())
                    .flatten();
                // A message for the lane is read here, on the worker: the lane, the group's one
                // serial part, then only opens the group and runs the operation. Any other is
                // read on the blocking thread, with the rest.
                let message = match in_lane {
                    Some(_) => match protocol::prepare(request) {
                        Ok(prepared) => Ok(prepared),
                        Err(unreadable) => {
                            let answer = protocol::after_audit(*unreadable, tickets).await;
                            if write_response(&mut tls, &answer).await.is_err() {
                                return;
                            }
                            continue;
                        }
                    },
                    None => Err(request),
                };
                let st = state.clone();
                let u = user.clone();
                let hint = lane.clone();
                // The blocking thread goes back to the pool (or on to the lane's next job) once
                // the operations ran; the commit of their queued audit rows, or of the batch
                // they joined, is awaited here ([`protocol::after_audit`]).
                match protocol::off_worker(in_lane, move || {
                    ekms_store::ticket::deferring(|| {
                        let note = move |s: &Arc<dyn GroupStore>, t: &GroupToken| hint.note(s, t);
                        let peer = socket_peer(&u, &note);
                        match message {
                            Ok(prepared) => protocol::run(&st, prepared, &peer),
                            Err(request) => protocol::process(&st, request, &peer),
                        }
                    })
                })
                .await
                {
                    Some((response, more)) => {
                        tickets.extend(more);
                        protocol::after_audit(response, tickets).await
                    }
                    None => {
                        tracing::error!(%peer, "KMIP request processing failed");
                        protocol::internal_failure()
                    }
                }
            }
        };
        if write_response(&mut tls, &response).await.is_err() {
            return;
        }
    }
    let _ = tokio::time::timeout(WRITE_TIMEOUT, tls.shutdown()).await;
}

/// The peer of a socket message: its group is the one its own credential opens, whose lane
/// `lane` notes.
fn socket_peer<'a>(user: &'a str, note: &'a protocol::OnOpen) -> Peer<'a> {
    Peer {
        user,
        header_group: None,
        opened: Some(note),
    }
}

/// The lane of the group a connection's last message opened.
#[derive(Default)]
struct LaneHint(std::sync::Mutex<Option<Arc<ekms_store::lane::Lane>>>);

impl LaneHint {
    fn get(&self) -> Option<Arc<ekms_store::lane::Lane>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Notes the lane of `store`, the group a message opened.
    fn note(&self, store: &Arc<dyn GroupStore>, _: &GroupToken) {
        let lane = store.lane();
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = lane;
    }
}

/// Reads one message: the 8-byte header (waiting at most `idle`), then, if its declared length
/// is within `limit`, the rest (within [`READ_TIMEOUT`]).
async fn read_message<S: AsyncRead + Unpin>(stream: &mut S, limit: u64, idle: Duration) -> Read {
    let mut header = [0u8; HEADER_LEN];
    match tokio::time::timeout(idle, read_header(stream, &mut header)).await {
        Ok(Ok(true)) => {}
        // Clean end, idle, a broken stream or a client gone mid-header: nothing to answer.
        Ok(Ok(false)) | Ok(Err(_)) | Err(_) => return Read::Closed,
    }
    let total = match binary::message_length(&header) {
        Ok(n) => n,
        Err(e) => return Read::Refused(format!("the message is not valid TTLV: {e}")),
    };
    if u64::try_from(total).map_or(true, |t| t > limit) {
        return Read::Refused(format!(
            "the message of {total} bytes is over this server's limit of {limit} bytes"
        ));
    }
    let rest = total.saturating_sub(HEADER_LEN);
    let mut buf = Zeroizing::new(Vec::with_capacity(total.min(INITIAL_BODY_CAPACITY)));
    buf.extend_from_slice(&header);
    let mut body = (&mut *stream).take(u64::try_from(rest).unwrap_or(u64::MAX));
    match tokio::time::timeout(READ_TIMEOUT, read_body(&mut body, &mut buf, total)).await {
        Ok(Ok(_)) if buf.len() == total => Read::Message(buf),
        Ok(Ok(_)) => Read::Closed,
        Ok(Err(_)) => Read::Closed,
        Err(_) => Read::Refused(format!(
            "the message was not received within {} seconds",
            READ_TIMEOUT.as_secs()
        )),
    }
}

/// Reads until `buf` holds `total` bytes or the stream ends. The buffer doubles as bytes
/// arrive but never past `total`, so a message costs its size once (`read_to_end` would round
/// the buffer up to the next power of two).
async fn read_body<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
    total: usize,
) -> std::io::Result<()> {
    while buf.len() < total {
        if buf.len() == buf.capacity() {
            let len = buf.len();
            let target = len.saturating_mul(2).clamp(len + 1, total);
            buf.reserve_exact(target - len);
        }
        if stream.read_buf(buf).await? == 0 {
            break;
        }
    }
    Ok(())
}

/// Fills `header`; Ok(false) when the stream ended before its first byte.
async fn read_header<S: AsyncRead + Unpin>(
    stream: &mut S,
    header: &mut [u8; HEADER_LEN],
) -> std::io::Result<bool> {
    let mut filled = 0;
    while filled < HEADER_LEN {
        let Some(rest) = header.get_mut(filled..) else {
            break;
        };
        let n = stream.read(rest).await?;
        if n == 0 {
            if filled == 0 {
                return Ok(false);
            }
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        filled += n;
    }
    Ok(true)
}

async fn write_response(tls: &mut Stream, response: &ResponseMessage) -> std::io::Result<()> {
    let bytes = match binary::try_to_vec(&response.to_ttlv()) {
        Ok(b) => Zeroizing::new(b),
        Err(e) => {
            tracing::error!("cannot encode a KMIP response: {e}");
            Zeroizing::new(binary::to_vec(&protocol::internal_failure().to_ttlv()))
        }
    };
    let write = async {
        tls.write_all(&bytes).await?;
        tls.flush().await
    };
    match tokio::time::timeout(WRITE_TIMEOUT, write).await {
        Ok(r) => r,
        Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
    }
}

/// Ends a connection after an error answer: TLS close_notify, then a bounded discard of what
/// the client is still sending, so the answer reaches it before the socket closes.
async fn close_after_error(mut tls: Stream) {
    let _ = tokio::time::timeout(WRITE_TIMEOUT, tls.shutdown()).await;
    let (tcp, _) = tls.into_inner();
    let mut tcp = tcp.into_inner();
    let drain = async {
        let mut sink = [0u8; 8192];
        let mut total = 0usize;
        while total < DRAIN_LIMIT {
            match tcp.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(n) => total += n,
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, drain).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDLE: Duration = Duration::from_secs(120);

    #[tokio::test]
    async fn reads_a_whole_message_and_several_in_a_row() {
        let t = ekms_kmip::Ttlv::text(ekms_kmip::Tag::USERNAME, "alice");
        let one = binary::to_vec(&t);
        let mut two = one.clone();
        two.extend_from_slice(&one);
        let mut input = two.as_slice();
        for _ in 0..2 {
            match read_message(&mut input, 1024, IDLE).await {
                Read::Message(b) => assert_eq!(b.as_slice(), one.as_slice()),
                _ => panic!("expected a message"),
            }
        }
        assert!(matches!(
            read_message(&mut input, 1024, IDLE).await,
            Read::Closed
        ));
    }

    #[tokio::test]
    async fn a_message_takes_its_size_once_whatever_its_pace() {
        // 1 MiB of bytes arriving 1,000 bytes at a time: the buffer ends at the message's size,
        // not at the next power of two.
        let t = ekms_kmip::Ttlv::bytes(ekms_kmip::Tag::DATA, vec![7; (1 << 20) + 100]);
        let one = binary::to_vec(&t);
        let (mut client, mut server) = tokio::io::duplex(1000);
        let sent = one.clone();
        let writer = tokio::spawn(async move {
            for c in sent.chunks(1000) {
                client.write_all(c).await.unwrap();
            }
        });
        match read_message(&mut server, 8 << 20, IDLE).await {
            Read::Message(b) => {
                assert_eq!(b.as_slice(), one.as_slice());
                assert_eq!(b.capacity(), one.len());
            }
            _ => panic!("expected a message"),
        }
        writer.await.unwrap();
    }

    #[tokio::test]
    async fn refuses_over_the_limit_from_the_header_alone() {
        // A header declaring 1 MiB, and no body at all: refused without waiting for it.
        let mut header = vec![0x42, 0x00, 0x78, 0x01, 0x00, 0x10, 0x00, 0x00];
        let mut input = header.as_slice();
        match read_message(&mut input, 4096, IDLE).await {
            Read::Refused(why) => assert!(why.contains("over this server's limit"), "{why}"),
            _ => panic!("expected a refusal"),
        }
        // A bad type byte is refused as malformed.
        header[3] = 0x7F;
        let mut input = header.as_slice();
        assert!(matches!(
            read_message(&mut input, 4096, IDLE).await,
            Read::Refused(_)
        ));
    }

    #[tokio::test]
    async fn truncated_streams_are_closed_without_an_answer() {
        let t = ekms_kmip::Ttlv::text(ekms_kmip::Tag::USERNAME, "alice");
        let one = binary::to_vec(&t);
        for cut in [3, 8, one.len() - 1] {
            let mut input = &one[..cut];
            assert!(matches!(
                read_message(&mut input, 1024, IDLE).await,
                Read::Closed
            ));
        }
    }
}
