//! Collateral for emulated quotes, made on demand: what a PCCS serves, signed by the emulated
//! PKI.
//!
//! This module owns [`PccsCollateral`]: the TCB info (version 3, `id` `SGX`) and QE identity
//! (version 2, `id` `QE`) JSON bodies with their signatures, the root CA CRL and the PCK CRL
//! (DER), and the issuer chains (PEM), all made for a time `now` and in date from
//! `now - 1 day` to `now + 30 days`. [`PccsCollateral::to_collateral`] puts them in dcap-qvl's
//! `QuoteCollateralV3` shape ([`crate::Collateral`]); the separate fields are what an emulated
//! PCCS serves on its routes ([`PccsCollateral::tcb_info_response`] and
//! [`PccsCollateral::qe_identity_response`] give the PCS response bodies).
//!
//! Signatures are as Intel's: ECDSA P-256 with SHA-256 over the exact bytes of the JSON body,
//! encoded as the 64 bytes `r ‖ s` (hex in the PCS responses), by the emulated TCB signing key.
//! The TCB info has one level: the platform's TCB, status `UpToDate`; the QE identity matches
//! the emulated QE (mr_signer, isvprodid, attributes under Intel's mask, one `UpToDate` level
//! at its ISV SVN).

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::EmulatedError;
use super::pki::{self, COLLATERAL_BACKDATE, COLLATERAL_VALIDITY, Pki};
use super::platform::{EMULATED_PCE_ID, PlatformTcb};
use super::qe::{
    EMULATED_QE_ATTRIBUTES, EMULATED_QE_ISV_PROD_ID, EMULATED_QE_ISV_SVN, EMULATED_QE_MR_SIGNER,
};
use crate::verify::Collateral;

