//! The behaviour every engine must show, written once against the [`ObjectStore`] trait.
//!
//! An engine runs the whole suite, one `#[test]` per behaviour, with one line in its tests:
//!
//! ```text
//! ekms_store::store_tests!(postgres, PgFixture::new);
//! ```
//!
//! where `PgFixture::new()` returns a [`Fixture`]: one fresh group, opened as often as a test
//! asks. Outside this crate, the suite is behind the feature `test-suite`, which an engine's
//! crate enables in its dev-dependencies only
//! (`ekms-store = { workspace = true, features = ["test-suite"] }`). The SQLCipher engine runs
//! it that way in `tests/conformance.rs`; what only concerns one engine (wrong key, rekey,
//! migrations, group commit under concurrency, the read cache) stays next to that engine, in
//! `src/sqlcipher/tests.rs`.
//!
//! Each public function here is one behaviour, and [`crate::store_tests`] lists each of them:
//! a new behaviour is a function here and its name there.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::missing_panics_doc)]

use crate::{
    AuditFilter, AuditRow, Derived, End, Grant, LocateQuery, ObjectStore, ObjectStoreExt, Parsed,
    StoreError, StoreTx, StoreTxExt, StoredObject,
};
use zeroize::Zeroizing;

/// One group of the engine under test.
pub trait Fixture {
    /// The group's store: the first call creates the group (empty but for the default grant
    /// `*`, `*`, `create`), every later call opens the same group again, as a server does
    /// after a restart.
    fn open(&self) -> Box<dyn ObjectStore>;

    /// Whether the engine can run here: a fixture whose engine needs a server that is not
    /// installed (and is allowed to be missing) returns false, and the test does nothing.
    fn available(&self) -> bool {
        true
    }
}

/// Runs every behaviour of [`crate::conformance`] as its own `#[test]`, in a module `$name`,
/// against the fixture `$fixture()` makes (any path or closure in scope where the macro is
/// called).
#[macro_export]
macro_rules! store_tests {
    ($name:ident, $fixture:expr) => {
        $crate::store_tests!(@each $name, $fixture;
            insert_get_and_update,
            insert_conflicts_and_update_of_a_missing_object_fails,
            locate_filters_and_orders_newest_first,
            grants_and_visibility,
            audit_rows_filter_newest_first,
            audit_rows_page_oldest_first_and_prune_through_a_sequence_number,
            an_audit_cap_refuses_the_work_until_rows_are_pruned,
            transact_returns_the_callers_result_and_error,
            a_locked_transaction_reads_writes_and_rolls_back_like_any,
            an_error_rolls_the_whole_transaction_back,
            a_panic_rolls_back_and_the_store_goes_on,
            a_nested_savepoint_rolls_back_alone,
            a_batch_commits_whole,
            a_failing_batch_item_rolls_back_the_items_before_it,
            versions_grow_by_one_per_writing_transaction,
            reads_and_audit_rows_leave_the_version_alone,
            reopening_keeps_data_and_version,
            the_chain_moves_with_each_write_and_survives_reopening,
        );
    };
    (@each $name:ident, $fixture:expr; $($test:ident),* $(,)?) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $test() {
                    let fixture = ($fixture)();
                    if $crate::conformance::Fixture::available(&fixture) {
                        $crate::conformance::$test(&fixture);
                    }
                }
            )*
        }
    };
}

/// A test object: owned by alice, named `name`.
pub fn object(uid: &str, name: &str) -> StoredObject {
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
        derived: Derived::default(),
        parsed: Parsed::default(),
    }
}

fn grant(uid: &str, user: &str, right: &str) -> Grant {
    Grant {
        uid: uid.into(),
        user: user.into(),
        right: right.into(),
    }
}

fn row(time: i64, user: &str) -> AuditRow {
    AuditRow {
        time,
        user: user.into(),
        operation: "Get".into(),
        object: Some("k1".into()),
        result: "ok".into(),
        // Every engine keeps the request's id with the row.
        request_id: Some(format!("{time:016x}")),
    }
}

