//! Groups (tenants): the `KmsDatabaseSecret` token, registration, and the cache of open
//! group databases.
//!
//! The token is `base64url-nopad(JSON {"group_id": "<uuid>", "key": "<64 hex>"})`. The key is
//! never stored: the cache keeps the open connection with only an HMAC of the key (under a
//! per-process random key), and every request's key is compared with it in constant time.

use crate::error::ApiError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ekms_crypto::hash;
use ekms_store::{SqlCipherStore, StoreError};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;
use zeroize::{Zeroize, Zeroizing};

/// Logs a refused group secret, never the secret itself, and gives the one 401 answer.
/// Refusals happen before any group database is open, so the server log is their audit trail.
fn refused(why: &str, group: Option<&Uuid>) -> ApiError {
    match group {
        Some(g) => tracing::info!(group = %g, "group secret refused: {why}"),
        None => tracing::info!("group secret refused: {why}"),
    }
    ApiError::unauthorized()
}

/// The name of the header that carries the group secret.
pub const SECRET_HEADER: &str = "KmsDatabaseSecret";

/// A group's database key; wiped on drop.
pub struct GroupKey(Zeroizing<[u8; 32]>);

/// A parsed `KmsDatabaseSecret`.
pub struct GroupToken {
    pub group_id: Uuid,
    pub key: GroupKey,
}

#[derive(Deserialize)]
struct TokenJson {
    group_id: String,
    key: Zeroizing<String>,
}

impl GroupToken {
    /// Draws a new group id and key.
    pub fn generate() -> Result<Self, ApiError> {
        let key: [u8; 32] = ekms_crypto::rand::array().map_err(|_| ApiError::internal())?;
        Ok(Self {
            group_id: Uuid::new_v4(),
            key: GroupKey(Zeroizing::new(key)),
        })
    }

    /// Parses a token; any defect is the same 401 as a wrong key.
    pub fn parse(token: &str) -> Result<Self, ApiError> {
        let mut raw = Zeroizing::new(
            URL_SAFE_NO_PAD
                .decode(token.trim().as_bytes())
                .map_err(|_| refused("a malformed group secret", None))?,
        );
        let parsed: Result<TokenJson, _> = serde_json::from_slice(&raw);
        raw.zeroize();
        let parsed = parsed.map_err(|_| refused("a malformed group secret", None))?;
        let group_id = Uuid::parse_str(&parsed.group_id)
            .map_err(|_| refused("a malformed group secret", None))?;
        let mut key = Zeroizing::new([0u8; 32]);
        if parsed.key.len() != 64 || hex::decode_to_slice(parsed.key.as_bytes(), &mut *key).is_err()
        {
            return Err(refused("a malformed group secret", None));
        }
        Ok(Self {
            group_id,
            key: GroupKey(key),
        })
    }

    /// The token's text form.
    pub fn encode(&self) -> Zeroizing<String> {
        let key_hex = Zeroizing::new(hex::encode(*self.key.0));
        let json = Zeroizing::new(format!(
            "{{\"group_id\":\"{}\",\"key\":\"{}\"}}",
            self.group_id, *key_hex
        ));
        Zeroizing::new(URL_SAFE_NO_PAD.encode(json.as_bytes()))
    }
}

/// The locked cache of open groups.
type CacheGuard<'a> = std::sync::MutexGuard<'a, HashMap<Uuid, Entry>>;

struct Entry {
    store: Arc<SqlCipherStore>,
    key_mac: [u8; 32],
    last_used: Instant,
}

/// Whether a request holds the entry's store.
fn in_use(e: &Entry) -> bool {
    Arc::strong_count(&e.store) > 1
}

/// The registry of groups: where their files are and which are open.
pub struct Groups {
    dir: PathBuf,
    mac_key: Zeroizing<[u8; 32]>,
    cache: Mutex<HashMap<Uuid, Entry>>,
    /// Group databases open at most, in the cache or being opened or created: each holds
    /// about three descriptors, and [`crate::budget`] gives them their share.
    capacity: usize,
    /// Databases being opened or created, counted (under the cache lock) against `capacity`.
    opening: AtomicUsize,
    idle: Duration,
}

