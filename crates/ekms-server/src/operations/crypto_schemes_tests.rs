//! Cipher and signature schemes beyond aws-lc-rs that the Cryptographic Server cases use:
//! AES-GCM with IVs other than 96 bits, RSA-OAEP with an MGF1 hash other than the message
//! hash, RSA-PSS verification with SHA-1; each through the operations, on a group store.

use super::conformance_tests::{activate, encrypt, register_value, run_on};
use super::profile_tests::register_key;
use super::tests::store;
use ekms_crypto::rsa::RsaPrivateKey;
use ekms_kmip::enums::{
    CryptographicAlgorithm, HashingAlgorithm, KeyFormatType, MaskGenerator, ObjectType, Operation,
    PaddingMethod, ValidityIndicator,
};
use ekms_kmip::{ProtocolVersion, Tag, Ttlv};
use ekms_store::SqlCipherStore;

const V14: ProtocolVersion = ProtocolVersion::V1_4;

fn bytes(r: &Ttlv, tag: Tag) -> Vec<u8> {
    r.child(tag).and_then(Ttlv::as_bytes).unwrap().to_vec()
}

/// Cryptographic Parameters of `items`.
fn params(items: Vec<Ttlv>) -> Ttlv {
    Ttlv::structure(Tag::CRYPTOGRAPHIC_PARAMETERS, items)
}

#[test]
fn gcm_takes_8_and_60_byte_ivs_as_the_library_computes_them() {
    // The IV lengths of CS-BC-M-GCM-2; ekms_crypto::gcm_iv checks the GCM specification's
    // known answers for them, this checks that Encrypt and Decrypt reach it.
    let (_d, s) = store();
    let key: Vec<u8> = (0u8..32).collect();
    let id = register_key(&s, CryptographicAlgorithm::Aes, &key);
    let (pt, aad) = (b"plaintext of another IV length".to_vec(), b"aad".to_vec());
    let gcm = || params(vec![Ttlv::enumeration(Tag::BLOCK_CIPHER_MODE, 9)]);
    for iv in [vec![0xca; 8], vec![0x93; 60]] {
        let mut ct = pt.clone();
        let tag = ekms_crypto::gcm_iv::seal_in_place(&key, &iv, &aad, &mut ct).unwrap();
        let mut items = gcm_items(&id, gcm(), &pt, &iv, &aad);
        let r = super::tests::run(&s, V14, Operation::Encrypt, items.clone()).unwrap();
        assert_eq!(bytes(&r, Tag::DATA), ct, "IV of {} bytes", iv.len());
        assert_eq!(bytes(&r, Tag::AUTHENTICATED_ENCRYPTION_TAG), tag);
        assert!(
            r.child(Tag::IV_COUNTER_NONCE).is_none(),
            "the client's IV is not echoed"
        );
        items[2] = Ttlv::bytes(Tag::DATA, ct);
        items.push(Ttlv::bytes(Tag::AUTHENTICATED_ENCRYPTION_TAG, tag.to_vec()));
        let r = super::tests::run(&s, V14, Operation::Decrypt, items.clone()).unwrap();
        assert_eq!(bytes(&r, Tag::DATA), pt);
        let mut bad = tag;
        bad[0] ^= 1;
        *items.last_mut().unwrap() = Ttlv::bytes(Tag::AUTHENTICATED_ENCRYPTION_TAG, bad.to_vec());
        assert!(super::tests::run(&s, V14, Operation::Decrypt, items).is_err());
    }
    // An IV longer than 64 bytes is refused, saying which lengths are taken.
    let long = encrypt(&s, &id, gcm(), b"data", Some(&[1; 65])).unwrap_err();
    assert!(long.message.contains("1 to 64"), "{}", long.message);
}

/// Registers the RSA key pair `key` (PKCS#1), both halves active: (private, public).
fn register_pair(s: &SqlCipherStore, key: &RsaPrivateKey) -> (String, String) {
    let value = |tag: Tag, der: Vec<u8>| {
        let block = vec![
            Ttlv::enumeration(Tag::KEY_FORMAT_TYPE, KeyFormatType::Pkcs1.as_u32()),
            Ttlv::structure(Tag::KEY_VALUE, vec![Ttlv::bytes(Tag::KEY_MATERIAL, der)]),
            Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, 0x04),
            Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, 2048),
        ];
        Ttlv::structure(tag, vec![Ttlv::structure(Tag::KEY_BLOCK, block)])
    };
    let private_der = key.to_pkcs1_der().unwrap().to_vec();
    let public_der = key.public_key().to_pkcs1_der();
    let private = value(Tag::PRIVATE_KEY, private_der);
    let private = register_value(s, V14, ObjectType::PrivateKey.as_u32(), private);
    let public = value(Tag::PUBLIC_KEY, public_der);
    let public = register_value(s, V14, ObjectType::PublicKey.as_u32(), public);
    activate(s, &private);
    activate(s, &public);
    (private, public)
}

