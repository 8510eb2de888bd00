//! More behaviours the KMIP profiles' test cases expect of a server (Random Number Generator,
//! GCM and ChaCha20-Poly1305 tag lengths, …), each reproduced directly on a group store.

use super::conformance_tests::{
    activate, attribute_value, create_rsa_pair, encrypt, register_opaque, register_value, run_on,
};
use super::tests::{create_v1, run, store, uid};
use ekms_kmip::enums::{
    CryptographicAlgorithm, DrbgAlgorithm, ObjectType, Operation, ResultReason, RngAlgorithm,
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
    let id = register_opaque(&s, b"opaque");
    assert_eq!(attribute_value(&s, &id, "Random Number Generator"), None);
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

/// Registers a 256-bit key of `algorithm` with the bytes `key`, for Encrypt and Decrypt, and
/// activates it.
pub(super) fn register_key(
    s: &ekms_store::SqlCipherStore,
    algorithm: CryptographicAlgorithm,
    key: &[u8],
) -> String {
    let r = run(
        s,
        V14,
        Operation::Register,
        vec![
            Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SymmetricKey as u32),
            Ttlv::structure(
                Tag::TEMPLATE_ATTRIBUTE,
                vec![super::tests::v1_attr(
                    "Cryptographic Usage Mask",
                    None,
                    Ttlv::integer(Tag::CRYPTOGRAPHIC_USAGE_MASK, 12),
                )],
            ),
            Ttlv::structure(
                Tag::SYMMETRIC_KEY,
                vec![Ttlv::structure(
                    Tag::KEY_BLOCK,
                    vec![
                        Ttlv::enumeration(Tag::KEY_FORMAT_TYPE, 1),
                        Ttlv::structure(
                            Tag::KEY_VALUE,
                            vec![Ttlv::bytes(Tag::KEY_MATERIAL, key.to_vec())],
                        ),
                        Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, algorithm as u32),
                        Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, 256),
                    ],
                )],
            ),
        ],
    )
    .unwrap();
    let id = uid(&r);
    activate(s, &id);
    id
}

#[test]
fn a_chacha20_key_given_an_8_byte_nonce_is_plain_chacha20() {
    let (_d, s) = store();
    let id = register_key(&s, CryptographicAlgorithm::ChaCha20, &[0; 32]);
    let no_params = || Ttlv::structure(Tag::CRYPTOGRAPHIC_PARAMETERS, vec![]);
    // draft-agl-tls-chacha20poly1305's first vector: all-zero key and nonce.
    let stream = hex::decode("76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586").unwrap();
    let r = encrypt(&s, &id, no_params(), &[0; 64], Some(&[0; 8])).unwrap();
    assert_eq!(
        r.child(Tag::DATA).and_then(Ttlv::as_bytes),
        Some(&stream[..])
    );
    assert!(r.child(Tag::AUTHENTICATED_ENCRYPTION_TAG).is_none());
    let r = run_on(
        &s,
        V14,
        Operation::Decrypt,
        &id,
        vec![
            no_params(),
            Ttlv::bytes(Tag::DATA, stream),
            Ttlv::bytes(Tag::IV_COUNTER_NONCE, vec![0; 8]),
        ],
    )
    .unwrap();
    assert_eq!(
        r.child(Tag::DATA).and_then(Ttlv::as_bytes),
        Some(&[0u8; 64][..])
    );
    // A 12-byte nonce is ChaCha20-Poly1305, authenticated, as before.
    let r = encrypt(&s, &id, no_params(), &[0; 64], Some(&[0; 12])).unwrap();
    assert!(r.child(Tag::AUTHENTICATED_ENCRYPTION_TAG).is_some());
    // A ChaCha20-Poly1305 key never drops its authentication.
    let aead = register_key(&s, CryptographicAlgorithm::ChaCha20Poly1305, &[0; 32]);
    let e = encrypt(&s, &aead, no_params(), &[0; 64], Some(&[0; 8])).unwrap_err();
    assert_eq!(
        e.reason,
        ResultReason::BadCryptographicParameters,
        "{}",
        e.message
    );
}

