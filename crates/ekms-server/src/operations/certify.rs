//! Certify: issues an X.509 certificate, made and signed with rcgen (aws-lc-rs underneath),
//! for a public key of the group or for a PKCS#10 certificate request (given in the request,
//! or, KMIP 2.x, a Certificate Request object), and stores it as a Certificate object.
//!
//! Who signs: the private key a Private Key Link of the request's attributes names; without
//! one, the private key linked to the public key certified (a self-signed certificate). The
//! issuer's name: the subject of the certificate a Certificate Link of the request names (the
//! issuer's certificate); without one the certificate is self-signed, and the signing key must
//! then be the subject key's own private key (a certificate naming a subject as its issuer
//! while signed by another key would be false). The signing key must be Active and allowed to
//! Certificate Sign when it has a usage mask. The subject's name: the request's, else the
//! KMIP 2.x Certificate Subject attributes (CN, O, OU, C, ST, L) of the request, else the
//! public key's first Name (or its identifier) as CN. Valid from now for
//! [`VALIDITY_DAYS`]; a random 128-bit serial number; no CA basic constraints.
//!
//! The certificate links its public key (Public Key Link), its issuer's certificate
//! (Certificate Link) and, when self-signed, its private key (Private Key Link); the public
//! key gets a Certificate Link to it. Re-certify ([`super::recertify`]) uses the same issuing.

use super::Context;
use crate::error::KmipError;
use crate::objects::asym::{self, PrivKey};
use crate::objects::attrs;
use crate::objects::key_use::{Direction, KeyUse};
use crate::objects::object::{ManagedObject, SecretTtlv};
use crate::objects::{insert_new, new_uid, now};
use ekms_crypto::ec::EcCurve;
use ekms_kmip::enums::{
    CertificateRequestType, CertificateType, LinkType, ObjectType, ResultReason, usage_mask,
};
use ekms_kmip::operations::UniqueIdentifier;
use ekms_kmip::operations::certify::Request;
use ekms_kmip::{Attributes, Link, Tag, Ttlv};
use rcgen::{
    CertificateParams, CertificateSigningRequestParams, DistinguishedName, DnType, Issuer, KeyPair,
    PublicKeyData, SerialNumber, SubjectPublicKeyInfo,
};
use rustls::pki_types::{CertificateDer, CertificateSigningRequestDer, PrivatePkcs8KeyDer};

/// How long a certificate ekms issues is valid.
pub const VALIDITY_DAYS: i64 = 365;

/// What the issuing key must be and may do.
const KEY_USE: KeyUse = KeyUse {
    operation: "Certify",
    direction: Direction::Protect,
    types: &[ObjectType::PrivateKey],
    verb: "sign certificates",
    mask: usage_mask::CERTIFICATE_SIGN,
};

fn bad(msg: impl Into<String>) -> KmipError {
    KmipError::new(ResultReason::InvalidField, msg)
}

fn failed(what: &str, e: rcgen::Error) -> KmipError {
    KmipError::new(ResultReason::CryptographicFailure, format!("{what}: {e}"))
}

/// The public key a certificate is issued for, and its name.
pub(super) struct Subject {
    pub params: CertificateParams,
    pub key: SubjectKey,
    /// The Public Key object certified, if one is.
    pub public_key_uid: Option<String>,
    /// The private key linked to that public key, if any.
    pub private_key_uid: Option<String>,
}

/// A subject public key: of a key object, or of a certificate request.
pub(super) enum SubjectKey {
    Spki(SubjectPublicKeyInfo),
    Request(rcgen::PublicKey),
}

impl SubjectKey {
    /// The key's SubjectPublicKeyInfo, DER.
    fn spki(&self) -> Vec<u8> {
        match self {
            SubjectKey::Spki(k) => k.subject_public_key_info(),
            SubjectKey::Request(k) => k.subject_public_key_info(),
        }
    }
}

/// The first link of `link_type` among `attrs`' links.
pub(super) fn link(attrs: &Attributes, link_type: LinkType) -> Option<String> {
    attrs
        .links
        .iter()
        .find(|l| l.link_type == link_type)
        .map(|l| l.linked_object_identifier.clone())
}

