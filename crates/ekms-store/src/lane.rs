//! Lanes: one group's blocking work run one job after another on one thread.
//!
//! On the embedded engine every write of a group goes through the group's one connection, and
//! a transaction leaves its batch open when another is waiting for it (see
//! `sqlcipher::commit`). Handed to the blocking pool, each job of a busy group is a relay of
//! threads: a pool thread wakes for it, waits for the connection the last job's thread holds,
//! and wakes that one's successor in turn (about four context switches per Create,
//! BENCHMARKS.md). A lane runs the queued jobs of its group back to back on one pool thread
//! instead: a job that ends while others are queued leaves the batch open for them
//! ([`Lane::waiting`] is what the engine looks at), the next starts without a hand-off, and
//! when the queue is empty the lane calls its `drained` hook, which commits what is still open.
//!
//! A runner exists only while jobs are queued: an idle group holds no thread. Jobs run
//! inside `ticket::deferring` (their callers await the commit through tickets), so none ever
//! waits on its thread for a batch that a later job of the same lane would commit; what a job
//! hands its caller waits for that commit in the lane ([`Job`]). A job about to commit with
//! none queued may wait a little for the next ([`Lane::linger`]). The caller
//! picks what goes into a lane: work of bounded, small cost (a slow job delays every job queued
//! behind it, which the blocking pool would have run beside it).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// What a job leaves for after its batch: handing its result to its caller.
pub type Delivery = Box<dyn FnOnce() + Send + 'static>;

/// One job of a lane. What it returns the runner does once the queue is drained (so the batch
/// the job joined is committed) or its turn ends: a caller woken then finds its commit settled
/// and wakes once, not twice, and a batch of answers costs the runner's thread one wake-up of
/// the async workers instead of one per job (BENCHMARKS.md, ninth round).
pub type Job = Box<dyn FnOnce() -> Option<Delivery> + Send + 'static>;

/// The most jobs a runner runs in one turn on its thread: then it starts its next turn behind
/// the blocking pool's other work, so that busy lanes (as many as the pool has threads) never
/// keep the rest of the server's blocking work, another group's lane included, from running.
const JOBS_PER_TURN: usize = 32;

/// A queue of one group's jobs and, while it holds any, the one thread that runs them.
pub struct Lane {
    queue: Mutex<Queue>,
    /// Jobs queued and not yet started (read without the queue's lock).
    waiting: AtomicUsize,
    /// Called whenever a job ends and none is queued.
    drained: Box<dyn Fn() + Send + Sync>,
    /// Jobs run since the queue last drained, and how many ran before that drain.
    this_batch: AtomicUsize,
    last_batch: AtomicUsize,
    /// Whether the runner waits in [`Lane::linger`]: only then does a submit signal `arrived`.
    lingering: std::sync::atomic::AtomicBool,
    arrived: std::sync::Condvar,
    /// [`LINGER`], but in tests.
    linger: std::time::Duration,
}

/// How long a runner waits in [`Lane::linger`] for the next job, at most, each time: about
/// what the server spends on one request at full load, a tenth of a commit (BENCHMARKS.md,
/// ninth round).
const LINGER: std::time::Duration = std::time::Duration::from_micros(60);

thread_local! {
    /// The lane whose runner this thread is, while it runs a job (its address).
    static RUNNING: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    /// Whether a runner is started: it runs until it finds the queue empty.
    running: bool,
}

impl std::fmt::Debug for Lane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lane")
            .field("waiting", &self.waiting())
            .finish_non_exhaustive()
    }
}

impl Lane {
    /// A lane whose runner calls `drained` each time a job ends with no other queued.
    pub fn new(drained: impl Fn() + Send + Sync + 'static) -> Self {
        Self {
            queue: Mutex::default(),
            waiting: AtomicUsize::new(0),
            drained: Box::new(drained),
            this_batch: AtomicUsize::new(0),
            last_batch: AtomicUsize::new(0),
            lingering: std::sync::atomic::AtomicBool::new(false),
            arrived: std::sync::Condvar::new(),
            linger: LINGER,
        }
    }

