//! A cached object's attributes are parsed once and the parsed form kept with its cached copy
//! (`ekms_store::Parsed`): later reads clone it instead of parsing JSON, and a write of the
//! object drops it, so no read sees attributes older than the last write.

use super::conformance_tests::{attribute_value, run_on};
use super::tests::{create_v1, store, v1_attr};
use ekms_kmip::enums::Operation;
use ekms_kmip::{Attributes, ProtocolVersion, Tag, Ttlv};
use ekms_store::{ObjectStoreExt, Parsed, SqlCipherStore};
use std::sync::Arc;

const V14: ProtocolVersion = ProtocolVersion::V1_4;

/// The parsed attributes kept with the cached copy of `uid`, if any.
fn kept(s: &SqlCipherStore, uid: &str) -> Option<Arc<Attributes>> {
    let got = s
        .transact(|tx| Ok::<_, ekms_store::StoreError>(tx.get(uid)?.map(|o| o.parsed)))
        .unwrap();
    match got {
        Some(Parsed::Kept(p)) => p.downcast::<Attributes>().ok(),
        _ => None,
    }
}

fn get(s: &SqlCipherStore, uid: &str) {
    run_on(s, V14, Operation::Get, uid, vec![]).unwrap();
}

fn names(s: &SqlCipherStore, uid: &str) -> Vec<String> {
    let r = run_on(
        s,
        V14,
        Operation::GetAttributes,
        uid,
        vec![Ttlv::text(Tag::ATTRIBUTE_NAME, "Name")],
    )
    .unwrap();
    r.children(Tag::ATTRIBUTE)
        .filter_map(|a| a.child(Tag::ATTRIBUTE_VALUE))
        .filter_map(|v| v.child(Tag::NAME_VALUE).and_then(Ttlv::as_text))
        .map(str::to_string)
        .collect()
}

#[test]
fn parsed_attributes_are_kept_until_the_object_changes() {
    let (_dir, s) = store();
    let uid = create_v1(&s, V14, "first");
    // The first Get writes (the key is no longer Fresh); the second reads the database and
    // fills the cache; the third reads the cache, parses and keeps.
    for _ in 0..3 {
        get(&s, &uid);
    }
    let parsed = kept(&s, &uid).expect("a cached read keeps the parsed attributes");
    assert_eq!(parsed.names.len(), 1);
    get(&s, &uid);
    assert!(
        Arc::ptr_eq(&parsed, &kept(&s, &uid).unwrap()),
        "a cached read parsed the attributes again"
    );

    // A write of the object drops the parsed form with the cached copy; reads after it see
    // the new attributes, and keep them in turn.
    let name = Ttlv::structure(
        Tag::NAME,
        vec![
            Ttlv::text(Tag::NAME_VALUE, "second"),
            Ttlv::enumeration(Tag::NAME_TYPE, 1),
        ],
    );
    run_on(
        &s,
        V14,
        Operation::AddAttribute,
        &uid,
        vec![v1_attr("Name", None, name)],
    )
    .unwrap();
    assert!(kept(&s, &uid).is_none());
    for _ in 0..3 {
        assert_eq!(names(&s, &uid), ["first", "second"]);
    }
    let again = kept(&s, &uid).expect("kept again after the write");
    assert_eq!(again.names.len(), 2);
    assert!(!Arc::ptr_eq(&parsed, &again));
    assert!(attribute_value(&s, &uid, "Cryptographic Length").is_some());
}
