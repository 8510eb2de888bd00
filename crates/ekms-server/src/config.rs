//! Server settings: command-line flags, `EKMS_*` environment variables and an optional TOML
//! file, in that order of precedence (DESIGN.md section 4 fixes every name).

use anyhow::{Context, bail};
use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, ValueEnum};
use std::ffi::OsString;
use std::path::PathBuf;

/// Where attestation quotes come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum QuoteSource {
    /// An emulated SGX platform (no hardware; says so loudly).
    Emulated,
    /// Gramine's `/dev/attestation` inside a real enclave.
    Gramine,
}

/// Who may create groups with `POST /register`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Registration {
    /// Anyone (authenticated, when authentication is configured), within the rate limit.
    Open,
    /// Nobody: every registration is refused (403).
    Closed,
}

/// ekms-server: a KMIP key management server for SGX enclaves.
///
/// Every setting can also be given as an `EKMS_*` environment variable or as a key of the TOML
/// file named by --config (same name without `--`, `-` written `_`). A flag wins over a
/// variable, which wins over the file.
#[derive(Parser, Debug, Clone)]
#[command(name = "ekms-server", version, about, long_about = None)]
pub struct Config {
    /// TOML file with any of the settings below.
    #[arg(long, env = "EKMS_SERVER_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// HTTPS address to listen on (port 0 picks a free port).
    #[arg(
        long,
        env = "EKMS_LISTEN",
        default_value = "127.0.0.1:9998",
        value_name = "ADDR"
    )]
    pub listen: String,

    /// Directory of the group databases and sealed files.
    #[arg(
        long,
        env = "EKMS_DATA_DIR",
        default_value = "./ekms-data",
        value_name = "DIR"
    )]
    pub data_dir: PathBuf,

    /// Address of the binary KMIP (TTLV over mutual TLS) listener; started only when
    /// --kmip-client-ca is set.
    #[arg(
        long,
        env = "EKMS_KMIP_LISTEN",
        default_value = "127.0.0.1:5696",
        value_name = "ADDR"
    )]
    pub kmip_listen: String,

    /// PEM file of the CA that signs KMIP clients' certificates.
    #[arg(long, env = "EKMS_KMIP_CLIENT_CA", value_name = "FILE")]
    pub kmip_client_ca: Option<PathBuf>,

    /// PEM file of the CA for optional client certificates on HTTPS.
    #[arg(long, env = "EKMS_CLIENT_CA", value_name = "FILE")]
    pub client_ca: Option<PathBuf>,

    /// Names in the generated TLS certificate: comma-separated DNS names and IP addresses.
    #[arg(
        long,
        env = "EKMS_TLS_SAN",
        default_value = "localhost,127.0.0.1",
        value_delimiter = ',',
        value_name = "NAMES"
    )]
    pub tls_san: Vec<String>,

    /// Source of attestation quotes.
    #[arg(long, env = "EKMS_QUOTE_SOURCE", value_enum, default_value_t = QuoteSource::Emulated)]
    pub quote_source: QuoteSource,

    /// Root under which Gramine's `/dev/attestation` is found (`/` inside an enclave; another
    /// directory lets tests stand in for it).
    #[arg(
        long,
        env = "EKMS_GRAMINE_ROOT",
        default_value = "/",
        value_name = "DIR"
    )]
    pub gramine_root: PathBuf,

    /// The emulated CPU: sealing secret and keys. Must not be inside the data dir.
    #[arg(
        long,
        env = "EKMS_EMULATED_PLATFORM_DIR",
        default_value = "./ekms-platform",
        value_name = "DIR"
    )]
    pub emulated_platform_dir: PathBuf,

    /// The enclave manifest to run under (without it, emulation generates one).
    #[arg(long, env = "EKMS_MANIFEST", value_name = "FILE")]
    pub manifest: Option<PathBuf>,

    /// Plaintext limit of the streaming routes, in bytes.
    #[arg(long, env = "EKMS_MAX_PAYLOAD_BYTES", default_value_t = 10 * (1u64 << 30), value_name = "BYTES")]
    pub max_payload_bytes: u64,

    /// Body limit of one KMIP message (HTTP and socket), in bytes; large data goes through the
    /// stream routes.
    #[arg(long, env = "EKMS_MAX_KMIP_MESSAGE_BYTES", default_value_t = 8 * (1u64 << 20), value_name = "BYTES")]
    pub max_kmip_message_bytes: u64,

    /// Threads serving connections (TLS, HTTP, decoding), at most: fewer on a machine with fewer
    /// cores. With --blocking-threads it bounds the threads, each of which may take a malloc
    /// arena (64 MiB of address space) inside the enclave's fixed size.
    #[arg(long, env = "EKMS_WORKER_THREADS", default_value_t = 4, value_name = "N",
        value_parser = clap::value_parser!(u16).range(1..=256))]
    pub worker_threads: u16,

    /// Threads running database operations and other blocking work; requests beyond them wait.
    #[arg(long, env = "EKMS_BLOCKING_THREADS", default_value_t = 8, value_name = "N",
        value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub blocking_threads: u16,

    /// The user when no authentication is configured.
    #[arg(
        long,
        env = "EKMS_DEFAULT_USER",
        default_value = "admin",
        value_name = "USER"
    )]
    pub default_user: String,

    /// URL or file of the identity provider's keys (JWKS); enables JWT authentication.
    #[arg(long, env = "EKMS_JWT_JWKS", value_name = "URL|FILE")]
    pub jwt_jwks: Option<String>,

    /// Expected `iss` of bearer tokens.
    #[arg(long, env = "EKMS_JWT_ISSUER")]
    pub jwt_issuer: Option<String>,

    /// Expected `aud` of bearer tokens.
    #[arg(long, env = "EKMS_JWT_AUDIENCE")]
    pub jwt_audience: Option<String>,

    /// Claim of bearer tokens that names the user.
    #[arg(long, env = "EKMS_JWT_USER_CLAIM", default_value = "email")]
    pub jwt_user_claim: String,

    /// Whether `POST /register` creates groups (`open`) or refuses every request (`closed`).
    #[arg(long, env = "EKMS_REGISTRATION", value_enum, default_value_t = Registration::Open)]
    pub registration: Registration,

    /// Registrations allowed per client IP address per minute (0: no limit).
    #[arg(
        long,
        env = "EKMS_REGISTER_RATE_PER_MINUTE",
        default_value_t = 10,
        value_name = "N"
    )]
    pub register_rate_per_minute: u32,

    /// PEM certificate (chain) to present instead of the enclave-made one.
    #[arg(long, env = "EKMS_TLS_CERT", value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key of --tls-cert.
    #[arg(long, env = "EKMS_TLS_KEY", value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

