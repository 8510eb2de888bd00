//! `ekms access`, `ekms audit` and `ekms group`: rights inside a group, its audit trail, and
//! its life (secret rotation, deletion), on top of the client's access routes.
//!
//! Who is calling comes from the bearer token or the client certificate of the config file (or
//! `--bearer-token`, `--client-cert`/`--client-key`); neither the token nor the group secret is
//! ever printed, except the new secret of `ekms group rotate-secret --show-secret`.

use anyhow::{Context as _, Result};
use ekms_client::{AccessGrant, AuditQuery};
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::cli::access::{AuditArgs, DeleteArgs, GrantArgs, ListArgs, RotateArgs};
use crate::context::Context;
use crate::output::{print_json, print_table};
use crate::report::Explained;

fn format_time(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| unix.to_string())
}

fn print_grants(grants: &[AccessGrant]) {
    let rows: Vec<Vec<String>> = grants
        .iter()
        .map(|g| vec![g.uid.clone(), g.user.clone(), g.right.clone()])
        .collect();
    print_table(&["OBJECT", "USER", "RIGHT"], &rows);
}

/// `ekms access grant` (`grant`) and `ekms access revoke` (`!grant`).
pub async fn grant_or_revoke(ctx: &Context, args: &GrantArgs, grant: bool) -> Result<()> {
    let client = ctx.client(true)?;
    let operations: Vec<String> = args.operations.iter().map(|o| o.name()).collect();
    if grant && args.user != "*" {
        warn_if_nobody_is_identified(&client, &args.user).await;
    }
    if operations.is_empty() {
        anyhow::bail!("--operations names no right");
    }
    if grant {
        client
            .access_grant(&args.key, &args.user, &operations)
            .await?;
    } else {
        client
            .access_revoke(&args.key, &args.user, &operations)
            .await?;
    }
    if ctx.json {
        print_json(&json!({
            "unique_identifier": args.key,
            "user_id": args.user,
            "operations": operations,
            if grant { "granted" } else { "revoked" }: true,
        }))?;
    } else {
        println!(
            "{} {} {} {} on {}",
            if grant { "granted" } else { "revoked" },
            operations.join(","),
            if grant { "to" } else { "from" },
            args.user,
            args.key
        );
    }
    Ok(())
}

/// Warns that a grant to `user` is useless on a server without authentication: there every
/// caller is its default user, so nobody can ever act as `user`. Silent when the server does
/// not say (an older server, or `/version` unreachable): the grant itself reports real errors.
async fn warn_if_nobody_is_identified(client: &ekms_client::Client, user: &str) {
    let Ok(version) = client.version().await else {
        return;
    };
    if version.authentication.is_some_and(|m| m.is_empty()) {
        eprintln!(
            "warning: the server runs without authentication (no --jwt-jwks, no --client-ca): every caller is its default user, so no request can ever be made as {user}; start the server with --jwt-jwks or --client-ca for this grant to mean something"
        );
    }
}

/// `ekms access list`.
pub async fn list(ctx: &Context, args: &ListArgs) -> Result<()> {
    let client = ctx.client(true)?;
    let list = client.access_list(&args.id).await?;
    if ctx.json {
        print_json(&serde_json::to_value(&list)?)?;
    } else {
        println!(
            "{} {}: {}",
            if list.unique_identifier == "*" {
                "administrator of the group"
            } else {
                "owner of"
            },
            list.unique_identifier,
            list.owner.as_deref().unwrap_or("(unknown)")
        );
        if list.grants.is_empty() {
            println!("no rights granted");
        } else {
            print_grants(&list.grants);
        }
    }
    Ok(())
}

/// `ekms access owned`.
pub async fn owned(ctx: &Context) -> Result<()> {
    let client = ctx.client(true)?;
    let owned = client.access_owned().await?;
    if ctx.json {
        print_json(&json!(owned))?;
    } else {
        for uid in owned {
            println!("{uid}");
        }
    }
    Ok(())
}

/// `ekms access obtained`.
pub async fn obtained(ctx: &Context) -> Result<()> {
    let client = ctx.client(true)?;
    let grants = client.access_obtained().await?;
    if ctx.json {
        print_json(&serde_json::to_value(&grants)?)?;
    } else if grants.is_empty() {
        eprintln!("no rights granted to you");
    } else {
        print_grants(&grants);
    }
    Ok(())
}

