//! Ed25519 (RFC 8032, PureEdDSA) from aws-lc-rs: key generation, signing, verification.

use crate::{CryptoError, SecretBytes};
use aws_lc_rs::encoding::{AsBigEndian, AsDer};
use aws_lc_rs::signature::{self as aws_sig, Ed25519KeyPair, KeyPair as _, ParsedPublicKey};
use std::sync::Arc;

/// Length of a seed (the private key), of a public key, and of a signature.
pub const SEED_LEN: usize = 32;
pub const PUBLIC_KEY_LEN: usize = 32;
pub const SIGNATURE_LEN: usize = 64;

/// An Ed25519 public key, parsed once.
#[derive(Clone)]
pub struct Ed25519PublicKey {
    raw: [u8; PUBLIC_KEY_LEN],
    parsed: Arc<ParsedPublicKey>,
}

impl std::fmt::Debug for Ed25519PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ed25519PublicKey({})", hex::encode(self.raw))
    }
}

impl PartialEq for Ed25519PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

impl Ed25519PublicKey {
    /// From the raw 32-byte public key.
    pub fn from_raw(raw: &[u8]) -> Result<Self, CryptoError> {
        let raw: [u8; PUBLIC_KEY_LEN] = raw
            .try_into()
            .map_err(|_| CryptoError::InvalidKey("an Ed25519 public key is 32 bytes"))?;
        let parsed = ParsedPublicKey::new(&aws_sig::ED25519, raw)
            .map_err(|_| CryptoError::InvalidKey("not an Ed25519 public key"))?;
        Ok(Self {
            raw,
            parsed: Arc::new(parsed),
        })
    }

    /// From a SubjectPublicKeyInfo (DER) with the Ed25519 OID.
    pub fn from_spki_der(der_bytes: &[u8]) -> Result<Self, CryptoError> {
        use der::Decode;
        let info = spki::SubjectPublicKeyInfoRef::from_der(der_bytes)
            .map_err(|_| CryptoError::Encoding("not a SubjectPublicKeyInfo"))?;
        if info.algorithm.oid != crate::keyformat::OID_ED25519 {
            return Err(CryptoError::InvalidKey("not an Ed25519 public key"));
        }
        let raw = info
            .subject_public_key
            .as_bytes()
            .ok_or(CryptoError::Encoding("Ed25519 public key bit string"))?;
        Self::from_raw(raw)
    }

    /// From either the raw 32 bytes or a SubjectPublicKeyInfo.
    pub fn from_der_or_raw(bytes: &[u8]) -> Result<Self, CryptoError> {
        if bytes.len() == PUBLIC_KEY_LEN {
            Self::from_raw(bytes)
        } else {
            Self::from_spki_der(bytes)
        }
    }

    pub fn to_raw(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.raw
    }

    /// SubjectPublicKeyInfo DER.
    pub fn to_spki_der(&self) -> Result<Vec<u8>, CryptoError> {
        Ok(self
            .parsed
            .as_der()
            .map_err(|_| CryptoError::Failed("Ed25519 public key encoding"))?
            .as_ref()
            .to_vec())
    }

    pub fn verify(&self, msg: &[u8], signature: &[u8]) -> Result<(), CryptoError> {
        if signature.len() != SIGNATURE_LEN {
            return Err(CryptoError::Signature);
        }
        self.parsed
            .verify_sig(msg, signature)
            .map_err(|_| CryptoError::Signature)
    }
}

/// An Ed25519 private key (its seed), parsed once.
pub struct Ed25519PrivateKey {
    pair: Ed25519KeyPair,
    public: Ed25519PublicKey,
}

impl std::fmt::Debug for Ed25519PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ed25519PrivateKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl Clone for Ed25519PrivateKey {
    fn clone(&self) -> Self {
        Self {
            pair: self.pair.clone(),
            public: self.public.clone(),
        }
    }
}

impl Ed25519PrivateKey {
    pub fn generate() -> Result<Self, CryptoError> {
        let pair = Ed25519KeyPair::generate()
            .map_err(|_| CryptoError::Failed("Ed25519 key generation"))?;
        Self::from_pair(pair)
    }

    fn from_pair(pair: Ed25519KeyPair) -> Result<Self, CryptoError> {
        let public = Ed25519PublicKey::from_raw(pair.public_key().as_ref())?;
        Ok(Self { pair, public })
    }

    /// From the 32-byte seed (RFC 8032's private key).
    pub fn from_seed(seed: &[u8]) -> Result<Self, CryptoError> {
        if seed.len() != SEED_LEN {
            return Err(CryptoError::InvalidKey(
                "an Ed25519 private key (seed) is 32 bytes",
            ));
        }
        let pair = Ed25519KeyPair::from_seed_unchecked(seed)
            .map_err(|_| CryptoError::InvalidKey("not an Ed25519 seed"))?;
        Self::from_pair(pair)
    }

