//! Attributes as operations read and answer them, in the shape of the client's KMIP version.
//!
//! This module owns:
//! - reading request attributes in either form: KMIP 2.x `Attributes` (and `CommonAttributes`,
//!   `PrivateKeyAttributes`, `PublicKeyAttributes`) or KMIP 1.x `TemplateAttribute` (and the
//!   `Common`/`PrivateKey`/`PublicKey` template attributes); the single attribute of the
//!   Add/Set/Modify/Delete operations is read by their request types
//!   ([`ekms_kmip::operations::attribute`]);
//! - answering attributes in the client's shape: a 2.x `Attributes` structure or 1.x `Attribute`
//!   structures named by text, leaving out attributes the client's version does not define;
//! - which attributes a client may write (the others are the server's), and the attributes the
//!   server sets on every new object.

use crate::error::KmipError;
use crate::operations::Context;
use ekms_kmip::attributes::{attribute_tag, is_multi_valued};
use ekms_kmip::enums::{ObjectType, ResultReason, State};
use ekms_kmip::operations::attribute::Reference;
use ekms_kmip::{Attributes, FromTtlv, ProtocolVersion, Tag, Ttlv};

/// The protocol version the operation answers in.
pub fn version(ctx: &Context<'_>) -> ProtocolVersion {
    ctx.version
}

/// True when the client speaks KMIP 1.x (Template-Attribute, attributes named by text).
pub fn is_v1(ctx: &Context<'_>) -> bool {
    version(ctx).is_v1()
}

fn bad_attributes(e: ekms_kmip::Error) -> KmipError {
    KmipError::new(ResultReason::InvalidField, format!("bad attributes: {e}"))
}

/// Merges `extra` into `base`: single-valued attributes of `extra` win, multi-valued ones are
/// added (CreateKeyPair: common attributes, then the private or public ones).
pub fn merge(base: &Attributes, extra: &Attributes) -> Result<Attributes, KmipError> {
    let mut out = base.clone();
    for item in extra.items() {
        if is_multi_valued(item.tag) {
            out.add(&item).map_err(bad_attributes)?;
        } else {
            out.set(&item).map_err(bad_attributes)?;
        }
    }
    Ok(out)
}

/// Attributes only the server sets; a client may read them but never write them (the
/// KMIP 2.x Certificate Subject and Issuer attributes come from the certificate).
pub fn is_server_only(tag: Tag) -> bool {
    (Tag::CERTIFICATE_SUBJECT_CN.0..=Tag::CERTIFICATE_ISSUER_DN_QUALIFIER.0).contains(&tag.0)
        || matches!(
            tag,
            Tag::UNIQUE_IDENTIFIER
                | Tag::OBJECT_TYPE
                | Tag::CRYPTOGRAPHIC_ALGORITHM
                | Tag::CRYPTOGRAPHIC_LENGTH
                | Tag::CRYPTOGRAPHIC_DOMAIN_PARAMETERS
                | Tag::CERTIFICATE_TYPE
                | Tag::CERTIFICATE_LENGTH
                | Tag::CERTIFICATE_IDENTIFIER
                | Tag::CERTIFICATE_SUBJECT
                | Tag::CERTIFICATE_ISSUER
                | Tag::X_509_CERTIFICATE_IDENTIFIER
                | Tag::X_509_CERTIFICATE_SUBJECT
                | Tag::X_509_CERTIFICATE_ISSUER
                | Tag::DIGITAL_SIGNATURE_ALGORITHM
                | Tag::DIGEST
                | Tag::LEASE_TIME
                | Tag::STATE
                | Tag::INITIAL_DATE
                | Tag::DESTROY_DATE
                | Tag::COMPROMISE_DATE
                | Tag::COMPROMISE_OCCURRENCE_DATE
                | Tag::REVOCATION_REASON
                | Tag::ARCHIVE_DATE
                | Tag::LAST_CHANGE_DATE
                | Tag::ORIGINAL_CREATION_DATE
                | Tag::KEY_VALUE_PRESENT
                | Tag::KEY_VALUE_LOCATION
                | Tag::ALWAYS_SENSITIVE
                | Tag::NEVER_EXTRACTABLE
                | Tag::KEY_FORMAT_TYPE
                | Tag::RANDOM_NUMBER_GENERATOR
                | Tag::SHORT_UNIQUE_IDENTIFIER
                | Tag::PROTECTION_STORAGE_MASK
        )
}

