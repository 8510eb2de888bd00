//! Errors as the API answers them: JSON `{"error": "<code>", "message": "..."}` with a fitting
//! HTTP status (DESIGN.md section 4), and KMIP operation failures with their ResultReason.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ekms_kmip::enums::ResultReason;

/// One message for every kind of bad group secret, so groups cannot be enumerated.
pub const UNAUTHORIZED_MESSAGE: &str =
    "missing, malformed or wrong KmsDatabaseSecret: send the secret that POST /register returned";

/// An error answered over HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            UNAUTHORIZED_MESSAGE,
        )
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "the server failed; see its log",
        )
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn too_large(limit: u64) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body is over the limit of {limit} bytes"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": self.code, "message": self.message});
        (self.status, Json(body)).into_response()
    }
}

/// A failed KMIP operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmipError {
    pub reason: ResultReason,
    pub message: String,
}

impl KmipError {
    pub fn new(reason: ResultReason, message: impl Into<String>) -> Self {
        Self {
            reason,
            message: message.into(),
        }
    }

    pub fn not_found(uid: &str) -> Self {
        Self::new(ResultReason::ItemNotFound, format!("no object {uid}"))
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ResultReason::InvalidMessage, message)
    }

    pub fn missing(what: &str) -> Self {
        Self::new(ResultReason::MissingData, format!("{what} is missing"))
    }

    pub fn wrong_state(message: impl Into<String>) -> Self {
        Self::new(ResultReason::WrongKeyLifecycleState, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ResultReason::GeneralFailure, message)
    }

    /// The HTTP status of this failure on `POST /kmip/2_1`.
    pub fn status(&self) -> StatusCode {
        match self.reason {
            ResultReason::ItemNotFound | ResultReason::ObjectNotFound => StatusCode::NOT_FOUND,
            ResultReason::PermissionDenied | ResultReason::NotAuthorised => StatusCode::FORBIDDEN,
            ResultReason::AuthenticationNotSuccessful => StatusCode::UNAUTHORIZED,
            ResultReason::InvalidMessage | ResultReason::CodecError => StatusCode::BAD_REQUEST,
            ResultReason::GeneralFailure | ResultReason::InternalServerError => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

impl From<KmipError> for ApiError {
    fn from(e: KmipError) -> Self {
        ApiError::new(e.status(), e.reason.name(), e.message)
    }
}

impl From<ekms_store::StoreError> for KmipError {
    fn from(e: ekms_store::StoreError) -> Self {
        match e {
            ekms_store::StoreError::Aborted(m) => KmipError::internal(m),
            other => {
                tracing::error!("store failure: {other}");
                KmipError::internal("the group database failed; see the server log")
            }
        }
    }
}
