//! `ekms sign`, `ekms verify` (Sign / SignatureVerify with a key pair of the server) and
//! `ekms mac` (MAC / MACVerify with an HMAC key).
//!
//! `verify` and `mac --verify` exit 0 when valid and 1 (with a clear line) when not.

use anyhow::Result;
use serde_json::json;

use crate::cli::sign::{MacArgs, SignAlgorithm, SignArgs, VerifyArgs};
use crate::context::Context;
use crate::output::{read_file, write_atomic};
use crate::report::Explained;
use ekms_kmip::CryptographicParameters;
use ekms_kmip::enums::{HashingAlgorithm, PaddingMethod, ValidityIndicator};
use ekms_kmip::operations::{mac, mac_verify, sign, signature_verify};

/// The Cryptographic Parameters of the algorithm.
fn parameters(algorithm: SignAlgorithm) -> CryptographicParameters {
    use SignAlgorithm as A;
    let hash = match algorithm {
        A::RsaPkcs1Sha256 | A::RsaPssSha256 | A::EcdsaSha256 => Some(HashingAlgorithm::Sha256),
        A::RsaPkcs1Sha384 | A::RsaPssSha384 | A::EcdsaSha384 => Some(HashingAlgorithm::Sha384),
        A::RsaPkcs1Sha512 | A::RsaPssSha512 | A::EcdsaSha512 => Some(HashingAlgorithm::Sha512),
        A::Ed25519 => None,
    };
    let padding = match algorithm {
        A::RsaPkcs1Sha256 | A::RsaPkcs1Sha384 | A::RsaPkcs1Sha512 => Some(PaddingMethod::Pkcs1V1_5),
        A::RsaPssSha256 | A::RsaPssSha384 | A::RsaPssSha512 => Some(PaddingMethod::Pss),
        _ => None,
    };
    CryptographicParameters {
        padding_method: padding,
        hashing_algorithm: hash,
        ..Default::default()
    }
}

/// `ekms sign`.
pub async fn sign(ctx: &Context, args: &SignArgs) -> Result<()> {
    let data = read_file(&args.input)?;
    let request = sign::Request {
        uid: args.key.clone(),
        params: args.algorithm.map(parameters),
        data: (data, false),
    };
    let signature = ctx.client(true)?.call(request).await?.signature;
    write_atomic(&args.output, &signature)?;
    if ctx.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "unique_identifier": args.key,
                "input": args.input.display().to_string(),
                "signature": args.output.display().to_string(),
                "signature_bytes": signature.len(),
            }))?
        );
    } else {
        println!(
            "signed {} with key {} to {}",
            args.input.display(),
            args.key,
            args.output.display()
        );
    }
    Ok(())
}

fn verdict(ctx: &Context, valid: bool, what: String, ok: &str, bad: &str) -> Result<()> {
    if ctx.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"valid": valid, "what": what}))?
        );
    }
    if valid {
        if !ctx.json {
            println!("{ok}: {what}");
        }
        Ok(())
    } else {
        Err(Explained {
            message: format!("{bad}: {what}"),
            hint: Some(
                "the data or the signature was modified, or another key or algorithm made it"
                    .to_string(),
            ),
        }
        .into())
    }
}

/// `ekms verify`: exit 0 when the signature is valid, 1 when not.
pub async fn verify(ctx: &Context, args: &VerifyArgs) -> Result<()> {
    let data = read_file(&args.input)?;
    let signature = read_file(&args.signature)?;
    let request = signature_verify::Request {
        uid: args.key.clone(),
        params: args.algorithm.map(parameters),
        data: (data, false),
        signature,
    };
    let answer = ctx.client(true)?.call(request).await?;
    let valid = answer.indicator == ValidityIndicator::Valid;
    verdict(
        ctx,
        valid,
        format!(
            "{} over {} with key {}",
            args.signature.display(),
            args.input.display(),
            args.key
        ),
        "signature valid",
        "signature INVALID",
    )
}

/// `ekms mac`: computes a MAC, or with `--verify` checks one (exit 1 when it does not match).
pub async fn mac(ctx: &Context, args: &MacArgs) -> Result<()> {
    let data = read_file(&args.input)?;
    if let Some(expected) = &args.verify {
        let path = std::path::Path::new(expected);
        let mac = if path.exists() {
            read_file(path)?
        } else {
            hex::decode(expected.trim()).map_err(|_| Explained {
                message: format!("--verify {expected}: neither a file nor hex"),
                hint: Some("give the MAC file written by `ekms mac -o`, or its hex".to_string()),
            })?
        };
        let request = mac_verify::Request {
            uid: args.key.clone(),
            params: None,
            data,
            mac,
        };
        let answer = ctx.client(true)?.call(request).await?;
        let valid = answer.indicator == ValidityIndicator::Valid;
        return verdict(
            ctx,
            valid,
            format!("MAC of {} with key {}", args.input.display(), args.key),
            "MAC valid",
            "MAC INVALID",
        );
    }
    let request = mac::Request {
        uid: args.key.clone(),
        params: None,
        data,
    };
    let mac = ctx.client(true)?.call(request).await?.mac;
    match &args.output {
        Some(out) => {
            write_atomic(out, &mac)?;
            if ctx.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({
                        "unique_identifier": args.key,
                        "output": out.display().to_string(),
                        "mac": hex::encode(&mac),
                    }))?
                );
            } else {
                println!(
                    "wrote the MAC of {} to {}",
                    args.input.display(),
                    out.display()
                );
            }
        }
        None if ctx.json => println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "unique_identifier": args.key,
                "mac": hex::encode(&mac),
            }))?
        ),
        None => println!("{}", hex::encode(&mac)),
    }
    Ok(())
}
