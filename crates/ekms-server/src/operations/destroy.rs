//! Destroy: the key material is erased; the object stays, Destroyed, with its attributes.
//! An Active object must be revoked first, as KMIP requires.

use super::Context;
use crate::error::KmipError;
use crate::objects::object::change_state_cascading;
use ekms_kmip::enums::State;
use ekms_kmip::operations::destroy::{Request, Response};

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let cascade = req.cascade.unwrap_or(false);
    let uid = change_state_cascading(ctx, req.uid, cascade, |obj, now| {
        let next = match obj.state(now) {
            State::PreActive | State::Deactivated => State::Destroyed,
            State::Compromised => State::DestroyedCompromised,
            State::Active => {
                return Err(KmipError::wrong_state(format!(
                    "object {} is Active: revoke it before destroying it",
                    obj.uid
                )));
            }
            s @ (State::Destroyed | State::DestroyedCompromised) => {
                return Err(KmipError::wrong_state(format!(
                    "object {} is {} already",
                    obj.uid,
                    s.name()
                )));
            }
        };
        obj.attributes.state = Some(next);
        obj.attributes.destroy_date = Some(now);
        // Dropping the Zeroizing buffer wipes the bytes in memory; the row's material column
        // is set to NULL and secure_delete overwrites the freed page.
        obj.material = None;
        Ok(())
    })?;
    Ok(Response { uid })
}
