//! Get: the object's value. Keys come as stored unless the request names another Key Format
//! Type (converted by [`crate::objects::formats`]) or a Key Wrapping Specification (wrapped by
//! [`crate::objects::wrap`]). Certificates, secret data, split keys and opaque objects come as
//! registered. A Sensitive key is served only wrapped, a non-Extractable one never.

use super::{Context, required_uid, response};
use crate::error::KmipError;
use crate::objects::formats;
use crate::objects::object::{ManagedObject, SecretTtlv};
use crate::objects::wrap::{self, WrappingSpec};
use ekms_kmip::enums::{KeyCompressionType, KeyFormatType, KeyWrapType, ObjectType, ResultReason};
use ekms_kmip::{Tag, Ttlv};

pub struct Request {
    pub uid: String,
    pub format: Option<KeyFormatType>,
    pub wrap_type: Option<KeyWrapType>,
    pub wrapping: Option<WrappingSpec>,
}

/// Reads an optional enumeration field.
pub fn optional_enum<E>(
    payload: &Ttlv,
    tag: Tag,
    from: fn(u32) -> Option<E>,
) -> Result<Option<E>, KmipError> {
    match payload.child(tag) {
        None => Ok(None),
        Some(t) => t.as_enum().and_then(from).map(Some).ok_or_else(|| {
            KmipError::new(
                ResultReason::InvalidField,
                format!(
                    "{} must be a known enumeration",
                    tag.name().unwrap_or("the field")
                ),
            )
        }),
    }
}

pub fn parse(payload: &Ttlv) -> Result<Request, KmipError> {
    let format = optional_enum(payload, Tag::KEY_FORMAT_TYPE, KeyFormatType::from_u32)?;
    if let Some(c) = optional_enum(
        payload,
        Tag::KEY_COMPRESSION_TYPE,
        KeyCompressionType::from_u32,
    )? && c != KeyCompressionType::EcPublicKeyTypeUncompressed
    {
        return Err(KmipError::new(
            ResultReason::KeyCompressionTypeNotSupported,
            format!("ekms serves EC points uncompressed, not {}", c.name()),
        ));
    }
    let wrapping = payload
        .child(Tag::KEY_WRAPPING_SPECIFICATION)
        .map(WrappingSpec::parse)
        .transpose()?;
    Ok(Request {
        uid: required_uid(payload)?,
        format,
        wrap_type: optional_enum(payload, Tag::KEY_WRAP_TYPE, KeyWrapType::from_u32)?,
        wrapping,
    })
}

/// True for objects whose value carries key material subject to Sensitive / Extractable.
fn is_key(t: ObjectType) -> bool {
    matches!(
        t,
        ObjectType::SymmetricKey
            | ObjectType::PrivateKey
            | ObjectType::SplitKey
            | ObjectType::SecretData
    )
}

/// The value of `obj` as a client asked for it (format, wrapping), checking that it may leave.
pub fn export_value(
    obj: &ManagedObject,
    format: Option<KeyFormatType>,
    wrap_type: Option<KeyWrapType>,
    wrapping: Option<(&WrappingSpec, &ManagedObject)>,
) -> Result<SecretTtlv, KmipError> {
    let value = obj.value()?;
    if is_key(obj.object_type) {
        if obj.attributes.extractable == Some(false) {
            return Err(KmipError::new(
                ResultReason::NotExtractable,
                format!("object {} is not extractable", obj.uid),
            ));
        }
        if obj.attributes.sensitive == Some(true) && wrapping.is_none() {
            return Err(KmipError::new(
                ResultReason::Sensitive,
                format!(
                    "object {} is sensitive: it can only be served wrapped",
                    obj.uid
                ),
            ));
        }
    }
    let stored_wrapped = crate::objects::keys::key_block(&value)
        .is_some_and(|b| b.child(Tag::KEY_WRAPPING_DATA).is_some());
    if stored_wrapped && wrap_type == Some(KeyWrapType::NotWrapped) {
        return Err(KmipError::new(
            ResultReason::KeyWrapTypeNotSupported,
            format!(
                "object {} is stored wrapped as registered; ekms cannot unwrap it",
                obj.uid
            ),
        ));
    }
    let value = match format {
        Some(f) => formats::convert(obj, value, f)?,
        None => value,
    };
    match wrapping {
        Some((spec, key)) => wrap::wrap_value(obj, value, spec, key),
        None => Ok(value),
    }
}

/// The object of a Get or Export request (not destroyed) and its value as asked for: loads it
/// and the wrapping key in one transaction, then converts and wraps the value.
pub fn load_value(
    ctx: &Context<'_>,
    req: &Request,
) -> Result<(ManagedObject, SecretTtlv), KmipError> {
    let (obj, wrapping_key) = ctx.transact(|tx| {
        let obj = ManagedObject::load(tx, &req.uid)?;
        let key = match &req.wrapping {
            Some(spec) => Some(spec.load_key(tx)?),
            None => None,
        };
        Ok((obj, key))
    })?;
    if obj.is_destroyed() {
        return Err(obj.destroyed_error());
    }
    let wrapping = match (&req.wrapping, &wrapping_key) {
        (Some(spec), Some(key)) => Some((spec, key)),
        _ => None,
    };
    let value = export_value(&obj, req.format, req.wrap_type, wrapping)?;
    Ok((obj, value))
}

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Ttlv, KmipError> {
    let (obj, value) = load_value(ctx, &req)?;
    Ok(response(vec![
        Ttlv::enumeration(Tag::OBJECT_TYPE, obj.object_type.as_u32()),
        Ttlv::text(Tag::UNIQUE_IDENTIFIER, obj.uid.clone()),
        value.0.clone(),
    ]))
}
