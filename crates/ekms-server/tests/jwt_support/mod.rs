//! Test support for authentication: a local identity provider (a P-256 key served as a JWKS
//! file) that mints tokens, client certificates from local CAs, and requests carrying them.
#![allow(dead_code)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub const ISSUER: &str = "https://idp.ekms.test";
pub const AUDIENCE: &str = "ekms";

/// An identity provider of the tests.
pub struct Idp {
    key: rcgen::KeyPair,
    pub kid: String,
    pub jwks_path: PathBuf,
}

impl Idp {
    /// A new P-256 key with key id `kid`, its JWKS written to `<dir>/<kid>.jwks.json`.
    pub fn new(dir: &Path, kid: &str) -> Idp {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let raw = key.public_key_raw();
        assert_eq!(raw.len(), 65);
        let jwks = json!({"keys": [{
            "kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "alg": "ES256",
            "x": URL_SAFE_NO_PAD.encode(&raw[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&raw[33..65]),
        }]});
        let jwks_path = dir.join(format!("{kid}.jwks.json"));
        std::fs::write(&jwks_path, jwks.to_string()).unwrap();
        Idp {
            key,
            kid: kid.to_string(),
            jwks_path,
        }
    }

    /// The server flags that trust this provider.
    pub fn flags(&self) -> Vec<String> {
        vec![
            "--jwt-jwks".into(),
            self.jwks_path.display().to_string(),
            "--jwt-issuer".into(),
            ISSUER.into(),
            "--jwt-audience".into(),
            AUDIENCE.into(),
        ]
    }

    /// A token with exactly `claims`, signed ES256 under this provider's key id.
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        let key = EncodingKey::from_ec_pem(self.key.serialize_pem().as_bytes()).unwrap();
        jsonwebtoken::encode(&header, claims, &key).unwrap()
    }

    /// A valid token for `user`.
    pub fn token(&self, user: &str) -> String {
        self.sign(&claims(user))
    }
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Valid claims for `user` (in `email`).
pub fn claims(user: &str) -> Value {
    json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": "subject-1", "email": user,
        "iat": now(), "nbf": now() - 5, "exp": now() + 600,
    })
}

/// An unsigned token (`alg: none`).
pub fn none_token(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string().as_bytes());
    format!("{header}.{payload}.")
}

/// An HS256 token whose HMAC key is the given bytes (a forger's guess at a shared secret).
pub fn hs256_token(claims: &Value, kid: &str, secret: &[u8]) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid.to_string());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret)).unwrap()
}

/// A request to `url` with an optional bearer token and group secret.
pub fn request(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    bearer: Option<&str>,
    secret: Option<&str>,
) -> reqwest::RequestBuilder {
    let mut r = http.request(method, url);
    if let Some(b) = bearer {
        r = r.bearer_auth(b);
    }
    if let Some(s) = secret {
        r = r.header("KmsDatabaseSecret", s);
    }
    r
}

/// `POST /register` as `bearer`; (status, body).
pub async fn register(
    http: &reqwest::Client,
    base: &str,
    bearer: Option<&str>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let r = request(
        http,
        reqwest::Method::POST,
        format!("{base}/register"),
        bearer,
        None,
    )
    .send()
    .await
    .unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        headers,
    )
}

/// One KMIP 2.1 JSON operation as `bearer` with `secret`; (status, body).
pub async fn kmip(
    http: &reqwest::Client,
    base: &str,
    bearer: Option<&str>,
    secret: &str,
    body: &Value,
) -> (u16, Value) {
    let r = request(
        http,
        reqwest::Method::POST,
        format!("{base}/kmip/2_1"),
        bearer,
        Some(secret),
    )
    .json(body)
    .send()
    .await
    .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A CA of the tests, and client certificates it signs.
pub struct Ca {
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
    pub pem: String,
}

impl Ca {
    pub fn new(name: &str) -> Ca {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec![]).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params.self_signed(&key).unwrap();
        let pem = cert.pem();
        let issuer = rcgen::Issuer::new(params, key);
        Ca { issuer, pem }
    }

    /// A client certificate with subject CN `cn`: (certificate DER, PKCS#8 key DER).
    pub fn client(&self, cn: &str) -> (Vec<u8>, Vec<u8>) {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec![]).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cn);
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (cert.der().to_vec(), key.serialize_der())
    }
}

/// A client trusting the server's certificate and presenting `identity` if given.
pub fn client_with_cert(
    server_pem: &[u8],
    identity: Option<(Vec<u8>, Vec<u8>)>,
) -> reqwest::Client {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_pemfile::certs(&mut &server_pem[..]) {
        roots.add(c.unwrap()).unwrap();
    }
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let tls = match identity {
        Some((cert, key)) => builder
            .with_client_auth_cert(
                vec![rustls::pki_types::CertificateDer::from(cert)],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.into()),
            )
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}
