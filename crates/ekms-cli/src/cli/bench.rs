//! Arguments of `ekms bench`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use ekms_kmip::ProtocolVersion;

/// KMIP versions of the binary transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum KmipVersion {
    #[value(name = "1.2")]
    V1_2,
    #[value(name = "1.4")]
    V1_4,
    #[value(name = "2.1")]
    V2_1,
}

impl KmipVersion {
    /// The protocol version.
    pub fn protocol(self) -> ProtocolVersion {
        match self {
            KmipVersion::V1_2 => ProtocolVersion::V1_2,
            KmipVersion::V1_4 => ProtocolVersion::V1_4,
            KmipVersion::V2_1 => ProtocolVersion::V2_1,
        }
    }

    /// The version as reports write it.
    pub fn label(self) -> &'static str {
        match self {
            KmipVersion::V1_2 => "1.2",
            KmipVersion::V1_4 => "1.4",
            KmipVersion::V2_1 => "2.1",
        }
    }
}

/// The workloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BenchOp {
    /// AES-256-GCM Encrypt of --payload-size bytes
    Encrypt,
    /// AES-256-GCM Decrypt of --payload-size bytes
    Decrypt,
    /// Create of an AES-256 key
    Create,
    /// Get of an AES-256 key
    Get,
    /// Locate of an AES-256 key by its Name (one match)
    Locate,
    /// ECDSA P-256 (SHA-256) Sign of --payload-size bytes
    SignEcdsa,
    /// RSA-2048 PKCS#1 v1.5 (SHA-256) Sign of --payload-size bytes
    SignRsa,
    /// HMAC-SHA256 MAC of --payload-size bytes
    Hmac,
}

impl BenchOp {
    /// The workload as reports name it.
    pub fn label(self) -> &'static str {
        match self {
            BenchOp::Encrypt => "encrypt",
            BenchOp::Decrypt => "decrypt",
            BenchOp::Create => "create",
            BenchOp::Get => "get",
            BenchOp::Locate => "locate",
            BenchOp::SignEcdsa => "sign-ecdsa",
            BenchOp::SignRsa => "sign-rsa",
            BenchOp::Hmac => "hmac",
        }
    }
}

/// `ekms bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Binary TTLV over mutual TLS to this KMIP socket (with --client-cert, --client-key and
    /// --ca); without it, JSON TTLV over HTTPS to the configured server's /kmip/2_1
    #[arg(long, value_name = "HOST:PORT")]
    pub kmip: Option<String>,

    /// KMIP version of the binary transport
    #[arg(long, value_enum, default_value = "2.1", value_name = "VERSION")]
    pub kmip_version: KmipVersion,

    /// Name checked in the KMIP server's certificate [default: the host of --kmip]
    #[arg(long, value_name = "NAME")]
    pub tls_server_name: Option<String>,

    /// Group secret [default: the config file's]
    #[arg(
        long,
        env = "EKMS_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub secret: Option<String>,

    /// Send no group secret: binary requests carry no credential and JSON requests no
    /// KmsDatabaseSecret header. For a KMIP server without ekms's groups (another vendor's,
    /// authenticating by client certificate or not at all)
    #[arg(long, conflicts_with_all = ["secret", "groups"])]
    pub no_secret: bool,

    /// The operation measured
    #[arg(long, value_enum, default_value = "encrypt")]
    pub op: BenchOp,

    /// Bytes of data per Encrypt, Decrypt, Sign or MAC
    #[arg(long, default_value_t = 1024, value_name = "BYTES")]
    pub payload_size: usize,

    /// Concurrent connections (one task each, one request at a time)
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub connections: usize,

    /// Seconds of measurement [default: 10 unless --count]
    #[arg(long, value_name = "SECS", conflicts_with = "count")]
    pub duration: Option<f64>,

    /// Operations measured, over all connections
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,

    /// Seconds of unmeasured load before the measurement
    #[arg(long, default_value_t = 0.0, value_name = "SECS")]
    pub warmup: f64,

    /// Threads running the connections, each an event loop of its own with its share of the
    /// connections [default: one per core, at most --connections]
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// Do not read the answer as KMIP: any HTTP 200 is a success. For measuring the HTTPS
    /// ceiling of the machine against a static server (e.g. nginx answering every POST with a
    /// fixed body) with the very requests, client and TLS stack used against ekms; nothing is
    /// created first, the requests name a placeholder key of the length of ekms's identifiers
    #[arg(long, conflicts_with = "kmip")]
    pub static_answer: bool,

    /// Over HTTPS, offer HTTP/1.1 only (one request at a time per connection, as wrk and most
    /// load tools do); without it HTTP/2 is offered first, as every ekms client does
    #[arg(long, conflicts_with = "kmip")]
    pub http1: bool,

    /// Spread the requests over N groups: each connection sends its requests to the groups in
    /// turn (round robin, connections starting at different groups), after making what the
    /// workload needs in every group. The groups' secrets come from --groups-file; missing
    /// ones are registered on the configured server first. Binary transport (--kmip) only: a
    /// binary message carries its group's secret, an HTTPS client one secret for all its
    /// requests
    #[arg(long, value_name = "N", requires = "kmip")]
    pub groups: Option<usize>,

    /// File of group secrets for --groups, one a line: the first N are used; when it holds
    /// fewer, the missing groups are registered and their secrets appended (the file is made
    /// mode 0600), so that runs reuse them [default: N groups registered for this run only]
    #[arg(long, value_name = "FILE", requires = "groups")]
    pub groups_file: Option<PathBuf>,

    /// Write the body of one successful answer to FILE before the run (e.g. for a static
    /// server to send the same answer)
    #[arg(long, value_name = "FILE")]
    pub save_answer: Option<PathBuf>,
}
