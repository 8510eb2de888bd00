//! `ekms bench` against the real server, briefly (count-bounded), over both transports: binary
//! TTLV on the mutual-TLS KMIP socket (client certificate from a throwaway rcgen CA) in KMIP 1.2,
//! 1.4 and 2.1, and JSON TTLV over HTTPS. Checks the `--json` report: operations done, no
//! errors, percentiles in order.

mod support;

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use serde_json::Value;
use support::{Server, User, start_server_with};

/// A client CA (its PEM at `<dir>/clients-ca.pem`) and one client's certificate and key files.
fn client_pki(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "bench-clients");
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
    let ca_file = dir.join("clients-ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();

    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "alice");
    params.distinguished_name = dn;
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca).unwrap();
    let cert_file = dir.join("alice.pem");
    let key_file = dir.join("alice.key");
    std::fs::write(&cert_file, cert.pem()).unwrap();
    std::fs::write(&key_file, key.serialize_pem()).unwrap();
    (ca_file, cert_file, key_file)
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

fn start(dir: &Path) -> (Server, String, PathBuf, PathBuf) {
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
    (server, kmip, cert, key)
}

#[test]
fn bench_binary_ttlv_over_mutual_tls() {
    let dir = tempfile::tempdir().unwrap();
    let (server, kmip, cert, key) = start(dir.path());
    let user = User::new();
    user.register_pinned(&server);
    let server_cert = server.data_dir.join("certificate.pem");
    let global = [
        "--ca",
        server_cert.to_str().unwrap(),
        "--client-cert",
        cert.to_str().unwrap(),
        "--client-key",
        key.to_str().unwrap(),
    ];
    for (version, op) in [
        ("1.4", "encrypt"),
        ("1.2", "decrypt"),
        ("2.1", "create"),
        ("1.4", "get"),
        ("2.1", "sign-ecdsa"),
        ("1.4", "hmac"),
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

#[test]
fn bench_https_json() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _kmip, _cert, _key) = start(dir.path());
    let user = User::new();
    user.register_pinned(&server);
    for op in ["encrypt", "decrypt", "hmac"] {
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
    }
}

#[test]
fn bench_binary_refuses_without_client_certificate() {
    let user = User::new();
    user.ekms()
        .args(["--ca", "/nonexistent.pem", "bench", "--kmip", "127.0.0.1:1"])
        .assert()
        .failure();
}