/// Attributes a client may set only when the object is made (Create, Register, …), never later.
/// Fresh: a client may register an object as not fresh; the server makes it false once the
/// object is served.
pub fn is_set_once(tag: Tag) -> bool {
    matches!(tag, Tag::CRYPTOGRAPHIC_USAGE_MASK | Tag::FRESH)
}

/// Refuses a client write of `tag` on an existing object in state `state`.
pub fn check_client_write(tag: Tag, state: State) -> Result<(), KmipError> {
    let name = tag.name().unwrap_or("this attribute");
    if is_server_only(tag) || is_set_once(tag) {
        return Err(KmipError::new(
            ResultReason::AttributeReadOnly,
            format!("{name} is set by the server and cannot be changed by a client"),
        ));
    }
    // KMIP: the Activation Date may change only before activation, the Deactivation Date only
    // before deactivation.
    let locked = match tag {
        Tag::ACTIVATION_DATE => state != State::PreActive,
        Tag::DEACTIVATION_DATE | Tag::PROCESS_START_DATE | Tag::PROTECT_STOP_DATE => {
            !matches!(state, State::PreActive | State::Active)
        }
        _ => false,
    };
    if locked {
        // The object's state forbids the change, not the attribute: Wrong Key Lifecycle
        // State, as the lifecycle profile cases answer (Permission Denied for 1.x clients).
        return Err(KmipError::new(
            ResultReason::WrongKeyLifecycleState,
            format!("{name} cannot change once the object is {}", state.name()),
        ));
    }
    Ok(())
}

/// Removes from client-provided attributes every attribute the server owns.
pub fn drop_server_only(attrs: &mut Attributes) {
    let mut kept = attrs.clone();
    for item in attrs.items() {
        if is_server_only(item.tag) && item.tag != Tag::UNIQUE_IDENTIFIER {
            kept.delete(item.tag, None);
        }
    }
    *attrs = kept;
}

/// Stamps the attributes every new object gets: identity (with the Short Unique Identifier),
/// type, state, dates, Fresh, Always Sensitive and Never Extractable.
pub fn init_new_object(attrs: &mut Attributes, uid: &str, object_type: ObjectType, now: i64) {
    attrs.unique_identifier = Some(uid.to_string());
    attrs.object_type = Some(object_type);
    attrs.state = Some(State::PreActive);
    attrs.initial_date = Some(now);
    attrs.last_change_date = Some(now);
    if attrs.original_creation_date.is_none() {
        attrs.original_creation_date = Some(now);
    }
    // Fresh until served (Get, Export), unless the client says otherwise; Always Sensitive and
    // Never Extractable say how the object began (Sensitive can only become true and
    // Extractable only false later, which leaves them as they are).
    if attrs.fresh.is_none() {
        attrs.fresh = Some(true);
    }
    // KMIP's defaults, stated so that Get Attribute List and Get Attributes name them.
    let sensitive = *attrs.sensitive.get_or_insert(false);
    let extractable = *attrs.extractable.get_or_insert(true);
    attrs.always_sensitive = Some(sensitive);
    attrs.never_extractable = Some(!extractable);
    // KMIP 2.x's Short Unique Identifier: ekms makes it the SHA-256 of the Unique Identifier
    // (32 bytes, as the specification sizes it).
    let short = ekms_crypto::digest::digest(ekms_crypto::HashAlgorithm::Sha256, uid.as_bytes());
    if let Err(e) = attrs.set(&Ttlv::bytes(Tag::SHORT_UNIQUE_IDENTIFIER, short)) {
        tracing::warn!(uid, error = %e, "no Short Unique Identifier for the new object");
    }
    attrs.destroy_date = None;
    attrs.compromise_date = None;
    attrs.compromise_occurrence_date = None;
    attrs.revocation_reason = None;
    attrs.archive_date = None;
    if attrs.operation_policy_name.is_none() {
        // The policy in effect: the owner and the grants (docs/access.md).
        attrs.operation_policy_name = Some("default".to_string());
    }
}

