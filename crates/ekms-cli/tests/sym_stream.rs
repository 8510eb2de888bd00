//! End-to-end tests of `ekms sym encrypt/decrypt` in the stream format (docs/stream-format.md)
//! against the real `ekms-server`: round trips through the server and client side at the
//! chunk boundaries, standard input and output, each side reading the other's streams, version
//! 1 files still read, and failures (over the size limit, tampered) that leave no output.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use predicates::prelude::*;
use std::io::Write as _;
use std::path::Path;
use support::*;

const CHUNK: usize = 64 * 1024;

fn data(n: usize) -> Vec<u8> {
    (0..n as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect()
}

fn setup(extra: &[&str]) -> (Server, User, String) {
    let server = start_server_with(extra);
    let user = User::new();
    user.register_pinned(&server);
    let uid = user.create_key(&[]);
    (server, user, uid)
}

fn encrypt(user: &User, uid: &str, input: &Path, output: &Path, client_side: bool) {
    let mut cmd = user.ekms();
    cmd.args(["sym", "encrypt", "--key", uid])
        .arg(input)
        .arg("-o")
        .arg(output);
    if client_side {
        cmd.arg("--client-side");
    }
    cmd.assert().success();
}

fn decrypt(user: &User, input: &Path, output: &Path, client_side: bool) {
    let mut cmd = user.ekms();
    cmd.args(["sym", "decrypt"])
        .arg(input)
        .arg("-o")
        .arg(output);
    if client_side {
        cmd.arg("--client-side");
    }
    cmd.assert().success();
}

/// Only the named files are in the user's directory (no temporary file was left behind),
/// besides the config and the group states the CLI remembers (`~/.local/state/ekms`).
fn assert_files(user: &User, expected: &[&str]) {
    let mut names: Vec<String> = std::fs::read_dir(user.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "cfg" && n != ".local")
        .collect();
    names.sort();
    let mut expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(names, expected);
}

#[test]
fn round_trips_at_chunk_boundaries_both_sides() {
    let (_server, user, uid) = setup(&[]);
    let sizes = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17];
    for size in sizes {
        let plain = user.path("plain");
        std::fs::write(&plain, data(size)).unwrap();
        // enc_side: who encrypts; dec_side: who decrypts (false = server, true = client).
        for (enc_side, dec_side) in [(false, false), (true, true), (false, true), (true, false)] {
            let enc = user.path("enc");
            let out = user.path("out");
            encrypt(&user, &uid, &plain, &enc, enc_side);
            let stream = std::fs::read(&enc).unwrap();
            assert!(stream.starts_with(b"EKMSSTRM"), "size {size}");
            let chunks = size.div_ceil(CHUNK).max(1);
            assert!(
                stream.len() > size + 16 * chunks,
                "size {size}: {} bytes",
                stream.len()
            );
            decrypt(&user, &enc, &out, dec_side);
            assert_eq!(
                std::fs::read(&out).unwrap(),
                data(size),
                "size {size}, encrypted client side {enc_side}, decrypted client side {dec_side}"
            );
            std::fs::remove_file(&out).unwrap();
            std::fs::remove_file(&enc).unwrap();
        }
    }
    assert_files(&user, &["plain"]);
}

#[test]
fn stdin_to_stdout() {
    let (server, user, uid) = setup(&[]);
    let input = data(2 * CHUNK + 5);
    for client_side in [false, true] {
        let mut cmd = user.ekms();
        cmd.args(["sym", "encrypt", "--key", &uid, "-", "-o", "-"]);
        if client_side {
            cmd.arg("--client-side");
        }
        let stream = cmd
            .write_stdin(input.clone())
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        assert!(stream.starts_with(b"EKMSSTRM"));
        let mut cmd = user.ekms();
        cmd.args(["sym", "decrypt", "-", "-o", "-"]);
        if !client_side {
            cmd.arg("--client-side");
        }
        let plain = cmd
            .write_stdin(stream)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        assert_eq!(plain, input);
    }
    // The server did the work once each way, and the CLI streamed over HTTP/1.1
    // (Context::stream_client says why).
    let log = server.log();
    let streamed: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("request answered") && l.contains("/v1/"))
        .collect();
    assert_eq!(streamed.len(), 2, "{log}");
    assert!(
        streamed.iter().all(|l| l.contains("http=HTTP/1.1")),
        "{log}"
    );
}

