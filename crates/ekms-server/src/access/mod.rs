//! Access rights inside a group, decided in one place. This module owns every rule of who may
//! do what: who the group's administrator is ([`ADMIN_META_KEY`], [`is_admin`],
//! [`is_group_administrator`]), who may grant, revoke and list rights ([`may_manage`]), who may
//! read, use or create an object ([`check`], [`CheckedTx`]), and the table of what each KMIP
//! operation and each route needs ([`OPERATIONS`], [`ROUTES`], the same as docs/access.md's).
//! Routes and operations ask it and keep no rule of their own.
//!
//! Rights on objects are those of docs/access.md ([`Right`]); `create` and `audit` are
//! group rights, granted with unique identifier `*`. The owner of an object holds every right
//! on it; a grant to user `*` reaches every user of the group. The administrator (the group
//! metadata entry `admin`, written at registration) holds the group rights and grants them;
//! a group without a recorded administrator (registered before authentication existed) lets
//! every one of its users hold the group rights. Every group starts with the grant
//! (`*`, `*`, `create`), so every user may create until the administrator revokes it.
//!
//! Operations do not call [`check`] one by one: [`crate::operations::Context::transact`] hands
//! them a [`CheckedTx`] that checks, on every object read, the right the running operation
//! needs ([`right_for`]), checks `create` on every insert, and restricts Locate to the objects
//! the caller owns or holds a grant on (any right): Locate reads the objects it found to match
//! their attributes, and those reads need no further right, so Locate filters and never
//! refuses. The same transaction appends the audit row.

use crate::error::KmipError;
use crate::groups::GroupStore;
use ekms_kmip::enums::{Operation, ResultReason};
pub use ekms_store::ADMIN_META_KEY;
use ekms_store::{
    AccessTx, AuditFilter, AuditRow, End, Grant, LocateQuery, StoreError, StoreTx, StoredObject,
};
use std::cell::{Cell, RefCell};
use std::collections::HashSet;

/// A right on an object, or (`Create`, `Audit`) on the group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Right {
    Get,
    Export,
    Encrypt,
    Decrypt,
    Sign,
    Verify,
    Mac,
    MacVerify,
    Wrap,
    Unwrap,
    Rekey,
    Activate,
    Revoke,
    Destroy,
    GetAttributes,
    SetAttributes,
    Create,
    Audit,
}

const ALL: [Right; 18] = [
    Right::Get,
    Right::Export,
    Right::Encrypt,
    Right::Decrypt,
    Right::Sign,
    Right::Verify,
    Right::Mac,
    Right::MacVerify,
    Right::Wrap,
    Right::Unwrap,
    Right::Rekey,
    Right::Activate,
    Right::Revoke,
    Right::Destroy,
    Right::GetAttributes,
    Right::SetAttributes,
    Right::Create,
    Right::Audit,
];

impl Right {
    /// The name used in grants and on the routes.
    pub fn name(self) -> &'static str {
        match self {
            Right::Get => "get",
            Right::Export => "export",
            Right::Encrypt => "encrypt",
            Right::Decrypt => "decrypt",
            Right::Sign => "sign",
            Right::Verify => "verify",
            Right::Mac => "mac",
            Right::MacVerify => "mac_verify",
            Right::Wrap => "wrap",
            Right::Unwrap => "unwrap",
            Right::Rekey => "rekey",
            Right::Activate => "activate",
            Right::Revoke => "revoke",
            Right::Destroy => "destroy",
            Right::GetAttributes => "get_attributes",
            Right::SetAttributes => "set_attributes",
            Right::Create => "create",
            Right::Audit => "audit",
        }
    }

    /// The right with this name, if any.
    pub fn parse(name: &str) -> Option<Right> {
        ALL.into_iter().find(|r| r.name() == name)
    }

    /// Whether this is a group right (granted with uid `*`).
    pub fn is_group(self) -> bool {
        matches!(self, Right::Create | Right::Audit)
    }
}

