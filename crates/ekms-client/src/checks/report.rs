//! What the checks report: the user's [`Expectations`], one [`Check`] per [`CheckId`] with
//! its [`Outcome`], and the [`TrustReport`] that gathers them with what the quote states.

use std::fmt;

use ekms_attest::TcbPolicy;
use serde::Serialize;

/// What the user expects of the server, and what they allow.
#[derive(Clone, Debug)]
pub struct Expectations {
    /// The mr_enclave of the code the user trusts (`--mr-enclave`). Without it the
    /// `mr_enclave = expected` check is `Ko`: a genuine quote of unknown code proves nothing.
    pub mr_enclave: Option<[u8; 32]>,
    /// The mr_signer the user trusts (`--mr-signer`); the check is made only when given.
    pub mr_signer: Option<[u8; 32]>,
    /// The manifest the user expects (`--manifest FILE`); the check is made only when given.
    pub manifest: Option<Vec<u8>>,
    /// Accept emulated evidence (`--allow-emulated`).
    pub allow_emulated: bool,
    /// Accept a debug enclave (`--allow-debug`).
    pub allow_debug: bool,
    /// Accepted TCB statuses (`--tcb-policy`, default `UpToDate`).
    pub tcb_policy: TcbPolicy,
    /// Clock difference tolerated on the token's times.
    pub clock_skew: time::Duration,
    /// The smallest RSA key accepted for the token's signature, in bits
    /// (`--min-token-rsa-bits`, default 2048).
    pub min_token_rsa_bits: usize,
}

impl Default for Expectations {
    fn default() -> Self {
        Expectations {
            mr_enclave: None,
            mr_signer: None,
            manifest: None,
            allow_emulated: false,
            allow_debug: false,
            tcb_policy: TcbPolicy::default(),
            clock_skew: DEFAULT_CLOCK_SKEW,
            min_token_rsa_bits: crate::jwt::DEFAULT_MIN_RSA_BITS,
        }
    }
}

/// The clock difference tolerated on `iat`, `nbf` and `exp`.
pub const DEFAULT_CLOCK_SKEW: time::Duration = time::Duration::seconds(60);

/// The checks, in the order they are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckId {
    /// Token mode: RS256, key named by `kid` found in the service's key set, signature valid.
    TokenSignature,
    /// Token mode: `iss` is the service called.
    TokenIssuer,
    /// Token mode: `iat` (and `nbf`) <= now <= `exp`, within the clock skew.
    TokenInDate,
    /// Offline mode: the quote's signatures, chains, CRLs and collateral verify locally.
    QuoteVerified,
    /// The evidence chains to Intel's root (emulated evidence only with `--allow-emulated`) and
    /// the TCB status is within `--tcb-policy`.
    EnclaveGenuine,
    /// Token mode: the quote hash in the token is SHA-256 of the quote returned.
    QuoteHash,
    /// Token mode: the token's mr_enclave is the quote's.
    MrEnclaveTokenQuote,
    /// Token mode: the token's mr_signer is the quote's.
    MrSignerTokenQuote,
    /// The quote's mr_enclave is the expected one.
    MrEnclaveExpected,
    /// The quote's mr_signer is SHA-256 of the returned enclave public key's modulus.
    MrSignerEnclaveKey,
    /// The quote's mr_signer is the expected one (only with `--mr-signer`).
    MrSignerExpected,
    /// Emulation: the manifest returned measures to the quote's mr_enclave (absent for genuine
    /// SGX evidence, whose mr_enclave is Gramine's and not recomputed by the client).
    ManifestMeasured,
    /// The manifest returned is the expected one (only with `--manifest`).
    ManifestExpected,
    /// Token mode: the token's report data is the quote's.
    ReportDataTokenQuote,
    /// `verify-evidence --runtime-data`: the quote's report data is SHA-256 of the runtime data
    /// given, followed by 32 zero bytes.
    ReportDataRuntimeData,
    /// The quote's report data is SHA-256(certificate PEM + nonce) followed by 32 zero bytes.
    ReportDataBinding,
    /// Every certificate presented in the TLS handshakes is the one bound in the quote.
    TlsCertificate,
    /// The TLS key was made in the enclave: the measured settings (the manifest, which must
    /// measure to mr_enclave in emulation) do not let the host supply it.
    TlsKeyInEnclave,
    /// The enclave is not a debug enclave (or `--allow-debug`).
    NotDebug,
}

