//! Encrypt: with a symmetric key (AES-GCM, AES-CBC/ECB with PKCS5 or no padding, AES-CTR/CFB/
//! OFB, ChaCha20-Poly1305, Blowfish-CBC) or an RSA public key (OAEP, PKCS#1 v1.5); see
//! [`crate::objects::cipher`]. Without an IV the server draws a random one of the mode's size and
//! returns it; a client-given IV is used as given and not echoed (KMIP returns only an IV the
//! server made). Authenticated modes return the tag separately.

use super::{Context, optional_bytes, required_uid, response};
use crate::error::KmipError;
use crate::objects::asym;
use crate::objects::cipher::{crypto_failure, parse_parameters, prepared_key, sym_encrypt};
use crate::objects::key_use::{KeyUse, data_answer, iv_not_taken, not_taken, symmetric};
use ekms_kmip::enums::{ObjectType, ResultReason, State, usage_mask};
use ekms_kmip::{CryptographicParameters, Tag, Ttlv};
use zeroize::Zeroizing;

pub struct Request {
    pub uid: String,
    pub params: Option<CryptographicParameters>,
    /// The plaintext, wiped once used.
    pub data: Zeroizing<Vec<u8>>,
    pub iv: Option<Vec<u8>>,
    pub aad: Option<Vec<u8>>,
}

/// Refuses the streaming fields of KMIP 2.x Encrypt/Decrypt (ekms answers whole messages).
pub fn refuse_streaming(payload: &Ttlv) -> Result<(), KmipError> {
    let streaming = [
        Tag::CORRELATION_VALUE,
        Tag::INIT_INDICATOR,
        Tag::FINAL_INDICATOR,
    ]
    .iter()
    .any(|t| match payload.child(*t) {
        None => false,
        Some(v) => v.tag == Tag::CORRELATION_VALUE || v.as_bool() == Some(true),
    });
    if streaming {
        return Err(KmipError::new(
            ResultReason::FeatureNotSupported,
            "multi-part (streaming) operations are not supported; use the /v1 stream routes",
        ));
    }
    Ok(())
}

pub fn parse(payload: &Ttlv) -> Result<Request, KmipError> {
    refuse_streaming(payload)?;
    Ok(Request {
        uid: required_uid(payload)?,
        params: parse_parameters(payload)?,
        data: Zeroizing::new(
            optional_bytes(payload, Tag::DATA, "Data")?
                .ok_or_else(|| KmipError::missing("Data"))?,
        ),
        iv: optional_bytes(payload, Tag::IV_COUNTER_NONCE, "IVCounterNonce")?,
        aad: optional_bytes(
            payload,
            Tag::AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA,
            "AuthenticatedEncryptionAdditionalData",
        )?,
    })
}

/// The keys Encrypt takes.
const KEY_USE: KeyUse = KeyUse {
    operation: "Encrypt",
    types: &[ObjectType::SymmetricKey, ObjectType::PublicKey],
    verb: "encrypt",
    states: &[State::Active],
    mask: usage_mask::ENCRYPT,
};

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Ttlv, KmipError> {
    let (obj, params) = KEY_USE.load(ctx, &req.uid, req.params)?;
    match obj.object_type {
        ObjectType::PublicKey => {
            if req.iv.is_some() || req.aad.is_some() {
                return Err(KmipError::new(
                    ResultReason::BadCryptographicParameters,
                    "RSA encryption takes no IV and no additional data",
                ));
            }
            let out = asym::rsa_oaep_encrypt(&obj, params.as_ref(), &req.data)?;
            Ok(response(data_answer(req.uid, out)))
        }
        ObjectType::SymmetricKey => {
            let (key, cipher) = symmetric(&obj, params.as_ref())?;
            let iv_len = cipher.iv_len();
            let (iv, generated) = match req.iv {
                Some(iv) if iv_len == 0 => return Err(iv_not_taken(&iv)),
                Some(iv) => (iv, false),
                None if iv_len == 0 => (Vec::new(), false),
                None if params.as_ref().and_then(|p| p.random_iv) == Some(false) => {
                    return Err(KmipError::new(
                        ResultReason::MissingInitializationVector,
                        "RandomIV is false and no IVCounterNonce was given",
                    ));
                }
                None => {
                    let mut iv = vec![0u8; iv_len];
                    ekms_crypto::rand::fill(&mut iv).map_err(crypto_failure)?;
                    (iv, true)
                }
            };
            if req.aad.is_some() && !matches!(cipher, crate::objects::cipher::SymCipher::Aead(_)) {
                return Err(KmipError::new(
                    ResultReason::BadCryptographicParameters,
                    "additional authenticated data needs an authenticated mode (GCM, ChaCha20-Poly1305)",
                ));
            }
            let prepared = prepared_key(ctx, &obj, cipher, &key)?;
            let (data, tag) = sym_encrypt(
                cipher,
                &key,
                prepared.as_deref(),
                &iv,
                req.aad.as_deref().unwrap_or(&[]),
                req.data,
            )?;
            let mut items = data_answer(req.uid, data);
            if generated {
                items.push(Ttlv::bytes(Tag::IV_COUNTER_NONCE, iv));
            }
            if let Some(tag) = tag {
                items.push(Ttlv::bytes(Tag::AUTHENTICATED_ENCRYPTION_TAG, tag));
            }
            Ok(response(items))
        }
        _ => Err(not_taken(
            &obj,
            "Encrypt",
            "symmetric keys and RSA public keys",
        )),
    }
}