/// `ekms audit`.
pub async fn audit(ctx: &Context, args: &AuditArgs) -> Result<()> {
    let client = ctx.client(true)?;
    let query = AuditQuery {
        user: args.user.clone(),
        operation: args.operation.clone(),
        object: args.object.clone(),
        since: args.since.map(OffsetDateTime::unix_timestamp),
        limit: args.limit,
    };
    let events = client.audit(&query).await?;
    if ctx.json {
        let rows: Vec<serde_json::Value> = events
            .iter()
            .map(|e| {
                json!({
                    "time": format_time(e.time),
                    "unix_time": e.time,
                    "user": e.user,
                    "operation": e.operation,
                    "object": e.object,
                    "result": e.result,
                })
            })
            .collect();
        return print_json(&json!(rows));
    }
    if events.is_empty() {
        eprintln!("no events");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            vec![
                format_time(e.time),
                e.user.clone(),
                e.operation.clone(),
                e.object.clone().unwrap_or_else(|| "-".to_string()),
                e.result.clone(),
            ]
        })
        .collect();
    print_table(&["TIME", "USER", "OPERATION", "OBJECT", "RESULT"], &rows);
    Ok(())
}

/// Two phases (docs/server.md "Secret rotation"): the server returns a new secret while the old
/// one keeps working; the new one is saved in the config file, then confirmed with it, which
/// makes the server refuse the old one. Nothing is lost at any step: before the save, the old
/// secret still works (and the new one is printed if it cannot be saved); after the save, the
/// next request with the new secret confirms if this confirmation did not get through.
pub async fn rotate_secret(ctx: &Context, args: &RotateArgs) -> Result<()> {
    // Fail before rotating if the config file cannot be written.
    crate::config::ensure_parent_dir(ctx.config_path())?;
    let client = ctx.client(true)?;
    let fresh = client.rotate_secret().await?;
    let mut config = ctx.config.clone();
    config.secret = Some(fresh.secret.clone());
    if let Err(e) = config.save(ctx.config_path()) {
        // Not confirmed: the old secret keeps working. Printed so that it is not lost either.
        println!("secret: {}", fresh.secret.expose());
        return Err(e.context(format!(
            "group {} has a new secret (printed above) but it could not be saved in {}; it is not confirmed, so the old secret still works: save the new one and use it to confirm, or rotate again",
            fresh.group_id,
            ctx.config_path().display()
        )));
    }
    if let Err(e) = client.confirm_rotation(&fresh.secret).await {
        return Err(anyhow::Error::new(e).context(format!(
            "the new secret of group {} is saved in {} but its confirmation failed; until it is confirmed the old secret also works, and the next ekms command (which uses the new secret) confirms it",
            fresh.group_id,
            ctx.config_path().display()
        )));
    }
    if ctx.json {
        let mut out = json!({
            "group_id": fresh.group_id,
            "config": ctx.config_path().display().to_string(),
            "confirmed": true,
        });
        if args.show_secret {
            out["secret"] = json!(fresh.secret.expose());
        }
        print_json(&out)?;
    } else {
        println!("group id: {}", fresh.group_id);
        if args.show_secret {
            println!("secret: {}", fresh.secret.expose());
        }
        eprintln!(
            "the new group secret is stored in {} and confirmed; the old one no longer works: give the new one to the other users of the group",
            ctx.config_path().display()
        );
    }
    Ok(())
}

pub async fn delete(ctx: &Context, args: &DeleteArgs) -> Result<()> {
    if !args.yes {
        return Err(Explained {
            message: "deleting the group destroys every key in it, for every user".to_string(),
            hint: Some("pass --yes to confirm".to_string()),
        }
        .into());
    }
    let client = ctx.client(true)?;
    client.delete_group().await?;
    let mut config = ctx.config.clone();
    config.secret = None;
    config.save(ctx.config_path()).with_context(|| {
        format!(
            "the group was deleted but its secret could not be removed from {}",
            ctx.config_path().display()
        )
    })?;
    if ctx.json {
        print_json(&json!({"deleted": true}))?;
    } else {
        println!("group deleted");
        eprintln!(
            "its secret was removed from {}",
            ctx.config_path().display()
        );
    }
    Ok(())
}
