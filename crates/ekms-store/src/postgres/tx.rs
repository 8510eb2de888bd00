//! Transactions of the PostgreSQL engine: [`PgTx`], one trait transaction on one pooled
//! connection, and its [`StoreTx`] and [`AccessTx`] implementation.
//!
//! The PostgreSQL transaction begins at the first need, as a write (`READ COMMITTED`, the
//! group record locked at once) or as a read (`REPEATABLE READ`, the lock taken at the first
//! write; see the parent module). Objects are rows of their own, written as they go; the group
//! record (row versions, grants, metadata) is kept in memory and written once, at commit, with
//! the group's next version. Every row read is opened and checked against the record.
//!
//! A transaction of a request that read the group's version first ([`super::PgRequest`])
//! begins no PostgreSQL transaction while the store's caches serve it: the cached group record
//! if it is at least that version (else the record read outside any transaction, then used
//! the same way), cached objects at the row version it lists (an object the
//! store already opened and checked is served from memory; a row tampered with since is seen
//! by the first read of it from the database: another node's, or after a restart or an
//! eviction; other transactions read every row from the database), and an object
//! missing from the cache read as one row outside any transaction (a row newer than the record
//! in hand means the group changed meanwhile: [`StoreError::Changed`]). Needing more (a write,
//! a Locate), it begins one and checks that the group is still at the record's version.
//!
//! Audit rows wait in the transaction until it ends: written with its other writes by the
//! same commit, or, if it began no PostgreSQL transaction, by a group commit of the pool
//! ([`super::audit`]); either way durable before the transaction returns.

use super::cache::UidIndex;
use super::conn::PgConn;
use super::seal::GroupKeys;
use super::{Conn, GroupRecord, PgStore};
use crate::{
    AccessTx, AuditFilter, AuditRow, End, Grant, LocateQuery, StoreError, StoreTx, StoredObject,
};
use postgres::types::{ToSql, Type};
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// One trait transaction (see the module documentation).
pub(super) struct PgTx<'s> {
    store: &'s PgStore,
    /// Set once the PostgreSQL transaction has begun.
    conn: Option<Conn>,
    /// Shared with the store's cache until this transaction writes (then copied).
    record: Option<Arc<GroupRecord>>,
    /// The highest group version the store had seen committed when this transaction began:
    /// no snapshot it reads can be older (see [`PgStore::load`]).
    floor: u64,
    /// Whether the group record is locked for this transaction's writes.
    locked: bool,
    /// Whether this transaction wrote objects, grants or metadata (it takes a group version).
    wrote: bool,
    /// Whether a statement failed outside a savepoint rolled back since: PostgreSQL has then
    /// aborted the transaction, and a commit must not report success.
    failed: bool,
    /// The group version the request's first query read, if any: caches at least that new
    /// serve (see the module documentation).
    fresh: Option<u64>,
    /// Whether to lock the group record at the first need, whatever it is.
    lock_first: bool,
    /// How long to wait for a connection (shorter for a request that met an outage).
    wait: Duration,
    /// Set when this transaction finds that another writer committed under it, whatever its
    /// body then makes of the error (the request's next transactions lock first).
    lost_race: Option<&'s AtomicBool>,
    /// The audit rows of this transaction, with their sealed form, in order.
    audits: Vec<(AuditRow, Vec<u8>)>,
    /// The objects this transaction wrote, with their row version: cached once committed.
    written: Vec<(StoredObject, u64)>,
    /// What this transaction read of the group record before it began a PostgreSQL
    /// transaction (see [`Reads`]).
    reads: Reads,
}

/// What a transaction served from a cached group record read of it: when it must then begin
/// a PostgreSQL transaction and finds the group moved on, it goes on with the newer record
/// if every one of these reads would have read the same there (a creator that read the grants
/// and found its new uid free is not disturbed by other creators), and fails with
/// [`StoreError::Changed`] otherwise.
#[derive(Default)]
struct Reads {
    grants: bool,
    meta: bool,
    /// Objects read: uid → the row version the record listed (`None`: no such object).
    rows: HashMap<String, Option<u64>>,
    /// A Locate or a listing: any new or changed object may change its answer.
    all: bool,
}

