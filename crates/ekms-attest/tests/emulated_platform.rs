//! The emulated platform end to end: its quotes verify through the same `Verifier::verify` as
//! the real SGX vector, only with the emulated root trusted and emulated evidence allowed, and
//! they are refused whenever anything is tampered with, out of date, or not allowed. Also the
//! platform directory (created once, reloaded identically, mode 0600) and the quote sources.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use ekms_attest::emulated::platform::{
    ATTESTATION_KEY_FILE, EMULATED_FMSPC, PCK_CERT_FILE, PCK_KEY_FILE, SEALING_SECRET_FILE,
    SIGNER_KEY_FILE,
};
use ekms_attest::emulated::{EMULATED_QUOTE_USER_DATA, header_says_emulated};
use ekms_attest::report::FLAG_DEBUG;
use ekms_attest::{
    Collateral, EmulatedError, EmulatedPlatform, EmulatedSource, EnclaveIdentity, GramineSource,
    PccsCollateral, Quote, QuoteSource, SourceError, TcbStatus, TrustedRoot, VerifiedQuote,
    Verifier, VerifyError, collateral_from_json, mr_signer,
};
use time::{Duration, OffsetDateTime};

const MR_ENCLAVE: [u8; 32] = [0x5a; 32];

/// One platform shared by the tests that only need a platform (generating the RSA-3072 signer
/// key takes a while). It lives in Cargo's per-target temporary directory, made anew by each
/// run (a static is never dropped, so a temporary directory would be left behind).
fn platform() -> Arc<EmulatedPlatform> {
    static PLATFORM: OnceLock<Arc<EmulatedPlatform>> = OnceLock::new();
    PLATFORM
        .get_or_init(|| {
            let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ekms-attest-shared-platform");
            let _ = fs::remove_dir_all(&dir);
            Arc::new(EmulatedPlatform::open_or_create(&dir).unwrap())
        })
        .clone()
}

fn identity(debug: bool) -> EnclaveIdentity {
    EnclaveIdentity {
        mr_enclave: MR_ENCLAVE,
        mr_signer: platform().mr_signer(),
        attributes: EnclaveIdentity::attributes_for(debug),
        isv_prod_id: 7,
        isv_svn: 42,
    }
}

fn report_data() -> [u8; 64] {
    let mut data = [0u8; 64];
    data[..32].copy_from_slice(&[0xc3; 32]);
    data[40] = 0x99;
    data
}

fn quote_for(debug: bool) -> Vec<u8> {
    platform().quote(&identity(debug), &report_data()).unwrap()
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn collateral() -> Collateral {
    platform().collateral(now()).unwrap()
}

/// Trusts Intel's root and the emulated one, and allows emulated evidence.
fn allowing_verifier() -> Verifier {
    Verifier::intel()
        .with_root(TrustedRoot::emulated())
        .allow_emulated(true)
}

fn verify(quote: &[u8]) -> Result<VerifiedQuote, VerifyError> {
    allowing_verifier().verify(quote, &collateral(), now())
}

#[test]
fn emulated_quote_verifies_through_the_same_verifier_as_real_ones() {
    let quote = quote_for(false);
    let verified = verify(&quote).expect("emulated quote accepted");
    assert_eq!(verified.tcb_status, TcbStatus::UpToDate);
    assert!(verified.advisory_ids.is_empty());
    assert!(verified.emulated);
    assert_eq!(verified.root, "EMULATED SGX Root CA - NOT INTEL");
    assert_eq!(verified.report.report_data, report_data());
    assert_eq!(verified.report.mr_enclave, MR_ENCLAVE);
    assert_eq!(verified.report.mr_signer, platform().mr_signer());
    assert_eq!(verified.report.isv_prod_id, 7);
    assert_eq!(verified.report.isv_svn, 42);
    assert!(!verified.report.is_debug());
    assert_eq!(verified.fmspc, EMULATED_FMSPC);
    assert_eq!(verified.fmspc, platform().fmspc());
    assert_eq!(verified.header.user_data, EMULATED_QUOTE_USER_DATA);
    // The collateral expires 30 days after it was made.
    let expires = verified.collateral_expires_at - now();
    assert!(
        expires > Duration::days(29) && expires <= Duration::days(30),
        "{expires}"
    );
}

#[test]
fn emulated_quotes_are_byte_exact_dcap_v3_quotes() {
    let quote = quote_for(false);
    let parsed = Quote::parse(&quote).expect("parses");
    assert_eq!(parsed.to_bytes(), quote);
    assert_eq!(parsed.header.version, 3);
    assert_eq!(parsed.header.attestation_key_type, 2);
    assert_eq!(parsed.header.tee_type, 0);
    assert_eq!(
        parsed.header.qe_vendor_id,
        ekms_attest::quote::INTEL_QE_VENDOR_ID
    );
    assert_eq!(&parsed.header.user_data[..8], b"EMULATED");
    assert_eq!(&quote[28..36], b"EMULATED");
    assert!(header_says_emulated(&parsed.header));
    // The report data and mr_enclave sit at their offsets in the raw quote.
    assert_eq!(&quote[368..432], &report_data()[..]);
    assert_eq!(&quote[112..144], &MR_ENCLAVE[..]);
    let sig = &parsed.signature;
    assert_eq!(sig.attestation_key, platform().attestation_public_key());
    assert_eq!(sig.qe_report.report_data[..32], sig.qe_binding_hash());
    assert_eq!(sig.qe_report.report_data[32..], [0u8; 32]);
    assert_eq!(sig.qe_auth_data.as_bytes().len(), 32);
    let chain = sig.certification_data.pck_cert_chain_pem().unwrap();
    assert_eq!(chain, platform().pck_chain_pem());
    assert_eq!(chain.matches("-----BEGIN CERTIFICATE-----").count(), 3);
    // The real vector's header does not say EMULATED.
    let real = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/sgx/real_dcap_v3_quote.bin"),
    )
    .unwrap();
    assert!(!header_says_emulated(&Quote::parse(&real).unwrap().header));
}

