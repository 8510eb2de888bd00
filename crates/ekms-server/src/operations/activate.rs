//! Activate: PreActive to Active, stamping ActivationDate.

use super::{Context, required_uid, response};
use crate::error::KmipError;
use crate::objects::now;
use crate::objects::object::ManagedObject;
use ekms_kmip::enums::State;
use ekms_kmip::{Tag, Ttlv};

pub struct Request {
    pub uid: String,
}

pub fn parse(payload: &Ttlv) -> Result<Request, KmipError> {
    Ok(Request {
        uid: required_uid(payload)?,
    })
}

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Ttlv, KmipError> {
    let now = now();
    ctx.transact(|tx| {
        let mut obj = ManagedObject::load(tx, &req.uid)?;
        let state = obj.state(now);
        if state != State::PreActive {
            return Err(KmipError::wrong_state(format!(
                "object {} is {} and only a PreActive object can be activated",
                req.uid,
                state.name()
            )));
        }
        obj.attributes.state = Some(State::Active);
        obj.attributes.activation_date = Some(now);
        obj.save(tx, now)
    })?;
    Ok(response(vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, req.uid)]))
}
