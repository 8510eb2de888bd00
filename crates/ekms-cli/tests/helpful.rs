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

/// A user of a new group on `server`, with one Active key.
fn registered_with_key(server: &Server) -> (User, String) {
    let user = User::new();
    user.register_pinned(server);
    let uid = user.create_key(&[]);
    (user, uid)
}

/// Writes `data` to the file `name` of `user` and encrypts it with `uid` to `name.ekms`.
fn encrypted(user: &User, uid: &str, name: &str, data: &[u8]) -> std::path::PathBuf {
    let plain = user.path(name);
    std::fs::write(&plain, data).unwrap();
    let sealed = user.path(&format!("{name}.ekms"));
    let (code, _, stderr) = run(user
        .ekms()
        .args(["sym", "encrypt", "-k", uid])
        .arg(&plain)
        .arg("-o")
        .arg(&sealed));
    assert_eq!(code, 0, "{stderr}");
    sealed
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

#[test]
fn no_server_running_asks_whether_it_runs() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("https://127.0.0.1:{port}");
    let user = User::new();
    let stderr = failure_stderr(user.ekms().args(["--server-url", &url, "register"]));
    assert!(
        stderr.contains(&format!("hint: is the server running at {url}?")),
        "{stderr}"
    );
}

#[test]
fn the_common_mistakes_against_a_server_say_what_to_do() {
    let server = start_server();

    // An untrusted certificate: run `ekms trust`, or pass --ca / --pin-sha256.
    let stranger = User::new();
    let stderr = failure_stderr(
        stranger
            .ekms()
            .args(["--server-url", &server.url, "register"]),
    );
    assert!(stderr.contains("hint: run `ekms trust`"), "{stderr}");
    assert!(stderr.contains("--pin-sha256"), "{stderr}");

    // No group registered: run `ekms register`.
    let stderr = failure_stderr(stranger.ekms().args([
        "--server-url",
        &server.url,
        "--pin-sha256",
        &server.sha256,
        "keys",
        "locate",
    ]));
    assert!(
        stderr.contains("hint: run `ekms register` first"),
        "{stderr}"
    );

    // A key that is not active: activate it.
    let user = User::new();
    user.register_pinned(&server);
    let pre = user.create_key(&["--no-activate"]);
    let plain = user.path("plain.txt");
    std::fs::write(&plain, b"hello").unwrap();
    let stderr = failure_stderr(
        user.ekms()
            .args(["sym", "encrypt", "-k", &pre])
            .arg(&plain)
            .arg("-o")
            .arg(user.path("plain.ekms")),
    );
    assert!(stderr.contains("ekms keys activate"), "{stderr}");

    // A wrong secret: check the config file, the secret may have been rotated.
    let text = user.config_text();
    let secret = user.secret();
    let mut wrong = secret.clone();
    let last = if wrong.ends_with('A') { 'B' } else { 'A' };
    wrong.pop();
    wrong.push(last);
    std::fs::write(&user.config, text.replace(&secret, &wrong)).unwrap();
    let stderr = failure_stderr(user.ekms().args(["keys", "locate"]));
    assert!(stderr.contains("the group secret was refused"), "{stderr}");
    assert!(stderr.contains("hint: check the config file"), "{stderr}");
    assert!(stderr.contains("rotate-secret"), "{stderr}");
}

