//! The KMIP routes.
//!
//! - `POST /kmip/2_1`: one KMIP 2.1 operation in JSON TTLV, in the shape Cosmian KMS clients
//!   send: the top-level tag names the operation (`"Create"`) and its value is the request
//!   payload; the answer's top-level tag is the operation's response (`"CreateResponse"`).
//!   A request in Cosmian's dialect ([`cosmian_dialect`]) gets its enumerations by value.
//! - `POST /kmip`: a whole Request Message of any supported version, as binary TTLV
//!   (`application/octet-stream`), JSON TTLV (`application/json`) or KMIP XML (`text/xml`, the
//!   XML message encoding profile), answered with a Response Message in the same encoding ([`crate::protocol`] gives its meaning). A failed operation, a
//!   failed authentication or a malformed message is answered as KMIP answers it, with HTTP 200
//!   and a Response Message whose items carry the failure; a body over
//!   `--max-kmip-message-bytes` is 413, with a KMIP error Response Message as its body, decided
//!   from Content-Length before reading when there is one.
//!
//! A group secret given in the `KmsDatabaseSecret` header is checked before the body is read
//! (on `POST /kmip/2_1` it is required): a wrong or unknown secret is a 401 that costs the
//! server no body. A message that carries its own credential has to be read; the limit and the
//! decoders' memory bound ([`ekms_kmip::ttlv::memory_budget`]) keep that to a few times the
//! message.

use crate::auth::Caller;
use crate::error::{ApiError, KmipError};
use crate::operations::{self, Context};
use crate::protocol::{self, OnWorker, Peer};
use crate::routes::body::{drain, read_limited};
use crate::routes::entry::{
    cosmian_dialect, has_header_secret, in_span_on, note_opened, open_before_body, open_group,
};
use crate::routes::group_state;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ekms_kmip::enums::{Operation, ResultReason};
use ekms_kmip::{ProtocolVersion, ResponseMessage, ToTtlv, Ttlv};
use ekms_store::ticket::{Tickets, deferring, without_blocking};
use std::sync::Arc;
use zeroize::Zeroizing;

/// Splits a bare-operation JSON body into the operation and its payload, decoding the text
/// as a stream under the decoders' memory bound.
fn parse_operation(bytes: &[u8]) -> Result<(Operation, Ttlv), KmipError> {
    ekms_kmip::json::from_slice_operation(bytes).map_err(|e| match e {
        ekms_kmip::Error::Json(e) => KmipError::invalid(format!("the body is not JSON: {e}")),
        e => KmipError::invalid(format!("invalid KMIP JSON TTLV: {e}")),
    })
}

