//! Activate: PreActive to Active, stamping ActivationDate.

use super::Context;
use crate::error::KmipError;
use crate::objects::now;
use crate::objects::object::ManagedObject;
use ekms_kmip::enums::State;
use ekms_kmip::operations::activate::{Request, Response};

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
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
    Ok(Response { uid: req.uid })
}
