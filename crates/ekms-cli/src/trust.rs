//! `ekms trust`: remote attestation of the server, then pinning of its certificate.
//!
//! The command collects the evidence (ekms-client's `evidence::collect_with_nonce`: the quote
//! for a fresh nonce of 32 random bytes, or the bytes given with `--nonce-hex`,
//! the certificates, the manifest, the certificates presented on TLS, and a token from the
//! attestation service or, with `--offline`, PCCS collateral), runs the pure checks
//! (`checks::run_checks`) against what the user expects, and prints one line per check, then the
//! TCB status, the advisories and the enclave identity. Only when every check is `Ok` does it
//! write the certificate's SHA-256 into the config file as the pin, so later commands refuse any
//! other certificate; otherwise nothing is written and the exit status is 1. `--export DIR`
//! keeps the evidence (the only way the token's text ever leaves the process).
//!
//! It needs no prior trust in the server's certificate: the server's trust options (`--ca`,
//! `--pin-sha256`, `--insecure`, the config file's pin) are not used, since a changed
//! certificate is exactly what a new `ekms trust` must be able to verify.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use ekms_client::checks::{
    CheckId, Expectations, Outcome, RecordedEvidence, TrustReport, check_recorded,
};
use ekms_client::ekms_attest::TcbPolicy;
use ekms_client::evidence::{self, Appraisal, Appraiser, Evidence};
use ekms_client::{AttestationService, DEFAULT_ATTESTATION_URL, PccsClient, Trust};
use serde_json::{Value, json};

use crate::cli::{ExpectArgs, TrustArgs, VerifyEvidenceArgs};
use crate::config::ensure_parent_dir;
use crate::context::Context;
use crate::output::write_atomic;
use crate::report::Explained;

/// Parses 32 bytes given as 64 hex digits (`:` and spaces between bytes allowed).
pub fn parse_hex32(flag: &str, text: &str) -> Result<[u8; 32]> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| *c != ':' && !c.is_whitespace())
        .collect();
    let bytes = hex::decode(&cleaned)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok());
    match bytes {
        Some(b) => Ok(b),
        None => Err(Explained {
            message: format!("{flag} {text:?} is not 64 hexadecimal digits"),
            hint: Some(format!(
                "give {flag} as the 64 hex digits of a SHA-256 measurement, e.g. the `mr_enclave:` line the server prints at start"
            )),
        }
        .into()),
    }
}

/// Parses `--nonce-hex`: 1 to 1024 bytes as hex digits (`:` and spaces between bytes allowed).
pub fn parse_nonce_hex(text: &str) -> Result<Vec<u8>> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| *c != ':' && !c.is_whitespace())
        .collect();
    match hex::decode(&cleaned) {
        Ok(bytes) if !bytes.is_empty() && bytes.len() <= evidence::MAX_NONCE_LEN => Ok(bytes),
        _ => Err(Explained {
            message: format!(
                "--nonce-hex {text:?} is not 1 to {} bytes written in hex",
                evidence::MAX_NONCE_LEN
            ),
            hint: Some(
                "give the nonce as hexadecimal digits, two per byte (e.g. ff80a1), or leave --nonce-hex out for a fresh random one"
                    .to_string(),
            ),
        }
        .into()),
    }
}

fn expectations(args: &ExpectArgs, manifest: Option<&Path>) -> Result<Expectations> {
    let tcb_policy: TcbPolicy = args.tcb_policy.parse().map_err(|e| Explained {
        message: format!("--tcb-policy {:?}: {e}", args.tcb_policy),
        hint: Some(
            "list accepted statuses separated by commas, from: UpToDate, SWHardeningNeeded, ConfigurationNeeded, ConfigurationAndSWHardeningNeeded, OutOfDate, OutOfDateConfigurationNeeded"
                .to_string(),
        ),
    })?;
    let manifest = match manifest {
        Some(path) => Some(
            std::fs::read(path)
                .with_context(|| format!("cannot read the expected manifest {}", path.display()))?,
        ),
        None => None,
    };
    Ok(Expectations {
        mr_enclave: args
            .mr_enclave
            .as_deref()
            .map(|h| parse_hex32("--mr-enclave", h))
            .transpose()?,
        mr_signer: args
            .mr_signer
            .as_deref()
            .map(|h| parse_hex32("--mr-signer", h))
            .transpose()?,
        manifest,
        allow_emulated: args.allow_emulated,
        allow_debug: args.allow_debug,
        tcb_policy,
        min_token_rsa_bits: usize::try_from(args.min_token_rsa_bits).unwrap_or(usize::MAX),
        ..Expectations::default()
    })
}

