//! The fixed, published emulated PKI: an Intel-shaped certificate hierarchy that says EMULATED.
//!
//! # THE PRIVATE KEYS IN THIS FILE ARE PUBLIC, ON PURPOSE
//!
//! Anyone can read them here and sign anything with them: a quote, a PCK certificate, a TCB
//! info. Evidence that chains to [`EMULATED_ROOT_CA_PEM`] therefore proves that the attestation
//! *protocol* works end to end, and **never** that code runs in a genuine SGX enclave. Verifiers
//! refuse it unless told otherwise (`--allow-emulated`; [`crate::Verifier::allow_emulated`]).
//!
//! This module owns that hierarchy, mirroring Intel's (docs/emulated-platform.md):
//!
//! | certificate | issued by | Intel's counterpart |
//! |---|---|---|
//! | [`EMULATED_ROOT_CA_PEM`] (`CN=EMULATED SGX Root CA - NOT INTEL`) | itself | Intel SGX Root CA |
//! | [`EMULATED_PLATFORM_CA_PEM`] (`CN=EMULATED SGX PCK Platform CA - NOT INTEL`) | the root | Intel SGX PCK Platform CA |
//! | [`EMULATED_TCB_SIGNING_PEM`] (`CN=EMULATED SGX TCB Signing - NOT INTEL`) | the root | Intel SGX TCB Signing |
//! | a PCK certificate per emulated platform (`CN=EMULATED SGX PCK Certificate - NOT INTEL`) | the Platform CA | Intel SGX PCK Certificate |
//!
//! Every subject also carries `O=ekms emulation` and `OU=EMULATION ONLY - PRIVATE KEY
//! PUBLISHED`. All keys are ECDSA P-256 and all signatures ECDSA with SHA-256, as in Intel's
//! PKI and as dcap-qvl requires. The shape follows what dcap-qvl checks: the Platform CA's name
//! contains "Platform" (how a PCK issuer is recognised), the TCB signing certificate is issued
//! directly by the root, CA certificates assert `keyCertSign` and `cRLSign`, no certificate
//! carries an extended key usage, CRL distribution point or other critical extension.
//!
//! The certificates and keys were generated once by the ignored test
//! `generate_emulated_pki` below and pasted here; they are valid from 2025-01-01 to
//! 2049-12-31. The runtime re-creates the issuers from the same parameters (so the issuer names
//! it writes are byte for byte the subjects of these certificates) and the published keys.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CustomExtension,
    DistinguishedName, DnType, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
    PKCS_ECDSA_P256_SHA256, PublicKeyData, SerialNumber, SignatureAlgorithm,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use super::EmulatedError;
use super::pem;

/// Organization (`O`) of every emulated certificate.
pub const EMULATED_ORGANIZATION: &str = "ekms emulation";
/// Organizational unit (`OU`) of every emulated certificate: a warning.
pub const EMULATED_ORGANIZATIONAL_UNIT: &str = "EMULATION ONLY - PRIVATE KEY PUBLISHED";
/// Common name of the emulated root CA.
pub const EMULATED_ROOT_CA_CN: &str = "EMULATED SGX Root CA - NOT INTEL";
/// Common name of the emulated PCK Platform CA (it contains "Platform", as dcap-qvl expects of
/// the issuer of a PCK certificate).
pub const EMULATED_PLATFORM_CA_CN: &str = "EMULATED SGX PCK Platform CA - NOT INTEL";
/// Common name of the emulated TCB signing certificate (signs TCB info and QE identity).
pub const EMULATED_TCB_SIGNING_CN: &str = "EMULATED SGX TCB Signing - NOT INTEL";
/// Common name of every emulated platform's PCK certificate.
pub const EMULATED_PCK_CN: &str = "EMULATED SGX PCK Certificate - NOT INTEL";

/// Start of the validity of the fixed emulated certificates.
pub const EMULATED_PKI_NOT_BEFORE: OffsetDateTime = datetime!(2025-01-01 00:00:00 UTC);
/// End of the validity of the fixed emulated certificates.
pub const EMULATED_PKI_NOT_AFTER: OffsetDateTime = datetime!(2049-12-31 23:59:59 UTC);