impl Reads {
    fn still_hold(&self, seen: &GroupRecord, now: &GroupRecord) -> bool {
        !self.all
            && (!self.grants || seen.grants == now.grants)
            && (!self.meta || seen.meta == now.meta)
            && self
                .rows
                .iter()
                .all(|(uid, rv)| now.rows.get(uid).copied() == *rv)
    }
}

pub(super) fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Opens the row of `uid` read from the database (`row`: its row version and sealed bytes)
/// and checks it against the row version the group record lists (`listed`).
fn check_row(
    keys: &GroupKeys,
    uid: &str,
    listed: Option<u64>,
    row: Option<(i64, Vec<u8>)>,
) -> Result<Option<StoredObject>, StoreError> {
    let tampered = |why: String| Err(StoreError::Tampered(format!("object {uid}: {why}")));
    match (listed, row) {
        (None, None) => Ok(None),
        (Some(_), None) => {
            tampered("its row is missing, though the group's record lists it".into())
        }
        (None, Some(_)) => tampered("a row exists that the group's record does not list".into()),
        (Some(want), Some((rv, _))) if u64::try_from(rv).ok() != Some(want) => tampered(format!(
            "its row is at version {rv} but the group's record says {want}: an older copy was put back"
        )),
        (Some(want), Some((_, sealed))) => keys.open_object(uid, want, &sealed).map(Some),
    }
}

/// Whether the opened object `o` meets the query: the blind indexes chose it, and a row whose
/// index columns were altered must not pass for what it is not.
fn meets(q: &LocateQuery, o: &StoredObject, granted: &HashSet<String>) -> bool {
    q.object_type.is_none_or(|t| t == o.object_type)
        && q.state.is_none_or(|s| s == o.state)
        && q.algorithm.is_none_or(|a| Some(a) == o.algorithm)
        && q.owner.as_ref().is_none_or(|w| *w == o.owner)
        && q.name.as_ref().is_none_or(|n| o.names.contains(n))
        && q.visible_to
            .as_ref()
            .is_none_or(|u| *u == o.owner || granted.contains(&o.uid))
}

impl<'s> PgTx<'s> {
    pub(super) fn new(store: &'s PgStore) -> Self {
        Self {
            store,
            conn: None,
            record: None,
            floor: 0,
            locked: false,
            wrote: false,
            failed: false,
            fresh: None,
            lock_first: false,
            wait: super::CHECKOUT_TIMEOUT,
            lost_race: None,
            audits: Vec::new(),
            written: Vec::new(),
            reads: Reads::default(),
        }
    }

    /// The transaction of a request whose first query read the group version `fresh`,
    /// locking the group record at once if `lock_first`, waiting at most `wait` for a
    /// connection.
    pub(super) fn serving(
        mut self,
        fresh: Option<u64>,
        lost_race: &'s AtomicBool,
        wait: Duration,
    ) -> Self {
        self.fresh = fresh;
        self.lock_first = lost_race.load(Ordering::SeqCst);
        self.lost_race = Some(lost_race);
        self.wait = wait;
        self
    }

    /// This transaction begun as a write: the group record locked before anything else, so it
    /// never fails with [`StoreError::Changed`] ([`crate::ObjectStore::run_transaction_locked`]).
    pub(super) fn locking(mut self) -> Self {
        self.lock_first = true;
        self
    }

    /// The error of a transaction that another writer's commit overtook, noted.
    fn changed(&self) -> StoreError {
        if let Some(lost) = self.lost_race {
            lost.store(true, Ordering::SeqCst);
        }
        StoreError::Changed
    }

