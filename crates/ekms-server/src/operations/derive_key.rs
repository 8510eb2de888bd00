//! DeriveKey: a new SymmetricKey or SecretData derived from a symmetric key or secret data
//! (the first UniqueIdentifier; its usage mask must allow DeriveKey and it must be PreActive
//! or Active: KMIP sets no state rule for derivation, and a registered password or seed is
//! PreActive).
//!
//! Methods: PBKDF2 (Hashing Algorithm, Salt, Iteration Count), HMAC (HKDF: extract with the
//! Salt, expand with the Derivation Data), HKDF (the same), NIST SP 800-108 counter mode
//! (HMAC PRF, 32-bit counter before the Derivation Data as fixed input), ENCRYPT (the
//! Derivation Data encrypted with the base key under the Cryptographic Parameters and the
//! Initialization Vector, e.g. Blowfish-CBC or AES-CBC). The Cryptographic Length of the
//! template says how many bits to derive; longer outputs are truncated, shorter ones refused.
//! The new object links to its base (Derivation Base Object Link) and the base to it
//! (Derived Key Link).
//!
//! The work is bounded before anything is read: the PRF computations of PBKDF2 (IterationCount
//! for each output block), HKDF and SP 800-108 count against the request message's
//! `--max-kdf-work` ([`super::Limits`]); ENCRYPT is one cipher pass over the Derivation Data,
//! bounded by the message size like Encrypt. The derivation runs outside any store
//! transaction: the base is read in one, the result written in another that checks the base
//! again, so a long derivation never holds the group's connection.

use super::Context;
use crate::error::KmipError;
use crate::objects::attrs;
use crate::objects::cipher::{check_type, check_usable, choose, crypto_failure, sym_encrypt};
use crate::objects::keys::{secret_bytes, secret_data_value, symmetric_value};
use crate::objects::object::{ManagedObject, SecretTtlv};
use crate::objects::{asym, insert_new, new_uid, now};
use ekms_crypto::HashAlgorithm;
use ekms_kmip::Link;
use ekms_kmip::enums::{
    DerivationMethod, KeyFormatType, LinkType, ObjectType, ResultReason, SecretDataType, State,
    usage_mask,
};
use ekms_kmip::operations::derive_key::{Request, Response};
use zeroize::Zeroizing;

fn bad(msg: impl Into<String>) -> KmipError {
    KmipError::new(ResultReason::InvalidField, msg)
}

fn hash_param(req: &Request) -> Result<HashAlgorithm, KmipError> {
    let h = req
        .params
        .as_ref()
        .and_then(|p| p.hashing_algorithm)
        .ok_or_else(|| KmipError::missing("CryptographicParameters HashingAlgorithm"))?;
    asym::hash_of(h)
}

/// HKDF (RFC 5869) of `ikm`, from ekms-crypto's HKDF (SHA-256/384/512). ekms-crypto does not
/// offer HKDF-SHA1, which KMIP 1.x clients use (PyKMIP's HMAC derivation); until it does, that
/// one case is composed from ekms-crypto's HMAC-SHA1 exactly as RFC 5869 defines HKDF:
/// PRK = HMAC(salt, IKM), T(i) = HMAC(PRK, T(i-1) | info | i).
fn hkdf(
    hash: HashAlgorithm,
    ikm: &[u8],
    salt: &[u8],
    info: &[u8],
    len: usize,
) -> Result<Zeroizing<Vec<u8>>, KmipError> {
    if hash != HashAlgorithm::Sha1 {
        return ekms_crypto::kdf::hkdf(hash, ikm, salt, info, len).map_err(crypto_failure);
    }
    use ekms_crypto::mac::{MacAlgorithm, MacKey};
    let alg = MacAlgorithm::hmac(hash).map_err(crypto_failure)?;
    let hash_len = alg.tag_len();
    if len > 255 * hash_len {
        return Err(bad("HKDF output is at most 255 times the hash length"));
    }
    // An empty salt is HashLen zero bytes (RFC 5869 section 2.2).
    let zeros = vec![0u8; hash_len];
    let salt = if salt.is_empty() { &zeros[..] } else { salt };
    let prk = Zeroizing::new(MacKey::new(alg, salt).map_err(crypto_failure)?.sign(ikm));
    let expander = MacKey::new(alg, &prk).map_err(crypto_failure)?;
    let mut out = Zeroizing::new(Vec::with_capacity(len + hash_len));
    let mut t = Zeroizing::new(Vec::new());
    let mut counter: u8 = 1;
    while out.len() < len {
        let mut ctx = expander.context();
        ctx.update(&t);
        ctx.update(info);
        ctx.update(&[counter]);
        t = Zeroizing::new(ctx.finish());
        out.extend_from_slice(&t);
        counter = counter.wrapping_add(1);
    }
    out.truncate(len);
    Ok(out)
}

