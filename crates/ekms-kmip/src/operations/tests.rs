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
    round_trip(destroy::Request {
        uid: "k1".into(),
        cascade: None,
    });
    round_trip(destroy::Request {
        uid: "k1".into(),
        cascade: Some(true),
    });
    round_trip(revoke::Request {
        uid: "k1".into(),
        reason: RevocationReasonCode::KeyCompromise,
        message: Some("lost".into()),
        compromise_occurrence_date: Some(1_700_000_000),
        cascade: Some(true),
    });
    round_trip(revoke::Request {
        uid: "k1".into(),
        reason: RevocationReasonCode::Superseded,
        message: None,
        compromise_occurrence_date: None,
        cascade: None,
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
    round_trip(rng_seed::Request {
        data: zeroize::Zeroizing::new(vec![7; 32]),
    });
    round_trip(rng_seed::Response { accepted: 32 });
    round_trip(interop::Request {
        function: crate::enums::InteropFunction::Begin,
        identifier: "BL-M-1-21".into(),
    });
    round_trip(interop::Response);
    round_trip(log::Request {
        message: "Registered a key.".into(),
    });
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
        correlation: None,
        tag: Some(vec![5; 16]),
    });
    round_trip(encrypt::Response {
        uid: "k1".into(),
        data: vec![1, 2],
        iv: None,
        correlation: Some(vec![7; 16]),
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
    let part = || {
        payload(vec![
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, "k"),
            Ttlv::bytes(Tag::DATA, vec![1]),
            Ttlv::boolean(Tag::INIT_INDICATOR, true),
        ])
    };
    let streaming = encrypt::Request::from_ttlv(part());
    assert_eq!(
        refused(streaming.unwrap_err()),
        ResultReason::FeatureNotSupported
    );
    // The server's reading takes the multi-part fields apart.
    let read = encrypt::PartRequest::from_ttlv(part()).unwrap();
    assert!(read.parts.init && !read.parts.last && read.parts.is_multi_part());
    assert_eq!(read.request.data.as_slice(), &[1]);
    let last = encrypt::PartRequest::from_ttlv(payload(vec![
        Ttlv::text(Tag::UNIQUE_IDENTIFIER, "k"),
        Ttlv::bytes(Tag::DATA, vec![2]),
        Ttlv::bytes(Tag::CORRELATION_VALUE, vec![9; 16]),
        Ttlv::boolean(Tag::FINAL_INDICATOR, true),
    ]))
    .unwrap();
    assert_eq!(last.parts.correlation, Some(vec![9; 16]));
    assert!(last.parts.last && last.parts.is_multi_part());
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

fn name_item(value: &str) -> Ttlv {
    crate::Name::text(value).to_ttlv()
}

/// The 1.x `Attribute` (name and value) of a 2.x item.
fn v1_attribute(value: Ttlv) -> Ttlv {
    crate::attributes::v2_to_v1(&value, None)
}

#[test]
fn attribute_and_locate_requests_round_trip() {
    use attribute::{OneAttribute, Reference};
    let length = Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, 128);
    for attribute in [
        OneAttribute::v2(name_item("n")),
        OneAttribute::v1(name_item("n"), Some(2)),
        OneAttribute::v1(length.clone(), None),
    ] {
        round_trip(add_attribute::Request {
            uid: "k".into(),
            attribute: attribute.clone(),
        });
        round_trip(set_attribute::Request {
            uid: "k".into(),
            attribute: attribute.clone(),
        });
        round_trip(modify_attribute::Request {
            uid: "k".into(),
            current: None,
            new: attribute,
        });
    }
    round_trip(modify_attribute::Request {
        uid: "k".into(),
        current: Some(OneAttribute::v2(name_item("old"))),
        new: OneAttribute::v2(name_item("new")),
    });
    for target in [
        delete_attribute::Target::Indexed(Reference::Tag(Tag::NAME), 1),
        delete_attribute::Target::Indexed(Reference::Vendor("x".into(), "colour".into()), 0),
        delete_attribute::Target::Instance(OneAttribute::v2(name_item("n"))),
        delete_attribute::Target::All(Reference::Tag(Tag::CRYPTOGRAPHIC_LENGTH)),
        delete_attribute::Target::All(Reference::Vendor("v".into(), "a".into())),
    ] {
        round_trip(delete_attribute::Request {
            uid: "k".into(),
            target,
        });
    }
    let filters = vec![
        Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SymmetricKey.as_u32()),
        name_item("n"),
    ];
    for v1 in [false, true] {
        round_trip(locate::Request {
            max: Some(10),
            offset: Some(2),
            storage_status_mask: Some(3),
            filters: filters.clone(),
            v1,
        });
    }
    round_trip(locate::Request {
        max: None,
        offset: None,
        storage_status_mask: None,
        filters: Vec::new(),
        v1: false,
    });
    round_trip(derive_key::Request {
        object_type: ObjectType::SymmetricKey,
        base_uid: "base".into(),
        method: crate::enums::DerivationMethod::Pbkdf2,
        params: gcm(),
        iv: Some(vec![1; 16]),
        data: Some(Zeroizing::new(b"info".to_vec())),
        salt: Some(b"salt".to_vec()),
        iterations: Some(1000),
        attributes: Attributes {
            cryptographic_algorithm: Some(CryptographicAlgorithm::Aes),
            cryptographic_length: Some(256),
            ..Default::default()
        },
    });
    round_trip(derive_key::Request {
        object_type: ObjectType::SecretData,
        base_uid: "base".into(),
        method: crate::enums::DerivationMethod::Hkdf,
        params: None,
        iv: None,
        data: None,
        salt: None,
        iterations: None,
        attributes: Attributes::default(),
    });
}

