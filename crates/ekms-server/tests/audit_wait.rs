//! The answer of an operation whose only write is its audit row (a read answered from the
//! cache) waits for the commit of that row, awaited off the blocking threads: if the commit
//! fails, the request fails. The server is built with the `failpoints` feature in test builds;
//! `EKMS_FAILPOINT=audit-commit-fails` makes every commit of queued audit rows fail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_audit_commit_fails_the_read_that_queued_its_row() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start_with(tmp.path(), &[], &[("EKMS_FAILPOINT", "audit-commit-fails")]);
    let secret = server.register().await;
    // A Create takes the database connection: its audit row commits with it, unaffected.
    let uid = uid_of(&server.ok(&secret, create_key("AES", 256, None, true)).await);
    // The first Get may read the database (and fill the cache); the reads after it are
    // answered from the cache, their audit rows queued, and their commit fails.
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let (status, body) = server.kmip(Some(&secret), &uid_op("Get", &uid)).await;
        statuses.push(status);
        if status != 200 {
            let text = body.to_string();
            assert!(
                text.contains("see the server log"),
                "the failure says where to look: {text}"
            );
            assert!(
                !text.contains("KeyMaterial"),
                "no key goes out without its audit row: {text}"
            );
        }
    }
    assert_ne!(
        statuses.last(),
        Some(&200),
        "a Get of a cached key answered although its audit row was not written: {statuses:?}"
    );
    assert!(
        server.log().contains("audit-commit-fails"),
        "the server log names the failed commit"
    );
}

