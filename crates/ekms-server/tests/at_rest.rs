//! What the server leaves on disk and in its log: the group database is encrypted, and no
//! group key, token, key material or stored plaintext appears in any file or log line; the
//! TLS identity survives a restart sealed, and is bound to the platform and the binary.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::Value;
use std::path::PathBuf;
use support::*;

#[tokio::test]
async fn nothing_secret_reaches_disk_or_log() {
    use base64::Engine;
    let tmp = tempfile::tempdir().unwrap();
    let mut s = Server::start_in(tmp.path(), &[]);
    let secret = s.register().await;
    let token: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&secret)
            .unwrap(),
    )
    .unwrap();
    let group_key_hex = token["key"].as_str().unwrap().to_string();
    let group_key = hex::decode(&group_key_hex).unwrap();
    let marker = format!("MARKER-{}", uuid_like());
    let uid = uid_of(
        &s.ok(&secret, create_key("AES", 256, Some(&marker), true))
            .await,
    );
    let got = s.ok(&secret, uid_op("Get", &uid)).await;
    let block = field(&got, "SymmetricKey").as_array().unwrap()[0]["value"].clone();
    let value = field(block.as_array().unwrap(), "KeyValue")
        .as_array()
        .unwrap()
        .clone();
    let material = hex::decode(field(&value, "KeyMaterial").as_str().unwrap()).unwrap();

    let material_hex = hex::encode(&material);
    let data_dir = s.data_dir.clone();
    let check = |when: &str, log: String| {
        let files = files_under(&data_dir);
        let dbs: Vec<_> = files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "db"))
            .collect();
        // On PostgreSQL (EKMS_TEST_DATABASE) the group lives in the database, not in a file of
        // the data dir: its `pg_dump` is checked as one more file.
        let dump = database_dump(&data_dir);
        assert_eq!(
            dbs.len(),
            usize::from(dump.is_none()),
            "{when}: one group database expected (none on PostgreSQL), got {files:?}"
        );
        let dumped = dump.map(|d| (PathBuf::from("pg_dump"), d.into_bytes()));
        let read = files.iter().map(|p| (p.clone(), std::fs::read(p).unwrap()));
        for (p, bytes) in read.chain(dumped) {
            if p.extension().is_some_and(|e| e == "db") {
                assert!(
                    !bytes.starts_with(b"SQLite format 3"),
                    "{when}: {p:?} is not encrypted"
                );
            }
            for (what, needle) in [
                ("the token", secret.as_bytes()),
                ("the group key (hex)", group_key_hex.as_bytes()),
                (
                    "the group key (HEX)",
                    group_key_hex.to_uppercase().as_bytes(),
                ),
                ("the group key (raw)", &group_key[..]),
                ("the stored marker", marker.as_bytes()),
                ("the key material", &material[..]),
                // pg_dump writes bytea as hex.
                ("the key material (hex)", material_hex.as_bytes()),
                ("a PEM private key", b"PRIVATE KEY"),
            ] {
                assert!(!contains(&bytes, needle), "{when}: {what} found in {p:?}");
            }
        }
        for (what, needle) in [
            ("the token", secret.as_str()),
            ("the group key", group_key_hex.as_str()),
            ("the stored marker", marker.as_str()),
        ] {
            assert!(
                !log.contains(needle),
                "{when}: {what} found in the server log"
            );
        }
        assert!(
            log.contains("group registered"),
            "the log is being captured"
        );
    };
    check("while running", s.log());
    s.kill();
    check("after a crash", s.log());
}

fn uuid_like() -> String {
    let mut b = [0u8; 8];
    for (i, x) in b.iter_mut().enumerate() {
        *x = (std::process::id() as u8)
            .wrapping_mul(31)
            .wrapping_add(i as u8 * 7)
            ^ (std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos() as u8);
    }
    hex::encode(b)
}

#[tokio::test]
async fn certificate_is_kept_sealed_and_bound_to_platform_and_binary() {
    let tmp = tempfile::tempdir().unwrap();
    let first = Server::start_in(tmp.path(), &[]);
    let sha = first.cert_sha256.clone();
    let secret = first.register().await;
    let uid = uid_of(&first.ok(&secret, create_key("AES", 256, None, true)).await);
    drop(first);

    // Same binary, same platform: the same certificate, and the group is still there.
    let again = Server::start_in(tmp.path(), &[]);
    assert_eq!(again.cert_sha256, sha);
    again.ok(&secret, uid_op("Get", &uid)).await;
    let sealed = std::fs::read(again.data_dir.join("tls.sealed")).unwrap();
    assert!(!contains(&sealed, b"BEGIN"), "the sealed file holds no PEM");
    drop(again);

    // Another platform (another emulated CPU) cannot unseal it: a new certificate.
    let other_platform = tmp.path().join("platform2");
    let moved = Server::start_dirs(tmp.path().join("data"), other_platform, &[], &[]);
    assert_ne!(moved.cert_sha256, sha);
    drop(moved);

    // A changed binary measures differently, so it cannot unseal the key either.
    let tmp2 = tempfile::tempdir().unwrap();
    let base = Server::start_in(tmp2.path(), &[]);
    let base_sha = base.cert_sha256.clone();
    drop(base);
    let exe = tmp2.path().join("ekms-server-changed");
    let mut bytes = std::fs::read(env!("CARGO_BIN_EXE_ekms-server")).unwrap();
    bytes.extend_from_slice(b"a changed build");
    std::fs::write(&exe, bytes).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut cmd = std::process::Command::new(&exe);
    let data = tmp2.path().join("data");
    let platform = tmp2.path().join("platform");
    cmd.args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .arg("--emulated-platform-dir")
        .arg(&platform)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let changed = Server::spawn(cmd, data, platform);
    assert_ne!(changed.cert_sha256, base_sha);
    assert!(changed.log().contains("cannot be unsealed"));
}

#[test]
fn platform_dir_inside_data_dir_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ekms-server"))
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(tmp.path().join("data"))
        .arg("--emulated-platform-dir")
        .arg(tmp.path().join("data/platform"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("must not be inside the data dir"), "{err}");
}
