//! What the PostgreSQL engine keeps from the database operator: the keys derived from a group's
//! data key, the sealed form of every row, and the blind indexes Locate searches.
//!
//! From the group's random 256-bit data key, HKDF-SHA256 (salt `ekms-postgres-v1`, info = the
//! purpose and the group id) derives three keys:
//! - `seal`: AES-256-GCM over every row the group keeps (objects, the group record, audit
//!   rows), with additional data naming what the row is: for an object, the group id, its
//!   unique identifier and its row version. Each seal uses a key of its own, HKDF-Expand of
//!   `seal` with a random 128-bit salt stored with the row, and a random 96-bit nonce: a busy
//!   group (an audit row per request) would otherwise pass the 2^32 random nonces one
//!   AES-GCM key allows within months;
//! - `index`: HMAC-SHA256 blind indexes (truncated to 128 bits) of the values Locate filters
//!   on, so equal values can be found without being shown;
//! - `check`: a value stored in the clear that tells a wrong data key (refused as such) from a
//!   tampered row.
//!
//! An object's plaintext is a length-prefixed encoding of its fields (below), held in
//! zeroizing buffers since it carries the key material.

use crate::{StoreError, StoredObject};
use ekms_crypto::aead::{AeadAlgorithm, AeadKey, NONCE_LEN, TAG_LEN};
use ekms_crypto::mac::{MacAlgorithm, MacKey};
use ekms_crypto::{HashAlgorithm, kdf, rand};
use zeroize::Zeroizing;

/// Bytes kept of a blind index: 128 bits, ample against collisions within one group.
const BLIND_LEN: usize = 16;

/// Bytes of the random salt of a row's own key.
const SALT_LEN: usize = 16;

/// The keys of one group, derived once when its store is opened.
pub(crate) struct GroupKeys {
    group_id: String,
    seal: Zeroizing<Vec<u8>>,
    index: MacKey,
    check: Zeroizing<Vec<u8>>,
}

fn crypto(what: &str) -> impl Fn(ekms_crypto::CryptoError) -> StoreError + '_ {
    move |e| StoreError::Commit(format!("{what}: {e}"))
}

