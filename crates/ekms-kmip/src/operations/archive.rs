//! Archive: the client says the object may be archived.

use super::prelude::*;

super::uid_request!(Archive);