    /// Runs `body` in this transaction and ends it as the body says (rolled back on a panic,
    /// which goes on to the caller).
    pub(super) fn run(
        mut self,
        body: &mut dyn FnMut(&mut dyn StoreTx) -> End,
    ) -> Result<Option<u64>, StoreError> {
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(&mut self)));
        match ran {
            Ok(end) => self.finish(end),
            Err(panic) => {
                let _ = self.finish(End::RollBack);
                std::panic::resume_unwind(panic)
            }
        }
    }

    /// The store's cached group record, if it may serve this transaction without a database
    /// transaction: the request read the version first, and the record is at least as new
    /// (and no rollback of the group shows, which the database read reports).
    fn cached_record(&self) -> Option<Arc<GroupRecord>> {
        let fresh = self.fresh?;
        if self.lock_first || self.conn.is_some() || fresh < self.store.floor() {
            return None;
        }
        self.store.cached_record().filter(|r| r.version >= fresh)
    }

    /// A query of the audit trail: a log, not the group's state, so no snapshot of the record
    /// is needed, and outside a transaction it runs on any pooled connection.
    fn audit_query(
        &mut self,
        sql: &str,
        params: &[(&(dyn ToSql + Sync), Type)],
    ) -> Result<Vec<postgres::Row>, StoreError> {
        Ok(match self.conn {
            Some(_) => self.sql(|c, _| Ok(c.query_prepared(sql, params)?))?,
            None => {
                self.store
                    .pool
                    .with_first(|c| Ok(c.query_prepared(sql, params)?))?
                    .1
            }
        })
    }

    fn keys(&self) -> &'s GroupKeys {
        &self.store.keys
    }

    /// Runs `f` on the connection (the transaction begun), noting a failure of PostgreSQL.
    fn sql<T>(
        &mut self,
        f: impl FnOnce(&mut PgConn, &'s GroupKeys) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.begin(false)?;
        let keys = self.keys();
        let conn = self
            .conn
            .as_mut()
            .ok_or_else(|| StoreError::Commit("the transaction has no connection".into()))?;
        let r = f(conn, keys);
        // Errors of PostgreSQL abort its transaction; the store's own (tampering) do not.
        if let Err(StoreError::Postgres(_) | StoreError::Unavailable(_) | StoreError::Changed) = &r
        {
            self.failed = true;
        }
        if let Err(StoreError::Changed) = &r {
            self.changed();
        }
        r
    }

    /// Begins the PostgreSQL transaction if it has not begun: locking the group record at
    /// once if the first need is a write (or the request locks first). A record already in
    /// hand (from the store's cache) must still be the group's: [`StoreError::Changed`] if
    /// another writer committed since.
    fn begin(&mut self, write: bool) -> Result<(), StoreError> {
        if self.conn.is_some() {
            return Ok(());
        }
        let write = write || self.lock_first;
        let begin = if write {
            "BEGIN ISOLATION LEVEL READ COMMITTED"
        } else {
            "BEGIN ISOLATION LEVEL REPEATABLE READ"
        };
        self.floor = self.store.floor();
        let (conn, ()) = self
            .store
            .pool
            .with_first_within(self.wait, |c| Ok(c.batch_execute(begin)?))?;
        self.conn = Some(conn);
        if write || self.record.is_some() {
            let (store, floor) = (self.store, self.floor);
            let now = self.sql(|c, _| store.load(c, write, floor))?;
            match &self.record {
                Some(seen) if seen.version == now.version => {}
                Some(seen) if !self.reads.still_hold(seen, &now) => return Err(self.changed()),
                _ => self.record = Some(now),
            }
            self.locked = write;
        }
        Ok(())
    }

    /// The group record as this transaction sees it.
    fn record(&mut self) -> Result<&GroupRecord, StoreError> {
        self.loaded().map(|r| &**r)
    }

    /// The group record, to change (copied from the store's cache at the first change).
    fn record_mut(&mut self) -> Result<&mut GroupRecord, StoreError> {
        self.loaded().map(Arc::make_mut)
    }

    fn loaded(&mut self) -> Result<&mut Arc<GroupRecord>, StoreError> {
        if self.record.is_none() {
            if let Some(cached) = self.cached_record() {
                self.record = Some(cached);
            } else if self.fresh.is_some() && !self.lock_first && self.conn.is_none() {
                // A request's transaction whose store is behind: the newer record, read
                // outside any transaction and then served as a cached one would be.
                let (store, floor) = (self.store, self.store.floor());
                self.floor = floor;
                let (_, record) = store
                    .pool
                    .with_first_within(self.wait, |c| store.load(c, false, floor))?;
                self.record = Some(record);
            } else {
                // Begun first: beginning sets the floor (and loads the record if it locks).
                self.begin(false)?;
                if self.record.is_none() {
                    let (store, floor) = (self.store, self.floor);
                    let record = self.sql(|c, _| store.load(c, false, floor))?;
                    self.record = Some(record);
                }
            }
        }
        self.record
            .as_mut()
            .ok_or_else(|| StoreError::Commit("the group record is not loaded".into()))
    }

    /// Before a write: the group record locked (unchanged since this transaction read it,
    /// or [`StoreError::Changed`]); returns the row version this transaction's writes get.
    fn lock(&mut self) -> Result<u64, StoreError> {
        self.begin(true)?;
        if !self.locked {
            let seen = self.record()?.version;
            let (store, floor) = (self.store, self.floor);
            let now = self.sql(|c, _| store.load(c, true, floor))?;
            if now.version != seen {
                return Err(self.changed());
            }
            self.locked = true;
        }
        Ok(self.record()?.version + 1)
    }

    /// Writes the row of `obj` (and its names) at row version `rv`; returns the rows changed.
    /// Each statement is sent with its parameter types, so it costs one round trip (no
    /// separate prepare).
    fn write_row(&mut self, obj: &StoredObject, rv: u64, insert: bool) -> Result<u64, StoreError> {
        let gid = self.keys().group_id().to_string();
        let n = self.sql(|c, k| {
            let uid_bi = k.blind("uid", obj.uid.as_bytes());
            let sealed = k.seal_object(obj, rv)?;
            let (type_bi, state_bi) = (
                k.blind_num("type", Some(obj.object_type)),
                k.blind_num("state", Some(obj.state)),
            );
            let alg_bi = k.blind_num("algorithm", obj.algorithm);
            let owner_bi = k.blind("owner", obj.owner.as_bytes());
            let cols: [(&(dyn ToSql + Sync), Type); 8] = [
                (&gid, Type::TEXT),
                (&uid_bi, Type::BYTEA),
                (&int(rv), Type::INT8),
                (&type_bi, Type::BYTEA),
                (&state_bi, Type::BYTEA),
                (&alg_bi, Type::BYTEA),
                (&owner_bi, Type::BYTEA),
                (&sealed, Type::BYTEA),
            ];
            let sql = if insert {
                "INSERT INTO ekms_objects(group_id, uid_bi, rv, type_bi, state_bi, alg_bi, owner_bi, sealed)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING 1"
            } else {
                "UPDATE ekms_objects SET rv = $3, type_bi = $4, state_bi = $5, alg_bi = $6,
                 owner_bi = $7, sealed = $8 WHERE group_id = $1 AND uid_bi = $2 RETURNING 1"
            };
            let n = c.query_prepared(sql, &cols)?.len() as u64;
            if !insert {
                // A new row has no names yet (they go with their object, by foreign key).
                c.query_prepared(
                    "DELETE FROM ekms_names WHERE group_id = $1 AND uid_bi = $2",
                    &[(&gid, Type::TEXT), (&uid_bi, Type::BYTEA)],
                )?;
            }
            let names: HashSet<Vec<u8>> = obj
                .names
                .iter()
                .map(|n| k.blind("name", n.as_bytes()))
                .collect();
            if !names.is_empty() {
                let names: Vec<Vec<u8>> = names.into_iter().collect();
                c.query_prepared(
                    "INSERT INTO ekms_names(group_id, uid_bi, name_bi)
                     SELECT $1, $2, UNNEST($3::bytea[])",
                    &[
                        (&gid, Type::TEXT),
                        (&uid_bi, Type::BYTEA),
                        (&names, Type::BYTEA_ARRAY),
                    ],
                )?;
            }
            Ok(n)
        })?;
        self.written.push((obj.clone(), rv));
        Ok(n)
    }

    /// Sets a metadata entry of the group record.
    pub(super) fn set_meta(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.lock()?;
        self.wrote = true;
        self.record_mut()?.meta.insert(key.into(), value.into());
        Ok(())
    }

    /// Ends the transaction: commits it (writing the group record with its next version if it
    /// wrote) or rolls it back. Returns the version its writes got.
    pub(super) fn finish(mut self, end: End) -> Result<Option<u64>, StoreError> {
        if end == End::RollBack {
            self.abandon();
            return Ok(None);
        }
        if self.conn.is_none() {
            // Nothing but reads served without a database transaction, and audit rows.
            let gid = self.keys().group_id();
            let rows: Vec<_> = std::mem::take(&mut self.audits)
                .into_iter()
                .map(|(_, sealed)| (gid.to_string(), sealed))
                .collect();
            if !rows.is_empty() {
                let pool = &self.store.pool;
                pool.audit.commit(pool, self.wait, rows)?;
            }
            return Ok(None);
        }
        if self.failed {
            self.abandon();
            return Err(StoreError::Commit(
                "a statement of the transaction failed, so PostgreSQL rolled it back".into(),
            ));
        }
        let committed = self.commit();
        if committed.is_err() {
            self.abandon();
        }
        committed
    }

    fn commit(&mut self) -> Result<Option<u64>, StoreError> {
        let mut version = None;
        if !self.audits.is_empty() {
            let sealed: Vec<Vec<u8>> = self.audits.iter().map(|(_, s)| s.clone()).collect();
            self.sql(|c, k| {
                c.query_prepared(
                    "INSERT INTO ekms_audit(group_id, sealed) SELECT $1, UNNEST($2::bytea[])",
                    &[(&k.group_id(), Type::TEXT), (&sealed, Type::BYTEA_ARRAY)],
                )?;
                Ok(())
            })?;
        }
        if self.wrote {
            let keys = self.keys();
            let record = self.record_mut()?;
            record.version += 1;
            let v = record.version;
            record.chain = ekms_crypto::group_state::next_chain(&record.chain, v)
                .map_err(|e| StoreError::Commit(format!("extending the group's chain: {e}")))?;
            let sealed = record.seal(keys)?;
            self.sql(|c, k| {
                c.query_prepared(
                    "UPDATE ekms_groups SET version = $2, record = $3 WHERE group_id = $1",
                    &[
                        (&k.group_id(), Type::TEXT),
                        (&int(v), Type::INT8),
                        (&sealed, Type::BYTEA),
                    ],
                )?;
                Ok(())
            })?;
            version = Some(v);
        }
        let mut conn = self
            .conn
            .take()
            .ok_or_else(|| StoreError::Commit("the transaction has no connection".into()))?;
        let start = std::time::Instant::now();
        conn.batch_execute("COMMIT")?;
        crate::observe::committed(start.elapsed(), 1);
        if let (Some(_), Some(record)) = (version, &self.record) {
            self.store.saw(record);
            // Committed: the rows written are the group's now, at their row versions.
            let mut cache = self.store.object_cache();
            for (obj, rv) in self.written.drain(..) {
                if record.rows.get(&obj.uid) == Some(&rv) {
                    cache.put(&obj, rv);
                }
            }
        }
        Ok(version)
    }

    /// Rolls the PostgreSQL transaction back and forgets what it read and wrote.
    fn abandon(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            // A connection that cannot roll back is broken, and the pool replaces it.
            let _ = conn.batch_execute("ROLLBACK");
        }
        self.record = None;
        self.locked = false;
        self.wrote = false;
        self.failed = false;
        self.audits.clear();
        self.written.clear();
        self.reads = Reads::default();
    }

    /// One object row, read outside any transaction for a transaction served by a cached
    /// group record (`listed`: the row version the record lists, `base`: its version).
    fn get_unbegun(
        &self,
        uid: &str,
        listed: u64,
        base: u64,
    ) -> Result<Option<StoredObject>, StoreError> {
        let keys = self.keys();
        let uid_bi = keys.blind("uid", uid.as_bytes());
        let (_, row) = self.store.pool.with_first_within(self.wait, |c| {
            Ok(c.query_prepared_opt(
                "SELECT rv, sealed FROM ekms_objects WHERE group_id = $1 AND uid_bi = $2",
                &[(&keys.group_id(), Type::TEXT), (&uid_bi, Type::BYTEA)],
            )?)
        })?;
        let row: Option<(i64, Vec<u8>)> = row.map(|r| (r.get(0), r.get(1)));
        if let Some((rv, _)) = &row
            && u64::try_from(*rv).is_ok_and(|rv| rv > base)
        {
            // Written after the record in hand: not the state this transaction reads.
            return Err(self.changed());
        }
        check_row(keys, uid, Some(listed), row)
    }

    /// The objects the query `q` selects, newest first, at most the pool's scan bound.
    fn select(&mut self, q: &LocateQuery) -> Result<Vec<StoredObject>, StoreError> {
        self.reads.all = true;
        let keys = self.keys();
        let record = self.loaded()?.clone();
        let granted: HashSet<String> = match &q.visible_to {
            Some(u) => record
                .grants
                .iter()
                .filter(|g| g.user == *u || g.user == "*")
                .map(|g| g.uid.clone())
                .collect(),
            None => HashSet::new(),
        };
        let mut args: Vec<Box<dyn ToSql + Sync>> = vec![Box::new(keys.group_id().to_string())];
        let mut sql =
            String::from("SELECT uid_bi, rv, sealed FROM ekms_objects o WHERE group_id = $1");
        let mut cond = |template: &str, arg: Box<dyn ToSql + Sync>| {
            args.push(arg);
            let _ = write!(
                sql,
                " AND {}",
                template.replace('#', &format!("${}", args.len()))
            );
        };
        if let Some(t) = q.object_type {
            cond("o.type_bi = #", Box::new(keys.blind_num("type", Some(t))));
        }
        if let Some(s) = q.state {
            cond("o.state_bi = #", Box::new(keys.blind_num("state", Some(s))));
        }
        if let Some(a) = q.algorithm {
            cond(
                "o.alg_bi = #",
                Box::new(keys.blind_num("algorithm", Some(a))),
            );
        }
        if let Some(w) = &q.owner {
            cond(
                "o.owner_bi = #",
                Box::new(keys.blind("owner", w.as_bytes())),
            );
        }
        if let Some(n) = &q.name {
            cond(
                "EXISTS (SELECT 1 FROM ekms_names n WHERE n.group_id = o.group_id
                 AND n.uid_bi = o.uid_bi AND n.name_bi = #)",
                Box::new(keys.blind("name", n.as_bytes())),
            );
        }
        if let Some(u) = &q.visible_to {
            cond(
                "(o.owner_bi = #",
                Box::new(keys.blind("owner", u.as_bytes())),
            );
            let granted: Vec<Vec<u8>> = granted
                .iter()
                .map(|g| keys.blind("uid", g.as_bytes()))
                .collect();
            args.push(Box::new(granted));
            let _ = write!(sql, " OR o.uid_bi = ANY(${}))", args.len());
        }
        let bound = self.store.pool.scan_bound;
        let limit = q.max.unwrap_or(usize::MAX).min(bound.saturating_add(1));
        args.push(Box::new(i64::try_from(limit).unwrap_or(i64::MAX)));
        args.push(Box::new(i64::try_from(q.offset).unwrap_or(i64::MAX)));
        let _ = write!(
            sql,
            " ORDER BY o.seq DESC LIMIT ${} OFFSET ${}",
            args.len() - 1,
            args.len()
        );
        let refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a.as_ref()).collect();
        let rows = self.sql(|c, _| Ok(c.query_inferred(&sql, &refs)?))?;
        if rows.len() > bound {
            return Err(StoreError::TooMany(bound));
        }
        // The uid of each row, by its blind index (the row's sealing names the uid), from the
        // store's index of the uids its records listed; the record in hand has the last word.
        let listed: Vec<(&String, u64)> = {
            let mut index = self.store.uid_index();
            let take_in = |index: &mut UidIndex| {
                index.sync(record.version, record.rows.iter(), |uid| {
                    keys.blind("uid", uid.as_bytes())
                });
            };
            take_in(&mut index);
            rows.iter()
                .map(|r| {
                    let uid_bi: &[u8] = r.get(0);
                    if index.uid(uid_bi).is_none() {
                        index.clear();
                        take_in(&mut index);
                    }
                    index
                        .uid(uid_bi)
                        .and_then(|uid| record.rows.get_key_value(uid))
                        .map(|(uid, rv)| (uid, *rv))
                        .ok_or_else(|| {
                            StoreError::Tampered(
                                "a row exists that the group's record does not list".into(),
                            )
                        })
                })
                .collect::<Result<_, _>>()?
        };
        rows.iter()
            .zip(listed)
            .map(|(r, (uid, listed))| {
                let obj = check_row(keys, uid, Some(listed), Some((r.get(1), r.get(2))))?
                    .ok_or_else(|| StoreError::Tampered(format!("object {uid}: unreadable")))?;
                if !meets(q, &obj, &granted) {
                    return Err(StoreError::Tampered(format!(
                        "object {uid}: its index columns do not match its sealed content"
                    )));
                }
                Ok(obj)
            })
            .collect()
    }
}

