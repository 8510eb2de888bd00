//! Get: an object's value, as stored or in another Key Format Type, optionally wrapped.

use super::prelude::*;
use crate::enums::{
    EncodingOption, KeyCompressionType, KeyFormatType, KeyWrapType, ObjectType, ResultReason,
    WrappingMethod,
};

/// The Get request (Export's too).
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// Unique Identifier.
    pub uid: String,
    /// Key Format Type (without: as stored).
    pub format: Option<KeyFormatType>,
    /// Key Compression Type: ekms serves EC points uncompressed and refuses any other.
    pub compression: Option<KeyCompressionType>,
    /// Key Wrap Type.
    pub wrap_type: Option<KeyWrapType>,
    /// Key Wrapping Specification (without: not wrapped).
    pub wrapping: Option<KeyWrappingSpecification>,
}

/// An optional enumeration field of Get, Export and Import: an unknown value is Invalid Field.
pub(super) fn known_enum<E>(
    f: &mut Fields,
    tag: Tag,
    from: fn(u32) -> Option<E>,
) -> Result<Option<E>, Error> {
    let Some(t) = f.take(tag)? else {
        return Ok(None);
    };
    t.as_enum().and_then(from).map(Some).ok_or_else(|| {
        Error::refused(
            ResultReason::InvalidField,
            format!(
                "{} must be a known enumeration",
                tag.name().unwrap_or("the field")
            ),
        )
    })
}

impl FromTtlv for Request {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        let mut f = Fields::payload(t)?;
        let format = known_enum(&mut f, Tag::KEY_FORMAT_TYPE, KeyFormatType::from_u32)?;
        let compression = known_enum(
            &mut f,
            Tag::KEY_COMPRESSION_TYPE,
            KeyCompressionType::from_u32,
        )?;
        if let Some(c) = compression
            && c != KeyCompressionType::EcPublicKeyTypeUncompressed
        {
            return Err(Error::refused(
                ResultReason::KeyCompressionTypeNotSupported,
                format!("ekms serves EC points uncompressed, not {}", c.name()),
            ));
        }
        let wrapping = f.optional(Tag::KEY_WRAPPING_SPECIFICATION)?;
        let uid = f.required(Tag::UNIQUE_IDENTIFIER)?;
        let wrap_type = known_enum(&mut f, Tag::KEY_WRAP_TYPE, KeyWrapType::from_u32)?;
        Ok(Request {
            uid,
            format,
            compression,
            wrap_type,
            wrapping,
        })
    }
}

impl ToTtlv for Request {
    fn to_ttlv(self) -> Ttlv {
        let mut v = vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, self.uid)];
        if let Some(f) = self.format {
            v.push(Ttlv::enumeration(Tag::KEY_FORMAT_TYPE, f.as_u32()));
        }
        if let Some(c) = self.compression {
            v.push(Ttlv::enumeration(Tag::KEY_COMPRESSION_TYPE, c.as_u32()));
        }
        if let Some(w) = self.wrap_type {
            v.push(Ttlv::enumeration(Tag::KEY_WRAP_TYPE, w.as_u32()));
        }
        if let Some(w) = self.wrapping {
            v.push(w.to_ttlv());
        }
        request(v)
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::Get;
    type Response = Response;
}

/// A Key Wrapping Specification: how the served key is wrapped.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyWrappingSpecification {
    /// Wrapping Method (ekms wraps with Encrypt only).
    pub method: WrappingMethod,
    /// Encryption Key Information: the wrapping key and its parameters.
    pub key: EncryptionKeyInformation,
    /// Encoding Option (without: No Encoding).
    pub encoding: Option<EncodingOption>,
}

impl FromTtlv for KeyWrappingSpecification {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        let mut f = inner_fields(t)?;
        let method = f
            .take(Tag::WRAPPING_METHOD)?
            .ok_or(Error::MissingField {
                parent: Tag::KEY_WRAPPING_SPECIFICATION,
                field: Tag::WRAPPING_METHOD,
            })?
            .as_enum()
            .and_then(WrappingMethod::from_u32)
            .ok_or_else(|| {
                Error::refused(
                    ResultReason::InvalidField,
                    "WrappingMethod must be a known enumeration",
                )
            })?;
        if method != WrappingMethod::Encrypt {
            return Err(Error::refused(
                ResultReason::FeatureNotSupported,
                format!(
                    "wrapping method {} is not supported; use Encrypt",
                    method.name()
                ),
            ));
        }
        if f.has(Tag::MAC_SIGNATURE_KEY_INFORMATION) {
            return Err(Error::refused(
                ResultReason::FeatureNotSupported,
                "MAC/signature key information is not supported in wrapping",
            ));
        }
        let key = f.required(Tag::ENCRYPTION_KEY_INFORMATION)?;
        let encoding = known_enum(&mut f, Tag::ENCODING_OPTION, EncodingOption::from_u32)?;
        Ok(KeyWrappingSpecification {
            method,
            key,
            encoding,
        })
    }
}

impl ToTtlv for KeyWrappingSpecification {
    fn to_ttlv(self) -> Ttlv {
        let mut v = vec![
            Ttlv::enumeration(Tag::WRAPPING_METHOD, self.method.as_u32()),
            self.key.to_ttlv(),
        ];
        if let Some(e) = self.encoding {
            v.push(Ttlv::enumeration(Tag::ENCODING_OPTION, e.as_u32()));
        }
        Ttlv::structure(Tag::KEY_WRAPPING_SPECIFICATION, v)
    }
}

