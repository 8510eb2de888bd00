//! What Encrypt and Decrypt share: checking that a key may be used, and choosing the cipher
//! from the key and the request's Cryptographic Parameters (or the key's own
//! CryptographicParameters attribute when the request has none).
//!
//! - AES keys: GCM (the default; 96-bit IV, 128-bit tag), CBC and ECB (no padding unless
//!   PaddingMethod PKCS5 is given, as KMIP's test cases expect), CTR, CFB, OFB.
//! - ChaCha20 keys: ChaCha20-Poly1305.
//! - Blowfish keys: CBC (legacy; padding as for AES-CBC).
//! - RSA keys: OAEP (the default, SHA-256 unless a Hashing Algorithm is given) and PKCS#1 v1.5.

use super::object::ManagedObject;
use crate::error::KmipError;
use crate::operations::Context;
use ekms_crypto::aead::{AeadAlgorithm, AeadKey, MIN_TAG_LEN, NONCE_LEN, TAG_LEN};
use ekms_crypto::block::{BlockMode, Padding};
use ekms_kmip::enums::{
    BlockCipherMode, CryptographicAlgorithm, ObjectType, PaddingMethod, ResultReason, State,
};
use ekms_kmip::{CryptographicParameters, FromTtlv, Tag, Ttlv};
use std::sync::Arc;

/// Reads optional CryptographicParameters.
pub fn parse_parameters(payload: &Ttlv) -> Result<Option<CryptographicParameters>, KmipError> {
    payload
        .child(Tag::CRYPTOGRAPHIC_PARAMETERS)
        .map(|p| {
            CryptographicParameters::from_ttlv(p.clone()).map_err(|e| {
                KmipError::new(
                    ResultReason::InvalidField,
                    format!("bad CryptographicParameters: {e}"),
                )
            })
        })
        .transpose()
}

/// The parameters to use: the request's, else the key's CryptographicParameters attribute.
pub fn effective_parameters(
    obj: &ManagedObject,
    request: Option<CryptographicParameters>,
) -> Option<CryptographicParameters> {
    request.or_else(|| obj.attributes.cryptographic_parameters.clone())
}

/// Checks that `obj` may be used for `op` at `now`: not destroyed, its state, its usage mask.
pub fn check_usable(
    obj: &ManagedObject,
    now: i64,
    op: &str,
    allowed: &[State],
    mask_bit: u32,
) -> Result<(), KmipError> {
    if obj.is_destroyed() {
        return Err(obj.destroyed_error());
    }
    let state = obj.state(now);
    if !allowed.contains(&state) {
        return Err(KmipError::wrong_state(format!(
            "object {} is {} and cannot {op}{}",
            obj.uid,
            state.name(),
            if state == State::PreActive {
                ": activate it first"
            } else {
                ""
            }
        )));
    }
    if let Some(mask) = obj.attributes.cryptographic_usage_mask
        && mask & mask_bit == 0
    {
        return Err(KmipError::new(
            ResultReason::IncompatibleCryptographicUsageMask,
            format!(
                "the usage mask of object {} does not allow it to {op}",
                obj.uid
            ),
        ));
    }
    Ok(())
}

/// Refuses an object whose type cannot serve `op` (checked before state and usage mask, so the
/// client learns the real problem first).
pub fn check_type(obj: &ManagedObject, allowed: &[ObjectType], op: &str) -> Result<(), KmipError> {
    if allowed.contains(&obj.object_type) {
        return Ok(());
    }
    let names: Vec<&str> = allowed.iter().map(|t| t.name()).collect();
    Err(KmipError::new(
        ResultReason::IllegalObjectType,
        format!(
            "object {} is a {}: {op} takes a {}",
            obj.uid,
            obj.object_type.name(),
            names.join(" or ")
        ),
    ))
}

/// A symmetric cipher chosen for a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymCipher {
    /// Authenticated: detached tag, 96-bit nonce.
    Aead(AeadAlgorithm),
    /// AES in a block mode.
    Block(BlockMode, Padding),
    /// Legacy Blowfish-CBC.
    BlowfishCbc(Padding),
    /// Plain ChaCha20 with the original 8-byte nonce (unauthenticated): KMIP's ChaCha20
    /// algorithm, for a ChaCha20 key given an 8-byte nonce ([`SymCipher::for_nonce`]).
    ChaCha20,
}

