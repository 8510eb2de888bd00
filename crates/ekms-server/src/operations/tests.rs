//! Operations run directly on a group store, in the shapes of each KMIP version: 1.x
//! Template-Attribute requests and `Attribute` answers named by text, 2.x `Attributes`,
//! version-dependent fields (Located Items, Query lists), and the dispatcher's coverage.

use super::{Context, OPERATIONS, dispatch};
use crate::error::KmipError;
use ekms_kmip::enums::{Operation, ResultReason};
use ekms_kmip::{ProtocolVersion, Tag, Ttlv};
use ekms_store::SqlCipherStore;

pub(super) fn store() -> (tempfile::TempDir, SqlCipherStore) {
    let dir = tempfile::tempdir().unwrap();
    let s = SqlCipherStore::create(&dir.path().join("g.db"), &[9u8; 32], "g").unwrap();
    (dir, s)
}

pub(super) fn context(
    store: &dyn ekms_store::ObjectStore,
    version: ProtocolVersion,
) -> Context<'_> {
    Context {
        store,
        user: "tester",
        version,
        access: Default::default(),
        limits: Default::default(),
        batch: None,
        locked: Default::default(),
    }
}

pub(super) fn run(
    store: &SqlCipherStore,
    version: ProtocolVersion,
    op: Operation,
    items: Vec<Ttlv>,
) -> Result<Ttlv, KmipError> {
    let ctx = context(store, version);
    dispatch(&ctx, op, Ttlv::structure(Tag::REQUEST_PAYLOAD, items))
}

pub(super) fn v1_attr(name: &str, index: Option<i32>, value: Ttlv) -> Ttlv {
    let mut v = vec![Ttlv::text(Tag::ATTRIBUTE_NAME, name)];
    if let Some(i) = index {
        v.push(Ttlv::integer(Tag::ATTRIBUTE_INDEX, i));
    }
    v.push(Ttlv::new(Tag::ATTRIBUTE_VALUE, value.value));
    Ttlv::structure(Tag::ATTRIBUTE, v)
}

pub(super) fn v1_name(n: &str) -> Ttlv {
    v1_attr(
        "Name",
        None,
        Ttlv::structure(
            Tag::NAME,
            vec![
                Ttlv::text(Tag::NAME_VALUE, n),
                Ttlv::enumeration(Tag::NAME_TYPE, 1),
            ],
        ),
    )
}

/// The 1.x Cryptographic Algorithm attribute (a CryptographicAlgorithm value).
pub(super) fn v1_algorithm(alg: u32) -> Ttlv {
    v1_attr(
        "Cryptographic Algorithm",
        None,
        Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, alg),
    )
}

/// The 1.x Cryptographic Length attribute.
pub(super) fn v1_length(bits: i32) -> Ttlv {
    v1_attr(
        "Cryptographic Length",
        None,
        Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, bits),
    )
}

pub(super) fn uid(resp: &Ttlv) -> String {
    resp.child(Tag::UNIQUE_IDENTIFIER)
        .and_then(Ttlv::as_text)
        .unwrap()
        .to_string()
}

/// The Key Material bytes of an object value's Key Block.
pub(super) fn block_material(value: &Ttlv) -> Vec<u8> {
    value
        .child(Tag::KEY_BLOCK)
        .and_then(|b| b.child(Tag::KEY_VALUE))
        .and_then(|v| v.child(Tag::KEY_MATERIAL))
        .and_then(Ttlv::as_bytes)
        .unwrap()
        .to_vec()
}

fn names_of(resp: &Ttlv) -> Vec<String> {
    resp.children(Tag::ATTRIBUTE)
        .map(|a| {
            a.child(Tag::ATTRIBUTE_NAME)
                .and_then(Ttlv::as_text)
                .unwrap()
                .to_string()
        })
        .collect()
}

/// The payload of a Create of a symmetric key with 1.x Template-Attribute `template`.
pub(super) fn create_payload(template: Vec<Ttlv>) -> Vec<Ttlv> {
    vec![
        Ttlv::enumeration(Tag::OBJECT_TYPE, 2),
        Ttlv::structure(Tag::TEMPLATE_ATTRIBUTE, template),
    ]
}

