//! The real SGX DCAP test vector of `testdata/sgx/`: parsing reproduces the values its
//! README lists, and the verifier pinned to the Intel SGX Root CA gives the README's outcomes.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use ekms_attest::quote::CERT_TYPE_PCK_CERT_CHAIN;
use ekms_attest::{
    Collateral, Quote, TcbPolicy, TcbStatus, TrustedRoot, Verifier, VerifyError,
    collateral_from_json,
};
use time::OffsetDateTime;
use time::macros::datetime;

const MR_ENCLAVE: &str = "33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb";
const MR_SIGNER: &str = "815f42f11cf64430c30bab7816ba596a1da0130c3b028b673133a66cf9a3e0e6";
const INSIDE_WINDOW: OffsetDateTime = datetime!(2025-06-25 00:00:00 UTC);
const AFTER_WINDOW: OffsetDateTime = datetime!(2025-08-01 00:00:00 UTC);

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/sgx")
}

fn quote_bytes() -> Vec<u8> {
    std::fs::read(testdata().join("real_dcap_v3_quote.bin")).expect("real quote")
}

fn collateral() -> Collateral {
    let json = std::fs::read(testdata().join("real_dcap_v3_quote_collateral.json"))
        .expect("real collateral");
    collateral_from_json(&json).expect("collateral parses")
}

/// A verifier pinned to the Intel root that accepts the vector's TCB status.
fn accepting_verifier() -> Verifier {
    Verifier::intel().with_policy(TcbPolicy::new([
        TcbStatus::UpToDate,
        TcbStatus::ConfigurationAndSWHardeningNeeded,
    ]))
}

#[test]
fn parses_to_the_readme_values() {
    let bytes = quote_bytes();
    assert_eq!(bytes.len(), 4600);
    let quote = Quote::parse(&bytes).expect("parses");
    assert_eq!(quote.header.version, 3);
    assert_eq!(quote.header.attestation_key_type, 2);
    assert_eq!(
        quote.header.qe_vendor_id,
        ekms_attest::quote::INTEL_QE_VENDOR_ID
    );
    assert_eq!(hex::encode(quote.report_body.mr_enclave), MR_ENCLAVE);
    assert_eq!(hex::encode(quote.report_body.mr_signer), MR_SIGNER);
    // The same values sit at the README's offsets of the raw quote.
    assert_eq!(hex::encode(&bytes[112..144]), MR_ENCLAVE);
    assert_eq!(hex::encode(&bytes[176..208]), MR_SIGNER);
    let mut report_data = [0u8; 64];
    report_data[..13].copy_from_slice(b"Hello, world!");
    assert_eq!(quote.report_body.report_data, report_data);
    assert_eq!(&bytes[368..432], &report_data[..]);
    assert!(!quote.report_body.is_debug());

    let sig = &quote.signature;
    assert_eq!(sig.qe_auth_data.as_bytes().len(), 32);
    assert_eq!(sig.qe_report.report_data[..32], sig.qe_binding_hash());
    assert_eq!(sig.certification_data.cert_type(), CERT_TYPE_PCK_CERT_CHAIN);
    let pem = sig
        .certification_data
        .pck_cert_chain_pem()
        .expect("PEM chain");
    assert_eq!(pem.matches("-----BEGIN CERTIFICATE-----").count(), 3);

    assert_eq!(
        quote.to_bytes(),
        bytes,
        "parse -> to_bytes reproduces the input"
    );
    assert_eq!(quote.signed_bytes(), bytes[..432]);
}

#[test]
fn accepted_inside_the_window_with_status_and_advisories() {
    let verified = accepting_verifier()
        .verify(&quote_bytes(), &collateral(), INSIDE_WINDOW)
        .expect("accepted");
    assert_eq!(
        verified.tcb_status,
        TcbStatus::ConfigurationAndSWHardeningNeeded
    );
    assert_eq!(verified.advisory_ids, ["INTEL-SA-00289", "INTEL-SA-00615"]);
    assert!(!verified.emulated);
    assert_eq!(verified.root, "Intel SGX Root CA");
    assert_eq!(hex::encode_upper(verified.fmspc), "00A067110000");
    assert_eq!(hex::encode(verified.report.mr_enclave), MR_ENCLAVE);
    assert_eq!(hex::encode(verified.report.mr_signer), MR_SIGNER);
    assert_eq!(&verified.report.report_data[..13], b"Hello, world!");
    // The collateral's first expiry is inside the README's window end.
    assert!(verified.collateral_expires_at <= datetime!(2025-07-19 10:56:11 UTC));
    assert!(verified.collateral_expires_at > INSIDE_WINDOW);
}