impl Config {
    /// Parses the process arguments, the environment and the TOML file.
    pub fn load() -> anyhow::Result<Self> {
        Self::load_from(std::env::args_os().collect())
    }

    /// As [`Config::load`], from explicit arguments (the first is the program name).
    pub fn load_from(args: Vec<OsString>) -> anyhow::Result<Self> {
        let matches = Self::command().get_matches_from(args.clone());
        let first = Self::from_arg_matches(&matches)?;
        let Some(path) = first.config.clone() else {
            return Ok(first);
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read the config file {}", path.display()))?;
        let table: toml::Table = text
            .parse()
            .with_context(|| format!("{} is not valid TOML", path.display()))?;
        // File values are passed as extra flags, but only for settings that neither a flag nor
        // a variable gave: this keeps one parser and one validation for all three sources.
        let known: Vec<String> = Self::command()
            .get_arguments()
            .map(|a| a.get_id().to_string())
            .collect();
        let mut extra = args;
        for (key, value) in table {
            if !known.contains(&key) || key == "config" {
                bail!(
                    "unknown setting `{key}` in {} (see ekms-server --help)",
                    path.display()
                );
            }
            match matches.value_source(&key) {
                Some(ValueSource::CommandLine) | Some(ValueSource::EnvVariable) => continue,
                _ => {}
            }
            let text = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                toml::Value::Array(items) => items
                    .iter()
                    .map(|v| match v {
                        toml::Value::String(s) => Ok(s.clone()),
                        other => Ok(other.to_string()),
                    })
                    .collect::<anyhow::Result<Vec<_>>>()?
                    .join(","),
                other => bail!("setting `{key}` has an unsupported value {other}"),
            };
            extra.push(format!("--{}={text}", key.replace('_', "-")).into());
        }
        let matches = Self::command().try_get_matches_from(extra)?;
        Ok(Self::from_arg_matches(&matches)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<OsString> {
        std::iter::once("ekms-server")
            .chain(a.iter().copied())
            .map(OsString::from)
            .collect()
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let c = Config::load_from(args(&[])).unwrap();
        assert_eq!(c.listen, "127.0.0.1:9998");
        assert_eq!(c.data_dir, PathBuf::from("./ekms-data"));
        assert_eq!(c.tls_san, vec!["localhost", "127.0.0.1"]);
        assert_eq!(c.max_payload_bytes, 10_737_418_240);
        assert_eq!(c.max_kmip_message_bytes, 8_388_608);
        assert_eq!(c.worker_threads, 4);
        assert_eq!(c.blocking_threads, 8);
        assert_eq!(c.quote_source, QuoteSource::Emulated);
        assert_eq!(c.default_user, "admin");
        assert_eq!(c.registration, Registration::Open);
        assert_eq!(c.register_rate_per_minute, 10);
        assert_eq!(c.jwt_user_claim, "email");
        let c = Config::load_from(args(&["--registration", "closed"])).unwrap();
        assert_eq!(c.registration, Registration::Closed);
    }

    #[test]
    fn file_fills_what_flags_do_not_give() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:1234\"\ndata_dir = \"/tmp/x\"\ntls_san = [\"a.example\", \"10.0.0.1\"]\nmax_kmip_message_bytes = 99\n",
        )
        .unwrap();
        let f = file.to_str().unwrap();
        let c = Config::load_from(args(&["--config", f, "--data-dir", "/tmp/flag"])).unwrap();
        assert_eq!(c.listen, "127.0.0.1:1234");
        assert_eq!(c.data_dir, PathBuf::from("/tmp/flag"));
        assert_eq!(c.tls_san, vec!["a.example", "10.0.0.1"]);
        assert_eq!(c.max_kmip_message_bytes, 99);
    }

    #[test]
    fn unknown_file_key_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "lisen = \"x\"\n").unwrap();
        let err = Config::load_from(args(&["--config", file.to_str().unwrap()])).unwrap_err();
        assert!(err.to_string().contains("unknown setting `lisen`"));
    }
}
