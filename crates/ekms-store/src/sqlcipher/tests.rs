//! Tests of what only the SQLCipher engine does (keys, rekey, migrations of its files, group
//! commit under concurrency, the read cache). The behaviour every engine shares is tested by
//! the suite of [`crate::conformance`], which `tests/conformance.rs` runs on this engine.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::conformance::object as obj;
use crate::{AuditFilter, AuditRow, Grant, LocateQuery, ObjectStoreExt, StoredObject};

fn insert(store: &SqlCipherStore, o: &StoredObject) -> Result<(), StoreError> {
    store.transact(|tx| tx.insert(o))
}

fn read(s: &SqlCipherStore, uid: &str) -> Option<StoredObject> {
    s.transact(|tx| tx.get(uid)).unwrap()
}

#[test]
fn meta_set_get_replace_and_persist() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let key = [7u8; 32];
    {
        let s = SqlCipherStore::create(&path, &key, "g1").unwrap();
        assert_eq!(s.get_meta(crate::ADMIN_META_KEY).unwrap(), None);
        assert_eq!(s.version().unwrap(), 0);
        s.set_meta(crate::ADMIN_META_KEY, "alice").unwrap();
        assert_eq!(
            s.get_meta(crate::ADMIN_META_KEY).unwrap().as_deref(),
            Some("alice")
        );
        s.set_meta(crate::ADMIN_META_KEY, "bob").unwrap();
        assert_eq!(
            s.get_meta(crate::ADMIN_META_KEY).unwrap().as_deref(),
            Some("bob")
        );
        // Metadata is the group's state: each write takes a version.
        assert_eq!(s.version().unwrap(), 2);
        assert_eq!(s.get_meta("group_id").unwrap().as_deref(), Some("g1"));
        assert_eq!(
            s.get_meta("schema_version").unwrap(),
            Some(SCHEMA_VERSION.to_string())
        );
    }
    let s = SqlCipherStore::open(&path, &key).unwrap();
    assert_eq!(
        s.get_meta(crate::ADMIN_META_KEY).unwrap().as_deref(),
        Some("bob")
    );
}

#[test]
fn create_open_and_wrong_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let key = [7u8; 32];
    let s = SqlCipherStore::create(&path, &key, "gid").unwrap();
    insert(&s, &obj("u1", "k1")).unwrap();
    drop(s);
    let header = std::fs::read(&path).unwrap();
    assert!(!header.starts_with(b"SQLite format 3"));
    assert!(matches!(
        SqlCipherStore::open(&path, &[8u8; 32]),
        Err(StoreError::WrongKey)
    ));
    let s = SqlCipherStore::open(&path, &key).unwrap();
    assert_eq!(s.group_id().unwrap(), "gid");
    assert_eq!(read(&s, "u1"), Some(obj("u1", "k1")));
    assert!(matches!(
        SqlCipherStore::open(&dir.path().join("none.db"), &key),
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        SqlCipherStore::create(&path, &key, "again"),
        Err(StoreError::Conflict(_))
    ));
}

