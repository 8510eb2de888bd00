//! The objects a group store opened, kept by unique identifier with their row version, so that
//! a request whose group record lists the same row version reads no row from the database.
//!
//! An entry is the content of the row `(uid, row version)`, which never changes: a write gives
//! the row the group's next version, so a cached entry is used only while the group record in
//! hand lists its very row version, and is never wrong, only unused, after a change made by
//! any node. Only rows opened and checked against a record read from the database, or
//! committed by this store, enter. Bounded in bytes; the oldest entry goes first; key material
//! is wiped when an entry goes (`StoredObject::material` is `Zeroizing`).

use crate::{Derived, StoredObject};
use std::collections::{HashMap, VecDeque};

/// Bytes of cached objects one group may hold (as the embedded engine's read cache).
pub(super) const CAPACITY_BYTES: usize = crate::sqlcipher::cache::DEFAULT_CAPACITY_BYTES;

/// What an entry counts besides its variable-sized fields (a prepared key attached included).
const OVERHEAD: usize = 1024;

/// See the module documentation.
#[derive(Default)]
pub(super) struct ObjectCache {
    entries: HashMap<String, (u64, StoredObject)>,
    /// Insertion order, for eviction; a uid cached again later stands here twice, and its
    /// older place is passed over.
    order: VecDeque<(String, u64)>,
    bytes: usize,
}

fn size(o: &StoredObject) -> usize {
    OVERHEAD + o.heap_len()
}

impl ObjectCache {
    /// The object `uid` at row version `rv`, if cached.
    pub(super) fn get(&self, uid: &str, rv: u64) -> Option<StoredObject> {
        match self.entries.get(uid) {
            Some((at, o)) if *at == rv => Some(o.clone()),
            _ => None,
        }
    }

    /// Keeps `obj` as the content of its row at version `rv` (replacing any older version).
    pub(super) fn put(&mut self, obj: &StoredObject, rv: u64) {
        let n = size(obj);
        // One entry may not take more than a quarter of the room.
        if n > CAPACITY_BYTES / 4 {
            return;
        }
        self.remove(&obj.uid);
        while self.bytes + n > CAPACITY_BYTES {
            let Some((uid, at)) = self.order.pop_front() else {
                break;
            };
            if self.entries.get(&uid).is_some_and(|(v, _)| *v == at) {
                self.remove(&uid);
            }
        }
        let mut obj = obj.clone();
        obj.derived = Derived::default();
        self.order.push_back((obj.uid.clone(), rv));
        self.entries.insert(obj.uid.clone(), (rv, obj));
        self.bytes += n;
        if self.order.len() > 2 * self.entries.len() + 64 {
            // Places passed over pile up when the same objects are cached again and again.
            let entries = &self.entries;
            self.order
                .retain(|(uid, at)| entries.get(uid).is_some_and(|(v, _)| v == at));
        }
    }

    fn remove(&mut self, uid: &str) {
        if let Some((_, o)) = self.entries.remove(uid) {
            self.bytes -= size(&o);
        }
    }

    /// Attaches `derived` to the entry of `uid` if it holds `material`.
    pub(super) fn attach(&mut self, uid: &str, material: &[u8], derived: Derived) {
        if let Some((_, o)) = self.entries.get_mut(uid)
            && o.material
                .as_ref()
                .is_some_and(|m| m.as_slice() == material)
        {
            o.derived = derived;
        }
    }
}