/// The IterationCount of a PBKDF2 request: at least 1 (its cost is bounded with the output
/// length by [`work`]).
fn iterations(req: &Request) -> Result<u32, KmipError> {
    let iterations = req
        .iterations
        .ok_or_else(|| KmipError::missing("IterationCount"))?;
    u32::try_from(iterations)
        .ok()
        .filter(|i| *i >= 1)
        .ok_or_else(|| {
            bad(format!(
                "IterationCount must be at least 1, not {iterations}"
            ))
        })
}

/// The PRF computations (one HMAC each) the derivation of `len` bytes asks for, and how they
/// add up, for a refusal's message.
fn work(req: &Request, len: usize) -> Result<(u64, String), KmipError> {
    use ekms_crypto::kdf;
    let blocks = |hash: HashAlgorithm| len.div_ceil(hash.output_len());
    Ok(match req.method {
        DerivationMethod::Pbkdf2 => {
            let (hash, iterations) = (hash_param(req)?, iterations(req)?);
            (
                kdf::pbkdf2_work(hash, iterations, len),
                format!(
                    "PBKDF2 with HMAC-{}: IterationCount {iterations} for each of {} output blocks",
                    hash.name(),
                    blocks(hash)
                ),
            )
        }
        DerivationMethod::Hmac | DerivationMethod::Hkdf => {
            let hash = hash_param(req)?;
            (
                kdf::hkdf_work(hash, len),
                format!(
                    "HKDF with {}: one extract and {} output blocks",
                    hash.name(),
                    blocks(hash)
                ),
            )
        }
        DerivationMethod::Nist800_108C => {
            let hash = hash_param(req)?;
            (
                kdf::kbkdf_work(hash, len),
                format!(
                    "SP 800-108 with HMAC-{}: {} output blocks",
                    hash.name(),
                    blocks(hash)
                ),
            )
        }
        _ => (0, String::new()),
    })
}

fn derive(
    req: &Request,
    base: &ManagedObject,
    key: &[u8],
    len: usize,
) -> Result<Zeroizing<Vec<u8>>, KmipError> {
    let data = req.data.as_deref().map(|d| d.as_slice());
    let out = match req.method {
        DerivationMethod::Pbkdf2 => {
            let salt = req
                .salt
                .as_deref()
                .ok_or_else(|| KmipError::missing("Salt"))?;
            let iterations = iterations(req)?;
            ekms_crypto::kdf::pbkdf2(hash_param(req)?, key, salt, iterations, len)
                .map_err(crypto_failure)?
        }
        DerivationMethod::Hmac | DerivationMethod::Hkdf => hkdf(
            hash_param(req)?,
            key,
            req.salt.as_deref().unwrap_or(&[]),
            data.unwrap_or(&[]),
            len,
        )?,
        DerivationMethod::Nist800_108C => {
            let fixed = data.ok_or_else(|| KmipError::missing("DerivationData"))?;
            ekms_crypto::kdf::kbkdf_counter_hmac(hash_param(req)?, key, fixed, len)
                .map_err(crypto_failure)?
        }
        DerivationMethod::Encrypt => {
            let data = data.ok_or_else(|| KmipError::missing("DerivationData"))?;
            let cipher = choose(base, key.len(), req.params.as_ref())?;
            let iv = match (&req.iv, cipher.iv_len()) {
                (_, 0) => Vec::new(),
                (Some(iv), _) => iv.clone(),
                (None, _) => {
                    return Err(KmipError::new(
                        ResultReason::MissingInitializationVector,
                        "ENCRYPT derivation needs an InitializationVector",
                    ));
                }
            };
            let (ct, tag) =
                sym_encrypt(cipher, key, None, &iv, &[], Zeroizing::new(data.to_vec()))?;
            let mut out = Zeroizing::new(ct);
            if let Some(tag) = tag {
                out.extend_from_slice(&tag);
            }
            out
        }
        other => {
            return Err(KmipError::new(
                ResultReason::FeatureNotSupported,
                format!(
                    "derivation method {} is not supported; use PBKDF2, HMAC, HKDF, NIST800_108_C or ENCRYPT",
                    other.name()
                ),
            ));
        }
    };
    if out.len() < len {
        return Err(bad(format!(
            "the derivation gives {} bytes, fewer than the {len} asked",
            out.len()
        )));
    }
    let mut out = out;
    out.truncate(len);
    Ok(out)
}

