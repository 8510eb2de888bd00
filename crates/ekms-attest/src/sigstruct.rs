//! SGX SIGSTRUCT (`.sig` files, 1808 bytes): parsing and re-encoding.
//!
//! This module owns [`Sigstruct`], the enclave signature structure `gramine-sgx-sign` (and every
//! SGX signing tool) writes next to an enclave. In real SGX it is where mr_enclave (the enclave
//! hash) and, through the signer's modulus, mr_signer come from. It is parsed by explicit
//! offsets; the two constant headers are checked; all other fields, reserved ones included, are
//! kept so that [`Sigstruct::to_bytes`] gives the parsed bytes back.
//!
//! Layout (offsets in bytes, integers little-endian):
//!
//! | offset | size | field |
//! |---:|---:|---|
//! | 0 | 16 | header (constant [`SIGSTRUCT_HEADER`]) |
//! | 16 | 4 | vendor (0, or 0x8086 for Intel) |
//! | 20 | 4 | date (year u16, month u8, day u8, as written by the signer) |
//! | 24 | 16 | header2 (constant [`SIGSTRUCT_HEADER2`]) |
//! | 40 | 4 | sw_defined |
//! | 44 | 84 | reserved1 |
//! | 128 | 384 | modulus (RSA-3072, little-endian) |
//! | 512 | 4 | exponent (3) |
//! | 516 | 384 | signature (little-endian) |
//! | 900 | 4 | misc_select |
//! | 904 | 4 | misc_mask |
//! | 908 | 1 | cet_attributes |
//! | 909 | 1 | cet_attributes_mask |
//! | 910 | 2 | reserved2 |
//! | 912 | 16 | isv_family_id |
//! | 928 | 16 | attributes |
//! | 944 | 16 | attribute_mask |
//! | 960 | 32 | enclave_hash (mr_enclave) |
//! | 992 | 16 | reserved3 |
//! | 1008 | 16 | isv_ext_prod_id |
//! | 1024 | 2 | isv_prod_id |
//! | 1026 | 2 | isv_svn |
//! | 1028 | 12 | reserved4 |
//! | 1040 | 384 | q1 |
//! | 1424 | 384 | q2 |
//!
//! The signed message is bytes 0..128 followed by bytes 900..1028.

use crate::layout::{LayoutError, Reader};
use crate::report::Attributes;

/// Size of a SIGSTRUCT.
pub const SIGSTRUCT_LEN: usize = 1808;
/// The constant first header of a SIGSTRUCT.
pub const SIGSTRUCT_HEADER: [u8; 16] = [
    0x06, 0x00, 0x00, 0x00, 0xe1, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
];
/// The constant second header of a SIGSTRUCT.
pub const SIGSTRUCT_HEADER2: [u8; 16] = [
    0x01, 0x01, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
];

/// A parsed SIGSTRUCT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sigstruct {
    /// Module vendor: 0, or 0x8086 for Intel.
    pub vendor: u32,
    /// Build date as stored.
    pub date: u32,
    /// Software-defined field.
    pub sw_defined: u32,
    /// Reserved, kept for exact re-encoding.
    pub reserved1: [u8; 84],
    /// The signer's RSA-3072 modulus, little-endian.
    pub modulus: [u8; 384],
    /// The signer's RSA public exponent (SGX requires 3).
    pub exponent: u32,
    /// The RSA signature, little-endian.
    pub signature: [u8; 384],
    /// MISCSELECT the enclave requests.
    pub misc_select: u32,
    /// Which MISCSELECT bits EINIT checks.
    pub misc_mask: u32,
    /// CET attributes.
    pub cet_attributes: u8,
    /// CET attributes mask.
    pub cet_attributes_mask: u8,
    /// Reserved, kept for exact re-encoding.
    pub reserved2: [u8; 2],
    /// ISV family id (KSS).
    pub isv_family_id: [u8; 16],
    /// Attributes the enclave must have.
    pub attributes: Attributes,
    /// Which attribute bits EINIT checks.
    pub attribute_mask: Attributes,
    /// The enclave hash: the mr_enclave of the enclave this SIGSTRUCT signs.
    pub enclave_hash: [u8; 32],
    /// Reserved, kept for exact re-encoding.
    pub reserved3: [u8; 16],
    /// ISV extended product id (KSS).
    pub isv_ext_prod_id: [u8; 16],
    /// ISV product id.
    pub isv_prod_id: u16,
    /// ISV security version.
    pub isv_svn: u16,
    /// Reserved, kept for exact re-encoding.
    pub reserved4: [u8; 12],
    /// Q1 = floor(signature² / modulus), little-endian (speeds up verification in hardware).
    pub q1: [u8; 384],
    /// Q2 = floor((signature² mod modulus) · signature / modulus), little-endian.
    pub q2: [u8; 384],
}

