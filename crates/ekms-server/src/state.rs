//! What every request handler shares: settings, the group registry, the server's identity.

use crate::config::Config;
use crate::groups::Groups;

/// Shared, read-mostly server state.
pub struct AppState {
    pub config: Config,
    pub groups: Groups,
    /// The measurement of the running code (see `platform::binary_measurement`).
    pub measurement: [u8; 32],
    /// "emulated" or "sgx".
    pub mode: &'static str,
}
