//! KMIP operations: one file per operation, each `apply` (request and context to a response),
//! and the dispatcher. An operation's request and response types live in
//! [`ekms_kmip::operations`], shared with the client: the dispatcher decodes the payload into
//! the request by value (its bytes move, nothing is copied) and encodes the response by value.
//! [`OPERATIONS`] is the one table of the operations the server runs: [`dispatch`] finds an operation's
//! handler there (any other answers Operation Not Supported with its reason from
//! [`refused::REFUSED`]), and Query lists the same
//! table, in its order, limited to the client's KMIP version. What operations share about
//! objects and key material lives in [`crate::objects`]; the rights each operation needs in
//! [`crate::access::OPERATIONS`] (a test checks both tables name the same operations).
//!
//! Every operation runs inside one store transaction, so it is atomic and durable. Work whose
//! cost the client chooses runs outside it (DeriveKey reads its base in one transaction,
//! derives, then writes in another), and is bounded by [`Limits`].

mod activate;
mod add_attribute;
mod adjust_attribute;
mod archive;
mod cancel;
mod certify;
mod check;
mod create;
mod create_key_pair;
mod create_split_key;
mod decrypt;
mod delete_attribute;
mod derive_key;
mod destroy;
mod discover_versions;
mod encrypt;
mod encrypt_parts;
mod export;
mod get;
mod get_attribute_list;
mod get_attributes;
mod get_usage_allocation;
mod hash;
mod import;
mod interop;
mod join_split_key;
mod locate;
mod log;
mod mac;
mod mac_verify;
mod modify_attribute;
mod obtain_lease;
mod poll;
pub mod query;
mod recertify;
mod recover;
mod refused;
mod register;
mod rekey;
mod rekey_key_pair;
mod revoke;
mod rng_retrieve;
mod rng_seed;
mod set_attribute;
mod set_endpoint_role;
mod sign;
mod signature_verify;

#[cfg(test)]
mod adjust_attribute_tests;
#[cfg(test)]
mod archive_cancel_tests;
#[cfg(test)]
mod asym_cache_tests;
#[cfg(test)]
mod baseline_tests;
#[cfg(test)]
mod certify_tests;
#[cfg(test)]
mod conformance_tests;
#[cfg(test)]
mod crypto_schemes_tests;
#[cfg(test)]
mod key_format_tests;
#[cfg(test)]
mod lease_allocation_tests;
#[cfg(test)]
mod parsed_attrs_tests;
#[cfg(test)]
mod profile_tests;
#[cfg(test)]
mod rekey_pair_tests;
#[cfg(test)]
mod split_key_tests;
#[cfg(test)]
mod stored_objects_tests;
#[cfg(test)]
mod tests;

use crate::error::KmipError;
use ekms_kmip::enums::{Operation, ResultReason};
use ekms_kmip::{FromTtlv, ProtocolVersion, ToTtlv, Ttlv};
use ekms_store::StoreTxExt;
use ekms_store::{ObjectStore, ObjectStoreExt, StoreTx};
use std::cell::{Cell, RefCell};

/// What one request message may make the server do: the work settings of
/// [`crate::config::Config`] (docs/server.md, "Bounds on the work of one request"). One
/// [`Limits`] serves every item of a message, so the KDF work of all its items is counted
/// together.
pub struct Limits {
    /// `--max-kdf-work`: PRF computations (one HMAC each) of all derivations of the message.
    pub max_kdf_work: u64,
    /// `--max-locate-items`: identifiers one Locate answers.
    pub max_locate_items: usize,
    /// `--lease-time-seconds`: the Lease Time every object states (0: none).
    pub lease_time_seconds: u32,
    kdf_spent: Cell<u64>,
}

impl Limits {
    pub fn new(max_kdf_work: u64, max_locate_items: usize) -> Self {
        Limits {
            max_kdf_work,
            max_locate_items,
            lease_time_seconds: crate::config::DEFAULT_LEASE_TIME_SECONDS,
            kdf_spent: Cell::new(0),
        }
    }

    /// The limits of one new request message.
    pub fn from_config(config: &crate::config::Config) -> Self {
        let mut limits = Self::new(
            config.max_kdf_work,
            usize::try_from(config.max_locate_items).unwrap_or(usize::MAX),
        );
        limits.lease_time_seconds = config.lease_time_seconds;
        limits
    }

