//! Known client quirks, each sent on every transport that can carry it: the binary socket,
//! `POST /kmip` in binary TTLV, JSON and XML, and (for a KMIP 2.1 form) `POST /kmip/2_1`. Every
//! transport gives the same outcome, the one docs/kmip.md ("Leniency") decides: accepted, or a
//! KMIP error with its reason; never a dropped connection, never a server fault.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/kmip.rs"]
mod kmip;
mod support;

use ekms_kmip::enums::{CryptographicAlgorithm, ObjectType, Operation, ResultReason, ResultStatus};
use ekms_kmip::{FromTtlv, ProtocolVersion, ResponseMessage, Tag, ToTtlv, Ttlv};
use kmip::*;

/// What one request got: per batch item, its status and reason.
type Outcome = Vec<(ResultStatus, Option<ResultReason>)>;

fn outcome(r: &ResponseMessage) -> Outcome {
    r.items
        .iter()
        .map(|i| {
            if i.result_status != ResultStatus::Success {
                assert!(
                    i.result_reason.is_some() && i.result_message.is_some(),
                    "a refusal says why: {i:?}"
                );
                assert_ne!(i.result_reason, Some(ResultReason::GeneralFailure), "{i:?}");
            }
            (i.result_status, i.result_reason)
        })
        .collect()
}

/// The whole-message encodings of `POST /kmip`.
const ENCODINGS: [(&str, &str); 3] = [
    ("binary", "application/octet-stream"),
    ("JSON", "application/json"),
    ("XML", "text/xml"),
];

fn encode(encoding: &str, message: &Ttlv) -> Vec<u8> {
    match encoding {
        "binary" => ekms_kmip::binary::to_vec(message),
        "JSON" => ekms_kmip::json::to_vec(message),
        _ => ekms_kmip::xml::to_vec(message),
    }
}

fn decode(encoding: &str, body: &[u8]) -> Ttlv {
    match encoding {
        "binary" => ekms_kmip::binary::decode(body).unwrap(),
        "JSON" => ekms_kmip::json::from_slice(body).unwrap(),
        _ => ekms_kmip::xml::from_slice(body).unwrap(),
    }
}

/// Sends a whole Request Message on the socket and in each encoding of `POST /kmip`; every
/// answer must be the same. Returns it.
async fn on_every_transport(s: &KmipServer, quirk: &str, message: &Ttlv) -> Outcome {
    let mut c = s.connect().await;
    c.write(&ekms_kmip::binary::to_vec(message)).await.unwrap();
    let bytes = c
        .read_message()
        .await
        .unwrap_or_else(|e| panic!("{quirk}: the socket gave no answer: {e}"));
    let socket = outcome(&decode_response(&bytes));
    for (encoding, content_type) in ENCODINGS {
        let r = s
            .server
            .http
            .post(format!("{}/kmip", s.server.url))
            .header("content-type", content_type)
            .body(encode(encoding, message))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{quirk}: POST /kmip in {encoding}");
        let body = r.bytes().await.unwrap();
        let answer = ResponseMessage::from_ttlv(decode(encoding, &body)).unwrap();
        assert_eq!(
            outcome(&answer),
            socket,
            "{quirk}: POST /kmip in {encoding} differs from the socket"
        );
    }
    socket
}

/// Sends one operation's payload to `POST /kmip/2_1` (KMIP 2.1 JSON); its outcome in the
/// terms of a Response Message: success on 200, else the reason the `error` field names.
async fn on_kmip_2_1(
    s: &KmipServer,
    secret: &str,
    operation: Operation,
    payload: &Ttlv,
) -> Outcome {
    let mut body = ekms_kmip::json::to_value(payload);
    body["tag"] = operation.name().into();
    let (status, v) = s.server.kmip(Some(secret), &body).await;
    if status == 200 {
        return vec![(ResultStatus::Success, None)];
    }
    let reason = v["error"].as_str().and_then(ResultReason::from_name);
    assert!(reason.is_some(), "{status}: {v}");
    vec![(ResultStatus::OperationFailed, reason)]
}

