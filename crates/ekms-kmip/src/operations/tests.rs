//! Every request and response round-trips: what the client encodes, the server decodes to
//! the same value (through the binary and the JSON codec too), and the reverse.

use zeroize::Zeroizing;

use super::*;
use crate::enums::{
    BlockCipherMode, CryptographicAlgorithm, HashingAlgorithm, ObjectType, RevocationReasonCode,
};
use crate::{binary, json};

fn round_trip<T: FromTtlv + ToTtlv + Clone + PartialEq + std::fmt::Debug>(value: T) {
    let t = value.clone().to_ttlv();
    let through_binary = binary::decode(&binary::to_vec(&t)).unwrap();
    let through_json = json::from_slice(&json::to_vec(&t)).unwrap();
    assert_eq!(T::from_ttlv(t).unwrap(), value);
    assert_eq!(T::from_ttlv(through_binary).unwrap(), value);
    assert_eq!(T::from_ttlv(through_json).unwrap(), value);
}

fn gcm() -> Option<CryptographicParameters> {
    Some(CryptographicParameters {
        block_cipher_mode: Some(BlockCipherMode::Gcm),
        cryptographic_algorithm: Some(CryptographicAlgorithm::Aes),
        ..Default::default()
    })
}

#[test]
fn requests_round_trip() {
    round_trip(activate::Request { uid: "k1".into() });
    round_trip(destroy::Request { uid: "k1".into() });
    round_trip(revoke::Request {
        uid: "k1".into(),
        reason: RevocationReasonCode::KeyCompromise,
        message: Some("lost".into()),
        compromise_occurrence_date: Some(1_700_000_000),
    });
    round_trip(revoke::Request {
        uid: "k1".into(),
        reason: RevocationReasonCode::Superseded,
        message: None,
        compromise_occurrence_date: None,
    });
    let attributes = Attributes {
        cryptographic_algorithm: Some(CryptographicAlgorithm::Aes),
        cryptographic_length: Some(256),
        names: vec![crate::Name::text("n")],
        ..Default::default()
    };
    round_trip(create::Request {
        object_type: ObjectType::SymmetricKey,
        attributes,
    });
    round_trip(encrypt::Request {
        uid: "k1".into(),
        params: gcm(),
        data: Zeroizing::new(vec![1, 2, 3]),
        iv: Some(vec![0; 12]),
        aad: Some(b"aad".to_vec()),
    });
    round_trip(encrypt::Request {
        uid: "k1".into(),
        params: None,
        data: Zeroizing::new(Vec::new()),
        iv: None,
        aad: None,
    });
    round_trip(decrypt::Request {
        uid: "k1".into(),
        params: gcm(),
        data: vec![9; 16],
        iv: Some(vec![0; 12]),
        aad: None,
        tag: Some(vec![7; 16]),
    });
    round_trip(sign::Request {
        uid: "k".into(),
        params: None,
        data: (b"m".to_vec(), false),
    });
    round_trip(sign::Request {
        uid: "k".into(),
        params: None,
        data: (vec![3; 32], true),
    });
    round_trip(signature_verify::Request {
        uid: "k".into(),
        params: None,
        data: (b"m".to_vec(), false),
        signature: vec![1; 64],
    });
    round_trip(mac::Request {
        uid: "k".into(),
        params: None,
        data: b"m".to_vec(),
    });
    round_trip(mac_verify::Request {
        uid: "k".into(),
        params: None,
        data: b"m".to_vec(),
        mac: vec![2; 32],
    });
    round_trip(hash::Request {
        hash: HashingAlgorithm::Sha256,
        data: b"m".to_vec(),
    });
    round_trip(rng_retrieve::Request { len: 32 });
    round_trip(check::Request {
        uid: "k".into(),
        mask: Some(12),
    });
    round_trip(check::Request {
        uid: "k".into(),
        mask: None,
    });
    let versions = discover_versions::Versions {
        versions: vec![crate::ProtocolVersion::V2_1, crate::ProtocolVersion::V1_4],
    };
    round_trip(discover_versions::Request(versions.clone()));
    round_trip(get_attribute_list::Request { uid: "k".into() });
    let curve = Attributes {
        cryptographic_algorithm: Some(CryptographicAlgorithm::Ecdsa),
        cryptographic_length: Some(256),
        ..Default::default()
    };
    round_trip(create_key_pair::Request {
        common: curve.clone(),
        private: Attributes::default(),
        public: Attributes {
            names: vec![crate::Name::text("pub")],
            ..Default::default()
        },
    });
    round_trip(rekey::Request {
        uid: "k".into(),
        offset: Some(3600),
        attributes: curve,
    });
    round_trip(rekey::Request {
        uid: "k".into(),
        offset: None,
        attributes: Attributes::default(),
    });
    round_trip(query::Request {
        functions: vec![1, 3],
    });
    round_trip(versions);
}

