//! The checks of `ekms trust`: a pure function from collected [`Evidence`] and the user's
//! [`Expectations`] to one result per check ([`TrustReport`]).
//!
//! No I/O happens here (the time is a parameter), so every attack can be tested by replaying
//! real evidence with the piece an attacker controls changed. Each check is one line,
//! `<check>: Ok` or `<check>: Ko (<reason>)`; an `Ok` may carry a note when it passed only
//! because the user allowed something (emulated evidence, a debug enclave). A check that could
//! not be made is never `Ok`: it is `Ko` with the reason, or, for a check that does not apply,
//! absent (see [`CheckId`]).
//!
//! Trust flows like this. The token's signature, by a key the service publishes, makes its
//! claims evidence (with a bad signature, every check that reads a claim is `Ko`). The token's
//! quote hash ties those claims to the quote the server returned; the quote's report data ties
//! the quote to the client's fresh nonce and to the TLS certificate; the certificate presented
//! in the handshake must be that certificate; mr_enclave (the code), mr_signer (the signer key,
//! whose public half the server returns) and the manifest (in emulation, what mr_enclave is
//! measured over) must be what the user expects. With `--offline` the client verifies the
//! quote's signatures and collateral itself in place of the token.
//!
//! The checks are grouped by what they judge: `token` (the service's token), `genuine` (the
//! quote's verdict and the user's policy) and `binding` (identities, manifest, report data,
//! certificate); `report` holds what they report. [`run_checks`] runs them in printing order;
//! [`check_recorded`] (`recorded`) runs the ones that apply to a recorded quote and token
//! (`ekms trust verify-evidence`), with the same lines.

mod binding;
mod genuine;
mod recorded;
mod report;
mod token;

use aws_lc_rs::digest::{SHA256, digest};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use ekms_attest::Quote;
use ekms_attest::emulated::header_says_emulated;

pub use self::binding::expected_report_data;
use self::binding::{bound_certificate, equal, same_bytes, tls_certificate, tls_key_in_enclave};
use self::genuine::{Verdict, genuine, local_verification};
pub use self::recorded::{RecordedEvidence, check_recorded};
pub use self::report::{
    Check, CheckId, DEFAULT_CLOCK_SKEW, Expectations, Outcome, QuotedIdentity, TrustReport,
};
use self::token::{
    UNTRUSTED_TOKEN, claim_equals, in_date, issuer, quote_hash, report_data_claim, signature_check,
    token_claims, token_verdict,
};
use crate::evidence::{Appraisal, Evidence, LocalAppraisal, TokenAppraisal};