/// Creates a symmetric key with 1.x Template-Attribute `template`; its Unique Identifier.
pub(super) fn create_key_v1(s: &SqlCipherStore, v: ProtocolVersion, template: Vec<Ttlv>) -> String {
    uid(&run(s, v, Operation::Create, create_payload(template)).unwrap())
}

pub(super) fn create_v1(s: &SqlCipherStore, v: ProtocolVersion, name: &str) -> String {
    create_key_v1(
        s,
        v,
        vec![
            v1_algorithm(3),
            v1_length(128),
            v1_attr(
                "Cryptographic Usage Mask",
                None,
                Ttlv::integer(Tag::CRYPTOGRAPHIC_USAGE_MASK, 12),
            ),
            v1_name(name),
            v1_attr("x-note", None, Ttlv::text(Tag::ATTRIBUTE_VALUE, "hello")),
        ],
    )
}

#[test]
fn kmip1_attributes_are_named_by_text() {
    let (_d, s) = store();
    let v = ProtocolVersion::V1_2;
    let id = create_v1(&s, v, "k");
    let r = run(
        &s,
        v,
        Operation::GetAttributes,
        vec![
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, id.clone()),
            Ttlv::text(Tag::ATTRIBUTE_NAME, "Cryptographic Length"),
            Ttlv::text(Tag::ATTRIBUTE_NAME, "Name"),
            Ttlv::text(Tag::ATTRIBUTE_NAME, "x-note"),
        ],
    )
    .unwrap();
    assert!(r.child(Tag::ATTRIBUTES).is_none());
    assert_eq!(names_of(&r), ["Cryptographic Length", "Name", "x-note"]);
    let name = r.children(Tag::ATTRIBUTE).nth(1).unwrap();
    assert_eq!(
        name.child(Tag::ATTRIBUTE_INDEX).and_then(Ttlv::as_i32),
        Some(0)
    );

    // The list: text names, once each; what 1.2 knows (Original Creation Date) but not 1.4+
    // attributes; 1.0 does not know Original Creation Date.
    let list = |v| {
        run(
            &s,
            v,
            Operation::GetAttributeList,
            vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, id.clone())],
        )
        .unwrap()
        .children(Tag::ATTRIBUTE_NAME)
        .map(|n| n.as_text().unwrap().to_string())
        .collect::<Vec<_>>()
    };
    let l12 = list(ProtocolVersion::V1_2);
    for n in [
        "Unique Identifier",
        "Object Type",
        "Cryptographic Algorithm",
        "Cryptographic Length",
        "Cryptographic Usage Mask",
        "Name",
        "State",
        "Initial Date",
        "Operation Policy Name",
        "Original Creation Date",
        "x-note",
    ] {
        assert!(l12.contains(&n.to_string()), "{n} in {l12:?}");
    }
    assert!(!list(ProtocolVersion::V1_0).contains(&"Original Creation Date".to_string()));
    assert!(
        !l12.contains(&"Key Format Type".to_string()),
        "not a 1.x attribute"
    );
    // KMIP 2.x has no Operation Policy Name and answers references.
    let r = run(
        &s,
        ProtocolVersion::V2_1,
        Operation::GetAttributeList,
        vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, id.clone())],
    )
    .unwrap();
    let refs: Vec<&Ttlv> = r.children(Tag::ATTRIBUTE_REFERENCE).collect();
    assert!(
        refs.iter()
            .any(|a| a.as_enum() == Some(Tag::CRYPTOGRAPHIC_ALGORITHM.0))
    );
    assert!(
        !refs
            .iter()
            .any(|a| a.as_enum() == Some(Tag::OPERATION_POLICY_NAME.0))
    );
}

