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

use crate::codec::{
    Fields, FromTtlv, ToTtlv, datetime, enumeration, interval, opt_bool, opt_bytes, opt_date,
    opt_enum, opt_int, opt_text,
};
use crate::enums::{
    BlockCipherMode, CertificateType, CryptographicAlgorithm, DigitalSignatureAlgorithm,
    HashingAlgorithm, KeyFormatType, KeyRoleType, LinkType, MaskGenerator, NameType, ObjectType,
    PaddingMethod, RecommendedCurve, RevocationReasonCode, State,
};
use crate::error::{Error, clip};
use crate::tags::Tag;
use crate::ttlv::{Ttlv, Value};

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
}

impl FromTtlv for Name {
    /// Reads a Name structure (any tag).
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        Fields::attribute(t, Tag::NAME, "Name")?.decode(|f| {
            Ok(Name {
                value: f.required(Tag::NAME_VALUE)?,
                name_type: f
                    .optional_enum(Tag::NAME_TYPE, NameType::from_u32)?
                    .unwrap_or(NameType::UninterpretedTextString),
            })
        })
    }
}

impl ToTtlv for &Name {
    fn to_ttlv(self) -> Ttlv {
        Ttlv::structure(
            Tag::NAME,
            vec![
                Ttlv::text(Tag::NAME_VALUE, self.value.clone()),
                Ttlv::enumeration(Tag::NAME_TYPE, self.name_type.as_u32()),
            ],
        )
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

impl FromTtlv for Link {
    /// Reads a Link structure (any tag).
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        Fields::attribute(t, Tag::LINK, "Link")?.decode(|f| {
            Ok(Link {
                link_type: f.required_enum(Tag::LINK_TYPE, LinkType::from_u32)?,
                linked_object_identifier: f.required(Tag::LINKED_OBJECT_IDENTIFIER)?,
            })
        })
    }
}

impl ToTtlv for &Link {
    fn to_ttlv(self) -> Ttlv {
        Ttlv::structure(
            Tag::LINK,
            vec![
                Ttlv::enumeration(Tag::LINK_TYPE, self.link_type.as_u32()),
                Ttlv::text(
                    Tag::LINKED_OBJECT_IDENTIFIER,
                    self.linked_object_identifier.clone(),
                ),
            ],
        )
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

impl FromTtlv for CryptographicParameters {
    /// Reads a Cryptographic Parameters structure (any tag: `CryptographicParameters` as an
    /// operation argument, `AttributeValue` in KMIP 1.x). Unknown fields are refused.
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        Fields::attribute(t, Tag::CRYPTOGRAPHIC_PARAMETERS, "CryptographicParameters")?.decode(
            |f| {
                Ok(CryptographicParameters {
                    block_cipher_mode: f
                        .optional_enum(Tag::BLOCK_CIPHER_MODE, BlockCipherMode::from_u32)?,
                    padding_method: f
                        .optional_enum(Tag::PADDING_METHOD, PaddingMethod::from_u32)?,
                    hashing_algorithm: f
                        .optional_enum(Tag::HASHING_ALGORITHM, HashingAlgorithm::from_u32)?,
                    key_role_type: f.optional_enum(Tag::KEY_ROLE_TYPE, KeyRoleType::from_u32)?,
                    digital_signature_algorithm: f.optional_enum(
                        Tag::DIGITAL_SIGNATURE_ALGORITHM,
                        DigitalSignatureAlgorithm::from_u32,
                    )?,
                    cryptographic_algorithm: f.optional_enum(
                        Tag::CRYPTOGRAPHIC_ALGORITHM,
                        CryptographicAlgorithm::from_u32,
                    )?,
                    random_iv: f.optional(Tag::RANDOM_IV)?,
                    iv_length: f.optional(Tag::IV_LENGTH)?,
                    tag_length: f.optional(Tag::TAG_LENGTH)?,
                    fixed_field_length: f.optional(Tag::FIXED_FIELD_LENGTH)?,
                    invocation_field_length: f.optional(Tag::INVOCATION_FIELD_LENGTH)?,
                    counter_length: f.optional(Tag::COUNTER_LENGTH)?,
                    initial_counter_value: f.optional(Tag::INITIAL_COUNTER_VALUE)?,
                    salt_length: f.optional(Tag::SALT_LENGTH)?,
                    mask_generator: f
                        .optional_enum(Tag::MASK_GENERATOR, MaskGenerator::from_u32)?,
                    mask_generator_hashing_algorithm: f.optional_enum(
                        Tag::MASK_GENERATOR_HASHING_ALGORITHM,
                        HashingAlgorithm::from_u32,
                    )?,
                    p_source: f.optional(Tag::P_SOURCE)?,
                    trailer_field: f.optional(Tag::TRAILER_FIELD)?,
                })
            },
        )
    }
}

impl ToTtlv for &CryptographicParameters {
    fn to_ttlv(self) -> Ttlv {
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
        opt_bytes(&mut v, Tag::P_SOURCE, &self.p_source);
        opt_int(&mut v, Tag::TRAILER_FIELD, self.trailer_field);
        Ttlv::structure(Tag::CRYPTOGRAPHIC_PARAMETERS, v)
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

impl FromTtlv for RevocationReason {
    /// Reads a Revocation Reason structure (any tag).
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        Fields::attribute(t, Tag::REVOCATION_REASON, "RevocationReason")?.decode(|f| {
            Ok(RevocationReason {
                code: f
                    .required_enum(Tag::REVOCATION_REASON_CODE, RevocationReasonCode::from_u32)?,
                message: f.optional(Tag::REVOCATION_MESSAGE)?,
            })
        })
    }
}

impl ToTtlv for &RevocationReason {
    fn to_ttlv(self) -> Ttlv {
        let mut v = vec![Ttlv::enumeration(
            Tag::REVOCATION_REASON_CODE,
            self.code.as_u32(),
        )];
        opt_text(&mut v, Tag::REVOCATION_MESSAGE, &self.message);
        Ttlv::structure(Tag::REVOCATION_REASON, v)
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

impl FromTtlv for Digest {
    /// Reads a Digest structure (any tag).
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        Fields::attribute(t, Tag::DIGEST, "Digest")?.decode(|f| {
            Ok(Digest {
                hashing_algorithm: f
                    .required_enum(Tag::HASHING_ALGORITHM, HashingAlgorithm::from_u32)?,
                digest_value: f.optional(Tag::DIGEST_VALUE)?,
                key_format_type: f.optional_enum(Tag::KEY_FORMAT_TYPE, KeyFormatType::from_u32)?,
            })
        })
    }
}

impl ToTtlv for &Digest {
    fn to_ttlv(self) -> Ttlv {
        let mut v = vec![Ttlv::enumeration(
            Tag::HASHING_ALGORITHM,
            self.hashing_algorithm.as_u32(),
        )];
        opt_bytes(&mut v, Tag::DIGEST_VALUE, &self.digest_value);
        opt_enum(
            &mut v,
            Tag::KEY_FORMAT_TYPE,
            self.key_format_type,
            KeyFormatType::as_u32,
        );
        Ttlv::structure(Tag::DIGEST, v)
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

impl FromTtlv for ApplicationSpecificInformation {
    /// Reads the structure (any tag).
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        Fields::attribute(
            t,
            Tag::APPLICATION_SPECIFIC_INFORMATION,
            "ApplicationSpecificInformation",
        )?
        .decode(|f| {
            Ok(ApplicationSpecificInformation {
                application_namespace: f.required(Tag::APPLICATION_NAMESPACE)?,
                application_data: f.optional(Tag::APPLICATION_DATA)?,
            })
        })
    }
}

impl ToTtlv for &ApplicationSpecificInformation {
    fn to_ttlv(self) -> Ttlv {
        let mut v = vec![Ttlv::text(
            Tag::APPLICATION_NAMESPACE,
            self.application_namespace.clone(),
        )];
        opt_text(&mut v, Tag::APPLICATION_DATA, &self.application_data);
        Ttlv::structure(Tag::APPLICATION_SPECIFIC_INFORMATION, v)
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
pub fn v1_to_v2(attr: Ttlv) -> Result<(Ttlv, Option<i32>), Error> {
    let mut f = Fields::attribute(attr, Tag::ATTRIBUTE, "Attribute")?;
    let name: String = f.required(Tag::ATTRIBUTE_NAME)?;
    let index = f.optional(Tag::ATTRIBUTE_INDEX)?;
    let value: Option<Ttlv> = f.optional(Tag::ATTRIBUTE_VALUE)?;
    f.finish()?;
    if is_custom_name(&name) {
        // A custom attribute may come without a value (GetAttributes by name).
        let v = value.unwrap_or_else(|| Ttlv::text(Tag::ATTRIBUTE_VALUE, ""));
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
    Ok((value.retagged(tag), index))
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
    /// Reads KMIP 1.x attributes: a Template-Attribute (or Common/Private Key/Public Key
    /// Template-Attribute) whose `Attribute` children carry them, a bare `Attribute`, or any
    /// structure of `Attribute`s. Template `Name` references are ignored.
    pub fn from_template_attribute(t: Ttlv) -> Result<Attributes, Error> {
        let mut a = Attributes::default();
        if t.tag == Tag::ATTRIBUTE {
            let (item, _) = v1_to_v2(t)?;
            a.apply(item, true)?;
            return Ok(a);
        }
        let mut f = Fields::attribute(t, Tag::TEMPLATE_ATTRIBUTE, "TemplateAttribute")?;
        for c in f.all::<Ttlv>(Tag::ATTRIBUTE)? {
            let (item, _) = v1_to_v2(c)?;
            a.apply(item, true)?;
        }
        // Template Name references are ignored.
        f.all::<Ttlv>(Tag::NAME)?;
        f.finish()?;
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
    fn apply(&mut self, item: Ttlv, strict: bool) -> Result<(), Error> {
        let tag = item.tag;
        let t = item;
        match tag {
            Tag::UNIQUE_IDENTIFIER => set_single(
                &mut self.unique_identifier,
                String::from_ttlv(t)?,
                tag,
                strict,
            )?,
            Tag::NAME => self.names.push(Name::from_ttlv(t)?),
            Tag::OBJECT_TYPE => set_single(
                &mut self.object_type,
                enumeration(t, ObjectType::from_u32)?,
                tag,
                strict,
            )?,
            Tag::CRYPTOGRAPHIC_ALGORITHM => set_single(
                &mut self.cryptographic_algorithm,
                enumeration(t, CryptographicAlgorithm::from_u32)?,
                tag,
                strict,
            )?,
            Tag::CRYPTOGRAPHIC_LENGTH => set_single(
                &mut self.cryptographic_length,
                i32::from_ttlv(t)?,
                tag,
                strict,
            )?,
            Tag::CRYPTOGRAPHIC_PARAMETERS => set_single(
                &mut self.cryptographic_parameters,
                CryptographicParameters::from_ttlv(t)?,
                tag,
                strict,
            )?,
            Tag::CRYPTOGRAPHIC_DOMAIN_PARAMETERS => {
                const P: &str = "CryptographicDomainParameters";
                let mut f = Fields::attribute(t, Tag::CRYPTOGRAPHIC_DOMAIN_PARAMETERS, P)?;
                let q = f.optional(Tag::QLENGTH)?;
                let c = f.optional_enum(Tag::RECOMMENDED_CURVE, RecommendedCurve::from_u32)?;
                f.finish()?;
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
                tag,
                strict,
            )?,
            Tag::CRYPTOGRAPHIC_USAGE_MASK => set_single(
                &mut self.cryptographic_usage_mask,
                i32::from_ttlv(t)? as u32,
                tag,
                strict,
            )?,
            Tag::STATE => set_single(
                &mut self.state,
                enumeration(t, State::from_u32)?,
                tag,
                strict,
            )?,
            Tag::INITIAL_DATE => set_single(&mut self.initial_date, datetime(t)?, tag, strict)?,
            Tag::ACTIVATION_DATE => {
                set_single(&mut self.activation_date, datetime(t)?, tag, strict)?
            }
            Tag::DEACTIVATION_DATE => {
                set_single(&mut self.deactivation_date, datetime(t)?, tag, strict)?
            }
            Tag::DESTROY_DATE => set_single(&mut self.destroy_date, datetime(t)?, tag, strict)?,
            Tag::COMPROMISE_DATE => {
                set_single(&mut self.compromise_date, datetime(t)?, tag, strict)?
            }
            Tag::COMPROMISE_OCCURRENCE_DATE => set_single(
                &mut self.compromise_occurrence_date,
                datetime(t)?,
                tag,
                strict,
            )?,
            Tag::ARCHIVE_DATE => set_single(&mut self.archive_date, datetime(t)?, tag, strict)?,
            Tag::LAST_CHANGE_DATE => {
                set_single(&mut self.last_change_date, datetime(t)?, tag, strict)?
            }
            Tag::ORIGINAL_CREATION_DATE => {
                set_single(&mut self.original_creation_date, datetime(t)?, tag, strict)?
            }
            Tag::PROCESS_START_DATE => {
                set_single(&mut self.process_start_date, datetime(t)?, tag, strict)?
            }
            Tag::PROTECT_STOP_DATE => {
                set_single(&mut self.protect_stop_date, datetime(t)?, tag, strict)?
            }
            Tag::OBJECT_GROUP => self.object_groups.push(String::from_ttlv(t)?),
            Tag::KEY_FORMAT_TYPE => set_single(
                &mut self.key_format_type,
                enumeration(t, KeyFormatType::from_u32)?,
                tag,
                strict,
            )?,
            Tag::LINK => self.links.push(Link::from_ttlv(t)?),
            Tag::REVOCATION_REASON => set_single(
                &mut self.revocation_reason,
                RevocationReason::from_ttlv(t)?,
                tag,
                strict,
            )?,
            Tag::CONTACT_INFORMATION => set_single(
                &mut self.contact_information,
                String::from_ttlv(t)?,
                tag,
                strict,
            )?,
            Tag::DESCRIPTION => {
                set_single(&mut self.description, String::from_ttlv(t)?, tag, strict)?
            }
            Tag::COMMENT => set_single(&mut self.comment, String::from_ttlv(t)?, tag, strict)?,
            Tag::OPERATION_POLICY_NAME => set_single(
                &mut self.operation_policy_name,
                String::from_ttlv(t)?,
                tag,
                strict,
            )?,
            Tag::SENSITIVE => set_single(&mut self.sensitive, bool::from_ttlv(t)?, tag, strict)?,
            Tag::ALWAYS_SENSITIVE => {
                set_single(&mut self.always_sensitive, bool::from_ttlv(t)?, tag, strict)?
            }
            Tag::EXTRACTABLE => {
                set_single(&mut self.extractable, bool::from_ttlv(t)?, tag, strict)?
            }
            Tag::NEVER_EXTRACTABLE => set_single(
                &mut self.never_extractable,
                bool::from_ttlv(t)?,
                tag,
                strict,
            )?,
            Tag::FRESH => set_single(&mut self.fresh, bool::from_ttlv(t)?, tag, strict)?,
            Tag::KEY_VALUE_PRESENT => set_single(
                &mut self.key_value_present,
                bool::from_ttlv(t)?,
                tag,
                strict,
            )?,
            Tag::DIGEST => self.digests.push(Digest::from_ttlv(t)?),
            Tag::APPLICATION_SPECIFIC_INFORMATION => self
                .application_specific_information
                .push(ApplicationSpecificInformation::from_ttlv(t)?),
            Tag::CERTIFICATE_TYPE => set_single(
                &mut self.certificate_type,
                enumeration(t, CertificateType::from_u32)?,
                tag,
                strict,
            )?,
            Tag::CERTIFICATE_LENGTH => set_single(
                &mut self.certificate_length,
                i32::from_ttlv(t)?,
                tag,
                strict,
            )?,
            Tag::DIGITAL_SIGNATURE_ALGORITHM => set_single(
                &mut self.digital_signature_algorithm,
                enumeration(t, DigitalSignatureAlgorithm::from_u32)?,
                tag,
                strict,
            )?,
            Tag::LEASE_TIME => set_single(&mut self.lease_time, interval(t)?, tag, strict)?,
            Tag::ATTRIBUTE => {
                let mut f = Fields::attribute(t, Tag::ATTRIBUTE, "VendorAttribute")?;
                let vendor: String = f.optional(Tag::VENDOR_IDENTIFICATION)?.unwrap_or_default();
                let name: String = f.required(Tag::ATTRIBUTE_NAME)?;
                let value: Ttlv = f.required(Tag::ATTRIBUTE_VALUE)?;
                f.finish()?;
                let full = if vendor.is_empty() {
                    name
                } else {
                    format!("{vendor}-{name}")
                };
                self.custom.push((full, value));
            }
            _ => {
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
                self.custom.push((name, t));
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
        v.extend(self.names.iter().map(ToTtlv::to_ttlv));
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
        v.extend(self.links.iter().map(ToTtlv::to_ttlv));
        if let Some(r) = &self.revocation_reason {
            v.push(r.to_ttlv());
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
        v.extend(self.digests.iter().map(ToTtlv::to_ttlv));
        v.extend(
            self.application_specific_information
                .iter()
                .map(ToTtlv::to_ttlv),
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

    /// The values of an attribute this type keeps verbatim, having no field for it (Usage
    /// Limits, say): what [`Attributes::get`] finds for such a tag, without building every
    /// item first (a hot path asks for one on every use of a key). Nothing for an attribute
    /// with a field of its own.
    pub fn verbatim(&self, tag: Tag) -> impl Iterator<Item = &Ttlv> {
        self.custom
            .iter()
            .filter(move |(_, i)| i.tag == tag && tag != Tag::ATTRIBUTE_VALUE)
            .map(|(_, i)| i)
    }

    /// The current values of one attribute, as 2.x items (several for a multi-valued one;
    /// every vendor attribute for [`Tag::ATTRIBUTE`]).
    pub fn get(&self, tag: Tag) -> Vec<Ttlv> {
        self.items().into_iter().filter(|i| i.tag == tag).collect()
    }

    #[cfg(test)]
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

    fn rebuilt(items: Vec<Ttlv>) -> Result<Attributes, Error> {
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
        next.apply(item.clone(), false)?;
        *self = next;
        Ok(())
    }

    /// SetAttribute: replaces every instance of the attribute (for a vendor attribute, every
    /// instance with that vendor and name) by `item`. On error nothing changes.
    pub fn set(&mut self, item: &Ttlv) -> Result<(), Error> {
        let mut items = self.items();
        items.retain(|i| !same_attribute(i, item));
        items.push(item.clone());
        *self = Self::rebuilt(items)?;
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
        *self = Self::rebuilt(items)?;
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
            && let Ok(a) = Self::rebuilt(kept)
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

impl FromTtlv for Attributes {
    /// Reads a KMIP 2.x `Attributes` structure (or `CommonAttributes`, `PrivateKeyAttributes`,
    /// …: the tag is not checked). A single-valued attribute given twice is refused.
    fn from_ttlv(t: Ttlv) -> Result<Attributes, Error> {
        let mut a = Attributes::default();
        for item in crate::codec::children(t)? {
            a.apply(item, true)?;
        }
        Ok(a)
    }
}

impl ToTtlv for &Attributes {
    /// The KMIP 2.x `Attributes` structure (another container tag: [`Ttlv::retagged`]).
    fn to_ttlv(self) -> Ttlv {
        Ttlv::structure(Tag::ATTRIBUTES, self.items())
    }
}

#[cfg(test)]
mod tests;
