//! End to end over HTTPS: the KMIP 2.1 JSON route, groups, secrets and the key lifecycle,
//! against the real server binary.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::{Value, json};
use support::*;

#[tokio::test]
async fn key_lifecycle_and_aead_round_trips() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &[]);
    let secret = s.register().await;

    // A key created without an activation date is PreActive and does not encrypt.
    let uid = uid_of(
        &s.ok(&secret, create_key("AES", 256, Some("pre"), false))
            .await,
    );
    let enc = op(
        "Encrypt",
        vec![text("UniqueIdentifier", &uid), bytes("Data", b"hello")],
    );
    let (status, v) = s.kmip(Some(&secret), &enc).await;
    assert_eq!(
        (status, v["error"].as_str()),
        (422, Some("WrongKeyLifecycleState"))
    );
    let attrs = s.ok(&secret, uid_op("GetAttributes", &uid)).await;
    let state = field(field(&attrs, "Attributes").as_array().unwrap(), "State");
    assert_eq!(state, "PreActive");

    // Activate, then AES-GCM with a server-drawn IV and authenticated data.
    s.ok(&secret, uid_op("Activate", &uid)).await;
    let (status, _) = s.kmip(Some(&secret), &uid_op("Activate", &uid)).await;
    assert_eq!(status, 422, "activating twice is a lifecycle error");
    let r = s
        .ok(
            &secret,
            op(
                "Encrypt",
                vec![
                    text("UniqueIdentifier", &uid),
                    bytes("Data", b"attack at dawn"),
                    bytes("AuthenticatedEncryptionAdditionalData", b"header"),
                ],
            ),
        )
        .await;
    let ct = field(&r, "Data").as_str().unwrap().to_string();
    let iv = field(&r, "IVCounterNonce").as_str().unwrap().to_string();
    let tag = field(&r, "AuthenticatedEncryptionTag")
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(hex::decode(&iv).unwrap().len(), 12);
    assert_ne!(hex::decode(&ct).unwrap(), b"attack at dawn");
    let dec = |aad: &[u8], tag: &str| {
        op(
            "Decrypt",
            vec![
                text("UniqueIdentifier", &uid),
                json!({"tag": "Data", "type": "ByteString", "value": ct}),
                json!({"tag": "IVCounterNonce", "type": "ByteString", "value": iv}),
                bytes("AuthenticatedEncryptionAdditionalData", aad),
                json!({"tag": "AuthenticatedEncryptionTag", "type": "ByteString", "value": tag}),
            ],
        )
    };
    let r = s.ok(&secret, dec(b"header", &tag)).await;
    assert_eq!(
        hex::decode(field(&r, "Data").as_str().unwrap()).unwrap(),
        b"attack at dawn"
    );
    // Wrong authenticated data or tag: a cryptographic failure, no plaintext.
    let (status, v) = s.kmip(Some(&secret), &dec(b"other", &tag)).await;
    assert_eq!(
        (status, v["error"].as_str()),
        (422, Some("CryptographicFailure"))
    );
    let mut bad_tag = hex::decode(&tag).unwrap();
    bad_tag[0] ^= 1;
    let (status, _) = s
        .kmip(Some(&secret), &dec(b"header", &hex::encode(bad_tag)))
        .await;
    assert_eq!(status, 422);

    // A client-given IV is used as given (GCM, explicit parameters).
    let r = s
        .ok(
            &secret,
            op(
                "Encrypt",
                vec![
                    text("UniqueIdentifier", &uid),
                    json!({"tag": "CryptographicParameters", "type": "Structure", "value": [
                        {"tag": "BlockCipherMode", "type": "Enumeration", "value": "GCM"}]}),
                    bytes("Data", b"x"),
                    bytes("IVCounterNonce", &[7u8; 12]),
                ],
            ),
        )
        .await;
    // KMIP returns only an IV the server made: a client-given one is not echoed, and
    // decrypting with it gives the plaintext back.
    assert!(!r.iter().any(|i| i["tag"] == "IVCounterNonce"));
    let back = s
        .ok(
            &secret,
            op(
                "Decrypt",
                vec![
                    text("UniqueIdentifier", &uid),
                    json!({"tag": "Data", "type": "ByteString", "value": field(&r, "Data")}),
                    bytes("IVCounterNonce", &[7u8; 12]),
                    json!({"tag": "AuthenticatedEncryptionTag", "type": "ByteString", "value": field(&r, "AuthenticatedEncryptionTag")}),
                ],
            ),
        )
        .await;
    assert_eq!(field(&back, "Data"), &hex::encode_upper(b"x"));

    // Revoke (not a compromise): Deactivated, no more encryption, decryption still allowed.
    s.ok(
        &secret,
        op(
            "Revoke",
            vec![
                text("UniqueIdentifier", &uid),
                json!({"tag": "RevocationReason", "type": "Structure", "value": [
                    {"tag": "RevocationReasonCode", "type": "Enumeration", "value": "CessationOfOperation"}]}),
            ],
        ),
    )
    .await;
    let (status, v) = s.kmip(Some(&secret), &enc).await;
    assert_eq!(
        (status, v["error"].as_str()),
        (422, Some("WrongKeyLifecycleState"))
    );
    s.ok(&secret, dec(b"header", &tag)).await;

    // Destroy: material gone, attributes say Destroyed.
    s.ok(&secret, uid_op("Destroy", &uid)).await;
    let (status, v) = s.kmip(Some(&secret), &uid_op("Get", &uid)).await;
    assert_eq!(
        (status, v["error"].as_str()),
        (422, Some("ObjectDestroyed"))
    );
    let (status, _) = s.kmip(Some(&secret), &dec(b"header", &tag)).await;
    assert_eq!(status, 422);
    let attrs = s.ok(&secret, uid_op("GetAttributes", &uid)).await;
    let list = field(&attrs, "Attributes").as_array().unwrap().clone();
    assert_eq!(field(&list, "State"), "Destroyed");
    assert!(list.iter().any(|a| a["tag"] == "DestroyDate"));
}

