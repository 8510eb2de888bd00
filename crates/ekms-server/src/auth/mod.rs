//! Who is calling: the user of a request.
//!
//! Three ways, configurable together:
//! - an OpenID Connect bearer JWT (`Authorization: Bearer …`), verified with the keys of
//!   `--jwt-jwks` ([`jwt`]); the user is the `--jwt-user-claim` claim;
//! - a TLS client certificate on HTTPS, verified against `--client-ca` during the handshake;
//!   the user is the subject common name (the KMIP socket does the same with its own CA);
//! - only where neither is configured, `--default-user` (the server warns at start that
//!   authentication is off).
//!
//! When a bearer token is sent and JWTs are configured, it decides: a bad token is refused even
//! if a certificate was also presented. Every refusal is the same 401, with no detail about the
//! token and never the token itself.

pub mod jwt;
pub mod rate;

use crate::config::Config;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header::AUTHORIZATION};
use rustls::pki_types::CertificateDer;
use std::net::SocketAddr;
use std::sync::Arc;

/// The one message of every authentication refusal.
pub const UNAUTHENTICATED_MESSAGE: &str = "authentication failed: send a valid bearer token (Authorization: Bearer) or a client certificate";

/// What the HTTPS accept loop knows of a connection; inserted into every request's extensions.
#[derive(Clone, Debug)]
pub struct Connection {
    /// The client's address.
    pub peer_addr: SocketAddr,
    /// The client certificate, already verified against `--client-ca` by rustls.
    pub peer_cert: Option<CertificateDer<'static>>,
}

/// The configured ways of authenticating.
pub struct Auth {
    jwt: Option<jwt::JwtVerifier>,
    client_certs: bool,
    default_user: String,
}

impl Auth {
    /// Builds the authenticators of `config` (fetching the JWKS once).
    pub async fn from_config(config: &Config) -> anyhow::Result<Self> {
        let jwt = match &config.jwt_jwks {
            Some(source) => Some(jwt::JwtVerifier::load(source, config).await?),
            None => None,
        };
        Ok(Self {
            jwt,
            client_certs: config.client_ca.is_some(),
            default_user: config.default_user.clone(),
        })
    }

    /// Whether any authentication is configured (otherwise everybody is the default user).
    pub fn enabled(&self) -> bool {
        self.jwt.is_some() || self.client_certs
    }

    /// How callers are identified, as `GET /version` states it: `bearer_token` and/or
    /// `client_certificate`; empty when authentication is off (every caller is the default user).
    pub fn methods(&self) -> Vec<&'static str> {
        let mut methods = Vec::new();
        if self.jwt.is_some() {
            methods.push("bearer_token");
        }
        if self.client_certs {
            methods.push("client_certificate");
        }
        methods
    }
}

/// The 401 of a failed authentication.
pub fn unauthenticated() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        UNAUTHENTICATED_MESSAGE,
    )
}

/// The user of a request: from its bearer token, its client certificate, or the default user
/// when no authentication is configured.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    peer_cert: Option<&CertificateDer<'_>>,
) -> Result<String, ApiError> {
    let auth = &state.auth;
    if !auth.enabled() {
        return Ok(auth.default_user.clone());
    }
    if let Some(verifier) = &auth.jwt
        && let Some(value) = headers.get(AUTHORIZATION)
    {
        let token = value
            .to_str()
            .ok()
            .and_then(bearer)
            .ok_or_else(unauthenticated)?;
        return match verifier.verify(token).await {
            Ok(user) => Ok(user),
            Err(why) => {
                tracing::info!("bearer token refused: {why}");
                Err(unauthenticated())
            }
        };
    }
    if auth.client_certs
        && let Some(cert) = peer_cert
    {
        return certificate_cn(cert).ok_or_else(|| {
            tracing::info!("client certificate without a subject common name refused");
            unauthenticated()
        });
    }
    Err(unauthenticated())
}

/// The token of an `Authorization: Bearer <token>` value (scheme case-insensitive).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The subject common name of a certificate, if it has a non-empty one.
pub fn certificate_cn(cert: &CertificateDer<'_>) -> Option<String> {
    let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref()).ok()?;
    let cn = parsed.subject().iter_common_name().next()?;
    let text = cn.as_str().ok()?.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// Extractor: the authenticated user of the request (see [`authenticate`]).
pub struct Caller(pub String);

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let cert = parts
            .extensions
            .get::<Connection>()
            .and_then(|c| c.peer_cert.as_ref());
        authenticate(state, &parts.headers, cert).await.map(Caller)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_values() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer "), None);
        assert_eq!(bearer("abc"), None);
    }

    #[test]
    fn common_name_of_a_certificate() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec![]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "alice@example.com");
        let cert = params.self_signed(&key).unwrap();
        assert_eq!(
            certificate_cn(cert.der()).as_deref(),
            Some("alice@example.com")
        );
        let mut params = rcgen::CertificateParams::new(vec![]).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        let cert = params.self_signed(&key).unwrap();
        assert_eq!(certificate_cn(cert.der()), None);
    }
}
