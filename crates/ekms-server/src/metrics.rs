//! The server's metrics and the metrics port (docs/server.md, "Metrics"): what is counted,
//! and `GET /metrics` in the Prometheus text format on `--metrics-listen`, a plain-HTTP
//! address apart from the tenant-facing port.
//!
//! Every label value is a `&'static str` of a fixed table (a route template, a KMIP
//! operation or result reason name, a status class), never anything a request carried: no
//! group id, key id, name or other tenant text can reach a label. The server's own identity
//! (version, mr_enclave) is the only non-static label, set once at start.
//!
//! The hot path is one atomic add per series: each series' handle is made once, on first use,
//! in a [`OnceLock`] cell indexed by the fixed tables, so a request takes no lock and allocates
//! nothing for its labels (prometheus-client's `Family` lookup would take a read lock).

use crate::access::ROUTES;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};
use std::sync::OnceLock;
use std::time::Duration;

/// One label.
type L1 = [(&'static str, &'static str); 1];
/// Two labels.
type L2 = [(&'static str, &'static str); 2];
/// A family of histograms, each made by [`latency`].
type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

// The routes of the HTTPS port are those of `crate::access::ROUTES`, counted by their
// templates (never the path itself, which holds key ids); a request the router matched to
// none counts as `other`.
const OTHER_ROUTE: &str = "other";
const STATUS_CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// A route of the HTTPS port, as the metrics and the logs name it.
#[derive(Clone, Copy, Debug)]
pub struct Route(usize);

impl Route {
    /// The route of `method` and the template the router `matched` (`None`: it matched none).
    pub fn of(method: &str, matched: Option<&str>) -> Route {
        Route(
            matched
                .and_then(|m| {
                    ROUTES.iter().position(|(t, _)| {
                        t.split_once(' ')
                            .is_some_and(|(verb, path)| verb == method && path == m)
                    })
                })
                .unwrap_or(ROUTES.len()),
        )
    }

    /// Its template, or `other`.
    pub fn name(self) -> &'static str {
        ROUTES
            .get(self.0)
            .and_then(|(t, _)| t.split_once(' '))
            .map_or(OTHER_ROUTE, |(_, path)| path)
    }
}

/// The listeners whose open connections are counted.
#[derive(Clone, Copy)]
pub enum Listener {
    Https = 0,
    Kmip = 1,
}

/// The stream routes, for the bytes they move.
#[derive(Clone, Copy)]
pub enum Stream {
    Encrypt = 0,
    Decrypt = 1,
}

/// Which way stream bytes go.
#[derive(Clone, Copy)]
pub enum Direction {
    In = 0,
    Out = 1,
}

/// Every series of the server.
pub struct Metrics {
    registry: Registry,
    http: Family<L2, Counter>,
    http_cells: Box<[OnceLock<Counter>]>,
    http_seconds: Histograms<L1>,
    http_seconds_cells: Box<[OnceLock<Histogram>]>,
    kmip: Family<L2, Counter>,
    kmip_cells: Box<[OnceLock<Counter>]>,
    kmip_seconds: Histograms<L1>,
    kmip_seconds_cells: Box<[OnceLock<Histogram>]>,
    connections: [Gauge; 2],
    stream_bytes: [[Counter; 2]; 2],
    cache: [Counter; 2],
    worker: [Counter; 2],
    quote_seconds: Histogram,
    commit_seconds: Histogram,
    commit_transactions: Histogram,
}

/// Latency buckets from 100 µs to about 26 s.
fn latency() -> Histogram {
    Histogram::new(exponential_buckets(0.0001, 4.0, 10))
}

/// A cell per index, filled on first use.
fn cells<T>(n: usize) -> Box<[OnceLock<T>]> {
    (0..n).map(|_| OnceLock::new()).collect()
}

static METRICS: OnceLock<Metrics> = OnceLock::new();

/// The server's metrics.
pub fn get() -> &'static Metrics {
    METRICS.get_or_init(|| Metrics::new(None))
}