/// Runs every check on `evidence` at time `now`.
pub fn run_checks(evidence: &Evidence, expect: &Expectations, now: OffsetDateTime) -> TrustReport {
    let mut checks = Vec::new();
    let quote = parse_quote(&evidence.quote, "returned");
    let bound = bound_certificate(&evidence.certificates.ssl_certificate);
    let runtime = evidence.runtime_data();

    // The appraisal: who vouches for the quote.
    let (claims, verdict): (Option<Map<String, Value>>, Option<Verdict>) = match &evidence.appraisal
    {
        Appraisal::Token(t) => {
            let claims = token_head(t, Some(&t.service_url), expect, now, &mut checks);
            let verdict = claims.as_ref().map(token_verdict);
            checks.push(match &verdict {
                Some(v) => genuine(v, expect),
                None => ko(CheckId::EnclaveGenuine, UNTRUSTED_TOKEN),
            });
            (claims, verdict)
        }
        Appraisal::Local(local) => {
            let verdict = local_head(local, &evidence.quote, now, &mut checks);
            checks.push(match &verdict {
                Some(v) => genuine(v, expect),
                None => ko(CheckId::EnclaveGenuine, QUOTE_NOT_VERIFIED),
            });
            (None, verdict)
        }
    };

    // The token's statements against the quote returned.
    if let Appraisal::Token(_) = &evidence.appraisal {
        token_vs_quote(claims.as_ref(), &quote, &evidence.quote, &mut checks);
    }

    // The identity against what the user expects.
    checks.push(mr_enclave_expected(&quote, expect));
    checks.push(check(
        CheckId::MrSignerEnclaveKey,
        quote.clone().and_then(|q| {
            let key = ekms_attest::mr_signer(evidence.certificates.enclave_public_key.as_bytes())
                .map_err(|e| format!("the enclave public key returned is unusable: {e}"))?;
            if key == q.report_body.mr_signer {
                Ok(())
            } else {
                Err(format!(
                    "SHA-256 of the returned enclave key's modulus is {}, the quote's mr_signer is {}: the key returned is not the one that signed the enclave",
                    hex::encode(key),
                    hex::encode(q.report_body.mr_signer)
                ))
            }
        }),
    ));
    checks.extend(mr_signer_expected(&quote, expect));

    // The manifest.
    let emulated = verdict
        .as_ref()
        .map(|v| v.emulated)
        .or_else(|| quote.as_ref().ok().map(|q| header_says_emulated(&q.header)));
    let manifest_measured = quote.clone().and_then(|q| {
        let measured = crate::manifest::measure(&evidence.manifest, None)
            .map_err(|e| format!("the manifest returned cannot be measured: {e}"))?;
        if measured == q.report_body.mr_enclave {
            Ok(())
        } else {
            Err(format!(
                "the manifest returned measures to {}, the quote's mr_enclave is {}: it is not the manifest the enclave was measured with",
                hex::encode(measured),
                hex::encode(q.report_body.mr_enclave)
            ))
        }
    });
    if emulated != Some(false) {
        checks.push(check(CheckId::ManifestMeasured, manifest_measured.clone()));
    }
    if let Some(expected) = &expect.manifest {
        checks.push(check(
            CheckId::ManifestExpected,
            same_bytes(&evidence.manifest, expected),
        ));
    }

    // The binding of the certificate and the nonce.
    if let Appraisal::Token(_) = &evidence.appraisal {
        checks.push(report_data_token(claims.as_ref(), &quote, Some(&runtime)));
    }
    checks.push(check(
        CheckId::ReportDataBinding,
        quote.clone().and_then(|q| {
            let expected = expected_report_data(&evidence.certificates.ssl_certificate, &evidence.nonce);
            let actual = q.report_body.report_data;
            if actual == expected {
                Ok(())
            } else if actual.get(..32) == expected.get(..32) {
                Err("the second half of the report data is not zero".to_string())
            } else {
                Err(format!(
                    "the quote's report data starts with {}, but SHA-256(certificate + this run's nonce) is {}: the quote was made for another nonce (a replayed quote) or another certificate",
                    hex::encode(actual.get(..32).unwrap_or_default()),
                    hex::encode(expected.get(..32).unwrap_or_default())
                ))
            }
        }),
    ));
    checks.push(check(
        CheckId::TlsCertificate,
        bound
            .clone()
            .and_then(|der| tls_certificate(&der, &evidence.presented_certificates)),
    ));
    checks.push(check(
        CheckId::TlsKeyInEnclave,
        tls_key_in_enclave(emulated, &manifest_measured, &evidence.manifest),
    ));
    checks.push(not_debug(&quote, expect));

    TrustReport {
        certificate_sha256: bound.ok().map(|der| sha256(&der)),
        ..report(checks, verdict.as_ref(), emulated, &quote)
    }
}

const QUOTE_NOT_VERIFIED: &str =
    "not checked: the quote did not verify (see quote signature and collateral)";

fn parse_quote(bytes: &[u8], how: &str) -> Result<Quote, String> {
    Quote::parse(bytes).map_err(|e| format!("the quote {how} is not a DCAP v3 quote: {e}"))
}

/// The token's own lines (signature, issuer, dates); its claims when the signature verified.
fn token_head(
    t: &TokenAppraisal,
    chosen_issuer: Option<&str>,
    expect: &Expectations,
    now: OffsetDateTime,
    checks: &mut Vec<Check>,
) -> Option<Map<String, Value>> {
    let verified = token_claims(t, expect.min_token_rsa_bits);
    checks.push(signature_check(&verified, expect.min_token_rsa_bits));
    match verified {
        Ok(v) => {
            checks.push(check(
                CheckId::TokenIssuer,
                issuer(&v.claims, chosen_issuer),
            ));
            checks.push(check(
                CheckId::TokenInDate,
                in_date(&v.claims, now, expect.clock_skew),
            ));
            Some(v.claims)
        }
        Err(_) => {
            for id in [CheckId::TokenIssuer, CheckId::TokenInDate] {
                checks.push(ko(id, UNTRUSTED_TOKEN));
            }
            None
        }
    }
}

/// The `quote signature and collateral` line of a local verification; its verdict when the
/// quote verified.
fn local_head(
    local: &LocalAppraisal,
    quote: &[u8],
    now: OffsetDateTime,
    checks: &mut Vec<Check>,
) -> Option<Verdict> {
    let verified = local_verification(local, quote, now);
    checks.push(check(
        CheckId::QuoteVerified,
        verified.as_ref().map(|_| ()).map_err(Clone::clone),
    ));
    verified.ok().map(Verdict::from)
}

