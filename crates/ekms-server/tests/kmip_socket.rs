//! End to end over the binary KMIP socket (TTLV over mutual TLS), against the real server
//! binary: versions 1.0–2.1, batches, group secrets, client certificates, framing limits and
//! malformed input.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/kmip.rs"]
mod kmip;
mod support;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ekms_kmip::enums::{BatchErrorContinuationOption, Operation, ResultReason, ResultStatus};
use ekms_kmip::{ProtocolVersion, Tag, ToTtlv, Ttlv};
use kmip::*;

#[tokio::test]
async fn create_get_destroy_in_every_version_on_one_connection() {
    let tmp = tempfile::tempdir().unwrap();
    let s = KmipServer::start(tmp.path(), &[]);
    let secret = s.server.register().await;
    let mut c = s.connect().await;
    for v in VERSIONS {
        let r = c
            .call(&request(
                v,
                Some(&secret),
                vec![create_aes(v, 256, &format!("k{v}"))],
            ))
            .await;
        assert_eq!(
            r.header.protocol_version, v,
            "answered in the client's version"
        );
        assert_eq!(r.items.len(), 1);
        assert_eq!(r.items[0].known_operation(), Some(Operation::Create));
        let uid = uid_in(&r.items[0]);

        let r = c
            .call(&request(
                v,
                Some(&secret),
                vec![uid_item(Operation::Get, &uid)],
            ))
            .await;
        assert_eq!(key_bytes(&r.items[0]).len(), 32, "{v}");

        let r = c
            .call(&request(
                v,
                Some(&secret),
                vec![uid_item(Operation::Destroy, &uid)],
            ))
            .await;
        assert_eq!(uid_in(&r.items[0]), uid);

        // The key material is gone; the failure reason is one the client's version defines.
        let r = c
            .call(&request(
                v,
                Some(&secret),
                vec![uid_item(Operation::Get, &uid)],
            ))
            .await;
        let reason = failure_of(&r.items[0]);
        assert!(reason_known_in(reason, v), "{reason} in {v}");
        assert!(r.items[0].result_message.is_some());

        let r = c
            .call(&request(
                v,
                Some(&secret),
                vec![uid_item(Operation::Get, "no-such-object")],
            ))
            .await;
        assert_eq!(failure_of(&r.items[0]), not_found_in(v), "{v}");
    }
}

