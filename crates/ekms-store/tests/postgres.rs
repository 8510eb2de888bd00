//! The PostgreSQL engine on a throwaway cluster (ekms-testkit's `postgres`): the shared store
//! suite, the schema and connection checks, what a `pg_dump` shows, and tampering.
//! Without PostgreSQL installed the tests that need it skip (one line), unless `CI` is set.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ekms_store::conformance::{Fixture, object};
use ekms_store::postgres::SCHEMA_VERSION;
use ekms_store::{
    AuditRow, Grant, LocateQuery, ObjectStore, ObjectStoreExt, PgPool, PgStore, StoreError,
    StoredObject,
};
use ekms_testkit::postgres::{Cluster, cluster, free_port};
use std::sync::atomic::{AtomicBool, Ordering};

const KEY: [u8; 32] = [3; 32];

/// A database of its own on the cluster, and a pool on it.
fn database(c: &Cluster) -> (String, PgPool) {
    let db = c.database();
    let pool = PgPool::connect(&c.url(&db), Some(c.password()), 4).unwrap();
    (db, pool)
}

/// A plain client, for what the database operator can do.
fn operator(c: &Cluster, db: &str) -> postgres::Client {
    let mut config: postgres::Config = c.url(db).parse().unwrap();
    config.password(c.password());
    config.connect(postgres::NoTls).unwrap()
}

/// One group in a database of its own; every `open` connects a new pool, as a restarted
/// server does.
struct PgFixture {
    db: Option<String>,
    created: AtomicBool,
}

impl PgFixture {
    fn new() -> Self {
        Self {
            db: cluster().map(Cluster::database),
            created: AtomicBool::new(false),
        }
    }
}

impl Fixture for PgFixture {
    fn open(&self) -> Box<dyn ObjectStore> {
        let c = cluster().unwrap();
        let db = self.db.as_ref().unwrap();
        let pool = PgPool::connect(&c.url(db), Some(c.password()), 8).unwrap();
        if self.created.swap(true, Ordering::SeqCst) {
            Box::new(pool.open_group("g", &KEY).unwrap())
        } else {
            Box::new(pool.create_group("g", &KEY).unwrap())
        }
    }

    fn available(&self) -> bool {
        self.db.is_some()
    }
}

ekms_store::store_tests!(postgres_store, PgFixture::new);

fn tampered<T: std::fmt::Debug>(r: Result<T, StoreError>) -> String {
    match r {
        Err(StoreError::Tampered(why)) => why,
        other => panic!("expected the tampering error, got {other:?}"),
    }
}

/// An audit row of a successful operation by `user` at `time`.
fn audit_row(time: i64, user: &str, object: Option<&str>) -> AuditRow {
    AuditRow {
        time,
        user: user.into(),
        operation: "Get".into(),
        object: object.map(Into::into),
        result: "ok".into(),
        request_id: None,
    }
}

fn get(s: &PgStore, uid: &str) -> Result<Option<StoredObject>, StoreError> {
    s.transact(|tx| tx.get(uid))
}

#[test]
fn an_unreachable_database_is_named_with_the_reason() {
    let port = free_port();
    let e = PgPool::connect(
        &format!("postgresql://ekms@127.0.0.1:{port}/x"),
        Some("pw"),
        2,
    )
    .unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, StoreError::Unavailable(_)), "{e:?}");
    assert!(msg.contains(&format!("127.0.0.1:{port}")), "{msg}");
    assert!(msg.to_lowercase().contains("refused"), "{msg}");
    assert!(!msg.contains("pw"), "{msg}");
}

#[test]
fn a_password_in_the_url_is_refused_without_showing_it() {
    let e = PgPool::connect("postgresql://ekms:s3cr3t@127.0.0.1:1/x", None, 2).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("password"), "{msg}");
    assert!(!msg.contains("s3cr3t"), "{msg}");
}

