//! One request type and one response type per KMIP operation, shared by the server (which
//! decodes requests and encodes responses) and the client, CLI and bench (which do the
//! reverse): the same code reads and writes both sides, so they cannot drift apart.
//!
//! Each module `operations::<operation>` holds `Request` and `Response`; `Request` implements
//! [`KmipRequest`], which names its [`Operation`] and its `Response`. Both read and write the
//! payload structure with [`FromTtlv`] / [`ToTtlv`] under the Request Payload / Response
//! Payload tag (a caller that needs the JSON form's operation tag renames it with
//! [`Ttlv::retagged`]).
//!
//! Payloads are read with [`Fields::payload`], as the server always has: the first of several
//! equal fields wins and fields an operation does not use are ignored (how strictly unknown
//! fields are refused is a conformance question, kept apart). Requests KMIP says to refuse
//! with a particular Result Reason (a streaming Encrypt, a length out of range) fail with
//! [`Error::Refused`]; a missing field is [`Error::MissingField`] and a field of the wrong type
//! [`Error::WrongType`], which the server answers with Missing Data and Invalid Message.

pub mod activate;
pub mod add_attribute;
pub mod adjust_attribute;
pub mod archive;
pub mod attribute;
pub mod cancel;
pub mod certify;
pub mod check;
pub mod create;
pub mod create_key_pair;
pub mod create_split_key;
pub mod decrypt;
pub mod delete_attribute;
pub mod derive_key;
pub mod destroy;
pub mod discover_versions;
pub mod encrypt;
pub mod export;
pub mod get;
pub mod get_attribute_list;
pub mod get_attributes;
pub mod get_usage_allocation;
pub mod hash;
pub mod import;
pub mod interop;
pub mod join_split_key;
pub mod locate;
pub mod log;
pub mod mac;
pub mod mac_verify;
pub mod modify_attribute;
pub mod obtain_lease;
pub mod poll;
pub mod query;
pub mod recertify;
pub mod recover;
pub mod register;
pub mod rekey;
pub mod rekey_key_pair;
pub mod revoke;
pub mod rng_retrieve;
pub mod rng_seed;
pub mod set_attribute;
pub mod set_endpoint_role;
pub mod sign;
pub mod signature_verify;

#[cfg(test)]
mod tests;

use zeroize::Zeroizing;

use crate::attributes::{Attributes, CryptographicParameters};
use crate::codec::{Fields, FromTtlv, ToTtlv};
use crate::enums::{
    AdjustmentType, CancellationResult, CertificateRequestType, EndpointRole, ObjectType,
    Operation, ResultReason, SplitKeyMethod, ValidityIndicator,
};
use crate::error::Error;
use crate::tags::Tag;
use crate::ttlv::Ttlv;
use attribute::new_attribute;

/// What every operation module uses (one import list, not one per file).
mod prelude {
    pub(super) use super::{KmipRequest, payload, request, response};
    pub(super) use crate::attributes::{Attributes, CryptographicParameters};
    pub(super) use crate::codec::{Fields, FromTtlv, ToTtlv};
    pub(super) use crate::enums::Operation;
    pub(super) use crate::error::Error;
    pub(super) use crate::tags::Tag;
    pub(super) use crate::ttlv::Ttlv;
}

/// A KMIP operation's request: which operation it is and what it is answered with.
pub trait KmipRequest: FromTtlv + ToTtlv {
    /// The operation.
    const OPERATION: Operation;
    /// The response payload.
    type Response: FromTtlv + ToTtlv;
}

/// The Request Payload structure with these fields.
fn request(items: Vec<Ttlv>) -> Ttlv {
    Ttlv::structure(Tag::REQUEST_PAYLOAD, items)
}

/// The Response Payload structure with these fields.
fn response(items: Vec<Ttlv>) -> Ttlv {
    Ttlv::structure(Tag::RESPONSE_PAYLOAD, items)
}

