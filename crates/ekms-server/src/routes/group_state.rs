//! The `Ekms-Group-State` header (docs/server.md): every HTTPS answer to a request that opened
//! a group, errors after the opening included, states the group's version and hash chain with
//! a MAC, so a client that remembers the newest state it saw can tell when the storage under
//! the server was put back (rolled back or forked).
//!
//! [`stamp`] is the middleware: it gives each request a slot, which [`opened`] fills when
//! `routes::entry` opens the request's group (the slot lives in a task-local, so the handlers
//! need no new argument), and writes the header from the store's state once the handler has
//! answered, after the request's own commit. The MAC key comes from the secret the request
//! presented (`ekms_crypto::group_state`): the client can derive it, and the server keeps it no
//! longer than the request.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use ekms_crypto::group_state::{HEADER, StateKey};
use ekms_store::ObjectStore;
use std::sync::{Arc, Mutex};

/// The group a request opened and the MAC key of its secret.
struct Opened {
    store: Arc<dyn ObjectStore>,
    key: StateKey,
}

type Slot = Arc<Mutex<Option<Opened>>>;

tokio::task_local! {
    static SLOT: Slot;
}

/// Notes the group the current request opened; outside [`stamp`] (a test calling a handler
/// directly) there is no slot and nothing is noted.
pub fn opened(store: Arc<dyn ObjectStore>, key: StateKey) {
    let _ = SLOT.try_with(|slot| {
        *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(Opened { store, key });
    });
}

/// Runs the request with a slot and adds the header to its answer if it opened a group.
pub async fn stamp(request: Request, next: Next) -> Response {
    let slot = Slot::default();
    let mut response = SLOT.scope(slot.clone(), next.run(request)).await;
    let opened = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(Opened { store, key }) = opened {
        // The state is in memory for both engines (the last commit the store knows of, at
        // least the request's own): no blocking read here.
        match store.state() {
            Ok(state) => {
                if let Ok(value) = HeaderValue::from_str(&state.header(&key)) {
                    response.headers_mut().insert(HEADER, value);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "the group's state could not be read for its header")
            }
        }
    }
    response
}
