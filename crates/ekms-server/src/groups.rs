//! Groups (tenants): the `KmsDatabaseSecret` token, registration, key slots, two-phase secret
//! rotation, and the cache of open group databases.
//!
//! The token is `base64url-nopad(JSON {"group_id": "<uuid>", "key": "<64 hex>"})`, in exactly
//! the form [`GroupToken::encode`] writes: any other spelling is the same refusal. The secret is
//! never stored. Each group's database is keyed with a random data key, wrapped under every
//! secret that opens the group (see [`crate::keyslots`]).
//!
//! Authentication never looks at the cache or at a file: every slot of every group is in memory
//! (loaded at start), and each request's secret costs one KEK derivation and [`MAX_SLOTS`] slot
//! openings, against dummy slots for an unknown group. So an unknown group, a wrong secret for
//! an open group and a wrong secret for a group not open take the same time. Groups made before
//! key slots and not opened since ("legacy": a database keyed with the secret itself, no slot
//! file) are checked by SQLCipher, their first successful open writes their slot file, and
//! while any remain every other refusal also tries a decoy database, to cost the same.
//!
//! Rotation (two-phase, docs/server.md "Secret rotation"): `rotate` adds slot 1 for a fresh secret (the old slot 0
//! stays): both open the group. The first request with the new secret confirms: its slot
//! becomes the only one, under a fresh data key, and the database is re-encrypted (SQLCipher
//! `PRAGMA rekey`, one transaction). Every step is one atomic file replacement or one SQLite
//! transaction, in an order that a crash between any two leaves a state the new secret opens
//! (see docs/server.md "Secret rotation").
//!
//! Every transport enters a group the same way: [`GroupToken::presented`] reads the secret a
//! request presents (a KMIP credential, or the `KmsDatabaseSecret` header) and [`Groups::open`]
//! opens its group. Both answer with this module's own [`GroupError`], which each transport
//! turns into its own answer (an HTTP status in [`crate::error`], a KMIP Result Reason in
//! [`crate::protocol`]).

mod shared;

use crate::keyslots::{self, Key, MAX_SLOTS, Record, Slot};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ekms_crypto::hash;
use ekms_store::failpoint;
use ekms_store::postgres::PgRequest;
use ekms_store::retention::Limits;
use ekms_store::{ObjectStore, PgPool, SqlCipherStore, StoreError};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use uuid::Uuid;
use zeroize::{Zeroize, Zeroizing};

/// Why a group could not be entered or changed. Each variant is logged (never with a secret)
/// where it arises; the transports only choose their answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupError {
    /// A missing, malformed, unknown or wrong secret: one answer for all, so that groups
    /// cannot be probed.
    Refused,
    /// Every open-group place is held by a request: waiting `retry_after` seconds frees one.
    Busy { retry_after: u64 },
    /// Another change of the group's secret is under way.
    Conflict,
    /// The shared database (`--database`) cannot be reached: trying again later may succeed.
    Unavailable,
    /// The server failed (the cause is in its log).
    Internal,
}

impl std::fmt::Display for GroupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            GroupError::Refused => "the group secret is missing, malformed or wrong",
            GroupError::Busy { .. } => {
                "the server has all the group databases it can hold open in use; try again shortly"
            }
            GroupError::Conflict => "another change of this group's secret is under way; try again",
            GroupError::Unavailable => "the store is unavailable; try again shortly",
            GroupError::Internal => "the server could not open the group; see its log",
        })
    }
}

impl std::error::Error for GroupError {}

/// Logs a refused group secret, never the secret itself, and gives the one refusal.
/// Refusals happen before any group database is open, so the server log is their audit trail.
fn refused(why: &str, group: Option<&Uuid>) -> GroupError {
    match group {
        Some(g) => tracing::info!(group = %g, "group secret refused: {why}"),
        None => tracing::info!("group secret refused: {why}"),
    }
    GroupError::Refused
}

const MALFORMED: &str = "a malformed group secret";
const WRONG_KEY: &str = "a wrong key";

/// The name of the header that carries the group secret.
pub const SECRET_HEADER: &str = "KmsDatabaseSecret";

/// The other spelling of [`SECRET_HEADER`]: the header Cosmian's `ckms` sends its
/// `database_secret` setting in. Read alike everywhere (routes::entry).
pub const SECRET_HEADER_ALIAS: &str = "DatabaseSecret";

/// A group's secret key; wiped on drop.
pub struct GroupKey(Zeroizing<[u8; 32]>);

/// A parsed `KmsDatabaseSecret`.
pub struct GroupToken {
    pub group_id: Uuid,
    pub key: GroupKey,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenJson {
    group_id: String,
    key: Zeroizing<String>,
}

impl GroupToken {
    /// The token of the secret a request presents: the Password of the KMIP message's
    /// Username and Password credential when it has one, else the secret its transport carried
    /// outside the message (the `KmsDatabaseSecret` header, as text; a value that is not text
    /// is given as None). This is the one reading of a group secret, for every route, the
    /// socket and `POST /kmip`. A missing secret is refused without a log line of its own.
    pub fn presented(credential: Option<&str>, header: Option<&str>) -> Result<Self, GroupError> {
        credential
            .or(header)
            .ok_or(GroupError::Refused)
            .and_then(Self::parse)
    }

    /// Draws a new group id and key.
    pub fn generate() -> Result<Self, GroupError> {
        let key: [u8; 32] = ekms_crypto::rand::array().map_err(|_| GroupError::Internal)?;
        Ok(Self {
            group_id: Uuid::new_v4(),
            key: GroupKey(Zeroizing::new(key)),
        })
    }