#[test]
fn kmip1_add_modify_delete_answer_the_attribute() {
    let (_d, s) = store();
    let v = ProtocolVersion::V1_1;
    let id = create_v1(&s, v, "first");
    let r = run(
        &s,
        v,
        Operation::AddAttribute,
        vec![
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, id.clone()),
            v1_name("second"),
        ],
    )
    .unwrap();
    let a = r.child(Tag::ATTRIBUTE).unwrap();
    assert_eq!(
        a.child(Tag::ATTRIBUTE_INDEX).and_then(Ttlv::as_i32),
        Some(1)
    );

    let new = v1_attr(
        "Name",
        Some(1),
        Ttlv::structure(
            Tag::NAME,
            vec![
                Ttlv::text(Tag::NAME_VALUE, "zweite"),
                Ttlv::enumeration(Tag::NAME_TYPE, 1),
            ],
        ),
    );
    let r = run(
        &s,
        v,
        Operation::ModifyAttribute,
        vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, id.clone()), new],
    )
    .unwrap();
    let a = r.child(Tag::ATTRIBUTE).unwrap();
    assert_eq!(
        a.child(Tag::ATTRIBUTE_INDEX).and_then(Ttlv::as_i32),
        Some(1)
    );
    let value = a.child(Tag::ATTRIBUTE_VALUE).unwrap();
    assert_eq!(
        value.child(Tag::NAME_VALUE).and_then(Ttlv::as_text),
        Some("zweite")
    );

    let r = run(
        &s,
        v,
        Operation::DeleteAttribute,
        vec![
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, id.clone()),
            Ttlv::text(Tag::ATTRIBUTE_NAME, "Name"),
            Ttlv::integer(Tag::ATTRIBUTE_INDEX, 0),
        ],
    )
    .unwrap();
    let deleted = r.child(Tag::ATTRIBUTE).unwrap();
    let value = deleted.child(Tag::ATTRIBUTE_VALUE).unwrap();
    assert_eq!(
        value.child(Tag::NAME_VALUE).and_then(Ttlv::as_text),
        Some("first")
    );
    // Index out of range; custom attribute deleted by name.
    let e = run(
        &s,
        v,
        Operation::DeleteAttribute,
        vec![
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, id.clone()),
            Ttlv::text(Tag::ATTRIBUTE_NAME, "Name"),
            Ttlv::integer(Tag::ATTRIBUTE_INDEX, 5),
        ],
    )
    .unwrap_err();
    assert_eq!(e.reason, ResultReason::AttributeNotFound);
    run(
        &s,
        v,
        Operation::DeleteAttribute,
        vec![
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, id.clone()),
            Ttlv::text(Tag::ATTRIBUTE_NAME, "x-note"),
        ],
    )
    .unwrap();
    let r = run(
        &s,
        v,
        Operation::GetAttributes,
        vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, id)],
    )
    .unwrap();
    let names = names_of(&r);
    assert_eq!(names.iter().filter(|n| *n == "Name").count(), 1);
    assert!(!names.contains(&"x-note".to_string()));
}

#[test]
fn kmip1_locate_and_located_items_by_version() {
    let (_d, s) = store();
    let a = create_v1(&s, ProtocolVersion::V1_2, "a");
    let _b = create_v1(&s, ProtocolVersion::V1_2, "b");
    for (v, has_count) in [
        (ProtocolVersion::V1_0, false),
        (ProtocolVersion::V1_2, false),
        (ProtocolVersion::V1_3, true),
        (ProtocolVersion::V2_0, true),
    ] {
        let r = run(&s, v, Operation::Locate, vec![v1_name("a")]).unwrap();
        let found: Vec<String> = r
            .children(Tag::UNIQUE_IDENTIFIER)
            .map(|u| u.as_text().unwrap().to_string())
            .collect();
        assert_eq!(found, std::slice::from_ref(&a), "{v:?}");
        assert_eq!(r.child(Tag::LOCATED_ITEMS).is_some(), has_count, "{v:?}");
    }
    let r = run(
        &s,
        ProtocolVersion::V1_2,
        Operation::Locate,
        vec![Ttlv::integer(Tag::MAXIMUM_ITEMS, 1)],
    )
    .unwrap();
    assert_eq!(r.children(Tag::UNIQUE_IDENTIFIER).count(), 1);
}