impl SymCipher {
    /// Length of the IV the cipher takes (0: none).
    pub fn iv_len(self) -> usize {
        match self {
            SymCipher::Aead(_) => NONCE_LEN,
            SymCipher::Block(m, _) => m.iv_len(),
            SymCipher::BlowfishCbc(_) => ekms_crypto::legacy::BLOWFISH_BLOCK_LEN,
            SymCipher::ChaCha20 => ekms_crypto::legacy::CHACHA20_LEGACY_NONCE_LEN,
        }
    }

    /// The cipher for a request carrying `nonce`: a key of algorithm ChaCha20 given the
    /// original 8-byte nonce, and no parameters asking for AEAD, is plain ChaCha20 (KMIP's
    /// ChaCha20; ChaCha20-Poly1305 takes 12 bytes, so no request that authenticated before
    /// changes meaning). Every other request keeps the cipher [`choose`] gave.
    pub fn for_nonce(
        self,
        obj: &ManagedObject,
        params: Option<&CryptographicParameters>,
        nonce: Option<&[u8]>,
    ) -> Self {
        let plain = self == SymCipher::Aead(AeadAlgorithm::ChaCha20Poly1305)
            && obj.attributes.cryptographic_algorithm == Some(CryptographicAlgorithm::ChaCha20)
            && nonce.is_some_and(|n| n.len() == ekms_crypto::legacy::CHACHA20_LEGACY_NONCE_LEN)
            && params.is_none_or(|p| {
                p.block_cipher_mode.is_none()
                    && p.tag_length.is_none()
                    && p.cryptographic_algorithm != Some(CryptographicAlgorithm::ChaCha20Poly1305)
            });
        if plain { SymCipher::ChaCha20 } else { self }
    }
}

fn bad_params(msg: String) -> KmipError {
    KmipError::new(ResultReason::BadCryptographicParameters, msg)
}

/// The padding of a block-aligned mode: none unless the client asks for PKCS5 (without
/// padding the data must be a whole number of blocks).
fn padding(mode_name: &str, p: Option<PaddingMethod>) -> Result<Padding, KmipError> {
    match p {
        Some(PaddingMethod::Pkcs5) => Ok(Padding::Pkcs7),
        None | Some(PaddingMethod::None) => Ok(Padding::None),
        Some(other) => Err(bad_params(format!(
            "{mode_name} takes PKCS5 or None padding, not {}",
            other.name()
        ))),
    }
}

fn no_padding(mode_name: &str, p: Option<PaddingMethod>) -> Result<(), KmipError> {
    match p {
        None | Some(PaddingMethod::None) => Ok(()),
        Some(other) => Err(bad_params(format!(
            "{mode_name} is a stream mode and takes no padding, not {}",
            other.name()
        ))),
    }
}

/// The length of the tag an authenticated mode makes and checks: the parameters' TagLength,
/// 12 to 16 bytes (NIST SP 800-38D's general-purpose GCM tags), else the full 16.
pub fn tag_length(params: Option<&CryptographicParameters>) -> Result<usize, KmipError> {
    match params.and_then(|p| p.tag_length) {
        None => Ok(TAG_LEN),
        Some(n) if (MIN_TAG_LEN..=TAG_LEN).contains(&(n as usize)) => Ok(n as usize),
        // General Failure, as the GCM and ChaCha20-Poly1305 profile cases answer.
        Some(n) => Err(KmipError::new(
            ResultReason::GeneralFailure,
            format!(
                "TagLength {n} is not offered: authenticated modes make tags of {MIN_TAG_LEN} \
                 to {TAG_LEN} bytes (shorter tags are too easy to forge)"
            ),
        )),
    }
}