/// Records on an object whose key material the server generated which generator made it:
/// aws-lc's CTR_DRBG (NIST SP 800-90A) over AES-256, seeded from the operating system, the
/// generator behind every random byte ekms makes. An object whose bytes a client brought
/// (Register, Import) gets none.
pub fn mark_generated(attrs: &mut Attributes) {
    use ekms_kmip::enums::{CryptographicAlgorithm, DrbgAlgorithm, RngAlgorithm};
    let rng = Ttlv::structure(
        Tag::RANDOM_NUMBER_GENERATOR,
        vec![
            Ttlv::enumeration(Tag::RNG_ALGORITHM, RngAlgorithm::Drbg as u32),
            Ttlv::enumeration(
                Tag::CRYPTOGRAPHIC_ALGORITHM,
                CryptographicAlgorithm::Aes as u32,
            ),
            Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, 256),
            Ttlv::enumeration(Tag::DRBG_ALGORITHM, DrbgAlgorithm::Ctr as u32),
        ],
    );
    if let Err(e) = attrs.set(&rng) {
        tracing::warn!(error = %e, "no Random Number Generator attribute for the new object");
    }
}

/// Refuses to make a key the client marked Quantum Safe when it would not be: a symmetric key
/// of fewer than 256 bits (Grover's search halves its strength) or any key pair (ekms offers
/// RSA and elliptic curves only, which a quantum computer breaks). General Failure, as the
/// Quantum Safe profile's cases answer. `bits`: the key's length; `None` for a key pair.
pub fn check_quantum_safe(
    attrs: &Attributes,
    algorithm: ekms_kmip::enums::CryptographicAlgorithm,
    bits: Option<i32>,
) -> Result<(), KmipError> {
    let asked = attrs
        .get(Tag::QUANTUM_SAFE)
        .iter()
        .any(|t| t.as_bool() == Some(true));
    let safe = bits.is_some_and(|b| b >= 256);
    if asked && !safe {
        return Err(KmipError::new(
            ResultReason::GeneralFailure,
            format!(
                "QuantumSafe was asked for, but a {} key{} is not quantum safe: use a symmetric \
                 key of 256 bits (AES-256, ChaCha20)",
                algorithm.name(),
                bits.map(|b| format!(" of {b} bits")).unwrap_or_default()
            ),
        ));
    }
    Ok(())
}

/// The KMIP version that introduced an attribute (1.0 for the original set).
fn introduced(tag: Tag) -> ProtocolVersion {
    match tag {
        Tag::CERTIFICATE_LENGTH
        | Tag::X_509_CERTIFICATE_IDENTIFIER
        | Tag::X_509_CERTIFICATE_SUBJECT
        | Tag::X_509_CERTIFICATE_ISSUER
        | Tag::DIGITAL_SIGNATURE_ALGORITHM
        | Tag::FRESH => ProtocolVersion::V1_1,
        Tag::ALTERNATIVE_NAME
        | Tag::KEY_VALUE_PRESENT
        | Tag::KEY_VALUE_LOCATION
        | Tag::ORIGINAL_CREATION_DATE => ProtocolVersion::V1_2,
        Tag::RANDOM_NUMBER_GENERATOR => ProtocolVersion::V1_3,
        Tag::PKCS12_FRIENDLY_NAME
        | Tag::DESCRIPTION
        | Tag::COMMENT
        | Tag::SENSITIVE
        | Tag::ALWAYS_SENSITIVE
        | Tag::EXTRACTABLE
        | Tag::NEVER_EXTRACTABLE => ProtocolVersion::V1_4,
        // A field of the Key Block in 1.x, an attribute from 2.0 on.
        Tag::KEY_FORMAT_TYPE => ProtocolVersion::V2_0,
        t if (Tag::CERTIFICATE_SUBJECT_CN.0..=Tag::CERTIFICATE_ISSUER_DN_QUALIFIER.0)
            .contains(&t.0) =>
        {
            ProtocolVersion::V2_0
        }
        t if t.0 >= Tag::SHORT_UNIQUE_IDENTIFIER.0 => ProtocolVersion::V2_0,
        _ => ProtocolVersion::V1_0,
    }
}

/// True if a client of version `v` knows the attribute `tag`.
pub fn known_in(tag: Tag, v: ProtocolVersion) -> bool {
    if v.is_v1() {
        introduced(tag) <= v
    } else {
        // KMIP 2.0 removed the 1.x certificate name attributes, Custom Attribute and Operation
        // Policy Name.
        !matches!(
            tag,
            Tag::CERTIFICATE_IDENTIFIER
                | Tag::CERTIFICATE_SUBJECT
                | Tag::CERTIFICATE_ISSUER
                | Tag::CUSTOM_ATTRIBUTE
                | Tag::OPERATION_POLICY_NAME
        )
    }
}

