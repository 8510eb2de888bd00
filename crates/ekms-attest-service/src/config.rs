//! Command line of `ekms-attest` and the validated settings the service runs with.
//!
//! [`Args`] is what clap reads (each flag also from an `EKMS_ATTEST_*` environment variable,
//! the flag winning); [`Config::from_args`] checks and converts it: the TCB policy list, the
//! fixed time, the collateral files (read and parsed at start, so a bad file stops the service
//! before it listens rather than failing every request).

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Parser;
use ekms_attest::{Collateral, TcbPolicy, collateral_from_json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Largest request body accepted on any route (a DCAP quote is a few KiB).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// How long an issued token is valid (MAA issues tokens valid for eight hours).
pub const TOKEN_LIFETIME: time::Duration = time::Duration::hours(8);

/// An attestation service with Microsoft Azure Attestation's SGX API, for tests, demos and
/// on-premise use.
#[derive(Debug, Parser)]
#[command(name = "ekms-attest", version, about)]
pub struct Args {
    /// HTTPS address to listen on (port 0 picks a free port).
    #[arg(long, env = "EKMS_ATTEST_LISTEN", default_value = "127.0.0.1:9999")]
    pub listen: SocketAddr,

    /// Base URL clients reach the service at, used as the token issuer (`iss`) and for
    /// `jku`/`jwks_uri`; default `https://<listen address>`.
    #[arg(long, env = "EKMS_ATTEST_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// PEM certificate chain for HTTPS (with --tls-key); default a generated ECDSA P-256
    /// self-signed certificate.
    #[arg(long, env = "EKMS_ATTEST_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key (PKCS#8) for --tls-cert.
    #[arg(long, env = "EKMS_ATTEST_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Names in the generated HTTPS certificate (comma-separated DNS names and IPs).
    #[arg(
        long,
        env = "EKMS_ATTEST_TLS_SAN",
        default_value = "localhost,127.0.0.1"
    )]
    pub tls_san: String,

    /// PEM RSA private key (PKCS#8 or PKCS#1, at least 2048 bits) that signs tokens; default
    /// an RSA-2048 key generated at start.
    #[arg(long, env = "EKMS_ATTEST_SIGNING_KEY")]
    pub signing_key: Option<PathBuf>,

    /// Trust the emulated SGX root (EMULATED, NOT INTEL) as well as Intel's, and serve the
    /// emulated PCCS routes. Emulated evidence proves the protocol, never the hardware.
    #[arg(long, env = "EKMS_ATTEST_ALLOW_EMULATED")]
    pub allow_emulated: bool,

    /// Accept debug enclaves (whose memory the host can read).
    #[arg(long, env = "EKMS_ATTEST_ALLOW_DEBUG")]
    pub allow_debug: bool,

    /// Accepted TCB statuses, comma-separated (e.g. UpToDate,SWHardeningNeeded).
    #[arg(long, env = "EKMS_ATTEST_TCB_POLICY", default_value = "UpToDate")]
    pub tcb_policy: String,

    /// PCCS collateral for genuine quotes, as JSON in dcap-qvl's QuoteCollateralV3 shape;
    /// may be given several times (each is tried in turn).
    #[arg(long, env = "EKMS_ATTEST_COLLATERAL")]
    pub collateral: Vec<PathBuf>,

    /// TESTING ONLY: verify quotes and stamp tokens as if the time were this RFC 3339 instant
    /// (lets expired test vectors be used).
    #[arg(long, env = "EKMS_ATTEST_FIXED_TIME")]
    pub fixed_time: Option<String>,
}