#[test]
fn several_hosts_and_the_socket_form_connect() {
    let Some(c) = cluster() else { return };
    let db = c.database();
    // The first host is down: libpq's rule is to try the next, here for a writable server.
    let url = format!(
        "postgresql://ekms@127.0.0.1:{},127.0.0.1:{}/{db}?target_session_attrs=read-write",
        free_port(),
        c.port()
    );
    let pool = PgPool::connect(&url, Some(c.password()), 2).unwrap();
    assert!(
        pool.hosts().contains(&c.port().to_string()),
        "{}",
        pool.hosts()
    );
    pool.create_group("g", &KEY).unwrap();
    let pool = PgPool::connect(&c.socket_conninfo(&db), Some(c.password()), 2).unwrap();
    assert_eq!(pool.open_group("g", &KEY).unwrap().version().unwrap(), 0);
    // Without the password: refused, and the message says why.
    let e = PgPool::connect(&c.url(&db), None, 2).unwrap_err();
    assert!(matches!(e, StoreError::Unavailable(_)), "{e:?}");
}

#[test]
fn groups_open_only_with_their_key() {
    let Some(c) = cluster() else { return };
    let (_, pool) = database(c);
    pool.create_group("g", &KEY).unwrap();
    assert!(matches!(
        pool.create_group("g", &KEY),
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        pool.open_group("g", &[4; 32]),
        Err(StoreError::WrongKey)
    ));
    assert!(matches!(
        pool.open_group("h", &KEY),
        Err(StoreError::NotFound)
    ));
    let s = pool.open_group("g", &KEY).unwrap();
    s.set_meta(ekms_store::ADMIN_META_KEY, "alice").unwrap();
    assert_eq!(s.version().unwrap(), 1);
    assert_eq!(
        s.get_meta(ekms_store::ADMIN_META_KEY).unwrap().as_deref(),
        Some("alice")
    );
}

/// The server drops its state, pools included, on a thread of its async runtime when it shuts
/// down: the pool's connections must close there without a panic (the blocking client closes a
/// connection through a runtime of its own, which cannot start inside another).
#[test]
fn a_pool_dropped_on_an_async_runtime_thread_closes_cleanly() {
    let Some(c) = cluster() else { return };
    let (_, pool) = database(c);
    pool.create_group("g", &KEY).unwrap();
    let s = pool.open_group("g", &KEY).unwrap();
    s.set_meta(ekms_store::ADMIN_META_KEY, "alice").unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async move {
        drop(s);
        drop(pool);
    });
}

#[test]
fn a_newer_schema_is_refused_naming_both_versions() {
    let Some(c) = cluster() else { return };
    let (db, pool) = database(c);
    drop(pool);
    operator(c, &db)
        .execute(
            "UPDATE ekms_schema SET version = $1",
            &[&i32::try_from(SCHEMA_VERSION + 1).unwrap()],
        )
        .unwrap();
    let e = PgPool::connect(&c.url(&db), Some(c.password()), 2).unwrap_err();
    assert!(
        matches!(e, StoreError::NewerSchema { found, known }
            if found == SCHEMA_VERSION + 1 && known == SCHEMA_VERSION),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains(&format!("version {}", SCHEMA_VERSION + 1)),
        "{msg}"
    );
    assert!(msg.contains(&format!("version {SCHEMA_VERSION}")), "{msg}");
}

#[test]
fn a_dump_shows_no_key_byte_name_or_attribute_value() {
    let Some(c) = cluster() else { return };
    let (db, pool) = database(c);
    let s = pool.create_group("tenant-group", &KEY).unwrap();
    let material: Vec<u8> = (0u8..32)
        .map(|i| i.wrapping_mul(37).wrapping_add(11))
        .collect();
    let secrets = [
        "payroll-signing-key-7Q",
        "attribute-value-ZK4",
        "owner-margaret-9",
        "grantee-bartholomew-3",
    ];
    let mut o = object("uid-4f1d2a", secrets[0]);
    o.material = Some(zeroize::Zeroizing::new(material.clone()));
    o.attributes = format!("{{\"Contact Information\":\"{}\"}}", secrets[1]).into_bytes();
    o.owner = secrets[2].into();
    s.transact(|tx| {
        tx.insert(&o)?;
        tx.grant(&Grant {
            uid: o.uid.clone(),
            user: secrets[3].into(),
            right: "get".into(),
        })?;
        tx.audit(&audit_row(1, secrets[2], Some(&o.uid)))
    })
    .unwrap();
    let dump = c.dump(&db);
    // The rows are there (the dump is not empty of them), sealed.
    assert!(dump.contains("ekms_objects"), "{dump}");
    assert!(dump.contains("tenant-group"), "group ids are visible");
    let hex_of = |b: &[u8]| hex::encode(b);
    let mut needles: Vec<String> = vec![hex_of(&material), hex_of(&material[..8]), o.uid.clone()];
    for s in secrets {
        needles.push(s.to_string());
        needles.push(hex_of(s.as_bytes()));
    }
    for n in &needles {
        assert!(
            !dump.to_lowercase().contains(&n.to_lowercase()),
            "{n} appears in the dump"
        );
    }
    // And the store still reads it all back.
    assert_eq!(get(&s, &o.uid).unwrap().unwrap(), o);
}

