//! Errors as Microsoft Azure Attestation shapes them: `{"error": {"code": "...", "message":
//! "..."}}` with an HTTP status, so Azure SDK clients surface the code and message.
//!
//! Every refusal goes through [`ApiError`]; handlers never panic on input. The codes are
//! stable strings a client may match on (listed in `docs/attestation-service.md`); the
//! messages are for people and name the check that failed.

use axum::Json;
use axum::http::header::CONNECTION;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable identifier for programs.
    pub code: &'static str,
    /// What went wrong, for people.
    pub message: String,
}

impl ApiError {
    /// An error with the given status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400 `InvalidParameter`: the request is malformed (JSON, base64, a missing field).
    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidParameter", message)
    }

    /// 400 `UnsupportedApiVersion`: `api-version` missing or not one this service speaks.
    pub fn api_version(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "UnsupportedApiVersion", message)
    }

    /// 400 `InvalidQuote`: the quote is malformed or its signatures, chains or collateral do
    /// not verify.
    pub fn invalid_quote(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidQuote", message)
    }

    /// 400 `PolicyEvaluationError`: the evidence is genuine but the service's policy refuses
    /// it (TCB status, debug enclave, emulated evidence).
    pub fn policy(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "PolicyEvaluationError", message)
    }

    /// 400 `RuntimeDataMismatch` / `InitTimeDataMismatch`: the data the client sent is not
    /// what the enclave bound into its report.
    pub fn data_mismatch(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 404 `NotFound`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NotFound", message)
    }

    /// 500 `InternalError`: the service failed (never caused by input).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // Messages name checks, hashes and quote fields, never secrets.
        tracing::info!(status = self.status.as_u16(), code = self.code, message = %self.message, "request refused");
        let body = json!({"error": {"code": self.code, "message": self.message}});
        let mut resp = (self.status, Json(body)).into_response();
        if self.status == StatusCode::PAYLOAD_TOO_LARGE {
            // The rest of the body was not read: the connection cannot carry another request.
            resp.headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn maa_error_shape() {
        let resp = ApiError::invalid_quote("bad signature").into_response();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"]["code"], "InvalidQuote");
        assert_eq!(v["error"]["message"], "bad signature");
    }
}