/// The series `ekms_kmip_operations_total{operation="<op>",...}`: each result and its count.
async fn operation_counts(metrics_url: &str, op: &str) -> Vec<(String, u64)> {
    let text = get_text(&client_trusting(None), &format!("{metrics_url}/metrics")).await;
    let prefix = format!("ekms_kmip_operations_total{{operation=\"{op}\",result=\"");
    text.lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .map(|rest| {
            let (result, count) = rest.split_once("\"} ").unwrap();
            (result.to_string(), count.trim().parse().unwrap())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operation_whose_audit_commit_fails_is_counted_as_failed() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        tmp.path(),
        &["--metrics-listen", "127.0.0.1:0"],
        &[("EKMS_FAILPOINT", "audit-commit-fails")],
    );
    let metrics_url = printed(&server.log(), "metrics listening on ");
    let secret = server.register().await;
    let uid = uid_of(&server.ok(&secret, create_key("AES", 256, None, true)).await);
    let mut answered = 0;
    let mut failed = 0;
    for _ in 0..4 {
        match server.kmip(Some(&secret), &uid_op("Get", &uid)).await.0 {
            200 => answered += 1,
            _ => failed += 1,
        }
    }
    assert!(
        failed > 0,
        "the reads of the cached key failed with their audit commits"
    );
    let counts = operation_counts(&metrics_url, "Get").await;
    let success = counts
        .iter()
        .find(|(r, _)| r == "Success")
        .map_or(0, |(_, n)| *n);
    let others: u64 = counts
        .iter()
        .filter(|(r, _)| r != "Success")
        .map(|(_, n)| n)
        .sum();
    assert_eq!(
        (success, others),
        (answered, failed),
        "the metrics count what the answers said: {counts:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_of_a_cached_key_answer_once_their_audit_rows_are_written() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start_in(tmp.path(), &[]);
    let secret = server.register().await;
    let uid = uid_of(&server.ok(&secret, create_key("AES", 256, None, true)).await);
    // Many concurrent reads of the cached key share commits; each answer is a success, and
    // the audit trail holds a row for each.
    let n = 64;
    let reads: Vec<_> = (0..n)
        .map(|_| {
            let (url, http, secret, uid) = (
                server.url.clone(),
                server.http.clone(),
                secret.clone(),
                uid.clone(),
            );
            tokio::spawn(async move {
                http.post(format!("{url}/kmip/2_1"))
                    .header("KmsDatabaseSecret", &secret)
                    .json(&uid_op("Get", &uid))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    for r in reads {
        assert_eq!(r.await.unwrap(), 200);
    }
    let (status, audit) = server
        .call(reqwest::Method::GET, "/audit?operation=Get", &secret)
        .await;
    assert_eq!(status, 200, "{audit}");
    let rows = audit.as_array().map_or(0, Vec::len);
    assert!(rows >= n, "{n} Gets answered, {rows} audit rows: {audit}");
}

/// The value of the series `ekms_kmip_worker_attempts_total{result="<result>"}`, 0 if absent.
async fn worker_attempts(metrics_url: &str, result: &str) -> u64 {
    let text = get_text(&client_trusting(None), &format!("{metrics_url}/metrics")).await;
    let series = format!("ekms_kmip_worker_attempts_total{{result=\"{result}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&series))
        .map_or(0, |v| v.trim().parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_of_a_cached_key_are_answered_on_the_async_worker() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start_in(tmp.path(), &["--metrics-listen", "127.0.0.1:0"]);
    let metrics_url = printed(&server.log(), "metrics listening on ");
    let secret = server.register().await;
    let uid = uid_of(&server.ok(&secret, create_key("AES", 256, None, true)).await);
    // A Create is never tried on the worker.
    assert_eq!(worker_attempts(&metrics_url, "answered").await, 0);
    // The first Gets after the Create read the database (the Create's write left the key out
    // of the cache): tried on the worker, they run again on the blocking pool, and fill the
    // cache.
    for _ in 0..3 {
        server.ok(&secret, uid_op("Get", &uid)).await;
    }
    let fell_back = worker_attempts(&metrics_url, "fell_back").await;
    let before = worker_attempts(&metrics_url, "answered").await;
    let n = 20;
    for _ in 0..n {
        server.ok(&secret, uid_op("Get", &uid)).await;
    }
    let answered = worker_attempts(&metrics_url, "answered").await - before;
    if skipped_on_postgres(
        "PostgreSQL reads the group's version from the database on every request",
    ) {
        assert_eq!(answered, 0);
        return;
    }
    assert!(fell_back >= 1, "the first Get needed the database");
    // A run refused on the worker is thrown away: each Get counts once, as a success.
    let text = get_text(&client_trusting(None), &format!("{metrics_url}/metrics")).await;
    let gets: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("ekms_kmip_operations_total{operation=\"Get\""))
        .collect();
    assert_eq!(
        gets,
        [format!(
            "ekms_kmip_operations_total{{operation=\"Get\",result=\"Success\"}} {}",
            3 + n
        )],
        "{text}"
    );
    assert_eq!(
        answered, n,
        "{n} Gets of a cached key, {answered} answered on the worker"
    );
    assert_eq!(
        worker_attempts(&metrics_url, "fell_back").await,
        fell_back,
        "no Get of the cached key needed the blocking pool"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_that_falls_back_to_the_blocking_pool_is_audited_once() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start_in(tmp.path(), &[]);
    let secret = server.register().await;
    let uid = uid_of(&server.ok(&secret, create_key("AES", 256, None, true)).await);
    // The first Encrypt after the Create needs the database: tried on the worker, refused
    // there, then run on the blocking pool. Only that run may leave a row.
    server
        .ok(
            &secret,
            serde_json::json!({"tag": "Encrypt", "type": "Structure", "value": [
                {"tag": "UniqueIdentifier", "type": "TextString", "value": uid},
                {"tag": "Data", "type": "ByteString", "value": "00112233"}
            ]}),
        )
        .await;
    let (status, audit) = server
        .call(reqwest::Method::GET, "/audit?operation=Encrypt", &secret)
        .await;
    assert_eq!(status, 200, "{audit}");
    let rows = audit.as_array().unwrap();
    assert_eq!(rows.len(), 1, "one Encrypt, one audit row: {audit}");
    assert_eq!(rows[0]["result"], "ok", "{audit}");
    assert!(
        !server.log().contains("audit row not written"),
        "the refused run is not an audit failure: {}",
        server.log()
    );
}

/// A Locate by name in the JSON answer: the Unique Identifiers it found, in order.
async fn located(server: &Server, secret: &str, name: &str) -> Vec<String> {
    let filter = json_attributes_name(name);
    let items = server.ok(secret, op("Locate", vec![filter])).await;
    items
        .iter()
        .filter(|i| i["tag"] == "UniqueIdentifier")
        .map(|i| i["value"].as_str().unwrap().to_string())
        .collect()
}

fn json_attributes_name(name: &str) -> serde_json::Value {
    serde_json::json!({"tag": "Attributes", "type": "Structure", "value": [
        {"tag": "Name", "type": "Structure", "value": [
            text("NameValue", name),
            {"tag": "NameType", "type": "Enumeration", "value": "UninterpretedTextString"}
        ]}
    ]})
}

/// A Locate of a few candidates is answered on the async worker, through the group's
/// read-only connection, and finds what was created before it; a Locate of more candidates
/// than that connection answers runs on the blocking pool. Each Locate is audited once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locate_of_few_candidates_is_answered_on_the_async_worker() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start_in(tmp.path(), &["--metrics-listen", "127.0.0.1:0"]);
    let metrics_url = printed(&server.log(), "metrics listening on ");
    let secret = server.register().await;
    let first = uid_of(
        &server
            .ok(&secret, create_key("AES", 256, Some("wanted"), true))
            .await,
    );
    let mut locates = 0;
    // The first finds the group's read-only connection closed: it runs on the blocking pool,
    // which opens it.
    assert_eq!(located(&server, &secret, "wanted").await, [first.as_str()]);
    locates += 1;
    let before = worker_attempts(&metrics_url, "answered").await;
    let n = 10;
    for _ in 0..n {
        assert_eq!(located(&server, &secret, "wanted").await, [first.as_str()]);
    }
    locates += n;
    let answered = worker_attempts(&metrics_url, "answered").await - before;
    let on_postgres = skipped_on_postgres(
        "PostgreSQL reads the group's version from the database on every request",
    );
    if on_postgres {
        assert_eq!(answered, 0);
    } else {
        assert_eq!(
            answered, n,
            "{n} Locates by name, {answered} answered on the worker"
        );
    }
    // A key made since is found at once, newest first.
    let second = uid_of(
        &server
            .ok(&secret, create_key("AES", 256, Some("wanted"), true))
            .await,
    );
    assert_eq!(located(&server, &secret, "wanted").await, [second, first]);
    locates += 1;
    // Many candidates: the blocking pool answers, whole.
    let many = 40;
    for _ in 0..many {
        server
            .ok(&secret, create_key("AES", 128, Some("many"), false))
            .await;
    }
    let fell_back = worker_attempts(&metrics_url, "fell_back").await;
    assert_eq!(located(&server, &secret, "many").await.len(), many);
    locates += 1;
    if !on_postgres {
        assert_eq!(
            worker_attempts(&metrics_url, "fell_back").await,
            fell_back + 1,
            "a Locate of {many} candidates ran on the blocking pool"
        );
    }
    // A Locate without a Name is not tried on the worker at all (the read-only connection
    // answers only by Name): neither answered nor fallen back there.
    let tried = (
        worker_attempts(&metrics_url, "answered").await,
        worker_attempts(&metrics_url, "fell_back").await,
    );
    let by_type = serde_json::json!({"tag": "Attributes", "type": "Structure", "value": [
        {"tag": "ObjectType", "type": "Enumeration", "value": "SymmetricKey"}
    ]});
    let items = server.ok(&secret, op("Locate", vec![by_type])).await;
    assert!(items.iter().any(|i| i["tag"] == "UniqueIdentifier"));
    locates += 1;
    if !on_postgres {
        let now = (
            worker_attempts(&metrics_url, "answered").await,
            worker_attempts(&metrics_url, "fell_back").await,
        );
        assert_eq!(now, tried, "a Locate by ObjectType was tried on the worker");
    }
    let (status, audit) = server
        .call(reqwest::Method::GET, "/audit?operation=Locate", &secret)
        .await;
    assert_eq!(status, 200, "{audit}");
    assert_eq!(
        audit.as_array().unwrap().len() as u64,
        locates,
        "one audit row per Locate: {audit}"
    );
}
