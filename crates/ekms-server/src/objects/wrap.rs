//! Key wrapping for Get and Export: the Key Wrapping Specification of a request, and the
//! wrapped Key Block with its Key Wrapping Data.
//!
//! Wrapping Method Encrypt only, with an Active wrapping key whose usage mask allows WrapKey:
//! an AES key wraps with AES-KW (RFC 3394, Block Cipher Mode NISTKeyWrap, the default) or
//! AES-KWP (RFC 5649, AESKeyWrapPadding, and automatically when the data is not a multiple of
//! 8 bytes); an RSA public key wraps with RSA-OAEP (SHA-256 unless the Cryptographic
//! Parameters name another hash). Either way the wrapped Key Value is a byte string, as KMIP
//! writes it: Encoding Option No Encoding (the default) wraps the bytes of the Key Material,
//! TTLV Encoding the whole Key Value encoded as TTLV.

use super::cipher::check_usable;
use super::keys::{key_block, secret_bytes};
use super::object::{ManagedObject, SecretTtlv};
use super::{asym, now};
use crate::error::KmipError;
use ekms_kmip::enums::{
    BlockCipherMode, CryptographicAlgorithm, EncodingOption, ObjectType, PaddingMethod,
    ResultReason, State, WrappingMethod, usage_mask,
};
use ekms_kmip::operations::get::KeyWrappingSpecification;
use ekms_kmip::{CryptographicParameters, ProtocolVersion, Tag, ToTtlv, Ttlv, Value};
use ekms_store::StoreTx;
use zeroize::Zeroizing;

/// A Key Wrapping Specification as the server wraps with it.
pub struct WrappingSpec {
    pub method: WrappingMethod,
    pub key_uid: String,
    pub params: Option<CryptographicParameters>,
    pub encoding: EncodingOption,
    /// The Encryption Key Information of the request, echoed in the Key Wrapping Data.
    key_information: Ttlv,
    /// Whether a No Encoding wrap keeps the Key Value structure (the wrapped bytes as its Key
    /// Material) instead of the byte string KMIP defines: for clients of KMIP before 1.4
    /// ([`WrappingSpec::for_version`]).
    structured_key_value: bool,
}

impl WrappingSpec {
    /// The specification of a request, decoded by [`ekms_kmip::operations::get`] (which
    /// refuses the methods and options ekms does not wrap with).
    pub fn new(spec: KeyWrappingSpecification) -> Self {
        let key_uid = spec.key.uid.clone();
        let params = spec.key.params.clone();
        Self {
            method: spec.method,
            key_uid,
            params,
            encoding: spec.encoding.unwrap_or(EncodingOption::NoEncoding),
            key_information: spec.key.to_ttlv(),
            structured_key_value: false,
        }
    }

    /// The form of a No Encoding wrap for a client of `version`: KMIP 1.4 and later get the
    /// byte string the specification defines (the OASIS 1.4 and 2.1 test cases check it);
    /// earlier clients keep the Key Value structure ekms answered before, which they read
    /// (PyKMIP 0.11, speaking 1.2, cannot read a byte string there). docs/kmip.md, "Leniency".
    pub fn for_version(mut self, version: ProtocolVersion) -> Self {
        self.structured_key_value = version < ProtocolVersion::V1_4;
        self
    }

    /// Loads the wrapping key (WrappingObjectNotFound if there is none).
    pub fn load_key(&self, tx: &mut dyn StoreTx) -> Result<ManagedObject, KmipError> {
        ManagedObject::load(tx, &self.key_uid).map_err(|e| {
            if e.reason == ResultReason::ObjectNotFound {
                KmipError::new(
                    ResultReason::WrappingObjectNotFound,
                    format!("no wrapping key {}", self.key_uid),
                )
            } else {
                e
            }
        })
    }

    fn key_wrapping_data(&self) -> Ttlv {
        Ttlv::structure(
            Tag::KEY_WRAPPING_DATA,
            vec![
                Ttlv::enumeration(Tag::WRAPPING_METHOD, self.method.as_u32()),
                self.key_information.clone(),
                Ttlv::enumeration(Tag::ENCODING_OPTION, self.encoding.as_u32()),
            ],
        )
    }
}

/// Encrypts `data` under the wrapping key.
pub fn wrap_bytes(
    key: &ManagedObject,
    params: Option<&CryptographicParameters>,
    data: &[u8],
) -> Result<Vec<u8>, KmipError> {
    if key.is_destroyed() {
        return Err(KmipError::new(
            ResultReason::WrappingObjectDestroyed,
            format!("wrapping key {} was destroyed", key.uid),
        ));
    }
    check_usable(
        key,
        now(),
        "wrap keys",
        &[State::Active],
        usage_mask::WRAP_KEY,
    )?;
    let failed = super::cipher::crypto_failure;
    match key.object_type {
        ObjectType::SymmetricKey => {
            if !matches!(
                key.attributes.cryptographic_algorithm,
                None | Some(CryptographicAlgorithm::Aes)
            ) {
                return Err(KmipError::new(
                    ResultReason::IllegalObjectType,
                    format!("wrapping key {} is not an AES key", key.uid),
                ));
            }
            let kek = secret_bytes(key)?;
            let mode = params.and_then(|p| p.block_cipher_mode);
            match mode {
                None | Some(BlockCipherMode::NistKeyWrap)
                    if data.len() >= 16 && data.len().is_multiple_of(8) =>
                {
                    ekms_crypto::keywrap::wrap(&kek, data).map_err(failed)
                }
                None
                | Some(BlockCipherMode::NistKeyWrap)
                | Some(BlockCipherMode::AesKeyWrapPadding) => {
                    ekms_crypto::keywrap::wrap_pad(&kek, data).map_err(failed)
                }
                Some(m) => Err(KmipError::new(
                    ResultReason::FeatureNotSupported,
                    format!(
                        "AES key wrapping uses NISTKeyWrap or AESKeyWrapPadding, not {}",
                        m.name()
                    ),
                )),
            }
        }
        ObjectType::PublicKey => {
            if let Some(p) = params.and_then(|p| p.padding_method)
                && p != PaddingMethod::Oaep
            {
                return Err(KmipError::new(
                    ResultReason::FeatureNotSupported,
                    format!("RSA key wrapping uses OAEP, not {}", p.name()),
                ));
            }
            asym::rsa_oaep_encrypt(key, params, data)
        }
        other => Err(KmipError::new(
            ResultReason::IllegalObjectType,
            format!(
                "wrapping key {} is a {}: ekms wraps with AES keys and RSA public keys",
                key.uid,
                other.name()
            ),
        )),
    }
}

