//! The audit trail of a group file: how a row is stored compactly, read back exactly as it
//! was written, and pruned with the names only the pruned rows used.
//!
//! A group writes an audit row per operation, so the row's size is what the file grows by
//! under load. A row of `audit_rows` (schema version 5) holds integers only, besides the
//! request id: the user, operation, object and result are ids of `audit_names`, each distinct
//! string stored there once; the result of a success (`ok`), by far the most frequent, is
//! NULL; the request id, when it is lowercase hex as the server makes it, is stored as its
//! bytes (a BLOB) and any other id as text. Reading joins the names back, so a listing answers
//! the very rows written, whatever their schema version was (the migration to version 5 moved
//! the earlier rows here).
//!
//! Every Create names a new object, so the names would grow without bound even under
//! retention. Each name counts the rows that reference it (`refs`, schema version 6), and a
//! prune deletes, with the rows, the names whose count falls to zero, in bounded steps (see
//! [`SqlCipherStore::prune_audit_steps`]). A count, not an index on each column of the rows,
//! since an index would add its entry to every row written (see BENCHMARKS.md, "The audit
//! trail's size").

use super::SqlCipherStore;
use crate::{AuditFilter, AuditRow, StoreError};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params};
use std::fmt::Write as _;

/// The result a success writes, stored as NULL.
const OK: &str = "ok";

/// The request id as stored: its bytes when it is lowercase hex (as the server makes them;
/// hex-encoding the bytes gives back the same string), else the text itself.
fn request_id_value(id: Option<&str>) -> Value {
    match id {
        None => Value::Null,
        Some(s)
            if !s.is_empty()
                && s.len() % 2 == 0
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) =>
        {
            hex::decode(s).map_or_else(|_| Value::Text(s.to_owned()), Value::Blob)
        }
        Some(s) => Value::Text(s.to_owned()),
    }
}

/// The request id read back from either form.
fn request_id_of(v: Value) -> Option<String> {
    match v {
        Value::Blob(b) => Some(hex::encode(b)),
        Value::Text(s) => Some(s),
        _ => None,
    }
}

/// The columns of a row (`a.seq`, then the row's own from `a.time`) and the joins that give
/// back its names; a query adds its `WHERE`.
const SELECT: &str = "SELECT a.seq, a.time, u.name, o.name, b.name, r.name, a.request_id
     FROM audit_rows a
     JOIN audit_names u ON u.id = a.user
     JOIN audit_names o ON o.id = a.operation
     LEFT JOIN audit_names b ON b.id = a.object
     LEFT JOIN audit_names r ON r.id = a.result";

/// The row of a result of [`SELECT`].
fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditRow> {
    Ok(AuditRow {
        time: r.get(1)?,
        user: r.get(2)?,
        operation: r.get(3)?,
        object: r.get(4)?,
        result: r.get::<_, Option<String>>(5)?.unwrap_or_else(|| OK.into()),
        request_id: request_id_of(r.get(6)?),
    })
}

/// Appends `row` to the trail.
pub(super) fn insert(conn: &Connection, row: &AuditRow) -> Result<(), StoreError> {
    let result = (row.result != OK).then_some(row.result.as_str());
    // One statement interns the strings and counts this row's references to them (a name
    // twice in the row counts twice); a NULL (no object, a success) is no name. The count
    // and the row commit together, so a name's count is the rows that reference it.
    conn.prepare_cached(
        "INSERT INTO audit_names(name, refs)
         SELECT column1, 1 FROM (VALUES (?1), (?2), (?3), (?4)) WHERE column1 IS NOT NULL
         ON CONFLICT(name) DO UPDATE SET refs = refs + 1",
    )?
    .execute(params![row.user, row.operation, row.object, result])?;
    conn.prepare_cached(
        "INSERT INTO audit_rows(time, user, operation, object, result, request_id)
         VALUES (?1,
                 (SELECT id FROM audit_names WHERE name = ?2),
                 (SELECT id FROM audit_names WHERE name = ?3),
                 (SELECT id FROM audit_names WHERE name = ?4),
                 (SELECT id FROM audit_names WHERE name = ?5),
                 ?6)",
    )?
    .execute(params![
        row.time,
        row.user,
        row.operation,
        row.object,
        result,
        request_id_value(row.request_id.as_deref())
    ])?;
    Ok(())
}

