//! The error type of the stores.

/// What went wrong in a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The key does not open the database (wrong key, or not a database).
    #[error("the database cannot be opened with this key")]
    WrongKey,
    /// The database file does not exist.
    #[error("no such group database")]
    NotFound,
    /// An object with this uid exists already.
    #[error("object {0} exists already")]
    Conflict(String),
    /// An object to update does not exist.
    #[error("object {0} not found")]
    MissingObject(String),
    /// A layer over a transaction (a rights check wrapping [`crate::StoreTx`]) refused a call;
    /// the layer keeps the full reason for its caller. Callers of
    /// [`crate::ObjectStoreExt::transact`] return their own error type instead.
    #[error("{0}")]
    Aborted(String),
    /// The database was written by a newer ekms, with a schema this one does not know.
    #[error(
        "the group database has schema version {found}, newer than version {known}, the newest this ekms knows: upgrade ekms"
    )]
    NewerSchema { found: i64, known: i64 },
    /// The shared commit of this operation's transaction failed: nothing it wrote was kept.
    #[error("the transaction was not committed: {0}")]
    Commit(String),
    /// A stored row does not open under the group's keys, or disagrees with the group's sealed
    /// record (copied from another group, swapped with another object's, put back at an older
    /// version, removed): someone with access to the database changed it.
    #[error("the stored data of this group was tampered with: {0}")]
    Tampered(String),
    /// The group changed (another node or request wrote it) between this transaction's first
    /// read and its first write: nothing was written; running the operation again is safe.
    #[error("the group changed while this transaction ran; nothing was written: retry")]
    Changed,
    /// The database server cannot be reached or dropped the connection.
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// Anything the database engine reported.
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    /// Anything PostgreSQL reported.
    #[cfg(feature = "postgres")]
    #[error("PostgreSQL error: {0}")]
    Postgres(postgres::Error),
    /// A Locate or listing would decrypt more rows than one request may (the bound is the
    /// engine's; the PostgreSQL engine documents it in docs/several-nodes.md).
    #[error(
        "more than {0} objects match: narrow the query, or page through it with Maximum Items and Offset Items"
    )]
    TooMany(usize),
    /// The group's audit trail holds as many rows as its cap allows
    /// ([`crate::retention::AuditCount`]): the row, and the work it would record, are refused.
    #[error(
        "the group's audit trail is full ({rows} rows, its cap is {cap}): nothing more is done in this group until rows are exported and pruned (`ekms audit export -o FILE`) or the cap is raised (`ekms audit retention --max-rows N`)"
    )]
    AuditFull { rows: u64, cap: u64 },
    /// Filesystem errors.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}
