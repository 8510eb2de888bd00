//! Destroy: the key material is erased; the object stays, Destroyed, with its attributes.
//! An Active object must be revoked first, as KMIP requires.

use super::Context;
use crate::error::KmipError;
use crate::objects::now;
use crate::objects::object::ManagedObject;
use ekms_kmip::enums::State;
use ekms_kmip::operations::destroy::{Request, Response};

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let now = now();
    ctx.transact(|tx| {
        let mut obj = ManagedObject::load(tx, &req.uid)?;
        let next = match obj.state(now) {
            State::PreActive | State::Deactivated => State::Destroyed,
            State::Compromised => State::DestroyedCompromised,
            State::Active => {
                return Err(KmipError::wrong_state(format!(
                    "object {} is Active: revoke it before destroying it",
                    req.uid
                )));
            }
            s @ (State::Destroyed | State::DestroyedCompromised) => {
                return Err(KmipError::wrong_state(format!(
                    "object {} is {} already",
                    req.uid,
                    s.name()
                )));
            }
        };
        obj.attributes.state = Some(next);
        obj.attributes.destroy_date = Some(now);
        // Dropping the Zeroizing buffer wipes the bytes in memory; the row's material column
        // is set to NULL and secure_delete overwrites the freed page.
        obj.material = None;
        obj.save(tx, now)
    })?;
    Ok(Response { uid: req.uid })
}