/// The group file of the release before key slots (schema version 1), kept with the server's
/// tests, opens, migrates and keeps its key.
#[test]
fn a_version_one_file_of_an_earlier_release_opens_and_migrates() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ekms-server/tests/data/legacy-group/4660248f-2988-4581-88ca-6e566b213081.db");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    std::fs::copy(&fixture, &path).unwrap();
    // The group's key, from the secret in the fixture's register.json.
    let key: [u8; 32] =
        hex::decode("cf1e730b7cc956085d9e30ce5c1b88f0b4ffa4c02064223bf2c5dcea45974a5a")
            .unwrap()
            .try_into()
            .unwrap();
    {
        let conn = Connection::open(&path).unwrap();
        schema::apply_key(&conn, &key).unwrap();
        assert_eq!(schema::schema_version(&conn).unwrap(), 1);
    }
    let s = SqlCipherStore::open(&path, &key).unwrap();
    assert_eq!(
        s.get_meta("schema_version").unwrap(),
        Some(SCHEMA_VERSION.to_string())
    );
    assert_eq!(s.version().unwrap(), 0);
    let uid = "6cd7fa9d-aaf2-4672-a82b-dd801a724f60";
    let key_object = read(&s, uid).unwrap();
    // The stored key block holds the key material the release answered with.
    let block = hex::encode_upper(key_object.material.unwrap().as_slice());
    assert!(
        block.contains("7C0D2131FA367A361DDC3AE8E64FC67627D01EA260D385A791637C0152624C52"),
        "{block}"
    );
    let (_, v) = s
        .transact_versioned(|tx| tx.insert(&obj("new", "n")))
        .unwrap();
    assert_eq!(v, Some(1));
    // The audit rows the earlier release wrote read back, without a request id; a new row keeps
    // its own.
    let old = s
        .transact(|tx| tx.audit_list(&AuditFilter::default()))
        .unwrap();
    assert!(!old.is_empty());
    assert!(old.iter().all(|r| r.request_id.is_none()), "{old:?}");
    let new = AuditRow {
        time: 1,
        user: "u".into(),
        operation: "Get".into(),
        object: None,
        result: "ok".into(),
        request_id: Some("00112233aabbccdd".into()),
    };
    s.transact(|tx| tx.audit(&new)).unwrap();
    let rows = s
        .transact(|tx| tx.audit_list(&AuditFilter::default()))
        .unwrap();
    assert_eq!(rows.first(), Some(&new));
}

#[test]
fn a_file_of_a_newer_release_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let key = [7u8; 32];
    let s = SqlCipherStore::create(&path, &key, "g").unwrap();
    s.set_meta("schema_version", &(SCHEMA_VERSION + 1).to_string())
        .unwrap();
    drop(s);
    let e = SqlCipherStore::open(&path, &key).unwrap_err();
    assert!(
        matches!(e, StoreError::NewerSchema { found, known }
            if found == SCHEMA_VERSION + 1 && known == SCHEMA_VERSION),
        "{e}"
    );
}

#[test]
fn concurrent_operations_share_commits_and_fail_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let s = SqlCipherStore::create(&path, &[4u8; 32], "g").unwrap();
    let threads = 8;
    let per_thread = 40;
    std::thread::scope(|scope| {
        for t in 0..threads {
            let s = &s;
            scope.spawn(move || {
                for i in 0..per_thread {
                    let uid = format!("t{t}-{i}");
                    let fail = i % 5 == 4;
                    let res = s.transact(|tx| {
                        tx.insert(&obj(&uid, "n"))?;
                        if fail {
                            return Err(StoreError::Aborted("refused".into()));
                        }
                        Ok(())
                    });
                    assert_eq!(res.is_ok(), !fail, "{uid}: {res:?}");
                }
            });
        }
    });
    let committed = threads * per_thread * 4 / 5;
    assert_eq!(s.version().unwrap(), u64::try_from(committed).unwrap());
    drop(s);
    // What reopening finds is what was answered Ok: every success, no failure.
    let s = SqlCipherStore::open(&path, &[4u8; 32]).unwrap();
    let all = s.transact(|tx| tx.locate(&LocateQuery::default())).unwrap();
    assert_eq!(all.len(), committed);
    assert!(all.iter().all(|u| !u.ends_with('4') && !u.ends_with('9')));
}

