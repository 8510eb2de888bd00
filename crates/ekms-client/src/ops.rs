//! Typed helpers for the KMIP operations of the symmetric key life cycle.
//!
//! Each helper builds one KMIP 2.1 operation's request with the request type the server
//! decodes it with ([`ekms_kmip::operations`]), sends it to `POST /kmip/2_1` in JSON TTLV
//! ([`Client::call`]) and reads the answer with the same crate's response type, and reads
//! the values inside an answer (a Get's key block) with the same field reader,
//! [`ekms_kmip::Fields`]. Server
//! refusals come back as [`Error::Api`](crate::Error::Api) with the KMIP ResultReason as code
//! (`ObjectNotFound`, `WrongKeyLifecycleState`, `CryptographicFailure`, ...).

use std::fmt;
use std::str::FromStr;

use ekms_kmip::enums::{
    self, BlockCipherMode, CryptographicAlgorithm, NameType, ObjectType, Operation,
    RevocationReasonCode, State, usage_mask,
};
use ekms_kmip::operations::{
    KmipRequest, activate, create, decrypt, destroy, encrypt, get, get_attributes, locate, revoke,
};
use ekms_kmip::{Attributes, CryptographicParameters, Fields, FromTtlv, Name, Tag, Ttlv, Value};
use zeroize::Zeroizing;

use crate::client::Client;
use crate::error::{Error, Result};

/// Symmetric key algorithms the client creates keys for and encrypts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymmetricAlgorithm {
    /// AES (128, 192 or 256 bits); encryption is AES-GCM.
    Aes,
    /// ChaCha20 (256 bits); encryption is ChaCha20-Poly1305.
    ChaCha20,
}

impl SymmetricAlgorithm {
    /// The KMIP CryptographicAlgorithm of the key.
    pub fn kmip(self) -> CryptographicAlgorithm {
        match self {
            SymmetricAlgorithm::Aes => CryptographicAlgorithm::Aes,
            SymmetricAlgorithm::ChaCha20 => CryptographicAlgorithm::ChaCha20,
        }
    }

    /// The algorithm of a key from its KMIP CryptographicAlgorithm.
    pub fn from_kmip(algorithm: CryptographicAlgorithm) -> Option<Self> {
        match algorithm {
            CryptographicAlgorithm::Aes => Some(SymmetricAlgorithm::Aes),
            CryptographicAlgorithm::ChaCha20 | CryptographicAlgorithm::ChaCha20Poly1305 => {
                Some(SymmetricAlgorithm::ChaCha20)
            }
            _ => None,
        }
    }

    /// Key sizes allowed for the algorithm.
    pub fn allowed_bits(self) -> &'static [u32] {
        match self {
            SymmetricAlgorithm::Aes => &[128, 192, 256],
            SymmetricAlgorithm::ChaCha20 => &[256],
        }
    }

    /// The CryptographicParameters sent with Encrypt and Decrypt under a key of this algorithm.
    fn aead_parameters(self) -> CryptographicParameters {
        match self {
            SymmetricAlgorithm::Aes => CryptographicParameters {
                block_cipher_mode: Some(BlockCipherMode::Gcm),
                cryptographic_algorithm: Some(CryptographicAlgorithm::Aes),
                ..Default::default()
            },
            SymmetricAlgorithm::ChaCha20 => CryptographicParameters {
                cryptographic_algorithm: Some(CryptographicAlgorithm::ChaCha20Poly1305),
                ..Default::default()
            },
        }
    }
}

impl fmt::Display for SymmetricAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SymmetricAlgorithm::Aes => "aes",
            SymmetricAlgorithm::ChaCha20 => "chacha20",
        })
    }
}

impl FromStr for SymmetricAlgorithm {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "aes" => Ok(SymmetricAlgorithm::Aes),
            "chacha20" | "chacha20-poly1305" => Ok(SymmetricAlgorithm::ChaCha20),
            _ => Err(Error::Invalid(format!(
                "unknown algorithm {s:?} (expected aes or chacha20)"
            ))),
        }
    }
}

