//! Command-line definitions (clap derive): global options and the command tree.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use ekms_kmip::enums::{CryptographicAlgorithm, ObjectType, RevocationReasonCode, State};

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
    Sym(SymCommand),
    /// Keys of the group: get, locate, activate, revoke, destroy
    #[command(subcommand)]
    Keys(KeysCommand),
    /// RSA key pairs
    #[command(subcommand)]
    Rsa(crate::keys_asym::RsaCommand),
    /// Elliptic-curve and Ed25519 key pairs
    #[command(subcommand)]
    Ec(crate::keys_asym::EcCommand),
    /// Sign a file with a private key of the server
    Sign(crate::sign::SignArgs),
    /// Verify a signature with a public key of the server (exit 0 valid, 1 invalid)
    Verify(crate::sign::VerifyArgs),
    /// Compute or verify (--verify) the HMAC of a file with a key of the server
    Mac(crate::sign::MacArgs),
    /// Verify by remote attestation that the server is the expected code in a genuine enclave
    /// that made its TLS certificate, then pin that certificate
    Trust(Box<TrustArgs>),
    /// Enclave identities computed locally: mr_signer of a key, mr_enclave of a manifest, a SIGSTRUCT
    #[command(subcommand)]
    Enclave(EnclaveCommand),
    /// Rights on objects inside the group: grant, revoke, list
    #[command(subcommand)]
    Access(crate::access::AccessCommand),
    /// The group's audit trail (the administrator, or a user granted `audit`)
    Audit(crate::access::AuditArgs),
    /// The group's life, for its administrator: rotate its secret, delete it
    #[command(subcommand)]
    Group(crate::access::GroupCommand),
    /// Load-test a KMIP server (binary TTLV over mutual TLS, or JSON over HTTPS)
    Bench(Box<crate::bench::BenchArgs>),
    /// Check that the server answers
    Health,
    /// Show the client's and the server's versions
    Version,
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

/// `ekms sym ...`.
#[derive(Debug, Subcommand)]
pub enum SymCommand {
    /// Create a symmetric key (Active unless --no-activate); prints its unique identifier
    Create(SymCreateArgs),
    /// Encrypt a file with a key of the server
    Encrypt(SymEncryptArgs),
    /// Decrypt a file written by `ekms sym encrypt`
    Decrypt(SymDecryptArgs),
}

/// Symmetric algorithms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SymAlgorithm {
    /// AES (encryption: AES-GCM)
    Aes,
    /// ChaCha20 (encryption: ChaCha20-Poly1305)
    Chacha20,
}

/// `ekms sym create`.
#[derive(Debug, Args)]
pub struct SymCreateArgs {
    /// Algorithm of the key
    #[arg(long, value_enum, default_value_t = SymAlgorithm::Aes)]
    pub algorithm: SymAlgorithm,
    /// Key size in bits (AES: 128, 192 or 256; ChaCha20: 256)
    #[arg(long, default_value_t = 256)]
    pub bits: u32,
    /// Name of the key (searchable with `ekms keys locate --name`)
    #[arg(long)]
    pub name: Option<String>,
    /// Leave the key PreActive (`ekms keys activate` activates it)
    #[arg(long)]
    pub no_activate: bool,
}

/// `ekms sym encrypt`.
#[derive(Debug, Args)]
pub struct SymEncryptArgs {
    /// Unique identifier of the key
    #[arg(long, short = 'k', value_name = "ID")]
    pub key: String,
    /// File to encrypt (`-`: standard input)
    #[arg(value_name = "IN")]
    pub input: PathBuf,
    /// Encrypted file to write, replaced only when encryption succeeded (`-`: standard output)
    #[arg(long, short = 'o', value_name = "OUT")]
    pub output: PathBuf,
    /// Encrypt locally: the server only wraps a fresh data key and never sees the data
    #[arg(long)]
    pub client_side: bool,
    /// Write the earlier single-message format (version 1, one KMIP message; small files only)
    #[arg(long, hide = true, conflicts_with = "client_side")]
    pub legacy_v1: bool,
}

/// `ekms sym decrypt`.
#[derive(Debug, Args)]
pub struct SymDecryptArgs {
    /// Unique identifier of the key [default: the one named in the file]
    #[arg(long, short = 'k', value_name = "ID")]
    pub key: Option<String>,
    /// File to decrypt (`-`: standard input)
    #[arg(value_name = "IN")]
    pub input: PathBuf,
    /// Plaintext file to write, mode 0600, written only when decryption succeeded (`-`:
    /// standard output, with a non-zero exit status if decryption fails part way)
    #[arg(long, short = 'o', value_name = "OUT")]
    pub output: PathBuf,
    /// Decrypt a stream locally: the server only unwraps its data key and never sees the data
    #[arg(long)]
    pub client_side: bool,
}