#[test]
fn refused_without_allow_emulated() {
    let verifier = allowing_verifier().allow_emulated(false);
    let err = verifier
        .verify(&quote_for(false), &collateral(), now())
        .expect_err("emulated evidence refused");
    match err {
        VerifyError::EmulatedNotAllowed { root } => assert!(root.contains("EMULATED"), "{root}"),
        other => panic!("unexpected error {other:?}"),
    }
    // The default verifier does not even trust the emulated root.
    let err = Verifier::intel()
        .allow_emulated(true)
        .verify(&quote_for(false), &collateral(), now())
        .expect_err("not under Intel's root");
    assert!(matches!(err, VerifyError::Rejected { .. }), "{err:?}");
}

#[test]
fn refused_by_a_verifier_trusting_only_intel() {
    let err = Verifier::intel()
        .verify(&quote_for(false), &collateral(), now())
        .expect_err("refused");
    match err {
        VerifyError::Rejected { reason } => {
            assert!(reason.contains("Intel SGX Root CA"), "{reason}")
        }
        other => panic!("unexpected error {other:?}"),
    }
}

/// Flip one bit at `offset`; the quote must still parse (so the refusal comes from the
/// cryptographic checks) and be rejected.
fn assert_refused_with_flip(offset: usize) -> String {
    let mut quote = quote_for(false);
    quote[offset] ^= 0x01;
    Quote::parse(&quote).expect("the tampered quote is still well-formed");
    match verify(&quote) {
        Err(VerifyError::Rejected { reason }) => reason,
        other => panic!("offset {offset}: unexpected outcome {other:?}"),
    }
}

#[test]
fn refused_with_a_header_byte_changed() {
    // The header's user data (the EMULATED marker) and its QE SVN.
    let reason = assert_refused_with_flip(30);
    assert!(reason.contains("signature"), "{reason}");
    assert_refused_with_flip(8);
}

#[test]
fn refused_with_a_report_body_byte_changed() {
    assert_refused_with_flip(112); // mr_enclave
    assert_refused_with_flip(176); // mr_signer
    assert_refused_with_flip(368); // report_data
    assert_refused_with_flip(96); // attributes
}

#[test]
fn refused_with_an_isv_signature_byte_changed() {
    let reason = assert_refused_with_flip(436 + 20);
    assert!(reason.contains("signature"), "{reason}");
}

#[test]
fn refused_with_an_attestation_key_byte_changed() {
    assert_refused_with_flip(500 + 10);
}

#[test]
fn refused_with_a_qe_report_byte_changed() {
    assert_refused_with_flip(564 + 64); // QE mr_enclave
    assert_refused_with_flip(564 + 320); // QE report data
    assert_refused_with_flip(948 + 5); // QE report signature
}

