//! Enclave identities: mr_signer from a signer's public key, and the emulated mr_enclave.
//!
//! This module owns the two measurement computations of docs/measurement.md:
//!
//! * [`mr_signer`]: SHA-256 of the signer's RSA-3072 modulus written as 384 little-endian bytes,
//!   the form a SIGSTRUCT stores it in. The key may be given as PEM or DER, SubjectPublicKeyInfo
//!   or PKCS#1 `RSAPublicKey`.
//! * [`emulated_mr_enclave`]: the measurement the emulated platform reports for a manifest. It
//!   uses the SGX measurement records (ECREATE, then EADD and EEXTEND) over the manifest bytes
//!   laid out as consecutive 4 KiB pages from enclave offset 0, zero-padded, hashed with SHA-256.
//!   This layout is ekms' own, for emulation only: it does not reproduce the mr_enclave Gramine
//!   computes for a real enclave (that one comes from `gramine-sgx-sign`'s SIGSTRUCT). The
//!   records and a test vector are written down in `docs/measurement.md`.
//! * [`MeasurementBlock`]: the text block that states an enclave's identity, printed by the
//!   server at start and by `ekms enclave sigstruct --measurement` (the deploy scripts), so that
//!   an operator compares the two by eye or by `diff`.

use thiserror::Error;
use x509_parser::prelude::FromDer;
use x509_parser::public_key::{PublicKey, RSAPublicKey};
use x509_parser::x509::SubjectPublicKeyInfo;

/// Size of an SGX page.
pub const PAGE_SIZE: usize = 4096;
/// Bytes of page content each EEXTEND record measures.
pub const EEXTEND_CHUNK: usize = 256;
/// SECINFO flag: readable page.
pub const SECINFO_R: u64 = 0x1;
/// SECINFO flag: writable page.
pub const SECINFO_W: u64 = 0x2;
/// SECINFO flag: executable page.
pub const SECINFO_X: u64 = 0x4;
/// SECINFO page type REG (regular page), in bits 8..16 of the flags.
pub const SECINFO_PT_REG: u64 = 2 << 8;
/// The size in bytes of an RSA-3072 modulus.
pub const RSA3072_MODULUS_LEN: usize = 384;

const ECREATE_TAG: &[u8; 8] = b"ECREATE\0";
const EADD_TAG: &[u8; 8] = b"EADD\0\0\0\0";
const EEXTEND_TAG: &[u8; 8] = b"EEXTEND\0";
/// Every measurement record is one SHA-256 block.
const RECORD_LEN: usize = 64;

/// Why a public key could not give an mr_signer.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PublicKeyError {
    /// PEM armour that could not be read.
    #[error("invalid PEM: {0}")]
    Pem(String),
    /// A PEM block whose label is neither `PUBLIC KEY` nor `RSA PUBLIC KEY`.
    #[error("unsupported PEM label {0:?} (expected PUBLIC KEY or RSA PUBLIC KEY)")]
    UnsupportedPemLabel(String),
    /// Bytes that are neither a SubjectPublicKeyInfo nor a PKCS#1 RSAPublicKey.
    #[error("not a DER SubjectPublicKeyInfo or PKCS#1 RSAPublicKey")]
    InvalidDer,
    /// A key of another algorithm than RSA.
    #[error("not an RSA public key")]
    NotRsa,
    /// An RSA key whose modulus is not 3072 bits.
    #[error("the SGX signer key must be RSA-3072, this modulus has {bits} bits")]
    NotRsa3072 {
        /// Bit length of the modulus found.
        bits: usize,
    },
}

/// mr_signer of the enclave signer whose RSA-3072 public key is given as PEM (`PUBLIC KEY` or
/// `RSA PUBLIC KEY`) or DER (SubjectPublicKeyInfo or PKCS#1 `RSAPublicKey`).
pub fn mr_signer(public_key: &[u8]) -> Result<[u8; 32], PublicKeyError> {
    let modulus = rsa3072_modulus_le(public_key)?;
    Ok(mr_signer_from_modulus_le(&modulus))
}

/// mr_signer from a modulus already in SIGSTRUCT form (384 little-endian bytes).
pub fn mr_signer_from_modulus_le(modulus_le: &[u8; RSA3072_MODULUS_LEN]) -> [u8; 32] {
    sha256(modulus_le)
}

