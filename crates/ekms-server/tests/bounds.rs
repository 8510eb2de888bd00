//! Bounded work per request, against the real server binary: every number a
//! client chooses that makes a request cost more (key derivation work, batch items, Locate's
//! answer, the audit page, random bytes, key sizes) has a limit, and a request over it is
//! refused at once with a message naming the limit, or answered within it.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/kmip.rs"]
mod kmip;
mod operations_common;
mod support;

use ekms_kmip::enums::{Operation, ResultReason};
use ekms_kmip::message::RequestBatchItem;
use ekms_kmip::{ProtocolVersion, Tag, ToTtlv, Ttlv};
use operations_common::*;
use serde_json::Value;
use std::time::{Duration, Instant};
use support::*;

async fn secret_data(s: &Server, secret: &str, value: &[u8]) -> String {
    uid_of(
        &s.ok(
            secret,
            register("SecretData", vec![mask(DERIVE)], seed_data(value)),
        )
        .await,
    )
}

/// A DeriveKey of a SecretData of `bytes` bytes.
fn derive(base: &str, method: &str, dp: Vec<Value>, bytes_out: i64) -> Value {
    op(
        "DeriveKey",
        vec![
            e("ObjectType", "SecretData"),
            text("UniqueIdentifier", base),
            e("DerivationMethod", method),
            st("DerivationParameters", dp),
            attributes(vec![i("CryptographicLength", bytes_out * 8)]),
        ],
    )
}

fn sha256() -> Value {
    params(vec![e("HashingAlgorithm", "SHA_256")])
}

fn pbkdf2(base: &str, iterations: i64, bytes_out: i64) -> Value {
    derive(
        base,
        "PBKDF2",
        vec![
            sha256(),
            bytes("Salt", b"salt"),
            i("IterationCount", iterations),
        ],
        bytes_out,
    )
}

/// Sends `body`, which must be refused with Server Limit Exceeded, quickly, and with a
/// message naming the setting and the numbers.
async fn over_limit(s: &Server, secret: &str, body: Value, names: &[&str]) {
    let started = Instant::now();
    let (status, v) = tokio::time::timeout(Duration::from_secs(20), s.kmip(Some(secret), &body))
        .await
        .unwrap_or_else(|_| panic!("{body} was not refused within 20 s: it ran"));
    assert_eq!(
        (status, v["error"].as_str()),
        (422, Some("ServerLimitExceeded")),
        "{body} -> {v}"
    );
    let message = v["message"].as_str().unwrap_or_default();
    for n in names {
        assert!(message.contains(n), "{message:?} should name {n:?}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "refused only after {:?}",
        started.elapsed()
    );
}

/// Amplified key derivation with the default settings: PBKDF2 whose iterations are allowed but whose
/// output pays them again for each of its blocks (a million iterations × 256 blocks of
/// SHA-256, about a minute of CPU) is refused at once; normal use passes.
#[tokio::test]
async fn pbkdf2_output_blocks_count_against_the_default_budget() {
    let (_tmp, s, secret) = server().await;
    let base = secret_data(&s, &secret, b"password").await;
    over_limit(
        &s,
        &secret,
        pbkdf2(&base, 1_000_000, 8192),
        &["--max-kdf-work", "256000000", "4000000"],
    )
    .await;
    // Iterations alone over the budget, one block.
    over_limit(
        &s,
        &secret,
        pbkdf2(&base, 5_000_000, 32),
        &["--max-kdf-work", "5000000"],
    )
    .await;
    // A usual password hashing: 100,000 iterations, a 256-bit key.
    s.ok(&secret, pbkdf2(&base, 100_000, 32)).await;
}

/// `--max-kdf-work` is a setting, and counts the PRF computations of every KDF: PBKDF2
/// (iterations × output blocks), HKDF (one per output block and one to extract), SP 800-108
/// counter mode (one per output block).
#[tokio::test]
async fn every_kdf_is_bounded_by_the_kdf_work_setting() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &["--max-kdf-work", "200"]);
    let secret = s.register().await;
    let base = secret_data(&s, &secret, b"password").await;
    s.ok(&secret, pbkdf2(&base, 200, 32)).await;
    over_limit(
        &s,
        &secret,
        pbkdf2(&base, 150, 64),
        &["--max-kdf-work", "300", "200"],
    )
    .await;
    let kbkdf = |n: i64| {
        derive(
            &base,
            "NIST800_108_C",
            vec![sha256(), bytes("DerivationData", b"label\0context")],
            n,
        )
    };
    s.ok(&secret, kbkdf(1024)).await;
    over_limit(&s, &secret, kbkdf(8192), &["--max-kdf-work", "256"]).await;
    let hkdf = |n: i64| {
        derive(
            &base,
            "HKDF",
            vec![sha256(), bytes("DerivationData", b"info")],
            n,
        )
    };
    s.ok(&secret, hkdf(64)).await;
    over_limit(&s, &secret, hkdf(8160), &["--max-kdf-work", "256"]).await;
}