#[test]
fn kmip1_key_pair_from_template_attributes() {
    let (_d, s) = store();
    let v = ProtocolVersion::V1_2;
    let r = run(
        &s,
        v,
        Operation::CreateKeyPair,
        vec![
            Ttlv::structure(
                Tag::COMMON_TEMPLATE_ATTRIBUTE,
                vec![
                    v1_attr(
                        "Cryptographic Algorithm",
                        None,
                        Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, 0x1A),
                    ),
                    v1_attr(
                        "Cryptographic Length",
                        None,
                        Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, 521),
                    ),
                ],
            ),
            Ttlv::structure(Tag::PRIVATE_KEY_TEMPLATE_ATTRIBUTE, vec![v1_name("priv")]),
            Ttlv::structure(Tag::PUBLIC_KEY_TEMPLATE_ATTRIBUTE, vec![v1_name("pub")]),
        ],
    )
    .unwrap();
    let public = r
        .child(Tag::PUBLIC_KEY_UNIQUE_IDENTIFIER)
        .and_then(Ttlv::as_text)
        .unwrap()
        .to_string();
    let r = run(
        &s,
        v,
        Operation::Get,
        vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, public)],
    )
    .unwrap();
    let block = r
        .child(Tag::PUBLIC_KEY)
        .and_then(|k| k.child(Tag::KEY_BLOCK))
        .unwrap();
    assert_eq!(
        block
            .child(Tag::CRYPTOGRAPHIC_LENGTH)
            .and_then(Ttlv::as_i32),
        Some(521)
    );
}

/// The operations Query (Query Operations) lists to a client of version `v`, in its order.
fn listed_operations(s: &SqlCipherStore, v: ProtocolVersion) -> Vec<Operation> {
    run(
        s,
        v,
        Operation::Query,
        vec![Ttlv::enumeration(Tag::QUERY_FUNCTION, 1)],
    )
    .unwrap()
    .children(Tag::OPERATION)
    .filter_map(Ttlv::as_enum)
    .filter_map(Operation::from_u32)
    .collect()
}

#[test]
fn query_lists_what_each_version_defines() {
    let (_d, s) = store();
    let ops = |v| listed_operations(&s, v);
    let v10 = ops(ProtocolVersion::V1_0);
    assert!(v10.contains(&Operation::Create));
    assert!(!v10.contains(&Operation::DiscoverVersions));
    assert!(!v10.contains(&Operation::Encrypt));
    let v12 = ops(ProtocolVersion::V1_2);
    assert!(v12.contains(&Operation::Encrypt));
    assert!(!v12.contains(&Operation::Import));
    let v14 = ops(ProtocolVersion::V1_4);
    assert!(v14.contains(&Operation::Export));
    assert!(!v14.contains(&Operation::SetAttribute));
    assert_eq!(ops(ProtocolVersion::V2_1).len(), OPERATIONS.len());
    // A 1.2 client asking for 1.3 functions (RNGs, capabilities) gets nothing for them.
    let r = run(
        &s,
        ProtocolVersion::V1_2,
        Operation::Query,
        vec![
            Ttlv::enumeration(Tag::QUERY_FUNCTION, 8),
            Ttlv::enumeration(Tag::QUERY_FUNCTION, 0xB),
        ],
    )
    .unwrap();
    assert!(r.items().is_empty());
}

/// The dispatcher's table and the access table ([`crate::access::OPERATIONS`], the source of
/// each operation's rights) name the same operations, each once.
#[test]
fn the_dispatcher_and_the_access_table_name_the_same_operations() {
    let mut dispatched: Vec<u32> = OPERATIONS.iter().map(|(o, _)| o.as_u32()).collect();
    let mut ruled: Vec<u32> = crate::access::OPERATIONS
        .iter()
        .map(|(o, _)| o.as_u32())
        .collect();
    dispatched.sort_unstable();
    ruled.sort_unstable();
    let count = dispatched.len();
    dispatched.dedup();
    assert_eq!(
        dispatched.len(),
        count,
        "an operation is in the dispatcher's table twice"
    );
    assert_eq!(dispatched, ruled);
}

