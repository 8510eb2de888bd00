//! Managed objects as operations see them, their stored form, and the KMIP lifecycle.
//!
//! The state is kept in the attributes and made effective on load: a PreActive object whose
//! ActivationDate has passed is Active, an Active one whose DeactivationDate has passed is
//! Deactivated (KMIP's time-driven transitions), without a write.
//!
//! The stored material of an object is its KMIP value structure as registered or generated
//! (`SymmetricKey`, `PublicKey`, `PrivateKey`, `SplitKey`, `SecretData`, `Certificate`,
//! `OpaqueObject`, with its Key Block, Key Format Type and, for wrapped keys, Key Wrapping
//! Data), in binary TTLV; it is `None` once the object is destroyed. Get answers that value
//! (converted or wrapped on request), and [`super::keys`] reads key bytes from it.

use crate::error::KmipError;
use crate::operations::Context;
use ekms_kmip::enums::{ObjectType, ResultReason, State};
use ekms_kmip::message::wipe_ttlv;
use ekms_kmip::{Attributes, Ttlv};
use ekms_store::{StoreTx, StoredObject};
use zeroize::Zeroizing;

/// Moves object `uid` along its lifecycle in one transaction: loads it, lets `next` set its
/// next state as of now (and the dates that go with it) or refuse, and saves it; returns the
/// object's identifier, which the three answer. The whole of Activate, Revoke and Destroy,
/// which differ only in `next`.
pub fn change_state(
    ctx: &Context<'_>,
    uid: String,
    next: impl FnMut(&mut ManagedObject, i64) -> Result<(), KmipError>,
) -> Result<String, KmipError> {
    change_state_cascading(ctx, uid, false, next)
}