#[test]
fn refused_by_the_default_up_to_date_policy_which_reports_status_and_advisories() {
    let verifier = Verifier::intel();
    assert_eq!(verifier.policy, TcbPolicy::default());
    let err = verifier
        .verify(&quote_bytes(), &collateral(), INSIDE_WINDOW)
        .expect_err("UpToDate policy refuses it");
    match &err {
        VerifyError::TcbStatusNotAccepted {
            status,
            advisory_ids,
            accepted,
        } => {
            assert_eq!(*status, TcbStatus::ConfigurationAndSWHardeningNeeded);
            assert_eq!(advisory_ids, &["INTEL-SA-00289", "INTEL-SA-00615"]);
            assert_eq!(accepted.accepted, [TcbStatus::UpToDate]);
        }
        other => panic!("unexpected error {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains("ConfigurationAndSWHardeningNeeded"), "{text}");
    assert!(text.contains("INTEL-SA-00615"), "{text}");

    // The evaluation alone (no policy) still succeeds and shows the status.
    let evaluated = verifier
        .evaluate(&quote_bytes(), &collateral(), INSIDE_WINDOW)
        .expect("evaluates");
    assert_eq!(
        evaluated.tcb_status,
        TcbStatus::ConfigurationAndSWHardeningNeeded
    );
}

#[test]
fn refused_after_the_window() {
    let err = accepting_verifier()
        .verify(&quote_bytes(), &collateral(), AFTER_WINDOW)
        .expect_err("expired collateral");
    match err {
        VerifyError::Rejected { reason } => {
            assert!(reason.contains("expired"), "{reason}")
        }
        other => panic!("unexpected error {other:?}"),
    }
}

#[test]
fn refused_today() {
    let err = accepting_verifier()
        .verify(&quote_bytes(), &collateral(), OffsetDateTime::now_utc())
        .expect_err("expired collateral");
    assert!(matches!(err, VerifyError::Rejected { .. }), "{err:?}");
}

#[test]
fn refused_before_the_window() {
    let err = accepting_verifier()
        .verify(
            &quote_bytes(),
            &collateral(),
            datetime!(2025-06-01 00:00:00 UTC),
        )
        .expect_err("collateral not yet valid");
    assert!(matches!(err, VerifyError::Rejected { .. }), "{err:?}");
}

/// Flip one bit at `offset` and check that the quote still parses (so the refusal comes from
/// the cryptographic checks, not the parser) and is refused.
fn assert_refused_with_flip(offset: usize) -> String {
    let mut bytes = quote_bytes();
    bytes[offset] ^= 0x01;
    Quote::parse(&bytes).expect("the tampered quote is still well-formed");
    let err = accepting_verifier()
        .verify(&bytes, &collateral(), INSIDE_WINDOW)
        .expect_err("tampered quote refused");
    match err {
        VerifyError::Rejected { reason } => reason,
        other => panic!("unexpected error {other:?}"),
    }
}

#[test]
fn refused_with_a_header_byte_changed() {
    // Offset 40 is in the header's user data, signed by the attestation key.
    let reason = assert_refused_with_flip(40);
    assert!(reason.contains("signature"), "{reason}");
    // And the QE SVN field.
    assert_refused_with_flip(8);
}

#[test]
fn refused_with_a_report_body_byte_changed() {
    // mr_enclave's first byte, and report_data's.
    assert_refused_with_flip(112);
    assert_refused_with_flip(368);
}

#[test]
fn refused_with_an_isv_signature_byte_changed() {
    let reason = assert_refused_with_flip(436 + 20);
    assert!(reason.contains("signature"), "{reason}");
}

#[test]
fn refused_with_a_qe_report_byte_changed() {
    // The QE report starts at 564; 564 + 64 is its mr_enclave.
    assert_refused_with_flip(564 + 64);
}

#[test]
fn refused_with_a_certificate_base64_character_changed() {
    let mut bytes = quote_bytes();
    let begin = bytes
        .windows(27)
        .position(|w| w == b"-----BEGIN CERTIFICATE-----")
        .expect("PEM in the quote");
    // A base64 character well inside the PCK leaf certificate.
    let at = (begin + 300..bytes.len())
        .find(|&i| bytes[i].is_ascii_alphabetic())
        .expect("a base64 letter");
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    Quote::parse(&bytes).expect("still well-formed");
    let err = accepting_verifier()
        .verify(&bytes, &collateral(), INSIDE_WINDOW)
        .expect_err("tampered certificate refused");
    assert!(matches!(err, VerifyError::Rejected { .. }), "{err:?}");
}

#[test]
fn refused_with_tampered_collateral() {
    // Upgrading the TCB status inside the signed TCB info must not work.
    let mut collateral = collateral();
    let from = r#""tcbStatus":"ConfigurationAndSWHardeningNeeded""#;
    assert!(collateral.tcb_info.contains(from));
    collateral.tcb_info = collateral
        .tcb_info
        .replace(from, r#""tcbStatus":"UpToDate""#);
    let err = Verifier::intel()
        .verify(&quote_bytes(), &collateral, INSIDE_WINDOW)
        .expect_err("tampered TCB info refused");
    assert!(matches!(err, VerifyError::Rejected { .. }), "{err:?}");
}

#[test]
fn malformed_quotes_are_reported_as_such() {
    let bytes = quote_bytes();
    let err = accepting_verifier()
        .verify(&bytes[..1000], &collateral(), INSIDE_WINDOW)
        .expect_err("truncated");
    assert!(matches!(err, VerifyError::Malformed(_)), "{err:?}");
}

/// The PCK Processor CA (the middle certificate of the quote's chain) as a root: a real
/// certificate that is not the Intel root.
fn processor_ca_root() -> TrustedRoot {
    let quote = Quote::parse(&quote_bytes()).unwrap();
    let pem = quote
        .signature
        .certification_data
        .pck_cert_chain_pem()
        .unwrap()
        .to_string();
    let second = pem
        .match_indices("-----BEGIN CERTIFICATE-----")
        .nth(1)
        .map(|(i, _)| i)
        .unwrap();
    let root = TrustedRoot::from_pem(&pem[second..], false).expect("a certificate");
    assert!(
        root.name().contains("Intel SGX PCK Processor CA"),
        "{}",
        root.name()
    );
    root
}

#[test]
fn refused_under_another_root() {
    // The custom-root path: trust only the PCK Processor CA. The root CA CRL is not signed by
    // it, so nothing verifies.
    let verifier = Verifier {
        roots: vec![processor_ca_root()],
        ..accepting_verifier()
    };
    let err = verifier
        .verify(&quote_bytes(), &collateral(), INSIDE_WINDOW)
        .expect_err("wrong root");
    assert!(matches!(err, VerifyError::Rejected { .. }), "{err:?}");

    let none = Verifier {
        roots: vec![],
        ..accepting_verifier()
    };
    assert_eq!(
        none.verify(&quote_bytes(), &collateral(), INSIDE_WINDOW),
        Err(VerifyError::NoTrustedRoot)
    );
}

#[test]
fn evidence_under_an_emulated_root_needs_allow_emulated() {
    // Mark the Intel root as emulated to exercise the mechanism the emulated PKI will use.
    let marked = TrustedRoot::from_der(ekms_attest::verify::INTEL_SGX_ROOT_CA_DER.to_vec(), true)
        .expect("root");
    let verifier = Verifier {
        roots: vec![marked],
        ..accepting_verifier()
    };
    let evaluated = verifier
        .evaluate(&quote_bytes(), &collateral(), INSIDE_WINDOW)
        .expect("evaluates");
    assert!(evaluated.emulated);
    let err = verifier
        .verify(&quote_bytes(), &collateral(), INSIDE_WINDOW)
        .expect_err("emulated refused");
    assert!(
        matches!(err, VerifyError::EmulatedNotAllowed { .. }),
        "{err:?}"
    );
    let allowed = verifier
        .allow_emulated(true)
        .verify(&quote_bytes(), &collateral(), INSIDE_WINDOW)
        .expect("emulated allowed");
    assert!(allowed.emulated);
}

#[test]
fn genuine_root_is_found_among_several() {
    let marked = TrustedRoot::from_der(ekms_attest::verify::INTEL_SGX_ROOT_CA_DER.to_vec(), true)
        .expect("root");
    // A root that does not verify first, then Intel's, then the same marked emulated: the
    // first that verifies (the genuine one) is used.
    let verifier = Verifier {
        roots: vec![processor_ca_root(), TrustedRoot::intel(), marked],
        ..accepting_verifier()
    };
    let verified = verifier
        .verify(&quote_bytes(), &collateral(), INSIDE_WINDOW)
        .expect("accepted");
    assert!(!verified.emulated);
}

#[test]
fn collateral_json_round_trips() {
    let collateral = collateral();
    let json = serde_json::to_vec(&collateral).unwrap();
    assert_eq!(collateral_from_json(&json).unwrap(), collateral);
    assert!(matches!(
        collateral_from_json(b"{}"),
        Err(VerifyError::Collateral(_))
    ));
}
