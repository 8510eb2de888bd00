//! No memory blow-up before authentication, against the real server binary:
//!
//! - routes that carry the group secret in the `KmsDatabaseSecret` header refuse a wrong or
//!   unknown secret before reading the body: a request whose body never comes is answered;
//! - under an address-space limit the size of the generated manifest's enclave (1 GiB, as
//!   `prlimit --as` sets it) and with the manifest's `MALLOC_ARENA_MAX=2`, the server survives
//!   the worst bodies we can build for each decoder (JSON TTLV on `POST /kmip` and
//!   `POST /kmip/2_1`, KMIP XML and binary TTLV on `POST /kmip`, binary TTLV on the KMIP
//!   socket), several at once, and still answers.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/kmip.rs"]
mod kmip;
mod support;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kmip::{KmipClient, KmipServer, Pki, kmip_address};
use serde_json::Value;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The enclave size of the generated manifest (`sgx.enclave_size = "1G"`).
const ENCLAVE_BYTES: u64 = 1 << 30;

/// The default `--max-kmip-message-bytes`: the bodies below fill it.
const LIMIT: usize = 8 << 20;

/// A well-formed secret of a group that does not exist, and one with a wrong key for `good`.
fn bad_secrets(good: &str) -> [String; 2] {
    let b64 = |s: &str| URL_SAFE_NO_PAD.encode(s);
    let tok: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(good).unwrap()).unwrap();
    let group = tok["group_id"].as_str().unwrap();
    let key = tok["key"].as_str().unwrap();
    [
        b64(&format!(
            "{{\"group_id\":\"6f1d2c1e-1b7e-4c39-9a55-5d2f0c7b9e10\",\"key\":\"{key}\"}}"
        )),
        b64(&format!(
            "{{\"group_id\":\"{group}\",\"key\":\"{}\"}}",
            "ab".repeat(32)
        )),
    ]
}

/// Sends a request head announcing a large body, and a few bytes of it, over a raw TLS
/// connection; returns the status line of the answer, or None when none came within 5 s
/// (the server is waiting for the body).
async fn status_without_body(
    s: &Server,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Option<String> {
    status_with_declared_length(s, method, path, headers, LIMIT - 1).await
}

/// [`status_without_body`] with the Content-Length given.
async fn status_with_declared_length(
    s: &Server,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    length: usize,
) -> Option<String> {
    let addr = s.url.trim_start_matches("https://").to_string();
    let tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(tls_config(s)));
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nhost: localhost\r\ncontent-length: {length}\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n{\"tag\":");
    tls.write_all(head.as_bytes()).await.unwrap();
    tls.flush().await.unwrap();
    let mut buf = vec![0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(5), tls.read(&mut buf)).await;
    match read {
        Ok(Ok(n)) if n > 0 => {
            let text = String::from_utf8_lossy(&buf[..n]).to_string();
            Some(text.lines().next().unwrap_or_default().to_string())
        }
        _ => None,
    }
}

#[tokio::test]
async fn a_wrong_header_secret_is_refused_before_the_body_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &[]);
    let good = s.register().await;
    let json = ("content-type", "application/json");
    let octets = ("content-type", "application/octet-stream");
    for bad in bad_secrets(&good) {
        let secret = ("KmsDatabaseSecret", bad.as_str());
        for (method, path, headers) in [
            ("POST", "/kmip/2_1", vec![json, secret]),
            ("POST", "/kmip", vec![json, secret]),
            ("POST", "/kmip", vec![octets, secret]),
            ("POST", "/access/grant", vec![json, secret]),
            ("POST", "/access/revoke", vec![json, secret]),
            ("POST", "/v1/encrypt/some-key", vec![octets, secret]),
            ("POST", "/v1/decrypt/some-key", vec![octets, secret]),
        ] {
            let status = status_without_body(&s, method, path, &headers).await;
            assert!(
                status.as_deref().is_some_and(|l| l.contains(" 401 ")),
                "{method} {path}: {status:?}"
            );
        }
    }
    // Without the header, POST /kmip must read the message for its credential; the others
    // refuse at once.
    for (method, path) in [
        ("POST", "/kmip/2_1"),
        ("POST", "/access/grant"),
        ("POST", "/v1/encrypt/k"),
    ] {
        let status = status_without_body(&s, method, path, &[json]).await;
        assert!(
            status.as_deref().is_some_and(|l| l.contains(" 401 ")),
            "{method} {path} without a secret: {status:?}"
        );
    }
}