/// The rows matching `f`, newest first.
pub(super) fn list(conn: &Connection, f: &AuditFilter) -> Result<Vec<AuditRow>, StoreError> {
    let mut sql = format!("{SELECT} WHERE 1 = 1");
    let mut args: Vec<Value> = Vec::new();
    // A name never written has no id: the subquery is NULL and matches no row.
    for (column, value) in [
        ("a.user", &f.user),
        ("a.operation", &f.operation),
        ("a.object", &f.object),
    ] {
        if let Some(v) = value {
            args.push(Value::Text(v.clone()));
            // Writing into a String cannot fail.
            let _ = write!(
                sql,
                " AND {column} = (SELECT id FROM audit_names WHERE name = ?{})",
                args.len()
            );
        }
    }
    if let Some(t) = f.since {
        args.push(Value::Integer(t));
        let _ = write!(sql, " AND a.time >= ?{}", args.len());
    }
    let limit = f
        .limit
        .map_or(-1i64, |m| i64::try_from(m).unwrap_or(i64::MAX));
    let _ = write!(sql, " ORDER BY a.seq DESC LIMIT {limit}");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), read_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The rows of [`crate::AccessTx::audit_oldest`].
pub(super) fn oldest(
    conn: &Connection,
    after: i64,
    before: Option<i64>,
    limit: usize,
) -> Result<Vec<(i64, AuditRow)>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "{SELECT} WHERE a.seq > ?1 ORDER BY a.seq LIMIT ?2"
    ))?;
    // SQLite's LIMIT is signed; a page larger than it can hold is every row.
    let page = i64::try_from(limit).unwrap_or(-1);
    let rows = stmt.query_map(params![after, page], |r| Ok((r.get(0)?, read_row(r)?)))?;
    crate::retention::page_before(rows, before)
}

