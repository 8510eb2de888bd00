//! The database file: how it is keyed and configured, its schema, the versioned migrations
//! that bring a file written by an earlier release to the schema this one uses, and the
//! group's version counter (a row of its own, advanced by every transaction that writes, with
//! the hash chain of those commits beside it).
//!
//! The schema version is the metadata entry `schema_version`. Opening a file applies, in order
//! and each in its own transaction, the migrations after its version; a file whose version is
//! newer than [`SCHEMA_VERSION`] is refused ([`StoreError::NewerSchema`]) and left untouched,
//! since this release cannot know what that schema means.

use crate::{GroupState, StoreError};
use ekms_crypto::group_state::next_chain;
use rusqlite::{Connection, OptionalExtension, params};
use std::fmt::Write as _;
use zeroize::Zeroizing;

/// The schema this release writes: the newest migration's.
pub const SCHEMA_VERSION: i64 = 6;

/// The first schema.
const V1: &str = "
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
-- The next seq and the newest-first orders read it, instead of every page of the table.
CREATE INDEX IF NOT EXISTS objects_by_seq ON objects(seq);
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

/// What version 2 adds: the group's version counter.
const V2: &str = "
CREATE TABLE IF NOT EXISTS state_version (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    value INTEGER NOT NULL
);
INSERT OR IGNORE INTO state_version(id, value) VALUES (0, 0);
";

/// What version 3 adds: the hash chain of the group's commits, beside the version. A file
/// written before starts from the genesis chain (32 zero bytes) at the version it has.
const V3: &str = "
ALTER TABLE state_version ADD COLUMN chain BLOB NOT NULL
    DEFAULT X'0000000000000000000000000000000000000000000000000000000000000000';
";

/// What version 4 adds: the id of the HTTPS request that made an audit row. Rows written
/// before have none.
const V4: &str = "
ALTER TABLE audit ADD COLUMN request_id TEXT;
";

