//! The commands: each resolves its inputs, calls the client and prints the result (text, or
//! JSON with `--json`).

use anyhow::{Context as _, Result, bail};
use ekms_client::{Client, LocateFilter, SymmetricAlgorithm};
use serde_json::json;

use crate::cli::{
    KeyIdArgs, KeysCommand, KeysGetArgs, KeysLocateArgs, KeysRevokeArgs, RegisterArgs,
    SymAlgorithm, SymCommand, SymCreateArgs,
};
use crate::context::{Context, TrustChoice};
use crate::output::write_atomic;

/// A failure explained by the command itself (the message is complete, with what to do).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Explained {
    /// What went wrong.
    pub message: String,
    /// What to do next.
    pub hint: Option<String>,
}

fn print_json(value: &serde_json::Value) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

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

/// `ekms sym ...`.
pub async fn sym(ctx: &Context, command: &SymCommand) -> Result<()> {
    match command {
        SymCommand::Create(args) => sym_create(ctx, args).await,
        SymCommand::Encrypt(args) => crate::symfile::sym_encrypt(ctx, args).await,
        SymCommand::Decrypt(args) => crate::symfile::sym_decrypt(ctx, args).await,
    }
}

async fn sym_create(ctx: &Context, args: &SymCreateArgs) -> Result<()> {
    let algorithm = match args.algorithm {
        SymAlgorithm::Aes => SymmetricAlgorithm::Aes,
        SymAlgorithm::Chacha20 => SymmetricAlgorithm::ChaCha20,
    };
    if !algorithm.allowed_bits().contains(&args.bits) {
        let allowed: Vec<String> = algorithm
            .allowed_bits()
            .iter()
            .map(u32::to_string)
            .collect();
        bail!(
            "--bits {} is not a size of {algorithm} keys (allowed: {})",
            args.bits,
            allowed.join(", ")
        );
    }
    let client = ctx.client(true)?;
    let uid = client
        .create_symmetric_key(
            algorithm,
            args.bits,
            args.name.as_deref(),
            !args.no_activate,
        )
        .await?;
    if ctx.json {
        print_json(&json!({
            "unique_identifier": uid,
            "algorithm": algorithm.kmip().name(),
            "bits": args.bits,
            "name": args.name,
            "activated": !args.no_activate,
        }))
    } else {
        println!("{uid}");
        Ok(())
    }
}

/// `ekms keys ...`.
pub async fn keys(ctx: &Context, command: &KeysCommand) -> Result<()> {
    match command {
        KeysCommand::Get(args) => keys_get(ctx, args).await,
        KeysCommand::Locate(args) => keys_locate(ctx, args).await,
        KeysCommand::Activate(args) => keys_activate(ctx, args).await,
        KeysCommand::Revoke(args) => keys_revoke(ctx, args).await,
        KeysCommand::Destroy(args) => keys_destroy(ctx, args).await,
        KeysCommand::Import(_)
        | KeysCommand::Export(_)
        | KeysCommand::Rekey(_)
        | KeysCommand::Wrap(_)
        | KeysCommand::Unwrap(_) => crate::keys_asym::keys(ctx, command).await,
    }
}

async fn keys_get(ctx: &Context, args: &KeysGetArgs) -> Result<()> {
    let client = ctx.client(true)?;
    let attributes = client.get_attributes(&args.id, &[]).await?;
    let mut exported = None;
    if let Some(path) = &args.export {
        let key = client.get(&args.id).await?;
        write_atomic(path, &key.material)?;
        exported = Some((path, key.material.len()));
    }
    if ctx.json {
        let list: Vec<serde_json::Value> = attributes
            .attributes
            .iter()
            .map(|a| json!({"name": a.name, "value": a.display}))
            .collect();
        let mut out = json!({
            "unique_identifier": attributes.unique_identifier,
            "attributes": list,
        });
        if let Some((path, len)) = exported {
            out["exported"] = json!({"file": path.display().to_string(), "bytes": len});
        }
        print_json(&out)
    } else {
        println!("UniqueIdentifier: {}", attributes.unique_identifier);
        for a in &attributes.attributes {
            if a.name != "UniqueIdentifier" {
                println!("{}: {}", a.name, a.display);
            }
        }
        if let Some((path, len)) = exported {
            eprintln!("wrote the {len}-byte key material to {}", path.display());
        }
        Ok(())
    }
}

async fn keys_locate(ctx: &Context, args: &KeysLocateArgs) -> Result<()> {
    let filter = LocateFilter {
        name: args.name.clone(),
        object_type: args.object_type.map(|o| o.kmip()),
        algorithm: args.algorithm.map(|a| a.kmip()),
        state: args.state.map(|s| s.kmip()),
        maximum_items: args.max,
        offset_items: args.offset,
    };
    let client = ctx.client(true)?;
    let located = client.locate(&filter).await?;
    if ctx.json {
        print_json(&json!({
            "unique_identifiers": located.unique_identifiers,
            "located_items": located.located_items,
        }))
    } else {
        for uid in &located.unique_identifiers {
            println!("{uid}");
        }
        if located.unique_identifiers.is_empty() {
            eprintln!("no key matches");
        }
        // The server answers at most its --max-locate-items identifiers per Locate: say so
        // when that, not the caller's --max, cut the list short.
        let shown = i64::try_from(located.unique_identifiers.len()).unwrap_or(i64::MAX);
        let before = i64::from(args.offset.unwrap_or(0).max(0));
        let asked_fewer = args.max.is_some_and(|m| i64::from(m) <= shown);
        if let Some(total) = located.located_items
            && total > before.saturating_add(shown)
            && shown > 0
            && !asked_fewer
        {
            eprintln!(
                "showing {shown} of {total} matching keys (one page of the server's answer); see the next with --offset {}",
                before.saturating_add(shown)
            );
        }
        Ok(())
    }
}

fn print_done(ctx: &Context, operation: &str, done: &str, uid: &str) -> Result<()> {
    if ctx.json {
        print_json(&json!({"operation": operation, "unique_identifier": uid}))
    } else {
        println!("{done} {uid}");
        Ok(())
    }
}

async fn keys_activate(ctx: &Context, args: &KeyIdArgs) -> Result<()> {
    let uid = ctx.client(true)?.activate(&args.id).await?;
    print_done(ctx, "activate", "activated", &uid)
}

async fn keys_revoke(ctx: &Context, args: &KeysRevokeArgs) -> Result<()> {
    let reason = args.reason.kmip();
    let uid = ctx
        .client(true)?
        .revoke(&args.id, reason, args.message.as_deref())
        .await?;
    print_done(ctx, "revoke", "revoked", &uid)
}

async fn keys_destroy(ctx: &Context, args: &KeyIdArgs) -> Result<()> {
    let uid = ctx.client(true)?.destroy(&args.id).await?;
    print_done(ctx, "destroy", "destroyed", &uid)
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