/// Where the attestation service's (or PCCS's) trust came from.
enum ServiceTrust {
    Ca(PathBuf),
    Pin(String),
    PublicRoots,
}

fn service_trust(ctx: &Context, args: &TrustArgs) -> Result<(Trust, ServiceTrust)> {
    let choice = if let Some(ca) = &args.attestation_ca {
        ServiceTrust::Ca(ca.clone())
    } else if let Some(pin) = &args.attestation_pin_sha256 {
        ServiceTrust::Pin(pin.clone())
    } else if let Some(pin) = &ctx.config.attestation_pin_sha256 {
        ServiceTrust::Pin(pin.clone())
    } else if let Some(ca) = &ctx.config.attestation_ca {
        ServiceTrust::Ca(ca.clone())
    } else {
        ServiceTrust::PublicRoots
    };
    let trust = match &choice {
        ServiceTrust::Ca(path) => Trust::from_ca_file(path)?,
        ServiceTrust::Pin(pin) => Trust::from_pin_hex(pin).map_err(|_| Explained {
            message: format!("the attestation service pin {pin:?} is not 64 hexadecimal digits"),
            hint: Some(
                "pass --attestation-pin-sha256 with the SHA-256 of the service's certificate (ekms-attest prints it at start)"
                    .to_string(),
            ),
        })?,
        ServiceTrust::PublicRoots => Trust::PublicRoots,
    };
    Ok((trust, choice))
}

/// `ekms trust`.
pub async fn trust(ctx: &Context, args: &TrustArgs) -> Result<()> {
    if ctx.trust_from_flags {
        eprintln!(
            "note: ekms trust does not use --ca, --pin-sha256 or --insecure: it verifies the server's certificate by attestation"
        );
    }
    let expect = expectations(&args.expect, args.manifest.as_deref())?;
    let nonce = match &args.nonce_hex {
        Some(text) => parse_nonce_hex(text)?,
        None => evidence::fresh_nonce()?,
    };
    let (trust, trust_choice) = service_trust(ctx, args)?;
    let (evidence, appraiser_url) = if args.offline {
        let url = args.pccs_url.as_deref().unwrap_or_default();
        let pccs = PccsClient::new(url, &trust)?;
        let evidence =
            evidence::collect_with_nonce(&ctx.server_url, Appraiser::Pccs(&pccs), nonce).await?;
        (evidence, pccs.url().to_string())
    } else {
        let url = args
            .attestation_url
            .clone()
            .or_else(|| ctx.config.attestation_url.clone())
            .unwrap_or_else(|| DEFAULT_ATTESTATION_URL.to_string());
        let service = AttestationService::new(&url, &trust)?;
        let evidence =
            evidence::collect_with_nonce(&ctx.server_url, Appraiser::Service(&service), nonce)
                .await?;
        (evidence, service.url().to_string())
    };
    let report = ekms_client::run_checks(&evidence, &expect, time::OffsetDateTime::now_utc());

    let mut out = report_json(&evidence, &report, args.offline, &appraiser_url);
    // What the manifest states (debug, settings, encrypted mounts), shown after the checks.
    let manifest_summary = ekms_client::manifest::summary(&evidence.manifest).ok();
    out["manifest"] = json!(manifest_summary);
    if let Some(dir) = &args.export {
        export(dir, &evidence, &out)?;
        out["export"] = json!(dir.display().to_string());
    }

    let pin_result = if report.trusted() {
        pin(ctx, args, &evidence, &report, &trust_choice).map(Some)
    } else {
        Ok(None)
    };
    let pinned = matches!(pin_result, Ok(Some(_)));
    out["pinned"] = json!(pinned);
    if ctx.json {
        out["config"] = json!(ctx.config_path().display().to_string());
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_text(&report);
        for line in manifest_summary.iter().flat_map(|m| m.lines()) {
            println!("{line}");
        }
    }
    if let Some(dir) = &args.export {
        eprintln!("saved the evidence in {}", dir.display());
    }
    if let Some(sha) = pin_result? {
        if !ctx.json {
            eprintln!(
                "trusted: the certificate with sha256 {sha} is pinned for {} in {}; later commands refuse any other",
                evidence.server_url,
                ctx.config_path().display()
            );
        }
        return Ok(());
    }
    Err(not_trusted(&evidence, &report, &expect).into())
}

