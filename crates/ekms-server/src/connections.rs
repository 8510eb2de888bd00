//! The connections of both listeners (HTTPS and the KMIP socket): accepting them, the cap on
//! how many are open, and the timeouts that close the ones that do nothing useful.
//!
//! Each connection is in one phase: in its TLS handshake, waiting for a request head, serving
//! a request (a response body still being sent counts), or idle between requests. A
//! connection in its handshake or head phase is closed [`Limits::header_timeout`] after the
//! phase began (for a new connection, the handshake and the first head share that time); an
//! idle one after [`Limits::idle_timeout`]; a serving one when no byte has moved either way
//! for [`Limits::idle_timeout`] (a client that stops reading its answer). At
//! [`Limits::max_connections`] a new connection closes the one that has waited longest in its
//! handshake or head, else the idle one idle longest, else a serving one stalled for more than
//! the header timeout, so slow or idle clients cannot keep others out; when none is, the new
//! one is closed instead. Accept errors
//! (out of file descriptors, for one) are logged at most once a second, with a count of the
//! others, and close one waiting connection to give its descriptor back.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// errno values of "too many open files" (process, then system): the same on Linux and BSDs.
const EMFILE: i32 = 24;
const ENFILE: i32 = 23;

/// The timeouts and the cap.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Handshake,
    Head,
    Serving,
    Idle,
}

struct State {
    phase: Phase,
    /// When the phase began (for Handshake then Head: when the connection was accepted).
    since: Instant,
    /// Requests under way (HTTP/2 serves several at once).
    in_flight: usize,
    /// When a byte last moved either way.
    last_io: Instant,
    /// Whether bytes arriving on an idle connection start a request head (HTTP/1.1), or not
    /// (HTTP/2 frames and KMIP messages may come while no request is under way).
    reads_start_head: bool,
    /// Whether bytes arriving on an idle connection push its idle deadline back (the KMIP
    /// socket, where the bytes of a message arrive before the message is under way).
    reads_refresh_idle: bool,
    /// A KMIP socket connection: between messages, a drain does not wait for it.
    kmip: bool,
}

struct Conn {
    state: Mutex<State>,
    changed: Notify,
    evict: CancellationToken,
}

impl Conn {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set(&self, f: impl FnOnce(&mut State)) {
        f(&mut self.lock());
        self.changed.notify_one();
    }

    fn on_write(&self) {
        self.lock().last_io = Instant::now();
    }

    fn on_read(&self) {
        let mut st = self.lock();
        st.last_io = Instant::now();
        if st.phase == Phase::Idle && st.reads_refresh_idle {
            st.since = st.last_io;
        }
        if st.phase == Phase::Idle && st.reads_start_head {
            st.phase = Phase::Head;
            st.since = Instant::now();
            drop(st);
            self.changed.notify_one();
        }
    }
}

/// Why the tracker ended a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// A newer connection needed its place.
    Evicted,
    /// The TLS handshake or a request head took longer than the header timeout.
    HeaderTimeout,
    /// No request for longer than the idle timeout.
    Idle,
    /// Serving, but no byte moved for longer than the idle timeout.
    Stalled,
}

impl fmt::Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            End::Evicted => "closed to make room for a new connection",
            End::HeaderTimeout => "the TLS handshake or request head took too long",
            End::Idle => "idle for too long",
            End::Stalled => "no progress for too long while serving",
        })
    }
}

/// The open connections of both listeners.
pub struct Tracker {
    limits: Limits,
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
    next_id: AtomicU64,
    full: Throttle,
    /// Cancelled when the server drains (SIGTERM): HTTPS connections finish what is under
    /// way and close.
    drain: CancellationToken,
}

