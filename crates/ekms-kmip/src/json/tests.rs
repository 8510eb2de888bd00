use super::*;
use crate::enums::{CryptographicAlgorithm, ObjectType, usage_mask};

fn create_request_json() -> &'static str {
    r#"{"tag":"Create","value":[
        {"tag":"ObjectType","type":"Enumeration","value":"SymmetricKey"},
        {"tag":"Attributes","value":[
            {"tag":"CryptographicAlgorithm","type":"Enumeration","value":"AES"},
            {"tag":"CryptographicLength","type":"Integer","value":256},
            {"tag":"CryptographicUsageMask","type":"Integer","value":12},
            {"tag":"KeyFormatType","type":"Enumeration","value":"TransparentSymmetricKey"},
            {"tag":"ObjectType","type":"Enumeration","value":"SymmetricKey"},
            {"tag":"ActivationDate","type":"DateTime","value":"2024-03-01T12:00:00Z"}
        ]}
    ]}"#
}

#[test]
fn create_request_round_trip() {
    let t = from_str(create_request_json()).unwrap();
    assert_eq!(t.tag, Tag::operation_request(1));
    assert_eq!(t.tag.name(), Some("Create"));
    assert_eq!(
        t.child(Tag::OBJECT_TYPE).and_then(Ttlv::as_enum),
        Some(ObjectType::SymmetricKey.as_u32())
    );
    let a = t.child(Tag::ATTRIBUTES).unwrap();
    assert_eq!(
        a.child(Tag::CRYPTOGRAPHIC_ALGORITHM)
            .and_then(Ttlv::as_enum),
        Some(CryptographicAlgorithm::Aes.as_u32())
    );
    assert_eq!(
        a.child(Tag::CRYPTOGRAPHIC_LENGTH).and_then(Ttlv::as_i32),
        Some(256)
    );
    assert_eq!(
        a.child(Tag::ACTIVATION_DATE).and_then(Ttlv::as_datetime),
        Some(1_709_294_400)
    );
    let back = from_value(&to_value(&t)).unwrap();
    assert_eq!(back, t);
    let text = to_string(&t);
    assert!(text.contains(r#""value":"SymmetricKey""#), "{text}");
    assert!(text.contains(r#""value":"2024-03-01T12:00:00Z""#), "{text}");
}

#[test]
fn encrypt_request_round_trip() {
    let j = r#"{"tag":"Encrypt","type":"Structure","value":[
        {"tag":"UniqueIdentifier","type":"TextString","value":"8c7b5ad8-2f05-4e3a-9d3a-1f2e3d4c5b6a"},
        {"tag":"CryptographicParameters","type":"Structure","value":[
            {"tag":"BlockCipherMode","type":"Enumeration","value":"GCM"},
            {"tag":"CryptographicAlgorithm","type":"Enumeration","value":"AES"},
            {"tag":"TagLength","type":"Integer","value":16}
        ]},
        {"tag":"Data","type":"ByteString","value":"00112233aabbccdd"},
        {"tag":"IvCounterNonce","type":"ByteString","value":"000102030405060708090A0B"},
        {"tag":"AuthenticatedEncryptionAdditionalData","type":"ByteString","value":""}
    ]}"#;
    let t = from_str(j).unwrap();
    assert_eq!(
        t.child(Tag::DATA).and_then(Ttlv::as_bytes),
        Some(&[0, 0x11, 0x22, 0x33, 0xAA, 0xBB, 0xCC, 0xDD][..])
    );
    assert_eq!(
        t.child(Tag::IV_COUNTER_NONCE)
            .and_then(Ttlv::as_bytes)
            .map(<[u8]>::len),
        Some(12)
    );
    let out = to_string(&t);
    assert!(out.contains(r#""tag":"IVCounterNonce""#));
    assert!(out.contains(r#""value":"00112233AABBCCDD""#));
    assert_eq!(from_str(&out).unwrap(), t);
}

#[test]
fn every_type() {
    let t = Ttlv::structure(
        Tag::REQUEST_PAYLOAD,
        vec![
            Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, -5),
            Ttlv::long(Tag::USAGE_LIMITS_TOTAL, -2),
            Ttlv::big_integer(Tag::MODULUS, vec![0x80, 0, 0, 0, 0, 0, 0, 1]),
            Ttlv::enumeration(Tag::OBJECT_TYPE, 0x8000_0001),
            Ttlv::boolean(Tag::SENSITIVE, true),
            Ttlv::text(Tag::NAME_VALUE, "ключ"),
            Ttlv::bytes(Tag::KEY_MATERIAL, vec![1, 2, 255]),
            Ttlv::datetime(Tag::INITIAL_DATE, 0),
            Ttlv::datetime(Tag::DESTROY_DATE, i64::MAX),
            Ttlv::interval(Tag::LEASE_TIME, u32::MAX),
            Ttlv::new(
                Tag::PROCESS_START_DATE,
                Value::DateTimeExtended(1_700_000_000_123_456),
            ),
            Ttlv::text(Tag(0x540010), "vendor"),
        ],
    );
    let j = to_value(&t);
    let text = j.to_string();
    assert!(text.contains(r#""value":"0xFFFFFFFFFFFFFFFE""#), "{text}");
    assert!(text.contains(r#""value":"0x80000001""#), "{text}");
    assert!(text.contains(r#""value":"0x8000000000000001""#), "{text}");
    assert!(text.contains(r#""value":"1970-01-01T00:00:00Z""#), "{text}");
    assert!(
        text.contains(r#""value":"2023-11-14T22:13:20.123456Z""#),
        "{text}"
    );
    assert!(text.contains(r#""tag":"0x540010""#), "{text}");
    assert_eq!(from_value(&j).unwrap(), t);
}

#[test]
fn lenient_inputs() {
    let t = from_str(r#"{"tag":"0x42002C","type":"Integer","value":"Encrypt|Decrypt"}"#).unwrap();
    assert_eq!(
        t.as_i32(),
        Some((usage_mask::ENCRYPT | usage_mask::DECRYPT) as i32)
    );
    let t = from_str(r#"{"tag":"UsageLimitsTotal","type":"LongInteger","value":42}"#).unwrap();
    assert_eq!(t.as_i64(), Some(42));
    let t = from_str(r#"{"tag":"ObjectType","type":"Enumeration","value":"0x00000002"}"#).unwrap();
    assert_eq!(t.as_enum(), Some(2));
    let t =
        from_str(r#"{"tag":"CryptographicAlgorithm","type":"Enumeration","value":"HMACSHA256"}"#)
            .unwrap();
    assert_eq!(t.as_enum(), Some(9));
    let t = from_str(r#"{"tag":"ActivationDate","type":"DateTime","value":"0x0000000000000010"}"#)
        .unwrap();
    assert_eq!(t.as_datetime(), Some(16));
    let t = from_str(
        r#"{"tag":"ActivationDate","type":"DateTime","value":"2024-03-01T13:00:00+01:00"}"#,
    )
    .unwrap();
    assert_eq!(t.as_datetime(), Some(1_709_294_400));
    let t = from_str(r#"{"tag":"Data","type":"ByteString","value":"0aFf"}"#).unwrap();
    assert_eq!(t.value, Value::ByteString(vec![0x0A, 0xFF]));
    let t = from_str(r#"{"tag":"Data","type":"ByteString","value":""}"#).unwrap();
    assert_eq!(t.value, Value::ByteString(vec![]));
}

#[test]
fn refusals() {
    let bad = [
        r#"{"tag":"NoSuchTag","type":"TextString","value":"x"}"#,
        r#"{"tag":"ObjectType","type":"Enumeration","value":"NoSuchType"}"#,
        r#"{"tag":"CryptographicLength","type":"Integer","value":"abc"}"#,
        r#"{"tag":"CryptographicLength","type":"Integer","value":4294967296}"#,
        r#"{"tag":"CryptographicLength","type":"Integer","value":1.5}"#,
        r#"{"tag":"Data","type":"ByteString","value":"0g"}"#,
        r#"{"tag":"Data","type":"ByteString","value":"abc"}"#,
        r#"{"tag":"Data","type":"Bytes","value":"00"}"#,
        r#"{"tag":"Data","type":"TextString","value":5}"#,
        r#"{"tag":"Sensitive","type":"Boolean","value":"yes"}"#,
        r#"{"tag":"ActivationDate","type":"DateTime","value":"yesterday"}"#,
        r#"{"tag":"Create","value":{"a":1}}"#,
        r#"{"tag":"Create","value":[1]}"#,
        r#"{"tag":"Create","type":"Structure"}"#,
        r#"{"tag":"Create","type":"Structure","value":[],"extra":1}"#,
        r#"{"type":"Structure","value":[]}"#,
        r#"[]"#,
        r#"{"tag":"Create""#,
    ];
    for b in bad {
        assert!(from_str(b).is_err(), "accepted {b}");
    }
    let e = from_str(r#"{"tag":"Create","value":[{"tag":"Attributes","value":[{"tag":"ObjectType","type":"Enumeration","value":"Nope"}]}]}"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("/Create/Attributes/ObjectType"), "{e}");
}

#[test]
fn depth_limit() {
    let nest = |depth: usize| {
        let mut v = serde_json::json!({"tag": "Attributes", "value": []});
        for _ in 1..depth {
            v = serde_json::json!({"tag": "Attributes", "value": [v]});
        }
        v
    };
    assert!(from_value(&nest(MAX_DEPTH)).is_ok());
    assert!(matches!(
        from_value(&nest(MAX_DEPTH + 1)),
        Err(Error::TooDeep { .. })
    ));
    // Far deeper than serde_json's own limit: an error, not a stack overflow.
    let deep = "[".repeat(100_000);
    assert!(from_str(&deep).is_err());
    let deep = r#"{"tag":"Attributes","value":["#.repeat(10_000);
    assert!(from_str(&deep).is_err());
}

#[test]
fn members_in_any_order_once_each() {
    let want = from_str(
        r#"{"tag":"Attributes","type":"Structure","value":[{"tag":"Name","type":"TextString","value":"a"}]}"#,
    )
    .unwrap();
    for text in [
        r#"{"value":[{"value":"a","type":"TextString","tag":"Name"}],"tag":"Attributes"}"#,
        r#"{"type":"Structure","value":[{"type":"TextString","value":"a","tag":"Name"}],"tag":"Attributes"}"#,
        r#"{"value":[{"tag":"Name","value":"a","type":"TextString"}],"type":"Structure","tag":"Attributes"}"#,
    ] {
        assert_eq!(from_str(text).unwrap(), want, "{text}");
    }
    for text in [
        r#"{"tag":"Attributes","tag":"Attributes","value":[]}"#,
        r#"{"tag":"Attributes","value":[],"value":[]}"#,
        r#"{"tag":"Name","type":"TextString","type":"TextString","value":"a"}"#,
        r#"{"value":[],"type":"TextString","tag":"Name"}"#,
        r#"{"value":"a","tag":"Name"}"#,
    ] {
        assert!(from_str(text).is_err(), "accepted {text}");
    }
}

#[test]
fn operation_bodies() {
    let (op, payload) = from_slice_operation(
        br#"{"tag":"Create","value":[{"tag":"ObjectType","type":"Enumeration","value":"SymmetricKey"}]}"#,
    )
    .unwrap();
    assert_eq!(op, Operation::Create);
    assert_eq!(payload.tag, Tag::REQUEST_PAYLOAD);
    assert_eq!(payload.items().len(), 1);
    for (body, what) in [
        (&br#"{"value":[]}"#[..], "naming the operation"),
        (br#"{"tag":"Nope","value":[]}"#, "not a KMIP operation name"),
        (
            br#"{"tag":"Create","type":"Integer","value":1}"#,
            "Structure",
        ),
        (br#"[0,0,0]"#, "JSON object"),
        (br#"{"tag":"Create","value":[]"#, "malformed JSON"),
    ] {
        let e = from_slice_operation(body).unwrap_err().to_string();
        assert!(e.contains(what), "{e}");
    }
}

#[test]
fn serde_and_value_paths_agree_with_the_slice_decoder() {
    let text = create_request_json();
    let want = from_str(text).unwrap();
    let via_serde: Ttlv = serde_json::from_str(text).unwrap();
    assert_eq!(via_serde, want);
    let value: J = serde_json::from_str(text).unwrap();
    assert_eq!(from_value(&value).unwrap(), want);
    // The error of the serde path is the decoder's, not serde's.
    let e = serde_json::from_str::<Ttlv>(r#"{"tag":"NoSuchTag","value":[]}"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown tag name"), "{e}");
}

#[test]
fn enumerations_by_value_when_asked() {
    let t = from_str(
        r#"{"tag":"Digest","value":[{"tag":"HashingAlgorithm","type":"Enumeration","value":"SHA_256"},{"tag":"DigestValue","type":"ByteString","value":"AB"}]}"#,
    )
    .unwrap();
    let by_name = to_value(&t);
    assert_eq!(by_name["value"][0]["value"], "SHA_256");
    let by_value = to_value_with(&t, EnumForm::Value);
    assert_eq!(by_value["value"][0]["value"], "0x00000006");
    // Only enumerations change, and either form reads back as the same item.
    assert_eq!(by_value["value"][1]["value"], "AB");
    assert_eq!(from_value(&by_value).unwrap(), t);
}

#[test]
fn text_written_straight_from_the_tree() {
    let t = Ttlv::structure(
        Tag::REQUEST_PAYLOAD,
        vec![
            Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, -5),
            Ttlv::long(Tag::USAGE_LIMITS_TOTAL, -2),
            Ttlv::big_integer(Tag::MODULUS, vec![0x80, 1]),
            Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SymmetricKey.as_u32()),
            Ttlv::boolean(Tag::SENSITIVE, false),
            Ttlv::text(Tag::NAME_VALUE, "a \"b\"\n\\ ключ"),
            Ttlv::bytes(Tag::KEY_MATERIAL, vec![0, 0xAB]),
            Ttlv::datetime(Tag::INITIAL_DATE, 0),
            Ttlv::interval(Tag::LEASE_TIME, 7),
            Ttlv::new(Tag::PROCESS_START_DATE, Value::DateTimeExtended(1)),
            Ttlv::text(Tag(0x540010), ""),
        ],
    );
    let want = concat!(
        r#"{"tag":"RequestPayload","type":"Structure","value":["#,
        r#"{"tag":"CryptographicLength","type":"Integer","value":-5},"#,
        r#"{"tag":"UsageLimitsTotal","type":"LongInteger","value":"0xFFFFFFFFFFFFFFFE"},"#,
        r#"{"tag":"Modulus","type":"BigInteger","value":"0x8001"},"#,
        r#"{"tag":"ObjectType","type":"Enumeration","value":"SymmetricKey"},"#,
        r#"{"tag":"Sensitive","type":"Boolean","value":false},"#,
        r#"{"tag":"NameValue","type":"TextString","value":"a \"b\"\n\\ ключ"},"#,
        r#"{"tag":"KeyMaterial","type":"ByteString","value":"00AB"},"#,
        r#"{"tag":"InitialDate","type":"DateTime","value":"1970-01-01T00:00:00Z"},"#,
        r#"{"tag":"LeaseTime","type":"Interval","value":7},"#,
        r#"{"tag":"ProcessStartDate","type":"DateTimeExtended","value":"1970-01-01T00:00:00.000001Z"},"#,
        r#"{"tag":"0x540010","type":"TextString","value":""}]}"#,
    );
    assert_eq!(String::from_utf8(to_vec(&t)).unwrap(), want);
    assert_eq!(to_string(&t), want);
    // The value form is the same writer's: it parses from the text.
    assert_eq!(to_value(&t), serde_json::from_str::<J>(want).unwrap());
    assert_eq!(serde_json::to_string(&t).unwrap(), want);
    assert_eq!(from_slice(want.as_bytes()).unwrap(), t);
}

#[test]
fn answers_tagged_by_operation_in_either_enum_form() {
    // Longer than one chunk of the hex writer, and not a multiple of it.
    let data: Vec<u8> = (0..=255u8).chain(0..45).collect();
    let t = Ttlv::structure(
        Tag::RESPONSE_PAYLOAD,
        vec![
            Ttlv::enumeration(Tag::HASHING_ALGORITHM, 6),
            Ttlv::bytes(Tag::DATA, data.clone()),
        ],
    );
    let by_name: J =
        serde_json::from_slice(&to_vec_answer(&t, "EncryptResponse", EnumForm::Name)).unwrap();
    assert_eq!(by_name["tag"], "EncryptResponse");
    assert_eq!(by_name["type"], "Structure");
    assert_eq!(by_name["value"][0]["value"], "SHA_256");
    assert_eq!(by_name["value"][1]["value"], hex::encode_upper(&data));
    let by_value: J =
        serde_json::from_slice(&to_vec_answer(&t, "HashResponse", EnumForm::Value)).unwrap();
    assert_eq!(by_value["tag"], "HashResponse");
    assert_eq!(by_value["value"][0]["value"], "0x00000006");
    assert_eq!(
        by_value,
        to_value_with(&t, EnumForm::Value).tap_tag("HashResponse")
    );
    assert_eq!(
        from_slice(&to_vec_with(&t, EnumForm::Value)).unwrap(),
        from_slice(&to_vec(&t)).unwrap()
    );
}

trait TapTag {
    fn tap_tag(self, tag: &str) -> J;
}

impl TapTag for J {
    fn tap_tag(mut self, tag: &str) -> J {
        self["tag"] = tag.into();
        self
    }
}

#[test]
fn a_message_too_wide_for_one_pass_is_read_again_in_two() {
    // Just over a power of two of empty structures: the one pass's growing vector charges
    // about 128 bytes per item, more than the 4 times 23 bytes of text that each item brings.
    let n = 4097;
    let unit = r#"{"tag":"Data","value":[]}"#;
    let text = format!(r#"{{"tag":"Data","value":[{}]}}"#, vec![unit; n].join(","));
    let mut one = State::new(
        Mode::Grow,
        Root::Tag,
        crate::ttlv::memory_budget(text.len()),
    );
    assert!(matches!(
        decode_pass(&mut one, text.as_bytes()),
        Err(Error::TooComplex { .. })
    ));
    let want = Ttlv::structure(Tag::DATA, vec![Ttlv::structure(Tag::DATA, vec![]); n]);
    assert_eq!(from_slice(text.as_bytes()).unwrap(), want);
    // A message that fits one pass gives the tree the two passes give.
    let small = format!(r#"{{"tag":"Data","value":[{}]}}"#, [unit; 9].join(","));
    let mut count = State::new(Mode::Count, Root::Tag, usize::MAX);
    decode_pass(&mut count, small.as_bytes()).unwrap();
    let mut build = State::new(Mode::Build, Root::Tag, usize::MAX);
    build.counts = count.counts;
    assert_eq!(
        decode_pass(&mut build, small.as_bytes()).unwrap(),
        from_slice(small.as_bytes()).unwrap()
    );
}