#[test]
fn responses_round_trip() {
    round_trip(UniqueIdentifier { uid: "k1".into() });
    round_trip(create::Response {
        object_type: ObjectType::SymmetricKey,
        uid: "k1".into(),
    });
    round_trip(encrypt::Response {
        uid: "k1".into(),
        data: vec![1, 2],
        iv: Some(vec![0; 12]),
        tag: Some(vec![5; 16]),
    });
    round_trip(encrypt::Response {
        uid: "k1".into(),
        data: vec![1, 2],
        iv: None,
        tag: None,
    });
    round_trip(decrypt::Response {
        uid: "k1".into(),
        data: Zeroizing::new(vec![4; 5]),
    });
    round_trip(sign::Response {
        uid: "k".into(),
        signature: vec![1; 64],
    });
    round_trip(mac::Response {
        uid: "k".into(),
        mac: vec![1; 32],
    });
    round_trip(Verified {
        uid: "k".into(),
        indicator: ValidityIndicator::Invalid,
    });
    round_trip(hash::Response { data: vec![1; 32] });
    round_trip(create_key_pair::Response {
        private_uid: "a".into(),
        public_uid: "b".into(),
    });
}

fn payload(items: Vec<Ttlv>) -> Ttlv {
    Ttlv::structure(Tag::REQUEST_PAYLOAD, items)
}

#[test]
fn a_missing_or_mistyped_field_names_it() {
    assert_eq!(
        activate::Request::from_ttlv(payload(vec![])),
        Err(Error::MissingField {
            parent: Tag::REQUEST_PAYLOAD,
            field: Tag::UNIQUE_IDENTIFIER
        })
    );
    let e = encrypt::Request::from_ttlv(payload(vec![
        Ttlv::text(Tag::UNIQUE_IDENTIFIER, "k"),
        Ttlv::text(Tag::DATA, "not bytes"),
    ]))
    .unwrap_err();
    assert!(matches!(e, Error::WrongType { tag, expected: "ByteString", .. } if tag == Tag::DATA));
}

#[test]
fn refusals_carry_their_result_reason() {
    let refused = |e: Error| match e {
        Error::Refused { reason, .. } => reason,
        other => panic!("not a refusal: {other}"),
    };
    let streaming = encrypt::Request::from_ttlv(payload(vec![
        Ttlv::text(Tag::UNIQUE_IDENTIFIER, "k"),
        Ttlv::bytes(Tag::DATA, vec![1]),
        Ttlv::boolean(Tag::INIT_INDICATOR, true),
    ]));
    assert_eq!(
        refused(streaming.unwrap_err()),
        ResultReason::FeatureNotSupported
    );
    let both = sign::Request::from_ttlv(payload(vec![
        Ttlv::text(Tag::UNIQUE_IDENTIFIER, "k"),
        Ttlv::bytes(Tag::DATA, vec![1]),
        Ttlv::bytes(Tag::DIGESTED_DATA, vec![1]),
    ]));
    assert_eq!(refused(both.unwrap_err()), ResultReason::InvalidMessage);
    let bad_params = mac::Request::from_ttlv(payload(vec![
        Ttlv::text(Tag::UNIQUE_IDENTIFIER, "k"),
        Ttlv::integer(Tag::CRYPTOGRAPHIC_PARAMETERS, 1),
        Ttlv::bytes(Tag::DATA, vec![1]),
    ]));
    assert_eq!(refused(bad_params.unwrap_err()), ResultReason::InvalidField);
    let too_many =
        rng_retrieve::Request::from_ttlv(payload(vec![Ttlv::integer(Tag::DATA_LENGTH, 0)]));
    assert_eq!(refused(too_many.unwrap_err()), ResultReason::InvalidField);
}

