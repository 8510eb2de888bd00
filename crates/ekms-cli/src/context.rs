//! What a command runs with: the config file, the server URL and the trust choice, resolved
//! from flags, environment variables and the config file (in that order of precedence).

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use ekms_client::{Client, ClientConfig, ClientIdentity, DEFAULT_SERVER_URL, Secret, Trust};

use crate::cli::GlobalArgs;
use crate::config::{self, Config};

/// How the server certificate is trusted, and where that choice came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrustChoice {
    /// A PEM file of trust anchors.
    Ca(PathBuf),
    /// A SHA-256 pin (hex).
    Pin(String),
    /// No check (warned about).
    Insecure,
    /// Nothing given: every certificate is refused.
    None,
}

/// The resolved settings of one run.
#[derive(Debug)]
pub struct Context {
    /// Path of the config file.
    pub config_path: PathBuf,
    /// Its content (empty when the file does not exist).
    pub config: Config,
    /// Server base URL.
    pub server_url: String,
    /// Trust choice.
    pub trust: TrustChoice,
    /// Whether the trust choice came from the command line.
    pub trust_from_flags: bool,
    /// Print JSON.
    pub json: bool,
    /// The bearer token (flag or environment, else the config file's).
    pub bearer_token: Option<Secret>,
    /// The TLS client certificate and key files (flags, else the config file's).
    pub client_cert: Option<(PathBuf, PathBuf)>,
}

impl Context {
    /// Resolves the settings; reads the config file.
    pub fn from_args(args: &GlobalArgs) -> Result<Context> {
        let config_path = match &args.config {
            Some(p) => p.clone(),
            None => config::default_path()?,
        };
        let config = Config::load(&config_path)?;
        let chosen = [args.ca.is_some(), args.pin_sha256.is_some(), args.insecure]
            .iter()
            .filter(|b| **b)
            .count();
        if chosen > 1 {
            bail!("choose one of --ca, --pin-sha256 and --insecure");
        }
        let (trust, trust_from_flags) = if let Some(ca) = &args.ca {
            (TrustChoice::Ca(ca.clone()), true)
        } else if let Some(pin) = &args.pin_sha256 {
            (TrustChoice::Pin(pin.clone()), true)
        } else if args.insecure {
            (TrustChoice::Insecure, true)
        } else if let Some(pin) = &config.pin_sha256 {
            (TrustChoice::Pin(pin.clone()), false)
        } else if let Some(ca) = &config.ca {
            (TrustChoice::Ca(ca.clone()), false)
        } else {
            (TrustChoice::None, false)
        };
        let server_url = args
            .server_url
            .clone()
            .or_else(|| config.server_url.clone())
            .unwrap_or_else(|| DEFAULT_SERVER_URL.to_string());
        let bearer_token = args
            .bearer_token
            .clone()
            .map(Secret::new)
            .or_else(|| config.bearer_token.clone())
            .filter(|t| !t.is_empty());
        let client_cert = match (&args.client_cert, &args.client_key) {
            (Some(cert), Some(key)) => Some((cert.clone(), key.clone())),
            (None, None) => match (&config.client_cert, &config.client_key) {
                (Some(cert), Some(key)) => Some((cert.clone(), key.clone())),
                (None, None) => None,
                _ => bail!(
                    "the config file {} names only one of client_cert and client_key: give both",
                    config_path.display()
                ),
            },
            _ => bail!("give both --client-cert and --client-key"),
        };
        Ok(Context {
            config_path,
            config,
            server_url,
            trust,
            trust_from_flags,
            json: args.json,
            bearer_token,
            client_cert,
        })
    }

    /// The client library's trust for the choice; warns on stderr for `--insecure`.
    pub fn client_trust(&self) -> Result<Trust> {
        Ok(match &self.trust {
            TrustChoice::Ca(path) => Trust::from_ca_file(path)?,
            TrustChoice::Pin(pin) => Trust::from_pin_hex(pin)?,
            TrustChoice::Insecure => {
                eprintln!(
                    "warning: --insecure: the server certificate is not checked; anyone between you and the server could read the group secret and your data"
                );
                Trust::Insecure
            }
            TrustChoice::None => Trust::None,
        })
    }

    /// A client; with `with_secret`, it carries the group secret of the config file.
    pub fn client(&self, with_secret: bool) -> Result<Client> {
        let secret = if with_secret {
            self.config.secret.clone()
        } else {
            None
        };
        self.client_with(secret)
    }

    /// A client with the group secret for `ekms sym encrypt|decrypt`, speaking HTTP/1.1: a
    /// large body moves through it with less CPU than through HTTP/2's frames, flow control and
    /// per-stream task (BENCHMARKS.md, "Streams over HTTP/1.1"), and these commands send one
    /// request at a time, so HTTP/2's multiplexing buys them nothing.
    pub fn stream_client(&self) -> Result<Client> {
        self.build_client(self.config.secret.clone(), true)
    }

    /// A client carrying `secret` (one not in the config file yet, for `ekms group join`).
    pub fn client_with(&self, secret: Option<ekms_client::Secret>) -> Result<Client> {
        self.build_client(secret, false)
    }

    fn build_client(&self, secret: Option<ekms_client::Secret>, http1: bool) -> Result<Client> {
        let trust = self.client_trust()?;
        let identity = match &self.client_cert {
            Some((cert, key)) => Some(ClientIdentity::from_pem_files(cert, key)?),
            None => None,
        };
        let config = ClientConfig::new(self.server_url.clone(), trust)
            .with_secret(secret)
            .with_bearer_token(self.bearer_token.clone())
            .with_client_identity(identity)
            .with_http1_only(http1);
        Ok(Client::new(config)?)
    }

    /// The config file path, for messages.
    pub fn config_path(&self) -> &Path {
        &self.config_path
    }
}
