//! The CLI configuration file (`~/.config/ekms/ekms.toml` by default).
//!
//! It stores what `ekms register` learned: the server URL, the group secret and how to trust the
//! server certificate (a CA file or a SHA-256 pin; `ekms trust` writes the pin of the certificate
//! it verified), and where the attestation service is and how to trust its certificate. It holds
//! a secret, so it is written with mode 0600 (its directory 0700), atomically (temporary file
//! then rename), and the text read from it is zeroized after parsing.
//!
//! ```toml
//! server_url = "https://127.0.0.1:9998"
//! secret = "<group secret>"
//! pin_sha256 = "<64 hex digits>"   # or: ca = "/path/to/ca.pem"
//! attestation_url = "https://sharedeus.eus.attest.azure.net"
//! attestation_pin_sha256 = "<64 hex digits>"   # or: attestation_ca = "/path/to/ca.pem"
//! bearer_token = "<OpenID Connect JWT>"   # sent as `Authorization: Bearer`
//! client_cert = "/path/to/me.pem"         # TLS client certificate (PEM) ...
//! client_key = "/path/to/me.key"          # ... and its private key (PEM)
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use ekms_client::Secret;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// The settings stored in the config file.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct Config {
    /// Base URL of the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_url: Option<String>,
    /// The group secret (`KmsDatabaseSecret`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<Secret>,
    /// PEM file of the CA (or the server certificate) to trust.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<PathBuf>,
    /// SHA-256 (hex) of the server certificate to trust.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_sha256: Option<String>,
    /// The attestation service `ekms trust` asks (MAA API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation_url: Option<String>,
    /// PEM file of the CA (or certificate) of the attestation service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation_ca: Option<PathBuf>,
    /// SHA-256 (hex) of the attestation service's certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation_pin_sha256: Option<String>,
    /// An OpenID Connect bearer token identifying the user (never printed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_token: Option<Secret>,
    /// PEM file of the TLS client certificate identifying the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_cert: Option<PathBuf>,
    /// PEM file of the private key of `client_cert`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_key: Option<PathBuf>,
}

/// `~/.config/ekms/ekms.toml`.
pub fn default_path() -> Result<PathBuf> {
    let home = dirs::home_dir()
        .context("cannot find the home directory: pass --config FILE or set EKMS_CONFIG")?;
    Ok(home.join(".config").join("ekms").join("ekms.toml"))
}

impl Config {
    /// Reads the file; a missing file is an empty configuration.
    pub fn load(path: &Path) -> Result<Config> {
        let bytes = match std::fs::read(path) {
            Ok(b) => Zeroizing::new(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("cannot read the config file {}", path.display()));
            }
        };
        warn_if_readable_by_others(path);
        let text = std::str::from_utf8(&bytes)
            .with_context(|| format!("the config file {} is not UTF-8", path.display()))?;
        let mut config: Config = toml::from_str(text)
            .with_context(|| format!("the config file {} is not valid", path.display()))?;
        // A relative path is relative to the config file's directory.
        for ca in [
            &mut config.ca,
            &mut config.attestation_ca,
            &mut config.client_cert,
            &mut config.client_key,
        ] {
            if let Some(file) = ca.as_ref()
                && file.is_relative()
                && let Some(dir) = path.parent()
            {
                *ca = Some(dir.join(file));
            }
        }
        Ok(config)
    }

    /// Writes the file atomically with mode 0600, creating its directory (0700) if needed.
    pub fn save(&self, path: &Path) -> Result<()> {
        let dir = ensure_parent_dir(path)?;
        let text =
            Zeroizing::new(toml::to_string(self).context("cannot serialize the configuration")?);
        let mut file = tempfile::Builder::new()
            .prefix(".ekms-config-")
            .tempfile_in(&dir)
            .with_context(|| format!("cannot write in {}", dir.display()))?;
        set_private(file.path())?;
        file.write_all(b"# ekms client configuration: holds the group secret, keep it private\n")
            .and_then(|()| file.write_all(text.as_bytes()))
            .and_then(|()| file.as_file().sync_all())
            .with_context(|| format!("cannot write {}", file.path().display()))?;
        file.persist(path)
            .map_err(|e| e.error)
            .with_context(|| format!("cannot write the config file {}", path.display()))?;
        set_private(path)?;
        Ok(())
    }
}

/// Creates the directory of `path` (mode 0700 for new directories) and returns it.
pub fn ensure_parent_dir(path: &Path) -> Result<PathBuf> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder
            .create(&dir)
            .with_context(|| format!("cannot create the directory {}", dir.display()))?;
    }
    if !dir.is_dir() {
        bail!("{} is not a directory", dir.display());
    }
    Ok(dir)
}

#[cfg(unix)]
fn set_private(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("cannot set the mode of {} to 0600", path.display()))
}

#[cfg(not(unix))]
fn set_private(_path: &Path) -> Result<()> {
    Ok(())
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path) {
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            eprintln!(
                "warning: the config file {} holds the group secret and is readable by others (mode {:o}): run `chmod 600 {}`",
                path.display(),
                mode & 0o777,
                path.display()
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The permission bits of a file or directory.
    #[cfg(unix)]
    fn mode(path: &std::path::Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn missing_file_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let c = Config::load(&dir.path().join("none.toml")).unwrap();
        assert_eq!(c, Config::default());
    }

    #[test]
    fn write_read_round_trip_with_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("deeper").join("ekms.toml");
        let config = Config {
            server_url: Some("https://127.0.0.1:9998".into()),
            secret: Some(Secret::new("tok-en_123".into())),
            ca: None,
            pin_sha256: Some("ab".repeat(32)),
            attestation_url: Some("https://attest.example".into()),
            attestation_ca: None,
            attestation_pin_sha256: Some("cd".repeat(32)),
            bearer_token: Some(Secret::new("eyJ.tok.en".into())),
            client_cert: Some(dir.path().join("me.pem")),
            client_key: Some(dir.path().join("me.key")),
        };
        config.save(&path).unwrap();
        assert_eq!(Config::load(&path).unwrap(), config);
        #[cfg(unix)]
        {
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().unwrap()), 0o700);
        }
        // Overwriting keeps the mode and leaves no temporary file behind.
        let mut changed = config.clone();
        changed.pin_sha256 = None;
        changed.ca = Some(dir.path().join("ca.pem"));
        changed.save(&path).unwrap();
        assert_eq!(Config::load(&path).unwrap(), changed);
        let entries: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(entries.len(), 1);
    }

    #[test]
    fn existing_loose_mode_is_tightened_on_save() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ekms.toml");
        std::fs::write(&path, "server_url = \"https://h:1\"\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let c = Config::load(&path).unwrap();
        c.save(&path).unwrap();
        #[cfg(unix)]
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn relative_ca_is_relative_to_the_config_dir() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ekms.toml");
        std::fs::write(&path, "ca = \"server.pem\"\n").unwrap();
        let c = Config::load(&path).unwrap();
        assert_eq!(c.ca, Some(dir.path().join("server.pem")));
    }

    #[test]
    fn invalid_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ekms.toml");
        std::fs::write(&path, "server_url = [").unwrap();
        assert!(Config::load(&path).is_err());
    }
}
