//! Faults of several nodes on one PostgreSQL database, on a cluster of this test binary's own
//! (it is stopped and restarted): a node killed with SIGKILL loses no answered Create, and
//! while PostgreSQL is down every request is answered within 5 s (503) and the same nodes
//! serve again once it is back. Without PostgreSQL installed the tests skip (one line),
//! unless `CI` is set.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use support::nodes::{create_until, encrypt, two_nodes};
use support::{create_key, uid_of, uid_op};

/// The outage test stops the cluster every test of this binary uses: one test at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test]
async fn every_create_answered_before_a_node_is_killed_is_on_the_other() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let Some((a, b, secret, _dirs)) = two_nodes().await else {
        return;
    };
    let answered = Mutex::new(Vec::new());
    // Requests to A fail once it is dead: only the Creates answered count here.
    let answers = Mutex::new(Vec::new());
    let stop = AtomicBool::new(false);
    let kill_a = async {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let status = std::process::Command::new("kill")
            .args(["-KILL", &a.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        // B goes on a little after A died.
        tokio::time::sleep(Duration::from_millis(500)).await;
        stop.store(true, Ordering::SeqCst);
    };
    tokio::join!(
        create_until(&a, &secret, &stop, &answered, &answers),
        create_until(&a, &secret, &stop, &answered, &answers),
        create_until(&b, &secret, &stop, &answered, &answers),
        kill_a,
    );
    let uids = answered.into_inner().unwrap();
    assert!(
        uids.len() > 4,
        "too few creates to show anything: {}",
        uids.len()
    );
    for uid in &uids {
        b.ok(&secret, uid_op("Get", uid)).await;
        b.ok(&secret, encrypt(uid)).await;
    }
}

#[tokio::test]
async fn an_outage_of_postgresql_is_answered_within_seconds_and_the_nodes_serve_again() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let Some((a, b, secret, _dirs)) = two_nodes().await else {
        return;
    };
    let cluster = ekms_testkit::postgres::cluster().unwrap();
    let uid = uid_of(&a.ok(&secret, create_key("AES", 256, None, true)).await);
    let stop = AtomicBool::new(false);
    // (status, time to answer) of every request, before, during and after the outage
    let answers = Mutex::new(Vec::new());
    let load = |node: &'static str| {
        let node = if node == "a" { &a } else { &b };
        let (stop, answers, secret, uid) = (&stop, &answers, &secret, &uid);
        async move {
            while !stop.load(Ordering::SeqCst) {
                let started = Instant::now();
                let (status, _) = node.kmip(Some(secret), &encrypt(uid)).await;
                answers.lock().unwrap().push((status, started.elapsed()));
            }
        }
    };
    let outage = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        tokio::task::spawn_blocking(|| cluster.stop())
            .await
            .unwrap();
        // Longer than a request waits for a connection (3 s): some are answered while down.
        tokio::time::sleep(Duration::from_secs(6)).await;
        tokio::task::spawn_blocking(|| cluster.restart())
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        stop.store(true, Ordering::SeqCst);
    };
    tokio::join!(load("a"), load("b"), outage);
    let answers = answers.into_inner().unwrap();
    for (status, took) in &answers {
        assert!(*took < Duration::from_secs(5), "an answer took {took:?}");
        assert!(*status == 200 || *status == 503, "{status}");
    }
    assert!(
        answers.iter().any(|(status, _)| *status == 503),
        "no request met the outage: {answers:?}"
    );
    // Served again by the same processes, without a restart.
    for node in [&a, &b] {
        node.ok(&secret, encrypt(&uid)).await;
        node.ok(&secret, create_key("AES", 128, None, true)).await;
    }
}
