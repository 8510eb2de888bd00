//! Several nodes on one PostgreSQL database (`--database`): two real `ekms-server` processes,
//! each with its own TLS key, serve the same groups, and what one node answered holds on the
//! other at once. Without PostgreSQL installed the tests skip (one line), unless `CI` is set.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::{Value, json};
use support::nodes::{encrypt, node, revoke, two_nodes};
use support::{Server, create_key, uid_of, uid_op};

/// `POST <path>` with the group secret; (status, body).
async fn post(s: &Server, path: &str, secret: &str) -> (u16, Value) {
    s.call(reqwest::Method::POST, path, secret).await
}

#[tokio::test]
async fn what_one_node_answered_holds_on_the_other() {
    // Registered on A.
    let Some((a, b, secret, _dirs)) = two_nodes().await else {
        return;
    };
    assert_ne!(
        a.cert_sha256, b.cert_sha256,
        "each node has its own TLS key"
    );
    // Create on A, encrypt on B.
    let uid = uid_of(
        &a.ok(&secret, create_key("AES", 256, Some("k1"), true))
            .await,
    );
    b.ok(&secret, encrypt(&uid)).await;
    // Revoke on A: the encryption on B is refused at once.
    a.ok(&secret, revoke(&uid)).await;
    let (status, body) = b.kmip(Some(&secret), &encrypt(&uid)).await;
    assert_ne!(status, 200, "a key revoked on A encrypts on B: {body}");
    assert!(
        body.to_string().contains("WrongKeyLifecycleState"),
        "{body}"
    );
    // A key created on B after that is at once usable on A.
    let other = uid_of(&b.ok(&secret, create_key("AES", 128, None, true)).await);
    a.ok(&secret, encrypt(&other)).await;
    a.ok(&secret, uid_op("Get", &other)).await;
    // Rotation on B, confirmed on B: the old secret is refused on A, the new one works there.
    let (status, body) = post(&b, "/group/rotate-secret", &secret).await;
    assert_eq!(status, 200, "{body}");
    let fresh = body["secret"].as_str().unwrap().to_string();
    // Both secrets open the group until the new one is confirmed, on either node.
    a.ok(&secret, uid_op("Get", &other)).await;
    a.ok(&fresh, uid_op("Get", &other)).await;
    let (status, body) = post(&b, "/group/rotate-secret/confirm", &fresh).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = a.kmip(Some(&secret), &uid_op("Get", &other)).await;
    assert_eq!(status, 401, "the old secret still opens the group on A");
    a.ok(&fresh, encrypt(&other)).await;
    // The rows were not re-encrypted: rotating re-wrapped the data key only, and the key
    // created before it is still there.
    a.ok(&fresh, uid_op("Get", &uid)).await;
    // Deleted on A: refused on B.
    let (status, body) = a.call(reqwest::Method::DELETE, "/group", &fresh).await;
    assert!((200..300).contains(&status), "{status} {body}");
    let (status, _) = b.kmip(Some(&fresh), &uid_op("Get", &other)).await;
    assert_eq!(status, 401, "a group deleted on A still opens on B");
}

/// A token for group `id` with the key `key` (hex).
fn token(id: &str, key: &str) -> String {
    use base64::Engine;
    let json = format!("{{\"group_id\":\"{id}\",\"key\":\"{key}\"}}");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

#[tokio::test]
async fn an_unknown_group_and_a_wrong_secret_are_one_refusal_on_every_node() {
    let Some((a, b, secret, _dirs)) = two_nodes().await else {
        return;
    };
    let uid = uid_of(&a.ok(&secret, create_key("AES", 256, None, true)).await);
    let raw =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &secret).unwrap();
    let id = serde_json::from_slice::<Value>(&raw).unwrap()["group_id"]
        .as_str()
        .unwrap()
        .to_string();
    let wrong_key = "5a".repeat(32);
    let mut answers = Vec::new();
    for node in [&a, &b] {
        for bad in [
            token(&id, &wrong_key),
            token("0b5c9f2e-8d1a-4c3b-9e7f-6a5d4c3b2a19", &wrong_key),
        ] {
            answers.push(node.kmip(Some(&bad), &uid_op("Get", &uid)).await);
        }
    }
    assert_eq!(answers[0].0, 401, "{:?}", answers[0].1);
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
}

