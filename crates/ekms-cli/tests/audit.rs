//! `ekms audit retention` and `ekms audit export` against the real server: the policy is set
//! and read back, and an export writes the rows (JSON lines, as `GET /audit` answers them)
//! before pruning them from the group.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use predicates::prelude::*;
use serde_json::Value;
use support::{User, start_server};

fn json_out(cmd: &mut assert_cmd::Command) -> Value {
    let out = cmd.assert().success().get_output().stdout.clone();
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn retention_is_set_and_export_writes_the_rows_then_prunes_them() {
    let server = start_server();
    let user = User::new();
    user.register_pinned(&server);
    let uid = user.create_key(&[]);

    user.ekms()
        .args([
            "audit",
            "retention",
            "--max-rows",
            "1000",
            "--max-age-days",
            "7",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("max rows: 1000 rows"))
        .stdout(predicate::str::contains("max age:  7 days"));
    // A bound not given keeps its value.
    let policy = json_out(
        user.ekms()
            .args(["--json", "audit", "retention", "--max-rows", "500"]),
    );
    assert_eq!(policy["max_rows"], 500);
    assert_eq!(policy["max_age_days"], 7);

    let before = json_out(user.ekms().args(["--json", "audit"]));
    let before = before.as_array().unwrap();
    assert!(!before.is_empty());
    let file = user.path("audit.jsonl");
    user.ekms()
        .args(["audit", "export", "-o"])
        .arg(&file)
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "{} audit rows written",
            before.len()
        )));
    let text = std::fs::read_to_string(&file).unwrap();
    let rows: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), before.len(), "{text}");
    // Oldest first, as the server shapes them: the key's creation is there, with its object.
    assert!(
        rows.iter().any(|r| r["operation"] == "Create"
            && r["object"] == uid.as_str()
            && r["result"] == "ok"),
        "{text}"
    );
    assert!(rows.iter().all(|r| r["time"].is_i64()), "{text}");
    // Pruned from the group once written.
    let after = json_out(user.ekms().args(["--json", "audit"]));
    assert_eq!(after.as_array().unwrap().len(), 0, "{after}");
    // An existing file is never overwritten.
    user.ekms()
        .args(["audit", "export", "-o"])
        .arg(&file)
        .assert()
        .failure()
        .stderr(predicate::str::contains("never overwritten"));
}