impl Drop for PgTx<'_> {
    fn drop(&mut self) {
        // A transaction never finished (its owner returned early) must not go back to the
        // pool open.
        self.abandon();
    }
}

impl StoreTx for PgTx<'_> {
    fn insert(&mut self, obj: &StoredObject) -> Result<(), StoreError> {
        let rv = self.lock()?;
        if self.record()?.rows.contains_key(&obj.uid) {
            return Err(StoreError::Conflict(obj.uid.clone()));
        }
        self.wrote = true;
        self.write_row(obj, rv, true)?;
        self.record_mut()?.rows.insert(obj.uid.clone(), rv);
        Ok(())
    }

    fn attach_parsed(&mut self, uid: &str, attributes: &[u8], parsed: crate::Parsed) {
        // Kept with the entry of this very row content, whichever version it is.
        self.store
            .object_cache()
            .attach_parsed(uid, attributes, parsed);
    }

    fn get(&mut self, uid: &str) -> Result<Option<StoredObject>, StoreError> {
        let record = self.record()?;
        let (listed, base) = (record.rows.get(uid).copied(), record.version);
        self.reads.rows.entry(uid.to_string()).or_insert(listed);
        // Only a request's transactions use the cache (see the module documentation).
        let cached = self.fresh.is_some();
        if let Some(rv) = listed.filter(|_| cached)
            && let Some(obj) = self.store.object_cache().get(uid, rv)
        {
            return Ok(Some(obj));
        }
        let obj = match (&self.conn, listed) {
            // The record came from the store's cache: it is the authority, no snapshot needed.
            (None, None) => return Ok(None),
            (None, Some(rv)) => self.get_unbegun(uid, rv, base)?,
            (Some(_), _) => {
                let row = self.sql(|c, k| {
                    let uid_bi = k.blind("uid", uid.as_bytes());
                    Ok(c.query_prepared_opt(
                        "SELECT rv, sealed FROM ekms_objects WHERE group_id = $1 AND uid_bi = $2",
                        &[(&k.group_id(), Type::TEXT), (&uid_bi, Type::BYTEA)],
                    )?)
                })?;
                check_row(self.keys(), uid, listed, row.map(|r| (r.get(0), r.get(1))))?
            }
        };
        // Committed rows only (a row this transaction wrote is newer than its record).
        if let (Some(o), Some(rv), true) = (&obj, listed, cached)
            && rv <= base
        {
            self.store.object_cache().put(o, rv);
        }
        Ok(obj)
    }

    fn update(&mut self, obj: &StoredObject) -> Result<(), StoreError> {
        let rv = self.lock()?;
        if !self.record()?.rows.contains_key(&obj.uid) {
            return Err(StoreError::MissingObject(obj.uid.clone()));
        }
        self.wrote = true;
        if self.write_row(obj, rv, false)? == 0 {
            return Err(StoreError::Tampered(format!(
                "object {}: its row is missing, though the group's record lists it",
                obj.uid
            )));
        }
        self.record_mut()?.rows.insert(obj.uid.clone(), rv);
        Ok(())
    }

    fn locate(&mut self, q: &LocateQuery) -> Result<Vec<String>, StoreError> {
        Ok(self.select(q)?.into_iter().map(|o| o.uid.clone()).collect())
    }

    fn savepoint(
        &mut self,
        body: &mut dyn FnMut(&mut dyn StoreTx) -> End,
    ) -> Result<(), StoreError> {
        let begun = self.conn.is_some();
        if begun {
            self.sql(|c, _| Ok(c.batch_execute("SAVEPOINT ekms_nested")?))?;
        }
        let saved = (self.record.clone(), self.wrote, self.locked, self.failed);
        let (audits, written) = (self.audits.len(), self.written.len());
        // A panic goes on to the transaction, which rolls back whole.
        let end = body(self);
        if begun && self.conn.is_none() {
            return Err(StoreError::Commit(
                "the transaction ended inside a savepoint".into(),
            ));
        }
        if end == End::Commit {
            return if begun {
                self.sql(|c, _| Ok(c.batch_execute("RELEASE SAVEPOINT ekms_nested")?))
            } else {
                Ok(())
            };
        }
        if begun {
            self.failed = false;
            self.sql(|c, _| {
                Ok(c.batch_execute(
                    "ROLLBACK TO SAVEPOINT ekms_nested; RELEASE SAVEPOINT ekms_nested",
                )?)
            })?;
        } else if let Some(mut conn) = self.conn.take() {
            // The PostgreSQL transaction began inside the savepoint: all of it goes.
            let _ = conn.batch_execute("ROLLBACK");
        }
        (self.record, self.wrote, self.failed) = (saved.0, saved.1, saved.3);
        // A lock taken inside the savepoint went with it.
        self.locked &= saved.2;
        self.audits.truncate(audits);
        self.written.truncate(written);
        Ok(())
    }
}

