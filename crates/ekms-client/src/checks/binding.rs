//! The checks that bind the enclave to this connection and to what the user expects: the
//! identities compared, the manifest compared, the report data against the certificate and the
//! nonce, the certificate presented in the handshake, and where the TLS key was made.

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::sha256;

/// The report data a quote must carry for `certificate_pem` and the bytes of `nonce`.
pub fn expected_report_data(certificate_pem: &str, nonce: &[u8]) -> [u8; 64] {
    report_data_for(&crate::evidence::runtime_data(certificate_pem, nonce))
}

/// The report data of runtime data: its SHA-256, then 32 zero bytes (Azure Attestation's rule).
pub(super) fn report_data_for(runtime_data: &[u8]) -> [u8; 64] {
    let mut out = [0u8; 64];
    for (dst, src) in out.iter_mut().zip(sha256(runtime_data)) {
        *dst = src;
    }
    out
}

/// The DER of the (first) certificate of the PEM the server returned.
pub(super) fn bound_certificate(pem: &str) -> Result<Vec<u8>, String> {
    CertificateDer::from_pem_slice(pem.as_bytes())
        .map(|c| c.as_ref().to_vec())
        .map_err(|e| {
            format!("the certificate returned by /certificates is not a PEM certificate: {e}")
        })
}

pub(super) fn equal(actual: &[u8; 32], expected: &[u8; 32], what: &str) -> Result<(), String> {
    if actual == expected {
        Ok(())
    } else {
        Err(format!(
            "{what} is {}, expected {}",
            hex::encode(actual),
            hex::encode(expected)
        ))
    }
}

pub(super) fn same_bytes(actual: &[u8], expected: &[u8]) -> Result<(), String> {
    if actual == expected {
        return Ok(());
    }
    let first = actual
        .iter()
        .zip(expected)
        .position(|(a, b)| a != b)
        .unwrap_or(actual.len().min(expected.len()));
    Err(format!(
        "the manifest returned ({} bytes) differs from the expected one ({} bytes) from byte {first} on",
        actual.len(),
        expected.len()
    ))
}

pub(super) fn tls_certificate(bound: &[u8], presented: &[Vec<u8>]) -> Result<(), String> {
    if presented.is_empty() {
        return Err("no certificate was captured in the TLS handshake".to_string());
    }
    let others: Vec<String> = presented
        .iter()
        .filter(|p| p.as_slice() != bound)
        .map(|p| hex::encode(sha256(p)))
        .collect();
    if others.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the TLS connection presented the certificate with sha256 {}, but the enclave bound the one with sha256 {}: something between you and the enclave terminates TLS (a proxy), or the server shows a certificate the enclave did not make",
            others.join(", "),
            hex::encode(sha256(bound))
        ))
    }
}

/// Whether the TLS key was made in the enclave. The measured settings say so: in emulation
/// they are read from the manifest, which must be the one mr_enclave measures; for genuine SGX
/// evidence ekms-server runs with `--quote-source gramine`, which refuses a host key, and the
/// manifest returned must not say otherwise.
pub(super) fn tls_key_in_enclave(
    emulated: Option<bool>,
    manifest_measured: &Result<(), String>,
    manifest: &[u8],
) -> Result<(), String> {
    if emulated != Some(false) && manifest_measured.is_err() {
        return Err(
            "not checked: the manifest returned is not the one the enclave was measured with (see manifest measures to mr_enclave), so its settings prove nothing".to_string(),
        );
    }
    crate::manifest::tls_key_made_in_enclave(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_comparison() {
        assert!(tls_certificate(b"a", &[b"a".to_vec()]).is_ok());
        assert!(tls_certificate(b"a", &[]).is_err());
        assert!(tls_certificate(b"a", &[b"a".to_vec(), b"b".to_vec()]).is_err());
    }
}