/// Refuses the streaming fields of KMIP 2.x Encrypt, Decrypt, Sign, MAC… (ekms answers whole
/// messages; the /v1 stream routes stream).
fn refuse_streaming(f: &Fields) -> Result<(), Error> {
    let init = f.first(Tag::INIT_INDICATOR).and_then(Ttlv::as_bool) == Some(true);
    let last = f.first(Tag::FINAL_INDICATOR).and_then(Ttlv::as_bool) == Some(true);
    if f.has(Tag::CORRELATION_VALUE) || init || last {
        return Err(Error::refused(
            ResultReason::FeatureNotSupported,
            "multi-part (streaming) operations are not supported; use the /v1 stream routes",
        ));
    }
    Ok(())
}

/// Reads a required field (how a [`payload!`] field is read).
fn required<T: FromTtlv>(f: &mut Fields, tag: Tag) -> Result<T, Error> {
    f.required(tag)
}

/// Reads an optional field.
fn optional<T: FromTtlv>(f: &mut Fields, tag: Tag) -> Result<Option<T>, Error> {
    f.optional(tag)
}

/// Reads a required LongInteger.
fn required_long(f: &mut Fields, tag: Tag) -> Result<i64, Error> {
    f.required_with(tag, crate::codec::long)
}

/// Reads a required Interval.
fn required_interval(f: &mut Fields, tag: Tag) -> Result<u32, Error> {
    f.required_with(tag, crate::codec::interval)
}

/// A payload's DateTime field: seconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTime(pub i64);

/// Reads a required DateTime.
fn required_datetime(f: &mut Fields, tag: Tag) -> Result<DateTime, Error> {
    f.required_with(tag, crate::codec::datetime).map(DateTime)
}

impl Items for DateTime {
    fn push_into(self, tag: Tag, out: &mut Vec<Ttlv>) {
        out.push(Ttlv::datetime(tag, self.0));
    }
}

/// Reads an optional Interval.
fn optional_interval(f: &mut Fields, tag: Tag) -> Result<Option<u32>, Error> {
    f.optional_with(tag, crate::codec::interval)
}

/// Reads the attributes of a payload, 2.x `Attributes` or 1.x `TemplateAttribute` (none: empty).
fn template_attributes(f: &mut Fields, _: Tag) -> Result<Attributes, Error> {
    attributes_of(f, &[Tag::ATTRIBUTES, Tag::TEMPLATE_ATTRIBUTE]).map(Option::unwrap_or_default)
}

/// Reads the optional Cryptographic Parameters of a payload (a bad one is Invalid Field).
fn parameters(f: &mut Fields, tag: Tag) -> Result<Option<CryptographicParameters>, Error> {
    f.optional(tag).map_err(|e| {
        Error::refused(
            ResultReason::InvalidField,
            format!("bad CryptographicParameters: {e}"),
        )
    })
}

/// Reads the message of Sign and Signature Verify: Data, or Digested Data (second: true).
fn data_or_digest(f: &mut Fields, _: Tag) -> Result<(Vec<u8>, bool), Error> {
    match (f.optional(Tag::DATA)?, f.optional(Tag::DIGESTED_DATA)?) {
        (Some(d), None) => Ok((d, false)),
        (None, Some(d)) => Ok((d, true)),
        (Some(_), Some(_)) => Err(Error::refused(
            ResultReason::InvalidMessage,
            "give Data or DigestedData, not both",
        )),
        (None, None) => Err(Error::MissingField {
            parent: Tag::REQUEST_PAYLOAD,
            field: Tag::DATA,
        }),
    }
}

/// A payload field's value written as items (none for an absent optional field): the
/// encoding side of [`payload!`].
trait Items {
    fn push_into(self, tag: Tag, out: &mut Vec<Ttlv>);
}

impl Items for String {
    fn push_into(self, tag: Tag, out: &mut Vec<Ttlv>) {
        out.push(Ttlv::text(tag, self));
    }
}

impl Items for bool {
    fn push_into(self, tag: Tag, out: &mut Vec<Ttlv>) {
        out.push(Ttlv::boolean(tag, self));
    }
}

impl Items for Vec<u8> {
    fn push_into(self, tag: Tag, out: &mut Vec<Ttlv>) {
        out.push(Ttlv::bytes(tag, self));
    }
}

impl Items for Zeroizing<Vec<u8>> {
    /// The bytes move into the tree (the emptied buffer is wiped on drop).
    fn push_into(mut self, tag: Tag, out: &mut Vec<Ttlv>) {
        out.push(Ttlv::bytes(tag, std::mem::take(&mut *self)));
    }
}

