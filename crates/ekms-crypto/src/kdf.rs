//! Key derivation: PBKDF2 (HMAC-SHA1/256/384/512), HKDF (SHA-256/384/512, RFC 5869) and
//! NIST SP 800-108 KDF in counter mode with HMAC (SHA-224/256/384/512), all from aws-lc-rs.
//!
//! KMIP's "ENCRYPT" derivation method (derived key = the derivation data encrypted under the
//! base key with the given cryptographic parameters) is a composition of [`crate::block`] or
//! [`crate::aead`] with the caller's parameters; it needs nothing more from this module.
//! KMIP's "HMAC" and "HASH" methods are [`crate::mac`] and [`crate::digest`].
//! SP 800-108 feedback and double-pipeline modes are not in aws-lc-rs and are not offered.
//!
//! The cost of each derivation, in computations of its pseudorandom function (one HMAC), is
//! [`pbkdf2_work`], [`hkdf_work`] and [`kbkdf_work`]: a caller that serves untrusted requests
//! bounds it before deriving (PBKDF2 pays its iterations again for every output block).

use crate::digest::HashAlgorithm;
use crate::{CryptoError, SecretBytes};
use aws_lc_rs::kdf::{KbkdfCtrHmacAlgorithmId, get_kbkdf_ctr_hmac_algorithm, kbkdf_ctr_hmac};
use aws_lc_rs::{hkdf, pbkdf2};
use std::num::NonZeroU32;

/// Largest output of one derivation here (1 MiB), a guard against absurd requests.
pub const MAX_OUTPUT_LEN: usize = 1 << 20;

fn check_len(out_len: usize) -> Result<(), CryptoError> {
    if out_len == 0 || out_len > MAX_OUTPUT_LEN {
        return Err(CryptoError::InvalidInput(
            "derived key length must be between 1 byte and 1 MiB",
        ));
    }
    Ok(())
}

/// Output blocks of a PRF with `block` bytes of output for `out_len` bytes.
fn blocks(out_len: usize, block: usize) -> u64 {
    u64::try_from(out_len.div_ceil(block.max(1))).unwrap_or(u64::MAX)
}

/// HMAC computations of [`pbkdf2`]: `iterations` for each output block of the hash's length.
pub fn pbkdf2_work(prf: HashAlgorithm, iterations: u32, out_len: usize) -> u64 {
    blocks(out_len, prf.output_len()).saturating_mul(u64::from(iterations))
}

/// HMAC computations of [`hkdf`]: one to extract, one per output block of the hash's length.
pub fn hkdf_work(hash: HashAlgorithm, out_len: usize) -> u64 {
    blocks(out_len, hash.output_len()).saturating_add(1)
}

/// HMAC computations of [`kbkdf_counter_hmac`]: one per output block of the hash's length.
pub fn kbkdf_work(prf: HashAlgorithm, out_len: usize) -> u64 {
    blocks(out_len, prf.output_len())
}

/// PBKDF2 (RFC 8018) with HMAC over `prf` (SHA-1, SHA-256, SHA-384 or SHA-512).
pub fn pbkdf2(
    prf: HashAlgorithm,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    out_len: usize,
) -> Result<SecretBytes, CryptoError> {
    check_len(out_len)?;
    let alg = match prf {
        HashAlgorithm::Sha1 => pbkdf2::PBKDF2_HMAC_SHA1,
        HashAlgorithm::Sha256 => pbkdf2::PBKDF2_HMAC_SHA256,
        HashAlgorithm::Sha384 => pbkdf2::PBKDF2_HMAC_SHA384,
        HashAlgorithm::Sha512 => pbkdf2::PBKDF2_HMAC_SHA512,
        _ => return Err(CryptoError::Unsupported("PBKDF2 with this hash")),
    };
    let iterations = NonZeroU32::new(iterations).ok_or(CryptoError::InvalidInput(
        "PBKDF2 needs at least one iteration",
    ))?;
    let mut out = SecretBytes::new(vec![0u8; out_len]);
    pbkdf2::derive(alg, iterations, salt, password, &mut out);
    Ok(out)
}

