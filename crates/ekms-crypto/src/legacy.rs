//! Legacy algorithms, kept only because the stock KMIP test suites still use them:
//! IDEA, DES3 and Blowfish key generation, Blowfish-CBC encryption, and plain ChaCha20 with
//! the original 8-byte nonce.
//!
//! aws-lc-rs has neither Blowfish nor a plain ChaCha20 it exposes, so they come from the
//! RustCrypto `blowfish`, `cbc` and `chacha20` crates (the one place this crate uses ciphers
//! not from aws-lc-rs). Plain ChaCha20 is unauthenticated: ChaCha20-Poly1305 is the cipher to
//! use. IDEA is offered for key
//! generation only (random bytes of the right size); nothing here encrypts with IDEA. DES3 the
//! same: three-key keys (random bytes with each byte's low bit set for odd parity, as DES
//! keys are written), never used to encrypt.
//! Do not use these for new data: Blowfish has a 64-bit block (birthday bounds at a few GiB)
//! and CBC is unauthenticated.

use crate::block::Padding;
use crate::{CryptoError, SecretBytes, rand};
use blowfish::Blowfish;
use cbc::cipher::block_padding::{NoPadding, Pkcs7};
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, InnerIvInit, KeyInit};

/// IDEA keys are 128 bits.
pub const IDEA_KEY_LEN: usize = 16;
/// Blowfish block (and IV) size.
pub const BLOWFISH_BLOCK_LEN: usize = 8;
/// Shortest Blowfish key accepted (32 bits).
pub const BLOWFISH_MIN_KEY_LEN: usize = 4;
/// Longest Blowfish key (448 bits).
pub const BLOWFISH_MAX_KEY_LEN: usize = 56;

/// A new random IDEA key (16 bytes).
pub fn generate_idea_key() -> Result<SecretBytes, CryptoError> {
    rand::secret(IDEA_KEY_LEN)
}

/// DES3 (three-key Triple DES) keys are 24 bytes: 168 key bits and 24 parity bits.
pub const DES3_KEY_LEN: usize = 24;

/// A new random three-key DES3 key, each byte with odd parity.
pub fn generate_des3_key() -> Result<SecretBytes, CryptoError> {
    let mut key = rand::secret(DES3_KEY_LEN)?;
    for b in key.iter_mut() {
        // The low bit of each byte is its parity bit: set it so the byte has an odd number of
        // ones (DES ignores it; some clients check it).
        *b = (*b & 0xFE) | u8::from((*b & 0xFE).count_ones() % 2 == 0);
    }
    Ok(key)
}

/// A new random Blowfish key of `len` bytes (4 to 56; KMIP clients usually ask for 16).
pub fn generate_blowfish_key(len: usize) -> Result<SecretBytes, CryptoError> {
    check_blowfish_key_len(len)?;
    rand::secret(len)
}

fn check_blowfish_key_len(len: usize) -> Result<(), CryptoError> {
    if !(BLOWFISH_MIN_KEY_LEN..=BLOWFISH_MAX_KEY_LEN).contains(&len) {
        return Err(CryptoError::KeyLength {
            algorithm: "Blowfish",
            got: len,
            expected: "4 to 56",
        });
    }
    Ok(())
}

fn cipher(key: &[u8], iv: &[u8]) -> Result<Blowfish, CryptoError> {
    check_blowfish_key_len(key.len())?;
    if iv.len() != BLOWFISH_BLOCK_LEN {
        return Err(CryptoError::IvLength {
            algorithm: "Blowfish-CBC",
            got: iv.len(),
            expected: BLOWFISH_BLOCK_LEN,
        });
    }
    Blowfish::new_from_slice(key).map_err(|_| CryptoError::KeyLength {
        algorithm: "Blowfish",
        got: key.len(),
        expected: "4 to 56",
    })
}

/// Blowfish-CBC encryption with an explicit 8-byte IV. With [`Padding::None`] the data must be
/// a multiple of 8 bytes.
pub fn blowfish_cbc_encrypt(
    key: &[u8],
    iv: &[u8],
    padding: Padding,
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let c = cipher(key, iv)?;
    let enc = cbc::Encryptor::<Blowfish>::inner_iv_slice_init(c, iv).map_err(|_| {
        CryptoError::IvLength {
            algorithm: "Blowfish-CBC",
            got: iv.len(),
            expected: BLOWFISH_BLOCK_LEN,
        }
    })?;
    Ok(match padding {
        Padding::Pkcs7 => enc.encrypt_padded_vec::<Pkcs7>(plaintext),
        Padding::None => {
            if !crate::is_multiple(plaintext.len(), BLOWFISH_BLOCK_LEN) {
                return Err(CryptoError::InvalidInput(
                    "Blowfish-CBC without padding needs a multiple of 8 bytes",
                ));
            }
            enc.encrypt_padded_vec::<NoPadding>(plaintext)
        }
    })
}

