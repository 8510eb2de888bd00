//! `ekms-attest`: an attestation service with Microsoft Azure Attestation's wire format for
//! SGX, so MAA clients (Microsoft's SDKs, `ekms trust`) work against it unchanged, plus an
//! emulated PCCS for emulated evidence. For tests, demos and on-premise use; routes, flags and
//! claims are in `docs/attestation-service.md`.
//!
//! Modules: [`config`] (flags), [`tls`] (HTTPS), [`token`] (signing key, JWT, JWKS),
//! [`claims`] (token claims and data checks), [`collateral`] (collateral per quote),
//! [`routes`] (one module per route family), [`state`], [`error`] (MAA's error shape).
//!
//! At start it prints, each on its own line on stdout: `listening on https://<addr>`,
//! `certificate sha256: <hex>` (SHA-256 of the HTTPS certificate's DER, for pinning),
//! `issuer: <url>` and `token signing key id: <kid>`.

#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable,
        clippy::todo
    )
)]

mod claims;
mod collateral;
mod config;
mod error;
mod routes;
mod state;
mod tls;
mod token;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use ekms_attest::{TrustedRoot, Verifier};
use time::format_description::well_known::Rfc3339;
use tokio::net::TcpListener;

use crate::collateral::CollateralSource;
use crate::config::{Args, Config};
use crate::state::AppState;
use crate::tls::TlsIdentity;
use crate::token::TokenSigner;

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("EKMS_ATTEST_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ekms-attest: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ekms-attest: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The base URL for `addr`: an unspecified address is reached as localhost.
fn base_url(addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        format!("https://localhost:{}", addr.port())
    } else {
        format!("https://{addr}")
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let config = Config::from_args(args)?;
    let identity = match &config.tls_files {
        Some((cert, key)) => TlsIdentity::from_files(cert, key)?,
        None => TlsIdentity::generate(&config.tls_san)?,
    };
    let tls_config = identity.server_config()?;
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let issuer = config.public_url.clone().unwrap_or_else(|| base_url(addr));
    let signer = match &config.signing_key {
        Some(path) => TokenSigner::from_pem_file(path, &issuer)?,
        None => TokenSigner::generate(&issuer)?,
    };

    if let Some(t) = config.fixed_time {
        let shown = t.format(&Rfc3339).unwrap_or_else(|_| t.to_string());
        let rule = "*".repeat(78);
        eprintln!(
            "{rule}\n*** WARNING: --fixed-time {shown} (TESTING ONLY)\n*** Quotes are verified and tokens stamped as if it were {shown}:\n*** collateral that has expired is accepted and tokens carry that time.\n*** Never use this in production.\n{rule}"
        );
        tracing::warn!("--fixed-time {shown}: testing only, the clock is fixed");
    }
    if config.allow_emulated {
        tracing::warn!(
            "--allow-emulated: evidence under the emulated SGX root (EMULATED, NOT INTEL) is accepted; such tokens carry x-ekms-emulated: true and prove the protocol, never the hardware"
        );
    }

    let verifier = Verifier {
        // The emulated root is always known, so emulated evidence is refused by name
        // (`EmulatedNotAllowed`) rather than as a broken chain; `allow_emulated` decides.
        roots: vec![TrustedRoot::intel(), TrustedRoot::emulated()],
        allow_emulated: config.allow_emulated,
        allow_debug: config.allow_debug,
        policy: config.tcb_policy.clone(),
    };
    let policy_hash = claims::policy_hash(&claims::policy_text(
        &config.tcb_policy,
        config.allow_debug,
        config.allow_emulated,
    ));
    let state = Arc::new(AppState {
        issuer,
        signer,
        verifier,
        collateral: CollateralSource::new(config.collateral),
        fixed_time: config.fixed_time,
        policy_hash,
        allow_emulated: config.allow_emulated,
    });

    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on https://{addr}")?;
        writeln!(out, "certificate sha256: {}", identity.leaf_sha256_hex())?;
        writeln!(out, "issuer: {}", state.issuer)?;
        writeln!(out, "token signing key id: {}", state.signer.kid())?;
        out.flush()?;
    }

    let app = routes::router(state);
    tokio::select! {
        _ = tls::serve(listener, tls_config, app) => {}
        _ = shutdown_signal() => tracing::info!("shutting down"),
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert_eq!(
            base_url("127.0.0.1:4443".parse().unwrap()),
            "https://127.0.0.1:4443"
        );
        assert_eq!(
            base_url("0.0.0.0:4443".parse().unwrap()),
            "https://localhost:4443"
        );
        assert_eq!(
            base_url("[::1]:4443".parse().unwrap()),
            "https://[::1]:4443"
        );
    }
}