/// Writes `bytes` with a 4-byte big-endian length before it, so no two field lists encode alike.
fn field(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

impl GroupKeys {
    /// Derives the keys of `group_id` from its data key.
    pub(crate) fn derive(data_key: &[u8; 32], group_id: &str) -> Result<Self, StoreError> {
        let purpose = |p: &str| {
            let mut info = Vec::new();
            field(&mut info, p.as_bytes());
            field(&mut info, group_id.as_bytes());
            kdf::hkdf(
                HashAlgorithm::Sha256,
                data_key,
                b"ekms-postgres-v1",
                &info,
                32,
            )
            .map_err(crypto("deriving the group's keys"))
        };
        let seal = purpose("seal")?;
        let mac = MacAlgorithm::hmac(HashAlgorithm::Sha256).map_err(crypto("HMAC"))?;
        let index = MacKey::new(mac, &purpose("index")?).map_err(crypto("the index key"))?;
        Ok(Self {
            group_id: group_id.to_string(),
            seal,
            index,
            check: purpose("check")?,
        })
    }

    pub(crate) fn group_id(&self) -> &str {
        &self.group_id
    }

    /// The value stored with the group that a wrong data key does not reproduce.
    pub(crate) fn check_value(&self) -> &[u8] {
        &self.check
    }

    /// Whether `stored` is this key's check value (in constant time).
    pub(crate) fn checks(&self, stored: &[u8]) -> bool {
        use subtle::ConstantTimeEq;
        bool::from(self.check.as_slice().ct_eq(stored))
    }

    /// The blind index of `value` for the field `kind` (`name`, `uid`, `state`, ...).
    pub(crate) fn blind(&self, kind: &str, value: &[u8]) -> Vec<u8> {
        let mut data = Vec::with_capacity(kind.len() + value.len() + 8);
        field(&mut data, kind.as_bytes());
        field(&mut data, value);
        let mut tag = self.index.sign(&data);
        tag.truncate(BLIND_LEN);
        tag
    }

    /// The blind index of a number field (`None` is its own value).
    pub(crate) fn blind_num(&self, kind: &str, value: Option<u32>) -> Vec<u8> {
        match value {
            Some(v) => self.blind(kind, &v.to_be_bytes()),
            None => self.blind(kind, b"none"),
        }
    }

    /// Additional data of a row: what it is, the group, and the row's own identity.
    fn aad(&self, what: &str, id: &[u8], version: u64) -> Vec<u8> {
        let mut aad = Vec::with_capacity(64 + id.len());
        field(&mut aad, what.as_bytes());
        field(&mut aad, self.group_id.as_bytes());
        field(&mut aad, id);
        aad.extend_from_slice(&version.to_be_bytes());
        aad
    }

    /// The key of one sealed row, from its salt.
    fn row_key(&self, salt: &[u8]) -> Result<AeadKey, StoreError> {
        let mut info = Vec::with_capacity(8 + SALT_LEN);
        field(&mut info, b"row");
        field(&mut info, salt);
        let key = kdf::hkdf_expand(HashAlgorithm::Sha256, &self.seal, &info, 32)
            .map_err(crypto("deriving a row key"))?;
        AeadKey::new(AeadAlgorithm::Aes256Gcm, &key).map_err(crypto("preparing a row key"))
    }

    /// Seals `plain` as the row `what`/`id` at `version`: salt | nonce | ciphertext | tag.
    pub(crate) fn seal(
        &self,
        what: &str,
        id: &[u8],
        version: u64,
        plain: &[u8],
    ) -> Result<Vec<u8>, StoreError> {
        let salt: [u8; SALT_LEN] = rand::array().map_err(crypto("a salt"))?;
        let nonce: [u8; NONCE_LEN] = rand::array().map_err(crypto("a nonce"))?;
        let head = SALT_LEN + NONCE_LEN;
        let mut out = Vec::with_capacity(head + plain.len() + TAG_LEN);
        out.extend_from_slice(&salt);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plain);
        let tag = self
            .row_key(&salt)?
            .seal_in_place(&nonce, &self.aad(what, id, version), &mut out[head..])
            .map_err(crypto("sealing a row"))?;
        out.extend_from_slice(&tag);
        Ok(out)
    }

    /// Opens a row sealed by [`GroupKeys::seal`] as `what`/`id` at `version`; `None` if it
    /// does not open (another group's row, another row's, another version's, or altered).
    pub(crate) fn open(
        &self,
        what: &str,
        id: &[u8],
        version: u64,
        blob: &[u8],
    ) -> Option<Zeroizing<Vec<u8>>> {
        if blob.len() < SALT_LEN + NONCE_LEN + TAG_LEN {
            return None;
        }
        let (salt, rest) = blob.split_at(SALT_LEN);
        let (nonce, rest) = rest.split_at(NONCE_LEN);
        let (body, tag) = rest.split_at(rest.len() - TAG_LEN);
        let mut plain = Zeroizing::new(body.to_vec());
        self.row_key(salt)
            .ok()?
            .open_in_place(nonce, &self.aad(what, id, version), &mut plain, tag)
            .ok()?;
        Some(plain)
    }

    /// The sealed row of `obj` at row version `rv`.
    pub(crate) fn seal_object(&self, obj: &StoredObject, rv: u64) -> Result<Vec<u8>, StoreError> {
        self.seal("object", obj.uid.as_bytes(), rv, &encode_object(obj))
    }

    /// Opens the row stored under `uid` at row version `rv`: a row that does not open, or
    /// that holds another uid, is tampering.
    pub(crate) fn open_object(
        &self,
        uid: &str,
        rv: u64,
        blob: &[u8],
    ) -> Result<StoredObject, StoreError> {
        let tampered = || {
            StoreError::Tampered(format!(
                "the row of object {uid} does not open as that object at row version {rv}"
            ))
        };
        let plain = self
            .open("object", uid.as_bytes(), rv, blob)
            .ok_or_else(tampered)?;
        let obj = decode_object(&plain).ok_or_else(tampered)?;
        if obj.uid != uid {
            return Err(tampered());
        }
        Ok(obj)
    }
}

/// The plaintext of an object row. Layout: uid, type, state, algorithm (`-` for none), owner,
/// names (count, then each), attributes, material (`-` for none, `+` then the bytes), created_at.
fn encode_object(o: &StoredObject) -> Zeroizing<Vec<u8>> {
    let material = o.material.as_ref().map_or(0, |m| m.len());
    let mut out = Zeroizing::new(Vec::with_capacity(
        128 + o.attributes.len() + material + o.names.iter().map(String::len).sum::<usize>(),
    ));
    field(&mut out, o.uid.as_bytes());
    field(&mut out, &o.object_type.to_be_bytes());
    field(&mut out, &o.state.to_be_bytes());
    match o.algorithm {
        Some(a) => field(&mut out, &a.to_be_bytes()),
        None => field(&mut out, b"-"),
    }
    field(&mut out, o.owner.as_bytes());
    let count = u32::try_from(o.names.len()).unwrap_or(u32::MAX);
    field(&mut out, &count.to_be_bytes());
    for n in &o.names {
        field(&mut out, n.as_bytes());
    }
    field(&mut out, &o.attributes);
    match &o.material {
        Some(m) => {
            field(&mut out, b"+");
            field(&mut out, m);
        }
        None => field(&mut out, b"-"),
    }
    field(&mut out, &o.created_at.to_be_bytes());
    out
}

/// Reads the fields [`encode_object`] wrote, in order.
struct Fields<'a>(&'a [u8]);

