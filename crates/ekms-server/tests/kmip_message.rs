//! End to end over HTTPS: `POST /kmip`, a whole KMIP Request Message in binary TTLV, JSON TTLV
//! or KMIP XML, against the real server binary.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/kmip.rs"]
mod kmip;
mod support;

use ekms_kmip::enums::{BatchErrorContinuationOption, Operation, ResultReason, ResultStatus};
use ekms_kmip::{FromTtlv, ProtocolVersion, RequestMessage, ResponseMessage, Tag, ToTtlv};
use kmip::*;
use support::Server;

const BINARY: &str = "application/octet-stream";
const JSON: &str = "application/json";
const XML: &str = "text/xml";

/// Posts `body` to `/kmip`; returns the status, the Content-Type and the body.
async fn post(
    s: &Server,
    content_type: Option<&str>,
    secret_header: Option<&str>,
    body: Vec<u8>,
) -> (u16, String, Vec<u8>) {
    let mut req = s.http.post(format!("{}/kmip", s.url)).body(body);
    if let Some(t) = content_type {
        req = req.header("content-type", t);
    }
    if let Some(secret) = secret_header {
        req = req.header("KmsDatabaseSecret", secret);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ct, r.bytes().await.unwrap().to_vec())
}

/// Sends a binary request message; expects HTTP 200 with a binary response message.
async fn call(s: &Server, secret_header: Option<&str>, m: &RequestMessage) -> ResponseMessage {
    let (status, ct, body) = post(
        s,
        Some(BINARY),
        secret_header,
        ekms_kmip::binary::to_vec(&m.to_ttlv()),
    )
    .await;
    assert_eq!((status, ct.as_str()), (200, BINARY));
    decode_response(&body)
}

#[tokio::test]
async fn binary_messages_in_every_version() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &[]);
    let secret = s.register().await;
    for v in VERSIONS {
        let r = call(
            &s,
            None,
            &request(v, Some(&secret), vec![create_aes(v, 192, &format!("h{v}"))]),
        )
        .await;
        assert_eq!(r.header.protocol_version, v);
        let uid = uid_in(&r.items[0]);
        let r = call(
            &s,
            None,
            &request(v, Some(&secret), vec![uid_item(Operation::Get, &uid)]),
        )
        .await;
        assert_eq!(key_bytes(&r.items[0]).len(), 24);
        let r = call(
            &s,
            None,
            &request(v, Some(&secret), vec![uid_item(Operation::Destroy, &uid)]),
        )
        .await;
        assert_eq!(uid_in(&r.items[0]), uid);
        // A failed operation is HTTP 200 with the failure in the item.
        let r = call(
            &s,
            None,
            &request(v, Some(&secret), vec![uid_item(Operation::Get, "nope")]),
        )
        .await;
        assert_eq!(failure_of(&r.items[0]), not_found_in(v));
    }
}

#[tokio::test]
async fn the_secret_header_or_the_credential_authenticates() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &[]);
    let secret = s.register().await;
    let v = ProtocolVersion::V2_0;
    // The KmsDatabaseSecret header alone.
    let r = call(
        &s,
        Some(&secret),
        &request(v, None, vec![create_aes(v, 256, "hdr")]),
    )
    .await;
    uid_in(&r.items[0]);
    // Neither, or a wrong credential: every item fails with AuthenticationNotSuccessful,
    // HTTP 200.
    for (header, credential) in [(None, None), (None, Some("garbage"))] {
        let m = batch(
            v,
            credential,
            None,
            vec![create_aes(v, 128, "a"), create_aes(v, 128, "b")],
        );
        let r = call(&s, header, &m).await;
        assert_eq!(r.items.len(), 2);
        for item in &r.items {
            assert_eq!(failure_of(item), ResultReason::AuthenticationNotSuccessful);
        }
    }
    // A header that does not open a group is refused before the body is read, whatever the
    // message carries: 401 with a KMIP error Response Message.
    for credential in [None, Some(secret.as_str())] {
        let m = request(v, credential, vec![create_aes(v, 256, "hdr-bad")]);
        let (status, ct, body) = post(
            &s,
            Some(BINARY),
            Some("garbage"),
            ekms_kmip::binary::to_vec(&m.to_ttlv()),
        )
        .await;
        assert_eq!((status, ct.as_str()), (401, BINARY));
        let r = decode_response(&body);
        assert_eq!(r.items.len(), 1);
        assert_eq!(
            failure_of(&r.items[0]),
            ResultReason::AuthenticationNotSuccessful
        );
    }
    // The message's credential wins over a valid header.
    let other = s.register().await;
    let r = call(
        &s,
        Some(&other),
        &request(v, Some(&secret), vec![create_aes(v, 256, "cred")]),
    )
    .await;
    let uid = uid_in(&r.items[0]);
    let r = call(
        &s,
        None,
        &request(v, Some(&secret), vec![uid_item(Operation::Get, &uid)]),
    )
    .await;
    assert_eq!(key_bytes(&r.items[0]).len(), 32);
}

