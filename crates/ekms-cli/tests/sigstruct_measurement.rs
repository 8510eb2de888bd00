//! `ekms enclave sigstruct --measurement FILE`: the measurement block of a SIGSTRUCT, line for
//! line as a server running that enclave prints it (deploy/sgx/build.sh prints it this way).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use assert_cmd::Command;
use std::path::PathBuf;

fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ekms-attest/tests/data")
}

#[test]
fn prints_the_block_of_a_sigstruct_made_independently() {
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data().join("expected.json")).unwrap()).unwrap();
    let mr_enclave = expected["mr_enclave"].as_str().unwrap();
    let out = Command::cargo_bin("ekms")
        .unwrap()
        .args(["enclave", "sigstruct", "--measurement"])
        .arg(data().join("test_enclave.sig"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let want = [
        "mode: sgx".to_string(),
        "Measurement:".to_string(),
        format!("    {mr_enclave}"),
        "Attributes:".to_string(),
        format!("    mr_enclave: {mr_enclave}"),
        format!("    mr_signer: {}", expected["mr_signer"].as_str().unwrap()),
        format!("    isv_prod_id: {}", expected["isv_prod_id"]),
        format!("    isv_svn: {}", expected["isv_svn"]),
        "    debug: false".to_string(),
    ];
    let got: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
    assert_eq!(got, want);
}

#[test]
fn a_sigstruct_whose_signature_fails_prints_no_block() {
    let mut bytes = std::fs::read(data().join("test_enclave.sig")).unwrap();
    bytes[960] ^= 1; // the enclave hash: a block printed now would state a forged mr_enclave
    let dir = tempfile::tempdir().unwrap();
    let sig = dir.path().join("tampered.sig");
    std::fs::write(&sig, &bytes).unwrap();
    let out = Command::cargo_bin("ekms")
        .unwrap()
        .args(["enclave", "sigstruct", "--measurement"])
        .arg(&sig)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not verify"));
}
