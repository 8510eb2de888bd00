//! Attacks on the evidence `ekms trust` judges, each its own test: real evidence is collected
//! from the real `ekms-server` and `ekms-attest` (ekms-client's `evidence::collect`, as the CLI
//! does), then the piece an attacker controls is changed the way the attacker would change it,
//! and the pure checks (`checks::run_checks`) must fail the right line — the others staying as
//! they should be.
//!
//! Attacks that need a live peer (a TLS-terminating proxy, a debug enclave, an expired token, a
//! wrong expected measurement, emulated evidence not allowed) are in `trust.rs`, through the CLI.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ekms_client::checks::{CheckId, Expectations, TrustReport, run_checks};
use ekms_client::ekms_attest::EmulatedPlatform;
use ekms_client::evidence::{self, Appraisal, Appraiser, Evidence};
use ekms_client::{AttestationService, Trust};
use support::*;

struct Fixture {
    server: Server,
    _attest: Attest,
    service: AttestationService,
    evidence: Evidence,
    expect: Expectations,
}

fn hex32(text: &str) -> [u8; 32] {
    hex::decode(text).unwrap().try_into().unwrap()
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

/// A server, an attestation service accepting emulated evidence, and real evidence that passes
/// every check with the expectations of a careful user.
async fn fixture() -> Fixture {
    let attest = start_attest(&["--allow-emulated"]);
    let server = start_server();
    let service =
        AttestationService::new(&attest.url, &Trust::from_pin_hex(&attest.sha256).unwrap())
            .unwrap();
    let evidence = evidence::collect(&server.url, Appraiser::Service(&service))
        .await
        .unwrap();
    let expect = Expectations {
        mr_enclave: Some(hex32(&server.mr_enclave)),
        mr_signer: Some(hex32(&server.mr_signer)),
        allow_emulated: true,
        ..Expectations::default()
    };
    let report = run_checks(&evidence, &expect, now());
    assert_only_ko(&report, &[]);
    assert_eq!(report.tcb_status.as_deref(), Some("UpToDate"));
    assert_eq!(
        report.certificate_sha256.map(hex::encode),
        Some(server.sha256.clone())
    );
    Fixture {
        server,
        _attest: attest,
        service,
        evidence,
        expect,
    }
}

fn lines(report: &TrustReport) -> String {
    report
        .checks
        .iter()
        .map(|c| c.line())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Exactly the checks in `ko` failed; every other check made passed.
fn assert_only_ko(report: &TrustReport, ko: &[CheckId]) {
    for check in &report.checks {
        assert_eq!(
            check.is_ok(),
            !ko.contains(&check.id),
            "{} (expected Ko: {ko:?}):\n{}",
            check.line(),
            lines(report)
        );
    }
    for id in ko {
        assert!(
            report.get(*id).is_some(),
            "no {id} line:\n{}",
            lines(report)
        );
    }
    assert_eq!(report.trusted(), ko.is_empty());
}

fn reason(report: &TrustReport, id: CheckId) -> String {
    report
        .get(id)
        .and_then(|c| c.reason())
        .unwrap_or_else(|| panic!("{id} is not Ko:\n{}", lines(report)))
        .to_string()
}

/// The checks that only read the token's claims (Ko when the token is not verified).
const TOKEN_DEPENDENT: [CheckId; 8] = [
    CheckId::TokenSignature,
    CheckId::TokenIssuer,
    CheckId::TokenInDate,
    CheckId::EnclaveGenuine,
    CheckId::QuoteHash,
    CheckId::MrEnclaveTokenQuote,
    CheckId::MrSignerTokenQuote,
    CheckId::ReportDataTokenQuote,
];

fn token_of(evidence: &Evidence) -> String {
    match &evidence.appraisal {
        Appraisal::Token(t) => t.token.clone().unwrap(),
        Appraisal::Local(_) => panic!("not a token appraisal"),
    }
}

fn with_token(evidence: &Evidence, token: String) -> Evidence {
    let mut e = evidence.clone();
    if let Appraisal::Token(t) = &mut e.appraisal {
        t.token = Ok(token);
    }
    e
}

#[tokio::test]
async fn a_quote_for_another_nonce_is_a_replay() {
    let f = fixture().await;
    // The attacker recorded a quote made for an earlier nonce (and, in the second case, the
    // token the service issued for it then).
    let old_nonce = evidence::fresh_nonce().unwrap();
    let old_quote = evidence::untrusted_client(&f.server.url)
        .unwrap()
        .quote(&old_nonce)
        .await
        .unwrap();
    assert_ne!(old_quote, f.evidence.quote);

    // Replayed in answer to this run's nonce: the service, given this run's runtime data,
    // refuses the quote, and the client sees the report data is not this run's.
    let mut replayed = f.evidence.clone();
    replayed.quote = old_quote.clone();
    replayed.appraisal = evidence::appraise(
        Appraiser::Service(&f.service),
        &old_quote,
        &replayed.runtime_data(),
    )
    .await
    .unwrap();
    let report = run_checks(&replayed, &f.expect, now());
    let mut ko = TOKEN_DEPENDENT.to_vec();
    ko.push(CheckId::ReportDataBinding);
    assert_only_ko(&report, &ko);
    assert!(reason(&report, CheckId::TokenSignature).contains("RuntimeDataMismatch"));
    assert!(reason(&report, CheckId::ReportDataBinding).contains("another nonce"));

    // Replayed with the genuine token of the earlier run: every statement of the token holds,
    // and only the binding to this run's nonce fails.
    let mut replayed = f.evidence.clone();
    replayed.quote = old_quote.clone();
    replayed.appraisal = evidence::appraise(
        Appraiser::Service(&f.service),
        &old_quote,
        &evidence::runtime_data(&f.evidence.certificates.ssl_certificate, &old_nonce),
    )
    .await
    .unwrap();
    let report = run_checks(&replayed, &f.expect, now());
    assert_only_ko(&report, &[CheckId::ReportDataBinding]);
}

#[tokio::test]
async fn an_enclave_key_that_did_not_sign_the_enclave_is_ko() {
    let f = fixture().await;
    let dir = tempfile::tempdir().unwrap();
    let other = EmulatedPlatform::open_or_create(dir.path().join("platform")).unwrap();
    assert_ne!(hex::encode(other.mr_signer()), f.server.mr_signer);

    // The server returns another signer's public key than the one the quote names.
    let mut swapped = f.evidence.clone();
    swapped.certificates.enclave_public_key = other.signer_public_key_pem().to_string();
    let report = run_checks(&swapped, &f.expect, now());
    assert_only_ko(&report, &[CheckId::MrSignerEnclaveKey]);
    assert!(reason(&report, CheckId::MrSignerEnclaveKey).contains(&f.server.mr_signer));

    // The user trusts another signer than the one that signed this enclave.
    let expect = Expectations {
        mr_signer: Some(other.mr_signer()),
        ..f.expect.clone()
    };
    let report = run_checks(&f.evidence, &expect, now());
    assert_only_ko(&report, &[CheckId::MrSignerExpected]);
}

#[tokio::test]
async fn a_token_signed_by_a_key_not_in_the_jwks_is_ko() {
    let f = fixture().await;
    let token = token_of(&f.evidence);
    let mut parts = token.split('.');
    let (header, payload) = (parts.next().unwrap(), parts.next().unwrap());
    let foreign = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let sign = |header: &str, payload: &str| -> String {
        let input = format!("{header}.{payload}");
        let mut sig = vec![0u8; foreign.public_modulus_len()];
        foreign
            .sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                input.as_bytes(),
                &mut sig,
            )
            .unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    };
    let mut ko = TOKEN_DEPENDENT.to_vec();
    ko.retain(|id| *id != CheckId::TokenSignature);

    // The same claims and the service's key id, signed by the attacker's key.
    let report = run_checks(
        &with_token(&f.evidence, sign(header, payload)),
        &f.expect,
        now(),
    );
    assert_only_ko(&report, &TOKEN_DEPENDENT);
    assert!(reason(&report, CheckId::TokenSignature).contains("does not verify"));
    for id in &ko {
        assert!(reason(&report, *id).contains("no verified token"), "{id}");
    }

    // A key id of the attacker's.
    let mut h: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    h["kid"] = serde_json::json!("attacker-key");
    let h = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&h).unwrap());
    let report = run_checks(
        &with_token(&f.evidence, sign(&h, payload)),
        &f.expect,
        now(),
    );
    assert_only_ko(&report, &TOKEN_DEPENDENT);
    assert!(reason(&report, CheckId::TokenSignature).contains("not one of"));

    // Claims of the attacker's choosing (another enclave), signed by the attacker.
    let mut claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["x-ms-sgx-mrenclave"] = serde_json::json!("00".repeat(32));
    let c = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    let report = run_checks(&with_token(&f.evidence, sign(header, &c)), &f.expect, now());
    assert_only_ko(&report, &TOKEN_DEPENDENT);

    // The genuine token's payload with the genuine signature of another payload: refused too.
    let genuine_sig = token.rsplit('.').next().unwrap();
    let report = run_checks(
        &with_token(&f.evidence, format!("{header}.{c}.{genuine_sig}")),
        &f.expect,
        now(),
    );
    assert_only_ko(&report, &TOKEN_DEPENDENT);
}

