//! GetAttributes: the object's attributes, all of them or those named by AttributeReference
//! (2.x, a tag) or AttributeName (1.x, the text name).

use super::object::ManagedObject;
use super::{Context, now, required_uid, response};
use crate::error::KmipError;
use ekms_kmip::{Tag, Ttlv};

pub struct Request {
    pub uid: String,
    /// Tags of the attributes asked for; empty means all.
    pub wanted: Vec<Tag>,
}

pub fn parse(payload: &Ttlv) -> Result<Request, KmipError> {
    let mut wanted = Vec::new();
    for r in payload.children(Tag::ATTRIBUTE_REFERENCE) {
        let tag = match (r.as_enum(), r.as_text()) {
            (Some(v), _) => Some(Tag(v)),
            (None, Some(name)) => Tag::from_name(name),
            _ => None,
        };
        wanted.push(
            tag.ok_or_else(|| KmipError::invalid("AttributeReference names no known attribute"))?,
        );
    }
    for n in payload.children(Tag::ATTRIBUTE_NAME) {
        let name = n
            .as_text()
            .ok_or_else(|| KmipError::invalid("AttributeName must be a TextString"))?;
        let tag = Tag::from_name(&name.replace(' ', ""))
            .ok_or_else(|| KmipError::invalid(format!("unknown attribute name {name:?}")))?;
        wanted.push(tag);
    }
    Ok(Request {
        uid: required_uid(payload)?,
        wanted,
    })
}

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Ttlv, KmipError> {
    let mut obj = ctx.transact(|tx| ManagedObject::load(tx, &req.uid))?;
    obj.settle_state(now());
    let mut all = obj.attributes.to_ttlv();
    if !req.wanted.is_empty()
        && let Some(items) = all.items_mut()
    {
        items.retain(|a| req.wanted.contains(&a.tag));
    }
    Ok(response(vec![
        Ttlv::text(Tag::UNIQUE_IDENTIFIER, obj.uid.clone()),
        all,
    ]))
}