#[tokio::test]
async fn concurrent_writes_on_both_nodes_all_succeed() {
    // Each Revoke reads its key then writes it: when another node or request wrote the group
    // meanwhile, the store refuses the write (nothing written) and the server runs it again.
    let Some((a, b, secret, _dirs)) = two_nodes().await else {
        return;
    };
    let mut uids = Vec::new();
    for _ in 0..12 {
        uids.push(uid_of(
            &a.ok(&secret, create_key("AES", 128, None, true)).await,
        ));
    }
    let answers = futures_util::future::join_all(uids.iter().enumerate().map(|(i, uid)| {
        let node = if i % 2 == 0 { &a } else { &b };
        let body = revoke(uid);
        let secret = secret.clone();
        async move { node.kmip(Some(&secret), &body).await }
    }))
    .await;
    for (status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
    }
    for (i, uid) in uids.iter().enumerate() {
        let node = if i % 2 == 0 { &b } else { &a };
        let (status, _) = node.kmip(Some(&secret), &encrypt(uid)).await;
        assert_ne!(status, 200, "{uid} was revoked");
    }
}

#[tokio::test]
async fn a_grant_on_one_node_holds_on_the_other_at_once() {
    let Some(cluster) = ekms_testkit::postgres::cluster() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let db = cluster.database();
    // Each node serves one user here (no authentication: --default-user).
    let alice = node(
        &tmp.path().join("a"),
        cluster,
        &db,
        &["--default-user", "alice"],
    );
    let bob = node(
        &tmp.path().join("b"),
        cluster,
        &db,
        &["--default-user", "bob"],
    );
    let secret = alice.register().await;
    let uid = uid_of(&alice.ok(&secret, create_key("AES", 256, None, true)).await);
    let get = uid_op("Get", &uid);
    let grant = json!({"unique_identifier": uid, "user_id": "bob", "operations": ["get"]});
    let status = |r: reqwest::Response| r.status().as_u16();
    let (before, _) = bob.kmip(Some(&secret), &get).await;
    assert_ne!(before, 200, "bob reads alice's key before any grant");
    for (path, bob_gets) in [("/access/grant", true), ("/access/revoke", false)] {
        let r = alice
            .http
            .post(format!("{}{path}", alice.url))
            .header("KmsDatabaseSecret", &secret)
            .json(&grant)
            .send()
            .await
            .unwrap();
        assert_eq!(status(r), 200, "{path}");
        let (got, body) = bob.kmip(Some(&secret), &get).await;
        assert_eq!(
            got == 200,
            bob_gets,
            "after {path} on A, Get on B: {got} {body}"
        );
    }
}

/// The access and stream routes while both nodes write the group: grants and revocations
/// (which read before they write) and stream encryptions race with Revokes on the other node,
/// and every one is answered, none with 503 (a grant takes the group's write lock before it
/// reads, so another writer cannot make it fail).
#[tokio::test]
async fn access_and_stream_routes_racing_writers_on_both_nodes_all_succeed() {
    let Some((a, b, secret, _dirs)) = two_nodes().await else {
        return;
    };
    let mut uids = Vec::new();
    for _ in 0..8 {
        uids.push(uid_of(
            &a.ok(&secret, create_key("AES", 256, None, true)).await,
        ));
    }
    let keep = uid_of(&a.ok(&secret, create_key("AES", 256, None, true)).await);
    let request = |node: &Server, path: String| {
        node.http
            .post(format!("{}{path}", node.url))
            .header("KmsDatabaseSecret", &secret)
    };
    let grants = uids.iter().enumerate().flat_map(|(i, uid)| {
        let node = if i % 2 == 0 { &a } else { &b };
        ["/access/grant", "/access/revoke"].map(|path| {
            let body = json!({"unique_identifier": uid, "user_id": format!("u{i}"), "operations": ["get"]});
            let r = request(node, path.to_string()).json(&body);
            async move { (path, support::answer(r).await) }
        })
    });
    let streams = (0..8).map(|i| {
        let node = if i % 2 == 0 { &b } else { &a };
        let r = request(node, format!("/v1/encrypt/{keep}")).body(vec![7u8; 4096]);
        async move { ("/v1/encrypt", support::answer(r).await) }
    });
    let secret = &secret;
    let revokes = uids.iter().enumerate().map(|(i, uid)| {
        let node = if i % 2 == 0 { &b } else { &a };
        let body = revoke(uid);
        async move { ("Revoke", node.kmip(Some(secret), &body).await) }
    });
    let (grants, streams, revokes) = futures_util::future::join3(
        futures_util::future::join_all(grants),
        futures_util::future::join_all(streams),
        futures_util::future::join_all(revokes),
    )
    .await;
    for (what, (status, body)) in grants.iter().chain(&streams).chain(&revokes) {
        assert_eq!(*status, 200, "{what}: {body}");
    }
}
