//! Managed-object attributes: the typed model, and its KMIP 2.x and 1.x wire forms.
//!
//! This module owns [`Attributes`] (every attribute the server interprets, plus the others kept
//! verbatim in [`Attributes::custom`]), the structures that appear as attribute values
//! ([`Name`], [`Link`], [`CryptographicParameters`], [`RevocationReason`], [`Digest`],
//! [`ApplicationSpecificInformation`]) and the conversions:
//!
//! - KMIP 2.x: an `Attributes` structure whose children are the attributes themselves
//!   ([`Attributes::from_ttlv`], [`Attributes::to_ttlv`]); vendor attributes are `Attribute`
//!   structures (Vendor Identification, Attribute Name, Attribute Value).
//! - KMIP 1.x: `Attribute` structures (Attribute Name as text such as "Cryptographic
//!   Algorithm", optional Attribute Index, Attribute Value) inside a Template-Attribute
//!   ([`Attributes::from_template_attribute`], [`Attributes::to_attribute_list_v1`],
//!   [`v1_to_v2`], [`v2_to_v1`]).
//! - Single-attribute edits for Add/Set/Modify/Delete Attribute, all expressed with 2.x items
//!   ([`Attributes::get`], [`Attributes::add`], [`Attributes::set`], [`Attributes::modify`],
//!   [`Attributes::delete`]).
//!
//! Custom attributes are stored as `(name, item)`: a 1.x `x-…`/`y-…` attribute or a 2.x vendor
//! attribute as `("<vendor>-<name>", AttributeValue item)`; a standard attribute this model does
//! not interpret as `(its JSON tag name, the 2.x item)`.
//!
//! Longer than 800 lines because the attribute list is one list: each attribute the model
//! interprets has its field, its 2.x reader and writer, its 1.x name and its single-attribute
//! edits here, side by side, so that adding or changing one attribute is one reading of one file.

use serde::{Deserialize, Serialize};

use crate::enums::{
    BlockCipherMode, CertificateType, CryptographicAlgorithm, DigitalSignatureAlgorithm,
    HashingAlgorithm, KeyFormatType, KeyRoleType, LinkType, MaskGenerator, NameType, ObjectType,
    PaddingMethod, RecommendedCurve, RevocationReasonCode, State,
};
use crate::error::{Error, clip};
use crate::tags::Tag;
use crate::ttlv::{Ttlv, Value};

// ---------------------------------------------------------------------------------------------
// field readers

fn wrong(t: &Ttlv, expected: &'static str) -> Error {
    Error::WrongType {
        tag: t.tag,
        expected,
        found: t.value.type_name(),
    }
}

fn text(t: &Ttlv) -> Result<String, Error> {
    t.as_text()
        .map(str::to_owned)
        .ok_or_else(|| wrong(t, "TextString"))
}

fn int(t: &Ttlv) -> Result<i32, Error> {
    t.as_i32().ok_or_else(|| wrong(t, "Integer"))
}

fn boolean(t: &Ttlv) -> Result<bool, Error> {
    t.as_bool().ok_or_else(|| wrong(t, "Boolean"))
}

fn bytes(t: &Ttlv) -> Result<Vec<u8>, Error> {
    t.as_bytes()
        .map(<[u8]>::to_vec)
        .ok_or_else(|| wrong(t, "ByteString"))
}

fn date(t: &Ttlv) -> Result<i64, Error> {
    t.as_datetime().ok_or_else(|| wrong(t, "DateTime"))
}

fn interval(t: &Ttlv) -> Result<u32, Error> {
    t.as_interval().ok_or_else(|| wrong(t, "Interval"))
}

fn enumeration<E>(t: &Ttlv, from: fn(u32) -> Option<E>) -> Result<E, Error> {
    let v = t.as_enum().ok_or_else(|| wrong(t, "Enumeration"))?;
    from(v).ok_or_else(|| Error::InvalidValue {
        tag: t.tag,
        offset: 0,
        reason: format!("unknown enumeration value 0x{v:08X}"),
    })
}

fn structure(t: &Ttlv) -> Result<&[Ttlv], Error> {
    match &t.value {
        Value::Structure(items) => Ok(items),
        _ => Err(wrong(t, "Structure")),
    }
}

fn unexpected(parent: &str, t: &Ttlv) -> Error {
    Error::InvalidAttribute {
        name: parent.to_string(),
        reason: format!("unexpected field {}", t.tag),
    }
}

fn put<T>(slot: &mut Option<T>, v: T, t: &Ttlv, parent: &str) -> Result<(), Error> {
    if slot.is_some() {
        return Err(Error::InvalidAttribute {
            name: parent.to_string(),
            reason: format!("field {} given more than once", t.tag),
        });
    }
    *slot = Some(v);
    Ok(())
}

fn opt_enum<E: Copy>(out: &mut Vec<Ttlv>, tag: Tag, v: Option<E>, f: fn(E) -> u32) {
    if let Some(v) = v {
        out.push(Ttlv::enumeration(tag, f(v)));
    }
}

fn opt_int(out: &mut Vec<Ttlv>, tag: Tag, v: Option<i32>) {
    if let Some(v) = v {
        out.push(Ttlv::integer(tag, v));
    }
}

fn opt_bool(out: &mut Vec<Ttlv>, tag: Tag, v: Option<bool>) {
    if let Some(v) = v {
        out.push(Ttlv::boolean(tag, v));
    }
}

fn opt_text(out: &mut Vec<Ttlv>, tag: Tag, v: &Option<String>) {
    if let Some(v) = v {
        out.push(Ttlv::text(tag, v.clone()));
    }
}

fn opt_date(out: &mut Vec<Ttlv>, tag: Tag, v: Option<i64>) {
    if let Some(v) = v {
        out.push(Ttlv::datetime(tag, v));
    }
}

// ---------------------------------------------------------------------------------------------
// value structures

/// The Name attribute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Name {
    /// Name Value.
    pub value: String,
    /// Name Type.
    pub name_type: NameType,
}

impl Name {
    /// An uninterpreted text name.
    pub fn text(value: impl Into<String>) -> Self {
        Name {
            value: value.into(),
            name_type: NameType::UninterpretedTextString,
        }
    }

