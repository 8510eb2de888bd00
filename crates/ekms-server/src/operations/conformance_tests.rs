//! Behaviours the KMIP profiles' test cases expect of a server, each reproduced directly on a
//! group store: the Digest attribute, padding defaults, signature and cipher parameters,
//! result reasons.

use super::tests::{
    create_key_v1, create_payload, create_v1, run, store, uid, v1_algorithm, v1_attr, v1_length,
    v1_name,
};
use ekms_kmip::enums::{Operation, ResultReason};
use ekms_kmip::{ProtocolVersion, Tag, Ttlv};
use ekms_store::SqlCipherStore;

const V14: ProtocolVersion = ProtocolVersion::V1_4;

/// Runs `op` on object `id`: its Unique Identifier, then `fields`.
pub(super) fn run_on(
    s: &SqlCipherStore,
    v: ProtocolVersion,
    op: Operation,
    id: &str,
    mut fields: Vec<Ttlv>,
) -> Result<Ttlv, crate::error::KmipError> {
    fields.insert(0, Ttlv::text(Tag::UNIQUE_IDENTIFIER, id));
    run(s, v, op, fields)
}

fn sha256(data: &[u8]) -> Vec<u8> {
    ekms_crypto::digest::digest(ekms_crypto::HashAlgorithm::Sha256, data)
}

/// The Digest attribute of `id` as a 1.4 Get Attributes answers it.
fn digest_of(s: &SqlCipherStore, id: &str) -> Ttlv {
    let r = run(
        s,
        V14,
        Operation::GetAttributes,
        vec![
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, id),
            Ttlv::text(Tag::ATTRIBUTE_NAME, "Digest"),
        ],
    )
    .unwrap();
    let attr = r.child(Tag::ATTRIBUTE).expect("a Digest attribute");
    assert_eq!(
        attr.child(Tag::ATTRIBUTE_NAME).and_then(Ttlv::as_text),
        Some("Digest")
    );
    attr.child(Tag::ATTRIBUTE_VALUE).unwrap().clone()
}

/// The Key Material bytes of `id`, got in `format` (a Key Format Type value) when given.
fn key_material(s: &SqlCipherStore, id: &str, format: Option<u32>) -> Vec<u8> {
    let mut items = vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, id)];
    if let Some(f) = format {
        items.push(Ttlv::enumeration(Tag::KEY_FORMAT_TYPE, f));
    }
    let r = run(s, V14, Operation::Get, items).unwrap();
    super::tests::block_material(r.items().last().unwrap())
}

fn assert_digest(digest: &Ttlv, of: &[u8], format: Option<u32>) {
    assert_eq!(
        digest.child(Tag::HASHING_ALGORITHM).and_then(Ttlv::as_enum),
        Some(6),
        "SHA-256"
    );
    assert_eq!(
        digest.child(Tag::DIGEST_VALUE).and_then(Ttlv::as_bytes),
        Some(sha256(of).as_slice())
    );
    assert_eq!(
        digest.child(Tag::KEY_FORMAT_TYPE).and_then(Ttlv::as_enum),
        format
    );
}

#[test]
fn a_created_symmetric_key_has_the_digest_of_its_raw_bytes() {
    let (_d, s) = store();
    let id = create_v1(&s, V14, "k");
    let key = key_material(&s, &id, None);
    assert_digest(&digest_of(&s, &id), &key, Some(1));
}

/// Creates an RSA-2048 key pair with a 1.4 request; the answer.
pub(super) fn create_rsa_pair(s: &SqlCipherStore) -> Ttlv {
    run(
        s,
        V14,
        Operation::CreateKeyPair,
        vec![Ttlv::structure(
            Tag::COMMON_TEMPLATE_ATTRIBUTE,
            vec![v1_algorithm(4), v1_length(2048)],
        )],
    )
    .unwrap()
}

