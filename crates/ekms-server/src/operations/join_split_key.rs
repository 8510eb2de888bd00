//! Join Split Key: rebuilds a key from the Split Key objects named (see
//! [`super::create_split_key`]) and stores it as a new Symmetric Key or Secret Data. The parts
//! must be of one split (the same parts, threshold, method and length, distinct Key Part
//! Identifiers); with the XOR method all of them are needed. Joining reads each part's key
//! material as Get would, so a part that may not leave (not Extractable, Sensitive) may not be
//! joined either.

use super::Context;
use crate::error::KmipError;
use crate::objects::keys::{key_bits, key_block, secret_bytes, secret_data_value, symmetric_value};
use crate::objects::object::{ManagedObject, SecretTtlv};
use ekms_kmip::enums::{KeyFormatType, ObjectType, ResultReason, SecretDataType, SplitKeyMethod};
use ekms_kmip::operations::UniqueIdentifier;
use ekms_kmip::operations::join_split_key::Request;
use ekms_kmip::{Tag, Ttlv};
use zeroize::Zeroizing;

fn bad(msg: impl Into<String>) -> KmipError {
    KmipError::new(ResultReason::InvalidField, msg)
}

/// What a part states of its split: parts, threshold, method; and its Key Part Identifier.
fn part_fields(obj: &ManagedObject) -> Result<([i32; 2], u32, i32), KmipError> {
    if obj.object_type != ObjectType::SplitKey {
        return Err(KmipError::new(
            ResultReason::InvalidObjectType,
            format!(
                "object {} is a {}, not a Split Key",
                obj.uid,
                obj.object_type.name()
            ),
        ));
    }
    let value = obj.value()?;
    let int = |tag: Tag| {
        value
            .child(tag)
            .and_then(Ttlv::as_i32)
            .ok_or_else(|| bad(format!("split key {} has no {tag}", obj.uid)))
    };
    let method = value
        .child(Tag::SPLIT_KEY_METHOD)
        .and_then(Ttlv::as_enum)
        .ok_or_else(|| bad(format!("split key {} has no SplitKeyMethod", obj.uid)))?;
    Ok((
        [int(Tag::SPLIT_KEY_PARTS)?, int(Tag::SPLIT_KEY_THRESHOLD)?],
        method,
        int(Tag::KEY_PART_IDENTIFIER)?,
    ))
}

/// The key the parts rebuild (XOR of all the parts), after checking they are one whole split.
pub fn xor_join(parts: &[ManagedObject]) -> Result<Zeroizing<Vec<u8>>, KmipError> {
    let first = parts
        .first()
        .ok_or_else(|| KmipError::missing("UniqueIdentifier"))?;
    let (split, method, _) = part_fields(first)?;
    if method != SplitKeyMethod::Xor.as_u32() {
        let name = SplitKeyMethod::from_u32(method).map_or("this method", |m| m.name());
        return Err(KmipError::new(
            ResultReason::FeatureNotSupported,
            format!("{name}: {}", super::create_split_key::POLYNOMIAL_REFUSED),
        ));
    }
    let mut ids = Vec::with_capacity(parts.len());
    let mut key: Option<Zeroizing<Vec<u8>>> = None;
    for part in parts {
        let (s, m, id) = part_fields(part)?;
        if s != split || m != method {
            return Err(bad(format!(
                "split key {} is not of the same split as {}",
                part.uid, first.uid
            )));
        }
        drop(super::get::export_value(part, None, None, None)?);
        if ids.contains(&id) {
            return Err(bad(format!("key part {id} is given twice")));
        }
        ids.push(id);
        let bytes = secret_bytes(part)?;
        match key.as_mut() {
            None => key = Some(bytes),
            Some(k) if k.len() == bytes.len() => {
                for (a, b) in k.iter_mut().zip(bytes.iter()) {
                    *a ^= b;
                }
            }
            Some(_) => {
                return Err(bad(format!(
                    "split key {} is not as long as the other parts",
                    part.uid
                )));
            }
        }
    }
    let [total, _] = split;
    if i32::try_from(ids.len()).ok() != Some(total) {
        return Err(bad(format!(
            "the XOR method needs all {total} parts of the split, {} given",
            ids.len()
        )));
    }
    key.ok_or_else(|| KmipError::missing("UniqueIdentifier"))
}

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<UniqueIdentifier, KmipError> {
    let parts = ctx.read(|tx| {
        req.uids
            .iter()
            .map(|uid| ManagedObject::load(tx, uid))
            .collect::<Result<Vec<_>, _>>()
    })?;
    let key = xor_join(&parts)?;
    let first = parts
        .first()
        .ok_or_else(|| KmipError::missing("UniqueIdentifier"))?;
    let algorithm = req
        .attributes
        .cryptographic_algorithm
        .or(first.attributes.cryptographic_algorithm)
        .or_else(|| {
            let value = first.value().ok()?;
            let block = key_block(&value)?;
            crate::objects::keys::block_info(block).ok()?.algorithm
        });
    let (value, length, format) = match req.object_type {
        ObjectType::SymmetricKey => {
            let algorithm = algorithm.ok_or_else(|| {
                KmipError::missing("CryptographicAlgorithm (the parts state none)")
            })?;
            (
                symmetric_value(&key, algorithm),
                key_bits(algorithm, key.len()),
                KeyFormatType::Raw,
            )
        }
        ObjectType::SecretData => {
            let t = req
                .secret_data_type
                .unwrap_or(SecretDataType::Seed.as_u32());
            (
                secret_data_value(&key, t),
                i32::try_from(key.len() * 8).ok(),
                KeyFormatType::Opaque,
            )
        }
        other => {
            return Err(KmipError::new(
                ResultReason::InvalidObjectType,
                format!(
                    "ekms joins split keys into symmetric keys and secret data, not {}",
                    other.name()
                ),
            ));
        }
    };
    let implied = super::create::Implied {
        algorithm: match req.object_type {
            ObjectType::SymmetricKey => algorithm,
            _ => None,
        },
        length,
        format,
    };
    // The key was generated once, when it was split; joining makes no new bytes.
    let uid = super::create::store(
        ctx,
        req.object_type,
        req.attributes,
        implied,
        &SecretTtlv(value),
        false,
    )?;
    Ok(UniqueIdentifier { uid })
}