    /// Reads a Name structure (any tag).
    pub fn from_ttlv(t: &Ttlv) -> Result<Self, Error> {
        let (mut value, mut name_type) = (None, None);
        for c in structure(t)? {
            match c.tag {
                Tag::NAME_VALUE => put(&mut value, text(c)?, c, "Name")?,
                Tag::NAME_TYPE => put(
                    &mut name_type,
                    enumeration(c, NameType::from_u32)?,
                    c,
                    "Name",
                )?,
                _ => return Err(unexpected("Name", c)),
            }
        }
        Ok(Name {
            value: value.ok_or(Error::MissingField {
                parent: Tag::NAME,
                field: Tag::NAME_VALUE,
            })?,
            name_type: name_type.unwrap_or(NameType::UninterpretedTextString),
        })
    }

    /// The Name structure with tag `tag`.
    pub fn to_ttlv_with_tag(&self, tag: Tag) -> Ttlv {
        Ttlv::structure(
            tag,
            vec![
                Ttlv::text(Tag::NAME_VALUE, self.value.clone()),
                Ttlv::enumeration(Tag::NAME_TYPE, self.name_type.as_u32()),
            ],
        )
    }

    /// The Name structure.
    pub fn to_ttlv(&self) -> Ttlv {
        self.to_ttlv_with_tag(Tag::NAME)
    }
}

/// The Link attribute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// Link Type.
    pub link_type: LinkType,
    /// Linked Object Identifier.
    pub linked_object_identifier: String,
}

impl Link {
    /// Reads a Link structure (any tag).
    pub fn from_ttlv(t: &Ttlv) -> Result<Self, Error> {
        let (mut lt, mut id) = (None, None);
        for c in structure(t)? {
            match c.tag {
                Tag::LINK_TYPE => put(&mut lt, enumeration(c, LinkType::from_u32)?, c, "Link")?,
                Tag::LINKED_OBJECT_IDENTIFIER => put(&mut id, text(c)?, c, "Link")?,
                _ => return Err(unexpected("Link", c)),
            }
        }
        Ok(Link {
            link_type: lt.ok_or(Error::MissingField {
                parent: Tag::LINK,
                field: Tag::LINK_TYPE,
            })?,
            linked_object_identifier: id.ok_or(Error::MissingField {
                parent: Tag::LINK,
                field: Tag::LINKED_OBJECT_IDENTIFIER,
            })?,
        })
    }

    /// The Link structure with tag `tag`.
    pub fn to_ttlv_with_tag(&self, tag: Tag) -> Ttlv {
        Ttlv::structure(
            tag,
            vec![
                Ttlv::enumeration(Tag::LINK_TYPE, self.link_type.as_u32()),
                Ttlv::text(
                    Tag::LINKED_OBJECT_IDENTIFIER,
                    self.linked_object_identifier.clone(),
                ),
            ],
        )
    }

    /// The Link structure.
    pub fn to_ttlv(&self) -> Ttlv {
        self.to_ttlv_with_tag(Tag::LINK)
    }
}

/// The Cryptographic Parameters structure (an attribute, and an argument of Encrypt, Decrypt,
/// Sign, MAC…).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[allow(missing_docs)]
pub struct CryptographicParameters {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_cipher_mode: Option<BlockCipherMode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub padding_method: Option<PaddingMethod>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hashing_algorithm: Option<HashingAlgorithm>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_role_type: Option<KeyRoleType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digital_signature_algorithm: Option<DigitalSignatureAlgorithm>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cryptographic_algorithm: Option<CryptographicAlgorithm>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub random_iv: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iv_length: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag_length: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_field_length: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invocation_field_length: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counter_length: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_counter_value: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub salt_length: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mask_generator: Option<MaskGenerator>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mask_generator_hashing_algorithm: Option<HashingAlgorithm>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_source: Option<Vec<u8>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trailer_field: Option<i32>,
}

impl CryptographicParameters {
    /// Reads a Cryptographic Parameters structure (any tag: `CryptographicParameters` as an
    /// operation argument, `AttributeValue` in KMIP 1.x). Unknown fields are refused.
    pub fn from_ttlv(t: &Ttlv) -> Result<Self, Error> {
        const P: &str = "CryptographicParameters";
        let mut p = CryptographicParameters::default();
        for c in structure(t)? {
            match c.tag {
                Tag::BLOCK_CIPHER_MODE => put(
                    &mut p.block_cipher_mode,
                    enumeration(c, BlockCipherMode::from_u32)?,
                    c,
                    P,
                )?,
                Tag::PADDING_METHOD => put(
                    &mut p.padding_method,
                    enumeration(c, PaddingMethod::from_u32)?,
                    c,
                    P,
                )?,
                Tag::HASHING_ALGORITHM => put(
                    &mut p.hashing_algorithm,
                    enumeration(c, HashingAlgorithm::from_u32)?,
                    c,
                    P,
                )?,
                Tag::KEY_ROLE_TYPE => put(
                    &mut p.key_role_type,
                    enumeration(c, KeyRoleType::from_u32)?,
                    c,
                    P,
                )?,
                Tag::DIGITAL_SIGNATURE_ALGORITHM => put(
                    &mut p.digital_signature_algorithm,
                    enumeration(c, DigitalSignatureAlgorithm::from_u32)?,
                    c,
                    P,
                )?,
                Tag::CRYPTOGRAPHIC_ALGORITHM => put(
                    &mut p.cryptographic_algorithm,
                    enumeration(c, CryptographicAlgorithm::from_u32)?,
                    c,
                    P,
                )?,
                Tag::RANDOM_IV => put(&mut p.random_iv, boolean(c)?, c, P)?,
                Tag::IV_LENGTH => put(&mut p.iv_length, int(c)?, c, P)?,
                Tag::TAG_LENGTH => put(&mut p.tag_length, int(c)?, c, P)?,
                Tag::FIXED_FIELD_LENGTH => put(&mut p.fixed_field_length, int(c)?, c, P)?,
                Tag::INVOCATION_FIELD_LENGTH => put(&mut p.invocation_field_length, int(c)?, c, P)?,
                Tag::COUNTER_LENGTH => put(&mut p.counter_length, int(c)?, c, P)?,
                Tag::INITIAL_COUNTER_VALUE => put(&mut p.initial_counter_value, int(c)?, c, P)?,
                Tag::SALT_LENGTH => put(&mut p.salt_length, int(c)?, c, P)?,
                Tag::MASK_GENERATOR => put(
                    &mut p.mask_generator,
                    enumeration(c, MaskGenerator::from_u32)?,
                    c,
                    P,
                )?,
                Tag::MASK_GENERATOR_HASHING_ALGORITHM => put(
                    &mut p.mask_generator_hashing_algorithm,
                    enumeration(c, HashingAlgorithm::from_u32)?,
                    c,
                    P,
                )?,
                Tag::P_SOURCE => put(&mut p.p_source, bytes(c)?, c, P)?,
                Tag::TRAILER_FIELD => put(&mut p.trailer_field, int(c)?, c, P)?,
                _ => return Err(unexpected(P, c)),
            }
        }
        Ok(p)
    }