/// Tamper 1: a row copied into another group (sealed under the same data key, same uid and
/// row version) does not open there.
#[test]
fn a_row_copied_into_another_group_is_tampering() {
    let Some(c) = cluster() else { return };
    let (db, pool) = database(c);
    let g1 = pool.create_group("g1", &KEY).unwrap();
    let g2 = pool.create_group("g2", &KEY).unwrap();
    let mut theirs = object("k", "n");
    theirs.material = Some(zeroize::Zeroizing::new(vec![0x11; 32]));
    g1.transact(|tx| tx.insert(&theirs)).unwrap();
    g2.transact(|tx| tx.insert(&object("k", "n"))).unwrap();
    let n = operator(c, &db)
        .execute(
            "UPDATE ekms_objects d SET sealed = s.sealed, rv = s.rv FROM ekms_objects s
             WHERE d.group_id = 'g2' AND s.group_id = 'g1'",
            &[],
        )
        .unwrap();
    assert_eq!(n, 1);
    let why = tampered(get(&g2, "k"));
    assert!(why.contains("object k"), "{why}");
    tampered(g2.transact(|tx| tx.locate(&LocateQuery::default())));
    assert_eq!(get(&g1, "k").unwrap().unwrap(), theirs);
}

/// Tamper 2: two objects' rows swapped within a group.
#[test]
fn two_rows_swapped_are_tampering() {
    let Some(c) = cluster() else { return };
    let (db, pool) = database(c);
    let g = pool.create_group("g", &KEY).unwrap();
    g.transact(|tx| {
        tx.insert(&object("a", "x"))?;
        tx.insert(&object("b", "y"))
    })
    .unwrap();
    let n = operator(c, &db)
        .execute(
            "UPDATE ekms_objects d SET sealed = s.sealed FROM ekms_objects s
             WHERE d.group_id = 'g' AND s.group_id = 'g' AND d.uid_bi <> s.uid_bi",
            &[],
        )
        .unwrap();
    assert_eq!(n, 2);
    tampered(get(&g, "a"));
    tampered(get(&g, "b"));
    tampered(g.transact(|tx| {
        tx.locate(&LocateQuery {
            name: Some("x".into()),
            ..Default::default()
        })
    }));
}

/// A group `g` holding the object `k`, in a database of its own, and the operator's client.
fn one_object(c: &Cluster) -> (PgStore, postgres::Client, String) {
    let (db, pool) = database(c);
    let g = pool.create_group("g", &KEY).unwrap();
    g.transact(|tx| tx.insert(&object("k", "n"))).unwrap();
    let op = operator(c, &db);
    (g, op, db)
}

/// The one row `sql` selects: a version and sealed bytes, as the operator would keep a copy.
fn saved(op: &mut postgres::Client, sql: &str) -> (i64, Vec<u8>) {
    let row = op.query_one(sql, &[]).unwrap();
    (row.get(0), row.get(1))
}

/// The group `g` of `db` through a new pool, as another node or a restarted server opens it.
fn reopened(c: &Cluster, db: &str) -> PgStore {
    PgPool::connect(&c.url(db), Some(c.password()), 2)
        .unwrap()
        .open_group("g", &KEY)
        .unwrap()
}

