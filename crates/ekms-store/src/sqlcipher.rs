//! The embedded store: one SQLCipher database file per group.
//!
//! The file is keyed with the group's raw 256-bit key (`PRAGMA key = "x'…'"`, no KDF: the key
//! is already uniform), runs in WAL mode with `synchronous=FULL`, and overwrites freed pages
//! (`secure_delete`) so destroyed key material does not linger in the file.

use crate::{
    AuditFilter, AuditRow, Grant, LocateQuery, ObjectStore, StoreError, StoreTx, StoredObject,
};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Mutex;
use zeroize::Zeroizing;

const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS objects (
    uid TEXT PRIMARY KEY,
    object_type INTEGER NOT NULL,
    state INTEGER NOT NULL,
    algorithm INTEGER,
    owner TEXT NOT NULL,
    attributes BLOB NOT NULL,
    material BLOB,
    created_at INTEGER NOT NULL,
    seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS objects_by_type ON objects(object_type, state);
CREATE TABLE IF NOT EXISTS names (
    uid TEXT NOT NULL REFERENCES objects(uid) ON DELETE CASCADE,
    name TEXT NOT NULL,
    PRIMARY KEY (uid, name)
);
CREATE INDEX IF NOT EXISTS names_by_name ON names(name);
CREATE TABLE IF NOT EXISTS grants (
    uid TEXT NOT NULL,
    user TEXT NOT NULL,
    right TEXT NOT NULL,
    PRIMARY KEY (uid, user, right)
);
CREATE INDEX IF NOT EXISTS grants_by_user ON grants(user);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    time INTEGER NOT NULL,
    user TEXT NOT NULL,
    operation TEXT NOT NULL,
    object TEXT,
    result TEXT NOT NULL
);
-- Every user of the group may create until the administrator revokes this grant.
INSERT OR IGNORE INTO meta(key, value) VALUES ('default_grants', 'pending');
INSERT INTO grants(uid, user, right)
    SELECT '*', '*', 'create' FROM meta WHERE key = 'default_grants' AND value = 'pending';
UPDATE meta SET value = 'done' WHERE key = 'default_grants';
";

/// A group database opened with its key.
pub struct SqlCipherStore {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for SqlCipherStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqlCipherStore")
    }
}

fn apply_key(conn: &Connection, key: &[u8; 32]) -> Result<(), StoreError> {
    let mut stmt = Zeroizing::new(String::with_capacity(96));
    stmt.push_str("PRAGMA key = \"x'");
    for b in key {
        // Writing into a String cannot fail.
        let _ = write!(stmt, "{b:02X}");
    }
    stmt.push_str("'\";");
    conn.execute_batch(&stmt)?;
    Ok(())
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    // The first read decrypts page 1: a wrong key fails here ("file is not a database").
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .map_err(|_| StoreError::WrongKey)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA secure_delete = ON;
         PRAGMA foreign_keys = ON;",
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(())
}