/// Validated settings.
#[derive(Debug)]
pub struct Config {
    /// Where to listen.
    pub listen: SocketAddr,
    /// Base URL override (without trailing slash).
    pub public_url: Option<String>,
    /// Provided HTTPS pair.
    pub tls_files: Option<(PathBuf, PathBuf)>,
    /// Names for the generated HTTPS certificate.
    pub tls_san: Vec<String>,
    /// Token signing key file.
    pub signing_key: Option<PathBuf>,
    /// Trust the emulated root.
    pub allow_emulated: bool,
    /// Accept debug enclaves.
    pub allow_debug: bool,
    /// Accepted TCB statuses.
    pub tcb_policy: TcbPolicy,
    /// Collateral for genuine quotes, with the file each came from.
    pub collateral: Vec<(PathBuf, Collateral)>,
    /// The clock override.
    pub fixed_time: Option<OffsetDateTime>,
}

impl Config {
    /// Checks `args` and loads the files they name.
    pub fn from_args(args: Args) -> anyhow::Result<Self> {
        let tcb_policy: TcbPolicy = args
            .tcb_policy
            .parse()
            .with_context(|| format!("--tcb-policy {:?}", args.tcb_policy))?;
        let fixed_time = match &args.fixed_time {
            Some(s) => Some(
                OffsetDateTime::parse(s.trim(), &Rfc3339)
                    .with_context(|| format!("--fixed-time {s:?} is not an RFC 3339 time"))?,
            ),
            None => None,
        };
        let public_url = match args.public_url {
            Some(url) => {
                let url = url.trim().trim_end_matches('/').to_string();
                if !url.starts_with("https://") && !url.starts_with("http://") {
                    bail!("--public-url {url:?} must start with https:// (or http://)");
                }
                Some(url)
            }
            None => None,
        };
        let mut collateral = Vec::new();
        for path in args.collateral {
            let json = std::fs::read(&path)
                .with_context(|| format!("cannot read --collateral {}", path.display()))?;
            let parsed = collateral_from_json(&json)
                .with_context(|| format!("--collateral {}", path.display()))?;
            collateral.push((path, parsed));
        }
        let tls_san = args
            .tls_san
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        Ok(Self {
            listen: args.listen,
            public_url,
            tls_files: args.tls_cert.zip(args.tls_key),
            tls_san,
            signing_key: args.signing_key,
            allow_emulated: args.allow_emulated,
            allow_debug: args.allow_debug,
            tcb_policy,
            collateral,
            fixed_time,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> Args {
        let mut argv = vec!["ekms-attest"];
        argv.extend_from_slice(extra);
        Args::try_parse_from(argv).unwrap()
    }

    #[test]
    fn defaults() {
        let c = Config::from_args(args(&[])).unwrap();
        assert_eq!(c.tcb_policy, TcbPolicy::default());
        assert!(!c.allow_emulated && !c.allow_debug);
        assert!(c.fixed_time.is_none());
        assert_eq!(c.tls_san, vec!["localhost", "127.0.0.1"]);
    }

    #[test]
    fn policy_time_and_url() {
        let c = Config::from_args(args(&[
            "--tcb-policy",
            "UpToDate,SWHardeningNeeded",
            "--fixed-time",
            "2025-06-25T00:00:00Z",
            "--public-url",
            "https://attest.example/",
        ]))
        .unwrap();
        assert_eq!(c.tcb_policy.to_string(), "UpToDate,SWHardeningNeeded");
        assert_eq!(c.fixed_time.unwrap().unix_timestamp(), 1_750_809_600);
        assert_eq!(c.public_url.as_deref(), Some("https://attest.example"));
    }

    #[test]
    fn bad_values_are_errors() {
        assert!(Config::from_args(args(&["--tcb-policy", "Fine"])).is_err());
        assert!(Config::from_args(args(&["--fixed-time", "yesterday"])).is_err());
        assert!(Config::from_args(args(&["--public-url", "ftp://x"])).is_err());
        assert!(Config::from_args(args(&["--collateral", "/nonexistent/c.json"])).is_err());
        assert!(Args::try_parse_from(["ekms-attest", "--tls-cert", "c.pem"]).is_err());
    }
}
