//! AES block modes with explicit IVs: CBC and ECB (with PKCS#7 padding or none), CTR, CFB-128,
//! CFB-8 and OFB, all from the aws-lc-rs `cipher` module.
//!
//! These modes do not authenticate: prefer [`crate::aead`]. They exist because KMIP clients ask
//! for them by name (Encrypt/Decrypt with a BlockCipherMode, the "ENCRYPT" key derivation).
//! PKCS#5 padding is PKCS#7 padding with 8-byte blocks; for AES (16-byte blocks) KMIP's
//! "PKCS5" means this same PKCS#7 padding, so [`Padding::Pkcs7`] serves both names.
//! The CTR mode increments the whole 16-byte counter block as a big-endian integer
//! (NIST SP 800-38A, the usual "initial counter block" KMIP clients send as the IV).

use crate::{CryptoError, SecretBytes};
use aws_lc_rs::cipher::{
    self, DecryptingKey, DecryptionContext, EncryptingKey, EncryptionContext,
    PaddedBlockDecryptingKey, PaddedBlockEncryptingKey, UnboundCipherKey,
};
use aws_lc_rs::iv::FixedLength;

/// The AES block size, which is also the IV size of every mode here except ECB (no IV).
pub const BLOCK_LEN: usize = 16;

/// The block cipher modes offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BlockMode {
    Cbc,
    /// Electronic codebook: no IV (pass an empty slice). Leaks equal blocks; for compatibility.
    Ecb,
    /// Counter mode; the IV is the 16-byte initial counter block.
    Ctr,
    Cfb128,
    Cfb8,
    Ofb,
}

impl BlockMode {
    /// Length of the IV this mode takes (0 for ECB).
    pub fn iv_len(self) -> usize {
        match self {
            Self::Ecb => 0,
            _ => BLOCK_LEN,
        }
    }

    /// Whether this mode needs whole blocks (CBC and ECB), and so may take padding.
    pub fn is_block_aligned(self) -> bool {
        matches!(self, Self::Cbc | Self::Ecb)
    }

    fn name(self) -> &'static str {
        match self {
            Self::Cbc => "AES-CBC",
            Self::Ecb => "AES-ECB",
            Self::Ctr => "AES-CTR",
            Self::Cfb128 => "AES-CFB128",
            Self::Cfb8 => "AES-CFB8",
            Self::Ofb => "AES-OFB",
        }
    }
}

/// Padding of the block-aligned modes (CBC, ECB). The stream modes take [`Padding::None`] only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Padding {
    /// The data must already be a multiple of 16 bytes (CBC, ECB); any length otherwise.
    None,
    /// PKCS#7 (= KMIP "PKCS5" for AES): always adds 1 to 16 bytes.
    Pkcs7,
}

fn algorithm(mode: BlockMode, key: &[u8]) -> Result<&'static cipher::Algorithm, CryptoError> {
    match key.len() {
        16 => Ok(&cipher::AES_128),
        24 => Ok(&cipher::AES_192),
        32 => Ok(&cipher::AES_256),
        got => Err(CryptoError::KeyLength {
            algorithm: mode.name(),
            got,
            expected: "16, 24 or 32",
        }),
    }
}

fn check(
    mode: BlockMode,
    padding: Padding,
    iv: &[u8],
) -> Result<Option<FixedLength<BLOCK_LEN>>, CryptoError> {
    if padding == Padding::Pkcs7 && !mode.is_block_aligned() {
        return Err(CryptoError::Unsupported(
            "padding with a stream mode (CTR, CFB, OFB)",
        ));
    }
    if iv.len() != mode.iv_len() {
        return Err(CryptoError::IvLength {
            algorithm: mode.name(),
            got: iv.len(),
            expected: mode.iv_len(),
        });
    }
    if mode == BlockMode::Ecb {
        return Ok(None);
    }
    let iv: [u8; BLOCK_LEN] = iv.try_into().map_err(|_| CryptoError::IvLength {
        algorithm: mode.name(),
        got: iv.len(),
        expected: BLOCK_LEN,
    })?;
    Ok(Some(FixedLength::from(iv)))
}

