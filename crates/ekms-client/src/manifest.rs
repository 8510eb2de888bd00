//! The enclave manifest as a client reads it: the settings that enter ekms's emulated
//! measurement, and that measurement.
//!
//! In emulation, mr_enclave is ekms's own measurement over the manifest's exact bytes
//! (`docs/measurement.md`, [`ekms_attest::emulated_mr_enclave`]) for the enclave size the
//! manifest declares (`sgx.enclave_size`, Gramine's size syntax: a number with an optional K, M
//! or G suffix, powers of 1024). [`measure`] recomputes it, so `ekms trust` can check that the
//! manifest a server serves is the one its quote measured, and `ekms enclave measure` can give the
//! value to expect before contacting any server. For a real SGX enclave the measurement is
//! Gramine's (in the SIGSTRUCT), which this module does not reproduce.
//!
//! The manifest also states the server's measured settings (`loader.env`, `loader.argv`);
//! [`tls_key_made_in_enclave`] reads from them whether the host may supply the TLS key, and
//! [`summary`] gives what `ekms trust` shows of it (debug, settings, encrypted mounts).
//! [`compare`] sets a served manifest beside one the user rendered, setting by setting and
//! trusted file by trusted file (`ekms enclave manifest-check`).

use std::collections::BTreeMap;

use ekms_attest::{EmulatedEnclaveLayout, emulated_mr_enclave};

/// Why a manifest cannot be measured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ManifestError(pub String);

/// The settings of a manifest that matter to a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestSettings {
    /// `sgx.enclave_size` in bytes.
    pub enclave_size: u64,
    /// `sgx.debug` (false when absent).
    pub debug: bool,
    /// `sgx.isvprodid` (0 when absent).
    pub isv_prod_id: u16,
    /// `sgx.isvsvn` (0 when absent).
    pub isv_svn: u16,
}

/// Reads the settings of a manifest (Gramine TOML).
pub fn settings(manifest: &[u8]) -> Result<ManifestSettings, ManifestError> {
    let text = std::str::from_utf8(manifest)
        .map_err(|_| ManifestError("the manifest is not UTF-8 text".to_string()))?;
    let doc: toml::Table = text
        .parse()
        .map_err(|e| ManifestError(format!("the manifest is not valid TOML: {e}")))?;
    let sgx = doc
        .get("sgx")
        .and_then(toml::Value::as_table)
        .ok_or_else(|| ManifestError("the manifest has no sgx settings".to_string()))?;
    let enclave_size = match sgx.get("enclave_size") {
        Some(toml::Value::String(s)) => parse_size(s)?,
        Some(toml::Value::Integer(i)) => u64::try_from(*i)
            .map_err(|_| ManifestError("sgx.enclave_size is negative".to_string()))?,
        Some(other) => {
            return Err(ManifestError(format!(
                "sgx.enclave_size has an unexpected value {other}"
            )));
        }
        None => return Err(ManifestError("sgx.enclave_size is missing".to_string())),
    };
    let small = |key: &str| -> Result<u16, ManifestError> {
        match sgx.get(key) {
            None => Ok(0),
            Some(v) => v
                .as_integer()
                .and_then(|i| u16::try_from(i).ok())
                .ok_or_else(|| ManifestError(format!("sgx.{key} is not an integer 0..65535"))),
        }
    };
    let debug = match sgx.get("debug") {
        None => false,
        Some(v) => v
            .as_bool()
            .ok_or_else(|| ManifestError("sgx.debug is not true or false".to_string()))?,
    };
    Ok(ManifestSettings {
        enclave_size,
        debug,
        isv_prod_id: small("isvprodid")?,
        isv_svn: small("isvsvn")?,
    })
}

/// The settings by which the host could supply the server's TLS key (docs/measurement.md).
const HOST_TLS_KEY_FLAGS: [&str; 3] = ["--allow-host-tls-key", "--tls-key", "--tls-cert"];
const HOST_TLS_KEY_VARS: [&str; 3] = ["EKMS_ALLOW_HOST_TLS_KEY", "EKMS_TLS_KEY", "EKMS_TLS_CERT"];

