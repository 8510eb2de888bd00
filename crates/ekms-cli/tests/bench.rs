//! `ekms bench` against the real server, briefly (count-bounded), over both transports: binary
//! TTLV on the mutual-TLS KMIP socket (client certificate from a throwaway rcgen CA) in KMIP 1.2,
//! 1.4 and 2.1, and JSON TTLV over HTTPS. Checks the `--json` report: operations done, no
//! errors, percentiles in order.
//!
//! `--groups` spreads the requests over several groups round robin (each group's audit shows
//! its share) and keeps their secrets in `--groups-file` for the next run.
//!
//! `--static-answer` against a tiny HTTPS server of this file that answers every request with a
//! fixed status and body and records what it received: the requests must be those sent to
//! ekms (method, path, secret header, content type, body size), any 200 counts as a success,
//! and another status as an error; without the flag, a 200 that is not KMIP is refused.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rcgen::{CertificateParams, KeyPair};
use serde_json::Value;
use support::{Server, User, start_server_with};

/// A client CA (its PEM at `<dir>/clients-ca.pem`) and one client's certificate and key files.
fn client_pki(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let ca = ekms_testkit::ClientCa::new(dir, "clients-ca");
    let alice = ca.client("alice");
    let cert_file = dir.join("alice.pem");
    let key_file = dir.join("alice.key");
    std::fs::write(&cert_file, alice.cert_pem).unwrap();
    std::fs::write(&key_file, alice.key_pem).unwrap();
    (ca.ca_file, cert_file, key_file)
}

/// Runs `ekms ... bench --json <args>`; returns the report.
fn bench(user: &User, global: &[&str], args: &[&str]) -> Value {
    let out = user
        .ekms()
        .args(global)
        .args(["bench", "--json"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ekms bench {args:?} failed:\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", String::from_utf8_lossy(&out.stdout)))
}

fn check_report(report: &Value, ops: u64, op: &str, transport: &str) {
    assert_eq!(report["op"], op, "{report}");
    assert_eq!(report["transport"], transport, "{report}");
    assert_eq!(report["errors"], 0, "{report}");
    assert_eq!(report["ops"].as_u64(), Some(ops), "{report}");
    assert!(report["ops_per_second"].as_f64().unwrap() > 0.0, "{report}");
    let l = &report["latency_us"];
    let q: Vec<u64> = ["min", "p50", "p90", "p99", "p99_9", "max"]
        .iter()
        .map(|k| l[*k].as_u64().unwrap())
        .collect();
    assert!(q[0] > 0, "{report}");
    assert!(q.windows(2).all(|w| w[0] <= w[1]), "unordered: {report}");
}

/// The server (binary KMIP socket on, client certificates of `dir`'s CA), a user registered
/// with it, the socket's address, and the global options of a binary run (`binary_globals`).
fn start(dir: &Path) -> (Server, User, String, Vec<String>) {
    let (ca, cert, key) = client_pki(dir);
    let server = start_server_with(&[
        "--kmip-client-ca",
        ca.to_str().unwrap(),
        "--kmip-listen",
        "127.0.0.1:0",
    ]);
    let kmip = server
        .kmip
        .clone()
        .expect("the server prints its KMIP address");
    let user = User::new();
    user.register_pinned(&server);
    let global = binary_globals(&server, &cert, &key);
    (server, user, kmip, global)
}

/// The global options of a binary run: the server's certificate to trust, the client's.
fn binary_globals(server: &Server, cert: &Path, key: &Path) -> Vec<String> {
    let server_cert = server.data_dir.join("certificate.pem");
    [
        "--ca",
        server_cert.to_str().unwrap(),
        "--client-cert",
        cert.to_str().unwrap(),
        "--client-key",
        key.to_str().unwrap(),
    ]
    .map(str::to_string)
    .into()
}

#[test]
fn bench_binary_ttlv_over_mutual_tls() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, user, kmip, global) = start(dir.path());
    let global: Vec<&str> = global.iter().map(String::as_str).collect();
    for (version, op) in [
        ("1.4", "encrypt"),
        ("1.2", "decrypt"),
        ("2.1", "create"),
        ("1.4", "get"),
        ("2.1", "sign-ecdsa"),
        ("1.4", "hmac"),
        ("1.4", "locate"),
        ("1.2", "locate"),
        ("2.1", "locate"),
    ] {
        let report = bench(
            &user,
            &global,
            &[
                "--kmip",
                &kmip,
                "--tls-server-name",
                "localhost",
                "--kmip-version",
                version,
                "--op",
                op,
                "--count",
                "200",
                "--connections",
                "4",
            ],
        );
        check_report(&report, 200, op, "binary-ttlv");
        assert_eq!(report["kmip_version"], version, "{report}");
    }
    // A few RSA signatures: the pair is slow to make, the signing less so.
    let report = bench(
        &user,
        &global,
        &[
            "--kmip",
            &kmip,
            "--tls-server-name",
            "localhost",
            "--op",
            "sign-rsa",
            "--count",
            "20",
            "--connections",
            "2",
        ],
    );
    check_report(&report, 20, "sign-rsa", "binary-ttlv");
}

