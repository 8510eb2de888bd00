//! The PostgreSQL engine through an outage of the database, on a cluster of its own (this test
//! binary stops and restarts it): requests during the outage fail fast, naming the store as
//! unavailable, and the same pool serves again once the database is back.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ekms_store::conformance::object;
use ekms_store::{ObjectStore, ObjectStoreExt, PgPool, StoreError};
use ekms_testkit::postgres::cluster;
use std::time::{Duration, Instant};

#[test]
fn an_outage_is_reported_within_seconds_and_the_pool_serves_again() {
    let Some(c) = cluster() else { return };
    let db = c.database();
    let pool = PgPool::connect(&c.url(&db), Some(c.password()), 2).unwrap();
    let g = pool.create_group("g", &[3; 32]).unwrap();
    g.transact(|tx| tx.insert(&object("k", "n"))).unwrap();
    c.stop();
    for _ in 0..2 {
        let started = Instant::now();
        let r = g.transact(|tx| tx.get("k"));
        assert!(matches!(r, Err(StoreError::Unavailable(_))), "{r:?}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        let r = g.version();
        assert!(matches!(r, Err(StoreError::Unavailable(_))), "{r:?}");
    }
    c.restart();
    // The first request after the outage is served, by the same pool.
    assert_eq!(
        g.transact(|tx| tx.get("k")).unwrap(),
        Some(object("k", "n"))
    );
    g.transact(|tx| tx.insert(&object("j", "n"))).unwrap();
    assert_eq!(g.version().unwrap(), 2);
}
