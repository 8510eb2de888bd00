//! The plaintext of a sealed audit row: how a row is encoded before [`super::seal`] seals it,
//! and read back from the form of this release or of earlier ones.

use super::seal::GroupKeys;
use crate::{AuditRow, StoreError};

/// Opens and reads one sealed audit row of the group.
pub(super) fn open(keys: &GroupKeys, sealed: &[u8]) -> Result<AuditRow, StoreError> {
    let plain = keys
        .open("audit", b"", 0, sealed)
        .ok_or_else(|| StoreError::Tampered("an audit row does not open".into()))?;
    decode(&plain).ok_or_else(|| StoreError::Tampered("an audit row does not read".into()))
}

/// The plaintext of a sealed audit row: a JSON array `[time, user, operation, object, result,
/// request_id]`, without the field names the rows of earlier releases carry (a JSON object),
/// which [`decode`] still reads.
pub(super) fn encode(row: &AuditRow) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(&(
        row.time,
        &row.user,
        &row.operation,
        &row.object,
        &row.result,
        &row.request_id,
    ))
    .map_err(|e| StoreError::Commit(format!("encoding an audit row: {e}")))
}

/// An audit row from its plaintext, in either form; `None` if it is neither.
pub(super) fn decode(plain: &[u8]) -> Option<AuditRow> {
    type Compact = (i64, String, String, Option<String>, String, Option<String>);
    if plain.first() == Some(&b'{') {
        return serde_json::from_slice(plain).ok();
    }
    let (time, user, operation, object, result, request_id): Compact =
        serde_json::from_slice(plain).ok()?;
    Some(AuditRow {
        time,
        user,
        operation,
        object,
        result,
        request_id,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn rows_of_either_form_decode_and_the_compact_one_is_smaller() {
        let row = AuditRow {
            time: 1_800_000_000,
            user: "alice".into(),
            operation: "Encrypt".into(),
            object: Some("6cd7fa9d-aaf2-4672-a82b-dd801a724f60".into()),
            result: "ok".into(),
            request_id: Some("00112233aabbccdd".into()),
        };
        let legacy = serde_json::to_vec(&row).unwrap();
        let compact = encode(&row).unwrap();
        assert_eq!(decode(&legacy), Some(row.clone()));
        assert_eq!(decode(&compact), Some(row.clone()));
        assert!(compact.len() + 50 < legacy.len(), "{}", compact.len());
        let none = AuditRow {
            object: None,
            request_id: None,
            ..row
        };
        assert_eq!(decode(&encode(&none).unwrap()), Some(none));
        assert_eq!(decode(b"[1, 2]"), None);
    }
}
