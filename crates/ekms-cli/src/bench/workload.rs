//! The workloads: the request each one repeats, built in the KMIP version's shape (1.x
//! Template-Attributes or 2.x Attributes), and what it needs made on the server first (an
//! active AES-256 key, an active ECDSA P-256 or RSA-2048 private key, a registered HMAC-SHA256
//! key, a named key to locate), or a placeholder key for `--static-answer`. Operations with a
//! shared request type (Encrypt, Decrypt, Sign, MAC, Activate, Register) are built with
//! `ekms_kmip::operations`, the types the server decodes them with (Register's attributes
//! become a 1.x Template-Attribute for a 1.x version); the version-shaped ones (Create,
//! CreateKeyPair, Locate in 1.x Template-Attributes) are built here.

use anyhow::{Context as _, Result, anyhow, bail};
use ekms_kmip::enums::{
    BlockCipherMode, CryptographicAlgorithm, HashingAlgorithm, KeyFormatType, NameType, ObjectType,
    Operation, PaddingMethod, usage_mask,
};
use ekms_kmip::operations::{KmipRequest, activate, decrypt, encrypt, mac, register, sign};
use ekms_kmip::{
    Attributes, CryptographicParameters, Fields, FromTtlv, ProtocolVersion, Tag, Ttlv,
};
use zeroize::Zeroizing;

use super::transport::{Connection, Encoding};
use crate::cli::bench::{BenchArgs, BenchOp};

/// Attributes in the version's shape: a `v1` Template-Attribute of named attributes, or a 2.x
/// structure `v2` of tagged ones. Each attribute is (its 1.x name, its 2.x item).
fn attributes(version: ProtocolVersion, v1: Tag, v2: Tag, items: Vec<(&str, Ttlv)>) -> Ttlv {
    Ttlv::structure(
        if version.is_v1() { v1 } else { v2 },
        attribute_items(version, items),
    )
}

/// Attributes as 1.x `Attribute` structures (name and value) or as 2.x tagged items.
fn attribute_items(version: ProtocolVersion, items: Vec<(&str, Ttlv)>) -> Vec<Ttlv> {
    if version.is_v1() {
        items
            .into_iter()
            .map(|(name, mut value)| {
                value.tag = Tag::ATTRIBUTE_VALUE;
                Ttlv::structure(
                    Tag::ATTRIBUTE,
                    vec![Ttlv::text(Tag::ATTRIBUTE_NAME, name), value],
                )
            })
            .collect()
    } else {
        items.into_iter().map(|(_, v)| v).collect()
    }
}

fn mask(value: u32) -> Result<i32> {
    i32::try_from(value).map_err(|_| anyhow!("usage mask out of range"))
}

fn usage(value: u32) -> Result<(&'static str, Ttlv)> {
    Ok((
        "Cryptographic Usage Mask",
        Ttlv::integer(Tag::CRYPTOGRAPHIC_USAGE_MASK, mask(value)?),
    ))
}

fn algorithm(algorithm: CryptographicAlgorithm) -> (&'static str, Ttlv) {
    (
        "Cryptographic Algorithm",
        Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, algorithm.as_u32()),
    )
}

fn length(bits: i32) -> (&'static str, Ttlv) {
    (
        "Cryptographic Length",
        Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, bits),
    )
}

fn name(value: &str) -> (&'static str, Ttlv) {
    (
        "Name",
        Ttlv::structure(
            Tag::NAME,
            vec![
                Ttlv::text(Tag::NAME_VALUE, value),
                Ttlv::enumeration(Tag::NAME_TYPE, NameType::UninterpretedTextString.as_u32()),
            ],
        ),
    )
}

fn uid(u: &str) -> Ttlv {
    Ttlv::text(Tag::UNIQUE_IDENTIFIER, u)
}

