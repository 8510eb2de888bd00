//! The KMIP message layer: request and response messages, their headers and batch items.
//!
//! This module owns the typed form of a whole KMIP message, with no I/O and no clock:
//!
//! - [`RequestMessage`] (a [`RequestHeader`] and [`RequestBatchItem`]s) and [`ResponseMessage`]
//!   (a [`ResponseHeader`] and [`ResponseBatchItem`]s), read from and written to the TTLV tree
//!   with [`FromTtlv`] / [`ToTtlv`] (so from binary TTLV and JSON TTLV alike, through
//!   [`crate::binary`] and [`crate::json`]); the two messages' common frame (header, Batch
//!   Count, batch items) is read and written once, for both;
//! - [`ProtocolVersion`], the versions ekms speaks (1.0, 1.1, 1.2, 1.3, 1.4, 2.0, 2.1) and the
//!   negotiation of the version a server answers with ([`ProtocolVersion::negotiate`],
//!   [`negotiate_version`]);
//! - the credentials of the Authentication header field ([`Credential`]), with the secret
//!   type [`Password`] (wiped on drop, printed as `***`); [`RequestHeader::username`] and
//!   [`RequestHeader::password`] give the Username and Password credential ekms authenticates
//!   with (the password is the group secret token);
//! - the error responses a server sends when it cannot read a request
//!   ([`ResponseMessage::invalid_message`], [`ResponseMessage::unsupported_version`]);
//! - the Batch Error Continuation Option as a pure function ([`batch_outcomes`]).
//!
//! Operation payloads stay TTLV trees ([`RequestBatchItem::payload`],
//! [`ResponseBatchItem::payload`]): each operation reads and writes its own. Debug output of a
//! batch item shows only the shape of its payload, never its values.
//!
//! # Reading rules
//!
//! - Mandatory fields: Request Header with Protocol Version and Batch Count, at least one
//!   Batch Item, and in each request batch item Operation and Request Payload; Response Header
//!   with Protocol Version, Time Stamp and Batch Count, and Result Status in each response
//!   batch item. A missing one is [`Error::MissingField`].
//! - Batch Count must equal the number of batch items. It is not stored in the typed headers:
//!   `to_ttlv` writes the number of items.
//! - A single-valued field given twice is an error, as is a field the structure does not
//!   define; but when the message's minor version is above every supported minor of its major
//!   version (a 1.5 or 2.2 client), unknown fields are ignored, as KMIP's error-handling rules
//!   say for a minor version mismatch.
//! - Fields are accepted in any order and written in the specification's order.
//! - Every field of KMIP 1.0–2.1 is read in every version (a 1.0 message may carry a 1.4
//!   correlation value); checking that a field belongs to the message's version is left out.
//! - Operation and Credential Type values are kept as numbers, so an operation this crate does
//!   not know reaches the server, which answers that item with Operation Not Supported rather
//!   than refusing the whole message.
//!
//! Suggested server flow: decode the bytes; [`RequestMessage::peek_version`] and
//! [`negotiate_version`] (an unsupported version gets
//! [`ResponseMessage::unsupported_version`]); [`FromTtlv::from_ttlv`] of [`RequestMessage`] (an error
//! gets [`ResponseMessage::invalid_message`] with the peeked version); execute the items under
//! [`batch_outcomes`]; answer with a [`ResponseHeader::answering`] header.
//!
//! # KMIP 1.x and 2.x in the message layer
//!
//! The message structures and their tags are the same in every version; versions only add
//! fields:
//!
//! - 1.0: Request Header = Protocol Version, Maximum Response Size, Asynchronous Indicator,
//!   Authentication, Batch Error Continuation Option, Batch Order Option, Time Stamp, Batch
//!   Count; Response Header = Protocol Version, Time Stamp, Batch Count; batch items as today
//!   minus the later additions below.
//! - 1.2: Attestation Capable Indicator and Attestation Type in the request header, Nonce and
//!   Attestation Type in the response header, the Attestation credential (type 3).
//! - 1.4: Client Correlation Value and Server Correlation Value in both headers.
//! - 2.0: Authentication may hold several Credentials; credential types One Time Password
//!   (4), Hashed Password (5) and Ticket (6); Server Hashed Password in the response header;
//!   Ephemeral in the request batch item. KMIP 2.x also defines an Asynchronous Indicator
//!   enumeration (Mandatory, Optional, Prohibited) where 1.x has a Boolean; both forms are
//!   read and written back as received ([`AsyncIndicator`]).
//! - 2.1: no new header or batch item field (its new tags all belong to payloads).
//!
//! No header field of 1.x is removed in 2.x. The differences that matter are inside the
//! payloads, under the same Request Payload / Response Payload tags: KMIP 1.x carries
//! attributes in Template-Attribute structures (`Attribute` with a text Attribute Name such as
//! "Cryptographic Algorithm", an Attribute Index, an Attribute Value) and knows the Template
//! object; KMIP 2.x carries them in one `Attributes` structure whose children are the
//! attributes' own tags, drops Template and Attribute Index, and names attributes by reference
//! (Attribute Reference) in Get Attributes and friends. [`crate::attributes`] reads and writes
//! both forms; [`ProtocolVersion::is_v1`] tells an operation which one to answer with.