    /// Parses a token; any defect is the same refusal as a wrong key. Only the canonical form is
    /// accepted (the one [`GroupToken::encode`] writes: a lower-case hyphenated group id,
    /// lower-case hex key, no other field, no whitespace, no padding), so a group id has one
    /// spelling in logs and audit rows.
    pub fn parse(token: &str) -> Result<Self, GroupError> {
        let mut raw = Zeroizing::new(
            URL_SAFE_NO_PAD
                .decode(token.as_bytes())
                .map_err(|_| refused(MALFORMED, None))?,
        );
        let parsed: Result<TokenJson, _> = serde_json::from_slice(&raw);
        raw.zeroize();
        let parsed = parsed.map_err(|_| refused(MALFORMED, None))?;
        let group_id = Uuid::try_parse(&parsed.group_id).map_err(|_| refused(MALFORMED, None))?;
        let mut key = Zeroizing::new([0u8; 32]);
        if parsed.key.len() != 64 || hex::decode_to_slice(parsed.key.as_bytes(), &mut *key).is_err()
        {
            return Err(refused(MALFORMED, None));
        }
        let parsed_token = Self {
            group_id,
            key: GroupKey(key),
        };
        // One spelling: the token must be exactly what encoding it again gives.
        if !hash::ct_eq(parsed_token.encode().as_bytes(), token.as_bytes()) {
            return Err(refused(MALFORMED, None));
        }
        Ok(parsed_token)
    }

    /// The MAC key of the `Ekms-Group-State` header for this secret (the client derives the
    /// same one from the token it holds).
    pub fn state_key(&self) -> Result<ekms_crypto::group_state::StateKey, GroupError> {
        ekms_crypto::group_state::StateKey::derive(&self.key.0, &self.group_id.to_string())
            .map_err(|_| GroupError::Internal)
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

/// The store of one open group, whichever engine keeps it: the operations see an
/// [`ObjectStore`]; the group's life also reads and writes its metadata (the administrator).
pub trait GroupStore: ObjectStore {
    /// Sets a group metadata entry, durably, in a transaction of its own.
    fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError>;
    /// A group metadata entry, if set.
    fn get_meta(&self, key: &str) -> Result<Option<String>, StoreError>;
}

impl GroupStore for SqlCipherStore {
    fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        SqlCipherStore::set_meta(self, key, value)
    }
    fn get_meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        SqlCipherStore::get_meta(self, key)
    }
}

impl GroupStore for PgRequest {
    fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.store().set_meta(key, value)
    }
    fn get_meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.store().get_meta(key)
    }
}

/// The locked cache of open groups.
type CacheGuard<'a> = std::sync::MutexGuard<'a, HashMap<Uuid, Entry>>;

struct Entry {
    store: Arc<SqlCipherStore>,
    last_used: Instant,
    /// The secret that last opened the store through its slots, if any ([`Proof`]).
    proof: Option<Proof>,
}

/// What a cached store keeps of the secret that opened it through the key slots, so that the
/// same secret opens it again without the slots' check (an HKDF and [`MAX_SLOTS`] AES-GCM
/// openings, about 1% of the server's CPU per HTTPS request): a fingerprint of the secret,
/// compared in constant time, and the slots it was checked against. Any change of the group's
/// slots (a rotation started or confirmed, an upgrade, a deletion) puts a new `Arc<Record>` in
/// [`Groups::records`], which no proof holds, so a secret the slots no longer open is checked
/// against them again and refused. The fingerprint lives as long as the cache entry, whose
/// store holds the group's data key itself: it tells nothing the entry did not.
struct Proof {
    fingerprint: [u8; 32],
    record: Arc<Record>,
}

/// What a fingerprint is compared with when there is no proof: no SHA-256 output.
const NO_PROOF: [u8; 32] = [0; 32];

/// Domain separation of a secret's fingerprint ([`Proof`]).
const FINGERPRINT_LABEL: &[u8] = b"ekms-group-secret-fingerprint-v1";

/// SHA-256 of the secret's group id and key (256 random bits: the hash reveals nothing).
fn fingerprint(token: &GroupToken) -> [u8; 32] {
    hash::sha256_parts(&[
        FINGERPRINT_LABEL,
        token.group_id.as_bytes(),
        token.key.0.as_slice(),
    ])
}

/// Whether a request holds the entry's store.
fn in_use(e: &Entry) -> bool {
    Arc::strong_count(&e.store) > 1
}

/// A secret that opened one of its group's slots.
struct Verified {
    /// 0: the confirmed secret; 1: the secret of a pending rotation.
    index: usize,
    /// How many slots the group has.
    slots: usize,
    kek: Key,
    data_key: Key,
    previous: Option<Key>,
    record: Arc<Record>,
}

/// Checks `token` against its group's slots, `record` (`None`: an unknown group), with the
/// same work whatever the group: one KEK derivation and [`MAX_SLOTS`] slot openings (`dummy`
/// ones for an unknown group or a missing slot).
fn check(token: &GroupToken, record: Option<Arc<Record>>, dummy: &Record) -> Option<Verified> {
    let id = &token.group_id;
    let kek = keyslots::kek(&token.key.0, id);
    let real: &[Slot] = record.as_ref().map_or(&[], |r| r.slots.as_slice());
    let mut found = None;
    for i in 0..MAX_SLOTS {
        let (slot, is_real) = match real.get(i) {
            Some(s) => (s, true),
            None => (&dummy.slots[i], false),
        };
        let opened = slot.unwrap(&kek, id, i);
        if is_real && found.is_none() {
            found = opened.map(|u| (i, u));
        }
    }
    let (index, u) = found?;
    Some(Verified {
        index,
        slots: real.len(),
        kek,
        data_key: u.data_key,
        previous: u.previous,
        record: record?,
    })
}

/// What `POST /group/rotate-secret/confirm` found.
pub enum Confirmation {
    /// The secret is (now) the group's only one.
    Confirmed,
    /// The secret is the one being replaced; only the new one confirms.
    OldSecret,
}

fn store_error(group: &Uuid, what: &str, e: impl std::fmt::Display) -> GroupError {
    tracing::error!("cannot {what} of group {group}: {e}");
    GroupError::Internal
}

/// Every open-group place is held by a request (503 on HTTP): waiting a moment frees one.
fn busy() -> GroupError {
    tracing::warn!("every open group database is in use: request refused with 503");
    GroupError::Busy { retry_after: 1 }
}

/// A place of the open-group capacity, held while a database is opened or created.
struct Opening<'a>(&'a AtomicUsize);