/// The emulated root CA certificate. Trust it only to accept **emulated** evidence
/// ([`crate::TrustedRoot::emulated`]); its private key is [`EMULATED_ROOT_CA_KEY_PEM`].
pub const EMULATED_ROOT_CA_PEM: &str = "\
-----BEGIN CERTIFICATE-----
MIICIjCCAcigAwIBAgIFDktNUwEwCgYIKoZIzj0EAwIwdTEpMCcGA1UEAwwgRU1V
TEFURUQgU0dYIFJvb3QgQ0EgLSBOT1QgSU5URUwxFzAVBgNVBAoMDmVrbXMgZW11
bGF0aW9uMS8wLQYDVQQLDCZFTVVMQVRJT04gT05MWSAtIFBSSVZBVEUgS0VZIFBV
QkxJU0hFRDAeFw0yNTAxMDEwMDAwMDBaFw00OTEyMzEyMzU5NTlaMHUxKTAnBgNV
BAMMIEVNVUxBVEVEIFNHWCBSb290IENBIC0gTk9UIElOVEVMMRcwFQYDVQQKDA5l
a21zIGVtdWxhdGlvbjEvMC0GA1UECwwmRU1VTEFUSU9OIE9OTFkgLSBQUklWQVRF
IEtFWSBQVUJMSVNIRUQwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATxAzs51Hlr
VgbqIWwnYhtG3BQrHqE0CLfo7rlpusnuWTzLwvxV7Vf69EMgqvgUZ2bqdJlxkfX7
0inIRj/l7y9Zo0UwQzAOBgNVHQ8BAf8EBAMCAQYwHQYDVR0OBBYEFEwst7UMHnrM
net6OV1YcLi+g44iMBIGA1UdEwEB/wQIMAYBAf8CAQEwCgYIKoZIzj0EAwIDSAAw
RQIhAJN0DnSvjzaIJF7pU2N07ps1gYQXEBoPZ40JYjavdAB/AiAqxXa8quZYaWcG
m+jlo1xPA91Fu/JxjB+KXS7jyELp9Q==
-----END CERTIFICATE-----
";

/// **PUBLIC ON PURPOSE — NOT A SECRET.** The private key of [`EMULATED_ROOT_CA_PEM`] (PKCS#8).
/// Anyone can sign with it, which is why emulated evidence proves the protocol, never the
/// hardware.
pub const EMULATED_ROOT_CA_KEY_PEM: &str = "\
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgSJcB+h5TFhvWR5c5
tUA5WFqzfHEsQWyU8xixfl6zzpmhRANCAATxAzs51HlrVgbqIWwnYhtG3BQrHqE0
CLfo7rlpusnuWTzLwvxV7Vf69EMgqvgUZ2bqdJlxkfX70inIRj/l7y9Z
-----END PRIVATE KEY-----
";

/// The emulated PCK Platform CA certificate, issued by the emulated root; it issues the PCK
/// certificates of emulated platforms and signs the PCK CRL.
pub const EMULATED_PLATFORM_CA_PEM: &str = "\
-----BEGIN CERTIFICATE-----
MIICSzCCAfGgAwIBAgIFDktNUwIwCgYIKoZIzj0EAwIwdTEpMCcGA1UEAwwgRU1V
TEFURUQgU0dYIFJvb3QgQ0EgLSBOT1QgSU5URUwxFzAVBgNVBAoMDmVrbXMgZW11
bGF0aW9uMS8wLQYDVQQLDCZFTVVMQVRJT04gT05MWSAtIFBSSVZBVEUgS0VZIFBV
QkxJU0hFRDAeFw0yNTAxMDEwMDAwMDBaFw00OTEyMzEyMzU5NTlaMH0xMTAvBgNV
BAMMKEVNVUxBVEVEIFNHWCBQQ0sgUGxhdGZvcm0gQ0EgLSBOT1QgSU5URUwxFzAV
BgNVBAoMDmVrbXMgZW11bGF0aW9uMS8wLQYDVQQLDCZFTVVMQVRJT04gT05MWSAt
IFBSSVZBVEUgS0VZIFBVQkxJU0hFRDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IA
BBHCjDv8GkYV1nYvJXAHj88loVnkLgetPJJjjFYxFS7UnXzxOEi3t3rZrxuqugAf
eUT6lUxJg0eXjADVsZ0xf3+jZjBkMB8GA1UdIwQYMBaAFEwst7UMHnrMnet6OV1Y
cLi+g44iMA4GA1UdDwEB/wQEAwIBBjAdBgNVHQ4EFgQUWXmz3SrnsMOD+rCV/+fr
NlI3HfswEgYDVR0TAQH/BAgwBgEB/wIBADAKBggqhkjOPQQDAgNIADBFAiBT1WbT
Fb1+g9JUEAwvhGdcRvhu+k8WnBO7P0WRWBsB4AIhAJxcsgAxcnmldynuGiMJIEgP
16Gblrbgj6A0RESP+Y75
-----END CERTIFICATE-----
";

