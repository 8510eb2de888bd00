//! Rollbacks a user can see, with the real server and CLI binaries: a group's database put
//! back to an older copy while the server was stopped is refused by the next CLI command of a
//! user who saw the newer state, and the message names both versions.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

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
    let server = start_server_in(dir.path(), "127.0.0.1:0", &[]);
    let listen = server.addr();
    let user = User::new();
    user.register_pinned(&server);
    let uid = user.create_key(&[]);

    // The copy an operator could put back later: the group as it is now.
    let aside = dir.path().join("aside");
    std::fs::create_dir(&aside).unwrap();
    let saved: Vec<(PathBuf, PathBuf)> = group_files(&server.data_dir)
        .into_iter()
        .map(|p| {
            let copy = aside.join(p.file_name().unwrap());
            std::fs::copy(&p, &copy).unwrap();
            (p, copy)
        })
        .collect();

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
    for p in group_files(&data_dir) {
        std::fs::remove_file(p).unwrap();
    }
    for (original, copy) in &saved {
        std::fs::copy(copy, original).unwrap();
    }
    let _server = start_server_in(dir.path(), &listen, &[]);

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
    let user = User::new();
    user.register_pinned(&server);
    let uid = user.create_key(&[]);
    let state_dir = user.dir.path().join(".local/state/ekms");
    let before = remembered_version(&state_dir);
    let results: Vec<(i32, String, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..6)
            .map(|i| {
                let user = &user;
                let uid = &uid;
                scope.spawn(move || {
                    if i % 2 == 0 {
                        run(user.ekms().args(["sym", "create"]))
                    } else {
                        run(user.ekms().args(["keys", "get", uid]))
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
    // A read now states the group's newest state: the memory already held it.
    let (code, _, stderr) = run(user.ekms().args(["keys", "get", &uid]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(remembered_version(&state_dir), after_burst);
}
