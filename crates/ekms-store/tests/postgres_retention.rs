//! Audit retention on the PostgreSQL engine with several nodes: the policy, sealed in the group
//! record, reaches another node with the group version it reads; the count of rows is taken
//! from the table when a node opens the group and again when it recounts (the rows the other
//! nodes wrote), and admitting a row costs no query; what the database sees of a prune by age;
//! a prune beside another node's writes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ekms_store::retention::{MAX_AGE_META_KEY, MAX_ROWS_META_KEY, prune_older_than};
use ekms_store::{AuditRow, ObjectStore, ObjectStoreExt, PgPool, PgStore, StoreError};
use ekms_testkit::postgres::{Cluster, cluster};
use std::sync::Arc;

const KEY: [u8; 32] = [7; 32];

/// Two nodes on one database of their own, a pool each: the group `g` created by the first.
fn two_nodes(c: &Cluster) -> (String, Arc<PgStore>, PgPool, PgPool) {
    let db = c.database();
    let connect = || PgPool::connect(&c.url(&db), Some(c.password()), 4).unwrap();
    let (pool_a, pool_b) = (connect(), connect());
    let a = Arc::new(pool_a.create_group("g", &KEY).unwrap());
    (db, a, pool_a, pool_b)
}

fn row(time: i64) -> AuditRow {
    AuditRow {
        time,
        user: "alice".into(),
        operation: "Encrypt".into(),
        object: None,
        result: "ok".into(),
        request_id: None,
    }
}

fn audit(s: &dyn ObjectStore, time: i64) -> Result<(), StoreError> {
    s.transact(|tx| tx.audit(&row(time)))
}

/// The count `sql` answers in database `db`, asked as the operator would.
fn count_in(c: &Cluster, db: &str, sql: &str) -> i64 {
    let mut config: postgres::Config = c.url(db).parse().unwrap();
    config.password(c.password());
    let mut op = config.connect(postgres::NoTls).unwrap();
    op.query_one(sql, &[]).unwrap().get(0)
}

fn rows(s: &dyn ObjectStore) -> u64 {
    s.audit_count().unwrap().rows()
}

/// A cap set on one node holds on another from the first request that reads the new group
/// version; a policy cleared there is cleared here the same way.
#[test]
fn a_policy_set_on_one_node_holds_on_another_from_the_version_it_reads() {
    let Some(c) = cluster() else { return };
    let (_db, a, _, pool_b) = two_nodes(c);
    let b = Arc::new(pool_b.open_group("g", &KEY).unwrap());
    assert_eq!(b.audit_count().unwrap().cap(), None);
    a.set_meta(MAX_ROWS_META_KEY, "2").unwrap();
    a.set_meta(MAX_AGE_META_KEY, "30").unwrap();
    // Node b's next request reads the version first, then the record that holds the policy.
    let request = b.request(pool_b.entry("g").unwrap().version);
    request.transact(|tx| tx.grants_to("alice")).unwrap();
    let count = request.audit_count().unwrap();
    assert_eq!((count.cap(), count.max_age_days()), (Some(2), Some(30)));
    audit(&request, 1).unwrap();
    audit(&request, 2).unwrap();
    let refused = audit(&request, 3);
    assert!(
        matches!(refused, Err(StoreError::AuditFull { rows: 2, cap: 2 })),
        "{refused:?}"
    );
    // Cleared on node a, cleared on node b by its next request.
    a.set_meta(MAX_ROWS_META_KEY, "").unwrap();
    let request = b.request(pool_b.entry("g").unwrap().version);
    request.transact(|tx| tx.grants_to("alice")).unwrap();
    assert_eq!(request.audit_count().unwrap().cap(), None);
    audit(&request, 3).unwrap();
}