/// What a caller needs to run a KMIP operation or call a route, beyond the group secret and
/// authentication. [`OPERATIONS`] and [`ROUTES`] say it for each; docs/access.md holds the
/// same table, word for word ([`Need::describe`]), and a test compares the two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Open to anyone (no group): see docs/server.md for the route's own checks.
    Public,
    /// Any authenticated user of the group.
    Member,
    /// Reads no object: nothing beyond membership.
    Nothing,
    /// This object right on each object it reads.
    Object(Right),
    /// This object right on each object it reads and `create` on each object it inserts.
    ObjectAndCreate(Right),
    /// `create` on each object it inserts.
    Create,
    /// Nothing: answers only objects the caller owns or holds any right on, never refuses.
    Visible,
    /// This group right.
    Group(Right),
    /// The object's owner; for `*`, the administrator ([`may_manage`]).
    Owner,
    /// The recorded administrator only ([`is_group_administrator`]).
    Administrator,
    /// The right of each operation in the request (the operations' table).
    PerOperation,
}

impl Need {
    /// The wording of docs/access.md's table (only the test comparing the two reads it).
    #[cfg(test)]
    pub fn describe(self) -> String {
        match self {
            Need::Public => "nothing (no group)".into(),
            Need::Member => "any user of the group".into(),
            Need::Nothing => "nothing (reads no object)".into(),
            Need::Object(r) => format!("`{}` on each object it reads", r.name()),
            Need::ObjectAndCreate(r) => format!(
                "`{}` on each object it reads, `create` on each object it inserts",
                r.name()
            ),
            Need::Create => "`create` on each object it inserts".into(),
            Need::Visible => {
                "nothing: answers only objects the caller owns or holds any right on".into()
            }
            Need::Group(r) => format!("`{}` (group right)", r.name()),
            Need::Owner => "the owner of the object (the administrator for `*`)".into(),
            Need::Administrator => "the recorded administrator".into(),
            Need::PerOperation => "each operation's own need".into(),
        }
    }

    /// The right the checked transaction asks of each object read ([`Scope::right`]).
    fn object_right(self) -> Option<Right> {
        match self {
            Need::Object(r) | Need::ObjectAndCreate(r) | Need::Group(r) => Some(r),
            Need::Create => Some(Right::Create),
            // Locate reads only what it found visible; anything else would need `get`.
            Need::Visible => Some(Right::Get),
            Need::Public
            | Need::Member
            | Need::Nothing
            | Need::Owner
            | Need::Administrator
            | Need::PerOperation => None,
        }
    }
}

