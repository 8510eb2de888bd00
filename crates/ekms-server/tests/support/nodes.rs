//! Nodes on one PostgreSQL database (`--database`), for the tests of several nodes: each a
//! real `ekms-server` with directories of its own.

use super::{Server, bytes, create_key, op, text, uid_of};
use ekms_testkit::postgres::{self, Cluster};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A node on `database` of `cluster`, with directories of its own under `root`, and `extra`
/// arguments.
pub fn node(root: &Path, cluster: &Cluster, database: &str, extra: &[&str]) -> Server {
    node_at(root, &cluster.url(database), cluster.password(), extra)
}

/// A node on the database of `url` (whose role has `password`), with directories of its own
/// under `root`, and `extra` arguments.
pub fn node_at(root: &Path, url: &str, password: &str, extra: &[&str]) -> Server {
    let pw = root.join("pg-password");
    std::fs::create_dir_all(root).unwrap();
    std::fs::write(&pw, password).unwrap();
    let mut args = vec![
        "--database",
        url,
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

/// The answer to one request of a load: its status (0: no answer, the connection failed),
/// when it was sent and how long it took.
#[derive(Clone, Copy, Debug)]
pub struct Answer {
    pub status: u16,
    pub sent: Instant,
    pub took: Duration,
}

/// Creates keys on `node` until `stop` is set or a request gets no answer (the node died);
/// records every answer in `answers` and the uid of every Create answered 200 in `created`.
pub async fn create_until(
    node: &Server,
    secret: &str,
    stop: &AtomicBool,
    created: &Mutex<Vec<String>>,
    answers: &Mutex<Vec<Answer>>,
) {
    while !stop.load(Ordering::SeqCst) {
        let sent = Instant::now();
        let r = node
            .http
            .post(format!("{}/kmip/2_1", node.url))
            .header("KmsDatabaseSecret", secret)
            .json(&create_key("AES", 256, None, true))
            .send()
            .await;
        let status = r.as_ref().map_or(0, |r| r.status().as_u16());
        let body = match r {
            Ok(r) if status == 200 => r.json::<Value>().await.ok(),
            _ => None,
        };
        answers.lock().unwrap().push(Answer {
            status,
            sent,
            took: sent.elapsed(),
        });
        if status == 0 {
            return;
        }
        if let Some(body) = body {
            let items = body["value"].as_array().cloned().unwrap_or_default();
            created.lock().unwrap().push(uid_of(&items));
        }
    }
}