/// Makes the metrics with the enclave's identity (`ekms_enclave_info`); called once at start,
/// before anything is counted.
pub fn init(enclave: &crate::enclave::Enclave) {
    let identity = Enclave {
        mr_enclave: hex::encode(enclave.mr_enclave),
        mr_signer: hex::encode(enclave.mr_signer),
        mode: enclave.mode.to_string(),
    };
    let _ = METRICS.set(Metrics::new(Some(identity)));
    ekms_store::observe::set_commit_observer(Metrics::commit);
}

/// The enclave's identity, as `/version` reports it.
struct Enclave {
    mr_enclave: String,
    mr_signer: String,
    mode: String,
}

use ekms_kmip::enums::{Operation, ResultReason};

impl Metrics {
    fn new(enclave: Option<Enclave>) -> Self {
        let mut registry = Registry::with_prefix("ekms");
        let http = Family::<L2, Counter>::default();
        registry.register(
            "http_requests",
            "HTTPS requests answered, by route template and status class",
            http.clone(),
        );
        let http_seconds: Histograms<L1> = Family::new_with_constructor(latency);
        registry.register_with_unit(
            "http_request_duration",
            "Time to the response head of HTTPS requests, by route template",
            Unit::Seconds,
            http_seconds.clone(),
        );
        let kmip = Family::<L2, Counter>::default();
        registry.register(
            "kmip_operations",
            "KMIP operations run (HTTPS and socket), by operation and result (Success or the result reason)",
            kmip.clone(),
        );
        let kmip_seconds: Histograms<L1> = Family::new_with_constructor(latency);
        registry.register_with_unit(
            "kmip_operation_duration",
            "Time of KMIP operations, by operation",
            Unit::Seconds,
            kmip_seconds.clone(),
        );
        let open = Family::<L1, Gauge>::default();
        registry.register(
            "open_connections",
            "Connections open now, by listener",
            open.clone(),
        );
        let connections = ["https", "kmip"].map(|l| open.get_or_create(&[("listener", l)]).clone());
        let bytes = Family::<L2, Counter>::default();
        registry.register(
            "stream_bytes",
            "Bytes through the stream routes, by route and direction (in: request body, out: response body)",
            bytes.clone(),
        );
        let stream_bytes = ["encrypt", "decrypt"].map(|r| {
            ["in", "out"].map(|d| {
                bytes
                    .get_or_create(&[("route", r), ("direction", d)])
                    .clone()
            })
        });
        let lookups = Family::<L1, Counter>::default();
        registry.register(
            "group_cache_lookups",
            "Opens of a group: served by the cache of open group databases (hit) or by opening the database (miss)",
            lookups.clone(),
        );
        let cache = ["hit", "miss"].map(|r| lookups.get_or_create(&[("result", r)]).clone());
        let attempts = Family::<L1, Counter>::default();
        registry.register(
            "kmip_worker_attempts",
            "KMIP requests tried on the async worker (a read of a cached key): answered there, or run again on the blocking pool because they needed the database",
            attempts.clone(),
        );
        let worker =
            ["answered", "fell_back"].map(|r| attempts.get_or_create(&[("result", r)]).clone());
        let quote_seconds = latency();
        registry.register_with_unit(
            "attestation_quote_duration",
            "Time the quote source takes to make a quote",
            Unit::Seconds,
            quote_seconds.clone(),
        );
        let commit_seconds = latency();
        registry.register_with_unit(
            "store_commit_duration",
            "Time of the store's commits (each durable when it returns)",
            Unit::Seconds,
            commit_seconds.clone(),
        );
        // Up to the SQLCipher group commit's most, 256.
        let commit_transactions = Histogram::new(exponential_buckets(1.0, 2.0, 9));
        registry.register(
            "store_commit_transactions",
            "Transactions one store commit made durable together (the batch size)",
            commit_transactions.clone(),
        );
        registry.register(
            "build",
            "The server's build",
            Info::new(vec![
                ("version", env!("CARGO_PKG_VERSION").to_string()),
                ("git_commit", env!("EKMS_GIT_COMMIT").to_string()),
            ]),
        );
        if let Some(e) = enclave {
            registry.register(
                "enclave",
                "The enclave's identity, as /version reports it",
                Info::new(vec![
                    ("mr_enclave", e.mr_enclave),
                    ("mr_signer", e.mr_signer),
                    ("mode", e.mode),
                ]),
            );
        }
        let results = ResultReason::ALL.len() + 1;
        Metrics {
            registry,
            http,
            http_cells: cells((ROUTES.len() + 1) * STATUS_CLASSES.len()),
            http_seconds,
            http_seconds_cells: cells(ROUTES.len() + 1),
            kmip,
            kmip_cells: cells(Operation::ALL.len() * results),
            kmip_seconds,
            kmip_seconds_cells: cells(Operation::ALL.len()),
            connections,
            stream_bytes,
            cache,
            worker,
            quote_seconds,
            commit_seconds,
            commit_transactions,
        }
    }

