//! Two-phase secret rotation, against the real binary: both secrets open the
//! group until the new one is used or confirmed, a lost answer loses nothing, and a group
//! database made by the release before key slots keeps opening and can be rotated.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{Server, create_key, uid_of, uid_op};

/// The value of the first `KeyMaterial` item under `v`.
fn key_material(v: &Value) -> Option<&str> {
    match v {
        Value::Array(items) => items.iter().find_map(key_material),
        Value::Object(_) if v["tag"] == "KeyMaterial" => v["value"].as_str(),
        Value::Object(_) => key_material(&v["value"]),
        _ => None,
    }
}

/// `POST <path>` with the group secret; (status, body).
async fn post(s: &Server, path: &str, secret: &str) -> (u16, Value) {
    s.call(reqwest::Method::POST, path, secret).await
}

async fn rotate(s: &Server, secret: &str) -> String {
    let (status, body) = post(s, "/group/rotate-secret", secret).await;
    assert_eq!(status, 200, "{body}");
    body["secret"].as_str().unwrap().to_string()
}

/// The key material of `uid`, or the HTTP status when the request fails.
async fn material(s: &Server, secret: &str, uid: &str) -> Result<String, u16> {
    let (status, body) = s.kmip(Some(secret), &uid_op("Get", uid)).await;
    if status != 200 {
        return Err(status);
    }
    Ok(key_material(&body).expect("a KeyMaterial").to_string())
}

async fn new_key(s: &Server, secret: &str) -> (String, String) {
    let uid = uid_of(&s.ok(secret, create_key("AES", 256, None, true)).await);
    let m = material(s, secret, &uid).await.unwrap();
    (uid, m)
}

#[tokio::test]
async fn both_secrets_open_the_group_until_the_new_one_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_in(dir.path(), &[]);
    let old = s.register().await;
    let (uid, m) = new_key(&s, &old).await;

    let new = rotate(&s, &old).await;
    assert_ne!(new, old);
    // Pending: the old secret still works, as often as needed, and does not confirm.
    for _ in 0..2 {
        assert_eq!(material(&s, &old, &uid).await, Ok(m.clone()));
    }
    // Still pending after a restart.
    drop(s);
    let s = Server::start_in(dir.path(), &[]);
    assert_eq!(material(&s, &old, &uid).await, Ok(m.clone()));
    // The first request with the new secret confirms: from then on the old one is refused.
    assert_eq!(material(&s, &new, &uid).await, Ok(m.clone()));
    assert_eq!(material(&s, &old, &uid).await, Err(401));
    let (uid2, m2) = new_key(&s, &new).await;
    drop(s);
    let s = Server::start_in(dir.path(), &[]);
    assert_eq!(material(&s, &old, &uid).await, Err(401));
    assert_eq!(material(&s, &new, &uid).await, Ok(m));
    assert_eq!(material(&s, &new, &uid2).await, Ok(m2));
    let log = s.log();
    assert!(!log.contains(&new) && !log.contains(&old));
}

#[tokio::test]
async fn the_confirm_route_takes_the_new_secret_only() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_in(dir.path(), &[]);
    let old = s.register().await;
    let (uid, m) = new_key(&s, &old).await;
    let new = rotate(&s, &old).await;
    // With the old secret: nothing to confirm with it, and it keeps working.
    let (status, body) = post(&s, "/group/rotate-secret/confirm", &old).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(material(&s, &old, &uid).await, Ok(m.clone()));
    let (status, body) = post(&s, "/group/rotate-secret/confirm", &new).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["confirmed"], json!(true));
    assert_eq!(material(&s, &old, &uid).await, Err(401));
    // Confirming again is harmless.
    let (status, body) = post(&s, "/group/rotate-secret/confirm", &new).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(material(&s, &new, &uid).await, Ok(m));
    // The old secret cannot confirm anything any more either.
    let (status, _) = post(&s, "/group/rotate-secret/confirm", &old).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn rotating_again_with_the_old_secret_replaces_the_pending_secret() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_in(dir.path(), &[]);
    let old = s.register().await;
    let (uid, m) = new_key(&s, &old).await;
    let lost = rotate(&s, &old).await;
    let new = rotate(&s, &old).await;
    assert_ne!(lost, new);
    assert_eq!(material(&s, &lost, &uid).await, Err(401));
    assert_eq!(material(&s, &old, &uid).await, Ok(m.clone()));
    assert_eq!(material(&s, &new, &uid).await, Ok(m.clone()));
    assert_eq!(material(&s, &old, &uid).await, Err(401));
    // And a rotation with the confirmed secret starts the next one.
    let next = rotate(&s, &new).await;
    assert_eq!(material(&s, &new, &uid).await, Ok(m.clone()));
    assert_eq!(material(&s, &next, &uid).await, Ok(m));
    assert_eq!(material(&s, &new, &uid).await, Err(401));
}

