//! Each group's key slots, in `ekms_key_slots`: the bytes the server checks a group secret
//! against (its data key wrapped under each valid secret; see the server's `keyslots`), kept
//! in the database so that every node reads the same ones and none keeps state of its own.
//!
//! The store does not interpret them: nothing in them opens without a group secret. Every
//! change is a compare-and-set on the bytes the caller last read, so two nodes changing one
//! group's slots at once cannot both win: the loser is told and reads them again.

use super::{PgPool, PgStore};
use crate::StoreError;

impl PgPool {
    /// Creates the group `group_id` under `data_key`, as [`PgPool::create_group`], with its
    /// key slots, in one transaction. [`StoreError::Conflict`] if it exists.
    pub fn create_group_with_slots(
        &self,
        group_id: &str,
        data_key: &[u8; 32],
        key_slots: &[u8],
    ) -> Result<PgStore, StoreError> {
        self.create_group_with(group_id, data_key, Some(key_slots))
    }

    /// The key slots of `group_id`; `None` if there is no such group ([`PgPool::entry`]).
    pub fn key_slots(&self, group_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.entry(group_id)?.slots)
    }

    /// Replaces the key slots of `group_id` with `new` if they are still `expected`; whether
    /// they were (false: another node changed them, or deleted the group, meanwhile).
    pub fn replace_key_slots(
        &self,
        group_id: &str,
        expected: &[u8],
        new: &[u8],
    ) -> Result<bool, StoreError> {
        let n = self.get()?.execute(
            "UPDATE ekms_key_slots SET slots = $3 WHERE group_id = $1 AND slots = $2",
            &[&group_id, &expected, &new],
        )?;
        Ok(n == 1)
    }

    /// Deletes the group `group_id` (its objects, names, audit rows and key slots with it) if
    /// its key slots are still `expected`; whether it was deleted.
    pub fn delete_group(&self, group_id: &str, expected: &[u8]) -> Result<bool, StoreError> {
        let n = self.get()?.execute(
            "DELETE FROM ekms_groups WHERE group_id = $1 AND EXISTS (
                 SELECT 1 FROM ekms_key_slots WHERE group_id = $1 AND slots = $2)",
            &[&group_id, &expected],
        )?;
        Ok(n == 1)
    }
}