/// `ekms trust verify-evidence`: the checks of a recorded quote and token, offline.
pub fn verify_evidence(json_output: bool, args: &VerifyEvidenceArgs) -> Result<()> {
    let expect = expectations(&args.expect, None)?;
    let read = |path: &Path, what: &str| {
        std::fs::read(path).with_context(|| format!("cannot read {what} {}", path.display()))
    };
    let token = String::from_utf8(read(&args.token, "the token")?)
        .map_err(|_| anyhow::anyhow!("the token {} is not text (a JWT)", args.token.display()))?;
    let signing_certs: Value = serde_json::from_slice(&read(
        &args.signing_certs,
        "the signing certificates",
    )?)
    .map_err(|e| Explained {
        message: format!("{} is not JSON: {e}", args.signing_certs.display()),
        hint: Some(
            "give --signing-certs the JSON Web Key Set the attestation service's /certs returns"
                .to_string(),
        ),
    })?;
    let collateral = match &args.collateral {
        Some(path) => Some(
            ekms_client::ekms_attest::collateral_from_json(&read(path, "the collateral")?)
                .map_err(|e| Explained {
                    message: format!("{} is not collateral: {e}", path.display()),
                    hint: Some("give --collateral a JSON file in dcap-qvl's QuoteCollateralV3 shape (what `ekms trust --offline --export` saves as collateral.json)".to_string()),
                })?,
        ),
        None => None,
    };
    let now = match &args.at {
        Some(text) => {
            time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .map_err(|e| Explained {
                    message: format!("--at {text:?} is not an RFC 3339 time: {e}"),
                    hint: Some("write it as 2021-05-05T20:00:00Z".to_string()),
                })?
        }
        None => time::OffsetDateTime::now_utc(),
    };
    let recorded = RecordedEvidence {
        quote: read(&args.quote, "the quote")?,
        token: token.trim().to_string(),
        signing_certs,
        runtime_data: args
            .runtime_data
            .as_deref()
            .map(|p| read(p, "the runtime data"))
            .transpose()?,
        collateral,
        issuer: args.issuer.clone(),
    };
    let report = check_recorded(&recorded, &expect, now);
    if json_output {
        let mut out = checks_json(&report);
        out["at"] = json!(
            now.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
        );
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_text(&report);
    }
    if report.trusted() {
        return Ok(());
    }
    let failed = report.failed();
    let names: Vec<&str> = failed.iter().map(|c| c.id.label()).collect();
    Err(Explained {
        message: format!(
            "the recorded evidence does not hold: {} check(s) failed ({})",
            failed.len(),
            names.join(", ")
        ),
        hint: Some(
            "each Ko line says what the evidence failed to prove (docs/trust.md explains every check)"
                .to_string(),
        ),
    }
    .into())
}

fn not_trusted(evidence: &Evidence, report: &TrustReport, expect: &Expectations) -> Explained {
    let failed = report.failed();
    let names: Vec<&str> = failed.iter().map(|c| c.id.label()).collect();
    let only_missing_mr_enclave = failed.len() == 1
        && failed.iter().all(|c| c.id == CheckId::MrEnclaveExpected)
        && expect.mr_enclave.is_none();
    let hint = if only_missing_mr_enclave {
        "pass --mr-enclave HEX with the measurement published for the server release you trust (a server prints it at start under `mr_enclave:`; in emulation `ekms enclave measure --manifest FILE` computes it, for SGX `ekms enclave sigstruct FILE` reads it)".to_string()
    } else {
        "each Ko line says what the evidence failed to prove: do not send secrets to this server (docs/trust.md explains every check and the attack it stops)".to_string()
    };
    Explained {
        message: format!(
            "{} is not trusted: {} check(s) failed ({}); nothing was pinned",
            evidence.server_url,
            failed.len(),
            names.join(", ")
        ),
        hint: Some(hint),
    }
}