/// Sends `POST /group/rotate-secret` on a fresh TLS connection and, once the server has
/// rotated (its log says so), closes the connection without reading the answer.
async fn rotate_and_hang_up(s: &Server, secret: &str) {
    use tokio::io::AsyncWriteExt;
    let addr = s.url.trim_start_matches("https://").to_string();
    let tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(support::tls_config(s)));
    let ip: std::net::IpAddr = addr.rsplit_once(':').unwrap().0.parse().unwrap();
    let name = rustls::pki_types::ServerName::IpAddress(ip.into());
    let mut tls = connector.connect(name, tcp).await.unwrap();
    let head = format!(
        "POST /group/rotate-secret HTTP/1.1\r\nhost: {addr}\r\nKmsDatabaseSecret: {secret}\r\ncontent-length: 0\r\n\r\n"
    );
    tls.write_all(head.as_bytes()).await.unwrap();
    tls.flush().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !s.log().contains("group secret rotat") {
        assert!(
            Instant::now() < deadline,
            "no rotation logged:\n{}",
            s.log()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    drop(tls);
}

#[tokio::test]
async fn a_rotation_whose_answer_is_lost_leaves_the_old_secret_working() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_in(dir.path(), &[]);
    let old = s.register().await;
    let (uid, m) = new_key(&s, &old).await;
    rotate_and_hang_up(&s, &old).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(material(&s, &old, &uid).await, Ok(m.clone()));
    drop(s);
    let s = Server::start_in(dir.path(), &[]);
    assert_eq!(material(&s, &old, &uid).await, Ok(m.clone()));
    // The administrator simply rotates again.
    let new = rotate(&s, &old).await;
    assert_eq!(material(&s, &new, &uid).await, Ok(m));
}

