//! Revoke: an Active object becomes Deactivated; with reason KeyCompromise or CACompromise
//! any live object becomes Compromised, and a Destroyed one Destroyed Compromised (KMIP's
//! lifecycle). Reporting the compromise of a Compromised object again is accepted and keeps
//! the first compromise dates.

use super::{Context, required_uid};
use crate::error::KmipError;
use crate::objects::object::change_state;
use ekms_kmip::enums::{RevocationReasonCode, State};
use ekms_kmip::{Tag, Ttlv};

pub struct Request {
    pub uid: String,
    pub reason: RevocationReasonCode,
    pub message: Option<String>,
    pub compromise_occurrence_date: Option<i64>,
}

pub fn parse(payload: &Ttlv) -> Result<Request, KmipError> {
    let reason = payload
        .child(Tag::REVOCATION_REASON)
        .ok_or_else(|| KmipError::missing("RevocationReason"))?;
    let code = reason
        .child(Tag::REVOCATION_REASON_CODE)
        .ok_or_else(|| KmipError::missing("RevocationReasonCode"))?
        .as_enum()
        .and_then(RevocationReasonCode::from_u32)
        .ok_or_else(|| KmipError::invalid("RevocationReasonCode must be a known enumeration"))?;
    let message = reason
        .child(Tag::REVOCATION_MESSAGE)
        .and_then(Ttlv::as_text)
        .map(str::to_owned);
    Ok(Request {
        uid: required_uid(payload)?,
        reason: code,
        message,
        compromise_occurrence_date: payload
            .child(Tag::COMPROMISE_OCCURRENCE_DATE)
            .and_then(Ttlv::as_datetime),
    })
}

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Ttlv, KmipError> {
    let compromise = matches!(
        req.reason,
        RevocationReasonCode::KeyCompromise | RevocationReasonCode::CaCompromise
    );
    change_state(ctx, req.uid, |obj, now| {
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
    })
}