/// **PUBLIC ON PURPOSE — NOT A SECRET.** The private key of [`EMULATED_PLATFORM_CA_PEM`]
/// (PKCS#8).
pub const EMULATED_PLATFORM_CA_KEY_PEM: &str = "\
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgoqOpZXQ5FDES6Wkg
IcOlrOjrXilURou2+wkFwhSE1F+hRANCAAQRwow7/BpGFdZ2LyVwB4/PJaFZ5C4H
rTySY4xWMRUu1J188ThIt7d62a8bqroAH3lE+pVMSYNHl4wA1bGdMX9/
-----END PRIVATE KEY-----
";

/// The emulated TCB signing certificate, issued by the emulated root; it signs the TCB info and
/// QE identity collateral.
pub const EMULATED_TCB_SIGNING_PEM: &str = "\
-----BEGIN CERTIFICATE-----
MIICQjCCAeegAwIBAgIFDktNUwMwCgYIKoZIzj0EAwIwdTEpMCcGA1UEAwwgRU1V
TEFURUQgU0dYIFJvb3QgQ0EgLSBOT1QgSU5URUwxFzAVBgNVBAoMDmVrbXMgZW11
bGF0aW9uMS8wLQYDVQQLDCZFTVVMQVRJT04gT05MWSAtIFBSSVZBVEUgS0VZIFBV
QkxJU0hFRDAeFw0yNTAxMDEwMDAwMDBaFw00OTEyMzEyMzU5NTlaMHkxLTArBgNV
BAMMJEVNVUxBVEVEIFNHWCBUQ0IgU2lnbmluZyAtIE5PVCBJTlRFTDEXMBUGA1UE
CgwOZWttcyBlbXVsYXRpb24xLzAtBgNVBAsMJkVNVUxBVElPTiBPTkxZIC0gUFJJ
VkFURSBLRVkgUFVCTElTSEVEMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEeQ5J
FlWCR6yUhnlEbE5VP1o3xtRsjsIiqxGzVnivcnsSLEyMYFyiJL/J2d+ptMq4DTJS
qmMbHSHAnz9R9RnclaNgMF4wHwYDVR0jBBgwFoAUTCy3tQweesyd63o5XVhwuL6D
jiIwDgYDVR0PAQH/BAQDAgbAMB0GA1UdDgQWBBTkVna8eDqMR6eZhYlOEW3cLy+4
rjAMBgNVHRMBAf8EAjAAMAoGCCqGSM49BAMCA0kAMEYCIQDEu8RksDvaLBCkJQLE
EVFxIWGpTjy9UR1yaBXTTbfRqwIhAPDgdrEsLjxFPQwa1GlroPBpXioLipG61yYX
+R26Faxs
-----END CERTIFICATE-----
";

/// **PUBLIC ON PURPOSE — NOT A SECRET.** The private key of [`EMULATED_TCB_SIGNING_PEM`]
/// (PKCS#8).
pub const EMULATED_TCB_SIGNING_KEY_PEM: &str = "\
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgCFsjA5wX0iOvhB05
94F5cCLYuyDcxCrgsTbFJEBbX2uhRANCAAR5DkkWVYJHrJSGeURsTlU/WjfG1GyO
wiKrEbNWeK9yexIsTIxgXKIkv8nZ36m0yrgNMlKqYxsdIcCfP1H1GdyV
-----END PRIVATE KEY-----
";

/// The issuer chain of the PCK CRL and the tail of every PCK chain: the Platform CA then the
/// root, PEM.
pub fn pck_crl_issuer_chain_pem() -> String {
    format!("{EMULATED_PLATFORM_CA_PEM}{EMULATED_ROOT_CA_PEM}")
}

/// The issuer chain of the TCB info and the QE identity: the TCB signing certificate then the
/// root, PEM.
pub fn tcb_signing_chain_pem() -> String {
    format!("{EMULATED_TCB_SIGNING_PEM}{EMULATED_ROOT_CA_PEM}")
}

/// `CN=<cn>, O=ekms emulation, OU=EMULATION ONLY - PRIVATE KEY PUBLISHED`.
fn emulated_name(cn: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, cn);
    name.push(DnType::OrganizationName, EMULATED_ORGANIZATION);
    name.push(DnType::OrganizationalUnitName, EMULATED_ORGANIZATIONAL_UNIT);
    name
}

