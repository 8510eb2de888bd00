//! Server settings: command-line flags, `EKMS_*` environment variables and an optional TOML
//! file, in that order of precedence (docs/server.md lists every name), and which of them
//! the enclave is measured with ([`SETTINGS`], docs/measurement.md).
//!
//! Every setting is classified in [`SETTINGS`], in one place: the settings that decide trust
//! (TLS key source, quote source, authentication, registration, limits, data paths) are
//! measured, so changing one changes mr_enclave; listen addresses, names and secrets are not,
//! so that the nodes of one deployment share one mr_enclave. A unit test fails when a setting
//! is added without being classified.

use anyhow::{Context, bail};
use clap::parser::ValueSource;
use clap::{ArgAction, CommandFactory, FromArgMatches, Parser, ValueEnum};
use serde::Serialize;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;

/// Default of `--max-kdf-work`: about a second of one core for PBKDF2-HMAC-SHA256.
pub const DEFAULT_MAX_KDF_WORK: u64 = 4_000_000;
/// Default of `--max-locate-items`.
pub const DEFAULT_MAX_LOCATE_ITEMS: u32 = 1000;
/// Default of `--lease-time-seconds`: an hour.
pub const DEFAULT_LEASE_TIME_SECONDS: u32 = 3600;

/// Whether a setting enters the enclave's measurement, and why (docs/measurement.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// Decides trust: the manifest states its value (`loader.env.<VAR>`).
    Value,
    /// Decides trust and names a file: the manifest states the path, and the file's content
    /// enters as a trusted file (its SHA-256), as Gramine measures files.
    File,
    /// As [`Measure::File`] when the value is a local file; a URL is stated as is.
    UrlOrFile,
    /// Not measured: an address or a name of this node, so that the nodes of one deployment
    /// share one mr_enclave.
    Address,
    /// Not measured: names a file holding a secret, whose content is never served by
    /// `/manifest` and never logged.
    Secret,
    /// Not measured: material the host supplies, admitted only by a measured setting
    /// (`--tls-cert` needs the measured `--allow-host-tls-key`).
    HostSupplied,
    /// Not measured: where the settings or the manifest come from; the values a settings file
    /// gives are measured like the same flags.
    Source,
    /// Not measured: the emulated CPU (in SGX, the hardware itself).
    Platform,
    /// Not measured: the operator accepts at start what the quote shows anyway (the debug
    /// attribute), so a debug build is never started by mistake.
    Acknowledgement,
    /// Not measured: how this node writes its logs (their format); what they say, and what
    /// they never say (secrets, key bytes, plaintext), is the same in every format.
    Output,
}

impl Measure {
    /// Whether the setting is part of the measurement.
    pub fn is_measured(self) -> bool {
        matches!(self, Measure::Value | Measure::File | Measure::UrlOrFile)
    }
}

