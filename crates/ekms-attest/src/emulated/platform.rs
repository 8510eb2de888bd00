//! One emulated SGX platform: the per-machine secrets and keys a real CPU and its provisioning
//! would hold, kept in a directory (the server's `--emulated-platform-dir`).
//!
//! This module owns [`EmulatedPlatform`], the files of the platform directory, and the SGX
//! extension of the platform's PCK certificate ([`PckExtension`]). At first start
//! [`EmulatedPlatform::open_or_create`] generates what is missing; later starts load the same
//! files, so the platform keeps its identity (sealing secret, mr_signer, PCK certificate).
//!
//! | file | content |
//! |---|---|
//! | [`SEALING_SECRET_FILE`] (`sealing_secret`) | exactly 32 random bytes, raw: the secret sealing keys are derived from |
//! | [`SIGNER_KEY_FILE`] (`signer_key.pem`) | the enclave signer key, RSA-3072 with e = 3, PKCS#8 PEM; its public key gives mr_signer |
//! | [`PCK_KEY_FILE`] (`pck_key.pem`) | the PCK key, ECDSA P-256, PKCS#8 PEM |
//! | [`PCK_CERT_FILE`] (`pck_cert.pem`) | the PCK certificate, PEM, issued by the emulated Platform CA |
//! | [`ATTESTATION_KEY_FILE`] (`attestation_key.pem`) | the quoting enclave's attestation key, ECDSA P-256, PKCS#8 PEM |
//!
//! The directory is created with mode 0700 and every file with mode 0600, each written
//! atomically (a temporary file, fsync, then a link that never replaces an existing file, then
//! an fsync of the directory); a file another process created first wins and is loaded. A file
//! that exists but cannot be read as what it must be is reported as damaged, never replaced:
//! replacing the sealing secret would make every sealed file unreadable.
//!
//! Secrets in memory: the sealing secret lives in a [`Zeroizing`] buffer; private keys are
//! decoded into [`Zeroizing`] buffers and held by aws-lc-rs, which clears them when freed.

use std::fs;
use std::io::{ErrorKind, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use rsa::pkcs8::EncodePrivateKey as _;
use time::{Duration, OffsetDateTime};
use x509_parser::prelude::{FromDer as _, X509Certificate};
use zeroize::Zeroizing;

use super::collateral::PccsCollateral;
use super::pki::{self, Pki};
use super::qe::{self, EnclaveIdentity};
use super::{EmulatedError, der, pem};
use crate::measurement::{RSA3072_MODULUS_LEN, mr_signer};
use crate::verify::Collateral;

/// File of the sealing secret: exactly 32 random bytes, raw.
pub const SEALING_SECRET_FILE: &str = "sealing_secret";
/// File of the enclave signer key: RSA-3072, public exponent 3, PKCS#8 PEM.
pub const SIGNER_KEY_FILE: &str = "signer_key.pem";
/// File of the PCK private key: ECDSA P-256, PKCS#8 PEM.
pub const PCK_KEY_FILE: &str = "pck_key.pem";
/// File of the PCK certificate, PEM.
pub const PCK_CERT_FILE: &str = "pck_cert.pem";
/// File of the quoting enclave's attestation key: ECDSA P-256, PKCS#8 PEM.
pub const ATTESTATION_KEY_FILE: &str = "attestation_key.pem";

/// Length of the sealing secret.
pub const SEALING_SECRET_LEN: usize = 32;

/// The FMSPC of emulated platforms (`EE4B4D530000`; Intel's FMSPCs do not start with `EE`).
pub const EMULATED_FMSPC: [u8; 6] = [0xee, 0x4b, 0x4d, 0x53, 0x00, 0x00];
/// The CPU SVN (16 TCB components) of emulated platforms.
pub const EMULATED_CPU_SVN: [u8; 16] = [5, 5, 2, 2, 4, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0];
/// The PCE SVN of emulated platforms.
pub const EMULATED_PCE_SVN: u16 = 13;
/// The PCE id of emulated platforms (`0000`, as on every Intel platform).
pub const EMULATED_PCE_ID: [u8; 2] = [0, 0];
/// SGX type Standard (the value of the SGX Type extension).
pub const SGX_TYPE_STANDARD: u8 = 0;

/// OID of the Intel SGX extension of PCK certificates.
pub(crate) const SGX_EXTENSION_OID: &[u64] = &[1, 2, 840, 113741, 1, 13, 1];
const SGX_ARC: [u64; 7] = [1, 2, 840, 113741, 1, 13, 1];

fn sgx_oid(sub: &[u64]) -> Vec<u8> {
    let mut arcs = SGX_ARC.to_vec();
    arcs.extend_from_slice(sub);
    der::oid_content(&arcs)
}

/// How long a new PCK certificate is valid (Intel's are valid for seven years).
const PCK_VALIDITY: Duration = Duration::days(7 * 365);

/// The TCB of a platform: what TCB info levels are matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlatformTcb {
    /// The 16 SGX TCB components (the CPU SVN).
    pub cpu_svn: [u8; 16],
    /// The PCE SVN.
    pub pce_svn: u16,
}

