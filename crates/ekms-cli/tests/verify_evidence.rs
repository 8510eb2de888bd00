//! `ekms trust verify-evidence` through the real CLI binary: recorded exchanges with Microsoft
//! Azure Attestation (`testdata/maa/`, real quotes and real tokens signed by the instance's
//! RSA-1024 key) pass every check at a time inside the token's validity, and each piece an
//! attacker could change (the time, one quote byte, the token's payload, the expected
//! measurement, the key floor, the runtime data, the issuer) fails the line that must fail.
//! An `ekms trust --export` of the real `ekms-server` and `ekms-attest` checks unchanged, and
//! the key floor applies to it and to `ekms trust` alike.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::{Path, PathBuf};

use support::*;

const ISSUER: &str = "https://sharedwus.wus.attest.azure.net";
/// Inside both recorded tokens' validity (2021-05-05T19:58:37Z .. 2021-05-06T03:58:36Z).
const INSIDE: &str = "2021-05-05T21:00:00Z";
/// After both tokens' `exp`.
const AFTER: &str = "2021-05-06T05:00:00Z";

fn recording(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/maa")
        .join(name)
}

/// The identity the recorded quote states, read from the decoded claims the recording keeps
/// (so the expected values are those of the recording, not of the code under test).
fn recorded_identity(dir: &Path) -> (String, String) {
    let claims: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("claims.json")).unwrap()).unwrap();
    (
        claims["x-ms-sgx-mrenclave"].as_str().unwrap().to_string(),
        claims["x-ms-sgx-mrsigner"].as_str().unwrap().to_string(),
    )
}

/// The files `verify-evidence` reads.
struct Files {
    quote: PathBuf,
    token: PathBuf,
    signing_certs: PathBuf,
    runtime_data: PathBuf,
}

impl Files {
    /// The files of a recorded exchange (or an export, whose key set is `signing-certs.json`).
    fn of(dir: &Path, signing_certs: &str) -> Files {
        Files {
            quote: dir.join("quote.bin"),
            token: dir.join("token.jwt"),
            signing_certs: dir.join(signing_certs),
            runtime_data: dir.join("runtime-data.bin"),
        }
    }

    /// `ekms trust verify-evidence` on these files, `args` appended.
    fn verify(&self, args: &[&str]) -> (i32, String, String) {
        run(assert_cmd::Command::cargo_bin("ekms")
            .unwrap()
            .args(["trust", "verify-evidence", "--quote"])
            .arg(&self.quote)
            .arg("--token")
            .arg(&self.token)
            .arg("--signing-certs")
            .arg(&self.signing_certs)
            .arg("--runtime-data")
            .arg(&self.runtime_data)
            .args(args))
    }
}

/// `verify-evidence` on `files` of the recording `dir`, with the recorded issuer and mr_signer
/// and `mr_enclave` (the recorded one when `None`) expected, `extra` appended.
fn verify(
    dir: &Path,
    files: &Files,
    mr_enclave: Option<&str>,
    extra: &[&str],
) -> (i32, String, String) {
    let (recorded_mr_enclave, mr_signer) = recorded_identity(dir);
    let mr_enclave = mr_enclave.unwrap_or(&recorded_mr_enclave);
    let mut args = vec![
        "--issuer",
        ISSUER,
        "--mr-enclave",
        mr_enclave,
        "--mr-signer",
        &mr_signer,
    ];
    args.extend_from_slice(extra);
    files.verify(&args)
}

fn verify_recorded(dir: &Path, extra: &[&str]) -> (i32, String, String) {
    verify(dir, &Files::of(dir, "certs.json"), None, extra)
}

/// `files` (the recording `dir`'s with one changed) checked inside the token's validity with
/// the floor Azure's key needs, so that only what was changed can fail.
fn verify_changed(dir: &Path, files: Files) -> (i32, String, String) {
    verify(
        dir,
        &files,
        None,
        &["--at", INSIDE, "--min-token-rsa-bits", "1024"],
    )
}

/// Exactly the lines of `ko` are Ko (each present), and the exit status says so.
fn assert_ko(result: &(i32, String, String), ko: &[&str]) {
    let (code, stdout, stderr) = result;
    assert_only_ko(stdout, ko);
    assert_eq!(
        *code,
        if ko.is_empty() { 0 } else { 1 },
        "{stdout}\n{stderr}"
    );
}

