//! ekms-attest: SGX attestation for ekms.
//!
//! This crate owns everything ekms knows about SGX evidence (docs/trust.md):
//!
//! * [`layout`]: the bounds-checked reader every parser uses, and [`LayoutError`].
//! * [`report`]: the 384-byte SGX report body ([`ReportBody`]) and [`Attributes`].
//! * [`quote`]: DCAP quotes version 3 ([`Quote`]), parsed and built byte-exactly.
//! * [`sigstruct`]: SIGSTRUCT (`.sig`, 1808 bytes) ([`Sigstruct`]).
//! * [`measurement`]: [`mr_signer`] of a signer key and the emulated measurement
//!   [`emulated_mr_enclave`] (layout in `docs/measurement.md`).
//! * [`verify`]: quote verification with dcap-qvl against trusted roots, collateral and a TCB
//!   policy ([`Verifier`], [`VerifiedQuote`], [`VerifyError`]).
//! * [`source`]: where quotes come from ([`QuoteSource`]): Gramine's `/dev/attestation`
//!   ([`GramineSource`]) or the emulated quoting enclave ([`EmulatedSource`]).
//! * [`emulated`]: the emulated platform: a published, Intel-shaped PKI that says EMULATED,
//!   per-platform keys ([`EmulatedPlatform`]), the emulated quoting enclave and collateral.
//!   Emulated evidence proves the protocol, never the hardware.
//!
//! Parsers take untrusted bytes: they never panic, never index unchecked and never
//! transmute; they return errors for truncated or oversized input.
//!
//! Not in this crate: attestation-token validation (the client checks the tokens it receives).

#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable,
        clippy::todo
    )
)]
#![warn(missing_docs)]

pub mod emulated;
mod hexser;
pub mod layout;
pub mod measurement;
pub mod quote;
pub mod report;
pub mod sigstruct;
pub mod source;
pub mod verify;

pub use emulated::{EmulatedError, EmulatedPlatform, EnclaveIdentity, PccsCollateral};

pub use layout::LayoutError;
pub use measurement::{
    EmulatedEnclaveLayout, MeasureError, MeasurementBlock, PublicKeyError, emulated_mr_enclave,
    mr_signer, mr_signer_from_modulus_le, rsa3072_modulus_le,
};
pub use quote::{CertificationData, QeAuthData, Quote, QuoteHeader, SignatureData};
pub use report::{Attributes, ReportBody};
pub use sigstruct::Sigstruct;
pub use source::{EmulatedSource, GramineSource, QuoteSource, SourceError};
pub use verify::{
    Collateral, TcbPolicy, TcbStatus, TrustedRoot, VerifiedQuote, Verifier, VerifyError,
    collateral_from_json,
};