#[test]
fn cached_objects_and_grants_follow_every_write() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqlCipherStore::create(&dir.path().join("g.db"), &[5u8; 32], "g").unwrap();
    insert(&s, &obj("k", "n")).unwrap();
    assert_eq!(read(&s, "k").unwrap().state, 1);
    assert!(s.cached_bytes() > 0, "a committed read fills the cache");
    // An update (revoke, destroy, attribute change) replaces what the cache serves.
    let mut revoked = obj("k", "n");
    revoked.state = 3;
    revoked.material = None;
    s.transact(|tx| tx.update(&revoked)).unwrap();
    assert_eq!(read(&s, "k"), Some(revoked.clone()));
    // A write that rolls back leaves the committed state visible, and the reads made
    // after it in its own transaction see it without filling the cache.
    let res = s.transact(|tx| -> Result<(), StoreError> {
        tx.update(&obj("k", "m"))?;
        assert_eq!(tx.get("k")?.unwrap().names, vec!["m".to_string()]);
        Err(StoreError::Aborted("no".into()))
    });
    assert!(res.is_err());
    assert_eq!(read(&s, "k"), Some(revoked));
    // Grants: a cached decision does not outlive a grant or its revocation.
    let g = Grant {
        uid: "k".into(),
        user: "bob".into(),
        right: "decrypt".into(),
    };
    let grants = |s: &SqlCipherStore| s.transact(|tx| tx.grants_on("k")).unwrap();
    assert!(grants(&s).is_empty());
    s.transact(|tx| tx.grant(&g)).unwrap();
    assert_eq!(grants(&s), vec![g.clone()]);
    s.transact(|tx| tx.revoke(&g)).unwrap();
    assert!(grants(&s).is_empty());
    // Metadata set outside a transaction.
    s.transact(|tx| tx.meta(crate::ADMIN_META_KEY)).unwrap();
    s.set_meta(crate::ADMIN_META_KEY, "carol").unwrap();
    let admin = s.transact(|tx| tx.meta(crate::ADMIN_META_KEY)).unwrap();
    assert_eq!(admin.as_deref(), Some("carol"));
}

#[test]
fn a_change_by_another_connection_drops_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let a = SqlCipherStore::create(&path, &[6u8; 32], "g").unwrap();
    insert(&a, &obj("k", "n")).unwrap();
    assert_eq!(read(&a, "k").unwrap().state, 1);
    let b = SqlCipherStore::open(&path, &[6u8; 32]).unwrap();
    let mut destroyed = obj("k", "n");
    destroyed.state = 6;
    destroyed.material = None;
    b.transact(|tx| tx.update(&destroyed)).unwrap();
    // The next transaction of `a` that takes the connection notices the other commit.
    let got = a
        .transact(|tx| {
            tx.locate(&LocateQuery::default())?;
            tx.get("k")
        })
        .unwrap();
    assert_eq!(got, Some(destroyed.clone()));
    assert_eq!(read(&a, "k"), Some(destroyed));
    // Both connections count versions in the file.
    assert_eq!(a.version().unwrap(), 2);
}

#[test]
fn cached_reads_take_no_connection_and_their_audit_rows_are_durable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let s = SqlCipherStore::create(&path, &[8u8; 32], "g").unwrap();
    insert(&s, &obj("k", "n")).unwrap();
    read(&s, "k").unwrap();
    let row = |i: i64| AuditRow {
        time: i,
        user: "alice".into(),
        operation: "Encrypt".into(),
        object: Some("k".into()),
        result: "ok".into(),
        request_id: None,
    };
    // A cached read answers while another thread holds the connection.
    std::thread::scope(|scope| {
        let held = s.hold_idle();
        let (done, answered) = std::sync::mpsc::channel();
        let s = &s;
        scope.spawn(move || {
            let r = read(s, "k");
            let _ = done.send(r);
        });
        let got = answered.recv_timeout(std::time::Duration::from_secs(10));
        drop(held);
        assert_eq!(got.unwrap().unwrap().uid, "k");
    });
    std::thread::scope(|scope| {
        for t in 0..4 {
            let s = &s;
            scope.spawn(move || {
                for i in 0..25 {
                    s.transact(|tx| {
                        // While the connection is held elsewhere, this read still answers.
                        assert!(tx.get("k")?.is_some());
                        tx.audit(&row(t * 100 + i))
                    })
                    .unwrap();
                }
            });
        }
        // Meanwhile, the connection is busy with other work.
        let held = s.hold_idle();
        std::thread::sleep(std::time::Duration::from_millis(20));
        drop(held);
    });
    drop(s);
    let s = SqlCipherStore::open(&path, &[8u8; 32]).unwrap();
    let rows = s
        .transact(|tx| tx.audit_list(&AuditFilter::default()))
        .unwrap();
    assert_eq!(rows.len(), 100);
}

