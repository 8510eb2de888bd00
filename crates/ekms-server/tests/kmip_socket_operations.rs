//! Every operation ekms supports, end to end over the binary KMIP socket (TTLV over mutual TLS,
//! against the real server binary), in every KMIP version that defines it: 1.0, 1.1, 1.2, 1.3,
//! 1.4, 2.0 and 2.1. Requests take the shape of their version: KMIP 1.x TemplateAttribute and
//! `Attribute`s named by text, 2.x `Attributes` / `NewAttribute` / `CurrentAttribute`.
//!
//! [`OPERATIONS`] is the table of operations and the version that introduced each; Query must
//! answer exactly that table for each version, and each version's scenario must run (with a
//! success assertion on the answer's content) every operation of it. Failure cases per
//! version: unknown uid, wrong lifecycle state, wrong or missing group secret, operations the
//! version does not define. An unknown client certificate is refused at the TLS handshake, which
//! has no KMIP version: see `client_certificates_are_required_and_verified` in kmip_socket.rs.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/kmip.rs"]
mod kmip;
mod support;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ekms_kmip::enums::usage_mask as masks;
use ekms_kmip::enums::{
    BlockCipherMode, CancellationResult, CryptographicAlgorithm, DerivationMethod,
    HashingAlgorithm, InteropFunction, NameType, ObjectType, Operation, PaddingMethod,
    QueryFunction, ResultReason, RevocationReasonCode, ValidityIndicator,
};
use ekms_kmip::message::RequestBatchItem;
use ekms_kmip::{FromTtlv, ProtocolVersion, Tag, ToTtlv, Ttlv};
use kmip::*;
use std::collections::BTreeSet;

/// Every KMIP version ekms speaks.
const ALL_VERSIONS: [ProtocolVersion; 7] = [
    ProtocolVersion::V1_0,
    ProtocolVersion::V1_1,
    ProtocolVersion::V1_2,
    ProtocolVersion::V1_3,
    ProtocolVersion::V1_4,
    ProtocolVersion::V2_0,
    ProtocolVersion::V2_1,
];

/// The operations ekms supports and the KMIP version whose specification introduced each
/// (KMIP 1.1 added DiscoverVersions; 1.2 the cryptographic services; 1.4 Import and Export;
/// 2.0 SetAttribute, Log, Interop, Adjust Attribute and Set Endpoint Role).
const OPERATIONS: &[(Operation, ProtocolVersion)] = &[
    (Operation::Create, ProtocolVersion::V1_0),
    (Operation::CreateKeyPair, ProtocolVersion::V1_0),
    (Operation::Register, ProtocolVersion::V1_0),
    (Operation::ReKey, ProtocolVersion::V1_0),
    (Operation::DeriveKey, ProtocolVersion::V1_0),
    (Operation::Locate, ProtocolVersion::V1_0),
    (Operation::Check, ProtocolVersion::V1_0),
    (Operation::Get, ProtocolVersion::V1_0),
    (Operation::GetAttributes, ProtocolVersion::V1_0),
    (Operation::GetAttributeList, ProtocolVersion::V1_0),
    (Operation::AddAttribute, ProtocolVersion::V1_0),
    (Operation::ModifyAttribute, ProtocolVersion::V1_0),
    (Operation::DeleteAttribute, ProtocolVersion::V1_0),
    (Operation::ObtainLease, ProtocolVersion::V1_0),
    (Operation::GetUsageAllocation, ProtocolVersion::V1_0),
    (Operation::Activate, ProtocolVersion::V1_0),
    (Operation::Revoke, ProtocolVersion::V1_0),
    (Operation::Destroy, ProtocolVersion::V1_0),
    (Operation::Archive, ProtocolVersion::V1_0),
    (Operation::Recover, ProtocolVersion::V1_0),
    (Operation::Query, ProtocolVersion::V1_0),
    (Operation::Cancel, ProtocolVersion::V1_0),
    (Operation::Poll, ProtocolVersion::V1_0),
    (Operation::Certify, ProtocolVersion::V1_0),
    (Operation::ReCertify, ProtocolVersion::V1_0),
    (Operation::ReKeyKeyPair, ProtocolVersion::V1_1),
    (Operation::DiscoverVersions, ProtocolVersion::V1_1),
    (Operation::Encrypt, ProtocolVersion::V1_2),
    (Operation::Decrypt, ProtocolVersion::V1_2),
    (Operation::Sign, ProtocolVersion::V1_2),
    (Operation::SignatureVerify, ProtocolVersion::V1_2),
    (Operation::Mac, ProtocolVersion::V1_2),
    (Operation::MacVerify, ProtocolVersion::V1_2),
    (Operation::RngRetrieve, ProtocolVersion::V1_2),
    (Operation::RngSeed, ProtocolVersion::V1_2),
    (Operation::Hash, ProtocolVersion::V1_2),
    (Operation::CreateSplitKey, ProtocolVersion::V1_2),
    (Operation::JoinSplitKey, ProtocolVersion::V1_2),
    (Operation::Import, ProtocolVersion::V1_4),
    (Operation::Export, ProtocolVersion::V1_4),
    (Operation::SetAttribute, ProtocolVersion::V2_0),
    (Operation::Log, ProtocolVersion::V2_0),
    (Operation::Interop, ProtocolVersion::V2_0),
    (Operation::AdjustAttribute, ProtocolVersion::V2_0),
    (Operation::SetEndpointRole, ProtocolVersion::V2_0),
];

/// Cases where the server does not answer as the specification of that version says: (the
/// versions, the start of the case's name, the exact reason). A case listed here is still sent
/// and its answer printed, but not asserted; each is a server gap to fix.
const KNOWN_GAPS: &[(&[ProtocolVersion], &str, &str)] = &[];

fn known_gap(v: ProtocolVersion, case: &str) -> Option<&'static str> {
    KNOWN_GAPS
        .iter()
        .find(|(versions, prefix, _)| versions.contains(&v) && case.starts_with(prefix))
        .map(|(_, _, why)| *why)
}

