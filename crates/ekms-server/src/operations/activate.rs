//! Activate: PreActive to Active, stamping ActivationDate.

use super::Context;
use crate::error::KmipError;
use crate::objects::object::change_state;
use ekms_kmip::enums::State;
use ekms_kmip::operations::activate::{Request, Response};

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let uid = change_state(ctx, req.uid, |obj, now| {
        let state = obj.state(now);
        if state != State::PreActive {
            return Err(KmipError::wrong_state(format!(
                "object {} is {} and only a PreActive object can be activated",
                obj.uid,
                state.name()
            )));
        }
        obj.attributes.state = Some(State::Active);
        obj.attributes.activation_date = Some(now);
        Ok(())
    })?;
    Ok(Response { uid })
}