impl Drop for Opening<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Why a database could not be opened: the store's reason, or no place to hold it open.
enum OpenFailure {
    Store(StoreError),
    Busy(GroupError),
}

impl From<StoreError> for OpenFailure {
    fn from(e: StoreError) -> Self {
        OpenFailure::Store(e)
    }
}

/// The registry of groups: where their files are, their key slots, which are open.
pub struct Groups {
    dir: PathBuf,
    /// Every group's slots (from `<id>.keys`).
    records: RwLock<HashMap<Uuid, Arc<Record>>>,
    /// Groups whose database has no slot file yet (made before key slots).
    legacy: Mutex<HashSet<Uuid>>,
    /// Slots no secret opens: the work done for an unknown group, and the padding to
    /// [`MAX_SLOTS`] of a group with one slot.
    dummy: Record,
    /// While groups made before key slots remain, a database no secret opens: every other
    /// refusal tries it, so that it costs what SQLCipher's refusal of a pre-slot group costs.
    decoy: Option<PathBuf>,
    /// One lock per group for the steps that change its slots or its data key.
    life: Mutex<HashMap<Uuid, Arc<Mutex<()>>>>,
    cache: Mutex<HashMap<Uuid, Entry>>,
    /// With `--database`: the groups live in PostgreSQL, and every public method below
    /// serves them from there (see [`shared`]); the fields above stay unused.
    shared: Option<shared::SharedGroups>,
    /// Group databases open at most, in the cache or being opened or created: each holds
    /// up to five descriptors, and [`crate::budget`] gives them their share.
    capacity: usize,
    /// Databases being opened or created, counted (under the cache lock) against `capacity`.
    opening: AtomicUsize,
    idle: Duration,
    /// The server's bounds on every group's audit trail, given to each store it opens.
    audit_limits: Limits,
}

impl Groups {
    /// Groups stored under `<data_dir>/groups`, at most `capacity` open at once; loads every
    /// key-slot file. Files there that others may read (made by older releases) are made
    /// owner-only first.
    pub fn new(data_dir: &Path, capacity: usize, idle: Duration) -> anyhow::Result<Self> {
        let dir = data_dir.join("groups");
        crate::platform::create_private_dir(&dir)?;
        crate::platform::restrict_files(&dir)?;
        let (records, legacy) = load(&dir)?;
        let decoy = make_decoy(data_dir, !legacy.is_empty())?;
        if !legacy.is_empty() {
            tracing::info!(
                groups = legacy.len(),
                "groups made before key slots: each gets its slot file at its first open; until the last one does, every refused secret also costs a SQLCipher open"
            );
        }
        Ok(Self {
            dir,
            records: RwLock::new(records),
            legacy: Mutex::new(legacy),
            dummy: Record::dummy()?,
            decoy,
            life: Mutex::new(HashMap::new()),
            cache: Mutex::new(HashMap::new()),
            shared: None,
            capacity: capacity.max(1),
            opening: AtomicUsize::new(0),
            idle,
            audit_limits: Default::default(),
        })
    }

    /// Bounds every group's audit trail by `limits` (`--audit-retention-max-rows`,
    /// `--audit-retention-max-age-days`): the bound of a group that sets none, and the
    /// tightest a group's own policy counts for.
    pub fn with_audit_limits(mut self, limits: Limits) -> Self {
        self.audit_limits = limits;
        self
    }

    /// Serves the groups from the PostgreSQL database of `pool` instead of the data dir's
    /// files: registry, key slots and objects, so that this node keeps no state of its own.
    pub fn with_database(mut self, pool: PgPool) -> anyhow::Result<Self> {
        self.shared = Some(shared::SharedGroups::new(pool, self.idle)?);
        Ok(self)
    }

    /// Whether the groups live in the database several nodes share (`--database`).
    pub fn is_shared(&self) -> bool {
        self.shared.is_some()
    }

    /// The directory of the group databases.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the store of the groups can be reached now (readiness): the shared database
    /// answers a query, or the group directory is there. Blocking: call from a blocking
    /// context. The reason when not.
    pub fn reachable(&self) -> Result<(), String> {
        match &self.shared {
            Some(shared) => shared.ping().map_err(|e| e.to_string()),
            None => match std::fs::metadata(&self.dir) {
                Ok(m) if m.is_dir() => Ok(()),
                Ok(_) => Err(format!("{} is not a directory", self.dir.display())),
                Err(e) => Err(format!("{}: {e}", self.dir.display())),
            },
        }
    }

    /// Takes a place for one more open database, closing unused ones if needed;
    /// [`GroupError::Busy`] when all are in use.
    fn reserve(&self) -> Result<Opening<'_>, GroupError> {
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

    fn record(&self, id: &Uuid) -> Option<Arc<Record>> {
        self.records
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    fn set_record(&self, id: Uuid, record: Record) {
        self.records
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, Arc::new(record));
    }

    /// Writes `record` as the slot file of `id`, then makes it the one in memory.
    fn save(&self, id: &Uuid, record: Record, phase: &str) -> Result<(), GroupError> {
        keyslots::write(&self.dir, id, &record, phase)
            .map_err(|e| store_error(id, "write the key slots", e))?;
        self.set_record(*id, record);
        Ok(())
    }

    fn life_lock(&self, id: &Uuid) -> Arc<Mutex<()>> {
        self.life
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(*id)
            .or_default()
            .clone()
    }

    /// Checks `token` against its group's slots (see [`check`]).
    fn verify(&self, token: &GroupToken) -> Option<Verified> {
        check(token, self.record(&token.group_id), &self.dummy)
    }

