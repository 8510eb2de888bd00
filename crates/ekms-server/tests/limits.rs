//! Connection limits (slow clients, accept errors, open-file budget) and registration and
//! capacity limits, against the real server binary, some under a low open-file limit
//! (`prlimit`). Settings are given as `EKMS_*` variables, so that these tests also run (and
//! fail) against a server that lacks them.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/kmip.rs"]
mod kmip;
mod support;

use serde_json::Value;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{Server, create_key, uid_of, uid_op};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Starts the server under `prlimit --nofile=N:N` (when `nofile` is given) with `env`.
fn start_limited(root: &Path, nofile: Option<u32>, env: &[(&str, &str)]) -> Server {
    let data_dir = root.join("data");
    let platform_dir = root.join("platform");
    let bin = env!("CARGO_BIN_EXE_ekms-server");
    let wrapper = match nofile {
        Some(n) => {
            let mut c = Command::new("prlimit");
            c.arg(format!("--nofile={n}:{n}")).arg("--").arg(bin);
            c
        }
        None => Command::new(bin),
    };
    let mut cmd = Server::command(wrapper, &data_dir, &platform_dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    Server::spawn(cmd, data_dir, platform_dir)
}

fn addr(s: &Server) -> SocketAddr {
    s.url.trim_start_matches("https://").parse().unwrap()
}

/// A client trusting the server's certificate, whose connections come from `local`.
fn client_from(s: &Server, local: Option<IpAddr>) -> reqwest::Client {
    let cfg = support::tls_config(s);
    reqwest::Client::builder()
        .use_preconfigured_tls(cfg)
        .local_address(local)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn register_with(client: &reqwest::Client, s: &Server) -> (u16, Value, Option<u64>) {
    let r = client
        .post(format!("{}/register", s.url))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let body = r.json().await.unwrap_or(Value::Null);
    (status, body, retry)
}

/// Opens a TLS connection with the server and sends `head` (possibly incomplete).
async fn tls_with(
    s: &Server,
    head: &[u8],
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let tcp = tokio::net::TcpStream::connect(addr(s)).await.unwrap();
    let mut cfg = support::tls_config(s);
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(cfg));
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    tls.write_all(head).await.unwrap();
    tls.flush().await.unwrap();
    tls
}

/// Reads until the server closes the connection (or `limit` passes); true when it closed.
async fn closed_within(
    tls: &mut tokio_rustls::client::TlsStream<tokio::net::TcpStream>,
    limit: Duration,
) -> bool {
    let mut buf = vec![0u8; 4096];
    let end = Instant::now() + limit;
    loop {
        let left = end.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, tls.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

/// Item 4: several hundred connections that never finish their TLS handshake or their
/// request head do not keep a new client out, with 200 open files.
#[tokio::test]
async fn slow_clients_do_not_lock_out_a_new_client() {
    let dir = tempfile::tempdir().unwrap();
    let s = start_limited(
        dir.path(),
        Some(200),
        &[("EKMS_HEADER_TIMEOUT_SECONDS", "2")],
    );
    let target = addr(&s);
    // TLS connections stuck in their request head...
    let mut slow_tls = Vec::new();
    for _ in 0..40 {
        slow_tls.push(tls_with(&s, b"GET /health HTTP/1.1\r\nHost: x\r\n").await);
    }
    // ...and plain TCP connections that never send a byte of their handshake.
    let mut slow_tcp = Vec::new();
    for _ in 0..360 {
        slow_tcp.push(std::net::TcpStream::connect(target).unwrap());
    }
    // A new client is answered within the header timeout plus 2 s.
    let client = client_from(&s, None);
    let started = Instant::now();
    let r = client
        .get(format!("{}/health", s.url))
        .timeout(Duration::from_secs(20))
        .send()
        .await;
    let took = started.elapsed();
    assert!(r.is_ok(), "no answer: {r:?}\n{}", s.log());
    assert_eq!(r.unwrap().status(), 200);
    assert!(took < Duration::from_secs(4), "answered after {took:?}");
    drop((slow_tls, slow_tcp));
}

/// Item 4: a request head that does not arrive within the header timeout closes the
/// connection; so does a kept-alive connection idle beyond the idle timeout.
#[tokio::test]
async fn header_and_idle_timeouts_close_connections() {
    let dir = tempfile::tempdir().unwrap();
    let s = start_limited(
        dir.path(),
        None,
        &[
            ("EKMS_HEADER_TIMEOUT_SECONDS", "1"),
            ("EKMS_IDLE_TIMEOUT_SECONDS", "2"),
        ],
    );
    // Half a head: closed after about a second.
    let started = Instant::now();
    let mut half = tls_with(&s, b"GET /health HTTP/1.1\r\nHost: x\r\n").await;
    assert!(closed_within(&mut half, Duration::from_secs(5)).await);
    assert!(started.elapsed() < Duration::from_secs(3));
    // A whole request is answered, then the idle connection is closed after ~2 s.
    let mut kept = tls_with(&s, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let mut buf = vec![0u8; 4096];
    let n = kept.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let idle_from = Instant::now();
    assert!(closed_within(&mut kept, Duration::from_secs(6)).await);
    let idle = idle_from.elapsed();
    assert!(
        idle >= Duration::from_millis(1500) && idle < Duration::from_secs(4),
        "{idle:?}"
    );
}

/// Item 4: when connections exhaust the open files (here a connection cap set above what 200
/// files allow), accept errors are logged at most once a second, and new clients still get in.
#[tokio::test]
async fn accept_errors_are_logged_at_most_once_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let s = start_limited(
        dir.path(),
        Some(200),
        &[
            ("EKMS_HEADER_TIMEOUT_SECONDS", "30"),
            ("EKMS_MAX_CONNECTIONS", "1000"),
        ],
    );
    let target = addr(&s);
    let started = Instant::now();
    let mut slow = Vec::new();
    for _ in 0..400 {
        slow.push(std::net::TcpStream::connect(target).unwrap());
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let client = client_from(&s, None);
    let r = client
        .get(format!("{}/health", s.url))
        .timeout(Duration::from_secs(10))
        .send()
        .await;
    let seconds = started.elapsed().as_secs();
    let log = s.log();
    let lines = log.lines().filter(|l| l.contains("accept failed")).count();
    assert!(lines >= 1, "no accept error was provoked:\n{log}");
    assert!(
        lines as u64 <= seconds + 2,
        "{lines} accept error lines in {seconds} s"
    );
    assert_eq!(r.unwrap().status(), 200);
    drop(slow);
}

/// Item 5: the per-minute registration limit counts a /24, not one address.
#[tokio::test]
async fn registration_rate_counts_the_network_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let s = start_limited(
        dir.path(),
        None,
        &[
            ("EKMS_REGISTER_RATE_PER_MINUTE", "10"),
            ("EKMS_REGISTER_RATE_PER_HOUR", "0"),
        ],
    );
    let mut admitted = 0;
    let mut limited = 0;
    for n in 2..22u8 {
        let client = client_from(&s, Some(IpAddr::from([127, 0, 0, n])));
        match register_with(&client, &s).await {
            (201, _, _) => admitted += 1,
            (429, body, retry) => {
                assert_eq!(body["error"], "too_many_requests");
                assert!(retry.is_some_and(|r| (1..=60).contains(&r)), "{retry:?}");
                limited += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((admitted, limited), (10, 10));
    // Another /24 has its own count.
    let other = client_from(&s, Some(IpAddr::from([127, 0, 1, 2])));
    assert_eq!(register_with(&other, &s).await.0, 201);
}

/// Item 5: a total of registrations per hour, whatever the prefix.
#[tokio::test]
async fn registration_total_per_hour() {
    let dir = tempfile::tempdir().unwrap();
    let s = start_limited(
        dir.path(),
        None,
        &[
            ("EKMS_REGISTER_RATE_PER_MINUTE", "0"),
            ("EKMS_REGISTER_RATE_PER_HOUR", "5"),
        ],
    );
    for n in 0..5u8 {
        let client = client_from(&s, Some(IpAddr::from([127, 0, n, 1])));
        assert_eq!(register_with(&client, &s).await.0, 201);
    }
    let client = client_from(&s, Some(IpAddr::from([127, 0, 9, 1])));
    let (status, body, retry) = register_with(&client, &s).await;
    assert_eq!(status, 429, "{body}");
    assert!(retry.is_some_and(|r| (1..=3600).contains(&r)), "{retry:?}");
}

/// Item 5: `--max-groups`: 503 with Retry-After once reached; a deleted group frees its place.
#[tokio::test]
async fn max_groups_answers_503() {
    let dir = tempfile::tempdir().unwrap();
    let s = start_limited(dir.path(), None, &[("EKMS_MAX_GROUPS", "3")]);
    let mut secrets = Vec::new();
    for _ in 0..3 {
        let (status, body, _) = register_with(&s.http, &s).await;
        assert_eq!(status, 201, "{body}");
        secrets.push(body["secret"].as_str().unwrap().to_string());
    }
    let (status, body, retry) = register_with(&s.http, &s).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "capacity_reached");
    assert!(retry.is_some(), "no Retry-After");
    let r = s
        .http
        .delete(format!("{}/group", s.url))
        .header("KmsDatabaseSecret", &secrets[0])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(register_with(&s.http, &s).await.0, 201);
}

/// Item 5: `--max-data-bytes`: creating objects, then registering, answers 503 once the group
/// files reach it; reading still works.
#[tokio::test]
async fn max_data_bytes_answers_503() {
    let dir = tempfile::tempdir().unwrap();
    let s = start_limited(dir.path(), None, &[("EKMS_MAX_DATA_BYTES", "1000000")]);
    let secret = s.register().await;
    let first = uid_of(&s.ok(&secret, create_key("AES", 256, None, false)).await);
    let mut refused = None;
    for _ in 0..2000 {
        let (status, v) = s
            .kmip(Some(&secret), &create_key("AES", 256, None, false))
            .await;
        if status != 200 {
            refused = Some((status, v));
            break;
        }
    }
    let (status, v) = refused.expect("never refused");
    assert_eq!(status, 503, "{v}");
    let (status, body, retry) = register_with(&s.http, &s).await;
    assert_eq!(status, 503, "{body}");
    assert!(retry.is_some());
    let (status, v) = s.kmip(Some(&secret), &uid_op("Get", &first)).await;
    assert_eq!(status, 200, "{v}");
}

fn modes_under(dir: &Path) -> Vec<(String, u32)> {
    use std::os::unix::fs::PermissionsExt;
    support::files_under(dir)
        .into_iter()
        .map(|p| {
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            (p.display().to_string(), mode)
        })
        .collect()
}

/// Item 5: group database files (and their -wal and -shm) are 0600, and a start fixes older
/// ones.
#[tokio::test]
async fn group_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    if support::skipped_on_postgres("the modes of SQLCipher's group files") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let groups = dir.path().join("data").join("groups");
    let mut s = start_limited(dir.path(), None, &[]);
    let secret = s.register().await;
    s.ok(&secret, create_key("AES", 256, None, false)).await;
    let modes = modes_under(&groups);
    assert!(modes.len() >= 2, "{modes:?}");
    assert!(modes.iter().all(|(_, m)| *m == 0o600), "{modes:?}");
    s.kill();
    for p in support::files_under(&groups) {
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let s = start_limited(dir.path(), None, &[]);
    let modes = modes_under(&groups);
    assert!(modes.iter().all(|(_, m)| *m == 0o600), "{modes:?}");
    s.ok(&secret, create_key("AES", 256, None, false)).await;
}

/// Item 5: with 200 open files, many groups used at once get 201/200 or 503, never 500
/// (`unable to open database file`).
#[tokio::test]
async fn many_groups_with_few_files_are_never_a_500() {
    let dir = tempfile::tempdir().unwrap();
    let s = start_limited(
        dir.path(),
        Some(200),
        &[
            ("EKMS_REGISTER_RATE_PER_MINUTE", "0"),
            ("EKMS_REGISTER_RATE_PER_HOUR", "0"),
        ],
    );
    let s = Arc::new(s);
    let mut secrets = Vec::new();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let s = s.clone();
                tokio::spawn(async move { register_with(&s.http, &s).await })
            })
            .collect();
        for t in tasks {
            let (status, body, _) = t.await.unwrap();
            statuses.push(status);
            if status == 201 {
                secrets.push(body["secret"].as_str().unwrap().to_string());
            }
        }
    }
    // 40 requests at once (fewer than the connections 200 files allow, more than the groups
    // they can keep open), each on another group.
    for chunk in secrets.chunks(40).chain(secrets.chunks(40)) {
        let tasks: Vec<_> = chunk
            .iter()
            .cloned()
            .map(|secret| {
                let s = s.clone();
                tokio::spawn(async move {
                    s.kmip(Some(&secret), &create_key("AES", 256, None, false))
                        .await
                })
            })
            .collect();
        for t in tasks {
            let (status, v) = t.await.unwrap();
            assert!(status == 200 || status == 503, "{status}: {v}");
            statuses.push(status);
        }
    }
    assert!(
        statuses.iter().all(|s| [200, 201, 503].contains(s)),
        "{statuses:?}\n{}",
        s.log()
    );
    assert!(
        secrets.len() >= 40,
        "only {} groups registered",
        secrets.len()
    );
    assert!(!s.log().contains("unable to open database file"));
}

/// Item 4 on the KMIP socket: a connection that never starts its TLS handshake is closed after
/// the header timeout, and the socket shares the connection cap, making room for a real client.
#[tokio::test]
async fn kmip_socket_shares_the_cap_and_the_header_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let s = kmip::KmipServer::start(
        dir.path(),
        &["--header-timeout-seconds", "1", "--max-connections", "4"],
    );
    let secret = s.server.register().await;
    let started = Instant::now();
    let mut silent = tokio::net::TcpStream::connect(s.kmip_addr).await.unwrap();
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(5), silent.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "{read:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
    // Four silent connections fill the cap; a KMIP client still gets in and is answered.
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(std::net::TcpStream::connect(s.kmip_addr).unwrap());
    }
    let mut c = s.connect().await;
    let v = ekms_kmip::ProtocolVersion::V2_1;
    let r = c
        .call(&kmip::request(
            v,
            Some(&secret),
            vec![kmip::create_aes(v, 256, "k")],
        ))
        .await;
    assert!(!kmip::uid_in(&r.items[0]).is_empty());
    drop(held);
}

