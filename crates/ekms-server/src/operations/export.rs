//! Export (KMIP 1.4+): like Get, the object's value (in a requested format, optionally
//! wrapped), together with its attributes, so that Import can restore it elsewhere.

use super::Context;
use super::get::load_value;
use crate::error::KmipError;
use crate::objects::attrs;
use crate::objects::now;
use ekms_kmip::Tag;
use ekms_kmip::operations::export::{Request, Response};

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let (mut obj, mut value) = load_value(ctx, req.0)?;
    obj.settle_state(now());
    let attributes = if attrs::is_v1(ctx) {
        vec![
            obj.attributes
                .to_template_attribute(Tag::TEMPLATE_ATTRIBUTE),
        ]
    } else {
        attrs::answer(ctx, &obj.attributes, None)
    };
    Ok(Response {
        object_type: obj.object_type,
        uid: obj.uid,
        attributes,
        value: value.take(),
    })
}
