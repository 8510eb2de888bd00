//! A refused group secret takes the same time whatever the group: an
//! unknown group, a wrong key for a group whose database is open, and a wrong key for an
//! existing group that is not open cannot be told apart by timing one request.
//!
//! Timing needs a quiet machine, so the test is ignored by default; run it on its own:
//!
//! ```text
//! cargo test -p ekms-server --test auth_timing -- --ignored --test-threads=1
//! ```
//!
//! It measures interleaved samples of the three cases against the real server and, for each
//! pair, computes the accuracy of the best single-threshold classifier (the fraction of samples
//! put on the right side by the best cut); it must be at most 60%. No absolute time is used.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use base64::Engine;
use std::time::{Duration, Instant};
use support::{Server, create_key, uid_of, uid_op};

const WARM_UP: usize = 300;
const ROUNDS: usize = 2000;

fn token(id: &str, key: &[u8; 32]) -> String {
    let json = format!("{{\"group_id\":\"{id}\",\"key\":\"{}\"}}", hex::encode(key));
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

fn group_id(secret: &str) -> String {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(secret)
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    v["group_id"].as_str().unwrap().to_string()
}

/// A small deterministic generator for the order of cases in a round.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// The accuracy of the best single-threshold classifier separating `a` from `b`.
fn best_threshold_accuracy(a: &[u64], b: &[u64]) -> f64 {
    let mut all: Vec<(u64, bool)> = a
        .iter()
        .map(|&t| (t, true))
        .chain(b.iter().map(|&t| (t, false)))
        .collect();
    all.sort_unstable();
    let n = all.len() as f64;
    // Cut after position i: "a" below, "b" above (and the reverse, 1 - that).
    let (mut a_below, mut b_below) = (0usize, 0usize);
    let mut best: f64 = 0.5;
    let mut i = 0;
    while i < all.len() {
        // Equal times fall on the same side.
        let t = all[i].0;
        while i < all.len() && all[i].0 == t {
            if all[i].1 {
                a_below += 1;
            } else {
                b_below += 1;
            }
            i += 1;
        }
        let right = (a_below + (b.len() - b_below)) as f64 / n;
        best = best.max(right).max(1.0 - right);
    }
    best
}

fn median(v: &[u64]) -> u64 {
    let mut s = v.to_vec();
    s.sort_unstable();
    s[s.len() / 2]
}

#[test]
fn threshold_accuracy_sanity() {
    let a: Vec<u64> = (0..100).collect();
    let b: Vec<u64> = (100..200).collect();
    assert_eq!(best_threshold_accuracy(&a, &b), 1.0);
    assert_eq!(best_threshold_accuracy(&b, &a), 1.0);
    let c: Vec<u64> = (0..200).step_by(2).collect();
    let d: Vec<u64> = (1..200).step_by(2).collect();
    assert!(best_threshold_accuracy(&c, &d) <= 0.51);
}

/// Measures interleaved refusals of every case (name, token) against `s` and asserts that
/// the best single-threshold classifier between any two is right at most 60% of the time.
/// `keep_open` is sent now and then (outside the samples) to keep a group open.
async fn assert_indistinguishable(s: &Server, cases: &[(&str, String)], keep_open: (&str, &str)) {
    let body = serde_json::to_vec(&uid_op("Get", keep_open.1)).unwrap();
    let mut samples: Vec<Vec<u64>> = vec![Vec::new(); cases.len()];
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for round in 0..WARM_UP + ROUNDS {
        if round % 200 == 0 {
            s.ok(keep_open.0, uid_op("Get", keep_open.1)).await;
        }
        let mut order: Vec<usize> = (0..cases.len()).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, (rng.next() % (i as u64 + 1)) as usize);
        }
        for &c in &order {
            let req = s
                .http
                .post(format!("{}/kmip/2_1", s.url))
                .header("content-type", "application/json")
                .header("KmsDatabaseSecret", &cases[c].1)
                .body(body.clone());
            let t = Instant::now();
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            let _ = r.bytes().await.unwrap();
            let elapsed = t.elapsed();
            assert_eq!(status, 401, "{}", cases[c].0);
            if round >= WARM_UP {
                samples[c].push(elapsed.as_nanos() as u64);
            }
        }
    }
    let mut worst: f64 = 0.0;
    for i in 0..cases.len() {
        for j in i + 1..cases.len() {
            let acc = best_threshold_accuracy(&samples[i], &samples[j]);
            eprintln!(
                "{} (median {:?}) vs {} (median {:?}): best threshold accuracy {:.1}%",
                cases[i].0,
                Duration::from_nanos(median(&samples[i])),
                cases[j].0,
                Duration::from_nanos(median(&samples[j])),
                acc * 100.0
            );
            worst = worst.max(acc);
        }
    }
    assert!(
        worst <= 0.60,
        "a refusal tells the cases apart {:.1}% of the time",
        worst * 100.0
    );
}

