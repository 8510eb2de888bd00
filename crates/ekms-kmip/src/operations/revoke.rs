//! Revoke: the object stops being used for protection (Deactivated, or Compromised).

use super::prelude::*;
use super::{Items, UniqueIdentifier};
use crate::codec::datetime;
use crate::enums::RevocationReasonCode;

/// The Revoke request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Unique Identifier.
    pub uid: String,
    /// Revocation Reason Code.
    pub reason: RevocationReasonCode,
    /// Revocation Message (one that is not text is ignored).
    pub message: Option<String>,
    /// Compromise Occurrence Date (one that is not a date is ignored).
    pub compromise_occurrence_date: Option<i64>,
    /// Cosmian's vendor field `Cascade`: the other half of a key pair is revoked too (one that
    /// is not a Boolean is ignored).
    pub cascade: Option<bool>,
}

impl FromTtlv for Request {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        let mut f = Fields::payload(t)?;
        let mut reason = Fields::payload(f.required(Tag::REVOCATION_REASON)?)?;
        let code =
            reason.required_enum(Tag::REVOCATION_REASON_CODE, RevocationReasonCode::from_u32)?;
        let message = reason
            .optional::<String>(Tag::REVOCATION_MESSAGE)
            .ok()
            .flatten();
        Ok(Request {
            uid: f.required(Tag::UNIQUE_IDENTIFIER)?,
            reason: code,
            message,
            compromise_occurrence_date: f
                .optional_with(Tag::COMPROMISE_OCCURRENCE_DATE, datetime)
                .ok()
                .flatten(),
            cascade: f.optional(Tag::COSMIAN_CASCADE).ok().flatten(),
        })
    }
}

impl ToTtlv for Request {
    fn to_ttlv(self) -> Ttlv {
        let mut reason = vec![Ttlv::enumeration(
            Tag::REVOCATION_REASON_CODE,
            self.reason.as_u32(),
        )];
        self.message.push_into(Tag::REVOCATION_MESSAGE, &mut reason);
        let mut v = vec![
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, self.uid),
            Ttlv::structure(Tag::REVOCATION_REASON, reason),
        ];
        if let Some(d) = self.compromise_occurrence_date {
            v.push(Ttlv::datetime(Tag::COMPROMISE_OCCURRENCE_DATE, d));
        }
        if let Some(c) = self.cascade {
            v.push(Ttlv::boolean(Tag::COSMIAN_CASCADE, c));
        }
        request(v)
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::Revoke;
    type Response = Response;
}

/// The response: the object's Unique Identifier.
pub type Response = UniqueIdentifier;
