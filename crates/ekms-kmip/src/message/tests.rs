use crate::codec::{FromTtlv, ToTtlv};
use std::fmt;

use proptest::prelude::*;

use super::*;
use crate::attributes::Attributes;
use crate::enums::{CredentialType, CryptographicAlgorithm, ObjectType, usage_mask};
use crate::{binary, json};

// ---------------------------------------------------------------------------------------------
// test vectors of the OASIS KMIP 1.0 use cases (binary TTLV given in the document)

/// KMIP 1.0 use case 3.1.1 (Create / Destroy), the Create request: a 128-bit AES symmetric
/// key with usage mask Encrypt|Decrypt, Template-Attribute form.
const UC_3_1_1_CREATE_REQUEST: &str = concat!(
    "42007801000001204200770100000038420069010000002042006A0200000004000000010000000042006B02",
    "00000004000000000000000042000D0200000004000000010000000042000F01000000D842005C0500000004",
    "000000010000000042007901000000C04200570500000004000000020000000042009101000000A842000801",
    "0000003042000A070000001743727970746F6772617068696320416C676F726974686D0042000B0500000004",
    "0000000300000000420008010000003042000A070000001443727970746F67726170686963204C656E677468",
    "0000000042000B02000000040000008000000000420008010000003042000A07000000184372797074",
    "6F67726170686963205573616765204D61736B42000B02000000040000000C00000000",
);

/// KMIP 1.0 use case 3.1.1, the response to the Create request.
const UC_3_1_1_CREATE_RESPONSE: &str = concat!(
    "42007B01000000C042007A0100000048420069010000002042006A0200000004000000010000000042006B02",
    "0000000400000000000000004200920900000008000000004AFBE7C242000D02000000040000000100000000",
    "42000F010000006842005C0500000004000000010000000042007F0500000004000000000000000042007C01",
    "0000004042005705000000040000000200000000420094070000002466633838333364652D373064322D3465",
    "63652D623036332D66656465336133633539666500000000",
);

/// A KMIP 1.0 use case request with Authentication: Username "Fred", Password "password1",
/// then a Create whose template names the key "PolicyKey", with Operation Policy Name
/// "default" and Cryptographic Parameters (CBC, PKCS5, SHA-1).
const UC_AUTHENTICATED_CREATE_REQUEST: &str = concat!(
    "42007801000002504200770100000088420069010000002042006A0200000004000000010000000042006B02",
    "00000004000000000000000042000C0100000048420023010000004042002405000000040000000100000000",
    "4200250100000028420099070000000446726564000000004200A1070000000970617373776F726431000000",
    "0000000042000D0200000004000000010000000042000F01000001B842005C05000000040000000100000000",
    "42007901000001A0420057050000000400000002000000004200910100000188420008010000003042000A07",
    "0000001743727970746F6772617068696320416C676F726974686D0042000B05000000040000000300000000",
    "420008010000003042000A070000001443727970746F67726170686963204C656E6774680000000042000B02",
    "000000040000008000000000420008010000003042000A070000001843727970746F67726170686963205573",
    "616765204D61736B42000B02000000040000000C00000000420008010000004042000A07000000044E616D65",
    "0000000042000B01000000284200550700000009506F6C6963794B6579000000000000004200540500000004",
    "0000000100000000420008010000003042000A07000000154F7065726174696F6E20506F6C696379204E616D",
    "6500000042000B070000000764656661756C7400420008010000005842000A07000000184372797074",
    "6F6772617068696320506172616D657465727342000B01000000304200110500000004000000010000000042",
    "005F0500000004000000030000000042003805000000040000000400000000",
);

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

#[test]
fn use_case_3_1_1_create_request() {
    let bytes = unhex(UC_3_1_1_CREATE_REQUEST);
    let tree = binary::decode(&bytes).unwrap();
    assert_eq!(
        RequestMessage::peek_version(&tree),
        Some(ProtocolVersion::V1_0)
    );
    let m = RequestMessage::from_ttlv(tree.clone()).unwrap();

    let h = &m.header;
    assert_eq!(h.protocol_version, ProtocolVersion::V1_0);
    assert_eq!(h.maximum_response_size, None);
    assert_eq!(h.asynchronous_indicator, None);
    assert!(h.credentials.is_empty());
    assert_eq!(h.username(), None);
    assert_eq!(h.password(), None);
    assert_eq!(h.batch_error_continuation_option, None);
    assert_eq!(h.batch_order_option, None);
    assert_eq!(h.time_stamp, None);

    assert_eq!(m.items.len(), 1);
    let item = &m.items[0];
    assert_eq!(item.known_operation(), Some(Operation::Create));
    assert_eq!(item.unique_batch_item_id, None);
    assert_eq!(item.message_extension, None);
    assert_eq!(item.payload.tag, Tag::REQUEST_PAYLOAD);
    assert_eq!(
        item.payload.child(Tag::OBJECT_TYPE).and_then(Ttlv::as_enum),
        Some(ObjectType::SymmetricKey.as_u32())
    );
    let template = item.payload.child(Tag::TEMPLATE_ATTRIBUTE).unwrap();
    let attrs = Attributes::from_template_attribute(template.clone()).unwrap();
    assert_eq!(
        attrs.cryptographic_algorithm,
        Some(CryptographicAlgorithm::Aes)
    );
    assert_eq!(attrs.cryptographic_length, Some(128));
    assert_eq!(
        attrs.cryptographic_usage_mask,
        Some(usage_mask::ENCRYPT | usage_mask::DECRYPT)
    );

    // Typed -> TTLV -> bytes gives the specification's bytes back.
    assert_eq!(m.to_ttlv(), tree);
    assert_eq!(binary::to_vec(&m.to_ttlv()), bytes);
}

#[test]
fn use_case_3_1_1_create_response() {
    let bytes = unhex(UC_3_1_1_CREATE_RESPONSE);
    let tree = binary::decode(&bytes).unwrap();
    let m = ResponseMessage::from_ttlv(tree.clone()).unwrap();
    assert_eq!(m.header.protocol_version, ProtocolVersion::V1_0);
    assert_eq!(m.header.time_stamp, 0x4AFB_E7C2);
    assert_eq!(m.header.nonce, None);
    assert_eq!(m.header.client_correlation_value, None);
    assert_eq!(m.items.len(), 1);
    let item = &m.items[0];
    assert_eq!(item.known_operation(), Some(Operation::Create));
    assert_eq!(item.result_status, ResultStatus::Success);
    assert_eq!(item.result_reason, None);
    assert_eq!(item.result_message, None);
    let payload = item.payload.as_ref().unwrap();
    assert_eq!(
        payload.child(Tag::OBJECT_TYPE).and_then(Ttlv::as_enum),
        Some(ObjectType::SymmetricKey.as_u32())
    );
    assert_eq!(
        payload
            .child(Tag::UNIQUE_IDENTIFIER)
            .and_then(Ttlv::as_text),
        Some("fc8833de-70d2-4ece-b063-fede3a3c59fe")
    );
    assert_eq!(binary::to_vec(&m.to_ttlv()), bytes);
}

