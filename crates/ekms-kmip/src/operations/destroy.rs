//! Destroy: the object's key material is erased.

use super::prelude::*;

super::uid_request!(Destroy);
