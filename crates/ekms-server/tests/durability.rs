//! Durability: the server is SIGKILLed while it creates keys in a loop; after a restart the
//! database opens, every key whose creation was acknowledged is there, and every object
//! found is whole (its material and attributes read back).

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::*;

async fn create_loop(
    s: Arc<(String, reqwest::Client)>,
    secret: String,
    acked: Arc<Mutex<Vec<String>>>,
) {
    let (url, http) = (&s.0, &s.1);
    let body = serde_json::to_vec(&create_key("AES", 256, Some("durable"), true)).unwrap();
    loop {
        let r = http
            .post(format!("{url}/kmip/2_1"))
            .header("KmsDatabaseSecret", &secret)
            .body(body.clone())
            .send()
            .await;
        let Ok(r) = r else { return };
        if r.status() != 200 {
            return;
        }
        let Ok(v) = r.json::<Value>().await else {
            return;
        };
        let items = v["value"].as_array().cloned().unwrap_or_default();
        acked.lock().unwrap().push(uid_of(&items));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_while_creating_loses_nothing_acknowledged() {
    let tmp = tempfile::tempdir().unwrap();
    let mut server = Server::start_in(tmp.path(), &[]);
    let secret = server.register().await;
    let mut all_acked: Vec<String> = Vec::new();

    for round in 0..3 {
        let acked = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::new((server.url.clone(), server.http.clone()));
        let workers: Vec<_> = (0..4)
            .map(|_| tokio::spawn(create_loop(shared.clone(), secret.clone(), acked.clone())))
            .collect();
        // Let the writers get going, then kill the server in the middle of their requests.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while acked.lock().unwrap().len() < 40 + 20 * round {
            assert!(
                std::time::Instant::now() < deadline,
                "the server made too few keys"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        server.kill();
        for w in workers {
            w.await.unwrap();
        }
        all_acked.extend(acked.lock().unwrap().iter().cloned());

        server = Server::start_in(tmp.path(), &[]);
        // The database opens with the same secret and every acknowledged key is whole.
        for uid in &all_acked {
            let got = server.ok(&secret, uid_op("Get", uid)).await;
            let block = field(&got, "SymmetricKey").as_array().unwrap()[0]["value"].clone();
            let value = field(block.as_array().unwrap(), "KeyValue")
                .as_array()
                .unwrap()
                .clone();
            let material = hex::decode(field(&value, "KeyMaterial").as_str().unwrap()).unwrap();
            assert_eq!(material.len(), 32, "round {round}: key {uid} is damaged");
        }
        // Keys committed but not acknowledged (in flight at the kill) may exist; none is partial.
        let found = server
            .ok(
                &secret,
                op(
                    "Locate",
                    vec![json!({"tag": "Attributes", "type": "Structure", "value": []})],
                ),
            )
            .await;
        let located: Vec<String> = found
            .iter()
            .filter(|i| i["tag"] == "UniqueIdentifier")
            .map(|i| i["value"].as_str().unwrap().to_string())
            .collect();
        assert!(located.len() >= all_acked.len());
        for uid in &located {
            let attrs = server.ok(&secret, uid_op("GetAttributes", uid)).await;
            let list = field(&attrs, "Attributes").as_array().unwrap().clone();
            assert_eq!(field(&list, "State"), "Active", "round {round}: {uid}");
            server.ok(&secret, uid_op("Get", uid)).await;
        }
        for uid in &all_acked {
            assert!(located.contains(uid), "round {round}: {uid} not located");
        }
    }
}