/// What a token that does not verify makes Ko: every line that reads a claim.
const UNTRUSTED: [&str; 8] = [
    TOKEN_LINES[0],
    TOKEN_LINES[1],
    TOKEN_LINES[2],
    TOKEN_LINES[3],
    TOKEN_LINES[4],
    TOKEN_LINES[5],
    TOKEN_LINES[6],
    "report data in token = quote",
];

const EXCHANGES: [&str; 2] = ["shared-wus", "shared-wus-json"];

#[test]
fn real_azure_tokens_pass_every_check_inside_their_validity() {
    for exchange in EXCHANGES {
        let dir = recording(exchange);
        let result = verify_recorded(&dir, &["--at", INSIDE, "--min-token-rsa-bits", "1024"]);
        assert_ko(&result, &[]);
        let stdout = &result.1;
        let labels: Vec<String> = check_lines(stdout).into_iter().map(|(l, _, _)| l).collect();
        assert_eq!(
            labels,
            TOKEN_LINES
                .iter()
                .chain(&[
                    "mr_enclave = expected",
                    "mr_signer = expected",
                    "report data in token = quote",
                    "report data = SHA-256(runtime data)",
                    "not a debug enclave",
                ])
                .copied()
                .collect::<Vec<_>>(),
            "{exchange}"
        );
        // The line names the key and that the user's floor admitted it.
        let signature = line_of(stdout, "token signature");
        assert!(
            signature.contains("RSA-1024") && signature.contains("--min-token-rsa-bits 1024"),
            "{signature}"
        );
        // Azure states no TCB status: said so, not judged.
        assert!(
            stdout
                .lines()
                .any(|l| l == "TCB status: not stated by the attestation service"),
            "{stdout}"
        );
        assert!(stdout.lines().any(|l| l == "mode: sgx"), "{stdout}");
    }
}

#[test]
fn the_default_key_floor_refuses_azures_rsa_1024_key() {
    let dir = recording("shared-wus");
    let result = verify_recorded(&dir, &["--at", INSIDE]);
    assert_ko(&result, &UNTRUSTED);
    let signature = line_of(&result.1, "token signature");
    assert!(
        signature.contains("RSA-1024") && signature.contains("2048"),
        "{signature}"
    );
}

#[test]
fn a_token_checked_after_its_expiry_is_ko() {
    for exchange in EXCHANGES {
        let result = verify_recorded(
            &recording(exchange),
            &["--at", AFTER, "--min-token-rsa-bits", "1024"],
        );
        assert_ko(&result, &["token in date"]);
        assert!(line_of(&result.1, "token in date").contains("expired"));
    }
}

#[test]
fn one_quote_byte_flipped_is_ko() {
    let dir = recording("shared-wus");
    let tmp = tempfile::tempdir().unwrap();
    let mut quote = std::fs::read(dir.join("quote.bin")).unwrap();
    // A byte of mr_enclave (report body at 48, mr_enclave at 64 in it).
    quote[48 + 64] ^= 1;
    let flipped = tmp.path().join("quote.bin");
    std::fs::write(&flipped, &quote).unwrap();
    let result = verify_changed(
        &dir,
        Files {
            quote: flipped,
            ..Files::of(&dir, "certs.json")
        },
    );
    assert_ko(
        &result,
        &[
            "quote in token = quote returned",
            "mr_enclave in token = quote",
            "mr_enclave = expected",
        ],
    );
}

#[test]
fn a_token_with_its_payload_altered_is_ko() {
    let dir = recording("shared-wus");
    let tmp = tempfile::tempdir().unwrap();
    let token = std::fs::read_to_string(dir.join("token.jwt")).unwrap();
    let parts: Vec<&str> = token.trim().split('.').collect();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: serde_json::Value =
        serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
    // The attacker's edit: a later expiry.
    claims["exp"] = serde_json::json!(4_000_000_000u64);
    let edited = format!(
        "{}.{}.{}",
        parts[0],
        b64.encode(serde_json::to_vec(&claims).unwrap()),
        parts[2]
    );
    let altered = tmp.path().join("token.jwt");
    std::fs::write(&altered, edited).unwrap();
    let result = verify_changed(
        &dir,
        Files {
            token: altered,
            ..Files::of(&dir, "certs.json")
        },
    );
    assert_ko(&result, &UNTRUSTED);
    assert!(line_of(&result.1, "token signature").contains("does not verify"));
}

