//! The tables every group shares, and the versioned migrations that bring a database written
//! by an earlier release to the schema this one uses.
//!
//! The schema version is the single row of `ekms_schema`. Connecting applies, in order, the
//! migrations after the database's version, in one transaction (a savepoint each) under an
//! advisory lock, so that nodes starting together migrate once and a failed migration leaves
//! nothing half done; a database whose version is newer than
//! [`SCHEMA_VERSION`] is refused ([`StoreError::NewerSchema`]) and left untouched.
//!
//! What the operator sees in the clear is only what the tables name here: group ids, row
//! versions, insertion order (`seq`), blind indexes (see [`super::seal`]) and sizes.

use crate::StoreError;
use postgres::GenericClient;

/// The schema this release writes: the newest migration's.
pub const SCHEMA_VERSION: i64 = 2;

/// The first schema.
const V1: &str = "
CREATE TABLE IF NOT EXISTS ekms_groups (
    group_id TEXT PRIMARY KEY,
    -- Tells a wrong data key from tampering: derived from the data key, reveals nothing of it.
    key_check BYTEA NOT NULL,
    -- The group's version, also inside the sealed record (which authenticates it).
    version BIGINT NOT NULL,
    -- The sealed group record: row versions, grants, metadata.
    record BYTEA NOT NULL
);
CREATE TABLE IF NOT EXISTS ekms_objects (
    group_id TEXT NOT NULL REFERENCES ekms_groups(group_id) ON DELETE CASCADE,
    uid_bi BYTEA NOT NULL,
    seq BIGSERIAL NOT NULL,
    rv BIGINT NOT NULL,
    type_bi BYTEA NOT NULL,
    state_bi BYTEA NOT NULL,
    alg_bi BYTEA NOT NULL,
    owner_bi BYTEA NOT NULL,
    sealed BYTEA NOT NULL,
    PRIMARY KEY (group_id, uid_bi)
);
CREATE INDEX IF NOT EXISTS ekms_objects_by_seq ON ekms_objects(group_id, seq);
CREATE TABLE IF NOT EXISTS ekms_names (
    group_id TEXT NOT NULL,
    uid_bi BYTEA NOT NULL,
    name_bi BYTEA NOT NULL,
    PRIMARY KEY (group_id, uid_bi, name_bi),
    FOREIGN KEY (group_id, uid_bi) REFERENCES ekms_objects(group_id, uid_bi) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS ekms_names_by_name ON ekms_names(group_id, name_bi);
CREATE TABLE IF NOT EXISTS ekms_audit (
    group_id TEXT NOT NULL REFERENCES ekms_groups(group_id) ON DELETE CASCADE,
    seq BIGSERIAL NOT NULL,
    sealed BYTEA NOT NULL,
    PRIMARY KEY (group_id, seq)
);
";

/// The key slots of each group (see [`super::slots`]): what the server needs to check a
/// group secret, kept with the group so that no node keeps any state of its own.
const V2: &str = "
CREATE TABLE IF NOT EXISTS ekms_key_slots (
    group_id TEXT PRIMARY KEY REFERENCES ekms_groups(group_id) ON DELETE CASCADE,
    -- The group's data key wrapped under each valid group secret: opens only with a secret.
    slots BYTEA NOT NULL
);
";

/// The migrations, in order: entry `i` brings a database from version `i` to version `i + 1`.
const MIGRATIONS: [&str; SCHEMA_VERSION as usize] = [V1, V2];

/// The advisory lock key the migrations run under (any constant of ours).
const MIGRATION_LOCK: i64 = 0x656b_6d73_5f70_6731;

/// The schema version of the database (0 for one ekms never wrote).
pub(crate) fn schema_version(c: &mut impl GenericClient) -> Result<i64, StoreError> {
    let exists: bool = c
        .query_one("SELECT to_regclass('ekms_schema') IS NOT NULL", &[])?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let row = c.query_opt("SELECT version FROM ekms_schema WHERE id = 0", &[])?;
    Ok(row.map_or(0, |r| i64::from(r.get::<_, i32>(0))))
}

/// Brings the database to [`SCHEMA_VERSION`], one migration per transaction, or refuses a
/// database newer than that.
pub(crate) fn migrate(c: &mut postgres::Client) -> Result<(), StoreError> {
    let mut tx = c.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    let found = schema_version(&mut tx)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            found,
            known: SCHEMA_VERSION,
        });
    }
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS ekms_schema (
             id INT PRIMARY KEY CHECK (id = 0), version INT NOT NULL);",
    )?;
    for (from, script) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(found).unwrap_or(0))
    {
        let to = i32::try_from(from + 1).unwrap_or(i32::MAX);
        let mut step = tx.transaction()?;
        step.batch_execute(script)?;
        step.execute(
            "INSERT INTO ekms_schema(id, version) VALUES (0, $1)
             ON CONFLICT (id) DO UPDATE SET version = excluded.version",
            &[&to],
        )?;
        step.commit()?;
    }
    tx.commit()?;
    Ok(())
}