/// Decrypts wrapped `data` with the unwrapping key (Import of wrapped keys).
pub fn unwrap_bytes(
    key: &ManagedObject,
    params: Option<&CryptographicParameters>,
    data: &[u8],
) -> Result<Zeroizing<Vec<u8>>, KmipError> {
    if key.is_destroyed() {
        return Err(KmipError::new(
            ResultReason::WrappingObjectDestroyed,
            format!("unwrapping key {} was destroyed", key.uid),
        ));
    }
    check_usable(
        key,
        now(),
        "unwrap keys",
        &[State::Active, State::Deactivated],
        usage_mask::UNWRAP_KEY,
    )?;
    let failed = super::cipher::crypto_failure;
    match key.object_type {
        ObjectType::SymmetricKey => {
            let kek = secret_bytes(key)?;
            match params.and_then(|p| p.block_cipher_mode) {
                Some(BlockCipherMode::AesKeyWrapPadding) => {
                    ekms_crypto::keywrap::unwrap_pad(&kek, data).map_err(failed)
                }
                None | Some(BlockCipherMode::NistKeyWrap) => {
                    // RFC 3394 output is a multiple of 8 bytes; try it, then the padded form.
                    ekms_crypto::keywrap::unwrap(&kek, data)
                        .or_else(|_| ekms_crypto::keywrap::unwrap_pad(&kek, data))
                        .map_err(failed)
                }
                Some(m) => Err(KmipError::new(
                    ResultReason::FeatureNotSupported,
                    format!(
                        "AES key unwrapping uses NISTKeyWrap or AESKeyWrapPadding, not {}",
                        m.name()
                    ),
                )),
            }
        }
        ObjectType::PrivateKey => asym::rsa_oaep_decrypt(key, params, data),
        other => Err(KmipError::new(
            ResultReason::IllegalObjectType,
            format!(
                "unwrapping key {} is a {}: ekms unwraps with AES keys and RSA private keys",
                key.uid,
                other.name()
            ),
        )),
    }
}

/// The value of `obj` with its Key Block wrapped as `spec` says, under `key`.
pub fn wrap_value(
    obj: &ManagedObject,
    value: SecretTtlv,
    spec: &WrappingSpec,
    key: &ManagedObject,
) -> Result<SecretTtlv, KmipError> {
    if key.uid == obj.uid {
        return Err(KmipError::new(
            ResultReason::IllegalOperation,
            "a key cannot wrap itself",
        ));
    }
    let block = key_block(&value).ok_or_else(|| {
        KmipError::new(
            ResultReason::IllegalObjectType,
            format!("a {} has no key block to wrap", obj.object_type.name()),
        )
    })?;
    if block.child(Tag::KEY_WRAPPING_DATA).is_some() {
        return Err(KmipError::new(
            ResultReason::IllegalOperation,
            format!("object {} is already stored wrapped", obj.uid),
        ));
    }
    let key_value = block
        .child(Tag::KEY_VALUE)
        .ok_or_else(|| KmipError::missing("KeyValue"))?;
    let new_key_value = match spec.encoding {
        EncodingOption::NoEncoding => {
            let material = key_value
                .child(Tag::KEY_MATERIAL)
                .and_then(Ttlv::as_bytes)
                .ok_or_else(|| {
                    KmipError::new(
                        ResultReason::EncodingOptionError,
                        "a structured (Transparent) key can only be wrapped with TTLV encoding",
                    )
                })?;
            let wrapped = wrap_bytes(key, spec.params.as_ref(), material)?;
            if spec.structured_key_value {
                Ttlv::structure(
                    Tag::KEY_VALUE,
                    vec![Ttlv::bytes(Tag::KEY_MATERIAL, wrapped)],
                )
            } else {
                // KMIP: a wrapped Key Value is a byte string, here the wrapped Key Material.
                Ttlv::bytes(Tag::KEY_VALUE, wrapped)
            }
        }
        EncodingOption::TtlvEncoding => {
            let encoded = Zeroizing::new(ekms_kmip::binary::to_vec(key_value));
            let wrapped = wrap_bytes(key, spec.params.as_ref(), &encoded)?;
            Ttlv::bytes(Tag::KEY_VALUE, wrapped)
        }
    };
    let mut items: Vec<Ttlv> = Vec::new();
    for item in block.items() {
        match item.tag {
            Tag::KEY_VALUE => items.push(new_key_value.clone()),
            _ => items.push(item.clone()),
        }
    }
    items.push(spec.key_wrapping_data());
    let mut out = value.0.clone();
    if let Value::Structure(fields) = &mut out.value {
        for f in fields.iter_mut() {
            if f.tag == Tag::KEY_BLOCK {
                *f = Ttlv::structure(Tag::KEY_BLOCK, items.clone());
            }
        }
    }
    Ok(SecretTtlv(out))
}
