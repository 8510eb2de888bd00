//! `ekms register`, `ekms group join`, `ekms health` and `ekms version`: the group's creation,
//! another user joining it, and the server's state.

use std::io::Read as _;

use anyhow::{Context as _, Result};
use ekms_client::{Client, Secret};
use serde_json::json;
use zeroize::Zeroizing;

use crate::cli::RegisterArgs;
use crate::cli::access::JoinArgs;
use crate::config::Config;
use crate::context::{Context, TrustChoice};
use crate::output::print_json;
use crate::report::Explained;

/// Refuses to replace the group secret of the config file unless `force`.
fn keep_secret(ctx: &Context, force: bool, other: &str) -> Result<()> {
    if ctx.config.secret.is_some() && !force {
        return Err(Explained {
            message: format!(
                "the config file {} already holds a group secret",
                ctx.config_path().display()
            ),
            hint: Some(format!(
                "pass --config OTHER_FILE to {other}, or --force to replace it (the old group is unreachable without its secret)"
            )),
        }
        .into());
    }
    Ok(())
}

/// The config file with `secret`, the server URL and, when given as flags, the trust choice.
fn remembered(ctx: &Context, client: &Client, secret: Secret) -> Result<Config> {
    let mut config = ctx.config.clone();
    config.server_url = Some(client.server_url().to_string());
    config.secret = Some(secret);
    if ctx.trust_from_flags {
        config.ca = None;
        config.pin_sha256 = None;
        match &ctx.trust {
            TrustChoice::Ca(path) => {
                let absolute = std::path::absolute(path).unwrap_or_else(|_| path.clone());
                config.ca = Some(absolute);
            }
            TrustChoice::Pin(pin) => {
                let parsed = ekms_client::trust::parse_sha256_hex(pin)?;
                config.pin_sha256 = Some(hex::encode(parsed));
            }
            TrustChoice::Insecure | TrustChoice::None => {}
        }
    }
    Ok(config)
}

/// `ekms register`.
pub async fn register(ctx: &Context, args: &RegisterArgs) -> Result<()> {
    keep_secret(ctx, args.force, "register another group")?;
    // Fail before registering if the config file cannot be written.
    crate::config::ensure_parent_dir(ctx.config_path())?;
    let client = ctx.client(false)?;
    let registration = client.register().await?;

    let config = remembered(ctx, &client, registration.secret.clone())?;
    config.save(ctx.config_path()).with_context(|| {
        format!(
            "group {} was created but its secret could not be saved; it holds nothing yet: fix the problem and register again",
            registration.group_id
        )
    })?;

    let seen = client.server_certificate_sha256().map(hex::encode);
    if ctx.json {
        let mut out = json!({
            "group_id": registration.group_id,
            "server_url": client.server_url(),
            "config": ctx.config_path().display().to_string(),
        });
        if let Some(seen) = &seen {
            out["certificate_sha256"] = json!(seen);
        }
        if args.show_secret {
            out["secret"] = json!(registration.secret.expose());
        }
        print_json(&out)?;
    } else {
        println!("group id: {}", registration.group_id);
        if args.show_secret {
            println!("secret: {}", registration.secret.expose());
        }
        eprintln!(
            "the server URL, the group secret and the trust choice are stored in {}",
            ctx.config_path().display()
        );
    }
    if ctx.trust == TrustChoice::Insecure
        && let Some(seen) = seen
    {
        eprintln!(
            "note: no trust choice was stored; the server presented the certificate with sha256 {seen}: if it is the one the server printed at start, pass --pin-sha256 {seen} to later commands"
        );
    }
    Ok(())
}

/// `ekms group join`: the secret another user registered, checked with the server before it is
/// stored, so that a mistyped secret never replaces a working one.
pub async fn join(ctx: &Context, args: &JoinArgs) -> Result<()> {
    keep_secret(ctx, args.force, "join another group")?;
    let text = match &args.secret_file {
        Some(path) => Zeroizing::new(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the secret file {}", path.display()))?,
        ),
        None => {
            let mut text = Zeroizing::new(String::new());
            std::io::stdin()
                .read_to_string(&mut text)
                .context("cannot read the group secret from standard input")?;
            text
        }
    };
    let secret = text.trim();
    if secret.is_empty() {
        return Err(Explained {
            message: "no group secret was given".to_string(),
            hint: Some(
                "pipe the secret the group's administrator gave you into `ekms group join`, or pass --secret-file FILE"
                    .to_string(),
            ),
        }
        .into());
    }
    let secret = Secret::new(secret.to_string());
    crate::config::ensure_parent_dir(ctx.config_path())?;
    let client = ctx.client_with(Some(secret.clone()))?;
    // Any route of the group proves the secret; this one needs no right.
    client.access_obtained().await?;
    let config = remembered(ctx, &client, secret)?;
    config.save(ctx.config_path())?;
    if ctx.json {
        print_json(&json!({
            "joined": true,
            "server_url": client.server_url(),
            "config": ctx.config_path().display().to_string(),
        }))
    } else {
        println!("joined the group at {}", client.server_url());
        eprintln!(
            "the server URL, the group secret and the trust choice are stored in {}",
            ctx.config_path().display()
        );
        Ok(())
    }
}

/// `ekms health`.
pub async fn health(ctx: &Context) -> Result<()> {
    let client: Client = ctx.client(false)?;
    let answer = client.health().await?;
    if ctx.json {
        print_json(&answer)
    } else {
        match &answer {
            serde_json::Value::String(s) => println!("{s}"),
            other => println!("{other}"),
        }
        Ok(())
    }
}

/// `ekms version`.
pub async fn version(ctx: &Context) -> Result<()> {
    let client = ctx.client(false)?;
    let server = client.version().await?;
    if ctx.json {
        print_json(&json!({
            "client": env!("CARGO_PKG_VERSION"),
            "server": server,
        }))
    } else {
        println!("client: ekms {}", env!("CARGO_PKG_VERSION"));
        println!(
            "server: {} (commit {}, mode {})",
            server.version.as_deref().unwrap_or("?"),
            server.git_commit.as_deref().unwrap_or("?"),
            server.mode.as_deref().unwrap_or("?")
        );
        if let Some(m) = &server.measurement {
            println!("measurement: {m}");
        }
        Ok(())
    }
}
