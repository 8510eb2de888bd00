//! `ekms-attest` start-up: bad settings stop it with a message before it listens; a provided
//! TLS pair, signing key and public URL are used.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use support::*;

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ekms-attest-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn fails_with(args: &[&str], expected: &str) {
    let mut child = command(args).spawn().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("ekms-attest {args:?} kept running");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!status.success(), "{args:?} should fail");
    assert!(
        !stdout.contains("listening on"),
        "{args:?} must not listen: {stdout}"
    );
    assert!(stderr.contains(expected), "{args:?}: {stderr}");
}

#[test]
fn bad_settings_stop_the_service() {
    fails_with(&["--tcb-policy", "Fine"], "Fine");
    fails_with(&["--fixed-time", "yesterday"], "--fixed-time");
    fails_with(&["--collateral", "/nonexistent/c.json"], "--collateral");
    let dir = temp_dir("bad");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{}").unwrap();
    fails_with(&["--collateral", bad.to_str().unwrap()], "collateral");
    fails_with(
        &["--signing-key", bad.to_str().unwrap()],
        "no PEM private key",
    );
    fails_with(
        &[
            "--tls-cert",
            bad.to_str().unwrap(),
            "--tls-key",
            bad.to_str().unwrap(),
        ],
        "certificate",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn provided_tls_pair_signing_key_and_public_url() {
    let dir = temp_dir("provided");
    // TLS pair.
    let tls_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    let cert = params.self_signed(&tls_key).unwrap();
    let cert_path = dir.join("tls.pem");
    let key_path = dir.join("tls.key");
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, tls_key.serialize_pem()).unwrap();
    // Signing key (PKCS#8 RSA-2048).
    let rsa = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let pkcs8 =
        aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&rsa).unwrap();
    let signing_path = dir.join("signing.pem");
    std::fs::write(
        &signing_path,
        format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            STANDARD.encode(pkcs8.as_ref())
        ),
    )
    .unwrap();

    let args = [
        "--tls-cert",
        cert_path.to_str().unwrap(),
        "--tls-key",
        key_path.to_str().unwrap(),
        "--signing-key",
        signing_path.to_str().unwrap(),
        "--public-url",
        "https://attest.example.test/",
    ];
    let a = Service::start(&args);
    assert_eq!(a.cert_sha256, hex::encode(sha256(cert.der())));
    assert_eq!(a.issuer, "https://attest.example.test");
    let (status, meta) = a
        .get_json(&format!("{}/.well-known/openid-configuration", a.url))
        .await;
    assert_eq!(status, 200);
    assert_eq!(meta["jwks_uri"], "https://attest.example.test/certs");
    let (_, jwks) = a.get_json(&format!("{}/certs", a.url)).await;
    assert_eq!(jwks["keys"][0]["kid"], a.kid.as_str());

    // The same signing key keeps its key id across restarts.
    let b = Service::start(&args);
    assert_eq!(a.kid, b.kid);
    // A generated key gets another.
    let c = Service::start(&[]);
    assert_ne!(a.kid, c.kid);
    drop((a, b, c));
    let _ = std::fs::remove_dir_all(&dir);
}
