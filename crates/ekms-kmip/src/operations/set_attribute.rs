//! Set Attribute (KMIP 2.x): sets a single-valued attribute, replacing its value if it has one.
//! The answer is the object's Unique Identifier.

use super::prelude::*;

super::attribute::new_attribute_request!(SetAttribute, super::UniqueIdentifier);