#[tokio::test]
async fn chacha20_and_aes_sizes() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &[]);
    let secret = s.register().await;
    for (alg, bits) in [("AES", 128), ("AES", 192), ("AES", 256), ("ChaCha20", 256)] {
        let uid = uid_of(&s.ok(&secret, create_key(alg, bits, None, true)).await);
        let got = s.ok(&secret, uid_op("Get", &uid)).await;
        let block = &field(&got, "SymmetricKey").as_array().unwrap()[0]["value"];
        let block = block.as_array().unwrap();
        let value = field(block, "KeyValue").as_array().unwrap();
        let material = hex::decode(field(value, "KeyMaterial").as_str().unwrap()).unwrap();
        assert_eq!(material.len() * 8, bits as usize, "{alg} {bits}");
        let r = s
            .ok(
                &secret,
                op(
                    "Encrypt",
                    vec![text("UniqueIdentifier", &uid), bytes("Data", b"abc")],
                ),
            )
            .await;
        let back = s
            .ok(
                &secret,
                op(
                    "Decrypt",
                    vec![
                        text("UniqueIdentifier", &uid),
                        json!({"tag": "Data", "type": "ByteString", "value": field(&r, "Data")}),
                        json!({"tag": "IVCounterNonce", "type": "ByteString", "value": field(&r, "IVCounterNonce")}),
                        json!({"tag": "AuthenticatedEncryptionTag", "type": "ByteString", "value": field(&r, "AuthenticatedEncryptionTag")}),
                    ],
                ),
            )
            .await;
        assert_eq!(
            hex::decode(field(&back, "Data").as_str().unwrap()).unwrap(),
            b"abc"
        );
    }
    // Sizes and algorithms that do not exist are refused, not guessed.
    for (alg, bits) in [("AES", 100), ("ChaCha20", 128)] {
        let (status, v) = s
            .kmip(Some(&secret), &create_key(alg, bits, None, true))
            .await;
        assert_eq!(
            (status, v["error"].as_str()),
            (422, Some("InvalidField")),
            "{alg} {bits}"
        );
    }
}

