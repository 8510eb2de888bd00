//! The report of a run: the connections' histograms merged, throughput, latency percentiles,
//! errors and the tool's CPU time per operation, as text or as JSON with `--json`.

use std::time::Instant;

use anyhow::{Result, anyhow, bail};
use serde_json::json;
use tokio::task::JoinHandle;

use super::measure::{TaskResult, new_histogram, process_cpu_seconds};
use crate::cli::bench::BenchArgs;
use crate::context::Context;

/// What the run's set-up made.
pub(super) struct Setup {
    /// Bytes of the (first) request.
    pub(super) request_bytes: usize,
    /// Groups the requests go to (1 without `--groups`).
    pub(super) groups: usize,
    /// Groups registered for `--groups` by this run.
    pub(super) groups_registered: usize,
    /// Seconds from the first connection to the requests being ready (registrations and
    /// keys made included).
    pub(super) setup_seconds: f64,
}

/// Merges what the connections measured and prints the report; fails when every operation
/// failed. `cpu_at_start` reads the CPU counter when the measurement started.
pub(super) async fn report(
    ctx: &Context,
    args: &BenchArgs,
    transport: &str,
    setup: &Setup,
    measure_from: Instant,
    cpu_at_start: JoinHandle<Option<f64>>,
    results: Vec<Vec<TaskResult>>,
) -> Result<()> {
    let mut histogram = new_histogram()?;
    let mut errors = 0u64;
    let mut first_error = None;
    let mut last_done: Option<Instant> = None;
    let mut answer_bytes = None;
    let mut http_versions: Vec<&str> = Vec::new();
    for r in results.into_iter().flatten() {
        if let Some(v) = r.http_version
            && !http_versions.contains(&v)
        {
            http_versions.push(v);
        }
        histogram
            .add(&r.histogram)
            .map_err(|e| anyhow!("histogram: {e}"))?;
        errors += r.errors;
        if first_error.is_none() {
            first_error = r.first_error;
        }
        last_done = match (last_done, r.last_done) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        answer_bytes = answer_bytes.max(r.answer_bytes);
    }
    let cpu_seconds = match (cpu_at_start.await.ok().flatten(), process_cpu_seconds()) {
        (Some(a), Some(b)) => Some((b - a).max(0.0)),
        _ => None,
    };
    let elapsed = last_done
        .map(|t| t.saturating_duration_since(measure_from).as_secs_f64())
        .unwrap_or(0.0);
    let ops = histogram.len();
    let rate = if elapsed > 0.0 {
        ops as f64 / elapsed
    } else {
        0.0
    };
    let attempted = ops + errors;
    // The counter ticks every 10 ms: below half a second of CPU, a figure per operation would
    // be mostly rounding.
    let cpu_per_op = cpu_seconds
        .filter(|s| attempted > 0 && *s >= 0.5)
        .map(|s| s * 1e6 / attempted as f64);
    let p = |q: f64| histogram.value_at_quantile(q);
    let report = json!({
        "transport": transport,
        "kmip_version": match &args.kmip {
            Some(_) => args.kmip_version.label(),
            None => "2.1",
        },
        "op": args.op.label(),
        "static_answer": args.static_answer,
        // As the answers came (one entry unless connections negotiated differently).
        "http_version": http_versions.join(", "),
        "payload_size": args.payload_size,
        "request_bytes": setup.request_bytes,
        "answer_bytes": answer_bytes,
        "connections": args.connections,
        "groups": setup.groups,
        "groups_registered": setup.groups_registered,
        "setup_seconds": setup.setup_seconds,
        "warmup_seconds": args.warmup,
        "elapsed_seconds": elapsed,
        "ops": ops,
        "errors": errors,
        "ops_per_second": rate,
        "latency_us": {
            "min": histogram.min(),
            "mean": histogram.mean(),
            "p50": p(0.5),
            "p90": p(0.9),
            "p99": p(0.99),
            "p99_9": p(0.999),
            "max": histogram.max(),
        },
        "client_cpu_seconds": cpu_seconds,
        "client_cpu_us_per_op": cpu_per_op,
        "first_error": first_error,
    });
    if ctx.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let ms = |v: u64| v as f64 / 1000.0;
        println!(
            "{} over {transport} (KMIP {}), {} connections, {} group{}{}",
            args.op.label(),
            report["kmip_version"].as_str().unwrap_or("?"),
            args.connections,
            setup.groups,
            if setup.groups == 1 { "" } else { "s" },
            if args.static_answer {
                ", static answers (any HTTP 200 is a success)"
            } else {
                ""
            }
        );
        println!("ops:        {ops} in {elapsed:.2} s");
        println!("throughput: {rate:.0} ops/s");
        println!(
            "latency:    p50 {:.3} ms  p90 {:.3} ms  p99 {:.3} ms  p99.9 {:.3} ms  max {:.3} ms",
            ms(p(0.5)),
            ms(p(0.9)),
            ms(p(0.99)),
            ms(p(0.999)),
            ms(histogram.max())
        );
        println!("errors:     {errors}");
        if let Some(us) = cpu_per_op {
            println!("bench CPU:  {us:.1} µs per operation (this process)");
        }
        if let Some(e) = &first_error {
            println!("first error: {e}");
        }
    }
    if ops == 0 && errors > 0 {
        bail!(
            "every operation failed: {}",
            first_error.unwrap_or_default()
        );
    }
    Ok(())
}
