//! The emulated SGX platform: the per-machine secrets a real CPU would hold in fuses.
//!
//! They live in `--emulated-platform-dir`, never inside the data dir, so that copying the
//! data dir elsewhere does not carry the means to unseal it. Created at first start with
//! owner-only permissions.

use anyhow::{Context, bail};
use ekms_crypto::{SecretBytes, hash, rand};
use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

const SEALING_SECRET_FILE: &str = "sealing_secret";

/// The emulated platform's secrets.
pub struct Platform {
    sealing_secret: SecretBytes,
}

impl Platform {
    /// Opens the platform dir, creating it and its secrets at first use.
    pub fn open_or_create(dir: &Path, data_dir: &Path) -> anyhow::Result<Self> {
        ensure_outside(dir, data_dir)?;
        create_private_dir(dir)?;
        let path = dir.join(SEALING_SECRET_FILE);
        let sealing_secret = match fs::read(&path) {
            Ok(bytes) if bytes.len() == 32 => SecretBytes::new(bytes),
            Ok(_) => bail!(
                "{} is damaged (expected 32 bytes); restore it from a backup or remove the platform dir to start a new platform (sealed files become unreadable)",
                path.display()
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let secret = rand::secret(32)?;
                write_private_file(&path, &secret)?;
                secret
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        Ok(Self { sealing_secret })
    }

    /// The secret that sealing keys are derived from.
    pub fn sealing_secret(&self) -> &[u8] {
        &self.sealing_secret
    }
}

/// The measurement of the running code. Until attestation measures a manifest, it is the
/// SHA-256 of the server binary, so a changed binary cannot unseal the old files.
pub fn binary_measurement() -> anyhow::Result<[u8; 32]> {
    let exe = std::env::current_exe().context("cannot locate the server binary")?;
    let bytes = fs::read(&exe).with_context(|| format!("cannot read {}", exe.display()))?;
    Ok(hash::sha256(&bytes))
}

fn absolute(p: &Path) -> anyhow::Result<PathBuf> {
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()?.join(p)
    };
    // Resolve what exists so that symlinks and `..` cannot hide nesting.
    let mut existing = abs.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_owned());
                existing = parent.to_path_buf();
            }
            _ => break,
        }
    }
    let mut out = existing.canonicalize().unwrap_or(existing);
    for name in rest.into_iter().rev() {
        out.push(name);
    }
    Ok(out)
}

fn ensure_outside(platform: &Path, data: &Path) -> anyhow::Result<()> {
    let (p, d) = (absolute(platform)?, absolute(data)?);
    if p.starts_with(&d) || d.starts_with(&p) {
        bail!(
            "the emulated platform dir {} must not be inside the data dir {} (or contain it): the platform secrets would travel with the data",
            p.display(),
            d.display()
        );
    }
    Ok(())
}

/// Creates `dir` (and parents) with mode 0700 if missing.
pub fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))
}

/// Writes `bytes` to `path` atomically (temporary file, fsync, rename) with mode 0600.
pub fn write_private_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    if let Some(parent) = path.parent() {
        fs::File::open(parent)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_is_created_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("platform");
        let d = dir.path().join("data");
        let a = Platform::open_or_create(&p, &d).unwrap();
        let b = Platform::open_or_create(&p, &d).unwrap();
        assert_eq!(a.sealing_secret(), b.sealing_secret());
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(p.join(SEALING_SECRET_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn platform_inside_data_dir_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("data");
        let err = Platform::open_or_create(&d.join("platform"), &d)
            .err()
            .unwrap();
        assert!(err.to_string().contains("must not be inside the data dir"));
    }
}
