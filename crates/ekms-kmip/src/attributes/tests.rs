use super::*;
use crate::codec::{FromTtlv, ToTtlv};
use crate::enums::usage_mask;
use crate::json;

fn sample() -> Attributes {
    Attributes {
        names: vec![Name::text("my-key"), Name::text("alias")],
        object_type: Some(ObjectType::SymmetricKey),
        cryptographic_algorithm: Some(CryptographicAlgorithm::Aes),
        cryptographic_length: Some(256),
        cryptographic_usage_mask: Some(usage_mask::ENCRYPT | usage_mask::DECRYPT),
        cryptographic_parameters: Some(CryptographicParameters {
            block_cipher_mode: Some(BlockCipherMode::Gcm),
            tag_length: Some(16),
            ..Default::default()
        }),
        state: Some(State::PreActive),
        activation_date: Some(1_700_000_000),
        object_groups: vec!["g1".into()],
        links: vec![Link {
            link_type: LinkType::PublicKeyLink,
            linked_object_identifier: "pub-1".into(),
        }],
        revocation_reason: Some(RevocationReason {
            code: RevocationReasonCode::KeyCompromise,
            message: Some("m".into()),
        }),
        sensitive: Some(true),
        recommended_curve: Some(RecommendedCurve::P256),
        digests: vec![Digest {
            hashing_algorithm: HashingAlgorithm::Sha256,
            digest_value: Some(vec![1, 2]),
            key_format_type: None,
        }],
        custom: vec![("x-purpose".into(), Ttlv::text(Tag::ATTRIBUTE_VALUE, "test"))],
        ..Default::default()
    }
}

#[test]
fn v2_round_trip() {
    let a = sample();
    let t = a.to_ttlv();
    assert_eq!(t.tag, Tag::ATTRIBUTES);
    assert_eq!(Attributes::from_ttlv(t.clone()).unwrap(), a);
    // Through JSON too.
    let j = json::to_string(&t);
    assert_eq!(
        Attributes::from_ttlv(json::from_str(&j).unwrap()).unwrap(),
        a
    );
    // Vendor attribute shape.
    let v = t.child(Tag::ATTRIBUTE).unwrap();
    assert_eq!(
        v.child(Tag::VENDOR_IDENTIFICATION).and_then(Ttlv::as_text),
        Some("x")
    );
    assert_eq!(
        v.child(Tag::ATTRIBUTE_NAME).and_then(Ttlv::as_text),
        Some("purpose")
    );
}

#[test]
fn v1_round_trip() {
    let a = sample();
    let list = a.to_attribute_list_v1();
    let names: Vec<_> = list
        .iter()
        .filter_map(|x| x.child(Tag::ATTRIBUTE_NAME).and_then(Ttlv::as_text))
        .collect();
    assert!(names.contains(&"Cryptographic Algorithm"));
    assert!(names.contains(&"Cryptographic Usage Mask"));
    assert!(names.contains(&"x-purpose"));
    let second_name = list
        .iter()
        .filter(|x| x.child(Tag::ATTRIBUTE_NAME).and_then(Ttlv::as_text) == Some("Name"))
        .nth(1)
        .unwrap();
    assert_eq!(
        second_name
            .child(Tag::ATTRIBUTE_INDEX)
            .and_then(Ttlv::as_i32),
        Some(1)
    );
    let ta = a.to_template_attribute(Tag::TEMPLATE_ATTRIBUTE);
    assert_eq!(Attributes::from_template_attribute(ta.clone()).unwrap(), a);
}

