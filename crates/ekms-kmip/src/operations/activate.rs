//! Activate: a PreActive object becomes Active.

use super::prelude::*;

super::uid_request!(Activate);