#[tokio::test]
async fn a_tampered_manifest_is_ko() {
    let f = fixture().await;
    let original = f.evidence.manifest.clone();
    // One byte changed, in a comment, so the manifest still reads as the same settings.
    let at = original
        .windows(7)
        .position(|w| w == b"Gramine")
        .expect("the generated manifest names Gramine");
    let mut tampered = f.evidence.clone();
    tampered.manifest[at] = b'g';
    let report = run_checks(&tampered, &f.expect, now());
    // The settings of a manifest that is not the measured one prove nothing about the key.
    assert_only_ko(
        &report,
        &[CheckId::ManifestMeasured, CheckId::TlsKeyInEnclave],
    );
    assert!(reason(&report, CheckId::ManifestMeasured).contains(&f.server.mr_enclave));

    // With the expected manifest given, the difference is also named.
    let expect = Expectations {
        manifest: Some(original.clone()),
        ..f.expect.clone()
    };
    let report = run_checks(&tampered, &expect, now());
    assert_only_ko(
        &report,
        &[
            CheckId::ManifestMeasured,
            CheckId::ManifestExpected,
            CheckId::TlsKeyInEnclave,
        ],
    );
    assert!(reason(&report, CheckId::ManifestExpected).contains(&format!("byte {at}")));
    // And the genuine manifest is the expected one.
    assert_only_ko(&run_checks(&f.evidence, &expect, now()), &[]);
}

