//! Access rights inside a group, decided in one place: [`check`].
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
use ekms_kmip::enums::{Operation, ResultReason};
use ekms_store::{
    AccessTx, AuditFilter, AuditRow, Grant, LocateQuery, StoreError, StoreTx, StoredObject,
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

/// The right a KMIP operation needs on the objects it reads; `None` for operations that read
/// no object (Query, DiscoverVersions, Hash, RNGRetrieve). Operations that create objects
/// need `create` on each insert besides.
pub fn right_for(op: Operation) -> Option<Right> {
    Some(match op {
        Operation::Get | Operation::DeriveKey => Right::Get,
        Operation::Export => Right::Export,
        Operation::Encrypt => Right::Encrypt,
        Operation::Decrypt => Right::Decrypt,
        Operation::Sign => Right::Sign,
        Operation::SignatureVerify => Right::Verify,
        Operation::Mac => Right::Mac,
        Operation::MacVerify => Right::MacVerify,
        Operation::ReKey => Right::Rekey,
        Operation::Activate => Right::Activate,
        Operation::Revoke => Right::Revoke,
        Operation::Destroy => Right::Destroy,
        Operation::GetAttributes | Operation::GetAttributeList | Operation::Check => {
            Right::GetAttributes
        }
        Operation::AddAttribute
        | Operation::SetAttribute
        | Operation::ModifyAttribute
        | Operation::DeleteAttribute => Right::SetAttributes,
        Operation::Create
        | Operation::CreateKeyPair
        | Operation::Register
        | Operation::Import
        | Operation::Locate => Right::Create,
        _ => return None,
    })
}

/// The group's administrator, if one is recorded.
pub fn administrator(tx: &mut dyn AccessTx) -> Result<Option<String>, KmipError> {
    Ok(tx.meta("admin")?)
}

/// Whether `user` administers the group (or the group has no recorded administrator).
pub fn is_admin(tx: &mut dyn AccessTx, user: &str) -> Result<bool, KmipError> {
    Ok(administrator(tx)?.is_none_or(|a| a == user))
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

/// May `user` grant or revoke rights on `uid` (`*`: the group rights)? The owner of an object,
/// the administrator for `*`. Returns the object's owner (the administrator for `*`).
pub fn may_grant(tx: &mut dyn StoreTx, user: &str, uid: &str) -> Result<(), KmipError> {
    if uid == "*" {
        if is_admin(tx, user)? {
            return Ok(());
        }
    } else {
        match tx.get(uid)? {
            None => return Err(KmipError::not_found(uid)),
            Some(o) if o.owner == user => return Ok(()),
            Some(_) => {}
        }
    }
    Err(KmipError::new(
        ResultReason::PermissionDenied,
        format!("only the owner of {uid} may grant or revoke rights on it"),
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
}

#[cfg(test)]
mod tests;
