//! TLS session resumption, against the real server binary: a client that reconnects with the
//! session of its first connection resumes it (no full handshake), on the binary KMIP socket in
//! TLS 1.3 and 1.2 (where the resumed session keeps the client certificate's user) and on the
//! HTTPS port.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/kmip.rs"]
mod kmip;
mod support;

use ekms_kmip::ProtocolVersion;
use ekms_kmip::enums::ResultStatus;
use kmip::*;
use rustls::HandshakeKind;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How the handshake of `c` went.
fn kind(c: &KmipClient) -> Option<HandshakeKind> {
    c.tls.get_ref().1.handshake_kind()
}

/// A server with its KMIP socket under `root`, and the secret of a group registered on it.
async fn with_group(root: &std::path::Path) -> (KmipServer, String) {
    let s = KmipServer::start(root, &[]);
    let secret = s.server.register().await;
    (s, secret)
}

/// More clients than a server keeping sessions in a bounded table could remember: each
/// connects once (full handshake) and is answered.
async fn crowd(s: &KmipServer, secret: &str, clients: usize) {
    let v = ProtocolVersion::V1_4;
    for i in 0..clients {
        let mut c = KmipClient::connect(
            s.kmip_addr,
            &s.server_cert(),
            Some(&s.alice),
            Some(i % 2 == 0),
        )
        .await
        .unwrap();
        assert_eq!(kind(&c), Some(HandshakeKind::Full));
        assert!(!c.finds_name(v, secret, "nothing").await);
    }
}

#[tokio::test]
async fn kmip_clients_that_reconnect_resume_their_session() {
    let tmp = tempfile::tempdir().unwrap();
    let (s, secret) = with_group(tmp.path()).await;
    let v = ProtocolVersion::V1_4;
    let mut configs = Vec::new();
    for (tls12, name) in [(false, "TLS 1.3"), (true, "TLS 1.2")] {
        let config = KmipClient::config(&s.server_cert(), Some(&s.alice), Some(tls12));
        let mut first = KmipClient::connect_with(s.kmip_addr, config.clone())
            .await
            .unwrap();
        assert_eq!(kind(&first), Some(HandshakeKind::Full), "{name}");
        // An answer read: TLS 1.3 tickets come after the handshake, with the first records.
        let r = first
            .call(&request(v, Some(&secret), vec![create_aes(v, 128, name)]))
            .await;
        assert_eq!(r.items[0].result_status, ResultStatus::Success, "{name}");
        configs.push((config, name));
    }
    // Resumption does not depend on how many other clients came meanwhile: the session is
    // in the client's ticket, not in a table of the server's.
    crowd(&s, &secret, 400).await;
    for (config, name) in configs {
        for round in 0..2 {
            let mut again = KmipClient::connect_with(s.kmip_addr, config.clone())
                .await
                .unwrap();
            assert_eq!(
                kind(&again),
                Some(HandshakeKind::Resumed),
                "{name}, reconnection {round}"
            );
            // The resumed session still names the client certificate's user: alice finds the
            // key she made on the first connection.
            assert!(again.finds_name(v, &secret, name).await, "{name}");
        }
    }
}

#[tokio::test]
async fn https_clients_that_reconnect_resume_their_session() {
    let tmp = tempfile::tempdir().unwrap();
    let s = KmipServer::start(tmp.path(), &[]);
    let addr = s
        .server
        .url
        .strip_prefix("https://")
        .unwrap()
        .parse()
        .unwrap();
    for tls12 in [false, true] {
        let config = KmipClient::config(&s.server_cert(), None, Some(tls12));
        for round in 0..3 {
            let mut c = KmipClient::connect_with(addr, config.clone())
                .await
                .unwrap();
            let expected = if round == 0 {
                HandshakeKind::Full
            } else {
                HandshakeKind::Resumed
            };
            assert_eq!(kind(&c), Some(expected), "TLS 1.2: {tls12}, round {round}");
            c.tls
                .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .await
                .unwrap();
            let mut answer = Vec::new();
            let _ = c.tls.read_to_end(&mut answer).await;
            assert!(
                answer.starts_with(b"HTTP/1.1 200"),
                "{}",
                String::from_utf8_lossy(&answer)
            );
        }
    }
}

/// A client that leaves Nagle's algorithm on (as tokio's and Python's sockets do) sends its
/// first request right after its Finished, in a second write that waits for the Finished to be
/// acknowledged. In a resumed TLS 1.2 session the server speaks before the client's Finished
/// and has nothing more to send, so without an acknowledgement sent at once each such
/// reconnection would wait the kernel's delayed ACK (40 ms on Linux).
#[tokio::test]
async fn resumed_tls12_sessions_do_not_wait_for_a_delayed_ack() {
    let tmp = tempfile::tempdir().unwrap();
    let (s, secret) = with_group(tmp.path()).await;
    let v = ProtocolVersion::V1_4;
    let config = KmipClient::config(&s.server_cert(), Some(&s.alice), Some(true));
    let mut first = KmipClient::connect_with(s.kmip_addr, config.clone())
        .await
        .unwrap();
    assert!(!first.finds_name(v, &secret, "nothing").await);
    drop(first);
    const ROUNDS: u32 = 10;
    let mut took = Vec::new();
    for _ in 0..ROUNDS {
        let start = std::time::Instant::now();
        let mut again = KmipClient::connect_with(s.kmip_addr, config.clone())
            .await
            .unwrap();
        assert!(!again.tls.get_ref().0.nodelay().unwrap(), "Nagle stays on");
        assert_eq!(kind(&again), Some(HandshakeKind::Resumed));
        assert!(!again.finds_name(v, &secret, "nothing").await);
        took.push(start.elapsed());
    }
    took.sort();
    // The median: a loaded machine may slow a few reconnections, never half of them by 40 ms.
    let median = took[took.len() / 2];
    assert!(
        median < std::time::Duration::from_millis(30),
        "a resumed reconnection and one request took {median:?} (all: {took:?})"
    );
}
