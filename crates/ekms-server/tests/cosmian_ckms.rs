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

/// A server with `n` groups; the temporary directory lives as long as the server is used.
async fn with_groups(n: usize) -> (tempfile::TempDir, Server, Vec<String>) {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &[]);
    let mut secrets = Vec::new();
    for _ in 0..n {
        secrets.push(s.register().await);
    }
    (tmp, s, secrets)
}

/// GETs `path` with the given headers.
async fn get_with(s: &Server, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    send(
        s,
        reqwest::Method::GET,
        path,
        "application/json",
        headers,
        vec![],
    )
    .await
}

#[tokio::test]
async fn both_spellings_open_the_group_and_differing_ones_are_refused() {
    let (_tmp, s, secrets) = with_groups(2).await;
    let (secret, other) = (secrets[0].clone(), secrets[1].clone());
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
    let r = get_with(&s, "/access/owned", &alias).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn post_kmip_reads_the_alias_before_the_message() {
    let (_tmp, s, secrets) = with_groups(2).await;
    let (secret, other) = (secrets[0].clone(), secrets[1].clone());

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
    let (_tmp, s, secrets) = with_groups(1).await;
    let secret = secrets[0].clone();
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
    let (_tmp, s, _) = with_groups(0).await;
    let ours = s.get_json("/version").await;
    assert_eq!(ours["version"], env!("CARGO_PKG_VERSION"), "{ours}");
    assert!(ours["measurement"].is_string(), "{ours}");

    let alias = [("DatabaseSecret", "any")];
    let r = get_with(&s, "/version", &alias).await;
    assert_eq!(r.status(), 200);
    let theirs: serde_json::Value = r.json().await.unwrap();
    let text = theirs.as_str().expect("a JSON string");
    assert!(
        text.starts_with(&format!("ekms {} (", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
}

/// The first item tagged `tag` anywhere under `v`.
fn find<'a>(v: &'a serde_json::Value, tag: &str) -> Option<&'a serde_json::Value> {
    if v["tag"] == tag {
        return Some(v);
    }
    match v {
        serde_json::Value::Array(items) => items.iter().find_map(|i| find(i, tag)),
        serde_json::Value::Object(_) => find(&v["value"], tag),
        _ => None,
    }
}

/// Create of Secret Data, as `ckms secret-data create` sends it: random bytes the server draws,
/// Secret Data Type Seed, in an Opaque key block; Cryptographic Length chooses their length.
#[tokio::test]
async fn create_makes_secret_data() {
    let (_tmp, s, secrets) = with_groups(1).await;
    let secret = secrets[0].clone();
    let create = |length: Option<i32>| {
        let mut attrs = vec![
            serde_json::json!({"tag": "CryptographicUsageMask", "type": "Integer", "value": 0x0010_0000 | 0x0800 | 0x0200}),
            serde_json::json!({"tag": "KeyFormatType", "type": "Enumeration", "value": "Raw"}),
            serde_json::json!({"tag": "ObjectType", "type": "Enumeration", "value": "SecretData"}),
        ];
        if let Some(bits) = length {
            attrs.push(
                serde_json::json!({"tag": "CryptographicLength", "type": "Integer", "value": bits}),
            );
        }
        op(
            "Create",
            vec![
                serde_json::json!({"tag": "ObjectType", "type": "Enumeration", "value": "SecretData"}),
                serde_json::json!({"tag": "Attributes", "type": "Structure", "value": attrs}),
            ],
        )
    };
    let material = |items: Vec<serde_json::Value>| {
        let all = serde_json::Value::Array(items);
        assert_eq!(
            find(&all, "SecretDataType").unwrap()["value"],
            "Seed",
            "{all}"
        );
        assert_eq!(
            find(&all, "KeyFormatType").unwrap()["value"],
            "Opaque",
            "{all}"
        );
        hex::decode(
            find(&all, "KeyMaterial").unwrap()["value"]
                .as_str()
                .unwrap(),
        )
        .unwrap()
    };

    let first = s.ok(&secret, create(None)).await;
    assert_eq!(field(&first, "ObjectType"), "SecretData");
    let a = material(s.ok(&secret, uid_op("Get", &uid_of(&first))).await);
    assert_eq!(a.len(), 32, "256 bits by default");
    let second = uid_of(&s.ok(&secret, create(None)).await);
    let b = material(s.ok(&secret, uid_op("Get", &second)).await);
    assert_ne!(a, b, "each Create draws its own bytes");

    let short = uid_of(&s.ok(&secret, create(Some(128))).await);
    assert_eq!(
        material(s.ok(&secret, uid_op("Get", &short)).await).len(),
        16
    );

    let (status, body) = s.kmip(Some(&secret), &create(Some(100))).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("InvalidField"), "{body}");
    assert!(body.to_string().contains("whole bytes"), "{body}");
}

/// Cosmian's clients name many enumeration values their own way (`SHA256` for KMIP's
/// `SHA_256`) and refuse KMIP's names, but read every enumeration by value: a request in their
/// dialect (the `DatabaseSecret` header) gets enumerations as `"0x…"`, any other request KMIP's
/// names, both for the same object.
#[tokio::test]
async fn cosmian_dialect_gets_enumerations_by_value() {
    let (_tmp, s, secrets) = with_groups(1).await;
    let secret = secrets[0].clone();
    let uid = uid_of(&s.ok(&secret, create_key("AES", 256, None, false)).await);
    let digest = op(
        "GetAttributes",
        vec![
            text("UniqueIdentifier", &uid),
            serde_json::json!({"tag": "AttributeReference", "type": "Enumeration", "value": "Digest"}),
            serde_json::json!({"tag": "AttributeReference", "type": "Enumeration", "value": "CryptographicAlgorithm"}),
        ],
    );
    let hashing = |body: &str| {
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        let alg = find(&v, "CryptographicAlgorithm").unwrap()["value"].clone();
        (find(&v, "HashingAlgorithm").unwrap()["value"].clone(), alg)
    };

    let (status, body) = kmip_2_1(&s, &[("KmsDatabaseSecret", secret.as_str())], &digest).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(hashing(&body), ("SHA_256".into(), "AES".into()), "{body}");

    let (status, body) = kmip_2_1(&s, &[("DatabaseSecret", secret.as_str())], &digest).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        hashing(&body),
        ("0x00000006".into(), "0x00000003".into()),
        "{body}"
    );
}