/// A certificate request's subject: PKCS#10 in DER or PEM, its signature checked.
pub(super) fn from_request(
    request_type: Option<CertificateRequestType>,
    value: &[u8],
) -> Result<Subject, KmipError> {
    let parsed = match request_type {
        Some(CertificateRequestType::Pkcs10) | None => {
            CertificateSigningRequestParams::from_der(&CertificateSigningRequestDer::from(value))
        }
        Some(CertificateRequestType::Pem) => {
            let text = std::str::from_utf8(value)
                .map_err(|_| bad("a PEM certificate request must be text"))?;
            CertificateSigningRequestParams::from_pem(text)
        }
        Some(other) => {
            return Err(KmipError::new(
                ResultReason::FeatureNotSupported,
                format!(
                    "ekms certifies PKCS#10 requests (DER or PEM), not {}",
                    other.name()
                ),
            ));
        }
    }
    .map_err(|e| {
        bad(format!(
            "the certificate request is not a valid PKCS#10 request: {e}"
        ))
    })?;
    Ok(Subject {
        params: parsed.params,
        key: SubjectKey::Request(parsed.public_key),
        public_key_uid: None,
        private_key_uid: None,
    })
}

/// The KMIP 2.x Certificate Subject attributes of `attrs` as a distinguished name.
fn subject_name(attrs: &Attributes) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    let fields = [
        (Tag::CERTIFICATE_SUBJECT_CN, DnType::CommonName),
        (Tag::CERTIFICATE_SUBJECT_O, DnType::OrganizationName),
        (Tag::CERTIFICATE_SUBJECT_OU, DnType::OrganizationalUnitName),
        (Tag::CERTIFICATE_SUBJECT_C, DnType::CountryName),
        (Tag::CERTIFICATE_SUBJECT_ST, DnType::StateOrProvinceName),
        (Tag::CERTIFICATE_SUBJECT_L, DnType::LocalityName),
    ];
    let items = attrs.items();
    for (tag, ty) in fields {
        if let Some(v) = items.iter().find(|i| i.tag == tag).and_then(Ttlv::as_text) {
            dn.push(ty, v);
        }
    }
    dn
}

/// The subject of a Public Key or Certificate Request object.
fn from_object(obj: &ManagedObject, attrs: &Attributes) -> Result<Subject, KmipError> {
    match obj.object_type {
        ObjectType::PublicKey => {
            let spki = asym::public_key(obj)?.to_spki()?;
            let key = SubjectPublicKeyInfo::from_der(&spki).map_err(|e| {
                bad(format!(
                    "the public key {} cannot be certified: {e}",
                    obj.uid
                ))
            })?;
            let mut params = CertificateParams::default();
            params.distinguished_name = subject_name(attrs);
            if params.distinguished_name.iter().next().is_none() {
                let cn = obj
                    .attributes
                    .names
                    .first()
                    .map_or(obj.uid.clone(), |n| n.value.clone());
                params.distinguished_name.push(DnType::CommonName, cn);
            }
            Ok(Subject {
                params,
                key: SubjectKey::Spki(key),
                public_key_uid: Some(obj.uid.clone()),
                private_key_uid: link(&obj.attributes, LinkType::PrivateKeyLink),
            })
        }
        ObjectType::CertificateRequest => {
            let value = obj.value()?;
            let t = value
                .child(Tag::CERTIFICATE_REQUEST_TYPE)
                .and_then(Ttlv::as_enum)
                .and_then(CertificateRequestType::from_u32);
            let bytes = value
                .child(Tag::CERTIFICATE_REQUEST_VALUE)
                .and_then(Ttlv::as_bytes)
                .ok_or_else(|| KmipError::missing("CertificateRequestValue"))?;
            from_request(t, bytes)
        }
        other => Err(KmipError::new(
            ResultReason::InvalidObjectType,
            format!(
                "object {} is a {}: Certify takes a Public Key or a Certificate Request",
                obj.uid,
                other.name()
            ),
        )),
    }
}

