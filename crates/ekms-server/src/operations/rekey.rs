//! ReKey: a new symmetric key replacing an existing one: same algorithm and length, fresh
//! material, a new Unique Identifier, the client attributes of the old key (names, groups,
//! usage mask, parameters, application information, …) plus those of the request. The keys
//! are linked (Replacement Object Link on the old, Replaced Object Link on the new).
//!
//! Dates: with an Offset, the new key's Activation Date is now + Offset (and its Deactivation
//! Date keeps the old key's activation-to-deactivation span); without one, the new key is
//! Active at once if the old one was, else PreActive. The old key is left as it is; the
//! client revokes it when it wants.

use super::Context;
use super::create::{generate, key_len};
use crate::error::KmipError;
use crate::objects::attrs;
use crate::objects::keys::symmetric_value;
use crate::objects::object::{ManagedObject, SecretTtlv};
use crate::objects::{insert_new, now};
use ekms_kmip::enums::{KeyFormatType, LinkType, ObjectType, ResultReason, State};
use ekms_kmip::operations::rekey::{Request, Response};
use ekms_kmip::{Attributes, Link};

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let now = now();
    let new_uid = crate::objects::new_uid(&req.attributes);
    ctx.transact(|tx| {
        let mut old = ManagedObject::load(tx, &req.uid)?;
        if old.object_type != ObjectType::SymmetricKey {
            return Err(KmipError::new(
                ResultReason::IllegalObjectType,
                format!(
                    "object {} is a {}: ReKey replaces symmetric keys",
                    old.uid,
                    old.object_type.name()
                ),
            ));
        }
        let state = replaceable(&old, now)?;
        let algorithm = old
            .attributes
            .cryptographic_algorithm
            .ok_or_else(|| KmipError::missing("CryptographicAlgorithm of the old key"))?;
        let len = key_len(algorithm, old.attributes.cryptographic_length)?;
        let material = generate(algorithm, len)?;
        let value = SecretTtlv(symmetric_value(&material, algorithm));

        let mut a = attrs::merge(&carried(&old.attributes), &req.attributes)?;
        attrs::drop_server_only(&mut a);
        attrs::init_new_object(&mut a, &new_uid, ObjectType::SymmetricKey, now);
        attrs::mark_generated(&mut a);
        a.cryptographic_algorithm = Some(algorithm);
        a.cryptographic_length = i32::try_from(len * 8).ok();
        a.key_format_type = Some(KeyFormatType::Raw);
        if let Some((activation, deactivation)) =
            replacement_dates(&old.attributes, state, req.offset, now)
        {
            // An Offset decides; without one, a date the request gives wins.
            if req.offset.is_some() {
                a.activation_date = Some(activation);
            } else {
                a.activation_date.get_or_insert(activation);
            }
            if deactivation.is_some() {
                a.deactivation_date = deactivation;
            }
        }
        a.links.push(Link {
            link_type: LinkType::ReplacedObjectLink,
            linked_object_identifier: old.uid.clone(),
        });
        let mut new = ManagedObject::new(
            new_uid.clone(),
            ObjectType::SymmetricKey,
            ctx.user,
            a,
            &value,
            now,
        )?;
        new.settle_state(now);
        insert_new(tx, &new)?;
        old.attributes
            .links
            .retain(|l| l.link_type != LinkType::ReplacementObjectLink);
        old.attributes.links.push(Link {
            link_type: LinkType::ReplacementObjectLink,
            linked_object_identifier: new_uid.clone(),
        });
        old.save(tx, now)
    })?;
    Ok(Response { uid: new_uid })
}

/// The state of `old` if a re-key may replace it (ReKey's key, Re-key Key Pair's private
/// key): neither destroyed nor Compromised.
pub(super) fn replaceable(old: &ManagedObject, now: i64) -> Result<State, KmipError> {
    if old.is_destroyed() {
        return Err(old.destroyed_error());
    }
    let state = old.state(now);
    if state == State::Compromised {
        return Err(KmipError::wrong_state(format!(
            "object {} is Compromised and cannot be re-keyed",
            old.uid
        )));
    }
    Ok(state)
}

/// The Activation and Deactivation Dates of a key replacing `old` (in `state`): with an
/// Offset, activation at now + Offset and the old key's activation-to-deactivation span kept;
/// without one, activation now if the old key is Active, else none (the new key stays
/// PreActive).
pub(super) fn replacement_dates(
    old: &Attributes,
    state: State,
    offset: Option<u32>,
    now: i64,
) -> Option<(i64, Option<i64>)> {
    let Some(offset) = offset else {
        return (state == State::Active).then_some((now, None));
    };
    let start = now.saturating_add(i64::from(offset));
    let span = old
        .activation_date
        .zip(old.deactivation_date)
        .map(|(act, deact)| start.saturating_add(deact - act));
    Some((start, span))
}

/// The client attributes of an old key, for its replacement: no identity, links, dates or
/// Fresh (the new key is fresh).
pub(super) fn carried(old: &Attributes) -> Attributes {
    let mut a = old.clone();
    a.unique_identifier = None;
    a.links.clear();
    a.activation_date = None;
    a.deactivation_date = None;
    a.process_start_date = None;
    a.protect_stop_date = None;
    a.original_creation_date = None;
    a.fresh = None;
    a
}
