//! `ekms-server`: the KMIP key management server that runs inside the (emulated) enclave.
//!
//! Start-up: read settings, open the emulated platform, unseal (or make) the TLS identity,
//! bind the HTTPS port and print the lines scripts and tests read (DESIGN.md section 4).

mod access;
mod auth;
mod config;
mod enclave;
mod error;
mod groups;
mod keyslots;
mod operations;
mod platform;
mod protocol;
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

/// Open group databases kept at most, and how long an unused one stays open.
const GROUP_CACHE_CAPACITY: usize = 1024;
const GROUP_IDLE: Duration = Duration::from_secs(300);

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("EKMS_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = match Config::load() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ekms-server: {e:#}");
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
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
    platform::create_private_dir(&config.data_dir)?;
    let mut enclave = enclave::Enclave::start(&config)?;
    let identity = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => tls::TlsIdentity::from_files(cert, key)?,
        _ => {
            // Sealed to mr_enclave: another build of the server cannot unseal this key.
            let sealing = SealingKey::derive(
                enclave.sealing_secret(),
                &enclave.mr_enclave,
                "tls identity",
            )?;
            tls::TlsIdentity::load_or_create(&config.data_dir, &sealing, &config.tls_san)?
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
    let register_limiter = auth::rate::RateLimiter::new(config.register_rate_per_minute);
    let listener = TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    // Bound before anything is printed, so a busy port fails the start-up.
    let kmip = match &config.kmip_client_ca {
        Some(ca) => Some(socket::bind(&config.kmip_listen, ca, &identity).await?),
        None => None,
    };

    if enclave.mode == "emulated" {
        tracing::warn!(
            "EMULATION MODE: no SGX hardware; the enclave, its measurement, its quotes and its sealing are emulated. Do not trust this server with real keys."
        );
    }
    let groups = groups::Groups::new(&config.data_dir, GROUP_CACHE_CAPACITY, GROUP_IDLE)?;
    let state = Arc::new(state::AppState {
        config,
        groups,
        enclave,
        auth,
        register_limiter,
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

    println!("listening on https://{addr}");
    if let Some(kmip) = kmip {
        println!("kmip listening on {}", kmip.local_addr()?);
        tokio::spawn(kmip.serve(state.clone()));
    }
    println!(
        "certificate sha256: {}",
        hex::encode(identity.cert_sha256())
    );
    println!("{}", state.enclave.measurement_block());
    let app = routes::router(state);
    tokio::select! {
        _ = server::serve(listener, tls_config, app) => {}
        _ = shutdown_signal() => {
            tracing::info!("shutting down");
        }
    }
    Ok(())
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
