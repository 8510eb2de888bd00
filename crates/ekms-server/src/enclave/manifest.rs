//! The enclave manifest (Gramine TOML) the server runs under, and its emulated measurement.
//!
//! Without `--manifest`, emulation renders the Gramine template (`template.rs`) for the running
//! binary and the measured settings: the binary is the first trusted file, with its SHA-256;
//! each measured setting is a `loader.env` entry with its effective value, and each file a
//! measured setting names (a client CA, a JWKS file) is a trusted file with its SHA-256. With `--manifest`, every trusted
//! file is hashed and the server refuses to start on any difference, the first trusted file
//! must be the running binary, and the measured settings the server runs with must be the ones
//! the manifest states ([`Manifest::check_settings`]). mr_enclave in emulation is measured over
//! the manifest's exact bytes (docs/measurement.md), so a different binary, or a different
//! measured setting, gives a different mr_enclave.

use crate::config::{Config, MeasuredSetting};
use anyhow::{Context, bail};
use ekms_attest::measurement::{EmulatedEnclaveLayout, emulated_mr_enclave};
use ekms_crypto::hash;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where the binary is in the enclave (and in the container image): `libos.entrypoint`.
pub const ENTRYPOINT: &str = "/ekms/ekms-server";
/// The library directory of the distribution the image is built on (Ubuntu 22.04).
const ARCH_LIBDIR: &str = "/lib/x86_64-linux-gnu";

/// A manifest and the enclave settings read from it.
#[derive(Clone, Debug)]
pub struct Manifest {
    /// The exact bytes, as served by `GET /manifest` and measured.
    pub text: String,
    pub enclave_size: u64,
    pub isv_prod_id: u16,
    pub isv_svn: u16,
    pub debug: bool,
    /// `(uri, sha256 hex)` of each trusted file with a hash, the server binary first.
    pub trusted_files: Vec<(String, String)>,
    /// The trusted files listed without a hash: Gramine's libraries in the emulated manifest
    /// (no Gramine runtime to hash in emulation); `gramine-sgx-sign` hashes them for an enclave.
    pub unhashed_files: Vec<String>,
}

impl Manifest {
    /// The manifest emulation generates for the running binary, whose SHA-256 is
    /// `binary_sha256`, and the measured `settings` (docs/measurement.md). Files named by
    /// measured settings are read here and listed as trusted files with their SHA-256.
    pub fn generate(
        binary_sha256: &[u8; 32],
        settings: &[MeasuredSetting],
    ) -> anyhow::Result<Self> {
        use minijinja::value::Value;
        let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
        let mut env = Vec::new();
        let mut files = Vec::new();
        let mut data_dir = "./ekms-data".to_string();
        let mut key_dir = None;
        for s in settings {
            let Some(value) = &s.value else { continue };
            env.push(vec![s.env.clone(), quote(value)]);
            match s.id {
                "data_dir" => data_dir = value.clone(),
                "key_dir" => key_dir = Some(value.clone()),
                _ => {}
            }
            if let Some(file) = &s.file {
                let bytes = std::fs::read(file).with_context(|| {
                    format!("cannot read {} {} to measure it", s.flag, file.display())
                })?;
                files.push(vec![value.clone(), hex::encode(hash::sha256(&bytes))]);
            }
        }
        let key_dir = key_dir.unwrap_or_else(|| data_dir.clone());
        let vars = BTreeMap::from([
            ("entrypoint", Value::from(ENTRYPOINT)),
            ("arch_libdir", Value::from(ARCH_LIBDIR)),
            ("debug", Value::from("0")),
            ("data_dir", Value::from(data_dir)),
            ("key_dir", Value::from(key_dir)),
            // Not measured, so not in the emulated manifest: it would tie mr_enclave to a path.
            ("operator_config", Value::from("")),
            // Nor is where the manifest is: in emulation the server serves what it generated.
            ("signed_manifest", Value::from("")),
            ("ekms_env", Value::from(env)),
            ("entrypoint_sha256", Value::from(hex::encode(binary_sha256))),
            ("extra_trusted", Value::from(files)),
        ]);
        Self::parse(super::template::render(vars)?)
    }