/// What version 5 changes: the compact audit row (see [`super::audit`]). The strings of a
/// row are interned in `audit_names`, the rows of `audit` move to `audit_rows` with their
/// sequence numbers (a success's result becoming NULL), and `audit` goes. Request ids of the
/// moved rows stay text, which a listing reads as well as the bytes new rows store.
/// `AUTOINCREMENT` keeps sequence numbers growing after the oldest rows are pruned, even the
/// last of them.
const V5: &str = "
CREATE TABLE audit_names (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE audit_rows (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    time INTEGER NOT NULL,
    user INTEGER NOT NULL,
    operation INTEGER NOT NULL,
    object INTEGER,
    result INTEGER,
    request_id
);
INSERT OR IGNORE INTO audit_names(name)
    SELECT user FROM audit
    UNION SELECT operation FROM audit
    UNION SELECT object FROM audit WHERE object IS NOT NULL
    UNION SELECT result FROM audit WHERE result <> 'ok';
INSERT INTO audit_rows(seq, time, user, operation, object, result, request_id)
    SELECT a.seq, a.time,
           (SELECT id FROM audit_names WHERE name = a.user),
           (SELECT id FROM audit_names WHERE name = a.operation),
           (SELECT id FROM audit_names WHERE name = a.object),
           (SELECT id FROM audit_names WHERE name = a.result AND a.result <> 'ok'),
           a.request_id
    FROM audit a ORDER BY a.seq;
DROP TABLE audit;
";

/// What version 6 adds: how many times the rows reference each name (`refs`, kept by the
/// writes of [`super::audit`]), so that a prune deletes the names its rows were the last to
/// use without an index on every column of `audit_rows`. The counts are taken from the rows,
/// and the names no row references, which versions 5 left behind after prunes, go.
const V6: &str = "
ALTER TABLE audit_names ADD COLUMN refs INTEGER NOT NULL DEFAULT 0;
UPDATE audit_names SET refs = c.n
    FROM (SELECT id, count(*) AS n FROM (
              SELECT user AS id FROM audit_rows
              UNION ALL SELECT operation FROM audit_rows
              UNION ALL SELECT object FROM audit_rows
              UNION ALL SELECT result FROM audit_rows)
          WHERE id IS NOT NULL GROUP BY id) AS c
    WHERE audit_names.id = c.id;
DELETE FROM audit_names WHERE refs = 0;
";

/// The migrations, in order: entry `i` brings a file from version `i` to version `i + 1`.
/// Version 1 grew parts (the `objects_by_seq` index, the default `create` grant) after files
/// were written with it, which releases of then added on every open; migration 2 therefore
/// runs the version-1 script again (every statement of it is idempotent) before its own.
const MIGRATIONS: [&[&str]; SCHEMA_VERSION as usize] =
    [&[V1], &[V1, V2], &[V3], &[V4], &[V5], &[V6]];

/// `PRAGMA <pragma> = "x'…'"` for a raw 256-bit key (no KDF: the key is already uniform),
/// wiped from memory once used.
fn key_pragma(pragma: &str, key: &[u8; 32]) -> Zeroizing<String> {
    let mut stmt = Zeroizing::new(String::with_capacity(96));
    let _ = write!(stmt, "PRAGMA {pragma} = \"x'");
    for b in key {
        // Writing into a String cannot fail.
        let _ = write!(stmt, "{b:02X}");
    }
    stmt.push_str("'\";");
    stmt
}

/// Keys a connection just opened.
pub(super) fn apply_key(conn: &Connection, key: &[u8; 32]) -> Result<(), StoreError> {
    conn.execute_batch(&key_pragma("key", key))?;
    Ok(())
}

/// Re-encrypts the whole file under `new_key`, folding the WAL into the main file first so no
/// page stays under the old key.
pub(super) fn rekey(conn: &Connection, new_key: &[u8; 32]) -> Result<(), StoreError> {
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    conn.execute_batch(&key_pragma("rekey", new_key))?;
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    Ok(())
}

/// Reads page 1, which decrypts it: a wrong key fails here ("file is not a database").
fn check_key(conn: &Connection) -> Result<(), StoreError> {
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .map_err(|_| StoreError::WrongKey)?;
    Ok(())
}

/// Prepared statements a group's connection keeps ([`configure`]).
const STATEMENT_CACHE: usize = 64;

/// Checks the key and sets the connection up: WAL with `synchronous=FULL` (a commit is on disk
/// when it returns), checkpoints of its own only as a backstop ([`super::checkpoint`]), and
/// `secure_delete` (destroyed key material does not linger in the file).
pub(super) fn configure(conn: &Connection) -> Result<(), StoreError> {
    check_key(conn)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA secure_delete = ON;
         PRAGMA foreign_keys = ON;",
    )?;
    // In place of SQLite's automatic checkpoint (a connection has one WAL hook).
    conn.wal_hook(Some(super::checkpoint::on_commit));
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // Room for every statement the engine prepares (about 30, Locate's shapes besides):
    // rusqlite's default of 16 made a mixed load parse statements again and again. A few
    // KiB each, against the 2 MiB page cache of the connection.
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

/// Sets up the group's read-only connection ([`super::reader`]): checks the key, forbids
/// writes, bounds its page cache to `cache_kib` KiB, and never waits for a lock (it runs on the
/// async worker; a busy file sends the Locate to the blocking pool instead).
pub(super) fn configure_reader(conn: &Connection, cache_kib: i64) -> Result<(), StoreError> {
    check_key(conn)?;
    conn.execute_batch(&format!(
        "PRAGMA query_only = ON; PRAGMA cache_size = -{cache_kib};"
    ))?;
    conn.busy_timeout(std::time::Duration::ZERO)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

/// The schema version of the file (0 for an empty one).
pub(super) fn schema_version(conn: &Connection) -> Result<i64, StoreError> {
    let has_meta: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta')",
        [],
        |r| r.get(0),
    )?;
    if !has_meta {
        return Ok(0);
    }
    let v: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    // Files of the first release always wrote it; one without it has the first schema.
    Ok(v.and_then(|v| v.parse().ok()).unwrap_or(1))
}

/// Brings the file to [`SCHEMA_VERSION`], one migration per transaction, or refuses a file
/// newer than that.
pub(super) fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let found = schema_version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            found,
            known: SCHEMA_VERSION,
        });
    }
    for (from, scripts) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(found).unwrap_or(0))
    {
        let to = i64::try_from(from).unwrap_or(i64::MAX) + 1;
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let applied = scripts
            .iter()
            .try_for_each(|s| conn.execute_batch(s))
            .and_then(|()| {
                conn.execute(
                    "INSERT INTO meta(key, value) VALUES ('schema_version', ?1)
                     ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    params![to.to_string()],
                )
            })
            .and_then(|_| conn.execute_batch("COMMIT"));
        if let Err(e) = applied {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(e.into());
        }
    }
    Ok(())
}