#[test]
fn a_wrong_expected_mr_enclave_is_ko() {
    let other = "ab".repeat(32);
    for exchange in EXCHANGES {
        let dir = recording(exchange);
        let result = verify(
            &dir,
            &Files::of(&dir, "certs.json"),
            Some(&other),
            &["--at", INSIDE, "--min-token-rsa-bits", "1024"],
        );
        assert_ko(&result, &["mr_enclave = expected"]);
    }
}

#[test]
fn other_runtime_data_or_another_issuer_is_ko() {
    let dir = recording("shared-wus-json");
    let tmp = tempfile::tempdir().unwrap();
    // The same JSON object with other bytes: the token's x-ms-runtime still matches it, but
    // its SHA-256 is not the quote's report data.
    let runtime = std::fs::read(dir.join("runtime-data.bin")).unwrap();
    let reformatted = tmp.path().join("runtime-data.bin");
    let value: serde_json::Value = serde_json::from_slice(&runtime).unwrap();
    std::fs::write(&reformatted, serde_json::to_vec(&value).unwrap()).unwrap();
    let (mr_enclave, _) = recorded_identity(&dir);
    let files = Files {
        runtime_data: reformatted,
        ..Files::of(&dir, "certs.json")
    };
    let result = files.verify(&[
        "--issuer",
        "https://sharedeus.eus.attest.azure.net",
        "--mr-enclave",
        &mr_enclave,
        "--at",
        INSIDE,
        "--min-token-rsa-bits",
        "1024",
    ]);
    assert_ko(
        &result,
        &[
            "token issuer",
            "report data in token = quote",
            "report data = SHA-256(runtime data)",
        ],
    );
}

#[test]
fn collateral_that_is_not_the_quotes_platform_is_ko_honestly() {
    // No collateral was recorded for the Azure quote; the only real collateral in the
    // repository is another platform's (testdata/sgx). A local verification with it must
    // fail, and `enclave genuine` must then say it was not checked, never pass on the token.
    let dir = recording("shared-wus");
    let collateral = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/sgx/real_dcap_v3_quote_collateral.json");
    let collateral = collateral.display().to_string();
    let result = verify_recorded(
        &dir,
        &[
            "--at",
            INSIDE,
            "--min-token-rsa-bits",
            "1024",
            "--collateral",
            &collateral,
        ],
    );
    assert_ko(
        &result,
        &["quote signature and collateral", "enclave genuine"],
    );
    assert!(line_of(&result.1, "enclave genuine").contains("not checked"));
}

#[test]
fn an_export_of_ekms_trust_verifies_unchanged() {
    let attest = start_attest(&["--allow-emulated"]);
    let server = start_server();
    let user = User::new();
    let export = user.path("evidence");
    let (code, _, stderr) = trust_exporting(&user, &server, &attest, &export);
    assert_eq!(code, 0, "{stderr}");
    let files = Files::of(&export, "signing-certs.json");
    for file in [
        &files.quote,
        &files.token,
        &files.signing_certs,
        &files.runtime_data,
    ] {
        assert!(file.exists(), "{} not exported", file.display());
    }
    let check = |extra: &[&str]| {
        let mut args = vec!["--issuer", &attest.url, "--mr-enclave", &server.mr_enclave];
        args.extend_from_slice(&["--mr-signer", &server.mr_signer]);
        args.extend_from_slice(extra);
        files.verify(&args)
    };
    let result = check(&["--allow-emulated"]);
    assert_ko(&result, &[]);
    // ekms-attest states the TCB status, and --tcb-policy judges it.
    assert!(
        result.1.lines().any(|l| l == "TCB status: UpToDate"),
        "{}",
        result.1
    );
    assert_ko(
        &check(&["--allow-emulated", "--tcb-policy", "OutOfDate"]),
        &["enclave genuine"],
    );
    // Emulated evidence is still refused unless allowed.
    assert_ko(&check(&[]), &["enclave genuine"]);
    // A floor above the key's size refuses the same token, here and in `ekms trust`.
    let floor = ["--allow-emulated", "--min-token-rsa-bits", "3072"];
    let result = check(&floor);
    assert_ko(&result, &UNTRUSTED);
    assert!(line_of(&result.1, "token signature").contains("RSA-2048"));
    let live = run(trust(&user, &server.url, &attest)
        .args(floor)
        .args(["--mr-enclave", &server.mr_enclave]));
    assert_eq!(live.0, 1);
    let signature = line_of(&live.1, "token signature");
    assert!(
        signature.contains("RSA-2048") && signature.contains("3072"),
        "{signature}"
    );
}