fn hkdf_alg(hash: HashAlgorithm) -> Result<hkdf::Algorithm, CryptoError> {
    match hash {
        HashAlgorithm::Sha256 => Ok(hkdf::HKDF_SHA256),
        HashAlgorithm::Sha384 => Ok(hkdf::HKDF_SHA384),
        HashAlgorithm::Sha512 => Ok(hkdf::HKDF_SHA512),
        _ => Err(CryptoError::Unsupported("HKDF with this hash")),
    }
}

struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

fn expand(prk: &hkdf::Prk, info: &[u8], out_len: usize) -> Result<SecretBytes, CryptoError> {
    let info = [info];
    let okm = prk.expand(&info, Len(out_len)).map_err(|_| {
        CryptoError::InvalidInput("HKDF output is at most 255 times the hash length")
    })?;
    let mut out = SecretBytes::new(vec![0u8; out_len]);
    okm.fill(&mut out)
        .map_err(|_| CryptoError::Failed("hkdf expand"))?;
    Ok(out)
}

/// HKDF (RFC 5869) extract-then-expand: `out_len` bytes, at most 255 × the hash length.
/// An empty `salt` means the RFC's default (a block of zeros).
pub fn hkdf(
    hash: HashAlgorithm,
    ikm: &[u8],
    salt: &[u8],
    info: &[u8],
    out_len: usize,
) -> Result<SecretBytes, CryptoError> {
    check_len(out_len)?;
    let prk = hkdf::Salt::new(hkdf_alg(hash)?, salt).extract(ikm);
    expand(&prk, info, out_len)
}

/// HKDF-Expand only, from a pseudorandom key `prk` (at least the hash length).
pub fn hkdf_expand(
    hash: HashAlgorithm,
    prk: &[u8],
    info: &[u8],
    out_len: usize,
) -> Result<SecretBytes, CryptoError> {
    check_len(out_len)?;
    if prk.len() < hash.output_len() {
        return Err(CryptoError::KeyLength {
            algorithm: "HKDF-Expand",
            got: prk.len(),
            expected: "at least the hash length",
        });
    }
    let prk = hkdf::Prk::new_less_safe(hkdf_alg(hash)?, prk);
    expand(&prk, info, out_len)
}

/// NIST SP 800-108r1 KDF in counter mode with HMAC over `prf` (SHA-224/256/384/512): a 32-bit
/// big-endian counter placed before `fixed_info`. Build `fixed_info` with
/// [`sp800_108_fixed_info`] for the usual `Label || 0x00 || Context || [L]` layout.
pub fn kbkdf_counter_hmac(
    prf: HashAlgorithm,
    key: &[u8],
    fixed_info: &[u8],
    out_len: usize,
) -> Result<SecretBytes, CryptoError> {
    check_len(out_len)?;
    if key.is_empty() {
        return Err(CryptoError::KeyLength {
            algorithm: "SP 800-108 KDF",
            got: 0,
            expected: "at least 1",
        });
    }
    let id = match prf {
        HashAlgorithm::Sha224 => KbkdfCtrHmacAlgorithmId::Sha224,
        HashAlgorithm::Sha256 => KbkdfCtrHmacAlgorithmId::Sha256,
        HashAlgorithm::Sha384 => KbkdfCtrHmacAlgorithmId::Sha384,
        HashAlgorithm::Sha512 => KbkdfCtrHmacAlgorithmId::Sha512,
        _ => return Err(CryptoError::Unsupported("SP 800-108 KDF with this hash")),
    };
    let alg = get_kbkdf_ctr_hmac_algorithm(id)
        .ok_or(CryptoError::Unsupported("SP 800-108 KDF with this hash"))?;
    let mut out = SecretBytes::new(vec![0u8; out_len]);
    kbkdf_ctr_hmac(alg, key, fixed_info, &mut out)
        .map_err(|_| CryptoError::Failed("SP 800-108 KDF"))?;
    Ok(out)
}