/// The Encrypt rows of the audit of the group whose secret is `secret` (`user`'s config with
/// the secret replaced).
fn encrypts_audited(user: &User, secret: &str) -> usize {
    let config = user.config_text().replace(&user.secret(), secret);
    let path = user.path(&format!("group-{}.toml", &secret[..12]));
    std::fs::write(&path, config).unwrap();
    let out = assert_cmd::Command::new(env!("CARGO_BIN_EXE_ekms"))
        .env_remove("EKMS_SERVER_URL")
        .env_remove("EKMS_CONFIG")
        .env_remove("XDG_STATE_HOME")
        .env("HOME", user.dir.path())
        .arg("--config")
        .arg(&path)
        .args([
            "--json",
            "audit",
            "--operation",
            "Encrypt",
            "--limit",
            "1000",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    rows.as_array().unwrap().len()
}

#[test]
fn bench_groups_spreads_the_requests_round_robin_and_keeps_the_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, user, kmip, global) = start(dir.path());
    let global: Vec<&str> = global.iter().map(String::as_str).collect();
    let file = dir.path().join("groups.txt");
    let run = |groups: &str| {
        let args = format!(
            "--kmip {kmip} --tls-server-name localhost --kmip-version 1.4 --op encrypt \
             --count 90 --connections 2 --groups {groups} --groups-file {}",
            file.display()
        );
        bench(&user, &global, &args.split_whitespace().collect::<Vec<_>>())
    };
    let report = run("3");
    check_report(&report, 90, "encrypt", "binary-ttlv");
    assert_eq!(report["groups"], 3, "{report}");
    assert_eq!(report["groups_registered"], 3, "{report}");
    let secrets: Vec<String> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(secrets.len(), 3);
    assert!(!secrets.contains(&user.secret()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the file of secrets is the owner's only"
        );
    }
    // Each connection takes the groups in turn: every group got a third of the Encrypts, give
    // or take one per connection; the config's own group got none.
    for secret in &secrets {
        let n = encrypts_audited(&user, secret);
        assert!(
            (28..=32).contains(&n),
            "{n} Encrypts in one group of 3, of 90"
        );
    }
    assert_eq!(encrypts_audited(&user, &user.secret()), 0);

    // A larger run reuses the file's groups and registers only the missing one.
    let report = run("4");
    check_report(&report, 90, "encrypt", "binary-ttlv");
    assert_eq!(report["groups"], 4, "{report}");
    assert_eq!(report["groups_registered"], 1, "{report}");
    let now = std::fs::read_to_string(&file).unwrap();
    let now: Vec<&str> = now.lines().collect();
    assert_eq!(now.len(), 4);
    assert_eq!(
        now[..3],
        secrets.iter().map(String::as_str).collect::<Vec<_>>()[..]
    );
    let fourth = encrypts_audited(&user, now[3]);
    assert!(
        (20..=25).contains(&fourth),
        "{fourth} Encrypts in one group of 4, of 90"
    );

    // Over HTTPS the secret belongs to the connection's client: --groups needs --kmip.
    let out = user
        .ekms()
        .args(["bench", "--groups", "2"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--kmip"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn bench_https_json() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, user, _kmip, _global) = start(dir.path());
    for op in ["encrypt", "decrypt", "hmac", "locate", "get"] {
        let report = bench(
            &user,
            &[],
            &[
                "--op",
                op,
                "--count",
                "200",
                "--connections",
                "4",
                "--payload-size",
                "1024",
            ],
        );
        check_report(&report, 200, op, "https-json");
        // ekms-server offers HTTP/2 first, and the client takes it.
        assert_eq!(report["http_version"], "HTTP/2", "{report}");
    }
    let report = bench(
        &user,
        &[],
        &[
            "--http1",
            "--op",
            "encrypt",
            "--count",
            "100",
            "--connections",
            "2",
        ],
    );
    check_report(&report, 100, "encrypt", "https-json");
    assert_eq!(report["http_version"], "HTTP/1.1", "{report}");
}

#[test]
fn bench_binary_refuses_without_client_certificate() {
    let user = User::new();
    user.ekms()
        .args(["--ca", "/nonexistent.pem", "bench", "--kmip", "127.0.0.1:1"])
        .assert()
        .failure();
}

/// One request as the static server read it.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    path: String,
    /// Header names in lower case, with their values.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An HTTPS server (HTTP/1.1, the only protocol it offers by ALPN) answering every request
/// with `status` and `body`; returns its URL, its certificate file and what it received.
fn static_server(
    dir: &Path,
    status: u16,
    body: Vec<u8>,
) -> (String, PathBuf, Arc<Mutex<Vec<Seen>>>) {
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let cert_file = dir.join("static-server.pem");
    std::fs::write(&cert_file, cert.pem()).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
        )
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let body = Arc::new(body);
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { break };
            let (config, record, body) = (config.clone(), record.clone(), body.clone());
            std::thread::spawn(move || {
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut stream = BufReader::new(rustls::StreamOwned::new(conn, tcp));
                // Requests until the client closes the connection (or breaks the TLS).
                while let Some(request) = read_request(&mut stream) {
                    record.lock().unwrap().push(request);
                    let head = format!(
                        "HTTP/1.1 {status} Static\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                        body.len()
                    );
                    let out = stream.get_mut();
                    if out.write_all(head.as_bytes()).is_err()
                        || out.write_all(&body).is_err()
                        || out.flush().is_err()
                    {
                        break;
                    }
                }
            });
        }
    });
    (url, cert_file, seen)
}

