//! DCAP quote verification: trusted roots, TCB policy, and the verdict.
//!
//! This module owns [`Verifier`], which decides whether a quote is genuine evidence, and what
//! it decides with: [`TrustedRoot`] (the Intel SGX Root CA, or the published emulated root),
//! [`TcbPolicy`] (which TCB statuses are acceptable), [`Collateral`] (PCCS collateral, in
//! dcap-qvl's `QuoteCollateralV3` shape) and the outcome, [`VerifiedQuote`] or
//! [`VerifyError`].
//!
//! The cryptographic work is dcap-qvl's (`QuoteVerifier` with its pure-Rust RustCrypto backend
//! and a root certificate we choose): the quote's ISV signature by the attestation key, the QE
//! report signature by the PCK key, the QE report's binding of the attestation key, the PCK
//! certificate chain, the TCB info and QE identity signatures and chains, the CRLs, the
//! validity windows at the given time, the QE identity, and the TCB level matching that yields
//! the TCB status and advisories. Around it this module adds: parsing with
//! [`crate::quote::Quote`] first (malformed input is reported as such), a cross-check that
//! dcap-qvl read the same report body, several roots each marked genuine or emulated, and the
//! policy decisions (emulated evidence, debug enclaves, TCB status) as typed errors the CLI and
//! services can show.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::OffsetDateTime;

use crate::layout::LayoutError;
use crate::quote::{Quote, QuoteHeader};
use crate::report::ReportBody;

/// PCCS collateral for a quote, in dcap-qvl's `QuoteCollateralV3` shape (JSON keys
/// `pck_crl_issuer_chain`, `root_ca_crl`, `pck_crl`, `tcb_info_issuer_chain`, `tcb_info`,
/// `tcb_info_signature`, `qe_identity_issuer_chain`, `qe_identity`, `qe_identity_signature`;
/// CRLs and signatures hex-encoded).
pub use dcap_qvl::QuoteCollateralV3 as Collateral;

/// The Intel SGX Root CA certificate (DER), the root of every genuine SGX PCK chain and of the
/// TCB info and QE identity signing chains. Subject `CN=Intel SGX Root CA, O=Intel Corporation,
/// L=Santa Clara, ST=CA, C=US`, valid 2018-05-21 to 2049-12-31.
pub const INTEL_SGX_ROOT_CA_DER: &[u8] = include_bytes!("roots/intel_sgx_root_ca.der");

/// SHA-256 of [`INTEL_SGX_ROOT_CA_DER`], lowercase hex.
pub const INTEL_SGX_ROOT_CA_SHA256: &str =
    "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3";

/// The **emulated** root CA certificate (DER), the root of emulated evidence: subject
/// `CN=EMULATED SGX Root CA - NOT INTEL, O=ekms emulation, OU=EMULATION ONLY - PRIVATE KEY
/// PUBLISHED`. Its private key is published ([`crate::emulated::pki::EMULATED_ROOT_CA_KEY_PEM`]),
/// so evidence under it proves the protocol, never the hardware. The same certificate as
/// [`crate::emulated::pki::EMULATED_ROOT_CA_PEM`].
pub const EMULATED_SGX_ROOT_CA_DER: &[u8] = include_bytes!("roots/emulated_sgx_root_ca.der");

/// SHA-256 of [`EMULATED_SGX_ROOT_CA_DER`], lowercase hex.
pub const EMULATED_SGX_ROOT_CA_SHA256: &str =
    "7b508a103094df6f2af8fa3b8ff1f520ee4870cc7f3138f045c18638f0794421";

/// Parse collateral JSON (the `QuoteCollateralV3` shape).
pub fn collateral_from_json(json: &[u8]) -> Result<Collateral, VerifyError> {
    serde_json::from_slice(json).map_err(|e| VerifyError::Collateral(e.to_string()))
}

