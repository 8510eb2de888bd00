//! Certify and Re-certify: self-signed certificates of a public key of the group, a PKCS#10
//! request certified by a CA of the group, a renewal by the same issuer; each signature
//! checked with the issuer's public key; what is refused.

use super::rekey_pair_tests::{attributes, link, pair_with, public_material, text};
use super::tests::{run, store};
use ekms_kmip::enums::usage_mask as masks;
use ekms_kmip::enums::{LinkType, Operation, ResultReason};
use ekms_kmip::{ProtocolVersion, Tag, Ttlv};
use ekms_store::SqlCipherStore;
use rcgen::PublicKeyData;

const V21: ProtocolVersion = ProtocolVersion::V2_1;

fn link_item(link_type: LinkType, uid: &str) -> Ttlv {
    Ttlv::structure(
        Tag::LINK,
        vec![
            Ttlv::enumeration(Tag::LINK_TYPE, link_type.as_u32()),
            Ttlv::text(Tag::LINKED_OBJECT_IDENTIFIER, uid),
        ],
    )
}

fn certify(s: &SqlCipherStore, items: Vec<Ttlv>) -> Result<String, crate::error::KmipError> {
    run(s, V21, Operation::Certify, items).map(|r| text(&r, Tag::UNIQUE_IDENTIFIER))
}

/// The DER of certificate `id`.
fn der(s: &SqlCipherStore, id: &str) -> Vec<u8> {
    let r = run(
        s,
        V21,
        Operation::Get,
        vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, id)],
    )
    .unwrap();
    r.child(Tag::CERTIFICATE)
        .and_then(|c| c.child(Tag::CERTIFICATE_VALUE))
        .and_then(Ttlv::as_bytes)
        .unwrap()
        .to_vec()
}

/// Checks certificate `cert` is signed by the key of SubjectPublicKeyInfo `issuer_spki`, and
/// returns its subject and issuer CNs.
fn check_signed(cert: &[u8], issuer_spki: &[u8]) -> (String, String) {
    let (_, c) = x509_parser::parse_x509_certificate(cert).unwrap();
    ekms_crypto::ec::verify(
        issuer_spki,
        ekms_crypto::SigAlgorithm::EcdsaSha256,
        ekms_crypto::ec::EcdsaSigFormat::Der,
        c.tbs_certificate.as_ref(),
        &c.signature_value.data,
    )
    .expect("signed by the issuer");
    let cn = |n: &x509_parser::x509::X509Name| {
        n.iter_common_name()
            .next()
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    };
    (cn(c.subject()), cn(c.issuer()))
}

fn subject_cn(cn: &str) -> Ttlv {
    Ttlv::structure(
        Tag::ATTRIBUTES,
        vec![Ttlv::text(Tag::CERTIFICATE_SUBJECT_CN, cn)],
    )
}

const CA_MASK: u32 = masks::SIGN | masks::CERTIFICATE_SIGN;

#[test]
fn a_public_key_gets_a_self_signed_certificate_linked_both_ways() {
    let (_d, s) = store();
    let (private, public) = pair_with(&s, "self", CA_MASK);
    let cert = certify(
        &s,
        vec![
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, public.as_str()),
            subject_cn("ekms test"),
        ],
    )
    .unwrap();
    let spki = public_material(&s, &public);
    let cert_der = der(&s, &cert);
    let (subject, issuer) = check_signed(&cert_der, &spki);
    assert_eq!(
        (subject.as_str(), issuer.as_str()),
        ("ekms test", "ekms test")
    );
    let (_, c) = x509_parser::parse_x509_certificate(&cert_der).unwrap();
    assert_eq!(c.public_key().raw, spki.as_slice(), "the certified key");
    let a = attributes(&s, &cert);
    assert_eq!(link(&a, LinkType::PublicKeyLink), Some(public.clone()));
    assert_eq!(link(&a, LinkType::PrivateKeyLink), Some(private));
    assert_eq!(
        link(&attributes(&s, &public), LinkType::CertificateLink),
        Some(cert)
    );
}