fn base_params(cn: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = emulated_name(cn);
    params.not_before = EMULATED_PKI_NOT_BEFORE;
    params.not_after = EMULATED_PKI_NOT_AFTER;
    params.key_identifier_method = KeyIdMethod::Sha256;
    params
}

/// Parameters of the emulated root CA.
pub(crate) fn root_params() -> CertificateParams {
    let mut params = base_params(EMULATED_ROOT_CA_CN);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(1));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params
}

/// Parameters of the emulated PCK Platform CA.
pub(crate) fn platform_ca_params() -> CertificateParams {
    let mut params = base_params(EMULATED_PLATFORM_CA_CN);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.use_authority_key_identifier_extension = true;
    params
}

/// Parameters of the emulated TCB signing certificate (only the generator needs them: this
/// certificate issues nothing).
#[cfg(test)]
pub(crate) fn tcb_signing_params() -> CertificateParams {
    let mut params = base_params(EMULATED_TCB_SIGNING_CN);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::ContentCommitment,
    ];
    params.use_authority_key_identifier_extension = true;
    params
}

/// Parameters of a PCK certificate carrying `sgx_extension` (the DER value of
/// OID 1.2.840.113741.1.13.1, non-critical).
pub(crate) fn pck_params(
    sgx_extension: Vec<u8>,
    serial: &[u8],
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> CertificateParams {
    let mut params = base_params(EMULATED_PCK_CN);
    params.not_before = not_before;
    params.not_after = not_after;
    params.serial_number = Some(SerialNumber::from_slice(serial));
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::ContentCommitment,
    ];
    params.use_authority_key_identifier_extension = true;
    params.custom_extensions = vec![CustomExtension::from_oid_content(
        super::platform::SGX_EXTENSION_OID,
        sgx_extension,
    )];
    params
}

/// A P-256 public key given as its uncompressed point, for rcgen to certify.
pub(crate) struct P256PublicKey<'a>(pub(crate) &'a [u8]);

impl PublicKeyData for P256PublicKey<'_> {
    fn der_bytes(&self) -> &[u8] {
        self.0
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &PKCS_ECDSA_P256_SHA256
    }
}

fn crypto(what: &str) -> impl FnOnce(rcgen::Error) -> EmulatedError + '_ {
    move |e| EmulatedError::Crypto(format!("{what}: {e}"))
}

/// The published signing keys, loaded: the issuers of the emulated hierarchy.
pub(crate) struct Pki {
    root: Issuer<'static, KeyPair>,
    platform_ca: Issuer<'static, KeyPair>,
    tcb_signing: EcdsaKeyPair,
}

impl Pki {
    /// Load the published keys.
    pub(crate) fn load() -> Result<Self, EmulatedError> {
        let root_key =
            KeyPair::from_pem(EMULATED_ROOT_CA_KEY_PEM).map_err(crypto("emulated root CA key"))?;
        let platform_key = KeyPair::from_pem(EMULATED_PLATFORM_CA_KEY_PEM)
            .map_err(crypto("emulated Platform CA key"))?;
        let tcb_der = pem::decode(EMULATED_TCB_SIGNING_KEY_PEM.as_bytes(), pem::PRIVATE_KEY)
            .map_err(|e| EmulatedError::Crypto(format!("emulated TCB signing key: {e}")))?;
        let tcb_signing = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &tcb_der)
            .map_err(|e| EmulatedError::Crypto(format!("emulated TCB signing key: {e}")))?;
        Ok(Self {
            root: Issuer::new(root_params(), root_key),
            platform_ca: Issuer::new(platform_ca_params(), platform_key),
            tcb_signing,
        })
    }

    /// Issue a PCK certificate (DER) for the P-256 key `public_key` (uncompressed point).
    pub(crate) fn issue_pck(
        &self,
        params: &CertificateParams,
        public_key: &[u8],
    ) -> Result<Vec<u8>, EmulatedError> {
        let cert = params
            .signed_by(&P256PublicKey(public_key), &self.platform_ca)
            .map_err(crypto("PCK certificate"))?;
        Ok(cert.der().to_vec())
    }

    /// The root CA CRL (DER): empty, signed by the root, `now - 1 day` to `now + 30 days`.
    pub(crate) fn root_ca_crl(&self, now: OffsetDateTime) -> Result<Vec<u8>, EmulatedError> {
        crl(&self.root, now).map_err(crypto("root CA CRL"))
    }

    /// The PCK CRL (DER): empty, signed by the Platform CA, `now - 1 day` to `now + 30 days`.
    pub(crate) fn pck_crl(&self, now: OffsetDateTime) -> Result<Vec<u8>, EmulatedError> {
        crl(&self.platform_ca, now).map_err(crypto("PCK CRL"))
    }

    /// ECDSA P-256 SHA-256 signature (`r ‖ s`) by the TCB signing key over `body`: how TCB
    /// info and QE identity are signed.
    pub(crate) fn sign_collateral(&self, body: &[u8]) -> Result<Vec<u8>, EmulatedError> {
        let signature = self
            .tcb_signing
            .sign(&SystemRandom::new(), body)
            .map_err(|_| EmulatedError::Crypto("signing collateral failed".to_string()))?;
        Ok(signature.as_ref().to_vec())
    }
}

