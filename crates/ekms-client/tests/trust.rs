//! Trust and error mapping of the client against a small local TLS server (not the real ekms
//! server, which the CLI's end-to-end tests use): CA file, self-signed certificate as CA, pin,
//! wrong pin, no trust, insecure, public roots, the record of presented certificates, refused
//! secret, unreachable server.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;

use ekms_client::{
    Client, ClientConfig, Error, Secret, SymmetricAlgorithm, Trust, TrustFailure,
    certificate_sha256,
};
use ekms_kmip::{Tag, Ttlv};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

const SECRET: &str = "test-secret-token";

struct TestServer {
    url: String,
    chain: Vec<CertificateDer<'static>>,
}

/// Starts a TLS server presenting `chain` (leaf first) that answers a few routes.
async fn serve(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> TestServer {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain.clone(), key)
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    let _ = answer(&mut tls).await;
                }
            });
        }
    });
    TestServer {
        url: format!("https://{addr}"),
        chain,
    }
}

async fn answer<S: AsyncReadExt + AsyncWriteExt + Unpin>(stream: &mut S) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_string();
    let lower = head.to_ascii_lowercase();
    let length: usize = lower
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse().unwrap_or(0))
        .unwrap_or(0);
    while buf.len() < header_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let request_line = head.lines().next().unwrap_or("").to_string();
    let authorized = lower.contains(&format!("kmsdatabasesecret: {SECRET}"));
    let (status, body) = if request_line.starts_with("GET /health ") {
        ("200 OK", r#"{"status":"ok"}"#.to_string())
    } else if request_line.starts_with("POST /register ") {
        (
            "201 Created",
            format!(r#"{{"group_id":"group-1","secret":"{SECRET}"}}"#),
        )
    } else if request_line.starts_with("POST /kmip/2_1 ") {
        if authorized {
            (
                "200 OK",
                r#"{"tag":"CreateResponse","type":"Structure","value":[{"tag":"ObjectType","type":"Enumeration","value":"SymmetricKey"},{"tag":"UniqueIdentifier","type":"TextString","value":"uid-1"}]}"#.to_string(),
            )
        } else {
            (
                "401 Unauthorized",
                r#"{"error":"Unauthorized","message":"missing, malformed or wrong group secret"}"#
                    .to_string(),
            )
        }
    } else {
        (
            "404 Not Found",
            r#"{"error":"NotFound","message":"no route"}"#.to_string(),
        )
    };
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

fn self_signed() -> (CertificateDer<'static>, PrivateKeyDer<'static>, String) {
    let ck =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.signing_key.serialize_der()));
    (ck.cert.der().clone(), key, ck.cert.pem())
}

fn client(url: &str, trust: Trust, secret: Option<&str>) -> Client {
    let config =
        ClientConfig::new(url, trust).with_secret(secret.map(|s| Secret::new(s.to_string())));
    Client::new(config).unwrap()
}

#[tokio::test]
async fn self_signed_certificate_as_ca_file() {
    let (cert, key, pem) = self_signed();
    let server = serve(vec![cert.clone()], key).await;
    let trust = Trust::from_ca_pem(pem.as_bytes()).unwrap();
    let c = client(&server.url, trust, None);
    assert_eq!(c.health().await.unwrap()["status"], "ok");
    assert_eq!(
        c.server_certificate_sha256(),
        Some(certificate_sha256(cert.as_ref()))
    );
    let registration = c.register().await.unwrap();
    assert_eq!(registration.group_id, "group-1");
    assert_eq!(registration.secret.expose(), SECRET);
}

#[tokio::test]
async fn ca_signed_chain() {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let server = serve(vec![leaf.der().clone()], key).await;

    let good = client(
        &server.url,
        Trust::from_ca_pem(ca.pem().as_bytes()).unwrap(),
        None,
    );
    good.health().await.unwrap();

    let (_, _, other_pem) = self_signed();
    let bad = client(
        &server.url,
        Trust::from_ca_pem(other_pem.as_bytes()).unwrap(),
        None,
    );
    match bad.health().await {
        Err(Error::Untrusted(TrustFailure::NotTrusted {
            configured: true,
            sha256,
            ..
        })) => assert_eq!(sha256, certificate_sha256(server.chain[0].as_ref())),
        other => panic!("expected an untrusted certificate, got {other:?}"),
    }
}