#[test]
fn rekey_keeps_the_cache_honest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let s = SqlCipherStore::create(&path, &[6u8; 32], "g").unwrap();
    insert(&s, &obj("k", "n")).unwrap();
    read(&s, "k").unwrap();
    s.rekey(&[7u8; 32]).unwrap();
    assert_eq!(s.cached_bytes(), 0);
    assert_eq!(read(&s, "k"), Some(obj("k", "n")));
    drop(s);
    assert!(matches!(
        SqlCipherStore::open(&path, &[6u8; 32]),
        Err(StoreError::WrongKey)
    ));
    let s = SqlCipherStore::open(&path, &[7u8; 32]).unwrap();
    assert_eq!(read(&s, "k"), Some(obj("k", "n")));
}

/// Called inside a transaction that holds the connection: starts the next in line, a
/// transaction on another thread that queues for the connection, then inserts `uid` into the
/// batch this one leaves open and runs `then` before it ends; returns once it is queued.
fn queue_next_in_line<'scope, 'env>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    s: &'env SqlCipherStore,
    uid: &'static str,
    then: impl FnOnce() + Send + 'scope,
) {
    scope.spawn(move || {
        s.transact(|tx| {
            tx.insert(&obj(uid, "n"))?;
            then();
            Ok::<_, StoreError>(())
        })
        .unwrap();
    });
    while s.queued.load(std::sync::atomic::Ordering::SeqCst) == 0 {
        std::thread::yield_now();
    }
}

#[test]
fn a_write_left_to_the_next_in_line_returns_with_a_ticket_inside_deferring() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let s = SqlCipherStore::create(&path, &[9u8; 32], "g").unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    std::thread::scope(|scope| {
        let (go, wait_go) = std::sync::mpsc::channel::<()>();
        let (holding, wait_holding) = std::sync::mpsc::channel::<()>();
        let s = &s;
        let (first, tickets) = crate::ticket::deferring(|| {
            s.transact(|tx| {
                tx.insert(&obj("first", "n"))?;
                // The next in line holds the connection (its write in the same batch) until
                // told to go on; bounded, so that a first transaction that waits for this
                // commit fails the test below instead of hanging it.
                queue_next_in_line(scope, s, "second", move || {
                    let _ = holding.send(());
                    let _ = wait_go.recv_timeout(std::time::Duration::from_secs(2));
                });
                Ok::<_, StoreError>(())
            })
        });
        // Returned without waiting for the batch it joined, which the next in line still holds
        // open: its commit is the ticket's.
        first.unwrap();
        assert!(
            !tickets.is_empty(),
            "the pending commit is left as a ticket"
        );
        wait_holding.recv().unwrap();
        let wait = tickets.wait();
        let pending = rt.block_on(async {
            let mut wait = std::pin::pin!(wait);
            let early =
                tokio::time::timeout(std::time::Duration::from_millis(50), wait.as_mut()).await;
            assert!(early.is_err(), "settled before its batch committed");
            go.send(()).unwrap();
            wait.await
        });
        pending.unwrap();
    });
    drop(s);
    let s = SqlCipherStore::open(&path, &[9u8; 32]).unwrap();
    assert!(read(&s, "first").is_some() && read(&s, "second").is_some());
}

#[test]
fn outside_deferring_a_write_returns_only_once_committed() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqlCipherStore::create(&dir.path().join("g.db"), &[10u8; 32], "g").unwrap();
    let committed = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (go, wait_go) = std::sync::mpsc::channel::<()>();
        let s = &s;
        let committed = &committed;
        s.transact(|tx| {
            tx.insert(&obj("first", "n"))?;
            queue_next_in_line(scope, s, "second", move || {
                let _ = wait_go.recv();
                committed.store(true, std::sync::atomic::Ordering::SeqCst);
            });
            // Let the next in line finish (and commit the batch) a little later.
            scope.spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(50));
                go.send(()).unwrap();
            });
            Ok::<_, StoreError>(())
        })
        .unwrap();
        assert!(
            committed.load(std::sync::atomic::Ordering::SeqCst),
            "returned before the batch it joined committed"
        );
    });
}