/// Filters of a Locate; every filter set must match.
#[derive(Clone, Debug, Default)]
pub struct LocateFilter {
    /// The Name attribute.
    pub name: Option<String>,
    /// The object type.
    pub object_type: Option<ObjectType>,
    /// The cryptographic algorithm.
    pub algorithm: Option<CryptographicAlgorithm>,
    /// The life-cycle state.
    pub state: Option<State>,
    /// At most this many identifiers.
    pub maximum_items: Option<i32>,
    /// Skip this many identifiers first.
    pub offset_items: Option<i32>,
}

/// The result of a Locate.
#[derive(Clone, Debug, Default)]
pub struct Located {
    /// The identifiers found (within MaximumItems / OffsetItems).
    pub unique_identifiers: Vec<String>,
    /// How many objects match in all, when the server says.
    pub located_items: Option<i64>,
}

/// A symmetric key as returned by Get.
pub struct SymmetricKeyMaterial {
    /// The key's identifier.
    pub unique_identifier: String,
    /// KMIP KeyFormatType name.
    pub key_format_type: Option<String>,
    /// KMIP CryptographicAlgorithm name.
    pub algorithm: Option<String>,
    /// Key length in bits.
    pub length: Option<i64>,
    /// The key bytes (zeroized on drop).
    pub material: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for SymmetricKeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SymmetricKeyMaterial")
            .field("unique_identifier", &self.unique_identifier)
            .field("key_format_type", &self.key_format_type)
            .field("algorithm", &self.algorithm)
            .field("length", &self.length)
            .field("material", &"<redacted>")
            .finish()
    }
}

/// One attribute of an object, as returned by GetAttributes.
#[derive(Clone, Debug)]
pub struct Attribute {
    /// KMIP name of the attribute (`State`, `Name`, ...).
    pub name: String,
    /// A human form of the value.
    pub display: String,
    /// The item as the server sent it.
    pub ttlv: Ttlv,
}

/// The attributes of an object.
#[derive(Clone, Debug)]
pub struct ObjectAttributes {
    /// The object's identifier.
    pub unique_identifier: String,
    /// Its attributes in the server's order.
    pub attributes: Vec<Attribute>,
}

impl ObjectAttributes {
    /// The first attribute named `name`.
    pub fn get(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }
}

/// What Encrypt returns.
#[derive(Clone, Debug)]
pub struct Encrypted {
    /// The IV/nonce the server drew.
    pub iv: Vec<u8>,
    /// The ciphertext (same length as the plaintext).
    pub ciphertext: Vec<u8>,
    /// The authentication tag.
    pub tag: Vec<u8>,
}

impl Client {
    /// `POST /kmip/2_1` with one operation as a TTLV tree; returns the response operation.
    pub async fn kmip_2_1(&self, operation: &Ttlv) -> Result<Ttlv> {
        let answer = self
            .kmip_2_1_raw(ekms_kmip::json::to_vec(operation))
            .await?;
        ekms_kmip::json::from_slice(&answer)
            .map_err(|e| Error::Protocol(format!("the KMIP answer is not JSON TTLV: {e}")))
    }

    /// Sends one operation's request and reads its response with the types the server
    /// decodes and encodes them with.
    pub async fn call<R: KmipRequest>(&self, request: R) -> Result<R::Response> {
        let operation = R::OPERATION;
        let request = request
            .to_ttlv()
            .retagged(Tag::operation_request(operation.as_u32()));
        let response = self.send_operation(operation, &request).await?;
        R::Response::from_ttlv(response).map_err(|e| {
            Error::Protocol(format!(
                "the {}Response is not KMIP: {e}",
                R::OPERATION.name()
            ))
        })
    }

    /// Sends `request` (the operation's request structure) and checks the answer is its
    /// response.
    async fn send_operation(&self, operation: Operation, request: &Ttlv) -> Result<Ttlv> {
        let response = self.kmip_2_1(request).await?;
        let expected = Tag::operation_response(operation.as_u32());
        if response.tag != expected {
            return Err(Error::Protocol(format!(
                "expected {}, got {}",
                tag_name(expected),
                tag_name(response.tag)
            )));
        }
        Ok(response)
    }

