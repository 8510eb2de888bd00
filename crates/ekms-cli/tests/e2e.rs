//! End-to-end tests of `ekms` against the real `ekms-server` on an ephemeral port.
//!
//! The server binary is `$EKMS_SERVER_BIN` if set, else `ekms-server` next to the test
//! executable's directory (`target/<profile>/ekms-server`); see `support/`. Each test starts its
//! own server with temporary data and platform directories and kills it when done.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use predicates::prelude::*;
use support::*;

/// An unrelated self-signed CA certificate (its private key was thrown away).
const OTHER_CERT_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBjzCCATWgAwIBAgIURcKykHGM2DtvJiC+dlrlLE/rtFUwCgYIKoZIzj0EAwIw
HDEaMBgGA1UEAwwRdW5yZWxhdGVkIHRlc3QgQ0EwIBcNMjYxMTI4MTAzMzI0WhgP
MjEyNjExMDQxMDMzMjRaMBwxGjAYBgNVBAMMEXVucmVsYXRlZCB0ZXN0IENBMFkw
EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAETCif7QqKqTDMsE5aueOkvBPi6+SyKaGY
WPHnAw7raPVewFmlw48n+BnE3YSChfzCgYzof0Shiqjap1BfAZg9faNTMFEwHQYD
VR0OBBYEFEHT8Wn9PZk4UYs6f+yJUPqof8fwMB8GA1UdIwQYMBaAFEHT8Wn9PZk4
UYs6f+yJUPqof8fwMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIh
AKCq404h4bp3l4o7N+G/dB+G6oC6czYY5cOF923SCq+/AiBwQhdm7ed11dzIkqSQ
pVCz81yIka2fpMArIr+95psTSg==
-----END CERTIFICATE-----
";