/// A one-item Request Message in `version` with the group secret as credential.
fn message(
    version: ProtocolVersion,
    secret: &str,
    operation: Operation,
    payload: Vec<Ttlv>,
) -> Ttlv {
    request(
        version,
        Some(secret),
        vec![ekms_kmip::message::RequestBatchItem::new(
            operation, payload,
        )],
    )
    .to_ttlv()
}

/// The payload of the first item of a request `message`.
fn payload_of(message: &Ttlv) -> Ttlv {
    message
        .child(Tag::BATCH_ITEM)
        .and_then(|i| i.child(Tag::REQUEST_PAYLOAD))
        .unwrap()
        .clone()
}

const OK: (ResultStatus, Option<ResultReason>) = (ResultStatus::Success, None);

fn failed(reason: ResultReason) -> (ResultStatus, Option<ResultReason>) {
    (ResultStatus::OperationFailed, Some(reason))
}

/// A KMIP 1.x Create of an AES-128 key whose attributes are named by `names` (Cryptographic
/// Algorithm, Cryptographic Length, Cryptographic Usage Mask, in that order).
fn create_v1(names: [&str; 3]) -> Vec<Ttlv> {
    vec![
        Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SymmetricKey.as_u32()),
        Ttlv::structure(
            Tag::TEMPLATE_ATTRIBUTE,
            vec![
                attribute_v1(
                    names[0],
                    Ttlv::enumeration(Tag::ATTRIBUTE_VALUE, CryptographicAlgorithm::Aes.as_u32()),
                ),
                attribute_v1(names[1], Ttlv::integer(Tag::ATTRIBUTE_VALUE, 128)),
                attribute_v1(names[2], Ttlv::integer(Tag::ATTRIBUTE_VALUE, 12)),
            ],
        ),
    ]
}

const SPEC_NAMES: [&str; 3] = [
    "Cryptographic Algorithm",
    "Cryptographic Length",
    "Cryptographic Usage Mask",
];

/// One quirk: a request as the quirky client sends it, and the decided outcome.
struct Quirk {
    name: &'static str,
    version: ProtocolVersion,
    operation: Operation,
    payload: Vec<Ttlv>,
    /// Changes the whole message (the header's quirks).
    message: fn(&mut Ttlv),
    expected: Outcome,
}

/// The Create of [`create_v1`] with spec names, changed by `change`.
fn create_with(change: impl FnOnce(&mut Vec<Ttlv>)) -> Vec<Ttlv> {
    let mut p = create_v1(SPEC_NAMES);
    change(p[1].items_mut().unwrap());
    p
}

fn unchanged(_: &mut Ttlv) {}

/// A quirk of one batch item, in the message as the client sends it.
fn quirk(
    name: &'static str,
    version: ProtocolVersion,
    operation: Operation,
    payload: Vec<Ttlv>,
    expected: (ResultStatus, Option<ResultReason>),
) -> Quirk {
    Quirk {
        name,
        version,
        operation,
        payload,
        message: unchanged,
        expected: vec![expected],
    }
}

fn without_batch_count(m: &mut Ttlv) {
    let header = m.items_mut().unwrap()[0].items_mut().unwrap();
    header.retain(|t| t.tag != Tag::BATCH_COUNT);
}

