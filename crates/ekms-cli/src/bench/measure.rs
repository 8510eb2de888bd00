//! The measurement: each connection's worker sends the request one at a time and records
//! every latency in an HDR histogram of its own (merged by the report), after the warm-up and
//! until the duration or the count is reached; and the CPU time the tool itself uses.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow};
use hdrhistogram::Histogram;

use super::check::Check;
use super::transport::{Connection, Target};
use crate::cli::bench::BenchArgs;

/// Limit of a run.
#[derive(Clone, Copy, Debug)]
pub(super) enum Limit {
    Duration(Duration),
    Count(u64),
}

/// The requests the tasks send, encoded once (one per group of `--groups`, else one), and how
/// their answers are judged.
pub(super) struct Request {
    /// Never empty; a task sends them in turn.
    pub(super) bytes: Vec<Vec<u8>>,
    pub(super) check: Check,
}

/// What one connection measured.
pub(super) struct TaskResult {
    pub(super) histogram: Histogram<u64>,
    pub(super) errors: u64,
    pub(super) first_error: Option<String>,
    pub(super) last_done: Option<Instant>,
    /// Size of the last successful answer.
    pub(super) answer_bytes: Option<usize>,
    /// The HTTP version the answers came in (HTTPS transport).
    pub(super) http_version: Option<&'static str>,
}

pub(super) fn new_histogram() -> Result<Histogram<u64>> {
    // Microseconds, from 1 µs to 10 minutes, 3 significant figures.
    Histogram::new_with_bounds(1, 600_000_000, 3).map_err(|e| anyhow!("histogram: {e}"))
}

async fn worker(
    target: Target,
    request: Arc<Request>,
    measure_from: Instant,
    limit: Limit,
    issued: Arc<AtomicU64>,
    first_request: usize,
) -> Result<TaskResult> {
    let mut result = TaskResult {
        histogram: new_histogram()?,
        errors: 0,
        first_error: None,
        last_done: None,
        answer_bytes: None,
        http_version: None,
    };
    let mut conn = target.connect().await?;
    // One clock reading per operation: the end of one is the start of the next.
    let mut start = Instant::now();
    let mut next = first_request;
    loop {
        let measured = start >= measure_from;
        if measured {
            match limit {
                Limit::Duration(d) => {
                    if start >= measure_from + d {
                        break;
                    }
                }
                Limit::Count(n) => {
                    if issued.fetch_add(1, Ordering::Relaxed) >= n {
                        break;
                    }
                }
            }
        }
        let bytes = request.bytes.get(next).or(request.bytes.first());
        next = (next + 1) % request.bytes.len().max(1);
        let Some(bytes) = bytes else { break };
        let outcome = match conn.exchange(bytes).await {
            Ok(answer) => request.check.verify(answer).map(|()| answer.len()),
            Err(e) => Err(e),
        };
        let done = Instant::now();
        let failed = outcome.is_err();
        if measured {
            result.last_done = Some(done);
            match outcome {
                Ok(size) => {
                    let micros = u64::try_from(done.duration_since(start).as_micros())
                        .unwrap_or(u64::MAX)
                        .max(1);
                    result.histogram.saturating_record(micros);
                    result.answer_bytes = Some(size);
                }
                Err(e) => {
                    result.errors += 1;
                    if result.first_error.is_none() {
                        result.first_error = Some(format!("{e:#}"));
                    }
                }
            }
        }
        if let Connection::Json { client, .. } = &conn {
            result.http_version = client.last_http_version();
        }
        if failed && conn.is_binary() {
            // The stream may be out of step: start a new connection.
            conn = target.connect().await?;
            start = Instant::now();
        } else {
            start = done;
        }
    }
    Ok(result)
}

/// Runs `args.connections` workers, spread evenly over `--threads` event loops, each loop on
/// a thread of its own; returns what each connection measured.
pub(super) async fn run_connections(
    args: &BenchArgs,
    target: &Target,
    request: &Arc<Request>,
    measure_from: Instant,
    limit: Limit,
) -> Result<Vec<Vec<TaskResult>>> {
    let issued = Arc::new(AtomicU64::new(0));
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .clamp(1, args.connections);
    let mut loops = Vec::with_capacity(threads);
    // The number of the first connection of each thread, counted over all threads.
    let mut first_connection = 0;
    for index in 0..threads {
        // The connections, spread evenly over the threads.
        let connections =
            args.connections / threads + usize::from(index < args.connections % threads);
        let first = first_connection;
        first_connection += connections;
        let (total, groups) = (args.connections, request.bytes.len());
        let (target, request, issued) = (target.clone(), request.clone(), issued.clone());
        let run = move || -> Result<Vec<TaskResult>> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("cannot start an event loop")?;
            runtime.block_on(async move {
                let tasks: Vec<_> = (0..connections)
                    .map(|local| {
                        tokio::spawn(worker(
                            target.clone(),
                            request.clone(),
                            measure_from,
                            limit,
                            issued.clone(),
                            // Connections start evenly apart in the groups' turn.
                            (first + local) * groups / total,
                        ))
                    })
                    .collect();
                let mut results = Vec::with_capacity(tasks.len());
                for task in tasks {
                    results.push(
                        task.await
                            .map_err(|e| anyhow!("a connection task failed: {e}"))??,
                    );
                }
                Ok(results)
            })
        };
        loops.push(
            std::thread::Builder::new()
                .name(format!("ekms-bench-{index}"))
                .spawn(run)
                .context("cannot start a thread")?,
        );
    }
    tokio::task::spawn_blocking(move || {
        loops
            .into_iter()
            .map(|thread| {
                thread
                    .join()
                    .map_err(|_| anyhow!("a bench thread panicked"))?
            })
            .collect::<Result<Vec<Vec<TaskResult>>>>()
    })
    .await
    .map_err(|e| anyhow!("the bench threads could not be joined: {e}"))?
}

/// CPU time (user and system) this process has used, in seconds; None off Linux.
pub(super) fn process_cpu_seconds() -> Option<f64> {
    // proc(5): utime and stime are fields 14 and 15 of /proc/self/stat, in clock ticks of
    // USER_HZ, which Linux fixes at 100 for user space on the architectures we build for.
    // Fields are counted after the command name, which is in parentheses and may hold spaces.
    const TICKS_PER_SECOND: f64 = 100.0;
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let (_, after_name) = stat.rsplit_once(')')?;
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / TICKS_PER_SECOND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_is_read() {
        if cfg!(target_os = "linux") {
            assert!(process_cpu_seconds().is_some());
        }
    }
}