#[tokio::test]
async fn an_edited_tls_key_policy_is_ko() {
    // The TLS key line reads the manifest's measured settings: a manifest edited to say
    // anything (here, that the host may choose the key; a relay would edit the other way) no
    // longer measures to the quote's mr_enclave, and the key line is not Ok either: the
    // settings of a manifest that was not measured prove nothing. (A host key stated in the
    // measured manifest is Ko through the CLI, in trust.rs.)
    let f = fixture().await;
    let text = String::from_utf8(f.evidence.manifest.clone()).unwrap();
    let allowed = text.replace(
        "loader.env.EKMS_ALLOW_HOST_TLS_KEY = \"false\"",
        "loader.env.EKMS_ALLOW_HOST_TLS_KEY = \"true\"",
    );
    assert_ne!(
        allowed, text,
        "the generated manifest states the TLS key policy"
    );
    let mut tampered = f.evidence.clone();
    tampered.manifest = allowed.into_bytes();
    let report = run_checks(&tampered, &f.expect, now());
    assert_only_ko(
        &report,
        &[CheckId::ManifestMeasured, CheckId::TlsKeyInEnclave],
    );
    assert!(reason(&report, CheckId::TlsKeyInEnclave).contains("not checked"));
}

#[tokio::test]
async fn a_nonce_of_any_bytes_round_trips() {
    // The nonce is bytes; every byte value, as the server hashes them.
    let f = fixture().await;
    let nonce: Vec<u8> = (0..=255u8).rev().collect();
    let evidence =
        evidence::collect_with_nonce(&f.server.url, Appraiser::Service(&f.service), nonce.clone())
            .await
            .unwrap();
    assert_eq!(evidence.nonce, nonce);
    assert_only_ko(&run_checks(&evidence, &f.expect, now()), &[]);
    // 0xff and 0x80 (both U+FFFD to a lossy decoder) are two nonces, two report data.
    let client = evidence::untrusted_client(&f.server.url).unwrap();
    let ff = client.quote(&[0xff]).await.unwrap();
    let x80 = client.quote(&[0x80]).await.unwrap();
    let rd = |q: &[u8]| {
        ekms_client::ekms_attest::Quote::parse(q)
            .unwrap()
            .report_body
            .report_data
    };
    let pem = &f.evidence.certificates.ssl_certificate;
    assert_eq!(
        rd(&ff),
        ekms_client::checks::expected_report_data(pem, &[0xff])
    );
    assert_eq!(
        rd(&x80),
        ekms_client::checks::expected_report_data(pem, &[0x80])
    );
    assert_ne!(rd(&ff), rd(&x80));
}