#[test]
fn create_reads_kmip_1_template_attributes() {
    let template = Ttlv::structure(
        Tag::TEMPLATE_ATTRIBUTE,
        vec![Ttlv::structure(
            Tag::ATTRIBUTE,
            vec![
                Ttlv::text(Tag::ATTRIBUTE_NAME, "Cryptographic Length"),
                Ttlv::integer(Tag::ATTRIBUTE_VALUE, 128),
            ],
        )],
    );
    let r = create::Request::from_ttlv(payload(vec![
        Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SymmetricKey.as_u32()),
        template,
    ]))
    .unwrap();
    assert_eq!(r.attributes.cryptographic_length, Some(128));
}

fn symmetric_key_value() -> Ttlv {
    Ttlv::structure(
        Tag::SYMMETRIC_KEY,
        vec![Ttlv::structure(
            Tag::KEY_BLOCK,
            vec![
                Ttlv::enumeration(
                    Tag::KEY_FORMAT_TYPE,
                    crate::enums::KeyFormatType::Raw.as_u32(),
                ),
                Ttlv::structure(
                    Tag::KEY_VALUE,
                    vec![Ttlv::bytes(Tag::KEY_MATERIAL, vec![7; 32])],
                ),
            ],
        )],
    )
}

fn wrapping() -> get::KeyWrappingSpecification {
    get::KeyWrappingSpecification {
        method: crate::enums::WrappingMethod::Encrypt,
        key: get::EncryptionKeyInformation {
            uid: "kek".into(),
            params: Some(CryptographicParameters {
                block_cipher_mode: Some(BlockCipherMode::NistKeyWrap),
                ..Default::default()
            }),
        },
        encoding: Some(crate::enums::EncodingOption::NoEncoding),
    }
}

#[test]
fn object_requests_and_responses_round_trip() {
    use crate::enums::{KeyCompressionType, KeyFormatType, KeyWrapType};
    let get = get::Request {
        uid: "k".into(),
        format: Some(KeyFormatType::TransparentSymmetricKey),
        compression: Some(KeyCompressionType::EcPublicKeyTypeUncompressed),
        wrap_type: Some(KeyWrapType::AsRegistered),
        wrapping: Some(wrapping()),
    };
    round_trip(get.clone());
    round_trip(get::Request {
        uid: "k".into(),
        format: None,
        compression: None,
        wrap_type: None,
        wrapping: None,
    });
    round_trip(export::Request(get));
    round_trip(get::Response {
        object_type: ObjectType::SymmetricKey,
        uid: "k".into(),
        value: symmetric_key_value(),
    });
    let attributes = Attributes {
        cryptographic_length: Some(256),
        ..Default::default()
    };
    round_trip(export::Response {
        object_type: ObjectType::SymmetricKey,
        uid: "k".into(),
        attributes: vec![attributes.to_ttlv()],
        value: symmetric_key_value(),
    });
    round_trip(register::Request {
        object_type: ObjectType::SymmetricKey,
        attributes: attributes.clone(),
        value: symmetric_key_value(),
    });
    round_trip(import::Request {
        uid: "k".into(),
        object_type: ObjectType::SymmetricKey,
        replace: Some(true),
        wrap_type: Some(KeyWrapType::NotWrapped),
        attributes,
        value: symmetric_key_value(),
    });
    round_trip(get_attributes::Request {
        uid: "k".into(),
        references: vec![Ttlv::enumeration(
            Tag::ATTRIBUTE_REFERENCE,
            Tag::CRYPTOGRAPHIC_LENGTH.0,
        )],
        names: vec!["State".into()],
    });
    round_trip(get_attributes::Response {
        uid: "k".into(),
        attributes: vec![Ttlv::structure(
            Tag::ATTRIBUTE,
            vec![
                Ttlv::text(Tag::ATTRIBUTE_NAME, "Cryptographic Length"),
                Ttlv::integer(Tag::ATTRIBUTE_VALUE, 256),
            ],
        )],
    });
}