/// A binary request message of `items` on `POST /kmip`; the response message.
async fn post_message(
    s: &Server,
    secret: &str,
    items: Vec<RequestBatchItem>,
) -> ekms_kmip::ResponseMessage {
    let m = kmip::request(ProtocolVersion::V2_1, Some(secret), items);
    let r = s
        .http
        .post(format!("{}/kmip", s.url))
        .header("content-type", "application/octet-stream")
        .body(ekms_kmip::binary::to_vec(&m.to_ttlv()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    kmip::decode_response(&r.bytes().await.unwrap())
}

fn rng(n: i32) -> RequestBatchItem {
    RequestBatchItem::new(
        Operation::RngRetrieve,
        vec![Ttlv::integer(Tag::DATA_LENGTH, n)],
    )
}

/// A message of more batch items than `--max-batch-items` runs none of them: it is answered
/// with one failed item, Server Limit Exceeded, naming the limit. At the limit, all run. The
/// default is 64.
#[tokio::test]
async fn batch_items_per_message_are_bounded() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &["--max-batch-items", "3"]);
    let secret = s.register().await;
    let r = post_message(&s, &secret, (0..3).map(|_| rng(16)).collect()).await;
    assert_eq!(r.items.len(), 3);
    for item in &r.items {
        kmip::ok_payload(item);
    }
    // One failed item answers the whole message: answering each of many items would make
    // the refusal larger than the request.
    let r = post_message(&s, &secret, (0..4).map(|_| rng(16)).collect()).await;
    assert_eq!(r.items.len(), 1);
    assert_eq!(
        kmip::failure_of(&r.items[0]),
        ResultReason::ServerLimitExceeded
    );
    let m = r.items[0].result_message.as_deref().unwrap_or_default();
    assert!(m.contains("--max-batch-items") && m.contains('4') && m.contains('3'));
    drop(s);

    let (_tmp, s, secret) = server().await;
    let r = post_message(&s, &secret, (0..64).map(|_| rng(16)).collect()).await;
    assert!(r.items.iter().all(|i| kmip::ok_payload(i).len() == 1));
    let r = post_message(&s, &secret, (0..5000).map(|_| rng(16)).collect()).await;
    assert_eq!(r.items.len(), 1);
    assert_eq!(
        kmip::failure_of(&r.items[0]),
        ResultReason::ServerLimitExceeded
    );
}

/// Locate answers at most `--max-locate-items` identifiers, whatever Maximum Items asks (or
/// when it asks nothing); Located Items still counts every match, so a client pages with
/// Offset Items.
#[tokio::test]
async fn locate_answers_at_most_max_locate_items() {
    let tmp = tempfile::tempdir().unwrap();
    // From the environment variable, as an operator may set it.
    let s = Server::start_with(tmp.path(), &[], &[("EKMS_MAX_LOCATE_ITEMS", "3")]);
    let secret = s.register().await;
    for n in 0..5 {
        s.ok(
            &secret,
            create_key("AES", 128, Some(&format!("k{n}")), false),
        )
        .await;
    }
    let located = |extra: Vec<Value>| {
        let s = &s;
        let secret = secret.clone();
        async move {
            let r = s.ok(&secret, locate(vec![], extra)).await;
            (uids(&r).len(), field(&r, "LocatedItems").as_i64())
        }
    };
    assert_eq!(located(vec![]).await, (3, Some(5)));
    assert_eq!(
        located(vec![i("MaximumItems", 1_000_000)]).await,
        (3, Some(5))
    );
    assert_eq!(located(vec![i("MaximumItems", 2)]).await, (2, Some(5)));
    assert_eq!(located(vec![i("OffsetItems", 3)]).await, (2, Some(5)));
}

/// `GET /audit` answers at most `--max-audit-rows` rows, whatever `limit` asks.
#[tokio::test]
async fn audit_pages_are_bounded() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &["--max-audit-rows", "4"]);
    let secret = s.register().await;
    for n in 0..6 {
        s.ok(
            &secret,
            create_key("AES", 128, Some(&format!("a{n}")), false),
        )
        .await;
    }
    for q in ["", "?limit=1000000", "?limit=5"] {
        let r = s
            .http
            .get(format!("{}/audit{q}", s.url))
            .header("KmsDatabaseSecret", &secret)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let rows: Value = r.json().await.unwrap();
        assert_eq!(rows.as_array().map(Vec::len), Some(4), "/audit{q}");
    }
    let r = s
        .http
        .get(format!("{}/audit?limit=2", s.url))
        .header("KmsDatabaseSecret", &secret)
        .send()
        .await
        .unwrap();
    let rows: Value = r.json().await.unwrap();
    assert_eq!(rows.as_array().map(Vec::len), Some(2));
}

/// Bounds that are constants: RNGRetrieve serves at most 1 MiB, CreateKeyPair makes RSA keys
/// of at most 4096 bits, symmetric keys have fixed or small lengths.
#[tokio::test]
async fn constant_bounds_hold() {
    let (_tmp, s, secret) = server().await;
    let rng = |n: i64| op("RNGRetrieve", vec![i("DataLength", n)]);
    s.ok(&secret, rng(1 << 20)).await;
    fails_with(&s, &secret, rng((1 << 20) + 1), "InvalidField").await;
    fails_with(
        &s,
        &secret,
        create_key_pair(
            vec![
                e("CryptographicAlgorithm", "RSA"),
                i("CryptographicLength", 16384),
            ],
            vec![mask(SIGN)],
            vec![mask(VERIFY)],
        ),
        "InvalidField",
    )
    .await;
    fails_with(
        &s,
        &secret,
        create("HMAC_SHA256", 1 << 20, vec![]),
        "InvalidField",
    )
    .await;
    fails_with(&s, &secret, create("AES", 1 << 20, vec![]), "InvalidField").await;
}

/// Locate compares every filter with every object of the group: at most 64 filters, a
/// documented constant; more is Server Limit Exceeded, naming the limit.
#[tokio::test]
async fn locate_filters_are_bounded() {
    let (_tmp, s, secret) = server().await;
    s.ok(&secret, create_key("AES", 128, Some("f0"), false))
        .await;
    let names = |n: usize| (0..n).map(|k| name(&format!("f{k}"))).collect::<Vec<_>>();
    let r = s.ok(&secret, locate(names(1), vec![])).await;
    assert_eq!(uids(&r).len(), 1);
    s.ok(&secret, locate(names(64), vec![])).await;
    over_limit(&s, &secret, locate(names(65), vec![]), &["65", "64"]).await;
}