/// Every setting (clap id, the field name) and whether it is measured. A setting added to
/// [`Config`] must be added here too (`every_setting_is_classified` fails otherwise): limits,
/// rates, timeouts, budgets and policies are [`Measure::Value`]. A measured setting's type
/// must serialize (serde) to a string, number, bool or list of them, written as its flag takes
/// it (enums `kebab-case`, as clap names them), so that the manifest can state it and
/// [`Config::stated`] read it back (`measured_settings_round_trip_through_a_manifest`).
pub const SETTINGS: &[(&str, Measure)] = &[
    ("config", Measure::Source),
    ("listen", Measure::Address),
    ("data_dir", Measure::Value),
    ("key_dir", Measure::Value),
    ("database", Measure::Address),
    ("database_password_file", Measure::Secret),
    ("database_pool_size", Measure::Value),
    ("kmip_listen", Measure::Address),
    ("kmip_client_ca", Measure::File),
    ("metrics_listen", Measure::Address),
    ("client_ca", Measure::File),
    ("tls_san", Measure::Address),
    ("quote_source", Measure::Value),
    ("gramine_root", Measure::Value),
    ("emulated_platform_dir", Measure::Platform),
    ("manifest", Measure::Source),
    ("allow_debug_enclave", Measure::Acknowledgement),
    ("max_payload_bytes", Measure::Value),
    ("max_kmip_message_bytes", Measure::Value),
    ("default_user", Measure::Value),
    ("jwt_jwks", Measure::UrlOrFile),
    ("jwt_issuer", Measure::Value),
    ("jwt_audience", Measure::Value),
    ("jwt_user_claim", Measure::Value),
    ("registration", Measure::Value),
    ("register_rate_per_minute", Measure::Value),
    ("register_rate_per_hour", Measure::Value),
    ("max_groups", Measure::Value),
    ("max_data_bytes", Measure::Value),
    ("max_open_groups", Measure::Value),
    ("max_connections", Measure::Value),
    ("header_timeout_seconds", Measure::Value),
    ("idle_timeout_seconds", Measure::Value),
    ("shutdown_grace_seconds", Measure::Value),
    ("max_kdf_work", Measure::Value),
    ("max_batch_items", Measure::Value),
    ("max_locate_items", Measure::Value),
    ("max_audit_rows", Measure::Value),
    ("audit_retention_max_rows", Measure::Value),
    ("audit_retention_max_age_days", Measure::Value),
    ("lease_time_seconds", Measure::Value),
    ("worker_threads", Measure::Value),
    ("blocking_threads", Measure::Value),
    ("allow_host_tls_key", Measure::Value),
    ("tls_cert", Measure::HostSupplied),
    ("tls_key", Measure::Secret),
    ("log_format", Measure::Output),
];

/// One measured setting with its effective value, as the manifest states it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeasuredSetting {
    /// The clap id (field name).
    pub id: &'static str,
    /// The flag, `--<name>`.
    pub flag: String,
    /// The environment variable Gramine's `loader.env` sets.
    pub env: String,
    /// The value in the form the flag and the variable take; `None` when unset.
    pub value: Option<String>,
    /// A local file whose content is measured (a trusted file).
    pub file: Option<PathBuf>,
}

/// Where attestation quotes come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum QuoteSource {
    /// An emulated SGX platform (no hardware; says so loudly).
    Emulated,
    /// Gramine's `/dev/attestation` inside a real enclave.
    Gramine,
}