#[tokio::test]
async fn batches_stop_continue_and_undo() {
    let tmp = tempfile::tempdir().unwrap();
    let s = KmipServer::start(tmp.path(), &[]);
    let secret = s.server.register().await;
    let mut c = s.connect().await;
    for v in [ProtocolVersion::V1_2, ProtocolVersion::V2_1] {
        let items = |tag: &str| {
            vec![
                create_aes(v, 128, &format!("{tag}-1-{v}")),
                uid_item(Operation::Get, "missing"),
                create_aes(v, 128, &format!("{tag}-3-{v}")),
            ]
        };
        // Stop (and no option, which means Stop): the failed item is the last answered.
        for (tag, option) in [
            ("stop", Some(BatchErrorContinuationOption::Stop)),
            ("default", None),
        ] {
            let r = c.call(&batch(v, Some(&secret), option, items(tag))).await;
            assert_eq!(r.items.len(), 2, "{tag} {v}");
            assert_eq!(r.items[0].result_status, ResultStatus::Success);
            assert_eq!(r.items[0].unique_batch_item_id, Some(vec![1]));
            assert_eq!(failure_of(&r.items[1]), not_found_in(v));
            assert_eq!(r.items[1].unique_batch_item_id, Some(vec![2]));
            assert_eq!(r.items[1].known_operation(), Some(Operation::Get));
            // The item after the failure was not executed.
            assert!(!c.finds_name(v, &secret, &format!("{tag}-3-{v}")).await);
        }

        // Continue: every item is answered, in order.
        let r = c
            .call(&batch(
                v,
                Some(&secret),
                Some(BatchErrorContinuationOption::Continue),
                items("continue"),
            ))
            .await;
        let statuses: Vec<_> = r.items.iter().map(|i| i.result_status).collect();
        assert_eq!(
            statuses,
            [
                ResultStatus::Success,
                ResultStatus::OperationFailed,
                ResultStatus::Success
            ]
        );
        let ids: Vec<_> = r
            .items
            .iter()
            .map(|i| i.unique_batch_item_id.clone())
            .collect();
        assert_eq!(ids, [Some(vec![1]), Some(vec![2]), Some(vec![3])]);

        // Undo: the failure rolls back the item before it, answered Operation Undone with its
        // payload; the item after it is not executed.
        let r = c
            .call(&batch(
                v,
                Some(&secret),
                Some(BatchErrorContinuationOption::Undo),
                items("undo"),
            ))
            .await;
        assert_eq!(r.items.len(), 2, "{v}");
        assert_eq!(r.items[0].result_status, ResultStatus::OperationUndone);
        assert_eq!(r.items[0].unique_batch_item_id, Some(vec![1]));
        let undone_uid = r.items[0]
            .payload
            .as_ref()
            .and_then(|p| p.child(Tag::UNIQUE_IDENTIFIER))
            .and_then(Ttlv::as_text)
            .map(str::to_string)
            .expect("the undone Create keeps its payload");
        assert_eq!(failure_of(&r.items[1]), not_found_in(v));
        for name in ["undo-1", "undo-3"] {
            assert!(
                !c.finds_name(v, &secret, &format!("{name}-{v}")).await,
                "{name} {v}: an undone batch keeps nothing"
            );
        }
        let r = c
            .call(&request(
                v,
                Some(&secret),
                vec![uid_item(Operation::Get, &undone_uid)],
            ))
            .await;
        assert_eq!(failure_of(&r.items[0]), not_found_in(v));

        // Undo where every item succeeds: all commit together.
        let r = c
            .call(&batch(
                v,
                Some(&secret),
                Some(BatchErrorContinuationOption::Undo),
                vec![
                    create_aes(v, 128, &format!("undo-ok-1-{v}")),
                    create_aes(v, 128, &format!("undo-ok-2-{v}")),
                ],
            ))
            .await;
        let statuses: Vec<_> = r.items.iter().map(|i| i.result_status).collect();
        assert_eq!(statuses, [ResultStatus::Success, ResultStatus::Success]);
        for name in ["undo-ok-1", "undo-ok-2"] {
            assert!(
                c.finds_name(v, &secret, &format!("{name}-{v}")).await,
                "{name} {v}: committed"
            );
        }
    }
}

#[tokio::test]
async fn lifecycle_failures_carry_a_reason_of_the_clients_version() {
    let tmp = tempfile::tempdir().unwrap();
    let s = KmipServer::start(tmp.path(), &[]);
    let secret = s.server.register().await;
    let mut c = s.connect().await;
    for v in VERSIONS {
        let r = c
            .call(&request(
                v,
                Some(&secret),
                vec![create_aes(v, 256, "state")],
            ))
            .await;
        let uid = uid_in(&r.items[0]);
        let activate = || request(v, Some(&secret), vec![uid_item(Operation::Activate, &uid)]);
        let r = c.call(&activate()).await;
        ok_payload(&r.items[0]);
        // Activating an Active key is a lifecycle error: Wrong Key Lifecycle State in KMIP 2.x,
        // which 1.x does not define; a 1.x client gets a reason of its own version.
        let r = c.call(&activate()).await;
        let reason = failure_of(&r.items[0]);
        if v.is_v2() {
            assert_eq!(reason, ResultReason::WrongKeyLifecycleState);
        } else {
            assert!(reason_known_in(reason, v), "{reason} in {v}");
        }
    }
}

/// A well-formed token of `secret`'s group with another key.
fn wrong_key(secret: &str) -> String {
    let json: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(secret).unwrap()).unwrap();
    let forged = serde_json::json!({"group_id": json["group_id"], "key": "00".repeat(32)});
    URL_SAFE_NO_PAD.encode(forged.to_string())
}

