//! `ekms keys get|locate|activate|revoke|destroy|rekey`: the life of a key of the group.

use anyhow::Result;
use ekms_client::LocateFilter;
use serde_json::json;

use crate::cli::keys::{KeyIdArgs, KeysGetArgs, KeysLocateArgs, KeysRevokeArgs};
use crate::context::Context;
use crate::keys::print;
use crate::output::{print_json, write_atomic};
use ekms_kmip::operations::rekey;

/// `ekms keys get`.
pub async fn get(ctx: &Context, args: &KeysGetArgs) -> Result<()> {
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

/// `ekms keys locate`.
pub async fn locate(ctx: &Context, args: &KeysLocateArgs) -> Result<()> {
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

/// `ekms keys activate`.
pub async fn activate(ctx: &Context, args: &KeyIdArgs) -> Result<()> {
    let uid = ctx.client(true)?.activate(&args.id).await?;
    print_done(ctx, "activate", "activated", &uid)
}

/// `ekms keys revoke`.
pub async fn revoke(ctx: &Context, args: &KeysRevokeArgs) -> Result<()> {
    let reason = args.reason.kmip();
    let uid = ctx
        .client(true)?
        .revoke(&args.id, reason, args.message.as_deref())
        .await?;
    print_done(ctx, "revoke", "revoked", &uid)
}

/// `ekms keys destroy`.
pub async fn destroy(ctx: &Context, args: &KeyIdArgs) -> Result<()> {
    let uid = ctx.client(true)?.destroy(&args.id).await?;
    print_done(ctx, "destroy", "destroyed", &uid)
}

/// `ekms keys rekey`.
pub async fn rekey(ctx: &Context, args: &KeyIdArgs) -> Result<()> {
    let request = rekey::Request {
        uid: args.id.clone(),
        offset: None,
        attributes: Default::default(),
    };
    let uid = ctx.client(true)?.call(request).await?.uid;
    print(
        ctx,
        json!({"operation": "rekey", "replaced": args.id, "unique_identifier": uid}),
        uid.to_string(),
    )
}