/// The `tcbDate` of the emulated TCB levels.
pub const EMULATED_TCB_DATE: &str = "2025-01-01T00:00:00Z";
/// The `tcbEvaluationDataNumber` of emulated TCB info and QE identity.
pub const EMULATED_TCB_EVALUATION_DATA_NUMBER: u32 = 17;
/// The QE identity's attributes mask (Intel's: every flag but MODE64BIT, no XFRM bit).
pub const QE_ATTRIBUTES_MASK: [u8; 16] = [
    0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0,
];

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TcbInfoBody {
    id: &'static str,
    version: u8,
    issue_date: String,
    next_update: String,
    fmspc: String,
    pce_id: String,
    tcb_type: u32,
    tcb_evaluation_data_number: u32,
    tcb_levels: Vec<TcbLevelBody>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TcbLevelBody {
    tcb: TcbBody,
    tcb_date: &'static str,
    tcb_status: &'static str,
}

#[derive(Serialize)]
struct TcbBody {
    sgxtcbcomponents: Vec<SvnBody>,
    pcesvn: u16,
}

#[derive(Serialize)]
struct SvnBody {
    svn: u8,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct QeIdentityBody {
    id: &'static str,
    version: u8,
    issue_date: String,
    next_update: String,
    tcb_evaluation_data_number: u32,
    miscselect: String,
    miscselect_mask: String,
    attributes: String,
    attributes_mask: String,
    mrsigner: String,
    isvprodid: u16,
    tcb_levels: Vec<QeTcbLevelBody>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct QeTcbLevelBody {
    tcb: QeTcbBody,
    tcb_date: &'static str,
    tcb_status: &'static str,
}

#[derive(Serialize)]
struct QeTcbBody {
    isvsvn: u16,
}

/// Everything a PCCS serves to verify an emulated platform's quotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PccsCollateral {
    /// The TCB info JSON body (the `tcbInfo` object, the exact signed bytes).
    pub tcb_info: String,
    /// Signature of `tcb_info` (`r ‖ s`, 64 bytes).
    pub tcb_info_signature: Vec<u8>,
    /// The TCB info issuer chain: emulated TCB signing certificate, emulated root (PEM).
    pub tcb_info_issuer_chain: String,
    /// The QE identity JSON body (the `enclaveIdentity` object, the exact signed bytes).
    pub qe_identity: String,
    /// Signature of `qe_identity` (`r ‖ s`, 64 bytes).
    pub qe_identity_signature: Vec<u8>,
    /// The QE identity issuer chain (the same as the TCB info's).
    pub qe_identity_issuer_chain: String,
    /// The root CA CRL (DER), empty, signed by the emulated root.
    pub root_ca_crl: Vec<u8>,
    /// The PCK CRL (DER), empty, signed by the emulated Platform CA.
    pub pck_crl: Vec<u8>,
    /// The PCK CRL issuer chain: emulated Platform CA, emulated root (PEM).
    pub pck_crl_issuer_chain: String,
    /// When every piece says it was issued (`now - 1 day`).
    pub issue_date: OffsetDateTime,
    /// When every piece expires (`now + 30 days`).
    pub next_update: OffsetDateTime,
}

fn rfc3339(t: OffsetDateTime) -> Result<String, EmulatedError> {
    t.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .map_err(|e| EmulatedError::Time(format!("{t}: {e}")))
}

impl PccsCollateral {
    /// Collateral for a platform of FMSPC `fmspc`, TCB `tcb` and PCE id `pce_id`, made at `now`.
    pub fn generate(
        fmspc: [u8; 6],
        tcb: PlatformTcb,
        pce_id: [u8; 2],
        now: OffsetDateTime,
    ) -> Result<Self, EmulatedError> {
        let now = now
            .replace_nanosecond(0)
            .map_err(|e| EmulatedError::Time(e.to_string()))?;
        let issue_date = now
            .checked_sub(COLLATERAL_BACKDATE)
            .ok_or_else(|| EmulatedError::Time(format!("{now} is out of range")))?;
        let next_update = now
            .checked_add(COLLATERAL_VALIDITY)
            .ok_or_else(|| EmulatedError::Time(format!("{now} is out of range")))?;
        let (issued, next) = (rfc3339(issue_date)?, rfc3339(next_update)?);
        let pki = Pki::load()?;

        let tcb_info = serde_json::to_string(&TcbInfoBody {
            id: "SGX",
            version: 3,
            issue_date: issued.clone(),
            next_update: next.clone(),
            fmspc: hex::encode_upper(fmspc),
            pce_id: hex::encode_upper(pce_id),
            tcb_type: 0,
            tcb_evaluation_data_number: EMULATED_TCB_EVALUATION_DATA_NUMBER,
            tcb_levels: vec![TcbLevelBody {
                tcb: TcbBody {
                    sgxtcbcomponents: tcb.cpu_svn.iter().map(|&svn| SvnBody { svn }).collect(),
                    pcesvn: tcb.pce_svn,
                },
                tcb_date: EMULATED_TCB_DATE,
                tcb_status: "UpToDate",
            }],
        })
        .map_err(|e| EmulatedError::Crypto(format!("TCB info: {e}")))?;
        let tcb_info_signature = pki.sign_collateral(tcb_info.as_bytes())?;

        let qe_attributes = EMULATED_QE_ATTRIBUTES.to_bytes();
        let masked: Vec<u8> = qe_attributes
            .iter()
            .zip(QE_ATTRIBUTES_MASK)
            .map(|(a, m)| a & m)
            .collect();
        let qe_identity = serde_json::to_string(&QeIdentityBody {
            id: "QE",
            version: 2,
            issue_date: issued,
            next_update: next,
            tcb_evaluation_data_number: EMULATED_TCB_EVALUATION_DATA_NUMBER,
            miscselect: "00000000".to_string(),
            miscselect_mask: "FFFFFFFF".to_string(),
            attributes: hex::encode_upper(masked),
            attributes_mask: hex::encode_upper(QE_ATTRIBUTES_MASK),
            mrsigner: hex::encode_upper(EMULATED_QE_MR_SIGNER),
            isvprodid: EMULATED_QE_ISV_PROD_ID,
            tcb_levels: vec![QeTcbLevelBody {
                tcb: QeTcbBody {
                    isvsvn: EMULATED_QE_ISV_SVN,
                },
                tcb_date: EMULATED_TCB_DATE,
                tcb_status: "UpToDate",
            }],
        })
        .map_err(|e| EmulatedError::Crypto(format!("QE identity: {e}")))?;
        let qe_identity_signature = pki.sign_collateral(qe_identity.as_bytes())?;

        Ok(Self {
            tcb_info,
            tcb_info_signature,
            tcb_info_issuer_chain: pki::tcb_signing_chain_pem(),
            qe_identity,
            qe_identity_signature,
            qe_identity_issuer_chain: pki::tcb_signing_chain_pem(),
            root_ca_crl: pki.root_ca_crl(now)?,
            pck_crl: pki.pck_crl(now)?,
            pck_crl_issuer_chain: pki::pck_crl_issuer_chain_pem(),
            issue_date,
            next_update,
        })
    }

    /// What an emulated PCCS serves for `fmspc` at `now`: collateral for a platform of that
    /// FMSPC with the TCB every emulated platform is created with ([`PlatformTcb::EMULATED`])
    /// and PCE id 0000.
    pub fn for_fmspc(fmspc: [u8; 6], now: OffsetDateTime) -> Result<Self, EmulatedError> {
        Self::generate(fmspc, PlatformTcb::EMULATED, EMULATED_PCE_ID, now)
    }

    /// The PCS response body of the TCB info route: `{"tcbInfo":<body>,"signature":"<hex>"}`.
    pub fn tcb_info_response(&self) -> String {
        format!(
            "{{\"tcbInfo\":{},\"signature\":\"{}\"}}",
            self.tcb_info,
            hex::encode(&self.tcb_info_signature)
        )
    }

    /// The PCS response body of the QE identity route:
    /// `{"enclaveIdentity":<body>,"signature":"<hex>"}`.
    pub fn qe_identity_response(&self) -> String {
        format!(
            "{{\"enclaveIdentity\":{},\"signature\":\"{}\"}}",
            self.qe_identity,
            hex::encode(&self.qe_identity_signature)
        )
    }

    /// The collateral in dcap-qvl's `QuoteCollateralV3` shape (the PCK chain is left to the
    /// quote's certification data).
    pub fn to_collateral(&self) -> Collateral {
        Collateral {
            pck_crl_issuer_chain: self.pck_crl_issuer_chain.clone(),
            root_ca_crl: self.root_ca_crl.clone(),
            pck_crl: self.pck_crl.clone(),
            tcb_info_issuer_chain: self.tcb_info_issuer_chain.clone(),
            tcb_info: self.tcb_info.clone(),
            tcb_info_signature: self.tcb_info_signature.clone(),
            qe_identity_issuer_chain: self.qe_identity_issuer_chain.clone(),
            qe_identity: self.qe_identity.clone(),
            qe_identity_signature: self.qe_identity_signature.clone(),
            pck_certificate_chain: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn json_bodies_have_the_pcs_shape() {
        let now = datetime!(2030-03-04 05:06:07.5 UTC);
        let c = PccsCollateral::for_fmspc([0xee, 0x4b, 0x4d, 0x53, 0, 0], now).unwrap();
        let tcb: serde_json::Value = serde_json::from_str(&c.tcb_info).unwrap();
        assert_eq!(tcb["id"], "SGX");
        assert_eq!(tcb["version"], 3);
        assert_eq!(tcb["issueDate"], "2030-03-03T05:06:07Z");
        assert_eq!(tcb["nextUpdate"], "2030-04-03T05:06:07Z");
        assert_eq!(tcb["fmspc"], "EE4B4D530000");
        assert_eq!(tcb["pceId"], "0000");
        assert_eq!(tcb["tcbLevels"][0]["tcbStatus"], "UpToDate");
        assert_eq!(
            tcb["tcbLevels"][0]["tcb"]["sgxtcbcomponents"]
                .as_array()
                .unwrap()
                .len(),
            16
        );
        let qe: serde_json::Value = serde_json::from_str(&c.qe_identity).unwrap();
        assert_eq!(qe["id"], "QE");
        assert_eq!(qe["version"], 2);
        assert_eq!(qe["attributes"], "11000000000000000000000000000000");
        assert_eq!(qe["attributesMask"], "FBFFFFFFFFFFFFFF0000000000000000");
        assert_eq!(qe["tcbLevels"][0]["tcb"]["isvsvn"], 8);
        assert_eq!(c.tcb_info_signature.len(), 64);
        assert_eq!(c.qe_identity_signature.len(), 64);

        // The PCS responses embed the exact signed bodies.
        let response: serde_json::Value = serde_json::from_str(&c.tcb_info_response()).unwrap();
        assert_eq!(response["tcbInfo"], tcb);
        assert_eq!(response["signature"], hex::encode(&c.tcb_info_signature));
        assert!(c.tcb_info_response().contains(&c.tcb_info));
        assert!(c.qe_identity_response().contains(&c.qe_identity));
        // dcap-qvl reads both bodies.
        let _: dcap_qvl::TcbInfo = serde_json::from_str(&c.tcb_info).unwrap();
        let _: dcap_qvl::QeIdentity = serde_json::from_str(&c.qe_identity).unwrap();
    }

    #[test]
    fn crls_are_empty_and_in_date() {
        use x509_parser::prelude::*;
        let now = datetime!(2030-03-04 05:06:07 UTC);
        let c = PccsCollateral::for_fmspc([0; 6], now).unwrap();
        for der in [&c.root_ca_crl, &c.pck_crl] {
            let (_, crl) = parse_x509_crl(der).unwrap();
            assert_eq!(crl.iter_revoked_certificates().count(), 0);
            assert_eq!(
                crl.last_update().to_datetime(),
                datetime!(2030-03-03 05:06:07 UTC)
            );
            assert_eq!(
                crl.next_update().unwrap().to_datetime(),
                datetime!(2030-04-03 05:06:07 UTC)
            );
        }
        let collateral = c.to_collateral();
        assert!(collateral.pck_certificate_chain.is_none());
        assert_eq!(collateral.tcb_info, c.tcb_info);
    }
}