/// Opening a group counts its rows once; each row admitted counts one more without a query;
/// a recount adds what another node wrote; a prune leaves the count of the table.
#[test]
fn the_count_is_taken_from_the_table_at_open_and_recount_and_followed_in_memory() {
    let Some(c) = cluster() else { return };
    let (db, a, _, pool_b) = two_nodes(c);
    for t in 1..=5 {
        audit(&*a, t).unwrap();
    }
    assert_eq!(rows(&*a), 5);
    let b = Arc::new(pool_b.open_group("g", &KEY).unwrap());
    assert_eq!(rows(&*b), 5, "counted when the group is opened");
    // Admitting counts in memory: the table is not counted again.
    audit(&*b, 6).unwrap();
    assert_eq!(rows(&*b), 6);
    audit(&*a, 7).unwrap();
    assert_eq!(rows(&*b), 6, "node a's row is not seen before a recount");
    assert_eq!(b.recount_audit().unwrap(), 7);
    assert_eq!(rows(&*b), 7);
    // A cap on node b holds with the rows node a wrote counted.
    b.audit_count().unwrap().set_cap(Some(7));
    assert!(matches!(audit(&*b, 8), Err(StoreError::AuditFull { .. })));
    let oldest = b.transact(|tx| tx.audit_oldest(0, None, 3)).unwrap();
    assert_eq!(b.prune_audit(oldest[2].0).unwrap(), 3);
    assert_eq!(rows(&*b), 4);
    audit(&*b, 8).unwrap();
    // The table agrees.
    assert_eq!(count_in(c, &db, "SELECT count(*) FROM ekms_audit"), 5);
}

/// A prune by age opens the rows to read their sealed times and deletes a range of sequence
/// numbers: the oldest first, at most the bound per call, none of the newer rows.
#[test]
fn a_prune_by_age_goes_by_sealed_times_in_bounded_steps() {
    let Some(c) = cluster() else { return };
    let (_db, a, _, _) = two_nodes(c);
    for t in [10, 20, 30, 40, 50] {
        audit(&*a, t).unwrap();
    }
    assert_eq!(prune_older_than(&*a, 45, 2).unwrap(), 2);
    let left: Vec<i64> = a
        .transact(|tx| tx.audit_oldest(0, None, 10))
        .unwrap()
        .iter()
        .map(|(_, r)| r.time)
        .collect();
    assert_eq!(left, [30, 40, 50]);
    assert_eq!(prune_older_than(&*a, 45, 2).unwrap(), 2);
    assert_eq!(prune_older_than(&*a, 45, 2).unwrap(), 0);
    assert_eq!(rows(&*a), 1);
}

/// Node a writes rows, each naming a new object (as every Create does), while node b prunes all
/// but the newest: the rows left read back on both nodes with their names, and the database
/// keeps nothing of a pruned row (a sealed row carries its own strings: no names table to
/// collect), so the group's audit rows in the table are exactly those listed.
#[test]
fn rows_written_on_one_node_while_another_prunes_read_back_and_nothing_else_stays() {
    let Some(c) = cluster() else { return };
    let (db, a, _, pool_b) = two_nodes(c);
    let b = Arc::new(pool_b.open_group("g", &KEY).unwrap());
    let named = |t: i64| AuditRow {
        object: Some(format!("k{t}")),
        result: if t % 7 == 0 {
            format!("denied: k{t}")
        } else {
            "ok".into()
        },
        user: if t % 2 == 0 { "alice" } else { "bob" }.into(),
        ..row(t)
    };
    let writer = {
        let a = a.clone();
        std::thread::spawn(move || {
            for t in 0..400 {
                a.transact(|tx| tx.audit(&named(t))).unwrap();
            }
        })
    };
    let mut prunes = 0;
    while !writer.is_finished() {
        let all = b
            .transact(|tx| tx.audit_oldest(0, None, usize::MAX))
            .unwrap();
        if all.len() > 10 {
            b.prune_audit(all[all.len() - 10].0).unwrap();
            prunes += 1;
        }
    }
    writer.join().unwrap();
    assert!(prunes > 3, "only {prunes} prunes ran beside the writer");
    let filter = ekms_store::AuditFilter::default();
    let listed = b.transact(|tx| tx.audit_list(&filter)).unwrap();
    let n = i64::try_from(listed.len()).unwrap();
    assert!(n >= 9, "{n}");
    let want: Vec<AuditRow> = (400 - n..400).rev().map(named).collect();
    assert_eq!(listed, want);
    assert_eq!(a.transact(|tx| tx.audit_list(&filter)).unwrap(), want);
    let stored = count_in(
        c,
        &db,
        "SELECT count(*) FROM ekms_audit WHERE group_id = 'g'",
    );
    assert_eq!(stored, n);
}
