//! Create Split Key and Join Split Key on a group store: XOR parts that are Split Key objects
//! like any other (Get, Locate, Destroy), joined back into the key; what is refused.

use super::tests::{
    block_material as material, create_v1, run, store, uid, v1_algorithm, v1_attr, v1_length,
};
use ekms_kmip::enums::{ObjectType, Operation, ResultReason, SplitKeyMethod};
use ekms_kmip::{ProtocolVersion, Tag, Ttlv};
use ekms_store::SqlCipherStore;

const V: ProtocolVersion = ProtocolVersion::V1_4;

fn split_payload(
    key: Option<&str>,
    parts: i32,
    threshold: i32,
    method: SplitKeyMethod,
) -> Vec<Ttlv> {
    let mut v = vec![Ttlv::enumeration(
        Tag::OBJECT_TYPE,
        ObjectType::SymmetricKey.as_u32(),
    )];
    if let Some(k) = key {
        v.push(Ttlv::text(Tag::UNIQUE_IDENTIFIER, k));
    }
    v.push(Ttlv::integer(Tag::SPLIT_KEY_PARTS, parts));
    v.push(Ttlv::integer(Tag::SPLIT_KEY_THRESHOLD, threshold));
    v.push(Ttlv::enumeration(Tag::SPLIT_KEY_METHOD, method.as_u32()));
    v.push(Ttlv::structure(
        Tag::TEMPLATE_ATTRIBUTE,
        vec![v1_algorithm(3), v1_length(256)],
    ));
    v
}

fn split(s: &SqlCipherStore, key: Option<&str>, parts: i32) -> Vec<String> {
    run(
        s,
        V,
        Operation::CreateSplitKey,
        split_payload(key, parts, parts, SplitKeyMethod::Xor),
    )
    .unwrap()
    .children(Tag::UNIQUE_IDENTIFIER)
    .map(|t| t.as_text().unwrap().to_string())
    .collect()
}

fn get(s: &SqlCipherStore, id: &str) -> Ttlv {
    run(
        s,
        V,
        Operation::Get,
        vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, id)],
    )
    .unwrap()
}

fn join_payload(object_type: ObjectType, parts: &[String]) -> Vec<Ttlv> {
    let mut v = vec![Ttlv::enumeration(Tag::OBJECT_TYPE, object_type.as_u32())];
    v.extend(
        parts
            .iter()
            .map(|p| Ttlv::text(Tag::UNIQUE_IDENTIFIER, p.as_str())),
    );
    v
}

fn reason(e: crate::error::KmipError) -> ResultReason {
    e.reason
}

#[test]
fn a_key_split_by_xor_joins_back_and_its_parts_are_split_key_objects() {
    let (_d, s) = store();
    let key = create_v1(&s, V, "whole");
    let original = material(get(&s, &key).child(Tag::SYMMETRIC_KEY).unwrap());
    let parts = split(&s, Some(&key), 3);
    assert_eq!(parts.len(), 3);
    let mut xor = vec![0u8; original.len()];
    for (i, p) in parts.iter().enumerate() {
        let answer = get(&s, p);
        assert_eq!(
            answer.child(Tag::OBJECT_TYPE).and_then(Ttlv::as_enum),
            Some(ObjectType::SplitKey.as_u32())
        );
        let value = answer.child(Tag::SPLIT_KEY).unwrap();
        assert_eq!(
            value.child(Tag::SPLIT_KEY_PARTS).and_then(Ttlv::as_i32),
            Some(3)
        );
        assert_eq!(
            value.child(Tag::SPLIT_KEY_THRESHOLD).and_then(Ttlv::as_i32),
            Some(3)
        );
        assert_eq!(
            value.child(Tag::KEY_PART_IDENTIFIER).and_then(Ttlv::as_i32),
            Some(i as i32 + 1)
        );
        let share = material(value);
        assert_eq!(share.len(), original.len());
        assert_ne!(share, original, "a part must not be the key");
        xor.iter_mut().zip(&share).for_each(|(a, b)| *a ^= b);
    }
    assert_eq!(xor, original, "the parts XOR to the key");

    // Joined, in any order, they make a new key with the same material and algorithm.
    let order = [parts[2].clone(), parts[0].clone(), parts[1].clone()];
    let joined = uid(&run(
        &s,
        V,
        Operation::JoinSplitKey,
        join_payload(ObjectType::SymmetricKey, &order),
    )
    .unwrap());
    assert_ne!(joined, key);
    let answer = get(&s, &joined);
    let value = answer.child(Tag::SYMMETRIC_KEY).unwrap();
    assert_eq!(material(value), original);
    let block = value.child(Tag::KEY_BLOCK).unwrap();
    assert_eq!(
        block
            .child(Tag::CRYPTOGRAPHIC_ALGORITHM)
            .and_then(Ttlv::as_enum),
        Some(3)
    );

    // Locate finds the parts by type; Destroy destroys one like any object.
    let located = run(
        &s,
        V,
        Operation::Locate,
        vec![v1_attr(
            "Object Type",
            None,
            Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SplitKey.as_u32()),
        )],
    )
    .unwrap();
    let mut found: Vec<String> = located
        .children(Tag::UNIQUE_IDENTIFIER)
        .map(|t| t.as_text().unwrap().to_string())
        .collect();
    found.sort();
    let mut expected = parts.clone();
    expected.sort();
    assert_eq!(found, expected);
    run(
        &s,
        V,
        Operation::Destroy,
        vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, parts[0].as_str())],
    )
    .unwrap();
    let e = run(
        &s,
        V,
        Operation::JoinSplitKey,
        join_payload(ObjectType::SymmetricKey, &parts),
    )
    .unwrap_err();
    assert_eq!(reason(e), ResultReason::ObjectDestroyed);
}