/// Encryption Key Information: a wrapping (or unwrapping) key and its parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct EncryptionKeyInformation {
    /// Unique Identifier of the key.
    pub uid: String,
    /// Cryptographic Parameters (without: the key's own).
    pub params: Option<CryptographicParameters>,
}

impl FromTtlv for EncryptionKeyInformation {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        let mut f = inner_fields(t)?;
        let uid = f
            .take(Tag::UNIQUE_IDENTIFIER)?
            .and_then(|t| String::from_ttlv(t).ok())
            .ok_or_else(|| {
                Error::refused(
                    ResultReason::MissingData,
                    "EncryptionKeyInformation UniqueIdentifier is missing",
                )
            })?;
        let params = super::parameters(&mut f, Tag::CRYPTOGRAPHIC_PARAMETERS)?;
        Ok(EncryptionKeyInformation { uid, params })
    }
}

impl ToTtlv for EncryptionKeyInformation {
    fn to_ttlv(self) -> Ttlv {
        let mut v = vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, self.uid)];
        if let Some(p) = &self.params {
            v.push(p.to_ttlv());
        }
        Ttlv::structure(Tag::ENCRYPTION_KEY_INFORMATION, v)
    }
}

/// The Get response: the object's value (a Symmetric Key, Private Key… structure).
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    /// Object Type.
    pub object_type: ObjectType,
    /// Unique Identifier.
    pub uid: String,
    /// The object's value structure, under its object type's tag.
    pub value: Ttlv,
}

impl FromTtlv for Response {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        let mut f = Fields::payload(t)?;
        let (object_type, uid, value) = read_object(&mut f)?;
        Ok(Response {
            object_type,
            uid,
            value,
        })
    }
}

impl ToTtlv for Response {
    fn to_ttlv(self) -> Ttlv {
        write_object(self.object_type, self.uid, Vec::new(), self.value)
    }
}

/// Reads the Object Type, Unique Identifier and value of a Get or Export answer.
pub(super) fn read_object(f: &mut Fields) -> Result<(ObjectType, String, Ttlv), Error> {
    let object_type = f.required_enum(Tag::OBJECT_TYPE, ObjectType::from_u32)?;
    let uid = f.required(Tag::UNIQUE_IDENTIFIER)?;
    let value = object_value(f, object_type, |field| Error::MissingField {
        parent: Tag::RESPONSE_PAYLOAD,
        field,
    })?;
    Ok((object_type, uid, value))
}

/// Writes a Get or Export answer: Object Type, Unique Identifier, the attributes (Export's)
/// and the value.
pub(super) fn write_object(
    object_type: ObjectType,
    uid: String,
    attributes: Vec<Ttlv>,
    value: Ttlv,
) -> Ttlv {
    let mut v = vec![
        Ttlv::enumeration(Tag::OBJECT_TYPE, object_type.as_u32()),
        Ttlv::text(Tag::UNIQUE_IDENTIFIER, uid),
    ];
    v.extend(attributes);
    v.push(value);
    response(v)
}

/// The tag of the value structure of an object type (every type ekms stores has one).
pub fn value_tag(t: ObjectType) -> Tag {
    match t {
        ObjectType::SymmetricKey => Tag::SYMMETRIC_KEY,
        ObjectType::PublicKey => Tag::PUBLIC_KEY,
        ObjectType::PrivateKey => Tag::PRIVATE_KEY,
        ObjectType::SplitKey => Tag::SPLIT_KEY,
        ObjectType::SecretData => Tag::SECRET_DATA,
        ObjectType::Certificate => Tag::CERTIFICATE,
        ObjectType::OpaqueObject => Tag::OPAQUE_OBJECT,
        ObjectType::PgpKey => Tag::PGP_KEY,
        ObjectType::CertificateRequest => Tag::CERTIFICATE_REQUEST,
        ObjectType::Template => Tag::TEMPLATE,
    }
}

/// The value of an object of `object_type` in a payload: the field under its type's tag.
pub(super) fn object_value(
    f: &mut Fields,
    object_type: ObjectType,
    missing: impl FnOnce(Tag) -> Error,
) -> Result<Ttlv, Error> {
    let tag = value_tag(object_type);
    f.take(tag)?.ok_or_else(|| missing(tag))
}

/// The fields of a payload that starts with an Object Type (Register, Import), and that type.
pub(super) fn typed_payload(t: Ttlv) -> Result<(Fields, ObjectType), Error> {
    let mut f = Fields::payload(t)?;
    let object_type = f.required_enum(Tag::OBJECT_TYPE, ObjectType::from_u32)?;
    Ok((f, object_type))
}

/// The fields of a structure inside a payload; a field that is not a structure has none (its
/// first field is then reported missing, as the server always has).
fn inner_fields(t: Ttlv) -> Result<Fields, Error> {
    match t.value {
        crate::ttlv::Value::Structure(_) => Fields::payload(t),
        _ => Fields::payload(Ttlv::structure(t.tag, Vec::new())),
    }
}
