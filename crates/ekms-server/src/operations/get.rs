//! Get: the object with its key material, as Raw or TransparentSymmetricKey.

use super::object::ManagedObject;
use super::{Context, required_uid, response};
use crate::error::KmipError;
use ekms_kmip::enums::{KeyFormatType, ObjectType, ResultReason};
use ekms_kmip::{Tag, Ttlv};

pub struct Request {
    pub uid: String,
    pub format: Option<KeyFormatType>,
}

pub fn parse(payload: &Ttlv) -> Result<Request, KmipError> {
    let format = match payload.child(Tag::KEY_FORMAT_TYPE) {
        None => None,
        Some(t) => Some(
            t.as_enum()
                .and_then(KeyFormatType::from_u32)
                .ok_or_else(|| KmipError::invalid("KeyFormatType must be a known enumeration"))?,
        ),
    };
    if payload.child(Tag::KEY_WRAPPING_SPECIFICATION).is_some() {
        return Err(KmipError::new(
            ResultReason::FeatureNotSupported,
            "key wrapping on Get is not supported yet",
        ));
    }
    Ok(Request {
        uid: required_uid(payload)?,
        format,
    })
}

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Ttlv, KmipError> {
    let obj = ctx.transact(|tx| ManagedObject::load(tx, &req.uid))?;
    if obj.object_type != ObjectType::SymmetricKey {
        return Err(KmipError::new(
            ResultReason::FeatureNotSupported,
            format!(
                "Get of {} objects is not supported yet",
                obj.object_type.name()
            ),
        ));
    }
    let material = obj.key_material()?;
    let format = req.format.unwrap_or(KeyFormatType::Raw);
    let key_material = match format {
        KeyFormatType::Raw => Ttlv::bytes(Tag::KEY_MATERIAL, material.to_vec()),
        KeyFormatType::TransparentSymmetricKey => Ttlv::structure(
            Tag::KEY_MATERIAL,
            vec![Ttlv::bytes(Tag::KEY, material.to_vec())],
        ),
        other => {
            return Err(KmipError::new(
                ResultReason::KeyFormatTypeNotSupported,
                format!(
                    "a symmetric key is served as Raw or TransparentSymmetricKey, not {}",
                    other.name()
                ),
            ));
        }
    };
    let mut block = vec![
        Ttlv::enumeration(Tag::KEY_FORMAT_TYPE, format.as_u32()),
        Ttlv::structure(Tag::KEY_VALUE, vec![key_material]),
    ];
    if let Some(alg) = obj.attributes.cryptographic_algorithm {
        block.push(Ttlv::enumeration(
            Tag::CRYPTOGRAPHIC_ALGORITHM,
            alg.as_u32(),
        ));
    }
    if let Some(len) = obj.attributes.cryptographic_length {
        block.push(Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, len));
    }
    Ok(response(vec![
        Ttlv::enumeration(Tag::OBJECT_TYPE, obj.object_type.as_u32()),
        Ttlv::text(Tag::UNIQUE_IDENTIFIER, obj.uid.clone()),
        Ttlv::structure(
            Tag::SYMMETRIC_KEY,
            vec![Ttlv::structure(Tag::KEY_BLOCK, block)],
        ),
    ]))
}
