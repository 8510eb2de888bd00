//! The trust routes on the real binary: `/quote` binds the TLS certificate and the nonce, and
//! verifies through the same verifier as real SGX evidence (emulated root allowed);
//! `/certificates` and `/manifest` give what the quote's identity is computed from; a
//! `--manifest` is checked file by file. The Gramine source: tests/gramine.rs.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use base64::Engine;
use ekms_attest::{EmulatedPlatform, TrustedRoot, Verifier};
use serde_json::Value;
use support::*;

#[tokio::test]
async fn quote_binds_certificate_and_nonce_and_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &[]);
    let log = s.log();
    // The measurement block that docs/server.md describes.
    assert_eq!(printed(&log, "mode:"), "emulated");
    let mr_enclave = printed(&log, "mr_enclave:");
    let mr_signer = printed(&log, "mr_signer:");
    assert_eq!(printed(&log, "isv_prod_id:"), "1");
    assert_eq!(printed(&log, "isv_svn:"), "1");
    assert_eq!(printed(&log, "debug:"), "false");
    let after_measurement = log
        .lines()
        .skip_while(|l| *l != "Measurement:")
        .nth(1)
        .unwrap();
    assert_eq!(after_measurement.trim(), mr_enclave);

    let certs: Value = s.get_json("/certificates").await;
    let cert_pem = certs["ssl_certificate"].as_str().unwrap().to_string();
    assert_eq!(
        cert_pem.as_bytes(),
        std::fs::read(s.data_dir.join("certificate.pem")).unwrap()
    );
    let enclave_key = certs["enclave_public_key"].as_str().unwrap();
    assert_eq!(
        hex::encode(ekms_attest::mr_signer(enclave_key.as_bytes()).unwrap()),
        mr_signer,
        "mr_signer is SHA-256 of the enclave key's modulus"
    );

    // The nonce is the query parameter after URL-decoding, as UTF-8 bytes.
    let (status, body) = get_quote(&s, "nonce=n%C3%B6nce%20one").await;
    assert_eq!(status, 200);
    let quote = base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .unwrap();
    let platform = EmulatedPlatform::open_or_create(&s.platform_dir).unwrap();
    let now = time::OffsetDateTime::now_utc();
    let collateral = platform.collateral(now).unwrap();
    let verifier = Verifier::intel().with_root(TrustedRoot::emulated());
    // Emulated evidence is refused unless allowed.
    assert!(verifier.verify(&quote, &collateral, now).is_err());
    let verified = verifier
        .clone()
        .allow_emulated(true)
        .verify(&quote, &collateral, now)
        .unwrap();
    assert!(verified.emulated);
    let mut expected = [0u8; 64];
    expected[..32].copy_from_slice(&ekms_crypto::hash::sha256_parts(&[
        cert_pem.as_bytes(),
        "nönce one".as_bytes(),
    ]));
    assert_eq!(verified.report.report_data, expected);
    assert_eq!(hex::encode(verified.report.mr_enclave), mr_enclave);
    assert_eq!(hex::encode(verified.report.mr_signer), mr_signer);

    // Another nonce, another quote: no replay of an old one.
    let (_, other) = get_quote(&s, "nonce=two").await;
    let other = base64::engine::general_purpose::STANDARD
        .decode(other.trim())
        .unwrap();
    let v2 = verifier
        .allow_emulated(true)
        .verify(&other, &collateral, now)
        .unwrap();
    assert_ne!(v2.report.report_data, verified.report.report_data);

    // The manifest measures to the quote's mr_enclave and names this binary first.
    let manifest = s.get_text("/manifest").await;
    let exe = std::fs::read(env!("CARGO_BIN_EXE_ekms-server")).unwrap();
    assert!(manifest.contains(&hex::encode(ekms_crypto::hash::sha256(&exe))));
    let layout = ekms_attest::EmulatedEnclaveLayout::new(1 << 30);
    let measured = ekms_attest::emulated_mr_enclave(manifest.as_bytes(), &layout).unwrap();
    assert_eq!(hex::encode(measured), mr_enclave);
}

/// The report data of a quote fetched with `nonce_query`, verified under the emulated root.
async fn report_data_for(s: &Server, nonce_query: &str) -> [u8; 64] {
    let (status, body) = get_quote(s, nonce_query).await;
    assert_eq!(status, 200, "{nonce_query}: {body}");
    let quote = base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .unwrap();
    let platform = EmulatedPlatform::open_or_create(&s.platform_dir).unwrap();
    let now = time::OffsetDateTime::now_utc();
    let collateral = platform.collateral(now).unwrap();
    Verifier::intel()
        .with_root(TrustedRoot::emulated())
        .allow_emulated(true)
        .verify(&quote, &collateral, now)
        .unwrap()
        .report
        .report_data
}

