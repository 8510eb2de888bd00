//! Export (KMIP 1.4+): like Get, the object's value (in a requested format, optionally
//! wrapped), together with its attributes, so that Import can restore it elsewhere.

use super::get::{self, load_value};
use super::{Context, response};
use crate::error::KmipError;
use crate::objects::attrs;
use crate::objects::now;
use ekms_kmip::{Tag, Ttlv};

pub use super::get::Request;

pub fn parse(payload: &Ttlv) -> Result<Request, KmipError> {
    get::parse(payload)
}

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Ttlv, KmipError> {
    let (mut obj, value) = load_value(ctx, &req)?;
    obj.settle_state(now());
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