/// Create of an AES-256 key for Encrypt and Decrypt, named `name` if given. Without an
/// Activation Date (PyKMIP refuses the attribute), so it is pre-active until activated.
fn create_aes(version: ProtocolVersion, key_name: Option<&str>) -> Result<(Operation, Vec<Ttlv>)> {
    let mut items = vec![
        algorithm(CryptographicAlgorithm::Aes),
        length(256),
        usage(usage_mask::ENCRYPT | usage_mask::DECRYPT)?,
    ];
    items.extend(key_name.map(name));
    Ok((
        Operation::Create,
        vec![
            Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SymmetricKey.as_u32()),
            attributes(version, Tag::TEMPLATE_ATTRIBUTE, Tag::ATTRIBUTES, items),
        ],
    ))
}

/// CreateKeyPair: a private key for Sign, a public key for Verify.
fn create_pair(
    version: ProtocolVersion,
    pair_algorithm: CryptographicAlgorithm,
    bits: i32,
) -> Result<(Operation, Vec<Ttlv>)> {
    let (common, private, public) = if version.is_v1() {
        (
            Tag::COMMON_TEMPLATE_ATTRIBUTE,
            Tag::PRIVATE_KEY_TEMPLATE_ATTRIBUTE,
            Tag::PUBLIC_KEY_TEMPLATE_ATTRIBUTE,
        )
    } else {
        (
            Tag::COMMON_ATTRIBUTES,
            Tag::PRIVATE_KEY_ATTRIBUTES,
            Tag::PUBLIC_KEY_ATTRIBUTES,
        )
    };
    Ok((
        Operation::CreateKeyPair,
        vec![
            Ttlv::structure(
                common,
                attribute_items(version, vec![algorithm(pair_algorithm), length(bits)]),
            ),
            Ttlv::structure(
                private,
                attribute_items(version, vec![usage(usage_mask::SIGN)?]),
            ),
            Ttlv::structure(
                public,
                attribute_items(version, vec![usage(usage_mask::VERIFY)?]),
            ),
        ],
    ))
}

/// Register of a 256-bit HMAC-SHA256 key (raw bytes) for MAC: the shared request, with its
/// attributes as a 1.x Template-Attribute when the version is 1.x.
fn register_hmac(version: ProtocolVersion, key: Vec<u8>) -> Result<(Operation, Vec<Ttlv>)> {
    let bits = i32::try_from(key.len() * 8).map_err(|_| anyhow!("HMAC key too long"))?;
    let attributes = Attributes {
        cryptographic_usage_mask: Some(usage_mask::MAC_GENERATE | usage_mask::MAC_VERIFY),
        ..Default::default()
    };
    let template = version
        .is_v1()
        .then(|| attributes.to_template_attribute(Tag::TEMPLATE_ATTRIBUTE));
    let (operation, mut items) = typed(register::Request {
        object_type: ObjectType::SymmetricKey,
        attributes,
        value: register::key_value(
            Tag::SYMMETRIC_KEY,
            KeyFormatType::Raw,
            key,
            Some((CryptographicAlgorithm::HmacSha256, bits)),
        ),
    });
    if let Some(template) = template
        && let Some(slot) = items.iter_mut().find(|i| i.tag == Tag::ATTRIBUTES)
    {
        *slot = template;
    }
    Ok((operation, items))
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
    let filter = attribute_items(version, vec![name(key_name)]);
    let payload = if version.is_v1() {
        filter
    } else {
        vec![Ttlv::structure(Tag::ATTRIBUTES, filter)]
    };
    (Operation::Locate, payload)
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
    let request = create_aes(encoding.version(), None)?;
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
        BenchOp::Create => create_aes(version, None)?,
        BenchOp::Get => (
            Operation::Get,
            vec![uid(&active_aes(conn, encoding).await?)],
        ),
        BenchOp::Locate => {
            let key_name = run_name();
            let (op, payload) = create_aes(version, Some(&key_name))?;
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
            let found: Vec<String> = Fields::payload(r)
                .and_then(|mut f| f.all(Tag::UNIQUE_IDENTIFIER))
                .map_err(|e| anyhow!("the Locate response is not what KMIP says: {e}"))?;
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
                create_pair(version, alg, bits)?,
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
        BenchOp::Create => create_aes(version, None)?,
        BenchOp::Get => (Operation::Get, vec![uid(u)]),
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