#[test]
fn keys_locate_shows_a_table_of_names_types_states_and_dates() {
    let server = start_server();
    let user = User::new();
    user.register_pinned(&server);
    let active = user.create_key(&["--name", "backups"]);
    let pre = user.create_key(&["--name", "archive", "--no-activate"]);

    let (code, stdout, stderr) = run(user.ekms().args(["keys", "locate"]));
    assert_eq!(code, 0, "{stderr}");
    let mut lines = stdout.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        [
            "ID",
            "NAME",
            "TYPE",
            "ALGORITHM",
            "STATE",
            "CREATED",
            "ACTIVATED",
            "DEACTIVATED"
        ]
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split_whitespace().collect()).collect();
    let row = |uid: &str| rows.iter().find(|r| r[0] == uid).unwrap().clone();
    let a = row(&active);
    assert_eq!(
        a[1..5],
        ["backups", "SymmetricKey", "AES", "Active"],
        "{stdout}"
    );
    assert!(a[5].ends_with('Z') && a[6].ends_with('Z'), "{stdout}");
    assert_eq!(a[7], "-", "{stdout}");
    let p = row(&pre);
    assert_eq!(
        p[1..5],
        ["archive", "SymmetricKey", "AES", "PreActive"],
        "{stdout}"
    );
    assert_eq!(p[6], "-", "{stdout}");

    // --json: the same, under stable field names.
    let (code, stdout, stderr) = run(user.ekms().args(["--json", "keys", "locate"]));
    assert_eq!(code, 0, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let keys = json["keys"].as_array().unwrap();
    let key = keys
        .iter()
        .find(|k| k["unique_identifier"] == pre.as_str())
        .unwrap();
    assert_eq!(key["name"], "archive");
    assert_eq!(key["object_type"], "SymmetricKey");
    assert_eq!(key["state"], "PreActive");
    assert!(key["initial_date"].is_string(), "{key}");
    assert!(key["activation_date"].is_null(), "{key}");
}

#[test]
fn decrypting_with_a_destroyed_key_says_so() {
    let server = start_server();
    let (user, uid) = registered_with_key(&server);
    let sealed = encrypted(&user, &uid, "plain.txt", b"soon unreadable");
    for step in ["revoke", "destroy"] {
        let (code, _, stderr) = run(user.ekms().args(["keys", step, &uid]));
        assert_eq!(code, 0, "{step}: {stderr}");
    }
    for client_side in [false, true] {
        let mut cmd = user.ekms();
        cmd.args(["sym", "decrypt"])
            .arg(&sealed)
            .arg("-o")
            .arg(user.path("out.txt"));
        if client_side {
            cmd.arg("--client-side");
        }
        let stderr = failure_stderr(&mut cmd);
        assert!(
            stderr.contains("the key that encrypted it was destroyed"),
            "{stderr}"
        );
        assert!(!stderr.contains("corrupted"), "{stderr}");
        assert!(!user.path("out.txt").exists());
    }
}

#[test]
fn the_output_is_optional_and_never_overwritten_without_force() {
    let server = start_server();
    let (user, uid) = registered_with_key(&server);
    let plain = user.path("notes.txt");
    std::fs::write(&plain, b"dear diary").unwrap();

    // Without -o and with standard output not a terminal (captured here): the stream goes there.
    let (code, stdout, stderr) = run(user.ekms().args(["sym", "encrypt", "-k", &uid]).arg(&plain));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("EKMSSTRM"), "{stderr}");
    assert!(!user.path("notes.txt.ekms").exists());

    // An existing output file is left alone without --force, replaced with it.
    let sealed = user.path("notes.txt.ekms");
    std::fs::write(&sealed, b"precious").unwrap();
    let stderr = failure_stderr(
        user.ekms()
            .args(["sym", "encrypt", "-k", &uid])
            .arg(&plain)
            .arg("-o")
            .arg(&sealed),
    );
    assert!(
        stderr.contains("exists") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&sealed).unwrap(), b"precious");
    let (code, _, stderr) = run(user
        .ekms()
        .args(["sym", "encrypt", "--force", "-k", &uid])
        .arg(&plain)
        .arg("-o")
        .arg(&sealed));
    assert_eq!(code, 0, "{stderr}");
    assert_ne!(std::fs::read(&sealed).unwrap(), b"precious");

    // Decrypting onto the existing plaintext is refused too; --force replaces it.
    let stderr = failure_stderr(
        user.ekms()
            .args(["sym", "decrypt"])
            .arg(&sealed)
            .arg("-o")
            .arg(&plain),
    );
    assert!(stderr.contains("exists"), "{stderr}");
    std::fs::write(&plain, b"changed since").unwrap();
    let (code, _, stderr) = run(user
        .ekms()
        .args(["sym", "decrypt", "--force"])
        .arg(&sealed)
        .arg("-o")
        .arg(&plain));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(std::fs::read(&plain).unwrap(), b"dear diary");

    // Without -o, decrypting to standard output.
    let (code, stdout, stderr) = run(user.ekms().args(["sym", "decrypt"]).arg(&sealed));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "dear diary");
}

