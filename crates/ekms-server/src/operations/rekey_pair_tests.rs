//! Re-key Key Pair: a new pair of the same kind with fresh material, the old keys' client
//! attributes, the Replacement / Replaced Object Links, and the dates of ReKey.

use super::tests::{run, store};
use ekms_kmip::enums::usage_mask as masks;
use ekms_kmip::enums::{LinkType, Operation, ResultReason, State};
use ekms_kmip::{ProtocolVersion, Tag, Ttlv};
use ekms_store::SqlCipherStore;

const V21: ProtocolVersion = ProtocolVersion::V2_1;

/// The text of `tag` in `r`.
pub(super) fn text(r: &Ttlv, tag: Tag) -> String {
    r.child(tag).and_then(Ttlv::as_text).unwrap().to_string()
}

/// The attributes of `id` (all, KMIP 2.1).
pub(super) fn attributes(s: &SqlCipherStore, id: &str) -> Ttlv {
    let uid = vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, id)];
    let r = run(s, V21, Operation::GetAttributes, uid).unwrap();
    r.child(Tag::ATTRIBUTES).unwrap().clone()
}

/// The object `id`'s link of `link_type`.
pub(super) fn link(attrs: &Ttlv, link_type: LinkType) -> Option<String> {
    attrs
        .children(Tag::LINK)
        .find(|l| l.child(Tag::LINK_TYPE).and_then(Ttlv::as_enum) == Some(link_type.as_u32()))
        .map(|l| text(l, Tag::LINKED_OBJECT_IDENTIFIER))
}

/// The public key material of `id`.
pub(super) fn public_material(s: &SqlCipherStore, id: &str) -> Vec<u8> {
    let uid = vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, id)];
    let r = run(s, V21, Operation::Get, uid).unwrap();
    let block = r
        .child(Tag::PUBLIC_KEY)
        .and_then(|k| k.child(Tag::KEY_BLOCK));
    let value = block.and_then(|b| b.child(Tag::KEY_VALUE)).unwrap();
    value
        .child(Tag::KEY_MATERIAL)
        .and_then(Ttlv::as_bytes)
        .unwrap()
        .to_vec()
}

/// An Active EC P-256 pair named `name`: (private, public).
pub(super) fn pair(s: &SqlCipherStore, name: &str) -> (String, String) {
    pair_with(s, name, masks::SIGN)
}

/// An Active EC P-256 pair named `name` whose private key has usage mask `private_mask`.
pub(super) fn pair_with(s: &SqlCipherStore, name: &str, private_mask: u32) -> (String, String) {
    let container = |tag, items| Ttlv::structure(tag, items);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let common = vec![
        Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, 0x06), // ECDSA
        Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, 256),
        Ttlv::structure(
            Tag::NAME,
            vec![
                Ttlv::text(Tag::NAME_VALUE, name),
                Ttlv::enumeration(Tag::NAME_TYPE, 1),
            ],
        ),
        Ttlv::datetime(Tag::ACTIVATION_DATE, now - 10),
    ];
    let mask = |m: u32| vec![Ttlv::integer(Tag::CRYPTOGRAPHIC_USAGE_MASK, m as i32)];
    let r = run(
        s,
        V21,
        Operation::CreateKeyPair,
        vec![
            container(Tag::COMMON_ATTRIBUTES, common),
            container(Tag::PRIVATE_KEY_ATTRIBUTES, mask(private_mask)),
            container(Tag::PUBLIC_KEY_ATTRIBUTES, mask(masks::VERIFY)),
        ],
    )
    .unwrap();
    (
        text(&r, Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER),
        text(&r, Tag::PUBLIC_KEY_UNIQUE_IDENTIFIER),
    )
}

fn rekey(
    s: &SqlCipherStore,
    private: &str,
    more: Vec<Ttlv>,
) -> Result<Ttlv, crate::error::KmipError> {
    let mut items = vec![Ttlv::text(Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER, private)];
    items.extend(more);
    run(s, V21, Operation::ReKeyKeyPair, items)
}