/// The modulus of an RSA-3072 public key (PEM or DER, SPKI or PKCS#1) as 384 little-endian
/// bytes, the form SIGSTRUCT stores.
pub fn rsa3072_modulus_le(public_key: &[u8]) -> Result<[u8; RSA3072_MODULUS_LEN], PublicKeyError> {
    let trimmed = public_key.trim_ascii_start();
    if trimmed.starts_with(b"-----BEGIN") {
        let (_, pem) = x509_parser::pem::parse_x509_pem(trimmed)
            .map_err(|e| PublicKeyError::Pem(e.to_string()))?;
        match pem.label.as_str() {
            "PUBLIC KEY" => modulus_from_spki(&pem.contents),
            "RSA PUBLIC KEY" => modulus_from_pkcs1(&pem.contents),
            other => Err(PublicKeyError::UnsupportedPemLabel(other.to_string())),
        }
    } else {
        match modulus_from_spki(public_key) {
            Err(PublicKeyError::InvalidDer) => modulus_from_pkcs1(public_key),
            other => other,
        }
    }
}

fn modulus_from_spki(der: &[u8]) -> Result<[u8; RSA3072_MODULUS_LEN], PublicKeyError> {
    let (rest, spki) =
        SubjectPublicKeyInfo::from_der(der).map_err(|_| PublicKeyError::InvalidDer)?;
    if !rest.is_empty() {
        return Err(PublicKeyError::InvalidDer);
    }
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => modulus_le(&rsa),
        Ok(_) => Err(PublicKeyError::NotRsa),
        Err(_) => Err(PublicKeyError::InvalidDer),
    }
}

fn modulus_from_pkcs1(der: &[u8]) -> Result<[u8; RSA3072_MODULUS_LEN], PublicKeyError> {
    let (rest, rsa) = RSAPublicKey::from_der(der).map_err(|_| PublicKeyError::InvalidDer)?;
    if !rest.is_empty() {
        return Err(PublicKeyError::InvalidDer);
    }
    modulus_le(&rsa)
}

fn modulus_le(rsa: &RSAPublicKey<'_>) -> Result<[u8; RSA3072_MODULUS_LEN], PublicKeyError> {
    // A DER INTEGER is big-endian, with a leading zero when the top bit is set.
    let first_nonzero = rsa
        .modulus
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(rsa.modulus.len());
    let magnitude = rsa.modulus.get(first_nonzero..).unwrap_or_default();
    let bits = match magnitude.first() {
        Some(top) => magnitude
            .len()
            .saturating_mul(8)
            .saturating_sub(top.leading_zeros() as usize),
        None => 0,
    };
    if bits != RSA3072_MODULUS_LEN * 8 {
        return Err(PublicKeyError::NotRsa3072 { bits });
    }
    let mut out = [0u8; RSA3072_MODULUS_LEN];
    for (dst, src) in out.iter_mut().zip(magnitude.iter().rev()) {
        *dst = *src;
    }
    Ok(out)
}

/// The enclave geometry the emulated measurement records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmulatedEnclaveLayout {
    /// Enclave size in bytes (ECREATE's SIZE): a power of two at least as large as the
    /// measured pages.
    pub enclave_size: u64,
    /// SSA frame size in pages (ECREATE's SSAFRAMESIZE).
    pub ssa_frame_pages: u32,
    /// SECINFO flags of the manifest pages (EADD), by default read-only regular pages.
    pub page_flags: u64,
}

impl EmulatedEnclaveLayout {
    /// A layout of `enclave_size` bytes with one SSA page and read-only regular pages.
    pub fn new(enclave_size: u64) -> Self {
        Self {
            enclave_size,
            ssa_frame_pages: 1,
            page_flags: SECINFO_R | SECINFO_PT_REG,
        }
    }
}

/// Why an emulated measurement could not be made.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MeasureError {
    /// The enclave size is zero or not a power of two.
    #[error("enclave size {0} is not a power of two")]
    EnclaveSizeNotPowerOfTwo(u64),
    /// The manifest contains a NUL byte. A manifest is text; refusing NUL keeps zero padding
    /// unambiguous (otherwise a manifest and the same manifest plus trailing NULs would measure
    /// alike).
    #[error("the manifest contains a NUL byte")]
    NulInManifest,
    /// The manifest's pages do not fit in the enclave.
    #[error("the manifest needs {needed} bytes of pages, the enclave has {enclave_size}")]
    ManifestTooLarge {
        /// Bytes of pages the manifest occupies.
        needed: u64,
        /// The enclave size.
        enclave_size: u64,
    },
}