/// A TCB status, as Intel's TCB info and QE identity name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TcbStatus {
    /// The platform is patched and configured as Intel recommends.
    UpToDate,
    /// Patched; software mitigations are needed for some advisories.
    SWHardeningNeeded,
    /// Patched; the platform configuration needs changes for some advisories.
    ConfigurationNeeded,
    /// Both of the above.
    ConfigurationAndSWHardeningNeeded,
    /// The platform's TCB is out of date.
    OutOfDate,
    /// Out of date and needing configuration changes.
    OutOfDateConfigurationNeeded,
    /// The platform's keys are revoked (dcap-qvl refuses these outright).
    Revoked,
    /// TDX only: relaunch the TD.
    TDRelaunchAdvised,
    /// TDX only: relaunch the TD, configuration needed.
    TDRelaunchAdvisedConfigurationNeeded,
}

impl TcbStatus {
    /// Every status, in the order above.
    pub const ALL: [TcbStatus; 9] = [
        TcbStatus::UpToDate,
        TcbStatus::SWHardeningNeeded,
        TcbStatus::ConfigurationNeeded,
        TcbStatus::ConfigurationAndSWHardeningNeeded,
        TcbStatus::OutOfDate,
        TcbStatus::OutOfDateConfigurationNeeded,
        TcbStatus::Revoked,
        TcbStatus::TDRelaunchAdvised,
        TcbStatus::TDRelaunchAdvisedConfigurationNeeded,
    ];

    /// Intel's name of the status.
    pub fn as_str(&self) -> &'static str {
        match self {
            TcbStatus::UpToDate => "UpToDate",
            TcbStatus::SWHardeningNeeded => "SWHardeningNeeded",
            TcbStatus::ConfigurationNeeded => "ConfigurationNeeded",
            TcbStatus::ConfigurationAndSWHardeningNeeded => "ConfigurationAndSWHardeningNeeded",
            TcbStatus::OutOfDate => "OutOfDate",
            TcbStatus::OutOfDateConfigurationNeeded => "OutOfDateConfigurationNeeded",
            TcbStatus::Revoked => "Revoked",
            TcbStatus::TDRelaunchAdvised => "TDRelaunchAdvised",
            TcbStatus::TDRelaunchAdvisedConfigurationNeeded => {
                "TDRelaunchAdvisedConfigurationNeeded"
            }
        }
    }
}

impl fmt::Display for TcbStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TcbStatus {
    type Err = VerifyError;

    /// Intel's name, compared without regard to ASCII case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        TcbStatus::ALL
            .into_iter()
            .find(|status| status.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| VerifyError::UnknownTcbStatus(s.to_string()))
    }
}

/// Which TCB statuses a verifier accepts. The default accepts only `UpToDate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcbPolicy {
    /// The accepted statuses.
    pub accepted: Vec<TcbStatus>,
}

impl Default for TcbPolicy {
    fn default() -> Self {
        Self {
            accepted: vec![TcbStatus::UpToDate],
        }
    }
}

impl TcbPolicy {
    /// A policy accepting exactly `accepted`.
    pub fn new(accepted: impl IntoIterator<Item = TcbStatus>) -> Self {
        Self {
            accepted: accepted.into_iter().collect(),
        }
    }

    /// Whether `status` is accepted.
    pub fn accepts(&self, status: TcbStatus) -> bool {
        self.accepted.contains(&status)
    }
}

impl FromStr for TcbPolicy {
    type Err = VerifyError;

    /// A comma-separated list of statuses, e.g. `UpToDate,SWHardeningNeeded` (the form of
    /// `--tcb-policy`). An empty list is an error: it would refuse everything.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let accepted = s
            .split(',')
            .filter(|part| !part.trim().is_empty())
            .map(TcbStatus::from_str)
            .collect::<Result<Vec<_>, _>>()?;
        if accepted.is_empty() {
            return Err(VerifyError::UnknownTcbStatus(String::new()));
        }
        Ok(Self { accepted })
    }
}

impl fmt::Display for TcbPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.accepted.iter().map(TcbStatus::as_str).collect();
        f.write_str(&names.join(","))
    }
}

/// A root certificate the verifier trusts, and whether evidence under it is emulated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedRoot {
    name: String,
    der: Vec<u8>,
    emulated: bool,
}

