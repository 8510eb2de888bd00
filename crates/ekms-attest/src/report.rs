//! The SGX report body (`sgx_report_body_t`, 384 bytes) and enclave attributes.
//!
//! This module owns [`ReportBody`], the structure an enclave's `EREPORT` produces and that a DCAP
//! quote carries twice (the application enclave's report, and the quoting enclave's report), and
//! [`Attributes`], the SECS attribute flags and XFRM. Every field is kept, reserved ones
//! included, so that [`ReportBody::to_bytes`] reproduces the parsed bytes exactly.
//!
//! Layout (offsets in bytes, integers little-endian):
//!
//! | offset | size | field |
//! |---:|---:|---|
//! | 0 | 16 | cpu_svn |
//! | 16 | 4 | misc_select |
//! | 20 | 1 | cet_attributes |
//! | 21 | 11 | reserved1 |
//! | 32 | 16 | isv_ext_prod_id |
//! | 48 | 16 | attributes (flags u64, xfrm u64) |
//! | 64 | 32 | mr_enclave |
//! | 96 | 32 | reserved2 |
//! | 128 | 32 | mr_signer |
//! | 160 | 32 | reserved3 |
//! | 192 | 64 | config_id |
//! | 256 | 2 | isv_prod_id |
//! | 258 | 2 | isv_svn |
//! | 260 | 2 | config_svn |
//! | 262 | 42 | reserved4 |
//! | 304 | 16 | isv_family_id |
//! | 320 | 64 | report_data |

use serde::{Deserialize, Serialize};

use crate::layout::{LayoutError, Reader};

/// Size of an encoded [`ReportBody`].
pub const REPORT_BODY_LEN: usize = 384;

/// `ATTRIBUTES.FLAGS` bit: the enclave was initialized.
pub const FLAG_INITTED: u64 = 0x01;
/// `ATTRIBUTES.FLAGS` bit: the enclave is a debug enclave (its memory can be read by a debugger).
pub const FLAG_DEBUG: u64 = 0x02;
/// `ATTRIBUTES.FLAGS` bit: the enclave runs in 64-bit mode.
pub const FLAG_MODE64BIT: u64 = 0x04;
/// `ATTRIBUTES.FLAGS` bit: the enclave may get the provisioning key.
pub const FLAG_PROVISION_KEY: u64 = 0x10;
/// `ATTRIBUTES.FLAGS` bit: the enclave may get the launch key.
pub const FLAG_EINITTOKEN_KEY: u64 = 0x20;
/// `ATTRIBUTES.FLAGS` bit: key separation and sharing is enabled.
pub const FLAG_KSS: u64 = 0x80;

/// SGX enclave attributes: `FLAGS` then `XFRM`, 16 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Attributes {
    /// Attribute flags (`FLAG_*` bits).
    pub flags: u64,
    /// The XSAVE feature request mask (XCR0 format).
    pub xfrm: u64,
}

impl Attributes {
    /// Size of the encoded attributes.
    pub const LEN: usize = 16;

    /// Whether the DEBUG flag is set.
    pub fn is_debug(&self) -> bool {
        self.flags & FLAG_DEBUG != 0
    }

    /// The 16-byte encoding: flags then xfrm, each little-endian.
    pub fn to_bytes(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        let (flags, xfrm) = out.split_at_mut(8);
        flags.copy_from_slice(&self.flags.to_le_bytes());
        xfrm.copy_from_slice(&self.xfrm.to_le_bytes());
        out
    }

    pub(crate) fn read(r: &mut Reader<'_>, field: &'static str) -> Result<Self, LayoutError> {
        Ok(Self {
            flags: r.u64_le(field)?,
            xfrm: r.u64_le(field)?,
        })
    }
}

/// An SGX report body (`sgx_report_body_t`), 384 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportBody {
    /// Security version of the CPU.
    #[serde(with = "crate::hexser")]
    pub cpu_svn: [u8; 16],
    /// Which extended features are saved in the SSA (MISCSELECT).
    pub misc_select: u32,
    /// CET attributes.
    pub cet_attributes: u8,
    /// Reserved, kept for exact re-encoding.
    #[serde(with = "crate::hexser")]
    pub reserved1: [u8; 11],
    /// ISV extended product id (KSS).
    #[serde(with = "crate::hexser")]
    pub isv_ext_prod_id: [u8; 16],
    /// Enclave attributes.
    pub attributes: Attributes,
    /// MRENCLAVE: the measurement of the enclave's initial contents.
    #[serde(with = "crate::hexser")]
    pub mr_enclave: [u8; 32],
    /// Reserved, kept for exact re-encoding.
    #[serde(with = "crate::hexser")]
    pub reserved2: [u8; 32],
    /// MRSIGNER: SHA-256 of the enclave signer's RSA modulus (little-endian bytes).
    #[serde(with = "crate::hexser")]
    pub mr_signer: [u8; 32],
    /// Reserved, kept for exact re-encoding.
    #[serde(with = "crate::hexser")]
    pub reserved3: [u8; 32],
    /// Config id (KSS).
    #[serde(with = "crate::hexser")]
    pub config_id: [u8; 64],
    /// ISV product id, from the SIGSTRUCT.
    pub isv_prod_id: u16,
    /// ISV security version, from the SIGSTRUCT.
    pub isv_svn: u16,
    /// Config security version (KSS).
    pub config_svn: u16,
    /// Reserved, kept for exact re-encoding.
    #[serde(with = "crate::hexser")]
    pub reserved4: [u8; 42],
    /// ISV family id (KSS).
    #[serde(with = "crate::hexser")]
    pub isv_family_id: [u8; 16],
    /// The 64 bytes the enclave chose to bind into its report.
    #[serde(with = "crate::hexser")]
    pub report_data: [u8; 64],
}