mod batch;
mod credential;
mod version;

#[cfg(test)]
mod tests;

use std::fmt;

pub use batch::{
    ItemOutcome, batch_outcomes, continues_after_failure, effective_option, undoes_on_failure,
};
pub use credential::{
    AttestationCredential, Credential, DeviceCredential, Nonce, OpaqueCredentialValue, Password,
    wipe_ttlv,
};
pub use version::ProtocolVersion;

use crate::codec::{
    Fields, FromTtlv, ToTtlv, datetime, enum_raw, enumeration, expect_tag, invalid, opt_bool,
    opt_bytes, opt_int, opt_text, wrong,
};

use crate::enums::{
    AsynchronousIndicator, AttestationType, BatchErrorContinuationOption, Operation, ResultReason,
    ResultStatus,
};
use crate::error::Error;
use crate::tags::Tag;
use crate::ttlv::{Ttlv, Value};

// ---------------------------------------------------------------------------------------------
// header fields

/// The Asynchronous Indicator of a request header, in the form it was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AsyncIndicator {
    /// The Boolean of KMIP 1.x: True means the client accepts asynchronous answers.
    Flag(bool),
    /// The enumeration of KMIP 2.x: Mandatory, Optional or Prohibited.
    Indicator(AsynchronousIndicator),
}

impl AsyncIndicator {
    #[cfg(test)]
    /// True if the client accepts an Operation Pending answer.
    pub fn allows_asynchronous(self) -> bool {
        matches!(
            self,
            AsyncIndicator::Flag(true)
                | AsyncIndicator::Indicator(
                    AsynchronousIndicator::Mandatory | AsynchronousIndicator::Optional
                )
        )
    }

    /// True if the client demands asynchronous processing (Mandatory). ekms processes
    /// every item synchronously, so it cannot honour this.
    pub fn requires_asynchronous(self) -> bool {
        self == AsyncIndicator::Indicator(AsynchronousIndicator::Mandatory)
    }
}

impl FromTtlv for AsyncIndicator {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        match t.value {
            Value::Boolean(b) => Ok(AsyncIndicator::Flag(b)),
            Value::Enumeration(_) => {
                enumeration(t, AsynchronousIndicator::from_u32).map(AsyncIndicator::Indicator)
            }
            _ => Err(wrong(&t, "Boolean or Enumeration")),
        }
    }
}

impl ToTtlv for AsyncIndicator {
    fn to_ttlv(self) -> Ttlv {
        match self {
            AsyncIndicator::Flag(b) => Ttlv::boolean(Tag::ASYNCHRONOUS_INDICATOR, b),
            AsyncIndicator::Indicator(e) => {
                Ttlv::enumeration(Tag::ASYNCHRONOUS_INDICATOR, e.as_u32())
            }
        }
    }
}

/// [`FromTtlv`] for the parts of a message that a message of a newer minor version has read
/// leniently (`read(t, lenient)`): read on their own, they are read strictly.
macro_rules! strict_from_ttlv {
    ($($part:ty),*) => {
        $(impl FromTtlv for $part {
            fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
                <$part>::read(t, false)
            }
        })*
    };
}

strict_from_ttlv!(MessageExtension, Nonce, Credential);

/// A Message Extension (vendor-specific) of a batch item.
///
/// The specification: a receiver that does not understand an extension whose Criticality
/// Indicator is True SHALL reject the entire message; a non-critical one MAY be ignored.
#[derive(Clone, PartialEq)]
pub struct MessageExtension {
    /// Vendor Identification.
    pub vendor_identification: String,
    /// Criticality Indicator.
    pub criticality_indicator: bool,
    /// Vendor Extension (a Structure as the specification defines it; kept as received).
    pub vendor_extension: Ttlv,
}

impl MessageExtension {
    /// Reads the extension; with `lenient`, fields it does not define are ignored.
    fn read(t: Ttlv, lenient: bool) -> Result<Self, Error> {
        Fields::new(t, Tag::MESSAGE_EXTENSION)?
            .lenient(lenient)
            .decode(|f| {
                Ok(MessageExtension {
                    vendor_identification: f.required(Tag::VENDOR_IDENTIFICATION)?,
                    criticality_indicator: f.required(Tag::CRITICALITY_INDICATOR)?,
                    vendor_extension: f.required(Tag::VENDOR_EXTENSION)?,
                })
            })
    }
}

impl ToTtlv for &MessageExtension {
    fn to_ttlv(self) -> Ttlv {
        let mut ext = self.vendor_extension.clone();
        ext.tag = Tag::VENDOR_EXTENSION;
        Ttlv::structure(
            Tag::MESSAGE_EXTENSION,
            vec![
                Ttlv::text(
                    Tag::VENDOR_IDENTIFICATION,
                    self.vendor_identification.clone(),
                ),
                Ttlv::boolean(Tag::CRITICALITY_INDICATOR, self.criticality_indicator),
                ext,
            ],
        )
    }
}