/// The error type of a caller: the store's errors and its own refusals.
#[derive(Debug, PartialEq)]
enum Caller {
    Refused(&'static str),
    Store(String),
}

impl From<StoreError> for Caller {
    fn from(e: StoreError) -> Self {
        Caller::Store(e.to_string())
    }
}

fn insert(s: &dyn ObjectStore, o: &StoredObject) -> Result<(), StoreError> {
    s.transact(|tx| tx.insert(o))
}

fn get(s: &dyn ObjectStore, uid: &str) -> Option<StoredObject> {
    s.transact(|tx| tx.get(uid)).unwrap()
}

fn all(s: &dyn ObjectStore) -> Vec<String> {
    s.transact(|tx| tx.locate(&LocateQuery::default())).unwrap()
}

pub fn insert_get_and_update(f: &dyn Fixture) {
    let s = f.open();
    assert_eq!(get(&*s, "k"), None);
    insert(&*s, &object("k", "n")).unwrap();
    assert_eq!(get(&*s, "k"), Some(object("k", "n")));
    // An update replaces every column, names included, and drops the material.
    let mut changed = object("k", "m");
    changed.state = 3;
    changed.material = None;
    changed.names.push("second".into());
    s.transact(|tx| tx.update(&changed)).unwrap();
    assert_eq!(get(&*s, "k"), Some(changed.clone()));
    // Reads in a transaction see its own writes.
    let seen = s
        .transact(|tx| {
            tx.insert(&object("j", "x"))?;
            tx.get("j")
        })
        .unwrap();
    assert_eq!(seen, Some(object("j", "x")));
}

pub fn insert_conflicts_and_update_of_a_missing_object_fails(f: &dyn Fixture) {
    let s = f.open();
    insert(&*s, &object("a", "x")).unwrap();
    assert!(matches!(
        insert(&*s, &object("a", "y")),
        Err(StoreError::Conflict(uid)) if uid == "a"
    ));
    assert!(matches!(
        s.transact(|tx| tx.update(&object("b", "y"))),
        Err(StoreError::MissingObject(uid)) if uid == "b"
    ));
    assert_eq!(get(&*s, "a"), Some(object("a", "x")));
    assert_eq!(get(&*s, "b"), None);
}

pub fn locate_filters_and_orders_newest_first(f: &dyn Fixture) {
    let s = f.open();
    insert(&*s, &object("a", "x")).unwrap();
    insert(&*s, &object("b", "y")).unwrap();
    let mut c = object("c", "x");
    c.state = 2;
    c.algorithm = None;
    c.owner = "bob".into();
    insert(&*s, &c).unwrap();
    let mut d = object("d", "z");
    d.object_type = 7;
    insert(&*s, &d).unwrap();
    let find = |q: LocateQuery| s.transact(|tx| tx.locate(&q)).unwrap();
    assert_eq!(find(LocateQuery::default()), ["d", "c", "b", "a"]);
    let named = |n: &str| LocateQuery {
        name: Some(n.into()),
        ..Default::default()
    };
    assert_eq!(find(named("x")), ["c", "a"]);
    assert_eq!(
        find(LocateQuery {
            state: Some(1),
            ..named("x")
        }),
        ["a"]
    );
    assert_eq!(
        find(LocateQuery {
            object_type: Some(7),
            ..Default::default()
        }),
        ["d"]
    );
    assert_eq!(
        find(LocateQuery {
            algorithm: Some(3),
            ..Default::default()
        }),
        ["d", "b", "a"]
    );
    assert_eq!(
        find(LocateQuery {
            owner: Some("bob".into()),
            ..Default::default()
        }),
        ["c"]
    );
    assert_eq!(
        find(LocateQuery {
            offset: 1,
            max: Some(2),
            ..Default::default()
        }),
        ["c", "b"]
    );
    assert!(find(named("nobody")).is_empty());
}

pub fn grants_and_visibility(f: &dyn Fixture) {
    let s = f.open();
    insert(&*s, &object("k1", "a")).unwrap();
    insert(&*s, &object("k2", "b")).unwrap();
    s.transact(|tx| -> Result<(), StoreError> {
        // The default group grant.
        assert_eq!(tx.grants_on("*")?, vec![grant("*", "*", "create")]);
        tx.grant(&grant("k1", "bob", "decrypt"))?;
        tx.grant(&grant("k1", "bob", "decrypt"))?;
        tx.grant(&grant("k1", "bob", "encrypt"))?;
        tx.grant(&grant("k2", "*", "get"))?;
        let vis = |tx: &mut dyn StoreTx, u: &str| {
            tx.locate(&LocateQuery {
                visible_to: Some(u.into()),
                ..Default::default()
            })
        };
        assert_eq!(vis(tx, "bob")?, ["k2", "k1"]);
        assert_eq!(vis(tx, "carol")?, ["k2"]);
        assert_eq!(vis(tx, "alice")?, ["k2", "k1"]);
        assert_eq!(
            tx.grants_on("k1")?,
            [grant("k1", "bob", "decrypt"), grant("k1", "bob", "encrypt")]
        );
        assert_eq!(tx.grants_to("bob")?.len(), 4);
        assert!(tx.revoke(&grant("k1", "bob", "decrypt"))?);
        assert!(!tx.revoke(&grant("k1", "bob", "decrypt"))?);
        assert!(tx.revoke(&grant("k1", "bob", "encrypt"))?);
        assert_eq!(vis(tx, "bob")?, ["k2"]);
        assert_eq!(tx.owned_by("alice")?, ["k2", "k1"]);
        assert!(tx.owned_by("bob")?.is_empty());
        Ok(())
    })
    .unwrap();
    // Committed: seen by the next transaction.
    let on_k2 = s.transact(|tx| tx.grants_on("k2")).unwrap();
    assert_eq!(on_k2, [grant("k2", "*", "get")]);
}

pub fn audit_rows_filter_newest_first(f: &dyn Fixture) {
    let s = f.open();
    for (i, u) in ["alice", "bob", "alice"].iter().enumerate() {
        let r = row(i64::try_from(i).unwrap() + 10, u);
        s.transact(|tx| tx.audit(&r)).unwrap();
    }
    let list = |filter: AuditFilter| {
        s.transact(|tx| tx.audit_list(&filter))
            .unwrap()
            .iter()
            .map(|r| r.time)
            .collect::<Vec<_>>()
    };
    assert_eq!(list(AuditFilter::default()), [12, 11, 10]);
    assert_eq!(
        list(AuditFilter {
            user: Some("alice".into()),
            ..Default::default()
        }),
        [12, 10]
    );
    assert_eq!(
        list(AuditFilter {
            since: Some(11),
            limit: Some(1),
            ..Default::default()
        }),
        [12]
    );
    assert!(
        list(AuditFilter {
            operation: Some("Destroy".into()),
            ..Default::default()
        })
        .is_empty()
    );
    assert_eq!(
        list(AuditFilter {
            object: Some("k1".into()),
            ..Default::default()
        })
        .len(),
        3
    );
}

pub fn audit_rows_page_oldest_first_and_prune_through_a_sequence_number(f: &dyn Fixture) {
    let s = f.open();
    for t in 1..=5 {
        s.transact(|tx| tx.audit(&row(t, "alice"))).unwrap();
    }
    let oldest = |after, before, limit| {
        s.transact(|tx| tx.audit_oldest(after, before, limit))
            .unwrap()
    };
    let all = oldest(0, None, 100);
    let times: Vec<i64> = all.iter().map(|(_, r)| r.time).collect();
    assert_eq!(times, [1, 2, 3, 4, 5]);
    assert!(all.windows(2).all(|w| w[0].0 < w[1].0), "{all:?}");
    assert_eq!(all[0].1, row(1, "alice"));
    // Paging, and the end before the first row at or after `before`.
    let page: Vec<i64> = oldest(all[1].0, None, 2)
        .iter()
        .map(|(_, r)| r.time)
        .collect();
    assert_eq!(page, [3, 4]);
    let old: Vec<i64> = oldest(0, Some(3), 100)
        .iter()
        .map(|(_, r)| r.time)
        .collect();
    assert_eq!(old, [1, 2]);
    let v = s.version().unwrap();
    assert_eq!(s.prune_audit(all[1].0).unwrap(), 2);
    assert_eq!(
        s.prune_audit(all[1].0).unwrap(),
        0,
        "pruning again removes nothing"
    );
    assert_eq!(s.version().unwrap(), v, "a prune takes no version");
    let left: Vec<i64> = s
        .transact(|tx| tx.audit_list(&AuditFilter::default()))
        .unwrap()
        .iter()
        .map(|r| r.time)
        .collect();
    assert_eq!(left, [5, 4, 3]);
    // By age: the rows written before a time, at most so many per call (the oldest first).
    let by_age = |cutoff, max| crate::retention::prune_older_than(&*s, cutoff, max).unwrap();
    assert_eq!(by_age(5, 1), 1);
    assert_eq!(oldest(0, None, 100)[0].1.time, 4);
    assert_eq!(by_age(5, 100), 1);
    assert_eq!(by_age(5, 100), 0);
    assert_eq!(oldest(0, None, 100).len(), 1);
    // Pruning the newest row too: later rows still take higher sequence numbers.
    assert_eq!(s.prune_audit(all[4].0).unwrap(), 1);
    s.transact(|tx| tx.audit(&row(6, "bob"))).unwrap();
    let after = oldest(0, None, 100);
    assert_eq!(after.len(), 1);
    assert!(after[0].0 > all[4].0, "{after:?}");
}

pub fn an_audit_cap_refuses_the_work_until_rows_are_pruned(f: &dyn Fixture) {
    let s = f.open();
    let Some(count) = s.audit_count() else {
        // The engine keeps no count: no cap applies to it.
        return;
    };
    s.transact(|tx| tx.audit(&row(1, "alice"))).unwrap();
    s.transact(|tx| tx.audit(&row(2, "alice"))).unwrap();
    count.set_cap(Some(2));
    // The work the row would record is refused with it: nothing of the transaction stays.
    let refused = s.transact(|tx| {
        tx.insert(&object("capped", "capped"))?;
        tx.audit(&row(3, "alice"))
    });
    assert!(
        matches!(refused, Err(StoreError::AuditFull { rows: 2, cap: 2 })),
        "{refused:?}"
    );
    assert!(s.transact(|tx| tx.get("capped")).unwrap().is_none());
    assert_eq!(
        s.transact(|tx| tx.audit_list(&AuditFilter::default()))
            .unwrap()
            .len(),
        2
    );
    // A prune frees room, and the count follows the table.
    let first = s.transact(|tx| tx.audit_oldest(0, None, 1)).unwrap()[0].0;
    s.prune_audit(first).unwrap();
    assert_eq!(count.rows(), 1);
    s.transact(|tx| tx.audit(&row(3, "alice"))).unwrap();
    // Reopened, the count is read from the table.
    drop(s);
    let s = f.open();
    if let Some(c) = s.audit_count() {
        assert_eq!(c.rows(), 2);
    }
}

pub fn transact_returns_the_callers_result_and_error(f: &dyn Fixture) {
    let s = f.open();
    insert(&*s, &object("k", "n")).unwrap();
    let got: Result<(String, usize), Caller> = s.transact(|tx| {
        let o = tx.get("k")?.ok_or(Caller::Refused("gone"))?;
        Ok((o.uid, o.names.len()))
    });
    assert_eq!(got, Ok(("k".to_string(), 1)));
    let refused: Result<(), Caller> = s.transact(|tx| {
        tx.get("k")?;
        Err(Caller::Refused("no"))
    });
    assert_eq!(refused, Err(Caller::Refused("no")));
    // A store error reaches the caller's type through `From`.
    let conflict: Result<(), Caller> = s.transact(|tx| Ok(tx.insert(&object("k", "n"))?));
    assert!(matches!(conflict, Err(Caller::Store(m)) if m.contains("exists already")));
}

/// `transact_locked` (the group locked before the body reads) is a transaction like any
/// other: it reads and writes, takes the next version, rolls back on an error.
pub fn a_locked_transaction_reads_writes_and_rolls_back_like_any(f: &dyn Fixture) {
    let s = f.open();
    insert(&*s, &object("k", "n")).unwrap();
    let before = s.version().unwrap();
    let updated: Result<(), Caller> = s.transact_locked(|tx| {
        let o = tx.get("k")?.ok_or(Caller::Refused("gone"))?;
        tx.update(&object(&o.uid, "m"))?;
        Ok(())
    });
    assert_eq!(updated, Ok(()));
    assert_eq!(get(&*s, "k"), Some(object("k", "m")));
    assert_eq!(s.version().unwrap(), before + 1);
    let refused: Result<(), Caller> = s.transact_locked(|tx| {
        tx.update(&object("k", "x"))?;
        Err(Caller::Refused("no"))
    });
    assert_eq!(refused, Err(Caller::Refused("no")));
    assert_eq!(get(&*s, "k"), Some(object("k", "m")));
    assert_eq!(s.version().unwrap(), before + 1);
}

pub fn an_error_rolls_the_whole_transaction_back(f: &dyn Fixture) {
    let s = f.open();
    insert(&*s, &object("kept", "n")).unwrap();
    let res: Result<(), Caller> = s.transact(|tx| {
        tx.insert(&object("a", "x"))?;
        tx.update(&object("kept", "changed"))?;
        tx.grant(&grant("kept", "bob", "get"))?;
        Err(Caller::Refused("no"))
    });
    assert_eq!(res, Err(Caller::Refused("no")));
    assert_eq!(get(&*s, "a"), None);
    assert_eq!(get(&*s, "kept"), Some(object("kept", "n")));
    assert!(s.transact(|tx| tx.grants_on("kept")).unwrap().is_empty());
}

pub fn a_panic_rolls_back_and_the_store_goes_on(f: &dyn Fixture) {
    let s = f.open();
    insert(&*s, &object("kept", "n")).unwrap();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _: Result<(), StoreError> = s.transact(|tx| {
            tx.insert(&object("lost", "n"))?;
            panic!("an operation bug");
        });
    }));
    assert!(panicked.is_err(), "the panic reaches the caller");
    assert_eq!(get(&*s, "lost"), None);
    assert!(get(&*s, "kept").is_some());
    insert(&*s, &object("after", "n")).unwrap();
    assert!(get(&*s, "after").is_some());
}