impl SqlCipherStore {
    /// Creates a new group database at `path` (which must not exist) keyed with `key`.
    pub fn create(path: &Path, key: &[u8; 32], group_id: &str) -> Result<Self, StoreError> {
        if path.exists() {
            return Err(StoreError::Conflict(path.display().to_string()));
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        apply_key(&conn, key)?;
        configure(&conn)?;
        conn.execute_batch(SCHEMA)?;
        conn.execute(
            "INSERT INTO meta(key, value) VALUES ('schema_version', ?1), ('group_id', ?2)",
            params![SCHEMA_VERSION.to_string(), group_id],
        )?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    /// Opens an existing group database; [`StoreError::WrongKey`] if `key` does not open it.
    pub fn open(path: &Path, key: &[u8; 32]) -> Result<Self, StoreError> {
        if !path.is_file() {
            return Err(StoreError::NotFound);
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        apply_key(&conn, key)?;
        configure(&conn)?;
        conn.execute_batch(SCHEMA)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    /// The group id written at creation.
    pub fn group_id(&self) -> Result<String, StoreError> {
        let conn = self.lock();
        Ok(
            conn.query_row("SELECT value FROM meta WHERE key = 'group_id'", [], |r| {
                r.get(0)
            })?,
        )
    }

    /// Sets a group metadata entry (for example `admin`, the user who registered the group),
    /// replacing any previous value. Durable on return.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let conn = self.lock();
        conn.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// A group metadata entry, if set.
    pub fn get_meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        let conn = self.lock();
        Ok(conn
            .query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Re-encrypts the whole database under `new_key` (`PRAGMA rekey`) on this open
    /// connection; once it returns, the old key no longer opens the file.
    pub fn rekey(&self, new_key: &[u8; 32]) -> Result<(), StoreError> {
        let conn = self.lock();
        let mut stmt = Zeroizing::new(String::with_capacity(96));
        stmt.push_str("PRAGMA rekey = \"x'");
        for b in new_key {
            // Writing into a String cannot fail.
            let _ = write!(stmt, "{b:02X}");
        }
        stmt.push_str("'\";");
        // Fold the WAL into the main file first, so no page stays under the old key.
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        conn.execute_batch(&stmt)?;
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent (the transaction
        // rolls back on drop), so a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl ObjectStore for SqlCipherStore {
    fn transact(
        &self,
        f: &mut dyn FnMut(&mut dyn StoreTx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut stx = SqlTx { tx };
        f(&mut stx)?;
        stx.tx.commit()?;
        Ok(())
    }
}

struct SqlTx<'c> {
    tx: Transaction<'c>,
}

impl SqlTx<'_> {
    fn write_names(&self, obj: &StoredObject) -> Result<(), StoreError> {
        self.tx
            .execute("DELETE FROM names WHERE uid = ?1", params![obj.uid])?;
        let mut stmt = self
            .tx
            .prepare_cached("INSERT OR IGNORE INTO names(uid, name) VALUES (?1, ?2)")?;
        for n in &obj.names {
            stmt.execute(params![obj.uid, n])?;
        }
        Ok(())
    }
}

impl StoreTx for SqlTx<'_> {
    fn insert(&mut self, obj: &StoredObject) -> Result<(), StoreError> {
        let material: Option<&[u8]> = obj.material.as_ref().map(|m| m.as_slice());
        let res = self.tx.execute(
            "INSERT INTO objects(uid, object_type, state, algorithm, owner, attributes, material, created_at, seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, (SELECT COALESCE(MAX(seq), 0) + 1 FROM objects))",
            params![
                obj.uid,
                obj.object_type,
                obj.state,
                obj.algorithm,
                obj.owner,
                obj.attributes,
                material,
                obj.created_at
            ],
        );
        match res {
            Ok(_) => {}
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                return Err(StoreError::Conflict(obj.uid.clone()));
            }
            Err(e) => return Err(e.into()),
        }
        self.write_names(obj)
    }

    fn get(&mut self, uid: &str) -> Result<Option<StoredObject>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
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
                })
            })
            .optional()?;
        let Some(mut obj) = obj else {
            return Ok(None);
        };
        let mut names = self
            .tx
            .prepare_cached("SELECT name FROM names WHERE uid = ?1 ORDER BY rowid")?;
        obj.names = names
            .query_map(params![uid], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(Some(obj))
    }

    fn update(&mut self, obj: &StoredObject) -> Result<(), StoreError> {
        let material: Option<&[u8]> = obj.material.as_ref().map(|m| m.as_slice());
        let n = self.tx.execute(
            "UPDATE objects SET object_type = ?2, state = ?3, algorithm = ?4, owner = ?5,
                 attributes = ?6, material = ?7 WHERE uid = ?1",
            params![
                obj.uid,
                obj.object_type,
                obj.state,
                obj.algorithm,
                obj.owner,
                obj.attributes,
                material
            ],
        )?;
        if n == 0 {
            return Err(StoreError::MissingObject(obj.uid.clone()));
        }
        self.write_names(obj)
    }