#[test]
fn inside_deferring_no_write_follows_a_failed_commit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let s = SqlCipherStore::create(&path, &[11u8; 32], "g").unwrap();
    insert(&s, &obj("a", "n")).unwrap();
    let (results, _tickets) = crate::ticket::deferring(|| {
        // An earlier step of the request, answered from a batch whose commit then failed.
        let failed = std::sync::Arc::new(crate::ticket::Outcome::default());
        failed.set(Err(StoreError::Commit("disk".into())));
        assert!(crate::ticket::defer(crate::ticket::Ticket::new(
            failed, None
        )));
        let read = s.transact(|tx| tx.get("a"));
        let write = s.transact(|tx| tx.insert(&obj("b", "n")));
        (read, write)
    });
    // Reads still answer (the request fails as a whole when its tickets are awaited); a write
    // is refused and leaves nothing behind.
    assert!(results.0.unwrap().is_some());
    assert!(
        matches!(&results.1, Err(StoreError::Commit(w)) if w.contains("earlier step")),
        "{:?}",
        results.1
    );
    drop(s);
    let s = SqlCipherStore::open(&path, &[11u8; 32]).unwrap();
    assert!(read(&s, "b").is_none());
    assert!(read(&s, "a").is_some());
}

/// A Locate by `name` as the async worker runs it (inside `without_blocking`): `None` when
/// refused there.
fn locate_on_worker(
    s: &SqlCipherStore,
    name: &str,
    max: Option<usize>,
) -> Option<Result<Vec<String>, StoreError>> {
    let q = LocateQuery {
        name: Some(name.into()),
        max,
        ..Default::default()
    };
    crate::ticket::without_blocking(|| s.transact(|tx| tx.locate(&q)))
}

#[test]
fn a_locate_on_the_worker_reads_through_the_reader_while_the_writer_is_busy() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqlCipherStore::create(&dir.path().join("g.db"), &[4u8; 32], "g").unwrap();
    insert(&s, &obj("k1", "n")).unwrap();
    // Opened at the first need: the first try finds it closed and is refused; the next
    // transaction on a blocking thread opens it.
    assert!(locate_on_worker(&s, "n", None).is_none());
    assert!(!s.reader.is_open());
    read(&s, "k1").unwrap();
    assert!(s.reader.is_open());
    // The writing connection held (a commit under way): the Locate still answers.
    let held = s.hold_idle();
    assert_eq!(locate_on_worker(&s, "n", None).unwrap().unwrap(), ["k1"]);
    drop(held);
    // A commit made since is seen, newest first.
    insert(&s, &obj("k2", "n")).unwrap();
    assert_eq!(
        locate_on_worker(&s, "n", None).unwrap().unwrap(),
        ["k2", "k1"]
    );
    // A write in the same run is refused: the two connections never mix in one transaction.
    let q = LocateQuery {
        name: Some("n".into()),
        ..Default::default()
    };
    let wrote = crate::ticket::without_blocking(|| {
        s.transact(|tx| {
            tx.locate(&q)?;
            tx.insert(&obj("k3", "n"))
        })
    });
    assert!(wrote.is_none());
    assert_eq!(read(&s, "k3"), None);
    // More candidates than the reader answers: refused (the blocking pool answers them all),
    // unless Maximum Items asks for few enough.
    for i in 0..=reader::MAX_ROWS {
        insert(&s, &obj(&format!("m{i}"), "many")).unwrap();
    }
    assert!(locate_on_worker(&s, "many", None).is_none());
    let all = s.transact(|tx| {
        tx.locate(&LocateQuery {
            name: Some("many".into()),
            ..Default::default()
        })
    });
    assert_eq!(all.unwrap().len(), reader::MAX_ROWS + 1);
    assert_eq!(
        locate_on_worker(&s, "many", Some(3))
            .unwrap()
            .unwrap()
            .len(),
        3
    );
    // A Locate without a name (no index bounds what it reads) is not tried on the reader.
    let unnamed = crate::ticket::without_blocking(|| {
        s.transact(|tx| {
            tx.locate(&LocateQuery {
                max: Some(1),
                ..Default::default()
            })
        })
    });
    assert!(unnamed.is_none());
}