#[test]
fn a_created_rsa_key_pair_has_digests_over_pkcs1() {
    let (_d, s) = store();
    let r = create_rsa_pair(&s);
    let id = |tag| r.child(tag).and_then(Ttlv::as_text).unwrap().to_string();
    let (private, public) = (
        id(Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER),
        id(Tag::PUBLIC_KEY_UNIQUE_IDENTIFIER),
    );
    for uid in [private, public] {
        let pkcs1 = key_material(&s, &uid, Some(3));
        assert_digest(&digest_of(&s, &uid), &pkcs1, Some(3));
    }
}

#[test]
fn a_registered_opaque_object_has_the_digest_of_its_data() {
    let (_d, s) = store();
    let data = b"opaque bytes".to_vec();
    let id = register_opaque(&s, &data);
    assert_digest(&digest_of(&s, &id), &data, None);
}

/// Registers, in version `v`, an object of `object_type` (an ObjectType value) with no
/// attributes and the value `value`; its Unique Identifier.
pub(super) fn register_value(
    s: &SqlCipherStore,
    v: ProtocolVersion,
    object_type: u32,
    value: Ttlv,
) -> String {
    let attributes = if v.is_v1() {
        Tag::TEMPLATE_ATTRIBUTE
    } else {
        Tag::ATTRIBUTES
    };
    let r = run(
        s,
        v,
        Operation::Register,
        vec![
            Ttlv::enumeration(Tag::OBJECT_TYPE, object_type),
            Ttlv::structure(attributes, vec![]),
            value,
        ],
    )
    .unwrap();
    uid(&r)
}

/// Registers an Opaque Object holding `data` with a 1.4 request; its Unique Identifier.
pub(super) fn register_opaque(s: &SqlCipherStore, data: &[u8]) -> String {
    let value = Ttlv::structure(
        Tag::OPAQUE_OBJECT,
        vec![
            Ttlv::enumeration(Tag::OPAQUE_DATA_TYPE, 0x8000_0000),
            Ttlv::bytes(Tag::OPAQUE_DATA_VALUE, data.to_vec()),
        ],
    );
    register_value(s, V14, 8, value)
}

/// Cryptographic Parameters with a Block Cipher Mode (a BlockCipherMode value) and, when given,
/// a Padding Method (a PaddingMethod value).
pub(super) fn block_params(mode: u32, padding: Option<u32>) -> Ttlv {
    let mut items = vec![Ttlv::enumeration(Tag::BLOCK_CIPHER_MODE, mode)];
    if let Some(p) = padding {
        items.push(Ttlv::enumeration(Tag::PADDING_METHOD, p));
    }
    Ttlv::structure(Tag::CRYPTOGRAPHIC_PARAMETERS, items)
}

pub(super) fn encrypt(
    s: &SqlCipherStore,
    id: &str,
    params: Ttlv,
    data: &[u8],
    iv: Option<&[u8]>,
) -> Result<Ttlv, crate::error::KmipError> {
    let mut items = vec![
        Ttlv::text(Tag::UNIQUE_IDENTIFIER, id),
        params,
        Ttlv::bytes(Tag::DATA, data.to_vec()),
    ];
    if let Some(iv) = iv {
        items.push(Ttlv::bytes(Tag::IV_COUNTER_NONCE, iv.to_vec()));
    }
    run(s, V14, Operation::Encrypt, items)
}

pub(super) fn activate(s: &SqlCipherStore, id: &str) {
    run(
        s,
        V14,
        Operation::Activate,
        vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, id)],
    )
    .unwrap();
}

#[test]
fn block_modes_without_a_padding_method_do_not_pad() {
    let (_d, s) = store();
    let id = create_v1(&s, V14, "k");
    activate(&s, &id);
    let (cbc, ecb, pkcs5) = (1, 2, 3);
    let block = [7u8; 16];
    let iv = [1u8; 16];
    for (mode, iv) in [(ecb, None), (cbc, Some(&iv[..]))] {
        let r = encrypt(&s, &id, block_params(mode, None), &block, iv).unwrap();
        let out = r.child(Tag::DATA).and_then(Ttlv::as_bytes).unwrap();
        assert_eq!(out.len(), 16, "one block in, one block out (mode {mode})");
        // Not a whole number of blocks: refused, saying how to pad.
        let e = encrypt(&s, &id, block_params(mode, None), &block[..15], iv).unwrap_err();
        assert!(e.message.contains("multiple of 16"), "{}", e.message);
        assert!(e.message.contains("PKCS5"), "{}", e.message);
        // PKCS5 when asked.
        let r = encrypt(&s, &id, block_params(mode, Some(pkcs5)), &block, iv).unwrap();
        assert_eq!(
            r.child(Tag::DATA).and_then(Ttlv::as_bytes).unwrap().len(),
            32
        );
    }
}

