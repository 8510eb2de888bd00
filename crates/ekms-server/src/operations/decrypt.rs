//! Decrypt: the inverse of Encrypt, with a symmetric key or an RSA private key. A Deactivated
//! key may still decrypt (KMIP lets it process data protected earlier); no plaintext is
//! returned unless an authenticated mode's tag verifies.

use super::Context;
use crate::error::KmipError;
use crate::objects::asym;
use crate::objects::cipher::{SymCipher, prepared_key, sym_decrypt};
use crate::objects::key_use::{Direction, KeyUse, iv_not_taken, not_taken, symmetric};
use ekms_kmip::enums::{ObjectType, usage_mask};
use ekms_kmip::operations::decrypt::{Request, Response};

/// The keys Decrypt takes: a Deactivated one still decrypts what it protected.
const KEY_USE: KeyUse = KeyUse {
    operation: "Decrypt",
    direction: Direction::Process,
    types: &[ObjectType::SymmetricKey, ObjectType::PrivateKey],
    verb: "decrypt",
    mask: usage_mask::DECRYPT,
};

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let (obj, params) = KEY_USE.load(ctx, &req.uid, req.params)?;
    let plain = match obj.object_type {
        ObjectType::PrivateKey => asym::rsa_oaep_decrypt(&obj, params.as_ref(), &req.data)?,
        ObjectType::SymmetricKey => {
            let (key, cipher) = symmetric(&obj, params.as_ref())?;
            let cipher = cipher.for_nonce(&obj, params.as_ref(), req.iv.as_deref());
            let iv = match (req.iv, cipher.iv_len()) {
                (None, 0) => Vec::new(),
                (Some(iv), 0) => return Err(iv_not_taken(&iv)),
                (Some(iv), _) => iv,
                // Invalid Message, as KMIP's test cases answer (in 1.4 and 2.1 alike): the
                // ciphertext cannot be read without the IV the encryption used.
                (None, _) => {
                    return Err(KmipError::invalid(
                        "IVCounterNonce is missing: give the IV that Encrypt used or returned",
                    ));
                }
            };
            if matches!(cipher, SymCipher::Aead(_)) && req.tag.is_none() {
                return Err(KmipError::missing("AuthenticatedEncryptionTag"));
            }
            let prepared = prepared_key(ctx, &obj, cipher, &key)?;
            sym_decrypt(
                cipher,
                &key,
                prepared.as_deref(),
                &iv,
                req.aad.as_deref().unwrap_or(&[]),
                req.data,
                req.tag.as_deref(),
            )?
        }
        _ => {
            return Err(not_taken(
                &obj,
                "Decrypt",
                "symmetric keys and RSA private keys",
            ));
        }
    };
    Ok(Response {
        uid: req.uid,
        data: plain,
    })
}
