//! The group secret header's two spellings: `KmsDatabaseSecret` and `DatabaseSecret` (the name
//! Cosmian's `ckms` sends), read alike on the HTTPS routes and on `POST /kmip`; both sent with
//! different values is refused, saying so.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/kmip.rs"]
mod kmip;
mod support;

use ekms_kmip::ProtocolVersion;
use ekms_kmip::enums::{ResultReason, ResultStatus};
use kmip::*;
use support::*;

/// Sends `body` to `path` with the given method, content type and secret headers.
async fn send(
    s: &Server,
    method: reqwest::Method,
    path: &str,
    content_type: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> reqwest::Response {
    let mut req = s
        .http
        .request(method, format!("{}{path}", s.url))
        .header("content-type", content_type)
        .body(body);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.send().await.unwrap()
}

/// POSTs a KMIP 2.1 JSON operation with the given secret headers; returns (status, body).
async fn kmip_2_1(s: &Server, headers: &[(&str, &str)], body: &serde_json::Value) -> (u16, String) {
    let body = serde_json::to_vec(body).unwrap();
    let r = send(
        s,
        reqwest::Method::POST,
        "/kmip/2_1",
        "application/json",
        headers,
        body,
    )
    .await;
    (r.status().as_u16(), r.text().await.unwrap())
}

/// POSTs a binary Request Message without a credential to `/kmip` with the given headers.
async fn kmip_message(s: &Server, headers: &[(&str, &str)]) -> (u16, ekms_kmip::ResponseMessage) {
    let v = ProtocolVersion::V1_4;
    let m = request(v, None, vec![create_aes(v, 128, "alias")]);
    let body = ekms_kmip::binary::to_vec(&ekms_kmip::ToTtlv::to_ttlv(&m));
    let r = send(
        s,
        reqwest::Method::POST,
        "/kmip",
        "application/octet-stream",
        headers,
        body,
    )
    .await;
    let status = r.status().as_u16();
    (status, decode_response(&r.bytes().await.unwrap()))
}

/// A server with two groups; the temporary directory lives as long as the server is used.
async fn two_groups() -> (tempfile::TempDir, Server, String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &[]);
    let secret = s.register().await;
    let other = s.register().await;
    (tmp, s, secret, other)
}

#[tokio::test]
async fn both_spellings_open_the_group_and_differing_ones_are_refused() {
    let (_tmp, s, secret, other) = two_groups().await;
    let create = create_key("AES", 256, Some("k"), false);

    // The alias alone, the main name alone, and both with one value all work.
    for headers in [
        vec![("DatabaseSecret", secret.as_str())],
        vec![("KmsDatabaseSecret", secret.as_str())],
        vec![
            ("KmsDatabaseSecret", secret.as_str()),
            ("DatabaseSecret", secret.as_str()),
        ],
    ] {
        let (status, body) = kmip_2_1(&s, &headers, &create).await;
        assert_eq!(status, 200, "{headers:?}: {body}");
    }

    // A wrong secret under the alias is refused as under the main name.
    let (status, _) = kmip_2_1(&s, &[("DatabaseSecret", "bm90LWEtc2VjcmV0")], &create).await;
    assert_eq!(status, 401);

    // Two valid secrets that differ: neither is guessed.
    let (status, body) = kmip_2_1(
        &s,
        &[
            ("KmsDatabaseSecret", secret.as_str()),
            ("DatabaseSecret", other.as_str()),
        ],
        &create,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("conflicting_secret_headers"), "{body}");
    assert!(body.contains("differ"), "{body}");

    // A plain JSON route reads the alias too.
    let alias = [("DatabaseSecret", secret.as_str())];
    let r = send(
        &s,
        reqwest::Method::GET,
        "/access/owned",
        "application/json",
        &alias,
        vec![],
    )
    .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn post_kmip_reads_the_alias_before_the_message() {
    let (_tmp, s, secret, other) = two_groups().await;

    let (status, r) = kmip_message(&s, &[("DatabaseSecret", secret.as_str())]).await;
    assert_eq!(status, 200);
    assert_eq!(r.items[0].result_status, ResultStatus::Success);

    let (status, r) = kmip_message(&s, &[("DatabaseSecret", "bm90LWEtc2VjcmV0")]).await;
    assert_eq!(status, 401);
    assert_eq!(
        failure_of(&r.items[0]),
        ResultReason::AuthenticationNotSuccessful
    );

    let (status, r) = kmip_message(
        &s,
        &[
            ("KmsDatabaseSecret", secret.as_str()),
            ("DatabaseSecret", other.as_str()),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(failure_of(&r.items[0]), ResultReason::InvalidMessage);
    let message = r.items[0].result_message.clone().unwrap_or_default();
    assert!(message.contains("differ"), "{message}");
}

/// Cosmian's vendor fields, as `ckms` sends them in KMIP 2.1 JSON: accepted, never a failed
/// request (docs/kmip.md, "Cosmian's `ckms` and its vendor fields").
#[tokio::test]
async fn cosmian_vendor_fields_are_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &[]);
    let secret = s.register().await;
    let uid = uid_of(&s.ok(&secret, create_key("AES", 256, None, true)).await);
    let cascade = serde_json::json!({"tag": "Cascade", "type": "Boolean", "value": true});

    let revoke = op(
        "Revoke",
        vec![
            text("UniqueIdentifier", &uid),
            serde_json::json!({"tag": "RevocationReason", "type": "Structure", "value": [
                {"tag": "RevocationReasonCode", "type": "Enumeration", "value": "CessationOfOperation"}
            ]}),
            cascade.clone(),
        ],
    );
    s.ok(&secret, revoke).await;

    let destroy = op(
        "Destroy",
        vec![
            text("UniqueIdentifier", &uid),
            serde_json::json!({"tag": "Remove", "type": "Boolean", "value": true}),
            cascade,
            serde_json::json!({"tag": "ExpectedObjectType", "type": "Enumeration", "value": "SymmetricKey"}),
        ],
    );
    s.ok(&secret, destroy).await;

    // The object was destroyed (Remove is ignored: its attributes are kept).
    let attrs = s
        .ok(
            &secret,
            op(
                "GetAttributes",
                vec![
                    text("UniqueIdentifier", &uid),
                    serde_json::json!({"tag": "AttributeReference", "type": "Enumeration", "value": "State"}),
                ],
            ),
        )
        .await;
    assert!(
        serde_json::to_string(&attrs).unwrap().contains("Destroyed"),
        "{attrs:?}"
    );
}

/// `GET /version` answers ekms's object to ekms's client and Cosmian's one string to a request
/// in Cosmian's dialect (the `DatabaseSecret` header).
#[tokio::test]
async fn version_in_both_shapes() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &[]);
    let ours = s.get_json("/version").await;
    assert_eq!(ours["version"], env!("CARGO_PKG_VERSION"), "{ours}");
    assert!(ours["measurement"].is_string(), "{ours}");

    let alias = [("DatabaseSecret", "any")];
    let r = send(
        &s,
        reqwest::Method::GET,
        "/version",
        "application/json",
        &alias,
        vec![],
    )
    .await;
    assert_eq!(r.status(), 200);
    let theirs: serde_json::Value = r.json().await.unwrap();
    let text = theirs.as_str().expect("a JSON string");
    assert!(
        text.starts_with(&format!("ekms {} (", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
}
