//! Transactions: [`SqlTx`], one trait transaction's view of the store, and its
//! [`StoreTx`] and [`AccessTx`] implementation in SQL.
//!
//! A transaction takes the connection, and opens its savepoint in the group's batch (see
//! [`super::commit`]), only at its first need: reads the read cache answers
//! ([`super::cache`]) do not, and audit rows written before are queued. So an Encrypt with a
//! cached key reads no database page, and its only database work is its share of a group
//! commit. Before every write of an object or a grant, the entries it touches leave the
//! cache, and reads stop filling the cache until the batch ends.

use super::SqlCipherStore;
use super::commit::{Held, run};
use crate::{
    AccessTx, AuditFilter, AuditRow, Derived, End, Grant, LocateQuery, Parsed, StoreError, StoreTx,
    StoredObject,
};
use rusqlite::{Connection, OptionalExtension, ToSql, params};
use std::fmt::Write as _;
use zeroize::Zeroizing;

/// Appends an audit row (the encoding is [`super::audit`]'s).
pub(super) fn insert_audit(conn: &Connection, row: &AuditRow) -> Result<(), StoreError> {
    super::audit::insert(conn, row)
}

/// One trait transaction's view of the store: the connection is taken, and a savepoint
/// opened, at its first need (see the module documentation).
pub(super) struct SqlTx<'s> {
    store: &'s SqlCipherStore,
    pub(super) held: Option<Held<'s>>,
    /// Whether the open batch wrote objects, grants or metadata (reads do not fill the cache).
    pub(super) dirty: bool,
    /// Whether this transaction wrote objects, grants or metadata (it takes a group version).
    pub(super) wrote: bool,
    /// Audit rows written before the connection was taken.
    pub(super) queued_audit: Vec<AuditRow>,
}

impl<'s> SqlTx<'s> {
    pub(super) fn new(store: &'s SqlCipherStore) -> Self {
        Self {
            store,
            held: None,
            dirty: false,
            wrote: false,
            queued_audit: Vec::new(),
        }
    }
}

impl SqlTx<'_> {
    /// The connection, taken and inside this transaction's savepoint, and the dirty flag.
    fn conn(&mut self) -> Result<(&Connection, &mut bool), StoreError> {
        if self.held.is_none() {
            if crate::ticket::refuse_blocking() {
                return Err(crate::ticket::refused());
            }
            let mut held = self.store.hold();
            self.store.enter(&mut held.st)?;
            self.dirty = held.st.batch.as_ref().is_some_and(|b| b.dirty);
            let queued = std::mem::take(&mut self.queued_audit);
            // From here on, the savepoint is the transaction's: a failure rolls it back.
            self.held = Some(held);
            if let Some(h) = &self.held {
                for row in &queued {
                    insert_audit(&h.st.conn, row)?;
                }
            }
        }
        match &self.held {
            Some(h) => Ok((&h.st.conn, &mut self.dirty)),
            None => Err(StoreError::Commit("no connection".into())),
        }
    }

    /// Before any write of an object: its cached copy goes, and reads stop filling the cache
    /// until the transaction ends.
    fn wrote_object(&mut self, uid: &str) -> Result<&Connection, StoreError> {
        let store = self.store;
        self.wrote = true;
        let (conn, dirty) = self.conn()?;
        *dirty = true;
        store.cache().forget_object(uid);
        Ok(conn)
    }

    /// Before any write of a grant.
    fn wrote_grants(&mut self) -> Result<&Connection, StoreError> {
        let store = self.store;
        self.wrote = true;
        let (conn, dirty) = self.conn()?;
        *dirty = true;
        store.cache().forget_grants();
        Ok(conn)
    }
}

fn material(obj: &StoredObject) -> Option<&[u8]> {
    obj.material.as_ref().map(|m| m.as_slice())
}

