//! The audit trail of a group file: how a row is stored compactly, and read back exactly as it
//! was written.
//!
//! A group writes an audit row per operation, so the row's size is what the file grows by
//! under load. A row of `audit_rows` (schema version 5) holds integers only, besides the
//! request id: the user, operation, object and result are ids of `audit_names`, each distinct
//! string stored there once; the result of a success (`ok`), by far the most frequent, is
//! NULL; the request id, when it is lowercase hex as the server makes it, is stored as its
//! bytes (a BLOB) and any other id as text. Reading joins the names back, so a listing answers
//! the very rows written, whatever their schema version was (the migration to version 5 moved
//! the earlier rows here).

use crate::{AuditFilter, AuditRow, StoreError};
use rusqlite::types::Value;
use rusqlite::{Connection, params};
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
    // One statement interns the strings: a NULL (no object, a success) breaks the NOT NULL
    // constraint and is skipped by OR IGNORE like a name already there.
    conn.prepare_cached("INSERT OR IGNORE INTO audit_names(name) VALUES (?1), (?2), (?3), (?4)")?
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

/// Deletes the rows through `through`; how many went.
pub(super) fn prune(conn: &Connection, through: i64) -> Result<u64, StoreError> {
    let n = conn
        .prepare_cached("DELETE FROM audit_rows WHERE seq <= ?1")?
        .execute(params![through])?;
    Ok(u64::try_from(n).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

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