#[test]
fn v1_pykmip_style_template() {
    // As PyKMIP sends a Create: TemplateAttribute with three Attribute structures.
    let attr = |name: &str, v: Value| {
        Ttlv::structure(
            Tag::ATTRIBUTE,
            vec![
                Ttlv::text(Tag::ATTRIBUTE_NAME, name),
                Ttlv::new(Tag::ATTRIBUTE_VALUE, v),
            ],
        )
    };
    let ta = Ttlv::structure(
        Tag::TEMPLATE_ATTRIBUTE,
        vec![
            attr("Cryptographic Algorithm", Value::Enumeration(3)),
            attr("Cryptographic Length", Value::Integer(128)),
            attr("Cryptographic Usage Mask", Value::Integer(12)),
            attr(
                "Name",
                Value::Structure(vec![
                    Ttlv::text(Tag::NAME_VALUE, "k"),
                    Ttlv::enumeration(Tag::NAME_TYPE, 1),
                ]),
            ),
        ],
    );
    let a = Attributes::from_template_attribute(ta.clone()).unwrap();
    assert_eq!(a.cryptographic_algorithm, Some(CryptographicAlgorithm::Aes));
    assert_eq!(a.cryptographic_length, Some(128));
    assert_eq!(a.cryptographic_usage_mask, Some(12));
    assert_eq!(a.names, vec![Name::text("k")]);
    let bad = Ttlv::structure(
        Tag::TEMPLATE_ATTRIBUTE,
        vec![attr("No Such Attribute", Value::Integer(1))],
    );
    assert!(Attributes::from_template_attribute(bad.clone()).is_err());
    let wrong_type = Ttlv::structure(
        Tag::TEMPLATE_ATTRIBUTE,
        vec![attr("Cryptographic Length", Value::TextString("x".into()))],
    );
    assert!(matches!(
        Attributes::from_template_attribute(wrong_type.clone()),
        Err(Error::WrongType { .. })
    ));
}

#[test]
fn unknown_and_duplicates() {
    let t = Ttlv::structure(
        Tag::ATTRIBUTES,
        vec![
            Ttlv::interval(Tag::ROTATE_INTERVAL, 86400),
            Ttlv::boolean(Tag::QUANTUM_SAFE, false),
        ],
    );
    let a = Attributes::from_ttlv(t.clone()).unwrap();
    assert_eq!(a.custom.len(), 2);
    assert_eq!(
        a.custom.first().map(|c| c.0.as_str()),
        Some("RotateInterval")
    );
    assert_eq!(a.to_ttlv(), t);
    let dup = Ttlv::structure(
        Tag::ATTRIBUTES,
        vec![
            Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, 1),
            Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, 2),
        ],
    );
    assert!(Attributes::from_ttlv(dup.clone()).is_err());
    let bad_enum = Ttlv::structure(
        Tag::ATTRIBUTES,
        vec![Ttlv::enumeration(Tag::OBJECT_TYPE, 0x8000_0000)],
    );
    assert!(Attributes::from_ttlv(bad_enum.clone()).is_err());
}

#[test]
fn single_attribute_edits() {
    let mut a = sample();
    assert_eq!(a.get(Tag::NAME).len(), 2);
    a.add(&Name::text("third").to_ttlv()).unwrap();
    assert_eq!(a.names.len(), 3);
    assert!(
        a.add(&Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, 128))
            .is_err()
    );
    a.set(&Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, 128))
        .unwrap();
    assert_eq!(a.cryptographic_length, Some(128));
    assert!(a.set(&Ttlv::text(Tag::CRYPTOGRAPHIC_LENGTH, "x")).is_err());
    assert_eq!(a.cryptographic_length, Some(128));
    let old = Name::text("alias").to_ttlv();
    assert!(
        a.modify(Some(&old), &Name::text("renamed").to_ttlv())
            .unwrap()
    );
    assert!(a.names.contains(&Name::text("renamed")));
    assert!(
        !a.modify(Some(&old), &Name::text("again").to_ttlv())
            .unwrap()
    );
    assert_eq!(
        a.delete(Tag::NAME, Some(&Name::text("renamed").to_ttlv())),
        1
    );
    assert_eq!(a.delete(Tag::NAME, None), 2);
    assert!(a.names.is_empty());
    a.add(&Ttlv::text(Tag::CONTACT_INFORMATION, "ops")).unwrap();
    assert_eq!(a.contact_information.as_deref(), Some("ops"));
    // 1.x by name.
    let (item, idx) = v1_to_v2(Ttlv::structure(
        Tag::ATTRIBUTE,
        vec![
            Ttlv::text(Tag::ATTRIBUTE_NAME, "Object Group"),
            Ttlv::integer(Tag::ATTRIBUTE_INDEX, 0),
            Ttlv::text(Tag::ATTRIBUTE_VALUE, "g2"),
        ],
    ))
    .unwrap();
    assert_eq!((item.tag, idx), (Tag::OBJECT_GROUP, Some(0)));
    a.add(&item).unwrap();
    assert_eq!(a.object_groups, ["g1", "g2"]);
    assert_eq!(a.get_v1("Object Group").len(), 2);
    assert_eq!(a.get_v1("x-purpose").len(), 1);
    assert_eq!(
        attribute_tag("Cryptographic Algorithm"),
        Some(Tag::CRYPTOGRAPHIC_ALGORITHM)
    );
    assert_eq!(
        attribute_tag("CryptographicAlgorithm"),
        Some(Tag::CRYPTOGRAPHIC_ALGORITHM)
    );
    assert_eq!(attribute_tag("x-anything"), Some(Tag::ATTRIBUTE));
    assert_eq!(a.delete(Tag::ATTRIBUTE, None), 1);
    assert!(a.custom.is_empty());
}

