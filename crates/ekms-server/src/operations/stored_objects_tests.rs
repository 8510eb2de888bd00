//! The object types ekms stores as sent, without using them: PGP Key (KMIP 1.2+), Certificate
//! Request (KMIP 2.x) and Template (KMIP 1.x): Register, Get, Locate, Destroy, each in the
//! versions that define it, and Query's list of object types by version.

use super::tests::{run, store, uid, v1_attr, v1_name};
use ekms_kmip::enums::{ObjectType, Operation, ResultReason};
use ekms_kmip::{ProtocolVersion, Tag, Ttlv};
use ekms_store::SqlCipherStore;

fn pgp_key() -> Ttlv {
    Ttlv::structure(
        Tag::PGP_KEY,
        vec![
            Ttlv::integer(Tag::PGP_KEY_VERSION, 4),
            Ttlv::structure(
                Tag::KEY_BLOCK,
                vec![
                    Ttlv::enumeration(Tag::KEY_FORMAT_TYPE, 2), // Opaque
                    Ttlv::structure(
                        Tag::KEY_VALUE,
                        vec![Ttlv::bytes(
                            Tag::KEY_MATERIAL,
                            b"\x99\x01\x0dnot parsed".to_vec(),
                        )],
                    ),
                ],
            ),
        ],
    )
}

fn certificate_request() -> Ttlv {
    Ttlv::structure(
        Tag::CERTIFICATE_REQUEST,
        vec![
            Ttlv::enumeration(Tag::CERTIFICATE_REQUEST_TYPE, 2), // PKCS#10
            Ttlv::bytes(Tag::CERTIFICATE_REQUEST_VALUE, b"0\x82 a request".to_vec()),
        ],
    )
}

fn template() -> Ttlv {
    Ttlv::structure(
        Tag::TEMPLATE,
        vec![v1_attr(
            "Cryptographic Algorithm",
            None,
            Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, 3),
        )],
    )
}

fn register(
    s: &SqlCipherStore,
    v: ProtocolVersion,
    t: ObjectType,
    value: Ttlv,
) -> Result<String, crate::error::KmipError> {
    let attributes = if v.is_v1() {
        Ttlv::structure(Tag::TEMPLATE_ATTRIBUTE, vec![v1_name("stored")])
    } else {
        Ttlv::structure(Tag::ATTRIBUTES, vec![])
    };
    run(
        s,
        v,
        Operation::Register,
        vec![
            Ttlv::enumeration(Tag::OBJECT_TYPE, t.as_u32()),
            attributes,
            value,
        ],
    )
    .map(|r| uid(&r))
}

fn locate_type(s: &SqlCipherStore, v: ProtocolVersion, t: ObjectType) -> Vec<String> {
    let filter = if v.is_v1() {
        v1_attr(
            "Object Type",
            None,
            Ttlv::enumeration(Tag::OBJECT_TYPE, t.as_u32()),
        )
    } else {
        Ttlv::structure(
            Tag::ATTRIBUTES,
            vec![Ttlv::enumeration(Tag::OBJECT_TYPE, t.as_u32())],
        )
    };
    run(s, v, Operation::Locate, vec![filter])
        .unwrap()
        .children(Tag::UNIQUE_IDENTIFIER)
        .map(|t| t.as_text().unwrap().to_string())
        .collect()
}

/// Registers, gets (the value as sent), locates and destroys an object of type `t`.
fn lifecycle(v: ProtocolVersion, t: ObjectType, value: Ttlv) {
    let (_d, s) = store();
    let id = register(&s, v, t, value.clone()).unwrap();
    let got = run(
        &s,
        v,
        Operation::Get,
        vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, id.as_str())],
    )
    .unwrap();
    assert_eq!(
        got.child(Tag::OBJECT_TYPE).and_then(Ttlv::as_enum),
        Some(t.as_u32())
    );
    assert_eq!(
        got.child(value.tag),
        Some(&value),
        "{} served as registered",
        t.name()
    );
    assert_eq!(locate_type(&s, v, t), vec![id.clone()]);
    run(
        &s,
        v,
        Operation::Destroy,
        vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, id.as_str())],
    )
    .unwrap();
    let e = run(
        &s,
        v,
        Operation::Get,
        vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, id.as_str())],
    )
    .unwrap_err();
    assert_eq!(e.reason, ResultReason::ObjectDestroyed);
}

#[test]
fn pgp_keys_certificate_requests_and_templates_are_stored_objects() {
    lifecycle(ProtocolVersion::V1_4, ObjectType::PgpKey, pgp_key());
    lifecycle(ProtocolVersion::V2_1, ObjectType::PgpKey, pgp_key());
    lifecycle(
        ProtocolVersion::V2_1,
        ObjectType::CertificateRequest,
        certificate_request(),
    );
    lifecycle(ProtocolVersion::V1_4, ObjectType::Template, template());
}

#[test]
fn each_type_only_in_the_versions_that_define_it() {
    let (_d, s) = store();
    for (v, t, value) in [
        (ProtocolVersion::V2_1, ObjectType::Template, template()),
        (
            ProtocolVersion::V1_4,
            ObjectType::CertificateRequest,
            certificate_request(),
        ),
        (ProtocolVersion::V1_1, ObjectType::PgpKey, pgp_key()),
    ] {
        let e = register(&s, v, t, value).unwrap_err();
        assert_eq!(
            e.reason,
            ResultReason::InvalidObjectType,
            "{} in {v}",
            t.name()
        );
    }
    // Malformed values are refused.
    let bad_template = Ttlv::structure(
        Tag::TEMPLATE,
        vec![Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, 1)],
    );
    assert!(
        register(
            &s,
            ProtocolVersion::V1_4,
            ObjectType::Template,
            bad_template
        )
        .is_err()
    );
    let no_version = Ttlv::structure(
        Tag::PGP_KEY,
        pgp_key().into_items().into_iter().skip(1).collect(),
    );
    assert!(register(&s, ProtocolVersion::V1_4, ObjectType::PgpKey, no_version).is_err());

    let listed = |v| -> Vec<u32> {
        run(
            &s,
            v,
            Operation::Query,
            vec![Ttlv::enumeration(Tag::QUERY_FUNCTION, 2)],
        )
        .unwrap()
        .children(Tag::OBJECT_TYPE)
        .filter_map(Ttlv::as_enum)
        .collect()
    };
    let v14 = listed(ProtocolVersion::V1_4);
    assert!(v14.contains(&ObjectType::Template.as_u32()));
    assert!(v14.contains(&ObjectType::PgpKey.as_u32()));
    assert!(!v14.contains(&ObjectType::CertificateRequest.as_u32()));
    let v21 = listed(ProtocolVersion::V2_1);
    assert!(!v21.contains(&ObjectType::Template.as_u32()));
    assert!(v21.contains(&ObjectType::CertificateRequest.as_u32()));
    assert!(!listed(ProtocolVersion::V1_1).contains(&ObjectType::PgpKey.as_u32()));
}
