//! `ekms`: the command-line client of the ekms key management server.
//!
//! It verifies by remote attestation that a server is the expected code in a genuine enclave
//! (`ekms trust`, which then pins its certificate), computes enclave identities locally
//! (`ekms enclave`), registers groups, creates symmetric keys, encrypts and decrypts files through
//! the server, and manages the keys' life cycle. Errors go to stderr with what to do next, and
//! the exit status is non-zero on failure.

#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::todo)
)]

mod access;
mod audit;
mod bench;
mod cli;
mod completions;
mod config;
mod conformance;
mod context;
mod dispatch;
mod enclave;
mod format;
mod keys;
mod kmip_socket;
mod output;
mod report;
mod server;
mod sign;
mod symfile;
mod trust;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::report::HintContext;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The load generator uses every core; other commands need one thread.
    let mut builder = if matches!(cli.command, Command::Bench(_)) {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut hints = HintContext {
        server_url: cli
            .global
            .server_url
            .clone()
            .unwrap_or_else(|| ekms_client::DEFAULT_SERVER_URL.to_string()),
        config_path: cli
            .global
            .config
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "~/.config/ekms/ekms.toml".to_string()),
    };
    let result = runtime.block_on(dispatch::run(&cli.global, &cli.command, &mut hints));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let (message, hint) = report::explain(&err, &hints);
            eprintln!("error: {message}");
            if let Some(hint) = hint {
                eprintln!("hint: {hint}");
            }
            ExitCode::FAILURE
        }
    }
}
