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
/// fresh UUID v7. Time-ordered identifiers land at the end of every index keyed by them (the
/// objects' and the audit names'), on the pages the last writes touched, where random ones
/// (v4) each dirtied, and on a large group first read and decrypted, a page of their own. The
/// time they carry (to the millisecond) is no secret beside the object's Initial Date; their
/// 74 random bits keep them unique, and nothing in ekms treats an identifier as a capability.
pub fn new_uid(attributes: &ekms_kmip::Attributes) -> String {
    chosen_uid(attributes).map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned)
}

/// The identifier the client chose for a new object in `attributes`, if any: the one
/// [`new_uid`] then uses, which may be taken.
pub fn chosen_uid(attributes: &ekms_kmip::Attributes) -> Option<&str> {
    attributes
        .unique_identifier
        .as_deref()
        .filter(|u| !u.is_empty())
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

#[cfg(test)]
mod tests {
    #[test]
    fn new_identifiers_are_unique_and_in_creation_order() {
        let none = ekms_kmip::Attributes::default();
        let uids: Vec<String> = (0..10_000).map(|_| super::new_uid(&none)).collect();
        assert!(
            uids.windows(2).all(|w| w[0] < w[1]),
            "each identifier sorts after the one made before it"
        );
        let parsed = uuid::Uuid::parse_str(&uids[0]).unwrap();
        assert_eq!(parsed.get_version_num(), 7);
    }
}