    /// Jobs queued and not yet started: while there are any, the job running leaves work for
    /// them (the open batch) rather than finishing it.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, Queue> {
        // Jobs run outside the lock: a panic cannot leave the queue half changed.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `job` behind the lane's others and starts a runner on the Tokio runtime's
    /// blocking pool if none runs. Outside a runtime the job is handed back (`Err`), to be run
    /// some other way.
    pub fn submit(self: &Arc<Self>, job: Job) -> Result<(), Job> {
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return Err(job);
        };
        let start = {
            let mut q = self.queue();
            q.jobs.push_back(job);
            self.waiting.fetch_add(1, Ordering::SeqCst);
            if self.lingering.load(Ordering::SeqCst) {
                self.arrived.notify_one();
            }
            !std::mem::replace(&mut q.running, true)
        };
        if start {
            self.start_turn(&rt);
        }
        Ok(())
    }

    /// Called by the job that runs on this lane's runner when it would commit the batch with no
    /// job queued: whether a job arrived within a short wait, so that the batch stays open for
    /// it. The runner waits only while the batch is smaller than the one before it (whose
    /// callers' next requests are likely on their way: the answers of a batch go out together,
    /// and their next requests come back spread over a few hundred microseconds), at most
    /// [`LINGER`] each time. Anywhere else: false at once.
    pub fn linger(&self) -> bool {
        if RUNNING.with(|r| r.get()) != self.id() {
            return false;
        }
        if self.this_batch.load(Ordering::SeqCst) + 1 >= self.last_batch.load(Ordering::SeqCst) {
            return false;
        }
        let deadline = std::time::Instant::now() + self.linger;
        let mut q = self.queue();
        self.lingering.store(true, Ordering::SeqCst);
        while q.jobs.is_empty() {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break;
            }
            q = match self.arrived.wait_timeout(q, left) {
                Ok((q, _)) => q,
                Err(e) => e.into_inner().0,
            };
        }
        self.lingering.store(false, Ordering::SeqCst);
        !q.jobs.is_empty()
    }

    /// What [`RUNNING`] holds while this lane's runner runs a job: its address.
    fn id(&self) -> usize {
        std::ptr::from_ref(self) as usize
    }

    /// Starts a runner's turn on the blocking pool (queued behind what the pool has waiting).
    fn start_turn(self: &Arc<Self>, rt: &tokio::runtime::Handle) {
        let lane = self.clone();
        let next = rt.clone();
        drop(rt.spawn_blocking(move || lane.run_queued(&next)));
    }

    /// Runs `f` in the lane ([`Lane::submit`]) and resolves to its result; `None` if it
    /// panicked or never ran (the runtime shut down first). Outside a runtime `f` runs on the
    /// calling thread.
    pub fn run<R: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce() -> R + Send + 'static,
    ) -> impl std::future::Future<Output = Option<R>> + Send + 'static {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let r = f();
            Some(Box::new(move || {
                let _ = tx.send(r);
            }))
        });
        if let Err(job) = self.submit(job)
            && let Some(deliver) = job()
        {
            deliver();
        }
        async move { rx.await.ok() }
    }

    /// Runs the queued jobs in order until none is left, or [`JOBS_PER_TURN`] of them, then
    /// hands the rest to another turn. The jobs' deliveries wait for the drain or the turn's
    /// end.
    fn run_queued(self: Arc<Self>, rt: &tokio::runtime::Handle) {
        let mut after = Vec::new();
        for _ in 0..JOBS_PER_TURN {
            let job = {
                let mut q = self.queue();
                match q.jobs.pop_front() {
                    Some(job) => {
                        self.waiting.fetch_sub(1, Ordering::SeqCst);
                        job
                    }
                    None => {
                        q.running = false;
                        drop(q);
                        deliver(&mut after);
                        return;
                    }
                }
            };
            // A job's panic is its caller's failure (its channel closes unanswered), not the
            // lane's: the jobs behind it still run.
            RUNNING.with(|r| r.set(self.id()));
            let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
            RUNNING.with(|r| r.set(0));
            if let Ok(Some(d)) = ran {
                after.push(d);
            }
            self.this_batch.fetch_add(1, Ordering::SeqCst);
            if self.waiting() == 0 {
                (self.drained)();
                let n = self.this_batch.swap(0, Ordering::SeqCst);
                self.last_batch.store(n, Ordering::SeqCst);
                deliver(&mut after);
            }
        }
        // The batch may be left open for the next turn: these callers wait for its commit.
        deliver(&mut after);
        // Still `running`: the next turn goes on with the queue, its batch left open for it.
        self.start_turn(rt);
    }
}

/// Makes the deliveries, in the order of their jobs.
fn deliver(after: &mut Vec<Delivery>) {
    for d in after.drain(..) {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(d));
    }
}