    /// The structure with tag `tag`.
    pub fn to_ttlv_with_tag(&self, tag: Tag) -> Ttlv {
        let mut v = Vec::new();
        opt_enum(
            &mut v,
            Tag::BLOCK_CIPHER_MODE,
            self.block_cipher_mode,
            BlockCipherMode::as_u32,
        );
        opt_enum(
            &mut v,
            Tag::PADDING_METHOD,
            self.padding_method,
            PaddingMethod::as_u32,
        );
        opt_enum(
            &mut v,
            Tag::HASHING_ALGORITHM,
            self.hashing_algorithm,
            HashingAlgorithm::as_u32,
        );
        opt_enum(
            &mut v,
            Tag::KEY_ROLE_TYPE,
            self.key_role_type,
            KeyRoleType::as_u32,
        );
        opt_enum(
            &mut v,
            Tag::DIGITAL_SIGNATURE_ALGORITHM,
            self.digital_signature_algorithm,
            DigitalSignatureAlgorithm::as_u32,
        );
        opt_enum(
            &mut v,
            Tag::CRYPTOGRAPHIC_ALGORITHM,
            self.cryptographic_algorithm,
            CryptographicAlgorithm::as_u32,
        );
        opt_bool(&mut v, Tag::RANDOM_IV, self.random_iv);
        opt_int(&mut v, Tag::IV_LENGTH, self.iv_length);
        opt_int(&mut v, Tag::TAG_LENGTH, self.tag_length);
        opt_int(&mut v, Tag::FIXED_FIELD_LENGTH, self.fixed_field_length);
        opt_int(
            &mut v,
            Tag::INVOCATION_FIELD_LENGTH,
            self.invocation_field_length,
        );
        opt_int(&mut v, Tag::COUNTER_LENGTH, self.counter_length);
        opt_int(
            &mut v,
            Tag::INITIAL_COUNTER_VALUE,
            self.initial_counter_value,
        );
        opt_int(&mut v, Tag::SALT_LENGTH, self.salt_length);
        opt_enum(
            &mut v,
            Tag::MASK_GENERATOR,
            self.mask_generator,
            MaskGenerator::as_u32,
        );
        opt_enum(
            &mut v,
            Tag::MASK_GENERATOR_HASHING_ALGORITHM,
            self.mask_generator_hashing_algorithm,
            HashingAlgorithm::as_u32,
        );
        if let Some(p) = &self.p_source {
            v.push(Ttlv::bytes(Tag::P_SOURCE, p.clone()));
        }
        opt_int(&mut v, Tag::TRAILER_FIELD, self.trailer_field);
        Ttlv::structure(tag, v)
    }

    /// The `CryptographicParameters` structure.
    pub fn to_ttlv(&self) -> Ttlv {
        self.to_ttlv_with_tag(Tag::CRYPTOGRAPHIC_PARAMETERS)
    }
}

/// The Revocation Reason attribute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocationReason {
    /// Revocation Reason Code.
    pub code: RevocationReasonCode,
    /// Revocation Message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl RevocationReason {
    /// Reads a Revocation Reason structure (any tag).
    pub fn from_ttlv(t: &Ttlv) -> Result<Self, Error> {
        let (mut code, mut message) = (None, None);
        for c in structure(t)? {
            match c.tag {
                Tag::REVOCATION_REASON_CODE => put(
                    &mut code,
                    enumeration(c, RevocationReasonCode::from_u32)?,
                    c,
                    "RevocationReason",
                )?,
                Tag::REVOCATION_MESSAGE => put(&mut message, text(c)?, c, "RevocationReason")?,
                _ => return Err(unexpected("RevocationReason", c)),
            }
        }
        Ok(RevocationReason {
            code: code.ok_or(Error::MissingField {
                parent: Tag::REVOCATION_REASON,
                field: Tag::REVOCATION_REASON_CODE,
            })?,
            message,
        })
    }

    /// The structure with tag `tag`.
    pub fn to_ttlv_with_tag(&self, tag: Tag) -> Ttlv {
        let mut v = vec![Ttlv::enumeration(
            Tag::REVOCATION_REASON_CODE,
            self.code.as_u32(),
        )];
        opt_text(&mut v, Tag::REVOCATION_MESSAGE, &self.message);
        Ttlv::structure(tag, v)
    }
}

/// The Digest attribute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest {
    /// Hashing Algorithm.
    pub hashing_algorithm: HashingAlgorithm,
    /// Digest Value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest_value: Option<Vec<u8>>,
    /// Key Format Type the digest was computed over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_format_type: Option<KeyFormatType>,
}

impl Digest {
    /// Reads a Digest structure (any tag).
    pub fn from_ttlv(t: &Ttlv) -> Result<Self, Error> {
        let (mut h, mut d, mut k) = (None, None, None);
        for c in structure(t)? {
            match c.tag {
                Tag::HASHING_ALGORITHM => put(
                    &mut h,
                    enumeration(c, HashingAlgorithm::from_u32)?,
                    c,
                    "Digest",
                )?,
                Tag::DIGEST_VALUE => put(&mut d, bytes(c)?, c, "Digest")?,
                Tag::KEY_FORMAT_TYPE => put(
                    &mut k,
                    enumeration(c, KeyFormatType::from_u32)?,
                    c,
                    "Digest",
                )?,
                _ => return Err(unexpected("Digest", c)),
            }
        }
        Ok(Digest {
            hashing_algorithm: h.ok_or(Error::MissingField {
                parent: Tag::DIGEST,
                field: Tag::HASHING_ALGORITHM,
            })?,
            digest_value: d,
            key_format_type: k,
        })
    }

