//! AES-GCM with IVs other than 96 bits, from RustCrypto's `aes-gcm`.
//!
//! aws-lc-rs takes 96-bit nonces only. GCM defines any IV length (NIST SP 800-38D): an IV of
//! another length is turned into the first counter block by GHASH, which aws-lc-rs does not
//! expose, so these lengths come from `aes-gcm` (whose nonce size is a type: one instance per
//! length, chosen here at run time). [`crate::aead::AeadKey`] uses this module only for IV
//! lengths aws-lc-rs refuses; 96-bit IVs stay with aws-lc-rs. Tags are full (16 bytes):
//! shortened tags are checked by the caller, as for 96-bit IVs.

use crate::CryptoError;
use crate::aead::TAG_LEN;
use aes_gcm::AesGcm;
use aes_gcm::aead::array::{Array, AssocArraySize};
use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::aes::{Aes128, Aes192, Aes256};

/// The longest IV taken (bytes). SP 800-38D allows longer ones, but each length is its own
/// instance of the cipher; 64 bytes covers the published test vectors' 60-byte IVs.
pub const MAX_IV_LEN: usize = 64;

/// What to do with the buffer.
enum Op<'a> {
    Seal,
    Open(&'a [u8; TAG_LEN]),
}

/// Runs `op` with the cipher `C` (AES-GCM of one key size and one nonce size).
fn run<C: KeyInit + AeadInOut>(
    key: &[u8],
    iv: &[u8],
    aad: &[u8],
    in_out: &mut [u8],
    op: Op<'_>,
) -> Result<[u8; TAG_LEN], CryptoError> {
    let cipher = C::new_from_slice(key).map_err(|_| CryptoError::Failed("aes-gcm key setup"))?;
    let nonce = Array::try_from(iv).map_err(|_| CryptoError::Failed("aes-gcm nonce size"))?;
    match op {
        Op::Seal => {
            let tag = cipher
                .encrypt_inout_detached(&nonce, aad, in_out.into())
                .map_err(|_| CryptoError::Failed("aes-gcm seal"))?;
            let mut out = [0u8; TAG_LEN];
            if tag.len() != TAG_LEN {
                return Err(CryptoError::Failed("aes-gcm tag size"));
            }
            out.copy_from_slice(&tag);
            Ok(out)
        }
        Op::Open(tag) => {
            let tag = Array::try_from(&tag[..]).map_err(|_| CryptoError::Authentication)?;
            if cipher
                .decrypt_inout_detached(&nonce, aad, in_out.into(), &tag)
                .is_err()
            {
                zeroize::Zeroize::zeroize(in_out);
                return Err(CryptoError::Authentication);
            }
            Ok([0u8; TAG_LEN])
        }
    }
}

/// Picks the instance of `AesGcm<$aes, _>` for the IV length and runs it.
macro_rules! by_iv_len {
    ($aes:ty, $key:expr, $iv:expr, $aad:expr, $buf:expr, $op:expr; $($n:literal)+) => {
        match $iv.len() {
            $($n => run::<AesGcm<$aes, <[u8; $n] as AssocArraySize>::Size>>(
                $key, $iv, $aad, $buf, $op,
            ),)+
            got => Err(CryptoError::IvLengthRange {
                algorithm: "AES-GCM",
                got,
                min: 1,
                max: MAX_IV_LEN,
            }),
        }
    };
}

/// Picks the AES key size, then the IV length.
macro_rules! dispatch {
    ($key:expr, $iv:expr, $aad:expr, $buf:expr, $op:expr) => {
        match $key.len() {
            16 => by_iv_len!(Aes128, $key, $iv, $aad, $buf, $op; 1 2 3 4 5 6 7 8 9 10 11 12 13 14
                15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41
                42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63 64),
            24 => by_iv_len!(Aes192, $key, $iv, $aad, $buf, $op; 1 2 3 4 5 6 7 8 9 10 11 12 13 14
                15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41
                42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63 64),
            32 => by_iv_len!(Aes256, $key, $iv, $aad, $buf, $op; 1 2 3 4 5 6 7 8 9 10 11 12 13 14
                15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41
                42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63 64),
            got => Err(CryptoError::KeyLength {
                algorithm: "AES-GCM",
                got,
                expected: "16, 24 or 32",
            }),
        }
    };
}

