//! Quote sources: where the server gets a DCAP quote for 64 bytes of report data.
//!
//! This module owns the [`QuoteSource`] trait and its two implementations (`--quote-source`,
//! docs/server.md):
//!
//! * [`GramineSource`] (`gramine`): inside a Gramine SGX enclave, write the report data to
//!   `<root>/dev/attestation/user_report_data` and read the quote Intel's quoting enclave made
//!   from `<root>/dev/attestation/quote`. `root` is `/` in a real enclave; tests point it at a
//!   directory standing in for Gramine's pseudo-files.
//! * [`EmulatedSource`] (`emulated`): the emulated quoting enclave of an
//!   [`EmulatedPlatform`] for a given [`EnclaveIdentity`]; its quotes chain to the published
//!   emulated root and prove the protocol, never the hardware.
//!
//! Both return raw quote bytes checked to parse as a DCAP v3 quote carrying the requested
//! report data.

use std::fs;
use std::io::{ErrorKind, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use thiserror::Error;

use crate::emulated::{EmulatedError, EmulatedPlatform, EnclaveIdentity};
use crate::layout::LayoutError;
use crate::quote::Quote;

/// Something that produces SGX quotes binding 64 bytes of report data.
pub trait QuoteSource: Send + Sync {
    /// A DCAP quote whose enclave report carries `report_data`.
    fn quote(&self, report_data: &[u8; 64]) -> Result<Vec<u8>, SourceError>;

    /// The source's name, as `--quote-source` spells it: `gramine` or `emulated`.
    fn kind(&self) -> &'static str;
}

/// Why no quote could be produced.
#[derive(Debug, Error)]
pub enum SourceError {
    /// Reading or writing an attestation file failed.
    #[error("{what} {}: {source}", path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// No quote can be had here (not in a Gramine enclave, or remote attestation disabled).
    #[error("no SGX quote is available: {0}")]
    Unavailable(String),
    /// The quote read is not a well-formed DCAP v3 quote.
    #[error("the quote is malformed: {0}")]
    Malformed(#[from] LayoutError),
    /// The quote does not carry the report data that was asked for.
    #[error("the quote does not carry the requested report data")]
    ReportDataMismatch,
    /// The emulated quoting enclave failed.
    #[error(transparent)]
    Emulated(#[from] EmulatedError),
}

/// A quote must parse and carry `report_data`.
fn checked(bytes: Vec<u8>, report_data: &[u8; 64]) -> Result<Vec<u8>, SourceError> {
    let quote = Quote::parse(&bytes)?;
    if &quote.report_body.report_data != report_data {
        return Err(SourceError::ReportDataMismatch);
    }
    Ok(bytes)
}

/// Largest quote read from Gramine (a quote is about 5 KB).
const MAX_QUOTE_LEN: u64 = 1 << 20;

/// Gramine's `/dev/attestation` files are per process: one write-then-read at a time.
static GRAMINE_ATTESTATION: Mutex<()> = Mutex::new(());

/// Quotes from Gramine's `/dev/attestation` interface (Gramine with
/// `sgx.remote_attestation = "dcap"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GramineSource {
    /// The directory `dev/attestation/` is found under: `/` in a real enclave.
    pub root: PathBuf,
}

impl GramineSource {
    /// A source reading `<root>/dev/attestation/`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The source of a real enclave (root `/`).
    pub fn in_enclave() -> Self {
        Self::new("/")
    }

    fn attestation_dir(&self) -> PathBuf {
        self.root.join("dev/attestation")
    }

    /// `<root>/dev/attestation/user_report_data`.
    pub fn user_report_data_path(&self) -> PathBuf {
        self.attestation_dir().join("user_report_data")
    }

    /// `<root>/dev/attestation/quote`.
    pub fn quote_path(&self) -> PathBuf {
        self.attestation_dir().join("quote")
    }

    /// `<root>/dev/attestation/attestation_type` (`dcap` when quotes are available).
    pub fn attestation_type_path(&self) -> PathBuf {
        self.attestation_dir().join("attestation_type")
    }

    fn check_available(&self) -> Result<(), SourceError> {
        let dir = self.attestation_dir();
        if !dir.is_dir() {
            return Err(SourceError::Unavailable(format!(
                "{} does not exist (not running in a Gramine SGX enclave?)",
                dir.display()
            )));
        }
        let path = self.attestation_type_path();
        match fs::read_to_string(&path) {
            Ok(kind) if kind.trim() == "dcap" => Ok(()),
            Ok(kind) => Err(SourceError::Unavailable(format!(
                "Gramine attestation type is {:?}, not \"dcap\" (set sgx.remote_attestation = \"dcap\" in the manifest)",
                kind.trim()
            ))),
            // Older Gramine versions have no attestation_type file.
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(source) => Err(SourceError::Io {
                what: "cannot read",
                path,
                source,
            }),
        }
    }
}

fn write_report_data(path: &Path, report_data: &[u8; 64]) -> Result<(), SourceError> {
    let io = |source| SourceError::Io {
        what: "cannot write",
        path: path.to_path_buf(),
        source,
    };
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(io)?;
    file.write_all(report_data).map_err(io)?;
    file.flush().map_err(io)
}

fn read_quote(path: &Path) -> Result<Vec<u8>, SourceError> {
    let io = |source| SourceError::Io {
        what: "cannot read",
        path: path.to_path_buf(),
        source,
    };
    let file = fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(MAX_QUOTE_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_QUOTE_LEN {
        return Err(SourceError::Unavailable(format!(
            "{} is larger than {MAX_QUOTE_LEN} bytes",
            path.display()
        )));
    }
    Ok(bytes)
}

impl QuoteSource for GramineSource {
    fn quote(&self, report_data: &[u8; 64]) -> Result<Vec<u8>, SourceError> {
        self.check_available()?;
        let _guard = GRAMINE_ATTESTATION
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        write_report_data(&self.user_report_data_path(), report_data)?;
        let bytes = read_quote(&self.quote_path())?;
        checked(bytes, report_data)
    }

    fn kind(&self) -> &'static str {
        "gramine"
    }
}

/// Quotes from the emulated quoting enclave of an [`EmulatedPlatform`], for one enclave
/// identity. They verify only with the emulated root trusted and emulated evidence allowed.
#[derive(Debug, Clone)]
pub struct EmulatedSource {
    platform: Arc<EmulatedPlatform>,
    identity: EnclaveIdentity,
}

impl EmulatedSource {
    /// The emulated QE of `platform`, reporting an enclave of identity `identity`.
    pub fn new(platform: Arc<EmulatedPlatform>, identity: EnclaveIdentity) -> Self {
        Self { platform, identity }
    }

    /// The platform.
    pub fn platform(&self) -> &Arc<EmulatedPlatform> {
        &self.platform
    }

    /// The enclave identity the quotes report.
    pub fn identity(&self) -> &EnclaveIdentity {
        &self.identity
    }
}

impl QuoteSource for EmulatedSource {
    fn quote(&self, report_data: &[u8; 64]) -> Result<Vec<u8>, SourceError> {
        let bytes = self.platform.quote(&self.identity, report_data)?;
        checked(bytes, report_data)
    }

    fn kind(&self) -> &'static str {
        "emulated"
    }
}
