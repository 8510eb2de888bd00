//! Errors as the API answers them: JSON `{"error": "<code>", "message": "..."}` with a fitting
//! HTTP status (docs/server.md), and KMIP operation failures with their ResultReason.

use crate::groups::GroupError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ekms_kmip::enums::ResultReason;

/// What a request answers while the store cannot be reached (HTTP 503, KMIP General Failure).
pub const STORE_UNAVAILABLE: &str = "the store is unavailable; try again shortly";

/// One message for every kind of bad group secret, so groups cannot be enumerated.
pub const UNAUTHORIZED_MESSAGE: &str =
    "missing, malformed or wrong KmsDatabaseSecret: send the secret that POST /register returned";

/// An error answered over HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    /// Seconds for a `Retry-After` header (429 and 503 answers).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            retry_after: None,
        }
    }

    /// A capacity limit reached (503): try again after `retry_after` seconds.
    pub fn unavailable(code: &str, message: impl Into<String>, retry_after: u64) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(StatusCode::SERVICE_UNAVAILABLE, code, message)
        }
    }

    /// A rate limit reached (429): try again after `retry_after` seconds.
    pub fn too_many(message: impl Into<String>, retry_after: u64) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", message)
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
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(seconds),
            );
        }
        response
    }
}

/// A group that could not be entered or changed, as HTTP answers it: one 401 for every bad
/// secret, 503 `server_busy` with `Retry-After` when every open-group place is in use (503
/// `store_unavailable` when the shared database cannot be reached), 409 for
/// a concurrent change of the secret, 500 otherwise.
impl From<GroupError> for ApiError {
    fn from(e: GroupError) -> Self {
        match e {
            GroupError::Refused => ApiError::unauthorized(),
            GroupError::Busy { retry_after } => {
                ApiError::unavailable("server_busy", e.to_string(), retry_after)
            }
            GroupError::Conflict => ApiError::new(StatusCode::CONFLICT, "conflict", e.to_string()),
            GroupError::Unavailable => ApiError::unavailable(
                "store_unavailable",
                e.to_string(),
                crate::capacity::RETRY_AFTER_SECONDS,
            ),
            GroupError::Internal => ApiError::internal(),
        }
    }
}

/// A failed KMIP operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmipError {
    pub reason: ResultReason,
    pub message: String,
    /// A capacity of the server is reached, or its store is unavailable (503 with
    /// `Retry-After` on `POST /kmip/2_1`): the same request may succeed later. A bound on one
    /// request's work is not: it stays 422.
    pub capacity: bool,
    /// The group changed while the operation ran and nothing was written
    /// ([`ekms_store::StoreError::Changed`], several nodes): running it again is safe.
    pub changed: bool,
    /// The group's audit trail is at its cap ([`ekms_store::StoreError::AuditFull`]): 507 on
    /// `POST /kmip/2_1` and the other HTTP routes (Server Limit Exceeded in KMIP), until its
    /// administrator exports and prunes.
    pub audit_full: bool,
}

impl KmipError {
    pub fn new(reason: ResultReason, message: impl Into<String>) -> Self {
        Self {
            reason,
            message: message.into(),
            capacity: false,
            changed: false,
            audit_full: false,
        }
    }

    /// The store cannot be reached (the shared database is down or failing over): General
    /// Failure, and 503 with `Retry-After` on `POST /kmip/2_1`, since the same request may
    /// succeed shortly. The cause is logged, not answered (it names the database's hosts).
    pub fn store_unavailable() -> Self {
        Self {
            capacity: true,
            ..Self::new(ResultReason::GeneralFailure, STORE_UNAVAILABLE)
        }
    }

    /// Server Limit Exceeded because a capacity is reached (see [`KmipError::capacity`]).
    pub fn capacity(message: impl Into<String>) -> Self {
        Self {
            capacity: true,
            ..Self::new(ResultReason::ServerLimitExceeded, message)
        }
    }