#[test]
fn the_reader_follows_a_rekey() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqlCipherStore::create(&dir.path().join("g.db"), &[4u8; 32], "g").unwrap();
    insert(&s, &obj("k", "n")).unwrap();
    assert!(locate_on_worker(&s, "n", None).is_none());
    read(&s, "k").unwrap();
    assert_eq!(locate_on_worker(&s, "n", None).unwrap().unwrap(), ["k"]);
    s.rekey(&[5u8; 32]).unwrap();
    // Closed with the old key, opened again with the new one.
    assert!(!s.reader.is_open());
    assert!(locate_on_worker(&s, "n", None).is_none());
    read(&s, "k").unwrap();
    assert!(s.reader.is_open());
    assert_eq!(locate_on_worker(&s, "n", None).unwrap().unwrap(), ["k"]);
}

#[test]
fn a_long_statement_on_the_reader_is_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqlCipherStore::create(&dir.path().join("g.db"), &[4u8; 32], "g").unwrap();
    assert!(locate_on_worker(&s, "n", None).is_none());
    read(&s, "k");
    assert!(s.reader.is_open());
    // A statement of about a hundred million steps: seconds, were it not interrupted.
    let endless =
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000000)
                   SELECT 'u' FROM c WHERE x = 0";
    let started = std::time::Instant::now();
    assert_eq!(s.reader.locate(endless, &[]), None);
    let took = started.elapsed();
    assert!(took < std::time::Duration::from_millis(50), "ran {took:?}");
    // The reader still answers afterwards.
    insert(&s, &obj("k", "n")).unwrap();
    assert_eq!(locate_on_worker(&s, "n", None).unwrap().unwrap(), ["k"]);
}

/// A runtime whose blocking pool runs lanes.
fn lane_runtime() -> tokio::runtime::Runtime {
    crate::lane::test_runtime(4)
}

#[test]
fn the_jobs_of_a_lane_share_one_batch_and_settle_once_it_is_durable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let s = std::sync::Arc::new(SqlCipherStore::create(&path, &[12u8; 32], "g").unwrap());
    let lane = s.lane().expect("the embedded engine has a lane");
    let rt = lane_runtime();
    let _in = rt.enter();
    let (done, results) = std::sync::mpsc::channel();
    let (go, gate) = std::sync::mpsc::channel::<()>();
    let mut gate = Some(gate);
    // Four writes, then a job that takes no connection: the batch the writes left open is the
    // lane's to commit once it is empty.
    for i in 0..5 {
        let (s, done) = (s.clone(), done.clone());
        let gate = gate.take();
        let job = Box::new(move || {
            if let Some(g) = gate {
                g.recv().unwrap();
            }
            // The writes before this job, still in the open batch.
            let open = s.state.lock().unwrap().batch.as_ref().map_or(0, |b| b.ops);
            let (r, tickets) = crate::ticket::deferring(|| {
                if i < 4 {
                    insert(&s, &obj(&format!("k{i}"), "n"))
                } else {
                    Ok(())
                }
            });
            done.send((i, open, r, tickets)).unwrap();
            None
        });
        assert!(lane.submit(job).is_ok());
    }
    go.send(()).unwrap();
    let mut got: Vec<_> = (0..5)
        .map(|_| {
            results
                .recv_timeout(std::time::Duration::from_secs(10))
                .unwrap()
        })
        .collect();
    got.sort_by_key(|g| g.0);
    for (i, open, r, tickets) in got {
        r.unwrap();
        assert_eq!(open, i, "job {i} joins the batch of the writes before it");
        // Each write found the next job waiting: it left the batch open and returned with a
        // ticket for its commit instead of committing alone.
        assert_eq!(tickets.is_empty(), i == 4, "job {i}");
        rt.block_on(tokio::time::timeout(
            std::time::Duration::from_secs(10),
            tickets.wait(),
        ))
        .expect("settled")
        .unwrap();
    }
    drop(_in);
    drop(rt);
    drop(lane);
    drop(s);
    let s = SqlCipherStore::open(&path, &[12u8; 32]).unwrap();
    for i in 0..4 {
        assert!(read(&s, &format!("k{i}")).is_some(), "k{i} durable");
    }
}