#[tokio::test]
async fn locate_by_name_type_algorithm_and_state() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &[]);
    let secret = s.register().await;
    let a = uid_of(
        &s.ok(&secret, create_key("AES", 256, Some("alpha"), true))
            .await,
    );
    let b = uid_of(
        &s.ok(&secret, create_key("ChaCha20", 256, Some("beta"), true))
            .await,
    );
    let c = uid_of(
        &s.ok(&secret, create_key("AES", 128, Some("alpha"), false))
            .await,
    );
    let locate = |attrs: Vec<Value>, extra: Vec<Value>| {
        let mut items = extra;
        items.push(json!({"tag": "Attributes", "type": "Structure", "value": attrs}));
        op("Locate", items)
    };
    let uids = |items: Vec<Value>| -> Vec<String> {
        items
            .iter()
            .filter(|i| i["tag"] == "UniqueIdentifier")
            .map(|i| i["value"].as_str().unwrap().to_string())
            .collect()
    };
    let name = |n: &str| {
        json!({"tag": "Name", "type": "Structure", "value": [text("NameValue", n),
            {"tag": "NameType", "type": "Enumeration", "value": "UninterpretedTextString"}]})
    };
    assert_eq!(
        uids(s.ok(&secret, locate(vec![name("alpha")], vec![])).await),
        vec![c.clone(), a.clone()]
    );
    assert_eq!(
        uids(s.ok(&secret, locate(vec![json!({"tag": "CryptographicAlgorithm", "type": "Enumeration", "value": "ChaCha20"})], vec![])).await),
        vec![b.clone()]
    );
    assert_eq!(
        uids(
            s.ok(
                &secret,
                locate(
                    vec![json!({"tag": "State", "type": "Enumeration", "value": "PreActive"})],
                    vec![]
                )
            )
            .await
        ),
        vec![c.clone()]
    );
    assert_eq!(
        uids(
            s.ok(
                &secret,
                locate(
                    vec![
                        json!({"tag": "ObjectType", "type": "Enumeration", "value": "SymmetricKey"})
                    ],
                    vec![]
                )
            )
            .await
        ),
        vec![c.clone(), b.clone(), a.clone()]
    );
    let paged = s
        .ok(
            &secret,
            locate(
                vec![],
                vec![
                    json!({"tag": "MaximumItems", "type": "Integer", "value": 1}),
                    json!({"tag": "OffsetItems", "type": "Integer", "value": 1}),
                ],
            ),
        )
        .await;
    assert_eq!(field(&paged, "LocatedItems"), 3);
    assert_eq!(uids(paged), vec![b]);
}

#[tokio::test]
async fn groups_cannot_see_each_other() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &[]);
    let g1 = s.register().await;
    let g2 = s.register().await;
    let uid = uid_of(
        &s.ok(&g1, create_key("AES", 256, Some("secret-one"), true))
            .await,
    );
    for name in ["Get", "GetAttributes", "Activate", "Destroy"] {
        let (status, v) = s.kmip(Some(&g2), &uid_op(name, &uid)).await;
        assert_eq!(
            (status, v["error"].as_str()),
            (404, Some("ObjectNotFound")),
            "{name}"
        );
    }
    let (status, _) = s
        .kmip(
            Some(&g2),
            &op(
                "Encrypt",
                vec![text("UniqueIdentifier", &uid), bytes("Data", b"x")],
            ),
        )
        .await;
    assert_eq!(status, 404);
    let found = s
        .ok(
            &g2,
            op(
                "Locate",
                vec![json!({"tag": "Attributes", "type": "Structure", "value": []})],
            ),
        )
        .await;
    assert_eq!(field(&found, "LocatedItems"), 0);
    // Group 1 still has it.
    s.ok(&g1, uid_op("Get", &uid)).await;
}