/// Whether the manifest's measured settings keep the TLS key inside the enclave: `Ok` when
/// they do not allow a key chosen by the host, else why not. The manifest must state the
/// server's settings itself (`loader.argv`, `loader.env`): one that lets the host choose the
/// command line or the environment, or reads them from a file the client cannot see, proves
/// nothing about the key.
pub fn tls_key_made_in_enclave(manifest: &[u8]) -> Result<(), String> {
    let text =
        std::str::from_utf8(manifest).map_err(|_| "the manifest is not UTF-8 text".to_string())?;
    let doc: toml::Table = text
        .parse()
        .map_err(|e| format!("the manifest is not valid TOML: {e}"))?;
    let Some(loader) = doc.get("loader").and_then(toml::Value::as_table) else {
        return Ok(());
    };
    for (key, what) in [
        ("insecure__use_cmdline_argv", "the command line"),
        ("insecure__use_host_env", "the environment"),
    ] {
        if !matches!(loader.get(key), None | Some(toml::Value::Boolean(false))) {
            return Err(format!(
                "the manifest lets the host choose {what} (loader.{key}), so the host can pass --allow-host-tls-key and its own key"
            ));
        }
    }
    for key in ["argv_src_file", "env_src_file"] {
        if loader.contains_key(key) {
            return Err(format!(
                "the manifest reads the server's settings from loader.{key}, which the client cannot see"
            ));
        }
    }
    if let Some(argv) = loader.get("argv").and_then(toml::Value::as_array) {
        for arg in argv.iter().filter_map(toml::Value::as_str) {
            let (flag, value) = arg.split_once('=').unwrap_or((arg, ""));
            if HOST_TLS_KEY_FLAGS.contains(&flag)
                && !(flag == HOST_TLS_KEY_FLAGS[0] && value == "false")
            {
                return Err(format!(
                    "the measured command line has {arg}: the TLS key is chosen by the host, attestation cannot vouch for it"
                ));
            }
        }
    }
    if let Some(env) = loader.get("env").and_then(toml::Value::as_table) {
        for var in HOST_TLS_KEY_VARS {
            let Some(value) = env.get(var) else { continue };
            let value = match value {
                toml::Value::String(s) => Some(s.as_str()),
                toml::Value::Table(t) => t.get("value").and_then(toml::Value::as_str),
                _ => None,
            };
            if !(var == HOST_TLS_KEY_VARS[0] && value == Some("false")) {
                return Err(format!(
                    "the measured settings have {var}{}: the TLS key is chosen by the host, attestation cannot vouch for it",
                    value
                        .map(|v| format!(" = {v:?}"))
                        .unwrap_or_else(|| " from the host".to_string())
                ));
            }
        }
    }
    Ok(())
}

/// Parses a Gramine size: digits with an optional K, M or G suffix (powers of 1024).
pub fn parse_size(text: &str) -> Result<u64, ManifestError> {
    let t = text.trim();
    let (digits, shift) = match t.char_indices().last() {
        Some((i, 'K' | 'k')) => (t.get(..i).unwrap_or_default(), 10),
        Some((i, 'M' | 'm')) => (t.get(..i).unwrap_or_default(), 20),
        Some((i, 'G' | 'g')) => (t.get(..i).unwrap_or_default(), 30),
        _ => (t, 0),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| ManifestError(format!("{text:?} is not a size (e.g. 1G, 512M, 4096)")))?;
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| ManifestError(format!("the size {text:?} is too large")))
}

/// The emulated mr_enclave of `manifest`, for `enclave_size` or else the size the manifest
/// declares.
pub fn measure(manifest: &[u8], enclave_size: Option<u64>) -> Result<[u8; 32], ManifestError> {
    let size = match enclave_size {
        Some(s) => s,
        None => settings(manifest)?.enclave_size,
    };
    emulated_mr_enclave(manifest, &EmulatedEnclaveLayout::new(size))
        .map_err(|e| ManifestError(format!("cannot measure the manifest: {e}")))
}

