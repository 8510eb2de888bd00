//! What Encrypt and Decrypt share: loading a usable key and choosing the AEAD from the key's
//! algorithm and the request's CryptographicParameters.

use super::object::ManagedObject;
use crate::error::KmipError;
use ekms_crypto::aead::{AeadAlgorithm, TAG_LEN};
use ekms_kmip::enums::{BlockCipherMode, CryptographicAlgorithm, ResultReason, State};
use ekms_kmip::{CryptographicParameters, Tag, Ttlv};

/// Reads optional CryptographicParameters.
pub fn parse_parameters(payload: &Ttlv) -> Result<Option<CryptographicParameters>, KmipError> {
    payload
        .child(Tag::CRYPTOGRAPHIC_PARAMETERS)
        .map(|p| {
            CryptographicParameters::from_ttlv(p).map_err(|e| {
                KmipError::new(
                    ResultReason::InvalidField,
                    format!("bad CryptographicParameters: {e}"),
                )
            })
        })
        .transpose()
}

/// Checks that `obj` may be used for `op` at `now`: its state and its usage mask.
pub fn check_usable(
    obj: &ManagedObject,
    now: i64,
    op: &str,
    allowed: &[State],
    mask_bit: u32,
) -> Result<(), KmipError> {
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

/// The AEAD for a key of `key_len` bytes of `obj`'s algorithm under `params`.
pub fn choose(
    obj: &ManagedObject,
    key_len: usize,
    params: Option<&CryptographicParameters>,
) -> Result<AeadAlgorithm, KmipError> {
    let unsupported = |m: String| KmipError::new(ResultReason::FeatureNotSupported, m);
    if let Some(tag_len) = params.and_then(|p| p.tag_length)
        && tag_len as usize != TAG_LEN
    {
        return Err(KmipError::new(
            ResultReason::BadCryptographicParameters,
            format!("TagLength must be {TAG_LEN}"),
        ));
    }
    let requested = params.and_then(|p| p.cryptographic_algorithm);
    let mode = params.and_then(|p| p.block_cipher_mode);
    match obj.attributes.cryptographic_algorithm {
        Some(CryptographicAlgorithm::Aes) => {
            if let Some(r) = requested
                && r != CryptographicAlgorithm::Aes
            {
                return Err(KmipError::new(
                    ResultReason::BadCryptographicParameters,
                    format!("object {} is an AES key, not {}", obj.uid, r.name()),
                ));
            }
            match mode {
                None | Some(BlockCipherMode::Gcm) => AeadAlgorithm::aes_gcm_for_key(key_len)
                    .map_err(|e| KmipError::internal(e.to_string())),
                Some(m) => Err(unsupported(format!(
                    "AES in {} mode is not supported yet; use GCM",
                    m.name()
                ))),
            }
        }
        Some(CryptographicAlgorithm::ChaCha20 | CryptographicAlgorithm::ChaCha20Poly1305) => {
            match requested {
                None
                | Some(CryptographicAlgorithm::ChaCha20Poly1305)
                | Some(CryptographicAlgorithm::ChaCha20) => Ok(AeadAlgorithm::ChaCha20Poly1305),
                Some(r) => Err(KmipError::new(
                    ResultReason::BadCryptographicParameters,
                    format!("object {} is a ChaCha20 key, not {}", obj.uid, r.name()),
                )),
            }
        }
        other => Err(unsupported(format!(
            "object {} ({}) cannot encrypt or decrypt here",
            obj.uid,
            other.map_or("no algorithm", |a| a.name())
        ))),
    }
}

/// Maps a crypto error to the KMIP failure a client can act on.
pub fn crypto_failure(e: ekms_crypto::CryptoError) -> KmipError {
    use ekms_crypto::CryptoError as C;
    let reason = match e {
        C::Authentication => ResultReason::CryptographicFailure,
        C::IvLength { .. } | C::TagLength { .. } => ResultReason::BadCryptographicParameters,
        _ => ResultReason::CryptographicFailure,
    };
    KmipError::new(reason, e.to_string())
}