/// As [`change_state`]; with `cascade` (Cosmian's vendor field of Revoke and Destroy), the
/// other half of a key pair (the object's Public Key Link or Private Key Link) makes the same
/// move in the same transaction. The named object decides the outcome: a linked key whose state
/// refuses the move (already revoked or destroyed) or that no longer exists is left as it is;
/// a linked key the caller may not change fails the whole request, as its access check does.
pub fn change_state_cascading(
    ctx: &Context<'_>,
    uid: String,
    cascade: bool,
    mut next: impl FnMut(&mut ManagedObject, i64) -> Result<(), KmipError>,
) -> Result<String, KmipError> {
    let now = super::now();
    ctx.transact(|tx| {
        let mut obj = ManagedObject::load(tx, &uid)?;
        next(&mut obj, now)?;
        obj.save(tx, now)?;
        if !cascade {
            return Ok(());
        }
        for other in pair_links(&obj.attributes) {
            let mut linked = match ManagedObject::load(tx, &other) {
                Ok(linked) => linked,
                Err(e) if e.reason == ResultReason::PermissionDenied => return Err(e),
                Err(_) => continue,
            };
            match next(&mut linked, now) {
                Ok(()) => linked.save(tx, now)?,
                Err(e) if e.reason == ResultReason::WrongKeyLifecycleState => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    })?;
    Ok(uid)
}

/// The identifiers of the other half of a key pair that `attrs` links to.
fn pair_links(attrs: &Attributes) -> Vec<String> {
    use ekms_kmip::enums::LinkType;
    attrs
        .links
        .iter()
        .filter(|l| {
            matches!(
                l.link_type,
                LinkType::PublicKeyLink | LinkType::PrivateKeyLink
            )
        })
        .map(|l| l.linked_object_identifier.clone())
        .collect()
}

/// Loads object `uid` with its state as of now (see [`ManagedObject::settle_state`]): what
/// the operations that answer attributes show.
pub fn load_settled(ctx: &Context<'_>, uid: &str) -> Result<ManagedObject, KmipError> {
    let mut obj = ctx.transact(|tx| ManagedObject::load(tx, uid))?;
    obj.settle_state(super::now());
    Ok(obj)
}

/// A decoded object value that may hold key material: wiped when dropped.
pub struct SecretTtlv(pub Ttlv);

impl Drop for SecretTtlv {
    fn drop(&mut self) {
        wipe_ttlv(&mut self.0);
    }
}

impl SecretTtlv {
    /// Moves the value out (to answer it), leaving an empty structure to wipe.
    pub fn take(&mut self) -> Ttlv {
        let tag = self.0.tag;
        std::mem::replace(&mut self.0, Ttlv::structure(tag, Vec::new()))
    }
}

impl std::ops::Deref for SecretTtlv {
    type Target = Ttlv;
    fn deref(&self) -> &Ttlv {
        &self.0
    }
}

/// Encodes an object value for storage.
pub fn encode_value(value: &Ttlv) -> Result<Zeroizing<Vec<u8>>, KmipError> {
    let mut out = Zeroizing::new(Vec::new());
    ekms_kmip::binary::try_encode(value, &mut out).map_err(|e| {
        KmipError::new(ResultReason::InvalidField, format!("object too large: {e}"))
    })?;
    Ok(out)
}

/// A managed object loaded for one operation.
pub struct ManagedObject {
    pub uid: String,
    pub object_type: ObjectType,
    pub owner: String,
    pub attributes: Attributes,
    /// The object value in binary TTLV (see the module documentation); `None` once
    /// destroyed. Wiped on drop.
    pub material: Option<Zeroizing<Vec<u8>>>,
    pub created_at: i64,
    /// What was prepared from the material (see [`super::cipher::prepared_key`]), when the object
    /// came from the store's read cache.
    pub derived: ekms_store::Derived,
}

/// The attributes `s` stores, parsed.
fn parse_attributes(s: &StoredObject) -> Result<Attributes, KmipError> {
    serde_json::from_slice(&s.attributes).map_err(|e| {
        KmipError::internal(format!(
            "stored attributes of {} are unreadable: {e}",
            s.uid
        ))
    })
}

impl ManagedObject {
    /// The state, with time-driven transitions applied at `now`.
    pub fn state(&self, now: i64) -> State {
        let stored = self.attributes.state.unwrap_or(State::PreActive);
        match stored {
            State::PreActive => {
                let activated = self.attributes.activation_date.is_some_and(|d| d <= now);
                let deactivated = self.attributes.deactivation_date.is_some_and(|d| d <= now);
                match (activated, deactivated) {
                    (_, true) => State::Deactivated,
                    (true, false) => State::Active,
                    _ => State::PreActive,
                }
            }
            State::Active if self.attributes.deactivation_date.is_some_and(|d| d <= now) => {
                State::Deactivated
            }
            s => s,
        }
    }

    /// Records the effective state in the attributes (before a write or a GetAttributes).
    pub fn settle_state(&mut self, now: i64) {
        self.attributes.state = Some(self.state(now));
    }

    /// Loads `uid`, or ItemNotFound. The attributes of an object read from the store's cache
    /// are parsed once and the parsed form kept there ([`ekms_store::Parsed`]): a cached
    /// Encrypt, Decrypt or Get then clones them instead of parsing JSON.
    pub fn load(tx: &mut dyn StoreTx, uid: &str) -> Result<Self, KmipError> {
        let stored = tx.get(uid)?.ok_or_else(|| KmipError::not_found(uid))?;
        use ekms_store::Parsed::{Kept, Missing, Uncached};
        let kept = match &stored.parsed {
            Kept(p) => p.downcast_ref::<Attributes>().cloned(),
            Uncached | Missing => None,
        };
        let attributes = match kept {
            Some(attributes) => attributes,
            None => {
                let attributes = parse_attributes(&stored)?;
                if matches!(stored.parsed, Missing) {
                    let parsed = std::sync::Arc::new(attributes.clone());
                    tx.attach_parsed(&stored.uid, &stored.attributes, Kept(parsed));
                }
                attributes
            }
        };
        Self::from_stored(stored, attributes)
    }

    fn from_stored(s: StoredObject, attributes: Attributes) -> Result<Self, KmipError> {
        let object_type = ObjectType::from_u32(s.object_type).ok_or_else(|| {
            KmipError::internal(format!("stored object type of {} is unknown", s.uid))
        })?;
        Ok(Self {
            uid: s.uid,
            object_type,
            owner: s.owner,
            attributes,
            material: s.material,
            created_at: s.created_at,
            derived: s.derived,
        })
    }

    pub fn to_stored(&self) -> Result<StoredObject, KmipError> {
        let attributes = serde_json::to_vec(&self.attributes)
            .map_err(|e| KmipError::internal(format!("cannot serialize attributes: {e}")))?;
        Ok(StoredObject {
            uid: self.uid.clone(),
            object_type: self.object_type.as_u32(),
            state: self.attributes.state.unwrap_or(State::PreActive).as_u32(),
            algorithm: self.attributes.cryptographic_algorithm.map(|a| a.as_u32()),
            owner: self.owner.clone(),
            names: self
                .attributes
                .names
                .iter()
                .map(|n| n.value.clone())
                .collect(),
            attributes,
            material: self.material.clone(),
            created_at: self.created_at,
            derived: ekms_store::Derived::default(),
            parsed: ekms_store::Parsed::default(),
        })
    }

    /// What `make` prepares from this object's material (an AEAD key schedule, a parsed
    /// asymmetric key): the copy kept with the object's cached copy in the store when `fits`
    /// accepts it, else a new one, then kept there for the next request. It goes when the
    /// cached copy goes (any write of the object, eviction, a rekey of the group), so it never
    /// outlives a change of the material or the attributes it was made from.
    pub fn derived_or<T: std::any::Any + Send + Sync>(
        &self,
        store: &dyn ekms_store::ObjectStore,
        fits: impl FnOnce(&T) -> bool,
        make: impl FnOnce(&Self) -> Result<T, KmipError>,
    ) -> Result<std::sync::Arc<T>, KmipError> {
        let kept = self
            .derived
            .0
            .clone()
            .and_then(|d| d.downcast::<T>().ok())
            .filter(|k| fits(k));
        if let Some(k) = kept {
            return Ok(k);
        }
        let made = std::sync::Arc::new(make(self)?);
        if let Some(material) = &self.material {
            store.attach(&self.uid, material, made.clone());
        }
        Ok(made)
    }

    /// Writes a new object.
    pub fn insert(&self, tx: &mut dyn StoreTx) -> Result<(), KmipError> {
        tx.insert(&self.to_stored()?)?;
        Ok(())
    }

    /// Writes back a changed object, stamping LastChangeDate.
    pub fn save(&mut self, tx: &mut dyn StoreTx, now: i64) -> Result<(), KmipError> {
        self.attributes.last_change_date = Some(now);
        tx.update(&self.to_stored()?)?;
        Ok(())
    }

    /// A new object of `object_type` holding `value`, owned by `owner`; its Digest attribute
    /// is computed from `value` (see [`super::keys::value_digest`]).
    pub fn new(
        uid: String,
        object_type: ObjectType,
        owner: &str,
        mut attributes: Attributes,
        value: &Ttlv,
        now: i64,
    ) -> Result<Self, KmipError> {
        attributes.digests = super::keys::value_digest(value).into_iter().collect();
        Ok(Self {
            uid,
            object_type,
            owner: owner.to_string(),
            attributes,
            material: Some(encode_value(value)?),
            created_at: now,
            derived: ekms_store::Derived::default(),
        })
    }

    /// True once destroyed (material erased).
    pub fn is_destroyed(&self) -> bool {
        self.material.is_none()
            || matches!(
                self.attributes.state,
                Some(State::Destroyed | State::DestroyedCompromised)
            )
    }

    /// The error for using a destroyed object.
    pub fn destroyed_error(&self) -> KmipError {
        KmipError::new(
            ResultReason::ObjectDestroyed,
            format!("object {} was destroyed: its value is gone", self.uid),
        )
    }

    /// The object value, or ObjectDestroyed.
    pub fn value(&self) -> Result<SecretTtlv, KmipError> {
        let bytes = match &self.material {
            Some(m) if !self.is_destroyed() => m,
            _ => return Err(self.destroyed_error()),
        };
        ekms_kmip::binary::decode(bytes)
            .map(SecretTtlv)
            .map_err(|e| {
                KmipError::internal(format!("stored value of {} is unreadable: {e}", self.uid))
            })
    }
}