/// Certificate object `uid` (`what` it is to the operation) and its DER.
pub(super) fn certificate(
    ctx: &Context<'_>,
    uid: &str,
    what: &str,
) -> Result<(ManagedObject, Vec<u8>), KmipError> {
    let obj = ctx.read(|tx| ManagedObject::load(tx, uid))?;
    if obj.object_type != ObjectType::Certificate {
        return Err(KmipError::new(
            ResultReason::InvalidObjectType,
            format!(
                "{what} {uid} is a {}, not a Certificate",
                obj.object_type.name()
            ),
        ));
    }
    let der = obj
        .value()?
        .child(Tag::CERTIFICATE_VALUE)
        .and_then(Ttlv::as_bytes)
        .ok_or_else(|| KmipError::missing("CertificateValue"))?
        .to_vec();
    Ok((obj, der))
}

/// Makes object `uid`'s one link of `link_type` point to `target`.
fn set_link(
    tx: &mut dyn ekms_store::StoreTx,
    uid: &str,
    link_type: LinkType,
    target: &str,
    now: i64,
) -> Result<(), KmipError> {
    let mut obj = ManagedObject::load(tx, uid)?;
    obj.attributes.links.retain(|l| l.link_type != link_type);
    obj.attributes.links.push(Link {
        link_type,
        linked_object_identifier: target.to_string(),
    });
    obj.save(tx, now)
}

/// rcgen's signature algorithm for a private key: RSA with SHA-256, ECDSA with the curve's
/// hash, Ed25519.
fn algorithm(key: &PrivKey) -> &'static rcgen::SignatureAlgorithm {
    match key {
        PrivKey::Rsa(_) => &rcgen::PKCS_RSA_SHA256,
        PrivKey::Ec(k) => match k.curve() {
            EcCurve::P256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            EcCurve::P384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            EcCurve::P521 => &rcgen::PKCS_ECDSA_P521_SHA512,
        },
        PrivKey::Ed25519(_) => &rcgen::PKCS_ED25519,
    }
}

/// Issues the certificate of `subject`, named by the certificate `issuer_cert` (default:
/// self-signed) and signed by the private key a Private Key Link of the `request`'s attributes
/// names (default: the one the issuer's certificate links to, or, self-signed, the subject's
/// own); its DER and its links ([`links_of`]).
pub(super) fn issue(
    ctx: &Context<'_>,
    mut subject: Subject,
    request: &Attributes,
    issuer_cert: Option<&str>,
) -> Result<(Vec<u8>, Vec<Link>), KmipError> {
    let issuer_key = link(request, LinkType::PrivateKeyLink);
    let issuer = match issuer_cert {
        Some(uid) => {
            let (obj, der) = certificate(ctx, uid, "the issuer's certificate")?;
            Some((uid, der, link(&obj.attributes, LinkType::PrivateKeyLink)))
        }
        None => None,
    };
    let key_uid = match &issuer {
        Some((_, _, linked)) => issuer_key.or_else(|| linked.clone()),
        None => issuer_key.or_else(|| subject.private_key_uid.clone()),
    }
    .ok_or_else(|| {
        KmipError::missing(
            "the issuer's private key (name it with a Link of type Private Key Link)",
        )
    })?;
    let (key_obj, _) = KEY_USE.load(ctx, &key_uid, None)?;
    let private = asym::private_key(&key_obj)?;
    let pkcs8 = private.to_pkcs8()?;
    let signer = KeyPair::from_pkcs8_der_and_sign_algo(
        &PrivatePkcs8KeyDer::from(pkcs8.as_slice()),
        algorithm(&private),
    )
    .map_err(|e| failed("the issuer's key cannot sign", e))?;

    let now = time::OffsetDateTime::now_utc();
    subject.params.not_before = now;
    subject.params.not_after = now + time::Duration::days(VALIDITY_DAYS);
    let mut serial = ekms_crypto::rand::secret(16)
        .map_err(|e| KmipError::new(ResultReason::CryptographicFailure, e.to_string()))?;
    // A positive serial number (RFC 5280 §4.1.2.2).
    serial[0] &= 0x7F;
    subject.params.serial_number = Some(SerialNumber::from_slice(&serial));

    let cert = match issuer {
        Some((uid, der, _)) => {
            let issuer = Issuer::from_ca_cert_der(&CertificateDer::from(der), &signer)
                .map_err(|e| bad(format!("the issuer's certificate {uid} cannot be read: {e}")))?;
            match &subject.key {
                SubjectKey::Spki(k) => subject.params.signed_by(k, &issuer),
                SubjectKey::Request(k) => subject.params.signed_by(k, &issuer),
            }
        }
        None => {
            if signer.subject_public_key_info() != subject.key.spki() {
                return Err(bad(format!(
                    "private key {key_uid} is not the subject's: name the issuer's certificate with a Link of type Certificate Link (without one the certificate is self-signed)"
                )));
            }
            subject.params.self_signed(&signer)
        }
    }
    .map_err(|e| failed("the certificate cannot be made", e))?;
    let links = links_of(
        subject.public_key_uid.as_deref(),
        issuer_cert,
        issuer_cert.is_none().then_some(key_uid.as_str()),
    );
    Ok((cert.der().to_vec(), links))
}

