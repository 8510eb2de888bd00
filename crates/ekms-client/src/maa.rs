//! A client of an attestation service with Microsoft Azure Attestation's REST API for SGX
//! enclaves (Azure Attestation itself, or `ekms-attest`).
//!
//! [`AttestationService::attest_sgx`] sends `POST {base}/attest/SgxEnclave?api-version=…` with
//! the quote and the runtime data (certificate PEM followed by the nonce, whose SHA-256 the
//! enclave put in its report data), and returns the token, or the service's refusal as
//! [`ServiceRefusal`] (a refusal is evidence for the checks, not a transport error);
//! [`AttestationService::jwks`] reads the token signing keys at `{base}/certs`. Nothing here
//! judges the token: that is [`crate::checks`]'s job.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::Result;
use crate::service::ServiceHttp;
use crate::trust::Trust;

/// The attestation service used when none is configured: Microsoft's shared Azure Attestation
/// instance in East US.
pub const DEFAULT_ATTESTATION_URL: &str = "https://sharedeus.eus.attest.azure.net";

/// The MAA API version sent (one Azure Attestation and `ekms-attest` both speak).
pub const MAA_API_VERSION: &str = "2022-08-01";

/// An attestation service's refusal to issue a token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRefusal {
    /// HTTP status.
    pub status: u16,
    /// MAA's error code (`InvalidQuote`, `PolicyEvaluationError`, `RuntimeDataMismatch`, …).
    pub code: String,
    /// The service's message.
    pub message: String,
}

impl std::fmt::Display for ServiceRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)
    }
}

/// A client of one attestation service.
#[derive(Debug)]
pub struct AttestationService {
    http: ServiceHttp,
}

impl AttestationService {
    /// A client of the service at `url` (https), trusting its TLS certificate as `trust` says
    /// ([`Trust::PublicRoots`] for a public service such as Azure Attestation).
    pub fn new(url: &str, trust: &Trust) -> Result<Self> {
        Ok(AttestationService {
            http: ServiceHttp::new("the attestation service", url, trust)?,
        })
    }

    /// The base URL (normalized, no trailing slash): the issuer its tokens must name.
    pub fn url(&self) -> &str {
        self.http.base()
    }

    /// Asks for a token on `quote`, sending `runtime_data` (the service checks that its
    /// SHA-256 is the first half of the quote's report data). `Ok(Err(_))` is the service's
    /// refusal; `Err(_)` a transport failure.
    pub async fn attest_sgx(
        &self,
        quote: &[u8],
        runtime_data: &[u8],
    ) -> Result<std::result::Result<String, ServiceRefusal>> {
        let url = format!(
            "{}/attest/SgxEnclave?api-version={MAA_API_VERSION}",
            self.http.base()
        );
        let body = json!({
            "quote": URL_SAFE_NO_PAD.encode(quote),
            "runtimeData": {"data": URL_SAFE_NO_PAD.encode(runtime_data), "dataType": "Binary"},
        });
        let answer = self.http.send(|c| c.post(&url).json(&body)).await?;
        if answer.status == 200 {
            let value: Value = serde_json::from_slice(&answer.body).map_err(|e| {
                self.http
                    .error(format!("the attest answer is not JSON: {e}"))
            })?;
            return match value.get("token").and_then(Value::as_str) {
                Some(token) => Ok(Ok(token.to_string())),
                None => Err(self.http.error("the attest answer has no token")),
            };
        }
        Ok(Err(refusal(answer.status, &answer.body)))
    }

    /// The token signing keys (`GET {base}/certs`), as the JSON Web Key Set the service serves.
    pub async fn jwks(&self) -> Result<Value> {
        let url = format!("{}/certs", self.http.base());
        let answer = self.http.send(|c| c.get(&url)).await?;
        if answer.status != 200 {
            return Err(self.http.error(format!(
                "{} answered {} for its keys: {}",
                self.http.name(),
                answer.status,
                String::from_utf8_lossy(&answer.body)
                    .chars()
                    .take(300)
                    .collect::<String>()
            )));
        }
        serde_json::from_slice(&answer.body).map_err(|e| {
            self.http
                .error(format!("its key set (/certs) is not JSON: {e}"))
        })
    }
}

/// Reads MAA's error shape `{"error": {"code", "message"}}` (or anything else, as text).
fn refusal(status: u16, body: &[u8]) -> ServiceRefusal {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let error = parsed.as_ref().and_then(|v| v.get("error"));
    let code = error
        .and_then(|e| e.get("code"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let message = error
        .and_then(|e| e.get("message"))
        .and_then(Value::as_str)
        .map(str::to_string);
    match (code, message) {
        (Some(code), Some(message)) => ServiceRefusal {
            status,
            code,
            message,
        },
        (code, _) => ServiceRefusal {
            status,
            code: code.unwrap_or_else(|| format!("Http{status}")),
            message: String::from_utf8_lossy(body).chars().take(500).collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_read_in_maa_shape_or_as_text() {
        let r = refusal(
            400,
            br#"{"error":{"code":"RuntimeDataMismatch","message":"hashes differ"}}"#,
        );
        assert_eq!(r.code, "RuntimeDataMismatch");
        assert_eq!(r.message, "hashes differ");
        assert_eq!(r.to_string(), "400 RuntimeDataMismatch: hashes differ");
        let r = refusal(502, b"bad gateway");
        assert_eq!(r.code, "Http502");
        assert_eq!(r.message, "bad gateway");
    }
}
