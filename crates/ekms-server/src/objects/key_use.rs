//! What the cryptographic operations (Encrypt, Decrypt, MAC, MACVerify, Sign, SignatureVerify) ask
//! of the key they use, checked in one place: [`KeyUse`] (the object types, states, usage-mask bit
//! and Protect Stop / Process Start Date an operation respects), the symmetric key and cipher of
//! Encrypt and Decrypt, and the HMAC and key of MAC and MACVerify, the Usage Limits a protecting
//! use or an allocation spends ([`charge_usage`], [`spend_usage`]), and the answers those
//! operations share (the data answer, the Validity Indicator answer).

use super::cipher::{self, SymCipher, check_type, check_usable, crypto_failure};
use super::keys::{not_a, secret_bytes};
use super::object::ManagedObject;
use super::{asym, now};
use crate::error::KmipError;
use crate::operations::Context;
use ekms_crypto::mac::MacAlgorithm;
use ekms_kmip::CryptographicParameters;
use ekms_kmip::enums::{
    CryptographicAlgorithm, ObjectType, ResultReason, State, ValidityIndicator,
};
use zeroize::Zeroizing;

/// What one operation asks of its key: each operation declares one as a constant.
pub struct KeyUse {
    /// The operation's KMIP name, as the type error names it ("Encrypt").
    pub operation: &'static str,
    /// The object types it takes.
    pub types: &'static [ObjectType],
    /// What it does, as the state and usage errors say it ("encrypt", "verify MACs").
    pub verb: &'static str,
    /// The Cryptographic Usage Mask bit the key must have.
    pub mask: u32,
    /// Whether it applies protection or processes protected data: which states the key may be
    /// in ([`Direction::states`]) and which of the Protect Stop and Process Start Dates bounds it.
    pub direction: Direction,
}

/// What a cryptographic operation does with its key, in KMIP's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Applies protection (Encrypt, Sign, MAC): not after the key's Protect Stop Date.
    Protect,
    /// Processes protected data (Decrypt, SignatureVerify, MACVerify): not before the key's
    /// Process Start Date.
    Process,
}

impl Direction {
    /// The states a key may be in for this direction: protection only with an Active key; a
    /// Deactivated key still processes what it protected (KMIP's Deactivated state).
    pub fn states(self) -> &'static [State] {
        match self {
            Direction::Protect => &[State::Active],
            Direction::Process => &[State::Active, State::Deactivated],
        }
    }
}

impl KeyUse {
    /// Checks `obj` at `now`: its type, then (not destroyed) its state and its usage mask.
    pub fn check(&self, obj: &ManagedObject, now: i64) -> Result<(), KmipError> {
        check_type(obj, self.types, self.operation)?;
        check_usable(obj, now, self.verb, self.direction.states(), self.mask)?;
        let a = &obj.attributes;
        let outside = match self.direction {
            Direction::Protect => a
                .protect_stop_date
                .filter(|d| *d <= now)
                .map(|_| "is past its Protect Stop Date"),
            Direction::Process => a
                .process_start_date
                .filter(|d| *d > now)
                .map(|_| "is before its Process Start Date"),
        };
        match outside {
            Some(when) => Err(KmipError::wrong_state(format!(
                "object {} {when}: it may not {} now",
                obj.uid, self.verb
            ))),
            None => Ok(()),
        }
    }

    /// Loads object `uid` and checks it (see [`KeyUse::check`]); with the parameters that
    /// apply: the request's, else the key's own.
    pub fn load(
        &self,
        ctx: &Context<'_>,
        uid: &str,
        params: Option<CryptographicParameters>,
    ) -> Result<(ManagedObject, Option<CryptographicParameters>), KmipError> {
        let obj = ctx.transact(|tx| ManagedObject::load(tx, uid))?;
        self.check(&obj, now())?;
        let params = cipher::effective_parameters(&obj, params);
        Ok((obj, params))
    }
}

/// Charges one protecting use of `obj` (Encrypt, Sign, MAC) over `bytes` of data to its Usage
/// Limits, when it has them: `bytes` for the unit Byte, 1 for Object. The Usage Limits Count
/// (the Total until the first use) is read and lowered in one transaction, before the data is
/// protected, so concurrent requests cannot overspend it; a use it cannot cover is refused with
/// Permission Denied, as the block-cipher cases answer, and spends nothing.
pub fn charge_usage(ctx: &Context<'_>, obj: &ManagedObject, bytes: usize) -> Result<(), KmipError> {
    if obj
        .attributes
        .verbatim(ekms_kmip::Tag::USAGE_LIMITS)
        .next()
        .is_none()
    {
        return Ok(());
    }
    spend_usage(ctx, obj, |per_object| {
        if per_object {
            1
        } else {
            i64::try_from(bytes).unwrap_or(i64::MAX)
        }
    })
}