pub async fn kmip_2_1(
    State(state): State<Arc<AppState>>,
    Caller(user): Caller,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    // Cosmian's clients read enumerations by value, not by KMIP's names (docs/kmip.md).
    let form = if cosmian_dialect(&headers) {
        ekms_kmip::json::EnumForm::Value
    } else {
        ekms_kmip::json::EnumForm::Name
    };
    // The group is opened before the body is read: a wrong secret costs no body.
    let (store, body) = open_before_body(&state, &headers, body).await?;
    let bytes = read_limited(&headers, body, state.config.max_kmip_message_bytes).await?;
    // A small request for an operation tried on the worker is parsed here, and run here if it
    // needs no database (protocol::process_on_worker says which); anything else runs on the
    // blocking pool.
    let mut parsed = None;
    let mut tickets = Tickets::default();
    if bytes.len() <= protocol::WORKER_MESSAGE_BYTES && !state.groups.is_shared() {
        let (op, payload) = parse_operation(&bytes)?;
        if protocol::tried_on_worker(op, &payload) {
            let (answered, t) = deferring(|| {
                without_blocking(|| run_operation(&state, store.as_ref(), &user, op, payload))
            });
            tickets.extend(t);
            crate::metrics::get().worker_attempt(answered.is_some());
            if let Some(answer) = answered {
                return answer_json(op, answer, tickets, form).await;
            }
            // The blocking pool parses the body again: cheaper than a copy of every payload
            // for the rare request that falls back.
        } else {
            parsed = Some((op, payload));
        }
    }
    let st = state.clone();
    // A write of bounded cost runs in its group's lane, where it joins the batch of the one
    // before it without a thread hand-off (protocol::LANE_OPERATIONS).
    let lane = match &parsed {
        Some((op, _)) if protocol::in_lane(*op) => store.lane(),
        _ => None,
    };
    // The operation's queued audit commit is awaited here, not waited for on the blocking
    // thread, which goes back to the pool as soon as the operation ran.
    let (answer, more) = in_span_on(lane, move || {
        deferring(|| -> Result<_, ApiError> {
            let (op, payload) = match parsed {
                Some(p) => p,
                None => parse_operation(&bytes)?,
            };
            drop(bytes);
            Ok((op, run_operation(&st, store.as_ref(), &user, op, payload)))
        })
    })
    .await
    .ok_or_else(ApiError::internal)?;
    tickets.extend(more);
    let (op, answer) = match answer {
        Ok(a) => a,
        Err(e) => {
            // Every answer, a refusal's included, goes out once the audit rows its operation
            // queued are on disk.
            tickets
                .wait()
                .await
                .map_err(|e| ApiError::from(KmipError::from(e)))?;
            return Err(e);
        }
    };
    answer_json(op, answer, tickets, form).await
}

/// Admits and runs one operation of `POST /kmip/2_1` on `store`.
fn run_operation(
    state: &AppState,
    store: &dyn ekms_store::ObjectStore,
    user: &str,
    op: Operation,
    payload: Ttlv,
) -> Result<Ttlv, ApiError> {
    state.capacity.admit(op)?;
    let ctx = Context {
        store,
        user,
        version: ProtocolVersion::V2_1,
        access: Default::default(),
        limits: operations::Limits::from_config(&state.config),
        batch: None,
        locked: Default::default(),
    };
    let shared = state.groups.is_shared();
    Ok(protocol::dispatch_rerun(&ctx, op, payload, shared)?)
}

/// The JSON answer of `POST /kmip/2_1` once the audit rows the operation queued are on disk
/// (every answer, a refusal's included, waits for them; if they cannot be written, the request
/// fails).
async fn answer_json(
    op: Operation,
    answer: Result<Ttlv, ApiError>,
    tickets: Tickets,
    form: ekms_kmip::json::EnumForm,
) -> Result<Response, ApiError> {
    tickets
        .wait()
        .await
        .map_err(|e| ApiError::from(KmipError::from(e)))?;
    let response = answer?;
    // Written straight from the tree, without a serde_json::Value in between.
    let tag = format!("{}Response", op.name());
    let json = ekms_kmip::json::to_vec_answer(&response, &tag, form);
    Ok(([(CONTENT_TYPE, "application/json")], json).into_response())
}

/// The encodings of a whole message on `POST /kmip`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Binary,
    Json,
    Xml,
}

impl Encoding {
    /// From the Content-Type: JSON for `application/json` (and `+json` types), XML for
    /// `text/xml` and `application/xml` (and `+xml` types), binary TTLV for
    /// `application/octet-stream` or no type; None for anything else.
    fn of(headers: &HeaderMap) -> Option<Self> {
        let Some(value) = headers.get(CONTENT_TYPE) else {
            return Some(Encoding::Binary);
        };
        let media = value
            .to_str()
            .ok()?
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if media == "application/json"
            || (media.starts_with("application/") && media.ends_with("+json"))
        {
            Some(Encoding::Json)
        } else if media == "text/xml"
            || media == "application/xml"
            || (media.starts_with("application/") && media.ends_with("+xml"))
        {
            Some(Encoding::Xml)
        } else if media == "application/octet-stream" {
            Some(Encoding::Binary)
        } else {
            None
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Encoding::Binary => "application/octet-stream",
            Encoding::Json => "application/json",
            Encoding::Xml => "text/xml",
        }
    }