    /// Reads a manifest from `path` and checks every trusted file against its hash; the first
    /// must be the running binary (`binary_sha256`). Relative `file:` URIs are resolved from the
    /// manifest's directory.
    pub fn load_and_check(path: &Path, binary_sha256: &[u8; 32]) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the manifest {}", path.display()))?;
        let manifest = Self::parse(text)
            .with_context(|| format!("the manifest {} is not usable", path.display()))?;
        if let Some(uri) = manifest.unhashed_files.first() {
            bail!(
                "the manifest lists the trusted file {uri} without its sha256: give the signed manifest (.manifest.sgx), in which gramine-sgx-sign wrote every hash"
            );
        }
        let base = path.parent().unwrap_or(Path::new("."));
        let mut files = manifest.trusted_files.iter();
        let Some((first_uri, first_hash)) = files.next() else {
            bail!("the manifest lists no trusted file; the server binary must be the first");
        };
        if !hash::ct_eq(first_hash.as_bytes(), hex::encode(binary_sha256).as_bytes()) {
            bail!(
                "the manifest's first trusted file ({first_uri}) has sha256 {first_hash}, but the running server binary has {}: this manifest does not describe this binary",
                hex::encode(binary_sha256)
            );
        }
        for (uri, expected) in files {
            let file = resolve(base, uri)?;
            let bytes = std::fs::read(&file)
                .with_context(|| format!("cannot read trusted file {}", file.display()))?;
            let actual = hex::encode(hash::sha256(&bytes));
            if actual != *expected {
                bail!(
                    "trusted file {} has sha256 {actual}, the manifest says {expected}: refusing to start",
                    file.display()
                );
            }
        }
        Ok(manifest)
    }

    /// Parses the settings ekms needs from a manifest's text.
    pub fn parse(text: String) -> anyhow::Result<Self> {
        let doc: toml::Table = text.parse().context("the manifest is not valid TOML")?;
        let sgx = doc
            .get("sgx")
            .and_then(|v| v.as_table())
            .context("the manifest has no [sgx] settings")?;
        let enclave_size = match sgx.get("enclave_size") {
            Some(toml::Value::String(s)) => parse_size(s)?,
            Some(toml::Value::Integer(i)) => u64::try_from(*i).context("negative enclave_size")?,
            None => bail!("sgx.enclave_size is missing"),
            Some(other) => bail!("sgx.enclave_size has an unexpected value {other}"),
        };
        let small = |key: &str, default: u16| -> anyhow::Result<u16> {
            match sgx.get(key) {
                None => Ok(default),
                Some(v) => v
                    .as_integer()
                    .and_then(|i| u16::try_from(i).ok())
                    .with_context(|| format!("sgx.{key} must be an integer from 0 to 65535")),
            }
        };
        let isv_prod_id = small("isvprodid", 0)?;
        let isv_svn = small("isvsvn", 0)?;
        let debug = match sgx.get("debug") {
            None => false,
            Some(v) => v.as_bool().context("sgx.debug must be true or false")?,
        };
        let mut trusted_files = Vec::new();
        let mut unhashed_files = Vec::new();
        if let Some(list) = sgx.get("trusted_files") {
            for item in list
                .as_array()
                .context("sgx.trusted_files must be an array")?
            {
                let t = item
                    .as_table()
                    .context("each trusted file must be { uri = ..., sha256 = ... }")?;
                let uri = t
                    .get("uri")
                    .and_then(|v| v.as_str())
                    .context("trusted file without uri")?;
                let Some(sha) = t.get("sha256") else {
                    unhashed_files.push(uri.to_string());
                    continue;
                };
                let sha = sha
                    .as_str()
                    .with_context(|| format!("trusted file {uri}: sha256 must be a string"))?;
                if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
                    bail!("trusted file {uri} has a malformed sha256");
                }
                trusted_files.push((uri.to_string(), sha.to_ascii_lowercase()));
            }
        }
        Ok(Self {
            text,
            enclave_size,
            isv_prod_id,
            isv_svn,
            debug,
            trusted_files,
            unhashed_files,
        })
    }

    /// Checks that the measured settings of `config` are the ones this manifest states (its
    /// `loader.argv` and `loader.env`; a setting it does not state has its default), and that
    /// each file a measured setting names is one of its trusted files (whose hashes
    /// [`Manifest::load_and_check`] checked). `base` resolves relative `file:` URIs. A
    /// difference refuses the start: the enclave would not be the one measured.
    pub fn check_settings(&self, base: &Path, config: &Config) -> anyhow::Result<()> {
        let (argv, env) = loader_settings(&self.text)?;
        let stated = Config::stated(&argv, &env)?.measured()?;
        let actual = config.measured()?;
        for (a, s) in actual.iter().zip(&stated) {
            if a.value != s.value {
                let show = |v: &Option<String>| match v {
                    Some(v) => format!("{v:?}"),
                    None => "unset".to_string(),
                };
                bail!(
                    "the measured setting {} ({}) is {} here but the manifest states {}: refusing to start (state it in the manifest as loader.env.{} = {}, or run with the manifest's value)",
                    a.flag,
                    a.env,
                    show(&a.value),
                    show(&s.value),
                    a.env,
                    a.value
                        .as_deref()
                        .map(|v| toml::Value::String(v.to_string()).to_string())
                        .unwrap_or_else(|| "\"\"".to_string())
                );
            }
            if let Some(file) = &a.file {
                let want = std::fs::canonicalize(file)
                    .with_context(|| format!("cannot read {} {}", a.flag, file.display()))?;
                let listed = self.trusted_files.iter().any(|(uri, _)| {
                    resolve(base, uri)
                        .ok()
                        .and_then(|p| std::fs::canonicalize(p).ok())
                        .is_some_and(|p| p == want)
                });
                if !listed {
                    bail!(
                        "{} {} is not a trusted file of the manifest: its content must be measured (add it to sgx.trusted_files with its sha256); refusing to start",
                        a.flag,
                        file.display()
                    );
                }
            }
        }
        Ok(())
    }

    /// The emulated mr_enclave of this manifest.
    pub fn emulated_mr_enclave(&self) -> anyhow::Result<[u8; 32]> {
        emulated_mr_enclave(
            self.text.as_bytes(),
            &EmulatedEnclaveLayout::new(self.enclave_size),
        )
        .map_err(|e| anyhow::anyhow!("cannot measure the manifest: {e}"))
    }
}

