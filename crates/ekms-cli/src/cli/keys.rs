//! Arguments of the key commands: `ekms sym`, `ekms keys`, `ekms rsa` and `ekms ec`.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use ekms_kmip::enums::{CryptographicAlgorithm, ObjectType, RevocationReasonCode, State};

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
    #[arg(long, value_enum, ignore_case = true, default_value_t = SymAlgorithm::Aes)]
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
    /// Encrypted file to write, only when encryption succeeded (`-`: standard output) [default:
    /// standard output when it is not a terminal, else IN.ekms]
    #[arg(long, short = 'o', value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Replace OUT if it exists
    #[arg(long)]
    pub force: bool,
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
    /// standard output, with a non-zero exit status if decryption fails part way) [default:
    /// standard output when it is not a terminal, else IN without its `.ekms`]
    #[arg(long, short = 'o', value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Replace OUT if it exists
    #[arg(long)]
    pub force: bool,
    /// Decrypt a stream locally: the server only unwraps its data key and never sees the data
    #[arg(long)]
    pub client_side: bool,
}

/// `ekms keys ...`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Show the attributes of a key (with --export FILE, also write its raw key bytes)
    Get(KeysGetArgs),
    /// Find keys by attributes; prints a table: identifier, name, type, algorithm, state, dates
    Locate(KeysLocateArgs),
    /// Activate a PreActive key
    Activate(KeyIdArgs),
    /// Revoke a key: it no longer encrypts (decryption of old data still works)
    Revoke(KeysRevokeArgs),
    /// Destroy a key's material (an Active key must be revoked first)
    Destroy(KeyIdArgs),
    /// Register a key file (PEM, DER, PKCS#8, raw) on the server; prints its identifier
    Import(KeysImportArgs),
    /// Write a key to a file (PEM, DER, PKCS#8, PKCS#1, SPKI, raw), optionally wrapped
    Export(KeysExportArgs),
    /// Replace a symmetric key with fresh material; prints the new identifier
    Rekey(KeyIdArgs),
    /// Write a key wrapped under another key, for `ekms keys unwrap`
    Wrap(KeysWrapArgs),
    /// Import a key written by `ekms keys wrap`, unwrapped by the server; prints its identifier
    Unwrap(KeysUnwrapArgs),
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
    #[arg(long, value_enum, ignore_case = true)]
    pub algorithm: Option<LocateAlgorithm>,
    /// Life-cycle state, in any case
    #[arg(long, value_enum, ignore_case = true)]
    pub state: Option<KeyState>,
    /// Object type
    #[arg(long, value_enum, ignore_case = true)]
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
    // The aliases accept KMIP's spelling (`PreActive`) as well as clap's (`pre-active`).
    #[value(alias = "preactive")]
    PreActive,
    Active,
    Deactivated,
    Compromised,
    Destroyed,
    #[value(alias = "destroyedcompromised")]
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
    #[arg(long, value_enum, ignore_case = true, default_value_t = ReasonArg::Unspecified)]
    pub reason: ReasonArg,
    /// Free text stored with the revocation
    #[arg(long)]
    pub message: Option<String>,
}

/// `ekms rsa ...`.
#[derive(Debug, Subcommand)]
pub enum RsaCommand {
    /// RSA key pairs
    #[command(subcommand)]
    Keys(RsaKeysCommand),
}

/// `ekms rsa keys ...`.
#[derive(Debug, Subcommand)]
pub enum RsaKeysCommand {
    /// Create an RSA key pair (Active); prints the private and public key identifiers
    Create(RsaCreateArgs),
}

/// `ekms rsa keys create`.
#[derive(Debug, Args)]
pub struct RsaCreateArgs {
    /// Modulus size in bits: 2048, 3072 or 4096
    #[arg(long, default_value_t = 2048)]
    pub bits: u32,
    /// Name of the keys (searchable with `ekms keys locate --name`)
    #[arg(long)]
    pub name: Option<String>,
}

/// `ekms ec ...`.
#[derive(Debug, Subcommand)]
pub enum EcCommand {
    /// Elliptic-curve key pairs
    #[command(subcommand)]
    Keys(EcKeysCommand),
}

/// `ekms ec keys ...`.
#[derive(Debug, Subcommand)]
pub enum EcKeysCommand {
    /// Create an EC or Ed25519 key pair (Active); prints the private and public key identifiers
    Create(EcCreateArgs),
}

/// Curves of `ekms ec keys create`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Curve {
    P256,
    P384,
    P521,
    Ed25519,
}