/// How long collateral made at `now` stays in date.
pub(crate) const COLLATERAL_VALIDITY: Duration = Duration::days(30);
/// How long before `now` collateral made at `now` says it was issued.
pub(crate) const COLLATERAL_BACKDATE: Duration = Duration::days(1);

fn crl(issuer: &Issuer<'_, KeyPair>, now: OffsetDateTime) -> Result<Vec<u8>, rcgen::Error> {
    // The CRL number grows with the day, as a CRL issuer's must.
    let day = u64::try_from(now.unix_timestamp() / 86_400).unwrap_or(0);
    let params = CertificateRevocationListParams {
        this_update: now - COLLATERAL_BACKDATE,
        next_update: now + COLLATERAL_VALIDITY,
        crl_number: SerialNumber::from(day.max(1)),
        issuing_distribution_point: None,
        revoked_certs: Vec::new(),
        key_identifier_method: KeyIdMethod::Sha256,
    };
    Ok(params.signed_by(issuer)?.der().to_vec())
}

#[cfg(test)]
mod tests {
    use super::pem;
    use super::*;
    use x509_parser::prelude::*;

    /// Prints a new emulated PKI as Rust constants. The published PKI is FIXED: run this only
    /// to replace it on purpose (every existing emulated platform then needs a new PCK
    /// certificate), with `cargo test -p ekms-attest generate_emulated_pki -- --ignored
    /// --nocapture`.
    #[test]
    #[ignore = "prints a new emulated PKI; the published one is fixed"]
    fn generate_emulated_pki() {
        let alg = &PKCS_ECDSA_P256_SHA256;
        let root_key = KeyPair::generate_for(alg).unwrap();
        let platform_key = KeyPair::generate_for(alg).unwrap();
        let tcb_key = KeyPair::generate_for(alg).unwrap();

        let mut root = root_params();
        root.serial_number = Some(SerialNumber::from_slice(&[0x0e, 0x4b, 0x4d, 0x53, 0x01]));
        let root_cert = root.self_signed(&root_key).unwrap();
        let root_issuer = Issuer::new(root_params(), &root_key);

        let mut platform = platform_ca_params();
        platform.serial_number = Some(SerialNumber::from_slice(&[0x0e, 0x4b, 0x4d, 0x53, 0x02]));
        let platform_cert = platform.signed_by(&platform_key, &root_issuer).unwrap();

        let mut tcb = tcb_signing_params();
        tcb.serial_number = Some(SerialNumber::from_slice(&[0x0e, 0x4b, 0x4d, 0x53, 0x03]));
        let tcb_cert = tcb.signed_by(&tcb_key, &root_issuer).unwrap();

        for (name, label, der) in [
            (
                "EMULATED_ROOT_CA_PEM",
                pem::CERTIFICATE,
                root_cert.der().to_vec(),
            ),
            (
                "EMULATED_ROOT_CA_KEY_PEM",
                pem::PRIVATE_KEY,
                root_key.serialize_der(),
            ),
            (
                "EMULATED_PLATFORM_CA_PEM",
                pem::CERTIFICATE,
                platform_cert.der().to_vec(),
            ),
            (
                "EMULATED_PLATFORM_CA_KEY_PEM",
                pem::PRIVATE_KEY,
                platform_key.serialize_der(),
            ),
            (
                "EMULATED_TCB_SIGNING_PEM",
                pem::CERTIFICATE,
                tcb_cert.der().to_vec(),
            ),
            (
                "EMULATED_TCB_SIGNING_KEY_PEM",
                pem::PRIVATE_KEY,
                tcb_key.serialize_der(),
            ),
        ] {
            println!(
                "pub const {name}: &str = \"\\\n{}\";\n",
                pem::encode(label, &der)
            );
        }
        if let Ok(path) = std::env::var("EKMS_EMULATED_ROOT_DER_OUT") {
            std::fs::write(path, root_cert.der()).unwrap();
        }
    }