    /// Create: a symmetric key usable for encryption and decryption.
    ///
    /// With `activate`, the ActivationDate is now, so the key is Active at once; otherwise it
    /// is PreActive until [`Client::activate`]. Returns the key's unique identifier.
    pub async fn create_symmetric_key(
        &self,
        algorithm: SymmetricAlgorithm,
        bits: u32,
        name: Option<&str>,
        activate: bool,
    ) -> Result<String> {
        if !algorithm.allowed_bits().contains(&bits) {
            let allowed: Vec<String> = algorithm
                .allowed_bits()
                .iter()
                .map(u32::to_string)
                .collect();
            return Err(Error::Invalid(format!(
                "{algorithm} keys have {} bits, not {bits}",
                allowed.join(", ")
            )));
        }
        let bits = i32::try_from(bits).map_err(|_| Error::Invalid("key size".into()))?;
        let usage = i32::try_from(usage_mask::ENCRYPT | usage_mask::DECRYPT)
            .map_err(|_| Error::Invalid("usage mask".into()))?;
        let attributes = Attributes {
            cryptographic_algorithm: Some(algorithm.kmip()),
            cryptographic_length: Some(bits),
            cryptographic_usage_mask: u32::try_from(usage).ok(),
            names: name.map(Name::text).into_iter().collect(),
            activation_date: activate.then(now),
            ..Default::default()
        };
        let response = self
            .call(create::Request {
                object_type: ObjectType::SymmetricKey,
                attributes,
            })
            .await?;
        Ok(response.uid)
    }

    /// Get: the key material of a symmetric key.
    pub async fn get(&self, uid: &str) -> Result<SymmetricKeyMaterial> {
        let response = self
            .call(get::Request {
                uid: uid.into(),
                format: None,
                compression: None,
                wrap_type: None,
                wrapping: None,
            })
            .await?;
        let unique_identifier = response.uid;
        if response.object_type != ObjectType::SymmetricKey {
            return Err(Error::Invalid(format!(
                "object {unique_identifier} is a {}, not a symmetric key",
                response.object_type.name()
            )));
        }
        let mut key = Fields::payload(response.value).map_err(protocol)?;
        let mut block =
            Fields::payload(key.required(Tag::KEY_BLOCK).map_err(protocol)?).map_err(protocol)?;
        let key_format_type = block.first(Tag::KEY_FORMAT_TYPE).map(display);
        let algorithm = block.first(Tag::CRYPTOGRAPHIC_ALGORITHM).map(display);
        let length = block
            .first(Tag::CRYPTOGRAPHIC_LENGTH)
            .and_then(Ttlv::as_i64);
        let mut value =
            Fields::payload(block.required(Tag::KEY_VALUE).map_err(protocol)?).map_err(protocol)?;
        let material: Ttlv = value.required(Tag::KEY_MATERIAL).map_err(protocol)?;
        // Raw keys carry the bytes; TransparentSymmetricKey wraps them in a Key field. The
        // bytes move out of the tree into a buffer wiped on drop.
        let material: Zeroizing<Vec<u8>> = if material.child(Tag::KEY).is_some() {
            Fields::payload(material).and_then(|mut m| m.required(Tag::KEY))
        } else {
            FromTtlv::from_ttlv(material)
        }
        .map_err(protocol)?;
        Ok(SymmetricKeyMaterial {
            unique_identifier,
            key_format_type,
            algorithm,
            length,
            material,
        })
    }

