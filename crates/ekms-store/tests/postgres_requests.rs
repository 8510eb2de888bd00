//! The PostgreSQL engine as the server's requests use it ([`PgRequest`]: the group version
//! read by the request's first query, with the key slots): served from the store's caches
//! while the group is unchanged, never older than a write committed by another node before
//! the request began, audit rows committed together and durable, and writers that lost a race
//! once taking the group's lock first.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ekms_store::conformance::object;
use ekms_store::postgres::PgRequest;
use ekms_store::{
    AuditFilter, AuditRow, LocateQuery, ObjectStore, ObjectStoreExt, PgPool, PgStore, StoreError,
    StoredObject,
};
use ekms_testkit::postgres::{Cluster, cluster};
use std::sync::Arc;

const KEY: [u8; 32] = [5; 32];

/// Two nodes on one database of their own: a pool each, the group `g` created by the first;
/// and a pool for the requests' first queries.
fn two_nodes(c: &Cluster) -> (String, Arc<PgStore>, Arc<PgStore>, PgPool) {
    let db = c.database();
    let connect = || PgPool::connect(&c.url(&db), Some(c.password()), 8).unwrap();
    let a = Arc::new(connect().create_group("g", &KEY).unwrap());
    let b = Arc::new(connect().open_group("g", &KEY).unwrap());
    let requests = connect();
    (db, a, b, requests)
}

/// A request on `node`, as the server begins one: the slots and the version in one query.
fn request(node: &Arc<PgStore>, pool_of: &PgPool) -> PgRequest {
    let entry = pool_of.entry("g").unwrap();
    assert!(entry.slots.is_none(), "these groups have no key slots");
    node.request(entry.version)
}

fn read(r: &PgRequest, uid: &str) -> Result<Option<StoredObject>, StoreError> {
    r.transact(|tx| tx.get(uid))
}

fn operator(c: &Cluster, db: &str) -> postgres::Client {
    let mut config: postgres::Config = c.url(db).parse().unwrap();
    config.password(c.password());
    config.connect(postgres::NoTls).unwrap()
}

/// A cached object is served without reading its row while the group is unchanged, and a
/// write committed on another node is seen by the next request at once.
#[test]
fn the_cache_serves_only_while_no_node_wrote() {
    let Some(c) = cluster() else { return };
    let (db, a, b, pool) = two_nodes(c);
    a.transact(|tx| tx.insert(&object("k", "n"))).unwrap();
    assert_eq!(read(&request(&a, &pool), "k").unwrap().unwrap().state, 1);
    // The row is overwritten behind the store's back with garbage: a request at the same
    // version does not read it (the cached copy is the one this store authenticated).
    let mut op = operator(c, &db);
    let saved: Vec<u8> = op
        .query_one("SELECT sealed FROM ekms_objects", &[])
        .unwrap()
        .get(0);
    op.execute("UPDATE ekms_objects SET sealed = 'x'::bytea", &[])
        .unwrap();
    assert_eq!(read(&request(&a, &pool), "k").unwrap().unwrap().state, 1);
    // The store's transactions outside a request read the row, and see the tampering.
    assert!(matches!(
        a.transact(|tx| tx.get("k")),
        Err(StoreError::Tampered(_))
    ));
    op.execute("UPDATE ekms_objects SET sealed = $1", &[&saved])
        .unwrap();
    // Revoked on the other node: the next request on the first sees it.
    let mut revoked = object("k", "n");
    revoked.state = 5;
    b.transact(|tx| tx.update(&revoked)).unwrap();
    assert_eq!(read(&request(&a, &pool), "k").unwrap().unwrap().state, 5);
    // And a grant, in the group record, likewise.
    let g = ekms_store::Grant {
        uid: "k".into(),
        user: "bob".into(),
        right: "get".into(),
    };
    b.transact(|tx| tx.grant(&g)).unwrap();
    let r = request(&a, &pool);
    assert_eq!(r.transact(|tx| tx.grants_on("k")).unwrap(), [g]);
}

