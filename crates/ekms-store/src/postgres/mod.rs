//! The engine of several nodes: every group in one PostgreSQL database, each row sealed under
//! keys only the group's data key gives (see [`seal`]), so the database operator learns no
//! key, name or attribute, and a row moved, swapped or put back is reported as
//! [`StoreError::Tampered`].
//!
//! By concern:
//! - [`schema`]: the shared tables and their versioned migrations;
//! - [`seal`]: the derived keys, the sealed rows and the blind indexes;
//! - [`tx`]: a transaction's reads and writes ([`crate::StoreTx`], [`crate::AccessTx`]);
//! - [`slots`]: each group's key slots, which the server keeps here so that nodes keep none;
//! - [`request`]: one request's view of a group ([`PgRequest`]), served from the caches while
//!   the group version its first query read shows no change;
//! - [`conn`]: a pooled connection and the statements it prepared;
//! - [`coalesce`]: that first query shared by the concurrent requests of a group, each using
//!   only a read that started after it arrived;
//! - [`cache`]: the objects a store opened, by row version, and the uids of its rows by blind
//!   index, for Locate;
//! - [`audit`]: group commit of the audit rows of transactions that wrote nothing else;
//! - [`audit_row`]: the plaintext of a sealed audit row;
//! - [`usage`]: the groups and the bytes of sealed rows, for the server's capacity limits;
//! - this module: the connection pool ([`PgPool`], shared by every group of a process), the
//!   group record and the [`ObjectStore`] implementation ([`PgStore`], one per group).
//!
//! **Audit retention** ([`crate::retention`]): the group's policy is two entries of the group
//! record's metadata, so it is sealed, rides the version and the chain, and a store takes it
//! from every newer record it sees (a node learns of a change made on another when it reads
//! the new version). The count of the group's rows is kept in the store: `count(*)` when the
//! group is opened, one more per row admitted, counted again after a prune and by
//! [`PgStore::recount_audit`] (the server's sweep), which picks up the rows other nodes wrote.
//! So with several nodes a group may pass its cap by what the other nodes wrote since the last
//! count; no row is ever dropped to make room.
//!
//! **The group record** is one sealed row per group (`ekms_groups.record`): the group's
//! version, the row version of every object (the group version of its last write), the grants
//! and the metadata, with the hash chain of the group's commits. A writing transaction locks it (`SELECT … FOR NO KEY UPDATE`, which,
//! unlike `FOR UPDATE`, does not wait for the key-share locks that other transactions' audit
//! rows take through their foreign key), so the writers of
//! a group take turns across all nodes, and rewrites it at commit with the next version. Every
//! object read checks its row version against the record: a single row put back at an older
//! version while the group moved on no longer matches, and a store refuses a record older
//! than a version it saw committed before the read began (the whole group put back while it
//! ran). Reads take no lock: a transaction whose
//! first need is a read runs in `REPEATABLE READ` (one snapshot, so the record and the rows it
//! reads agree); if it then writes after another writer committed, it fails with
//! [`StoreError::Changed`] having written nothing. A transaction whose first need is a write
//! takes the lock first and never fails that way; so does every later transaction of a
//! request ([`PgRequest`]) one of whose transactions failed that way: the server's rerun of the
//! operation waits for the writers ahead of it instead of failing again.
//!
//! Each pooled connection prepares a statement the first time it runs it and keeps it
//! ([`conn`]): later runs are one round trip, and PostgreSQL neither parses nor plans them again.
//!
//! The blocking `postgres` client is used, with an `r2d2` pool: the store trait is synchronous
//! and the server calls it off its async runtime, so an async client would only add a runtime
//! to drive it.

mod audit;
mod audit_row;
mod cache;
mod coalesce;
mod conn;
mod request;
pub mod schema;
mod seal;
mod slots;
mod tx;
mod usage;

pub use usage::Usage;

use crate::{Derived, End, Grant, ObjectStore, StoreError, StoreTx};
use cache::{ObjectCache, UidIndex};
use postgres::NoTls;
use postgres::types::Type;
use seal::GroupKeys;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tx::PgTx;
use zeroize::Zeroizing;

pub use request::{GroupEntry, PgRequest};
pub use schema::SCHEMA_VERSION;

