//! Turning errors into messages that say what went wrong and what to do next.
//!
//! Commands that know the whole story of a failure return an [`Explained`]; the other errors
//! (the client's, I/O) are explained here from their type.

use ekms_client::{Error as ClientError, TrustFailure};

/// A failure explained by the command itself (the message is complete, with what to do).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Explained {
    /// What went wrong.
    pub message: String,
    /// What to do next.
    pub hint: Option<String>,
}

/// What the messages may refer to.
pub struct HintContext {
    /// Server URL in use.
    pub server_url: String,
    /// Config file in use.
    pub config_path: String,
}

/// The message and the hint for an error.
pub fn explain(err: &anyhow::Error, ctx: &HintContext) -> (String, Option<String>) {
    for cause in err.chain() {
        if let Some(explained) = cause.downcast_ref::<Explained>() {
            return (explained.message.clone(), explained.hint.clone());
        }
        if let Some(client_error) = cause.downcast_ref::<ClientError>() {
            let (message, hint) = explain_client(client_error, ctx);
            // Keep the context added around the client error, if any.
            let outer = err.to_string();
            let message = if outer == client_error.to_string() {
                message
            } else {
                format!("{outer}: {message}")
            };
            return (message, hint);
        }
    }
    let chain: Vec<String> = err.chain().map(|c| c.to_string()).collect();
    (chain.join(": "), None)
}

fn explain_client(e: &ClientError, ctx: &HintContext) -> (String, Option<String>) {
    let url = &ctx.server_url;
    match e {
        ClientError::Untrusted(TrustFailure::NotTrusted {
            sha256,
            configured: false,
            ..
        }) => (
            format!(
                "the server certificate is not trusted: no --ca or --pin-sha256 was given and the config file names none (the server at {url} presents a certificate with sha256 {})",
                hex::encode(sha256)
            ),
            Some(
                "run `ekms trust` to verify the server by attestation and pin its certificate, or pass --ca FILE or --pin-sha256 HEX (the server prints its certificate sha256 at start)"
                    .to_string(),
            ),
        ),
        ClientError::Untrusted(TrustFailure::NotTrusted { sha256, reason, .. }) => (
            format!(
                "the server certificate (sha256 {}) does not verify against the CA file: {reason}",
                hex::encode(sha256)
            ),
            Some(
                "pass --ca with the CA that signed the server certificate (or the certificate itself), or --pin-sha256 HEX (the server prints its certificate sha256 at start)"
                    .to_string(),
            ),
        ),
        ClientError::Untrusted(TrustFailure::PinMismatch { expected, actual }) => (
            format!(
                "the server certificate changed: the server at {url} presents sha256 {} but the pinned certificate is {}",
                hex::encode(actual),
                hex::encode(expected)
            ),
            Some(format!(
                "run `ekms trust` again: it verifies by attestation that the new certificate was made by the enclave you expect (an update changes the measurement, and so the certificate) and pins it in {}; until then nothing is sent, since someone may be intercepting the connection",
                ctx.config_path
            )),
        ),
        ClientError::Service {
            service,
            url,
            reason,
        } => (
            format!("{service} at {url}: {reason}"),
            Some(if *service == "the PCCS" {
                format!("is the PCCS running at {url}? (--pccs-url)")
            } else {
                format!(
                    "is the attestation service running at {url}? choose one with --attestation-url URL (or attestation_url in {})",
                    ctx.config_path
                )
            }),
        ),
        ClientError::ServiceUntrusted {
            service,
            url,
            failure,
        } => {
            let sha = match failure {
                TrustFailure::NotTrusted { sha256, .. } => *sha256,
                TrustFailure::PinMismatch { actual, .. } => *actual,
            };
            (
                format!(
                    "{service} at {url} presents a certificate (sha256 {}) that is not trusted: {}",
                    hex::encode(sha),
                    match failure {
                        TrustFailure::NotTrusted { reason, .. } => reason.clone(),
                        TrustFailure::PinMismatch { expected, .. } => format!(
                            "the pin is {}",
                            hex::encode(expected)
                        ),
                    }
                ),
                Some(
                    "pass --attestation-ca FILE or --attestation-pin-sha256 HEX (ekms-attest prints its certificate sha256 at start); without them the public Web PKI roots are used"
                        .to_string(),
                ),
            )
        }
        ClientError::Connect { reason, .. } => (
            format!("could not connect to {url}: {reason}"),
            Some(format!("is the server running at {url}?")),
        ),
        ClientError::Timeout { .. } => (
            format!("the server at {url} did not answer in time"),
            Some(format!("is the server at {url} overloaded or stuck?")),
        ),
        ClientError::NoSecret => (
            format!("no group secret in the config file {}", ctx.config_path),
            Some("run `ekms register` first, or pass --config FILE for another group".to_string()),
        ),
        ClientError::Api {
            status: 401,
            code,
            message,
        } if code == "unauthenticated" => (
            format!(
                "your credentials (bearer token or client certificate) were refused by the server ({message})"
            ),
            Some(format!(
                "set bearer_token (or client_cert and client_key) in the config file ({}), or pass --bearer-token (EKMS_BEARER_TOKEN) or --client-cert/--client-key; a token may have expired",
                ctx.config_path
            )),
        ),
        ClientError::Api {
            status: 401,
            message,
            ..
        } => (
            format!("the group secret was refused by the server ({message})"),
            Some(format!(
                "check the config file ({}) or run `ekms register`; the group's administrator may have rotated its secret (`ekms group rotate-secret`) or deleted the group",
                ctx.config_path
            )),
        ),
        ClientError::Api {
            status: 404,
            message,
            ..
        } => (
            format!("not found: {message}"),
            Some("`ekms keys locate` lists the keys of the group".to_string()),
        ),
        ClientError::Api {
            status: 403,
            message,
            ..
        } => (
            format!("not allowed: {message}"),
            Some(
                "ask the owner of the object (`ekms access grant`) or the group's administrator for the right"
                    .to_string(),
            ),
        ),
        ClientError::Api {
            code, message, ..
        } if code == "WrongKeyLifecycleState" => (
            format!("the key's state does not allow this: {message}"),
            Some(
                "`ekms keys get ID` shows its State: a PreActive key needs `ekms keys activate ID`; a revoked key no longer encrypts; an Active key must be revoked before it is destroyed"
                    .to_string(),
            ),
        ),
        ClientError::Api {
            status: 413,
            message,
            ..
        } => (
            format!("the request is too large for the server: {message}"),
            None,
        ),
        ClientError::Api {
            status,
            code,
            message,
        } => (
            format!("the server refused the request ({status} {code}): {message}"),
            None,
        ),
        ClientError::Protocol(reason) => (
            format!("unexpected answer from {url}: {reason}"),
            Some(format!("is {url} an ekms server (check --server-url)?")),
        ),
        other => (other.to_string(), None),
    }
}
