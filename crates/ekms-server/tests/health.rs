//! Health checks a load balancer understands, and draining, on the real binary:
//! `/health/live` and `/health/ready` on the HTTPS port and the metrics port; readiness false
//! while PostgreSQL is down (skipped without PostgreSQL, unless `CI` is set); and a SIGTERM sent
//! while a 1 GiB stream is under way: new connections are refused, readiness says draining,
//! the stream finishes whole and correct, and the server exits 0.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use ekms_crypto::stream::{decrypt_all, unwrap_data_key};
use futures_util::StreamExt;
use serde_json::Value;
use std::io::{Read, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use support::*;

/// Tests that stop the PostgreSQL cluster of this binary (which every test server uses when
/// `EKMS_TEST_DATABASE` is set) run alone.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// GET `url` over plain HTTP or HTTPS with `client`: the status and the JSON body.
async fn health(client: &reqwest::Client, url: &str) -> (u16, Value) {
    answer(client.get(url)).await
}

fn metrics_url(s: &Server) -> String {
    printed(&s.log(), "metrics listening on ")
}

#[tokio::test]
async fn live_and_ready_answer_on_both_ports_and_health_is_unchanged() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &["--metrics-listen", "127.0.0.1:0"]);
    let m = metrics_url(&s);
    for base in [s.url.as_str(), m.as_str()] {
        let (status, body) = health(&s.http, &format!("{base}/health/live")).await;
        assert_eq!((status, body["status"].as_str()), (200, Some("live")));
        let (status, body) = health(&s.http, &format!("{base}/health/ready")).await;
        assert_eq!((status, body["status"].as_str()), (200, Some("ready")));
    }
    let (status, body) = health(&s.http, &format!("{}/health", s.url)).await;
    assert_eq!((status, body), (200, serde_json::json!({"status": "ok"})));
}

#[tokio::test]
async fn ready_is_false_while_postgresql_is_down_and_true_again_after() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let Some(cluster) = ekms_testkit::postgres::cluster() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let db = cluster.database();
    let s = nodes::node(
        tmp.path(),
        cluster,
        &db,
        &["--metrics-listen", "127.0.0.1:0"],
    );
    let m = metrics_url(&s);
    let ready = |base: String| {
        let client = s.http.clone();
        async move { health(&client, &format!("{base}/health/ready")).await }
    };
    assert_eq!(ready(s.url.clone()).await.0, 200);
    tokio::task::spawn_blocking(|| cluster.stop())
        .await
        .unwrap();
    for base in [s.url.clone(), m.clone()] {
        let started = Instant::now();
        let (status, body) = ready(base).await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["reason"], "store unreachable");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
    // Alive all the same: nothing to restart.
    assert_eq!(
        health(&s.http, &format!("{}/health/live", s.url)).await.0,
        200
    );
    tokio::task::spawn_blocking(|| cluster.restart())
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if ready(s.url.clone()).await.0 == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not ready again after the restart"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The plaintext byte at `i`: differs from one 64 KiB chunk to the next, so a chunk lost,
/// repeated or reordered shows.
fn plain_at(i: u64) -> u8 {
    (i as u8).wrapping_mul(31) ^ ((i >> 16) as u8)
}

const GIB: u64 = 1 << 30;
const PIECE: u64 = 1 << 20;

/// Reads the chunks of a channel as one byte stream.
struct Chunks {
    rx: mpsc::Receiver<bytes::Bytes>,
    current: bytes::Bytes,
}

impl Read for Chunks {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.recv() {
                Ok(b) => self.current = b,
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.current.len());
        out[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}

/// Checks the decrypted bytes against [`plain_at`] as they come.
struct Check {
    at: u64,
}

impl Write for Check {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for (k, b) in buf.iter().enumerate() {
            assert_eq!(
                *b,
                plain_at(self.at + k as u64),
                "byte {}",
                self.at + k as u64
            );
        }
        self.at += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_sigterm_lets_a_1_gib_stream_finish_refuses_new_connections_and_exits_0() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let tmp = tempfile::tempdir().unwrap();
    let mut s = Server::start_in(
        tmp.path(),
        &[
            "--metrics-listen",
            "127.0.0.1:0",
            "--shutdown-grace-seconds",
            "600",
        ],
    );
    let m = metrics_url(&s);
    let secret = s.register().await;
    let uid = uid_of(&s.ok(&secret, create_key("AES", 256, None, true)).await);
    let kms_key = key_bytes(&s, &secret, &uid).await;

    // No overall timeout: the stream takes what it takes.
    let client = reqwest::Client::builder()
        .use_preconfigured_tls(tls_config(&s))
        .build()
        .unwrap();
    // The plaintext is made as it is sent, never held whole.
    let pieces = futures_util::stream::iter(0..GIB / PIECE).map(|p| {
        let piece: Vec<u8> = (p * PIECE..(p + 1) * PIECE).map(plain_at).collect();
        Ok::<_, std::io::Error>(piece)
    });
    let response = client
        .post(format!("{}/v1/encrypt/{uid}", s.url))
        .header("KmsDatabaseSecret", &secret)
        .body(reqwest::Body::wrap_stream(pieces))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let (tx, rx) = mpsc::sync_channel::<bytes::Bytes>(64);
    let key_uid = uid.clone();
    let checker = std::thread::spawn(move || {
        let mut input = Chunks {
            rx,
            current: bytes::Bytes::new(),
        };
        let mut check = Check { at: 0 };
        decrypt_all(&mut input, &mut check, |h, _| {
            Ok(unwrap_data_key(
                ekms_crypto::aead::AeadAlgorithm::Aes256Gcm,
                &kms_key,
                &key_uid,
                &h.wrapped_key,
            )?)
        })
        .unwrap();
        check.at
    });

    let addr = s.url.trim_start_matches("https://").to_string();
    let mut body = response.bytes_stream();
    let mut received = 0u64;
    let mut signalled = false;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.expect("the stream broke");
        received += chunk.len() as u64;
        tx.send(chunk).unwrap();
        if !signalled && received >= 64 * PIECE {
            signalled = true;
            let status = std::process::Command::new("kill")
                .args(["-TERM", &s.child.id().to_string()])
                .status()
                .unwrap();
            assert!(status.success());
            // Draining: a new connection is refused, and readiness says why.
            let deadline = Instant::now() + Duration::from_secs(10);
            while tokio::net::TcpStream::connect(&addr).await.is_ok() {
                assert!(Instant::now() < deadline, "still accepting after SIGTERM");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let (status, ready) = health(&s.http, &format!("{m}/health/ready")).await;
            assert_eq!((status, ready["reason"].as_str()), (503, Some("draining")));
        }
    }
    drop(tx);
    assert!(
        signalled,
        "the stream ended before the signal: {received} bytes"
    );
    assert_eq!(
        checker.join().unwrap(),
        GIB,
        "the plaintext came back whole"
    );

    let deadline = Instant::now() + Duration::from_secs(60);
    let exit = loop {
        if let Some(status) = s.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "still running:\n{}", s.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(exit.code(), Some(0), "{}", s.log());
    assert!(s.log().contains("drained"), "{}", s.log());
}
