//! Whether the enclave is genuine: the verdict on the quote, whoever gave it (the token's
//! claims, a local verification with collateral, or both), judged against what the user allows
//! (emulated evidence, the TCB statuses of `--tcb-policy`).
//!
//! A TCB status is judged only where one is stated: ekms-attest's tokens state it (claim
//! `x-ekms-sgx-tcb-status`), a local verification computes it, Azure Attestation's tokens state
//! none. A token without one is not refused for it: the report says `TCB status: not stated by
//! the attestation service`, and `--tcb-policy` applies only when the quote is also verified
//! locally.

use ekms_attest::{TcbStatus, TrustedRoot, VerifiedQuote, Verifier};
use time::OffsetDateTime;

use super::{Check, CheckId, Expectations, Outcome};
use crate::evidence::LocalAppraisal;

const EMULATED_KO: &str = "EMULATED evidence: it chains to the published emulated root (EMULATED, NOT INTEL), whose private key anyone has; it proves the protocol, never the hardware; pass --allow-emulated to accept it for tests and demos";
const EMULATED_OK: &str =
    "EMULATED evidence, accepted by --allow-emulated: it proves the protocol, never the hardware";
/// The verdict on the quote, whoever gave it.
pub(super) struct Verdict {
    pub(super) emulated: bool,
    pub(super) tcb_status: Option<String>,
    pub(super) advisory_ids: Vec<String>,
    /// What the appraiser's own statements rule out (a token about another kind of TEE).
    pub(super) problems: Vec<String>,
}

impl Verdict {
    /// A token's verdict completed by a local verification of the same quote: the token's
    /// problems stay, the rest (emulation, TCB status, advisories) is what the local
    /// verification computed.
    pub(super) fn with_local(self, local: Verdict) -> Verdict {
        let mut problems = self.problems;
        problems.extend(local.problems);
        Verdict {
            emulated: self.emulated || local.emulated,
            tcb_status: local.tcb_status,
            advisory_ids: local.advisory_ids,
            problems,
        }
    }
}

impl From<VerifiedQuote> for Verdict {
    fn from(v: VerifiedQuote) -> Self {
        Verdict {
            emulated: v.emulated,
            tcb_status: Some(v.tcb_status.to_string()),
            advisory_ids: v.advisory_ids,
            problems: Vec::new(),
        }
    }
}

pub(super) fn genuine(v: &Verdict, expect: &Expectations) -> Check {
    let mut problems = v.problems.clone();
    if v.emulated && !expect.allow_emulated {
        problems.push(EMULATED_KO.to_string());
    }
    match &v.tcb_status {
        // Not stated (Azure Attestation): reported as such, not judged (module doc).
        None => {}
        Some(name) => match name.parse::<TcbStatus>() {
            Err(_) => problems.push(format!("unknown TCB status {name:?}")),
            Ok(status) if !expect.tcb_policy.accepts(status) => problems.push(format!(
                "TCB status {status} is not accepted by --tcb-policy {} (advisories: {})",
                expect.tcb_policy,
                if v.advisory_ids.is_empty() {
                    "none".to_string()
                } else {
                    v.advisory_ids.join(", ")
                }
            )),
            Ok(_) => {}
        },
    }
    Check {
        id: CheckId::EnclaveGenuine,
        outcome: if !problems.is_empty() {
            Outcome::Ko(problems.join("; "))
        } else if v.emulated {
            Outcome::Ok(Some(EMULATED_OK.to_string()))
        } else {
            Outcome::Ok(None)
        },
    }
}

pub(super) fn local_verification(
    local: &LocalAppraisal,
    quote: &[u8],
    now: OffsetDateTime,
) -> Result<VerifiedQuote, String> {
    let collateral = local
        .collateral
        .as_ref()
        .map_err(|e| format!("no collateral from the PCCS at {}: {e}", local.pccs_url))?;
    // Both roots, so that emulated evidence is recognised as such (and refused by
    // `enclave genuine` unless allowed) rather than reported as a broken chain. Policy
    // decisions are separate lines.
    let verifier = Verifier::intel()
        .with_root(TrustedRoot::emulated())
        .allow_emulated(true)
        .allow_debug(true);
    verifier
        .evaluate(quote, collateral, now)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcb_and_emulation_verdicts() {
        let expect = Expectations::default();
        let v = |emulated: bool, status: Option<&str>| Verdict {
            emulated,
            tcb_status: status.map(str::to_string),
            advisory_ids: vec!["INTEL-SA-00615".into()],
            problems: Vec::new(),
        };
        assert!(genuine(&v(false, Some("UpToDate")), &expect).is_ok());
        let c = genuine(&v(false, Some("OutOfDate")), &expect);
        assert!(
            c.reason().unwrap().contains("OutOfDate")
                && c.reason().unwrap().contains("INTEL-SA-00615")
        );
        // No TCB status stated: not judged (the report says it is not stated).
        assert!(genuine(&v(false, None), &expect).is_ok());
        // A problem the appraiser stated is Ko whatever the TCB status.
        let mut other_tee = v(false, Some("UpToDate"));
        other_tee.problems.push("not sgx".into());
        assert_eq!(genuine(&other_tee, &expect).reason(), Some("not sgx"));
        // With a local verification, its TCB status is the one judged.
        let local = v(false, Some("OutOfDate"));
        let combined = v(false, None).with_local(local);
        assert!(
            genuine(&combined, &expect)
                .reason()
                .unwrap()
                .contains("OutOfDate")
        );
        assert!(
            genuine(&v(true, Some("UpToDate")), &expect)
                .reason()
                .unwrap()
                .contains("EMULATED")
        );
        let allowed = Expectations {
            allow_emulated: true,
            ..Expectations::default()
        };
        let c = genuine(&v(true, Some("UpToDate")), &allowed);
        assert!(matches!(&c.outcome, Outcome::Ok(Some(note)) if note.contains("EMULATED")));
    }
}
