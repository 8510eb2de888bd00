//! ModifyAttribute: replaces one existing instance of an attribute. KMIP 1.x names it with the
//! `Attribute`'s name and index (default 0) and is answered with the new instance; KMIP 2.x
//! sends `NewAttribute` and optionally the `CurrentAttribute` to replace (else the first
//! instance).

use super::Context;
use super::add_attribute::load_for_edit;
use crate::error::KmipError;
use crate::objects::attrs;
use crate::objects::now;
use ekms_kmip::enums::ResultReason;
use ekms_kmip::operations::modify_attribute::{Request, Response};

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
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
    Ok(Response {
        attribute: attrs::v1_answer(ctx, new, index),
        uid: req.uid,
    })
}