impl PlatformTcb {
    /// The TCB every emulated platform is created with.
    pub const EMULATED: PlatformTcb = PlatformTcb {
        cpu_svn: EMULATED_CPU_SVN,
        pce_svn: EMULATED_PCE_SVN,
    };
}

/// The values of the SGX extension (OID 1.2.840.113741.1.13.1) of a PCK certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PckExtension {
    /// Platform provisioning id (random for an emulated platform).
    pub ppid: [u8; 16],
    /// The platform TCB (components 1..16 and PCE SVN, with the CPU SVN).
    pub tcb: PlatformTcb,
    /// PCE id.
    pub pce_id: [u8; 2],
    /// FMSPC.
    pub fmspc: [u8; 6],
    /// SGX type (0 Standard, 1 Scalable, 2 Scalable with integrity).
    pub sgx_type: u8,
    /// Platform instance id (Platform CA certificates carry one).
    pub platform_instance_id: [u8; 16],
}

impl PckExtension {
    /// The DER value of the extension, laid out as in Intel's PCK certificates issued by the
    /// Platform CA: PPID, TCB (16 components, PCE SVN, CPU SVN), PCE-ID, FMSPC, SGX Type,
    /// Platform Instance ID, Configuration (dynamic platform, cached keys, SMT all false).
    pub fn to_der(&self) -> Vec<u8> {
        let entry = |sub: &[u64], value: Vec<u8>| {
            let mut arcs = SGX_ARC.to_vec();
            arcs.extend_from_slice(sub);
            der::sequence(&[der::oid(&arcs), value])
        };
        let mut tcb: Vec<Vec<u8>> = (1u64..)
            .zip(self.tcb.cpu_svn)
            .map(|(i, svn)| entry(&[2, i], der::integer(u64::from(svn))))
            .collect();
        tcb.push(entry(&[2, 17], der::integer(u64::from(self.tcb.pce_svn))));
        tcb.push(entry(&[2, 18], der::octet_string(&self.tcb.cpu_svn)));
        der::sequence(&[
            entry(&[1], der::octet_string(&self.ppid)),
            entry(&[2], der::sequence(&tcb)),
            entry(&[3], der::octet_string(&self.pce_id)),
            entry(&[4], der::octet_string(&self.fmspc)),
            entry(&[5], der::enumerated(self.sgx_type)),
            entry(&[6], der::octet_string(&self.platform_instance_id)),
            entry(
                &[7],
                der::sequence(&[
                    entry(&[7, 1], der::boolean(false)),
                    entry(&[7, 2], der::boolean(false)),
                    entry(&[7, 3], der::boolean(false)),
                ]),
            ),
        ])
    }

