//! The RSA schemes aws-lc-rs lacks, from RustCrypto's `rsa` crate: RSA-OAEP whose MGF1 hash
//! differs from its message hash (aws-lc-rs pairs them), and RSA-PSS verification with SHA-1
//! (aws-lc-rs offers PSS with SHA-256 and up).
//!
//! Only these combinations come here; everything aws-lc-rs offers stays in [`crate::rsa`].
//! `rsa` 0.10 is the first release whose private-key arithmetic is constant-time
//! (`crypto-bigint`; earlier releases carry RUSTSEC-2023-0071, the Marvin timing attack), and
//! it blinds private operations; its randomness here is aws-lc's generator, like every other
//! random byte ekms makes. Keys arrive as PKCS#1 DER, the form [`crate::rsa`] keeps.

use crate::digest::HashAlgorithm;
use crate::{CryptoError, SecretBytes};
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::{Oaep, PrivateKey, PublicKey, pss};
use sha1::Sha1;
use sha2::{Sha256, Sha384, Sha512};
use zeroize::Zeroizing;

/// aws-lc's generator, as the `rand_core` generator `rsa` draws from.
struct AwsLcRng;

impl rsa::rand_core::TryRng for AwsLcRng {
    type Error = CryptoError;

    fn try_next_u32(&mut self) -> Result<u32, CryptoError> {
        rsa::rand_core::utils::next_word_via_fill(self)
    }

    fn try_next_u64(&mut self) -> Result<u64, CryptoError> {
        rsa::rand_core::utils::next_word_via_fill(self)
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), CryptoError> {
        crate::rand::fill(dst)
    }
}

impl rsa::rand_core::TryCryptoRng for AwsLcRng {}

/// True when RSA-OAEP with `hash` and MGF1 over `mgf1` must come from here (aws-lc-rs has
/// matching SHA-1/256/384/512 pairs only).
pub fn is_mixed_oaep(hash: HashAlgorithm, mgf1: HashAlgorithm) -> bool {
    hash != mgf1
}

/// Calls `$f::<D, M>` with the digest types of `$hash` and `$mgf1` (SHA-1/256/384/512).
macro_rules! with_oaep {
    ($hash:expr, $mgf1:expr, $f:ident($($arg:expr),*)) => {{
        use HashAlgorithm as H;
        macro_rules! mgf {
            ($d:ty) => {
                match $mgf1 {
                    H::Sha1 => $f::<$d, Sha1>($($arg),*),
                    H::Sha256 => $f::<$d, Sha256>($($arg),*),
                    H::Sha384 => $f::<$d, Sha384>($($arg),*),
                    H::Sha512 => $f::<$d, Sha512>($($arg),*),
                    _ => Err(CryptoError::Unsupported("RSA-OAEP with this MGF1 hash")),
                }
            };
        }
        match $hash {
            H::Sha1 => mgf!(Sha1),
            H::Sha256 => mgf!(Sha256),
            H::Sha384 => mgf!(Sha384),
            H::Sha512 => mgf!(Sha512),
            _ => Err(CryptoError::Unsupported("RSA-OAEP with this hash")),
        }
    }};
}

/// The OAEP scheme with `D` for the label, `M` for MGF1, and `label` (none: empty).
fn scheme<D, M>(label: Option<&[u8]>) -> Oaep<D, M>
where
    D: sha2::Digest + sha2::digest::FixedOutputReset,
    M: sha2::Digest + sha2::digest::FixedOutputReset,
{
    match label {
        Some(l) => Oaep::<D, M>::new_with_mgf_hash_and_label(l.to_vec()),
        None => Oaep::<D, M>::new_with_mgf_hash(),
    }
}

