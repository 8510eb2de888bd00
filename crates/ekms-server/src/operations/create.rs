//! Create: a new symmetric key (AES 128/192/256, ChaCha20 256) generated inside the server.

use super::object::ManagedObject;
use super::{Context, now, response};
use crate::error::KmipError;
use ekms_kmip::enums::{CryptographicAlgorithm, KeyFormatType, ObjectType, ResultReason, State};
use ekms_kmip::{Attributes, Tag, Ttlv};

pub struct Request {
    pub object_type: ObjectType,
    pub attributes: Attributes,
}

/// Reads the object type and the attributes, KMIP 2.x `Attributes` or 1.x `TemplateAttribute`.
pub fn parse(payload: &Ttlv) -> Result<Request, KmipError> {
    let object_type = payload
        .child(Tag::OBJECT_TYPE)
        .ok_or_else(|| KmipError::missing("ObjectType"))?
        .as_enum()
        .and_then(ObjectType::from_u32)
        .ok_or_else(|| KmipError::invalid("ObjectType must be a known enumeration"))?;
    let attributes = if let Some(a) = payload.child(Tag::ATTRIBUTES) {
        Attributes::from_ttlv(a)
    } else if let Some(t) = payload.child(Tag::TEMPLATE_ATTRIBUTE) {
        Attributes::from_template_attribute(t)
    } else {
        return Err(KmipError::missing("Attributes"));
    }
    .map_err(|e| KmipError::new(ResultReason::InvalidField, format!("bad attributes: {e}")))?;
    Ok(Request {
        object_type,
        attributes,
    })
}

/// The key length in bytes for an algorithm and a requested length in bits.
fn key_len(alg: CryptographicAlgorithm, bits: Option<i32>) -> Result<usize, KmipError> {
    let bad = |msg: String| KmipError::new(ResultReason::InvalidField, msg);
    match alg {
        CryptographicAlgorithm::Aes => match bits.unwrap_or(256) {
            b @ (128 | 192 | 256) => Ok(b as usize / 8),
            b => Err(bad(format!("AES keys are 128, 192 or 256 bits, not {b}"))),
        },
        CryptographicAlgorithm::ChaCha20 | CryptographicAlgorithm::ChaCha20Poly1305 => {
            match bits.unwrap_or(256) {
                256 => Ok(32),
                b => Err(bad(format!("ChaCha20 keys are 256 bits, not {b}"))),
            }
        }
        other => Err(KmipError::new(
            ResultReason::FeatureNotSupported,
            format!(
                "Create does not make {} keys; supported: AES, ChaCha20",
                other.name()
            ),
        )),
    }
}

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Ttlv, KmipError> {
    if req.object_type != ObjectType::SymmetricKey {
        return Err(KmipError::new(
            ResultReason::InvalidObjectType,
            format!(
                "Create makes symmetric keys; {} is not supported here",
                req.object_type.name()
            ),
        ));
    }
    let mut attributes = req.attributes;
    let algorithm = attributes
        .cryptographic_algorithm
        .ok_or_else(|| KmipError::missing("CryptographicAlgorithm"))?;
    let len = key_len(algorithm, attributes.cryptographic_length)?;
    let material = ekms_crypto::rand::secret(len)
        .map_err(|e| KmipError::new(ResultReason::CryptographicFailure, e.to_string()))?;

    let now = now();
    let uid = attributes
        .unique_identifier
        .clone()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    attributes.unique_identifier = Some(uid.clone());
    attributes.object_type = Some(ObjectType::SymmetricKey);
    attributes.cryptographic_length = Some((len * 8) as i32);
    attributes.key_format_type = Some(KeyFormatType::Raw);
    attributes.initial_date = Some(now);
    attributes.original_creation_date = Some(now);
    attributes.last_change_date = Some(now);
    // Only the server sets lifecycle fields; a client-provided State is ignored.
    attributes.state = Some(State::PreActive);
    for d in [
        &mut attributes.destroy_date,
        &mut attributes.compromise_date,
        &mut attributes.compromise_occurrence_date,
    ] {
        *d = None;
    }
    let mut object = ManagedObject {
        uid: uid.clone(),
        object_type: ObjectType::SymmetricKey,
        owner: ctx.user.to_string(),
        attributes,
        material: Some(material),
        created_at: now,
    };
    object.settle_state(now);
    ctx.transact(|tx| {
        if tx.get(&uid)?.is_some() {
            return Err(KmipError::new(
                ResultReason::ObjectAlreadyExists,
                format!("an object {uid} exists already"),
            ));
        }
        object.insert(tx)
    })?;
    Ok(response(vec![
        Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SymmetricKey.as_u32()),
        Ttlv::text(Tag::UNIQUE_IDENTIFIER, uid),
    ]))
}