#[test]
fn attribute_and_locate_responses_round_trip() {
    round_trip(attribute::Edited {
        uid: "k".into(),
        attribute: None,
    });
    round_trip(attribute::Edited {
        uid: "k".into(),
        attribute: Some(attribute::OneAttribute::v1(name_item("n"), Some(0))),
    });
    round_trip(locate::Response {
        located_items: Some(3),
        uids: vec!["a".into(), "b".into()],
    });
    round_trip(locate::Response {
        located_items: None,
        uids: Vec::new(),
    });
}

fn reason(e: Error) -> (ResultReason, String) {
    match e {
        Error::Refused { reason, message } => (reason, message),
        other => panic!("not a refusal: {other}"),
    }
}

#[test]
fn attribute_requests_read_both_shapes_and_refuse_as_the_server_did() {
    let uid = || Ttlv::text(Tag::UNIQUE_IDENTIFIER, "k");
    // 1.x: an Attribute with name, index and value, read into the 2.x item.
    let v1 = add_attribute::Request::from_ttlv(payload(vec![uid(), v1_attribute(name_item("n"))]))
        .unwrap();
    assert_eq!(v1.attribute.item, name_item("n"));
    assert!(v1.attribute.v1);
    let two = Ttlv::structure(Tag::NEW_ATTRIBUTE, vec![name_item("a"), name_item("b")]);
    assert_eq!(
        reason(set_attribute::Request::from_ttlv(payload(vec![uid(), two])).unwrap_err()),
        (
            ResultReason::InvalidMessage,
            "NewAttribute must hold exactly one attribute".into()
        )
    );
    assert_eq!(
        reason(add_attribute::Request::from_ttlv(payload(vec![uid()])).unwrap_err()).0,
        ResultReason::MissingData
    );
    let bad_value = Ttlv::structure(
        Tag::NEW_ATTRIBUTE,
        vec![Ttlv::text(Tag::CRYPTOGRAPHIC_LENGTH, "long")],
    );
    assert_eq!(
        reason(add_attribute::Request::from_ttlv(payload(vec![uid(), bad_value])).unwrap_err()).0,
        ResultReason::InvalidAttributeValue
    );
    let mismatch = modify_attribute::Request::from_ttlv(payload(vec![
        uid(),
        Ttlv::structure(Tag::CURRENT_ATTRIBUTE, vec![name_item("a")]),
        Ttlv::structure(
            Tag::NEW_ATTRIBUTE,
            vec![Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, 128)],
        ),
    ]));
    assert_eq!(reason(mismatch.unwrap_err()).0, ResultReason::InvalidField);
    // Delete: 1.x name and index, 2.x reference by text; a negative index is out of bounds.
    let by_name = delete_attribute::Request::from_ttlv(payload(vec![
        uid(),
        Ttlv::text(Tag::ATTRIBUTE_NAME, "x-colour"),
    ]))
    .unwrap();
    assert_eq!(
        by_name.target,
        delete_attribute::Target::Indexed(
            attribute::Reference::Vendor("x".into(), "colour".into()),
            0
        )
    );
    let by_text = delete_attribute::Request::from_ttlv(payload(vec![
        uid(),
        Ttlv::text(Tag::ATTRIBUTE_REFERENCE, "CryptographicLength"),
    ]))
    .unwrap();
    assert_eq!(
        by_text.target,
        delete_attribute::Target::All(attribute::Reference::Tag(Tag::CRYPTOGRAPHIC_LENGTH))
    );
    let negative = delete_attribute::Request::from_ttlv(payload(vec![
        uid(),
        Ttlv::text(Tag::ATTRIBUTE_NAME, "Name"),
        Ttlv::integer(Tag::ATTRIBUTE_INDEX, -1),
    ]));
    assert_eq!(
        reason(negative.unwrap_err()).0,
        ResultReason::IndexOutOfBounds
    );
    // The target is looked for before the identifier, as the server always did.
    assert_eq!(
        reason(delete_attribute::Request::from_ttlv(payload(vec![])).unwrap_err()),
        (
            ResultReason::MissingData,
            "CurrentAttribute, AttributeReference or AttributeName is missing".into()
        )
    );
}

