//! PEM armour for the emulated platform's keys and certificates.
//!
//! Owns nothing public: encoding (RFC 7468, 64-character lines, LF endings) and decoding of a
//! single PEM block with a required label.
//! Decoded private keys come back in [`Zeroizing`] buffers.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

/// PEM label of a certificate.
pub(crate) const CERTIFICATE: &str = "CERTIFICATE";
/// PEM label of a PKCS#8 private key.
pub(crate) const PRIVATE_KEY: &str = "PRIVATE KEY";
/// PEM label of a SubjectPublicKeyInfo.
pub(crate) const PUBLIC_KEY: &str = "PUBLIC KEY";

/// `der` armoured with `label`.
pub(crate) fn encode(label: &str, der: &[u8]) -> String {
    let b64 = Zeroizing::new(STANDARD.encode(der));
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 2 * label.len() + 40);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for line in b64.as_bytes().chunks(64) {
        // base64 output is ASCII.
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

/// The DER inside the one PEM block of `text`, which must carry `label`. Only whitespace may
/// surround the block. The base64 text and the DER are kept in [`Zeroizing`] buffers (no other
/// copy is made), since private keys pass through here.
pub(crate) fn decode(text: &[u8], label: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let text = text.trim_ascii();
    let body = text
        .strip_prefix(begin.as_bytes())
        .and_then(|rest| rest.strip_suffix(end.as_bytes()))
        .ok_or_else(|| format!("not a single PEM block labelled {label:?}"))?;
    let mut b64 = Zeroizing::new(Vec::with_capacity(body.len()));
    for &byte in body {
        match byte {
            b if b.is_ascii_whitespace() => {}
            b'-' => return Err("more than one PEM block".to_string()),
            b => b64.push(b),
        }
    }
    let mut der = Zeroizing::new(vec![0u8; b64.len() / 4 * 3 + 3]);
    let len = STANDARD
        .decode_slice(b64.as_slice(), der.as_mut_slice())
        .map_err(|e| format!("invalid base64 in the PEM block: {e}"))?;
    der.truncate(len);
    Ok(der)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode_round_trip() {
        let der: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let text = encode(CERTIFICATE, &der);
        assert!(text.starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(text.ends_with("-----END CERTIFICATE-----\n"));
        assert!(text.lines().all(|l| l.len() <= 64));
        assert_eq!(*decode(text.as_bytes(), CERTIFICATE).unwrap(), der);
        assert!(decode(text.as_bytes(), PRIVATE_KEY).is_err());
        let twice = format!("{text}{text}");
        assert!(decode(twice.as_bytes(), CERTIFICATE).is_err());
        assert!(
            decode(
                b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----",
                CERTIFICATE
            )
            .is_err()
        );
        let spaced = format!("\n\n{text}\n");
        assert_eq!(*decode(spaced.as_bytes(), CERTIFICATE).unwrap(), der);
    }
}