    fn decode(self, bytes: &[u8]) -> Result<Ttlv, ekms_kmip::Error> {
        match self {
            Encoding::Binary => ekms_kmip::binary::decode(bytes),
            Encoding::Json => ekms_kmip::json::from_slice(bytes),
            Encoding::Xml => ekms_kmip::xml::from_slice(bytes),
        }
    }

    /// The HTTP answer carrying `message` with `status`. The body may hold key material (a
    /// Get): the encoding buffer is wiped once copied into the response.
    fn answer(self, status: StatusCode, message: &ResponseMessage) -> Response {
        let ttlv = message.to_ttlv();
        let body = Zeroizing::new(match self {
            Encoding::Binary => ekms_kmip::binary::try_to_vec(&ttlv).unwrap_or_else(|e| {
                tracing::error!("cannot encode a KMIP response: {e}");
                ekms_kmip::binary::to_vec(&protocol::internal_failure().to_ttlv())
            }),
            Encoding::Json => ekms_kmip::json::to_vec(&ttlv),
            Encoding::Xml => ekms_kmip::xml::to_vec(&ttlv),
        });
        (status, [(CONTENT_TYPE, self.content_type())], body.to_vec()).into_response()
    }
}

/// The answer of `POST /kmip` when its `KmsDatabaseSecret` header does not open a group: a
/// Response Message in the request's encoding (the message is not read, so its version is
/// unknown and the answer is KMIP 1.0's), with the refusal's HTTP status.
fn header_refusal(encoding: Encoding, e: &ApiError, now: i64) -> Response {
    if e.status == StatusCode::UNAUTHORIZED {
        let answer = ResponseMessage::error(
            None,
            now,
            ResultReason::AuthenticationNotSuccessful,
            protocol::AUTHENTICATION_FAILED,
        );
        return encoding.answer(StatusCode::UNAUTHORIZED, &answer);
    }
    // Two secret headers that differ: the request is malformed, and says which way to fix it.
    if e.status == StatusCode::BAD_REQUEST {
        let answer = ResponseMessage::invalid_message(None, now, e.message.clone());
        return encoding.answer(StatusCode::BAD_REQUEST, &answer);
    }
    // A reached capacity says so and when to come back (a KMIP 1.0 answer has no Server Limit
    // Exceeded); anything else is the server's fault, in its log.
    let message = match e.retry_after {
        Some(_) => e.message.as_str(),
        None => "the server could not open the group; see its log",
    };
    let answer = ResponseMessage::error(None, now, ResultReason::GeneralFailure, message);
    let mut response = encoding.answer(e.status, &answer);
    if let Some(seconds) = e.retry_after {
        response
            .headers_mut()
            .insert(RETRY_AFTER, axum::http::HeaderValue::from(seconds));
    }
    response
}