/// The default scan bound ([`PgPool::with_scan_bound`]): rows one Locate (or owner listing)
/// may open, and audit rows one listing opens.
pub const DEFAULT_SCAN_BOUND: usize = 10_000;

/// How long opening a connection may take before the database counts as unreachable, when the
/// URL does not say (`connect_timeout`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a request waits for a pooled connection before the store answers that it is
/// unavailable: an outage of the database is reported within it, never as a hang.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(3);

/// How long a request that already found the database unavailable waits for a connection
/// ([`PgRequest`]): one that meets the outage twice (its operation, then the audit row of its
/// failure) is answered within one full wait and this.
const SHORT_CHECKOUT: Duration = Duration::from_millis(250);

use conn::{Manager, PgConn};
type Conn = r2d2::PooledConnection<Manager>;

/// An error and its causes, `: `-separated (a connection error names its cause only there).
fn reason(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
        let code = e.code().map(postgres::error::SqlState::code);
        if e.code() == Some(&postgres::error::SqlState::T_R_SERIALIZATION_FAILURE) {
            StoreError::Changed
        } else if e.is_closed()
            || e.as_db_error().is_none()
            // Connection exceptions (08), the server shutting down or starting (57P), too many
            // connections (53300): the database is not there to answer.
            || code.is_some_and(|c| c.starts_with("08") || c.starts_with("57P") || c == "53300")
        {
            StoreError::Unavailable(reason(&e))
        } else {
            StoreError::Postgres(e)
        }
    }
}

/// The connections to one PostgreSQL database, shared by every group store of a process.
#[derive(Clone)]
pub struct PgPool {
    pool: Arc<Connections>,
    /// The audit rows of transactions that wrote nothing else, committed together.
    audit: Arc<audit::AuditQueue>,
    /// The version reads in flight, shared by the concurrent requests of a group
    /// ([`PgPool::entry`]).
    entries: Arc<coalesce::Coalescer<GroupEntry>>,
    /// How many version reads this pool ran ([`PgPool::entry_reads`]).
    entry_reads: Arc<AtomicU64>,
    /// How many statements its connections prepared ([`PgPool::statements_prepared`]).
    prepares: Arc<AtomicU64>,
    /// See [`PgPool::with_scan_bound`].
    scan_bound: usize,
    /// The hosts and ports of the URL, for messages (never the password).
    hosts: String,
}

/// The connection pool, shared by every clone of a [`PgPool`] (and every group opened from
/// one). The blocking client closes a connection through a small runtime of its own, which
/// cannot start on a thread that drives an async runtime: the server drops its state, pools
/// included, on such a thread when it shuts down. So the pool is closed on a thread of its own.
struct Connections(Option<r2d2::Pool<Manager>>);

impl Connections {
    fn pool(&self) -> Result<&r2d2::Pool<Manager>, StoreError> {
        self.0
            .as_ref()
            .ok_or_else(|| StoreError::Unavailable("the connection pool is closed".to_string()))
    }
}

impl Drop for Connections {
    fn drop(&mut self) {
        if let Some(pool) = self.0.take() {
            std::thread::scope(|s| {
                s.spawn(move || drop(pool));
            });
        }
    }
}

impl std::fmt::Debug for PgPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgPool({})", self.hosts)
    }
}

