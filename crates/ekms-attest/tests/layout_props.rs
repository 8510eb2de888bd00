//! Property tests of the byte layouts: parsers never panic on any input, refuse truncated and
//! oversized input, and `parse -> to_bytes` gives the input back.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::OnceLock;

use ekms_attest::quote::{INTEL_QE_VENDOR_ID, QuoteHeader, SignatureData};
use ekms_attest::sigstruct::{SIGSTRUCT_HEADER, SIGSTRUCT_HEADER2, SIGSTRUCT_LEN};
use ekms_attest::{
    Attributes, CertificationData, QeAuthData, Quote, ReportBody, Sigstruct, mr_signer,
};
use proptest::prelude::*;

/// The real quote of `testdata/sgx/`. Missing test data ends the test binary with one line:
/// a panic here would be caught and printed by every proptest case and every shrinking step.
fn real_quote() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/sgx/real_dcap_v3_quote.bin");
        std::fs::read(&path).unwrap_or_else(|e| {
            eprintln!("test data missing: {}: {e}", path.display());
            std::process::exit(1)
        })
    })
}

/// 512 cases, and no `proptest-regressions` file written into the source tree on failure
/// (the failing input is printed instead).
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn array<const N: usize>() -> impl Strategy<Value = [u8; N]> {
    proptest::collection::vec(any::<u8>(), N).prop_map(|v| v.try_into().unwrap())
}

fn report_body() -> impl Strategy<Value = ReportBody> {
    array::<384>().prop_map(|bytes| ReportBody::parse(&bytes).unwrap())
}

fn quote() -> impl Strategy<Value = Quote> {
    (
        (
            any::<u32>(),
            any::<u16>(),
            any::<u16>(),
            array::<16>(),
            array::<20>(),
        ),
        report_body(),
        (array::<64>(), array::<64>(), array::<64>()),
        report_body(),
        proptest::collection::vec(any::<u8>(), 0..100),
        any::<u16>(),
        proptest::collection::vec(any::<u8>(), 0..5000),
    )
        .prop_map(
            |(
                (tee_type, qe_svn, pce_svn, qe_vendor_id, user_data),
                report_body,
                (isv_signature, attestation_key, qe_report_signature),
                qe_report,
                auth,
                cert_type,
                cert,
            )| Quote {
                header: QuoteHeader {
                    version: 3,
                    attestation_key_type: 2,
                    tee_type,
                    qe_svn,
                    pce_svn,
                    qe_vendor_id,
                    user_data,
                },
                report_body,
                signature: SignatureData {
                    isv_signature,
                    attestation_key,
                    qe_report,
                    qe_report_signature,
                    qe_auth_data: QeAuthData::new(auth).unwrap(),
                    certification_data: CertificationData::new(cert_type, cert).unwrap(),
                },
            },
        )
}

#[test]
fn every_truncation_of_the_real_quote_is_refused() {
    let bytes = real_quote();
    for len in 0..bytes.len() {
        assert!(Quote::parse(&bytes[..len]).is_err(), "length {len}");
    }
    assert!(Quote::parse(bytes).is_ok());
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_bytes_never_panic_and_round_trip_when_accepted(
        bytes in proptest::collection::vec(any::<u8>(), 0..6000)
    ) {
        if let Ok(quote) = Quote::parse(&bytes) {
            prop_assert_eq!(quote.to_bytes(), bytes);
        }
    }

    #[test]
    fn real_prefix_with_random_tail_never_panics(
        cut in 0usize..4600,
        tail in proptest::collection::vec(any::<u8>(), 0..5000)
    ) {
        let mut bytes = real_quote()[..cut].to_vec();
        bytes.extend_from_slice(&tail);
        if let Ok(quote) = Quote::parse(&bytes) {
            prop_assert_eq!(quote.to_bytes(), bytes);
        }
    }

    #[test]
    fn truncations_of_the_real_quote_are_refused(cut in 0usize..4600) {
        prop_assert!(Quote::parse(&real_quote()[..cut]).is_err());
    }

    #[test]
    fn oversized_real_quote_is_refused(
        tail in proptest::collection::vec(any::<u8>(), 1..300)
    ) {
        let mut bytes = real_quote().to_vec();
        bytes.extend_from_slice(&tail);
        prop_assert!(Quote::parse(&bytes).is_err());
    }

    #[test]
    fn mutated_real_quote_round_trips_when_accepted(
        edits in proptest::collection::vec((0usize..4600, any::<u8>()), 1..8)
    ) {
        let mut bytes = real_quote().to_vec();
        for (at, value) in edits {
            bytes[at] = value;
        }
        if let Ok(quote) = Quote::parse(&bytes) {
            prop_assert_eq!(quote.to_bytes(), bytes);
        }
    }

    #[test]
    fn built_quotes_round_trip(quote in quote()) {
        let bytes = quote.to_bytes();
        let parsed = Quote::parse(&bytes).unwrap();
        prop_assert_eq!(&parsed, &quote);
        prop_assert_eq!(parsed.to_bytes(), bytes);
    }

    #[test]
    fn report_body_round_trips(bytes in array::<384>()) {
        let body = ReportBody::parse(&bytes).unwrap();
        prop_assert_eq!(body.to_bytes(), bytes.to_vec());
    }

    #[test]
    fn attributes_encode_little_endian(flags in any::<u64>(), xfrm in any::<u64>()) {
        let bytes = Attributes { flags, xfrm }.to_bytes();
        prop_assert_eq!(&bytes[..8], &flags.to_le_bytes());
        prop_assert_eq!(&bytes[8..], &xfrm.to_le_bytes());
    }

    #[test]
    fn sigstruct_random_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..2000)
    ) {
        if let Ok(sig) = Sigstruct::parse(&bytes) {
            prop_assert_eq!(sig.to_bytes(), bytes);
        }
    }

    #[test]
    fn sigstruct_round_trips(
        body in proptest::collection::vec(any::<u8>(), SIGSTRUCT_LEN),
        cut in 0usize..SIGSTRUCT_LEN,
    ) {
        let mut bytes = body;
        bytes[..16].copy_from_slice(&SIGSTRUCT_HEADER);
        bytes[24..40].copy_from_slice(&SIGSTRUCT_HEADER2);
        let sig = Sigstruct::parse(&bytes).unwrap();
        prop_assert_eq!(sig.to_bytes(), bytes.clone());
        prop_assert!(Sigstruct::parse(&bytes[..cut]).is_err());
        bytes.push(0);
        prop_assert!(Sigstruct::parse(&bytes).is_err());
    }

    #[test]
    fn mr_signer_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = mr_signer(&bytes);
        let mut pem = b"-----BEGIN PUBLIC KEY-----\n".to_vec();
        pem.extend_from_slice(&bytes);
        let _ = mr_signer(&pem);
    }
}

#[test]
fn intel_vendor_id_is_the_real_quotes() {
    let quote = Quote::parse(real_quote()).unwrap();
    assert_eq!(quote.header.qe_vendor_id, INTEL_QE_VENDOR_ID);
}