#[test]
fn use_case_authenticated_create_request() {
    let bytes = unhex(UC_AUTHENTICATED_CREATE_REQUEST);
    let tree = binary::decode(&bytes).unwrap();
    let m = RequestMessage::from_ttlv(tree.clone()).unwrap();
    assert_eq!(m.header.protocol_version, ProtocolVersion::V1_0);
    assert_eq!(m.header.credentials.len(), 1);
    assert_eq!(
        m.header.credentials[0].kind(),
        Some(CredentialType::UsernameAndPassword)
    );
    assert_eq!(m.header.username(), Some("Fred"));
    assert_eq!(m.header.password(), Some("password1"));
    assert_eq!(m.items.len(), 1);
    assert_eq!(m.items[0].known_operation(), Some(Operation::Create));
    let attrs = Attributes::from_template_attribute(
        m.items[0]
            .payload
            .child(Tag::TEMPLATE_ATTRIBUTE)
            .unwrap()
            .clone(),
    )
    .unwrap();
    assert_eq!(attrs.names.len(), 1);
    assert_eq!(attrs.names[0].value, "PolicyKey");
    assert_eq!(binary::to_vec(&m.to_ttlv()), bytes);

    // The password never reaches Debug output, neither does the payload.
    let dbg = format!("{m:?}");
    assert!(!dbg.contains("password1"), "{dbg}");
    assert!(dbg.contains("***"));
    assert!(dbg.contains("Fred"));
    assert!(!dbg.contains("PolicyKey"), "{dbg}");
    assert!(dbg.contains("Create"));
}

// ---------------------------------------------------------------------------------------------
// round trips

fn up(user: &str, pass: &str) -> Credential {
    Credential::username_and_password(user, Some(Password::from(pass)))
}

fn payload_fields() -> Vec<Ttlv> {
    vec![
        Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SymmetricKey.as_u32()),
        Ttlv::text(Tag::UNIQUE_IDENTIFIER, "uid-1"),
    ]
}

/// A request using every header field the version defines.
fn request(version: ProtocolVersion) -> RequestMessage {
    let mut h = RequestHeader::new(version);
    h.maximum_response_size = Some(65_536);
    h.asynchronous_indicator = Some(AsyncIndicator::Flag(false));
    h.credentials = vec![up("alice", "s3cret-token")];
    h.batch_error_continuation_option = Some(BatchErrorContinuationOption::Continue);
    h.batch_order_option = Some(true);
    h.time_stamp = Some(1_700_000_000);
    if version >= ProtocolVersion::V1_2 {
        h.attestation_capable_indicator = Some(true);
        h.attestation_types = vec![AttestationType::TpmQuote, AttestationType::SamlAssertion];
    }
    if version >= ProtocolVersion::V1_4 {
        h.client_correlation_value = Some("client-42".into());
        h.server_correlation_value = Some("server-7".into());
    }
    if version >= ProtocolVersion::V2_0 {
        h.credentials.push(Credential::Other {
            credential_type: CredentialType::Ticket.as_u32(),
            value: OpaqueCredentialValue::new(Ttlv::structure(
                Tag::CREDENTIAL_VALUE,
                vec![Ttlv::structure(
                    Tag::TICKET,
                    vec![
                        Ttlv::enumeration(Tag::TICKET_TYPE, 1),
                        Ttlv::bytes(Tag::TICKET_VALUE, vec![9; 16]),
                    ],
                )],
            )),
        });
    }
    if version == ProtocolVersion::V2_1 {
        h.asynchronous_indicator =
            Some(AsyncIndicator::Indicator(AsynchronousIndicator::Prohibited));
    }
    let mut first = RequestBatchItem::new(Operation::Create, payload_fields());
    first.unique_batch_item_id = Some(vec![1]);
    let mut second = RequestBatchItem::new(Operation::Get, vec![]);
    second.unique_batch_item_id = Some(vec![2]);
    second.message_extension = Some(MessageExtension {
        vendor_identification: "ekms".into(),
        criticality_indicator: false,
        vendor_extension: Ttlv::structure(
            Tag::VENDOR_EXTENSION,
            vec![Ttlv::integer(Tag(0x540001), 5)],
        ),
    });
    if version >= ProtocolVersion::V2_0 {
        second.ephemeral = Some(true);
    }
    // An operation this crate does not know survives too.
    let mut third = RequestBatchItem::new(Operation::Query, vec![]);
    third.operation = 0x8000_0001;
    third.unique_batch_item_id = Some(vec![3]);
    RequestMessage::new(h, vec![first, second, third])
}

fn response(version: ProtocolVersion, req: &RequestMessage) -> ResponseMessage {
    let mut h = ResponseHeader::answering(&req.header, version, 1_700_000_001);
    if version >= ProtocolVersion::V1_2 {
        h.nonce = Some(Nonce {
            nonce_id: vec![1, 2],
            nonce_value: vec![3; 32],
        });
        h.attestation_types = vec![AttestationType::TcgIntegrityReport];
    }
    if version >= ProtocolVersion::V2_0 {
        h.server_hashed_password = Some(vec![0xAB; 32]);
    }
    let mut pending = ResponseBatchItem::undone(&req.items[1]);
    pending.result_status = ResultStatus::OperationPending;
    pending.asynchronous_correlation_value = Some(vec![7; 8]);
    pending.message_extension = req.items[1].message_extension.clone();
    let items = vec![
        ResponseBatchItem::success(&req.items[0], payload_fields()),
        pending,
        ResponseBatchItem::failure(
            Some(&req.items[2]),
            ResultReason::OperationNotSupported,
            "operation not supported",
        ),
        ResponseBatchItem::undone(&req.items[0]),
    ];
    ResponseMessage::new(h, items)
}

fn through_binary(t: &Ttlv) -> Ttlv {
    binary::decode(&binary::to_vec(t)).unwrap()
}

fn through_json(t: &Ttlv) -> Ttlv {
    json::from_slice(&json::to_vec(t)).unwrap()
}

const ROUND_TRIP_VERSIONS: [ProtocolVersion; 5] = [
    ProtocolVersion::V1_0,
    ProtocolVersion::V1_2,
    ProtocolVersion::V1_4,
    ProtocolVersion::V2_0,
    ProtocolVersion::V2_1,
];

#[test]
fn request_round_trips() {
    for v in ROUND_TRIP_VERSIONS {
        let m = request(v);
        let t = m.to_ttlv();
        assert_eq!(
            t.child(Tag::REQUEST_HEADER)
                .and_then(|h| h.child(Tag::BATCH_COUNT))
                .and_then(Ttlv::as_i32),
            Some(3)
        );
        let back = RequestMessage::from_ttlv(through_binary(&t)).unwrap();
        assert_eq!(back, m, "{v}");
        let back = RequestMessage::from_ttlv(through_json(&t)).unwrap();
        assert_eq!(back, m, "{v} (JSON)");
        assert_eq!(back.header.password(), Some("s3cret-token"));
        assert_eq!(back.header.username(), Some("alice"));
        assert_eq!(RequestMessage::peek_version(&t), Some(v));
    }
}

