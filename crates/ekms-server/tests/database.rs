//! `--database`: the server's start-up against PostgreSQL. A database that cannot be reached
//! stops the start-up with its host and the reason; the password (given in a file) never
//! shows in what the server prints, nor does one put in the URL by mistake.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ekms_testkit::{SERVER_ENV, clear_env, postgres};
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// A password no message could contain by chance.
const PASSWORD: &str = "pw-7f3a9c1e-never-shown";

/// Runs the server with `database` (and the password file) until it exits.
fn start_with(root: &Path, database: &str, password: &str) -> Output {
    let pw = root.join("password");
    std::fs::write(&pw, format!("{password}\n")).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ekms-server"));
    clear_env(&mut cmd, SERVER_ENV);
    cmd.args(["--listen", "127.0.0.1:0", "--database", database])
        .arg("--database-password-file")
        .arg(&pw)
        .arg("--data-dir")
        .arg(root.join("data"))
        .arg("--emulated-platform-dir")
        .arg(root.join("platform"))
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Checks that the server refused to start, saying each of `says`, never `PASSWORD`, and
/// never that it listens.
fn refused_saying(out: &Output, says: &[&str]) {
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{said}");
    for s in says {
        assert!(said.contains(s), "{s}: {said}");
    }
    assert!(!said.contains("listening on"), "{said}");
    assert!(!said.contains(PASSWORD), "{said}");
}

#[test]
fn an_unreachable_database_or_a_password_in_the_url_stops_the_start() {
    let port = postgres::free_port();
    let host = format!("127.0.0.1:{port}");
    for (url, password, says) in [
        // The host and the reason are named.
        (
            format!("postgresql://ekms@{host}/ekms"),
            PASSWORD,
            vec![host.as_str(), "Connection refused"],
        ),
        // Refused before connecting, without repeating the URL.
        (
            format!("postgresql://ekms:{PASSWORD}@{host}/ekms"),
            "other",
            vec!["carries a password"],
        ),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        refused_saying(&start_with(tmp.path(), &url, password), &says);
    }
}

#[test]
fn a_wrong_password_is_refused_without_showing_it() {
    let Some(cluster) = postgres::cluster() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let db = cluster.database();
    let out = start_with(tmp.path(), &cluster.url(&db), PASSWORD);
    refused_saying(
        &out,
        &[
            "password authentication failed",
            &format!("127.0.0.1:{}", cluster.port()),
        ],
    );
}