#[tokio::test]
async fn evidence_checked_after_the_token_expired_is_ko() {
    let f = fixture().await;
    // A recorded evidence bundle (e.g. from --export) judged 9 hours later: the token, valid 8
    // hours, has expired; nothing else changed.
    let later = now() + time::Duration::hours(9);
    assert_only_ko(
        &run_checks(&f.evidence, &f.expect, later),
        &[CheckId::TokenInDate],
    );
    let earlier = now() - time::Duration::hours(1);
    let report = run_checks(&f.evidence, &f.expect, earlier);
    assert_only_ko(&report, &[CheckId::TokenInDate]);
    assert!(reason(&report, CheckId::TokenInDate).contains("future"));
}

#[tokio::test]
async fn other_expectations_fail_their_own_line_on_real_evidence() {
    let f = fixture().await;
    // Emulated evidence, not allowed.
    let expect = Expectations {
        allow_emulated: false,
        ..f.expect.clone()
    };
    let report = run_checks(&f.evidence, &expect, now());
    assert_only_ko(&report, &[CheckId::EnclaveGenuine]);
    assert!(reason(&report, CheckId::EnclaveGenuine).contains("EMULATED"));
    // Another expected measurement.
    let expect = Expectations {
        mr_enclave: Some([0x5a; 32]),
        ..f.expect.clone()
    };
    assert_only_ko(
        &run_checks(&f.evidence, &expect, now()),
        &[CheckId::MrEnclaveExpected],
    );
    // A TCB policy that does not list the platform's status.
    let expect = Expectations {
        tcb_policy: "SWHardeningNeeded".parse().unwrap(),
        ..f.expect.clone()
    };
    let report = run_checks(&f.evidence, &expect, now());
    assert_only_ko(&report, &[CheckId::EnclaveGenuine]);
    assert!(
        reason(&report, CheckId::EnclaveGenuine).contains("TCB status UpToDate is not accepted")
    );
    // The certificate the server returned is not the one presented (another bound certificate).
    let mut other = f.evidence.clone();
    other
        .presented_certificates
        .push(vec![0x30, 0x03, 0x02, 0x01, 0x00]);
    assert_only_ko(
        &run_checks(&other, &f.expect, now()),
        &[CheckId::TlsCertificate],
    );
}
