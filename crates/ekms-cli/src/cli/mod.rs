//! Command-line definitions (clap derive): global options and the command tree, with the
//! arguments of each family of commands in a submodule. Only clap types live here: the
//! handlers read them, and nothing here knows a handler.

pub mod access;
pub mod bench;
pub mod keys;
pub mod sign;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Heading of the options every command accepts.
const GLOBAL: &str = "Global options";

/// Command-line client of the ekms key management server.
#[derive(Debug, Parser)]
#[command(name = "ekms", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options accepted by every command.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Server URL [default: the config file's, else https://127.0.0.1:9998]
    #[arg(long, env = "EKMS_SERVER_URL", global = true, value_name = "URL", help_heading = GLOBAL)]
    pub server_url: Option<String>,

    /// Config file [default: ~/.config/ekms/ekms.toml]
    #[arg(long, env = "EKMS_CONFIG", global = true, value_name = "FILE", help_heading = GLOBAL)]
    pub config: Option<PathBuf>,

    /// Trust the server certificate through this PEM file (a CA, or the server's self-signed certificate)
    #[arg(long, global = true, value_name = "FILE", help_heading = GLOBAL)]
    pub ca: Option<PathBuf>,

    /// Trust only the server certificate whose DER has this SHA-256 (the server prints it at start)
    #[arg(long, global = true, value_name = "HEX", help_heading = GLOBAL)]
    pub pin_sha256: Option<String>,

    /// Do not check the server certificate (warns; for tests only)
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub insecure: bool,

    /// Print machine-readable JSON on stdout
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub json: bool,

    /// OpenID Connect bearer token identifying you [default: the config file's bearer_token]
    #[arg(long, env = "EKMS_BEARER_TOKEN", hide_env_values = true, global = true, value_name = "JWT", help_heading = GLOBAL)]
    pub bearer_token: Option<String>,

    /// TLS client certificate (PEM) identifying you [default: the config file's client_cert]
    #[arg(long, global = true, value_name = "FILE", requires = "client_key", help_heading = GLOBAL)]
    pub client_cert: Option<PathBuf>,

    /// Private key (PEM) of --client-cert [default: the config file's client_key]
    #[arg(long, global = true, value_name = "FILE", requires = "client_cert", help_heading = GLOBAL)]
    pub client_key: Option<PathBuf>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a group on the server and store its secret in the config file
    Register(RegisterArgs),
    /// Symmetric keys: create keys, encrypt and decrypt files
    #[command(subcommand)]
    Sym(keys::SymCommand),
    /// Keys of the group: get, locate, activate, revoke, destroy
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// RSA key pairs
    #[command(subcommand)]
    Rsa(keys::RsaCommand),
    /// Elliptic-curve and Ed25519 key pairs
    #[command(subcommand)]
    Ec(keys::EcCommand),
    /// Sign a file with a private key of the server
    Sign(sign::SignArgs),
    /// Verify a signature with a public key of the server (exit 0 valid, 1 invalid)
    Verify(sign::VerifyArgs),
    /// Compute or verify (--verify) the HMAC of a file with a key of the server
    Mac(sign::MacArgs),
    /// Verify by remote attestation that the server is the expected code in a genuine enclave
    /// that made its TLS certificate, then pin that certificate
    #[command(args_conflicts_with_subcommands = true)]
    Trust(Box<TrustArgs>),
    /// Enclave identities computed locally: mr_signer of a key, mr_enclave of a manifest, a SIGSTRUCT
    #[command(subcommand)]
    Enclave(EnclaveCommand),
    /// Rights on objects inside the group: grant, revoke, list
    #[command(subcommand)]
    Access(access::AccessCommand),
    /// The group's audit trail (the administrator, or a user granted `audit`)
    Audit(access::AuditArgs),
    /// The group's life, for its administrator: rotate its secret, delete it
    #[command(subcommand)]
    Group(access::GroupCommand),
    /// Load-test a KMIP server (binary TTLV over mutual TLS, or JSON over HTTPS)
    Bench(Box<bench::BenchArgs>),
    /// Replay the OASIS KMIP test cases against a server
    #[command(subcommand)]
    Conformance(ConformanceCommand),
    /// Check that the server answers
    Health,
    /// Show the client's and the server's versions
    Version,
    /// Print a shell completion script (e.g. `ekms completions bash > /etc/bash_completion.d/ekms`)
    Completions(CompletionsArgs),
}

/// `ekms completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum, ignore_case = true)]
    pub shell: clap_complete::Shell,
}

