//! Revoke: an Active object becomes Deactivated; with reason KeyCompromise or CACompromise
//! any live object becomes Compromised, and a Destroyed one Destroyed Compromised (KMIP's
//! lifecycle). Reporting the compromise of a Compromised object again is accepted and keeps
//! the first compromise dates.

use super::Context;
use crate::error::KmipError;
use crate::objects::object::change_state_cascading;
use ekms_kmip::enums::{RevocationReasonCode, State};
use ekms_kmip::operations::revoke::{Request, Response};

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let compromise = matches!(
        req.reason,
        RevocationReasonCode::KeyCompromise | RevocationReasonCode::CaCompromise
    );
    let cascade = req.cascade.unwrap_or(false);
    let uid = change_state_cascading(ctx, req.uid, cascade, |obj, now| {
        let state = obj.state(now);
        match (state, compromise) {
            (
                State::PreActive
                | State::Active
                | State::Deactivated
                | State::Compromised
                | State::Destroyed,
                true,
            ) => {
                // KMIP: a destroyed object found to have been compromised is Destroyed
                // Compromised; any other becomes Compromised.
                obj.attributes.state = Some(if state == State::Destroyed {
                    State::DestroyedCompromised
                } else {
                    State::Compromised
                });
                // A second compromise report keeps the first dates.
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
                    obj.uid,
                    s.name()
                )));
            }
        }
        obj.attributes.revocation_reason = Some(ekms_kmip::attributes::RevocationReason {
            code: req.reason,
            message: req.message.clone(),
        });
        Ok(())
    })?;
    Ok(Response { uid })
}