/// Tamper 3: one row put back at an older version while its group moved on (a revoked key
/// brought back to its active state).
#[test]
fn a_row_put_back_at_an_older_version_is_tampering() {
    let Some(c) = cluster() else { return };
    let (g, mut op, _) = one_object(c);
    let (old_rv, old_sealed) = saved(&mut op, "SELECT rv, sealed FROM ekms_objects");
    let mut revoked = object("k", "n");
    revoked.state = 5;
    g.transact(|tx| tx.update(&revoked)).unwrap();
    g.transact(|tx| tx.insert(&object("later", "n"))).unwrap();
    assert_eq!(get(&g, "k").unwrap().unwrap().state, 5);
    // The old row, with its own row version: it opens, but the group's record lists a newer one.
    op.execute(
        "UPDATE ekms_objects SET rv = $1, sealed = $2 WHERE group_id = 'g' AND rv = 2",
        &[&old_rv, &old_sealed],
    )
    .unwrap();
    let why = tampered(get(&g, "k"));
    assert!(why.contains("older copy"), "{why}");
    tampered(g.transact(|tx| tx.locate(&LocateQuery::default())));
    // The old row under the current row version: it does not open.
    op.execute(
        "UPDATE ekms_objects SET rv = 2 WHERE group_id = 'g' AND rv = $1",
        &[&old_rv],
    )
    .unwrap();
    tampered(get(&g, "k"));
    // The whole group record put back too is a rollback of the whole group, which the store
    // cannot see (docs/several-nodes.md); the record alone put back is seen.
}

#[test]
fn the_group_record_put_back_alone_is_tampering() {
    let Some(c) = cluster() else { return };
    let (g, mut op, db) = one_object(c);
    let (v, rec) = saved(&mut op, "SELECT version, record FROM ekms_groups");
    g.transact(|tx| tx.update(&object("k", "m"))).unwrap();
    op.execute(
        "UPDATE ekms_groups SET version = $1, record = $2",
        &[&v, &rec],
    )
    .unwrap();
    // Seen by this store (which saw version 2: a rollback, below) and by one that never saw
    // version 2 (another node, or this one restarted): the row is newer than the record.
    tampered(get(&g, "k"));
    let why = tampered(get(&reopened(c, &db), "k"));
    assert!(why.contains("row is at version 2"), "{why}");
    // A version column that disagrees with the sealed record does not open.
    op.execute("UPDATE ekms_groups SET version = 7", &[])
        .unwrap();
    tampered(g.version());
}

#[test]
fn a_read_then_write_after_another_writer_is_refused_as_changed() {
    let Some(c) = cluster() else { return };
    let (_, pool) = database(c);
    let g = pool.create_group("g", &KEY).unwrap();
    let other = pool.open_group("g", &KEY).unwrap();
    g.transact(|tx| tx.insert(&object("k", "n"))).unwrap();
    let r = g.transact(|tx| {
        tx.get("k")?;
        // Another node writes the group between this read and this write.
        other.transact(|tx| tx.insert(&object("j", "n")))?;
        tx.update(&object("k", "m"))
    });
    assert!(matches!(r, Err(StoreError::Changed)), "{r:?}");
    assert_eq!(get(&g, "k").unwrap().unwrap(), object("k", "n"));
    assert_eq!(g.version().unwrap(), 2);
    // A body that ignores the failure and ends Ok is not told it committed: PostgreSQL has
    // aborted the transaction, and its audit row goes with it.
    let r = g.transact(|tx| {
        tx.audit(&audit_row(1, "u", None))?;
        tx.get("k")?;
        other.transact(|tx| tx.insert(&object("i", "n")))?;
        let ignored = tx.update(&object("k", "m"));
        assert!(matches!(ignored, Err(StoreError::Changed)), "{ignored:?}");
        Ok::<_, StoreError>(())
    });
    assert!(matches!(r, Err(StoreError::Commit(_))), "{r:?}");
    let audited = g.transact(|tx| tx.audit_list(&Default::default())).unwrap();
    assert!(audited.is_empty(), "{audited:?}");
}

