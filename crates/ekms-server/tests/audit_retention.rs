//! The bounds of a group's audit trail, over HTTPS: the retention policy its administrator
//! sets (`GET`/`PUT /audit/retention`), the cap that refuses audited work rather than drop a
//! row (507), the export and prune that free room (`GET /audit/export`, `POST /audit/prune`),
//! the sweep that prunes the rows past the group's age limit, and the server's limits
//! (`--audit-retention-max-rows`, `--audit-retention-max-age-days`): the bounds of a group
//! that sets none, and the most one may set. On both stores (`EKMS_TEST_DATABASE`).

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::nodes::encrypt;
use support::*;

fn start(root: &std::path::Path, user: &str) -> Server {
    Server::start_in(root, &["--default-user", user])
}

async fn send(
    s: &Server,
    method: reqwest::Method,
    secret: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = s
        .http
        .request(method, format!("{}{path}", s.url))
        .header("KmsDatabaseSecret", secret);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn put_retention(s: &Server, secret: &str, policy: Value) -> (u16, Value) {
    send(
        s,
        reqwest::Method::PUT,
        secret,
        "/audit/retention",
        Some(policy),
    )
    .await
}

async fn get(s: &Server, secret: &str, path: &str) -> (u16, Value) {
    send(s, reqwest::Method::GET, secret, path, None).await
}

#[tokio::test(flavor = "multi_thread")]
async fn retention_is_set_and_pruned_by_the_administrator_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut alice = start(dir.path(), "alice");
    let secret = alice.register().await;
    let (st, set) = put_retention(
        &alice,
        &secret,
        json!({"max_rows": 1000, "max_age_days": 30}),
    )
    .await;
    assert_eq!(st, 200, "{set}");
    assert_eq!(set["max_rows"], 1000);
    assert_eq!(set["max_age_days"], 30);
    alice.kill();

    let mut bob = start(dir.path(), "bob");
    let (st, refused) = put_retention(&bob, &secret, json!({"max_rows": null})).await;
    assert_eq!(st, 403, "{refused}");
    let (st, _) = send(
        &bob,
        reqwest::Method::POST,
        &secret,
        "/audit/prune?through=100",
        None,
    )
    .await;
    assert_eq!(st, 403);
    // Reading the policy or exporting takes the `audit` right, which bob lacks.
    assert_eq!(get(&bob, &secret, "/audit/retention").await.0, 403);
    assert_eq!(get(&bob, &secret, "/audit/export").await.0, 403);
    bob.kill();

    // Kept in the group: a restarted server reads it back; nothing bob sent changed it.
    let alice = start(dir.path(), "alice");
    let (st, now) = get(&alice, &secret, "/audit/retention").await;
    assert_eq!(st, 200);
    assert_eq!(now["max_rows"], 1000);
    assert_eq!(now["max_age_days"], 30);
    // Null removes a bound.
    let (_, cleared) = put_retention(&alice, &secret, json!({"max_rows": null})).await;
    assert_eq!(cleared["max_rows"], Value::Null);
    assert_eq!(cleared["max_age_days"], Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_at_its_cap_refuses_work_and_serves_again_after_export_and_prune() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), "alice");
    let secret = s.register().await;
    let uid = uid_of(&s.ok(&secret, create_key("AES", 256, Some("k"), true)).await);
    let rows = get(&s, &secret, "/audit/retention").await.1["rows"]
        .as_u64()
        .unwrap();
    assert!(rows >= 1, "the Create is audited");
    let (st, _) = put_retention(&s, &secret, json!({"max_rows": rows + 2})).await;
    assert_eq!(st, 200);
    s.ok(&secret, encrypt(&uid)).await;
    s.ok(&secret, encrypt(&uid)).await;

    // At the cap: refused, naming the cap and what to run; no row is dropped or added.
    let (st, refused) = s.kmip(Some(&secret), &encrypt(&uid)).await;
    assert_eq!(st, 507, "{refused}");
    let text = refused.to_string();
    assert!(text.contains("its cap is"), "{text}");
    assert!(text.contains("ekms audit export"), "{text}");
    let trail = get(&s, &secret, "/audit?limit=100").await.1;
    assert_eq!(trail.as_array().unwrap().len() as u64, rows + 2, "{trail}");
    // Creating is refused too (its row would pass the cap), and leaves no key behind.
    let (st, _) = s
        .kmip(Some(&secret), &create_key("AES", 256, Some("k2"), true))
        .await;
    assert_eq!(st, 507);

    // Export (oldest first, shaped as /audit shapes them), then prune through the last row.
    let (st, page) = get(&s, &secret, "/audit/export?limit=2").await;
    assert_eq!(st, 200);
    let exported = page["rows"].as_array().unwrap().clone();
    assert_eq!(exported.len(), 2);
    assert_eq!(exported[0]["operation"], "Create");
    let newest_first = trail.as_array().unwrap();
    assert_eq!(&exported[0], newest_first.last().unwrap());
    let last = page["last"].as_i64().unwrap();
    let (st, pruned) = send(
        &s,
        reqwest::Method::POST,
        &secret,
        &format!("/audit/prune?through={last}"),
        None,
    )
    .await;
    assert_eq!(st, 200, "{pruned}");
    assert_eq!(pruned["pruned"], 2);
    assert_eq!(pruned["rows"], rows);
    // Serves again, and the rows left are the newest.
    s.ok(&secret, encrypt(&uid)).await;
    let (_, rest) = get(&s, &secret, &format!("/audit/export?after={last}")).await;
    assert_eq!(rest["rows"].as_array().unwrap().len() as u64, rows + 1);
    assert!(s.log().contains("audit rows pruned"), "the prune is logged");
}