    fn cert_der(pem_text: &str) -> Vec<u8> {
        pem::decode(pem_text.as_bytes(), pem::CERTIFICATE)
            .unwrap()
            .to_vec()
    }

    #[test]
    fn published_keys_belong_to_published_certificates() {
        for (cert_pem, key_pem) in [
            (EMULATED_ROOT_CA_PEM, EMULATED_ROOT_CA_KEY_PEM),
            (EMULATED_PLATFORM_CA_PEM, EMULATED_PLATFORM_CA_KEY_PEM),
            (EMULATED_TCB_SIGNING_PEM, EMULATED_TCB_SIGNING_KEY_PEM),
        ] {
            let der = cert_der(cert_pem);
            let (_, cert) = parse_x509_certificate(&der).unwrap();
            let key = KeyPair::from_pem(key_pem).unwrap();
            assert_eq!(
                cert.public_key().subject_public_key.data.as_ref(),
                key.public_key_raw()
            );
        }
    }

    #[test]
    fn published_certificates_have_the_documented_names_and_shape() {
        let root_der = cert_der(EMULATED_ROOT_CA_PEM);
        let platform_der = cert_der(EMULATED_PLATFORM_CA_PEM);
        let tcb_der = cert_der(EMULATED_TCB_SIGNING_PEM);
        let (_, root) = parse_x509_certificate(&root_der).unwrap();
        let (_, platform) = parse_x509_certificate(&platform_der).unwrap();
        let (_, tcb) = parse_x509_certificate(&tcb_der).unwrap();

        let subject = root.subject().to_string();
        assert!(
            subject.contains("CN=EMULATED SGX Root CA - NOT INTEL"),
            "{subject}"
        );
        assert!(subject.contains("O=ekms emulation"), "{subject}");
        assert!(subject.contains("OU=EMULATION ONLY"), "{subject}");
        assert_eq!(root.subject().as_raw(), root.issuer().as_raw());
        assert!(root.is_ca());

        let platform_subject = platform.subject().to_string();
        assert!(platform_subject.contains("Platform"), "{platform_subject}");
        assert!(platform_subject.contains("EMULATED"), "{platform_subject}");
        assert_eq!(platform.issuer().as_raw(), root.subject().as_raw());
        assert!(platform.is_ca());
        let ku = platform.key_usage().unwrap().unwrap().value;
        assert!(ku.key_cert_sign() && ku.crl_sign());

        assert!(tcb.subject().to_string().contains("TCB Signing"));
        assert_eq!(tcb.issuer().as_raw(), root.subject().as_raw());
        assert!(!tcb.is_ca());

        for cert in [&root, &platform, &tcb] {
            assert!(cert.extended_key_usage().unwrap().is_none());
            assert!(cert.extensions().iter().all(|e| !e.critical
                || e.oid == x509_parser::oid_registry::OID_X509_EXT_BASIC_CONSTRAINTS
                || e.oid == x509_parser::oid_registry::OID_X509_EXT_KEY_USAGE));
            assert_eq!(
                cert.validity().not_before.to_datetime(),
                EMULATED_PKI_NOT_BEFORE
            );
            assert_eq!(
                cert.validity().not_after.to_datetime(),
                EMULATED_PKI_NOT_AFTER
            );
        }
        // The runtime issuers write the published subjects byte for byte.
        let pki = Pki::load().unwrap();
        let crl = pki.pck_crl(OffsetDateTime::now_utc()).unwrap();
        let (_, crl) = parse_x509_crl(&crl).unwrap();
        assert_eq!(crl.issuer().as_raw(), platform.subject().as_raw());
        let crl = pki.root_ca_crl(OffsetDateTime::now_utc()).unwrap();
        let (_, crl) = parse_x509_crl(&crl).unwrap();
        assert_eq!(crl.issuer().as_raw(), root.subject().as_raw());
    }

    #[test]
    fn the_root_file_is_the_published_root() {
        assert_eq!(
            cert_der(EMULATED_ROOT_CA_PEM),
            crate::verify::EMULATED_SGX_ROOT_CA_DER
        );
    }
}
