//! KMIP operations: one file per operation, each `parse` (payload TTLV to a request) and
//! `apply` (request and context to a response payload), and one dispatcher.
//!
//! Every operation runs inside one store transaction, so it is atomic and durable.

mod activate;
mod cipher;
mod create;
mod decrypt;
mod destroy;
mod encrypt;
mod get;
mod get_attributes;
mod locate;
pub mod object;
mod revoke;

use crate::error::KmipError;
use ekms_kmip::enums::{Operation, ResultReason};
use ekms_kmip::{Tag, Ttlv};
use ekms_store::{ObjectStore, StoreError, StoreTx};

/// Who asks, and where their group's objects are.
pub struct Context<'a> {
    pub store: &'a dyn ObjectStore,
    pub user: &'a str,
}

impl Context<'_> {
    /// Runs `f` in one transaction; a [`KmipError`] from `f` rolls it back and is returned.
    pub fn transact<R>(
        &self,
        mut f: impl FnMut(&mut dyn StoreTx) -> Result<R, KmipError>,
    ) -> Result<R, KmipError> {
        let mut out = None;
        let mut failure = None;
        let res = self.store.transact(&mut |tx| match f(tx) {
            Ok(r) => {
                out = Some(r);
                Ok(())
            }
            Err(e) => {
                failure = Some(e);
                Err(StoreError::Aborted(String::new()))
            }
        });
        if let Some(e) = failure {
            return Err(e);
        }
        res?;
        out.ok_or_else(|| KmipError::internal("transaction produced no result"))
    }
}

/// Runs one operation on its request payload and returns the response payload.
pub fn dispatch(ctx: &Context<'_>, op: Operation, payload: &Ttlv) -> Result<Ttlv, KmipError> {
    match op {
        Operation::Create => create::apply(ctx, create::parse(payload)?),
        Operation::Get => get::apply(ctx, get::parse(payload)?),
        Operation::GetAttributes => get_attributes::apply(ctx, get_attributes::parse(payload)?),
        Operation::Locate => locate::apply(ctx, locate::parse(payload)?),
        Operation::Activate => activate::apply(ctx, activate::parse(payload)?),
        Operation::Revoke => revoke::apply(ctx, revoke::parse(payload)?),
        Operation::Destroy => destroy::apply(ctx, destroy::parse(payload)?),
        Operation::Encrypt => encrypt::apply(ctx, encrypt::parse(payload)?),
        Operation::Decrypt => decrypt::apply(ctx, decrypt::parse(payload)?),
        other => Err(KmipError::new(
            ResultReason::OperationNotSupported,
            format!("operation {} is not supported", other.name()),
        )),
    }
}

/// Builds a response payload structure.
pub fn response(items: Vec<Ttlv>) -> Ttlv {
    Ttlv::structure(Tag::RESPONSE_PAYLOAD, items)
}

/// The required UniqueIdentifier of a request payload.
pub fn required_uid(payload: &Ttlv) -> Result<String, KmipError> {
    payload
        .child(Tag::UNIQUE_IDENTIFIER)
        .map(|t| {
            t.as_text()
                .map(str::to_owned)
                .ok_or_else(|| KmipError::invalid("UniqueIdentifier must be a TextString"))
        })
        .unwrap_or_else(|| Err(KmipError::missing("UniqueIdentifier")))
}

/// An optional ByteString field.
pub fn optional_bytes(payload: &Ttlv, tag: Tag, name: &str) -> Result<Option<Vec<u8>>, KmipError> {
    match payload.child(tag) {
        None => Ok(None),
        Some(t) => t
            .as_bytes()
            .map(|b| Some(b.to_vec()))
            .ok_or_else(|| KmipError::invalid(format!("{name} must be a ByteString"))),
    }
}

/// The current time in unix seconds.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