/// How the server writes its logs (on stderr).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogFormat {
    /// Lines for people; coloured only when stderr is a terminal.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Who may create groups with `POST /register`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
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
///
/// The settings that decide trust are measured: they enter the enclave manifest, so changing
/// one changes mr_enclave (docs/measurement.md). Addresses, names and secrets are not.
#[derive(Parser, Debug, Clone, Serialize)]
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

    /// Directory of the server's own sealed state (TLS key and certificate); under Gramine it
    /// must be on an encrypted mount keyed `_sgx_mrenclave`. Default: the data dir.
    #[arg(long, env = "EKMS_KEY_DIR", value_name = "DIR")]
    pub key_dir: Option<PathBuf>,

    /// PostgreSQL database that several nodes share, in libpq's forms: a URL
    /// (`postgres://ekms@db1:5432,db2:5432/ekms?target_session_attrs=read-write`) or
    /// `host=… port=… user=… dbname=…`, without a password (see --database-password-file).
    /// Unset: each group is a SQLCipher file under --data-dir (docs/several-nodes.md).
    #[arg(long, env = "EKMS_DATABASE", value_name = "URL")]
    pub database: Option<String>,

    /// File whose first line is the PostgreSQL password of --database (never logged, never
    /// served by /manifest).
    #[arg(long, env = "EKMS_DATABASE_PASSWORD_FILE", value_name = "FILE")]
    pub database_password_file: Option<PathBuf>,

    /// Connections to the --database this node opens at most, shared by every group; each
    /// running operation holds one, so more than --blocking-threads is never used at once.
    #[arg(long, env = "EKMS_DATABASE_POOL_SIZE", default_value_t = 8, value_name = "N",
        value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub database_pool_size: u32,

    /// Address of the binary KMIP (TTLV over mutual TLS) listener; started only when
    /// --kmip-client-ca is set.
    #[arg(
        long,
        env = "EKMS_KMIP_LISTEN",
        default_value = "127.0.0.1:5696",
        value_name = "ADDR"
    )]
    pub kmip_listen: String,

    /// Plain-HTTP address of the metrics port (`GET /metrics`, `/health/live`,
    /// `/health/ready`); off when unset. Bind it to localhost or a private network: it needs
    /// no secret and shows only counts, never a group, key or name.
    #[arg(long, env = "EKMS_METRICS_LISTEN", value_name = "ADDR")]
    pub metrics_listen: Option<String>,

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

    /// With --quote-source gramine, start even though the manifest says `sgx.debug = true`
    /// (a debug enclave's memory is readable by the host; `ekms trust` refuses it without
    /// --allow-debug).
    #[arg(
        long,
        env = "EKMS_ALLOW_DEBUG_ENCLAVE",
        action = ArgAction::Set,
        num_args = 0..=1,
        default_value_t = false,
        default_missing_value = "true",
        value_name = "BOOL"
    )]
    pub allow_debug_enclave: bool,

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

    /// Registrations allowed per minute from one network prefix: an IPv4 /24 or an IPv6 /64,
    /// an IPv4-mapped IPv6 address counting as IPv4 (0: no limit).
    #[arg(
        long,
        env = "EKMS_REGISTER_RATE_PER_MINUTE",
        default_value_t = 10,
        value_name = "N"
    )]
    pub register_rate_per_minute: u32,

    /// Most work the key derivations of one request message may do, in computations of their
    /// pseudorandom function (one HMAC): PBKDF2 costs IterationCount × output blocks, HKDF and
    /// SP 800-108 one per output block. The default is about a second of CPU.
    #[arg(
        long,
        env = "EKMS_MAX_KDF_WORK",
        default_value_t = DEFAULT_MAX_KDF_WORK,
        value_parser = clap::value_parser!(u64).range(1..),
        value_name = "N"
    )]
    pub max_kdf_work: u64,

    /// Most batch items in one KMIP request message; a larger message runs none of them.
    #[arg(
        long,
        env = "EKMS_MAX_BATCH_ITEMS",
        default_value_t = 64,
        value_parser = clap::value_parser!(u32).range(1..),
        value_name = "N"
    )]
    pub max_batch_items: u32,

    /// Most unique identifiers one Locate answers (a larger or absent Maximum Items is
    /// lowered to it; Located Items still counts every match).
    #[arg(
        long,
        env = "EKMS_MAX_LOCATE_ITEMS",
        default_value_t = DEFAULT_MAX_LOCATE_ITEMS,
        value_parser = clap::value_parser!(u32).range(1..),
        value_name = "N"
    )]
    pub max_locate_items: u32,

    /// The Lease Time every object states, in seconds (0: none): how long a client may keep
    /// using an object's value it got before it fetches the object again; Obtain Lease
    /// answers it for Active objects (0: no leases).
    #[arg(
        long,
        env = "EKMS_LEASE_TIME_SECONDS",
        default_value_t = DEFAULT_LEASE_TIME_SECONDS,
        value_name = "SECONDS"
    )]
    pub lease_time_seconds: u32,

    /// Most rows one `GET /audit` answers (a larger `limit` is lowered to it).
    #[arg(
        long,
        env = "EKMS_MAX_AUDIT_ROWS",
        default_value_t = 10_000,
        value_parser = clap::value_parser!(u32).range(1..),
        value_name = "N"
    )]
    pub max_audit_rows: u32,

    /// Audit rows a group keeps at most when its administrator set no cap, and the largest cap
    /// one may set (0: no bound). At the cap the group refuses audited work (507) until rows
    /// are exported and pruned.
    #[arg(
        long,
        env = "EKMS_AUDIT_RETENTION_MAX_ROWS",
        default_value_t = 0,
        value_name = "N"
    )]
    pub audit_retention_max_rows: u64,

    /// Days a group keeps an audit row at most when its administrator set no age limit, and
    /// the largest limit one may set (0: no bound); older rows are pruned by the sweep.
    #[arg(
        long,
        env = "EKMS_AUDIT_RETENTION_MAX_AGE_DAYS",
        default_value_t = 0,
        value_name = "DAYS"
    )]
    pub audit_retention_max_age_days: u64,

    /// Registrations allowed per hour in total, from all clients (0: no limit).
    #[arg(
        long,
        env = "EKMS_REGISTER_RATE_PER_HOUR",
        default_value_t = 100,
        value_name = "N"
    )]
    pub register_rate_per_hour: u32,

    /// Groups this server holds at most; registration beyond is 503 (0: no limit).
    #[arg(
        long,
        env = "EKMS_MAX_GROUPS",
        default_value_t = 10_000,
        value_name = "N"
    )]
    pub max_groups: u64,

    /// Bytes of group files (every file under `<data-dir>/groups`) beyond which registration
    /// and writes that add to a group are 503 (0: no limit).
    #[arg(long, env = "EKMS_MAX_DATA_BYTES", default_value_t = 10 * (1u64 << 30), value_name = "BYTES")]
    pub max_data_bytes: u64,

    /// Seconds a client has, from the moment its connection is accepted, to finish the TLS
    /// handshake and send its first request head; and, on a kept-alive connection, to send the
    /// rest of a request head once its first byte came.
    #[arg(
        long,
        env = "EKMS_HEADER_TIMEOUT_SECONDS",
        default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(1..=3600),
        value_name = "SECONDS"
    )]
    pub header_timeout_seconds: u64,

    /// Seconds a connection may stay open with no request under way (HTTPS keep-alive, and the
    /// KMIP socket between messages).
    #[arg(
        long,
        env = "EKMS_IDLE_TIMEOUT_SECONDS",
        default_value_t = 120,
        value_name = "SECONDS",
        value_parser = clap::value_parser!(u64).range(1..=86_400)
    )]
    pub idle_timeout_seconds: u64,

    /// Seconds a SIGTERM leaves the requests under way (streams included) to finish: the server
    /// stops accepting at once, exits 0 when they are done, and past this time closes what is
    /// left and exits 1.
    #[arg(
        long,
        env = "EKMS_SHUTDOWN_GRACE_SECONDS",
        default_value_t = 30,
        value_name = "SECONDS",
        value_parser = clap::value_parser!(u64).range(0..=86_400)
    )]
    pub shutdown_grace_seconds: u64,

    /// Connections (HTTPS and KMIP together) open at once; beyond, a new connection closes the
    /// one idle or waiting longest (0: derived from the open-file limit, see docs/server.md).
    #[arg(
        long,
        env = "EKMS_MAX_CONNECTIONS",
        default_value_t = 0,
        value_name = "N"
    )]
    pub max_connections: usize,

    /// Group databases open at once, each holding up to five files (0: derived from the
    /// open-file limit, see docs/server.md).
    #[arg(
        long,
        env = "EKMS_MAX_OPEN_GROUPS",
        default_value_t = 0,
        value_name = "N"
    )]
    pub max_open_groups: usize,

    /// Allow --tls-cert/--tls-key, a TLS key chosen by the host instead of one made in the
    /// enclave (measured: `ekms trust` reports such a server as not trusted). Refused with
    /// --quote-source gramine.
    #[arg(
        long,
        env = "EKMS_ALLOW_HOST_TLS_KEY",
        action = ArgAction::Set,
        num_args = 0..=1,
        default_value_t = false,
        default_missing_value = "true",
        value_name = "BOOL"
    )]
    pub allow_host_tls_key: bool,

    /// PEM certificate (chain) to present instead of the enclave-made one (needs
    /// --allow-host-tls-key).
    #[arg(long, env = "EKMS_TLS_CERT", value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key of --tls-cert (a secret: never measured, served or logged).
    #[arg(long, env = "EKMS_TLS_KEY", value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Format of the logs on stderr: `text` (coloured only on a terminal) or `json` (one
    /// object per line with time, level, request id, route, operation, result, duration).
    #[arg(long, env = "EKMS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