/// The SP 800-108 fixed input: `label || 0x00 || context || [L]₃₂` where L is the output
/// length in bits, big-endian.
pub fn sp800_108_fixed_info(
    label: &[u8],
    context: &[u8],
    out_len: usize,
) -> Result<Vec<u8>, CryptoError> {
    let bits = u32::try_from(out_len)
        .ok()
        .and_then(|n| n.checked_mul(8))
        .ok_or(CryptoError::InvalidInput("derived key length too large"))?;
    let mut info = Vec::with_capacity(label.len() + context.len() + 5);
    info.extend_from_slice(label);
    info.push(0);
    info.extend_from_slice(context);
    info.extend_from_slice(&bits.to_be_bytes());
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_vectors as tv;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn pbkdf2_rfc_6070_and_7914() {
        // RFC 6070 §2 (HMAC-SHA1): "password" / "salt", 1, 2 and 4096 iterations, 20 bytes.
        for (it, want) in [
            (1, "0c60c80f961f0e71f3a9b524af6012062fe037a6"),
            (2, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"),
            (4096, "4b007901b765489abead49d926f721d065a429c1"),
        ] {
            let dk = pbkdf2(HashAlgorithm::Sha1, b"password", b"salt", it, 20).unwrap();
            assert_eq!(hex::encode(&dk[..]), want);
        }
        // RFC 7914 §11 (PBKDF2-HMAC-SHA256): "passwd" / "salt", 1 iteration, 64 bytes.
        let dk = pbkdf2(HashAlgorithm::Sha256, b"passwd", b"salt", 1, 64).unwrap();
        assert_eq!(
            hex::encode(&dk[..]),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"
        );
    }

    #[test]
    fn pbkdf2_wycheproof_sha384_sha512() {
        for (hash, pw, salt, it, dk) in [
            (
                HashAlgorithm::Sha384,
                tv::PBKDF2_SHA384_PASSWORD,
                tv::PBKDF2_SHA384_SALT,
                tv::PBKDF2_SHA384_ITERATIONS,
                tv::PBKDF2_SHA384_DK,
            ),
            (
                HashAlgorithm::Sha512,
                tv::PBKDF2_SHA512_PASSWORD,
                tv::PBKDF2_SHA512_SALT,
                tv::PBKDF2_SHA512_ITERATIONS,
                tv::PBKDF2_SHA512_DK,
            ),
        ] {
            let out = pbkdf2(hash, &h(pw), &h(salt), it as u32, dk.len() / 2).unwrap();
            assert_eq!(hex::encode(&out[..]), dk);
        }
    }

    #[test]
    fn hkdf_rfc_5869() {
        // Test case 1 (SHA-256) with its full 42-byte OKM, and test case 3 (no salt, no info).
        let okm = hkdf(
            HashAlgorithm::Sha256,
            &[0x0b; 22],
            &h("000102030405060708090a0b0c"),
            &h("f0f1f2f3f4f5f6f7f8f9"),
            42,
        )
        .unwrap();
        assert_eq!(
            hex::encode(&okm[..]),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
        );
        // Expand-only from the PRK of test case 1.
        let okm2 = hkdf_expand(
            HashAlgorithm::Sha256,
            &h("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5"),
            &h("f0f1f2f3f4f5f6f7f8f9"),
            42,
        )
        .unwrap();
        assert_eq!(okm2, okm);
        let okm = hkdf(HashAlgorithm::Sha256, &[0x0b; 22], &[], &[], 42).unwrap();
        assert_eq!(
            hex::encode(&okm[..]),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
        );
    }

    #[test]
    fn hkdf_wycheproof_sha384_sha512() {
        for (hash, ikm, salt, info, okm) in [
            (
                HashAlgorithm::Sha384,
                tv::HKDF_SHA384_IKM,
                tv::HKDF_SHA384_SALT,
                tv::HKDF_SHA384_INFO,
                tv::HKDF_SHA384_OKM,
            ),
            (
                HashAlgorithm::Sha512,
                tv::HKDF_SHA512_IKM,
                tv::HKDF_SHA512_SALT,
                tv::HKDF_SHA512_INFO,
                tv::HKDF_SHA512_OKM,
            ),
        ] {
            let out = hkdf(hash, &h(ikm), &h(salt), &h(info), okm.len() / 2).unwrap();
            assert_eq!(hex::encode(&out[..]), okm);
        }
    }

    #[test]
    fn kbkdf_counter_hmac_sha256() {
        // SP 800-108 counter mode, HMAC-SHA256, 32-bit counter before the fixed input, L = 128:
        // the example of the aws-lc-rs `kdf` documentation, cross-checked with pyca/cryptography.
        let key = h("0185fb7661f6dd408d982f810fcd5004");
        let info = h("c3f1712a82613643e0f763a7a0a31588b6aed95056dfc512550cf2d00d68a32d");
        let out = kbkdf_counter_hmac(HashAlgorithm::Sha256, &key, &info, 16).unwrap();
        assert_eq!(hex::encode(&out[..]), "c63f747b67be71f57ba4562117dd2904");
        // The same key with a Label || 0x00 || Context || [L] fixed input.
        let fixed = sp800_108_fixed_info(
            b"KBKDF HMAC Counter Label",
            b"KBKDF HMAC Counter Context",
            16,
        )
        .unwrap();
        let out = kbkdf_counter_hmac(HashAlgorithm::Sha256, &key, &fixed, 16).unwrap();
        assert_eq!(hex::encode(&out[..]), "cde092c8fe96215188d43de46cf637cb");
        for prf in [
            HashAlgorithm::Sha224,
            HashAlgorithm::Sha384,
            HashAlgorithm::Sha512,
        ] {
            assert_eq!(kbkdf_counter_hmac(prf, &key, &info, 80).unwrap().len(), 80);
        }
    }

    #[test]
    fn work_counts_prf_computations() {
        // PBKDF2 pays the iterations again for every block: 1 MiB of SHA-256 output is 32768
        // blocks.
        assert_eq!(pbkdf2_work(HashAlgorithm::Sha256, 1000, 32), 1000);
        assert_eq!(pbkdf2_work(HashAlgorithm::Sha256, 1000, 33), 2000);
        assert_eq!(
            pbkdf2_work(HashAlgorithm::Sha256, 10_000_000, MAX_OUTPUT_LEN),
            327_680_000_000
        );
        assert_eq!(pbkdf2_work(HashAlgorithm::Sha512, 10, 128), 20);
        assert_eq!(
            pbkdf2_work(HashAlgorithm::Sha1, u32::MAX, usize::MAX),
            u64::MAX
        );
        assert_eq!(hkdf_work(HashAlgorithm::Sha256, 8160), 256);
        assert_eq!(hkdf_work(HashAlgorithm::Sha384, 48), 2);
        assert_eq!(kbkdf_work(HashAlgorithm::Sha256, 1024), 32);
        assert_eq!(kbkdf_work(HashAlgorithm::Sha224, 29), 2);
    }

    #[test]
    fn bad_parameters() {
        assert!(matches!(
            pbkdf2(HashAlgorithm::Sha256, b"p", b"s", 0, 32),
            Err(CryptoError::InvalidInput(_))
        ));
        assert!(matches!(
            pbkdf2(HashAlgorithm::Sha256, b"p", b"s", 1, 0),
            Err(CryptoError::InvalidInput(_))
        ));
        assert!(matches!(
            pbkdf2(HashAlgorithm::Sha3_256, b"p", b"s", 1, 32),
            Err(CryptoError::Unsupported(_))
        ));
        assert!(matches!(
            hkdf(HashAlgorithm::Sha256, b"k", b"", b"", 255 * 32 + 1),
            Err(CryptoError::InvalidInput(_))
        ));
        assert_eq!(
            hkdf(HashAlgorithm::Sha256, b"k", b"", b"", 255 * 32)
                .unwrap()
                .len(),
            8160
        );
        assert!(matches!(
            hkdf(HashAlgorithm::Sha1, b"k", b"", b"", 32),
            Err(CryptoError::Unsupported(_))
        ));
        assert!(matches!(
            hkdf_expand(HashAlgorithm::Sha256, &[0u8; 16], b"", 32),
            Err(CryptoError::KeyLength { .. })
        ));
        assert!(matches!(
            kbkdf_counter_hmac(HashAlgorithm::Sha256, b"", b"x", 32),
            Err(CryptoError::KeyLength { .. })
        ));
        assert!(matches!(
            kbkdf_counter_hmac(HashAlgorithm::Sha1, b"k", b"x", 32),
            Err(CryptoError::Unsupported(_))
        ));
    }
}
