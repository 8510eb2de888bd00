//! `--groups N`: the groups a run spreads its requests over. Their secrets are read from
//! `--groups-file` (one a line); when it holds fewer than N, the missing groups are registered
//! (`POST /register` of the configured server, several at once) and their secrets appended to
//! the file as each answer comes, so that the runs of a curve reuse the groups and a failed
//! registration loses none made before it. Then what the workload needs is made in every
//! group, over several connections at once, giving one encoded request per group.

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, Result, bail};
use ekms_client::Secret;
use ekms_kmip::enums::Operation;
use futures_util::StreamExt as _;

use super::transport::{Encoding, Target};
use super::workload::prepare;
use crate::cli::bench::BenchArgs;
use crate::context::Context;

/// Registrations, and group preparations, under way at once: enough to keep both cores of
/// the server busy while each waits for its database file to be synced.
const AT_ONCE: usize = 16;

/// The secrets of `n` groups, and how many of them were registered now.
pub(super) async fn group_secrets(
    ctx: &Context,
    n: usize,
    file: Option<&Path>,
) -> Result<(Vec<Secret>, usize)> {
    if n == 0 {
        bail!("--groups must be at least 1");
    }
    let mut secrets = match file {
        Some(path) => read_secrets(path)?,
        None => Vec::new(),
    };
    secrets.truncate(n);
    let missing = n - secrets.len();
    if missing == 0 {
        return Ok((secrets, 0));
    }
    let mut out = match file {
        Some(path) => Some(open_append(path)?),
        None => None,
    };
    let client = ctx.client(false)?;
    let mut registrations = futures_util::stream::iter(0..missing)
        .map(|_| client.register())
        .buffer_unordered(AT_ONCE);
    while let Some(answer) = registrations.next().await {
        let registration = answer.with_context(|| {
            format!(
                "registering group {} of {n} for --groups (a server refusing with 429 or 503 \
                 needs its registration limits raised for the run: --register-rate-per-minute 0 \
                 --register-rate-per-hour 0, --max-groups)",
                secrets.len() + 1
            )
        })?;
        if let Some(out) = &mut out {
            writeln!(out, "{}", registration.secret.expose())
                .and_then(|()| out.flush())
                .context("cannot append a group secret to --groups-file")?;
        }
        secrets.push(registration.secret);
    }
    Ok((secrets, missing))
}

/// The non-empty lines of `path`, or none when it does not exist yet.
fn read_secrets(path: &Path) -> Result<Vec<Secret>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(|line| Secret::new(line.to_string()))
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// `path` opened for appending, made readable by its owner only: it holds group secrets.
fn open_append(path: &Path) -> Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .with_context(|| format!("cannot open {} to append group secrets", path.display()))
}

/// The request of the run for each group, in the order of `secrets`: what the workload needs
/// is made in every group by `AT_ONCE` connections at a time, each taking every `AT_ONCE`-th
/// group in turn (one TLS handshake per connection, not per group).
pub(super) async fn prepare_groups(
    target: &Target,
    version: ekms_kmip::ProtocolVersion,
    secrets: Vec<Secret>,
    args: &BenchArgs,
    data: &[u8],
) -> Result<(Operation, Vec<Vec<u8>>)> {
    let n = secrets.len();
    let workers = n.clamp(1, AT_ONCE);
    let mut shares: Vec<Vec<(usize, Secret)>> = (0..workers).map(|_| Vec::new()).collect();
    for (index, secret) in secrets.into_iter().enumerate() {
        if let Some(share) = shares.get_mut(index % workers) {
            share.push((index, secret));
        }
    }
    let prepared = futures_util::future::try_join_all(shares.into_iter().map(|share| async move {
        let mut conn = target.connect().await?;
        let mut requests = Vec::with_capacity(share.len());
        for (index, secret) in share {
            let encoding = Encoding::Binary {
                version,
                secret: Some(Arc::new(secret)),
            };
            let (operation, payload) = prepare(&mut conn, &encoding, args, data.to_vec())
                .await
                .with_context(|| {
                    format!("preparing the workload in group {} of --groups", index + 1)
                })?;
            requests.push((index, operation, encoding.encode(operation, payload)?));
        }
        Ok::<_, anyhow::Error>(requests)
    }))
    .await?;
    let mut requests: Vec<(usize, Operation, Vec<u8>)> = prepared.into_iter().flatten().collect();
    requests.sort_unstable_by_key(|(index, _, _)| *index);
    let operation = match requests.first() {
        Some((_, operation, _)) => *operation,
        None => bail!("--groups must be at least 1"),
    };
    Ok((
        operation,
        requests.into_iter().map(|(_, _, bytes)| bytes).collect(),
    ))
}