/// A request that began before another node's write, reading an object its cache lacks,
/// finds the row newer than the record in hand: the group changed under it, and it says so
/// rather than mixing two states. A single row put back at an older version is still
/// tampering on the request path.
#[test]
fn a_row_newer_than_the_record_is_a_change_and_an_older_one_tampering() {
    let Some(c) = cluster() else { return };
    let (db, a, b, pool) = two_nodes(c);
    // Written by the other node, and read by this one outside a request: this store holds
    // the group record that lists it, but not the object.
    b.transact(|tx| tx.insert(&object("k", "n"))).unwrap();
    a.transact(|tx| tx.get("k")).unwrap();
    let early = request(&a, &pool);
    let mut op = operator(c, &db);
    let (old_rv, old_sealed): (i64, Vec<u8>) = {
        let row = op
            .query_one("SELECT rv, sealed FROM ekms_objects", &[])
            .unwrap();
        (row.get(0), row.get(1))
    };
    b.transact(|tx| tx.update(&object("k", "m"))).unwrap();
    let r = read(&early, "k");
    assert!(matches!(r, Err(StoreError::Changed)), "{r:?}");
    // The older row put back: the store that never cached it sees the rollback.
    op.execute(
        "UPDATE ekms_objects SET rv = $1, sealed = $2",
        &[&old_rv, &old_sealed],
    )
    .unwrap();
    let fresh = Arc::new(
        PgPool::connect(&c.url(&db), Some(c.password()), 2)
            .unwrap()
            .open_group("g", &KEY)
            .unwrap(),
    );
    match read(&request(&fresh, &pool), "k") {
        Err(StoreError::Tampered(why)) => assert!(why.contains("older copy"), "{why}"),
        other => panic!("expected the tampering error, got {other:?}"),
    }
}

/// Many requests reading and auditing at once, on two nodes: every audit row is there after
/// they returned, each in one piece, and none of them moved the group's version.
#[test]
fn audit_rows_committed_together_are_all_durable() {
    let Some(c) = cluster() else { return };
    let (_, a, b, pool) = two_nodes(c);
    a.transact(|tx| tx.insert(&object("k", "n"))).unwrap();
    let (threads, each) = (8, 25);
    std::thread::scope(|s| {
        for t in 0..threads {
            let (node, pool) = (if t % 2 == 0 { &a } else { &b }, &pool);
            s.spawn(move || {
                for i in 0..each {
                    let row = AuditRow {
                        time: t * 1000 + i,
                        user: format!("u{t}"),
                        operation: "Encrypt".into(),
                        object: Some("k".into()),
                        result: "ok".into(),
                        request_id: None,
                    };
                    let r = request(node, pool);
                    let got = r.transact(|tx| {
                        let o = tx.get("k")?;
                        tx.audit(&row)?;
                        Ok::<_, StoreError>(o)
                    });
                    assert!(got.unwrap().is_some());
                }
            });
        }
    });
    let rows = a
        .transact(|tx| tx.audit_list(&AuditFilter::default()))
        .unwrap();
    assert_eq!(rows.len(), (threads * each) as usize);
    let mut times: Vec<i64> = rows.iter().map(|r| r.time).collect();
    times.sort_unstable();
    times.dedup();
    assert_eq!(times.len(), (threads * each) as usize);
    assert_eq!(a.version().unwrap(), 1);
}