    /// Charges `work` PRF computations (described by `what`) to the message, or refuses with
    /// Server Limit Exceeded naming the limit when the message's derivations would pass it.
    pub fn charge_kdf(&self, work: u64, what: &str) -> Result<(), KmipError> {
        let spent = self.kdf_spent.get();
        let total = spent.saturating_add(work);
        if total > self.max_kdf_work {
            let earlier = if spent > 0 {
                format!(", with {spent} spent by earlier items of this message")
            } else {
                String::new()
            };
            return Err(KmipError::new(
                ResultReason::ServerLimitExceeded,
                format!(
                    "this derivation would do {work} PRF computations ({what}){earlier}, more than the {} one request may do (--max-kdf-work, EKMS_MAX_KDF_WORK)",
                    self.max_kdf_work
                ),
            ));
        }
        self.kdf_spent.set(total);
        Ok(())
    }
}

impl Default for Limits {
    /// The defaults of the settings.
    fn default() -> Self {
        Self::new(
            crate::config::DEFAULT_MAX_KDF_WORK,
            crate::config::DEFAULT_MAX_LOCATE_ITEMS as usize,
        )
    }
}

/// Who asks, and where their group's objects are.
pub struct Context<'a> {
    pub store: &'a dyn ObjectStore,
    pub user: &'a str,
    /// The KMIP version negotiated for this request: operations answer in its shapes
    /// (1.x TemplateAttribute and attributes named by text, 2.x Attributes).
    pub version: ProtocolVersion,
    /// The running operation's rights check and audit state (see [`crate::access`]).
    pub access: crate::access::Scope,
    /// The bounds on the work of the request message.
    pub limits: Limits,
    /// The one transaction of a batch under Batch Error Continuation Option Undo
    /// ([`crate::protocol`]): while it is set, each transaction an operation asks for is a
    /// savepoint of it, so the whole batch commits or rolls back at once. `None`: each
    /// operation commits its own.
    pub batch: Option<RefCell<&'a mut dyn StoreTx>>,
    /// Set when the operation runs again after the group changed under it
    /// ([`crate::protocol::dispatch_rerun`]): its transactions then take the group's write
    /// lock before they read ([`ObjectStoreExt::transact_locked`]), so the rerun cannot lose
    /// to another writer again, however many race for the group.
    pub locked: Cell<bool>,
}

impl Context<'_> {
    /// Runs `f` in one transaction; a [`KmipError`] from `f` rolls it back and is returned.
    /// The operation's audit row commits with it.
    pub fn transact<R>(
        &self,
        f: impl FnMut(&mut dyn StoreTx) -> Result<R, KmipError>,
    ) -> Result<R, KmipError> {
        self.in_transaction(f, true)
    }

    /// Runs `f`, which only reads, in one transaction that writes no audit row: for an
    /// operation that reads first, works outside any transaction, then writes (and audits)
    /// with [`Context::transact`].
    pub fn read<R>(
        &self,
        f: impl FnMut(&mut dyn StoreTx) -> Result<R, KmipError>,
    ) -> Result<R, KmipError> {
        self.in_transaction(f, false)
    }

    /// Runs `f`, the server's own bookkeeping write for an operation whose audit row another
    /// transaction carries (Get clearing Fresh), in a transaction that writes no audit row.
    pub fn bookkeeping<R>(
        &self,
        f: impl FnMut(&mut dyn StoreTx) -> Result<R, KmipError>,
    ) -> Result<R, KmipError> {
        self.in_transaction(f, false)
    }

    fn in_transaction<R>(
        &self,
        mut f: impl FnMut(&mut dyn StoreTx) -> Result<R, KmipError>,
        audit: bool,
    ) -> Result<R, KmipError> {
        self.own_or_batch(|tx| {
            let mut checked = crate::access::CheckedTx {
                inner: tx,
                user: self.user,
                scope: &self.access,
                refusal: None,
            };
            let r = f(&mut checked);
            // A refusal stands even if the operation went on past the error it was handed.
            if let Some(e) = checked.refusal.take() {
                return Err(e);
            }
            let r = r?;
            // The audit row commits with the operation's writes.
            if let Some(row) = self.access.row(self.user, "ok").filter(|_| audit) {
                tx.audit(&row)?;
                self.access.audited.set(true);
            }
            Ok(r)
        })
    }
}

impl Context<'_> {
    /// Runs `f` in a transaction of its own, or in a savepoint of the batch's transaction
    /// when the message runs under Undo.
    pub fn own_or_batch<R, E: From<ekms_store::StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn StoreTx) -> Result<R, E>,
    ) -> Result<R, E> {
        match &self.batch {
            Some(outer) => outer.borrow_mut().nested(f),
            None if self.locked.get() => self.store.transact_locked(f),
            None => self.store.transact(f),
        }
    }
}

/// Runs one operation on its request payload and returns the response payload, checking the
/// caller's rights ([`crate::access`]) and recording it, allowed or refused, in the group's
/// audit trail.
pub fn dispatch(ctx: &Context<'_>, op: Operation, payload: Ttlv) -> Result<Ttlv, KmipError> {
    ctx.access.begin(op, crate::access::right_for(op));
    let res = run(ctx, op, payload);
    audit_outcome(ctx, &res);
    res
}