/// Encrypts `in_out` in place under AES-GCM with an IV of 1 to [`MAX_IV_LEN`] bytes; the
/// full tag.
pub fn seal_in_place(
    key: &[u8],
    iv: &[u8],
    aad: &[u8],
    in_out: &mut [u8],
) -> Result<[u8; TAG_LEN], CryptoError> {
    dispatch!(key, iv, aad, in_out, Op::Seal)
}

/// Decrypts `in_out` in place after checking the full `tag`; on failure `in_out` is zeroed.
pub fn open_in_place(
    key: &[u8],
    iv: &[u8],
    aad: &[u8],
    in_out: &mut [u8],
    tag: &[u8; TAG_LEN],
) -> Result<(), CryptoError> {
    dispatch!(key, iv, aad, in_out, Op::Open(tag)).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    // "The Galois/Counter Mode of Operation (GCM)", McGrew and Viega (the GCM specification
    // submitted to NIST), Appendix B: test case 17 (AES-256, 64-bit IV) and 18 (AES-256,
    // 480-bit IV). The OASIS case CS-BC-M-GCM-2 uses the same key, data and IVs.
    const KEY: &str = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
    const PT: &str = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
                      1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
    const AAD: &str = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
    const CASES: [(&str, &str, &str); 2] = [
        (
            "cafebabefacedbad",
            "c3762df1ca787d32ae47c13bf19844cbaf1ae14d0b976afac52ff7d79bba9de0\
             feb582d33934a4f0954cc2363bc73f7862ac430e64abe499f47c9b1f",
            "3a337dbf46a792c45e454913fe2ea8f2",
        ),
        (
            "9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728\
             c3c0c95156809539fcf0e2429a6b525416aedbf5a0de6a57a637b39b",
            "5a8def2f0c9e53f1f75d7853659e2a20eeb2b22aafde6419a058ab4f6f746bf4\
             0fc0c3b780f244452da3ebf1c5d82cdea2418997200ef82e44ae7e3f",
            "a44a8266ee1c8eb0c8b5d4cf5ae9f19a",
        ),
    ];

    #[test]
    fn gcm_spec_vectors_with_64_and_480_bit_ivs() {
        for (iv, ct, tag) in CASES {
            let mut buf = h(PT);
            let t = seal_in_place(&h(KEY), &h(iv), &h(AAD), &mut buf).unwrap();
            assert_eq!((buf.clone(), t.to_vec()), (h(ct), h(tag)), "IV {iv}");
            open_in_place(&h(KEY), &h(iv), &h(AAD), &mut buf, &t).unwrap();
            assert_eq!(buf, h(PT));
            let mut bad = t;
            bad[0] ^= 1;
            let mut buf = h(ct);
            let e = open_in_place(&h(KEY), &h(iv), &h(AAD), &mut buf, &bad);
            assert_eq!(e, Err(CryptoError::Authentication));
            assert!(buf.iter().all(|b| *b == 0), "no unauthenticated plaintext");
        }
    }

    #[test]
    fn a_96_bit_iv_agrees_with_aws_lc() {
        for key_len in [16, 24, 32] {
            let key = vec![7u8; key_len];
            let alg = crate::aead::AeadAlgorithm::aes_gcm_for_key(key_len).unwrap();
            let (mut a, mut b) = (b"some data".to_vec(), b"some data".to_vec());
            let ta = seal_in_place(&key, &[3; 12], b"aad", &mut a).unwrap();
            let tb = alg.seal_in_place(&key, &[3; 12], b"aad", &mut b).unwrap();
            assert_eq!((a, ta), (b, tb));
        }
    }

    #[test]
    fn iv_and_key_lengths_out_of_range_are_refused() {
        let mut buf = vec![0u8; 4];
        assert!(seal_in_place(&[0; 16], &[], b"", &mut buf).is_err());
        assert!(seal_in_place(&[0; 16], &[0; MAX_IV_LEN + 1], b"", &mut buf).is_err());
        assert!(seal_in_place(&[0; 16], &[0; MAX_IV_LEN], b"", &mut buf).is_ok());
        assert!(seal_in_place(&[0; 20], &[0; 8], b"", &mut buf).is_err());
    }
}
