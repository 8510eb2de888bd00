//! What the database holds, for the server's capacity limits (`--max-groups`,
//! `--max-data-bytes`): the groups counted, and the bytes of their sealed rows (group
//! records, objects, audit rows), the counterpart of the SQLCipher files' sizes. Every node
//! measures the same database, so the limits bound the deployment, not one node.

use super::PgPool;
use crate::StoreError;

/// The groups in the database and the bytes of their sealed rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub groups: u64,
    pub sealed_bytes: u64,
}

impl PgPool {
    /// Measures the database: one query, which reads every sealed row's length (a scan of the
    /// tables, so callers space their calls out).
    pub fn usage(&self) -> Result<Usage, StoreError> {
        let (_, row) = self.with_first(|c| {
            Ok(c.query_one(
                "SELECT (SELECT count(*) FROM ekms_groups),
                        (SELECT coalesce(sum(octet_length(record)), 0) FROM ekms_groups)
                      + (SELECT coalesce(sum(octet_length(sealed)), 0) FROM ekms_objects)
                      + (SELECT coalesce(sum(octet_length(sealed)), 0) FROM ekms_audit)",
                &[],
            )?)
        })?;
        let count = |i: usize| u64::try_from(row.get::<_, i64>(i)).unwrap_or(0);
        Ok(Usage {
            groups: count(0),
            sealed_bytes: count(1),
        })
    }
}
