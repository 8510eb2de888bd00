//! The attributes KMIP 2.x derives from an X.509 certificate's subject and issuer names
//! (Certificate Subject CN, O, OU, Email, C, ST, L, UID, Serial Number, Title, DC, DN
//! Qualifier, and the same of the issuer): the server reads them from the certificate when it
//! is registered, and no client may write them (KMIP 2.1 marks them not modifiable).

use ekms_kmip::{Attributes, Tag, Ttlv};
use x509_parser::der_parser::Oid;
use x509_parser::oid_registry as oids;
use x509_parser::x509::X509Name;

/// Each name attribute's OID with its subject and issuer tags.
fn fields() -> [(Oid<'static>, Tag, Tag); 12] {
    [
        (
            oids::OID_X509_COMMON_NAME,
            Tag::CERTIFICATE_SUBJECT_CN,
            Tag::CERTIFICATE_ISSUER_CN,
        ),
        (
            oids::OID_X509_ORGANIZATION_NAME,
            Tag::CERTIFICATE_SUBJECT_O,
            Tag::CERTIFICATE_ISSUER_O,
        ),
        (
            oids::OID_X509_ORGANIZATIONAL_UNIT,
            Tag::CERTIFICATE_SUBJECT_OU,
            Tag::CERTIFICATE_ISSUER_OU,
        ),
        (
            oids::OID_PKCS9_EMAIL_ADDRESS,
            Tag::CERTIFICATE_SUBJECT_EMAIL,
            Tag::CERTIFICATE_ISSUER_EMAIL,
        ),
        (
            oids::OID_X509_COUNTRY_NAME,
            Tag::CERTIFICATE_SUBJECT_C,
            Tag::CERTIFICATE_ISSUER_C,
        ),
        (
            oids::OID_X509_STATE_OR_PROVINCE_NAME,
            Tag::CERTIFICATE_SUBJECT_ST,
            Tag::CERTIFICATE_ISSUER_ST,
        ),
        (
            oids::OID_X509_LOCALITY_NAME,
            Tag::CERTIFICATE_SUBJECT_L,
            Tag::CERTIFICATE_ISSUER_L,
        ),
        (
            oids::OID_USERID,
            Tag::CERTIFICATE_SUBJECT_UID,
            Tag::CERTIFICATE_ISSUER_UID,
        ),
        (
            oids::OID_X509_SERIALNUMBER,
            Tag::CERTIFICATE_SUBJECT_SERIAL_NUMBER,
            Tag::CERTIFICATE_ISSUER_SERIAL_NUMBER,
        ),
        (
            oids::OID_X509_TITLE,
            Tag::CERTIFICATE_SUBJECT_TITLE,
            Tag::CERTIFICATE_ISSUER_TITLE,
        ),
        (
            oids::OID_DOMAIN_COMPONENT,
            Tag::CERTIFICATE_SUBJECT_DC,
            Tag::CERTIFICATE_ISSUER_DC,
        ),
        (
            oids::OID_X509_DN_QUALIFIER,
            Tag::CERTIFICATE_SUBJECT_DN_QUALIFIER,
            Tag::CERTIFICATE_ISSUER_DN_QUALIFIER,
        ),
    ]
}

/// True for the attributes [`add_name_attributes`] derives.
pub fn is_name_attribute(tag: Tag) -> bool {
    (Tag::CERTIFICATE_SUBJECT_CN.0..=Tag::CERTIFICATE_ISSUER_DN_QUALIFIER.0).contains(&tag.0)
}

/// Adds the subject and issuer name attributes of the DER certificate `der` to `attrs`, one
/// instance per value. A certificate x509-parser cannot read adds none: ekms stores what a
/// client registers, and only these derived attributes need the parse.
pub fn add_name_attributes(der: &[u8], attrs: &mut Attributes) {
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) else {
        return;
    };
    for (oid, subject, issuer) in fields() {
        for (name, tag) in [(cert.subject(), subject), (cert.issuer(), issuer)] {
            for value in values(name, &oid) {
                if let Err(e) = attrs.add(&Ttlv::text(tag, value)) {
                    tracing::warn!(error = %e, "a certificate name attribute was not recorded");
                }
            }
        }
    }
}

/// The text values of `oid` in `name`, in order (values that are not text are skipped).
fn values(name: &X509Name<'_>, oid: &Oid<'_>) -> Vec<String> {
    name.iter_by_oid(oid)
        .filter_map(|a| a.as_str().ok().map(str::to_string))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_and_issuer_names_become_attributes() {
        let mut params = rcgen::CertificateParams::new(vec!["example.test".into()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "alice");
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "Example");
        params
            .distinguished_name
            .push(rcgen::DnType::CountryName, "FR");
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let mut attrs = Attributes::default();
        add_name_attributes(cert.der(), &mut attrs);
        let text = |tag: Tag| -> Vec<String> {
            attrs
                .items()
                .iter()
                .filter(|i| i.tag == tag)
                .filter_map(|i| i.as_text().map(str::to_string))
                .collect()
        };
        assert_eq!(text(Tag::CERTIFICATE_SUBJECT_CN), ["alice"]);
        assert_eq!(text(Tag::CERTIFICATE_SUBJECT_O), ["Example"]);
        assert_eq!(text(Tag::CERTIFICATE_SUBJECT_C), ["FR"]);
        // Self-signed: the issuer is the subject.
        assert_eq!(text(Tag::CERTIFICATE_ISSUER_CN), ["alice"]);
        assert!(text(Tag::CERTIFICATE_SUBJECT_OU).is_empty());

        let mut none = Attributes::default();
        add_name_attributes(b"not a certificate", &mut none);
        assert!(none.items().iter().all(|i| !is_name_attribute(i.tag)));
    }
}
