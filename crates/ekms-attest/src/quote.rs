//! Intel SGX DCAP quotes, version 3: parsing and building, byte-exact.
//!
//! This module owns [`Quote`] and its parts ([`QuoteHeader`], [`SignatureData`],
//! [`QeAuthData`], [`CertificationData`]). [`Quote::parse`] reads a quote by explicit offsets
//! with bounds checks, accepting exactly one well-formed quote (truncated input, trailing bytes
//! and length fields that disagree with the data are errors, never panics), and
//! [`Quote::to_bytes`] writes it back: parsing then encoding gives the input bytes again. The
//! parser checks structure only; signatures, certificates and TCB are the verifier's job
//! ([`crate::verify`]). Building a `Quote` from its fields is how the emulated quoting enclave
//! will produce quotes.
//!
//! Layout (offsets from the start of the quote, integers little-endian):
//!
//! | offset | size | field |
//! |---:|---:|---|
//! | 0 | 48 | header: version u16 (= 3), attestation key type u16 (= 2, ECDSA-256-with-P-256), TEE type u32 (0 = SGX; reserved in v3), QE SVN u16, PCE SVN u16, QE vendor id 16, user data 20 |
//! | 48 | 384 | ISV enclave report body ([`ReportBody`]) |
//! | 432 | 4 | signature data length u32 (must equal the bytes that follow) |
//! | 436 | 64 | ISV enclave report signature (ECDSA P-256 `r ‖ s` over bytes 0..432) |
//! | 500 | 64 | ECDSA attestation public key (`x ‖ y`) |
//! | 564 | 384 | QE report body |
//! | 948 | 64 | QE report signature (by the PCK key) |
//! | 1012 | 2 | QE authentication data length u16, then the data |
//! | … | 2 + 4 | certification data type u16 and length u32, then the data (type 5: PCK certificate chain, PEM) |

use serde::{Deserialize, Serialize};

use crate::layout::{LayoutError, Reader};
use crate::report::{REPORT_BODY_LEN, ReportBody};

/// Size of the quote header.
pub const QUOTE_HEADER_LEN: usize = 48;
/// The only quote version this module reads and writes.
pub const QUOTE_VERSION_3: u16 = 3;
/// Attestation key type ECDSA-256-with-P-256 curve.
pub const ATTESTATION_KEY_TYPE_ECDSA_P256: u16 = 2;
/// The QE vendor id of Intel's quoting enclave.
pub const INTEL_QE_VENDOR_ID: [u8; 16] = [
    0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9, 0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07,
];
/// Certification data type 5: the PCK certificate chain, concatenated PEM (leaf first).
pub const CERT_TYPE_PCK_CERT_CHAIN: u16 = 5;

/// Bytes of the signature data that do not vary: two signatures, the attestation key, the QE
/// report, and the three length/type fields.
const SIGNATURE_DATA_FIXED_LEN: usize = 64 + 64 + REPORT_BODY_LEN + 64 + 2 + 2 + 4;
/// The longest certification data that keeps the signature data length within a `u32`.
pub const MAX_CERTIFICATION_DATA_LEN: usize =
    u32::MAX as usize - SIGNATURE_DATA_FIXED_LEN - u16::MAX as usize;

/// The 48-byte quote header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteHeader {
    /// Quote version; parsing requires 3.
    pub version: u16,
    /// Attestation key type; parsing requires 2 (ECDSA-256-with-P-256).
    pub attestation_key_type: u16,
    /// TEE type (0 for SGX). Version 3 calls these four bytes reserved; they are kept as read.
    pub tee_type: u32,
    /// Security version of the quoting enclave.
    pub qe_svn: u16,
    /// Security version of the provisioning certification enclave.
    pub pce_svn: u16,
    /// Vendor of the quoting enclave ([`INTEL_QE_VENDOR_ID`] for Intel's).
    #[serde(with = "crate::hexser")]
    pub qe_vendor_id: [u8; 16],
    /// Custom data of the quoting enclave (Intel's puts the QE id's first 16 bytes here).
    #[serde(with = "crate::hexser")]
    pub user_data: [u8; 20],
}

