//! The enclave this server runs in: its identity (mode, manifest, mr_enclave, mr_signer,
//! product id, svn, debug), its sealing secret, and where its quotes come from.
//!
//! Emulation and real SGX share everything but the sources: in emulation the platform dir
//! plays the CPU (sealing secret, signer key, quoting enclave) and mr_enclave is measured over
//! the manifest, which states the measured settings (config::SETTINGS); under Gramine, the
//! quote, the sealing key and the measurement come from `/dev/attestation` and the SIGSTRUCT.
//! Either way a given manifest must state the measured settings the server runs with, and both
//! come from one template (`template`); under Gramine the server also checks its manifest for
//! an operator's mistakes before it starts (`selfcheck`).

pub mod manifest;
pub mod selfcheck;
pub mod template;

use crate::config::{Config, QuoteSource as QuoteSourceKind};
use anyhow::{Context, bail};
use ekms_attest::{EmulatedSource, EnclaveIdentity, GramineSource, QuoteSource};
use ekms_crypto::SecretBytes;
use manifest::Manifest;
use std::path::Path;

/// The enclave's identity and capabilities, fixed at start.
pub struct Enclave {
    /// "emulated" or "sgx".
    pub mode: &'static str,
    pub manifest: Manifest,
    pub mr_enclave: [u8; 32],
    pub mr_signer: [u8; 32],
    pub isv_prod_id: u16,
    pub isv_svn: u16,
    pub debug: bool,
    /// PEM of the enclave signer's public key (its modulus gives mr_signer).
    pub signer_public_key_pem: String,
    /// PEM of the TLS certificate, filled in once the identity is unsealed.
    pub cert_pem: String,
    pub source: Box<dyn QuoteSource>,
    sealing_secret: SecretBytes,
}

impl Enclave {
    /// Builds the enclave identity from the settings.
    pub fn start(config: &Config) -> anyhow::Result<Self> {
        let binary_sha256 = crate::platform::binary_measurement()?;
        match config.quote_source {
            QuoteSourceKind::Emulated => Self::emulated(config, &binary_sha256),
            QuoteSourceKind::Gramine => Self::gramine(config, &binary_sha256),
        }
    }

    fn emulated(config: &Config, binary_sha256: &[u8; 32]) -> anyhow::Result<Self> {
        crate::platform::ensure_outside(&config.emulated_platform_dir, &config.data_dir)?;
        let platform =
            ekms_attest::emulated::EmulatedPlatform::open_or_create(&config.emulated_platform_dir)
                .with_context(|| {
                    format!(
                        "cannot open the emulated platform in {}",
                        config.emulated_platform_dir.display()
                    )
                })?;
        let manifest = match &config.manifest {
            Some(path) => checked_manifest(path, binary_sha256, config)?,
            None => Manifest::generate(binary_sha256, &config.measured()?)?,
        };
        let mr_enclave = manifest.emulated_mr_enclave()?;
        let mr_signer = platform.mr_signer();
        let signer_public_key_pem = platform.signer_public_key_pem().to_string();
        let sealing_secret = SecretBytes::new(platform.sealing_secret().to_vec());
        let source = EmulatedSource::new(
            std::sync::Arc::new(platform),
            EnclaveIdentity {
                mr_enclave,
                mr_signer,
                attributes: EnclaveIdentity::attributes_for(manifest.debug),
                isv_prod_id: manifest.isv_prod_id,
                isv_svn: manifest.isv_svn,
            },
        );
        Ok(Self {
            mode: "emulated",
            mr_enclave,
            mr_signer,
            isv_prod_id: manifest.isv_prod_id,
            isv_svn: manifest.isv_svn,
            debug: manifest.debug,
            manifest,
            signer_public_key_pem,
            cert_pem: String::new(),
            source: Box::new(source),
            sealing_secret,
        })
    }

