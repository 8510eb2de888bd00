//! The read cache of one open group store: objects (their key material included), the grants
//! on each object and the group metadata, as last committed.
//!
//! It lets the hot operations (Encrypt, Decrypt, Sign, MAC, Get of a known key) read no
//! database page: SQLCipher decrypts and authenticates every page it reads, which costs more
//! than the operation itself. Correctness rests on three rules kept by
//! [`crate::sqlcipher::SqlCipherStore`]:
//!
//! - every write of an object, grant or metadata entry removes the entries it touches before
//!   it runs, so an entry never outlives a change (revoke, destroy, rekey, attribute changes,
//!   grants and their revocation all go through those writes);
//! - reads fill the cache only while the open transaction holds no write, so an entry is
//!   always committed state, never a write that may still roll back;
//! - when another connection changed the file (SQLite's `data_version`), everything is
//!   dropped.
//!
//! It also keeps the answers of the Locate statements the read-only connection ran
//! ([`super::reader`]: the uids a filter selects, a few at most), so that a Locate repeated
//! on the worker reads no page either (each commit of the writing connection empties the
//! reader's page cache, and SQLCipher decrypts and authenticates every page it reads again).
//! Those are read outside the writing connection's lock, so the second rule is kept another
//! way: every write of an object or a grant drops them all and marks a write pending until
//! its batch ends; an answer is kept only if no write was pending and none began or ended
//! between the moment before its statement ran and its insertion ([`ReadCache::located_since`]).
//!
//! The cache is bounded in bytes, least recently used first out; key material is wiped from
//! memory when its entry is dropped (`StoredObject::material` is `Zeroizing`).

use crate::{Derived, Grant, Parsed, StoredObject};
use std::collections::HashMap;

/// Bytes of cached data a group may hold (objects and grants together).
pub const DEFAULT_CAPACITY_BYTES: usize = 512 * 1024;

/// Fixed cost counted per entry besides its variable-sized fields.
const ENTRY_OVERHEAD: usize = 96;

/// Room counted for what a caller may attach to an object entry (a prepared AES-GCM key is a
/// few hundred bytes).
const DERIVED_ALLOWANCE: usize = 1024;

/// Bytes of Locate answers a group may hold: past it, they are all dropped before the next.
const LOCATED_CAPACITY_BYTES: usize = 16 * 1024;

/// A byte-bounded map with least-recently-used eviction.
struct Lru<V> {
    map: HashMap<String, (V, usize, u64)>,
    bytes: usize,
}

impl<V> Lru<V> {
    fn new() -> Self {
        Self {
            map: HashMap::new(),
            bytes: 0,
        }
    }

    fn get(&mut self, key: &str, tick: u64) -> Option<&V> {
        let entry = self.map.get_mut(key)?;
        entry.2 = tick;
        Some(&entry.0)
    }

    fn insert(&mut self, key: String, value: V, size: usize, tick: u64) {
        self.map.insert(key, (value, size, tick));
        self.bytes += size;
    }

    fn remove(&mut self, key: &str) {
        if let Some((_, size, _)) = self.map.remove(key) {
            self.bytes -= size;
        }
    }

    /// Counts `extra` more bytes for the entry of `key`.
    fn grow(&mut self, key: &str, extra: usize) {
        if let Some(entry) = self.map.get_mut(key) {
            entry.1 += extra;
            self.bytes += extra;
        }
    }

    fn clear(&mut self) {
        self.map.clear();
        self.bytes = 0;
    }

    /// The key of the least recently used entry.
    fn oldest(&self) -> Option<(u64, &String)> {
        self.map.iter().map(|(k, e)| (e.2, k)).min()
    }
}

/// See the module documentation.
pub(crate) struct ReadCache {
    objects: Lru<StoredObject>,
    grants: Lru<Vec<Grant>>,
    meta: HashMap<String, Option<String>>,
    tick: u64,
    capacity: usize,
    /// Locate answers by statement and arguments (see the module documentation).
    located: HashMap<String, Vec<String>>,
    located_bytes: usize,
    /// Bumped when a write of an object or a grant begins, and when its batch ends.
    located_epoch: u64,
    /// A write of an object or a grant is in the open batch.
    writes_pending: bool,
}

fn object_size(o: &StoredObject) -> usize {
    ENTRY_OVERHEAD + DERIVED_ALLOWANCE + o.heap_len()
}

fn grants_size(uid: &str, g: &[Grant]) -> usize {
    ENTRY_OVERHEAD
        + uid.len()
        + g.iter()
            .map(|g| ENTRY_OVERHEAD + g.uid.len() + g.user.len() + g.right.len())
            .sum::<usize>()
}