impl Config {
    /// The server's bounds on every group's audit trail (`--audit-retention-max-rows`,
    /// `--audit-retention-max-age-days`; 0 is none).
    pub fn audit_limits(&self) -> ekms_store::retention::Limits {
        let some = |n: u64| (n > 0).then_some(n);
        ekms_store::retention::Limits {
            max_rows: some(self.audit_retention_max_rows),
            max_age_days: some(self.audit_retention_max_age_days),
        }
    }

    /// Parses the process arguments, the environment and the TOML file.
    pub fn load() -> anyhow::Result<Self> {
        Self::load_from(std::env::args_os().collect())
    }

    /// As [`Config::load`], from explicit arguments (the first is the program name).
    pub fn load_from(args: Vec<OsString>) -> anyhow::Result<Self> {
        let config = Self::merge(args)?;
        config.validate()?;
        Ok(config)
    }

    /// Refuses combinations that would defeat attestation.
    fn validate(&self) -> anyhow::Result<()> {
        let host_key = self.tls_cert.is_some() || self.tls_key.is_some();
        if self.quote_source == QuoteSource::Gramine && (host_key || self.allow_host_tls_key) {
            bail!(
                "--tls-cert/--tls-key/--allow-host-tls-key are refused with --quote-source gramine: in an enclave the TLS key is made inside it, never chosen by the host"
            );
        }
        if self.database_password_file.is_some() && self.database.is_none() {
            bail!(
                "--database-password-file is the password of --database: give --database too, or drop it"
            );
        }
        if host_key && !self.allow_host_tls_key {
            bail!(
                "--tls-cert/--tls-key give a TLS key chosen by the host, which attestation cannot vouch for: pass --allow-host-tls-key as well (a measured setting: the enclave's mr_enclave changes and `ekms trust` reports `TLS key made in the enclave: Ko`), or drop them to use the key the enclave makes"
            );
        }
        Ok(())
    }