#[test]
fn cryptographic_parameters() {
    let p = CryptographicParameters {
        block_cipher_mode: Some(BlockCipherMode::Gcm),
        padding_method: Some(PaddingMethod::None),
        hashing_algorithm: Some(HashingAlgorithm::Sha256),
        cryptographic_algorithm: Some(CryptographicAlgorithm::Aes),
        random_iv: Some(true),
        iv_length: Some(96),
        tag_length: Some(16),
        p_source: Some(vec![1]),
        mask_generator: Some(MaskGenerator::Mgf1),
        ..Default::default()
    };
    let t = p.to_ttlv();
    assert_eq!(t.tag, Tag::CRYPTOGRAPHIC_PARAMETERS);
    assert_eq!(CryptographicParameters::from_ttlv(t.clone()).unwrap(), p);
    let bad = Ttlv::structure(
        Tag::CRYPTOGRAPHIC_PARAMETERS,
        vec![Ttlv::text(Tag::NAME_VALUE, "x")],
    );
    assert!(CryptographicParameters::from_ttlv(bad.clone()).is_err());
    assert!(
        CryptographicParameters::from_ttlv(Ttlv::integer(Tag::CRYPTOGRAPHIC_PARAMETERS, 1))
            .is_err()
    );
}

#[test]
fn serde_is_stable() {
    let a = sample();
    let s = serde_json::to_string(&a).unwrap();
    assert!(s.contains(r#""cryptographic_algorithm":"AES""#), "{s}");
    let back: Attributes = serde_json::from_str(&s).unwrap();
    assert_eq!(back, a);
    let empty: Attributes = serde_json::from_str("{}").unwrap();
    assert_eq!(empty, Attributes::default());
}

#[test]
fn verbatim_finds_what_get_finds_for_attributes_without_a_field() {
    let mut a = sample();
    let limits = Ttlv::structure(
        Tag::USAGE_LIMITS,
        vec![
            Ttlv::long(Tag::USAGE_LIMITS_TOTAL, 10),
            Ttlv::long(Tag::USAGE_LIMITS_COUNT, 10),
            Ttlv::enumeration(Tag::USAGE_LIMITS_UNIT, 2),
        ],
    );
    a.set(&limits).unwrap();
    // The server charges a key's Usage Limits through `verbatim`: were they given a field of
    // their own, it would find none and every use would go uncharged.
    assert_eq!(a.get(Tag::USAGE_LIMITS), std::slice::from_ref(&limits));
    assert_eq!(a.verbatim(Tag::USAGE_LIMITS).collect::<Vec<_>>(), [&limits]);
    // Whatever it finds is what `get` finds; attributes with fields, and vendor attributes
    // (items of their own shape), it leaves to `get`.
    for item in a.items() {
        let found: Vec<Ttlv> = a.verbatim(item.tag).cloned().collect();
        assert!(
            found.is_empty() || found == a.get(item.tag),
            "{:?}",
            item.tag
        );
    }
    assert_eq!(a.verbatim(Tag::CRYPTOGRAPHIC_ALGORITHM).count(), 0);
    assert_eq!(a.verbatim(Tag::ATTRIBUTE_VALUE).count(), 0);
    assert_eq!(a.verbatim(Tag::ATTRIBUTE).count(), 0);
}