    /// Read the extension value written by [`PckExtension::to_der`] (or Intel's layout).
    pub fn from_der(value: &[u8]) -> Option<Self> {
        let top = der::read_exact(value, der::TAG_SEQUENCE)?;
        let entries = der::oid_entries(top)?;
        let find = |sub: &[u64]| {
            let want = sgx_oid(sub);
            entries
                .iter()
                .find(|(name, _)| *name == want.as_slice())
                .map(|(_, v)| *v)
        };
        let octets = |sub: &[u64]| {
            find(sub)
                .filter(|e| e.tag == der::TAG_OCTET_STRING)
                .map(|e| e.content)
        };
        let tcb = find(&[2]).filter(|e| e.tag == der::TAG_SEQUENCE)?;
        let tcb_entries = der::oid_entries(tcb.content)?;
        let tcb_find = |sub: &[u64]| {
            let want = sgx_oid(sub);
            tcb_entries
                .iter()
                .find(|(name, _)| *name == want.as_slice())
                .map(|(_, v)| *v)
        };
        let pce_svn = u16::try_from(der::integer_value(&tcb_find(&[2, 17])?)?).ok()?;
        let cpu_svn = tcb_find(&[2, 18]).filter(|e| e.tag == der::TAG_OCTET_STRING)?;
        let sgx_type = find(&[5]).filter(|e| e.tag == der::TAG_ENUMERATED)?;
        Some(Self {
            ppid: octets(&[1])?.try_into().ok()?,
            tcb: PlatformTcb {
                cpu_svn: cpu_svn.content.try_into().ok()?,
                pce_svn,
            },
            pce_id: octets(&[3])?.try_into().ok()?,
            fmspc: octets(&[4])?.try_into().ok()?,
            sgx_type: match sgx_type.content {
                [v] => *v,
                _ => return None,
            },
            platform_instance_id: octets(&[6])?.try_into().ok()?,
        })
    }
}

/// An emulated SGX platform, loaded from (or created in) its directory.
///
/// It provides the sealing secret, the enclave signer identity (mr_signer), the PCK chain, the
/// emulated quoting enclave ([`EmulatedPlatform::quote`]) and matching collateral
/// ([`EmulatedPlatform::collateral`]). Everything it signs chains to the **published**
/// emulated root ([`pki::EMULATED_ROOT_CA_PEM`]), so it proves the protocol, never the
/// hardware.
pub struct EmulatedPlatform {
    dir: PathBuf,
    sealing_secret: Zeroizing<[u8; SEALING_SECRET_LEN]>,
    signer_public_key_pem: String,
    mr_signer: [u8; 32],
    pck_key: EcdsaKeyPair,
    pck_cert_pem: String,
    pck: PckExtension,
    attestation_key: EcdsaKeyPair,
    attestation_public_key: [u8; 64],
}

impl std::fmt::Debug for EmulatedPlatform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatedPlatform")
            .field("dir", &self.dir)
            .field("mr_signer", &hex::encode(self.mr_signer))
            .field("fmspc", &hex::encode_upper(self.pck.fmspc))
            .finish_non_exhaustive()
    }
}

impl EmulatedPlatform {
    /// Open the platform in `dir`, creating the directory (mode 0700) and generating every
    /// missing file (mode 0600) first. Existing files are loaded, never replaced; a damaged one
    /// is an error ([`EmulatedError::Damaged`]).
    pub fn open_or_create(dir: impl AsRef<Path>) -> Result<Self, EmulatedError> {
        let dir = dir.as_ref().to_path_buf();
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|source| EmulatedError::Io {
                path: dir.clone(),
                source,
            })?;

