//! Capacity limits on what groups may hold on disk: `--max-groups` and `--max-data-bytes`.
//!
//! What is counted: with SQLCipher files, groups are the `*.db` files of `<data-dir>/groups`
//! and data bytes the sizes of every file there (each group's database, its `-wal` and `-shm`,
//! and any other file); with `--database`, the groups of the database and the bytes of their
//! sealed rows ([`ekms_store::postgres::Usage`]), the same for every node. Both are measured
//! at start, after each registration and deletion, and periodically
//! ([`Capacity::scan_interval`]: 2 s, longer with many groups, as each scan costs a `stat` per
//! file or a scan of the tables). A limit reached answers 503 with `Retry-After`:
//! registration when either is reached, and operations that add to a group (see
//! [`grows_group`]) when the data bytes are; reading, deleting and using keys go on.

use crate::error::{ApiError, KmipError};
use ekms_kmip::enums::Operation;
use ekms_store::PgPool;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How often the group directory is measured again (writes grow files between scans), at
/// least; one more second per [`GROUPS_PER_SCAN_SECOND`] groups.
pub const SCAN_INTERVAL: Duration = Duration::from_secs(2);
pub const GROUPS_PER_SCAN_SECOND: u64 = 1000;
/// On the database, one more second per this many bytes of sealed rows: each scan reads every
/// row's length, so a larger database is measured less often.
pub const DATABASE_BYTES_PER_SCAN_SECOND: u64 = 64 << 20;
/// The `Retry-After` of a capacity refusal: capacity comes back only when groups or objects
/// are deleted, so clients should not retry at once.
pub const RETRY_AFTER_SECONDS: u64 = 60;

/// Where the groups are, to be measured.
enum Source {
    /// The directory of the SQLCipher group files.
    Dir(PathBuf),
    /// The PostgreSQL database of `--database`.
    Database(PgPool),
}

/// The counts and their limits (0: none).
pub struct Capacity {
    source: Source,
    max_groups: u64,
    max_data_bytes: u64,
    groups: AtomicU64,
    data_bytes: AtomicU64,
    /// Held by a registration from its check to its new count, and by every scan, so that
    /// concurrent registrations cannot all pass the last free place.
    registering: Mutex<()>,
}

/// Operations that add objects or attribute data to a group.
pub fn grows_group(op: Operation) -> bool {
    matches!(
        op,
        Operation::Create
            | Operation::CreateKeyPair
            | Operation::Register
            | Operation::ReKey
            | Operation::ReKeyKeyPair
            | Operation::DeriveKey
            | Operation::Import
            | Operation::CreateSplitKey
            | Operation::JoinSplitKey
            | Operation::Certify
            | Operation::ReCertify
            | Operation::AddAttribute
            | Operation::SetAttribute
            | Operation::ModifyAttribute
            | Operation::AdjustAttribute
    )
}

impl Capacity {
    /// Limits on the group directory `dir` (created before this is called), measured now.
    pub fn new(dir: PathBuf, max_groups: u64, max_data_bytes: u64) -> Self {
        Self::of(Source::Dir(dir), max_groups, max_data_bytes)
    }

    /// Limits on the groups of the database of `pool`, measured now. Blocking.
    pub fn on_database(pool: PgPool, max_groups: u64, max_data_bytes: u64) -> Self {
        Self::of(Source::Database(pool), max_groups, max_data_bytes)
    }

    fn of(source: Source, max_groups: u64, max_data_bytes: u64) -> Self {
        let c = Self {
            source,
            max_groups,
            max_data_bytes,
            groups: AtomicU64::new(0),
            data_bytes: AtomicU64::new(0),
            registering: Mutex::new(()),
        };
        c.scan();
        c
    }

    /// How long to wait before the next periodic scan.
    pub fn scan_interval(&self) -> Duration {
        let groups = self.groups.load(Ordering::SeqCst);
        let mut seconds = groups / GROUPS_PER_SCAN_SECOND;
        if matches!(self.source, Source::Database(_)) {
            seconds += self.data_bytes.load(Ordering::SeqCst) / DATABASE_BYTES_PER_SCAN_SECOND;
        }
        SCAN_INTERVAL.max(Duration::from_secs(seconds))
    }

    /// Measures the group directory again. Blocking.
    pub fn scan(&self) {
        let _registering = self.lock();
        self.scan_locked();
    }