#[test]
fn response_round_trips() {
    for v in ROUND_TRIP_VERSIONS {
        let req = request(v);
        let m = response(v, &req);
        let t = m.to_ttlv();
        let back = ResponseMessage::from_ttlv(through_binary(&t)).unwrap();
        assert_eq!(back, m, "{v}");
        let back = ResponseMessage::from_ttlv(through_json(&t)).unwrap();
        assert_eq!(back, m, "{v} (JSON)");
        assert_eq!(ResponseMessage::peek_version(&t), Some(v));
        if v >= ProtocolVersion::V1_4 {
            assert_eq!(
                back.header.client_correlation_value.as_deref(),
                Some("client-42")
            );
        }
        assert_eq!(back.items[0].known_operation(), Some(Operation::Create));
        assert_eq!(back.items[0].unique_batch_item_id, Some(vec![1]));
        assert_eq!(back.items[2].operation, Some(0x8000_0001));
        assert_eq!(back.items[2].known_operation(), None);
        assert_eq!(back.items[3].result_status, ResultStatus::OperationUndone);
    }
}

#[test]
fn writes_fields_in_specification_order() {
    let t = request(ProtocolVersion::V2_1).to_ttlv();
    let header = t.child(Tag::REQUEST_HEADER).unwrap();
    let order: Vec<Tag> = header.items().iter().map(|c| c.tag).collect();
    assert_eq!(
        order,
        [
            Tag::PROTOCOL_VERSION,
            Tag::MAXIMUM_RESPONSE_SIZE,
            Tag::CLIENT_CORRELATION_VALUE,
            Tag::SERVER_CORRELATION_VALUE,
            Tag::ASYNCHRONOUS_INDICATOR,
            Tag::ATTESTATION_CAPABLE_INDICATOR,
            Tag::ATTESTATION_TYPE,
            Tag::ATTESTATION_TYPE,
            Tag::AUTHENTICATION,
            Tag::BATCH_ERROR_CONTINUATION_OPTION,
            Tag::BATCH_ORDER_OPTION,
            Tag::TIME_STAMP,
            Tag::BATCH_COUNT,
        ]
    );
    let item = t.children(Tag::BATCH_ITEM).nth(1).unwrap();
    let order: Vec<Tag> = item.items().iter().map(|c| c.tag).collect();
    assert_eq!(
        order,
        [
            Tag::OPERATION,
            Tag::EPHEMERAL,
            Tag::UNIQUE_BATCH_ITEM_ID,
            Tag::REQUEST_PAYLOAD,
            Tag::MESSAGE_EXTENSION,
        ]
    );
    let req = request(ProtocolVersion::V2_1);
    let r = response(ProtocolVersion::V2_1, &req).to_ttlv();
    let order: Vec<Tag> = r
        .child(Tag::RESPONSE_HEADER)
        .unwrap()
        .items()
        .iter()
        .map(|c| c.tag)
        .collect();
    assert_eq!(
        order,
        [
            Tag::PROTOCOL_VERSION,
            Tag::TIME_STAMP,
            Tag::NONCE,
            Tag::SERVER_HASHED_PASSWORD,
            Tag::ATTESTATION_TYPE,
            Tag::CLIENT_CORRELATION_VALUE,
            Tag::SERVER_CORRELATION_VALUE,
            Tag::BATCH_COUNT,
        ]
    );
}

#[test]
fn fields_in_any_order_are_read() {
    let t = request(ProtocolVersion::V1_4).to_ttlv();
    let mut shuffled = t.clone();
    let items = shuffled.items_mut().unwrap();
    items.reverse();
    let header = items
        .iter_mut()
        .find(|c| c.tag == Tag::REQUEST_HEADER)
        .unwrap();
    // Batch Count first, Protocol Version last; repeated fields keep their order.
    header.items_mut().unwrap().rotate_right(1);
    header.items_mut().unwrap().rotate_left(2);
    let m = RequestMessage::from_ttlv(shuffled.clone()).unwrap();
    // Batch items are kept in the order received.
    let mut expected = request(ProtocolVersion::V1_4);
    expected.items.reverse();
    assert_eq!(m, expected);
}

#[test]
fn payload_and_extension_tags_are_normalized_on_output() {
    let mut item = RequestBatchItem::new(Operation::Get, vec![]);
    item.payload = Ttlv::structure(Tag::operation_request(Operation::Get.as_u32()), vec![]);
    let m = RequestMessage::new(RequestHeader::new(ProtocolVersion::V2_1), vec![item]);
    let t = m.to_ttlv();
    let item = t.child(Tag::BATCH_ITEM).unwrap();
    assert!(item.child(Tag::REQUEST_PAYLOAD).is_some());
    // And the result is readable.
    assert!(RequestMessage::from_ttlv(through_binary(&t)).is_ok());
}

// ---------------------------------------------------------------------------------------------
// credentials

#[test]
fn credentials_of_every_type() {
    let device = Credential::Device(DeviceCredential {
        device_serial_number: Some("SN-1".into()),
        password: Some(Password::from("device-pw")),
        device_identifier: Some("dev".into()),
        network_identifier: Some("net".into()),
        machine_identifier: Some("machine".into()),
        media_identifier: Some("media".into()),
    });
    let attestation = Credential::Attestation(AttestationCredential {
        nonce: Nonce {
            nonce_id: vec![1],
            nonce_value: vec![2; 16],
        },
        attestation_type: AttestationType::TpmQuote,
        attestation_measurement: Some(vec![3; 4]),
        attestation_assertion: None,
    });
    let otp = Credential::Other {
        credential_type: CredentialType::OneTimePassword.as_u32(),
        value: OpaqueCredentialValue::new(Ttlv::structure(
            Tag::CREDENTIAL_VALUE,
            vec![
                Ttlv::text(Tag::USERNAME, "bob"),
                Ttlv::text(Tag::PASSWORD, "otp-secret"),
                Ttlv::text(Tag::ONE_TIME_PASSWORD, "123456"),
            ],
        )),
    };
    let hashed = Credential::Other {
        credential_type: CredentialType::HashedPassword.as_u32(),
        value: OpaqueCredentialValue::new(Ttlv::structure(
            Tag::CREDENTIAL_VALUE,
            vec![
                Ttlv::text(Tag::USERNAME, "bob"),
                Ttlv::datetime(Tag::TIME_STAMP, 1),
                Ttlv::bytes(Tag::HASHED_PASSWORD, vec![0xEE; 32]),
            ],
        )),
    };
    let unknown = Credential::Other {
        credential_type: 0x8000_0000,
        value: OpaqueCredentialValue::new(Ttlv::text(Tag::CREDENTIAL_VALUE, "opaque")),
    };
    let no_password = Credential::username_and_password("carol", None);
    let all = vec![
        no_password,
        device,
        attestation,
        otp,
        hashed,
        unknown,
        up("dave", "dave-pw"),
    ];
    for c in &all {
        let t = c.to_ttlv();
        assert_eq!(Credential::from_ttlv(through_binary(&t)).unwrap(), *c);
    }
    assert_eq!(all[1].kind(), Some(CredentialType::Device));
    assert_eq!(all[3].kind(), Some(CredentialType::OneTimePassword));
    assert_eq!(all[5].kind(), None);

    let mut h = RequestHeader::new(ProtocolVersion::V2_0);
    h.credentials = all;
    // The first Username and Password credential wins; one without a Password gives None.
    assert_eq!(h.username(), Some("carol"));
    assert_eq!(h.password(), None);
    let m = RequestMessage::new(h, vec![RequestBatchItem::new(Operation::Query, vec![])]);
    let back = RequestMessage::from_ttlv(through_binary(&m.to_ttlv())).unwrap();
    assert_eq!(back, m);
    let dbg = format!("{back:?}");
    for secret in ["device-pw", "otp-secret", "123456", "dave-pw", "opaque"] {
        assert!(!dbg.contains(secret), "{secret} in {dbg}");
    }
}