    fn locate(&mut self, q: &LocateQuery) -> Result<Vec<String>, StoreError> {
        let mut sql = String::from("SELECT o.uid FROM objects o WHERE 1 = 1");
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        let mut add = |clause: &str, v: rusqlite::types::Value| {
            args.push(v);
            let _ = write!(sql, " AND {clause} ?{}", args.len());
        };
        if let Some(t) = q.object_type {
            add("o.object_type =", i64::from(t).into());
        }
        if let Some(s) = q.state {
            add("o.state =", i64::from(s).into());
        }
        if let Some(a) = q.algorithm {
            add("o.algorithm =", i64::from(a).into());
        }
        if let Some(owner) = &q.owner {
            add("o.owner =", owner.clone().into());
        }
        if let Some(name) = &q.name {
            add(
                "o.uid IN (SELECT uid FROM names WHERE name =",
                name.clone().into(),
            );
            sql.push(')');
        }
        if let Some(user) = &q.visible_to {
            args.push(user.clone().into());
            let n = args.len();
            let _ = write!(
                sql,
                " AND (o.owner = ?{n} OR o.uid IN (SELECT uid FROM grants WHERE user IN (?{n}, '*')))"
            );
        }
        sql.push_str(" ORDER BY o.seq DESC");
        let limit = q
            .max
            .map_or(-1i64, |m| i64::try_from(m).unwrap_or(i64::MAX));
        let offset = i64::try_from(q.offset).unwrap_or(i64::MAX);
        let _ = write!(sql, " LIMIT {limit} OFFSET {offset}");
        let mut stmt = self.tx.prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn grant_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Grant> {
    Ok(Grant {
        uid: r.get(0)?,
        user: r.get(1)?,
        right: r.get(2)?,
    })
}

impl SqlTx<'_> {
    fn grants_where(&self, clause: &str, arg: &str) -> Result<Vec<Grant>, StoreError> {
        let sql =
            format!("SELECT uid, user, right FROM grants WHERE {clause} ORDER BY uid, user, right");
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![arg], grant_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl crate::AccessTx for SqlTx<'_> {
    fn meta(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .tx
            .query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    fn grant(&mut self, g: &Grant) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT OR IGNORE INTO grants(uid, user, right) VALUES (?1, ?2, ?3)",
            params![g.uid, g.user, g.right],
        )?;
        Ok(())
    }

    fn revoke(&mut self, g: &Grant) -> Result<bool, StoreError> {
        let n = self.tx.execute(
            "DELETE FROM grants WHERE uid = ?1 AND user = ?2 AND right = ?3",
            params![g.uid, g.user, g.right],
        )?;
        Ok(n > 0)
    }

    fn grants_on(&mut self, uid: &str) -> Result<Vec<Grant>, StoreError> {
        self.grants_where("uid = ?1", uid)
    }

    fn grants_to(&mut self, user: &str) -> Result<Vec<Grant>, StoreError> {
        self.grants_where("user IN (?1, '*')", user)
    }

    fn owned_by(&mut self, user: &str) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT uid FROM objects WHERE owner = ?1 ORDER BY seq DESC")?;
        let rows = stmt.query_map(params![user], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn audit(&mut self, row: &AuditRow) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO audit(time, user, operation, object, result) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![row.time, row.user, row.operation, row.object, row.result],
        )?;
        Ok(())
    }