#[test]
fn a_batch_left_open_for_a_lane_commits_when_the_store_closes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let s = SqlCipherStore::create(&path, &[13u8; 32], "g").unwrap();
    let lane = s.lane().unwrap();
    let rt = lane_runtime();
    let _in = rt.enter();
    // A job holds the lane's runner and another waits behind it: a write now leaves its batch
    // open for that one.
    let (go, gate) = std::sync::mpsc::channel::<()>();
    assert!(
        lane.submit(Box::new(move || {
            let _ = gate.recv();
            None
        }))
        .is_ok()
    );
    assert!(lane.submit(Box::new(|| None)).is_ok());
    let (r, tickets) = crate::ticket::deferring(|| insert(&s, &obj("x", "n")));
    r.unwrap();
    assert!(!tickets.is_empty(), "left open for the waiting job");
    // The group closes before that job ran (evicted, say).
    drop(s);
    rt.block_on(tokio::time::timeout(
        std::time::Duration::from_secs(10),
        tickets.wait(),
    ))
    .expect("settled by the close")
    .unwrap();
    go.send(()).unwrap();
    let s = SqlCipherStore::open(&path, &[13u8; 32]).unwrap();
    assert!(read(&s, "x").is_some());
}

#[test]
fn a_repeated_locate_on_the_worker_reads_no_page_until_a_write() {
    let dir = tempfile::tempdir().unwrap();
    let key = [17u8; 32];
    let s = SqlCipherStore::create(&dir.path().join("g.db"), &key, "g").unwrap();
    insert(&s, &obj("k1", "n")).unwrap();
    assert!(locate_on_worker(&s, "n", None).is_none());
    read(&s, "k1").unwrap();
    assert_eq!(locate_on_worker(&s, "n", None).unwrap().unwrap(), ["k1"]);
    // The reader closed (as a rekey closes it): the same Locate is still answered, from
    // the read cache.
    s.reader.rekeying(&key, || Ok(())).unwrap();
    assert!(!s.reader.is_open());
    assert_eq!(locate_on_worker(&s, "n", None).unwrap().unwrap(), ["k1"]);
    // Another Locate (other arguments) needs the reader.
    assert!(locate_on_worker(&s, "n", Some(1)).is_none());
    // So does the same filter for another caller: an answer is the caller's own.
    let as_bob = LocateQuery {
        name: Some("n".into()),
        visible_to: Some("bob".into()),
        ..Default::default()
    };
    let bob = crate::ticket::without_blocking(|| s.transact(|tx| tx.locate(&as_bob)));
    assert!(bob.is_none(), "alice's answer served to bob");
    // A write drops the answer: the next Locate reads what the write committed.
    insert(&s, &obj("k2", "n")).unwrap();
    assert!(
        s.reader.is_open(),
        "the write's transaction opened the reader it was asked for"
    );
    assert_eq!(
        locate_on_worker(&s, "n", None).unwrap().unwrap(),
        ["k2", "k1"]
    );
}

