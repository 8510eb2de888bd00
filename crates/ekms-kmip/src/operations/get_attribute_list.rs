//! Get Attribute List: the names of the attributes an object has (1.x Attribute Names, 2.x
//! Attribute References: the answer's shape is the client's version's).

use super::prelude::*;

super::uid_request!(GetAttributeList, super::Payload);
