//! Locate: the uids of the group's objects matching every given attribute, newest first,
//! after OffsetItems, at most MaximumItems and at most `--max-locate-items` (a larger or
//! absent MaximumItems is lowered to it).
//!
//! Filters come as a 2.x `Attributes` structure or as 1.x `Attribute`s, at most
//! [`ekms_kmip::operations::locate::MAX_FILTERS`]. How an attribute matches:
//! - a date attribute given once matches that exact date; given twice, any date between the
//!   two (inclusive);
//! - Cryptographic Usage Mask: the object's mask has every bit of the filter;
//! - State: the effective state (time-driven transitions applied);
//! - Unique Identifier: that object;
//! - a multi-valued attribute (Name, Object Group, Link, Application Specific Information,
//!   vendor attributes, …): one of the object's instances equals the filter;
//! - any other attribute: the object's value equals the filter.
//!
//! Destroyed objects are left out unless the filter asks for a destroyed State or the 2.x
//! Storage Status Mask includes destroyed storage. LocatedItems (the number of matches before
//! paging) is answered from KMIP 1.3 on.

use super::Context;
use crate::error::KmipError;
use crate::objects::attrs;
use crate::objects::now;
use crate::objects::object::ManagedObject;
use ekms_kmip::attributes::is_multi_valued;
use ekms_kmip::enums::{ObjectType, ResultReason, State, storage_status_mask};
use ekms_kmip::operations::locate::{Request, Response};
use ekms_kmip::{FromTtlv, Name, ProtocolVersion, Tag, Ttlv};
use ekms_store::LocateQuery;

/// Maximum Items or Offset Items as a count (the request type refused a negative one).
fn count(items: Option<i32>) -> Option<usize> {
    items.and_then(|n| usize::try_from(n).ok())
}

fn is_date(tag: Tag) -> bool {
    matches!(
        tag,
        Tag::INITIAL_DATE
            | Tag::ACTIVATION_DATE
            | Tag::DEACTIVATION_DATE
            | Tag::DESTROY_DATE
            | Tag::COMPROMISE_DATE
            | Tag::COMPROMISE_OCCURRENCE_DATE
            | Tag::ARCHIVE_DATE
            | Tag::LAST_CHANGE_DATE
            | Tag::ORIGINAL_CREATION_DATE
            | Tag::PROCESS_START_DATE
            | Tag::PROTECT_STOP_DATE
    )
}

/// One compiled filter.
enum Filter {
    Uid(String),
    State(State),
    Mask(u32),
    DateRange(Tag, i64, i64),
    Name(Name),
    /// Any instance of the attribute equals this item.
    Equal(Ttlv),
}

fn compile(items: &[Ttlv]) -> Result<Vec<Filter>, KmipError> {
    let mut out = Vec::new();
    let mut dates: Vec<(Tag, Vec<i64>)> = Vec::new();
    for f in items {
        let bad = |what: &str| {
            KmipError::new(
                ResultReason::InvalidField,
                format!("Locate filter {}: {what}", f.tag),
            )
        };
        match f.tag {
            Tag::UNIQUE_IDENTIFIER => {
                out.push(Filter::Uid(
                    f.as_text()
                        .ok_or_else(|| bad("not a TextString"))?
                        .to_string(),
                ));
            }
            Tag::STATE => out.push(Filter::State(
                f.as_enum()
                    .and_then(State::from_u32)
                    .ok_or_else(|| bad("not a State"))?,
            )),
            Tag::CRYPTOGRAPHIC_USAGE_MASK => out.push(Filter::Mask(
                f.as_i32().ok_or_else(|| bad("not an Integer"))? as u32,
            )),
            Tag::NAME => out.push(Filter::Name(
                Name::from_ttlv(f.clone()).map_err(|e| bad(&e.to_string()))?,
            )),
            t if is_date(t) => {
                let d = f.as_datetime().ok_or_else(|| bad("not a DateTime"))?;
                match dates.iter_mut().find(|(tag, _)| *tag == t) {
                    Some((_, v)) => v.push(d),
                    None => dates.push((t, vec![d])),
                }
            }
            _ => out.push(Filter::Equal(f.clone())),
        }
    }
    for (tag, values) in dates {
        match values.as_slice() {
            [d] => out.push(Filter::DateRange(tag, *d, *d)),
            [a, b] => out.push(Filter::DateRange(tag, (*a).min(*b), (*a).max(*b))),
            _ => {
                return Err(KmipError::new(
                    ResultReason::InvalidField,
                    format!(
                        "{} may be given once (an exact date) or twice (a range), not {} times",
                        tag.name().unwrap_or("a date"),
                        values.len()
                    ),
                ));
            }
        }
    }
    Ok(out)
}

fn matches(obj: &ManagedObject, filters: &[Filter], now: i64) -> bool {
    filters.iter().all(|f| match f {
        Filter::Uid(u) => *u == obj.uid,
        Filter::State(s) => obj.state(now) == *s,
        Filter::Mask(m) => obj
            .attributes
            .cryptographic_usage_mask
            .is_some_and(|have| have & m == *m),
        Filter::DateRange(tag, lo, hi) => obj
            .attributes
            .get(*tag)
            .iter()
            .filter_map(Ttlv::as_datetime)
            .any(|d| *lo <= d && d <= *hi),
        Filter::Name(n) => obj.attributes.names.iter().any(|have| have == n),
        Filter::Equal(item) => {
            let have = obj.attributes.get(item.tag);
            if is_multi_valued(item.tag) || item.tag == Tag::ATTRIBUTE {
                have.iter().any(|h| h == item)
            } else {
                have.first() == Some(item)
            }
        }
    })
}

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let now = now();
    let filters = compile(&req.filters)?;
    // Coarse filters the store can apply on its columns; the rest is checked here.
    let mut query = LocateQuery::default();
    for f in &req.filters {
        match f.tag {
            Tag::OBJECT_TYPE => {
                query.object_type = f.as_enum().filter(|v| ObjectType::from_u32(*v).is_some())
            }
            Tag::CRYPTOGRAPHIC_ALGORITHM => query.algorithm = f.as_enum(),
            _ => {}
        }
    }
    // A Name filter selects by the names table, so a Locate by name reads only the objects
    // that bear the name, not the whole group (its Name Type is still checked here).
    query.name = filters.iter().find_map(|f| match f {
        Filter::Name(n) => Some(n.value.clone()),
        _ => None,
    });
    let wants_destroyed = filters.iter().any(|f| {
        matches!(
            f,
            Filter::State(State::Destroyed | State::DestroyedCompromised)
        )
    }) || req
        .storage_status_mask
        .is_some_and(|m| m & storage_status_mask::DESTROYED_STORAGE != 0);
    let uids = ctx.transact(|tx| {
        let candidates = tx.locate(&query)?;
        let mut out = Vec::new();
        for uid in candidates {
            let obj = ManagedObject::load(tx, &uid)?;
            if obj.is_destroyed() && !wants_destroyed {
                continue;
            }
            if matches(&obj, &filters, now) {
                out.push(uid);
            }
        }
        Ok(out)
    })?;
    let total = uids.len();
    // The answer is bounded whatever Maximum Items says; Located Items tells the client to page.
    let max = ctx.limits.max_locate_items;
    let uids = uids
        .into_iter()
        .skip(count(req.offset).unwrap_or(0))
        .take(count(req.max).map_or(max, |m| m.min(max)))
        .collect();
    let located_items = (attrs::version(ctx) >= ProtocolVersion::V1_3)
        .then(|| i32::try_from(total).unwrap_or(i32::MAX));
    Ok(Response {
        located_items,
        uids,
    })
}
