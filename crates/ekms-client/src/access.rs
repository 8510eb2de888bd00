//! Rights inside a group, its audit trail and its life (docs/access.md, docs/server.md).
//!
//! - [`Client::access_grant`] and [`Client::access_revoke`]: `POST /access/grant|revoke`;
//! - [`Client::access_list`]: `GET /access/{uid}` (who may do what on an object; `*`: the
//!   group rights);
//! - [`Client::access_owned`] and [`Client::access_obtained`]: `GET /access/owned|obtained`;
//! - [`Client::audit`]: `GET /audit` with filters;
//! - [`Client::rotate_secret`], [`Client::confirm_rotation`] and [`Client::delete_group`]:
//!   `POST /group/rotate-secret` and `/group/rotate-secret/confirm`, `DELETE /group`, for the
//!   group's administrator (confirming takes the new secret).
//!
//! Every call sends the group secret, and the bearer token or client certificate configured.

use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};

use crate::client::{Client, Registration};
use crate::error::{Error, Result};
use crate::secret::Secret;

/// One right held by a user on an object (`uid` `*`: a right of the group).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct AccessGrant {
    /// The object's unique identifier, or `*`.
    pub uid: String,
    /// The user, or `*` (every user of the group).
    pub user: String,
    /// The right (`get`, `encrypt`, `decrypt`, … or `create`, `audit`).
    pub right: String,
}

/// The answer of `GET /access/{uid}`.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct AccessList {
    /// The object (or `*`).
    pub unique_identifier: String,
    /// Its owner (for `*`: the administrator), if known.
    #[serde(default)]
    pub owner: Option<String>,
    /// The rights granted on it.
    #[serde(default)]
    pub grants: Vec<AccessGrant>,
}

/// One row of the audit trail.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct AuditEvent {
    /// Unix seconds.
    pub time: i64,
    /// Who asked.
    pub user: String,
    /// The operation.
    pub operation: String,
    /// The object, if any.
    #[serde(default)]
    pub object: Option<String>,
    /// `ok`, or why it was refused or failed.
    pub result: String,
    /// The `X-Request-Id` of the HTTPS request that made the row (none for the KMIP socket and
    /// for rows older than request ids).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// Filters of [`Client::audit`]: every given field must match.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    /// Only this user.
    pub user: Option<String>,
    /// Only this operation.
    pub operation: Option<String>,
    /// Only this object.
    pub object: Option<String>,
    /// Only rows at or after this time (unix seconds).
    pub since: Option<i64>,
    /// At most this many rows (the server caps it).
    pub limit: Option<usize>,
}

#[derive(Serialize)]
struct GrantBody<'a> {
    unique_identifier: &'a str,
    user_id: &'a str,
    operations: &'a [String],
}

pub(crate) fn parse<T: for<'de> Deserialize<'de>>(what: &str, body: &[u8]) -> Result<T> {
    serde_json::from_slice(body)
        .map_err(|e| Error::Protocol(format!("the {what} answer is not the expected JSON: {e}")))
}

impl Client {
    async fn change_access(
        &self,
        path: &str,
        uid: &str,
        user: &str,
        operations: &[String],
    ) -> Result<()> {
        let body = serde_json::to_vec(&GrantBody {
            unique_identifier: uid,
            user_id: user,
            operations,
        })
        .map_err(|e| Error::Invalid(format!("cannot encode the request: {e}")))?;
        self.send(Method::POST, path, Some(body), true, &[StatusCode::OK])
            .await?;
        Ok(())
    }

    /// `POST /access/grant`: gives `user` (or `*`) the `operations` on `uid` (`*`: the group
    /// rights `create`, `audit`).
    pub async fn access_grant(&self, uid: &str, user: &str, operations: &[String]) -> Result<()> {
        self.change_access("access/grant", uid, user, operations)
            .await
    }

    /// `POST /access/revoke`: takes the `operations` on `uid` back from `user` (or `*`).
    pub async fn access_revoke(&self, uid: &str, user: &str, operations: &[String]) -> Result<()> {
        self.change_access("access/revoke", uid, user, operations)
            .await
    }

    /// `GET /access/{uid}`: the owner of `uid` and the rights granted on it.
    pub async fn access_list(&self, uid: &str) -> Result<AccessList> {
        let path = format!("access/{}", encode_segment(uid));
        let body = self
            .send(Method::GET, &path, None, true, &[StatusCode::OK])
            .await?;
        parse("/access/{uid}", &body)
    }

    /// `GET /access/owned`: the objects the caller owns, newest first.
    pub async fn access_owned(&self) -> Result<Vec<String>> {
        let body = self
            .send(Method::GET, "access/owned", None, true, &[StatusCode::OK])
            .await?;
        parse("/access/owned", &body)
    }

    /// `GET /access/obtained`: the rights the caller holds through grants (to them or to `*`).
    pub async fn access_obtained(&self) -> Result<Vec<AccessGrant>> {
        let body = self
            .send(
                Method::GET,
                "access/obtained",
                None,
                true,
                &[StatusCode::OK],
            )
            .await?;
        parse("/access/obtained", &body)
    }

    /// `GET /audit`: the group's audit trail, newest first.
    pub async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>> {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(u) = &query.user {
            pairs.push(("user", u.clone()));
        }
        if let Some(o) = &query.operation {
            pairs.push(("operation", o.clone()));
        }
        if let Some(o) = &query.object {
            pairs.push(("object", o.clone()));
        }
        if let Some(s) = query.since {
            pairs.push(("since", s.to_string()));
        }
        if let Some(l) = query.limit {
            pairs.push(("limit", l.to_string()));
        }
        let path = if pairs.is_empty() {
            "audit".to_string()
        } else {
            crate::audit::with_query("audit", &pairs)?
        };
        let body = self
            .send(Method::GET, &path, None, true, &[StatusCode::OK])
            .await?;
        parse("/audit", &body)
    }

    /// `POST /group/rotate-secret`: starts a rotation and returns the new secret (once). Both
    /// secrets open the group until the new one is used or confirmed
    /// ([`Client::confirm_rotation`]); then the old one is refused.
    pub async fn rotate_secret(&self) -> Result<Registration> {
        let body = self
            .send(
                Method::POST,
                "group/rotate-secret",
                None,
                true,
                &[StatusCode::OK],
            )
            .await?;
        parse("/group/rotate-secret", &body)
    }

    /// `POST /group/rotate-secret/confirm` with `new_secret` (the one
    /// [`Client::rotate_secret`] returned): ends the rotation; the old secret is refused from
    /// now on. Confirming twice is harmless; sending the old secret is a 409 error.
    pub async fn confirm_rotation(&self, new_secret: &Secret) -> Result<()> {
        self.send_with(
            Method::POST,
            "group/rotate-secret/confirm",
            new_secret,
            &[StatusCode::OK],
        )
        .await?;
        Ok(())
    }

    /// `DELETE /group`: removes the group and everything in it; its secret is refused from
    /// now on.
    pub async fn delete_group(&self) -> Result<()> {
        self.send(
            Method::DELETE,
            "group",
            None,
            true,
            &[StatusCode::NO_CONTENT, StatusCode::OK],
        )
        .await?;
        Ok(())
    }
}

/// Percent-encodes one path segment (unreserved characters and `*` are kept).
fn encode_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'*') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded() {
        assert_eq!(encode_segment("abc-1_2.3~*"), "abc-1_2.3~*");
        assert_eq!(encode_segment("a/b c"), "a%2Fb%20c");
    }
}