/// The same race under `transact_locked` (what a rerun uses): the other writer waits for the
/// lock taken before the read, so the read-then-write commits, and the other writer after it.
#[test]
fn a_locked_read_then_write_is_not_refused_the_other_writer_waits() {
    let Some(c) = cluster() else { return };
    let (_, pool) = database(c);
    let g = pool.create_group("g", &KEY).unwrap();
    let other = pool.open_group("g", &KEY).unwrap();
    g.transact(|tx| tx.insert(&object("k", "n"))).unwrap();
    let (began, done) = (std::sync::Barrier::new(2), AtomicBool::new(false));
    std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            began.wait();
            other.transact(|tx| tx.insert(&object("j", "n"))).unwrap();
            // It could commit only once the locked transaction had.
            assert!(done.load(Ordering::SeqCst), "the other writer did not wait");
        });
        let r = g.transact_locked(|tx| {
            tx.get("k")?;
            began.wait();
            // Time for the other writer to reach the lock and wait there.
            std::thread::sleep(std::time::Duration::from_millis(300));
            tx.update(&object("k", "m"))?;
            done.store(true, Ordering::SeqCst);
            Ok::<_, StoreError>(())
        });
        assert!(r.is_ok(), "{r:?}");
        writer.join().unwrap();
    });
    assert_eq!(get(&g, "k").unwrap().unwrap(), object("k", "m"));
    assert_eq!(g.version().unwrap(), 3);
}

/// The whole group put back (record and rows together, as a restored backup): a store that saw
/// a later version refuses it; one that never did cannot tell (docs/several-nodes.md).
#[test]
fn a_whole_group_put_back_is_seen_only_by_a_store_that_saw_later() {
    let Some(c) = cluster() else { return };
    let (g, mut op, db) = one_object(c);
    op.batch_execute(
        "CREATE TABLE old_objects AS SELECT * FROM ekms_objects;
         CREATE TABLE old_names AS SELECT * FROM ekms_names;
         CREATE TABLE old_groups AS SELECT * FROM ekms_groups;",
    )
    .unwrap();
    let mut revoked = object("k", "n");
    revoked.state = 5;
    g.transact(|tx| tx.update(&revoked)).unwrap();
    op.batch_execute(
        "DELETE FROM ekms_objects;
         INSERT INTO ekms_objects SELECT * FROM old_objects;
         INSERT INTO ekms_names SELECT * FROM old_names;
         UPDATE ekms_groups g SET version = o.version, record = o.record
             FROM old_groups o WHERE g.group_id = o.group_id;",
    )
    .unwrap();
    let why = tampered(get(&g, "k"));
    assert!(why.contains("older than version 2"), "{why}");
    assert!(why.contains("rolled back"), "{why}");
    let fresh = reopened(c, &db);
    assert_eq!(fresh.version().unwrap(), 1);
    assert_eq!(get(&fresh, "k").unwrap().unwrap().state, 1);
}

/// A row's index columns altered to make it match a query it does not meet (a revoked key
/// passed off as active): the opened row is checked against the query again.
#[test]
fn an_altered_index_column_is_tampering() {
    let Some(c) = cluster() else { return };
    let (g, mut op, _) = one_object(c);
    let mut revoked = object("r", "n");
    revoked.state = 5;
    g.transact(|tx| tx.insert(&revoked)).unwrap();
    let active = LocateQuery {
        state: Some(1),
        ..Default::default()
    };
    assert_eq!(g.transact(|tx| tx.locate(&active)).unwrap(), ["k"]);
    let n = op
        .execute(
            "UPDATE ekms_objects SET state_bi = (SELECT state_bi FROM ekms_objects WHERE rv = 1)
             WHERE rv = 2",
            &[],
        )
        .unwrap();
    assert_eq!(n, 1);
    let why = tampered(g.transact(|tx| tx.locate(&active)));
    assert!(why.contains("object r"), "{why}");
}

/// A transaction whose snapshot predates a commit of the same store reads the older record
/// without a false rollback alarm: only versions seen before it began count against it.
/// Audit rows wait for the end of their transaction and do not begin it.
#[test]
fn a_commit_during_a_transaction_raises_no_rollback_alarm() {
    let Some(c) = cluster() else { return };
    let (g, _, _) = one_object(c);
    let row = audit_row(1, "u", None);
    let seen = g
        .transact(|tx| {
            tx.audit(&row)?;
            // The snapshot is taken here, at version 1.
            let k = tx.get("k")?.is_some();
            g.transact(|tx| tx.insert(&object("j", "n")))?;
            assert_eq!(g.version()?, 2);
            Ok::<_, StoreError>((k, tx.get("j")?.is_some()))
        })
        .unwrap();
    assert_eq!(seen, (true, false));
    let audited = g.transact(|tx| tx.audit_list(&Default::default())).unwrap();
    assert_eq!(audited, [row]);
}

