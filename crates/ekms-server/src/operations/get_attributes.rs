//! GetAttributes: the object's attributes, all of them or those named by AttributeReference
//! (2.x) or AttributeName (1.x), answered in the client's version (see [`crate::objects::attrs`]).

use super::{Context, required_uid, response};
use crate::error::KmipError;
use crate::objects::attrs::{self, Wanted};
use crate::objects::object::load_settled;
use ekms_kmip::{Tag, Ttlv};

pub struct Request {
    pub uid: String,
    /// The attributes asked for; empty means all.
    pub wanted: Vec<Wanted>,
}

pub fn parse(payload: &Ttlv) -> Result<Request, KmipError> {
    Ok(Request {
        uid: required_uid(payload)?,
        wanted: Wanted::all_in(payload)?,
    })
}

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Ttlv, KmipError> {
    let obj = load_settled(ctx, &req.uid)?;
    let wanted = (!req.wanted.is_empty()).then_some(req.wanted.as_slice());
    let mut items = vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, obj.uid.clone())];
    items.extend(attrs::answer(ctx, &obj.attributes, wanted));
    Ok(response(items))
}