impl fmt::Debug for MessageExtension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageExtension")
            .field("vendor_identification", &self.vendor_identification)
            .field("criticality_indicator", &self.criticality_indicator)
            .field("vendor_extension", &Shape(&self.vendor_extension))
            .finish()
    }
}

/// Debug of a TTLV item that shows its tag, type and size, never its value.
struct Shape<'a>(&'a Ttlv);

impl fmt::Debug for Shape<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0.value {
            Value::Structure(items) => write!(f, "<{} with {} items>", self.0.tag, items.len()),
            v => write!(f, "<{} {}>", self.0.tag, v.type_name()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// request

/// The Request Header (Batch Count is not stored: it is the number of batch items).
#[derive(Clone, Debug, PartialEq)]
pub struct RequestHeader {
    /// Protocol Version.
    pub protocol_version: ProtocolVersion,
    /// Maximum Response Size (bytes).
    pub maximum_response_size: Option<i32>,
    /// Client Correlation Value (1.4+).
    pub client_correlation_value: Option<String>,
    /// Server Correlation Value (1.4+).
    pub server_correlation_value: Option<String>,
    /// Asynchronous Indicator.
    pub asynchronous_indicator: Option<AsyncIndicator>,
    /// Attestation Capable Indicator (1.2+).
    pub attestation_capable_indicator: Option<bool>,
    /// Attestation Type, in order (1.2+).
    pub attestation_types: Vec<AttestationType>,
    /// The Credentials of the Authentication field (empty: no Authentication). One in 1.x,
    /// one or more in 2.x.
    pub credentials: Vec<Credential>,
    /// Batch Error Continuation Option (absent means Stop).
    pub batch_error_continuation_option: Option<BatchErrorContinuationOption>,
    /// Batch Order Option (absent means False: the server may reorder).
    pub batch_order_option: Option<bool>,
    /// Time Stamp (seconds since the Unix epoch).
    pub time_stamp: Option<i64>,
}

impl RequestHeader {
    /// A header with only the Protocol Version.
    pub fn new(protocol_version: ProtocolVersion) -> Self {
        RequestHeader {
            protocol_version,
            maximum_response_size: None,
            client_correlation_value: None,
            server_correlation_value: None,
            asynchronous_indicator: None,
            attestation_capable_indicator: None,
            attestation_types: Vec::new(),
            credentials: Vec::new(),
            batch_error_continuation_option: None,
            batch_order_option: None,
            time_stamp: None,
        }
    }

    /// The first Username and Password credential: its Username and Password.
    pub fn username_and_password(&self) -> Option<(&str, Option<&str>)> {
        self.credentials.iter().find_map(|c| match c {
            Credential::UsernameAndPassword { username, password } => {
                Some((username.as_str(), password.as_ref().map(Password::expose)))
            }
            _ => None,
        })
    }

    /// The Username of the first Username and Password credential.
    pub fn username(&self) -> Option<&str> {
        self.username_and_password().map(|(u, _)| u)
    }

    /// The Password of the first Username and Password credential (ekms: the group secret
    /// token). None when there is no such credential or it has no Password (a later
    /// credential's Password is never paired with an earlier one's Username).
    pub fn password(&self) -> Option<&str> {
        self.username_and_password().and_then(|(_, p)| p)
    }

    /// Reads the header; returns it with its Batch Count.
    fn read(t: Ttlv, lenient: bool) -> Result<(Self, i32), Error> {
        let mut f = Fields::new(t, Tag::REQUEST_HEADER)?.lenient(lenient);
        let header = RequestHeader {
            protocol_version: f.required(Tag::PROTOCOL_VERSION)?,
            maximum_response_size: f.optional(Tag::MAXIMUM_RESPONSE_SIZE)?,
            client_correlation_value: f.optional(Tag::CLIENT_CORRELATION_VALUE)?,
            server_correlation_value: f.optional(Tag::SERVER_CORRELATION_VALUE)?,
            asynchronous_indicator: f.optional(Tag::ASYNCHRONOUS_INDICATOR)?,
            attestation_capable_indicator: f.optional(Tag::ATTESTATION_CAPABLE_INDICATOR)?,
            attestation_types: f.all_with(Tag::ATTESTATION_TYPE, |c| {
                enumeration(c, AttestationType::from_u32)
            })?,
            credentials: f
                .optional_with(Tag::AUTHENTICATION, |c| authentication(c, lenient))?
                .unwrap_or_default(),
            batch_error_continuation_option: f.optional_enum(
                Tag::BATCH_ERROR_CONTINUATION_OPTION,
                BatchErrorContinuationOption::from_u32,
            )?,
            batch_order_option: f.optional(Tag::BATCH_ORDER_OPTION)?,
            time_stamp: f.optional_with(Tag::TIME_STAMP, datetime)?,
        };
        with_batch_count(f, header)
    }

    fn write(&self, batch_count: i32) -> Ttlv {
        let mut v = vec![self.protocol_version.to_ttlv()];
        opt_int(
            &mut v,
            Tag::MAXIMUM_RESPONSE_SIZE,
            self.maximum_response_size,
        );
        opt_text(
            &mut v,
            Tag::CLIENT_CORRELATION_VALUE,
            &self.client_correlation_value,
        );
        opt_text(
            &mut v,
            Tag::SERVER_CORRELATION_VALUE,
            &self.server_correlation_value,
        );
        if let Some(a) = self.asynchronous_indicator {
            v.push(a.to_ttlv());
        }
        opt_bool(
            &mut v,
            Tag::ATTESTATION_CAPABLE_INDICATOR,
            self.attestation_capable_indicator,
        );
        v.extend(
            self.attestation_types
                .iter()
                .map(|a| Ttlv::enumeration(Tag::ATTESTATION_TYPE, a.as_u32())),
        );
        if !self.credentials.is_empty() {
            v.push(Ttlv::structure(
                Tag::AUTHENTICATION,
                self.credentials.iter().map(ToTtlv::to_ttlv).collect(),
            ));
        }
        if let Some(o) = self.batch_error_continuation_option {
            v.push(Ttlv::enumeration(
                Tag::BATCH_ERROR_CONTINUATION_OPTION,
                o.as_u32(),
            ));
        }
        opt_bool(&mut v, Tag::BATCH_ORDER_OPTION, self.batch_order_option);
        if let Some(ts) = self.time_stamp {
            v.push(Ttlv::datetime(Tag::TIME_STAMP, ts));
        }
        v.push(Ttlv::integer(Tag::BATCH_COUNT, batch_count));
        Ttlv::structure(Tag::REQUEST_HEADER, v)
    }
}

/// The Credentials of an Authentication structure (at least one).
fn authentication(t: Ttlv, lenient: bool) -> Result<Vec<Credential>, Error> {
    const P: Tag = Tag::AUTHENTICATION;
    let mut f = Fields::new(t, P)?.lenient(lenient);
    let out = f.all_with(Tag::CREDENTIAL, |c| Credential::read(c, lenient))?;
    f.finish()?;
    if out.is_empty() {
        return Err(missing(P, Tag::CREDENTIAL));
    }
    Ok(out)
}

/// One Batch Item of a request.
#[derive(Clone, PartialEq)]
pub struct RequestBatchItem {
    /// Operation, as its enumeration value (see [`RequestBatchItem::known_operation`]).
    pub operation: u32,
    /// Ephemeral (2.0+).
    pub ephemeral: Option<bool>,
    /// Unique Batch Item ID (the specification requires it when Batch Count > 1; not
    /// enforced here).
    pub unique_batch_item_id: Option<Vec<u8>>,
    /// The Request Payload structure (written with the Request Payload tag whatever its tag).
    pub payload: Ttlv,
    /// Message Extension.
    pub message_extension: Option<MessageExtension>,
}

impl RequestBatchItem {
    /// An item for `operation` with these payload fields.
    pub fn new(operation: Operation, payload: Vec<Ttlv>) -> Self {
        RequestBatchItem {
            operation: operation.as_u32(),
            ephemeral: None,
            unique_batch_item_id: None,
            payload: Ttlv::structure(Tag::REQUEST_PAYLOAD, payload),
            message_extension: None,
        }
    }

    /// The Operation, if this crate knows its value.
    pub fn known_operation(&self) -> Option<Operation> {
        Operation::from_u32(self.operation)
    }

    /// Reads a batch item; with `lenient`, fields it does not define are ignored.
    fn read(t: Ttlv, lenient: bool) -> Result<Self, Error> {
        Fields::new(t, Tag::BATCH_ITEM)?
            .lenient(lenient)
            .decode(|f| {
                Ok(RequestBatchItem {
                    operation: f.required_with(Tag::OPERATION, enum_raw)?,
                    ephemeral: f.optional(Tag::EPHEMERAL)?,
                    unique_batch_item_id: f.optional(Tag::UNIQUE_BATCH_ITEM_ID)?,
                    payload: f.required_with(Tag::REQUEST_PAYLOAD, structure_item)?,
                    message_extension: f.optional_with(Tag::MESSAGE_EXTENSION, |c| {
                        MessageExtension::read(c, lenient)
                    })?,
                })
            })
    }
}

impl ToTtlv for &RequestBatchItem {
    fn to_ttlv(self) -> Ttlv {
        let mut v = vec![Ttlv::enumeration(Tag::OPERATION, self.operation)];
        opt_bool(&mut v, Tag::EPHEMERAL, self.ephemeral);
        opt_bytes(
            &mut v,
            Tag::UNIQUE_BATCH_ITEM_ID,
            &self.unique_batch_item_id,
        );
        v.push(Ttlv::new(Tag::REQUEST_PAYLOAD, self.payload.value.clone()));
        if let Some(e) = &self.message_extension {
            v.push(e.to_ttlv());
        }
        Ttlv::structure(Tag::BATCH_ITEM, v)
    }
}

impl fmt::Debug for RequestBatchItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestBatchItem")
            .field("operation", &OperationName(Some(self.operation)))
            .field("ephemeral", &self.ephemeral)
            .field("unique_batch_item_id", &self.unique_batch_item_id)
            .field("payload", &Shape(&self.payload))
            .field("message_extension", &self.message_extension)
            .finish()
    }
}