#[test]
fn version_1_files_still_decrypt() {
    let (_server, user, uid) = setup(&[]);
    let plain = user.path("plain");
    let enc = user.path("enc");
    let out = user.path("out");
    std::fs::write(&plain, data(1000)).unwrap();
    user.ekms()
        .args(["sym", "encrypt", "--legacy-v1", "--key", &uid])
        .arg(&plain)
        .arg("-o")
        .arg(&enc)
        .assert()
        .success();
    let file = std::fs::read(&enc).unwrap();
    assert_eq!(&file[..5], b"EKMS\x01");
    decrypt(&user, &enc, &out, false);
    assert_eq!(std::fs::read(&out).unwrap(), data(1000));
    // From standard input too.
    let got = user
        .ekms()
        .args(["sym", "decrypt", "--key", &uid, "-", "-o", "-"])
        .write_stdin(file)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(got, data(1000));
}

#[test]
fn over_the_limit_fails_and_leaves_no_output() {
    let (_server, user, uid) = setup(&["--max-payload-bytes", "100000"]);
    let plain = user.path("plain");
    let enc = user.path("enc");
    // Exactly the limit passes.
    std::fs::write(&plain, data(100_000)).unwrap();
    encrypt(&user, &uid, &plain, &enc, false);
    std::fs::remove_file(&enc).unwrap();
    // One byte more: refused from its Content-Length.
    std::fs::write(&plain, data(100_001)).unwrap();
    user.ekms()
        .args(["sym", "encrypt", "--key", &uid])
        .arg(&plain)
        .arg("-o")
        .arg(&enc)
        .assert()
        .failure();
    assert_files(&user, &["plain"]);
    // Through standard input (chunked, no length): the server cuts the answer; the exit
    // status is non-zero.
    user.ekms()
        .args(["sym", "encrypt", "--key", &uid, "-", "-o", "-"])
        .write_stdin(data(300_000))
        .assert()
        .failure();
    // From standard input into a file: the partial output is removed.
    user.ekms()
        .args(["sym", "encrypt", "--key", &uid, "-", "-o"])
        .arg(&enc)
        .write_stdin(data(300_000))
        .assert()
        .failure();
    assert_files(&user, &["plain"]);
}

#[test]
fn tampered_streams_fail_and_leave_no_output() {
    let (_server, user, uid) = setup(&[]);
    let plain = user.path("plain");
    let enc = user.path("enc");
    let out = user.path("out");
    std::fs::write(&plain, data(3 * CHUNK + 100)).unwrap();
    encrypt(&user, &uid, &plain, &enc, false);
    let good = std::fs::read(&enc).unwrap();
    let len = good.len();
    let mut flipped = good.clone();
    flipped[len - 40] ^= 1;
    let truncated = good[..len - (CHUNK + 16) - 100].to_vec();
    let mut cut_at_boundary = good.clone();
    cut_at_boundary.truncate(len - 116);
    for (name, bad) in [
        ("flipped", flipped),
        ("truncated", truncated),
        ("cut", cut_at_boundary),
    ] {
        std::fs::write(&enc, &bad).unwrap();
        for client_side in [false, true] {
            let mut cmd = user.ekms();
            cmd.args(["sym", "decrypt"]).arg(&enc).arg("-o").arg(&out);
            if client_side {
                cmd.arg("--client-side");
            }
            cmd.assert()
                .failure()
                .stderr(predicate::str::contains("fail"));
            assert!(!out.exists(), "{name}, client side {client_side}");
            assert_files(&user, &["plain", "enc"]);
        }
        // On standard output the exit status is non-zero.
        user.ekms()
            .args(["sym", "decrypt", "-", "-o", "-"])
            .write_stdin(bad)
            .assert()
            .failure();
    }
    // The wrong --key is refused before any request.
    std::fs::write(&enc, &good).unwrap();
    user.ekms()
        .args(["sym", "decrypt", "--key", "other"])
        .arg(&enc)
        .arg("-o")
        .arg(&out)
        .assert()
        .failure()
        .stderr(predicate::str::contains("not other"));
    assert!(!out.exists());
    let _ = std::io::stderr().flush();
}