#[test]
fn a_request_is_certified_by_a_ca_of_the_group_and_renewed_by_it() {
    let (_d, s) = store();
    let (_ca_private, ca_public) = pair_with(&s, "ca", CA_MASK);
    let ca = certify(
        &s,
        vec![
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, ca_public.as_str()),
            subject_cn("ekms CA"),
        ],
    )
    .unwrap();
    let ca_spki = public_material(&s, &ca_public);

    // A PKCS#10 request made by a client holding its own key.
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::default();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "leaf");
    let csr = params.serialize_request(&leaf_key).unwrap().der().to_vec();
    let request = |csr: &[u8]| {
        vec![
            Ttlv::enumeration(Tag::CERTIFICATE_REQUEST_TYPE, 2), // PKCS#10
            Ttlv::bytes(Tag::CERTIFICATE_REQUEST_VALUE, csr.to_vec()),
            Ttlv::structure(
                Tag::ATTRIBUTES,
                vec![link_item(LinkType::CertificateLink, &ca)],
            ),
        ]
    };
    let leaf = certify(&s, request(&csr)).unwrap();
    let leaf_der = der(&s, &leaf);
    assert_eq!(
        check_signed(&leaf_der, &ca_spki),
        ("leaf".into(), "ekms CA".into())
    );
    let (_, c) = x509_parser::parse_x509_certificate(&leaf_der).unwrap();
    assert_eq!(
        c.public_key().raw,
        leaf_key.subject_public_key_info().as_slice()
    );
    assert_eq!(
        link(&attributes(&s, &leaf), LinkType::CertificateLink),
        Some(ca.clone())
    );

    // Re-certify: the same subject and key, by the same CA, the two linked.
    let r = run(
        &s,
        V21,
        Operation::ReCertify,
        vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, leaf.as_str())],
    )
    .unwrap();
    let renewed = text(&r, Tag::UNIQUE_IDENTIFIER);
    assert_ne!(renewed, leaf);
    let renewed_der = der(&s, &renewed);
    assert_eq!(
        check_signed(&renewed_der, &ca_spki),
        ("leaf".into(), "ekms CA".into())
    );
    let (_, n) = x509_parser::parse_x509_certificate(&renewed_der).unwrap();
    assert_eq!(n.public_key().raw, c.public_key().raw);
    assert_ne!(n.serial, c.serial);
    let a = attributes(&s, &renewed);
    assert_eq!(link(&a, LinkType::ReplacedObjectLink), Some(leaf.clone()));
    assert_eq!(
        link(&attributes(&s, &leaf), LinkType::ReplacementObjectLink),
        Some(renewed)
    );

    // A request whose signature does not hold is refused, as are request types ekms does
    // not read.
    let mut tampered = csr.clone();
    let at = tampered.len() - 5;
    tampered[at] ^= 1;
    let e = certify(&s, request(&tampered)).unwrap_err();
    assert_eq!(e.reason, ResultReason::InvalidField, "{}", e.message);
    let mut crmf = request(&csr);
    crmf[0] = Ttlv::enumeration(Tag::CERTIFICATE_REQUEST_TYPE, 1);
    let e = certify(&s, crmf).unwrap_err();
    assert_eq!(e.reason, ResultReason::FeatureNotSupported);
}

#[test]
fn what_certify_refuses() {
    let (_d, s) = store();
    let (ca_private, _) = pair_with(&s, "ca", CA_MASK);
    let (_, public) = pair_with(&s, "subject", masks::SIGN);
    // Another key signing without naming its certificate would make a false issuer name.
    let e = certify(
        &s,
        vec![
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, public.as_str()),
            Ttlv::structure(
                Tag::ATTRIBUTES,
                vec![link_item(LinkType::PrivateKeyLink, &ca_private)],
            ),
        ],
    )
    .unwrap_err();
    assert_eq!(e.reason, ResultReason::InvalidField, "{}", e.message);
    // A key not allowed to sign certificates does not.
    let e = certify(
        &s,
        vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, public.as_str())],
    )
    .unwrap_err();
    assert_eq!(e.reason, ResultReason::IncompatibleCryptographicUsageMask);
    // Nothing to certify.
    let e = certify(&s, vec![]).unwrap_err();
    assert_eq!(e.reason, ResultReason::MissingData);
}
