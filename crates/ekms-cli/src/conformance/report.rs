//! `ekms conformance report`: plays every case (claimed profiles or not), asks the server
//! which operations it runs in each KMIP version, and prints docs/kmip.md's two tables in
//! Markdown: mandatory cases passed per profile with the claim of `profiles.toml`, and
//! each operation per version, "supported" (Query of that version lists it), "not defined in
//! this version" ([`Operation::introduced`], the specification's table) or "refused: " with
//! the reason the server's dispatcher answers it with. Nothing here lists operations by hand:
//! the server is the source. It fails, after printing, when a mandatory case of a claimed
//! profile did not pass.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::{Result, anyhow, bail};
use ekms_kmip::enums::{BatchErrorContinuationOption, Operation, QueryFunction, ResultStatus};
use ekms_kmip::message::{
    Credential, Password, ProtocolVersion, RequestBatchItem, RequestHeader, RequestMessage,
    ResponseMessage,
};
use ekms_kmip::{FromTtlv, Tag, ToTtlv, Ttlv};

use super::profiles;
use super::{Outcome, Session};
use crate::cli::ConformanceTarget;
use crate::context::Context;

/// The versions of the case files, as the columns of the conformance table.
const CASE_VERSIONS: [&str; 2] = ["1.4", "2.1"];

/// What an operation is in one KMIP version.
enum Support {
    Supported,
    NotDefined,
    Refused(String),
}

/// Runs the report (see the module documentation).
pub async fn report(ctx: &Context, target: &ConformanceTarget) -> Result<()> {
    let session = Session::new(ctx, target)?;
    let outcomes = session
        .play_all(target, true, |line| eprintln!("{line}"))
        .await?;
    let operations = operations(&session, target).await?;
    println!("{}", conformance_table(&outcomes)?);
    print!("{}", operation_table(&operations));
    let mut failed: Vec<&str> = Vec::new();
    for (case, outcome) in &outcomes {
        if !matches!(outcome, Outcome::Pass)
            && profiles::parse(case).is_some_and(|n| n.mandatory)
            && profiles::of(case)?.is_some_and(profiles::Profile::claimed)
        {
            failed.push(case);
        }
    }
    if !failed.is_empty() {
        bail!(
            "mandatory cases of claimed profiles did not pass: {} (their lines above say why; \
             fix the server, or stop claiming the profile in crates/ekms-cli/src/conformance/profiles.toml)",
            failed.join(", ")
        );
    }
    Ok(())
}

/// The conformance table: per profile, mandatory cases passed/total per version, the claim.
fn conformance_table(outcomes: &[(String, Outcome)]) -> Result<String> {
    // (profile, version) -> (passed, total)
    let mut counts: BTreeMap<(&str, String), (usize, usize)> = BTreeMap::new();
    for (case, outcome) in outcomes {
        let Some(name) = profiles::parse(case).filter(|n| n.mandatory) else {
            continue;
        };
        for key in [(name.profile, name.version.clone()), ("", name.version)] {
            let c = counts.entry(key).or_default();
            c.0 += usize::from(matches!(outcome, Outcome::Pass));
            c.1 += 1;
        }
    }
    let cell = |profile: &str, version: &str| {
        counts
            .get(&(profile, version.to_string()))
            .map_or("—".to_string(), |(p, t)| format!("{p}/{t}"))
    };
    let mut out = String::from(
        "| profile | KMIP 1.4 | KMIP 2.1 | claimed | why not |\n|---|---|---|---|---|\n",
    );
    for p in profiles::all()? {
        let (claimed, why) = match &p.claim {
            None => ("yes", ""),
            Some(why) => ("no", why.as_str()),
        };
        let _ = writeln!(
            out,
            "| {} ({}) | {} | {} | {claimed} | {why} |",
            p.name,
            p.prefix,
            cell(&p.prefix, CASE_VERSIONS[0]),
            cell(&p.prefix, CASE_VERSIONS[1]),
        );
    }
    let _ = writeln!(
        out,
        "| all mandatory | {} | {} | | |",
        cell("", CASE_VERSIONS[0]),
        cell("", CASE_VERSIONS[1])
    );
    Ok(out)
}

/// The operation table: a row per operation of the specification, a column per version.
fn operation_table(support: &BTreeMap<u32, Vec<Support>>) -> String {
    let versions = ProtocolVersion::SUPPORTED;
    let mut out = String::from("| operation |");
    for v in versions {
        let _ = write!(out, " {v} |");
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(versions.len()));
    out.push('\n');
    for op in Operation::ALL {
        let _ = write!(out, "| {} |", op.name());
        for s in support.get(&op.as_u32()).into_iter().flatten() {
            match s {
                Support::Supported => out.push_str(" supported |"),
                Support::NotDefined => out.push_str(" not defined in this version |"),
                Support::Refused(why) => {
                    let _ = write!(out, " refused: {} |", why.replace('|', "\\|"));
                }
            }
        }
        out.push('\n');
    }
    out
}

