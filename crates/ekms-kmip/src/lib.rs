//! ekms-kmip: the KMIP data model and the TTLV codecs of ekms.
//!
//! - [`codec`]: the one pair of traits ([`FromTtlv`], [`ToTtlv`]) every typed value is read
//!   and written with, and the one field reader ([`codec::Fields`]) every decoder uses.
//! - [`ttlv`]: the TTLV tree ([`Ttlv`], [`Value`]) every message is parsed into.
//! - [`tags`]: the tag table of KMIP 1.0–2.1 ([`Tag`]).
//! - [`enums`]: every KMIP 2.1 enumeration and bit mask.
//! - [`binary`]: the binary TTLV encoding (KMIP over TLS, `application/octet-stream`).
//! - [`json`]: the KMIP JSON encoding (`{"tag": …, "type": …, "value": …}`).
//! - [`xml`]: the KMIP XML encoding (`<Tag type="…" value="…"/>`), of `text/xml` messages and
//!   of the OASIS test cases.
//! - [`attributes`]: managed-object attributes in their KMIP 1.x and 2.x forms.
//! - [`message`]: request and response messages (headers, batch items, credentials, versions).
//! - [`operations`]: one request and one response type per KMIP operation, shared by the
//!   server and its clients.
//! - [`error`]: the one error type.
//!
//! No I/O, no cryptography, no `unsafe`; decoders never panic on input.

#![forbid(unsafe_code)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]
#![warn(missing_docs)]

pub mod attributes;
pub mod binary;
pub mod codec;
pub mod enums;
pub mod error;
pub mod json;
pub mod message;
pub mod operations;
pub mod tags;
pub mod ttlv;
pub mod xml;

pub use attributes::{Attributes, CryptographicParameters, Link, Name};
pub use codec::{Fields, FromTtlv, ToTtlv};
pub use error::Error;
pub use message::{ProtocolVersion, RequestMessage, ResponseMessage};
pub use tags::Tag;
pub use ttlv::{ItemType, Ttlv, Value};