    /// Creates a new group; returns its token (to be shown once). The slot file is written
    /// before the database, so a database never exists without its slots.
    pub fn register(&self) -> Result<GroupToken, GroupError> {
        if let Some(shared) = &self.shared {
            return shared.register();
        }
        let token = GroupToken::generate()?;
        let id = token.group_id;
        let data_key: Key = Zeroizing::new(
            ekms_crypto::rand::array().map_err(|e| store_error(&id, "draw the data key", e))?,
        );
        let kek = keyslots::kek(&token.key.0, &id);
        let slot = Slot::wrap(&kek, &id, 0, &data_key, None)
            .map_err(|e| store_error(&id, "wrap the data key", e))?;
        let place = self.reserve()?;
        let lock = self.life_lock(&id);
        let _life = lock.lock().unwrap_or_else(|e| e.into_inner());
        keyslots::write(
            &self.dir,
            &id,
            &Record {
                slots: vec![slot.clone()],
            },
            "register",
        )
        .map_err(|e| store_error(&id, "write the key slots", e))?;
        let store =
            SqlCipherStore::create(&self.path(&id), &data_key, &id.to_string()).map_err(|e| {
                let _ = keyslots::remove(&self.dir, &id);
                store_error(&id, "create the database", e)
            })?;
        self.set_record(id, Record { slots: vec![slot] });
        let mut cache = self.lock();
        // The place taken above becomes the cache entry's.
        drop(place);
        cache.insert(
            id,
            Entry {
                store: Arc::new(store),
                last_used: Instant::now(),
                proof: None,
            },
        );
        Ok(token)
    }

    /// The open store of the token's group, opening it if needed. A secret of a pending
    /// rotation confirms it here. Blocking: call from a blocking context.
    ///
    /// Inside [`ekms_store::ticket::without_blocking`] only a group already open, with a
    /// secret that needs no slot written, opens; anything else (reading a file, the shared
    /// database) is refused there, to be done again on the blocking pool.
    pub fn open(&self, token: &GroupToken) -> Result<Arc<dyn GroupStore>, GroupError> {
        let store: Arc<dyn GroupStore> = match &self.shared {
            Some(_) if ekms_store::ticket::refuse_blocking() => return Err(GroupError::Internal),
            Some(shared) => shared.open(token)?,
            None => self.open_file(token)?,
        };
        if let Some(count) = store.audit_count() {
            count.set_limits(&self.audit_limits);
        }
        Ok(store)
    }

    /// [`Groups::open`] of a group kept in a SQLCipher file.
    fn open_file(&self, token: &GroupToken) -> Result<Arc<SqlCipherStore>, GroupError> {
        let fingerprint = fingerprint(token);
        if let Some(store) = self.proven(&token.group_id, &fingerprint) {
            crate::metrics::get().group_cache(true);
            return Ok(store);
        }
        // A data key replaced by another request between the check and the open: check again.
        for _ in 0..3 {
            let Some(v) = self.verify(token) else {
                if ekms_store::ticket::refuse_blocking() {
                    return Err(GroupError::Internal);
                }
                return self.open_legacy(token);
            };
            if v.index == 1 || v.previous.is_some() {
                if ekms_store::ticket::refuse_blocking() {
                    return Err(GroupError::Internal);
                }
                return self.confirm_locked(token);
            }
            match self.cached_or_open(&token.group_id, &v.data_key, None, false) {
                Err(OpenFailure::Store(StoreError::WrongKey)) => continue,
                r => {
                    let store = r
                        .map(|(s, _)| s)
                        .map_err(|e| self.open_error(&token.group_id, e))?;
                    self.remember(&token.group_id, &store, fingerprint, v.record);
                    return Ok(store);
                }
            }
        }
        Err(store_error(
            &token.group_id,
            "open the database",
            "its data key keeps changing",
        ))
    }

    /// The cached store of `id` if the secret of `fingerprint` opened it through the group's
    /// current slots ([`Proof`]). The same steps whatever the group and the secret, as in
    /// [`check`]: both lookups, and one constant-time comparison of the fingerprint (with
    /// [`NO_PROOF`] when the group is unknown, not open or not proven), so a refused secret
    /// costs what it did before this step, plus the same small amount for every group.
    fn proven(&self, id: &Uuid, fingerprint: &[u8; 32]) -> Option<Arc<SqlCipherStore>> {
        let record = self.record(id);
        let mut cache = self.lock();
        let entry = cache.get_mut(id);
        let proof = entry.as_ref().and_then(|e| e.proof.as_ref());
        let same_secret = hash::ct_eq(proof.map_or(&NO_PROOF, |p| &p.fingerprint), fingerprint);
        let same_slots = match (proof, &record) {
            (Some(p), Some(r)) => Arc::ptr_eq(&p.record, r),
            _ => false,
        };
        let entry = entry.filter(|_| same_secret & same_slots)?;
        entry.last_used = Instant::now();
        Some(entry.store.clone())
    }

    /// Notes that the secret of `fingerprint`, checked against `record`, opened `store`
    /// (if that is still the cached store of `id`).
    fn remember(
        &self,
        id: &Uuid,
        store: &Arc<SqlCipherStore>,
        fingerprint: [u8; 32],
        record: Arc<Record>,
    ) {
        if let Some(entry) = self.lock().get_mut(id)
            && Arc::ptr_eq(&entry.store, store)
        {
            entry.proof = Some(Proof {
                fingerprint,
                record,
            });
        }
    }

    fn open_error(&self, id: &Uuid, e: OpenFailure) -> GroupError {
        match e {
            OpenFailure::Busy(e) => e,
            // Deleted meanwhile.
            OpenFailure::Store(StoreError::NotFound) => refused("a deleted group", Some(id)),
            OpenFailure::Store(e) => store_error(id, "open the database", e),
        }
    }

