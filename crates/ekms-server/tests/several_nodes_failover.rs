//! Failover of the database under two nodes: a primary with a synchronous streaming replica
//! (ekms-testkit's `postgres::replica`), the nodes given both hosts in libpq's form
//! (`postgresql://ekms@h1:p1,h2:p2/db?target_session_attrs=read-write`). Under load on both
//! nodes the primary is killed with SIGKILL and the replica promoted: every request is answered
//! within 5 s (200, or 503 while no writable server is there), the same processes serve again
//! once the replica is promoted, and every key whose Create was answered is present and usable.
//! Without PostgreSQL installed the test skips (one line), unless `CI` is set.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::nodes::{create_until, encrypt, node_at};
use support::uid_op;

#[tokio::test]
async fn the_nodes_follow_a_promoted_replica_and_lose_no_answered_create() {
    let Some(pair) = ekms_testkit::postgres::replica::primary_with_replica() else {
        return;
    };
    // Shared with the blocking tasks that kill and promote.
    let pair = Arc::new(pair);
    let db = pair.primary.database();
    let url = pair.url(&db);
    let tmp = tempfile::tempdir().unwrap();
    let password = pair.primary.password();
    let a = node_at(&tmp.path().join("a"), &url, password, &[]);
    let b = node_at(&tmp.path().join("b"), &url, password, &[]);
    let secret = a.register().await;

    let created = Mutex::new(Vec::new());
    let answers = Mutex::new(Vec::new());
    let stop = AtomicBool::new(false);
    let promoted = Mutex::new(None::<Instant>);
    let failover = async {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let killed = pair.clone();
        tokio::task::spawn_blocking(move || killed.primary.kill())
            .await
            .unwrap();
        // Without a writable server for a while: requests meanwhile are refused, in time.
        tokio::time::sleep(Duration::from_secs(4)).await;
        let promote = pair.clone();
        tokio::task::spawn_blocking(move || promote.replica.promote())
            .await
            .unwrap();
        *promoted.lock().unwrap() = Some(Instant::now());
        tokio::time::sleep(Duration::from_secs(3)).await;
        stop.store(true, Ordering::SeqCst);
    };
    tokio::join!(
        create_until(&a, &secret, &stop, &created, &answers),
        create_until(&a, &secret, &stop, &created, &answers),
        create_until(&b, &secret, &stop, &created, &answers),
        create_until(&b, &secret, &stop, &created, &answers),
        failover,
    );

    let answers = answers.into_inner().unwrap();
    let promoted = promoted.into_inner().unwrap().unwrap();
    for answer in &answers {
        assert!(
            answer.took < Duration::from_secs(5),
            "an answer took {:?}",
            answer.took
        );
        assert!(
            answer.status == 200 || answer.status == 503,
            "{answer:?}; node A:\n{}",
            a.log()
        );
    }
    assert!(
        answers.iter().any(|a| a.status == 503),
        "no request met the failover: {answers:?}"
    );
    assert!(
        answers.iter().any(|a| a.status == 200 && a.sent > promoted),
        "no Create was answered after the promotion: {answers:?}"
    );
    // Every acknowledged Create is on the promoted replica, usable through either node.
    let created = created.into_inner().unwrap();
    assert!(created.len() > 4, "too few creates: {}", created.len());
    for (i, uid) in created.iter().enumerate() {
        let node = if i % 2 == 0 { &a } else { &b };
        node.ok(&secret, uid_op("Get", uid)).await;
        node.ok(&secret, encrypt(uid)).await;
    }
}