impl Default for ReportBody {
    fn default() -> Self {
        Self {
            cpu_svn: [0; 16],
            misc_select: 0,
            cet_attributes: 0,
            reserved1: [0; 11],
            isv_ext_prod_id: [0; 16],
            attributes: Attributes::default(),
            mr_enclave: [0; 32],
            reserved2: [0; 32],
            mr_signer: [0; 32],
            reserved3: [0; 32],
            config_id: [0; 64],
            isv_prod_id: 0,
            isv_svn: 0,
            config_svn: 0,
            reserved4: [0; 42],
            isv_family_id: [0; 16],
            report_data: [0; 64],
        }
    }
}

impl ReportBody {
    /// Parse exactly [`REPORT_BODY_LEN`] bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, LayoutError> {
        let mut r = Reader::new(bytes);
        let body = Self::read(&mut r)?;
        r.finish("report body")?;
        Ok(body)
    }

    /// Read a report body at the reader's position.
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, LayoutError> {
        Ok(Self {
            cpu_svn: r.array("report.cpu_svn")?,
            misc_select: r.u32_le("report.misc_select")?,
            cet_attributes: r.u8("report.cet_attributes")?,
            reserved1: r.array("report.reserved1")?,
            isv_ext_prod_id: r.array("report.isv_ext_prod_id")?,
            attributes: Attributes::read(r, "report.attributes")?,
            mr_enclave: r.array("report.mr_enclave")?,
            reserved2: r.array("report.reserved2")?,
            mr_signer: r.array("report.mr_signer")?,
            reserved3: r.array("report.reserved3")?,
            config_id: r.array("report.config_id")?,
            isv_prod_id: r.u16_le("report.isv_prod_id")?,
            isv_svn: r.u16_le("report.isv_svn")?,
            config_svn: r.u16_le("report.config_svn")?,
            reserved4: r.array("report.reserved4")?,
            isv_family_id: r.array("report.isv_family_id")?,
            report_data: r.array("report.report_data")?,
        })
    }

    /// Append the 384-byte encoding to `out`.
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.cpu_svn);
        out.extend_from_slice(&self.misc_select.to_le_bytes());
        out.push(self.cet_attributes);
        out.extend_from_slice(&self.reserved1);
        out.extend_from_slice(&self.isv_ext_prod_id);
        out.extend_from_slice(&self.attributes.to_bytes());
        out.extend_from_slice(&self.mr_enclave);
        out.extend_from_slice(&self.reserved2);
        out.extend_from_slice(&self.mr_signer);
        out.extend_from_slice(&self.reserved3);
        out.extend_from_slice(&self.config_id);
        out.extend_from_slice(&self.isv_prod_id.to_le_bytes());
        out.extend_from_slice(&self.isv_svn.to_le_bytes());
        out.extend_from_slice(&self.config_svn.to_le_bytes());
        out.extend_from_slice(&self.reserved4);
        out.extend_from_slice(&self.isv_family_id);
        out.extend_from_slice(&self.report_data);
    }

    /// The 384-byte encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(REPORT_BODY_LEN);
        self.write(&mut out);
        out
    }

    /// Whether the enclave is a debug enclave.
    pub fn is_debug(&self) -> bool {
        self.attributes.is_debug()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patterned() -> Vec<u8> {
        (0..REPORT_BODY_LEN).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn fields_sit_at_their_documented_offsets() {
        let bytes = patterned();
        let body = ReportBody::parse(&bytes).unwrap();
        assert_eq!(body.cpu_svn[..], bytes[0..16]);
        assert_eq!(body.misc_select.to_le_bytes()[..], bytes[16..20]);
        assert_eq!(body.cet_attributes, bytes[20]);
        assert_eq!(body.isv_ext_prod_id[..], bytes[32..48]);
        assert_eq!(body.attributes.to_bytes()[..], bytes[48..64]);
        assert_eq!(body.mr_enclave[..], bytes[64..96]);
        assert_eq!(body.mr_signer[..], bytes[128..160]);
        assert_eq!(body.config_id[..], bytes[192..256]);
        assert_eq!(body.isv_prod_id.to_le_bytes()[..], bytes[256..258]);
        assert_eq!(body.isv_svn.to_le_bytes()[..], bytes[258..260]);
        assert_eq!(body.config_svn.to_le_bytes()[..], bytes[260..262]);
        assert_eq!(body.isv_family_id[..], bytes[304..320]);
        assert_eq!(body.report_data[..], bytes[320..384]);
        assert_eq!(body.to_bytes(), bytes);
    }

    #[test]
    fn wrong_sizes_are_refused() {
        let bytes = patterned();
        assert!(matches!(
            ReportBody::parse(&bytes[..383]),
            Err(LayoutError::Truncated { .. })
        ));
        let mut long = bytes.clone();
        long.push(0);
        assert!(matches!(
            ReportBody::parse(&long),
            Err(LayoutError::TrailingBytes { extra: 1, .. })
        ));
    }

    #[test]
    fn debug_flag() {
        let mut body = ReportBody::default();
        assert!(!body.is_debug());
        body.attributes.flags = FLAG_INITTED | FLAG_DEBUG | FLAG_MODE64BIT;
        assert!(body.is_debug());
    }

    #[test]
    fn serde_round_trip_uses_hex() {
        let body = ReportBody::parse(&patterned()).unwrap();
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json["mr_enclave"], hex::encode(body.mr_enclave));
        let back: ReportBody = serde_json::from_value(json).unwrap();
        assert_eq!(back, body);
    }
}