/// Debug of an Operation value: its name when known.
struct OperationName(Option<u32>);

impl fmt::Debug for OperationName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("None"),
            Some(v) => match Operation::from_u32(v) {
                Some(op) => write!(f, "{}", op.name()),
                None => write!(f, "0x{v:08X}"),
            },
        }
    }
}

/// A Structure item (any tag), or an error.
fn structure_item(t: Ttlv) -> Result<Ttlv, Error> {
    match t.value {
        Value::Structure(_) => Ok(t),
        _ => Err(wrong(&t, "Structure")),
    }
}

/// Checks Batch Count against the batch items actually present.
fn check_batch_count(declared: i32, present: usize) -> Result<(), Error> {
    if usize::try_from(declared).ok() == Some(present) {
        Ok(())
    } else {
        Err(invalid(
            Tag::BATCH_COUNT,
            format!("Batch Count is {declared} but the message holds {present} batch items"),
        ))
    }
}

/// A KMIP Request Message.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestMessage {
    /// Request Header.
    pub header: RequestHeader,
    /// Batch Items, in order (at least one).
    pub items: Vec<RequestBatchItem>,
}

impl RequestMessage {
    /// A message of one or more items.
    pub fn new(header: RequestHeader, items: Vec<RequestBatchItem>) -> Self {
        RequestMessage { header, items }
    }

