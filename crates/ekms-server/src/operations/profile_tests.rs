//! More behaviours the KMIP profiles' test cases expect of a server (Random Number Generator,
//! GCM and ChaCha20-Poly1305 tag lengths, …), each reproduced directly on a group store.

use super::conformance_tests::{attribute_value, create_rsa_pair};
use super::tests::{create_v1, run, store, uid};
use ekms_kmip::enums::{
    CryptographicAlgorithm, DrbgAlgorithm, ObjectType, Operation, RngAlgorithm,
};
use ekms_kmip::{ProtocolVersion, Tag, Ttlv};

const V14: ProtocolVersion = ProtocolVersion::V1_4;

#[test]
fn generated_keys_name_the_random_number_generator_registered_ones_do_not() {
    let (_d, s) = store();
    let id = create_v1(&s, V14, "k");
    let rng = attribute_value(&s, &id, "Random Number Generator")
        .expect("a created key names its generator");
    let field = |tag| rng.child(tag).and_then(Ttlv::as_enum);
    assert_eq!(field(Tag::RNG_ALGORITHM), Some(RngAlgorithm::Drbg as u32));
    assert_eq!(field(Tag::DRBG_ALGORITHM), Some(DrbgAlgorithm::Ctr as u32));
    assert_eq!(
        field(Tag::CRYPTOGRAPHIC_ALGORITHM),
        Some(CryptographicAlgorithm::Aes as u32)
    );
    assert_eq!(
        rng.child(Tag::CRYPTOGRAPHIC_LENGTH).and_then(Ttlv::as_i32),
        Some(256)
    );
    // A key pair's halves both came from the generator.
    let r = create_rsa_pair(&s);
    for half in [
        Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER,
        Tag::PUBLIC_KEY_UNIQUE_IDENTIFIER,
    ] {
        let id = r.child(half).and_then(Ttlv::as_text).unwrap();
        assert!(attribute_value(&s, id, "Random Number Generator").is_some());
    }
    // A registered key's bytes came from the client: no generator of the server's to name.
    let r = run(
        &s,
        V14,
        Operation::Register,
        vec![
            Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::OpaqueObject as u32),
            Ttlv::structure(Tag::TEMPLATE_ATTRIBUTE, vec![]),
            Ttlv::structure(
                Tag::OPAQUE_OBJECT,
                vec![
                    Ttlv::enumeration(Tag::OPAQUE_DATA_TYPE, 0x8000_0000),
                    Ttlv::bytes(Tag::OPAQUE_DATA_VALUE, b"opaque".to_vec()),
                ],
            ),
        ],
    )
    .unwrap();
    assert_eq!(
        attribute_value(&s, &uid(&r), "Random Number Generator"),
        None
    );
}

#[test]
fn new_objects_have_the_kmip_defaults_of_sensitive_and_extractable() {
    let (_d, s) = store();
    let id = create_v1(&s, V14, "k");
    // KMIP: Sensitive defaults to false and Extractable to true, and an object has them.
    let flag = |name| attribute_value(&s, &id, name).and_then(|v| v.as_bool());
    assert_eq!(flag("Sensitive"), Some(false));
    assert_eq!(flag("Extractable"), Some(true));
    let r = run(
        &s,
        V14,
        Operation::GetAttributeList,
        vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, id.as_str())],
    )
    .unwrap();
    let names: Vec<&str> = r
        .items()
        .iter()
        .filter_map(|t| {
            (t.tag == Tag::ATTRIBUTE_NAME)
                .then(|| t.as_text())
                .flatten()
        })
        .collect();
    assert!(names.contains(&"Sensitive"), "{names:?}");
    assert!(names.contains(&"Extractable"), "{names:?}");
}