    fn gramine(config: &Config, binary_sha256: &[u8; 32]) -> anyhow::Result<Self> {
        let Some(manifest_path) = &config.manifest else {
            bail!(
                "--quote-source gramine needs --manifest: the signed manifest (.manifest.sgx) the enclave was built from"
            );
        };
        // The operator's mistakes first, each naming its setting (selfcheck.rs).
        let text = std::fs::read_to_string(manifest_path)
            .with_context(|| format!("cannot read the manifest {}", manifest_path.display()))?;
        let parsed = Manifest::parse(text)
            .with_context(|| format!("the manifest {} is not usable", manifest_path.display()))?;
        selfcheck::check(&parsed, config, binary_sha256).with_context(|| {
            format!(
                "the manifest {} does not fit this server",
                manifest_path.display()
            )
        })?;
        // Gramine itself refuses to open a trusted file whose content changed, and its own
        // files are not at their host paths inside the enclave: no rehashing here, only the
        // settings (the entrypoint's hash was checked above).
        let manifest = stating_settings(parsed, manifest_path, config)?;
        let root = &config.gramine_root;
        let source = GramineSource::new(root.clone());
        // The CPU's view of this enclave: a report for zero report data.
        let quote = source
            .quote(&[0u8; 64])
            .context("cannot obtain a quote from Gramine's /dev/attestation")?;
        let parsed = ekms_attest::Quote::parse(&quote)
            .map_err(|e| anyhow::anyhow!("Gramine returned a malformed quote: {e}"))?;
        let body = &parsed.report_body;
        let sig_path = sigstruct_path(manifest_path);
        let sig_bytes = std::fs::read(&sig_path).with_context(|| {
            format!(
                "cannot read the SIGSTRUCT {} next to the manifest",
                sig_path.display()
            )
        })?;
        let sig = ekms_attest::Sigstruct::parse(&sig_bytes)
            .map_err(|e| anyhow::anyhow!("{} is not a SIGSTRUCT: {e}", sig_path.display()))?;
        if sig.mr_enclave() != body.mr_enclave {
            bail!(
                "the SIGSTRUCT {} does not describe this enclave (its mr_enclave differs from the CPU's)",
                sig_path.display()
            );
        }
        let signer_public_key_pem = sig.public_key_pem();
        let sealing_secret = SecretBytes::new(
            std::fs::read(root.join("dev/attestation/keys/_sgx_mrenclave")).context(
                "cannot read Gramine's sealing key /dev/attestation/keys/_sgx_mrenclave",
            )?,
        );
        Ok(Self {
            mode: "sgx",
            mr_enclave: body.mr_enclave,
            mr_signer: body.mr_signer,
            isv_prod_id: body.isv_prod_id,
            isv_svn: body.isv_svn,
            debug: body.is_debug(),
            manifest,
            signer_public_key_pem,
            cert_pem: String::new(),
            source: Box::new(source),
            sealing_secret,
        })
    }

    /// The secret sealing keys are derived from (bound to this platform and, through the
    /// derivation, to mr_enclave).
    pub fn sealing_secret(&self) -> &[u8] {
        &self.sealing_secret
    }

    /// The measurement block printed at start (docs/server.md).
    pub fn measurement_block(&self) -> String {
        ekms_attest::MeasurementBlock {
            mode: self.mode,
            mr_enclave: self.mr_enclave,
            mr_signer: self.mr_signer,
            isv_prod_id: self.isv_prod_id,
            isv_svn: self.isv_svn,
            debug: self.debug,
        }
        .to_string()
    }
}

/// Loads a given manifest, checks its trusted files and that it states the measured settings
/// this server runs with.
fn checked_manifest(
    path: &Path,
    binary_sha256: &[u8; 32],
    config: &Config,
) -> anyhow::Result<Manifest> {
    stating_settings(Manifest::load_and_check(path, binary_sha256)?, path, config)
}

/// `manifest`, read from `path`, if it states the measured settings this server runs with.
fn stating_settings(manifest: Manifest, path: &Path, config: &Config) -> anyhow::Result<Manifest> {
    manifest
        .check_settings(path.parent().unwrap_or(Path::new(".")), config)
        .with_context(|| {
            format!(
                "the manifest {} does not describe this server",
                path.display()
            )
        })?;
    Ok(manifest)
}

/// Gramine names the SIGSTRUCT `<app>.sig` beside `<app>.manifest.sgx`.
fn sigstruct_path(manifest: &Path) -> std::path::PathBuf {
    let name = manifest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name
        .strip_suffix(".manifest.sgx")
        .or_else(|| name.strip_suffix(".manifest"))
        .unwrap_or(&name);
    manifest.with_file_name(format!("{stem}.sig"))
}