/// Runs `write` as requests on two nodes at once, `threads` threads of `each` requests, each
/// run again once if it lost a race (as the server does, which allows more); returns how many
/// lost one. A request never loses twice.
fn race(
    a: &Arc<PgStore>,
    b: &Arc<PgStore>,
    pool: &PgPool,
    (threads, each): (usize, usize),
    write: &(dyn Fn(&PgRequest, String) -> Result<(), StoreError> + Sync),
) -> usize {
    let lost = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for t in 0..threads {
            let (node, lost) = (if t % 2 == 0 { a } else { b }, &lost);
            s.spawn(move || {
                for i in 0..each {
                    let r = request(node, pool);
                    let uid = format!("k{t}-{i}");
                    match write(&r, uid.clone()) {
                        Err(StoreError::Changed) => {
                            lost.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            write(&r, uid).unwrap();
                        }
                        other => other.unwrap(),
                    }
                }
            });
        }
    });
    lost.into_inner()
}

/// Creators of one group on two nodes at once, each reading first as an operation's rights
/// check does (the grants, and whether its new uid is free): what they read is not what the
/// others write, so none of them has to run again, although each found the group moved on
/// when it came to write.
#[test]
fn creators_of_one_group_do_not_disturb_each_other() {
    let Some(c) = cluster() else { return };
    let (_, a, b, pool) = two_nodes(c);
    let lost = race(&a, &b, &pool, (8, 15), &|r, uid| {
        r.transact(|tx| {
            tx.grants_on("*")?;
            assert!(tx.get(&uid)?.is_none());
            tx.insert(&object(&uid, "n"))
        })
    });
    assert_eq!(lost, 0);
    assert_eq!(a.version().unwrap(), 120);
    let all = a.transact(|tx| tx.locate(&Default::default())).unwrap();
    assert_eq!(all.len(), 120);
}

/// Writers of one object on two nodes at once, each reading it first: a writer that lost a
/// race runs again and then takes the group's lock first, so it never loses twice, and no
/// write is lost.
#[test]
fn a_writer_that_lost_a_race_queues_and_never_loses_twice() {
    let Some(c) = cluster() else { return };
    let (_, a, b, pool) = two_nodes(c);
    a.transact(|tx| tx.insert(&object("shared", "0"))).unwrap();
    let lost = race(&a, &b, &pool, (6, 10), &|r, uid| {
        r.transact(|tx| {
            let mut o = tx.get("shared")?.unwrap();
            o.names.push(uid.clone());
            tx.update(&o)
        })
    });
    assert!(lost > 0, "no writer lost a race: the test shows nothing");
    let o = a.transact(|tx| tx.get("shared")).unwrap().unwrap();
    assert_eq!(o.names.len(), 61);
    assert_eq!(a.version().unwrap(), 61);
}

/// Concurrent requests of one group share their first query (fewer reads reach the database
/// than requests begin), yet none is served a read older than a write another node committed
/// before the request began: while the other node commits write after write, every request
/// reads at least the version last committed when it began.
#[test]
fn concurrent_requests_share_version_reads_but_miss_no_earlier_write() {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    const READERS: usize = 12;
    const WRITES: usize = 60;
    let Some(c) = cluster() else { return };
    let (_db, a, b, pool) = two_nodes(c);
    a.transact(|tx| tx.insert(&object("k", "n"))).unwrap();
    let committed = AtomicU64::new(0);
    let writing = AtomicBool::new(true);
    let requests = AtomicU64::new(0);
    std::thread::scope(|s| {
        s.spawn(|| {
            for i in 0..WRITES {
                let mut o = object("k", "n");
                o.state = 1 + (i % 2) as u32;
                b.transact(|tx| tx.update(&o)).unwrap();
                committed.store(b.state().unwrap().version, Ordering::SeqCst);
            }
            writing.store(false, Ordering::SeqCst);
        });
        for _ in 0..READERS {
            s.spawn(|| {
                while writing.load(Ordering::SeqCst) {
                    let before = committed.load(Ordering::SeqCst);
                    requests.fetch_add(1, Ordering::SeqCst);
                    let entry = pool.entry("g").unwrap();
                    let version = entry.version.unwrap();
                    assert!(
                        version >= before,
                        "a request that began after version {before} was committed read version {version}"
                    );
                    // The request goes on from that version: served from the caches, or told the
                    // group changed since (a later write), never an older state.
                    let r = a.request(entry.version);
                    match read(&r, "k") {
                        Ok(Some(_)) | Err(StoreError::Changed) => {}
                        other => panic!("{other:?}"),
                    }
                }
            });
        }
    });
    let requests = requests.load(Ordering::SeqCst);
    let reads = pool.entry_reads();
    assert!(
        reads < requests,
        "{reads} version reads for {requests} concurrent requests"
    );
}