#[test]
fn password_type() {
    let p = Password::from("hunter2");
    assert_eq!(format!("{p:?}"), "***");
    assert_eq!(p.expose(), "hunter2");
    assert_eq!(p, Password::new("hunter2".to_string()));
    assert_ne!(p, Password::from("hunter3"));
    assert_ne!(p, Password::from("hunter22"));
    let mut z = p.clone();
    zeroize::Zeroize::zeroize(&mut z);
    assert_eq!(z.expose(), "");
    fn wipes_on_drop<T: zeroize::ZeroizeOnDrop>() {}
    wipes_on_drop::<Password>();
}

#[test]
fn wipe_ttlv_clears_secrets_at_any_depth() {
    let mut t = Ttlv::text(Tag::PASSWORD, "leaf");
    for _ in 0..10_000 {
        t = Ttlv::structure(Tag::CREDENTIAL_VALUE, vec![t]);
    }
    let mut shallow = Ttlv::structure(
        Tag::CREDENTIAL_VALUE,
        vec![
            Ttlv::text(Tag::USERNAME, "u"),
            Ttlv::bytes(Tag::HASHED_PASSWORD, vec![1, 2, 3]),
            Ttlv::big_integer(Tag::NONCE_VALUE, vec![4; 8]),
            Ttlv::integer(Tag::BATCH_COUNT, 5),
        ],
    );
    wipe_ttlv(&mut shallow);
    assert_eq!(shallow.items()[0].as_text(), Some(""));
    assert_eq!(shallow.items()[1].as_bytes(), Some(&[][..]));
    assert_eq!(shallow.items()[2].as_big_integer(), Some(&[][..]));
    assert_eq!(shallow.items()[3].as_i32(), Some(5));
    wipe_ttlv(&mut t);
    // Dismantle the deep tree iteratively so the test does not overflow the stack in Drop.
    let mut cur = Some(t);
    while let Some(node) = cur.take() {
        match node.value {
            Value::Structure(mut items) => cur = items.pop(),
            Value::TextString(s) => assert!(s.is_empty()),
            _ => panic!("unexpected leaf"),
        }
    }
}

#[test]
fn async_indicator_forms() {
    assert!(AsyncIndicator::Flag(true).allows_asynchronous());
    assert!(!AsyncIndicator::Flag(false).allows_asynchronous());
    let mandatory = AsyncIndicator::Indicator(AsynchronousIndicator::Mandatory);
    assert!(mandatory.allows_asynchronous() && mandatory.requires_asynchronous());
    let prohibited = AsyncIndicator::Indicator(AsynchronousIndicator::Prohibited);
    assert!(!prohibited.allows_asynchronous());
    for a in [AsyncIndicator::Flag(true), mandatory, prohibited] {
        assert_eq!(AsyncIndicator::from_ttlv(a.to_ttlv()), Ok(a));
    }
    assert!(AsyncIndicator::from_ttlv(Ttlv::integer(Tag::ASYNCHRONOUS_INDICATOR, 1)).is_err());
    assert!(AsyncIndicator::from_ttlv(Ttlv::enumeration(Tag::ASYNCHRONOUS_INDICATOR, 9)).is_err());
}

// ---------------------------------------------------------------------------------------------
// malformed messages

/// A minimal valid request as a tree, for the negative tests to break.
fn minimal() -> Ttlv {
    RequestMessage::new(
        RequestHeader::new(ProtocolVersion::V1_2),
        vec![RequestBatchItem::new(Operation::Query, vec![])],
    )
    .to_ttlv()
}

fn header_mut(t: &mut Ttlv) -> &mut Vec<Ttlv> {
    t.items_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c.tag == Tag::REQUEST_HEADER)
        .unwrap()
        .items_mut()
        .unwrap()
}

fn item_mut(t: &mut Ttlv) -> &mut Vec<Ttlv> {
    t.items_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c.tag == Tag::BATCH_ITEM)
        .unwrap()
        .items_mut()
        .unwrap()
}

fn set_batch_count(t: &mut Ttlv, n: i32) {
    for c in header_mut(t).iter_mut() {
        if c.tag == Tag::BATCH_COUNT {
            c.value = Value::Integer(n);
        }
    }
}

#[test]
fn minimal_request_is_valid() {
    assert!(RequestMessage::from_ttlv(minimal()).is_ok());
}

#[test]
fn missing_protocol_version() {
    let mut t = minimal();
    header_mut(&mut t).retain(|c| c.tag != Tag::PROTOCOL_VERSION);
    assert_eq!(
        RequestMessage::from_ttlv(t.clone()),
        Err(Error::MissingField {
            parent: Tag::REQUEST_HEADER,
            field: Tag::PROTOCOL_VERSION
        })
    );
    assert_eq!(RequestMessage::peek_version(&t), None);
    // A Protocol Version without its minor.
    let mut t = minimal();
    header_mut(&mut t)[0] = Ttlv::structure(
        Tag::PROTOCOL_VERSION,
        vec![Ttlv::integer(Tag::PROTOCOL_VERSION_MAJOR, 1)],
    );
    assert_eq!(
        RequestMessage::from_ttlv(t.clone()),
        Err(Error::MissingField {
            parent: Tag::PROTOCOL_VERSION,
            field: Tag::PROTOCOL_VERSION_MINOR
        })
    );
}

#[test]
fn missing_batch_count() {
    let mut t = minimal();
    header_mut(&mut t).retain(|c| c.tag != Tag::BATCH_COUNT);
    assert_eq!(
        RequestMessage::from_ttlv(t.clone()),
        Err(Error::MissingField {
            parent: Tag::REQUEST_HEADER,
            field: Tag::BATCH_COUNT
        })
    );
}