    /// Object Not Found: KMIP 2.x's reason, which 1.x clients receive as Item Not Found
    /// (`protocol::reason_for_version`).
    pub fn not_found(uid: &str) -> Self {
        Self::new(ResultReason::ObjectNotFound, format!("no object {uid}"))
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ResultReason::InvalidMessage, message)
    }

    pub fn missing(what: &str) -> Self {
        Self::new(ResultReason::MissingData, format!("{what} is missing"))
    }

    /// The answer to a request payload that [`ekms_kmip::operations`] refused to decode: a
    /// missing field is Missing Data ("X is missing"), a field of the wrong type or an
    /// unknown enumeration value Invalid Message ("X must be ..."), a refusal its own reason.
    pub fn from_payload(e: ekms_kmip::Error) -> Self {
        use ekms_kmip::Error as E;
        let name = |tag: ekms_kmip::Tag| {
            tag.name()
                .map_or_else(|| format!("0x{:06X}", tag.0), str::to_string)
        };
        match e {
            E::Refused { reason, message } => Self::new(reason, message),
            E::MissingField { field, .. } => Self::missing(&name(field)),
            E::WrongType {
                tag,
                expected: "Enumeration",
                ..
            }
            | E::InvalidValue { tag, .. } => {
                Self::invalid(format!("{} must be a known enumeration", name(tag)))
            }
            E::WrongType { tag, expected, .. } => {
                let article = if expected.starts_with(['A', 'E', 'I', 'O', 'U']) {
                    "an"
                } else {
                    "a"
                };
                Self::invalid(format!("{} must be {article} {expected}", name(tag)))
            }
            other => Self::invalid(other.to_string()),
        }
    }

    pub fn wrong_state(message: impl Into<String>) -> Self {
        Self::new(ResultReason::WrongKeyLifecycleState, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ResultReason::GeneralFailure, message)
    }

    /// The HTTP status of this failure on `POST /kmip/2_1`.
    pub fn status(&self) -> StatusCode {
        if self.audit_full {
            return StatusCode::INSUFFICIENT_STORAGE;
        }
        if self.capacity {
            return StatusCode::SERVICE_UNAVAILABLE;
        }
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
        let status = e.status();
        let mut api = ApiError::new(status, e.reason.name(), e.message);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            api.retry_after = Some(crate::capacity::RETRY_AFTER_SECONDS);
        }
        api
    }
}

/// The result reason of the answer a store failure makes (`From<StoreError>`), without the
/// logging of that conversion: for counting an operation its commit's failure voided.
pub fn store_reason(e: &ekms_store::StoreError) -> ResultReason {
    match e {
        ekms_store::StoreError::AuditFull { .. } => ResultReason::ServerLimitExceeded,
        _ => ResultReason::GeneralFailure,
    }
}

