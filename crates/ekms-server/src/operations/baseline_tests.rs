//! What the Baseline profile's cases expect of Register and Get, reproduced on a group store:
//! an X.509 certificate's subject and issuer names become its (read-only) Certificate Subject
//! and Issuer attributes, and a Sensitive object of any type, a public key included, is not
//! served unwrapped.

use super::tests::{run, store, uid};
use ekms_kmip::enums::{CertificateType, ObjectType, Operation, ResultReason};
use ekms_kmip::{ProtocolVersion, Tag, Ttlv};
use ekms_store::SqlCipherStore;

const V21: ProtocolVersion = ProtocolVersion::V2_1;

/// Runs `op` (KMIP 2.1) on object `id`: its Unique Identifier, then `fields`.
fn on(
    s: &SqlCipherStore,
    op: Operation,
    id: &str,
    fields: Vec<Ttlv>,
) -> Result<Ttlv, crate::error::KmipError> {
    let mut items = vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, id)];
    items.extend(fields);
    run(s, V21, op, items)
}

/// A self-signed certificate whose subject CN is `cn`, DER.
fn certificate(cn: &str) -> Vec<u8> {
    let mut params = rcgen::CertificateParams::new(vec!["example.test".into()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn);
    let key = rcgen::KeyPair::generate().unwrap();
    params.self_signed(&key).unwrap().der().to_vec()
}

#[test]
fn a_registered_certificate_answers_its_subject_cn_read_only() {
    let (_d, s) = store();
    let der = certificate("alice");
    let value = vec![
        Ttlv::enumeration(Tag::CERTIFICATE_TYPE, CertificateType::X509.as_u32()),
        Ttlv::bytes(Tag::CERTIFICATE_VALUE, der.clone()),
    ];
    let payload = vec![
        Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::Certificate.as_u32()),
        Ttlv::structure(Tag::ATTRIBUTES, vec![]),
        Ttlv::structure(Tag::CERTIFICATE, value),
    ];
    let id = uid(&run(&s, V21, Operation::Register, payload).unwrap());
    let wanted = [Tag::CERTIFICATE_SUBJECT_CN, Tag::CERTIFICATE_LENGTH]
        .map(|t| Ttlv::enumeration(Tag::ATTRIBUTE_REFERENCE, t.0));
    let r = on(&s, Operation::GetAttributes, &id, wanted.to_vec()).unwrap();
    let attrs = r.child(Tag::ATTRIBUTES).unwrap();
    let cn = attrs.child(Tag::CERTIFICATE_SUBJECT_CN);
    assert_eq!(cn.and_then(Ttlv::as_text), Some("alice"));
    let length = attrs.child(Tag::CERTIFICATE_LENGTH).and_then(Ttlv::as_i32);
    assert_eq!(length, Some(i32::try_from(der.len()).unwrap()));
    // Derived from the certificate: no client may change it.
    let forged = Ttlv::text(Tag::CERTIFICATE_SUBJECT_CN, "mallory");
    let new = vec![Ttlv::structure(Tag::NEW_ATTRIBUTE, vec![forged])];
    let e = on(&s, Operation::ModifyAttribute, &id, new).unwrap_err();
    assert_eq!(e.reason, ResultReason::AttributeReadOnly);
}

#[test]
fn a_sensitive_public_key_is_not_served_unwrapped() {
    let (_d, s) = store();
    let rsa_2048 = vec![
        Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, 0x04),
        Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, 2048),
    ];
    let common = vec![Ttlv::structure(Tag::COMMON_ATTRIBUTES, rsa_2048)];
    let pair = run(&s, V21, Operation::CreateKeyPair, common).unwrap();
    let Some(public) = pair
        .child(Tag::PUBLIC_KEY_UNIQUE_IDENTIFIER)
        .and_then(Ttlv::as_text)
    else {
        panic!("no public key identifier in {pair:?}");
    };
    // Not Sensitive: served as any public key.
    on(&s, Operation::Get, public, vec![]).unwrap();
    let sensitive = Ttlv::boolean(Tag::SENSITIVE, true);
    let new = vec![Ttlv::structure(Tag::NEW_ATTRIBUTE, vec![sensitive])];
    on(&s, Operation::SetAttribute, public, new).unwrap();
    let e = on(&s, Operation::Get, public, vec![]).unwrap_err();
    assert_eq!(e.reason, ResultReason::Sensitive);
}