/// The command line (`loader.argv`, without the program name) and the environment
/// (`loader.env`, string values and `{ value = "..." }` tables) a Gramine manifest gives the
/// server. A `{ passthrough = true }` variable is the host's choice: it is not a statement.
pub fn loader_settings(text: &str) -> anyhow::Result<(Vec<String>, BTreeMap<String, String>)> {
    let doc: toml::Table = text.parse().context("the manifest is not valid TOML")?;
    let loader = doc.get("loader").and_then(|v| v.as_table());
    let mut argv = Vec::new();
    if let Some(list) = loader.and_then(|l| l.get("argv")) {
        let list = list.as_array().context("loader.argv must be an array")?;
        for item in list.iter().skip(1) {
            argv.push(
                item.as_str()
                    .context("loader.argv must hold strings")?
                    .to_string(),
            );
        }
    }
    let mut env = BTreeMap::new();
    if let Some(table) = loader.and_then(|l| l.get("env")) {
        let table = table.as_table().context("loader.env must be a table")?;
        for (name, value) in table {
            let value = match value {
                toml::Value::String(s) => Some(s.clone()),
                toml::Value::Table(t) => t.get("value").and_then(|v| v.as_str()).map(String::from),
                _ => bail!("loader.env.{name} must be a string"),
            };
            if let Some(v) = value {
                env.insert(name.clone(), v);
            }
        }
    }
    Ok((argv, env))
}

fn resolve(base: &Path, uri: &str) -> anyhow::Result<PathBuf> {
    let path = uri
        .strip_prefix("file:")
        .with_context(|| format!("trusted file {uri}: only file: URIs are supported"))?;
    let p = Path::new(path);
    Ok(if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    })
}

