//! Groups kept in the PostgreSQL database of `--database`, shared by several nodes: the
//! registry and the key slots are rows of the database (`ekms_key_slots`, next to the group's
//! sealed rows), so a node keeps nothing but caches, and any node serves any group.
//!
//! Every request reads its group's slots and version from the database (one query, whether
//! the group exists or not) and checks the secret against them with the same work as for the files
//! ([`super::check`]: one KEK derivation, [`MAX_SLOTS`] slot openings, dummy ones for an
//! unknown group), so a rotation or a deletion on another node holds here from the next
//! request on. The data key never changes: rotating the secret re-wraps it only (the rows stay
//! sealed under keys derived from it), so a cached [`PgStore`] stays valid across rotations,
//! and a cached one of a deleted group is never reached (its slots are gone). Every change of
//! the slots is a compare-and-set on the bytes read ([`PgPool::replace_key_slots`]): of two
//! nodes changing one group's secret at once, one wins and the other answers
//! [`GroupError::Conflict`].

use super::{
    Confirmation, GroupError, GroupToken, Record, Slot, Verified, WRONG_KEY, check, refused,
    store_error,
};
use crate::keyslots::{self, Key};
use ekms_store::postgres::PgRequest;
use ekms_store::{ObjectStore, PgPool, PgStore, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;
use zeroize::Zeroizing;

/// How many times a request that lost a race on its group's slots reads them again.
const SLOT_RACES: usize = 3;

/// A group's key slots as stored (the bytes a change must start from) and as read.
type Stored = (Vec<u8>, Arc<Record>);

/// The groups of one PostgreSQL database.
pub struct SharedGroups {
    pool: PgPool,
    /// Slots no secret opens: the work done for an unknown group (see [`super::check`]).
    dummy: Record,
    /// `dummy` as stored, for `dummy_id`: read for an unknown group as a known group's slots
    /// are.
    dummy_json: Vec<u8>,
    dummy_id: Uuid,
    /// Open group stores (each keeps its group record's cache), by group; dropped when idle.
    cache: Mutex<HashMap<Uuid, (Arc<PgStore>, Instant)>>,
    idle: Duration,
}

/// A store failure while entering a group: the database unreachable is worth a retry (503),
/// anything else is the server's failure (logged).
fn entering(id: &Uuid, what: &str, e: StoreError) -> GroupError {
    match e {
        StoreError::Unavailable(why) => {
            tracing::warn!(group = %id, "cannot {what}: the store is unavailable: {why}");
            GroupError::Unavailable
        }
        StoreError::NotFound => refused("a deleted group", Some(id)),
        e => store_error(id, what, e),
    }
}

impl SharedGroups {
    pub fn new(pool: PgPool, idle: Duration) -> anyhow::Result<Self> {
        let dummy = Record::dummy()?;
        let dummy_id = Uuid::new_v4();
        Ok(Self {
            pool,
            dummy_json: dummy.to_json(&dummy_id),
            dummy_id,
            dummy,
            cache: Mutex::new(HashMap::new()),
            idle,
        })
    }

    /// Whether the database answers now.
    pub fn ping(&self) -> Result<(), ekms_store::StoreError> {
        self.pool.ping()
    }

    /// The group's slots as stored (the bytes a change must start from) and as read, and
    /// the group's version, read by the same query.
    fn slots(&self, id: &Uuid) -> Result<(Option<Stored>, Option<u64>), GroupError> {
        let entry = self
            .pool
            .entry(&id.to_string())
            .map_err(|e| entering(id, "read the key slots", e))?;
        let Some(raw) = entry.slots else {
            // An unknown group reads slots of the same shape, as a known one does.
            let _ = Record::from_json(&self.dummy_json, &self.dummy_id);
            return Ok((None, None));
        };
        let record =
            Record::from_json(&raw, id).map_err(|e| store_error(id, "read the key slots", e))?;
        Ok((Some((raw, Arc::new(record))), entry.version))
    }

    /// The token checked against its group's slots, with the stored slots and the group's
    /// version; the one refusal for an unknown group or a wrong secret.
    fn verify(&self, token: &GroupToken) -> Result<(Verified, Vec<u8>, Option<u64>), GroupError> {
        let id = &token.group_id;
        let (stored, version) = self.slots(id)?;
        let (raw, record) = stored.unzip();
        let known = record.is_some();
        match (check(token, record, &self.dummy), raw) {
            (Some(v), Some(raw)) => Ok((v, raw, version)),
            _ if known => Err(refused(WRONG_KEY, Some(id))),
            _ => Err(refused("an unknown group", Some(id))),
        }
    }

    fn write_slots(
        &self,
        id: &Uuid,
        expected: &[u8],
        slots: Vec<Slot>,
    ) -> Result<bool, GroupError> {
        self.pool
            .replace_key_slots(&id.to_string(), expected, &Record { slots }.to_json(id))
            .map_err(|e| entering(id, "write the key slots", e))
    }

    fn wrap(id: &Uuid, kek: &Key, index: usize, data_key: &Key) -> Result<Slot, GroupError> {
        Slot::wrap(kek, id, index, data_key, None)
            .map_err(|e| store_error(id, "wrap the data key", e))
    }

    /// The group's store, from the cache or opened with `data_key`.
    fn store(&self, id: &Uuid, data_key: &Key) -> Result<Arc<PgStore>, GroupError> {
        if let Some((store, used)) = self.lock().get_mut(id) {
            *used = Instant::now();
            crate::metrics::get().group_cache(true);
            return Ok(store.clone());
        }
        crate::metrics::get().group_cache(false);
        let store = Arc::new(
            self.pool
                .open_group(&id.to_string(), data_key)
                .map_err(|e| entering(id, "open the group", e))?,
        );
        self.lock()
            .entry(*id)
            .or_insert_with(|| (store.clone(), Instant::now()));
        Ok(store)
    }

    /// Creates a group: its rows and its slots in one transaction.
    pub fn register(&self) -> Result<GroupToken, GroupError> {
        let token = GroupToken::generate()?;
        let id = token.group_id;
        let data_key: Key = Zeroizing::new(
            ekms_crypto::rand::array().map_err(|e| store_error(&id, "draw the data key", e))?,
        );
        let slot = Self::wrap(&id, &keyslots::kek(&token.key.0, &id), 0, &data_key)?;
        let slots = Record { slots: vec![slot] }.to_json(&id);
        let store = self
            .pool
            .create_group_with_slots(&id.to_string(), &data_key, &slots)
            .map_err(|e| entering(&id, "create the group", e))?;
        self.lock().insert(id, (Arc::new(store), Instant::now()));
        Ok(token)
    }

    /// The store of the token's group, as this request sees it: the group version read with
    /// the slots lets the store's caches serve the request when the group has not changed
    /// since they were filled ([`PgRequest`]). The secret of a pending rotation confirms it
    /// here: its slot becomes the only one (the data key re-wrapped as slot 0).
    pub fn open(&self, token: &GroupToken) -> Result<Arc<PgRequest>, GroupError> {
        let id = token.group_id;
        for _ in 0..SLOT_RACES {
            let (v, raw, version) = self.verify(token)?;
            if v.index == 1 {
                let slot = Self::wrap(&id, &v.kek, 0, &v.data_key)?;
                if !self.write_slots(&id, &raw, vec![slot])? {
                    // Changed by another request or node meanwhile: check again.
                    continue;
                }
                tracing::info!(group = %id, "group secret rotation confirmed: the previous secret is refused");
            }
            return Ok(Arc::new(self.store(&id, &v.data_key)?.request(version)));
        }
        Err(GroupError::Conflict)
    }

    /// Starts a rotation: the data key wrapped under a fresh secret as slot 1, next to the
    /// token's slot 0 (a pending secret of an earlier rotation is replaced).
    pub fn rotate(&self, token: &GroupToken) -> Result<GroupToken, GroupError> {
        let id = token.group_id;
        drop(self.open(token)?);
        let (v, raw, _) = self.verify(token)?;
        if v.index != 0 {
            return Err(GroupError::Conflict);
        }
        let fresh = GroupToken {
            group_id: id,
            key: GroupToken::generate()?.key,
        };
        let slot = Self::wrap(&id, &keyslots::kek(&fresh.key.0, &id), 1, &v.data_key)?;
        let Some(current) = v.record.slots.first().cloned() else {
            return Err(store_error(&id, "rotate the secret", "no slot 0"));
        };
        if !self.write_slots(&id, &raw, vec![current, slot])? {
            return Err(GroupError::Conflict);
        }
        if v.slots > 1 {
            tracing::info!(group = %id, "the pending secret of an earlier rotation is replaced");
        }
        Ok(fresh)
    }

    /// `POST /group/rotate-secret/confirm` (see [`super::Groups::confirm`]).
    pub fn confirm(&self, token: &GroupToken) -> Result<Confirmation, GroupError> {
        drop(self.open(token)?);
        match self.verify(token) {
            Ok((v, _, _)) if v.index == 0 && v.slots == 1 => Ok(Confirmation::Confirmed),
            Ok((v, _, _)) if v.index == 0 => Ok(Confirmation::OldSecret),
            Ok(_) => Err(refused(WRONG_KEY, Some(&token.group_id))),
            Err(e) => Err(e),
        }
    }

    /// Deletes the token's group (every row of it, its slots with them), if its slots did not
    /// change meanwhile.
    pub fn delete(&self, token: &GroupToken) -> Result<(), GroupError> {
        let id = token.group_id;
        drop(self.open(token)?);
        let (_, raw, _) = self.verify(token)?;
        let deleted = self
            .pool
            .delete_group(&id.to_string(), &raw)
            .map_err(|e| entering(&id, "delete the group", e))?;
        self.lock().remove(&id);
        if deleted {
            Ok(())
        } else {
            Err(GroupError::Conflict)
        }
    }

    /// Drops the stores unused for the idle time; in the others, counts the audit rows again
    /// where a cap applies (the rows other nodes wrote) and prunes those past the group's age
    /// limit ([`super::prune_aged`]).
    pub fn sweep(&self, limits: &ekms_store::retention::Limits) {
        let open: Vec<(Uuid, Arc<PgStore>)> = self
            .lock()
            .iter()
            .map(|(id, (store, _))| (*id, store.clone()))
            .collect();
        for (id, store) in open {
            // Also gives a group registered here and not opened since the server's limits.
            super::prune_aged(&id, &*store, limits);
            if store.audit_count().is_some_and(|c| c.cap().is_some())
                && let Err(e) = store.recount_audit()
            {
                tracing::warn!(group = %id, "cannot count the group's audit rows: {e}");
            }
        }
        let now = Instant::now();
        self.lock().retain(|_, (store, used)| {
            now.duration_since(*used) < self.idle || Arc::strong_count(store) > 1
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, (Arc<PgStore>, Instant)>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }
}