#[tokio::test]
async fn json_request_messages() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &[]);
    let secret = s.register().await;
    let v = ProtocolVersion::V2_1;
    let m = batch(
        v,
        Some(&secret),
        Some(BatchErrorContinuationOption::Continue),
        vec![
            create_aes(v, 256, "json"),
            uid_item(Operation::Destroy, "nope"),
        ],
    );
    let body = ekms_kmip::json::to_vec(&m.to_ttlv());
    let (status, ct, body) = post(&s, Some(JSON), None, body).await;
    assert_eq!((status, ct.as_str()), (200, JSON));
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["tag"], "ResponseMessage");
    let r = ResponseMessage::from_ttlv(ekms_kmip::json::from_slice(&body).unwrap()).unwrap();
    assert_eq!(r.items.len(), 2);
    let uid = uid_in(&r.items[0]);
    assert_eq!(failure_of(&r.items[1]), not_found_in(v));
    // The same in KMIP 1.x, with the key read back through JSON.
    let v = ProtocolVersion::V1_3;
    let m = request(v, Some(&secret), vec![uid_item(Operation::Get, &uid)]);
    let (status, _, body) = post(&s, Some(JSON), None, ekms_kmip::json::to_vec(&m.to_ttlv())).await;
    assert_eq!(status, 200);
    let r = ResponseMessage::from_ttlv(ekms_kmip::json::from_slice(&body).unwrap()).unwrap();
    assert_eq!(r.header.protocol_version, v);
    assert_eq!(key_bytes(&r.items[0]).len(), 32);
}

/// A KMIP 1.4 Create in the XML encoding as the OASIS test cases write it: attributes by their
/// 1.x names, an enumeration and a mask by name, attributes in either order.
const XML_CREATE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- a comment -->
<RequestMessage>
  <RequestHeader>
    <ProtocolVersion>
      <ProtocolVersionMajor type="Integer" value="1"/>
      <ProtocolVersionMinor value="4" type="Integer"/>
    </ProtocolVersion>
    <BatchCount type="Integer" value="1"/>
  </RequestHeader>
  <BatchItem>
    <Operation type="Enumeration" value="Create"/>
    <RequestPayload>
      <ObjectType type="Enumeration" value="SymmetricKey"/>
      <TemplateAttribute>
        <Attribute>
          <AttributeName type="TextString" value="Cryptographic Algorithm"/>
          <AttributeValue type="Enumeration" value="AES"/>
        </Attribute>
        <Attribute>
          <AttributeName type="TextString" value="Cryptographic Length"/>
          <AttributeValue type="Integer" value="128"/>
        </Attribute>
        <Attribute>
          <AttributeName type="TextString" value="Cryptographic Usage Mask"/>
          <AttributeValue type="Integer" value="Decrypt Encrypt"/>
        </Attribute>
      </TemplateAttribute>
    </RequestPayload>
  </BatchItem>
</RequestMessage>
"#;

