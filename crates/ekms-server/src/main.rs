//! `ekms-server`: the KMIP key management server that runs inside the (emulated) enclave.
//!
//! Start-up: read settings, open the emulated platform, unseal (or make) the TLS identity,
//! bind the HTTPS port and print the lines scripts and tests read (docs/server.md).

#![forbid(unsafe_code)]

mod access;
mod auth;
mod budget;
mod capacity;
mod config;
mod connections;
mod database;
mod enclave;
mod error;
mod groups;
mod keyslots;
mod metrics;
mod objects;
mod operations;
mod platform;
mod protocol;
mod request_id;
mod routes;
mod server;
mod socket;
mod state;
mod tls;

use anyhow::Context;
use config::Config;
use ekms_crypto::seal::SealingKey;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// How long an unused group database stays open.
const GROUP_IDLE: Duration = Duration::from_secs(300);

/// Starts the logs on stderr in `format`, filtered by `EKMS_LOG` (default `info`).
fn start_logs(format: config::LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("EKMS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        // Colour codes only for a person at a terminal: a file or a pipe gets plain text.
        config::LogFormat::Text => logs
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        // The request's span (request id, route, operation, result) goes with every event.
        config::LogFormat::Json => logs
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}

fn main() -> std::process::ExitCode {
    let config = match Config::load() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ekms-server: {e:#}");
            return std::process::ExitCode::from(2);
        }
    };
    start_logs(config.log_format);
    // Bounded threads: the manifest allows 32 (sgx.max_threads), and each thread may take a
    // glibc malloc arena, 64 MiB of the enclave's fixed address space (tokio's defaults, one
    // worker per core and 512 blocking threads, ran a 1 GiB server out of address space
    // under 300 concurrent requests).
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = cores.min(usize::from(config.worker_threads)).max(1);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .max_blocking_threads(usize::from(config.blocking_threads).max(1))
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ekms-server: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ekms-server: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> anyhow::Result<()> {
    // Before any file is opened: the budget below shares what the hard limit allows.
    let open_files = budget::raise_open_file_limit();
    let budget = budget::derive(open_files, config.max_connections, config.max_open_groups);
    tracing::info!(
        open_files,
        connections = budget.connections,
        open_groups = budget.open_groups,
        "open-file budget"
    );
    if !budget.fits() {
        tracing::warn!(
            open_files,
            "--max-connections and --max-open-groups ask for more descriptors than the open-file limit allows: expect accept errors and 503s"
        );
    }
    platform::create_private_dir(&config.data_dir)?;
    // Before anything else is opened: a database that cannot be reached stops the start-up,
    // naming its hosts and the reason.
    let database = database::connect(&config).await?;
    let mut enclave = enclave::Enclave::start(&config)?;
    let identity = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => {
            // Allowed only by the measured --allow-host-tls-key (config.rs refuses it otherwise).
            tracing::warn!(
                "TLS KEY CHOSEN BY THE HOST (--tls-cert/--tls-key): attestation cannot vouch for it; `ekms trust` reports this server as not trusted"
            );
            tls::TlsIdentity::from_files(cert, key)?
        }
        _ => {
            // Sealed to mr_enclave: another build of the server cannot unseal this key.
            let sealing = SealingKey::derive(
                enclave.sealing_secret(),
                &enclave.mr_enclave,
                "tls identity",
            )?;
            // The key dir is the data dir unless --key-dir moves it (under Gramine, onto the
            // encrypted mount).
            let key_dir = config.key_dir();
            platform::create_private_dir(&key_dir)?;
            tls::TlsIdentity::load_or_create(&key_dir, &sealing, &config.tls_san)?
        }
    };
    enclave.cert_pem = identity.cert_pem.clone();
    let tls_config = server::server_config(&identity, config.client_ca.as_deref())?;
    let auth = auth::Auth::from_config(&config).await?;
    if !auth.enabled() {
        tracing::warn!(
            user = %config.default_user,
            "AUTHENTICATION IS OFF: neither --jwt-jwks nor --client-ca is set; every request is the default user"
        );
    }
    let register_limiter = auth::rate::RateLimiter::new(
        config.register_rate_per_minute,
        config.register_rate_per_hour,
    );
    let listener = TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    // Bound before anything is printed, so a busy port fails the start-up.
    let kmip = match &config.kmip_client_ca {
        Some(ca) => Some(socket::bind(&config.kmip_listen, ca, &identity).await?),
        None => None,
    };
    let metrics_listener = match &config.metrics_listen {
        Some(a) => Some(
            TcpListener::bind(a)
                .await
                .with_context(|| format!("cannot listen on --metrics-listen {a}"))?,
        ),
        None => None,
    };
    metrics::init(&enclave);

    if enclave.mode == "emulated" {
        tracing::warn!(
            "EMULATION MODE: no SGX hardware; the enclave, its measurement, its quotes and its sealing are emulated. Do not trust this server with real keys."
        );
    }
    let mut groups = groups::Groups::new(&config.data_dir, budget.open_groups, GROUP_IDLE)?
        .with_audit_limits(config.audit_limits());
    let capacity = match database {
        Some(pool) => {
            groups = groups.with_database(pool.clone())?;
            let (max_groups, max_data_bytes) = (config.max_groups, config.max_data_bytes);
            tokio::task::spawn_blocking(move || {
                capacity::Capacity::on_database(pool, max_groups, max_data_bytes)
            })
            .await?
        }
        None => capacity::Capacity::new(
            groups.dir().to_path_buf(),
            config.max_groups,
            config.max_data_bytes,
        ),
    };
    let tracker = connections::Tracker::new(connections::Limits {
        header_timeout: Duration::from_secs(config.header_timeout_seconds),
        idle_timeout: Duration::from_secs(config.idle_timeout_seconds),
        max_connections: budget.connections,
    });
    let state = Arc::new(state::AppState {
        config,
        groups,
        capacity,
        enclave,
        auth,
        register_limiter,
        connections: tracker.clone(),
    });
    let sweeper = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(30));
        loop {
            tick.tick().await;
            let s = sweeper.clone();
            let _ = tokio::task::spawn_blocking(move || s.groups.sweep()).await;
        }
    });
    let measurer = state.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(measurer.capacity.scan_interval()).await;
            let s = measurer.clone();
            let _ = tokio::task::spawn_blocking(move || s.capacity.scan()).await;
        }
    });

    println!("listening on https://{addr}");
    let kmip_accept = match kmip {
        Some(kmip) => {
            println!("kmip listening on {}", kmip.local_addr()?);
            Some(tokio::spawn(kmip.serve(state.clone(), tracker.clone())))
        }
        None => None,
    };
    if let Some(listener) = metrics_listener {
        println!("metrics listening on http://{}", listener.local_addr()?);
        tokio::spawn(routes::serve_metrics(listener, state.clone()));
    }
    println!(
        "certificate sha256: {}",
        hex::encode(identity.cert_sha256())
    );
    println!("{}", state.enclave.measurement_block());
    let grace = Duration::from_secs(state.config.shutdown_grace_seconds);
    let app = routes::router(state);
    tokio::select! {
        _ = server::serve(listener, tls_config, app, tracker.clone()) => {}
        _ = shutdown_signal() => {}
    }
    // Draining (docs/server.md, "Draining"): the HTTPS listener is closed (the serve future
    // above, which owned it, is dropped), the KMIP one is stopped, /health/ready answers 503,
    // and the connections finish what is under way. The connections' own tasks go on.
    if let Some(accept) = kmip_accept {
        accept.abort();
    }
    tracker.start_drain();
    tracing::info!(
        grace_seconds = grace.as_secs(),
        unfinished = tracker.unfinished(),
        "draining: no new connection is accepted; finishing the requests under way"
    );
    if tracker.drained(grace).await {
        tracing::info!("drained: every request under way was answered; exiting");
        Ok(())
    } else {
        anyhow::bail!(
            "{} connection(s) still had requests under way after --shutdown-grace-seconds ({}s): closed",
            tracker.unfinished(),
            grace.as_secs()
        )
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
}
