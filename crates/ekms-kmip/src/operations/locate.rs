//! Locate: the identifiers of the objects matching every given attribute.

use super::prelude::*;
use crate::attributes::{v1_to_v2, v2_to_v1};
use crate::enums::ResultReason;

/// Most filter attributes of one Locate the server reads: each is compared with every object
/// of the group.
pub const MAX_FILTERS: usize = 64;

/// The Locate request.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// Maximum Items (never negative once read: a negative one is refused, as the client
    /// may send one).
    pub max: Option<i32>,
    /// Offset Items (never negative once read).
    pub offset: Option<i32>,
    /// Storage Status Mask.
    pub storage_status_mask: Option<u32>,
    /// The filter attributes, as 2.x items in the normalized form the object's attributes are
    /// answered in.
    pub filters: Vec<Ttlv>,
    /// The filters were read from, and are written as, 1.x `Attribute`s (else a 2.x
    /// `Attributes` structure, written even empty; a request without filters reads as 2.x).
    pub v1: bool,
}

/// A non-negative Integer field.
fn non_negative(f: &mut Fields, tag: Tag, name: &str) -> Result<Option<i32>, Error> {
    match f.take(tag)? {
        None => Ok(None),
        Some(t) => t.as_i32().filter(|v| *v >= 0).map(Some).ok_or_else(|| {
            Error::refused(
                ResultReason::InvalidMessage,
                format!("{name} must be a non-negative Integer"),
            )
        }),
    }
}

impl FromTtlv for Request {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        let mut f = Fields::payload(t)?;
        let mut filters = f
            .take(Tag::ATTRIBUTES)?
            .map(Ttlv::into_items)
            .unwrap_or_default();
        let v1_filters = f.all_with(Tag::ATTRIBUTE, |a| {
            v1_to_v2(a).map(|(item, _)| item).map_err(|e| {
                Error::refused(
                    ResultReason::InvalidField,
                    format!("bad Locate attribute: {e}"),
                )
            })
        })?;
        let v1 = filters.is_empty() && !v1_filters.is_empty();
        filters.extend(v1_filters);
        if filters.len() > MAX_FILTERS {
            return Err(Error::refused(
                ResultReason::ServerLimitExceeded,
                format!(
                    "Locate has {} filter attributes, more than the {MAX_FILTERS} this server compares",
                    filters.len()
                ),
            ));
        }
        // Every filter must be a well-formed attribute value; it is compared in the normalized
        // form the object's attributes are answered in.
        for item in filters.iter_mut() {
            let mut probe = Attributes::default();
            probe.add(item).map_err(|e| {
                Error::refused(
                    ResultReason::InvalidField,
                    format!("bad Locate attribute {}: {e}", item.tag),
                )
            })?;
            if let [normalized] = probe.items().as_slice()
                && normalized.tag == item.tag
            {
                *item = normalized.clone();
            }
        }
        let storage_status_mask = match f.take(Tag::STORAGE_STATUS_MASK)? {
            None => None,
            Some(m) => Some(m.as_i32().map(|m| m as u32).ok_or_else(|| {
                Error::refused(
                    ResultReason::InvalidMessage,
                    "StorageStatusMask must be an Integer",
                )
            })?),
        };
        Ok(Request {
            offset: non_negative(&mut f, Tag::OFFSET_ITEMS, "OffsetItems")?,
            max: non_negative(&mut f, Tag::MAXIMUM_ITEMS, "MaximumItems")?,
            storage_status_mask,
            filters,
            v1,
        })
    }
}

impl ToTtlv for Request {
    fn to_ttlv(self) -> Ttlv {
        let mut v = Vec::new();
        if let Some(m) = self.max {
            v.push(Ttlv::integer(Tag::MAXIMUM_ITEMS, m));
        }
        if let Some(o) = self.offset {
            v.push(Ttlv::integer(Tag::OFFSET_ITEMS, o));
        }
        if let Some(m) = self.storage_status_mask {
            v.push(Ttlv::integer(Tag::STORAGE_STATUS_MASK, m as i32));
        }
        if self.v1 {
            v.extend(self.filters.iter().map(|item| v2_to_v1(item, None)));
        } else {
            // KMIP 2.x requires the Attributes structure, even empty.
            v.push(Ttlv::structure(Tag::ATTRIBUTES, self.filters));
        }
        request(v)
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::Locate;
    type Response = Response;
}

/// The Locate response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// Located Items: the number of matches before paging (KMIP 1.3 on).
    pub located_items: Option<i32>,
    /// The identifiers found, in the server's order.
    pub uids: Vec<String>,
}

impl FromTtlv for Response {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        let mut f = Fields::payload(t)?;
        Ok(Response {
            located_items: f.optional(Tag::LOCATED_ITEMS)?,
            uids: f.all(Tag::UNIQUE_IDENTIFIER)?,
        })
    }
}

impl ToTtlv for Response {
    fn to_ttlv(self) -> Ttlv {
        let mut v = Vec::new();
        if let Some(n) = self.located_items {
            v.push(Ttlv::integer(Tag::LOCATED_ITEMS, n));
        }
        v.extend(
            self.uids
                .into_iter()
                .map(|u| Ttlv::text(Tag::UNIQUE_IDENTIFIER, u)),
        );
        response(v)
    }
}