/// Query's list of operations, pinned for every KMIP version: its content and its order are
/// what clients see, so a change to how the list is built must not change it.
#[test]
fn query_lists_the_same_operations_in_the_same_order_for_every_version() {
    use Operation as O;
    let (_d, s) = store();
    let ops = |v| listed_operations(&s, v);
    let v1_0 = vec![
        O::Create,
        O::CreateKeyPair,
        O::Register,
        O::ReKey,
        O::DeriveKey,
        O::Locate,
        O::Check,
        O::Get,
        O::GetAttributes,
        O::GetAttributeList,
        O::AddAttribute,
        O::ModifyAttribute,
        O::DeleteAttribute,
        O::ObtainLease,
        O::GetUsageAllocation,
        O::Activate,
        O::Revoke,
        O::Destroy,
        O::Archive,
        O::Recover,
        O::Query,
        O::Cancel,
        O::Poll,
        O::Certify,
        O::ReCertify,
    ];
    let mut v1_1 = v1_0.clone();
    v1_1.extend([O::ReKeyKeyPair, O::DiscoverVersions]);
    let mut v1_2 = v1_1.clone();
    v1_2.extend([
        O::Encrypt,
        O::Decrypt,
        O::Sign,
        O::SignatureVerify,
        O::Mac,
        O::MacVerify,
        O::RngRetrieve,
        O::RngSeed,
        O::Hash,
        O::CreateSplitKey,
        O::JoinSplitKey,
    ]);
    let mut v1_4 = v1_2.clone();
    v1_4.extend([O::Import, O::Export]);
    let mut v2_0 = v1_4.clone();
    v2_0.extend([
        O::SetAttribute,
        O::Interop,
        O::Log,
        O::AdjustAttribute,
        O::SetEndpointRole,
    ]);
    for (version, expected) in [
        (ProtocolVersion::V1_0, &v1_0),
        (ProtocolVersion::V1_1, &v1_1),
        (ProtocolVersion::V1_2, &v1_2),
        (ProtocolVersion::V1_3, &v1_2),
        (ProtocolVersion::V1_4, &v1_4),
        (ProtocolVersion::V2_0, &v2_0),
        (ProtocolVersion::V2_1, &v2_0),
    ] {
        assert_eq!(&ops(version), expected, "Query of KMIP {version}");
    }
}

#[test]
fn dispatch_covers_exactly_the_supported_operations() {
    let (_d, s) = store();
    for &op in Operation::ALL {
        let res = run(&s, ProtocolVersion::V2_1, op, vec![]);
        let unsupported = matches!(&res, Err(e) if e.reason == ResultReason::OperationNotSupported);
        assert_eq!(
            unsupported,
            !OPERATIONS.iter().any(|(o, _)| *o == op),
            "{} answered {res:?}",
            op.name()
        );
    }
}

/// The AEAD key prepared by an Encrypt stays with the key's cached copy for the next
/// operations, and goes as soon as the key changes.
#[test]
fn prepared_aead_keys_are_reused_until_the_key_changes() {
    use ekms_crypto::aead::AeadKey;
    use ekms_store::ObjectStoreExt;
    use std::sync::Arc;
    let (_dir, s) = store();
    let v = ProtocolVersion::V1_4;
    let k = create_v1(&s, v, "gcm");
    run(
        &s,
        v,
        Operation::Activate,
        vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, &k)],
    )
    .unwrap();
    let prepared = |s: &SqlCipherStore| -> Option<Arc<AeadKey>> {
        let got = s
            .transact(|tx| Ok::<_, ekms_store::StoreError>(tx.get(&k)?.and_then(|o| o.derived.0)))
            .unwrap();
        got.and_then(|d| d.downcast::<AeadKey>().ok())
    };
    let encrypt = |s: &SqlCipherStore| {
        run(
            s,
            v,
            Operation::Encrypt,
            vec![
                Ttlv::text(Tag::UNIQUE_IDENTIFIER, &k),
                Ttlv::bytes(Tag::DATA, b"attack at dawn".to_vec()),
            ],
        )
        .unwrap()
    };
    let first = encrypt(&s);
    let kept = prepared(&s).expect("Encrypt keeps its prepared key with the cached object");
    encrypt(&s);
    assert!(Arc::ptr_eq(&kept, &prepared(&s).unwrap()), "not rebuilt");
    // Decrypt uses it and gives the plaintext back.
    let field = |t: &Ttlv, tag| t.child(tag).unwrap().clone();
    let back = run(
        &s,
        v,
        Operation::Decrypt,
        vec![
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, &k),
            field(&first, Tag::DATA),
            field(&first, Tag::IV_COUNTER_NONCE),
            field(&first, Tag::AUTHENTICATED_ENCRYPTION_TAG),
        ],
    )
    .unwrap();
    assert_eq!(
        back.child(Tag::DATA).and_then(Ttlv::as_bytes),
        Some(&b"attack at dawn"[..])
    );
    // Revoke changes the key: the prepared copy goes with the cached one.
    revoke(&s, v, &k);
    assert!(prepared(&s).is_none());
}

