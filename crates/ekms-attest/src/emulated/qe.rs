//! The emulated quoting enclave (QE): turns an enclave identity and 64 bytes of report data
//! into a byte-exact DCAP quote version 3.
//!
//! This module owns [`EnclaveIdentity`] (what the emulated CPU reports about the application
//! enclave), the fixed identity of the emulated QE (`EMULATED_QE_*`, which the QE identity
//! collateral describes), the header marker [`EMULATED_QUOTE_USER_DATA`], and the assembly of a
//! quote, done as Intel's QE does it:
//!
//! 1. header: version 3, attestation key type 2 (ECDSA P-256), TEE type 0 (SGX), QE SVN, PCE
//!    SVN, **Intel's QE vendor id** (dcap-qvl accepts no other) and user data starting with
//!    `EMULATED`;
//! 2. the application's report body: the platform CPU SVN, the identity, the report data;
//! 3. the ISV signature: the attestation key signs header ‖ report body;
//! 4. the QE report: the QE's own identity, with report data
//!    SHA-256(attestation public key ‖ QE auth data) ‖ 32 zero bytes, signed by the PCK key;
//! 5. certification data type 5: the PCK chain PEM (leaf, Platform CA, root), NUL-terminated
//!    like a real QE's.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::EcdsaKeyPair;
use serde::{Deserialize, Serialize};

use super::EmulatedError;
use super::platform::PlatformTcb;
use crate::quote::{
    ATTESTATION_KEY_TYPE_ECDSA_P256, CertificationData, INTEL_QE_VENDOR_ID, QUOTE_VERSION_3,
    QeAuthData, Quote, QuoteHeader, SignatureData, qe_binding_hash,
};
use crate::report::{
    Attributes, FLAG_DEBUG, FLAG_INITTED, FLAG_MODE64BIT, FLAG_PROVISION_KEY, ReportBody,
};

/// The quote header's user data from the emulated QE: `EMULATED` then 12 zero bytes. (Intel's
/// QE puts its QE id there.) It is covered by the ISV signature, but it is a label, not a
/// proof: what makes evidence emulated is that it chains to the emulated root.
pub const EMULATED_QUOTE_USER_DATA: [u8; 20] = *b"EMULATED\0\0\0\0\0\0\0\0\0\0\0\0";

/// mr_signer of the emulated QE: SHA-256 of `"ekms emulated quoting enclave signer - NOT
/// INTEL"` (not Intel's QE signer).
pub const EMULATED_QE_MR_SIGNER: [u8; 32] = [
    0x0b, 0xa9, 0xd6, 0x77, 0xd2, 0x49, 0xd5, 0xbe, 0x6f, 0x66, 0xf9, 0x35, 0x5a, 0x02, 0xa0, 0x2c,
    0xc4, 0xe7, 0xaa, 0x16, 0x2e, 0xea, 0xf6, 0xdc, 0xd6, 0x6c, 0x73, 0x13, 0x23, 0x20, 0x8d, 0x6e,
];
/// mr_enclave of the emulated QE: SHA-256 of `"ekms emulated quoting enclave - NOT INTEL"`.
pub const EMULATED_QE_MR_ENCLAVE: [u8; 32] = [
    0xc3, 0xb2, 0xff, 0x15, 0x54, 0x83, 0x93, 0xf0, 0x8f, 0x25, 0xff, 0x9d, 0x17, 0xf7, 0xd4, 0xfc,
    0xd4, 0x7a, 0x78, 0x86, 0x60, 0x8e, 0x79, 0x83, 0xfa, 0xae, 0xb8, 0xe9, 0x23, 0xcf, 0x01, 0xf1,
];
/// ISV product id of the emulated QE (1, as Intel's QE).
pub const EMULATED_QE_ISV_PROD_ID: u16 = 1;
/// ISV SVN of the emulated QE; also the header's QE SVN.
pub const EMULATED_QE_ISV_SVN: u16 = 8;
/// Attributes of the emulated QE: initialized, 64-bit, provisioning key; never debug.
pub const EMULATED_QE_ATTRIBUTES: Attributes = Attributes {
    flags: FLAG_INITTED | FLAG_MODE64BIT | FLAG_PROVISION_KEY,
    xfrm: 0x1f,
};
/// The QE authentication data of emulated quotes (32 bytes, the length dcap-qvl requires).
pub const EMULATED_QE_AUTH_DATA: [u8; 32] = [
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
];

/// XFRM of emulated application enclaves: x87, SSE, AVX (XCR0 bits 0..2).
pub const EMULATED_ENCLAVE_XFRM: u64 = 0x7;

/// What the emulated CPU reports about the application enclave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnclaveIdentity {
    /// mr_enclave (in emulation, [`crate::emulated_mr_enclave`] of the manifest).
    #[serde(with = "crate::hexser")]
    pub mr_enclave: [u8; 32],
    /// mr_signer (in emulation, [`super::EmulatedPlatform::mr_signer`]).
    #[serde(with = "crate::hexser")]
    pub mr_signer: [u8; 32],
    /// Attribute flags (the DEBUG bit among them) and XFRM.
    pub attributes: Attributes,
    /// ISV product id.
    pub isv_prod_id: u16,
    /// ISV security version.
    pub isv_svn: u16,
}

impl EnclaveIdentity {
    /// The attributes of an emulated enclave: initialized, 64-bit, debug if `debug`, XFRM
    /// [`EMULATED_ENCLAVE_XFRM`].
    pub fn attributes_for(debug: bool) -> Attributes {
        let mut flags = FLAG_INITTED | FLAG_MODE64BIT;
        if debug {
            flags |= FLAG_DEBUG;
        }
        Attributes {
            flags,
            xfrm: EMULATED_ENCLAVE_XFRM,
        }
    }