/// The token's quote hash, mr_enclave and mr_signer against the quote.
fn token_vs_quote(
    claims: Option<&Map<String, Value>>,
    quote: &Result<Quote, String>,
    quote_bytes: &[u8],
    checks: &mut Vec<Check>,
) {
    let Some(c) = claims else {
        for id in [
            CheckId::QuoteHash,
            CheckId::MrEnclaveTokenQuote,
            CheckId::MrSignerTokenQuote,
        ] {
            checks.push(ko(id, UNTRUSTED_TOKEN));
        }
        return;
    };
    checks.push(check(CheckId::QuoteHash, quote_hash(c, quote_bytes)));
    checks.push(check(
        CheckId::MrEnclaveTokenQuote,
        quote.clone().and_then(|q| {
            claim_equals(
                c,
                &["x-ms-sgx-mrenclave", "sgx-mrenclave"],
                &q.report_body.mr_enclave,
                "mr_enclave",
            )
        }),
    ));
    checks.push(check(
        CheckId::MrSignerTokenQuote,
        quote.clone().and_then(|q| {
            claim_equals(
                c,
                &["x-ms-sgx-mrsigner", "sgx-mrsigner"],
                &q.report_body.mr_signer,
                "mr_signer",
            )
        }),
    ));
}

fn mr_enclave_expected(quote: &Result<Quote, String>, expect: &Expectations) -> Check {
    check(
        CheckId::MrEnclaveExpected,
        quote.clone().and_then(|q| match &expect.mr_enclave {
            None => Err(format!(
                "no expected value given, and a genuine quote of unknown code proves nothing: pass --mr-enclave HEX, the measurement published for the release you trust (this quote states {})",
                hex::encode(q.report_body.mr_enclave)
            )),
            Some(expected) => equal(&q.report_body.mr_enclave, expected, "the quote's mr_enclave"),
        }),
    )
}

fn mr_signer_expected(quote: &Result<Quote, String>, expect: &Expectations) -> Option<Check> {
    expect.mr_signer.as_ref().map(|expected| {
        check(
            CheckId::MrSignerExpected,
            quote
                .clone()
                .and_then(|q| equal(&q.report_body.mr_signer, expected, "the quote's mr_signer")),
        )
    })
}

fn report_data_token(
    claims: Option<&Map<String, Value>>,
    quote: &Result<Quote, String>,
    runtime: Option<&[u8]>,
) -> Check {
    match (claims, quote) {
        (Some(c), Ok(q)) => check(
            CheckId::ReportDataTokenQuote,
            report_data_claim(c, &q.report_body.report_data, runtime),
        ),
        (Some(_), Err(e)) => ko(CheckId::ReportDataTokenQuote, e),
        (None, _) => ko(CheckId::ReportDataTokenQuote, UNTRUSTED_TOKEN),
    }
}

fn not_debug(quote: &Result<Quote, String>, expect: &Expectations) -> Check {
    match quote {
        Ok(q) if !q.report_body.is_debug() => Check {
            id: CheckId::NotDebug,
            outcome: Outcome::Ok(None),
        },
        Ok(_) if expect.allow_debug => Check {
            id: CheckId::NotDebug,
            outcome: Outcome::Ok(Some(
                "it IS a debug enclave, accepted by --allow-debug: the host can read its memory"
                    .to_string(),
            )),
        },
        Ok(_) => ko(
            CheckId::NotDebug,
            "the enclave is a debug enclave: the host can read its memory, keys included; pass --allow-debug only for development",
        ),
        Err(e) => ko(CheckId::NotDebug, e),
    }
}

/// The report of `checks`, with what the verdict and the quote state.
fn report(
    checks: Vec<Check>,
    verdict: Option<&Verdict>,
    emulated: Option<bool>,
    quote: &Result<Quote, String>,
) -> TrustReport {
    TrustReport {
        checks,
        tcb_status: verdict.and_then(|v| v.tcb_status.clone()),
        tcb_not_stated: verdict.is_some_and(|v| v.tcb_status.is_none()),
        advisory_ids: verdict.map(|v| v.advisory_ids.clone()).unwrap_or_default(),
        emulated,
        identity: quote.as_ref().ok().map(|q| QuotedIdentity {
            mr_enclave: hex::encode(q.report_body.mr_enclave),
            mr_signer: hex::encode(q.report_body.mr_signer),
            isv_prod_id: q.report_body.isv_prod_id,
            isv_svn: q.report_body.isv_svn,
            debug: q.report_body.is_debug(),
        }),
        certificate_sha256: None,
    }
}

fn check(id: CheckId, result: Result<(), String>) -> Check {
    Check {
        id,
        outcome: match result {
            Ok(()) => Outcome::Ok(None),
            Err(reason) => Outcome::Ko(reason),
        },
    }
}

fn ko(id: CheckId, reason: &str) -> Check {
    Check {
        id,
        outcome: Outcome::Ko(reason.to_string()),
    }
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, bytes).as_ref());
    out
}