/// Every quirk docs/kmip.md ("Leniency") decides, in KMIP 1.x (the 2.x ones are in
/// [`quirks_v2`]); `uid` names an existing key.
fn quirks_v1(uid: &str) -> Vec<Quirk> {
    let (v10, v12) = (ProtocolVersion::V1_0, ProtocolVersion::V1_2);
    let uid_field = Ttlv::text(Tag::UNIQUE_IDENTIFIER, uid);
    vec![
        quirk(
            "attribute names in another case and punctuation",
            v12,
            Operation::Create,
            create_v1([
                "cryptographic algorithm",
                "CRYPTOGRAPHIC LENGTH",
                "Cryptographic_Usage_Mask",
            ]),
            OK,
        ),
        quirk(
            "optional attribute missing (no Cryptographic Usage Mask)",
            v12,
            Operation::Create,
            create_with(|a| {
                a.pop();
            }),
            OK,
        ),
        quirk(
            "optional fields missing (Locate with no attribute)",
            v12,
            Operation::Locate,
            vec![],
            OK,
        ),
        quirk(
            "KMIP 1.0 client sending a KMIP 1.2 attribute (Alternative Name)",
            v10,
            Operation::Create,
            create_with(|a| {
                a.push(attribute_v1(
                    "Alternative Name",
                    Ttlv::structure(
                        Tag::ATTRIBUTE_VALUE,
                        vec![
                            Ttlv::text(Tag::ALTERNATIVE_NAME_VALUE, "alt"),
                            Ttlv::enumeration(Tag::ALTERNATIVE_NAME_TYPE, 1),
                        ],
                    ),
                ))
            }),
            OK,
        ),
        quirk(
            "KMIP 1.0 client sending a KMIP 1.2 field (Key Wrap Type in Get)",
            v10,
            Operation::Get,
            vec![uid_field.clone(), Ttlv::enumeration(Tag::KEY_WRAP_TYPE, 2)],
            OK,
        ),
        quirk(
            "KMIP 1.0 client sending a KMIP 1.3 operation (RNG Retrieve)",
            v10,
            Operation::RngRetrieve,
            vec![Ttlv::integer(Tag::DATA_LENGTH, 16)],
            failed(ResultReason::OperationNotSupported),
        ),
        quirk(
            "unknown field in a payload (an extension tag)",
            v12,
            Operation::Get,
            vec![uid_field.clone(), Ttlv::text(Tag(0x54_0010), "vendor")],
            OK,
        ),
        quirk(
            "known field foreign to the operation (Data in Get)",
            v12,
            Operation::Get,
            vec![uid_field, Ttlv::bytes(Tag::DATA, vec![1, 2, 3])],
            OK,
        ),
        quirk(
            "unknown attribute name",
            v12,
            Operation::Create,
            create_with(|a| {
                a.push(attribute_v1(
                    "Colour",
                    Ttlv::text(Tag::ATTRIBUTE_VALUE, "blue"),
                ))
            }),
            failed(ResultReason::InvalidField),
        ),
        quirk(
            "enumeration sent as an Integer (Object Type)",
            v12,
            Operation::Create,
            {
                let mut p = create_v1(SPEC_NAMES);
                p[0] = Ttlv::integer(Tag::OBJECT_TYPE, ObjectType::SymmetricKey.as_u32() as i32);
                p
            },
            failed(ResultReason::InvalidMessage),
        ),
        quirk(
            "attribute value of another type (Cryptographic Length as LongInteger)",
            v12,
            Operation::Create,
            create_with(|a| {
                a[1] = attribute_v1(
                    "Cryptographic Length",
                    Ttlv::long(Tag::ATTRIBUTE_VALUE, 128),
                )
            }),
            failed(ResultReason::InvalidField),
        ),
        Quirk {
            message: without_batch_count,
            ..quirk(
                "header without Batch Count",
                v12,
                Operation::Query,
                vec![],
                failed(ResultReason::InvalidMessage),
            )
        },
    ]
}