#[test]
fn refused_with_a_pck_certificate_byte_changed() {
    let quote = quote_for(false);
    let begin = quote
        .windows(27)
        .position(|w| w == b"-----BEGIN CERTIFICATE-----")
        .expect("PEM in the quote");
    // Base64 characters well inside the PCK leaf certificate (its first certificate).
    for skip in [200usize, 400, 600] {
        let at = (begin + skip..quote.len())
            .find(|&i| quote[i].is_ascii_alphabetic())
            .expect("a base64 letter");
        let mut tampered = quote.clone();
        tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
        Quote::parse(&tampered).expect("still well-formed");
        let err = verify(&tampered).expect_err("tampered certificate refused");
        assert!(matches!(err, VerifyError::Rejected { .. }), "{err:?}");
    }
    // The untouched quote verifies (the loop really changed something).
    verify(&quote).expect("untouched quote accepted");
}

#[test]
fn refused_when_the_collateral_is_out_of_date() {
    let quote = quote_for(false);
    let made = now();
    let collateral = platform().collateral(made).unwrap();
    let verifier = allowing_verifier();
    verifier
        .verify(&quote, &collateral, made + Duration::days(29))
        .expect("in date for 30 days");
    let err = verifier
        .verify(&quote, &collateral, made + Duration::days(60))
        .expect_err("out of date");
    match err {
        // The CRLs are checked first.
        VerifyError::Rejected { reason } => assert!(reason.contains("CrlExpired"), "{reason}"),
        other => panic!("unexpected error {other:?}"),
    }
    // With fresh CRLs, the stale TCB info alone is refused.
    let later = made + Duration::days(60);
    let fresh = platform().collateral(later).unwrap();
    let stale_tcb_info = Collateral {
        root_ca_crl: fresh.root_ca_crl.clone(),
        pck_crl: fresh.pck_crl.clone(),
        ..collateral.clone()
    };
    match verifier.verify(&quote, &stale_tcb_info, later) {
        Err(VerifyError::Rejected { reason }) => {
            assert!(reason.contains("TCBInfo expired"), "{reason}")
        }
        other => panic!("unexpected outcome {other:?}"),
    }
    // And a stale QE identity alone too.
    let stale_qe_identity = Collateral {
        qe_identity: collateral.qe_identity.clone(),
        qe_identity_signature: collateral.qe_identity_signature.clone(),
        ..fresh.clone()
    };
    match verifier.verify(&quote, &stale_qe_identity, later) {
        Err(VerifyError::Rejected { reason }) => {
            assert!(reason.contains("QE Identity expired"), "{reason}")
        }
        other => panic!("unexpected outcome {other:?}"),
    }
    verifier
        .verify(&quote, &fresh, later)
        .expect("fresh collateral verifies later");
    // Not yet valid before its issue date (now - 1 day).
    let err = verifier
        .verify(&quote, &collateral, made - Duration::days(2))
        .expect_err("not yet valid");
    assert!(matches!(err, VerifyError::Rejected { .. }), "{err:?}");
}