impl Items for (Vec<u8>, bool) {
    /// Data, or Digested Data when the second is true.
    fn push_into(self, _: Tag, out: &mut Vec<Ttlv>) {
        let tag = if self.1 {
            Tag::DIGESTED_DATA
        } else {
            Tag::DATA
        };
        out.push(Ttlv::bytes(tag, self.0));
    }
}

impl Items for i32 {
    fn push_into(self, tag: Tag, out: &mut Vec<Ttlv>) {
        out.push(Ttlv::integer(tag, self));
    }
}

impl Items for i64 {
    /// A LongInteger.
    fn push_into(self, tag: Tag, out: &mut Vec<Ttlv>) {
        out.push(Ttlv::long(tag, self));
    }
}

impl Items for u32 {
    /// An Interval (the one unsigned 32-bit KMIP type that is not an enumeration).
    fn push_into(self, tag: Tag, out: &mut Vec<Ttlv>) {
        out.push(Ttlv::interval(tag, self));
    }
}

impl Items for Attributes {
    /// The 2.x `Attributes` structure; none when there are no attributes.
    fn push_into(self, _: Tag, out: &mut Vec<Ttlv>) {
        if self != Attributes::default() {
            out.push(self.to_ttlv());
        }
    }
}

impl Items for CryptographicParameters {
    fn push_into(self, _: Tag, out: &mut Vec<Ttlv>) {
        out.push(self.to_ttlv());
    }
}

impl<T: Items> Items for Option<T> {
    fn push_into(self, tag: Tag, out: &mut Vec<Ttlv>) {
        if let Some(v) = self {
            v.push_into(tag, out);
        }
    }
}

/// Enumeration fields of payloads: read through their enumeration's table, written by value.
macro_rules! enum_fields {
    ($($e:ident),*) => {$(
        impl Items for $e {
            fn push_into(self, tag: Tag, out: &mut Vec<Ttlv>) {
                out.push(Ttlv::enumeration(tag, self.as_u32()));
            }
        }

        impl FromTtlv for $e {
            fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
                crate::codec::enumeration(t, $e::from_u32)
            }
        }
    )*};
}

enum_fields!(
    ValidityIndicator,
    CancellationResult,
    ObjectType,
    SplitKeyMethod,
    CertificateRequestType,
    AdjustmentType,
    EndpointRole
);

