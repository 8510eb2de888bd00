//! ModifyAttribute: replaces one existing instance of an attribute. KMIP 1.x names it with the
//! `Attribute`'s name and index (default 0) and is answered with the new instance; KMIP 2.x
//! sends `NewAttribute` and optionally the `CurrentAttribute` to replace (else the first
//! instance).

use super::add_attribute::load_for_edit;
use super::{Context, required_uid, response};
use crate::error::KmipError;
use crate::objects::attrs::{self, OneAttribute};
use crate::objects::now;
use ekms_kmip::enums::ResultReason;
use ekms_kmip::{Tag, Ttlv};

pub struct Request {
    pub uid: String,
    pub current: Option<OneAttribute>,
    pub new: OneAttribute,
}

pub fn parse(payload: &Ttlv) -> Result<Request, KmipError> {
    let current = payload
        .child(Tag::CURRENT_ATTRIBUTE)
        .map(attrs::parse_v2_wrapper)
        .transpose()?;
    let new = attrs::new_attribute(payload)?;
    if let Some(c) = &current
        && !attrs::same_attribute(&c.item, &new.item)
    {
        return Err(KmipError::new(
            ResultReason::InvalidField,
            "CurrentAttribute and NewAttribute must be the same attribute",
        ));
    }
    Ok(Request {
        uid: required_uid(payload)?,
        current,
        new,
    })
}

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Ttlv, KmipError> {
    let now = now();
    let new = &req.new.item;
    let index = ctx.transact(|tx| {
        let mut obj = load_for_edit(tx, &req.uid, now)?;
        attrs::check_client_write(new.tag, obj.state(now))?;
        attrs::check_protection(&obj.attributes, new.tag, Some(new))?;
        let index = match &req.current {
            Some(c) => attrs::index_of(&obj.attributes, &c.item).ok_or_else(|| {
                KmipError::new(
                    ResultReason::AttributeInstanceNotFound,
                    format!("object {} has no such {} instance", req.uid, new.tag),
                )
            })?,
            None => req.new.index.unwrap_or(0),
        };
        let slot = usize::try_from(index).map_err(|_| {
            KmipError::new(ResultReason::IndexOutOfBounds, "negative AttributeIndex")
        })?;
        let old = attrs::edit_instance(&mut obj.attributes, new, slot, Some(new))?;
        if old.is_none() {
            return Err(KmipError::new(
                ResultReason::AttributeNotFound,
                format!(
                    "object {} has no {} at index {index}",
                    req.uid,
                    new.tag.name().unwrap_or("such attribute")
                ),
            ));
        }
        obj.save(tx, now)?;
        Ok(index)
    })?;
    let mut items = vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, req.uid)];
    if attrs::is_v1(ctx) {
        items.push(attrs::item_for(
            ctx,
            new,
            attrs::answer_index(new, Some(index)),
        ));
    }
    Ok(response(items))
}