/// The emulated mr_enclave of a manifest (`docs/measurement.md`).
///
/// SHA-256 over, in order: one ECREATE record (`"ECREATE\0"`, SSA frame size u32, enclave size
/// u64, 44 zero bytes); then for each 4 KiB page of the manifest, zero-padded, at offsets 0,
/// 4096, …: one EADD record (`"EADD\0\0\0\0"`, page offset u64, SECINFO flags u64, 40 zero
/// bytes) followed by sixteen EEXTEND records (`"EEXTEND\0"`, chunk offset u64, 48 zero bytes,
/// then the chunk's 256 bytes). Integers are little-endian. An empty manifest measures no page.
/// A manifest containing a NUL byte is refused, so zero padding cannot make two manifests
/// measure alike.
///
/// SGX does not measure enclave attributes into mr_enclave, and neither does this: the debug
/// flag, isv_prod_id and isv_svn are lines of the manifest, so they are covered by its bytes.
pub fn emulated_mr_enclave(
    manifest: &[u8],
    layout: &EmulatedEnclaveLayout,
) -> Result<[u8; 32], MeasureError> {
    if !layout.enclave_size.is_power_of_two() {
        return Err(MeasureError::EnclaveSizeNotPowerOfTwo(layout.enclave_size));
    }
    if manifest.contains(&0) {
        return Err(MeasureError::NulInManifest);
    }
    let pages = manifest.len().div_ceil(PAGE_SIZE);
    let needed = u64::try_from(pages)
        .ok()
        .and_then(|p| p.checked_mul(PAGE_SIZE as u64))
        .unwrap_or(u64::MAX);
    if needed > layout.enclave_size {
        return Err(MeasureError::ManifestTooLarge {
            needed,
            enclave_size: layout.enclave_size,
        });
    }

    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);

    let mut ecreate = [0u8; RECORD_LEN];
    put(&mut ecreate, 0, ECREATE_TAG);
    put(&mut ecreate, 8, &layout.ssa_frame_pages.to_le_bytes());
    put(&mut ecreate, 12, &layout.enclave_size.to_le_bytes());
    ctx.update(&ecreate);

    let mut page_offset: u64 = 0;
    for chunk in manifest.chunks(PAGE_SIZE) {
        let mut page = [0u8; PAGE_SIZE];
        put(&mut page, 0, chunk);

        let mut eadd = [0u8; RECORD_LEN];
        put(&mut eadd, 0, EADD_TAG);
        put(&mut eadd, 8, &page_offset.to_le_bytes());
        put(&mut eadd, 16, &layout.page_flags.to_le_bytes());
        ctx.update(&eadd);

        let mut chunk_offset = page_offset;
        for piece in page.chunks(EEXTEND_CHUNK) {
            let mut eextend = [0u8; RECORD_LEN];
            put(&mut eextend, 0, EEXTEND_TAG);
            put(&mut eextend, 8, &chunk_offset.to_le_bytes());
            ctx.update(&eextend);
            ctx.update(piece);
            chunk_offset = chunk_offset.saturating_add(EEXTEND_CHUNK as u64);
        }
        page_offset = page_offset.saturating_add(PAGE_SIZE as u64);
    }

    let digest = ctx.finish();
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    Ok(out)
}

/// Copy `src` into `dst` at `at`, as far as `dst` reaches (callers pass fitting sizes).
fn put(dst: &mut [u8], at: usize, src: &[u8]) {
    if let Some(window) = dst.get_mut(at..) {
        for (d, s) in window.iter_mut().zip(src) {
            *d = *s;
        }
    }
}

fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// An enclave's identity as the server prints it at start (`mode:`, `Measurement:` with
/// mr_enclave on its own indented line, then `Attributes:`). One formatting for every printer,
/// so that the block `deploy/sgx/build.sh` prints for a SIGSTRUCT and the one a server running
/// that enclave prints are equal line for line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeasurementBlock<'a> {
    /// "emulated" or "sgx".
    pub mode: &'a str,
    /// The enclave measurement.
    pub mr_enclave: [u8; 32],
    /// SHA-256 of the signer's modulus.
    pub mr_signer: [u8; 32],
    /// ISV product id.
    pub isv_prod_id: u16,
    /// ISV security version.
    pub isv_svn: u16,
    /// Whether the enclave runs in debug mode.
    pub debug: bool,
}