#[test]
fn decrypt_without_the_iv_it_needs_is_an_invalid_message() {
    let (_d, s) = store();
    let id = create_v1(&s, V14, "k");
    activate(&s, &id);
    for v in [V14, ProtocolVersion::V2_1] {
        let e = run(
            &s,
            v,
            Operation::Decrypt,
            vec![
                Ttlv::text(Tag::UNIQUE_IDENTIFIER, id.clone()),
                block_params(1, None),
                Ttlv::bytes(Tag::DATA, vec![0; 16]),
            ],
        )
        .unwrap_err();
        assert_eq!(e.reason, ResultReason::InvalidMessage, "{v}: {}", e.message);
        assert!(e.message.contains("IVCounterNonce"), "{}", e.message);
    }
}

#[test]
fn oaep_takes_an_mgf1_hash_other_than_the_message_hash() {
    use ekms_crypto::HashAlgorithm as H;
    use ekms_crypto::rsa::RsaEncryptionPadding as P;
    use ekms_kmip::enums::{HashingAlgorithm, PaddingMethod};
    let params = ekms_kmip::CryptographicParameters {
        padding_method: Some(PaddingMethod::Oaep),
        hashing_algorithm: Some(HashingAlgorithm::Sha384),
        mask_generator_hashing_algorithm: Some(HashingAlgorithm::Sha256),
        ..Default::default()
    };
    let padding = crate::objects::asym::rsa_padding(Some(&params)).unwrap();
    let mixed = P::OaepMgf1 {
        hash: H::Sha384,
        mgf1: H::Sha256,
    };
    assert_eq!(padding, mixed);
    // The same hash for both, or no MGF1 hash, is aws-lc-rs's matching pair.
    let same = ekms_kmip::CryptographicParameters {
        mask_generator_hashing_algorithm: Some(HashingAlgorithm::Sha384),
        ..params.clone()
    };
    let padding = crate::objects::asym::rsa_padding(Some(&same)).unwrap();
    assert_eq!(padding, P::OaepSha384);
    let unnamed = ekms_kmip::CryptographicParameters {
        mask_generator_hashing_algorithm: None,
        ..params
    };
    let padding = crate::objects::asym::rsa_padding(Some(&unnamed)).unwrap();
    assert_eq!(padding, P::OaepSha384);
}

#[test]
fn a_missing_object_is_object_not_found_in_2x_and_item_not_found_in_1x() {
    use crate::protocol::reason_for_version;
    let (_d, s) = store();
    let e = run(
        &s,
        ProtocolVersion::V2_1,
        Operation::Get,
        vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, "nope")],
    )
    .unwrap_err();
    assert_eq!(e.reason, ResultReason::ObjectNotFound, "{}", e.message);
    assert_eq!(
        reason_for_version(e.reason, ProtocolVersion::V2_0),
        ResultReason::ObjectNotFound
    );
    assert_eq!(
        reason_for_version(e.reason, V14),
        ResultReason::ItemNotFound
    );
}

#[test]
fn adding_a_name_the_object_already_has_is_refused() {
    let (_d, s) = store();
    let id = create_v1(&s, V14, "first");
    let add = |name: &str| {
        run(
            &s,
            V14,
            Operation::AddAttribute,
            vec![
                Ttlv::text(Tag::UNIQUE_IDENTIFIER, id.clone()),
                v1_name(name),
            ],
        )
    };
    let e = add("first").unwrap_err();
    assert_eq!(
        e.reason,
        ResultReason::NonUniqueNameAttribute,
        "{}",
        e.message
    );
    assert!(e.message.contains("first"), "{}", e.message);
    add("second").unwrap();
    assert_eq!(
        add("second").unwrap_err().reason,
        ResultReason::NonUniqueNameAttribute
    );
}