impl QuoteHeader {
    fn read(r: &mut Reader<'_>) -> Result<Self, LayoutError> {
        let version = r.u16_le("header.version")?;
        if version != QUOTE_VERSION_3 {
            return Err(LayoutError::UnsupportedVersion(version));
        }
        let attestation_key_type = r.u16_le("header.attestation_key_type")?;
        if attestation_key_type != ATTESTATION_KEY_TYPE_ECDSA_P256 {
            return Err(LayoutError::UnsupportedKeyType(attestation_key_type));
        }
        Ok(Self {
            version,
            attestation_key_type,
            tee_type: r.u32_le("header.tee_type")?,
            qe_svn: r.u16_le("header.qe_svn")?,
            pce_svn: r.u16_le("header.pce_svn")?,
            qe_vendor_id: r.array("header.qe_vendor_id")?,
            user_data: r.array("header.user_data")?,
        })
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.version.to_le_bytes());
        out.extend_from_slice(&self.attestation_key_type.to_le_bytes());
        out.extend_from_slice(&self.tee_type.to_le_bytes());
        out.extend_from_slice(&self.qe_svn.to_le_bytes());
        out.extend_from_slice(&self.pce_svn.to_le_bytes());
        out.extend_from_slice(&self.qe_vendor_id);
        out.extend_from_slice(&self.user_data);
    }

    /// The 48-byte encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(QUOTE_HEADER_LEN);
        self.write(&mut out);
        out
    }
}

/// QE authentication data: at most `u16::MAX` bytes (Intel's QE writes 32).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QeAuthData(Vec<u8>);

impl QeAuthData {
    /// Wrap `data`, refusing more than `u16::MAX` bytes.
    pub fn new(data: Vec<u8>) -> Result<Self, LayoutError> {
        if data.len() > usize::from(u16::MAX) {
            return Err(LayoutError::TooLong {
                field: "qe_auth_data",
                actual: data.len(),
                max: usize::from(u16::MAX),
            });
        }
        Ok(Self(data))
    }

    /// The data.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Certification data: a type and its data (at most [`MAX_CERTIFICATION_DATA_LEN`] bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificationData {
    cert_type: u16,
    data: Vec<u8>,
}

impl CertificationData {
    /// Certification data of any type, refusing data too long to encode.
    pub fn new(cert_type: u16, data: Vec<u8>) -> Result<Self, LayoutError> {
        if data.len() > MAX_CERTIFICATION_DATA_LEN {
            return Err(LayoutError::TooLong {
                field: "certification_data",
                actual: data.len(),
                max: MAX_CERTIFICATION_DATA_LEN,
            });
        }
        Ok(Self { cert_type, data })
    }

    /// Type 5 certification data: a PCK certificate chain as concatenated PEM, leaf first.
    pub fn pck_cert_chain(pem: &str) -> Result<Self, LayoutError> {
        Self::new(CERT_TYPE_PCK_CERT_CHAIN, pem.as_bytes().to_vec())
    }

    /// The certification data type.
    pub fn cert_type(&self) -> u16 {
        self.cert_type
    }

    /// The raw data.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The PEM chain, if this is type 5 and the data is UTF-8. Real quotes end the chain with a
    /// NUL byte, which is removed here.
    pub fn pck_cert_chain_pem(&self) -> Option<&str> {
        if self.cert_type != CERT_TYPE_PCK_CERT_CHAIN {
            return None;
        }
        let text = std::str::from_utf8(&self.data).ok()?;
        Some(text.trim_end_matches('\0'))
    }
}

/// The quote's signature data (everything after the signature data length).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureData {
    /// ECDSA P-256 signature (`r ‖ s`, big-endian halves) by the attestation key over the header
    /// and the ISV report body.
    pub isv_signature: [u8; 64],
    /// The attestation public key (`x ‖ y`, big-endian halves).
    pub attestation_key: [u8; 64],
    /// The quoting enclave's report; its `report_data[..32]` is
    /// [`SignatureData::qe_binding_hash`].
    pub qe_report: ReportBody,
    /// ECDSA P-256 signature by the PCK key over the encoded QE report.
    pub qe_report_signature: [u8; 64],
    /// QE authentication data.
    pub qe_auth_data: QeAuthData,
    /// Certification data (type 5, the PCK chain, for the quotes this project handles).
    pub certification_data: CertificationData,
}