#[test]
fn objects_state_the_lease_time_setting_and_software_protection_storage() {
    let (_d, s) = store();
    let id = create_v1(&s, V14, "k");
    // The default setting: an hour.
    let lease = attribute_value(&s, &id, "Lease Time").expect("a Lease Time");
    assert_eq!(lease.value, ekms_kmip::Value::Interval(3600));
    // KMIP 2.x: the Protection Storage Mask says where the object is kept: software.
    let r = run_on(
        &s,
        ProtocolVersion::V2_1,
        Operation::GetAttributes,
        &id,
        vec![Ttlv::enumeration(
            Tag::ATTRIBUTE_REFERENCE,
            Tag::PROTECTION_STORAGE_MASK.0,
        )],
    )
    .unwrap();
    let mask = r
        .child(Tag::ATTRIBUTES)
        .and_then(|a| a.child(Tag::PROTECTION_STORAGE_MASK))
        .and_then(Ttlv::as_i32);
    assert_eq!(mask, Some(1), "Software");
    // `--lease-time-seconds 0`: no Lease Time is stated.
    let mut ctx = super::tests::context(&s, V14);
    ctx.limits.lease_time_seconds = 0;
    let r = super::dispatch(
        &ctx,
        Operation::GetAttributes,
        Ttlv::structure(
            Tag::REQUEST_PAYLOAD,
            vec![
                Ttlv::text(Tag::UNIQUE_IDENTIFIER, id.as_str()),
                Ttlv::text(Tag::ATTRIBUTE_NAME, "Lease Time"),
            ],
        ),
    )
    .unwrap();
    assert!(r.child(Tag::ATTRIBUTE).is_none(), "{r:?}");
}

#[test]
fn a_key_asked_to_be_quantum_safe_is_made_only_when_it_is() {
    let (_d, s) = store();
    let v21 = ProtocolVersion::V2_1;
    let create = |bits: i32| {
        run(
            &s,
            v21,
            Operation::Create,
            vec![
                Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SymmetricKey as u32),
                Ttlv::structure(
                    Tag::ATTRIBUTES,
                    vec![
                        Ttlv::enumeration(
                            Tag::CRYPTOGRAPHIC_ALGORITHM,
                            CryptographicAlgorithm::Aes as u32,
                        ),
                        Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, bits),
                        Ttlv::integer(Tag::CRYPTOGRAPHIC_USAGE_MASK, 12),
                        Ttlv::boolean(Tag::QUANTUM_SAFE, true),
                    ],
                ),
            ],
        )
    };
    let e = create(128).unwrap_err();
    assert_eq!(e.reason, ResultReason::GeneralFailure, "{}", e.message);
    assert!(e.message.contains("not quantum safe"), "{}", e.message);
    assert!(create(256).is_ok());
    // No key pair ekms makes is quantum safe.
    let e = run(
        &s,
        v21,
        Operation::CreateKeyPair,
        vec![Ttlv::structure(
            Tag::COMMON_ATTRIBUTES,
            vec![
                Ttlv::enumeration(
                    Tag::CRYPTOGRAPHIC_ALGORITHM,
                    CryptographicAlgorithm::Rsa as u32,
                ),
                Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, 2048),
                Ttlv::boolean(Tag::QUANTUM_SAFE, true),
            ],
        )],
    )
    .unwrap_err();
    assert_eq!(e.reason, ResultReason::GeneralFailure, "{}", e.message);
}

/// Gives object `id` Usage Limits of `total` bytes.
pub(super) fn add_byte_limits(s: &ekms_store::SqlCipherStore, id: &str, total: i64) {
    let limits = Ttlv::structure(
        Tag::USAGE_LIMITS,
        vec![
            Ttlv::long(Tag::USAGE_LIMITS_TOTAL, total),
            Ttlv::enumeration(Tag::USAGE_LIMITS_UNIT, 1),
        ],
    );
    run_on(
        s,
        V14,
        Operation::AddAttribute,
        id,
        vec![super::tests::v1_attr("Usage Limits", None, limits)],
    )
    .unwrap();
}

