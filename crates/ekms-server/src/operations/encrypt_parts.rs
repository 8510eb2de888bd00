//! Multi-part Encrypt (KMIP 1.3+: Init Indicator, Correlation Value, Final Indicator) with an
//! authenticated mode (AES-GCM, ChaCha20-Poly1305), as the block-cipher case `CS-BC-M-GCM-3`
//! uses it: each part answers its own ciphertext, the last one the tag too.
//!
//! Neither aws-lc-rs nor any other library ekms uses has a streaming GCM interface, so no
//! cipher is composed here: the server keeps the plaintext received so far and, at each part,
//! seals all of it again under the same key, IV and additional data, answering the bytes of
//! ciphertext not yet sent (GCM and ChaCha20-Poly1305 encrypt with a keystream, so the
//! ciphertext of the first bytes does not depend on those after them); the last part's seal
//! gives the tag of the whole. The state is bounded: [`MAX_OPERATIONS`] operations at once in
//! the server, [`MAX_BYTES`] of plaintext each, forgotten [`TTL_SECONDS`] after they began,
//! wiped when finished or forgotten. Larger data goes through the `/v1` stream routes.

use crate::error::KmipError;
use crate::objects::cipher::{SymCipher, crypto_failure, sym_encrypt};
use ekms_crypto::aead::AeadKey;
use ekms_kmip::enums::ResultReason;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// Multi-part operations in progress at once, all clients together.
pub const MAX_OPERATIONS: usize = 64;
/// Plaintext one multi-part operation may hold (1 MiB).
pub const MAX_BYTES: usize = 1 << 20;
/// How long a multi-part operation may last from its first part.
pub const TTL_SECONDS: u64 = 300;
/// Length of the Correlation Values the server makes (random, so unguessable).
const CORRELATION_LEN: usize = 16;

/// One operation in progress.
struct Part {
    user: String,
    uid: String,
    cipher: SymCipher,
    iv: Vec<u8>,
    aad: Vec<u8>,
    tag_len: usize,
    plaintext: Zeroizing<Vec<u8>>,
    sent: usize,
    started: Instant,
}

static PARTS: Mutex<BTreeMap<Vec<u8>, Part>> = Mutex::new(BTreeMap::new());

/// What a part answers: its ciphertext, the Correlation Value while the operation goes on,
/// and the tag (shortened to the operation's tag length) with the last part.
pub struct Answer {
    pub data: Vec<u8>,
    pub correlation: Option<Vec<u8>>,
    pub tag: Option<Vec<u8>>,
}

fn refused(message: String) -> KmipError {
    KmipError::new(ResultReason::InvalidField, message)
}

fn parts() -> Result<std::sync::MutexGuard<'static, BTreeMap<Vec<u8>, Part>>, KmipError> {
    let mut map = PARTS
        .lock()
        .map_err(|_| KmipError::internal("the multi-part state is poisoned"))?;
    let ttl = Duration::from_secs(TTL_SECONDS);
    map.retain(|_, p| p.started.elapsed() < ttl);
    Ok(map)
}

fn too_large(n: usize) -> KmipError {
    refused(format!(
        "a multi-part Encrypt holds at most {MAX_BYTES} bytes of plaintext, not {n}: use the \
         /v1 stream routes for larger data"
    ))
}

/// The parameters of a multi-part operation's first part.
pub struct Begin<'a> {
    pub user: &'a str,
    pub uid: &'a str,
    pub cipher: SymCipher,
    pub iv: Vec<u8>,
    pub aad: Vec<u8>,
    pub tag_len: usize,
}

/// The first part (Init Indicator without Final Indicator): seals `data`, keeps the state,
/// and answers the ciphertext with a new Correlation Value.
pub fn begin(
    b: Begin<'_>,
    key: &[u8],
    prepared: Option<&AeadKey>,
    data: Zeroizing<Vec<u8>>,
) -> Result<Answer, KmipError> {
    if !matches!(b.cipher, SymCipher::Aead(_)) {
        return Err(KmipError::new(
            ResultReason::FeatureNotSupported,
            "multi-part Encrypt is offered for authenticated modes only (GCM, \
             ChaCha20-Poly1305); encrypt other modes in one request",
        ));
    }
    if data.len() > MAX_BYTES {
        return Err(too_large(data.len()));
    }
    let (ct, _) = sym_encrypt(b.cipher, key, prepared, &b.iv, &b.aad, data.clone())?;
    let correlation = ekms_crypto::rand::array::<CORRELATION_LEN>()
        .map_err(crypto_failure)?
        .to_vec();
    let mut map = parts()?;
    if map.len() >= MAX_OPERATIONS {
        return Err(refused(format!(
            "{MAX_OPERATIONS} multi-part operations are already in progress: finish one, or \
             encrypt in one request"
        )));
    }
    map.insert(
        correlation.clone(),
        Part {
            user: b.user.to_string(),
            uid: b.uid.to_string(),
            cipher: b.cipher,
            iv: b.iv,
            aad: b.aad,
            tag_len: b.tag_len,
            sent: ct.len(),
            plaintext: data,
            started: Instant::now(),
        },
    );
    Ok(Answer {
        data: ct,
        correlation: Some(correlation),
        tag: None,
    })
}

/// A later part of the operation `correlation` of `user` with key `uid`: seals all the
/// plaintext so far and answers the ciphertext not yet sent; with `last`, the tag too, and the
/// state is dropped.
pub fn next(
    user: &str,
    uid: &str,
    correlation: &[u8],
    key: &[u8],
    prepared: Option<&AeadKey>,
    data: &[u8],
    last: bool,
) -> Result<Answer, KmipError> {
    let unknown = || {
        refused(format!(
            "no multi-part Encrypt with key {uid} has this Correlation Value: it finished, \
             lasted more than {TTL_SECONDS} seconds, or was never begun (Init Indicator)"
        ))
    };
    let mut part = {
        let mut map = parts()?;
        let owned = map
            .get(correlation)
            .is_some_and(|p| p.user == user && p.uid == uid);
        if !owned {
            return Err(unknown());
        }
        map.remove(correlation).ok_or_else(unknown)?
    };
    let total = part.plaintext.len() + data.len();
    if total > MAX_BYTES {
        // The operation ends here: its plaintext is wiped with `part`.
        return Err(too_large(total));
    }
    part.plaintext.extend_from_slice(data);
    let (ct, tag) = sym_encrypt(
        part.cipher,
        key,
        prepared,
        &part.iv,
        &part.aad,
        part.plaintext.clone(),
    )?;
    let fresh = ct.get(part.sent..).unwrap_or_default().to_vec();
    if last {
        let tag = tag.map(|mut t| {
            t.truncate(part.tag_len);
            t
        });
        return Ok(Answer {
            data: fresh,
            correlation: None,
            tag,
        });
    }
    part.sent = ct.len();
    let mut map = parts()?;
    map.insert(correlation.to_vec(), part);
    Ok(Answer {
        data: fresh,
        correlation: Some(correlation.to_vec()),
        tag: None,
    })
}
