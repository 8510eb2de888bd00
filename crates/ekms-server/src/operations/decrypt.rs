//! Decrypt: the inverse of Encrypt, with a symmetric key or an RSA private key. A Deactivated
//! key may still decrypt (KMIP lets it process data protected earlier); no plaintext is
//! returned unless an authenticated mode's tag verifies.

use super::Context;
use crate::error::KmipError;
use crate::objects::cipher::{
    SymCipher, check_type, check_usable, choose, effective_parameters, prepared_key, sym_decrypt,
};
use crate::objects::keys::secret_bytes;
use crate::objects::object::ManagedObject;
use crate::objects::{asym, now};
use ekms_kmip::enums::{ObjectType, ResultReason, State, usage_mask};
use ekms_kmip::operations::decrypt::{Request, Response};

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let now = now();
    let obj = ctx.transact(|tx| ManagedObject::load(tx, &req.uid))?;
    check_type(
        &obj,
        &[ObjectType::SymmetricKey, ObjectType::PrivateKey],
        "Decrypt",
    )?;
    check_usable(
        &obj,
        now,
        "decrypt",
        &[State::Active, State::Deactivated],
        usage_mask::DECRYPT,
    )?;
    let params = effective_parameters(&obj, req.params);
    let plain = match obj.object_type {
        ObjectType::PrivateKey => asym::rsa_oaep_decrypt(&obj, params.as_ref(), &req.data)?,
        ObjectType::SymmetricKey => {
            let key = secret_bytes(&obj)?;
            let cipher = choose(&obj, key.len(), params.as_ref())?;
            let iv = match (req.iv, cipher.iv_len()) {
                (None, 0) => Vec::new(),
                (Some(iv), 0) => {
                    return Err(KmipError::new(
                        ResultReason::BadCryptographicParameters,
                        format!("this mode takes no IV, but {} bytes were given", iv.len()),
                    ));
                }
                (Some(iv), _) => iv,
                (None, _) => {
                    return Err(KmipError::new(
                        ResultReason::MissingInitializationVector,
                        "IVCounterNonce is missing",
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
        other => {
            return Err(KmipError::new(
                ResultReason::IllegalObjectType,
                format!(
                    "object {} is a {}: Decrypt uses symmetric keys and RSA private keys",
                    obj.uid,
                    other.name()
                ),
            ));
        }
    };
    Ok(Response {
        uid: req.uid,
        data: plain,
    })
}
