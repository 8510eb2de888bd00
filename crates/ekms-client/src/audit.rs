//! The bounds of the group's audit trail (docs/access.md):
//!
//! - [`Client::audit_retention`] and [`Client::set_audit_retention`]: `GET` and
//!   `PUT /audit/retention`;
//! - [`Client::audit_export_page`]: `GET /audit/export`, the oldest rows, for an export;
//! - [`Client::audit_prune`]: `POST /audit/prune?through=SEQ`, the administrator only.

use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};

use crate::access::parse;
use crate::client::Client;
use crate::error::{Error, Result};

/// A group's audit retention policy, and the rows it holds.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct AuditRetention {
    /// Days a row is kept before the server prunes it (none: kept until exported and pruned).
    pub max_age_days: Option<u64>,
    /// The most rows the group keeps: at that many, audited work is refused.
    pub max_rows: Option<u64>,
    /// Rows the group holds now (answers only).
    #[serde(default, skip_serializing)]
    pub rows: Option<u64>,
}

/// One page of `GET /audit/export`.
#[derive(Clone, Debug, Deserialize)]
pub struct AuditExportPage {
    /// The rows, oldest first, as `GET /audit` shapes them.
    pub rows: Vec<serde_json::Value>,
    /// The sequence number of the last row, if any.
    pub last: Option<i64>,
}

/// The answer of `POST /audit/prune`.
#[derive(Clone, Debug, Deserialize)]
pub struct AuditPruned {
    /// Rows deleted.
    pub pruned: u64,
    /// Rows left, if the server counts them.
    pub rows: Option<u64>,
}

/// `path?query` with the pairs encoded.
pub(crate) fn with_query(path: &str, pairs: &[(&str, String)]) -> Result<String> {
    let mut url = reqwest::Url::parse(&format!("https://ekms.invalid/{path}"))
        .map_err(|e| Error::Invalid(format!("cannot build the URL: {e}")))?;
    url.query_pairs_mut().extend_pairs(pairs);
    Ok(format!("{path}?{}", url.query().unwrap_or_default()))
}

impl Client {
    /// `GET /audit/retention`.
    pub async fn audit_retention(&self) -> Result<AuditRetention> {
        let body = self
            .send(
                Method::GET,
                "audit/retention",
                None,
                true,
                &[StatusCode::OK],
            )
            .await?;
        parse("/audit/retention", &body)
    }

    /// `PUT /audit/retention`: sets the policy (a `None` bound: none), for the administrator.
    pub async fn set_audit_retention(&self, policy: &AuditRetention) -> Result<AuditRetention> {
        let body = serde_json::to_vec(policy)
            .map_err(|e| Error::Invalid(format!("cannot encode the policy: {e}")))?;
        let answer = self
            .send(
                Method::PUT,
                "audit/retention",
                Some(body),
                true,
                &[StatusCode::OK],
            )
            .await?;
        parse("/audit/retention", &answer)
    }

    /// `GET /audit/export`: up to `limit` rows after sequence number `after`, oldest first,
    /// written before `before` (unix seconds) if given.
    pub async fn audit_export_page(
        &self,
        after: i64,
        before: Option<i64>,
        limit: usize,
    ) -> Result<AuditExportPage> {
        let mut pairs = vec![("after", after.to_string()), ("limit", limit.to_string())];
        if let Some(b) = before {
            pairs.push(("before", b.to_string()));
        }
        let path = with_query("audit/export", &pairs)?;
        let body = self
            .send(Method::GET, &path, None, true, &[StatusCode::OK])
            .await?;
        parse("/audit/export", &body)
    }

    /// `POST /audit/prune?through=SEQ`: deletes the rows through `through`, for the
    /// administrator.
    pub async fn audit_prune(&self, through: i64) -> Result<AuditPruned> {
        let path = with_query("audit/prune", &[("through", through.to_string())])?;
        let body = self
            .send(Method::POST, &path, None, true, &[StatusCode::OK])
            .await?;
        parse("/audit/prune", &body)
    }
}
