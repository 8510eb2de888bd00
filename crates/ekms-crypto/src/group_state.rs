//! The group state a server shows its clients (the `Ekms-Group-State` header,
//! docs/server.md): a group's version, the hash chain over its commits, and a MAC of both, so
//! a client can tell when the server's storage went back to an older state.
//!
//! - The chain: `chain_0` is [`GENESIS_CHAIN`] (32 zero bytes) and
//!   `chain_n = SHA-256("ekms-group-chain-v1" | chain_{n-1} | n | nonce_n)` with `n` as 8
//!   big-endian bytes and `nonce_n` 32 random bytes drawn at commit ([`next_chain`]). The
//!   random part makes two histories that part at version `n` differ there whatever they
//!   wrote, so a store put back and written again (a fork) never shows the chain a client saw.
//! - The MAC: HMAC-SHA256 over `version | chain` under a key HKDF derives from the 32-byte key
//!   of the group secret the request presented ([`StateKey`]): the client holds that key and
//!   not the group's data key, and the server knows it for the request's time only.
//!
//! The header value is `<version>.<chain-hex>.<mac-hex>` ([`GroupState::header`],
//! [`GroupState::parse`]).

use crate::error::CryptoError;
use crate::mac::{MacAlgorithm, MacKey};
use crate::{HashAlgorithm, digest, kdf, rand};

/// The chain of a group that has had no commit since chains began (every group then starts
/// at version 0 with it).
pub const GENESIS_CHAIN: [u8; 32] = [0; 32];

/// The HTTP header carrying the state.
pub const HEADER: &str = "Ekms-Group-State";

/// The chain after commit `version`, following `previous`: see the module documentation.
pub fn next_chain(previous: &[u8; 32], version: u64) -> Result<[u8; 32], CryptoError> {
    let nonce: [u8; 32] = rand::array()?;
    let mut input = Vec::with_capacity(19 + 32 + 8 + 32);
    input.extend_from_slice(b"ekms-group-chain-v1");
    input.extend_from_slice(previous);
    input.extend_from_slice(&version.to_be_bytes());
    input.extend_from_slice(&nonce);
    let out = digest::digest(HashAlgorithm::Sha256, &input);
    out.try_into()
        .map_err(|_| CryptoError::Failed("SHA-256 gave a digest of the wrong length"))
}

/// The MAC key of the state header, derived from a group secret's 32-byte key.
pub struct StateKey(MacKey);

impl StateKey {
    /// HKDF-SHA256 (salt `ekms-group-state-v1`, info the group id) of the secret's key.
    pub fn derive(secret_key: &[u8; 32], group_id: &str) -> Result<Self, CryptoError> {
        let key = kdf::hkdf(
            HashAlgorithm::Sha256,
            secret_key,
            b"ekms-group-state-v1",
            group_id.as_bytes(),
            32,
        )?;
        Ok(Self(MacKey::new(
            MacAlgorithm::hmac(HashAlgorithm::Sha256)?,
            &key,
        )?))
    }
}

/// A group's version and chain, as a server states them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupState {
    pub version: u64,
    pub chain: [u8; 32],
}

fn signed(version: u64, chain: &[u8; 32]) -> [u8; 40] {
    let mut data = [0u8; 40];
    data[..8].copy_from_slice(&version.to_be_bytes());
    data[8..].copy_from_slice(chain);
    data
}

impl GroupState {
    /// The header value: `<version>.<chain-hex>.<mac-hex>`.
    pub fn header(&self, key: &StateKey) -> String {
        let mac = key.0.sign(&signed(self.version, &self.chain));
        format!(
            "{}.{}.{}",
            self.version,
            hex::encode(self.chain),
            hex::encode(mac)
        )
    }

    /// Reads a header value and checks its MAC (in constant time) under `key`.
    pub fn parse(value: &str, key: &StateKey) -> Result<Self, CryptoError> {
        let malformed = CryptoError::Failed("the group state header is malformed");
        let mut parts = value.trim().split('.');
        let (Some(version), Some(chain), Some(mac), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed);
        };
        let version: u64 = version.parse().map_err(|_| malformed.clone())?;
        let chain: [u8; 32] = hex::decode(chain)
            .ok()
            .and_then(|c| c.try_into().ok())
            .ok_or_else(|| malformed.clone())?;
        let mac = hex::decode(mac).map_err(|_| malformed)?;
        key.0
            .verify(&signed(version, &chain), &mac)
            .map_err(|_| CryptoError::Failed("the group state header's MAC does not verify"))?;
        Ok(Self { version, chain })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn a_header_round_trips_and_any_change_fails_its_mac() {
        let key = StateKey::derive(&[7; 32], "g").unwrap();
        let s = GroupState {
            version: 42,
            chain: next_chain(&GENESIS_CHAIN, 42).unwrap(),
        };
        let h = s.header(&key);
        assert!(h.starts_with("42."), "{h}");
        assert_eq!(GroupState::parse(&h, &key).unwrap(), s);
        let other = StateKey::derive(&[8; 32], "g").unwrap();
        assert!(GroupState::parse(&h, &other).is_err());
        let other_group = StateKey::derive(&[7; 32], "h").unwrap();
        assert!(GroupState::parse(&h, &other_group).is_err());
        let older = h.replacen("42.", "41.", 1);
        assert!(GroupState::parse(&older, &key).is_err());
        assert!(GroupState::parse("42.00", &key).is_err());
    }

    #[test]
    fn two_commits_at_one_version_chain_apart() {
        let a = next_chain(&GENESIS_CHAIN, 1).unwrap();
        let b = next_chain(&GENESIS_CHAIN, 1).unwrap();
        assert_ne!(a, b);
        assert_ne!(next_chain(&a, 2).unwrap(), a);
    }
}
