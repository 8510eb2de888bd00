//! Rollbacks a user can see, with the real server and CLI binaries, on both stores: a group's
//! database file put back to an older copy (SQLCipher), or a `pg_dump` restored (PostgreSQL),
//! while the server was stopped is refused by the next CLI command of a user who saw the newer
//! state, and the message names both versions; commands at once never accuse each other, on
//! one server or on two nodes of one database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use ekms_testkit::postgres::Cluster;
use std::path::{Path, PathBuf};
use support::{User, run, start_server_in};

/// The database files of the one group in `data_dir` (the file and its WAL and shared memory).
fn group_files(data_dir: &Path) -> Vec<PathBuf> {
    let groups = data_dir.join("groups");
    let files: Vec<PathBuf> = std::fs::read_dir(&groups)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            name.ends_with(".db") || name.ends_with(".db-wal") || name.ends_with(".db-shm")
        })
        .collect();
    assert!(
        !files.is_empty(),
        "no group database in {}",
        groups.display()
    );
    files
}

#[test]
fn a_database_put_back_is_refused_by_the_next_command() {
    let dir = tempfile::tempdir().unwrap();
    let aside = dir.path().join("aside");
    refused_once_put_back(
        dir.path(),
        &[],
        |data_dir| -> Vec<(PathBuf, PathBuf)> {
            std::fs::create_dir(&aside).unwrap();
            group_files(data_dir)
                .into_iter()
                .map(|p| {
                    let copy = aside.join(p.file_name().unwrap());
                    std::fs::copy(&p, &copy).unwrap();
                    (p, copy)
                })
                .collect()
        },
        |data_dir, saved| {
            for p in group_files(data_dir) {
                std::fs::remove_file(p).unwrap();
            }
            for (original, copy) in &saved {
                std::fs::copy(copy, original).unwrap();
            }
        },
    );
}

/// The same on PostgreSQL: a `pg_dump` of the database taken aside, the key revoked, the
/// database dropped and the dump restored into it while the server is stopped.
#[test]
fn a_restored_pg_dump_is_refused_by_the_next_command() {
    let Some((cluster, dir, db, args)) = new_database() else {
        return;
    };
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    refused_once_put_back(
        dir.path(),
        &args,
        |_| cluster.dump(&db),
        |_, dump| {
            let sql = |database: &str, input: &str| {
                let mut cmd = cluster.client("psql", database);
                cmd.args(["-q", "-v", "ON_ERROR_STOP=1", "-f", "-"]);
                let out = run_with_input(cmd, input);
                assert!(out.status.success(), "psql: {out:?}");
            };
            sql(
                "postgres",
                &format!("DROP DATABASE \"{db}\"; CREATE DATABASE \"{db}\";"),
            );
            sql(&db, &dump);
        },
    );
}

/// A new database of the tests' cluster (`None` without PostgreSQL): the cluster, a directory
/// for the servers, the database's name, and the server arguments that use it (`--database`,
/// `--database-password-file` with the file in that directory).
fn new_database() -> Option<(&'static Cluster, tempfile::TempDir, String, Vec<String>)> {
    let cluster = ekms_testkit::postgres::cluster()?;
    let dir = tempfile::tempdir().unwrap();
    let db = cluster.database();
    let pw = dir.path().join("pg-password");
    std::fs::write(&pw, cluster.password()).unwrap();
    let args = vec![
        "--database".into(),
        cluster.url(&db),
        "--database-password-file".into(),
        pw.display().to_string(),
    ];
    Some((cluster, dir, db, args))
}

/// `cmd` run with `input` on its stdin: its output.
fn run_with_input(mut cmd: std::process::Command, input: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    out
}

