//! Locate: the uids of the group's objects matching the given attributes, newest first.

use super::object::ManagedObject;
use super::{Context, now, response};
use crate::error::KmipError;
use ekms_kmip::enums::State;
use ekms_kmip::{Attributes, Tag, Ttlv};
use ekms_store::LocateQuery;

pub struct Request {
    pub filter: Attributes,
    pub offset: usize,
    pub max: Option<usize>,
}

fn non_negative(payload: &Ttlv, tag: Tag, name: &str) -> Result<Option<usize>, KmipError> {
    match payload.child(tag) {
        None => Ok(None),
        Some(t) => t
            .as_i32()
            .and_then(|v| usize::try_from(v).ok())
            .map(Some)
            .ok_or_else(|| KmipError::invalid(format!("{name} must be a non-negative Integer"))),
    }
}

pub fn parse(payload: &Ttlv) -> Result<Request, KmipError> {
    let filter = match payload.child(Tag::ATTRIBUTES) {
        Some(a) => Attributes::from_ttlv(a),
        None => {
            // KMIP 1.x sends the filters as bare Attribute structures.
            let list: Vec<Ttlv> = payload.children(Tag::ATTRIBUTE).cloned().collect();
            Attributes::from_template_attribute(&Ttlv::structure(Tag::TEMPLATE_ATTRIBUTE, list))
        }
    }
    .map_err(|e| KmipError::invalid(format!("bad Locate attributes: {e}")))?;
    Ok(Request {
        filter,
        offset: non_negative(payload, Tag::OFFSET_ITEMS, "OffsetItems")?.unwrap_or(0),
        max: non_negative(payload, Tag::MAXIMUM_ITEMS, "MaximumItems")?,
    })
}

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Ttlv, KmipError> {
    let now = now();
    let f = &req.filter;
    let query = LocateQuery {
        object_type: f.object_type.map(|t| t.as_u32()),
        algorithm: f.cryptographic_algorithm.map(|a| a.as_u32()),
        name: f.names.first().map(|n| n.value.clone()),
        ..Default::default()
    };
    let wanted_state: Option<State> = f.state;
    let uids = ctx.transact(|tx| {
        let candidates = tx.locate(&query)?;
        let Some(state) = wanted_state else {
            return Ok(candidates);
        };
        // The state is filtered on the effective state, so that time-driven transitions
        // (an ActivationDate that has passed) count.
        let mut out = Vec::new();
        for uid in candidates {
            if ManagedObject::load(tx, &uid)?.state(now) == state {
                out.push(uid);
            }
        }
        Ok(out)
    })?;
    let total = uids.len();
    let page: Vec<Ttlv> = uids
        .into_iter()
        .skip(req.offset)
        .take(req.max.unwrap_or(usize::MAX))
        .map(|u| Ttlv::text(Tag::UNIQUE_IDENTIFIER, u))
        .collect();
    let mut items = vec![Ttlv::integer(
        Tag::LOCATED_ITEMS,
        i32::try_from(total).unwrap_or(i32::MAX),
    )];
    items.extend(page);
    Ok(response(items))
}