/// Revokes `uid` (Cessation of Operation): a write of the object.
pub(super) fn revoke(s: &SqlCipherStore, v: ProtocolVersion, uid: &str) {
    run(
        s,
        v,
        Operation::Revoke,
        vec![
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, uid),
            Ttlv::structure(
                Tag::REVOCATION_REASON,
                vec![Ttlv::enumeration(Tag::REVOCATION_REASON_CODE, 5)],
            ),
        ],
    )
    .unwrap();
}

/// A store that records how long each of its transactions lasts.
struct Timed<'a> {
    inner: &'a SqlCipherStore,
    spans: std::sync::Mutex<Vec<std::time::Duration>>,
}

impl ekms_store::ObjectStore for Timed<'_> {
    fn run_transaction(
        &self,
        body: &mut dyn FnMut(&mut dyn ekms_store::StoreTx) -> ekms_store::End,
    ) -> Result<Option<u64>, ekms_store::StoreError> {
        let started = std::time::Instant::now();
        let r = self.inner.run_transaction(body);
        self.spans.lock().unwrap().push(started.elapsed());
        r
    }

    fn version(&self) -> Result<u64, ekms_store::StoreError> {
        self.inner.version()
    }
}

/// A KMIP 2.x AES-256 key that may derive keys.
fn derivation_base(s: &SqlCipherStore) -> String {
    let r = run(
        s,
        ProtocolVersion::V2_1,
        Operation::Create,
        vec![
            Ttlv::enumeration(Tag::OBJECT_TYPE, 2),
            Ttlv::structure(
                Tag::ATTRIBUTES,
                vec![
                    Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, 3),
                    Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, 256),
                    Ttlv::integer(Tag::CRYPTOGRAPHIC_USAGE_MASK, 0x200),
                ],
            ),
        ],
    )
    .unwrap();
    uid(&r)
}

/// A PBKDF2-HMAC-SHA256 DeriveKey payload of an AES key of `bits` from `base`.
fn pbkdf2_payload(base: &str, iterations: i32, bits: i32) -> Ttlv {
    Ttlv::structure(
        Tag::REQUEST_PAYLOAD,
        vec![
            Ttlv::enumeration(Tag::OBJECT_TYPE, 2),
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, base),
            Ttlv::enumeration(Tag::DERIVATION_METHOD, 1),
            Ttlv::structure(
                Tag::DERIVATION_PARAMETERS,
                vec![
                    Ttlv::structure(
                        Tag::CRYPTOGRAPHIC_PARAMETERS,
                        vec![Ttlv::enumeration(Tag::HASHING_ALGORITHM, 6)],
                    ),
                    Ttlv::bytes(Tag::SALT, b"salt".to_vec()),
                    Ttlv::integer(Tag::ITERATION_COUNT, iterations),
                ],
            ),
            Ttlv::structure(
                Tag::ATTRIBUTES,
                vec![
                    Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, 3),
                    Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, bits),
                ],
            ),
        ],
    )
}