pub fn a_nested_savepoint_rolls_back_alone(f: &dyn Fixture) {
    let s = f.open();
    let inner = s
        .transact(|tx| -> Result<_, Caller> {
            tx.insert(&object("outer", "n"))?;
            let kept = tx.nested(|tx| -> Result<_, Caller> {
                tx.insert(&object("kept", "n"))?;
                Ok(7)
            })?;
            let refused = tx.nested(|tx| -> Result<(), Caller> {
                tx.insert(&object("undone", "n"))?;
                Err(Caller::Refused("item"))
            });
            assert_eq!(refused, Err(Caller::Refused("item")));
            // The rest of the transaction sees the savepoint's writes undone, the others kept.
            assert!(tx.get("undone")?.is_none());
            assert!(tx.get("kept")?.is_some());
            // The object-safe form.
            let mut ran = false;
            tx.savepoint(&mut |tx| {
                ran = tx.insert(&object("raw", "n")).is_ok();
                End::RollBack
            })?;
            assert!(ran);
            assert!(tx.get("raw")?.is_none());
            Ok(kept)
        })
        .unwrap();
    assert_eq!(inner, 7);
    assert_eq!(all(&*s), ["kept", "outer"]);
}

pub fn a_batch_commits_whole(f: &dyn Fixture) {
    let s = f.open();
    let before = s.version().unwrap();
    let (uids, version) = s
        .transact_batch(["a", "b", "c"], |tx, uid| -> Result<String, Caller> {
            tx.insert(&object(uid, "n"))?;
            Ok(uid.to_uppercase())
        })
        .unwrap();
    assert_eq!(uids, ["A", "B", "C"]);
    // One transaction: one version for the whole batch.
    assert_eq!(version, Some(before + 1));
    assert_eq!(s.version().unwrap(), before + 1);
    assert_eq!(all(&*s), ["c", "b", "a"]);
}