#[test]
fn refused_with_tampered_collateral() {
    let mut collateral = collateral();
    let from = r#""tcbStatus":"UpToDate""#;
    assert!(collateral.tcb_info.contains(from));
    collateral.tcb_info = collateral
        .tcb_info
        .replacen(from, r#""tcbStatus":"OutOfDate""#, 1);
    let err = allowing_verifier()
        .verify(&quote_for(false), &collateral, now())
        .expect_err("tampered TCB info refused");
    assert!(matches!(err, VerifyError::Rejected { .. }), "{err:?}");

    // Collateral for another FMSPC does not match the platform.
    let other = PccsCollateral::for_fmspc([0xee, 0, 0, 0, 0, 1], now())
        .unwrap()
        .to_collateral();
    let err = allowing_verifier()
        .verify(&quote_for(false), &other, now())
        .expect_err("FMSPC mismatch");
    assert!(matches!(err, VerifyError::Rejected { .. }), "{err:?}");
}

#[test]
fn a_debug_enclave_is_refused_unless_allow_debug() {
    let quote = quote_for(true);
    let err = verify(&quote).expect_err("debug refused");
    assert_eq!(err, VerifyError::DebugNotAllowed);
    let verified = allowing_verifier()
        .allow_debug(true)
        .verify(&quote, &collateral(), now())
        .expect("debug allowed");
    assert!(verified.report.is_debug());
    assert_ne!(verified.report.attributes.flags & FLAG_DEBUG, 0);
}

#[test]
fn pccs_pieces_make_the_same_verifying_collateral() {
    let pccs = PccsCollateral::for_fmspc(platform().fmspc(), now()).unwrap();
    allowing_verifier()
        .verify(&quote_for(false), &pccs.to_collateral(), now())
        .expect("PCCS collateral verifies");
    // Through its JSON form, as a client receives it.
    let json = serde_json::to_vec(&platform().collateral(now()).unwrap()).unwrap();
    let collateral = collateral_from_json(&json).unwrap();
    allowing_verifier()
        .verify(&quote_for(false), &collateral, now())
        .expect("JSON collateral verifies");
    // The PCS response bodies carry the signed bodies and their signatures.
    let response: serde_json::Value = serde_json::from_str(&pccs.tcb_info_response()).unwrap();
    assert_eq!(
        response["tcbInfo"]["fmspc"],
        hex::encode_upper(EMULATED_FMSPC)
    );
    let response: serde_json::Value = serde_json::from_str(&pccs.qe_identity_response()).unwrap();
    assert_eq!(response["enclaveIdentity"]["id"], "QE");
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

const FILES: [&str; 5] = [
    SEALING_SECRET_FILE,
    SIGNER_KEY_FILE,
    PCK_KEY_FILE,
    PCK_CERT_FILE,
    ATTESTATION_KEY_FILE,
];

#[test]
fn platform_files_are_created_once_and_reloaded_identically() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nested/platform");
    let first = EmulatedPlatform::open_or_create(&dir).unwrap();
    assert_eq!(mode(&dir), 0o700);
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let mut expected: Vec<String> = FILES.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(names, expected, "exactly the platform files, no leftovers");
    let before: Vec<Vec<u8>> = FILES
        .iter()
        .map(|name| {
            let path = dir.join(name);
            assert_eq!(mode(&path), 0o600, "{name}");
            fs::read(path).unwrap()
        })
        .collect();
    assert_eq!(before[0].len(), 32, "the sealing secret is 32 raw bytes");
    assert_eq!(first.sealing_secret().as_slice(), before[0].as_slice());
    assert!(String::from_utf8_lossy(&before[1]).starts_with("-----BEGIN PRIVATE KEY-----"));

    let second = EmulatedPlatform::open_or_create(&dir).unwrap();
    assert_eq!(second.mr_signer(), first.mr_signer());
    assert_eq!(
        second.signer_public_key_pem(),
        first.signer_public_key_pem()
    );
    assert_eq!(second.pck_cert_pem(), first.pck_cert_pem());
    assert_eq!(second.pck_chain_pem(), first.pck_chain_pem());
    assert_eq!(second.sealing_secret(), first.sealing_secret());
    assert_eq!(
        second.attestation_public_key(),
        first.attestation_public_key()
    );
    assert_eq!(second.pck_extension(), first.pck_extension());
    let after: Vec<Vec<u8>> = FILES
        .iter()
        .map(|n| fs::read(dir.join(n)).unwrap())
        .collect();
    assert_eq!(after, before, "reopening writes nothing");

    // Another platform is another machine.
    assert_ne!(first.mr_signer(), platform().mr_signer());
    assert_ne!(first.sealing_secret(), platform().sealing_secret());
    assert_ne!(first.pck_extension().ppid, platform().pck_extension().ppid);
}

#[test]
fn mr_signer_is_that_of_the_rsa3072_e3_signer_key() {
    let platform = platform();
    let pem = platform.signer_public_key_pem();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    assert_eq!(mr_signer(pem.as_bytes()).unwrap(), platform.mr_signer());
    // RSA-3072 with public exponent 3, checked independently of the crate.
    let (_, der) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).unwrap();
    let (_, spki) =
        <x509_parser::x509::SubjectPublicKeyInfo as x509_parser::prelude::FromDer<_>>::from_der(
            &der.contents,
        )
        .unwrap();
    match spki.parsed().unwrap() {
        x509_parser::public_key::PublicKey::RSA(rsa) => {
            assert_eq!(rsa.key_size(), 3072);
            assert_eq!(rsa.try_exponent().unwrap(), 3);
        }
        other => panic!("not RSA: {other:?}"),
    }
}

