//! The objects a group store opened, kept by unique identifier with their row version, so that
//! a request whose group record lists the same row version reads no row from the database.
//!
//! An entry is the content of the row `(uid, row version)`, which never changes: a write gives
//! the row the group's next version, so a cached entry is used only while the group record in
//! hand lists its very row version, and is never wrong, only unused, after a change made by
//! any node. Only rows opened and checked against a record read from the database, or
//! committed by this store, enter. Bounded in bytes; the oldest entry goes first; key material
//! is wiped when an entry goes (`StoredObject::material` is `Zeroizing`).
//!
//! Also here: [`UidIndex`], the uids of a group's rows by the blind index a Locate's rows name
//! them by.

use crate::{Derived, Parsed, StoredObject};
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

/// What an entry counts: [`OVERHEAD`], its fields, and the parsed attributes attached to it.
fn size(o: &StoredObject) -> usize {
    unattached_size(o) + o.parsed_len()
}

fn unattached_size(o: &StoredObject) -> usize {
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
        // Cached with nothing attached.
        let n = unattached_size(obj);
        // One entry may not take more than a quarter of the room.
        if n > CAPACITY_BYTES / 4 {
            return;
        }
        self.remove(&obj.uid);
        self.make_room(n);
        let mut obj = obj.clone();
        obj.derived = Derived::default();
        obj.parsed = Parsed::Missing;
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

    /// Evicts the oldest entries until `n` more bytes fit.
    fn make_room(&mut self, n: usize) {
        while self.bytes + n > CAPACITY_BYTES {
            let Some((uid, at)) = self.order.pop_front() else {
                break;
            };
            if self.entries.get(&uid).is_some_and(|(v, _)| *v == at) {
                self.remove(&uid);
            }
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

    /// Attaches `parsed` to the entry of `uid` as [`StoredObject::attach_parsed`] allows,
    /// counting it from then on (the oldest entries evicted if that passes the bound).
    pub(super) fn attach_parsed(&mut self, uid: &str, attributes: &[u8], parsed: Parsed) {
        let Some((_, o)) = self.entries.get_mut(uid) else {
            return;
        };
        let added = o.attach_parsed(attributes, parsed);
        if added > 0 {
            self.bytes += added;
            self.make_room(0);
        }
    }
}

/// The uid of each object row a group record listed, by the row's blind index of the uid
/// (`uid_bi`): a Locate's rows name their object only that way, and computing the blind index
/// of every uid of the group on every Locate (one HMAC each) was most of its cost.
///
/// Filled from the records a store's transactions hold: after a record at version `v` is
/// taken in, every uid it listed at a row version up to `v` is here, so the next record adds
/// only the rows written since. An entry is only a hint: a Locate takes the uid it gives
/// from the record in hand, so an entry of an object since gone changes nothing; one
/// missing (a record older than one taken in) makes the index be rebuilt from the record.
#[derive(Default)]
pub(super) struct UidIndex {
    by_blind: HashMap<Vec<u8>, String>,
    /// The version of the newest record taken in; `None` before the first.
    synced: Option<u64>,
}

impl UidIndex {
    /// Takes in the rows of `record` (uid → row version, at group version `version`) not
    /// taken in yet, `blind` giving a uid's blind index.
    pub(super) fn sync<'r>(
        &mut self,
        version: u64,
        rows: impl Iterator<Item = (&'r String, &'r u64)> + Clone,
        blind: impl Fn(&str) -> Vec<u8>,
    ) {
        if self.synced.is_some_and(|s| s > version) {
            // A record older than one taken in adds nothing the index may rely on.
            return;
        }
        let listed = rows.clone().count();
        if self.by_blind.len() > 2 * listed + 64 {
            // Entries of objects gone pile up: start again.
            self.by_blind.clear();
            self.synced = None;
        }
        for (uid, _) in rows.filter(|(_, rv)| self.synced.is_none_or(|s| **rv > s)) {
            self.by_blind.insert(blind(uid), uid.clone());
        }
        self.synced = Some(self.synced.map_or(version, |s| s.max(version)));
    }

    /// The uid whose blind index is `uid_bi`, if taken in.
    pub(super) fn uid(&self, uid_bi: &[u8]) -> Option<&str> {
        self.by_blind.get(uid_bi).map(String::as_str)
    }

    /// Forgets everything: the next [`UidIndex::sync`] takes in every row.
    pub(super) fn clear(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use std::cell::Cell;
    use std::collections::BTreeMap;

    fn rows(listed: &[(&str, u64)]) -> BTreeMap<String, u64> {
        listed.iter().map(|(u, v)| (u.to_string(), *v)).collect()
    }

    #[test]
    fn parsed_attributes_follow_their_entry_and_are_counted() {
        let mut c = ObjectCache::default();
        let mut o = crate::conformance::object("k", "name");
        o.parsed = Parsed::Uncached;
        c.put(&o, 3);
        let before = c.bytes;
        let value: std::sync::Arc<dyn std::any::Any + Send + Sync> = std::sync::Arc::new(5u32);
        let kept = |c: &ObjectCache| match c.get("k", 3).unwrap().parsed {
            Parsed::Kept(p) => p.downcast_ref::<u32>().copied(),
            Parsed::Missing => None,
            Parsed::Uncached => panic!("a cached copy says it came from the cache"),
        };
        assert_eq!(kept(&c), None);
        // Other attributes (another version of the row): not attached.
        c.attach_parsed("k", b"{\"other\":1}", Parsed::Kept(value.clone()));
        assert_eq!((kept(&c), c.bytes), (None, before));
        c.attach_parsed("k", &o.attributes, Parsed::Kept(value));
        assert_eq!(kept(&c), Some(5));
        assert_eq!(
            c.bytes,
            before + crate::object::PARSED_ALLOWANCE + o.attributes.len()
        );
        // A newer version of the row replaces the entry, and what was attached goes with it;
        // the bytes counted follow.
        c.put(&o, 4);
        assert_eq!(c.bytes, before);
        assert!(matches!(c.get("k", 4).unwrap().parsed, Parsed::Missing));
        // Only a parsed form is attached.
        c.attach_parsed("k", &o.attributes, Parsed::Missing);
        assert_eq!(c.bytes, before);
    }

    #[test]
    fn attaching_parsed_attributes_keeps_the_bound() {
        let mut c = ObjectCache::default();
        let value: std::sync::Arc<dyn std::any::Any + Send + Sync> = std::sync::Arc::new(5u32);
        let uids: Vec<String> = (0..CAPACITY_BYTES / 1024)
            .map(|i| format!("k{i}"))
            .collect();
        for uid in &uids {
            c.put(&crate::conformance::object(uid, "name"), 1);
        }
        assert!(c.bytes <= CAPACITY_BYTES);
        for uid in &uids {
            c.attach_parsed(uid, b"{}", Parsed::Kept(value.clone()));
            assert!(c.bytes <= CAPACITY_BYTES, "{} bytes counted", c.bytes);
        }
        let kept = uids
            .iter()
            .filter(|u| matches!(c.get(u, 1).map(|o| o.parsed), Some(Parsed::Kept(_))))
            .count();
        assert!(kept > 0);
        let counted: usize = c.entries.values().map(|(_, o)| size(o)).sum();
        assert_eq!(c.bytes, counted);
    }

    /// A record already taken in costs no blind index; a newer one only those of the rows
    /// written since; an older one changes nothing; a rebuild takes in every row.
    #[test]
    fn the_uid_index_computes_only_the_rows_written_since() {
        let computed = Cell::new(0);
        let blind = |uid: &str| {
            computed.set(computed.get() + 1);
            format!("bi-{uid}").into_bytes()
        };
        let mut index = UidIndex::default();
        let v3 = rows(&[("a", 1), ("b", 2), ("c", 3)]);
        index.sync(3, v3.iter(), blind);
        assert_eq!(computed.replace(0), 3);
        assert_eq!(index.uid(b"bi-b"), Some("b"));
        index.sync(3, v3.iter(), blind);
        assert_eq!(computed.replace(0), 0, "the same record again");
        let v5 = rows(&[("a", 1), ("b", 4), ("c", 3), ("d", 5)]);
        index.sync(5, v5.iter(), blind);
        assert_eq!(computed.replace(0), 2, "b rewritten and d created");
        assert_eq!(index.uid(b"bi-d"), Some("d"));
        index.sync(4, rows(&[("e", 4)]).iter(), blind);
        assert_eq!(computed.replace(0), 0, "an older record");
        assert_eq!(index.uid(b"bi-e"), None);
        index.clear();
        index.sync(5, v5.iter(), blind);
        assert_eq!(computed.replace(0), 4);
    }
}
