//! Real clients' traffic (`testdata/kmip-clients/`, each file's source in its README) against
//! the real server binary on its binary TTLV socket.
//!
//! Every request of the corpus, with the group's credential in its header as a configured client
//! would send it, gets a well-formed Response Message: each batch item succeeds, or fails with
//! a Result Reason and a Result Message; never a dropped connection, never a server fault
//! (General Failure). The payloads the corpus holds alone are sent in a KMIP 1.4 and a 2.0
//! message. Then the behaviours the public reports were about, with the corpus's own requests:
//! Locate by name, Get in the key format the client asks, Register of secret data, Query of the
//! operations and objects, KMIP 1.0 attribute forms.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/kmip.rs"]
mod kmip;
mod support;

use ekms_kmip::enums::{KeyFormatType, ObjectType, Operation, ResultReason, ResultStatus};
use ekms_kmip::ttlv::Value;
use ekms_kmip::{FromTtlv, ProtocolVersion, ResponseMessage, Tag, ToTtlv, Ttlv};
use kmip::*;
use std::path::{Path, PathBuf};

/// The corpus directory.
fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/kmip-clients")
}

/// Every `.bin` file under `dir`, sorted, as (path under the corpus, bytes).
fn corpus_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = support::files_under(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        .map(|p| {
            let name = p.strip_prefix(corpus()).unwrap().display().to_string();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

/// One corpus message by its path under `testdata/kmip-clients/messages/`.
fn message(path: &str) -> Ttlv {
    let bytes = std::fs::read(corpus().join("messages").join(path)).unwrap();
    ekms_kmip::binary::decode(&bytes).unwrap()
}

/// The Authentication of a request header carrying the group secret (the Password of a
/// Username and Password credential, as PyKMIP sends it).
fn authentication(secret: &str) -> Ttlv {
    let m = request(ProtocolVersion::V1_2, Some(secret), vec![]).to_ttlv();
    m.child(Tag::REQUEST_HEADER)
        .and_then(|h| h.child(Tag::AUTHENTICATION))
        .expect("an Authentication")
        .clone()
}

/// `message` with the group's credential in its header instead of any it had. It goes just
/// before the Batch Count, the header's last field (ekms reads header fields in any order).
fn with_credential(mut message: Ttlv, secret: &str) -> Ttlv {
    let items = message.items_mut().expect("a Request Message structure");
    let header = items
        .iter_mut()
        .find(|t| t.tag == Tag::REQUEST_HEADER)
        .and_then(Ttlv::items_mut)
        .expect("a Request Header");
    header.retain(|t| t.tag != Tag::AUTHENTICATION);
    let count = header.iter().position(|t| t.tag == Tag::BATCH_COUNT);
    header.insert(count.unwrap_or(header.len()), authentication(secret));
    message
}

/// A one-item Request Message in `version` around the encoded request payload `payload`, put
/// in byte for byte: a payload whose own lengths are wrong reaches the server as the client
/// wrote it.
fn wrap(version: ProtocolVersion, operation: Operation, payload: &[u8], secret: &str) -> Vec<u8> {
    let header = Ttlv::structure(
        Tag::REQUEST_HEADER,
        vec![
            Ttlv::structure(
                Tag::PROTOCOL_VERSION,
                vec![
                    Ttlv::integer(Tag::PROTOCOL_VERSION_MAJOR, version.major),
                    Ttlv::integer(Tag::PROTOCOL_VERSION_MINOR, version.minor),
                ],
            ),
            authentication(secret),
            Ttlv::integer(Tag::BATCH_COUNT, 1),
        ],
    );
    let mut item =
        ekms_kmip::binary::to_vec(&Ttlv::enumeration(Tag::OPERATION, operation.as_u32()));
    item.extend_from_slice(payload);
    let mut body = ekms_kmip::binary::to_vec(&header);
    body.extend(structure(Tag::BATCH_ITEM, &item));
    structure(Tag::REQUEST_MESSAGE, &body)
}

/// A Structure's encoding around already encoded `content`.
fn structure(tag: Tag, content: &[u8]) -> Vec<u8> {
    let mut out = tag.0.to_be_bytes()[1..].to_vec();
    out.push(0x01);
    out.extend_from_slice(&u32::try_from(content.len()).unwrap().to_be_bytes());
    out.extend_from_slice(content);
    out
}

/// Sends `message` on a connection of its own; the answer must be a well-formed Response
/// Message whose every item succeeded or says why not (a reason other than a server fault, and
/// a message). `name` labels the failures.
async fn answered(s: &KmipServer, name: &str, message: &Ttlv) -> ResponseMessage {
    answered_bytes(s, name, &ekms_kmip::binary::to_vec(message)).await
}

/// As [`answered`], for a message as bytes.
async fn answered_bytes(s: &KmipServer, name: &str, message: &[u8]) -> ResponseMessage {
    let mut c = s.connect().await;
    c.write(message).await.unwrap();
    let bytes = c
        .read_message()
        .await
        .unwrap_or_else(|e| panic!("{name}: no answer: {e}"));
    let ttlv = ekms_kmip::binary::decode(&bytes)
        .unwrap_or_else(|e| panic!("{name}: the answer is not TTLV: {e}"));
    let r = ResponseMessage::from_ttlv(ttlv)
        .unwrap_or_else(|e| panic!("{name}: the answer is not a Response Message: {e}"));
    assert!(!r.items.is_empty(), "{name}: no batch item");
    for item in &r.items {
        if item.result_status == ResultStatus::Success {
            continue;
        }
        let reason = item
            .result_reason
            .unwrap_or_else(|| panic!("{name}: a failure without a reason: {item:?}"));
        assert_ne!(reason, ResultReason::GeneralFailure, "{name}: {item:?}");
        assert!(
            item.result_message.as_ref().is_some_and(|m| !m.is_empty()),
            "{name}: a failure without a message: {item:?}"
        );
    }
    r
}

/// A server with its KMIP socket and one group; the directory lives as long as the server.
async fn started() -> (tempfile::TempDir, KmipServer, String) {
    let tmp = tempfile::tempdir().unwrap();
    let s = KmipServer::start(tmp.path(), &[]);
    let secret = s.server.register().await;
    (tmp, s, secret)
}

#[tokio::test]
async fn every_corpus_request_gets_a_well_formed_answer() {
    let (_tmp, s, secret) = started().await;

    let messages = corpus_files(&corpus().join("messages"));
    assert!(messages.len() >= 40, "{} messages", messages.len());
    for (name, bytes) in &messages {
        let m = ekms_kmip::binary::decode(bytes)
            .unwrap_or_else(|e| panic!("{name}: the corpus file is not TTLV: {e}"));
        answered(&s, name, &with_credential(m, &secret)).await;
    }

    let payloads = corpus_files(&corpus().join("payloads"));
    assert!(payloads.len() >= 90, "{} payloads", payloads.len());
    for (name, bytes) in &payloads {
        // The directory names the operation (`.../create_key_pair/full_encoding-62.bin`).
        let dir = Path::new(name).parent().and_then(Path::file_name).unwrap();
        let operation = Operation::from_name(dir.to_str().unwrap())
            .unwrap_or_else(|| panic!("{name}: no operation named {dir:?}"));
        for v in [ProtocolVersion::V1_4, ProtocolVersion::V2_0] {
            let m = wrap(v, operation, bytes, &secret);
            answered_bytes(&s, &format!("{name} in {v}"), &m).await;
        }
    }
}

/// The first item of a successful answer: its payload's children.
fn ok_items(r: &ResponseMessage) -> &[Ttlv] {
    ok_payload(&r.items[0])
}

/// `message` with every Unique Identifier set to `uid` (the corpus names the objects of the
/// session it was captured in).
fn with_uid(mut message: Ttlv, uid: &str) -> Ttlv {
    fn walk(t: &mut Ttlv, uid: &str) {
        if t.tag == Tag::UNIQUE_IDENTIFIER {
            t.value = Value::TextString(uid.to_string());
        }
        for child in t.items_mut().into_iter().flatten() {
            walk(child, uid);
        }
    }
    walk(&mut message, uid);
    message
}

/// The payload of the first batch item of a request `message`, to change.
fn payload_mut(message: &mut Ttlv) -> &mut Vec<Ttlv> {
    message
        .items_mut()
        .and_then(|items| items.iter_mut().find(|t| t.tag == Tag::BATCH_ITEM))
        .and_then(Ttlv::items_mut)
        .and_then(|item| item.iter_mut().find(|t| t.tag == Tag::REQUEST_PAYLOAD))
        .and_then(Ttlv::items_mut)
        .expect("a batch item with a payload")
}

const USE_CASE_4_1: &str = "kmip-protocol-0.4.3/kmip_1_0_usecase_4_1_step";

/// Locate by name (FortiGate resolves each of its keys by Name alone and got the same key for
/// every name from a server that ignored the Name): the spec's KMIP 1.0 use case creates
/// `Key1` and locates it by Object Type and Name; with other keys in the group, only `Key1`
/// is found. Then Get in the format the client asks (Veeam and others export Raw or
/// Transparent forms), and the KMIP 1.0 attribute forms of Get Attributes.
#[tokio::test]
async fn locate_by_name_get_in_the_asked_format_and_kmip_1_0_attributes() {
    let (_tmp, s, secret) = started().await;
    let mut c = s.connect().await;
    // Other keys first, so that a Locate ignoring the Name would answer one of them.
    for name in ["Key0", "Key2"] {
        let v = ProtocolVersion::V1_0;
        c.call(&request(v, Some(&secret), vec![create_aes(v, 128, name)]))
            .await;
    }
    let create = message(&format!(
        "{USE_CASE_4_1}_1_client_a_create_symmetric_key_request.bin"
    ));
    let created = answered(&s, "create Key1", &with_credential(create, &secret)).await;
    let uid = uid_in(&created.items[0]);

    let locate = message(&format!(
        "{USE_CASE_4_1}_5_client_b_locate_symmetric_key_by_name_request.bin"
    ));
    let found = answered(&s, "locate Key1", &with_credential(locate, &secret)).await;
    let ids: Vec<&str> = ok_items(&found)
        .iter()
        .filter(|t| t.tag == Tag::UNIQUE_IDENTIFIER)
        .filter_map(Ttlv::as_text)
        .collect();
    assert_eq!(ids, [uid.as_str()]);

    // Get, as the use case sends it, then asking for Raw and Transparent Symmetric Key.
    let get = message(&format!(
        "{USE_CASE_4_1}_6_client_b_get_symmetric_key_request.bin"
    ));
    let mut key = None;
    for format in [
        None,
        Some(KeyFormatType::Raw),
        Some(KeyFormatType::TransparentSymmetricKey),
    ] {
        let mut m = with_uid(get.clone(), &uid);
        if let Some(f) = format {
            payload_mut(&mut m).push(Ttlv::enumeration(Tag::KEY_FORMAT_TYPE, f.as_u32()));
        }
        let r = answered(
            &s,
            &format!("get as {format:?}"),
            &with_credential(m, &secret),
        )
        .await;
        let block = ok_items(&r)
            .iter()
            .find(|t| t.tag == Tag::SYMMETRIC_KEY)
            .and_then(|k| k.child(Tag::KEY_BLOCK))
            .expect("a Key Block");
        let answered_format = block.child(Tag::KEY_FORMAT_TYPE).unwrap().as_enum();
        assert_eq!(
            answered_format,
            Some(format.unwrap_or(KeyFormatType::Raw).as_u32())
        );
        let bytes = key_bytes(&r.items[0]);
        assert_eq!(bytes.len(), 16);
        assert_eq!(*key.get_or_insert(bytes.clone()), bytes, "the same key");
    }

    // Get Attributes in KMIP 1.0's form: attributes named by text, answered the same way.
    let get_attributes = message(&format!(
        "{USE_CASE_4_1}_2_client_a_get_attribute_request.bin"
    ));
    let asked: Vec<String> = payload_mut(&mut get_attributes.clone())
        .iter()
        .filter(|t| t.tag == Tag::ATTRIBUTE_NAME)
        .filter_map(|t| t.as_text().map(str::to_string))
        .collect();
    assert!(!asked.is_empty());
    let r = answered(
        &s,
        "get attributes",
        &with_credential(with_uid(get_attributes, &uid), &secret),
    )
    .await;
    let names: Vec<&str> = ok_items(&r)
        .iter()
        .filter(|t| t.tag == Tag::ATTRIBUTE)
        .filter_map(|a| a.child(Tag::ATTRIBUTE_NAME).and_then(Ttlv::as_text))
        .collect();
    for name in &asked {
        assert!(names.contains(&name.as_str()), "{name} not in {names:?}");
    }
}

/// Register of Secret Data in KMIP 1.x (what MongoDB's and Percona's libkmip clients send for
/// their key encryption key: Secret Data Type Seed, the bytes in an Opaque key block), then Get:
/// the same bytes come back.
#[tokio::test]
async fn register_of_secret_data_and_get_it_back() {
    let (_tmp, s, secret) = started().await;
    let data: Vec<u8> = (0u8..96).collect();
    let object = seed_secret_data(data.clone());
    let payload = Ttlv::structure(
        Tag::REQUEST_PAYLOAD,
        vec![
            Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SecretData.as_u32()),
            Ttlv::structure(Tag::TEMPLATE_ATTRIBUTE, vec![]),
            object,
        ],
    );
    for v in [ProtocolVersion::V1_0, ProtocolVersion::V1_4] {
        let m = wrap(
            v,
            Operation::Register,
            &ekms_kmip::binary::to_vec(&payload),
            &secret,
        );
        let r = answered_bytes(&s, "register", &m).await;
        let uid = uid_in(&r.items[0]);
        let get = Ttlv::structure(
            Tag::REQUEST_PAYLOAD,
            vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, &uid)],
        );
        let m = wrap(v, Operation::Get, &ekms_kmip::binary::to_vec(&get), &secret);
        let r = answered_bytes(&s, "get", &m).await;
        let material = ok_items(&r)
            .iter()
            .find(|t| t.tag == Tag::SECRET_DATA)
            .and_then(|d| d.child(Tag::KEY_BLOCK))
            .and_then(|b| b.child(Tag::KEY_VALUE))
            .and_then(|kv| kv.child(Tag::KEY_MATERIAL))
            .and_then(Ttlv::as_bytes)
            .expect("the secret's bytes");
        assert_eq!(material, &data[..], "{v}");
    }
}