/// Defines a payload type: its fields in the specification's order, each with its tag and
/// how it is read (`required`, `optional`, `parameters`, `data_or_digest`); [`FromTtlv`]
/// reads them in that order (after the `check`, if any) and [`ToTtlv`] writes them in that
/// order under the Request Payload (`request`) or Response Payload (`response`) tag.
macro_rules! payload {
    (
        $(#[$meta:meta])*
        $name:ident in $wrap:ident $(, check $check:path)? {
            $($(#[$field_meta:meta])* $field:ident: $ty:ty = $read:ident($tag:ident),)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $name {
            $($(#[$field_meta])* pub $field: $ty,)*
        }

        impl FromTtlv for $name {
            fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
                let mut f = Fields::payload(t)?;
                $($check(&f)?;)?
                Ok($name {
                    $($field: $crate::operations::$read(&mut f, Tag::$tag)?,)*
                })
            }
        }

        impl ToTtlv for $name {
            fn to_ttlv(self) -> Ttlv {
                let mut v = Vec::new();
                $($crate::operations::Items::push_into(self.$field, Tag::$tag, &mut v);)*
                $crate::operations::$wrap(v)
            }
        }
    };
}
use payload;

/// A request payload written with the KMIP 2.x attribute containers (`Attributes`, `Common`/
/// `PrivateKey`/`PublicKey` `Attributes`) as a KMIP 1.x client sends it: each container
/// becomes its Template-Attribute of named 1.x `Attribute`s. The request types read both.
pub fn with_template_attributes(payload: Ttlv) -> Ttlv {
    let tag = payload.tag;
    let items = payload
        .into_items()
        .into_iter()
        .map(|t| {
            let template = match t.tag {
                Tag::ATTRIBUTES => Tag::TEMPLATE_ATTRIBUTE,
                Tag::COMMON_ATTRIBUTES => Tag::COMMON_TEMPLATE_ATTRIBUTE,
                Tag::PRIVATE_KEY_ATTRIBUTES => Tag::PRIVATE_KEY_TEMPLATE_ATTRIBUTE,
                Tag::PUBLIC_KEY_ATTRIBUTES => Tag::PUBLIC_KEY_TEMPLATE_ATTRIBUTE,
                _ => return t,
            };
            let attributes = t
                .items()
                .iter()
                .map(|item| crate::attributes::v2_to_v1(item, None))
                .collect();
            Ttlv::structure(template, attributes)
        })
        .collect();
    Ttlv::structure(tag, items)
}

/// Reads one attribute container, KMIP 2.x `Attributes` (any container tag) or a KMIP 1.x
/// Template-Attribute (a bad one is Invalid Field).
pub fn attributes_container(t: Ttlv) -> Result<Attributes, Error> {
    match t.tag {
        Tag::TEMPLATE_ATTRIBUTE
        | Tag::COMMON_TEMPLATE_ATTRIBUTE
        | Tag::PRIVATE_KEY_TEMPLATE_ATTRIBUTE
        | Tag::PUBLIC_KEY_TEMPLATE_ATTRIBUTE => Attributes::from_template_attribute(t),
        _ => Attributes::from_ttlv(t),
    }
    .map_err(|e| Error::refused(ResultReason::InvalidField, format!("bad attributes: {e}")))
}

/// The attributes of a payload: the first of `tags` present (2.x or 1.x form), or none.
fn attributes_of(f: &mut Fields, tags: &[Tag]) -> Result<Option<Attributes>, Error> {
    for tag in tags {
        if let Some(t) = f.take(*tag)? {
            return attributes_container(t).map(Some);
        }
    }
    Ok(None)
}

payload! {
    /// A payload of one Unique Identifier (the response of Activate, Destroy, Revoke…).
    UniqueIdentifier in response {
        /// Unique Identifier.
        uid: String = required(UNIQUE_IDENTIFIER),
    }
}

/// The `Request` and `Response` of an operation whose request and response are both the
/// object's Unique Identifier.
macro_rules! uid_request {
    ($operation:ident) => {
        super::uid_request!($operation, super::UniqueIdentifier);
    };
    ($operation:ident, $response:ty) => {
        super::payload! {
            /// The request: the object's Unique Identifier.
            Request in request {
                /// Unique Identifier.
                uid: String = required(UNIQUE_IDENTIFIER),
            }
        }

        impl KmipRequest for Request {
            const OPERATION: Operation = Operation::$operation;
            type Response = Response;
        }

        /// The response.
        pub type Response = $response;
    };
}
use uid_request;

/// The `Request` of an operation whose request is the Asynchronous Correlation Value of a
/// pending operation (Cancel, Poll).
macro_rules! correlation_request {
    ($operation:ident) => {
        super::payload! {
            /// The request: which pending operation.
            Request in request {
                /// Asynchronous Correlation Value.
                correlation: Vec<u8> = required(ASYNCHRONOUS_CORRELATION_VALUE),
            }
        }

        impl KmipRequest for Request {
            const OPERATION: Operation = Operation::$operation;
            type Response = Response;
        }
    };
}
use correlation_request;

/// A response payload whose fields depend on the client's KMIP version (Query, Get Attribute
/// List): its items as the server wrote them.
#[derive(Clone, Debug, PartialEq)]
pub struct Payload(pub Vec<Ttlv>);

impl FromTtlv for Payload {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        Ok(Payload(crate::codec::children(t)?))
    }
}

impl ToTtlv for Payload {
    fn to_ttlv(self) -> Ttlv {
        response(self.0)
    }
}

payload! {
    /// The answer of Signature Verify and MAC Verify: the key and the Validity Indicator.
    Verified in response {
        /// Unique Identifier of the key.
        uid: String = required(UNIQUE_IDENTIFIER),
        /// Validity Indicator.
        indicator: ValidityIndicator = required(VALIDITY_INDICATOR),
    }
}
