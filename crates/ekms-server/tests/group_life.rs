//! Group life, against the real binary: who may register, the registration
//! rate limit, and the administrator's secret rotation and group deletion.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod jwt_support;
mod support;

use jwt_support::*;
use reqwest::Method;
use serde_json::Value;
use support::Server;

fn start(dir: &std::path::Path, extra: &[String]) -> Server {
    let args: Vec<&str> = extra.iter().map(String::as_str).collect();
    Server::start_in(dir, &args)
}

async fn call(
    s: &Server,
    method: Method,
    path: &str,
    bearer: Option<&str>,
    secret: &str,
) -> (u16, Value) {
    support::answer(request(
        &s.http,
        method,
        format!("{}{path}", s.url),
        bearer,
        Some(secret),
    ))
    .await
}

/// The files of group `id` in the data dir.
fn group_files(s: &Server, id: &str) -> Vec<std::path::PathBuf> {
    support::files_under(&s.data_dir.join("groups"))
        .into_iter()
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(id))
        .collect()
}

#[tokio::test]
async fn closed_registration_refuses_everyone() {
    let dir = tempfile::tempdir().unwrap();
    let idp = Idp::new(dir.path(), "k1");
    let mut flags = idp.flags();
    flags.extend(["--registration".to_string(), "closed".to_string()]);
    let s = start(dir.path(), &flags);
    let (status, body, _) = register(&s.http, &s.url, Some(&idp.token("a@x"))).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "registration_closed");
    assert!(support::files_under(&s.data_dir.join("groups")).is_empty());
    // Unauthenticated callers are still told to authenticate first.
    let (status, _, _) = register(&s.http, &s.url, None).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn closed_registration_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_with(dir.path(), &[], &[("EKMS_REGISTRATION", "closed")]);
    let (status, _, _) = register(&s.http, &s.url, None).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn registrations_are_rate_limited_per_client() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(
        dir.path(),
        &["--register-rate-per-minute".to_string(), "2".to_string()],
    );
    for _ in 0..2 {
        let (status, body, _) = register(&s.http, &s.url, None).await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, body, headers) = register(&s.http, &s.url, None).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"], "too_many_requests");
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Only the two admitted registrations made a group.
    assert_eq!(support::stored_groups(&s.data_dir).len(), 2);
}

#[tokio::test]
async fn the_administrator_rotates_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let idp = Idp::new(dir.path(), "k1");
    let s = start(dir.path(), &idp.flags());
    let alice = idp.token("alice@example.com");
    let bob = idp.token("bob@example.com");
    let (status, body, _) = register(&s.http, &s.url, Some(&alice)).await;
    assert_eq!(status, 201, "{body}");
    let old = body["secret"].as_str().unwrap().to_string();
    let group_id = body["group_id"].as_str().unwrap().to_string();
    let (status, body) = kmip(
        &s.http,
        &s.url,
        Some(&alice),
        &old,
        &support::create_key("AES", 256, Some("kept"), true),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let uid = support::uid_of(body["value"].as_array().unwrap());

    // Bob, a user of the group (he knows the secret), is not its administrator.
    let (status, body) = call(&s, Method::POST, "/group/rotate-secret", Some(&bob), &old).await;
    assert_eq!(status, 403, "{body}");
    // Without a token: 401; with a wrong secret: 401.
    let (status, _) = call(&s, Method::POST, "/group/rotate-secret", None, &old).await;
    assert_eq!(status, 401);
    let (status, _) = call(&s, Method::POST, "/group/rotate-secret", Some(&alice), "x").await;
    assert_eq!(status, 401);

    let (status, body) = call(&s, Method::POST, "/group/rotate-secret", Some(&alice), &old).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["group_id"], group_id.as_str());
    let new = body["secret"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    assert!(!s.log().contains(&new) && !s.log().contains(&old));

    // Two phases: the old secret keeps working until the new one is used; the new
    // one sees the same objects, and from then on the old one is refused.
    let (status, body) = kmip(
        &s.http,
        &s.url,
        Some(&alice),
        &old,
        &support::uid_op("Get", &uid),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = kmip(
        &s.http,
        &s.url,
        Some(&alice),
        &new,
        &support::uid_op("Get", &uid),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = kmip(
        &s.http,
        &s.url,
        Some(&alice),
        &old,
        &support::uid_op("Get", &uid),
    )
    .await;
    assert_eq!(status, 401, "{body}");

    // After a restart (nothing cached) the group opens with the new secret only.
    drop(s);
    let s = start(dir.path(), &idp.flags());
    let (status, _) = kmip(
        &s.http,
        &s.url,
        Some(&alice),
        &old,
        &support::uid_op("Get", &uid),
    )
    .await;
    assert_eq!(status, 401);
    let (status, body) = kmip(
        &s.http,
        &s.url,
        Some(&alice),
        &new,
        &support::uid_op("Get", &uid),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn the_administrator_deletes_the_group() {
    let dir = tempfile::tempdir().unwrap();
    let idp = Idp::new(dir.path(), "k1");
    let s = start(dir.path(), &idp.flags());
    let alice = idp.token("alice@example.com");
    let bob = idp.token("bob@example.com");
    let (_, body, _) = register(&s.http, &s.url, Some(&alice)).await;
    let secret = body["secret"].as_str().unwrap().to_string();
    let group_id = body["group_id"].as_str().unwrap().to_string();
    // Another group, which must survive.
    let (_, other, _) = register(&s.http, &s.url, Some(&alice)).await;
    let other_secret = other["secret"].as_str().unwrap().to_string();
    let (status, _) = kmip(
        &s.http,
        &s.url,
        Some(&alice),
        &secret,
        &support::create_key("AES", 256, None, true),
    )
    .await;
    assert_eq!(status, 200);
    assert!(support::stored_groups(&s.data_dir).contains(&group_id));

    let (status, body) = call(&s, Method::DELETE, "/group", Some(&bob), &secret).await;
    assert_eq!(status, 403, "{body}");
    assert!(support::stored_groups(&s.data_dir).contains(&group_id));

    let (status, body) = call(&s, Method::DELETE, "/group", Some(&alice), &secret).await;
    assert_eq!(status, 204, "{body}");
    assert!(!support::stored_groups(&s.data_dir).contains(&group_id));
    // Nothing of it is left on disk either (on SQLCipher: its -wal and -shm too).
    assert_eq!(group_files(&s, &group_id), Vec::<std::path::PathBuf>::new());
    let (status, _) = kmip(
        &s.http,
        &s.url,
        Some(&alice),
        &secret,
        &support::create_key("AES", 256, None, true),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = call(&s, Method::DELETE, "/group", Some(&alice), &secret).await;
    assert_eq!(status, 401);
    // The other group is untouched.
    let (status, body) = kmip(
        &s.http,
        &s.url,
        Some(&alice),
        &other_secret,
        &support::create_key("AES", 256, None, true),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}