/// `ekms register`.
#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// Also print the group secret (it is stored in the config file either way)
    #[arg(long)]
    pub show_secret: bool,
    /// Replace a group secret already in the config file (that group becomes unreachable unless its secret is kept elsewhere)
    #[arg(long)]
    pub force: bool,
}

/// `ekms trust`.
#[derive(Debug, Args)]
pub struct TrustArgs {
    /// Check recorded evidence offline instead (a quote and the token issued for it)
    #[command(subcommand)]
    pub command: Option<TrustCommand>,
    /// Attestation service (Microsoft Azure Attestation's API) [default: the config file's, else https://sharedeus.eus.attest.azure.net]
    #[arg(long, value_name = "URL", conflicts_with = "offline")]
    pub attestation_url: Option<String>,
    /// Trust the attestation service's (or the PCCS's) TLS certificate through this PEM file [default: the config file's, else the public Web PKI roots]
    #[arg(long, value_name = "FILE", conflicts_with = "attestation_pin_sha256")]
    pub attestation_ca: Option<PathBuf>,
    /// Trust only the attestation service's (or the PCCS's) TLS certificate whose DER has this SHA-256
    #[arg(long, value_name = "HEX")]
    pub attestation_pin_sha256: Option<String>,
    #[command(flatten)]
    pub expect: ExpectArgs,
    /// The manifest you expect the server to serve; checked only when given
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// The nonce to send, as hex bytes (1 to 1024) [default: 32 fresh random bytes]. Only for a challenge a verifier gave you: a nonce used twice lets a recorded quote be replayed
    #[arg(long, value_name = "HEX")]
    pub nonce_hex: Option<String>,
    /// Save the evidence (quote, certificates, manifest, token or collateral, nonce, checks) in DIR
    #[arg(long, value_name = "DIR")]
    pub export: Option<PathBuf>,
    /// Verify the quote locally with collateral from a PCCS instead of asking an attestation service
    #[arg(long, requires = "pccs_url")]
    pub offline: bool,
    /// The PCCS to take collateral from (with --offline)
    #[arg(long, value_name = "URL", requires = "offline")]
    pub pccs_url: Option<String>,
}

/// What the user expects of the enclave and allows: shared by `ekms trust` and
/// `ekms trust verify-evidence`.
#[derive(Debug, Args)]
pub struct ExpectArgs {
    /// The mr_enclave of the code you trust (64 hex digits); without it the check is Ko
    #[arg(long, value_name = "HEX")]
    pub mr_enclave: Option<String>,
    /// The mr_signer you trust (64 hex digits); checked only when given
    #[arg(long, value_name = "HEX")]
    pub mr_signer: Option<String>,
    /// Accept emulated evidence (it proves the protocol, never the hardware: tests and demos only)
    #[arg(long)]
    pub allow_emulated: bool,
    /// Accept a debug enclave (the host can read its memory: development only)
    #[arg(long)]
    pub allow_debug: bool,
    /// Accepted TCB statuses, comma-separated (Intel's names: UpToDate, SWHardeningNeeded, ConfigurationNeeded, ConfigurationAndSWHardeningNeeded, OutOfDate, OutOfDateConfigurationNeeded); applied where a status is stated: a token's claim, or a local verification
    #[arg(long, value_name = "LIST", default_value = "UpToDate")]
    pub tcb_policy: String,
    /// The smallest RSA key accepted for the attestation token's signature, in bits (1024 at least)
    #[arg(long, value_name = "N", default_value_t = 2048, value_parser = clap::value_parser!(u32).range(1024..=16384))]
    pub min_token_rsa_bits: u32,
}

/// `ekms trust ...` subcommands.
#[derive(Debug, Subcommand)]
pub enum TrustCommand {
    /// Check a recorded quote and the attestation token issued for it, offline (no server): the Ok/Ko lines of `ekms trust` that apply; exit 0 only when all are Ok
    VerifyEvidence(VerifyEvidenceArgs),
}

/// `ekms trust verify-evidence`.
#[derive(Debug, Args)]
pub struct VerifyEvidenceArgs {
    /// The quote sent to the attestation service (raw bytes; `quote.bin` of `ekms trust --export`)
    #[arg(long, value_name = "FILE")]
    pub quote: PathBuf,
    /// The token the attestation service issued for it (a JWT)
    #[arg(long, value_name = "FILE")]
    pub token: PathBuf,
    /// The attestation service's signing keys: the JSON Web Key Set its `/certs` returns
    #[arg(long, value_name = "FILE")]
    pub signing_certs: PathBuf,
    /// The runtime data sent with the quote; adds `report data = SHA-256(runtime data)`
    #[arg(long, value_name = "FILE")]
    pub runtime_data: Option<PathBuf>,
    /// Collateral (dcap-qvl's QuoteCollateralV3 JSON) to verify the quote's DCAP chain locally as well
    #[arg(long, value_name = "FILE")]
    pub collateral: Option<PathBuf>,
    /// The time to check at (RFC 3339, e.g. 2021-05-05T20:00:00Z) [default: now]
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<String>,
    /// The attestation service you trust (the URL its tokens name as iss); without it the check is Ko
    #[arg(long, value_name = "URL")]
    pub issuer: Option<String>,
    #[command(flatten)]
    pub expect: ExpectArgs,
}