    fn merge(args: Vec<OsString>) -> anyhow::Result<Self> {
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

impl Config {
    /// Where the server's own sealed state lives: `--key-dir`, else the data dir.
    pub fn key_dir(&self) -> PathBuf {
        self.key_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.clone())
    }

    /// The password of --database: the first line of --database-password-file (without its
    /// line end), wiped on drop. An error names the file, never its content.
    pub fn database_password(&self) -> anyhow::Result<Option<zeroize::Zeroizing<String>>> {
        let Some(path) = &self.database_password_file else {
            return Ok(None);
        };
        let text = zeroize::Zeroizing::new(std::fs::read_to_string(path).with_context(|| {
            format!(
                "cannot read the database password file {} (--database-password-file)",
                path.display()
            )
        })?);
        let line = text.lines().next().unwrap_or_default();
        if line.is_empty() {
            bail!(
                "the database password file {} is empty: write the password on its first line",
                path.display()
            );
        }
        Ok(Some(zeroize::Zeroizing::new(line.to_string())))
    }

    /// The measured settings with their effective values, in [`SETTINGS`] order (whatever
    /// gave them: a flag, a variable or the `--config` file).
    pub fn measured(&self) -> anyhow::Result<Vec<MeasuredSetting>> {
        let values = serde_json::to_value(self).context("cannot read the settings")?;
        let command = Self::command();
        let mut out = Vec::new();
        for (id, how) in SETTINGS.iter().filter(|(_, how)| how.is_measured()) {
            let arg = command
                .get_arguments()
                .find(|a| a.get_id() == *id)
                .with_context(|| format!("the setting {id} is classified but does not exist"))?;
            let flag = format!("--{}", arg.get_long().unwrap_or(id));
            let env = arg
                .get_env()
                .and_then(|e| e.to_str())
                .with_context(|| format!("the measured setting {flag} has no EKMS_ variable"))?
                .to_string();
            let value = render(values.get(*id), &flag)?;
            let file = match (how, &value) {
                (Measure::File, Some(v)) => Some(PathBuf::from(v)),
                (Measure::UrlOrFile, Some(v))
                    if !(v.starts_with("https://") || v.starts_with("http://")) =>
                {
                    Some(PathBuf::from(v))
                }
                _ => None,
            };
            out.push(MeasuredSetting {
                id,
                flag,
                env,
                value,
                file,
            });
        }
        Ok(out)
    }

    /// The settings a manifest states: its `loader.argv` (without the program name) and its
    /// `loader.env` variables, nothing else (no process environment, no settings file); a
    /// setting it does not state has its default. Only measured settings are read.
    pub fn stated(argv: &[String], env: &BTreeMap<String, String>) -> anyhow::Result<Self> {
        // Without the process environment: only what the manifest states counts.
        let command = || Self::command().mut_args(|a| a.env(None::<&'static str>));
        let mut args: Vec<OsString> = vec!["ekms-server".into()];
        args.extend(argv.iter().map(OsString::from));
        let given = command()
            .try_get_matches_from(args.clone())
            .context("the manifest's loader.argv is not a valid ekms-server command line")?;
        let real = Self::command();
        for (id, _) in SETTINGS.iter().filter(|(_, how)| how.is_measured()) {
            let Some(arg) = real.get_arguments().find(|a| a.get_id() == *id) else {
                continue;
            };
            let (Some(var), Some(long)) = (arg.get_env().and_then(|e| e.to_str()), arg.get_long())
            else {
                continue;
            };
            if matches!(given.value_source(id), Some(ValueSource::CommandLine)) {
                continue;
            }
            if let Some(value) = env.get(var) {
                args.push(format!("--{long}={value}").into());
            }
        }
        let matches = command()
            .try_get_matches_from(args)
            .context("the manifest states a setting ekms-server does not accept")?;
        Ok(Self::from_arg_matches(&matches)?)
    }
}

/// A setting's value in the form its flag and variable take (`None`: unset).
fn render(value: Option<&serde_json::Value>, flag: &str) -> anyhow::Result<Option<String>> {
    use serde_json::Value;
    let scalar = |v: &Value| -> anyhow::Result<String> {
        Ok(match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            other => {
                bail!("the measured setting {flag} has a value {other} the manifest cannot state")
            }
        })
    };
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => Ok(Some(
            items
                .iter()
                .map(scalar)
                .collect::<anyhow::Result<Vec<_>>>()?
                .join(","),
        )),
        Some(v) => scalar(v).map(Some),
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

    use std::path::Path;

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
        assert_eq!(c.register_rate_per_hour, 100);
        assert_eq!(c.max_groups, 10_000);
        assert_eq!(c.max_data_bytes, 10_737_418_240);
        assert_eq!(c.header_timeout_seconds, 10);
        assert_eq!(c.idle_timeout_seconds, 120);
        assert_eq!(c.max_connections, 0);
        assert_eq!(c.max_open_groups, 0);
        assert_eq!(c.jwt_user_claim, "email");
        assert_eq!(c.max_kdf_work, 4_000_000);
        assert_eq!(c.max_batch_items, 64);
        assert_eq!(c.max_locate_items, 1000);
        assert_eq!(c.max_audit_rows, 10_000);
        assert_eq!(c.audit_limits(), ekms_store::retention::Limits::default());
        assert_eq!(c.lease_time_seconds, 3600);
        assert!(!c.allow_host_tls_key);
        assert!(!c.allow_debug_enclave);
        assert_eq!(
            c.key_dir(),
            PathBuf::from("./ekms-data"),
            "the embedded layout"
        );
        let c = Config::load_from(args(&["--data-dir", "/d", "--key-dir", "/k"])).unwrap();
        assert_eq!(
            (c.data_dir.as_path(), c.key_dir()),
            (Path::new("/d"), "/k".into())
        );
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
    fn audit_retention_limits_come_from_flags_and_file() {
        use ekms_store::retention::Limits;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        let toml = "audit_retention_max_rows = 500\naudit_retention_max_age_days = 30\n";
        std::fs::write(&file, toml).unwrap();
        let load = |more: &[&str]| {
            let mut argv = vec!["--config", file.to_str().unwrap()];
            argv.extend(more);
            Config::load_from(args(&argv)).unwrap().audit_limits()
        };
        let both = Limits {
            max_rows: Some(500),
            max_age_days: Some(30),
        };
        assert_eq!(load(&[]), both);
        let flag = load(&["--audit-retention-max-rows", "0"]);
        assert_eq!(flag.max_rows, None, "0 is no bound");
        let flag = load(&["--audit-retention-max-age-days", "7"]);
        assert_eq!(flag.max_age_days, Some(7));
    }

    #[test]
    fn work_limits_come_from_flags_and_file_and_are_positive() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(
            &file,
            "max_kdf_work = 7\nmax_batch_items = 8\nmax_locate_items = 9\nmax_audit_rows = 10\n",
        )
        .unwrap();
        let c = Config::load_from(args(&["--config", file.to_str().unwrap()])).unwrap();
        assert_eq!(
            (
                c.max_kdf_work,
                c.max_batch_items,
                c.max_locate_items,
                c.max_audit_rows
            ),
            (7, 8, 9, 10)
        );
        let c = Config::load_from(args(&["--max-kdf-work", "11"])).unwrap();
        assert_eq!(c.max_kdf_work, 11);
        for flag in [
            "--max-kdf-work",
            "--max-batch-items",
            "--max-locate-items",
            "--max-audit-rows",
        ] {
            let mut cmd = Config::command();
            assert!(
                cmd.try_get_matches_from_mut(["ekms-server", flag, "0"])
                    .is_err(),
                "{flag} 0"
            );
        }
    }

    #[test]
    fn every_setting_is_classified() {
        // A new setting must say whether it is measured (docs/measurement.md): limits, rates
        // and policies are; addresses and secrets are not.
        let command = Config::command();
        let ids: Vec<String> = command
            .get_arguments()
            .map(|a| a.get_id().to_string())
            .filter(|id| id != "help" && id != "version")
            .collect();
        for id in &ids {
            assert!(
                SETTINGS.iter().any(|(s, _)| s == id),
                "the setting `{id}` is not classified in config::SETTINGS: is it measured?"
            );
        }
        for (id, how) in SETTINGS {
            assert!(
                ids.iter().any(|i| i == id),
                "SETTINGS names `{id}`, no such setting"
            );
            let arg = command.get_arguments().find(|a| a.get_id() == *id).unwrap();
            if how.is_measured() {
                assert!(
                    arg.get_env().is_some(),
                    "measured `{id}` needs an EKMS_ variable"
                );
            }
        }
        let c = Config::load_from(args(&[])).unwrap();
        let measured = c.measured().unwrap();
        assert_eq!(
            measured.len(),
            SETTINGS.iter().filter(|(_, h)| h.is_measured()).count()
        );
    }

    #[test]
    fn measured_settings_round_trip_through_a_manifest() {
        let c = Config::load_from(args(&[
            "--registration",
            "closed",
            "--register-rate-per-minute",
            "3",
            "--max-payload-bytes",
            "77",
            "--allow-host-tls-key",
            "--data-dir",
            "/srv/ekms data",
            "--jwt-jwks",
            "https://idp.example/jwks",
            "--jwt-issuer",
            "https://idp.example",
            "--listen",
            "0.0.0.0:1",
        ]))
        .unwrap();
        let measured = c.measured().unwrap();
        let env: BTreeMap<String, String> = measured
            .iter()
            .filter_map(|m| m.value.clone().map(|v| (m.env.clone(), v)))
            .collect();
        assert_eq!(env["EKMS_REGISTRATION"], "closed");
        assert_eq!(env["EKMS_ALLOW_HOST_TLS_KEY"], "true");
        assert_eq!(env["EKMS_QUOTE_SOURCE"], "emulated");
        assert!(
            !env.contains_key("EKMS_LISTEN"),
            "addresses are not measured"
        );
        assert!(
            !env.contains_key("EKMS_JWT_AUDIENCE"),
            "unset settings are not stated"
        );
        let jwks = measured.iter().find(|m| m.id == "jwt_jwks").unwrap();
        assert_eq!(jwks.file, None, "a URL is stated, not hashed");
        let stated = Config::stated(&[], &env).unwrap();
        assert_eq!(stated.measured().unwrap(), measured);
        // Through loader.argv as well; argv wins over env, as flags win over variables.
        let mut env2 = env.clone();
        env2.insert("EKMS_REGISTRATION".into(), "open".into());
        let stated = Config::stated(&["--registration".into(), "closed".into()], &env2).unwrap();
        assert_eq!(stated.measured().unwrap(), measured);
        // Nothing stated: the defaults.
        let none = Config::stated(&[], &BTreeMap::new()).unwrap();
        let defaults = Config::load_from(args(&[])).unwrap();
        assert_eq!(none.measured().unwrap(), defaults.measured().unwrap());
    }

    #[test]
    fn a_host_tls_key_needs_the_allow_flag_and_never_with_gramine() {
        let pair = ["--tls-cert", "c.pem", "--tls-key", "k.pem"];
        let err = Config::load_from(args(&pair)).unwrap_err();
        assert!(err.to_string().contains("--allow-host-tls-key"), "{err}");
        let mut allowed = pair.to_vec();
        allowed.push("--allow-host-tls-key");
        assert!(
            Config::load_from(args(&allowed))
                .unwrap()
                .allow_host_tls_key
        );
        let mut explicit_false = pair.to_vec();
        explicit_false.push("--allow-host-tls-key=false");
        assert!(Config::load_from(args(&explicit_false)).is_err());
        allowed.extend(["--quote-source", "gramine"]);
        let err = Config::load_from(args(&allowed)).unwrap_err();
        assert!(err.to_string().contains("gramine"), "{err}");
        let err = Config::load_from(args(&["--quote-source", "gramine", "--allow-host-tls-key"]))
            .unwrap_err();
        assert!(err.to_string().contains("gramine"), "{err}");
    }

    #[test]
    fn the_database_settings_and_the_password_file() {
        let c = Config::load_from(args(&[])).unwrap();
        assert_eq!(
            (c.database.as_deref(), c.database_pool_size),
            (None, 8),
            "SQLCipher, without a flag"
        );
        assert!(c.database_password().unwrap().is_none());
        let dir = tempfile::tempdir().unwrap();
        let pw = dir.path().join("pw");
        std::fs::write(&pw, "s3cr\u{e9}t pass\r\nsecond line\n").unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(
            &file,
            format!(
                "database = \"postgres://ekms@db1,db2/ekms?target_session_attrs=read-write\"\ndatabase_password_file = {:?}\ndatabase_pool_size = 3\n",
                pw.to_str().unwrap()
            ),
        )
        .unwrap();
        let c = Config::load_from(args(&["--config", file.to_str().unwrap()])).unwrap();
        assert_eq!(
            c.database.as_deref(),
            Some("postgres://ekms@db1,db2/ekms?target_session_attrs=read-write")
        );
        assert_eq!(c.database_pool_size, 3);
        assert_eq!(
            c.database_password().unwrap().unwrap().as_str(),
            "s3cr\u{e9}t pass"
        );
        // The password is not a setting's value: neither measured nor in the settings.
        let measured = format!("{:?}", c.measured().unwrap());
        assert!(
            !measured.contains("s3cr") && !measured.contains("db1"),
            "{measured}"
        );
        let c = Config::load_from(args(&[
            "--database-pool-size",
            "5",
            "--database",
            "host=/run/postgresql dbname=ekms",
        ]))
        .unwrap();
        assert_eq!(c.database_pool_size, 5);
        let mut cmd = Config::command();
        assert!(
            cmd.try_get_matches_from_mut(["ekms-server", "--database-pool-size", "0"])
                .is_err()
        );
        let err = Config::load_from(args(&["--database-password-file", pw.to_str().unwrap()]))
            .unwrap_err();
        assert!(err.to_string().contains("--database"), "{err}");
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "\n").unwrap();
        let c = Config::load_from(args(&[
            "--database",
            "postgres://e@h/d",
            "--database-password-file",
            empty.to_str().unwrap(),
        ]))
        .unwrap();
        let err = c.database_password().unwrap_err();
        assert!(err.to_string().contains("is empty"), "{err}");
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