/// Blowfish-CBC decryption; bad padding is [`CryptoError::Decryption`].
pub fn blowfish_cbc_decrypt(
    key: &[u8],
    iv: &[u8],
    padding: Padding,
    ciphertext: &[u8],
) -> Result<SecretBytes, CryptoError> {
    let c = cipher(key, iv)?;
    if !crate::is_multiple(ciphertext.len(), BLOWFISH_BLOCK_LEN) {
        return Err(CryptoError::InvalidInput(
            "Blowfish-CBC ciphertexts are a multiple of 8 bytes",
        ));
    }
    if padding == Padding::Pkcs7 && ciphertext.is_empty() {
        return Err(CryptoError::InvalidInput(
            "a padded ciphertext has at least one block",
        ));
    }
    let dec = cbc::Decryptor::<Blowfish>::inner_iv_slice_init(c, iv).map_err(|_| {
        CryptoError::IvLength {
            algorithm: "Blowfish-CBC",
            got: iv.len(),
            expected: BLOWFISH_BLOCK_LEN,
        }
    })?;
    // Decrypt in a buffer we own and wipe, then cut the padding off.
    let mut buf = SecretBytes::new(ciphertext.to_vec());
    let len = match padding {
        Padding::Pkcs7 => dec
            .decrypt_padded::<Pkcs7>(&mut buf)
            .map_err(|_| CryptoError::Decryption)?
            .len(),
        Padding::None => dec
            .decrypt_padded::<NoPadding>(&mut buf)
            .map_err(|_| CryptoError::Decryption)?
            .len(),
    };
    zeroize::Zeroize::zeroize(&mut buf[len..]);
    buf.truncate(len);
    Ok(buf)
}

/// Plain ChaCha20's key size.
pub const CHACHA20_KEY_LEN: usize = 32;
/// The original ChaCha20 nonce size (a 64-bit nonce and a 64-bit block counter).
pub const CHACHA20_LEGACY_NONCE_LEN: usize = 8;

