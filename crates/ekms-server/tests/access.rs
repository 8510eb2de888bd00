//! Rights inside a group, over HTTPS: two users of one group (the server restarted with
//! `--default-user` alice, then bob, on the same data directory), grants, Locate, audit.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod jwt_support;
mod support;

use serde_json::{Value, json};
use support::*;

fn start(root: &std::path::Path, user: &str) -> Server {
    Server::start_in(root, &["--default-user", user])
}

async fn post(s: &Server, secret: &str, path: &str, body: Value) -> u16 {
    s.http
        .post(format!("{}{path}", s.url))
        .header("KmsDatabaseSecret", secret)
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn get_json(s: &Server, secret: &str, path: &str) -> (u16, Value) {
    let r = s
        .http
        .get(format!("{}{path}", s.url))
        .header("KmsDatabaseSecret", secret)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn grant_body(uid: &str, user: &str, ops: &[&str]) -> Value {
    json!({"unique_identifier": uid, "user_id": user, "operations": ops})
}

async fn located(s: &Server, secret: &str) -> Vec<String> {
    let items = s.ok(secret, op("Locate", vec![])).await;
    items
        .iter()
        .filter(|v| v["tag"] == "UniqueIdentifier")
        .filter_map(|v| v["value"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn owner_grant_revoke_star_locate_and_audit() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();

    let mut alice = start(root, "alice");
    let secret = alice.register().await;
    let uid = uid_of(
        &alice
            .ok(&secret, create_key("AES", 256, Some("k"), true))
            .await,
    );
    alice.ok(&secret, uid_op("Get", &uid)).await;
    alice.kill();

    let mut bob = start(root, "bob");
    assert_eq!(bob.kmip(Some(&secret), &uid_op("Get", &uid)).await.0, 403);
    assert!(located(&bob, &secret).await.is_empty());
    // Bob may not grant himself rights on alice's key.
    let g = grant_body(&uid, "bob", &["get"]);
    assert_eq!(post(&bob, &secret, "/access/grant", g.clone()).await, 403);
    bob.kill();

    let mut alice = start(root, "alice");
    assert_eq!(
        post(
            &alice,
            &secret,
            "/access/grant",
            grant_body(&uid, "bob", &["launch"])
        )
        .await,
        400
    );
    assert_eq!(post(&alice, &secret, "/access/grant", g.clone()).await, 200);
    let (st, list) = get_json(&alice, &secret, &format!("/access/{uid}")).await;
    assert_eq!(st, 200);
    assert_eq!(list["grants"][0]["user"], "bob");
    alice.kill();

    let mut bob = start(root, "bob");
    bob.ok(&secret, uid_op("Get", &uid)).await;
    assert_eq!(located(&bob, &secret).await, vec![uid.clone()]);
    assert_eq!(
        bob.kmip(Some(&secret), &uid_op("GetAttributes", &uid))
            .await
            .0,
        403
    );
    assert_eq!(
        bob.kmip(Some(&secret), &uid_op("Destroy", &uid)).await.0,
        403
    );
    let g2 = grant_body(&uid, "carol", &["get"]);
    assert_eq!(post(&bob, &secret, "/access/grant", g2).await, 403);
    let (_, obtained) = get_json(&bob, &secret, "/access/obtained").await;
    assert!(
        obtained
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["uid"] == uid.as_str())
    );
    bob.kill();

    let mut alice = start(root, "alice");
    assert_eq!(post(&alice, &secret, "/access/revoke", g).await, 200);
    let star = grant_body(&uid, "*", &["get_attributes"]);
    assert_eq!(post(&alice, &secret, "/access/grant", star).await, 200);
    let (_, owned) = get_json(&alice, &secret, "/access/owned").await;
    assert_eq!(owned, json!([uid]));
    alice.kill();

    let mut bob = start(root, "bob");
    assert_eq!(bob.kmip(Some(&secret), &uid_op("Get", &uid)).await.0, 403);
    bob.kill();
    let mut carol = start(root, "carol");
    carol.ok(&secret, uid_op("GetAttributes", &uid)).await;
    assert_eq!(carol.kmip(Some(&secret), &uid_op("Get", &uid)).await.0, 403);

    // carol is not the administrator: alice registered the group.
    assert_eq!(get_json(&carol, &secret, "/audit").await.0, 403);
    carol.kill();
    let mut carol = start(root, "alice");
    let (st, rows) = get_json(&carol, &secret, &format!("/audit?object={uid}&limit=100")).await;
    assert_eq!(st, 200);
    let mut seen: Vec<(String, String, String)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["user"].as_str().unwrap_or("").to_string(),
                r["operation"].as_str().unwrap_or("").to_string(),
                r["result"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    seen.reverse();
    let t = |u: &str, o: &str, r: &str| (u.to_string(), o.to_string(), r.to_string());
    let expected = vec![
        t("alice", "Create", "ok"),
        t("alice", "Get", "ok"),
        t("bob", "Get", "PermissionDenied"),
        t("bob", "Grant", "PermissionDenied"),
        t("alice", "Grant", "ok"),
        t("bob", "Get", "ok"),
        t("bob", "Locate", "ok"),
        t("bob", "GetAttributes", "PermissionDenied"),
        t("bob", "Destroy", "PermissionDenied"),
        t("bob", "Grant", "PermissionDenied"),
        t("alice", "RevokeAccess", "ok"),
        t("alice", "Grant", "ok"),
        t("bob", "Get", "PermissionDenied"),
        t("carol", "GetAttributes", "ok"),
        t("carol", "Get", "PermissionDenied"),
    ];
    assert_eq!(seen, expected, "{rows}");
    let text = rows.to_string();
    assert!(!text.contains(&secret));
    carol.kill();

    // A user of another group with the same name sees nothing of this one.
    let mut bob2 = start(root, "bob");
    let other = bob2.register().await;
    assert!(located(&bob2, &other).await.is_empty());
    assert_eq!(bob2.kmip(Some(&other), &uid_op("Get", &uid)).await.0, 404);
    bob2.kill();
}

/// A decrypt-only grant: bob, granted only `decrypt`, decrypts alice's
/// data (through KMIP and the stream route) but can neither encrypt, destroy nor grant.
#[tokio::test(flavor = "multi_thread")]
async fn a_decrypt_grant_allows_decrypt_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let alice = start(root, "alice");
    let secret = alice.register().await;
    let uid = uid_of(&alice.ok(&secret, create_key("AES", 256, None, true)).await);
    let enc = alice
        .ok(
            &secret,
            op(
                "Encrypt",
                vec![text("UniqueIdentifier", &uid), bytes("Data", b"for bob")],
            ),
        )
        .await;
    let decrypt = op(
        "Decrypt",
        vec![
            text("UniqueIdentifier", &uid),
            json!({"tag": "Data", "type": "ByteString", "value": field(&enc, "Data")}),
            json!({"tag": "IVCounterNonce", "type": "ByteString", "value": field(&enc, "IVCounterNonce")}),
            json!({"tag": "AuthenticatedEncryptionTag", "type": "ByteString", "value": field(&enc, "AuthenticatedEncryptionTag")}),
        ],
    );
    let stream = alice
        .http
        .post(format!("{}/v1/encrypt/{uid}", alice.url))
        .header("KmsDatabaseSecret", &secret)
        .body(b"streamed for bob".to_vec())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
    assert_eq!(
        post(
            &alice,
            &secret,
            "/access/grant",
            grant_body(&uid, "bob", &["decrypt"])
        )
        .await,
        200
    );
    drop(alice);

    let bob = start(root, "bob");
    let back = bob.ok(&secret, decrypt.clone()).await;
    assert_eq!(
        hex::decode(field(&back, "Data").as_str().unwrap()).unwrap(),
        b"for bob"
    );
    let r = bob
        .http
        .post(format!("{}/v1/decrypt/{uid}", bob.url))
        .header("KmsDatabaseSecret", &secret)
        .body(stream)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().to_vec(), b"streamed for bob");
    for refused in [
        op(
            "Encrypt",
            vec![text("UniqueIdentifier", &uid), bytes("Data", b"x")],
        ),
        uid_op("Destroy", &uid),
        uid_op("Get", &uid),
    ] {
        let (status, v) = bob.kmip(Some(&secret), &refused).await;
        assert_eq!(
            (status, v["error"].as_str()),
            (403, Some("PermissionDenied")),
            "{refused}"
        );
    }
    let r = bob
        .http
        .post(format!("{}/v1/encrypt/{uid}", bob.url))
        .header("KmsDatabaseSecret", &secret)
        .body(b"x".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        post(
            &bob,
            &secret,
            "/access/grant",
            grant_body(&uid, "carol", &["decrypt"])
        )
        .await,
        403,
        "a grantee cannot grant on"
    );
}

/// Every right of docs/access.md, object rights then group rights.
const RIGHTS: [&str; 18] = [
    "get",
    "export",
    "encrypt",
    "decrypt",
    "sign",
    "verify",
    "mac",
    "mac_verify",
    "wrap",
    "unwrap",
    "rekey",
    "activate",
    "revoke",
    "destroy",
    "get_attributes",
    "set_attributes",
    "create",
    "audit",
];

/// Locate filters, it does not refuse: a user holding a single right (each right in turn) on
/// one of alice's keys finds that key and no other, with or without filters, and a filter that
/// matches nothing answers an empty list, never PermissionDenied. A user holding only a group
/// right (`create`, `audit`) finds nothing. Through `/kmip/2_1` with JWT users.
#[tokio::test(flavor = "multi_thread")]
async fn locate_with_any_single_right_finds_that_object_and_no_other() {
    use jwt_support::{Idp, kmip as kmip_as};
    let dir = tempfile::tempdir().unwrap();
    let idp = Idp::new(dir.path(), "k1");
    let flags = idp.flags();
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let s = Server::start_in(dir.path(), &flags);
    let alice = idp.token("alice@example.com");
    let (status, body, _) = jwt_support::register(&s.http, &s.url, Some(&alice)).await;
    assert_eq!(status, 201, "{body}");
    let secret = body["secret"].as_str().unwrap().to_string();
    let as_user = |token: String, body: Value| {
        let s = &s;
        let secret = secret.clone();
        async move { kmip_as(&s.http, &s.url, Some(&token), &secret, &body).await }
    };
    let uids_of = |v: &Value| -> Vec<String> {
        v["value"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|i| i["tag"] == "UniqueIdentifier")
            .filter_map(|i| i["value"].as_str().map(str::to_string))
            .collect()
    };
    // One key per right, each named after its right, and one key nobody is granted.
    let mut keys = Vec::new();
    for right in RIGHTS.iter().chain(["nobody"].iter()) {
        let (st, v) = as_user(
            alice.clone(),
            create_key("AES", 256, Some(&format!("key-{right}")), true),
        )
        .await;
        assert_eq!(st, 200, "{v}");
        keys.push(uids_of(&v).remove(0));
    }
    for (i, right) in RIGHTS.iter().enumerate() {
        let user = format!("{right}@example.com");
        let group = matches!(*right, "create" | "audit");
        let uid = if group { "*" } else { keys[i].as_str() };
        let grant = s
            .http
            .post(format!("{}/access/grant", s.url))
            .bearer_auth(&alice)
            .header("KmsDatabaseSecret", &secret)
            .json(&json!({"unique_identifier": uid, "user_id": user, "operations": [right]}))
            .send()
            .await
            .unwrap();
        assert_eq!(grant.status(), 200, "grant {right}");
        let token = idp.token(&user);
        let expected: Vec<String> = if group { vec![] } else { vec![keys[i].clone()] };
        let name = |n: &str| {
            json!({"tag": "Attributes", "type": "Structure", "value": [
                {"tag": "Name", "type": "Structure", "value": [
                    {"tag": "NameValue", "type": "TextString", "value": n},
                    {"tag": "NameType", "type": "Enumeration", "value": "UninterpretedTextString"}
                ]}
            ]})
        };
        for (filters, want) in [
            (vec![], expected.clone()),
            (vec![name("nothing-matches")], vec![]),
            (vec![name(&format!("key-{right}"))], expected.clone()),
            (vec![name("key-nobody")], vec![]),
            (
                vec![json!({"tag": "Attributes", "type": "Structure", "value": [
                    {"tag": "ObjectType", "type": "Enumeration", "value": "SymmetricKey"}
                ]})],
                expected.clone(),
            ),
        ] {
            let (st, v) = as_user(token.clone(), op("Locate", filters.clone())).await;
            assert_eq!(st, 200, "{right}: Locate {filters:?} -> {v}");
            assert_eq!(uids_of(&v), want, "{right}: Locate {filters:?}");
        }
    }
}