#[test]
fn object_requests_refuse_what_ekms_does_not_do() {
    let refused = |e: Error| match e {
        Error::Refused { reason, message } => (reason, message),
        other => panic!("not a refusal: {other}"),
    };
    let uid = || Ttlv::text(Tag::UNIQUE_IDENTIFIER, "k");
    let compressed = get::Request::from_ttlv(payload(vec![
        uid(),
        Ttlv::enumeration(
            Tag::KEY_COMPRESSION_TYPE,
            crate::enums::KeyCompressionType::EcPublicKeyTypeX9_62CompressedPrime.as_u32(),
        ),
    ]));
    assert_eq!(
        refused(compressed.unwrap_err()).0,
        ResultReason::KeyCompressionTypeNotSupported
    );
    let unknown_format = get::Request::from_ttlv(payload(vec![
        uid(),
        Ttlv::enumeration(Tag::KEY_FORMAT_TYPE, 0x7FFF),
    ]));
    assert_eq!(
        refused(unknown_format.unwrap_err()),
        (
            ResultReason::InvalidField,
            "KeyFormatType must be a known enumeration".into()
        )
    );
    let mut mac = wrapping().to_ttlv();
    mac.value = crate::ttlv::Value::Structure(vec![Ttlv::enumeration(
        Tag::WRAPPING_METHOD,
        crate::enums::WrappingMethod::MacSign.as_u32(),
    )]);
    let by_mac = get::Request::from_ttlv(payload(vec![uid(), mac]));
    assert_eq!(
        refused(by_mac.unwrap_err()).0,
        ResultReason::FeatureNotSupported
    );
    let no_key = get::Request::from_ttlv(payload(vec![
        uid(),
        Ttlv::structure(
            Tag::KEY_WRAPPING_SPECIFICATION,
            vec![
                Ttlv::enumeration(
                    Tag::WRAPPING_METHOD,
                    crate::enums::WrappingMethod::Encrypt.as_u32(),
                ),
                Ttlv::structure(Tag::ENCRYPTION_KEY_INFORMATION, vec![]),
            ],
        ),
    ]));
    assert_eq!(
        refused(no_key.unwrap_err()),
        (
            ResultReason::MissingData,
            "EncryptionKeyInformation UniqueIdentifier is missing".into()
        )
    );
    let template = register::Request::from_ttlv(payload(vec![Ttlv::enumeration(
        Tag::OBJECT_TYPE,
        ObjectType::Template.as_u32(),
    )]));
    assert_eq!(
        refused(template.unwrap_err()).0,
        ResultReason::InvalidObjectType
    );
    let no_value = register::Request::from_ttlv(payload(vec![Ttlv::enumeration(
        Tag::OBJECT_TYPE,
        ObjectType::SymmetricKey.as_u32(),
    )]));
    assert_eq!(
        refused(no_value.unwrap_err()),
        (
            ResultReason::MissingData,
            "the SymmetricKey object is missing".into()
        )
    );
    let import_no_value = import::Request::from_ttlv(payload(vec![
        uid(),
        Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SecretData.as_u32()),
    ]));
    assert_eq!(
        refused(import_no_value.unwrap_err()),
        (ResultReason::MissingData, "SecretData is missing".into())
    );
}