/// An active EC P-256 key pair; returns (private, public) identifiers.
async fn key_pair(s: &Server, secret: &str) -> (String, String) {
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let common = serde_json::json!({"tag": "CommonAttributes", "type": "Structure", "value": [
        {"tag": "CryptographicAlgorithm", "type": "Enumeration", "value": "EC"},
        {"tag": "CryptographicDomainParameters", "type": "Structure", "value": [
            {"tag": "RecommendedCurve", "type": "Enumeration", "value": "P_256"}
        ]},
        {"tag": "ActivationDate", "type": "DateTime", "value": now},
    ]});
    let r = s.ok(secret, op("CreateKeyPair", vec![common])).await;
    let id = |tag| field(&r, tag).as_str().unwrap().to_string();
    (
        id("PrivateKeyUniqueIdentifier"),
        id("PublicKeyUniqueIdentifier"),
    )
}

/// The State of `uid`, by name.
async fn state_of(s: &Server, secret: &str, uid: &str) -> String {
    let r = s
        .ok(
            secret,
            op(
                "GetAttributes",
                vec![
                    text("UniqueIdentifier", uid),
                    serde_json::json!({"tag": "AttributeReference", "type": "Enumeration", "value": "State"}),
                ],
            ),
        )
        .await;
    let all = serde_json::Value::Array(r);
    find(&all, "State").unwrap()["value"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Operation `name` with `fields`, and a Cascade field when `cascade` is given.
fn with_cascade(
    name: &str,
    mut fields: Vec<serde_json::Value>,
    cascade: Option<bool>,
) -> serde_json::Value {
    if let Some(c) = cascade {
        fields.push(serde_json::json!({"tag": "Cascade", "type": "Boolean", "value": c}));
    }
    op(name, fields)
}

fn revoke(uid: &str, cascade: Option<bool>) -> serde_json::Value {
    let reason = serde_json::json!({"tag": "RevocationReason", "type": "Structure", "value": [
        {"tag": "RevocationReasonCode", "type": "Enumeration", "value": "CessationOfOperation"}
    ]});
    with_cascade(
        "Revoke",
        vec![text("UniqueIdentifier", uid), reason],
        cascade,
    )
}

fn destroy(uid: &str, cascade: Option<bool>) -> serde_json::Value {
    with_cascade("Destroy", vec![text("UniqueIdentifier", uid)], cascade)
}

/// Sends each request; after each, the states of `pair` (private, public) must be the step's.
async fn run_steps<const N: usize>(
    s: &Server,
    secret: &str,
    pair: [&String; 2],
    steps: [(serde_json::Value, [&str; 2]); N],
) {
    for (request, states) in steps {
        s.ok(secret, request).await;
        for (uid, state) in pair.into_iter().zip(states) {
            assert_eq!(state_of(s, secret, uid).await, state, "{uid}");
        }
    }
}

/// Cascade (Cosmian's vendor field) on Revoke and Destroy: the other half of the key pair makes
/// the same move; without it, or false, only the named object does. A linked key already past
/// the move is left as it is.
#[tokio::test]
async fn cascade_revokes_and_destroys_the_other_half_of_a_pair() {
    let (_tmp, s, secrets) = with_groups(1).await;
    let secret = secrets[0].clone();

    // From the private key: both halves revoked, then both destroyed.
    let (private, public) = key_pair(&s, &secret).await;
    let steps = [
        (revoke(&private, Some(true)), ["Deactivated", "Deactivated"]),
        (destroy(&private, Some(true)), ["Destroyed", "Destroyed"]),
    ];
    run_steps(&s, &secret, [&private, &public], steps).await;
    // From the public key, without Cascade (absent, then false), only the named key moves; the
    // public key destroyed already, revoking the private key with Cascade still works.
    let (private, public) = key_pair(&s, &secret).await;
    let steps = [
        (revoke(&public, None), ["Active", "Deactivated"]),
        (destroy(&public, Some(false)), ["Active", "Destroyed"]),
        (revoke(&private, Some(true)), ["Deactivated", "Destroyed"]),
    ];
    run_steps(&s, &secret, [&private, &public], steps).await;

    // A symmetric key has no other half: Cascade changes nothing else.
    let (other_private, _) = key_pair(&s, &secret).await;
    let key = uid_of(&s.ok(&secret, create_key("AES", 256, None, true)).await);
    s.ok(&secret, revoke(&key, Some(true))).await;
    assert_eq!(state_of(&s, &secret, &other_private).await, "Active");
}

/// `GET /access/owned`: identifiers for ekms's client, Cosmian's per-object shape (identifier,
/// state, attributes; enumerations by value) for a request in Cosmian's dialect.
#[tokio::test]
async fn owned_objects_in_both_shapes() {
    let (_tmp, s, secrets) = with_groups(1).await;
    let secret = secrets[0].clone();
    let key = uid_of(&s.ok(&secret, create_key("AES", 128, None, true)).await);

    let ours: serde_json::Value = get_with(&s, "/access/owned", &[("KmsDatabaseSecret", &secret)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ours, serde_json::json!([key]));

    let r = get_with(&s, "/access/owned", &[("DatabaseSecret", &secret)]).await;
    assert_eq!(r.status(), 200);
    let theirs: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        theirs,
        serde_json::json!([{
            "object_id": key,
            "state": 2,
            "attributes": {"ObjectType": 2, "CryptographicAlgorithm": 3, "CryptographicLength": 128},
        }])
    );
}
