//! The CLI as a new user meets it: names accepted in any case, a wrong name answered with the
//! valid ones, and the five most common mistakes answered with what to do next.
//!
//! Tests that need a server start the real `ekms-server` on an ephemeral port (see `support/`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::*;

/// The stderr of a failed command.
fn failure_stderr(cmd: &mut assert_cmd::Command) -> String {
    let (code, _, stderr) = run(cmd);
    assert_ne!(code, 0, "the command should fail: {stderr}");
    stderr
}

#[test]
fn a_wrong_right_name_lists_the_valid_ones() {
    let user = User::new();
    let stderr = failure_stderr(user.ekms().args([
        "access",
        "grant",
        "-k",
        "some-id",
        "-u",
        "bob",
        "--operations",
        "encrypt,fly",
    ]));
    assert!(stderr.contains("fly"), "{stderr}");
    for right in [
        "get",
        "encrypt",
        "decrypt",
        "mac_verify",
        "get_attributes",
        "audit",
    ] {
        assert!(stderr.contains(right), "{right} missing from: {stderr}");
    }
}

#[test]
fn rights_and_states_are_accepted_in_any_case() {
    let server = start_server();
    let user = User::new();
    user.register_pinned(&server);
    let uid = user.create_key(&["--name", "any-case"]);
    let pre = user.create_key(&["--no-activate"]);

    let (code, stdout, stderr) = run(user.ekms().args([
        "access",
        "grant",
        "-k",
        &uid,
        "-u",
        "bob",
        "--operations",
        "ENCRYPT,Decrypt,MacVerify",
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("granted encrypt,decrypt,mac_verify to bob"),
        "{stdout}"
    );
    // This server has no authentication: bob can never be identified, and the grant says so.
    assert!(
        stderr.contains("warning: the server runs without authentication"),
        "{stderr}"
    );

    for (state, expect, other) in [
        ("ACTIVE", &uid, &pre),
        ("PreActive", &pre, &uid),
        ("pre-active", &pre, &uid),
    ] {
        let (code, stdout, stderr) = run(user.ekms().args(["keys", "locate", "--state", state]));
        assert_eq!(code, 0, "{state}: {stderr}");
        assert!(stdout.contains(expect.as_str()), "{state}: {stdout}");
        assert!(!stdout.contains(other.as_str()), "{state}: {stdout}");
    }
}
