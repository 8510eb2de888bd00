//! The workloads: the request each one repeats, built in the KMIP version's shape (1.x
//! Template-Attributes or 2.x Attributes), and what it needs made on the server first (an
//! active AES-256 key, an active ECDSA P-256 or RSA-2048 private key, a registered HMAC-SHA256
//! key, a named key to locate), or a placeholder key for `--static-answer`. Operations with a
//! shared request type (every one a run sends) are built with
//! `ekms_kmip::operations`, the types the server decodes them with (for a 1.x server, the
//! attribute containers of Create, CreateKeyPair and Register become Template-Attributes and
//! Locate's filters 1.x `Attribute`s).

use anyhow::{Context as _, Result, anyhow, bail};
use ekms_kmip::enums::{
    BlockCipherMode, CryptographicAlgorithm, HashingAlgorithm, KeyFormatType, ObjectType,
    Operation, PaddingMethod, usage_mask,
};
use ekms_kmip::operations::{
    KmipRequest, activate, create, create_key_pair, decrypt, encrypt, get, locate, mac, register,
    sign, with_template_attributes,
};
use ekms_kmip::{
    Attributes, CryptographicParameters, Fields, FromTtlv, Name, ProtocolVersion, Tag, ToTtlv, Ttlv,
};
use zeroize::Zeroizing;

use super::transport::{Connection, Encoding};
use crate::cli::bench::{BenchArgs, BenchOp};

/// A request of the shared types in the version's shape: a 1.x server gets Template-Attributes.
fn shaped<R: KmipRequest>(version: ProtocolVersion, request: R) -> (Operation, Vec<Ttlv>) {
    let payload = request.to_ttlv();
    let payload = if version.is_v1() {
        with_template_attributes(payload)
    } else {
        payload
    };
    (R::OPERATION, payload.into_items())
}

/// Create of an AES-256 key for Encrypt and Decrypt, named `name` if given. Without an
/// Activation Date (PyKMIP refuses the attribute), so it is pre-active until activated.
fn create_aes(version: ProtocolVersion, key_name: Option<&str>) -> (Operation, Vec<Ttlv>) {
    let attributes = Attributes {
        cryptographic_algorithm: Some(CryptographicAlgorithm::Aes),
        cryptographic_length: Some(256),
        cryptographic_usage_mask: Some(usage_mask::ENCRYPT | usage_mask::DECRYPT),
        names: key_name.map(Name::text).into_iter().collect(),
        ..Default::default()
    };
    shaped(
        version,
        create::Request {
            object_type: ObjectType::SymmetricKey,
            attributes,
        },
    )
}

/// CreateKeyPair: a private key for Sign, a public key for Verify.
fn create_pair(
    version: ProtocolVersion,
    pair_algorithm: CryptographicAlgorithm,
    bits: i32,
) -> (Operation, Vec<Ttlv>) {
    let usage = |mask| Attributes {
        cryptographic_usage_mask: Some(mask),
        ..Default::default()
    };
    shaped(
        version,
        create_key_pair::Request {
            common: Attributes {
                cryptographic_algorithm: Some(pair_algorithm),
                cryptographic_length: Some(bits),
                ..Default::default()
            },
            private: usage(usage_mask::SIGN),
            public: usage(usage_mask::VERIFY),
        },
    )
}

/// Register of a 256-bit HMAC-SHA256 key (raw bytes) for MAC: the shared request, with its
/// attributes as a 1.x Template-Attribute when the version is 1.x.
fn register_hmac(version: ProtocolVersion, key: Vec<u8>) -> Result<(Operation, Vec<Ttlv>)> {
    let bits = i32::try_from(key.len() * 8).map_err(|_| anyhow!("HMAC key too long"))?;
    let attributes = Attributes {
        cryptographic_usage_mask: Some(usage_mask::MAC_GENERATE | usage_mask::MAC_VERIFY),
        ..Default::default()
    };
    Ok(shaped(
        version,
        register::Request {
            object_type: ObjectType::SymmetricKey,
            attributes,
            value: register::key_value(
                Tag::SYMMETRIC_KEY,
                KeyFormatType::Raw,
                key,
                Some((CryptographicAlgorithm::HmacSha256, bits)),
            ),
        },
    ))
}

/// AES-GCM with a 16-byte tag (PyKMIP requires the Tag Length in GCM mode).
fn gcm_parameters() -> Option<CryptographicParameters> {
    Some(CryptographicParameters {
        block_cipher_mode: Some(BlockCipherMode::Gcm),
        cryptographic_algorithm: Some(CryptographicAlgorithm::Aes),
        tag_length: Some(16),
        ..Default::default()
    })
}