/// Reads one HTTP/1.1 request (a Content-Length body, as reqwest sends a known body).
fn read_request(stream: &mut impl BufRead) -> Option<Seen> {
    let mut line = String::new();
    stream.read_line(&mut line).ok().filter(|n| *n > 0)?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut headers = Vec::new();
    loop {
        line.clear();
        stream.read_line(&mut line).ok().filter(|n| *n > 0)?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map_or(Some(0), |(_, v)| v.parse().ok())?;
    let mut body = vec![0; length];
    stream.read_exact(&mut body).ok()?;
    Some(Seen {
        method,
        path,
        headers,
        body,
    })
}

#[test]
fn bench_static_answer_sends_the_same_requests_and_counts_any_200() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, user, _kmip, _global) = start(dir.path());

    // The real exchange first, keeping one answer as the static server's body.
    let answer_file = dir.path().join("answer.json");
    let real = bench(
        &user,
        &[],
        &[
            "--op",
            "encrypt",
            "--count",
            "50",
            "--connections",
            "2",
            "--save-answer",
            answer_file.to_str().unwrap(),
        ],
    );
    check_report(&real, 50, "encrypt", "https-json");
    let answer = std::fs::read(&answer_file).unwrap();
    let parsed: Value = serde_json::from_slice(&answer).unwrap();
    assert_eq!(parsed["tag"], "EncryptResponse", "{parsed}");
    assert_eq!(real["answer_bytes"].as_u64(), Some(answer.len() as u64));
    assert_eq!(real["static_answer"], false);

    // The same requests against the static server.
    let (url, cert, seen) = static_server(dir.path(), 200, answer.clone());
    let global = ["--server-url", url.as_str(), "--ca", cert.to_str().unwrap()];
    let ceiling = bench(
        &user,
        &global,
        &[
            "--static-answer",
            "--op",
            "encrypt",
            "--count",
            "50",
            "--connections",
            "2",
        ],
    );
    check_report(&ceiling, 50, "encrypt", "https-json");
    assert_eq!(ceiling["static_answer"], true);
    assert_eq!(ceiling["request_bytes"], real["request_bytes"]);
    assert_eq!(ceiling["answer_bytes"], real["answer_bytes"]);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 50, "one request per operation, no set-up");
    let secret = user.secret();
    for request in &seen {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/kmip/2_1");
        assert_eq!(request.header("kmsdatabasesecret"), Some(secret.as_str()));
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(
            Some(request.body.len() as u64),
            real["request_bytes"].as_u64()
        );
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(body["tag"], "Encrypt", "{body}");
    }

    // Without --static-answer, a 200 that is not KMIP is not a success (the set-up fails).
    let (url, cert, _) = static_server(dir.path(), 200, b"<html>hello</html>".to_vec());
    let out = user
        .ekms()
        .args(["--server-url", url.as_str(), "--ca", cert.to_str().unwrap()])
        .args(["bench", "--json", "--op", "get", "--count", "5"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "a non-KMIP answer was accepted");

    // With it, any other status than 200 is an error.
    let (url, cert, _) = static_server(dir.path(), 503, b"busy".to_vec());
    let out = user
        .ekms()
        .args(["--server-url", url.as_str(), "--ca", cert.to_str().unwrap()])
        .args(["bench", "--json", "--static-answer", "--count", "5"])
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "503 answers were counted as successes"
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["errors"], 5, "{report}");
    assert_eq!(report["ops"], 0, "{report}");
}

