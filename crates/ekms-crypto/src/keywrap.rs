//! AES Key Wrap (RFC 3394 / NIST SP 800-38F KW) and AES Key Wrap with Padding (RFC 5649 / KWP),
//! from aws-lc-rs `key_wrap`.
//!
//! aws-lc-rs offers AES-128 and AES-256 key-encryption keys only: an AES-192 KEK is refused
//! with [`CryptoError::Unsupported`] rather than implemented here. RSA-OAEP key wrapping is
//! [`crate::rsa::RsaPublicKey::encrypt`].

use crate::{CryptoError, SecretBytes};
use aws_lc_rs::key_wrap::{AES_128, AES_256, AesKek, KeyWrap, KeyWrapPadded};

fn kek(key: &[u8]) -> Result<AesKek, CryptoError> {
    let cipher = match key.len() {
        16 => &AES_128,
        32 => &AES_256,
        24 => {
            return Err(CryptoError::Unsupported(
                "AES-192 key-encryption keys (aws-lc-rs wraps with AES-128 and AES-256 only)",
            ));
        }
        got => {
            return Err(CryptoError::KeyLength {
                algorithm: "AES key wrap",
                got,
                expected: "16 or 32",
            });
        }
    };
    AesKek::new(cipher, key).map_err(|_| CryptoError::Failed("key wrap setup"))
}

/// RFC 3394: wraps `key_data` (a multiple of 8 bytes, at least 16) under the AES key `kek`.
/// The result is 8 bytes longer.
pub fn wrap(kek_bytes: &[u8], key_data: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if key_data.len() < 16 || !crate::is_multiple(key_data.len(), 8) {
        return Err(CryptoError::InvalidInput(
            "AES key wrap takes a multiple of 8 bytes, at least 16 (use the padded variant)",
        ));
    }
    let k = kek(kek_bytes)?;
    let mut out = vec![0u8; key_data.len() + 8];
    let len = k
        .wrap(key_data, &mut out)
        .map_err(|_| CryptoError::Failed("key wrap"))?
        .len();
    out.truncate(len);
    Ok(out)
}

/// RFC 3394 unwrap; an altered blob or a wrong KEK fails the integrity check
/// ([`CryptoError::Authentication`]).
pub fn unwrap(kek_bytes: &[u8], wrapped: &[u8]) -> Result<SecretBytes, CryptoError> {
    if wrapped.len() < 24 || !crate::is_multiple(wrapped.len(), 8) {
        return Err(CryptoError::InvalidInput(
            "an AES key wrap blob is a multiple of 8 bytes, at least 24",
        ));
    }
    let k = kek(kek_bytes)?;
    let mut out = SecretBytes::new(vec![0u8; wrapped.len() - 8]);
    let len = k
        .unwrap(wrapped, &mut out)
        .map_err(|_| CryptoError::Authentication)?
        .len();
    out.truncate(len);
    Ok(out)
}

/// RFC 5649: wraps `key_data` of any non-zero length under `kek`.
pub fn wrap_pad(kek_bytes: &[u8], key_data: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if key_data.is_empty() {
        return Err(CryptoError::InvalidInput("nothing to wrap"));
    }
    let k = kek(kek_bytes)?;
    let mut out = vec![0u8; key_data.len() + 16];
    let len = k
        .wrap_with_padding(key_data, &mut out)
        .map_err(|_| CryptoError::Failed("key wrap with padding"))?
        .len();
    out.truncate(len);
    Ok(out)
}

