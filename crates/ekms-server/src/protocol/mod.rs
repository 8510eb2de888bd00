//! What a whole KMIP Request Message means, whatever carried it (the binary TTLV socket of
//! [`crate::socket`], `POST /kmip` of [`crate::routes`]).
//!
//! This module owns, for one message:
//! - version negotiation: the answer is in the client's version, or the highest supported one
//!   below it within the same major version (a 1.5 client gets 1.4); another major version
//!   gets the specification's answer, an Invalid Message failure
//!   ([`ekms_kmip::message::negotiate_version`]);
//! - authentication: the group is opened with the Password of the header's Username and
//!   Password credential (the `KmsDatabaseSecret` token), or with the secret the transport
//!   carried outside the message (both read by [`GroupToken::presented`]); a missing,
//!   malformed or wrong secret fails every item with Authentication Not Successful and one
//!   message for all cases, so groups cannot be probed, and a group with no open place left
//!   with Server Limit Exceeded ([`group_refusal`]);
//! - the batch: at most `--max-batch-items` items (a larger message runs none and gets one
//!   failed item); items run in request order, each in its own store transaction, under the
//!   Batch Error Continuation Option (Stop by default; Continue; Undo),
//!   sharing one [`operations::Limits`] budget; under Undo a batch of several items runs in one
//!   transaction ([`run_undo_batch`]);
//! - per-item results: Result Status, Result Reason (in the client's version, see
//!   [`reasons`]) and Result Message; Maximum Response Size;
//! - the Server Correlation Value of a KMIP 1.4+ answer ([`correlate`]).
//!
//! Transports own framing, size limits, TLS and who the user is; operations own payloads and
//! receive the negotiated version in their [`Context`].

mod placeholder;
mod reasons;

use crate::error::KmipError;
use crate::groups::GroupStore;
use crate::groups::{GroupError, GroupToken};
use crate::operations::{self, Context};
use crate::state::AppState;
use ekms_kmip::enums::{BatchErrorContinuationOption, Operation, ResultReason, ResultStatus};
use ekms_kmip::message::{
    self, RequestBatchItem, RequestMessage, ResponseBatchItem, ResponseHeader, ResponseMessage,
};
use ekms_kmip::{FromTtlv, ProtocolVersion, Tag, ToTtlv, Ttlv, Value};
use std::sync::Arc;

pub use reasons::reason_for_version;

/// The one answer to every authentication failure (missing, malformed, unknown group, wrong
/// key), as the HTTP 401 has one message.
pub const AUTHENTICATION_FAILED: &str = "authentication failed: the Password of a Username and Password credential (or the KmsDatabaseSecret header) must be the group secret that POST /register returned";

/// What a failure to open the group answers on every item: the Result Reason (before
/// [`reason_for_version`]) and the Result Message.
fn group_refusal(e: GroupError) -> (ResultReason, String) {
    match e {
        GroupError::Refused => (
            ResultReason::AuthenticationNotSuccessful,
            AUTHENTICATION_FAILED.to_string(),
        ),
        GroupError::Busy { .. } => (ResultReason::ServerLimitExceeded, e.to_string()),
        GroupError::Unavailable => (
            ResultReason::GeneralFailure,
            crate::error::STORE_UNAVAILABLE.to_string(),
        ),
        GroupError::Conflict | GroupError::Internal => (
            ResultReason::GeneralFailure,
            "the server could not open the group; see its log".to_string(),
        ),
    }
}

/// What is told the group a message's own credential opened, with that credential.
pub type OnOpen = dyn Fn(&Arc<dyn GroupStore>, &GroupToken) + Sync;

/// Who sent a message, as its transport established it.
pub struct Peer<'a> {
    /// The user: the client certificate's common name on the socket, the authenticated user
    /// ([`crate::auth`]) on HTTP.
    pub user: &'a str,
    /// The group a secret carried outside the message (the `KmsDatabaseSecret` header of
    /// `POST /kmip`) has already opened, before the message was read; the message's own
    /// credential wins over it.
    pub header_group: Option<Arc<dyn GroupStore>>,
    /// Told the group the message's own credential opened, with that credential (`POST /kmip`
    /// states the group in its answer's header); `None` where nothing is told (the socket).
    pub opened: Option<&'a OnOpen>,
}

/// Answers one request message (a decoded TTLV tree of any encoding). Blocking: it opens group
/// databases, so call it from a blocking context. Never fails: every problem is a
/// response.
pub fn process(state: &AppState, request: Ttlv, peer: &Peer<'_>) -> ResponseMessage {
    match prepare(request) {
        Ok(prepared) => run(state, prepared, peer),
        Err(answer) => *answer,
    }
}

/// A request message read, before its group is opened: what [`prepare`] made of it, for
/// [`run`].
pub struct Prepared {
    msg: RequestMessage,
    version: ProtocolVersion,
    header: ResponseHeader,
    /// The secret the message's own credential presents ([`GroupToken::presented`]).
    token: Result<GroupToken, GroupError>,
}