/// Each pooled connection prepares a statement once: many requests (version read, cached
/// read, audit row, Locate) prepare no more statements than a few requests did.
#[test]
fn connections_prepare_each_statement_once() {
    let Some(c) = cluster() else { return };
    let db = c.database();
    let connect = || PgPool::connect(&c.url(&db), Some(c.password()), 2).unwrap();
    let node = connect();
    let a = Arc::new(node.create_group("g", &KEY).unwrap());
    let pool = connect();
    a.transact(|tx| tx.insert(&object("k", "n"))).unwrap();
    let round = || {
        let r = request(&a, &pool);
        assert!(read(&r, "k").unwrap().is_some());
        r.transact(|tx| tx.locate(&LocateQuery::default())).unwrap();
        r.transact(|tx| {
            tx.audit(&AuditRow {
                time: 1,
                user: "alice".into(),
                operation: "Get".into(),
                object: Some("k".into()),
                result: "ok".into(),
                request_id: None,
            })
        })
        .unwrap();
    };
    for _ in 0..5 {
        round();
    }
    let (requests, nodes) = (pool.statements_prepared(), node.statements_prepared());
    assert!(
        requests > 0 && nodes > 0,
        "no statement prepared: {requests}, {nodes}"
    );
    for _ in 0..200 {
        round();
    }
    assert_eq!(
        (pool.statements_prepared(), node.statements_prepared()),
        (requests, nodes),
        "200 more requests prepared statements again"
    );
}

/// Locate names the objects written since by any node, and only those the group record in
/// hand lists: the index of uids a store keeps for Locate takes in the rows written since it
/// was filled, and a row it cannot name is still reported.
#[test]
fn locate_finds_objects_written_by_any_node_since() {
    let Some(c) = cluster() else { return };
    let (db, a, b, pool) = two_nodes(c);
    let by_name = |r: &PgRequest, name: &str| {
        let q = ekms_store::LocateQuery {
            name: Some(name.into()),
            ..Default::default()
        };
        r.transact(|tx| tx.locate(&q)).unwrap()
    };
    a.transact(|tx| tx.insert(&object("k1", "one"))).unwrap();
    assert_eq!(by_name(&request(&a, &pool), "one"), ["k1"]);
    b.transact(|tx| tx.insert(&object("k2", "two"))).unwrap();
    assert_eq!(by_name(&request(&a, &pool), "two"), ["k2"]);
    assert_eq!(by_name(&request(&a, &pool), "one"), ["k1"]);
    // A row the group record does not list (inserted behind the stores' backs, a copy of
    // another one's row under a new uid index) is tampering, not an object.
    let mut op = operator(c, &db);
    op.execute(
        "INSERT INTO ekms_objects(group_id, uid_bi, rv, sealed, type_bi, state_bi, alg_bi, owner_bi, seq)
         SELECT group_id, '\\x00'::bytea, rv, sealed, type_bi, state_bi, alg_bi, owner_bi, seq + 1000
         FROM ekms_objects WHERE seq = (SELECT max(seq) FROM ekms_objects)",
        &[],
    )
    .unwrap();
    let q = ekms_store::LocateQuery {
        object_type: Some(object("x", "y").object_type),
        ..Default::default()
    };
    let found = request(&a, &pool).transact(|tx| tx.locate(&q));
    assert!(matches!(found, Err(StoreError::Tampered(_))), "{found:?}");
}