    /// From a PKCS#8 v1 or v2 (RFC 8410) DER key; a v2 public key must match the seed.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, CryptoError> {
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
            .map_err(|_| CryptoError::InvalidKey("not a PKCS#8 Ed25519 private key"))?;
        Self::from_pair(pair)
    }

    /// PKCS#8 v1 DER (RFC 8410, without the optional public key, as most tools write it).
    pub fn to_pkcs8_der(&self) -> Result<SecretBytes, CryptoError> {
        let doc = self
            .pair
            .to_pkcs8v1()
            .map_err(|_| CryptoError::Failed("Ed25519 private key encoding"))?;
        Ok(SecretBytes::new(doc.as_ref().to_vec()))
    }

    /// The 32-byte seed.
    pub fn seed(&self) -> Result<SecretBytes, CryptoError> {
        let seed = self
            .pair
            .seed()
            .map_err(|_| CryptoError::Failed("Ed25519 seed"))?;
        let bytes = seed
            .as_be_bytes()
            .map_err(|_| CryptoError::Failed("Ed25519 seed"))?;
        Ok(SecretBytes::new(bytes.as_ref().to_vec()))
    }

    pub fn public_key(&self) -> &Ed25519PublicKey {
        &self.public
    }

    /// The 64-byte signature of `msg`.
    pub fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
        Ok(self
            .pair
            .try_sign(msg)
            .map_err(|_| CryptoError::Failed("Ed25519 signing"))?
            .as_ref()
            .to_vec())
    }
}

/// Generates a key and returns it as PKCS#8 DER.
pub fn generate() -> Result<SecretBytes, CryptoError> {
    Ed25519PrivateKey::generate()?.to_pkcs8_der()
}

/// Signs with a PKCS#8 (DER) Ed25519 key.
pub fn sign(private_key_pkcs8: &[u8], msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
    Ed25519PrivateKey::from_pkcs8_der(private_key_pkcs8)?.sign(msg)
}

/// Verifies with a raw 32-byte or SubjectPublicKeyInfo Ed25519 public key.
pub fn verify(public_key: &[u8], msg: &[u8], signature: &[u8]) -> Result<(), CryptoError> {
    Ed25519PublicKey::from_der_or_raw(public_key)?.verify(msg, signature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_vectors as tv;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn rfc_8032_section_7_1() {
        // TEST 1 (empty message), TEST 2 (one byte) and TEST 3 (two bytes).
        let cases = [
            (
                "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
                "",
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
            ),
            (
                "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
                "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
                "72",
                "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
            ),
            (
                "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
                "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
                "af82",
                "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
            ),
        ];
        for (seed, public, msg, sig) in cases {
            let key = Ed25519PrivateKey::from_seed(&h(seed)).unwrap();
            assert_eq!(hex::encode(key.public_key().to_raw()), public);
            assert_eq!(hex::encode(key.sign(&h(msg)).unwrap()), sig);
            assert_eq!(hex::encode(&key.seed().unwrap()[..]), seed);
            verify(&h(public), &h(msg), &h(sig)).unwrap();
            let mut bad = h(sig);
            bad[0] ^= 1;
            assert_eq!(
                verify(&h(public), &h(msg), &bad),
                Err(CryptoError::Signature)
            );
        }
    }

    #[test]
    fn wycheproof_verification() {
        let by_raw = Ed25519PublicKey::from_raw(&h(tv::ED25519_PK)).unwrap();
        let by_spki = Ed25519PublicKey::from_spki_der(&h(tv::ED25519_SPKI)).unwrap();
        assert_eq!(by_raw, by_spki);
        assert_eq!(by_raw.to_spki_der().unwrap(), h(tv::ED25519_SPKI));
        by_spki
            .verify(&h(tv::ED25519_MSG), &h(tv::ED25519_SIG))
            .unwrap();
        assert_eq!(
            by_spki.verify(b"another message", &h(tv::ED25519_SIG)),
            Err(CryptoError::Signature)
        );
    }

    #[test]
    fn generate_encode_and_negative_cases() {
        let key = Ed25519PrivateKey::generate().unwrap();
        let pkcs8 = key.to_pkcs8_der().unwrap();
        let again = Ed25519PrivateKey::from_pkcs8_der(&pkcs8).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        let from_seed = Ed25519PrivateKey::from_seed(&key.seed().unwrap()).unwrap();
        assert_eq!(from_seed.public_key(), key.public_key());
        let sig = sign(&pkcs8, b"m").unwrap();
        assert_eq!(sig.len(), SIGNATURE_LEN);
        let spki = key.public_key().to_spki_der().unwrap();
        verify(&spki, b"m", &sig).unwrap();
        let other = Ed25519PrivateKey::generate().unwrap();
        assert_eq!(
            other.public_key().verify(b"m", &sig),
            Err(CryptoError::Signature)
        );
        assert_eq!(
            key.public_key().verify(b"m", &sig[..63]),
            Err(CryptoError::Signature)
        );
        assert!(Ed25519PrivateKey::from_seed(&[0u8; 31]).is_err());
        assert!(Ed25519PublicKey::from_raw(&[0u8; 33]).is_err());
        assert!(Ed25519PrivateKey::from_pkcs8_der(b"junk").is_err());
        assert!(!format!("{key:?}").contains(&hex::encode(&key.seed().unwrap()[..])));
    }
}