#[tokio::test]
async fn missing_or_wrong_group_secret_fails_every_item_alike() {
    let tmp = tempfile::tempdir().unwrap();
    let s = KmipServer::start(tmp.path(), &[]);
    let secret = s.server.register().await;
    let other = s.server.register().await;
    let mut c = s.connect().await;
    let v = ProtocolVersion::V1_4;
    let uid = uid_in(
        &c.call(&request(v, Some(&secret), vec![create_aes(v, 256, "mine")]))
            .await
            .items[0],
    );
    let unknown_group = URL_SAFE_NO_PAD.encode(format!(
        "{{\"group_id\":\"{}\",\"key\":\"{}\"}}",
        "3f0b5a6e-8d7c-4a53-9a1e-2f7e8c9b0d11",
        "11".repeat(32)
    ));
    let mut messages = Vec::new();
    for bad in [
        None,
        Some("not a token".to_string()),
        Some(wrong_key(&secret)),
        Some(unknown_group),
    ] {
        let items = vec![uid_item(Operation::Get, &uid), create_aes(v, 128, "x")];
        let r = c.call(&batch(v, bad.as_deref(), None, items)).await;
        assert_eq!(r.items.len(), 2, "every item is answered");
        for item in &r.items {
            assert_eq!(failure_of(item), ResultReason::AuthenticationNotSuccessful);
            messages.push(item.result_message.clone().unwrap());
        }
        assert_eq!(r.items[0].unique_batch_item_id, Some(vec![1]));
    }
    messages.dedup();
    assert_eq!(
        messages.len(),
        1,
        "one message for every case: {messages:?}"
    );
    assert!(
        !s.server.log().contains(&secret),
        "the secret is never logged"
    );

    // Another group's secret sees no such object.
    let r = c
        .call(&request(
            v,
            Some(&other),
            vec![uid_item(Operation::Get, &uid)],
        ))
        .await;
    assert_eq!(failure_of(&r.items[0]), not_found_in(v));
    // The connection still works with the right secret.
    let r = c
        .call(&request(
            v,
            Some(&secret),
            vec![uid_item(Operation::Get, &uid)],
        ))
        .await;
    assert_eq!(key_bytes(&r.items[0]).len(), 32);
}

/// Connects with `identity` and tries one request: Ok(()) only if the server answered.
async fn try_request(
    s: &KmipServer,
    identity: Option<&ClientIdentity>,
    tls12: bool,
    secret: &str,
) -> Result<(), String> {
    let mut c = KmipClient::connect(s.kmip_addr, &s.server_cert(), identity, Some(tls12))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    let v = ProtocolVersion::V2_1;
    let bytes = ekms_kmip::binary::to_vec(
        &request(v, Some(secret), vec![uid_item(Operation::Get, "x")]).to_ttlv(),
    );
    // In TLS 1.3 the client finishes its handshake before the server has judged its
    // certificate: the refusal arrives as an alert on the first read.
    c.write(&bytes).await.map_err(|e| format!("write: {e}"))?;
    c.read_message()
        .await
        .map(|_| ())
        .map_err(|e| format!("read: {e}"))
}

#[tokio::test]
async fn client_certificates_are_required_and_verified() {
    let tmp = tempfile::tempdir().unwrap();
    let s = KmipServer::start(tmp.path(), &[]);
    let secret = s.server.register().await;
    let stranger_ca = Pki::new(tmp.path(), "another-ca");
    let stranger = stranger_ca.client("alice");
    for tls12 in [true, false] {
        try_request(&s, Some(&s.alice), tls12, &secret)
            .await
            .unwrap_or_else(|e| panic!("alice over TLS 1.{}: {e}", if tls12 { 2 } else { 3 }));
        let err = try_request(&s, None, tls12, &secret).await.unwrap_err();
        if tls12 {
            assert!(err.starts_with("handshake"), "{err}");
        }
        let err = try_request(&s, Some(&stranger), tls12, &secret)
            .await
            .unwrap_err();
        if tls12 {
            assert!(err.starts_with("handshake"), "{err}");
        }
    }
    assert!(s.server.log().contains("KMIP TLS handshake refused"));
}