/// `ekms enclave ...`.
#[derive(Debug, Subcommand)]
pub enum EnclaveCommand {
    /// mr_signer of an enclave signer key: SHA-256 of its RSA-3072 modulus (little-endian)
    MrSigner(MrSignerArgs),
    /// The emulated mr_enclave of a manifest (ekms's emulation layout, docs/measurement.md)
    Measure(MeasureArgs),
    /// Show a SIGSTRUCT (.sig): mr_enclave, mr_signer, isv_prod_id, isv_svn, attributes, and whether its signature verifies
    Sigstruct(SigstructArgs),
    /// Compare the manifest a server serves with the one you rendered: Ok/Ko per setting and per trusted file
    ManifestCheck(ManifestCheckArgs),
}

/// `ekms enclave manifest-check`.
#[derive(Debug, Args)]
pub struct ManifestCheckArgs {
    /// The manifest the server serves (`GET /manifest`, or manifest.toml of `ekms trust --export`)
    #[arg(long, value_name = "FILE")]
    pub served: PathBuf,
    /// The manifest your own build rendered (for SGX, the signed .manifest.sgx)
    #[arg(long, value_name = "FILE")]
    pub rendered: PathBuf,
}

/// `ekms enclave mr-signer`.
#[derive(Debug, Args)]
pub struct MrSignerArgs {
    /// The signer's public key (PEM or DER; SubjectPublicKeyInfo or PKCS#1), RSA-3072
    #[arg(long, value_name = "PEM")]
    pub key: PathBuf,
}

/// `ekms enclave measure`.
#[derive(Debug, Args)]
pub struct MeasureArgs {
    /// The manifest (Gramine TOML), measured byte for byte
    #[arg(long, value_name = "FILE")]
    pub manifest: PathBuf,
    /// Enclave size (e.g. 1G, 512M) [default: the manifest's sgx.enclave_size]
    #[arg(long, value_name = "SIZE")]
    pub enclave_size: Option<String>,
}

/// `ekms enclave sigstruct`.
#[derive(Debug, Args)]
pub struct SigstructArgs {
    /// The SIGSTRUCT file (`.sig`, 1808 bytes)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Print only the measurement block, as a server running this enclave prints it at start
    #[arg(long)]
    pub measurement: bool,
}

/// `ekms conformance`.
#[derive(Debug, Subcommand)]
pub enum ConformanceCommand {
    /// Replay KMIP XML test cases (one case a file) and compare each answer with the case's
    Run(ConformanceRunArgs),
    /// Play every case and ask the server its operations, then print docs/kmip.md's
    /// conformance and operation tables (Markdown); fails when a claimed profile's case fails
    Report(ConformanceTarget),
}

/// `ekms conformance run`.
#[derive(Debug, Args)]
pub struct ConformanceRunArgs {
    #[command(flatten)]
    pub target: ConformanceTarget,
    /// Also play the cases of profiles ekms does not claim [default: SKIP with the reason]
    #[arg(long)]
    pub unclaimed: bool,
}

/// The cases and the server of `ekms conformance run` and `report`.
#[derive(Debug, Args)]
pub struct ConformanceTarget {
    /// Case files, or folders searched for *.xml
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The server's KMIP socket (mutual TLS with --client-cert, --client-key and --ca)
    #[arg(long, value_name = "HOST:PORT")]
    pub kmip: String,
    /// The server's HTTPS URL: POST /register, and the HTTPS, JSON and XML message-encoding cases
    #[arg(long, value_name = "URL")]
    pub https: String,
    /// Play every case in this group [default: a new group per case, from POST /register]
    #[arg(
        long,
        env = "EKMS_CONFORMANCE_SECRET",
        hide_env_values = true,
        value_name = "S"
    )]
    pub secret: Option<String>,
    /// TLS server name of the KMIP socket [default: the host of --kmip]
    #[arg(long, value_name = "NAME")]
    pub tls_server_name: Option<String>,
}