/// `host:port` of every host of `config`, as a message names them.
fn hosts(config: &postgres::Config) -> String {
    let ports = config.get_ports();
    config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
            match h {
                postgres::config::Host::Tcp(h) => format!("{h}:{port}"),
                postgres::config::Host::Unix(p) => format!("{}:{port}", p.display()),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl PgPool {
    /// Connects to the database of `url` (libpq's forms: `postgres://user@host1:5432,host2/db
    /// ?target_session_attrs=read-write`, or `host=… port=… dbname=…`), with `password`
    /// given apart from the URL, and brings its schema to [`SCHEMA_VERSION`]. At most
    /// `pool_size` connections are open at once. A URL carrying a password is refused, so that
    /// no URL a log or a page shows holds one; an unreachable database is
    /// [`StoreError::Unavailable`] naming the hosts and the reason.
    pub fn connect(url: &str, password: Option<&str>, pool_size: u32) -> Result<Self, StoreError> {
        let mut config: postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Unavailable(format!("the database URL is not valid: {e}")))?;
        if config.get_password().is_some() {
            return Err(StoreError::Unavailable(
                "the database URL carries a password: remove it from the URL and give it in the password file".into(),
            ));
        }
        if let Some(p) = password {
            config.password(p);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let hosts = hosts(&config);
        let mut first = config.connect(NoTls).map_err(|e| {
            StoreError::Unavailable(format!(
                "cannot connect to PostgreSQL at {hosts}: {}",
                reason(&e)
            ))
        })?;
        schema::migrate(&mut first)?;
        drop(first);
        let prepares = Arc::new(AtomicU64::new(0));
        let pool = r2d2::Pool::builder()
            .max_size(pool_size.max(1))
            .min_idle(Some(0))
            // A connection the server closed shows as such (`is_closed`) and is replaced; a
            // test query per checkout would cost a round trip per request.
            .test_on_check_out(false)
            .connection_timeout(CHECKOUT_TIMEOUT)
            .build(Manager::new(config, prepares.clone()))
            .map_err(|e| StoreError::Unavailable(format!("PostgreSQL at {hosts}: {e}")))?;
        Ok(Self {
            pool: Arc::new(Connections(Some(pool))),
            audit: Arc::default(),
            entries: Arc::default(),
            entry_reads: Arc::default(),
            prepares,
            hosts,
            scan_bound: DEFAULT_SCAN_BOUND,
        })
    }

    /// Sets the scan bound of the groups opened from now on (at least 1): a Locate that would
    /// open more rows than this is refused ([`StoreError::TooMany`]) rather than answered in
    /// part (Maximum Items pages through more), and an audit listing opens the newest this
    /// many rows of the group and filters them (older rows are not searched by one listing).
    pub fn with_scan_bound(mut self, rows: usize) -> Self {
        self.scan_bound = rows.max(1);
        self
    }

    /// How many statements this pool's connections prepared: each connection prepares a
    /// statement once ([`conn`]), so this stays near the statements used times the connections
    /// however many requests ran.
    pub fn statements_prepared(&self) -> u64 {
        self.prepares.load(Ordering::Relaxed)
    }

    /// The hosts this pool connects to (`host:port, …`), for messages.
    pub fn hosts(&self) -> &str {
        &self.hosts
    }

    /// Whether the database answers now: one round trip on a pooled connection (a stale one
    /// is replaced, as for a request); [`StoreError::Unavailable`] naming the reason if not.
    pub fn ping(&self) -> Result<(), StoreError> {
        self.with_first(|c| c.batch_execute("SELECT 1").map_err(StoreError::from))
            .map(drop)
    }

    fn get(&self) -> Result<Conn, StoreError> {
        self.get_within(CHECKOUT_TIMEOUT)
    }

    /// A connection, waiting at most `wait` for one.
    fn get_within(&self, wait: Duration) -> Result<Conn, StoreError> {
        if crate::ticket::refuse_blocking() {
            return Err(crate::ticket::refused());
        }
        self.pool.pool()?.get_timeout(wait).map_err(|e| {
            StoreError::Unavailable(format!(
                "no connection to PostgreSQL at {}: {e}",
                self.hosts
            ))
        })
    }

    /// Runs `first` on a pooled connection and returns the connection. `first` must be safe to
    /// run again (a `BEGIN`, a read): a connection the database closed since it was last used
    /// (a restart of PostgreSQL) fails it, and it runs again on the next connection, a new one
    /// once the stale ones are gone, so the first request after an outage is served.
    fn with_first<T>(
        &self,
        first: impl FnMut(&mut PgConn) -> Result<T, StoreError>,
    ) -> Result<(Conn, T), StoreError> {
        self.with_first_within(CHECKOUT_TIMEOUT, first)
    }

    /// [`PgPool::with_first`], waiting at most `wait` for each connection.
    fn with_first_within<T>(
        &self,
        wait: Duration,
        mut first: impl FnMut(&mut PgConn) -> Result<T, StoreError>,
    ) -> Result<(Conn, T), StoreError> {
        let mut attempts = self.pool.pool()?.max_size() + 1;
        loop {
            let mut conn = self.get_within(wait)?;
            match first(&mut conn) {
                Ok(t) => return Ok((conn, t)),
                Err(StoreError::Unavailable(_)) if attempts > 1 => {
                    attempts -= 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Creates the group `group_id`, sealed under `data_key`: empty but for the default grant
    /// (`*`, `*`, `create`). [`StoreError::Conflict`] if it exists.
    pub fn create_group(&self, group_id: &str, data_key: &[u8; 32]) -> Result<PgStore, StoreError> {
        self.create_group_with(group_id, data_key, None)
    }

    /// As [`PgPool::create_group`], with the group's key slots (see [`slots`]) written in the
    /// same transaction: a group never exists without them.
    fn create_group_with(
        &self,
        group_id: &str,
        data_key: &[u8; 32],
        key_slots: Option<&[u8]>,
    ) -> Result<PgStore, StoreError> {
        let store = PgStore::new(self.clone(), GroupKeys::derive(data_key, group_id)?);
        // A new group has no audit row: the store's count (0) is right.
        let record = GroupRecord {
            version: 0,
            chain: crate::GENESIS_CHAIN,
            rows: BTreeMap::new(),
            grants: vec![Grant {
                uid: "*".into(),
                user: "*".into(),
                right: "create".into(),
            }],
            meta: BTreeMap::from([("group_id".to_string(), group_id.to_string())]),
        };
        let sealed = record.seal(&store.keys)?;
        let mut conn = self.get()?;
        let mut tx = conn.transaction()?;
        let n = tx.execute(
            "INSERT INTO ekms_groups(group_id, key_check, version, record) VALUES ($1, $2, 0, $3)
             ON CONFLICT (group_id) DO NOTHING",
            &[&group_id, &store.keys.check_value(), &sealed],
        )?;
        if n == 0 {
            return Err(StoreError::Conflict(group_id.to_string()));
        }
        if let Some(key_slots) = key_slots {
            tx.execute(
                "INSERT INTO ekms_key_slots(group_id, slots) VALUES ($1, $2)",
                &[&group_id, &key_slots],
            )?;
        }
        tx.commit()?;
        // Committed by this store: its first transaction need not read it back, and the
        // group's (empty) retention policy is the store's from the start.
        store.saw(&Arc::new(record));
        Ok(store)
    }

    /// Opens the group `group_id` with its data key: [`StoreError::NotFound`] if there is no
    /// such group, [`StoreError::WrongKey`] if `data_key` is not its key,
    /// [`StoreError::Tampered`] if its record does not open.
    pub fn open_group(&self, group_id: &str, data_key: &[u8; 32]) -> Result<PgStore, StoreError> {
        let keys = GroupKeys::derive(data_key, group_id)?;
        let (_, row) = self.with_first(|c| {
            Ok(c.query_prepared_opt(
                "SELECT key_check FROM ekms_groups WHERE group_id = $1",
                &[(&group_id, Type::TEXT)],
            )?)
        })?;
        let Some(row) = row else {
            return Err(StoreError::NotFound);
        };
        if !keys.checks(row.get::<_, &[u8]>(0)) {
            return Err(StoreError::WrongKey);
        }
        let store = PgStore::new(self.clone(), keys);
        // Reading the record takes the retention policy in.
        store.version()?;
        store.recount_audit()?;
        Ok(store)
    }
}

/// The sealed record of a group (see the module documentation).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
struct GroupRecord {
    version: u64,
    /// The hash chain of the group's commits (`ekms_crypto::group_state`); a record sealed
    /// before chains began has none and starts from the genesis chain.
    #[serde(default)]
    chain: [u8; 32],
    /// uid → row version.
    rows: BTreeMap<String, u64>,
    /// Sorted by uid, user, right.
    grants: Vec<Grant>,
    meta: BTreeMap<String, String>,
}

impl GroupRecord {
    fn seal(&self, keys: &GroupKeys) -> Result<Vec<u8>, StoreError> {
        let plain = Zeroizing::new(
            serde_json::to_vec(self).map_err(|e| StoreError::Commit(e.to_string()))?,
        );
        keys.seal("group", b"", self.version, &plain)
    }

    /// Opens the record stored with the group's `version` column.
    fn open(keys: &GroupKeys, version: i64, sealed: &[u8]) -> Result<Self, StoreError> {
        let tampered = || {
            StoreError::Tampered(format!(
                "the record of group {} does not open at version {version}",
                keys.group_id()
            ))
        };
        let v = u64::try_from(version).map_err(|_| tampered())?;
        let plain = keys.open("group", b"", v, sealed).ok_or_else(tampered)?;
        let record: Self = serde_json::from_slice(&plain).map_err(|_| tampered())?;
        if record.version != v {
            return Err(tampered());
        }
        Ok(record)
    }

    /// Reads the group's record; with `lock`, locks it for this transaction's writes. When the
    /// stored version is that of `cached` (a record this store opened or committed itself), the
    /// database does not send the sealed record and `cached` serves: decrypting and parsing it
    /// costs in proportion to the group's objects, on every request.
    fn load(
        c: &mut PgConn,
        keys: &GroupKeys,
        lock: bool,
        cached: Option<Arc<Self>>,
    ) -> Result<Arc<Self>, StoreError> {
        let sql = if lock {
            "SELECT version, CASE WHEN version = $2 THEN NULL ELSE record END
             FROM ekms_groups WHERE group_id = $1 FOR NO KEY UPDATE"
        } else {
            "SELECT version, CASE WHEN version = $2 THEN NULL ELSE record END
             FROM ekms_groups WHERE group_id = $1"
        };
        let cached_version = cached.as_ref().map_or(-1, |r| tx::int(r.version));
        let row = c
            .query_prepared_opt(
                sql,
                &[
                    (&keys.group_id(), Type::TEXT),
                    (&cached_version, Type::INT8),
                ],
            )?
            .ok_or_else(|| {
                StoreError::Tampered(format!(
                    "group {} is gone from the database",
                    keys.group_id()
                ))
            })?;
        match (row.get::<_, Option<&[u8]>>(1), cached) {
            (Some(sealed), _) => Ok(Arc::new(Self::open(keys, row.get(0), sealed)?)),
            (None, Some(cached)) => Ok(cached),
            (None, None) => Err(StoreError::Tampered(format!(
                "group {} has no record",
                keys.group_id()
            ))),
        }
    }
}

/// One group of a [`PgPool`]'s database, opened with its data key.
pub struct PgStore {
    pool: PgPool,
    keys: GroupKeys,
    /// The highest group version this store has seen committed: a later read of an older one
    /// means the whole group was put back while this process ran.
    seen: AtomicU64,
    /// The newest group record this store opened or committed (see [`GroupRecord::load`]).
    cached: Mutex<Option<Arc<GroupRecord>>>,
    /// The objects this store opened or committed, by row version (see [`cache`]).
    objects: Mutex<ObjectCache>,
    /// The uids of the rows its records listed, by blind index, for Locate ([`UidIndex`]).
    uids: Mutex<UidIndex>,
    /// The group's audit rows against its retention policy (see the module documentation).
    audit: crate::retention::AuditCount,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgStore({})", self.keys.group_id())
    }
}

impl PgStore {
    fn new(pool: PgPool, keys: GroupKeys) -> Self {
        Self {
            pool,
            keys,
            seen: AtomicU64::new(0),
            cached: Mutex::new(None),
            objects: Mutex::default(),
            uids: Mutex::default(),
            audit: crate::retention::AuditCount::new(0),
        }
    }

    /// Counts the group's audit rows in the table (`count(*)`, an index-only scan of the
    /// group's part of the primary key) and sets [`PgStore`]'s count from it, the rows admitted
    /// meanwhile added ([`crate::retention::AuditCount::set_rows_since`]). Returns the count.
    pub fn recount_audit(&self) -> Result<u64, StoreError> {
        let start = self.audit.rows();
        let (_, n) = self.pool.with_first(|c| {
            Ok(c.query_typed_one(
                "SELECT count(*) FROM ekms_audit WHERE group_id = $1",
                &[(&self.keys.group_id(), Type::TEXT)],
            )?
            .get::<_, i64>(0))
        })?;
        self.audit
            .set_rows_since(start, u64::try_from(n).unwrap_or(0));
        Ok(self.audit.rows())
    }

    /// The group's id.
    pub fn group_id(&self) -> &str {
        self.keys.group_id()
    }

    /// Sets a group metadata entry (for example `admin`), replacing any previous value, in a
    /// transaction of its own that takes the group's next version. Durable on return.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let mut tx = PgTx::new(self);
        match tx.set_meta(key, value) {
            Ok(()) => tx.finish(End::Commit).map(|_| ()),
            Err(e) => {
                let _ = tx.finish(End::RollBack);
                Err(e)
            }
        }
    }

    /// Reads the group's record (locked for this transaction's writes with `lock`), refusing
    /// one older than `floor`, a version this store saw committed before the reading
    /// transaction began ([`PgStore::floor`] then): a version never goes back, so the whole
    /// group was put back meanwhile.
    fn load(&self, c: &mut PgConn, lock: bool, floor: u64) -> Result<Arc<GroupRecord>, StoreError> {
        let record = GroupRecord::load(c, &self.keys, lock, self.cached_record())?;
        if record.version < floor {
            return Err(StoreError::Tampered(format!(
                "group {} is at version {}, older than version {floor} seen before: the whole group was rolled back",
                self.keys.group_id(),
                record.version
            )));
        }
        self.saw(&record);
        Ok(record)
    }

    /// The highest group version this store has seen committed.
    fn floor(&self) -> u64 {
        self.seen.load(Ordering::SeqCst)
    }

    fn cached_record(&self) -> Option<Arc<GroupRecord>> {
        self.cached
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Notes a group record seen committed (read, or committed by this store): its version,
    /// and the record itself for later reads if it is the newest seen.
    /// The retention policy is taken from it then.
    fn saw(&self, record: &Arc<GroupRecord>) {
        self.seen.fetch_max(record.version, Ordering::SeqCst);
        let mut cached = self.cached.lock().unwrap_or_else(|e| e.into_inner());
        if cached.as_ref().is_none_or(|c| c.version < record.version) {
            let entry = |key| record.meta.get(key).map(String::as_str);
            self.audit.set_policy(
                entry(crate::retention::MAX_ROWS_META_KEY),
                entry(crate::retention::MAX_AGE_META_KEY),
            );
            *cached = Some(record.clone());
        }
    }

    fn object_cache(&self) -> std::sync::MutexGuard<'_, ObjectCache> {
        self.objects.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn uid_index(&self) -> std::sync::MutexGuard<'_, UidIndex> {
        self.uids.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A group metadata entry, if set.
    pub fn get_meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        let (_, record) = self
            .pool
            .with_first(|c| self.load(c, false, self.floor()))?;
        Ok(record.meta.get(key).cloned())
    }
}

impl ObjectStore for PgStore {
    fn audit_count(&self) -> Option<&crate::retention::AuditCount> {
        Some(&self.audit)
    }

    /// The count is then taken from the table again ([`PgStore::recount_audit`]).
    fn prune_audit(&self, through: i64) -> Result<u64, StoreError> {
        let (_, n) = self.pool.with_first(|c| {
            Ok(c.execute(
                "DELETE FROM ekms_audit WHERE group_id = $1 AND seq <= $2",
                &[&self.keys.group_id(), &through],
            )?)
        })?;
        self.recount_audit()?;
        Ok(n)
    }

    fn run_transaction(
        &self,
        body: &mut dyn FnMut(&mut dyn StoreTx) -> End,
    ) -> Result<Option<u64>, StoreError> {
        PgTx::new(self).run(body)
    }

    fn run_transaction_locked(
        &self,
        body: &mut dyn FnMut(&mut dyn StoreTx) -> End,
    ) -> Result<Option<u64>, StoreError> {
        PgTx::new(self).locking().run(body)
    }

    fn attach(&self, uid: &str, material: &[u8], derived: Arc<dyn std::any::Any + Send + Sync>) {
        self.object_cache()
            .attach(uid, material, Derived(Some(derived)));
    }

    fn version(&self) -> Result<u64, StoreError> {
        let (_, record) = self
            .pool
            .with_first(|c| self.load(c, false, self.floor()))?;
        Ok(record.version)
    }

    /// The newest record this store saw committed, which every transaction of it that
    /// returned has read or written: no query when there is one (the request's own first
    /// query read the record already).
    fn state(&self) -> Result<crate::GroupState, StoreError> {
        let record = match self.cached_record() {
            Some(r) => r,
            None => {
                self.pool
                    .with_first(|c| self.load(c, false, self.floor()))?
                    .1
            }
        };
        Ok(crate::GroupState {
            version: record.version,
            chain: record.chain,
        })
    }
}
