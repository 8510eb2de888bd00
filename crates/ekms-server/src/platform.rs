//! Host-side helpers of start-up: the binary's hash, private directories and files written
//! atomically, and the rule that the emulated platform dir lives outside the data dir (so that
//! copying the data dir elsewhere does not carry the means to unseal it).

use anyhow::{Context, bail};
use ekms_crypto::hash;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// SHA-256 of the running server binary: the first trusted file of the manifest.
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

/// Refuses a platform dir inside the data dir (or the reverse): the platform secrets must
/// not travel with the data.
pub fn ensure_outside(platform: &Path, data: &Path) -> anyhow::Result<()> {
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

/// Makes every regular file directly in `dir` owner-only (0600), for files that older
/// releases created readable by others. Symbolic links are left alone.
pub fn restrict_files(dir: &Path) -> anyhow::Result<()> {
    let mut fixed = 0usize;
    for entry in fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let entry = entry?;
        let meta = entry.metadata()?;
        if meta.is_file() && meta.permissions().mode() & 0o077 != 0 {
            fs::set_permissions(entry.path(), fs::Permissions::from_mode(0o600))
                .with_context(|| format!("cannot restrict {}", entry.path().display()))?;
            fixed += 1;
        }
    }
    if fixed > 0 {
        tracing::warn!(files = fixed, dir = %dir.display(), "made group files owner-only (0600)");
    }
    Ok(())
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
    fn platform_inside_data_dir_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("data");
        let err = ensure_outside(&d.join("platform"), &d).unwrap_err();
        assert!(err.to_string().contains("must not be inside the data dir"));
        let err = ensure_outside(dir.path(), &d).unwrap_err();
        assert!(err.to_string().contains("must not be inside the data dir"));
        ensure_outside(&dir.path().join("platform"), &d).unwrap();
    }

    #[test]
    fn private_file_is_written_atomically_with_mode_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        write_private_file(&p, b"one").unwrap();
        write_private_file(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert!(!p.with_extension("tmp").exists());
    }
}