#[tokio::test]
async fn bad_secrets_are_one_and_the_same_401() {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &[]);
    let good = s.register().await;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&good)
        .unwrap();
    let tok: Value = serde_json::from_slice(&raw).unwrap();
    let group = tok["group_id"].as_str().unwrap();
    let wrong_key = b64(&format!(
        "{{\"group_id\":\"{group}\",\"key\":\"{}\"}}",
        "ab".repeat(32)
    ));
    let unknown_group = b64(&format!(
        "{{\"group_id\":\"{}\",\"key\":\"{}\"}}",
        "6f1d2c1e-1b7e-4c39-9a55-5d2f0c7b9e10",
        tok["key"].as_str().unwrap()
    ));
    let traversal = b64(&format!(
        "{{\"group_id\":\"../../x\",\"key\":\"{}\"}}",
        "ab".repeat(32)
    ));
    let body = create_key("AES", 256, None, true);
    let mut bodies = Vec::new();
    // Before the group is open and after (both refused by its key slots, never by the cache).
    for round in 0..2 {
        for secret in [
            None,
            Some(""),
            Some("garbage"),
            Some("!!!"),
            Some(wrong_key.as_str()),
            Some(unknown_group.as_str()),
            Some(traversal.as_str()),
        ] {
            let (status, v) = s.kmip(secret, &body).await;
            assert_eq!(status, 401, "round {round} secret {secret:?}");
            bodies.push(v);
        }
        if round == 0 {
            s.ok(&good, body.clone()).await;
        }
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "all 401 bodies must be identical"
    );
    assert_eq!(bodies[0]["error"], "unauthorized");
    // Refusals happen before any group is open: the server log records them, without secrets.
    let log = s.log();
    for why in [
        "a malformed group secret",
        "a wrong key",
        "an unknown group",
    ] {
        assert!(
            log.contains(&format!("group secret refused: {why}")),
            "{why} not logged"
        );
    }
    for secret in [&good, &wrong_key, &unknown_group] {
        assert!(!log.contains(secret.as_str()), "a secret reached the log");
    }
}

#[tokio::test]
async fn malformed_requests_are_clear_400s_never_500s() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &[]);
    let secret = s.register().await;
    let cases: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"{".to_vec(),
        b"[]".to_vec(),
        b"null".to_vec(),
        br#"{"tag":"NotAnOperation","value":[]}"#.to_vec(),
        br#"{"value":[]}"#.to_vec(),
        br#"{"tag":"Create","type":"Integer","value":3}"#.to_vec(),
        br#"{"tag":"Create","value":[{"tag":"NoSuchTag","type":"Integer","value":1}]}"#.to_vec(),
        br#"{"tag":"Create","value":[{"tag":"ObjectType","type":"Enumeration","value":"Banana"}]}"#
            .to_vec(),
        br#"{"tag":"Encrypt","value":[{"tag":"Data","type":"ByteString","value":"XYZ"}]}"#.to_vec(),
        br#"{"tag":"Get","value":[{"tag":"UniqueIdentifier","type":"Integer","value":"x"}]}"#
            .to_vec(),
        "[".repeat(10_000).into_bytes(),
        format!(
            "{}{}",
            r#"{"tag":"Get","value":"#,
            "[{\"tag\":\"Attributes\",\"value\":".repeat(200)
        )
        .into_bytes(),
        vec![0xff, 0xfe, 0x00, 0x01],
    ];
    for body in cases {
        let (status, v) = s.kmip_raw(Some(&secret), body.clone()).await;
        assert_eq!(
            status,
            400,
            "{} -> {v}",
            String::from_utf8_lossy(&body[..body.len().min(80)])
        );
        assert_eq!(v["error"], "InvalidMessage");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    // Well-formed but semantically wrong: an operation failure, still not a 500.
    let (status, v) = s.kmip(Some(&secret), &op("Get", vec![])).await;
    assert_eq!((status, v["error"].as_str()), (422, Some("MissingData")));
    let (status, v) = s
        .kmip(Some(&secret), &uid_op("Get", "no-such-object"))
        .await;
    assert_eq!((status, v["error"].as_str()), (404, Some("ObjectNotFound")));
    // The server is still alive and well.
    s.ok(&secret, create_key("AES", 256, None, true)).await;
}