/// What of a message needs neither its group nor the store: the version, reading the message
/// into its types, the answer's header and the secret the credential presents. CPU only, never
/// blocking: the socket runs it on the connection's worker, so that the group's lane (its one
/// serial part) runs only [`run`]. `Err` is the answer to a message that cannot be read.
pub fn prepare(request: Ttlv) -> Result<Prepared, Box<ResponseMessage>> {
    let now = crate::objects::now();
    if request.tag != Tag::REQUEST_MESSAGE {
        return Err(Box::new(ResponseMessage::invalid_message(
            None,
            now,
            format!("expected a RequestMessage, found {}", request.tag),
        )));
    }
    // The version is looked at before anything else: a message of another major version may
    // be shaped in ways this server cannot read.
    let peeked = RequestMessage::peek_version(&request);
    let version = match peeked.map(|v| message::negotiate_version(v, now)) {
        Some(Ok(v)) => v,
        Some(Err(refusal)) => {
            tracing::debug!(client = ?peeked, "unsupported KMIP protocol version");
            return Err(refusal);
        }
        // No readable version: reading the message says what is missing.
        None => ProtocolVersion::V1_0,
    };
    let msg = match RequestMessage::from_ttlv(request) {
        Ok(m) => m,
        Err(e) => {
            return Err(Box::new(ResponseMessage::invalid_message(
                peeked,
                now,
                e.to_string(),
            )));
        }
    };
    let mut header = ResponseHeader::answering(&msg.header, version, now);
    correlate(&mut header, version);
    let token = GroupToken::presented(msg.header.password(), None);
    Ok(Prepared {
        msg,
        version,
        header,
        token,
    })
}

/// Answers a [`prepare`]d message: opens its group and runs its items. Blocking, as
/// [`process`].
pub fn run(state: &AppState, prepared: Prepared, peer: &Peer<'_>) -> ResponseMessage {
    let Prepared {
        mut msg,
        version,
        header,
        token,
    } = prepared;
    if let Some(c) = &header.server_correlation_value {
        tracing::debug!(user = peer.user, correlation = %c, "KMIP request message");
    }
    let items = answer_items(state, &mut msg, token, version, peer);
    // Payloads may carry key material (Register, Import): wipe them once answered.
    for item in msg.items.iter_mut() {
        message::wipe_ttlv(&mut item.payload);
    }
    let mut response = ResponseMessage::new(header, items);
    enforce_maximum_size(&mut response, msg.header.maximum_response_size, version);
    response
}

/// Gives a KMIP 1.4+ answer a Server Correlation Value when the request carried none: a fresh
/// random identifier, which the server logs with the message (debug level), so that a
/// client's report can be matched with the server's log. Random rather than a counter: it
/// tells a client nothing about other clients' traffic. A request's own value is echoed.
fn correlate(header: &mut ResponseHeader, version: ProtocolVersion) {
    if version < ProtocolVersion::V1_4 || header.server_correlation_value.is_some() {
        return;
    }
    let mut bytes = [0u8; 8];
    // Without randomness the field, which is optional, is left out.
    if ekms_crypto::rand::fill(&mut bytes).is_ok() {
        let [a, b] = [&bytes[..4], &bytes[4..]].map(hex::encode_upper);
        header.server_correlation_value = Some(format!("{a}-{b}"));
    }
}

/// The answer when processing itself broke down (a failed worker thread): one failed item,
/// as for a message that could not be processed at all.
pub fn internal_failure() -> ResponseMessage {
    ResponseMessage::error(
        None,
        crate::objects::now(),
        ResultReason::GeneralFailure,
        "the server failed to process the request; see its log",
    )
}

/// The operations tried on the async worker first ([`process_on_worker`]): reads whose key the
/// group's read cache holds need no database, only their audit row's commit, and cost a few
/// microseconds of CPU; a Locate by Name of a few candidates reads them through the group's
/// read-only connection (`ekms_store`'s SQLCipher reader), which commits and writers never hold
/// ([`tried_on_worker`]). Sign is
/// left out (an RSA signature takes milliseconds: too long for a worker that serves many
/// connections), and so is everything that writes.
const WORKER_OPERATIONS: [Operation; 6] = [
    Operation::Encrypt,
    Operation::Decrypt,
    Operation::Get,
    Operation::Mac,
    Operation::MacVerify,
    Operation::Locate,
];

/// The largest message tried on the async worker: a larger payload's cryptography would hold
/// the worker too long.
pub const WORKER_MESSAGE_BYTES: usize = 64 * 1024;