impl Sigstruct {
    /// Parse exactly [`SIGSTRUCT_LEN`] bytes, checking the two constant headers.
    pub fn parse(bytes: &[u8]) -> Result<Self, LayoutError> {
        let mut r = Reader::new(bytes);
        let header: [u8; 16] = r.array("sigstruct.header")?;
        if header != SIGSTRUCT_HEADER {
            return Err(LayoutError::BadConstant {
                field: "sigstruct.header",
            });
        }
        let vendor = r.u32_le("sigstruct.vendor")?;
        let date = r.u32_le("sigstruct.date")?;
        let header2: [u8; 16] = r.array("sigstruct.header2")?;
        if header2 != SIGSTRUCT_HEADER2 {
            return Err(LayoutError::BadConstant {
                field: "sigstruct.header2",
            });
        }
        let sig = Self {
            vendor,
            date,
            sw_defined: r.u32_le("sigstruct.sw_defined")?,
            reserved1: r.array("sigstruct.reserved1")?,
            modulus: r.array("sigstruct.modulus")?,
            exponent: r.u32_le("sigstruct.exponent")?,
            signature: r.array("sigstruct.signature")?,
            misc_select: r.u32_le("sigstruct.misc_select")?,
            misc_mask: r.u32_le("sigstruct.misc_mask")?,
            cet_attributes: r.u8("sigstruct.cet_attributes")?,
            cet_attributes_mask: r.u8("sigstruct.cet_attributes_mask")?,
            reserved2: r.array("sigstruct.reserved2")?,
            isv_family_id: r.array("sigstruct.isv_family_id")?,
            attributes: Attributes::read(&mut r, "sigstruct.attributes")?,
            attribute_mask: Attributes::read(&mut r, "sigstruct.attribute_mask")?,
            enclave_hash: r.array("sigstruct.enclave_hash")?,
            reserved3: r.array("sigstruct.reserved3")?,
            isv_ext_prod_id: r.array("sigstruct.isv_ext_prod_id")?,
            isv_prod_id: r.u16_le("sigstruct.isv_prod_id")?,
            isv_svn: r.u16_le("sigstruct.isv_svn")?,
            reserved4: r.array("sigstruct.reserved4")?,
            q1: r.array("sigstruct.q1")?,
            q2: r.array("sigstruct.q2")?,
        };
        r.finish("sigstruct")?;
        Ok(sig)
    }

