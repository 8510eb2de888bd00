//! The id of the HTTPS request being answered (`routes::ops::observe` makes it), where the
//! code that writes an audit row can read it: a task-local while the request runs on the
//! async runtime, and a thread-local while its blocking work runs ([`carry`]), so the audit row
//! names the request whose `X-Request-Id` and log lines share the id. The KMIP socket has no
//! request id.

use std::cell::RefCell;
use std::sync::Arc;

tokio::task_local! {
    static TASK_ID: Arc<str>;
}

std::thread_local! {
    /// The id of the request whose blocking work runs on this thread.
    static THREAD_ID: RefCell<Option<Arc<str>>> = const { RefCell::new(None) };
}

/// Runs `fut` as the request `id`.
pub async fn scope<F: std::future::Future>(id: Arc<str>, fut: F) -> F::Output {
    TASK_ID.scope(id, fut).await
}

/// The current request's id, if code runs for an HTTPS request.
pub fn current() -> Option<String> {
    TASK_ID
        .try_with(|id| id.to_string())
        .ok()
        .or_else(|| THREAD_ID.with_borrow(|id| id.as_deref().map(str::to_string)))
}

/// Clears the thread's id when the blocking work ends, a panic included: the pool's thread
/// goes on to other work.
struct Lent;

impl Drop for Lent {
    fn drop(&mut self) {
        THREAD_ID.set(None);
    }
}

/// `f`, made to run on a blocking thread as the current request.
pub fn carry<R>(f: impl FnOnce() -> R) -> impl FnOnce() -> R {
    let id = TASK_ID.try_with(Arc::clone).ok();
    move || {
        THREAD_ID.set(id);
        let _lent = Lent;
        f()
    }
}