#[test]
fn a_new_key_is_drawn_when_none_is_named_and_secret_data_can_be_joined() {
    let (_d, s) = store();
    let parts = split(&s, None, 2);
    let a = material(get(&s, &parts[0]).child(Tag::SPLIT_KEY).unwrap());
    let b = material(get(&s, &parts[1]).child(Tag::SPLIT_KEY).unwrap());
    assert_eq!(a.len(), 32, "AES-256 from the template");
    let joined = uid(&run(
        &s,
        V,
        Operation::JoinSplitKey,
        join_payload(ObjectType::SecretData, &parts),
    )
    .unwrap());
    let secret = get(&s, &joined);
    let value = secret.child(Tag::SECRET_DATA).unwrap();
    let expected: Vec<u8> = a.iter().zip(&b).map(|(x, y)| x ^ y).collect();
    assert_eq!(material(value), expected);
}

#[test]
fn what_split_and_join_refuse() {
    let (_d, s) = store();
    let key = create_v1(&s, V, "k");
    for method in [
        SplitKeyMethod::PolynomialSharingGf2_8,
        SplitKeyMethod::PolynomialSharingGf2_16,
        SplitKeyMethod::PolynomialSharingPrimeField,
    ] {
        let e = run(
            &s,
            V,
            Operation::CreateSplitKey,
            split_payload(Some(&key), 3, 2, method),
        )
        .unwrap_err();
        assert_eq!(e.reason, ResultReason::FeatureNotSupported);
        assert!(e.message.contains("XOR method only"), "{}", e.message);
    }
    // XOR needs every part: a threshold below the parts is refused, as is a single part.
    let e = run(
        &s,
        V,
        Operation::CreateSplitKey,
        split_payload(Some(&key), 3, 2, SplitKeyMethod::Xor),
    )
    .unwrap_err();
    assert_eq!(e.reason, ResultReason::InvalidField);
    let e = run(
        &s,
        V,
        Operation::CreateSplitKey,
        split_payload(Some(&key), 1, 1, SplitKeyMethod::Xor),
    )
    .unwrap_err();
    assert_eq!(e.reason, ResultReason::InvalidField);

    let parts = split(&s, Some(&key), 3);
    // Too few parts, a part twice, a part of another split, an object that is no part.
    let e = run(
        &s,
        V,
        Operation::JoinSplitKey,
        join_payload(ObjectType::SymmetricKey, &parts[..2]),
    )
    .unwrap_err();
    assert_eq!(e.reason, ResultReason::InvalidField);
    let twice = [parts[0].clone(), parts[0].clone(), parts[1].clone()];
    let e = run(
        &s,
        V,
        Operation::JoinSplitKey,
        join_payload(ObjectType::SymmetricKey, &twice),
    )
    .unwrap_err();
    assert_eq!(e.reason, ResultReason::InvalidField);
    let other = split(&s, Some(&key), 2);
    let mixed = [parts[0].clone(), parts[1].clone(), other[0].clone()];
    let e = run(
        &s,
        V,
        Operation::JoinSplitKey,
        join_payload(ObjectType::SymmetricKey, &mixed),
    )
    .unwrap_err();
    assert_eq!(e.reason, ResultReason::InvalidField);
    let e = run(
        &s,
        V,
        Operation::JoinSplitKey,
        join_payload(ObjectType::SymmetricKey, std::slice::from_ref(&key)),
    )
    .unwrap_err();
    assert_eq!(e.reason, ResultReason::InvalidObjectType);

    // A key that may not leave may not be split.
    let kept = create_v1(&s, V, "kept");
    run(
        &s,
        V,
        Operation::ModifyAttribute,
        vec![
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, kept.as_str()),
            v1_attr("Extractable", None, Ttlv::boolean(Tag::EXTRACTABLE, false)),
        ],
    )
    .unwrap();
    let e = run(
        &s,
        V,
        Operation::CreateSplitKey,
        split_payload(Some(&kept), 2, 2, SplitKeyMethod::Xor),
    )
    .unwrap_err();
    assert_eq!(e.reason, ResultReason::NotExtractable);
}
