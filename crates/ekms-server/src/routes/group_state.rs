//! The `Ekms-Group-State` header (docs/server.md): every HTTPS answer to a request that opened
//! a group, errors after the opening included, states the group's version and hash chain with
//! a MAC, so a client that remembers the newest state it saw can tell when the storage under
//! the server was put back (rolled back or forked).
//!
//! [`stamp`] is the middleware: it gives each request a slot, which [`opened`] fills when the
//! request opens its group (`routes::entry`, the group routes, a `POST /kmip` message's own
//! credential), and writes the header from the store's state once the handler has answered,
//! after the request's own commit. The slot lives in a task-local, so the handlers need no new
//! argument; blocking work started through [`spawn_blocking`] sees it too (a thread-local set
//! for the task's run), since groups are opened off the async runtime. The MAC key comes from the secret the request
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

std::thread_local! {
    /// The slot of the request whose blocking work runs on this thread ([`spawn_blocking`]).
    static BLOCKING_SLOT: std::cell::RefCell<Option<Slot>> = const { std::cell::RefCell::new(None) };
}

/// Notes the group the current request opened (the last one noted counts); outside [`stamp`]
/// (a test calling a handler directly) there is no slot and nothing is noted.
pub fn opened(store: Arc<dyn ObjectStore>, key: StateKey) {
    let note = |slot: &Slot| {
        *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(Opened { store, key });
    };
    let slot = SLOT
        .try_with(Slot::clone)
        .ok()
        .or_else(|| BLOCKING_SLOT.with_borrow(Clone::clone));
    if let Some(slot) = slot {
        note(&slot);
    }
}

/// Clears the thread's slot when the blocking work ends, a panic included: the pool's thread
/// goes on to other work.
struct Lent;

impl Drop for Lent {
    fn drop(&mut self) {
        BLOCKING_SLOT.set(None);
    }
}

/// [`super::entry::in_span`] (the request's log span and id kept) for work that may open the
/// request's group: [`opened`] called there notes it for the request's answer.
pub async fn spawn_blocking<R: Send + 'static>(
    f: impl FnOnce() -> R + Send + 'static,
) -> Result<R, tokio::task::JoinError> {
    let slot = SLOT.try_with(Slot::clone).ok();
    super::entry::in_span(move || {
        BLOCKING_SLOT.set(slot);
        let _lent = Lent;
        f()
    })
    .await
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
