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

use std::fmt;

use aws_lc_rs::digest::{SHA256, digest};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde::Serialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use ekms_attest::emulated::header_says_emulated;
use ekms_attest::{Quote, TcbPolicy, TcbStatus, TrustedRoot, VerifiedQuote, Verifier};

use crate::evidence::{Appraisal, Evidence, LocalAppraisal, TokenAppraisal};

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

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, bytes).as_ref());
    out
}

/// The report data a quote must carry for `certificate_pem` and the bytes of `nonce`.
pub fn expected_report_data(certificate_pem: &str, nonce: &[u8]) -> [u8; 64] {
    let mut out = [0u8; 64];
    let hash = sha256(&crate::evidence::runtime_data(certificate_pem, nonce));
    for (dst, src) in out.iter_mut().zip(hash) {
        *dst = src;
    }
    out
}

const EMULATED_KO: &str = "EMULATED evidence: it chains to the published emulated root (EMULATED, NOT INTEL), whose private key anyone has; it proves the protocol, never the hardware; pass --allow-emulated to accept it for tests and demos";
const EMULATED_OK: &str =
    "EMULATED evidence, accepted by --allow-emulated: it proves the protocol, never the hardware";
const UNTRUSTED_TOKEN: &str = "not checked: no verified token (see token signature)";

/// The verdict on the quote, whoever gave it.
struct Verdict {
    emulated: bool,
    tcb_status: Option<String>,
    advisory_ids: Vec<String>,
}