    /// The structure with tag `tag`.
    pub fn to_ttlv_with_tag(&self, tag: Tag) -> Ttlv {
        let mut v = vec![Ttlv::enumeration(
            Tag::HASHING_ALGORITHM,
            self.hashing_algorithm.as_u32(),
        )];
        if let Some(d) = &self.digest_value {
            v.push(Ttlv::bytes(Tag::DIGEST_VALUE, d.clone()));
        }
        opt_enum(
            &mut v,
            Tag::KEY_FORMAT_TYPE,
            self.key_format_type,
            KeyFormatType::as_u32,
        );
        Ttlv::structure(tag, v)
    }
}

/// The Application Specific Information attribute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationSpecificInformation {
    /// Application Namespace.
    pub application_namespace: String,
    /// Application Data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_data: Option<String>,
}

impl ApplicationSpecificInformation {
    /// Reads the structure (any tag).
    pub fn from_ttlv(t: &Ttlv) -> Result<Self, Error> {
        const P: &str = "ApplicationSpecificInformation";
        let (mut ns, mut data) = (None, None);
        for c in structure(t)? {
            match c.tag {
                Tag::APPLICATION_NAMESPACE => put(&mut ns, text(c)?, c, P)?,
                Tag::APPLICATION_DATA => put(&mut data, text(c)?, c, P)?,
                _ => return Err(unexpected(P, c)),
            }
        }
        Ok(ApplicationSpecificInformation {
            application_namespace: ns.ok_or(Error::MissingField {
                parent: Tag::APPLICATION_SPECIFIC_INFORMATION,
                field: Tag::APPLICATION_NAMESPACE,
            })?,
            application_data: data,
        })
    }

    /// The structure with tag `tag`.
    pub fn to_ttlv_with_tag(&self, tag: Tag) -> Ttlv {
        let mut v = vec![Ttlv::text(
            Tag::APPLICATION_NAMESPACE,
            self.application_namespace.clone(),
        )];
        opt_text(&mut v, Tag::APPLICATION_DATA, &self.application_data);
        Ttlv::structure(tag, v)
    }
}

// ---------------------------------------------------------------------------------------------
// Attributes

/// The attributes of a managed object (or of a request template).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[allow(missing_docs)]
pub struct Attributes {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unique_identifier: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<Name>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_type: Option<ObjectType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cryptographic_algorithm: Option<CryptographicAlgorithm>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cryptographic_length: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cryptographic_parameters: Option<CryptographicParameters>,
    /// Cryptographic Domain Parameters: Qlength.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qlength: Option<i32>,
    /// Cryptographic Domain Parameters: Recommended Curve.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recommended_curve: Option<RecommendedCurve>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cryptographic_usage_mask: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<State>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_date: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activation_date: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deactivation_date: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destroy_date: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compromise_date: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compromise_occurrence_date: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archive_date: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_change_date: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_creation_date: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process_start_date: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protect_stop_date: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub object_groups: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_format_type: Option<KeyFormatType>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revocation_reason: Option<RevocationReason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_information: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_policy_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sensitive: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub always_sensitive: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extractable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub never_extractable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fresh: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_value_present: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub digests: Vec<Digest>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub application_specific_information: Vec<ApplicationSpecificInformation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_type: Option<CertificateType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_length: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digital_signature_algorithm: Option<DigitalSignatureAlgorithm>,
    /// Lease Time (seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease_time: Option<u32>,
    /// Every other attribute, verbatim: see the module documentation.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub custom: Vec<(String, Ttlv)>,
}

/// True for attributes that may have several instances.
pub fn is_multi_valued(tag: Tag) -> bool {
    matches!(
        tag,
        Tag::NAME
            | Tag::OBJECT_GROUP
            | Tag::LINK
            | Tag::DIGEST
            | Tag::APPLICATION_SPECIFIC_INFORMATION
            | Tag::ALTERNATIVE_NAME
            | Tag::KEY_VALUE_LOCATION
            | Tag::ATTRIBUTE
            | Tag::CUSTOM_ATTRIBUTE
            | Tag::X_509_CERTIFICATE_IDENTIFIER
            | Tag::CERTIFICATE_SUBJECT_CN
            | Tag::CERTIFICATE_SUBJECT_O
            | Tag::CERTIFICATE_SUBJECT_OU
            | Tag::CERTIFICATE_SUBJECT_EMAIL
            | Tag::CERTIFICATE_SUBJECT_C
            | Tag::CERTIFICATE_SUBJECT_ST
            | Tag::CERTIFICATE_SUBJECT_L
            | Tag::CERTIFICATE_SUBJECT_UID
            | Tag::CERTIFICATE_SUBJECT_DC
            | Tag::CERTIFICATE_ISSUER_CN
            | Tag::CERTIFICATE_ISSUER_O
            | Tag::CERTIFICATE_ISSUER_OU
            | Tag::CERTIFICATE_ISSUER_EMAIL
            | Tag::CERTIFICATE_ISSUER_C
            | Tag::CERTIFICATE_ISSUER_ST
            | Tag::CERTIFICATE_ISSUER_L
            | Tag::CERTIFICATE_ISSUER_UID
            | Tag::CERTIFICATE_ISSUER_DC
    )
}

/// The 2.x tag of a KMIP 1.x attribute name ("Cryptographic Algorithm" → CryptographicAlgorithm).
/// Custom names (`x-…`, `y-…`) map to [`Tag::ATTRIBUTE`] (a 2.x vendor attribute). JSON tag
/// names are accepted as well.
pub fn attribute_tag(name: &str) -> Option<Tag> {
    if is_custom_name(name) {
        return Some(Tag::ATTRIBUTE);
    }
    Tag::from_text_name(name).or_else(|| Tag::from_name(name))
}

fn is_custom_name(name: &str) -> bool {
    name.starts_with("x-")
        || name.starts_with("y-")
        || name.starts_with("X-")
        || name.starts_with("Y-")
}

/// Splits a custom name `vendor-name` (`x-foo` → `("x", "foo")`).
fn split_custom(name: &str) -> (&str, &str) {
    name.split_once('-').unwrap_or(("", name))
}