/// The symmetric cipher for a key of `key_len` bytes of `obj`'s algorithm under `params`.
pub fn choose(
    obj: &ManagedObject,
    key_len: usize,
    params: Option<&CryptographicParameters>,
) -> Result<SymCipher, KmipError> {
    let unsupported = |m: String| KmipError::new(ResultReason::FeatureNotSupported, m);
    let requested = params.and_then(|p| p.cryptographic_algorithm);
    let mode = params.and_then(|p| p.block_cipher_mode);
    let pad = params.and_then(|p| p.padding_method);
    let key_alg = obj.attributes.cryptographic_algorithm;
    if let (Some(r), Some(k)) = (requested, key_alg) {
        let compatible = r == k
            || matches!(
                (r, k),
                (
                    CryptographicAlgorithm::ChaCha20 | CryptographicAlgorithm::ChaCha20Poly1305,
                    CryptographicAlgorithm::ChaCha20 | CryptographicAlgorithm::ChaCha20Poly1305
                )
            );
        if !compatible {
            return Err(bad_params(format!(
                "object {} is a {} key, not {}",
                obj.uid,
                k.name(),
                r.name()
            )));
        }
    }
    match key_alg {
        Some(CryptographicAlgorithm::Aes) => {
            if matches!(mode, None | Some(BlockCipherMode::Gcm)) {
                tag_length(params)?;
            }
            match mode {
                None | Some(BlockCipherMode::Gcm) => AeadAlgorithm::aes_gcm_for_key(key_len)
                    .map(SymCipher::Aead)
                    .map_err(crypto_failure),
                Some(BlockCipherMode::Cbc) => {
                    Ok(SymCipher::Block(BlockMode::Cbc, padding("CBC", pad)?))
                }
                Some(BlockCipherMode::Ecb) => {
                    Ok(SymCipher::Block(BlockMode::Ecb, padding("ECB", pad)?))
                }
                Some(BlockCipherMode::Ctr) => {
                    no_padding("CTR", pad)?;
                    Ok(SymCipher::Block(BlockMode::Ctr, Padding::None))
                }
                Some(BlockCipherMode::Cfb) => {
                    no_padding("CFB", pad)?;
                    Ok(SymCipher::Block(BlockMode::Cfb128, Padding::None))
                }
                Some(BlockCipherMode::Ofb) => {
                    no_padding("OFB", pad)?;
                    Ok(SymCipher::Block(BlockMode::Ofb, Padding::None))
                }
                Some(m) => Err(unsupported(format!(
                    "AES in {} mode is not supported; use GCM, CBC, ECB, CTR, CFB or OFB",
                    m.name()
                ))),
            }
        }
        Some(CryptographicAlgorithm::ChaCha20 | CryptographicAlgorithm::ChaCha20Poly1305) => {
            match mode {
                None | Some(BlockCipherMode::Aead) => {
                    tag_length(params)?;
                    Ok(SymCipher::Aead(AeadAlgorithm::ChaCha20Poly1305))
                }
                Some(m) => Err(bad_params(format!(
                    "ChaCha20 keys encrypt with ChaCha20-Poly1305, not in {} mode",
                    m.name()
                ))),
            }
        }
        Some(CryptographicAlgorithm::Blowfish) => match mode {
            None | Some(BlockCipherMode::Cbc) => {
                Ok(SymCipher::BlowfishCbc(padding("Blowfish-CBC", pad)?))
            }
            Some(m) => Err(unsupported(format!(
                "Blowfish is offered in CBC mode only, not {}",
                m.name()
            ))),
        },
        Some(CryptographicAlgorithm::Des3) => Err(unsupported(format!(
            "object {} is a DES3 key: ekms keeps DES3 keys for clients that store them but does \
             not encrypt with DES3 (a retired 64-bit block cipher); use an AES key",
            obj.uid
        ))),
        other => Err(unsupported(format!(
            "object {} ({}) cannot encrypt or decrypt here",
            obj.uid,
            other.map_or("no algorithm", |a| a.name())
        ))),
    }
}

/// For an AEAD `cipher`, the prepared key of `obj` (whose key bytes are `key`): the one kept
/// with the object's cached copy in the store, or a new one, then kept there for the next
/// request. It goes when the cached copy goes (any change of the object, eviction, a rekey).
/// None for the other ciphers.
pub fn prepared_key(
    ctx: &Context<'_>,
    obj: &ManagedObject,
    cipher: SymCipher,
    key: &[u8],
) -> Result<Option<Arc<AeadKey>>, KmipError> {
    let SymCipher::Aead(alg) = cipher else {
        return Ok(None);
    };
    let kept = obj
        .derived
        .0
        .clone()
        .and_then(|d| d.downcast::<AeadKey>().ok())
        .filter(|k| k.algorithm() == alg);
    if let Some(k) = kept {
        return Ok(Some(k));
    }
    let k = Arc::new(AeadKey::new(alg, key).map_err(crypto_failure)?);
    if let Some(material) = &obj.material {
        ctx.store.attach(&obj.uid, material, k.clone());
    }
    Ok(Some(k))
}