#[test]
fn locate_and_derive_key_read_as_the_server_did() {
    let v1 = locate::Request::from_ttlv(payload(vec![v1_attribute(Ttlv::enumeration(
        Tag::OBJECT_TYPE,
        ObjectType::SymmetricKey.as_u32(),
    ))]))
    .unwrap();
    assert!(v1.v1);
    assert_eq!(v1.filters[0].tag, Tag::OBJECT_TYPE);
    let many = vec![name_item("n"); locate::MAX_FILTERS + 1];
    let refused = locate::Request::from_ttlv(payload(vec![Ttlv::structure(Tag::ATTRIBUTES, many)]));
    assert_eq!(
        reason(refused.unwrap_err()).0,
        ResultReason::ServerLimitExceeded
    );
    let negative = locate::Request::from_ttlv(payload(vec![Ttlv::integer(Tag::MAXIMUM_ITEMS, -1)]));
    assert_eq!(
        reason(negative.unwrap_err()).1,
        "MaximumItems must be a non-negative Integer"
    );
    let derive = |items: Vec<Ttlv>| derive_key::Request::from_ttlv(payload(items));
    let base = vec![Ttlv::enumeration(
        Tag::OBJECT_TYPE,
        ObjectType::SymmetricKey.as_u32(),
    )];
    assert_eq!(
        reason(derive(base.clone()).unwrap_err()).1,
        "UniqueIdentifier of the base object is missing"
    );
    // Derivation Parameters that are not a structure hold no parameters.
    let mut flat = base;
    flat.push(Ttlv::text(Tag::UNIQUE_IDENTIFIER, "b"));
    flat.push(Ttlv::enumeration(
        Tag::DERIVATION_METHOD,
        crate::enums::DerivationMethod::Hkdf.as_u32(),
    ));
    flat.push(Ttlv::integer(Tag::DERIVATION_PARAMETERS, 1));
    let r = derive(flat).unwrap();
    assert_eq!((r.salt, r.iterations), (None, None));
}