fn print_text(report: &TrustReport) {
    for check in &report.checks {
        println!("{}", check.line());
    }
    match &report.tcb_status {
        Some(status) => println!("TCB status: {status}"),
        None if report.tcb_not_stated => {
            println!("TCB status: not stated by the attestation service")
        }
        None => println!("TCB status: unknown (no verified appraisal)"),
    }
    if report.advisory_ids.is_empty() {
        println!("advisories: none");
    } else {
        println!("advisories: {}", report.advisory_ids.join(", "));
    }
    match report.emulated {
        Some(true) => println!("mode: emulated"),
        Some(false) => println!("mode: sgx"),
        None => {}
    }
    if let Some(id) = &report.identity {
        println!("mr_enclave: {}", id.mr_enclave);
        println!("mr_signer: {}", id.mr_signer);
        println!("isv_prod_id: {}", id.isv_prod_id);
        println!("isv_svn: {}", id.isv_svn);
        println!("debug: {}", id.debug);
    }
    if let Some(sha) = report.certificate_sha256 {
        println!("certificate sha256: {}", hex::encode(sha));
    }
}

fn report_json(evidence: &Evidence, report: &TrustReport, offline: bool, appraiser: &str) -> Value {
    let mut out = checks_json(report);
    out["server_url"] = json!(evidence.server_url);
    out["certificate_sha256"] = json!(report.certificate_sha256.map(hex::encode));
    out["nonce"] = json!(hex::encode(&evidence.nonce));
    if offline {
        out["pccs_url"] = json!(appraiser);
    } else {
        out["attestation_url"] = json!(appraiser);
    }
    out
}

/// The JSON of what every report holds: the checks, the TCB status, the identity.
fn checks_json(report: &TrustReport) -> Value {
    let checks: Vec<Value> = report
        .checks
        .iter()
        .map(|c| {
            let (ok, note, reason) = match &c.outcome {
                Outcome::Ok(note) => (true, note.clone(), None),
                Outcome::Ko(reason) => (false, None, Some(reason.clone())),
            };
            json!({"id": c.id, "check": c.id.label(), "ok": ok, "note": note, "reason": reason})
        })
        .collect();
    json!({
        "trusted": report.trusted(),
        "checks": checks,
        "tcb_status": report.tcb_status,
        "tcb_not_stated": report.tcb_not_stated,
        "advisory_ids": report.advisory_ids,
        "emulated": report.emulated,
        "identity": report.identity,
    })
}

/// Saves the evidence and the checks in `dir` (created with mode 0700 if missing; files 0600).
fn export(dir: &Path, evidence: &Evidence, report: &Value) -> Result<()> {
    ensure_parent_dir(&dir.join("nonce.txt"))?;
    let put = |name: &str, data: &[u8]| write_atomic(&dir.join(name), data);
    put(
        "nonce.txt",
        format!("{}\n", hex::encode(&evidence.nonce)).as_bytes(),
    )?;
    put("quote.bin", &evidence.quote)?;
    put("runtime-data.bin", &evidence.runtime_data())?;
    put(
        "quote.b64",
        format!("{}\n", evidence.quote_base64()).as_bytes(),
    )?;
    put(
        "certificates.json",
        serde_json::to_string_pretty(&evidence.certificates)?.as_bytes(),
    )?;
    put(
        "ssl_certificate.pem",
        evidence.certificates.ssl_certificate.as_bytes(),
    )?;
    put(
        "enclave_public_key.pem",
        evidence.certificates.enclave_public_key.as_bytes(),
    )?;
    put("manifest.toml", &evidence.manifest)?;
    let presented: String = evidence
        .presented_certificates
        .iter()
        .map(|der| pem_certificate(der))
        .collect();
    put("tls_presented_certificates.pem", presented.as_bytes())?;
    match &evidence.appraisal {
        Appraisal::Token(t) => {
            match &t.token {
                Ok(token) => put("token.jwt", format!("{token}\n").as_bytes())?,
                Err(refusal) => put(
                    "attestation_refusal.json",
                    serde_json::to_string_pretty(refusal)?.as_bytes(),
                )?,
            }
            match &t.jwks {
                Ok(jwks) => {
                    let text = serde_json::to_string_pretty(jwks)?;
                    put("jwks.json", text.as_bytes())?;
                    // The name `verify-evidence --signing-certs` reads, as for a recording.
                    put("signing-certs.json", text.as_bytes())?;
                }
                Err(e) => put("jwks_error.txt", format!("{e}\n").as_bytes())?,
            }
        }
        Appraisal::Local(local) => match &local.collateral {
            Ok(c) => put(
                "collateral.json",
                serde_json::to_string_pretty(c)?.as_bytes(),
            )?,
            Err(e) => put("collateral_error.txt", format!("{e}\n").as_bytes())?,
        },
    }
    put(
        "checks.json",
        serde_json::to_string_pretty(report)?.as_bytes(),
    )?;
    Ok(())
}