    /// The cached store of `id`, or the database opened with `key` (then with `previous`)
    /// and cached. The flag says the store is keyed with `previous`: a cached store is taken
    /// to be keyed with `previous` when one is given (see [`Groups::confirm_locked`]).
    /// `life_held` says the caller holds the group's life lock; otherwise it is taken for the
    /// open, so that no open runs while a confirmation re-encrypts the file (a connection
    /// opened with the old data key would then fail midway): a key made stale meanwhile fails
    /// cleanly with [`StoreError::WrongKey`].
    fn cached_or_open(
        &self,
        id: &Uuid,
        key: &[u8; 32],
        previous: Option<&[u8; 32]>,
        life_held: bool,
    ) -> Result<(Arc<SqlCipherStore>, bool), OpenFailure> {
        let cached = || {
            let mut cache = self.lock();
            cache.get_mut(id).map(|entry| {
                entry.last_used = Instant::now();
                (entry.store.clone(), previous.is_some())
            })
        };
        if let Some(hit) = cached() {
            crate::metrics::get().group_cache(true);
            return Ok(hit);
        }
        if ekms_store::ticket::refuse_blocking() {
            return Err(OpenFailure::Busy(GroupError::Internal));
        }
        crate::metrics::get().group_cache(false);
        let lock = self.life_lock(id);
        let _life = (!life_held).then(|| lock.lock().unwrap_or_else(|e| e.into_inner()));
        // Opened by another request while this one waited.
        if let Some(hit) = cached() {
            return Ok(hit);
        }
        let place = self.reserve().map_err(OpenFailure::Busy)?;
        let path = self.path(id);
        let (store, under_previous) = match (SqlCipherStore::open(&path, key), previous) {
            (Ok(s), _) => (s, false),
            (Err(StoreError::WrongKey), Some(p)) => (SqlCipherStore::open(&path, p)?, true),
            (Err(e), _) => return Err(e.into()),
        };
        let mut cache = self.lock();
        // The place taken above becomes the cache entry's.
        drop(place);
        // Deleted while this request was opening it.
        if self.record(id).is_none() {
            return Err(StoreError::NotFound.into());
        }
        let entry = cache.entry(*id).or_insert(Entry {
            store: Arc::new(store),
            last_used: Instant::now(),
            proof: None,
        });
        Ok((entry.store.clone(), under_previous))
    }

    /// Confirms a pending rotation with its new secret, or finishes an interrupted data key
    /// replacement; returns the open store. Takes the group's life lock. Steps, each one
    /// atomic, and what a crash after it leaves:
    ///
    /// 1. slot file = [new secret → (fresh data key, previous = current data key)]: the old
    ///    secret is refused from here; the new one opens the database with either key.
    /// 2. `PRAGMA rekey` to the fresh data key (one SQLite transaction).
    /// 3. slot file = [new secret → fresh data key].
    fn confirm_locked(&self, token: &GroupToken) -> Result<Arc<SqlCipherStore>, GroupError> {
        let id = token.group_id;
        let lock = self.life_lock(&id);
        let _life = lock.lock().unwrap_or_else(|e| e.into_inner());
        let Some(mut v) = self.verify(token) else {
            return Err(refused(WRONG_KEY, Some(&id)));
        };
        if v.index == 1 {
            failpoint::hit("confirm:before-write");
            let fresh: Key = Zeroizing::new(
                ekms_crypto::rand::array().map_err(|e| store_error(&id, "draw the data key", e))?,
            );
            let slot = Slot::wrap(&v.kek, &id, 0, &fresh, Some(&v.data_key))
                .map_err(|e| store_error(&id, "wrap the data key", e))?;
            self.save(&id, Record { slots: vec![slot] }, "confirm")?;
            failpoint::hit("confirm:after-write");
            tracing::info!(group = %id, "group secret rotation confirmed: the previous secret is refused");
            let current = std::mem::replace(&mut v.data_key, fresh);
            v.previous = Some(current);
        }
        let Some(previous) = v.previous.as_ref() else {
            // Done by another request meanwhile.
            return self
                .cached_or_open(&id, &v.data_key, None, true)
                .map(|(s, _)| s)
                .map_err(|e| self.open_error(&id, e));
        };
        let (store, under_previous) = self
            .cached_or_open(&id, &v.data_key, Some(previous), true)
            .map_err(|e| self.open_error(&id, e))?;
        if under_previous {
            failpoint::hit_later("confirm:during-rekey", Duration::from_millis(30));
            if let Err(e) = store.rekey(&v.data_key) {
                // Closed, so the next open finds out which key the file has.
                drop(store);
                self.forget(&id);
                return Err(store_error(&id, "re-encrypt the database", e));
            }
            tracing::info!(group = %id, "group data key replaced");
            failpoint::hit("confirm:after-rekey");
        }
        let slot = Slot::wrap(&v.kek, &id, 0, &v.data_key, None)
            .map_err(|e| store_error(&id, "wrap the data key", e))?;
        self.save(&id, Record { slots: vec![slot] }, "confirm-final")?;
        failpoint::hit("confirm:done");
        Ok(store)
    }

    /// A group made before key slots: SQLCipher checks the secret; once it opens, its slot
    /// file is written with the secret's key as the data key (replaced at the first rotation's
    /// confirmation).
    fn open_legacy(&self, token: &GroupToken) -> Result<Arc<SqlCipherStore>, GroupError> {
        let id = token.group_id;
        let (is_legacy, any_legacy) = {
            let legacy = self.legacy.lock().unwrap_or_else(|e| e.into_inner());
            (legacy.contains(&id), !legacy.is_empty())
        };
        if !is_legacy {
            if let (true, Some(decoy)) = (any_legacy, &self.decoy) {
                // What a pre-slot group's refusal costs (see `decoy`); it never opens.
                let _ = SqlCipherStore::open(decoy, &token.key.0);
            }
            // The same lookup whether the group exists or not.
            let why = match self.record(&id) {
                Some(_) => WRONG_KEY,
                None => "an unknown group",
            };
            return Err(refused(why, Some(&id)));
        }
        let lock = self.life_lock(&id);
        let _life = lock.lock().unwrap_or_else(|e| e.into_inner());
        if self.record(&id).is_some() {
            // Upgraded by another request meanwhile (with this secret or not).
            drop(_life);
            return match self.verify(token) {
                Some(_) => self.open_file(token),
                None => Err(refused(WRONG_KEY, Some(&id))),
            };
        }
        let place = self.reserve()?;
        let store = match SqlCipherStore::open(&self.path(&id), &token.key.0) {
            Ok(s) => s,
            Err(StoreError::WrongKey | StoreError::NotFound) => {
                return Err(refused(WRONG_KEY, Some(&id)));
            }
            Err(e) => return Err(store_error(&id, "open the database", e)),
        };
        failpoint::hit("upgrade:before-write");
        let kek = keyslots::kek(&token.key.0, &id);
        let slot = Slot::wrap(&kek, &id, 0, &token.key.0, None)
            .map_err(|e| store_error(&id, "wrap the data key", e))?;
        self.save(&id, Record { slots: vec![slot] }, "upgrade")?;
        self.legacy
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
        failpoint::hit("upgrade:after-write");
        tracing::info!(group = %id, "group made before key slots: slot file written");
        let mut cache = self.lock();
        // The place taken above becomes the cache entry's.
        drop(place);
        let entry = cache.entry(id).or_insert(Entry {
            store: Arc::new(store),
            last_used: Instant::now(),
            proof: None,
        });
        Ok(entry.store.clone())
    }

