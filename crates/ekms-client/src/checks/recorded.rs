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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::tests::{jwk, signed};
    use aws_lc_rs::rsa::{KeyPair, KeySize};
    use serde_json::json;

    const SGX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/sgx");
    /// Inside the validity of the real collateral of `testdata/sgx`.
    const AT: i64 = 1_750_809_600; // 2025-06-25T00:00:00Z

    /// The real quote of `testdata/sgx` with its real collateral, and a token about it signed
    /// by a test key (no service's token was recorded for that quote): the local verification
    /// is real, and its TCB status is what `--tcb-policy` judges.
    fn recorded_with_collateral() -> (RecordedEvidence, ekms_attest::Quote) {
        let quote = std::fs::read(format!("{SGX}/real_dcap_v3_quote.bin")).unwrap();
        let parsed = ekms_attest::Quote::parse(&quote).unwrap();
        let body = &parsed.report_body;
        let collateral = ekms_attest::collateral_from_json(
            &std::fs::read(format!("{SGX}/real_dcap_v3_quote_collateral.json")).unwrap(),
        )
        .unwrap();
        let key = KeyPair::generate(KeySize::Rsa2048).unwrap();
        let claims = json!({
            "iss": "https://attest.example", "iat": AT - 60, "nbf": AT - 60, "exp": AT + 3600,
            "x-ms-attestation-type": "sgx",
            "x-ms-sgx-mrenclave": hex::encode(body.mr_enclave),
            "x-ms-sgx-mrsigner": hex::encode(body.mr_signer),
            "x-ms-sgx-report-data": hex::encode(body.report_data),
            "x-ms-sgx-collateral": {"quotehash": hex::encode(super::super::sha256(&quote))},
        });
        let token = signed(
            &key,
            &json!({"alg": "RS256", "typ": "JWT", "kid": "k"}),
            &claims,
        );
        let recorded = RecordedEvidence {
            quote,
            token,
            signing_certs: json!({"keys": [jwk(&key, "k")]}),
            runtime_data: None,
            collateral: Some(collateral),
            issuer: Some("https://attest.example".to_string()),
        };
        (recorded, parsed)
    }

    #[test]
    fn collateral_adds_the_local_verification_and_its_tcb_status_is_judged() {
        let (recorded, quote) = recorded_with_collateral();
        let now = OffsetDateTime::from_unix_timestamp(AT).unwrap();
        let expect = Expectations {
            mr_enclave: Some(quote.report_body.mr_enclave),
            ..Expectations::default()
        };
        // The default policy (UpToDate) refuses the status the local verification computes.
        let report = check_recorded(&recorded, &expect, now);
        let failed: Vec<CheckId> = report.failed().iter().map(|c| c.id).collect();
        assert_eq!(failed, [CheckId::EnclaveGenuine], "{:?}", report.checks);
        assert!(
            report
                .get(CheckId::QuoteVerified)
                .is_some_and(|c| c.is_ok())
        );
        assert_eq!(
            report.tcb_status.as_deref(),
            Some("ConfigurationAndSWHardeningNeeded")
        );
        assert!(!report.tcb_not_stated);
        // A policy accepting it passes every line.
        let lenient = Expectations {
            tcb_policy: "ConfigurationAndSWHardeningNeeded".parse().unwrap(),
            ..expect.clone()
        };
        assert!(check_recorded(&recorded, &lenient, now).trusted());
        // Without collateral the token's word stands, and no TCB status is stated.
        let token_only = RecordedEvidence {
            collateral: None,
            ..recorded.clone()
        };
        let report = check_recorded(&token_only, &expect, now);
        assert!(report.trusted(), "{:?}", report.checks);
        assert!(report.tcb_not_stated && report.tcb_status.is_none());
        // After the collateral's validity the local verification fails, and so does
        // enclave genuine, even though the token is still in date at that time.
        let later = OffsetDateTime::from_unix_timestamp(AT + 40 * 86_400).unwrap();
        let mut late = recorded;
        late.token = {
            let key = KeyPair::generate(KeySize::Rsa2048).unwrap();
            late.signing_certs = json!({"keys": [jwk(&key, "k")]});
            let mut claims: serde_json::Map<String, Value> = serde_json::from_slice(
                &base64::Engine::decode(
                    &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                    late.token.split('.').nth(1).unwrap(),
                )
                .unwrap(),
            )
            .unwrap();
            claims.insert("exp".into(), json!(AT + 50 * 86_400));
            signed(
                &key,
                &json!({"alg": "RS256", "kid": "k"}),
                &Value::Object(claims),
            )
        };
        let report = check_recorded(&late, &lenient, later);
        let failed: Vec<CheckId> = report.failed().iter().map(|c| c.id).collect();
        assert_eq!(failed, [CheckId::QuoteVerified, CheckId::EnclaveGenuine]);
        assert!(
            report
                .get(CheckId::EnclaveGenuine)
                .and_then(|c| c.reason())
                .is_some_and(|r| r.contains("not checked"))
        );
    }
}
