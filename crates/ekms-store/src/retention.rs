//! The bounds of a group's audit trail: the policy its administrator sets (kept in the group's
//! metadata under [`MAX_AGE_META_KEY`] and [`MAX_ROWS_META_KEY`]), the server's [`Limits`]
//! (the bound of a group that sets none, and the most any group may set), and
//! [`AuditCount`], the count of a store's rows against its cap, kept in memory so that
//! admitting a row costs no query.
//!
//! At the cap a new row is refused ([`StoreError::AuditFull`]), and with it the work it would
//! record: the trail never loses a row to make room. Rows leave it only through
//! [`crate::ObjectStore::prune_audit`], once exported or past the age the policy keeps; what
//! a pruned row alone used goes with it (on SQLCipher the strings it named, see
//! `sqlcipher::audit`), so a trail held by its policy stays bounded in bytes too.

use crate::{ObjectStore, ObjectStoreExt, StoreError};
use std::sync::atomic::{AtomicU64, Ordering};

/// Rows read per step while looking for the newest row to prune.
const PAGE: usize = 10_000;

/// The group metadata entry holding the days an audit row is kept (none: kept until pruned).
pub const MAX_AGE_META_KEY: &str = "audit_max_age_days";

/// The group metadata entry holding the most audit rows the group keeps (none: the server's
/// default).
pub const MAX_ROWS_META_KEY: &str = "audit_max_rows";

/// The server's bounds on every group's trail: a group that sets no bound gets the server's,
/// and one that sets a larger one is held to the server's. `None`: no bound.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    pub max_rows: Option<u64>,
    pub max_age_days: Option<u64>,
}

/// The tighter of the group's bound and the server's.
fn tighter(group: &AtomicU64, server: &AtomicU64) -> u64 {
    group
        .load(Ordering::SeqCst)
        .min(server.load(Ordering::SeqCst))
}

/// Sets `v` to `to` (`None`: `u64::MAX`) if it differs: a store touched by every request keeps
/// its cache line shared when nothing changes.
fn store_bound(v: &AtomicU64, to: Option<u64>) {
    let to = to.unwrap_or(u64::MAX);
    if v.load(Ordering::SeqCst) != to {
        v.store(to, Ordering::SeqCst);
    }
}

/// A store's audit rows, counted, against its cap.
///
/// The count may run ahead of the table (a row of a transaction that rolled back was counted):
/// it errs towards refusing early, never towards passing the cap, and the engine sets it from
/// the table again whenever it prunes.
#[derive(Debug)]
pub struct AuditCount {
    rows: AtomicU64,
    /// `u64::MAX`: no cap.
    cap: AtomicU64,
    /// Days a row is kept; `u64::MAX`: until pruned.
    max_age_days: AtomicU64,
    /// The server's [`Limits`] (`u64::MAX`: none).
    server_rows: AtomicU64,
    server_days: AtomicU64,
}

impl AuditCount {
    /// `rows` rows, no cap.
    pub fn new(rows: u64) -> Self {
        Self {
            rows: AtomicU64::new(rows),
            cap: AtomicU64::new(u64::MAX),
            max_age_days: AtomicU64::new(u64::MAX),
            server_rows: AtomicU64::new(u64::MAX),
            server_days: AtomicU64::new(u64::MAX),
        }
    }

    /// Takes the server's [`Limits`]: [`AuditCount::cap`] and [`AuditCount::max_age_days`]
    /// are then the tighter of the group's bound and the server's.
    pub fn set_limits(&self, limits: &Limits) {
        store_bound(&self.server_rows, limits.max_rows);
        store_bound(&self.server_days, limits.max_age_days);
    }

    /// Takes the policy of the group's metadata entries ([`MAX_ROWS_META_KEY`],
    /// [`MAX_AGE_META_KEY`]): a value that is not a number is no bound.
    pub fn set_policy(&self, max_rows: Option<&str>, max_age_days: Option<&str>) {
        let number = |v: Option<&str>| v.and_then(|v| v.parse::<u64>().ok());
        self.set_cap(number(max_rows));
        store_bound(&self.max_age_days, number(max_age_days));
    }

    /// Days a row is kept, if the group or the server bounds them (the tighter bound).
    pub fn max_age_days(&self) -> Option<u64> {
        Some(tighter(&self.max_age_days, &self.server_days)).filter(|d| *d != u64::MAX)
    }

    /// Sets the group's cap (`None`: none).
    pub fn set_cap(&self, cap: Option<u64>) {
        store_bound(&self.cap, cap);
    }

    /// The cap, if the group or the server sets one (the tighter).
    pub fn cap(&self) -> Option<u64> {
        Some(tighter(&self.cap, &self.server_rows)).filter(|c| *c != u64::MAX)
    }

    /// The rows counted.
    pub fn rows(&self) -> u64 {
        self.rows.load(Ordering::SeqCst)
    }

