//! What every request handler shares: settings, the group registry, the server's identity.

use crate::auth::Auth;
use crate::auth::rate::RateLimiter;
use crate::capacity::Capacity;
use crate::config::Config;
use crate::connections::Tracker;
use crate::enclave::Enclave;
use crate::groups::Groups;

/// Shared, read-mostly server state.
pub struct AppState {
    pub config: Config,
    pub groups: Groups,
    /// `--max-groups` and `--max-data-bytes`, and what the group directory holds.
    pub capacity: Capacity,
    /// The enclave's identity and quote source.
    pub enclave: Enclave,
    /// The configured ways of authenticating requests.
    pub auth: Auth,
    /// The rate limits of `POST /register` (per network prefix, and in total).
    pub register_limiter: RateLimiter,
    /// The open connections of both listeners, and whether the server is draining.
    pub connections: std::sync::Arc<Tracker>,
}