#[tokio::test(flavor = "multi_thread")]
async fn rows_older_than_the_age_limit_are_pruned_by_the_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), "alice");
    let secret = s.register().await;
    let uid = uid_of(
        &s.ok(&secret, create_key("AES", 256, Some("old"), true))
            .await,
    );
    s.ok(&secret, encrypt(&uid)).await;
    // Days of 0: every row written before the sweep's second goes at the sweep (every 30 s).
    let (st, _) = put_retention(&s, &secret, json!({"max_age_days": 0})).await;
    assert_eq!(st, 200);
    let deadline = Instant::now() + Duration::from_secs(75);
    loop {
        let (_, now) = get(&s, &secret, "/audit/retention").await;
        if now["rows"] == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "not pruned: {now}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let log = s.log();
    assert!(
        log.contains("audit rows past the group's age limit pruned"),
        "{log}"
    );
    // The count is logged, never what the rows held.
    let line = log
        .lines()
        .find(|l| l.contains("age limit pruned"))
        .unwrap();
    assert!(
        line.contains("pruned=2") || line.contains("\"pruned\":2"),
        "{line}"
    );
    assert!(!line.contains(&uid) && !line.contains("Encrypt"), "{line}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_servers_limits_bound_a_group_that_set_nothing_and_cap_what_one_may_set() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_in(
        dir.path(),
        &[
            "--default-user",
            "alice",
            "--audit-retention-max-rows",
            "4",
            "--audit-retention-max-age-days",
            "30",
        ],
    );
    let secret = s.register().await;
    // The group set nothing: the server's bounds are the group's.
    let (st, now) = get(&s, &secret, "/audit/retention").await;
    assert_eq!(st, 200, "{now}");
    assert_eq!(now["max_rows"], 4, "{now}");
    assert_eq!(now["max_age_days"], 30, "{now}");
    // A larger bound is refused, naming the limit and the setting; a smaller one holds.
    let (st, refused) = put_retention(&s, &secret, json!({"max_rows": 5})).await;
    assert_eq!(st, 400, "{refused}");
    let text = refused.to_string();
    assert!(text.contains("--audit-retention-max-rows"), "{text}");
    let (st, refused) = put_retention(&s, &secret, json!({"max_age_days": 31})).await;
    assert_eq!(st, 400, "{refused}");
    assert!(
        refused
            .to_string()
            .contains("--audit-retention-max-age-days")
    );
    let (st, set) = put_retention(&s, &secret, json!({"max_age_days": 7})).await;
    assert_eq!(st, 200, "{set}");
    assert_eq!(
        (set["max_rows"].as_u64(), set["max_age_days"].as_u64()),
        (Some(4), Some(7))
    );

    // At the server's cap the group refuses work as at its own.
    let uid = uid_of(&s.ok(&secret, create_key("AES", 256, Some("k"), true)).await);
    let mut refused = None;
    for _ in 0..5 {
        let (st, body) = s.kmip(Some(&secret), &encrypt(&uid)).await;
        if st != 200 {
            refused = Some((st, body));
            break;
        }
    }
    let (st, body) = refused.expect("the fifth row passes the server's cap of 4");
    assert_eq!(st, 507, "{body}");
    assert!(body.to_string().contains("its cap is 4"), "{body}");
    let (_, now) = get(&s, &secret, "/audit/retention").await;
    assert_eq!(now["rows"], 4, "{now}");
}

/// A prune also deletes the names (object ids, users) only the pruned rows used: the rows left
/// read back with their names, and a pruned object used again is named again.
#[tokio::test(flavor = "multi_thread")]
async fn rows_left_after_a_prune_read_back_with_their_names() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), "alice");
    let secret = s.register().await;
    let mut uids = Vec::new();
    for i in 0..6 {
        let created = s
            .ok(
                &secret,
                create_key("AES", 256, Some(&format!("k{i}")), true),
            )
            .await;
        uids.push(uid_of(&created));
    }
    s.ok(&secret, encrypt(&uids[0])).await;
    s.ok(&secret, encrypt(&uids[5])).await;
    let (_, trail) = get(&s, &secret, "/audit?limit=100").await;
    let trail = trail.as_array().unwrap().clone();
    // The oldest four rows go: the Creates of k0..k3 (k1..k3 no row names any more).
    let (_, page) = get(&s, &secret, "/audit/export?limit=4").await;
    let oldest = page["rows"].as_array().unwrap();
    assert_eq!(oldest.len(), 4);
    assert_eq!(oldest[1]["object"], uids[1].as_str(), "{page}");
    let (st, pruned) = send(
        &s,
        reqwest::Method::POST,
        &secret,
        &format!("/audit/prune?through={}", page["last"]),
        None,
    )
    .await;
    assert_eq!(st, 200, "{pruned}");
    assert_eq!(pruned["pruned"], 4);
    let (_, left) = get(&s, &secret, "/audit?limit=100").await;
    assert_eq!(left.as_array().unwrap(), &trail[..trail.len() - 4]);
    // k1, whose every row went, is used again: its row names it, and the others are intact.
    s.ok(&secret, encrypt(&uids[1])).await;
    let (_, now) = get(&s, &secret, "/audit?limit=100").await;
    let now = now.as_array().unwrap();
    assert_eq!(now[0]["object"], uids[1].as_str(), "{:?}", now[0]);
    assert_eq!(now[0]["operation"], "Encrypt");
    assert_eq!(now[0]["user"], "alice");
    assert_eq!(&now[1..], &trail[..trail.len() - 4]);
}