    /// Starts a rotation: a fresh secret gets slot 1 next to the token's (which stays valid
    /// until the fresh one is used or confirmed) and is returned, to be shown once. A pending
    /// secret from an earlier rotation is replaced. The slot file is durable before this
    /// returns. Blocking.
    pub fn rotate(&self, token: &GroupToken) -> Result<GroupToken, GroupError> {
        if let Some(shared) = &self.shared {
            return shared.rotate(token);
        }
        let id = token.group_id;
        // Confirms or finishes whatever is pending for this secret first.
        drop(self.open(token)?);
        let lock = self.life_lock(&id);
        let _life = lock.lock().unwrap_or_else(|e| e.into_inner());
        let v = match self.verify(token) {
            Some(v) if v.index == 0 && v.previous.is_none() => v,
            Some(_) => return Err(GroupError::Conflict),
            None => return Err(refused(WRONG_KEY, Some(&id))),
        };
        let fresh = GroupToken {
            group_id: id,
            key: GroupToken::generate()?.key,
        };
        let fresh_kek = keyslots::kek(&fresh.key.0, &id);
        let slot = Slot::wrap(&fresh_kek, &id, 1, &v.data_key, None)
            .map_err(|e| store_error(&id, "wrap the data key", e))?;
        failpoint::hit("rotate:before-write");
        self.save(
            &id,
            Record {
                slots: vec![v.record.slots[0].clone(), slot],
            },
            "rotate",
        )?;
        failpoint::hit("rotate:after-write");
        if v.slots > 1 {
            tracing::info!(group = %id, "the pending secret of an earlier rotation is replaced");
        }
        Ok(fresh)
    }

    /// `POST /group/rotate-secret/confirm`: confirms the pending rotation with its new secret
    /// (as any request with it does). Blocking.
    pub fn confirm(&self, token: &GroupToken) -> Result<Confirmation, GroupError> {
        if let Some(shared) = &self.shared {
            return shared.confirm(token);
        }
        drop(self.open(token)?);
        match self.verify(token) {
            Some(v) if v.index == 0 && v.slots == 1 => Ok(Confirmation::Confirmed),
            Some(v) if v.index == 0 => Ok(Confirmation::OldSecret),
            // Replaced since: as if the secret were wrong.
            _ => Err(refused(WRONG_KEY, Some(&token.group_id))),
        }
    }

    /// Deletes the group of `token`: closes it, forgets it, removes its database file, the
    /// file's `-wal` and `-shm` companions, then its slot file. Its token is refused from then
    /// on. Blocking.
    pub fn delete(&self, token: &GroupToken) -> Result<(), GroupError> {
        if let Some(shared) = &self.shared {
            return shared.delete(token);
        }
        let id = token.group_id;
        drop(self.open(token)?);
        let lock = self.life_lock(&id);
        let _life = lock.lock().unwrap_or_else(|e| e.into_inner());
        if self.verify(token).is_none() {
            return Err(refused(WRONG_KEY, Some(&id)));
        }
        // Refused from here on, before any file goes.
        self.records
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
        self.forget(&id);
        remove_database(&self.path(&id)).map_err(|e| store_error(&id, "remove a file", e))?;
        keyslots::remove(&self.dir, &id)
            .map_err(|e| store_error(&id, "remove the key slots", e))?;
        self.life
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
        Ok(())
    }

    /// Drops the cache entry of `id`.
    fn forget(&self, id: &Uuid) {
        self.lock().remove(id);
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
        if let Some(shared) = &self.shared {
            shared.sweep(&self.audit_limits);
        }
        let open: Vec<(Uuid, Arc<SqlCipherStore>)> = self
            .lock()
            .iter()
            .map(|(id, e)| (*id, e.store.clone()))
            .collect();
        for (id, store) in open {
            prune_aged(&id, &*store, &self.audit_limits);
        }
        let now = Instant::now();
        self.lock()
            .retain(|_, e| now.duration_since(e.last_used) < self.idle || in_use(e));
    }