/// The columns of `objects` that both an insert and an update write, as `?1` to `?7` of their
/// statements.
fn columns<'a>(obj: &'a StoredObject, material: &'a Option<&'a [u8]>) -> [&'a dyn ToSql; 7] {
    [
        &obj.uid,
        &obj.object_type,
        &obj.state,
        &obj.algorithm,
        &obj.owner,
        &obj.attributes,
        material,
    ]
}

fn write_names(conn: &Connection, obj: &StoredObject) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM names WHERE uid = ?1")?
        .execute(params![obj.uid])?;
    let mut stmt = conn.prepare_cached("INSERT OR IGNORE INTO names(uid, name) VALUES (?1, ?2)")?;
    for n in &obj.names {
        stmt.execute(params![obj.uid, n])?;
    }
    Ok(())
}

impl StoreTx for SqlTx<'_> {
    fn insert(&mut self, obj: &StoredObject) -> Result<(), StoreError> {
        let conn = self.wrote_object(&obj.uid)?;
        let material = material(obj);
        let columns = columns(obj, &material);
        let res = conn
            .prepare_cached(
                "INSERT INTO objects(uid, object_type, state, algorithm, owner, attributes, material, created_at, seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, (SELECT COALESCE(MAX(seq), 0) + 1 FROM objects))",
            )?
            .execute(rusqlite::params_from_iter(
                columns.iter().copied().chain([&obj.created_at as &dyn ToSql]),
            ));
        match res {
            Ok(_) => {}
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                return Err(StoreError::Conflict(obj.uid.clone()));
            }
            Err(e) => return Err(e.into()),
        }
        write_names(conn, obj)
    }

    fn attach_parsed(&mut self, uid: &str, attributes: &[u8], parsed: Parsed) {
        self.store.cache().attach_parsed(uid, attributes, parsed);
    }

    fn get(&mut self, uid: &str) -> Result<Option<StoredObject>, StoreError> {
        let store = self.store;
        if let Some(obj) = store.cache().object(uid) {
            return Ok(Some(obj));
        }
        let (conn, dirty) = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT uid, object_type, state, algorithm, owner, attributes, material, created_at
             FROM objects WHERE uid = ?1",
        )?;
        let obj = stmt
            .query_row(params![uid], |r| {
                Ok(StoredObject {
                    uid: r.get(0)?,
                    object_type: r.get(1)?,
                    state: r.get(2)?,
                    algorithm: r.get(3)?,
                    owner: r.get(4)?,
                    names: Vec::new(),
                    attributes: r.get(5)?,
                    material: r.get::<_, Option<Vec<u8>>>(6)?.map(Zeroizing::new),
                    created_at: r.get(7)?,
                    derived: Derived::default(),
                    parsed: Parsed::Uncached,
                })
            })
            .optional()?;
        let Some(mut obj) = obj else {
            return Ok(None);
        };
        let mut names =
            conn.prepare_cached("SELECT name FROM names WHERE uid = ?1 ORDER BY rowid")?;
        obj.names = names
            .query_map(params![uid], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        if !*dirty {
            store.cache().put_object(&obj);
        }
        Ok(Some(obj))
    }

    fn update(&mut self, obj: &StoredObject) -> Result<(), StoreError> {
        let conn = self.wrote_object(&obj.uid)?;
        let material = material(obj);
        let n = conn
            .prepare_cached(
                "UPDATE objects SET object_type = ?2, state = ?3, algorithm = ?4, owner = ?5,
                 attributes = ?6, material = ?7 WHERE uid = ?1",
            )?
            .execute(&columns(obj, &material)[..])?;
        if n == 0 {
            return Err(StoreError::MissingObject(obj.uid.clone()));
        }
        write_names(conn, obj)
    }

    fn locate(&mut self, q: &LocateQuery) -> Result<Vec<String>, StoreError> {
        let mut filter = Filter::new("SELECT o.uid FROM objects o WHERE 1 = 1");
        if let Some(t) = q.object_type {
            filter.and("o.object_type =", i64::from(t).into());
        }
        if let Some(s) = q.state {
            filter.and("o.state =", i64::from(s).into());
        }
        if let Some(a) = q.algorithm {
            filter.and("o.algorithm =", i64::from(a).into());
        }
        if let Some(owner) = &q.owner {
            filter.and("o.owner =", owner.clone().into());
        }
        if let Some(name) = &q.name {
            filter.and(
                "o.uid IN (SELECT uid FROM names WHERE name =",
                name.clone().into(),
            );
            filter.sql.push(')');
        }
        let Filter { mut sql, mut args } = filter;
        if let Some(user) = &q.visible_to {
            args.push(user.clone().into());
            let n = args.len();
            let _ = write!(
                sql,
                " AND (o.owner = ?{n} OR o.uid IN (SELECT uid FROM grants WHERE user IN (?{n}, '*')))"
            );
        }
        let mut limit = q
            .max
            .map_or(-1i64, |m| i64::try_from(m).unwrap_or(i64::MAX));
        // On the async worker, before the transaction took the writing connection: the reader
        // answers a Locate by name, for a few candidates at most (one more is asked to tell a
        // larger result); any other Locate goes to the blocking pool.
        let on_reader = self.held.is_none() && crate::ticket::on_worker();
        if on_reader && q.name.is_none() {
            return Err(crate::ticket::refuse());
        }
        let cap = i64::try_from(super::reader::MAX_ROWS).unwrap_or(i64::MAX);
        if on_reader && !(0..=cap).contains(&limit) {
            limit = cap + 1;
        }
        let offset = i64::try_from(q.offset).unwrap_or(i64::MAX);
        args.push(limit.into());
        args.push(offset.into());
        let n = args.len();
        // Bound, not written in: the text then depends on the filter's shape only, and the
        // connection's statement cache serves every Locate of that shape (parsing it again
        // was ~2% of a Locate's CPU).
        let _ = write!(sql, " ORDER BY o.seq DESC LIMIT ?{} OFFSET ?{n}", n - 1);
        if on_reader {
            // The same statement answered before, with no write of an object or a grant
            // since: from the read cache, no page read.
            let mut key = sql.clone();
            let _ = write!(key, "\u{0}{args:?}");
            let since = {
                let cache = self.store.cache();
                if let Some(uids) = cache.located(&key) {
                    return Ok(uids);
                }
                cache.located_since()
            };
            // Whatever keeps the reader from answering refuses the step: the Locate runs
            // again on the blocking pool, on the writing connection.
            let uids = self
                .store
                .reader
                .locate(&sql, &args)
                .ok_or_else(crate::ticket::refuse)?;
            self.store.cache().put_located(key, &uids, since);
            return Ok(uids);
        }
        let (conn, _) = self.conn()?;
        query_uids(conn, &sql, &args)
    }

    fn savepoint(
        &mut self,
        body: &mut dyn FnMut(&mut dyn StoreTx) -> End,
    ) -> Result<(), StoreError> {
        run(self.conn()?.0, "SAVEPOINT ekms_nested")?;
        let wrote = self.wrote;
        // A panic goes on to the transaction, which rolls back whole.
        let end = body(self);
        if end == End::RollBack {
            self.wrote = wrote;
        }
        let conn = self.conn()?.0;
        match end {
            End::Commit => run(conn, "RELEASE ekms_nested"),
            End::RollBack => {
                run(conn, "ROLLBACK TO ekms_nested").and_then(|()| run(conn, "RELEASE ekms_nested"))
            }
        }
    }
}