/// DeriveKey holds no transaction (so neither the group's connection) while it derives: it
/// reads its base, derives, then writes. Measured as the longest transaction of a DeriveKey
/// whose derivation (the whole default budget, about a second) takes most of its time: it
/// must be under half of it (before, one transaction lasted the whole DeriveKey).
#[test]
fn derivation_runs_outside_any_transaction() {
    let (_dir, s) = store();
    let base = derivation_base(&s);
    let timed = Timed {
        inner: &s,
        spans: Default::default(),
    };
    let ctx = context(&timed, ProtocolVersion::V2_1);
    let started = std::time::Instant::now();
    let r = dispatch(
        &ctx,
        Operation::DeriveKey,
        pbkdf2_payload(&base, 4_000_000, 256),
    )
    .unwrap();
    let total = started.elapsed();
    assert!(!uid(&r).is_empty());
    let spans = timed.spans.lock().unwrap().clone();
    let longest = spans.iter().max().copied().unwrap_or_default();
    assert!(
        longest * 2 < total,
        "a transaction lasted {longest:?} of the DeriveKey's {total:?} ({spans:?}): the derivation ran inside it"
    );
}

/// The KDF budget is the request message's: the items of one message share it (a batch of
/// derivations each under the limit cannot add up past it), and a refusal names the limit,
/// the work asked and the work already spent.
#[test]
fn kdf_work_is_counted_over_the_whole_message() {
    let (_dir, s) = store();
    let base = derivation_base(&s);
    let mut ctx = context(&s, ProtocolVersion::V2_1);
    ctx.limits = super::Limits::new(1000, 10);
    // 600 iterations × 1 block of SHA-256.
    dispatch(&ctx, Operation::DeriveKey, pbkdf2_payload(&base, 600, 256)).unwrap();
    let e = dispatch(&ctx, Operation::DeriveKey, pbkdf2_payload(&base, 300, 512)).unwrap_err();
    assert_eq!(e.reason, ResultReason::ServerLimitExceeded);
    for part in [
        "600",
        "1000",
        "--max-kdf-work",
        "IterationCount 300",
        "2 output blocks",
    ] {
        assert!(e.message.contains(part), "{:?} lacks {part:?}", e.message);
    }
    // What is left of the budget still serves.
    dispatch(&ctx, Operation::DeriveKey, pbkdf2_payload(&base, 400, 256)).unwrap();
    // A new message has the whole budget again.
    let mut fresh = context(&s, ProtocolVersion::V2_1);
    fresh.limits = super::Limits::new(1000, 10);
    dispatch(
        &fresh,
        Operation::DeriveKey,
        pbkdf2_payload(&base, 500, 512),
    )
    .unwrap();
}

/// A store that counts the objects its transactions read and, with `refuse_updates`, fails
/// every update of an object (as a write the database refuses would).
pub(super) struct Counting<'a> {
    pub(super) inner: &'a SqlCipherStore,
    pub(super) reads: std::sync::atomic::AtomicUsize,
    pub(super) refuse_updates: bool,
}

struct CountingTx<'t> {
    inner: &'t mut dyn ekms_store::StoreTx,
    reads: &'t std::sync::atomic::AtomicUsize,
    refuse_updates: bool,
}

impl ekms_store::AccessTx for CountingTx<'_> {
    fn meta(&mut self, key: &str) -> Result<Option<String>, ekms_store::StoreError> {
        self.inner.meta(key)
    }
    fn grant(&mut self, g: &ekms_store::Grant) -> Result<(), ekms_store::StoreError> {
        self.inner.grant(g)
    }
    fn revoke(&mut self, g: &ekms_store::Grant) -> Result<bool, ekms_store::StoreError> {
        self.inner.revoke(g)
    }
    fn grants_on(&mut self, uid: &str) -> Result<Vec<ekms_store::Grant>, ekms_store::StoreError> {
        self.inner.grants_on(uid)
    }
    fn grants_to(&mut self, user: &str) -> Result<Vec<ekms_store::Grant>, ekms_store::StoreError> {
        self.inner.grants_to(user)
    }
    fn owned_by(&mut self, user: &str) -> Result<Vec<String>, ekms_store::StoreError> {
        self.inner.owned_by(user)
    }
    fn audit(&mut self, row: &ekms_store::AuditRow) -> Result<(), ekms_store::StoreError> {
        self.inner.audit(row)
    }
    fn audit_list(
        &mut self,
        f: &ekms_store::AuditFilter,
    ) -> Result<Vec<ekms_store::AuditRow>, ekms_store::StoreError> {
        self.inner.audit_list(f)
    }
    fn audit_oldest(
        &mut self,
        after: i64,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<(i64, ekms_store::AuditRow)>, ekms_store::StoreError> {
        self.inner.audit_oldest(after, before, limit)
    }
}