/// The signature parameters of a sign workload, and the key pair it needs.
fn signature(op: BenchOp) -> (CryptographicAlgorithm, i32, CryptographicParameters) {
    let (alg, bits, padding) = if op == BenchOp::SignEcdsa {
        (CryptographicAlgorithm::Ecdsa, 256, None)
    } else {
        (
            CryptographicAlgorithm::Rsa,
            2048,
            Some(PaddingMethod::Pkcs1V1_5),
        )
    };
    let params = CryptographicParameters {
        padding_method: padding,
        hashing_algorithm: Some(HashingAlgorithm::Sha256),
        cryptographic_algorithm: Some(alg),
        ..Default::default()
    };
    (alg, bits, params)
}

/// A request of the shared request types as the operation and payload items a run repeats.
fn typed<R: KmipRequest>(request: R) -> (Operation, Vec<Ttlv>) {
    (R::OPERATION, request.to_ttlv().into_items())
}

/// Get of a key as stored.
fn get(u: &str) -> (Operation, Vec<Ttlv>) {
    typed(get::Request {
        uid: u.to_string(),
        format: None,
        compression: None,
        wrap_type: None,
        wrapping: None,
    })
}

fn encrypt(u: &str, data: Vec<u8>) -> (Operation, Vec<Ttlv>) {
    typed(encrypt::Request {
        uid: u.to_string(),
        params: gcm_parameters(),
        data: Zeroizing::new(data),
        iv: None,
        aad: None,
    })
}

fn decrypt(u: &str, ct: Vec<u8>, iv: Vec<u8>, tag: Vec<u8>) -> (Operation, Vec<Ttlv>) {
    typed(decrypt::Request {
        uid: u.to_string(),
        params: gcm_parameters(),
        data: ct,
        iv: Some(iv),
        aad: None,
        tag: Some(tag),
    })
}

/// Locate by Name: 1.x `Attribute`s in the payload, or a 2.x `Attributes` structure.
fn locate(version: ProtocolVersion, key_name: &str) -> (Operation, Vec<Ttlv>) {
    typed(locate::Request {
        max: None,
        offset: None,
        storage_status_mask: None,
        filters: vec![Name::text(key_name).to_ttlv()],
        v1: version.is_v1(),
    })
}

fn sign(u: &str, params: CryptographicParameters, data: Vec<u8>) -> (Operation, Vec<Ttlv>) {
    typed(sign::Request {
        uid: u.to_string(),
        params: Some(params),
        data: (data, false),
    })
}

fn mac(u: &str, data: Vec<u8>) -> (Operation, Vec<Ttlv>) {
    typed(mac::Request {
        uid: u.to_string(),
        params: None,
        data,
    })
}

/// The text field `tag` of a response payload.
fn text_of(payload: Ttlv, tag: Tag) -> Result<String> {
    Fields::payload(payload)
        .and_then(|mut f| f.required(tag))
        .map_err(|e| anyhow!("the response is not what KMIP says: {e}"))
}

/// A key identifier of ekms's length (a UUID), for requests that no server reads as KMIP.
const PLACEHOLDER_UID: &str = "00000000-0000-4000-8000-000000000000";
/// Sizes of the AES-GCM nonce and tag ekms answers, for a placeholder Decrypt.
const GCM_IV_BYTES: usize = 12;
const GCM_TAG_BYTES: usize = 16;

/// A Name of fixed length, unique enough for a run: the key a Locate finds, and only it.
fn run_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default();
    format!("ekms-bench-{:016x}", nanos ^ u64::from(std::process::id()))
}

/// Creates a key (or a pair, or registers one) and activates it; returns its identifier (the
/// private key's for a pair).
async fn active_key(
    conn: &mut Connection,
    encoding: &Encoding,
    (op, payload): (Operation, Vec<Ttlv>),
    uid_tag: Tag,
    what: &str,
) -> Result<String> {
    let r = conn
        .call(encoding, op, payload)
        .await
        .with_context(|| format!("creating the {what}"))?;
    let u = text_of(r, uid_tag)?;
    let (op, payload) = typed(activate::Request { uid: u.clone() });
    conn.call(encoding, op, payload)
        .await
        .with_context(|| format!("activating the {what}"))?;
    Ok(u)
}

/// An active AES-256 key for Encrypt and Decrypt.
async fn active_aes(conn: &mut Connection, encoding: &Encoding) -> Result<String> {
    let request = create_aes(encoding.version(), None);
    active_key(conn, encoding, request, Tag::UNIQUE_IDENTIFIER, "AES key").await
}

