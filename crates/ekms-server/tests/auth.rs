//! Who is calling, against the real binary: OpenID Connect bearer tokens
//! minted by a local provider whose key is served as a JWKS file, TLS client certificates on
//! HTTPS, and the default user when neither is configured.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod jwt_support;
mod support;

use jwt_support::*;
use reqwest::Method;
use serde_json::{Value, json};
use support::Server;

fn start(dir: &std::path::Path, extra: &[String]) -> Server {
    let args: Vec<&str> = extra.iter().map(String::as_str).collect();
    Server::start_in(dir, &args)
}

fn server_pem(s: &Server) -> Vec<u8> {
    std::fs::read(s.data_dir.join("certificate.pem")).unwrap()
}

/// Asserts the one 401 answer of a refused credential, which never echoes the token.
async fn assert_refused(s: &Server, token: &str, what: &str) {
    let (status, body, _) = register(&s.http, &s.url, Some(token)).await;
    assert_eq!(status, 401, "{what}: {body}");
    assert_eq!(body["error"], "unauthenticated", "{what}: {body}");
    let text = body.to_string();
    assert!(!text.contains(token), "{what}: the token is echoed");
    assert!(!s.log().contains(token), "{what}: the token is logged");
}

#[tokio::test]
async fn valid_tokens_pass_and_forged_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let idp = Idp::new(dir.path(), "k1");
    let s = start(dir.path(), &idp.flags());
    assert!(!s.log().contains("AUTHENTICATION IS OFF"));

    // A valid token registers a group and uses it.
    let alice = idp.token("alice@example.com");
    let (status, body, _) = register(&s.http, &s.url, Some(&alice)).await;
    assert_eq!(status, 201, "{body}");
    let secret = body["secret"].as_str().unwrap().to_string();
    let (status, body) = kmip(
        &s.http,
        &s.url,
        Some(&alice),
        &secret,
        &support::create_key("AES", 256, None, true),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // No token at all, with or without the group secret.
    let (status, _, _) = register(&s.http, &s.url, None).await;
    assert_eq!(status, 401);
    let (status, body) = kmip(
        &s.http,
        &s.url,
        None,
        &secret,
        &support::create_key("AES", 256, None, true),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "unauthenticated");

    // A signature by another key: idp's header and claims, mallory's signature.
    let mallory = Idp::new(dir.path(), "k2");
    let real = idp.token("alice@example.com");
    let fake = mallory.token("alice@example.com");
    let (head_body, _) = real.rsplit_once('.').unwrap();
    let (_, fake_sig) = fake.rsplit_once('.').unwrap();
    assert_refused(
        &s,
        &format!("{head_body}.{fake_sig}"),
        "another key's signature",
    )
    .await;
    // A token of a provider the server does not know (unknown kid).
    assert_refused(&s, &fake, "unknown key id").await;
    assert_refused(&s, &none_token(&claims("alice@example.com")), "alg none").await;
    assert_refused(
        &s,
        &hs256_token(&claims("alice@example.com"), "k1", b"guess"),
        "HS256",
    )
    .await;

    let mut expired = claims("alice@example.com");
    expired["exp"] = json!(now() - 300);
    assert_refused(&s, &idp.sign(&expired), "expired").await;
    let mut early = claims("alice@example.com");
    early["nbf"] = json!(now() + 300);
    assert_refused(&s, &idp.sign(&early), "not yet valid").await;
    let mut audience = claims("alice@example.com");
    audience["aud"] = json!("another-service");
    assert_refused(&s, &idp.sign(&audience), "wrong audience").await;
    let mut issuer = claims("alice@example.com");
    issuer["iss"] = json!("https://evil.example");
    assert_refused(&s, &idp.sign(&issuer), "wrong issuer").await;
    let mut no_user = claims("alice@example.com");
    no_user.as_object_mut().unwrap().remove("email");
    assert_refused(&s, &idp.sign(&no_user), "no user claim").await;
    let mut no_exp = claims("alice@example.com");
    no_exp.as_object_mut().unwrap().remove("exp");
    assert_refused(&s, &idp.sign(&no_exp), "no exp").await;
    assert_refused(&s, "not.a.jwt", "garbage").await;

    // A token a little past its expiry is within the leeway.
    let mut skewed = claims("alice@example.com");
    skewed["exp"] = json!(now() - 5);
    let (status, body, _) = register(&s.http, &s.url, Some(&idp.sign(&skewed))).await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn user_claim_is_configurable() {
    let dir = tempfile::tempdir().unwrap();
    let idp = Idp::new(dir.path(), "k1");
    let mut flags = idp.flags();
    flags.extend(["--jwt-user-claim".to_string(), "sub".to_string()]);
    let s = start(dir.path(), &flags);
    let mut c = claims("ignored@example.com");
    c["sub"] = json!("user-42");
    let (status, body, _) = register(&s.http, &s.url, Some(&idp.sign(&c))).await;
    assert_eq!(status, 201, "{body}");
    // The administrator is the `sub`: another token with the same email but another sub
    // cannot rotate the secret, one with the same sub can.
    let secret = body["secret"].as_str().unwrap().to_string();
    let mut other = claims("ignored@example.com");
    other["sub"] = json!("user-43");
    let rotate = |bearer: String| {
        request(
            &s.http,
            Method::POST,
            format!("{}/group/rotate-secret", s.url),
            Some(&bearer),
            Some(&secret),
        )
        .send()
    };
    assert_eq!(rotate(idp.sign(&other)).await.unwrap().status(), 403);
    assert_eq!(rotate(idp.sign(&c)).await.unwrap().status(), 200);
}

#[tokio::test]
async fn jwt_settings_are_checked_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let idp = Idp::new(dir.path(), "k1");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ekms-server"))
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("--emulated-platform-dir")
        .arg(dir.path().join("platform"))
        .arg("--jwt-jwks")
        .arg(&idp.jwks_path)
        .args(["--jwt-audience", AUDIENCE])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--jwt-issuer"));
}