/// The value of the 1.4 attribute `name` of `id`, if it has one.
pub(super) fn attribute_value(s: &SqlCipherStore, id: &str, name: &str) -> Option<Ttlv> {
    let r = run(
        s,
        V14,
        Operation::GetAttributes,
        vec![
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, id),
            Ttlv::text(Tag::ATTRIBUTE_NAME, name),
        ],
    )
    .unwrap();
    r.child(Tag::ATTRIBUTE)
        .and_then(|a| a.child(Tag::ATTRIBUTE_VALUE))
        .cloned()
}

fn flag(s: &SqlCipherStore, id: &str, name: &str) -> Option<bool> {
    attribute_value(s, id, name).and_then(|v| v.as_bool())
}

/// Creates an AES-128 key with the 1.4 boolean attributes `flags` (name, value).
fn create_with(s: &SqlCipherStore, flags: &[(&str, Tag, bool)]) -> String {
    let mut template = vec![v1_algorithm(3), v1_length(128)];
    for (name, tag, value) in flags {
        template.push(v1_attr(name, None, Ttlv::boolean(*tag, *value)));
    }
    create_key_v1(s, V14, template)
}

#[test]
fn always_sensitive_and_never_extractable_follow_the_creation_flags() {
    let (_d, s) = store();
    let plain = create_with(&s, &[]);
    assert_eq!(flag(&s, &plain, "Always Sensitive"), Some(false));
    assert_eq!(flag(&s, &plain, "Never Extractable"), Some(false));
    let guarded = create_with(
        &s,
        &[
            ("Sensitive", Tag::SENSITIVE, true),
            ("Extractable", Tag::EXTRACTABLE, false),
        ],
    );
    assert_eq!(flag(&s, &guarded, "Always Sensitive"), Some(true));
    assert_eq!(flag(&s, &guarded, "Never Extractable"), Some(true));
}

#[test]
fn a_key_is_fresh_until_it_is_served() {
    let (_d, s) = store();
    let id = create_v1(&s, V14, "k");
    assert_eq!(flag(&s, &id, "Fresh"), Some(true));
    key_material(&s, &id, None);
    assert_eq!(flag(&s, &id, "Fresh"), Some(false));
    // A client may register an object as not fresh, but never make it fresh again.
    let stale = create_with(&s, &[("Fresh", Tag::FRESH, false)]);
    assert_eq!(flag(&s, &stale, "Fresh"), Some(false));
    let e = run(
        &s,
        V14,
        Operation::ModifyAttribute,
        vec![
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, stale),
            v1_attr("Fresh", None, Ttlv::boolean(Tag::FRESH, true)),
        ],
    )
    .unwrap_err();
    assert_eq!(e.reason, ResultReason::AttributeReadOnly, "{}", e.message);
}

#[test]
fn protect_stop_and_process_start_dates_bound_the_key_use() {
    let (_d, s) = store();
    let now = crate::objects::now();
    let date = |name: &str, tag: Tag, at: i64| v1_attr(name, None, Ttlv::datetime(tag, at));
    let id = create_key_v1(
        &s,
        V14,
        vec![
            v1_algorithm(3),
            v1_length(128),
            date("Activation Date", Tag::ACTIVATION_DATE, now - 3600),
            date("Process Start Date", Tag::PROCESS_START_DATE, now + 3600),
            date("Protect Stop Date", Tag::PROTECT_STOP_DATE, now - 3600),
        ],
    );
    let block = [7u8; 16];
    let e = encrypt(&s, &id, block_params(2, None), &block, None).unwrap_err();
    assert_eq!(
        e.reason,
        ResultReason::WrongKeyLifecycleState,
        "{}",
        e.message
    );
    assert!(e.message.contains("Protect Stop Date"), "{}", e.message);
    let e = run_on(
        &s,
        V14,
        Operation::Decrypt,
        &id,
        vec![
            block_params(2, None),
            Ttlv::bytes(Tag::DATA, block.to_vec()),
        ],
    )
    .unwrap_err();
    assert_eq!(
        e.reason,
        ResultReason::WrongKeyLifecycleState,
        "{}",
        e.message
    );
    assert!(e.message.contains("Process Start Date"), "{}", e.message);
}