#[test]
fn a_truncated_file_is_called_truncated() {
    let server = start_server();
    let (user, uid) = registered_with_key(&server);
    // Five chunks of the default 64 KiB.
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let sealed = encrypted(&user, &uid, "big.bin", &data);
    let good = std::fs::read(&sealed).unwrap();
    let header = good.len() - data.len() - 5 * 16;
    let boundary = header + 4 * (65_536 + 16);

    let bad = user.path("bad.ekms");
    for (name, bytes) in [
        (
            "cut inside the last chunk",
            good[..good.len() - 1000].to_vec(),
        ),
        ("cut at a chunk boundary", good[..boundary].to_vec()),
        ("cut in the middle", good[..good.len() / 2].to_vec()),
    ] {
        std::fs::write(&bad, &bytes).unwrap();
        let stderr = failure_stderr(
            user.ekms()
                .args(["sym", "decrypt"])
                .arg(&bad)
                .arg("-o")
                .arg(user.path("out")),
        );
        assert!(stderr.contains("the file is truncated"), "{name}: {stderr}");
        assert!(!stderr.contains("stream error"), "{name}: {stderr}");
        assert!(!user.path("out").exists(), "{name}");
    }

    // A change early in the file is not called a truncation.
    let mut flipped = good.clone();
    flipped[header + 10] ^= 1;
    std::fs::write(&bad, &flipped).unwrap();
    let stderr = failure_stderr(
        user.ekms()
            .args(["sym", "decrypt"])
            .arg(&bad)
            .arg("-o")
            .arg(user.path("out")),
    );
    let error = stderr.lines().find(|l| l.starts_with("error:")).unwrap();
    assert!(error.contains("modified or corrupted"), "{stderr}");
    assert!(!error.contains("truncated"), "{stderr}");
}

