//! The checks of recorded evidence (`ekms trust verify-evidence`): a quote and the token an
//! attestation service issued for it, checked offline against the service's key set, with no
//! server to ask. The lines are those of `ekms trust` that apply to a quote and a token: the
//! token's (signature, issuer, dates), `enclave genuine`, the token's statements against the
//! quote, the expected identities, the report data and `not a debug enclave`; with the runtime
//! data, `report data = SHA-256(runtime data)`; with collateral, the local verification of the
//! quote (`quote signature and collateral`), which `enclave genuine` then also requires and
//! whose TCB status `--tcb-policy` judges.

use ekms_attest::Collateral;
use ekms_attest::emulated::header_says_emulated;
use serde_json::Value;
use time::OffsetDateTime;

use super::binding::report_data_for;
use super::genuine::genuine;
use super::token::{UNTRUSTED_TOKEN, token_verdict};
use super::{
    CheckId, Expectations, QUOTE_NOT_VERIFIED, TrustReport, check, ko, local_head,
    mr_enclave_expected, mr_signer_expected, not_debug, parse_quote, report, report_data_token,
    token_head, token_vs_quote,
};
use crate::evidence::{LocalAppraisal, TokenAppraisal};

/// A recorded quote and token, with what the user gives to check them.
#[derive(Clone, Debug)]
pub struct RecordedEvidence {
    /// The quote, as sent to the attestation service.
    pub quote: Vec<u8>,
    /// The token (a JWT) the service issued for it.
    pub token: String,
    /// The service's key set, as its `/certs` answered.
    pub signing_certs: Value,
    /// The runtime data sent with the quote, when given.
    pub runtime_data: Option<Vec<u8>>,
    /// Collateral for a local verification of the quote, when given.
    pub collateral: Option<Collateral>,
    /// The attestation service the user trusts (`--issuer`); without it `token issuer` is Ko.
    pub issuer: Option<String>,
}

/// Runs the checks that apply to `recorded` at time `now`.
pub fn check_recorded(
    recorded: &RecordedEvidence,
    expect: &Expectations,
    now: OffsetDateTime,
) -> TrustReport {
    let mut checks = Vec::new();
    let quote = parse_quote(&recorded.quote, "given");
    let appraisal = TokenAppraisal {
        service_url: recorded.issuer.clone().unwrap_or_default(),
        token: Ok(recorded.token.clone()),
        jwks: Ok(recorded.signing_certs.clone()),
    };
    let claims = token_head(
        &appraisal,
        recorded.issuer.as_deref(),
        expect,
        now,
        &mut checks,
    );
    let local = recorded.collateral.as_ref().map(|c| {
        let appraisal = LocalAppraisal {
            pccs_url: "--collateral".to_string(),
            collateral: Ok(c.clone()),
        };
        local_head(&appraisal, &recorded.quote, now, &mut checks)
    });
    let (genuine_line, verdict) = match (claims.as_ref().map(token_verdict), local) {
        (None, _) => (ko(CheckId::EnclaveGenuine, UNTRUSTED_TOKEN), None),
        (Some(_), Some(None)) => (ko(CheckId::EnclaveGenuine, QUOTE_NOT_VERIFIED), None),
        (Some(token), Some(Some(local))) => {
            let v = token.with_local(local);
            (genuine(&v, expect), Some(v))
        }
        (Some(token), None) => (genuine(&token, expect), Some(token)),
    };
    checks.push(genuine_line);
    token_vs_quote(claims.as_ref(), &quote, &recorded.quote, &mut checks);
    checks.push(mr_enclave_expected(&quote, expect));
    checks.extend(mr_signer_expected(&quote, expect));
    checks.push(report_data_token(
        claims.as_ref(),
        &quote,
        recorded.runtime_data.as_deref(),
    ));
    if let Some(runtime) = &recorded.runtime_data {
        checks.push(check(
            CheckId::ReportDataRuntimeData,
            quote.clone().and_then(|q| {
                let expected = report_data_for(runtime);
                if q.report_body.report_data == expected {
                    Ok(())
                } else {
                    Err(format!(
                        "the quote's report data is {}, SHA-256 of the runtime data given then 32 zero bytes is {}: the quote was made for other runtime data",
                        hex::encode(q.report_body.report_data),
                        hex::encode(expected)
                    ))
                }
            }),
        ));
    }
    checks.push(not_debug(&quote, expect));
    let emulated = verdict
        .as_ref()
        .map(|v| v.emulated)
        .or_else(|| quote.as_ref().ok().map(|q| header_says_emulated(&q.header)));
    report(checks, verdict.as_ref(), emulated, &quote)
}