/// `n` copies of `unit` separated by commas.
fn list(unit: &str, n: usize) -> String {
    let mut s = String::with_capacity((unit.len() + 1) * n);
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        s.push_str(unit);
    }
    s
}

/// JSON bodies of (nearly) `LIMIT` bytes: an array of zeros, a Structure of empty Structures,
/// and chains of nested Structures, under the top-level tag `top`.
fn json_bodies(top: &str) -> Vec<(String, Vec<u8>)> {
    let zeros = format!("[{}]", list("0", LIMIT / 2 - 1)).into_bytes();
    let wide = |unit: &str| {
        let n = (LIMIT - 64) / (unit.len() + 1);
        format!("{{\"tag\":\"{top}\",\"value\":[{}]}}", list(unit, n)).into_bytes()
    };
    let mut chain = String::from("[]");
    for _ in 0..60 {
        chain = format!("[{{\"tag\":\"D\",\"value\":{chain}}}]");
    }
    let chain = format!("{{\"tag\":\"D\",\"value\":{chain}}}");
    let escaped = format!(
        "{{\"tag\":\"{top}\",\"value\":[{{\"tag\":\"Name\",\"type\":\"TextString\",\"value\":\"{}\"}}]}}",
        "\\n".repeat(LIMIT / 2 - 64)
    );
    vec![
        ("json [0,0,…]".into(), zeros),
        (
            "json empty structures".into(),
            wide("{\"tag\":\"D\",\"value\":[]}"),
        ),
        ("json chains".into(), wide(&chain)),
        ("json escaped text".into(), escaped.into_bytes()),
    ]
}

/// KMIP XML bodies of (nearly) `LIMIT` bytes: a Structure of empty Structures, of one-character
/// texts, of chains of nested Structures, and one text of escapes.
fn xml_bodies() -> Vec<(String, Vec<u8>)> {
    let wide = |unit: &str| {
        let n = (LIMIT - 64) / unit.len();
        format!("<RequestMessage>{}</RequestMessage>", unit.repeat(n)).into_bytes()
    };
    let chain = format!("{}{}", "<D>".repeat(60), "</D>".repeat(60));
    let escaped = format!(
        "<RequestMessage><Name type=\"TextString\" value=\"{}\"/></RequestMessage>",
        "&amp;".repeat(LIMIT / 5 - 64)
    );
    vec![
        ("xml empty structures".into(), wide("<D/>")),
        (
            "xml one-character texts".into(),
            wide("<D type=\"TextString\" value=\"a\"/>"),
        ),
        ("xml chains".into(), wide(&chain)),
        ("xml escaped text".into(), escaped.into_bytes()),
    ]
}

fn header(tag: u32, ty: u8, len: usize) -> Vec<u8> {
    let [_, a, b, c] = tag.to_be_bytes();
    let mut h = vec![a, b, c, ty];
    h.extend_from_slice(&(len as u32).to_be_bytes());
    h
}

fn structure(tag: u32, body: &[u8]) -> Vec<u8> {
    let mut v = header(tag, 0x01, body.len());
    v.extend_from_slice(body);
    v
}

/// Binary bodies of `LIMIT` bytes: a Request Message of empty Structures, of Structures of
/// one Integer, and of Integers.
fn binary_bodies() -> Vec<(String, Vec<u8>)> {
    let wide = |unit: &[u8]| structure(0x420078, &unit.repeat((LIMIT - 8) / unit.len()));
    let mut int = header(0x42000A, 0x02, 4);
    int.extend_from_slice(&[0, 0, 0, 7, 0, 0, 0, 0]);
    vec![
        (
            "binary empty structures".into(),
            wide(&structure(0x420001, &[])),
        ),
        (
            "binary structures of one integer".into(),
            wide(&structure(0x420001, &int)),
        ),
        ("binary integers".into(), wide(&int)),
    ]
}