impl TrustedRoot {
    /// The Intel SGX Root CA: genuine hardware evidence.
    pub fn intel() -> Self {
        Self {
            name: "Intel SGX Root CA".to_string(),
            der: INTEL_SGX_ROOT_CA_DER.to_vec(),
            emulated: false,
        }
    }

    /// The published emulated root ([`EMULATED_SGX_ROOT_CA_DER`]), marked emulated: evidence
    /// under it is refused unless the verifier allows emulated evidence. It proves the
    /// protocol, never the hardware.
    pub fn emulated() -> Self {
        Self {
            name: crate::emulated::pki::EMULATED_ROOT_CA_CN.to_string(),
            der: EMULATED_SGX_ROOT_CA_DER.to_vec(),
            emulated: true,
        }
    }

    /// A root from its DER certificate; its name is the certificate's subject. `emulated`
    /// marks evidence under this root as emulated (refused unless the verifier allows it).
    pub fn from_der(der: Vec<u8>, emulated: bool) -> Result<Self, VerifyError> {
        let (rest, cert) = x509_parser::parse_x509_certificate(&der)
            .map_err(|e| VerifyError::InvalidRoot(e.to_string()))?;
        if !rest.is_empty() {
            return Err(VerifyError::InvalidRoot(
                "trailing bytes after the certificate".to_string(),
            ));
        }
        let name = cert.subject().to_string();
        Ok(Self {
            name,
            der,
            emulated,
        })
    }

    /// A root from a PEM certificate (see [`TrustedRoot::from_der`]).
    pub fn from_pem(pem: &str, emulated: bool) -> Result<Self, VerifyError> {
        let (_, pem) = x509_parser::pem::parse_x509_pem(pem.as_bytes())
            .map_err(|e| VerifyError::InvalidRoot(e.to_string()))?;
        if pem.label != "CERTIFICATE" {
            return Err(VerifyError::InvalidRoot(format!(
                "PEM label {:?}, expected CERTIFICATE",
                pem.label
            )));
        }
        Self::from_der(pem.contents, emulated)
    }

    /// A display name (the certificate subject).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The DER certificate.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// Whether evidence under this root is emulated.
    pub fn is_emulated(&self) -> bool {
        self.emulated
    }
}

/// What a successful verification established about a quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedQuote {
    /// The quote header.
    pub header: QuoteHeader,
    /// The enclave's report body: mr_enclave, mr_signer, isv_prod_id, isv_svn, attributes,
    /// report_data.
    pub report: ReportBody,
    /// The TCB status of platform and quoting enclave, converged.
    pub tcb_status: TcbStatus,
    /// Intel security advisories that apply (e.g. `INTEL-SA-00615`).
    pub advisory_ids: Vec<String>,
    /// The evidence chains to an emulated root, so proves the protocol, not the hardware.
    pub emulated: bool,
    /// The name of the root the evidence chains to.
    pub root: String,
    /// The platform's FMSPC, from the PCK certificate.
    #[serde(with = "crate::hexser")]
    pub fmspc: [u8; 6],
    /// When the first piece of the collateral used expires.
    #[serde(with = "time::serde::rfc3339")]
    pub collateral_expires_at: OffsetDateTime,
}