    /// GetAttributes: every attribute of an object, or only the named ones.
    pub async fn get_attributes(&self, uid: &str, names: &[Tag]) -> Result<ObjectAttributes> {
        let request = get_attributes::Request {
            uid: uid.into(),
            references: names
                .iter()
                .map(|name| enumeration(Tag::ATTRIBUTE_REFERENCE, name.0))
                .collect(),
            names: Vec::new(),
        };
        let response = self.call(request).await?;
        // A 2.x answer: one Attributes structure of tagged items.
        let items = match response
            .attributes
            .into_iter()
            .find(|a| a.tag == Tag::ATTRIBUTES)
        {
            Some(Ttlv {
                value: Value::Structure(items),
                ..
            }) => items,
            _ => Vec::new(),
        };
        let attributes = items
            .into_iter()
            .map(|item| Attribute {
                name: tag_name(item.tag),
                display: display(&item),
                ttlv: item,
            })
            .collect();
        Ok(ObjectAttributes {
            unique_identifier: response.uid,
            attributes,
        })
    }

    /// Locate: identifiers of the objects matching every filter.
    pub async fn locate(&self, filter: &LocateFilter) -> Result<Located> {
        let mut filters = Vec::new();
        if let Some(object_type) = filter.object_type {
            filters.push(enumeration(Tag::OBJECT_TYPE, object_type.as_u32()));
        }
        if let Some(algorithm) = filter.algorithm {
            filters.push(enumeration(
                Tag::CRYPTOGRAPHIC_ALGORITHM,
                algorithm.as_u32(),
            ));
        }
        if let Some(state) = filter.state {
            filters.push(enumeration(Tag::STATE, state.as_u32()));
        }
        if let Some(name) = &filter.name {
            filters.push(name_attribute(name));
        }
        let response = self
            .call(locate::Request {
                max: filter.maximum_items,
                offset: filter.offset_items,
                storage_status_mask: None,
                filters,
                v1: false,
            })
            .await?;
        Ok(Located {
            unique_identifiers: response.uids,
            located_items: response.located_items.map(i64::from),
        })
    }

    /// Activate: PreActive to Active.
    pub async fn activate(&self, uid: &str) -> Result<String> {
        let request = activate::Request { uid: uid.into() };
        Ok(self.call(request).await?.uid)
    }

    /// Revoke: the key stops encrypting (Deactivated, or Compromised for a compromise).
    pub async fn revoke(
        &self,
        uid: &str,
        reason: RevocationReasonCode,
        message: Option<&str>,
    ) -> Result<String> {
        let compromise = matches!(
            reason,
            RevocationReasonCode::KeyCompromise | RevocationReasonCode::CaCompromise
        );
        let request = revoke::Request {
            uid: uid.into(),
            reason,
            message: message.map(str::to_string),
            compromise_occurrence_date: compromise.then(now),
            cascade: None,
        };
        Ok(self.call(request).await?.uid)
    }

    /// Destroy: the key material is erased (an Active key must be revoked first).
    pub async fn destroy(&self, uid: &str) -> Result<String> {
        let request = destroy::Request {
            uid: uid.into(),
            cascade: None,
        };
        Ok(self.call(request).await?.uid)
    }

