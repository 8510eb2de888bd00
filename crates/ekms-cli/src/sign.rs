//! `ekms sign`, `ekms verify` (Sign / SignatureVerify with a key pair of the server) and
//! `ekms mac` (MAC / MACVerify with an HMAC key).
//!
//! `verify` and `mac --verify` exit 0 when valid and 1 (with a clear line) when not.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, ValueEnum};
use serde_json::{Value, json};

use crate::commands::Explained;
use crate::context::Context;
use crate::keys_asym::{bytes, call, child_bytes, child_str, e, read_file, st, text};
use crate::output::write_atomic;

/// Signature algorithms [default: the key's: RSA PKCS#1 v1.5 SHA-256, ECDSA with the curve's
/// hash, Ed25519].
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SignAlgorithm {
    RsaPkcs1Sha256,
    RsaPkcs1Sha384,
    RsaPkcs1Sha512,
    RsaPssSha256,
    RsaPssSha384,
    RsaPssSha512,
    EcdsaSha256,
    EcdsaSha384,
    EcdsaSha512,
    Ed25519,
}

impl SignAlgorithm {
    /// The Cryptographic Parameters of the algorithm.
    fn parameters(self) -> Vec<Value> {
        use SignAlgorithm as A;
        let hash = match self {
            A::RsaPkcs1Sha256 | A::RsaPssSha256 | A::EcdsaSha256 => Some("SHA_256"),
            A::RsaPkcs1Sha384 | A::RsaPssSha384 | A::EcdsaSha384 => Some("SHA_384"),
            A::RsaPkcs1Sha512 | A::RsaPssSha512 | A::EcdsaSha512 => Some("SHA_512"),
            A::Ed25519 => None,
        };
        let mut items = Vec::new();
        match self {
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
}

/// `ekms sign`.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// Unique identifier of the private key
    #[arg(long, short = 'k', value_name = "ID")]
    pub key: String,
    /// File to sign
    #[arg(value_name = "IN")]
    pub input: PathBuf,
    /// Signature file to write (DER for ECDSA)
    #[arg(long, short = 'o', value_name = "SIG")]
    pub output: PathBuf,
    /// Signature algorithm
    #[arg(long, value_enum)]
    pub algorithm: Option<SignAlgorithm>,
}

/// `ekms verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Unique identifier of the public key (or certificate)
    #[arg(long, short = 'k', value_name = "ID")]
    pub key: String,
    /// Signed file
    #[arg(value_name = "IN")]
    pub input: PathBuf,
    /// Signature file
    #[arg(long, value_name = "SIG")]
    pub signature: PathBuf,
    /// Signature algorithm (as given to `ekms sign`)
    #[arg(long, value_enum)]
    pub algorithm: Option<SignAlgorithm>,
}

/// `ekms mac`.
#[derive(Debug, Args)]
pub struct MacArgs {
    /// Unique identifier of the HMAC key
    #[arg(long, short = 'k', value_name = "ID")]
    pub key: String,
    /// Input file
    #[arg(value_name = "IN")]
    pub input: PathBuf,
    /// Write the MAC to this file [default: print it in hex]
    #[arg(long, short = 'o', value_name = "OUT", conflicts_with = "verify")]
    pub output: Option<PathBuf>,
    /// Verify this MAC (a file, or hex) instead of computing one
    #[arg(long, value_name = "MAC")]
    pub verify: Option<String>,
}

fn params(algorithm: Option<SignAlgorithm>) -> Vec<Value> {
    algorithm
        .map(|a| vec![st("CryptographicParameters", a.parameters())])
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