/// The OAEP label (P Source) of the CS-AC-M-OAEP cases.
const LABEL: &[u8] = b"Kilroy was here";

#[test]
fn oaep_with_sha384_mgf1_sha256_and_a_label_round_trips_through_encrypt_and_decrypt() {
    use ekms_crypto::HashAlgorithm as H;
    let (_d, s) = store();
    let key = RsaPrivateKey::generate(2048).unwrap();
    let (private, public) = register_pair(&s, &key);
    let oaep = || {
        params(vec![
            Ttlv::enumeration(Tag::PADDING_METHOD, PaddingMethod::Oaep.as_u32()),
            Ttlv::enumeration(Tag::HASHING_ALGORITHM, HashingAlgorithm::Sha384.as_u32()),
            Ttlv::enumeration(Tag::MASK_GENERATOR, MaskGenerator::Mgf1.as_u32()),
            Ttlv::enumeration(
                Tag::MASK_GENERATOR_HASHING_ALGORITHM,
                HashingAlgorithm::Sha256.as_u32(),
            ),
            Ttlv::bytes(Tag::P_SOURCE, LABEL.to_vec()),
        ])
    };
    let r = encrypt(&s, &public, oaep(), b"a key to wrap", None).unwrap();
    let ct = bytes(&r, Tag::DATA);
    let decrypt = |ct: Vec<u8>| {
        run_on(
            &s,
            V14,
            Operation::Decrypt,
            &private,
            vec![oaep(), Ttlv::bytes(Tag::DATA, ct)],
        )
    };
    assert_eq!(
        bytes(&decrypt(ct.clone()).unwrap(), Tag::DATA),
        b"a key to wrap"
    );
    // It is that scheme: the library opens it with those hashes and the label, not without
    // the label nor with SHA-384 alone.
    let der = key.to_pkcs1_der().unwrap();
    let without = ekms_crypto::rsa_ext::oaep_decrypt(&der, H::Sha384, H::Sha256, None, &ct);
    assert!(without.is_err());
    let opened =
        ekms_crypto::rsa_ext::oaep_decrypt(&der, H::Sha384, H::Sha256, Some(LABEL), &ct).unwrap();
    assert_eq!(*opened, b"a key to wrap");
    let padding = ekms_crypto::rsa::RsaEncryptionPadding::OaepSha384;
    assert!(key.decrypt(padding, &ct).is_err());
    // A ciphertext with the other hashes does not decrypt.
    let public_der = key.public_key().to_pkcs1_der();
    let other =
        ekms_crypto::rsa_ext::oaep_encrypt(&public_der, H::Sha256, H::Sha384, Some(LABEL), b"x");
    assert!(decrypt(other.unwrap()).is_err());
}

#[test]
fn pss_with_sha1_is_verified_and_answers_invalid_for_another_hash() {
    let (_d, s) = store();
    let key = RsaPrivateKey::generate(2048).unwrap();
    let (private, public) = register_pair(&s, &key);
    let pss = |hash: HashingAlgorithm| {
        params(vec![
            Ttlv::enumeration(Tag::PADDING_METHOD, PaddingMethod::Pss.as_u32()),
            Ttlv::enumeration(Tag::HASHING_ALGORITHM, hash.as_u32()),
        ])
    };
    let (sha1, sha256) = (HashingAlgorithm::Sha1, HashingAlgorithm::Sha256);
    let r = run_on(
        &s,
        V14,
        Operation::Sign,
        &private,
        vec![pss(sha256), Ttlv::bytes(Tag::DATA, b"signed".to_vec())],
    )
    .unwrap();
    let sig = bytes(&r, Tag::SIGNATURE_DATA);
    let verify = |hash: HashingAlgorithm| {
        let r = run_on(
            &s,
            V14,
            Operation::SignatureVerify,
            &public,
            vec![
                pss(hash),
                Ttlv::bytes(Tag::DATA, b"signed".to_vec()),
                Ttlv::bytes(Tag::SIGNATURE_DATA, sig.clone()),
            ],
        )
        .unwrap();
        r.child(Tag::VALIDITY_INDICATOR).and_then(Ttlv::as_enum)
    };
    let valid = Some(ValidityIndicator::Valid.as_u32());
    let invalid = Some(ValidityIndicator::Invalid.as_u32());
    assert_eq!(verify(sha256), valid);
    // As CS-AC-M-3 asks: checked with SHA-1 (no longer Feature Not Supported), it is Invalid.
    assert_eq!(verify(sha1), invalid);
}