/// Query as Synology DSM sends it (all six functions of KMIP 1.2, captured in a public report)
/// and as the spec's use case sends it: the answer lists the operations and object types ekms
/// serves, among them those these clients go on to use.
#[tokio::test]
async fn query_lists_operations_and_objects() {
    let (_tmp, s, secret) = started().await;
    for path in [
        "synology-dsm-7.3.3/query.bin",
        "kmip-protocol-0.4.3/kmip_1_0_usecase_12_1_step_2_query_operations_objects_max_response_size_2048_request.bin",
    ] {
        let r = answered(&s, path, &with_credential(message(path), &secret)).await;
        let items = ok_items(&r);
        let listed = |tag| -> Vec<u32> {
            items
                .iter()
                .filter(|t| t.tag == tag)
                .filter_map(Ttlv::as_enum)
                .collect()
        };
        let operations = listed(Tag::OPERATION);
        for op in [
            Operation::Create,
            Operation::Register,
            Operation::Locate,
            Operation::Get,
            Operation::GetAttributes,
            Operation::Activate,
            Operation::Revoke,
            Operation::Destroy,
            Operation::Query,
        ] {
            assert!(
                operations.contains(&op.as_u32()),
                "{path}: {op:?} not listed"
            );
        }
        let objects = listed(Tag::OBJECT_TYPE);
        for o in [ObjectType::SymmetricKey, ObjectType::SecretData] {
            assert!(objects.contains(&o.as_u32()), "{path}: {o:?} not listed");
        }
    }
}
