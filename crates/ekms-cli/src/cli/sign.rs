//! Arguments of `ekms sign`, `ekms verify` and `ekms mac`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

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