/// Makes what the workload needs on the server; returns the request the run repeats.
pub(super) async fn prepare(
    conn: &mut Connection,
    encoding: &Encoding,
    args: &BenchArgs,
    data: Vec<u8>,
) -> Result<(Operation, Vec<Ttlv>)> {
    let version = encoding.version();
    Ok(match args.op {
        BenchOp::Encrypt => encrypt(&active_aes(conn, encoding).await?, data),
        BenchOp::Decrypt => {
            let u = active_aes(conn, encoding).await?;
            let (op, payload) = encrypt(&u, data);
            let r = conn
                .call(encoding, op, payload)
                .await
                .context("making the ciphertext to decrypt")?;
            let r = encrypt::Response::from_ttlv(r)
                .map_err(|e| anyhow!("the Encrypt response is not what KMIP says: {e}"))?;
            let missing = |what: &str| anyhow!("the Encrypt response has no {what}");
            decrypt(
                &u,
                r.data,
                r.iv.ok_or_else(|| missing("IVCounterNonce"))?,
                r.tag.ok_or_else(|| missing("AuthenticatedEncryptionTag"))?,
            )
        }
        BenchOp::Create => create_aes(version, None),
        BenchOp::Get => get(&active_aes(conn, encoding).await?),
        BenchOp::Locate => {
            let key_name = run_name();
            let (op, payload) = create_aes(version, Some(&key_name));
            let r = conn
                .call(encoding, op, payload)
                .await
                .context("creating the AES key to locate")?;
            let u = text_of(r, Tag::UNIQUE_IDENTIFIER)?;
            // The run measures a Locate that finds the key: check it does once.
            let (op, payload) = locate(version, &key_name);
            let r = conn
                .call(encoding, op, payload.clone())
                .await
                .context("locating the key by its name")?;
            let found = locate::Response::from_ttlv(r)
                .map_err(|e| anyhow!("the Locate response is not what KMIP says: {e}"))?
                .uids;
            if found != [u.as_str()] {
                bail!("Locate by the Name {key_name} found {found:?}, not the key {u} alone");
            }
            (op, payload)
        }
        BenchOp::SignEcdsa | BenchOp::SignRsa => {
            let (alg, bits, params) = signature(args.op);
            let u = active_key(
                conn,
                encoding,
                create_pair(version, alg, bits),
                Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER,
                "key pair",
            )
            .await?;
            sign(&u, params, data)
        }
        BenchOp::Hmac => {
            let key = ekms_crypto::rand::random_bytes(32)
                .map_err(|e| anyhow!("no random bytes for the HMAC key: {e}"))?;
            let u = active_key(
                conn,
                encoding,
                register_hmac(version, key)?,
                Tag::UNIQUE_IDENTIFIER,
                "HMAC key",
            )
            .await?;
            mac(&u, data)
        }
    })
}

/// The request of a workload for `--static-answer`: the shape and sizes of the real one, with
/// a placeholder key.
pub(super) fn placeholder(
    encoding: &Encoding,
    args: &BenchArgs,
    data: Vec<u8>,
) -> Result<(Operation, Vec<Ttlv>)> {
    let u = PLACEHOLDER_UID;
    let version = encoding.version();
    Ok(match args.op {
        BenchOp::Encrypt => encrypt(u, data),
        BenchOp::Decrypt => decrypt(u, data, vec![0; GCM_IV_BYTES], vec![0; GCM_TAG_BYTES]),
        BenchOp::Create => create_aes(version, None),
        BenchOp::Get => get(u),
        BenchOp::Locate => locate(version, &run_name()),
        BenchOp::SignEcdsa | BenchOp::SignRsa => sign(u, signature(args.op).2, data),
        BenchOp::Hmac => mac(u, data),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_is_shaped_by_the_version() {
        let tags = |version| {
            let (operation, items) = register_hmac(version, vec![1; 32]).unwrap();
            assert_eq!(operation, Operation::Register);
            items.into_iter().map(|i| i.tag).collect::<Vec<_>>()
        };
        assert_eq!(
            tags(ProtocolVersion::V1_4),
            [
                Tag::OBJECT_TYPE,
                Tag::TEMPLATE_ATTRIBUTE,
                Tag::SYMMETRIC_KEY
            ]
        );
        assert_eq!(
            tags(ProtocolVersion::V2_1),
            [Tag::OBJECT_TYPE, Tag::ATTRIBUTES, Tag::SYMMETRIC_KEY]
        );
    }
}
