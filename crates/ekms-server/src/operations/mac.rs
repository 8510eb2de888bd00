//! MAC: an HMAC tag over Data with an Active symmetric key whose usage mask allows MAC
//! Generate. The HMAC hash comes from the Cryptographic Parameters (HMAC_SHA* algorithm or
//! Hashing Algorithm) or the key's algorithm: HMAC-SHA1/224/256/384/512.

use super::Context;
use crate::error::KmipError;
use crate::objects::cipher::{check_type, check_usable, crypto_failure, effective_parameters};
use crate::objects::keys::secret_bytes;
use crate::objects::object::ManagedObject;
use crate::objects::{asym, now};
use ekms_crypto::mac::MacAlgorithm;
use ekms_kmip::CryptographicParameters;
use ekms_kmip::enums::{CryptographicAlgorithm, ObjectType, ResultReason, State, usage_mask};
use ekms_kmip::operations::mac::{Request, Response};

fn hmac_of(alg: CryptographicAlgorithm) -> Option<MacAlgorithm> {
    Some(match alg {
        CryptographicAlgorithm::HmacSha1 => MacAlgorithm::HmacSha1,
        CryptographicAlgorithm::HmacSha224 => MacAlgorithm::HmacSha224,
        CryptographicAlgorithm::HmacSha256 => MacAlgorithm::HmacSha256,
        CryptographicAlgorithm::HmacSha384 => MacAlgorithm::HmacSha384,
        CryptographicAlgorithm::HmacSha512 => MacAlgorithm::HmacSha512,
        _ => return None,
    })
}

/// The HMAC for `obj` under `params`, and the key bytes.
pub fn mac_key(
    obj: &ManagedObject,
    params: Option<&CryptographicParameters>,
) -> Result<(MacAlgorithm, zeroize::Zeroizing<Vec<u8>>), KmipError> {
    if obj.object_type != ObjectType::SymmetricKey {
        return Err(KmipError::new(
            ResultReason::IllegalObjectType,
            format!(
                "object {} is a {}, not a MAC key",
                obj.uid,
                obj.object_type.name()
            ),
        ));
    }
    let alg = match params.and_then(|p| p.cryptographic_algorithm).and_then(hmac_of) {
        Some(a) => a,
        None => match params.and_then(|p| p.hashing_algorithm) {
            Some(h) => MacAlgorithm::hmac(asym::hash_of(h)?).map_err(crypto_failure)?,
            None => obj
                .attributes
                .cryptographic_algorithm
                .and_then(hmac_of)
                .ok_or_else(|| {
                    KmipError::new(
                        ResultReason::BadCryptographicParameters,
                        format!(
                            "object {} is not an HMAC key: name the HMAC algorithm or hash in the CryptographicParameters",
                            obj.uid
                        ),
                    )
                })?,
        },
    };
    Ok((alg, secret_bytes(obj)?))
}

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let obj = ctx.transact(|tx| ManagedObject::load(tx, &req.uid))?;
    check_type(&obj, &[ObjectType::SymmetricKey], "MAC")?;
    check_usable(
        &obj,
        now(),
        "compute MACs",
        &[State::Active],
        usage_mask::MAC_GENERATE,
    )?;
    let params = effective_parameters(&obj, req.params);
    let (alg, key) = mac_key(&obj, params.as_ref())?;
    let tag = ekms_crypto::mac::mac(alg, &key, &req.data).map_err(crypto_failure)?;
    Ok(Response {
        uid: req.uid,
        mac: tag,
    })
}