fn vendor_item(full_name: &str, value: &Ttlv) -> Ttlv {
    let (vendor, name) = split_custom(full_name);
    Ttlv::structure(
        Tag::ATTRIBUTE,
        vec![
            Ttlv::text(Tag::VENDOR_IDENTIFICATION, vendor),
            Ttlv::text(Tag::ATTRIBUTE_NAME, name),
            Ttlv::new(Tag::ATTRIBUTE_VALUE, value.value.clone()),
        ],
    )
}

/// Converts a KMIP 1.x `Attribute` structure into the 2.x attribute item and its index.
/// A custom `x-…` attribute becomes a 2.x vendor `Attribute` (vendor `x`).
pub fn v1_to_v2(attr: &Ttlv) -> Result<(Ttlv, Option<i32>), Error> {
    let (mut name, mut index, mut value) = (None, None, None);
    for c in structure(attr)? {
        match c.tag {
            Tag::ATTRIBUTE_NAME => put(&mut name, text(c)?, c, "Attribute")?,
            Tag::ATTRIBUTE_INDEX => put(&mut index, int(c)?, c, "Attribute")?,
            Tag::ATTRIBUTE_VALUE => put(&mut value, c, c, "Attribute")?,
            _ => return Err(unexpected("Attribute", c)),
        }
    }
    let name = name.ok_or(Error::MissingField {
        parent: Tag::ATTRIBUTE,
        field: Tag::ATTRIBUTE_NAME,
    })?;
    if is_custom_name(&name) {
        // A custom attribute may come without a value (GetAttributes by name).
        let v = value
            .cloned()
            .unwrap_or_else(|| Ttlv::text(Tag::ATTRIBUTE_VALUE, ""));
        return Ok((vendor_item(&name, &v), index));
    }
    let tag = Tag::from_text_name(&name).ok_or_else(|| Error::InvalidAttribute {
        name: clip(&name),
        reason: "not a KMIP attribute name".into(),
    })?;
    let value = value.ok_or(Error::MissingField {
        parent: Tag::ATTRIBUTE,
        field: Tag::ATTRIBUTE_VALUE,
    })?;
    Ok((Ttlv::new(tag, value.value.clone()), index))
}

/// Converts a 2.x attribute item into a KMIP 1.x `Attribute` structure.
pub fn v2_to_v1(item: &Ttlv, index: Option<i32>) -> Ttlv {
    let (name, value) = if item.tag == Tag::ATTRIBUTE {
        let vendor = item
            .child(Tag::VENDOR_IDENTIFICATION)
            .and_then(Ttlv::as_text)
            .unwrap_or("");
        let n = item
            .child(Tag::ATTRIBUTE_NAME)
            .and_then(Ttlv::as_text)
            .unwrap_or("");
        let v = item
            .child(Tag::ATTRIBUTE_VALUE)
            .map(|v| v.value.clone())
            .unwrap_or(Value::TextString(String::new()));
        let full = if vendor.is_empty() {
            n.to_string()
        } else {
            format!("{vendor}-{n}")
        };
        (full, v)
    } else {
        let n = match item.tag.text_name() {
            Some(n) => n.to_string(),
            None => format!("0x{:06X}", item.tag.0),
        };
        (n, item.value.clone())
    };
    let mut v = vec![Ttlv::text(Tag::ATTRIBUTE_NAME, name)];
    if let Some(i) = index {
        v.push(Ttlv::integer(Tag::ATTRIBUTE_INDEX, i));
    }
    v.push(Ttlv::new(Tag::ATTRIBUTE_VALUE, value));
    Ttlv::structure(Tag::ATTRIBUTE, v)
}

fn set_single<T>(slot: &mut Option<T>, v: T, tag: Tag, strict: bool) -> Result<(), Error> {
    if strict && slot.is_some() {
        return Err(Error::InvalidAttribute {
            name: tag.name().unwrap_or("?").to_string(),
            reason: "single-valued attribute given more than once".into(),
        });
    }
    *slot = Some(v);
    Ok(())
}

impl Attributes {
    /// Reads a KMIP 2.x `Attributes` structure (or `CommonAttributes`, `PrivateKeyAttributes`,
    /// …: the tag is not checked). A single-valued attribute given twice is refused.
    pub fn from_ttlv(t: &Ttlv) -> Result<Attributes, Error> {
        let mut a = Attributes::default();
        for item in structure(t)? {
            a.apply(item, true)?;
        }
        Ok(a)
    }

    /// The KMIP 2.x `Attributes` structure.
    pub fn to_ttlv(&self) -> Ttlv {
        self.to_ttlv_with_tag(Tag::ATTRIBUTES)
    }

    /// The attributes as a structure with tag `tag` (e.g. `CommonAttributes`).
    pub fn to_ttlv_with_tag(&self, tag: Tag) -> Ttlv {
        Ttlv::structure(tag, self.items())
    }

    /// Reads KMIP 1.x attributes: a Template-Attribute (or Common/Private Key/Public Key
    /// Template-Attribute) whose `Attribute` children carry them, a bare `Attribute`, or any
    /// structure of `Attribute`s. Template `Name` references are ignored.
    pub fn from_template_attribute(t: &Ttlv) -> Result<Attributes, Error> {
        let mut a = Attributes::default();
        if t.tag == Tag::ATTRIBUTE {
            let (item, _) = v1_to_v2(t)?;
            a.apply(&item, true)?;
            return Ok(a);
        }
        for c in structure(t)? {
            match c.tag {
                Tag::ATTRIBUTE => {
                    let (item, _) = v1_to_v2(c)?;
                    a.apply(&item, true)?;
                }
                Tag::NAME => {}
                _ => return Err(unexpected("TemplateAttribute", c)),
            }
        }
        Ok(a)
    }

    /// The attributes as KMIP 1.x `Attribute` structures (multi-valued attributes carry their
    /// Attribute Index).
    pub fn to_attribute_list_v1(&self) -> Vec<Ttlv> {
        let items = self.items();
        let mut counts: Vec<(Tag, String, i32)> = Vec::new();
        items
            .iter()
            .map(|i| {
                if !is_multi_valued(i.tag) {
                    return v2_to_v1(i, None);
                }
                let key = if i.tag == Tag::ATTRIBUTE {
                    i.child(Tag::ATTRIBUTE_NAME)
                        .and_then(Ttlv::as_text)
                        .unwrap_or("")
                        .to_string()
                } else {
                    String::new()
                };
                let idx = match counts.iter_mut().find(|(t, k, _)| *t == i.tag && *k == key) {
                    Some((_, _, n)) => {
                        *n += 1;
                        *n
                    }
                    None => {
                        counts.push((i.tag, key, 0));
                        0
                    }
                };
                v2_to_v1(i, Some(idx))
            })
            .collect()
    }

