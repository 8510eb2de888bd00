//! The metrics port on the real binary: after a workload (register, named keys, encrypt,
//! locate, a stream, a quote), `GET /metrics` on `--metrics-listen` shows the expected series
//! with non-zero counts, and no value a tenant chose or was given (group id, secret, key ids,
//! names, plaintext) appears in it; the HTTPS port shows no metrics.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod operations_common;
mod support;

use operations_common::{locate, name, uids};
use serde_json::Value;
use support::*;

/// The value of the sample line `series` (name and labels exactly), if present.
fn sample(page: &str, series: &str) -> Option<f64> {
    page.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.split(' ').next()?.parse().ok())
}

fn nonzero(page: &str, series: &str) {
    let v = sample(page, series).unwrap_or_else(|| panic!("no `{series}` in:\n{page}"));
    assert!(v > 0.0, "`{series}` is {v}");
}

#[tokio::test]
async fn a_workload_shows_in_the_metrics_and_no_tenant_value_does() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &["--metrics-listen", "127.0.0.1:0"]);
    let metrics_url = printed(&s.log(), "metrics listening on ");
    assert!(
        metrics_url.starts_with("http://127.0.0.1:"),
        "{metrics_url}"
    );

    let (group_id, secret) = s.register_group().await;

    let names = ["payroll-key-7f3a", "tenant-secret-name-91c2"];
    let mut key_ids = Vec::new();
    for n in names {
        key_ids.push(uid_of(
            &s.ok(&secret, create_key("AES", 256, Some(n), true)).await,
        ));
    }
    let plaintext = b"metrics-plaintext-4d1e";
    s.ok(
        &secret,
        op(
            "Encrypt",
            vec![
                text("UniqueIdentifier", &key_ids[0]),
                bytes("Data", plaintext),
            ],
        ),
    )
    .await;
    let found = uids(&s.ok(&secret, locate(vec![name(names[1])], vec![])).await);
    assert_eq!(found, vec![key_ids[1].clone()]);
    // A failure too, for a result reason.
    let (status, _) = s
        .kmip(Some(&secret), &uid_op("Get", "no-such-key-e5b0"))
        .await;
    assert_ne!(status, 200);
    let streamed = s
        .http
        .post(format!("{}/v1/encrypt/{}", s.url, key_ids[1]))
        .header("KmsDatabaseSecret", &secret)
        .body(vec![7u8; 100_000])
        .send()
        .await
        .unwrap();
    assert_eq!(streamed.status(), 200);
    let sealed = streamed.bytes().await.unwrap();
    assert!(sealed.len() > 100_000);
    let quote = s.get("/quote?nonce=00112233").await;
    assert_eq!(quote.status(), 200);

    let plain_http = client_trusting(None);
    let r = plain_http
        .get(format!("{metrics_url}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("text"),
    );
    let page = r.text().await.unwrap();

    for series in [
        r#"ekms_http_requests_total{route="/register",status="2xx"}"#,
        r#"ekms_http_requests_total{route="/kmip/2_1",status="2xx"}"#,
        r#"ekms_http_requests_total{route="/v1/encrypt/{uid}",status="2xx"}"#,
        r#"ekms_http_request_duration_seconds_count{route="/kmip/2_1"}"#,
        r#"ekms_kmip_operations_total{operation="Create",result="Success"}"#,
        r#"ekms_kmip_operations_total{operation="Encrypt",result="Success"}"#,
        r#"ekms_kmip_operations_total{operation="Locate",result="Success"}"#,
        r#"ekms_kmip_operations_total{operation="Get",result="ObjectNotFound"}"#,
        r#"ekms_kmip_operation_duration_seconds_count{operation="Create"}"#,
        // At least the test client's pooled connection.
        r#"ekms_open_connections{listener="https"}"#,
        r#"ekms_group_cache_lookups_total{result="hit"}"#,
        "ekms_attestation_quote_duration_seconds_count",
        "ekms_store_commit_duration_seconds_count",
        "ekms_store_commit_transactions_count",
    ] {
        nonzero(&page, series);
    }
    let into = sample(
        &page,
        r#"ekms_stream_bytes_total{route="encrypt",direction="in"}"#,
    );
    assert_eq!(into, Some(100_000.0));
    let out = sample(
        &page,
        r#"ekms_stream_bytes_total{route="encrypt",direction="out"}"#,
    );
    assert_eq!(out, Some(sealed.len() as f64));
    let version: Value = s.get_json("/version").await;
    assert!(page.contains("ekms_build_info{"), "{page}");
    let measurement = version["measurement"].as_str().unwrap();
    assert!(
        page.lines()
            .any(|l| l.starts_with("ekms_enclave_info{") && l.contains(measurement)),
        "{page}"
    );

    let mut tenant: Vec<String> = vec![group_id.clone(), secret.clone()];
    tenant.extend(key_ids.iter().cloned());
    tenant.extend(names.iter().map(|n| n.to_string()));
    tenant.push(String::from_utf8_lossy(plaintext).into_owned());
    tenant.push("no-such-key-e5b0".into());
    for value in &tenant {
        assert!(
            !page.contains(value.as_str()),
            "`{value}` is in the metrics"
        );
    }
    // Nor a part of one: the group id without dashes, a key id's first block.
    assert!(!page.contains(&group_id.replace('-', "")));
    for id in &key_ids {
        let head = id.split('-').next().unwrap();
        assert!(head.len() < 8 || !page.contains(head), "{head}");
    }

    // The tenant-facing port shows nothing extra.
    assert_eq!(s.get("/metrics").await.status(), 404);
}

#[tokio::test]
async fn without_the_setting_there_is_no_metrics_port() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &[]);
    assert!(!s.log().contains("metrics listening on"), "{}", s.log());
    assert_eq!(s.get("/metrics").await.status(), 404);
}