#[tokio::test]
async fn a_message_over_the_limit_is_answered_and_the_connection_closed() {
    let tmp = tempfile::tempdir().unwrap();
    let s = KmipServer::start(tmp.path(), &["--max-kmip-message-bytes", "4096"]);
    let secret = s.server.register().await;
    let mut c = s.connect().await;
    // Within the limit: served.
    let v = ProtocolVersion::V1_2;
    let r = c
        .call(&request(
            v,
            Some(&secret),
            vec![create_aes(v, 256, "small")],
        ))
        .await;
    uid_in(&r.items[0]);
    // A RequestMessage header declaring 1 MiB, then a little of its body: the server answers
    // from the header alone and closes.
    let mut head = vec![0x42, 0x00, 0x78, 0x01];
    head.extend_from_slice(&(1u32 << 20).to_be_bytes());
    head.extend_from_slice(&[0u8; 512]);
    c.write(&head).await.unwrap();
    let r = c.read_response().await;
    assert_eq!(r.items.len(), 1);
    assert_eq!(r.items[0].operation, None);
    assert_eq!(failure_of(&r.items[0]), ResultReason::InvalidMessage);
    assert!(
        r.items[0]
            .result_message
            .as_deref()
            .unwrap()
            .contains("limit of 4096 bytes")
    );
    assert!(c.is_closed().await, "the connection is closed");
}

#[tokio::test]
async fn malformed_ttlv_is_answered_with_invalid_message() {
    let tmp = tempfile::tempdir().unwrap();
    let s = KmipServer::start(tmp.path(), &[]);
    let secret = s.server.register().await;

    // An unknown item type in the first header.
    let mut c = s.connect().await;
    c.write(&[0x42, 0x00, 0x78, 0x7F, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0])
        .await
        .unwrap();
    let r = c.read_response().await;
    assert_eq!(failure_of(&r.items[0]), ResultReason::InvalidMessage);
    assert!(c.is_closed().await);

    // A structure whose child overruns it.
    let mut c = s.connect().await;
    let mut bad = vec![0x42, 0x00, 0x78, 0x01, 0, 0, 0, 16];
    bad.extend_from_slice(&[0x42, 0x00, 0x77, 0x01, 0, 0, 0, 64]);
    bad.extend_from_slice(&[0u8; 8]);
    c.write(&bad).await.unwrap();
    let r = c.read_response().await;
    assert_eq!(failure_of(&r.items[0]), ResultReason::InvalidMessage);
    assert!(c.is_closed().await);

    // Valid TTLV that is not a request, then a request that lacks its batch items: answered,
    // and the connection goes on since the stream is intact.
    let mut c = s.connect().await;
    c.write(&ekms_kmip::binary::to_vec(&Ttlv::text(Tag::USERNAME, "x")))
        .await
        .unwrap();
    let r = c.read_response().await;
    assert_eq!(failure_of(&r.items[0]), ResultReason::InvalidMessage);
    let v = ProtocolVersion::V1_4;
    let mut no_items = request(v, Some(&secret), vec![uid_item(Operation::Get, "x")]).to_ttlv();
    no_items
        .items_mut()
        .unwrap()
        .retain(|t| t.tag != Tag::BATCH_ITEM);
    c.write(&ekms_kmip::binary::to_vec(&no_items))
        .await
        .unwrap();
    let r = c.read_response().await;
    assert_eq!(
        r.header.protocol_version, v,
        "answered in the peeked version"
    );
    assert_eq!(failure_of(&r.items[0]), ResultReason::InvalidMessage);
    let r = c
        .call(&request(
            v,
            Some(&secret),
            vec![create_aes(v, 128, "after")],
        ))
        .await;
    uid_in(&r.items[0]);
}