/// 503 when every open-group place is held by a request: waiting a moment frees one.
fn busy() -> ApiError {
    tracing::warn!("every open group database is in use: request refused with 503");
    ApiError::unavailable(
        "server_busy",
        "the server has all the group databases it can hold open in use; try again shortly",
        1,
    )
}

/// A place of the open-group capacity, held while a database is opened or created.
struct Opening<'a>(&'a AtomicUsize);

impl Drop for Opening<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Groups {
    /// Groups stored under `<data_dir>/groups`, at most `capacity` open at once. Files there
    /// that others may read (made by older releases) are made owner-only first.
    pub fn new(data_dir: &Path, capacity: usize, idle: Duration) -> anyhow::Result<Self> {
        let dir = data_dir.join("groups");
        crate::platform::create_private_dir(&dir)?;
        crate::platform::restrict_files(&dir)?;
        Ok(Self {
            dir,
            mac_key: Zeroizing::new(ekms_crypto::rand::array()?),
            cache: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
            opening: AtomicUsize::new(0),
            idle,
        })
    }

    /// The directory of the group databases.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Takes a place for one more open database, closing unused ones if needed; 503 when all
    /// are in use.
    fn reserve(&self) -> Result<Opening<'_>, ApiError> {
        let mut cache = self.lock();
        self.evict(&mut cache, 1);
        if cache.len() + self.opening.load(Ordering::SeqCst) >= self.capacity {
            return Err(busy());
        }
        self.opening.fetch_add(1, Ordering::SeqCst);
        Ok(Opening(&self.opening))
    }

    fn path(&self, id: &Uuid) -> PathBuf {
        // A parsed Uuid prints as hex and dashes only: no path traversal is possible.
        self.dir.join(format!("{id}.db"))
    }

    fn key_mac(&self, key: &GroupKey) -> [u8; 32] {
        hash::hmac_sha256(&*self.mac_key, &*key.0)
    }

    /// Creates a new group; returns its token (to be shown once).
    pub fn register(&self) -> Result<GroupToken, ApiError> {
        let token = GroupToken::generate()?;
        let _place = self.reserve()?;
        SqlCipherStore::create(
            &self.path(&token.group_id),
            &token.key.0,
            &token.group_id.to_string(),
        )
        .map_err(|e| {
            tracing::error!("cannot create a group database: {e}");
            ApiError::internal()
        })?;
        Ok(token)
    }

    /// The open store of the token's group, opening it if needed. Blocking: call from a
    /// blocking context.
    pub fn open(&self, token: &GroupToken) -> Result<Arc<SqlCipherStore>, ApiError> {
        let mac = self.key_mac(&token.key);
        {
            let mut cache = self.lock();
            if let Some(entry) = cache.get_mut(&token.group_id) {
                if !hash::ct_eq(&entry.key_mac, &mac) {
                    return Err(refused("a wrong key", Some(&token.group_id)));
                }
                entry.last_used = Instant::now();
                return Ok(entry.store.clone());
            }
        }
        let place = self.reserve()?;
        let store = match SqlCipherStore::open(&self.path(&token.group_id), &token.key.0) {
            Ok(s) => Arc::new(s),
            Err(StoreError::WrongKey) => {
                return Err(refused("a wrong key", Some(&token.group_id)));
            }
            Err(StoreError::NotFound) => {
                return Err(refused("an unknown group", Some(&token.group_id)));
            }
            Err(e) => {
                tracing::error!("cannot open group {}: {e}", token.group_id);
                return Err(ApiError::internal());
            }
        };
        let mut cache = self.lock();
        // The place taken above becomes the cache entry's.
        drop(place);
        // Deleted while this request was opening it: the token is refused.
        if !self.path(&token.group_id).is_file() {
            return Err(refused("a deleted group", Some(&token.group_id)));
        }
        let entry = cache.entry(token.group_id).or_insert(Entry {
            store,
            key_mac: mac,
            last_used: Instant::now(),
        });
        // Another request cached it meanwhile (perhaps under a rotated key): compare again.
        if !hash::ct_eq(&entry.key_mac, &mac) {
            return Err(refused("a wrong key", Some(&token.group_id)));
        }
        Ok(entry.store.clone())
    }

    /// The cached entry of `token`'s group (opening it if needed) with the cache locked, after
    /// checking the token's key against it.
    fn locked_entry(
        &self,
        token: &GroupToken,
    ) -> Result<(CacheGuard<'_>, Arc<SqlCipherStore>), ApiError> {
        let store = self.open(token)?;
        let mac = self.key_mac(&token.key);
        let cache = self.lock();
        match cache.get(&token.group_id) {
            Some(e) if !hash::ct_eq(&e.key_mac, &mac) => Err(ApiError::unauthorized()),
            _ if !self.path(&token.group_id).is_file() => Err(ApiError::unauthorized()),
            _ => Ok((cache, store)),
        }
    }

    /// Re-keys the group of `token` under a new key (SQLCipher `PRAGMA rekey`) and returns the
    /// new token (to be shown once). From then on the old token is refused: the cache entry
    /// is replaced while the cache is locked, so no request can slip in with the old key.
    /// Blocking.
    pub fn rotate(&self, token: &GroupToken) -> Result<GroupToken, ApiError> {
        let (mut cache, store) = self.locked_entry(token)?;
        let fresh = GroupToken::generate()?;
        let fresh = GroupToken {
            group_id: token.group_id,
            key: fresh.key,
        };
        store.rekey(&fresh.key.0).map_err(|e| {
            tracing::error!("cannot rekey group {}: {e}", token.group_id);
            ApiError::internal()
        })?;
        cache.insert(
            token.group_id,
            Entry {
                store,
                key_mac: self.key_mac(&fresh.key),
                last_used: Instant::now(),
            },
        );
        Ok(fresh)
    }

    /// Deletes the group of `token`: closes it, forgets it, removes its database file and the
    /// file's `-wal` and `-shm` companions. Its token is refused from then on. Blocking.
    pub fn delete(&self, token: &GroupToken) -> Result<(), ApiError> {
        let (mut cache, store) = self.locked_entry(token)?;
        cache.remove(&token.group_id);
        drop(store);
        let path = self.path(&token.group_id);
        for suffix in ["", "-wal", "-shm"] {
            let mut name = path.clone().into_os_string();
            name.push(suffix);
            match std::fs::remove_file(&name) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    tracing::error!("cannot remove a file of group {}: {e}", token.group_id);
                    return Err(ApiError::internal());
                }
            }
        }
        Ok(())
    }

    /// Drops idle entries, then the least recently used ones until `room` more fit within
    /// capacity (with the databases being opened). A store some request still uses is never
    /// dropped: while it lives, it stays the group's only open store, so its read cache cannot
    /// miss a change made through another one.
    fn evict(&self, cache: &mut HashMap<Uuid, Entry>, room: usize) {
        let now = Instant::now();
        cache.retain(|_, e| now.duration_since(e.last_used) < self.idle || in_use(e));
        while cache.len() + self.opening.load(Ordering::SeqCst) + room > self.capacity {
            let Some(oldest) = cache
                .iter()
                .filter(|(_, e)| !in_use(e))
                .min_by_key(|(_, e)| e.last_used)
                .map(|(id, _)| *id)
            else {
                break;
            };
            cache.remove(&oldest);
        }
    }

    /// Closes idle connections (called periodically).
    pub fn sweep(&self) {
        let now = Instant::now();
        self.lock()
            .retain(|_, e| now.duration_since(e.last_used) < self.idle || in_use(e));
    }

    /// How many groups are open.
    #[cfg(test)]
    pub fn open_count(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Entry>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_round_trip_and_garbage() {
        let t = GroupToken::generate().unwrap();
        let text = t.encode();
        let back = GroupToken::parse(&text).unwrap();
        assert_eq!(back.group_id, t.group_id);
        assert_eq!(*back.key.0, *t.key.0);
        for bad in [
            "",
            "not base64 !!",
            &URL_SAFE_NO_PAD.encode(b"{}"),
            &URL_SAFE_NO_PAD.encode(b"{\"group_id\":\"../../etc\",\"key\":\"00\"}"),
            &URL_SAFE_NO_PAD.encode(format!(
                "{{\"group_id\":\"{}\",\"key\":\"zz\"}}",
                Uuid::new_v4()
            )),
        ] {
            assert!(GroupToken::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn wrong_key_is_refused_open_or_cached() {
        let dir = tempfile::tempdir().unwrap();
        let groups = Groups::new(dir.path(), 2, Duration::from_secs(60)).unwrap();
        let t = groups.register().unwrap();
        let wrong = GroupToken {
            group_id: t.group_id,
            key: GroupKey(Zeroizing::new([0u8; 32])),
        };
        // Not cached yet: SQLCipher refuses the key.
        assert!(groups.open(&wrong).is_err());
        groups.open(&t).unwrap();
        // Cached: the MAC comparison refuses it.
        assert!(groups.open(&wrong).is_err());
        assert_eq!(groups.open_count(), 1);
    }

    #[test]
    fn rotate_and_delete() {
        let dir = tempfile::tempdir().unwrap();
        let groups = Groups::new(dir.path(), 4, Duration::from_secs(60)).unwrap();
        let old = groups.register().unwrap();
        let old_copy = GroupToken::parse(&old.encode()).unwrap();
        let new = groups.rotate(&old).unwrap();
        assert_eq!(new.group_id, old.group_id);
        // Cached: the old key is refused, the new one is accepted.
        assert!(groups.open(&old_copy).is_err());
        groups.open(&new).unwrap();
        // Not cached: SQLCipher itself refuses the old key.
        let fresh = Groups::new(dir.path(), 4, Duration::from_secs(60)).unwrap();
        assert!(fresh.open(&old_copy).is_err());
        fresh.open(&new).unwrap();
        drop(fresh);
        assert!(groups.delete(&old_copy).is_err());
        groups.delete(&new).unwrap();
        assert!(groups.open(&new).is_err());
        assert!(no_files(dir.path()));
    }

    fn no_files(dir: &Path) -> bool {
        std::fs::read_dir(dir.join("groups"))
            .unwrap()
            .next()
            .is_none()
    }

    #[test]
    fn cache_is_bounded_and_expires() {
        let dir = tempfile::tempdir().unwrap();
        let groups = Groups::new(dir.path(), 2, Duration::from_millis(50)).unwrap();
        let tokens: Vec<_> = (0..3).map(|_| groups.register().unwrap()).collect();
        for t in &tokens {
            groups.open(t).unwrap();
        }
        assert!(groups.open_count() <= 2);
        std::thread::sleep(Duration::from_millis(80));
        groups.sweep();
        assert_eq!(groups.open_count(), 0);
    }

    #[test]
    fn a_store_in_use_stays_the_only_one_of_its_group() {
        let dir = tempfile::tempdir().unwrap();
        let groups = Groups::new(dir.path(), 1, Duration::from_millis(20)).unwrap();
        let a = groups.register().unwrap();
        let b = groups.register().unwrap();
        let in_use = groups.open(&a).unwrap();
        // Neither capacity nor idleness closes it while a request holds it: another group
        // waits for its place (503) rather than pass the capacity...
        let busy = groups.open(&b).unwrap_err();
        assert_eq!(busy.status, axum::http::StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(busy.retry_after, Some(1));
        std::thread::sleep(Duration::from_millis(40));
        groups.sweep();
        // ...so the next request of its group gets the same store (and the same read cache).
        let again = groups.open(&a).unwrap();
        assert!(Arc::ptr_eq(&in_use, &again));
        drop((in_use, again));
        std::thread::sleep(Duration::from_millis(40));
        groups.sweep();
        assert_eq!(groups.open_count(), 0);
    }
}