    fn scan_locked(&self) {
        let dir = match &self.source {
            Source::Dir(dir) => dir,
            Source::Database(pool) => {
                // A scan of the shared tables by every node: not run when no limit is set.
                if self.max_groups == 0 && self.max_data_bytes == 0 {
                    return;
                }
                match pool.usage() {
                    Ok(usage) => {
                        self.groups.store(usage.groups, Ordering::SeqCst);
                        self.data_bytes.store(usage.sealed_bytes, Ordering::SeqCst);
                    }
                    // The last counts stand until the database answers again.
                    Err(e) => tracing::warn!("cannot measure the database's groups: {e}"),
                }
                return;
            }
        };
        let (mut groups, mut bytes) = (0u64, 0u64);
        match std::fs::read_dir(dir) {
            Ok(entries) => {
                for entry in entries.flatten() {
                    // A file removed meanwhile is simply not counted.
                    let Ok(meta) = entry.metadata() else { continue };
                    if !meta.is_file() {
                        continue;
                    }
                    bytes = bytes.saturating_add(meta.len());
                    if entry.path().extension().is_some_and(|e| e == "db") {
                        groups += 1;
                    }
                }
            }
            Err(e) => tracing::error!("cannot measure {}: {e}", dir.display()),
        }
        self.groups.store(groups, Ordering::SeqCst);
        self.data_bytes.store(bytes, Ordering::SeqCst);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.registering.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn data_full(&self) -> bool {
        self.max_data_bytes > 0 && self.data_bytes.load(Ordering::SeqCst) >= self.max_data_bytes
    }

    fn data_refusal(&self) -> String {
        format!(
            "this server's group data has reached --max-data-bytes ({} bytes)",
            self.max_data_bytes
        )
    }

    /// Runs `register` (which creates one group) if both limits leave room, then measures
    /// again; 503 otherwise. Blocking.
    pub fn register<T>(
        &self,
        register: impl FnOnce() -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let _registering = self.lock();
        if self.max_groups > 0 && self.groups.load(Ordering::SeqCst) >= self.max_groups {
            tracing::warn!(
                max_groups = self.max_groups,
                "registration refused: --max-groups reached"
            );
            return Err(ApiError::unavailable(
                "capacity_reached",
                format!(
                    "this server holds its maximum of groups (--max-groups {})",
                    self.max_groups
                ),
                RETRY_AFTER_SECONDS,
            ));
        }
        if self.data_full() {
            tracing::warn!(
                max_data_bytes = self.max_data_bytes,
                "registration refused: --max-data-bytes reached"
            );
            return Err(ApiError::unavailable(
                "capacity_reached",
                self.data_refusal(),
                RETRY_AFTER_SECONDS,
            ));
        }
        let out = register();
        self.scan_locked();
        out
    }

    /// Refuses `op` with Server Limit Exceeded (503 on `POST /kmip/2_1`) when it would add to
    /// a group and the data bytes are at their limit.
    pub fn admit(&self, op: Operation) -> Result<(), KmipError> {
        if grows_group(op) && self.data_full() {
            tracing::warn!(
                op = op.name(),
                max_data_bytes = self.max_data_bytes,
                "operation refused: --max-data-bytes reached"
            );
            return Err(KmipError::capacity(self.data_refusal()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ekms_kmip::enums::ResultReason;

    #[test]
    fn counts_databases_and_bytes_and_refuses_beyond() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.db"), [0u8; 100]).unwrap();
        std::fs::write(dir.path().join("a.db-wal"), [0u8; 50]).unwrap();
        let c = Capacity::new(dir.path().to_path_buf(), 2, 200);
        assert_eq!(c.groups.load(Ordering::SeqCst), 1);
        assert_eq!(c.data_bytes.load(Ordering::SeqCst), 150);
        assert!(c.admit(Operation::Create).is_ok());
        // One more group fits; the data bytes are then over the limit.
        c.register(|| {
            std::fs::write(dir.path().join("b.db"), [0u8; 100]).unwrap();
            Ok(())
        })
        .unwrap();
        let e = c.register(|| Ok(())).unwrap_err();
        assert_eq!(e.status, axum::http::StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(e.retry_after, Some(RETRY_AFTER_SECONDS));
        let refused = c.admit(Operation::Create).unwrap_err();
        assert_eq!(refused.reason, ResultReason::ServerLimitExceeded);
        assert!(refused.capacity, "a reached capacity is 503 on /kmip/2_1");
        // Reading and using keys go on.
        assert!(c.admit(Operation::Get).is_ok());
        assert!(c.admit(Operation::Encrypt).is_ok());
        // No limits: nothing is refused.
        assert_eq!(c.scan_interval(), SCAN_INTERVAL);
        c.groups.store(25_000, Ordering::SeqCst);
        assert_eq!(c.scan_interval(), Duration::from_secs(25));
        let none = Capacity::new(dir.path().to_path_buf(), 0, 0);
        assert!(none.register(|| Ok(())).is_ok());
        assert!(none.admit(Operation::Create).is_ok());
    }
}
