//! Revoke: an Active object becomes Deactivated; with reason KeyCompromise or CACompromise
//! any live object becomes Compromised, and a Destroyed one Destroyed Compromised (KMIP's
//! lifecycle). Reporting the compromise of a Compromised object again is accepted and keeps
//! the first compromise dates.

use super::Context;
use crate::error::KmipError;
use crate::objects::now;
use crate::objects::object::ManagedObject;
use ekms_kmip::enums::{RevocationReasonCode, State};
use ekms_kmip::operations::revoke::{Request, Response};

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let now = now();
    let compromise = matches!(
        req.reason,
        RevocationReasonCode::KeyCompromise | RevocationReasonCode::CaCompromise
    );
    ctx.transact(|tx| {
        let mut obj = ManagedObject::load(tx, &req.uid)?;
        let state = obj.state(now);
        match (state, compromise) {
            (
                State::PreActive | State::Active | State::Deactivated | State::Compromised,
                true,
            ) => {
                obj.attributes.state = Some(State::Compromised);
                // A second compromise report keeps the first dates.
                obj.attributes.compromise_date.get_or_insert(now);
                obj.attributes
                    .compromise_occurrence_date
                    .get_or_insert(req.compromise_occurrence_date.unwrap_or(now));
            }
            (State::Destroyed, true) => {
                // KMIP: a destroyed object found to have been compromised.
                obj.attributes.state = Some(State::DestroyedCompromised);
                obj.attributes.compromise_date.get_or_insert(now);
                obj.attributes
                    .compromise_occurrence_date
                    .get_or_insert(req.compromise_occurrence_date.unwrap_or(now));
            }
            (State::Active, false) => {
                obj.attributes.state = Some(State::Deactivated);
                obj.attributes.deactivation_date = Some(now);
            }
            (s, _) => {
                return Err(KmipError::wrong_state(format!(
                    "object {} is {}: only an Active object can be revoked for a reason other than a compromise",
                    req.uid,
                    s.name()
                )));
            }
        }
        obj.attributes.revocation_reason = Some(ekms_kmip::attributes::RevocationReason {
            code: req.reason,
            message: req.message.clone(),
        });
        obj.save(tx, now)
    })?;
    Ok(Response { uid: req.uid })
}