    /// Whether the enclave is a debug enclave.
    pub fn is_debug(&self) -> bool {
        self.attributes.is_debug()
    }
}

/// Whether a quote header carries the emulated QE's marker (its user data starts with
/// `EMULATED`). Informational only: whether evidence is emulated is decided by the root it
/// chains to, never by this label.
pub fn header_says_emulated(header: &QuoteHeader) -> bool {
    header.user_data.starts_with(b"EMULATED")
}

/// The emulated QE's report body for a platform of TCB `tcb`, binding `attestation_key`.
pub fn emulated_qe_report(tcb: PlatformTcb, attestation_key: &[u8; 64]) -> ReportBody {
    let mut report_data = [0u8; 64];
    let binding = qe_binding_hash(attestation_key, &EMULATED_QE_AUTH_DATA);
    if let Some(first) = report_data.get_mut(..32) {
        first.copy_from_slice(&binding);
    }
    ReportBody {
        cpu_svn: tcb.cpu_svn,
        attributes: EMULATED_QE_ATTRIBUTES,
        mr_enclave: EMULATED_QE_MR_ENCLAVE,
        mr_signer: EMULATED_QE_MR_SIGNER,
        isv_prod_id: EMULATED_QE_ISV_PROD_ID,
        isv_svn: EMULATED_QE_ISV_SVN,
        report_data,
        ..ReportBody::default()
    }
}

/// What the QE signs with and certifies with.
pub(crate) struct QeKeys<'a> {
    pub(crate) attestation_key: &'a EcdsaKeyPair,
    pub(crate) attestation_public_key: &'a [u8; 64],
    pub(crate) pck_key: &'a EcdsaKeyPair,
    pub(crate) pck_chain_pem: &'a str,
    pub(crate) tcb: PlatformTcb,
}

fn sign(key: &EcdsaKeyPair, message: &[u8]) -> Result<[u8; 64], EmulatedError> {
    let signature = key
        .sign(&SystemRandom::new(), message)
        .map_err(|_| EmulatedError::Crypto("ECDSA signing failed".to_string()))?;
    signature
        .as_ref()
        .try_into()
        .map_err(|_| EmulatedError::Crypto("unexpected ECDSA signature length".to_string()))
}

/// Assemble and sign a quote (see the module documentation).
pub(crate) fn make_quote(
    keys: &QeKeys<'_>,
    identity: &EnclaveIdentity,
    report_data: &[u8; 64],
) -> Result<Vec<u8>, EmulatedError> {
    let header = QuoteHeader {
        version: QUOTE_VERSION_3,
        attestation_key_type: ATTESTATION_KEY_TYPE_ECDSA_P256,
        tee_type: 0,
        qe_svn: EMULATED_QE_ISV_SVN,
        pce_svn: keys.tcb.pce_svn,
        qe_vendor_id: INTEL_QE_VENDOR_ID,
        user_data: EMULATED_QUOTE_USER_DATA,
    };
    let report_body = ReportBody {
        cpu_svn: keys.tcb.cpu_svn,
        attributes: identity.attributes,
        mr_enclave: identity.mr_enclave,
        mr_signer: identity.mr_signer,
        isv_prod_id: identity.isv_prod_id,
        isv_svn: identity.isv_svn,
        report_data: *report_data,
        ..ReportBody::default()
    };
    let qe_report = emulated_qe_report(keys.tcb, keys.attestation_public_key);
    let qe_report_signature = sign(keys.pck_key, &qe_report.to_bytes())?;
    let mut chain = keys.pck_chain_pem.as_bytes().to_vec();
    chain.push(0);
    let mut quote = Quote {
        header,
        report_body,
        signature: SignatureData {
            isv_signature: [0; 64],
            attestation_key: *keys.attestation_public_key,
            qe_report,
            qe_report_signature,
            qe_auth_data: QeAuthData::new(EMULATED_QE_AUTH_DATA.to_vec())?,
            certification_data: CertificationData::new(
                crate::quote::CERT_TYPE_PCK_CERT_CHAIN,
                chain,
            )?,
        },
    };
    quote.signature.isv_signature = sign(keys.attestation_key, &quote.signed_bytes())?;
    Ok(quote.to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qe_identity_constants_are_the_documented_hashes() {
        let digest = |s: &[u8]| aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, s);
        assert_eq!(
            digest(b"ekms emulated quoting enclave signer - NOT INTEL").as_ref(),
            EMULATED_QE_MR_SIGNER
        );
        assert_eq!(
            digest(b"ekms emulated quoting enclave - NOT INTEL").as_ref(),
            EMULATED_QE_MR_ENCLAVE
        );
        assert!(!EMULATED_QE_ATTRIBUTES.is_debug());
    }

    #[test]
    fn qe_report_binds_the_attestation_key() {
        let key = [0x42u8; 64];
        let report = emulated_qe_report(PlatformTcb::EMULATED, &key);
        assert_eq!(
            report.report_data[..32],
            qe_binding_hash(&key, &EMULATED_QE_AUTH_DATA)
        );
        assert_eq!(report.report_data[32..], [0u8; 32]);
    }

    #[test]
    fn attributes_for_debug() {
        assert!(EnclaveIdentity::attributes_for(true).is_debug());
        assert!(!EnclaveIdentity::attributes_for(false).is_debug());
    }
}
