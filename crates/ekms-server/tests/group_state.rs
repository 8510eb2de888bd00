//! The `Ekms-Group-State` header against the real binary: on every answer to a request that
//! opened a group (errors after the opening included), with a MAC the secret's holder can
//! check, a version that moves with each write and not with reads, and none on answers that
//! opened no group.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use base64::Engine as _;
use ekms_crypto::group_state::{GroupState, HEADER, StateKey};
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