#[tokio::test]
async fn xml_request_messages() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &[]);
    let secret = s.register().await;
    let (status, ct, body) = post(&s, Some(XML), Some(&secret), XML_CREATE.into()).await;
    assert_eq!((status, ct.as_str()), (200, XML));
    let text = String::from_utf8(body.clone()).unwrap();
    assert!(text.starts_with("<ResponseMessage>"), "{text}");
    assert!(
        text.contains(r#"<ResultStatus type="Enumeration" value="Success"/>"#),
        "{text}"
    );
    let r = ResponseMessage::from_ttlv(ekms_kmip::xml::from_slice(&body).unwrap()).unwrap();
    assert_eq!(r.header.protocol_version, ProtocolVersion::V1_4);
    let uid = uid_in(&r.items[0]);
    // The key read back in XML, from a message the codec wrote (credential in the message).
    let v = ProtocolVersion::V1_4;
    let m = request(v, Some(&secret), vec![uid_item(Operation::Get, &uid)]);
    let body = ekms_kmip::xml::to_vec(&m.to_ttlv());
    let (status, _, body) = post(&s, Some("application/xml; charset=utf-8"), None, body).await;
    assert_eq!(status, 200);
    let r = ResponseMessage::from_ttlv(ekms_kmip::xml::from_slice(&body).unwrap()).unwrap();
    assert_eq!(key_bytes(&r.items[0]).len(), 16);
    // Not XML, or not KMIP XML: a KMIP error in XML that names the line.
    for (bad, what) in [
        (
            "<RequestMessage>\n<RequestHeader>\n</RequestMessage>",
            "line 3",
        ),
        (
            "<RequestMessage>\n\n<Nope/>\n</RequestMessage>",
            "unknown tag name \"Nope\"",
        ),
    ] {
        let (status, ct, body) = post(&s, Some(XML), Some(&secret), bad.into()).await;
        assert_eq!((status, ct.as_str()), (200, XML));
        let r = ResponseMessage::from_ttlv(ekms_kmip::xml::from_slice(&body).unwrap()).unwrap();
        assert_eq!(failure_of(&r.items[0]), ResultReason::InvalidMessage);
        let message = r.items[0].result_message.clone().unwrap_or_default();
        assert!(message.contains(what), "{bad}: {message}");
    }
}

#[tokio::test]
async fn malformed_unsupported_and_oversized_messages() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &["--max-kmip-message-bytes", "2048"]);
    let secret = s.register().await;

    // Not TTLV: a KMIP answer, Invalid Message.
    for (ct, body) in [
        (BINARY, b"definitely not ttlv".to_vec()),
        (
            JSON,
            b"{\"tag\": \"RequestMessage\", \"value\": 3}".to_vec(),
        ),
        (JSON, b"not json".to_vec()),
    ] {
        let (status, got_ct, body) = post(&s, Some(ct), Some(&secret), body).await;
        assert_eq!((status, got_ct.as_str()), (200, ct));
        let t = if ct == JSON {
            ekms_kmip::json::from_slice(&body).unwrap()
        } else {
            ekms_kmip::binary::decode(&body).unwrap()
        };
        let r = ResponseMessage::from_ttlv(t.clone()).unwrap();
        assert_eq!(failure_of(&r.items[0]), ResultReason::InvalidMessage);
    }

    // Another major version.
    let m = request(
        ProtocolVersion::new(3, 0),
        Some(&secret),
        vec![uid_item(Operation::Get, "x")],
    );
    let r = call(&s, None, &m).await;
    assert_eq!(r.items[0].operation, None);
    assert_eq!(failure_of(&r.items[0]), ResultReason::InvalidMessage);
    assert_eq!(r.header.protocol_version, ProtocolVersion::V2_1);

    // Over the limit: 413 with a KMIP answer in the request's encoding.
    let mut big = request(
        ProtocolVersion::V1_4,
        Some(&secret),
        vec![uid_item(Operation::Get, &"x".repeat(4096))],
    );
    big.header.maximum_response_size = None;
    let (status, ct, body) = post(
        &s,
        Some(BINARY),
        None,
        ekms_kmip::binary::to_vec(&big.to_ttlv()),
    )
    .await;
    assert_eq!((status, ct.as_str()), (413, BINARY));
    let r = decode_response(&body);
    assert_eq!(failure_of(&r.items[0]), ResultReason::InvalidMessage);

    // A type that is neither: 415 with the API's JSON error.
    let (status, _, body) = post(&s, Some("text/plain"), Some(&secret), b"x".to_vec()).await;
    assert_eq!(status, 415);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"], "unsupported_media_type");
}