/// The operations of `v`, in table order.
fn operations_in(v: ProtocolVersion) -> Vec<Operation> {
    OPERATIONS
        .iter()
        .filter(|(_, since)| *since <= v)
        .map(|(op, _)| *op)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// request shapes

/// A list of attributes (name as KMIP 1.x spells it, value with its 2.x tag) in `v`'s shape:
/// a 1.x structure `v1` of `Attribute`s, or a 2.x structure `v2` of the values.
fn attribute_list(v: ProtocolVersion, v1: Tag, v2: Tag, list: Vec<(&str, Ttlv)>) -> Ttlv {
    if v.is_v1() {
        Ttlv::structure(
            v1,
            list.into_iter()
                .map(|(name, value)| attribute_v1(name, value))
                .collect(),
        )
    } else {
        Ttlv::structure(v2, list.into_iter().map(|(_, value)| value).collect())
    }
}

fn template(v: ProtocolVersion, list: Vec<(&str, Ttlv)>) -> Ttlv {
    attribute_list(v, Tag::TEMPLATE_ATTRIBUTE, Tag::ATTRIBUTES, list)
}

/// One attribute: a 1.x `Attribute`, or the 2.x wrapper `v2` (NewAttribute, CurrentAttribute).
fn one_attribute(v: ProtocolVersion, v2: Tag, name: &str, value: Ttlv) -> Ttlv {
    if v.is_v1() {
        attribute_v1(name, value)
    } else {
        Ttlv::structure(v2, vec![value])
    }
}

fn alg(a: CryptographicAlgorithm) -> (&'static str, Ttlv) {
    (
        "Cryptographic Algorithm",
        Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, a.as_u32()),
    )
}

fn length(bits: i32) -> (&'static str, Ttlv) {
    (
        "Cryptographic Length",
        Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, bits),
    )
}

fn usage(mask: u32) -> (&'static str, Ttlv) {
    (
        "Cryptographic Usage Mask",
        Ttlv::integer(Tag::CRYPTOGRAPHIC_USAGE_MASK, mask as i32),
    )
}

fn name(n: &str) -> (&'static str, Ttlv) {
    (
        "Name",
        Ttlv::structure(
            Tag::NAME,
            vec![
                Ttlv::text(Tag::NAME_VALUE, n),
                Ttlv::enumeration(Tag::NAME_TYPE, NameType::UninterpretedTextString.as_u32()),
            ],
        ),
    )
}

fn contact(s: &str) -> Ttlv {
    Ttlv::text(Tag::CONTACT_INFORMATION, s)
}

fn item(op: Operation, fields: Vec<Ttlv>) -> RequestBatchItem {
    RequestBatchItem::new(op, fields)
}

fn uid_field(uid: &str) -> Ttlv {
    Ttlv::text(Tag::UNIQUE_IDENTIFIER, uid)
}

fn create_symmetric(
    v: ProtocolVersion,
    a: CryptographicAlgorithm,
    bits: i32,
    mask: u32,
    n: &str,
) -> RequestBatchItem {
    item(
        Operation::Create,
        vec![
            Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SymmetricKey.as_u32()),
            template(v, vec![alg(a), length(bits), usage(mask), name(n)]),
        ],
    )
}

/// AES-CBC with PKCS5 padding and a client IV (a mode every version can express: GCM's tag
/// field came with KMIP 1.4).
fn cbc_params() -> Ttlv {
    Ttlv::structure(
        Tag::CRYPTOGRAPHIC_PARAMETERS,
        vec![
            Ttlv::enumeration(Tag::BLOCK_CIPHER_MODE, BlockCipherMode::Cbc.as_u32()),
            Ttlv::enumeration(Tag::PADDING_METHOD, PaddingMethod::Pkcs5.as_u32()),
        ],
    )
}

const IV: [u8; 16] = [7; 16];

fn encrypt(uid: &str, data: &[u8]) -> RequestBatchItem {
    item(
        Operation::Encrypt,
        vec![
            uid_field(uid),
            cbc_params(),
            Ttlv::bytes(Tag::DATA, data.to_vec()),
            Ttlv::bytes(Tag::IV_COUNTER_NONCE, IV.to_vec()),
        ],
    )
}

fn revoke(uid: &str) -> RequestBatchItem {
    item(
        Operation::Revoke,
        vec![
            uid_field(uid),
            Ttlv::structure(
                Tag::REVOCATION_REASON,
                vec![Ttlv::enumeration(
                    Tag::REVOCATION_REASON_CODE,
                    RevocationReasonCode::CessationOfOperation.as_u32(),
                )],
            ),
        ],
    )
}

// ---------------------------------------------------------------------------------------------
// answers

fn field(payload: &[Ttlv], tag: Tag) -> &Ttlv {
    payload
        .iter()
        .find(|t| t.tag == tag)
        .unwrap_or_else(|| panic!("no {tag:?} in {payload:?}"))
}

fn bytes_of(payload: &[Ttlv], tag: Tag) -> Vec<u8> {
    field(payload, tag).as_bytes().expect("bytes").to_vec()
}

fn uid_of(payload: &[Ttlv]) -> String {
    field(payload, Tag::UNIQUE_IDENTIFIER)
        .as_text()
        .expect("a text UniqueIdentifier")
        .to_string()
}

/// The value of an attribute in a GetAttributes answer: 1.x `Attribute` named `name`, 2.x a
/// child of `Attributes` tagged `tag`.
fn attribute_in(v: ProtocolVersion, payload: &[Ttlv], name: &str, tag: Tag) -> Option<Ttlv> {
    if v.is_v1() {
        payload
            .iter()
            .filter(|t| t.tag == Tag::ATTRIBUTE)
            .find(|a| a.child(Tag::ATTRIBUTE_NAME).and_then(Ttlv::as_text) == Some(name))
            .and_then(|a| a.child(Tag::ATTRIBUTE_VALUE).cloned())
    } else {
        payload
            .iter()
            .find(|t| t.tag == Tag::ATTRIBUTES)
            .and_then(|a| a.child(tag).cloned())
    }
}

