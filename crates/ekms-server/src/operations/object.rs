//! Managed objects as operations see them, their stored form, and the KMIP lifecycle.
//!
//! The state is kept in the attributes and made effective on load: a PreActive object whose
//! ActivationDate has passed is Active, an Active one whose DeactivationDate has passed is
//! Deactivated (KMIP's time-driven transitions), without a write.

use crate::error::KmipError;
use ekms_kmip::Attributes;
use ekms_kmip::enums::{ObjectType, State};
use ekms_store::{StoreTx, StoredObject};
use zeroize::Zeroizing;

/// A managed object loaded for one operation.
pub struct ManagedObject {
    pub uid: String,
    pub object_type: ObjectType,
    pub owner: String,
    pub attributes: Attributes,
    /// The key material; `None` once destroyed. Wiped on drop.
    pub material: Option<Zeroizing<Vec<u8>>>,
    pub created_at: i64,
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

    /// Loads `uid`, or ItemNotFound.
    pub fn load(tx: &mut dyn StoreTx, uid: &str) -> Result<Self, KmipError> {
        let stored = tx.get(uid)?.ok_or_else(|| KmipError::not_found(uid))?;
        Self::from_stored(stored)
    }

    fn from_stored(s: StoredObject) -> Result<Self, KmipError> {
        let attributes: Attributes = serde_json::from_slice(&s.attributes).map_err(|e| {
            KmipError::internal(format!(
                "stored attributes of {} are unreadable: {e}",
                s.uid
            ))
        })?;
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
        })
    }

    fn to_stored(&self) -> Result<StoredObject, KmipError> {
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
        })
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

    /// The key material, or the error that explains why there is none.
    pub fn key_material(&self) -> Result<&[u8], KmipError> {
        self.material
            .as_deref()
            .map(|m| m.as_slice())
            .ok_or_else(|| {
                KmipError::new(
                    ekms_kmip::enums::ResultReason::ObjectDestroyed,
                    format!(
                        "object {} was destroyed: its key material is gone",
                        self.uid
                    ),
                )
            })
    }
}