#[test]
fn bench_static_answer_is_for_https_only() {
    let user = User::new();
    user.ekms()
        .args(["bench", "--static-answer", "--kmip", "127.0.0.1:1"])
        .assert()
        .failure();
}

#[test]
fn bench_no_secret_sends_none() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, user, kmip, binary) = start(dir.path());

    // HTTPS JSON: the same requests, without the secret header.
    let (url, static_cert, seen) = static_server(dir.path(), 200, b"{}".to_vec());
    let global = [
        "--server-url",
        url.as_str(),
        "--ca",
        static_cert.to_str().unwrap(),
    ];
    let report = bench(
        &user,
        &global,
        &["--no-secret", "--static-answer", "--count", "10"],
    );
    check_report(&report, 10, "encrypt", "https-json");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 10);
    for request in &seen {
        assert_eq!(request.path, "/kmip/2_1");
        assert_eq!(request.header("kmsdatabasesecret"), None, "{request:?}");
    }

    // Binary TTLV: no credential, which ekms's socket refuses (it finds the group by it).
    let out = user
        .ekms()
        .args(&binary)
        .args(["bench", "--json", "--no-secret", "--kmip", &kmip])
        .args(["--tls-server-name", "localhost", "--count", "5"])
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "a request without credential was served"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("creating the AES key"), "{stderr}");
}