fn sample_plaintext() -> Vec<u8> {
    (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

#[test]
fn register_create_encrypt_decrypt_and_key_life_cycle() {
    let server = start_server();
    let user = User::new();

    // Register: the group id is printed, the secret is not, the config is private.
    let assert = user
        .ekms()
        .args(["--server-url", &server.url, "--pin-sha256", &server.sha256])
        .arg("register")
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stdout.contains("group id:"), "{stdout}");
    let secret = user.secret();
    assert!(!stdout.contains(&secret) && !stderr.contains(&secret));
    let config = user.config_text();
    assert!(config.contains(&server.url), "{config}");
    assert!(config.contains(&server.sha256.to_lowercase()), "{config}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&user.config)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Registering again into the same config is refused.
    user.ekms()
        .arg("register")
        .assert()
        .failure()
        .stderr(predicate::str::contains("already holds a group secret"));

    // From here on, the URL, the secret and the pin come from the config file.
    let uid = user.create_key(&["--name", "e2e-key"]);

    let plain = user.path("plain.bin");
    let enc = user.path("plain.bin.ekms");
    let dec = user.path("plain.out");
    let data = sample_plaintext();
    std::fs::write(&plain, &data).unwrap();
    user.ekms()
        .args(["sym", "encrypt", "--key", &uid])
        .arg(&plain)
        .arg("-o")
        .arg(&enc)
        .assert()
        .success();
    let encrypted = std::fs::read(&enc).unwrap();
    // New files are streams (docs/stream-format.md); version 1 files are still read.
    assert!(encrypted.starts_with(b"EKMSSTRM"));
    assert!(encrypted.len() > data.len());

    // Decrypt without --key (the header names it), then with it.
    user.ekms()
        .args(["sym", "decrypt"])
        .arg(&enc)
        .arg("-o")
        .arg(&dec)
        .assert()
        .success();
    assert_eq!(std::fs::read(&dec).unwrap(), data);
    let dec2 = user.path("plain.out2");
    user.ekms()
        .args(["sym", "decrypt", "--key", &uid])
        .arg(&enc)
        .arg("-o")
        .arg(&dec2)
        .assert()
        .success();
    assert_eq!(std::fs::read(&dec2).unwrap(), data);

    // A tampered file does not decrypt and leaves no output.
    let mut tampered = encrypted.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 0x01;
    let tampered_path = user.path("tampered.ekms");
    std::fs::write(&tampered_path, &tampered).unwrap();
    let out = user.path("tampered.out");
    user.ekms()
        .args(["sym", "decrypt"])
        .arg(&tampered_path)
        .arg("-o")
        .arg(&out)
        .assert()
        .failure();
    assert!(!out.exists(), "a failed decryption left an output file");
    let leftovers: Vec<_> = std::fs::read_dir(user.dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".ekms-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");

    // A file that is not an ekms file is refused with a clear message.
    user.ekms()
        .args(["sym", "decrypt"])
        .arg(&plain)
        .arg("-o")
        .arg(user.path("never"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("not an ekms encrypted file"));
    assert!(!user.path("never").exists());

    // Locate by name finds the key; get shows it Active.
    user.ekms()
        .args(["keys", "locate", "--name", "e2e-key"])
        .assert()
        .success()
        .stdout(predicate::str::contains(uid.as_str()));
    let located = user
        .ekms()
        .args(["--json", "keys", "locate", "--name", "e2e-key"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let located: serde_json::Value = serde_json::from_slice(&located).unwrap();
    assert_eq!(located["unique_identifiers"], serde_json::json!([uid]));
    user.ekms()
        .args(["keys", "locate", "--name", "no-such-key"])
        .assert()
        .success()
        .stdout(predicate::str::contains(uid.as_str()).not());
    user.ekms()
        .args(["keys", "get", &uid])
        .assert()
        .success()
        .stdout(predicate::str::contains(uid.as_str()))
        .stdout(predicate::str::contains("Active"));

    // Revoke: encryption is refused afterwards.
    user.ekms()
        .args(["keys", "revoke", &uid, "--reason", "cessation-of-operation"])
        .assert()
        .success();
    user.ekms()
        .args(["sym", "encrypt", "--key", &uid])
        .arg(&plain)
        .arg("-o")
        .arg(user.path("after-revoke.ekms"))
        .assert()
        .failure();
    assert!(!user.path("after-revoke.ekms").exists());

    // Destroy: the key no longer decrypts.
    user.ekms()
        .args(["keys", "destroy", &uid])
        .assert()
        .success();
    user.ekms()
        .args(["sym", "decrypt"])
        .arg(&enc)
        .arg("-o")
        .arg(user.path("after-destroy.out"))
        .assert()
        .failure();
    assert!(!user.path("after-destroy.out").exists());
}

#[test]
fn chacha20_and_pre_active_keys() {
    let server = start_server();
    let user = User::new();
    user.register_pinned(&server);

    let chacha = user.create_key(&["--algorithm", "chacha20", "--name", "cc"]);
    let plain = user.path("p");
    std::fs::write(&plain, b"small secret text").unwrap();
    user.ekms()
        .args(["sym", "encrypt", "-k", &chacha])
        .arg(&plain)
        .arg("-o")
        .arg(user.path("p.ekms"))
        .assert()
        .success();
    user.ekms()
        .args(["sym", "decrypt"])
        .arg(user.path("p.ekms"))
        .arg("-o")
        .arg(user.path("p.out"))
        .assert()
        .success();
    assert_eq!(
        std::fs::read(user.path("p.out")).unwrap(),
        b"small secret text"
    );

    // A PreActive key does not encrypt until it is activated.
    let pre = user.create_key(&["--bits", "128", "--no-activate"]);
    user.ekms()
        .args(["sym", "encrypt", "-k", &pre])
        .arg(&plain)
        .arg("-o")
        .arg(user.path("q.ekms"))
        .assert()
        .failure();
    user.ekms()
        .args(["keys", "activate", &pre])
        .assert()
        .success();
    user.ekms()
        .args(["sym", "encrypt", "-k", &pre])
        .arg(&plain)
        .arg("-o")
        .arg(user.path("q.ekms"))
        .assert()
        .success();

    // Empty files round-trip too.
    let empty = user.path("empty");
    std::fs::write(&empty, b"").unwrap();
    user.ekms()
        .args(["sym", "encrypt", "-k", &pre])
        .arg(&empty)
        .arg("-o")
        .arg(user.path("empty.ekms"))
        .assert()
        .success();
    user.ekms()
        .args(["sym", "decrypt"])
        .arg(user.path("empty.ekms"))
        .arg("-o")
        .arg(user.path("empty.out"))
        .assert()
        .success();
    assert_eq!(std::fs::read(user.path("empty.out")).unwrap(), b"");
}

#[test]
fn trust_options() {
    let server = start_server();

    // No trust option: refused, with what to do.
    let user = User::new();
    user.ekms()
        .args(["--server-url", &server.url, "register"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--ca FILE or --pin-sha256 HEX"));
    assert!(!user.config.exists());

    // A wrong pin: refused as a changed certificate.
    let wrong_pin = "00".repeat(32);
    user.ekms()
        .args([
            "--server-url",
            &server.url,
            "--pin-sha256",
            &wrong_pin,
            "register",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("certificate changed"))
        .stderr(predicate::str::contains(server.sha256.to_lowercase()));

    // --insecure works and warns; no trust is stored, so later commands need one again.
    let insecure = User::new();
    insecure
        .ekms()
        .args(["--server-url", &server.url, "--insecure", "register"])
        .assert()
        .success()
        .stderr(predicate::str::contains("warning: --insecure"));
    insecure
        .ekms()
        .args(["sym", "create"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--pin-sha256"));
    insecure
        .ekms()
        .args(["--insecure", "sym", "create"])
        .assert()
        .success()
        .stderr(predicate::str::contains("warning: --insecure"));

    // The right pin on the command line works for a config registered insecurely.
    insecure
        .ekms()
        .args(["--pin-sha256", &server.sha256, "sym", "create"])
        .assert()
        .success();

    // --ca with the server's own self-signed certificate (the server keeps a copy of it in
    // clear in its data directory); the config remembers the CA file.
    let cert = server.data_dir.join("certificate.pem");
    assert!(cert.exists(), "the server wrote no {}", cert.display());
    let with_ca = User::new();
    with_ca
        .ekms()
        .args(["--server-url", &server.url, "--ca"])
        .arg(&cert)
        .arg("register")
        .assert()
        .success();
    assert!(with_ca.config_text().contains("certificate.pem"));
    with_ca.create_key(&[]);
    // A CA file that did not sign the server certificate is refused.
    let other_pem = with_ca.path("other.pem");
    std::fs::write(&other_pem, OTHER_CERT_PEM).unwrap();
    with_ca
        .ekms()
        .args(["--ca"])
        .arg(&other_pem)
        .args(["sym", "create"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "does not verify against the CA file",
        ));

    // --show-secret prints the secret stored in the config.
    let shown = User::new();
    let out = shown
        .ekms()
        .args(["--server-url", &server.url, "--pin-sha256", &server.sha256])
        .args(["--json", "register", "--show-secret"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(out["secret"].as_str(), Some(shown.secret().as_str()));
    assert!(out["group_id"].as_str().is_some_and(|g| !g.is_empty()));
}

#[test]
fn refused_secret_and_missing_secret() {
    let server = start_server();
    let user = User::new();
    user.register_pinned(&server);

    let other = User::new();
    other.register_pinned(&server);
    let mine = user.secret();
    let original = user.config_text();

    // A well-formed token of this group with a wrong key (the secret layout in the Groups section of docs/server.md),
    // then a token that does not even decode: both are refused with the same message.
    let decoded = URL_SAFE_NO_PAD
        .decode(mine.as_bytes())
        .expect("base64url token");
    let mut token: serde_json::Value = serde_json::from_slice(&decoded).expect("token JSON");
    token["key"] = serde_json::json!("00".repeat(32));
    let wrong_key = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&token).unwrap());
    for bad in [wrong_key.as_str(), "bm90IGEgdmFsaWQgdG9rZW4"] {
        std::fs::write(&user.config, original.replace(&mine, bad)).unwrap();
        user.ekms()
            .args(["sym", "create"])
            .assert()
            .failure()
            .code(1)
            .stderr(predicate::str::contains("the group secret was refused"))
            .stderr(predicate::str::contains("ekms register"));
    }
    std::fs::write(&user.config, &original).unwrap();
    user.create_key(&[]);

    // No secret at all.
    let empty = User::new();
    empty
        .ekms()
        .args(["--server-url", &server.url, "--pin-sha256", &server.sha256])
        .args(["sym", "create"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("ekms register"));

    // A group cannot see another group's keys.
    let key = other.create_key(&["--name", "theirs"]);
    let fresh = User::new();
    fresh.register_pinned(&server);
    fresh
        .ekms()
        .args(["keys", "locate", "--name", "theirs"])
        .assert()
        .success()
        .stdout(predicate::str::contains(key.as_str()).not());
}

#[test]
fn unreachable_server_is_explained() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let user = User::new();
    let url = format!("https://127.0.0.1:{port}");
    user.ekms()
        .args(["--server-url", &url, "--insecure", "health"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(format!(
            "is the server running at {url}?"
        )));
}

/// The identifiers of the table `ekms keys locate` prints: the first column under the header.
fn ids_of_table(table: &str) -> Vec<String> {
    let mut lines = table.lines();
    assert!(
        lines.next().is_some_and(|h| h.starts_with("ID ")),
        "{table}"
    );
    lines
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// The server answers at most `--max-locate-items` identifiers per Locate: `ekms keys locate`
/// says when it shows only part of the matches, and `--offset` reaches the rest.
#[test]
fn keys_locate_says_when_the_answer_is_one_page() {
    let server = start_server_with(&["--max-locate-items", "2"]);
    let user = User::new();
    user.register_pinned(&server);
    let uids: Vec<String> = (0..3).map(|_| user.create_key(&[])).collect();
    let out = user.ekms().args(["keys", "locate"]).assert().success();
    let out = out.get_output();
    let shown = ids_of_table(&String::from_utf8(out.stdout.clone()).unwrap());
    assert_eq!(shown.len(), 2, "{shown:?}");
    let note = String::from_utf8(out.stderr.clone()).unwrap();
    assert!(
        note.contains("2 of 3") && note.contains("--offset 2"),
        "{note}"
    );
    let rest = user
        .ekms()
        .args(["keys", "locate", "--offset", "2"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let rest = ids_of_table(&String::from_utf8(rest).unwrap());
    let mut all: Vec<String> = shown.into_iter().chain(rest).collect();
    all.sort();
    let mut want = uids.clone();
    want.sort();
    assert_eq!(all, want);
    // One page that holds every match says nothing more.
    user.ekms()
        .args(["keys", "locate", "--offset", "2"])
        .assert()
        .success()
        .stderr(predicate::str::contains("of 3").not());
}