/// A rollback on any store, seen by the CLI: a server in `dir` with `extra` arguments, a user
/// who creates a key; `save` keeps the group's storage as it is then (given the data dir), the
/// user revokes the key, and `put_back` restores the saved storage while the server is
/// stopped. The next command of that user is refused, naming both versions; a user who never
/// saw the newer state is served (what this cannot detect).
fn refused_once_put_back<S>(
    dir: &Path,
    extra: &[&str],
    save: impl FnOnce(&Path) -> S,
    put_back: impl FnOnce(&Path, S),
) {
    let server = start_server_in(dir, "127.0.0.1:0", extra);
    let listen = server.addr();
    let user = User::new();
    user.register_pinned(&server);
    let uid = user.create_key(&[]);

    // The copy an operator could put back later: the group as it is now.
    let saved = save(&server.data_dir);

    // The user revokes the key: the group moves on, and the CLI remembers it did.
    let state_dir = user.dir.path().join(".local/state/ekms");
    let before = remembered_version(&state_dir);
    let (code, stdout, stderr) =
        run(user
            .ekms()
            .args(["keys", "revoke", &uid, "--reason", "cessation-of-operation"]));
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let after = remembered_version(&state_dir);
    assert_eq!(after, before + 1);

    // Stop the server, put the old copy back, start it again on the same address.
    let data_dir = server.data_dir.clone();
    drop(server);
    put_back(&data_dir, saved);
    let _server = start_server_in(dir, &listen, extra);

    // The revoked key is active again in the store; the user who saw the revoke refuses.
    let (code, stdout, stderr) = run(user.ekms().args(["keys", "get", &uid]));
    assert_ne!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(!stdout.contains("Active"), "{stdout}");
    assert!(stderr.contains("rolled back"), "{stderr}");
    assert!(stderr.contains(&format!("saw version {after}")), "{stderr}");
    assert!(stderr.contains(&format!("at version {before}")), "{stderr}");
    // And it goes on refusing: the memory was not lowered.
    assert_eq!(remembered_version(&state_dir), after);

    // A user who never saw the newer state cannot tell (docs/server.md says so): the same
    // secret, with no memory, is served.
    let fresh = User::new();
    std::fs::create_dir_all(fresh.config.parent().unwrap()).unwrap();
    std::fs::write(&fresh.config, user.config_text()).unwrap();
    let (code, stdout, stderr) = run(fresh.ekms().args(["keys", "get", &uid]));
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains("Active"),
        "the revoke was rolled back: {stdout}"
    );
}

/// The version the CLI remembers for the one group it has used.
fn remembered_version(state_dir: &Path) -> u64 {
    let files: Vec<PathBuf> = std::fs::read_dir(state_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "state"))
        .collect();
    assert_eq!(files.len(), 1, "one group's state: {files:?}");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    text.split_whitespace().next().unwrap().parse().unwrap()
}

/// `ekms` commands of one user running at once (each its own process, one memory): none
/// accuses another, and the memory ends at the group's newest state (merged by max).
#[test]
fn commands_at_once_raise_no_false_alarm() {
    let server = support::start_server();
    commands_at_once(&[&server]);
}

/// The same on two nodes of one PostgreSQL database, the commands spread over both: each
/// node states the group's newest state, whichever committed it.
#[test]
fn commands_at_once_on_two_nodes_raise_no_false_alarm() {
    let Some((_, dir, _, args)) = new_database() else {
        return;
    };
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let a = start_server_in(&dir.path().join("a"), "127.0.0.1:0", &args);
    let b = start_server_in(&dir.path().join("b"), "127.0.0.1:0", &args);
    commands_at_once(&[&a, &b]);
}

/// Six commands of one user at once, creates and reads, spread over `servers` (the first
/// registers the group): all succeed, and the memory ends at the newest state.
fn commands_at_once(servers: &[&support::Server]) {
    let user = User::new();
    user.register_pinned(servers[0]);
    let uid = user.create_key(&[]);
    let state_dir = user.dir.path().join(".local/state/ekms");
    let before = remembered_version(&state_dir);
    let on = |i: usize| {
        let s = servers[i % servers.len()];
        let mut cmd = user.ekms();
        cmd.args(["--server-url", &s.url, "--pin-sha256", &s.sha256]);
        cmd
    };
    let results: Vec<(i32, String, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..6)
            .map(|i| {
                let uid = &uid;
                let mut cmd = on(i / 2);
                scope.spawn(move || {
                    if i % 2 == 0 {
                        run(cmd.args(["sym", "create"]))
                    } else {
                        run(cmd.args(["keys", "get", uid]))
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (code, stdout, stderr) in &results {
        assert_eq!(*code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    }
    let after_burst = remembered_version(&state_dir);
    assert!(after_burst >= before + 3, "{before} -> {after_burst}");
    // A read now, on every server, states the group's newest state: the memory already held it.
    for i in 0..servers.len() {
        let (code, _, stderr) = run(on(i).args(["keys", "get", &uid]));
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(remembered_version(&state_dir), after_burst);
    }
}