#[tokio::test]
async fn nonce_bytes_are_hashed_exactly_even_when_not_utf8() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &[]);
    let cert_pem = std::fs::read(s.data_dir.join("certificate.pem")).unwrap();
    let expected = |nonce: &[u8]| {
        let mut rd = [0u8; 64];
        rd[..32].copy_from_slice(&ekms_crypto::hash::sha256_parts(&[&cert_pem, nonce]));
        rd
    };
    // Two bytes that are not UTF-8: each enters the report data as itself, so they differ
    // (a lossy decoding made both U+FFFD).
    let ff = report_data_for(&s, "nonce=%ff").await;
    let x80 = report_data_for(&s, "nonce=%80").await;
    assert_ne!(ff, x80, "%ff and %80 must give different report data");
    assert_eq!(ff, expected(&[0xff]));
    assert_eq!(x80, expected(&[0x80]));
    // Every byte value, percent-encoded, upper- or lower-case hex.
    let all: Vec<u8> = (0..=255u8).collect();
    let upper: String = all.iter().map(|b| format!("%{b:02X}")).collect();
    let lower: String = all.iter().map(|b| format!("%{b:02x}")).collect();
    assert_eq!(
        report_data_for(&s, &format!("nonce={upper}")).await,
        expected(&all)
    );
    assert_eq!(
        report_data_for(&s, &format!("nonce={lower}")).await,
        expected(&all)
    );
    // Unescaped bytes stand for themselves; `+` is a space, as in any query string.
    assert_eq!(
        report_data_for(&s, "nonce=a+b%2Bc").await,
        expected(b"a b+c")
    );
    // The limit counts decoded bytes: 1024 escaped bytes are accepted, 1025 are not.
    let (status, _) = get_quote(&s, &format!("nonce={}", "%ff".repeat(1024))).await;
    assert_eq!(status, 200);
    let (status, _) = get_quote(&s, &format!("nonce={}", "%ff".repeat(1025))).await;
    assert_eq!(status, 400);
    // Two nonces are ambiguous: refused rather than one picked.
    let (status, body) = get_quote(&s, "nonce=a&nonce=b").await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn bad_nonces_are_400() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &[]);
    for q in [
        "",
        "nonce=",
        "other=1",
        &format!("nonce={}", "a".repeat(1025)),
    ] {
        let (status, body) = get_quote(&s, q).await;
        assert_eq!(status, 400, "{q}: {body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["error"], "bad_request");
    }
    let (status, _) = get_quote(&s, &format!("nonce={}", "a".repeat(1024))).await;
    assert_eq!(status, 200, "1024 bytes is the limit, inclusive");
}

#[tokio::test]
async fn given_manifest_is_checked_and_measured() {
    let tmp = tempfile::tempdir().unwrap();
    let exe = std::fs::read(env!("CARGO_BIN_EXE_ekms-server")).unwrap();
    let dir = tmp.path().join("enclave");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("policy.txt"), b"trusted content").unwrap();
    // The data dir is a measured setting: the manifest states the one the server runs with.
    let manifest = format!(
        "loader.env.EKMS_DATA_DIR = {:?}\nsgx.enclave_size = \"512M\"\nsgx.isvprodid = 9\nsgx.isvsvn = 4\nsgx.debug = false\nsgx.trusted_files = [\n  {{ uri = \"file:ekms-server\", sha256 = \"{}\" }},\n  {{ uri = \"file:policy.txt\", sha256 = \"{}\" }},\n]\n",
        tmp.path().join("data").to_str().unwrap(),
        hex::encode(ekms_crypto::hash::sha256(&exe)),
        hex::encode(ekms_crypto::hash::sha256(b"trusted content"))
    );
    let path = dir.join("ekms.manifest");
    std::fs::write(&path, &manifest).unwrap();
    let p = path.to_str().unwrap();
    let s = Server::start_in(tmp.path(), &["--manifest", p]);
    let log = s.log();
    assert_eq!(printed(&log, "isv_prod_id:"), "9");
    assert_eq!(printed(&log, "isv_svn:"), "4");
    let served = s.get_text("/manifest").await;
    assert_eq!(served, manifest, "the manifest is served byte for byte");
    let measured = ekms_attest::emulated_mr_enclave(
        manifest.as_bytes(),
        &ekms_attest::EmulatedEnclaveLayout::new(512 << 20),
    )
    .unwrap();
    assert_eq!(printed(&log, "mr_enclave:"), hex::encode(measured));
    drop(s);

    // A trusted file that changed: the server refuses to start, and says why.
    std::fs::write(dir.join("policy.txt"), b"tampered content").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ekms-server"))
        .args(["--listen", "127.0.0.1:0", "--manifest", p, "--data-dir"])
        .arg(tmp.path().join("data"))
        .arg("--emulated-platform-dir")
        .arg(tmp.path().join("platform"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("policy.txt") && err.contains("refusing to start"),
        "{err}"
    );
}