/// Runs every check on `evidence` at time `now`.
pub fn run_checks(evidence: &Evidence, expect: &Expectations, now: OffsetDateTime) -> TrustReport {
    let mut checks = Vec::new();
    let quote = Quote::parse(&evidence.quote)
        .map_err(|e| format!("the quote returned is not a DCAP v3 quote: {e}"));
    let bound = bound_certificate(&evidence.certificates.ssl_certificate);

    // The appraisal: who vouches for the quote.
    let mut verdict: Option<Verdict> = None;
    let mut claims: Option<Map<String, Value>> = None;
    match &evidence.appraisal {
        Appraisal::Token(t) => {
            let verified = token_claims(t);
            checks.push(check(
                CheckId::TokenSignature,
                verified.as_ref().map(|_| ()).map_err(Clone::clone),
            ));
            match verified {
                Ok(c) => {
                    checks.push(check(CheckId::TokenIssuer, issuer(&c, &t.service_url)));
                    checks.push(check(
                        CheckId::TokenInDate,
                        in_date(&c, now, expect.clock_skew),
                    ));
                    let v = token_verdict(&c);
                    checks.push(genuine(&v, expect));
                    verdict = Some(v);
                    claims = Some(c);
                }
                Err(_) => {
                    for id in [
                        CheckId::TokenIssuer,
                        CheckId::TokenInDate,
                        CheckId::EnclaveGenuine,
                    ] {
                        checks.push(ko(id, UNTRUSTED_TOKEN));
                    }
                }
            }
        }
        Appraisal::Local(local) => {
            let verified = local_verification(local, &evidence.quote, now);
            checks.push(check(
                CheckId::QuoteVerified,
                verified.as_ref().map(|_| ()).map_err(Clone::clone),
            ));
            match verified {
                Ok(v) => {
                    let v = Verdict {
                        emulated: v.emulated,
                        tcb_status: Some(v.tcb_status.to_string()),
                        advisory_ids: v.advisory_ids,
                    };
                    checks.push(genuine(&v, expect));
                    verdict = Some(v);
                }
                Err(_) => checks.push(ko(
                    CheckId::EnclaveGenuine,
                    "not checked: the quote did not verify (see quote signature and collateral)",
                )),
            }
        }
    }

    // The token's statements against the quote returned.
    if let Appraisal::Token(_) = &evidence.appraisal {
        match &claims {
            Some(c) => {
                checks.push(check(CheckId::QuoteHash, quote_hash(c, &evidence.quote)));
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
            None => {
                for id in [
                    CheckId::QuoteHash,
                    CheckId::MrEnclaveTokenQuote,
                    CheckId::MrSignerTokenQuote,
                ] {
                    checks.push(ko(id, UNTRUSTED_TOKEN));
                }
            }
        }
    }

    // The identity against what the user expects.
    checks.push(check(
        CheckId::MrEnclaveExpected,
        quote.clone().and_then(|q| match &expect.mr_enclave {
            None => Err(format!(
                "no expected value given, and a genuine quote of unknown code proves nothing: pass --mr-enclave HEX, the measurement published for the release you trust (this quote states {})",
                hex::encode(q.report_body.mr_enclave)
            )),
            Some(expected) => equal(&q.report_body.mr_enclave, expected, "the quote's mr_enclave"),
        }),
    ));
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
    if let Some(expected) = &expect.mr_signer {
        checks.push(check(
            CheckId::MrSignerExpected,
            quote
                .clone()
                .and_then(|q| equal(&q.report_body.mr_signer, expected, "the quote's mr_signer")),
        ));
    }

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
        checks.push(match (&claims, &quote) {
            (Some(c), Ok(q)) => check(
                CheckId::ReportDataTokenQuote,
                report_data_claim(c, &q.report_body.report_data),
            ),
            (Some(_), Err(e)) => ko(CheckId::ReportDataTokenQuote, e),
            (None, _) => ko(CheckId::ReportDataTokenQuote, UNTRUSTED_TOKEN),
        });
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
    checks.push(match &quote {
        Ok(q) if !q.report_body.is_debug() => Check {
            id: CheckId::NotDebug,
            outcome: Outcome::Ok(None),
        },
        Ok(_) if expect.allow_debug => Check {
            id: CheckId::NotDebug,
            outcome: Outcome::Ok(Some(
                "it IS a debug enclave, accepted by --allow-debug: the host can read its memory".to_string(),
            )),
        },
        Ok(_) => ko(
            CheckId::NotDebug,
            "the enclave is a debug enclave: the host can read its memory, keys included; pass --allow-debug only for development",
        ),
        Err(e) => ko(CheckId::NotDebug, e),
    });

    TrustReport {
        checks,
        tcb_status: verdict.as_ref().and_then(|v| v.tcb_status.clone()),
        advisory_ids: verdict
            .as_ref()
            .map(|v| v.advisory_ids.clone())
            .unwrap_or_default(),
        emulated,
        identity: quote.as_ref().ok().map(|q| QuotedIdentity {
            mr_enclave: hex::encode(q.report_body.mr_enclave),
            mr_signer: hex::encode(q.report_body.mr_signer),
            isv_prod_id: q.report_body.isv_prod_id,
            isv_svn: q.report_body.isv_svn,
            debug: q.report_body.is_debug(),
        }),
        certificate_sha256: bound.ok().map(|der| sha256(&der)),
    }
}

/// Whether the TLS key was made in the enclave. The measured settings say so: in emulation
/// they are read from the manifest, which must be the one mr_enclave measures; for genuine SGX
/// evidence ekms-server runs with `--quote-source gramine`, which refuses a host key, and the
/// manifest returned must not say otherwise.
fn tls_key_in_enclave(
    emulated: Option<bool>,
    manifest_measured: &Result<(), String>,
    manifest: &[u8],
) -> Result<(), String> {
    if emulated != Some(false) && manifest_measured.is_err() {
        return Err(
            "not checked: the manifest returned is not the one the enclave was measured with (see manifest measures to mr_enclave), so its settings prove nothing".to_string(),
        );
    }
    crate::manifest::tls_key_made_in_enclave(manifest)
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

/// The DER of the (first) certificate of the PEM the server returned.
fn bound_certificate(pem: &str) -> Result<Vec<u8>, String> {
    CertificateDer::from_pem_slice(pem.as_bytes())
        .map(|c| c.as_ref().to_vec())
        .map_err(|e| {
            format!("the certificate returned by /certificates is not a PEM certificate: {e}")
        })
}

fn token_claims(t: &TokenAppraisal) -> Result<Map<String, Value>, String> {
    let token = t
        .token
        .as_ref()
        .map_err(|r| format!("no token: the attestation service refused the quote: {r}"))?;
    let jwks = t
        .jwks
        .as_ref()
        .map_err(|e| format!("the service's key set is unusable: {e}"))?;
    crate::jwt::verify(token, jwks)
}

fn trim_url(url: &str) -> &str {
    url.trim().trim_end_matches('/')
}

fn issuer(claims: &Map<String, Value>, service_url: &str) -> Result<(), String> {
    let iss = claims
        .get("iss")
        .and_then(Value::as_str)
        .ok_or("the token has no iss claim")?;
    if trim_url(iss) == trim_url(service_url) {
        Ok(())
    } else {
        Err(format!(
            "the token was issued by {iss}, not by the attestation service called ({service_url})"
        ))
    }
}

fn time_claim(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, String> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_f64().map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| format!("the {name} claim is not a number")),
    }
}