impl Tracker {
    pub fn new(limits: Limits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            conns: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            full: Throttle::default(),
            drain: CancellationToken::new(),
        })
    }

    /// Starts the drain: every HTTPS connection is asked to finish the requests under way and
    /// close (HTTP/2 with GOAWAY); the listeners stop accepting on their side (`main.rs`).
    pub fn start_drain(&self) {
        self.drain.cancel();
    }

    /// Whether the server is draining.
    pub fn is_draining(&self) -> bool {
        self.drain.is_cancelled()
    }

    /// The connections a drain waits for: every HTTPS connection (it closes once its requests
    /// are answered) and the KMIP connections with a message under way.
    pub fn unfinished(&self) -> usize {
        self.lock()
            .values()
            .filter(|c| {
                let st = c.lock();
                !st.kmip || st.in_flight > 0
            })
            .count()
    }

    /// Waits until no connection is [unfinished](Self::unfinished), at most `grace`; true
    /// when none is left.
    pub async fn drained(&self, grace: Duration) -> bool {
        let deadline = Instant::now() + grace;
        while self.unfinished() > 0 {
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        true
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Arc<Conn>>> {
        self.conns.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a connection just accepted, making room at the cap; None when every open
    /// connection is serving a request (the new one is then to be closed).
    pub fn admit(self: &Arc<Self>) -> Option<Tracked> {
        let mut conns = self.lock();
        while conns.len() >= self.limits.max_connections.max(1) {
            if !Self::evict_longest_waiting(&mut conns, self.limits.header_timeout) {
                drop(conns);
                self.full.warn(
                    "connection refused",
                    &format_args!(
                        "all {} connections are serving requests and making progress",
                        self.limits.max_connections
                    ),
                );
                return None;
            }
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Conn {
            state: Mutex::new(State {
                phase: Phase::Handshake,
                since: Instant::now(),
                in_flight: 0,
                last_io: Instant::now(),
                reads_start_head: false,
                reads_refresh_idle: false,
                kmip: false,
            }),
            changed: Notify::new(),
            evict: CancellationToken::new(),
        });
        conns.insert(id, conn.clone());
        Some(Tracked {
            tracker: self.clone(),
            id,
            conn,
        })
    }

    /// Closes the connection that has waited longest (see [`Tracker::admit`]), if any.
    pub fn evict_one(&self) -> bool {
        let stalled = self.limits.header_timeout;
        Self::evict_longest_waiting(&mut self.lock(), stalled)
    }

    /// The victim: a connection still in its handshake or head if any (they have done nothing
    /// useful yet), else an idle one, else one serving with no byte moved for `stalled`; the
    /// longest waiting of them.
    fn evict_longest_waiting(conns: &mut HashMap<u64, Arc<Conn>>, stalled: Duration) -> bool {
        let now = Instant::now();
        let victim = conns
            .iter()
            .filter_map(|(id, c)| {
                let st = c.lock();
                let (rank, since) = match st.phase {
                    Phase::Handshake | Phase::Head => (0, st.since),
                    Phase::Idle => (1, st.since),
                    Phase::Serving if now.duration_since(st.last_io) > stalled => (2, st.last_io),
                    Phase::Serving => return None,
                };
                Some((rank, since, *id))
            })
            .min()
            .map(|(_, _, id)| id);
        match victim.and_then(|id| conns.remove(&id)) {
            Some(conn) => {
                conn.evict.cancel();
                true
            }
            None => false,
        }
    }

    /// Connections open now.
    #[cfg(test)]
    fn open(&self) -> usize {
        self.lock().len()
    }
}

/// How one listener admits its connections into the shared tracker, for the accept loop of
/// `ekms-listen`. Accept errors are logged through a throttle as `<what>: <error>`; one that
/// says the process is out of descriptors closes a waiting connection.
pub struct Admit {
    tracker: Arc<Tracker>,
    errors: Throttle,
    what: &'static str,
}

impl Admit {
    /// Admission into `tracker`; `what` starts the line an accept error is logged with.
    pub fn new(tracker: Arc<Tracker>, what: &'static str) -> Self {
        Self {
            tracker,
            errors: Throttle::default(),
            what,
        }
    }
}

impl ekms_listen::Admission for Admit {
    type Ticket = Tracked;

    fn admit(&self) -> Option<Tracked> {
        self.tracker.admit()
    }

    fn accept_failed(&self, error: &io::Error) {
        self.errors.warn(self.what, error);
        if matches!(error.raw_os_error(), Some(EMFILE) | Some(ENFILE)) {
            self.tracker.evict_one();
        }
    }
}

/// One admitted connection; it leaves the tracker when dropped.
pub struct Tracked {
    tracker: Arc<Tracker>,
    id: u64,
    conn: Arc<Conn>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.tracker.lock().remove(&self.id);
    }
}

/// What follows the TLS handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterHandshake {
    /// HTTP/1.1: a request head, within what is left of the header timeout; later heads each
    /// within the header timeout of their first byte.
    Http1,
    /// HTTP/2: a request head within what is left of the header timeout.
    Http2,
    /// The KMIP socket: a message, within the idle timeout.
    Kmip,
}

