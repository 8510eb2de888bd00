//! ReKeyKeyPair: a new asymmetric key pair replacing an existing one, as ReKey replaces a
//! symmetric key: same algorithm, length and curve, fresh material made by Create Key Pair,
//! new Unique Identifiers, the client attributes of the old private and public keys (names,
//! groups, usage masks, parameters, …) plus those of the request. Each new key is linked to
//! the key it replaces (Replaced Object Link) and each old one to its replacement
//! (Replacement Object Link).
//!
//! Dates as ReKey's: with an Offset, the new keys' Activation Date is now + Offset (and their
//! Deactivation Date keeps the old private key's activation-to-deactivation span); without
//! one, they are Active at once if the old private key was, else PreActive. The old keys are
//! left as they are; the client revokes them when it wants.
//!
//! The pair is made by [`super::create_key_pair`] in its own transaction (which carries the
//! audit row), then linked in a second one: under Batch Error Continuation Option Undo both are
//! savepoints of the batch's one transaction; otherwise a failure of the second (the old keys
//! destroyed meanwhile) leaves the new pair unlinked, and the error says so with its
//! identifiers.

use super::Context;
use super::{create_key_pair, rekey};
use crate::error::KmipError;
use crate::objects::attrs;
use crate::objects::now;
use crate::objects::object::ManagedObject;
use ekms_kmip::enums::{LinkType, ObjectType, ResultReason, State};
use ekms_kmip::operations::rekey_key_pair::{Request, Response};
use ekms_kmip::{Attributes, Link};

/// The object `uid` links to with `link_type`, if any.
fn linked(obj: &ManagedObject, link_type: LinkType) -> Option<String> {
    obj.attributes
        .links
        .iter()
        .find(|l| l.link_type == link_type)
        .map(|l| l.linked_object_identifier.clone())
}

/// Links `old` to its replacement `new` and `new` back to `old`.
fn link(old: &mut ManagedObject, new: &mut ManagedObject) {
    old.attributes
        .links
        .retain(|l| l.link_type != LinkType::ReplacementObjectLink);
    old.attributes.links.push(Link {
        link_type: LinkType::ReplacementObjectLink,
        linked_object_identifier: new.uid.clone(),
    });
    new.attributes.links.push(Link {
        link_type: LinkType::ReplacedObjectLink,
        linked_object_identifier: old.uid.clone(),
    });
}

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let now = now();
    let uid = req.private_uid.clone().ok_or_else(|| {
        KmipError::missing(
            "PrivateKeyUniqueIdentifier (Re-key Key Pair names the private key of the pair to replace)",
        )
    })?;
    let (old_private, old_public) = ctx.read(|tx| {
        let private = ManagedObject::load(tx, &uid)?;
        if private.object_type != ObjectType::PrivateKey {
            return Err(KmipError::new(
                ResultReason::IllegalObjectType,
                format!(
                    "object {uid} is a {}: Re-key Key Pair replaces a key pair by its private key",
                    private.object_type.name()
                ),
            ));
        }
        if private.is_destroyed() {
            return Err(private.destroyed_error());
        }
        let public = match linked(&private, LinkType::PublicKeyLink) {
            Some(p) => Some(ManagedObject::load(tx, &p)?),
            None => None,
        };
        Ok((private, public))
    })?;
    let state = old_private.state(now);
    if state == State::Compromised {
        return Err(KmipError::wrong_state(format!(
            "object {uid} is Compromised and cannot be re-keyed"
        )));
    }
    let mut dates = Attributes::default();
    if let Some((activation, deactivation)) =
        rekey::replacement_dates(&old_private.attributes, state, req.offset, now)
    {
        dates.activation_date = Some(activation);
        dates.deactivation_date = deactivation;
    }
    let private_base = rekey::carried(&old_private.attributes);
    let public_base = old_public
        .as_ref()
        .map_or_else(|| private_base.clone(), |p| rekey::carried(&p.attributes));
    let asked = &req.attributes;
    let common = attrs::merge(&dates, &asked.common)?;
    let made = create_key_pair::apply(
        ctx,
        ekms_kmip::operations::create_key_pair::Request {
            common: Attributes::default(),
            private: attrs::merge(&attrs::merge(&private_base, &common)?, &asked.private)?,
            public: attrs::merge(&attrs::merge(&public_base, &common)?, &asked.public)?,
        },
    )?;
    ctx.bookkeeping(|tx| {
        let mut old = ManagedObject::load(tx, &uid)?;
        let mut new = ManagedObject::load(tx, &made.private_uid)?;
        link(&mut old, &mut new);
        old.save(tx, now)?;
        new.save(tx, now)?;
        if let Some(old_public) = &old_public {
            let mut old = ManagedObject::load(tx, &old_public.uid)?;
            let mut new = ManagedObject::load(tx, &made.public_uid)?;
            link(&mut old, &mut new);
            old.save(tx, now)?;
            new.save(tx, now)?;
        }
        Ok(())
    })
    .map_err(|e| {
        KmipError::new(
            e.reason,
            format!(
                "the new key pair ({}, {}) was made but not linked to the old one: {}",
                made.private_uid, made.public_uid, e.message
            ),
        )
    })?;
    Ok(made)
}
