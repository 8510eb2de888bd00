//! SetAttribute (KMIP 2.x): sets a single-valued attribute, replacing its value if it has one.

use super::Context;
use super::add_attribute::load_for_edit;
use crate::error::KmipError;
use crate::objects::attrs;
use crate::objects::now;
use ekms_kmip::attributes::is_multi_valued;
use ekms_kmip::enums::ResultReason;
use ekms_kmip::operations::set_attribute::{Request, Response};

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let now = now();
    let item = &req.attribute.item;
    if is_multi_valued(item.tag) {
        return Err(KmipError::new(
            ResultReason::MultiValuedAttribute,
            format!(
                "{} is multi-valued: use AddAttribute or ModifyAttribute",
                item.tag.name().unwrap_or("the attribute")
            ),
        ));
    }
    ctx.transact(|tx| {
        let mut obj = load_for_edit(tx, &req.uid, now)?;
        attrs::check_client_write(item.tag, obj.state(now))?;
        attrs::check_protection(&obj.attributes, item.tag, Some(item))?;
        obj.attributes
            .set(item)
            .map_err(|e| KmipError::new(ResultReason::InvalidAttributeValue, e.to_string()))?;
        obj.save(tx, now)
    })?;
    Ok(Response { uid: req.uid })
}
