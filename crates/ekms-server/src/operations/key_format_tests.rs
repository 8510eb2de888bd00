//! Key Format Types of RSA private keys: a generated key is PKCS#1 to KMIP 2.x clients (its
//! Key Format Type attribute and Get without a format), PKCS#8 to 1.x clients as before; a
//! registered key is served as registered, and Get converts PKCS#1 <-> PKCS#8 both ways.

use super::conformance_tests::register_value;
use super::tests::{run, store};
use ekms_crypto::rsa::RsaPrivateKey;
use ekms_kmip::enums::{KeyFormatType, ObjectType, Operation};
use ekms_kmip::{ProtocolVersion, Tag, Ttlv};
use ekms_store::SqlCipherStore;

const V14: ProtocolVersion = ProtocolVersion::V1_4;
const V21: ProtocolVersion = ProtocolVersion::V2_1;

/// A 2048-bit RSA pair made by a 2.1 Create Key Pair: the private key's identifier.
fn generated_private_key(s: &SqlCipherStore) -> String {
    let common = vec![
        Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, 0x04), // RSA
        Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, 2048),
    ];
    let r = run(
        s,
        V21,
        Operation::CreateKeyPair,
        vec![
            Ttlv::structure(Tag::COMMON_ATTRIBUTES, common),
            Ttlv::structure(Tag::PRIVATE_KEY_ATTRIBUTES, vec![]),
            Ttlv::structure(Tag::PUBLIC_KEY_ATTRIBUTES, vec![]),
        ],
    )
    .unwrap();
    let id = r.child(Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER);
    id.and_then(Ttlv::as_text).unwrap().to_string()
}

/// Get of `id` in version `v`, in `format` when given: the Key Block's Key Format Type and
/// Key Material.
fn get(
    s: &SqlCipherStore,
    v: ProtocolVersion,
    id: &str,
    format: Option<KeyFormatType>,
) -> (KeyFormatType, Vec<u8>) {
    let mut items = vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, id)];
    if let Some(f) = format {
        items.push(Ttlv::enumeration(Tag::KEY_FORMAT_TYPE, f.as_u32()));
    }
    let r = run(s, v, Operation::Get, items).unwrap();
    let block = r
        .child(Tag::PRIVATE_KEY)
        .and_then(|k| k.child(Tag::KEY_BLOCK));
    let block = block.unwrap();
    let f = block.child(Tag::KEY_FORMAT_TYPE).and_then(Ttlv::as_enum);
    let material = block
        .child(Tag::KEY_VALUE)
        .and_then(|v| v.child(Tag::KEY_MATERIAL))
        .and_then(Ttlv::as_bytes)
        .unwrap();
    (
        KeyFormatType::from_u32(f.unwrap()).unwrap(),
        material.to_vec(),
    )
}

/// The Key Format Type attribute of `id` as a 2.1 Get Attributes answers it.
fn format_attribute(s: &SqlCipherStore, id: &str) -> Option<u32> {
    let wanted = Ttlv::enumeration(Tag::ATTRIBUTE_REFERENCE, Tag::KEY_FORMAT_TYPE.0);
    let items = vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, id), wanted];
    let r = run(s, V21, Operation::GetAttributes, items).unwrap();
    let attrs = r.child(Tag::ATTRIBUTES).unwrap();
    attrs.child(Tag::KEY_FORMAT_TYPE).and_then(Ttlv::as_enum)
}

/// Registers `der` as an RSA private key in `format` with a 2.1 request.
fn register(s: &SqlCipherStore, format: KeyFormatType, der: &[u8]) -> String {
    let block = vec![
        Ttlv::enumeration(Tag::KEY_FORMAT_TYPE, format.as_u32()),
        Ttlv::structure(
            Tag::KEY_VALUE,
            vec![Ttlv::bytes(Tag::KEY_MATERIAL, der.to_vec())],
        ),
        Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, 0x04),
        Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, 2048),
    ];
    let value = Ttlv::structure(
        Tag::PRIVATE_KEY,
        vec![Ttlv::structure(Tag::KEY_BLOCK, block)],
    );
    register_value(s, V21, ObjectType::PrivateKey.as_u32(), value)
}

#[test]
fn a_generated_rsa_private_key_is_pkcs1_to_2x_clients_and_pkcs8_to_1x_clients() {
    let (_d, s) = store();
    let id = generated_private_key(&s);
    assert_eq!(
        format_attribute(&s, &id),
        Some(KeyFormatType::Pkcs1.as_u32())
    );
    let (f, pkcs1) = get(&s, V21, &id, None);
    assert_eq!(f, KeyFormatType::Pkcs1);
    let key = RsaPrivateKey::from_pkcs1_der(&pkcs1).unwrap();
    // The same key in PKCS#8 when a 2.x client asks, and by default to a 1.x client.
    let (f, pkcs8) = get(&s, V21, &id, Some(KeyFormatType::Pkcs8));
    assert_eq!(f, KeyFormatType::Pkcs8);
    let (f, v1) = get(&s, V14, &id, None);
    assert_eq!((f, &v1), (KeyFormatType::Pkcs8, &pkcs8));
    let again = RsaPrivateKey::from_pkcs8_der(&pkcs8).unwrap();
    assert_eq!(*again.to_pkcs1_der().unwrap(), *key.to_pkcs1_der().unwrap());
}

#[test]
fn a_registered_rsa_private_key_is_served_as_registered_and_converts_both_ways() {
    let (_d, s) = store();
    let key = RsaPrivateKey::generate(2048).unwrap();
    let (pkcs1, pkcs8) = (key.to_pkcs1_der().unwrap(), key.to_pkcs8_der());
    let as_pkcs1 = register(&s, KeyFormatType::Pkcs1, &pkcs1);
    let as_pkcs8 = register(&s, KeyFormatType::Pkcs8, &pkcs8);
    for v in [V14, V21] {
        assert_eq!(
            get(&s, v, &as_pkcs1, None),
            (KeyFormatType::Pkcs1, pkcs1.to_vec())
        );
        assert_eq!(
            get(&s, v, &as_pkcs8, None),
            (KeyFormatType::Pkcs8, pkcs8.to_vec())
        );
    }
    assert_eq!(
        format_attribute(&s, &as_pkcs8),
        Some(KeyFormatType::Pkcs8.as_u32())
    );
    let asked = |id: &str, f| get(&s, V21, id, Some(f)).1;
    assert_eq!(asked(&as_pkcs1, KeyFormatType::Pkcs8), pkcs8.to_vec());
    assert_eq!(asked(&as_pkcs8, KeyFormatType::Pkcs1), pkcs1.to_vec());
}
