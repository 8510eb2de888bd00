//! The checks the server makes of the manifest it was started with under Gramine, before it
//! starts: against an operator's mistake (a manifest built for another binary, a debug build, the
//! server's key outside the sealed mount). A hostile host is stopped by the measurement, which
//! clients check, not by these.

use super::manifest::Manifest;
use crate::config::Config;
use anyhow::{Context, bail};
use ekms_crypto::hash;
use std::path::{Path, PathBuf};

/// The key Gramine derives from mr_enclave: a mount sealed with it opens only in this enclave.
pub const SEAL_KEY_NAME: &str = "_sgx_mrenclave";

/// One `fs.mounts` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    pub path: PathBuf,
    /// `type`: `chroot` when absent, as Gramine reads it.
    pub kind: String,
    pub key_name: Option<String>,
}

impl Mount {
    /// Whether what is written under this mount is sealed to mr_enclave.
    pub fn sealed_to_enclave(&self) -> bool {
        self.kind == "encrypted" && self.key_name.as_deref() == Some(SEAL_KEY_NAME)
    }
}

/// The `fs.mounts` of a manifest, in order.
pub fn mounts(doc: &toml::Table) -> anyhow::Result<Vec<Mount>> {
    let Some(list) = doc
        .get("fs")
        .and_then(|fs| fs.as_table())
        .and_then(|fs| fs.get("mounts"))
    else {
        return Ok(Vec::new());
    };
    let list = list.as_array().context("fs.mounts must be an array")?;
    let mut out = Vec::new();
    for item in list {
        let t = item
            .as_table()
            .context("each fs.mounts entry must be { path = ..., uri = ... }")?;
        let text = |key: &str| t.get(key).and_then(|v| v.as_str()).map(String::from);
        let path = text("path").context("an fs.mounts entry has no path")?;
        out.push(Mount {
            path: PathBuf::from(path),
            kind: text("type").unwrap_or_else(|| "chroot".to_string()),
            key_name: text("key_name"),
        });
    }
    Ok(out)
}

/// The mount `path` is on: the one with the longest path containing it (the last such when two
/// are equal, as a later mount covers an earlier one).
pub fn mount_of<'a>(mounts: &'a [Mount], path: &Path) -> Option<&'a Mount> {
    mounts
        .iter()
        .filter(|m| path.starts_with(&m.path))
        .max_by_key(|m| m.path.components().count())
}

/// Refuses to start, naming the setting, when the manifest runs another binary than this one,
/// says `sgx.debug = true` without `--allow-debug-enclave`, or leaves the key directory off a
/// mount sealed to mr_enclave.
pub fn check(manifest: &Manifest, config: &Config, binary_sha256: &[u8; 32]) -> anyhow::Result<()> {
    let doc: toml::Table = manifest
        .text
        .parse()
        .context("the manifest is not valid TOML")?;
    let entrypoint = doc
        .get("libos")
        .and_then(|l| l.get("entrypoint"))
        .and_then(|e| e.as_str())
        .context("the manifest has no libos.entrypoint: it must name the ekms-server binary")?;
    let uri = format!("file:{entrypoint}");
    let Some((_, listed)) = manifest.trusted_files.iter().find(|(u, _)| *u == uri) else {
        bail!(
            "libos.entrypoint {entrypoint} is not in sgx.trusted_files with its sha256: give the signed manifest (.manifest.sgx); refusing to start"
        );
    };
    let running = hex::encode(binary_sha256);
    if !hash::ct_eq(listed.as_bytes(), running.as_bytes()) {
        bail!(
            "sgx.trusted_files gives libos.entrypoint {entrypoint} the sha256 {listed}, but the running binary's is {running}: the manifest was built for another ekms-server; rebuild and sign it for this binary; refusing to start"
        );
    }
    if manifest.debug && !config.allow_debug_enclave {
        bail!(
            "the manifest says sgx.debug = true: the host can read a debug enclave's memory, so it must never hold real keys; render it with debug=0, or set allow_debug_enclave = true (--allow-debug-enclave) to start it anyway; refusing to start"
        );
    }
    let key_dir = config.key_dir();
    let all = mounts(&doc)?;
    match mount_of(&all, &key_dir) {
        Some(m) if m.sealed_to_enclave() => Ok(()),
        found => bail!(
            "the key directory {} (--key-dir, EKMS_KEY_DIR) is {} in fs.mounts, not on a mount of type = \"encrypted\" with key_name = \"{SEAL_KEY_NAME}\": the TLS key would not be sealed to this enclave; add {{ path = \"{}\", uri = \"file:{}\", type = \"encrypted\", key_name = \"{SEAL_KEY_NAME}\" }} to fs.mounts; refusing to start",
            key_dir.display(),
            match found {
                Some(m) => format!("on the {} mount {}", m.kind, m.path.display()),
                None => "on no mount".to_string(),
            },
            key_dir.display(),
            key_dir.display()
        ),
    }
}