#[test]
fn des3_keys_are_created_but_not_used_for_encryption() {
    let (_d, s) = store();
    let des3 = 2;
    let id = create_key_v1(&s, V14, vec![v1_algorithm(des3), v1_length(168)]);
    let length = attribute_value(&s, &id, "Cryptographic Length").and_then(|v| v.as_i32());
    assert_eq!(length, Some(168));
    let key = key_material(&s, &id, None);
    assert_eq!(key.len(), 24, "three 56-bit keys with their parity bits");
    assert!(key.iter().all(|b| b.count_ones() % 2 == 1), "odd parity");
    // Without a length: three-key DES3 too.
    let id2 = create_key_v1(&s, V14, vec![v1_algorithm(des3)]);
    assert_eq!(key_material(&s, &id2, None).len(), 24);
    let e = run(
        &s,
        V14,
        Operation::Create,
        create_payload(vec![v1_algorithm(des3), v1_length(128)]),
    )
    .unwrap_err();
    assert_eq!(e.reason, ResultReason::InvalidField, "{}", e.message);
    assert!(e.message.contains("168"), "{}", e.message);
    // Encrypt refuses it with the reason.
    activate(&s, &id);
    let e = encrypt(&s, &id, block_params(1, None), &[0; 8], Some(&[0; 8])).unwrap_err();
    assert_eq!(e.reason, ResultReason::FeatureNotSupported, "{}", e.message);
    assert!(e.message.contains("DES3"), "{}", e.message);
}

#[test]
fn kmip2_clients_see_a_short_unique_identifier() {
    let (_d, s) = store();
    let id = create_v1(&s, V14, "k");
    let v21 = ProtocolVersion::V2_1;
    let reference = Tag::SHORT_UNIQUE_IDENTIFIER.0;
    let r = run_on(
        &s,
        v21,
        Operation::GetAttributes,
        &id,
        vec![Ttlv::enumeration(Tag::ATTRIBUTE_REFERENCE, reference)],
    )
    .unwrap();
    let short = r
        .child(Tag::ATTRIBUTES)
        .and_then(|a| a.child(Tag::SHORT_UNIQUE_IDENTIFIER))
        .and_then(Ttlv::as_bytes)
        .expect("a Short Unique Identifier");
    assert_eq!(short, sha256(id.as_bytes()).as_slice());
    // A 1.x client does not know the attribute.
    assert_eq!(attribute_value(&s, &id, "Short Unique Identifier"), None);
}

#[test]
fn gcm_and_chacha20_poly1305_tags_of_12_to_16_bytes_are_made_and_checked() {
    let (_d, s) = store();
    let aes = create_v1(&s, V14, "k");
    let chacha = create_key_v1(&s, V14, vec![v1_algorithm(0x1E), v1_length(256)]);
    for (id, mode) in [(&aes, 9), (&chacha, 0x12)] {
        activate(&s, id);
        let params = |len: i32| {
            Ttlv::structure(
                Tag::CRYPTOGRAPHIC_PARAMETERS,
                vec![
                    Ttlv::enumeration(Tag::BLOCK_CIPHER_MODE, mode),
                    Ttlv::integer(Tag::TAG_LENGTH, len),
                ],
            )
        };
        let iv = [7u8; 12];
        let r = encrypt(&s, id, params(12), b"some data", Some(&iv)).unwrap();
        let tag = r
            .child(Tag::AUTHENTICATED_ENCRYPTION_TAG)
            .and_then(Ttlv::as_bytes)
            .unwrap()
            .to_vec();
        assert_eq!(tag.len(), 12);
        let data = r
            .child(Tag::DATA)
            .and_then(Ttlv::as_bytes)
            .unwrap()
            .to_vec();
        let decrypt = |tag: &[u8]| {
            run_on(
                &s,
                V14,
                Operation::Decrypt,
                id,
                vec![
                    params(12),
                    Ttlv::bytes(Tag::DATA, data.clone()),
                    Ttlv::bytes(Tag::IV_COUNTER_NONCE, iv.to_vec()),
                    Ttlv::bytes(Tag::AUTHENTICATED_ENCRYPTION_TAG, tag.to_vec()),
                ],
            )
        };
        let r = decrypt(&tag).unwrap();
        assert_eq!(
            r.child(Tag::DATA).and_then(Ttlv::as_bytes),
            Some(&b"some data"[..])
        );
        let mut bad = tag.clone();
        bad[11] ^= 1;
        let e = decrypt(&bad).unwrap_err();
        assert_eq!(
            e.reason,
            ResultReason::CryptographicFailure,
            "{}",
            e.message
        );
        // Shorter than 12 bytes: refused before anything is encrypted.
        let e = encrypt(&s, id, params(8), b"data", Some(&iv)).unwrap_err();
        assert_eq!(e.reason, ResultReason::GeneralFailure, "{}", e.message);
        assert!(e.message.contains("12 to 16"), "{}", e.message);
    }
}