    /// Counts one HTTPS request of `route` answered with `status` after `took`.
    pub fn http_request(&self, route: Route, status: u16, took: Duration) {
        let (r, name) = (route.0, route.name());
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        let label = STATUS_CLASSES.get(class).copied().unwrap_or("5xx");
        if let Some(cell) = self.http_cells.get(r * STATUS_CLASSES.len() + class) {
            cell.get_or_init(|| {
                self.http
                    .get_or_create(&[("route", name), ("status", label)])
                    .clone()
            })
            .inc();
        }
        if let Some(cell) = self.http_seconds_cells.get(r) {
            cell.get_or_init(|| self.http_seconds.get_or_create(&[("route", name)]).clone())
                .observe(took.as_secs_f64());
        }
    }

    /// Counts one KMIP operation and its result (`None`: success).
    pub fn kmip_operation(&self, op: Operation, failed: Option<ResultReason>, took: Duration) {
        let Some(o) = Operation::ALL.iter().position(|x| *x == op) else {
            return;
        };
        let (res, result) = match failed {
            None => (0, "Success"),
            Some(reason) => match ResultReason::ALL.iter().position(|x| *x == reason) {
                Some(i) => (i + 1, reason.name()),
                None => return,
            },
        };
        let labels = [("operation", op.name()), ("result", result)];
        if let Some(cell) = self.kmip_cells.get(o * (ResultReason::ALL.len() + 1) + res) {
            cell.get_or_init(|| self.kmip.get_or_create(&labels).clone())
                .inc();
        }
        if let Some(cell) = self.kmip_seconds_cells.get(o) {
            cell.get_or_init(|| {
                self.kmip_seconds
                    .get_or_create(&[("operation", op.name())])
                    .clone()
            })
            .observe(took.as_secs_f64());
        }
    }

    /// Counts a connection of `listener` as open until the guard is dropped.
    pub fn connection(&self, listener: Listener) -> ConnectionGuard {
        let gauge = self.connections[listener as usize].clone();
        gauge.inc();
        ConnectionGuard(gauge)
    }

    /// Counts `n` bytes of a stream route.
    pub fn stream_bytes(&self, stream: Stream, direction: Direction, n: usize) {
        self.stream_bytes[stream as usize][direction as usize].inc_by(n as u64);
    }

    /// Counts an open of a group served by the cache (`hit`) or not.
    pub fn group_cache(&self, hit: bool) {
        self.cache[usize::from(!hit)].inc();
    }

    /// Counts a request tried on the async worker: answered there, or not.
    pub fn worker_attempt(&self, answered: bool) {
        self.worker[usize::from(!answered)].inc();
    }

    /// Records the time a quote took.
    pub fn quote(&self, took: Duration) {
        self.quote_seconds.observe(took.as_secs_f64());
    }

    /// Records one store commit ([`ekms_store::observe`]).
    fn commit(took: Duration, transactions: usize) {
        let m = get();
        m.commit_seconds.observe(took.as_secs_f64());
        m.commit_transactions.observe(transactions as f64);
    }

    /// The metrics page: the OpenMetrics text format, which Prometheus reads.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            tracing::error!("the metrics could not be written");
        }
        out
    }
}

/// Keeps a connection counted as open while it lives.
pub struct ConnectionGuard(Gauge);

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}