/// A well-formed token of group `id` with key `key`.
fn forged_token(id: &str, key: &[u8; 32]) -> String {
    use base64::Engine;
    let json = format!("{{\"group_id\":\"{id}\",\"key\":\"{}\"}}", hex::encode(key));
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

const LEGACY_ID: &str = "4660248f-2988-4581-88ca-6e566b213081";
const LEGACY_UID: &str = "6cd7fa9d-aaf2-4672-a82b-dd801a724f60";
const LEGACY_MATERIAL: &str = "7C0D2131FA367A361DDC3AE8E64FC67627D01EA260D385A791637C0152624C52";

/// A data dir holding the group database made by the release before key slots
/// (tests/data/legacy-group); returns its secret.
fn legacy_data_dir(root: &Path) -> String {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/legacy-group");
    let groups = root.join("data/groups");
    std::fs::create_dir_all(&groups).unwrap();
    let name = format!("{LEGACY_ID}.db");
    std::fs::copy(fixture.join(&name), groups.join(&name)).unwrap();
    let reg: Value =
        serde_json::from_slice(&std::fs::read(fixture.join("register.json")).unwrap()).unwrap();
    assert_eq!(reg["group_id"], LEGACY_ID);
    reg["secret"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_group_made_before_key_slots_opens_and_rotates() {
    if support::skipped_on_postgres("SQLCipher group files made before key slots") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let old = legacy_data_dir(dir.path());
    let s = Server::start_in(dir.path(), &[]);
    // A wrong key for it is refused, and does not break it.
    let wrong = forged_token(LEGACY_ID, &[0u8; 32]);
    assert_eq!(material(&s, &wrong, LEGACY_UID).await, Err(401));
    assert_eq!(
        material(&s, &old, LEGACY_UID).await,
        Ok(LEGACY_MATERIAL.to_string())
    );
    let (uid, m) = new_key(&s, &old).await;
    drop(s);
    // Again after a restart, then rotated (the default user registered it: the administrator).
    let s = Server::start_in(dir.path(), &[]);
    assert_eq!(
        material(&s, &old, LEGACY_UID).await,
        Ok(LEGACY_MATERIAL.to_string())
    );
    let new = rotate(&s, &old).await;
    assert_eq!(material(&s, &old, &uid).await, Ok(m.clone()));
    assert_eq!(material(&s, &new, &uid).await, Ok(m.clone()));
    assert_eq!(material(&s, &old, &uid).await, Err(401));
    drop(s);
    let s = Server::start_in(dir.path(), &[]);
    assert_eq!(material(&s, &old, LEGACY_UID).await, Err(401));
    assert_eq!(
        material(&s, &new, LEGACY_UID).await,
        Ok(LEGACY_MATERIAL.to_string())
    );
    assert_eq!(material(&s, &new, &uid).await, Ok(m));
}

#[tokio::test]
async fn a_group_made_before_key_slots_and_rotated_at_once() {
    if support::skipped_on_postgres("SQLCipher group files made before key slots") {
        return;
    }
    // Its first request after the upgrade is the rotation itself.
    let dir = tempfile::tempdir().unwrap();
    let old = legacy_data_dir(dir.path());
    let s = Server::start_in(dir.path(), &[]);
    let new = rotate(&s, &old).await;
    drop(s);
    let s = Server::start_in(dir.path(), &[]);
    assert_eq!(
        material(&s, &old, LEGACY_UID).await,
        Ok(LEGACY_MATERIAL.to_string())
    );
    assert_eq!(
        material(&s, &new, LEGACY_UID).await,
        Ok(LEGACY_MATERIAL.to_string())
    );
    assert_eq!(material(&s, &old, LEGACY_UID).await, Err(401));
}

#[tokio::test]
async fn concurrent_requests_during_the_confirmation() {
    concurrent_confirmation(false).await;
}

#[tokio::test]
async fn concurrent_requests_during_the_confirmation_of_a_group_not_open() {
    concurrent_confirmation(true).await;
}

/// Many requests with the old and the new secret at once, the new one not used before; with
/// `restart`, the group is not open when they arrive.
async fn concurrent_confirmation(restart: bool) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_in(dir.path(), &[]);
    let old = s.register().await;
    let mut keys = Vec::new();
    for _ in 0..5 {
        keys.push(new_key(&s, &old).await);
    }
    let new = rotate(&s, &old).await;
    let s = if restart {
        drop(s);
        Server::start_in(dir.path(), &[])
    } else {
        s
    };
    // Requests with both secrets at once: every one with the new secret succeeds, each one
    // with the old secret either succeeds (before the confirmation) or is refused (after).
    let mut tasks = Vec::new();
    for i in 0..40 {
        let secret = if i % 2 == 0 { new.clone() } else { old.clone() };
        let (uid, m) = keys[i % keys.len()].clone();
        let url = s.url.clone();
        let http = s.http.clone();
        tasks.push(tokio::spawn(async move {
            let r = http
                .post(format!("{url}/kmip/2_1"))
                .header("KmsDatabaseSecret", &secret)
                .json(&uid_op("Get", &uid))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            (
                i % 2 == 0,
                status,
                key_material(&body).map(str::to_string),
                m,
            )
        }));
    }
    for t in tasks {
        let (with_new, status, got, want) = t.await.unwrap();
        if with_new || status == 200 {
            assert_eq!((status, got), (200, Some(want)), "new secret: {with_new}");
        } else {
            assert_eq!(status, 401, "{}", s.log());
        }
    }
    assert_eq!(material(&s, &old, &keys[0].0).await, Err(401));
    for (uid, m) in &keys {
        assert_eq!(material(&s, &new, uid).await.as_ref(), Ok(m));
    }
    // No error of the server's own (SQLCipher itself logs each refused key as "ERROR CORE").
    let log = s.log();
    assert!(
        !log.lines()
            .any(|l| l.contains("ERROR") && l.contains("ekms_server")),
        "{log}"
    );
}