impl SignatureData {
    fn read(r: &mut Reader<'_>) -> Result<Self, LayoutError> {
        let isv_signature = r.array("signature.isv_signature")?;
        let attestation_key = r.array("signature.attestation_key")?;
        let qe_report = ReportBody::read(r)?;
        let qe_report_signature = r.array("signature.qe_report_signature")?;
        let auth_len = r.u16_le("signature.qe_auth_data_len")?;
        let qe_auth_data = QeAuthData(
            r.take(usize::from(auth_len), "signature.qe_auth_data")?
                .to_vec(),
        );
        let cert_type = r.u16_le("signature.certification_data_type")?;
        let cert_len = r.u32_le("signature.certification_data_len")?;
        let cert_len = usize::try_from(cert_len).map_err(|_| LayoutError::TooLong {
            field: "signature.certification_data",
            actual: usize::MAX,
            max: MAX_CERTIFICATION_DATA_LEN,
        })?;
        let data = r.take(cert_len, "signature.certification_data")?.to_vec();
        Ok(Self {
            isv_signature,
            attestation_key,
            qe_report,
            qe_report_signature,
            qe_auth_data,
            certification_data: CertificationData::new(cert_type, data)?,
        })
    }

    /// Encoded length (what the quote's signature data length field holds).
    pub fn encoded_len(&self) -> usize {
        // Both variable parts are bounded by their constructors, so this cannot overflow.
        SIGNATURE_DATA_FIXED_LEN
            .saturating_add(self.qe_auth_data.0.len())
            .saturating_add(self.certification_data.data.len())
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.isv_signature);
        out.extend_from_slice(&self.attestation_key);
        self.qe_report.write(out);
        out.extend_from_slice(&self.qe_report_signature);
        // Lengths fit: QeAuthData and CertificationData refuse longer data.
        let auth_len = u16::try_from(self.qe_auth_data.0.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&auth_len.to_le_bytes());
        out.extend_from_slice(&self.qe_auth_data.0);
        out.extend_from_slice(&self.certification_data.cert_type.to_le_bytes());
        let cert_len = u32::try_from(self.certification_data.data.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&cert_len.to_le_bytes());
        out.extend_from_slice(&self.certification_data.data);
    }

    /// What the QE report's `report_data[..32]` must hold: SHA-256 of the attestation key
    /// followed by the QE authentication data. The other 32 bytes are zero.
    pub fn qe_binding_hash(&self) -> [u8; 32] {
        qe_binding_hash(&self.attestation_key, self.qe_auth_data.as_bytes())
    }
}

/// SHA-256(`attestation_key ‖ qe_auth_data`): the value a quoting enclave puts in the first half
/// of its report data to bind the attestation key.
pub fn qe_binding_hash(attestation_key: &[u8; 64], qe_auth_data: &[u8]) -> [u8; 32] {
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    ctx.update(attestation_key);
    ctx.update(qe_auth_data);
    let digest = ctx.finish();
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// An Intel SGX DCAP ECDSA quote, version 3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    /// The header.
    pub header: QuoteHeader,
    /// The application enclave's report body.
    pub report_body: ReportBody,
    /// Signatures, QE report and certification data.
    pub signature: SignatureData,
}

impl Quote {
    /// Parse exactly one version 3 quote. Truncated input, trailing bytes, a signature data
    /// length that is not the number of bytes that follow, and unsupported versions or key
    /// types are errors.
    pub fn parse(bytes: &[u8]) -> Result<Self, LayoutError> {
        let mut r = Reader::new(bytes);
        let header = QuoteHeader::read(&mut r)?;
        let report_body = ReportBody::read(&mut r)?;
        let declared = r.u32_le("signature_data_len")?;
        let declared = usize::try_from(declared).unwrap_or(usize::MAX);
        if declared != r.remaining() {
            return Err(LayoutError::BadLength {
                field: "signature_data",
                expected: declared,
                actual: r.remaining(),
            });
        }
        let signature = SignatureData::read(&mut r)?;
        r.finish("quote")?;
        Ok(Self {
            header,
            report_body,
            signature,
        })
    }

    /// The encoding; for a parsed quote, exactly the bytes it was parsed from.
    pub fn to_bytes(&self) -> Vec<u8> {
        let sig_len = self.signature.encoded_len();
        let mut out =
            Vec::with_capacity((QUOTE_HEADER_LEN + REPORT_BODY_LEN + 4).saturating_add(sig_len));
        self.header.write(&mut out);
        self.report_body.write(&mut out);
        // Bounded by MAX_CERTIFICATION_DATA_LEN and u16::MAX, so it fits in a u32.
        let sig_len = u32::try_from(sig_len).unwrap_or(u32::MAX);
        out.extend_from_slice(&sig_len.to_le_bytes());
        self.signature.write(&mut out);
        out
    }