    /// The Protocol Version of a request that may be malformed elsewhere: the first Request
    /// Header's first well-formed Protocol Version, or None. For answering a request that
    /// cannot be read in the client's version.
    pub fn peek_version(t: &Ttlv) -> Option<ProtocolVersion> {
        peek_version::<Self>(t)
    }
}

frame!(
    RequestMessage,
    Tag::REQUEST_MESSAGE,
    Tag::REQUEST_HEADER,
    RequestHeader,
    RequestBatchItem
);

/// Implements [`Frame`], [`FromTtlv`] (reading moves text and bytes, the password among
/// them, out of the tree instead of copying them) and [`ToTtlv`] for a message type.
macro_rules! frame {
    ($message:ident, $tag:expr, $header_tag:expr, $header:ident, $item:ident) => {
        impl Frame for $message {
            const TAG: Tag = $tag;
            const HEADER: Tag = $header_tag;
            type Header = $header;
            type Item = $item;

            fn read_header(t: Ttlv, lenient: bool) -> Result<($header, i32), Error> {
                $header::read(t, lenient)
            }
            fn write_header(&self, batch_count: i32) -> Ttlv {
                self.header.write(batch_count)
            }
            fn read_item(t: Ttlv, lenient: bool) -> Result<$item, Error> {
                $item::read(t, lenient)
            }
            fn items(&self) -> &[$item] {
                &self.items
            }
            fn from_parts(header: $header, items: Vec<$item>) -> Self {
                $message { header, items }
            }
        }

        impl FromTtlv for $message {
            /// Reads the message (see the module documentation for the rules).
            fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
                read_frame(t)
            }
        }

        impl ToTtlv for &$message {
            /// The message structure (Batch Count = number of items).
            fn to_ttlv(self) -> Ttlv {
                write_frame(self)
            }
        }
    };
}
use frame;

/// What a Request Message and a Response Message share: a header carrying the Protocol
/// Version and the Batch Count, then one or more Batch Items. [`read_frame`],
/// [`write_frame`] and [`peek_version`] are written once for both.
trait Frame: Sized {
    const TAG: Tag;
    const HEADER: Tag;
    type Header;
    type Item;
    fn read_header(t: Ttlv, lenient: bool) -> Result<(Self::Header, i32), Error>;
    fn write_header(&self, batch_count: i32) -> Ttlv;
    fn read_item(t: Ttlv, lenient: bool) -> Result<Self::Item, Error>;
    fn items(&self) -> &[Self::Item];
    fn from_parts(header: Self::Header, items: Vec<Self::Item>) -> Self;
}

/// Reads a message: its header (checking Batch Count against the items), then its items. A
/// message of a minor version above every supported one is read leniently (its unknown
/// fields are ignored).
fn read_frame<M: Frame>(t: Ttlv) -> Result<M, Error> {
    expect_tag(&t, M::TAG)?;
    let lenient = peek_version::<M>(&t).is_some_and(ProtocolVersion::ignores_unknown_fields);
    let mut f = Fields::new(t, M::TAG)?.lenient(lenient);
    let (header, batch_count) = f.required_with(M::HEADER, |c| M::read_header(c, lenient))?;
    let items: Vec<Ttlv> = f.all(Tag::BATCH_ITEM)?;
    f.finish()?;
    if items.is_empty() {
        return Err(missing(M::TAG, Tag::BATCH_ITEM));
    }
    check_batch_count(batch_count, items.len())?;
    let items = items
        .into_iter()
        .map(|c| M::read_item(c, lenient))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(M::from_parts(header, items))
}