        let path = dir.join(SEALING_SECRET_FILE);
        let bytes = ensure_file(&path, || {
            let mut secret = Zeroizing::new(vec![0u8; SEALING_SECRET_LEN]);
            fill_random(&mut secret)?;
            Ok(secret)
        })?;
        let sealing_secret = Zeroizing::new(
            <[u8; SEALING_SECRET_LEN]>::try_from(bytes.as_slice())
                .map_err(|_| damaged(&path, format!("expected {SEALING_SECRET_LEN} bytes")))?,
        );

        let path = dir.join(SIGNER_KEY_FILE);
        let bytes = ensure_file(&path, generate_signer_key)?;
        let signer_public_key_der =
            load_signer_public_key(&bytes).map_err(|e| damaged(&path, e))?;
        let signer_public_key_pem = pem::encode(pem::PUBLIC_KEY, &signer_public_key_der);
        let mr_signer =
            mr_signer(&signer_public_key_der).map_err(|e| damaged(&path, e.to_string()))?;

        let path = dir.join(PCK_KEY_FILE);
        let bytes = ensure_file(&path, generate_p256_key)?;
        let pck_key = load_p256_key(&bytes).map_err(|e| damaged(&path, e))?;

        let path = dir.join(PCK_CERT_FILE);
        let bytes = ensure_file(&path, || issue_pck_certificate(&pck_key))?;
        let (pck_cert_pem, pck) =
            load_pck_certificate(&bytes, &pck_key).map_err(|e| damaged(&path, e))?;

        let path = dir.join(ATTESTATION_KEY_FILE);
        let bytes = ensure_file(&path, generate_p256_key)?;
        let attestation_key = load_p256_key(&bytes).map_err(|e| damaged(&path, e))?;
        let attestation_public_key = raw_p256_public_key(&attestation_key)
            .ok_or_else(|| damaged(&path, "not a P-256 key".to_string()))?;

        Ok(Self {
            dir,
            sealing_secret,
            signer_public_key_pem,
            mr_signer,
            pck_key,
            pck_cert_pem,
            pck,
            attestation_key,
            attestation_public_key,
        })
    }

    /// The platform directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The 32-byte secret sealing keys are derived from (the emulated CPU's fused secret).
    pub fn sealing_secret(&self) -> &[u8; SEALING_SECRET_LEN] {
        &self.sealing_secret
    }

    /// The enclave signer's RSA-3072 public key, PEM (`PUBLIC KEY`, SubjectPublicKeyInfo).
    pub fn signer_public_key_pem(&self) -> &str {
        &self.signer_public_key_pem
    }

    /// mr_signer of the enclave signer key: `measurement::mr_signer(signer_public_key_pem)`.
    pub fn mr_signer(&self) -> [u8; 32] {
        self.mr_signer
    }

    /// The platform's PCK certificate, PEM.
    pub fn pck_cert_pem(&self) -> &str {
        &self.pck_cert_pem
    }

    /// The PCK certificate chain, PEM, leaf first: PCK certificate, emulated Platform CA,
    /// emulated root. This is what a quote's certification data (type 5) carries.
    pub fn pck_chain_pem(&self) -> String {
        format!("{}{}", self.pck_cert_pem, pki::pck_crl_issuer_chain_pem())
    }

    /// The values of the PCK certificate's SGX extension.
    pub fn pck_extension(&self) -> &PckExtension {
        &self.pck
    }

    /// The platform's FMSPC.
    pub fn fmspc(&self) -> [u8; 6] {
        self.pck.fmspc
    }

    /// The platform's TCB.
    pub fn tcb(&self) -> PlatformTcb {
        self.pck.tcb
    }

    /// The quoting enclave's attestation public key (`x ‖ y`).
    pub fn attestation_public_key(&self) -> [u8; 64] {
        self.attestation_public_key
    }

    /// The emulated quoting enclave: a DCAP v3 quote for an enclave of identity `identity`
    /// whose report carries `report_data` (see [`crate::emulated`] for how it is made).
    pub fn quote(
        &self,
        identity: &EnclaveIdentity,
        report_data: &[u8; 64],
    ) -> Result<Vec<u8>, EmulatedError> {
        qe::make_quote(
            &qe::QeKeys {
                attestation_key: &self.attestation_key,
                attestation_public_key: &self.attestation_public_key,
                pck_key: &self.pck_key,
                pck_chain_pem: &self.pck_chain_pem(),
                tcb: self.pck.tcb,
            },
            identity,
            report_data,
        )
    }

    /// The pieces a PCCS serves for this platform, made for time `now` (in date from
    /// `now - 1 day` to `now + 30 days`).
    pub fn pccs_collateral(&self, now: OffsetDateTime) -> Result<PccsCollateral, EmulatedError> {
        PccsCollateral::generate(self.pck.fmspc, self.pck.tcb, self.pck.pce_id, now)
    }

    /// Collateral verifying this platform's quotes at `now` (dcap-qvl's `QuoteCollateralV3`).
    pub fn collateral(&self, now: OffsetDateTime) -> Result<Collateral, EmulatedError> {
        Ok(self.pccs_collateral(now)?.to_collateral())
    }
}