/// RFC 5649 unwrap; integrity or padding failures are [`CryptoError::Authentication`].
pub fn unwrap_pad(kek_bytes: &[u8], wrapped: &[u8]) -> Result<SecretBytes, CryptoError> {
    if wrapped.len() < 16 || !crate::is_multiple(wrapped.len(), 8) {
        return Err(CryptoError::InvalidInput(
            "an AES key wrap with padding blob is a multiple of 8 bytes, at least 16",
        ));
    }
    let k = kek(kek_bytes)?;
    let mut out = SecretBytes::new(vec![0u8; wrapped.len()]);
    let len = k
        .unwrap_with_padding(wrapped, &mut out)
        .map_err(|_| CryptoError::Authentication)?
        .len();
    zeroize::Zeroize::zeroize(&mut out[len..]);
    out.truncate(len);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_vectors as tv;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn rfc_3394_section_4() {
        let kek128 = h("000102030405060708090A0B0C0D0E0F");
        let kek256 = h("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F");
        let key128 = h("00112233445566778899AABBCCDDEEFF");
        let key256 = h("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F");
        // 4.1: 128-bit key data with a 128-bit KEK.
        let w = wrap(&kek128, &key128).unwrap();
        assert_eq!(
            hex::encode_upper(&w),
            "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"
        );
        assert_eq!(&unwrap(&kek128, &w).unwrap()[..], &key128[..]);
        // 4.3: 128-bit key data with a 256-bit KEK.
        let w = wrap(&kek256, &key128).unwrap();
        assert_eq!(
            hex::encode_upper(&w),
            "64E8C3F9CE0F5BA263E9777905818A2A93C8191E7D6E8AE7"
        );
        // 4.6: 256-bit key data with a 256-bit KEK.
        let w = wrap(&kek256, &key256).unwrap();
        assert_eq!(
            hex::encode_upper(&w),
            "28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21"
        );
        assert_eq!(&unwrap(&kek256, &w).unwrap()[..], &key256[..]);
    }

    #[test]
    fn wycheproof_kw_and_kwp() {
        for (kek_hex, key, wrapped) in [
            (
                tv::AES_KW_128_KEK,
                tv::AES_KW_128_KEY,
                tv::AES_KW_128_WRAPPED,
            ),
            (
                tv::AES_KW_256_KEK,
                tv::AES_KW_256_KEY,
                tv::AES_KW_256_WRAPPED,
            ),
        ] {
            assert_eq!(hex::encode(wrap(&h(kek_hex), &h(key)).unwrap()), wrapped);
            assert_eq!(
                hex::encode(&unwrap(&h(kek_hex), &h(wrapped)).unwrap()[..]),
                key
            );
        }
        for (kek_hex, key, wrapped) in [
            (
                tv::AES_KWP_128_KEK,
                tv::AES_KWP_128_KEY,
                tv::AES_KWP_128_WRAPPED,
            ),
            (
                tv::AES_KWP_256_KEK,
                tv::AES_KWP_256_KEY,
                tv::AES_KWP_256_WRAPPED,
            ),
        ] {
            assert_eq!(
                hex::encode(wrap_pad(&h(kek_hex), &h(key)).unwrap()),
                wrapped
            );
            assert_eq!(
                hex::encode(&unwrap_pad(&h(kek_hex), &h(wrapped)).unwrap()[..]),
                key
            );
        }
        // The AES-192 groups of the same files cannot run: aws-lc-rs has no AES-192 KEK.
        assert!(matches!(
            wrap(&h(tv::AES_KW_192_KEK), &h(tv::AES_KW_192_KEY)),
            Err(CryptoError::Unsupported(_))
        ));
    }

    #[test]
    fn padded_round_trip_every_length() {
        let kek = [7u8; 32];
        for len in 1..70 {
            let data = vec![0x3cu8; len];
            let w = wrap_pad(&kek, &data).unwrap();
            assert_eq!(w.len(), len.div_ceil(8) * 8 + 8);
            assert_eq!(&unwrap_pad(&kek, &w).unwrap()[..], &data[..]);
        }
    }

    #[test]
    fn negative_cases() {
        let kek = [1u8; 16];
        let w = wrap(&kek, &[2u8; 32]).unwrap();
        let mut bad = w.clone();
        bad[5] ^= 1;
        assert_eq!(unwrap(&kek, &bad), Err(CryptoError::Authentication));
        assert_eq!(unwrap(&[9u8; 16], &w), Err(CryptoError::Authentication));
        let wp = wrap_pad(&kek, b"seven b").unwrap();
        assert_eq!(
            unwrap_pad(&[9u8; 16], &wp),
            Err(CryptoError::Authentication)
        );
        // A KW blob is not a KWP blob (different integrity check value).
        assert_eq!(unwrap_pad(&kek, &w), Err(CryptoError::Authentication));
        assert!(matches!(
            wrap(&kek, &[0u8; 12]),
            Err(CryptoError::InvalidInput(_))
        ));
        assert!(matches!(
            wrap(&kek, &[0u8; 8]),
            Err(CryptoError::InvalidInput(_))
        ));
        assert!(matches!(
            unwrap(&kek, &w[..20]),
            Err(CryptoError::InvalidInput(_))
        ));
        assert!(matches!(
            wrap_pad(&kek, &[]),
            Err(CryptoError::InvalidInput(_))
        ));
        assert!(matches!(
            wrap(&[0u8; 17], &[0u8; 16]),
            Err(CryptoError::KeyLength { .. })
        ));
        assert!(matches!(
            wrap_pad(&[0u8; 24], b"x"),
            Err(CryptoError::Unsupported(_))
        ));
    }
}