/// The uids a Locate statement selects.
pub(super) fn query_uids(
    conn: &Connection,
    sql: &str,
    args: &[rusqlite::types::Value],
) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn grant_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Grant> {
    Ok(Grant {
        uid: r.get(0)?,
        user: r.get(1)?,
        right: r.get(2)?,
    })
}

fn grants_where(conn: &Connection, clause: &str, arg: &str) -> Result<Vec<Grant>, StoreError> {
    let sql =
        format!("SELECT uid, user, right FROM grants WHERE {clause} ORDER BY uid, user, right");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![arg], grant_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

impl AccessTx for SqlTx<'_> {
    fn meta(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        let store = self.store;
        if let Some(v) = store.cache().meta(key) {
            return Ok(v);
        }
        let (conn, dirty) = self.conn()?;
        let v: Option<String> = conn
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
            .query_row(params![key], |r| r.get(0))
            .optional()?;
        if !*dirty {
            store.cache().put_meta(key, v.clone());
        }
        Ok(v)
    }

    fn grant(&mut self, g: &Grant) -> Result<(), StoreError> {
        self.wrote_grants()?.execute(
            "INSERT OR IGNORE INTO grants(uid, user, right) VALUES (?1, ?2, ?3)",
            params![g.uid, g.user, g.right],
        )?;
        Ok(())
    }

    fn revoke(&mut self, g: &Grant) -> Result<bool, StoreError> {
        let n = self.wrote_grants()?.execute(
            "DELETE FROM grants WHERE uid = ?1 AND user = ?2 AND right = ?3",
            params![g.uid, g.user, g.right],
        )?;
        Ok(n > 0)
    }

    fn grants_on(&mut self, uid: &str) -> Result<Vec<Grant>, StoreError> {
        let store = self.store;
        if let Some(g) = store.cache().grants_on(uid) {
            return Ok(g);
        }
        let (conn, dirty) = self.conn()?;
        let g = grants_where(conn, "uid = ?1", uid)?;
        if !*dirty {
            store.cache().put_grants(uid, &g);
        }
        Ok(g)
    }

    fn grants_to(&mut self, user: &str) -> Result<Vec<Grant>, StoreError> {
        grants_where(self.conn()?.0, "user IN (?1, '*')", user)
    }

    fn owned_by(&mut self, user: &str) -> Result<Vec<String>, StoreError> {
        let (conn, _) = self.conn()?;
        let mut stmt =
            conn.prepare_cached("SELECT uid FROM objects WHERE owner = ?1 ORDER BY seq DESC")?;
        let rows = stmt.query_map(params![user], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn audit(&mut self, row: &AuditRow) -> Result<(), StoreError> {
        // A run on the async worker that was refused is done again on the blocking pool: the
        // row it would audit (its failure to go on) is not the operation's.
        if crate::ticket::already_refused() {
            return Err(crate::ticket::refused());
        }
        // At the cap the row, and with it the transaction's work, is refused.
        self.store.audit_count.admit()?;
        // The audit trail is not cached, and writing it changes nothing the cache holds.
        if self.held.is_none() {
            self.queued_audit.push(row.clone());
            return Ok(());
        }
        insert_audit(self.conn()?.0, row)
    }

    fn audit_list(&mut self, f: &AuditFilter) -> Result<Vec<AuditRow>, StoreError> {
        super::audit::list(self.conn()?.0, f)
    }

    fn audit_oldest(
        &mut self,
        after: i64,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<(i64, AuditRow)>, StoreError> {
        super::audit::oldest(self.conn()?.0, after, before, limit)
    }
}

/// A query's SQL and its positional arguments, built one `AND` condition at a time.
struct Filter {
    sql: String,
    args: Vec<rusqlite::types::Value>,
}

impl Filter {
    fn new(select: &str) -> Self {
        Filter {
            sql: select.to_owned(),
            args: Vec::new(),
        }
    }

    /// Appends ` AND <clause> ?<n>` with `v` as the n-th argument.
    fn and(&mut self, clause: &str, v: rusqlite::types::Value) {
        self.args.push(v);
        // Writing into a String cannot fail.
        let _ = write!(self.sql, " AND {clause} ?{}", self.args.len());
    }
}