/// The message structure (Batch Count = number of items).
fn write_frame<M: Frame>(m: &M) -> Ttlv
where
    for<'a> &'a M::Item: ToTtlv,
{
    let items = m.items();
    let mut v = Vec::with_capacity(items.len().saturating_add(1));
    v.push(m.write_header(count(items.len())));
    v.extend(items.iter().map(ToTtlv::to_ttlv));
    Ttlv::structure(M::TAG, v)
}

/// The first header's first well-formed Protocol Version of a message that may be malformed
/// elsewhere.
fn peek_version<M: Frame>(t: &Ttlv) -> Option<ProtocolVersion> {
    if t.tag != M::TAG {
        return None;
    }
    let version = t.child(M::HEADER)?.child(Tag::PROTOCOL_VERSION)?;
    Some(ProtocolVersion {
        major: version.child(Tag::PROTOCOL_VERSION_MAJOR)?.as_i32()?,
        minor: version.child(Tag::PROTOCOL_VERSION_MINOR)?.as_i32()?,
    })
}

/// Ends the reading of a header: its Batch Count (required), then no field left unread.
fn with_batch_count<H>(mut f: Fields, header: H) -> Result<(H, i32), Error> {
    let batch_count = f.required(Tag::BATCH_COUNT)?;
    f.finish()?;
    Ok((header, batch_count))
}

fn missing(parent: Tag, field: Tag) -> Error {
    Error::MissingField { parent, field }
}

/// A count as a TTLV Integer (saturating: a message never holds 2^31 items).
fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

// ---------------------------------------------------------------------------------------------
// response

/// The Response Header (Batch Count is not stored: it is the number of batch items).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseHeader {
    /// Protocol Version.
    pub protocol_version: ProtocolVersion,
    /// Time Stamp (seconds since the Unix epoch).
    pub time_stamp: i64,
    /// Nonce (1.2+), sent when the server requires attestation.
    pub nonce: Option<Nonce>,
    /// Server Hashed Password (2.0+), answering a Hashed Password credential.
    pub server_hashed_password: Option<Vec<u8>>,
    /// Attestation Type, in order (1.2+).
    pub attestation_types: Vec<AttestationType>,
    /// Client Correlation Value (1.4+).
    pub client_correlation_value: Option<String>,
    /// Server Correlation Value (1.4+).
    pub server_correlation_value: Option<String>,
}

impl ResponseHeader {
    /// A header with only the mandatory fields.
    pub fn new(protocol_version: ProtocolVersion, time_stamp: i64) -> Self {
        ResponseHeader {
            protocol_version,
            time_stamp,
            nonce: None,
            server_hashed_password: None,
            attestation_types: Vec::new(),
            client_correlation_value: None,
            server_correlation_value: None,
        }
    }

    /// The header answering `request` in `version` (the negotiated one): the correlation
    /// values of the request are echoed.
    pub fn answering(request: &RequestHeader, version: ProtocolVersion, time_stamp: i64) -> Self {
        ResponseHeader {
            client_correlation_value: request.client_correlation_value.clone(),
            server_correlation_value: request.server_correlation_value.clone(),
            ..Self::new(version, time_stamp)
        }
    }

    /// Reads the header; returns it with its Batch Count.
    fn read(t: Ttlv, lenient: bool) -> Result<(Self, i32), Error> {
        let mut f = Fields::new(t, Tag::RESPONSE_HEADER)?.lenient(lenient);
        let header = ResponseHeader {
            protocol_version: f.required(Tag::PROTOCOL_VERSION)?,
            time_stamp: f.required_with(Tag::TIME_STAMP, datetime)?,
            nonce: f.optional_with(Tag::NONCE, |c| Nonce::read(c, lenient))?,
            server_hashed_password: f.optional(Tag::SERVER_HASHED_PASSWORD)?,
            attestation_types: f.all_with(Tag::ATTESTATION_TYPE, |c| {
                enumeration(c, AttestationType::from_u32)
            })?,
            client_correlation_value: f.optional(Tag::CLIENT_CORRELATION_VALUE)?,
            server_correlation_value: f.optional(Tag::SERVER_CORRELATION_VALUE)?,
        };
        with_batch_count(f, header)
    }

    fn write(&self, batch_count: i32) -> Ttlv {
        let mut v = vec![
            self.protocol_version.to_ttlv(),
            Ttlv::datetime(Tag::TIME_STAMP, self.time_stamp),
        ];
        if let Some(n) = &self.nonce {
            v.push(n.to_ttlv());
        }
        opt_bytes(
            &mut v,
            Tag::SERVER_HASHED_PASSWORD,
            &self.server_hashed_password,
        );
        v.extend(
            self.attestation_types
                .iter()
                .map(|a| Ttlv::enumeration(Tag::ATTESTATION_TYPE, a.as_u32())),
        );
        opt_text(
            &mut v,
            Tag::CLIENT_CORRELATION_VALUE,
            &self.client_correlation_value,
        );
        opt_text(
            &mut v,
            Tag::SERVER_CORRELATION_VALUE,
            &self.server_correlation_value,
        );
        v.push(Ttlv::integer(Tag::BATCH_COUNT, batch_count));
        Ttlv::structure(Tag::RESPONSE_HEADER, v)
    }
}

