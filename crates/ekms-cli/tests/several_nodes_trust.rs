//! `ekms trust` through HAProxy in front of two nodes on one PostgreSQL database (ekms-testkit's
//! `haproxy` and `postgres`): HAProxy passes TLS through, so each connection is checked against
//! the quote of the node it reached, every check is Ok whichever node answers, and the
//! certificate pinned is that node's own; a user trusting every node's certificate works through
//! the load balancer, whichever node answers. Without PostgreSQL or HAProxy installed the test
//! skips (one line), unless `CI` is set.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use ekms_testkit::haproxy::Haproxy;
use support::*;

#[test]
fn trust_through_haproxy_binds_the_certificate_of_the_node_reached() {
    let Some(cluster) = ekms_testkit::postgres::cluster() else {
        return;
    };
    let db = cluster.database();
    let dir = tempfile::tempdir().unwrap();
    let password = dir.path().join("pg-password");
    std::fs::write(&password, cluster.password()).unwrap();
    let url = cluster.url(&db);
    let args = [
        "--database",
        url.as_str(),
        "--database-password-file",
        password.to_str().unwrap(),
    ];
    let a = start_node_in(&dir.path().join("a"), &args);
    let b = start_node_in(&dir.path().join("b"), &args);
    assert_ne!(a.sha256, b.sha256, "each node has its own TLS key");
    assert_eq!(a.mr_enclave, b.mr_enclave, "the nodes measure alike");
    let Some(proxy) = Haproxy::start(&[&a.addr(), &b.addr()]) else {
        return;
    };
    let attest = start_attest(&["--allow-emulated"]);

    // Each run of `ekms trust` is new connections, which round robin spreads over the nodes.
    let mut pinned = Vec::new();
    for _ in 0..4 {
        let user = User::new();
        let (code, stdout, stderr) = run(trust(&user, &proxy.url(), &attest).args([
            "--allow-emulated",
            "--mr-enclave",
            &a.mr_enclave,
        ]));
        assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
        assert_only_ko(&stdout, &[]);
        assert!(
            line_of(&stdout, "TLS certificate = bound certificate").contains("Ok"),
            "{stdout}"
        );
        let pin = user.config_value("pin_sha256").unwrap();
        assert!(
            stdout
                .lines()
                .any(|l| l == format!("certificate sha256: {pin}")),
            "the pinned certificate is not the one the quote bound:\n{stdout}"
        );
        pinned.push(pin);
    }
    for node in [&a, &b] {
        assert!(
            pinned.contains(&node.sha256),
            "no run of ekms trust reached node {}: {pinned:?}",
            node.url
        );
    }

    // Meanwhile through the load balancer: every node's checked certificate as trust anchors.
    // Each command is a connection of its own, so the commands alternate between the nodes,
    // and the group state one node states never looks like a rollback to the other's.
    let anchors = dir.path().join("nodes.pem");
    let pems: Vec<u8> = [&a, &b]
        .iter()
        .flat_map(|n| std::fs::read(n.data_dir.join("certificate.pem")).unwrap())
        .collect();
    std::fs::write(&anchors, pems).unwrap();
    let user = User::new();
    user.ekms()
        .args(["--server-url", &proxy.url(), "--ca"])
        .arg(&anchors)
        .arg("register")
        .assert()
        .success();
    for _ in 0..4 {
        let uid = user.create_key(&[]);
        user.ekms().args(["keys", "get", &uid]).assert().success();
    }
}
