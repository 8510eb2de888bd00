//! The `Ekms-Group-State` header against the real binary: on every answer to a request that
//! opened a group (errors after the opening included, a `POST /kmip` message carrying its own
//! credential, the group routes), with a MAC the secret's holder can check, a version that
//! moves with each write and not with reads, and none on answers that opened no group. Run
//! with `EKMS_TEST_DATABASE` for PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/kmip.rs"]
mod kmip;
mod support;

use base64::Engine as _;
use ekms_crypto::group_state::{GroupState, HEADER, StateKey};
use ekms_kmip::{ProtocolVersion, ToTtlv};
use serde_json::{Value, json};
use support::{Server, create_key, uid_of};

/// The MAC key a client derives from the token it holds.
fn key_of(secret: &str) -> StateKey {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(secret)
        .unwrap();
    let v: Value = serde_json::from_slice(&raw).unwrap();
    let key: [u8; 32] = hex::decode(v["key"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    StateKey::derive(&key, v["group_id"].as_str().unwrap()).unwrap()
}

/// Posts a KMIP JSON operation with `secret`.
async fn post(s: &Server, secret: &str, body: &Value) -> reqwest::Response {
    s.http
        .post(format!("{}/kmip/2_1", s.url))
        .header("content-type", "application/json")
        .header("KmsDatabaseSecret", secret)
        .body(serde_json::to_vec(body).unwrap())
        .send()
        .await
        .unwrap()
}

/// Posts a KMIP JSON operation; (status, body, the checked state header if any).
async fn call(s: &Server, secret: &str, body: &Value) -> (u16, Value, Option<GroupState>) {
    let r = post(s, secret, body).await;
    let state = r.headers().get(HEADER).map(|h| {
        GroupState::parse(h.to_str().unwrap(), &key_of(secret)).expect("the MAC verifies")
    });
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null), state)
}

fn get(uid: &str) -> Value {
    json!({"tag": "Get", "value": [
        {"tag": "UniqueIdentifier", "type": "TextString", "value": uid}]})
}

#[tokio::test]
async fn every_group_answer_states_the_group_and_writes_move_it() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_in(dir.path(), &[]);
    let secret = s.register().await;

    let (status, body, created) = call(&s, &secret, &create_key("AES", 256, None, true)).await;
    assert_eq!(status, 200, "{body}");
    let created = created.expect("a write's answer states the group");
    let uid = uid_of(body["value"].as_array().unwrap());

    // The first Get of a key clears its Fresh attribute (a write); a read after it states the
    // same state; a second write moves version and chain.
    let (_, _, served) = call(&s, &secret, &get(&uid)).await;
    let served = served.unwrap();
    assert!(served.version >= created.version);
    let (_, _, read) = call(&s, &secret, &get(&uid)).await;
    assert_eq!(read, Some(served));
    let (_, _, again) = call(&s, &secret, &create_key("AES", 128, None, true)).await;
    let again = again.unwrap();
    assert_eq!(again.version, served.version + 1);
    assert_ne!(again.chain, served.chain);

    // An operation that fails after the group opened states it too.
    let (status, _, failed) = call(&s, &secret, &get("no-such-object")).await;
    assert_ne!(status, 500);
    assert_eq!(failed, Some(again));

    // The header's MAC is under the secret's key: another group's secret does not verify it.
    let other = s.register().await;
    let (_, _, theirs) = call(&s, &other, &get(&uid)).await;
    assert_ne!(theirs.unwrap().chain, again.chain);
    let r = post(&s, &other, &get(&uid)).await;
    let value = r
        .headers()
        .get(HEADER)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(GroupState::parse(&value, &key_of(&secret)).is_err());

    // Answers that opened no group carry none: a wrong secret, a public route.
    let wrong = format!("{secret}x");
    let r = post(&s, &wrong, &json!({})).await;
    assert_eq!(r.status(), 401);
    assert!(r.headers().get(HEADER).is_none());
    let r = s.get("/health").await;
    assert!(r.headers().get(HEADER).is_none());
}

/// The checked state header of `r`, under `secret`'s key; panics without one.
fn state_of(r: &reqwest::Response, secret: &str) -> GroupState {
    let value = r
        .headers()
        .get(HEADER)
        .expect("the answer states the group");
    GroupState::parse(value.to_str().unwrap(), &key_of(secret)).expect("the MAC verifies")
}

/// `POST /kmip` with no secret header: the message's own credential opens the group, and the
/// answer states that group.
#[tokio::test]
async fn a_message_carrying_its_credential_states_its_group() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_in(dir.path(), &[]);
    let secret = s.register().await;
    let v = ProtocolVersion::V1_4;
    let post = |secret: Option<&str>| {
        let m = kmip::request(v, secret, vec![kmip::create_aes(v, 256, "n")]);
        s.http
            .post(format!("{}/kmip", s.url))
            .header("content-type", "application/octet-stream")
            .body(ekms_kmip::binary::to_vec(&m.to_ttlv()))
            .send()
    };
    let first = post(Some(&secret)).await.unwrap();
    assert_eq!(first.status(), 200);
    let first = state_of(&first, &secret);
    let second = state_of(&post(Some(&secret)).await.unwrap(), &secret);
    assert_eq!(second.version, first.version + 1);
    // A message without a credential opens no group: no header.
    let none = post(None).await.unwrap();
    assert!(none.headers().get(HEADER).is_none());
}

/// The group routes state the group they opened: rotation (under the secret presented),
/// confirmation (under the new secret), deletion.
#[tokio::test]
async fn the_group_routes_state_the_group() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_in(dir.path(), &[]);
    let secret = s.register().await;
    let (status, body, created) = call(&s, &secret, &create_key("AES", 256, None, true)).await;
    assert_eq!(status, 200, "{body}");
    let created = created.unwrap();
    let route = |method: reqwest::Method, path: &str, secret: &str| {
        s.http
            .request(method, format!("{}{path}", s.url))
            .header("KmsDatabaseSecret", secret)
            .send()
    };
    let rotated = route(reqwest::Method::POST, "/group/rotate-secret", &secret)
        .await
        .unwrap();
    assert_eq!(rotated.status(), 200);
    assert_eq!(state_of(&rotated, &secret), created);
    let new: Value = rotated.json().await.unwrap();
    let new = new["secret"].as_str().unwrap().to_string();
    let confirmed = route(reqwest::Method::POST, "/group/rotate-secret/confirm", &new)
        .await
        .unwrap();
    assert_eq!(confirmed.status(), 200);
    assert_eq!(state_of(&confirmed, &new).version, created.version);
    let deleted = route(reqwest::Method::DELETE, "/group", &new)
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(state_of(&deleted, &new).version, created.version);
    // The group is gone: its secret opens nothing, and the refusal states nothing.
    let gone = route(reqwest::Method::DELETE, "/group", &new)
        .await
        .unwrap();
    assert_eq!(gone.status(), 401);
    assert!(gone.headers().get(HEADER).is_none());
}