impl std::fmt::Display for MeasurementBlock<'_> {
    /// The lines without a final newline.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mr_enclave = hex::encode(self.mr_enclave);
        write!(
            f,
            "mode: {}\nMeasurement:\n    {mr_enclave}\nAttributes:\n    mr_enclave: {mr_enclave}\n    mr_signer: {}\n    isv_prod_id: {}\n    isv_svn: {}\n    debug: {}",
            self.mode,
            hex::encode(self.mr_signer),
            self.isv_prod_id,
            self.isv_svn,
            self.debug
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measurement_block_has_the_documented_layout() {
        let block = MeasurementBlock {
            mode: "sgx",
            mr_enclave: [0xab; 32],
            mr_signer: [0x01; 32],
            isv_prod_id: 7,
            isv_svn: 42,
            debug: false,
        };
        let enclave = "ab".repeat(32);
        let signer = "01".repeat(32);
        assert_eq!(
            block.to_string(),
            format!(
                "mode: sgx\nMeasurement:\n    {enclave}\nAttributes:\n    mr_enclave: {enclave}\n    mr_signer: {signer}\n    isv_prod_id: 7\n    isv_svn: 42\n    debug: false"
            )
        );
    }

    /// An independent, naive construction of the same records, for cross-checking.
    fn naive(manifest: &[u8], size: u64, ssa: u32, flags: u64) -> [u8; 32] {
        let mut stream = Vec::new();
        stream.extend_from_slice(b"ECREATE\0");
        stream.extend_from_slice(&ssa.to_le_bytes());
        stream.extend_from_slice(&size.to_le_bytes());
        stream.extend_from_slice(&[0u8; 44]);
        let mut padded = manifest.to_vec();
        padded.resize(manifest.len().div_ceil(4096) * 4096, 0);
        for (p, page) in padded.chunks(4096).enumerate() {
            let off = (p * 4096) as u64;
            stream.extend_from_slice(b"EADD\0\0\0\0");
            stream.extend_from_slice(&off.to_le_bytes());
            stream.extend_from_slice(&flags.to_le_bytes());
            stream.extend_from_slice(&[0u8; 40]);
            for (c, chunk) in page.chunks(256).enumerate() {
                stream.extend_from_slice(b"EEXTEND\0");
                stream.extend_from_slice(&(off + (c * 256) as u64).to_le_bytes());
                stream.extend_from_slice(&[0u8; 48]);
                stream.extend_from_slice(chunk);
            }
        }
        assert_eq!(stream.len() % 64, 0);
        sha256(&stream)
    }

    #[test]
    fn matches_a_naive_construction() {
        let layout = EmulatedEnclaveLayout::new(1 << 30);
        for len in [0usize, 1, 255, 256, 4095, 4096, 4097, 10_000] {
            let manifest: Vec<u8> = (0..len).map(|i| (i % 97) as u8 + 1).collect();
            assert_eq!(
                emulated_mr_enclave(&manifest, &layout).unwrap(),
                naive(&manifest, 1 << 30, 1, 0x201),
                "length {len}"
            );
        }
    }

    #[test]
    fn every_parameter_changes_the_measurement() {
        let manifest = b"loader.entrypoint = \"file:ekms-server\"\n";
        let base = EmulatedEnclaveLayout::new(1 << 30);
        let m = emulated_mr_enclave(manifest, &base).unwrap();
        let mut other = manifest.to_vec();
        other[0] ^= 1;
        assert_ne!(emulated_mr_enclave(&other, &base).unwrap(), m);
        // A trailing NUL would give the same zero-padded pages: refused instead.
        let mut padded = manifest.to_vec();
        padded.push(0);
        assert_eq!(
            emulated_mr_enclave(&padded, &base),
            Err(MeasureError::NulInManifest)
        );
        let bigger = EmulatedEnclaveLayout::new(1 << 31);
        assert_ne!(emulated_mr_enclave(manifest, &bigger).unwrap(), m);
        let ssa = EmulatedEnclaveLayout {
            ssa_frame_pages: 2,
            ..base
        };
        assert_ne!(emulated_mr_enclave(manifest, &ssa).unwrap(), m);
        let rw = EmulatedEnclaveLayout {
            page_flags: SECINFO_R | SECINFO_W | SECINFO_PT_REG,
            ..base
        };
        assert_ne!(emulated_mr_enclave(manifest, &rw).unwrap(), m);
    }

    #[test]
    fn layout_errors() {
        assert_eq!(
            emulated_mr_enclave(b"x", &EmulatedEnclaveLayout::new(3000)),
            Err(MeasureError::EnclaveSizeNotPowerOfTwo(3000))
        );
        assert_eq!(
            emulated_mr_enclave(&[1; 4097], &EmulatedEnclaveLayout::new(4096)),
            Err(MeasureError::ManifestTooLarge {
                needed: 8192,
                enclave_size: 4096
            })
        );
        assert!(emulated_mr_enclave(&[1; 4096], &EmulatedEnclaveLayout::new(4096)).is_ok());
    }

    #[test]
    fn modulus_size_is_enforced() {
        // PKCS#1 RSAPublicKey with a 16-bit modulus 0x8001 and e = 3.
        let tiny = [0x30, 0x08, 0x02, 0x03, 0x00, 0x80, 0x01, 0x02, 0x01, 0x03];
        assert_eq!(
            mr_signer(&tiny),
            Err(PublicKeyError::NotRsa3072 { bits: 16 })
        );
        assert_eq!(mr_signer(b"garbage"), Err(PublicKeyError::InvalidDer));
        assert!(matches!(
            mr_signer(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
            Err(PublicKeyError::UnsupportedPemLabel(_))
        ));
    }
}