/// Whether `op` with `payload` is tried on the async worker first (see
/// [`WORKER_OPERATIONS`]): a Locate only when it filters by Name, the one Locate the group's
/// read-only connection answers (any other would be refused there and run twice).
pub fn tried_on_worker(op: Operation, payload: &Ttlv) -> bool {
    WORKER_OPERATIONS.contains(&op) && (op != Operation::Locate || filters_by_name(payload))
}

/// Whether a Locate payload has a Name filter: a 2.x `Attributes` with a `Name`, or a 1.x
/// `Attribute` named "Name".
fn filters_by_name(payload: &Ttlv) -> bool {
    payload
        .children(Tag::ATTRIBUTES)
        .any(|a| a.child(Tag::NAME).is_some())
        || payload
            .children(Tag::ATTRIBUTE)
            .any(|a| a.child(Tag::ATTRIBUTE_NAME).and_then(Ttlv::as_text) == Some("Name"))
}

/// The operation and payload of a message of one batch item.
fn single_operation(request: &Ttlv) -> Option<(Operation, &Ttlv)> {
    let mut items = request.children(Tag::BATCH_ITEM);
    let (Some(item), None) = (items.next(), items.next()) else {
        return None;
    };
    let op = match item.child(Tag::OPERATION).map(|o| &o.value) {
        Some(Value::Enumeration(v)) => Operation::from_u32(*v),
        _ => None,
    };
    Some((op?, item.child(Tag::REQUEST_PAYLOAD)?))
}

/// A message of one batch item whose operation is tried on the async worker first.
fn worker_candidate(request: &Ttlv) -> bool {
    single_operation(request).is_some_and(|(op, payload)| tried_on_worker(op, payload))
}

/// The operations run in their group's lane (`ekms_store::lane`) rather than side by side on
/// the blocking pool: writes and reads whose cost does not depend on the key (no key pair
/// generated, no signature, no wrapping, no scan), so that one queued behind another waits
/// microseconds. Their transactions share the group's batch without a thread hand-off (Create
/// on the binary socket: BENCHMARKS.md, eighth round).
const LANE_OPERATIONS: [Operation; 11] = [
    Operation::Create,
    Operation::Register,
    Operation::Activate,
    Operation::Revoke,
    Operation::Destroy,
    Operation::GetAttributes,
    Operation::GetAttributeList,
    Operation::AddAttribute,
    Operation::ModifyAttribute,
    Operation::DeleteAttribute,
    Operation::SetAttribute,
];

/// Whether `op` runs in its group's lane (see [`LANE_OPERATIONS`]).
pub fn in_lane(op: Operation) -> bool {
    LANE_OPERATIONS.contains(&op)
}

/// Whether a message goes to its group's lane: one item of a [`LANE_OPERATIONS`] operation,
/// in a message of at most [`WORKER_MESSAGE_BYTES`].
pub fn lane_candidate(request: &Ttlv, bytes: usize) -> bool {
    bytes <= WORKER_MESSAGE_BYTES && single_operation(request).is_some_and(|(op, _)| in_lane(op))
}

/// Runs `f` off the async runtime: in `lane`, if given, else on the blocking pool. `None` if it
/// panicked or never ran.
pub async fn off_worker<R: Send + 'static>(
    lane: Option<Arc<ekms_store::lane::Lane>>,
    f: impl FnOnce() -> R + Send + 'static,
) -> Option<R> {
    match lane {
        Some(lane) => lane.run(f).await,
        None => tokio::task::spawn_blocking(f).await.ok(),
    }
}

/// What [`process_on_worker`] made of a message.
pub enum OnWorker {
    /// Answered: it goes out once the commits of the tickets are durable.
    Answered(ResponseMessage, ekms_store::ticket::Tickets),
    /// To run on the blocking pool: not tried on the worker (not one read of a cached key or one
    /// Locate by Name, too large, or the shared store), or tried and refused there. The tickets
    /// are those of a refused run, kept so that nothing committed goes unawaited (none in
    /// practice: the refused transaction rolled back).
    Blocking(Ttlv, ekms_store::ticket::Tickets),
}

/// [`process`] run on the calling async worker, for a message that can be answered there: one
/// read of a cached key, or one Locate by Name of a few candidates, of a group already open, on
/// the embedded store (PostgreSQL reads the group's version from the database on every
/// request), in a message of at most
/// [`WORKER_MESSAGE_BYTES`]. Anything that would block (taking the database connection,
/// opening a group from disk) is refused before it changed anything
/// (`ekms_store::ticket::without_blocking`), and the message goes to the blocking pool
/// ([`OnWorker`]). A run uses the message up: a refused one is decoded again from `bytes`, the
/// message as received, with `decode` (cheaper than a copy of every message up front).
pub fn process_on_worker(
    state: &AppState,
    request: Ttlv,
    bytes: &[u8],
    decode: impl FnOnce(&[u8]) -> Option<Ttlv>,
    peer: &Peer<'_>,
) -> OnWorker {
    if bytes.len() > WORKER_MESSAGE_BYTES || state.groups.is_shared() || !worker_candidate(&request)
    {
        return OnWorker::Blocking(request, Default::default());
    }
    let (answered, tickets) = ekms_store::ticket::deferring(|| {
        ekms_store::ticket::without_blocking(|| process(state, request, peer))
    });
    crate::metrics::get().worker_attempt(answered.is_some());
    match answered {
        Some(response) => OnWorker::Answered(response, tickets),
        None => match decode(bytes) {
            Some(request) => OnWorker::Blocking(request, tickets),
            // It decoded a moment ago: a failure now is the server's own.
            None => OnWorker::Answered(internal_failure(), tickets),
        },
    }
}

