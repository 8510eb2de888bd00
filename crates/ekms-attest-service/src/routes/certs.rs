//! Token verification metadata, as Microsoft Azure Attestation publishes it:
//!
//! * `GET /certs`: the JSON Web Key Set of the token signing keys (`kty`, `kid`, `use`, `alg`,
//!   `n`, `e`, and `x5c` with the self-signed certificate of the key, base64 DER);
//! * `GET /.well-known/openid-configuration`: `issuer`, `jwks_uri`,
//!   `response_types_supported`, `id_token_signing_alg_values_supported`,
//!   `revocation_endpoint`, `claims_supported`.
//!
//! Neither takes an `api-version` (one given is ignored, as MAA ignores it here).

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde_json::{Value, json};

use crate::claims::CLAIMS_SUPPORTED;
use crate::state::AppState;

/// The routes of this module.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/certs", get(certs)).route(
        "/.well-known/openid-configuration",
        get(openid_configuration),
    )
}

async fn certs(State(state): State<Arc<AppState>>) -> Json<Value> {
    Json(state.signer.jwks())
}

/// The OpenID metadata for `issuer`.
pub fn openid_metadata(issuer: &str) -> Value {
    json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/certs"),
        "response_types_supported": ["token", "none"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "revocation_endpoint": format!("{issuer}/revoke"),
        "claims_supported": CLAIMS_SUPPORTED,
    })
}

async fn openid_configuration(State(state): State<Arc<AppState>>) -> Json<Value> {
    Json(openid_metadata(&state.issuer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_points_at_the_issuer() {
        let m = openid_metadata("https://127.0.0.1:4443");
        assert_eq!(m["issuer"], "https://127.0.0.1:4443");
        assert_eq!(m["jwks_uri"], "https://127.0.0.1:4443/certs");
        assert_eq!(m["id_token_signing_alg_values_supported"][0], "RS256");
        let claims = m["claims_supported"].as_array().unwrap();
        assert!(claims.iter().any(|c| c == "x-ms-sgx-mrenclave"));
        assert!(claims.iter().any(|c| c == "x-ekms-emulated"));
    }
}
