//! GetAttributes: the object's attributes, all of them or those named by AttributeReference
//! (2.x) or AttributeName (1.x), answered in the client's version (see [`crate::objects::attrs`]).

use super::Context;
use crate::error::KmipError;
use crate::objects::attrs::{self, Wanted};
use crate::objects::object::load_settled;
use ekms_kmip::operations::get_attributes::{Request, Response};

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let mut wanted = Vec::new();
    for r in &req.references {
        wanted.push(Wanted::from_reference(r)?);
    }
    for n in &req.names {
        wanted.push(Wanted::from_v1_name(n)?);
    }
    let obj = load_settled(ctx, &req.uid)?;
    let wanted = (!wanted.is_empty()).then_some(wanted.as_slice());
    let attributes = attrs::answer(ctx, &obj.attributes, wanted);
    Ok(Response {
        uid: obj.uid,
        attributes,
    })
}