/// The base must be a symmetric key or secret data that may derive keys now.
fn check_base(base: &ManagedObject, now: i64) -> Result<(), KmipError> {
    check_type(
        base,
        &[ObjectType::SymmetricKey, ObjectType::SecretData],
        "DeriveKey",
    )?;
    check_usable(
        base,
        now,
        "derive keys",
        &[State::PreActive, State::Active],
        usage_mask::DERIVE_KEY,
    )
}

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let now = now();
    if !matches!(
        req.object_type,
        ObjectType::SymmetricKey | ObjectType::SecretData
    ) {
        return Err(KmipError::new(
            ResultReason::InvalidObjectType,
            "DeriveKey makes a SymmetricKey or SecretData",
        ));
    }
    let attributes = req.attributes.clone();
    let bits = attributes
        .cryptographic_length
        .ok_or_else(|| KmipError::missing("CryptographicLength of the derived object"))?;
    if bits <= 0 || bits % 8 != 0 {
        return Err(bad("CryptographicLength must be a positive multiple of 8"));
    }
    let len = bits as usize / 8;
    let algorithm = attributes.cryptographic_algorithm;
    if req.object_type == ObjectType::SymmetricKey && algorithm.is_none() {
        return Err(KmipError::missing(
            "CryptographicAlgorithm of the derived key",
        ));
    }
    let (work, what) = work(&req, len)?;
    ctx.limits.charge_kdf(work, &what)?;
    let uid = new_uid(&attributes);
    let base_uid = req.base_uid.clone();
    let (base, key) = ctx.read(|tx| {
        let base = ManagedObject::load(tx, &base_uid)?;
        check_base(&base, now)?;
        let key = secret_bytes(&base)?;
        Ok((base, key))
    })?;
    // Outside any transaction: the group's other requests go on meanwhile.
    let derived = derive(&req, &base, &key, len)?;
    drop(key);
    ctx.transact(|tx| {
        // The base may have changed (revoked, destroyed) while deriving.
        let mut base = ManagedObject::load(tx, &base_uid)?;
        check_base(&base, now)?;
        let value = SecretTtlv(match (req.object_type, algorithm) {
            (ObjectType::SymmetricKey, Some(alg)) => symmetric_value(&derived, alg),
            _ => secret_data_value(&derived, SecretDataType::Seed.as_u32()),
        });
        let mut a = attributes.clone();
        attrs::drop_server_only(&mut a);
        attrs::init_new_object(&mut a, &uid, req.object_type, now);
        match req.object_type {
            ObjectType::SymmetricKey => {
                a.cryptographic_algorithm = algorithm;
                a.cryptographic_length = Some(bits);
                a.key_format_type = Some(KeyFormatType::Raw);
            }
            _ => a.key_format_type = Some(KeyFormatType::Opaque),
        }
        a.links.push(Link {
            link_type: LinkType::DerivationBaseObjectLink,
            linked_object_identifier: base.uid.clone(),
        });
        let mut object =
            ManagedObject::new(uid.clone(), req.object_type, ctx.user, a, &value, now)?;
        object.settle_state(now);
        insert_new(tx, &object)?;
        base.attributes.links.push(Link {
            link_type: LinkType::DerivedKeyLink,
            linked_object_identifier: uid.clone(),
        });
        base.save(tx, now)
    })?;
    Ok(Response { uid })
}