/// Every KMIP operation the server runs and what it needs. The dispatcher takes an
/// operation's right from here ([`right_for`]).
pub const OPERATIONS: &[(Operation, Need)] = &[
    (Operation::Create, Need::Create),
    (Operation::CreateKeyPair, Need::Create),
    (Operation::Register, Need::Create),
    (Operation::Import, Need::Create),
    (Operation::ReKey, Need::ObjectAndCreate(Right::Rekey)),
    (Operation::ReKeyKeyPair, Need::ObjectAndCreate(Right::Rekey)),
    (Operation::DeriveKey, Need::ObjectAndCreate(Right::Get)),
    // Both read key material that their new objects then serve, as Get would.
    (Operation::CreateSplitKey, Need::ObjectAndCreate(Right::Get)),
    (Operation::JoinSplitKey, Need::ObjectAndCreate(Right::Get)),
    // Both sign with a key of the group (and read what they certify, and the issuer's
    // certificate).
    (Operation::Certify, Need::ObjectAndCreate(Right::Sign)),
    (Operation::ReCertify, Need::ObjectAndCreate(Right::Sign)),
    (Operation::Locate, Need::Visible),
    (Operation::Check, Need::Object(Right::GetAttributes)),
    (Operation::Get, Need::Object(Right::Get)),
    (Operation::Export, Need::Object(Right::Export)),
    (Operation::GetAttributes, Need::Object(Right::GetAttributes)),
    (
        Operation::GetAttributeList,
        Need::Object(Right::GetAttributes),
    ),
    (Operation::AddAttribute, Need::Object(Right::SetAttributes)),
    (Operation::SetAttribute, Need::Object(Right::SetAttributes)),
    (
        Operation::ModifyAttribute,
        Need::Object(Right::SetAttributes),
    ),
    (
        Operation::DeleteAttribute,
        Need::Object(Right::SetAttributes),
    ),
    // Changes a value as Modify Attribute does.
    (
        Operation::AdjustAttribute,
        Need::Object(Right::SetAttributes),
    ),
    (Operation::Activate, Need::Object(Right::Activate)),
    (Operation::Revoke, Need::Object(Right::Revoke)),
    (Operation::Destroy, Need::Object(Right::Destroy)),
    // Both serve a client that uses the key material itself, which only Get gives it.
    (Operation::ObtainLease, Need::Object(Right::Get)),
    (Operation::GetUsageAllocation, Need::Object(Right::Get)),
    (Operation::Archive, Need::Object(Right::SetAttributes)),
    (Operation::Recover, Need::Object(Right::SetAttributes)),
    (Operation::Cancel, Need::Nothing),
    (Operation::Poll, Need::Nothing),
    (Operation::Encrypt, Need::Object(Right::Encrypt)),
    (Operation::Decrypt, Need::Object(Right::Decrypt)),
    (Operation::Sign, Need::Object(Right::Sign)),
    (Operation::SignatureVerify, Need::Object(Right::Verify)),
    (Operation::Mac, Need::Object(Right::Mac)),
    (Operation::MacVerify, Need::Object(Right::MacVerify)),
    (Operation::Hash, Need::Nothing),
    (Operation::RngRetrieve, Need::Nothing),
    (Operation::RngSeed, Need::Nothing),
    (Operation::Interop, Need::Nothing),
    (Operation::Log, Need::Nothing),
    // Changes nothing: ekms stays the server it is.
    (Operation::SetEndpointRole, Need::Nothing),
    (Operation::Query, Need::Nothing),
    (Operation::DiscoverVersions, Need::Nothing),
];

/// Every route (method and path as routed) and what it needs. The handlers of the routes that
/// need a right inside a transaction ask [`require`] with their own entry; the group-life
/// routes ask [`is_group_administrator`], the stream routes run Encrypt and Decrypt's checks.
/// Tests check that `routes/mod.rs` routes exactly these and that docs/access.md says the same.
pub const ROUTES: &[(&str, Need)] = &[
    ("POST /register", Need::Public),
    ("POST /group/rotate-secret", Need::Administrator),
    ("POST /group/rotate-secret/confirm", Need::Member),
    ("DELETE /group", Need::Administrator),
    ("POST /kmip/2_1", Need::PerOperation),
    ("POST /kmip", Need::PerOperation),
    ("GET /quote", Need::Public),
    ("GET /certificates", Need::Public),
    ("GET /manifest", Need::Public),
    ("POST /v1/encrypt/{uid}", Need::Object(Right::Encrypt)),
    ("POST /v1/decrypt/{uid}", Need::Object(Right::Decrypt)),
    ("POST /access/grant", Need::Owner),
    ("POST /access/revoke", Need::Owner),
    ("GET /access/owned", Need::Member),
    ("GET /access/obtained", Need::Member),
    ("GET /access/{uid}", Need::Owner),
    ("GET /audit", Need::Group(Right::Audit)),
    ("GET /audit/retention", Need::Group(Right::Audit)),
    ("PUT /audit/retention", Need::Administrator),
    ("GET /audit/export", Need::Group(Right::Audit)),
    ("POST /audit/prune", Need::Administrator),
    ("GET /health", Need::Public),
    ("GET /health/live", Need::Public),
    ("GET /health/ready", Need::Public),
    ("GET /version", Need::Public),
    ("GET /ui", Need::Public),
    ("GET /ui/", Need::Public),
    ("GET /ui/{asset}", Need::Public),
];

/// What `op` needs ([`OPERATIONS`]); `None` for an operation the server does not run.
pub fn need_of(op: Operation) -> Option<Need> {
    OPERATIONS.iter().find(|(o, _)| *o == op).map(|(_, n)| *n)
}