fn encrypt_with<D, M>(
    key: &PublicKey,
    label: Option<&[u8]>,
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError>
where
    D: sha2::Digest + sha2::digest::FixedOutputReset,
    M: sha2::Digest + sha2::digest::FixedOutputReset,
{
    key.encrypt(&mut AwsLcRng, scheme::<D, M>(label), plaintext)
        .map_err(|_| {
            CryptoError::InvalidInput("plaintext too long for RSA-OAEP with this key and hashes")
        })
}

fn decrypt_with<D, M>(
    key: &PrivateKey,
    label: Option<&[u8]>,
    ciphertext: &[u8],
) -> Result<SecretBytes, CryptoError>
where
    D: sha2::Digest + sha2::digest::FixedOutputReset,
    M: sha2::Digest + sha2::digest::FixedOutputReset,
{
    key.decrypt_blinded(&mut AwsLcRng, scheme::<D, M>(label), ciphertext)
        .map(Zeroizing::new)
        // One error for every cause, as crate::rsa answers: no padding oracle.
        .map_err(|_| CryptoError::Decryption)
}

/// RSA-OAEP encryption with `hash` for the label and `mgf1` for MGF1, and `label` (none:
/// empty), under a PKCS#1 RSAPublicKey.
pub fn oaep_encrypt(
    public_pkcs1: &[u8],
    hash: HashAlgorithm,
    mgf1: HashAlgorithm,
    label: Option<&[u8]>,
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let key = PublicKey::from_pkcs1_der(public_pkcs1)
        .map_err(|_| CryptoError::InvalidKey("not an RSA public key"))?;
    with_oaep!(hash, mgf1, encrypt_with(&key, label, plaintext))
}

/// RSA-OAEP decryption with `hash` for the label and `mgf1` for MGF1, and `label` (none:
/// empty), under a PKCS#1 RSAPrivateKey (blinded, constant-time arithmetic).
pub fn oaep_decrypt(
    private_pkcs1: &[u8],
    hash: HashAlgorithm,
    mgf1: HashAlgorithm,
    label: Option<&[u8]>,
    ciphertext: &[u8],
) -> Result<SecretBytes, CryptoError> {
    let key = PrivateKey::from_pkcs1_der(private_pkcs1)
        .map_err(|_| CryptoError::InvalidKey("not an RSA private key"))?;
    with_oaep!(hash, mgf1, decrypt_with(&key, label, ciphertext))
}

/// Verifies an RSA-PSS signature with SHA-1 (MGF1-SHA-1) over `msg`, whatever its salt length
/// (the signature does not say it, and KMIP has no field for it).
pub fn pss_sha1_verify(
    public_pkcs1: &[u8],
    msg: &[u8],
    signature: &[u8],
) -> Result<(), CryptoError> {
    use rsa::signature::Verifier;
    let key = PublicKey::from_pkcs1_der(public_pkcs1)
        .map_err(|_| CryptoError::InvalidKey("not an RSA public key"))?;
    let sig = pss::Signature::try_from(signature).map_err(|_| CryptoError::Signature)?;
    pss::VerifyingKey::<Sha1>::new_with_auto_salt_len(key)
        .verify(msg, &sig)
        .map_err(|_| CryptoError::Signature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rsa::{RsaPrivateKey, RsaPublicKey};

    #[test]
    fn mixed_oaep_round_trips_and_refuses_the_other_pairing() {
        let key = RsaPrivateKey::generate(2048).unwrap();
        let public = key.public_key().to_pkcs1_der();
        let private = key.to_pkcs1_der().unwrap();
        let (h, m) = (HashAlgorithm::Sha384, HashAlgorithm::Sha256);
        assert!(is_mixed_oaep(h, m) && !is_mixed_oaep(h, h));
        let ct = oaep_encrypt(&public, h, m, None, b"a wrapped key").unwrap();
        assert_eq!(ct.len(), 256);
        assert_eq!(
            *oaep_decrypt(&private, h, m, None, &ct).unwrap(),
            b"a wrapped key"
        );
        // Another MGF1 hash, or aws-lc-rs's matching pair, does not open it.
        assert_eq!(
            oaep_decrypt(&private, h, h, None, &ct),
            Err(CryptoError::Decryption)
        );
        assert!(
            key.decrypt(crate::rsa::RsaEncryptionPadding::OaepSha384, &ct)
                .is_err()
        );
        // A label binds the ciphertext: it opens with that label only.
        let label = Some(&b"Kilroy was here"[..]);
        let ct = oaep_encrypt(&public, h, m, label, b"labelled").unwrap();
        assert_eq!(
            *oaep_decrypt(&private, h, m, label, &ct).unwrap(),
            b"labelled"
        );
        assert!(oaep_decrypt(&private, h, m, None, &ct).is_err());
    }

    #[test]
    fn matching_oaep_agrees_with_aws_lc() {
        // The same scheme through both libraries: each opens what the other sealed.
        let key = RsaPrivateKey::generate(2048).unwrap();
        let public = key.public_key().to_pkcs1_der();
        let private = key.to_pkcs1_der().unwrap();
        let h = HashAlgorithm::Sha256;
        let padding = crate::rsa::RsaEncryptionPadding::OaepSha256;
        let ours = oaep_encrypt(&public, h, h, None, b"both ways").unwrap();
        assert_eq!(*key.decrypt(padding, &ours).unwrap(), b"both ways");
        let theirs = key.public_key().encrypt(padding, b"both ways").unwrap();
        assert_eq!(
            *oaep_decrypt(&private, h, h, None, &theirs).unwrap(),
            b"both ways"
        );
    }

    #[test]
    fn openssl_made_vectors_verify_and_decrypt() {
        use crate::test_vectors as tv;
        let h = |s: &str| hex::decode(s).unwrap();
        let public = h(tv::RSA_EXT_PUBLIC_PKCS1);
        let sig = h(tv::PSS_SHA1_SIG);
        pss_sha1_verify(&public, tv::PSS_SHA1_MSG, &sig).unwrap();
        assert_eq!(
            pss_sha1_verify(&public, b"another message", &sig),
            Err(CryptoError::Signature)
        );
        let (h384, h256) = (HashAlgorithm::Sha384, HashAlgorithm::Sha256);
        let ct = h(tv::OAEP_SHA384_MGF1_SHA256_CT);
        let private = h(tv::RSA_EXT_PRIVATE_PKCS1);
        let pt = oaep_decrypt(&private, h384, h256, None, &ct).unwrap();
        assert_eq!(*pt, tv::OAEP_MIXED_PLAINTEXT);
    }

    #[test]
    fn pss_sha1_verifies_what_rustcrypto_signs() {
        // A PSS SHA-1 signature made with RustCrypto's signer (a salt of the hash length, not
        // the largest as above) verifies; the message or the hash changed, it does not.
        use rsa::signature::RandomizedSigner;
        let key = RsaPrivateKey::generate(2048).unwrap();
        let signer = pss::SigningKey::<Sha1>::new(
            PrivateKey::from_pkcs1_der(&key.to_pkcs1_der().unwrap()).unwrap(),
        );
        let sig: pss::Signature = signer.try_sign_with_rng(&mut AwsLcRng, b"signed").unwrap();
        let sig = Box::<[u8]>::from(sig);
        let public = key.public_key().to_pkcs1_der();
        pss_sha1_verify(&public, b"signed", &sig).unwrap();
        assert_eq!(
            pss_sha1_verify(&public, b"other", &sig),
            Err(CryptoError::Signature)
        );
        let other = RsaPublicKey::from_pkcs1_der(&public).unwrap();
        assert!(
            other
                .verify(
                    crate::signature::SigAlgorithm::RsaPssSha256,
                    b"signed",
                    &sig
                )
                .is_err()
        );
    }
}