    /// The 1808-byte encoding; for a parsed SIGSTRUCT, exactly the bytes it was parsed from.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(SIGSTRUCT_LEN);
        self.write_signed_head(&mut out);
        out.extend_from_slice(&self.modulus);
        out.extend_from_slice(&self.exponent.to_le_bytes());
        out.extend_from_slice(&self.signature);
        self.write_signed_tail(&mut out);
        out.extend_from_slice(&self.reserved4);
        out.extend_from_slice(&self.q1);
        out.extend_from_slice(&self.q2);
        out
    }

    /// Bytes 0..128 of the encoding (the headers to reserved1).
    fn write_signed_head(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&SIGSTRUCT_HEADER);
        out.extend_from_slice(&self.vendor.to_le_bytes());
        out.extend_from_slice(&self.date.to_le_bytes());
        out.extend_from_slice(&SIGSTRUCT_HEADER2);
        out.extend_from_slice(&self.sw_defined.to_le_bytes());
        out.extend_from_slice(&self.reserved1);
    }

    /// Bytes 900..1028 of the encoding (misc_select to isv_svn).
    fn write_signed_tail(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.misc_select.to_le_bytes());
        out.extend_from_slice(&self.misc_mask.to_le_bytes());
        out.push(self.cet_attributes);
        out.push(self.cet_attributes_mask);
        out.extend_from_slice(&self.reserved2);
        out.extend_from_slice(&self.isv_family_id);
        out.extend_from_slice(&self.attributes.to_bytes());
        out.extend_from_slice(&self.attribute_mask.to_bytes());
        out.extend_from_slice(&self.enclave_hash);
        out.extend_from_slice(&self.reserved3);
        out.extend_from_slice(&self.isv_ext_prod_id);
        out.extend_from_slice(&self.isv_prod_id.to_le_bytes());
        out.extend_from_slice(&self.isv_svn.to_le_bytes());
    }

    /// The message the signer signs (RSASSA-PKCS1-v1_5 with SHA-256): bytes 0..128 followed by
    /// bytes 900..1028.
    pub fn signed_message(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        self.write_signed_head(&mut out);
        self.write_signed_tail(&mut out);
        out
    }

    /// mr_enclave of the signed enclave (the enclave hash at offset 960).
    pub fn mr_enclave(&self) -> [u8; 32] {
        self.enclave_hash
    }

    /// The signer's public key as a PKCS#1 `RSA PUBLIC KEY` PEM (what `GET /certificates`
    /// serves as the enclave public key; its modulus gives mr_signer).
    pub fn public_key_pem(&self) -> String {
        let mut n_be: Vec<u8> = self.modulus.iter().rev().copied().collect();
        let first = n_be.iter().position(|b| *b != 0).unwrap_or(n_be.len());
        n_be.drain(..first);
        crate::emulated::public_key_pem_from_parts(&n_be, self.exponent)
    }

    /// The identity block a server running the enclave this SIGSTRUCT signs prints at start
    /// (mode `sgx`: a SIGSTRUCT describes a real enclave).
    pub fn measurement_block(&self) -> crate::MeasurementBlock<'static> {
        crate::MeasurementBlock {
            mode: "sgx",
            mr_enclave: self.mr_enclave(),
            mr_signer: self.mr_signer(),
            isv_prod_id: self.isv_prod_id,
            isv_svn: self.isv_svn,
            debug: self.attributes.is_debug(),
        }
    }

    /// mr_signer: SHA-256 of the modulus as stored (384 little-endian bytes).
    pub fn mr_signer(&self) -> [u8; 32] {
        crate::measurement::mr_signer_from_modulus_le(&self.modulus)
    }

    /// Check the RSA signature over [`Sigstruct::signed_message`] with the modulus and exponent
    /// this SIGSTRUCT carries. This proves the SIGSTRUCT is intact and was signed by the key
    /// whose hash is [`Sigstruct::mr_signer`]; it says nothing about whether that key is trusted.
    pub fn verify_signature(&self) -> bool {
        let mut n = self.modulus;
        n.reverse();
        let mut s = self.signature;
        s.reverse();
        let e = self.exponent.to_be_bytes();
        // The public components must carry no leading zero bytes.
        let key = aws_lc_rs::signature::RsaPublicKeyComponents {
            n: strip_leading_zeros(&n),
            e: strip_leading_zeros(&e),
        };
        key.verify(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            &self.signed_message(),
            &s,
        )
        .is_ok()
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(first..).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patterned() -> Vec<u8> {
        let mut bytes: Vec<u8> = (0..SIGSTRUCT_LEN).map(|i| (i * 7 % 253) as u8).collect();
        bytes[..16].copy_from_slice(&SIGSTRUCT_HEADER);
        bytes[24..40].copy_from_slice(&SIGSTRUCT_HEADER2);
        bytes
    }

    #[test]
    fn fields_sit_at_their_documented_offsets() {
        let bytes = patterned();
        let sig = Sigstruct::parse(&bytes).unwrap();
        assert_eq!(sig.vendor.to_le_bytes()[..], bytes[16..20]);
        assert_eq!(sig.date.to_le_bytes()[..], bytes[20..24]);
        assert_eq!(sig.modulus[..], bytes[128..512]);
        assert_eq!(sig.exponent.to_le_bytes()[..], bytes[512..516]);
        assert_eq!(sig.signature[..], bytes[516..900]);
        assert_eq!(sig.misc_select.to_le_bytes()[..], bytes[900..904]);
        assert_eq!(sig.attributes.to_bytes()[..], bytes[928..944]);
        assert_eq!(sig.attribute_mask.to_bytes()[..], bytes[944..960]);
        assert_eq!(sig.mr_enclave()[..], bytes[960..992]);
        assert_eq!(sig.isv_prod_id.to_le_bytes()[..], bytes[1024..1026]);
        assert_eq!(sig.isv_svn.to_le_bytes()[..], bytes[1026..1028]);
        assert_eq!(sig.q1[..], bytes[1040..1424]);
        assert_eq!(sig.q2[..], bytes[1424..1808]);
        assert_eq!(sig.to_bytes(), bytes);
        let mut signed = bytes[..128].to_vec();
        signed.extend_from_slice(&bytes[900..1028]);
        assert_eq!(sig.signed_message(), signed);
    }

    #[test]
    fn wrong_sizes_and_headers_are_refused() {
        let bytes = patterned();
        for len in [0, 1, 127, 1807] {
            assert!(Sigstruct::parse(&bytes[..len]).is_err());
        }
        let mut long = bytes.clone();
        long.push(0);
        assert!(matches!(
            Sigstruct::parse(&long),
            Err(LayoutError::TrailingBytes { .. })
        ));
        let mut bad = bytes.clone();
        bad[4] ^= 1;
        assert!(matches!(
            Sigstruct::parse(&bad),
            Err(LayoutError::BadConstant { .. })
        ));
        let mut bad2 = bytes;
        bad2[30] ^= 1;
        assert!(matches!(
            Sigstruct::parse(&bad2),
            Err(LayoutError::BadConstant { .. })
        ));
    }
}