    /// The bytes the attestation key signs: the header followed by the ISV report body.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(QUOTE_HEADER_LEN + REPORT_BODY_LEN);
        self.header.write(&mut out);
        self.report_body.write(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A structurally valid quote with recognisable contents.
    fn sample() -> Quote {
        let mut report_body = ReportBody {
            mr_enclave: [0x11; 32],
            ..ReportBody::default()
        };
        report_body.report_data[..5].copy_from_slice(b"hello");
        Quote {
            header: QuoteHeader {
                version: 3,
                attestation_key_type: 2,
                tee_type: 0,
                qe_svn: 8,
                pce_svn: 13,
                qe_vendor_id: INTEL_QE_VENDOR_ID,
                user_data: [7; 20],
            },
            report_body,
            signature: SignatureData {
                isv_signature: [1; 64],
                attestation_key: [2; 64],
                qe_report: ReportBody::default(),
                qe_report_signature: [3; 64],
                qe_auth_data: QeAuthData::new((0..32).collect()).unwrap(),
                certification_data: CertificationData::pck_cert_chain("-----BEGIN...\0").unwrap(),
            },
        }
    }

    #[test]
    fn build_parse_round_trip() {
        let quote = sample();
        let bytes = quote.to_bytes();
        assert_eq!(bytes.len(), 436 + quote.signature.encoded_len());
        assert_eq!(&bytes[0..2], &[3, 0]);
        assert_eq!(&bytes[112..144], &[0x11; 32]);
        assert_eq!(
            u32::from_le_bytes(bytes[432..436].try_into().unwrap()) as usize,
            bytes.len() - 436
        );
        let parsed = Quote::parse(&bytes).unwrap();
        assert_eq!(parsed, quote);
        assert_eq!(parsed.to_bytes(), bytes);
        assert_eq!(quote.signed_bytes(), bytes[..432]);
        assert_eq!(
            parsed.signature.certification_data.pck_cert_chain_pem(),
            Some("-----BEGIN...")
        );
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = sample().to_bytes();
        for len in 0..bytes.len() {
            assert!(Quote::parse(&bytes[..len]).is_err(), "length {len}");
        }
    }

    #[test]
    fn trailing_bytes_are_refused() {
        let mut bytes = sample().to_bytes();
        bytes.push(0);
        assert!(matches!(
            Quote::parse(&bytes),
            Err(LayoutError::BadLength { .. })
        ));
    }

    #[test]
    fn inconsistent_inner_lengths_are_refused() {
        let bytes = sample().to_bytes();
        // Grow the certification data length by one while the outer length stays: the inner
        // read runs past the end.
        let cert_len_at = bytes.len() - "-----BEGIN...\0".len() - 4;
        let mut longer = bytes.clone();
        longer[cert_len_at] += 1;
        assert!(matches!(
            Quote::parse(&longer),
            Err(LayoutError::Truncated { .. })
        ));
        // Shrink it: one byte is left over.
        let mut shorter = bytes;
        shorter[cert_len_at] -= 1;
        assert!(matches!(
            Quote::parse(&shorter),
            Err(LayoutError::TrailingBytes { extra: 1, .. })
        ));
    }

    #[test]
    fn version_and_key_type_are_checked() {
        let mut bytes = sample().to_bytes();
        bytes[0] = 4;
        assert_eq!(
            Quote::parse(&bytes),
            Err(LayoutError::UnsupportedVersion(4))
        );
        bytes[0] = 3;
        bytes[2] = 3;
        assert_eq!(
            Quote::parse(&bytes),
            Err(LayoutError::UnsupportedKeyType(3))
        );
    }

    #[test]
    fn oversized_parts_are_refused_by_constructors() {
        assert!(QeAuthData::new(vec![0; 65_536]).is_err());
        assert!(QeAuthData::new(vec![0; 65_535]).is_ok());
    }

    #[test]
    fn qe_binding_hash_is_sha256_of_key_and_auth_data() {
        let quote = sample();
        let mut input = vec![2u8; 64];
        input.extend(0u8..32);
        let expected = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &input);
        assert_eq!(quote.signature.qe_binding_hash()[..], *expected.as_ref());
    }
}
