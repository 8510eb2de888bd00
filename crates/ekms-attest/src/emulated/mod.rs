//! The emulated SGX platform (docs/emulated-platform.md): what stands in for the CPU, Intel's
//! provisioning and Intel's PCS on a machine without SGX, keeping every real code path.
//!
//! # Emulated evidence proves the protocol, never the hardware
//!
//! Everything here chains to a **published** root whose private key is a constant of this
//! crate ([`pki::EMULATED_ROOT_CA_KEY_PEM`]). Anyone can forge emulated evidence. Verifiers
//! refuse it unless explicitly told to allow it (`--allow-emulated`,
//! [`crate::Verifier::allow_emulated`] with [`crate::TrustedRoot::emulated`]).
//!
//! This module owns:
//!
//! * [`pki`]: the fixed emulated PKI (root CA, PCK Platform CA, TCB signing certificate, their
//!   published keys) and the CRLs it signs;
//! * [`platform`]: [`EmulatedPlatform`], one emulated machine in a directory (sealing secret,
//!   enclave signer key, PCK key and certificate, attestation key), created at first start;
//! * [`qe`]: the emulated quoting enclave that makes byte-exact DCAP v3 quotes
//!   ([`EnclaveIdentity`] in, quote bytes out);
//! * [`collateral`]: TCB info, QE identity, CRLs and issuer chains made on demand for a time
//!   `now` ([`PccsCollateral`]), in dcap-qvl's shape or as a PCCS serves them.
//!
//! `docs/emulated-platform.md` describes the names, files and formats.

use std::path::PathBuf;

use thiserror::Error;

use crate::layout::LayoutError;

pub mod collateral;
mod der;
mod pem;
pub mod pki;
pub mod platform;
pub mod qe;

pub use collateral::PccsCollateral;
pub use pki::{
    EMULATED_PLATFORM_CA_KEY_PEM, EMULATED_PLATFORM_CA_PEM, EMULATED_ROOT_CA_KEY_PEM,
    EMULATED_ROOT_CA_PEM, EMULATED_TCB_SIGNING_KEY_PEM, EMULATED_TCB_SIGNING_PEM,
};
pub use platform::{EmulatedPlatform, PckExtension, PlatformTcb};
pub use qe::{EMULATED_QUOTE_USER_DATA, EnclaveIdentity, header_says_emulated};

/// Why the emulated platform could not do what was asked.
#[derive(Debug, Error)]
pub enum EmulatedError {
    /// A file or the directory of the platform could not be read or written.
    #[error("emulated platform: {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A platform file exists but does not hold what it must.
    #[error(
        "emulated platform file {} is damaged ({reason}); restore it from a backup, or remove the platform dir to start a new emulated platform (files sealed under the old one become unreadable)",
        path.display()
    )]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Key generation, signing or certificate issuing failed.
    #[error("emulated platform: {0}")]
    Crypto(String),
    /// A time that cannot be written in collateral.
    #[error("emulated platform: time out of range: {0}")]
    Time(String),
    /// A quote part could not be built.
    #[error("emulated quote: {0}")]
    Layout(#[from] LayoutError),
}

/// A PKCS#1 `RSA PUBLIC KEY` PEM from a big-endian modulus (no leading zero bytes) and an
/// exponent.
pub(crate) fn public_key_pem_from_parts(modulus_be: &[u8], exponent: u32) -> String {
    fn unsigned_integer(be: &[u8]) -> Vec<u8> {
        // DER INTEGERs are signed: a set high bit needs a leading zero byte.
        let mut content = Vec::with_capacity(be.len() + 1);
        if be.first().is_none_or(|b| b & 0x80 != 0) {
            content.push(0);
        }
        content.extend_from_slice(be);
        der::tlv(0x02, &content)
    }
    let e_be: Vec<u8> = exponent
        .to_be_bytes()
        .into_iter()
        .skip_while(|b| *b == 0)
        .collect();
    let der = der::sequence(&[unsigned_integer(modulus_be), unsigned_integer(&e_be)]);
    pem::encode("RSA PUBLIC KEY", &der)
}