/// The material of the key block of `object` in a Get, Export answer.
fn material(payload: &[Ttlv], object: Tag) -> Vec<u8> {
    let m = field(payload, object)
        .child(Tag::KEY_BLOCK)
        .and_then(|b| b.child(Tag::KEY_VALUE))
        .and_then(|v| v.child(Tag::KEY_MATERIAL))
        .expect("KeyBlock/KeyValue/KeyMaterial");
    m.as_bytes()
        .or_else(|| m.child(Tag::KEY).and_then(Ttlv::as_bytes))
        .expect("key bytes")
        .to_vec()
}

// ---------------------------------------------------------------------------------------------
// a run in one version

struct Run {
    v: ProtocolVersion,
    c: KmipClient,
    secret: String,
    covered: BTreeSet<u32>,
}

impl Run {
    fn has(&self, op: Operation) -> bool {
        operations_in(self.v).contains(&op)
    }

    /// Sends one item with the right secret; asserts success and the echoed operation, records
    /// the operation as covered, and returns the payload.
    async fn ok(&mut self, it: RequestBatchItem) -> Vec<Ttlv> {
        let op = it.operation;
        let r = self
            .c
            .call(&request(self.v, Some(&self.secret), vec![it]))
            .await;
        assert_eq!(r.header.protocol_version, self.v);
        assert_eq!(r.items.len(), 1);
        assert_eq!(r.items[0].operation, Some(op), "{}", self.v);
        let payload = ok_payload(&r.items[0]).to_vec();
        self.covered.insert(op);
        payload
    }

    /// Sends one item with `secret`; returns the failure reason.
    async fn fail(&mut self, secret: Option<&str>, it: RequestBatchItem) -> ResultReason {
        let r = self.c.call(&request(self.v, secret, vec![it])).await;
        assert_eq!(r.header.protocol_version, self.v);
        assert_eq!(r.items.len(), 1);
        let reason = failure_of(&r.items[0]);
        assert!(
            reason_known_in(reason, self.v),
            "{reason} is not a reason of {}",
            self.v
        );
        assert!(r.items[0].result_message.is_some());
        reason
    }

    /// Expects `it` to fail with `want` in this version, unless the case is a known gap.
    async fn expect_failure(
        &mut self,
        case: &str,
        secret: Option<&str>,
        it: RequestBatchItem,
        want: ResultReason,
    ) {
        if let Some(why) = known_gap(self.v, case) {
            let r = self.c.call(&request(self.v, secret, vec![it])).await;
            let i = &r.items[0];
            eprintln!(
                "KNOWN GAP {} {case}: {why}; answered {:?} {:?} {:?}",
                self.v, i.result_status, i.result_reason, i.result_message
            );
            assert_ne!(
                i.result_reason,
                Some(want),
                "{} {case} is answered right now: remove it from KNOWN_GAPS",
                self.v
            );
            return;
        }
        let got = self.fail(secret, it).await;
        assert_eq!(got, want, "{} {case}", self.v);
    }
}

/// The reason `v` defines for an object in the wrong lifecycle state: Wrong Key Lifecycle State
/// came with KMIP 2.0; 1.x has Permission Denied for it.
fn wrong_state(v: ProtocolVersion) -> ResultReason {
    if v.is_v2() {
        ResultReason::WrongKeyLifecycleState
    } else {
        ResultReason::PermissionDenied
    }
}