#[test]
fn a_pair_is_replaced_by_a_linked_pair_of_the_same_kind() {
    let (_d, s) = store();
    let (private, public) = pair(&s, "signing");
    let r = rekey(&s, &private, vec![]).unwrap();
    let (new_private, new_public) = (
        text(&r, Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER),
        text(&r, Tag::PUBLIC_KEY_UNIQUE_IDENTIFIER),
    );
    assert!(new_private != private && new_public != public);
    assert_ne!(
        public_material(&s, &new_public),
        public_material(&s, &public)
    );
    let (np, npub) = (attributes(&s, &new_private), attributes(&s, &new_public));
    for (new, old) in [(&np, &private), (&npub, &public)] {
        assert_eq!(link(new, LinkType::ReplacedObjectLink).as_ref(), Some(old));
        assert_eq!(
            new.child(Tag::CRYPTOGRAPHIC_LENGTH).and_then(Ttlv::as_i32),
            Some(256)
        );
        // The old pair was Active: so is the new one.
        assert_eq!(
            new.child(Tag::STATE).and_then(Ttlv::as_enum),
            Some(State::Active.as_u32())
        );
        let name = new.child(Tag::NAME).and_then(|n| n.child(Tag::NAME_VALUE));
        assert_eq!(name.and_then(Ttlv::as_text), Some("signing"));
    }
    assert_eq!(link(&np, LinkType::PublicKeyLink), Some(new_public.clone()));
    assert_eq!(
        link(&npub, LinkType::PrivateKeyLink),
        Some(new_private.clone())
    );
    // Each key keeps its own usage.
    let usage = |a: &Ttlv| {
        a.child(Tag::CRYPTOGRAPHIC_USAGE_MASK)
            .and_then(Ttlv::as_i32)
    };
    assert_eq!(usage(&np), Some(masks::SIGN as i32));
    assert_eq!(usage(&npub), Some(masks::VERIFY as i32));
    let old = attributes(&s, &private);
    assert_eq!(
        link(&old, LinkType::ReplacementObjectLink),
        Some(new_private)
    );
    let old = attributes(&s, &public);
    assert_eq!(
        link(&old, LinkType::ReplacementObjectLink),
        Some(new_public)
    );
}

#[test]
fn an_offset_delays_the_new_pair_and_only_private_keys_are_re_keyed() {
    let (_d, s) = store();
    let (private, public) = pair(&s, "later");
    let r = rekey(&s, &private, vec![Ttlv::interval(Tag::OFFSET, 3600)]).unwrap();
    let new = attributes(&s, &text(&r, Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER));
    assert_eq!(
        new.child(Tag::STATE).and_then(Ttlv::as_enum),
        Some(State::PreActive.as_u32())
    );
    let e = rekey(&s, &public, vec![]).unwrap_err();
    assert_eq!(e.reason, ResultReason::IllegalObjectType);
    let e = run(&s, V21, Operation::ReKeyKeyPair, vec![]).unwrap_err();
    assert_eq!(e.reason, ResultReason::MissingData);
}

/// Re-key Key Pair is one transaction: when linking the old keys to the new pair fails (here,
/// a store that refuses every update), it fails whole and no unlinked new pair stays behind.
#[test]
fn a_pair_that_cannot_be_linked_is_not_kept() {
    let (_d, s) = store();
    let (private, public) = pair(&s, "signing");
    let refusing = super::tests::Counting {
        inner: &s,
        reads: Default::default(),
        refuse_updates: true,
    };
    let ctx = super::tests::context(&refusing, V21);
    let payload = Ttlv::structure(
        Tag::REQUEST_PAYLOAD,
        vec![Ttlv::text(Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER, &private)],
    );
    let e = super::dispatch(&ctx, Operation::ReKeyKeyPair, payload).unwrap_err();
    assert!(e.message.contains("refuses to update"), "{}", e.message);
    let located = run(&s, V21, Operation::Locate, vec![]).unwrap();
    let mut uids: Vec<String> = located
        .children(Tag::UNIQUE_IDENTIFIER)
        .filter_map(Ttlv::as_text)
        .map(str::to_string)
        .collect();
    uids.sort();
    let mut old = vec![private.clone(), public];
    old.sort();
    assert_eq!(uids, old, "a new pair was kept without its links");
    // The old private key has no Replacement link either.
    assert_eq!(
        link(&attributes(&s, &private), LinkType::ReplacementObjectLink),
        None
    );
}

/// A Compromised or destroyed private key is not re-keyed, and nothing is made for it.
#[test]
fn a_compromised_or_destroyed_pair_is_not_re_keyed() {
    let (_d, s) = store();
    let count = |s: &SqlCipherStore| {
        run(s, V21, Operation::Locate, vec![])
            .unwrap()
            .children(Tag::UNIQUE_IDENTIFIER)
            .count()
    };
    let (compromised, _) = pair(&s, "compromised");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    run(
        &s,
        V21,
        Operation::Revoke,
        vec![
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, &compromised),
            Ttlv::structure(
                Tag::REVOCATION_REASON,
                vec![Ttlv::enumeration(Tag::REVOCATION_REASON_CODE, 2)],
            ),
            Ttlv::datetime(Tag::COMPROMISE_OCCURRENCE_DATE, now - 5),
        ],
    )
    .unwrap();
    let e = rekey(&s, &compromised, vec![]).unwrap_err();
    assert_eq!(
        e.reason,
        ResultReason::WrongKeyLifecycleState,
        "{}",
        e.message
    );
    assert!(e.message.contains("Compromised"), "{}", e.message);
    let (destroyed, _) = pair(&s, "destroyed");
    super::tests::revoke(&s, V21, &destroyed);
    let uid = vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, &destroyed)];
    run(&s, V21, Operation::Destroy, uid).unwrap();
    let before = count(&s);
    assert!(rekey(&s, &destroyed, vec![]).is_err());
    assert_eq!(count(&s), before, "nothing was made");
}