#[test]
fn batch_count_must_match_items() {
    for n in [0, 2, -1, i32::MAX, i32::MIN] {
        let mut t = minimal();
        set_batch_count(&mut t, n);
        let err = RequestMessage::from_ttlv(t.clone()).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidValue { tag, reason, .. }
                if *tag == Tag::BATCH_COUNT && reason.contains("1 batch items")),
            "{err}"
        );
    }
    // Two items and a count of one.
    let mut t = minimal();
    let item = t.child(Tag::BATCH_ITEM).unwrap().clone();
    t.items_mut().unwrap().push(item);
    assert!(RequestMessage::from_ttlv(t.clone()).is_err());
    set_batch_count(&mut t, 2);
    assert_eq!(RequestMessage::from_ttlv(t.clone()).unwrap().items.len(), 2);
    // No batch item at all.
    let mut t = minimal();
    t.items_mut().unwrap().retain(|c| c.tag != Tag::BATCH_ITEM);
    set_batch_count(&mut t, 0);
    assert_eq!(
        RequestMessage::from_ttlv(t.clone()),
        Err(Error::MissingField {
            parent: Tag::REQUEST_MESSAGE,
            field: Tag::BATCH_ITEM
        })
    );
}

#[test]
fn missing_operation_or_payload() {
    let mut t = minimal();
    item_mut(&mut t).retain(|c| c.tag != Tag::OPERATION);
    assert_eq!(
        RequestMessage::from_ttlv(t.clone()),
        Err(Error::MissingField {
            parent: Tag::BATCH_ITEM,
            field: Tag::OPERATION
        })
    );
    let mut t = minimal();
    item_mut(&mut t).retain(|c| c.tag != Tag::REQUEST_PAYLOAD);
    assert_eq!(
        RequestMessage::from_ttlv(t.clone()),
        Err(Error::MissingField {
            parent: Tag::BATCH_ITEM,
            field: Tag::REQUEST_PAYLOAD
        })
    );
    // A payload that is not a Structure.
    let mut t = minimal();
    for c in item_mut(&mut t).iter_mut() {
        if c.tag == Tag::REQUEST_PAYLOAD {
            c.value = Value::TextString("x".into());
        }
    }
    assert!(matches!(
        RequestMessage::from_ttlv(t.clone()),
        Err(Error::WrongType { tag, .. }) if tag == Tag::REQUEST_PAYLOAD
    ));
}

#[test]
fn missing_header_or_wrong_root() {
    let mut t = minimal();
    t.items_mut()
        .unwrap()
        .retain(|c| c.tag != Tag::REQUEST_HEADER);
    assert_eq!(
        RequestMessage::from_ttlv(t.clone()),
        Err(Error::MissingField {
            parent: Tag::REQUEST_MESSAGE,
            field: Tag::REQUEST_HEADER
        })
    );
    let mut t = minimal();
    t.tag = Tag::RESPONSE_MESSAGE;
    assert!(RequestMessage::from_ttlv(t.clone()).is_err());
    assert!(RequestMessage::from_ttlv(Ttlv::integer(Tag::REQUEST_MESSAGE, 1)).is_err());
    assert!(RequestMessage::from_ttlv(Ttlv::structure(Tag::REQUEST_MESSAGE, vec![])).is_err());
    // A response is not a request, and the other way round.
    assert!(ResponseMessage::from_ttlv(minimal()).is_err());
}

#[test]
fn duplicate_and_unknown_fields() {
    let mut t = minimal();
    header_mut(&mut t).push(Ttlv::integer(Tag::MAXIMUM_RESPONSE_SIZE, 1));
    header_mut(&mut t).push(Ttlv::integer(Tag::MAXIMUM_RESPONSE_SIZE, 2));
    let err = RequestMessage::from_ttlv(t.clone()).unwrap_err();
    assert!(err.to_string().contains("more than once"), "{err}");

    let mut t = minimal();
    item_mut(&mut t).push(Ttlv::enumeration(Tag::OPERATION, 1));
    assert!(RequestMessage::from_ttlv(t.clone()).is_err());

    let mut t = minimal();
    let header = t.child(Tag::REQUEST_HEADER).unwrap().clone();
    t.items_mut().unwrap().push(header);
    assert!(RequestMessage::from_ttlv(t.clone()).is_err());

    let mut t = minimal();
    header_mut(&mut t).push(Ttlv::text(Tag::UNIQUE_IDENTIFIER, "x"));
    let err = RequestMessage::from_ttlv(t.clone()).unwrap_err();
    assert!(err.to_string().contains("unexpected field"), "{err}");
    assert!(err.to_string().contains("UniqueIdentifier"), "{err}");

    // An empty Authentication, and a Credential without value.
    let mut t = minimal();
    header_mut(&mut t).push(Ttlv::structure(Tag::AUTHENTICATION, vec![]));
    assert!(RequestMessage::from_ttlv(t.clone()).is_err());
    let mut t = minimal();
    header_mut(&mut t).push(Ttlv::structure(
        Tag::AUTHENTICATION,
        vec![Ttlv::structure(
            Tag::CREDENTIAL,
            vec![Ttlv::enumeration(Tag::CREDENTIAL_TYPE, 1)],
        )],
    ));
    assert_eq!(
        RequestMessage::from_ttlv(t.clone()),
        Err(Error::MissingField {
            parent: Tag::CREDENTIAL,
            field: Tag::CREDENTIAL_VALUE
        })
    );
    // A Username and Password credential without Username.
    let mut t = minimal();
    header_mut(&mut t).push(Ttlv::structure(
        Tag::AUTHENTICATION,
        vec![Ttlv::structure(
            Tag::CREDENTIAL,
            vec![
                Ttlv::enumeration(Tag::CREDENTIAL_TYPE, 1),
                Ttlv::structure(Tag::CREDENTIAL_VALUE, vec![Ttlv::text(Tag::PASSWORD, "p")]),
            ],
        )],
    ));
    assert_eq!(
        RequestMessage::from_ttlv(t.clone()),
        Err(Error::MissingField {
            parent: Tag::CREDENTIAL_VALUE,
            field: Tag::USERNAME
        })
    );
}

#[test]
fn errors_never_carry_values() {
    let credential = |fields: Vec<Ttlv>| {
        let mut t = minimal();
        header_mut(&mut t).push(Ttlv::structure(
            Tag::AUTHENTICATION,
            vec![Ttlv::structure(
                Tag::CREDENTIAL,
                vec![
                    Ttlv::enumeration(Tag::CREDENTIAL_TYPE, 1),
                    Ttlv::structure(Tag::CREDENTIAL_VALUE, fields),
                ],
            )],
        ));
        RequestMessage::from_ttlv(t.clone())
            .unwrap_err()
            .to_string()
    };
    let cases = [
        credential(vec![
            Ttlv::text(Tag::USERNAME, "u"),
            Ttlv::text(Tag::NONCE_ID, "TOPSECRET"),
        ]),
        credential(vec![
            Ttlv::text(Tag::USERNAME, "u"),
            Ttlv::bytes(Tag::PASSWORD, b"TOPSECRET".to_vec()),
        ]),
        credential(vec![
            Ttlv::text(Tag::USERNAME, "u"),
            Ttlv::text(Tag::PASSWORD, "TOPSECRET"),
            Ttlv::text(Tag::PASSWORD, "TOPSECRET"),
        ]),
    ];
    for text in cases {
        assert!(!text.contains("TOPSECRET"), "{text}");
        assert!(!text.contains(&hex::encode(b"TOPSECRET")), "{text}");
        assert!(text.contains("0x42"), "{text}");
    }
}