    /// A KMIP 1.x `TemplateAttribute` structure with these attributes.
    pub fn to_template_attribute(&self, tag: Tag) -> Ttlv {
        Ttlv::structure(tag, self.to_attribute_list_v1())
    }

    /// Applies one 2.x attribute item: a multi-valued attribute gains an instance, a
    /// single-valued one is set (refused if `strict` and already set).
    fn apply(&mut self, item: &Ttlv, strict: bool) -> Result<(), Error> {
        let t = item;
        match t.tag {
            Tag::UNIQUE_IDENTIFIER => {
                set_single(&mut self.unique_identifier, text(t)?, t.tag, strict)?
            }
            Tag::NAME => self.names.push(Name::from_ttlv(t)?),
            Tag::OBJECT_TYPE => set_single(
                &mut self.object_type,
                enumeration(t, ObjectType::from_u32)?,
                t.tag,
                strict,
            )?,
            Tag::CRYPTOGRAPHIC_ALGORITHM => set_single(
                &mut self.cryptographic_algorithm,
                enumeration(t, CryptographicAlgorithm::from_u32)?,
                t.tag,
                strict,
            )?,
            Tag::CRYPTOGRAPHIC_LENGTH => {
                set_single(&mut self.cryptographic_length, int(t)?, t.tag, strict)?
            }
            Tag::CRYPTOGRAPHIC_PARAMETERS => set_single(
                &mut self.cryptographic_parameters,
                CryptographicParameters::from_ttlv(t)?,
                t.tag,
                strict,
            )?,
            Tag::CRYPTOGRAPHIC_DOMAIN_PARAMETERS => {
                let (mut q, mut c) = (None, None);
                for f in structure(t)? {
                    match f.tag {
                        Tag::QLENGTH => put(&mut q, int(f)?, f, "CryptographicDomainParameters")?,
                        Tag::RECOMMENDED_CURVE => put(
                            &mut c,
                            enumeration(f, RecommendedCurve::from_u32)?,
                            f,
                            "CryptographicDomainParameters",
                        )?,
                        _ => return Err(unexpected("CryptographicDomainParameters", f)),
                    }
                }
                if strict && (self.qlength.is_some() || self.recommended_curve.is_some()) {
                    return Err(Error::InvalidAttribute {
                        name: "CryptographicDomainParameters".into(),
                        reason: "single-valued attribute given more than once".into(),
                    });
                }
                self.qlength = q;
                self.recommended_curve = c;
            }
            Tag::RECOMMENDED_CURVE => set_single(
                &mut self.recommended_curve,
                enumeration(t, RecommendedCurve::from_u32)?,
                t.tag,
                strict,
            )?,
            Tag::CRYPTOGRAPHIC_USAGE_MASK => set_single(
                &mut self.cryptographic_usage_mask,
                int(t)? as u32,
                t.tag,
                strict,
            )?,
            Tag::STATE => set_single(
                &mut self.state,
                enumeration(t, State::from_u32)?,
                t.tag,
                strict,
            )?,
            Tag::INITIAL_DATE => set_single(&mut self.initial_date, date(t)?, t.tag, strict)?,
            Tag::ACTIVATION_DATE => set_single(&mut self.activation_date, date(t)?, t.tag, strict)?,
            Tag::DEACTIVATION_DATE => {
                set_single(&mut self.deactivation_date, date(t)?, t.tag, strict)?
            }
            Tag::DESTROY_DATE => set_single(&mut self.destroy_date, date(t)?, t.tag, strict)?,
            Tag::COMPROMISE_DATE => set_single(&mut self.compromise_date, date(t)?, t.tag, strict)?,
            Tag::COMPROMISE_OCCURRENCE_DATE => set_single(
                &mut self.compromise_occurrence_date,
                date(t)?,
                t.tag,
                strict,
            )?,
            Tag::ARCHIVE_DATE => set_single(&mut self.archive_date, date(t)?, t.tag, strict)?,
            Tag::LAST_CHANGE_DATE => {
                set_single(&mut self.last_change_date, date(t)?, t.tag, strict)?
            }
            Tag::ORIGINAL_CREATION_DATE => {
                set_single(&mut self.original_creation_date, date(t)?, t.tag, strict)?
            }
            Tag::PROCESS_START_DATE => {
                set_single(&mut self.process_start_date, date(t)?, t.tag, strict)?
            }
            Tag::PROTECT_STOP_DATE => {
                set_single(&mut self.protect_stop_date, date(t)?, t.tag, strict)?
            }
            Tag::OBJECT_GROUP => self.object_groups.push(text(t)?),
            Tag::KEY_FORMAT_TYPE => set_single(
                &mut self.key_format_type,
                enumeration(t, KeyFormatType::from_u32)?,
                t.tag,
                strict,
            )?,
            Tag::LINK => self.links.push(Link::from_ttlv(t)?),
            Tag::REVOCATION_REASON => set_single(
                &mut self.revocation_reason,
                RevocationReason::from_ttlv(t)?,
                t.tag,
                strict,
            )?,
            Tag::CONTACT_INFORMATION => {
                set_single(&mut self.contact_information, text(t)?, t.tag, strict)?
            }
            Tag::DESCRIPTION => set_single(&mut self.description, text(t)?, t.tag, strict)?,
            Tag::COMMENT => set_single(&mut self.comment, text(t)?, t.tag, strict)?,
            Tag::OPERATION_POLICY_NAME => {
                set_single(&mut self.operation_policy_name, text(t)?, t.tag, strict)?
            }
            Tag::SENSITIVE => set_single(&mut self.sensitive, boolean(t)?, t.tag, strict)?,
            Tag::ALWAYS_SENSITIVE => {
                set_single(&mut self.always_sensitive, boolean(t)?, t.tag, strict)?
            }
            Tag::EXTRACTABLE => set_single(&mut self.extractable, boolean(t)?, t.tag, strict)?,
            Tag::NEVER_EXTRACTABLE => {
                set_single(&mut self.never_extractable, boolean(t)?, t.tag, strict)?
            }
            Tag::FRESH => set_single(&mut self.fresh, boolean(t)?, t.tag, strict)?,
            Tag::KEY_VALUE_PRESENT => {
                set_single(&mut self.key_value_present, boolean(t)?, t.tag, strict)?
            }
            Tag::DIGEST => self.digests.push(Digest::from_ttlv(t)?),
            Tag::APPLICATION_SPECIFIC_INFORMATION => self
                .application_specific_information
                .push(ApplicationSpecificInformation::from_ttlv(t)?),
            Tag::CERTIFICATE_TYPE => set_single(
                &mut self.certificate_type,
                enumeration(t, CertificateType::from_u32)?,
                t.tag,
                strict,
            )?,
            Tag::CERTIFICATE_LENGTH => {
                set_single(&mut self.certificate_length, int(t)?, t.tag, strict)?
            }
            Tag::DIGITAL_SIGNATURE_ALGORITHM => set_single(
                &mut self.digital_signature_algorithm,
                enumeration(t, DigitalSignatureAlgorithm::from_u32)?,
                t.tag,
                strict,
            )?,
            Tag::LEASE_TIME => set_single(&mut self.lease_time, interval(t)?, t.tag, strict)?,
            Tag::ATTRIBUTE => {
                let (mut vendor, mut name, mut value) = (None, None, None);
                for c in structure(t)? {
                    match c.tag {
                        Tag::VENDOR_IDENTIFICATION => {
                            put(&mut vendor, text(c)?, c, "VendorAttribute")?
                        }
                        Tag::ATTRIBUTE_NAME => put(&mut name, text(c)?, c, "VendorAttribute")?,
                        Tag::ATTRIBUTE_VALUE => put(&mut value, c.clone(), c, "VendorAttribute")?,
                        _ => return Err(unexpected("VendorAttribute", c)),
                    }
                }
                let vendor = vendor.unwrap_or_default();
                let name = name.ok_or(Error::MissingField {
                    parent: Tag::ATTRIBUTE,
                    field: Tag::ATTRIBUTE_NAME,
                })?;
                let value = value.ok_or(Error::MissingField {
                    parent: Tag::ATTRIBUTE,
                    field: Tag::ATTRIBUTE_VALUE,
                })?;
                let full = if vendor.is_empty() {
                    name
                } else {
                    format!("{vendor}-{name}")
                };
                self.custom.push((full, value));
            }
            tag => {
                let name = match tag.name() {
                    Some(n) => n.to_string(),
                    None => format!("0x{:06X}", tag.0),
                };
                if !is_multi_valued(tag)
                    && let Some(pos) = self.custom.iter().position(|(_, i)| i.tag == tag)
                {
                    if strict {
                        return Err(Error::InvalidAttribute {
                            name,
                            reason: "single-valued attribute given more than once".into(),
                        });
                    }
                    self.custom.remove(pos);
                }
                self.custom.push((name, item.clone()));
            }
        }
        Ok(())
    }