/// The response items carrying `attrs` (optionally only the attributes in `wanted`): one
/// `Attributes` structure in 2.x, one `Attribute` structure per value in 1.x.
pub fn answer(ctx: &Context<'_>, attrs: &Attributes, wanted: Option<&[Wanted]>) -> Vec<Ttlv> {
    let v = version(ctx);
    let attrs = &with_server_policy(ctx, attrs);
    if v.is_v1() {
        let mut out: Vec<Ttlv> = attrs
            .to_attribute_list_v1()
            .into_iter()
            .filter(|a| {
                let name = a
                    .child(Tag::ATTRIBUTE_NAME)
                    .and_then(Ttlv::as_text)
                    .unwrap_or("");
                let tag = attribute_tag(name).unwrap_or(Tag::ATTRIBUTE);
                known_in(tag, v) && wanted.is_none_or(|w| w.iter().any(|w| w.matches_v1(name, tag)))
            })
            .collect();
        if let Some(w) = wanted {
            // Answer in the order asked.
            out.sort_by_key(|a| {
                let name = a
                    .child(Tag::ATTRIBUTE_NAME)
                    .and_then(Ttlv::as_text)
                    .unwrap_or("");
                let tag = attribute_tag(name).unwrap_or(Tag::ATTRIBUTE);
                w.iter()
                    .position(|w| w.matches_v1(name, tag))
                    .unwrap_or(usize::MAX)
            });
        }
        out
    } else {
        let items: Vec<Ttlv> = attrs
            .items()
            .into_iter()
            .filter(|i| known_in(i.tag, v) && wanted.is_none_or(|w| w.iter().any(|w| w.matches(i))))
            .collect();
        vec![Ttlv::structure(Tag::ATTRIBUTES, items)]
    }
}

/// `attrs` with the attributes that state the server's policy rather than anything stored
/// with the object, so that a change of setting reaches every object: the Lease Time
/// (`--lease-time-seconds`, unless 0) and the Protection Storage Mask, Software: ekms keeps
/// every object in software (enclave memory and its encrypted database), never in an HSM;
/// and the Key Format Type Get serves the client by default (`formats::served_format`).
fn with_server_policy(ctx: &Context<'_>, attrs: &Attributes) -> Attributes {
    let mut out = attrs.clone();
    let lease = ctx.limits.lease_time_seconds;
    out.lease_time = (lease > 0).then_some(lease);
    let software = Ttlv::integer(
        Tag::PROTECTION_STORAGE_MASK,
        ekms_kmip::enums::protection_storage_mask::SOFTWARE.cast_signed(),
    );
    if let Err(e) = out.set(&software) {
        tracing::warn!(error = %e, "no Protection Storage Mask in the answer");
    }
    // The format Get serves this client by default, which may not be the stored one.
    if let Some(f) = super::formats::served_format(attrs, version(ctx)) {
        out.key_format_type = Some(f);
    }
    out
}

/// An attribute asked for by name (1.x `AttributeName`) or reference (2.x `AttributeReference`).
#[derive(Clone, Debug, PartialEq)]
pub enum Wanted {
    /// A standard attribute.
    Tag(Tag),
    /// A vendor or custom attribute: vendor identification (may be empty) and name.
    Vendor(String, String),
}

impl From<Reference> for Wanted {
    fn from(r: Reference) -> Self {
        match r {
            Reference::Tag(t) => Wanted::Tag(t),
            Reference::Vendor(vendor, name) => Wanted::Vendor(vendor, name),
        }
    }
}

impl Wanted {
    /// Reads a 1.x attribute name ("Cryptographic Algorithm", "x-my-attr").
    pub fn from_v1_name(name: &str) -> Result<Self, KmipError> {
        Reference::from_v1_name(name)
            .map(Wanted::from)
            .map_err(KmipError::from_payload)
    }

    /// Reads a 2.x AttributeReference (an enumeration of the tag, a structure naming a vendor
    /// attribute, or the tag name as text).
    pub fn from_reference(r: &Ttlv) -> Result<Self, KmipError> {
        Reference::from_ttlv(r.clone())
            .map(Wanted::from)
            .map_err(KmipError::from_payload)
    }

