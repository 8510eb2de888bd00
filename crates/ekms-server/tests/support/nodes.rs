//! Nodes on one PostgreSQL database (`--database`), for the tests of several nodes: each a
//! real `ekms-server` with directories of its own.

use super::{Server, bytes, op, text};
use ekms_testkit::postgres::{self, Cluster};
use serde_json::{Value, json};
use std::path::Path;

/// A node on `database` of `cluster`, with directories of its own under `root`, and `extra`
/// arguments.
pub fn node(root: &Path, cluster: &Cluster, database: &str, extra: &[&str]) -> Server {
    let pw = root.join("pg-password");
    std::fs::create_dir_all(root).unwrap();
    std::fs::write(&pw, cluster.password()).unwrap();
    let url = cluster.url(database);
    let mut args = vec![
        "--database",
        &url,
        "--database-password-file",
        pw.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    Server::start_in(root, &args)
}

/// Two nodes on one new database, and a group registered on the first: the nodes, its secret,
/// and the directory of the nodes (removed when dropped). `None` without PostgreSQL.
pub async fn two_nodes() -> Option<(Server, Server, String, tempfile::TempDir)> {
    let cluster = postgres::cluster()?;
    let tmp = tempfile::tempdir().unwrap();
    let db = cluster.database();
    let a = node(&tmp.path().join("a"), cluster, &db, &[]);
    let b = node(&tmp.path().join("b"), cluster, &db, &[]);
    let secret = a.register().await;
    Some((a, b, secret, tmp))
}

pub fn encrypt(uid: &str) -> Value {
    op(
        "Encrypt",
        vec![
            text("UniqueIdentifier", uid),
            bytes("Data", b"several nodes"),
        ],
    )
}

/// Revoke `uid` (reason: Cessation of Operation).
pub fn revoke(uid: &str) -> Value {
    op(
        "Revoke",
        vec![
            text("UniqueIdentifier", uid),
            json!({"tag": "RevocationReason", "type": "Structure", "value": [
                {"tag": "RevocationReasonCode", "type": "Enumeration", "value": "CessationOfOperation"}]}),
        ],
    )
}