/// `response` as it may go out once the commits its operations left pending
/// ([`ekms_store::ticket`]: their audit rows, or the batch a write joined) are durable:
/// unchanged if they all are; otherwise [`void_performed`].
pub async fn after_audit(
    mut response: ResponseMessage,
    tickets: ekms_store::ticket::Tickets,
) -> ResponseMessage {
    if tickets.is_empty() {
        return response;
    }
    if let Err(e) = tickets.wait().await {
        void_performed(&mut response, &KmipError::from(e));
    }
    response
}

/// Every item of `response` that was performed fails with `e`, the failure of a commit it
/// waited on (its write or its audit row may not be on disk): an answered one, and one
/// withheld for its size (Response Too Large says the operation was performed). Payloads are
/// wiped: they may hold key material.
fn void_performed(response: &mut ResponseMessage, e: &KmipError) {
    for item in &mut response.items {
        let performed = item.result_status == ResultStatus::Success
            || item.result_reason == Some(ResultReason::ResponseTooLarge);
        if performed {
            item.result_status = ResultStatus::OperationFailed;
            item.result_reason = Some(e.reason);
            item.result_message = Some(e.message.clone());
            if let Some(mut payload) = item.payload.take() {
                message::wipe_ttlv(&mut payload);
            }
        }
    }
}

/// The response items of a readable message: authentication, the refusals of a whole
/// message, then the items, under Undo in one transaction ([`run_undo_batch`]), else each in
/// its own.
fn answer_items(
    state: &AppState,
    msg: &mut RequestMessage,
    token: Result<GroupToken, GroupError>,
    version: ProtocolVersion,
    peer: &Peer<'_>,
) -> Vec<ResponseBatchItem> {
    let option = msg.header.batch_error_continuation_option;
    let refuse = |reason: ResultReason, text: &str| fail_all(&msg.items, reason, text, version);
    // Authentication comes first: a client without the group's secret learns nothing else.
    let opened = match (msg.header.password(), &peer.header_group) {
        (None, Some(store)) => Ok(store.clone()),
        _ => token.and_then(|token| {
            let store = state.groups.open(&token)?;
            if let Some(told) = peer.opened {
                told(&store, &token);
            }
            Ok(store)
        }),
    };
    let store = match opened {
        Ok(store) => store,
        Err(e) => {
            if e == GroupError::Refused {
                tracing::info!(
                    user = peer.user,
                    "KMIP request with a missing or wrong group secret"
                );
            }
            let (reason, text) = group_refusal(e);
            return refuse(reason, &text);
        }
    };
    if msg.items.iter().any(|i| {
        i.message_extension
            .as_ref()
            .is_some_and(|e| e.criticality_indicator)
    }) {
        // The specification: a critical extension the receiver does not understand rejects
        // the whole message. ekms understands none.
        return refuse(
            ResultReason::UnknownMessageExtension,
            "a critical Message Extension is not supported by this server",
        );
    }
    if msg
        .header
        .asynchronous_indicator
        .is_some_and(|a| a.requires_asynchronous())
    {
        return refuse(
            ResultReason::FeatureNotSupported,
            "asynchronous processing is not supported: every item is processed synchronously",
        );
    }
    let max_items = usize::try_from(state.config.max_batch_items).unwrap_or(usize::MAX);
    if msg.items.len() > max_items {
        // One item for the whole message, as for a message that cannot be processed: one per
        // request item would make the answer larger than the request.
        return vec![ResponseBatchItem::failure(
            None,
            reason_for_version(ResultReason::ServerLimitExceeded, version),
            format!(
                "the message has {} batch items, more than the {max_items} this server runs in one message (--max-batch-items, EKMS_MAX_BATCH_ITEMS); no item was executed",
                msg.items.len()
            ),
        )];
    }

    if msg.items.len() > 1 && message::undoes_on_failure(option) {
        return run_undo_batch(state, store.as_ref(), peer, &mut msg.items, version);
    }
    let ctx = Context {
        store: store.as_ref(),
        user: peer.user,
        version,
        access: Default::default(),
        // One budget for every item of the message.
        limits: operations::Limits::from_config(&state.config),
        batch: None,
        locked: Default::default(),
    };
    run_batch(&mut msg.items, option, version, |item| {
        execute(state, &ctx, item)
    })
}