/// Enforces what `route` needs ([`ROUTES`]) for `user` inside the route's transaction, on
/// `uid` (`*`: the group) where the need is about an object. Returns the object's owner for
/// [`Need::Owner`] (see [`may_manage`]), else `None`. A route whose need is enforced elsewhere
/// (the administrator's, the operations') must not ask here: that is an internal error.
pub fn require(
    tx: &mut dyn StoreTx,
    user: &str,
    route: &str,
    uid: &str,
) -> Result<Option<String>, KmipError> {
    let need = ROUTES
        .iter()
        .find(|(r, _)| *r == route)
        .map(|(_, n)| *n)
        .ok_or_else(|| KmipError::internal(format!("{route} is not in the access table")))?;
    match need {
        Need::Public | Need::Member | Need::Nothing | Need::Visible => Ok(None),
        Need::Group(right) => check(tx, user, None, right).map(|()| None),
        Need::Owner => {
            let what = if route.starts_with("GET ") {
                Manage::List
            } else {
                Manage::Change
            };
            may_manage(tx, user, uid, what)
        }
        Need::Object(_)
        | Need::ObjectAndCreate(_)
        | Need::Create
        | Need::Administrator
        | Need::PerOperation => Err(KmipError::internal(format!(
            "the need of {route} is enforced by its handler, not here"
        ))),
    }
}

/// The right a KMIP operation needs on the objects it reads ([`OPERATIONS`]); `None` for
/// operations that read no object (Query, DiscoverVersions, Hash, RNGRetrieve) or that the
/// server does not run. Operations that create objects need `create` on each insert besides.
pub fn right_for(op: Operation) -> Option<Right> {
    need_of(op).and_then(Need::object_right)
}

/// The group's administrator, if one is recorded.
pub fn administrator(tx: &mut dyn AccessTx) -> Result<Option<String>, KmipError> {
    Ok(tx.meta(ADMIN_META_KEY)?)
}

/// Whether `user` holds the group rights as administrator: the recorded administrator, or
/// anyone when the group has none recorded.
pub fn is_admin(tx: &mut dyn AccessTx, user: &str) -> Result<bool, KmipError> {
    Ok(administrator(tx)?.is_none_or(|a| a == user))
}

/// Records `user` as the administrator of a group just registered.
pub fn record_administrator(store: &dyn GroupStore, user: &str) -> Result<(), StoreError> {
    store.set_meta(ADMIN_META_KEY, user)
}

/// Whether `user` may run the group's life ([`Need::Administrator`]: rotate the secret,
/// delete the group): only the recorded administrator, so a group with none recorded has
/// nobody who may.
pub fn is_group_administrator(store: &dyn GroupStore, user: &str) -> Result<bool, StoreError> {
    Ok(store.get_meta(ADMIN_META_KEY)?.as_deref() == Some(user))
}

fn denied(user: &str, right: Right, uid: &str) -> KmipError {
    KmipError::new(
        ResultReason::PermissionDenied,
        format!("{user} does not hold the right {} on {uid}", right.name()),
    )
}

/// The one decision: may `user` exercise `right` on `object` (or on the group, `None`)?
/// Refusal is PermissionDenied.
pub fn check(
    tx: &mut dyn AccessTx,
    user: &str,
    object: Option<&StoredObject>,
    right: Right,
) -> Result<(), KmipError> {
    let uid = match object {
        Some(o) if o.owner == user => return Ok(()),
        Some(o) => o.uid.as_str(),
        None => "*",
    };
    if object.is_none() && is_admin(tx, user)? {
        return Ok(());
    }
    let held = tx
        .grants_on(uid)?
        .iter()
        .any(|g| (g.user == user || g.user == "*") && g.right == right.name());
    if held {
        Ok(())
    } else {
        Err(denied(user, right, uid))
    }
}

