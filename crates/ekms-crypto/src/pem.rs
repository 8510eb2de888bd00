//! PEM (RFC 7468) armor for DER key encodings, with secret-aware buffers.

use crate::{CryptoError, SecretBytes};
use der::pem::{self, LineEnding};
use zeroize::Zeroizing;

/// Wraps `der` in PEM with `label`; the text is wiped on drop (it may hold a private key).
pub(crate) fn encode(label: &str, der: &[u8]) -> Result<Zeroizing<String>, CryptoError> {
    let len = pem::encapsulated_len(label, LineEnding::LF, der.len())
        .map_err(|_| CryptoError::Encoding("PEM encoding"))?;
    let mut buf = Zeroizing::new(vec![0u8; len]);
    let written = pem::encode(label, LineEnding::LF, der, &mut buf)
        .map_err(|_| CryptoError::Encoding("PEM encoding"))?
        .len();
    let body =
        std::str::from_utf8(&buf[..written]).map_err(|_| CryptoError::Encoding("PEM encoding"))?;
    // Sized up front so the text is never reallocated (which would leave a copy behind).
    let mut text = Zeroizing::new(String::with_capacity(written + 1));
    text.push_str(body);
    // RFC 7468 text ends with a line break, as files written by other tools do.
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

/// Whether `input` looks like PEM (rather than DER).
pub(crate) fn is_pem(input: &[u8]) -> bool {
    let trimmed = input.trim_ascii_start();
    trimmed.starts_with(b"-----BEGIN ")
}

/// Decodes one PEM block: its label and DER body (wiped on drop).
pub(crate) fn decode(input: &[u8]) -> Result<(String, SecretBytes), CryptoError> {
    let trimmed = input.trim_ascii();
    let (label, der) =
        pem::decode_vec(trimmed).map_err(|_| CryptoError::Encoding("malformed PEM"))?;
    Ok((label.to_string(), SecretBytes::new(der)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_garbage() {
        let text = encode("PRIVATE KEY", &[1, 2, 3, 4, 5]).unwrap();
        assert!(text.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert!(text.ends_with("-----END PRIVATE KEY-----\n"));
        assert!(is_pem(text.as_bytes()));
        let (label, der) = decode(format!("\n  {}\n", &*text).as_bytes()).unwrap();
        assert_eq!(label, "PRIVATE KEY");
        assert_eq!(&der[..], &[1, 2, 3, 4, 5]);
        assert!(decode(b"-----BEGIN X-----\n!!!\n-----END X-----\n").is_err());
        assert!(decode(b"-----BEGIN X-----\nAAAA\n-----END Y-----\n").is_err());
        assert!(!is_pem(&[0x30, 0x82]));
    }
}