/// Runs one item's operation in `ctx`.
fn execute(
    state: &AppState,
    ctx: &Context<'_>,
    item: &mut RequestBatchItem,
) -> Result<Vec<Ttlv>, KmipError> {
    let Some(op) = item.known_operation() else {
        return Err(KmipError::new(
            ResultReason::OperationNotSupported,
            format!("operation 0x{:08X} is not supported", item.operation),
        ));
    };
    state.capacity.admit(op)?;
    // The payload moves into the operation's request: its bytes are not copied.
    let payload = std::mem::replace(
        &mut item.payload,
        Ttlv::structure(Tag::REQUEST_PAYLOAD, Vec::new()),
    );
    // Inside an Undo batch the whole transaction would have to run again, not one item: a
    // change of the group there fails the batch.
    let shared = state.groups.is_shared() && ctx.batch.is_none();
    let result = dispatch_rerun(ctx, op, payload, shared);
    let (user, v) = (ctx.user, ctx.version);
    match &result {
        _ if ekms_store::ticket::already_refused() => {
            tracing::debug!(user, op = op.name(), %v, "KMIP operation runs again on the blocking pool")
        }
        Ok(_) => {
            tracing::debug!(user, op = op.name(), %v, "KMIP operation succeeded")
        }
        Err(e) => {
            tracing::debug!(user, op = op.name(), %v, reason = e.reason.name(), "KMIP operation failed")
        }
    }
    result.map(payload_fields)
}

/// Why the transaction of an Undo batch did not commit.
enum Rollback {
    /// An item failed: the answers so far, the failed one last.
    ItemFailed(Vec<ResponseBatchItem>),
    /// The store failed (the commit itself included).
    Store(ekms_store::StoreError),
}

impl From<ekms_store::StoreError> for Rollback {
    fn from(e: ekms_store::StoreError) -> Self {
        Rollback::Store(e)
    }
}

/// A batch of several items under Batch Error Continuation Option Undo: every item runs in one
/// store transaction (each operation's own transactions become savepoints of it, see
/// [`Context::batch`]), which commits only if every item succeeds. At the first failure the
/// batch stops and the transaction rolls back: the items before it are answered Operation
/// Undone (with the payload they had), the failed one with its reason, later ones not at all.
/// The audit rows written inside the rolled-back transaction go with it, so they are written
/// again afterwards, in their own transaction: `undone` for the items rolled back, the reason
/// for the failed one.
fn run_undo_batch(
    state: &AppState,
    store: &dyn ekms_store::ObjectStore,
    peer: &Peer<'_>,
    items: &mut [RequestBatchItem],
    version: ProtocolVersion,
) -> Vec<ResponseBatchItem> {
    use ekms_store::ObjectStoreExt;
    let mut rows = Vec::new();
    let outcome = store.transact(|tx| {
        let ctx = Context {
            store,
            user: peer.user,
            version,
            access: Default::default(),
            limits: operations::Limits::from_config(&state.config),
            batch: Some(std::cell::RefCell::new(tx)),
            locked: Default::default(),
        };
        let undo = Some(BatchErrorContinuationOption::Undo);
        let out = run_batch(items, undo, version, |item| {
            // No operation until dispatch starts one: an item refused before has no row.
            ctx.access.operation.set(None);
            let result = execute(state, &ctx, item);
            let outcome = match &result {
                Ok(_) => "undone",
                Err(e) => e.reason.name(),
            };
            rows.extend(ctx.access.row(peer.user, outcome));
            result
        });
        if out
            .iter()
            .any(|o| o.result_status == ResultStatus::OperationFailed)
        {
            return Err(Rollback::ItemFailed(out));
        }
        Ok(out)
    });
    match outcome {
        Ok(out) => out,
        Err(Rollback::ItemFailed(mut out)) => {
            for o in out.iter_mut() {
                if o.result_status == ResultStatus::Success {
                    o.result_status = ResultStatus::OperationUndone;
                }
            }
            let written = store.transact(|tx| rows.iter().try_for_each(|row| tx.audit(row)));
            if let Err(e) = written {
                tracing::error!(error = %e, "audit rows of an undone batch not written");
            }
            out
        }
        Err(Rollback::Store(e)) => {
            tracing::error!(error = %e, "the transaction of an Undo batch failed");
            fail_all(
                items,
                ResultReason::GeneralFailure,
                "the batch could not be committed, so no item was kept; see the server's log",
                version,
            )
        }
    }
}

/// How many times an operation whose group changed under it (another node or request wrote
/// first, nothing was written) runs again before its failure is answered (503, try again).
/// A rerun takes the group's write lock before it reads ([`Context::locked`]), so it cannot
/// lose to another writer again: the bound only guards against an operation whose group
/// changes under it some other way.
const CHANGED_RERUNS: u64 = 32;

