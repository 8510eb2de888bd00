//! Two nodes on one PostgreSQL database behind one HAProxy (ekms-testkit's `haproxy`: TLS passed
//! through in `mode tcp`, round robin): through the one address, every operation is answered by
//! either node, each showing its own TLS certificate, and what one answered holds whichever
//! answers next; a node that dies leaves the rotation by the health check. Without PostgreSQL
//! or HAProxy installed the test skips (one line), unless `CI` is set.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use ekms_testkit::haproxy::Haproxy;
use serde_json::Value;
use std::time::Duration;
use support::nodes::{encrypt, node, revoke};
use support::{Server, create_key, tls_trusting, uid_of};

/// A client of the proxy trusting the certificate of each node, opening a new connection per
/// request (so that round robin spreads the requests) and keeping the certificate each
/// connection presented.
fn client_of(nodes: &[&Server]) -> reqwest::Client {
    let pems: Vec<Vec<u8>> = nodes
        .iter()
        .map(|n| std::fs::read(n.data_dir.join("certificate.pem")).unwrap())
        .collect();
    let pems: Vec<&[u8]> = pems.iter().map(Vec::as_slice).collect();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls_trusting(&pems))
        .tls_info(true)
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// The certificate (DER) the node presents on TLS.
fn certificate(n: &Server) -> rustls::pki_types::CertificateDer<'static> {
    let pem = std::fs::read(n.data_dir.join("certificate.pem")).unwrap();
    rustls_pemfile::certs(&mut &pem[..])
        .next()
        .unwrap()
        .unwrap()
}

/// One request through the proxy: the status, the JSON body and which of `nodes` answered
/// (known by the certificate its connection presented).
async fn send(nodes: &[&Server], request: reqwest::RequestBuilder) -> (u16, Value, usize) {
    let r = request.send().await.unwrap();
    let presented = r
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|i| i.peer_certificate())
        .expect("the connection's certificate")
        .to_vec();
    let node = nodes
        .iter()
        .position(|n| certificate(n).as_ref() == presented.as_slice())
        .expect("a certificate of neither node: the proxy terminated TLS");
    let status = r.status().as_u16();
    let body = r.json().await.unwrap_or(Value::Null);
    (status, body, node)
}

#[tokio::test]
async fn two_nodes_behind_haproxy_answer_as_one_address() {
    let Some(cluster) = ekms_testkit::postgres::cluster() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let db = cluster.database();
    let a = node(&tmp.path().join("a"), cluster, &db, &[]);
    let b = node(&tmp.path().join("b"), cluster, &db, &[]);
    let backends: Vec<String> = [&a, &b]
        .iter()
        .map(|n| n.url.trim_start_matches("https://").to_string())
        .collect();
    let backends: Vec<&str> = backends.iter().map(String::as_str).collect();
    let Some(proxy) = Haproxy::start(&backends) else {
        return;
    };
    let nodes = [&a, &b];
    let client = client_of(&nodes);
    let kmip = |secret: &str, body: &Value| {
        client
            .post(format!("{}/kmip/2_1", proxy.url()))
            .header("KmsDatabaseSecret", secret)
            .json(body)
    };

    // Register and create through the proxy.
    let (status, body, _) = send(&nodes, client.post(format!("{}/register", proxy.url()))).await;
    assert_eq!(status, 201, "{body}");
    let secret = body["secret"].as_str().unwrap().to_string();
    let (status, body, _) = send(
        &nodes,
        kmip(
            &secret,
            &create_key("AES", 256, Some("behind-haproxy"), true),
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let uid = uid_of(body["value"].as_array().unwrap());

    // Encrypt: answered by both nodes, each with its own certificate.
    let mut answered_by = [0; 2];
    for _ in 0..6 {
        let (status, body, n) = send(&nodes, kmip(&secret, &encrypt(&uid))).await;
        assert_eq!(status, 200, "node {n}: {body}");
        answered_by[n] += 1;
    }
    assert!(
        answered_by.iter().all(|&c| c > 0),
        "one node answered every Encrypt: {answered_by:?}; haproxy:\n{}",
        proxy.log()
    );

    // Revoked through the proxy: refused whichever node answers.
    let (status, body, _) = send(&nodes, kmip(&secret, &revoke(&uid))).await;
    assert_eq!(status, 200, "{body}");
    let mut refused_by = [0; 2];
    for _ in 0..4 {
        let (status, body, n) = send(&nodes, kmip(&secret, &encrypt(&uid))).await;
        assert_ne!(status, 200, "a revoked key encrypts on node {n}: {body}");
        assert!(
            body.to_string().contains("WrongKeyLifecycleState"),
            "{body}"
        );
        refused_by[n] += 1;
    }
    assert!(
        refused_by.iter().all(|&c| c > 0),
        "one node answered every refusal: {refused_by:?}"
    );

    // Node B dies: its health check fails and HAProxy sends every new connection to A.
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &b.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while !proxy.log().contains("node1 is DOWN") {
        assert!(
            std::time::Instant::now() < deadline,
            "haproxy did not take node B out; its log:\n{}",
            proxy.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let other = create_key("AES", 128, None, true);
    for _ in 0..4 {
        let (status, body, n) = send(&nodes, kmip(&secret, &other)).await;
        assert_eq!((status, n), (200, 0), "{body}");
    }
}