/// Whether a Locate shows `obj` to `user`: its owner, or a holder of any right on it (what
/// the stores' `visible_to` filter selects).
fn visible(tx: &mut dyn AccessTx, user: &str, obj: &StoredObject) -> Result<bool, StoreError> {
    if obj.owner == user {
        return Ok(true);
    }
    Ok(tx
        .grants_on(&obj.uid)?
        .iter()
        .any(|g| g.user == user || g.user == "*"))
}

/// What a caller wants to do with the rights on an object ([`may_manage`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Manage {
    /// Grant or revoke.
    Change,
    /// List the owner and grants.
    List,
}

/// May `user` grant, revoke or list the rights on `uid` (`*`: the group rights)
/// ([`Need::Owner`])? The owner of an object; for `*`, the administrator ([`is_admin`]).
/// Returns the object's owner (for `*`, the recorded administrator, if any); NotFound for an
/// unknown object, PermissionDenied for anyone else.
pub fn may_manage(
    tx: &mut dyn StoreTx,
    user: &str,
    uid: &str,
    what: Manage,
) -> Result<Option<String>, KmipError> {
    if uid == "*" {
        let admin = administrator(tx)?;
        if admin.as_deref().is_none_or(|a| a == user) {
            return Ok(admin);
        }
    } else {
        match tx.get(uid)? {
            None => return Err(KmipError::not_found(uid)),
            Some(o) if o.owner == user => return Ok(Some(o.owner)),
            Some(_) => {}
        }
    }
    Err(KmipError::new(
        ResultReason::PermissionDenied,
        match what {
            Manage::Change => format!("only the owner of {uid} may grant or revoke rights on it"),
            Manage::List => {
                format!("only the owner of {uid} or the administrator may list its rights")
            }
        },
    ))
}

/// The access state of one running operation, kept in its
/// [`crate::operations::Context`].
#[derive(Default)]
pub struct Scope {
    /// The operation running, for the audit row.
    pub operation: Cell<Option<Operation>>,
    /// The right object reads need; `None`: no object right (reads are refused).
    pub right: Cell<Option<Right>>,
    /// Whether the right check applies (false only for [`crate::operations::Context`]s of
    /// internal callers that check themselves).
    pub object: RefCell<Option<String>>,
    /// Whether the operation's transaction already holds its audit row.
    pub audited: Cell<bool>,
    /// The objects the running operation's Locate found visible to the caller: reading them
    /// needs no right (Locate matches their attributes and answers only their uids).
    pub located: RefCell<HashSet<String>>,
}

impl Scope {
    /// Starts a new operation.
    pub fn begin(&self, op: Operation, right: Option<Right>) {
        self.operation.set(Some(op));
        self.right.set(right);
        self.object.replace(None);
        self.audited.set(false);
        self.located.borrow_mut().clear();
    }

    /// The audit row of the operation with this result.
    pub fn row(&self, user: &str, result: &str) -> Option<AuditRow> {
        let op = self.operation.get()?;
        Some(AuditRow {
            time: unix_now(),
            user: user.to_string(),
            operation: op.name().to_string(),
            object: self.object.borrow().clone(),
            result: result.to_string(),
            request_id: crate::request_id::current(),
        })
    }
}

/// Unix seconds now.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A transaction that enforces the caller's rights (see the module documentation).
pub struct CheckedTx<'t, 's> {
    pub inner: &'t mut dyn StoreTx,
    pub user: &'s str,
    pub scope: &'s Scope,
    /// The refusal that aborted the transaction, returned to the caller unchanged.
    pub refusal: Option<KmipError>,
}

impl CheckedTx<'_, '_> {
    fn refuse(&mut self, e: KmipError) -> StoreError {
        let msg = e.message.clone();
        self.refusal = Some(e);
        StoreError::Aborted(msg)
    }
}