#[test]
fn the_pck_certificate_carries_the_sgx_extension() {
    let platform = platform();
    let ext = platform.pck_extension();
    assert_eq!(ext.fmspc, EMULATED_FMSPC);
    assert_eq!(ext.pce_id, [0, 0]);
    assert_eq!(ext.sgx_type, 0);
    assert_ne!(ext.ppid, [0; 16]);
    // dcap-qvl reads the same values from the certificate.
    let (_, pem) = x509_parser::pem::parse_x509_pem(platform.pck_cert_pem().as_bytes()).unwrap();
    let theirs = dcap_qvl::intel::parse_pck_extension_with::<dcap_qvl::configs::RustCryptoConfig>(
        &pem.contents,
    )
    .unwrap();
    assert_eq!(theirs.fmspc, ext.fmspc);
    assert_eq!(theirs.ppid, ext.ppid);
    assert_eq!(theirs.cpu_svn, ext.tcb.cpu_svn);
    assert_eq!(theirs.pce_svn, ext.tcb.pce_svn);
    assert_eq!(theirs.pce_id, ext.pce_id);
    assert_eq!(theirs.sgx_type, 0);
    assert_eq!(theirs.smt_enabled, Some(false));
    assert_eq!(
        dcap_qvl::intel::pck_ca_with::<dcap_qvl::configs::RustCryptoConfig>(&pem.contents).unwrap(),
        dcap_qvl::config::PckCa::Platform
    );
}

/// A copy of the shared platform's directory, to damage without generating keys again.
fn copy_of_platform(tmp: &Path) -> std::path::PathBuf {
    let dir = tmp.join("copy");
    fs::create_dir(&dir).unwrap();
    for name in FILES {
        fs::copy(platform().dir().join(name), dir.join(name)).unwrap();
    }
    dir
}

#[test]
fn damaged_files_are_reported_not_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_platform(tmp.path());
    let copy = EmulatedPlatform::open_or_create(&dir).unwrap();
    assert_eq!(copy.mr_signer(), platform().mr_signer());

    fs::write(dir.join(SEALING_SECRET_FILE), [1u8; 31]).unwrap();
    let err = EmulatedPlatform::open_or_create(&dir).unwrap_err();
    assert!(matches!(err, EmulatedError::Damaged { .. }), "{err:?}");
    assert!(err.to_string().contains(SEALING_SECRET_FILE), "{err}");
    assert_eq!(fs::read(dir.join(SEALING_SECRET_FILE)).unwrap(), [1u8; 31]);

    fs::copy(
        platform().dir().join(SEALING_SECRET_FILE),
        dir.join(SEALING_SECRET_FILE),
    )
    .unwrap();
    // A PCK certificate that does not certify the PCK key.
    fs::copy(
        platform().dir().join(ATTESTATION_KEY_FILE),
        dir.join(PCK_KEY_FILE),
    )
    .unwrap();
    let err = EmulatedPlatform::open_or_create(&dir).unwrap_err();
    match &err {
        EmulatedError::Damaged { path, .. } => assert!(path.ends_with(PCK_CERT_FILE), "{err}"),
        other => panic!("unexpected error {other:?}"),
    }
    // A signer key that is not RSA.
    fs::copy(platform().dir().join(PCK_KEY_FILE), dir.join(PCK_KEY_FILE)).unwrap();
    fs::copy(
        platform().dir().join(PCK_KEY_FILE),
        dir.join(SIGNER_KEY_FILE),
    )
    .unwrap();
    let err = EmulatedPlatform::open_or_create(&dir).unwrap_err();
    assert!(
        matches!(&err, EmulatedError::Damaged { path, .. } if path.ends_with(SIGNER_KEY_FILE)),
        "{err:?}"
    );
}

#[test]
fn a_missing_file_is_made_and_the_others_are_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_platform(tmp.path());
    fs::remove_file(dir.join(PCK_CERT_FILE)).unwrap();
    let reopened = EmulatedPlatform::open_or_create(&dir).unwrap();
    assert_eq!(reopened.mr_signer(), platform().mr_signer());
    assert_eq!(reopened.sealing_secret(), platform().sealing_secret());
    assert_ne!(reopened.pck_cert_pem(), platform().pck_cert_pem());
    assert_eq!(
        reopened.attestation_public_key(),
        platform().attestation_public_key()
    );
    assert_eq!(mode(&dir.join(PCK_CERT_FILE)), 0o600);
    // The new certificate certifies the same PCK key: quotes still verify.
    let quote = reopened.quote(&identity(false), &report_data()).unwrap();
    allowing_verifier()
        .verify(&quote, &reopened.collateral(now()).unwrap(), now())
        .expect("accepted");
}