fn show_time(secs: i64) -> String {
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| secs.to_string())
}

fn in_date(
    claims: &Map<String, Value>,
    now: OffsetDateTime,
    skew: time::Duration,
) -> Result<(), String> {
    let now_s = now.unix_timestamp();
    let skew = skew.whole_seconds();
    let iat = time_claim(claims, "iat")?.ok_or("the token has no iat claim")?;
    let exp = time_claim(claims, "exp")?.ok_or("the token has no exp claim")?;
    if iat.saturating_sub(skew) > now_s {
        return Err(format!(
            "issued in the future ({}; now is {})",
            show_time(iat),
            show_time(now_s)
        ));
    }
    if let Some(nbf) = time_claim(claims, "nbf")?
        && nbf.saturating_sub(skew) > now_s
    {
        return Err(format!(
            "not valid before {} (now is {})",
            show_time(nbf),
            show_time(now_s)
        ));
    }
    if now_s > exp.saturating_add(skew) {
        return Err(format!(
            "expired at {} (now is {})",
            show_time(exp),
            show_time(now_s)
        ));
    }
    Ok(())
}

fn token_verdict(claims: &Map<String, Value>) -> Verdict {
    Verdict {
        emulated: claims.get("x-ekms-emulated").and_then(Value::as_bool) == Some(true),
        tcb_status: claims
            .get("x-ekms-sgx-tcb-status")
            .and_then(Value::as_str)
            .map(str::to_string),
        advisory_ids: claims
            .get("x-ekms-sgx-advisory-ids")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn genuine(v: &Verdict, expect: &Expectations) -> Check {
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

fn local_verification(
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

fn find_claim<'a>(claims: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|n| claims.get(*n))
}

fn hex_claim(value: &Value, what: &str) -> Result<Vec<u8>, String> {
    let text = value
        .as_str()
        .ok_or_else(|| format!("the token's {what} is not a string"))?;
    hex::decode(text.trim()).map_err(|_| format!("the token's {what} is not hex"))
}

fn quote_hash(claims: &Map<String, Value>, quote: &[u8]) -> Result<(), String> {
    let stated = claims
        .get("x-ms-sgx-collateral")
        .and_then(|c| c.get("quotehash"))
        .or_else(|| {
            claims
                .get("maa-attestationcollateral")
                .and_then(|c| c.get("maa-quotehash").or_else(|| c.get("quotehash")))
        })
        .ok_or("the token states no quote hash (x-ms-sgx-collateral.quotehash)")?;
    let stated = hex_claim(stated, "quote hash")?;
    let actual = sha256(quote);
    if stated.as_slice() == actual.as_slice() {
        Ok(())
    } else {
        Err(format!(
            "the token vouches for the quote with SHA-256 {}, the quote returned has {}",
            hex::encode(&stated),
            hex::encode(actual)
        ))
    }
}

fn claim_equals(
    claims: &Map<String, Value>,
    names: &[&str],
    quoted: &[u8; 32],
    what: &str,
) -> Result<(), String> {
    let value = find_claim(claims, names)
        .ok_or_else(|| format!("the token states no {what} ({})", names.join(" or ")))?;
    let stated = hex_claim(value, what)?;
    if stated.as_slice() == quoted.as_slice() {
        Ok(())
    } else {
        Err(format!(
            "the token's {what} is {}, the quote's is {}",
            hex::encode(&stated),
            hex::encode(quoted)
        ))
    }
}

fn report_data_claim(claims: &Map<String, Value>, quoted: &[u8; 64]) -> Result<(), String> {
    if let Some(value) = claims.get("x-ms-sgx-report-data") {
        let stated = hex_claim(value, "report data")?;
        return if stated.as_slice() == quoted.as_slice() {
            Ok(())
        } else {
            Err(format!(
                "the token's report data is {}, the quote's is {}",
                hex::encode(&stated),
                hex::encode(quoted)
            ))
        };
    }
    // Azure Attestation states the runtime data (enclave held data), whose SHA-256 it checked
    // against the first half of the report data.
    let ehd = find_claim(claims, &["x-ms-sgx-ehd", "maa-ehd", "aas-ehd"])
        .and_then(Value::as_str)
        .ok_or("the token states neither the report data nor the runtime data")?;
    let ehd = base64::Engine::decode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ehd.trim_end_matches('='),
    )
    .map_err(|_| "the token's runtime data is not base64url".to_string())?;
    let mut stated = [0u8; 64];
    for (dst, src) in stated.iter_mut().zip(sha256(&ehd)) {
        *dst = src;
    }
    if &stated == quoted {
        Ok(())
    } else {
        Err("SHA-256 of the token's runtime data is not the quote's report data".to_string())
    }
}

fn equal(actual: &[u8; 32], expected: &[u8; 32], what: &str) -> Result<(), String> {
    if actual == expected {
        Ok(())
    } else {
        Err(format!(
            "{what} is {}, expected {}",
            hex::encode(actual),
            hex::encode(expected)
        ))
    }
}

fn same_bytes(actual: &[u8], expected: &[u8]) -> Result<(), String> {
    if actual == expected {
        return Ok(());
    }
    let first = actual
        .iter()
        .zip(expected)
        .position(|(a, b)| a != b)
        .unwrap_or(actual.len().min(expected.len()));
    Err(format!(
        "the manifest returned ({} bytes) differs from the expected one ({} bytes) from byte {first} on",
        actual.len(),
        expected.len()
    ))
}

fn tls_certificate(bound: &[u8], presented: &[Vec<u8>]) -> Result<(), String> {
    if presented.is_empty() {
        return Err("no certificate was captured in the TLS handshake".to_string());
    }
    let others: Vec<String> = presented
        .iter()
        .filter(|p| p.as_slice() != bound)
        .map(|p| hex::encode(sha256(p)))
        .collect();
    if others.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the TLS connection presented the certificate with sha256 {}, but the enclave bound the one with sha256 {}: something between you and the enclave terminates TLS (a proxy), or the server shows a certificate the enclave did not make",
            others.join(", "),
            hex::encode(sha256(bound))
        ))
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

    #[test]
    fn token_times() {
        let now = OffsetDateTime::from_unix_timestamp(1_000_000).unwrap();
        let skew = DEFAULT_CLOCK_SKEW;
        let claims = |iat: i64, exp: i64| -> Map<String, Value> {
            let mut m = Map::new();
            m.insert("iat".into(), Value::from(iat));
            m.insert("exp".into(), Value::from(exp));
            m
        };
        assert!(in_date(&claims(999_000, 1_001_000), now, skew).is_ok());
        assert!(
            in_date(&claims(1_000_030, 1_001_000), now, skew).is_ok(),
            "within the skew"
        );
        assert!(
            in_date(&claims(1_000_100, 1_001_000), now, skew)
                .unwrap_err()
                .contains("future")
        );
        assert!(
            in_date(&claims(990_000, 999_000), now, skew)
                .unwrap_err()
                .contains("expired")
        );
        assert!(in_date(&Map::new(), now, skew).is_err());
        let mut nbf = claims(999_000, 1_001_000);
        nbf.insert("nbf".into(), Value::from(1_000_500));
        assert!(
            in_date(&nbf, now, skew)
                .unwrap_err()
                .contains("not valid before")
        );
    }

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

    #[test]
    fn certificate_comparison() {
        assert!(tls_certificate(b"a", &[b"a".to_vec()]).is_ok());
        assert!(tls_certificate(b"a", &[]).is_err());
        assert!(tls_certificate(b"a", &[b"a".to_vec(), b"b".to_vec()]).is_err());
    }
}