#[test]
fn a_second_user_joins_a_group_with_the_secret_from_stdin_or_a_file() {
    let server = start_server();
    let alice = User::new();
    alice.register_pinned(&server);
    let uid = alice.create_key(&["--name", "shared"]);
    let secret = alice.secret();
    let trust = ["--server-url", &server.url, "--pin-sha256", &server.sha256];

    // From standard input.
    let bob = User::new();
    let (code, stdout, stderr) = run(bob
        .ekms()
        .args(trust)
        .args(["group", "join"])
        .write_stdin(format!("{secret}\n")));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("joined the group"), "{stdout}");
    assert!(!stdout.contains(&secret) && !stderr.contains(&secret));
    assert_eq!(bob.secret(), secret);
    let (code, stdout, stderr) = run(bob.ekms().args(["keys", "locate", "--name", "shared"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(&uid), "{stdout}");

    // From a file; a wrong secret is refused and nothing is stored.
    let carol = User::new();
    let file = carol.path("secret.txt");
    std::fs::write(&file, "not-the-secret\n").unwrap();
    let stderr = failure_stderr(
        carol
            .ekms()
            .args(trust)
            .args(["group", "join", "--secret-file"])
            .arg(&file),
    );
    assert!(stderr.contains("the group secret was refused"), "{stderr}");
    assert!(!carol.config.exists());
    std::fs::write(&file, &secret).unwrap();
    let (code, _, stderr) = run(carol
        .ekms()
        .args(trust)
        .args(["group", "join", "--secret-file"])
        .arg(&file));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(carol.secret(), secret);

    // Never on the command line.
    let dave = User::new();
    let stderr = failure_stderr(
        dave.ekms()
            .args(trust)
            .args(["group", "join", "--secret", &secret]),
    );
    assert!(stderr.contains("unexpected argument"), "{stderr}");
    // A config that already holds a secret is kept unless --force.
    let stderr = failure_stderr(
        bob.ekms()
            .args(["group", "join"])
            .write_stdin(secret.clone()),
    );
    assert!(stderr.contains("already holds a group secret"), "{stderr}");
}

#[test]
fn completions_for_bash_zsh_and_fish() {
    let user = User::new();
    for (shell, marker) in [
        ("bash", "complete -F _ekms"),
        ("zsh", "#compdef ekms"),
        ("fish", "complete -c ekms"),
    ] {
        let (code, stdout, stderr) = run(user.ekms().args(["completions", shell]));
        assert_eq!(code, 0, "{shell}: {stderr}");
        assert!(stdout.contains(marker), "{shell}: {stdout}");
        // Generated from the command tree: subcommands and options are offered.
        for word in ["locate", "json", "rotate-secret", "secret-file"] {
            assert!(stdout.contains(word), "{shell} lacks {word}");
        }
    }
    // No server and no config file are needed.
    assert!(!user.config.exists());
}

/// Runs `ekms --json ARGS` and parses its standard output as one JSON value.
fn json_of(user: &User, args: &[&str]) -> serde_json::Value {
    let (code, stdout, stderr) = run(user.ekms().arg("--json").args(args));
    assert_eq!(code, 0, "{args:?}: {stderr}");
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {stdout}"))
}

#[test]
fn every_command_with_output_answers_json() {
    let server = start_server();
    let user = User::new();
    let url = server.url.clone();
    let pin = server.sha256.clone();
    let reg = json_of(
        &user,
        &["--server-url", &url, "--pin-sha256", &pin, "register"],
    );
    assert!(reg["group_id"].is_string(), "{reg}");

    let created = json_of(&user, &["sym", "create", "--name", "j"]);
    let uid = created["unique_identifier"].as_str().unwrap().to_string();
    let plain = user.path("p.txt");
    std::fs::write(&plain, b"json everywhere").unwrap();
    let (p, e, d) = (
        plain.to_str().unwrap().to_string(),
        user.path("p.ekms").to_str().unwrap().to_string(),
        user.path("p.out").to_str().unwrap().to_string(),
    );
    let enc = json_of(&user, &["sym", "encrypt", "-k", &uid, &p, "-o", &e]);
    assert_eq!(enc["unique_identifier"], uid.as_str(), "{enc}");
    let dec = json_of(&user, &["sym", "decrypt", &e, "-o", &d]);
    assert_eq!(dec["output"], d.as_str(), "{dec}");

    let pair = json_of(&user, &["ec", "keys", "create", "--name", "sig"]);
    let private = pair["private_key"].as_str().unwrap().to_string();
    let public = pair["public_key"].as_str().unwrap().to_string();
    let sig = user.path("p.sig").to_str().unwrap().to_string();
    json_of(&user, &["sign", "-k", &private, &p, "-o", &sig]);
    json_of(&user, &["verify", "-k", &public, &p, "--signature", &sig]);

    let exported = user.path("k.raw").to_str().unwrap().to_string();
    let pre = json_of(&user, &["sym", "create", "--no-activate"]);
    let pre = pre["unique_identifier"].as_str().unwrap().to_string();
    for args in [
        vec!["keys", "get", &uid],
        vec!["keys", "locate"],
        vec!["keys", "export", &uid, "-o", &exported],
        vec!["keys", "activate", &pre],
        vec!["keys", "rekey", &pre],
        vec![
            "access",
            "grant",
            "-k",
            &uid,
            "-u",
            "bob",
            "--operations",
            "get",
        ],
        vec!["access", "list", &uid],
        vec![
            "access",
            "revoke",
            "-k",
            &uid,
            "-u",
            "bob",
            "--operations",
            "get",
        ],
        vec!["access", "owned"],
        vec!["access", "obtained"],
        vec!["audit", "--limit", "5"],
        vec!["keys", "revoke", &uid],
        vec!["keys", "destroy", &uid],
        vec!["health"],
        vec!["version"],
        vec!["group", "rotate-secret"],
    ] {
        json_of(&user, &args);
    }
    let secret = user.secret();
    let bob = User::new();
    let (code, stdout, stderr) = run(bob
        .ekms()
        .args([
            "--json",
            "--server-url",
            &url,
            "--pin-sha256",
            &pin,
            "group",
            "join",
        ])
        .write_stdin(secret));
    assert_eq!(code, 0, "{stderr}");
    let joined: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(joined["joined"], true);
    json_of(&user, &["group", "delete", "--yes"]);
}