impl AccessTx for CheckedTx<'_, '_> {
    fn meta(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        self.inner.meta(key)
    }
    fn grant(&mut self, grant: &Grant) -> Result<(), StoreError> {
        self.inner.grant(grant)
    }
    fn revoke(&mut self, grant: &Grant) -> Result<bool, StoreError> {
        self.inner.revoke(grant)
    }
    fn grants_on(&mut self, uid: &str) -> Result<Vec<Grant>, StoreError> {
        self.inner.grants_on(uid)
    }
    fn grants_to(&mut self, user: &str) -> Result<Vec<Grant>, StoreError> {
        self.inner.grants_to(user)
    }
    fn owned_by(&mut self, user: &str) -> Result<Vec<String>, StoreError> {
        self.inner.owned_by(user)
    }
    fn audit(&mut self, row: &AuditRow) -> Result<(), StoreError> {
        self.inner.audit(row)
    }
    fn audit_list(&mut self, filter: &AuditFilter) -> Result<Vec<AuditRow>, StoreError> {
        self.inner.audit_list(filter)
    }
    fn audit_oldest(
        &mut self,
        after: i64,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<(i64, AuditRow)>, StoreError> {
        self.inner.audit_oldest(after, before, limit)
    }
}

impl StoreTx for CheckedTx<'_, '_> {
    fn insert(&mut self, obj: &StoredObject) -> Result<(), StoreError> {
        if let Err(e) = check(self.inner, self.user, None, Right::Create) {
            return Err(self.refuse(e));
        }
        if self.scope.object.borrow().is_none() {
            self.scope.object.replace(Some(obj.uid.clone()));
        }
        self.inner.insert(obj)
    }

    fn get(&mut self, uid: &str) -> Result<Option<StoredObject>, StoreError> {
        let Some(obj) = self.inner.get(uid)? else {
            return Ok(None);
        };
        if self.scope.object.borrow().is_none() {
            self.scope.object.replace(Some(uid.to_string()));
        }
        if self.scope.located.borrow().contains(uid) {
            // On the async worker the Locate's statement ran on the group's read-only
            // connection, a moment before this read of the cache: the object is read as it is
            // now, so whether the caller still sees it is decided now too. If not (a grant
            // revoked meanwhile), the run goes to the blocking pool, where both reads are one.
            if ekms_store::ticket::on_worker() && !visible(self.inner, self.user, &obj)? {
                return Err(ekms_store::ticket::refuse());
            }
            return Ok(Some(obj));
        }
        let right = match self.scope.right.get() {
            Some(r) if !r.is_group() => r,
            // Operations that create read objects they just inserted (owned), or none.
            Some(_) => Right::Get,
            None => return Err(self.refuse(denied(self.user, Right::Get, uid))),
        };
        if let Err(e) = check(self.inner, self.user, Some(&obj), right) {
            // A refused object is not disclosed beyond the refusal.
            return Err(self.refuse(e));
        }
        Ok(Some(obj))
    }

    fn update(&mut self, obj: &StoredObject) -> Result<(), StoreError> {
        // Updates follow a checked read of the same object in this transaction.
        self.inner.update(obj)
    }

    fn attach_parsed(&mut self, uid: &str, attributes: &[u8], parsed: ekms_store::Parsed) {
        // A parsed form of what a checked read returned: no access decision here.
        self.inner.attach_parsed(uid, attributes, parsed);
    }

    fn locate(&mut self, query: &LocateQuery) -> Result<Vec<String>, StoreError> {
        let mut q = query.clone();
        q.visible_to = Some(self.user.to_string());
        let found = self.inner.locate(&q)?;
        self.scope
            .located
            .borrow_mut()
            .extend(found.iter().cloned());
        Ok(found)
    }

    fn savepoint(
        &mut self,
        body: &mut dyn FnMut(&mut dyn StoreTx) -> End,
    ) -> Result<(), StoreError> {
        // The savepoint's body is checked like the rest, and a refusal in it stands for the
        // whole transaction.
        let (user, scope) = (self.user, self.scope);
        let mut refusal = None;
        let res = self.inner.savepoint(&mut |inner| {
            let mut checked = CheckedTx {
                inner,
                user,
                scope,
                refusal: None,
            };
            let end = body(&mut checked);
            refusal = checked.refusal.take();
            if refusal.is_some() {
                End::RollBack
            } else {
                end
            }
        });
        if let Some(e) = refusal {
            self.refusal = Some(e);
        }
        res
    }
}

#[cfg(test)]
mod tests;