/// The quirks that KMIP 2.x can carry, also sent to `POST /kmip/2_1`.
fn quirks_v2(uid: &str) -> Vec<Quirk> {
    let v21 = ProtocolVersion::V2_1;
    let create = |object_type: Ttlv| {
        vec![
            object_type,
            Ttlv::structure(
                Tag::ATTRIBUTES,
                vec![
                    Ttlv::enumeration(
                        Tag::CRYPTOGRAPHIC_ALGORITHM,
                        CryptographicAlgorithm::Aes.as_u32(),
                    ),
                    Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, 128),
                ],
            ),
        ]
    };
    let quirk = |name, operation, payload, expected| quirk(name, v21, operation, payload, expected);
    vec![
        quirk(
            "optional attribute missing (no Cryptographic Usage Mask)",
            Operation::Create,
            create(Ttlv::enumeration(
                Tag::OBJECT_TYPE,
                ObjectType::SymmetricKey.as_u32(),
            )),
            OK,
        ),
        quirk(
            "optional fields missing (Locate with no attribute)",
            Operation::Locate,
            vec![],
            OK,
        ),
        quirk(
            "unknown field in a payload (an extension tag)",
            Operation::Get,
            vec![
                Ttlv::text(Tag::UNIQUE_IDENTIFIER, uid),
                Ttlv::text(Tag(0x54_0010), "vendor"),
            ],
            OK,
        ),
        quirk(
            "enumeration sent as an Integer (Object Type)",
            Operation::Create,
            create(Ttlv::integer(
                Tag::OBJECT_TYPE,
                ObjectType::SymmetricKey.as_u32() as i32,
            )),
            failed(ResultReason::InvalidMessage),
        ),
    ]
}

/// A server whose HTTPS user is the socket's (alice, its certificate's name), so that every
/// transport sees the same objects; its group secret; an AES key of that group.
async fn started() -> (tempfile::TempDir, KmipServer, String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let s = KmipServer::start(tmp.path(), &["--default-user", "alice"]);
    let secret = s.server.register().await;
    let v = ProtocolVersion::V1_2;
    let mut c = s.connect().await;
    let r = c
        .call(&request(v, Some(&secret), vec![create_aes(v, 128, "k")]))
        .await;
    let uid = uid_in(&r.items[0]);
    (tmp, s, secret, uid)
}

#[tokio::test]
async fn every_transport_decides_each_quirk_alike() {
    let (_tmp, s, secret, uid) = started().await;
    for q in quirks_v1(&uid).into_iter().chain(quirks_v2(&uid)) {
        let mut m = message(q.version, &secret, q.operation, q.payload.clone());
        (q.message)(&mut m);
        let got = on_every_transport(&s, q.name, &m).await;
        assert_eq!(got, q.expected, "{} in {}", q.name, q.version);
        if q.version == ProtocolVersion::V2_1 {
            let json = on_kmip_2_1(&s, &secret, q.operation, &payload_of(&m)).await;
            assert_eq!(json, q.expected, "{} on POST /kmip/2_1", q.name);
        }
    }
}

/// Tag names in another case or punctuation, which only the text encodings can carry: JSON
/// and XML on `POST /kmip`, JSON on `POST /kmip/2_1`; accepted on each.
#[tokio::test]
async fn text_encodings_read_tag_names_in_another_case() {
    let (_tmp, s, secret, _) = started().await;
    let v = ProtocolVersion::V2_1;
    let m = request(v, Some(&secret), vec![create_aes(v, 128, "cased")]).to_ttlv();
    let renamed = |text: String| {
        text.replace("CryptographicAlgorithm", "cryptographic_algorithm")
            .replace("CryptographicLength", "CRYPTOGRAPHICLENGTH")
    };
    let json = renamed(ekms_kmip::json::to_string(&m));
    let xml = renamed(ekms_kmip::xml::to_string(&m));
    assert!(json.contains("cryptographic_algorithm") && xml.contains("cryptographic_algorithm"));
    for (content_type, body, encoding) in
        [("application/json", json, "JSON"), ("text/xml", xml, "XML")]
    {
        let r = s
            .server
            .http
            .post(format!("{}/kmip", s.server.url))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let answer =
            ResponseMessage::from_ttlv(decode(encoding, &r.bytes().await.unwrap())).unwrap();
        assert_eq!(outcome(&answer), vec![OK], "{encoding}");
    }
    let payload = payload_of(&m);
    let mut body = ekms_kmip::json::to_value(&payload);
    body["tag"] = "Create".into();
    let text = renamed(body.to_string());
    let (status, v) = s.server.kmip_raw(Some(&secret), text.into_bytes()).await;
    assert_eq!(status, 200, "{v}");
}