/// Readers writing audit rows and writers on one group at once, on one store: every request
/// is served (writers take turns, readers wait for nobody), and no version is lost.
#[test]
fn readers_and_writers_at_once_are_all_served() {
    let Some(c) = cluster() else { return };
    let (g, _, _) = one_object(c);
    let row = audit_row(1, "u", Some("k"));
    let g = &g;
    let row = &row;
    std::thread::scope(|s| {
        for t in 0..4 {
            s.spawn(move || {
                for _ in 0..40 {
                    let got = g.transact(|tx| {
                        let o = tx.get("k")?;
                        tx.audit(row)?;
                        Ok::<_, StoreError>(o)
                    });
                    assert!(got.unwrap().is_some(), "reader {t}");
                }
            });
        }
        for t in 0..2 {
            s.spawn(move || {
                for i in 0..20 {
                    let o = object(&format!("w{t}-{i}"), "n");
                    g.transact(|tx| tx.insert(&o)).unwrap();
                }
            });
        }
    });
    assert_eq!(g.version().unwrap(), 41);
    let all = g.transact(|tx| tx.locate(&LocateQuery::default())).unwrap();
    assert_eq!(all.len(), 41);
}

/// The scan bound: a Locate that would open more rows is refused, not answered in part;
/// Maximum Items and narrower queries stay within it; an audit listing searches the newest
/// rows only.
#[test]
fn the_scan_bound_refuses_a_locate_that_would_open_more() {
    let Some(c) = cluster() else { return };
    let db = c.database();
    let pool = PgPool::connect(&c.url(&db), Some(c.password()), 2)
        .unwrap()
        .with_scan_bound(3);
    let g = pool.create_group("g", &KEY).unwrap();
    g.transact(|tx| {
        for (uid, name) in [("a", "x"), ("b", "x"), ("c", "y"), ("d", "y")] {
            tx.insert(&object(uid, name))?;
        }
        for t in 0..5 {
            tx.audit(&audit_row(t, &format!("u{t}"), None))?;
        }
        Ok::<_, StoreError>(())
    })
    .unwrap();
    let find = |q: LocateQuery| g.transact(|tx| tx.locate(&q));
    let e = find(LocateQuery::default()).unwrap_err();
    assert!(matches!(e, StoreError::TooMany(3)), "{e:?}");
    assert!(e.to_string().contains("Maximum Items"), "{e}");
    let page = LocateQuery {
        max: Some(3),
        offset: 1,
        ..Default::default()
    };
    assert_eq!(find(page).unwrap(), ["c", "b", "a"]);
    let named = LocateQuery {
        name: Some("y".into()),
        ..Default::default()
    };
    assert_eq!(find(named).unwrap(), ["d", "c"]);
    let listed = |user: &str| {
        g.transact(|tx| {
            tx.audit_list(&ekms_store::AuditFilter {
                user: Some(user.into()),
                ..Default::default()
            })
        })
        .unwrap()
        .len()
    };
    assert_eq!(listed("u4"), 1);
    assert_eq!(listed("u0"), 0, "older than the newest 3 rows");
}

/// A restored `pg_dump` (the operator puts an older copy of the whole database back): the
/// store cannot tell, but it states the older version and chain, which a client that saw the
/// newer state refuses (the `Ekms-Group-State` header); written again, the same version comes
/// back with another chain (a fork).
#[test]
fn a_restored_dump_states_the_older_group_state() {
    let Some(c) = cluster() else { return };
    let (db, pool) = database(c);
    let g = pool.create_group("g", &KEY).unwrap();
    g.transact(|tx| tx.insert(&object("k", "n"))).unwrap();
    let old = g.state().unwrap();
    let dump = c.dump(&db);
    let mut revoked = object("k", "n");
    revoked.state = 3;
    g.transact(|tx| tx.update(&revoked)).unwrap();
    let newer = g.state().unwrap();
    assert_eq!(newer.version, old.version + 1);
    drop(g);
    drop(pool);

    let restored = c.database();
    let mut psql = c.client("psql", &restored);
    psql.args(["-q", "-v", "ON_ERROR_STOP=1"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null());
    let mut child = psql.spawn().unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), dump.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success(), "psql restored the dump");

    let pool = PgPool::connect(&c.url(&restored), Some(c.password()), 4).unwrap();
    let g = pool.open_group("g", &KEY).unwrap();
    assert_eq!(g.state().unwrap(), old);
    g.transact(|tx| tx.update(&object("k", "other"))).unwrap();
    let forked = g.state().unwrap();
    assert_eq!(forked.version, newer.version);
    assert_ne!(forked.chain, newer.chain);
}

