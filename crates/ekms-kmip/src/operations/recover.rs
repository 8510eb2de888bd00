//! Recover: the client asks for an archived object to be on-line again.

use super::prelude::*;

super::uid_request!(Recover);