/// `ekms keys ...`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Show the attributes of a key (with --export FILE, also write its raw key bytes)
    Get(KeysGetArgs),
    /// Find keys by attributes; prints one unique identifier per line
    Locate(KeysLocateArgs),
    /// Activate a PreActive key
    Activate(KeyIdArgs),
    /// Revoke a key: it no longer encrypts (decryption of old data still works)
    Revoke(KeysRevokeArgs),
    /// Destroy a key's material (an Active key must be revoked first)
    Destroy(KeyIdArgs),
    /// Register a key file (PEM, DER, PKCS#8, raw) on the server; prints its identifier
    Import(crate::keys_asym::KeysImportArgs),
    /// Write a key to a file (PEM, DER, PKCS#8, PKCS#1, SPKI, raw), optionally wrapped
    Export(crate::keys_asym::KeysExportArgs),
    /// Replace a symmetric key with fresh material; prints the new identifier
    Rekey(KeyIdArgs),
    /// Write a key wrapped under another key, for `ekms keys unwrap`
    Wrap(crate::keys_asym::KeysWrapArgs),
    /// Import a key written by `ekms keys wrap`, unwrapped by the server; prints its identifier
    Unwrap(crate::keys_asym::KeysUnwrapArgs),
}

/// A command taking one key identifier.
#[derive(Debug, Args)]
pub struct KeyIdArgs {
    /// Unique identifier of the key
    #[arg(value_name = "ID")]
    pub id: String,
}

/// `ekms keys get`.
#[derive(Debug, Args)]
pub struct KeysGetArgs {
    /// Unique identifier of the key
    #[arg(value_name = "ID")]
    pub id: String,
    /// Write the raw key material to FILE (mode 0600)
    #[arg(long, value_name = "FILE")]
    pub export: Option<PathBuf>,
}

/// `ekms keys locate`.
#[derive(Debug, Args)]
pub struct KeysLocateArgs {
    /// Name of the key
    #[arg(long)]
    pub name: Option<String>,
    /// Cryptographic algorithm
    #[arg(long, value_enum)]
    pub algorithm: Option<LocateAlgorithm>,
    /// Life-cycle state
    #[arg(long, value_enum)]
    pub state: Option<KeyState>,
    /// Object type
    #[arg(long, value_enum)]
    pub object_type: Option<ObjectTypeArg>,
    /// At most this many results
    #[arg(long, value_name = "N")]
    pub max: Option<i32>,
    /// Skip this many results first
    #[arg(long, value_name = "N")]
    pub offset: Option<i32>,
}

/// Algorithms accepted by `keys locate --algorithm`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LocateAlgorithm {
    Aes,
    Chacha20,
    Rsa,
    Ec,
    Ecdsa,
    Ed25519,
}

impl LocateAlgorithm {
    /// The KMIP CryptographicAlgorithm.
    pub fn kmip(self) -> CryptographicAlgorithm {
        match self {
            LocateAlgorithm::Aes => CryptographicAlgorithm::Aes,
            LocateAlgorithm::Chacha20 => CryptographicAlgorithm::ChaCha20,
            LocateAlgorithm::Rsa => CryptographicAlgorithm::Rsa,
            LocateAlgorithm::Ec => CryptographicAlgorithm::Ec,
            LocateAlgorithm::Ecdsa => CryptographicAlgorithm::Ecdsa,
            LocateAlgorithm::Ed25519 => CryptographicAlgorithm::Ed25519,
        }
    }
}

/// KMIP key states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum KeyState {
    PreActive,
    Active,
    Deactivated,
    Compromised,
    Destroyed,
    DestroyedCompromised,
}

impl KeyState {
    /// The KMIP State.
    pub fn kmip(self) -> State {
        match self {
            KeyState::PreActive => State::PreActive,
            KeyState::Active => State::Active,
            KeyState::Deactivated => State::Deactivated,
            KeyState::Compromised => State::Compromised,
            KeyState::Destroyed => State::Destroyed,
            KeyState::DestroyedCompromised => State::DestroyedCompromised,
        }
    }
}

/// KMIP object types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ObjectTypeArg {
    SymmetricKey,
    PublicKey,
    PrivateKey,
    Certificate,
    SecretData,
    OpaqueObject,
}