impl ReadCache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            objects: Lru::new(),
            grants: Lru::new(),
            meta: HashMap::new(),
            tick: 0,
            capacity,
            located: HashMap::new(),
            located_bytes: 0,
            located_epoch: 0,
            writes_pending: false,
        }
    }

    /// The uids the Locate statement `key` selected, if kept.
    pub(crate) fn located(&self, key: &str) -> Option<Vec<String>> {
        self.located.get(key).cloned()
    }

    /// Taken before a Locate statement runs on the read-only connection, and handed to
    /// [`ReadCache::put_located`] with its answer: `None` while a write is pending (the answer
    /// is not kept).
    pub(crate) fn located_since(&self) -> Option<u64> {
        (!self.writes_pending).then_some(self.located_epoch)
    }

    /// Keeps the answer of the Locate statement `key` if no write of an object or a grant was
    /// pending, began or ended since `since` was taken.
    pub(crate) fn put_located(&mut self, key: String, uids: &[String], since: Option<u64>) {
        if self.writes_pending || since != Some(self.located_epoch) {
            return;
        }
        let size = ENTRY_OVERHEAD + key.len() + uids.iter().map(String::len).sum::<usize>();
        if size > LOCATED_CAPACITY_BYTES / 4 {
            return;
        }
        if self.located_bytes + size > LOCATED_CAPACITY_BYTES {
            self.located.clear();
            self.located_bytes = 0;
        }
        if self.located.insert(key, uids.to_vec()).is_none() {
            self.located_bytes += size;
        }
    }

    /// Before a write of an object or a grant: every Locate answer goes, and none is kept
    /// until the batch ends ([`ReadCache::batch_ended`]).
    fn write_begins(&mut self) {
        self.drop_located();
        self.writes_pending = true;
    }

    fn drop_located(&mut self) {
        self.located.clear();
        self.located_bytes = 0;
        self.located_epoch += 1;
    }

    /// The open batch committed or rolled back: its writes, if any, are no longer pending,
    /// and a statement that ran before could have read the state before them.
    pub(crate) fn batch_ended(&mut self) {
        if self.writes_pending {
            self.writes_pending = false;
            self.located_epoch += 1;
        }
    }

    fn next_tick(&mut self) -> u64 {
        self.tick += 1;
        self.tick
    }

    pub(crate) fn object(&mut self, uid: &str) -> Option<StoredObject> {
        let t = self.next_tick();
        self.objects.get(uid, t).cloned()
    }

    pub(crate) fn put_object(&mut self, obj: &StoredObject) {
        let size = object_size(obj);
        if self.fits(size) {
            self.objects.remove(&obj.uid);
            let t = self.make_room(size);
            let mut obj = obj.clone();
            obj.parsed = Parsed::Missing;
            self.objects.insert(obj.uid.clone(), obj, size, t);
        }
    }

    /// Attaches `parsed` to the entry of `uid` as [`StoredObject::attach_parsed`] allows,
    /// counting it from then on (evicting others if that passes the bound).
    pub(crate) fn attach_parsed(&mut self, uid: &str, attributes: &[u8], parsed: Parsed) {
        let Some((obj, _, _)) = self.objects.map.get_mut(uid) else {
            return;
        };
        let added = obj.attach_parsed(attributes, parsed);
        if added > 0 {
            self.objects.grow(uid, added);
            // The entry was just read: it is the newest, the last to go.
            self.make_room(0);
        }
    }

    /// Attaches `derived` to the entry of `uid` if it holds `material`.
    pub(crate) fn attach(&mut self, uid: &str, material: &[u8], derived: Derived) {
        if let Some((obj, _, _)) = self.objects.map.get_mut(uid)
            && obj
                .material
                .as_ref()
                .is_some_and(|m| m.as_slice() == material)
        {
            obj.derived = derived;
        }
    }

    pub(crate) fn forget_object(&mut self, uid: &str) {
        self.objects.remove(uid);
        self.write_begins();
    }

    pub(crate) fn grants_on(&mut self, uid: &str) -> Option<Vec<Grant>> {
        let t = self.next_tick();
        self.grants.get(uid, t).cloned()
    }

    pub(crate) fn put_grants(&mut self, uid: &str, grants: &[Grant]) {
        let size = grants_size(uid, grants);
        if self.fits(size) {
            self.grants.remove(uid);
            let t = self.make_room(size);
            self.grants
                .insert(uid.to_string(), grants.to_vec(), size, t);
        }
    }

    /// Any change of rights drops every cached grant: a grant to `*` or on `*` reaches
    /// decisions about every object.
    pub(crate) fn forget_grants(&mut self) {
        self.grants.clear();
        self.write_begins();
    }

    pub(crate) fn meta(&self, key: &str) -> Option<Option<String>> {
        self.meta.get(key).cloned()
    }

    pub(crate) fn put_meta(&mut self, key: &str, value: Option<String>) {
        // A handful of keys exist (admin, group_id, schema_version): no bound needed beyond
        // the number of distinct keys read.
        if self.meta.len() < 64 {
            self.meta.insert(key.to_string(), value);
        }
    }

    pub(crate) fn forget_meta(&mut self) {
        self.meta.clear();
    }

    /// Drops everything (key material wiped).
    pub(crate) fn clear(&mut self) {
        self.objects.clear();
        self.grants.clear();
        self.meta.clear();
        self.drop_located();
    }

    /// Bytes held now.
    pub(crate) fn bytes(&self) -> usize {
        self.objects.bytes + self.grants.bytes
    }

    /// Whether an entry of `size` bytes is cached at all: one bigger than a quarter of the
    /// capacity is not, so that one entry cannot empty the cache.
    fn fits(&self, size: usize) -> bool {
        size <= self.capacity / 4
    }

    /// Evicts least recently used entries until `size` more bytes fit; returns the use tick
    /// of the entry about to be inserted.
    fn make_room(&mut self, size: usize) -> u64 {
        while self.bytes() + size > self.capacity {
            let o = self.objects.oldest().map(|(t, k)| (t, k.clone()));
            let g = self.grants.oldest().map(|(t, k)| (t, k.clone()));
            match (o, g) {
                (Some((to, ko)), Some((tg, _))) if to <= tg => self.objects.remove(&ko),
                (_, Some((_, kg))) => self.grants.remove(&kg),
                (Some((_, ko)), None) => self.objects.remove(&ko),
                (None, None) => break,
            }
        }
        self.next_tick()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zeroize::Zeroizing;

    fn obj(uid: &str, material: usize) -> StoredObject {
        StoredObject {
            uid: uid.into(),
            object_type: 2,
            state: 2,
            algorithm: Some(3),
            owner: "alice".into(),
            names: vec!["n".into()],
            attributes: vec![0; 100],
            material: Some(Zeroizing::new(vec![7; material])),
            created_at: 1,
            derived: Derived::default(),
            parsed: Parsed::default(),
        }
    }

    #[test]
    fn bounded_in_bytes_and_least_recently_used_goes_first() {
        let one = object_size(&obj("k0", 32));
        let mut c = ReadCache::new(one * 4);
        for i in 0..4 {
            c.put_object(&obj(&format!("k{i}"), 32));
        }
        assert_eq!(c.bytes(), one * 4);
        assert!(c.object("k0").is_some()); // k1 is now the oldest
        c.put_object(&obj("k4", 32));
        assert_eq!(c.bytes(), one * 4);
        assert!(c.object("k1").is_none());
        for k in ["k0", "k2", "k3", "k4"] {
            assert!(c.object(k).is_some(), "{k}");
        }
        // An entry bigger than a quarter of the capacity is not cached at all.
        c.put_object(&obj("big", one));
        assert!(c.object("big").is_none());
        assert!(c.object("k4").is_some());
    }

    #[test]
    fn attached_values_follow_their_entry() {
        let mut c = ReadCache::new(DEFAULT_CAPACITY_BYTES);
        let value: std::sync::Arc<dyn std::any::Any + Send + Sync> = std::sync::Arc::new(5u32);
        c.put_object(&obj("k", 32));
        // Not attached to other material (the object changed meanwhile).
        c.attach("k", &[0; 32], Derived(Some(value.clone())));
        assert!(c.object("k").unwrap().derived.0.is_none());
        c.attach("k", &[7; 32], Derived(Some(value)));
        let got = c.object("k").unwrap().derived.0.unwrap();
        assert_eq!(got.downcast_ref::<u32>(), Some(&5));
        // Gone with the entry.
        c.forget_object("k");
        c.put_object(&obj("k", 32));
        assert!(c.object("k").unwrap().derived.0.is_none());
    }

    #[test]
    fn parsed_attributes_follow_their_entry_and_are_counted() {
        let mut c = ReadCache::new(DEFAULT_CAPACITY_BYTES);
        let value: std::sync::Arc<dyn std::any::Any + Send + Sync> = std::sync::Arc::new(5u32);
        let kept = |c: &mut ReadCache| match c.object("k").unwrap().parsed {
            Parsed::Kept(p) => p.downcast_ref::<u32>().copied(),
            Parsed::Missing => None,
            Parsed::Uncached => panic!("a cached copy says it came from the cache"),
        };
        c.put_object(&obj("k", 32));
        let before = c.bytes();
        // Not attached when parsed from other attributes (the object changed meanwhile).
        c.attach_parsed("k", b"{\"other\":1}", Parsed::Kept(value.clone()));
        assert_eq!((kept(&mut c), c.bytes()), (None, before));
        let attributes = c.object("k").unwrap().attributes;
        // Only a parsed form is attached.
        c.attach_parsed("k", &attributes, Parsed::Missing);
        assert_eq!(c.bytes(), before);
        c.attach_parsed("k", &attributes, Parsed::Kept(value.clone()));
        assert_eq!(kept(&mut c), Some(5));
        assert_eq!(
            c.bytes(),
            before + crate::object::PARSED_ALLOWANCE + attributes.len()
        );
        // Attached once: a second parse does not replace it nor count twice.
        let other: std::sync::Arc<dyn std::any::Any + Send + Sync> = std::sync::Arc::new(6u32);
        c.attach_parsed("k", &attributes, Parsed::Kept(other));
        assert_eq!(kept(&mut c), Some(5));
        assert_eq!(
            c.bytes(),
            before + crate::object::PARSED_ALLOWANCE + attributes.len()
        );
        // Gone with the entry, and its bytes with it.
        c.forget_object("k");
        assert_eq!(c.bytes(), 0);
        c.put_object(&obj("k", 32));
        assert_eq!(kept(&mut c), None);
    }

    #[test]
    fn forgetting_and_grants() {
        let mut c = ReadCache::new(DEFAULT_CAPACITY_BYTES);
        c.put_object(&obj("k", 32));
        c.forget_object("k");
        assert!(c.object("k").is_none());
        let g = Grant {
            uid: "k".into(),
            user: "bob".into(),
            right: "decrypt".into(),
        };
        c.put_grants("k", std::slice::from_ref(&g));
        c.put_grants("j", &[]);
        assert_eq!(c.grants_on("k"), Some(vec![g]));
        assert_eq!(c.grants_on("j"), Some(vec![]));
        c.forget_grants();
        assert_eq!(c.grants_on("k"), None);
        assert_eq!(c.bytes(), 0);
        c.put_meta(crate::ADMIN_META_KEY, Some("alice".into()));
        assert_eq!(c.meta(crate::ADMIN_META_KEY), Some(Some("alice".into())));
        c.clear();
        assert_eq!(c.meta(crate::ADMIN_META_KEY), None);
    }

    #[test]
    fn a_locate_answer_is_kept_only_if_no_write_was_pending_began_or_ended_around_it() {
        let mut c = ReadCache::new(1 << 20);
        let uids = ["u1".to_string()];
        // Nothing written around the statement: kept, until a write begins.
        let since = c.located_since();
        c.put_located("q".into(), &uids, since);
        assert_eq!(c.located("q"), Some(uids.to_vec()));
        c.forget_object("u9");
        assert_eq!(c.located("q"), None, "a write drops every answer");
        // Run while the write is pending (its batch not committed): not kept, even if the
        // write commits before the answer arrives.
        assert_eq!(c.located_since(), None);
        c.put_located("q".into(), &uids, None);
        assert_eq!(c.located("q"), None);
        c.batch_ended();
        // Taken before the write began, or before its batch ended: not kept.
        let before_write = c.located_since();
        c.forget_grants();
        c.batch_ended();
        c.put_located("q".into(), &uids, before_write);
        assert_eq!(c.located("q"), None);
        c.forget_object("u9");
        let pending = c.located_since();
        c.batch_ended();
        c.put_located("q".into(), &uids, pending);
        assert_eq!(c.located("q"), None);
        // After: kept; a batch without writes changes nothing; everything dropped goes too.
        let after = c.located_since();
        c.batch_ended();
        c.put_located("q".into(), &uids, after);
        assert_eq!(c.located("q"), Some(uids.to_vec()));
        c.clear();
        assert_eq!(c.located("q"), None);
    }

    #[test]
    fn locate_answers_are_bounded_in_bytes() {
        let mut c = ReadCache::new(1 << 20);
        let uids: Vec<String> = (0..8).map(|i| format!("{i:036}")).collect();
        for i in 0..1000 {
            let since = c.located_since();
            c.put_located(format!("query {i}"), &uids, since);
            assert!(c.located_bytes <= LOCATED_CAPACITY_BYTES);
        }
        assert!(c.located("query 999").is_some());
    }
}