/// What `ekms trust` shows of a manifest.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ManifestSummary {
    /// `sgx.debug` (false when absent).
    pub debug: bool,
    /// The server's settings it states: `loader.argv` after the program name, then each
    /// `EKMS_*` variable of `loader.env` as `NAME = "value"`.
    pub settings: Vec<String>,
    /// `(path, key_name)` of each `fs.mounts` entry of `type = "encrypted"`.
    pub encrypted_mounts: Vec<(String, String)>,
}

impl ManifestSummary {
    /// The printed lines: `manifest sgx.debug: <bool>`, `manifest setting: <setting>` and
    /// `manifest encrypted mount: <path> (key_name <name>)`.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!("manifest sgx.debug: {}", self.debug)];
        out.extend(
            self.settings
                .iter()
                .map(|s| format!("manifest setting: {s}")),
        );
        if self.encrypted_mounts.is_empty() {
            out.push("manifest encrypted mount: none".to_string());
        }
        out.extend(
            self.encrypted_mounts
                .iter()
                .map(|(path, key)| format!("manifest encrypted mount: {path} (key_name {key})")),
        );
        out
    }
}

fn parse(manifest: &[u8]) -> Result<toml::Table, ManifestError> {
    let text = std::str::from_utf8(manifest)
        .map_err(|_| ManifestError("the manifest is not UTF-8 text".to_string()))?;
    text.parse()
        .map_err(|e| ManifestError(format!("the manifest is not valid TOML: {e}")))
}

/// What a manifest states that decides trust: its debug flag, the server's settings and the
/// encrypted mounts (where the server's sealed state may live).
pub fn summary(manifest: &[u8]) -> Result<ManifestSummary, ManifestError> {
    let doc = parse(manifest)?;
    let debug = doc
        .get("sgx")
        .and_then(|s| s.get("debug"))
        .and_then(toml::Value::as_bool)
        .unwrap_or(false);
    let loader = doc.get("loader").and_then(toml::Value::as_table);
    let mut out = Vec::new();
    if let Some(argv) = loader
        .and_then(|l| l.get("argv"))
        .and_then(toml::Value::as_array)
    {
        let args: Vec<&str> = argv
            .iter()
            .skip(1)
            .filter_map(toml::Value::as_str)
            .collect();
        if !args.is_empty() {
            out.push(format!("argv {}", args.join(" ")));
        }
    }
    if let Some(env) = loader
        .and_then(|l| l.get("env"))
        .and_then(toml::Value::as_table)
    {
        for (name, value) in env.iter().filter(|(n, _)| n.starts_with("EKMS_")) {
            out.push(format!("{name} = {value}"));
        }
    }
    let mounts = doc
        .get("fs")
        .and_then(|f| f.get("mounts"))
        .and_then(toml::Value::as_array);
    let encrypted_mounts = mounts
        .into_iter()
        .flatten()
        .filter_map(toml::Value::as_table)
        .filter(|m| m.get("type").and_then(toml::Value::as_str) == Some("encrypted"))
        .map(|m| {
            let text = |k: &str| {
                m.get(k)
                    .and_then(toml::Value::as_str)
                    .unwrap_or("(none)")
                    .to_string()
            };
            (text("path"), text("key_name"))
        })
        .collect();
    Ok(ManifestSummary {
        debug,
        settings: out,
        encrypted_mounts,
    })
}

/// One setting or trusted file of two manifests side by side: equal (`Ok`) or not.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Difference {
    /// The setting's dotted name (`loader.env.EKMS_DATA_DIR`, `sgx.debug`), or `trusted file
    /// <uri>`.
    pub name: String,
    /// Its value in the served manifest (a trusted file's sha256), `None` when absent.
    pub served: Option<String>,
    /// Its value in the rendered manifest, `None` when absent.
    pub rendered: Option<String>,
}