fn damaged(path: &Path, reason: String) -> EmulatedError {
    EmulatedError::Damaged {
        path: path.to_path_buf(),
        reason,
    }
}

fn fill_random(buf: &mut [u8]) -> Result<(), EmulatedError> {
    SystemRandom::new()
        .fill(buf)
        .map_err(|_| EmulatedError::Crypto("the system random generator failed".to_string()))
}

/// The contents of `path`, creating it with `make()` first if it does not exist.
fn ensure_file(
    path: &Path,
    make: impl FnOnce() -> Result<Zeroizing<Vec<u8>>, EmulatedError>,
) -> Result<Zeroizing<Vec<u8>>, EmulatedError> {
    let io = |source| EmulatedError::Io {
        path: path.to_path_buf(),
        source,
    };
    match fs::read(path) {
        Ok(bytes) => return Ok(Zeroizing::new(bytes)),
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(io(e)),
    }
    let bytes = make()?;
    write_new_private_file(path, &bytes)?;
    // Read back: if another process created the file first, its version is the one.
    fs::read(path).map(Zeroizing::new).map_err(io)
}

/// Create `path` with `bytes`, mode 0600, atomically: a temporary file in the same directory,
/// fsync, then a hard link to `path` (which fails if `path` exists, so nothing is replaced),
/// then an fsync of the directory.
fn write_new_private_file(path: &Path, bytes: &[u8]) -> Result<(), EmulatedError> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| EmulatedError::Io { path: p, source }
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut nonce = [0u8; 8];
    fill_random(&mut nonce)?;
    let tmp = dir.join(format!(".{name}.{}.tmp", hex::encode(nonce)));
    let result = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(io(&tmp))?;
        file.write_all(bytes).map_err(io(&tmp))?;
        file.sync_all().map_err(io(&tmp))?;
        drop(file);
        match fs::hard_link(&tmp, path) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
            // A filesystem without hard links: rename, which replaces a file created by a
            // concurrent process in the meantime (the window is this very instant).
            Err(_) => fs::rename(&tmp, path).map_err(io(path))?,
        }
        fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io(dir))
    })();
    let _ = fs::remove_file(&tmp);
    result
}

/// A random RSA-3072 key with public exponent 3, PKCS#8 PEM.
fn generate_signer_key() -> Result<Zeroizing<Vec<u8>>, EmulatedError> {
    let exponent = rsa::BoxedUint::from(3u64);
    let key = rsa::PrivateKey::new_with_exp(&mut AwsLcRng, 3072, exponent)
        .map_err(|e| EmulatedError::Crypto(format!("generating the signer key: {e}")))?;
    let pem = key
        .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
        .map_err(|e| EmulatedError::Crypto(format!("encoding the signer key: {e}")))?;
    Ok(Zeroizing::new(pem.as_bytes().to_vec()))
}

