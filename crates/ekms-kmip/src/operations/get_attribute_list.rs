//! Get Attribute List: the names of the attributes an object has (1.x Attribute Names, 2.x
//! Attribute References: the answer's shape is the client's version's).

use super::KmipRequest;
use crate::codec::{Fields, FromTtlv, ToTtlv};
use crate::enums::Operation;
use crate::error::Error;
use crate::tags::Tag;
use crate::ttlv::Ttlv;

super::uid_request!(GetAttributeList, super::Payload);