#[test]
fn json_request_as_sent_over_http() {
    // The KMIP JSON encoding of a whole message, enumerations by name, as `POST /kmip` takes it.
    let text = r#"{"tag": "RequestMessage", "value": [
        {"tag": "RequestHeader", "value": [
            {"tag": "ProtocolVersion", "value": [
                {"tag": "ProtocolVersionMajor", "type": "Integer", "value": 2},
                {"tag": "ProtocolVersionMinor", "type": "Integer", "value": 1}]},
            {"tag": "Authentication", "value": [
                {"tag": "Credential", "value": [
                    {"tag": "CredentialType", "type": "Enumeration", "value": "UsernameAndPassword"},
                    {"tag": "CredentialValue", "value": [
                        {"tag": "Username", "type": "TextString", "value": "admin"},
                        {"tag": "Password", "type": "TextString", "value": "group-token"}]}]}]},
            {"tag": "BatchCount", "type": "Integer", "value": 1}]},
        {"tag": "BatchItem", "value": [
            {"tag": "Operation", "type": "Enumeration", "value": "Get"},
            {"tag": "RequestPayload", "value": [
                {"tag": "UniqueIdentifier", "type": "TextString", "value": "k1"}]}]}]}"#;
    let t = json::from_str(text).unwrap();
    let m = RequestMessage::from_ttlv(t).unwrap();
    assert_eq!(m.header.protocol_version, ProtocolVersion::V2_1);
    assert_eq!(m.header.username(), Some("admin"));
    assert_eq!(m.header.password(), Some("group-token"));
    assert_eq!(m.items[0].known_operation(), Some(Operation::Get));
    assert_eq!(
        m.items[0]
            .payload
            .child(Tag::UNIQUE_IDENTIFIER)
            .and_then(Ttlv::as_text),
        Some("k1")
    );
    let answer = ResponseMessage::new(
        ResponseHeader::answering(&m.header, ProtocolVersion::V2_1, 0),
        vec![ResponseBatchItem::failure(
            Some(&m.items[0]),
            ResultReason::ItemNotFound,
            "no such object",
        )],
    );
    let out = json::to_string(&answer.to_ttlv());
    assert!(out.contains("\"ItemNotFound\""), "{out}");
    assert!(out.contains("\"OperationFailed\""), "{out}");
}

#[test]
fn wrong_types_and_values() {
    let cases: Vec<Ttlv> = vec![
        Ttlv::text(Tag::MAXIMUM_RESPONSE_SIZE, "big"),
        Ttlv::integer(Tag::BATCH_ORDER_OPTION, 1),
        Ttlv::enumeration(Tag::BATCH_ERROR_CONTINUATION_OPTION, 0),
        Ttlv::enumeration(Tag::ATTESTATION_TYPE, 99),
        Ttlv::text(Tag::TIME_STAMP, "now"),
        Ttlv::integer(Tag::CLIENT_CORRELATION_VALUE, 1),
        Ttlv::integer(Tag::AUTHENTICATION, 1),
    ];
    for bad in cases {
        let mut t = minimal();
        header_mut(&mut t).push(bad.clone());
        assert!(RequestMessage::from_ttlv(t.clone()).is_err(), "{bad:?}");
    }
    let mut t = minimal();
    item_mut(&mut t)[0] = Ttlv::integer(Tag::OPERATION, 1);
    assert!(matches!(
        RequestMessage::from_ttlv(t.clone()),
        Err(Error::WrongType { tag, .. }) if tag == Tag::OPERATION
    ));
    // A Protocol Version that is not a structure.
    let mut t = minimal();
    header_mut(&mut t)[0] = Ttlv::integer(Tag::PROTOCOL_VERSION, 1);
    assert!(RequestMessage::from_ttlv(t.clone()).is_err());
}

#[test]
fn newer_minor_version_ignores_unknown_fields() {
    let mut t = minimal();
    header_mut(&mut t)[0] = ProtocolVersion::new(1, 5).to_ttlv();
    header_mut(&mut t).push(Ttlv::text(Tag(0x420300), "future field"));
    item_mut(&mut t).push(Ttlv::boolean(Tag(0x420301), true));
    t.items_mut().unwrap().push(Ttlv::integer(Tag(0x420302), 1));
    let m = RequestMessage::from_ttlv(t.clone()).unwrap();
    assert_eq!(m.header.protocol_version, ProtocolVersion::new(1, 5));
    assert_eq!(
        m.header.protocol_version.negotiate(),
        Some(ProtocolVersion::V1_4)
    );
    // The same fields in a version ekms knows are refused.
    header_mut(&mut t)[0] = ProtocolVersion::V1_4.to_ttlv();
    assert!(RequestMessage::from_ttlv(t.clone()).is_err());
    // Duplicates and missing fields are still errors in a newer minor version.
    header_mut(&mut t)[0] = ProtocolVersion::new(2, 9).to_ttlv();
    assert!(RequestMessage::from_ttlv(t.clone()).is_ok());
    set_batch_count(&mut t, 3);
    assert!(RequestMessage::from_ttlv(t.clone()).is_err());
}

#[test]
fn response_mandatory_fields() {
    let ok = ResponseMessage::invalid_message(None, 1, "x").to_ttlv();
    assert!(ResponseMessage::from_ttlv(ok.clone()).is_ok());
    for (parent, field) in [
        (Tag::RESPONSE_HEADER, Tag::PROTOCOL_VERSION),
        (Tag::RESPONSE_HEADER, Tag::TIME_STAMP),
        (Tag::RESPONSE_HEADER, Tag::BATCH_COUNT),
        (Tag::BATCH_ITEM, Tag::RESULT_STATUS),
    ] {
        let mut t = ok.clone();
        for c in t.items_mut().unwrap() {
            if c.tag == parent {
                c.items_mut().unwrap().retain(|x| x.tag != field);
            }
        }
        assert_eq!(
            ResponseMessage::from_ttlv(t.clone()),
            Err(Error::MissingField { parent, field })
        );
    }
    let mut t = ok.clone();
    t.items_mut().unwrap().retain(|c| c.tag != Tag::BATCH_ITEM);
    assert!(ResponseMessage::from_ttlv(t.clone()).is_err());
}

// ---------------------------------------------------------------------------------------------
// versions and error responses