impl Difference {
    /// Whether both manifests say the same.
    pub fn is_ok(&self) -> bool {
        self.served == self.rendered
    }

    /// `<name>: Ok` or `<name>: Ko (served <value>, rendered <value>)`.
    pub fn line(&self) -> String {
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "absent".to_string());
        if self.is_ok() {
            format!("{}: Ok", self.name)
        } else {
            format!(
                "{}: Ko (served {}, rendered {})",
                self.name,
                show(&self.served),
                show(&self.rendered)
            )
        }
    }
}

/// The settings (every leaf, arrays as one value) and the trusted files (uri → sha256) of a
/// manifest.
fn flatten(
    prefix: &str,
    table: &toml::Table,
    settings: &mut BTreeMap<String, String>,
    files: &mut BTreeMap<String, String>,
) {
    for (key, value) in table {
        let name = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(t) => flatten(&name, t, settings, files),
            toml::Value::Array(items) if name == "sgx.trusted_files" => {
                for item in items {
                    let (uri, sha) = match item {
                        toml::Value::String(uri) => (uri.as_str(), None),
                        toml::Value::Table(t) => (
                            t.get("uri").and_then(toml::Value::as_str).unwrap_or(""),
                            t.get("sha256").and_then(toml::Value::as_str),
                        ),
                        _ => continue,
                    };
                    files.insert(
                        format!("trusted file {uri}"),
                        sha.map(|h| format!("sha256 {h}"))
                            .unwrap_or_else(|| "no sha256".to_string()),
                    );
                }
            }
            other => {
                settings.insert(name, other.to_string());
            }
        }
    }
}

