//! HTTPS plumbing shared by the clients of attestation's helper services (the attestation
//! service and the PCCS): a reqwest client whose certificate verifier follows a [`Trust`]
//! choice, and the mapping of transport failures to [`Error::Service`] or
//! [`Error::ServiceUntrusted`] naming the service, so that a message never blames the KMS server
//! for a helper's failure.

use std::time::Duration;

use crate::client::{error_chain, normalize_url};
use crate::error::{Error, Result};
use crate::trust::{self, Trust, VerifyLog};

/// Largest answer read from a helper service (a JWKS, collateral, a token: a few KiB each).
pub(crate) const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

/// An HTTPS client of one helper service.
#[derive(Debug)]
pub(crate) struct ServiceHttp {
    http: reqwest::Client,
    base: String,
    log: VerifyLog,
    name: &'static str,
}

/// One answer: status, headers, body.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl ServiceHttp {
    /// A client of the service `name` at `url` (https only), trusting its certificate as
    /// `trust` says.
    pub(crate) fn new(name: &'static str, url: &str, trust: &Trust) -> Result<Self> {
        let base = normalize_url(url).map_err(|e| match e {
            Error::InvalidUrl { url, reason } => Error::Service {
                service: name,
                url,
                reason: format!("the URL cannot be used: {reason}"),
            },
            other => other,
        })?;
        let log = VerifyLog::default();
        let tls = trust::client_config(trust, log.clone())?;
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .connect_timeout(Duration::from_secs(15))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("ekms-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Trust(format!("cannot build the HTTP client: {e}")))?;
        Ok(ServiceHttp {
            http,
            base,
            log,
            name,
        })
    }

    /// The normalized base URL (no trailing slash).
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// Which service this is, for messages.
    pub(crate) fn name(&self) -> &'static str {
        self.name
    }

    /// Sends a request built on the client and reads the whole answer (bounded).
    pub(crate) async fn send(
        &self,
        build: impl FnOnce(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<Answer> {
        self.log.clear_failure();
        let mut response = build(&self.http)
            .send()
            .await
            .map_err(|e| self.transport_error(e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(e))?
        {
            if body.len().saturating_add(chunk.len()) > MAX_ANSWER_BYTES {
                return Err(self.error(format!(
                    "the answer is larger than {MAX_ANSWER_BYTES} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    /// An [`Error::Service`] about this service.
    pub(crate) fn error(&self, reason: impl Into<String>) -> Error {
        Error::Service {
            service: self.name,
            url: self.base.clone(),
            reason: reason.into(),
        }
    }

    fn transport_error(&self, e: reqwest::Error) -> Error {
        if let Some(failure) = self.log.take_failure() {
            return Error::ServiceUntrusted {
                service: self.name,
                url: self.base.clone(),
                failure,
            };
        }
        if e.is_timeout() {
            return self.error("it did not answer in time");
        }
        let reason = error_chain(&e);
        if e.is_connect() {
            return self.error(format!("could not connect: {reason}"));
        }
        self.error(reason)
    }
}