#[tokio::test]
async fn kmip_body_over_the_limit_is_413() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &["--max-kmip-message-bytes", "1024"]);
    let secret = s.register().await;
    let big = op(
        "Encrypt",
        vec![text("UniqueIdentifier", "x"), bytes("Data", &[0u8; 2048])],
    );
    let (status, v) = s.kmip(Some(&secret), &big).await;
    assert_eq!(
        (status, v["error"].as_str()),
        (413, Some("payload_too_large"))
    );
    // A declared length over the limit is refused before any byte of the body is sent.
    let head = format!(
        "POST /kmip/2_1 HTTP/1.1\r\nHost: localhost\r\nKmsDatabaseSecret: {secret}\r\nContent-Length: 1000000000000\r\n\r\n"
    );
    let answer = raw_http1(&s.url, &head, &[]).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("payload_too_large"), "{answer}");
    // Chunked (no Content-Length) is cut once the limit is passed.
    let head = format!(
        "POST /kmip/2_1 HTTP/1.1\r\nHost: localhost\r\nKmsDatabaseSecret: {secret}\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    let chunks: Vec<Vec<u8>> = (0..30)
        .map(|_| format!("64\r\n{}\r\n", "a".repeat(100)).into_bytes())
        .collect();
    let answer = raw_http1(&s.url, &head, &chunks).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    // Under the limit works.
    s.ok(&secret, create_key("AES", 256, None, true)).await;
}

#[tokio::test]
async fn health_version_and_unknown_routes() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &[]);
    let h: Value = s.get_json("/health").await;
    assert_eq!(h["status"], "ok");
    let v: Value = s.get_json("/version").await;
    assert_eq!(v["mode"], "emulated");
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["measurement"].as_str().unwrap().len(), 64);
    assert!(v["git_commit"].is_string());
    // No --jwt-jwks, no --client-ca: nobody is identified.
    assert_eq!(v["authentication"], serde_json::json!([]));
    let r = s.http.get(format!("{}/nope", s.url)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"], "not_found");
    // A client that does not trust the certificate cannot talk to it at all.
    let untrusting = client_trusting(None);
    assert!(
        untrusting
            .get(format!("{}/health", s.url))
            .send()
            .await
            .is_err()
    );
}

/// An answer of `/kmip/2_1` is JSON text with its content type, tagged
/// `<Operation>Response`, its hex and enumerations as the JSON TTLV encoding writes them.
#[tokio::test]
async fn answers_are_json_text_tagged_by_operation() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &[]);
    let secret = s.register().await;
    let uid = uid_of(&s.ok(&secret, create_key("AES", 256, Some("k"), true)).await);
    let data = vec![0xA5u8; 300];
    let body = op(
        "Encrypt",
        vec![text("UniqueIdentifier", &uid), bytes("Data", &data)],
    );
    let r = s
        .http
        .post(format!("{}/kmip/2_1", s.url))
        .header("content-type", "application/json")
        .header("KmsDatabaseSecret", &secret)
        .body(serde_json::to_vec(&body).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers().get("content-type").unwrap().to_str().unwrap(),
        "application/json"
    );
    let v: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(v["tag"], "EncryptResponse");
    assert_eq!(v["type"], "Structure");
    let items = v["value"].as_array().unwrap();
    assert_eq!(field(items, "UniqueIdentifier"), uid.as_str());
    let ct = field(items, "Data").as_str().unwrap();
    assert_eq!(ct.len(), 2 * data.len());
    assert_eq!(ct, ct.to_uppercase(), "byte strings are upper-case hex");
    // The answer's items (the key's identifier, ciphertext, IV and tag) read back as they are.
    let got = s.ok(&secret, op("Decrypt", items.clone())).await;
    assert_eq!(
        hex::decode(field(&got, "Data").as_str().unwrap()).unwrap(),
        data
    );
}
