//! Destroy: the object's key material is erased.

use super::KmipRequest;
use crate::codec::{Fields, FromTtlv, ToTtlv};
use crate::enums::Operation;
use crate::error::Error;
use crate::tags::Tag;
use crate::ttlv::Ttlv;

super::uid_request!(Destroy);