/// Encrypts with a symmetric cipher: (ciphertext, tag if authenticated). The plaintext
/// buffer is wiped. `prepared` is the AEAD key already set up ([`prepared_key`]), if any.
pub fn sym_encrypt(
    cipher: SymCipher,
    key: &[u8],
    prepared: Option<&AeadKey>,
    iv: &[u8],
    aad: &[u8],
    data: zeroize::Zeroizing<Vec<u8>>,
) -> Result<(Vec<u8>, Option<Vec<u8>>), KmipError> {
    match cipher {
        SymCipher::Aead(alg) => {
            let mut data = data;
            let tag = match prepared {
                Some(k) if k.algorithm() == alg => k.seal_in_place(iv, aad, &mut data),
                _ => alg.seal_in_place(key, iv, aad, &mut data),
            }
            .map_err(crypto_failure)?;
            // Sealed in place: the buffer now holds the ciphertext only.
            Ok((std::mem::take(&mut *data), Some(tag.to_vec())))
        }
        SymCipher::Block(mode, padding) => {
            let unaligned = padding == Padding::None
                && mode.is_block_aligned()
                && !data.len().is_multiple_of(ekms_crypto::block::BLOCK_LEN);
            let out = ekms_crypto::block::encrypt(key, mode, padding, iv, &data).map_err(|e| {
                let mut e = crypto_failure(e);
                if unaligned {
                    e.message
                        .push_str("; give PaddingMethod PKCS5 to have the data padded");
                }
                e
            })?;
            Ok((out, None))
        }
        SymCipher::BlowfishCbc(padding) => {
            let out = ekms_crypto::legacy::blowfish_cbc_encrypt(key, iv, padding, &data)
                .map_err(crypto_failure)?;
            Ok((out, None))
        }
        SymCipher::ChaCha20 => {
            let mut data = data;
            ekms_crypto::legacy::chacha20_legacy_apply(key, iv, &mut data)
                .map_err(crypto_failure)?;
            Ok((std::mem::take(&mut *data), None))
        }
    }
}

/// Decrypts with a symmetric cipher; an authenticated cipher needs the tag.
pub fn sym_decrypt(
    cipher: SymCipher,
    key: &[u8],
    prepared: Option<&AeadKey>,
    iv: &[u8],
    aad: &[u8],
    data: Vec<u8>,
    tag: Option<&[u8]>,
) -> Result<zeroize::Zeroizing<Vec<u8>>, KmipError> {
    match cipher {
        SymCipher::Aead(alg) => {
            let tag = tag.ok_or_else(|| KmipError::missing("AuthenticatedEncryptionTag"))?;
            let mut data = zeroize::Zeroizing::new(data);
            match prepared {
                Some(k) if k.algorithm() == alg => k.open_in_place(iv, aad, &mut data, tag),
                _ => alg.open_in_place(key, iv, aad, &mut data, tag),
            }
            .map_err(crypto_failure)?;
            Ok(data)
        }
        SymCipher::Block(mode, padding) => {
            ekms_crypto::block::decrypt(key, mode, padding, iv, &data).map_err(crypto_failure)
        }
        SymCipher::BlowfishCbc(padding) => {
            ekms_crypto::legacy::blowfish_cbc_decrypt(key, iv, padding, &data)
                .map_err(crypto_failure)
        }
        SymCipher::ChaCha20 => {
            let mut data = zeroize::Zeroizing::new(data);
            ekms_crypto::legacy::chacha20_legacy_apply(key, iv, &mut data)
                .map_err(crypto_failure)?;
            Ok(data)
        }
    }
}

/// Maps a crypto error to the KMIP failure a client can act on.
pub fn crypto_failure(e: ekms_crypto::CryptoError) -> KmipError {
    use ekms_crypto::CryptoError as C;
    let reason = match &e {
        C::IvLength { .. }
        | C::IvLengthRange { .. }
        | C::TagLength { .. }
        | C::TagLengthRange { .. }
        | C::KeyLength { .. } => ResultReason::BadCryptographicParameters,
        C::Unsupported(_) => ResultReason::FeatureNotSupported,
        C::InvalidInput(_) => ResultReason::InvalidField,
        C::InvalidKey(_) | C::Encoding(_) => ResultReason::InvalidField,
        _ => ResultReason::CryptographicFailure,
    };
    KmipError::new(reason, e.to_string())
}