impl Tracked {
    /// `io` with its reads reported to the tracker.
    pub fn io<T>(&self, io: T) -> TrackedIo<T> {
        TrackedIo {
            inner: io,
            conn: self.conn.clone(),
        }
    }

    pub fn limits(&self) -> Limits {
        self.tracker.limits
    }

    /// The TLS handshake is done.
    pub fn handshake_done(&self, next: AfterHandshake) {
        self.conn.set(|st| {
            st.reads_start_head = next == AfterHandshake::Http1;
            st.reads_refresh_idle = next == AfterHandshake::Kmip;
            st.kmip = next == AfterHandshake::Kmip;
            if next == AfterHandshake::Kmip {
                st.phase = Phase::Idle;
                st.since = Instant::now();
            } else {
                st.phase = Phase::Head;
            }
        });
    }

    /// Resolves when the server starts draining.
    pub async fn draining(&self) {
        self.tracker.drain.cancelled().await
    }

    /// A handle that marks requests of this connection as under way.
    pub fn requests(&self) -> Requests {
        Requests(self.conn.clone())
    }

    /// Resolves when the tracker wants the connection closed, and says why.
    pub async fn ended(&self) -> End {
        let limits = self.tracker.limits;
        loop {
            let (at, end) = {
                let st = self.conn.lock();
                match st.phase {
                    Phase::Handshake | Phase::Head => {
                        (st.since + limits.header_timeout, End::HeaderTimeout)
                    }
                    Phase::Idle => (st.since + limits.idle_timeout, End::Idle),
                    // Checked again at that time: any byte moved since pushes it back.
                    Phase::Serving => (st.last_io + limits.idle_timeout, End::Stalled),
                }
            };
            if Instant::now() >= at {
                return end;
            }
            let sleep = tokio::time::sleep_until(at);
            tokio::select! {
                _ = self.conn.evict.cancelled() => return End::Evicted,
                _ = self.conn.changed.notified() => {}
                _ = sleep => {}
            }
        }
    }
}

/// Marks requests of one connection as under way.
#[derive(Clone)]
pub struct Requests(Arc<Conn>);

impl Requests {
    /// A request is under way until the returned guard is dropped.
    pub fn start(&self) -> RequestGuard {
        self.0.set(|st| {
            st.in_flight += 1;
            st.phase = Phase::Serving;
        });
        RequestGuard(self.0.clone())
    }
}

/// A request under way; when the last one of its connection ends, the connection is idle.
pub struct RequestGuard(Arc<Conn>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.0.set(|st| {
            st.in_flight = st.in_flight.saturating_sub(1);
            if st.in_flight == 0 {
                st.phase = Phase::Idle;
                st.since = Instant::now();
            }
        });
    }
}

/// A stream whose reads tell the tracker that a request head may be starting.
pub struct TrackedIo<T> {
    inner: T,
    conn: Arc<Conn>,
}

impl<T: AsyncRead + Unpin> AsyncRead for TrackedIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let res = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(res, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.conn.on_read();
        }
        res
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for TrackedIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let res = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(res, Poll::Ready(Ok(n)) if n > 0) {
            self.conn.on_write();
        }
        res
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let res = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(res, Poll::Ready(Ok(n)) if n > 0) {
            self.conn.on_write();
        }
        res
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