impl From<ekms_store::StoreError> for KmipError {
    fn from(e: ekms_store::StoreError) -> Self {
        match e {
            ekms_store::StoreError::Aborted(m) => KmipError::internal(m),
            ekms_store::StoreError::Changed => Self {
                changed: true,
                // Answered only once the reruns are spent: the same request may succeed later.
                capacity: true,
                ..KmipError::internal(
                    "the group changed while the operation ran; nothing was written: try again",
                )
            },
            ekms_store::StoreError::Unavailable(why) => {
                tracing::warn!("the store is unavailable: {why}");
                KmipError::store_unavailable()
            }
            full @ ekms_store::StoreError::AuditFull { .. } => Self {
                audit_full: true,
                ..KmipError::new(ResultReason::ServerLimitExceeded, full.to_string())
            },
            other => {
                tracing::error!("store failure: {other}");
                KmipError::internal("the group database failed; see the server log")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_failure_counts_with_the_reason_it_answers_with() {
        use ekms_store::StoreError as E;
        let all = || {
            [
                E::WrongKey,
                E::NotFound,
                E::Conflict("u".into()),
                E::MissingObject("u".into()),
                E::Aborted("x".into()),
                E::Commit("disk".into()),
                E::Tampered("t".into()),
                E::Changed,
                E::Unavailable("down".into()),
                E::TooMany(3),
                E::AuditFull { rows: 2, cap: 2 },
                E::NewerSchema { found: 9, known: 6 },
                E::Io(std::io::Error::other("disk")),
            ]
        };
        for (e, copy) in all().into_iter().zip(all()) {
            assert_eq!(store_reason(&e), KmipError::from(copy).reason, "{e}");
        }
    }

    #[test]
    fn payload_errors_keep_the_reasons_and_texts_operations_answered_with() {
        use ekms_kmip::operations::{encrypt, rng_retrieve};
        use ekms_kmip::{FromTtlv, Tag, Ttlv};
        let payload = |items| Ttlv::structure(Tag::REQUEST_PAYLOAD, items);
        let decode = |items| {
            encrypt::Request::from_ttlv(payload(items))
                .map(|_| ())
                .map_err(KmipError::from_payload)
        };
        let missing = decode(vec![Ttlv::bytes(Tag::DATA, vec![1])]).unwrap_err();
        assert_eq!(missing.reason, ResultReason::MissingData);
        assert_eq!(missing.message, "UniqueIdentifier is missing");
        let text = decode(vec![Ttlv::integer(Tag::UNIQUE_IDENTIFIER, 1)]).unwrap_err();
        assert_eq!(text.reason, ResultReason::InvalidMessage);
        assert_eq!(text.message, "UniqueIdentifier must be a TextString");
        let streaming = decode(vec![Ttlv::text(Tag::CORRELATION_VALUE, "c")]).unwrap_err();
        assert_eq!(streaming.reason, ResultReason::FeatureNotSupported);
        let length =
            rng_retrieve::Request::from_ttlv(payload(vec![Ttlv::text(Tag::DATA_LENGTH, "8")]))
                .map_err(KmipError::from_payload)
                .unwrap_err();
        assert_eq!(length.message, "DataLength must be an Integer");
        let state = ekms_kmip::Error::InvalidValue {
            tag: Tag::REVOCATION_REASON_CODE,
            offset: 0,
            reason: "unknown enumeration value 0x000000FF".into(),
        };
        assert_eq!(
            KmipError::from_payload(state).message,
            "RevocationReasonCode must be a known enumeration"
        );
    }

    #[test]
    fn group_errors_keep_their_http_answers() {
        let refused = ApiError::from(GroupError::Refused);
        assert_eq!(refused, ApiError::unauthorized());
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
        assert_eq!(refused.message, UNAUTHORIZED_MESSAGE);
        let busy = ApiError::from(GroupError::Busy { retry_after: 1 });
        assert_eq!(busy.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(busy.code, "server_busy");
        assert_eq!(
            busy.message,
            "the server has all the group databases it can hold open in use; try again shortly"
        );
        assert_eq!(busy.retry_after, Some(1));
        let conflict = ApiError::from(GroupError::Conflict);
        assert_eq!(conflict.status, StatusCode::CONFLICT);
        assert_eq!(conflict.code, "conflict");
        assert_eq!(
            conflict.message,
            "another change of this group's secret is under way; try again"
        );
        assert_eq!(conflict.retry_after, None);
        assert_eq!(ApiError::from(GroupError::Internal), ApiError::internal());
        let down = ApiError::from(GroupError::Unavailable);
        assert_eq!(
            (down.status, down.code.as_str(), down.message.as_str()),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                STORE_UNAVAILABLE
            )
        );
        assert!(down.retry_after.is_some());
    }

    #[test]
    fn an_unavailable_store_is_a_503_naming_no_host() {
        let e = KmipError::from(ekms_store::StoreError::Unavailable(
            "no connection to PostgreSQL at db1:5432".into(),
        ));
        assert_eq!(e.reason, ResultReason::GeneralFailure);
        assert_eq!(e.message, STORE_UNAVAILABLE);
        assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE);
        let api = ApiError::from(e);
        assert_eq!(api.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(api.retry_after.is_some());
        // A group changed under the operation: run again by the server, then a 503.
        let changed = KmipError::from(ekms_store::StoreError::Changed);
        assert!(changed.changed);
        assert_eq!(changed.status(), StatusCode::SERVICE_UNAVAILABLE);
        // Any other store failure stays a 500.
        let other = KmipError::from(ekms_store::StoreError::NotFound);
        assert_eq!(other.status(), StatusCode::INTERNAL_SERVER_ERROR);
        // A full audit trail: Server Limit Exceeded (the KMIP socket's answer), 507 on HTTP,
        // no Retry-After (waiting frees nothing), and the message names the cap and the way out.
        let full = KmipError::from(ekms_store::StoreError::AuditFull { rows: 5, cap: 5 });
        assert_eq!(full.reason, ResultReason::ServerLimitExceeded);
        assert_eq!(full.status(), StatusCode::INSUFFICIENT_STORAGE);
        assert!(full.message.contains("its cap is 5"), "{}", full.message);
        assert!(
            full.message.contains("ekms audit export"),
            "{}",
            full.message
        );
        let api = ApiError::from(full);
        assert_eq!(api.status, StatusCode::INSUFFICIENT_STORAGE);
        assert!(api.retry_after.is_none());
    }
}