/// Writes the audit row of an operation whose transaction did not (refused, failed, or run
/// without a transaction), in its own small transaction.
pub fn audit_outcome<T>(ctx: &Context<'_>, res: &Result<T, KmipError>) {
    let result = match res {
        Ok(_) if ctx.access.audited.get() => return,
        Ok(_) => "ok".to_string(),
        Err(e) => e.reason.name().to_string(),
    };
    let Some(row) = ctx.access.row(ctx.user, &result) else {
        return;
    };
    match ctx.own_or_batch(|tx| tx.audit(&row)) {
        // The refusal of a full trail is the answer: nothing was done, nothing to record.
        Err(ekms_store::StoreError::AuditFull { .. }) => {}
        // A run refused on the async worker runs again on the blocking pool, audited there.
        Err(_) if ekms_store::ticket::already_refused() => {}
        Err(e) => tracing::error!(error = %e, operation = %row.operation, "audit row not written"),
        Ok(()) => {}
    }
}

fn run(ctx: &Context<'_>, op: Operation, payload: Ttlv) -> Result<Ttlv, KmipError> {
    // An operation the client's KMIP version does not define is not run, whatever its payload:
    // Query of that version does not list it either.
    let introduced = query::operation_introduced(op);
    if introduced > ctx.version {
        return Err(KmipError::new(
            ResultReason::OperationNotSupported,
            format!(
                "{} is not part of KMIP {} (it came with KMIP {introduced})",
                op.name(),
                ctx.version
            ),
        ));
    }
    let (_, handler) = OPERATIONS.iter().find(|(o, _)| *o == op).ok_or_else(|| {
        KmipError::new(
            ResultReason::OperationNotSupported,
            match refused::reason(op) {
                Some(why) => format!("{} is not supported: {why}", op.name()),
                None => format!("operation {} is not supported", op.name()),
            },
        )
    })?;
    handler(ctx, payload)
}

/// One operation's handler: decodes the request payload, applies it, encodes the response.
pub type Handler = fn(&Context<'_>, Ttlv) -> Result<Ttlv, KmipError>;

/// Runs an operation whose request and response types live in [`ekms_kmip::operations`]:
/// the payload is decoded by value (its bytes move into the request) and the response is
/// encoded by value (its bytes move into the tree).
fn typed<R: FromTtlv, A: ToTtlv>(
    ctx: &Context<'_>,
    payload: Ttlv,
    apply: fn(&Context<'_>, R) -> Result<A, KmipError>,
) -> Result<Ttlv, KmipError> {
    let request = R::from_ttlv(payload).map_err(KmipError::from_payload)?;
    apply(ctx, request).map(ToTtlv::to_ttlv)
}

/// The table of [`OPERATIONS`]: each operation with the module that applies it to the
/// request type of [`ekms_kmip::operations`] it takes.
macro_rules! operations {
    ($($op:ident => $module:ident),* $(,)?) => {
        /// Every operation the server runs, with its handler, in the order Query lists them.
        /// [`dispatch`] runs only these; Query answers only these (of the client's version).
        pub const OPERATIONS: &[(Operation, Handler)] = &[
            $((Operation::$op, |ctx, payload| typed(ctx, payload, $module::apply)),)*
        ];
    };
}

operations! {
    Create => create,
    CreateKeyPair => create_key_pair,
    Register => register,
    ReKey => rekey,
    DeriveKey => derive_key,
    Locate => locate,
    Check => check,
    Get => get,
    GetAttributes => get_attributes,
    GetAttributeList => get_attribute_list,
    AddAttribute => add_attribute,
    ModifyAttribute => modify_attribute,
    DeleteAttribute => delete_attribute,
    ObtainLease => obtain_lease,
    GetUsageAllocation => get_usage_allocation,
    Activate => activate,
    Revoke => revoke,
    Destroy => destroy,
    Archive => archive,
    Recover => recover,
    Query => query,
    Cancel => cancel,
    Poll => poll,
    Certify => certify,
    ReCertify => recertify,
    ReKeyKeyPair => rekey_key_pair,
    DiscoverVersions => discover_versions,
    Encrypt => encrypt,
    Decrypt => decrypt,
    Sign => sign,
    SignatureVerify => signature_verify,
    Mac => mac,
    MacVerify => mac_verify,
    RngRetrieve => rng_retrieve,
    RngSeed => rng_seed,
    Hash => hash,
    CreateSplitKey => create_split_key,
    JoinSplitKey => join_split_key,
    Import => import,
    Export => export,
    SetAttribute => set_attribute,
    Interop => interop,
    Log => log,
    AdjustAttribute => adjust_attribute,
    SetEndpointRole => set_endpoint_role,
}
