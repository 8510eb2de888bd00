//! Export (KMIP 1.4+): like Get, the object's value (in a requested format, optionally
//! wrapped), together with its attributes, so that Import can restore it elsewhere.

use super::get::{self, export_value};
use super::{Context, response};
use crate::error::KmipError;
use crate::objects::attrs;
use crate::objects::now;
use crate::objects::object::ManagedObject;
use ekms_kmip::{Tag, Ttlv};

pub use super::get::Request;

pub fn parse(payload: &Ttlv) -> Result<Request, KmipError> {
    get::parse(payload)
}

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Ttlv, KmipError> {
    let (mut obj, wrapping_key) = ctx.transact(|tx| {
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
    obj.settle_state(now());
    let wrapping = match (&req.wrapping, &wrapping_key) {
        (Some(spec), Some(key)) => Some((spec, key)),
        _ => None,
    };
    let value = export_value(&obj, req.format, req.wrap_type, wrapping)?;
    let mut items = vec![
        Ttlv::enumeration(Tag::OBJECT_TYPE, obj.object_type.as_u32()),
        Ttlv::text(Tag::UNIQUE_IDENTIFIER, obj.uid.clone()),
    ];
    if attrs::is_v1(ctx) {
        items.push(
            obj.attributes
                .to_template_attribute(Tag::TEMPLATE_ATTRIBUTE),
        );
    } else {
        items.extend(attrs::answer(ctx, &obj.attributes, None));
    }
    items.push(value.0.clone());
    Ok(response(items))
}