/// `ekms ec keys create`.
#[derive(Debug, Args)]
pub struct EcCreateArgs {
    /// Curve of the key pair
    #[arg(long, value_enum, ignore_case = true, default_value_t = Curve::P256)]
    pub curve: Curve,
    /// Name of the keys (searchable with `ekms keys locate --name`)
    #[arg(long)]
    pub name: Option<String>,
}

/// Encodings of a key file read by `keys import`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    /// PEM text (PKCS#8, PKCS#1, SEC1, SubjectPublicKeyInfo or a certificate)
    Pem,
    /// DER bytes (PKCS#8, PKCS#1, SEC1, SubjectPublicKeyInfo or a certificate)
    Der,
    /// PKCS#8 DER or PEM
    Pkcs8,
    /// Raw bytes (symmetric key material)
    Raw,
}

/// Object types of `keys import`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ImportType {
    Symmetric,
    Private,
    Public,
    Certificate,
}

/// Algorithms of an imported symmetric key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ImportAlgorithm {
    Aes,
    Chacha20,
    HmacSha1,
    HmacSha256,
    HmacSha384,
    HmacSha512,
}

impl ImportAlgorithm {
    pub fn kmip(self) -> CryptographicAlgorithm {
        match self {
            ImportAlgorithm::Aes => CryptographicAlgorithm::Aes,
            ImportAlgorithm::Chacha20 => CryptographicAlgorithm::ChaCha20,
            ImportAlgorithm::HmacSha1 => CryptographicAlgorithm::HmacSha1,
            ImportAlgorithm::HmacSha256 => CryptographicAlgorithm::HmacSha256,
            ImportAlgorithm::HmacSha384 => CryptographicAlgorithm::HmacSha384,
            ImportAlgorithm::HmacSha512 => CryptographicAlgorithm::HmacSha512,
        }
    }
}

/// `ekms keys import`.
#[derive(Debug, Args)]
pub struct KeysImportArgs {
    /// Key file to register on the server
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Encoding of the file [default: PEM if it looks like PEM, else DER; raw for symmetric keys]
    #[arg(long, value_enum, ignore_case = true)]
    pub format: Option<ImportFormat>,
    /// Kind of object [default: private if the file parses as a private key, else public]
    #[arg(long = "type", value_enum, ignore_case = true)]
    pub object_type: Option<ImportType>,
    /// Algorithm of a symmetric key (asymmetric keys carry theirs)
    #[arg(long, value_enum, ignore_case = true)]
    pub algorithm: Option<ImportAlgorithm>,
    /// Name of the key
    #[arg(long)]
    pub name: Option<String>,
    /// Leave the key PreActive
    #[arg(long)]
    pub no_activate: bool,
}

/// Formats of `keys export`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// PEM: PKCS#8 for private keys, SubjectPublicKeyInfo for public keys
    Pem,
    /// DER: PKCS#8 for private keys, SubjectPublicKeyInfo for public keys
    Der,
    /// PKCS#8 private key (PEM unless --der)
    Pkcs8,
    /// PKCS#1 RSA key (PEM unless --der)
    Pkcs1,
    /// SubjectPublicKeyInfo public key (PEM unless --der)
    Spki,
    /// Raw bytes: symmetric key material, EC point, Ed25519 key
    Raw,
}

/// `ekms keys export`.
#[derive(Debug, Args)]
pub struct KeysExportArgs {
    /// Unique identifier of the key
    #[arg(value_name = "ID")]
    pub id: String,
    /// File to write (mode 0600)
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
    /// Key format [default: pem for asymmetric keys, raw for symmetric keys]
    #[arg(long, value_enum, ignore_case = true)]
    pub format: Option<ExportFormat>,
    /// Write DER instead of PEM for pkcs8, pkcs1 and spki
    #[arg(long)]
    pub der: bool,
    /// Wrap the key under this key (writes the wrapped key bytes)
    #[arg(long, value_name = "ID")]
    pub wrap_key: Option<String>,
}

/// `ekms keys wrap`.
#[derive(Debug, Args)]
pub struct KeysWrapArgs {
    /// Unique identifier of the key to wrap
    #[arg(value_name = "ID")]
    pub id: String,
    /// The wrapping key (AES: AES-KW/KWP; RSA public key: OAEP)
    #[arg(long, value_name = "KEK")]
    pub wrap_key: String,
    /// File to write: the wrapped key object (JSON TTLV), for `ekms keys unwrap`
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
}

/// `ekms keys unwrap`.
#[derive(Debug, Args)]
pub struct KeysUnwrapArgs {
    /// File written by `ekms keys wrap`
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The key that wrapped it (an AES key, or the RSA private key for an RSA-wrapped key)
    #[arg(long, value_name = "KEK")]
    pub wrap_key: String,
    /// Name of the imported key
    #[arg(long)]
    pub name: Option<String>,
}