/// Asks the server, in each KMIP version: Query (Query Operations), then every operation of
/// that version the answer does not list, with an empty payload, for the reason it refuses it.
async fn operations(
    session: &Session,
    target: &ConformanceTarget,
) -> Result<BTreeMap<u32, Vec<Support>>> {
    let secret = session.secret(target).await?;
    let mut tls = session.socket.connect().await?;
    let mut support: BTreeMap<u32, Vec<Support>> = BTreeMap::new();
    for version in ProtocolVersion::SUPPORTED {
        let query = vec![Ttlv::enumeration(
            Tag::QUERY_FUNCTION,
            QueryFunction::QueryOperations.as_u32(),
        )];
        let answer = exchange(
            &mut tls,
            version,
            secret.expose(),
            vec![RequestBatchItem::new(Operation::Query, query)],
        )
        .await?;
        let item = answer
            .items
            .first()
            .ok_or_else(|| anyhow!("KMIP {version}: the Query answer has no batch item"))?;
        if item.result_status != ResultStatus::Success {
            bail!(
                "KMIP {version}: Query failed: {}",
                item.result_message.clone().unwrap_or_default()
            );
        }
        let listed: Vec<u32> = item
            .payload
            .iter()
            .flat_map(|p| p.children(Tag::OPERATION))
            .filter_map(Ttlv::as_enum)
            .collect();
        let unlisted: Vec<Operation> = Operation::ALL
            .iter()
            .copied()
            .filter(|op| op.defined_in(version) && !listed.contains(&op.as_u32()))
            .collect();
        let mut refused: BTreeMap<u32, String> = BTreeMap::new();
        if !unlisted.is_empty() {
            let items = unlisted
                .iter()
                .zip(1u32..)
                .map(|(op, id)| {
                    let mut item = RequestBatchItem::new(*op, vec![]);
                    item.unique_batch_item_id = Some(id.to_be_bytes().to_vec());
                    item
                })
                .collect();
            let answer = exchange(&mut tls, version, secret.expose(), items).await?;
            for (op, item) in unlisted.iter().zip(&answer.items) {
                if item.result_status == ResultStatus::Success {
                    bail!(
                        "KMIP {version}: {} succeeded though Query does not list it",
                        op.name()
                    );
                }
                // The dispatcher says "<operation> is not supported: <why>"; the row names
                // the operation already.
                let message = item.result_message.clone().unwrap_or_default();
                let prefix = format!("{} is not supported: ", op.name());
                let why = message.strip_prefix(&prefix).unwrap_or(&message);
                refused.insert(op.as_u32(), why.to_string());
            }
        }
        for op in Operation::ALL {
            let s = if !op.defined_in(version) {
                Support::NotDefined
            } else if let Some(why) = refused.remove(&op.as_u32()) {
                Support::Refused(why)
            } else {
                Support::Supported
            };
            support.entry(op.as_u32()).or_default().push(s);
        }
    }
    Ok(support)
}

/// Sends one Request Message of `version` with these items (Continue on failure) and the
/// group secret, and decodes the answer.
async fn exchange(
    tls: &mut crate::kmip_socket::TlsStream,
    version: ProtocolVersion,
    secret: &str,
    items: Vec<RequestBatchItem>,
) -> Result<ResponseMessage> {
    let mut header = RequestHeader::new(version);
    header.credentials = vec![Credential::username_and_password(
        "conformance",
        Some(Password::from(secret.to_string())),
    )];
    header.batch_error_continuation_option = Some(BatchErrorContinuationOption::Continue);
    let message = RequestMessage::new(header, items).to_ttlv();
    let bytes = ekms_kmip::binary::try_to_vec(&message)
        .map_err(|e| anyhow!("cannot encode the request: {e}"))?;
    let mut answer = Vec::new();
    crate::kmip_socket::exchange(tls, &bytes, &mut answer).await?;
    let ttlv = ekms_kmip::binary::decode(&answer)
        .map_err(|e| anyhow!("the answer is not binary TTLV: {e}"))?;
    ResponseMessage::from_ttlv(ttlv)
        .map_err(|e| anyhow!("KMIP {version}: the answer is not a Response Message: {e}"))
}