/// Starts the server under `prlimit --as=ENCLAVE_BYTES`, with its KMIP socket.
fn start_limited(root: &std::path::Path) -> KmipServer {
    let pki = Pki::new(root, "kmip-clients");
    let data_dir = root.join("data");
    let platform_dir = root.join("platform");
    let mut wrapper = Command::new("/usr/bin/prlimit");
    wrapper
        .arg(format!("--as={ENCLAVE_BYTES}"))
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_ekms-server"));
    let mut cmd = Server::command(wrapper, &data_dir, &platform_dir);
    cmd.arg("--kmip-client-ca")
        .arg(&pki.ca_file)
        .arg("--kmip-listen")
        .arg("127.0.0.1:0")
        .env_remove("EKMS_MAX_KMIP_MESSAGE_BYTES")
        // As deployed: the generated manifest sets it, and docs/server.md asks for it whenever
        // the server runs under an address-space limit. Without it each contending thread may
        // reserve a 64 MiB glibc arena, and a slow, contended run crossed the limit once.
        .env("MALLOC_ARENA_MAX", "2")
        .env("EKMS_LOG", "info");
    let server = Server::spawn(cmd, data_dir, platform_dir);
    let kmip_addr = kmip_address(&server);
    let alice = pki.client("alice");
    KmipServer {
        server,
        kmip_addr,
        pki,
        alice,
    }
}

async fn post(
    s: &Server,
    path: &str,
    content_type: &str,
    secret: Option<&str>,
    body: Vec<u8>,
) -> String {
    let mut req = s
        .http
        .post(format!("{}{path}", s.url))
        .header("content-type", content_type)
        .timeout(Duration::from_secs(120))
        .body(body);
    if let Some(secret) = secret {
        req = req.header("KmsDatabaseSecret", secret);
    }
    match req.send().await {
        Ok(r) => format!("{}", r.status().as_u16()),
        Err(e) => format!("error: {e}"),
    }
}

#[tokio::test]
async fn the_worst_bodies_do_not_kill_a_server_limited_to_the_enclave_size() {
    let tmp = tempfile::tempdir().unwrap();
    let mut k = start_limited(tmp.path());
    let secret = k.server.register().await;
    let cert = k.server_cert();
    let s = &k.server;
    // Every body twice at once, on each route that takes it.
    let mut calls: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = String> + '_>>> =
        Vec::new();
    for round in 0..2 {
        for (name, body) in json_bodies("RequestMessage") {
            calls.push(Box::pin(async move {
                let r = post(s, "/kmip", "application/json", None, body).await;
                format!("{round} POST /kmip {name}: {r}")
            }));
        }
        for (name, body) in xml_bodies() {
            calls.push(Box::pin(async move {
                let r = post(s, "/kmip", "text/xml", None, body).await;
                format!("{round} POST /kmip {name}: {r}")
            }));
        }
        for (name, body) in json_bodies("Create") {
            let secret = secret.as_str();
            calls.push(Box::pin(async move {
                let r = post(s, "/kmip/2_1", "application/json", Some(secret), body).await;
                format!("{round} POST /kmip/2_1 {name}: {r}")
            }));
        }
        for (name, body) in binary_bodies() {
            let b = body.clone();
            let n = name.clone();
            calls.push(Box::pin(async move {
                let r = post(s, "/kmip", "application/octet-stream", None, b).await;
                format!("{round} POST /kmip {n}: {r}")
            }));
            let (addr, cert, alice) = (k.kmip_addr, &cert, &k.alice);
            calls.push(Box::pin(async move {
                let r = match KmipClient::connect(addr, cert, Some(alice), None).await {
                    Ok(mut c) => match c.write(&body).await {
                        Ok(()) => match c.read_message().await {
                            Ok(m) => format!("answered, {} bytes", m.len()),
                            Err(e) => format!("no answer: {e}"),
                        },
                        Err(e) => format!("write failed: {e}"),
                    },
                    Err(e) => format!("connect failed: {e}"),
                };
                format!("{round} socket {name}: {r}")
            }));
        }
    }
    let outcomes = futures_util::future::join_all(calls).await;
    // prlimit execs the server: the child's pid is the server's.
    let status = std::fs::read_to_string(format!("/proc/{}/status", k.server.child.id()))
        .unwrap_or_default();
    for l in status.lines() {
        if l.starts_with("VmPeak") || l.starts_with("VmHWM") || l.starts_with("Threads") {
            eprintln!("server {l}");
        }
    }
    let exited = k.server.child.try_wait().unwrap();
    assert!(
        exited.is_none(),
        "the server died ({exited:?}); outcomes:\n{}\nlog tail:\n{}",
        outcomes.join("\n"),
        tail(&k.server.log())
    );
    let s = &k.server;
    // It still answers, and its groups still work.
    let created = s
        .ok(
            &secret,
            serde_json::json!({"tag": "Create", "value": [
                {"tag": "ObjectType", "type": "Enumeration", "value": "SymmetricKey"},
                {"tag": "Attributes", "value": [
                    {"tag": "CryptographicAlgorithm", "type": "Enumeration", "value": "AES"},
                    {"tag": "CryptographicLength", "type": "Integer", "value": 256},
                    {"tag": "CryptographicUsageMask", "type": "Integer", "value": "Encrypt|Decrypt"}
                ]}
            ]}),
        )
        .await;
    assert!(!created.is_empty(), "{outcomes:?}");
    // A body over the default limit is refused from its declared length.
    let status = status_with_declared_length(
        s,
        "POST",
        "/kmip",
        &[("content-type", "application/json")],
        LIMIT + 1,
    )
    .await;
    assert!(
        status.as_deref().is_some_and(|l| l.contains(" 413 ")),
        "{status:?}"
    );
    eprintln!("{}", outcomes.join("\n"));
    k.server.kill();
}

fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

#[tokio::test]
async fn many_requests_at_once_fit_the_enclave() {
    let tmp = tempfile::tempdir().unwrap();
    let k = start_limited(tmp.path());
    let s = &k.server;
    let secret = s.register().await;
    let create = serde_json::json!({"tag": "Create", "value": [
        {"tag": "ObjectType", "type": "Enumeration", "value": "SymmetricKey"},
        {"tag": "Attributes", "value": [
            {"tag": "CryptographicAlgorithm", "type": "Enumeration", "value": "AES"},
            {"tag": "CryptographicLength", "type": "Integer", "value": 256},
            {"tag": "CryptographicUsageMask", "type": "Integer", "value": "Encrypt|Decrypt"}
        ]}
    ]});
    // Many clients at once, each on its own connection: every request takes a blocking thread
    // of the server while its operation runs.
    let calls = (0..300).map(|_| {
        let (secret, create) = (secret.clone(), create.clone());
        async move {
            let http = client_trusting(
                std::fs::read(s.data_dir.join("certificate.pem"))
                    .ok()
                    .as_deref(),
            );
            http.post(format!("{}/kmip/2_1", s.url))
                .header("KmsDatabaseSecret", secret)
                .json(&create)
                .timeout(Duration::from_secs(120))
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        }
    });
    let statuses = futures_util::future::join_all(calls).await;
    let status = std::fs::read_to_string(format!("/proc/{}/status", k.server.child.id()))
        .unwrap_or_default();
    for l in status.lines() {
        if l.starts_with("VmPeak") || l.starts_with("VmHWM") || l.starts_with("Threads") {
            eprintln!("server {l}");
        }
    }
    let ok = statuses.iter().filter(|s| **s == 200).count();
    eprintln!(
        "{ok} of {} answered 200; others: {:?}",
        statuses.len(),
        statuses.iter().filter(|s| **s != 200).collect::<Vec<_>>()
    );
    let mut k = k;
    assert!(
        k.server.child.try_wait().unwrap().is_none(),
        "the server died:\n{}",
        tail(&k.server.log())
    );
    assert_eq!(ok, statuses.len(), "{}", tail(&k.server.log()));
}