pub fn a_failing_batch_item_rolls_back_the_items_before_it(f: &dyn Fixture) {
    let s = f.open();
    insert(&*s, &object("old", "n")).unwrap();
    let before = s.version().unwrap();
    let mut ran = Vec::new();
    let res = s.transact_batch(["a", "b", "old", "d"], |tx, uid| -> Result<(), Caller> {
        ran.push(uid);
        tx.insert(&object(uid, "n"))?;
        tx.update(&object("old", uid))?;
        Ok(())
    });
    match res {
        Err((2, Caller::Store(m))) => assert!(m.contains("exists already"), "{m}"),
        other => panic!("the third item fails: {other:?}"),
    }
    // Stopped at the failing item, and nothing of the batch is kept.
    assert_eq!(ran, ["a", "b", "old"]);
    assert_eq!(all(&*s), ["old"]);
    assert_eq!(get(&*s, "old"), Some(object("old", "n")));
    assert_eq!(s.version().unwrap(), before);
}

pub fn versions_grow_by_one_per_writing_transaction(f: &dyn Fixture) {
    let s = f.open();
    let v0 = s.version().unwrap();
    let mut seen = vec![];
    let (_, v) = s
        .transact_versioned(|tx| tx.insert(&object("a", "n")))
        .unwrap();
    seen.push(v);
    let (_, v) = s
        .transact_versioned(|tx| tx.update(&object("a", "m")))
        .unwrap();
    seen.push(v);
    let (_, v) = s
        .transact_versioned(|tx| tx.grant(&grant("a", "bob", "get")))
        .unwrap();
    seen.push(v);
    let (_, v) = s
        .transact_versioned(|tx| tx.revoke(&grant("a", "bob", "get")))
        .unwrap();
    seen.push(v);
    assert_eq!(
        seen,
        [Some(v0 + 1), Some(v0 + 2), Some(v0 + 3), Some(v0 + 4)]
    );
    assert_eq!(s.version().unwrap(), v0 + 4);
    // A rolled-back write takes no version, and leaves no gap.
    let res: Result<((), Option<u64>), Caller> = s.transact_versioned(|tx| {
        tx.insert(&object("b", "n"))?;
        Err(Caller::Refused("no"))
    });
    assert!(res.is_err());
    assert_eq!(s.version().unwrap(), v0 + 4);
    let (_, v) = s
        .transact_versioned(|tx| tx.insert(&object("b", "n")))
        .unwrap();
    assert_eq!(v, Some(v0 + 5));
    // Concurrent writers: every one gets its own version, none is skipped.
    let s = &*s;
    let mut versions: Vec<u64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|t| {
                scope.spawn(move || {
                    (0..5)
                        .map(|i| {
                            let o = object(&format!("t{t}-{i}"), "n");
                            s.transact_versioned(|tx| tx.insert(&o)).unwrap().1.unwrap()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    versions.sort_unstable();
    assert_eq!(versions, ((v0 + 6)..=(v0 + 25)).collect::<Vec<_>>());
    assert_eq!(s.version().unwrap(), v0 + 25);
}

pub fn reads_and_audit_rows_leave_the_version_alone(f: &dyn Fixture) {
    let s = f.open();
    insert(&*s, &object("a", "n")).unwrap();
    let v = s.version().unwrap();
    let (_, got) = s
        .transact_versioned(|tx| -> Result<(), StoreError> {
            tx.get("a")?;
            tx.locate(&LocateQuery::default())?;
            tx.grants_on("a")?;
            tx.meta(crate::ADMIN_META_KEY)?;
            tx.audit(&row(1, "alice"))
        })
        .unwrap();
    assert_eq!(got, None);
    // A write undone by its savepoint leaves the transaction read-only.
    let (_, got) = s
        .transact_versioned(|tx| -> Result<(), Caller> {
            let _ = tx.nested(|tx| -> Result<(), Caller> {
                tx.insert(&object("b", "n"))?;
                Err(Caller::Refused("no"))
            });
            Ok(())
        })
        .unwrap();
    assert_eq!(got, None);
    assert_eq!(s.version().unwrap(), v);
}

pub fn reopening_keeps_data_and_version(f: &dyn Fixture) {
    let s = f.open();
    insert(&*s, &object("a", "n")).unwrap();
    s.transact(|tx| tx.grant(&grant("a", "bob", "get")))
        .unwrap();
    s.transact(|tx| tx.audit(&row(5, "bob"))).unwrap();
    let v = s.version().unwrap();
    assert!(v >= 2);
    drop(s);
    let s = f.open();
    assert_eq!(s.version().unwrap(), v);
    assert_eq!(get(&*s, "a"), Some(object("a", "n")));
    assert_eq!(
        s.transact(|tx| tx.grants_on("a")).unwrap(),
        [grant("a", "bob", "get")]
    );
    let rows = s
        .transact(|tx| tx.audit_list(&AuditFilter::default()))
        .unwrap();
    assert_eq!(rows, [row(5, "bob")]);
    let (_, next) = s
        .transact_versioned(|tx| tx.insert(&object("b", "n")))
        .unwrap();
    assert_eq!(next, Some(v + 1));
}

pub fn the_chain_moves_with_each_write_and_survives_reopening(f: &dyn Fixture) {
    let s = f.open();
    let first = s.state().unwrap();
    assert_eq!(first.version, s.version().unwrap());
    let mut seen = vec![first];
    // Objects, grants and metadata each take a version and a new chain.
    insert(&*s, &object("a", "n")).unwrap();
    seen.push(s.state().unwrap());
    s.transact(|tx| tx.grant(&grant("a", "bob", "get")))
        .unwrap();
    seen.push(s.state().unwrap());
    let (_, v) = s
        .transact_versioned(|tx| tx.update(&object("a", "m")))
        .unwrap();
    let after = s.state().unwrap();
    assert_eq!(Some(after.version), v);
    seen.push(after);
    for (i, pair) in seen.windows(2).enumerate() {
        assert_eq!(pair[1].version, pair[0].version + 1, "write {i}");
        assert_ne!(pair[1].chain, pair[0].chain, "write {i}");
    }
    // Reads, audit rows and rolled-back writes leave it alone.
    s.transact(|tx| tx.audit(&row(3, "alice"))).unwrap();
    s.transact(|tx| tx.get("a").map(|_| ())).unwrap();
    let res: Result<(), Caller> = s.transact(|tx| {
        tx.insert(&object("b", "n"))?;
        Err(Caller::Refused("no"))
    });
    assert!(res.is_err());
    assert_eq!(s.state().unwrap(), after);
    drop(s);
    let s = f.open();
    assert_eq!(s.state().unwrap(), after);
    insert(&*s, &object("c", "n")).unwrap();
    let next = s.state().unwrap();
    assert_eq!(next.version, after.version + 1);
    assert!(seen.iter().all(|old| old.chain != next.chain));
}

#[cfg(test)]
mod tests {
    /// Every behaviour of this module is one the macro runs: a function added here but not
    /// listed there would never run for any engine.
    #[test]
    fn the_macro_lists_every_behaviour() {
        let source = include_str!("conformance.rs");
        let start = source.find("macro_rules! store_tests").unwrap();
        let end = start + source[start..].find("(@each $name:ident").unwrap();
        let listed: Vec<&str> = source[start..end]
            .lines()
            .map(|l| l.trim().trim_end_matches(','))
            .filter(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .collect();
        let behaviours: Vec<&str> = source
            .lines()
            .filter_map(|l| l.strip_prefix("pub fn "))
            .filter(|l| l.contains("(f: &dyn Fixture)"))
            .filter_map(|l| l.split('(').next())
            .collect();
        assert!(behaviours.len() >= 14, "{behaviours:?}");
        assert_eq!(listed, behaviours);
    }
}