#[test]
fn key_slots_live_with_their_group_and_change_only_from_what_was_read() {
    let Some(c) = cluster() else { return };
    let (db, pool) = database(c);
    assert_eq!(pool.key_slots("k").unwrap(), None, "no such group");
    drop(pool.create_group_with_slots("k", &KEY, b"slots-1").unwrap());
    assert!(matches!(
        pool.create_group_with_slots("k", &KEY, b"other"),
        Err(StoreError::Conflict(_))
    ));
    // Another node (another pool) reads the same slots.
    let other = PgPool::connect(&c.url(&db), Some(c.password()), 2).unwrap();
    assert_eq!(
        other.key_slots("k").unwrap().as_deref(),
        Some(&b"slots-1"[..])
    );
    // A change from slots read before another node's change fails.
    assert!(pool.replace_key_slots("k", b"slots-1", b"slots-2").unwrap());
    assert!(
        !other
            .replace_key_slots("k", b"slots-1", b"slots-3")
            .unwrap()
    );
    assert_eq!(
        other.key_slots("k").unwrap().as_deref(),
        Some(&b"slots-2"[..])
    );
    // Rotation re-wraps the data key only: the group opens with the same key as before.
    drop(other.open_group("k", &KEY).unwrap());
    assert!(!pool.delete_group("k", b"slots-1").unwrap(), "stale slots");
    assert!(pool.open_group("k", &KEY).is_ok());
    assert!(pool.delete_group("k", b"slots-2").unwrap());
    assert_eq!(pool.key_slots("k").unwrap(), None);
    assert!(matches!(
        pool.open_group("k", &KEY),
        Err(StoreError::NotFound)
    ));
    // Nothing of the group is left.
    let mut op = operator(c, &db);
    for table in [
        "ekms_groups",
        "ekms_objects",
        "ekms_audit",
        "ekms_key_slots",
    ] {
        let n: i64 = op
            .query_one(
                &format!("SELECT count(*) FROM {table} WHERE group_id = 'k'"),
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(n, 0, "{table}");
    }
}

/// What the capacity limits measure: the groups, and the bytes of sealed rows, which grow
/// with an object's material and go with a deleted group.
#[test]
fn usage_counts_groups_and_sealed_bytes() {
    let Some(c) = cluster() else { return };
    let (db, pool) = database(c);
    let empty = pool.usage().unwrap();
    assert_eq!((empty.groups, empty.sealed_bytes), (0, 0));
    let g = pool.create_group("g", &KEY).unwrap();
    pool.create_group("h", &KEY).unwrap();
    let two = pool.usage().unwrap();
    assert_eq!(two.groups, 2);
    assert!(two.sealed_bytes > 0, "{two:?}");
    let mut big = object("k", "n");
    big.material = Some(zeroize::Zeroizing::new(vec![0xCD; 10_000]));
    g.transact(|tx| tx.insert(&big)).unwrap();
    let grown = pool.usage().unwrap();
    assert_eq!(grown.groups, 2);
    assert!(
        grown.sealed_bytes >= two.sealed_bytes + 10_000,
        "{two:?} -> {grown:?}"
    );
    let mut op = operator(c, &db);
    op.execute("DELETE FROM ekms_groups WHERE group_id = 'g'", &[])
        .unwrap();
    let after = pool.usage().unwrap();
    assert_eq!(after.groups, 1);
    assert!(after.sealed_bytes < two.sealed_bytes, "{after:?}");
}