/// Lowers `obj`'s Usage Limits Count by `cost(unit is Object)` units, in one transaction;
/// refuses with Permission Denied, spending nothing, when fewer are left. An object without
/// Usage Limits has none left.
pub fn spend_usage(
    ctx: &Context<'_>,
    obj: &ManagedObject,
    cost: impl Fn(bool) -> i64,
) -> Result<(), KmipError> {
    use ekms_kmip::{Tag, Ttlv, Value};
    ctx.bookkeeping(|tx| {
        let mut fresh = ManagedObject::load(tx, &obj.uid)?;
        let Some(limits) = fresh.attributes.verbatim(Tag::USAGE_LIMITS).next().cloned() else {
            return Err(KmipError::new(
                ResultReason::IllegalOperation,
                format!("object {} has no Usage Limits to spend", obj.uid),
            ));
        };
        let long = |tag| match limits.child(tag).map(|t| &t.value) {
            Some(Value::LongInteger(n)) => Some(*n),
            _ => None,
        };
        let per_object = limits.child(Tag::USAGE_LIMITS_UNIT).and_then(Ttlv::as_enum)
            == Some(ekms_kmip::enums::UsageLimitsUnit::Object as u32);
        let cost = cost(per_object);
        let left = long(Tag::USAGE_LIMITS_COUNT)
            .or_else(|| long(Tag::USAGE_LIMITS_TOTAL))
            .unwrap_or(0);
        if cost > left {
            return Err(KmipError::new(
                ResultReason::PermissionDenied,
                format!(
                    "object {}'s Usage Limits allow {left} more {}, this use needs {cost}",
                    obj.uid,
                    if per_object { "uses" } else { "bytes" }
                ),
            ));
        }
        // KMIP's field order: Total, Count, Unit.
        let mut fields: Vec<Ttlv> = limits
            .items()
            .iter()
            .filter(|t| t.tag != Tag::USAGE_LIMITS_COUNT)
            .cloned()
            .collect();
        let at = fields
            .iter()
            .position(|t| t.tag == Tag::USAGE_LIMITS_UNIT)
            .unwrap_or(fields.len());
        fields.insert(at, Ttlv::long(Tag::USAGE_LIMITS_COUNT, left - cost));
        fresh
            .attributes
            .set(&Ttlv::structure(Tag::USAGE_LIMITS, fields))
            .map_err(|e| KmipError::internal(format!("Usage Limits: {e}")))?;
        fresh.save(tx, now())
    })
}

/// The key bytes of a symmetric `obj` and the cipher `params` choose for it.
pub fn symmetric(
    obj: &ManagedObject,
    params: Option<&CryptographicParameters>,
) -> Result<(Zeroizing<Vec<u8>>, SymCipher), KmipError> {
    let key = secret_bytes(obj)?;
    let cipher = cipher::choose(obj, key.len(), params)?;
    Ok((key, cipher))
}

fn hmac_of(alg: CryptographicAlgorithm) -> Option<MacAlgorithm> {
    Some(match alg {
        CryptographicAlgorithm::HmacSha1 => MacAlgorithm::HmacSha1,
        CryptographicAlgorithm::HmacSha224 => MacAlgorithm::HmacSha224,
        CryptographicAlgorithm::HmacSha256 => MacAlgorithm::HmacSha256,
        CryptographicAlgorithm::HmacSha384 => MacAlgorithm::HmacSha384,
        CryptographicAlgorithm::HmacSha512 => MacAlgorithm::HmacSha512,
        _ => return None,
    })
}

/// The HMAC for `obj` under `params`, and the key bytes.
pub fn mac_key(
    obj: &ManagedObject,
    params: Option<&CryptographicParameters>,
) -> Result<(MacAlgorithm, Zeroizing<Vec<u8>>), KmipError> {
    if obj.object_type != ObjectType::SymmetricKey {
        return Err(not_a(obj, "a MAC key"));
    }
    let alg = match params.and_then(|p| p.cryptographic_algorithm).and_then(hmac_of) {
        Some(a) => a,
        None => match params.and_then(|p| p.hashing_algorithm) {
            Some(h) => MacAlgorithm::hmac(asym::hash_of(h)?).map_err(crypto_failure)?,
            None => obj
                .attributes
                .cryptographic_algorithm
                .and_then(hmac_of)
                .ok_or_else(|| {
                    KmipError::new(
                        ResultReason::BadCryptographicParameters,
                        format!(
                            "object {} is not an HMAC key: name the HMAC algorithm or hash in the CryptographicParameters",
                            obj.uid
                        ),
                    )
                })?,
        },
    };
    Ok((alg, secret_bytes(obj)?))
}