/// Two groups, one open and one not; returns the server, both secrets and a key uid of the
/// open one. `legacy_from` adds the group database made before key slots (tests/data).
async fn two_groups(dir: &std::path::Path, legacy: bool) -> (Server, String, String, String) {
    let s = Server::start_with(dir, &[], &[("EKMS_LOG", "warn")]);
    let open_secret = s.register().await;
    let closed_secret = s.register().await;
    for secret in [&open_secret, &closed_secret] {
        s.ok(secret, create_key("AES", 256, None, true)).await;
    }
    drop(s);
    if legacy {
        let name = format!("{LEGACY_ID}.db");
        std::fs::copy(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/data/legacy-group")
                .join(&name),
            dir.join("data/groups").join(&name),
        )
        .unwrap();
    }
    // After a restart nothing is open; one request opens the first group only.
    let s = Server::start_with(dir, &[], &[("EKMS_LOG", "warn")]);
    let uid = uid_of(&s.ok(&open_secret, create_key("AES", 256, None, true)).await);
    (s, open_secret, closed_secret, uid)
}

const LEGACY_ID: &str = "4660248f-2988-4581-88ca-6e566b213081";
const WRONG: [u8; 32] = [0x5a; 32];
const UNKNOWN_ID: &str = "0b5c9f2e-8d1a-4c3b-9e7f-6a5d4c3b2a19";

#[tokio::test]
#[ignore = "timing-sensitive: run alone with `cargo test -p ekms-server --test auth_timing -- --ignored --test-threads=1`"]
async fn a_refused_secret_takes_the_same_time_whatever_the_group() {
    let dir = tempfile::tempdir().unwrap();
    let (s, open_secret, closed_secret, uid) = two_groups(dir.path(), false).await;
    let cases = [
        ("unknown group", token(UNKNOWN_ID, &WRONG)),
        (
            "wrong key, open group",
            token(&group_id(&open_secret), &WRONG),
        ),
        (
            "wrong key, group not open",
            token(&group_id(&closed_secret), &WRONG),
        ),
    ];
    assert_indistinguishable(&s, &cases, (&open_secret, &uid)).await;
    // Refusals never open a database.
    assert!(!s.log().contains("cannot open"), "{}", s.log());
}

#[tokio::test]
#[ignore = "timing-sensitive: run alone with `cargo test -p ekms-server --test auth_timing -- --ignored --test-threads=1`"]
async fn with_groups_made_before_key_slots_too() {
    // While a group made before key slots has not been opened, SQLCipher checks its secrets;
    // every other refusal then does the same work on a decoy.
    let dir = tempfile::tempdir().unwrap();
    let (s, open_secret, closed_secret, uid) = two_groups(dir.path(), true).await;
    let cases = [
        ("unknown group", token(UNKNOWN_ID, &WRONG)),
        (
            "wrong key, open group",
            token(&group_id(&open_secret), &WRONG),
        ),
        (
            "wrong key, group not open",
            token(&group_id(&closed_secret), &WRONG),
        ),
        (
            "wrong key, group made before key slots",
            token(LEGACY_ID, &WRONG),
        ),
    ];
    assert_indistinguishable(&s, &cases, (&open_secret, &uid)).await;
}
