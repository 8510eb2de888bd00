//! Errors of the client, typed so that callers (the CLI) can tell the user what to do next.

use crate::trust::TrustFailure;

/// Any failure of a client call.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server URL cannot be used.
    #[error("invalid server URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// A trust option is malformed (CA file, pin) or TLS could not be set up.
    #[error("{0}")]
    Trust(String),
    /// The server's certificate was refused by the configured trust.
    #[error("the server certificate is not trusted ({})", describe_failure(.0))]
    Untrusted(TrustFailure),
    /// No TCP/TLS connection could be made.
    #[error("could not connect to {url}: {reason}")]
    Connect {
        /// The server URL.
        url: String,
        /// The underlying cause.
        reason: String,
    },
    /// The request did not complete in time.
    #[error("the request to {url} timed out")]
    Timeout {
        /// The server URL.
        url: String,
    },
    /// The server answered with an error status.
    #[error("the server refused the request: {status} {code}: {message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// The `error` field of the answer (a KMIP ResultReason or a code).
        code: String,
        /// The `message` field of the answer.
        message: String,
    },
    /// An operation needs the group secret and none is configured.
    #[error("no group secret is configured")]
    NoSecret,
    /// Another HTTP failure.
    #[error("HTTP error talking to {url}: {reason}")]
    Http {
        /// The server URL.
        url: String,
        /// The underlying cause.
        reason: String,
    },
    /// The server's answer does not have the expected shape.
    #[error("unexpected answer from the server: {0}")]
    Protocol(String),
    /// A request could not be built (invalid input).
    #[error("{0}")]
    Invalid(String),

    /// The server stated its group at a state older than, or at the same version as but other
    /// than, one this client saw before sending the request (`crate::group_state`).
    #[error(
        "the server answered for group {group} at version {got}, but this client saw version {seen} before: {}",
        if *forked {
            "at that version the group had another history, so the server's storage was forked (an older copy put back and written again); do not trust this answer and tell the server's operator"
        } else {
            "the server's storage was rolled back (an older copy put back, which can bring revoked or destroyed keys back); do not trust this answer and tell the server's operator"
        }
    )]
    RolledBack {
        group: String,
        seen: u64,
        got: u64,
        forked: bool,
    },
    /// A helper service of attestation (the attestation service, a PCCS) could not be reached
    /// or did not answer as its API says.
    #[error("{service} at {url}: {reason}")]
    Service {
        /// Which service: `the attestation service` or `the PCCS`.
        service: &'static str,
        /// Its URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The TLS certificate of a helper service was refused by the configured trust.
    #[error("{service} at {url} is not trusted ({})", describe_failure(.failure))]
    ServiceUntrusted {
        /// Which service.
        service: &'static str,
        /// Its URL.
        url: String,
        /// Why its certificate was refused.
        failure: TrustFailure,
    },
}

fn describe_failure(f: &TrustFailure) -> String {
    match f {
        TrustFailure::NotTrusted { sha256, reason, .. } => {
            format!("sha256 {}: {reason}", hex::encode(sha256))
        }
        TrustFailure::PinMismatch { expected, actual } => format!(
            "it changed: the server presents sha256 {} but the pin is {}",
            hex::encode(actual),
            hex::encode(expected)
        ),
    }
}

impl Error {
    /// The HTTP status, for errors the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The server's error code (e.g. `ItemNotFound`), for errors the server answered.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Api { code, .. } => Some(code.as_str()),
            _ => None,
        }
    }

    /// Whether the server refused the group secret (HTTP 401).
    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(401)
    }
}

/// Result with the client's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