/// Runs the operation, and again (at most [`CHANGED_RERUNS`] times) while it fails because
/// its group changed under it: it wrote nothing, so running it again is what the client would
/// do. Only a store `shared` by several nodes fails that way; the payload is copied for a
/// rerun only then.
pub fn dispatch_rerun(
    ctx: &Context<'_>,
    op: Operation,
    payload: Ttlv,
    shared: bool,
) -> Result<Ttlv, KmipError> {
    // Every transport's operations pass here: counted once each, reruns included in the time.
    let start = std::time::Instant::now();
    let result = rerun(ctx, op, payload, shared);
    // A run refused on the async worker is thrown away and runs again on the blocking pool:
    // that run is the one counted.
    if ekms_store::ticket::already_refused() {
        return result;
    }
    let failed = result.as_ref().err().map(|e| e.reason);
    let took = start.elapsed();
    // Counted as its answer says once the request's pending commits settle: a failed one voids
    // a success ([`after_audit`]).
    ekms_store::ticket::when_settled(move |commits| {
        let result = failed.or_else(|| commits.err().map(crate::error::store_reason));
        crate::metrics::get().kmip_operation(op, result, took);
    });
    // Into the request's log span, when the transport entered one (HTTPS).
    let span = tracing::Span::current();
    span.record("operation", op.name());
    span.record("result", failed.map_or("Success", |r| r.name()));
    result
}

/// [`dispatch_rerun`] without its metrics.
fn rerun(ctx: &Context<'_>, op: Operation, payload: Ttlv, shared: bool) -> Result<Ttlv, KmipError> {
    let mut payload = payload;
    for _ in 0..CHANGED_RERUNS {
        let spare = shared.then(|| payload.clone());
        match (operations::dispatch(ctx, op, payload), spare) {
            (Err(e), Some(spare)) if e.changed => {
                tracing::debug!(
                    op = op.name(),
                    "the group changed under the operation: run again, the group locked first"
                );
                ctx.locked.set(true);
                payload = spare;
            }
            (result, _) => return result,
        }
    }
    operations::dispatch(ctx, op, payload)
}

/// Executes the items in request order under the continuation option (Stop when absent), an
/// item that names no object using the ID Placeholder ([`placeholder`]):
/// Continue answers every item; Stop (and Undo, whose rollback is [`run_undo_batch`]'s)
/// ends the batch at the first failure, whose item is the last answered: later items are not
/// executed and get no response item, as the specification says.
fn run_batch(
    items: &mut [RequestBatchItem],
    option: Option<BatchErrorContinuationOption>,
    version: ProtocolVersion,
    mut execute: impl FnMut(&mut RequestBatchItem) -> Result<Vec<Ttlv>, KmipError>,
) -> Vec<ResponseBatchItem> {
    let go_on = message::continues_after_failure(option);
    let mut out = Vec::with_capacity(items.len());
    let mut placeholder = placeholder::IdPlaceholder::default();
    for item in items.iter_mut() {
        placeholder.fill(item);
        match execute(item) {
            Ok(fields) => {
                placeholder.remember(&fields);
                out.push(ResponseBatchItem::success(item, fields))
            }
            Err(e) => {
                out.push(ResponseBatchItem::failure(
                    Some(item),
                    reason_for_version(e.reason, version),
                    e.message,
                ));
                if !go_on {
                    break;
                }
            }
        }
    }
    out
}

/// Every item answered with the same failure (a refusal of the whole batch).
fn fail_all(
    items: &[RequestBatchItem],
    reason: ResultReason,
    text: &str,
    version: ProtocolVersion,
) -> Vec<ResponseBatchItem> {
    let reason = reason_for_version(reason, version);
    items
        .iter()
        .map(|i| ResponseBatchItem::failure(Some(i), reason, text))
        .collect()
}

/// The fields of a Response Payload structure.
fn payload_fields(payload: Ttlv) -> Vec<Ttlv> {
    match payload.value {
        Value::Structure(items) => items,
        _ => Vec::new(),
    }
}