/// The group's version: that of its last committed write.
pub(super) fn read_version(conn: &Connection) -> Result<u64, StoreError> {
    let v: i64 = conn
        .prepare_cached("SELECT value FROM state_version WHERE id = 0")?
        .query_row([], |r| r.get(0))?;
    Ok(u64::try_from(v).unwrap_or(0))
}

/// The group's version and chain.
pub(super) fn read_state(conn: &Connection) -> Result<GroupState, StoreError> {
    let (v, chain): (i64, Vec<u8>) = conn
        .prepare_cached("SELECT value, chain FROM state_version WHERE id = 0")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let chain = chain
        .try_into()
        .map_err(|_| StoreError::Commit("the group's chain is not 32 bytes".into()))?;
    Ok(GroupState {
        version: u64::try_from(v).unwrap_or(0),
        chain,
    })
}

/// Gives the open transaction's writes the next version of the group and extends its chain;
/// rolled back with them.
pub(super) fn next_version(conn: &Connection) -> Result<GroupState, StoreError> {
    let now = read_state(conn)?;
    let version = now.version + 1;
    let chain = next_chain(&now.chain, version)
        .map_err(|e| StoreError::Commit(format!("extending the group's chain: {e}")))?;
    conn.prepare_cached("UPDATE state_version SET value = ?1, chain = ?2 WHERE id = 0")?
        .execute(params![
            i64::try_from(version).unwrap_or(i64::MAX),
            &chain[..]
        ])?;
    Ok(GroupState { version, chain })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn file_at(version: usize) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.db");
        let conn = Connection::open(&path).unwrap();
        apply_key(&conn, &[9u8; 32]).unwrap();
        for scripts in &MIGRATIONS[..version] {
            for s in *scripts {
                conn.execute_batch(s).unwrap();
            }
        }
        conn.execute(
            "INSERT INTO meta(key, value) VALUES ('schema_version', ?1), ('group_id', 'g')",
            params![version.to_string()],
        )
        .unwrap();
        (dir, path)
    }

    #[test]
    fn a_version_one_file_migrates_and_keeps_its_grants() {
        let (_dir, path) = file_at(1);
        let conn = Connection::open(&path).unwrap();
        apply_key(&conn, &[9u8; 32]).unwrap();
        assert_eq!(schema_version(&conn).unwrap(), 1);
        assert!(read_version(&conn).is_err(), "version 1 has no counter");
        migrate(&conn).unwrap();
        assert_eq!(schema_version(&conn).unwrap(), SCHEMA_VERSION);
        assert_eq!(read_version(&conn).unwrap(), 0);
        // Running the version-1 script again did not add a second default grant.
        let grants: i64 = conn
            .query_row("SELECT count(*) FROM grants", [], |r| r.get(0))
            .unwrap();
        assert_eq!(grants, 1);
        // Migrating again is a no-op.
        migrate(&conn).unwrap();
        assert_eq!(read_state(&conn).unwrap().chain, crate::GENESIS_CHAIN);
        let next = next_version(&conn).unwrap();
        assert_eq!(next.version, 1);
        assert_ne!(next.chain, crate::GENESIS_CHAIN);
        assert_eq!(read_state(&conn).unwrap(), next);
    }

    /// The rows of the version-4 `audit` table move to the compact rows of version 5 and list
    /// as they were, in their order, with their sequence numbers; new rows follow them.
    #[test]
    fn version_four_audit_rows_read_back_unchanged_after_the_compact_migration() {
        let (_dir, path) = file_at(4);
        let conn = Connection::open(&path).unwrap();
        apply_key(&conn, &[9u8; 32]).unwrap();
        let old = [
            (10, "alice", "Create", Some("k1"), "ok", None),
            (
                11,
                "alice",
                "Encrypt",
                Some("k1"),
                "ok",
                Some("00112233aabbccdd"),
            ),
            (
                12,
                "bob",
                "Get",
                Some("k1"),
                "denied: no get right",
                Some("odd id"),
            ),
            (13, "bob", "Locate", None, "ok", None),
            (
                14,
                "alice",
                "Encrypt",
                Some("k1"),
                "ok",
                Some("ffeeddccbbaa9988"),
            ),
        ];
        for (time, user, op, object, result, request_id) in old {
            conn.execute(
                "INSERT INTO audit(time, user, operation, object, result, request_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![time, user, op, object, result, request_id],
            )
            .unwrap();
        }
        migrate(&conn).unwrap();
        assert_eq!(schema_version(&conn).unwrap(), SCHEMA_VERSION);
        let gone: bool = conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'audit')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(!gone, "the version-4 table is dropped");
        let expected: Vec<crate::AuditRow> = old
            .iter()
            .rev()
            .map(|(time, user, op, object, result, id)| crate::AuditRow {
                time: *time,
                user: (*user).into(),
                operation: (*op).into(),
                object: object.map(Into::into),
                result: (*result).into(),
                request_id: id.map(Into::into),
            })
            .collect();
        let all = crate::AuditFilter::default();
        assert_eq!(super::super::audit::list(&conn, &all).unwrap(), expected);
        let bobs = crate::AuditFilter {
            user: Some("bob".into()),
            ..Default::default()
        };
        assert_eq!(
            super::super::audit::list(&conn, &bobs).unwrap(),
            expected[1..3].to_vec()
        );
        // A new row takes the next sequence number.
        super::super::audit::insert(&conn, &expected[0]).unwrap();
        let seqs: Vec<i64> = conn
            .prepare("SELECT seq FROM audit_rows ORDER BY seq")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(seqs, [1, 2, 3, 4, 5, 6]);
    }

    /// A file of version 5 takes each name's count of references from its rows, and loses the
    /// names no row references (left behind by the prunes of version 5).
    #[test]
    fn version_five_names_get_their_counts_and_unused_ones_go() {
        let (_dir, path) = file_at(5);
        let conn = Connection::open(&path).unwrap();
        apply_key(&conn, &[9u8; 32]).unwrap();
        conn.execute_batch(
            "INSERT INTO audit_names(id, name) VALUES
                 (1, 'alice'), (2, 'Create'), (3, 'k1'), (4, 'gone'), (5, 'denied'), (6, 'k2');
             INSERT INTO audit_rows(time, user, operation, object, result) VALUES
                 (1, 1, 2, 3, NULL), (2, 1, 2, 6, 5), (3, 3, 2, 3, NULL), (4, 1, 2, NULL, NULL);",
        )
        .unwrap();
        migrate(&conn).unwrap();
        let refs: Vec<(String, i64)> = conn
            .prepare("SELECT name, refs FROM audit_names ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let want = [
            ("alice", 3),
            ("Create", 4),
            ("k1", 3),
            ("denied", 1),
            ("k2", 1),
        ];
        let want: Vec<(String, i64)> = want.iter().map(|(n, c)| ((*n).into(), *c)).collect();
        assert_eq!(refs, want);
        assert_eq!(
            super::super::audit::list(&conn, &crate::AuditFilter::default())
                .unwrap()
                .len(),
            4
        );
    }

    #[test]
    fn a_newer_file_is_refused_naming_both_versions() {
        let (_dir, path) = file_at(usize::try_from(SCHEMA_VERSION).unwrap());
        let conn = Connection::open(&path).unwrap();
        apply_key(&conn, &[9u8; 32]).unwrap();
        conn.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'schema_version'",
            params![(SCHEMA_VERSION + 1).to_string()],
        )
        .unwrap();
        let e = migrate(&conn).unwrap_err();
        assert!(matches!(e, StoreError::NewerSchema { found, known }
            if found == SCHEMA_VERSION + 1 && known == SCHEMA_VERSION));
        let msg = e.to_string();
        assert!(
            msg.contains(&format!("version {}", SCHEMA_VERSION + 1)),
            "{msg}"
        );
        assert!(msg.contains(&format!("version {SCHEMA_VERSION}")), "{msg}");
        // Left untouched.
        assert_eq!(schema_version(&conn).unwrap(), SCHEMA_VERSION + 1);
    }
}
