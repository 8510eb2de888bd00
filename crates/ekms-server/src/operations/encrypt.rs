//! Encrypt: with a symmetric key (AES-GCM, AES-CBC/ECB with PKCS5 or no padding, AES-CTR/CFB/
//! OFB, ChaCha20-Poly1305, plain ChaCha20 with an 8-byte nonce, Blowfish-CBC) or an RSA public
//! key (OAEP, PKCS#1 v1.5); see [`crate::objects::cipher`]. Without an IV the server draws a random one of the mode's size and
//! returns it; a client-given IV is used as given and not echoed (KMIP returns only an IV the
//! server made). Authenticated modes return the tag separately, and may encrypt in parts
//! (Init Indicator, Correlation Value, Final Indicator: [`super::encrypt_parts`]).

use super::Context;
use super::encrypt_parts::{self, Begin};
use crate::error::KmipError;
use crate::objects::asym;
use crate::objects::cipher::{crypto_failure, prepared_key, sym_encrypt, tag_length};
use crate::objects::key_use::{Direction, KeyUse, iv_not_taken, not_taken, symmetric};
use ekms_kmip::enums::{ObjectType, ResultReason, usage_mask};
use ekms_kmip::operations::encrypt::{PartRequest, Response};

/// The keys Encrypt takes.
const KEY_USE: KeyUse = KeyUse {
    operation: "Encrypt",
    direction: Direction::Protect,
    types: &[ObjectType::SymmetricKey, ObjectType::PublicKey],
    verb: "encrypt",
    mask: usage_mask::ENCRYPT,
};

pub fn apply(ctx: &Context<'_>, req: PartRequest) -> Result<Response, KmipError> {
    let PartRequest {
        request: req,
        parts,
    } = req;
    let (obj, params) = KEY_USE.load(ctx, &req.uid, req.params)?;
    if parts.is_multi_part() && obj.object_type != ObjectType::SymmetricKey {
        return Err(KmipError::new(
            ResultReason::FeatureNotSupported,
            "multi-part Encrypt takes a symmetric key; RSA encryption takes one request",
        ));
    }
    crate::objects::key_use::charge_usage(ctx, &obj, req.data.len())?;
    match obj.object_type {
        ObjectType::PublicKey => {
            if req.iv.is_some() || req.aad.is_some() {
                return Err(KmipError::new(
                    ResultReason::BadCryptographicParameters,
                    "RSA encryption takes no IV and no additional data",
                ));
            }
            let out = asym::rsa_oaep_encrypt(&obj, params.as_ref(), &req.data)?;
            Ok(Response {
                uid: req.uid,
                data: out,
                iv: None,
                correlation: None,
                tag: None,
            })
        }
        ObjectType::SymmetricKey => {
            let (key, cipher) = symmetric(&obj, params.as_ref())?;
            let cipher = cipher.for_nonce(&obj, params.as_ref(), req.iv.as_deref());
            if let Some(correlation) = &parts.correlation {
                // A later part: the key, IV and additional data are the first part's.
                if req.iv.is_some() || req.aad.is_some() {
                    return Err(KmipError::new(
                        ResultReason::InvalidField,
                        "only the first part of a multi-part Encrypt (Init Indicator) carries \
                         the IV and the additional data",
                    ));
                }
                let prepared = prepared_key(ctx, &obj, cipher, &key)?;
                let answer = encrypt_parts::next(
                    ctx.user,
                    &req.uid,
                    correlation,
                    &key,
                    prepared.as_deref(),
                    &req.data,
                    parts.last,
                )?;
                return Ok(Response {
                    uid: req.uid,
                    data: answer.data,
                    iv: None,
                    correlation: answer.correlation,
                    tag: answer.tag,
                });
            }
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
            let tag_len = tag_length(params.as_ref())?;
            let prepared = prepared_key(ctx, &obj, cipher, &key)?;
            if parts.is_multi_part() {
                let begin = Begin {
                    user: ctx.user,
                    uid: &req.uid,
                    cipher,
                    iv: iv.clone(),
                    aad: req.aad.unwrap_or_default(),
                    tag_len,
                };
                let answer = encrypt_parts::begin(begin, &key, prepared.as_deref(), req.data)?;
                return Ok(Response {
                    uid: req.uid,
                    data: answer.data,
                    iv: generated.then_some(iv),
                    correlation: answer.correlation,
                    tag: None,
                });
            }
            let (data, mut tag) = sym_encrypt(
                cipher,
                &key,
                prepared.as_deref(),
                &iv,
                req.aad.as_deref().unwrap_or(&[]),
                req.data,
            )?;
            // A shorter TagLength: the first bytes of the full tag (NIST SP 800-38D).
            if let Some(t) = tag.as_mut() {
                t.truncate(tag_len);
            }
            Ok(Response {
                uid: req.uid,
                data,
                iv: generated.then_some(iv),
                correlation: None,
                tag,
            })
        }
        _ => Err(not_taken(
            &obj,
            "Encrypt",
            "symmetric keys and RSA public keys",
        )),
    }
}
