//! Interoperability with Microsoft's own client: the Azure Attestation Python SDK
//! (`azure-security-attestation`) attests an emulated quote against the real `ekms-attest`
//! binary, unchanged, validating the token itself. Runs when `EKMS_MAA_PYTHON` names a Python
//! interpreter that has the SDK (`pip install azure-security-attestation six`); otherwise it
//! says it was skipped.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;

use ekms_attest::emulated::{EmulatedPlatform, EnclaveIdentity};
use support::*;

#[test]
fn azure_attestation_python_sdk_accepts_the_service() {
    let Ok(python) = std::env::var("EKMS_MAA_PYTHON") else {
        // CI installs the SDK (.ci/run): there, a missing interpreter is a failure, not a skip.
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must set EKMS_MAA_PYTHON (see .ci/run)"
        );
        eprintln!("skipped: set EKMS_MAA_PYTHON to a Python with azure-security-attestation");
        return;
    };
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ekms-attest-svc-sdk");
    std::fs::create_dir_all(&dir).unwrap();
    // The platform of tests/emulated.rs, kept between runs (making one is slow in debug builds).
    let platform = EmulatedPlatform::open_or_create(
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ekms-attest-svc-platform"),
    )
    .unwrap();
    let runtime = b"-----BEGIN CERTIFICATE-----\nsdk\n-----END CERTIFICATE-----\nnonce".to_vec();
    let mut report_data = [0u8; 64];
    report_data[..32].copy_from_slice(&sha256(&runtime));
    let identity = EnclaveIdentity {
        mr_enclave: [0x42; 32],
        mr_signer: platform.mr_signer(),
        attributes: EnclaveIdentity::attributes_for(false),
        isv_prod_id: 5,
        isv_svn: 9,
    };
    let quote = platform.quote(&identity, &report_data).unwrap();
    std::fs::write(dir.join("quote.bin"), &quote).unwrap();
    std::fs::write(dir.join("runtime.bin"), &runtime).unwrap();

    let service = Service::start(&["--allow-emulated"]);
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/maa_python_sdk.py");
    let out = std::process::Command::new(python)
        .arg(script)
        .arg(&service.url)
        .arg(dir.join("quote.bin"))
        .arg(dir.join("runtime.bin"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the SDK failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let facts: HashMap<&str, &str> = stdout.lines().filter_map(|l| l.split_once('=')).collect();
    assert_eq!(facts["issuer"], service.issuer);
    assert_eq!(facts["mr_enclave"], hex::encode([0x42; 32]));
    assert_eq!(facts["mr_signer"], hex::encode(platform.mr_signer()));
    assert_eq!(facts["product_id"], "5");
    assert_eq!(facts["svn"], "9");
    assert_eq!(facts["is_debuggable"], "False");
    assert_eq!(facts["enclave_held_data"], hex::encode(&runtime));
    assert_eq!(facts["quotehash"], hex::encode(sha256(&quote)));
    assert_eq!(facts["verifier_type"], "sgx");
    assert_eq!(facts["version"], "1.0");
    assert_eq!(facts["signers"], service.kid);
    assert_eq!(facts["wrong_runtime"], "RuntimeDataMismatch");
}