/// The SubjectPublicKeyInfo (DER) of the signer key in `pem_bytes`, which must be RSA-3072 with
/// public exponent 3.
fn load_signer_public_key(pem_bytes: &[u8]) -> Result<Vec<u8>, String> {
    let der = pem::decode(pem_bytes, pem::PRIVATE_KEY)?;
    let key = aws_lc_rs::rsa::KeyPair::from_pkcs8(&der).map_err(|e| e.to_string())?;
    let public = key.public_key();
    if public.modulus_len() != RSA3072_MODULUS_LEN {
        return Err(format!(
            "the signer key must be RSA-3072, this one has {} bits",
            public.modulus_len().saturating_mul(8)
        ));
    }
    if public.exponent().big_endian_without_leading_zero() != [3] {
        return Err("the signer key's public exponent must be 3, as SGX requires".to_string());
    }
    let spki = public.as_der().map_err(|e| e.to_string())?;
    Ok(spki.as_ref().to_vec())
}

/// A random ECDSA P-256 key, PKCS#8 PEM.
fn generate_p256_key() -> Result<Zeroizing<Vec<u8>>, EmulatedError> {
    let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
        .map_err(|_| EmulatedError::Crypto("generating a P-256 key failed".to_string()))?;
    Ok(Zeroizing::new(
        Zeroizing::new(pem::encode(pem::PRIVATE_KEY, doc.as_ref()))
            .as_bytes()
            .to_vec(),
    ))
}

fn load_p256_key(pem_bytes: &[u8]) -> Result<EcdsaKeyPair, String> {
    let der = pem::decode(pem_bytes, pem::PRIVATE_KEY)?;
    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der).map_err(|e| e.to_string())
}

/// `x ‖ y` of a P-256 key pair's public key.
fn raw_p256_public_key(key: &EcdsaKeyPair) -> Option<[u8; 64]> {
    match key.public_key().as_ref() {
        [0x04, point @ ..] => point.try_into().ok(),
        _ => None,
    }
}

/// A new PCK certificate (PEM) for `pck_key`: random PPID and platform instance id, the
/// emulated FMSPC and TCB, PCE-ID 0000, SGX type Standard.
fn issue_pck_certificate(pck_key: &EcdsaKeyPair) -> Result<Zeroizing<Vec<u8>>, EmulatedError> {
    let mut ppid = [0u8; 16];
    fill_random(&mut ppid)?;
    let mut platform_instance_id = [0u8; 16];
    fill_random(&mut platform_instance_id)?;
    let extension = PckExtension {
        ppid,
        tcb: PlatformTcb::EMULATED,
        pce_id: EMULATED_PCE_ID,
        fmspc: EMULATED_FMSPC,
        sgx_type: SGX_TYPE_STANDARD,
        platform_instance_id,
    };
    let mut serial = [0u8; 16];
    fill_random(&mut serial)?;
    serial[0] = (serial[0] & 0x7f) | 0x01;
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or(pki::EMULATED_PKI_NOT_BEFORE);
    let not_before = (now - Duration::days(1)).max(pki::EMULATED_PKI_NOT_BEFORE);
    let not_after = (now + PCK_VALIDITY).min(pki::EMULATED_PKI_NOT_AFTER);
    let params = pki::pck_params(extension.to_der(), &serial, not_before, not_after);
    let der = Pki::load()?.issue_pck(&params, pck_key.public_key().as_ref())?;
    Ok(Zeroizing::new(
        pem::encode(pem::CERTIFICATE, &der).into_bytes(),
    ))
}

