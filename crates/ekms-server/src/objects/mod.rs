//! Managed objects and their key material, as the KMIP operations (and the stream routes)
//! share them: [`object`] (the stored object, its stored form and the KMIP lifecycle),
//! [`attrs`] (attributes in the client's KMIP version), [`keys`] (Key Blocks), [`asym`]
//! (asymmetric keys), [`key_use`] (what the cryptographic operations ask of their key, and their
//! shared answers), [`formats`] (key format conversions), [`wrap`] (key wrapping for Get
//! and Export), [`cipher`] (cipher choice and the usability checks of Encrypt and Decrypt),
//! [`stream_key`] (the KMS key behind the stream routes), and the few helpers every creating
//! operation uses ([`new_uid`], [`insert_new`], [`now`]). Nothing here parses a request
//! payload or dispatches: that is [`crate::operations`].

pub mod asym;
pub mod attrs;
pub mod cipher;
pub mod formats;
pub mod key_use;
pub mod keys;
pub mod object;
pub mod stream_key;
pub mod wrap;

use crate::error::KmipError;
use ekms_kmip::enums::ResultReason;
use ekms_store::StoreTx;

/// The Unique Identifier for a new object: the one the client's attributes propose, else a
/// fresh UUID v4.
pub fn new_uid(attributes: &ekms_kmip::Attributes) -> String {
    attributes
        .unique_identifier
        .clone()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// Inserts a new object, or ObjectAlreadyExists if its uid is taken.
pub fn insert_new(tx: &mut dyn StoreTx, object: &object::ManagedObject) -> Result<(), KmipError> {
    if tx.get(&object.uid)?.is_some() {
        return Err(KmipError::new(
            ResultReason::ObjectAlreadyExists,
            format!("an object {} exists already", object.uid),
        ));
    }
    object.insert(tx)
}

/// The current time in unix seconds.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
