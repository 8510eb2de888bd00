//! Check: whether the object may be used as the request describes: it must exist, be Active,
//! and have every bit of the requested Cryptographic Usage Mask. ekms sets no usage limits
//! and no leases, so Usage Limits Count and Lease Time always pass. On success the Unique
//! Identifier is answered; a denial is a failure naming what was refused.

use super::{Context, required_uid, response};
use crate::error::KmipError;
use crate::objects::now;
use crate::objects::object::ManagedObject;
use ekms_kmip::enums::{ResultReason, State};
use ekms_kmip::{Tag, Ttlv};

pub struct Request {
    pub uid: String,
    pub mask: Option<u32>,
}

pub fn parse(payload: &Ttlv) -> Result<Request, KmipError> {
    let mask = match payload.child(Tag::CRYPTOGRAPHIC_USAGE_MASK) {
        None => None,
        Some(m) => Some(
            m.as_i32()
                .ok_or_else(|| KmipError::invalid("CryptographicUsageMask must be an Integer"))?
                as u32,
        ),
    };
    if let Some(c) = payload.child(Tag::USAGE_LIMITS_COUNT)
        && c.as_i64().is_none_or(|c| c < 0)
    {
        return Err(KmipError::invalid(
            "UsageLimitsCount must be a non-negative LongInteger",
        ));
    }
    Ok(Request {
        uid: required_uid(payload)?,
        mask,
    })
}

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Ttlv, KmipError> {
    let now = now();
    let obj = ctx.transact(|tx| ManagedObject::load(tx, &req.uid))?;
    if obj.is_destroyed() {
        return Err(obj.destroyed_error());
    }
    let state = obj.state(now);
    if state != State::Active {
        return Err(KmipError::wrong_state(format!(
            "object {} is {}: only an Active object may be used",
            obj.uid,
            state.name()
        )));
    }
    if let Some(m) = req.mask {
        let have = obj.attributes.cryptographic_usage_mask.unwrap_or(0);
        if have & m != m {
            return Err(KmipError::new(
                ResultReason::IncompatibleCryptographicUsageMask,
                format!(
                    "the usage mask of {} (0x{have:08X}) lacks bits 0x{:08X} of the requested mask",
                    obj.uid,
                    m & !have
                ),
            ));
        }
    }
    Ok(response(vec![Ttlv::text(
        Tag::UNIQUE_IDENTIFIER,
        obj.uid.clone(),
    )]))
}