impl<T> TrackedIo<T> {
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: std::os::fd::AsFd> std::os::fd::AsFd for TrackedIo<T> {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

/// Logs a repeated warning at most once a second, saying how many were left out since.
#[derive(Default)]
pub struct Throttle {
    state: Mutex<(Option<std::time::Instant>, u64)>,
}

impl Throttle {
    pub fn warn(&self, what: &str, error: &dyn fmt::Display) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let now = std::time::Instant::now();
        if st
            .0
            .is_some_and(|last| now.duration_since(last) < Duration::from_secs(1))
        {
            st.1 += 1;
            return;
        }
        let suppressed = std::mem::take(&mut st.1);
        st.0 = Some(now);
        drop(st);
        if suppressed > 0 {
            tracing::warn!("{what}: {error} ({suppressed} more like it in the last second)");
        } else {
            tracing::warn!("{what}: {error}");
        }
    }

    /// Whether the next warning would be written (for tests).
    #[cfg(test)]
    fn suppressed(&self) -> u64 {
        self.state.lock().map(|s| s.1).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max: usize) -> Limits {
        Limits {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: max,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_longest_waiting_connection_makes_room() {
        let t = Tracker::new(limits(2));
        let idle = t.admit().unwrap();
        idle.handshake_done(AfterHandshake::Http1);
        drop(idle.requests().start());
        tokio::time::advance(Duration::from_secs(1)).await;
        let a = t.admit().unwrap();
        // At the cap: `a` (still in its handshake) goes before the older idle one.
        let b = t.admit().unwrap();
        assert_eq!(a.ended().await, End::Evicted);
        let _serving = b.requests().start();
        // Then the idle one; `b` (serving) stays.
        let c = t.admit().unwrap();
        assert_eq!(idle.ended().await, End::Evicted);
        assert_eq!(t.open(), 2);
        c.handshake_done(AfterHandshake::Http1);
        let _also = c.requests().start();
        // Everything serves and moves bytes: the newcomer is refused.
        assert!(t.admit().is_none());
        drop(a);
        assert_eq!(t.open(), 2);
        // A serving connection stalled beyond the header timeout makes room.
        tokio::time::advance(Duration::from_secs(11)).await;
        c.conn.on_write();
        let d = t.admit().unwrap();
        assert_eq!(b.ended().await, End::Evicted);
        drop(d);
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_request_ends() {
        let t = Tracker::new(limits(8));
        let c = t.admit().unwrap();
        c.handshake_done(AfterHandshake::Http2);
        let _serving = c.requests().start();
        tokio::time::advance(Duration::from_secs(30)).await;
        c.conn.on_write();
        let start = Instant::now();
        assert_eq!(c.ended().await, End::Stalled);
        assert_eq!(start.elapsed(), Duration::from_secs(60));
    }

    #[tokio::test(start_paused = true)]
    async fn phases_have_their_timeouts() {
        let t = Tracker::new(limits(8));
        let c = t.admit().unwrap();
        let start = Instant::now();
        assert_eq!(c.ended().await, End::HeaderTimeout);
        assert_eq!(start.elapsed(), Duration::from_secs(10));

        let c = t.admit().unwrap();
        c.handshake_done(AfterHandshake::Http1);
        let guard = c.requests().start();
        drop(guard);
        let start = Instant::now();
        assert_eq!(c.ended().await, End::Idle);
        assert_eq!(start.elapsed(), Duration::from_secs(60));

        // A byte on an idle HTTP/1.1 connection starts a head: the header timeout applies.
        let c = t.admit().unwrap();
        c.handshake_done(AfterHandshake::Http1);
        drop(c.requests().start());
        tokio::time::advance(Duration::from_secs(5)).await;
        c.conn.on_read();
        let start = Instant::now();
        assert_eq!(c.ended().await, End::HeaderTimeout);
        assert_eq!(start.elapsed(), Duration::from_secs(10));

        // KMIP: idle right after the handshake; bytes of a message coming push the idle end
        // back rather than start a head.
        let c = t.admit().unwrap();
        c.handshake_done(AfterHandshake::Kmip);
        tokio::time::advance(Duration::from_secs(50)).await;
        c.conn.on_read();
        let start = Instant::now();
        assert_eq!(c.ended().await, End::Idle);
        assert_eq!(start.elapsed(), Duration::from_secs(60));
    }

    #[test]
    fn throttle_counts_what_it_leaves_out() {
        let th = Throttle::default();
        th.warn("accept failed", &"x");
        th.warn("accept failed", &"x");
        th.warn("accept failed", &"x");
        assert_eq!(th.suppressed(), 2);
    }
}