/// Every setting, then every trusted file, of the two manifests side by side (by name, each
/// once). The served one is what `GET /manifest` returns; the rendered one what the user's own
/// build produced (for a real enclave, the signed `.manifest.sgx`, whose trusted files carry
/// their hashes).
pub fn compare(served: &[u8], rendered: &[u8]) -> Result<Vec<Difference>, ManifestError> {
    let read = |bytes: &[u8], which: &str| {
        let doc = parse(bytes).map_err(|e| ManifestError(format!("the {which} manifest: {e}")))?;
        let (mut settings, mut files) = (BTreeMap::new(), BTreeMap::new());
        flatten("", &doc, &mut settings, &mut files);
        Ok::<_, ManifestError>((settings, files))
    };
    let (served_settings, served_files) = read(served, "served")?;
    let (rendered_settings, rendered_files) = read(rendered, "rendered")?;
    let mut out = Vec::new();
    for (a, b) in [
        (served_settings, rendered_settings),
        (served_files, rendered_files),
    ] {
        let names: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        out.extend(names.into_iter().map(|name| Difference {
            name: name.clone(),
            served: a.get(name).cloned(),
            rendered: b.get(name).cloned(),
        }));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_key_policy_of_a_manifest() {
        let ok = |m: &str| tls_key_made_in_enclave(m.as_bytes());
        assert!(ok("sgx.debug = false\n").is_ok());
        assert!(ok("loader.env.EKMS_ALLOW_HOST_TLS_KEY = \"false\"\n").is_ok());
        assert!(ok("loader.argv = [\"ekms-server\", \"--registration\", \"closed\"]\n").is_ok());
        assert!(ok("loader.insecure__use_host_env = false\n").is_ok());
        for bad in [
            "loader.env.EKMS_ALLOW_HOST_TLS_KEY = \"true\"\n",
            "loader.env.EKMS_ALLOW_HOST_TLS_KEY = { passthrough = true }\n",
            "loader.env.EKMS_ALLOW_HOST_TLS_KEY = \"1\"\n",
            "loader.env.EKMS_TLS_KEY = \"/k.pem\"\n",
            "loader.argv = [\"ekms-server\", \"--allow-host-tls-key\"]\n",
            "loader.argv = [\"ekms-server\", \"--tls-key=/k\"]\n",
            "loader.insecure__use_cmdline_argv = true\n",
            "loader.insecure__use_host_env = true\n",
            "loader.env_src_file = \"file:env\"\n",
            "not toml [",
        ] {
            assert!(ok(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn summary_and_comparison_read_what_the_manifest_states() {
        let m = b"loader.argv = [\"ekms-server\", \"--registration\", \"closed\"]\n\
loader.env.EKMS_DATA_DIR = \"/d\"\nloader.env.MALLOC_ARENA_MAX = \"2\"\n\
fs.mounts = [ { path = \"/k\", uri = \"file:/k\", type = \"encrypted\", key_name = \"_sgx_mrenclave\" },\n\
  { path = \"/d/groups\", uri = \"file:/d/groups\" } ]\n\
sgx.debug = true\nsgx.trusted_files = [ { uri = \"file:/b\", sha256 = \"aa\" }, \"file:/lib/\" ]\n";
        let s = summary(m).unwrap();
        assert_eq!(
            s.lines(),
            [
                "manifest sgx.debug: true",
                "manifest setting: argv --registration closed",
                "manifest setting: EKMS_DATA_DIR = \"/d\"",
                "manifest encrypted mount: /k (key_name _sgx_mrenclave)",
            ]
        );
        assert!(
            summary(b"x = 1\n")
                .unwrap()
                .lines()
                .contains(&"manifest encrypted mount: none".to_string())
        );
        let same = compare(m, m).unwrap();
        assert!(same.iter().all(Difference::is_ok));
        let names: Vec<&str> = same.iter().map(|d| d.name.as_str()).collect();
        assert!(names.contains(&"sgx.debug") && names.contains(&"fs.mounts"));
        assert!(names.contains(&"trusted file file:/lib/"), "{names:?}");
        // A setting on one side only, and a trusted file's hash changed.
        let other = String::from_utf8(m.to_vec())
            .unwrap()
            .replace("loader.env.MALLOC_ARENA_MAX = \"2\"\n", "")
            .replace("\"aa\"", "\"bb\"");
        let ko: Vec<String> = compare(m, other.as_bytes())
            .unwrap()
            .iter()
            .filter(|d| !d.is_ok())
            .map(Difference::line)
            .collect();
        assert_eq!(
            ko,
            [
                "loader.env.MALLOC_ARENA_MAX: Ko (served \"2\", rendered absent)",
                "trusted file file:/b: Ko (served sha256 aa, rendered sha256 bb)",
            ]
        );
        assert!(compare(b"not toml [", m).is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1G").unwrap(), 1 << 30);
        assert_eq!(parse_size("512M").unwrap(), 512 << 20);
        assert_eq!(parse_size("64k").unwrap(), 64 << 10);
        assert_eq!(parse_size("4096").unwrap(), 4096);
        assert!(parse_size("G").is_err());
        assert!(parse_size("lots").is_err());
        assert!(parse_size("99999999999999G").is_err());
    }

    #[test]
    fn measurement_matches_the_documented_vector() {
        // docs/measurement.md: `sgx.debug = false\n`, 1 GiB.
        let m = measure(b"sgx.debug = false\n", Some(1 << 30)).unwrap();
        assert_eq!(
            hex::encode(m),
            "fbc439307121b72ab3c83bdd5e3b07a5fa8b052ff3258b4f1354b78cff67c1ef"
        );
        // Without a size, the manifest must declare one.
        assert!(measure(b"sgx.debug = false\n", None).is_err());
        let with_size = b"sgx.enclave_size = \"1G\"\nsgx.debug = true\nsgx.isvsvn = 3\n";
        let s = settings(with_size).unwrap();
        assert_eq!((s.enclave_size, s.debug, s.isv_svn), (1 << 30, true, 3));
        assert_eq!(
            measure(with_size, None).unwrap(),
            measure(with_size, Some(1 << 30)).unwrap()
        );
    }
}