#[test]
fn a_steady_stream_of_queued_audit_rows_leaves_the_blocking_pool_to_other_work() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqlCipherStore::create(&dir.path().join("g.db"), &[18u8; 32], "g").unwrap();
    // One blocking thread: a committer that never gives it back would hold it for good.
    let rt = crate::lane::test_runtime(1);
    let _in = rt.enter();
    // Every commit finds a row queued again: the committer's queue never empties.
    s.refill.store(true, std::sync::atomic::Ordering::SeqCst);
    let row = AuditRow {
        time: 1,
        user: "u".into(),
        operation: "Get".into(),
        object: Some("k".into()),
        result: "ok".into(),
        request_id: None,
    };
    let (r, tickets) = crate::ticket::deferring(|| s.0.commit_audit(vec![row]));
    r.unwrap();
    // Dropped unawaited: the committer starts on the blocking pool.
    drop(tickets);
    let other = rt.spawn_blocking(|| ());
    let ran = rt
        .block_on(async { tokio::time::timeout(std::time::Duration::from_secs(10), other).await });
    s.refill.store(false, std::sync::atomic::Ordering::SeqCst);
    assert!(ran.is_ok(), "the other blocking work never ran");
}

/// Whether the database file at `path` on its own (a copy, without its WAL) holds `uid`.
fn in_file_alone(path: &std::path::Path, key: &[u8; 32], uid: &str) -> bool {
    let copy = path.with_extension("copy");
    std::fs::copy(path, &copy).unwrap();
    let found = SqlCipherStore::open(&copy, key)
        .ok()
        .and_then(|c| c.transact(|tx| tx.get(uid)).ok().flatten());
    for suffix in ["", "-wal", "-shm"] {
        let mut name = copy.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(name);
    }
    found.is_some()
}

/// The pages the WAL file at `wal` has room for (it is not shortened when the log starts over).
fn wal_pages(wal: &std::path::Path) -> i64 {
    let frame = 4096 + 24;
    std::fs::metadata(wal).map_or(0, |m| i64::try_from(m.len()).unwrap() / frame)
}

#[test]
fn commits_reach_the_database_file_through_checkpoints_off_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let key = [16u8; 32];
    let s = std::sync::Arc::new(SqlCipherStore::create(&path, &key, "g").unwrap());
    let rt = lane_runtime();
    // Writes until the log holds a little more than a background checkpoint waits for, far
    // fewer pages than the writer checkpoints at on its own (or SQLite's default would).
    let wal = dir.path().join("g.db-wal");
    let write = |i: i64| {
        let s = s.clone();
        let write = rt.spawn_blocking(move || insert(&s, &obj(&format!("k{i}"), "n")));
        rt.block_on(write).unwrap().unwrap();
    };
    let mut i = 0;
    while wal_pages(&wal) < checkpoint::TRIGGER_PAGES + 20 {
        write(i);
        i += 1;
    }
    // Writing on, slowly (a checkpoint that found others busy starts at a later commit), while
    // the log stays far below the writer's own threshold.
    while !in_file_alone(&path, &key, "k0") {
        assert!(
            wal_pages(&wal) < checkpoint::BACKSTOP_PAGES / 2,
            "no checkpoint copied the first commits into the database file"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
        write(i);
        i += 1;
    }
}

#[test]
fn outside_a_runtime_the_writer_checkpoints_past_the_backstop() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let key = [17u8; 32];
    let s = SqlCipherStore::create(&path, &key, "g").unwrap();
    // No runtime: no background checkpoint. The log grows to the backstop, no further.
    let wal = dir.path().join("g.db-wal");
    for i in 0.. {
        insert(&s, &obj(&format!("k{i}"), "n")).unwrap();
        if in_file_alone(&path, &key, "k0") {
            break;
        }
        assert!(
            wal_pages(&wal) < checkpoint::BACKSTOP_PAGES + 50,
            "the log grew past the backstop without a checkpoint"
        );
    }
    assert!(
        wal_pages(&wal) >= checkpoint::BACKSTOP_PAGES - 50,
        "not before the backstop"
    );
}
