//! AddAttribute: a new instance of a multi-valued attribute, or the value of a single-valued
//! attribute the object does not have yet. KMIP 2.x sends `NewAttribute`, 1.x an `Attribute`;
//! a 1.x client is answered with the added attribute and its index. A Name the object already
//! has is refused (Non Unique Name Attribute).

use super::Context;
use crate::error::KmipError;
use crate::objects::{attrs, now, object::ManagedObject};
use ekms_kmip::attributes::is_multi_valued;
use ekms_kmip::enums::ResultReason;
use ekms_kmip::operations::add_attribute::{Request, Response};
use ekms_kmip::{Tag, Ttlv};

/// Loads `uid` for an attribute edit: it must not be destroyed.
pub fn load_for_edit(
    tx: &mut dyn ekms_store::StoreTx,
    uid: &str,
    now: i64,
) -> Result<ManagedObject, KmipError> {
    let mut obj = ManagedObject::load(tx, uid)?;
    if obj.is_destroyed() {
        return Err(KmipError::wrong_state(format!(
            "object {uid} is destroyed: its attributes can no longer change"
        )));
    }
    obj.settle_state(now);
    Ok(obj)
}

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let now = now();
    let item = &req.attribute.item;
    let index = ctx.transact(|tx| {
        let mut obj = load_for_edit(tx, &req.uid, now)?;
        attrs::check_client_write(item.tag, obj.state(now))?;
        attrs::check_protection(&obj.attributes, item.tag, Some(item))?;
        if !is_multi_valued(item.tag) && !obj.attributes.get(item.tag).is_empty() {
            return Err(KmipError::new(
                ResultReason::AttributeSingleValued,
                format!(
                    "{} is single-valued and already set: use ModifyAttribute",
                    item.tag.name().unwrap_or("the attribute")
                ),
            ));
        }
        // KMIP: a Name the object already has is Non Unique Name Attribute, not a second
        // instance of it.
        if let Some(value) = item.child(Tag::NAME_VALUE).and_then(Ttlv::as_text)
            && item.tag == Tag::NAME
            && obj.attributes.names.iter().any(|n| n.value == value)
        {
            return Err(KmipError::new(
                ResultReason::NonUniqueNameAttribute,
                format!("object {} already has the name {value}", req.uid),
            ));
        }
        obj.attributes
            .add(item)
            .map_err(|e| KmipError::new(ResultReason::InvalidAttributeValue, e.to_string()))?;
        let index = attrs::instances(&obj.attributes, item)
            .len()
            .saturating_sub(1);
        obj.save(tx, now)?;
        Ok(i32::try_from(index).unwrap_or(i32::MAX))
    })?;
    Ok(Response {
        attribute: attrs::v1_answer(ctx, item, index),
        uid: req.uid,
    })
}