#[test]
fn version_negotiation() {
    let cases = [
        ((1, 0), Some((1, 0))),
        ((1, 1), Some((1, 1))),
        ((1, 2), Some((1, 2))),
        ((1, 3), Some((1, 3))),
        ((1, 4), Some((1, 4))),
        ((1, 5), Some((1, 4))),
        ((1, 99), Some((1, 4))),
        ((2, 0), Some((2, 0))),
        ((2, 1), Some((2, 1))),
        ((2, 2), Some((2, 1))),
        ((3, 0), None),
        ((0, 9), None),
        ((1, -1), None),
        ((-1, 0), None),
        ((i32::MAX, i32::MAX), None),
    ];
    for ((ma, mi), want) in cases {
        let got = ProtocolVersion::new(ma, mi).negotiate();
        assert_eq!(
            got,
            want.map(|(a, b)| ProtocolVersion::new(a, b)),
            "{ma}.{mi}"
        );
    }
    for v in ProtocolVersion::SUPPORTED {
        assert!(v.is_supported());
        assert_eq!(v.negotiate(), Some(v));
        assert_eq!(v.nearest_supported(), v);
    }
    assert!(!ProtocolVersion::new(1, 5).is_supported());
    assert_eq!(
        ProtocolVersion::new(3, 0).nearest_supported(),
        ProtocolVersion::V2_1
    );
    assert_eq!(
        ProtocolVersion::new(0, 1).nearest_supported(),
        ProtocolVersion::V1_0
    );
    assert!(ProtocolVersion::V1_4.is_v1() && !ProtocolVersion::V1_4.is_v2());
    assert!(ProtocolVersion::V2_0.is_v2());
    assert_eq!(ProtocolVersion::V1_4.to_string(), "1.4");
    assert!(ProtocolVersion::V1_4 < ProtocolVersion::V2_0);

    assert_eq!(
        negotiate_version(ProtocolVersion::new(2, 3), 5),
        Ok(ProtocolVersion::V2_1)
    );
    let refused = negotiate_version(ProtocolVersion::new(3, 0), 5).unwrap_err();
    assert_eq!(refused.header.protocol_version, ProtocolVersion::V2_1);
    assert_eq!(refused.header.time_stamp, 5);
    let item = &refused.items[0];
    assert_eq!(item.operation, None);
    assert_eq!(item.unique_batch_item_id, None);
    assert_eq!(item.result_status, ResultStatus::OperationFailed);
    assert_eq!(item.result_reason, Some(ResultReason::InvalidMessage));
    let msg = item.result_message.as_deref().unwrap_or_default();
    assert!(msg.contains("ProtocolVersion 3.0 not supported"), "{msg}");
    assert!(msg.contains("1.0, 1.1, 1.2, 1.3, 1.4, 2.0, 2.1"), "{msg}");
}

#[test]
fn invalid_message_responses() {
    // Unknown version: 1.0.
    let r = ResponseMessage::invalid_message(None, 42, "cannot parse");
    assert_eq!(r.header.protocol_version, ProtocolVersion::V1_0);
    assert_eq!(r.header.time_stamp, 42);
    assert_eq!(r.items.len(), 1);
    assert_eq!(r.items[0].operation, None);
    assert_eq!(r.items[0].result_status, ResultStatus::OperationFailed);
    assert_eq!(r.items[0].result_reason, Some(ResultReason::InvalidMessage));
    assert_eq!(r.items[0].result_message.as_deref(), Some("cannot parse"));
    assert_eq!(r.items[0].payload, None);
    // Known version: echoed; a newer minor: the negotiated one; an unknown major: the nearest.
    for (client, answered) in [
        (ProtocolVersion::V1_2, ProtocolVersion::V1_2),
        (ProtocolVersion::V2_1, ProtocolVersion::V2_1),
        (ProtocolVersion::new(1, 7), ProtocolVersion::V1_4),
        (ProtocolVersion::new(4, 0), ProtocolVersion::V2_1),
    ] {
        let r = ResponseMessage::invalid_message(Some(client), 1, "m");
        assert_eq!(r.header.protocol_version, answered);
    }
    // The whole path: a request missing its Batch Count, answered in its own version.
    let mut t = minimal();
    header_mut(&mut t).retain(|c| c.tag != Tag::BATCH_COUNT);
    let err = RequestMessage::from_ttlv(t.clone()).unwrap_err();
    let r = ResponseMessage::invalid_message(RequestMessage::peek_version(&t), 7, err.to_string());
    assert_eq!(r.header.protocol_version, ProtocolVersion::V1_2);
    let bytes = binary::to_vec(&r.to_ttlv());
    let back = ResponseMessage::from_ttlv(binary::decode(&bytes).unwrap()).unwrap();
    assert_eq!(back, r);
    assert!(
        back.items[0]
            .result_message
            .as_deref()
            .unwrap_or_default()
            .contains("BatchCount")
    );
}

#[test]
fn answering_header_echoes_correlation_values() {
    let req = request(ProtocolVersion::V1_4);
    let h = ResponseHeader::answering(&req.header, ProtocolVersion::V1_4, 9);
    assert_eq!(h.client_correlation_value.as_deref(), Some("client-42"));
    assert_eq!(h.server_correlation_value.as_deref(), Some("server-7"));
    assert_eq!(h.time_stamp, 9);
}

// ---------------------------------------------------------------------------------------------
// batch error continuation

#[test]
fn batch_error_continuation_semantics() {
    use BatchErrorContinuationOption::{Continue, Stop, Undo};
    use ItemOutcome::{Failed, NotExecuted, Succeeded, Undone};
    let results = [true, true, false, true, false];
    assert_eq!(
        batch_outcomes(Some(Continue), &results),
        [Succeeded, Succeeded, Failed, Succeeded, Failed]
    );
    assert_eq!(
        batch_outcomes(Some(Stop), &results),
        [Succeeded, Succeeded, Failed, NotExecuted, NotExecuted]
    );
    assert_eq!(
        batch_outcomes(None, &results),
        batch_outcomes(Some(Stop), &results)
    );
    assert_eq!(
        batch_outcomes(Some(Undo), &results),
        [Undone, Undone, Failed, NotExecuted, NotExecuted]
    );
    // No failure: every option keeps everything.
    for o in [Continue, Stop, Undo] {
        assert_eq!(
            batch_outcomes(Some(o), &[true, true]),
            [Succeeded, Succeeded]
        );
        assert_eq!(batch_outcomes(Some(o), &[false]), [Failed]);
        assert!(batch_outcomes(Some(o), &[]).is_empty());
    }
    assert_eq!(Undone.result_status(), Some(ResultStatus::OperationUndone));
    assert_eq!(Failed.result_status(), Some(ResultStatus::OperationFailed));
    assert_eq!(Succeeded.result_status(), Some(ResultStatus::Success));
    assert!(!NotExecuted.is_returned());
    assert!(continues_after_failure(Some(Continue)));
    assert!(!continues_after_failure(None));
    assert!(undoes_on_failure(Some(Undo)));
    assert!(!undoes_on_failure(Some(Stop)));
    assert_eq!(effective_option(None), Stop);
}

// ---------------------------------------------------------------------------------------------
// hostile input