impl CheckId {
    /// The name printed before `: Ok` / `: Ko`.
    pub fn label(self) -> &'static str {
        match self {
            CheckId::TokenSignature => "token signature",
            CheckId::TokenIssuer => "token issuer",
            CheckId::TokenInDate => "token in date",
            CheckId::QuoteVerified => "quote signature and collateral",
            CheckId::EnclaveGenuine => "enclave genuine",
            CheckId::QuoteHash => "quote in token = quote returned",
            CheckId::MrEnclaveTokenQuote => "mr_enclave in token = quote",
            CheckId::MrSignerTokenQuote => "mr_signer in token = quote",
            CheckId::MrEnclaveExpected => "mr_enclave = expected",
            CheckId::MrSignerEnclaveKey => "mr_signer = enclave public key",
            CheckId::MrSignerExpected => "mr_signer = expected",
            CheckId::ManifestMeasured => "manifest measures to mr_enclave",
            CheckId::ManifestExpected => "manifest = expected",
            CheckId::ReportDataTokenQuote => "report data in token = quote",
            CheckId::ReportDataRuntimeData => "report data = SHA-256(runtime data)",
            CheckId::ReportDataBinding => "report data = SHA-256(certificate + nonce)",
            CheckId::TlsCertificate => "TLS certificate = bound certificate",
            CheckId::TlsKeyInEnclave => "TLS key made in the enclave",
            CheckId::NotDebug => "not a debug enclave",
        }
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The outcome of one check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Passed; the note says what the user allowed for it to pass, if anything.
    Ok(Option<String>),
    /// Failed, or could not be made, and why.
    Ko(String),
}

/// One check and its outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// Which check.
    pub id: CheckId,
    /// Its outcome.
    pub outcome: Outcome,
}

impl Check {
    /// Whether it passed.
    pub fn is_ok(&self) -> bool {
        matches!(self.outcome, Outcome::Ok(_))
    }

    /// The reason of a failure.
    pub fn reason(&self) -> Option<&str> {
        match &self.outcome {
            Outcome::Ko(r) => Some(r),
            Outcome::Ok(_) => None,
        }
    }

    /// The printed line: `<check>: Ok`, `<check>: Ok (<note>)` or `<check>: Ko (<reason>)`.
    pub fn line(&self) -> String {
        match &self.outcome {
            Outcome::Ok(None) => format!("{}: Ok", self.id),
            Outcome::Ok(Some(note)) => format!("{}: Ok ({note})", self.id),
            Outcome::Ko(reason) => format!("{}: Ko ({reason})", self.id),
        }
    }
}

/// The enclave identity the quote states.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QuotedIdentity {
    /// mr_enclave, hex.
    pub mr_enclave: String,
    /// mr_signer, hex.
    pub mr_signer: String,
    /// ISV product id.
    pub isv_prod_id: u16,
    /// ISV security version.
    pub isv_svn: u16,
    /// The DEBUG attribute.
    pub debug: bool,
}

/// The result of the checks.
#[derive(Clone, Debug)]
pub struct TrustReport {
    /// One result per check, in printing order.
    pub checks: Vec<Check>,
    /// The TCB status, from a verified appraisal only.
    pub tcb_status: Option<String>,
    /// A token verified but stated no TCB status (Azure Attestation) and no local verification
    /// computed one: printed `TCB status: not stated by the attestation service`.
    pub tcb_not_stated: bool,
    /// The advisories that apply, from a verified appraisal only.
    pub advisory_ids: Vec<String>,
    /// Whether the evidence is emulated: from a verified appraisal, else what the quote header
    /// says (for display only).
    pub emulated: Option<bool>,
    /// What the quote states, when it parses.
    pub identity: Option<QuotedIdentity>,
    /// SHA-256 of the certificate the server returned (the one to pin), when it parses.
    pub certificate_sha256: Option<[u8; 32]>,
}

impl TrustReport {
    /// Whether every check passed (and there was at least one).
    pub fn trusted(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(Check::is_ok)
    }

    /// The checks that failed.
    pub fn failed(&self) -> Vec<&Check> {
        self.checks.iter().filter(|c| !c.is_ok()).collect()
    }

    /// The result of one check, if it was made.
    pub fn get(&self, id: CheckId) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_formatted_as_documented() {
        let ok = Check {
            id: CheckId::TokenSignature,
            outcome: Outcome::Ok(None),
        };
        assert_eq!(ok.line(), "token signature: Ok");
        let noted = Check {
            id: CheckId::EnclaveGenuine,
            outcome: Outcome::Ok(Some("note".into())),
        };
        assert_eq!(noted.line(), "enclave genuine: Ok (note)");
        let ko = Check {
            id: CheckId::NotDebug,
            outcome: Outcome::Ko("why".into()),
        };
        assert_eq!(ko.line(), "not a debug enclave: Ko (why)");
        assert!(!ko.is_ok() && ok.is_ok() && noted.is_ok());
    }
}
