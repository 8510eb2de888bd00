//! Whether the enclave is genuine: the verdict on the quote, whoever gave it (the token's
//! claims, or a local verification with PCCS collateral), judged against what the user allows
//! (emulated evidence, the TCB statuses of `--tcb-policy`).

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
}

pub(super) fn genuine(v: &Verdict, expect: &Expectations) -> Check {
    let mut problems = Vec::new();
    if v.emulated && !expect.allow_emulated {
        problems.push(EMULATED_KO.to_string());
    }
    match &v.tcb_status {
        None => problems.push(
            "the attestation service states no TCB status (claim x-ekms-sgx-tcb-status), so --tcb-policy cannot be applied; use --offline --pccs-url URL to evaluate it locally".to_string(),
        ),
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
        };
        assert!(genuine(&v(false, Some("UpToDate")), &expect).is_ok());
        let c = genuine(&v(false, Some("OutOfDate")), &expect);
        assert!(
            c.reason().unwrap().contains("OutOfDate")
                && c.reason().unwrap().contains("INTEL-SA-00615")
        );
        assert!(
            genuine(&v(false, None), &expect)
                .reason()
                .unwrap()
                .contains("no TCB status")
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