#[test]
fn requests_written_for_kmip_1_read_back_the_same() {
    let attributes = Attributes {
        cryptographic_algorithm: Some(CryptographicAlgorithm::Aes),
        cryptographic_length: Some(256),
        names: vec![crate::Name::text("n")],
        ..Default::default()
    };
    let create = create::Request {
        object_type: ObjectType::SymmetricKey,
        attributes: attributes.clone(),
    };
    let v1 = with_template_attributes(create.clone().to_ttlv());
    assert!(v1.child(Tag::TEMPLATE_ATTRIBUTE).is_some());
    assert!(v1.child(Tag::ATTRIBUTES).is_none());
    assert_eq!(create::Request::from_ttlv(v1).unwrap(), create);
    let pair = create_key_pair::Request {
        common: attributes,
        private: Attributes {
            cryptographic_usage_mask: Some(1),
            ..Default::default()
        },
        public: Attributes::default(),
    };
    let v1 = with_template_attributes(pair.clone().to_ttlv());
    assert!(v1.child(Tag::COMMON_TEMPLATE_ATTRIBUTE).is_some());
    assert!(v1.child(Tag::PUBLIC_KEY_TEMPLATE_ATTRIBUTE).is_some());
    assert_eq!(create_key_pair::Request::from_ttlv(v1).unwrap(), pair);
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
    // A Template (KMIP 1.x) is read like any object: which versions define it is the
    // server's check.
    let template = register::Request::from_ttlv(payload(vec![Ttlv::enumeration(
        Tag::OBJECT_TYPE,
        ObjectType::Template.as_u32(),
    )]));
    assert_eq!(refused(template.unwrap_err()).0, ResultReason::MissingData);
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

#[test]
fn lease_and_usage_allocation_round_trip_with_their_kmip_types() {
    let lease = obtain_lease::Lease {
        uid: "k".into(),
        lease_time: 3600,
        last_change_date: DateTime(1_700_000_000),
    };
    let t = lease.clone().to_ttlv();
    assert_eq!(
        t.child(Tag::LEASE_TIME).map(|v| v.value.item_type()),
        Some(crate::ItemType::Interval)
    );
    assert_eq!(
        t.child(Tag::LAST_CHANGE_DATE).map(|v| v.value.item_type()),
        Some(crate::ItemType::DateTime)
    );
    round_trip(lease);
    let req = get_usage_allocation::Request {
        uid: "k".into(),
        count: 16,
    };
    let t = req.clone().to_ttlv();
    assert_eq!(
        t.child(Tag::USAGE_LIMITS_COUNT)
            .map(|v| v.value.item_type()),
        Some(crate::ItemType::LongInteger)
    );
    round_trip(req);
    round_trip(obtain_lease::Request { uid: "k".into() });
}

#[test]
fn split_key_operations_round_trip() {
    round_trip(create_split_key::Request {
        object_type: ObjectType::SymmetricKey,
        uid: Some("k".into()),
        parts: 3,
        threshold: 3,
        method: crate::enums::SplitKeyMethod::Xor,
        attributes: Attributes {
            cryptographic_algorithm: Some(CryptographicAlgorithm::Aes),
            ..Default::default()
        },
    });
    round_trip(create_split_key::Request {
        object_type: ObjectType::SymmetricKey,
        uid: None,
        parts: 2,
        threshold: 2,
        method: crate::enums::SplitKeyMethod::Xor,
        attributes: Attributes::default(),
    });
    round_trip(create_split_key::Response {
        uids: vec!["a".into(), "b".into()],
    });
    round_trip(join_split_key::Request {
        object_type: ObjectType::SecretData,
        uids: vec!["a".into(), "b".into()],
        secret_data_type: Some(2),
        attributes: Attributes::default(),
    });
    // The parts are required.
    let none = Ttlv::structure(
        Tag::REQUEST_PAYLOAD,
        vec![Ttlv::enumeration(
            Tag::OBJECT_TYPE,
            ObjectType::SymmetricKey.as_u32(),
        )],
    );
    assert!(join_split_key::Request::from_ttlv(none).is_err());
}

#[test]
fn certify_operations_round_trip() {
    round_trip(certify::Request {
        uid: Some("pub".into()),
        request_uid: None,
        request_type: Some(crate::enums::CertificateRequestType::Pkcs10),
        request_value: Some(vec![0x30, 0x82]),
        attributes: Attributes::default(),
    });
    round_trip(recertify::Request {
        uid: Some("cert".into()),
        request_type: None,
        request_value: None,
        offset: Some(60),
        attributes: Attributes::default(),
    });
}

#[test]
fn adjust_attribute_and_set_endpoint_role_round_trip() {
    use crate::enums::{AdjustmentType, EndpointRole};
    round_trip(adjust_attribute::Request {
        uid: "k".into(),
        reference: attribute::Reference::Tag(Tag::ACTIVATION_DATE),
        adjustment: AdjustmentType::Increment,
        value: Some(Ttlv::interval(Tag::ADJUSTMENT_VALUE, 3600)),
    });
    round_trip(adjust_attribute::Request {
        uid: "k".into(),
        reference: attribute::Reference::Vendor("x".into(), "count".into()),
        adjustment: AdjustmentType::Negate,
        value: None,
    });
    round_trip(adjust_attribute::Response { uid: "k".into() });
    round_trip(set_endpoint_role::Request {
        role: EndpointRole::Server,
    });
    round_trip(set_endpoint_role::Response {
        role: EndpointRole::Server,
    });
    // The reference and the adjustment type are required.
    let no_type = Ttlv::structure(
        Tag::REQUEST_PAYLOAD,
        vec![
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, "k"),
            Ttlv::enumeration(Tag::ATTRIBUTE_REFERENCE, Tag::ACTIVATION_DATE.0),
        ],
    );
    assert!(adjust_attribute::Request::from_ttlv(no_type).is_err());
}
