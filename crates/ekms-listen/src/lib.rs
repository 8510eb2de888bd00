//! The accept loop of ekms's TLS listeners, shared by `ekms-server` (HTTPS and the KMIP
//! socket) and `ekms-attest` (HTTPS): [`serve`] accepts TCP connections, asks an
//! [`Admission`] whether each may stay, pauses after an accept error instead of spinning, and
//! serves every admitted connection in a task of its own; [`handshake`] runs a connection's TLS
//! handshake until it completes, fails, or something else ends the connection first, and on
//! success acknowledges at once what the client sent ([`acknowledge_now`]). [`Batched`] gathers
//! the small socket reads and writes of TLS into fewer, larger ones.
//!
//! Who is admitted, how accept errors are reported and what is served after the handshake stay
//! with each listener. No HTTP, no KMIP, no store here.

#![forbid(unsafe_code)]

mod batched;
pub use batched::{BLOCK, Batched};

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// How long the accept loop pauses after an error (out of file descriptors, for one), so that
/// it does not spin while the error lasts.
pub const ACCEPT_PAUSE: Duration = Duration::from_millis(20);

/// Which accepted connections a listener keeps, and what it does about accept errors.
pub trait Admission {
    /// What an admitted connection holds for as long as it is open (for the server, its entry
    /// in the connection tracker; for a listener without a cap, nothing).
    type Ticket;

    /// Admits a connection just accepted, or `None` to close it at once.
    fn admit(&self) -> Option<Self::Ticket>;

    /// An accept error: report it, make room if it says descriptors ran out. The loop pauses
    /// [`ACCEPT_PAUSE`] afterwards.
    fn accept_failed(&self, error: &io::Error);
}

/// Accepts the next connection `admission` admits, with Nagle's algorithm off (answers are
/// small and must not wait for an acknowledgement).
pub async fn accept<A: Admission>(
    listener: &TcpListener,
    admission: &A,
) -> (TcpStream, SocketAddr, A::Ticket) {
    loop {
        match listener.accept().await {
            Ok((tcp, peer)) => match admission.admit() {
                Some(ticket) => {
                    let _ = tcp.set_nodelay(true);
                    return (tcp, peer, ticket);
                }
                None => drop(tcp),
            },
            Err(e) => {
                admission.accept_failed(&e);
                tokio::time::sleep(ACCEPT_PAUSE).await;
            }
        }
    }
}

/// Accepts connections on `listener` until the process ends, spawning `connection` for each
/// one `admission` admits.
pub async fn serve<A, C, F>(listener: TcpListener, admission: A, connection: C)
where
    A: Admission,
    C: Fn(TcpStream, SocketAddr, A::Ticket) -> F,
    F: Future<Output = ()> + Send + 'static,
{
    loop {
        let (tcp, peer, ticket) = accept(&listener, &admission).await;
        tokio::spawn(connection(tcp, peer, ticket));
    }
}

/// Sends at once the acknowledgement the kernel may be delaying (`TCP_QUICKACK`), called when a
/// handshake completes. When the server speaks last in a handshake (a resumed TLS 1.2 session),
/// a client that leaves Nagle's algorithm on holds its first request until its Finished is
/// acknowledged, and Linux delays that acknowledgement by 40 ms while the server has nothing
/// to send. Elsewhere a no-op; a failure only leaves the delay.
pub fn acknowledge_now(socket: &impl AsFd) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let _ = socket2::SockRef::from(socket).set_tcp_quickack(true);
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = socket;
}

/// How a TLS handshake ended.
// Returned once per connection and unpacked at once: boxing the stream would only add an
// allocation per connection.
#[allow(clippy::large_enum_variant)]
pub enum Handshake<IO, E> {
    /// Done: the TLS stream.
    Done(TlsStream<IO>),
    /// The client failed it (bad certificate, no common protocol, closed).
    Failed(io::Error),
    /// Something else ended the connection first (a timeout, an eviction), with what it said.
    Ended(E),
}

/// Runs the TLS handshake of `io`, unless `ended` resolves first.
pub async fn handshake<IO, E>(
    acceptor: &TlsAcceptor,
    io: IO,
    ended: impl Future<Output = E>,
) -> Handshake<IO, E>
where
    IO: AsyncRead + AsyncWrite + Unpin + AsFd,
{
    tokio::select! {
        r = acceptor.accept(io) => match r {
            Ok(stream) => {
                acknowledge_now(stream.get_ref().0);
                Handshake::Done(stream)
            }
            Err(e) => Handshake::Failed(e),
        },
        end = ended => Handshake::Ended(end),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Admits every other connection and counts what it was asked.
    #[derive(Default)]
    struct EveryOther {
        asked: AtomicUsize,
    }

    impl Admission for EveryOther {
        type Ticket = usize;
        fn admit(&self) -> Option<usize> {
            let n = self.asked.fetch_add(1, Ordering::SeqCst);
            (n % 2 == 1).then_some(n)
        }
        fn accept_failed(&self, _: &io::Error) {}
    }

    fn acceptor() -> TlsAcceptor {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .unwrap();
        TlsAcceptor::from(Arc::new(config))
    }

    #[tokio::test]
    async fn accept_closes_what_admission_refuses() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let admission = EveryOther::default();
        let first = TcpStream::connect(addr).await.unwrap();
        let second = TcpStream::connect(addr).await.unwrap();
        let (tcp, _, ticket) = accept(&listener, &admission).await;
        // The first connection was refused, the second admitted with its ticket.
        assert_eq!(ticket, 1);
        assert!(tcp.nodelay().unwrap());
        let mut refused = [0u8; 1];
        first.readable().await.unwrap();
        assert_eq!(first.try_read(&mut refused).unwrap_or(0), 0);
        drop(second);
    }

    #[tokio::test]
    async fn handshake_fails_on_bytes_that_are_not_tls_and_ends_first_when_told() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let acceptor = acceptor();

        let client = tokio::spawn(async move {
            let mut tcp = TcpStream::connect(addr).await.unwrap();
            tokio::io::AsyncWriteExt::write_all(&mut tcp, b"GET / HTTP/1.1\r\n\r\n")
                .await
                .unwrap();
            tcp
        });
        let (tcp, _) = listener.accept().await.unwrap();
        let r = handshake(&acceptor, tcp, std::future::pending::<()>()).await;
        assert!(matches!(r, Handshake::Failed(_)));
        drop(client.await.unwrap());

        // A client that says nothing: the handshake waits, and `ended` wins.
        let silent = TcpStream::connect(addr).await.unwrap();
        let (tcp, _) = listener.accept().await.unwrap();
        let r = handshake(&acceptor, tcp, async { "evicted" }).await;
        assert!(matches!(r, Handshake::Ended("evicted")));
        drop(silent);
    }

    #[tokio::test]
    async fn serve_spawns_one_task_per_admitted_connection() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(serve(
            listener,
            EveryOther::default(),
            move |_, _, ticket| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(ticket);
                }
            },
        ));
        let mut conns = Vec::new();
        for _ in 0..4 {
            conns.push(TcpStream::connect(addr).await.unwrap());
        }
        // The tasks run in any order; the refused connections (0 and 2) spawned none.
        let mut tickets = vec![rx.recv().await.unwrap(), rx.recv().await.unwrap()];
        tickets.sort();
        assert_eq!(tickets, [1, 3]);
        assert!(rx.try_recv().is_err());
    }
}