/// Loads the key of a MAC or MACVerify request and checks it for `key_use`; the HMAC its
/// parameters (the request's, else the key's) choose, and the key bytes.
pub fn load_mac_key(
    ctx: &Context<'_>,
    uid: &str,
    params: Option<CryptographicParameters>,
    key_use: &KeyUse,
) -> Result<(MacAlgorithm, Zeroizing<Vec<u8>>), KmipError> {
    let (obj, params) = key_use.load(ctx, uid, params)?;
    mac_key(&obj, params.as_ref())
}

/// The refusal of an IV given to a mode that takes none.
pub fn iv_not_taken(given: &[u8]) -> KmipError {
    KmipError::new(
        ResultReason::BadCryptographicParameters,
        format!(
            "this mode takes no IV, but {} bytes were given",
            given.len()
        ),
    )
}

/// The refusal of an object of another type than an operation's `takes` (its type check lets
/// through only the types the operation handles, so this answers what no check foresaw).
pub fn not_taken(obj: &ManagedObject, operation: &str, takes: &str) -> KmipError {
    KmipError::new(
        ResultReason::IllegalObjectType,
        format!(
            "object {} is a {}: {operation} uses {takes}",
            obj.uid,
            obj.object_type.name()
        ),
    )
}

/// The Validity Indicator of a verification (a check that fails is a success that says
/// Invalid).
pub fn validity(valid: bool) -> ValidityIndicator {
    if valid {
        ValidityIndicator::Valid
    } else {
        ValidityIndicator::Invalid
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ekms_kmip::enums::usage_mask;

    const SYMMETRIC_ACTIVE: KeyUse = KeyUse {
        operation: "Test",
        types: &[ObjectType::SymmetricKey],
        verb: "test",
        mask: usage_mask::ENCRYPT,
        direction: Direction::Protect,
    };

    #[test]
    fn validity_says_valid_or_invalid() {
        assert_eq!(validity(true), ValidityIndicator::Valid);
        assert_eq!(validity(false), ValidityIndicator::Invalid);
    }

    #[test]
    fn iv_not_taken_counts_the_bytes() {
        let e = iv_not_taken(&[0; 12]);
        assert_eq!(e.reason, ResultReason::BadCryptographicParameters);
        assert!(e.message.contains("12 bytes"), "{}", e.message);
    }

    fn object(object_type: ObjectType, state: State, mask: u32) -> ManagedObject {
        use ekms_kmip::{Tag, Ttlv};
        let attributes = ekms_kmip::Attributes {
            state: Some(state),
            cryptographic_usage_mask: Some(mask),
            ..Default::default()
        };
        let value = Ttlv::structure(Tag::KEY_BLOCK, vec![]);
        ManagedObject::new("u1".into(), object_type, "alice", attributes, &value, 0).unwrap()
    }

    #[test]
    fn check_refuses_the_type_then_the_state_then_the_mask() {
        let ok = object(ObjectType::SymmetricKey, State::Active, usage_mask::ENCRYPT);
        SYMMETRIC_ACTIVE.check(&ok, 0).unwrap();
        let wrong_type = object(ObjectType::PublicKey, State::Active, usage_mask::ENCRYPT);
        let e = SYMMETRIC_ACTIVE.check(&wrong_type, 0).unwrap_err();
        assert_eq!(e.reason, ResultReason::IllegalObjectType);
        assert!(
            e.message.contains("Test takes a SymmetricKey"),
            "{}",
            e.message
        );
        let wrong_state = object(
            ObjectType::SymmetricKey,
            State::PreActive,
            usage_mask::ENCRYPT,
        );
        assert_eq!(
            SYMMETRIC_ACTIVE.check(&wrong_state, 0).unwrap_err().reason,
            ResultReason::WrongKeyLifecycleState
        );
        let wrong_mask = object(ObjectType::SymmetricKey, State::Active, usage_mask::DECRYPT);
        assert_eq!(
            SYMMETRIC_ACTIVE.check(&wrong_mask, 0).unwrap_err().reason,
            ResultReason::IncompatibleCryptographicUsageMask
        );
    }
}
