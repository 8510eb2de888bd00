//! DeleteAttribute: removes attribute instances. KMIP 1.x names one by `AttributeName` and
//! `AttributeIndex` (default 0) and is answered with the deleted instance; KMIP 2.x sends the
//! `CurrentAttribute` to delete, or an `AttributeReference` to delete every instance.

use super::Context;
use super::add_attribute::load_for_edit;
use crate::error::KmipError;
use crate::objects::attrs::{self, Wanted};
use crate::objects::now;
use ekms_kmip::enums::ResultReason;
use ekms_kmip::operations::delete_attribute::{Request, Response, Target};
use ekms_kmip::{Tag, Ttlv, Value};

/// An item that stands for the attribute `w` names, for instance matching.
fn probe(w: &Wanted) -> Ttlv {
    match w {
        Wanted::Tag(t) => Ttlv::new(*t, Value::Structure(Vec::new())),
        Wanted::Vendor(vendor, name) => Ttlv::structure(
            Tag::ATTRIBUTE,
            vec![
                Ttlv::text(Tag::VENDOR_IDENTIFICATION, vendor.clone()),
                Ttlv::text(Tag::ATTRIBUTE_NAME, name.clone()),
            ],
        ),
    }
}

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let now = now();
    let not_found = |what: &str| {
        KmipError::new(
            ResultReason::AttributeNotFound,
            format!("object {} has no {what}", req.uid),
        )
    };
    let deleted = ctx.transact(|tx| {
        let mut obj = load_for_edit(tx, &req.uid, now)?;
        let state = obj.state(now);
        let deleted = match &req.target {
            Target::Indexed(w, index) => {
                let w = &Wanted::from(w.clone());
                attrs::check_client_write(w.tag(), state)?;
                attrs::check_protection(&obj.attributes, w.tag(), None)?;
                let like = probe(w);
                let old = attrs::edit_instance(&mut obj.attributes, &like, *index, None)?
                    .ok_or_else(|| not_found(&format!("such attribute at index {index}")))?;
                Some((old, i32::try_from(*index).unwrap_or(i32::MAX)))
            }
            Target::Instance(c) => {
                attrs::check_client_write(c.item.tag, state)?;
                attrs::check_protection(&obj.attributes, c.item.tag, None)?;
                let index = attrs::index_of(&obj.attributes, &c.item).ok_or_else(|| {
                    KmipError::new(
                        ResultReason::AttributeInstanceNotFound,
                        format!("object {} has no such {} instance", req.uid, c.item.tag),
                    )
                })?;
                let slot = usize::try_from(index).unwrap_or(usize::MAX);
                attrs::edit_instance(&mut obj.attributes, &c.item, slot, None)?
                    .map(|old| (old, index))
            }
            Target::All(w) => {
                let w = &Wanted::from(w.clone());
                attrs::check_client_write(w.tag(), state)?;
                attrs::check_protection(&obj.attributes, w.tag(), None)?;
                let like = probe(w);
                let mut first = None;
                while let Some(old) = attrs::edit_instance(&mut obj.attributes, &like, 0, None)? {
                    first.get_or_insert((old, 0));
                }
                if first.is_none() {
                    return Err(not_found("such attribute"));
                }
                first
            }
        };
        obj.save(tx, now)?;
        Ok(deleted)
    })?;
    Ok(Response {
        attribute: deleted.and_then(|(old, index)| attrs::v1_answer(ctx, &old, index)),
        uid: req.uid,
    })
}
