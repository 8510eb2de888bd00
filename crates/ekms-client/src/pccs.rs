//! Collateral from a PCCS (Intel's Provisioning Certificate Caching Service API, v4), for
//! `ekms trust --offline`, which verifies the quote itself instead of asking an attestation
//! service.
//!
//! From the quote's PCK certificate (certification data type 5) it reads the FMSPC and whether
//! the PCK was issued by the Platform or the Processor CA, then fetches the TCB info
//! (`/tcb?fmspc=`), the QE identity (`/qe/identity`), the PCK CRL (`/pckcrl?ca=`) and the root
//! CA CRL (`/rootcacrl`), with their issuer chains from the response headers. The signed JSON
//! objects are kept as the exact bytes received, since their signatures cover those bytes.
//!
//! The collateral is signed under the root the verifier trusts, so its transport needs no
//! authenticity for the verdict to be sound; the PCCS's TLS certificate is still checked (with
//! the same trust options as the attestation service) so that a failure is reported clearly.

use serde::Deserialize;
use serde_json::value::RawValue;
use x509_parser::prelude::{FromDer, X509Certificate};

use ekms_attest::emulated::PckExtension;
use ekms_attest::{Collateral, Quote};

use crate::error::Result;
use crate::service::{Answer, ServiceHttp};
use crate::trust::Trust;

/// OID of Intel's SGX extension in PCK certificates.
const SGX_EXTENSION_OID: &str = "1.2.840.113741.1.13.1";

/// The path prefix of the PCCS v4 API.
const API_PREFIX: &str = "/sgx/certification/v4";

/// What the quote says about where its collateral lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PckInfo {
    /// The platform's FMSPC.
    pub fmspc: [u8; 6],
    /// `platform` or `processor`: which PCK CA issued the PCK certificate.
    pub ca: &'static str,
}

/// Reads the FMSPC and the PCK CA from the PCK certificate inside a DCAP quote.
pub fn pck_info(quote: &[u8]) -> std::result::Result<PckInfo, String> {
    let quote =
        Quote::parse(quote).map_err(|e| format!("the quote is not a DCAP v3 quote: {e}"))?;
    let chain = quote
        .signature
        .certification_data
        .pck_cert_chain_pem()
        .ok_or("the quote carries no PCK certificate chain (certification data type 5)")?;
    let (_, pem) = x509_parser::pem::parse_x509_pem(chain.as_bytes())
        .map_err(|e| format!("the quote's PCK certificate is not PEM: {e}"))?;
    let (_, cert) = X509Certificate::from_der(&pem.contents)
        .map_err(|e| format!("the quote's PCK certificate does not parse: {e}"))?;
    let extension = cert
        .extensions()
        .iter()
        .find(|e| e.oid.to_id_string() == SGX_EXTENSION_OID)
        .ok_or("the PCK certificate has no SGX extension")?;
    let parsed = PckExtension::from_der(extension.value)
        .ok_or("the PCK certificate's SGX extension does not parse")?;
    let issuer = cert.issuer().to_string();
    let ca = if issuer.contains("Processor") {
        "processor"
    } else if issuer.contains("Platform") {
        "platform"
    } else {
        return Err(format!(
            "the PCK certificate's issuer ({issuer}) is neither a Processor nor a Platform CA"
        ));
    };
    Ok(PckInfo {
        fmspc: parsed.fmspc,
        ca,
    })
}

/// A client of one PCCS.
#[derive(Debug)]
pub struct PccsClient {
    http: ServiceHttp,
    api: String,
}

#[derive(Deserialize)]
struct TcbInfoResponse<'a> {
    #[serde(rename = "tcbInfo", borrow)]
    tcb_info: &'a RawValue,
    signature: String,
}

#[derive(Deserialize)]
struct QeIdentityResponse<'a> {
    #[serde(rename = "enclaveIdentity", borrow)]
    enclave_identity: &'a RawValue,
    signature: String,
}

impl PccsClient {
    /// A client of the PCCS at `url` (its base, or the base followed by
    /// `/sgx/certification/v4`).
    pub fn new(url: &str, trust: &Trust) -> Result<Self> {
        let http = ServiceHttp::new("the PCCS", url, trust)?;
        let base = http.base().to_string();
        let api = if base.ends_with(API_PREFIX) {
            base
        } else {
            format!("{base}{API_PREFIX}")
        };
        Ok(PccsClient { http, api })
    }

    /// The URL as normalized.
    pub fn url(&self) -> &str {
        self.http.base()
    }