/// Item 4: a client that stops reading its answer (here a stream it keeps feeding) does not
/// hold its connection for ever: with no byte moving for the idle timeout, it is closed.
#[tokio::test]
async fn a_client_that_stops_reading_is_closed() {
    let dir = tempfile::tempdir().unwrap();
    let s = start_limited(dir.path(), None, &[("EKMS_IDLE_TIMEOUT_SECONDS", "2")]);
    let secret = s.register().await;
    let uid = uid_of(&s.ok(&secret, create_key("AES", 256, None, true)).await);
    let total: usize = 256 << 20;
    let head = format!(
        "POST /v1/encrypt/{uid} HTTP/1.1\r\nHost: x\r\nKmsDatabaseSecret: {secret}\r\nContent-Length: {total}\r\n\r\n"
    );
    let mut tls = tls_with(&s, head.as_bytes()).await;
    // Writes until both directions are full and the server gives up on the connection.
    let chunk = vec![0u8; 64 * 1024];
    let started = Instant::now();
    let mut sent = 0usize;
    let ended = tokio::time::timeout(Duration::from_secs(20), async {
        while sent < total {
            match tls.write_all(&chunk).await {
                Ok(()) => sent += chunk.len(),
                Err(_) => return true,
            }
        }
        false
    })
    .await;
    assert_eq!(ended, Ok(true), "still open after {:?}", started.elapsed());
    assert!(sent < total);
}