fn unbound(mode: BlockMode, key: &[u8]) -> Result<UnboundCipherKey, CryptoError> {
    UnboundCipherKey::new(algorithm(mode, key)?, key)
        .map_err(|_| CryptoError::Failed("cipher key setup"))
}

fn encryption_context(iv: Option<FixedLength<BLOCK_LEN>>) -> EncryptionContext {
    match iv {
        Some(iv) => EncryptionContext::Iv128(iv),
        None => EncryptionContext::None,
    }
}

fn decryption_context(iv: Option<FixedLength<BLOCK_LEN>>) -> DecryptionContext {
    match iv {
        Some(iv) => DecryptionContext::Iv128(iv),
        None => DecryptionContext::None,
    }
}

fn unpadded_encrypting_key(
    mode: BlockMode,
    key: UnboundCipherKey,
) -> Result<EncryptingKey, aws_lc_rs::error::Unspecified> {
    match mode {
        BlockMode::Cbc => EncryptingKey::cbc(key),
        BlockMode::Ecb => EncryptingKey::ecb(key),
        BlockMode::Ctr => EncryptingKey::ctr(key),
        BlockMode::Cfb128 => EncryptingKey::cfb128(key),
        BlockMode::Cfb8 => EncryptingKey::cfb8(key),
        BlockMode::Ofb => EncryptingKey::ofb(key),
    }
}

fn unpadded_decrypting_key(
    mode: BlockMode,
    key: UnboundCipherKey,
) -> Result<DecryptingKey, aws_lc_rs::error::Unspecified> {
    match mode {
        BlockMode::Cbc => DecryptingKey::cbc(key),
        BlockMode::Ecb => DecryptingKey::ecb(key),
        BlockMode::Ctr => DecryptingKey::ctr(key),
        BlockMode::Cfb128 => DecryptingKey::cfb128(key),
        BlockMode::Cfb8 => DecryptingKey::cfb8(key),
        BlockMode::Ofb => DecryptingKey::ofb(key),
    }
}

/// Encrypts `plaintext` with AES (key of 16, 24 or 32 bytes) in `mode` under the explicit `iv`
/// (16 bytes; empty for ECB). With [`Padding::None`], CBC and ECB need a multiple of 16 bytes.
pub fn encrypt(
    key: &[u8],
    mode: BlockMode,
    padding: Padding,
    iv: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let iv = check(mode, padding, iv)?;
    let key = unbound(mode, key)?;
    if padding == Padding::Pkcs7 {
        let k = match mode {
            BlockMode::Cbc => PaddedBlockEncryptingKey::cbc_pkcs7(key),
            _ => PaddedBlockEncryptingKey::ecb_pkcs7(key),
        }
        .map_err(|_| CryptoError::Failed("cipher key setup"))?;
        // Room for the padding up front, so the buffer holding plaintext is never reallocated
        // (a reallocation would leave a copy of the plaintext behind).
        let mut out = Vec::with_capacity(plaintext.len() + BLOCK_LEN);
        out.extend_from_slice(plaintext);
        k.less_safe_encrypt(&mut out, encryption_context(iv))
            .map_err(|_| CryptoError::Failed("block cipher encryption"))?;
        return Ok(out);
    }
    if mode.is_block_aligned() && !crate::is_multiple(plaintext.len(), BLOCK_LEN) {
        return Err(CryptoError::InvalidInput(
            "CBC and ECB without padding need a multiple of 16 bytes",
        ));
    }
    if plaintext.is_empty() {
        return Ok(Vec::new());
    }
    let k =
        unpadded_encrypting_key(mode, key).map_err(|_| CryptoError::Failed("cipher key setup"))?;
    let mut out = plaintext.to_vec();
    k.less_safe_encrypt(&mut out, encryption_context(iv))
        .map_err(|_| CryptoError::Failed("block cipher encryption"))?;
    Ok(out)
}