    /// The algorithm of a symmetric key, read with GetAttributes.
    pub async fn symmetric_algorithm(&self, uid: &str) -> Result<SymmetricAlgorithm> {
        let attributes = self
            .get_attributes(uid, &[Tag::CRYPTOGRAPHIC_ALGORITHM])
            .await?;
        let item = attributes.get("CryptographicAlgorithm").ok_or_else(|| {
            Error::Protocol(format!("key {uid} has no CryptographicAlgorithm attribute"))
        })?;
        item.ttlv
            .as_enum()
            .and_then(CryptographicAlgorithm::from_u32)
            .and_then(SymmetricAlgorithm::from_kmip)
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "key {uid} is a {} key: only AES and ChaCha20 keys encrypt files",
                    item.display
                ))
            })
    }

    /// Encrypt with an AEAD; the server draws the IV.
    ///
    /// `algorithm` names the key's algorithm and so the AEAD (AES-GCM or ChaCha20-Poly1305),
    /// sent as CryptographicParameters; with `None` none are sent and the server uses the
    /// key's default.
    pub async fn encrypt(
        &self,
        uid: &str,
        algorithm: Option<SymmetricAlgorithm>,
        data: &[u8],
        aad: Option<&[u8]>,
    ) -> Result<Encrypted> {
        let request = encrypt::Request {
            uid: uid.into(),
            params: algorithm.map(SymmetricAlgorithm::aead_parameters),
            data: Zeroizing::new(data.to_vec()),
            iv: None,
            aad: aad.map(<[u8]>::to_vec),
        };
        let response = self.call(request).await?;
        let missing =
            |tag: Tag| Error::Protocol(format!("EncryptResponse has no {}", tag_name(tag)));
        Ok(Encrypted {
            ciphertext: response.data,
            iv: response.iv.ok_or_else(|| missing(Tag::IV_COUNTER_NONCE))?,
            tag: response
                .tag
                .ok_or_else(|| missing(Tag::AUTHENTICATED_ENCRYPTION_TAG))?,
        })
    }

    /// Decrypt with an AEAD (`algorithm` as for [`Client::encrypt`]); fails (server side)
    /// when the tag does not verify.
    pub async fn decrypt(
        &self,
        uid: &str,
        algorithm: Option<SymmetricAlgorithm>,
        ciphertext: &[u8],
        iv: &[u8],
        tag: &[u8],
        aad: Option<&[u8]>,
    ) -> Result<Zeroizing<Vec<u8>>> {
        let request = decrypt::Request {
            uid: uid.into(),
            params: algorithm.map(SymmetricAlgorithm::aead_parameters),
            data: ciphertext.to_vec(),
            iv: Some(iv.to_vec()),
            aad: aad.map(<[u8]>::to_vec),
            tag: Some(tag.to_vec()),
        };
        // The response's plaintext moves out of the tree into a buffer wiped on drop.
        Ok(self.call(request).await?.data)
    }
}

fn enumeration(tag: Tag, value: u32) -> Ttlv {
    Ttlv::enumeration(tag, value)
}

fn name_attribute(name: &str) -> Ttlv {
    Ttlv::structure(
        Tag::NAME,
        vec![
            Ttlv::text(Tag::NAME_VALUE, name),
            enumeration(Tag::NAME_TYPE, NameType::UninterpretedTextString.as_u32()),
        ],
    )
}

/// Now, in whole seconds since the Unix epoch.
fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn tag_name(tag: Tag) -> String {
    tag.name()
        .map(str::to_string)
        .unwrap_or_else(|| format!("0x{:06X}", tag.0))
}

/// A response that is not what KMIP says it is.
fn protocol(e: ekms_kmip::Error) -> Error {
    Error::Protocol(format!("the KMIP answer is malformed: {e}"))
}