/// One Batch Item of a response.
#[derive(Clone, PartialEq)]
pub struct ResponseBatchItem {
    /// Operation (echoed from the request item; absent when the request could not be read).
    pub operation: Option<u32>,
    /// Unique Batch Item ID (echoed from the request item).
    pub unique_batch_item_id: Option<Vec<u8>>,
    /// Result Status.
    pub result_status: ResultStatus,
    /// Result Reason (required by the specification when the status is Operation Failed).
    pub result_reason: Option<ResultReason>,
    /// Result Message.
    pub result_message: Option<String>,
    /// Asynchronous Correlation Value (with Operation Pending).
    pub asynchronous_correlation_value: Option<Vec<u8>>,
    /// The Response Payload structure (written with the Response Payload tag whatever its
    /// tag).
    pub payload: Option<Ttlv>,
    /// Message Extension.
    pub message_extension: Option<MessageExtension>,
}

impl ResponseBatchItem {
    fn bare(result_status: ResultStatus) -> Self {
        ResponseBatchItem {
            operation: None,
            unique_batch_item_id: None,
            result_status,
            result_reason: None,
            result_message: None,
            asynchronous_correlation_value: None,
            payload: None,
            message_extension: None,
        }
    }

    /// The successful answer to `request`, with these payload fields (Operation and Unique
    /// Batch Item ID echoed).
    pub fn success(request: &RequestBatchItem, payload: Vec<Ttlv>) -> Self {
        ResponseBatchItem {
            operation: Some(request.operation),
            unique_batch_item_id: request.unique_batch_item_id.clone(),
            payload: Some(Ttlv::structure(Tag::RESPONSE_PAYLOAD, payload)),
            ..Self::bare(ResultStatus::Success)
        }
    }

    /// A failed answer: Result Status Operation Failed with `reason` and `message` (which must
    /// not contain secrets: it goes to the client). With `request` the Operation and Unique
    /// Batch Item ID are echoed; without, the item has neither, as the specification asks when
    /// the request could not be read.
    pub fn failure(
        request: Option<&RequestBatchItem>,
        reason: ResultReason,
        message: impl Into<String>,
    ) -> Self {
        ResponseBatchItem {
            operation: request.map(|r| r.operation),
            unique_batch_item_id: request.and_then(|r| r.unique_batch_item_id.clone()),
            result_reason: Some(reason),
            result_message: Some(message.into()),
            ..Self::bare(ResultStatus::OperationFailed)
        }
    }

    /// The answer to an item executed then rolled back under Batch Error Continuation Option
    /// Undo: Result Status Operation Undone.
    pub fn undone(request: &RequestBatchItem) -> Self {
        ResponseBatchItem {
            operation: Some(request.operation),
            unique_batch_item_id: request.unique_batch_item_id.clone(),
            ..Self::bare(ResultStatus::OperationUndone)
        }
    }

    /// The Operation, if present and known to this crate.
    pub fn known_operation(&self) -> Option<Operation> {
        self.operation.and_then(Operation::from_u32)
    }

    /// Reads a batch item; with `lenient`, fields it does not define are ignored.
    fn read(t: Ttlv, lenient: bool) -> Result<Self, Error> {
        Fields::new(t, Tag::BATCH_ITEM)?
            .lenient(lenient)
            .decode(|f| {
                Ok(ResponseBatchItem {
                    operation: f.optional_with(Tag::OPERATION, enum_raw)?,
                    unique_batch_item_id: f.optional(Tag::UNIQUE_BATCH_ITEM_ID)?,
                    result_status: f.required_enum(Tag::RESULT_STATUS, ResultStatus::from_u32)?,
                    result_reason: f.optional_enum(Tag::RESULT_REASON, ResultReason::from_u32)?,
                    result_message: f.optional(Tag::RESULT_MESSAGE)?,
                    asynchronous_correlation_value: f
                        .optional(Tag::ASYNCHRONOUS_CORRELATION_VALUE)?,
                    payload: f.optional_with(Tag::RESPONSE_PAYLOAD, structure_item)?,
                    message_extension: f.optional_with(Tag::MESSAGE_EXTENSION, |c| {
                        MessageExtension::read(c, lenient)
                    })?,
                })
            })
    }
}