impl ObjectTypeArg {
    /// The KMIP ObjectType.
    pub fn kmip(self) -> ObjectType {
        match self {
            ObjectTypeArg::SymmetricKey => ObjectType::SymmetricKey,
            ObjectTypeArg::PublicKey => ObjectType::PublicKey,
            ObjectTypeArg::PrivateKey => ObjectType::PrivateKey,
            ObjectTypeArg::Certificate => ObjectType::Certificate,
            ObjectTypeArg::SecretData => ObjectType::SecretData,
            ObjectTypeArg::OpaqueObject => ObjectType::OpaqueObject,
        }
    }
}

/// KMIP revocation reasons.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReasonArg {
    Unspecified,
    KeyCompromise,
    CaCompromise,
    AffiliationChanged,
    Superseded,
    CessationOfOperation,
    PrivilegeWithdrawn,
}

impl ReasonArg {
    /// The KMIP RevocationReasonCode.
    pub fn kmip(self) -> RevocationReasonCode {
        match self {
            ReasonArg::Unspecified => RevocationReasonCode::Unspecified,
            ReasonArg::KeyCompromise => RevocationReasonCode::KeyCompromise,
            ReasonArg::CaCompromise => RevocationReasonCode::CaCompromise,
            ReasonArg::AffiliationChanged => RevocationReasonCode::AffiliationChanged,
            ReasonArg::Superseded => RevocationReasonCode::Superseded,
            ReasonArg::CessationOfOperation => RevocationReasonCode::CessationOfOperation,
            ReasonArg::PrivilegeWithdrawn => RevocationReasonCode::PrivilegeWithdrawn,
        }
    }
}

/// `ekms keys revoke`.
#[derive(Debug, Args)]
pub struct KeysRevokeArgs {
    /// Unique identifier of the key
    #[arg(value_name = "ID")]
    pub id: String,
    /// Why the key is revoked (key-compromise marks it Compromised)
    #[arg(long, value_enum, default_value_t = ReasonArg::Unspecified)]
    pub reason: ReasonArg,
    /// Free text stored with the revocation
    #[arg(long)]
    pub message: Option<String>,
}

/// `ekms trust`.
#[derive(Debug, Args)]
pub struct TrustArgs {
    /// Attestation service (Microsoft Azure Attestation's API) [default: the config file's, else https://sharedeus.eus.attest.azure.net]
    #[arg(long, value_name = "URL", conflicts_with = "offline")]
    pub attestation_url: Option<String>,
    /// Trust the attestation service's (or the PCCS's) TLS certificate through this PEM file [default: the config file's, else the public Web PKI roots]
    #[arg(long, value_name = "FILE", conflicts_with = "attestation_pin_sha256")]
    pub attestation_ca: Option<PathBuf>,
    /// Trust only the attestation service's (or the PCCS's) TLS certificate whose DER has this SHA-256
    #[arg(long, value_name = "HEX")]
    pub attestation_pin_sha256: Option<String>,
    /// The mr_enclave of the code you trust (64 hex digits); without it the check is Ko
    #[arg(long, value_name = "HEX")]
    pub mr_enclave: Option<String>,
    /// The mr_signer you trust (64 hex digits); checked only when given
    #[arg(long, value_name = "HEX")]
    pub mr_signer: Option<String>,
    /// The manifest you expect the server to serve; checked only when given
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// Accept emulated evidence (it proves the protocol, never the hardware: tests and demos only)
    #[arg(long)]
    pub allow_emulated: bool,
    /// Accept a debug enclave (the host can read its memory: development only)
    #[arg(long)]
    pub allow_debug: bool,
    /// Accepted TCB statuses, comma-separated (Intel's names: UpToDate, SWHardeningNeeded, ConfigurationNeeded, ConfigurationAndSWHardeningNeeded, OutOfDate, OutOfDateConfigurationNeeded)
    #[arg(long, value_name = "LIST", default_value = "UpToDate")]
    pub tcb_policy: String,
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

/// `ekms enclave ...`.
#[derive(Debug, Subcommand)]
pub enum EnclaveCommand {
    /// mr_signer of an enclave signer key: SHA-256 of its RSA-3072 modulus (little-endian)
    MrSigner(MrSignerArgs),
    /// The emulated mr_enclave of a manifest (ekms's emulation layout, docs/measurement.md)
    Measure(MeasureArgs),
    /// Show a SIGSTRUCT (.sig): mr_enclave, mr_signer, isv_prod_id, isv_svn, attributes, and whether its signature verifies
    Sigstruct(SigstructArgs),
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
}
