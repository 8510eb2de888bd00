//! The store a server keeps its groups in, chosen at start: SQLCipher files under
//! `--data-dir` (the default), or the PostgreSQL database of `--database`, shared by several
//! nodes (docs/several-nodes.md).
//!
//! This module owns connecting at start: reading the password file, opening the pool (which
//! creates or migrates the schema), and the message when the database cannot be reached,
//! which names the hosts and the reason and never the password.

use crate::config::Config;
use anyhow::Context;
use ekms_store::PgPool;

/// Opens the pool of `--database`, if set. Runs the blocking client off the async runtime.
pub async fn connect(config: &Config) -> anyhow::Result<Option<PgPool>> {
    let Some(url) = config.database.clone() else {
        return Ok(None);
    };
    let password = config.database_password()?;
    let pool_size = config.database_pool_size;
    let pool = tokio::task::spawn_blocking(move || {
        PgPool::connect(&url, password.as_ref().map(|p| p.as_str()), pool_size)
    })
    .await
    .context("the database connection task failed")?
    // The store's message names the hosts and the reason; the URL itself is never repeated,
    // in case an operator put a password in it anyway.
    .map_err(|e| anyhow::anyhow!("--database: {e}: check that PostgreSQL runs there and accepts this node, or start without --database to keep the groups in SQLCipher files"))?;
    tracing::info!(hosts = pool.hosts(), pool_size, "connected to PostgreSQL");
    Ok(Some(pool))
}