/// Decrypts what [`encrypt`] made with the same key, mode, padding and IV. A wrong key or
/// altered data is usually *not* detected (no authentication); bad PKCS#7 padding is
/// [`CryptoError::Decryption`].
pub fn decrypt(
    key: &[u8],
    mode: BlockMode,
    padding: Padding,
    iv: &[u8],
    ciphertext: &[u8],
) -> Result<SecretBytes, CryptoError> {
    let iv = check(mode, padding, iv)?;
    let key = unbound(mode, key)?;
    if mode.is_block_aligned() && !crate::is_multiple(ciphertext.len(), BLOCK_LEN) {
        return Err(CryptoError::InvalidInput(
            "CBC and ECB ciphertexts are a multiple of 16 bytes",
        ));
    }
    let mut buf = SecretBytes::new(ciphertext.to_vec());
    if padding == Padding::Pkcs7 {
        if ciphertext.is_empty() {
            return Err(CryptoError::InvalidInput(
                "a padded ciphertext has at least one block",
            ));
        }
        let k = match mode {
            BlockMode::Cbc => PaddedBlockDecryptingKey::cbc_pkcs7(key),
            _ => PaddedBlockDecryptingKey::ecb_pkcs7(key),
        }
        .map_err(|_| CryptoError::Failed("cipher key setup"))?;
        let len = k
            .decrypt(&mut buf, decryption_context(iv))
            .map_err(|_| CryptoError::Decryption)?
            .len();
        // Wipe the padding bytes before shortening (truncate does not clear them).
        zeroize::Zeroize::zeroize(&mut buf[len..]);
        buf.truncate(len);
        return Ok(buf);
    }
    if ciphertext.is_empty() {
        return Ok(buf);
    }
    let k =
        unpadded_decrypting_key(mode, key).map_err(|_| CryptoError::Failed("cipher key setup"))?;
    k.decrypt(&mut buf, decryption_context(iv))
        .map_err(|_| CryptoError::Decryption)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_vectors as tv;

    const PT: &str = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
    const IV: &str = "000102030405060708090a0b0c0d0e0f";
    const CTR0: &str = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
    const K128: &str = "2b7e151628aed2a6abf7158809cf4f3c";
    const K192: &str = "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b";
    const K256: &str = "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    fn kat(key: &str, mode: BlockMode, iv: &str, want: &str) {
        let ct = encrypt(&h(key), mode, Padding::None, &h(iv), &h(PT)).unwrap();
        assert_eq!(hex::encode(&ct), want, "{mode:?} key {}", key.len() * 4);
        let pt = decrypt(&h(key), mode, Padding::None, &h(iv), &ct).unwrap();
        assert_eq!(hex::encode(&pt[..]), PT);
    }

    #[test]
    fn nist_sp_800_38a_appendix_f() {
        // F.1 ECB, F.2 CBC, F.3.13 CFB128, F.4 OFB, F.5 CTR, for AES-128/192/256.
        kat(
            K128,
            BlockMode::Ecb,
            "",
            "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf43b1cd7f598ece23881b00e3ed0306887b0c785e27e8ad3f8223207104725dd4",
        );
        kat(
            K192,
            BlockMode::Ecb,
            "",
            "bd334f1d6e45f25ff712a214571fa5cc974104846d0ad3ad7734ecb3ecee4eefef7afd2270e2e60adce0ba2face6444e9a4b41ba738d6c72fb16691603c18e0e",
        );
        kat(
            K256,
            BlockMode::Ecb,
            "",
            "f3eed1bdb5d2a03c064b5a7e3db181f8591ccb10d410ed26dc5ba74a31362870b6ed21b99ca6f4f9f153e7b1beafed1d23304b7a39f9f3ff067d8d8f9e24ecc7",
        );
        kat(
            K128,
            BlockMode::Cbc,
            IV,
            "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b273bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7",
        );
        kat(
            K192,
            BlockMode::Cbc,
            IV,
            "4f021db243bc633d7178183a9fa071e8b4d9ada9ad7dedf4e5e738763f69145a571b242012fb7ae07fa9baac3df102e008b0e27988598881d920a9e64f5615cd",
        );
        kat(
            K256,
            BlockMode::Cbc,
            IV,
            "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b",
        );
        kat(
            K128,
            BlockMode::Ctr,
            CTR0,
            "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee",
        );
        kat(
            K192,
            BlockMode::Ctr,
            CTR0,
            "1abc932417521ca24f2b0459fe7e6e0b090339ec0aa6faefd5ccc2c6f4ce8e941e36b26bd1ebc670d1bd1d665620abf74f78a7f6d29809585a97daec58c6b050",
        );
        kat(
            K256,
            BlockMode::Ctr,
            CTR0,
            "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c52b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6",
        );
        kat(
            K128,
            BlockMode::Cfb128,
            IV,
            "3b3fd92eb72dad20333449f8e83cfb4ac8a64537a0b3a93fcde3cdad9f1ce58b26751f67a3cbb140b1808cf187a4f4dfc04b05357c5d1c0eeac4c66f9ff7f2e6",
        );
        kat(
            K256,
            BlockMode::Cfb128,
            IV,
            "dc7e84bfda79164b7ecd8486985d386039ffed143b28b1c832113c6331e5407bdf10132415e54b92a13ed0a8267ae2f975a385741ab9cef82031623d55b1e471",
        );
        kat(
            K128,
            BlockMode::Ofb,
            IV,
            "3b3fd92eb72dad20333449f8e83cfb4a7789508d16918f03f53c52dac54ed8259740051e9c5fecf64344f7a82260edcc304c6528f659c77866a510d9c1d6ae5e",
        );
        kat(
            K256,
            BlockMode::Ofb,
            IV,
            "dc7e84bfda79164b7ecd8486985d38604febdc6740d20b3ac88f6ad82a4fb08d71ab47a086e86eedf39d1c5bba97c4080126141d67f37be8538f5a8be740e484",
        );
    }

    #[test]
    fn nist_sp_800_38a_cfb8() {
        // F.3.7 CFB8-AES128.Encrypt: 18 one-byte segments.
        let pt = h("6bc1bee22e409f96e93d7e117393172aae2d");
        let ct = encrypt(&h(K128), BlockMode::Cfb8, Padding::None, &h(IV), &pt).unwrap();
        assert_eq!(hex::encode(&ct), "3b79424c9c0dd436bace9e0ed4586a4f32b9");
        let back = decrypt(&h(K128), BlockMode::Cfb8, Padding::None, &h(IV), &ct).unwrap();
        assert_eq!(&back[..], &pt[..]);
    }

    #[test]
    fn wycheproof_cbc_pkcs7() {
        for (key, iv, msg, ct) in [
            (
                tv::AES_CBC_PKCS7_128_KEY,
                tv::AES_CBC_PKCS7_128_IV,
                tv::AES_CBC_PKCS7_128_MSG,
                tv::AES_CBC_PKCS7_128_CT,
            ),
            (
                tv::AES_CBC_PKCS7_192_KEY,
                tv::AES_CBC_PKCS7_192_IV,
                tv::AES_CBC_PKCS7_192_MSG,
                tv::AES_CBC_PKCS7_192_CT,
            ),
            (
                tv::AES_CBC_PKCS7_256_KEY,
                tv::AES_CBC_PKCS7_256_IV,
                tv::AES_CBC_PKCS7_256_MSG,
                tv::AES_CBC_PKCS7_256_CT,
            ),
        ] {
            let out = encrypt(&h(key), BlockMode::Cbc, Padding::Pkcs7, &h(iv), &h(msg)).unwrap();
            assert_eq!(hex::encode(&out), ct);
            let back = decrypt(&h(key), BlockMode::Cbc, Padding::Pkcs7, &h(iv), &out).unwrap();
            assert_eq!(hex::encode(&back[..]), msg);
        }
    }

    #[test]
    fn padded_round_trips_of_every_length() {
        let key = [3u8; 32];
        let iv = [4u8; 16];
        for len in 0..40 {
            let data = vec![0xa5u8; len];
            for (mode, iv) in [(BlockMode::Cbc, &iv[..]), (BlockMode::Ecb, &[][..])] {
                let ct = encrypt(&key, mode, Padding::Pkcs7, iv, &data).unwrap();
                assert_eq!(ct.len(), (len / 16 + 1) * 16);
                let pt = decrypt(&key, mode, Padding::Pkcs7, iv, &ct).unwrap();
                assert_eq!(&pt[..], &data[..]);
            }
            for mode in [
                BlockMode::Ctr,
                BlockMode::Cfb128,
                BlockMode::Cfb8,
                BlockMode::Ofb,
            ] {
                let ct = encrypt(&key, mode, Padding::None, &iv, &data).unwrap();
                assert_eq!(ct.len(), len);
                let pt = decrypt(&key, mode, Padding::None, &iv, &ct).unwrap();
                assert_eq!(&pt[..], &data[..]);
            }
        }
    }

    #[test]
    fn bad_sizes_and_tampering() {
        let key = [3u8; 16];
        let iv = [4u8; 16];
        assert!(matches!(
            encrypt(&[0u8; 20], BlockMode::Cbc, Padding::Pkcs7, &iv, b"x"),
            Err(CryptoError::KeyLength { .. })
        ));
        assert!(matches!(
            encrypt(&key, BlockMode::Cbc, Padding::Pkcs7, &iv[..8], b"x"),
            Err(CryptoError::IvLength { .. })
        ));
        assert!(matches!(
            encrypt(&key, BlockMode::Ecb, Padding::Pkcs7, &iv, b"x"),
            Err(CryptoError::IvLength { .. })
        ));
        assert!(matches!(
            encrypt(&key, BlockMode::Cbc, Padding::None, &iv, b"not sixteen"),
            Err(CryptoError::InvalidInput(_))
        ));
        assert!(matches!(
            encrypt(&key, BlockMode::Ctr, Padding::Pkcs7, &iv, b"x"),
            Err(CryptoError::Unsupported(_))
        ));
        assert!(matches!(
            decrypt(&key, BlockMode::Cbc, Padding::Pkcs7, &iv, &[0u8; 15]),
            Err(CryptoError::InvalidInput(_))
        ));
        assert!(matches!(
            decrypt(&key, BlockMode::Cbc, Padding::Pkcs7, &iv, &[]),
            Err(CryptoError::InvalidInput(_))
        ));
        // A wrong key (or a flipped last block) almost always breaks the padding.
        let ct = encrypt(
            &key,
            BlockMode::Cbc,
            Padding::Pkcs7,
            &iv,
            b"attack at dawn, retreat at dusk",
        )
        .unwrap();
        assert_eq!(ct.len(), 32);
        let mut failures = 0;
        for k in 0..16u8 {
            let mut wrong = key;
            wrong[0] ^= k + 1;
            if decrypt(&wrong, BlockMode::Cbc, Padding::Pkcs7, &iv, &ct).is_err() {
                failures += 1;
            }
        }
        assert!(failures >= 12, "wrong keys should break the padding");
        let mut flipped = ct.clone();
        let last = flipped.len() - 1;
        flipped[last - 16] ^= 0x55; // changes the last plaintext byte = the padding length
        assert_eq!(
            decrypt(&key, BlockMode::Cbc, Padding::Pkcs7, &iv, &flipped),
            Err(CryptoError::Decryption)
        );
    }
}