impl ToTtlv for &ResponseBatchItem {
    fn to_ttlv(self) -> Ttlv {
        let mut v = Vec::new();
        if let Some(op) = self.operation {
            v.push(Ttlv::enumeration(Tag::OPERATION, op));
        }
        opt_bytes(
            &mut v,
            Tag::UNIQUE_BATCH_ITEM_ID,
            &self.unique_batch_item_id,
        );
        v.push(Ttlv::enumeration(
            Tag::RESULT_STATUS,
            self.result_status.as_u32(),
        ));
        if let Some(r) = self.result_reason {
            v.push(Ttlv::enumeration(Tag::RESULT_REASON, r.as_u32()));
        }
        opt_text(&mut v, Tag::RESULT_MESSAGE, &self.result_message);
        opt_bytes(
            &mut v,
            Tag::ASYNCHRONOUS_CORRELATION_VALUE,
            &self.asynchronous_correlation_value,
        );
        if let Some(p) = &self.payload {
            v.push(Ttlv::new(Tag::RESPONSE_PAYLOAD, p.value.clone()));
        }
        if let Some(e) = &self.message_extension {
            v.push(e.to_ttlv());
        }
        Ttlv::structure(Tag::BATCH_ITEM, v)
    }
}

impl fmt::Debug for ResponseBatchItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseBatchItem")
            .field("operation", &OperationName(self.operation))
            .field("unique_batch_item_id", &self.unique_batch_item_id)
            .field("result_status", &self.result_status)
            .field("result_reason", &self.result_reason)
            .field("result_message", &self.result_message)
            .field(
                "asynchronous_correlation_value",
                &self.asynchronous_correlation_value,
            )
            .field("payload", &self.payload.as_ref().map(Shape))
            .field("message_extension", &self.message_extension)
            .finish()
    }
}

/// A KMIP Response Message.
#[derive(Clone, Debug, PartialEq)]
pub struct ResponseMessage {
    /// Response Header.
    pub header: ResponseHeader,
    /// Batch Items, in order (at least one).
    pub items: Vec<ResponseBatchItem>,
}

impl ResponseMessage {
    /// A message of one or more items.
    pub fn new(header: ResponseHeader, items: Vec<ResponseBatchItem>) -> Self {
        ResponseMessage { header, items }
    }

    /// The answer to a message that failed as a whole: one batch item without Operation,
    /// Result Status Operation Failed, `reason` and `message`. `version` is the client's if
    /// known (answered with [`ProtocolVersion::negotiate`], or
    /// [`ProtocolVersion::nearest_supported`] when it is not supported); when unknown, 1.0 (the
    /// specification does not say; such answers have the same shape in every version).
    pub fn error(
        version: Option<ProtocolVersion>,
        time_stamp: i64,
        reason: ResultReason,
        message: impl Into<String>,
    ) -> Self {
        let version = version.map_or(ProtocolVersion::V1_0, |v| {
            v.negotiate().unwrap_or_else(|| v.nearest_supported())
        });
        ResponseMessage {
            header: ResponseHeader::new(version, time_stamp),
            items: vec![ResponseBatchItem::failure(None, reason, message)],
        }
    }

    /// The answer to a request that could not be read (KMIP: "message cannot be parsed"):
    /// Operation Failed, Invalid Message. Give the version from
    /// [`RequestMessage::peek_version`] when there is one. `message` goes to the client: the
    /// [`Error`] text of this crate is fit for it (it names tags, never values).
    pub fn invalid_message(
        version: Option<ProtocolVersion>,
        time_stamp: i64,
        message: impl Into<String>,
    ) -> Self {
        Self::error(version, time_stamp, ResultReason::InvalidMessage, message)
    }

    /// The answer to a request whose Protocol Version the server cannot serve (see
    /// [`ProtocolVersion::negotiate`]): Operation Failed, Invalid Message, "protocol version
    /// X.Y not supported" with the supported list; the header carries
    /// [`ProtocolVersion::nearest_supported`].
    pub fn unsupported_version(client: ProtocolVersion, time_stamp: i64) -> Self {
        let supported = ProtocolVersion::SUPPORTED
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        ResponseMessage {
            header: ResponseHeader::new(client.nearest_supported(), time_stamp),
            items: vec![ResponseBatchItem::failure(
                None,
                ResultReason::InvalidMessage,
                format!("ProtocolVersion {client} not supported (supported: {supported})"),
            )],
        }
    }

    /// The Protocol Version of a response that may be malformed elsewhere.
    pub fn peek_version(t: &Ttlv) -> Option<ProtocolVersion> {
        peek_version::<Self>(t)
    }
}

frame!(
    ResponseMessage,
    Tag::RESPONSE_MESSAGE,
    Tag::RESPONSE_HEADER,
    ResponseHeader,
    ResponseBatchItem
);

/// The version to answer `client` with, or the complete error response when there is none
/// ([`ProtocolVersion::negotiate`], [`ResponseMessage::unsupported_version`]). `time_stamp`
/// is the server's clock in seconds since the Unix epoch.
pub fn negotiate_version(
    client: ProtocolVersion,
    time_stamp: i64,
) -> Result<ProtocolVersion, Box<ResponseMessage>> {
    client
        .negotiate()
        .ok_or_else(|| Box::new(ResponseMessage::unsupported_version(client, time_stamp)))
}