/// Plain ChaCha20 with the original 8-byte nonce, block counter from 0, applied to `data` in
/// place (encryption and decryption are the same XOR).
pub fn chacha20_legacy_apply(key: &[u8], nonce: &[u8], data: &mut [u8]) -> Result<(), CryptoError> {
    use chacha20::ChaCha20Legacy;
    use chacha20::cipher::{KeyIvInit, StreamCipher};
    let mut c = ChaCha20Legacy::new_from_slices(key, nonce).map_err(|_| {
        if key.len() != CHACHA20_KEY_LEN {
            CryptoError::KeyLength {
                algorithm: "ChaCha20",
                got: key.len(),
                expected: "32",
            }
        } else {
            CryptoError::IvLength {
                algorithm: "ChaCha20",
                got: nonce.len(),
                expected: CHACHA20_LEGACY_NONCE_LEN,
            }
        }
    })?;
    c.try_apply_keystream(data)
        .map_err(|_| CryptoError::InvalidInput("data longer than ChaCha20's keystream"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn chacha20_with_the_original_nonce_matches_the_published_vectors() {
        // draft-agl-tls-chacha20poly1305, section 7: 64 bytes of keystream each.
        let zero = [0u8; 32];
        let mut one = [0u8; 32];
        one[31] = 1;
        for (key, nonce, stream) in [
            (
                zero,
                h("0000000000000000"),
                "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586",
            ),
            (
                one,
                h("0000000000000000"),
                "4540f05a9f1fb296d7736e7b208e3c96eb4fe1834688d2604f450952ed432d41bbe2a0b6ea7566d2a5d1e7e20d42af2c53d792b1c43fea817e9ad275ae546963",
            ),
            (
                zero,
                h("0000000000000001"),
                "de9cba7bf3d69ef5e786dc63973f653a0b49e015adbff7134fcb7df137821031e85a050278a7084527214f73efc7fa5b5277062eb7a0433e445f41e3",
            ),
        ] {
            let want = h(stream);
            let mut data = vec![0u8; want.len()];
            chacha20_legacy_apply(&key, &nonce, &mut data).unwrap();
            assert_eq!(data, want);
            // The same XOR decrypts.
            chacha20_legacy_apply(&key, &nonce, &mut data).unwrap();
            assert!(data.iter().all(|b| *b == 0));
        }
        let mut d = [0u8; 4];
        assert!(matches!(
            chacha20_legacy_apply(&zero, &[0u8; 12], &mut d),
            Err(CryptoError::IvLength { .. })
        ));
        assert!(matches!(
            chacha20_legacy_apply(&zero[..16], &[0u8; 8], &mut d),
            Err(CryptoError::KeyLength { .. })
        ));
    }

    #[test]
    fn eric_young_blowfish_cbc_vector() {
        // Eric Young's Blowfish test data (the reference set listed on schneier.com), CBC case:
        // "7654321 Now is the time for " plus its NUL, zero-filled to 32 bytes.
        let key = h("0123456789ABCDEFF0E1D2C3B4A59687");
        let iv = h("FEDCBA9876543210");
        let pt = h("37363534333231204E6F77206973207468652074696D6520666F722000000000");
        let ct = blowfish_cbc_encrypt(&key, &iv, Padding::None, &pt).unwrap();
        assert_eq!(
            hex::encode_upper(&ct),
            "6B77B4D63006DEE605B156E27403979358DEB9E7154616D959F1652BD5FF92CC"
        );
        assert_eq!(
            &blowfish_cbc_decrypt(&key, &iv, Padding::None, &ct).unwrap()[..],
            &pt[..]
        );
    }

    #[test]
    fn eric_young_ecb_vector_as_one_cbc_block_with_zero_iv() {
        // One block of CBC with a zero IV is ECB: key 0, plaintext 0 -> 4EF997456198DD78.
        let ct = blowfish_cbc_encrypt(&[0u8; 8], &[0u8; 8], Padding::None, &[0u8; 8]).unwrap();
        assert_eq!(hex::encode_upper(ct), "4EF997456198DD78");
    }

    #[test]
    fn padded_round_trip_and_negative_cases() {
        let key = generate_blowfish_key(16).unwrap();
        let iv = [9u8; 8];
        for len in 0..30 {
            let data = vec![0x42u8; len];
            let ct = blowfish_cbc_encrypt(&key, &iv, Padding::Pkcs7, &data).unwrap();
            assert_eq!(ct.len(), (len / 8 + 1) * 8);
            let pt = blowfish_cbc_decrypt(&key, &iv, Padding::Pkcs7, &ct).unwrap();
            assert_eq!(&pt[..], &data[..]);
        }
        // "legacy" pads with 02 02; an IV whose last byte is flipped turns the last padding
        // byte into 0x57, which no valid padding has.
        let ct = blowfish_cbc_encrypt(&key, &iv, Padding::Pkcs7, b"legacy").unwrap();
        let mut bad_iv = iv;
        bad_iv[7] ^= 0x55;
        assert_eq!(
            blowfish_cbc_decrypt(&key, &bad_iv, Padding::Pkcs7, &ct),
            Err(CryptoError::Decryption)
        );
        assert!(matches!(
            blowfish_cbc_encrypt(&[0u8; 3], &iv, Padding::Pkcs7, b"x"),
            Err(CryptoError::KeyLength { .. })
        ));
        assert!(matches!(
            blowfish_cbc_encrypt(&[0u8; 57], &iv, Padding::Pkcs7, b"x"),
            Err(CryptoError::KeyLength { .. })
        ));
        assert!(matches!(
            blowfish_cbc_encrypt(&key, &[0u8; 16], Padding::Pkcs7, b"x"),
            Err(CryptoError::IvLength { .. })
        ));
        assert!(matches!(
            blowfish_cbc_encrypt(&key, &iv, Padding::None, b"odd"),
            Err(CryptoError::InvalidInput(_))
        ));
        assert!(matches!(
            blowfish_cbc_decrypt(&key, &iv, Padding::Pkcs7, &[0u8; 7]),
            Err(CryptoError::InvalidInput(_))
        ));
        assert!(matches!(
            generate_blowfish_key(2),
            Err(CryptoError::KeyLength { .. })
        ));
        assert_eq!(generate_idea_key().unwrap().len(), 16);
    }

    #[test]
    fn des3_keys_have_odd_parity_and_differ() {
        let a = generate_des3_key().unwrap();
        let b = generate_des3_key().unwrap();
        assert_eq!(a.len(), DES3_KEY_LEN);
        assert!(a.iter().chain(b.iter()).all(|x| x.count_ones() % 2 == 1));
        assert_ne!(a[..], b[..]);
    }
}
