//! The open-file budget: the soft `RLIMIT_NOFILE` raised to the hard limit at start, and how
//! the descriptors are shared between connections and open group databases.
//!
//! With `N` the open-file limit in force: [`RESERVED_FILES`] stay for everything else
//! (listeners, standard streams, the runtime, the platform and TLS files, a registration's
//! new database, bursts while evicted connections close); of the rest, `S = N - 64`, open
//! groups get at most half, at [`FILES_PER_OPEN_GROUP`] each: `min(1024, max(1, S / 10))`
//! groups; connections get what remains: `min(1024, max(8, S - 5 × groups))`. So 200 files
//! give 13 open groups and 71 connections; 1024 give 96 and 480; 65,536 give 1024 and 1024.
//! `--max-open-groups` and `--max-connections` replace either number.

/// Descriptors kept for everything but connections and open groups.
pub const RESERVED_FILES: u64 = 64;
/// An open group database holds its file, its `-wal` and its `-shm`, and once a Locate ran on
/// the async worker, its read-only connection's file and `-wal` (the `-shm` is shared).
pub const FILES_PER_OPEN_GROUP: u64 = 5;
/// Ceilings of the derived numbers (memory, not descriptors, bounds them beyond).
pub const MAX_DERIVED_OPEN_GROUPS: u64 = 1024;
pub const MAX_DERIVED_CONNECTIONS: u64 = 1024;

/// How many connections and open groups the server allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// The soft open-file limit in force.
    pub open_files: u64,
    pub connections: usize,
    pub open_groups: usize,
}

impl Budget {
    /// Whether connections and open groups fit in the open files with the reserve kept.
    pub fn fits(&self) -> bool {
        let groups = (self.open_groups as u64).saturating_mul(FILES_PER_OPEN_GROUP);
        RESERVED_FILES
            .saturating_add(groups)
            .saturating_add(self.connections as u64)
            <= self.open_files
    }
}

/// Raises the soft open-file limit to the hard one and returns the soft limit in force.
pub fn raise_open_file_limit() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!("cannot raise the open-file limit: {e}");
            rlimit::getrlimit(rlimit::Resource::NOFILE)
                .map(|(soft, _)| soft)
                .unwrap_or(1024)
        }
    }
}

/// The budget for `open_files` descriptors; a non-zero `max_connections` or `max_open_groups`
/// (the settings) replaces the derived number.
pub fn derive(open_files: u64, max_connections: usize, max_open_groups: usize) -> Budget {
    let spare = open_files.saturating_sub(RESERVED_FILES);
    let groups = match max_open_groups {
        0 => (spare / (2 * FILES_PER_OPEN_GROUP)).clamp(1, MAX_DERIVED_OPEN_GROUPS),
        n => n as u64,
    };
    let connections = match max_connections {
        0 => spare
            .saturating_sub(groups.saturating_mul(FILES_PER_OPEN_GROUP))
            .clamp(8, MAX_DERIVED_CONNECTIONS),
        n => n as u64,
    };
    Budget {
        open_files,
        connections: usize::try_from(connections).unwrap_or(usize::MAX),
        open_groups: usize::try_from(groups).unwrap_or(usize::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_examples() {
        let b = derive(200, 0, 0);
        assert_eq!((b.open_groups, b.connections), (13, 71));
        let b = derive(1024, 0, 0);
        assert_eq!((b.open_groups, b.connections), (96, 480));
        let b = derive(65_536, 0, 0);
        assert_eq!((b.open_groups, b.connections), (1024, 1024));
        let b = derive(u64::MAX, 0, 0);
        assert_eq!((b.open_groups, b.connections), (1024, 1024));
        // Tiny limits still leave something to work with.
        let b = derive(10, 0, 0);
        assert_eq!((b.open_groups, b.connections), (1, 8));
        assert!(derive(200, 0, 0).fits() && derive(65_536, 0, 0).fits());
        // Settings replace the derived numbers.
        let b = derive(200, 500, 7);
        assert_eq!((b.open_groups, b.connections), (7, 500));
        assert!(!b.fits());
    }

    #[test]
    fn the_soft_limit_is_raised_to_the_hard_one() {
        let n = raise_open_file_limit();
        let (soft, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
        assert_eq!(n, soft);
        assert_eq!(soft, hard);
    }
}