    /// Whether a 2.x attribute item is this attribute.
    pub fn matches(&self, item: &Ttlv) -> bool {
        match self {
            Wanted::Tag(t) => item.tag == *t,
            Wanted::Vendor(vendor, name) => {
                item.tag == Tag::ATTRIBUTE
                    && item
                        .child(Tag::VENDOR_IDENTIFICATION)
                        .and_then(Ttlv::as_text)
                        == Some(vendor.as_str())
                    && item.child(Tag::ATTRIBUTE_NAME).and_then(Ttlv::as_text)
                        == Some(name.as_str())
            }
        }
    }

    fn matches_v1(&self, name: &str, tag: Tag) -> bool {
        match self {
            Wanted::Tag(t) => *t == tag,
            Wanted::Vendor(vendor, n) => {
                let full = if vendor.is_empty() {
                    n.clone()
                } else {
                    format!("{vendor}-{n}")
                };
                full == name
            }
        }
    }

    /// The tag this names (`Attribute` for vendor attributes).
    pub fn tag(&self) -> Tag {
        match self {
            Wanted::Tag(t) => *t,
            Wanted::Vendor(..) => Tag::ATTRIBUTE,
        }
    }
}

pub use ekms_kmip::operations::attribute::OneAttribute;

/// The instances of one attribute on an object, in order (for index arithmetic).
pub fn instances(attrs: &Attributes, like: &Ttlv) -> Vec<Ttlv> {
    attrs
        .items()
        .into_iter()
        .filter(|i| same_attribute(i, like))
        .collect()
}

pub use ekms_kmip::attributes::same_attribute;

/// Replaces (with `new`) or removes (without) the `index`-th instance of the attribute `like`
/// names. Returns the old instance, or None if there is no such instance (nothing changes).
pub fn edit_instance(
    attrs: &mut Attributes,
    like: &Ttlv,
    index: usize,
    new: Option<&Ttlv>,
) -> Result<Option<Ttlv>, KmipError> {
    let mut items = attrs.items();
    let Some(pos) = items
        .iter()
        .enumerate()
        .filter(|(_, i)| same_attribute(i, like))
        .map(|(p, _)| p)
        .nth(index)
    else {
        return Ok(None);
    };
    let old = match (new, items.get_mut(pos)) {
        (Some(n), Some(slot)) => std::mem::replace(slot, n.clone()),
        (None, Some(_)) => items.remove(pos),
        (_, None) => return Ok(None),
    };
    *attrs = Attributes::from_ttlv(Ttlv::structure(Tag::ATTRIBUTES, items)).map_err(|e| {
        KmipError::new(
            ResultReason::InvalidAttributeValue,
            format!("the edited attributes are invalid: {e}"),
        )
    })?;
    Ok(Some(old))
}

/// The position of `item` among the instances of its attribute.
pub fn index_of(attrs: &Attributes, item: &Ttlv) -> Option<i32> {
    instances(attrs, item)
        .iter()
        .position(|i| i == item)
        .and_then(|p| i32::try_from(p).ok())
}

/// The attribute a 1.x client is answered with after an edit: the instance with its index
/// (none for a 2.x client).
pub fn v1_answer(ctx: &Context<'_>, item: &Ttlv, index: i32) -> Option<OneAttribute> {
    is_v1(ctx).then(|| OneAttribute::v1(item.clone(), answer_index(item, Some(index))))
}

/// The 1.x index to answer for an instance: multi-valued attributes carry one.
fn answer_index(item: &Ttlv, index: Option<i32>) -> Option<i32> {
    if is_multi_valued(item.tag) {
        Some(index.unwrap_or(0))
    } else {
        None
    }
}

/// Sensitive may only become true and Extractable only false: once a key is protected, a
/// client cannot lift the protection (KMIP 1.4 and 2.x).
pub fn check_protection(attrs: &Attributes, tag: Tag, new: Option<&Ttlv>) -> Result<(), KmipError> {
    let new = new.and_then(Ttlv::as_bool);
    let lifted = match tag {
        Tag::SENSITIVE => attrs.sensitive == Some(true) && new != Some(true),
        Tag::EXTRACTABLE => attrs.extractable == Some(false) && new != Some(false),
        _ => false,
    };
    if lifted {
        return Err(KmipError::new(
            ResultReason::AttributeReadOnly,
            format!(
                "{} protects the key and cannot be lifted",
                tag.name().unwrap_or("the attribute")
            ),
        ));
    }
    Ok(())
}
