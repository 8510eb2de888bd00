//! What the HTTPS port tells an HTTP/2 client about large bodies, read off the wire from the
//! real binary: the frame size it accepts and the flow-control windows it opens, as
//! docs/server.md documents them (a client sending a large body in larger frames, with fewer
//! window updates, costs the server fewer reads and wake-ups).

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// HTTP/2 frame types and settings (RFC 9113, sections 6.5.2 and 6.9).
const SETTINGS: u8 = 0x4;
const WINDOW_UPDATE: u8 = 0x8;
const ACK: u8 = 0x1;
const INITIAL_WINDOW_SIZE: u16 = 0x4;
const MAX_FRAME_SIZE: u16 = 0x5;
/// The window every HTTP/2 connection starts with, before any WINDOW_UPDATE.
const DEFAULT_WINDOW: u32 = 65_535;

/// What docs/server.md says the server offers.
const DOCUMENTED_MAX_FRAME_SIZE: u32 = 256 * 1024;
const DOCUMENTED_STREAM_WINDOW: u32 = 2 * 1024 * 1024;
const DOCUMENTED_CONNECTION_WINDOW: u32 = 4 * 1024 * 1024;

/// One frame: type, flags, stream, payload.
async fn frame(tls: &mut (impl tokio::io::AsyncRead + Unpin)) -> (u8, u8, u32, Vec<u8>) {
    let mut head = [0u8; 9];
    tls.read_exact(&mut head).await.unwrap();
    let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
    let stream = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
    let mut payload = vec![0u8; len];
    tls.read_exact(&mut payload).await.unwrap();
    (head[3], head[4], stream, payload)
}

#[tokio::test]
async fn http2_advertises_large_frames_and_windows() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &[]);
    let mut config = tls_config(&s);
    config.alpn_protocols = vec![b"h2".to_vec()];
    let addr = s.url.trim_start_matches("https://").to_string();
    let tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    // The client preface, then empty SETTINGS.
    tls.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
        .await
        .unwrap();
    tls.flush().await.unwrap();

    let mut settings = None;
    let mut connection_window = None;
    tokio::time::timeout(Duration::from_secs(10), async {
        while settings.is_none() || connection_window.is_none() {
            let (kind, flags, stream, payload) = frame(&mut tls).await;
            if kind == SETTINGS && flags & ACK == 0 {
                let pairs: Vec<(u16, u32)> = payload
                    .chunks_exact(6)
                    .map(|p| {
                        (
                            u16::from_be_bytes([p[0], p[1]]),
                            u32::from_be_bytes([p[2], p[3], p[4], p[5]]),
                        )
                    })
                    .collect();
                settings = Some(pairs);
            } else if kind == WINDOW_UPDATE && stream == 0 {
                let n = u32::from_be_bytes(payload[..4].try_into().unwrap()) & 0x7fff_ffff;
                connection_window = Some(DEFAULT_WINDOW + n);
            }
        }
    })
    .await
    .expect("the server sent its SETTINGS and a connection WINDOW_UPDATE");

    let settings = settings.unwrap();
    let value = |id: u16| settings.iter().find(|(k, _)| *k == id).map(|(_, v)| *v);
    assert_eq!(
        value(MAX_FRAME_SIZE),
        Some(DOCUMENTED_MAX_FRAME_SIZE),
        "{settings:?}"
    );
    assert_eq!(
        value(INITIAL_WINDOW_SIZE),
        Some(DOCUMENTED_STREAM_WINDOW),
        "{settings:?}"
    );
    assert_eq!(connection_window, Some(DOCUMENTED_CONNECTION_WINDOW));
}
