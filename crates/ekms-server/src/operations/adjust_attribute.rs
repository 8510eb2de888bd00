//! Adjust Attribute (KMIP 2.0 and later): increments, decrements or negates the first instance
//! of a numeric attribute (Integer, Long Integer, Big Integer, Interval, Date-Time). The
//! attribute must be one a client may modify, under the rules and the right of Modify
//! Attribute: never one the server manages, and dates only in the states that allow them.
//! Increment and Decrement take an Adjustment Value, a whole number (an Interval, Integer,
//! Long Integer or Big Integer; seconds for a date); Negate takes none and applies to the
//! signed types only. A result out of the attribute type's range is refused, never wrapped.

use super::Context;
use super::add_attribute::load_for_edit;
use crate::error::KmipError;
use crate::objects::attrs::{self, Wanted};
use crate::objects::now;
use ekms_kmip::enums::{AdjustmentType, ResultReason};
use ekms_kmip::operations::adjust_attribute::{Request, Response};
use ekms_kmip::ttlv::Value;
use ekms_kmip::{Tag, Ttlv};
use num_bigint::BigInt;

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let now = now();
    let wanted = Wanted::from(req.reference.clone());
    ctx.transact(|tx| {
        let mut obj = load_for_edit(tx, &req.uid, now)?;
        let Some(current) = obj.attributes.items().into_iter().find(|i| wanted.matches(i)) else {
            return Err(KmipError::new(
                ResultReason::AttributeNotFound,
                format!(
                    "object {} has no {} to adjust: set it first with Set Attribute or Add Attribute",
                    req.uid,
                    wanted.tag().name().unwrap_or("such attribute")
                ),
            ));
        };
        attrs::check_client_write(current.tag, obj.state(now))?;
        let new = adjusted(&current, req.adjustment, req.value.as_ref())?;
        attrs::edit_instance(&mut obj.attributes, &current, 0, Some(&new))?;
        obj.save(tx, now)?;
        Ok(())
    })?;
    Ok(Response { uid: req.uid })
}

/// `item` (a standard attribute, or a vendor `Attribute` holding its value) with its value
/// adjusted.
pub fn adjusted(
    item: &Ttlv,
    adjustment: AdjustmentType,
    value: Option<&Ttlv>,
) -> Result<Ttlv, KmipError> {
    if item.tag != Tag::ATTRIBUTE {
        return adjusted_value(item, adjustment, value);
    }
    let mut out = item.clone();
    let slot = out
        .items_mut()
        .and_then(|items| items.iter_mut().find(|i| i.tag == Tag::ATTRIBUTE_VALUE))
        .ok_or_else(|| {
            KmipError::new(
                ResultReason::InvalidDataType,
                "this custom attribute has no value to adjust",
            )
        })?;
    *slot = adjusted_value(slot, adjustment, value)?;
    Ok(out)
}

fn adjusted_value(
    item: &Ttlv,
    adjustment: AdjustmentType,
    value: Option<&Ttlv>,
) -> Result<Ttlv, KmipError> {
    let name = item.tag.name().unwrap_or("the attribute");
    let current = number(item).ok_or_else(|| {
        KmipError::new(
            ResultReason::InvalidDataType,
            format!(
                "{name} is a {}, not a number: only Integer, Long Integer, Big Integer, Interval and Date-Time attributes can be adjusted",
                item.value.type_name()
            ),
        )
    })?;
    let result = match adjustment {
        AdjustmentType::Negate => {
            if value.is_some() {
                return Err(KmipError::new(
                    ResultReason::InvalidField,
                    "Negate takes no AdjustmentValue",
                ));
            }
            if matches!(
                item.value,
                Value::Interval(_) | Value::DateTime(_) | Value::DateTimeExtended(_)
            ) {
                return Err(KmipError::new(
                    ResultReason::InvalidField,
                    format!(
                        "{name} is a {}, which has no negative: only Integer, Long Integer and Big Integer attributes can be negated",
                        item.value.type_name()
                    ),
                ));
            }
            -current
        }
        AdjustmentType::Increment | AdjustmentType::Decrement => {
            let by = value.ok_or_else(|| {
                KmipError::new(
                    ResultReason::MissingData,
                    format!("{} needs an AdjustmentValue", adjustment.name()),
                )
            })?;
            let mut by = amount(by)?;
            if matches!(item.value, Value::DateTimeExtended(_)) {
                // The amount is in seconds; the value in microseconds.
                by *= 1_000_000;
            }
            if adjustment == AdjustmentType::Increment {
                current + by
            } else {
                current - by
            }
        }
    };
    rebuilt(item, result).ok_or_else(|| {
        KmipError::new(
            ResultReason::NumericRange,
            format!(
                "the adjusted {name} is out of the range of its type ({})",
                item.value.type_name()
            ),
        )
    })
}

/// The value of a numeric item.
fn number(item: &Ttlv) -> Option<BigInt> {
    match &item.value {
        Value::Integer(v) => Some(BigInt::from(*v)),
        Value::LongInteger(v) | Value::DateTime(v) | Value::DateTimeExtended(v) => {
            Some(BigInt::from(*v))
        }
        Value::Interval(v) => Some(BigInt::from(*v)),
        Value::BigInteger(b) => Some(BigInt::from_signed_bytes_be(b)),
        _ => None,
    }
}

/// The Adjustment Value: a whole number, of any integer type or an Interval.
fn amount(value: &Ttlv) -> Result<BigInt, KmipError> {
    match value.value {
        Value::Integer(_) | Value::LongInteger(_) | Value::BigInteger(_) | Value::Interval(_) => {
            number(value).ok_or_else(|| KmipError::missing("AdjustmentValue"))
        }
        _ => Err(KmipError::new(
            ResultReason::InvalidDataType,
            format!(
                "AdjustmentValue is a {}: it must be an Integer, Long Integer, Big Integer or Interval",
                value.value.type_name()
            ),
        )),
    }
}

/// `item` with the value `n`, in its own type, or None when `n` is out of its range.
fn rebuilt(item: &Ttlv, n: BigInt) -> Option<Ttlv> {
    let value = match item.value {
        Value::Integer(_) => Value::Integer(i32::try_from(n).ok()?),
        Value::LongInteger(_) => Value::LongInteger(i64::try_from(n).ok()?),
        Value::DateTime(_) => Value::DateTime(i64::try_from(n).ok()?),
        Value::DateTimeExtended(_) => Value::DateTimeExtended(i64::try_from(n).ok()?),
        Value::Interval(_) => Value::Interval(u32::try_from(n).ok()?),
        Value::BigInteger(_) => Value::BigInteger(n.to_signed_bytes_be()),
        _ => return None,
    };
    Some(Ttlv::new(item.tag, value))
}