impl AccessTx for PgTx<'_> {
    fn meta(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        self.reads.meta = true;
        Ok(self.record()?.meta.get(key).cloned())
    }

    fn grant(&mut self, g: &Grant) -> Result<(), StoreError> {
        self.lock()?;
        self.wrote = true;
        let grants = &mut self.record_mut()?.grants;
        if !grants.contains(g) {
            grants.push(g.clone());
            grants.sort_by(|a, b| (&a.uid, &a.user, &a.right).cmp(&(&b.uid, &b.user, &b.right)));
        }
        Ok(())
    }

    fn revoke(&mut self, g: &Grant) -> Result<bool, StoreError> {
        self.lock()?;
        self.wrote = true;
        let grants = &mut self.record_mut()?.grants;
        let before = grants.len();
        grants.retain(|x| x != g);
        Ok(grants.len() < before)
    }

    fn grants_on(&mut self, uid: &str) -> Result<Vec<Grant>, StoreError> {
        self.reads.grants = true;
        let grants = &self.record()?.grants;
        Ok(grants.iter().filter(|g| g.uid == uid).cloned().collect())
    }

    fn grants_to(&mut self, user: &str) -> Result<Vec<Grant>, StoreError> {
        self.reads.grants = true;
        let grants = &self.record()?.grants;
        Ok(grants
            .iter()
            .filter(|g| g.user == user || g.user == "*")
            .cloned()
            .collect())
    }

    fn owned_by(&mut self, user: &str) -> Result<Vec<String>, StoreError> {
        self.locate(&LocateQuery {
            owner: Some(user.into()),
            ..Default::default()
        })
    }

    fn audit(&mut self, row: &AuditRow) -> Result<(), StoreError> {
        // As on SQLCipher: a refused run on the async worker audits nothing.
        if crate::ticket::already_refused() {
            return Err(crate::ticket::refused());
        }
        // At the cap the row, and with it the transaction's work, is refused.
        self.store.audit.admit()?;
        let plain = super::audit_row::encode(row)?;
        let sealed = self.keys().seal("audit", b"", 0, &plain)?;
        self.audits.push((row.clone(), sealed));
        Ok(())
    }

    fn audit_list(&mut self, f: &AuditFilter) -> Result<Vec<AuditRow>, StoreError> {
        let scan = i64::try_from(self.store.pool.scan_bound).unwrap_or(i64::MAX);
        let sql = "SELECT sealed FROM ekms_audit WHERE group_id = $1 ORDER BY seq DESC LIMIT $2";
        let keys = self.keys();
        let rows = self.audit_query(sql, &[(&keys.group_id(), Type::TEXT), (&scan, Type::INT8)])?;
        // This transaction's own rows, not yet written, are the newest.
        let mut all: Vec<AuditRow> = self.audits.iter().rev().map(|(r, _)| r.clone()).collect();
        for r in rows {
            all.push(super::audit_row::open(keys, r.get(0))?);
        }
        let mut out = Vec::new();
        for row in all {
            if f.limit.is_some_and(|l| out.len() >= l) {
                break;
            }
            let keep = f.user.as_ref().is_none_or(|u| *u == row.user)
                && f.operation.as_ref().is_none_or(|o| *o == row.operation)
                && f.object
                    .as_ref()
                    .is_none_or(|o| row.object.as_ref() == Some(o))
                && f.since.is_none_or(|t| row.time >= t);
            if keep {
                out.push(row);
            }
        }
        Ok(out)
    }

    fn audit_oldest(
        &mut self,
        after: i64,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<(i64, AuditRow)>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let sql = "SELECT seq, sealed FROM ekms_audit WHERE group_id = $1 AND seq > $2
                   ORDER BY seq LIMIT $3";
        let keys = self.keys();
        let rows = self.audit_query(
            sql,
            &[
                (&keys.group_id(), Type::TEXT),
                (&after, Type::INT8),
                (&limit, Type::INT8),
            ],
        )?;
        let opened = rows
            .iter()
            .map(|r| super::audit_row::open(keys, r.get(1)).map(|row| (r.get(0), row)));
        crate::retention::page_before(opened, before)
    }
}