    /// The collateral that verifies `quote`. `Ok(Err(_))`: the collateral cannot be had (the
    /// quote names no platform, the PCCS has none for it, an answer is malformed), which the
    /// checks report; `Err(_)`: the PCCS could not be reached.
    pub async fn collateral_for(
        &self,
        quote: &[u8],
    ) -> Result<std::result::Result<Collateral, String>> {
        let info = match pck_info(quote) {
            Ok(i) => i,
            Err(e) => return Ok(Err(e)),
        };
        let fmspc = hex::encode_upper(info.fmspc);

        let tcb = self.get(&format!("/tcb?fmspc={fmspc}")).await?;
        let tcb_chain = match expect_ok(&tcb, "TCB info").and_then(|()| {
            chain_header(
                &tcb,
                &["TCB-Info-Issuer-Chain", "SGX-TCB-Info-Issuer-Chain"],
            )
        }) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let (tcb_info, tcb_signature) = match serde_json::from_slice::<TcbInfoResponse>(&tcb.body) {
            Ok(r) => match hex::decode(&r.signature) {
                Ok(sig) => (r.tcb_info.get().to_string(), sig),
                Err(_) => return Ok(Err("the TCB info signature is not hex".to_string())),
            },
            Err(e) => return Ok(Err(format!("the TCB info answer is malformed: {e}"))),
        };

        let qe = self.get("/qe/identity").await?;
        let qe_chain = match expect_ok(&qe, "QE identity")
            .and_then(|()| chain_header(&qe, &["SGX-Enclave-Identity-Issuer-Chain"]))
        {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let (qe_identity, qe_signature) =
            match serde_json::from_slice::<QeIdentityResponse>(&qe.body) {
                Ok(r) => match hex::decode(&r.signature) {
                    Ok(sig) => (r.enclave_identity.get().to_string(), sig),
                    Err(_) => {
                        return Ok(Err("the QE identity signature is not hex".to_string()));
                    }
                },
                Err(e) => return Ok(Err(format!("the QE identity answer is malformed: {e}"))),
            };

        let pck_crl = self
            .get(&format!("/pckcrl?ca={}&encoding=der", info.ca))
            .await?;
        let (pck_crl_der, pck_crl_chain) = match expect_ok(&pck_crl, "PCK CRL")
            .and_then(|()| chain_header(&pck_crl, &["SGX-PCK-CRL-Issuer-Chain"]))
            .and_then(|chain| crl_der(&pck_crl.body, "PCK CRL").map(|der| (der, chain)))
        {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };

        let root = self.get("/rootcacrl").await?;
        let root_ca_crl = match expect_ok(&root, "root CA CRL")
            .and_then(|()| crl_der(&root.body, "root CA CRL"))
        {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };

        Ok(Ok(Collateral {
            pck_crl_issuer_chain: pck_crl_chain,
            root_ca_crl,
            pck_crl: pck_crl_der,
            tcb_info_issuer_chain: tcb_chain,
            tcb_info,
            tcb_info_signature: tcb_signature,
            qe_identity_issuer_chain: qe_chain,
            qe_identity,
            qe_identity_signature: qe_signature,
            pck_certificate_chain: None,
        }))
    }

    async fn get(&self, path: &str) -> Result<Answer> {
        let url = format!("{}{path}", self.api);
        self.http.send(|c| c.get(&url)).await
    }
}

fn expect_ok(answer: &Answer, what: &str) -> std::result::Result<(), String> {
    if answer.status == 200 {
        return Ok(());
    }
    let text: String = String::from_utf8_lossy(&answer.body)
        .chars()
        .take(300)
        .collect();
    Err(format!(
        "the PCCS answered {} for the {what}: {}",
        answer.status,
        text.trim()
    ))
}

/// The first of `names` present, URL-decoded (PCS sends issuer chains as URL-encoded PEM).
fn chain_header(answer: &Answer, names: &[&str]) -> std::result::Result<String, String> {
    for name in names {
        if let Some(value) = answer.headers.get(*name) {
            let text = value
                .to_str()
                .map_err(|_| format!("the {name} header is not text"))?;
            return url_decode(text).ok_or_else(|| format!("the {name} header is malformed"));
        }
    }
    Err(format!("the PCCS sent no {} header", names.join(" or ")))
}

fn url_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A CRL as DER, from DER, PEM or hex of the DER (Intel's PCCS answers the root CA CRL in hex).
fn crl_der(body: &[u8], what: &str) -> std::result::Result<Vec<u8>, String> {
    if body.first() == Some(&0x30) {
        return Ok(body.to_vec());
    }
    let text =
        std::str::from_utf8(body).map_err(|_| format!("the {what} is not DER, PEM or hex"))?;
    let text = text.trim();
    if text.starts_with("-----BEGIN") {
        let (_, pem) = x509_parser::pem::parse_x509_pem(text.as_bytes())
            .map_err(|e| format!("the {what} PEM is malformed: {e}"))?;
        return Ok(pem.contents);
    }
    hex::decode(text).map_err(|_| format!("the {what} is not DER, PEM or hex"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_decoding() {
        assert_eq!(url_decode("a%20b%0A-").as_deref(), Some("a b\n-"));
        assert_eq!(url_decode("%2"), None);
        assert_eq!(url_decode("%zz"), None);
    }

    #[test]
    fn crl_encodings() {
        assert_eq!(crl_der(&[0x30, 1, 0], "x").unwrap(), vec![0x30, 1, 0]);
        assert_eq!(crl_der(b"300100\n", "x").unwrap(), vec![0x30, 1, 0]);
        assert!(crl_der(b"nonsense", "x").is_err());
    }

    #[test]
    fn quotes_without_a_pck_chain_are_explained() {
        assert!(pck_info(b"not a quote").is_err());
    }
}