/// Parses Gramine sizes: a number with an optional K, M or G suffix (powers of 1024).
fn parse_size(s: &str) -> anyhow::Result<u64> {
    let s = s.trim();
    let (digits, shift) = match s.chars().last() {
        Some('K' | 'k') => (&s[..s.len() - 1], 10),
        Some('M' | 'm') => (&s[..s.len() - 1], 20),
        Some('G' | 'g') => (&s[..s.len() - 1], 30),
        _ => (s, 0),
    };
    let n: u64 = digits
        .parse()
        .with_context(|| format!("sgx.enclave_size {s:?} is not a size"))?;
    n.checked_mul(1u64 << shift)
        .with_context(|| format!("sgx.enclave_size {s:?} is too large"))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn generated_manifest_parses_and_measures_per_binary() {
        let a = Manifest::generate(&[1u8; 32], &[]).unwrap();
        let b = Manifest::generate(&[2u8; 32], &[]).unwrap();
        assert_eq!(a.enclave_size, 1 << 30);
        assert_eq!((a.isv_prod_id, a.isv_svn, a.debug), (1, 1, false));
        assert_eq!(a.trusted_files[0].1, hex::encode([1u8; 32]));
        assert_ne!(
            a.emulated_mr_enclave().unwrap(),
            b.emulated_mr_enclave().unwrap()
        );
        assert_eq!(
            a.emulated_mr_enclave().unwrap(),
            Manifest::generate(&[1u8; 32], &[])
                .unwrap()
                .emulated_mr_enclave()
                .unwrap()
        );
    }

    /// The settings of an `ekms-server` command line.
    pub(crate) fn config(a: &[&str]) -> Config {
        let args = std::iter::once("ekms-server")
            .chain(a.iter().copied())
            .map(std::ffi::OsString::from)
            .collect();
        Config::load_from(args).unwrap()
    }

    #[test]
    fn generated_manifest_states_the_measured_settings_and_checks_them() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, b"ca content").unwrap();
        let c = config(&[
            "--registration",
            "closed",
            "--client-ca",
            ca.to_str().unwrap(),
            "--listen",
            "10.0.0.1:443",
        ]);
        let m = Manifest::generate(&[1u8; 32], &c.measured().unwrap()).unwrap();
        assert!(
            m.text
                .contains("loader.env.EKMS_REGISTRATION = \"closed\"\n")
        );
        assert!(
            m.text
                .contains("loader.env.EKMS_ALLOW_HOST_TLS_KEY = \"false\"\n")
        );
        assert!(!m.text.contains("10.0.0.1"), "addresses are not measured");
        // glibc's arenas would otherwise reserve 64 MiB of the enclave's address space each.
        assert!(m.text.contains("loader.env.MALLOC_ARENA_MAX = \"2\"\n"));
        assert_eq!(m.trusted_files.len(), 2);
        assert_eq!(
            m.trusted_files[1].1,
            hex::encode(hash::sha256(b"ca content"))
        );
        // The manifest states exactly what the server runs with.
        m.check_settings(dir.path(), &c).unwrap();
        let other = config(&[
            "--registration",
            "open",
            "--client-ca",
            ca.to_str().unwrap(),
        ]);
        let err = m.check_settings(dir.path(), &other).unwrap_err();
        assert!(err.to_string().contains("--registration"), "{err}");
        // A measured file the manifest does not list is refused.
        let bare = Manifest::generate(&[1u8; 32], &[]).unwrap();
        let err = bare
            .check_settings(dir.path(), &config(&["--client-ca", ca.to_str().unwrap()]))
            .unwrap_err();
        assert!(err.to_string().contains("--client-ca"), "{err}");
    }

    #[test]
    fn loader_settings_read_argv_env_and_ignore_passthrough() {
        let (argv, env) = loader_settings(
            "loader.argv = [\"ekms-server\", \"--registration\", \"closed\"]\nloader.env.A = \"1\"\nloader.env.B = { value = \"2\" }\nloader.env.C = { passthrough = true }\n",
        )
        .unwrap();
        assert_eq!(argv, ["--registration", "closed"]);
        assert_eq!(env.len(), 2);
        assert_eq!((env["A"].as_str(), env["B"].as_str()), ("1", "2"));
        assert!(loader_settings("loader.env.A = 1\n").is_err());
    }

    #[test]
    fn load_checks_every_trusted_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("lib.so"), b"library").unwrap();
        let bin = [3u8; 32];
        let good = format!(
            "sgx.enclave_size = \"256M\"\nsgx.isvprodid = 7\nsgx.isvsvn = 2\nsgx.debug = true\nsgx.trusted_files = [ {{ uri = \"file:ekms-server\", sha256 = \"{}\" }}, {{ uri = \"file:lib.so\", sha256 = \"{}\" }} ]\n",
            hex::encode(bin),
            hex::encode(hash::sha256(b"library"))
        );
        let path = dir.path().join("m.toml");
        std::fs::write(&path, &good).unwrap();
        let m = Manifest::load_and_check(&path, &bin).unwrap();
        assert_eq!(
            (m.isv_prod_id, m.isv_svn, m.debug, m.enclave_size),
            (7, 2, true, 256 << 20)
        );
        // Another binary than the first trusted file.
        let err = Manifest::load_and_check(&path, &[4u8; 32]).unwrap_err();
        assert!(err.to_string().contains("does not describe this binary"));
        // A trusted file changed on disk.
        std::fs::write(dir.path().join("lib.so"), b"librarX").unwrap();
        let err = Manifest::load_and_check(&path, &bin).unwrap_err();
        assert!(format!("{err:#}").contains("refusing to start"));
    }

    #[test]
    fn malformed_manifests_are_errors() {
        for bad in [
            "not toml [",
            "x = 1",
            "sgx.enclave_size = \"lots\"",
            "sgx.enclave_size = \"1G\"\nsgx.isvsvn = 70000",
            "sgx.enclave_size = \"1G\"\nsgx.trusted_files = [ { uri = \"file:a\", sha256 = \"zz\" } ]",
        ] {
            assert!(Manifest::parse(bad.to_string()).is_err(), "{bad}");
        }
    }
}
