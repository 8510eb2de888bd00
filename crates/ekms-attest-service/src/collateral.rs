//! Where the collateral for a quote comes from.
//!
//! * Emulated quotes (the emulated quoting enclave marks its header `EMULATED`): collateral is
//!   made on demand by the emulated platform's generator for the FMSPC of the quote's PCK
//!   certificate, valid at the service's time — exactly what the emulated PCCS routes serve.
//!   Whether such evidence is accepted is decided afterwards by the root it chains to and
//!   `--allow-emulated`, never by the header label.
//! * Genuine quotes: the PCCS collateral files given by `--collateral` (dcap-qvl's
//!   `QuoteCollateralV3` JSON), tried in turn. The service never fetches collateral from Intel
//!   or a PCCS itself: it runs offline, and what it trusts is what its operator gave it.

use std::path::PathBuf;
use std::sync::Arc;

use ekms_attest::emulated::PccsCollateral;
use ekms_attest::emulated::qe::header_says_emulated;
use ekms_attest::{Collateral, Quote};
use time::OffsetDateTime;

use crate::error::ApiError;

/// OID of the SGX extension of PCK certificates.
const SGX_EXTENSION_OID: &str = "1.2.840.113741.1.13.1";
/// OID of the FMSPC entry inside it.
const FMSPC_OID: &str = "1.2.840.113741.1.13.1.4";

/// One collateral candidate and where it came from (for messages).
#[derive(Clone)]
pub struct Candidate {
    /// Where it came from.
    pub origin: String,
    /// The collateral.
    pub collateral: Arc<Collateral>,
}

/// The collateral the service has.
pub struct CollateralSource {
    files: Vec<Candidate>,
}

impl CollateralSource {
    /// Collateral from files (genuine quotes) and the emulated generator (emulated quotes).
    pub fn new(files: Vec<(PathBuf, Collateral)>) -> Self {
        Self {
            files: files
                .into_iter()
                .map(|(path, collateral)| Candidate {
                    origin: format!("--collateral {}", path.display()),
                    collateral: Arc::new(collateral),
                })
                .collect(),
        }
    }

    /// The candidates to verify `quote` with at `now`, in order.
    pub fn candidates(
        &self,
        quote: &Quote,
        now: OffsetDateTime,
    ) -> Result<Vec<Candidate>, ApiError> {
        if header_says_emulated(&quote.header) {
            let fmspc = pck_fmspc(quote)?;
            let pieces = PccsCollateral::for_fmspc(fmspc, now)
                .map_err(|e| ApiError::internal(format!("cannot make emulated collateral: {e}")))?;
            return Ok(vec![Candidate {
                origin: "the emulated PCCS".to_string(),
                collateral: Arc::new(pieces.to_collateral()),
            }]);
        }
        if self.files.is_empty() {
            return Err(ApiError::invalid_quote(
                "no collateral for this quote: the service was started without --collateral",
            ));
        }
        Ok(self.files.clone())
    }
}

/// The FMSPC in the SGX extension of the quote's PCK (leaf) certificate.
pub fn pck_fmspc(quote: &Quote) -> Result<[u8; 6], ApiError> {
    let bad = |why: &str| ApiError::invalid_quote(format!("the quote's PCK certificate {why}"));
    let pem = quote
        .signature
        .certification_data
        .pck_cert_chain_pem()
        .ok_or_else(|| bad("chain is missing (certification data type 5 expected)"))?;
    let leaf = rustls_pemfile::certs(&mut pem.as_bytes())
        .next()
        .ok_or_else(|| bad("chain holds no certificate"))?
        .map_err(|_| bad("chain is not PEM"))?;
    let (_, cert) = x509_parser::parse_x509_certificate(leaf.as_ref())
        .map_err(|_| bad("is not an X.509 certificate"))?;
    let ext = cert
        .extensions()
        .iter()
        .find(|e| e.oid.to_id_string() == SGX_EXTENSION_OID)
        .ok_or_else(|| bad("has no SGX extension"))?;
    fmspc_of_extension(ext.value).ok_or_else(|| bad("has a malformed SGX extension"))
}

/// The FMSPC entry of an SGX extension value: a SEQUENCE of (OID, value) SEQUENCEs, the FMSPC
/// an OCTET STRING of 6 bytes (Intel's Processor and Platform CA layouts alike).
fn fmspc_of_extension(value: &[u8]) -> Option<[u8; 6]> {
    let (_, top) = x509_parser::der_parser::parse_der(value).ok()?;
    top.as_sequence().ok()?.iter().find_map(|entry| {
        let pair = entry.as_sequence().ok()?;
        let oid = pair.first()?.as_oid().ok()?;
        if oid.to_id_string() != FMSPC_OID {
            return None;
        }
        <[u8; 6]>::try_from(pair.get(1)?.as_slice().ok()?).ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fmspc_of_the_real_quote() {
        let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/sgx/real_dcap_v3_quote.bin");
        let quote = Quote::parse(&std::fs::read(path).unwrap()).unwrap();
        assert_eq!(
            pck_fmspc(&quote).unwrap(),
            [0x00, 0xa0, 0x67, 0x11, 0x00, 0x00]
        );
        assert!(!header_says_emulated(&quote.header));
    }

    #[test]
    fn no_files_no_collateral_for_genuine_quotes() {
        let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/sgx/real_dcap_v3_quote.bin");
        let quote = Quote::parse(&std::fs::read(path).unwrap()).unwrap();
        let source = CollateralSource::new(Vec::new());
        let e = source
            .candidates(&quote, OffsetDateTime::now_utc())
            .err()
            .unwrap();
        assert_eq!(e.code, "InvalidQuote");
    }
}
