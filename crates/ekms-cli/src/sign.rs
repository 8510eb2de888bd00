//! `ekms sign`, `ekms verify` (Sign / SignatureVerify with a key pair of the server) and
//! `ekms mac` (MAC / MACVerify with an HMAC key).
//!
//! `verify` and `mac --verify` exit 0 when valid and 1 (with a clear line) when not.

use anyhow::Result;
use serde_json::{Value, json};

use crate::cli::sign::{MacArgs, SignAlgorithm, SignArgs, VerifyArgs};
use crate::context::Context;
use crate::kmip_json::{bytes, call, child_bytes, child_str, e, st, text};
use crate::output::{read_file, write_atomic};
use crate::report::Explained;

/// The Cryptographic Parameters of the algorithm.
fn parameters(algorithm: SignAlgorithm) -> Vec<Value> {
    use SignAlgorithm as A;
    let hash = match algorithm {
        A::RsaPkcs1Sha256 | A::RsaPssSha256 | A::EcdsaSha256 => Some("SHA_256"),
        A::RsaPkcs1Sha384 | A::RsaPssSha384 | A::EcdsaSha384 => Some("SHA_384"),
        A::RsaPkcs1Sha512 | A::RsaPssSha512 | A::EcdsaSha512 => Some("SHA_512"),
        A::Ed25519 => None,
    };
    let mut items = Vec::new();
    match algorithm {
        A::RsaPkcs1Sha256 | A::RsaPkcs1Sha384 | A::RsaPkcs1Sha512 => {
            items.push(e("PaddingMethod", "PKCS1_V1_5"));
        }
        A::RsaPssSha256 | A::RsaPssSha384 | A::RsaPssSha512 => {
            items.push(e("PaddingMethod", "PSS"));
        }
        _ => {}
    }
    if let Some(hash) = hash {
        items.push(e("HashingAlgorithm", hash));
    }
    items
}

fn params(algorithm: Option<SignAlgorithm>) -> Vec<Value> {
    algorithm
        .map(|a| vec![st("CryptographicParameters", parameters(a))])
        .unwrap_or_default()
}

/// `ekms sign`.
pub async fn sign(ctx: &Context, args: &SignArgs) -> Result<()> {
    let data = read_file(&args.input)?;
    let mut items = vec![text("UniqueIdentifier", &args.key)];
    items.extend(params(args.algorithm));
    items.push(bytes("Data", &data));
    let r = call(ctx, "Sign", items).await?;
    let signature = child_bytes(&r, "SignatureData")?;
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
    let mut items = vec![text("UniqueIdentifier", &args.key)];
    items.extend(params(args.algorithm));
    items.push(bytes("Data", &data));
    items.push(bytes("SignatureData", &signature));
    let r = call(ctx, "SignatureVerify", items).await?;
    let valid = child_str(&r, "ValidityIndicator")? == "Valid";
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
    let mut items = vec![text("UniqueIdentifier", &args.key), bytes("Data", &data)];
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
        items.push(bytes("MACData", &mac));
        let r = call(ctx, "MACVerify", items).await?;
        let valid = child_str(&r, "ValidityIndicator")? == "Valid";
        return verdict(
            ctx,
            valid,
            format!("MAC of {} with key {}", args.input.display(), args.key),
            "MAC valid",
            "MAC INVALID",
        );
    }
    let r = call(ctx, "MAC", items).await?;
    let mac = child_bytes(&r, "MACData")?;
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