/// The rows of the trail: sequence numbers are consecutive (rows leave only from the oldest
/// end), so two index reads count them.
pub(super) fn count(conn: &Connection) -> Result<u64, StoreError> {
    let n: i64 = conn
        .prepare_cached("SELECT coalesce(max(seq) - min(seq) + 1, 0) FROM audit_rows")?
        .query_row([], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The most rows one step of a prune deletes (see [`SqlCipherStore::prune_audit_steps`]).
const PRUNE_STEP: usize = 20_000;

/// The references of the rows `?1..=?2` to each name: `(id, n)`.
const REFS_OF_STEP: &str = "SELECT id, count(*) AS n FROM (
        SELECT user AS id FROM audit_rows WHERE seq BETWEEN ?1 AND ?2
        UNION ALL SELECT operation FROM audit_rows WHERE seq BETWEEN ?1 AND ?2
        UNION ALL SELECT object FROM audit_rows WHERE seq BETWEEN ?1 AND ?2
        UNION ALL SELECT result FROM audit_rows WHERE seq BETWEEN ?1 AND ?2)
    WHERE id IS NOT NULL GROUP BY id";

/// One step of a prune through `through`, in the open transaction: deletes the oldest rows,
/// at most [`PRUNE_STEP`] of them, and the names only they referenced; how many rows went
/// (0: none is left through `through`).
///
/// Why a name it deletes is one no row uses, committed or about to be: its count is the rows
/// that reference it, kept in the transaction that writes a row ([`insert`]) and in this one,
/// which deletes the rows it counts down (every row through the step's last, since a prune
/// takes the oldest). This runs in a write transaction (`BEGIN IMMEDIATE`), which SQLite
/// serializes with every other write to the file, from any connection, and which reads the
/// last commit: a row's transaction interns its names, reads their ids and inserts the row
/// either wholly before this one (its count then holds the name here) or wholly after (its
/// `INSERT ... ON CONFLICT` then writes the name again, under a new id if it went). On the
/// group's own connection the step also waits for the open batch of transactions to commit
/// ([`SqlCipherStore::prune_audit_steps`] takes the connection idle).
fn prune_step(conn: &Connection, through: i64) -> Result<u64, StoreError> {
    let first: Option<i64> = conn
        .prepare_cached("SELECT min(seq) FROM audit_rows")?
        .query_row([], |r| r.get(0))?;
    let Some(first) = first.filter(|f| *f <= through) else {
        return Ok(0);
    };
    // The step's last row: the PRUNE_STEP-th from the oldest, if `through` is past it.
    let last: Option<i64> = conn
        .prepare_cached(
            "SELECT seq FROM audit_rows WHERE seq <= ?1 ORDER BY seq LIMIT 1 OFFSET ?2",
        )?
        .query_row(
            params![through, i64::try_from(PRUNE_STEP - 1).unwrap_or(0)],
            |r| r.get(0),
        )
        .optional()?;
    let last = last.unwrap_or(through);
    conn.prepare_cached(&format!(
        "UPDATE audit_names SET refs = refs - d.n FROM ({REFS_OF_STEP}) AS d
         WHERE audit_names.id = d.id"
    ))?
    .execute(params![first, last])?;
    conn.prepare_cached(&format!(
        "DELETE FROM audit_names WHERE refs <= 0 AND id IN (SELECT id FROM ({REFS_OF_STEP}))"
    ))?
    .execute(params![first, last])?;
    let n = conn
        .prepare_cached("DELETE FROM audit_rows WHERE seq <= ?1")?
        .execute(params![last])?;
    Ok(u64::try_from(n).unwrap_or(0))
}

impl SqlCipherStore {
    /// [`crate::ObjectStore::prune_audit`]: deletes the rows through `through` and the names
    /// no remaining row references, in steps of at most [`PRUNE_STEP`] rows, each its own
    /// transaction, so that the group's requests wait for one step at most, not for a prune
    /// of millions of rows. The count follows the table after each step. Returns how many
    /// rows went; a step that fails leaves the earlier steps' rows pruned.
    pub(super) fn prune_audit_steps(&self, through: i64) -> Result<u64, StoreError> {
        let mut total = 0;
        loop {
            let held = self.hold_idle();
            let conn = &held.st.conn;
            conn.execute_batch("BEGIN IMMEDIATE")?;
            let step = prune_step(conn, through)
                .and_then(|n| count(conn).map(|rows| (n, rows)))
                .and_then(|done| Ok(conn.execute_batch("COMMIT").map(|()| done)?));
            match step {
                Ok((n, rows)) => {
                    self.audit_count.set_rows(rows);
                    if n == 0 {
                        return Ok(total);
                    }
                    total += n;
                }
                Err(e) => {
                    if !conn.is_autocommit() {
                        let _ = conn.execute_batch("ROLLBACK");
                    }
                    return Err(e);
                }
            }
        }
    }
}

/// The names of `audit_names`, a count only tests read.
#[cfg(test)]
pub(super) fn name_count(conn: &Connection) -> Result<u64, StoreError> {
    let n: i64 = conn.query_row("SELECT count(*) FROM audit_names", [], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::super::SqlCipherStore;
    use super::*;
    use crate::{ObjectStore, ObjectStoreExt};

    fn store() -> (tempfile::TempDir, SqlCipherStore) {
        let dir = tempfile::tempdir().unwrap();
        let s = SqlCipherStore::create(&dir.path().join("g.db"), &[5u8; 32], "g").unwrap();
        (dir, s)
    }

    /// A row of `user` on `object` at `time`; a failure when `time` is a multiple of 7, its
    /// text naming the object (as refusals do), so that a result is a name of its own.
    fn row(time: i64, user: &str, object: &str) -> AuditRow {
        AuditRow {
            time,
            user: user.into(),
            operation: "Create".into(),
            object: Some(object.into()),
            result: if time % 7 == 0 {
                format!("denied: {object}")
            } else {
                OK.into()
            },
            request_id: Some(format!("{time:016x}")),
        }
    }

    fn names(s: &SqlCipherStore) -> u64 {
        name_count(&s.hold_idle().st.conn).unwrap()
    }

    fn seqs(s: &SqlCipherStore) -> Vec<i64> {
        s.transact(|tx| tx.audit_oldest(0, None, usize::MAX))
            .unwrap()
            .into_iter()
            .map(|(seq, _)| seq)
            .collect()
    }

    /// Every row lists, newest first, as written: `expected` oldest first.
    fn lists_as_written(s: &SqlCipherStore, expected: &[AuditRow]) {
        let listed = s
            .transact(|tx| tx.audit_list(&AuditFilter::default()))
            .unwrap();
        let want: Vec<AuditRow> = expected.iter().rev().cloned().collect();
        assert_eq!(listed, want);
    }

    /// The distinct strings `rows` reference: what the names table must hold, no more.
    fn distinct_names(rows: &[AuditRow]) -> u64 {
        let mut all = std::collections::BTreeSet::new();
        for r in rows {
            all.insert(r.user.clone());
            all.insert(r.operation.clone());
            all.extend(r.object.clone());
            if r.result != OK {
                all.insert(r.result.clone());
            }
        }
        u64::try_from(all.len()).unwrap()
    }

    #[test]
    fn names_only_pruned_rows_used_leave_with_them_and_the_rest_read_back() {
        let (_dir, s) = store();
        // Each row a new object (as every Create is); "shared" is used by an old row and a
        // new one, "bob" by old rows only.
        let mut rows: Vec<AuditRow> = (1..=30)
            .map(|t| row(t, if t <= 10 { "bob" } else { "alice" }, &format!("k{t}")))
            .collect();
        rows.push(row(31, "alice", "shared"));
        rows.insert(0, row(0, "carol", "shared"));
        for r in &rows {
            s.transact(|tx| tx.audit(r)).unwrap();
        }
        assert_eq!(names(&s), distinct_names(&rows));
        let all = seqs(&s);
        // Through the row of time 20: bob's rows, k1..k20, "denied: k7" and "k14" go.
        assert_eq!(s.prune_audit(all[20]).unwrap(), 21);
        let left = &rows[21..];
        assert_eq!(names(&s), distinct_names(left));
        lists_as_written(&s, left);
        assert_eq!(s.audit_count().unwrap().rows(), 11);
        // A pruned name written again is a name again, and reads back.
        let again = row(40, "bob", "k1");
        s.transact(|tx| tx.audit(&again)).unwrap();
        let mut left = left.to_vec();
        left.push(again);
        assert_eq!(names(&s), distinct_names(&left));
        lists_as_written(&s, &left);
        // Everything pruned: no name stays.
        let last = *seqs(&s).last().unwrap();
        assert_eq!(s.prune_audit(last).unwrap(), 12);
        assert_eq!(names(&s), 0);
    }

    #[test]
    fn a_prune_larger_than_a_step_goes_in_steps_and_collects_every_name() {
        let (_dir, s) = store();
        let n = i64::try_from(PRUNE_STEP * 2 + 10).unwrap();
        let rows: Vec<AuditRow> = (0..n).map(|t| row(t, "alice", &format!("k{t}"))).collect();
        s.transact(|tx| rows.iter().try_for_each(|r| tx.audit(r)))
            .unwrap();
        let all = seqs(&s);
        let keep = 5;
        assert_eq!(
            s.prune_audit(all[all.len() - keep - 1]).unwrap(),
            u64::try_from(all.len() - keep).unwrap()
        );
        let left = &rows[rows.len() - keep..];
        assert_eq!(names(&s), distinct_names(left));
        lists_as_written(&s, left);
    }

    /// One thread writes rows, each naming a new object and a few a name used before (which
    /// a prune may be collecting at that moment), while another prunes all but the newest
    /// rows, through the same store or through a second connection to the file: every row
    /// that stays reads back with its names, and no other name stays.
    fn rows_written_while_names_are_collected_keep_their_names(second_connection: bool) {
        let (dir, s) = store();
        let s = std::sync::Arc::new(s);
        let pruner = if second_connection {
            std::sync::Arc::new(SqlCipherStore::open(&dir.path().join("g.db"), &[5u8; 32]).unwrap())
        } else {
            s.clone()
        };
        // The writer waits for a prune every 500 rows: on its own it can take the database's
        // write lock back after each commit faster than the pruner's busy handler retries, and
        // then no prune runs beside it at all.
        let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let writer = {
            let s = s.clone();
            let done = done.clone();
            std::thread::spawn(move || {
                let mut written = Vec::new();
                for t in 0..3_000i64 {
                    if t % 500 == 499 {
                        let want = usize::try_from(t / 500).unwrap() + 1;
                        let start = std::time::Instant::now();
                        while done.load(std::sync::atomic::Ordering::SeqCst) < want
                            && start.elapsed() < std::time::Duration::from_secs(20)
                        {
                            std::thread::sleep(std::time::Duration::from_millis(1));
                        }
                    }
                    // Every third row reuses the object of the row three before, whose own row
                    // may just have been pruned.
                    let object = if t % 3 == 0 {
                        format!("k{}", t - 3)
                    } else {
                        format!("k{t}")
                    };
                    let r = row(t, if t % 2 == 0 { "alice" } else { "bob" }, &object);
                    s.transact(|tx| tx.audit(&r)).unwrap();
                    written.push(r);
                }
                written
            })
        };
        let mut prunes = 0;
        while !writer.is_finished() {
            let all = seqs(&pruner);
            if all.len() > 20 {
                pruner.prune_audit(all[all.len() - 20]).unwrap();
                prunes += 1;
                done.store(prunes, std::sync::atomic::Ordering::SeqCst);
            }
        }
        let written = writer.join().unwrap();
        assert!(prunes > 3, "only {prunes} prunes ran beside the writer");
        let listed = s
            .transact(|tx| tx.audit_list(&AuditFilter::default()))
            .unwrap();
        let n = listed.len();
        assert!(n >= 19, "{n}");
        lists_as_written(&s, &written[written.len() - n..]);
        assert_eq!(names(&s), distinct_names(&written[written.len() - n..]));
    }

    #[test]
    fn rows_written_on_the_same_connection_while_names_are_collected_keep_their_names() {
        rows_written_while_names_are_collected_keep_their_names(false);
    }

    #[test]
    fn rows_written_on_another_connection_while_names_are_collected_keep_their_names() {
        rows_written_while_names_are_collected_keep_their_names(true);
    }

    #[test]
    fn request_ids_round_trip_in_either_form() {
        for id in [
            None,
            Some("00112233aabbccdd"),
            Some("00112233AABBCCDD"),
            Some("abc"),
            Some("not hex at all"),
            Some(""),
        ] {
            let v = request_id_value(id);
            if id == Some("00112233aabbccdd") {
                assert_eq!(
                    v,
                    Value::Blob(vec![0, 0x11, 0x22, 0x33, 0xaa, 0xbb, 0xcc, 0xdd])
                );
            }
            assert_eq!(request_id_of(v).as_deref(), id);
        }
    }
}

/// Measures what keeping the names bounded costs: an `#[ignore]`d test that prints, for rows
/// written as the server does (group commits of 100), the time and file bytes per row of
/// version 5's writes (no counts), of this version's (counts), and of version 5's with an
/// index on each column that references a name (the other way to find unused names); then,
/// for version 5 and this version, the names and file bytes over two cycles of pruning to the
/// newest tenth and writing as many rows again, and the longest transaction of each prune.
/// Run: `cargo test -p ekms-store --lib -- --ignored --nocapture measure_audit_names`.
#[cfg(test)]
mod measure {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::time::Instant;

    const ROWS: i64 = 200_000;

    /// Row `t`: one in ten a Create of a new object, the others an Encrypt with one of 100.
    fn row(t: i64) -> AuditRow {
        let create = t % 10 == 0;
        AuditRow {
            time: 1_800_000_000 + t,
            user: if t % 2 == 0 { "alice" } else { "bob" }.into(),
            operation: if create { "Create" } else { "Encrypt" }.into(),
            object: Some(if create {
                format!("6cd7fa9d-aaf2-4672-a82b-{t:012}")
            } else {
                format!("6cd7fa9d-aaf2-4672-a82b-{:012}", t % 1000)
            }),
            result: OK.into(),
            request_id: Some(format!("{t:016x}")),
        }
    }

    fn file_bytes(conn: &Connection) -> i64 {
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
        conn.query_row(
            "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
            [],
            |r| r.get(0),
        )
        .unwrap()
    }

    /// Writes the rows with `write` in commits of 100; prints µs and bytes per row.
    fn write_all(label: &str, conn: &Connection, write: &dyn Fn(&Connection, &AuditRow)) {
        let base = file_bytes(conn);
        let start = Instant::now();
        for lot in 0..ROWS / 100 {
            conn.execute_batch("BEGIN IMMEDIATE").unwrap();
            for t in lot * 100..(lot + 1) * 100 {
                write(conn, &row(t));
            }
            conn.execute_batch("COMMIT").unwrap();
        }
        let us = start.elapsed().as_secs_f64() * 1e6 / ROWS as f64;
        let bytes = (file_bytes(conn) - base) as f64 / ROWS as f64;
        println!("{label:<40} {us:6.2} µs/row {bytes:6.1} bytes/row");
    }

    fn v5_insert(conn: &Connection, row: &AuditRow) {
        conn.prepare_cached("INSERT OR IGNORE INTO audit_names(name) VALUES (?1), (?2), (?3)")
            .unwrap()
            .execute(params![row.user, row.operation, row.object])
            .unwrap();
        conn.prepare_cached(
            "INSERT INTO audit_rows(time, user, operation, object, result, request_id)
             VALUES (?1, (SELECT id FROM audit_names WHERE name = ?2),
                     (SELECT id FROM audit_names WHERE name = ?3),
                     (SELECT id FROM audit_names WHERE name = ?4), NULL, ?5)",
        )
        .unwrap()
        .execute(params![
            row.time,
            row.user,
            row.operation,
            row.object,
            request_id_value(row.request_id.as_deref())
        ])
        .unwrap();
    }

    fn v5_file(dir: &std::path::Path, name: &str, indexes: bool) -> Connection {
        let conn = Connection::open(dir.join(name)).unwrap();
        super::super::schema::apply_key(&conn, &[5u8; 32]).unwrap();
        super::super::schema::configure(&conn).unwrap();
        conn.execute_batch(
            "CREATE TABLE audit_names (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
             CREATE TABLE audit_rows (seq INTEGER PRIMARY KEY AUTOINCREMENT,
                 time INTEGER NOT NULL, user INTEGER NOT NULL, operation INTEGER NOT NULL,
                 object INTEGER, result INTEGER, request_id);",
        )
        .unwrap();
        if indexes {
            conn.execute_batch(
                "CREATE INDEX r_user ON audit_rows(user);
                 CREATE INDEX r_op ON audit_rows(operation);
                 CREATE INDEX r_object ON audit_rows(object) WHERE object IS NOT NULL;
                 CREATE INDEX r_result ON audit_rows(result) WHERE result IS NOT NULL;",
            )
            .unwrap();
        }
        conn
    }

    /// Two cycles of retention as the sweep keeps it, after [`write_all`]: prune to the newest
    /// tenth with `prune` (timed per call, as the group's requests would wait for it), write as
    /// many rows again (new objects among them); prints the names and file bytes each time.
    fn cycles(
        label: &str,
        conn: &Connection,
        write: &dyn Fn(&Connection, &AuditRow),
        prune: &dyn Fn(&Connection, i64) -> u64,
    ) {
        for cycle in 1..=2 {
            let names_before = name_count(conn).unwrap();
            let through: i64 = conn
                .query_row(
                    "SELECT seq FROM audit_rows ORDER BY seq DESC LIMIT 1 OFFSET ?1",
                    [ROWS / 10],
                    |r| r.get(0),
                )
                .unwrap();
            let (mut longest, mut pruned) = (0f64, 0);
            let start = Instant::now();
            loop {
                let t = Instant::now();
                conn.execute_batch("BEGIN IMMEDIATE").unwrap();
                let n = prune(conn, through);
                conn.execute_batch("COMMIT").unwrap();
                longest = longest.max(t.elapsed().as_secs_f64());
                pruned += n;
                if n == 0 {
                    break;
                }
            }
            println!(
                "{label}, cycle {cycle}: names {names_before} -> {} after a prune of {pruned} \
                 rows: {:.2} s, longest transaction {:.0} ms",
                name_count(conn).unwrap(),
                start.elapsed().as_secs_f64(),
                longest * 1e3
            );
            for lot in 0..ROWS * 9 / 10 / 100 {
                conn.execute_batch("BEGIN IMMEDIATE").unwrap();
                for t in lot * 100..(lot + 1) * 100 {
                    write(conn, &row(ROWS * cycle + t));
                }
                conn.execute_batch("COMMIT").unwrap();
            }
            println!(
                "{label}, cycle {cycle}: {} names, file {} bytes after as many rows again",
                name_count(conn).unwrap(),
                file_bytes(conn)
            );
        }
    }

    #[test]
    #[ignore = "a measurement: prints figures, asserts nothing"]
    fn measure_audit_names() {
        let dir = tempfile::tempdir().unwrap();
        let v5 = v5_file(dir.path(), "v5.db", false);
        write_all("version 5 (no counts)", &v5, &|c, r| v5_insert(c, r));
        let indexed = v5_file(dir.path(), "idx.db", true);
        write_all("version 5 + an index per column", &indexed, &|c, r| {
            v5_insert(c, r);
        });
        drop(indexed);
        let s = super::super::SqlCipherStore::create(&dir.path().join("v6.db"), &[5u8; 32], "g")
            .unwrap();
        let held = s.hold_idle();
        let v6 = &held.st.conn;
        let write = |c: &Connection, r: &AuditRow| insert(c, r).unwrap();
        write_all("version 6 (counts)", v6, &write);
        // Version 5 pruned the rows in one statement and left the names.
        cycles("version 5", &v5, &|c, r| v5_insert(c, r), &|c, through| {
            u64::try_from(
                c.execute("DELETE FROM audit_rows WHERE seq <= ?1", [through])
                    .unwrap(),
            )
            .unwrap()
        });
        cycles("version 6", v6, &write, &|c, through| {
            prune_step(c, through).unwrap()
        });
    }
}