#[test]
fn interop_begin_and_end_succeed_reset_is_refused_with_its_reason() {
    let (_d, s) = store();
    let v21 = ProtocolVersion::V2_1;
    let interop = |function: u32, id: &str| {
        run(
            &s,
            v21,
            Operation::Interop,
            vec![
                Ttlv::enumeration(Tag::INTEROP_FUNCTION, function),
                Ttlv::text(Tag::INTEROP_IDENTIFIER, id),
            ],
        )
    };
    for f in [1, 2] {
        let payload = interop(f, "BL-M-1-21").unwrap();
        assert_eq!(payload, Ttlv::structure(Tag::RESPONSE_PAYLOAD, vec![]));
    }
    let e = interop(3, "BL-M-1-21").unwrap_err();
    assert_eq!(e.reason, ResultReason::FeatureNotSupported);
    assert!(e.message.contains("fresh group"), "{}", e.message);
    assert_eq!(
        interop(1, "").unwrap_err().reason,
        ResultReason::InvalidField
    );
    // Not a KMIP 1.x operation.
    let e = run(&s, V14, Operation::Interop, vec![]).unwrap_err();
    assert_eq!(e.reason, ResultReason::OperationNotSupported);
}

#[test]
fn log_answers_an_empty_payload_in_2_x_only() {
    let (_d, s) = store();
    let log = |v, text: &str| {
        run(
            &s,
            v,
            Operation::Log,
            vec![Ttlv::text(Tag::LOG_MESSAGE, text)],
        )
    };
    let long = "x".repeat(super::log::MAX_LOGGED * 2);
    for text in ["Registered a symmetric key.", "two\nlines", long.as_str()] {
        let payload = log(ProtocolVersion::V2_1, text).unwrap();
        assert_eq!(payload, Ttlv::structure(Tag::RESPONSE_PAYLOAD, vec![]));
    }
    let e = log(V14, "a 1.4 client").unwrap_err();
    assert_eq!(e.reason, ResultReason::OperationNotSupported);
    let e = run(&s, ProtocolVersion::V2_1, Operation::Log, vec![]).unwrap_err();
    assert_eq!(e.reason, ResultReason::MissingData);
}

#[test]
fn rng_seed_answers_how_many_bytes_it_accepted() {
    let (_d, s) = store();
    for len in [1usize, 32, 100] {
        let payload = run(
            &s,
            V14,
            Operation::RngSeed,
            vec![Ttlv::bytes(Tag::DATA, vec![0x5a; len])],
        )
        .unwrap();
        assert_eq!(
            payload.child(Tag::DATA_LENGTH).and_then(Ttlv::as_i32),
            Some(len as i32)
        );
    }
    let e = run(&s, V14, Operation::RngSeed, vec![]).unwrap_err();
    assert_eq!(e.reason, ResultReason::MissingData);
}