    /// Sets the count from the table.
    pub fn set_rows(&self, rows: u64) {
        self.rows.store(rows, Ordering::SeqCst);
    }

    /// Sets the count from `table`, rows counted while others may be written: `start` is
    /// [`AuditCount::rows`] read before the table was counted, and the rows admitted since
    /// are added to `table` whether or not it saw them (erring towards refusing early, never
    /// towards passing the cap). For an engine whose rows are written by several processes,
    /// or outside the lock its count is taken under.
    pub fn set_rows_since(&self, start: u64, table: u64) {
        let _ = self
            .rows
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| {
                Some(table.saturating_add(now.saturating_sub(start)))
            });
    }

    /// Counts one more row, or refuses it at the cap.
    pub fn admit(&self) -> Result<(), StoreError> {
        let cap = tighter(&self.cap, &self.server_rows);
        self.rows
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < cap).then_some(n + 1)
            })
            .map(drop)
            .map_err(|rows| StoreError::AuditFull { rows, cap })
    }
}

/// Prunes the rows written before `cutoff` (unix seconds): those [`crate::AccessTx::audit_oldest`]
/// lists before it, through the newest of them, at most `max_rows` of them (the oldest; the
/// rest at the next call), so that one call opens and deletes a bounded number of rows. The
/// rows' times are sealed on PostgreSQL: they are opened here, and the database sees only the
/// range of sequence numbers that goes. Returns how many went.
pub fn prune_older_than(
    store: &dyn ObjectStore,
    cutoff: i64,
    max_rows: usize,
) -> Result<u64, StoreError> {
    let mut after = 0;
    let mut through = None;
    let mut left = max_rows;
    while left > 0 {
        let want = left.min(PAGE);
        let page = store.transact(|tx| tx.audit_oldest(after, Some(cutoff), want))?;
        let Some((last, _)) = page.last() else { break };
        after = *last;
        through = Some(after);
        left -= page.len();
        if page.len() < want {
            break;
        }
    }
    through.map_or(Ok(0), |t| store.prune_audit(t))
}

/// The rows of an oldest-first page of the trail ([`crate::AccessTx::audit_oldest`]), in seq
/// order, up to the first one at or after `before`: the trail is in time order but for clock
/// steps, so the first newer row ends the page.
pub(crate) fn page_before<E>(
    rows: impl IntoIterator<Item = Result<(i64, crate::AuditRow), E>>,
    before: Option<i64>,
) -> Result<Vec<(i64, crate::AuditRow)>, StoreError>
where
    StoreError: From<E>,
{
    let mut out = Vec::new();
    for row in rows {
        let (seq, row) = row?;
        if before.is_some_and(|t| row.time >= t) {
            break;
        }
        out.push((seq, row));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn admits_up_to_the_cap_then_refuses_naming_it() {
        let c = AuditCount::new(1);
        assert_eq!(c.cap(), None);
        c.set_cap(Some(3));
        assert!(c.admit().is_ok());
        assert!(c.admit().is_ok());
        let e = c.admit().unwrap_err();
        assert!(matches!(e, StoreError::AuditFull { rows: 3, cap: 3 }));
        assert!(e.to_string().contains("ekms audit export"), "{e}");
        assert_eq!(c.rows(), 3);
        c.set_rows(0);
        assert!(c.admit().is_ok());
        c.set_cap(None);
        c.set_rows(u64::MAX - 1);
        assert!(c.admit().is_ok());
        c.set_policy(Some("5"), Some("30"));
        assert_eq!((c.cap(), c.max_age_days()), (Some(5), Some(30)));
        c.set_policy(Some(""), None);
        assert_eq!((c.cap(), c.max_age_days()), (None, None));
    }

    #[test]
    fn the_server_limits_bound_a_group_without_a_policy_and_one_with_a_larger_one() {
        let c = AuditCount::new(0);
        c.set_limits(&Limits {
            max_rows: Some(2),
            max_age_days: Some(30),
        });
        assert_eq!((c.cap(), c.max_age_days()), (Some(2), Some(30)));
        c.admit().unwrap();
        c.admit().unwrap();
        assert!(matches!(
            c.admit(),
            Err(StoreError::AuditFull { rows: 2, cap: 2 })
        ));
        c.set_policy(Some("1"), Some("90"));
        assert_eq!((c.cap(), c.max_age_days()), (Some(1), Some(30)));
        c.set_limits(&Limits::default());
        assert_eq!((c.cap(), c.max_age_days()), (Some(1), Some(90)));
    }

    #[test]
    fn a_count_from_the_table_keeps_the_rows_admitted_meanwhile() {
        let c = AuditCount::new(10);
        let start = c.rows();
        c.admit().unwrap();
        c.admit().unwrap();
        // The table, counted meanwhile, holds 4 rows: the 2 admitted since may be among them.
        c.set_rows_since(start, 4);
        assert_eq!(c.rows(), 6);
        c.set_rows_since(c.rows(), 3);
        assert_eq!(c.rows(), 3);
    }
}