    fn audit_list(&mut self, f: &AuditFilter) -> Result<Vec<AuditRow>, StoreError> {
        let mut sql =
            String::from("SELECT time, user, operation, object, result FROM audit WHERE 1 = 1");
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        let mut add = |clause: &str, v: rusqlite::types::Value| {
            args.push(v);
            let _ = write!(sql, " AND {clause} ?{}", args.len());
        };
        if let Some(u) = &f.user {
            add("user =", u.clone().into());
        }
        if let Some(o) = &f.operation {
            add("operation =", o.clone().into());
        }
        if let Some(o) = &f.object {
            add("object =", o.clone().into());
        }
        if let Some(t) = f.since {
            add("time >=", t.into());
        }
        let limit = f
            .limit
            .map_or(-1i64, |m| i64::try_from(m).unwrap_or(i64::MAX));
        let _ = write!(sql, " ORDER BY seq DESC LIMIT {limit}");
        let mut stmt = self.tx.prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), |r| {
            Ok(AuditRow {
                time: r.get(0)?,
                user: r.get(1)?,
                operation: r.get(2)?,
                object: r.get(3)?,
                result: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(uid: &str, name: &str) -> StoredObject {
        StoredObject {
            uid: uid.into(),
            object_type: 2,
            state: 1,
            algorithm: Some(3),
            owner: "alice".into(),
            names: vec![name.into()],
            attributes: b"{}".to_vec(),
            material: Some(Zeroizing::new(vec![0xAB; 32])),
            created_at: 1,
        }
    }

    fn insert(store: &SqlCipherStore, o: &StoredObject) -> Result<(), StoreError> {
        store.transact(&mut |tx| tx.insert(o))
    }

    #[test]
    fn grants_visibility_and_audit() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqlCipherStore::create(&dir.path().join("g.db"), &[3u8; 32], "g").unwrap();
        insert(&s, &obj("k1", "a")).unwrap();
        insert(&s, &obj("k2", "b")).unwrap();
        let g = |uid: &str, user: &str, right: &str| Grant {
            uid: uid.into(),
            user: user.into(),
            right: right.into(),
        };
        s.transact(&mut |tx| {
            // The default group grant.
            assert_eq!(tx.grants_on("*")?, vec![g("*", "*", "create")]);
            tx.grant(&g("k1", "bob", "decrypt"))?;
            tx.grant(&g("k1", "bob", "decrypt"))?;
            tx.grant(&g("k2", "*", "get"))?;
            let vis = |tx: &mut dyn StoreTx, u: &str| {
                tx.locate(&LocateQuery {
                    visible_to: Some(u.into()),
                    ..Default::default()
                })
            };
            assert_eq!(vis(tx, "bob")?, vec!["k2".to_string(), "k1".to_string()]);
            assert_eq!(vis(tx, "carol")?, vec!["k2".to_string()]);
            assert_eq!(vis(tx, "alice")?.len(), 2);
            assert_eq!(tx.grants_to("bob")?.len(), 3);
            assert!(tx.revoke(&g("k1", "bob", "decrypt"))?);
            assert!(!tx.revoke(&g("k1", "bob", "decrypt"))?);
            assert_eq!(vis(tx, "bob")?, vec!["k2".to_string()]);
            assert_eq!(
                tx.owned_by("alice")?,
                vec!["k2".to_string(), "k1".to_string()]
            );
            for (i, u) in ["alice", "bob", "alice"].iter().enumerate() {
                tx.audit(&AuditRow {
                    time: i64::try_from(i).unwrap_or(0) + 10,
                    user: (*u).into(),
                    operation: "Get".into(),
                    object: Some("k1".into()),
                    result: "ok".into(),
                })?;
            }
            let rows = tx.audit_list(&AuditFilter {
                user: Some("alice".into()),
                ..Default::default()
            })?;
            assert_eq!(
                rows.iter().map(|r| r.time).collect::<Vec<_>>(),
                vec![12, 10]
            );
            let rows = tx.audit_list(&AuditFilter {
                since: Some(11),
                limit: Some(1),
                ..Default::default()
            })?;
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0].time, 12);
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn meta_set_get_replace_and_persist() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.db");
        let key = [7u8; 32];
        {
            let s = SqlCipherStore::create(&path, &key, "g1").unwrap();
            assert_eq!(s.get_meta("admin").unwrap(), None);
            s.set_meta("admin", "alice").unwrap();
            assert_eq!(s.get_meta("admin").unwrap().as_deref(), Some("alice"));
            s.set_meta("admin", "bob").unwrap();
            assert_eq!(s.get_meta("admin").unwrap().as_deref(), Some("bob"));
            assert_eq!(s.get_meta("group_id").unwrap().as_deref(), Some("g1"));
        }
        let s = SqlCipherStore::open(&path, &key).unwrap();
        assert_eq!(s.get_meta("admin").unwrap().as_deref(), Some("bob"));
    }

    #[test]
    fn create_open_and_wrong_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.db");
        let key = [7u8; 32];
        let s = SqlCipherStore::create(&path, &key, "gid").unwrap();
        insert(&s, &obj("u1", "k1")).unwrap();
        drop(s);
        let header = std::fs::read(&path).unwrap();
        assert!(!header.starts_with(b"SQLite format 3"));
        assert!(matches!(
            SqlCipherStore::open(&path, &[8u8; 32]),
            Err(StoreError::WrongKey)
        ));
        let s = SqlCipherStore::open(&path, &key).unwrap();
        assert_eq!(s.group_id().unwrap(), "gid");
        let mut got = None;
        s.transact(&mut |tx| {
            got = tx.get("u1")?;
            Ok(())
        })
        .unwrap();
        assert_eq!(got, Some(obj("u1", "k1")));
        assert!(matches!(
            SqlCipherStore::open(&dir.path().join("none.db"), &key),
            Err(StoreError::NotFound)
        ));
    }

    #[test]
    fn locate_filters_and_orders_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqlCipherStore::create(&dir.path().join("g.db"), &[1u8; 32], "g").unwrap();
        insert(&s, &obj("a", "x")).unwrap();
        insert(&s, &obj("b", "y")).unwrap();
        let mut c = obj("c", "x");
        c.state = 2;
        insert(&s, &c).unwrap();
        assert!(matches!(
            insert(&s, &obj("a", "z")),
            Err(StoreError::Conflict(_))
        ));
        let mut found = vec![];
        s.transact(&mut |tx| {
            found.push(tx.locate(&LocateQuery::default())?);
            found.push(tx.locate(&LocateQuery {
                name: Some("x".into()),
                ..Default::default()
            })?);
            found.push(tx.locate(&LocateQuery {
                name: Some("x".into()),
                state: Some(1),
                ..Default::default()
            })?);
            found.push(tx.locate(&LocateQuery {
                offset: 1,
                max: Some(1),
                ..Default::default()
            })?);
            Ok(())
        })
        .unwrap();
        assert_eq!(found[0], vec!["c", "b", "a"]);
        assert_eq!(found[1], vec!["c", "a"]);
        assert_eq!(found[2], vec!["a"]);
        assert_eq!(found[3], vec!["b"]);
    }

    #[test]
    fn failed_transaction_rolls_back() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqlCipherStore::create(&dir.path().join("g.db"), &[1u8; 32], "g").unwrap();
        let res = s.transact(&mut |tx| {
            tx.insert(&obj("a", "x"))?;
            Err(StoreError::Aborted("no".into()))
        });
        assert!(res.is_err());
        let mut got = Some(obj("z", "z"));
        s.transact(&mut |tx| {
            got = tx.get("a")?;
            Ok(())
        })
        .unwrap();
        assert_eq!(got, None);
    }
}