fn pem_certificate(der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// Writes the pin (and the attestation settings given as flags) into the config file; returns
/// the pinned SHA-256 (hex).
fn pin(
    ctx: &Context,
    args: &TrustArgs,
    evidence: &Evidence,
    report: &TrustReport,
    trust_choice: &ServiceTrust,
) -> Result<String> {
    let Some(sha) = report.certificate_sha256 else {
        bail!("the verified certificate has no fingerprint to pin");
    };
    let sha = hex::encode(sha);
    let mut config = ctx.config.clone();
    config.server_url = Some(evidence.server_url.clone());
    config.pin_sha256 = Some(sha.clone());
    config.ca = None;
    if !args.offline
        && let Some(url) = &args.attestation_url
    {
        config.attestation_url = Some(url.clone());
    }
    if args.attestation_ca.is_some() || args.attestation_pin_sha256.is_some() {
        config.attestation_ca = None;
        config.attestation_pin_sha256 = None;
        match trust_choice {
            ServiceTrust::Ca(path) => {
                config.attestation_ca =
                    Some(std::path::absolute(path).unwrap_or_else(|_| path.clone()));
            }
            ServiceTrust::Pin(pin) => {
                let parsed = ekms_client::trust::parse_sha256_hex(pin)?;
                config.attestation_pin_sha256 = Some(hex::encode(parsed));
            }
            ServiceTrust::PublicRoots => {}
        }
    }
    config.save(ctx.config_path()).with_context(|| {
        format!(
            "every check passed but the pin could not be saved in {}",
            ctx.config_path().display()
        )
    })?;
    Ok(sha)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex32() {
        assert_eq!(parse_hex32("--x", &"ab".repeat(32)).unwrap(), [0xab; 32]);
        assert_eq!(
            parse_hex32("--x", &("AB:".repeat(31) + "AB")).unwrap(),
            [0xab; 32]
        );
        assert!(parse_hex32("--x", "abcd").is_err());
        assert!(parse_hex32("--x", &"zz".repeat(32)).is_err());
    }

    #[test]
    fn nonce_hex() {
        assert_eq!(parse_nonce_hex("ff80").unwrap(), [0xff, 0x80]);
        assert_eq!(parse_nonce_hex("FF:80 00").unwrap(), [0xff, 0x80, 0]);
        assert!(parse_nonce_hex("").is_err());
        assert!(parse_nonce_hex("f").is_err());
        assert!(parse_nonce_hex("zz").is_err());
        assert!(parse_nonce_hex(&"00".repeat(1025)).is_err());
        assert_eq!(parse_nonce_hex(&"00".repeat(1024)).unwrap().len(), 1024);
    }

    #[test]
    fn certificates_are_written_as_pem() {
        let pem = pem_certificate(&[1u8; 100]);
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(pem.ends_with("-----END CERTIFICATE-----\n"));
        assert!(pem.lines().all(|l| l.len() <= 64));
    }
}
