//! Create Split Key: splits a symmetric key or secret (the one the request names, or a new one
//! drawn from its attributes as Create draws it) into Split Key objects, one per part, stored
//! like any object (Get, Locate, Destroy). Only the XOR method is offered: the parts are
//! random but the last, which is the key XORed with all the others, so every part is needed
//! (the threshold equals the parts, as KMIP says of XOR). The polynomial methods are refused
//! (see [`POLYNOMIAL_REFUSED`]).

use super::Context;
use crate::error::KmipError;
use crate::objects::attrs;
use crate::objects::keys::{build_block, key_bits, secret_bytes};
use crate::objects::object::{ManagedObject, SecretTtlv};
use crate::objects::{insert_new, new_uid, now};
use ekms_kmip::enums::{
    CryptographicAlgorithm, KeyFormatType, ObjectType, ResultReason, SplitKeyMethod,
};
use ekms_kmip::operations::create_split_key::{Request, Response};
use ekms_kmip::{Tag, Ttlv};
use zeroize::Zeroizing;

/// The most parts one request may make (a bound on the work and objects of one request).
pub const MAX_PARTS: i32 = 64;

/// Why the polynomial (Shamir) methods are refused.
pub const POLYNOMIAL_REFUSED: &str = "ekms splits keys with the XOR method only: KMIP's polynomial methods fix their own field representations (GF(2^8), GF(2^16) as an extension of it, a prime field), which no maintained Rust secret-sharing crate implements, and ekms writes no cryptography itself";

/// The key to split: its bytes, algorithm and Cryptographic Length.
struct Source {
    bytes: Zeroizing<Vec<u8>>,
    algorithm: Option<CryptographicAlgorithm>,
    length: Option<i32>,
}

fn source(ctx: &Context<'_>, req: &Request) -> Result<Source, KmipError> {
    if let Some(uid) = &req.uid {
        let obj = ctx.read(|tx| ManagedObject::load(tx, uid))?;
        if !matches!(
            obj.object_type,
            ObjectType::SymmetricKey | ObjectType::SecretData
        ) {
            return Err(KmipError::new(
                ResultReason::InvalidObjectType,
                format!(
                    "object {uid} is a {}: ekms splits symmetric keys and secret data",
                    obj.object_type.name()
                ),
            ));
        }
        // Parts are served by Get, so a key that may not leave may not be split either.
        drop(super::get::export_value(&obj, None, None, None)?);
        return Ok(Source {
            bytes: secret_bytes(&obj)?,
            algorithm: obj.attributes.cryptographic_algorithm,
            length: obj.attributes.cryptographic_length,
        });
    }
    match req.object_type {
        ObjectType::SymmetricKey => {
            let algorithm = req
                .attributes
                .cryptographic_algorithm
                .ok_or_else(|| KmipError::missing("CryptographicAlgorithm"))?;
            let len = super::create::key_len(algorithm, req.attributes.cryptographic_length)?;
            Ok(Source {
                bytes: super::create::generate(algorithm, len)?,
                algorithm: Some(algorithm),
                length: key_bits(algorithm, len),
            })
        }
        ObjectType::SecretData => {
            let len = super::create::secret_data_len(req.attributes.cryptographic_length)?;
            Ok(Source {
                bytes: ekms_crypto::rand::secret(len).map_err(|e| {
                    KmipError::new(ResultReason::CryptographicFailure, e.to_string())
                })?,
                algorithm: None,
                length: i32::try_from(len * 8).ok(),
            })
        }
        other => Err(KmipError::new(
            ResultReason::InvalidObjectType,
            format!(
                "ekms splits symmetric keys and secret data, not {}",
                other.name()
            ),
        )),
    }
}

/// Checks the parts, threshold and method asked for.
fn check_request(req: &Request) -> Result<(), KmipError> {
    if req.method != SplitKeyMethod::Xor {
        return Err(KmipError::new(
            ResultReason::FeatureNotSupported,
            format!("{}: {POLYNOMIAL_REFUSED}", req.method.name()),
        ));
    }
    if !(2..=MAX_PARTS).contains(&req.parts) {
        return Err(KmipError::new(
            ResultReason::InvalidField,
            format!("SplitKeyParts must be 2 to {MAX_PARTS}, not {}", req.parts),
        ));
    }
    if req.threshold != req.parts {
        return Err(KmipError::new(
            ResultReason::InvalidField,
            format!(
                "with the XOR method every part is needed: SplitKeyThreshold must equal SplitKeyParts ({}), not {}",
                req.parts, req.threshold
            ),
        ));
    }
    Ok(())
}

/// The XOR shares of `key`: `parts - 1` random ones and the key XORed with all of them.
pub fn xor_split(key: &[u8], parts: usize) -> Result<Vec<Zeroizing<Vec<u8>>>, KmipError> {
    let mut last = Zeroizing::new(key.to_vec());
    let mut shares = Vec::with_capacity(parts);
    for _ in 1..parts {
        let share = ekms_crypto::rand::secret(key.len())
            .map_err(|e| KmipError::new(ResultReason::CryptographicFailure, e.to_string()))?;
        for (l, s) in last.iter_mut().zip(share.iter()) {
            *l ^= s;
        }
        shares.push(share);
    }
    shares.push(last);
    Ok(shares)
}

/// The value of one part: `SplitKey { parts, id, threshold, method, KeyBlock (Raw) }`.
fn part_value(req: &Request, id: i32, share: &[u8], src: &Source) -> Ttlv {
    Ttlv::structure(
        Tag::SPLIT_KEY,
        vec![
            Ttlv::integer(Tag::SPLIT_KEY_PARTS, req.parts),
            Ttlv::integer(Tag::KEY_PART_IDENTIFIER, id),
            Ttlv::integer(Tag::SPLIT_KEY_THRESHOLD, req.threshold),
            Ttlv::enumeration(Tag::SPLIT_KEY_METHOD, req.method.as_u32()),
            build_block(
                KeyFormatType::Raw,
                Ttlv::bytes(Tag::KEY_MATERIAL, share.to_vec()),
                src.algorithm,
                src.length,
            ),
        ],
    )
}

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    check_request(&req)?;
    let src = source(ctx, &req)?;
    let parts = usize::try_from(req.parts).unwrap_or_default();
    let shares = xor_split(&src.bytes, parts)?;
    let now = now();
    let mut objects = Vec::with_capacity(parts);
    for (id, share) in (1..).zip(shares.iter()) {
        let mut attributes = req.attributes.clone();
        // A Unique Identifier in the template could name one object only.
        attributes.unique_identifier = None;
        let uid = new_uid(&attributes);
        attrs::drop_server_only(&mut attributes);
        attrs::init_new_object(&mut attributes, &uid, ObjectType::SplitKey, now);
        attrs::mark_generated(&mut attributes);
        attributes.cryptographic_algorithm = src.algorithm;
        attributes.cryptographic_length = src.length;
        attributes.key_format_type = Some(KeyFormatType::Raw);
        let value = SecretTtlv(part_value(&req, id, share, &src));
        let mut object =
            ManagedObject::new(uid, ObjectType::SplitKey, ctx.user, attributes, &value, now)?;
        object.settle_state(now);
        objects.push(object);
    }
    ctx.transact(|tx| objects.iter().try_for_each(|o| insert_new(tx, o)))?;
    Ok(Response {
        uids: objects.into_iter().map(|o| o.uid).collect(),
    })
}