/// `POST /kmip`: a whole Request Message (see the module documentation).
pub async fn kmip_message(
    State(state): State<Arc<AppState>>,
    Caller(user): Caller,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(encoding) = Encoding::of(&headers) else {
        drain(body).await;
        return ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "POST /kmip takes application/octet-stream (binary TTLV), application/json (JSON TTLV) or text/xml (KMIP XML)",
        )
        .into_response();
    };
    let now = crate::objects::now();
    // A header secret is checked, and its group opened, before the body is read; a message
    // without one must be read for its own credential.
    let mut header_group = None;
    if has_header_secret(&headers) {
        match open_group(&state, &headers).await {
            Ok(store) => header_group = Some(store),
            Err(e) => {
                drain(body).await;
                if e.status == StatusCode::UNAUTHORIZED {
                    tracing::info!(user = %user, "KMIP request with a wrong group secret header");
                }
                return header_refusal(encoding, &e, now);
            }
        }
    }
    let limit = state.config.max_kmip_message_bytes;
    let bytes = match read_limited(&headers, body, limit).await {
        Ok(b) => b,
        Err(e) if e.status == StatusCode::PAYLOAD_TOO_LARGE => {
            let answer = ResponseMessage::error(
                None,
                now,
                ResultReason::InvalidMessage,
                format!("the message is over this server's limit of {limit} bytes"),
            );
            return encoding.answer(StatusCode::PAYLOAD_TOO_LARGE, &answer);
        }
        Err(e) => {
            let answer = ResponseMessage::invalid_message(None, now, e.message);
            return encoding.answer(StatusCode::BAD_REQUEST, &answer);
        }
    };
    // Decoded here, on the runtime's worker: the few workers (--worker-threads) bound how many
    // messages decode at once, each taking up to 4 times its size; on the larger blocking pool
    // the worst-case test's peak address space rose from ~700 to ~940 MiB of the 1 GiB.
    let request = match encoding.decode(&bytes) {
        Ok(t) => t,
        Err(e) => {
            // KMIP answers an unreadable message with a Response Message, as the socket does.
            let answer = ResponseMessage::invalid_message(
                None,
                now,
                format!("the message is not valid TTLV: {e}"),
            );
            return encoding.answer(StatusCode::OK, &answer);
        }
    };
    // A read of a cached key or a small Locate is answered on this worker (see
    // protocol::process_on_worker); anything else, or a read that turns out to need the
    // database, on the blocking pool.
    let peer = Peer {
        user: &user,
        header_group: header_group.clone(),
        opened: Some(&note_opened),
    };
    let tried =
        protocol::process_on_worker(&state, request, &bytes, |b| encoding.decode(b).ok(), &peer);
    // Gone before the blocking pool runs the message (the memory bound).
    drop(bytes);
    let (request, mut tickets) = match tried {
        OnWorker::Answered(response, tickets) => {
            let response = protocol::after_audit(response, tickets).await;
            return encoding.answer(StatusCode::OK, &response);
        }
        OnWorker::Blocking(request, tickets) => (request, tickets),
    };
    let st = state.clone();
    // The group the message's own credential opens is the one its answer states.
    let response = match group_state::spawn_blocking(move || {
        let peer = Peer {
            user: &user,
            header_group,
            opened: Some(&note_opened),
        };
        ekms_store::ticket::deferring(|| protocol::process(&st, request, &peer))
    })
    .await
    {
        Ok((response, more)) => {
            tickets.extend(more);
            protocol::after_audit(response, tickets).await
        }
        Err(e) => {
            tracing::error!("KMIP request processing failed: {e}");
            protocol::internal_failure()
        }
    };
    encoding.answer(StatusCode::OK, &response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ekms_kmip::FromTtlv;

    async fn decoded(r: Response) -> ResponseMessage {
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        let ttlv = ekms_kmip::binary::decode(&bytes).unwrap();
        ResponseMessage::from_ttlv(ttlv.clone()).unwrap()
    }

    #[tokio::test]
    async fn a_busy_server_says_when_to_come_back_on_post_kmip() {
        // Every open-group place in use: a capacity reached, so 503 with Retry-After, and a
        // Response Message whose Result Message says why (not "see its log").
        let busy = ApiError::unavailable("server_busy", "all group databases are in use", 1);
        let r = header_refusal(Encoding::Binary, &busy, 0);
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            r.headers()
                .get(RETRY_AFTER)
                .map(|v| v.to_str().unwrap().to_string()),
            Some("1".to_string())
        );
        let m = decoded(r).await;
        let item = &m.items[0];
        assert_eq!(item.result_reason, Some(ResultReason::GeneralFailure));
        assert_eq!(
            item.result_message.as_deref(),
            Some("all group databases are in use")
        );
    }

    #[tokio::test]
    async fn a_refused_secret_is_the_one_401_on_post_kmip() {
        let r = header_refusal(Encoding::Binary, &ApiError::unauthorized(), 0);
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(r.headers().get(RETRY_AFTER).is_none());
        let m = decoded(r).await;
        assert_eq!(
            m.items[0].result_reason,
            Some(ResultReason::AuthenticationNotSuccessful)
        );
    }
}
