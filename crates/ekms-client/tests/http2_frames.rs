//! The HTTP/2 frame size the client accepts, read off the wire by a small TLS server: 256 KiB,
//! so that a streamed answer comes in one frame per chunk rather than in 16 KiB pieces (the
//! protocol's default, which a client that says nothing gets).

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use ekms_client::{Client, ClientConfig, Trust};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// SETTINGS frame type and SETTINGS_MAX_FRAME_SIZE (RFC 9113, section 6.5.2).
const SETTINGS: u8 = 0x4;
const MAX_FRAME_SIZE: u16 = 0x5;

#[tokio::test]
async fn the_client_accepts_256_kib_frames() {
    let ck =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.signing_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![ck.cert.der().clone()], key)
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());

    // The client asks for /health; the server only reads what the client says first.
    let trust = Trust::from_ca_pem(ck.cert.pem().as_bytes()).unwrap();
    let client = Client::new(ClientConfig::new(url, trust)).unwrap();
    let asking = tokio::spawn(async move { client.health().await });

    let (tcp, _) = listener.accept().await.unwrap();
    let mut tls = acceptor.accept(tcp).await.unwrap();
    let settings = tokio::time::timeout(Duration::from_secs(10), async {
        let mut preface = [0u8; 24];
        tls.read_exact(&mut preface).await.unwrap();
        assert_eq!(&preface[..], PREFACE);
        let mut head = [0u8; 9];
        tls.read_exact(&mut head).await.unwrap();
        assert_eq!(
            head[3], SETTINGS,
            "the client's first frame is its SETTINGS"
        );
        let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
        let mut payload = vec![0u8; len];
        tls.read_exact(&mut payload).await.unwrap();
        payload
            .chunks_exact(6)
            .map(|p| {
                (
                    u16::from_be_bytes([p[0], p[1]]),
                    u32::from_be_bytes([p[2], p[3], p[4], p[5]]),
                )
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    asking.abort();
    let frame = settings.iter().find(|(id, _)| *id == MAX_FRAME_SIZE);
    assert_eq!(frame, Some(&(MAX_FRAME_SIZE, 256 * 1024)), "{settings:?}");
}