    /// Every attribute as a 2.x item, in a stable order (vendor and unknown attributes last,
    /// in the order they were added).
    pub fn items(&self) -> Vec<Ttlv> {
        let mut v = Vec::new();
        opt_text(&mut v, Tag::UNIQUE_IDENTIFIER, &self.unique_identifier);
        opt_enum(
            &mut v,
            Tag::OBJECT_TYPE,
            self.object_type,
            ObjectType::as_u32,
        );
        v.extend(self.names.iter().map(Name::to_ttlv));
        opt_enum(
            &mut v,
            Tag::CRYPTOGRAPHIC_ALGORITHM,
            self.cryptographic_algorithm,
            CryptographicAlgorithm::as_u32,
        );
        opt_int(&mut v, Tag::CRYPTOGRAPHIC_LENGTH, self.cryptographic_length);
        if let Some(p) = &self.cryptographic_parameters {
            v.push(p.to_ttlv());
        }
        if self.qlength.is_some() || self.recommended_curve.is_some() {
            let mut d = Vec::new();
            opt_int(&mut d, Tag::QLENGTH, self.qlength);
            opt_enum(
                &mut d,
                Tag::RECOMMENDED_CURVE,
                self.recommended_curve,
                RecommendedCurve::as_u32,
            );
            v.push(Ttlv::structure(Tag::CRYPTOGRAPHIC_DOMAIN_PARAMETERS, d));
        }
        if let Some(m) = self.cryptographic_usage_mask {
            v.push(Ttlv::integer(Tag::CRYPTOGRAPHIC_USAGE_MASK, m as i32));
        }
        opt_enum(
            &mut v,
            Tag::KEY_FORMAT_TYPE,
            self.key_format_type,
            KeyFormatType::as_u32,
        );
        opt_enum(&mut v, Tag::STATE, self.state, State::as_u32);
        opt_date(&mut v, Tag::INITIAL_DATE, self.initial_date);
        opt_date(&mut v, Tag::ACTIVATION_DATE, self.activation_date);
        opt_date(&mut v, Tag::DEACTIVATION_DATE, self.deactivation_date);
        opt_date(&mut v, Tag::DESTROY_DATE, self.destroy_date);
        opt_date(&mut v, Tag::COMPROMISE_DATE, self.compromise_date);
        opt_date(
            &mut v,
            Tag::COMPROMISE_OCCURRENCE_DATE,
            self.compromise_occurrence_date,
        );
        opt_date(&mut v, Tag::ARCHIVE_DATE, self.archive_date);
        opt_date(&mut v, Tag::LAST_CHANGE_DATE, self.last_change_date);
        opt_date(
            &mut v,
            Tag::ORIGINAL_CREATION_DATE,
            self.original_creation_date,
        );
        opt_date(&mut v, Tag::PROCESS_START_DATE, self.process_start_date);
        opt_date(&mut v, Tag::PROTECT_STOP_DATE, self.protect_stop_date);
        v.extend(
            self.object_groups
                .iter()
                .map(|g| Ttlv::text(Tag::OBJECT_GROUP, g.clone())),
        );
        v.extend(self.links.iter().map(Link::to_ttlv));
        if let Some(r) = &self.revocation_reason {
            v.push(r.to_ttlv_with_tag(Tag::REVOCATION_REASON));
        }
        opt_text(&mut v, Tag::CONTACT_INFORMATION, &self.contact_information);
        opt_text(&mut v, Tag::DESCRIPTION, &self.description);
        opt_text(&mut v, Tag::COMMENT, &self.comment);
        opt_text(
            &mut v,
            Tag::OPERATION_POLICY_NAME,
            &self.operation_policy_name,
        );
        opt_bool(&mut v, Tag::SENSITIVE, self.sensitive);
        opt_bool(&mut v, Tag::ALWAYS_SENSITIVE, self.always_sensitive);
        opt_bool(&mut v, Tag::EXTRACTABLE, self.extractable);
        opt_bool(&mut v, Tag::NEVER_EXTRACTABLE, self.never_extractable);
        opt_bool(&mut v, Tag::FRESH, self.fresh);
        opt_bool(&mut v, Tag::KEY_VALUE_PRESENT, self.key_value_present);
        v.extend(self.digests.iter().map(|d| d.to_ttlv_with_tag(Tag::DIGEST)));
        v.extend(
            self.application_specific_information
                .iter()
                .map(|a| a.to_ttlv_with_tag(Tag::APPLICATION_SPECIFIC_INFORMATION)),
        );
        opt_enum(
            &mut v,
            Tag::CERTIFICATE_TYPE,
            self.certificate_type,
            CertificateType::as_u32,
        );
        opt_int(&mut v, Tag::CERTIFICATE_LENGTH, self.certificate_length);
        opt_enum(
            &mut v,
            Tag::DIGITAL_SIGNATURE_ALGORITHM,
            self.digital_signature_algorithm,
            DigitalSignatureAlgorithm::as_u32,
        );
        if let Some(l) = self.lease_time {
            v.push(Ttlv::interval(Tag::LEASE_TIME, l));
        }
        for (name, item) in &self.custom {
            if item.tag == Tag::ATTRIBUTE_VALUE {
                v.push(vendor_item(name, item));
            } else {
                v.push(item.clone());
            }
        }
        v
    }