/// Every operation of `v`, each answered with the content it should carry.
async fn successes(r: &mut Run) {
    let v = r.v;

    // Query lists exactly the operations of the table that `v` defines.
    let p = r
        .ok(item(
            Operation::Query,
            vec![Ttlv::enumeration(
                Tag::QUERY_FUNCTION,
                QueryFunction::QueryOperations.as_u32(),
            )],
        ))
        .await;
    let listed: Vec<u32> = p
        .iter()
        .filter(|t| t.tag == Tag::OPERATION)
        .filter_map(Ttlv::as_enum)
        .collect();
    let mut expected: Vec<u32> = operations_in(v).iter().map(|o| o.as_u32()).collect();
    let mut sorted = listed.clone();
    sorted.sort_unstable();
    expected.sort_unstable();
    assert_eq!(sorted, expected, "Query operations in {v}");

    if r.has(Operation::DiscoverVersions) {
        let p = r.ok(item(Operation::DiscoverVersions, vec![])).await;
        let versions: Vec<ProtocolVersion> = p
            .iter()
            .filter(|t| t.tag == Tag::PROTOCOL_VERSION)
            .map(|t| ProtocolVersion::from_ttlv(t.clone()).unwrap())
            .collect();
        let mut all = ALL_VERSIONS.to_vec();
        all.reverse();
        assert_eq!(versions, all, "every version, newest first");
        // With the client's list: those the server supports, in the client's order.
        let p = r
            .ok(item(
                Operation::DiscoverVersions,
                vec![
                    ProtocolVersion::new(3, 0).to_ttlv(),
                    v.to_ttlv(),
                    ProtocolVersion::V1_0.to_ttlv(),
                ],
            ))
            .await;
        let versions: Vec<ProtocolVersion> = p
            .iter()
            .map(|t| ProtocolVersion::from_ttlv(t.clone()).unwrap())
            .collect();
        assert_eq!(versions, [v, ProtocolVersion::V1_0]);
    }

    // Create, Get, Locate.
    let key_name = format!("aes-{v}");
    let p = r
        .ok(create_symmetric(
            v,
            CryptographicAlgorithm::Aes,
            256,
            masks::ENCRYPT | masks::DECRYPT,
            &key_name,
        ))
        .await;
    assert_eq!(
        field(&p, Tag::OBJECT_TYPE).as_enum(),
        Some(ObjectType::SymmetricKey.as_u32())
    );
    let k = uid_of(&p);
    let p = r.ok(uid_item(Operation::Get, &k)).await;
    assert_eq!(uid_of(&p), k);
    let key = material(&p, Tag::SYMMETRIC_KEY);
    assert_eq!(key.len(), 32);
    let p = r.ok(locate_by_name(v, &key_name)).await;
    let found: Vec<&str> = p
        .iter()
        .filter(|t| t.tag == Tag::UNIQUE_IDENTIFIER)
        .filter_map(Ttlv::as_text)
        .collect();
    assert_eq!(found, [k.as_str()]);

    // GetAttributes, GetAttributeList.
    let p = r.ok(uid_item(Operation::GetAttributes, &k)).await;
    assert_eq!(uid_of(&p), k);
    let len = attribute_in(v, &p, "Cryptographic Length", Tag::CRYPTOGRAPHIC_LENGTH)
        .expect("Cryptographic Length");
    assert_eq!(len.as_i32(), Some(256));
    let p = r.ok(uid_item(Operation::GetAttributeList, &k)).await;
    assert_eq!(uid_of(&p), k);
    if v.is_v1() {
        let names: Vec<&str> = p
            .iter()
            .filter(|t| t.tag == Tag::ATTRIBUTE_NAME)
            .filter_map(Ttlv::as_text)
            .collect();
        assert!(names.contains(&"Cryptographic Length"), "{names:?}");
        assert!(names.contains(&"Name"), "{names:?}");
    } else {
        let refs: Vec<u32> = p
            .iter()
            .filter(|t| t.tag == Tag::ATTRIBUTE_REFERENCE)
            .filter_map(Ttlv::as_enum)
            .collect();
        assert!(refs.contains(&Tag::CRYPTOGRAPHIC_LENGTH.0), "{refs:?}");
        assert!(refs.contains(&Tag::NAME.0), "{refs:?}");
    }

    // AddAttribute, ModifyAttribute, SetAttribute, DeleteAttribute on Contact Information.
    let contact_of = |p: &[Ttlv]| {
        attribute_in(v, p, "Contact Information", Tag::CONTACT_INFORMATION)
            .and_then(|t| t.as_text().map(str::to_string))
    };
    let ci = "Contact Information";
    let p = r
        .ok(item(
            Operation::AddAttribute,
            vec![
                uid_field(&k),
                one_attribute(v, Tag::NEW_ATTRIBUTE, ci, contact("added")),
            ],
        ))
        .await;
    assert_eq!(uid_of(&p), k);
    if v.is_v1() {
        // 1.x answers with the attribute.
        let a = field(&p, Tag::ATTRIBUTE);
        assert_eq!(
            a.child(Tag::ATTRIBUTE_NAME).and_then(Ttlv::as_text),
            Some(ci)
        );
        assert_eq!(
            a.child(Tag::ATTRIBUTE_VALUE).and_then(Ttlv::as_text),
            Some("added")
        );
    }
    let p = r.ok(uid_item(Operation::GetAttributes, &k)).await;
    assert_eq!(contact_of(&p).as_deref(), Some("added"));
    let p = r
        .ok(item(
            Operation::ModifyAttribute,
            vec![
                uid_field(&k),
                one_attribute(v, Tag::NEW_ATTRIBUTE, ci, contact("modified")),
            ],
        ))
        .await;
    assert_eq!(uid_of(&p), k);
    let p = r.ok(uid_item(Operation::GetAttributes, &k)).await;
    assert_eq!(contact_of(&p).as_deref(), Some("modified"));
    let mut current = "modified";
    if r.has(Operation::SetAttribute) {
        let p = r
            .ok(item(
                Operation::SetAttribute,
                vec![
                    uid_field(&k),
                    one_attribute(v, Tag::NEW_ATTRIBUTE, ci, contact("set")),
                ],
            ))
            .await;
        assert_eq!(uid_of(&p), k);
        let p = r.ok(uid_item(Operation::GetAttributes, &k)).await;
        assert_eq!(contact_of(&p).as_deref(), Some("set"));
        current = "set";
    }
    let delete = if v.is_v1() {
        vec![uid_field(&k), Ttlv::text(Tag::ATTRIBUTE_NAME, ci)]
    } else {
        vec![
            uid_field(&k),
            one_attribute(v, Tag::CURRENT_ATTRIBUTE, ci, contact(current)),
        ]
    };
    let p = r.ok(item(Operation::DeleteAttribute, delete)).await;
    assert_eq!(uid_of(&p), k);
    let p = r.ok(uid_item(Operation::GetAttributes, &k)).await;
    assert_eq!(contact_of(&p), None);

    // Activate, Check.
    let p = r.ok(uid_item(Operation::Activate, &k)).await;
    assert_eq!(uid_of(&p), k);
    let p = r.ok(uid_item(Operation::Check, &k)).await;
    assert_eq!(uid_of(&p), k);

    // Encrypt, Decrypt.
    if r.has(Operation::Encrypt) {
        let plain = b"attack at dawn";
        let p = r.ok(encrypt(&k, plain)).await;
        assert_eq!(uid_of(&p), k);
        let cipher = bytes_of(&p, Tag::DATA);
        assert_eq!(cipher.len(), 16, "one padded block");
        assert_ne!(&cipher[..], &plain[..]);
        let p = r
            .ok(item(
                Operation::Decrypt,
                vec![
                    uid_field(&k),
                    cbc_params(),
                    Ttlv::bytes(Tag::DATA, cipher),
                    Ttlv::bytes(Tag::IV_COUNTER_NONCE, IV.to_vec()),
                ],
            ))
            .await;
        assert_eq!(uid_of(&p), k);
        assert_eq!(bytes_of(&p, Tag::DATA), plain);
    }

    // ReKey: a new key of the same length, other material.
    let p = r.ok(uid_item(Operation::ReKey, &k)).await;
    let k2 = uid_of(&p);
    assert_ne!(k2, k);
    let p = r.ok(uid_item(Operation::Get, &k2)).await;
    let key2 = material(&p, Tag::SYMMETRIC_KEY);
    assert_eq!(key2.len(), 32);
    assert_ne!(key2, key);

    // Register a seed, DeriveKey from it with PBKDF2-HMAC-SHA1 (RFC 6070, first vector).
    let secret_data = seed_secret_data(b"password".to_vec());
    let p = r
        .ok(item(
            Operation::Register,
            vec![
                Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SecretData.as_u32()),
                template(v, vec![usage(masks::DERIVE_KEY)]),
                secret_data,
            ],
        ))
        .await;
    let seed = uid_of(&p);
    let p = r.ok(uid_item(Operation::Get, &seed)).await;
    assert_eq!(material(&p, Tag::SECRET_DATA), b"password");
    let p = r
        .ok(item(
            Operation::DeriveKey,
            vec![
                Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SymmetricKey.as_u32()),
                uid_field(&seed),
                Ttlv::enumeration(Tag::DERIVATION_METHOD, DerivationMethod::Pbkdf2.as_u32()),
                Ttlv::structure(
                    Tag::DERIVATION_PARAMETERS,
                    vec![
                        Ttlv::structure(
                            Tag::CRYPTOGRAPHIC_PARAMETERS,
                            vec![Ttlv::enumeration(
                                Tag::HASHING_ALGORITHM,
                                HashingAlgorithm::Sha1.as_u32(),
                            )],
                        ),
                        Ttlv::bytes(Tag::SALT, b"salt".to_vec()),
                        Ttlv::integer(Tag::ITERATION_COUNT, 1),
                    ],
                ),
                template(v, vec![alg(CryptographicAlgorithm::Aes), length(160)]),
            ],
        ))
        .await;
    let derived = uid_of(&p);
    let p = r.ok(uid_item(Operation::Get, &derived)).await;
    assert_eq!(
        hex::encode(material(&p, Tag::SYMMETRIC_KEY)),
        "0c60c80f961f0e71f3a9b524af6012062fe037a6"
    );

    // CreateKeyPair (ECDSA P-256), Sign, SignatureVerify.
    let p = r
        .ok(item(
            Operation::CreateKeyPair,
            vec![
                attribute_list(
                    v,
                    Tag::COMMON_TEMPLATE_ATTRIBUTE,
                    Tag::COMMON_ATTRIBUTES,
                    vec![alg(CryptographicAlgorithm::Ecdsa), length(256)],
                ),
                attribute_list(
                    v,
                    Tag::PRIVATE_KEY_TEMPLATE_ATTRIBUTE,
                    Tag::PRIVATE_KEY_ATTRIBUTES,
                    vec![usage(masks::SIGN)],
                ),
                attribute_list(
                    v,
                    Tag::PUBLIC_KEY_TEMPLATE_ATTRIBUTE,
                    Tag::PUBLIC_KEY_ATTRIBUTES,
                    vec![usage(masks::VERIFY)],
                ),
            ],
        ))
        .await;
    let private = field(&p, Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER)
        .as_text()
        .unwrap()
        .to_string();
    let public = field(&p, Tag::PUBLIC_KEY_UNIQUE_IDENTIFIER)
        .as_text()
        .unwrap()
        .to_string();
    let p = r.ok(uid_item(Operation::Get, &public)).await;
    let old_public = material(&p, Tag::PUBLIC_KEY);
    assert!(!old_public.is_empty());
    if r.has(Operation::ReKeyKeyPair) {
        // A new pair of the same kind, with fresh material.
        let p = r
            .ok(item(
                Operation::ReKeyKeyPair,
                vec![Ttlv::text(Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER, &private)],
            ))
            .await;
        let new_public = field(&p, Tag::PUBLIC_KEY_UNIQUE_IDENTIFIER)
            .as_text()
            .unwrap();
        assert_ne!(new_public, public);
        let p = r.ok(uid_item(Operation::Get, new_public)).await;
        let material = material(&p, Tag::PUBLIC_KEY);
        assert!(!material.is_empty() && material != old_public);
    }
    if r.has(Operation::Sign) {
        r.ok(uid_item(Operation::Activate, &private)).await;
        r.ok(uid_item(Operation::Activate, &public)).await;
        let data = b"signed over the socket".to_vec();
        let p = r
            .ok(item(
                Operation::Sign,
                vec![uid_field(&private), Ttlv::bytes(Tag::DATA, data.clone())],
            ))
            .await;
        assert_eq!(uid_of(&p), private);
        let signature = bytes_of(&p, Tag::SIGNATURE_DATA);
        assert_eq!(signature[0], 0x30, "a DER ECDSA signature");
        for (d, want) in [
            (data.clone(), ValidityIndicator::Valid),
            (b"something else".to_vec(), ValidityIndicator::Invalid),
        ] {
            let p = r
                .ok(item(
                    Operation::SignatureVerify,
                    vec![
                        uid_field(&public),
                        Ttlv::bytes(Tag::DATA, d),
                        Ttlv::bytes(Tag::SIGNATURE_DATA, signature.clone()),
                    ],
                ))
                .await;
            assert_eq!(
                field(&p, Tag::VALIDITY_INDICATOR).as_enum(),
                Some(want.as_u32())
            );
        }
    }

    // MAC, MACVerify with HMAC-SHA256.
    if r.has(Operation::Mac) {
        let p = r
            .ok(create_symmetric(
                v,
                CryptographicAlgorithm::HmacSha256,
                256,
                masks::MAC_GENERATE | masks::MAC_VERIFY,
                &format!("hmac-{v}"),
            ))
            .await;
        let h = uid_of(&p);
        r.ok(uid_item(Operation::Activate, &h)).await;
        let data = b"authenticated".to_vec();
        let p = r
            .ok(item(
                Operation::Mac,
                vec![uid_field(&h), Ttlv::bytes(Tag::DATA, data.clone())],
            ))
            .await;
        assert_eq!(uid_of(&p), h);
        let mac = bytes_of(&p, Tag::MAC_DATA);
        assert_eq!(mac.len(), 32);
        let mut bad = mac.clone();
        bad[0] ^= 1;
        for (m, want) in [
            (mac, ValidityIndicator::Valid),
            (bad, ValidityIndicator::Invalid),
        ] {
            let p = r
                .ok(item(
                    Operation::MacVerify,
                    vec![
                        uid_field(&h),
                        Ttlv::bytes(Tag::DATA, data.clone()),
                        Ttlv::bytes(Tag::MAC_DATA, m),
                    ],
                ))
                .await;
            assert_eq!(
                field(&p, Tag::VALIDITY_INDICATOR).as_enum(),
                Some(want.as_u32())
            );
        }
    }

    // Hash (SHA-256 of "abc", FIPS 180-2), RNGRetrieve.
    if r.has(Operation::Hash) {
        let p = r
            .ok(item(
                Operation::Hash,
                vec![
                    Ttlv::structure(
                        Tag::CRYPTOGRAPHIC_PARAMETERS,
                        vec![Ttlv::enumeration(
                            Tag::HASHING_ALGORITHM,
                            HashingAlgorithm::Sha256.as_u32(),
                        )],
                    ),
                    Ttlv::bytes(Tag::DATA, b"abc".to_vec()),
                ],
            ))
            .await;
        assert_eq!(
            hex::encode(bytes_of(&p, Tag::DATA)),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
    if r.has(Operation::RngRetrieve) {
        let p = r
            .ok(item(
                Operation::RngRetrieve,
                vec![Ttlv::integer(Tag::DATA_LENGTH, 32)],
            ))
            .await;
        let a = bytes_of(&p, Tag::DATA);
        assert_eq!(a.len(), 32);
        let p = r
            .ok(item(
                Operation::RngRetrieve,
                vec![Ttlv::integer(Tag::DATA_LENGTH, 32)],
            ))
            .await;
        assert_ne!(bytes_of(&p, Tag::DATA), a);
    }
    // RNG Seed accepts the bytes and says how many it took.
    if r.has(Operation::RngSeed) {
        let p = r
            .ok(item(
                Operation::RngSeed,
                vec![Ttlv::bytes(Tag::DATA, vec![7; 24])],
            ))
            .await;
        assert_eq!(field(&p, Tag::DATA_LENGTH).as_i32(), Some(24));
    }
    // Create Split Key splits the key into XOR parts; Join Split Key rebuilds it.
    if r.has(Operation::CreateSplitKey) {
        let p = r
            .ok(item(
                Operation::CreateSplitKey,
                vec![
                    Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SymmetricKey.as_u32()),
                    Ttlv::text(Tag::UNIQUE_IDENTIFIER, k.as_str()),
                    Ttlv::integer(Tag::SPLIT_KEY_PARTS, 2),
                    Ttlv::integer(Tag::SPLIT_KEY_THRESHOLD, 2),
                    Ttlv::enumeration(Tag::SPLIT_KEY_METHOD, 1),
                    template(v, vec![]),
                ],
            ))
            .await;
        let parts: Vec<Ttlv> = p
            .iter()
            .filter(|t| t.tag == Tag::UNIQUE_IDENTIFIER)
            .cloned()
            .collect();
        assert_eq!(parts.len(), 2);
        let mut join = vec![Ttlv::enumeration(
            Tag::OBJECT_TYPE,
            ObjectType::SymmetricKey.as_u32(),
        )];
        join.extend(parts);
        let p = r.ok(item(Operation::JoinSplitKey, join)).await;
        let joined = uid_of(&p);
        let p = r.ok(uid_item(Operation::Get, &joined)).await;
        assert_eq!(material(&p, Tag::SYMMETRIC_KEY), key);
    }
    if r.has(Operation::Log) {
        r.ok(item(
            Operation::Log,
            vec![Ttlv::text(Tag::LOG_MESSAGE, "ekms socket test")],
        ))
        .await;
    }
    if r.has(Operation::Interop) {
        for function in [InteropFunction::Begin, InteropFunction::End] {
            r.ok(item(
                Operation::Interop,
                vec![
                    Ttlv::enumeration(Tag::INTEROP_FUNCTION, function.as_u32()),
                    Ttlv::text(Tag::INTEROP_IDENTIFIER, "ekms-socket-test"),
                ],
            ))
            .await;
        }
    }

    // Adjust Attribute moves a pre-active key's Activation Date by an Interval; an attribute
    // the server manages is refused.
    if r.has(Operation::AdjustAttribute) {
        let p = r
            .ok(create_symmetric(
                v,
                CryptographicAlgorithm::Aes,
                256,
                masks::ENCRYPT,
                "adjusted",
            ))
            .await;
        let k = uid_of(&p);
        let start = 4_102_444_800; // 2100-01-01: the key stays pre-active.
        r.ok(item(
            Operation::SetAttribute,
            vec![
                uid_field(&k),
                Ttlv::structure(
                    Tag::NEW_ATTRIBUTE,
                    vec![Ttlv::datetime(Tag::ACTIVATION_DATE, start)],
                ),
            ],
        ))
        .await;
        let adjust = |reference: Tag, by: Ttlv| {
            item(
                Operation::AdjustAttribute,
                vec![
                    uid_field(&k),
                    Ttlv::enumeration(Tag::ATTRIBUTE_REFERENCE, reference.0),
                    Ttlv::enumeration(
                        Tag::ADJUSTMENT_TYPE,
                        ekms_kmip::enums::AdjustmentType::Increment.as_u32(),
                    ),
                    by,
                ],
            )
        };
        let p = r
            .ok(adjust(
                Tag::ACTIVATION_DATE,
                Ttlv::interval(Tag::ADJUSTMENT_VALUE, 3600),
            ))
            .await;
        assert_eq!(uid_of(&p), k);
        let p = r.ok(uid_item(Operation::GetAttributes, &k)).await;
        let date = attribute_in(v, &p, "Activation Date", Tag::ACTIVATION_DATE);
        assert_eq!(date.and_then(|d| d.as_datetime()), Some(start + 3600));
        let why = r
            .fail(
                Some(&r.secret.clone()),
                adjust(
                    Tag::CRYPTOGRAPHIC_LENGTH,
                    Ttlv::integer(Tag::ADJUSTMENT_VALUE, 1),
                ),
            )
            .await;
        assert_eq!(why, ResultReason::AttributeReadOnly);
    }
    // Set Endpoint Role: ekms is a server; it will not become a client.
    if r.has(Operation::SetEndpointRole) {
        let role = |role: ekms_kmip::enums::EndpointRole| {
            item(
                Operation::SetEndpointRole,
                vec![Ttlv::enumeration(Tag::ENDPOINT_ROLE, role.as_u32())],
            )
        };
        let p = r.ok(role(ekms_kmip::enums::EndpointRole::Server)).await;
        assert_eq!(
            field(&p, Tag::ENDPOINT_ROLE).as_enum(),
            Some(ekms_kmip::enums::EndpointRole::Server.as_u32())
        );
        let why = r
            .fail(
                Some(&r.secret.clone()),
                role(ekms_kmip::enums::EndpointRole::Client),
            )
            .await;
        assert_eq!(why, ResultReason::FeatureNotSupported);
    }

    // Export the rekeyed key with its attributes, Import it under a uid of the client's.
    if r.has(Operation::Export) {
        let p = r.ok(uid_item(Operation::Export, &k2)).await;
        assert_eq!(uid_of(&p), k2);
        assert_eq!(
            field(&p, Tag::OBJECT_TYPE).as_enum(),
            Some(ObjectType::SymmetricKey.as_u32())
        );
        let len = if v.is_v1() {
            field(&p, Tag::TEMPLATE_ATTRIBUTE)
                .children(Tag::ATTRIBUTE)
                .find(|a| {
                    a.child(Tag::ATTRIBUTE_NAME).and_then(Ttlv::as_text)
                        == Some("Cryptographic Length")
                })
                .and_then(|a| a.child(Tag::ATTRIBUTE_VALUE))
                .and_then(Ttlv::as_i32)
        } else {
            attribute_in(v, &p, "", Tag::CRYPTOGRAPHIC_LENGTH).and_then(|t| t.as_i32())
        };
        assert_eq!(len, Some(256));
        assert_eq!(material(&p, Tag::SYMMETRIC_KEY), key2);
        let imported = format!("imported-{v}");
        let p = r
            .ok(item(
                Operation::Import,
                vec![
                    uid_field(&imported),
                    Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SymmetricKey.as_u32()),
                    template(
                        v,
                        vec![
                            alg(CryptographicAlgorithm::Aes),
                            length(256),
                            usage(masks::ENCRYPT),
                        ],
                    ),
                    field(&p, Tag::SYMMETRIC_KEY).clone(),
                ],
            ))
            .await;
        assert_eq!(uid_of(&p), imported);
        let p = r.ok(uid_item(Operation::Get, &imported)).await;
        assert_eq!(material(&p, Tag::SYMMETRIC_KEY), key2);
    }

    // Archive and Recover: the key stays on-line throughout. Cancel and Poll: nothing is
    // ever pending, every operation being answered at once.
    for op in [Operation::Archive, Operation::Recover] {
        assert_eq!(uid_of(&r.ok(uid_item(op, &k)).await), k);
        r.ok(uid_item(Operation::Get, &k)).await;
    }
    // Obtain Lease: the Lease Time setting. Get Usage Allocation: the key has no Usage
    // Limits to allocate from.
    let p = r.ok(uid_item(Operation::ObtainLease, &k)).await;
    assert_eq!(uid_of(&p), k);
    assert_eq!(
        field(&p, Tag::LEASE_TIME).value,
        ekms_kmip::Value::Interval(3600)
    );
    let allocation = item(
        Operation::GetUsageAllocation,
        vec![
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, k.as_str()),
            Ttlv::long(Tag::USAGE_LIMITS_COUNT, 1),
        ],
    );
    let secret = r.secret.clone();
    r.expect_failure(
        "GetUsageAllocation",
        Some(&secret),
        allocation,
        ResultReason::IllegalOperation,
    )
    .await;
    r.covered.insert(Operation::GetUsageAllocation.as_u32());
    let correlation = || vec![Ttlv::bytes(Tag::ASYNCHRONOUS_CORRELATION_VALUE, vec![7])];
    let p = r.ok(item(Operation::Cancel, correlation())).await;
    assert_eq!(
        field(&p, Tag::CANCELLATION_RESULT).as_enum(),
        Some(CancellationResult::Unavailable.as_u32())
    );
    let poll = item(Operation::Poll, correlation());
    r.expect_failure("Poll", Some(&secret), poll, ResultReason::ItemNotFound)
        .await;
    r.covered.insert(Operation::Poll.as_u32());
    // Certify and Re-certify run in every version (their certificates are tested with the
    // operations): a symmetric key is no public key, nor a certificate (Invalid Object Type
    // came with KMIP 2.0; 1.x has Invalid Field for it).
    let not_that_type = if v.is_v2() {
        ResultReason::InvalidObjectType
    } else {
        ResultReason::InvalidField
    };
    r.expect_failure(
        "Certify",
        Some(&secret),
        uid_item(Operation::Certify, &k),
        not_that_type,
    )
    .await;
    r.covered.insert(Operation::Certify.as_u32());
    r.expect_failure(
        "ReCertify",
        Some(&secret),
        uid_item(Operation::ReCertify, &k),
        not_that_type,
    )
    .await;
    r.covered.insert(Operation::ReCertify.as_u32());

    // Revoke, Destroy: the key's material is gone.
    let p = r.ok(revoke(&k)).await;
    assert_eq!(uid_of(&p), k);
    let p = r.ok(uid_item(Operation::Destroy, &k)).await;
    assert_eq!(uid_of(&p), k);
    // Object Destroyed came with KMIP 2.0; 1.x has Item Not Found for it.
    let want = if v.is_v2() {
        ResultReason::ObjectDestroyed
    } else {
        ResultReason::ItemNotFound
    };
    let secret = r.secret.clone();
    r.expect_failure(
        "Get after Destroy",
        Some(&secret),
        uid_item(Operation::Get, &k),
        want,
    )
    .await;

    // Every operation of the version was run.
    let missing: Vec<Operation> = operations_in(v)
        .into_iter()
        .filter(|op| !r.covered.contains(&op.as_u32()))
        .collect();
    assert!(missing.is_empty(), "not covered in {v}: {missing:?}");
}