/// The PEM and SGX extension of the PCK certificate in `pem_bytes`, checked to certify
/// `pck_key` and to be issued by the emulated Platform CA.
fn load_pck_certificate(
    pem_bytes: &[u8],
    pck_key: &EcdsaKeyPair,
) -> Result<(String, PckExtension), String> {
    let der = pem::decode(pem_bytes, pem::CERTIFICATE)?;
    let (rest, cert) = X509Certificate::from_der(&der).map_err(|e| e.to_string())?;
    if !rest.is_empty() {
        return Err("trailing bytes after the certificate".to_string());
    }
    if cert.public_key().subject_public_key.data.as_ref() != pck_key.public_key().as_ref() {
        return Err(format!("it does not certify the key in {PCK_KEY_FILE}"));
    }
    let ca_der = pem::decode(pki::EMULATED_PLATFORM_CA_PEM.as_bytes(), pem::CERTIFICATE)?;
    let (_, ca) = X509Certificate::from_der(&ca_der).map_err(|e| e.to_string())?;
    if cert.issuer().as_raw() != ca.subject().as_raw() {
        return Err(format!(
            "it is not issued by the emulated Platform CA ({})",
            cert.issuer()
        ));
    }
    let oid = x509_parser::der_parser::oid::Oid::from(SGX_EXTENSION_OID)
        .map_err(|_| "bad SGX extension OID".to_string())?;
    let extension = cert
        .get_extension_unique(&oid)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "no SGX extension".to_string())?;
    let pck = PckExtension::from_der(extension.value)
        .ok_or_else(|| "unreadable SGX extension".to_string())?;
    Ok((pem::encode(pem::CERTIFICATE, &der), pck))
}

/// aws-lc-rs's random generator, in the shape the `rsa` crate asks for.
struct AwsLcRng;

/// The system random generator failed.
#[derive(Debug)]
struct RngFailed;

impl std::fmt::Display for RngFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the system random generator failed")
    }
}

impl std::error::Error for RngFailed {}

impl rsa::rand_core::TryRng for AwsLcRng {
    type Error = RngFailed;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        aws_lc_rs::rand::fill(dst).map_err(|_| RngFailed)
    }
}

impl rsa::rand_core::TryCryptoRng for AwsLcRng {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pck_extension_round_trips_and_has_intel_layout() {
        let ext = PckExtension {
            ppid: [7; 16],
            tcb: PlatformTcb {
                cpu_svn: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 255],
                pce_svn: 300,
            },
            pce_id: [0, 0],
            fmspc: EMULATED_FMSPC,
            sgx_type: SGX_TYPE_STANDARD,
            platform_instance_id: [9; 16],
        };
        let der = ext.to_der();
        assert_eq!(PckExtension::from_der(&der), Some(ext.clone()));
        // Starts as Intel's does: SEQUENCE, then SEQUENCE { OID ...13.1.1, OCTET STRING(16) }.
        let ppid_entry = [
            0x30, 0x1e, 0x06, 0x0a, 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01, 0x01,
            0x04, 0x10,
        ];
        let at = der
            .windows(ppid_entry.len())
            .position(|w| w == ppid_entry)
            .expect("PPID entry");
        assert!(at <= 4);
        assert!(PckExtension::from_der(&der[..der.len() - 1]).is_none());
    }

    #[test]
    fn files_are_written_once_with_mode_0600() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let made = ensure_file(&path, || Ok(Zeroizing::new(b"one".to_vec()))).unwrap();
        assert_eq!(made.as_slice(), b"one");
        let again = ensure_file(&path, || panic!("must not be made again")).unwrap();
        assert_eq!(again.as_slice(), b"one");
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        // A second writer never replaces the first file.
        write_new_private_file(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"one");
        // No temporary file is left behind.
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["f"]);
    }

    #[test]
    fn concurrent_creators_agree_on_one_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        let results: Vec<Vec<u8>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0u8..8)
                .map(|i| {
                    let path = &path;
                    scope.spawn(move || {
                        ensure_file(path, || Ok(Zeroizing::new(vec![i; 32])))
                            .unwrap()
                            .to_vec()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let on_disk = fs::read(&path).unwrap();
        assert!(results.iter().all(|r| *r == on_disk), "{results:?}");
    }
}