#[tokio::test]
async fn pin_accepts_the_exact_certificate_only() {
    let (cert, key, _) = self_signed();
    let server = serve(vec![cert.clone()], key).await;
    let sha = certificate_sha256(cert.as_ref());

    let good = client(
        &server.url,
        Trust::from_pin_hex(&hex::encode(sha)).unwrap(),
        None,
    );
    good.health().await.unwrap();

    let wrong = [0x11u8; 32];
    let bad = client(&server.url, Trust::Pin(wrong), None);
    match bad.health().await {
        Err(Error::Untrusted(TrustFailure::PinMismatch { expected, actual })) => {
            assert_eq!(expected, wrong);
            assert_eq!(actual, sha);
        }
        other => panic!("expected a pin mismatch, got {other:?}"),
    }
}

#[tokio::test]
async fn no_trust_refuses_and_insecure_accepts() {
    let (cert, key, _) = self_signed();
    let server = serve(vec![cert], key).await;
    match client(&server.url, Trust::None, None).health().await {
        Err(Error::Untrusted(TrustFailure::NotTrusted {
            configured: false, ..
        })) => {}
        other => panic!("expected a refusal, got {other:?}"),
    }
    client(&server.url, Trust::Insecure, None)
        .health()
        .await
        .unwrap();
}

#[tokio::test]
async fn secret_header_and_unauthorized() {
    let (cert, key, _) = self_signed();
    let server = serve(vec![cert], key).await;

    let good = client(&server.url, Trust::Insecure, Some(SECRET));
    let uid = good
        .create_symmetric_key(SymmetricAlgorithm::Aes, 256, Some("k"), true)
        .await
        .unwrap();
    assert_eq!(uid, "uid-1");

    // The same operation as a TTLV tree of ekms-kmip.
    let create = Ttlv::structure(
        Tag::from_name("Create").unwrap(),
        vec![Ttlv::enumeration(Tag::OBJECT_TYPE, 2)],
    );
    let response = good.kmip_2_1(&create).await.unwrap();
    assert_eq!(
        response
            .child(Tag::UNIQUE_IDENTIFIER)
            .and_then(Ttlv::as_text),
        Some("uid-1")
    );

    let wrong = client(&server.url, Trust::Insecure, Some("wrong"));
    let err = wrong
        .create_symmetric_key(SymmetricAlgorithm::Aes, 256, None, true)
        .await
        .unwrap_err();
    assert!(err.is_unauthorized(), "{err:?}");
    assert_eq!(err.code(), Some("Unauthorized"));

    let none = client(&server.url, Trust::Insecure, None);
    assert!(matches!(
        none.create_symmetric_key(SymmetricAlgorithm::Aes, 256, None, true)
            .await,
        Err(Error::NoSecret)
    ));
}

#[tokio::test]
async fn unreachable_server() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let c = client(&format!("https://{addr}"), Trust::Insecure, None);
    match c.health().await {
        Err(Error::Connect { .. }) => {}
        other => panic!("expected a connection error, got {other:?}"),
    }
}

#[tokio::test]
async fn public_roots_refuse_a_self_signed_certificate() {
    let (cert, key, _) = self_signed();
    let server = serve(vec![cert.clone()], key).await;
    match client(&server.url, Trust::PublicRoots, None).health().await {
        Err(Error::Untrusted(TrustFailure::NotTrusted {
            configured: true,
            sha256,
            ..
        })) => assert_eq!(sha256, certificate_sha256(cert.as_ref())),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn presented_certificates_are_recorded() {
    let (cert, key, _) = self_signed();
    let server = serve(vec![cert.clone()], key).await;
    let c = client(&server.url, Trust::Insecure, None);
    assert!(c.presented_certificates().is_empty());
    c.health().await.unwrap();
    c.health().await.unwrap();
    // One certificate, however many connections presented it.
    assert_eq!(c.presented_certificates(), vec![cert.as_ref().to_vec()]);
}