/// Tests: a runtime of one worker and `blocking_threads` blocking threads, with its timers.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) fn test_runtime(blocking_threads: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(blocking_threads)
        .enable_time()
        .build()
        .unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    /// Waits (10 s at most) until `f` holds.
    fn eventually(f: impl Fn() -> bool, what: &str) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !f() {
            assert!(std::time::Instant::now() < deadline, "never: {what}");
            std::thread::yield_now();
        }
    }

    #[test]
    fn jobs_run_in_order_one_at_a_time_and_drained_follows_the_last() {
        let rt = test_runtime(4);
        let _in = rt.enter();
        let (log_tx, log) = mpsc::channel::<String>();
        let drained_log = log_tx.clone();
        let lane = Arc::new(Lane::new(move || {
            let _ = drained_log.send("drained".into());
        }));
        // The first job holds the runner until the others are queued, so they are seen
        // waiting by it and run on the same thread after it.
        let (go, gate) = mpsc::channel::<()>();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let first = {
            let (l, seen, log_tx) = (lane.clone(), seen.clone(), log_tx.clone());
            Box::new(move || {
                gate.recv().unwrap();
                seen.lock()
                    .unwrap()
                    .push((l.waiting(), std::thread::current().id()));
                log_tx.send("job 0".into()).unwrap();
                None
            }) as Job
        };
        assert!(lane.submit(first).is_ok());
        for i in 1..4 {
            let (l, seen, log_tx) = (lane.clone(), seen.clone(), log_tx.clone());
            let job = Box::new(move || {
                seen.lock()
                    .unwrap()
                    .push((l.waiting(), std::thread::current().id()));
                log_tx.send(format!("job {i}")).unwrap();
                None
            }) as Job;
            assert!(lane.submit(job).is_ok());
        }
        // The runner starts on a pool thread: it takes the first job, three wait.
        eventually(|| lane.waiting() == 3, "the first job started");
        go.send(()).unwrap();
        let got: Vec<String> = (0..5)
            .map(|_| log.recv_timeout(Duration::from_secs(10)).unwrap())
            .collect();
        assert_eq!(got, ["job 0", "job 1", "job 2", "job 3", "drained"]);
        let seen = seen.lock().unwrap();
        let waiting: Vec<usize> = seen.iter().map(|s| s.0).collect();
        assert_eq!(waiting, [3, 2, 1, 0], "each job sees the ones still queued");
        assert!(
            seen.iter().all(|s| s.1 == seen[0].1),
            "one thread runs the queued jobs back to back"
        );
    }

    #[test]
    fn a_result_reaches_its_caller_once_the_queue_is_drained() {
        let rt = test_runtime(4);
        let _in = rt.enter();
        let drained = Arc::new(AtomicUsize::new(0));
        let d = drained.clone();
        let lane = Arc::new(Lane::new(move || {
            d.fetch_add(1, Ordering::SeqCst);
        }));
        // The first job runs while two more are queued; the last is held until the test lets
        // it go, so the queue cannot drain before then.
        let (go, gate) = mpsc::channel::<()>();
        let (go_last, gate_last) = mpsc::channel::<()>();
        let first = lane.run(move || {
            gate.recv().unwrap();
            "first"
        });
        let second = lane.run(|| "second");
        let last = lane.run(move || {
            gate_last.recv().unwrap();
            "last"
        });
        eventually(|| lane.waiting() == 2, "the first job started");
        go.send(()).unwrap();
        rt.block_on(async {
            // The first two jobs ran (their batch left open for the last): their callers are
            // not answered yet.
            let mut first = Box::pin(first);
            let early = tokio::time::timeout(Duration::from_millis(300), first.as_mut()).await;
            assert!(early.is_err(), "answered before the drain: {early:?}");
            go_last.send(()).unwrap();
            let all = tokio::time::timeout(Duration::from_secs(10), async {
                (first.await, second.await, last.await)
            })
            .await
            .expect("answered after the drain");
            assert_eq!(all, (Some("first"), Some("second"), Some("last")));
        });
        assert_eq!(drained.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_runner_lingers_for_the_next_job_only_while_its_batch_is_smaller_than_the_last() {
        let rt = test_runtime(4);
        let _in = rt.enter();
        // A long wait, so that a job arriving during it is told apart from none arriving.
        let lane = Arc::new(Lane {
            linger: Duration::from_secs(5),
            ..Lane::new(|| {})
        });
        let fast = Duration::from_secs(1);
        // Run `jobs` as one batch: the first holds the runner until the others are queued.
        let batch = |jobs: Vec<Box<dyn FnOnce() -> (bool, Duration) + Send>>| {
            let (go, gate) = mpsc::channel::<()>();
            let n = jobs.len();
            let mut jobs = jobs.into_iter();
            let first = jobs.next().unwrap();
            type Answer = std::pin::Pin<
                Box<dyn std::future::Future<Output = Option<(bool, Duration)>> + Send>,
            >;
            let mut answers: Vec<Answer> = vec![Box::pin(lane.run(move || {
                gate.recv().unwrap();
                first()
            }))];
            answers.extend(jobs.map(|j| Box::pin(lane.run(j)) as Answer));
            eventually(|| lane.waiting() == n - 1, "the first job started");
            go.send(()).unwrap();
            rt.block_on(async {
                let mut got = Vec::new();
                for a in answers {
                    got.push(a.await.unwrap());
                }
                got
            })
        };
        let timed = |l: Arc<Lane>| -> Box<dyn FnOnce() -> (bool, Duration) + Send> {
            Box::new(move || {
                let t = std::time::Instant::now();
                (l.linger(), t.elapsed())
            })
        };
        let idle = || -> Box<dyn FnOnce() -> (bool, Duration) + Send> {
            Box::new(|| (false, Duration::ZERO))
        };
        // Not on the lane's runner: no wait.
        let t = std::time::Instant::now();
        assert!(!lane.linger());
        assert!(t.elapsed() < fast);
        // No batch before: the last job of the first batch commits at once.
        let got = batch(vec![idle(), idle(), timed(lane.clone())]);
        assert!(!got[2].0 && got[2].1 < fast, "{got:?}");
        // One job after a batch of three: it waits, and a job arriving 50 ms later joins it.
        let (l, handle) = (lane.clone(), rt.handle().clone());
        let got = batch(vec![Box::new(move || {
            let late = l.clone();
            std::thread::spawn(move || {
                let _in = handle.enter();
                std::thread::sleep(Duration::from_millis(50));
                drop(late.run(|| ()));
            });
            let t = std::time::Instant::now();
            (l.linger(), t.elapsed())
        })]);
        assert!(got[0].0, "the late job was waited for");
        assert!(
            got[0].1 >= Duration::from_millis(40) && got[0].1 < Duration::from_secs(4),
            "{got:?}"
        );
        // That batch was of two: the second job of a batch of two does not wait.
        eventually(
            || lane.last_batch.load(Ordering::SeqCst) == 2,
            "the batch of two drained",
        );
        let got = batch(vec![idle(), timed(lane.clone())]);
        assert!(!got[1].0 && got[1].1 < fast, "{got:?}");
    }

    #[test]
    fn a_panicking_job_fails_alone_and_an_idle_lane_starts_again() {
        let rt = test_runtime(4);
        let _in = rt.enter();
        let (tx, rx) = mpsc::channel::<&str>();
        let drained = tx.clone();
        let lane = Arc::new(Lane::new(move || {
            let _ = drained.send("drained");
        }));
        assert!(
            lane.submit(Box::new(|| panic!("a job's own failure")))
                .is_ok()
        );
        let t = tx.clone();
        assert!(
            lane.submit(Box::new(move || {
                t.send("after").unwrap();
                None
            }))
            .is_ok()
        );
        let first: Vec<&str> = (0..2)
            .map(|_| rx.recv_timeout(Duration::from_secs(10)).unwrap())
            .collect();
        // Drained once the queue is empty: after the panicking job only if the second was
        // not queued yet, always after the second.
        assert!(first.contains(&"after"), "{first:?}");
        while rx.recv_timeout(Duration::from_millis(200)).is_ok() {}
        // The runner left with the queue empty; a new job starts another.
        let t = tx.clone();
        assert!(
            lane.submit(Box::new(move || {
                t.send("later").unwrap();
                None
            }))
            .is_ok()
        );
        assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), "later");
        assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), "drained");
        assert_eq!(lane.waiting(), 0);
    }

    #[test]
    fn a_busy_lane_leaves_the_blocking_pool_to_other_work_between_its_turns() {
        // One blocking thread: a lane whose queue never empties would hold it for good.
        let rt = test_runtime(1);
        let _in = rt.enter();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let lane = Arc::new(Lane::new(|| {}));
        // Each job queues the next until told to stop.
        fn chain(lane: Arc<Lane>, stop: Arc<std::sync::atomic::AtomicBool>) -> Job {
            Box::new(move || {
                if !stop.load(Ordering::SeqCst) {
                    let next = chain(lane.clone(), stop.clone());
                    assert!(lane.submit(next).is_ok());
                }
                None
            })
        }
        assert!(lane.submit(chain(lane.clone(), stop.clone())).is_ok());
        let s = stop.clone();
        let other = rt.spawn_blocking(move || s.store(true, Ordering::SeqCst));
        rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(10), other)
                .await
                .expect("the other work ran")
                .unwrap();
        });
        assert!(stop.load(Ordering::SeqCst));
    }

    #[test]
    fn outside_a_runtime_the_job_is_handed_back() {
        let lane = Arc::new(Lane::new(|| {}));
        let ran = Arc::new(AtomicUsize::new(0));
        let r = ran.clone();
        let job = lane
            .submit(Box::new(move || {
                r.fetch_add(1, Ordering::SeqCst);
                None
            }))
            .expect_err("no runtime: not queued");
        assert_eq!(lane.waiting(), 0);
        assert!(job().is_none());
        assert_eq!(ran.load(Ordering::SeqCst), 1);
    }
}