#[tokio::test]
async fn an_unreadable_message_for_the_lane_is_answered_and_the_connection_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let s = KmipServer::start(tmp.path(), &[]);
    let secret = s.server.register().await;
    let v = ProtocolVersion::V1_4;
    let mut c = s.connect().await;
    // The first Create opens the group: the connection's next Create goes to its lane, read
    // on the connection's worker first.
    let r = c
        .call(&request(v, Some(&secret), vec![create_aes(v, 128, "a")]))
        .await;
    uid_in(&r.items[0]);
    // A header without its Batch Count.
    let mut unreadable = request(v, Some(&secret), vec![create_aes(v, 128, "b")]).to_ttlv();
    let header = unreadable
        .items_mut()
        .unwrap()
        .iter_mut()
        .find(|t| t.tag == Tag::REQUEST_HEADER)
        .unwrap();
    header
        .items_mut()
        .unwrap()
        .retain(|t| t.tag != Tag::BATCH_COUNT);
    c.write(&ekms_kmip::binary::to_vec(&unreadable))
        .await
        .unwrap();
    let r = c.read_response().await;
    assert_eq!(failure_of(&r.items[0]), ResultReason::InvalidMessage);
    // Another major version.
    let other = ProtocolVersion::new(3, 0);
    let r = c
        .call(&request(
            other,
            Some(&secret),
            vec![create_aes(v, 128, "c")],
        ))
        .await;
    assert_eq!(failure_of(&r.items[0]), ResultReason::InvalidMessage);
    // Nothing of either was created, and the connection serves the next message.
    let r = c
        .call(&request(v, Some(&secret), vec![create_aes(v, 128, "d")]))
        .await;
    uid_in(&r.items[0]);
    for (name, made) in [("a", true), ("b", false), ("c", false), ("d", true)] {
        let r = c
            .call(&request(v, Some(&secret), vec![locate_by_name(v, name)]))
            .await;
        let found = ok_payload(&r.items[0])
            .iter()
            .any(|t| t.tag == Tag::UNIQUE_IDENTIFIER);
        assert_eq!(found, made, "{name}");
    }
}

#[tokio::test]
async fn protocol_versions_are_negotiated() {
    let tmp = tempfile::tempdir().unwrap();
    let s = KmipServer::start(tmp.path(), &[]);
    let secret = s.server.register().await;
    let mut c = s.connect().await;
    // A newer minor version of a known major is served in the highest version below it.
    for (asked, answered) in [
        (ProtocolVersion::new(1, 5), ProtocolVersion::V1_4),
        (ProtocolVersion::new(2, 2), ProtocolVersion::V2_1),
    ] {
        let item = create_aes(answered, 256, &format!("n{asked}"));
        let r = c.call(&request(asked, Some(&secret), vec![item])).await;
        assert_eq!(r.header.protocol_version, answered);
        uid_in(&r.items[0]);
    }
    // Another major version: one failed item without Operation, Invalid Message.
    for asked in [ProtocolVersion::new(3, 0), ProtocolVersion::new(0, 9)] {
        let r = c
            .call(&request(
                asked,
                Some(&secret),
                vec![uid_item(Operation::Get, "x")],
            ))
            .await;
        assert_eq!(r.items.len(), 1);
        assert_eq!(r.items[0].operation, None);
        assert_eq!(failure_of(&r.items[0]), ResultReason::InvalidMessage);
        assert!(
            r.items[0]
                .result_message
                .as_deref()
                .unwrap()
                .contains("not supported")
        );
        assert!(r.header.protocol_version.is_supported());
    }
}

#[tokio::test]
async fn the_listener_starts_only_with_a_client_ca() {
    let tmp = tempfile::tempdir().unwrap();
    let s = support::Server::start_in(tmp.path(), &["--kmip-listen", "127.0.0.1:0"]);
    assert!(!s.log().contains("kmip listening on"));
}
