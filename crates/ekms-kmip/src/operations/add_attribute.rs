//! Add Attribute: a new instance of a multi-valued attribute, or the value of a single-valued
//! attribute the object does not have yet. The answer carries, for a 1.x client, the added
//! attribute with its index.

use super::prelude::*;

super::attribute::new_attribute_request!(AddAttribute, super::attribute::Edited);