#[test]
fn a_platform_dir_holding_only_the_servers_sealing_secret_keeps_it() {
    // What ekms-server wrote before the emulated platform existed: `sealing_secret` alone (the
    // signer key is copied too, only to spare generating an RSA key here).
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("old");
    fs::create_dir(&dir).unwrap();
    let secret = [0x17u8; 32];
    fs::write(dir.join(SEALING_SECRET_FILE), secret).unwrap();
    fs::copy(
        platform().dir().join(SIGNER_KEY_FILE),
        dir.join(SIGNER_KEY_FILE),
    )
    .unwrap();
    let upgraded = EmulatedPlatform::open_or_create(&dir).unwrap();
    assert_eq!(upgraded.sealing_secret(), &secret);
    assert_eq!(fs::read(dir.join(SEALING_SECRET_FILE)).unwrap(), secret);
    for name in [PCK_KEY_FILE, PCK_CERT_FILE, ATTESTATION_KEY_FILE] {
        assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
    }
    let quote = upgraded.quote(&identity(false), &report_data()).unwrap();
    allowing_verifier()
        .verify(&quote, &upgraded.collateral(now()).unwrap(), now())
        .expect("accepted");
}

#[test]
fn emulated_source_makes_verifying_quotes() {
    let source: Box<dyn QuoteSource> = Box::new(EmulatedSource::new(platform(), identity(false)));
    assert_eq!(source.kind(), "emulated");
    let mut data = [0u8; 64];
    data[..6].copy_from_slice(b"nonce!");
    let quote = source.quote(&data).unwrap();
    let verified = allowing_verifier()
        .verify(&quote, &collateral(), now())
        .unwrap();
    assert_eq!(verified.report.report_data, data);
}

fn gramine_root(tmp: &Path) -> GramineSource {
    fs::create_dir_all(tmp.join("dev/attestation")).unwrap();
    GramineSource::new(tmp)
}

#[test]
fn gramine_source_writes_report_data_and_reads_the_quote() {
    let tmp = tempfile::tempdir().unwrap();
    let source = gramine_root(tmp.path());
    assert_eq!(source.kind(), "gramine");
    assert_eq!(
        source.user_report_data_path(),
        tmp.path().join("dev/attestation/user_report_data")
    );
    assert_eq!(
        GramineSource::in_enclave().quote_path(),
        Path::new("/dev/attestation/quote")
    );
    fs::write(tmp.path().join("dev/attestation/attestation_type"), "dcap").unwrap();
    // Stand in for Gramine: the quote file holds a quote for this report data.
    let quote = quote_for(false);
    fs::write(tmp.path().join("dev/attestation/quote"), &quote).unwrap();
    let got = source.quote(&report_data()).unwrap();
    assert_eq!(got, quote);
    assert_eq!(
        fs::read(tmp.path().join("dev/attestation/user_report_data")).unwrap(),
        report_data()
    );

    // A quote for other report data is refused (and the new report data was written).
    let mut other = report_data();
    other[0] ^= 0xff;
    let err = source.quote(&other).unwrap_err();
    assert!(matches!(err, SourceError::ReportDataMismatch), "{err:?}");
    assert_eq!(
        fs::read(tmp.path().join("dev/attestation/user_report_data")).unwrap(),
        other
    );

    // A malformed quote is refused.
    fs::write(tmp.path().join("dev/attestation/quote"), &quote[..100]).unwrap();
    let err = source.quote(&report_data()).unwrap_err();
    assert!(matches!(err, SourceError::Malformed(_)), "{err:?}");

    // Remote attestation disabled in the manifest.
    fs::write(tmp.path().join("dev/attestation/attestation_type"), "none").unwrap();
    let err = source.quote(&report_data()).unwrap_err();
    assert!(matches!(err, SourceError::Unavailable(_)), "{err:?}");
}

#[test]
fn gramine_source_outside_gramine_is_unavailable() {
    let tmp = tempfile::tempdir().unwrap();
    let err = GramineSource::new(tmp.path())
        .quote(&report_data())
        .unwrap_err();
    assert!(matches!(err, SourceError::Unavailable(_)), "{err:?}");
    // The quote file missing is an I/O error naming it.
    let source = gramine_root(tmp.path());
    let err = source.quote(&report_data()).unwrap_err();
    match err {
        SourceError::Io { path, .. } => assert!(path.ends_with("quote")),
        other => panic!("unexpected error {other:?}"),
    }
}
