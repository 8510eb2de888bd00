//! Get: the object's value. Keys come as stored (or in [`formats::served_format`] when it
//! says otherwise) unless the request names another Key Format Type (converted by
//! [`crate::objects::formats`]) or a Key Wrapping Specification (wrapped by
//! [`crate::objects::wrap`]). Certificates, secret data, split keys and opaque objects come as
//! registered. A Sensitive object (of any type: a public key too, when its client marked it
//! so) is served only wrapped, a non-Extractable key never. Serving an
//! object makes its Fresh attribute false.

use super::Context;
use crate::error::KmipError;
use crate::objects::formats;
use crate::objects::object::{ManagedObject, SecretTtlv};
use crate::objects::wrap::{self, WrappingSpec};
use ekms_kmip::Tag;
use ekms_kmip::enums::{KeyFormatType, KeyWrapType, ObjectType, ResultReason};
use ekms_kmip::operations::get::{Request, Response};

/// True for objects whose value carries key material subject to Extractable.
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
    if is_key(obj.object_type) && obj.attributes.extractable == Some(false) {
        return Err(KmipError::new(
            ResultReason::NotExtractable,
            format!("object {} is not extractable", obj.uid),
        ));
    }
    // Sensitive binds every object a client marked so, a public key included: KMIP says the
    // server SHALL NOT serve a Sensitive object's value unwrapped, whatever its type.
    if obj.attributes.sensitive == Some(true) && wrapping.is_none() {
        return Err(KmipError::new(
            ResultReason::Sensitive,
            format!(
                "object {} is sensitive: it can only be served wrapped",
                obj.uid
            ),
        ));
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
    req: Request,
) -> Result<(ManagedObject, SecretTtlv), KmipError> {
    let spec = req
        .wrapping
        .map(|w| WrappingSpec::new(w).for_version(ctx.version));
    let (obj, wrapping_key) = ctx.transact(|tx| {
        let obj = ManagedObject::load(tx, &req.uid)?;
        let key = match &spec {
            Some(spec) => Some(spec.load_key(tx)?),
            None => None,
        };
        Ok((obj, key))
    })?;
    if obj.is_destroyed() {
        return Err(obj.destroyed_error());
    }
    let wrapping = match (&spec, &wrapping_key) {
        (Some(spec), Some(key)) => Some((spec, key)),
        _ => None,
    };
    let format = req
        .format
        .or_else(|| formats::served_format(&obj.attributes, ctx.version));
    let value = export_value(&obj, format, req.wrap_type, wrapping)?;
    if obj.attributes.fresh == Some(true) {
        // KMIP's Fresh: the object has now been served to a client.
        ctx.bookkeeping(|tx| {
            let mut served = ManagedObject::load(tx, &obj.uid)?;
            served.attributes.fresh = Some(false);
            served.save(tx, crate::objects::now())
        })?;
    }
    Ok((obj, value))
}

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let (obj, mut value) = load_value(ctx, req)?;
    Ok(Response {
        object_type: obj.object_type,
        uid: obj.uid,
        value: value.take(),
    })
}