/// Stores certificate `der` with `attributes` and, instead of the links that named its issuer,
/// `links`; links its public key to it, and the certificate it `replaces` (Re-certify); its
/// identifier.
pub(super) fn store(
    ctx: &Context<'_>,
    der: Vec<u8>,
    mut attributes: Attributes,
    links: Vec<Link>,
    public_key_uid: Option<&str>,
    replaces: Option<&str>,
) -> Result<String, KmipError> {
    let now = now();
    let value = SecretTtlv(Ttlv::structure(
        Tag::CERTIFICATE,
        vec![
            Ttlv::enumeration(Tag::CERTIFICATE_TYPE, CertificateType::X509.as_u32()),
            Ttlv::bytes(Tag::CERTIFICATE_VALUE, der),
        ],
    ));
    attributes.unique_identifier = None;
    let uid = new_uid(&attributes);
    attrs::drop_server_only(&mut attributes);
    attributes.links = links;
    super::register::check_value(ObjectType::Certificate, &value, &mut attributes)?;
    attrs::init_new_object(&mut attributes, &uid, ObjectType::Certificate, now);
    let mut cert = ManagedObject::new(
        uid.clone(),
        ObjectType::Certificate,
        ctx.user,
        attributes,
        &value,
        now,
    )?;
    cert.settle_state(now);
    ctx.transact(|tx| {
        insert_new(tx, &cert)?;
        if let Some(public) = public_key_uid {
            set_link(tx, public, LinkType::CertificateLink, &uid, now)?;
        }
        if let Some(old) = replaces {
            set_link(tx, old, LinkType::ReplacementObjectLink, &uid, now)?;
        }
        Ok(())
    })?;
    Ok(uid)
}

/// The links of a new certificate: its public key, its issuer's certificate, its private key.
fn links_of(
    public_key: Option<&str>,
    issuer_cert: Option<&str>,
    private_key: Option<&str>,
) -> Vec<Link> {
    let mut links = Vec::new();
    let mut push = |link_type, uid: Option<&str>| {
        if let Some(uid) = uid {
            links.push(Link {
                link_type,
                linked_object_identifier: uid.to_string(),
            });
        }
    };
    push(LinkType::PublicKeyLink, public_key);
    push(LinkType::CertificateLink, issuer_cert);
    push(LinkType::PrivateKeyLink, private_key);
    links
}

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<UniqueIdentifier, KmipError> {
    let subject = match (
        &req.request_value,
        req.request_uid.as_ref().or(req.uid.as_ref()),
    ) {
        (Some(value), _) => from_request(req.request_type, value)?,
        (None, Some(uid)) => {
            let obj = ctx.read(|tx| ManagedObject::load(tx, uid))?;
            from_object(&obj, &req.attributes)?
        }
        (None, None) => {
            return Err(KmipError::missing(
                "UniqueIdentifier of the public key to certify (or a CertificateRequestValue)",
            ));
        }
    };
    let issuer_cert = link(&req.attributes, LinkType::CertificateLink);
    let public_key_uid = subject.public_key_uid.clone();
    let (der, links) = issue(ctx, subject, &req.attributes, issuer_cert.as_deref())?;
    let uid = store(
        ctx,
        der,
        req.attributes,
        links,
        public_key_uid.as_deref(),
        None,
    )?;
    Ok(UniqueIdentifier { uid })
}