/// Why a quote was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VerifyError {
    /// The quote is not a well-formed DCAP v3 quote.
    #[error("malformed quote: {0}")]
    Malformed(#[from] LayoutError),
    /// The collateral could not be read.
    #[error("invalid collateral: {0}")]
    Collateral(String),
    /// A root certificate could not be read.
    #[error("invalid root certificate: {0}")]
    InvalidRoot(String),
    /// The verifier trusts no root.
    #[error("the verifier trusts no root certificate")]
    NoTrustedRoot,
    /// The verification time is before 1970.
    #[error("verification time {0} is before the Unix epoch")]
    InvalidTime(OffsetDateTime),
    /// Signatures, certificate chains, CRLs, collateral validity or TCB matching failed under
    /// every trusted root. `reason` says why, per root.
    #[error("quote rejected: {reason}")]
    Rejected {
        /// dcap-qvl's reasons, one per root tried.
        reason: String,
    },
    /// dcap-qvl and this crate's parser disagree on the report body; refused to be safe.
    #[error("inconsistent quote: {0}")]
    Inconsistent(String),
    /// The evidence is emulated and the verifier does not allow emulated evidence.
    #[error("emulated evidence (root {root}) is not allowed")]
    EmulatedNotAllowed {
        /// The emulated root the evidence chains to.
        root: String,
    },
    /// The enclave is a debug enclave and the verifier does not allow debug enclaves.
    #[error("the enclave is a debug enclave, which is not allowed")]
    DebugNotAllowed,
    /// The TCB status is not one the policy accepts.
    #[error(
        "TCB status {status} is not accepted by the policy ({accepted}); advisories: {}",
        advisories_text(advisory_ids)
    )]
    TcbStatusNotAccepted {
        /// The quote's TCB status.
        status: TcbStatus,
        /// The advisories that apply.
        advisory_ids: Vec<String>,
        /// The policy.
        accepted: TcbPolicy,
    },
    /// A TCB status name that is not one of Intel's.
    #[error("unknown TCB status {0:?}")]
    UnknownTcbStatus(String),
}

fn advisories_text(ids: &[String]) -> String {
    if ids.is_empty() {
        "none".to_string()
    } else {
        ids.join(", ")
    }
}

/// Verifies DCAP quotes against trusted roots, collateral and a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    /// The roots tried, in order. Genuine and emulated roots may both be present; evidence
    /// under an emulated root is refused unless `allow_emulated`.
    pub roots: Vec<TrustedRoot>,
    /// Accept evidence that chains to an emulated root.
    pub allow_emulated: bool,
    /// Accept debug enclaves (whose memory the host can read).
    pub allow_debug: bool,
    /// Accepted TCB statuses.
    pub policy: TcbPolicy,
}

impl Verifier {
    /// A verifier trusting only the Intel SGX Root CA, refusing emulated evidence and debug
    /// enclaves, accepting only `UpToDate`.
    pub fn intel() -> Self {
        Self {
            roots: vec![TrustedRoot::intel()],
            allow_emulated: false,
            allow_debug: false,
            policy: TcbPolicy::default(),
        }
    }

