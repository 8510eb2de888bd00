//! `ekms access`, `ekms audit` and `ekms group` against the real server with JWT
//! authentication: a local identity provider (a P-256 key written as a JWKS file) mints the
//! bearer tokens of alice and bob, two users of one group.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use predicates::prelude::*;
use serde_json::{Value, json};
use support::idp::{Idp, set_private, write_config};
use support::{Server, User, start_server_with};

/// Bob's config: the server, its pin and alice's group secret; his token comes from the
/// environment (`EKMS_BEARER_TOKEN`).
fn share_group(alice: &User, bob: &User, server: &Server) {
    let secret = alice.secret();
    write_config(
        bob,
        &format!(
            "server_url = {:?}\npin_sha256 = {:?}\nsecret = {:?}\n",
            server.url, server.sha256, secret
        ),
    );
}

fn json_out(cmd: &mut assert_cmd::Command) -> Value {
    let out = cmd.assert().success().get_output().stdout.clone();
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn grant_decrypt_revoke_audit_rotate_delete() {
    let work = tempfile::tempdir().unwrap();
    let idp = Idp::new(work.path());
    let server = idp.start_server();
    let alice_token = idp.token("alice@example.com");
    let bob_token = idp.token("bob@example.com");

    // Alice's token is in her config file; `ekms register` keeps it there.
    let alice = User::new();
    write_config(&alice, &format!("bearer_token = {alice_token:?}\n"));
    alice.register_pinned(&server);
    assert_eq!(
        alice.config_value("bearer_token"),
        Some(alice_token.clone())
    );
    let bob = User::new();
    share_group(&alice, &bob, &server);
    let bob_ekms = || {
        let mut cmd = bob.ekms();
        cmd.env("EKMS_BEARER_TOKEN", &bob_token);
        cmd
    };

    // Without a token the server refuses, and the hint names the token.
    bob.ekms()
        .args(["access", "owned"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("bearer token"));
    // A forged token (signed by another key) is refused too, and never printed.
    let other = work.path().join("other-idp");
    std::fs::create_dir_all(&other).unwrap();
    let forged = Idp::new(&other).token("bob@example.com");
    bob.ekms()
        .args(["--bearer-token", &forged, "access", "owned"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("refused").and(predicate::str::contains(&forged).not()));

    let uid = alice.create_key(&[]);
    let plain = alice.path("plain.txt");
    std::fs::write(&plain, b"attack at dawn\n").unwrap();
    let sealed = bob.path("sealed.bin");
    alice
        .ekms()
        .args(["sym", "encrypt", "-k", &uid])
        .arg(&plain)
        .arg("-o")
        .arg(&sealed)
        .assert()
        .success();
    let opened = bob.path("opened.txt");

    // Bob may not decrypt alice's file yet.
    bob_ekms()
        .args(["sym", "decrypt"])
        .arg(&sealed)
        .arg("-o")
        .arg(&opened)
        .assert()
        .failure()
        .stderr(predicate::str::contains("ask the owner"));

    alice
        .ekms()
        .args([
            "access",
            "grant",
            "--key",
            &uid,
            "--user",
            "bob@example.com",
        ])
        .args(["--operations", "decrypt"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "granted decrypt to bob@example.com",
        ))
        // This server identifies users: no warning that bob can never be identified.
        .stderr(predicate::str::contains("without authentication").not());

    bob_ekms()
        .args(["sym", "decrypt"])
        .arg(&sealed)
        .arg("-o")
        .arg(&opened)
        .assert()
        .success();
    assert_eq!(std::fs::read(&opened).unwrap(), b"attack at dawn\n");

    let obtained = json_out(bob_ekms().args(["--json", "access", "obtained"]));
    assert!(
        obtained
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["uid"] == uid.as_str()
                && g["user"] == "bob@example.com"
                && g["right"] == "decrypt"),
        "{obtained}"
    );
    bob_ekms()
        .args(["access", "obtained"])
        .assert()
        .success()
        .stdout(predicate::str::contains(&uid).and(predicate::str::contains("decrypt")));
    // Locate filters, it does not refuse: bob, holding only `decrypt`, finds that key and
    // not alice's other one; a name nothing has answers an empty list.
    let other = alice.create_key(&[]);
    let found = json_out(bob_ekms().args(["--json", "keys", "locate"]));
    assert_eq!(found["unique_identifiers"], json!([uid]), "{found}");
    let found =
        json_out(bob_ekms().args(["--json", "keys", "locate", "--name", "nothing-matches"]));
    assert_eq!(found["unique_identifiers"], json!([]), "{found}");
    bob_ekms()
        .args(["keys", "locate"])
        .assert()
        .success()
        .stdout(predicate::str::contains(&uid).and(predicate::str::contains(&other).not()));
    // Bob cannot pass the right on.
    bob_ekms()
        .args([
            "access",
            "grant",
            "-k",
            &uid,
            "-u",
            "carol",
            "--operations",
            "decrypt",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("not allowed"));

    let list = json_out(alice.ekms().args(["--json", "access", "list", &uid]));
    assert_eq!(list["owner"], "alice@example.com");
    assert_eq!(list["grants"][0]["user"], "bob@example.com");
    alice
        .ekms()
        .args(["access", "owned"])
        .assert()
        .success()
        .stdout(predicate::str::contains(&uid));

    alice
        .ekms()
        .args([
            "access",
            "revoke",
            "--key",
            &uid,
            "--user",
            "bob@example.com",
        ])
        .args(["--operations", "decrypt"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "revoked decrypt from bob@example.com",
        ));
    std::fs::remove_file(&opened).unwrap();
    bob_ekms()
        .args(["sym", "decrypt"])
        .arg(&sealed)
        .arg("-o")
        .arg(&opened)
        .assert()
        .failure()
        .stderr(predicate::str::contains("not allowed"));
    assert!(!opened.exists());

    // The audit trail, as the administrator; bob may not read it.
    let rows = json_out(alice.ekms().args(["--json", "audit", "--object", &uid]));
    let rows = rows.as_array().unwrap();
    let has = |user: &str, op: &str, ok: bool| {
        rows.iter()
            .any(|r| r["user"] == user && r["operation"] == op && (r["result"] == "ok") == ok)
    };
    assert!(has("alice@example.com", "Grant", true), "{rows:?}");
    assert!(has("alice@example.com", "RevokeAccess", true), "{rows:?}");
    assert!(has("bob@example.com", "Grant", false), "{rows:?}");
    assert!(
        rows.iter()
            .any(|r| r["user"] == "bob@example.com" && r["result"] == "ok"),
        "bob's decryption is audited: {rows:?}"
    );
    assert!(rows.iter().all(|r| r["object"] == uid.as_str()), "{rows:?}");
    let text = alice
        .ekms()
        .args(["audit", "--user", "bob@example.com", "--limit", "50"])
        .args(["--since", "2000-01-01T00:00:00Z"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(text).unwrap();
    assert!(text.starts_with("TIME"), "{text}");
    assert!(text.contains("bob@example.com"), "{text}");
    assert!(!text.contains("alice@example.com"), "{text}");
    let future =
        json_out(
            alice
                .ekms()
                .args(["--json", "audit", "--since", "2999-01-01T00:00:00Z"]),
        );
    assert_eq!(future, json!([]));
    alice
        .ekms()
        .args(["audit", "--since", "yesterday"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("RFC 3339"));
    bob_ekms()
        .args(["audit"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("not allowed"));

    // Secret rotation: only the administrator; the new secret lands in alice's config.
    bob_ekms()
        .args(["group", "rotate-secret"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("administrator"));
    let old_secret = alice.secret();
    let out = alice
        .ekms()
        .args(["group", "rotate-secret"])
        .assert()
        .success()
        .get_output()
        .clone();
    let new_secret = alice.secret();
    assert_ne!(new_secret, old_secret);
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(printed.contains("group id:"), "{printed}");
    assert!(!printed.contains(&new_secret), "the secret was printed");
    assert!(!printed.contains(&alice_token), "the token was printed");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&alice.config)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert_eq!(
        alice.config_value("bearer_token"),
        Some(alice_token.clone())
    );
    // Bob still holds the old secret: refused.
    bob_ekms()
        .args(["access", "obtained"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("secret"));
    alice
        .ekms()
        .args(["access", "owned"])
        .assert()
        .success()
        .stdout(predicate::str::contains(&uid));
    alice
        .ekms()
        .args(["sym", "decrypt"])
        .arg(&sealed)
        .arg("-o")
        .arg(alice.path("again.txt"))
        .assert()
        .success();
    // Two phases on the server: the CLI saved the new secret and confirmed it, so the old one
    // (Bob's) was refused above. --json says so.
    let out = json_out(alice.ekms().args(["--json", "group", "rotate-secret"]));
    assert_eq!(out["confirmed"], json!(true), "{out}");
    assert!(out.get("secret").is_none(), "{out}");
    // --show-secret prints the next one.
    let shown = alice
        .ekms()
        .args(["group", "rotate-secret", "--show-secret"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(String::from_utf8(shown).unwrap().contains(&alice.secret()));
    share_group(&alice, &bob, &server);
    bob_ekms().args(["access", "obtained"]).assert().success();

    // Deletion: confirmed only with --yes; then the secret is refused and gone from the config.
    alice
        .ekms()
        .args(["group", "delete"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--yes"));
    let last_secret = alice.secret();
    alice
        .ekms()
        .args(["group", "delete", "--yes"])
        .assert()
        .success()
        .stdout(predicate::str::contains("group deleted"));
    assert_eq!(alice.config_value("secret"), None);
    assert_eq!(bob.config_value("secret"), Some(last_secret));
    bob_ekms()
        .args(["access", "obtained"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("refused"));
    alice
        .ekms()
        .args(["access", "owned"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no group secret"));
}

#[test]
fn client_certificate_and_key_must_come_together() {
    let user = User::new();
    user.ekms()
        .args(["--client-cert", "/nonexistent.pem", "access", "owned"])
        .assert()
        .failure();
    write_config(&user, "client_cert = \"me.pem\"\n");
    user.ekms()
        .args(["access", "owned"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("client_key"));
}

/// A CA and a client certificate for `cn` signed by it: (CA PEM, certificate PEM, key PEM).
fn client_certificate(cn: &str) -> (String, String, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(vec![]).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "ekms test client CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec![]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn);
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let cert = params.signed_by(&key, &issuer).unwrap();
    (ca_cert.pem(), cert.pem(), key.serialize_pem())
}

#[test]
fn client_certificate_from_the_config_identifies_the_user() {
    let work = tempfile::tempdir().unwrap();
    let (ca, cert, key) = client_certificate("carol@example.com");
    let ca_path = work.path().join("client-ca.pem");
    std::fs::write(&ca_path, ca).unwrap();
    let ca_arg = ca_path.display().to_string();
    let server = start_server_with(&["--client-ca", &ca_arg]);

    let carol = User::new();
    std::fs::create_dir_all(carol.config.parent().unwrap()).unwrap();
    // Relative paths are relative to the config file's directory.
    let cfg_dir = carol.config.parent().unwrap();
    std::fs::write(cfg_dir.join("carol.pem"), cert).unwrap();
    std::fs::write(cfg_dir.join("carol.key"), key).unwrap();
    set_private(&cfg_dir.join("carol.key"));
    write_config(
        &carol,
        "client_cert = \"carol.pem\"\nclient_key = \"carol.key\"\n",
    );
    carol.register_pinned(&server);
    let uid = carol.create_key(&[]);
    let list = json_out(carol.ekms().args(["--json", "access", "list", &uid]));
    assert_eq!(list["owner"], "carol@example.com");
    let admin = json_out(carol.ekms().args(["--json", "access", "list", "*"]));
    assert_eq!(admin["owner"], "carol@example.com");

    // The same group secret without the certificate: 401, with a hint about credentials.
    let anonymous = User::new();
    write_config(
        &anonymous,
        &format!(
            "server_url = {:?}\npin_sha256 = {:?}\nsecret = {:?}\n",
            server.url,
            server.sha256,
            carol.secret()
        ),
    );
    anonymous
        .ekms()
        .args(["access", "owned"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("client certificate"));
}