/// A short human form of an item's value (nested structures as `{Tag=value, ...}`; a Name as
/// its value).
pub fn display(item: &Ttlv) -> String {
    match &item.value {
        Value::Structure(items) => {
            if item.tag == Tag::NAME
                && let Some(v) = item.child(Tag::NAME_VALUE).and_then(Ttlv::as_text)
            {
                return v.to_string();
            }
            let parts: Vec<String> = items
                .iter()
                .map(|c| format!("{}={}", tag_name(c.tag), display(c)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        Value::Enumeration(v) => enums::enum_name(item.tag, *v)
            .map(str::to_string)
            .unwrap_or_else(|| format!("0x{v:08X}")),
        Value::Integer(v) => match enums::mask_names(item.tag) {
            Some(names) => mask_by_name(names, *v as u32),
            None => v.to_string(),
        },
        Value::LongInteger(v) => v.to_string(),
        Value::BigInteger(b) => format!("0x{}", hex::encode_upper(b)),
        Value::Boolean(b) => b.to_string(),
        Value::TextString(s) => s.clone(),
        Value::ByteString(b) => hex::encode_upper(b),
        Value::DateTime(s) => ekms_kmip::json::format_datetime(*s),
        Value::Interval(v) => format!("{v}s"),
        Value::DateTimeExtended(us) => {
            let secs = us.div_euclid(1_000_000);
            format!(
                "{} +{}us",
                ekms_kmip::json::format_datetime(secs),
                us.rem_euclid(1_000_000)
            )
        }
    }
}

/// A bit mask as the names of its bits joined by `|` (KMIP's JSON spelling, e.g.
/// `Encrypt|Decrypt`), with any bit the table does not name as hex; `0` for no bit.
fn mask_by_name(names: &[(&str, u32)], mask: u32) -> String {
    let named: u32 = names.iter().fold(0, |acc, (_, bit)| acc | bit);
    let mut parts: Vec<String> = names
        .iter()
        .filter(|(_, bit)| mask & bit != 0)
        .map(|(name, _)| (*name).to_string())
        .collect();
    if mask & !named != 0 {
        parts.push(format!("0x{:08X}", mask & !named));
    }
    if parts.is_empty() {
        "0".to_string()
    } else {
        parts.join("|")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ekms_kmip::ToTtlv;

    #[test]
    fn algorithm_names() {
        assert_eq!(
            "AES".parse::<SymmetricAlgorithm>().ok(),
            Some(SymmetricAlgorithm::Aes)
        );
        assert_eq!(
            "chacha20".parse::<SymmetricAlgorithm>().ok(),
            Some(SymmetricAlgorithm::ChaCha20)
        );
        assert!("des".parse::<SymmetricAlgorithm>().is_err());
        assert_eq!(
            SymmetricAlgorithm::from_kmip(CryptographicAlgorithm::ChaCha20),
            Some(SymmetricAlgorithm::ChaCha20)
        );
        assert_eq!(
            SymmetricAlgorithm::from_kmip(CryptographicAlgorithm::Rsa),
            None
        );
    }

    #[test]
    fn aes_parameters_name_gcm() {
        let p = SymmetricAlgorithm::Aes.aead_parameters().to_ttlv();
        let json = ekms_kmip::json::to_value(&p);
        assert_eq!(json["value"][0]["tag"], "BlockCipherMode");
        assert_eq!(json["value"][0]["value"], "GCM");
    }

    #[test]
    fn create_request_shape() {
        let request = Ttlv::structure(
            Tag::operation_request(Operation::Create.as_u32()),
            vec![
                enumeration(Tag::OBJECT_TYPE, ObjectType::SymmetricKey.as_u32()),
                Ttlv::structure(Tag::ATTRIBUTES, vec![name_attribute("k")]),
            ],
        );
        let json = ekms_kmip::json::to_value(&request);
        assert_eq!(json["tag"], "Create");
        assert_eq!(json["value"][0]["value"], "SymmetricKey");
        assert_eq!(json["value"][1]["value"][0]["tag"], "Name");
        assert_eq!(
            json["value"][1]["value"][0]["value"][1]["value"],
            "UninterpretedTextString"
        );
    }

    #[test]
    fn display_forms() {
        let state = enumeration(Tag::STATE, State::Active.as_u32());
        assert_eq!(display(&state), "Active");
        assert_eq!(display(&name_attribute("my-key")), "my-key");
        let reason = Ttlv::structure(
            Tag::REVOCATION_REASON,
            vec![enumeration(
                Tag::REVOCATION_REASON_CODE,
                RevocationReasonCode::Superseded.as_u32(),
            )],
        );
        assert_eq!(display(&reason), "{RevocationReasonCode=Superseded}");
        assert_eq!(
            display(&Ttlv::datetime(Tag::ACTIVATION_DATE, 0)),
            "1970-01-01T00:00:00Z"
        );
        let usage = (usage_mask::ENCRYPT | usage_mask::DECRYPT) as i32;
        assert_eq!(
            display(&Ttlv::integer(Tag::CRYPTOGRAPHIC_USAGE_MASK, usage)),
            "Encrypt|Decrypt"
        );
        let unnamed = (usage_mask::SIGN | 0x4000_0000) as i32;
        assert_eq!(
            display(&Ttlv::integer(Tag::CRYPTOGRAPHIC_USAGE_MASK, unnamed)),
            "Sign|0x40000000"
        );
        assert_eq!(
            display(&Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, 256)),
            "256"
        );
    }
}