/// Maximum Response Size: when the encoded response is larger than the client accepts, each
/// item that carries a payload is answered Response Too Large instead (its operation was
/// performed; only the answer is withheld, as the specification describes).
fn enforce_maximum_size(
    response: &mut ResponseMessage,
    maximum: Option<i32>,
    version: ProtocolVersion,
) {
    let Some(max) = maximum.and_then(|m| usize::try_from(m).ok()) else {
        return;
    };
    let size = ekms_kmip::binary::try_to_vec(&response.to_ttlv())
        .map(|b| zeroize::Zeroizing::new(b).len())
        .unwrap_or(usize::MAX);
    if size <= max {
        return;
    }
    let reason = reason_for_version(ResultReason::ResponseTooLarge, version);
    for item in response.items.iter_mut() {
        if let Some(mut payload) = item.payload.take() {
            message::wipe_ttlv(&mut payload);
            item.result_status = ekms_kmip::enums::ResultStatus::OperationFailed;
            item.result_reason = Some(reason);
            item.result_message = Some(format!(
                "the response ({size} bytes) is larger than the Maximum Response Size ({max} bytes)"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ekms_kmip::enums::Operation;

    fn items(n: usize) -> Vec<RequestBatchItem> {
        (0..n)
            .map(|i| {
                let mut item = RequestBatchItem::new(Operation::Get, vec![]);
                item.unique_batch_item_id = Some(vec![i as u8]);
                item
            })
            .collect()
    }

    /// Runs a batch whose item `i` succeeds when `ok[i]`; returns the statuses and how many
    /// items were executed.
    fn run(
        option: Option<BatchErrorContinuationOption>,
        ok: &[bool],
    ) -> (Vec<ResultStatus>, usize) {
        let mut reqs = items(ok.len());
        let mut executed = 0;
        let out = run_batch(&mut reqs, option, ProtocolVersion::V2_1, |item| {
            executed += 1;
            let i = item.unique_batch_item_id.as_ref().unwrap()[0] as usize;
            if ok[i] {
                Ok(vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, "x")])
            } else {
                Err(KmipError::not_found("x"))
            }
        });
        for (o, r) in out.iter().zip(&reqs) {
            assert_eq!(o.unique_batch_item_id, r.unique_batch_item_id);
            assert_eq!(o.operation, Some(Operation::Get.as_u32()));
        }
        (out.iter().map(|o| o.result_status).collect(), executed)
    }

    fn message(ops: &[Operation]) -> Ttlv {
        use ekms_kmip::message::RequestHeader;
        use ekms_kmip::{RequestMessage, ToTtlv};
        let items = ops
            .iter()
            .map(|op| RequestBatchItem::new(*op, vec![]))
            .collect();
        RequestMessage::new(RequestHeader::new(ProtocolVersion::V1_4), items).to_ttlv()
    }

    #[test]
    fn only_one_write_of_bounded_cost_goes_to_the_group_lane() {
        for op in [
            Operation::Create,
            Operation::Destroy,
            Operation::SetAttribute,
        ] {
            assert!(lane_candidate(&message(&[op]), 512), "{op:?}");
        }
        // A key pair's generation, a signature, a scan: seconds, milliseconds, unbounded; run
        // beside the lane, never holding its queue.
        for op in [
            Operation::CreateKeyPair,
            Operation::ReKeyKeyPair,
            Operation::Sign,
            Operation::Locate,
            Operation::DeriveKey,
            Operation::Get,
        ] {
            assert!(!lane_candidate(&message(&[op]), 512), "{op:?}");
        }
        let two = message(&[Operation::Create, Operation::Create]);
        assert!(!lane_candidate(&two, 512), "a batch of items");
        let large = WORKER_MESSAGE_BYTES + 1;
        assert!(!lane_candidate(&message(&[Operation::Register]), large));
    }

    #[test]
    fn answers_of_1_4_and_later_carry_a_fresh_server_correlation_value() {
        let fresh = |version| {
            let mut h = ResponseHeader::new(version, 0);
            correlate(&mut h, version);
            h.server_correlation_value
        };
        let a = fresh(ProtocolVersion::V2_1).unwrap();
        let b = fresh(ProtocolVersion::V1_4).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 17, "{a}");
        assert_eq!(fresh(ProtocolVersion::V1_3), None);
        let mut echoed = ResponseHeader::new(ProtocolVersion::V2_1, 0);
        echoed.server_correlation_value = Some("client-chosen".into());
        correlate(&mut echoed, ProtocolVersion::V2_1);
        assert_eq!(
            echoed.server_correlation_value.as_deref(),
            Some("client-chosen")
        );
    }

    #[test]
    fn group_errors_keep_their_result_reasons() {
        use ResultReason as R;
        let cases = [
            (GroupError::Refused, R::AuthenticationNotSuccessful),
            (GroupError::Busy { retry_after: 1 }, R::ServerLimitExceeded),
            (GroupError::Conflict, R::GeneralFailure),
            (GroupError::Internal, R::GeneralFailure),
            (GroupError::Unavailable, R::GeneralFailure),
        ];
        for (e, reason) in cases {
            assert_eq!(group_refusal(e).0, reason, "{e:?}");
        }
        assert_eq!(group_refusal(GroupError::Refused).1, AUTHENTICATION_FAILED);
        assert_eq!(
            group_refusal(GroupError::Busy { retry_after: 1 }).1,
            "the server has all the group databases it can hold open in use; try again shortly"
        );
    }

    /// The code of every file of this module (before its tests, without comments) names no
    /// HTTP framework: what a message means is the same on every transport.
    #[test]
    fn protocol_imports_no_http_framework() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/protocol");
        let mut files = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            files += 1;
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap();
            for (n, line) in code.lines().enumerate() {
                let line = line.split("//").next().unwrap();
                for framework in ["axum", "hyper", "http::"] {
                    assert!(
                        !line.contains(framework),
                        "{}:{}: {framework} in {line:?}",
                        path.display(),
                        n + 1
                    );
                }
            }
        }
        assert!(files >= 2, "no source files found in {}", dir.display());
    }

    #[test]
    fn stop_is_the_default_and_ends_at_the_first_failure() {
        use ResultStatus::*;
        for option in [None, Some(BatchErrorContinuationOption::Stop)] {
            let (statuses, executed) = run(option, &[true, false, true]);
            assert_eq!(statuses, [Success, OperationFailed]);
            assert_eq!(executed, 2);
        }
    }

    #[test]
    fn continue_answers_every_item() {
        use ResultStatus::*;
        let (statuses, executed) = run(
            Some(BatchErrorContinuationOption::Continue),
            &[false, true, false],
        );
        assert_eq!(statuses, [OperationFailed, Success, OperationFailed]);
        assert_eq!(executed, 3);
    }

    #[test]
    fn a_get_after_a_create_in_the_batch_gets_the_created_object() {
        let mut reqs = vec![
            RequestBatchItem::new(Operation::Create, vec![]),
            RequestBatchItem::new(Operation::Get, vec![]),
        ];
        let mut seen = Vec::new();
        run_batch(&mut reqs, None, ProtocolVersion::V1_4, |item| {
            seen.push(
                item.payload
                    .child(Tag::UNIQUE_IDENTIFIER)
                    .and_then(Ttlv::as_text)
                    .map(str::to_string),
            );
            Ok(vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, "created")])
        });
        assert_eq!(seen, [None, Some("created".to_string())]);
    }

    #[test]
    fn failures_carry_the_reason_of_the_clients_version() {
        let mut reqs = items(1);
        let out = run_batch(&mut reqs, None, ProtocolVersion::V1_2, |_| {
            Err(KmipError::new(ResultReason::ObjectNotFound, "gone"))
        });
        assert_eq!(out[0].result_reason, Some(ResultReason::ItemNotFound));
        assert_eq!(out[0].result_message.as_deref(), Some("gone"));
    }

    #[test]
    fn oversized_responses_become_response_too_large() {
        let reqs = items(2);
        let mut response = ResponseMessage::new(
            ResponseHeader::new(ProtocolVersion::V1_4, 0),
            vec![
                ResponseBatchItem::success(&reqs[0], vec![Ttlv::bytes(Tag::DATA, vec![7; 64])]),
                ResponseBatchItem::failure(Some(&reqs[1]), ResultReason::ItemNotFound, "no"),
            ],
        );
        let mut small = response.clone();
        enforce_maximum_size(&mut small, Some(100_000), ProtocolVersion::V1_4);
        assert_eq!(small, response);
        enforce_maximum_size(&mut response, Some(64), ProtocolVersion::V1_4);
        assert_eq!(
            response.items[0].result_status,
            ResultStatus::OperationFailed
        );
        assert_eq!(
            response.items[0].result_reason,
            Some(ResultReason::ResponseTooLarge)
        );
        assert!(response.items[0].payload.is_none());
        assert_eq!(
            response.items[1].result_reason,
            Some(ResultReason::ItemNotFound)
        );
    }

    #[test]
    fn a_failed_commit_voids_what_was_performed_withheld_or_not() {
        let reqs = items(3);
        let mut response = ResponseMessage::new(
            ResponseHeader::new(ProtocolVersion::V1_4, 0),
            vec![
                ResponseBatchItem::success(&reqs[0], vec![Ttlv::bytes(Tag::DATA, vec![7; 64])]),
                ResponseBatchItem::success(&reqs[1], vec![Ttlv::bytes(Tag::DATA, vec![8; 64])]),
                ResponseBatchItem::failure(Some(&reqs[2]), ResultReason::ItemNotFound, "no"),
            ],
        );
        // The second item was performed, its answer withheld for its size.
        response.items[1].result_status = ResultStatus::OperationFailed;
        response.items[1].result_reason = Some(ResultReason::ResponseTooLarge);
        response.items[1].payload = None;
        let e = KmipError::new(ResultReason::GeneralFailure, "the commit failed");
        void_performed(&mut response, &e);
        for item in &response.items[..2] {
            assert_eq!(item.result_status, ResultStatus::OperationFailed);
            assert_eq!(item.result_reason, Some(ResultReason::GeneralFailure));
            assert_eq!(item.result_message.as_deref(), Some("the commit failed"));
            assert!(item.payload.is_none());
        }
        assert_eq!(
            response.items[2].result_reason,
            Some(ResultReason::ItemNotFound)
        );
    }
}