    /// The current values of one attribute, as 2.x items (several for a multi-valued one;
    /// every vendor attribute for [`Tag::ATTRIBUTE`]).
    pub fn get(&self, tag: Tag) -> Vec<Ttlv> {
        self.items().into_iter().filter(|i| i.tag == tag).collect()
    }

    /// The current values of a KMIP 1.x attribute name, as 1.x `Attribute` structures with
    /// their indexes.
    pub fn get_v1(&self, name: &str) -> Vec<Ttlv> {
        let Some(tag) = attribute_tag(name) else {
            return Vec::new();
        };
        self.to_attribute_list_v1()
            .into_iter()
            .filter(|a| {
                let n = a
                    .child(Tag::ATTRIBUTE_NAME)
                    .and_then(Ttlv::as_text)
                    .unwrap_or("");
                if tag == Tag::ATTRIBUTE {
                    n == name
                } else {
                    attribute_tag(n) == Some(tag)
                }
            })
            .collect()
    }

    fn rebuilt(items: &[Ttlv]) -> Result<Attributes, Error> {
        let mut a = Attributes::default();
        for i in items {
            a.apply(i, false)?;
        }
        Ok(a)
    }

    /// AddAttribute: a multi-valued attribute gains an instance; a single-valued one is set
    /// only if absent (else an `InvalidAttribute` error). On error nothing changes.
    pub fn add(&mut self, item: &Ttlv) -> Result<(), Error> {
        if !is_multi_valued(item.tag) && !self.get(item.tag).is_empty() {
            return Err(Error::InvalidAttribute {
                name: item.tag.name().unwrap_or("?").to_string(),
                reason: "single-valued attribute already set".into(),
            });
        }
        let mut next = self.clone();
        next.apply(item, false)?;
        *self = next;
        Ok(())
    }

    /// SetAttribute: replaces every instance of the attribute (for a vendor attribute, every
    /// instance with that vendor and name) by `item`. On error nothing changes.
    pub fn set(&mut self, item: &Ttlv) -> Result<(), Error> {
        let mut items = self.items();
        items.retain(|i| !same_attribute(i, item));
        items.push(item.clone());
        *self = Self::rebuilt(&items)?;
        Ok(())
    }

    /// ModifyAttribute: replaces the instance equal to `current` (or, without `current`, the
    /// first instance of `new`'s attribute) by `new`. Returns false if there was none.
    pub fn modify(&mut self, current: Option<&Ttlv>, new: &Ttlv) -> Result<bool, Error> {
        let mut items = self.items();
        let pos = match current {
            Some(c) => items.iter().position(|i| i == c),
            None => items.iter().position(|i| same_attribute(i, new)),
        };
        let Some(pos) = pos else { return Ok(false) };
        if let Some(slot) = items.get_mut(pos) {
            *slot = new.clone();
        }
        *self = Self::rebuilt(&items)?;
        Ok(true)
    }

    /// DeleteAttribute: removes the instance equal to `current`, or every instance of `tag` when
    /// `current` is None. Returns how many instances were removed.
    pub fn delete(&mut self, tag: Tag, current: Option<&Ttlv>) -> usize {
        let items = self.items();
        let before = items.len();
        let kept: Vec<Ttlv> = items
            .into_iter()
            .filter(|i| match current {
                Some(c) => i != c,
                None => i.tag != tag,
            })
            .collect();
        let removed = before - kept.len();
        if removed > 0
            && let Ok(a) = Self::rebuilt(&kept)
        {
            *self = a;
        }
        removed
    }
}

/// Whether two items are instances of the same attribute (same tag; for vendor attributes,
/// same vendor and name).
pub fn same_attribute(a: &Ttlv, b: &Ttlv) -> bool {
    if a.tag != b.tag {
        return false;
    }
    if a.tag == Tag::ATTRIBUTE {
        let key = |t: &Ttlv| {
            (
                t.child(Tag::VENDOR_IDENTIFICATION)
                    .and_then(Ttlv::as_text)
                    .map(str::to_owned),
                t.child(Tag::ATTRIBUTE_NAME)
                    .and_then(Ttlv::as_text)
                    .map(str::to_owned),
            )
        };
        return key(a) == key(b);
    }
    true
}

#[cfg(test)]
mod tests;