/// A well-formed token of `secret`'s group with another key.
fn wrong_key(secret: &str) -> String {
    let json: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(secret).unwrap()).unwrap();
    let forged = serde_json::json!({"group_id": json["group_id"], "key": "00".repeat(32)});
    URL_SAFE_NO_PAD.encode(forged.to_string())
}

/// The failure cases of `v`, table-driven: (case, secret, item, expected reason).
async fn failures(r: &mut Run) {
    let v = r.v;
    let secret = r.secret.clone();
    let p = r
        .ok(create_symmetric(
            v,
            CryptographicAlgorithm::Aes,
            128,
            masks::ENCRYPT | masks::DECRYPT,
            &format!("pre-active-{v}"),
        ))
        .await;
    let pre_active = uid_of(&p);
    let p = r
        .ok(create_symmetric(
            v,
            CryptographicAlgorithm::Aes,
            128,
            masks::ENCRYPT | masks::DECRYPT,
            &format!("active-{v}"),
        ))
        .await;
    let active = uid_of(&p);
    r.ok(uid_item(Operation::Activate, &active)).await;

    let unknown = "no-such-uid";
    let forged = wrong_key(&secret);
    let good = Some(secret.as_str());
    let mut cases: Vec<(String, Option<&str>, RequestBatchItem, ResultReason)> = Vec::new();

    // Unknown uid: Item Not Found, for every operation that names an object.
    let mut by_uid = vec![
        uid_item(Operation::Get, unknown),
        uid_item(Operation::GetAttributes, unknown),
        uid_item(Operation::GetAttributeList, unknown),
        uid_item(Operation::Activate, unknown),
        uid_item(Operation::Destroy, unknown),
        uid_item(Operation::Check, unknown),
        uid_item(Operation::ReKey, unknown),
        revoke(unknown),
        item(
            Operation::AddAttribute,
            vec![
                uid_field(unknown),
                one_attribute(v, Tag::NEW_ATTRIBUTE, "Contact Information", contact("x")),
            ],
        ),
    ];
    if r.has(Operation::Encrypt) {
        by_uid.push(encrypt(unknown, b"x"));
        by_uid.push(item(
            Operation::Sign,
            vec![uid_field(unknown), Ttlv::bytes(Tag::DATA, b"x".to_vec())],
        ));
        by_uid.push(item(
            Operation::Mac,
            vec![uid_field(unknown), Ttlv::bytes(Tag::DATA, b"x".to_vec())],
        ));
    }
    if r.has(Operation::Export) {
        by_uid.push(uid_item(Operation::Export, unknown));
    }
    for it in by_uid {
        let case = format!("unknown uid: {}", it.known_operation().unwrap());
        cases.push((case, good, it, not_found_in(v)));
    }

    // Wrong lifecycle state.
    cases.push((
        "wrong state: Destroy an Active key".into(),
        good,
        uid_item(Operation::Destroy, &active),
        wrong_state(v),
    ));
    cases.push((
        "wrong state: Activate an Active key".into(),
        good,
        uid_item(Operation::Activate, &active),
        wrong_state(v),
    ));
    if r.has(Operation::Encrypt) {
        cases.push((
            "wrong state: Encrypt with a PreActive key".into(),
            good,
            encrypt(&pre_active, b"x"),
            wrong_state(v),
        ));
    }

    // The group secret: missing, malformed, or of another key.
    for (label, s) in [
        ("missing secret", None),
        ("malformed secret", Some("not a token")),
        ("wrong secret", Some(forged.as_str())),
    ] {
        cases.push((
            format!("{label}: Get"),
            s,
            uid_item(Operation::Get, &active),
            ResultReason::AuthenticationNotSuccessful,
        ));
        cases.push((
            format!("{label}: Create"),
            s,
            create_symmetric(v, CryptographicAlgorithm::Aes, 128, masks::ENCRYPT, "x"),
            ResultReason::AuthenticationNotSuccessful,
        ));
    }

    // Operations the version does not define.
    for (op, _) in OPERATIONS.iter().filter(|(_, since)| *since > v) {
        cases.push((
            format!("not in this version: {op}"),
            good,
            uid_item(*op, &active),
            ResultReason::OperationNotSupported,
        ));
    }

    for (case, s, it, want) in cases {
        r.expect_failure(&case, s, it, want).await;
    }

    // The failures changed nothing: the Active key is still there and Active.
    let p = r.ok(uid_item(Operation::Check, &active)).await;
    assert_eq!(uid_of(&p), active);
}