    /// This verifier with another TCB policy.
    pub fn with_policy(mut self, policy: TcbPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// This verifier also trusting `root`.
    pub fn with_root(mut self, root: TrustedRoot) -> Self {
        self.roots.push(root);
        self
    }

    /// This verifier allowing (or not) emulated evidence.
    pub fn allow_emulated(mut self, allow: bool) -> Self {
        self.allow_emulated = allow;
        self
    }

    /// This verifier allowing (or not) debug enclaves.
    pub fn allow_debug(mut self, allow: bool) -> Self {
        self.allow_debug = allow;
        self
    }

    /// Verify `quote` with `collateral` at time `now`, then apply the policy: the evidence must
    /// be genuine (or emulated evidence allowed), the enclave not a debug enclave (or debug
    /// allowed), and the TCB status accepted.
    pub fn verify(
        &self,
        quote: &[u8],
        collateral: &Collateral,
        now: OffsetDateTime,
    ) -> Result<VerifiedQuote, VerifyError> {
        let verified = self.evaluate(quote, collateral, now)?;
        self.check_policy(&verified)?;
        Ok(verified)
    }

    /// Verify signatures, chains, collateral and TCB, without the policy decisions: the
    /// result says whether the evidence is emulated, whether the enclave is a debug enclave
    /// and what the TCB status is, for a caller that wants to show every check. Pass the
    /// result to [`Verifier::check_policy`] before trusting it.
    pub fn evaluate(
        &self,
        quote: &[u8],
        collateral: &Collateral,
        now: OffsetDateTime,
    ) -> Result<VerifiedQuote, VerifyError> {
        let parsed = Quote::parse(quote)?;
        let now_secs =
            u64::try_from(now.unix_timestamp()).map_err(|_| VerifyError::InvalidTime(now))?;
        if self.roots.is_empty() {
            return Err(VerifyError::NoTrustedRoot);
        }
        let mut reasons = Vec::new();
        for root in &self.roots {
            // Debug enclaves are let through here and refused, with a typed error, by
            // `check_policy`.
            let verifier = dcap_qvl::verify::QuoteVerifier::<
                dcap_qvl::configs::RustCryptoConfig,
            >::new_with_config(root.der.clone())
            .allow_debug(true);
            let policy = dcap_qvl::QuotePolicy::claims_only(now_secs);
            match verifier.verify_with_policy(quote, collateral, now_secs, &policy) {
                Ok(claims) => return verified_from_claims(parsed, claims, root),
                Err(e) => reasons.push(format!("under {}: {e:#}", root.name)),
            }
        }
        Err(VerifyError::Rejected {
            reason: reasons.join("; "),
        })
    }

    /// The policy decisions on an evaluated quote.
    pub fn check_policy(&self, verified: &VerifiedQuote) -> Result<(), VerifyError> {
        if verified.emulated && !self.allow_emulated {
            return Err(VerifyError::EmulatedNotAllowed {
                root: verified.root.clone(),
            });
        }
        if verified.report.is_debug() && !self.allow_debug {
            return Err(VerifyError::DebugNotAllowed);
        }
        if !self.policy.accepts(verified.tcb_status) {
            return Err(VerifyError::TcbStatusNotAccepted {
                status: verified.tcb_status,
                advisory_ids: verified.advisory_ids.clone(),
                accepted: self.policy.clone(),
            });
        }
        Ok(())
    }
}

fn verified_from_claims(
    parsed: Quote,
    claims: dcap_qvl::QuoteClaims,
    root: &TrustedRoot,
) -> Result<VerifiedQuote, VerifyError> {
    let dcap_qvl::quote::Report::SgxEnclave(theirs) = &claims.report else {
        return Err(VerifyError::Inconsistent(
            "dcap-qvl did not read an SGX enclave report".to_string(),
        ));
    };
    let ours = &parsed.report_body;
    let same = theirs.cpu_svn == ours.cpu_svn
        && theirs.misc_select == ours.misc_select
        && theirs.attributes == ours.attributes.to_bytes()
        && theirs.mr_enclave == ours.mr_enclave
        && theirs.mr_signer == ours.mr_signer
        && theirs.isv_prod_id == ours.isv_prod_id
        && theirs.isv_svn == ours.isv_svn
        && theirs.report_data == ours.report_data;
    if !same {
        return Err(VerifyError::Inconsistent(
            "the report body dcap-qvl verified differs from the parsed one".to_string(),
        ));
    }
    let tcb_status = TcbStatus::from_str(&claims.tcb.status.to_string())?;
    let expires = i64::try_from(claims.earliest_expiration_date)
        .ok()
        .and_then(|secs| OffsetDateTime::from_unix_timestamp(secs).ok())
        .ok_or_else(|| {
            VerifyError::Inconsistent("collateral expiration out of range".to_string())
        })?;
    Ok(VerifiedQuote {
        header: parsed.header,
        report: parsed.report_body,
        tcb_status,
        advisory_ids: claims.tcb.advisory_ids,
        emulated: root.emulated,
        root: root.name.clone(),
        fmspc: claims.platform.pck.fmspc,
        collateral_expires_at: expires,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intel_root_is_the_pinned_certificate() {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, INTEL_SGX_ROOT_CA_DER);
        assert_eq!(hex::encode(digest.as_ref()), INTEL_SGX_ROOT_CA_SHA256);
        let parsed = TrustedRoot::from_der(INTEL_SGX_ROOT_CA_DER.to_vec(), false).unwrap();
        assert!(
            parsed.name().contains("CN=Intel SGX Root CA"),
            "{}",
            parsed.name()
        );
        assert!(!TrustedRoot::intel().is_emulated());
    }

    #[test]
    fn emulated_root_is_the_published_certificate_marked_emulated() {
        let digest =
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, EMULATED_SGX_ROOT_CA_DER);
        assert_eq!(hex::encode(digest.as_ref()), EMULATED_SGX_ROOT_CA_SHA256);
        let root = TrustedRoot::emulated();
        assert!(root.is_emulated());
        assert_eq!(root.name(), "EMULATED SGX Root CA - NOT INTEL");
        let parsed =
            TrustedRoot::from_pem(crate::emulated::pki::EMULATED_ROOT_CA_PEM, true).unwrap();
        assert_eq!(parsed.der(), root.der());
        assert!(parsed.name().contains("NOT INTEL"), "{}", parsed.name());
        assert_ne!(root.der(), TrustedRoot::intel().der());
    }

    #[test]
    fn tcb_status_names_round_trip() {
        for status in TcbStatus::ALL {
            assert_eq!(status.as_str().parse::<TcbStatus>().unwrap(), status);
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::Value::String(status.to_string())
            );
        }
        assert_eq!(
            "uptodate".parse::<TcbStatus>().unwrap(),
            TcbStatus::UpToDate
        );
        assert!("Fine".parse::<TcbStatus>().is_err());
    }