/// Tags of the message layer (so generated trees reach deep into the readers), a few others,
/// and arbitrary ones.
fn tag() -> impl Strategy<Value = Tag> {
    prop_oneof![
        4 => prop::sample::select(vec![
            Tag::REQUEST_MESSAGE,
            Tag::RESPONSE_MESSAGE,
            Tag::REQUEST_HEADER,
            Tag::RESPONSE_HEADER,
            Tag::PROTOCOL_VERSION,
            Tag::PROTOCOL_VERSION_MAJOR,
            Tag::PROTOCOL_VERSION_MINOR,
            Tag::BATCH_COUNT,
            Tag::BATCH_ITEM,
            Tag::OPERATION,
            Tag::REQUEST_PAYLOAD,
            Tag::RESPONSE_PAYLOAD,
            Tag::AUTHENTICATION,
            Tag::CREDENTIAL,
            Tag::CREDENTIAL_TYPE,
            Tag::CREDENTIAL_VALUE,
            Tag::USERNAME,
            Tag::PASSWORD,
            Tag::NONCE,
            Tag::NONCE_ID,
            Tag::NONCE_VALUE,
            Tag::ATTESTATION_TYPE,
            Tag::ASYNCHRONOUS_INDICATOR,
            Tag::MESSAGE_EXTENSION,
            Tag::VENDOR_EXTENSION,
            Tag::RESULT_STATUS,
            Tag::RESULT_REASON,
            Tag::TIME_STAMP,
            Tag::UNIQUE_BATCH_ITEM_ID,
            Tag::BATCH_ERROR_CONTINUATION_OPTION,
        ]),
        1 => (0x420000u32..0x420200).prop_map(Tag),
        1 => any::<u32>().prop_map(Tag),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop_oneof![-2i32..4, any::<i32>()].prop_map(Value::Integer),
        any::<i64>().prop_map(Value::LongInteger),
        prop::collection::vec(any::<u8>(), 0..16).prop_map(Value::BigInteger),
        prop_oneof![0u32..8, any::<u32>()].prop_map(Value::Enumeration),
        any::<bool>().prop_map(Value::Boolean),
        ".{0,12}".prop_map(Value::TextString),
        prop::collection::vec(any::<u8>(), 0..12).prop_map(Value::ByteString),
        any::<i64>().prop_map(Value::DateTime),
        any::<u32>().prop_map(Value::Interval),
        any::<i64>().prop_map(Value::DateTimeExtended),
    ]
}

fn ttlv() -> impl Strategy<Value = Ttlv> {
    let leaf = (tag(), leaf()).prop_map(|(t, v)| Ttlv::new(t, v));
    leaf.prop_recursive(6, 96, 8, |inner| {
        (tag(), prop::collection::vec(inner, 0..8)).prop_map(|(t, items)| Ttlv::structure(t, items))
    })
}

/// Replaces the node at `pos` (pre-order) of `t` with `with`.
fn replace_node(t: &mut Ttlv, mut pos: usize, with: Ttlv) {
    let mut stack: Vec<&mut Ttlv> = vec![t];
    while let Some(node) = stack.pop() {
        if pos == 0 {
            *node = with;
            return;
        }
        pos -= 1;
        if let Some(items) = node.items_mut() {
            stack.extend(items.iter_mut().rev());
        }
    }
}

fn count_nodes(t: &Ttlv) -> usize {
    1 + t.items().iter().map(count_nodes).sum::<usize>()
}

/// A typed message written back and read again is unchanged; through binary too when the
/// tree survives the binary codec unchanged (the codec pads some invalid values).
fn reread<M: PartialEq + fmt::Debug>(
    m: &M,
    t: Ttlv,
    read: fn(Ttlv) -> Result<M, Error>,
) -> Result<(), TestCaseError> {
    let again = read(t.clone());
    prop_assert_eq!(again.as_ref().ok(), Some(m));
    if let Some(b) = through_binary_lossy(&t).filter(|b| *b == t) {
        let again = read(b);
        prop_assert_eq!(again.as_ref().ok(), Some(m));
    }
    Ok(())
}

fn through_binary_lossy(t: &Ttlv) -> Option<Ttlv> {
    binary::decode(&binary::to_vec(t)).ok()
}

fn check_request(t: &Ttlv) -> Result<(), TestCaseError> {
    let _ = RequestMessage::peek_version(t);
    if let Ok(m) = RequestMessage::from_ttlv(t.clone()) {
        prop_assert!(!m.items.is_empty());
        reread(&m, m.to_ttlv(), RequestMessage::from_ttlv)?;
        let _ = format!("{m:?}");
        let _ = m.header.password();
        let _ = m.header.protocol_version.negotiate();
    }
    Ok(())
}

fn check_response(t: &Ttlv) -> Result<(), TestCaseError> {
    let _ = ResponseMessage::peek_version(t);
    if let Ok(m) = ResponseMessage::from_ttlv(t.clone()) {
        prop_assert!(!m.items.is_empty());
        reread(&m, m.to_ttlv(), ResponseMessage::from_ttlv)?;
        let _ = format!("{m:?}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        // No `proptest-regressions` file in the source tree; a failure prints its input.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_trees_never_panic(t in ttlv()) {
        check_request(&t)?;
        check_response(&t)?;
        let mut as_request = t.clone();
        as_request.tag = Tag::REQUEST_MESSAGE;
        check_request(&as_request)?;
        let mut as_response = t;
        as_response.tag = Tag::RESPONSE_MESSAGE;
        check_response(&as_response)?;
    }

    #[test]
    fn mutated_messages_never_panic(
        v in prop::sample::select(ROUND_TRIP_VERSIONS.to_vec()),
        pos in any::<prop::sample::Index>(),
        with in ttlv(),
    ) {
        let req = request(v);
        let mut t = req.to_ttlv();
        let at = pos.index(count_nodes(&t));
        replace_node(&mut t, at, with.clone());
        check_request(&t)?;
        let mut r = response(v, &req).to_ttlv();
        let at = pos.index(count_nodes(&r));
        replace_node(&mut r, at, with);
        check_response(&r)?;
    }

    #[test]
    fn binary_bytes_never_panic(b in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(t) = binary::decode(&b) {
            check_request(&t)?;
            check_response(&t)?;
        }
    }

    #[test]
    fn batch_outcomes_are_consistent(
        results in prop::collection::vec(any::<bool>(), 0..12),
        option in prop::option::of(prop::sample::select(vec![
            BatchErrorContinuationOption::Continue,
            BatchErrorContinuationOption::Stop,
            BatchErrorContinuationOption::Undo,
        ])),
    ) {
        let out = batch_outcomes(option, &results);
        prop_assert_eq!(out.len(), results.len());
        let first_failure = results.iter().position(|ok| !ok);
        for (i, o) in out.iter().enumerate() {
            match (effective_option(option), first_failure) {
                (BatchErrorContinuationOption::Continue, _) | (_, None) => prop_assert_eq!(
                    *o,
                    if results[i] { ItemOutcome::Succeeded } else { ItemOutcome::Failed }
                ),
                (opt, Some(f)) => prop_assert_eq!(*o, match i.cmp(&f) {
                    std::cmp::Ordering::Less if opt == BatchErrorContinuationOption::Undo => {
                        ItemOutcome::Undone
                    }
                    std::cmp::Ordering::Less => ItemOutcome::Succeeded,
                    std::cmp::Ordering::Equal => ItemOutcome::Failed,
                    std::cmp::Ordering::Greater => ItemOutcome::NotExecuted,
                }),
            }
        }
    }
}
