//! `ekms audit retention` and `ekms audit export`: the bounds of the group's audit trail
//! (docs/access.md). An export writes the oldest rows to a file, syncs it to disk, and only
//! then asks the server to prune through the last row written, so no row leaves the group
//! before it is in the file.

use anyhow::{Context as _, Result, bail};
use ekms_client::AuditRetention;
use serde_json::json;
use std::io::Write as _;
use time::OffsetDateTime;

use crate::cli::access::{ExportArgs, RetentionArgs};
use crate::context::Context;
use crate::output::print_json;

/// Rows asked for per page of an export (the server may answer fewer).
const PAGE: usize = 1000;

/// A bound for humans.
fn bound(v: Option<u64>, unit: &str) -> String {
    v.map_or_else(|| "none".to_string(), |n| format!("{n} {unit}"))
}

/// `ekms audit retention`.
pub async fn retention(ctx: &Context, args: &RetentionArgs) -> Result<()> {
    let client = ctx.client(true)?;
    let policy = if args.clear || args.max_age_days.is_some() || args.max_rows.is_some() {
        // A bound not given keeps its value.
        let now = client.audit_retention().await?;
        let wanted = AuditRetention {
            max_age_days: args
                .max_age_days
                .or(now.max_age_days)
                .filter(|_| !args.clear),
            max_rows: args.max_rows.or(now.max_rows).filter(|_| !args.clear),
            rows: None,
        };
        client.set_audit_retention(&wanted).await?
    } else {
        client.audit_retention().await?
    };
    if ctx.json {
        return print_json(&json!(policy));
    }
    println!("max age:  {}", bound(policy.max_age_days, "days"));
    println!("max rows: {}", bound(policy.max_rows, "rows"));
    if let Some(rows) = policy.rows {
        println!("rows:     {rows}");
    }
    Ok(())
}

/// `ekms audit export`.
pub async fn export(ctx: &Context, args: &ExportArgs) -> Result<()> {
    let client = ctx.client(true)?;
    let before = args.before.map(OffsetDateTime::unix_timestamp);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&args.output)
        .with_context(|| {
            format!(
                "cannot create {} (an existing file is never overwritten)",
                args.output.display()
            )
        })?;
    let mut out = std::io::BufWriter::new(file);
    let (mut after, mut written) = (0i64, 0u64);
    loop {
        let page = client.audit_export_page(after, before, PAGE).await?;
        for row in &page.rows {
            serde_json::to_writer(&mut out, row)?;
            out.write_all(b"\n")?;
        }
        written += u64::try_from(page.rows.len()).unwrap_or(0);
        match page.last {
            Some(last) if last > after => after = last,
            _ => break,
        }
    }
    // On disk before any row leaves the group.
    let file = out
        .into_inner()
        .map_err(|e| e.into_error())
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    file.sync_all()
        .with_context(|| format!("cannot sync {}", args.output.display()))?;
    let pruned = if args.no_prune || written == 0 {
        0
    } else {
        client.audit_prune(after).await?.pruned
    };
    if pruned != written && !args.no_prune {
        bail!(
            "{written} rows written to {} but {pruned} pruned: rows may have been pruned by \
             another export or by the server's age limit meanwhile; the file holds every row \
             exported",
            args.output.display()
        );
    }
    if ctx.json {
        return print_json(&json!({
            "file": args.output.display().to_string(),
            "exported": written,
            "pruned": pruned,
        }));
    }
    println!(
        "{written} audit rows written to {}; {pruned} pruned from the group",
        args.output.display()
    );
    Ok(())
}