impl<'a> Fields<'a> {
    fn next(&mut self) -> Option<&'a [u8]> {
        let (len, rest) = self.0.split_first_chunk::<4>()?;
        let len = usize::try_from(u32::from_be_bytes(*len)).ok()?;
        if rest.len() < len {
            return None;
        }
        let (value, rest) = rest.split_at(len);
        self.0 = rest;
        Some(value)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.next()?.try_into().ok()?))
    }

    fn text(&mut self) -> Option<String> {
        String::from_utf8(self.next()?.to_vec()).ok()
    }
}

fn decode_object(plain: &[u8]) -> Option<StoredObject> {
    let mut f = Fields(plain);
    let uid = f.text()?;
    let object_type = f.u32()?;
    let state = f.u32()?;
    let algorithm = match f.next()? {
        b"-" => None,
        a => Some(u32::from_be_bytes(a.try_into().ok()?)),
    };
    let owner = f.text()?;
    let count = f.u32()?;
    let names = (0..count).map(|_| f.text()).collect::<Option<Vec<_>>>()?;
    let attributes = f.next()?.to_vec();
    let material = match f.next()? {
        b"+" => Some(Zeroizing::new(f.next()?.to_vec())),
        _ => None,
    };
    let created_at = i64::from_be_bytes(f.next()?.try_into().ok()?);
    if !f.0.is_empty() {
        return None;
    }
    Some(StoredObject {
        uid,
        object_type,
        state,
        algorithm,
        owner,
        names,
        attributes,
        material,
        created_at,
        derived: crate::Derived::default(),
        parsed: crate::Parsed::Uncached,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj() -> StoredObject {
        StoredObject {
            uid: "u1".into(),
            object_type: 2,
            state: 1,
            algorithm: None,
            owner: "alice".into(),
            names: vec!["a".into(), String::new(), "ü".into()],
            attributes: b"{\"x\":1}".to_vec(),
            material: Some(Zeroizing::new(vec![0xAB; 32])),
            created_at: -5,
            derived: crate::Derived::default(),
            parsed: crate::Parsed::default(),
        }
    }

    #[test]
    fn an_object_round_trips_and_opens_only_as_itself() {
        let k = GroupKeys::derive(&[1; 32], "g").unwrap();
        let mut o = obj();
        let blob = k.seal_object(&o, 7).unwrap();
        assert!(!blob.windows(32).any(|w| w == [0xAB; 32]));
        assert_eq!(k.open_object("u1", 7, &blob).unwrap(), o);
        // Another version, another uid, another group, another key: tampering.
        for e in [
            k.open_object("u1", 6, &blob),
            k.open_object("u2", 7, &blob),
            GroupKeys::derive(&[1; 32], "h")
                .unwrap()
                .open_object("u1", 7, &blob),
            GroupKeys::derive(&[2; 32], "g")
                .unwrap()
                .open_object("u1", 7, &blob),
        ] {
            assert!(matches!(e, Err(StoreError::Tampered(_))), "{e:?}");
        }
        o.material = None;
        o.algorithm = Some(3);
        let blob = k.seal_object(&o, 1).unwrap();
        assert_eq!(k.open_object("u1", 1, &blob).unwrap(), o);
    }

    #[test]
    fn every_row_has_a_key_of_its_own() {
        let k = GroupKeys::derive(&[1; 32], "g").unwrap();
        let a = k.seal("audit", b"", 0, b"same").unwrap();
        let b = k.seal("audit", b"", 0, b"same").unwrap();
        // Different salts, so different keys: the ciphertexts share nothing.
        assert_ne!(a[..SALT_LEN], b[..SALT_LEN]);
        assert_ne!(a[SALT_LEN + NONCE_LEN..], b[SALT_LEN + NONCE_LEN..]);
        assert_eq!(&k.open("audit", b"", 0, &a).unwrap()[..], b"same");
        let mut other_salt = a.clone();
        other_salt[..SALT_LEN].copy_from_slice(&b[..SALT_LEN]);
        assert!(k.open("audit", b"", 0, &other_salt).is_none());
        assert!(
            k.open("audit", b"", 0, &a[..SALT_LEN + NONCE_LEN])
                .is_none()
        );
    }

    #[test]
    fn blind_indexes_and_check_values_depend_on_the_group_and_the_field() {
        let k = GroupKeys::derive(&[1; 32], "g").unwrap();
        let other = GroupKeys::derive(&[1; 32], "h").unwrap();
        assert_eq!(k.blind("name", b"x"), k.blind("name", b"x"));
        assert_eq!(k.blind("name", b"x").len(), BLIND_LEN);
        assert_ne!(k.blind("name", b"x"), k.blind("owner", b"x"));
        assert_ne!(k.blind("name", b"x"), other.blind("name", b"x"));
        assert_ne!(k.blind_num("alg", None), k.blind_num("alg", Some(0)));
        assert!(k.checks(k.check_value()));
        assert!(!other.checks(k.check_value()));
    }
}