#[tokio::test]
async fn maximum_response_size_is_honoured() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &[]);
    let secret = s.register().await;
    let v = ProtocolVersion::V1_2;
    let r = call(
        &s,
        None,
        &request(v, Some(&secret), vec![create_aes(v, 256, "big")]),
    )
    .await;
    let uid = uid_in(&r.items[0]);
    let mut m = request(v, Some(&secret), vec![uid_item(Operation::Get, &uid)]);
    m.header.maximum_response_size = Some(64);
    let r = call(&s, None, &m).await;
    assert_eq!(r.items[0].result_status, ResultStatus::OperationFailed);
    assert_eq!(
        r.items[0].result_reason,
        Some(ResultReason::ResponseTooLarge)
    );
    assert!(r.items[0].payload.is_none());
    assert!(
        !r.items[0]
            .payload
            .iter()
            .any(|p| p.child(Tag::SYMMETRIC_KEY).is_some())
    );
}

/// Split keys and the object types ekms stores as sent, over `POST /kmip` in JSON and in XML:
/// every transport runs them as the socket does.
#[tokio::test]
async fn json_and_xml_messages_split_keys_and_store_templates() {
    use ekms_kmip::Ttlv;
    use ekms_kmip::enums::ObjectType;
    use ekms_kmip::message::RequestBatchItem;
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &[]);
    let secret = s.register().await;
    let v = ProtocolVersion::V1_4;
    type Codec = (fn(&Ttlv) -> Vec<u8>, fn(&[u8]) -> Ttlv);
    let json: Codec = (
        |t| ekms_kmip::json::to_vec(t),
        |b| ekms_kmip::json::from_slice(b).unwrap(),
    );
    let xml: Codec = (
        |t| ekms_kmip::xml::to_vec(t),
        |b| ekms_kmip::xml::from_slice(b).unwrap(),
    );
    for (ct, (encode, decode)) in [(JSON, json), (XML, xml)] {
        let send = |items: Vec<RequestBatchItem>| {
            let body = encode(&request(v, Some(&secret), items).to_ttlv());
            let s = &s;
            async move {
                let (status, _, body) = post(s, Some(ct), None, body).await;
                assert_eq!(status, 200, "{ct}");
                ResponseMessage::from_ttlv(decode(&body)).unwrap()
            }
        };
        let r = send(vec![create_aes(v, 256, &format!("split-{ct}"))]).await;
        let key = uid_in(&r.items[0]);
        let r = send(vec![uid_item(Operation::Get, &key)]).await;
        let material = key_bytes(&r.items[0]);
        let split = RequestBatchItem::new(
            Operation::CreateSplitKey,
            vec![
                Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SymmetricKey.as_u32()),
                Ttlv::text(Tag::UNIQUE_IDENTIFIER, key.as_str()),
                Ttlv::integer(Tag::SPLIT_KEY_PARTS, 3),
                Ttlv::integer(Tag::SPLIT_KEY_THRESHOLD, 3),
                Ttlv::enumeration(Tag::SPLIT_KEY_METHOD, 1),
                Ttlv::structure(Tag::TEMPLATE_ATTRIBUTE, vec![]),
            ],
        );
        let r = send(vec![split]).await;
        let parts: Vec<Ttlv> = ok_payload(&r.items[0])
            .iter()
            .filter(|t| t.tag == Tag::UNIQUE_IDENTIFIER)
            .cloned()
            .collect();
        assert_eq!(parts.len(), 3, "{ct}");
        let mut join = vec![Ttlv::enumeration(
            Tag::OBJECT_TYPE,
            ObjectType::SymmetricKey.as_u32(),
        )];
        join.extend(parts);
        let r = send(vec![RequestBatchItem::new(Operation::JoinSplitKey, join)]).await;
        let joined = uid_in(&r.items[0]);
        let r = send(vec![uid_item(Operation::Get, &joined)]).await;
        assert_eq!(key_bytes(&r.items[0]), material, "{ct}");

        // A KMIP 1.x Template is stored and served as sent.
        let template = Ttlv::structure(
            Tag::TEMPLATE,
            vec![attribute_v1(
                "Cryptographic Length",
                Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, 128),
            )],
        );
        let register = RequestBatchItem::new(
            Operation::Register,
            vec![
                Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::Template.as_u32()),
                Ttlv::structure(Tag::TEMPLATE_ATTRIBUTE, vec![]),
                template.clone(),
            ],
        );
        let r = send(vec![register]).await;
        let id = uid_in(&r.items[0]);
        let r = send(vec![uid_item(Operation::Get, &id)]).await;
        let served = ok_payload(&r.items[0])
            .iter()
            .find(|t| t.tag == Tag::TEMPLATE)
            .cloned();
        assert_eq!(served, Some(template), "{ct}");
    }
}