    /// How many groups are open.
    #[cfg(test)]
    pub fn open_count(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> CacheGuard<'_> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The most audit rows one sweep prunes by age in one group: a trail far past its age limit
/// goes over several sweeps, none of which holds the group (or opens rows) for long.
const PRUNED_PER_SWEEP: usize = 100_000;

/// Prunes the audit rows of an open group older than its retention policy, or the server's
/// `limits`, keep them, if either bounds them (at most [`PRUNED_PER_SWEEP`]); logs how many
/// went (never what they held). A group registered and not opened since takes the limits here.
pub(crate) fn prune_aged(id: &Uuid, store: &dyn ObjectStore, limits: &Limits) {
    let Some(count) = store.audit_count() else {
        return;
    };
    count.set_limits(limits);
    let Some(days) = count.max_age_days() else {
        return;
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let age = i64::try_from(days.saturating_mul(86_400)).unwrap_or(i64::MAX);
    match ekms_store::retention::prune_older_than(store, now.saturating_sub(age), PRUNED_PER_SWEEP)
    {
        Ok(0) => {}
        Ok(pruned) => {
            tracing::info!(group = %id, pruned, max_age_days = days, "audit rows past the group's age limit pruned");
        }
        Err(e) => {
            tracing::warn!(group = %id, "cannot prune the audit rows past the group's age limit: {e}")
        }
    }
}

/// Removes the database file `path` with its WAL and shared-memory files; one already gone is
/// no error.
fn remove_database(path: &Path) -> std::io::Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        match std::fs::remove_file(&name) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The decoy database (see [`Groups`]'s `decoy`): made afresh under a random key when `needed`,
/// removed otherwise.
fn make_decoy(data_dir: &Path, needed: bool) -> anyhow::Result<Option<PathBuf>> {
    let path = data_dir.join("pre-slot-decoy.db");
    remove_database(&path)?;
    if !needed {
        return Ok(None);
    }
    let key: Key = Zeroizing::new(ekms_crypto::rand::array()?);
    drop(SqlCipherStore::create(&path, &key, "decoy")?);
    Ok(Some(path))
}

/// Reads every slot file of `dir`; a database without one is a group made before key slots.
/// Leftovers of an interrupted write (`.keys.tmp`) and slot files without a database (an
/// interrupted registration or deletion: no one holds a secret that opens anything) are
/// removed.
type Loaded = (HashMap<Uuid, Arc<Record>>, HashSet<Uuid>);

fn load(dir: &Path) -> anyhow::Result<Loaded> {
    let (mut keys, mut dbs) = (HashSet::new(), HashSet::new());
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some((stem, ext)) = name.split_once('.') else {
            continue;
        };
        let Ok(id) = Uuid::try_parse(stem) else {
            continue;
        };
        if id.to_string() != stem {
            continue;
        }
        match ext {
            "keys" => {
                keys.insert(id);
            }
            "db" => {
                dbs.insert(id);
            }
            "keys.tmp" => {
                let _ = std::fs::remove_file(dir.join(name));
            }
            _ => {}
        }
    }
    let mut records = HashMap::new();
    for id in &keys {
        if !dbs.contains(id) {
            tracing::warn!(group = %id, "a key-slot file without a database: removed");
            keyslots::remove(dir, id)?;
            continue;
        }
        match keyslots::read(dir, id) {
            Ok(r) => {
                records.insert(*id, Arc::new(r));
            }
            // The group is refused until an operator looks: never guessed at.
            Err(e) => tracing::error!(group = %id, "cannot read the key-slot file: {e}"),
        }
    }
    let legacy = dbs.difference(&keys).copied().collect();
    Ok((records, legacy))
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
    fn only_the_canonical_token_is_accepted() {
        let t = GroupToken::generate().unwrap();
        let id = t.group_id.to_string();
        let key = hex::encode(*t.key.0);
        let enc = |json: String| URL_SAFE_NO_PAD.encode(json.as_bytes());
        let canonical = enc(format!("{{\"group_id\":\"{id}\",\"key\":\"{key}\"}}"));
        assert_eq!(*t.encode(), canonical);
        let back = GroupToken::parse(&canonical).unwrap();
        assert_eq!(back.group_id, t.group_id);
        let simple = t.group_id.simple().to_string();
        for other in [
            // Other spellings of the same group id.
            format!(
                "{{\"group_id\":\"{}\",\"key\":\"{key}\"}}",
                id.to_uppercase()
            ),
            format!("{{\"group_id\":\"{{{id}}}\",\"key\":\"{key}\"}}"),
            format!("{{\"group_id\":\"urn:uuid:{id}\",\"key\":\"{key}\"}}"),
            format!("{{\"group_id\":\"{simple}\",\"key\":\"{key}\"}}"),
            // Extra fields, another order, whitespace, an upper-case key.
            format!("{{\"group_id\":\"{id}\",\"key\":\"{key}\",\"x\":1}}"),
            format!("{{\"key\":\"{key}\",\"group_id\":\"{id}\"}}"),
            format!("{{ \"group_id\": \"{id}\", \"key\": \"{key}\" }}"),
            format!(
                "{{\"group_id\":\"{id}\",\"key\":\"{}\"}}",
                key.to_uppercase()
            ),
            format!("{{\"group_id\":\"{id}\",\"key\":\"{key}\"}}\n"),
        ] {
            assert!(GroupToken::parse(&enc(other.clone())).is_err(), "{other}");
        }
        // Around the base64 text: whitespace, padding, the standard alphabet.
        for other in [
            format!(" {canonical}"),
            format!("{canonical}\n"),
            format!("{canonical}="),
            base64::engine::general_purpose::STANDARD
                .encode(format!("{{\"group_id\":\"{id}\",\"key\":\"{key}\"}}").as_bytes()),
        ] {
            if other != canonical {
                assert!(GroupToken::parse(&other).is_err(), "{other}");
            }
        }
    }

    #[test]
    fn the_credential_wins_over_the_header_and_nothing_is_refused() {
        let a = GroupToken::generate().unwrap();
        let b = GroupToken::generate().unwrap();
        let (a_text, b_text) = (a.encode(), b.encode());
        let from =
            |c: Option<&str>, h: Option<&str>| GroupToken::presented(c, h).map(|t| t.group_id);
        assert_eq!(from(Some(&a_text), Some(&b_text)), Ok(a.group_id));
        assert_eq!(from(Some(&a_text), None), Ok(a.group_id));
        assert_eq!(from(None, Some(&b_text)), Ok(b.group_id));
        assert_eq!(from(None, None), Err(GroupError::Refused));
        // A malformed credential is refused even when the header holds a good secret.
        assert_eq!(from(Some("x"), Some(&b_text)), Err(GroupError::Refused));
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
        // Not open yet: no slot opens with it (no database is touched).
        assert_eq!(groups.open(&wrong).err(), Some(GroupError::Refused));
        groups.open(&t).unwrap();
        // Open: the cache is never consulted before the slots, which refuse it.
        assert_eq!(groups.open(&wrong).err(), Some(GroupError::Refused));
        assert_eq!(groups.open_count(), 1);
    }

    #[test]
    fn a_secret_that_opened_the_group_opens_it_again_while_the_slots_stay() {
        let dir = tempfile::tempdir().unwrap();
        let groups = Groups::new(dir.path(), 2, Duration::from_secs(60)).unwrap();
        let t = groups.register().unwrap();
        let id = t.group_id;
        let first = groups.open(&t).unwrap();
        let proven = |g: &Groups| g.lock().get(&id).and_then(|e| e.proof.as_ref()).is_some();
        assert!(proven(&groups), "the secret is remembered with the store");
        // The same secret: the same store, without the slots.
        assert!(groups.proven(&id, &fingerprint(&t)).is_some());
        let again = groups.open(&t).unwrap();
        assert!(Arc::ptr_eq(
            &(first as Arc<dyn ObjectStore>),
            &(again as Arc<dyn ObjectStore>)
        ));
        // Another key for the group matches no proof, and the slots refuse it.
        let wrong = GroupToken {
            group_id: id,
            key: GroupKey(Zeroizing::new([7u8; 32])),
        };
        assert!(groups.proven(&id, &fingerprint(&wrong)).is_none());
        assert_eq!(groups.open(&wrong).err(), Some(GroupError::Refused));
        // Slots changed (here: to slots no secret opens): the proof no longer counts, and the
        // remembered secret is checked against the new slots, which refuse it.
        let dummy = Record::dummy().unwrap();
        groups.set_record(id, dummy);
        assert!(groups.proven(&id, &fingerprint(&t)).is_none());
        assert_eq!(groups.open(&t).err(), Some(GroupError::Refused));
    }

    #[test]
    fn rotate_confirm_and_delete() {
        let dir = tempfile::tempdir().unwrap();
        let groups = Groups::new(dir.path(), 4, Duration::from_secs(60)).unwrap();
        let old = groups.register().unwrap();
        let old_copy = GroupToken::parse(&old.encode()).unwrap();
        let gdir = dir.path().join("groups");
        let first_data_key = keyslots::read(&gdir, &old.group_id).unwrap().slots[0]
            .unwrap(&keyslots::kek(&old.key.0, &old.group_id), &old.group_id, 0)
            .unwrap()
            .data_key;
        let new = groups.rotate(&old).unwrap();
        assert_eq!(new.group_id, old.group_id);
        // Pending: both open it, and the old one does not confirm.
        groups.open(&old_copy).unwrap();
        assert!(matches!(
            groups.confirm(&old_copy).unwrap(),
            Confirmation::OldSecret
        ));
        // A fresh process sees the same.
        let fresh = Groups::new(dir.path(), 4, Duration::from_secs(60)).unwrap();
        fresh.open(&old_copy).unwrap();
        drop(fresh);
        // The new one confirms: the old one is refused, cached or not.
        groups.open(&new).unwrap();
        assert!(groups.open(&old_copy).is_err());
        assert!(matches!(
            groups.confirm(&new).unwrap(),
            Confirmation::Confirmed
        ));
        let fresh = Groups::new(dir.path(), 4, Duration::from_secs(60)).unwrap();
        assert!(fresh.open(&old_copy).is_err());
        fresh.open(&new).unwrap();
        drop(fresh);
        // The data key was replaced: the database no longer opens with the first one.
        let slots = keyslots::read(&gdir, &new.group_id).unwrap();
        assert_eq!(slots.slots.len(), 1);
        let path = gdir.join(format!("{}.db", new.group_id));
        assert!(matches!(
            SqlCipherStore::open(&path, &first_data_key),
            Err(StoreError::WrongKey)
        ));
        assert!(groups.delete(&old_copy).is_err());
        groups.delete(&new).unwrap();
        assert!(groups.open(&new).is_err());
        assert!(no_files(dir.path()));
    }

    #[test]
    fn start_up_loads_slots_finds_pre_slot_groups_and_cleans_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let groups = Groups::new(dir.path(), 4, Duration::from_secs(60)).unwrap();
        let t = groups.register().unwrap();
        drop(groups);
        let gdir = dir.path().join("groups");
        // A database made before key slots, an interrupted write, a slot file without a
        // database, and a file that is not a group's.
        let legacy = Uuid::new_v4();
        drop(SqlCipherStore::create(&gdir.join(format!("{legacy}.db")), &[7u8; 32], "x").unwrap());
        let tmp = gdir.join(format!("{}.keys.tmp", t.group_id));
        std::fs::write(&tmp, b"partial").unwrap();
        let orphan = Uuid::new_v4();
        std::fs::copy(
            keyslots::path(&gdir, &t.group_id),
            keyslots::path(&gdir, &orphan),
        )
        .unwrap();
        std::fs::write(gdir.join("README"), b"x").unwrap();
        let groups = Groups::new(dir.path(), 4, Duration::from_secs(60)).unwrap();
        assert!(!tmp.exists());
        assert!(!keyslots::path(&gdir, &orphan).exists());
        assert!(gdir.join("README").exists());
        groups.open(&t).unwrap();
        let (records, pre_slot) = load(&gdir).unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(pre_slot.into_iter().collect::<Vec<_>>(), vec![legacy]);
        // The pre-slot group opens with its key, and then has its slot file.
        let token = GroupToken {
            group_id: legacy,
            key: GroupKey(Zeroizing::new([7u8; 32])),
        };
        groups.open(&token).unwrap();
        assert!(keyslots::path(&gdir, &legacy).exists());
    }

    #[test]
    fn the_slot_file_holds_no_key() {
        let dir = tempfile::tempdir().unwrap();
        let groups = Groups::new(dir.path(), 4, Duration::from_secs(60)).unwrap();
        let t = groups.register().unwrap();
        let new = groups.rotate(&t).unwrap();
        let text = std::fs::read(keyslots::path(&dir.path().join("groups"), &t.group_id)).unwrap();
        for k in [&*t.key.0, &*new.key.0] {
            assert!(!text.windows(32).any(|w| w == k));
            let h = hex::encode(k);
            assert!(!String::from_utf8_lossy(&text).contains(&h));
        }
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
        let busy = groups.open(&b).err().unwrap();
        assert_eq!(busy, GroupError::Busy { retry_after: 1 });
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
