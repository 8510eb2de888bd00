//! The state every route shares: the issuer URL, the token signer, the quote verifier and its
//! collateral, the clock (real, or `--fixed-time` in tests) and the policy hash.

use ekms_attest::Verifier;
use time::OffsetDateTime;

use crate::collateral::CollateralSource;
use crate::token::TokenSigner;

/// Shared, read-only service state.
pub struct AppState {
    /// Base URL: the token issuer, and the prefix of `jku` and `jwks_uri`.
    pub issuer: String,
    /// Signs tokens; publishes the JWKS.
    pub signer: TokenSigner,
    /// Trusted roots and policy.
    pub verifier: Verifier,
    /// Collateral for quotes.
    pub collateral: CollateralSource,
    /// `--fixed-time`, if given.
    pub fixed_time: Option<OffsetDateTime>,
    /// `x-ms-policy-hash` of every token.
    pub policy_hash: String,
    /// Whether the emulated root (and the emulated PCCS routes) are enabled.
    pub allow_emulated: bool,
}

impl AppState {
    /// The time quotes are verified at and tokens stamped with.
    pub fn now(&self) -> OffsetDateTime {
        self.fixed_time.unwrap_or_else(OffsetDateTime::now_utc)
    }
}