    #[test]
    fn tcb_policy_parsing() {
        assert_eq!(TcbPolicy::default().accepted, vec![TcbStatus::UpToDate]);
        let p: TcbPolicy = "UpToDate, SWHardeningNeeded".parse().unwrap();
        assert!(p.accepts(TcbStatus::SWHardeningNeeded));
        assert!(!p.accepts(TcbStatus::OutOfDate));
        assert_eq!(p.to_string(), "UpToDate,SWHardeningNeeded");
        assert!("".parse::<TcbPolicy>().is_err());
        assert!("UpToDate,Nope".parse::<TcbPolicy>().is_err());
    }

    fn evaluated(debug: bool, emulated: bool, status: TcbStatus) -> VerifiedQuote {
        let mut report = ReportBody::default();
        if debug {
            report.attributes.flags |= crate::report::FLAG_DEBUG;
        }
        VerifiedQuote {
            header: QuoteHeader {
                version: 3,
                attestation_key_type: 2,
                tee_type: 0,
                qe_svn: 0,
                pce_svn: 0,
                qe_vendor_id: crate::quote::INTEL_QE_VENDOR_ID,
                user_data: [0; 20],
            },
            report,
            tcb_status: status,
            advisory_ids: vec!["INTEL-SA-00001".to_string()],
            emulated,
            root: "root".to_string(),
            fmspc: [0; 6],
            collateral_expires_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn policy_decisions() {
        let strict = Verifier::intel();
        assert!(
            strict
                .check_policy(&evaluated(false, false, TcbStatus::UpToDate))
                .is_ok()
        );
        assert_eq!(
            strict.check_policy(&evaluated(true, false, TcbStatus::UpToDate)),
            Err(VerifyError::DebugNotAllowed)
        );
        assert!(matches!(
            strict.check_policy(&evaluated(false, true, TcbStatus::UpToDate)),
            Err(VerifyError::EmulatedNotAllowed { .. })
        ));
        let err = strict
            .check_policy(&evaluated(false, false, TcbStatus::OutOfDate))
            .unwrap_err();
        assert!(err.to_string().contains("OutOfDate"), "{err}");
        assert!(err.to_string().contains("INTEL-SA-00001"), "{err}");

        let lenient = Verifier::intel()
            .allow_debug(true)
            .allow_emulated(true)
            .with_policy(TcbPolicy::new([TcbStatus::UpToDate, TcbStatus::OutOfDate]));
        assert!(
            lenient
                .check_policy(&evaluated(true, true, TcbStatus::OutOfDate))
                .is_ok()
        );
    }

    #[test]
    fn verified_quote_serializes_for_people() {
        let json = serde_json::to_value(evaluated(false, false, TcbStatus::UpToDate)).unwrap();
        assert_eq!(json["tcb_status"], "UpToDate");
        assert_eq!(json["fmspc"], "000000000000");
        assert_eq!(json["collateral_expires_at"], "1970-01-01T00:00:00Z");
    }
}