impl ekms_store::StoreTx for CountingTx<'_> {
    fn insert(&mut self, o: &ekms_store::StoredObject) -> Result<(), ekms_store::StoreError> {
        self.inner.insert(o)
    }
    fn get(
        &mut self,
        uid: &str,
    ) -> Result<Option<ekms_store::StoredObject>, ekms_store::StoreError> {
        self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.get(uid)
    }
    fn update(&mut self, o: &ekms_store::StoredObject) -> Result<(), ekms_store::StoreError> {
        if self.refuse_updates {
            return Err(ekms_store::StoreError::Aborted(format!(
                "the test store refuses to update {}",
                o.uid
            )));
        }
        self.inner.update(o)
    }
    fn locate(
        &mut self,
        q: &ekms_store::LocateQuery,
    ) -> Result<Vec<String>, ekms_store::StoreError> {
        self.inner.locate(q)
    }
    fn savepoint(
        &mut self,
        body: &mut dyn FnMut(&mut dyn ekms_store::StoreTx) -> ekms_store::End,
    ) -> Result<(), ekms_store::StoreError> {
        let (reads, refuse_updates) = (self.reads, self.refuse_updates);
        self.inner.savepoint(&mut |inner| {
            body(&mut CountingTx {
                inner,
                reads,
                refuse_updates,
            })
        })
    }
}

impl ekms_store::ObjectStore for Counting<'_> {
    fn run_transaction(
        &self,
        body: &mut dyn FnMut(&mut dyn ekms_store::StoreTx) -> ekms_store::End,
    ) -> Result<Option<u64>, ekms_store::StoreError> {
        self.inner.run_transaction(&mut |tx| {
            body(&mut CountingTx {
                inner: tx,
                reads: &self.reads,
                refuse_updates: self.refuse_updates,
            })
        })
    }

    fn version(&self) -> Result<u64, ekms_store::StoreError> {
        self.inner.version()
    }
}

/// Locate by Name reads the objects that bear the name, not every object of the group: the
/// database selects them by name first (the other filters are still checked on each).
#[test]
fn locate_by_name_reads_only_the_objects_of_that_name() {
    let (_dir, s) = store();
    let v = ProtocolVersion::V1_4;
    for n in 0..30 {
        create_v1(&s, v, &format!("other-{n}"));
    }
    let wanted = create_v1(&s, v, "wanted");
    let counting = Counting {
        inner: &s,
        reads: Default::default(),
        refuse_updates: false,
    };
    let ctx = context(&counting, v);
    let r = dispatch(
        &ctx,
        Operation::Locate,
        Ttlv::structure(Tag::REQUEST_PAYLOAD, vec![v1_name("wanted")]),
    )
    .unwrap();
    assert_eq!(uid(&r), wanted);
    let reads = counting.reads.load(std::sync::atomic::Ordering::SeqCst);
    assert!(reads <= 1, "Locate by name read {reads} objects");
    // A name nothing bears reads nothing.
    counting.reads.store(0, std::sync::atomic::Ordering::SeqCst);
    let r = dispatch(
        &ctx,
        Operation::Locate,
        Ttlv::structure(Tag::REQUEST_PAYLOAD, vec![v1_name("nothing")]),
    )
    .unwrap();
    assert!(r.child(Tag::UNIQUE_IDENTIFIER).is_none());
    assert_eq!(counting.reads.load(std::sync::atomic::Ordering::SeqCst), 0);
}