#[test]
fn a_key_with_usage_limits_in_bytes_protects_no_more_than_them() {
    let (_d, s) = store();
    let id = create_v1(&s, V14, "k");
    add_byte_limits(&s, &id, 16);
    activate(&s, &id);
    let ecb = || super::conformance_tests::block_params(1, None);
    encrypt(&s, &id, ecb(), &[1; 16], None).unwrap();
    // The 16 bytes are spent: the next block is refused, and the count says so.
    let e = encrypt(&s, &id, ecb(), &[1; 16], None).unwrap_err();
    assert_eq!(e.reason, ResultReason::PermissionDenied, "{}", e.message);
    assert!(e.message.contains("Usage Limits"), "{}", e.message);
    let v = attribute_value(&s, &id, "Usage Limits").unwrap();
    assert_eq!(
        v.child(Tag::USAGE_LIMITS_COUNT).map(|c| c.value.clone()),
        Some(ekms_kmip::Value::LongInteger(0))
    );
}

#[test]
fn a_registered_certificate_names_its_subject_and_issuer_in_kmip_2_attributes() {
    use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair};
    let (_d, s) = store();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "AU");
    dn.push(DnType::StateOrProvinceName, "SP");
    dn.push(DnType::LocalityName, "L");
    dn.push(DnType::OrganizationName, "O");
    dn.push(DnType::OrganizationalUnitName, "OU");
    dn.push(DnType::CommonName, "CN");
    params.distinguished_name = dn;
    let der = params
        .self_signed(&KeyPair::generate().unwrap())
        .unwrap()
        .der()
        .to_vec();
    let v21 = ProtocolVersion::V2_1;
    let certificate = Ttlv::structure(
        Tag::CERTIFICATE,
        vec![
            Ttlv::enumeration(Tag::CERTIFICATE_TYPE, 1),
            Ttlv::bytes(Tag::CERTIFICATE_VALUE, der.clone()),
        ],
    );
    let id = register_value(&s, v21, ObjectType::Certificate as u32, certificate);
    let r = run_on(&s, v21, Operation::GetAttributes, &id, vec![]).unwrap();
    let attrs = r.child(Tag::ATTRIBUTES).unwrap();
    let text = |tag| attrs.child(tag).and_then(Ttlv::as_text);
    assert_eq!(text(Tag::CERTIFICATE_SUBJECT_CN), Some("CN"));
    assert_eq!(text(Tag::CERTIFICATE_SUBJECT_O), Some("O"));
    assert_eq!(text(Tag::CERTIFICATE_SUBJECT_OU), Some("OU"));
    assert_eq!(text(Tag::CERTIFICATE_SUBJECT_C), Some("AU"));
    assert_eq!(text(Tag::CERTIFICATE_SUBJECT_ST), Some("SP"));
    assert_eq!(text(Tag::CERTIFICATE_SUBJECT_L), Some("L"));
    assert_eq!(text(Tag::CERTIFICATE_ISSUER_CN), Some("CN"));
    assert_eq!(
        attrs.child(Tag::CERTIFICATE_LENGTH).and_then(Ttlv::as_i32),
        i32::try_from(der.len()).ok()
    );
}

#[test]
fn a_mac_key_with_usage_limits_in_objects_computes_no_more_macs_than_them() {
    let (_d, s) = store();
    let id = super::tests::create_key_v1(
        &s,
        V14,
        vec![
            super::tests::v1_algorithm(CryptographicAlgorithm::HmacSha256 as u32),
            super::tests::v1_attr(
                "Usage Limits",
                None,
                Ttlv::structure(
                    Tag::USAGE_LIMITS,
                    vec![
                        Ttlv::long(Tag::USAGE_LIMITS_TOTAL, 1),
                        Ttlv::enumeration(Tag::USAGE_LIMITS_UNIT, 2),
                    ],
                ),
            ),
        ],
    );
    activate(&s, &id);
    let mac = || {
        run_on(
            &s,
            V14,
            Operation::Mac,
            &id,
            vec![Ttlv::bytes(Tag::DATA, b"any length of data".to_vec())],
        )
    };
    mac().unwrap();
    let e = mac().unwrap_err();
    assert_eq!(e.reason, ResultReason::PermissionDenied, "{}", e.message);
}
