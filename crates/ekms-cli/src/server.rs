//! `ekms register`, `ekms health` and `ekms version`: the group's creation and the server's
//! state.

use anyhow::{Context as _, Result};
use ekms_client::Client;
use serde_json::json;

use crate::cli::RegisterArgs;
use crate::context::{Context, TrustChoice};
use crate::output::print_json;
use crate::report::Explained;

/// `ekms register`.
pub async fn register(ctx: &Context, args: &RegisterArgs) -> Result<()> {
    if ctx.config.secret.is_some() && !args.force {
        return Err(Explained {
            message: format!(
                "the config file {} already holds a group secret",
                ctx.config_path().display()
            ),
            hint: Some(
                "pass --config OTHER_FILE to register another group, or --force to replace it (the old group is unreachable without its secret)"
                    .to_string(),
            ),
        }
        .into());
    }
    // Fail before registering if the config file cannot be written.
    crate::config::ensure_parent_dir(ctx.config_path())?;
    let client = ctx.client(false)?;
    let registration = client.register().await?;

    let mut config = ctx.config.clone();
    config.server_url = Some(client.server_url().to_string());
    config.secret = Some(registration.secret.clone());
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
