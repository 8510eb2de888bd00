//! A group's key slots: its data key (the SQLCipher key of its database, or the key its
//! PostgreSQL rows are sealed under) wrapped under each secret that currently opens it, in
//! `<data_dir>/groups/<group_id>.keys` (or, with `--database`, in the database: see
//! [`crate::shared_groups`]).
//!
//! - KEK = HKDF-SHA256(secret key, salt `ekms-group-kek-v1`, info = the group id's text).
//! - A slot is AES-256-GCM (random 96-bit nonce) of a fixed 65-byte plaintext
//!   `flags (1) | data key (32) | previous data key (32)`, with associated data
//!   `ekms-keyslot-v1 | group id | slot index`: `nonce | ciphertext | tag`, 93 bytes. Flag bit 0
//!   says the previous data key is set: the database may still be keyed with it (a data key
//!   replacement was interrupted) and must be re-encrypted under the data key.
//! - Slot 0 is the confirmed secret's; slot 1, when present, the secret of a pending rotation.
//! - The file is JSON `{"version": 1, "group_id", "slots": [hex, …]}`, written atomically
//!   (temporary file, fsync, rename, fsync of the directory) with mode 0600.
//!
//! Slots are small and public-safe (nothing in them opens without a secret), so the server
//! keeps all of them in memory and checks every secret against them with the same work
//! whatever the group (see [`crate::groups`]).

use ekms_crypto::aead::{AeadAlgorithm, NONCE_LEN, TAG_LEN};
use ekms_crypto::hash;
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use uuid::Uuid;
use zeroize::Zeroizing;

/// At most two secrets open a group: the confirmed one and a pending one.
pub const MAX_SLOTS: usize = 2;
const PLAIN_LEN: usize = 1 + 32 + 32;
/// Bytes of one slot.
pub const SLOT_LEN: usize = NONCE_LEN + PLAIN_LEN + TAG_LEN;
const VERSION: u32 = 1;
const AAD_LABEL: &[u8] = b"ekms-keyslot-v1";
const KEK_SALT: &[u8] = b"ekms-group-kek-v1";

/// A 256-bit key (secret, KEK or data key); wiped on drop.
pub type Key = Zeroizing<[u8; 32]>;

/// One wrapped slot.
#[derive(Clone)]
pub struct Slot([u8; SLOT_LEN]);

/// What a slot holds.
pub struct Unwrapped {
    pub data_key: Key,
    /// Set while a replacement of the data key is unfinished: the database may still be keyed
    /// with this one.
    pub previous: Option<Key>,
}

/// The slots of one group, as in its file.
#[derive(Clone)]
pub struct Record {
    pub slots: Vec<Slot>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordFile {
    version: u32,
    group_id: String,
    slots: Vec<String>,
}

/// The KEK of `secret` for `group`.
pub fn kek(secret: &[u8; 32], group: &Uuid) -> Key {
    // HKDF of 32 bytes cannot fail; an all-zero KEK would only make every slot fail to open.
    Zeroizing::new(
        hash::hkdf_sha256_32(secret, KEK_SALT, group.to_string().as_bytes()).unwrap_or([0; 32]),
    )
}

fn aad(group: &Uuid, index: usize) -> [u8; 15 + 36 + 1] {
    let mut out = [0u8; 15 + 36 + 1];
    out[..15].copy_from_slice(AAD_LABEL);
    let mut id = [0u8; 36];
    group.hyphenated().encode_lower(&mut id);
    out[15..51].copy_from_slice(&id);
    out[51] = index as u8;
    out
}

impl Slot {
    /// Wraps `data_key` (and `previous`) under `kek` as slot `index` of `group`.
    pub fn wrap(
        kek: &[u8; 32],
        group: &Uuid,
        index: usize,
        data_key: &[u8; 32],
        previous: Option<&[u8; 32]>,
    ) -> Result<Self, ekms_crypto::CryptoError> {
        let nonce: [u8; NONCE_LEN] = ekms_crypto::rand::array()?;
        let mut plain = Zeroizing::new([0u8; PLAIN_LEN]);
        plain[1..33].copy_from_slice(data_key);
        if let Some(p) = previous {
            plain[0] = 1;
            plain[33..].copy_from_slice(p);
        }
        let mut out = [0u8; SLOT_LEN];
        out[..NONCE_LEN].copy_from_slice(&nonce);
        out[NONCE_LEN..NONCE_LEN + PLAIN_LEN].copy_from_slice(&*plain);
        let tag = AeadAlgorithm::Aes256Gcm.seal_in_place(
            kek,
            &nonce,
            &aad(group, index),
            &mut out[NONCE_LEN..NONCE_LEN + PLAIN_LEN],
        )?;
        out[NONCE_LEN + PLAIN_LEN..].copy_from_slice(&tag);
        Ok(Self(out))
    }

    /// Opens the slot with `kek`: `None` if the KEK (or anything in the slot) is wrong. Costs
    /// the same whether it opens or not.
    pub fn unwrap(&self, kek: &[u8; 32], group: &Uuid, index: usize) -> Option<Unwrapped> {
        let mut plain = Zeroizing::new([0u8; PLAIN_LEN]);
        plain.copy_from_slice(&self.0[NONCE_LEN..NONCE_LEN + PLAIN_LEN]);
        AeadAlgorithm::Aes256Gcm
            .open_in_place(
                kek,
                &self.0[..NONCE_LEN],
                &aad(group, index),
                &mut *plain,
                &self.0[NONCE_LEN + PLAIN_LEN..],
            )
            .ok()?;
        let mut data_key = Zeroizing::new([0u8; 32]);
        data_key.copy_from_slice(&plain[1..33]);
        let previous = (plain[0] & 1 == 1).then(|| {
            let mut p = Zeroizing::new([0u8; 32]);
            p.copy_from_slice(&plain[33..]);
            p
        });
        Some(Unwrapped { data_key, previous })
    }
}

impl Record {
    /// Two slots that no secret opens, the same shape as real ones (for unknown groups).
    pub fn dummy() -> Result<Self, ekms_crypto::CryptoError> {
        let kek: Key = Zeroizing::new(ekms_crypto::rand::array()?);
        let data_key: Key = Zeroizing::new(ekms_crypto::rand::array()?);
        let group = Uuid::new_v4();
        let slots = (0..MAX_SLOTS)
            .map(|i| Slot::wrap(&kek, &group, i, &data_key, None))
            .collect::<Result<_, _>>()?;
        Ok(Self { slots })
    }