#[tokio::test]
async fn client_certificate_common_name_is_the_user() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("ekms test client CA");
    let ca_file = dir.path().join("client-ca.pem");
    std::fs::write(&ca_file, &ca.pem).unwrap();
    let s = start(
        dir.path(),
        &["--client-ca".to_string(), ca_file.display().to_string()],
    );
    assert!(!s.log().contains("AUTHENTICATION IS OFF"));
    let pem = server_pem(&s);
    let carol = client_with_cert(&pem, Some(ca.client("carol@example.com")));
    let dave = client_with_cert(&pem, Some(ca.client("dave@example.com")));
    let nobody = client_with_cert(&pem, None);

    // Without a certificate (and no JWT configured): 401.
    let (status, body, _) = register(&nobody, &s.url, None).await;
    assert_eq!(status, 401, "{body}");
    // Carol registers: she is the administrator, Dave is not.
    let (status, body, _) = register(&carol, &s.url, None).await;
    assert_eq!(status, 201, "{body}");
    let secret = body["secret"].as_str().unwrap().to_string();
    let rotate = |c: &reqwest::Client| {
        request(
            c,
            Method::POST,
            format!("{}/group/rotate-secret", s.url),
            None,
            Some(&secret),
        )
        .send()
    };
    assert_eq!(rotate(&dave).await.unwrap().status(), 403);
    let r = rotate(&carol).await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert!(v["secret"].is_string());

    // A certificate of another CA fails the handshake.
    let other = Ca::new("another CA");
    let eve = client_with_cert(&pem, Some(other.client("carol@example.com")));
    let err = register_err(&eve, &s.url).await;
    assert!(err, "a foreign client certificate was accepted");
}

/// True if the request fails before any HTTP answer (as a refused handshake does).
async fn register_err(c: &reqwest::Client, base: &str) -> bool {
    c.post(format!("{base}/register")).send().await.is_err()
}

#[tokio::test]
async fn without_authentication_everyone_is_the_default_user() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(
        dir.path(),
        &["--default-user".to_string(), "operator".to_string()],
    );
    let log = s.log();
    assert!(log.contains("AUTHENTICATION IS OFF"), "{log}");
    assert!(log.contains("operator"), "{log}");
    // A bearer token is not looked at: the request is the default user's.
    let (status, body, _) = register(&s.http, &s.url, Some("whatever")).await;
    assert_eq!(status, 201, "{body}");
    let secret = body["secret"].as_str().unwrap().to_string();
    // The default user is the administrator: it may rotate the secret.
    let r = request(
        &s.http,
        Method::POST,
        format!("{}/group/rotate-secret", s.url),
        None,
        Some(&secret),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
}

/// Serves `body` as HTTP on a local port for every request; returns the URL and a hit counter.
fn serve_jwks(body: String) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
                body.len(),
                body
            );
        }
    });
    (url, hits)
}

#[tokio::test]
async fn jwks_from_a_url_is_fetched_at_start_and_cached() {
    let dir = tempfile::tempdir().unwrap();
    let idp = Idp::new(dir.path(), "k1");
    let (url, hits) = serve_jwks(std::fs::read_to_string(&idp.jwks_path).unwrap());
    let mut flags = idp.flags();
    flags[1] = url;
    let s = start(dir.path(), &flags);
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 1);
    for _ in 0..3 {
        let (status, body, _) = register(&s.http, &s.url, Some(&idp.token("a@x"))).await;
        assert_eq!(status, 201, "{body}");
    }
    // Unknown key ids: refused; the set is not fetched again within a minute of the last time.
    let stranger = Idp::new(dir.path(), "k9");
    for _ in 0..3 {
        assert_refused(&s, &stranger.token("a@x"), "unknown kid").await;
    }
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 1);
}
