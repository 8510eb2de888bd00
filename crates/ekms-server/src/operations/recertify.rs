//! Re-certify: issues a new certificate replacing an existing one, as Certify issues
//! ([`super::certify`]): for the same public key and subject (or a PKCS#10 request given in
//! the request), by the same issuer (the old certificate's Certificate Link, else self-signed
//! by its Private Key Link; a Link in the request's attributes overrides either). The new
//! certificate carries the old one's client attributes plus the request's, and the two are
//! linked (Replacement / Replaced Object Links); its dates follow an Offset as Re-key's do.

use super::Context;
use super::certify::{Subject, SubjectKey, from_request, issue, link, store};
use crate::error::KmipError;
use crate::objects::attrs;
use crate::objects::now;
use ekms_kmip::Link;
use ekms_kmip::enums::{LinkType, ResultReason};
use ekms_kmip::operations::UniqueIdentifier;
use ekms_kmip::operations::recertify::Request;
use rcgen::{CertificateParams, DistinguishedName, DnType, SubjectPublicKeyInfo};

/// The subject of an existing X.509 certificate: its name (CN, O, OU, C, ST, L) and key.
fn subject_of(der: &[u8], uid: &str) -> Result<Subject, KmipError> {
    use x509_parser::oid_registry as oid;
    let unreadable = || {
        KmipError::new(
            ResultReason::InvalidField,
            format!("certificate {uid} is not an X.509 certificate ekms can read"),
        )
    };
    let (_, cert) = x509_parser::parse_x509_certificate(der).map_err(|_| unreadable())?;
    let key = SubjectPublicKeyInfo::from_der(cert.public_key().raw).map_err(|_| unreadable())?;
    let mut dn = DistinguishedName::new();
    for (id, ty) in [
        (oid::OID_X509_COMMON_NAME, DnType::CommonName),
        (oid::OID_X509_ORGANIZATION_NAME, DnType::OrganizationName),
        (
            oid::OID_X509_ORGANIZATIONAL_UNIT,
            DnType::OrganizationalUnitName,
        ),
        (oid::OID_X509_COUNTRY_NAME, DnType::CountryName),
        (
            oid::OID_X509_STATE_OR_PROVINCE_NAME,
            DnType::StateOrProvinceName,
        ),
        (oid::OID_X509_LOCALITY_NAME, DnType::LocalityName),
    ] {
        if let Some(v) = cert
            .subject()
            .iter_by_oid(&id)
            .find_map(|v| v.as_str().ok())
        {
            dn.push(ty, v);
        }
    }
    let mut params = CertificateParams::default();
    params.distinguished_name = dn;
    Ok(Subject {
        params,
        key: SubjectKey::Spki(key),
        public_key_uid: None,
        private_key_uid: None,
    })
}

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<UniqueIdentifier, KmipError> {
    let uid = req
        .uid
        .ok_or_else(|| KmipError::missing("UniqueIdentifier of the certificate to replace"))?;
    let (old, der) = super::certify::certificate(ctx, &uid, "the certificate to re-certify")?;
    let mut subject = match &req.request_value {
        Some(v) => from_request(req.request_type, v)?,
        None => subject_of(&der, &uid)?,
    };
    let public_key_uid = link(&old.attributes, LinkType::PublicKeyLink);
    let issuer_cert = link(&req.attributes, LinkType::CertificateLink)
        .or_else(|| link(&old.attributes, LinkType::CertificateLink));
    // Self-signed: the old certificate's own private key signs again.
    subject.private_key_uid = link(&old.attributes, LinkType::PrivateKeyLink);
    subject.public_key_uid.clone_from(&public_key_uid);
    let (der, mut links) = issue(ctx, subject, &req.attributes, issuer_cert.as_deref())?;

    let now = now();
    let mut attributes = attrs::merge(&super::rekey::carried(&old.attributes), &req.attributes)?;
    if let Some((activation, deactivation)) =
        super::rekey::replacement_dates(&old.attributes, old.state(now), req.offset, now)
    {
        attributes.activation_date = Some(activation);
        if deactivation.is_some() {
            attributes.deactivation_date = deactivation;
        }
    }
    links.push(Link {
        link_type: LinkType::ReplacedObjectLink,
        linked_object_identifier: uid.clone(),
    });
    let new = store(
        ctx,
        der,
        attributes,
        links,
        public_key_uid.as_deref(),
        Some(&uid),
    )?;
    Ok(UniqueIdentifier { uid: new })
}