async fn run_version(v: ProtocolVersion) {
    let tmp = tempfile::tempdir().unwrap();
    let s = KmipServer::start(tmp.path(), &[]);
    let secret = s.server.register().await;
    let c = s.connect().await;
    let mut r = Run {
        v,
        c,
        secret,
        covered: BTreeSet::new(),
    };
    successes(&mut r).await;
    failures(&mut r).await;
}

macro_rules! version_tests {
    ($($name:ident => $v:expr),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                run_version($v).await;
            }
        )*
    };
}

version_tests! {
    every_operation_in_kmip_1_0 => ProtocolVersion::V1_0,
    every_operation_in_kmip_1_1 => ProtocolVersion::V1_1,
    every_operation_in_kmip_1_2 => ProtocolVersion::V1_2,
    every_operation_in_kmip_1_3 => ProtocolVersion::V1_3,
    every_operation_in_kmip_1_4 => ProtocolVersion::V1_4,
    every_operation_in_kmip_2_0 => ProtocolVersion::V2_0,
    every_operation_in_kmip_2_1 => ProtocolVersion::V2_1,
}

#[test]
fn the_table_matches_the_specification_milestones() {
    let count = |v| operations_in(v).len();
    assert_eq!(count(ProtocolVersion::V1_0), 25);
    assert_eq!(count(ProtocolVersion::V1_1), 27);
    assert_eq!(count(ProtocolVersion::V1_2), 38);
    assert_eq!(count(ProtocolVersion::V1_3), 38);
    assert_eq!(count(ProtocolVersion::V1_4), 40);
    assert_eq!(count(ProtocolVersion::V2_0), 45);
    assert_eq!(count(ProtocolVersion::V2_1), 45);
}
