//! `ekms keys get|locate|activate|revoke|destroy|rekey`: the life of a key of the group.

use anyhow::Result;
use ekms_client::{LocateFilter, ObjectAttributes};
use serde_json::json;

use crate::cli::keys::{KeyIdArgs, KeysGetArgs, KeysLocateArgs, KeysRevokeArgs};
use crate::context::Context;
use crate::keys::print;
use crate::output::{print_json, print_table, write_atomic};
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
    let mut rows = Vec::with_capacity(located.unique_identifiers.len());
    for uid in &located.unique_identifiers {
        // A key the caller may locate but not read (no `get_attributes` right) still gets a row.
        let attributes = client.get_attributes(uid, &[]).await.ok();
        rows.push(LocatedRow::new(uid, attributes.as_ref()));
    }
    if ctx.json {
        let keys: Vec<serde_json::Value> = rows.iter().map(LocatedRow::json).collect();
        print_json(&json!({
            "unique_identifiers": located.unique_identifiers,
            "located_items": located.located_items,
            "keys": keys,
        }))
    } else {
        if rows.is_empty() {
            eprintln!("no key matches");
        } else {
            let cells: Vec<Vec<String>> = rows.iter().map(LocatedRow::cells).collect();
            print_table(&LocatedRow::HEADER, &cells);
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

/// One line of `ekms keys locate`: what tells keys apart, read with GetAttributes.
struct LocatedRow {
    unique_identifier: String,
    /// Name, ObjectType, CryptographicAlgorithm, State, InitialDate, ActivationDate,
    /// DeactivationDate, as the server displays them (`None`: not set or not readable).
    values: [Option<String>; 7],
}

impl LocatedRow {
    /// The attributes shown, in column order.
    const ATTRIBUTES: [&'static str; 7] = [
        "Name",
        "ObjectType",
        "CryptographicAlgorithm",
        "State",
        "InitialDate",
        "ActivationDate",
        "DeactivationDate",
    ];
    /// Their `--json` field names.
    const FIELDS: [&'static str; 7] = [
        "name",
        "object_type",
        "algorithm",
        "state",
        "initial_date",
        "activation_date",
        "deactivation_date",
    ];
    const HEADER: [&'static str; 8] = [
        "ID",
        "NAME",
        "TYPE",
        "ALGORITHM",
        "STATE",
        "CREATED",
        "ACTIVATED",
        "DEACTIVATED",
    ];

    fn new(uid: &str, attributes: Option<&ObjectAttributes>) -> Self {
        let values = Self::ATTRIBUTES.map(|name| {
            attributes
                .and_then(|a| a.get(name))
                .map(|a| a.display.clone())
        });
        LocatedRow {
            unique_identifier: uid.to_string(),
            values,
        }
    }

    fn cells(&self) -> Vec<String> {
        std::iter::once(self.unique_identifier.clone())
            .chain(
                self.values
                    .iter()
                    .map(|v| v.clone().unwrap_or_else(|| "-".to_string())),
            )
            .collect()
    }

    fn json(&self) -> serde_json::Value {
        let mut out = serde_json::Map::new();
        out.insert("unique_identifier".into(), json!(self.unique_identifier));
        for (field, value) in Self::FIELDS.iter().zip(&self.values) {
            out.insert((*field).into(), json!(value));
        }
        serde_json::Value::Object(out)
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