#[test]
fn gcm_in_parts_answers_what_one_request_answers() {
    let (_d, s) = store();
    let key: Vec<u8> = (0u8..16).collect();
    let id = register_key(&s, CryptographicAlgorithm::Aes, &key);
    let gcm = || {
        params(vec![
            Ttlv::enumeration(Tag::BLOCK_CIPHER_MODE, 9),
            Ttlv::integer(Tag::TAG_LENGTH, 12),
        ])
    };
    let (iv, aad) = (vec![0xca; 8], b"aad".to_vec());
    let pt: Vec<u8> = (0u8..70).collect();
    let whole = super::tests::run(
        &s,
        V14,
        Operation::Encrypt,
        gcm_items(&id, gcm(), &pt, &iv, &aad),
    )
    .unwrap();
    // Parts of 32, 17 and 21 bytes: not whole blocks.
    let part = |data: &[u8], extra: Vec<Ttlv>| {
        let mut items = vec![
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, id.as_str()),
            gcm(),
            Ttlv::bytes(Tag::DATA, data.to_vec()),
        ];
        items.extend(extra);
        super::tests::run(&s, V14, Operation::Encrypt, items)
    };
    let first = part(
        &pt[..32],
        vec![
            Ttlv::bytes(Tag::IV_COUNTER_NONCE, iv.clone()),
            Ttlv::bytes(Tag::AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA, aad.clone()),
            Ttlv::boolean(Tag::INIT_INDICATOR, true),
        ],
    )
    .unwrap();
    let correlation = bytes(&first, Tag::CORRELATION_VALUE);
    assert!(first.child(Tag::AUTHENTICATED_ENCRYPTION_TAG).is_none());
    let go_on = |data: &[u8], last: bool| {
        let mut extra = vec![Ttlv::bytes(Tag::CORRELATION_VALUE, correlation.clone())];
        if last {
            extra.push(Ttlv::boolean(Tag::FINAL_INDICATOR, true));
        }
        part(data, extra)
    };
    let second = go_on(&pt[32..49], false).unwrap();
    assert_eq!(bytes(&second, Tag::CORRELATION_VALUE), correlation);
    let third = go_on(&pt[49..], true).unwrap();
    assert!(third.child(Tag::CORRELATION_VALUE).is_none());
    let joined = [first, second, third.clone()]
        .map(|r| bytes(&r, Tag::DATA))
        .concat();
    assert_eq!(joined, bytes(&whole, Tag::DATA));
    let tag = bytes(&third, Tag::AUTHENTICATED_ENCRYPTION_TAG);
    assert_eq!(tag, bytes(&whole, Tag::AUTHENTICATED_ENCRYPTION_TAG));
    assert_eq!(tag.len(), 12);
    // Finished: the Correlation Value is forgotten; an unknown one is refused, as is one
    // longer than the bound.
    for correlation in [correlation.clone(), vec![1; 16]] {
        let extra = vec![Ttlv::bytes(Tag::CORRELATION_VALUE, correlation)];
        let e = part(b"more", extra).unwrap_err();
        assert_eq!(e.reason, ekms_kmip::enums::ResultReason::InvalidField);
        assert!(e.message.contains("Correlation Value"), "{}", e.message);
    }
    let big = vec![0u8; super::encrypt_parts::MAX_BYTES + 1];
    let e = part(
        &big,
        vec![
            Ttlv::bytes(Tag::IV_COUNTER_NONCE, iv),
            Ttlv::boolean(Tag::INIT_INDICATOR, true),
        ],
    )
    .unwrap_err();
    assert!(e.message.contains("/v1 stream"), "{}", e.message);
}

/// An AES-GCM Encrypt request's items: key, parameters, plaintext, IV and additional data.
fn gcm_items(id: &str, gcm: Ttlv, pt: &[u8], iv: &[u8], aad: &[u8]) -> Vec<Ttlv> {
    vec![
        Ttlv::text(Tag::UNIQUE_IDENTIFIER, id),
        gcm,
        Ttlv::bytes(Tag::DATA, pt.to_vec()),
        Ttlv::bytes(Tag::IV_COUNTER_NONCE, iv.to_vec()),
        Ttlv::bytes(Tag::AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA, aad.to_vec()),
    ]
}
