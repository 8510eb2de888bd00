//! `ekms bench`: a KMIP load generator.
//!
//! It drives a KMIP server over one of two transports:
//!
//! - binary TTLV over mutual TLS (`--kmip HOST:PORT`, the client certificate of
//!   `--client-cert`/`--client-key`, the server trusted through `--ca`), in KMIP 1.2, 1.4 or 2.1,
//!   the group secret sent as the Password of a Username and Password credential;
//! - JSON TTLV over HTTPS (`POST /kmip/2_1` of the configured server), through the same
//!   [`ekms_client::Client`] as every other command.
//!
//! `--no-secret` sends no group secret on either (no credential, no secret header), so that
//! the same requests measure a KMIP server that has no groups (another vendor's).
//!
//! It first makes what the workload needs (an active AES-256 key, an active ECDSA P-256 or
//! RSA-2048 private key, a registered HMAC-SHA256 key, a named key to locate), then runs
//! `--connections` tasks, each with one persistent connection sending one request at a time,
//! for `--duration` seconds or `--count` operations after `--warmup` seconds. Latencies go to an
//! HDR histogram per task, merged at the end; the report gives throughput, percentiles, the
//! number of failed operations and the CPU time the tool itself used per operation.
//!
//! The workloads use only what KMIP 1.x servers commonly implement, so that the same requests
//! measure ekms and other servers (PyKMIP's included): keys are created without an Activation
//! Date and activated with Activate, key pairs name their usage masks, the HMAC key is
//! registered (PyKMIP creates no HMAC key), cipher and signature parameters name the algorithm
//! and the GCM tag length.
//!
//! The generator shares the machine with the server it measures, so its own cost per operation
//! is kept small: the requests of a run are identical, so the request is encoded once and the
//! same bytes are sent every time; a binary answer is read into a buffer reused by the
//! connection and its Result Status is read in place, without building the message (a failed
//! answer is decoded in full, for its error message); a JSON answer is only checked to be the
//! operation's response (HTTP 200 with the `<Operation>Response` tag; ekms answers every failed
//! operation with another status). Every answer is still checked: an operation whose answer is
//! not a success counts as an error.
//!
//! With `--static-answer`, the JSON requests go to a server that answers every POST with a
//! fixed body (nginx, say): any HTTP 200 is a success and nothing is made first (the requests
//! name a placeholder key of the length of ekms's identifiers), so the same client, TLS stack,
//! HTTP version, headers and request bodies measure the machine's HTTPS ceiling. `--http1`
//! offers HTTP/1.1 only (HTTP/2 is offered first otherwise); the report gives the HTTP version
//! the answers came in.
//!
//! With `--groups N` (binary transport), the run spreads its requests over N groups: what the
//! workload needs is made in each, each connection sends the groups' requests in turn (round
//! robin, connections starting at different groups), so that N groups are in use at once; the
//! groups' secrets are kept in `--groups-file`, and those it lacks are registered first.
//!
//! This module checks the arguments and runs the steps; `workload` builds the requests and
//! makes what they need, `groups` finds and prepares the groups of `--groups`, `transport` encodes them and holds the connections, `check` judges
//! the answers, `measure` runs the workers and reads the clocks, `report` prints the result.

mod check;
mod groups;
mod measure;
mod report;
mod transport;
mod workload;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

use self::check::Check;
use self::groups::{group_secrets, prepare_groups};
use self::measure::{Limit, Request, process_cpu_seconds, run_connections};
use self::report::Setup;
use self::transport::{Encoding, JsonConfig, Target, binary_target, group_secret};
use self::workload::{placeholder, prepare};
use crate::cli::bench::BenchArgs;
use crate::context::{Context, TrustChoice};

/// `ekms bench`.
pub async fn bench(ctx: &Context, args: &BenchArgs) -> Result<()> {
    if args.connections == 0 {
        bail!("--connections must be at least 1");
    }
    if args.threads == Some(0) {
        bail!("--threads must be at least 1");
    }
    if !(args.warmup.is_finite() && args.warmup >= 0.0) {
        bail!("--warmup must be a number of seconds, 0 or more");
    }
    let limit = match (args.duration, args.count) {
        (_, Some(0)) => bail!("--count must be at least 1"),
        (_, Some(n)) => Limit::Count(n),
        (Some(d), None) if d.is_finite() && d > 0.0 => Limit::Duration(Duration::from_secs_f64(d)),
        (Some(_), None) => bail!("--duration must be a positive number of seconds"),
        (None, None) => Limit::Duration(Duration::from_secs(10)),
    };
    let (target, encoding, transport) = match &args.kmip {
        Some(address) => {
            let (target, encoding) = binary_target(ctx, args, address)?;
            (target, encoding, "binary-ttlv")
        }
        None => (
            Target::Json {
                config: Arc::new(JsonConfig {
                    server_url: ctx.server_url.clone(),
                    ctx_trust: ctx.trust.clone(),
                    secret: group_secret(ctx, args),
                    no_secret: args.no_secret,
                    bearer_token: ctx.bearer_token.clone(),
                    client_cert: ctx.client_cert.clone(),
                    http1_only: args.http1,
                }),
            },
            Encoding::Json,
            "https-json",
        ),
    };
    if matches!(ctx.trust, TrustChoice::Insecure) {
        eprintln!("warning: --insecure: the server certificate is not checked");
    }
    let data: Vec<u8> = (0..args.payload_size).map(|i| (i % 251) as u8).collect();
    let setup_started = Instant::now();
    let mut setup = target.connect().await?;
    let mut groups_registered = 0;
    let (operation, bytes) = match args.groups {
        None => {
            let (operation, payload) = if args.static_answer {
                placeholder(&encoding, args, data)?
            } else {
                prepare(&mut setup, &encoding, args, data).await?
            };
            (operation, vec![encoding.encode(operation, payload)?])
        }
        Some(n) => {
            let (secrets, registered) = group_secrets(ctx, n, args.groups_file.as_deref()).await?;
            groups_registered = registered;
            prepare_groups(&target, encoding.version(), secrets, args, &data).await?
        }
    };
    let setup_info = Setup {
        request_bytes: bytes.first().map_or(0, Vec::len),
        groups: bytes.len(),
        groups_registered,
        setup_seconds: setup_started.elapsed().as_secs_f64(),
    };
    let request = Arc::new(Request {
        bytes,
        check: Check::new(&encoding, args.static_answer, operation),
    });
    if let Some(path) = &args.save_answer {
        let first = request.bytes.first().map(Vec::as_slice).unwrap_or_default();
        let answer = setup
            .exchange(first)
            .await
            .context("sending the request whose answer --save-answer keeps")?;
        request.check.verify(answer)?;
        std::fs::write(path, answer).with_context(|| format!("cannot write {}", path.display()))?;
    }
    drop(setup);

    let measure_from = Instant::now() + Duration::from_secs_f64(args.warmup);
    // The CPU time used before the measurement starts (set-up, connections, warm-up) is not
    // the measurement's: read the counter when it starts.
    let cpu_at_start = tokio::spawn(async move {
        tokio::time::sleep_until(measure_from.into()).await;
        process_cpu_seconds()
    });
    let results = run_connections(args, &target, &request, measure_from, limit).await?;
    report::report(
        ctx,
        args,
        transport,
        &setup_info,
        measure_from,
        cpu_at_start,
        results,
    )
    .await
}