    /// The slots' JSON form (the file's content; the database's `ekms_key_slots` row).
    pub fn to_json(&self, group: &Uuid) -> Vec<u8> {
        let file = RecordFile {
            version: VERSION,
            group_id: group.to_string(),
            slots: self.slots.iter().map(|s| hex::encode(s.0)).collect(),
        };
        // Serializing strings and numbers cannot fail.
        serde_json::to_vec(&file).unwrap_or_default()
    }

    /// Reads [`Record::to_json`]'s form, for `group` only.
    pub fn from_json(bytes: &[u8], group: &Uuid) -> Result<Self, String> {
        let file: RecordFile =
            serde_json::from_slice(bytes).map_err(|e| format!("not a key-slot file: {e}"))?;
        if file.version != VERSION {
            return Err(format!("unknown key-slot file version {}", file.version));
        }
        if file.group_id != group.to_string() {
            return Err("the file names another group".to_string());
        }
        if file.slots.is_empty() || file.slots.len() > MAX_SLOTS {
            return Err(format!("{} slots", file.slots.len()));
        }
        let slots = file
            .slots
            .iter()
            .map(|h| {
                let mut s = [0u8; SLOT_LEN];
                hex::decode_to_slice(h, &mut s)
                    .map(|()| Slot(s))
                    .map_err(|_| "a malformed slot".to_string())
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { slots })
    }
}

/// The key-slot file of `group` in `dir`.
pub fn path(dir: &Path, group: &Uuid) -> std::path::PathBuf {
    dir.join(format!("{group}.keys"))
}

fn temp_path(dir: &Path, group: &Uuid) -> std::path::PathBuf {
    dir.join(format!("{group}.keys.tmp"))
}

/// Reads the key-slot file of `group`.
pub fn read(dir: &Path, group: &Uuid) -> Result<Record, String> {
    let bytes = fs::read(path(dir, group)).map_err(|e| e.to_string())?;
    Record::from_json(&bytes, group)
}

/// Replaces the key-slot file of `group` atomically; `phase` names the crash points
/// (`<phase>:temp-written`, between the temporary file's fsync and the rename).
pub fn write(dir: &Path, group: &Uuid, record: &Record, phase: &str) -> std::io::Result<()> {
    let tmp = temp_path(dir, group);
    {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(&record.to_json(group))?;
        f.sync_all()?;
    }
    ekms_store::failpoint::hit(&format!("{phase}:temp-written"));
    fs::rename(&tmp, path(dir, group))?;
    fs::File::open(dir)?.sync_all()
}

/// Removes the key-slot file of `group` (and a leftover temporary file), durably.
pub fn remove(dir: &Path, group: &Uuid) -> std::io::Result<()> {
    for p in [temp_path(dir, group), path(dir, group)] {
        match fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_opens_with_its_kek_group_and_index_only() {
        let g = Uuid::new_v4();
        let secret = [1u8; 32];
        let k = kek(&secret, &g);
        let dk = [2u8; 32];
        let s = Slot::wrap(&k, &g, 0, &dk, None).unwrap();
        let u = s.unwrap(&k, &g, 0).unwrap();
        assert_eq!(*u.data_key, dk);
        assert!(u.previous.is_none());
        assert!(s.unwrap(&kek(&[3u8; 32], &g), &g, 0).is_none());
        assert!(s.unwrap(&kek(&secret, &Uuid::new_v4()), &g, 0).is_none());
        assert!(s.unwrap(&k, &g, 1).is_none());
        let p = Slot::wrap(&k, &g, 1, &dk, Some(&[4u8; 32])).unwrap();
        assert_eq!(*p.unwrap(&k, &g, 1).unwrap().previous.unwrap(), [4u8; 32]);
        // Nothing of the keys appears in the slot.
        assert!(!s.0.windows(32).any(|w| w == dk || w == secret));
    }

    #[test]
    fn the_file_round_trips_and_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let g = Uuid::new_v4();
        let k = kek(&[1u8; 32], &g);
        let r = Record {
            slots: vec![
                Slot::wrap(&k, &g, 0, &[2u8; 32], None).unwrap(),
                Slot::wrap(&k, &g, 1, &[2u8; 32], None).unwrap(),
            ],
        };
        write(dir.path(), &g, &r, "test").unwrap();
        let mode = fs::metadata(path(dir.path(), &g))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let back = read(dir.path(), &g).unwrap();
        assert_eq!(back.slots.len(), 2);
        assert!(back.slots[1].unwrap(&k, &g, 1).is_some());
        assert!(read(dir.path(), &Uuid::new_v4()).is_err());
        // Another group's file under this group's name is refused.
        let other = Uuid::new_v4();
        fs::copy(path(dir.path(), &g), path(dir.path(), &other)).unwrap();
        assert!(read(dir.path(), &other).is_err());
        remove(dir.path(), &g).unwrap();
        assert!(!path(dir.path(), &g).exists());
    }
}
