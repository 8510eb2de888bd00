//! A local identity provider for the tests of servers with JWT authentication: an ES256 key
//! whose JWKS is written to a file (what `--jwt-jwks` names), minting users' bearer tokens; and
//! the private config files those users keep their tokens in.
#![allow(dead_code)]

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

use super::{Server, User, start_server_with};

const ISSUER: &str = "https://idp.ekms-cli.test";
const AUDIENCE: &str = "ekms";

/// A local identity provider: an ES256 key, its JWKS in a file.
pub struct Idp {
    key: EcdsaKeyPair,
    jwks: std::path::PathBuf,
}

impl Idp {
    pub fn new(dir: &Path) -> Idp {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let key =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
        let public = key.public_key().as_ref().to_vec();
        assert_eq!(public.len(), 65);
        let jwks = json!({"keys": [{
            "kty": "EC", "crv": "P-256", "kid": "k1", "use": "sig", "alg": "ES256",
            "x": URL_SAFE_NO_PAD.encode(&public[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&public[33..65]),
        }]});
        let path = dir.join("idp.jwks.json");
        std::fs::write(&path, jwks.to_string()).unwrap();
        Idp { key, jwks: path }
    }

    pub fn flags(&self) -> Vec<String> {
        vec![
            "--jwt-jwks".into(),
            self.jwks.display().to_string(),
            "--jwt-issuer".into(),
            ISSUER.into(),
            "--jwt-audience".into(),
            AUDIENCE.into(),
        ]
    }

    /// A server with temporary directories that authenticates users by this provider's tokens.
    pub fn start_server(&self) -> Server {
        let flags = self.flags();
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        start_server_with(&flags)
    }

    pub fn token(&self, user: &str) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let header = json!({"alg": "ES256", "typ": "JWT", "kid": "k1"});
        let claims = json!({
            "iss": ISSUER, "aud": AUDIENCE, "sub": user, "email": user,
            "iat": now, "nbf": now - 5, "exp": now + 900,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig = self
            .key
            .sign(&SystemRandom::new(), signing_input.as_bytes())
            .unwrap();
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
    }
}

/// Writes a private config file.
pub fn write_config(user: &User, text: &str) {
    std::fs::create_dir_all(user.config.parent().unwrap()).unwrap();
    std::fs::write(&user.config, text).unwrap();
    set_private(&user.config);
}

#[cfg(unix)]
pub fn set_private(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

#[cfg(not(unix))]
pub fn set_private(_path: &Path) {}
